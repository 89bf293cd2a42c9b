/* memory.c - the OS side of memory (mm/memory.c and friends): address spaces built from
 * the trace's mapping events on VMAs (model/mmap.c), demand paging as Linux does it, a
 * page cache, copy-on-write after fork, transparent huge pages, and the accounting of
 * faults, RSS and page-table bytes per address space.
 *
 * Faults, as handle_mm_fault():
 *   - no VMA (and no stack to grow) or a protection the VMA lacks: SIGSEGV, not counted;
 *   - anonymous, first touch: a read maps the shared zero page read-only (or, with
 *     memory.zero_page off, as a kernel that forbids it, a new frame), a write a new
 *     zeroed frame; in a THP-eligible VMA the 2 MiB-aligned region takes one order-9 page
 *     (or the huge zero page on a read), falling back to 4 KiB when none is free;
 *   - file, read: fault-around maps the cached pages of an aligned window around the
 *     address (fault_around_bytes, clipped to the VMA and the page table); a page that is
 *     not cached is a major fault with read-around into the cache;
 *   - file, write: a private mapping copies the page (do_cow_fault), a shared one maps it
 *     writable (do_shared_fault);
 *   - write to a present read-only page (do_wp_page): the zero page gets a new frame, an
 *     anonymous page mapped once is reused, one mapped by several processes is copied.
 * Every successful fault counts one minor or major fault, as mm_account_fault(). */
#include "model/memory.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "model/config.h"
#include "model/mmap.h"
#include "model/page_alloc.h"
#include "model/pgtable.h"
#include "model/reclaim.h"
#include "model/slub.h"

#define NO_PFN PA_NO_PFN
#define PTE_ZERO PTE_SOFT1 /* this entry maps the (huge) zero page */
#define PTE_TOOL PTE_SOFT2 /* a page of a VMA_TOOL mapping: not in the process's RSS */

enum thp_mode { THP_NEVER = 0, THP_MADVISE = 1, THP_ALWAYS = 2 };
enum frame_kind { FK_FREE = 0, FK_ANON, FK_FILE, FK_PGTABLE, FK_ZERO, FK_TAIL };

/* What the model knows about a physical frame. */
/* What the model knows about a physical frame: 16 bytes, one per frame the machine has
 * used, so it counts against the host bytes per simulated page (docs/replay.md). */
struct frame {
    uint32_t index;    /* file pages: the page offset in the file (pc_reserve caps it) */
    uint32_t mapcount; /* page-table entries mapping it (the head's, for a huge page) */
    uint32_t file;     /* file pages: the file id */
    uint8_t kind, order;
    uint8_t flags;     /* FRAME_DIRTY */
    uint8_t pad;
};
#define FRAME_DIRTY 1u /* a page-cache page written since it was last written back */

/* A file's pages in the page cache (the xarray of its address_space). */
struct pc_file {
    char *path;
    uint64_t inode;
    int shmem;          /* MAP_SHARED|MAP_ANONYMOUS or tmpfs: pages never need I/O */
    uint32_t *slot;     /* pgoff -> pfn + 1; 0: not cached */
    uint64_t nslot;
    uint64_t nr_pages;
    uint64_t *node;     /* one radix_tree_node slab object per 64 slots in use */
    uint32_t *node_use;
    uint64_t obj_inode, obj_dentry;
    uint8_t *ra_mark;            /* PG_readahead: reaching this page starts async readahead */
    uint64_t ra_start, ra_size;  /* the last readahead window (file_ra_state) */
};

struct mem_params {
    enum thp_mode thp;
    int zero_page;              /* 0: a read fault allocates (as mm_forbids_zeropage) */
    int thp_zero_page;          /* transparent_hugepage/use_zero_page */
    unsigned fault_around;      /* pages: fault_around_bytes >> PAGE_SHIFT, a power of two */
    unsigned ra_pages;          /* read-around window of a major fault */
    int cache_warm;             /* file pages count as cached before the run */
    uint64_t minor_cycles, major_cycles, major_io_ns;
    uint64_t stack_guard_gap;   /* bytes: 256 pages */
};

struct mem_stats {
    uint64_t pgfault, pgmajfault, zero_page_maps, cow_copies, cow_reuses, fault_around_pages;
    uint64_t thp_fault_alloc, thp_fault_fallback, thp_zero_maps, thp_splits;
    uint64_t segv, oom, pgcache_inserts, readahead_pages;
    uint64_t tool_faults;            /* faults in VMA_TOOL mappings (not counted as pgfault) */
    uint64_t nr_dirty;               /* page-cache pages dirty now */
    uint64_t nr_dirtied, nr_written; /* pages dirtied, pages written back (by reclaim) */
};

struct memsys {
    struct page_alloc *pa; /* NULL with unlimited memory */
    struct slub *slub;
    struct mem_params prm;
    struct mem_stats st;
    unsigned page_shift, levels, pmd_order;
    uint64_t page_size;
    struct frame *frames;
    uint64_t nframes;
    /* unlimited memory: frames from a counter, freed ones on a stack */
    uint64_t next_pfn;
    uint64_t *free_pfns;
    size_t nfree, capfree;
    uint64_t zero_pfn, huge_zero_pfn;
    struct pc_file *files; /* index 0 is unused: file id 0 means anonymous */
    uint32_t nfiles, capfiles;
    /* memory pressure (model/reclaim.c): LRU, swap, kswapd; NULL with unlimited memory */
    struct reclaim *rc;
    struct mm *mms;          /* every address space, for unmapping file pages (i_mmap) */
    uint64_t reclaim_cycles; /* direct reclaim done by the current fault, charged to it */
    int reclaim_stalled;
};

struct mm {
    struct memsys *ms;
    struct mm *mm_next, *mm_prev; /* memsys's list of address spaces */
    struct pgtable *pt;
    struct vma_set vmas;
    struct mm_counters c;
    uint64_t obj[6]; /* task_struct, mm_struct, signal, sighand, files, pid */
    uint64_t guessed_stack; /* start of the initial mapping taken for the stack, 0 none */
    int saw_maps;           /* the trace mapped memory: addresses outside VMAs are errors */
    int users;              /* processes using it (mm_users): a vfork child shares its parent's */
    uint64_t tool_pt_bytes; /* page tables first taken for VMA_TOOL pages: not in VmPTE */
};

static const enum slub_cache_id task_objs[6] = {SLAB_TASK_STRUCT, SLAB_MM_STRUCT, SLAB_SIGNAL_CACHE,
                                                SLAB_SIGHAND_CACHE, SLAB_FILES_CACHE, SLAB_PID};

/* ---------------------------------------------------------------- frames ---- */

static int frames_reserve(struct memsys *ms, uint64_t end)
{
    if (end <= ms->nframes) return 0;
    uint64_t n = ms->nframes ? ms->nframes : 1024;
    while (n < end) n *= 2;
    /* the first reservation is calloc'ed: untouched frames then cost no host memory */
    struct frame *f = ms->frames ? realloc(ms->frames, n * sizeof(*f)) : calloc(n, sizeof(*f));
    if (!f) return -1;
    if (ms->nframes) memset(f + ms->nframes, 0, (n - ms->nframes) * sizeof(*f));
    ms->frames = f;
    ms->nframes = n;
    return 0;
}

static uint64_t frames_alloc(struct memsys *ms, unsigned order, enum pa_migratetype mt, enum pa_watermark w)
{
    uint64_t pfn;
    if (ms->rc && order == 0 && mt == PA_MOVABLE && w != PA_WMARK_NONE) {
        pfn = reclaim_alloc(ms->rc, mt, &ms->reclaim_cycles, &ms->reclaim_stalled);
    } else if (ms->pa) {
        pfn = page_alloc_alloc(ms->pa, order, mt, w);
    } else if (order == 0 && ms->nfree) {
        pfn = ms->free_pfns[--ms->nfree];
    } else {
        uint64_t align = (uint64_t)1 << order;
        pfn = (ms->next_pfn + align - 1) & ~(align - 1);
        if (frames_reserve(ms, pfn + align)) return NO_PFN;
        ms->next_pfn = pfn + align;
    }
    if (pfn == NO_PFN) return NO_PFN;
    struct frame *f = &ms->frames[pfn];
    memset(f, 0, sizeof(*f));
    f->order = (uint8_t)order;
    return pfn;
}

static void frames_release(struct memsys *ms, uint64_t pfn, unsigned order)
{
    ms->frames[pfn].kind = FK_FREE;
    if (ms->pa) {
        page_alloc_release(ms->pa, pfn, order);
        return;
    }
    for (uint64_t i = 0; i < ((uint64_t)1 << order); i++) {
        if (ms->nfree == ms->capfree) {
            size_t cap = ms->capfree ? ms->capfree * 2 : 1024;
            uint64_t *n = realloc(ms->free_pfns, cap * sizeof(*n));
            if (!n) return; /* the counter has frames enough; this one is just not reused */
            ms->free_pfns = n;
            ms->capfree = cap;
        }
        ms->free_pfns[ms->nfree++] = pfn + i;
    }
}

static uint64_t table_frame_alloc(void *ctx)
{
    struct memsys *ms = ctx;
    uint64_t pfn = frames_alloc(ms, 0, PA_UNMOVABLE, PA_WMARK_MIN);
    if (pfn != NO_PFN) ms->frames[pfn].kind = FK_PGTABLE;
    return pfn == NO_PFN ? PGT_NO_FRAME : pfn;
}

static void table_frame_release(void *ctx, uint64_t pfn) { frames_release(ctx, pfn, 0); }

/* ---------------------------------------------------------------- page cache ---- */

static uint32_t file_add(struct memsys *ms, const char *path, uint64_t inode, int shmem)
{
    if (ms->nfiles == ms->capfiles) {
        uint32_t cap = ms->capfiles ? ms->capfiles * 2 : 16;
        struct pc_file *n = realloc(ms->files, cap * sizeof(*n));
        if (!n) return 0;
        ms->files = n;
        ms->capfiles = cap;
        if (ms->nfiles == 0) { memset(&ms->files[0], 0, sizeof(ms->files[0])); ms->nfiles = 1; }
    }
    struct pc_file *f = &ms->files[ms->nfiles];
    memset(f, 0, sizeof(*f));
    f->path = path ? strdup(path) : NULL;
    f->inode = inode;
    f->shmem = shmem;
    if (ms->slub && !shmem) {
        f->obj_inode = slub_alloc(ms->slub, SLAB_INODE);
        f->obj_dentry = slub_alloc(ms->slub, SLAB_DENTRY);
    }
    return ms->nfiles++;
}

