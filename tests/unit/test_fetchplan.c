/* test_fetchplan.c - the writer's batch paths for instruction fetches (mmt_fetch_plan,
 * mmt_writer_fetch_run, mmt_writer_run_access, mmt_writer_fetches) write exactly the bytes
 * that one mmt_writer_access call per record writes: the same trace file, byte for byte,
 * on runs with sequential, strided, repeated and far instructions, runs entered in the
 * middle, runs interleaved with other runs' fetches, and chunks a few records long; and a
 * write error on the writer's compression thread reaches the caller. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "traces/mmt.h"

#define NRUNS 64
#define MAXN 40

struct run {
    uint64_t ins[MAXN];
    uint32_t n;
    uint8_t enc[MAXN * MMT_FETCH_PLAN_BYTES + 16];
    uint32_t off[MAXN + 1];
};

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* A run of instructions: mostly sequential, sometimes a jump, a repeat, a stride, a
 * kernel-half address (sign-extended from bit 47). */
static void make_run(struct run *r, uint64_t *seed)
{
    r->n = 1 + (uint32_t)(rng_next(seed) % MAXN);
    uint64_t a = rng_next(seed) % 8 == 0 ? 0xffffffffff600000ull : 0x400000 + rng_next(seed) % 100000;
    unsigned size = 1 + (unsigned)(rng_next(seed) % 15);
    for (uint32_t i = 0; i < r->n; i++) {
        r->ins[i] = mmt_fetch_word(a, size);
        unsigned pick = (unsigned)(rng_next(seed) % 10);
        if (pick < 6)
            a += size;                             /* sequential */
        else if (pick == 6)
            a += 0;                                /* the same address again */
        else if (pick == 7)
            a += 64;                               /* a stride, if repeated */
        else
            a = 0x400000 + rng_next(seed) % 50000; /* a jump */
        size = 1 + (unsigned)(rng_next(seed) % 15);
    }
    assert_int_equal(mmt_fetch_plan(r->ins, r->n, r->enc, r->off), 0);
}

static char *read_all(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *b = malloc((size_t)n + 1);
    assert_non_null(b);
    assert_int_equal(fread(b, 1, (size_t)n, f), (size_t)n);
    fclose(f);
    *len = (size_t)n;
    return b;
}

/* Writes the same random stream twice, once record by record and once through the batch
 * calls, and compares the files. */
static void check_stream(size_t chunk_records, uint64_t seed0)
{
    struct run *runs = calloc(NRUNS, sizeof *runs);
    assert_non_null(runs);
    uint64_t seed = seed0;
    for (int i = 0; i < NRUNS; i++)
        make_run(&runs[i], &seed);
    char path[2][32] = {"/tmp/test_fetchplan." "XX" "XX" "XX", "/tmp/test_fetchplan." "XX" "XX" "XX"};
    struct mmt_writer *w[2];
    struct mmt_writer_opts o = {1, chunk_records, 0};
    char err[256];
    for (int k = 0; k < 2; k++) {
        int fd = mkstemp(path[k]);
        assert_true(fd >= 0);
        close(fd);
        w[k] = mmt_writer_open(path[k], &o, err, sizeof err);
        assert_non_null(w[k]);
    }
    uint64_t records = 0;
    for (int step = 0; step < 20000; step++) {
        const struct run *r = &runs[rng_next(&seed) % NRUNS];
        uint32_t from = (uint32_t)(rng_next(&seed) % (r->n + 1));
        uint32_t upto = from + (uint32_t)(rng_next(&seed) % (r->n - from + 1));
        unsigned what = (unsigned)(rng_next(&seed) % 4);
        unsigned kind = 1 + (unsigned)(rng_next(&seed) % 3);
        uint64_t addr = 0x7ff000000000ull + (rng_next(&seed) % 4096) * 8;
        unsigned size = 1u << (rng_next(&seed) % 5);
        for (uint32_t i = from; i < upto; i++)
            assert_int_equal(mmt_writer_access(w[0], MMT_IFETCH, mmt_fetch_addr(r->ins[i]),
                                               (unsigned)(r->ins[i] >> 48)), 0);
        records += upto - from;
        if (what == 0) {
            assert_int_equal(mmt_writer_fetch_run(w[1], r->ins, r->enc, r->off, from, upto), 0);
        } else if (what == 1) {
            assert_int_equal(mmt_writer_fetches(w[1], r->ins + from, upto - from), 0);
        } else {
            /* a data access after the run's fetches: one call for both */
            assert_int_equal(mmt_writer_access(w[0], kind, addr, size), 0);
            assert_int_equal(
                mmt_writer_run_access(w[1], r->ins, r->enc, r->off, from, upto, kind, addr, size), 0);
            records++;
        }
        if (step % 997 == 0) /* a thread switch in between: the streams' states carry over */
            for (int k = 0; k < 2; k++)
                assert_int_equal(mmt_writer_switch(w[k], 1, (uint32_t)step), 0);
    }
    assert_int_equal(mmt_writer_records(w[0]), records + (20000 / 997 + 1) /* the switches */);
    assert_int_equal(mmt_writer_records(w[0]), mmt_writer_records(w[1]));
    for (int k = 0; k < 2; k++)
        assert_int_equal(mmt_writer_close(w[k], err, sizeof err), 0);
    size_t len[2];
    char *b[2];
    for (int k = 0; k < 2; k++)
        b[k] = read_all(path[k], &len[k]);
    assert_true(len[0] > 1000);
    assert_int_equal(len[0], len[1]);
    assert_memory_equal(b[0], b[1], len[0]);
    for (int k = 0; k < 2; k++) {
        free(b[k]);
        unlink(path[k]);
    }
    free(runs);
}

