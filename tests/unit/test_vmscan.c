/* test_vmscan.c - LRU movement rules, the scan balance, refault distances, kswapd wake and
 * sleep, and the research policies on hand-worked reference strings. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "common/util.h"
#include "model/page.h"
#include "model/vmscan.h"

/* The owner of the frames: logs each eviction; may refuse anonymous ones (swap full). */
struct owner {
    uint64_t evicted[256];
    uint64_t shadow[256];
    int dirty[256];
    int anon[256];
    unsigned n;
    uint64_t written[256]; /* dirty file pages written back (pageout), in order */
    unsigned nwritten;
    int refuse_anon;
    uint64_t swap_writeback_below; /* anon pages with a lower pfn: the swap write is queued
                                      and the page kept under writeback (returns 1) */
    unsigned nswap_writes;
};

static int owner_evict(void *ctx, uint64_t pfn, int anon, int dirty, uint64_t shadow)
{
    struct owner *o = ctx;
    if (anon && o->refuse_anon)
        return -1;
    if (anon && pfn < o->swap_writeback_below) {
        o->nswap_writes++;
        return 1;
    }
    if (dirty) { /* pageout: written back, the frame stays */
        o->written[o->nwritten++] = pfn;
        return 1;
    }
    o->evicted[o->n] = pfn;
    o->shadow[o->n] = shadow;
    o->dirty[o->n] = dirty;
    o->anon[o->n] = anon;
    o->n++;
    return 0;
}

/* The pages of kernel_vm's frames, as the memory system owns them: the tests set the page
 * cache's PG_dirty here, as filemap.c does. */
static struct page pages[4096];

static struct vmscan *kernel_vm(uint64_t frames, unsigned swappiness)
{
    struct vmscan_config c;
    vmscan_config_defaults(&c);
    c.swappiness = swappiness;
    c.lru_batch = 0; /* pages on their lists at once: the list rules alone (the batch: below) */
    assert_true(frames <= sizeof(pages) / sizeof(pages[0]));
    memset(pages, 0, sizeof(pages));
    struct vmscan *v = vmscan_new(pages, frames, &c);
    assert_non_null(v);
    return v;
}

static int was_evicted(const struct owner *o, uint64_t pfn)
{
    for (unsigned i = 0; i < o->n; i++)
        if (o->evicted[i] == pfn)
            return 1;
    return 0;
}

/* folio_mark_accessed: inactive,unref -> inactive,ref -> active,unref -> active,ref. */
static void mark_accessed_walks_the_states(void **state)
{
    (void)state;
    struct vmscan *v = kernel_vm(16, 60);
    vmscan_add(v, 3, 0, VMSCAN_NO_NEXT_USE);
    assert_int_equal(vmscan_frame_list(v, 3), LRU_INACTIVE_FILE);
    assert_false(vmscan_frame_referenced(v, 3));
    vmscan_mark_accessed(v, 3);
    assert_int_equal(vmscan_frame_list(v, 3), LRU_INACTIVE_FILE);
    assert_true(vmscan_frame_referenced(v, 3));
    vmscan_mark_accessed(v, 3);
    assert_int_equal(vmscan_frame_list(v, 3), LRU_ACTIVE_FILE);
    assert_false(vmscan_frame_referenced(v, 3));
    vmscan_mark_accessed(v, 3);
    assert_int_equal(vmscan_frame_list(v, 3), LRU_ACTIVE_FILE);
    assert_true(vmscan_frame_referenced(v, 3));
    assert_int_equal(vmscan_stats(v)->pgactivate, 1);
    assert_int_equal(vmscan_lru_pages(v, LRU_ACTIVE_FILE), 1);
    assert_int_equal(vmscan_lru_pages(v, LRU_INACTIVE_FILE), 0);
    vmscan_del(v, 3);
    assert_false(vmscan_on_lru(v, 3));
    assert_int_equal(vmscan_lru_pages(v, LRU_ACTIVE_FILE), 0);
    vmscan_free(v);
}

/* Unreferenced pages leave from the tail: oldest first. */
static void shrink_takes_oldest_first(void **state)
{
    (void)state;
    struct vmscan *v = kernel_vm(16, 60);
    for (uint64_t p = 0; p < 10; p++)
        vmscan_add(v, p, 0, VMSCAN_NO_NEXT_USE);
    struct owner o = {0};
    struct scan_control sc = {.nr_to_reclaim = 3, .may_swap = 0, .is_kswapd = 1};
    uint64_t got = vmscan_shrink(v, &sc, owner_evict, &o);
    assert_true(got >= 3);
    for (unsigned i = 0; i < o.n; i++)
        assert_int_equal(o.evicted[i], i);
    assert_int_equal(vmscan_stats(v)->pgsteal_kswapd, got);
    assert_int_equal(vmscan_stats(v)->pgsteal_file, got);
    assert_int_equal(vmscan_lru_pages(v, LRU_INACTIVE_FILE), 10 - got);
    vmscan_free(v);
}

/* A mapped anonymous page seen young by reclaim gets another trip on the inactive list
 * (folio_check_references: FOLIOREF_KEEP, PG_referenced set); seen young again, it is
 * activated. */
