/* fuzz_import_oraclegeneral.c - the oraclegeneral importer on any bytes (see import_fuzz.h). */
#define IMPORT_FORMAT "oraclegeneral"
#include "import_fuzz.h"
