/* test_reclaim.c - the reclaim path end to end on a real buddy allocator and real page
 * tables: eviction to swap, swap-in with readahead, OOM without swap, kswapd, exit. The
 * memory system is a bare struct memsys (its buddy allocator and pages) with one address
 * space, whose RSS and swap counters reclaim keeps as memory.c's fault paths would. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "model/mm_internal.h"
#include "model/page_alloc.h"
#include "model/pgtable.h"
#include "model/reclaim.h"
#include "model/reclaim_internal.h"

static uint64_t table_alloc(void *ctx) { return page_alloc_alloc(ctx, 0, PA_UNMOVABLE, PA_WMARK_NONE); }
static void table_release(void *ctx, uint64_t pfn) { page_alloc_release(ctx, pfn, 0); }

struct world {
    struct page_alloc *pa;
    struct memsys ms;
    struct reclaim *r;
    struct mm mm;
};

/* 1024 frames (4 MiB): min 64, low 80, high 96 pages; swap of swap_kib. Round-number
 * device: 100 us latency, 1 us per page. */
static void world_init_cg(struct world *w, uint64_t swap_kib, int rotational, uint64_t memcg_pages);
static void world_init(struct world *w, uint64_t swap_kib) { world_init_cg(w, swap_kib, 0, 0); }
static void world_init_dev(struct world *w, uint64_t swap_kib, int rotational)
{
    world_init_cg(w, swap_kib, rotational, 0);
}

static void world_init_cpus(struct world *w, uint64_t swap_kib, int rotational, uint64_t memcg_pages,
                            unsigned ncpu, unsigned charge_batch);
static void world_init_cg(struct world *w, uint64_t swap_kib, int rotational, uint64_t memcg_pages)
{
    world_init_cpus(w, swap_kib, rotational, memcg_pages, 1, MEMCG_CHARGE_BATCH);
}

/* ncpu CPUs, each with a memcg charge stock of charge_batch (0: none) */
static void world_init_cpus(struct world *w, uint64_t swap_kib, int rotational, uint64_t memcg_pages,
                            unsigned ncpu, unsigned charge_batch)
{
    struct page_alloc_config pc = {.total_pages = 1024, .page_shift = 12};
    w->pa = page_alloc_new(&pc);
    assert_non_null(w->pa);
    struct reclaim_config rc;
    reclaim_config_defaults(&rc);
    rc.swap.size = swap_kib << 10;
    rc.swap.ra_initial_hits = 0; /* the readahead rules from a decayed state (no history) */
    rc.swap.read_latency_ns = rc.swap.write_latency_ns = 100000;
    rc.swap.read_bandwidth = rc.swap.write_bandwidth = 4096000000ull;
    rc.swap.queue_depth = 1;
    rc.swap.rotational = rotational;
    rc.memcg_limit_pages = memcg_pages;
    rc.nr_cpus = ncpu;
    rc.memcg_charge_batch = charge_batch;
    rc.memcg_stock_drain_ns = 60000;
    memset(&w->ms, 0, sizeof(w->ms));
    w->ms.pa = w->pa;
    w->ms.page_shift = 12;
    w->ms.page_size = 4096;
    w->ms.levels = 4;
    w->ms.nframes = pc.total_pages;
    w->ms.pages = calloc(pc.total_pages, sizeof(struct page));
    assert_non_null(w->ms.pages);
    w->r = reclaim_new(&w->ms, &rc);
    assert_non_null(w->r);
    struct pgtable_frames fr = {table_alloc, table_release, w->pa};
    w->mm = (struct mm){.ms = &w->ms, .pt = pgtable_new(4, 12, &fr)};
    assert_non_null(w->mm.pt);
}

static void world_done(struct world *w)
{
    pgtable_free(w->mm.pt);
    reclaim_free(w->r);
    page_alloc_free_all(w->pa);
    free(w->ms.pages);
}

/* va's page is on swap only: a swap entry, and not in the swap cache (where reclaim keeps a
 * page while its write is in flight, and afterwards until it is scanned again). */
static int on_swap(struct world *w, uint64_t va)
{
    return reclaim_has_swap_entry(w->r, &w->mm, va) && !reclaim_swap_cached(w->r, &w->mm, va);
}

/* Touch n pages from 0x10000000 as memory.c would: allocate, map, tell reclaim.
 * Returns how many got a frame. */
static uint64_t touch_pages(struct world *w, uint64_t first, uint64_t n)
{
    uint64_t ok = 0;
    for (uint64_t i = first; i < first + n; i++) {
        uint64_t va = 0x10000000ull + (i << 12), cycles = 0;
        int stalled = 0;
        if (pgtable_lookup(w->mm.pt, va, NULL))
            continue;
        struct swapin_result sr;
        int rc = reclaim_swapin(w->r, &w->mm, va, PTE_WRITE | PTE_DIRTY | PTE_USER, &sr);
        if (rc == 1 || rc == 2) { /* read from swap, or found in the swap cache */
            ok++;
            continue;
        }
        uint64_t pfn = reclaim_alloc(w->r, PA_MOVABLE, &cycles, &stalled);
        if (pfn == PA_NO_PFN)
            break;
        assert_int_equal(pgtable_map(w->mm.pt, va, pfn, 1, PTE_WRITE | PTE_USER | PTE_ACCESSED, NULL), 0);
        reclaim_page_added(w->r, pfn, &w->mm, va, RECLAIM_ANON | RECLAIM_YOUNG);
        w->mm.c.rss_anon++; /* as memory.c maps an anonymous page */
        ok++;
    }
    return ok;
}