/* The file id for a path (or an inode when the path is unknown); a new one if unseen. */
static uint32_t file_lookup(struct memsys *ms, const char *path, uint64_t inode)
{
    for (uint32_t i = 1; i < ms->nfiles; i++) {
        const struct pc_file *f = &ms->files[i];
        if (f->shmem && !f->path) continue;
        if (path && f->path && !strcmp(f->path, path)) return i;
        if (!path && inode && f->inode == inode) return i;
    }
    return file_add(ms, path, inode, path && !strncmp(path, "/dev/shm/", 9));
}

static int pc_reserve(struct pc_file *f, uint64_t pgoff)
{
    if (pgoff < f->nslot) return 0;
    if (pgoff >= UINT32_MAX) return -1; /* struct frame keeps a 32-bit index */
    uint64_t n = f->nslot ? f->nslot : 64;
    while (n <= pgoff) n *= 2;
    uint32_t *s = realloc(f->slot, n * sizeof(*s));
    if (!s) return -1;
    memset(s + f->nslot, 0, (n - f->nslot) * sizeof(*s));
    f->slot = s;
    uint64_t *nd = realloc(f->node, (n / 64) * sizeof(*nd));
    if (!nd) return -1;
    memset(nd + f->nslot / 64, 0, (n / 64 - f->nslot / 64) * sizeof(*nd));
    f->node = nd;
    uint32_t *nu = realloc(f->node_use, (n / 64) * sizeof(*nu));
    if (!nu) return -1;
    memset(nu + f->nslot / 64, 0, (n / 64 - f->nslot / 64) * sizeof(*nu));
    f->node_use = nu;
    uint8_t *mk = realloc(f->ra_mark, n);
    if (!mk) return -1;
    memset(mk + f->nslot, 0, n - f->nslot);
    f->ra_mark = mk;
    f->nslot = n;
    return 0;
}

static uint64_t pc_find(const struct memsys *ms, uint32_t file, uint64_t pgoff)
{
    const struct pc_file *f = &ms->files[file];
    return pgoff < f->nslot && f->slot[pgoff] ? (uint64_t)f->slot[pgoff] - 1 : NO_PFN;
}

/* A page enters the cache (add_to_page_cache_lru): a movable frame. */
static uint64_t pc_insert(struct memsys *ms, uint32_t file, uint64_t pgoff)
{
    struct pc_file *f = &ms->files[file];
    if (pc_reserve(f, pgoff)) return NO_PFN;
    uint64_t pfn = frames_alloc(ms, 0, PA_MOVABLE, PA_WMARK_LOW);
    if (pfn == NO_PFN || pfn >= UINT32_MAX) return NO_PFN;
    struct frame *fr = &ms->frames[pfn];
    fr->kind = FK_FILE;
    fr->file = file;
    fr->index = pgoff;
    f->slot[pgoff] = (uint32_t)(pfn + 1);
    f->nr_pages++;
    if (f->node_use[pgoff / 64]++ == 0 && ms->slub) f->node[pgoff / 64] = slub_alloc(ms->slub, SLAB_RADIX_TREE_NODE);
    ms->st.pgcache_inserts++;
    if (ms->rc && !f->shmem) reclaim_file_page_added(ms->rc, pfn, file, pgoff);
    return pfn;
}

/* Is the page usable without I/O? Warm caches count every page as cached already. */
static int pc_cached(const struct memsys *ms, uint32_t file, uint64_t pgoff)
{
    if (ms->rc && pc_find(ms, file, pgoff) == NO_PFN && reclaim_file_evicted(ms->rc, file, pgoff))
        return 0; /* reclaim dropped it: even a warm cache must read it again */
    return ms->prm.cache_warm || ms->files[file].shmem || pc_find(ms, file, pgoff) != NO_PFN;
}

/* The frame of a cached page (inserting it when the warm cache only held it implicitly). */
static uint64_t pc_get_cached(struct memsys *ms, uint32_t file, uint64_t pgoff)
{
    uint64_t pfn = pc_find(ms, file, pgoff);
    return pfn != NO_PFN ? pfn : pc_insert(ms, file, pgoff);
}

/* filemap_fault on a miss: read-around ra_pages centred on the page (do_sync_mmap_readahead). */
/* Read [start, start + size) into the cache and mark the page at start + size - async
 * PG_readahead (ra_submit). */
static void pc_readahead(struct memsys *ms, uint32_t file, uint64_t start, uint64_t size, uint64_t async)
{
    struct pc_file *f = &ms->files[file];
    for (uint64_t i = start; i < start + size; i++)
        if (pc_find(ms, file, i) == NO_PFN && pc_insert(ms, file, i) != NO_PFN) ms->st.readahead_pages++;
    f->ra_start = start;
    f->ra_size = size;
    uint64_t m = start + size - async;
    if (async && m < f->nslot && f->slot[m]) f->ra_mark[m] = 1;
}

static void pc_read_around(struct memsys *ms, uint32_t file, uint64_t pgoff)
{
    uint64_t ra = ms->prm.ra_pages ? ms->prm.ra_pages : 1;
    uint64_t start = pgoff > ra / 2 ? pgoff - ra / 2 : 0;
    pc_readahead(ms, file, start, ra, ra / 4);
}

/* A fault found a PG_readahead page (do_async_mmap_readahead): the next window, as large
 * as the maximum, is read without waiting and marked at its start. */
static void pc_async_readahead(struct memsys *ms, uint32_t file, uint64_t pgoff)
{
    struct pc_file *f = &ms->files[file];
    f->ra_mark[pgoff] = 0;
    uint64_t ra = ms->prm.ra_pages ? ms->prm.ra_pages : 1;
    uint64_t start = f->ra_start + f->ra_size;
    if (pgoff < f->ra_start || pgoff >= start) start = pgoff + 1; /* not our window: start afresh */
    pc_readahead(ms, file, start, ra, ra);
}

static int pc_marked(const struct memsys *ms, uint32_t file, uint64_t pgoff)
{
    const struct pc_file *f = &ms->files[file];
    return pgoff < f->nslot && f->ra_mark[pgoff];
}

static void pc_free_file(struct memsys *ms, struct pc_file *f)
{
    for (uint64_t i = 0; i < f->nslot; i++)
        if (f->slot[i]) frames_release(ms, f->slot[i] - 1, 0);
    if (ms->slub) {
        for (uint64_t i = 0; i < f->nslot / 64; i++)
            if (f->node_use[i]) slub_release(ms->slub, SLAB_RADIX_TREE_NODE, f->node[i]);
        if (f->obj_inode) slub_release(ms->slub, SLAB_INODE, f->obj_inode);
        if (f->obj_dentry) slub_release(ms->slub, SLAB_DENTRY, f->obj_dentry);
    }
    free(f->slot);
    free(f->node);
    free(f->node_use);
    free(f->ra_mark);
    free(f->path);
}

/* ---------------------------------------------------------------- memsys ---- */

static void params_from_config(struct mem_params *p, const struct mmsim_config *cfg, unsigned page_shift)
{
    const char *thp = cfg->memory.thp;
    p->thp = !strcmp(thp, "always") ? THP_ALWAYS : !strcmp(thp, "never") ? THP_NEVER : THP_MADVISE;
    p->zero_page = cfg->memory.zero_page;
    p->thp_zero_page = cfg->memory.thp_zero_page;
    /* fault_around_pages = rounddown_pow_of_two(fault_around_bytes) >> PAGE_SHIFT, at least 1 */
    uint64_t fa = cfg->memory.fault_around_bytes >> page_shift;
    p->fault_around = 1;
    while ((uint64_t)p->fault_around * 2 <= fa && p->fault_around < (1u << (page_shift - 3))) p->fault_around *= 2;
    uint64_t ra = cfg->memory.read_ahead >> page_shift;
    p->ra_pages = ra ? (unsigned)(ra < 65536 ? ra : 65536) : 1;
    p->cache_warm = strcmp(cfg->memory.page_cache, "cold") != 0;
    p->minor_cycles = cfg->timing.minor_fault;
    p->major_cycles = cfg->timing.major_fault;
    p->major_io_ns = cfg->timing.major_io_ns;
    p->stack_guard_gap = (uint64_t)256 << page_shift;
}

/* ---- the reclaim host: reclaim.c evicts and swaps pages of our address spaces ---- */

static struct pgtable *host_pgtable(struct mm *mm) { return mm->pt; }
static uint64_t vmpte_bytes(const struct mm *mm);

static void host_page_evicted(void *ctx, struct mm *mm, uint64_t va, uint64_t pfn, int anon)
{
    struct memsys *ms = ctx;
    (void)va;
    if (pfn < ms->nframes) ms->frames[pfn] = (struct frame){.kind = FK_FREE};
    if (anon) {
        if (mm->c.rss_anon) mm->c.rss_anon--;
        mm->c.swap_ents++;
    } else if (mm->c.rss_file) {
        mm->c.rss_file--;
    }
    mm->c.pgtables_bytes = vmpte_bytes(mm);
}

static void host_page_swapped_in(void *ctx, struct mm *mm, uint64_t va, uint64_t pfn)
{
    struct memsys *ms = ctx;
    (void)va;
    if (pfn < ms->nframes) ms->frames[pfn] = (struct frame){.kind = FK_ANON, .mapcount = 1};
    mm->c.rss_anon++;
    if (mm->c.swap_ents) mm->c.swap_ents--;
    mm->c.pgtables_bytes = vmpte_bytes(mm);
}

static void put_leaf(void *ctx, uint64_t va, uint64_t pte, unsigned level);

/* try_to_unmap of a page-cache page: every VMA of every address space mapping its file at
 * its offset loses the PTE (the i_mmap walk); the TLB entries go with it. */
