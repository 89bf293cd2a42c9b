/* vmscan.c - LRU lists, second chance, the scan balance, shadow entries and the research
 * replacement policies. See vmscan.h. */
#include "model/vmscan.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "model/config_key.h"
#include "model/page.h"
#include "model/u64map.h"

#define NIL UINT32_MAX
#define LIST_POLICY NR_LRU_LISTS /* the one list of the research policies */
#define NR_LISTS (NR_LRU_LISTS + 1)

struct lru {
    uint32_t head, tail; /* head: most recently added; reclaim takes from the tail */
    uint64_t nr;
};

struct vmscan {
    struct vmscan_config cfg;
    uint64_t nframes;
    struct page *f;          /* the memory system's pages (or our own: owns_pages) */
    int owns_pages;
    struct lru lists[NR_LISTS];
    uint64_t nonresident_age; /* the eviction clock of workingset.c */
    uint64_t anon_cost, file_cost; /* recent reclaim/refault cost (lru_note_cost) */
    int kswapd_awake;
    unsigned kswapd_failures;
    uint32_t io_epoch;    /* bumped by vmscan_io_epoch(): writes queued before are done */
    /* The list sizes balance and workingset decisions read: the memory cgroup's
     * statistics as of their last flush (vmscan_flush_stats) when stats_stale is set, the
     * lists' exact sizes otherwise. */
    int stats_stale;
    uint64_t flushed_nr[NR_LISTS];
    uint64_t flushed_activate[2]; /* WORKINGSET_ACTIVATE_ANON, _FILE as of the last flush */
    /* lruvec->refaults[]: WORKINGSET_ACTIVATE_* as the statistics said at the end of the
     * last reclaim (snapshot_refaults); a change since means refaults are activating pages */
    uint64_t refaults[2];
    /* OPT: a max-heap of frames keyed by next use */
    uint64_t *next_use;
    uint32_t *heap, *heap_pos;
    uint64_t heap_n;
    struct vmscan_stats st;
    /* the per-CPU LRU add batches (cpu_fbatches.lru_add): lru_batch pages each */
    uint32_t *batch;      /* ncpu x lru_batch frames */
    unsigned *batch_n;
    unsigned cpu;
};

static const char *const policy_names[VMSCAN_NR_POLICIES + 1] = {"kernel", "lru", "fifo", "clock",
                                                                 "opt", NULL};

const struct cfg_key vmscan_config_keys[] = {
    CFG_KEY("policy", CFG_ENUM, struct vmscan_config, policy, "kernel", policy_names,
            "kernel, lru, fifo, clock or opt"),
    CFG_KEY_IN("swappiness", CFG_U32, struct vmscan_config, swappiness, "60", 0, 200,
            "0..200"),
    CFG_KEY_IN("lru_batch", CFG_U32, struct vmscan_config, lru_batch, "31", 0, 255,
            "pages a CPU's LRU add batch holds, unseen by reclaim, before the lists (folio_batch: 31)"),
    {0},
};
_Static_assert(sizeof(enum vmscan_policy) == sizeof(uint32_t), "a CFG_ENUM field is 32 bits");

void vmscan_config_defaults(struct vmscan_config *c)
{
    memset(c, 0, sizeof *c);
    cfg_keys_defaults(vmscan_config_keys, c);
    c->page_shift = 12;
}

int vmscan_policy_parse(const char *s, enum vmscan_policy *p)
{
    for (int i = 0; i < VMSCAN_NR_POLICIES; i++) {
        if (strcmp(s, policy_names[i]) == 0) {
            *p = (enum vmscan_policy)i;
            return 0;
        }
    }
    return -1;
}

const char *vmscan_policy_name(enum vmscan_policy p)
{
    return (unsigned)p < VMSCAN_NR_POLICIES ? policy_names[p] : "?";
}

struct vmscan *vmscan_new(struct page *pages, uint64_t nframes, const struct vmscan_config *c)
{
    if (nframes >= NIL)
        return NULL;
    struct vmscan *v = calloc(1, sizeof(*v));
    if (!v)
        return NULL;
    v->cfg = *c;
    if (v->cfg.swappiness > 200)
        v->cfg.swappiness = 200;
    if (v->cfg.page_shift == 0)
        v->cfg.page_shift = 12;
    v->nframes = nframes;
    v->f = pages;
    if (!pages) {
        v->f = calloc(nframes ? nframes : 1, sizeof(struct page));
        v->owns_pages = 1;
    }
    if (!v->f)
        goto fail;
    for (int l = 0; l < NR_LISTS; l++)
        v->lists[l].head = v->lists[l].tail = NIL;
    if (v->cfg.ncpu == 0)
        v->cfg.ncpu = 1;
    if (c->policy == VMSCAN_KERNEL && v->cfg.lru_batch) {
        v->batch = calloc((size_t)v->cfg.ncpu * v->cfg.lru_batch, sizeof(uint32_t));
        v->batch_n = calloc(v->cfg.ncpu, sizeof(unsigned));
        if (!v->batch || !v->batch_n)
            goto fail;
    }
    if (c->policy == VMSCAN_OPT) {
        v->next_use = calloc(nframes ? nframes : 1, sizeof(uint64_t));
        v->heap = calloc(nframes ? nframes : 1, sizeof(uint32_t));
        v->heap_pos = calloc(nframes ? nframes : 1, sizeof(uint32_t));
        if (!v->next_use || !v->heap || !v->heap_pos)
            goto fail;
    }
    return v;
fail:
    vmscan_free(v);
    return NULL;
}

void vmscan_free(struct vmscan *v)
{
    if (!v)
        return;
    if (v->owns_pages)
        free(v->f);
    free(v->next_use);
    free(v->heap);
    free(v->heap_pos);
    free(v->batch);
    free(v->batch_n);
    free(v);
}

static void list_add_head(struct vmscan *v, unsigned l, uint32_t pfn);
static unsigned kernel_list(uint16_t flags);

void vmscan_set_cpu(struct vmscan *v, unsigned cpu)
{
    v->cpu = cpu < v->cfg.ncpu ? cpu : 0;
}

