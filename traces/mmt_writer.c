/* mmt_writer.c - the streaming .mmt writer (layout in traces/FORMAT.md).
 *
 * Records are encoded into a raw chunk buffer; when the chunk holds chunk_records records
 * (or its buffer is nearly full) it is compressed as one zstd frame with a content checksum
 * and written after a small chunk header. Memory is bounded by one chunk. The header is
 * written lazily with the first record, so metadata set before it lands in the header and
 * metadata set later lands in the footer.
 *
 * Compression runs on a thread of the writer's own (started with the first full chunk):
 * the encoder fills one raw buffer while zstd compresses and writes the other, so a
 * recorder's encoding and compression overlap on two cores. Only that thread touches the
 * file between the header and the footer; its errors reach the caller at the next chunk
 * or at close. */
#include "traces/mmt.h"
#include "traces/mmt_format.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
/* for ZSTD_c_literalCompressionMode; with a libzstd that lacks it the default stays */
#define ZSTD_STATIC_LINKING_ONLY
#include <zstd.h>

/* The state an access stream (fetches, data) is encoded against: traces/FORMAT.md. */
struct mmt_stream {
    uint64_t addr, size, delta;
};

static const uint8_t mmt_size_code_of[65] = {
    [1] = 1, [2] = 2, [4] = 3, [8] = 4, [16] = 5, [32] = 6, [64] = 7,
}; /* code + 1; 0 means "size in an extra byte" */

/* The mode of an access against its stream's state (traces/FORMAT.md, "Access records"). */
static inline unsigned mmt_access_mode(const struct mmt_stream *s, uint64_t addr)
{
    if (addr == s->addr + s->size)
        return MMT_MODE_SEQ;
    if (addr == s->addr + s->delta)
        return MMT_MODE_STRIDE;
    if (addr == s->addr)
        return MMT_MODE_SAME;
    return MMT_MODE_DELTA;
}

/* Encodes one access at p against the stream's state s; returns the end. The caller has
 * checked kind (0..3) and size (1..255). */
static inline uint8_t *mmt_encode_access(uint8_t *p, struct mmt_stream *s, unsigned kind,
                                          uint64_t addr, unsigned size)
{
    unsigned mode = mmt_access_mode(s, addr);
    unsigned code = size <= 64 ? mmt_size_code_of[size] : 0;
    code = code ? code - 1 : MMT_TAG_SIZE_EXTRA;
    *p++ = (uint8_t)(kind | (code << 2) | (mode << 5));
    if (code == MMT_TAG_SIZE_EXTRA)
        *p++ = (uint8_t)size;
    if (mode == MMT_MODE_DELTA)
        p += mmt_put_varint(p, mmt_zigzag((int64_t)(addr - s->addr)));
    s->delta = addr - s->addr;
    s->addr = addr;
    s->size = size;
    return p;
}

struct meta_list {
    char **keys, **values;
    size_t n, cap;
};



/* Raw chunk buffers: one being filled, the others waiting for (or in) compression, so a
 * burst of slow chunks does not stall the encoder. */
#define MMT_RAW_BUFFERS 8

struct chunk_entry {
    uint64_t offset;
    uint32_t csize, rsize, nrecs, nevents;
};


/* A chunk handed to the compression thread. */
struct chunk_job {
    const uint8_t *raw;
    size_t raw_len;
    uint32_t nrecs, nevents, pid, tid;
    uint64_t first_record;
};

struct compressor {
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    int started, quit;
    struct chunk_job jobs[MMT_RAW_BUFFERS]; /* a FIFO: chunks waiting, the first in hand */
    unsigned head, njobs;
    int failed;    /* the thread's first error, in err (under mu) */
    char err[512];
    int tfailed;   /* the same, private to the thread until it takes mu */
    char terr[512];
};

struct mmt_writer {
    FILE *f;
    char *path;
    char err[512];
    int failed;
    int header_written;
    char *incomplete_reason;
    int zstd_level;
    size_t chunk_records;
    int flush_every_chunk;
    struct meta_list header_meta, footer_meta;

