/* fork.c - fork of an address space (kernel/fork.c dup_mmap, mm/memory.c copy_page_range):
 * the VMAs are copied, page tables only where anonymous pages live, private writable
 * pages are write-protected in parent and child for copy-on-write. See mm_internal.h. */
#include "model/mm_internal.h"

#include "model/reclaim.h"

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
    struct page *f = &ms->pages[pfn];
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