/* folio_batch_move_lru(lru_add): a CPU's batch onto the lists, in the order added. */
static void drain_batch(struct vmscan *v, unsigned cpu)
{
    uint32_t *b = v->batch + (size_t)cpu * v->cfg.lru_batch;
    for (unsigned i = 0; i < v->batch_n[cpu]; i++) {
        struct page *fr = &v->f[b[i]];
        fr->flags &= (uint16_t)~PG_BATCHED;
        list_add_head(v, kernel_list(fr->flags), b[i]);
    }
    v->batch_n[cpu] = 0;
}

void vmscan_lru_add_drain(struct vmscan *v)
{
    if (v->batch && v->batch_n[v->cpu])
        drain_batch(v, v->cpu);
}

/* A batched page leaves its batch (freed before it reached a list). */
static void unbatch(struct vmscan *v, uint32_t pfn)
{
    for (unsigned c = 0; c < v->cfg.ncpu; c++) {
        uint32_t *b = v->batch + (size_t)c * v->cfg.lru_batch;
        for (unsigned i = 0; i < v->batch_n[c]; i++)
            if (b[i] == pfn) {
                memmove(b + i, b + i + 1, (v->batch_n[c] - i - 1) * sizeof(*b));
                v->batch_n[c]--;
                v->f[pfn].flags &= (uint16_t)~PG_BATCHED;
                return;
            }
    }
}

enum vmscan_policy vmscan_policy(const struct vmscan *v) { return v->cfg.policy; }
const struct vmscan_stats *vmscan_stats(const struct vmscan *v) { return &v->st; }
uint64_t vmscan_nonresident_age(const struct vmscan *v) { return v->nonresident_age; }
uint64_t vmscan_lru_pages(const struct vmscan *v, enum lru_list l)
{
    return (unsigned)l < NR_LRU_LISTS ? v->lists[l].nr : 0;
}

/* ---- doubly linked lists of frames ---- */

static void list_add_head(struct vmscan *v, unsigned l, uint32_t pfn)
{
    struct lru *lr = &v->lists[l];
    struct page *fr = &v->f[pfn];
    fr->lru = (uint8_t)l;
    fr->lru_prev = NIL;
    fr->lru_next = lr->head;
    if (lr->head != NIL)
        v->f[lr->head].lru_prev = pfn;
    else
        lr->tail = pfn;
    lr->head = pfn;
    lr->nr++;
}

static void list_del(struct vmscan *v, uint32_t pfn)
{
    struct page *fr = &v->f[pfn];
    struct lru *lr = &v->lists[fr->lru];
    if (fr->lru_prev != NIL)
        v->f[fr->lru_prev].lru_next = fr->lru_next;
    else
        lr->head = fr->lru_next;
    if (fr->lru_next != NIL)
        v->f[fr->lru_next].lru_prev = fr->lru_prev;
    else
        lr->tail = fr->lru_prev;
    fr->lru_prev = fr->lru_next = NIL;
    lr->nr--;
}

static void list_move_head(struct vmscan *v, unsigned l, uint32_t pfn)
{
    list_del(v, pfn);
    list_add_head(v, l, pfn);
}

/* The list a kernel-policy frame belongs on given its flags. */
static unsigned kernel_list(uint16_t flags)
{
    if (flags & PG_UNEVICTABLE)
        return LRU_UNEVICTABLE;
    unsigned base = (flags & PG_SWAPBACKED) ? LRU_INACTIVE_ANON : LRU_INACTIVE_FILE;
    return base + ((flags & PG_ACTIVE) ? 1 : 0);
}

/* ---- OPT heap (max next_use at the root) ---- */

static void heap_swap(struct vmscan *v, uint64_t a, uint64_t b)
{
    uint32_t fa = v->heap[a], fb = v->heap[b];
    v->heap[a] = fb;
    v->heap[b] = fa;
    v->heap_pos[fb] = (uint32_t)a;
    v->heap_pos[fa] = (uint32_t)b;
}

static void heap_up(struct vmscan *v, uint64_t i)
{
    while (i > 0) {
        uint64_t parent = (i - 1) / 2;
        if (v->next_use[v->heap[parent]] >= v->next_use[v->heap[i]])
            break;
        heap_swap(v, i, parent);
        i = parent;
    }
}

static void heap_down(struct vmscan *v, uint64_t i)
{
    for (;;) {
        uint64_t l = 2 * i + 1, r = l + 1, big = i;
        if (l < v->heap_n && v->next_use[v->heap[l]] > v->next_use[v->heap[big]])
            big = l;
        if (r < v->heap_n && v->next_use[v->heap[r]] > v->next_use[v->heap[big]])
            big = r;
        if (big == i)
            return;
        heap_swap(v, i, big);
        i = big;
    }
}

static void heap_insert(struct vmscan *v, uint32_t pfn)
{
    v->heap[v->heap_n] = pfn;
    v->heap_pos[pfn] = (uint32_t)v->heap_n;
    v->heap_n++;
    heap_up(v, v->heap_n - 1);
}

static void heap_remove(struct vmscan *v, uint32_t pfn)
{
    uint64_t i = v->heap_pos[pfn];
    v->heap_n--;
    if (i != v->heap_n) {
        heap_swap(v, i, v->heap_n);
        uint32_t moved = v->heap[i];
        heap_up(v, i);
        heap_down(v, v->heap_pos[moved]);
    }
}

static void heap_update(struct vmscan *v, uint32_t pfn, uint64_t next_use)
{
    uint64_t old = v->next_use[pfn];
    v->next_use[pfn] = next_use;
    if (next_use > old)
        heap_up(v, v->heap_pos[pfn]);
    else
        heap_down(v, v->heap_pos[pfn]);
}

/* ---- adding, removing, accessing ---- */

