/* reclaim.c - the reverse map, swap entries, eviction, the allocation slow path and
 * kswapd's round; the swap cache and swap-in are swap_state.c's. See reclaim.h and
 * reclaim_internal.h. */
#include "model/reclaim_internal.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "model/pgtable.h"
#include "model/statreg.h"

#define MAX_RECLAIM_RETRIES 16
/* a memcg charge's reclaim rounds at most, progress or not (see memcg_make_room) */
#define MEMCG_MAX_CHARGE_ROUNDS 4096
#define INVAL_MAX 4096

/* The time a charge happens at: the fault's, or the end of the reclaim it ran. */
static uint64_t charge_now_ns(const struct reclaim *r)
{
    return r->now_ns > r->shrink_end_ns ? r->now_ns : r->shrink_end_ns;
}

/* A page charged to the group on the current CPU (memcg_stock_charge): always succeeds
 * here, the limit was enforced before the allocation (memcg_make_room). */
void reclaim_memcg_charge(struct reclaim *r)
{
    memcg_stock_run_drains(&r->stock, &r->memcg, charge_now_ns(r));
    memcg_stock_charge(&r->stock, &r->memcg, r->cpu);
}

void reclaim_set_cpu(struct reclaim *r, unsigned cpu)
{
    r->cpu = cpu;
    vmscan_set_cpu(r->vm, cpu);
}

void reclaim_config_defaults(struct reclaim_config *c)
{
    memset(c, 0, sizeof(*c));
    vmscan_config_defaults(&c->vm);
    swap_config_defaults(&c->swap);
    c->page_shift = 12;
    c->scan_cycles = 150;   /* isolate + folio_check_references, order of 100s of cycles */
    c->evict_cycles = 1500; /* try_to_unmap, add_to_swap, TLB flush, bio submission */
    c->evict_clean_cycles = 300; /* try_to_unmap, TLB flush: no slot, no write */
    c->freq_ghz = 3.0;
    c->memcg_charge_batch = MEMCG_CHARGE_BATCH;
    c->nr_cpus = 1;
}

struct reclaim *reclaim_new(struct memsys *ms, const struct reclaim_config *c)
{
    struct reclaim *r = calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->cfg = *c;
    r->ms = ms;
    r->pages = ms->pages;
    r->pa = ms->pa;
    r->nframes = page_alloc_total_pages(ms->pa);
    r->cfg.vm.page_shift = c->page_shift;
    r->cfg.swap.page_size = 1u << c->page_shift;
    r->vm = vmscan_new(ms->pages, r->nframes, &r->cfg.vm);
    r->sw = swap_new(&r->cfg.swap);
    r->inval = malloc(INVAL_MAX * sizeof(*r->inval));
    if (!r->vm || !r->sw || !r->inval || u64map_init(&r->entries, 1024) ||
        u64map_init(&r->file_shadows, 1024)) {
        reclaim_free(r);
        return NULL;
    }
    swap_log_completions(r->sw, c->log_io_completions);
    r->nslots = swap_total_slots(r->sw) + 1;
    r->slot_key = calloc(r->nslots, sizeof(uint64_t));
    r->slot_shadow = calloc(r->nslots, sizeof(uint64_t));
    r->slot_cache = calloc(r->nslots, sizeof(uint32_t));
    r->slot_ra = calloc(r->nslots, 1);
    if (!r->slot_key || !r->slot_shadow || !r->slot_cache || !r->slot_ra) {
        reclaim_free(r);
        return NULL;
    }
    r->c.swap_total = swap_total_slots(r->sw);
    r->memcg.limit_pages = c->memcg_limit_pages;
    if (c->memcg_limit_pages && c->memcg_stats_flush_ns) {
        /* the group is new: its statistics say 0 until the first periodic flush */
        vmscan_use_flushed_stats(r->vm);
        r->stats_flush_ns = c->memcg_stats_flush_ns;
        r->next_stats_flush_ns = c->memcg_stats_flush_ns;
    }
    r->memcg.swap_limit_pages = UINT64_MAX;
    if (memcg_stock_init(&r->stock, c->nr_cpus, c->memcg_limit_pages ? c->memcg_charge_batch : 0,
                         c->memcg_stock_drain_ns)) {
        reclaim_free(r);
        return NULL;
    }
    return r;
}

void reclaim_free(struct reclaim *r)
{
    if (!r)
        return;
    vmscan_free(r->vm);
    swap_free_dev(r->sw);
    free(r->mms);
    u64map_done(&r->entries);
    u64map_done(&r->file_shadows);
    free(r->slot_cache);
    free(r->slot_ra);
    free(r->mm_ra);
    free(r->slot_key);
    free(r->slot_shadow);
    free(r->inval);
    free(r->wb);
    free(r->plug);
    memcg_stock_done(&r->stock);
    free(r);
}

/* ---- anonymous pages under writeback ---- */

/* The write of pfn is done at done_ns; without memory to remember it, it is done now. */
static void wb_push(struct reclaim *r, uint64_t pfn, uint64_t done_ns)
{
    if (r->wb_head && r->wb_head + r->wb_n == r->wb_cap) {
        memmove(r->wb, r->wb + r->wb_head, r->wb_n * sizeof(*r->wb));
        r->wb_head = 0;
    }
    if (r->wb_n == r->wb_cap) {
        size_t cap = r->wb_cap ? r->wb_cap * 2 : 256;
        struct wb_pending *n = realloc(r->wb, cap * sizeof(*n));
        if (!n) {
            vmscan_end_writeback(r->vm, pfn);
            return;
        }
        r->wb = n;
        r->wb_cap = cap;
    }
    r->wb[r->wb_head + r->wb_n++] = (struct wb_pending){pfn, done_ns};
}

/* end_page_writeback for every write done by now_ns. A frame freed meanwhile (munmap) left
 * its LRU and lost PG_WRITEBACK, so vmscan passes over it. */
static void wb_complete(struct reclaim *r, uint64_t now_ns)
{
    while (r->wb_n && r->wb[r->wb_head].done_ns <= now_ns) {
        vmscan_end_writeback(r->vm, r->wb[r->wb_head].pfn);
        r->wb_head++;
        r->wb_n--;
    }
    if (!r->wb_n)
        r->wb_head = 0;
}

/* A direct reclaimer that found nothing to free but pages under writeback waits for the
 * oldest write (a cgroup-v1 memcg's shrink_folio_list waits in folio_wait_writeback;
 * reclaim_throttle otherwise); returns the ns waited, 0 when nothing is in flight. */
