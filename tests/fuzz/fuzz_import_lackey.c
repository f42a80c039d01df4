/* fuzz_import_lackey.c - the lackey importer on any bytes (see import_fuzz.h). */
#define IMPORT_FORMAT "lackey"
#include "import_fuzz.h"