static void test_batch_equals_single_records(void **state)
{
    (void)state;
    check_stream(0, 0x9e3779b97f4a7c15ull); /* default chunks */
}

static void test_batch_equals_single_records_tiny_chunks(void **state)
{
    (void)state;
    check_stream(7, 12345); /* a chunk boundary inside most runs */
    check_stream(64, 777);
}

/* The plan of a run that starts with a jump: instruction 1 is planned only when it
 * follows instruction 0 directly; otherwise the writer encodes it from the stream. */
static void test_plan_offsets(void **state)
{
    (void)state;
    uint64_t ins[3] = {mmt_fetch_word(0x1000, 4), mmt_fetch_word(0x1004, 3),
                       mmt_fetch_word(0x1007, 8)};
    uint8_t enc[3 * MMT_FETCH_PLAN_BYTES + 16];
    uint32_t off[4];
    assert_int_equal(mmt_fetch_plan(ins, 3, enc, off), 0);
    assert_int_equal(off[0], 0);
    assert_int_equal(off[1], 0);
    /* size 3 has no size code: tag and size byte; size 8 has one: the tag alone */
    assert_int_equal(off[2], 2);
    assert_int_equal(off[3], 3);
    uint64_t bad[2] = {mmt_fetch_word(0x1000, 4), mmt_fetch_word(0x1004, 0)};
    assert_int_equal(mmt_fetch_plan(bad, 2, enc, off), -1);
}

/* A write error on the compression thread reaches the caller: a later record or close
 * fails with the file's name and the byte where writing failed. */
static void test_write_error_surfaces(void **state)
{
    (void)state;
    char err[512];
    struct mmt_writer_opts o = {1, 16, 0};
    struct mmt_writer *w = mmt_writer_open("/dev/full", &o, err, sizeof err);
    assert_non_null(w);
    int failed_at = -1;
    for (int i = 0; i < 100000 && failed_at < 0; i++)
        if (mmt_writer_access(w, MMT_LOAD, 0x1000 + 64 * (uint64_t)i, 8))
            failed_at = i;
    assert_true(failed_at > 0); /* the first chunks are handed over before any write */
    assert_non_null(strstr(mmt_writer_error(w), "/dev/full: write failed at byte"));
    assert_int_equal(mmt_writer_close(w, err, sizeof err), -1);
    assert_non_null(strstr(err, "No space left on device"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_batch_equals_single_records),
        cmocka_unit_test(test_batch_equals_single_records_tiny_chunks),
        cmocka_unit_test(test_plan_offsets),
        cmocka_unit_test(test_write_error_surfaces),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