static uint64_t wb_wait_oldest(struct reclaim *r)
{
    if (!r->wb_n)
        return 0;
    uint64_t done = r->wb[r->wb_head].done_ns;
    uint64_t waited = done > r->now_ns ? done - r->now_ns : 0;
    if (done > r->now_ns)
        r->now_ns = done;
    wb_complete(r, r->now_ns);
    return waited ? waited : 1;
}

void reclaim_set_time(struct reclaim *r, uint64_t now_ns)
{
    if (now_ns > r->now_ns) {
        r->now_ns = now_ns;
        vmscan_io_epoch(r->vm); /* file writebacks queued before now are done */
        if (r->stats_flush_ns && now_ns >= r->next_stats_flush_ns) {
            vmscan_flush_stats(r->vm); /* flush_memcg_stats_dwork */
            r->next_stats_flush_ns = now_ns - now_ns % r->stats_flush_ns + r->stats_flush_ns;
        }
        wb_complete(r, now_ns);
    }
}

const struct vmscan *reclaim_vmscan(const struct reclaim *r) { return r->vm; }
const struct swap_dev *reclaim_swap(const struct reclaim *r) { return r->sw; }
int reclaim_kswapd_awake(const struct reclaim *r) { return vmscan_kswapd_awake(r->vm); }

/* ---- keys of swap entries ---- */

int reclaim_mm_index(const struct reclaim *r, const struct mm *mm)
{
    for (uint32_t i = 0; i < r->nmms; i++)
        if (r->mms[i] == mm)
            return (int)i;
    return -1;
}

int reclaim_mm_index_add(struct reclaim *r, struct mm *mm)
{
    int i = reclaim_mm_index(r, mm);
    if (i >= 0)
        return i;
    for (uint32_t k = 0; k < r->nmms; k++)
        if (!r->mms[k]) {
            r->mms[k] = mm;
            r->mm_ra[k] = (struct swap_ra_state){0, 0, swap_config(r->sw)->ra_initial_hits};
            return (int)k;
        }
    if (r->nmms == r->capmms) {
        uint32_t cap = r->capmms ? r->capmms * 2 : 16;
        struct mm **n = realloc(r->mms, cap * sizeof(*n));
        if (!n)
            return -1;
        r->mms = n;
        struct swap_ra_state *ra = realloc(r->mm_ra, cap * sizeof(*ra));
        if (!ra)
            return -1;
        r->mm_ra = ra;
        r->capmms = cap;
    }
    r->mm_ra[r->nmms] = (struct swap_ra_state){0, 0, swap_config(r->sw)->ra_initial_hits};
    r->mms[r->nmms] = mm;
    return (int)r->nmms++;
}

uint64_t reclaim_make_key(const struct reclaim *r, int idx, uint64_t va)
{
    return ((uint64_t)idx << VPN_BITS) | ((va >> r->cfg.page_shift) & ((1ull << VPN_BITS) - 1));
}

/* ---- pages ---- */

void reclaim_page_added(struct reclaim *r, uint64_t pfn, struct mm *mm, uint64_t va, unsigned flags)
{
    if (pfn >= r->nframes)
        return;
    int idx = reclaim_mm_index_add(r, mm);
    if (idx < 0)
        return; /* no memory for the index: the page stays untracked (never reclaimed) */
    if (r->pages[pfn].rmap)
        vmscan_del(r->vm, pfn);
    rmap_set(&r->pages[pfn], RMAP_ANON, reclaim_make_key(r, idx, va));
    reclaim_memcg_charge(r);
    vmscan_add(r->vm, pfn, (flags & RECLAIM_ANON) ? VMSCAN_ANON : 0, VMSCAN_NO_NEXT_USE);
    if (flags & RECLAIM_YOUNG)
        vmscan_access(r->vm, pfn, VMSCAN_NO_NEXT_USE);
}

void reclaim_file_page_added(struct reclaim *r, uint64_t pfn, uint32_t file, uint64_t pgoff)
{
    if (pfn >= r->nframes)
        return;
    if (r->pages[pfn].rmap)
        vmscan_del(r->vm, pfn);
    uint64_t key = page_file_key(file, pgoff);
    unsigned flags = 0;
    uint64_t *shadow = u64map_get(&r->file_shadows, key);
    if (shadow) {
        flags = vmscan_refault(r->vm, *shadow, 0, swap_used_slots(r->sw) < swap_total_slots(r->sw), NULL);
        u64map_erase(&r->file_shadows, key);
    }
    rmap_set(&r->pages[pfn], RMAP_FILE, key);
    reclaim_memcg_charge(r);
    vmscan_add(r->vm, pfn, flags, VMSCAN_NO_NEXT_USE);
}

int reclaim_file_evicted(const struct reclaim *r, uint32_t file, uint64_t pgoff)
{
    return r->file_shadows.n && u64map_get(&r->file_shadows, page_file_key(file, pgoff)) != NULL;
}

void reclaim_page_freed(struct reclaim *r, uint64_t pfn)
{
    if (pfn >= r->nframes || !r->pages[pfn].rmap)
        return;
    swapcache_remove(r, pfn);
    vmscan_del(r->vm, pfn);
    r->pages[pfn].rmap = RMAP_NONE;
    oom_memcg_uncharge(&r->memcg, 1);
}

void reclaim_page_accessed(struct reclaim *r, uint64_t pfn)
{
    if (pfn < r->nframes && r->pages[pfn].rmap)
        vmscan_access(r->vm, pfn, VMSCAN_NO_NEXT_USE);
}

/* ---- eviction ---- */

/* Hold a run of writes until the plug is released; -1 without memory to hold it (the
 * caller submits it at once). */
static int plug_run(struct reclaim *r, unsigned len, unsigned kept)
{
    if (r->plug_n == r->plug_cap) {
        size_t cap = r->plug_cap ? r->plug_cap * 2 : 64;
        struct plugged_run *n = realloc(r->plug, cap * sizeof(*n));
        if (!n)
            return -1;
        r->plug = n;
        r->plug_cap = cap;
    }
    r->plug[r->plug_n++] = (struct plugged_run){len, kept};
    return 0;
}

/* Submit the pending run of writes (or hold it while plugged); on a synchronous device
 * (zram) the compression is CPU time of the reclaiming task, returned in ns (0 otherwise). */