static void unmap_file_page(struct memsys *ms, uint64_t pfn, uint32_t file, uint64_t pgoff)
{
    uint64_t off = pgoff << ms->page_shift;
    for (struct mm *mm = ms->mms; mm && ms->frames[pfn].mapcount; mm = mm->mm_next) {
        for (size_t i = 0; i < mm->vmas.n; i++) {
            const struct vma *v = &mm->vmas.v[i];
            if (v->file != file || off < v->off || off - v->off >= v->end - v->start) continue;
            uint64_t va = v->start + (off - v->off);
            unsigned level;
            uint64_t pte = pgtable_lookup(mm->pt, va, &level);
            if (!pte || level != 1 || (pte & PTE_ZERO) || pte_pfn(pte) != pfn) continue;
            pgtable_unmap_range(mm->pt, va, va + ms->page_size, put_leaf, mm);
            mm->c.pgtables_bytes = vmpte_bytes(mm);
            reclaim_queue_inval(ms->rc, mm, va);
        }
    }
}

/* A page-cache page of a regular file was written (folio_mark_dirty): reclaim must write
 * it back before reusing the frame. shmem pages are swap-backed, never written to a file. */
static void file_page_dirtied(struct memsys *ms, uint64_t pfn)
{
    if (pfn >= ms->nframes) return;
    struct frame *fr = &ms->frames[pfn];
    if (fr->kind != FK_FILE || (fr->flags & FRAME_DIRTY) || ms->files[fr->file].shmem) return;
    fr->flags |= FRAME_DIRTY;
    ms->st.nr_dirty++;
    ms->st.nr_dirtied++;
    if (ms->rc) reclaim_file_page_dirtied(ms->rc, pfn);
}

/* page_mkclean: every writable shared mapping of a written-back page becomes read-only
 * and clean, so the next store faults (write-notify) and dirties the page again; the TLB
 * entries go, as the kernel flushes them. */
static void mkclean_file_page(struct memsys *ms, uint64_t pfn, uint32_t file, uint64_t pgoff)
{
    uint64_t off = pgoff << ms->page_shift;
    for (struct mm *mm = ms->mms; mm && ms->frames[pfn].mapcount; mm = mm->mm_next) {
        for (size_t i = 0; i < mm->vmas.n; i++) {
            const struct vma *v = &mm->vmas.v[i];
            if (v->file != file || !(v->flags & VMA_SHARED) || off < v->off || off - v->off >= v->end - v->start) continue;
            uint64_t va = v->start + (off - v->off);
            unsigned level;
            uint64_t pte = pgtable_lookup(mm->pt, va, &level);
            if (!pte || level != 1 || !(pte & PTE_WRITE) || pte_pfn(pte) != pfn) continue;
            pgtable_update(mm->pt, va, 0, PTE_WRITE | PTE_DIRTY);
            reclaim_queue_inval(ms->rc, mm, va);
        }
    }
}

void memsys_dirty_counts(const struct memsys *ms, uint64_t *nr_dirty, uint64_t *nr_dirtied,
                         uint64_t *nr_written)
{
    *nr_dirty = ms->st.nr_dirty;
    *nr_dirtied = ms->st.nr_dirtied;
    *nr_written = ms->st.nr_written;
}

/* Reclaim wrote a dirty page back (pageout): clean again. */
static void host_file_written(void *ctx, uint64_t pfn)
{
    struct memsys *ms = ctx;
    if (pfn >= ms->nframes || !(ms->frames[pfn].flags & FRAME_DIRTY)) return;
    mkclean_file_page(ms, pfn, ms->frames[pfn].file, ms->frames[pfn].index);
    ms->frames[pfn].flags &= (uint8_t)~FRAME_DIRTY;
    ms->st.nr_dirty--;
    ms->st.nr_written++;
}

/* Reclaim drops a page-cache page (__remove_mapping), unmapping it first. */
static int host_file_evict(void *ctx, uint64_t pfn)
{
    struct memsys *ms = ctx;
    if (pfn >= ms->nframes) return -1;
    struct frame *fr = &ms->frames[pfn];
    if (fr->kind != FK_FILE) return -1;
    if (fr->mapcount) unmap_file_page(ms, pfn, fr->file, fr->index);
    if (fr->mapcount) return -1; /* mapped in a way we cannot undo (a huge leaf) */
    struct pc_file *f = &ms->files[fr->file];
    uint64_t pgoff = fr->index;
    if (pgoff >= f->nslot || f->slot[pgoff] != pfn + 1) return -1;
    f->slot[pgoff] = 0;
    f->nr_pages--;
    if (--f->node_use[pgoff / 64] == 0 && ms->slub && f->node[pgoff / 64]) {
        slub_release(ms->slub, SLAB_RADIX_TREE_NODE, f->node[pgoff / 64]);
        f->node[pgoff / 64] = 0;
    }
    frames_release(ms, pfn, 0);
    return 0;
}

static int reclaim_setup(struct memsys *ms, const struct mmsim_config *cfg)
{
    struct reclaim_config rc;
    reclaim_config_defaults(&rc);
    rc.page_shift = ms->page_shift;
    rc.freq_ghz = cfg->cpu.freq_ghz;
    if (vmscan_policy_parse(cfg->vmscan.policy, &rc.vm.policy)) return -1;
    rc.vm.swappiness = cfg->vmscan.swappiness;
    rc.swap = cfg->swap;
    rc.memcg_limit_pages = cfg->memcg.limit >> ms->page_shift;
    struct reclaim_host h = {host_pgtable, host_page_evicted, host_page_swapped_in, host_file_evict,
                             host_file_written, ms};
    ms->rc = reclaim_new(ms->pa, &rc, &h);
    return ms->rc ? 0 : -1;
}

struct reclaim *memsys_reclaim(struct memsys *ms) { return ms->rc; }

uint64_t memsys_pagecache_pages(const struct memsys *ms)
{
    uint64_t n = 0;
    for (uint32_t i = 1; i < ms->nfiles; i++) n += ms->files[i].nr_pages;
    return n;
}

uint64_t mm_total_vm(const struct mm *mm)
{
    uint64_t bytes = 0;
    for (size_t i = 0; i < mm->vmas.n; i++) bytes += mm->vmas.v[i].end - mm->vmas.v[i].start;
    return bytes >> mm->ms->page_shift;
}

static void slub_config_from(struct slub_config *sc, const struct mmsim_config *cfg, unsigned page_shift)
{
    memset(sc, 0, sizeof *sc);
    sc->page_shift = page_shift;
    sc->nr_cpus = cfg->cpu.count;
    sc->min_objects = cfg->slab.min_objects;
    sc->min_order = cfg->slab.min_order;
    sc->max_order = cfg->slab.max_order;
    sc->objsize[SLAB_TASK_STRUCT] = cfg->slab.task_struct;
    sc->objsize[SLAB_MM_STRUCT] = cfg->slab.mm_struct;
    sc->objsize[SLAB_VM_AREA_STRUCT] = cfg->slab.vm_area_struct;
    sc->objsize[SLAB_ANON_VMA] = cfg->slab.anon_vma;
    sc->objsize[SLAB_ANON_VMA_CHAIN] = cfg->slab.anon_vma_chain;
    sc->objsize[SLAB_SIGNAL_CACHE] = cfg->slab.signal_cache;
    sc->objsize[SLAB_SIGHAND_CACHE] = cfg->slab.sighand_cache;
    sc->objsize[SLAB_FILES_CACHE] = cfg->slab.files_cache;
    sc->objsize[SLAB_PID] = cfg->slab.pid;
    sc->objsize[SLAB_FILP] = cfg->slab.filp;
    sc->objsize[SLAB_DENTRY] = cfg->slab.dentry;
    sc->objsize[SLAB_INODE] = cfg->slab.inode;
    sc->objsize[SLAB_RADIX_TREE_NODE] = cfg->slab.radix_tree_node;
}

struct memsys *memsys_new(const struct mmsim_config *cfg, char *err, unsigned long errlen)
{
    struct memsys *ms = calloc(1, sizeof *ms);
    if (!ms) {
        snprintf(err, errlen, "memsys: out of memory");
        return NULL;
    }
    ms->page_shift = config_page_shift(cfg);
    ms->page_size = (uint64_t)1 << ms->page_shift;
    ms->levels = cfg->walker.levels;
    ms->pmd_order = ms->page_shift - 3;
    params_from_config(&ms->prm, cfg, ms->page_shift);
    ms->next_pfn = 1; /* frame 0 stays out, as in the kernel */
    if (!cfg->memory.unlimited) {
        struct page_alloc_config pc = {.total_pages = cfg->memory.size >> ms->page_shift,
                                       .page_shift = ms->page_shift,
                                       .min_free_kbytes = cfg->memory.min_free_kbytes,
                                       .watermark_scale_factor = cfg->memory.watermark_scale_factor};
        ms->pa = page_alloc_new(&pc);
        if (!ms->pa || frames_reserve(ms, pc.total_pages)) {
            snprintf(err, errlen, "memsys: cannot set up %llu pages of physical memory (memory.size)",
                     (unsigned long long)pc.total_pages);
            memsys_free(ms);
            return NULL;
        }
        struct slub_config sc;
        slub_config_from(&sc, cfg, ms->page_shift);
        ms->slub = slub_new(ms->pa, &sc);
        if (!ms->slub) {
            snprintf(err, errlen, "memsys: cannot set up the slab caches ([slab] object sizes too large "
                                  "for slab.max_order and memory.page_size?)");
            memsys_free(ms);
            return NULL;
        }
        if (reclaim_setup(ms, cfg)) {
            snprintf(err, errlen, "memsys: cannot set up reclaim and swap (swap.size %llu)",
                     (unsigned long long)cfg->swap.size);
            memsys_free(ms);
            return NULL;
        }
    }
    ms->zero_pfn = frames_alloc(ms, 0, PA_UNMOVABLE, PA_WMARK_NONE);
    ms->huge_zero_pfn = NO_PFN;
    if (ms->zero_pfn == NO_PFN) {
        snprintf(err, errlen, "memsys: no frame for the zero page (memory.size too small)");
        memsys_free(ms);
        return NULL;
    }
    ms->frames[ms->zero_pfn].kind = FK_ZERO;
    return ms;
}

void memsys_free(struct memsys *ms)
{
    if (!ms) return;
    for (uint32_t i = 1; i < ms->nfiles; i++) pc_free_file(ms, &ms->files[i]);
    free(ms->files);
    slub_free_all(ms->slub);
    reclaim_free(ms->rc);
    if (ms->pa) page_alloc_free_all(ms->pa);
    free(ms->frames);
    free(ms->free_pfns);
    free(ms);
}

struct page_alloc *memsys_page_alloc(struct memsys *ms) { return ms->pa; }

/* ---------------------------------------------------------------- reports ---- */