/* 1200 anonymous pages in 1024 frames with 8 MiB of swap: every page gets a frame, the
 * overflow goes to swap, evicted pages lose their PTEs and keep swap entries. */
static void overcommit_swaps_out(void **state)
{
    (void)state;
    struct world w;
    world_init(&w, 8192);
    assert_int_equal(touch_pages(&w, 0, 1200), 1200);
    struct reclaim_counters c;
    reclaim_counters(w.r, &c);
    assert_true(c.pswpout > 0);
    assert_int_equal(w.mm.c.rss_anon + w.mm.c.swap_ents, 1200);
    assert_int_equal(w.mm.c.swap_ents, c.swap_used);
    assert_true(c.alloc_stalls > 0);
    assert_true(vmscan_stats(reclaim_vmscan(w.r))->kswapd_wakeups >= 1);
    /* the first pages went first (oldest on the inactive list, activated once) */
    uint64_t evicted = 0, with_entry = 0;
    for (uint64_t i = 0; i < 1200; i++) {
        uint64_t va = 0x10000000ull + (i << 12);
        if (!pgtable_lookup(w.mm.pt, va, NULL)) {
            evicted++;
            with_entry += reclaim_has_swap_entry(w.r, &w.mm, va);
        }
    }
    assert_int_equal(evicted, w.mm.c.swap_ents);
    assert_int_equal(with_entry, evicted);
    /* each eviction owes a TLB shootdown */
    struct reclaim_inval inv[4096];
    assert_int_equal(reclaim_take_invalidations(w.r, inv, 4096), c.pswpout);
    assert_true(inv[0].mm == &w.mm);
    /* writes of consecutive slots were merged */
    assert_true(swap_stats(reclaim_swap(w.r))->write_reqs < c.pswpout);
    world_done(&w);
}

/* Faults on swapped pages: major faults that wait for the device, with readahead by
 * address bringing the window's neighbours into the swap cache, unmapped (their swap
 * entries stay until their own faults). The window follows the kernel's rule: the first
 * miss has no history (1 page, 101 us), the next one on the following page reads 2 (the
 * page and the one after), a hit on that one and a miss on the page after it read 4. */
static void swapin_with_readahead(void **state)
{
    (void)state;
    struct world w;
    world_init(&w, 8192);
    touch_pages(&w, 0, 1200);
    uint64_t va = 0;
    for (uint64_t i = 0; i < 1100 && !va; i++) {
        uint64_t a = 0x10000000ull + (i << 12);
        int all = 1;
        for (uint64_t k = 0; k < 8; k++)
            all &= on_swap(&w, a + (k << 12));
        if (all)
            va = a; /* 8 swapped pages in a row from here */
    }
    assert_true(va != 0);
    uint64_t swap_before = w.mm.c.swap_ents;
    reclaim_set_time(w.r, 1000000000ull); /* the device is idle by now */
    struct reclaim_counters c;
    struct swapin_result sr;
    assert_int_equal(reclaim_swapin(w.r, &w.mm, va, PTE_WRITE | PTE_DIRTY | PTE_USER, &sr), 1);
    assert_true(pgtable_lookup(w.mm.pt, va, NULL) != 0);
    assert_false(reclaim_has_swap_entry(w.r, &w.mm, va));
    assert_int_equal(sr.readahead, 0);
    assert_int_equal(sr.io_ns, 101000);
    assert_int_equal(w.mm.c.swap_ents, swap_before - 1);
    reclaim_set_time(w.r, 2000000000ull);
    assert_int_equal(reclaim_swapin(w.r, &w.mm, va + 4096, PTE_WRITE | PTE_DIRTY | PTE_USER, &sr), 1);
    assert_int_equal(sr.readahead, 1); /* va + 8192 */
    assert_int_equal(sr.io_ns, 100000 + 1000 * 2); /* consecutive slots: one request */
    reclaim_counters(w.r, &c);
    assert_int_equal(c.pgmajfault, 2);
    assert_int_equal(c.pswpin, 3);
    /* write faults: the faulting pages left the swap cache, the readahead page is in it */
    assert_true(reclaim_swap_cached(w.r, &w.mm, va + 8192));
    assert_int_equal(reclaim_swapin(w.r, &w.mm, va + 8192, PTE_WRITE | PTE_DIRTY | PTE_USER, &sr), 2);
    reclaim_set_time(w.r, 3000000000ull);
    assert_int_equal(reclaim_swapin(w.r, &w.mm, va + 12288, PTE_WRITE | PTE_DIRTY | PTE_USER, &sr), 1);
    assert_int_equal(sr.readahead, 3); /* 1 hit: 4 pages from va + 12288 */
    reclaim_counters(w.r, &c);
    assert_int_equal(c.swap_ra_hit, 1);
    assert_int_equal(c.swap_ra, 4);
    /* a page with no swap entry is not a swap-in */
    assert_int_equal(reclaim_swapin(w.r, &w.mm, 0x7000000ull, PTE_WRITE, &sr), 0);
    world_done(&w);
}

