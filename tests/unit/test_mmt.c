/* test_mmt.c - the .mmt writer and reader: round trips of every record and event kind and
 * of seeded random streams, truncation at every chunk boundary and mid-chunk, corrupt
 * bytes, foreign files, write errors and writer-marked incomplete traces. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <unistd.h>

#include <cmocka.h>

#include "traces/mmt.h"
#include "traces/mmt_format.h" /* header layout and mmt_crc32c, to patch a header */

struct tmp {
    char path[64];
};

static void tmp_make(struct tmp *t)
{
    strcpy(t->path, "/tmp/test_mmt." "XX" "XX" "XX"); /* mkstemp template */
    int fd = mkstemp(t->path);
    assert_true(fd >= 0);
    close(fd);
}

/* A reference record as the test generated it, to compare with what the reader returns. */
struct ref {
    unsigned kind;
    uint64_t addr;
    unsigned size;
    uint32_t pid;
    struct mmt_event ev;
    char path[64];
};

static uint64_t rng_next(uint64_t *s) /* xorshift64*: deterministic, seeded */
{
    *s ^= *s >> 12;
    *s ^= *s << 25;
    *s ^= *s >> 27;
    return *s * 0x2545f4914f6cdd1dull;
}

static void write_refs(const char *path, const struct ref *refs, size_t n, size_t chunk)
{
    char err[512];
    struct mmt_writer_opts o = {.chunk_records = chunk};
    struct mmt_writer *w = mmt_writer_open(path, &o, err, sizeof err);
    assert_non_null(w);
    assert_int_equal(mmt_writer_meta(w, "backend", "test"), 0);
    assert_int_equal(mmt_writer_meta(w, "command", "a b c"), 0);
    for (size_t i = 0; i < n; i++) {
        const struct ref *r = &refs[i];
        int rc;
        if (r->kind <= MMT_MODIFY)
            rc = mmt_writer_access(w, r->kind, r->addr, r->size);
        else if (r->kind == MMT_SWITCH)
            rc = mmt_writer_switch(w, r->pid, (uint32_t)r->addr);
        else
            rc = mmt_writer_event(w, &r->ev);
        assert_int_equal(rc, 0);
    }
    assert_int_equal(mmt_writer_records(w), n);
    assert_int_equal(mmt_writer_meta(w, "rusage.min_flt", "42"), 0);
    assert_int_equal(mmt_writer_close(w, err, sizeof err), 0);
}

/* Reads the whole trace and compares it with refs[0..expect); returns records read. */
static size_t read_compare(const char *path, const struct ref *refs, size_t expect)
{
    char err[512];
    struct mmt_reader *r = mmt_reader_open(path, err, sizeof err);
    if (!r)
        fail_msg("open: %s", err);
    const struct mmt_rec *recs;
    size_t n, total = 0;
    int rc;
    while ((rc = mmt_reader_next(r, &recs, &n)) == 1) {
        for (size_t i = 0; i < n; i++, total++) {
            assert_true(total < expect);
            const struct ref *e = &refs[total];
            assert_int_equal(recs[i].kind, e->kind);
            if (e->kind <= MMT_MODIFY) {
                assert_int_equal(recs[i].addr, e->addr);
                assert_int_equal(recs[i].size, e->size);
            } else if (e->kind == MMT_SWITCH) {
                assert_int_equal(recs[i].addr, e->addr);
                assert_int_equal(recs[i].aux, e->pid);
            } else {
                const struct mmt_event *ev = mmt_reader_event(r, recs[i].aux);
                assert_int_equal(ev->type, e->ev.type);
                assert_int_equal(ev->pid, e->ev.pid);
                assert_int_equal(ev->tid, e->ev.tid);
                assert_int_equal(ev->result, e->ev.result);
                assert_int_equal(ev->nargs, e->ev.nargs);
                for (unsigned a = 0; a < ev->nargs; a++)
                    assert_int_equal(ev->args[a], e->ev.args[a]);
                if (e->ev.path)
                    assert_string_equal(ev->path, e->ev.path);
                else
                    assert_null(ev->path);
            }
        }
    }
    if (rc < 0)
        fail_msg("next: %s", mmt_reader_error(r));
    assert_int_equal(total, expect);
    mmt_reader_close(r);
    return total;
}

