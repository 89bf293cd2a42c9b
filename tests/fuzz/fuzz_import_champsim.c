/* fuzz_import_champsim.c - libFuzzer target for the champsim importer (see fuzz_import.h). */
#include "tests/fuzz/fuzz_import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_import(MMT_IMPORT_CHAMPSIM, data, size);
}