void memsys_report_json(const struct memsys *ms, struct json *j)
{
    const struct mem_stats *st = &ms->st;
    json_obj_begin(j, "os");
    json_u64(j, "page_size", ms->page_size);
    json_obj_begin(j, "faults");
    json_u64(j, "pgfault", st->pgfault);
    json_u64(j, "pgmajfault", st->pgmajfault);
    json_u64(j, "zero_page_maps", st->zero_page_maps);
    json_u64(j, "cow_copies", st->cow_copies);
    json_u64(j, "cow_reuses", st->cow_reuses);
    json_u64(j, "fault_around_pages", st->fault_around_pages);
    json_u64(j, "readahead_pages", st->readahead_pages);
    json_u64(j, "thp_fault_alloc", st->thp_fault_alloc);
    json_u64(j, "thp_fault_fallback", st->thp_fault_fallback);
    json_u64(j, "thp_zero_page_maps", st->thp_zero_maps);
    json_u64(j, "thp_split_pmd", st->thp_splits);
    json_u64(j, "segv", st->segv);
    json_u64(j, "oom", st->oom);
    json_u64(j, "capture_tool", st->tool_faults);
    json_obj_end(j);
    json_obj_begin(j, "page_cache");
    json_u64(j, "files", ms->nfiles ? ms->nfiles - 1 : 0);
    json_u64(j, "pages", memsys_pagecache_pages(ms));
    json_u64(j, "inserts", st->pgcache_inserts);
    json_u64(j, "nr_dirty", st->nr_dirty);
    json_u64(j, "nr_dirtied", st->nr_dirtied);
    json_u64(j, "nr_written", st->nr_written);
    json_obj_end(j);
    if (ms->pa) page_alloc_json(ms->pa, j, "buddy");
    if (ms->slub) slub_json(ms->slub, j, "slab");
    json_obj_end(j);
}

void memsys_report_text(const struct memsys *ms, FILE *f)
{
    const struct mem_stats *st = &ms->st;
    fprintf(f, "\n  OS model: %llu zero-page maps, %llu COW copies, %llu COW reuses, %llu pages by fault-around,\n"
               "            %llu THP faults (%llu fell back), %llu PMD splits, %llu file pages cached\n",
            (unsigned long long)st->zero_page_maps, (unsigned long long)st->cow_copies,
            (unsigned long long)st->cow_reuses, (unsigned long long)st->fault_around_pages,
            (unsigned long long)st->thp_fault_alloc, (unsigned long long)st->thp_fault_fallback,
            (unsigned long long)st->thp_splits, (unsigned long long)memsys_pagecache_pages(ms));
    if (!ms->pa) return;
    const struct page_alloc *pa = ms->pa;
    fprintf(f, "\n  free %llu of %llu pages; watermarks min %llu low %llu high %llu\n  ",
            (unsigned long long)page_alloc_free_pages(pa), (unsigned long long)page_alloc_total_pages(pa),
            (unsigned long long)page_alloc_wmark(pa, PA_WMARK_MIN), (unsigned long long)page_alloc_wmark(pa, PA_WMARK_LOW),
            (unsigned long long)page_alloc_wmark(pa, PA_WMARK_HIGH));
    page_alloc_buddyinfo(pa, f);
    fprintf(f, "  %-22s", "fragmentation index");
    for (unsigned o = 0; o <= page_alloc_max_order(pa); o++)
        fprintf(f, " %6.3f", page_alloc_fragmentation_index(pa, o) / 1000.0);
    fprintf(f, "\n  %-22s", "unusable free index");
    for (unsigned o = 0; o <= page_alloc_max_order(pa); o++)
        fprintf(f, " %6.3f", page_alloc_unusable_index(pa, o) / 1000.0);
    fprintf(f, "\n");
    if (ms->slub)
        fprintf(f, "  slab: %llu pages (mmsim replay --json: os.slab for slabinfo)\n",
                (unsigned long long)slub_total_pages(ms->slub));
}

void memsys_timeline_header(const struct memsys *ms, FILE *f)
{
    if (!ms->pa) return;
    fprintf(f, ",free_pages");
    for (unsigned o = 0; o <= page_alloc_max_order(ms->pa); o++) fprintf(f, ",order%u", o);
    fprintf(f, ",unusable_index_thp");
}

void memsys_timeline_row(const struct memsys *ms, FILE *f)
{
    if (!ms->pa) return;
    const struct page_alloc *pa = ms->pa;
    fprintf(f, ",%llu", (unsigned long long)page_alloc_free_pages(pa));
    for (unsigned o = 0; o <= page_alloc_max_order(pa); o++) fprintf(f, ",%llu", (unsigned long long)page_alloc_nr_free(pa, o));
    unsigned thp = ms->pmd_order <= page_alloc_max_order(pa) ? ms->pmd_order : page_alloc_max_order(pa);
    fprintf(f, ",%.3f", page_alloc_unusable_index(pa, thp) / 1000.0);
}

/* ---------------------------------------------------------------- mm ---- */

/* The kernel's pgtables_bytes (VmPTE) counts PTE, PMD and PUD tables: not the PGD (which
 * pgtable_bytes leaves out already), nor the P4D tables of 5-level paging. */
static uint64_t vmpte_bytes(const struct mm *mm)
{
    uint64_t all = pgtable_bytes(mm->pt);
    uint64_t top = mm->ms->levels > 4 ? (uint64_t)(mm->ms->levels - 4) << mm->ms->page_shift : 0;
    top += mm->tool_pt_bytes;
    return all > top ? all - top : 0;
}

static void note_rss(struct mm *mm)
{
    uint64_t rss = mm->c.rss_anon + mm->c.rss_file + mm->c.rss_shmem;
    if (rss > mm->c.rss_peak) mm->c.rss_peak = rss;
    mm->c.pgtables_bytes = vmpte_bytes(mm);
}

static struct mm *mm_alloc(struct memsys *ms)
{
    struct mm *mm = calloc(1, sizeof *mm);
    if (!mm) return NULL;
    struct pgtable_frames fr = {table_frame_alloc, table_frame_release, ms};
    mm->ms = ms;
    mm->users = 1;
    mm->pt = pgtable_new(ms->levels, ms->page_shift, &fr);
    if (!mm->pt) {
        free(mm);
        return NULL;
    }
    vmas_init(&mm->vmas, ms->slub, ms->page_size);
    if (ms->slub)
        for (int i = 0; i < 6; i++) mm->obj[i] = slub_alloc(ms->slub, task_objs[i]);
    mm->c.pgtables_bytes = vmpte_bytes(mm);
    mm->mm_next = ms->mms;
    if (ms->mms) ms->mms->mm_prev = mm;
    ms->mms = mm;
    return mm;
}

struct mm *mm_new(struct memsys *ms) { return mm_alloc(ms); }

struct mm *mm_share(struct mm *mm)
{
    mm->users++;
    return mm;
}

int mm_shared(const struct mm *mm) { return mm->users > 1; }
struct pgtable *mm_pgtable(struct mm *mm) { return mm->pt; }
const struct mm_counters *mm_counters(const struct mm *mm) { return &mm->c; }

static uint64_t leaf_pages(const struct memsys *ms, unsigned level)
{
    return (uint64_t)1 << ((level - 1) * (ms->page_shift - 3));
}

/* pte: the entry's flags; pages of the capture tool's mappings are not the process's. */
static void rss_add(struct mm *mm, const struct frame *f, int64_t pages, uint64_t pte)
{
    if (pte & PTE_TOOL) return;
    uint64_t *ctr = f->kind == FK_ANON ? &mm->c.rss_anon
                    : mm->ms->files[f->file].shmem ? &mm->c.rss_shmem : &mm->c.rss_file;
    if (pages < 0 && (uint64_t)-pages > *ctr) *ctr = 0;
    else *ctr += (uint64_t)pages;
}

/* A mapping of a frame went away (zap_pte_range): drop the reference, free an anonymous
 * page nobody maps. */
static void put_leaf(void *ctx, uint64_t va, uint64_t pte, unsigned level)
{
    struct mm *mm = ctx;
    struct memsys *ms = mm->ms;
    (void)va;
    if (pte & PTE_ZERO) return;
    uint64_t pfn = pte_pfn(pte);
    if (pfn >= ms->nframes) return;
    struct frame *f = &ms->frames[pfn];
    if (f->kind != FK_ANON && f->kind != FK_FILE) return;
    rss_add(mm, f, -(int64_t)leaf_pages(ms, level), pte);
    if (f->mapcount) f->mapcount--;
    if (f->kind == FK_ANON && f->mapcount == 0) {
        if (ms->rc) reclaim_page_freed(ms->rc, pfn);
        frames_release(ms, pfn, f->order);
    }
}

/* __split_huge_pmd: a 2 MiB leaf covering va becomes a table of base-page entries with the
 * same flags; the huge page is split into order-0 pages each keeping the mapcount. */
/* The huge leaf of this mm at base becomes base-page entries with the same flags. */
static int split_pmd_mapping(struct mm *mm, uint64_t base, uint64_t size, uint64_t pte)
{
    struct memsys *ms = mm->ms;
    uint64_t n = size >> ms->page_shift, pfn = pte_pfn(pte);
    uint64_t flags = pte & PTE_FLAGS_MASK & ~(PTE_HUGE | PTE_PRESENT);
    int zero = (pte & PTE_ZERO) != 0;
    pgtable_unmap_range(mm->pt, base, base + size, NULL, NULL);
    for (uint64_t i = 0; i < n; i++) {
        uint64_t p = zero ? ms->zero_pfn : pfn + i;
        if (pgtable_map(mm->pt, base + (i << ms->page_shift), p, 1, flags, NULL)) return -1;
    }
    ms->st.thp_splits++;
    return 0;
}

