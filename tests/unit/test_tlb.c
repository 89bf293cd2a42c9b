/* test_tlb.c - TLB levels: the fully associative LRU TLB against a brute-force list on
 * random streams (through the same lookup-then-fill protocol the engine uses, fast path
 * included), page sizes held apart or together, ASIDs, range invalidation. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "model/config.h"
#include "model/tlb.h"

static const unsigned shifts[TLB_NR_PSIZES] = {12, 21, 30};

static struct tlb_config tcfg(uint32_t entries, uint32_t ways, uint32_t sizes, unsigned policy)
{
    struct tlb_config c;
    memset(&c, 0, sizeof c);
    strcpy(c.name, "t");
    c.entries[0] = entries;
    c.nentries = 1;
    c.ways[0] = ways;
    c.nways = 1;
    c.page_sizes = sizes;
    c.policy = policy;
    c.next_index = -1;
    c.seed = 1;
    return c;
}

/* brute-force LRU list of page numbers, most recent first */
struct lru_model {
    uint64_t v[2048];
    int n, cap;
};

static int list_access(struct lru_model *l, uint64_t vpn)
{
    int hit = 0, i;
    for (i = 0; i < l->n; i++)
        if (l->v[i] == vpn) {
            hit = 1;
            break;
        }
    if (!hit) {
        if (l->n < l->cap)
            l->n++;
        i = l->n - 1;
    }
    memmove(l->v + 1, l->v, (size_t)i * sizeof l->v[0]);
    l->v[0] = vpn;
    return hit;
}

static void run_fa_lru(uint32_t entries, uint64_t pages, int steps)
{
    struct tlb t;
    struct tlb_config c = tcfg(entries, 0, 1u << PSIZE_4K, 0);
    c.ways[0] = entries;
    assert_int_equal(tlb_init(&t, &c, shifts), 0);
    struct lru_model *l = calloc(1, sizeof *l);
    assert_non_null(l);
    l->cap = (int)entries;
    uint64_t x = 0x1234567ULL, hits = 0, misses = 0;
    uint64_t va = 0;
    for (int s = 0; s < steps; s++) {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        if (x % 4) /* mostly a new page, sometimes the same one again (fast path) */
            va = ((x >> 8) % pages) * 4096 + (x & 4095);
        uint64_t val;
        int ps = tlb_lookup(&t, va, 5, &val);
        int expect = list_access(l, va >> 12);
        assert_int_equal(ps >= 0, expect);
        if (ps >= 0) {
            assert_int_equal(val, (va >> 12) * 7);
            hits++;
        } else {
            tlb_fill(&t, va, 5, PSIZE_4K, (va >> 12) * 7);
            misses++;
        }
    }
    struct tlb_stats st;
    tlb_stats_get(&t, &st);
    assert_int_equal(st.lookups, (uint64_t)steps);
    assert_int_equal(st.hits, hits);
    assert_int_equal(st.misses, misses);
    assert_true(hits > 0 && misses > 0);
    tlb_destroy(&t);
    free(l);
}

static void test_fa_lru_vs_brute_force(void **state)
{
    (void)state;
    run_fa_lru(64, 100, 300000);
    run_fa_lru(64, 70, 300000);
    run_fa_lru(1536, 2000, 300000);
    run_fa_lru(8, 12, 100000); /* small: the scanned path */
}

/* 4K, 2M and 1G held apart (64/32/4 entries) */
static void test_split_page_sizes(void **state)
{
    (void)state;
    struct tlb_config c = tcfg(0, 0, 7, 0);
    c.entries[0] = 64;
    c.entries[1] = 32;
    c.entries[2] = 4;
    c.nentries = 3;
    c.ways[0] = 4;
    c.nways = 1;
    struct tlb t;
    assert_int_equal(tlb_init(&t, &c, shifts), 0);
    assert_int_equal(t.narrays, 3);
    assert_int_equal(tlb_capacity(&t), 100);
    uint64_t val;
    tlb_fill(&t, 0x40000000, 1, PSIZE_1G, 111);
    tlb_fill(&t, 0x200000, 1, PSIZE_2M, 222);
    tlb_fill(&t, 0x1000, 1, PSIZE_4K, 333);
    assert_int_equal(tlb_lookup(&t, 0x7fffffff, 1, &val), PSIZE_1G);
    assert_int_equal(val, 111);
    assert_int_equal(tlb_lookup(&t, 0x3fffff, 1, &val), PSIZE_2M);
    assert_int_equal(tlb_lookup(&t, 0x1fff, 1, &val), PSIZE_4K);
    assert_int_equal(val, 333);
    assert_int_equal(tlb_lookup(&t, 0x2000, 1, &val), -1);
    assert_int_equal(t.st.hits_ps[PSIZE_1G], 1);
    assert_int_equal(t.st.hits_ps[PSIZE_2M], 1);
    /* 17 2M pages in 32 entries, 4 ways = 8 sets: pages 0,8,16,.. share set 0 */
    for (uint64_t i = 0; i < 5; i++)
        tlb_fill(&t, (i * 8) << 21, 1, PSIZE_2M, i);
    assert_int_equal(tlb_lookup(&t, 0, 1, &val), -1); /* page 0 evicted by the 5th */
    assert_int_equal(tlb_lookup(&t, 0x1000, 1, &val), PSIZE_4K); /* other arrays untouched */
    tlb_destroy(&t);
}