/* On a disk, readahead goes by swap slot (swapin_nr_pages' window, aligned), the same here
 * since slots were handed out in address order: one request of 1 + readahead pages. The
 * first miss reads 1 page; a miss on the next slot reads the aligned pair. */
static void swapin_cluster_readahead_on_disk(void **state)
{
    (void)state;
    struct world w;
    world_init_dev(&w, 8192, 1);
    touch_pages(&w, 0, 1200);
    uint64_t va = 0;
    for (uint64_t i = 0; i < 1200 && !va; i++)
        if (on_swap(&w, 0x10000000ull + (i << 12)))
            va = 0x10000000ull + (i << 12);
    while (va && !(on_swap(&w, va + 4096) && on_swap(&w, va + 8192)))
        va += 4096;
    reclaim_set_time(w.r, 1000000000ull);
    struct swapin_result sr;
    assert_int_equal(reclaim_swapin(w.r, &w.mm, va, PTE_WRITE | PTE_DIRTY | PTE_USER, &sr), 1);
    assert_int_equal(sr.readahead, 0);
    assert_int_equal(sr.io_ns, 101000);
    reclaim_set_time(w.r, 2000000000ull);
    /* the next slot: a window of 2 aligned on 2 slots, so it reads a neighbour when the
     * pair's other slot is still on swap */
    assert_int_equal(reclaim_swapin(w.r, &w.mm, va + 4096, PTE_WRITE | PTE_DIRTY | PTE_USER, &sr), 1);
    assert_true(sr.readahead <= 1);
    assert_int_equal(sr.io_ns, 100000 + 1000 * (1 + sr.readahead));
    assert_int_equal(swap_stats(reclaim_swap(w.r))->read_reqs, 2);
    world_done(&w);
}

/* A memory cgroup of 500 pages in a 1024-frame machine: with swap its usage never passes
 * the limit (the overflow is swapped although memory is free); without swap the 501st
 * page fails as a memcg OOM. */
static void memcg_limit_enforced(void **state)
{
    (void)state;
    struct world w;
    world_init_cg(&w, 8192, 0, 500);
    assert_int_equal(touch_pages(&w, 0, 700), 700);
    const struct oom_memcg *cg = reclaim_memcg(w.r);
    assert_int_equal(cg->limit_pages, 500);
    assert_true(cg->max_usage_pages <= 500);
    assert_true(cg->failcnt > 0);
    assert_true(w.mm.c.swap_ents >= 200);
    assert_true(page_alloc_free_pages(w.pa) > 300); /* the machine itself had room */
    world_done(&w);

    world_init_cg(&w, 0, 0, 500);
    assert_int_equal(touch_pages(&w, 0, 700), 500);
    assert_true(reclaim_memcg_oom(w.r));
    world_done(&w);
}

/* The per-CPU charge stock in a 300-page group on 2 CPUs: 100 pages touched on CPU 1
 * leave 28 pages charged in its stock (two batches of 64); the task then runs on CPU 0,
 * which charges batches while they fit (192, 256) and single pages after (257..300): the
 * counter reaches the limit with 172 of CPU 0's pages, and the 173rd reclaims, where
 * with charge_batch 0 the group reclaims first at its 301st page. That reclaim only
 * starts writes (the pages stay in the swap cache until they are done), so it makes no
 * room and drains the stocks: CPU 0's (empty) at once, CPU 1's 28 pages when its work
 * item runs. */
static void memcg_stock_stranded_until_reclaim_fails(void **state)
{
    (void)state;
    struct world w;
    world_init_cpus(&w, 8192, 0, 300, 2, MEMCG_CHARGE_BATCH);
    reclaim_set_cpu(w.r, 1);
    assert_int_equal(touch_pages(&w, 0, 100), 100);
    reclaim_set_cpu(w.r, 0);
    assert_int_equal(touch_pages(&w, 100, 172), 172);
    const struct oom_memcg *cg = reclaim_memcg(w.r);
    const struct memcg_stock *st = reclaim_memcg_stock(w.r);
    assert_int_equal(cg->usage_pages, 300);
    assert_int_equal(st->pages[1], 28);
    assert_int_equal(st->pages[0], 0);
    assert_int_equal(st->batches, 4);
    assert_int_equal(w.r->c.direct_cycles, 0); /* no reclaim yet */
    assert_int_equal(touch_pages(&w, 272, 1), 1);
    assert_true(w.r->c.direct_cycles > 0);
    assert_int_equal(st->drains, 1);
    /* CPU 1's drain is its work item's: queued 60 us after the reclaim, run by a charge
     * after that time */
    assert_int_not_equal(st->drain_at_ns[1], UINT64_MAX);
    assert_int_equal(st->drain_at_ns[0], UINT64_MAX);
    reclaim_set_time(w.r, st->drain_at_ns[1]);
    assert_int_equal(touch_pages(&w, 273, 1), 1);
    assert_int_equal(st->drained_pages, 28);
    assert_int_equal(st->pages[1], 0);
    world_done(&w);

    /* no stock: the group reclaims first at its 301st page */
    world_init_cpus(&w, 8192, 0, 300, 2, 0);
    reclaim_set_cpu(w.r, 1);
    assert_int_equal(touch_pages(&w, 0, 100), 100);
    reclaim_set_cpu(w.r, 0);
    assert_int_equal(touch_pages(&w, 100, 200), 200);
    assert_int_equal(reclaim_memcg(w.r)->usage_pages, 300);
    assert_int_equal(w.r->c.direct_cycles, 0);
    world_done(&w);
}

