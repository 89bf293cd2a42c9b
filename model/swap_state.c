/* swap_state.c - the swap cache and swap-in (mm/swap_state.c, and do_swap_page's part of
 * mm/memory.c): a page read from swap keeps its slot while it is clean; a fault on a page
 * with a swap entry maps it from the cache (a minor fault) or reads it with readahead (a
 * major fault): by address on SSDs (swap_vma_readahead), by slot cluster on rotational
 * and synchronous devices. See reclaim.h and reclaim_internal.h. */
#include <stdlib.h>
#include <string.h>

#include "model/pgtable.h"
#include "model/reclaim_internal.h"

/* ---- the swap cache ---- */

uint64_t swapcache_pfn(const struct reclaim *r, uint64_t slot)
{
    return slot < r->nslots && r->slot_cache[slot] ? (uint64_t)r->slot_cache[slot] - 1 : PA_NO_PFN;
}

/* add_to_swap_cache: pfn holds the data of slot; the cache takes a reference on it. */
int swapcache_insert(struct reclaim *r, uint64_t slot, uint64_t pfn)
{
    if (slot >= r->nslots || slot >= UINT32_MAX || pfn >= UINT32_MAX)
        return -1;
    r->pages[pfn].swap = (uint32_t)(slot + 1);
    r->slot_cache[slot] = (uint32_t)(pfn + 1);
    swap_dup_slot(r->sw, slot);
    r->c.swapcache_pages++;
    r->c.swapcache_add++;
    return 0;
}

/* Is pfn in the swap cache? Its slot in *slot. */
int swapcache_slot_of(const struct reclaim *r, uint64_t pfn, uint64_t *slot)
{
    if (!r->c.swapcache_pages || !r->pages[pfn].swap)
        return 0;
    *slot = (uint64_t)r->pages[pfn].swap - 1;
    return 1;
}

/* delete_from_swap_cache: the page no longer stands for its slot (it was written to,
 * reclaimed or freed); the cache's reference on the slot goes. */
void swapcache_remove(struct reclaim *r, uint64_t pfn)
{
    uint64_t slot;
    if (!swapcache_slot_of(r, pfn, &slot))
        return;
    r->pages[pfn].swap = 0;
    r->slot_cache[slot] = 0;
    swap_put_slot(r->sw, slot);
    r->c.swapcache_pages--;
}

/* Free a page-cache-only frame (an unmapped swap-cache page) back to the allocator. */
void swapcache_drop_page(struct reclaim *r, uint64_t pfn)
{
    vmscan_del(r->vm, pfn);
    r->pages[pfn].rmap = RMAP_NONE;
    oom_memcg_uncharge(&r->memcg, 1);
    swapcache_remove(r, pfn);
    page_alloc_release(r->pa, pfn, 0);
}

void reclaim_anon_page_written(struct reclaim *r, uint64_t pfn)
{
    if (pfn < r->nframes && r->c.swapcache_pages && r->pages[pfn].rmap == RMAP_ANON)
        swapcache_remove(r, pfn);
}

/* ---- swap-in ---- */

int reclaim_has_swap_entry(const struct reclaim *r, const struct mm *mm, uint64_t va)
{
    int idx = reclaim_mm_index(r, mm);
    return idx >= 0 && u64map_get(&r->entries, reclaim_make_key(r, idx, va)) != NULL;
}

int reclaim_swap_cached(const struct reclaim *r, const struct mm *mm, uint64_t va)
{
    int idx = reclaim_mm_index(r, mm);
    const uint64_t *v = idx >= 0 ? u64map_get(&r->entries, reclaim_make_key(r, idx, va)) : NULL;
    return v && swapcache_pfn(r, *v) != PA_NO_PFN;
}

/* A page was read from slot into frame pfn (the faulting page or readahead): it enters
 * the swap cache, unmapped, and the anon LRU (active when its refault says so). Returns
 * -1 when the cache has no room: the caller frees the frame (readahead) or maps the page
 * without keeping its slot. */
