/* fuzz_dbi.c - the DBI backend's reader of the Valgrind tool's messages (chunk pieces
 * gathered per process, their counts, control frames for start, fork, exec and end) on
 * arbitrary input: it must never crash, read out of bounds or allocate without bound, and
 * the trace it writes must open. The chunk payloads themselves are the tool's encoding,
 * passed through unchecked (decoding them again is the cost the DBI design avoids): a
 * reader may reject such a chunk, with an error, which it must do without crashing. */
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
                abort(); /* the writer's own header and footer must open */
            const struct mmt_rec *recs;
            size_t n;
            while (mmt_reader_next(r, &recs, &n) == 1)
                ; /* to the end or the first corrupt chunk */
            mmt_reader_close(r);
        }
    }
    unlink(path);
    return 0;
}