static void young_anon_is_kept_then_activated(void **state)
{
    (void)state;
    struct vmscan *v = kernel_vm(64, 60);
    for (uint64_t p = 0; p < 40; p++)
        vmscan_add(v, p, VMSCAN_ANON, VMSCAN_NO_NEXT_USE);
    vmscan_access(v, 0, VMSCAN_NO_NEXT_USE); /* the oldest, first at the tail */
    struct owner o = {0};
    struct scan_control sc = {.nr_to_reclaim = 3, .may_swap = 1};
    uint64_t got = vmscan_shrink(v, &sc, owner_evict, &o);
    assert_true(got >= 3 && got < 39);
    assert_false(was_evicted(&o, 0));
    assert_true(was_evicted(&o, 1) && was_evicted(&o, 2) && was_evicted(&o, 3));
    assert_true(vmscan_frame_referenced(v, 0));
    assert_int_equal(vmscan_frame_list(v, 0), LRU_INACTIVE_ANON);
    assert_int_equal(vmscan_stats(v)->pgactivate, 0);
    assert_int_equal(vmscan_stats(v)->pgsteal_anon, got);
    assert_int_equal(vmscan_stats(v)->pgsteal_direct, got);
    vmscan_access(v, 0, VMSCAN_NO_NEXT_USE); /* young again, PG_referenced still set */
    struct scan_control all = {.nr_to_reclaim = 100, .may_swap = 1};
    vmscan_shrink(v, &all, owner_evict, &o);
    assert_false(was_evicted(&o, 0)); /* activated (and then, the only page left, deactivated
                                         again to refill the inactive list) */
    assert_true(vmscan_on_lru(v, 0));
    assert_int_equal(vmscan_stats(v)->pgactivate, 1);
    vmscan_free(v);
}

/* A file page gets a second chance: young once -> kept inactive with PG_referenced;
 * young again -> activated. (kswapd: one descent. Direct reclaim that freed nothing
 * descends again, and then the page, referenced but not young, goes.) */
static void file_page_second_chance(void **state)
{
    (void)state;
    struct vmscan *v = kernel_vm(16, 60);
    vmscan_add(v, 5, 0, VMSCAN_NO_NEXT_USE);
    vmscan_access(v, 5, VMSCAN_NO_NEXT_USE);
    struct owner o = {0};
    struct scan_control direct = {.nr_to_reclaim = 1};
    assert_int_equal(vmscan_shrink(v, &direct, owner_evict, &o), 1);
    assert_int_equal(direct.retries, 1);
    assert_true(was_evicted(&o, 5));
    vmscan_free(v);
    v = kernel_vm(16, 60);
    vmscan_add(v, 5, 0, VMSCAN_NO_NEXT_USE);
    vmscan_access(v, 5, VMSCAN_NO_NEXT_USE);
    o.n = 0;
    struct scan_control sc = {.nr_to_reclaim = 1, .is_kswapd = 1};
    assert_int_equal(vmscan_shrink(v, &sc, owner_evict, &o), 0);
    assert_int_equal(sc.retries, 0);
    assert_int_equal(vmscan_frame_list(v, 5), LRU_INACTIVE_FILE);
    assert_true(vmscan_frame_referenced(v, 5));
    assert_int_equal(vmscan_stats(v)->reclaim_failures, 1);
    vmscan_access(v, 5, VMSCAN_NO_NEXT_USE);
    assert_int_equal(vmscan_shrink(v, &sc, owner_evict, &o), 0);
    assert_int_equal(vmscan_frame_list(v, 5), LRU_ACTIVE_FILE);
    /* referenced but not young any more: reclaimable on the next pass */
    vmscan_free(v);
    v = kernel_vm(16, 60);
    vmscan_add(v, 5, 0, VMSCAN_NO_NEXT_USE);
    vmscan_access(v, 5, VMSCAN_NO_NEXT_USE);
    vmscan_shrink(v, &sc, owner_evict, &o);
    assert_int_equal(vmscan_shrink(v, &sc, owner_evict, &o), 1);
    assert_true(was_evicted(&o, 5));
    vmscan_free(v);
}

/* Without swap only file pages go. */
static void no_swap_spares_anon(void **state)
{
    (void)state;
    struct vmscan *v = kernel_vm(16, 60);
    for (uint64_t p = 0; p < 4; p++)
        vmscan_add(v, p, VMSCAN_ANON, VMSCAN_NO_NEXT_USE);
    for (uint64_t p = 4; p < 8; p++)
        vmscan_add(v, p, 0, VMSCAN_NO_NEXT_USE);
    struct owner o = {0};
    struct scan_control sc = {.nr_to_reclaim = 8, .may_swap = 0};
    assert_int_equal(vmscan_shrink(v, &sc, owner_evict, &o), 4);
    for (unsigned i = 0; i < o.n; i++)
        assert_true(o.evicted[i] >= 4 && !o.anon[i]);
    assert_int_equal(vmscan_lru_pages(v, LRU_INACTIVE_ANON) + vmscan_lru_pages(v, LRU_ACTIVE_ANON), 4);
    vmscan_free(v);
}

/* Swappiness decides between anon and file when the file inactive list is low:
 * 0 -> file only, 200 -> anon only, 60 -> both. */