void vmscan_add(struct vmscan *v, uint64_t pfn, unsigned flags, uint64_t next_use)
{
    if (pfn >= v->nframes || (v->f[pfn].flags & PG_LRU))
        return;
    struct page *fr = &v->f[pfn];
    fr->flags = (uint16_t)((fr->flags & ~PG_LRU_MASK) | PG_LRU);
    if (flags & VMSCAN_ANON)
        fr->flags |= PG_SWAPBACKED;
    if (flags & VMSCAN_WORKINGSET)
        fr->flags |= PG_WORKINGSET;
    if (flags & VMSCAN_EXEC)
        fr->flags |= PG_EXEC;
    if (flags & VMSCAN_UNEVICTABLE)
        fr->flags |= PG_UNEVICTABLE;
    if (v->cfg.policy == VMSCAN_KERNEL) {
        if (flags & VMSCAN_ACTIVE)
            fr->flags |= PG_ACTIVE;
        if (v->batch && !(flags & VMSCAN_UNEVICTABLE)) {
            /* folio_add_lru: into this CPU's batch, to the lists when it is full */
            fr->flags |= PG_BATCHED;
            fr->lru = (uint8_t)kernel_list(fr->flags);
            fr->lru_prev = fr->lru_next = NIL;
            v->batch[(size_t)v->cpu * v->cfg.lru_batch + v->batch_n[v->cpu]++] = (uint32_t)pfn;
            if (v->batch_n[v->cpu] == v->cfg.lru_batch)
                drain_batch(v, v->cpu);
            return;
        }
        list_add_head(v, kernel_list(fr->flags), (uint32_t)pfn);
        return;
    }
    list_add_head(v, (flags & VMSCAN_UNEVICTABLE) ? LRU_UNEVICTABLE : LIST_POLICY, (uint32_t)pfn);
    if (v->cfg.policy == VMSCAN_OPT && !(flags & VMSCAN_UNEVICTABLE)) {
        v->next_use[pfn] = next_use;
        heap_insert(v, (uint32_t)pfn);
    }
}

void vmscan_del(struct vmscan *v, uint64_t pfn)
{
    if (pfn >= v->nframes || !(v->f[pfn].flags & PG_LRU))
        return;
    if (v->f[pfn].flags & PG_BATCHED) {
        unbatch(v, (uint32_t)pfn);
        v->f[pfn].flags &= (uint16_t)~PG_LRU_MASK;
        return;
    }
    if (v->cfg.policy == VMSCAN_OPT && v->f[pfn].lru == LIST_POLICY)
        heap_remove(v, (uint32_t)pfn);
    list_del(v, (uint32_t)pfn);
    v->f[pfn].flags &= (uint16_t)~PG_LRU_MASK;
}

int vmscan_on_lru(const struct vmscan *v, uint64_t pfn)
{
    return pfn < v->nframes && (v->f[pfn].flags & PG_LRU);
}

enum lru_list vmscan_frame_list(const struct vmscan *v, uint64_t pfn)
{
    return (enum lru_list)v->f[pfn].lru;
}

int vmscan_frame_referenced(const struct vmscan *v, uint64_t pfn)
{
    return (v->f[pfn].flags & PG_REFERENCED) != 0;
}

void vmscan_access(struct vmscan *v, uint64_t pfn, uint64_t next_use)
{
    if (pfn >= v->nframes)
        return;
    struct page *fr = &v->f[pfn];
    if (!(fr->flags & PG_LRU))
        return;
    switch (v->cfg.policy) {
    case VMSCAN_KERNEL:
    case VMSCAN_CLOCK:
        fr->flags |= PG_YOUNG;
        break;
    case VMSCAN_LRU:
        if (fr->lru == LIST_POLICY && v->lists[LIST_POLICY].head != pfn)
            list_move_head(v, LIST_POLICY, (uint32_t)pfn);
        break;
    case VMSCAN_FIFO:
        break;
    case VMSCAN_OPT:
        if (fr->lru == LIST_POLICY)
            heap_update(v, (uint32_t)pfn, next_use);
        break;
    default:
        break;
    }
}

static void age_nonresident(struct vmscan *v, uint64_t nr)
{
    v->nonresident_age += nr;
}

static void activate(struct vmscan *v, uint32_t pfn)
{
    struct page *fr = &v->f[pfn];
    fr->flags |= PG_ACTIVE;
    list_move_head(v, kernel_list(fr->flags), pfn);
    v->st.pgactivate++;
    age_nonresident(v, 1); /* workingset_activation() ages the clock */
}

void vmscan_mark_accessed(struct vmscan *v, uint64_t pfn)
{
    if (pfn >= v->nframes || !(v->f[pfn].flags & PG_LRU))
        return;
    struct page *fr = &v->f[pfn];
    if (v->cfg.policy != VMSCAN_KERNEL) {
        vmscan_access(v, pfn, VMSCAN_NO_NEXT_USE);
        return;
    }
    if (fr->flags & PG_UNEVICTABLE)
        return;
    if (!(fr->flags & PG_REFERENCED)) {
        fr->flags |= PG_REFERENCED;
    } else if (!(fr->flags & PG_ACTIVE)) {
        /* referenced twice while inactive: activate, clear the bit (folio_mark_accessed);
         * a page still in a batch joins the active list when drained
         * (__lru_cache_activate_folio) */
        fr->flags &= (uint16_t)~PG_REFERENCED;
        if (fr->flags & PG_BATCHED) {
            fr->flags |= PG_ACTIVE;
            fr->lru = (uint8_t)kernel_list(fr->flags);
            return;
        }
        activate(v, (uint32_t)pfn);
    }
}

/* ---- balance ---- */

unsigned vmscan_inactive_ratio(uint64_t lru_pages, unsigned page_shift)
{
    uint64_t gb = lru_pages >> (30 - page_shift);
    return gb ? (unsigned)int_sqrt(10 * gb) : 1;
}

void vmscan_use_flushed_stats(struct vmscan *v)
{
    v->stats_stale = 1;
    memset(v->flushed_nr, 0, sizeof v->flushed_nr); /* a new group: nothing flushed yet */
    memset(v->flushed_activate, 0, sizeof v->flushed_activate);
}

void vmscan_flush_stats(struct vmscan *v)
{
    for (unsigned l = 0; l < NR_LISTS; l++)
        v->flushed_nr[l] = v->lists[l].nr;
    v->flushed_activate[0] = v->st.workingset_activate_anon;
    v->flushed_activate[1] = v->st.workingset_activate_file;
}

