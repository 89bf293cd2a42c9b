/* fuzz_import_drmemtrace.c - libFuzzer target for the drmemtrace importer (see fuzz_import.h):
 * one thread's file, plain, gzip, zstd or zip. */
#include "tests/fuzz/fuzz_import.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    return fuzz_import(MMT_IMPORT_DRMEMTRACE, data, size);
}