static uint64_t steal_with_swappiness(unsigned swappiness, uint64_t *anon, uint64_t *file)
{
    struct vmscan *v = kernel_vm(4096, swappiness);
    for (uint64_t p = 0; p < 1000; p++)
        vmscan_add(v, p, VMSCAN_ANON, VMSCAN_NO_NEXT_USE);
    for (uint64_t p = 1000; p < 1100; p++)
        vmscan_add(v, p, 0, VMSCAN_NO_NEXT_USE);
    for (uint64_t p = 1100; p < 2000; p++)
        vmscan_add(v, p, VMSCAN_ACTIVE, VMSCAN_NO_NEXT_USE);
    struct owner o = {0};
    struct scan_control sc = {.nr_to_reclaim = 64, .may_swap = 1};
    uint64_t got = vmscan_shrink(v, &sc, owner_evict, &o);
    *anon = vmscan_stats(v)->pgsteal_anon;
    *file = vmscan_stats(v)->pgsteal_file;
    vmscan_free(v);
    return got;
}

static void swappiness_weights_anon_and_file(void **state)
{
    (void)state;
    uint64_t a, f;
    assert_true(steal_with_swappiness(0, &a, &f) >= 64);
    assert_int_equal(a, 0);
    assert_true(f >= 64);
    assert_true(steal_with_swappiness(200, &a, &f) >= 64);
    assert_true(a >= 64);
    assert_int_equal(f, 0);
    assert_true(steal_with_swappiness(60, &a, &f) >= 64);
    assert_true(a > 0 && f > 0);
}

/* int_sqrt(10 * GB): 1 GB -> 3, 10 GB -> 10, under 1 GB -> 1. */
static void inactive_ratio_values(void **state)
{
    (void)state;
    assert_int_equal(vmscan_inactive_ratio(262144, 12), 3);
    assert_int_equal(vmscan_inactive_ratio(10 * 262144, 12), 10);
    assert_int_equal(vmscan_inactive_ratio(262143, 12), 1);
    assert_int_equal(vmscan_inactive_ratio(100 * 262144, 12), 31);
    assert_int_equal(int_sqrt(1000000), 1000);
    assert_int_equal(int_sqrt(99), 9);
    assert_int_equal(int_sqrt(0), 0);
}

/* An all-active anon list is low on inactive pages: reclaim deactivates (PG_workingset)
 * and then evicts, leaving workingset shadows. */
static void deactivation_refills_inactive(void **state)
{
    (void)state;
    struct vmscan *v = kernel_vm(64, 60);
    for (uint64_t p = 0; p < 10; p++)
        vmscan_add(v, p, VMSCAN_ANON | VMSCAN_ACTIVE, VMSCAN_NO_NEXT_USE);
    assert_true(vmscan_inactive_is_low(v, 0));
    struct owner o = {0};
    struct scan_control sc = {.nr_to_reclaim = 1, .may_swap = 1};
    assert_true(vmscan_shrink(v, &sc, owner_evict, &o) >= 1);
    assert_int_equal(vmscan_stats(v)->pgdeactivate, 10);
    assert_true(o.shadow[0] & 2); /* PG_workingset recorded in the shadow */
    assert_true(o.anon[0]);
    vmscan_free(v);
}

/* Refault distance against the workingset size (active file without swap). */
static void refault_distance_decides_activation(void **state)
{
    (void)state;
    struct vmscan *v = kernel_vm(64, 60);
    for (uint64_t p = 0; p < 10; p++)
        vmscan_add(v, p, 0, VMSCAN_NO_NEXT_USE);
    uint64_t shadow_a = vmscan_pack_shadow(v, 0); /* evicted at age 0 */
    uint64_t shadow_b = vmscan_pack_shadow(v, 1);
    for (uint64_t p = 0; p < 4; p++) {
        vmscan_mark_accessed(v, p);
        vmscan_mark_accessed(v, p); /* each activation ages the clock */
    }
    assert_int_equal(vmscan_nonresident_age(v), 4);
    uint64_t d = 0;
    /* distance 4 <= 4 active file pages: activate (and age to 5) */
    unsigned fl = vmscan_refault(v, shadow_a, 0, 0, &d);
    assert_int_equal(d, 4);
    assert_int_equal(fl, VMSCAN_ACTIVE);
    /* distance 5 > 4: stays inactive, no restore although it was workingset */
    fl = vmscan_refault(v, shadow_b, 0, 0, &d);
    assert_int_equal(d, 5);
    assert_int_equal(fl, 0);
    /* evicted and refaulted at once, workingset: activate and restore */
    uint64_t shadow_c = vmscan_pack_shadow(v, 1);
    fl = vmscan_refault(v, shadow_c, 0, 0, &d);
    assert_int_equal(d, 0);
    assert_int_equal(fl, VMSCAN_ACTIVE | VMSCAN_WORKINGSET);
    const struct vmscan_stats *st = vmscan_stats(v);
    assert_int_equal(st->workingset_refault_file, 3);
    assert_int_equal(st->workingset_activate_file, 2);
    assert_int_equal(st->workingset_restore_file, 1);
    /* an anon refault with swap counts inactive file and active anon too */
    fl = vmscan_refault(v, vmscan_pack_shadow(v, 0), 1, 1, &d);
    assert_int_equal(fl, VMSCAN_ANON | VMSCAN_ACTIVE);
    assert_int_equal(st->workingset_refault_anon, 1);
    assert_int_equal(st->workingset_activate_anon, 1);
    vmscan_free(v);
}

