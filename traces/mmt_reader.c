/* mmt_reader.c - the streaming .mmt reader (layout in traces/FORMAT.md).
 *
 * Opening reads the header and, when the trailer is intact, the footer's chunk index; a
 * trace without a footer (cut short) is indexed by walking the chunk headers up to the
 * last whole chunk. mmt_reader_next() then decompresses one chunk and decodes it into an
 * array of struct mmt_rec in one tight loop. Every size read from the file is bounded
 * before it is used, so a corrupt file gives an error, never a crash or a huge allocation. */
#include "traces/mmt.h"
#include "traces/mmt_format.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#define ZSTD_STATIC_LINKING_ONLY /* ZSTD_getFrameHeader */
#include <zstd.h>
#include <zstd_errors.h>

struct chunk_entry {
    uint64_t offset;
    uint32_t csize, rsize, nrecs, nevents;
};

struct plan {
    uint32_t off, n; /* fetches plan_recs[off .. off + n), site slots sites[2 off .. 2 (off + n)) */
    uint32_t succ;   /* the plan a RUN or NEXT last ran after this one (format 1.2) */
};

/* A site slot (format 1.2): the last address and delta of the data accesses made by one
 * plan instruction (slot 0: its first access after a run, slot 1: the later ones). */
struct site {
    uint64_t sa, sd;
};

struct mmt_reader {
    FILE *f;
    char *path;
    char err[512];
    uint64_t file_bytes, data_start;

    struct mmt_meta *meta;
    size_t nmeta, meta_cap;

    int has_footer, complete;
    char *incomplete_reason;
    uint64_t cut_offset; /* no footer: where the readable part ends */
    struct chunk_entry *idx;
    size_t nchunks, idx_cap, next_chunk;
    struct mmt_totals totals;

    uint8_t *cbuf, *raw;
    size_t cbuf_cap, raw_cap;
    struct mmt_rec *recs;
    size_t recs_cap;
    struct mmt_event *events;
    size_t events_cap;
    char *arena;
    size_t arena_cap;
    struct plan *plans;          /* the chunk's fetch plans (format 1.1) */
    size_t plans_cap;
    struct mmt_rec *plan_recs;   /* their fetches, decoded once per chunk */
    size_t plan_recs_cap;
    struct site *sites;          /* MMT_SITE_SLOTS a plan instruction, same order */
    size_t sites_cap;
    ZSTD_DCtx *dctx;

    uint32_t batch_pid, batch_tid;
    uint64_t batch_first;
};

