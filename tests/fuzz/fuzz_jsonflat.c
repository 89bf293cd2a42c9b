/* fuzz_jsonflat.c - the sweep's JSON flattener on arbitrary bytes: never crashes. */
#include <stddef.h>
#include <stdint.h>

#include "analysis/jsonflat.h"

static void sink(void *ctx, const char *path, const char *value, enum jsonflat_type t)
{
    (void)path;
    (void)value;
    *(size_t *)ctx += (size_t)t + 1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[256];
    size_t n = 0;
    jsonflat((const char *)data, size, "fuzz", sink, &n, err, sizeof err);
    return 0;
}