static int read_into_cache(struct reclaim *r, uint64_t slot, uint64_t pfn)
{
    if (swapcache_insert(r, slot, pfn) != 0)
        return -1;
    unsigned fl = vmscan_refault(r->vm, r->slot_shadow[slot], 1, reclaim_swap_has_room(r), NULL);
    r->slot_shadow[slot] = 0;
    r->slot_ra[slot] = 0;
    rmap_set(&r->pages[pfn], RMAP_SWAPCACHE, slot);
    reclaim_memcg_charge(r);
    vmscan_add(r->vm, pfn, fl, VMSCAN_NO_NEXT_USE);
    r->c.pswpin++;
    return 0;
}

/* should_try_to_free_swap on a read fault: the slot goes when swap is more than half
 * full (vm_swap_full; a cgroup v1 memcg adds no test of its own) or the device is
 * synchronous (zram: the kernel keeps no swap cache for it). */
static int swap_should_free(const struct reclaim *r)
{
    return swap_config(r->sw)->synchronous || swap_used_slots(r->sw) * 2 > swap_total_slots(r->sw);
}

/* do_swap_page's mapping step, as a 6.x kernel (6.11 on) does it: the page of slot (in
 * frame pfn, in the swap cache) is mapped at (mm, va); the PTE's reference on the slot
 * goes, the cache keeps its own. A page this address space holds alone (no other swap
 * entry for the slot, mapped nowhere else: the swap entry's exclusive mark) is mapped
 * writable when the VMA is (pte_flags carry PTE_WRITE): dirty on a write fault, which
 * frees the slot (should_try_to_free_swap, folio_free_swap); clean on a read fault, the
 * page staying in the swap cache (unless swap_should_free), so the store that follows
 * sets the PTE's dirty bit without a fault and reclaim writes the page only if one came.
 * A page shared with another address space is mapped read-only on a read fault. */
static void map_from_cache(struct reclaim *r, struct mm *mm, uint64_t va, uint64_t pfn,
                           uint64_t slot, uint64_t key, unsigned pte_flags)
{
    uint64_t page_va = va & ~((1ull << r->cfg.page_shift) - 1);
    /* the slot's references: this PTE's and the cache's, and no other */
    int exclusive = r->pages[pfn].rmap != RMAP_ANON && swap_slot_count(r->sw, slot) <= 2;
    if (!(pte_flags & PTE_WRITE))
        pte_flags &= ~(unsigned)PTE_DIRTY;
    if (!exclusive && !(pte_flags & PTE_DIRTY))
        pte_flags &= ~(unsigned)PTE_WRITE;
    pgtable_map(mm->pt, page_va, pfn, 1, pte_flags | PTE_ACCESSED, NULL);
    mm_page_swapped_in(mm, pfn);
    rmap_set(&r->pages[pfn], RMAP_ANON, key);
    vmscan_access(r->vm, pfn, VMSCAN_NO_NEXT_USE);
    u64map_erase(&r->entries, key);
    swap_put_slot(r->sw, slot);
    if ((pte_flags & PTE_DIRTY) || (swap_should_free(r) && swap_slot_count(r->sw, slot) == 1))
        swapcache_remove(r, pfn);
}

/* The faulting page when the swap cache has no room: mapped, its slot given up (the page
 * counts as dirty: a later eviction writes it again). */
