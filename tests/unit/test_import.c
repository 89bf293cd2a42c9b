/* test_import.c - the importers, fed from memory (fmemopen): every lackey line kind with its
 * exact address and size, accesses over 255 bytes split, pinatrace with and without sizes,
 * din labels, ChampSim plain and xz (compressed here with liblzma), drmemtrace entries (a
 * bundle expanded, a long read split, the error on a missing header, an unknown type, a cut
 * file), and the error messages (file and line, or file and byte) on bad input. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <lzma.h>

#include "traces/foreign.h"
#include "traces/import.h"

struct want {
    unsigned kind;
    uint64_t addr;
    unsigned size;
};

/* Imports `len` bytes of `text` as format f; returns the importer's status, fills err, and
 * (on success) checks the trace holds exactly want[0..n). */
static int import_and_check(enum mmt_import_format f, const void *text, size_t len,
                            const struct want *want, size_t n, char *err, size_t errlen)
{
    char path[] = "/tmp/test_import." "XX" "XX" "XX"; /* mkstemp template */
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    char werr[512];
    struct mmt_writer_opts o = {.chunk_records = 3}; /* several chunks even here */
    struct mmt_writer *w = mmt_writer_open(path, &o, werr, sizeof werr);
    assert_non_null(w);
    FILE *in = fmemopen((void *)text, len, "rb");
    assert_non_null(in);
    struct mmt_import_stats st;
    int rc = mmt_import_stream(f, in, "input.txt", w, &st, err, errlen);
    fclose(in);
    assert_int_equal(mmt_writer_close(w, werr, sizeof werr), 0);
    if (rc == 0) {
        assert_int_equal(st.accesses, n);
        struct mmt_reader *r = mmt_reader_open(path, werr, sizeof werr);
        assert_non_null(r);
        const char *fmt_name = mmt_import_format_name(f);
        char backend[64];
        snprintf(backend, sizeof backend, "import:%s", fmt_name);
        assert_string_equal(mmt_reader_meta(r, "backend"), backend);
        assert_string_equal(mmt_reader_meta(r, "source"), "input.txt");
        const struct mmt_rec *recs;
        size_t got, k = 0;
        while (mmt_reader_next(r, &recs, &got) == 1)
            for (size_t i = 0; i < got; i++, k++) {
                assert_true(k < n);
                assert_int_equal(recs[i].kind, want[k].kind);
                assert_int_equal(recs[i].addr, want[k].addr);
                assert_int_equal(recs[i].size, want[k].size);
            }
        assert_int_equal(k, n);
        mmt_reader_close(r);
    }
    unlink(path);
    return rc;
}

static void test_lackey_exact(void **state)
{
    (void)state;
    static const char text[] = "==123== Lackey, an example Valgrind tool\n"
                               "==123== Command: ./prog arg\n"
                               "I  0401ab70,3\n"
                               " L 1fff0006d8,8\n"
                               " S 00000010,1\n"
                               " M ffffffffffffffff,16\n"
                               "I  0401ab73,15\n"
                               " L 7ff000,512\n"
                               "==123== \n";
    struct want want[] = {
        {MMT_IFETCH, 0x401ab70, 3}, {MMT_LOAD, 0x1fff0006d8, 8}, {MMT_STORE, 0x10, 1},
        {MMT_MODIFY, UINT64_MAX, 16}, {MMT_IFETCH, 0x401ab73, 15},
    };
    struct want all[13];
    memcpy(all, want, sizeof want);
    for (int i = 0; i < 8; i++) /* 512 bytes: eight 64-byte pieces */
        all[5 + i] = (struct want){MMT_LOAD, 0x7ff000 + 64 * (uint64_t)i, 64};
    char err[512];
    assert_int_equal(import_and_check(MMT_IMPORT_LACKEY, text, sizeof text - 1, all, 13, err, sizeof err), 0);
}

