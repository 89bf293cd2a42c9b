/* pgtable.c - radix page tables in simulated frames (see pgtable.h).
 *
 * Host representation: one node per table page, holding its frame number, the entry array
 * and (above level 1) the child pointers. A level-1 table costs 4 KiB + 32 bytes of host
 * memory for 512 mapped pages, about 8 host bytes per resident page when memory is dense. */
#include "model/pgtable.h"

#include <stdlib.h>
#include <string.h>

struct pt_node {
    uint64_t pfn;
    uint32_t used;  /* non-zero entries */
    uint32_t level;
    struct pt_node **child; /* NULL at level 1 */
    uint64_t e[];
};

struct pgtable {
    unsigned levels, shift, bits;
    uint64_t nent, va_mask;
    struct pt_node *root;
    struct pgtable_frames fr;
    uint64_t tables;     /* table pages besides the root */
    uint64_t host_bytes;
};

static unsigned level_shift(const struct pgtable *pt, unsigned level)
{
    return pt->shift + (level - 1) * pt->bits;
}

static uint64_t index_at(const struct pgtable *pt, uint64_t va, unsigned level)
{
    return (va >> level_shift(pt, level)) & (pt->nent - 1);
}

static struct pt_node *node_new(struct pgtable *pt, unsigned level)
{
    uint64_t pfn = pt->fr.alloc(pt->fr.ctx);
    if (pfn == PGT_NO_FRAME)
        return NULL;
    size_t ebytes = pt->nent * sizeof(uint64_t);
    size_t cbytes = level > 1 ? pt->nent * sizeof(struct pt_node *) : 0;
    struct pt_node *n = calloc(1, sizeof *n + ebytes + cbytes);
    if (!n) {
        pt->fr.release(pt->fr.ctx, pfn);
        return NULL;
    }
    n->pfn = pfn;
    n->level = level;
    n->child = cbytes ? (struct pt_node **)((char *)n->e + ebytes) : NULL;
    pt->host_bytes += sizeof *n + ebytes + cbytes;
    return n;
}

static void node_free(struct pgtable *pt, struct pt_node *n)
{
    if (n->child)
        for (uint64_t i = 0; i < pt->nent; i++)
            if (n->child[i])
                node_free(pt, n->child[i]);
    pt->host_bytes -= sizeof *n + pt->nent * sizeof(uint64_t) * (n->child ? 2 : 1);
    pt->fr.release(pt->fr.ctx, n->pfn);
    free(n);
}

struct pgtable *pgtable_new(unsigned levels, unsigned page_shift, const struct pgtable_frames *fr)
{
    if (levels < 2 || levels > PGT_MAX_LEVELS || page_shift < 12 || page_shift > 16 || !fr)
        return NULL;
    struct pgtable *pt = calloc(1, sizeof *pt);
    if (!pt)
        return NULL;
    pt->levels = levels;
    pt->shift = page_shift;
    pt->bits = page_shift - 3;
    pt->nent = 1ULL << pt->bits;
    unsigned vabits = page_shift + levels * pt->bits;
    pt->va_mask = vabits >= 64 ? ~0ULL : (1ULL << vabits) - 1;
    pt->fr = *fr;
    pt->host_bytes = sizeof *pt;
    pt->root = node_new(pt, levels);
    if (!pt->root) {
        free(pt);
        return NULL;
    }
    return pt;
}

void pgtable_free(struct pgtable *pt)
{
    if (!pt)
        return;
    node_free(pt, pt->root);
    free(pt);
}

uint64_t pgtable_leaf_size(const struct pgtable *pt, unsigned level) { return 1ULL << level_shift(pt, level); }
uint64_t pgtable_bytes(const struct pgtable *pt) { return pt->tables << pt->shift; }
uint64_t pgtable_host_bytes(const struct pgtable *pt) { return pt->host_bytes; }