static uint64_t flush_write_run(struct reclaim *r)
{
    if (!r->run_len)
        return 0;
    if (r->plugged && !swap_config(r->sw)->synchronous &&
        plug_run(r, (unsigned)r->run_len, r->run_npfn) == 0) {
        for (unsigned i = 0; i < r->run_npfn; i++)
            wb_push(r, r->run_pfn[i], UINT64_MAX);
        r->plug_kept += r->run_npfn;
        r->run_len = 0;
        r->run_npfn = 0;
        return 0;
    }
    uint64_t done = swap_submit(r->sw, r->now_ns, SWAP_WRITE, (unsigned)r->run_len);
    r->write_submissions++;
    r->run_len = 0;
    for (unsigned i = 0; i < r->run_npfn; i++)
        wb_push(r, r->run_pfn[i], done);
    r->run_npfn = 0;
    return swap_config(r->sw)->synchronous && done > r->now_ns ? done - r->now_ns : 0;
}

/* blk_finish_plug: the held runs go to the device at at_ns, in the order written; their
 * kept pages learn when they are done. */
static void unplug_writes(struct reclaim *r, uint64_t at_ns)
{
    r->plugged = 0;
    /* the plug's requests reach the device together: one doorbell (blk_mq_flush_plug_list,
     * virtio-blk's queue_rqs or the dispatch's last request kicks once) */
    if (r->plug_n)
        r->write_submissions++;
    size_t w = r->wb_head + r->wb_n - r->plug_kept; /* the first kept page of the plug */
    for (size_t i = 0; i < r->plug_n; i++) {
        uint64_t done = swap_submit(r->sw, at_ns, SWAP_WRITE, r->plug[i].len);
        for (unsigned k = 0; k < r->plug[i].kept && w < r->wb_head + r->wb_n; k++)
            r->wb[w++].done_ns = done;
    }
    r->plug_n = 0;
    r->plug_kept = 0;
}

static uint64_t shrink_now_ns(const struct reclaim *r, const struct scan_control *sc);

/* Everything the plug holds goes to the device now (a flush; the plug stays in place for
 * later writes). */
static void flush_plug(struct reclaim *r)
{
    r->sync_write_ns += flush_write_run(r);
    if (!r->plugged)
        return;
    unplug_writes(r, r->cur_sc ? shrink_now_ns(r, r->cur_sc) : r->now_ns);
    r->plugged = 1;
    r->plug_head_read = 0;
}

/* blk_add_rq_to_plug, as a new write request is about to join the plug: a plug that holds
 * BLK_MAX_REQUEST_COUNT requests, or whose first request (rq_list_peek: the head of the
 * list, the oldest) has BLK_PLUG_FLUSH_SIZE bytes, is flushed first. So a reclaim with a
 * plug of its own sends its writes as soon as its first run of 32 pages is followed by
 * another, and one inside a swap-in's readahead plug (a read of a few pages first) holds
 * them until 32 requests have gathered, it sleeps, or the readahead ends. */
static void plug_add_request(struct reclaim *r)
{
    if (!r->plugged)
        return;
    size_t nreq = r->plug_n + (r->plug_head_read ? 1u : 0u);
    if (nreq == 0)
        return;
    uint64_t first_bytes = r->plug_head_read ? 0 : (uint64_t)r->plug[0].len << r->cfg.page_shift;
    if (nreq >= BLK_MAX_REQUEST_COUNT || first_bytes >= BLK_PLUG_FLUSH_SIZE)
        flush_plug(r);
}

/* Queue the write of slot; kept_pfn (or PA_NO_PFN) is the page staying in the swap cache
 * until the write is done. A write joins the pending request when its slot follows the
 * request's last (a back merge) or precedes its first (a front merge: blk_attempt_plug_merge
 * tries both on the plug's last request, and mq-deadline does too): pages rewritten to the
 * slots they already hold often come off the list in descending slot order (the rotation
 * at the end of their earlier write puts the last one done at the tail). */
static void queue_write(struct reclaim *r, uint64_t slot, uint64_t kept_pfn)
{
    int back = r->run_len && slot == r->run_first + r->run_len;
    int front = r->run_len && slot + 1 == r->run_first;
    if (!((back || front) && r->run_len < WRITE_RUN_MAX)) {
        r->sync_write_ns += flush_write_run(r);
        plug_add_request(r);
        r->run_first = slot;
        r->run_len = 0;
    } else if (front) {
        r->run_first = slot;
    }
    r->run_len++;
    if (kept_pfn != PA_NO_PFN)
        r->run_pfn[r->run_npfn++] = (uint32_t)kept_pfn;
}

void reclaim_queue_inval(struct reclaim *r, struct mm *mm, uint64_t va)
{
    if (r->ninval < INVAL_MAX)
        r->inval[r->ninval++] = (struct reclaim_inval){mm, va, r->inval_batch};
    else
        r->inval_overflow = 1;
}

