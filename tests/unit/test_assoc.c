/* test_assoc.c - the set-associative tag store: every replacement policy against
 * hand-worked sequences, geometries that are not powers of two, and the hashed fully
 * associative path against a brute-force list on random streams. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "model/assoc.h"

enum { A = 10, B, C, D, E, F };

static int has(struct assoc *a, uint64_t k)
{
    /* a lookup changes replacement state: only used where the test allows it */
    return assoc_lookup(a, k, 0) != ASSOC_NONE;
}

/* present without touching: scan the keys */
static int present(const struct assoc *a, uint64_t k)
{
    for (uint32_t i = 0; i < a->sets * a->ways; i++)
        if (a->keys[i] == k)
            return 1;
    return 0;
}

static void fill4(struct assoc *a)
{
    assert_int_equal(assoc_insert(a, A, 0, 0), ASSOC_INVALID);
    assert_int_equal(assoc_insert(a, B, 0, 0), ASSOC_INVALID);
    assert_int_equal(assoc_insert(a, C, 0, 0), ASSOC_INVALID);
    assert_int_equal(assoc_insert(a, D, 0, 0), ASSOC_INVALID);
}

static void test_lru_hand(void **state)
{
    (void)state;
    struct assoc a;
    assert_int_equal(assoc_init(&a, 4, 4, ASSOC_LRU, 1), 0);
    fill4(&a);
    assert_true(has(&a, A));                          /* order now B C D A */
    assert_int_equal(assoc_insert(&a, E, 0, 0), B);    /* LRU is B */
    assert_int_equal(assoc_insert(&a, F, 0, 0), C);
    assert_true(present(&a, A) && present(&a, D) && present(&a, E) && present(&a, F));
    assert_false(present(&a, B) || present(&a, C));
    assoc_destroy(&a);
}

static void test_fifo_hand(void **state)
{
    (void)state;
    struct assoc a;
    assert_int_equal(assoc_init(&a, 4, 4, ASSOC_FIFO, 1), 0);
    fill4(&a);
    assert_true(has(&a, A));                          /* a hit does not save A */
    assert_int_equal(assoc_insert(&a, E, 0, 0), A);
    assert_int_equal(assoc_insert(&a, F, 0, 0), B);
    assert_true(present(&a, C) && present(&a, D));
    assoc_destroy(&a);
}

/* Tree-PLRU, 4 ways: nodes 1 (root), 2 (ways 0-1), 3 (ways 2-3); worked out in the
 * comments: after A B C D every bit points left, so the victim is way 0. */
static void test_plru_hand(void **state)
{
    (void)state;
    struct assoc a;
    assert_int_equal(assoc_init(&a, 4, 4, ASSOC_PLRU, 1), 0);
    fill4(&a);
    assert_true(has(&a, A));                          /* b1=1 b2=1: victim right, b3=0: way 2 */
    assert_int_equal(assoc_insert(&a, E, 0, 0), C);   /* b1=0, b3=1: victim left, b2=1: way 1 */
    assert_true(has(&a, B));                          /* b1=1, b2=0: victim right, b3=1: way 3 */
    assert_int_equal(assoc_insert(&a, F, 0, 0), D);
    assert_true(present(&a, A) && present(&a, B) && present(&a, E) && present(&a, F));
    assoc_destroy(&a);
}

/* 3 ways: the tree has a leaf (way 3) that does not exist and is never chosen. */
static void test_plru_three_ways(void **state)
{
    (void)state;
    struct assoc a;
    assert_int_equal(assoc_init(&a, 3, 3, ASSOC_PLRU, 1), 0);
    assoc_insert(&a, A, 0, 0);
    assoc_insert(&a, B, 0, 0);
    assoc_insert(&a, C, 0, 0);                        /* b1=0 b2=0 b3=1 */
    assert_int_equal(assoc_insert(&a, D, 0, 0), A);   /* way 0; b1=1 b2=1 */
    assert_int_equal(assoc_insert(&a, E, 0, 0), C);   /* right subtree: way 3 absent, way 2 */
    assert_true(present(&a, B) && present(&a, D) && present(&a, E));
    assoc_destroy(&a);
}