/* lruvec_page_state(NR_LRU_BASE + l): the size as the statistics say. */
static uint64_t lru_stat(const struct vmscan *v, unsigned l)
{
    return v->stats_stale ? v->flushed_nr[l] : v->lists[l].nr;
}

/* lruvec_page_state(WORKINGSET_ACTIVATE_ANON + file): refaults that activated their page,
 * as the statistics say. */
static uint64_t activate_stat(const struct vmscan *v, int file)
{
    if (v->stats_stale)
        return v->flushed_activate[file];
    return file ? v->st.workingset_activate_file : v->st.workingset_activate_anon;
}

/* lru_note_cost(): an I/O (a page written, or read back by a refault) costs a batch of
 * rotations; the costs of both types are halved when they outgrow a quarter of the lists
 * (as the statistics say: a new memory cgroup's say 0, so there they halve every time). */
static void note_cost(struct vmscan *v, int file, uint64_t nr_io, uint64_t nr_rotated)
{
    uint64_t cost = nr_io * SWAP_CLUSTER_MAX + nr_rotated;
    if (file)
        v->file_cost += cost;
    else
        v->anon_cost += cost;
    uint64_t lrusize = 0;
    for (unsigned l = 0; l < 4; l++)
        lrusize += lru_stat(v, l);
    if (v->anon_cost + v->file_cost > lrusize / 4) {
        v->anon_cost /= 2;
        v->file_cost /= 2;
    }
}

int vmscan_inactive_is_low(const struct vmscan *v, int file)
{
    unsigned inactive_lru = file ? LRU_INACTIVE_FILE : LRU_INACTIVE_ANON;
    uint64_t inactive = lru_stat(v, inactive_lru), active = lru_stat(v, inactive_lru + 1);
    unsigned ratio = vmscan_inactive_ratio(inactive + active, v->cfg.page_shift);
    return inactive * ratio < active;
}

/* ---- workingset ---- */

uint64_t vmscan_pack_shadow(const struct vmscan *v, int workingset)
{
    return (v->nonresident_age << 2) | ((uint64_t)(workingset != 0) << 1) | 1u;
}

unsigned vmscan_refault(struct vmscan *v, uint64_t shadow, int anon, int swap_available,
                        uint64_t *distance)
{
    unsigned flags = anon ? VMSCAN_ANON : 0;
    if (!(shadow & 1u))
        return flags;
    uint64_t eviction = shadow >> 2;
    int workingset = (shadow >> 1) & 1u;
    uint64_t refault_distance = (v->nonresident_age - eviction) & (UINT64_MAX >> 2);
    if (distance)
        *distance = refault_distance;
    if (anon)
        v->st.workingset_refault_anon++;
    else
        v->st.workingset_refault_file++;
    /* workingset_test_recent(): compare with what could have kept it resident. */
    uint64_t ws = lru_stat(v, LRU_ACTIVE_FILE);
    if (anon)
        ws += lru_stat(v, LRU_INACTIVE_FILE);
    if (swap_available) {
        ws += lru_stat(v, LRU_ACTIVE_ANON);
        if (!anon)
            ws += lru_stat(v, LRU_INACTIVE_ANON);
    }
    note_cost(v, !anon, 1, 0); /* lru_note_cost_refault: a refault is an I/O of its type */
    if (refault_distance > ws)
        return flags;
    flags |= VMSCAN_ACTIVE;
    age_nonresident(v, 1);
    if (anon)
        v->st.workingset_activate_anon++;
    else
        v->st.workingset_activate_file++;
    if (workingset) {
        flags |= VMSCAN_WORKINGSET;
        if (anon)
            v->st.workingset_restore_anon++;
        else
            v->st.workingset_restore_file++;
    }
    return flags;
}

/* ---- kswapd ---- */

enum vmscan_alloc_action vmscan_alloc_check(struct vmscan *v, uint64_t free_pages,
                                            uint64_t wmark_min, uint64_t wmark_low)
{
    if (free_pages > wmark_low)
        return VMSCAN_ALLOC_OK;
    if (!v->kswapd_awake && v->kswapd_failures < 16) { /* wakeup_kswapd's hopeless check */
        v->kswapd_awake = 1;
        v->st.kswapd_wakeups++;
    }
    if (free_pages > wmark_min)
        return VMSCAN_WAKE_KSWAPD;
    v->st.direct_reclaims++;
    return VMSCAN_DIRECT_RECLAIM;
}

int vmscan_kswapd_awake(const struct vmscan *v) { return v->kswapd_awake; }
unsigned vmscan_kswapd_failures(const struct vmscan *v) { return v->kswapd_failures; }

void vmscan_note_reclaim(struct vmscan *v, int is_kswapd, uint64_t reclaimed)
{
    if (reclaimed)
        v->kswapd_failures = 0;
    else if (is_kswapd && v->kswapd_failures < 16)
        v->kswapd_failures++;
}

int vmscan_kswapd_try_sleep(struct vmscan *v, uint64_t free_pages, uint64_t wmark_high)
{
    if (free_pages >= wmark_high)
        v->kswapd_awake = 0;
    return !v->kswapd_awake;
}

/* ---- shrinking, kernel policy ---- */

#define DEACTIVATE_ANON 1u
#define DEACTIVATE_FILE 2u

struct shrink_ctx {
    struct vmscan *v;
    struct scan_control *sc;
    vmscan_evict_fn evict;
    void *ctx;
    /* scan_control's deactivation state: which active lists this priority may shrink
     * (prepare_scan_control), whether one was passed over for that (skipped_deactivate),
     * and do_try_to_free_pages's last retry (force_deactivate: both may) */
    unsigned may_deactivate;
    int skipped_deactivate, force_deactivate;
};

void vmscan_io_epoch(struct vmscan *v) { v->io_epoch++; }

/* A page whose writeback was queued in this I/O epoch is still under writeback: reclaim
 * skips it (shrink_folio_list keeps it); a page whose write is done is clean. */
static int under_writeback(struct vmscan *v, struct page *fr)
{
    if (!(fr->flags & PG_WRITEBACK))
        return 0;
    if (fr->flags & PG_SWAPBACKED)
        return 1; /* a swap write: ended by vmscan_end_writeback */
    if (fr->wb_epoch == (uint8_t)v->io_epoch)
        return 1;
    fr->flags &= (uint16_t)~PG_WRITEBACK;
    return 0;
}

