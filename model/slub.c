/* slub.c - SLUB caches (mm/slub.c, mm/slab_common.c) for the kernel objects of the model.
 *
 * A cache has an object size, a slab order from calculate_order() and the objects that
 * fit in one slab. Slabs come from the buddy allocator (unmovable, or reclaimable for the
 * SLAB_RECLAIM_ACCOUNT caches); an empty slab goes back once the cache keeps min_partial
 * partial slabs. Objects are handles (slot, index) so freeing is O(1). */
#include "model/slub.h"

#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "model/page_alloc.h"
#include "model/statreg.h"

#define MAX_OBJS_PER_PAGE 32767u
#define IDX_BITS 15
#define NO_SLOT UINT32_MAX

/* Sizes (the `objsize` column, s->size) from /proc/slabinfo of the reference machine:
 * Linux 6.18.44 x86-64, 2 CPUs, ext4, read on 2026-11-25. */
static const struct {
    const char *name;
    unsigned size;
    int reclaimable;
} cache_defs[SLAB_NR_CACHES] = {
    [SLAB_TASK_STRUCT] = {"task_struct", 5888, 0},
    [SLAB_MM_STRUCT] = {"mm_struct", 1600, 0},
    [SLAB_VM_AREA_STRUCT] = {"vm_area_struct", 192, 0},
    [SLAB_ANON_VMA] = {"anon_vma", 104, 0},
    [SLAB_ANON_VMA_CHAIN] = {"anon_vma_chain", 64, 0},
    [SLAB_SIGNAL_CACHE] = {"signal_cache", 1152, 0},
    [SLAB_SIGHAND_CACHE] = {"sighand_cache", 2112, 0},
    [SLAB_FILES_CACHE] = {"files_cache", 704, 0},
    [SLAB_PID] = {"pid", 192, 0},
    [SLAB_FILP] = {"filp", 192, 0},
    [SLAB_DENTRY] = {"dentry", 192, 1},
    [SLAB_INODE] = {"ext4_inode_cache", 1128, 1},
    [SLAB_RADIX_TREE_NODE] = {"radix_tree_node", 584, 1},
};

struct slab {
    uint64_t pfn;
    unsigned order, objs, inuse;
    uint16_t *free_idx;   /* stack of free object indices */
    uint32_t next_free;   /* slot free list when the slot is unused */
    int live;
};

struct kmem_cache {
    unsigned size, order, min_order, objs, min_partial;
    int mt;
    struct slab *slabs;
    uint32_t nr_slots, cap_slots, free_slot;
    uint64_t nr_slabs, active, total_objs, pages;
    uint32_t partial_hint; /* a slot with free objects, NO_SLOT if unknown */
};

struct slub {
    struct page_alloc *pa;
    unsigned page_shift;
    struct kmem_cache caches[SLAB_NR_CACHES];
};

/* ---- calculate_order ---- */

static unsigned fls_u(unsigned x)
{
    unsigned r = 0;
    while (x) { r++; x >>= 1; }
    return r;
}

/* get_order(size): the smallest order whose block holds size bytes. */
static unsigned get_order_bytes(uint64_t size, unsigned page_shift)
{
    unsigned order = 0;
    while (((uint64_t)1 << (page_shift + order)) < size) order++;
    return order;
}

static unsigned order_objects(unsigned order, unsigned size, unsigned page_shift)
{
    return (unsigned)((((uint64_t)1) << (page_shift + order)) / size);
}

/* calc_slab_order(): the first order from min_order whose leftover is at most 1/fract. */
static unsigned calc_slab_order(unsigned size, unsigned page_shift, unsigned min_order, unsigned max_order,
                                unsigned fract)
{
    unsigned order;
    for (order = min_order; order <= max_order; order++) {
        uint64_t slab_size = (uint64_t)1 << (page_shift + order);
        if (slab_size % size <= slab_size / fract) break;
    }
    return order;
}