    uint8_t *raw;           /* the buffer being filled: one of rawbuf[] */
    uint8_t *rawbuf[MMT_RAW_BUFFERS];
    unsigned rawidx;        /* raw == rawbuf[rawidx] */
    size_t raw_len, raw_limit;
    uint32_t chunk_recs, chunk_events;
    struct mmt_stream st[2]; /* instruction fetches, data accesses */
    uint32_t cur_pid, cur_tid, chunk_pid, chunk_tid;

    uint64_t offset; /* bytes written to the file so far */
    struct chunk_entry *idx;
    size_t nidx, idx_cap;
    uint64_t records, kinds[MMT_KIND_COUNT], events[MMT_EV_SLOTS];
    struct mmt_idset tids, pids;

    ZSTD_CCtx *cctx;
    void *cbuf;
    size_t cbuf_cap;
    struct compressor comp;
    atomic_uint_fast64_t bytes_out; /* w->offset, readable from any thread */
};

/* "PATH: message" into buf; the one place the writer's error texts are formatted. */
static void format_error(char *buf, size_t len, const char *path, const char *fmt, va_list ap)
    __attribute__((format(printf, 4, 0)));
static void format_error(char *buf, size_t len, const char *path, const char *fmt, va_list ap)
{
    int n = snprintf(buf, len, "%s: ", path);
    if (n >= 0 && (size_t)n < len)
        vsnprintf(buf + n, len - (size_t)n, fmt, ap);
}

static int fail(struct mmt_writer *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct mmt_writer *w, const char *fmt, ...)
{
    if (w->failed)
        return -1; /* keep the first error: it is the cause */
    va_list ap;
    va_start(ap, fmt);
    format_error(w->err, sizeof w->err, w->path, fmt, ap);
    va_end(ap);
    w->failed = 1;
    return -1;
}

static int write_bytes(struct mmt_writer *w, const void *p, size_t n)
{
    if (w->failed)
        return -1;
    if (n && fwrite(p, 1, n, w->f) != n)
        return fail(w, "write failed at byte %" PRIu64 ": %s", w->offset, strerror(errno));
    w->offset += n;
    atomic_store(&w->bytes_out, w->offset);
    return 0;
}


static int meta_add(struct meta_list *m, const char *key, const char *value)
{
    if (m->n == m->cap) {
        size_t ncap = m->cap ? 2 * m->cap : 16;
        char **nk = realloc(m->keys, ncap * sizeof *nk);
        if (!nk)
            return -1;
        m->keys = nk;
        char **nv = realloc(m->values, ncap * sizeof *nv);
        if (!nv)
            return -1;
        m->values = nv;
        m->cap = ncap;
    }
    char *k = strdup(key), *v = strdup(value);
    if (!k || !v) {
        free(k);
        free(v);
        return -1;
    }
    m->keys[m->n] = k;
    m->values[m->n] = v;
    m->n++;
    return 0;
}

static void meta_free(struct meta_list *m)
{
    for (size_t i = 0; i < m->n; i++) {
        free(m->keys[i]);
        free(m->values[i]);
    }
    free(m->keys);
    free(m->values);
}

/* Serialises a metadata list: u32 count, then u32 length + bytes for each key and value. */
static uint8_t *meta_serialise(const struct meta_list *m, size_t *len)
{
    size_t n = 4;
    for (size_t i = 0; i < m->n; i++)
        n += 8 + strlen(m->keys[i]) + strlen(m->values[i]);
    uint8_t *b = malloc(n), *p = b;
    if (!b)
        return NULL;
    mmt_put_u32(p, (uint32_t)m->n);
    p += 4;
    for (size_t i = 0; i < m->n; i++) {
        const char *s[2] = {m->keys[i], m->values[i]};
        for (int j = 0; j < 2; j++) {
            size_t l = strlen(s[j]);
            mmt_put_u32(p, (uint32_t)l);
            memcpy(p + 4, s[j], l);
            p += 4 + l;
        }
    }
    *len = n;
    return b;
}

