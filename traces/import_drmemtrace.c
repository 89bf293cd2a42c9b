/* import_drmemtrace.c - DynamoRIO drmemtrace offline traces (the post-processed trace/
 * folder: one file per thread of 12-byte trace_entry_t, see traces/foreign.h), as drmemtrace
 * writes them: a .zip per thread whose components are chunks of the trace, a gzip file, a
 * zstd file, or plain entries.
 *
 * Threads are interleaved the way drmemtrace's own serial reader does: each thread's stream
 * is cut at its timestamp markers (written where the tracer flushed a buffer), and the pieces
 * go out in timestamp order, with a SWITCH record whenever the thread changes. Instruction
 * fetches become MMT_IFETCH (bundles are expanded), reads and writes MMT_LOAD/MMT_STORE
 * (pieces of 64 bytes past 255); prefetches, flushes, non-fetched instructions (rep
 * iterations), encodings and other markers are counted and skipped. The page-size, cache-line,
 * version and file-type markers become metadata (drmemtrace.page_size, ...). */
#include "traces/import.h"

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <zip.h>
#include <zlib.h>
#include <zstd.h>

#include "traces/foreign.h"

/* ---- one thread's file: plain, gzip, zstd, or a zip of chunk components ---- */
enum drm_codec { DRM_PLAIN, DRM_GZIP, DRM_ZSTD, DRM_ZIP };

struct drm_src {
    char name[512]; /* for messages: the file, and ":COMPONENT" inside a zip */
    enum drm_codec codec;
    FILE *f;
    int own_f;
    uint8_t prefix[4]; /* the magic bytes already read from f */
    size_t nprefix, prefix_pos;
    int raw_eof;
    uint8_t inbuf[1 << 16];
    size_t in_pos, in_len;
    z_stream z;
    int z_live, z_end;
    ZSTD_DStream *zs;
    size_t zs_last; /* ZSTD_decompressStream's last hint: 0 when a frame just ended */
    zip_t *zip;
    zip_file_t *zf;
    zip_int64_t zip_entries, zip_next;
    uint64_t pos; /* decoded bytes read from the file (or the current zip component) */
};

static size_t raw_read(struct drm_src *s, uint8_t *buf, size_t n)
{
    size_t got = 0;
    while (got < n && s->prefix_pos < s->nprefix)
        buf[got++] = s->prefix[s->prefix_pos++];
    if (got < n && !s->raw_eof) {
        size_t r = fread(buf + got, 1, n - got, s->f);
        if (r < n - got)
            s->raw_eof = 1;
        got += r;
    }
    return got;
}

static int fill_inbuf(struct drm_src *s)
{
    if (s->in_pos < s->in_len)
        return 1;
    s->in_len = raw_read(s, s->inbuf, sizeof s->inbuf);
    s->in_pos = 0;
    return s->in_len > 0;
}

static long gz_read(struct drm_src *s, uint8_t *out, size_t n, const char **why)
{
    size_t got = 0;
    while (got < n) {
        if (s->z_end) { /* another gzip member may follow (concatenated files) */
            if (!fill_inbuf(s))
                break;
            inflateReset(&s->z);
            s->z_end = 0;
        }
        if (!fill_inbuf(s)) {
            *why = "gzip stream cut short";
            return -1;
        }
        s->z.next_in = s->inbuf + s->in_pos;
        s->z.avail_in = (uInt)(s->in_len - s->in_pos);
        s->z.next_out = out + got;
        s->z.avail_out = (uInt)(n - got);
        int r = inflate(&s->z, Z_NO_FLUSH);
        s->in_pos = s->in_len - s->z.avail_in;
        got = n - s->z.avail_out;
        if (r == Z_STREAM_END)
            s->z_end = 1;
        else if (r != Z_OK && r != Z_BUF_ERROR) {
            *why = r == Z_MEM_ERROR ? "out of memory in the gzip decoder" : "gzip data corrupt";
            return -1;
        }
    }
    return (long)got;
}