int slub_calculate_order(unsigned size, unsigned page_shift, unsigned nr_cpus, unsigned min_objects,
                         unsigned min_order, unsigned max_order, unsigned max_page_order)
{
    if (size == 0) return -1;
    if (!min_objects) min_objects = 4 * (fls_u(nr_cpus ? nr_cpus : 1) + 1);
    unsigned max_objects = order_objects(max_order, size, page_shift);
    if (max_objects < 1) max_objects = 1;
    if (min_objects > max_objects) min_objects = max_objects;
    unsigned mo = get_order_bytes((uint64_t)min_objects * size, page_shift);
    if (mo < min_order) mo = min_order;
    if (order_objects(mo, size, page_shift) > MAX_OBJS_PER_PAGE)
        return (int)get_order_bytes((uint64_t)size * MAX_OBJS_PER_PAGE, page_shift) - 1;
    for (unsigned fraction = 16; fraction > 1; fraction /= 2) {
        unsigned order = calc_slab_order(size, page_shift, mo, max_order, fraction);
        if (order <= max_order) return (int)order;
    }
    unsigned order = get_order_bytes(size, page_shift);
    return order <= max_page_order ? (int)order : -1;
}

/* set_min_partial(s, ilog2(s->size) / 2), clamped to MIN_PARTIAL 5 .. MAX_PARTIAL 10. */
static unsigned min_partial_of(unsigned size)
{
    unsigned v = (fls_u(size) - 1) / 2;
    return v < 5 ? 5 : v > 10 ? 10 : v;
}

/* ---- construction ---- */

static int cache_init(struct kmem_cache *c, unsigned size, int reclaimable, const struct slub_config *cfg,
                      unsigned max_page_order)
{
    unsigned max_order = cfg->max_order ? cfg->max_order : 3;
    int order = slub_calculate_order(size, cfg->page_shift, cfg->nr_cpus, cfg->min_objects, cfg->min_order,
                                     max_order, max_page_order);
    if (order < 0) return -1;
    memset(c, 0, sizeof(*c));
    c->size = size;
    c->order = (unsigned)order;
    c->objs = order_objects(c->order, size, cfg->page_shift);
    c->min_order = get_order_bytes(size, cfg->page_shift); /* s->min: the fallback */
    if (c->objs == 0 || c->objs > MAX_OBJS_PER_PAGE) return -1;
    c->min_partial = min_partial_of(size);
    c->mt = reclaimable ? PA_RECLAIMABLE : PA_UNMOVABLE;
    c->free_slot = NO_SLOT;
    c->partial_hint = NO_SLOT;
    return 0;
}

struct slub *slub_new(struct page_alloc *pa, const struct slub_config *cfg)
{
    if (!pa || !cfg) return NULL;
    struct slub *s = calloc(1, sizeof(*s));
    if (!s) return NULL;
    s->pa = pa;
    s->page_shift = cfg->page_shift;
    for (unsigned i = 0; i < SLAB_NR_CACHES; i++) {
        unsigned size = cfg->objsize[i] ? cfg->objsize[i] : cache_defs[i].size;
        if (cache_init(&s->caches[i], size, cache_defs[i].reclaimable, cfg, page_alloc_max_order(pa))) {
            slub_free_all(s);
            return NULL;
        }
    }
    return s;
}

void slub_free_all(struct slub *s)
{
    if (!s) return;
    for (unsigned i = 0; i < SLAB_NR_CACHES; i++) {
        struct kmem_cache *c = &s->caches[i];
        for (uint32_t k = 0; k < c->nr_slots; k++) {
            if (!c->slabs[k].live) continue;
            page_alloc_release(s->pa, c->slabs[k].pfn, c->slabs[k].order);
            free(c->slabs[k].free_idx);
        }
        free(c->slabs);
    }
    free(s);
}

/* ---- slabs ---- */

static uint32_t get_slot(struct kmem_cache *c)
{
    if (c->free_slot != NO_SLOT) {
        uint32_t k = c->free_slot;
        c->free_slot = c->slabs[k].next_free;
        return k;
    }
    if (c->nr_slots == c->cap_slots) {
        uint32_t cap = c->cap_slots ? c->cap_slots * 2 : 16;
        if (cap > (UINT32_MAX >> 1)) return NO_SLOT;
        struct slab *n = realloc(c->slabs, cap * sizeof(*n));
        if (!n) return NO_SLOT;
        c->slabs = n;
        c->cap_slots = cap;
    }
    return c->nr_slots++;
}