static void test_random_seeded(void **state)
{
    (void)state;
    struct assoc a, b, c;
    assert_int_equal(assoc_init(&a, 8, 8, ASSOC_RANDOM, 42), 0);
    assert_int_equal(assoc_init(&b, 8, 8, ASSOC_RANDOM, 42), 0);
    assert_int_equal(assoc_init(&c, 8, 8, ASSOC_RANDOM, 7), 0);
    int differ = 0;
    for (uint64_t k = 1; k < 200; k++) {
        uint64_t ea = assoc_insert(&a, k, 0, 0), eb = assoc_insert(&b, k, 0, 0);
        uint64_t ec = assoc_insert(&c, k, 0, 0);
        assert_int_equal(ea, eb); /* same seed, same victims: the state is per array */
        differ |= ea != ec;
        if (k <= 8)
            assert_int_equal(ea, ASSOC_INVALID); /* invalid ways are filled first */
        else
            assert_true(ea < k && ea != ASSOC_INVALID);
        assert_int_equal(a.valid, k < 8 ? k : 8);
    }
    assert_true(differ);
    assoc_destroy(&a);
    assoc_destroy(&b);
    assoc_destroy(&c);
}

/* 1536 = 128 sets x 12 ways: 12 keys of one set fit, the 13th evicts the LRU one. */
static void test_geometry_1536x12(void **state)
{
    (void)state;
    struct assoc a;
    assert_int_equal(assoc_init(&a, 1536, 12, ASSOC_LRU, 1), 0);
    assert_int_equal(a.sets, 128);
    for (uint64_t i = 0; i < 12; i++)
        assert_int_equal(assoc_insert(&a, 5 + i * 128, 5 + i * 128, 0), ASSOC_INVALID);
    assert_int_equal(assoc_insert(&a, 6, 6, 0), ASSOC_INVALID); /* another set */
    assert_int_equal(assoc_insert(&a, 5 + 12 * 128, 5 + 12 * 128, 0), 5);
    assoc_destroy(&a);
    /* 1536 entries, 8 ways: 192 sets, not a power of two: 0 and 192 share a set */
    assert_int_equal(assoc_init(&a, 1536, 8, ASSOC_LRU, 1), 0);
    assert_int_equal(a.sets, 192);
    for (uint64_t i = 0; i < 8; i++)
        assoc_insert(&a, i * 192, i * 192, 0);
    assert_int_equal(assoc_insert(&a, 8 * 192, 8 * 192, 0), 0);
    assert_int_equal(assoc_insert(&a, 1, 1, 0), ASSOC_INVALID);
    assoc_destroy(&a);
    /* impossible geometries */
    assert_int_equal(assoc_init(&a, 64, 5, ASSOC_LRU, 1), -1);
    assert_int_equal(assoc_init(&a, 64, 0, ASSOC_LRU, 1), -1);
    assert_int_equal(assoc_init(&a, 0, 1, ASSOC_LRU, 1), -1);
}

static void test_direct_mapped(void **state)
{
    (void)state;
    struct assoc a;
    assert_int_equal(assoc_init(&a, 4, 1, ASSOC_LRU, 1), 0);
    assoc_insert(&a, 1, 1, 0);
    assoc_insert(&a, 2, 2, 0);
    assert_int_equal(assoc_insert(&a, 5, 5, 0), 1); /* 5 % 4 == 1 */
    assert_true(present(&a, 2));
    assoc_destroy(&a);
}

/* ---- brute force: a list, most recent (LRU) or newest (FIFO) first ---- */
struct brute {
    uint64_t k[4096];
    int n, cap, lru;
};

static int brute_lookup(struct brute *b, uint64_t key)
{
    for (int i = 0; i < b->n; i++)
        if (b->k[i] == key) {
            if (b->lru) {
                memmove(b->k + 1, b->k, (size_t)i * sizeof b->k[0]);
                b->k[0] = key;
            }
            return 1;
        }
    return 0;
}

static uint64_t brute_insert(struct brute *b, uint64_t key)
{
    uint64_t ev = ASSOC_INVALID;
    if (b->n == b->cap)
        ev = b->k[--b->n];
    memmove(b->k + 1, b->k, (size_t)b->n * sizeof b->k[0]);
    b->k[0] = key;
    b->n++;
    return ev;
}

static void brute_remove(struct brute *b, uint64_t key)
{
    for (int i = 0; i < b->n; i++)
        if (b->k[i] == key) {
            memmove(b->k + i, b->k + i + 1, (size_t)(b->n - i - 1) * sizeof b->k[0]);
            b->n--;
            return;
        }
}

