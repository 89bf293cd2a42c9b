/* mmap.c - the VMA set of one address space: a sorted array of non-overlapping ranges.
 * Every change splits the VMAs that straddle its ends (__split_vma) and merges neighbours
 * that became compatible (vma_merge: same prot, flags and file, contiguous offsets). */
#include "model/mmap.h"

#include <stdlib.h>
#include <string.h>

#include "model/mm_internal.h"
#include "model/reclaim.h"
#include "model/slub.h"

/* ---- slab objects for vm_area_struct ---- */

static uint64_t vma_obj_new(struct vma_set *s)
{
    return s->slub ? slub_alloc(s->slub, SLAB_VM_AREA_STRUCT) : 0;
}

static void vma_obj_free(struct vma_set *s, uint64_t obj)
{
    if (s->slub && obj) slub_release(s->slub, SLAB_VM_AREA_STRUCT, obj);
}

static uint64_t obj_new(struct vma_set *s, enum slub_cache_id id)
{
    return s->slub ? slub_alloc(s->slub, id) : 0;
}

/* A VMA's slab objects go: vm_area_struct, anon_vma_chain, the anon_vma it created. */
static void vma_objs_free(struct vma_set *s, struct vma *v)
{
    vma_obj_free(s, v->slab_obj);
    if (s->slub && v->avc_obj) slub_release(s->slub, SLAB_ANON_VMA_CHAIN, v->avc_obj);
    if (s->slub && v->anon_vma_obj) slub_release(s->slub, SLAB_ANON_VMA, v->anon_vma_obj);
    v->slab_obj = v->avc_obj = v->anon_vma_obj = 0;
}

void vmas_mark_anon(struct vma_set *s, struct vma *v)
{
    if (v->flags & VMA_ANON_VMA) return;
    v->flags |= VMA_ANON_VMA;
    v->anon_vma_obj = obj_new(s, SLAB_ANON_VMA);
    v->avc_obj = obj_new(s, SLAB_ANON_VMA_CHAIN);
}

/* ---- the array ---- */

int vmas_init(struct vma_set *s, struct slub *slub, uint64_t page_size)
{
    memset(s, 0, sizeof(*s));
    s->slub = slub;
    s->page_size = page_size ? page_size : 4096;
    return 0;
}

void vmas_destroy(struct vma_set *s)
{
    for (size_t i = 0; i < s->n; i++) vma_objs_free(s, &s->v[i]);
    free(s->v);
    s->v = NULL;
    s->n = s->cap = 0;
}

static int reserve(struct vma_set *s, size_t extra)
{
    if (s->n + extra <= s->cap) return 0;
    size_t cap = s->cap ? s->cap * 2 : 16;
    while (cap < s->n + extra) cap *= 2;
    struct vma *v = realloc(s->v, cap * sizeof(*v));
    if (!v) return -1;
    s->v = v;
    s->cap = cap;
    return 0;
}

static void note_count(struct vma_set *s)
{
    if (s->n > s->map_count_peak) s->map_count_peak = s->n;
}

int vmas_copy(struct vma_set *dst, const struct vma_set *src)
{
    vmas_init(dst, src->slub, src->page_size);
    dst->heap = src->heap;
    if (reserve(dst, src->n ? src->n : 1)) return -1;
    for (size_t i = 0; i < src->n; i++) {
        if (src->v[i].flags & VMA_DONTCOPY) continue;
        struct vma *v = &dst->v[dst->n++];
        *v = src->v[i];
        v->slab_obj = vma_obj_new(dst);
        /* anon_vma_fork: the child gets its own anon_vma and a chain to it */
        v->avc_obj = v->anon_vma_obj = 0;
        if (v->flags & VMA_ANON_VMA) {
            v->anon_vma_obj = obj_new(dst, SLAB_ANON_VMA);
            v->avc_obj = obj_new(dst, SLAB_ANON_VMA_CHAIN);
        }
    }
    note_count(dst);
    return 0;
}

/* Index of the first VMA with end > addr (n when none). */
static size_t lower_bound(const struct vma_set *s, uint64_t addr)
{
    size_t lo = 0, hi = s->n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (s->v[mid].end > addr) hi = mid;
        else lo = mid + 1;
    }
    return lo;
}

struct vma *vmas_find_next(const struct vma_set *s, uint64_t addr)
{
    size_t i = lower_bound(s, addr);
    return i < s->n ? &s->v[i] : NULL;
}