static void set_event(struct ref *r, unsigned type, unsigned nargs, const char *path)
{
    memset(&r->ev, 0, sizeof r->ev);
    r->kind = MMT_EVENT;
    r->ev.type = (uint16_t)type;
    r->ev.nargs = (uint8_t)nargs;
    r->ev.pid = 100 + type;
    r->ev.tid = 200 + type;
    r->ev.result = type % 2 ? -(int64_t)type : (int64_t)0x7f0000000000ull + type;
    for (unsigned a = 0; a < nargs; a++)
        r->ev.args[a] = a == 0 ? UINT64_MAX - type : (uint64_t)a << (8 * a);
    if (path) {
        snprintf(r->path, sizeof r->path, "%s", path);
        r->ev.path = r->path;
    }
}

static void test_every_kind_round_trip(void **state)
{
    (void)state;
    static struct ref refs[1200];
    size_t n = 0;
    refs[n++] = (struct ref){.kind = MMT_SWITCH, .pid = 7, .addr = 8};
    for (unsigned size = 1; size <= 255; size++)
        for (unsigned k = 0; k <= MMT_MODIFY; k++)
            refs[n++] = (struct ref){.kind = k, .addr = 0x400000ull * k + size * 3, .size = size};
    refs[n++] = (struct ref){.kind = MMT_LOAD, .addr = UINT64_MAX, .size = 8};
    refs[n++] = (struct ref){.kind = MMT_LOAD, .addr = 0, .size = 8};
    refs[n++] = (struct ref){.kind = MMT_STORE, .addr = 0x8000000000000000ull, .size = 64};
    refs[n++] = (struct ref){.kind = MMT_SWITCH, .pid = UINT32_MAX, .addr = UINT32_MAX};
    for (unsigned t = MMT_EV_MAP_INITIAL; t <= MMT_EV_KERNEL_WRITE; t++)
        set_event(&refs[n++], t, t % (MMT_EVENT_MAX_ARGS + 1), t % 3 ? "/usr/lib/libc.so.6" : NULL);
    set_event(&refs[n++], 999, MMT_EVENT_MAX_ARGS, ""); /* unknown type passes through */
    struct tmp t;
    tmp_make(&t);
    write_refs(t.path, refs, n, 0);
    read_compare(t.path, refs, n);

    char err[512];
    struct mmt_reader *r = mmt_reader_open(t.path, err, sizeof err);
    assert_non_null(r);
    assert_int_equal(mmt_reader_complete(r), 1);
    assert_null(mmt_reader_incomplete_reason(r));
    assert_string_equal(mmt_reader_meta(r, "backend"), "test");
    assert_string_equal(mmt_reader_meta(r, "command"), "a b c");
    assert_string_equal(mmt_reader_meta(r, "rusage.min_flt"), "42");
    assert_int_equal(mmt_reader_meta_count(r), 3);
    struct mmt_totals tot;
    assert_int_equal(mmt_reader_totals(r, &tot), 0);
    assert_int_equal(tot.records, n);
    assert_int_equal(tot.kinds[MMT_IFETCH], 255);
    assert_int_equal(tot.kinds[MMT_LOAD], 257);
    assert_int_equal(tot.kinds[MMT_STORE], 256);
    assert_int_equal(tot.kinds[MMT_MODIFY], 255);
    assert_int_equal(tot.kinds[MMT_SWITCH], 2);
    assert_int_equal(tot.kinds[MMT_EVENT], 20);
    assert_int_equal(tot.threads, 2);
    assert_int_equal(tot.processes, 2);
    assert_int_equal(tot.events[MMT_EV_MMAP], 1);
    assert_int_equal(tot.events[MMT_EV_KERNEL_WRITE], 1); /* format 1.3 */
    assert_int_equal(tot.events[0], 1);
    mmt_reader_close(r);
    unlink(t.path);
}

/* Random streams with the patterns real traces have: sequential runs, strides, repeats,
 * far jumps, odd sizes, interleaved with switches and events. */