/* Linked on a list (not isolated by a scan in progress). */
static int on_list(const struct vmscan *v, uint32_t pfn)
{
    const struct page *fr = &v->f[pfn];
    return fr->lru_prev != NIL || fr->lru_next != NIL || v->lists[fr->lru].head == pfn;
}

void vmscan_end_writeback(struct vmscan *v, uint64_t pfn)
{
    if (pfn >= v->nframes)
        return;
    struct page *fr = &v->f[pfn];
    if (!(fr->flags & PG_WRITEBACK))
        return;
    fr->flags &= (uint16_t)~PG_WRITEBACK;
    /* a page a scan holds (isolated) is looked at by that scan */
    if (!(fr->flags & PG_LRU) || v->cfg.policy != VMSCAN_KERNEL || !on_list(v, (uint32_t)pfn))
        return;
    /* folio_rotate_reclaimable -> lru_move_tail: to the tail of the inactive list of its
     * type, off the active one if a scan activated it meanwhile */
    unsigned l = fr->lru == LRU_ACTIVE_ANON || fr->lru == LRU_INACTIVE_ANON ? LRU_INACTIVE_ANON
                                                                           : LRU_INACTIVE_FILE;
    struct lru *lr = &v->lists[l];
    if (lr->tail == pfn)
        return;
    list_del(v, (uint32_t)pfn);
    fr->flags &= (uint16_t)~PG_ACTIVE;
    fr->lru = (uint8_t)l;
    fr->lru_next = NIL;
    fr->lru_prev = lr->tail;
    if (lr->tail != NIL)
        v->f[lr->tail].lru_next = (uint32_t)pfn;
    else
        lr->head = (uint32_t)pfn;
    lr->tail = (uint32_t)pfn;
    lr->nr++;
    v->st.pgrotated++;
}

/* A page the owner could not free (or only wrote back) is on the LRU again with the flags
 * it had; PG_dirty is the owner's and stays as the owner left it. */
static void restore_lru_flags(struct page *fr, uint16_t flags)
{
    fr->flags = (uint16_t)((fr->flags & ~PG_LRU_MASK) | (flags & PG_LRU_MASK));
}

/* pageout() queued the write: the page is clean, under writeback. */
static void start_writeback(struct vmscan *v, struct page *fr)
{
    fr->flags = (uint16_t)((fr->flags & ~PG_DIRTY) | PG_WRITEBACK);
    fr->wb_epoch = (uint8_t)v->io_epoch;
}

static void count_scan(struct shrink_ctx *s, uint64_t n)
{
    s->sc->nr_scanned += n;
    if (s->sc->is_kswapd)
        s->v->st.pgscan_kswapd += n;
    else
        s->v->st.pgscan_direct += n;
}

/* Evict one frame already off its list: 0 when freed, 1 when a dirty file page (or an
 * anonymous page, to swap) was queued for writeback instead (the caller puts it back clean), -1 when it could not go. */
static int evict_frame(struct shrink_ctx *s, uint32_t pfn, uint16_t flags)
{
    struct vmscan *v = s->v;
    int anon = (flags & PG_SWAPBACKED) != 0;
    if ((flags & PG_DIRTY) && !anon) {
        /* pageout(): the write is queued and the page stays, clean, to be reclaimed on a
         * later pass once written (shrink_folio_list keeps a page under writeback) */
        if (s->evict(s->ctx, pfn, 0, 1, 0) != 1)
            return -1;
        v->st.pgwriteback++;
        return 1;
    }
    uint64_t shadow = vmscan_pack_shadow(v, (flags & PG_WORKINGSET) != 0);
    int e = s->evict(s->ctx, pfn, anon, 0, shadow);
    if (e == 1 && anon) {
        s->sc->nr_swap_writeback++;
        return 1; /* swap write queued: kept in the swap cache until it is done */
    }
    if (e != 0)
        return -1;
    age_nonresident(v, 1); /* workingset_eviction: one more page evicted */
    if (anon) {
        v->st.pgsteal_anon++;
    } else {
        v->st.pgsteal_file++;
    }
    if (s->sc->is_kswapd)
        v->st.pgsteal_kswapd++;
    else
        v->st.pgsteal_direct++;
    s->sc->nr_reclaimed++;
    return 0;
}

/* shrink_active_list(): move up to nr frames from the tail of an active list to the head
 * of its inactive list, keeping referenced executable file pages active. */
static void shrink_active_list(struct shrink_ctx *s, unsigned active_lru, uint64_t nr)
{
    struct vmscan *v = s->v;
    vmscan_lru_add_drain(v);
    struct lru *lr = &v->lists[active_lru];
    v->st.pgrefill += nr < lr->nr ? nr : lr->nr;
    for (uint64_t i = 0; i < nr && lr->nr; i++) {
        uint32_t pfn = lr->tail;
        struct page *fr = &v->f[pfn];
        int young = (fr->flags & PG_YOUNG) != 0;
        fr->flags &= (uint16_t)~PG_YOUNG;
        if (young && (fr->flags & PG_EXEC) && !(fr->flags & PG_SWAPBACKED)) {
            list_move_head(v, active_lru, pfn);
            continue;
        }
        fr->flags &= (uint16_t)~(PG_ACTIVE | PG_REFERENCED);
        fr->flags |= PG_WORKINGSET;
        list_move_head(v, active_lru - 1, pfn);
        v->st.pgdeactivate++;
    }
}

enum folio_ref { FOLIOREF_RECLAIM, FOLIOREF_KEEP, FOLIOREF_ACTIVATE };

