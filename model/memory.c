/* memory.c - the OS side of memory (mm/memory.c): the frames of physical memory, address
 * spaces, demand paging as Linux does it, copy-on-write, transparent huge pages, the
 * accounting of faults, RSS and page-table bytes per address space, and the reports. The
 * page cache is filemap.c's, fork fork.c's, the trace's mapping events mmap.c's; they
 * share the structures of mm_internal.h.
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
#include "model/mm_internal.h"
#include "model/reclaim.h"
#include "model/slub.h"
#include "model/statreg.h"

static const enum slub_cache_id task_objs[6] = {SLAB_TASK_STRUCT, SLAB_MM_STRUCT, SLAB_SIGNAL_CACHE,
                                                SLAB_SIGHAND_CACHE, SLAB_FILES_CACHE, SLAB_PID};

/* ---------------------------------------------------------------- frames ---- */

static int frames_reserve(struct memsys *ms, uint64_t end)
{
    if (end <= ms->nframes) return 0;
    uint64_t n = ms->nframes ? ms->nframes : 1024;
    while (n < end) n *= 2;
    /* the first reservation is calloc'ed: untouched frames then cost no host memory */
    struct page *f = ms->pages ? realloc(ms->pages, n * sizeof(*f)) : calloc(n, sizeof(*f));
    if (!f) return -1;
    if (ms->nframes) memset(f + ms->nframes, 0, (n - ms->nframes) * sizeof(*f));
    ms->pages = f;
    ms->nframes = n;
    return 0;
}

static uint64_t frame_init(struct memsys *ms, uint64_t pfn, unsigned order)
{
    if (pfn == NO_PFN) return NO_PFN;
    struct page *f = &ms->pages[pfn];
    page_reset(f, FK_FREE, 0);
    f->order = (uint8_t)order;
    return pfn;
}

uint64_t frames_alloc_uncharged(struct memsys *ms)
{
    if (!ms->rc) return frames_alloc(ms, 0, PA_MOVABLE, PA_WMARK_LOW);
    return frame_init(ms, reclaim_alloc_uncharged(ms->rc, PA_MOVABLE, &ms->reclaim_cycles, &ms->reclaim_stalled), 0);
}

uint64_t frames_alloc(struct memsys *ms, unsigned order, enum pa_migratetype mt, enum pa_watermark w)
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
    return frame_init(ms, pfn, order);
}

void frames_release(struct memsys *ms, uint64_t pfn, unsigned order)
{
    ms->pages[pfn].kind = FK_FREE;
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
    if (pfn == NO_PFN) return PGT_NO_FRAME;
    ms->pages[pfn].kind = FK_PGTABLE;
    /* a page table is kernel memory of the group (GFP_PGTABLE_USER has __GFP_ACCOUNT) */
    if (ms->rc) reclaim_memcg_kmem(ms->rc, 1, &ms->reclaim_cycles);
    return pfn;
}

static void table_frame_release(void *ctx, uint64_t pfn)
{
    struct memsys *ms = ctx;
    if (ms->rc) reclaim_memcg_kmem(ms->rc, -1, NULL);
    frames_release(ms, pfn, 0);
}

/* A task's kernel stack, THREAD_SIZE (16 KiB on x86-64), charged to its memory cgroup
 * (account_kernel_stack). The model keeps one task per address space. */