static void map_uncached(struct reclaim *r, struct mm *mm, uint64_t va, uint64_t pfn,
                         uint64_t slot, uint64_t key, unsigned pte_flags)
{
    uint64_t page_va = va & ~((1ull << r->cfg.page_shift) - 1);
    pgtable_map(mm->pt, page_va, pfn, 1, pte_flags | PTE_ACCESSED, NULL);
    mm_page_swapped_in(mm, pfn);
    unsigned fl = vmscan_refault(r->vm, r->slot_shadow[slot], 1, reclaim_swap_has_room(r), NULL);
    rmap_set(&r->pages[pfn], RMAP_ANON, key);
    reclaim_memcg_charge(r);
    vmscan_add(r->vm, pfn, fl, VMSCAN_NO_NEXT_USE);
    vmscan_access(r->vm, pfn, VMSCAN_NO_NEXT_USE);
    u64map_erase(&r->entries, key);
    r->slot_shadow[slot] = 0;
    swap_put_slot(r->sw, slot);
    r->c.pswpin++;
}

/* The faulting page, just read into frame pfn: into the swap cache and mapped. */
static void map_read_page(struct reclaim *r, struct mm *mm, uint64_t va, uint64_t pfn,
                          uint64_t slot, uint64_t key, unsigned pte_flags)
{
    if (read_into_cache(r, slot, pfn) == 0)
        map_from_cache(r, mm, va, pfn, slot, key, pte_flags);
    else
        map_uncached(r, mm, va, pfn, slot, key, pte_flags);
}

/* A readahead page of slot: a frame without reclaim, into the swap cache unmapped.
 * Returns -1 when no frame is free (readahead stops). */
static int readahead_page(struct reclaim *r, uint64_t slot, enum pa_watermark wm)
{
    uint64_t rpfn = page_alloc_alloc(r->pa, 0, PA_MOVABLE, wm);
    if (rpfn == PA_NO_PFN)
        return -1;
    if (read_into_cache(r, slot, rpfn) != 0) {
        page_alloc_release(r->pa, rpfn, 0);
        return -1;
    }
    r->slot_ra[slot] = 1;
    r->c.swap_ra++;
    return 0;
}

/* swap_vma_readahead: the window swap_vma_ra_window gives around va in the same address
 * space (its size adapts to the readahead hits), whichever slots its pages sit in. Runs of
 * consecutive slots go to the device as one request each, all at once; the task waits for
 * the run holding its page. The other pages go to the swap cache marked PG_readahead,
 * mapped by their own (minor) faults. */
static int swapin_vma_readahead(struct reclaim *r, struct mm *mm, uint64_t va, unsigned pte_flags,
                                uint64_t key, uint64_t slot, uint64_t pfn, struct swapin_result *res)
{
    uint64_t vpn_mask = (1ull << VPN_BITS) - 1;
    uint64_t start, end;
    r->last_swapin_window = swap_vma_ra_window(&r->mm_ra[key >> VPN_BITS], key & vpn_mask,
                                               swap_config(r->sw)->page_cluster, &start, &end);
    if (end - start > MAX_READAHEAD)
        end = start + MAX_READAHEAD;
    /* the window's pages on swap and not cached, in address order, and their slots */
    uint64_t keys[MAX_READAHEAD], slots[MAX_READAHEAD];
    unsigned n = 0;
    for (uint64_t p = start; p < end && p <= vpn_mask; p++) {
        uint64_t k = (key & ~vpn_mask) | p;
        uint64_t *v = u64map_get(&r->entries, k);
        if (v && (k == key || swapcache_pfn(r, *v) == PA_NO_PFN)) {
            keys[n] = k;
            slots[n++] = *v;
        }
    }
    /* one request per run of consecutive slots */
    uint64_t wait = 0;
    for (unsigned i = 0; i < n;) {
        unsigned j = i + 1;
        while (j < n && slots[j] == slots[j - 1] + 1)
            j++;
        uint64_t done = swap_submit(r->sw, r->now_ns, SWAP_READ, j - i);
        for (unsigned k = i; k < j; k++)
            if (keys[k] == key && done > r->now_ns)
                wait = done - r->now_ns;
        i = j;
    }
    res->io_ns = wait;
    map_read_page(r, mm, va, pfn, slot, key, pte_flags);
    res->pfn = pfn;
    r->c.pgmajfault++;
    for (unsigned i = 0; i < n; i++) {
        if (keys[i] == key || swapcache_pfn(r, slots[i]) != PA_NO_PFN)
            continue;
        if (readahead_page(r, slots[i], PA_WMARK_MIN) != 0)
            break; /* readahead does not reclaim */
        res->readahead++;
    }
    if (r->last_swapin_window > 1)
        vmscan_lru_add_drain(r->vm); /* swap_vma_readahead: "push any new pages onto the LRU now" */
    return 1;
}