static int is_leaf(uint64_t e, unsigned level)
{
    return (e & PTE_PRESENT) && (level == 1 || (e & PTE_HUGE));
}

/* Descends to the table at `level` holding va's entry, creating tables on the way when
 * `create`; NULL when missing, blocked by a huge leaf, or out of frames. */
static struct pt_node *table_for(struct pgtable *pt, uint64_t va, unsigned level, int create)
{
    struct pt_node *n = pt->root;
    for (unsigned l = pt->levels; l > level; l--) {
        uint64_t i = index_at(pt, va, l);
        struct pt_node *c = n->child[i];
        if (!c) {
            if (!create || n->e[i])
                return NULL;
            c = node_new(pt, l - 1);
            if (!c)
                return NULL;
            n->child[i] = c;
            n->e[i] = pte_make(c->pfn, PTE_PRESENT | PTE_WRITE | PTE_USER | PTE_ACCESSED);
            n->used++;
            pt->tables++;
        }
        n = c;
    }
    return n;
}

int pgtable_map(struct pgtable *pt, uint64_t va, uint64_t pfn, unsigned level, uint64_t flags,
                uint64_t *old)
{
    va &= pt->va_mask;
    if (level < 1 || level >= pt->levels)
        return -1;
    struct pt_node *n = table_for(pt, va, level, 1);
    if (!n)
        return -1;
    uint64_t i = index_at(pt, va, level);
    if (n->child && n->child[i])
        return -1; /* a table is in the way of a huge leaf */
    if (old)
        *old = n->e[i];
    if (!n->e[i])
        n->used++;
    n->e[i] = pte_make(pfn, (flags & PTE_FLAGS_MASK) | PTE_PRESENT | (level > 1 ? PTE_HUGE : 0));
    return 0;
}

uint64_t pgtable_lookup(const struct pgtable *pt, uint64_t va, unsigned *level)
{
    struct pgtable_walk w;
    pgtable_walk(pt, va, &w);
    if (level)
        *level = w.leaf_level;
    return w.pte;
}

int pgtable_walk(const struct pgtable *pt, uint64_t va, struct pgtable_walk *w)
{
    va &= pt->va_mask;
    const struct pt_node *n = pt->root;
    for (unsigned l = pt->levels;; l--) {
        uint64_t i = index_at(pt, va, l);
        uint64_t e = n->e[i];
        w->entry_pa[l] = (n->pfn << pt->shift) + i * 8;
        w->entry[l] = e;
        if (!(e & PTE_PRESENT) || l == 1 || (e & PTE_HUGE)) {
            w->leaf_level = l;
            w->pte = (e & PTE_PRESENT) ? e : 0;
            return w->pte != 0;
        }
        n = n->child[i];
    }
}

uint64_t pgtable_update(struct pgtable *pt, uint64_t va, uint64_t set, uint64_t clear)
{
    va &= pt->va_mask;
    struct pt_node *n = pt->root;
    for (unsigned l = pt->levels;; l--) {
        uint64_t i = index_at(pt, va, l);
        uint64_t e = n->e[i];
        if (!(e & PTE_PRESENT))
            return 0;
        if (is_leaf(e, l)) {
            e = (e | (set & PTE_FLAGS_MASK)) & ~(clear & PTE_FLAGS_MASK & ~PTE_PRESENT);
            n->e[i] = e;
            return e;
        }
        n = n->child[i];
    }
}

/* ---- range operations: one recursive walker with an action per leaf ---- */
enum range_op { OP_UNMAP, OP_ZAP, OP_PROTECT, OP_VISIT };

struct range_args {
    enum range_op op;
    uint64_t start, end; /* [start, end) masked */
    uint64_t set, clear;
    pgtable_leaf_fn fn;
    void *ctx;
    uint64_t count;
};