static int split_huge_leaf(struct mm *mm, uint64_t va)
{
    struct memsys *ms = mm->ms;
    unsigned level;
    uint64_t pte = pgtable_lookup(mm->pt, va, &level);
    if (!pte || level < 2) return 0;
    uint64_t size = ms->page_size << ((level - 1) * (ms->page_shift - 3));
    uint64_t base = va & ~(size - 1), n = size >> ms->page_shift, pfn = pte_pfn(pte);
    int folio = !(pte & PTE_ZERO) && pfn < ms->nframes && ms->frames[pfn].kind == FK_ANON && ms->frames[pfn].order;
    if (split_pmd_mapping(mm, base, size, pte)) return -1;
    if (!folio) return 0;
    /* The model keeps a map count per frame, so the huge page is split into base pages
     * at once (split_huge_page); the other address spaces that map it huge after fork
     * (at the same address) get base-page entries too. */
    uint32_t mc = ms->frames[pfn].mapcount;
    for (struct mm *o = ms->mms; o && mc > 1; o = o->mm_next) {
        unsigned l;
        uint64_t e = o == mm ? 0 : pgtable_lookup(o->pt, base, &l);
        if (e && l == level && pte_pfn(e) == pfn && split_pmd_mapping(o, base, size, e)) return -1;
    }
    if (ms->pa) page_alloc_split(ms->pa, pfn, ms->frames[pfn].order);
    for (uint64_t i = 0; i < n; i++) ms->frames[pfn + i] = (struct frame){.kind = FK_ANON, .mapcount = mc};
    return 0;
}

/* Swap entries in [start, end) go with the range (end 0: all of them). */
static void drop_swap(struct mm *mm, uint64_t start, uint64_t end)
{
    if (!mm->ms->rc || !mm->c.swap_ents) return;
    uint64_t n = reclaim_drop_swap(mm->ms->rc, mm, start, end);
    mm->c.swap_ents = n > mm->c.swap_ents ? 0 : mm->c.swap_ents - n;
}

/* Drop the pages of [start, end) from this address space (zap_page_range): huge leaves
 * straddling an end are split first. */
static void zap_range(struct mm *mm, uint64_t start, uint64_t end)
{
    if (start >= end) return;
    split_huge_leaf(mm, start);
    if (end) split_huge_leaf(mm, end - 1);
    pgtable_unmap_range(mm->pt, start, end, put_leaf, mm);
    drop_swap(mm, start, end);
    note_rss(mm);
}

static void zap_all(struct mm *mm)
{
    pgtable_unmap_range(mm->pt, 0, 0, put_leaf, mm);
    drop_swap(mm, 0, 0);
    note_rss(mm);
}

void mm_destroy(struct memsys *ms, struct mm *mm)
{
    if (!mm || --mm->users > 0) return;
    if (mm->mm_prev) mm->mm_prev->mm_next = mm->mm_next;
    else if (ms->mms == mm) ms->mms = mm->mm_next;
    if (mm->mm_next) mm->mm_next->mm_prev = mm->mm_prev;
    zap_all(mm);
    vmas_destroy(&mm->vmas);
    pgtable_free(mm->pt);
    if (ms->slub)
        for (int i = 0; i < 6; i++)
            if (mm->obj[i]) slub_release(ms->slub, task_objs[i], mm->obj[i]);
    free(mm);
}

/* ---------------------------------------------------------------- fork ---- */

struct fork_ctx {
    struct mm *child;
    uint64_t clear; /* PTE_WRITE for private writable VMAs */
    int failed;
};

static void fork_leaf(void *ctx, uint64_t va, uint64_t pte, unsigned level)
{
    struct fork_ctx *fc = ctx;
    struct mm *c = fc->child;
    struct memsys *ms = c->ms;
    if (fc->failed) return;
    if (pgtable_map(c->pt, va, pte_pfn(pte), level, (pte & PTE_FLAGS_MASK & ~(PTE_HUGE | PTE_PRESENT)) & ~fc->clear,
                    NULL)) {
        fc->failed = 1;
        return;
    }
    if (pte & PTE_ZERO) return;
    uint64_t pfn = pte_pfn(pte);
    if (pfn >= ms->nframes) return;
    struct frame *f = &ms->frames[pfn];
    if (f->kind != FK_ANON && f->kind != FK_FILE) return;
    f->mapcount++;
    if (ms->rc && f->kind == FK_ANON) reclaim_page_freed(ms->rc, pfn); /* one owner only */
    rss_add(c, f, (int64_t)leaf_pages(ms, level), pte);
}

/* dup_mmap + copy_page_range: VMAs are copied; page tables only for VMAs with anonymous
 * pages (vma_needs_copy: the others refault from the page cache); private writable pages
 * are write-protected in both. */
struct mm *mm_fork(struct memsys *ms, struct mm *parent)
{
    struct mm *child = mm_alloc(ms);
    if (!child) return NULL;
    vmas_destroy(&child->vmas);
    if (vmas_copy(&child->vmas, &parent->vmas)) goto fail;
    child->saw_maps = parent->saw_maps;
    struct fork_ctx fc = {.child = child};
    for (size_t i = 0; i < parent->vmas.n; i++) {
        const struct vma *v = &parent->vmas.v[i];
        if (v->flags & (VMA_DONTCOPY | VMA_WIPEONFORK)) continue;
        if (!(v->flags & (VMA_ANON_VMA | VMA_SPECIAL))) continue;
        int cow = !(v->flags & VMA_SHARED) && (v->prot & VMA_WRITE);
        fc.clear = cow ? PTE_WRITE : 0;
        pgtable_for_each(parent->pt, v->start, v->end, fork_leaf, &fc);
        if (cow) pgtable_protect_range(parent->pt, v->start, v->end, 0, PTE_WRITE);
    }
    if (fc.failed) goto fail;
    if (ms->rc && parent->c.swap_ents) child->c.swap_ents = reclaim_fork(ms->rc, parent, child);
    note_rss(child);
    return child;
fail:
    mm_destroy(ms, child);
    return NULL;
}

/* ---------------------------------------------------------------- faults ---- */

static uint64_t vma_pgoff(const struct memsys *ms, const struct vma *v, uint64_t va)
{
    return (v->off + (va - v->start)) >> ms->page_shift;
}

static uint64_t pte_flags_for(const struct vma *v, int writable)
{
    uint64_t f = PTE_USER | PTE_ACCESSED;
    if (writable) f |= PTE_WRITE | PTE_DIRTY;
    if (!(v->prot & VMA_EXEC)) f |= PTE_NX;
    if (v->flags & VMA_TOOL) f |= PTE_TOOL;
    return f;
}

static void fault_done(struct memsys *ms, struct mm *mm, struct fault_result *res, int major)
{
    res->kind = major ? FAULT_MAJOR : FAULT_MINOR;
    res->cycles = major ? ms->prm.major_cycles : ms->prm.minor_cycles;
    res->io_ns = major ? ms->prm.major_io_ns : 0;
    if (major) { mm->c.maj_flt++; ms->st.pgmajfault++; }
    else mm->c.min_flt++;
    ms->st.pgfault++;
    note_rss(mm);
}

/* A fault in a mapping only the capture tool made: the page is mapped (the access goes on),
 * but neither the fault, its time, nor the page tables it took are the process's. */
static void tool_fault_done(struct memsys *ms, struct mm *mm, struct fault_result *res, uint64_t pt_bytes_before)
{
    res->kind = FAULT_NONE;
    ms->st.tool_faults++;
    uint64_t now = pgtable_bytes(mm->pt);
    if (now > pt_bytes_before) mm->tool_pt_bytes += now - pt_bytes_before;
    ms->reclaim_cycles = 0;
    note_rss(mm);
}

static void fault_oom(struct memsys *ms, struct fault_result *res)
{
    res->kind = FAULT_OOM;
    ms->st.oom++;
}

static int map_frame(struct mm *mm, uint64_t va, uint64_t pfn, unsigned level, uint64_t flags)
{
    return pgtable_map(mm->pt, va, pfn, level, flags, NULL);
}

/* A new anonymous frame mapped writable at va (level 1) or over the huge region (level 2). */
/* A new anonymous frame mapped writable (a write fault) or, for a read fault without the
 * zero page, writable only when the VMA is (do_anonymous_page: pte_mkwrite if VM_WRITE). */
static int map_new_anon_prot(struct mm *mm, struct vma *v, uint64_t va, uint64_t pfn, unsigned level,
                             int writable)
{
    struct memsys *ms = mm->ms;
    ms->frames[pfn].kind = FK_ANON;
    ms->frames[pfn].mapcount = 1;
    /* a page-table frame taken here may grow (move) the frame array in unlimited mode:
     * index it again afterwards */
    if (map_frame(mm, va, pfn, level, pte_flags_for(v, writable))) {
        frames_release(ms, pfn, ms->frames[pfn].order);
        return -1;
    }
    vmas_mark_anon(&mm->vmas, v);
    rss_add(mm, &ms->frames[pfn], (int64_t)leaf_pages(ms, level), pte_flags_for(v, 1));
    if (ms->rc && level == 1) reclaim_page_added(ms->rc, pfn, mm, va, RECLAIM_ANON | RECLAIM_YOUNG);
    return 0;
}

static int map_new_anon(struct mm *mm, struct vma *v, uint64_t va, uint64_t pfn, unsigned level)
{
    return map_new_anon_prot(mm, v, va, pfn, level, 1);
}

static int thp_allowed(const struct memsys *ms, const struct vma *v)
{
    if (v->file || (v->flags & (VMA_SHARED | VMA_NOHUGEPAGE | VMA_SPECIAL))) return 0;
    if (ms->prm.thp == THP_ALWAYS) return 1;
    return ms->prm.thp == THP_MADVISE && (v->flags & VMA_HUGEPAGE);
}

/* do_huge_pmd_anonymous_page: 1 when handled, 0 to fall back to base pages, -1 on OOM. */
static int do_huge_anonymous(struct mm *mm, struct vma *v, uint64_t va, int write)
{
    struct memsys *ms = mm->ms;
    uint64_t hsize = ms->page_size << ms->pmd_order, haddr = va & ~(hsize - 1);
    if (haddr < v->start || haddr + hsize > v->end) return 0;
    struct pgtable_walk w;
    pgtable_walk(mm->pt, va, &w);
    if (w.leaf_level < 2) return 0; /* a page table is already there: base pages */
    if (!write && ms->prm.zero_page && ms->prm.thp_zero_page) {
        if (ms->huge_zero_pfn == NO_PFN) {
            ms->huge_zero_pfn = frames_alloc(ms, ms->pmd_order, PA_UNMOVABLE, PA_WMARK_LOW);
            if (ms->huge_zero_pfn == NO_PFN) return 0;
            ms->frames[ms->huge_zero_pfn].kind = FK_ZERO;
        }
        if (map_frame(mm, haddr, ms->huge_zero_pfn, 2, pte_flags_for(v, 0) | PTE_ZERO)) return -1;
        ms->st.thp_zero_maps++;
        return 1;
    }
    uint64_t pfn = frames_alloc(ms, ms->pmd_order, PA_MOVABLE, PA_WMARK_LOW);
    if (pfn == NO_PFN) {
        ms->st.thp_fault_fallback++;
        return 0;
    }
    if (map_new_anon_prot(mm, v, haddr, pfn, 2, write || (v->prot & VMA_WRITE))) return -1;
    ms->st.thp_fault_alloc++;
    return 1;
}