static size_t make_random(struct ref *refs, size_t n, uint64_t seed)
{
    uint64_t s = seed, last[4] = {0x401000, 0x7ffd0000, 0x601000, 0x601000};
    static const unsigned sizes[] = {1, 2, 4, 8, 16, 32, 64, 3, 6, 10, 12, 24, 48, 200, 255};
    for (size_t i = 0; i < n; i++) {
        uint64_t x = rng_next(&s);
        unsigned k = (unsigned)(x % 100);
        if (k < 2) {
            refs[i] = (struct ref){.kind = MMT_SWITCH, .pid = (uint32_t)(x >> 40) % 4,
                                   .addr = (x >> 20) % 16};
            continue;
        }
        if (k < 3) {
            set_event(&refs[i], 1 + (unsigned)(x >> 30) % MMT_EV_KERNEL_WRITE, (unsigned)(x >> 50) % 7,
                      (x >> 60) & 1 ? "/tmp/file" : NULL);
            continue;
        }
        unsigned kind = k < 50 ? MMT_IFETCH : (unsigned)(x >> 8) % 3 + 1;
        unsigned size = sizes[(x >> 16) % 15];
        unsigned mode = (unsigned)(x >> 24) % 5;
        uint64_t a = last[kind];
        if (mode == 0)
            a += size;
        else if (mode == 1)
            a += 64;
        else if (mode == 3)
            a -= (x >> 32) % 4096;
        else
            a = x;
        last[kind] = a;
        refs[i] = (struct ref){.kind = kind, .addr = a, .size = size};
    }
    return n;
}

static void test_random_streams(void **state)
{
    (void)state;
    size_t n = 20000;
    struct ref *refs = calloc(n, sizeof *refs);
    assert_non_null(refs);
    for (uint64_t seed = 1; seed <= 5; seed++) {
        make_random(refs, n, seed * 0x9e3779b97f4a7c15ull);
        struct tmp t;
        tmp_make(&t);
        write_refs(t.path, refs, n, seed == 1 ? 0 : 37 * seed);
        read_compare(t.path, refs, n);
        unlink(t.path);
    }
    free(refs);
}

static void copy_prefix(const char *from, const char *to, long len)
{
    FILE *in = fopen(from, "rb"), *out = fopen(to, "wb");
    assert_non_null(in);
    assert_non_null(out);
    for (long i = 0; i < len; i++) {
        int c = fgetc(in);
        assert_true(c != EOF);
        fputc(c, out);
    }
    fclose(in);
    assert_int_equal(fclose(out), 0);
}

static long file_size(const char *path)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fclose(f);
    return n;
}

/* Cut the file at every chunk boundary and in the middle of every chunk: the reader must
 * return exactly the records of the whole chunks before the cut and say "incomplete". */
static void test_truncation(void **state)
{
    (void)state;
    size_t n = 3000, chunk = 250;
    struct ref *refs = calloc(n, sizeof *refs);
    assert_non_null(refs);
    make_random(refs, n, 77);
    struct tmp t, c;
    tmp_make(&t);
    tmp_make(&c);
    write_refs(t.path, refs, n, chunk);
    char err[512];
    struct mmt_reader *r = mmt_reader_open(t.path, err, sizeof err);
    assert_non_null(r);
    size_t nchunks = mmt_reader_chunks(r);
    assert_int_equal(nchunks, n / chunk);
    struct mmt_chunk_info *ci = calloc(nchunks, sizeof *ci);
    for (size_t i = 0; i < nchunks; i++)
        assert_int_equal(mmt_reader_chunk_info(r, i, &ci[i]), 0);
    mmt_reader_close(r);
    long full = file_size(t.path);
    for (size_t i = 0; i <= nchunks; i++) {
        long footer = (long)(ci[nchunks - 1].offset + 40 + ci[nchunks - 1].compressed_bytes);
        long start = i < nchunks ? (long)ci[i].offset : footer;
        long cuts[3] = {start, start + 20,
                        i < nchunks ? start + 40 + ci[i].compressed_bytes / 2 : full - 1};
        for (int k = 0; k < 3; k++) {
            copy_prefix(t.path, c.path, cuts[k]);
            r = mmt_reader_open(c.path, err, sizeof err);
            if (!r)
                fail_msg("cut at %ld: %s", cuts[k], err);
            assert_int_equal(mmt_reader_complete(r), 0);
            assert_non_null(strstr(mmt_reader_incomplete_reason(r), "no footer"));
            assert_int_equal(mmt_reader_chunks(r), i);
            mmt_reader_close(r);
            read_compare(c.path, refs, i * chunk);
        }
    }
    free(ci);
    free(refs);
    unlink(t.path);
    unlink(c.path);
}