static void kswapd_wakes_below_low_sleeps_at_high(void **state)
{
    (void)state;
    struct vmscan *v = kernel_vm(16, 60);
    assert_int_equal(vmscan_alloc_check(v, 100, 20, 50), VMSCAN_ALLOC_OK);
    assert_false(vmscan_kswapd_awake(v));
    assert_int_equal(vmscan_alloc_check(v, 40, 20, 50), VMSCAN_WAKE_KSWAPD);
    assert_true(vmscan_kswapd_awake(v));
    assert_int_equal(vmscan_alloc_check(v, 45, 20, 50), VMSCAN_WAKE_KSWAPD);
    assert_int_equal(vmscan_stats(v)->kswapd_wakeups, 1);
    assert_int_equal(vmscan_kswapd_try_sleep(v, 60, 80), 0); /* above low, below high */
    assert_true(vmscan_kswapd_awake(v));
    assert_int_equal(vmscan_kswapd_try_sleep(v, 80, 80), 1);
    assert_false(vmscan_kswapd_awake(v));
    assert_int_equal(vmscan_alloc_check(v, 10, 20, 50), VMSCAN_DIRECT_RECLAIM);
    assert_int_equal(vmscan_stats(v)->kswapd_wakeups, 2);
    assert_int_equal(vmscan_stats(v)->direct_reclaims, 1);
    vmscan_free(v);
}

/* 16 kswapd runs that free nothing: kswapd is not woken again until a reclaim succeeds. */
static void kswapd_gives_up_after_failures(void **state)
{
    (void)state;
    struct vmscan *v = kernel_vm(16, 60);
    for (int i = 0; i < 16; i++) {
        assert_int_equal(vmscan_alloc_check(v, 40, 20, 50), VMSCAN_WAKE_KSWAPD);
        vmscan_note_reclaim(v, 1, 0);
        vmscan_kswapd_try_sleep(v, UINT64_MAX, 0);
    }
    assert_int_equal(vmscan_kswapd_failures(v), 16);
    uint64_t wakeups = vmscan_stats(v)->kswapd_wakeups;
    vmscan_alloc_check(v, 40, 20, 50);
    assert_false(vmscan_kswapd_awake(v));
    assert_int_equal(vmscan_stats(v)->kswapd_wakeups, wakeups);
    vmscan_note_reclaim(v, 0, 5); /* direct reclaim freed pages */
    assert_int_equal(vmscan_kswapd_failures(v), 0);
    vmscan_alloc_check(v, 40, 20, 50);
    assert_true(vmscan_kswapd_awake(v));
    vmscan_free(v);
}

static void dirty_file_written_before_reuse(void **state)
{
    (void)state;
    /* Inactive file list, tail to head: 1 (clean), 2 (dirty). The first pass frees 1 and
     * queues 2 for writeback (back to the inactive head, clean); a pass after the write
     * completed frees 2. */
    struct vmscan *v = kernel_vm(16, 60);
    vmscan_add(v, 1, 0, VMSCAN_NO_NEXT_USE);
    vmscan_add(v, 2, 0, VMSCAN_NO_NEXT_USE);
    pages[2].flags |= PG_DIRTY; /* folio_mark_dirty */
    struct owner o = {0};
    struct scan_control sc = {.nr_to_reclaim = 2};
    assert_int_equal(vmscan_shrink(v, &sc, owner_evict, &o), 1);
    assert_int_equal(o.nwritten, 1);
    assert_int_equal(o.written[0], 2);
    assert_int_equal(o.n, 1);
    assert_int_equal(o.evicted[0], 1);
    assert_int_equal(vmscan_frame_list(v, 2), LRU_INACTIVE_FILE);
    /* its write is not done yet: reclaim passes it over */
    struct scan_control sc1 = {.nr_to_reclaim = 1};
    assert_int_equal(vmscan_shrink(v, &sc1, owner_evict, &o), 0);
    assert_int_equal(o.n, 1);
    vmscan_io_epoch(v); /* time moved on: the write completed */
    struct scan_control sc2 = {.nr_to_reclaim = 1};
    assert_int_equal(vmscan_shrink(v, &sc2, owner_evict, &o), 1);
    assert_int_equal(o.nwritten, 1); /* clean now: not written again */
    assert_int_equal(o.evicted[1], 2);
    assert_int_equal(o.dirty[1], 0); /* freed clean, after its writeback */
    assert_int_equal(vmscan_stats(v)->pgwriteback, 1);
    assert_int_equal(vmscan_stats(v)->pgsteal_file, 2);
    vmscan_free(v);
}

/* The dirty tail page is written back and skipped; the clean page behind it goes first. */
static void dirty_page_kept_while_written(void **state)
{
    (void)state;
    struct vmscan *v = kernel_vm(16, 60);
    vmscan_add(v, 1, 0, VMSCAN_NO_NEXT_USE);
    vmscan_add(v, 2, 0, VMSCAN_NO_NEXT_USE);
    pages[1].flags |= PG_DIRTY;
    struct owner o = {0};
    struct scan_control sc = {.nr_to_reclaim = 1};
    assert_true(vmscan_shrink(v, &sc, owner_evict, &o) >= 1);
    assert_int_equal(o.nwritten, 1);
    assert_int_equal(o.written[0], 1);
    assert_int_equal(o.evicted[0], 2);
    for (unsigned i = 0; i < o.n; i++)
        assert_int_equal(o.dirty[i], 0); /* nothing freed dirty */
    assert_int_equal(vmscan_stats(v)->pgwriteback, 1);
    vmscan_free(v);
}

