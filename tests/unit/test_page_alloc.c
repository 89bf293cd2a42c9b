/* test_page_alloc.c - the buddy allocator against hand-computed kernel results. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model/page_alloc.h"

static struct page_alloc *make(uint64_t pages, unsigned shift)
{
    struct page_alloc_config c = {.total_pages = pages, .page_shift = shift};
    struct page_alloc *pa = page_alloc_new(&c);
    assert_non_null(pa);
    return pa;
}

static void buddyinfo_text(const struct page_alloc *pa, char *buf, size_t len)
{
    FILE *f = fmemopen(buf, len, "w");
    assert_non_null(f);
    page_alloc_buddyinfo(pa, f);
    fclose(f);
}

/* linux-mm.md: one 16 GiB zone gives min 4096, low 8290, high 12484 pages.
 * min_free_kbytes = int_sqrt(16777216 * 16) = 16384; delta = max(1024, 4194304*10/10000). */
static void test_wmarks_16g(void **st)
{
    (void)st;
    struct page_alloc *pa = make(4194304, 12);
    assert_int_equal(page_alloc_min_free_kbytes(pa), 16384);
    assert_int_equal(page_alloc_wmark(pa, PA_WMARK_MIN), 4096);
    assert_int_equal(page_alloc_wmark(pa, PA_WMARK_LOW), 8290);
    assert_int_equal(page_alloc_wmark(pa, PA_WMARK_HIGH), 12484);
    assert_int_equal(page_alloc_free_pages(pa), 4194304);
    assert_int_equal(page_alloc_nr_free(pa, 10), 4096);
    page_alloc_free_all(pa);
}

static void test_min_free_kbytes_clamp(void **st)
{
    (void)st;
    /* 512 KiB: int_sqrt(512*16) = 90 -> clamped to 128 */
    assert_int_equal(page_alloc_calc_min_free_kbytes(128, 12), 128);
    /* 64 MiB: int_sqrt(65536*16) = 1024 */
    assert_int_equal(page_alloc_calc_min_free_kbytes(16384, 12), 1024);
    /* 4 TiB: int_sqrt(2^32 * 16) = 2^18 = 262144, the cap */
    assert_int_equal(page_alloc_calc_min_free_kbytes(1ull << 30, 12), 262144);
    /* 8 TiB: int_sqrt(2^37) = 370727 -> 262144 */
    assert_int_equal(page_alloc_calc_min_free_kbytes(1ull << 31, 12), 262144);
    /* 1 GiB in 64 KiB pages: same kbytes as 4K: int_sqrt(1048576*16) = 4096 */
    assert_int_equal(page_alloc_calc_min_free_kbytes(16384, 16), 4096);
    /* 10 GiB: int_sqrt(10485760*16) = 12952 (12952.9) */
    assert_int_equal(page_alloc_calc_min_free_kbytes(2621440, 12), 12952);
}

/* 64 MiB: min 256 pages, delta = max(64, 16) -> low 320, high 384; scale factor 100
 * gives delta = 16384*100/10000 = 163 -> low 419, high 582. */
static void test_wmarks_small_and_scale(void **st)
{
    (void)st;
    struct page_alloc *pa = make(16384, 12);
    assert_int_equal(page_alloc_wmark(pa, PA_WMARK_LOW), 320);
    assert_int_equal(page_alloc_wmark(pa, PA_WMARK_HIGH), 384);
    page_alloc_free_all(pa);
    struct page_alloc_config c = {.total_pages = 16384, .page_shift = 12, .watermark_scale_factor = 100};
    pa = page_alloc_new(&c);
    assert_non_null(pa);
    assert_int_equal(page_alloc_wmark(pa, PA_WMARK_MIN), 256);
    assert_int_equal(page_alloc_wmark(pa, PA_WMARK_LOW), 419);
    assert_int_equal(page_alloc_wmark(pa, PA_WMARK_HIGH), 582);
    page_alloc_free_all(pa);
}

/* One order-10 block: allocating order 0 splits it into one free block of each order
 * 0..9 (expand), the next order-0 takes pfn 1, order 2 takes the block at pfn 4. */