/* Flip bytes all over a trace: opening or reading must fail cleanly or succeed, never
 * crash; flips inside a chunk's compressed payload must be caught (zstd checksum). */
static void test_corrupt_bytes(void **state)
{
    (void)state;
    size_t n = 2000;
    struct ref *refs = calloc(n, sizeof *refs);
    assert_non_null(refs);
    make_random(refs, n, 99);
    struct tmp t, c;
    tmp_make(&t);
    tmp_make(&c);
    write_refs(t.path, refs, n, 500);
    long full = file_size(t.path);
    unsigned char *buf = malloc((size_t)full);
    FILE *f = fopen(t.path, "rb");
    assert_int_equal(fread(buf, 1, (size_t)full, f), (size_t)full);
    fclose(f);
    char err[512];
    struct mmt_reader *r = mmt_reader_open(t.path, err, sizeof err);
    struct mmt_chunk_info ci0;
    assert_int_equal(mmt_reader_chunk_info(r, 0, &ci0), 0);
    mmt_reader_close(r);
    int payload_errors = 0, payload_flips = 0;
    for (long pos = 0; pos < full; pos += (pos < 200 ? 1 : 7)) {
        buf[pos] ^= 0x5a;
        f = fopen(c.path, "wb");
        fwrite(buf, 1, (size_t)full, f);
        fclose(f);
        buf[pos] ^= 0x5a;
        int failed = 0;
        r = mmt_reader_open(c.path, err, sizeof err);
        if (!r) {
            failed = 1;
            assert_non_null(strstr(err, c.path));
            assert_non_null(strstr(err, "byte"));
        } else {
            const struct mmt_rec *recs;
            size_t nr;
            int rc;
            while ((rc = mmt_reader_next(r, &recs, &nr)) == 1)
                ;
            if (rc < 0) {
                failed = 1;
                assert_non_null(strstr(mmt_reader_error(r), c.path));
            }
            mmt_reader_close(r);
        }
        if (pos > (long)ci0.offset + 40 && pos < (long)(ci0.offset + 40 + ci0.compressed_bytes)) {
            payload_flips++;
            payload_errors += failed;
        }
    }
    assert_true(payload_flips > 10);
    assert_int_equal(payload_errors, payload_flips);
    free(buf);
    free(refs);
    unlink(t.path);
    unlink(c.path);
}