/* 4K and 2M together in one 1536-entry 12-way array (an STLB) */
static void test_shared_array(void **state)
{
    (void)state;
    struct tlb_config c = tcfg(1536, 12, 3, 0);
    struct tlb t;
    assert_int_equal(tlb_init(&t, &c, shifts), 0);
    assert_int_equal(t.narrays, 1);
    assert_int_equal(t.arr_of[PSIZE_2M], 0);
    assert_int_equal(t.arr_of[PSIZE_1G], -1);
    uint64_t val;
    tlb_fill(&t, 0x40000000, 1, PSIZE_1G, 1); /* not held: ignored */
    assert_int_equal(tlb_lookup(&t, 0x40000000, 1, &val), -1);
    tlb_fill(&t, 0x600000, 1, PSIZE_2M, 2);
    tlb_fill(&t, 0x600000, 1, PSIZE_4K, 3);
    assert_int_equal(t.arr[0].valid, 2);
    assert_int_equal(tlb_lookup(&t, 0x600000, 1, &val), PSIZE_4K); /* base size probed first */
    assert_int_equal(tlb_lookup(&t, 0x601000, 1, &val), PSIZE_2M);
    tlb_destroy(&t);
}

static void test_asid_and_invalidation(void **state)
{
    (void)state;
    struct tlb_config c = tcfg(64, 4, 3, 0);
    struct tlb t;
    assert_int_equal(tlb_init(&t, &c, shifts), 0);
    uint64_t val;
    for (uint64_t p = 0; p < 8; p++) {
        tlb_fill(&t, p << 12, 1, PSIZE_4K, p);
        tlb_fill(&t, p << 12, 2, PSIZE_4K, 100 + p);
    }
    tlb_fill(&t, 0x200000, 1, PSIZE_2M, 9);
    assert_int_equal(tlb_lookup(&t, 0x3000, 2, &val), PSIZE_4K);
    assert_int_equal(val, 103);
    assert_int_equal(tlb_lookup(&t, 0x3000, 3, &val), -1); /* another address space */
    /* munmap of pages 2..4 of asid 1, and of a range inside the 2M page */
    tlb_invalidate_range(&t, 0x2000, 0x5000, 1);
    assert_int_equal(tlb_lookup(&t, 0x2000, 1, &val), -1);
    assert_int_equal(tlb_lookup(&t, 0x4fff, 1, &val), -1);
    assert_int_equal(tlb_lookup(&t, 0x5000, 1, &val), PSIZE_4K);
    assert_int_equal(tlb_lookup(&t, 0x2000, 2, &val), PSIZE_4K);
    tlb_invalidate_range(&t, 0x300000, 0x301000, 1);
    assert_int_equal(tlb_lookup(&t, 0x200000, 1, &val), -1); /* the 2M entry overlapped */
    tlb_invalidate_page(&t, 0x6000, 2);
    assert_int_equal(tlb_lookup(&t, 0x6000, 2, &val), -1);
    tlb_flush_asid(&t, 2);
    assert_int_equal(tlb_lookup(&t, 0x1000, 2, &val), -1);
    assert_int_equal(tlb_lookup(&t, 0x1000, 1, &val), PSIZE_4K);
    tlb_flush_all(&t);
    assert_int_equal(tlb_lookup(&t, 0x1000, 1, &val), -1);
    assert_int_equal(t.nvalid[0] + t.nvalid[1], 0);
    tlb_destroy(&t);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_fa_lru_vs_brute_force),
        cmocka_unit_test(test_split_page_sizes),
        cmocka_unit_test(test_shared_array),
        cmocka_unit_test(test_asid_and_invalidation),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