static int64_t kernel_stack_pages(const struct memsys *ms)
{
    int64_t n = 16384 >> ms->page_shift;
    return n ? n : 1;
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

/* ---- pages reclaim takes from an address space and gives back ---- */

/* Reclaim unmapped a page of mm (anon: its PTE holds a swap entry now): the frame is free. */
void mm_page_reclaimed(struct mm *mm, uint64_t pfn, int anon)
{
    struct memsys *ms = mm->ms;
    if (pfn < ms->nframes) page_reset(&ms->pages[pfn], FK_FREE, 0);
    if (anon) {
        if (mm->c.rss_anon) mm->c.rss_anon--;
        mm->c.swap_ents++;
    } else if (mm->c.rss_file) {
        mm->c.rss_file--;
    }
    mm->c.pgtables_bytes = vmpte_bytes(mm);
}

/* A page of mm came back from swap and is mapped (once) in frame pfn. */
void mm_page_swapped_in(struct mm *mm, uint64_t pfn)
{
    struct memsys *ms = mm->ms;
    if (pfn < ms->nframes) page_reset(&ms->pages[pfn], FK_ANON, 1);
    mm->c.rss_anon++;
    if (mm->c.swap_ents) mm->c.swap_ents--;
    mm->c.pgtables_bytes = vmpte_bytes(mm);
}

static int reclaim_setup(struct memsys *ms, const struct mmsim_config *cfg)
{
    struct reclaim_config rc;
    reclaim_config_defaults(&rc);
    rc.page_shift = ms->page_shift;
    rc.freq_ghz = cfg->cpu.freq_ghz;
    rc.vm.policy = cfg->vmscan.policy;
    rc.evict_cycles = cfg->timing.evict;
    rc.evict_clean_cycles = cfg->timing.evict_clean;
    rc.read_req_cycles = cfg->timing.swap_read_cpu;
    rc.write_req_cycles = cfg->timing.swap_write_cpu;
    rc.log_io_completions = cfg->timing.irq > 0;
    rc.vm.swappiness = cfg->vmscan.swappiness;
    rc.vm.lru_batch = cfg->vmscan.lru_batch;
    rc.vm.ncpu = cfg->cpu.count;
    rc.swap = cfg->swap;
    rc.memcg_limit_pages = cfg->memcg.limit >> ms->page_shift;
    rc.memcg_stats_flush_ns = cfg->memcg.stats_flush;
    rc.memcg_version = cfg->memcg.version;
    rc.memcg_charge_batch = cfg->memcg.charge_batch;
    rc.memcg_stock_drain_ns = cfg->memcg.stock_drain_delay;
    rc.nr_cpus = cfg->cpu.count;
    ms->rc = reclaim_new(ms, &rc);
    return ms->rc ? 0 : -1;
}

struct reclaim *memsys_reclaim(struct memsys *ms) { return ms->rc; }

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
        /* the pages first: the buddy allocator keeps its state in them */
        if (pc.total_pages && frames_reserve(ms, pc.total_pages) == 0) {
            pc.pages = ms->pages;
            ms->pa = page_alloc_new(&pc);
        }
        if (!ms->pa) {
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
    ms->pages[ms->zero_pfn].kind = FK_ZERO;
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
    free(ms->pages);
    free(ms->free_pfns);
    free(ms);
}

struct page_alloc *memsys_page_alloc(struct memsys *ms) { return ms->pa; }

/* ---------------------------------------------------------------- reports ---- */

#define DEF(var, name, unit, kind, desc) static const struct stat_def var = {name, unit, kind, desc, NULL}
DEF(D_OS_PAGE, "page_size", "bytes", STAT_INFO, "the base page size (`memory.page_size`)");
DEF(D_OS_PGFAULT, "pgfault", "faults", STAT_COUNTER, "page faults the OS model handled (/proc/vmstat pgfault)");
DEF(D_OS_PGMAJ, "pgmajfault", "faults", STAT_COUNTER, "of them major: a read from swap or a file (pgmajfault)");
DEF(D_OS_ZERO, "zero_page_maps", "faults", STAT_COUNTER, "read faults of anonymous memory that mapped the shared zero page");
DEF(D_OS_COWC, "cow_copies", "faults", STAT_COUNTER, "write faults that copied a shared page (copy-on-write)");
DEF(D_OS_COWR, "cow_reuses", "faults", STAT_COUNTER, "write faults that reused the page, its only user (wp_page_reuse)");
DEF(D_OS_FAROUND, "fault_around_pages", "pages", STAT_COUNTER, "file pages mapped around a read fault (fault_around_bytes)");
DEF(D_OS_RA, "readahead_pages", "pages", STAT_COUNTER, "file pages read ahead into the page cache");
DEF(D_OS_THPA, "thp_fault_alloc", "faults", STAT_COUNTER, "faults that mapped a transparent huge page (thp_fault_alloc)");
DEF(D_OS_THPF, "thp_fault_fallback", "faults", STAT_COUNTER, "huge-page faults that fell back to base pages (thp_fault_fallback)");
DEF(D_OS_THPZ, "thp_zero_page_maps", "faults", STAT_COUNTER, "read faults that mapped the huge zero page (thp_zero_page_alloc)");
DEF(D_OS_THPS, "thp_split_pmd", "splits", STAT_COUNTER, "huge-page mappings split into page tables (thp_split_pmd)");
DEF(D_OS_SEGV, "segv", "faults", STAT_COUNTER, "faults the OS model answered with SIGSEGV");
DEF(D_OS_OOM, "oom", "faults", STAT_COUNTER, "faults that found no memory");
DEF(D_OS_TOOL, "capture_tool", "faults", STAT_COUNTER, "faults on the capture tool's own memory (DBI traces), kept out of the process's");
DEF(D_PC_FILES, "files", "files", STAT_GAUGE, "files with pages in the page cache");
DEF(D_PC_PAGES, "pages", "pages", STAT_GAUGE, "pages in the page cache (Cached)");
DEF(D_PC_INS, "inserts", "pages", STAT_COUNTER, "pages added to the page cache");
DEF(D_PC_DIRTY, "nr_dirty", "pages", STAT_GAUGE, "dirty page-cache pages (nr_dirty)");
DEF(D_PC_DIRTIED, "nr_dirtied", "pages", STAT_COUNTER, "page-cache pages dirtied (nr_dirtied)");
DEF(D_PC_WRITTEN, "nr_written", "pages", STAT_COUNTER, "dirty page-cache pages written back (nr_written)");
static const struct stat_def D_OS_UNUS_THP = {"unusable_index_thp", "ratio", STAT_RATIO | STAT_NOT_JSON,
    "the unusable free index at the THP order (the JSON has every order: `os.buddy.unusable_index`)",
    "unusable_index_thp"};
#undef DEF

void memsys_publish_stats(const struct memsys *ms, struct stat_out *o)
{
    const struct mem_stats *st = &ms->st;
    stat_group_begin(o, "os");
    stat_u64(o, &D_OS_PAGE, ms->page_size);
    stat_group_begin(o, "faults");
    stat_u64(o, &D_OS_PGFAULT, st->pgfault);
    stat_u64(o, &D_OS_PGMAJ, st->pgmajfault);
    stat_u64(o, &D_OS_ZERO, st->zero_page_maps);
    stat_u64(o, &D_OS_COWC, st->cow_copies);
    stat_u64(o, &D_OS_COWR, st->cow_reuses);
    stat_u64(o, &D_OS_FAROUND, st->fault_around_pages);
    stat_u64(o, &D_OS_RA, st->readahead_pages);
    stat_u64(o, &D_OS_THPA, st->thp_fault_alloc);
    stat_u64(o, &D_OS_THPF, st->thp_fault_fallback);
    stat_u64(o, &D_OS_THPZ, st->thp_zero_maps);
    stat_u64(o, &D_OS_THPS, st->thp_splits);
    stat_u64(o, &D_OS_SEGV, st->segv);
    stat_u64(o, &D_OS_OOM, st->oom);
    stat_u64(o, &D_OS_TOOL, st->tool_faults);
    stat_group_end(o);
    stat_group_begin(o, "page_cache");
    stat_u64(o, &D_PC_FILES, ms->nfiles ? ms->nfiles - 1 : 0);
    stat_u64(o, &D_PC_PAGES, memsys_pagecache_pages(ms));
    stat_u64(o, &D_PC_INS, st->pgcache_inserts);
    stat_u64(o, &D_PC_DIRTY, st->nr_dirty);
    stat_u64(o, &D_PC_DIRTIED, st->nr_dirtied);
    stat_u64(o, &D_PC_WRITTEN, st->nr_written);
    stat_group_end(o);
    if (ms->pa) {
        page_alloc_publish_stats(ms->pa, o, "buddy");
        unsigned max = page_alloc_max_order(ms->pa), thp = ms->pmd_order <= max ? ms->pmd_order : max;
        if (stat_wanted(o, &D_OS_UNUS_THP))
            stat_f64(o, &D_OS_UNUS_THP, page_alloc_unusable_index(ms->pa, thp) / 1000.0);
    }
    if (ms->slub) slub_publish_stats(ms->slub, o, "slab");
    stat_group_end(o);
}

void memsys_report_text(const struct memsys *ms, const struct stat_table *tb, FILE *f)
{
    fprintf(f, "\n  OS model: %llu zero-page maps, %llu COW copies, %llu COW reuses, %llu pages by fault-around,\n"
               "            %llu THP faults (%llu fell back), %llu PMD splits, %llu file pages cached\n",
            (unsigned long long)stat_table_u64(tb, "os.faults.zero_page_maps"),
            (unsigned long long)stat_table_u64(tb, "os.faults.cow_copies"),
            (unsigned long long)stat_table_u64(tb, "os.faults.cow_reuses"),
            (unsigned long long)stat_table_u64(tb, "os.faults.fault_around_pages"),
            (unsigned long long)stat_table_u64(tb, "os.faults.thp_fault_alloc"),
            (unsigned long long)stat_table_u64(tb, "os.faults.thp_fault_fallback"),
            (unsigned long long)stat_table_u64(tb, "os.faults.thp_split_pmd"),
            (unsigned long long)stat_table_u64(tb, "os.page_cache.pages"));
    if (!ms->pa) return;
    fprintf(f, "\n  free %llu of %llu pages; watermarks min %llu low %llu high %llu\n  ",
            (unsigned long long)stat_table_u64(tb, "os.buddy.free_pages"),
            (unsigned long long)stat_table_u64(tb, "os.buddy.total_pages"),
            (unsigned long long)stat_table_u64(tb, "os.buddy.wmark_min"),
            (unsigned long long)stat_table_u64(tb, "os.buddy.wmark_low"),
            (unsigned long long)stat_table_u64(tb, "os.buddy.wmark_high"));
    page_alloc_buddyinfo(ms->pa, f); /* by migrate type: /proc/buddyinfo's own layout */
    unsigned max = page_alloc_max_order(ms->pa);
    fprintf(f, "  %-22s", "fragmentation index");
    for (unsigned o = 0; o <= max; o++)
        fprintf(f, " %6.3f", stat_table_f64(tb, "os.buddy.fragmentation_index.%u", o));
    fprintf(f, "\n  %-22s", "unusable free index");
    for (unsigned o = 0; o <= max; o++)
        fprintf(f, " %6.3f", stat_table_f64(tb, "os.buddy.unusable_index.%u", o));
    fprintf(f, "\n");
    if (ms->slub)
        fprintf(f, "  slab: %llu pages (mmsim replay --json: os.slab for slabinfo)\n",
                (unsigned long long)stat_table_u64(tb, "os.slab.total_pages"));
}

/* ---------------------------------------------------------------- mm ---- */

/* The kernel's pgtables_bytes (VmPTE) counts PTE, PMD and PUD tables: not the PGD (which
 * pgtable_bytes leaves out already), nor the P4D tables of 5-level paging. */
uint64_t vmpte_bytes(const struct mm *mm)
{
    uint64_t all = pgtable_bytes(mm->pt);
    uint64_t top = mm->ms->levels > 4 ? (uint64_t)(mm->ms->levels - 4) << mm->ms->page_shift : 0;
    top += mm->tool_pt_bytes;
    return all > top ? all - top : 0;
}

void note_rss(struct mm *mm)
{
    uint64_t rss = mm->c.rss_anon + mm->c.rss_file + mm->c.rss_shmem;
    if (rss > mm->c.rss_peak) mm->c.rss_peak = rss;
    mm->c.pgtables_bytes = vmpte_bytes(mm);
}

struct mm *mm_alloc(struct memsys *ms)
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
    if (ms->rc) reclaim_memcg_kmem(ms->rc, kernel_stack_pages(ms), &ms->reclaim_cycles);
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

uint64_t leaf_pages(const struct memsys *ms, unsigned level)
{
    return (uint64_t)1 << ((level - 1) * (ms->page_shift - 3));
}

/* pte: the entry's flags; pages of the capture tool's mappings are not the process's. */
void rss_add(struct mm *mm, const struct page *f, int64_t pages, uint64_t pte)
{
    if (pte & PTE_TOOL) return;
    uint64_t *ctr = f->kind == FK_ANON ? &mm->c.rss_anon
                    : mm->ms->files[page_file(f)].shmem ? &mm->c.rss_shmem : &mm->c.rss_file;
    if (pages < 0 && (uint64_t)-pages > *ctr) *ctr = 0;
    else *ctr += (uint64_t)pages;
}

/* A mapping of a frame went away (zap_pte_range): drop the reference, free an anonymous
 * page nobody maps. */
void put_leaf(void *ctx, uint64_t va, uint64_t pte, unsigned level)
{
    struct mm *mm = ctx;
    struct memsys *ms = mm->ms;
    (void)va;
    if (pte & PTE_ZERO) return;
    uint64_t pfn = pte_pfn(pte);
    if (pfn >= ms->nframes) return;
    struct page *f = &ms->pages[pfn];
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

int split_huge_leaf(struct mm *mm, uint64_t va)
{
    struct memsys *ms = mm->ms;
    unsigned level;
    uint64_t pte = pgtable_lookup(mm->pt, va, &level);
    if (!pte || level < 2) return 0;
    uint64_t size = ms->page_size << ((level - 1) * (ms->page_shift - 3));
    uint64_t base = va & ~(size - 1), n = size >> ms->page_shift, pfn = pte_pfn(pte);
    int folio = !(pte & PTE_ZERO) && pfn < ms->nframes && ms->pages[pfn].kind == FK_ANON && ms->pages[pfn].order;
    if (split_pmd_mapping(mm, base, size, pte)) return -1;
    if (!folio) return 0;
    /* The model keeps a map count per frame, so the huge page is split into base pages
     * at once (split_huge_page); the other address spaces that map it huge after fork
     * (at the same address) get base-page entries too. */
    uint32_t mc = ms->pages[pfn].mapcount;
    for (struct mm *o = ms->mms; o && mc > 1; o = o->mm_next) {
        unsigned l;
        uint64_t e = o == mm ? 0 : pgtable_lookup(o->pt, base, &l);
        if (e && l == level && pte_pfn(e) == pfn && split_pmd_mapping(o, base, size, e)) return -1;
    }
    if (ms->pa) page_alloc_split(ms->pa, pfn, ms->pages[pfn].order);
    for (uint64_t i = 0; i < n; i++) page_reset(&ms->pages[pfn + i], FK_ANON, mc);
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
void zap_range(struct mm *mm, uint64_t start, uint64_t end)
{
    if (start >= end) return;
    split_huge_leaf(mm, start);
    if (end) split_huge_leaf(mm, end - 1);
    pgtable_unmap_range(mm->pt, start, end, put_leaf, mm);
    drop_swap(mm, start, end);
    note_rss(mm);
}

void zap_all(struct mm *mm)
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
    if (ms->rc) reclaim_memcg_kmem(ms->rc, -kernel_stack_pages(ms), NULL);
    if (ms->slub)
        for (int i = 0; i < 6; i++)
            if (mm->obj[i]) slub_release(ms->slub, task_objs[i], mm->obj[i]);
    free(mm);
}

/* ---------------------------------------------------------------- faults ---- */

uint64_t vma_pgoff(const struct memsys *ms, const struct vma *v, uint64_t va)
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
    ms->pages[pfn].kind = FK_ANON;
    ms->pages[pfn].mapcount = 1;
    /* a page-table frame taken here may grow (move) the frame array in unlimited mode:
     * index it again afterwards */
    if (map_frame(mm, va, pfn, level, pte_flags_for(v, writable))) {
        frames_release(ms, pfn, ms->pages[pfn].order);
        return -1;
    }
    vmas_mark_anon(&mm->vmas, v);
    rss_add(mm, &ms->pages[pfn], (int64_t)leaf_pages(ms, level), pte_flags_for(v, 1));
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
            ms->pages[ms->huge_zero_pfn].kind = FK_ZERO;
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
    struct page *f = &ms->pages[pfn];
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
        if (!(pte & PTE_ZERO) && ms->pages[pfn].mapcount == 1) { /* exclusive THP: reuse */
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
    struct page *f = &ms->pages[pfn];
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
    pgtable_zap_range(mm->pt, page, page + ms->page_size, put_leaf, mm);
    if (!(pte & PTE_ZERO)) ms->st.cow_copies++;
    return map_new_anon(mm, v, page, copy, 1);
}

/* do_swap_page: the page is on swap: read it (with readahead) and map it; the task waits
 * for the device, or spends the time itself on a synchronous device (zram). A page found
 * in the swap cache (read ahead) is mapped at once: a minor fault. As a 6.x kernel does,
 * a read fault in a writable VMA maps a page this process holds alone writable but clean
 * (reclaim_swapin): it stays in the swap cache, the store that follows sets the PTE's
 * dirty bit without a fault (the engine's dirty-bit assist), and reclaim writes the page
 * again only if that bit is set. A write fault maps it dirty and frees its slot. */
static void do_swap_page(struct mm *mm, struct vma *v, uint64_t va, int write, struct fault_result *res)
{
    struct memsys *ms = mm->ms;
    struct swapin_result sr;
    uint64_t flags = pte_flags_for(v, (v->prot & VMA_WRITE) != 0);
    if (!write) flags &= ~PTE_DIRTY;
    int rc = reclaim_swapin(ms->rc, mm, va, flags, &sr);
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

static void handle_fault(struct memsys *ms, struct mm *mm, uint64_t vaddr, unsigned flags, struct fault_result *res)
{
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
        /* present: a write to a read-only entry, or a stale translation (spurious); a
         * write to a writable clean entry dirties it (handle_pte_fault: pte_mkdirty) */
        rc = write && !(pte & PTE_WRITE) ? do_wp_page(mm, v, vaddr, pte, level) : 0;
        if (write && (pte & PTE_WRITE) && !(pte & PTE_DIRTY)) pgtable_update(mm->pt, vaddr, PTE_DIRTY, 0);
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

void mm_handle_fault(struct memsys *ms, struct mm *mm, uint64_t vaddr, unsigned flags, struct fault_result *res)
{
    memset(res, 0, sizeof *res);
    handle_fault(ms, mm, vaddr, flags, res);
    /* the swap requests the fault submitted (its read, reclaim's writes) cost it CPU */
    if (ms->rc)
        res->cycles += reclaim_take_io_cycles(ms->rc);
}