static void test_foreign_files(void **state)
{
    (void)state;
    struct tmp t;
    tmp_make(&t);
    char err[512];
    FILE *f = fopen(t.path, "w");
    fputs("I  04000000,3\n L 7ff000,8\n", f);
    fclose(f);
    assert_null(mmt_reader_open(t.path, err, sizeof err));
    assert_non_null(strstr(err, t.path));
    assert_non_null(strstr(err, "byte 0"));
    f = fopen(t.path, "w");
    fclose(f);
    assert_null(mmt_reader_open(t.path, err, sizeof err));
    assert_non_null(strstr(err, t.path));
    assert_null(mmt_reader_open("/nonexistent/x.mmt", err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent/x.mmt"));
    assert_null(mmt_reader_open("/tmp", err, sizeof err));
    unlink(t.path);
}

static void test_incomplete_by_writer(void **state)
{
    (void)state;
    struct tmp t;
    tmp_make(&t);
    char err[512];
    struct mmt_writer *w = mmt_writer_open(t.path, NULL, err, sizeof err);
    assert_non_null(w);
    for (int i = 0; i < 1000; i++)
        assert_int_equal(mmt_writer_access(w, MMT_LOAD, 0x1000 + 8 * (uint64_t)i, 8), 0);
    mmt_writer_set_incomplete(w, "killed by signal 9");
    assert_int_equal(mmt_writer_close(w, err, sizeof err), 0);
    struct mmt_reader *r = mmt_reader_open(t.path, err, sizeof err);
    assert_non_null(r);
    assert_int_equal(mmt_reader_complete(r), 0);
    assert_string_equal(mmt_reader_incomplete_reason(r), "killed by signal 9");
    const struct mmt_rec *recs;
    size_t n;
    assert_int_equal(mmt_reader_next(r, &recs, &n), 1);
    assert_int_equal(n, 1000);
    assert_int_equal(recs[999].addr, 0x1000 + 8 * 999);
    mmt_reader_close(r);
    unlink(t.path);
}

static void test_write_error_reported(void **state)
{
    (void)state;
    char err[512];
    struct mmt_writer_opts o = {.chunk_records = 1000};
    struct mmt_writer *w = mmt_writer_open("/dev/full", &o, err, sizeof err);
    assert_non_null(w);
    int failed = 0;
    for (int i = 0; i < 100000 && !failed; i++)
        failed = mmt_writer_access(w, MMT_IFETCH, (uint64_t)i * 977, 4) != 0;
    assert_true(failed);
    assert_non_null(strstr(mmt_writer_error(w), "/dev/full"));
    assert_int_equal(mmt_writer_close(w, err, sizeof err), -1);
    assert_non_null(strstr(err, "No space left"));
}

/* A disk that fills up mid-trace (RLIMIT_FSIZE gives EFBIG like ENOSPC gives ENOSPC): the
 * writer reports it, and the file left behind reads up to its last whole chunk. */
static void test_disk_full_leaves_readable_prefix(void **state)
{
    (void)state;
    size_t n = 6000;
    struct ref *refs = calloc(n, sizeof *refs);
    assert_non_null(refs);
    make_random(refs, n, 4242);
    struct tmp t;
    tmp_make(&t);
    char err[512];
    struct mmt_writer_opts o = {.chunk_records = 500};
    struct mmt_writer *w = mmt_writer_open(t.path, &o, err, sizeof err);
    assert_non_null(w);
    struct rlimit old, lim;
    assert_int_equal(getrlimit(RLIMIT_FSIZE, &old), 0);
    lim = old;
    lim.rlim_cur = 6000;
    void (*old_handler)(int) = signal(SIGXFSZ, SIG_IGN);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &lim), 0);
    size_t written = 0;
    int rc = 0;
    for (; written < n && rc == 0; written++) {
        const struct ref *r = &refs[written];
        rc = r->kind <= MMT_MODIFY ? mmt_writer_access(w, r->kind, r->addr, r->size)
             : r->kind == MMT_SWITCH ? mmt_writer_switch(w, r->pid, (uint32_t)r->addr)
                                     : mmt_writer_event(w, &r->ev);
    }
    int close_rc = mmt_writer_close(w, err, sizeof err);
    assert_int_equal(setrlimit(RLIMIT_FSIZE, &old), 0);
    signal(SIGXFSZ, old_handler);
    assert_int_equal(rc, -1);
    assert_int_equal(close_rc, -1);
    assert_non_null(strstr(err, t.path));
    assert_non_null(strstr(err, "write failed at byte"));
    struct mmt_reader *r = mmt_reader_open(t.path, err, sizeof err);
    if (!r)
        fail_msg("%s", err);
    assert_int_equal(mmt_reader_complete(r), 0);
    size_t chunks = mmt_reader_chunks(r);
    assert_true(chunks >= 1);
    mmt_reader_close(r);
    read_compare(t.path, refs, chunks * 500);
    free(refs);
    unlink(t.path);
}

/* Chunks decode on their own: seeking to chunk i gives the same records as reading on. */
static void test_seek_chunk(void **state)
{
    (void)state;
    size_t n = 1000;
    struct ref *refs = calloc(n, sizeof *refs);
    assert_non_null(refs);
    make_random(refs, n, 5);
    struct tmp t;
    tmp_make(&t);
    write_refs(t.path, refs, n, 100);
    char err[512];
    struct mmt_reader *r = mmt_reader_open(t.path, err, sizeof err);
    assert_non_null(r);
    assert_int_equal(mmt_reader_chunks(r), 10);
    const struct mmt_rec *recs;
    size_t got;
    for (int i = 9; i >= 0; i -= 3) {
        assert_int_equal(mmt_reader_seek_chunk(r, (uint64_t)i), 0);
        assert_int_equal(mmt_reader_next(r, &recs, &got), 1);
        assert_int_equal(got, 100);
        uint64_t first;
        mmt_reader_batch_context(r, NULL, NULL, &first);
        assert_int_equal(first, 100 * (uint64_t)i);
        for (size_t k = 0; k < got; k++) {
            const struct ref *e = &refs[100 * (size_t)i + k];
            assert_int_equal(recs[k].kind, e->kind);
            if (e->kind <= MMT_SWITCH)
                assert_int_equal(recs[k].addr, e->addr);
        }
    }
    assert_int_equal(mmt_reader_seek_chunk(r, 11), -1);
    mmt_reader_close(r);
    free(refs);
    unlink(t.path);
}