static void range_node(struct pgtable *pt, struct pt_node *n, uint64_t base, struct range_args *a)
{
    unsigned ls = level_shift(pt, n->level);
    uint64_t span = 1ULL << ls;
    uint64_t first = a->start > base ? (a->start - base) >> ls : 0;
    for (uint64_t i = first; i < pt->nent; i++) {
        uint64_t va = base + i * span;
        if (va >= a->end)
            break;
        uint64_t e = n->e[i];
        if (!(e & PTE_PRESENT))
            continue;
        if (is_leaf(e, n->level)) {
            a->count++;
            if (a->fn && a->op != OP_PROTECT)
                a->fn(a->ctx, va, e, n->level);
            if (a->op == OP_UNMAP || a->op == OP_ZAP) {
                n->e[i] = 0;
                n->used--;
            } else if (a->op == OP_PROTECT) {
                n->e[i] = (e | (a->set & PTE_FLAGS_MASK)) & ~(a->clear & PTE_FLAGS_MASK & ~PTE_PRESENT);
            }
            continue;
        }
        struct pt_node *c = n->child[i];
        range_node(pt, c, va, a);
        if (a->op == OP_UNMAP && c->used == 0) {
            node_free(pt, c);
            pt->tables--;
            n->child[i] = NULL;
            n->e[i] = 0;
            n->used--;
        }
    }
}

static uint64_t range_run(struct pgtable *pt, struct range_args *a)
{
    a->start &= pt->va_mask;
    if (a->end == 0 || a->end > pt->va_mask)
        a->end = pt->va_mask + 1;
    if (a->start >= a->end)
        return 0;
    range_node(pt, pt->root, 0, a);
    return a->count;
}

uint64_t pgtable_unmap_range(struct pgtable *pt, uint64_t start, uint64_t end, pgtable_leaf_fn fn,
                             void *ctx)
{
    struct range_args a = {.op = OP_UNMAP, .start = start, .end = end, .fn = fn, .ctx = ctx};
    return range_run(pt, &a);
}

uint64_t pgtable_zap_range(struct pgtable *pt, uint64_t start, uint64_t end, pgtable_leaf_fn fn, void *ctx)
{
    struct range_args a = {.op = OP_ZAP, .start = start, .end = end, .fn = fn, .ctx = ctx};
    return range_run(pt, &a);
}

uint64_t pgtable_protect_range(struct pgtable *pt, uint64_t start, uint64_t end, uint64_t set,
                               uint64_t clear)
{
    struct range_args a = {.op = OP_PROTECT, .start = start, .end = end, .set = set, .clear = clear};
    return range_run(pt, &a);
}

void pgtable_for_each(const struct pgtable *pt, uint64_t start, uint64_t end, pgtable_leaf_fn fn,
                      void *ctx)
{
    struct range_args a = {.op = OP_VISIT, .start = start, .end = end, .fn = fn, .ctx = ctx};
    range_run((struct pgtable *)pt, &a);
}

struct copy_ctx {
    struct pgtable *dst, *src;
    uint64_t clear;
    pgtable_leaf_fn fn;
    void *ctx;
    int failed;
};

static void copy_leaf(void *p, uint64_t va, uint64_t pte, unsigned level)
{
    struct copy_ctx *c = p;
    if (c->failed)
        return;
    uint64_t e = pte & ~(c->clear & ~PTE_PRESENT);
    if (pgtable_map(c->dst, va, pte_pfn(e), level, e & PTE_FLAGS_MASK & ~PTE_HUGE, NULL)) {
        c->failed = 1;
        return;
    }
    if (c->clear)
        pgtable_update(c->src, va, 0, c->clear);
    if (c->fn)
        c->fn(c->ctx, va, e, level);
}

int pgtable_copy(struct pgtable *dst, struct pgtable *src, uint64_t clear_both, pgtable_leaf_fn fn,
                 void *ctx)
{
    struct copy_ctx c = {dst, src, clear_both, fn, ctx, 0};
    pgtable_for_each(src, 0, 0, copy_leaf, &c);
    return c.failed ? -1 : 0;
}