static long zstd_read(struct drm_src *s, uint8_t *out, size_t n, const char **why)
{
    ZSTD_outBuffer ob = {out, n, 0};
    while (ob.pos < n) {
        if (!fill_inbuf(s)) {
            if (s->zs_last) {
                *why = "zstd stream cut short";
                return -1;
            }
            break;
        }
        ZSTD_inBuffer ib = {s->inbuf, s->in_len, s->in_pos};
        size_t r = ZSTD_decompressStream(s->zs, &ob, &ib);
        s->in_pos = ib.pos;
        if (ZSTD_isError(r)) {
            *why = ZSTD_getErrorName(r);
            return -1;
        }
        s->zs_last = r;
    }
    return (long)ob.pos;
}

/* Opens the next component of the zip; 0 when there is none, -1 on error. */
static int zip_next_component(struct drm_src *s, char *base, const char **why)
{
    if (s->zf)
        zip_fclose(s->zf);
    s->zf = NULL;
    if (s->zip_next >= s->zip_entries)
        return 0;
    const char *comp = zip_get_name(s->zip, (zip_uint64_t)s->zip_next, 0);
    s->zf = zip_fopen_index(s->zip, (zip_uint64_t)s->zip_next, 0);
    snprintf(s->name, sizeof s->name, "%s:%s", base, comp ? comp : "?");
    s->zip_next++;
    s->pos = 0;
    if (!s->zf) {
        *why = zip_strerror(s->zip);
        return -1;
    }
    return 1;
}

/* Reads up to n decoded bytes; short only at the end of the file or of a zip component. */
static long src_read(struct drm_src *s, uint8_t *out, size_t n, const char **why)
{
    long got;
    switch (s->codec) {
    case DRM_PLAIN: got = (long)raw_read(s, out, n); break;
    case DRM_GZIP: got = gz_read(s, out, n, why); break;
    case DRM_ZSTD: got = zstd_read(s, out, n, why); break;
    default:
        if (!s->zf)
            return 0;
        got = 0;
        while ((size_t)got < n) {
            zip_int64_t r = zip_fread(s->zf, out + got, n - (size_t)got);
            if (r < 0) {
                *why = zip_file_strerror(s->zf);
                return -1;
            }
            if (r == 0)
                break;
            got += r;
        }
    }
    if (got > 0)
        s->pos += (uint64_t)got;
    if (got >= 0 && s->codec == DRM_PLAIN && ferror(s->f)) {
        *why = strerror(errno);
        return -1;
    }
    return got;
}

static int src_open_zip(struct drm_src *s, const char *path, char *err, size_t errlen)
{
    zip_error_t ze;
    zip_error_init(&ze);
    if (path) {
        int code = 0;
        s->zip = zip_open(path, ZIP_RDONLY, &code);
        if (!s->zip)
            zip_error_init_with_code(&ze, code);
    } else { /* a stream: the archive's directory is at its end, so read it all */
        size_t cap = 1 << 16, len = 0;
        uint8_t *buf = malloc(cap);
        size_t r;
        while (buf && (r = raw_read(s, buf + len, cap - len)) > 0) {
            len += r;
            if (len == cap) {
                uint8_t *nb = realloc(buf, cap *= 2);
                if (!nb)
                    free(buf);
                buf = nb;
            }
        }
        if (!buf) {
            snprintf(err, errlen, "%s: out of memory reading the zip archive", s->name);
            return -1;
        }
        zip_source_t *zsrc = zip_source_buffer_create(buf, len, 1, &ze);
        s->zip = zsrc ? zip_open_from_source(zsrc, ZIP_RDONLY, &ze) : NULL;
        if (!zsrc)
            free(buf);
        else if (!s->zip)
            zip_source_free(zsrc);
    }
    if (!s->zip) {
        snprintf(err, errlen, "%s: not a readable zip archive (cut short?): %s", s->name,
                 zip_error_strerror(&ze));
        zip_error_fini(&ze);
        return -1;
    }
    zip_error_fini(&ze);
    s->zip_entries = zip_get_num_entries(s->zip, 0);
    char base[512];
    snprintf(base, sizeof base, "%s", s->name);
    const char *why = NULL;
    if (zip_next_component(s, base, &why) < 0) {
        snprintf(err, errlen, "%s: %s", s->name, why);
        return -1;
    }
    if (!s->zf) {
        snprintf(err, errlen, "%s: an empty zip archive (no trace chunks)", s->name);
        return -1;
    }
    return 0;
}