/* Without swap reclaim frees nothing: the first charge past the limit drains the stocks
 * (drain_all_stock), CPU 1's 28 pages when its work item has run, and the task gets all
 * 300 pages before the memcg OOM. */
static void memcg_stock_drained_when_reclaim_fails(void **state)
{
    (void)state;
    struct world w;
    world_init_cpus(&w, 0, 0, 300, 2, MEMCG_CHARGE_BATCH);
    reclaim_set_cpu(w.r, 1);
    assert_int_equal(touch_pages(&w, 0, 100), 100);
    reclaim_set_cpu(w.r, 0);
    assert_int_equal(touch_pages(&w, 100, 300), 200);
    assert_true(reclaim_memcg_oom(w.r));
    const struct memcg_stock *st = reclaim_memcg_stock(w.r);
    assert_true(st->drains >= 1);
    assert_int_equal(st->drained_pages, 28);
    assert_int_equal(memcg_stock_pages(st), 0);
    assert_int_equal(reclaim_memcg(w.r)->usage_pages, 300);
    world_done(&w);
}

/* Charges and maps 301 anonymous pages at 0x10000000 in a 300-page group: the 301st
 * charge reclaims, inside a swap-in's readahead plug when in_plug. */
static void charge_301_pages(struct world *w, int in_plug)
{
    for (uint64_t i = 0; i <= 300; i++) {
        uint64_t va = 0x10000000ull + (i << 12), cycles = 0;
        int stalled = 0;
        w->r->swapin_plug = i == 300 && in_plug;
        uint64_t pfn = reclaim_alloc(w->r, PA_MOVABLE, &cycles, &stalled);
        w->r->swapin_plug = 0;
        assert_int_not_equal(pfn, PA_NO_PFN);
        assert_int_equal(pgtable_map(w->mm.pt, va, pfn, 1, PTE_WRITE | PTE_USER | PTE_ACCESSED, NULL), 0);
        reclaim_page_added(w->r, pfn, &w->mm, va, RECLAIM_ANON);
        w->mm.c.rss_anon++;
    }
}

/* The block plug a memory cgroup's reclaim writes into. A group of 300 pages, each mapped
 * once and never touched again (not young: written at the first scan), all in slots 1..300
 * in order; the 301st page's charge reclaims (cgroup v2: no waiting on writeback). Inside
 * a swap-in's readahead plug (its read first, under 128 KiB) the writes gather there: the
 * 300 contiguous pages merge into runs of at most 256 (WRITE_RUN_MAX), 2 requests, and no
 * flush comes before the end (fewer than 32 requests, a small first one). With a plug of
 * its own (a first touch) shrink_lruvec sends what it holds at the end of each priority,
 * so the runs break there: more requests than 2. */
static void reclaim_writes_gather_in_the_readahead_plug(void **state)
{
    (void)state;
    uint64_t reqs[2];
    for (int nested = 0; nested < 2; nested++) {
        struct world w;
        world_init_cg(&w, 8192, 0, 300);
        charge_301_pages(&w, nested);
        const struct swap_stats *st = swap_stats(reclaim_swap(w.r));
        assert_int_equal(st->pswpout, 300);
        reqs[nested] = st->write_reqs;
        world_done(&w);
    }
    assert_int_equal(reqs[1], 2);
    assert_true(reqs[0] > 2);
}

/* A write joins the pending request at either end (blk_attempt_plug_merge's back and front
 * merges). 300 pages of a 300-page group written once, in slots 1..300 in order (the 301st
 * page's charge, inside a readahead plug: 2 requests); when their writes are done each goes
 * to the inactive tail in turn (folio_rotate_reclaimable), so the list from its tail holds
 * them in descending slot order. Those still in the swap cache are mapped again by read
 * faults (clean, as do_swap_page maps an exclusive page) and stored to (the PTE's dirty
 * bit); new pages are charged until the group's reclaim writes again, inside a readahead
 * plug: the new pages (not young) go first to fresh slots in order, one request; the
 * mapped ones (young: spared once, written at the second look) go back to the slots they
 * hold, highest first, and merge from the front into one request. 2 requests for the whole
 * group's 300 pages; merging at the back only, each rewrite would be a request of its own. */
