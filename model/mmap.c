/* mmap.c - the VMA set of one address space: a sorted array of non-overlapping ranges.
 * Every change splits the VMAs that straddle its ends (__split_vma) and merges neighbours
 * that became compatible (vma_merge: same prot, flags and file, contiguous offsets). */
#include "model/mmap.h"

#include <stdlib.h>
#include <string.h>

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
    dst->start_brk = src->start_brk;
    dst->brk = src->brk;
    dst->brk_known = src->brk_known;
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

int vmas_brk(struct vma_set *s, uint64_t new_brk)
{
    uint64_t mask = s->page_size - 1;
    if (!s->brk_known) {
        s->start_brk = s->brk = new_brk;
        s->brk_known = 1;
        return 0;
    }
    if (new_brk < s->start_brk) return 0; /* the kernel refuses; brk stays */
    uint64_t old_end = (s->brk + mask) & ~mask, new_end = (new_brk + mask) & ~mask;
    int rc = 0;
    if (new_end > old_end) rc = vmas_map(s, old_end, new_end, VMA_READ | VMA_WRITE, 0, 0, old_end);
    else if (new_end < old_end) rc = vmas_unmap(s, new_end, old_end);
    if (!rc) s->brk = new_brk;
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
