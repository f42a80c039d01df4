/* fuzz_import_pinatrace.c - the pinatrace importer on any bytes (see import_fuzz.h). */
#define IMPORT_FORMAT "pinatrace"
#include "import_fuzz.h"
