/* test_pgtable.c - radix page tables: entries at simulated physical addresses, table frames
 * from the frame source and back, huge leaves, range unmap/protect, fork copy, VmPTE, 5
 * levels and 16 KiB pages, host bytes per resident page. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "model/pgtable.h"

struct frames {
    uint64_t next, live, limit;
};

static uint64_t fr_alloc(void *ctx)
{
    struct frames *f = ctx;
    if (f->limit && f->live >= f->limit)
        return PGT_NO_FRAME;
    f->live++;
    return f->next++;
}

static void fr_release(void *ctx, uint64_t pfn)
{
    struct frames *f = ctx;
    (void)pfn;
    f->live--;
}

static void test_map_lookup_walk(void **state)
{
    (void)state;
    struct frames f = {100, 0, 0};
    struct pgtable_frames fr = {fr_alloc, fr_release, &f};
    struct pgtable *pt = pgtable_new(4, 12, &fr);
    assert_non_null(pt);
    assert_int_equal(f.live, 1); /* the root */
    assert_int_equal(pgtable_bytes(pt), 0);
    uint64_t va = 0x7f1234567000ULL;
    assert_int_equal(pgtable_map(pt, va, 4242, 1, PTE_WRITE | PTE_USER, NULL), 0);
    assert_int_equal(f.live, 4); /* PDPT, PD, PT */
    assert_int_equal(pgtable_bytes(pt), 3 * 4096);
    unsigned level;
    uint64_t pte = pgtable_lookup(pt, va + 0xabc, &level);
    assert_int_equal(level, 1);
    assert_int_equal(pte_pfn(pte), 4242);
    assert_true(pte & PTE_PRESENT && pte & PTE_WRITE);
    struct pgtable_walk w;
    assert_int_equal(pgtable_walk(pt, va, &w), 1);
    /* root is frame 100; the PML4 index of va is bits 47:39 */
    assert_int_equal(w.entry_pa[4], 100 * 4096 + ((va >> 39) & 511) * 8);
    assert_int_equal(w.entry_pa[3], 101 * 4096 + ((va >> 30) & 511) * 8);
    assert_int_equal(w.entry_pa[2], 102 * 4096 + ((va >> 21) & 511) * 8);
    assert_int_equal(w.entry_pa[1], 103 * 4096 + ((va >> 12) & 511) * 8);
    assert_int_equal(pte_pfn(w.entry[4]), 101);
    /* a neighbour page: not present at level 1 */
    assert_int_equal(pgtable_walk(pt, va + 4096, &w), 0);
    assert_int_equal(w.leaf_level, 1);
    /* far away: not present at level 4 */
    assert_int_equal(pgtable_walk(pt, 0x1000, &w), 0);
    assert_int_equal(w.leaf_level, 4);
    pgtable_free(pt);
    assert_int_equal(f.live, 0);
}

static void test_huge_leaves(void **state)
{
    (void)state;
    struct frames f = {1, 0, 0};
    struct pgtable_frames fr = {fr_alloc, fr_release, &f};
    struct pgtable *pt = pgtable_new(4, 12, &fr);
    assert_int_equal(pgtable_leaf_size(pt, 2), 2ULL << 20);
    assert_int_equal(pgtable_leaf_size(pt, 3), 1ULL << 30);
    assert_int_equal(pgtable_map(pt, 0x40000000, 262144, 3, PTE_WRITE, NULL), 0);
    assert_int_equal(pgtable_map(pt, 0x200000, 512, 2, PTE_WRITE, NULL), 0);
    unsigned level;
    assert_int_equal(pte_pfn(pgtable_lookup(pt, 0x7fffffff, &level)), 262144);
    assert_int_equal(level, 3);
    assert_true(pgtable_lookup(pt, 0x3fffff, &level) & PTE_HUGE);
    assert_int_equal(level, 2);
    /* a base page under a huge leaf is refused */
    assert_int_equal(pgtable_map(pt, 0x201000, 7, 1, 0, NULL), -1);
    /* a huge leaf over an existing table is refused */
    assert_int_equal(pgtable_map(pt, 0x600000, 9, 1, 0, NULL), 0);
    assert_int_equal(pgtable_map(pt, 0x600000, 1024, 2, 0, NULL), -1);
    pgtable_free(pt);
    assert_int_equal(f.live, 0);
}

static uint64_t seen_leaves, seen_pages;
static void count_leaf(void *ctx, uint64_t va, uint64_t pte, unsigned level)
{
    (void)ctx;
    (void)va;
    (void)pte;
    seen_leaves++;
    seen_pages += level == 1 ? 1 : 512;
}