/* folio_check_references(): the accessed bits give a mapped page its second chance. */
static enum folio_ref check_references(struct page *fr)
{
    int young = (fr->flags & PG_YOUNG) != 0;
    int referenced = (fr->flags & PG_REFERENCED) != 0;
    fr->flags &= (uint16_t)~(PG_YOUNG | PG_REFERENCED);
    if (young) {
        /* the instantiating fault set the accessed bit of every mapped page, anonymous
         * ones too: the first trip spares it (KEEP, PG_referenced), a second reference
         * activates it (the kernel's trace shows nr_ref_keep, not nr_activate, for anon
         * pages referenced once: docs/validation-thrash.md) */
        fr->flags |= PG_REFERENCED;
        if (referenced || ((fr->flags & PG_EXEC) && !(fr->flags & PG_SWAPBACKED)))
            return FOLIOREF_ACTIVATE;
        return FOLIOREF_KEEP;
    }
    return FOLIOREF_RECLAIM;
}

/* shrink_folio_list() meets a page whose swap write reclaim started earlier: a cgroup-v1
 * memcg's reclaim waits for it (writeback_throttling_sane() is false there: "Case 3",
 * folio_wait_writeback) and then looks at it again, clean; 1 when the owner waited and the
 * write is done. Otherwise the page stays where it is (its write ends with a rotation). */
static int writeback_waited(struct shrink_ctx *s, uint32_t pfn)
{
    struct page *fr = &s->v->f[pfn];
    if (!(fr->flags & PG_SWAPBACKED) || !s->sc->wait_writeback || !s->sc->wait_writeback(s->ctx, pfn))
        return 0;
    fr->flags &= (uint16_t)~PG_WRITEBACK;
    return 1;
}

/* shrink_inactive_list() + shrink_folio_list() on up to nr frames from the tail. */
static void shrink_inactive_list(struct shrink_ctx *s, unsigned lru, uint64_t nr)
{
    struct vmscan *v = s->v;
    vmscan_lru_add_drain(v);
    struct lru *lr = &v->lists[lru];
    uint32_t batch[SWAP_CLUSTER_MAX];
    unsigned n = 0;
    while (n < nr && n < SWAP_CLUSTER_MAX && lr->nr) {
        uint32_t pfn = lr->tail;
        list_del(v, pfn);
        batch[n++] = pfn;
    }
    count_scan(s, n);
    uint64_t reclaimed0 = s->sc->nr_reclaimed, pageout = 0;
    for (unsigned i = 0; i < n; i++) {
        uint32_t pfn = batch[i];
        struct page *fr = &v->f[pfn];
        if (under_writeback(v, fr) && !writeback_waited(s, pfn)) {
            list_add_head(v, lru, pfn);
            continue;
        }
        enum folio_ref ref = check_references(fr);
        if (ref == FOLIOREF_RECLAIM && (fr->flags & PG_SWAPBACKED) && !s->sc->may_swap)
            ref = FOLIOREF_ACTIVATE; /* no swap: anon cannot go */
        if (ref == FOLIOREF_RECLAIM) {
            uint16_t flags = fr->flags;
            fr->flags &= (uint16_t)~PG_LRU_MASK; /* off the LRU while the owner frees it */
            int e = evict_frame(s, pfn, flags);
            if (e == 0)
                continue;
            restore_lru_flags(fr, flags);
            if (e == 1) { /* under writeback: back to the inactive head, clean */
                pageout++;
                start_writeback(v, fr);
                list_add_head(v, lru, pfn);
                continue;
            }
            ref = FOLIOREF_ACTIVATE; /* swap full: activate_locked */
        }
        if (ref == FOLIOREF_ACTIVATE) {
            fr->flags |= PG_ACTIVE;
            list_add_head(v, kernel_list(fr->flags), pfn);
            v->st.pgactivate++;
            age_nonresident(v, 1);
        } else {
            list_add_head(v, lru, pfn); /* FOLIOREF_KEEP: another trip (nr_ref_keep) */
        }
    }
    /* the pages scanned and not freed cost CPU, the writes cost I/O */
    note_cost(v, lru == LRU_INACTIVE_FILE, pageout, n - (s->sc->nr_reclaimed - reclaimed0));
}

/* shrink_list(): an active list is shrunk only when this priority may deactivate its
 * type; otherwise the skip is noted for do_try_to_free_pages's retry. */
static void shrink_list(struct shrink_ctx *s, unsigned lru, uint64_t nr)
{
    if (lru == LRU_ACTIVE_ANON || lru == LRU_ACTIVE_FILE) {
        if (s->may_deactivate & (lru == LRU_ACTIVE_FILE ? DEACTIVATE_FILE : DEACTIVATE_ANON))
            shrink_active_list(s, lru, nr);
        else
            s->skipped_deactivate = 1;
        return;
    }
    shrink_inactive_list(s, lru, nr);
}

/* prepare_scan_control() (shrink_node, at every priority): a type's active list may be
 * deactivated when refaults activated pages since the last reclaim's snapshot_refaults
 * (a new workingset is forming) or its inactive list is low; both read the statistics
 * (flushed, for a memory cgroup). force_deactivate: both types may. */
static void prepare_scan_control(struct shrink_ctx *s)
{
    struct vmscan *v = s->v;
    if (s->force_deactivate) {
        s->may_deactivate = DEACTIVATE_ANON | DEACTIVATE_FILE;
        return;
    }
    s->may_deactivate = 0;
    if (activate_stat(v, 0) != v->refaults[0] || vmscan_inactive_is_low(v, 0))
        s->may_deactivate |= DEACTIVATE_ANON;
    if (activate_stat(v, 1) != v->refaults[1] || vmscan_inactive_is_low(v, 1))
        s->may_deactivate |= DEACTIVATE_FILE;
}

/* snapshot_refaults(), at the end of do_try_to_free_pages and balance_pgdat. */
static void snapshot_refaults(struct vmscan *v)
{
    v->refaults[0] = activate_stat(v, 0);
    v->refaults[1] = activate_stat(v, 1);
}

/* get_scan_count(): which lists to scan at this priority and how much, in the kernel's
 * order: no swap -> file only; priority 0 -> everything equally; global reclaim short of
 * file pages -> anon only (file_is_tiny; a memory cgroup's reclaim never sets it: with no
 * page cache in the group it still scans anon by the fraction below); plenty of inactive
 * cache -> file only (cache_trim_mode); else each type by swappiness over its recent cost
 * (calculate_pressure_balance), rounded down as for an online cgroup. */
