/* test_mrc.c - the one-pass LRU curve against brute-force LRU caches, SHARDS accuracy,
 * the thrashing model and the knee. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <math.h>
#include <stdio.h>
#include <unistd.h>
#include <cmocka.h>

#include "analysis/mrc.h"
#include "analysis/stackdist.h"

/* A fully associative LRU cache of `cap` keys, kept as a recency-ordered array. */
static uint64_t brute_lru_misses(const uint64_t *keys, size_t n, size_t cap)
{
    uint64_t *c = malloc(sizeof *c * (cap + 1));
    size_t used = 0;
    uint64_t misses = 0;
    for (size_t i = 0; i < n; i++) {
        size_t pos = used;
        for (size_t j = 0; j < used; j++)
            if (c[j] == keys[i]) {
                pos = j;
                break;
            }
        if (pos == used) {
            misses++;
            if (used < cap)
                used++;
            pos = used - 1; /* the LRU one is dropped */
        }
        memmove(c + 1, c, sizeof *c * pos);
        c[0] = keys[i];
    }
    free(c);
    return misses;
}

static uint64_t lcg(uint64_t *s)
{
    *s = *s * 6364136223846793005ULL + 1442695040888963407ULL;
    return *s >> 33;
}

static void check_against_brute(const uint64_t *keys, size_t n, size_t max_size)
{
    struct stackdist sd;
    assert_int_equal(sd_init(&sd), 0);
    for (size_t i = 0; i < n; i++)
        sd_access(&sd, keys[i]);
    assert_int_equal(sd.failed, 0);
    for (size_t c = 1; c <= max_size; c++) {
        uint64_t want = brute_lru_misses(keys, n, c);
        uint64_t got = sd_misses(&sd, c);
        if (want != got)
            fail_msg("size %zu: brute force %llu misses, stack distances %llu", c,
                     (unsigned long long)want, (unsigned long long)got);
    }
    sd_free(&sd);
}

static void test_random_stream_every_size(void **state)
{
    (void)state;
    enum { N = 4000, KEYS = 150 };
    uint64_t *keys = malloc(sizeof *keys * N), s = 42;
    for (size_t i = 0; i < N; i++) /* skewed: half the references to 15 hot keys */
        keys[i] = (lcg(&s) & 1) ? lcg(&s) % 15 : lcg(&s) % KEYS;
    check_against_brute(keys, N, KEYS + 3);
    free(keys);
}

static void test_looping_stream_every_size(void **state)
{
    (void)state;
    enum { N = 3000, LOOP = 97 };
    uint64_t keys[N];
    for (size_t i = 0; i < N; i++)
        keys[i] = (i % LOOP) * 4096 + 7;
    check_against_brute(keys, N, LOOP + 3);
    /* the loop misses everything below its length and only cold misses from it on */
    struct stackdist sd;
    assert_int_equal(sd_init(&sd), 0);
    for (size_t i = 0; i < N; i++)
        sd_access(&sd, keys[i]);
    assert_int_equal(sd_misses(&sd, LOOP - 1), N);
    assert_int_equal(sd_misses(&sd, LOOP), LOOP);
    sd_free(&sd);
}

/* Enough references to renumber the times many times and enough keys to regrow the hash:
 * checked against the distance computed naively from a recency list. */
static void test_compaction_and_growth(void **state)
{
    (void)state;
    enum { N = 400000, KEYS = 9000 };
    uint64_t *order = malloc(sizeof *order * KEYS);
    size_t used = 0;
    struct stackdist sd;
    assert_int_equal(sd_init(&sd), 0);
    uint64_t s = 7;
    for (size_t i = 0; i < N; i++) {
        uint64_t k = (i % 3) ? lcg(&s) % 64 : lcg(&s) % KEYS;
        size_t pos = used;
        for (size_t j = 0; j < used; j++)
            if (order[j] == k) {
                pos = j;
                break;
            }
        uint64_t want = pos == used ? 0 : pos + 1;
        if (pos == used)
            used++;
        memmove(order + 1, order, sizeof *order * pos);
        order[0] = k;
        uint64_t got = sd_access(&sd, k);
        if (got != want)
            fail_msg("reference %zu (key %llu): distance %llu, want %llu", i,
                     (unsigned long long)k, (unsigned long long)got, (unsigned long long)want);
    }
    assert_int_equal(sd.live, used);
    free(order);
    sd_free(&sd);
}