/* Swap full: the anon page goes back, active. */
static void swap_full_activates(void **state)
{
    (void)state;
    struct vmscan *v = kernel_vm(16, 60);
    vmscan_add(v, 1, VMSCAN_ANON, VMSCAN_NO_NEXT_USE);
    struct owner o = {.refuse_anon = 1};
    struct scan_control sc = {.nr_to_reclaim = 1, .may_swap = 1};
    assert_int_equal(vmscan_shrink(v, &sc, owner_evict, &o), 0);
    assert_true(vmscan_on_lru(v, 1));
    assert_int_equal(vmscan_stats(v)->pgsteal_anon, 0);
    vmscan_free(v);
}

static void unevictable_never_scanned(void **state)
{
    (void)state;
    struct vmscan *v = kernel_vm(16, 60);
    vmscan_add(v, 1, VMSCAN_UNEVICTABLE, VMSCAN_NO_NEXT_USE);
    struct owner o = {0};
    struct scan_control sc = {.nr_to_reclaim = 1, .may_swap = 1};
    assert_int_equal(vmscan_shrink(v, &sc, owner_evict, &o), 0);
    assert_int_equal(vmscan_frame_list(v, 1), LRU_UNEVICTABLE);
    vmscan_free(v);
}

/* Reference strings from the textbooks, checked by hand (and against a separate
 * list-based implementation): 1 2 3 4 1 2 5 1 2 3 4 5 (Belady's anomaly for FIFO) and
 * Silberschatz's 7 0 1 2 0 3 0 4 2 3 0 3 2 1 2 0 1 7 0 1. */
static const uint64_t belady[] = {1, 2, 3, 4, 1, 2, 5, 1, 2, 3, 4, 5};
static const uint64_t silber[] = {7, 0, 1, 2, 0, 3, 0, 4, 2, 3, 0, 3, 2, 1, 2, 0, 1, 7, 0, 1};

static void policies_on_reference_strings(void **state)
{
    (void)state;
    assert_int_equal(vmscan_simulate(VMSCAN_FIFO, belady, 12, 3), 9);
    assert_int_equal(vmscan_simulate(VMSCAN_FIFO, belady, 12, 4), 10); /* the anomaly */
    assert_int_equal(vmscan_simulate(VMSCAN_LRU, belady, 12, 3), 10);
    assert_int_equal(vmscan_simulate(VMSCAN_LRU, belady, 12, 4), 8);
    assert_int_equal(vmscan_simulate(VMSCAN_OPT, belady, 12, 3), 7);
    assert_int_equal(vmscan_simulate(VMSCAN_OPT, belady, 12, 4), 6);
    /* CLOCK loads a page with its bit set. 3 frames: 1 2 3 miss; 4 finds all bits set,
     * the hand clears them and takes 1; 1, 2 miss (taking 2, 3); 5 clears 4 1 2 and takes
     * 4; 1, 2 hit; 3 clears all and takes 1; 4 takes 2; 5 hits: 9 misses. */
    assert_int_equal(vmscan_simulate(VMSCAN_CLOCK, belady, 12, 3), 9);
    assert_int_equal(vmscan_simulate(VMSCAN_CLOCK, belady, 12, 4), 10);
    assert_int_equal(vmscan_simulate(VMSCAN_FIFO, silber, 20, 3), 15);
    assert_int_equal(vmscan_simulate(VMSCAN_LRU, silber, 20, 3), 12);
    assert_int_equal(vmscan_simulate(VMSCAN_OPT, silber, 20, 3), 9);
    assert_int_equal(vmscan_simulate(VMSCAN_CLOCK, silber, 20, 3), 14);
}

/* A plain array LRU, independent of the list code. */
static uint64_t brute_lru(const uint64_t *keys, size_t n, unsigned frames)
{
    uint64_t res[64]; /* res[0] least recent .. res[nres - 1] most recent */
    unsigned nres = 0;
    uint64_t misses = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned j = 0;
        while (j < nres && res[j] != keys[i])
            j++;
        if (j == nres) {
            misses++;
            if (nres == frames)
                j = 0; /* evict res[0] */
            else
                res[nres++] = keys[i], j = nres - 1;
        }
        memmove(res + j, res + j + 1, (nres - j - 1) * sizeof(uint64_t));
        res[nres - 1] = keys[i];
    }
    return misses;
}

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Random streams with some locality: OPT never misses more than any other policy; LRU
 * equals the brute-force LRU. */
static void opt_is_a_lower_bound(void **state)
{
    (void)state;
    uint64_t keys[3000];
    for (uint64_t seed = 1; seed <= 20; seed++) {
        uint64_t s = seed * 0x9e3779b97f4a7c15ull;
        for (size_t i = 0; i < 3000; i++) {
            uint64_t r = rng_next(&s);
            keys[i] = (r & 3) ? r % 16 : r % 80; /* a hot set and a cold tail */
        }
        unsigned frames = 4 + (unsigned)(seed % 20);
        uint64_t opt = vmscan_simulate(VMSCAN_OPT, keys, 3000, frames);
        uint64_t lru = vmscan_simulate(VMSCAN_LRU, keys, 3000, frames);
        uint64_t fifo = vmscan_simulate(VMSCAN_FIFO, keys, 3000, frames);
        uint64_t clk = vmscan_simulate(VMSCAN_CLOCK, keys, 3000, frames);
        uint64_t ker = vmscan_simulate(VMSCAN_KERNEL, keys, 3000, frames);
        assert_true(ker != UINT64_MAX && clk != UINT64_MAX);
        assert_true(opt <= lru && opt <= fifo && opt <= clk && opt <= ker);
        assert_true(opt < lru);
        assert_int_equal(lru, brute_lru(keys, 3000, frames));
    }
}