static void test_lackey_errors(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "I  0401ab70,3\nI 0401ab70,3\n",   /* one space */
        "I  0401ab70,3\n L 7ff000\n",      /* no size */
        "I  0401ab70,3\n L 7ff000,0\n",    /* size 0 */
        "I  0401ab70,3\n L 12345678901234567,8\n", /* 17 hex digits */
        "I  0401ab70,3\n X 7ff000,8\n",    /* unknown kind */
        "I  0401ab70,3\n L 7ff000,8 \n",   /* trailing blank */
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[512] = "";
        assert_int_equal(import_and_check(MMT_IMPORT_LACKEY, bad[i], strlen(bad[i]), NULL, 0, err, sizeof err), -1);
        assert_non_null(strstr(err, "input.txt:2: "));
    }
}

static void test_pinatrace(void **state)
{
    (void)state;
    static const char text[] = "# header\n"
                               "0x401000: R 0x7ffd0000\n"
                               "0x401004: W 0x7ffd0008 4\n"
                               "401008: r 601040 2 0xdeadbeef\n"
                               "\n"
                               "#eof\n";
    struct want want[] = {{MMT_LOAD, 0x7ffd0000, 8}, {MMT_STORE, 0x7ffd0008, 4}, {MMT_LOAD, 0x601040, 2}};
    char err[512];
    assert_int_equal(import_and_check(MMT_IMPORT_PINATRACE, text, sizeof text - 1, want, 3, err, sizeof err), 0);
    static const char bad[] = "0x401000: R 0x7ffd0000\n0x401004: W 0x7ffd0008 300\n";
    assert_int_equal(import_and_check(MMT_IMPORT_PINATRACE, bad, sizeof bad - 1, NULL, 0, err, sizeof err), -1);
    assert_non_null(strstr(err, "input.txt:2: bad access size"));
}

static void test_din(void **state)
{
    (void)state;
    static const char text[] = "2 401000\n0 7ffd1000\n1 0x601040 extra fields\n3 0\n4 0\n";
    struct want want[] = {{MMT_IFETCH, 0x401000, 4}, {MMT_LOAD, 0x7ffd1000, 4}, {MMT_STORE, 0x601040, 4}};
    char err[512];
    assert_int_equal(import_and_check(MMT_IMPORT_DIN, text, sizeof text - 1, want, 3, err, sizeof err), 0);
}

/* Three ChampSim records: operands in source slots 0 and 3 and destination slot 1. */
static size_t champsim_records(uint8_t *buf, struct want *want, size_t *nwant)
{
    size_t n = 0;
    for (int i = 0; i < 3; i++) {
        uint8_t *r = buf + 64 * i;
        memset(r, 0, 64);
        uint64_t ip = 0x400000 + 4 * (uint64_t)i, dst1 = 0x7ffd0000 + 8 * (uint64_t)i;
        uint64_t src0 = i == 1 ? 0 : 0x601000 + (uint64_t)i, src3 = 0x602000;
        memcpy(r, &ip, 8);
        memcpy(r + 24, &dst1, 8);
        memcpy(r + 32, &src0, 8);
        memcpy(r + 56, &src3, 8);
        want[n++] = (struct want){MMT_IFETCH, ip, 4};
        if (src0)
            want[n++] = (struct want){MMT_LOAD, src0, 8};
        want[n++] = (struct want){MMT_LOAD, src3, 8};
        want[n++] = (struct want){MMT_STORE, dst1, 8};
    }
    *nwant = n;
    return 3 * 64;
}