/* Opens a thread's file (path) or a stream (f, when path is NULL), by its magic bytes. */
static int src_open(struct drm_src *s, const char *path, FILE *f, const char *name, char *err,
                    size_t errlen)
{
    snprintf(s->name, sizeof s->name, "%s", name);
    s->f = f;
    if (path) {
        s->f = fopen(path, "rb");
        s->own_f = 1;
        if (!s->f) {
            snprintf(err, errlen, "%s: cannot open: %s", name, strerror(errno));
            return -1;
        }
    }
    s->nprefix = fread(s->prefix, 1, sizeof s->prefix, s->f);
    static const uint8_t gz[2] = {0x1f, 0x8b}, zst[4] = {0x28, 0xb5, 0x2f, 0xfd},
                         zipm[4] = {'P', 'K', 3, 4};
    if (s->nprefix == 4 && !memcmp(s->prefix, zipm, 4)) {
        s->codec = DRM_ZIP;
        if (path) { /* libzip reads the file itself */
            fclose(s->f);
            s->f = NULL;
            s->own_f = 0;
        }
        return src_open_zip(s, path, err, errlen);
    }
    if (s->nprefix >= 2 && !memcmp(s->prefix, gz, 2)) {
        s->codec = DRM_GZIP;
        if (inflateInit2(&s->z, 15 + 16) != Z_OK) {
            snprintf(err, errlen, "%s: cannot start the gzip decoder", name);
            return -1;
        }
        s->z_live = 1;
    } else if (s->nprefix == 4 && !memcmp(s->prefix, zst, 4)) {
        s->codec = DRM_ZSTD;
        s->zs = ZSTD_createDStream();
        if (!s->zs) {
            snprintf(err, errlen, "%s: cannot start the zstd decoder", name);
            return -1;
        }
    }
    return 0;
}

static void src_close(struct drm_src *s)
{
    if (s->zf)
        zip_fclose(s->zf);
    if (s->zip)
        zip_discard(s->zip);
    if (s->z_live)
        inflateEnd(&s->z);
    if (s->zs)
        ZSTD_freeDStream(s->zs);
    if (s->own_f && s->f)
        fclose(s->f);
}

/* ---- one thread: its entries, cut at timestamps ---- */
struct drm_entry {
    unsigned type, size;
    uint64_t addr;
};

struct drm_thread {
    struct drm_src src;
    char base[512];     /* the file's name, for messages */
    uint64_t entries;   /* entries read */
    uint64_t tid, pid;
    int have_tid, have_pid;
    uint64_t next_ts;   /* the timestamp of the piece that comes next */
    int finished;       /* the footer was read */
    struct drm_entry back; /* an entry read ahead and pushed back */
    int has_back;
    uint64_t next_pc;   /* after the last fetch: where an instruction bundle starts */
};

struct drm_import {
    struct mmt_writer *w;
    struct mmt_import_stats *st;
    char *err;
    size_t errlen;
    struct drm_thread *cur; /* the thread whose records are being written */
    uint64_t page_size, line_size, version, filetype;
    uint64_t skipped_prefetch, skipped_nofetch, skipped_other;
};