static void get_scan_count(struct shrink_ctx *s, int priority, uint64_t nr[4])
{
    struct vmscan *v = s->v;
    enum { SCAN_EQUAL, SCAN_FRACT, SCAN_ANON, SCAN_FILE } kind = SCAN_FRACT;
    uint64_t file = v->lists[LRU_INACTIVE_FILE].nr + v->lists[LRU_ACTIVE_FILE].nr;
    int file_is_tiny = s->sc->file_is_tiny || (!s->sc->cgroup_reclaim && file == 0);
    if (!s->sc->may_swap || v->cfg.swappiness == 0)
        kind = SCAN_FILE;
    else if (priority == 0)
        kind = SCAN_EQUAL;
    else if (file_is_tiny)
        kind = SCAN_ANON;
    else if (!(s->may_deactivate & DEACTIVATE_FILE) && (lru_stat(v, LRU_INACTIVE_FILE) >> priority))
        kind = SCAN_FILE; /* cache_trim_mode: plenty of inactive cache, not thrashing */
    /* calculate_pressure_balance: each cost is damped by the total, so neither type's
     * share drops below about a third of its swappiness share */
    uint64_t total = v->anon_cost + v->file_cost;
    uint64_t acost = total + v->anon_cost, fcost = total + v->file_cost;
    uint64_t all = acost + fcost;
    uint64_t ap = (uint64_t)v->cfg.swappiness * (all + 1) / (acost + 1);
    uint64_t fp = (uint64_t)(200 - v->cfg.swappiness) * (all + 1) / (fcost + 1);
    for (unsigned l = 0; l < 4; l++) {
        uint64_t scan = v->lists[l].nr >> priority;
        int is_file = l >= LRU_INACTIVE_FILE;
        switch (kind) {
        case SCAN_EQUAL:
            break;
        case SCAN_FRACT:
            scan = ap + fp ? scan * (is_file ? fp : ap) / (ap + fp) : 0;
            break;
        case SCAN_ANON:
            if (is_file)
                scan = 0;
            break;
        case SCAN_FILE:
            if (!is_file)
                scan = 0;
            break;
        }
        nr[l] = scan;
    }
}

/* One descent from DEF_PRIORITY to 0 (do_try_to_free_pages's loop over shrink_zones, or
 * balance_pgdat's), until nr_to_reclaim pages are freed. */
static void shrink_priorities(struct shrink_ctx *s)
{
    struct scan_control *sc = s->sc;
    for (int prio = DEF_PRIORITY; prio >= 0; prio--) {
        sc->priority = prio;
        prepare_scan_control(s);
        uint64_t nr[4];
        get_scan_count(s, prio, nr);
        while (nr[LRU_INACTIVE_ANON] || nr[LRU_ACTIVE_FILE] || nr[LRU_INACTIVE_FILE]) {
            for (unsigned l = 0; l < 4; l++) {
                if (!nr[l])
                    continue;
                uint64_t n = nr[l] < SWAP_CLUSTER_MAX ? nr[l] : SWAP_CLUSTER_MAX;
                nr[l] -= n;
                shrink_list(s, l, n);
            }
            if (sc->batch_done) /* time passed: earlier writes may have completed */
                sc->batch_done(s->ctx, sc);
            /* pages queued for a swap write are not reclaimed yet (shrink_folio_list keeps
             * them): a scan that only writes goes on to the next priority */
            if (sc->nr_reclaimed >= sc->nr_to_reclaim)
                break;
        }
        /* Keep the anon inactive list from running dry (shrink_lruvec's tail: not
         * subject to may_deactivate). */
        if (sc->may_swap && vmscan_inactive_is_low(s->v, 0))
            shrink_active_list(s, LRU_ACTIVE_ANON, SWAP_CLUSTER_MAX);
        if (sc->level_done) /* shrink_lruvec's end: blk_finish_plug */
            sc->level_done(s->ctx, sc);
        if (sc->nr_reclaimed >= sc->nr_to_reclaim)
            break;
    }
}

/* do_try_to_free_pages() (direct and memory-cgroup reclaim): a descent that freed nothing
 * is repeated from DEF_PRIORITY, first as a full walk of the cgroup tree (memcg_full_walk:
 * here the same lists again), then, if an active list was passed over because its type
 * might not be deactivated, with force_deactivate. The refault counters are snapshot at
 * the end of every descent round. kswapd (balance_pgdat) does one descent, no retry. */
static uint64_t shrink_kernel(struct shrink_ctx *s)
{
    struct scan_control *sc = s->sc;
    int memcg_full_walk = 0;
    for (;;) {
        shrink_priorities(s);
        snapshot_refaults(s->v);
        if (sc->nr_reclaimed || sc->is_kswapd)
            break;
        if (!memcg_full_walk) {
            memcg_full_walk = 1;
        } else if (s->skipped_deactivate) {
            s->force_deactivate = 1;
            s->skipped_deactivate = 0;
        } else {
            break;
        }
        sc->retries++;
    }
    return sc->nr_reclaimed;
}

/* ---- shrinking, research policies ---- */

/* The next victim candidate of FIFO, LRU and CLOCK: the list tail, after CLOCK's hand has
 * cleared the bits of referenced frames (giving each a second chance at the head). */
static uint32_t policy_candidate(struct vmscan *v)
{
    struct lru *lr = &v->lists[LIST_POLICY];
    if (v->cfg.policy == VMSCAN_CLOCK) {
        for (uint64_t i = 0; i <= lr->nr; i++) {
            uint32_t pfn = lr->tail;
            if (!(v->f[pfn].flags & PG_YOUNG))
                return pfn;
            v->f[pfn].flags &= (uint16_t)~PG_YOUNG;
            list_move_head(v, LIST_POLICY, pfn);
        }
    }
    return lr->tail;
}