static void test_champsim_plain_and_xz(void **state)
{
    (void)state;
    uint8_t raw[192], xz[1024];
    struct want want[16];
    size_t nwant, len = champsim_records(raw, want, &nwant);
    char err[512];
    assert_int_equal(import_and_check(MMT_IMPORT_CHAMPSIM, raw, len, want, nwant, err, sizeof err), 0);
    size_t xzlen = 0;
    assert_int_equal(lzma_easy_buffer_encode(6, LZMA_CHECK_CRC64, NULL, raw, len, xz, &xzlen, sizeof xz), LZMA_OK);
    assert_int_equal(import_and_check(MMT_IMPORT_CHAMPSIM, xz, xzlen, want, nwant, err, sizeof err), 0);
    /* a partial record, and a cut xz stream */
    assert_int_equal(import_and_check(MMT_IMPORT_CHAMPSIM, raw, len - 10, NULL, 0, err, sizeof err), -1);
    assert_non_null(strstr(err, "input.txt: byte 128 (instruction 2)"));
    assert_int_equal(import_and_check(MMT_IMPORT_CHAMPSIM, xz, xzlen - 5, NULL, 0, err, sizeof err), -1);
    assert_non_null(strstr(err, "input.txt: byte"));
    xz[xzlen / 2] ^= 0xff;
    assert_int_equal(import_and_check(MMT_IMPORT_CHAMPSIM, xz, xzlen, NULL, 0, err, sizeof err), -1);
    assert_non_null(strstr(err, "xz"));
}

/* ---- drmemtrace: entries built here, 12 bytes each ---- */
static size_t drm_put(uint8_t *p, size_t at, unsigned type, unsigned size, uint64_t addr)
{
    p[at] = (uint8_t)type;
    p[at + 1] = (uint8_t)(type >> 8);
    p[at + 2] = (uint8_t)size;
    p[at + 3] = (uint8_t)(size >> 8);
    foreign_put_le64(p + at + 4, addr);
    return at + DRM_ENTRY;
}

/* Imports buf as drmemtrace; returns the status and, on success, the accesses (switches
 * skipped) in got[0..*n) and the tid of the first switch in *tid. */
static int drm_import(const uint8_t *buf, size_t len, struct want *got, size_t cap, size_t *n,
                      uint64_t *tid, char *err, size_t errlen)
{
    char path[] = "/tmp/test_import." "XX" "XX" "XX";
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    char werr[512];
    struct mmt_writer_opts o = {.chunk_records = 4};
    struct mmt_writer *w = mmt_writer_open(path, &o, werr, sizeof werr);
    assert_non_null(w);
    FILE *in = fmemopen((void *)buf, len, "rb");
    assert_non_null(in);
    struct mmt_import_stats st;
    int rc = mmt_import_stream(MMT_IMPORT_DRMEMTRACE, in, "t.trace", w, &st, err, errlen);
    fclose(in);
    assert_int_equal(mmt_writer_close(w, werr, sizeof werr), 0);
    *n = 0;
    if (rc == 0) {
        struct mmt_reader *r = mmt_reader_open(path, werr, sizeof werr);
        assert_non_null(r);
        assert_string_equal(mmt_reader_meta(r, "drmemtrace.page_size"), "4096");
        const struct mmt_rec *recs;
        size_t k;
        while (mmt_reader_next(r, &recs, &k) == 1)
            for (size_t i = 0; i < k; i++) {
                if (recs[i].kind == MMT_SWITCH) {
                    *tid = recs[i].addr;
                    continue;
                }
                assert_true(*n < cap);
                got[(*n)++] = (struct want){recs[i].kind, recs[i].addr, recs[i].size};
            }
        assert_int_equal(*n, st.accesses);
        mmt_reader_close(r);
    }
    unlink(path);
    return rc;
}

static size_t drm_header(uint8_t *b, uint64_t tid)
{
    size_t at = drm_put(b, 0, DRM_HEADER, 0, 5);
    at = drm_put(b, at, DRM_THREAD, 4, tid);
    at = drm_put(b, at, DRM_PID, 4, 100);
    at = drm_put(b, at, DRM_MARKER, DRM_MARKER_PAGE_SIZE, 4096);
    return drm_put(b, at, DRM_MARKER, DRM_MARKER_TIMESTAMP, 1);
}

