/* tlbprof.c - one-pass miss counts of every size of an LRU TLB level (see tlbprof.h). */
#include "analysis/tlbprof.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model/memory.h"
#include "model/mmap.h"
#include "traces/mmt.h"

#define VPN_MASK ((1ULL << 52) - 1)
#define HOLE UINT64_MAX /* an invalidated way: empty, in its place in the stack */

/* One lookup in the per-set stacks: count its distance, move it to the front. A hole above
 * the key (or above a miss) is filled by the sizes that hold it and missed the key: it
 * leaves, and the key's old place becomes the hole of the sizes that hit. */
static void set_lookup(struct tlbprof *p, uint64_t vpn, uint64_t key)
{
    uint32_t ways = p->o.max_ways;
    uint32_t set = (uint32_t)(vpn % p->o.sets);
    uint64_t *k = p->keys + (size_t)set * ways;
    uint32_t n = p->used[set], i, h = UINT32_MAX;
    for (i = 0; i < n && k[i] != key; i++)
        if (k[i] == HOLE && h == UINT32_MAX)
            h = i;
    if (i < n)
        p->hist[i + 1]++;
    else
        p->hist[0]++;
    if (h != UINT32_MAX) {
        memmove(k + 1, k, sizeof *k * h);
        k[0] = key;
        if (i < n)
            k[i] = HOLE;
        return;
    }
    if (i == n) {
        p->hist[0]++;
        if (n < ways)
            p->used[set] = ++n;
        i = n - 1; /* the least recent falls off */
    }
    memmove(k + 1, k, sizeof *k * i);
    k[0] = key;
}

static void page_lookup(struct tlbprof *p, uint64_t vpn)
{
    p->lookups++;
    if (!p->o.sets)
        mrc_page_ref(&p->fa, vpn);
    else
        set_lookup(p, vpn, vpn | p->fa.proc_bits);
}

static void access_lookups(struct tlbprof *p, const struct mmt_rec *r)
{
    unsigned shift = p->o.page_shift;
    uint64_t first = r->addr >> shift, last = (r->addr + (r->size ? r->size - 1 : 0)) >> shift;
    page_lookup(p, first & VPN_MASK);
    if (last != first)
        page_lookup(p, last & VPN_MASK);
}

/* The kernel's copy to or from user memory (a KERNEL_READ/WRITE event): replay translates
 * it once a base page through the data TLB (model/sim.c kernel_access), so one lookup a
 * page, the range cut to the most one read(2) moves as replay cuts it. */
#define KERNEL_ACCESS_MAX (0x7fffffffULL & ~0xfffULL)

static void kernel_access_lookups(struct tlbprof *p, const struct mmt_event *ev)
{
    if (ev->nargs < 2 || !ev->args[1])
        return;
    unsigned shift = p->o.page_shift;
    uint64_t len = ev->args[1] > KERNEL_ACCESS_MAX ? KERNEL_ACCESS_MAX : ev->args[1];
    uint64_t first = ev->args[0] >> shift, end = ev->args[0] + len;
    uint64_t last = (end < ev->args[0] ? UINT64_MAX : end - 1) >> shift;
    for (uint64_t vpn = first; vpn <= last; vpn++)
        page_lookup(p, vpn & VPN_MASK);
}

/* ---- invalidations: the ranges the engine drops from its TLBs (model/memory.c mm_event,
 * model/sched.c), for 4 KiB pages ---- */

struct inval {
    uint64_t proc;     /* proc_bits of the address space */
    uint64_t lo, hi;   /* virtual pages [lo, hi); all: every page of the process */
    int all;
};

static int in_inval(void *ctx, uint64_t key)
{
    const struct inval *v = ctx;
    if ((key & ~VPN_MASK) != v->proc)
        return 0;
    return v->all || ((key & VPN_MASK) >= v->lo && (key & VPN_MASK) < v->hi);
}

static int any_key(void *ctx, uint64_t key)
{
    (void)ctx;
    (void)key;
    return 1;
}

static int invalidate(struct tlbprof *p, const struct inval *v)
{
    if (!v->all && v->hi <= v->lo)
        return 0;
    p->invalidations++;
    p->fa.last_key = UINT64_MAX; /* the repeat fast path must not hit a dropped page */
    if (p->o.sets) {
        uint64_t *k = p->keys;
        for (size_t i = 0; i < (size_t)p->o.sets * p->o.max_ways; i++)
            if (k[i] != HOLE && i % p->o.max_ways < p->used[i / p->o.max_ways] && in_inval((void *)v, k[i]))
                k[i] = HOLE;
        return 0;
    }
    if (!v->all && v->hi - v->lo <= (uint64_t)p->fa.sd.live) {
        for (uint64_t vpn = v->lo; vpn < v->hi; vpn++)
            if (sd_invalidate(&p->fa.sd, vpn | v->proc) < 0)
                return -1;
        return 0;
    }
    return sd_invalidate_if(&p->fa.sd, in_inval, (void *)v) < 0 ? -1 : 0;
}

