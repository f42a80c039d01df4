/* fuzz_import_din.c - the din importer on any bytes (see import_fuzz.h). */
#define IMPORT_FORMAT "din"
#include "import_fuzz.h"