static void next_use_prepass(void **state)
{
    (void)state;
    const uint64_t keys[] = {5, 3, 5, 5, 3, 9};
    uint64_t next[6];
    assert_int_equal(vmscan_next_use(keys, 6, next), 0);
    assert_int_equal(next[0], 2);
    assert_int_equal(next[1], 4);
    assert_int_equal(next[2], 3);
    assert_true(next[3] == VMSCAN_NO_NEXT_USE && next[4] == VMSCAN_NO_NEXT_USE &&
                next[5] == VMSCAN_NO_NEXT_USE);
}

static void policy_names_parse(void **state)
{
    (void)state;
    enum vmscan_policy p;
    assert_int_equal(vmscan_policy_parse("clock", &p), 0);
    assert_int_equal(p, VMSCAN_CLOCK);
    assert_string_equal(vmscan_policy_name(VMSCAN_OPT), "opt");
    assert_int_equal(vmscan_policy_parse("random", &p), -1);
}

/* get_scan_count in a memory cgroup with no page cache: SCAN_FRACT, not anon only. With no
 * cost yet (every page scanned is freed: lru_note_cost adds nothing) calculate_pressure_balance
 * gives anon swappiness / 200 = 0.3 of `list >> priority` (the list as it shrinks), rounded
 * down: for 1000 anonymous pages priorities 7..4 scan 2 (1000 >> 7 = 7), 4 (998 >> 6),
 * 9 (994 >> 5), 18 (985 >> 4) -> 33 >= 32 at priority 4. Global reclaim with no file pages
 * (file_is_tiny) scans the whole list >> priority: 1, 3, 7, 15 by priority 6 (26), then
 * 974 >> 5 = 30 at priority 5 -> 56. */
static void cgroup_reclaim_scans_anon_by_its_share(void **state)
{
    (void)state;
    for (int cg = 0; cg < 2; cg++) {
        struct vmscan *v = kernel_vm(1000, 60);
        for (uint64_t p = 0; p < 1000; p++)
            vmscan_add(v, p, VMSCAN_ANON, VMSCAN_NO_NEXT_USE);
        struct owner o = {0};
        struct scan_control sc = {.nr_to_reclaim = 32, .may_swap = 1, .cgroup_reclaim = cg};
        uint64_t got = vmscan_shrink(v, &sc, owner_evict, &o);
        assert_int_equal(got, cg ? 33 : 56);
        assert_int_equal(sc.nr_scanned, cg ? 33 : 56);
        assert_int_equal(sc.priority, cg ? 4 : 5);
        vmscan_free(v);
    }
}

/* do_try_to_free_pages's retries. Inactive anon 0..31, every one's swap write queued and
 * the page kept under writeback; active anon 32..47, freed when reclaimed. The statistics,
 * flushed at 32 inactive / 16 active (not low), no refault: may_deactivate is off, so
 * shrink_list skips the active list (skipped_deactivate). Global reclaim with no file
 * pages scans anon by list >> priority (file_is_tiny):
 * - descent 1: inactive 1, 2, 4, 8, 16 at priorities 5..1 and 32 at 0: pages 0..31 written,
 *   none freed; the active list's 1, 2, 4, 8, 16 skipped.
 * - descent 2 (memcg_full_walk): every inactive page under writeback: nothing.
 * - descent 3 (force_deactivate): the active list goes to the inactive head 1, 1, 3, 5 pages
 *   at priorities 4..1 (16 >> 4; 15 >> 3; 14 >> 2; 11 >> 1) while the inactive scans (2, 4,
 *   8, 18 of 33, 34, 37 pages) rotate the written ones; at priority 0 (42 inactive, 6
 *   active) the first batch of 32 meets the first five deactivated pages among 27 written
 *   ones, the last six active ones are deactivated, the second batch of 10 meets the other
 *   five: pages 32..41 freed, 10.
 * kswapd (balance_pgdat) does descent 1 only. */
static void direct_reclaim_retries_then_forces_deactivation(void **state)
{
    (void)state;
    for (int kswapd = 0; kswapd < 2; kswapd++) {
        struct vmscan *v = kernel_vm(64, 60);
        for (uint64_t p = 0; p < 32; p++)
            vmscan_add(v, p, VMSCAN_ANON, VMSCAN_NO_NEXT_USE);
        for (uint64_t p = 32; p < 48; p++)
            vmscan_add(v, p, VMSCAN_ANON | VMSCAN_ACTIVE, VMSCAN_NO_NEXT_USE);
        vmscan_use_flushed_stats(v);
        vmscan_flush_stats(v);
        struct owner o = {.swap_writeback_below = 32};
        struct scan_control sc = {.nr_to_reclaim = 32, .may_swap = 1, .is_kswapd = kswapd};
        uint64_t got = vmscan_shrink(v, &sc, owner_evict, &o);
        assert_int_equal(o.nswap_writes, 32);
        assert_int_equal(sc.nr_swap_writeback, 32);
        if (kswapd) {
            assert_int_equal(got, 0);
            assert_int_equal(sc.retries, 0);
            assert_int_equal(vmscan_stats(v)->pgdeactivate, 0);
        } else {
            assert_int_equal(got, 10);
            assert_int_equal(sc.retries, 2);
            assert_int_equal(vmscan_stats(v)->pgdeactivate, 16);
            assert_int_equal(o.n, 10);
            for (unsigned i = 0; i < o.n; i++)
                assert_int_equal(o.evicted[i], 32 + i);
        }
        vmscan_free(v);
    }
}