static void test_curve_points_and_spanning_access(void **state)
{
    (void)state;
    struct mrc m;
    struct mrc_opts o = {12, 0};
    assert_int_equal(mrc_init(&m, &o), 0);
    mrc_switch(&m, 100);
    for (int r = 0; r < 3; r++) {
        mrc_access(&m, 0x10000, 8);   /* page 0x10 */
        mrc_access(&m, 0x20ffc, 8);   /* spans pages 0x20 and 0x21 */
    }
    mrc_switch(&m, 200);
    mrc_access(&m, 0x10000, 4); /* same address, another process: a new page */
    struct mrc_curve c;
    assert_int_equal(mrc_curve(&m, &c), 0);
    assert_int_equal(c.accesses, 7);
    assert_int_equal(c.references, 10);
    assert_true(c.cold == 4);
    /* distances: 0,0,0, then 3,3,3, 3,3,3 ... (three pages in rotation), then 0 */
    assert_true(mrc_curve_misses(&c, 0) == 10);
    assert_true(mrc_curve_misses(&c, 2) == 10);
    assert_true(mrc_curve_misses(&c, 3) == 4);
    assert_true(mrc_curve_misses(&c, 1000) == 4);
    assert_int_equal(c.n, 2); /* 1 page (nothing repeats at once here), then 3 */
    assert_int_equal(c.pts[0].pages, 1);
    assert_true(c.pts[0].misses == 10);
    assert_int_equal(c.pts[1].pages, 3);
    mrc_curve_free(&c);
    mrc_free(&m);
}

/* SHARDS at 10% on a large skewed stream stays close to the exact curve. */
static void test_shards_close_to_exact(void **state)
{
    (void)state;
    struct mrc ex, sa;
    struct mrc_opts oe = {12, 0}, os = {12, 0.1};
    assert_int_equal(mrc_init(&ex, &oe), 0);
    assert_int_equal(mrc_init(&sa, &os), 0);
    uint64_t s = 99;
    for (size_t i = 0; i < 2000000; i++) {
        uint64_t r = lcg(&s);
        uint64_t page = (r & 3) ? lcg(&s) % 2000 : lcg(&s) % 20000;
        mrc_access(&ex, page << 12, 8);
        mrc_access(&sa, page << 12, 8);
    }
    struct mrc_curve ce, cs;
    assert_int_equal(mrc_curve(&ex, &ce), 0);
    assert_int_equal(mrc_curve(&sa, &cs), 0);
    double err = 0;
    int n = 0;
    for (uint64_t p = 100; p <= 22000; p += 100, n++)
        err += fabs(mrc_curve_misses(&ce, p) - mrc_curve_misses(&cs, p)) / (double)ce.references;
    err /= n;
    print_message("# SHARDS 10%% mean absolute error %.4f\n", err);
    assert_true(err < 0.02);
    mrc_curve_free(&ce);
    mrc_curve_free(&cs);
    mrc_free(&ex);
    mrc_free(&sa);
}

/* Immediate repeats hit at every size, exactly, also when sampled. */
static void test_repeats_exact_when_sampled(void **state)
{
    (void)state;
    struct mrc sa;
    struct mrc_opts os = {12, 0.01};
    assert_int_equal(mrc_init(&sa, &os), 0);
    for (uint64_t p = 0; p < 100000; p++)
        for (int k = 0; k < 9; k++)
            mrc_access(&sa, p << 12 | (uint64_t)k * 8, 8); /* 9 accesses a page, then the next */
    struct mrc_curve c;
    assert_int_equal(mrc_curve(&sa, &c), 0);
    assert_true(mrc_curve_misses(&c, 1) == 100000);
    assert_true(mrc_curve_misses(&c, 0) == 900000);
    assert_true(fabs(c.cold - 100000) < 5000); /* estimated from the sample */
    mrc_curve_free(&c);
    mrc_free(&sa);
}

static void test_thrash_model_and_knee(void **state)
{
    (void)state;
    struct mrc m;
    struct mrc_opts o = {12, 0};
    assert_int_equal(mrc_init(&m, &o), 0);
    for (int r = 0; r < 10; r++)
        for (uint64_t p = 0; p < 50; p++)
            mrc_access(&m, p << 12, 4);
    struct mrc_curve c;
    assert_int_equal(mrc_curve(&m, &c), 0);
    struct thrash_model tm = {1.0, 100.0, 10000.0};
    struct thrash_point small = mrc_thrash_at(&c, &tm, 49), big = mrc_thrash_at(&c, &tm, 50);
    assert_true(small.major_faults == 450);
    assert_true(big.major_faults == 0);
    assert_true(fabs(small.runtime_s - (500 * 1.0 + 50 * 100.0 + 450 * 10000.0) * 1e-9) < 1e-15);
    double x[8], y[8];
    for (int i = 0; i < 8; i++) {
        x[i] = 10 + 10 * i;
        y[i] = mrc_thrash_at(&c, &tm, (uint64_t)x[i]).runtime_s;
    }
    assert_int_equal(mrc_knee(x, y, 8), 4); /* x = 50 */
    mrc_curve_free(&c);
    mrc_free(&m);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_random_stream_every_size),
        cmocka_unit_test(test_looping_stream_every_size),
        cmocka_unit_test(test_compaction_and_growth),
        cmocka_unit_test(test_curve_points_and_spanning_access),
        cmocka_unit_test(test_shards_close_to_exact),
        cmocka_unit_test(test_repeats_exact_when_sampled),
        cmocka_unit_test(test_thrash_model_and_knee),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