static void reclaim_rewrites_merge_from_the_front(void **state)
{
    (void)state;
    struct world w;
    world_init_cg(&w, 8192, 0, 300);
    charge_301_pages(&w, 1);
    const struct swap_stats *st = swap_stats(reclaim_swap(w.r));
    assert_int_equal(st->pswpout, 300);
    assert_int_equal(st->write_reqs, 2);
    reclaim_set_time(w.r, 1000000000ull); /* the writes are done: rotated to the tail */
    uint64_t cached = 0;
    for (uint64_t i = 0; i < 300; i++) {
        uint64_t va = 0x10000000ull + (i << 12);
        if (!reclaim_swap_cached(w.r, &w.mm, va))
            continue;
        struct swapin_result sr;
        assert_int_equal(reclaim_swapin(w.r, &w.mm, va, PTE_WRITE | PTE_USER, &sr), 2);
        pgtable_update(w.mm.pt, va, PTE_DIRTY, 0);
        cached++;
    }
    assert_true(cached > 32 && cached <= WRITE_RUN_MAX); /* more than a batch, one request */
    uint64_t i = 301;
    for (; st->pswpout == 300 && i < 600; i++) {
        uint64_t va = 0x10000000ull + (i << 12), cycles = 0;
        int stalled = 0;
        w.r->swapin_plug = 1;
        uint64_t pfn = reclaim_alloc(w.r, PA_MOVABLE, &cycles, &stalled);
        w.r->swapin_plug = 0;
        assert_int_not_equal(pfn, PA_NO_PFN);
        assert_int_equal(pgtable_map(w.mm.pt, va, pfn, 1, PTE_WRITE | PTE_USER | PTE_ACCESSED, NULL), 0);
        reclaim_page_added(w.r, pfn, &w.mm, va, RECLAIM_ANON);
        w.mm.c.rss_anon++;
    }
    /* the group's 300 pages: the mapped ones, the 301st and the new ones before the last */
    assert_int_equal(cached + 1 + (i - 1 - 301), 300);
    assert_int_equal(st->pswpout, 600);
    assert_int_equal(st->write_reqs, 4);
    world_done(&w);
}

/* Without swap, anonymous memory cannot shrink: allocation fails at the min watermark. */
static void no_swap_goes_oom(void **state)
{
    (void)state;
    struct world w;
    world_init(&w, 0);
    uint64_t got = touch_pages(&w, 0, 1200);
    assert_true(got < 1024);
    assert_true(page_alloc_free_pages(w.pa) <= page_alloc_wmark(w.pa, PA_WMARK_MIN));
    struct reclaim_counters c;
    reclaim_counters(w.r, &c);
    assert_int_equal(c.pswpout, 0);
    assert_true(vmscan_stats(reclaim_vmscan(w.r))->reclaim_failures > 0);
    world_done(&w);
}

/* kswapd, once woken, reclaims to the high watermark and sleeps. */
static void kswapd_balances_to_high(void **state)
{
    (void)state;
    struct world w;
    world_init(&w, 8192);
    touch_pages(&w, 0, 1200);
    /* kernel allocations take the free pages down to just above min, then one user
     * allocation misses low: kswapd wakes, the task does not reclaim itself */
    while (page_alloc_free_pages(w.pa) > page_alloc_wmark(w.pa, PA_WMARK_MIN) + 2)
        assert_true(page_alloc_alloc(w.pa, 0, PA_UNMOVABLE, PA_WMARK_MIN) != PA_NO_PFN);
    uint64_t spent = 0;
    int stalled = 0;
    assert_true(reclaim_alloc(w.r, PA_MOVABLE, &spent, &stalled) != PA_NO_PFN);
    assert_int_equal(stalled, 0);
    assert_true(reclaim_kswapd_awake(w.r));
    int rounds = 0;
    uint64_t cycles = 0;
    while (reclaim_kswapd_awake(w.r) && rounds < 100) {
        cycles += reclaim_kswapd_run(w.r);
        rounds++;
        /* kswapd's CPU moves on (a round that found only writes in flight waits for them) */
        reclaim_set_time(w.r, (uint64_t)rounds * 1000000ull);
    }
    assert_false(reclaim_kswapd_awake(w.r));
    assert_true(page_alloc_free_pages(w.pa) >= page_alloc_wmark(w.pa, PA_WMARK_HIGH));
    assert_true(cycles > 0);
    assert_true(vmscan_stats(reclaim_vmscan(w.r))->pgsteal_kswapd > 0);
    world_done(&w);
}

/* Exit drops every swap entry of the address space. */
static void exit_frees_swap(void **state)
{
    (void)state;
    struct world w;
    world_init(&w, 8192);
    touch_pages(&w, 0, 1200);
    uint64_t swapped = w.mm.c.swap_ents;
    assert_true(swapped > 0);
    assert_int_equal(reclaim_drop_swap(w.r, &w.mm, 0, 0), swapped);
    assert_int_equal(swap_used_slots(reclaim_swap(w.r)), 0);
    world_done(&w);
}

/* fork: the child shares the parent's swap entries; each slot is freed only when both
 * have dropped it. */
