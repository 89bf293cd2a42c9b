/* import_champsim.c - ChampSim's binary input_instr records, plain or xz-compressed.
 *
 * A record is 64 bytes, little-endian (the layout: traces/foreign.h, shared with export.c).
 * Each record becomes an instruction fetch of ip (size 4: the record
 * has no instruction length), then a load of every nonzero source operand and a store of
 * every nonzero destination operand, each of size 8 (ChampSim itself only tracks the cache
 * line, so 8 stands for a typical scalar operand). */
#include "traces/import.h"

#include <inttypes.h>
#include <lzma.h>
#include <string.h>

#include "traces/foreign.h"

static const uint8_t xz_magic[6] = {0xFD, '7', 'z', 'X', 'Z', 0x00};

struct cs_input {
    FILE *in;
    int xz;
    lzma_stream strm;
    uint8_t inbuf[1 << 16];
    int eof, done;
    uint64_t compressed_pos; /* bytes of the file consumed */
};

/* Fills out[0..n) with decoded bytes; returns the count (short only at the end), or -1. */
static long cs_read(struct cs_input *s, uint8_t *out, size_t n, const char **why)
{
    if (!s->xz)
        return (long)fread(out, 1, n, s->in);
    s->strm.next_out = out;
    s->strm.avail_out = n;
    while (s->strm.avail_out && !s->done) {
        if (!s->strm.avail_in && !s->eof) {
            size_t got = fread(s->inbuf, 1, sizeof s->inbuf, s->in);
            s->compressed_pos += got;
            s->strm.next_in = s->inbuf;
            s->strm.avail_in = got;
            if (got < sizeof s->inbuf)
                s->eof = 1;
        }
        lzma_ret r = lzma_code(&s->strm, s->eof && !s->strm.avail_in ? LZMA_FINISH : LZMA_RUN);
        if (r == LZMA_STREAM_END) {
            s->done = 1;
            break;
        }
        if (r != LZMA_OK) {
            *why = r == LZMA_DATA_ERROR    ? "xz data corrupt"
                   : r == LZMA_BUF_ERROR   ? "xz stream cut short"
                   : r == LZMA_MEM_ERROR   ? "out of memory in the xz decoder"
                   : r == LZMA_FORMAT_ERROR ? "not an xz stream"
                                           : "xz decoding failed";
            return -1;
        }
    }
    return (long)(n - s->strm.avail_out);
}

/* The fetch, then the loads, then the stores: the order export.c writes them back in. */
static int cs_record(struct mmt_writer *w, const uint8_t *r, struct mmt_import_stats *st)
{
    struct cs_instr in;
    cs_decode(r, &in);
    if (mmt_writer_access(w, MMT_IFETCH, in.ip, CS_IFETCH_SIZE))
        return -1;
    st->accesses++;
    for (int i = 0; i < CS_SRC_MEM; i++)
        if (in.src_mem[i]) {
            if (mmt_writer_access(w, MMT_LOAD, in.src_mem[i], CS_OPERAND_SIZE))
                return -1;
            st->accesses++;
        }
    for (int i = 0; i < CS_DST_MEM; i++)
        if (in.dst_mem[i]) {
            if (mmt_writer_access(w, MMT_STORE, in.dst_mem[i], CS_OPERAND_SIZE))
                return -1;
            st->accesses++;
        }
    return 0;
}

int mmt_import_champsim(FILE *in, const char *name, struct mmt_writer *w,
                        struct mmt_import_stats *st, char *err, size_t errlen)
{
    struct cs_input s = {.in = in};
    uint8_t head[6];
    size_t hn = fread(head, 1, sizeof head, in);
    s.xz = hn == sizeof head && !memcmp(head, xz_magic, sizeof head);
    if (s.xz) {
        s.strm = (lzma_stream)LZMA_STREAM_INIT;
        if (lzma_stream_decoder(&s.strm, UINT64_MAX, LZMA_CONCATENATED) != LZMA_OK) {
            snprintf(err, errlen, "%s: cannot start the xz decoder", name);
            return -1;
        }
        memcpy(s.inbuf, head, hn);
        s.strm.next_in = s.inbuf;
        s.strm.avail_in = hn;
        s.compressed_pos = hn;
    }
    uint8_t buf[1024 * CS_RECORD];
    size_t carried = 0;
    if (!s.xz) {
        memcpy(buf, head, hn);
        carried = hn;
    }
    int rc = 0;
    for (;;) {
        const char *why = NULL;
        long got = cs_read(&s, buf + carried, sizeof buf - carried, &why);
        if (got < 0) {
            snprintf(err, errlen, "%s: byte %" PRIu64 " of the xz stream (instruction %" PRIu64 "): %s",
                     name, s.compressed_pos, st->lines, why);
            rc = -1;
            break;
        }
        size_t have = carried + (size_t)got, whole = have / CS_RECORD;
        for (size_t i = 0; i < whole; i++) {
            if (cs_record(w, buf + i * CS_RECORD, st)) {
                snprintf(err, errlen, "%s: instruction %" PRIu64 ": %s", name, st->lines,
                         mmt_writer_error(w));
                rc = -1;
                break;
            }
            st->lines++;
        }
        if (rc)
            break;
        carried = have - whole * CS_RECORD;
        if (have < sizeof buf) { /* the input is exhausted */
            if (carried) {
                snprintf(err, errlen,
                         "%s: byte %" PRIu64 " (instruction %" PRIu64 "): %zu stray bytes, not a "
                         "whole 64-byte input_instr record",
                         name, st->lines * CS_RECORD, st->lines, carried);
                rc = -1;
            } else if (!s.xz && ferror(in)) {
                snprintf(err, errlen, "%s: read error at byte %" PRIu64, name, st->lines * CS_RECORD);
                rc = -1;
            }
            break;
        }
        memmove(buf, buf + whole * CS_RECORD, carried);
    }
    if (s.xz)
        lzma_end(&s.strm);
    return rc;
}