static int write_header(struct mmt_writer *w)
{
    size_t mlen;
    uint8_t *meta = meta_serialise(&w->header_meta, &mlen);
    if (!meta)
        return fail(w, "out of memory writing the header");
    if (mlen > MMT_MAX_META_BYTES) {
        free(meta);
        return fail(w, "header metadata too large (%zu bytes, limit %u)", mlen, MMT_MAX_META_BYTES);
    }
    size_t n = MMT_HEADER_FIXED + mlen + 4;
    uint8_t *h = malloc(n);
    if (!h) {
        free(meta);
        return fail(w, "out of memory writing the header");
    }
    memcpy(h, MMT_MAGIC, MMT_MAGIC_LEN);
    mmt_put_u16(h + 8, MMT_VERSION_MAJOR);
    mmt_put_u16(h + 10, MMT_VERSION_MINOR);
    mmt_put_u32(h + 12, (uint32_t)mlen);
    memcpy(h + MMT_HEADER_FIXED, meta, mlen);
    mmt_put_u32(h + MMT_HEADER_FIXED + mlen, mmt_crc32c(h, MMT_HEADER_FIXED + mlen));
    int rc = write_bytes(w, h, n);
    free(h);
    free(meta);
    w->header_written = 1;
    return rc;
}

struct mmt_writer *mmt_writer_open(const char *path, const struct mmt_writer_opts *opts,
                                   char *err, size_t errlen)
{
    struct mmt_writer *w = calloc(1, sizeof *w);
    if (!w || !(w->path = strdup(path))) {
        snprintf(err, errlen, "%s: out of memory", path);
        free(w);
        return NULL;
    }
    w->zstd_level = opts && opts->zstd_level ? opts->zstd_level : 3;
    w->chunk_records = opts && opts->chunk_records ? opts->chunk_records : (1u << 18);
    if (w->chunk_records > MMT_MAX_CHUNK_RECORDS)
        w->chunk_records = MMT_MAX_CHUNK_RECORDS;
    w->flush_every_chunk = opts ? opts->flush_every_chunk : 0;
    /* An access record takes at most 12 bytes; an event at most ~4200. */
    w->raw_limit = w->chunk_records * 12 + 8192;
    if (w->raw_limit > MMT_MAX_CHUNK_RAW - 8192)
        w->raw_limit = MMT_MAX_CHUNK_RAW - 8192;
    /* the other raw buffers are allocated when a trace grows to need them */
    int raw_ok = (w->rawbuf[0] = malloc(w->raw_limit + 8192)) != NULL;
    w->raw = w->rawbuf[0];
    w->cbuf_cap = ZSTD_compressBound(w->raw_limit + 8192);
    w->cbuf = malloc(w->cbuf_cap);
    w->cctx = ZSTD_createCCtx();
    if (!raw_ok || !w->cbuf || !w->cctx) {
        snprintf(err, errlen, "%s: out of memory", path);
        mmt_writer_set_incomplete(w, "open failed");
        w->failed = 1;
        mmt_writer_close(w, NULL, 0);
        return NULL;
    }
    ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_compressionLevel, w->zstd_level);
    ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_checksumFlag, 1);
    /* At the fastest levels (a recorder keeping up with a program) literals stay raw: on a
     * DBI trace zstd then runs ~20% faster for ~8% more bytes (docs/capture.md). */
    if (w->zstd_level <= 1)
        ZSTD_CCtx_setParameter(w->cctx, ZSTD_c_literalCompressionMode, ZSTD_ps_disable);
    w->f = fopen(path, "wb");
    if (!w->f) {
        snprintf(err, errlen, "%s: cannot create: %s", path, strerror(errno));
        w->failed = 1;
        mmt_writer_close(w, NULL, 0);
        return NULL;
    }
    return w;
}

int mmt_writer_meta(struct mmt_writer *w, const char *key, const char *value)
{
    if (w->failed)
        return -1;
    if (!key || !*key || !value)
        return fail(w, "metadata key and value must be non-empty strings");
    if (meta_add(w->header_written ? &w->footer_meta : &w->header_meta, key, value))
        return fail(w, "out of memory adding metadata '%s'", key);
    return 0;
}

/* ---- the compression thread ---- */