static void fork_shares_swap_entries(void **state)
{
    (void)state;
    struct world w;
    world_init(&w, 8192);
    touch_pages(&w, 0, 1200);
    uint64_t swapped = w.mm.c.swap_ents, used = swap_used_slots(reclaim_swap(w.r));
    struct pgtable_frames fr = {table_alloc, table_release, w.pa};
    struct mm child = {.ms = &w.ms, .pt = pgtable_new(4, 12, &fr)};
    assert_int_equal(reclaim_fork(w.r, &w.mm, &child), swapped);
    child.c.swap_ents = swapped;
    assert_int_equal(swap_used_slots(reclaim_swap(w.r)), used); /* shared, not copied */
    uint64_t va = 0;
    for (uint64_t i = 0; i < 1200 && !va; i++)
        if (reclaim_has_swap_entry(w.r, &child, 0x10000000ull + (i << 12)))
            va = 0x10000000ull + (i << 12);
    struct swapin_result sr;
    assert_int_equal(reclaim_swapin(w.r, &child, va, PTE_WRITE | PTE_DIRTY | PTE_USER, &sr), 1);
    assert_true(reclaim_has_swap_entry(w.r, &w.mm, va)); /* the parent still has its copy */
    /* readahead by address brought the window into the swap cache; only the faulting
     * page is mapped in the child (the frame's allocation may have swapped out more of
     * the parent's pages) */
    assert_int_equal(child.c.swap_ents, swapped - 1);
    assert_true(w.mm.c.swap_ents >= swapped);
    assert_int_equal(reclaim_drop_swap(w.r, &w.mm, 0, 0), w.mm.c.swap_ents);
    assert_true(swap_used_slots(reclaim_swap(w.r)) > 0); /* the child's references remain */
    reclaim_drop_swap(w.r, &child, 0, 0);
    assert_int_equal(swap_used_slots(reclaim_swap(w.r)), 0);
    pgtable_free(child.pt);
    world_done(&w);
}

/* The first swapped page at or after 0x10000000 + (from << 12), 0 if none. */
static uint64_t first_swapped(struct world *w, uint64_t from)
{
    for (uint64_t i = from; i < 1200; i++) {
        uint64_t a = 0x10000000ull + (i << 12);
        if (on_swap(w, a))
            return a;
    }
    return 0;
}

/* A readahead page is mapped by its own fault from the swap cache: a minor fault with no
 * I/O (do_swap_page finding the folio in the swap cache). */
static void readahead_page_minor_fault(void **state)
{
    (void)state;
    struct world w;
    world_init(&w, 8192);
    touch_pages(&w, 0, 1200);
    uint64_t va = first_swapped(&w, 0);
    assert_true(va != 0);
    reclaim_set_time(w.r, 1000000000ull);
    struct swapin_result sr;
    while (!(on_swap(&w, va + 4096) && on_swap(&w, va + 8192)))
        va += 4096;
    assert_int_equal(reclaim_swapin(w.r, &w.mm, va, PTE_USER, &sr), 1);
    assert_int_equal(sr.readahead, 0); /* no history yet */
    reclaim_set_time(w.r, 2000000000ull);
    assert_int_equal(reclaim_swapin(w.r, &w.mm, va + 4096, PTE_USER, &sr), 1);
    assert_int_equal(sr.readahead, 1); /* the window runs forward: va + 8192 */
    uint64_t nb = va + 8192;
    assert_int_equal(pgtable_lookup(w.mm.pt, nb, NULL), 0); /* not mapped yet */
    struct reclaim_counters before, after;
    reclaim_counters(w.r, &before);
    uint64_t reads = swap_stats(reclaim_swap(w.r))->read_reqs;
    assert_int_equal(reclaim_swapin(w.r, &w.mm, nb, PTE_USER, &sr), 2);
    assert_int_equal(sr.io_ns, 0);
    assert_true(pgtable_lookup(w.mm.pt, nb, NULL) != 0);
    assert_false(reclaim_has_swap_entry(w.r, &w.mm, nb));
    reclaim_counters(w.r, &after);
    assert_int_equal(after.pgmajfault, before.pgmajfault);
    assert_int_equal(after.pswpin, before.pswpin);
    assert_int_equal(after.swap_ra_hit, before.swap_ra_hit + 1);
    assert_int_equal(swap_stats(reclaim_swap(w.r))->read_reqs, reads);
    world_done(&w);
}

/* A page swapped in by a read in a read-only VMA keeps its slot (swap cache, clean):
 * reclaiming it again writes nothing; a store after mprotect faults (do_wp_page:
 * reclaim_anon_page_written) and frees the slot. */
