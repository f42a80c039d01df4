/* fuzz_import_txt.c - the txt importer on any bytes (see import_fuzz.h). */
#define IMPORT_FORMAT "txt"
#include "import_fuzz.h"