static void test_bad_arguments(void **state)
{
    (void)state;
    struct tmp t;
    tmp_make(&t);
    char err[512];
    struct mmt_writer *w = mmt_writer_open(t.path, NULL, err, sizeof err);
    assert_int_equal(mmt_writer_access(w, MMT_LOAD, 0, 0), -1);
    assert_non_null(strstr(mmt_writer_error(w), "size 0"));
    assert_int_equal(mmt_writer_close(w, err, sizeof err), -1);
    unlink(t.path);
}

/* Sets the header's minor version of the trace at path; fix_crc recomputes the header
 * checksum (otherwise the reader must refuse the file). */
static void patch_minor(const char *path, uint16_t minor, int fix_crc)
{
    FILE *f = fopen(path, "r+b");
    assert_non_null(f);
    uint8_t h[MMT_HEADER_FIXED];
    assert_int_equal(fread(h, 1, sizeof h, f), sizeof h);
    assert_int_equal(mmt_get_u16(h + 8), MMT_VERSION_MAJOR);
    assert_int_equal(mmt_get_u16(h + 10), MMT_VERSION_MINOR); /* the writer writes 1.2 */
    uint32_t mlen = mmt_get_u32(h + 12);
    uint8_t *b = malloc(MMT_HEADER_FIXED + (size_t)mlen + 4);
    assert_non_null(b);
    assert_int_equal(fseek(f, 0, SEEK_SET), 0);
    assert_int_equal(fread(b, 1, MMT_HEADER_FIXED + (size_t)mlen + 4, f), MMT_HEADER_FIXED + mlen + 4);
    mmt_put_u16(b + 10, minor);
    if (fix_crc)
        mmt_put_u32(b + MMT_HEADER_FIXED + mlen, mmt_crc32c(b, MMT_HEADER_FIXED + mlen));
    assert_int_equal(fseek(f, 0, SEEK_SET), 0);
    assert_int_equal(fwrite(b, 1, MMT_HEADER_FIXED + (size_t)mlen + 4, f), MMT_HEADER_FIXED + mlen + 4);
    assert_int_equal(fclose(f), 0);
    free(b);
}

/* A version 1.0 trace (no fetch runs, header minor 0) reads back identically. The records
 * go through mmt_writer_access, which writes no PLAN, RUN or site records, so the payload
 * is one a 1.0 writer could have written. */
static void test_reads_version_1_0(void **state)
{
    (void)state;
    size_t n = 5000;
    struct ref *refs = calloc(n, sizeof *refs);
    assert_non_null(refs);
    make_random(refs, n, 0x1234567);
    struct tmp t;
    tmp_make(&t);
    write_refs(t.path, refs, n, 700);
    patch_minor(t.path, 0, 0);
    char err[512];
    struct mmt_reader *r = mmt_reader_open(t.path, err, sizeof err);
    assert_null(r); /* the patch is seen: the old checksum no longer matches */
    assert_non_null(strstr(err, "header checksum mismatch"));
    FILE *f = fopen(t.path, "r+b");
    assert_non_null(f);
    assert_int_equal(fseek(f, 10, SEEK_SET), 0);
    assert_int_equal(fputc(MMT_VERSION_MINOR, f), MMT_VERSION_MINOR); /* undo, then patch right */
    assert_int_equal(fclose(f), 0);
    patch_minor(t.path, 0, 1);
    read_compare(t.path, refs, n);
    r = mmt_reader_open(t.path, err, sizeof err);
    assert_non_null(r);
    assert_int_equal(mmt_reader_chunks(r), (n + 699) / 700);
    assert_int_equal(mmt_reader_complete(r), 1);
    mmt_reader_close(r);
    free(refs);
    unlink(t.path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_every_kind_round_trip),
        cmocka_unit_test(test_random_streams),
        cmocka_unit_test(test_truncation),
        cmocka_unit_test(test_corrupt_bytes),
        cmocka_unit_test(test_foreign_files),
        cmocka_unit_test(test_incomplete_by_writer),
        cmocka_unit_test(test_write_error_reported),
        cmocka_unit_test(test_bad_arguments),
        cmocka_unit_test(test_disk_full_leaves_readable_prefix),
        cmocka_unit_test(test_seek_chunk),
        cmocka_unit_test(test_reads_version_1_0),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
