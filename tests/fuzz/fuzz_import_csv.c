/* fuzz_import_csv.c - the csv importer on any bytes (see import_fuzz.h). */
#define IMPORT_FORMAT "csv"
#include "import_fuzz.h"