static void test_split_and_merge(void **st)
{
    (void)st;
    char buf[256];
    struct page_alloc *pa = make(1024, 12);
    buddyinfo_text(pa, buf, sizeof buf);
    assert_string_equal(buf, "Node 0, zone   Normal      0      0      0      0      0      0      0      0      0      0      1 \n");
    assert_int_equal(page_alloc_alloc(pa, 0, PA_MOVABLE, PA_WMARK_NONE), 0);
    buddyinfo_text(pa, buf, sizeof buf);
    assert_string_equal(buf, "Node 0, zone   Normal      1      1      1      1      1      1      1      1      1      1      0 \n");
    assert_int_equal(page_alloc_alloc(pa, 0, PA_MOVABLE, PA_WMARK_NONE), 1);
    assert_int_equal(page_alloc_alloc(pa, 2, PA_MOVABLE, PA_WMARK_NONE), 4);
    assert_int_equal(page_alloc_alloc(pa, 1, PA_MOVABLE, PA_WMARK_NONE), 2);
    assert_int_equal(page_alloc_alloc(pa, 3, PA_MOVABLE, PA_WMARK_NONE), 8);
    assert_int_equal(page_alloc_free_pages(pa), 1024 - 16);
    buddyinfo_text(pa, buf, sizeof buf);
    assert_string_equal(buf, "Node 0, zone   Normal      0      0      0      0      1      1      1      1      1      1      0 \n");
    page_alloc_release(pa, 1, 0);
    page_alloc_release(pa, 0, 0); /* merges with 1 -> order 1 at 0, buddy 2 is allocated */
    assert_int_equal(page_alloc_nr_free(pa, 1), 1);
    page_alloc_release(pa, 2, 1); /* -> order 2 at 0, buddy 4 allocated */
    assert_int_equal(page_alloc_nr_free(pa, 2), 1);
    page_alloc_release(pa, 4, 2); /* -> order 3 at 0, buddy 8 allocated */
    page_alloc_release(pa, 8, 3); /* -> all the way up to order 10 */
    assert_int_equal(page_alloc_nr_free(pa, 10), 1);
    assert_int_equal(page_alloc_free_pages(pa), 1024);
    assert_int_equal(page_alloc_bad_releases(pa), 0);
    page_alloc_free_all(pa);
}

/* 512 free order-0 pages (every even pfn): order 1 -> frag 1000-(1000+256000)/512 = 499,
 * unusable 1000. Then free 1 and 3: order 2 block at 0, 510 order-0 blocks:
 * free 514, blocks 511: order 3 frag = 1000 - 65250/511 = 873; order 2 unusable
 * (514-4)*1000/514 = 992. */
static void test_fragmentation_index(void **st)
{
    (void)st;
    struct page_alloc *pa = make(1024, 12);
    assert_int_equal(page_alloc_fragmentation_index(pa, 10), -1000);
    assert_int_equal(page_alloc_unusable_index(pa, 10), 0);
    for (uint64_t i = 0; i < 1024; i++) assert_int_equal(page_alloc_alloc(pa, 0, PA_MOVABLE, PA_WMARK_NONE), i);
    assert_int_equal(page_alloc_alloc(pa, 0, PA_MOVABLE, PA_WMARK_NONE), PA_NO_PFN);
    assert_int_equal(page_alloc_fragmentation_index(pa, 0), 0);  /* no free blocks */
    assert_int_equal(page_alloc_unusable_index(pa, 0), 1000);
    for (uint64_t i = 0; i < 1024; i += 2) page_alloc_release(pa, i, 0);
    assert_int_equal(page_alloc_nr_free(pa, 0), 512);
    assert_int_equal(page_alloc_fragmentation_index(pa, 0), -1000);
    assert_int_equal(page_alloc_unusable_index(pa, 0), 0);
    assert_int_equal(page_alloc_fragmentation_index(pa, 1), 499);
    assert_int_equal(page_alloc_unusable_index(pa, 1), 1000);
    page_alloc_release(pa, 1, 0);
    page_alloc_release(pa, 3, 0);
    assert_int_equal(page_alloc_nr_free(pa, 0), 510);
    assert_int_equal(page_alloc_nr_free(pa, 2), 1);
    assert_int_equal(page_alloc_fragmentation_index(pa, 2), -1000);
    assert_int_equal(page_alloc_unusable_index(pa, 2), 992);
    assert_int_equal(page_alloc_fragmentation_index(pa, 3), 873);
    assert_int_equal(page_alloc_unusable_index(pa, 3), 1000);
    page_alloc_free_all(pa);
}

/* 4 MiB: min_free_kbytes 256 -> min 64 pages, delta max(16, 1) -> low 80, high 96. */
static void test_watermark_refusal(void **st)
{
    (void)st;
    struct page_alloc *pa = make(1024, 12);
    assert_int_equal(page_alloc_wmark(pa, PA_WMARK_LOW), 80);
    int n = 0;
    while (page_alloc_alloc(pa, 0, PA_MOVABLE, PA_WMARK_LOW) != PA_NO_PFN) n++;
    assert_int_equal(n, 1024 - 80);
    n = 0;
    while (page_alloc_alloc(pa, 0, PA_MOVABLE, PA_WMARK_MIN) != PA_NO_PFN) n++;
    assert_int_equal(n, 16);
    n = 0;
    while (page_alloc_alloc(pa, 0, PA_MOVABLE, PA_WMARK_NONE) != PA_NO_PFN) n++;
    assert_int_equal(n, 64);
    assert_int_equal(page_alloc_free_pages(pa), 0);
    page_alloc_free_all(pa);
}

