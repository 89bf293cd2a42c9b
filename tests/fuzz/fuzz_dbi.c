/* fuzz_dbi.c - the DBI backend's decoder of the Valgrind tool's raw frames (superblock
 * tables per process, fork copies, exec resets, events with strings) on arbitrary input:
 * it must never crash, read out of bounds or allocate without bound; what it accepts must
 * make a trace the reader can read back. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "capture/record.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 1 << 18)
        return 0;
    char path[] = "/tmp/fuzz_dbi." "XX" "XX" "XX"; /* mkstemp template */
    int fd = mkstemp(path);
    if (fd < 0)
        return 0;
    close(fd);
    char err[256];
    struct mmt_writer *w = mmt_writer_open(path, NULL, err, sizeof err);
    if (w) {
        int rc = dbi_decode_stream(data, size, w, err, sizeof err);
        if (rc)
            mmt_writer_set_incomplete(w, err);
        if (mmt_writer_close(w, err, sizeof err) == 0) {
            struct mmt_reader *r = mmt_reader_open(path, err, sizeof err);
            if (!r)
                abort(); /* the writer's output must read back */
            const struct mmt_rec *recs;
            size_t n;
            while (mmt_reader_next(r, &recs, &n) == 1)
                ;
            mmt_reader_close(r);
        }
    }
    unlink(path);
    return 0;
}
