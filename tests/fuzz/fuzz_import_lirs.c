/* fuzz_import_lirs.c - the lirs importer on any bytes (see import_fuzz.h). */
#define IMPORT_FORMAT "lirs"
#include "import_fuzz.h"
