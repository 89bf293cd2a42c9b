/* fuzz_csv.c - the analysis CSV reader on arbitrary bytes: never crashes, and every cell of
 * every row can be read. */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis/csv.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char path[] = "/tmp/fuzz_csvXXXXXX", err[512];
    int fd = mkstemp(path);
    if (fd < 0)
        return 0;
    if (write(fd, data, size) != (ssize_t)size) {
        close(fd);
        unlink(path);
        return 0;
    }
    close(fd);
    struct csv c;
    if (csv_read(path, &c, err, sizeof err) == 0) {
        size_t total = 0;
        for (size_t r = 0; r < c.nrows; r++)
            for (size_t k = 0; k < c.ncols; k++)
                total += strlen(csv_get(&c, r, k));
        double v;
        if (c.nrows && c.ncols)
            csv_num(&c, 0, 0, &v, err, sizeof err);
        (void)total;
        csv_free(&c);
    }
    unlink(path);
    return 0;
}
