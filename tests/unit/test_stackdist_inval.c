/* test_stackdist_inval.c - stack distances with invalidations (sd_invalidate, the holes the
 * one-pass TLB sweep relies on) against brute-force fully associative LRU caches that drop
 * invalidated entries and fill an empty entry before evicting, as a TLB does. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "analysis/stackdist.h"

/* One cache of `cap` entries: valid keys with the time of their last use. */
struct brute {
    uint64_t *key, *used;
    int *valid;
    size_t cap;
    uint64_t misses;
};

static void brute_init(struct brute *b, size_t cap)
{
    b->key = calloc(cap, sizeof *b->key);
    b->used = calloc(cap, sizeof *b->used);
    b->valid = calloc(cap, sizeof *b->valid);
    b->cap = cap;
    b->misses = 0;
}

static void brute_free(struct brute *b)
{
    free(b->key);
    free(b->used);
    free(b->valid);
}

static void brute_ref(struct brute *b, uint64_t key, uint64_t now)
{
    size_t victim = 0;
    int have_empty = 0;
    for (size_t i = 0; i < b->cap; i++) {
        if (b->valid[i] && b->key[i] == key) {
            b->used[i] = now;
            return;
        }
        if (!b->valid[i] && !have_empty) {
            victim = i;
            have_empty = 1;
        } else if (!have_empty && b->used[i] < b->used[victim]) {
            victim = i;
        }
    }
    b->misses++;
    b->key[victim] = key;
    b->used[victim] = now;
    b->valid[victim] = 1;
}

static void brute_invalidate(struct brute *b, uint64_t lo, uint64_t hi)
{
    for (size_t i = 0; i < b->cap; i++)
        if (b->valid[i] && b->key[i] >= lo && b->key[i] < hi)
            b->valid[i] = 0;
}

struct range {
    uint64_t lo, hi;
};

static int in_range(void *ctx, uint64_t key)
{
    const struct range *r = ctx;
    return key >= r->lo && key < r->hi;
}

static uint64_t next_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static const size_t sizes[] = {1, 2, 3, 5, 8, 13, 21, 34, 64, 100};
#define NSIZES (sizeof sizes / sizeof sizes[0])

/* refs references over `keys` keys; every `every` references on average, an invalidation
 * of one key or of a range (by key, or by a scan with sd_invalidate_if). */
static void run_stream(uint64_t seed, size_t refs, uint64_t keys, unsigned every)
{
    struct stackdist sd;
    assert_int_equal(sd_init(&sd), 0);
    struct brute b[NSIZES];
    for (size_t i = 0; i < NSIZES; i++)
        brute_init(&b[i], sizes[i]);
    uint64_t s = seed, hot = 0;
    for (size_t n = 0; n < refs; n++) {
        uint64_t r = next_rand(&s);
        if (r % every == 0) {
            uint64_t lo = next_rand(&s) % keys, len = 1 + next_rand(&s) % (r & 1 ? 1 : 40);
            if (r & 2) {
                for (uint64_t k = lo; k < lo + len; k++)
                    assert_true(sd_invalidate(&sd, k) >= 0);
            } else {
                struct range rg = {lo, lo + len};
                assert_true(sd_invalidate_if(&sd, in_range, &rg) >= 0);
            }
            for (size_t i = 0; i < NSIZES; i++)
                brute_invalidate(&b[i], lo, lo + len);
            continue;
        }
        /* a drifting hot set with repeats, so every size has hits and misses */
        if (r % 97 == 0)
            hot = next_rand(&s) % keys;
        uint64_t key = (r >> 8) % 3 ? (hot + (r >> 16) % 48) % keys : (r >> 16) % keys;
        sd_access(&sd, key);
        for (size_t i = 0; i < NSIZES; i++)
            brute_ref(&b[i], key, n + 1);
    }
    assert_false(sd.failed);
    for (size_t i = 0; i < NSIZES; i++) {
        assert_int_equal(sd_misses(&sd, sizes[i]), b[i].misses);
        brute_free(&b[i]);
    }
    sd_free(&sd);
}

static void test_single_hole_by_hand(void **state)
{
    (void)state;
    struct stackdist sd;
    assert_int_equal(sd_init(&sd), 0);
    /* stack after 1 2 3: 3 2 1; drop 2: 3 _ 1 */
    sd_access(&sd, 1);
    sd_access(&sd, 2);
    sd_access(&sd, 3);
    assert_int_equal(sd_invalidate(&sd, 2), 1);
    assert_int_equal(sd_invalidate(&sd, 2), 0);
    /* 1 at distance 3: a 2-entry cache holds {3, empty} and misses, filling the hole */
    assert_int_equal(sd_access(&sd, 1), 3);
    /* stack now 1 3 _ : 3 is at distance 2 */
    assert_int_equal(sd_access(&sd, 3), 2);
    /* a new key: the 3-entry cache fills its empty entry, so 1 stays at distance 2 */
    assert_int_equal(sd_access(&sd, 4), 0);
    assert_int_equal(sd_access(&sd, 1), 3);
    sd_free(&sd);
}

static void test_random_with_invalidations(void **state)
{
    (void)state;
    run_stream(88172645463325252ull, 20000, 300, 50);
    run_stream(12345, 20000, 90, 7); /* frequent invalidations, many holes at once */
}

static void test_invalidations_across_compaction(void **state)
{
    (void)state;
    /* more references than the first bitmap holds: times (and holes) are renumbered */
    run_stream(777, 160000, 2000, 40);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_single_hole_by_hand),
        cmocka_unit_test(test_random_with_invalidations),
        cmocka_unit_test(test_invalidations_across_compaction),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