/* Boot leaves every pageblock MOVABLE. An unmovable request steals the largest movable
 * block (order 10 covers pageblocks 0 and 1) and claims its pageblocks. */
static void test_migrate_fallback(void **st)
{
    (void)st;
    struct page_alloc *pa = make(2048, 12);
    assert_int_equal(page_alloc_pageblock_order(pa), 9);
    assert_int_equal(page_alloc_alloc(pa, 0, PA_UNMOVABLE, PA_WMARK_NONE), 0);
    assert_int_equal(page_alloc_pageblock_mt(pa, 0), PA_UNMOVABLE);
    assert_int_equal(page_alloc_pageblock_mt(pa, 512), PA_UNMOVABLE);
    assert_int_equal(page_alloc_pageblock_mt(pa, 1024), PA_MOVABLE);
    assert_int_equal(page_alloc_nr_free_mt(pa, 9, PA_UNMOVABLE), 1);
    assert_int_equal(page_alloc_nr_free_mt(pa, 10, PA_MOVABLE), 1);
    /* a second unmovable page comes from the unmovable lists */
    assert_int_equal(page_alloc_alloc(pa, 0, PA_UNMOVABLE, PA_WMARK_NONE), 1);
    /* movable goes to its own block */
    assert_int_equal(page_alloc_alloc(pa, 0, PA_MOVABLE, PA_WMARK_NONE), 1024);
    page_alloc_release(pa, 0, 0);
    page_alloc_release(pa, 1, 0);
    page_alloc_release(pa, 1024, 0);
    assert_int_equal(page_alloc_nr_free_mt(pa, 10, PA_UNMOVABLE), 1);
    assert_int_equal(page_alloc_nr_free_mt(pa, 10, PA_MOVABLE), 1);
    assert_int_equal(page_alloc_free_pages(pa), 2048);
    page_alloc_free_all(pa);
}

/* A movable request that finds only small unmovable blocks cannot steal (order < 4):
 * it splits the smallest one instead of the largest, and the pageblock stays unmovable. */
static void test_movable_takes_smallest_fallback(void **st)
{
    (void)st;
    struct page_alloc *pa = make(1024, 12);
    for (uint64_t i = 0; i < 1024; i++) page_alloc_alloc(pa, 0, PA_UNMOVABLE, PA_WMARK_NONE);
    assert_int_equal(page_alloc_pageblock_mt(pa, 0), PA_UNMOVABLE);
    page_alloc_release(pa, 2, 0);
    page_alloc_release(pa, 3, 0);  /* order 1 at 2 */
    page_alloc_release(pa, 17, 0); /* order 0 at 17 */
    page_alloc_release(pa, 600, 0);
    page_alloc_release(pa, 601, 0); /* order 1 at 600 */
    assert_int_equal(page_alloc_alloc(pa, 0, PA_MOVABLE, PA_WMARK_NONE), 17);
    assert_int_equal(page_alloc_pageblock_mt(pa, 0), PA_UNMOVABLE);
    assert_int_equal(page_alloc_nr_free_mt(pa, 1, PA_UNMOVABLE), 2);
    page_alloc_free_all(pa);
}

static void test_split_page_and_bad_release(void **st)
{
    (void)st;
    struct page_alloc *pa = make(1024, 12);
    uint64_t pfn = page_alloc_alloc(pa, 9, PA_MOVABLE, PA_WMARK_NONE);
    assert_int_equal(pfn, 0);
    assert_true(page_alloc_is_allocated(pa, 0, 9));
    page_alloc_release(pa, 0, 0); /* wrong order: refused */
    assert_int_equal(page_alloc_bad_releases(pa), 1);
    assert_int_equal(page_alloc_split(pa, 0, 9), 0);
    assert_int_equal(page_alloc_split(pa, 0, 9), -1);
    for (uint64_t i = 0; i < 512; i++) page_alloc_release(pa, i, 0);
    assert_int_equal(page_alloc_nr_free(pa, 10), 1);
    page_alloc_release(pa, 5, 0); /* already free */
    page_alloc_release(pa, 5000, 0); /* out of range */
    assert_int_equal(page_alloc_bad_releases(pa), 3);
    assert_int_equal(page_alloc_free_pages(pa), 1024);
    page_alloc_free_all(pa);
}