static void clean_swapcache_page_reclaimed_without_write(void **state)
{
    (void)state;
    struct world w;
    world_init(&w, 16384); /* swap stays under half full: read faults keep their slots */
    touch_pages(&w, 0, 1200);
    uint64_t va = first_swapped(&w, 0);
    reclaim_set_time(w.r, 1000000000ull);
    uint64_t used = swap_used_slots(reclaim_swap(w.r));
    struct reclaim_counters c0, c1;
    reclaim_counters(w.r, &c0);
    uint64_t cached0 = c0.swapcache_pages;
    struct swapin_result sr;
    assert_int_equal(reclaim_swapin(w.r, &w.mm, va, PTE_USER, &sr), 1);
    uint64_t pte = pgtable_lookup(w.mm.pt, va, NULL);
    assert_true(pte != 0);
    assert_int_equal(pte & PTE_WRITE, 0); /* a read maps it read-only */
    /* the slot stays held by the swap cache: no slot was freed */
    assert_int_equal(swap_used_slots(reclaim_swap(w.r)), used);
    reclaim_counters(w.r, &c0);
    uint64_t steal0 = vmscan_stats(reclaim_vmscan(w.r))->pgsteal_anon;
    assert_int_equal(c0.swapcache_pages, cached0 + 1 + sr.readahead);
    /* reclaim until the page is out again */
    for (int i = 0; i < 200 && pgtable_lookup(w.mm.pt, va, NULL); i++)
        touch_pages(&w, 1200 + 32 * (uint64_t)i, 32);
    assert_int_equal(pgtable_lookup(w.mm.pt, va, NULL), 0);
    assert_true(reclaim_has_swap_entry(w.r, &w.mm, va));
    reclaim_counters(w.r, &c1);
    assert_true(c1.swapcache_reclaimed >= 1);
    /* every anonymous page reclaimed was either written to swap or a clean swap-cache
     * page; a written page stays in the swap cache until its write is done and reclaim
     * comes back to it, so the pages in the cache at either end bound the difference */
    uint64_t steal = vmscan_stats(reclaim_vmscan(w.r))->pgsteal_anon - steal0;
    uint64_t out = (c1.pswpout - c0.pswpout) + (c1.swapcache_reclaimed - c0.swapcache_reclaimed);
    assert_true(steal <= out + c0.swapcache_pages);
    assert_true(steal + c1.swapcache_pages >= out);
    assert_true(c1.pswpout > c0.pswpout);
    /* a store to a swap-cache page frees its slot */
    uint64_t va2 = first_swapped(&w, 0);
    assert_int_equal(reclaim_swapin(w.r, &w.mm, va2, PTE_USER, &sr), 1);
    uint64_t pfn = sr.pfn;
    uint64_t used2 = swap_used_slots(reclaim_swap(w.r));
    reclaim_anon_page_written(w.r, pfn);
    assert_int_equal(swap_used_slots(reclaim_swap(w.r)), used2 - 1);
    world_done(&w);
}

/* A read fault in a writable VMA (do_swap_page of a 6.x kernel): the page, held by this
 * address space alone, is mapped writable but clean and stays in the swap cache, its slot
 * held; a write fault maps its page dirty and frees the slot. After fork the slot is
 * shared: the child's read fault maps the page read-only. */
static void read_fault_maps_writable_clean(void **state)
{
    (void)state;
    struct world w;
    world_init(&w, 8192);
    touch_pages(&w, 0, 1200);
    reclaim_set_time(w.r, 1000000000ull);
    uint64_t va = first_swapped(&w, 0), used = swap_used_slots(reclaim_swap(w.r));
    struct swapin_result sr;
    assert_int_equal(reclaim_swapin(w.r, &w.mm, va, PTE_WRITE | PTE_USER, &sr), 1);
    uint64_t pte = pgtable_lookup(w.mm.pt, va, NULL);
    assert_true(pte & PTE_WRITE);
    assert_int_equal(pte & PTE_DIRTY, 0);
    assert_int_equal(swap_used_slots(reclaim_swap(w.r)), used); /* the cache holds the slot */
    /* a write fault: dirty, out of the swap cache, its slot freed */
    uint64_t va2 = first_swapped(&w, 0);
    int rc = reclaim_swapin(w.r, &w.mm, va2, PTE_WRITE | PTE_DIRTY | PTE_USER, &sr);
    assert_true(rc == 1 || rc == 2);
    pte = pgtable_lookup(w.mm.pt, va2, NULL);
    assert_int_equal(pte & (PTE_WRITE | PTE_DIRTY), PTE_WRITE | PTE_DIRTY);
    assert_int_equal(swap_used_slots(reclaim_swap(w.r)), used - 1);
    /* fork: the child's read fault on a shared slot maps the page read-only */
    struct pgtable_frames fr = {table_alloc, table_release, w.pa};
    struct mm child = {.ms = &w.ms, .pt = pgtable_new(4, 12, &fr)};
    child.c.swap_ents = reclaim_fork(w.r, &w.mm, &child);
    uint64_t cva = 0;
    for (uint64_t i = 0; i < 1200 && !cva; i++)
        if (reclaim_has_swap_entry(w.r, &child, 0x10000000ull + (i << 12)))
            cva = 0x10000000ull + (i << 12);
    rc = reclaim_swapin(w.r, &child, cva, PTE_WRITE | PTE_USER, &sr);
    assert_true(rc == 1 || rc == 2);
    assert_int_equal(pgtable_lookup(child.pt, cva, NULL) & PTE_WRITE, 0);
    reclaim_drop_swap(w.r, &child, 0, 0);
    pgtable_free(child.pt);
    world_done(&w);
}