static uint64_t shrink_policy(struct shrink_ctx *s)
{
    struct vmscan *v = s->v;
    struct scan_control *sc = s->sc;
    struct lru *lr = &v->lists[LIST_POLICY];
    uint64_t budget = 2 * lr->nr + 1; /* every frame at most twice, then give up */
    uint32_t skipped[SWAP_CLUSTER_MAX];
    unsigned nskipped = 0;
    sc->priority = 0;
    while (sc->nr_reclaimed < sc->nr_to_reclaim && lr->nr && budget--) {
        uint32_t pfn = v->cfg.policy == VMSCAN_OPT ? v->heap[0] : policy_candidate(v);
        count_scan(s, 1);
        int busy = under_writeback(v, &v->f[pfn]);
        uint16_t flags = v->f[pfn].flags;
        if (v->cfg.policy == VMSCAN_OPT)
            heap_remove(v, pfn);
        list_del(v, pfn);
        int cannot = busy || ((flags & PG_SWAPBACKED) && !sc->may_swap);
        v->f[pfn].flags &= (uint16_t)~PG_LRU_MASK;
        int e = cannot ? -1 : evict_frame(s, pfn, flags);
        if (e == 0)
            continue;
        restore_lru_flags(&v->f[pfn], flags);
        if (e == 1) /* written back: clean, it may go once the write is done */
            start_writeback(v, &v->f[pfn]);
        if (v->cfg.policy == VMSCAN_OPT && nskipped < SWAP_CLUSTER_MAX) {
            skipped[nskipped++] = pfn; /* back in the heap after this round */
            list_add_head(v, LIST_POLICY, pfn);
            continue;
        }
        list_add_head(v, LIST_POLICY, pfn);
        if (v->cfg.policy == VMSCAN_OPT)
            heap_insert(v, pfn);
    }
    for (unsigned i = 0; i < nskipped; i++)
        heap_insert(v, skipped[i]);
    return sc->nr_reclaimed;
}

uint64_t vmscan_shrink(struct vmscan *v, struct scan_control *sc, vmscan_evict_fn evict,
                       void *ctx)
{
    struct shrink_ctx s = {.v = v, .sc = sc, .evict = evict, .ctx = ctx};
    sc->nr_scanned = sc->nr_reclaimed = sc->nr_swap_writeback = 0;
    sc->retries = 0;
    uint64_t got = v->cfg.policy == VMSCAN_KERNEL ? shrink_kernel(&s) : shrink_policy(&s);
    if (got == 0)
        v->st.reclaim_failures++;
    return got;
}

/* ---- offline helpers ---- */

int vmscan_next_use(const uint64_t *keys, size_t n, uint64_t *next)
{
    struct u64map m;
    if (u64map_init(&m, n))
        return -1;
    for (size_t i = n; i-- > 0;) {
        int found;
        uint64_t *slot = u64map_slot(&m, keys[i], &found);
        if (!slot) {
            u64map_done(&m);
            return -1;
        }
        next[i] = found ? *slot : VMSCAN_NO_NEXT_USE;
        *slot = i;
    }
    u64map_done(&m);
    return 0;
}

/* vmscan_simulate's frames: which key each holds, and the free ones. */
struct keyed_frames {
    struct u64map resident; /* key -> pfn */
    uint64_t *frame_key;    /* pfn -> key */
    uint32_t *free_frames;
    uint64_t nfree;
};

/* The eviction callback of vmscan_shrink: the frame's key leaves, the frame is free. */
static int keyed_frames_evict(void *ctx, uint64_t pfn, int anon, int dirty, uint64_t shadow)
{
    (void)anon;
    (void)dirty;
    (void)shadow;
    struct keyed_frames *c = ctx;
    u64map_erase(&c->resident, c->frame_key[pfn]);
    c->free_frames[c->nfree++] = (uint32_t)pfn;
    return 0;
}

uint64_t vmscan_simulate(enum vmscan_policy p, const uint64_t *keys, size_t n, uint64_t nframes)
{
    struct vmscan_config cfg;
    vmscan_config_defaults(&cfg);
    cfg.policy = p;
    cfg.lru_batch = 0; /* the replacement rule alone: every page on its list at once */
    uint64_t misses = UINT64_MAX;
    struct vmscan *v = vmscan_new(NULL, nframes, &cfg);
    uint64_t *next = p == VMSCAN_OPT ? malloc((n ? n : 1) * sizeof(uint64_t)) : NULL;
    struct keyed_frames c = {0};
    c.frame_key = malloc((nframes ? nframes : 1) * sizeof(uint64_t));
    c.free_frames = malloc((nframes ? nframes : 1) * sizeof(uint32_t));
    int ok = v && c.frame_key && c.free_frames && nframes > 0 &&
             u64map_init(&c.resident, nframes) == 0 &&
             (p != VMSCAN_OPT || (next && vmscan_next_use(keys, n, next) == 0));
    if (ok) {
        misses = 0;
        for (uint64_t f = nframes; f-- > 0;)
            c.free_frames[c.nfree++] = (uint32_t)f;
        for (size_t i = 0; i < n; i++) {
            uint64_t nu = next ? next[i] : VMSCAN_NO_NEXT_USE;
            int found;
            uint64_t *slot = u64map_slot(&c.resident, keys[i], &found);
            if (!slot) {
                misses = UINT64_MAX;
                break;
            }
            if (found) {
                vmscan_access(v, *slot, nu);
                continue;
            }
            misses++;
            if (c.nfree == 0) {
                /* the slot just claimed for keys[i] must not be evicted: drop it first */
                u64map_erase(&c.resident, keys[i]);
                /* a pass may only age referenced pages; a few passes must free one */
                for (int pass = 0; pass < 4 && c.nfree == 0; pass++) {
                    struct scan_control sc = {.nr_to_reclaim = 1, .may_swap = 1};
                    vmscan_shrink(v, &sc, keyed_frames_evict, &c);
                }
                if (c.nfree == 0) {
                    misses = UINT64_MAX;
                    break;
                }
                slot = u64map_slot(&c.resident, keys[i], &found);
                if (!slot) {
                    misses = UINT64_MAX;
                    break;
                }
            }
            uint64_t pfn = c.free_frames[--c.nfree];
            *slot = pfn;
            c.frame_key[pfn] = keys[i];
            vmscan_add(v, pfn, 0, nu);
            vmscan_access(v, pfn, nu);
        }
    }
    vmscan_free(v);
    free(next);
    free(c.frame_key);
    free(c.free_frames);
    u64map_done(&c.resident);
    return misses;
}