/* vmscan's eviction callback: try_to_unmap + add_to_swap + pageout. */
static int evict_page(void *ctx, uint64_t pfn, int anon, int dirty, uint64_t shadow)
{
    struct reclaim *r = ctx;
    struct page *p = &r->pages[pfn];
    enum rmap_kind kind = (enum rmap_kind)p->rmap;
    uint64_t key = p->key;
    if (dirty) {
        /* pageout() of a dirty page-cache page: one write to its file (bo), not waited for */
        if (kind != RMAP_FILE)
            return -1;
        pc_page_written(r->ms, pfn);
        r->shrink_unmapped++;
        return 1; /* vmscan counts it in pgwriteback */
    }
    if (kind == RMAP_FILE) {
        /* a clean page-cache page: dropped, its shadow kept for the refault test */
        if (pc_remove_page(r->ms, pfn) != 0)
            return -1;
        r->shrink_clean++;
        int found;
        uint64_t *v = u64map_slot(&r->file_shadows, key, &found);
        if (v)
            *v = shadow;
        p->rmap = RMAP_NONE;
        oom_memcg_uncharge(&r->memcg, 1);
        return 0;
    }
    if (kind == RMAP_SWAPCACHE) {
        /* an unmapped swap-cache page (readahead not used yet): its data is on swap */
        r->slot_shadow[key] = shadow;
        p->rmap = RMAP_NONE;
        oom_memcg_uncharge(&r->memcg, 1);
        /* readahead never used was never written; a page written by reclaim and kept
         * while its write was in flight counted its write (pswpout) */
        r->c.swapcache_reclaimed += r->slot_ra[key];
        r->slot_ra[key] = 0;
        swapcache_remove(r, pfn);
        page_alloc_release(r->pa, pfn, 0);
        return 0;
    }
    uint64_t idx = key >> VPN_BITS;
    if (kind != RMAP_ANON || idx >= r->nmms || !r->mms[idx])
        return -1;
    struct mm *mm = r->mms[idx];
    uint64_t va = (key & ((1ull << VPN_BITS) - 1)) << r->cfg.page_shift;
    /* pageout() on an asynchronous device, in a memcg's reclaim: the page stays in the
     * swap cache, under writeback, until the device is done (a fault meanwhile maps it
     * again, minor). A synchronous device (zram) has written it when pageout returns, and
     * it goes at once. Global reclaim (kswapd, direct) frees it at once too: its
     * writeback throttling is not modelled (nothing measured it against the kernel yet);
     * so do the research policies (lru, fifo, clock, opt): they model replacement, not
     * the I/O, and a page kept would sit at their list's head. */
    int keep = anon && r->keep_writeback && !swap_config(r->sw)->synchronous &&
               vmscan_policy(r->vm) == VMSCAN_KERNEL;
    int written = 0;
    uint64_t slot = SWAP_NO_SLOT;
    if (anon && swapcache_slot_of(r, pfn, &slot)) {
        /* in the swap cache: the PTE gets its swap entry back. try_to_unmap moves the
         * PTE's dirty bit to the page: a dirty page is written to its slot again
         * (pageout), a clean one goes without a write */
        unsigned level;
        written = (pgtable_lookup(mm->pt, va, &level) & PTE_DIRTY) != 0;
        int found;
        uint64_t *v = u64map_slot(&r->entries, key, &found);
        if (!v)
            return -1;
        *v = slot;
        swap_dup_slot(r->sw, slot);
        if (!written || !keep)
            swapcache_remove(r, pfn);
        if (!written)
            r->c.swapcache_reclaimed++;
    } else if (anon) {
        slot = swap_alloc_slot(r->sw);
        if (slot == SWAP_NO_SLOT)
            return -1;
        int found;
        uint64_t *v = u64map_slot(&r->entries, key, &found);
        if (!v) {
            swap_put_slot(r->sw, slot);
            return -1;
        }
        *v = slot;
        written = 1;
        if (keep && swapcache_insert(r, slot, pfn) != 0)
            keep = 0; /* add_to_swap failed: written and freed at once */
    }
    if (anon) {
        r->slot_key[slot] = key;
        r->slot_shadow[slot] = written && keep ? 0 : shadow; /* stored when the page goes */
    }
    if (written) {
        queue_write(r, slot, keep ? pfn : PA_NO_PFN);
        r->c.pswpout++;
    }
    pgtable_zap_range(mm->pt, va, va + (1ull << r->cfg.page_shift), NULL, NULL);
    if (written)
        r->shrink_unmapped++;
    else
        r->shrink_clean++;
    mm_page_reclaimed(mm, pfn, anon);
    reclaim_queue_inval(r, mm, va);
    if (written)
        r->inval_batch++; /* try_to_unmap_flush_dirty before its pageout: what is pending,
                           * this page with it, is flushed now; later unmaps flush apart */
    uint64_t used = swap_used_slots(r->sw);
    if (used > r->c.swap_used_peak)
        r->c.swap_used_peak = used;
    if (written && keep) {
        rmap_set(p, RMAP_SWAPCACHE, slot); /* unmapped, charged, on its LRU */
        return 1;
    }
    p->rmap = RMAP_NONE;
    oom_memcg_uncharge(&r->memcg, 1);
    page_alloc_release(r->pa, pfn, 0);
    return 0;
}

int reclaim_swap_has_room(const struct reclaim *r)
{
    return swap_used_slots(r->sw) < swap_total_slots(r->sw);
}

/* The CPU cost of a shrink so far. */
static uint64_t shrink_cycles(const struct reclaim *r, const struct scan_control *sc)
{
    return sc->nr_scanned * r->cfg.scan_cycles + r->shrink_unmapped * r->cfg.evict_cycles +
           r->shrink_clean * r->cfg.evict_clean_cycles +
           (uint64_t)((double)r->sync_write_ns * r->cfg.freq_ghz);
}

/* When the current shrink has got to: its start, its CPU so far, the writes it waited for. */
static uint64_t shrink_now_ns(const struct reclaim *r, const struct scan_control *sc)
{
    return r->shrink_start_ns + (uint64_t)((double)shrink_cycles(r, sc) / r->cfg.freq_ghz) + r->shrink_wait_ns;
}

/* vmscan's batch_done: writes of earlier shrinks done by now rotate their pages. */
static void shrink_batch_done(void *ctx, const struct scan_control *sc)
{
    struct reclaim *r = ctx;
    r->inval_batch++; /* shrink_folio_list's try_to_unmap_flush: the next batch flushes apart */
    wb_complete(r, shrink_now_ns(r, sc));
}

/* vmscan's level_done, at the end of a priority's pass: shrink_lruvec's blk_finish_plug
 * sends what its plug holds to the device; inside a swap-in's readahead plug that plug is
 * the readahead's (a nested blk_start_plug is a no-op) and holds on. */
static void shrink_level_done(void *ctx, const struct scan_control *sc)
{
    struct reclaim *r = ctx;
    (void)sc;
    if (!r->swapin_plug)
        flush_plug(r);
}

/* Whether pfn's swap write was queued by reclaim and is not done: in the run being built,
 * or in the queue of writes (held by the plug, or on the device). */
static int write_pending(const struct reclaim *r, uint64_t pfn)
{
    for (unsigned i = 0; i < r->run_npfn; i++)
        if (r->run_pfn[i] == pfn)
            return 1;
    for (size_t i = r->wb_head; i < r->wb_head + r->wb_n; i++)
        if (r->wb[i].pfn == pfn)
            return 1;
    return 0;
}

/* vmscan's wait_writeback (a cgroup-v1 memcg): folio_wait_writeback sleeps, and a task that
 * sleeps submits what its plug holds (schedule -> sched_submit_work -> blk_flush_plug; the
 * plug stays for later writes): the held writes go to the device now, and the reclaim
 * waits for pfn's. */
static int shrink_wait_writeback(void *ctx, uint64_t pfn)
{
    struct reclaim *r = ctx;
    if (!write_pending(r, pfn))
        return 0;
    flush_plug(r);
    for (size_t i = r->wb_head; i < r->wb_head + r->wb_n; i++) {
        if (r->wb[i].pfn != pfn)
            continue;
        uint64_t now = shrink_now_ns(r, r->cur_sc);
        if (r->wb[i].done_ns > now) {
            r->shrink_wait_ns += r->wb[i].done_ns - now;
            r->c.writeback_waits++;
        }
        wb_complete(r, r->wb[i].done_ns > now ? r->wb[i].done_ns : now);
        return 1;
    }
    return 1; /* done already (wb_complete ended it) */
}

