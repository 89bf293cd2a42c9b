/* memory.c - a first, simple OS memory model (mm/memory.c): every address is valid
 * anonymous memory; the first touch of a page is a minor fault that maps a frame; munmap,
 * madvise(DONTNEED), brk shrink and exec unmap and free; mprotect changes write access;
 * fork copies eagerly. VMAs, the zero page, file faults, COW, THP and reclaim come later. */
#include "model/memory.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/config.h"
#include "model/page_alloc.h"
#include "model/pgtable.h"

#define MEM_PROT_WRITE 2
#define MEM_MADV_DONTNEED 4

struct memsys {
    struct page_alloc *pa; /* NULL with unlimited memory */
    unsigned page_shift, levels;
    uint64_t next_pfn;      /* unlimited memory: frames come from a counter ... */
    uint64_t *free_pfns;    /* ... and go back to a stack */
    size_t nfree, capfree;
    uint64_t minor_cycles;
};

struct mm {
    struct memsys *ms;
    struct pgtable *pt;
    struct mm_counters c;
    uint64_t brk;
};

static uint64_t frame_alloc(struct memsys *ms, enum pa_migratetype mt)
{
    if (ms->pa)
        return page_alloc_alloc(ms->pa, 0, mt, mt == PA_UNMOVABLE ? PA_WMARK_NONE : PA_WMARK_MIN);
    if (ms->nfree)
        return ms->free_pfns[--ms->nfree];
    return ms->next_pfn++;
}

static void frame_release(struct memsys *ms, uint64_t pfn)
{
    if (ms->pa) {
        page_alloc_release(ms->pa, pfn, 0);
        return;
    }
    if (ms->nfree == ms->capfree) {
        size_t cap = ms->capfree ? ms->capfree * 2 : 1024;
        uint64_t *n = realloc(ms->free_pfns, cap * sizeof *n);
        if (!n)
            return; /* the frame is lost to the counter; harmless with unlimited memory */
        ms->free_pfns = n;
        ms->capfree = cap;
    }
    ms->free_pfns[ms->nfree++] = pfn;
}

static uint64_t table_frame_alloc(void *ctx) { return frame_alloc(ctx, PA_UNMOVABLE); }
static void table_frame_release(void *ctx, uint64_t pfn) { frame_release(ctx, pfn); }

struct memsys *memsys_new(const struct mmsim_config *cfg, char *err, unsigned long errlen)
{
    struct memsys *ms = calloc(1, sizeof *ms);
    if (!ms) {
        snprintf(err, errlen, "memsys: out of memory");
        return NULL;
    }
    ms->page_shift = config_page_shift(cfg);
    ms->levels = cfg->walker.levels;
    ms->minor_cycles = cfg->timing.minor_fault;
    ms->next_pfn = 1; /* keep frame 0 out, as the kernel does */
    if (!cfg->memory.unlimited) {
        struct page_alloc_config pc = {.total_pages = cfg->memory.size >> ms->page_shift,
                                       .page_shift = ms->page_shift};
        ms->pa = page_alloc_new(&pc);
        if (!ms->pa) {
            snprintf(err, errlen, "memsys: cannot set up %llu pages of physical memory",
                     (unsigned long long)pc.total_pages);
            free(ms);
            return NULL;
        }
    }
    return ms;
}

void memsys_free(struct memsys *ms)
{
    if (!ms)
        return;
    if (ms->pa)
        page_alloc_free_all(ms->pa);
    free(ms->free_pfns);
    free(ms);
}

struct page_alloc *memsys_page_alloc(struct memsys *ms) { return ms->pa; }

struct mm *mm_new(struct memsys *ms)
{
    struct mm *mm = calloc(1, sizeof *mm);
    if (!mm)
        return NULL;
    struct pgtable_frames fr = {table_frame_alloc, table_frame_release, ms};
    mm->ms = ms;
    mm->pt = pgtable_new(ms->levels, ms->page_shift, &fr);
    if (!mm->pt) {
        free(mm);
        return NULL;
    }
    mm->c.pgtables_bytes = pgtable_bytes(mm->pt);
    return mm;
}

struct pgtable *mm_pgtable(struct mm *mm) { return mm->pt; }
const struct mm_counters *mm_counters(const struct mm *mm) { return &mm->c; }

static void free_leaf(void *ctx, uint64_t va, uint64_t pte, unsigned level)
{
    struct mm *mm = ctx;
    (void)va;
    uint64_t pages = 1ULL << ((level - 1) * (mm->ms->page_shift - 3));
    for (uint64_t i = 0; i < pages; i++)
        frame_release(mm->ms, pte_pfn(pte) + i);
    mm->c.rss_anon -= pages <= mm->c.rss_anon ? pages : mm->c.rss_anon;
}

static void unmap(struct mm *mm, uint64_t start, uint64_t end)
{
    pgtable_unmap_range(mm->pt, start, end, free_leaf, mm);
    mm->c.pgtables_bytes = pgtable_bytes(mm->pt);
}

static void note_rss(struct mm *mm)
{
    uint64_t rss = mm->c.rss_anon + mm->c.rss_file + mm->c.rss_shmem;
    if (rss > mm->c.rss_peak)
        mm->c.rss_peak = rss;
}