/* folio_add_lru: a page waits in its CPU's LRU add batch, on no list and in no list size,
 * until the batch is full (then all go, in order) or drained (lru_add_drain: a scan first
 * drains the batch of the CPU it runs on, not the other CPU's). A batch of 4 on two CPUs:
 * pages 0..2 on CPU 0 wait; page 3 fills the batch: 4 inactive. Pages 4, 5 on CPU 1 and 6
 * on CPU 0 wait; page 5 is freed from its batch. A reclaim on CPU 0 of 8 pages drains page
 * 6 and frees 0..3 and 6 (global reclaim: list >> priority); page 4 stays in CPU 1's batch,
 * unseen, until CPU 1 drains it. A page marked accessed twice in a batch joins the active
 * list (__lru_cache_activate_folio). */
static void lru_add_batch_hides_new_pages(void **state)
{
    (void)state;
    struct vmscan_config c;
    vmscan_config_defaults(&c);
    c.lru_batch = 4;
    c.ncpu = 2;
    memset(pages, 0, sizeof(pages));
    struct vmscan *v = vmscan_new(pages, 16, &c);
    assert_non_null(v);
    vmscan_set_cpu(v, 0);
    for (uint64_t p = 0; p < 3; p++)
        vmscan_add(v, p, VMSCAN_ANON, VMSCAN_NO_NEXT_USE);
    assert_int_equal(vmscan_lru_pages(v, LRU_INACTIVE_ANON), 0);
    vmscan_add(v, 3, VMSCAN_ANON, VMSCAN_NO_NEXT_USE);
    assert_int_equal(vmscan_lru_pages(v, LRU_INACTIVE_ANON), 4);
    vmscan_set_cpu(v, 1);
    vmscan_add(v, 4, VMSCAN_ANON, VMSCAN_NO_NEXT_USE);
    vmscan_add(v, 5, VMSCAN_ANON, VMSCAN_NO_NEXT_USE);
    vmscan_del(v, 5);
    assert_false(vmscan_on_lru(v, 5));
    vmscan_set_cpu(v, 0);
    vmscan_add(v, 6, VMSCAN_ANON, VMSCAN_NO_NEXT_USE);
    struct owner o = {0};
    struct scan_control sc = {.nr_to_reclaim = 8, .may_swap = 1};
    assert_int_equal(vmscan_shrink(v, &sc, owner_evict, &o), 5);
    assert_false(was_evicted(&o, 4));
    assert_int_equal(vmscan_lru_pages(v, LRU_INACTIVE_ANON), 0);
    vmscan_set_cpu(v, 1);
    vmscan_lru_add_drain(v);
    assert_int_equal(vmscan_lru_pages(v, LRU_INACTIVE_ANON), 1);
    vmscan_add(v, 7, 0, VMSCAN_NO_NEXT_USE);
    vmscan_mark_accessed(v, 7);
    vmscan_mark_accessed(v, 7);
    assert_int_equal(vmscan_lru_pages(v, LRU_ACTIVE_FILE), 0);
    vmscan_lru_add_drain(v);
    assert_int_equal(vmscan_lru_pages(v, LRU_ACTIVE_FILE), 1);
    vmscan_free(v);
}

/* A kernel-policy vmscan of 64 frames (swappiness 60) with anonymous pages 0..31 inactive
 * and 32..47 active. */
static struct vmscan *anon_32_inactive_16_active(void)
{
    struct vmscan *v = kernel_vm(64, 60);
    for (uint64_t p = 0; p < 32; p++)
        vmscan_add(v, p, VMSCAN_ANON, VMSCAN_NO_NEXT_USE);
    for (uint64_t p = 32; p < 48; p++)
        vmscan_add(v, p, VMSCAN_ANON | VMSCAN_ACTIVE, VMSCAN_NO_NEXT_USE);
    return v;
}

/* prepare_scan_control: refaults that activated pages since the last reclaim let the next
 * one deactivate (exact statistics here). Inactive anon 0..31, active 32..47 (32 inactive
 * is not low against 16 active); global reclaim with no file pages scans list >> priority.
 * Reclaim 1 (8 pages): inactive 1, 1 (31 >> 4), 3 (30 >> 3), 6 (27 >> 2) freed = 11, the
 * active list skipped. A refault activates a page. Reclaim 2: inactive 21, active 16:
 * priority 4 frees 1 and deactivates 1; 3: 2 (21 >> 3) and 1 (15 >> 3); 2: 5 (20 >> 2)
 * and 3 (14 >> 2): 8 freed, 5 deactivated. Reclaim 3 (4 pages), no refault since
 * reclaim 2's snapshot: 1 (18 >> 4), 2 (17 >> 3), 3 (15 >> 2) freed, none deactivated (the
 * inactive list, 12 against 11 active at the end, never low: shrink_lruvec's tail, which
 * deactivates regardless, stays idle). */