/* One shrink; returns pages freed and adds its CPU cost to *cycles. keep_writeback: a
 * memcg's reclaim, whose written pages stay in the swap cache until their write is done
 * and whose writes reach the device when it ends. */
static uint64_t shrink(struct reclaim *r, int is_kswapd, uint64_t nr, uint64_t *cycles, int keep_writeback)
{
    /* anonymous pages may go while a slot is free, or when some already hold one (in the
     * swap cache: their data is on swap, freeing them needs no slot) */
    struct scan_control sc = {.nr_to_reclaim = nr,
                              .may_swap = reclaim_swap_has_room(r) || r->c.swapcache_pages > 0,
                              .is_kswapd = is_kswapd, .cgroup_reclaim = keep_writeback};
    if (keep_writeback) {
        sc.batch_done = shrink_batch_done;
        sc.level_done = shrink_level_done;
        if (r->cfg.memcg_version == 1)
            sc.wait_writeback = shrink_wait_writeback;
    }
    r->cur_sc = &sc;
    r->shrink_wait_ns = 0;
    r->sync_write_ns = 0;
    r->shrink_unmapped = 0;
    r->shrink_clean = 0;
    r->shrink_start_ns = r->now_ns > r->shrink_end_ns ? r->now_ns : r->shrink_end_ns;
    r->keep_writeback = keep_writeback;
    r->plugged = keep_writeback;
    r->inval_batch++;
    r->plug_head_read = keep_writeback && r->swapin_plug;
    uint64_t got = vmscan_shrink(r->vm, &sc, evict_page, r);
    r->sync_write_ns += flush_write_run(r);
    vmscan_note_reclaim(r->vm, is_kswapd, got);
    uint64_t spent = shrink_cycles(r, &sc) + (uint64_t)((double)r->shrink_wait_ns * r->cfg.freq_ghz);
    r->shrink_end_ns = r->shrink_start_ns + (uint64_t)((double)spent / r->cfg.freq_ghz);
    r->cur_sc = NULL;
    if (r->plugged)
        unplug_writes(r, r->shrink_end_ns);
    r->keep_writeback = 0;
    *cycles += spent;
    return got;
}

/* Direct reclaim freed nothing: if writes are in flight, wait for the oldest (its time is
 * the caller's, in *cycles) so the next round can free its pages; 0 when none is. */
static int wait_writeback(struct reclaim *r, uint64_t *cycles)
{
    uint64_t ns = wb_wait_oldest(r);
    if (!ns)
        return 0;
    if (cycles)
        *cycles += (uint64_t)((double)ns * r->cfg.freq_ghz);
    return 1;
}

int reclaim_memcg_oom(const struct reclaim *r) { return r->memcg_oom; }

const struct oom_memcg *reclaim_memcg(const struct reclaim *r) { return &r->memcg; }

const struct memcg_stock *reclaim_memcg_stock(const struct reclaim *r) { return &r->stock; }

static int memcg_make_room(struct reclaim *r, uint64_t *cycles, int *stalled);

/* Kernel memory charged to the group (__GFP_ACCOUNT: page tables, kernel stacks), counted
 * in its usage as memory.kmem.usage_in_bytes is in memory.usage_in_bytes, on no LRU list.
 * A charge at the limit reclaims first, as try_charge_memcg does; if reclaim cannot make
 * room the charge still goes through (the next user page finds the group over its limit
 * and takes the memcg OOM path). A negative count uncharges. */
void reclaim_memcg_kmem(struct reclaim *r, int64_t pages, uint64_t *cycles)
{
    if (pages < 0) {
        /* obj_cgroup_uncharge_pages: the pages go to this CPU's stock (refill_stock) */
        uint64_t n = (uint64_t)-pages;
        n = n < r->memcg.kmem_pages ? n : r->memcg.kmem_pages;
        r->memcg.kmem_pages -= n;
        memcg_stock_refill(&r->stock, &r->memcg, r->cpu, n);
        return;
    }
    for (int64_t i = 0; i < pages; i++) {
        (void)memcg_make_room(r, cycles, NULL); /* over the limit when it fails: see above */
        r->memcg.kmem_pages++;
        reclaim_memcg_charge(r);
    }
}

/* A page can be charged on this CPU without reclaim: its stock holds one or the counter
 * has room (the queued drains of other CPUs' stocks that are due have run). */
static int memcg_has_room(struct reclaim *r)
{
    memcg_stock_run_drains(&r->stock, &r->memcg, charge_now_ns(r));
    return memcg_stock_can_charge(&r->stock, &r->memcg, r->cpu);
}

/* try_charge_memcg: at the limit, reclaim from the group (every process is in it, so the
 * global lists are the group's) until one page fits; 0, or -1 for a memcg OOM. The first
 * reclaim that leaves no room drains the charge stocks (drain_all_stock): this CPU's at
 * once, the others' when their work items run (memcg.stock_drain_delay later). */
static int memcg_make_room(struct reclaim *r, uint64_t *cycles, int *stalled)
{
    if (!r->memcg.limit_pages || memcg_has_room(r))
        return 0;
    r->memcg.failcnt++;
    if (stalled)
        *stalled = 1;
    /* try_charge_memcg: a reclaim that freed something is retried without counting it;
     * MAX_RECLAIM_RETRIES reclaims in a row that freed nothing (with no write in flight to
     * wait for) end in the OOM killer. A retry is not a repeat: the reclaim before it may
     * have deactivated pages at its last priorities (force_deactivate) that the next one
     * frees. The cap on progress rounds only guards the model against a loop. */
    int drained = 0, nr_retries = MAX_RECLAIM_RETRIES;
    for (int rounds = 0; rounds < MEMCG_MAX_CHARGE_ROUNDS; rounds++) {
        uint64_t spent = 0;
        uint64_t got = shrink(r, 0, SWAP_CLUSTER_MAX, &spent, 1);
        r->c.direct_cycles += spent;
        if (cycles)
            *cycles += spent;
        if (memcg_has_room(r))
            return 0;
        if (!drained) {
            memcg_stock_drain_all(&r->stock, &r->memcg, r->cpu, charge_now_ns(r));
            drained = 1;
            if (memcg_has_room(r))
                return 0;
        }
        if (got || wait_writeback(r, cycles))
            continue;
        if (nr_retries-- == 0)
            break;
    }
    /* the other CPUs' stock drains have run by the time the kernel gives up */
    memcg_stock_run_drains(&r->stock, &r->memcg, UINT64_MAX);
    return memcg_has_room(r) ? 0 : -1;
}

