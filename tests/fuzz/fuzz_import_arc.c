/* fuzz_import_arc.c - the arc importer on any bytes (see import_fuzz.h). */
#define IMPORT_FORMAT "arc"
#include "import_fuzz.h"