static void test_drmemtrace(void **state)
{
    (void)state;
    uint8_t b[64 * DRM_ENTRY];
    size_t at = drm_header(b, 321);
    at = drm_put(b, at, DRM_INSTR, 3, 0x1000);                    /* fetch 0x1000, 3 bytes */
    at = drm_put(b, at, DRM_INSTR_BUNDLE, 2, 0x0402);             /* 2 more: 2 and 4 bytes */
    at = drm_put(b, at, DRM_READ, 300, 0x8000);                   /* 300 bytes: 5 pieces */
    at = drm_put(b, at, DRM_PREFETCH, 1, 0x9000);                 /* skipped */
    at = drm_put(b, at, DRM_INSTR_NO_FETCH, 2, 0x1009);           /* skipped */
    at = drm_put(b, at, DRM_INSTR_TAKEN_JUMP, 2, 0x2000);
    at = drm_put(b, at, DRM_WRITE, 8, 0x7ff0);
    at = drm_put(b, at, DRM_FOOTER, 0, 0);
    const struct want want[] = {
        {MMT_IFETCH, 0x1000, 3}, {MMT_IFETCH, 0x1003, 2}, {MMT_IFETCH, 0x1005, 4},
        {MMT_LOAD, 0x8000, 64},  {MMT_LOAD, 0x8040, 64},  {MMT_LOAD, 0x8080, 64},
        {MMT_LOAD, 0x80c0, 64},  {MMT_LOAD, 0x8100, 44},  {MMT_IFETCH, 0x2000, 2},
        {MMT_STORE, 0x7ff0, 8},
    };
    struct want got[32];
    size_t n;
    uint64_t tid = 0;
    char err[512];
    assert_int_equal(drm_import(b, at, got, 32, &n, &tid, err, sizeof err), 0);
    assert_int_equal(n, sizeof want / sizeof want[0]);
    for (size_t i = 0; i < n; i++) {
        assert_int_equal(got[i].kind, want[i].kind);
        assert_int_equal(got[i].addr, want[i].addr);
        assert_int_equal(got[i].size, want[i].size);
    }
    assert_int_equal(tid, 321);

    /* cut: between entries (no footer), then inside one */
    assert_int_equal(drm_import(b, at - DRM_ENTRY, got, 32, &n, &tid, err, sizeof err), -1);
    assert_non_null(strstr(err, "t.trace: byte"));
    assert_non_null(strstr(err, "without the footer"));
    assert_int_equal(drm_import(b, at - 5, got, 32, &n, &tid, err, sizeof err), -1);
    assert_non_null(strstr(err, "7 of a 12-byte entry"));
    /* an unknown type in the body */
    size_t bad = drm_put(b, drm_header(b, 1), 999, 0, 0);
    assert_int_equal(drm_import(b, bad, got, 32, &n, &tid, err, sizeof err), -1);
    assert_non_null(strstr(err, "unknown entry type 999"));
    /* no header */
    assert_int_equal(drm_import(b + DRM_ENTRY, at - DRM_ENTRY, got, 32, &n, &tid, err, sizeof err), -1);
    assert_non_null(strstr(err, "not a drmemtrace trace"));
}

static void test_format_names(void **state)
{
    (void)state;
    enum mmt_import_format f;
    assert_int_equal(mmt_import_format_parse("champsim", &f), 0);
    assert_int_equal(f, MMT_IMPORT_CHAMPSIM);
    assert_int_equal(mmt_import_format_parse("drmemtrace", &f), 0);
    assert_int_equal(f, MMT_IMPORT_DRMEMTRACE);
    assert_int_equal(mmt_import_format_parse("vtune", &f), -1);
    assert_string_equal(mmt_import_format_name(MMT_IMPORT_DIN), "din");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lackey_exact),      cmocka_unit_test(test_lackey_errors),
        cmocka_unit_test(test_pinatrace),         cmocka_unit_test(test_din),
        cmocka_unit_test(test_champsim_plain_and_xz), cmocka_unit_test(test_drmemtrace),
        cmocka_unit_test(test_format_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