/* allocate_slab(): the cache's order first, then s->min when that fails. */
static uint32_t new_slab(struct slub *s, struct kmem_cache *c)
{
    unsigned order = c->order;
    uint64_t pfn = page_alloc_alloc(s->pa, order, (enum pa_migratetype)c->mt, PA_WMARK_MIN);
    if (pfn == PA_NO_PFN && c->min_order < order) {
        order = c->min_order;
        pfn = page_alloc_alloc(s->pa, order, (enum pa_migratetype)c->mt, PA_WMARK_MIN);
    }
    if (pfn == PA_NO_PFN) return NO_SLOT;
    uint32_t k = get_slot(c);
    unsigned objs = order_objects(order, c->size, s->page_shift);
    uint16_t *fi = k == NO_SLOT ? NULL : malloc(objs * sizeof(uint16_t));
    if (!fi) {
        if (k != NO_SLOT) { c->slabs[k].next_free = c->free_slot; c->slabs[k].live = 0; c->free_slot = k; }
        page_alloc_release(s->pa, pfn, order);
        return NO_SLOT;
    }
    /* highest index at the bottom so objects come out in address order */
    for (unsigned i = 0; i < objs; i++) fi[i] = (uint16_t)(objs - 1 - i);
    c->slabs[k] = (struct slab){.pfn = pfn, .order = order, .objs = objs, .free_idx = fi, .live = 1};
    c->nr_slabs++;
    c->total_objs += objs;
    c->pages += (uint64_t)1 << order;
    return k;
}

static void discard_slab(struct slub *s, struct kmem_cache *c, uint32_t k)
{
    struct slab *sl = &c->slabs[k];
    page_alloc_release(s->pa, sl->pfn, sl->order);
    free(sl->free_idx);
    c->nr_slabs--;
    c->total_objs -= sl->objs;
    c->pages -= (uint64_t)1 << sl->order;
    sl->live = 0;
    sl->free_idx = NULL;
    sl->next_free = c->free_slot;
    c->free_slot = k;
    if (c->partial_hint == k) c->partial_hint = NO_SLOT;
}

/* A slab with a free object: the hint, else a scan (the model's caches hold few slabs). */
static uint32_t find_partial(const struct kmem_cache *c)
{
    if (c->partial_hint != NO_SLOT && c->slabs[c->partial_hint].live &&
        c->slabs[c->partial_hint].inuse < c->slabs[c->partial_hint].objs)
        return c->partial_hint;
    if (c->active == c->total_objs) return NO_SLOT;
    for (uint32_t k = 0; k < c->nr_slots; k++)
        if (c->slabs[k].live && c->slabs[k].inuse < c->slabs[k].objs) return k;
    return NO_SLOT;
}

uint64_t slub_alloc(struct slub *s, enum slub_cache_id id)
{
    if (!s || (unsigned)id >= SLAB_NR_CACHES) return SLUB_NO_OBJ;
    struct kmem_cache *c = &s->caches[id];
    uint32_t k = find_partial(c);
    if (k == NO_SLOT) k = new_slab(s, c);
    if (k == NO_SLOT) return SLUB_NO_OBJ;
    struct slab *sl = &c->slabs[k];
    unsigned idx = sl->free_idx[sl->objs - 1 - sl->inuse];
    sl->inuse++;
    c->active++;
    c->partial_hint = sl->inuse < sl->objs ? k : NO_SLOT;
    return (((uint64_t)k << IDX_BITS) | idx) + 1;
}

static struct slab *slab_of(const struct kmem_cache *c, uint64_t obj, unsigned *idx)
{
    if (obj == SLUB_NO_OBJ) return NULL;
    obj--;
    uint64_t k = obj >> IDX_BITS;
    *idx = (unsigned)(obj & ((1u << IDX_BITS) - 1));
    if (k >= c->nr_slots || !c->slabs[k].live || *idx >= c->slabs[k].objs) return NULL;
    return &c->slabs[k];
}

int slub_release(struct slub *s, enum slub_cache_id id, uint64_t obj)
{
    if (!s || (unsigned)id >= SLAB_NR_CACHES) return -1;
    struct kmem_cache *c = &s->caches[id];
    unsigned idx;
    struct slab *sl = slab_of(c, obj, &idx);
    if (!sl || sl->inuse == 0) return -1;
    /* a double free: the index is already among the free ones */
    for (unsigned i = 0; i < sl->objs - sl->inuse; i++)
        if (sl->free_idx[i] == idx) return -1;
    sl->inuse--;
    sl->free_idx[sl->objs - 1 - sl->inuse] = (uint16_t)idx;
    c->active--;
    uint32_t k = (uint32_t)(sl - c->slabs);
    if (sl->inuse == 0 && c->nr_slabs > c->min_partial) discard_slab(s, c, k);
    else c->partial_hint = k;
    return 0;
}