struct vma *vmas_find(const struct vma_set *s, uint64_t addr)
{
    struct vma *v = vmas_find_next(s, addr);
    return v && v->start <= addr ? v : NULL;
}

size_t vmas_count(const struct vma_set *s) { return s->n; }

static int insert_at(struct vma_set *s, size_t i, const struct vma *v)
{
    if (reserve(s, 1)) return -1;
    memmove(&s->v[i + 1], &s->v[i], (s->n - i) * sizeof(*v));
    s->v[i] = *v;
    s->n++;
    note_count(s);
    return 0;
}

static void remove_span(struct vma_set *s, size_t i, size_t j)
{
    if (i >= j) return;
    for (size_t k = i; k < j; k++) vma_objs_free(s, &s->v[k]);
    memmove(&s->v[i], &s->v[j], (s->n - j) * sizeof(struct vma));
    s->n -= j - i;
}

/* __split_vma: a VMA strictly containing addr becomes [start, addr) and [addr, end). */
static int split_at(struct vma_set *s, uint64_t addr)
{
    size_t i = lower_bound(s, addr);
    if (i == s->n || s->v[i].start >= addr) return 0;
    struct vma upper = s->v[i];
    upper.start = addr;
    upper.off += addr - s->v[i].start;
    upper.slab_obj = vma_obj_new(s);
    /* the halves share the anon_vma; the new one gets its own chain (anon_vma_clone) */
    upper.anon_vma_obj = 0;
    upper.avc_obj = (upper.flags & VMA_ANON_VMA) ? obj_new(s, SLAB_ANON_VMA_CHAIN) : 0;
    if (insert_at(s, i + 1, &upper)) {
        vma_objs_free(s, &upper);
        return -1;
    }
    s->v[i].end = addr;
    return 0;
}

static int compatible(const struct vma *a, const struct vma *b)
{
    return a->end == b->start && a->prot == b->prot &&
           (a->flags & ~VMA_ANON_VMA) == (b->flags & ~VMA_ANON_VMA) && a->file == b->file &&
           a->off + (a->end - a->start) == b->off && !(a->flags & (VMA_SPECIAL | VMA_GROWSDOWN));
}

/* Merge compatible neighbours from the VMA before start to the one after end. */
static void merge_around(struct vma_set *s, uint64_t start, uint64_t end)
{
    size_t i = lower_bound(s, start);
    if (i > 0) i--;
    while (i + 1 < s->n && s->v[i].start <= end) {
        if (compatible(&s->v[i], &s->v[i + 1])) {
            s->v[i].end = s->v[i + 1].end;
            if (!(s->v[i].flags & VMA_ANON_VMA) && (s->v[i + 1].flags & VMA_ANON_VMA)) {
                s->v[i].flags |= VMA_ANON_VMA; /* the merged VMA takes the anon_vma over */
                s->v[i].avc_obj = s->v[i + 1].avc_obj;
                s->v[i].anon_vma_obj = s->v[i + 1].anon_vma_obj;
                s->v[i + 1].avc_obj = s->v[i + 1].anon_vma_obj = 0;
            }
            remove_span(s, i + 1, i + 2);
        } else {
            i++;
        }
    }
}

static int page_range(const struct vma_set *s, uint64_t *start, uint64_t *end)
{
    uint64_t mask = s->page_size - 1;
    *start &= ~mask;
    if (*end > UINT64_MAX - mask) return -1;
    *end = (*end + mask) & ~mask;
    return *start < *end ? 0 : -1;
}

/* ---- operations ---- */

int vmas_unmap(struct vma_set *s, uint64_t start, uint64_t end)
{
    if (page_range(s, &start, &end)) return -1;
    if (split_at(s, start) || split_at(s, end)) return -1;
    size_t i = lower_bound(s, start), j = i;
    while (j < s->n && s->v[j].start < end) j++;
    remove_span(s, i, j);
    return 0;
}

int vmas_map(struct vma_set *s, uint64_t start, uint64_t end, uint32_t prot, uint32_t flags, uint32_t file,
             uint64_t off)
{
    if (page_range(s, &start, &end)) return -1;
    if (vmas_unmap(s, start, end)) return -1;
    struct vma v = {.start = start, .end = end, .off = file ? off : start, .prot = prot, .flags = flags,
                    .file = file};
    v.slab_obj = vma_obj_new(s);
    if (insert_at(s, lower_bound(s, start), &v)) {
        vma_objs_free(s, &v);
        return -1;
    }
    merge_around(s, start, end);
    return 0;
}