static int comp_fail(struct mmt_writer *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int comp_fail(struct mmt_writer *w, const char *fmt, ...)
{
    struct compressor *c = &w->comp;
    if (c->tfailed)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    format_error(c->terr, sizeof c->terr, w->path, fmt, ap);
    va_end(ap);
    c->tfailed = 1;
    return -1;
}

static int comp_write(struct mmt_writer *w, const void *p, size_t n)
{
    if (n && fwrite(p, 1, n, w->f) != n)
        return comp_fail(w, "write failed at byte %" PRIu64 ": %s", w->offset, strerror(errno));
    w->offset += n;
    return 0;
}

/* Compresses one chunk, writes its header and frame, adds it to the index. */
static int compress_chunk(struct mmt_writer *w, const struct chunk_job *j)
{
    size_t c = ZSTD_compress2(w->cctx, w->cbuf, w->cbuf_cap, j->raw, j->raw_len);
    if (ZSTD_isError(c))
        return comp_fail(w, "zstd compression of chunk %zu failed: %s", w->nidx,
                         ZSTD_getErrorName(c));
    if (w->nidx == w->idx_cap) {
        size_t ncap = w->idx_cap ? 2 * w->idx_cap : 64;
        struct chunk_entry *n = realloc(w->idx, ncap * sizeof *n);
        if (!n)
            return comp_fail(w, "out of memory growing the chunk index");
        w->idx = n;
        w->idx_cap = ncap;
    }
    struct chunk_entry *e = &w->idx[w->nidx];
    e->offset = w->offset;
    e->csize = (uint32_t)c;
    e->rsize = (uint32_t)j->raw_len;
    e->nrecs = j->nrecs;
    e->nevents = j->nevents;
    uint8_t h[MMT_CHUNK_HDR];
    mmt_put_u32(h, MMT_CHUNK_MAGIC);
    mmt_put_u32(h + 4, e->csize);
    mmt_put_u32(h + 8, e->rsize);
    mmt_put_u32(h + 12, e->nrecs);
    mmt_put_u32(h + 16, e->nevents);
    mmt_put_u32(h + 20, j->pid);
    mmt_put_u32(h + 24, j->tid);
    mmt_put_u64(h + 28, j->first_record);
    mmt_put_u32(h + 36, mmt_crc32c(h, 36));
    if (comp_write(w, h, sizeof h) || comp_write(w, w->cbuf, c))
        return -1;
    w->nidx++;
    if (fflush(w->f))
        return comp_fail(w, "write failed at byte %" PRIu64 ": %s", w->offset, strerror(errno));
    if (w->flush_every_chunk && fsync(fileno(w->f)))
        return comp_fail(w, "fsync failed at byte %" PRIu64 ": %s", w->offset, strerror(errno));
    atomic_store(&w->bytes_out, w->offset);
    return 0;
}

static void *compressor_main(void *arg)
{
    struct mmt_writer *w = arg;
    struct compressor *c = &w->comp;
    pthread_mutex_lock(&c->mu);
    for (;;) {
        while (!c->njobs && !c->quit)
            pthread_cond_wait(&c->cv, &c->mu);
        if (!c->njobs)
            break;
        struct chunk_job j = c->jobs[c->head];
        int failed = c->failed;
        pthread_mutex_unlock(&c->mu);
        if (!failed)
            compress_chunk(w, &j); /* an error goes to c->terr */
        pthread_mutex_lock(&c->mu);
        if (c->tfailed && !c->failed) {
            memcpy(c->err, c->terr, sizeof c->err);
            c->failed = 1;
        }
        c->head = (c->head + 1) % MMT_RAW_BUFFERS;
        c->njobs--;
        pthread_cond_broadcast(&c->cv);
    }
    pthread_mutex_unlock(&c->mu);
    return NULL;
}

/* Waits until the thread has no chunk in hand, and takes over its error. Call with the
 * mutex held. */
static void wait_idle_locked(struct mmt_writer *w)
{
    struct compressor *c = &w->comp;
    while (c->njobs)
        pthread_cond_wait(&c->cv, &c->mu);
    if (c->failed && !w->failed) {
        memcpy(w->err, c->err, sizeof w->err);
        w->failed = 1;
    }
}

static int start_compressor(struct mmt_writer *w)
{
    struct compressor *c = &w->comp;
    if (pthread_mutex_init(&c->mu, NULL))
        return fail(w, "cannot create the compression thread's mutex");
    if (pthread_cond_init(&c->cv, NULL)) {
        pthread_mutex_destroy(&c->mu);
        return fail(w, "cannot create the compression thread's condition");
    }
    if (pthread_create(&c->thread, NULL, compressor_main, w)) {
        pthread_cond_destroy(&c->cv);
        pthread_mutex_destroy(&c->mu);
        return fail(w, "cannot start the compression thread");
    }
    c->started = 1;
    return 0;
}

/* Waits for the last chunk to be written and stops the thread. */
static void stop_compressor(struct mmt_writer *w)
{
    struct compressor *c = &w->comp;
    if (!c->started)
        return;
    pthread_mutex_lock(&c->mu);
    wait_idle_locked(w);
    c->quit = 1;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
    pthread_join(c->thread, NULL);
    pthread_cond_destroy(&c->cv);
    pthread_mutex_destroy(&c->mu);
    c->started = 0;
}

/* Hands the chunk being filled to the compression thread and starts filling the other
 * buffer (once the thread is done with it). */
static int flush_chunk(struct mmt_writer *w)
{
    if (w->chunk_recs == 0 || w->failed)
        return w->failed ? -1 : 0;
    struct compressor *c = &w->comp;
    unsigned next = (w->rawidx + 1) % MMT_RAW_BUFFERS;
    if (!w->rawbuf[next] && !(w->rawbuf[next] = malloc(w->raw_limit + 8192)))
        return fail(w, "out of memory for a chunk buffer (%zu bytes)", w->raw_limit + 8192);
    if (!c->started && start_compressor(w))
        return -1;
    pthread_mutex_lock(&c->mu);
    /* The next buffer is free once fewer than all the others wait for the thread. */
    while (c->njobs == MMT_RAW_BUFFERS - 1)
        pthread_cond_wait(&c->cv, &c->mu);
    if (c->failed && !w->failed) {
        memcpy(w->err, c->err, sizeof w->err);
        w->failed = 1;
    }
    if (w->failed) {
        pthread_mutex_unlock(&c->mu);
        return -1;
    }
    c->jobs[(c->head + c->njobs) % MMT_RAW_BUFFERS] =
        (struct chunk_job){w->raw, w->raw_len, w->chunk_recs, w->chunk_events,
                           w->chunk_pid, w->chunk_tid, w->records - w->chunk_recs};
    c->njobs++;
    pthread_cond_broadcast(&c->cv);
    pthread_mutex_unlock(&c->mu);
    w->rawidx = next;
    w->raw = w->rawbuf[next];
    w->raw_len = 0;
    w->chunk_recs = 0;
    w->chunk_events = 0;
    memset(w->st, 0, sizeof w->st);
    w->chunk_pid = w->cur_pid;
    w->chunk_tid = w->cur_tid;
    return 0;
}

/* Called before every record: writes the header first, flushes a full chunk. */
static inline int begin_record(struct mmt_writer *w)
{
    if (__builtin_expect(w->failed, 0))
        return -1;
    if (__builtin_expect(!w->header_written, 0) && write_header(w))
        return -1;
    if (__builtin_expect(w->chunk_recs >= w->chunk_records || w->raw_len >= w->raw_limit, 0))
        return flush_chunk(w);
    return 0;
}

int mmt_writer_access(struct mmt_writer *w, unsigned kind, uint64_t addr, unsigned size)
{
    if (kind > MMT_MODIFY || size == 0 || size > 255)
        return fail(w, "record %" PRIu64 ": bad access (kind %u, size %u)", w->records, kind, size);
    if (begin_record(w))
        return -1;
    uint8_t *p = mmt_encode_access(w->raw + w->raw_len, &w->st[kind != MMT_IFETCH], kind, addr, size);
    w->raw_len = (size_t)(p - w->raw);
    w->chunk_recs++;
    w->records++;
    w->kinds[kind]++;
    return 0;
}

int mmt_writer_switch(struct mmt_writer *w, uint32_t pid, uint32_t tid)
{
    if (begin_record(w))
        return -1;
    uint8_t *p = w->raw + w->raw_len;
    *p++ = MMT_TAG_SWITCH;
    p += mmt_put_varint(p, pid);
    p += mmt_put_varint(p, tid);
    w->raw_len = (size_t)(p - w->raw);
    w->cur_pid = pid;
    w->cur_tid = tid;
    if (mmt_idset_add(&w->pids, pid) < 0 || mmt_idset_add(&w->tids, ((uint64_t)pid << 32) | tid) < 0)
        return fail(w, "out of memory counting threads");
    w->chunk_recs++;
    w->records++;
    w->kinds[MMT_SWITCH]++;
    return 0;
}

int mmt_writer_event(struct mmt_writer *w, const struct mmt_event *ev)
{
    if (ev->nargs > MMT_EVENT_MAX_ARGS)
        return fail(w, "record %" PRIu64 ": event with %u arguments (at most %d)", w->records,
                    ev->nargs, MMT_EVENT_MAX_ARGS);
    size_t plen = ev->path ? strlen(ev->path) : 0;
    if (plen > MMT_MAX_PATH)
        return fail(w, "record %" PRIu64 ": event path longer than %d bytes", w->records, MMT_MAX_PATH);
    if (begin_record(w))
        return -1;
    uint8_t *p = w->raw + w->raw_len;
    *p++ = MMT_TAG_EVENT;
    p += mmt_put_varint(p, ev->type);
    p += mmt_put_varint(p, ev->pid);
    p += mmt_put_varint(p, ev->tid);
    p += mmt_put_varint(p, mmt_zigzag(ev->result));
    *p++ = ev->nargs;
    for (unsigned i = 0; i < ev->nargs; i++)
        p += mmt_put_varint(p, ev->args[i]);
    p += mmt_put_varint(p, ev->path ? plen + 1 : 0);
    memcpy(p, ev->path ? ev->path : "", plen);
    p += plen;
    w->raw_len = (size_t)(p - w->raw);
    w->chunk_recs++;
    w->chunk_events++;
    w->records++;
    w->kinds[MMT_EVENT]++;
    w->events[ev->type < MMT_EV_SLOTS ? ev->type : 0]++;
    return 0;
}

size_t mmt_writer_chunk_capacity(const struct mmt_writer *w)
{
    return w->raw_limit; /* the buffer has 8 KiB more: room for the SWITCH in front */
}

static int count_threads(struct mmt_writer *w, uint32_t pid, uint32_t tid)
{
    if (mmt_idset_add(&w->pids, pid) < 0 || mmt_idset_add(&w->tids, ((uint64_t)pid << 32) | tid) < 0)
        return fail(w, "out of memory counting threads");
    return 0;
}

_Static_assert(sizeof ((struct mmt_chunk_in *)0)->events == MMT_EV_SLOTS * sizeof(uint64_t),
               "mmt_chunk_in.events has one slot per event type");

int mmt_writer_put_chunk(struct mmt_writer *w, const struct mmt_chunk_in *c)
{
    if (c->len > w->raw_limit || c->nrecs >= MMT_MAX_CHUNK_RECORDS || c->nevents > c->nrecs)
        return fail(w, "record %" PRIu64 ": a pre-encoded chunk of %zu bytes, %u records, %u "
                    "events is out of bounds", w->records, c->len, c->nrecs, c->nevents);
    if (begin_record(w) || flush_chunk(w))
        return -1;
    if ((c->pid != w->cur_pid || c->tid != w->cur_tid) && mmt_writer_switch(w, c->pid, c->tid))
        return -1;
    memcpy(w->raw + w->raw_len, c->raw, c->len);
    w->raw_len += c->len;
    w->chunk_recs += c->nrecs;
    w->chunk_events += c->nevents;
    w->records += c->nrecs;
    for (int k = 0; k < MMT_KIND_COUNT; k++)
        w->kinds[k] += c->kinds[k];
    for (int t = 0; t < MMT_EV_SLOTS; t++)
        w->events[t] += c->events[t];
    for (size_t i = 0; i < c->ntids; i++)
        if (count_threads(w, c->pid, c->tids[i]))
            return -1;
    w->cur_tid = c->end_tid;
    return flush_chunk(w);
}

void mmt_writer_set_incomplete(struct mmt_writer *w, const char *reason)
{
    free(w->incomplete_reason);
    w->incomplete_reason = strdup(reason && *reason ? reason : "unknown");
}

static int write_footer(struct mmt_writer *w)
{
    if (w->incomplete_reason && mmt_writer_meta(w, "incomplete_reason", w->incomplete_reason))
        return -1;
    size_t mlen;
    uint8_t *meta = meta_serialise(&w->footer_meta, &mlen);
    if (!meta)
        return fail(w, "out of memory writing the footer");
    size_t n = 16 + w->nidx * MMT_INDEX_ENTRY + 8 * (1 + MMT_KIND_COUNT + 2) + 4 +
               8 * MMT_EV_SLOTS + 4 + mlen + 4;
    uint8_t *b = malloc(n), *p = b;
    if (!b) {
        free(meta);
        return fail(w, "out of memory writing the footer");
    }
    mmt_put_u32(p, MMT_FOOTER_MAGIC);
    mmt_put_u32(p + 4, w->incomplete_reason ? 0 : 1);
    mmt_put_u64(p + 8, w->nidx);
    p += 16;
    for (size_t i = 0; i < w->nidx; i++, p += MMT_INDEX_ENTRY) {
        mmt_put_u64(p, w->idx[i].offset);
        mmt_put_u32(p + 8, w->idx[i].csize);
        mmt_put_u32(p + 12, w->idx[i].rsize);
        mmt_put_u32(p + 16, w->idx[i].nrecs);
        mmt_put_u32(p + 20, w->idx[i].nevents);
    }
    mmt_put_u64(p, w->records);
    p += 8;
    for (int k = 0; k < MMT_KIND_COUNT; k++, p += 8)
        mmt_put_u64(p, w->kinds[k]);
    mmt_put_u64(p, w->tids.n);
    mmt_put_u64(p + 8, w->pids.n);
    mmt_put_u32(p + 16, MMT_EV_SLOTS);
    p += 20;
    for (int t = 0; t < MMT_EV_SLOTS; t++, p += 8)
        mmt_put_u64(p, w->events[t]);
    mmt_put_u32(p, (uint32_t)mlen);
    memcpy(p + 4, meta, mlen);
    p += 4 + mlen;
    mmt_put_u32(p, mmt_crc32c(b, (size_t)(p - b)));
    uint64_t footer_off = w->offset;
    uint8_t t[MMT_TRAILER_LEN];
    mmt_put_u64(t, footer_off);
    mmt_put_u64(t + 8, n);
    memcpy(t + 16, MMT_TRAILER_MAGIC, 8);
    int rc = write_bytes(w, b, n) || write_bytes(w, t, sizeof t) ? -1 : 0;
    free(b);
    free(meta);
    return rc;
}

int mmt_writer_close(struct mmt_writer *w, char *err, size_t errlen)
{
    if (!w)
        return -1;
    if (w->f && !w->failed) {
        if (!w->header_written)
            write_header(w);
        flush_chunk(w);
        stop_compressor(w);
        if (!w->failed)
            write_footer(w);
        if (!w->failed && fflush(w->f))
            fail(w, "write failed at byte %" PRIu64 ": %s", w->offset, strerror(errno));
        if (!w->failed && w->flush_every_chunk && fsync(fileno(w->f)))
            fail(w, "fsync failed at byte %" PRIu64 ": %s", w->offset, strerror(errno));
    }
    stop_compressor(w); /* after a failure: the thread may still hold a chunk */
    if (w->f && fclose(w->f) && !w->failed)
        fail(w, "close failed: %s", strerror(errno));
    int rc = w->failed ? -1 : 0;
    if (rc && err && errlen)
        snprintf(err, errlen, "%s", w->err);
    meta_free(&w->header_meta);
    meta_free(&w->footer_meta);
    free(w->tids.slots);
    free(w->pids.slots);
    free(w->idx);
    for (int i = 0; i < MMT_RAW_BUFFERS; i++)
        free(w->rawbuf[i]);
    free(w->cbuf);
    ZSTD_freeCCtx(w->cctx);
    free(w->incomplete_reason);
    free(w->path);
    free(w);
    return rc;
}

const char *mmt_writer_error(const struct mmt_writer *w)
{
    return w->err;
}

uint64_t mmt_writer_records(const struct mmt_writer *w)
{
    return w->records;
}

uint64_t mmt_writer_bytes(const struct mmt_writer *w)
{
    return atomic_load(&((struct mmt_writer *)w)->bytes_out);
}