static int fail(struct mmt_reader *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct mmt_reader *r, const char *fmt, ...)
{
    int n = snprintf(r->err, sizeof r->err, "%s: ", r->path);
    va_list ap;
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < sizeof r->err)
        vsnprintf(r->err + n, sizeof r->err - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

static int read_at(struct mmt_reader *r, uint64_t off, void *buf, size_t n)
{
    if (fseeko(r->f, (off_t)off, SEEK_SET))
        return fail(r, "cannot seek to byte %" PRIu64 ": %s", off, strerror(errno));
    if (fread(buf, 1, n, r->f) != n)
        return fail(r, "cannot read %zu bytes at byte %" PRIu64 "%s%s", n, off,
                    ferror(r->f) ? ": " : ": unexpected end of file",
                    ferror(r->f) ? strerror(errno) : "");
    return 0;
}

static int grow(void **p, size_t *cap, size_t need, size_t elem)
{
    if (need <= *cap)
        return 0;
    void *n = realloc(*p, need * elem);
    if (!n)
        return -1;
    *p = n;
    *cap = need;
    return 0;
}

/* One length-prefixed metadata string at b[*pos]; NULL (r->err set) when malformed. */
static char *meta_string(struct mmt_reader *r, const uint8_t *b, size_t len, size_t *pos,
                         uint64_t base, uint32_t entry)
{
    if (len - *pos < 4) {
        fail(r, "metadata entry %" PRIu32 " cut at byte %" PRIu64, entry, base + *pos);
        return NULL;
    }
    uint32_t l = mmt_get_u32(b + *pos);
    if (l > len - *pos - 4) {
        fail(r, "metadata string length %" PRIu32 " overruns the block at byte %" PRIu64, l,
             base + *pos);
        return NULL;
    }
    if (memchr(b + *pos + 4, 0, l)) {
        fail(r, "NUL byte in a metadata string at byte %" PRIu64, base + *pos + 4);
        return NULL;
    }
    char *s = strndup((const char *)b + *pos + 4, l);
    if (!s)
        fail(r, "out of memory reading metadata");
    *pos += 4 + l;
    return s;
}

/* Parses a metadata block (u32 count, then length-prefixed key and value strings) that
 * starts at file byte `base`, appending to r->meta. */
static int parse_meta(struct mmt_reader *r, const uint8_t *b, size_t len, uint64_t base)
{
    if (len < 4)
        return fail(r, "metadata block too short at byte %" PRIu64, base);
    uint32_t count = mmt_get_u32(b);
    if (count > len / 8)
        return fail(r, "metadata count %" PRIu32 " too large at byte %" PRIu64, count, base);
    size_t pos = 4;
    for (uint32_t i = 0; i < count; i++) {
        char *s[2] = {NULL, NULL};
        for (int j = 0; j < 2; j++) {
            s[j] = meta_string(r, b, len, &pos, base, i);
            if (!s[j]) {
                free(s[0]);
                return -1;
            }
        }
        if (grow((void **)&r->meta, &r->meta_cap, r->nmeta + 1, sizeof *r->meta)) {
            free(s[0]);
            free(s[1]);
            return fail(r, "out of memory reading metadata");
        }
        r->meta[r->nmeta].key = s[0];
        r->meta[r->nmeta].value = s[1];
        r->nmeta++;
    }
    if (pos != len)
        return fail(r, "%zu stray bytes after the metadata at byte %" PRIu64, len - pos, base + pos);
    return 0;
}

static int read_header(struct mmt_reader *r)
{
    uint8_t h[MMT_HEADER_FIXED];
    if (r->file_bytes < MMT_HEADER_FIXED + 4 || read_at(r, 0, h, sizeof h))
        return fail(r, "not an .mmt trace (too short: %" PRIu64 " bytes)", r->file_bytes);
    if (memcmp(h, MMT_MAGIC, MMT_MAGIC_LEN))
        return fail(r, "not an .mmt trace (bad magic at byte 0)");
    if (mmt_get_u16(h + 8) != MMT_VERSION_MAJOR)
        return fail(r, "unsupported .mmt version %u at byte 8 (this reader knows %d)",
                    mmt_get_u16(h + 8), MMT_VERSION_MAJOR);
    uint32_t mlen = mmt_get_u32(h + 12);
    if (mlen > MMT_MAX_META_BYTES || MMT_HEADER_FIXED + (uint64_t)mlen + 4 > r->file_bytes)
        return fail(r, "bad header metadata length %" PRIu32 " at byte 12", mlen);
    uint8_t *b = malloc(MMT_HEADER_FIXED + (size_t)mlen + 4);
    if (!b)
        return fail(r, "out of memory reading the header");
    int rc = read_at(r, 0, b, MMT_HEADER_FIXED + (size_t)mlen + 4);
    if (!rc && mmt_crc32c(b, MMT_HEADER_FIXED + mlen) != mmt_get_u32(b + MMT_HEADER_FIXED + mlen))
        rc = fail(r, "header checksum mismatch at byte %u", MMT_HEADER_FIXED + mlen);
    if (!rc)
        rc = parse_meta(r, b + MMT_HEADER_FIXED, mlen, MMT_HEADER_FIXED);
    free(b);
    r->data_start = MMT_HEADER_FIXED + (uint64_t)mlen + 4;
    return rc;
}

/* Checks one index entry against the limits and the data area [data_start, end). */
static int check_entry(struct mmt_reader *r, const struct chunk_entry *e, uint64_t prev_end,
                       uint64_t end, size_t i)
{
    if (e->offset < prev_end || e->offset > end || end - e->offset < MMT_CHUNK_HDR ||
        end - e->offset - MMT_CHUNK_HDR < e->csize)
        return fail(r, "chunk %zu: offset %" PRIu64 " / size %" PRIu32 " outside the data area",
                    i, e->offset, e->csize);
    if (e->rsize > MMT_MAX_CHUNK_RAW || e->nrecs > MMT_MAX_CHUNK_RECORDS ||
        e->nevents > e->nrecs || e->csize > ZSTD_compressBound(MMT_MAX_CHUNK_RAW))
        return fail(r, "chunk %zu at byte %" PRIu64 ": sizes out of range", i, e->offset);
    return 0;
}

static int add_entry(struct mmt_reader *r, const struct chunk_entry *e)
{
    if (grow((void **)&r->idx, &r->idx_cap, r->nchunks + 1, sizeof *r->idx))
        return fail(r, "out of memory for the chunk index");
    r->idx[r->nchunks++] = *e;
    return 0;
}

static void parse_chunk_header(const uint8_t *h, struct chunk_entry *e, uint64_t off)
{
    e->offset = off;
    e->csize = mmt_get_u32(h + 4);
    e->rsize = mmt_get_u32(h + 8);
    e->nrecs = mmt_get_u32(h + 12);
    e->nevents = mmt_get_u32(h + 16);
}

static int set_cut(struct mmt_reader *r, uint64_t cut, const char *where)
{
    char buf[256];
    r->cut_offset = cut;
    snprintf(buf, sizeof buf,
             "no footer: cut short at byte %" PRIu64 " (%s); readable up to byte %" PRIu64
             " (%zu whole chunks)",
             r->file_bytes, where, cut, r->nchunks);
    free(r->incomplete_reason);
    r->incomplete_reason = strdup(buf);
    return 0;
}

/* No footer: walk the chunk headers from the start of the data up to the last whole one. */
static int scan_chunks(struct mmt_reader *r)
{
    uint64_t off = r->data_start;
    for (;;) {
        if (off == r->file_bytes)
            return set_cut(r, off, "between chunks");
        if (r->file_bytes - off < MMT_CHUNK_HDR)
            return set_cut(r, off, "inside a chunk header");
        uint8_t h[MMT_CHUNK_HDR];
        if (read_at(r, off, h, sizeof h))
            return -1;
        uint32_t magic = mmt_get_u32(h);
        if (magic == MMT_FOOTER_MAGIC)
            return set_cut(r, off, "inside the footer");
        if (magic != MMT_CHUNK_MAGIC)
            return fail(r, "bad chunk magic at byte %" PRIu64 " (chunk %zu)", off, r->nchunks);
        if (mmt_crc32c(h, 36) != mmt_get_u32(h + 36))
            return fail(r, "chunk header checksum mismatch at byte %" PRIu64 " (chunk %zu)", off,
                        r->nchunks);
        struct chunk_entry e;
        parse_chunk_header(h, &e, off);
        if (r->file_bytes - off - MMT_CHUNK_HDR < e.csize)
            return set_cut(r, off, "inside a chunk");
        if (check_entry(r, &e, off, r->file_bytes, r->nchunks) || add_entry(r, &e))
            return -1;
        off += MMT_CHUNK_HDR + e.csize;
    }
}

static int parse_footer(struct mmt_reader *r, const uint8_t *b, size_t len, uint64_t base)
{
    if (len < 16 + 4 || mmt_get_u32(b) != MMT_FOOTER_MAGIC)
        return fail(r, "bad footer magic at byte %" PRIu64, base);
    if (mmt_crc32c(b, len - 4) != mmt_get_u32(b + len - 4))
        return fail(r, "footer checksum mismatch at byte %" PRIu64, base + len - 4);
    r->complete = mmt_get_u32(b + 4) & 1;
    uint64_t n = mmt_get_u64(b + 8);
    size_t fixed = 16 + 8 * (1 + MMT_KIND_COUNT + 2) + 4 + 4 + 4;
    if (n > (len - fixed) / MMT_INDEX_ENTRY)
        return fail(r, "footer chunk count %" PRIu64 " too large at byte %" PRIu64, n, base + 8);
    const uint8_t *p = b + 16;
    uint64_t prev_end = r->data_start;
    for (uint64_t i = 0; i < n; i++, p += MMT_INDEX_ENTRY) {
        struct chunk_entry e = {mmt_get_u64(p), mmt_get_u32(p + 8), mmt_get_u32(p + 12),
                                mmt_get_u32(p + 16), mmt_get_u32(p + 20)};
        if (check_entry(r, &e, prev_end, base, (size_t)i) || add_entry(r, &e))
            return -1;
        prev_end = e.offset + MMT_CHUNK_HDR + e.csize;
    }
    r->totals.records = mmt_get_u64(p);
    p += 8;
    for (int k = 0; k < MMT_KIND_COUNT; k++, p += 8)
        r->totals.kinds[k] = mmt_get_u64(p);
    r->totals.threads = mmt_get_u64(p);
    r->totals.processes = mmt_get_u64(p + 8);
    uint32_t slots = mmt_get_u32(p + 16);
    p += 20;
    size_t left = len - 4 - (size_t)(p - b);
    if (slots > left / 8)
        return fail(r, "footer event slot count %" PRIu32 " too large at byte %" PRIu64, slots,
                    base + (uint64_t)(p - b) - 4);
    for (uint32_t t = 0; t < slots; t++, p += 8)
        if (t < MMT_EV_SLOTS)
            r->totals.events[t] = mmt_get_u64(p);
    left = len - 4 - (size_t)(p - b);
    if (left < 4 || mmt_get_u32(p) != left - 4)
        return fail(r, "bad footer metadata length at byte %" PRIu64, base + (uint64_t)(p - b));
    if (parse_meta(r, p + 4, left - 4, base + (uint64_t)(p - b) + 4))
        return -1;
    r->has_footer = 1;
    if (!r->complete) {
        const char *why = mmt_reader_meta(r, "incomplete_reason");
        r->incomplete_reason = strdup(why ? why : "marked incomplete by the writer");
    }
    return 0;
}

/* Reads the trailer; when it is intact, reads and parses the footer. Returns 1 when a
 * footer was found, 0 when there is none (cut short), -1 on a corrupt footer. */
static int read_footer(struct mmt_reader *r)
{
    uint8_t t[MMT_TRAILER_LEN];
    if (r->file_bytes < r->data_start + MMT_TRAILER_LEN)
        return 0;
    uint64_t toff = r->file_bytes - MMT_TRAILER_LEN;
    if (read_at(r, toff, t, sizeof t))
        return -1;
    if (memcmp(t + 16, MMT_TRAILER_MAGIC, 8))
        return 0;
    uint64_t foff = mmt_get_u64(t), flen = mmt_get_u64(t + 8);
    if (foff < r->data_start || foff > toff || flen != toff - foff || flen > (256u << 20))
        return fail(r, "trailer at byte %" PRIu64 " points outside the file (footer %" PRIu64
                       "+%" PRIu64 ")", toff, foff, flen);
    uint8_t *b = malloc((size_t)flen ? (size_t)flen : 1);
    if (!b)
        return fail(r, "out of memory reading the footer");
    int rc = read_at(r, foff, b, (size_t)flen);
    if (!rc)
        rc = parse_footer(r, b, (size_t)flen, foff);
    free(b);
    return rc ? -1 : 1;
}

struct mmt_reader *mmt_reader_open(const char *path, char *err, size_t errlen)
{
    struct mmt_reader *r = calloc(1, sizeof *r);
    if (!r || !(r->path = strdup(path))) {
        snprintf(err, errlen, "%s: out of memory", path);
        free(r);
        return NULL;
    }
    struct stat st;
    int rc = 0;
    if (!(r->f = fopen(path, "rb")))
        rc = fail(r, "cannot open: %s", strerror(errno));
    else if (fstat(fileno(r->f), &st) || !S_ISREG(st.st_mode))
        rc = fail(r, "not a regular file");
    if (!rc) {
        r->file_bytes = (uint64_t)st.st_size;
        rc = read_header(r);
    }
    if (!rc) {
        int found = read_footer(r);
        if (found < 0)
            rc = -1;
        else if (!found)
            rc = scan_chunks(r);
    }
    if (!rc && !(r->dctx = ZSTD_createDCtx()))
        rc = fail(r, "out of memory");
    if (rc) {
        snprintf(err, errlen, "%s", r->err);
        mmt_reader_close(r);
        return NULL;
    }
    return r;
}

/* ---- decoding ---- */

static const uint8_t size_of_code[8] = {1, 2, 4, 8, 16, 32, 64, 0};

/* Reads a varint whose first byte had the continuation bit; NULL on more than 10 bytes. */
static inline const uint8_t *varint_rest(const uint8_t *p, uint64_t *v)
{
    uint64_t x = *v;
    for (int shift = 7; shift < 70; shift += 7) {
        uint64_t b = *p++;
        x |= (b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *v = x;
            return shift == 63 && b > 1 ? NULL : p;
        }
    }
    return NULL;
}

#define READ_VARINT(p, v, bad)                                                                 \
    do {                                                                                       \
        uint64_t b_ = *(p)++;                                                                  \
        (v) = b_ & 0x7f;                                                                       \
        if (b_ & 0x80) {                                                                       \
            (p) = varint_rest((p), &(v));                                                      \
            if (!(p))                                                                          \
                goto bad;                                                                      \
        }                                                                                      \
    } while (0)

struct decode_ctx {
    const uint8_t *end;
    size_t nevents, events_cap;
    char *arena;
    size_t arena_used;
    struct mmt_reader *r; /* its plan tables grow as a chunk defines plans */
    size_t nplans, nplan_recs;
};

/* Decodes a PLAN record (after its tag) into the chunk's plan table. A chunk's plans hold
 * at most MMT_MAX_CHUNK_RECORDS instructions, so a corrupt chunk cannot ask for more memory
 * than its records would. */
static const uint8_t *decode_plan(struct decode_ctx *c, const uint8_t *p)
{
    uint64_t id, n;
    READ_VARINT(p, id, bad);
    READ_VARINT(p, n, bad);
    if (id != c->nplans || n == 0 || n > MMT_MAX_PLAN_INSNS ||
        c->nplan_recs + n > MMT_MAX_CHUNK_RECORDS)
        return NULL;
    struct mmt_reader *r = c->r;
    /* doubling: a chunk defines thousands of plans */
    if ((c->nplans + 1 > r->plans_cap &&
         grow((void **)&r->plans, &r->plans_cap, 2 * c->nplans + 256, sizeof *r->plans)) ||
        (c->nplan_recs + n > r->plan_recs_cap &&
         grow((void **)&r->plan_recs, &r->plan_recs_cap, 2 * (c->nplan_recs + n) + 1024,
              sizeof *r->plan_recs)) ||
        (MMT_SITE_SLOTS * (c->nplan_recs + n) > r->sites_cap &&
         grow((void **)&r->sites, &r->sites_cap, MMT_SITE_SLOTS * (2 * (c->nplan_recs + n) + 1024),
              sizeof *r->sites)))
        return NULL;
    struct mmt_rec *o = r->plan_recs + c->nplan_recs;
    uint64_t expect = 0;
    for (uint64_t i = 0; i < n; i++) {
        if (p >= c->end)
            return NULL;
        unsigned size = *p++;
        uint64_t gap;
        READ_VARINT(p, gap, bad);
        if (!size)
            return NULL;
        uint64_t a = expect + (uint64_t)mmt_unzigzag(gap);
        o[i] = (struct mmt_rec){.addr = a, .kind = MMT_IFETCH, .size = (uint8_t)size};
        expect = a + size;
    }
    memset(r->sites + MMT_SITE_SLOTS * c->nplan_recs, 0, MMT_SITE_SLOTS * n * sizeof *r->sites);
    r->plans[c->nplans++] = (struct plan){(uint32_t)c->nplan_recs, (uint32_t)n, MMT_NO_PLAN};
    c->nplan_recs += n;
    return p > c->end ? NULL : p;
bad:
    return NULL;
}

/* Decodes one event record (after its tag); returns the next position or NULL. */
static const uint8_t *decode_event(struct mmt_reader *r, struct decode_ctx *c, const uint8_t *p,
                                   struct mmt_event *ev)
{
    uint64_t type, pid, tid, res, plen;
    READ_VARINT(p, type, bad);
    READ_VARINT(p, pid, bad);
    READ_VARINT(p, tid, bad);
    READ_VARINT(p, res, bad);
    if (p >= c->end || type > 0xffff || pid > UINT32_MAX || tid > UINT32_MAX)
        return NULL;
    unsigned nargs = *p++;
    if (nargs > MMT_EVENT_MAX_ARGS)
        return NULL;
    memset(ev, 0, sizeof *ev);
    ev->type = (uint16_t)type;
    ev->nargs = (uint8_t)nargs;
    ev->pid = (uint32_t)pid;
    ev->tid = (uint32_t)tid;
    ev->result = mmt_unzigzag(res);
    for (unsigned i = 0; i < nargs; i++)
        READ_VARINT(p, ev->args[i], bad);
    READ_VARINT(p, plen, bad);
    if (p > c->end)
        return NULL;
    if (plen) {
        plen--;
        if (plen > MMT_MAX_PATH || plen > (uint64_t)(c->end - p))
            return NULL;
        char *s = c->arena + c->arena_used;
        memcpy(s, p, plen);
        s[plen] = 0;
        c->arena_used += plen + 1;
        ev->path = s;
        p += plen;
    }
    (void)r;
    return p;
bad:
    return NULL;
}

/* The decoder's running state: where it is, and the two address streams. Per stream: the
 * last address, and what each of modes 0..3 adds to it (DELTA: 0 plus the varint, SEQ: the
 * last size, STRIDE: the last delta, SAME: 0), so the common modes need no branch. */
struct dec_state {
    const uint8_t *p;
    size_t n;
    uint64_t last[2], add[2][4];
};

/* A SWITCH or EVENT record (after its tag) into *o; returns the next position, or NULL for
 * a malformed record and for any other tag. */
static const uint8_t *decode_other(struct mmt_reader *r, struct decode_ctx *c, unsigned tag,
                                   const uint8_t *p, struct mmt_rec *o)
{
    if (tag == MMT_TAG_SWITCH) {
        uint64_t pid, tid;
        READ_VARINT(p, pid, bad);
        READ_VARINT(p, tid, bad);
        if (pid > UINT32_MAX || tid > UINT32_MAX)
            return NULL;
        *o = (struct mmt_rec){.addr = tid, .kind = MMT_SWITCH, .aux = (uint32_t)pid};
        return p;
    }
    if (tag == MMT_TAG_EVENT && c->nevents < c->events_cap) {
        p = decode_event(r, c, p, &r->events[c->nevents]);
        if (p)
            *o = (struct mmt_rec){.kind = MMT_EVENT, .aux = (uint32_t)c->nevents++};
        return p;
    }
    return NULL; /* reserved tags 0xE6, 0xE7; an event beyond the header's count */
bad:
    return NULL;
}

/* The hot loop while no plan is current (imported and ptrace traces stay in it): plain
 * accesses, SWITCH, EVENT and PLAN records. Returns 0 at the end of the chunk, 1 at the
 * first record that needs a current plan (RUN, MORE, NEXT, site modes; left unread), -1
 * when corrupt. */
__attribute__((noinline)) static int decode_plain(struct mmt_reader *r, struct decode_ctx *c,
                                                  struct dec_state *d, struct mmt_rec *out,
                                                  size_t cap)
{
    const uint8_t *p = d->p, *const end = c->end;
    size_t n = d->n;
    int rc = 0;
    /* locals, not d->: stores to out[] (uint64_t fields) could alias last */
    uint64_t last[2], add[2][4];
    memcpy(last, d->last, sizeof last);
    memcpy(add, d->add, sizeof add);
    while (p < end) {
        if (__builtin_expect(n >= cap, 0))
            goto bad;
        unsigned tag = *p++;
        struct mmt_rec *o = &out[n++];
        if (__builtin_expect(tag >= 0x80, 0)) {
            if (tag >= MMT_TAG_SWITCH && tag <= MMT_TAG_PLAN) {
                if (tag == MMT_TAG_PLAN) /* not a record */
                    n--;
                p = tag == MMT_TAG_PLAN ? decode_plan(c, p) : decode_other(r, c, tag, p, o);
                if (!p)
                    goto bad;
                continue;
            }
            p--;
            n--;
            rc = 1;
            break;
        }
        unsigned kind = tag & 3, s = kind != MMT_IFETCH, mode = tag >> 5;
        unsigned size = size_of_code[(tag >> 2) & 7];
        if (!size) {
            size = *p++;
            if (!size)
                goto bad;
        }
        uint64_t a = last[s] + add[s][mode];
        if (mode == MMT_MODE_DELTA) {
            uint64_t v;
            READ_VARINT(p, v, bad);
            a += (uint64_t)mmt_unzigzag(v);
        }
        add[s][MMT_MODE_STRIDE] = a - last[s];
        add[s][MMT_MODE_SEQ] = size;
        last[s] = a;
        *o = (struct mmt_rec){.addr = a, .kind = (uint8_t)kind, .size = (uint8_t)size};
    }
    d->p = p;
    d->n = n;
    memcpy(d->last, last, sizeof last);
    memcpy(d->add, add, sizeof add);
    return rc;
bad:
    d->p = p;
    d->n = n;
    memcpy(d->last, last, sizeof last);
    memcpy(d->add, add, sizeof add);
    return -1;
}

/* The loop from the first run record of a chunk to its end: everything, with the site
 * slots and successors of format 1.2. Returns 0 at the end of the chunk, -1 when corrupt.
 * Not inlined: the two loops get their registers each. */
__attribute__((noinline)) static int decode_full(struct mmt_reader *r, struct decode_ctx *c,
                                                 struct dec_state *d, struct mmt_rec *out,
                                                 size_t cap)
{
    const uint8_t *p = d->p, *const end = c->end;
    size_t n = d->n;
    uint64_t last[2], add[2][4];
    memcpy(last, d->last, sizeof last);
    memcpy(add, d->add, sizeof add);
    /* the chunk's tables, in locals; a PLAN may move them */
    struct plan *plans = r->plans;
    const struct mmt_rec *plan_recs = r->plan_recs;
    struct site *sites = r->sites;
    struct plan *pl = NULL; /* the current plan */
    uint32_t next = 0;      /* ... and its next instruction */
    /* The site slot the next data access uses, and the one the accesses after it use (the
     * two slots of the current plan's last fetched instruction). Until a plan is current
     * they point at `none`, which takes the updates and is never read. */
    struct site none[MMT_SITE_SLOTS] = {{0, 0}, {0, 0}}, *cur = none, *cur1 = none + 1;
    while (p < end) {
        if (__builtin_expect(n >= cap, 0))
            goto bad;
        unsigned tag = *p++;
        struct mmt_rec *o = &out[n++];
        unsigned kind = tag & 3, s = kind != MMT_IFETCH, size;
        uint64_t a;
        if (__builtin_expect(tag >= 0x80, 0)) {
            if (tag > MMT_TAG_NEXT_SHORT) { /* runs and special records */
                uint64_t from, cnt;
                struct plan *to; /* the plan the run fetches from */
                if (tag > MMT_TAG_MORE_SHORT || tag == MMT_TAG_MORE) { /* continues */
                    cnt = tag - MMT_TAG_MORE_SHORT;
                    if (tag == MMT_TAG_MORE)
                        READ_VARINT(p, cnt, bad);
                    if (!pl)
                        goto bad;
                    to = pl;
                    from = next;
                } else if (tag < MMT_TAG_SPECIAL || tag == MMT_TAG_NEXT) { /* successor */
                    cnt = tag - MMT_TAG_NEXT_SHORT;
                    if (tag == MMT_TAG_NEXT)
                        READ_VARINT(p, cnt, bad);
                    if (!pl || pl->succ == MMT_NO_PLAN)
                        goto bad;
                    to = plans + pl->succ;
                    from = 0;
                } else if (tag == MMT_TAG_RUN) {
                    uint64_t id;
                    READ_VARINT(p, id, bad);
                    READ_VARINT(p, from, bad);
                    READ_VARINT(p, cnt, bad);
                    if (id >= c->nplans)
                        goto bad;
                    to = plans + id;
                    if (pl)
                        pl->succ = (uint32_t)id;
                } else if (tag == MMT_TAG_PLAN) {
                    /* not a record; the plan and site tables may move */
                    n--;
                    size_t pi = pl ? (size_t)(pl - plans) : 0;
                    size_t si = pl ? (size_t)(cur1 - sites) : 0;
                    int k1 = cur == cur1;
                    p = decode_plan(c, p);
                    if (!p)
                        goto bad;
                    plans = r->plans;
                    plan_recs = r->plan_recs;
                    sites = r->sites;
                    if (pl) {
                        pl = plans + pi;
                        cur1 = sites + si;
                        cur = k1 ? cur1 : cur1 - 1;
                    }
                    continue;
                } else {
                    p = decode_other(r, c, tag, p, o);
                    if (!p)
                        goto bad;
                    continue;
                }
                /* a fetch run: fetches from .. from+cnt-1 of plan `to` into the batch */
                n--; /* o is not used: the run's records go from here */
                if (from > to->n || cnt - 1 >= to->n - from || cnt > cap - n)
                    goto bad; /* (cnt - 1 wraps when cnt is 0) */
                const struct mmt_rec *src = plan_recs + to->off + from;
                struct mmt_rec *dst = out + n;
                if (cnt <= 2) { /* most runs between data accesses: no call */
                    dst[0] = src[0];
                    dst[cnt - 1] = src[cnt - 1];
                } else {
                    memcpy(dst, src, cnt * sizeof *out);
                }
                n += cnt;
                pl = to;
                next = (uint32_t)(from + cnt);
                cur = sites + MMT_SITE_SLOTS * ((size_t)to->off + next - 1);
                cur1 = cur + 1;
                uint64_t la = src[cnt - 1].addr;
                add[0][MMT_MODE_STRIDE] = la - (cnt >= 2 ? src[cnt - 2].addr : last[0]);
                add[0][MMT_MODE_SEQ] = src[cnt - 1].size;
                last[0] = la;
                continue;
            }
            /* modes 4 and 5: a data access predicted from its site slot */
            if (!s || !pl)
                goto bad;
            size = size_of_code[(tag >> 2) & 7];
            if (!size) {
                size = *p++;
                if (!size)
                    goto bad;
            }
            a = cur->sa + cur->sd;
            if (tag >> 5 == MMT_MODE_SITE_DELTA) {
                uint64_t v;
                READ_VARINT(p, v, bad);
                a = cur->sa + (uint64_t)mmt_unzigzag(v);
            }
        } else {
            unsigned mode = tag >> 5;
            size = size_of_code[(tag >> 2) & 7];
            if (!size) {
                size = *p++;
                if (!size)
                    goto bad;
            }
            a = last[s] + add[s][mode];
            if (mode == MMT_MODE_DELTA) {
                uint64_t v;
                READ_VARINT(p, v, bad);
                a += (uint64_t)mmt_unzigzag(v);
            }
        }
        add[s][MMT_MODE_STRIDE] = a - last[s];
        add[s][MMT_MODE_SEQ] = size;
        last[s] = a;
        if (s) { /* every data access updates its site slot, whatever its mode */
            cur->sd = a - cur->sa;
            cur->sa = a;
            cur = cur1;
        }
        *o = (struct mmt_rec){.addr = a, .kind = (uint8_t)kind, .size = (uint8_t)size};
    }
    d->p = p;
    d->n = n;
    memcpy(d->last, last, sizeof last);
    memcpy(d->add, add, sizeof add);
    return 0;
bad:
    d->p = p;
    d->n = n;
    memcpy(d->last, last, sizeof last);
    memcpy(d->add, add, sizeof add);
    return -1;
}

/* Decodes the raw chunk [p, p + rsize) into out[0..cap). Returns the number of records or
 * -1 (r->err names the chunk, record and raw byte). */
static long decode_records(struct mmt_reader *r, const struct chunk_entry *e, size_t ci,
                           const uint8_t *p, struct mmt_rec *out, size_t cap)
{
    const uint8_t *const start = p;
    struct decode_ctx c = {.end = p + e->rsize, .events_cap = e->nevents, .arena = r->arena,
                           .r = r};
    struct dec_state d = {.p = p};
    int rc = decode_plain(r, &c, &d, out, cap);
    if (rc == 1)
        rc = decode_full(r, &c, &d, out, cap);
    if (rc == 0 && d.p == c.end && c.nevents == e->nevents)
        return (long)d.n;
    if (d.p > c.end)
        d.p = c.end;
    fail(r, "chunk %zu at byte %" PRIu64 ": corrupt record %" PRIu64 " near raw byte %zu", ci,
         e->offset, r->batch_first + (d.n ? d.n - 1 : 0), (size_t)(d.p - start));
    return -1;
}

static int cut_at_chunk(struct mmt_reader *r, size_t ci, const char *why)
{
    /* Without a footer, a last chunk that does not decode is where the writer stopped. */
    char buf[320];
    snprintf(buf, sizeof buf,
             "no footer: cut short at byte %" PRIu64 " (last chunk %s); readable up to byte %" PRIu64
             " (%zu whole chunks)",
             r->file_bytes, why, r->idx[ci].offset, ci);
    free(r->incomplete_reason);
    r->incomplete_reason = strdup(buf);
    r->cut_offset = r->idx[ci].offset;
    r->nchunks = ci;
    return 0;
}

int mmt_reader_next(struct mmt_reader *r, const struct mmt_rec **recs, size_t *n)
{
    *recs = NULL;
    *n = 0;
    if (r->next_chunk >= r->nchunks)
        return 0;
    size_t ci = r->next_chunk;
    const struct chunk_entry *e = &r->idx[ci];
    uint8_t h[MMT_CHUNK_HDR];
    if (read_at(r, e->offset, h, sizeof h))
        return -1;
    if (mmt_get_u32(h) != MMT_CHUNK_MAGIC || mmt_crc32c(h, 36) != mmt_get_u32(h + 36))
        return fail(r, "chunk %zu: bad chunk header at byte %" PRIu64, ci, e->offset);
    struct chunk_entry he;
    parse_chunk_header(h, &he, e->offset);
    if (he.csize != e->csize || he.rsize != e->rsize || he.nrecs != e->nrecs ||
        he.nevents != e->nevents)
        return fail(r, "chunk %zu at byte %" PRIu64 ": header disagrees with the index", ci,
                    e->offset);
    if (grow((void **)&r->cbuf, &r->cbuf_cap, e->csize + 1, 1) ||
        grow((void **)&r->raw, &r->raw_cap, (size_t)e->rsize + MMT_RAW_PAD, 1) ||
        grow((void **)&r->recs, &r->recs_cap, e->nrecs + 1, sizeof *r->recs) ||
        grow((void **)&r->events, &r->events_cap, e->nevents + 1, sizeof *r->events) ||
        grow((void **)&r->arena, &r->arena_cap, (size_t)e->rsize + 1, 1))
        return fail(r, "out of memory decoding chunk %zu", ci);
    if (read_at(r, e->offset + MMT_CHUNK_HDR, r->cbuf, e->csize))
        return -1;
    /* Only frames with a content checksum are accepted: it is what guards the payload. */
    ZSTD_frameHeader zh;
    size_t got = ZSTD_getFrameHeader(&zh, r->cbuf, e->csize);
    if (got == 0 && !zh.checksumFlag)
        got = (size_t)-ZSTD_error_frameParameter_unsupported;
    else if (got == 0)
        got = ZSTD_decompressDCtx(r->dctx, r->raw, e->rsize, r->cbuf, e->csize);
    else if (!ZSTD_isError(got))
        got = (size_t)-ZSTD_error_srcSize_wrong; /* the frame header itself is cut */
    if (ZSTD_isError(got) || got != e->rsize) {
        if (!r->has_footer && ci + 1 == r->nchunks)
            return cut_at_chunk(r, ci, "does not decode");
        return fail(r, "chunk %zu at byte %" PRIu64 ": %s", ci, e->offset + MMT_CHUNK_HDR,
                    ZSTD_isError(got) ? ZSTD_getErrorName(got) : "decompressed size mismatch");
    }
    memset(r->raw + e->rsize, 0, MMT_RAW_PAD);
    r->batch_pid = mmt_get_u32(h + 20);
    r->batch_tid = mmt_get_u32(h + 24);
    r->batch_first = mmt_get_u64(h + 28);
    long nr = decode_records(r, e, ci, r->raw, r->recs, e->nrecs);
    if (nr < 0)
        return -1;
    if ((size_t)nr != e->nrecs)
        return fail(r, "chunk %zu at byte %" PRIu64 ": %ld records, header says %" PRIu32, ci,
                    e->offset, nr, e->nrecs);
    r->next_chunk++;
    *recs = r->recs;
    *n = (size_t)nr;
    return 1;
}

const struct mmt_event *mmt_reader_event(const struct mmt_reader *r, uint32_t idx)
{
    return &r->events[idx];
}

int mmt_reader_rewind(struct mmt_reader *r)
{
    r->next_chunk = 0;
    return 0;
}

int mmt_reader_seek_chunk(struct mmt_reader *r, uint64_t i)
{
    if (i > r->nchunks)
        return fail(r, "no chunk %" PRIu64 " (the trace has %zu)", i, r->nchunks);
    r->next_chunk = (size_t)i;
    return 0;
}

const char *mmt_reader_error(const struct mmt_reader *r)
{
    return r->err;
}

size_t mmt_reader_meta_count(const struct mmt_reader *r)
{
    return r->nmeta;
}

const struct mmt_meta *mmt_reader_meta_at(const struct mmt_reader *r, size_t i)
{
    return i < r->nmeta ? &r->meta[i] : NULL;
}

const char *mmt_reader_meta(const struct mmt_reader *r, const char *key)
{
    for (size_t i = r->nmeta; i-- > 0;)
        if (!strcmp(r->meta[i].key, key))
            return r->meta[i].value;
    return NULL;
}

int mmt_reader_complete(const struct mmt_reader *r)
{
    return r->has_footer && r->complete;
}

const char *mmt_reader_incomplete_reason(const struct mmt_reader *r)
{
    return mmt_reader_complete(r) ? NULL : r->incomplete_reason;
}

uint64_t mmt_reader_chunks(const struct mmt_reader *r)
{
    return r->nchunks;
}

uint64_t mmt_reader_file_bytes(const struct mmt_reader *r)
{
    return r->file_bytes;
}

int mmt_reader_totals(const struct mmt_reader *r, struct mmt_totals *t)
{
    if (!r->has_footer)
        return -1;
    *t = r->totals;
    return 0;
}

int mmt_reader_chunk_info(const struct mmt_reader *r, size_t i, struct mmt_chunk_info *ci)
{
    if (i >= r->nchunks)
        return -1;
    ci->offset = r->idx[i].offset;
    ci->compressed_bytes = r->idx[i].csize;
    ci->raw_bytes = r->idx[i].rsize;
    ci->records = r->idx[i].nrecs;
    ci->events = r->idx[i].nevents;
    return 0;
}

void mmt_reader_batch_context(const struct mmt_reader *r, uint32_t *pid, uint32_t *tid,
                              uint64_t *first_record)
{
    if (pid)
        *pid = r->batch_pid;
    if (tid)
        *tid = r->batch_tid;
    if (first_record)
        *first_record = r->batch_first;
}

uint64_t mmt_reader_cut_offset(const struct mmt_reader *r)
{
    return r->has_footer ? r->file_bytes : r->cut_offset;
}

void mmt_reader_close(struct mmt_reader *r)
{
    if (!r)
        return;
    if (r->f)
        fclose(r->f);
    for (size_t i = 0; i < r->nmeta; i++) {
        free((char *)r->meta[i].key);
        free((char *)r->meta[i].value);
    }
    free(r->meta);
    free(r->incomplete_reason);
    free(r->idx);
    free(r->cbuf);
    free(r->raw);
    free(r->recs);
    free(r->events);
    free(r->arena);
    free(r->plans);
    free(r->plan_recs);
    free(r->sites);
    ZSTD_freeDCtx(r->dctx);
    free(r->path);
    free(r);
}