uint64_t reclaim_alloc(struct reclaim *r, enum pa_migratetype mt, uint64_t *cycles, int *stalled)
{
    r->memcg_oom = 0;
    if (memcg_make_room(r, cycles, stalled)) {
        r->memcg_oom = 1;
        return PA_NO_PFN;
    }
    return reclaim_alloc_uncharged(r, mt, cycles, stalled);
}

uint64_t reclaim_alloc_uncharged(struct reclaim *r, enum pa_migratetype mt, uint64_t *cycles, int *stalled)
{
    uint64_t pfn = page_alloc_alloc(r->pa, 0, mt, PA_WMARK_LOW);
    if (pfn != PA_NO_PFN)
        return pfn;
    /* below low: kswapd wakes (vmscan counts the wakeup), then a try above min */
    vmscan_alloc_check(r->vm, page_alloc_free_pages(r->pa), page_alloc_wmark(r->pa, PA_WMARK_MIN),
                       page_alloc_wmark(r->pa, PA_WMARK_LOW));
    pfn = page_alloc_alloc(r->pa, 0, mt, PA_WMARK_MIN);
    if (pfn != PA_NO_PFN)
        return pfn;
    r->c.alloc_stalls++;
    if (stalled)
        *stalled = 1;
    for (int round = 0; round < MAX_RECLAIM_RETRIES; round++) {
        uint64_t spent = 0;
        uint64_t got = shrink(r, 0, SWAP_CLUSTER_MAX, &spent, 0);
        r->c.direct_cycles += spent;
        if (cycles)
            *cycles += spent;
        pfn = page_alloc_alloc(r->pa, 0, mt, PA_WMARK_MIN);
        if (pfn != PA_NO_PFN || (got == 0 && !wait_writeback(r, cycles)))
            return pfn;
    }
    return PA_NO_PFN;
}

uint64_t reclaim_take_io_cycles(struct reclaim *r)
{
    const struct swap_stats *st = swap_stats(r->sw);
    uint64_t cyc = (st->read_reqs - r->io_reads_taken) * r->cfg.read_req_cycles +
                   (r->write_submissions - r->io_writes_taken) * r->cfg.write_req_cycles;
    r->io_reads_taken = st->read_reqs;
    r->io_writes_taken = r->write_submissions;
    r->io_cycles += cyc;
    return cyc;
}

uint64_t reclaim_kswapd_run(struct reclaim *r)
{
    if (!vmscan_kswapd_awake(r->vm))
        return 0;
    uint64_t high = page_alloc_wmark(r->pa, PA_WMARK_HIGH);
    uint64_t cycles = 0;
    if (page_alloc_free_pages(r->pa) < high) {
        uint64_t got = shrink(r, 1, SWAP_CLUSTER_MAX, &cycles, 0);
        if (got == 0) {
            /* nothing reclaimable: kswapd gives up (kswapd_failures) and sleeps */
            vmscan_kswapd_try_sleep(r->vm, UINT64_MAX, 0);
        }
    }
    vmscan_kswapd_try_sleep(r->vm, page_alloc_free_pages(r->pa), high);
    r->c.kswapd_cycles += cycles;
    return cycles;
}

uint64_t reclaim_fork(struct reclaim *r, const struct mm *parent, struct mm *child)
{
    int pidx = reclaim_mm_index(r, parent);
    if (pidx < 0)
        return 0;
    int cidx = reclaim_mm_index_add(r, child);
    if (cidx < 0)
        return 0;
    uint64_t lo = (uint64_t)pidx << VPN_BITS, hi = (uint64_t)(pidx + 1) << VPN_BITS;
    uint64_t vpn_mask = (1ull << VPN_BITS) - 1;
    /* collect first: inserting may grow the table under the scan */
    uint64_t n = 0;
    for (uint64_t i = 0; i <= r->entries.mask; i++)
        n += r->entries.used[i] && r->entries.keys[i] >= lo && r->entries.keys[i] < hi;
    uint64_t *keys = malloc((n ? n : 1) * 2 * sizeof(uint64_t));
    if (!keys)
        return 0;
    uint64_t k = 0;
    for (uint64_t i = 0; i <= r->entries.mask && k < n; i++)
        if (r->entries.used[i] && r->entries.keys[i] >= lo && r->entries.keys[i] < hi) {
            keys[2 * k] = r->entries.keys[i];
            keys[2 * k + 1] = r->entries.vals[i];
            k++;
        }
    uint64_t copied = 0;
    for (uint64_t i = 0; i < k; i++) {
        int found;
        uint64_t *v = u64map_slot(&r->entries, ((uint64_t)cidx << VPN_BITS) | (keys[2 * i] & vpn_mask), &found);
        if (!v)
            break;
        *v = keys[2 * i + 1];
        swap_dup_slot(r->sw, keys[2 * i + 1]);
        copied++;
    }
    free(keys);
    return copied;
}

/* One swap entry goes (zap_pte_range: free_swap_and_cache): its slot reference, and an
 * unmapped swap-cache page of that slot that nobody can fault in any more. */
static void drop_entry(struct reclaim *r, uint64_t key)
{
    uint64_t slot = *u64map_get(&r->entries, key);
    u64map_erase(&r->entries, key);
    r->slot_shadow[slot] = 0;
    swap_put_slot(r->sw, slot);
    uint64_t cpfn = swapcache_pfn(r, slot);
    if (cpfn != PA_NO_PFN && swap_slot_count(r->sw, slot) == 1 &&
        r->pages[cpfn].rmap == RMAP_SWAPCACHE)
        swapcache_drop_page(r, cpfn);
}

/* The keys of entries in [lo, hi), in one pass over the table; NULL on no memory. */
static uint64_t *entries_in_range(const struct reclaim *r, uint64_t lo, uint64_t hi, uint64_t *n)
{
    *n = 0;
    for (uint64_t i = 0; i <= r->entries.mask; i++)
        *n += r->entries.used[i] && r->entries.keys[i] >= lo && r->entries.keys[i] < hi;
    uint64_t *keys = malloc((*n ? *n : 1) * sizeof(uint64_t));
    if (!keys)
        return NULL;
    uint64_t k = 0;
    for (uint64_t i = 0; i <= r->entries.mask && k < *n; i++)
        if (r->entries.used[i] && r->entries.keys[i] >= lo && r->entries.keys[i] < hi)
            keys[k++] = r->entries.keys[i];
    return keys;
}