static void refault_activation_lets_reclaim_deactivate(void **state)
{
    (void)state;
    struct vmscan *v = anon_32_inactive_16_active();
    struct owner o = {0};
    struct scan_control sc1 = {.nr_to_reclaim = 8, .may_swap = 1};
    assert_int_equal(vmscan_shrink(v, &sc1, owner_evict, &o), 11);
    assert_int_equal(vmscan_stats(v)->pgdeactivate, 0);
    unsigned flags = vmscan_refault(v, vmscan_pack_shadow(v, 0), 1, 1, NULL);
    assert_true(flags & VMSCAN_ACTIVE);
    assert_int_equal(vmscan_stats(v)->workingset_activate_anon, 1);
    struct scan_control sc2 = {.nr_to_reclaim = 8, .may_swap = 1};
    assert_int_equal(vmscan_shrink(v, &sc2, owner_evict, &o), 8);
    assert_int_equal(vmscan_stats(v)->pgdeactivate, 5);
    struct scan_control sc3 = {.nr_to_reclaim = 4, .may_swap = 1};
    assert_int_equal(vmscan_shrink(v, &sc3, owner_evict, &o), 6);
    assert_int_equal(vmscan_stats(v)->pgdeactivate, 5);
    vmscan_free(v);
}

/* The refault test reads the flushed statistics too: an activation is seen by the reclaims
 * after the next flush, not before. */
static void refault_activation_seen_after_flush(void **state)
{
    (void)state;
    struct vmscan *v = anon_32_inactive_16_active();
    vmscan_use_flushed_stats(v);
    vmscan_flush_stats(v); /* 32 inactive, 16 active: not low */
    assert_true(vmscan_refault(v, vmscan_pack_shadow(v, 0), 1, 1, NULL) & VMSCAN_ACTIVE);
    struct owner o = {0};
    struct scan_control sc1 = {.nr_to_reclaim = 8, .may_swap = 1};
    assert_int_equal(vmscan_shrink(v, &sc1, owner_evict, &o), 11);
    assert_int_equal(vmscan_stats(v)->pgdeactivate, 0);
    vmscan_flush_stats(v); /* 21 inactive, 16 active, one activation */
    struct scan_control sc2 = {.nr_to_reclaim = 8, .may_swap = 1};
    assert_int_equal(vmscan_shrink(v, &sc2, owner_evict, &o), 8);
    assert_int_equal(vmscan_stats(v)->pgdeactivate, 5);
    vmscan_free(v);
}

/* A memory cgroup's balance reads its flushed statistics: a new group's say 0, so its
 * inactive list is never low until a flush; after one, the exact sizes count. */
static void flushed_stats_decide_balance(void **state)
{
    (void)state;
    struct vmscan *v = kernel_vm(64, 60);
    for (uint64_t p = 0; p < 40; p++)
        vmscan_add(v, p, VMSCAN_ANON, VMSCAN_NO_NEXT_USE);
    for (uint64_t p = 0; p < 30; p++) { /* referenced twice: active */
        vmscan_mark_accessed(v, p);
        vmscan_mark_accessed(v, p);
    }
    assert_int_equal(vmscan_lru_pages(v, LRU_ACTIVE_ANON), 30);
    assert_true(vmscan_inactive_is_low(v, 0)); /* exact: 10 inactive < 30 active */
    vmscan_use_flushed_stats(v);
    assert_false(vmscan_inactive_is_low(v, 0)); /* the new group's statistics: 0 and 0 */
    vmscan_flush_stats(v);
    assert_true(vmscan_inactive_is_low(v, 0));
    vmscan_free(v);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(mark_accessed_walks_the_states),
        cmocka_unit_test(shrink_takes_oldest_first),
        cmocka_unit_test(young_anon_is_kept_then_activated),
        cmocka_unit_test(cgroup_reclaim_scans_anon_by_its_share),
        cmocka_unit_test(flushed_stats_decide_balance),
        cmocka_unit_test(direct_reclaim_retries_then_forces_deactivation),
        cmocka_unit_test(refault_activation_lets_reclaim_deactivate),
        cmocka_unit_test(refault_activation_seen_after_flush),
        cmocka_unit_test(file_page_second_chance),
        cmocka_unit_test(no_swap_spares_anon),
        cmocka_unit_test(swappiness_weights_anon_and_file),
        cmocka_unit_test(inactive_ratio_values),
        cmocka_unit_test(deactivation_refills_inactive),
        cmocka_unit_test(refault_distance_decides_activation),
        cmocka_unit_test(kswapd_wakes_below_low_sleeps_at_high),
        cmocka_unit_test(kswapd_gives_up_after_failures),
        cmocka_unit_test(dirty_file_written_before_reuse),
        cmocka_unit_test(dirty_page_kept_while_written),
        cmocka_unit_test(swap_full_activates),
        cmocka_unit_test(unevictable_never_scanned),
        cmocka_unit_test(policies_on_reference_strings),
        cmocka_unit_test(opt_is_a_lower_bound),
        cmocka_unit_test(next_use_prepass),
        cmocka_unit_test(policy_names_parse),
        cmocka_unit_test(lru_add_batch_hides_new_pages),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