/* do_anonymous_page: the zero page for a read, a new frame for a write. Without the zero
 * page (memory.zero_page = off) a read takes a new frame too, writable when the VMA is, so
 * the later write does not fault. */
static int do_anonymous(struct mm *mm, struct vma *v, uint64_t va, int write)
{
    struct memsys *ms = mm->ms;
    uint64_t page = va & ~(ms->page_size - 1);
    if (thp_allowed(ms, v)) {
        int r = do_huge_anonymous(mm, v, va, write);
        if (r) return r < 0 ? -1 : 0;
    }
    if (!write && ms->prm.zero_page) {
        ms->st.zero_page_maps++;
        return map_frame(mm, page, ms->zero_pfn, 1, pte_flags_for(v, 0) | PTE_ZERO);
    }
    uint64_t pfn = frames_alloc(ms, 0, PA_MOVABLE, PA_WMARK_LOW);
    if (pfn == NO_PFN) return -1;
    return map_new_anon_prot(mm, v, page, pfn, 1, write || (v->prot & VMA_WRITE));
}

/* Map a cached file page read-only (or writable: shared shmem) and take its reference. */
static int map_file_page(struct mm *mm, struct vma *v, uint64_t va, uint64_t pfn, int writable)
{
    struct memsys *ms = mm->ms;
    if (map_frame(mm, va, pfn, 1, pte_flags_for(v, writable))) return -1;
    struct frame *f = &ms->frames[pfn];
    f->mapcount++;
    rss_add(mm, f, 1, pte_flags_for(v, writable));
    return 0;
}

/* do_fault_around + filemap_map_pages: the window of fault_around pages aligned down,
 * clipped to the VMA and to the page table holding va; only cached pages with no entry. */
static int do_fault_around(struct mm *mm, struct vma *v, uint64_t va)
{
    struct memsys *ms = mm->ms;
    uint64_t nr = ms->prm.fault_around, ptrs = (uint64_t)1 << (ms->page_shift - 3);
    uint64_t pte_off = (va >> ms->page_shift) & (ptrs - 1);
    uint64_t vma_off = (va - v->start) >> ms->page_shift;
    uint64_t vma_pages = (v->end - v->start) >> ms->page_shift;
    uint64_t from = pte_off & ~(nr - 1);
    uint64_t lo = pte_off - (pte_off < vma_off ? pte_off : vma_off);
    if (lo > from) from = lo;
    uint64_t to = from + nr;
    if (to > ptrs) to = ptrs;
    if (to > pte_off + vma_pages - vma_off) to = pte_off + vma_pages - vma_off;
    uint64_t table_base = va & ~((ptrs << ms->page_shift) - 1);
    int writable = (v->flags & VMA_SHARED) && (v->prot & VMA_WRITE) && ms->files[v->file].shmem;
    int mapped_va = 0;
    for (uint64_t i = from; i < to; i++) {
        uint64_t a = table_base + (i << ms->page_shift);
        unsigned level;
        if (pgtable_lookup(mm->pt, a, &level)) continue;
        uint64_t pgoff = vma_pgoff(ms, v, a);
        if (!pc_cached(ms, v->file, pgoff) || pc_marked(ms, v->file, pgoff)) continue; /* next_uptodate_folio */
        uint64_t pfn = pc_get_cached(ms, v->file, pgoff);
        if (pfn == NO_PFN) return -1;
        if (map_file_page(mm, v, a, pfn, writable)) return -1;
        if (a == (va & ~(ms->page_size - 1))) mapped_va = 1;
        else ms->st.fault_around_pages++;
    }
    return mapped_va;
}

/* The page of a file fault: from the cache, or read (a major fault). */
static uint64_t file_page(struct memsys *ms, uint32_t file, uint64_t pgoff, int *major)
{
    if (pc_marked(ms, file, pgoff)) pc_async_readahead(ms, file, pgoff);
    if (pc_cached(ms, file, pgoff)) return pc_get_cached(ms, file, pgoff);
    *major = 1;
    pc_read_around(ms, file, pgoff);
    uint64_t pfn = pc_find(ms, file, pgoff);
    return pfn != NO_PFN ? pfn : pc_insert(ms, file, pgoff);
}

/* do_read_fault / do_cow_fault / do_shared_fault. Returns -1 on OOM. */
static int do_file_fault(struct mm *mm, struct vma *v, uint64_t va, int write, int *major)
{
    struct memsys *ms = mm->ms;
    uint64_t page = va & ~(ms->page_size - 1);
    int special = (v->flags & VMA_SPECIAL) != 0;
    if (!write && !special && ms->prm.fault_around > 1) {
        int r = do_fault_around(mm, v, va);
        if (r) return r < 0 ? -1 : 0;
    }
    uint64_t pfn = file_page(ms, v->file, vma_pgoff(ms, v, va), major);
    if (pfn == NO_PFN) return -1;
    if (!write) return map_file_page(mm, v, page, pfn, (v->flags & VMA_SHARED) && ms->files[v->file].shmem && (v->prot & VMA_WRITE));
    if (v->flags & VMA_SHARED) {
        file_page_dirtied(ms, pfn);
        return map_file_page(mm, v, page, pfn, 1);
    }
    uint64_t copy = frames_alloc(ms, 0, PA_MOVABLE, PA_WMARK_LOW);
    if (copy == NO_PFN) return -1;
    ms->st.cow_copies++;
    return map_new_anon(mm, v, page, copy, 1);
}

/* do_wp_page: a write met a present read-only entry of a writable VMA. */
static int do_wp_page(struct mm *mm, struct vma *v, uint64_t va, uint64_t pte, unsigned level)
{
    struct memsys *ms = mm->ms;
    uint64_t page = va & ~(ms->page_size - 1);
    if (level > 1) {
        uint64_t pfn = pte_pfn(pte);
        if (!(pte & PTE_ZERO) && ms->frames[pfn].mapcount == 1) { /* exclusive THP: reuse */
            pgtable_update(mm->pt, va, PTE_WRITE | PTE_DIRTY, 0);
            ms->st.cow_reuses++;
            return 0;
        }
        if (pte & PTE_ZERO) { /* a write to the huge zero page: try a huge page in its place */
            uint64_t hsize = ms->page_size << ms->pmd_order, haddr = va & ~(hsize - 1);
            uint64_t n = frames_alloc(ms, ms->pmd_order, PA_MOVABLE, PA_WMARK_LOW);
            if (n != NO_PFN) {
                pgtable_unmap_range(mm->pt, haddr, haddr + hsize, NULL, NULL);
                ms->st.thp_fault_alloc++;
                return map_new_anon(mm, v, haddr, n, 2);
            }
            ms->st.thp_fault_fallback++;
        }
        if (split_huge_leaf(mm, va)) return -1;
        pte = pgtable_lookup(mm->pt, va, &level);
        if (!pte) return -1;
    }
    uint64_t pfn = pte_pfn(pte);
    struct frame *f = &ms->frames[pfn];
    if (v->flags & VMA_SHARED) { /* write-notify: the page becomes writable and dirty */
        pgtable_update(mm->pt, va, PTE_WRITE | PTE_DIRTY, 0);
        file_page_dirtied(ms, pfn);
        return 0;
    }
    if (!(pte & PTE_ZERO) && f->kind == FK_ANON && f->mapcount == 1) {
        pgtable_update(mm->pt, va, PTE_WRITE | PTE_DIRTY, 0);
        ms->st.cow_reuses++;
        if (ms->rc) reclaim_anon_page_written(ms->rc, pfn); /* leaves the swap cache */
        return 0;
    }
    uint64_t copy = frames_alloc(ms, 0, PA_MOVABLE, PA_WMARK_LOW);
    if (copy == NO_PFN) return -1;
    /* the old mapping goes (its reference and RSS), the copy comes in */
    pgtable_unmap_range(mm->pt, page, page + ms->page_size, put_leaf, mm);
    if (!(pte & PTE_ZERO)) ms->st.cow_copies++;
    return map_new_anon(mm, v, page, copy, 1);
}

/* do_swap_page: the page is on swap: read it (with readahead) and map it; the task waits
 * for the device, or spends the time itself on a synchronous device (zram). A page found
 * in the swap cache (read ahead) is mapped at once: a minor fault. A read maps the page
 * read-only, so it stays in the swap cache, clean, until a store. */
static void do_swap_page(struct mm *mm, struct vma *v, uint64_t va, int write, struct fault_result *res)
{
    struct memsys *ms = mm->ms;
    struct swapin_result sr;
    int rc = reclaim_swapin(ms->rc, mm, va, pte_flags_for(v, write), &sr);
    if (rc < 0) {
        fault_oom(ms, res);
        return;
    }
    vmas_mark_anon(&mm->vmas, v);
    if (rc == 2) {
        fault_done(ms, mm, res, 0);
        return;
    }
    res->kind = FAULT_MAJOR;
    res->cycles = ms->prm.major_cycles + sr.cycles;
    res->io_ns = sr.io_ns;
    mm->c.maj_flt++;
    ms->st.pgmajfault++;
    ms->st.pgfault++;
    ms->reclaim_cycles = 0;
    note_rss(mm);
}

/* A trace without mapping events (an imported lackey, pinatrace, ChampSim or Dinero
 * trace): every address is anonymous memory, mapped on first use 2 MiB at a time. */
static struct vma *implicit_anon_vma(struct mm *mm, uint64_t vaddr)
{
    uint64_t chunk = (uint64_t)2 << 20, start = vaddr & ~(chunk - 1);
    if (start > UINT64_MAX - chunk) return NULL;
    if (vmas_map(&mm->vmas, start, start + chunk, VMA_READ | VMA_WRITE | VMA_EXEC, 0, 0, 0)) return NULL;
    return vmas_find(&mm->vmas, vaddr);
}

/* access_error(): what the VMA allows. */
static int access_error(const struct vma *v, unsigned flags)
{
    if (flags & FAULT_FLAG_WRITE) return !(v->prot & VMA_WRITE);
    if (flags & FAULT_FLAG_INSTRUCTION) return !(v->prot & VMA_EXEC);
    return !(v->prot & (VMA_READ | VMA_WRITE | VMA_EXEC));
}