uint64_t reclaim_drop_swap(struct reclaim *r, const struct mm *mm, uint64_t start, uint64_t end)
{
    int idx = reclaim_mm_index(r, mm);
    if (idx < 0)
        return 0;
    uint64_t lo = reclaim_make_key(r, idx, start);
    uint64_t hi = end ? reclaim_make_key(r, idx, end) : ((uint64_t)(idx + 1) << VPN_BITS);
    uint64_t dropped = 0;
    if (r->entries.n && hi > lo && hi - lo <= r->entries.mask + 1) {
        /* a range smaller than the table: look each page up */
        for (uint64_t k = lo; k < hi; k++)
            if (u64map_get(&r->entries, k)) {
                drop_entry(r, k);
                dropped++;
            }
    } else if (r->entries.n && hi > lo) {
        /* collect first: erasing shifts entries under the scan */
        uint64_t n, *keys = entries_in_range(r, lo, hi, &n);
        for (uint64_t i = 0; keys && i < n; i++)
            drop_entry(r, keys[i]);
        dropped = keys ? n : 0;
        free(keys);
    }
    if (!end)
        r->mms[idx] = NULL; /* the address space is gone: its index is free again */
    return dropped;
}

size_t reclaim_take_completions(struct reclaim *r, uint64_t *out, size_t max)
{
    return swap_take_completions(r->sw, out, max);
}

size_t reclaim_take_invalidations(struct reclaim *r, struct reclaim_inval *out, size_t max)
{
    size_t n = r->ninval < max ? r->ninval : max;
    memcpy(out, r->inval, n * sizeof(*out));
    memmove(r->inval, r->inval + n, (r->ninval - n) * sizeof(*out));
    r->ninval -= n;
    return n;
}

void reclaim_counters(const struct reclaim *r, struct reclaim_counters *out)
{
    *out = r->c;
    out->pgwriteback = vmscan_stats(r->vm)->pgwriteback;
    out->swap_used = swap_used_slots(r->sw);
    out->swap_total = swap_total_slots(r->sw);
}

#define DEF(var, name, unit, kind, desc) static const struct stat_def var = {name, unit, kind, desc, NULL}
#define DEFC(var, name, unit, kind, col, desc) static const struct stat_def var = {name, unit, kind, desc, col}
DEF(D_R_POLICY, "policy", "", STAT_INFO, "the page-replacement policy (`vmscan.policy`: kernel, lru, fifo, clock or opt)");
DEF(D_R_SCANK, "pgscan_kswapd", "pages", STAT_COUNTER, "pages scanned by kswapd (/proc/vmstat)");
DEF(D_R_SCAND, "pgscan_direct", "pages", STAT_COUNTER, "pages scanned by direct reclaim");
DEF(D_R_STEALK, "pgsteal_kswapd", "pages", STAT_COUNTER, "pages reclaimed by kswapd");
DEF(D_R_STEALD, "pgsteal_direct", "pages", STAT_COUNTER, "pages reclaimed by direct reclaim");
DEF(D_R_STEALA, "pgsteal_anon", "pages", STAT_COUNTER, "anonymous pages reclaimed");
DEF(D_R_STEALF, "pgsteal_file", "pages", STAT_COUNTER, "file pages reclaimed");
DEFC(D_R_ACT, "pgactivate", "pages", STAT_COUNTER, "pgactivate", "pages moved to an active list");
DEFC(D_R_DEACT, "pgdeactivate", "pages", STAT_COUNTER, "pgdeactivate", "pages moved to an inactive list");
DEF(D_R_REFILL, "pgrefill", "pages", STAT_COUNTER, "active pages scanned to refill the inactive list");
DEF(D_R_ROT, "pgrotated", "pages", STAT_COUNTER, "pages rotated to the tail after writeback");
DEF(D_R_MAJ, "pgmajfault", "faults", STAT_COUNTER, "major faults that read from swap");
DEFC(D_R_SWPIN, "pswpin", "pages", STAT_COUNTER, "pswpin", "pages read from swap");
DEFC(D_R_SWPOUT, "pswpout", "pages", STAT_COUNTER, "pswpout", "pages written to swap");
DEF(D_R_SWRA, "swap_ra", "pages", STAT_COUNTER, "pages read by swap readahead");
DEF(D_R_SWRAH, "swap_ra_hit", "pages", STAT_COUNTER, "readahead pages later faulted on");
DEF(D_R_SCP, "swapcache_pages", "pages", STAT_GAUGE, "pages in the swap cache");
DEF(D_R_SCADD, "swapcache_add", "pages", STAT_COUNTER, "pages added to the swap cache");
DEF(D_R_SCREC, "swapcache_reclaimed", "pages", STAT_COUNTER, "swap-cache pages reclaimed");
DEF(D_R_WB, "pgwriteback", "pages", STAT_COUNTER, "dirty file pages written back by reclaim");
DEF(D_R_WBWAIT, "writeback_waits", "waits", STAT_COUNTER,
    "a cgroup-v1 memcg's reclaim waited for a page's swap write (`memcg.version = 1`)");
DEFC(D_R_STALL, "allocstall", "stalls", STAT_COUNTER, "allocstall", "allocations that entered direct reclaim (allocstall)");
DEF(D_R_KWAKE, "kswapd_wakeups", "wakeups", STAT_COUNTER, "kswapd wakeups (pageoutrun)");
DEFC(D_R_KCYC, "kswapd_cycles", "cycles", STAT_COUNTER, "kswapd_cycles", "cycles kswapd ran");
DEF(D_R_DCYC, "direct_reclaim_cycles", "cycles", STAT_COUNTER, "cycles allocations spent in direct reclaim");
DEF(D_R_WRA, "workingset_refault_anon", "pages", STAT_COUNTER, "anonymous pages faulted back in after eviction (workingset_refault_anon)");
DEF(D_R_WRF, "workingset_refault_file", "pages", STAT_COUNTER, "file pages faulted back in after eviction");
DEFC(D_R_WR, "workingset_refault", "pages", STAT_COUNTER | STAT_NOT_JSON, "workingset_refault",
     "refaults, anonymous and file (the JSON has them apart)");