/* With swap more than half full (vm_swap_full) a read fault frees the slot: the page is
 * mapped writable and clean, outside the swap cache. */
static void read_fault_frees_slot_when_swap_full(void **state)
{
    (void)state;
    struct world w;
    world_init(&w, 1536); /* 383 slots; about 250 used after the overcommit */
    assert_int_equal(touch_pages(&w, 0, 1200), 1200);
    uint64_t used = swap_used_slots(reclaim_swap(w.r));
    assert_true(used * 2 > swap_total_slots(reclaim_swap(w.r)));
    reclaim_set_time(w.r, 1000000000ull);
    uint64_t va = first_swapped(&w, 0);
    struct swapin_result sr;
    assert_int_equal(reclaim_swapin(w.r, &w.mm, va, PTE_WRITE | PTE_USER, &sr), 1);
    uint64_t pte = pgtable_lookup(w.mm.pt, va, NULL);
    assert_int_equal(pte & (PTE_WRITE | PTE_DIRTY), PTE_WRITE);
    assert_int_equal(swap_used_slots(reclaim_swap(w.r)), used - 1); /* not in the cache */
    world_done(&w);
}

/* One run of the dirty-bit scenario: a page swapped in by a read fault, its PTE dirtied
 * (as the engine's dirty-bit assist does on a store) or not, reclaimed; swapped in again
 * by a read and reclaimed again, with no store. Counters at the end in *c. */
static void dirty_bit_run(int dirty, struct reclaim_counters *c, uint64_t *used, uint64_t *rewrites)
{
    struct world w;
    world_init(&w, 16384); /* under half full: read faults keep their slots */
    touch_pages(&w, 0, 1200);
    reclaim_set_time(w.r, 1000000000ull);
    uint64_t va = first_swapped(&w, 0), next = 1200;
    struct swapin_result sr;
    for (int round = 0; round < 2; round++) {
        assert_int_equal(reclaim_swapin(w.r, &w.mm, va, PTE_WRITE | PTE_USER, &sr), 1);
        if (dirty && round == 0)
            assert_true(pgtable_update(w.mm.pt, va, PTE_DIRTY, 0) & PTE_DIRTY);
        /* until it is out of memory: unmapped, and out of the swap cache once written */
        for (int i = 0; i < 400 && !on_swap(&w, va); i++, next += 32) {
            touch_pages(&w, next, 32);
            reclaim_set_time(w.r, 2000000000ull * (uint64_t)(round + 1) + 1000000ull * (uint64_t)i);
        }
        assert_int_equal(pgtable_lookup(w.mm.pt, va, NULL), 0);
        assert_true(on_swap(&w, va));
        reclaim_set_time(w.r, 2000000000ull * (uint64_t)(round + 2));
    }
    reclaim_counters(w.r, c);
    *used = swap_used_slots(reclaim_swap(w.r));
    /* every page written had a swap entry from then on (the filler pages are never
     * swapped in, va is on swap again): the writes beyond one per entry wrote a page
     * again */
    *rewrites = c->pswpout - w.mm.c.swap_ents;
    world_done(&w);
}

/* The same runs but for one store: the dirty page is written once more, the clean one is
 * dropped without a write both times. */
static void dirty_swapcache_page_written_once(void **state)
{
    (void)state;
    struct reclaim_counters clean, dirty;
    /* slots in use, pswpout and swapcache_reclaimed are not compared: the extra write
     * shifts the device's timing, and with it how far the filler pages got */
    uint64_t used_clean, used_dirty, rewrites_clean, rewrites_dirty;
    dirty_bit_run(0, &clean, &used_clean, &rewrites_clean);
    dirty_bit_run(1, &dirty, &used_dirty, &rewrites_dirty);
    assert_int_equal(rewrites_clean, 0);
    assert_int_equal(rewrites_dirty, 1);
    assert_int_equal(dirty.pswpin, clean.pswpin);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(overcommit_swaps_out),
        cmocka_unit_test(readahead_page_minor_fault),
        cmocka_unit_test(clean_swapcache_page_reclaimed_without_write),
        cmocka_unit_test(swapin_with_readahead),
        cmocka_unit_test(swapin_cluster_readahead_on_disk),
        cmocka_unit_test(memcg_limit_enforced),
        cmocka_unit_test(memcg_stock_stranded_until_reclaim_fails),
        cmocka_unit_test(memcg_stock_drained_when_reclaim_fails),
        cmocka_unit_test(reclaim_writes_gather_in_the_readahead_plug),
        cmocka_unit_test(reclaim_rewrites_merge_from_the_front),
        cmocka_unit_test(no_swap_goes_oom),
        cmocka_unit_test(kswapd_balances_to_high),
        cmocka_unit_test(exit_frees_swap),
        cmocka_unit_test(fork_shares_swap_entries),
        cmocka_unit_test(read_fault_maps_writable_clean),
        cmocka_unit_test(read_fault_frees_slot_when_swap_full),
        cmocka_unit_test(dirty_swapcache_page_written_once),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