static int drm_fail(struct drm_import *im, struct drm_thread *t, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static int drm_fail(struct drm_import *im, struct drm_thread *t, const char *fmt, ...)
{
    int n = snprintf(im->err, im->errlen, "%s: byte %" PRIu64 " (entry %" PRIu64 "): ",
                     t->src.name, t->src.pos, t->entries);
    va_list ap;
    va_start(ap, fmt);
    if (n >= 0 && (size_t)n < im->errlen)
        vsnprintf(im->err + n, im->errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

/* 1 with *e set, 0 at the end of the file, -1 on error. */
static int read_entry(struct drm_import *im, struct drm_thread *t, struct drm_entry *e)
{
    if (t->has_back) {
        *e = t->back;
        t->has_back = 0;
        return 1;
    }
    uint8_t b[DRM_ENTRY];
    const char *why = NULL;
    for (;;) {
        long got = src_read(&t->src, b, sizeof b, &why);
        if (got < 0)
            return drm_fail(im, t, "%s", why);
        if (got == DRM_ENTRY)
            break;
        if (got > 0)
            return drm_fail(im, t, "cut short: %ld of a %d-byte entry", got, DRM_ENTRY);
        if (t->src.codec != DRM_ZIP)
            return 0;
        int r = zip_next_component(&t->src, t->base, &why); /* the next chunk of the thread */
        if (r < 0)
            return drm_fail(im, t, "%s", why);
        if (r == 0)
            return 0;
    }
    e->type = (unsigned)(b[0] | b[1] << 8);
    e->size = (unsigned)(b[2] | b[3] << 8);
    e->addr = foreign_le64(b + 4);
    t->entries++;
    im->st->lines++;
    return 1;
}

static int put_access(struct drm_import *im, unsigned kind, uint64_t addr, unsigned size)
{
    if (size == 0)
        size = 1; /* a zero-sized reference still touches its byte's page */
    for (unsigned off = 0; off < size; off += size <= 255 ? size : LACKEY_PIECE) {
        unsigned piece = size <= 255 ? size : size - off < LACKEY_PIECE ? size - off : LACKEY_PIECE;
        if (mmt_writer_access(im->w, kind, addr + off, piece))
            return -1;
        im->st->accesses++;
    }
    if (size > 255)
        im->st->split++;
    return 0;
}

static int switch_to(struct drm_import *im, struct drm_thread *t)
{
    if (!t->have_tid)
        return drm_fail(im, t, "a memory reference before the thread entry (type %d)", DRM_THREAD);
    im->cur = t;
    if (mmt_writer_switch(im->w, (uint32_t)t->pid, (uint32_t)t->tid))
        return drm_fail(im, t, "%s", mmt_writer_error(im->w));
    return 0;
}

static void note_marker(struct drm_import *im, const struct drm_entry *e)
{
    switch (e->size) {
    case DRM_MARKER_PAGE_SIZE: im->page_size = e->addr; break;
    case DRM_MARKER_CACHE_LINE_SIZE: im->line_size = e->addr; break;
    case DRM_MARKER_VERSION: im->version = e->addr; break;
    case DRM_MARKER_FILETYPE: im->filetype = e->addr; break;
    default: im->skipped_other++;
    }
}

static int put_bundle(struct drm_import *im, struct drm_thread *t, const struct drm_entry *e)
{
    if (e->size > 8)
        return drm_fail(im, t, "an instruction bundle of %u (at most 8)", e->size);
    for (unsigned i = 0; i < e->size; i++) {
        unsigned len = (unsigned)(e->addr >> (8 * i)) & 0xff;
        if (put_access(im, MMT_IFETCH, t->next_pc, len))
            return -1;
        t->next_pc += len;
    }
    return 0;
}

/* One entry in the body of a thread's stream. Returns 1 at a timestamp (t->next_ts set),
 * 0 to go on, -1 on error. `emit` is 0 while reading the file's header. */
static int handle_entry(struct drm_import *im, struct drm_thread *t, const struct drm_entry *e, int emit)
{
    unsigned ty = e->type;
    if (ty == DRM_READ || ty == DRM_WRITE || drm_type_is_fetch(ty) || ty == DRM_INSTR_BUNDLE) {
        if (!emit) { /* references before any timestamp: the first piece, at time 0 */
            t->back = *e;
            t->has_back = 1;
            t->next_ts = 0;
            return 1;
        }
        if (im->cur != t && switch_to(im, t))
            return -1;
        int rc;
        if (ty == DRM_INSTR_BUNDLE) {
            rc = put_bundle(im, t, e);
        } else if (drm_type_is_fetch(ty)) {
            rc = put_access(im, MMT_IFETCH, e->addr, e->size > 255 ? 255 : e->size);
            t->next_pc = e->addr + e->size;
        } else {
            rc = put_access(im, ty == DRM_READ ? MMT_LOAD : MMT_STORE, e->addr, e->size);
        }
        return rc ? drm_fail(im, t, "%s", mmt_writer_error(im->w)) : 0;
    }
    switch (ty) {
    case DRM_THREAD:
    case DRM_PID:
        if (ty == DRM_THREAD)
            t->tid = e->addr, t->have_tid = 1;
        else
            t->pid = e->addr, t->have_pid = 1;
        if (emit && im->cur == t && t->have_tid && switch_to(im, t)) /* a change mid-stream */
            return -1;
        return 0;
    case DRM_HEADER:
        return drm_fail(im, t, "a second header entry");
    case DRM_FOOTER:
        t->finished = 1;
        return 1;
    case DRM_MARKER:
        if (e->size == DRM_MARKER_TIMESTAMP) {
            t->next_ts = e->addr;
            return 1;
        }
        note_marker(im, e);
        return 0;
    case DRM_INSTR_NO_FETCH: im->skipped_nofetch++; return 0;
    default:
        if (ty > DRM_TYPE_LAST)
            return drm_fail(im, t, "unknown entry type %u (a drmemtrace trace has 0..%d)", ty,
                            DRM_TYPE_LAST);
        if (drm_type_is_prefetch(ty))
            im->skipped_prefetch++;
        else
            im->skipped_other++; /* flushes, thread exit, encodings */
        return 0;
    }
}

/* Reads entries of t until a timestamp, the footer or the end. Returns 0 or -1. */
static int run_piece(struct drm_import *im, struct drm_thread *t, int emit)
{
    struct drm_entry e;
    int r;
    while ((r = read_entry(im, t, &e)) == 1) {
        int h = handle_entry(im, t, &e, emit);
        if (h < 0)
            return -1;
        if (h == 1)
            return 0;
    }
    if (r < 0)
        return -1;
    return drm_fail(im, t, "the file ends without the footer entry (type %d): cut short?", DRM_FOOTER);
}

/* The header entry, then everything up to the first timestamp. */
static int start_thread(struct drm_import *im, struct drm_thread *t)
{
    struct drm_entry e;
    int r = read_entry(im, t, &e);
    if (r < 0)
        return -1;
    if (r == 0)
        return drm_fail(im, t, "empty: not a drmemtrace trace");
    if (e.type != DRM_HEADER)
        return drm_fail(im, t, "not a drmemtrace trace: the first entry has type %u, not the "
                               "header (%d)", e.type, DRM_HEADER);
    return run_piece(im, t, 0);
}

static int put_meta_u64(struct drm_import *im, const char *key, uint64_t v)
{
    char s[32];
    snprintf(s, sizeof s, strstr(key, "filetype") ? "0x%" PRIx64 : "%" PRIu64, v); /* bits */
    if (!v)
        return 0;
    if (mmt_writer_meta(im->w, key, s)) {
        snprintf(im->err, im->errlen, "%s", mmt_writer_error(im->w));
        return -1;
    }
    return 0;
}

static int put_header_meta(struct drm_import *im, size_t nthreads)
{
    char s[32];
    snprintf(s, sizeof s, "%zu", nthreads);
    if (mmt_writer_meta(im->w, "drmemtrace.files", s)) {
        snprintf(im->err, im->errlen, "%s", mmt_writer_error(im->w));
        return -1;
    }
    if (put_meta_u64(im, "drmemtrace.page_size", im->page_size) ||
        put_meta_u64(im, "drmemtrace.cache_line_size", im->line_size) ||
        put_meta_u64(im, "drmemtrace.version", im->version) ||
        put_meta_u64(im, "drmemtrace.filetype", im->filetype))
        return -1;
    return 0;
}

/* Writes the threads' pieces in timestamp order (ties: the earlier file). */
static int interleave(struct drm_import *im, struct drm_thread *th, size_t n)
{
    for (;;) {
        struct drm_thread *best = NULL;
        for (size_t i = 0; i < n; i++)
            if (!th[i].finished && (!best || th[i].next_ts < best->next_ts))
                best = &th[i];
        if (!best)
            return 0;
        if (run_piece(im, best, 1))
            return -1;
    }
}

static int import_threads(struct drm_thread *th, size_t n, struct mmt_writer *w,
                          struct mmt_import_stats *st, char *err, size_t errlen)
{
    struct drm_import im = {.w = w, .st = st, .err = err, .errlen = errlen};
    err[0] = 0;
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++)
        rc = start_thread(&im, &th[i]);
    if (!rc)
        rc = put_header_meta(&im, n);
    if (!rc)
        rc = interleave(&im, th, n);
    st->skipped = im.skipped_prefetch + im.skipped_nofetch + im.skipped_other;
    if (!rc && (im.skipped_prefetch || im.skipped_nofetch)) {
        char s[64];
        snprintf(s, sizeof s, "%" PRIu64 " prefetches, %" PRIu64 " non-fetched instructions",
                 im.skipped_prefetch, im.skipped_nofetch);
        if (mmt_writer_meta(w, "drmemtrace.skipped", s)) {
            snprintf(err, errlen, "%s", mmt_writer_error(w));
            rc = -1;
        }
    }
    return rc;
}

static void close_threads(struct drm_thread *th, size_t n)
{
    for (size_t i = 0; i < n; i++)
        src_close(&th[i].src);
    free(th);
}

int mmt_import_drmemtrace(FILE *in, const char *name, struct mmt_writer *w,
                          struct mmt_import_stats *st, char *err, size_t errlen)
{
    struct drm_thread *th = calloc(1, sizeof *th);
    if (!th) {
        snprintf(err, errlen, "%s: out of memory", name);
        return -1;
    }
    snprintf(th->base, sizeof th->base, "%s", name);
    int rc = src_open(&th->src, NULL, in, name, err, errlen);
    if (!rc)
        rc = import_threads(th, 1, w, st, err, errlen);
    close_threads(th, 1);
    return rc;
}

int mmt_import_drmemtrace_files(const char *const *paths, size_t n, const char *name,
                                struct mmt_writer *w, struct mmt_import_stats *st, char *err,
                                size_t errlen)
{
    memset(st, 0, sizeof *st);
    if (mmt_import_begin(MMT_IMPORT_DRMEMTRACE, name, w, err, errlen))
        return -1;
    if (!n) {
        snprintf(err, errlen, "%s: no drmemtrace thread files", name);
        return -1;
    }
    struct drm_thread *th = calloc(n ? n : 1, sizeof *th);
    if (!th) {
        snprintf(err, errlen, "out of memory for %zu thread files", n);
        return -1;
    }
    int rc = 0;
    for (size_t i = 0; i < n && !rc; i++) {
        snprintf(th[i].base, sizeof th[i].base, "%s", paths[i]);
        rc = src_open(&th[i].src, paths[i], NULL, paths[i], err, errlen);
    }
    if (!rc)
        rc = import_threads(th, n, w, st, err, errlen);
    close_threads(th, n);
    return rc;
}