DEF(D_R_WAA, "workingset_activate_anon", "pages", STAT_COUNTER, "refaulted anonymous pages activated at once (workingset_activate_anon)");
DEF(D_R_WAF, "workingset_activate_file", "pages", STAT_COUNTER, "refaulted file pages activated at once");
DEF(D_R_WSA, "workingset_restore_anon", "pages", STAT_COUNTER, "refaulted anonymous pages that had been active (workingset_restore_anon)");
DEF(D_R_WSF, "workingset_restore_file", "pages", STAT_COUNTER, "refaulted file pages that had been active");
DEFC(D_LRU_IA, "inactive_anon", "pages", STAT_GAUGE, "inactive_anon", "pages on the inactive anonymous LRU (Inactive(anon))");
DEFC(D_LRU_AA, "active_anon", "pages", STAT_GAUGE, "active_anon", "pages on the active anonymous LRU");
DEF(D_LRU_IF, "inactive_file", "pages", STAT_GAUGE, "pages on the inactive file LRU");
DEF(D_LRU_AF, "active_file", "pages", STAT_GAUGE, "pages on the active file LRU");
DEF(D_SW_DEV, "device", "", STAT_INFO, "the swap device's name (`[swap] device`)");
DEF(D_SW_TOTAL, "total_pages", "pages", STAT_INFO, "swap slots (SwapTotal)");
DEFC(D_SW_USED, "used_pages", "pages", STAT_GAUGE, "swap_used_pages", "swap slots in use now");
DEF(D_SW_PEAK, "used_peak_pages", "pages", STAT_GAUGE, "the most swap slots in use at once");
DEF(D_SW_RD, "read_requests", "requests", STAT_COUNTER, "read requests to the swap device");
DEF(D_SW_WR, "write_requests", "requests", STAT_COUNTER, "write requests to the swap device");
DEF(D_SW_WAIT, "queue_wait_ns", "ns", STAT_COUNTER, "time requests waited in the device's queue");
DEF(D_SW_BUSY, "busy_ns", "ns", STAT_COUNTER, "time the device was busy");
DEF(D_SW_WSUB, "write_submissions", "submissions", STAT_COUNTER, "times write requests went to the device, one or a plug's at once (one doorbell each)");
DEF(D_SW_CPU, "request_cpu_cycles", "cycles", STAT_COUNTER, "CPU the requests took from the tasks that submitted them (`timing.swap_read_cpu` a read request, `swap_write_cpu` a write submission; in cycles_breakdown.fault or kswapd's)");
#undef DEF
#undef DEFC

static void publish_swap_device(const struct reclaim *r, struct stat_out *o)
{
    const struct swap_stats *s = swap_stats(r->sw);
    stat_group_begin(o, "swap");
    stat_str(o, &D_SW_DEV, swap_config(r->sw)->name);
    stat_u64(o, &D_SW_TOTAL, swap_total_slots(r->sw));
    stat_u64(o, &D_SW_USED, swap_used_slots(r->sw));
    stat_u64(o, &D_SW_PEAK, r->c.swap_used_peak);
    stat_u64(o, &D_SW_RD, s->read_reqs);
    stat_u64(o, &D_SW_WR, s->write_reqs);
    stat_u64(o, &D_SW_WSUB, r->write_submissions);
    stat_u64(o, &D_SW_CPU, r->io_cycles);
    stat_u64(o, &D_SW_WAIT, s->wait_ns);
    stat_u64(o, &D_SW_BUSY, s->busy_ns);
    stat_group_end(o);
}

void reclaim_publish_stats(const struct reclaim *r, struct stat_out *o)
{
    const struct vmscan_stats *v = vmscan_stats(r->vm);
    stat_group_begin(o, "reclaim");
    stat_str(o, &D_R_POLICY, vmscan_policy_name(vmscan_policy(r->vm)));
    stat_u64(o, &D_R_SCANK, v->pgscan_kswapd);
    stat_u64(o, &D_R_SCAND, v->pgscan_direct);
    stat_u64(o, &D_R_STEALK, v->pgsteal_kswapd);
    stat_u64(o, &D_R_STEALD, v->pgsteal_direct);
    stat_u64(o, &D_R_STEALA, v->pgsteal_anon);
    stat_u64(o, &D_R_STEALF, v->pgsteal_file);
    stat_u64(o, &D_R_ACT, v->pgactivate);
    stat_u64(o, &D_R_DEACT, v->pgdeactivate);
    stat_u64(o, &D_R_REFILL, v->pgrefill);
    stat_u64(o, &D_R_ROT, v->pgrotated);
    stat_u64(o, &D_R_MAJ, r->c.pgmajfault);
    stat_u64(o, &D_R_SWPIN, r->c.pswpin);
    stat_u64(o, &D_R_SWPOUT, r->c.pswpout);
    stat_u64(o, &D_R_SWRA, r->c.swap_ra);
    stat_u64(o, &D_R_SWRAH, r->c.swap_ra_hit);
    stat_u64(o, &D_R_SCP, r->c.swapcache_pages);
    stat_u64(o, &D_R_SCADD, r->c.swapcache_add);
    stat_u64(o, &D_R_SCREC, r->c.swapcache_reclaimed);
    stat_u64(o, &D_R_WB, v->pgwriteback);
    stat_u64(o, &D_R_WBWAIT, r->c.writeback_waits);
    stat_u64(o, &D_R_STALL, r->c.alloc_stalls);
    stat_u64(o, &D_R_KWAKE, v->kswapd_wakeups);
    stat_u64(o, &D_R_KCYC, r->c.kswapd_cycles);
    stat_u64(o, &D_R_DCYC, r->c.direct_cycles);
    stat_u64(o, &D_R_WRA, v->workingset_refault_anon);
    stat_u64(o, &D_R_WRF, v->workingset_refault_file);
    stat_u64(o, &D_R_WR, v->workingset_refault_anon + v->workingset_refault_file);
    stat_u64(o, &D_R_WAA, v->workingset_activate_anon);
    stat_u64(o, &D_R_WAF, v->workingset_activate_file);
    stat_u64(o, &D_R_WSA, v->workingset_restore_anon);
    stat_u64(o, &D_R_WSF, v->workingset_restore_file);
    stat_group_begin(o, "lru");
    stat_u64(o, &D_LRU_IA, vmscan_lru_pages(r->vm, LRU_INACTIVE_ANON));
    stat_u64(o, &D_LRU_AA, vmscan_lru_pages(r->vm, LRU_ACTIVE_ANON));
    stat_u64(o, &D_LRU_IF, vmscan_lru_pages(r->vm, LRU_INACTIVE_FILE));
    stat_u64(o, &D_LRU_AF, vmscan_lru_pages(r->vm, LRU_ACTIVE_FILE));
    stat_group_end(o);
    publish_swap_device(r, o);
    stat_group_end(o);
}