/* Split at both ends, then apply fn to every VMA inside, then merge. */
static int modify_range(struct vma_set *s, uint64_t start, uint64_t end, uint32_t prot, uint32_t set,
                        uint32_t clear, int is_prot)
{
    if (page_range(s, &start, &end)) return -1;
    if (split_at(s, start) || split_at(s, end)) return -1;
    for (size_t i = lower_bound(s, start); i < s->n && s->v[i].start < end; i++) {
        if (is_prot) s->v[i].prot = prot;
        else s->v[i].flags = (s->v[i].flags | set) & ~clear;
    }
    merge_around(s, start, end);
    return 0;
}

int vmas_protect(struct vma_set *s, uint64_t start, uint64_t end, uint32_t prot)
{
    return modify_range(s, start, end, prot & (VMA_READ | VMA_WRITE | VMA_EXEC), 0, 0, 1);
}

int vmas_set_flags(struct vma_set *s, uint64_t start, uint64_t end, uint32_t set, uint32_t clear)
{
    return modify_range(s, start, end, 0, set, clear, 0);
}

int vmas_remap(struct vma_set *s, uint64_t old, uint64_t old_len, uint64_t new_addr, uint64_t new_len)
{
    uint64_t mask = s->page_size - 1;
    old &= ~mask;
    old_len = (old_len + mask) & ~mask;
    new_len = (new_len + mask) & ~mask;
    if (!new_len) return -1;
    const struct vma *src = vmas_find(s, old);
    if (!src) return -1;
    struct vma a = *src;
    a.off += old - a.start;
    if (new_addr == old) {
        if (new_len < old_len) return vmas_unmap(s, old + new_len, old + old_len);
        if (new_len == old_len) return 0;
        uint64_t off = a.file ? a.off + old_len : old + old_len;
        /* growing in place keeps the offsets contiguous, so the new part merges */
        if (vmas_map(s, old + old_len, old + new_len, a.prot, a.flags, a.file, off)) return -1;
        if (!a.file) { /* an anonymous extension continues the original vm_pgoff */
            struct vma *v = vmas_find(s, old + old_len);
            if (v && v->start == old + old_len) v->off = a.off + old_len;
            merge_around(s, old, old + new_len);
        }
        return 0;
    }
    if (old_len && vmas_unmap(s, old, old + old_len)) return -1;
    if (vmas_map(s, new_addr, new_addr + new_len, a.prot, a.flags, a.file, a.off)) return -1;
    if (!a.file) { /* a moved anonymous VMA keeps its vm_pgoff */
        struct vma *v = vmas_find(s, new_addr);
        if (v && v->start == new_addr && v->end == new_addr + new_len) v->off = a.off;
        merge_around(s, new_addr, new_addr + new_len);
    }
    return 0;
}

void vma_heap_brk(struct vma_heap *h, uint64_t new_brk)
{
    if (!h->known) {
        h->start_brk = h->brk = new_brk;
        h->known = 1;
    } else if (new_brk >= h->start_brk) { /* below it the kernel refuses; brk stays */
        h->brk = new_brk;
    }
}

int vmas_brk(struct vma_set *s, uint64_t new_brk)
{
    uint64_t mask = s->page_size - 1;
    struct vma_heap old = s->heap;
    vma_heap_brk(&s->heap, new_brk);
    if (!old.known || s->heap.brk == old.brk) return 0;
    uint64_t old_end = (old.brk + mask) & ~mask, new_end = (new_brk + mask) & ~mask;
    int rc = 0;
    if (new_end > old_end) rc = vmas_map(s, old_end, new_end, VMA_READ | VMA_WRITE, 0, 0, old_end);
    else if (new_end < old_end) rc = vmas_unmap(s, new_end, old_end);
    if (rc) s->heap.brk = old.brk;
    return rc;
}

struct vma *vmas_expand_stack(struct vma_set *s, uint64_t addr, uint64_t guard_gap)
{
    size_t i = lower_bound(s, addr);
    if (i == s->n) return NULL;
    struct vma *v = &s->v[i];
    if (v->start <= addr || !(v->flags & VMA_GROWSDOWN)) return NULL;
    uint64_t a = addr & ~(s->page_size - 1);
    if (i > 0) {
        const struct vma *prev = &s->v[i - 1];
        if (!(prev->flags & VMA_GROWSDOWN) && prev->prot && a - prev->end < guard_gap) return NULL;
    }
    v->off -= v->start - a;
    v->start = a;
    return v;
}