/* The proc_bits of pid without making it the current process. */
static uint64_t proc_of(struct tlbprof *p, uint32_t pid)
{
    uint64_t cur = p->fa.proc_bits;
    mrc_switch(&p->fa, pid);
    uint64_t bits = p->fa.proc_bits;
    p->fa.proc_bits = cur;
    return bits;
}

/* Without PCID the engine flushes the TLB when another process is loaded on the CPU. */
static int switch_flush(struct tlbprof *p, uint32_t pid)
{
    if (p->loaded_valid && p->loaded_pid == pid)
        return 0;
    p->loaded_pid = pid;
    p->loaded_valid = 1;
    p->fa.last_key = UINT64_MAX;
    if (p->o.sets) {
        for (size_t i = 0; i < (size_t)p->o.sets * p->o.max_ways; i++)
            p->keys[i] = HOLE;
        return 0;
    }
    return sd_invalidate_if(&p->fa.sd, any_key, NULL) < 0 ? -1 : 0;
}

/* An event's effect on the TLB: the range the engine drops (model/mmap.c mm_event_range,
 * for 4 KiB pages), the heap's bounds kept as the engine keeps them, and the flushes of
 * fork and exit that the engine makes around mm_event (model/sim.c, model/sched.c). */
static int apply_event(struct tlbprof *p, const struct mmt_event *ev)
{
    uint64_t proc = ev->pid ? proc_of(p, ev->pid) : p->fa.proc_bits;
    struct mm_inval r;
    mm_event_range(ev, 4096, &p->heap, &r);
    struct inval v = {proc, r.start >> 12, r.end >> 12, r.all};
    switch (ev->type) {
    case MMT_EV_MAP_INITIAL:
    case MMT_EV_MMAP:
        if (r.end > r.start && ev->path && !strcmp(ev->path, "[heap]"))
            p->heap = (struct vma_heap){r.start, r.end, 1};
        break;
    case MMT_EV_BRK:
        if (ev->result > 0)
            vma_heap_brk(&p->heap, (uint64_t)ev->result);
        break;
    case MMT_EV_FORK: /* dup_mmap write-protects the parent: flush_tlb_mm */
        v.all = ev->nargs >= 1 && ev->result >= 0;
        break;
    case MMT_EV_EXEC: /* a new address space: its heap is found again */
        p->heap = (struct vma_heap){0, 0, 0};
        break;
    case MMT_EV_EXIT:
        v.all = ev->nargs >= 2 && ev->args[1];
        break;
    default:
        break;
    }
    return invalidate(p, &v);
}

int tlbprof_run(const char *trace, const struct tlbprof_opts *o, struct tlbprof *p, char *err,
                size_t errlen)
{
    memset(p, 0, sizeof *p);
    p->o = *o;
    struct mrc_opts mo = {o->page_shift, 0};
    if (mrc_init(&p->fa, &mo) < 0)
        goto oom;
    if (o->sets) {
        if (!o->max_ways)
            goto oom;
        p->keys = malloc(sizeof *p->keys * (size_t)o->sets * o->max_ways);
        p->used = calloc(o->sets, sizeof *p->used);
        p->hist = calloc((size_t)o->max_ways + 1, sizeof *p->hist);
        if (!p->keys || !p->used || !p->hist)
            goto oom;
    }
    struct mmt_reader *r = mmt_reader_open(trace, err, errlen);
    if (!r)
        return -1;
    const struct mmt_rec *recs;
    size_t n;
    int rc;
    while ((rc = mmt_reader_next(r, &recs, &n)) == 1) {
        for (size_t i = 0; i < n; i++) {
            const struct mmt_rec *x = &recs[i];
            if (x->kind == MMT_SWITCH) {
                if (o->flush_on_switch && switch_flush(p, x->aux) < 0)
                    break;
                mrc_switch(&p->fa, x->aux);
            } else if (x->kind == MMT_EVENT) {
                const struct mmt_event *ev = mmt_reader_event(r, x->aux);
                if (ev && o->data && (ev->type == MMT_EV_KERNEL_READ || ev->type == MMT_EV_KERNEL_WRITE))
                    kernel_access_lookups(p, ev);
                else if (ev && apply_event(p, ev) < 0)
                    break;
            }
            else if (x->kind == MMT_IFETCH ? o->ifetch : (x->kind <= MMT_MODIFY && o->data))
                access_lookups(p, x);
        }
    }
    if (rc < 0)
        snprintf(err, errlen, "%s", mmt_reader_error(r));
    mmt_reader_close(r);
    if (rc == 0 && p->fa.sd.failed)
        goto oom;
    return rc < 0 ? -1 : 0;
oom:
    snprintf(err, errlen, "%s: out of memory profiling the TLB", trace);
    return -1;
}

uint64_t tlbprof_misses(const struct tlbprof *p, uint32_t size)
{
    if (!p->o.sets)
        return sd_misses(&p->fa.sd, size);
    uint64_t hits = 0;
    for (uint32_t d = 1; d <= size && d <= p->o.max_ways; d++)
        hits += p->hist[d];
    return p->lookups - hits;
}

void tlbprof_free(struct tlbprof *p)
{
    mrc_free(&p->fa);
    free(p->keys);
    free(p->used);
    free(p->hist);
    memset(p, 0, sizeof *p);
}
