/* fuzz_decode.c - libFuzzer target for the record decoder itself. Mutated .mmt files rarely
 * get past the chunk checksums, so this target wraps the input bytes as the raw payload of
 * one well-formed chunk (valid header, zstd frame, CRCs; record and event counts taken from
 * the first 4 input bytes) and lets the reader decode them. Seeds cover every record
 * kind, fetch runs (format 1.1) and the site modes and NEXT runs of format 1.2. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <zstd.h>

#include "traces/mmt.h"
#include "traces/mmt_format.h"

static size_t build_file(const uint8_t *data, size_t size, uint8_t *out, size_t cap)
{
    uint16_t nrecs = size >= 2 ? (uint16_t)(data[0] | data[1] << 8) : 0;
    uint16_t nevents = size >= 4 ? (uint16_t)(data[2] | data[3] << 8) % 64 : 0;
    if (nevents > nrecs)
        nevents = nrecs; /* the reader rejects more events than records in the index */
    const uint8_t *raw = size >= 4 ? data + 4 : data;
    size_t rlen = size >= 4 ? size - 4 : size;
    uint8_t *p = out;
    memcpy(p, MMT_MAGIC, MMT_MAGIC_LEN);
    mmt_put_u16(p + 8, MMT_VERSION_MAJOR);
    mmt_put_u16(p + 10, MMT_VERSION_MINOR);
    mmt_put_u32(p + 12, 4);
    mmt_put_u32(p + 16, 0); /* no metadata */
    mmt_put_u32(p + 20, mmt_crc32c(p, 20));
    p += 24;
    uint8_t *h = p;
    p += MMT_CHUNK_HDR;
    ZSTD_CCtx *z = ZSTD_createCCtx();
    if (!z)
        return 0;
    ZSTD_CCtx_setParameter(z, ZSTD_c_checksumFlag, 1);
    size_t c = ZSTD_compress2(z, p, cap - (size_t)(p - out), raw, rlen);
    ZSTD_freeCCtx(z);
    if (ZSTD_isError(c))
        return 0;
    mmt_put_u32(h, MMT_CHUNK_MAGIC);
    mmt_put_u32(h + 4, (uint32_t)c);
    mmt_put_u32(h + 8, (uint32_t)rlen);
    mmt_put_u32(h + 12, nrecs);
    mmt_put_u32(h + 16, nevents);
    mmt_put_u32(h + 20, 1);
    mmt_put_u32(h + 24, 1);
    mmt_put_u64(h + 28, 0);
    mmt_put_u32(h + 36, mmt_crc32c(h, 36));
    return (size_t)(p - out) + c; /* no footer: the reader indexes the chunk by walking */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > (1u << 20))
        return 0;
    size_t cap = ZSTD_compressBound(size) + 256;
    uint8_t *file = malloc(cap);
    size_t len = file ? build_file(data, size, file, cap) : 0;
    int fd = len ? memfd_create("fuzz_decode", 0) : -1;
    if (fd >= 0 && write(fd, file, len) == (ssize_t)len) {
        char path[64], err[512];
        snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
        struct mmt_reader *r = mmt_reader_open(path, err, sizeof err);
        if (!r)
            abort(); /* the wrapper is well formed (and ends in a zstd checksum, not a trailer) */
        /* Decoded twice: no decoding state (streams, plans, site slots, successors) may
         * survive from one pass to the next, so both give the same records. */
        uint64_t sum[2] = {0, 0};
        for (int pass = 0; pass < 2; pass++) {
            const struct mmt_rec *recs;
            size_t n;
            mmt_reader_rewind(r);
            while (mmt_reader_next(r, &recs, &n) == 1)
                for (size_t i = 0; i < n; i++) {
                    if (recs[i].kind >= MMT_KIND_COUNT)
                        abort();
                    if (recs[i].kind <= MMT_MODIFY && recs[i].size == 0)
                        abort();
                    if (recs[i].kind == MMT_EVENT && mmt_reader_event(r, recs[i].aux)->nargs > MMT_EVENT_MAX_ARGS)
                        abort();
                    sum[pass] = (sum[pass] ^ recs[i].addr ^ (uint64_t)recs[i].kind << 56 ^
                                 (uint64_t)recs[i].size << 48) * 0x9e3779b97f4a7c15ull;
                }
        }
        if (sum[0] != sum[1])
            abort();
        mmt_reader_close(r);
    }
    if (fd >= 0)
        close(fd);
    free(file);
    return 0;
}