/* ---- the trace's OS events applied to an address space (mm_event, model/memory.h):
 * mmap, munmap, mremap, brk, mprotect, madvise, file I/O and exec change the VMAs above and
 * the pages and page tables of the memory model (mm_internal.h) ---- */

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
        if (pte && (!w || (pte & PTE_WRITE))) {
            /* a write through GUP (follow_page_pte, FOLL_WRITE) dirties a clean writable page */
            if (w && !(pte & PTE_DIRTY)) pgtable_update(mm->pt, a, PTE_DIRTY, 0);
            continue;
        }
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

static int inner_range(uint64_t page_size, uint64_t start, uint64_t len, uint64_t *s, uint64_t *e)
{
    uint64_t mask = page_size - 1, tmask = TRACE_PAGE - 1;
    if (len > UINT64_MAX - start - page_size) return -1;
    *s = (start + mask) & ~mask;
    *e = ((start + len + tmask) & ~tmask) & ~mask;
    return *e > *s ? 0 : -1;
}

/* A new mapping's range: trace pages rounded out to model pages. */
static void outer_range(uint64_t page_size, uint64_t start, uint64_t len, struct mm_inval *r)
{
    uint64_t mask = page_size - 1, tmask = TRACE_PAGE - 1;
    if (len > UINT64_MAX - start - page_size) return;
    uint64_t tend = (start + len + tmask) & ~tmask;
    r->start = (start & ~tmask) & ~mask;
    r->end = (tend + mask) & ~mask;
    if (r->end <= r->start) r->start = r->end = 0;
}

static void shrink_range(uint64_t page_size, uint64_t start, uint64_t len, struct mm_inval *r)
{
    if (inner_range(page_size, start, len, &r->start, &r->end)) r->start = r->end = 0;
}