void mm_handle_fault(struct memsys *ms, struct mm *mm, uint64_t vaddr, unsigned flags, struct fault_result *res)
{
    memset(res, 0, sizeof *res);
    struct vma *v = vmas_find(&mm->vmas, vaddr);
    if (!v) v = mm->saw_maps ? vmas_expand_stack(&mm->vmas, vaddr, ms->prm.stack_guard_gap) : implicit_anon_vma(mm, vaddr);
    if (!v || access_error(v, flags)) {
        res->kind = FAULT_SIGSEGV;
        ms->st.segv++;
        return;
    }
    int write = (flags & FAULT_FLAG_WRITE) != 0, major = 0, rc;
    uint64_t pt_bytes = pgtable_bytes(mm->pt);
    unsigned level;
    uint64_t pte = pgtable_lookup(mm->pt, vaddr, &level);
    if (pte) {
        /* present: a write to a read-only entry, or a stale translation (spurious) */
        rc = write && !(pte & PTE_WRITE) ? do_wp_page(mm, v, vaddr, pte, level) : 0;
    } else if (v->file) {
        rc = do_file_fault(mm, v, vaddr, write, &major);
    } else if (v->flags & VMA_SHARED) {
        rc = -1; /* shared anonymous VMAs always carry a shmem file */
    } else if (ms->rc && mm->c.swap_ents && reclaim_has_swap_entry(ms->rc, mm, vaddr)) {
        do_swap_page(mm, v, vaddr, write, res);
        return;
    } else {
        rc = do_anonymous(mm, v, vaddr, write);
    }
    if (rc) {
        fault_oom(ms, res);
        return;
    }
    if (v->flags & VMA_TOOL) {
        tool_fault_done(ms, mm, res, pt_bytes);
        return;
    }
    fault_done(ms, mm, res, major);
    res->cycles += ms->reclaim_cycles;
    ms->reclaim_cycles = 0;
}

/* ---------------------------------------------------------------- events ---- */

/* faultin_page via populate_vma_page_range: each page not yet mapped takes a fault, which
 * the kernel counts (mm_account_fault counts GUP faults too). */
static void populate(struct memsys *ms, struct mm *mm, uint64_t start, uint64_t end, int write_if_writable)
{
    for (uint64_t a = start; a < end; a += ms->page_size) {
        const struct vma *v = vmas_find(&mm->vmas, a);
        if (!v) continue;
        int w = write_if_writable && (v->prot & VMA_WRITE) && !(v->flags & VMA_SHARED);
        unsigned level;
        uint64_t pte = pgtable_lookup(mm->pt, a, &level);
        if (pte && (!w || (pte & PTE_WRITE))) continue;
        struct fault_result r;
        mm_handle_fault(ms, mm, a, w ? FAULT_FLAG_WRITE : 0, &r);
        if (r.kind == FAULT_OOM || r.kind == FAULT_SIGSEGV) return;
    }
}

static uint32_t vma_flags_of_map(uint64_t mflags, const char *path)
{
    uint32_t f = 0;
    if ((mflags & LX_MAP_SHARED_VALIDATE) == LX_MAP_SHARED || (mflags & LX_MAP_SHARED_VALIDATE) == LX_MAP_SHARED_VALIDATE)
        f |= VMA_SHARED;
    if ((mflags & LX_MAP_GROWSDOWN) || (path && !strcmp(path, "[stack]"))) f |= VMA_GROWSDOWN;
    if (mflags & LX_MAP_LOCKED) f |= VMA_LOCKED;
    if (path && path[0] == '[' && strcmp(path, "[heap]") && strcmp(path, "[stack]")) f |= VMA_SPECIAL;
    if (mflags & MMT_MAP_TOOL) f |= VMA_TOOL;
    return f;
}

/* File id of a mapping: anonymous private 0; anonymous shared a new shmem object; else the
 * file by path (or inode). Pseudo-paths like [vdso] are special files. */
static uint32_t file_of_map(struct memsys *ms, uint32_t vflags, int anon, const char *path, uint64_t inode)
{
    if (vflags & VMA_SPECIAL) return file_lookup(ms, path, 0);
    if (anon || (path && (!strcmp(path, "[heap]") || !strcmp(path, "[stack]")))) {
        return (vflags & VMA_SHARED) ? file_add(ms, NULL, 0, 1) : 0;
    }
    if (!path && !inode) return (vflags & VMA_SHARED) ? file_add(ms, NULL, 0, 1) : 0;
    return file_lookup(ms, path, inode);
}

/* Traces whose initial mappings carry no names (the DBI backend) do not say which one is
 * the stack: take the highest private anonymous read-write one, as a process's stack is
 * its highest mapping but for [vdso]/[vvar], which have names. */
static int guess_stack(struct mm *mm, uint64_t start, uint64_t prot, uint32_t vflags, int anon, const char *path)
{
    if (!anon || path || (vflags & (VMA_SHARED | VMA_GROWSDOWN)) || (prot & 3u) != 3u) return 0;
    if (vmas_find_next(&mm->vmas, start)) return 0; /* something above it */
    if (mm->guessed_stack) {
        struct vma *old = vmas_find(&mm->vmas, mm->guessed_stack);
        if (old) old->flags &= ~VMA_GROWSDOWN;
    }
    mm->guessed_stack = start;
    return 1;
}

/* Traces are recorded with 4 KiB pages; a model with larger pages rounds their ranges.
 * Ranges that shrink the address space (munmap, mprotect, madvise) round inwards, to the
 * model pages they cover whole. */
#define TRACE_PAGE 4096u

static int inner_range(const struct memsys *ms, uint64_t start, uint64_t len, uint64_t *s, uint64_t *e)
{
    uint64_t mask = ms->page_size - 1, tmask = TRACE_PAGE - 1;
    if (len > UINT64_MAX - start - ms->page_size) return -1;
    *s = (start + mask) & ~mask;
    *e = ((start + len + tmask) & ~tmask) & ~mask;
    return *e > *s ? 0 : -1;
}

/* A new mapping rounded out to model pages may cover a boundary page that another VMA
 * already maps (adjacent 4 KiB mappings): that page keeps its VMA and gains the new
 * protection, as a larger-page kernel would need; the new VMA covers the rest. */
static void clip_shared_boundaries(struct mm *mm, uint64_t *s, uint64_t *e, uint64_t start, uint64_t end, uint32_t prot)
{
    uint64_t ps = mm->ms->page_size;
    const struct vma *v;
    if (*s < start && (v = vmas_find(&mm->vmas, *s)) != NULL) {
        vmas_protect(&mm->vmas, *s, *s + ps, v->prot | prot);
        *s += ps;
    }
    if (*e > end && *e > *s && (v = vmas_find(&mm->vmas, *e - ps)) != NULL) {
        vmas_protect(&mm->vmas, *e - ps, *e, v->prot | prot);
        *e -= ps;
    }
}

static void ev_map(struct memsys *ms, struct mm *mm, uint64_t start, uint64_t len, uint64_t prot, uint64_t mflags,
                   uint64_t off, uint64_t inode, const char *path, int initial, struct mm_inval *inval)
{
    uint64_t mask = ms->page_size - 1, tmask = TRACE_PAGE - 1;
    if (len > UINT64_MAX - start - ms->page_size) return;
    uint64_t tstart = start & ~tmask, tend = (start + len + tmask) & ~tmask;
    uint64_t end = (tend + mask) & ~mask;
    start = tstart & ~mask;
    if (mask > tmask) clip_shared_boundaries(mm, &start, &end, tstart, tend, (uint32_t)prot & 7u);
    if (end <= start) return;
    /* the file offset at the (rounded) start */
    if (start >= tstart) off += start - tstart;
    else off = off > tstart - start ? off - (tstart - start) : 0;
    int anon = (mflags & LX_MAP_ANONYMOUS) != 0;
    if (initial) anon = !path || !path[0] || !strcmp(path, "[heap]") || !strcmp(path, "[stack]");
    uint32_t vflags = vma_flags_of_map(mflags, path);
    uint32_t file = file_of_map(ms, vflags, anon, path, inode);
    if (initial && guess_stack(mm, start, prot, vflags, anon, path)) vflags |= VMA_GROWSDOWN;
    zap_range(mm, start, end);
    vmas_map(&mm->vmas, start, end, (uint32_t)prot & 7u, vflags, file, off);
    if (path && !strcmp(path, "[heap]")) {
        mm->vmas.start_brk = start;
        mm->vmas.brk = end;
        mm->vmas.brk_known = 1;
    }
    inval->start = start;
    inval->end = end;
    if (!initial && (mflags & (LX_MAP_POPULATE | LX_MAP_LOCKED))) populate(ms, mm, start, end, 1);
}

struct move_ctx {
    struct mm *mm;
    uint64_t from, to;
    uint64_t *va, *pte;
    unsigned *level;
    size_t n, cap;
    int failed;
};

static void collect_leaf(void *ctx, uint64_t va, uint64_t pte, unsigned level)
{
    struct move_ctx *m = ctx;
    if (m->failed) return;
    if (m->n == m->cap) {
        size_t cap = m->cap ? m->cap * 2 : 256;
        uint64_t *a = realloc(m->va, cap * sizeof(*a)), *b = a ? realloc(m->pte, cap * sizeof(*b)) : NULL;
        if (a) m->va = a;
        if (b) m->pte = b;
        unsigned *c = b ? realloc(m->level, cap * sizeof(*c)) : NULL;
        if (!c) { m->failed = 1; return; }
        m->level = c;
        m->cap = cap;
    }
    m->va[m->n] = va;
    m->pte[m->n] = pte;
    m->level[m->n++] = level;
}