struct fork_ctx {
    struct mm *child;
    int failed;
};

static void copy_page(void *ctx, uint64_t va, uint64_t pte, unsigned level)
{
    struct fork_ctx *f = ctx;
    struct mm *c = f->child;
    if (f->failed || level != 1)
        return; /* only base pages exist in this model */
    uint64_t pfn = frame_alloc(c->ms, PA_MOVABLE);
    if (pfn == PA_NO_PFN || pgtable_map(c->pt, va, pfn, 1, pte & PTE_FLAGS_MASK, NULL)) {
        if (pfn != PA_NO_PFN)
            frame_release(c->ms, pfn);
        f->failed = 1;
        return;
    }
    c->c.rss_anon++;
}

struct mm *mm_fork(struct memsys *ms, struct mm *parent)
{
    struct mm *child = mm_new(ms);
    if (!child)
        return NULL;
    struct fork_ctx f = {child, 0};
    pgtable_for_each(parent->pt, 0, 0, copy_page, &f);
    child->brk = parent->brk;
    child->c.pgtables_bytes = pgtable_bytes(child->pt);
    note_rss(child);
    return child;
}

void mm_destroy(struct memsys *ms, struct mm *mm)
{
    (void)ms;
    if (!mm)
        return;
    unmap(mm, 0, 0);
    pgtable_free(mm->pt);
    free(mm);
}

int mm_event(struct memsys *ms, struct mm *mm, const struct mmt_event *ev, struct mm_inval *inval)
{
    (void)ms;
    memset(inval, 0, sizeof *inval);
    uint64_t a0 = ev->nargs > 0 ? ev->args[0] : 0, a1 = ev->nargs > 1 ? ev->args[1] : 0;
    uint64_t page = 1ULL << mm->ms->page_shift;
    uint64_t len = (a1 + page - 1) & ~(page - 1);
    switch (ev->type) {
    case MMT_EV_MUNMAP:
        if (ev->result != 0 && ev->nargs >= 2 && ev->result < 0)
            break;
        unmap(mm, a0, a0 + len);
        inval->start = a0;
        inval->end = a0 + len;
        break;
    case MMT_EV_MADVISE:
        if (ev->nargs >= 3 && ev->args[2] == MEM_MADV_DONTNEED && ev->result == 0) {
            unmap(mm, a0, a0 + len);
            inval->start = a0;
            inval->end = a0 + len;
        }
        break;
    case MMT_EV_MPROTECT:
        if (ev->nargs >= 3 && ev->result == 0) {
            int w = (ev->args[2] & MEM_PROT_WRITE) != 0;
            pgtable_protect_range(mm->pt, a0, a0 + len, w ? PTE_WRITE : 0, w ? 0 : PTE_WRITE);
            inval->start = a0;
            inval->end = a0 + len;
        }
        break;
    case MMT_EV_MREMAP:
        if (ev->result >= 0 && (uint64_t)ev->result != a0) {
            unmap(mm, a0, a0 + len);
            inval->start = a0;
            inval->end = a0 + len;
        }
        break;
    case MMT_EV_BRK:
        if (ev->result > 0) {
            uint64_t nb = (uint64_t)ev->result;
            if (mm->brk && nb < mm->brk) {
                uint64_t s = (nb + page - 1) & ~(page - 1);
                unmap(mm, s, mm->brk);
                inval->start = s;
                inval->end = mm->brk;
            }
            mm->brk = nb;
        }
        break;
    case MMT_EV_EXEC:
        unmap(mm, 0, 0);
        mm->brk = 0;
        inval->all = 1;
        break;
    default:
        break;
    }
    return 0;
}

void mm_handle_fault(struct memsys *ms, struct mm *mm, uint64_t vaddr, unsigned flags,
                     struct fault_result *res)
{
    memset(res, 0, sizeof *res);
    unsigned level;
    uint64_t pte = pgtable_lookup(mm->pt, vaddr, &level);
    if (pte) {
        /* present: a write met a read-only entry; anonymous memory here is always writable
         * unless mprotect said otherwise, which this first model does not enforce */
        if ((flags & FAULT_FLAG_WRITE) && !(pte & PTE_WRITE))
            pgtable_update(mm->pt, vaddr, PTE_WRITE | PTE_DIRTY, 0);
        res->kind = FAULT_MINOR;
        res->cycles = ms->minor_cycles;
        mm->c.min_flt++;
        return;
    }
    uint64_t pfn = frame_alloc(ms, PA_MOVABLE);
    if (pfn == PA_NO_PFN) {
        res->kind = FAULT_OOM;
        return;
    }
    uint64_t fl = PTE_WRITE | PTE_USER | PTE_ACCESSED | ((flags & FAULT_FLAG_WRITE) ? PTE_DIRTY : 0);
    if (pgtable_map(mm->pt, vaddr & ~((1ULL << ms->page_shift) - 1), pfn, 1, fl, NULL)) {
        frame_release(ms, pfn);
        res->kind = FAULT_OOM;
        return;
    }
    mm->c.rss_anon++;
    mm->c.min_flt++;
    mm->c.pgtables_bytes = pgtable_bytes(mm->pt);
    note_rss(mm);
    res->kind = FAULT_MINOR;
    res->cycles = ms->minor_cycles;
}