static void compare_with_brute(enum assoc_policy pol, uint32_t entries, uint64_t universe)
{
    struct assoc a;
    struct brute *b = calloc(1, sizeof *b);
    assert_non_null(b);
    b->cap = (int)entries;
    b->lru = pol == ASSOC_LRU;
    assert_int_equal(assoc_init(&a, entries, entries, pol, 3), 0);
    uint64_t x = 88172645463325252ULL;
    for (int step = 0; step < 200000; step++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        uint64_t key = x % universe;
        if (x % 97 == 0) { /* sometimes invalidate instead */
            int was = assoc_invalidate(&a, key, key);
            assert_int_equal(was, brute_lookup(b, key) ? 1 : 0);
            brute_remove(b, key);
            continue;
        }
        int hit = assoc_lookup(&a, key, key) != ASSOC_NONE;
        assert_int_equal(hit, brute_lookup(b, key));
        if (!hit)
            assert_int_equal(assoc_insert(&a, key, key, 0), brute_insert(b, key));
        assert_int_equal(a.valid, (uint32_t)b->n);
    }
    assoc_destroy(&a);
    free(b);
}

static void test_hashed_fa_vs_brute(void **state)
{
    (void)state;
    compare_with_brute(ASSOC_LRU, 64, 100);     /* hashed (> ASSOC_SCAN_MAX ways) */
    compare_with_brute(ASSOC_LRU, 1536, 2500);
    compare_with_brute(ASSOC_FIFO, 64, 100);
    compare_with_brute(ASSOC_LRU, 16, 30);      /* the scanned path */
    compare_with_brute(ASSOC_FIFO, 12, 30);
}

static int is_odd(void *ctx, uint64_t key)
{
    (void)ctx;
    return key & 1;
}

static void test_invalidate_if_and_flush(void **state)
{
    (void)state;
    struct assoc a;
    assert_int_equal(assoc_init(&a, 64, 64, ASSOC_LRU, 1), 0);
    for (uint64_t k = 0; k < 64; k++)
        assoc_insert(&a, k, k, k);
    assert_int_equal(assoc_invalidate_if(&a, is_odd, NULL), 32);
    assert_int_equal(a.valid, 32);
    assert_false(present(&a, 3));
    assert_true(has(&a, 4));
    for (uint64_t k = 100; k < 132; k++) /* refills the 32 holes without evicting */
        assert_int_equal(assoc_insert(&a, k, k, 0), ASSOC_INVALID);
    assert_int_equal(assoc_insert(&a, 200, 200, 0), 0); /* LRU: 0 (4 was touched) */
    assoc_flush(&a);
    assert_int_equal(a.valid, 0);
    assert_false(has(&a, 4));
    assoc_destroy(&a);
}

/* assoc_access (one pass) behaves as lookup-then-insert, set by set. */
static void test_access_equals_lookup_insert(void **state)
{
    (void)state;
    for (int pol = ASSOC_LRU; pol <= ASSOC_RANDOM; pol++) {
        struct assoc a, b;
        assert_int_equal(assoc_init_tags(&a, 512, 8, (enum assoc_policy)pol, 5), 0);
        assert_int_equal(assoc_init_tags(&b, 512, 8, (enum assoc_policy)pol, 5), 0);
        uint64_t x = 12345;
        for (int i = 0; i < 100000; i++) {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            uint64_t key = x % 2000, ev = ASSOC_INVALID, evb = ASSOC_INVALID;
            int hit = assoc_access(&a, key, key, &ev);
            int hitb = assoc_lookup(&b, key, key) != ASSOC_NONE;
            if (!hitb)
                evb = assoc_insert(&b, key, key, 0);
            assert_int_equal(hit, hitb);
            assert_int_equal(ev, evb);
        }
        assoc_destroy(&a);
        assoc_destroy(&b);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lru_hand),
        cmocka_unit_test(test_fifo_hand),
        cmocka_unit_test(test_plru_hand),
        cmocka_unit_test(test_plru_three_ways),
        cmocka_unit_test(test_random_seeded),
        cmocka_unit_test(test_geometry_1536x12),
        cmocka_unit_test(test_direct_mapped),
        cmocka_unit_test(test_hashed_fa_vs_brute),
        cmocka_unit_test(test_invalidate_if_and_flush),
        cmocka_unit_test(test_access_equals_lookup_insert),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