/* move_page_tables: the entries of [old, old+len) move to new (no faults, same frames). */
static void move_ptes(struct mm *mm, uint64_t old, uint64_t len, uint64_t new_addr)
{
    struct memsys *ms = mm->ms;
    uint64_t hsize = ms->page_size << ms->pmd_order;
    /* a huge leaf moves whole only when both sides are aligned to it */
    if ((old | new_addr | len) & (hsize - 1)) {
        for (uint64_t a = old & ~(hsize - 1); a < old + len; a += hsize) split_huge_leaf(mm, a);
    }
    struct move_ctx m = {.mm = mm};
    pgtable_for_each(mm->pt, old, old + len, collect_leaf, &m);
    pgtable_unmap_range(mm->pt, old, old + len, NULL, NULL);
    for (size_t i = 0; i < m.n && !m.failed; i++)
        if (pgtable_map(mm->pt, m.va[i] - old + new_addr, pte_pfn(m.pte[i]), m.level[i],
                        m.pte[i] & PTE_FLAGS_MASK & ~(PTE_HUGE | PTE_PRESENT), NULL))
            m.failed = 1;
    free(m.va);
    free(m.pte);
    free(m.level);
}

static void ev_mremap(struct memsys *ms, struct mm *mm, const struct mmt_event *ev, struct mm_inval *inval)
{
    if (ev->nargs < 3 || ev->result < 0) return;
    uint64_t mask = ms->page_size - 1;
    uint64_t old = ev->args[0] & ~mask, old_len = (ev->args[1] + mask) & ~mask, new_len = (ev->args[2] + mask) & ~mask;
    uint64_t flags = ev->nargs > 3 ? ev->args[3] : 0, new_addr = (uint64_t)ev->result;
    const struct vma *src = vmas_find(&mm->vmas, old);
    if (!src) return;
    struct vma keep = *src;
    inval->start = old;
    inval->end = old + (old_len > new_len ? old_len : new_len);
    if (new_addr == old) {
        if (new_len < old_len) zap_range(mm, old + new_len, old + old_len);
        vmas_remap(&mm->vmas, old, old_len, old, new_len);
        return;
    }
    if (new_len < old_len) zap_range(mm, old + new_len, old + old_len);
    zap_range(mm, new_addr, new_addr + new_len); /* MREMAP_FIXED replaces the target */
    move_ptes(mm, old, old_len < new_len ? old_len : new_len, new_addr);
    vmas_remap(&mm->vmas, old, old_len, new_addr, new_len);
    if (flags & LX_MREMAP_DONTUNMAP)
        vmas_map(&mm->vmas, old, old + old_len, keep.prot, keep.flags & ~VMA_ANON_VMA, keep.file,
                 keep.off + (old - keep.start));
    note_rss(mm);
}

struct prot_ctx {
    struct mm *mm;
    uint64_t *va;
    size_t n, cap;
};

static void writable_leaf(void *ctx, uint64_t va, uint64_t pte, unsigned level)
{
    struct prot_ctx *p = ctx;
    struct memsys *ms = p->mm->ms;
    (void)level;
    if (pte & (PTE_ZERO | PTE_WRITE)) return;
    const struct frame *f = &ms->frames[pte_pfn(pte)];
    if (!(f->kind == FK_ANON && f->mapcount == 1)) return;
    if (p->n == p->cap) {
        size_t cap = p->cap ? p->cap * 2 : 256;
        uint64_t *n = realloc(p->va, cap * sizeof(*n));
        if (!n) return;
        p->va = n;
        p->cap = cap;
    }
    p->va[p->n++] = va;
}

/* mprotect: new prot on VMAs; entries lose write access, or regain it where the kernel
 * would (can_change_pte_writable: exclusive anonymous pages); PROT_NONE drops the pages
 * from the page tables. */
static void ev_mprotect(struct memsys *ms, struct mm *mm, uint64_t start, uint64_t len, uint32_t prot,
                        struct mm_inval *inval)
{
    uint64_t end;
    if (inner_range(ms, start, len, &start, &end)) return;
    split_huge_leaf(mm, start);
    split_huge_leaf(mm, end - 1);
    vmas_protect(&mm->vmas, start, end, prot);
    inval->start = start;
    inval->end = end;
    if (!(prot & 7u)) {
        zap_range(mm, start, end);
        return;
    }
    if (!(prot & VMA_WRITE)) {
        pgtable_protect_range(mm->pt, start, end, 0, PTE_WRITE);
        return;
    }
    struct prot_ctx p = {.mm = mm};
    for (uint64_t a = start; a < end;) {
        const struct vma *v = vmas_find_next(&mm->vmas, a);
        if (!v || v->start >= end) break;
        uint64_t s = v->start > a ? v->start : a, e = v->end < end ? v->end : end;
        if (!(v->flags & VMA_SHARED)) pgtable_for_each(mm->pt, s, e, writable_leaf, &p);
        a = e;
    }
    for (size_t i = 0; i < p.n; i++) pgtable_update(mm->pt, p.va[i], PTE_WRITE, 0);
    free(p.va);
}

static void ev_madvise(struct memsys *ms, struct mm *mm, uint64_t start, uint64_t len, uint64_t advice,
                       struct mm_inval *inval)
{
    uint64_t end;
    if (inner_range(ms, start, len, &start, &end)) return;
    switch (advice) {
    case LX_MADV_DONTNEED:
    case LX_MADV_REMOVE:
        zap_range(mm, start, end);
        inval->start = start;
        inval->end = end;
        break;
    case LX_MADV_HUGEPAGE: vmas_set_flags(&mm->vmas, start, end, VMA_HUGEPAGE, VMA_NOHUGEPAGE); break;
    case LX_MADV_NOHUGEPAGE: vmas_set_flags(&mm->vmas, start, end, VMA_NOHUGEPAGE, VMA_HUGEPAGE); break;
    case LX_MADV_DONTFORK: vmas_set_flags(&mm->vmas, start, end, VMA_DONTCOPY, 0); break;
    case LX_MADV_DOFORK: vmas_set_flags(&mm->vmas, start, end, 0, VMA_DONTCOPY); break;
    case LX_MADV_WIPEONFORK: vmas_set_flags(&mm->vmas, start, end, VMA_WIPEONFORK, 0); break;
    case LX_MADV_KEEPONFORK: vmas_set_flags(&mm->vmas, start, end, 0, VMA_WIPEONFORK); break;
    case LX_MADV_WILLNEED: /* file pages are read into the cache, nothing is mapped */
        for (uint64_t a = start; a < end; a += ms->page_size) {
            const struct vma *v = vmas_find(&mm->vmas, a);
            if (v && v->file && pc_find(ms, v->file, vma_pgoff(ms, v, a)) == NO_PFN)
                pc_insert(ms, v->file, vma_pgoff(ms, v, a));
        }
        break;
    case LX_MADV_POPULATE_READ: populate(ms, mm, start, end, 0); break;
    case LX_MADV_POPULATE_WRITE: populate(ms, mm, start, end, 1); break;
    default: break; /* MADV_FREE keeps the pages until reclaim; the others change nothing here */
    }
}

/* read(2)/write(2) of a regular file: the pages pass through the page cache and stay. */
static void ev_file_io(struct memsys *ms, const struct mmt_event *ev)
{
    if (ev->nargs < 3 || ev->result <= 0) return;
    uint32_t file = file_lookup(ms, ev->path, ev->nargs > 3 ? ev->args[3] : 0);
    if (!file) return;
    uint64_t first = ev->args[1] >> ms->page_shift, last = (ev->args[1] + (uint64_t)ev->result - 1) >> ms->page_shift;
    for (uint64_t p = first; p <= last; p++) {
        uint64_t pfn = pc_find(ms, file, p);
        if (pfn == NO_PFN && (pfn = pc_insert(ms, file, p)) == NO_PFN) return;
        if (ev->type == MMT_EV_FILE_WRITE) file_page_dirtied(ms, pfn);
    }
}

static void ev_exec(struct mm *mm, struct mm_inval *inval)
{
    zap_all(mm);
    mm->guessed_stack = 0;
    struct slub *slub = mm->vmas.slub;
    uint64_t ps = mm->vmas.page_size;
    vmas_destroy(&mm->vmas);
    vmas_init(&mm->vmas, slub, ps);
    mm->c.rss_anon = mm->c.rss_file = mm->c.rss_shmem = 0;
    inval->all = 1;
}

int mm_event(struct memsys *ms, struct mm *mm, const struct mmt_event *ev, struct mm_inval *inval)
{
    memset(inval, 0, sizeof *inval);
    const uint64_t *a = ev->args;
    unsigned n = ev->nargs;
    switch (ev->type) {
    case MMT_EV_MAP_INITIAL:
        mm->saw_maps = 1;
        if (n >= 4 && a[1] > a[0])
            ev_map(ms, mm, a[0], a[1] - a[0], a[2], a[3], n > 4 ? a[4] : 0, n > 5 ? a[5] : 0, ev->path, 1, inval);
        break;
    case MMT_EV_MMAP:
        mm->saw_maps = 1;
        if (n >= 4 && ev->result >= 0 && (ev->result & (int64_t)(TRACE_PAGE - 1)) == 0)
            ev_map(ms, mm, (uint64_t)ev->result, a[1], a[2], a[3], n > 5 ? a[5] : 0, 0, ev->path, 0, inval);
        break;
    case MMT_EV_MUNMAP:
        if (n >= 2 && ev->result == 0) {
            uint64_t s, e;
            if (inner_range(ms, a[0], a[1], &s, &e)) break;
            zap_range(mm, s, e);
            vmas_unmap(&mm->vmas, s, e);
            inval->start = s;
            inval->end = e;
        }
        break;
    case MMT_EV_MREMAP: ev_mremap(ms, mm, ev, inval); break;
    case MMT_EV_BRK:
        if (ev->result > 0) {
            uint64_t nb = (uint64_t)ev->result, mask = ms->page_size - 1;
            if (mm->vmas.brk_known && nb < mm->vmas.brk && nb >= mm->vmas.start_brk) {
                uint64_t s = (nb + mask) & ~mask, e = (mm->vmas.brk + mask) & ~mask;
                zap_range(mm, s, e);
                inval->start = s;
                inval->end = e;
            }
            vmas_brk(&mm->vmas, nb);
        }
        break;
    case MMT_EV_MPROTECT:
        if (n >= 3 && ev->result == 0) ev_mprotect(ms, mm, a[0], a[1], (uint32_t)a[2], inval);
        break;
    case MMT_EV_MADVISE:
        if (n >= 3 && ev->result == 0) ev_madvise(ms, mm, a[0], a[1], a[2], inval);
        break;
    case MMT_EV_FILE_READ:
    case MMT_EV_FILE_WRITE: ev_file_io(ms, ev); break;
    case MMT_EV_EXEC: ev_exec(mm, inval); break;
    default: break;
    }
    note_rss(mm);
    return 0;
}