uint64_t slub_obj_paddr(const struct slub *s, enum slub_cache_id id, uint64_t obj)
{
    if (!s || (unsigned)id >= SLAB_NR_CACHES) return 0;
    const struct kmem_cache *c = &s->caches[id];
    unsigned idx;
    const struct slab *sl = slab_of(c, obj, &idx);
    return sl ? (sl->pfn << s->page_shift) + (uint64_t)idx * c->size : 0;
}

/* ---- queries and output ---- */

unsigned slub_objsize(const struct slub *s, enum slub_cache_id id) { return s->caches[id].size; }
unsigned slub_order(const struct slub *s, enum slub_cache_id id) { return s->caches[id].order; }
unsigned slub_objs_per_slab(const struct slub *s, enum slub_cache_id id) { return s->caches[id].objs; }
uint64_t slub_active_objs(const struct slub *s, enum slub_cache_id id) { return s->caches[id].active; }
uint64_t slub_nr_slabs(const struct slub *s, enum slub_cache_id id) { return s->caches[id].nr_slabs; }

uint64_t slub_total_pages(const struct slub *s)
{
    uint64_t n = 0;
    for (unsigned i = 0; i < SLAB_NR_CACHES; i++) n += s->caches[i].pages;
    return n;
}

/* cache_show() of mm/slab_common.c; SLUB reports tunables and sharedavail as 0. */
void slub_slabinfo(const struct slub *s, FILE *f)
{
    fputs("slabinfo - version: 2.1\n", f);
    fputs("# name            <active_objs> <num_objs> <objsize> <objperslab> <pagesperslab>"
          " : tunables <limit> <batchcount> <sharedfactor> : slabdata <active_slabs> <num_slabs> <sharedavail>\n",
          f);
    for (unsigned i = 0; i < SLAB_NR_CACHES; i++) {
        const struct kmem_cache *c = &s->caches[i];
        fprintf(f, "%-17s %6lu %6lu %6u %4u %4d", cache_defs[i].name, (unsigned long)c->active,
                (unsigned long)c->total_objs, c->size, c->objs, 1 << c->order);
        fprintf(f, " : tunables %4u %4u %4u", 0u, 0u, 0u);
        fprintf(f, " : slabdata %6lu %6lu %6lu\n", (unsigned long)c->nr_slabs, (unsigned long)c->nr_slabs, 0ul);
    }
}

static const struct stat_def D_SL_TOTAL = {"total_pages", "pages", STAT_GAUGE, "pages of every slab cache", NULL};
static const struct stat_def D_SL_ACTIVE = {"active_objs", "objects", STAT_GAUGE, "objects in use in this cache (/proc/slabinfo)", NULL};
static const struct stat_def D_SL_NUM = {"num_objs", "objects", STAT_GAUGE, "objects its slabs hold", NULL};
static const struct stat_def D_SL_SIZE = {"objsize", "bytes", STAT_INFO, "an object's size with its metadata", NULL};
static const struct stat_def D_SL_PER = {"objperslab", "objects", STAT_INFO, "objects a slab holds", NULL};
static const struct stat_def D_SL_PAGES = {"pagesperslab", "pages", STAT_INFO, "pages of a slab (2^order)", NULL};
static const struct stat_def D_SL_SLABS = {"num_slabs", "slabs", STAT_GAUGE, "slabs of this cache", NULL};

void slub_publish_stats(const struct slub *s, struct stat_out *o, const char *key)
{
    stat_group_begin(o, key);
    stat_u64(o, &D_SL_TOTAL, slub_total_pages(s));
    for (unsigned i = 0; i < SLAB_NR_CACHES; i++) {
        const struct kmem_cache *c = &s->caches[i];
        stat_instance_begin(o, "<cache>", cache_defs[i].name);
        stat_u64(o, &D_SL_ACTIVE, c->active);
        stat_u64(o, &D_SL_NUM, c->total_objs);
        stat_u64(o, &D_SL_SIZE, c->size);
        stat_u64(o, &D_SL_PER, c->objs);
        stat_u64(o, &D_SL_PAGES, (uint64_t)1 << c->order);
        stat_u64(o, &D_SL_SLABS, c->nr_slabs);
        stat_group_end(o);
    }
    stat_group_end(o);
}
