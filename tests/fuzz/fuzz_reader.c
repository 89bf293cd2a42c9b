/* fuzz_reader.c - libFuzzer target: any bytes given to the .mmt reader must give records or
 * a clean error, never a crash, a hang or a leak. The input lives in a memfd (no disk). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "traces/mmt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    int fd = memfd_create("fuzz_reader", 0);
    if (fd < 0)
        return 0;
    if (size && write(fd, data, size) != (ssize_t)size) {
        close(fd);
        return 0;
    }
    char path[64], err[512];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    struct mmt_reader *r = mmt_reader_open(path, err, sizeof err);
    if (r) {
        const struct mmt_rec *recs;
        size_t n;
        uint64_t sum = 0;
        while (mmt_reader_next(r, &recs, &n) == 1)
            for (size_t i = 0; i < n; i++) {
                sum += recs[i].addr + recs[i].size;
                if (recs[i].kind == MMT_EVENT) {
                    const struct mmt_event *ev = mmt_reader_event(r, recs[i].aux);
                    if (ev->nargs > MMT_EVENT_MAX_ARGS)
                        abort();
                    if (ev->path)
                        sum += ev->path[0];
                }
            }
        for (size_t i = 0; i < mmt_reader_meta_count(r); i++)
            sum += mmt_reader_meta_at(r, i)->key[0];
        if (!mmt_reader_complete(r) && !mmt_reader_incomplete_reason(r))
            abort();
        mmt_reader_close(r);
        (void)sum;
    }
    close(fd);
    return 0;
}