static void test_unmap_protect_free_tables(void **state)
{
    (void)state;
    struct frames f = {1, 0, 0};
    struct pgtable_frames fr = {fr_alloc, fr_release, &f};
    struct pgtable *pt = pgtable_new(4, 12, &fr);
    for (uint64_t i = 0; i < 1024; i++) /* 4 MiB: two PT pages */
        assert_int_equal(pgtable_map(pt, 0x10000000 + i * 4096, 1000 + i, 1, PTE_WRITE, NULL), 0);
    assert_int_equal(pgtable_map(pt, 0x40200000, 5000, 2, PTE_WRITE, NULL), 0);
    assert_int_equal(pgtable_bytes(pt), (1 + 1 + 2 + 1 + 1) * 4096ULL - 4096); /* PDPT, PD, 2 PT, PD */
    assert_int_equal(pgtable_protect_range(pt, 0x10000000, 0x10002000, 0, PTE_WRITE), 2);
    assert_false(pgtable_lookup(pt, 0x10001000, NULL) & PTE_WRITE);
    assert_true(pgtable_lookup(pt, 0x10002000, NULL) & PTE_WRITE);
    seen_leaves = seen_pages = 0;
    pgtable_for_each(pt, 0, 0, count_leaf, NULL);
    assert_int_equal(seen_leaves, 1025);
    assert_int_equal(seen_pages, 1024 + 512);
    /* unmap the first PT's 512 pages: that table is freed, the other stays */
    seen_leaves = 0;
    assert_int_equal(pgtable_unmap_range(pt, 0x10000000, 0x10200000, count_leaf, NULL), 512);
    assert_int_equal(seen_leaves, 512);
    assert_int_equal(pgtable_bytes(pt), 4 * 4096);
    assert_int_equal(pgtable_lookup(pt, 0x10000000, NULL), 0);
    assert_int_not_equal(pgtable_lookup(pt, 0x10200000, NULL), 0);
    /* a range that cuts a huge leaf removes it whole */
    assert_int_equal(pgtable_unmap_range(pt, 0x40300000, 0x40301000, NULL, NULL), 1);
    assert_int_equal(pgtable_lookup(pt, 0x40200000, NULL), 0);
    assert_int_equal(pgtable_unmap_range(pt, 0, 0, NULL, NULL), 512);
    assert_int_equal(pgtable_bytes(pt), 0);
    assert_int_equal(f.live, 1);
    pgtable_free(pt);
    assert_int_equal(f.live, 0);
}

static void test_copy_for_fork(void **state)
{
    (void)state;
    struct frames f = {1, 0, 0};
    struct pgtable_frames fr = {fr_alloc, fr_release, &f};
    struct pgtable *a = pgtable_new(4, 12, &fr), *b = pgtable_new(4, 12, &fr);
    for (uint64_t i = 0; i < 10; i++)
        pgtable_map(a, 0x5000000 + i * 0x100000, 70 + i, 1, PTE_WRITE | PTE_USER, NULL);
    seen_leaves = 0;
    assert_int_equal(pgtable_copy(b, a, PTE_WRITE, count_leaf, NULL), 0);
    assert_int_equal(seen_leaves, 10);
    for (uint64_t i = 0; i < 10; i++) {
        uint64_t va = 0x5000000 + i * 0x100000;
        uint64_t pa = pgtable_lookup(a, va, NULL), pb = pgtable_lookup(b, va, NULL);
        assert_int_equal(pte_pfn(pa), 70 + i);
        assert_int_equal(pa, pb);
        assert_false(pa & PTE_WRITE); /* copy-on-write: read-only in both */
        assert_true(pb & PTE_USER);
    }
    assert_int_equal(pgtable_bytes(a), pgtable_bytes(b));
    pgtable_free(a);
    pgtable_free(b);
    assert_int_equal(f.live, 0);
}

static void test_five_levels_and_16k(void **state)
{
    (void)state;
    struct frames f = {1, 0, 0};
    struct pgtable_frames fr = {fr_alloc, fr_release, &f};
    struct pgtable *pt = pgtable_new(5, 12, &fr);
    uint64_t va = 0x00ff123456789000ULL; /* above 2^48: needs the fifth level */
    assert_int_equal(pgtable_map(pt, va, 77, 1, 0, NULL), 0);
    assert_int_equal(f.live, 5);
    struct pgtable_walk w;
    assert_int_equal(pgtable_walk(pt, va, &w), 1);
    assert_int_equal(w.entry_pa[5] % 4096, ((va >> 48) & 511) * 8);
    pgtable_free(pt);
    /* 16 KiB pages: 2048 entries a table, 11 bits a level, 14-bit offset */
    pt = pgtable_new(4, 14, &fr);
    assert_int_equal(pgtable_leaf_size(pt, 2), 32ULL << 20);
    va = 0x123456784000ULL;
    assert_int_equal(pgtable_map(pt, va, 99, 1, 0, NULL), 0);
    assert_int_equal(pgtable_walk(pt, va + 0x3fff, &w), 1);
    assert_int_equal(w.entry_pa[1], (w.entry_pa[1] >> 14 << 14) + ((va >> 14) & 2047) * 8);
    assert_int_equal(pgtable_walk(pt, va + 0x4000, &w), 0);
    pgtable_free(pt);
    assert_int_equal(f.live, 0);
}

static void test_out_of_frames_and_host_bytes(void **state)
{
    (void)state;
    struct frames f = {1, 0, 2}; /* root + one table only */
    struct pgtable_frames fr = {fr_alloc, fr_release, &f};
    struct pgtable *pt = pgtable_new(4, 12, &fr);
    assert_int_equal(pgtable_map(pt, 0x1000, 5, 1, 0, NULL), -1);
    pgtable_free(pt);
    f.limit = 0;
    pt = pgtable_new(4, 12, &fr);
    for (uint64_t i = 0; i < 65536; i++) /* 256 MiB dense */
        assert_int_equal(pgtable_map(pt, 0x400000000ULL + i * 4096, i, 1, 0, NULL), 0);
    double per_page = (double)pgtable_host_bytes(pt) / 65536.0;
    assert_true(per_page <= 64.0);
    assert_true(per_page >= 8.0); /* at least the 8-byte entry itself */
    pgtable_free(pt);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_map_lookup_walk),
        cmocka_unit_test(test_huge_leaves),
        cmocka_unit_test(test_unmap_protect_free_tables),
        cmocka_unit_test(test_copy_for_fork),
        cmocka_unit_test(test_five_levels_and_16k),
        cmocka_unit_test(test_out_of_frames_and_host_bytes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