void mm_event_range(const struct mmt_event *ev, uint64_t page_size, const struct vma_heap *heap,
                    struct mm_inval *r)
{
    memset(r, 0, sizeof *r);
    const uint64_t *a = ev->args;
    unsigned n = ev->nargs;
    uint64_t mask = page_size - 1;
    switch (ev->type) {
    case MMT_EV_MAP_INITIAL:
        if (n >= 4 && a[1] > a[0]) outer_range(page_size, a[0], a[1] - a[0], r);
        break;
    case MMT_EV_MMAP:
        if (n >= 4 && ev->result >= 0 && (ev->result & (int64_t)(TRACE_PAGE - 1)) == 0)
            outer_range(page_size, (uint64_t)ev->result, a[1], r);
        break;
    case MMT_EV_MUNMAP:
        if (n >= 2 && ev->result == 0) shrink_range(page_size, a[0], a[1], r);
        break;
    case MMT_EV_MPROTECT:
        if (n >= 3 && ev->result == 0) shrink_range(page_size, a[0], a[1], r);
        break;
    case MMT_EV_MADVISE:
        if (n >= 3 && ev->result == 0 && (a[2] == LX_MADV_DONTNEED || a[2] == LX_MADV_REMOVE))
            shrink_range(page_size, a[0], a[1], r);
        break;
    case MMT_EV_MREMAP:
        if (n >= 3 && ev->result >= 0) {
            uint64_t old_len = (a[1] + mask) & ~mask, new_len = (a[2] + mask) & ~mask;
            r->start = a[0] & ~mask;
            r->end = r->start + (old_len > new_len ? old_len : new_len);
        }
        break;
    case MMT_EV_BRK:
        if (ev->result > 0) {
            uint64_t nb = (uint64_t)ev->result;
            if (heap->known && nb < heap->brk && nb >= heap->start_brk) {
                r->start = (nb + mask) & ~mask;
                r->end = (heap->brk + mask) & ~mask;
            }
        }
        break;
    case MMT_EV_EXEC: r->all = 1; break;
    default: break;
    }
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

/* inval holds the new mapping's range from mm_event_range; it may shrink here. */
static void ev_map(struct memsys *ms, struct mm *mm, uint64_t start, uint64_t len, uint64_t prot, uint64_t mflags,
                   uint64_t off, uint64_t inode, const char *path, int initial, struct mm_inval *inval)
{
    uint64_t mask = ms->page_size - 1, tmask = TRACE_PAGE - 1;
    uint64_t tstart = start & ~tmask, tend = (start + len + tmask) & ~tmask;
    uint64_t end = inval->end;
    start = inval->start;
    memset(inval, 0, sizeof *inval);
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
    if (path && !strcmp(path, "[heap]")) mm->vmas.heap = (struct vma_heap){start, end, 1};
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
    if (!src) {
        memset(inval, 0, sizeof *inval); /* nothing moved */
        return;
    }
    struct vma keep = *src;
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
    const struct page *f = &ms->pages[pte_pfn(pte)];
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
static void ev_mprotect(struct mm *mm, uint64_t start, uint64_t end, uint32_t prot)
{
    split_huge_leaf(mm, start);
    split_huge_leaf(mm, end - 1);
    vmas_protect(&mm->vmas, start, end, prot);
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

static void ev_madvise(struct memsys *ms, struct mm *mm, uint64_t start, uint64_t len, uint64_t advice)
{
    uint64_t end;
    if (inner_range(ms->page_size, start, len, &start, &end)) return;
    switch (advice) {
    case LX_MADV_DONTNEED:
    case LX_MADV_REMOVE: zap_range(mm, start, end); break; /* mm_event_range drops the range */
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
    int write = ev->type == MMT_EV_FILE_WRITE;
    for (uint64_t p = first; p <= last; p++) {
        uint64_t pfn = pc_find(ms, file, p);
        /* a read of a page a warm cache held is that cached page (another group's, with
         * a memory cgroup); a write may create the page: this task's */
        if (pfn == NO_PFN)
            pfn = !write && pc_cached(ms, file, p) ? pc_get_cached(ms, file, p) : pc_insert(ms, file, p);
        if (pfn == NO_PFN) return;
        if (write) file_page_dirtied(ms, pfn);
    }
}

static void ev_exec(struct mm *mm)
{
    zap_all(mm);
    mm->guessed_stack = 0;
    struct slub *slub = mm->vmas.slub;
    uint64_t ps = mm->vmas.page_size;
    vmas_destroy(&mm->vmas);
    vmas_init(&mm->vmas, slub, ps);
    mm->c.rss_anon = mm->c.rss_file = mm->c.rss_shmem = 0;
}

int mm_event(struct memsys *ms, struct mm *mm, const struct mmt_event *ev, struct mm_inval *inval)
{
    mm_event_range(ev, ms->page_size, &mm->vmas.heap, inval);
    const uint64_t *a = ev->args;
    unsigned n = ev->nargs;
    int ranged = inval->end > inval->start;
    switch (ev->type) {
    case MMT_EV_MAP_INITIAL:
        mm->saw_maps = 1;
        if (ranged)
            ev_map(ms, mm, a[0], a[1] - a[0], a[2], a[3], n > 4 ? a[4] : 0, n > 5 ? a[5] : 0, ev->path, 1, inval);
        break;
    case MMT_EV_MMAP:
        mm->saw_maps = 1;
        if (ranged) ev_map(ms, mm, (uint64_t)ev->result, a[1], a[2], a[3], n > 5 ? a[5] : 0, 0, ev->path, 0, inval);
        break;
    case MMT_EV_MUNMAP:
        if (ranged) {
            zap_range(mm, inval->start, inval->end);
            vmas_unmap(&mm->vmas, inval->start, inval->end);
        }
        break;
    case MMT_EV_MREMAP: ev_mremap(ms, mm, ev, inval); break;
    case MMT_EV_BRK:
        if (ranged) zap_range(mm, inval->start, inval->end);
        if (ev->result > 0) vmas_brk(&mm->vmas, (uint64_t)ev->result);
        break;
    case MMT_EV_MPROTECT:
        if (ranged) ev_mprotect(mm, inval->start, inval->end, (uint32_t)a[2]);
        break;
    case MMT_EV_MADVISE:
        if (n >= 3 && ev->result == 0) ev_madvise(ms, mm, a[0], a[1], a[2]);
        break;
    case MMT_EV_FILE_READ:
    case MMT_EV_FILE_WRITE: ev_file_io(ms, ev); break;
    case MMT_EV_EXEC: ev_exec(mm); break;
    default: break;
    }
    note_rss(mm);
    return 0;
}