int reclaim_swapin(struct reclaim *r, struct mm *mm, uint64_t va, unsigned pte_flags,
                   struct swapin_result *res)
{
    memset(res, 0, sizeof(*res));
    int idx = reclaim_mm_index(r, mm);
    if (idx < 0)
        return 0;
    uint64_t key = reclaim_make_key(r, idx, va);
    uint64_t *v = u64map_get(&r->entries, key);
    if (!v)
        return 0;
    uint64_t slot = *v;
    uint64_t cached = swapcache_pfn(r, slot);
    if (cached != PA_NO_PFN) {
        /* in the swap cache (readahead, or another process's swap-in): a minor fault;
         * a page read ahead counts a readahead hit (swap_update_readahead) */
        int ra = r->slot_ra[slot];
        r->slot_ra[slot] = 0;
        const struct swap_config *sc = swap_config(r->sw);
        if (!sc->rotational && !sc->synchronous)
            swap_vma_ra_hit(&r->mm_ra[idx], key & ((1ull << VPN_BITS) - 1), ra);
        else if (ra)
            swap_ra_hit(r->sw);
        map_from_cache(r, mm, va, cached, slot, key, pte_flags);
        res->pfn = cached;
        r->c.swap_ra_hit += (uint64_t)ra;
        return 2;
    }
    /* The kernel charges the readahead window's pages inside the readahead's block plug,
     * after the reads queued before them: a reclaim the charge starts writes into that
     * plug (swapin_plug). This fault's window is known only once its page is allocated;
     * the last swap-in's stands in for it. */
    r->swapin_plug = r->last_swapin_window > 1;
    uint64_t pfn = reclaim_alloc(r, PA_MOVABLE, &res->cycles, &res->stalled);
    r->swapin_plug = 0;
    if (pfn == PA_NO_PFN)
        return -1;
    const struct swap_config *sc = swap_config(r->sw);
    if (!sc->synchronous && !sc->rotational && sc->page_cluster)
        return swapin_vma_readahead(r, mm, va, pte_flags, key, slot, pfn, res);
    uint64_t ra[MAX_READAHEAD];
    unsigned nra = 0;
    uint64_t done = swap_read_fault(r->sw, r->now_ns, slot, ra, &nra, MAX_READAHEAD);
    r->last_swapin_window = nra + 1;
    uint64_t wait = done > r->now_ns ? done - r->now_ns : 0;
    if (swap_config(r->sw)->synchronous)
        res->cycles += (uint64_t)((double)wait * r->cfg.freq_ghz); /* decompression on this CPU */
    else
        res->io_ns = wait;
    map_read_page(r, mm, va, pfn, slot, key, pte_flags);
    res->pfn = pfn;
    r->c.pgmajfault++;
    /* swap_cluster_readahead: the other slots of the window, into the swap cache */
    for (unsigned i = 0; i < nra; i++) {
        uint64_t rkey = r->slot_key[ra[i]];
        uint64_t *rv = u64map_get(&r->entries, rkey);
        if (!rv || *rv != ra[i] || swapcache_pfn(r, ra[i]) != PA_NO_PFN)
            continue;
        if (readahead_page(r, ra[i], PA_WMARK_LOW) != 0)
            break; /* readahead never reclaims */
        res->readahead++;
    }
    if (nra)
        vmscan_lru_add_drain(r->vm); /* swap_cluster_readahead's end, with a window */
    return 1;
}
