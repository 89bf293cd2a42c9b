/* fuzz_import_pinatrace.c - libFuzzer target for the pinatrace importer (see fuzz_import.h). */
#include "tests/fuzz/fuzz_import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_import(MMT_IMPORT_PINATRACE, data, size);
}