/* 1000 frames: 512 + 256 + 128 + 64 + 32 + 8. */
static void test_unaligned_total(void **st)
{
    (void)st;
    char buf[256];
    struct page_alloc *pa = make(1000, 12);
    buddyinfo_text(pa, buf, sizeof buf);
    assert_string_equal(buf, "Node 0, zone   Normal      0      0      0      1      0      1      1      1      1      1      0 \n");
    /* the last block has no buddy inside the zone: freeing it must not merge past the end */
    uint64_t p = page_alloc_alloc(pa, 3, PA_MOVABLE, PA_WMARK_NONE);
    assert_int_equal(p, 992);
    page_alloc_release(pa, p, 3);
    assert_int_equal(page_alloc_nr_free(pa, 3), 1);
    page_alloc_free_all(pa);
}

/* 16 KiB pages: arm64 has MAX_PAGE_ORDER 11 and 32 MiB (order 11) pageblocks. */
static void test_16k_pages(void **st)
{
    (void)st;
    struct page_alloc *pa = make(65536, 14); /* 1 GiB */
    assert_int_equal(page_alloc_max_order(pa), 11);
    assert_int_equal(page_alloc_pageblock_order(pa), 11);
    assert_int_equal(page_alloc_nr_free(pa, 11), 32);
    assert_int_equal(page_alloc_min_free_kbytes(pa), 4096);
    assert_int_equal(page_alloc_wmark(pa, PA_WMARK_MIN), 256);
    page_alloc_free_all(pa);
}

/* Random allocations and frees keep the free count exact and end where they started. */
static void test_random_consistency(void **st)
{
    (void)st;
    enum { N = 4000 };
    struct page_alloc *pa = make(8192 + 300, 12);
    uint64_t pfns[N];
    unsigned orders[N];
    int n = 0;
    uint64_t used = 0;
    unsigned seed = 12345;
    for (int step = 0; step < 40000; step++) {
        seed = seed * 1103515245u + 12345u;
        unsigned r = (seed >> 16) & 0x7fff;
        if (n < N && (r % 3 != 0 || n == 0)) {
            unsigned order = r % 11 < 7 ? 0 : r % 5;
            enum pa_migratetype mt = (enum pa_migratetype)(r % 3);
            uint64_t pfn = page_alloc_alloc(pa, order, mt, PA_WMARK_NONE);
            if (pfn == PA_NO_PFN) continue;
            for (int k = 0; k < n; k++) /* no overlap with a live block */
                assert_true(pfn + (1u << order) <= pfns[k] || pfns[k] + (1u << orders[k]) <= pfn);
            pfns[n] = pfn;
            orders[n++] = order;
            used += 1u << order;
        } else {
            int k = (int)(r % (unsigned)n);
            page_alloc_release(pa, pfns[k], orders[k]);
            used -= 1u << orders[k];
            pfns[k] = pfns[--n];
            orders[k] = orders[n];
        }
        assert_int_equal(page_alloc_free_pages(pa), 8192 + 300 - used);
    }
    while (n > 0) { n--; page_alloc_release(pa, pfns[n], orders[n]); }
    assert_int_equal(page_alloc_free_pages(pa), 8492);
    assert_int_equal(page_alloc_nr_free(pa, 10), 8);
    assert_int_equal(page_alloc_bad_releases(pa), 0);
    page_alloc_free_all(pa);
}

static void test_bad_config(void **st)
{
    (void)st;
    struct page_alloc_config c = {.total_pages = 0, .page_shift = 12};
    assert_null(page_alloc_new(&c));
    c.total_pages = 100;
    c.page_shift = 13; /* only 4K, 16K and 64K pages */
    assert_null(page_alloc_new(&c));
    c.page_shift = 20;
    assert_null(page_alloc_new(&c));
    c.page_shift = 12;
    c.max_order = 20;
    assert_null(page_alloc_new(&c));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wmarks_16g),
        cmocka_unit_test(test_min_free_kbytes_clamp),
        cmocka_unit_test(test_wmarks_small_and_scale),
        cmocka_unit_test(test_split_and_merge),
        cmocka_unit_test(test_fragmentation_index),
        cmocka_unit_test(test_watermark_refusal),
        cmocka_unit_test(test_migrate_fallback),
        cmocka_unit_test(test_movable_takes_smallest_fallback),
        cmocka_unit_test(test_split_page_and_bad_release),
        cmocka_unit_test(test_unaligned_total),
        cmocka_unit_test(test_16k_pages),
        cmocka_unit_test(test_random_consistency),
        cmocka_unit_test(test_bad_config),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
