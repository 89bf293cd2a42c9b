/* sim.c - one simulation: set-up, the run loop over record batches, the access path
 * (TLBs -> page walk -> fault -> caches), OS events, and the timed-event queue.
 *
 * The access path is the hot path: it touches the event queue only when the CPU clock
 * reaches next_check_fx (the next timed event or the end of the quantum). */
#include "model/sim.h"

#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "model/kswapd.h"
#include "model/pressure.h"
#include "model/sim_internal.h"

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)

int sim_fail(struct sim *s, const char *fmt, ...)
{
    if (!s->failed && s->err && s->errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(s->err, s->errlen, fmt, ap);
        va_end(ap);
    }
    s->failed = 1;
    return -1;
}

/* ---- timed events: a binary min-heap on time ---- */

static void heap_push(struct sim *s, struct sim_event ev)
{
    if (s->nheap == s->capheap) {
        uint32_t cap = s->capheap ? s->capheap * 2 : 16;
        struct sim_event *h = realloc(s->heap, cap * sizeof *h);
        if (!h)
            return;
        s->heap = h;
        s->capheap = cap;
    }
    uint32_t i = s->nheap++;
    while (i > 0 && s->heap[(i - 1) / 2].time_fx > ev.time_fx) {
        s->heap[i] = s->heap[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    s->heap[i] = ev;
    s->next_event_fx = s->heap[0].time_fx;
}

static struct sim_event heap_pop(struct sim *s)
{
    struct sim_event top = s->heap[0], last = s->heap[--s->nheap];
    uint32_t i = 0;
    for (;;) {
        uint32_t l = 2 * i + 1, m = i;
        if (l >= s->nheap)
            break;
        m = (l + 1 < s->nheap && s->heap[l + 1].time_fx < s->heap[l].time_fx) ? l + 1 : l;
        if (s->heap[m].time_fx >= last.time_fx)
            break;
        s->heap[i] = s->heap[m];
        i = m;
    }
    if (s->nheap)
        s->heap[i] = last;
    s->next_event_fx = s->nheap ? s->heap[0].time_fx : UINT64_MAX;
    return top;
}

void sim_events_due(struct sim *s, uint64_t now_fx)
{
    while (s->nheap && s->heap[0].time_fx <= now_fx) {
        struct sim_event ev = heap_pop(s);
        if (ev.type == SEV_SAMPLE) {
            stats_timeline_row(s, ev.time_fx);
            ev.time_fx += CYC(s->cfg.stats.sample_interval);
            heap_push(s, ev);
        } else if (ev.type == SEV_VMSTAT && s->pr->vmstat_interval_fx) {
            pressure_vmstat_line(s, ev.time_fx);
            ev.time_fx += s->pr->vmstat_interval_fx;
            heap_push(s, ev);
        }
    }
}

void sim_recompute_check(struct sim *s, struct cpu *c)
{
    c->next_check_fx = c->slice_end_fx < s->next_event_fx ? c->slice_end_fx : s->next_event_fx;
}

/* ---- set-up ---- */

static void setup_access_tables(struct cpu *c);

struct sim *sim_new(const struct mmsim_config *cfg, char *err, size_t errlen)
{
    struct sim *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(err, errlen, "sim: out of memory");
        return NULL;
    }
    s->cfg = *cfg;
    s->page_shift = config_page_shift(cfg);
    s->cpi_fx = (uint64_t)(cfg->cpu.base_cpi * (1 << CYC_SHIFT) + 0.5);
    s->stall_q16 = (uint64_t)(cfg->cpu.stall_scale * 65536 + 0.5);
    s->quantum_fx = CYC(cfg->cpu.quantum);
    s->next_event_fx = UINT64_MAX;
    s->next_asid = 0;
    s->ms = memsys_new(cfg, err, errlen);
    if (!s->ms || sched_init(s, err, errlen)) {
        sim_free(s);
        return NULL;
    }
    for (uint32_t i = 0; i < s->ncpu; i++)
        setup_access_tables(&s->cpus[i]);
    if (pressure_init(s) || sched_add_task(s, &kswapd_task)) {
        snprintf(err, errlen, "sim: out of memory");
        sim_free(s);
        return NULL;
    }
    return s;
}

void sim_free(struct sim *s)
{
    if (!s)
        return;
    sched_destroy(s);
    pressure_destroy(s);
    sim_windows_free(s);
    for (uint32_t i = 0; i < s->nstreams; i++)
        if (s->streams[i].reader)
            mmt_reader_close(s->streams[i].reader);
    free(s->streams);
    free(s->heap);
    memsys_free(s->ms);
    free(s);
}

static int reader_next(void *ctx, const struct mmt_rec **recs, size_t *n)
{
    return mmt_reader_next(ctx, recs, n);
}
static const struct mmt_event *reader_event(void *ctx, uint32_t idx)
{
    return mmt_reader_event(ctx, idx);
}
static const char *reader_error(void *ctx) { return mmt_reader_error(ctx); }

static struct stream *new_stream(struct sim *s, const char *name, char *err, size_t errlen)
{
    if (s->nstreams == s->capstreams) {
        uint32_t cap = s->capstreams ? s->capstreams * 2 : 4;
        struct stream *ns = realloc(s->streams, cap * sizeof *ns);
        if (!ns) {
            snprintf(err, errlen, "%s: out of memory", name);
            return NULL;
        }
        s->streams = ns;
        s->capstreams = cap;
    }
    struct stream *st = &s->streams[s->nstreams];
    memset(st, 0, sizeof *st);
    snprintf(st->name, sizeof st->name, "%s", name);
    st->default_pid = 1;
    st->cur_pid = 1;
    st->se.last_cpu = -1;
    st->se.wake_cpu = -1;
    return st;
}

int sim_add_source(struct sim *s, const char *name, const struct sim_source *src, char *err,
                   size_t errlen)
{
    struct stream *st = new_stream(s, name, err, errlen);
    if (!st)
        return -1;
    st->src = *src;
    return (int)s->nstreams++;
}

int sim_add_trace(struct sim *s, const char *path, char *err, size_t errlen)
{
    struct mmt_reader *r = mmt_reader_open(path, err, errlen);
    if (!r)
        return -1;
    struct stream *st = new_stream(s, path, err, errlen);
    if (!st) {
        mmt_reader_close(r);
        return -1;
    }
    st->reader = r;
    const char *backend = mmt_reader_meta(r, "backend");
    unsigned flags = backend && !strncmp(backend, "import:", 7) ? SIM_SOURCE_NO_MAPPINGS : 0;
    st->src = (struct sim_source){reader_next, reader_event, reader_error, r, flags};
    const char *pid = mmt_reader_meta(r, "pid");
    uint64_t v;
    if (pid && !parse_u64(pid, &v) && v && v <= UINT32_MAX)
        st->default_pid = st->cur_pid = (uint32_t)v;
    return (int)s->nstreams++;
}

void sim_set_timeline(struct sim *s, FILE *csv) { s->timeline = csv; }
void sim_set_progress(struct sim *s, int on) { s->progress_on = on; }
void sim_set_calibration(struct sim *s, const struct sim_calibration *c) { s->calib = *c; }

/* ---- faults and invalidation ---- */

/* Runs the OS fault handler and charges its cost; 0 when the access can be retried. */
static int take_fault(struct sim *s, struct cpu *c, struct proc *p, uint64_t va, unsigned flags)
{
    struct fault_result fr;
    /* Without mappings nothing says which memory was file-backed: a read must not map the
     * shared zero page (that would alias every unwritten page onto one frame), so every
     * first touch is handled as a write to private memory. */
    if (p->no_mappings)
        flags |= FAULT_FLAG_WRITE;
    pressure_before_fault(s, c);
    mm_handle_fault(s->ms, p->mm, va, flags, &fr);
    c->clock_fx += CYC(fr.cycles);
    s->parts_fx[CP_FAULT] += CYC(fr.cycles);
    switch (fr.kind) {
    case FAULT_MINOR:
        s->faults_minor++;
        p->min_flt++;
        break;
    case FAULT_MAJOR:
        s->faults_major++;
        p->maj_flt++;
        break;
    case FAULT_SIGSEGV:
        s->faults_segv++;
        p->faults_segv++;
        return -1;
    case FAULT_OOM:
        s->faults_oom++;
        p->faults_oom++;
        pressure_oom(s, c, p);
        return -1;
    case FAULT_NONE:
        break;
    }
    if (fr.io_ns) {
        uint64_t io = CYC((uint64_t)((double)fr.io_ns * s->cfg.cpu.freq_ghz));
        uint64_t until = c->clock_fx + io;
        if (until > c->block_fx)
            c->block_fx = until;
        c->block_io = 1;
        s->io_wait_fx += io;
        c->next_check_fx = 0; /* leave the access loop: the stream blocks */
    }
    pressure_after_fault(s, c, &fr);
    kswapd_after_fault(s, c);
    return 0;
}

static unsigned fault_flags(int write, int ifetch)
{
    return (write ? FAULT_FLAG_WRITE : 0) | (ifetch ? FAULT_FLAG_INSTRUCTION : 0);
}

static uint64_t phys_of(const struct sim *s, uint64_t pte, uint64_t va, unsigned lshift)
{
    return (pte_pfn(pte) << s->page_shift) + (va & ((1ULL << lshift) - 1));
}

/* The hardware's dirty-bit assist: a store met the present leaf pte, writable but clean.
 * The walk that found it sets its dirty bit (x86 does this with a locked update of the
 * entry the walk just read; no fault). Returns the entry now in the page table. */
static uint64_t dirty_bit_assist(struct sim *s, struct pgtable *pt, uint64_t va)
{
    s->dirty_assists++;
    return pgtable_update(pt, va, PTE_DIRTY, 0);
}

/* The page walk found the leaf pte: may the access use it? A store to a writable clean
 * entry sets its dirty bit first (in *pte). 0 when the access faults. */
static int walk_allows(struct sim *s, struct pgtable *pt, uint64_t va, int write, uint64_t *pte)
{
    if (!write || tlb_store_ok(*pte))
        return 1;
    if (!(*pte & PTE_WRITE))
        return 0;
    *pte = dirty_bit_assist(s, pt, va);
    return 1;
}

/* Accesses of a kind no TLB serves: translated without timing, faults still taken. */
static uint64_t translate_untimed(struct sim *s, struct cpu *c, struct proc *p, uint64_t va,
                                  int write, int ifetch, unsigned *lshift)
{
    if ((va >> s->page_shift) == c->raw_vpn && p->asid == c->raw_asid &&
        (!write || tlb_store_ok(c->raw_pte))) {
        *lshift = s->page_shift;
        return phys_of(s, c->raw_pte, va, s->page_shift);
    }
    struct pgtable *pt = mm_pgtable(p->mm);
    for (int tries = 0; tries < 4; tries++) {
        unsigned level;
        uint64_t pte = pgtable_lookup(pt, va, &level);
        if (pte && walk_allows(s, pt, va, write, &pte)) {
            *lshift = s->page_shift + (level - 1) * (s->page_shift - 3);
            if (level == 1) {
                c->raw_vpn = va >> s->page_shift;
                c->raw_pte = pte;
                c->raw_asid = p->asid;
            }
            return phys_of(s, pte, va, *lshift);
        }
        if (take_fault(s, c, p, va, fault_flags(write, ifetch)))
            break;
        s->fault_retries++;
    }
    *lshift = s->page_shift;
    return va; /* a failed fault (SIGSEGV, OOM): keep going with the virtual address */
}

/* The largest page size up to psize that the level holds (0, 4 KiB, when none is held:
 * tlb_fill then ignores it). */
static unsigned held_size(const struct tlb *t, unsigned psize)
{
    while (psize > 0 && t->arr_of[psize] < 0)
        psize--;
    return psize;
}

/* Fills a level with the walk's translation. A level that does not hold the leaf's page size
 * caches the piece of the huge page that va falls in, at the largest size it holds (as x86
 * TLBs splinter huge pages they cannot hold), so a 4 KiB-only TLB still hits on THP memory. */
static void fill_level(struct tlb *t, uint64_t va, unsigned asid, unsigned psize, uint64_t val)
{
    unsigned q = held_size(t, psize);
    if (q != psize) /* the pfn of the piece: the base frame plus va's offset in frames */
        val += ((va & ((1ULL << t->shift[psize]) - 1)) >> t->shift[q] << (t->shift[q] - t->shift[0]))
               << PTE_PFN_SHIFT;
    tlb_fill(t, va, asid, q, val);
}

/* The TLB levels missed: walk (with fault and retry), then fill every level that missed. */
static uint64_t translate_slow(struct sim *s, struct cpu *c, struct proc *p, int first, int hit_ps,
                               uint64_t va, int write, int ifetch, unsigned *lshift)
{
    int missed[CFG_MAX_TLBS], nm = 0; /* levels looked up that missed: counted and filled */
    int refill[CFG_MAX_TLBS], nr = 0; /* levels whose read-only entry a write dropped */
    uint64_t cyc = c->tlb[first].latency, val = 0;
    int ps = -1;
    if (hit_ps >= 0) {
        /* a store met a read-only entry (the fault path below decides: COW, SIGSEGV) or a
         * clean one (the walk's dirty-bit assist) */
        for (int j = first; j >= 0; j = c->tlb[j].next) {
            tlb_invalidate_page(&c->tlb[j], va, p->asid);
            refill[nr++] = j; /* the walk after the fault fills every level again */
        }
    } else {
        missed[nm++] = first;
        for (int j = c->tlb[first].next; j >= 0; j = c->tlb[j].next) {
            cyc += c->tlb[j].latency;
            ps = tlb_lookup(&c->tlb[j], va, p->asid, &val);
            if (ps >= 0 && (!write || tlb_store_ok(val)))
                break;
            if (ps >= 0) {
                for (int k = j; k >= 0; k = c->tlb[k].next) {
                    tlb_invalidate_page(&c->tlb[k], va, p->asid);
                    refill[nr++] = k;
                }
                for (int k = 0; k < nm; k++)
                    tlb_invalidate_page(&c->tlb[missed[k]], va, p->asid);
                ps = -1;
                break;
            }
            missed[nm++] = j;
        }
    }
    c->clock_fx += CYC(cyc);
    s->parts_fx[CP_TLB] += CYC(cyc);
    if (ps < 0) {
        struct walk_result wr;
        struct pgtable *pt = mm_pgtable(p->mm);
        p->tlb_misses += hit_ps < 0; /* a permission upgrade hit the TLB: its refill is no miss */
        for (int tries = 0;; tries++) {
            pagewalk_walk(&c->pw, pt, va, p->asid, &wr);
            p->walks++;
            c->clock_fx += CYC(wr.cycles);
            s->parts_fx[CP_WALK] += CYC(wr.cycles);
            if (wr.present && walk_allows(s, pt, va, write, &wr.pte)) {
                if (unlikely(s->pr->rc != NULL))
                    pressure_page_accessed(s, wr.pte); /* the walk sets the accessed bit */
                break;
            }
            if (tries >= 3 || take_fault(s, c, p, va, fault_flags(write, ifetch))) {
                *lshift = s->page_shift;
                return va;
            }
            s->fault_retries++;
        }
        ps = (int)wr.leaf_level - 1;
        val = wr.pte;
    }
    for (int k = 0; k < nm; k++) {
        struct tlb *t = &c->tlb[missed[k]];
        t->st.misses_ps[ps]++;
        fill_level(t, va, p->asid, (unsigned)ps, val);
    }
    for (int k = 0; k < nr; k++) /* the upgraded entry goes back where it was */
        fill_level(&c->tlb[refill[k]], va, p->asid, (unsigned)ps, val);
    *lshift = c->tlb[first].shift[held_size(&c->tlb[first], (unsigned)ps)];
    return phys_of(s, val, va, c->tlb[first].shift[ps]);
}

/* The first-level TLB missed the entry used last: a full lookup, then the lower levels. */
static __attribute__((noinline)) uint64_t translate_tlb(struct sim *s, struct cpu *c, struct proc *p,
                                                        int first, uint64_t va, int write,
                                                        int ifetch, uint64_t *mask)
{
    struct tlb *t = &c->tlb[first];
    uint64_t val;
    unsigned lshift;
    uint64_t pa;
    int ps = tlb_lookup(t, va, p->asid, &val);
    if (ps >= 0 && (!write || tlb_store_ok(val))) {
        if (t->latency) {
            c->clock_fx += CYC(t->latency);
            s->parts_fx[CP_TLB] += CYC(t->latency);
        }
        lshift = t->shift[ps];
        pa = phys_of(s, val, va, lshift);
    } else {
        pa = translate_slow(s, c, p, first, ps, va, write, ifetch, &lshift);
    }
    *mask = (1ULL << lshift) - 1;
    return pa;
}

/* The first level of the kind's TLB: on a hit of the entry used last (the common case) only
 * one counter moves. Everything else is out of line. */
static inline __attribute__((always_inline)) uint64_t
translate(struct sim *s, struct cpu *c, struct proc *p, int first, uint64_t va, int write,
          int ifetch, uint64_t *mask)
{
    if (likely(first >= 0)) {
        struct tlb *t = &c->tlb[first];
        if (likely((va >> t->last_shift) == t->last_vpn && p->asid == t->last_asid) &&
            likely(!write || t->last_store)) {
            t->st.hits_ps[t->last_psize]++;
            if (t->latency) {
                c->clock_fx += CYC(t->latency);
                s->parts_fx[CP_TLB] += CYC(t->latency);
            }
            *mask = t->last_mask;
            return t->last_pa_base + (va & t->last_mask);
        }
        return translate_tlb(s, c, p, first, va, write, ifetch, mask);
    }
    unsigned lshift;
    uint64_t pa = translate_untimed(s, c, p, va, write, ifetch, &lshift);
    *mask = (1ULL << lshift) - 1;
    return pa;
}

/* The cycles (fixed point) charged for lat cycles of cache stall: cpu.stall_scale of them
 * (1: all; exact, CYC(lat), at 1). */
static inline uint64_t stall_fx(const struct sim *s, uint64_t lat)
{
    return lat * s->stall_q16 >> (16 - CYC_SHIFT);
}

static __attribute__((noinline)) void cache_stall(struct sim *s, struct cpu *c, int first,
                                                  uint64_t pa, uint64_t pa_last)
{
    /* the first level's hit latency is hidden in the base CPI for the program's accesses */
    uint32_t hidden = c->cachep[first]->latency;
    uint32_t l = cache_chain_access(c->cachep, first, pa, 0, s->cfg.memory.latency);
    uint32_t lat = l > hidden ? l - hidden : 0;
    unsigned ls = c->cachep[first]->line_shift;
    if (unlikely((pa >> ls) != (pa_last >> ls))) {
        /* each line beyond the hidden hit on its own: a level configured faster than the
         * first one (memory.latency = 0 to leave memory out) adds nothing, never wraps */
        l = cache_chain_access(c->cachep, first, pa_last, 0, s->cfg.memory.latency);
        lat += l > hidden ? l - hidden : 0;
    }
    if (lat) {
        uint64_t fx = stall_fx(s, lat);
        c->clock_fx += fx;
        s->parts_fx[CP_CACHE] += fx;
    }
}

/* The first instruction fetch of a process: from now on fetches count the instructions. */
static __attribute__((noinline)) void first_fetch(struct proc *p)
{
    p->has_ifetch = 1;
    p->early_data = p->kinds[MMT_LOAD] + p->kinds[MMT_STORE] + p->kinds[MMT_MODIFY];
}

/* One access record: one instruction fetch, load, store or modify. Written without branches
 * on the kind (tables by kind), since fetches and data accesses interleave unpredictably. */
static inline __attribute__((always_inline)) void do_access(struct sim *s, struct cpu *c,
                                                            struct proc *p, const struct mmt_rec *r)
{
    unsigned kind = r->kind;
    uint64_t va = r->addr;
    int ifetch = kind == MMT_IFETCH;
    p->kinds[kind]++;
    if (unlikely(!p->has_ifetch) && ifetch)
        first_fetch(p);
    /* a fetch is an instruction; so is a data access of a process without fetches */
    c->clock_fx += s->cpi_fx & -(uint64_t)(ifetch | !p->has_ifetch);
    int write = kind >= MMT_STORE;
    uint64_t mask, last = va + (r->size ? r->size : 1) - 1;
    uint64_t pa = translate(s, c, p, c->tlb_of[kind], va, write, ifetch, &mask);
    uint64_t pa_last = pa + (last - va);
    if (unlikely((last & ~mask) != (va & ~mask)))
        pa_last = translate(s, c, p, c->tlb_of[kind], last, write, ifetch, &mask);
    struct cache *l1 = c->l1_of[kind];
    uint64_t line = pa >> l1->line_shift;
    if (likely(line == l1->last_line && (pa_last >> l1->line_shift) == line))
        l1->st.hits++;
    else
        cache_stall(s, c, c->cache_of[kind], pa, pa_last);
}

/* Charges n bytes from pa to the data caches: one access a line of the first level, the
 * latency beyond a first-level hit as for the program's own accesses. */
static void kernel_access_lines(struct sim *s, struct cpu *c, int first, uint64_t pa, uint64_t n)
{
    uint32_t hidden = c->cachep[first]->latency;
    unsigned ls = c->cachep[first]->line_shift;
    uint64_t lat = 0;
    for (uint64_t line = pa >> ls; line <= (pa + n - 1) >> ls; line++) {
        uint32_t l = cache_chain_access(c->cachep, first, line << ls, 0, s->cfg.memory.latency);
        lat += l > hidden ? l - hidden : 0;
    }
    c->clock_fx += stall_fx(s, lat);
    s->parts_fx[CP_CACHE] += stall_fx(s, lat);
}

/* The most one read(2)/write(2) moves (MAX_RW_COUNT, INT_MAX rounded down to a page): a
 * longer range (a corrupt trace) is cut to it. */
#define KERNEL_ACCESS_MAX (0x7fffffffULL & ~0xfffULL)

/* The kernel reads or writes [va, va + len) of p's memory for a system call (copy_from_user,
 * copy_to_user, strncpy_from_user). It goes through p's translations like the program's
 * loads and stores: one data-TLB translation a base page, which takes that page's fault (a
 * write to an absent page is a write fault, as copy_to_user's is), then one access a line
 * of the first data cache. No instruction is counted. An unmapped page ends the copy. */
static void kernel_access(struct sim *s, struct cpu *c, struct proc *p, uint64_t va, uint64_t len,
                          int write)
{
    struct kaccess_stats *k = &s->kacc[write != 0];
    unsigned kind = write ? MMT_STORE : MMT_LOAD;
    uint64_t faults0 = s->faults_minor + s->faults_major + s->faults_oom;
    if (len > KERNEL_ACCESS_MAX)
        len = KERNEL_ACCESS_MAX;
    uint64_t end = va + len, page = (1ULL << s->page_shift) - 1;
    k->ranges++;
    k->bytes += len;
    if (end < va) /* a range past the top of the address space: up to the top */
        end = UINT64_MAX;
    for (uint64_t a = va; a < end;) {
        uint64_t mask, stop = (a | page) + 1, segv0 = s->faults_segv;
        if (stop > end || stop == 0)
            stop = end;
        uint64_t pa = translate(s, c, p, c->tlb_of[kind], a, write, 0, &mask);
        if (s->faults_segv != segv0) {
            /* no mapping: the copy stops and the call fails with EFAULT, no signal */
            s->faults_segv = segv0;
            p->faults_segv--;
            break;
        }
        if (p->exited || !p->mm || s->streams[p->trace].killed) /* the OOM killer took it */
            break;
        if (c->cache_of[kind] >= 0)
            kernel_access_lines(s, c, c->cache_of[kind], pa, stop - a);
        a = stop;
    }
    k->faults += s->faults_minor + s->faults_major + s->faults_oom - faults0;
}

/* The tables by kind the access path reads instead of branching. */
static void setup_access_tables(struct cpu *c)
{
    memset(&c->no_cache, 0, sizeof c->no_cache);
    c->no_cache.line_shift = 63; /* every address below 2^63 is line 0 */
    c->no_cache.last_line = 0;
    c->no_cache.next = -1;
    for (unsigned k = 0; k < 4; k++) {
        int ifetch = k == MMT_IFETCH;
        c->tlb_of[k] = ifetch ? c->itlb : c->dtlb;
        c->cache_of[k] = ifetch ? c->icache : c->dcache;
        c->l1_of[k] = c->cache_of[k] >= 0 ? c->cachep[c->cache_of[k]] : &c->no_cache;
    }
}

/* ---- records other than accesses ---- */

/* A process of this trace with this pid: live only, or any (exited too). */
static struct proc *find_proc(struct sim *s, uint32_t trace, uint32_t pid, int any)
{
    for (uint32_t i = s->nprocs; i-- > 0;)
        if (s->procs[i]->trace == trace && s->procs[i]->pid == pid && (any || !s->procs[i]->exited))
            return s->procs[i];
    return NULL;
}

/* The live process pid of the stream, made when first needed. A pid that a trace shows
 * before (or without) its fork event is taken as a child of the process that ran last in
 * that trace: its address space is copied, so its mappings are known. */
/* sched_proc for a process of trace `trace` (a trace without mapping events maps every
 * address). */
static struct proc *trace_proc(struct sim *s, uint32_t trace, uint32_t pid, struct proc *parent, int share_mm)
{
    return sched_proc(s, trace, pid, parent, share_mm, (s->streams[trace].src.flags & SIM_SOURCE_NO_MAPPINGS) != 0);
}

static struct proc *proc_for_pid(struct sim *s, struct stream *st, uint32_t pid)
{
    uint32_t trace = (uint32_t)(st - s->streams);
    struct proc *p = find_proc(s, trace, pid, 0);
    if (p)
        return p;
    struct proc *parent = st->last_live && !st->last_live->exited ? st->last_live : NULL;
    for (uint32_t i = s->nprocs; !parent && st->last_live && i-- > 0;)
        if (s->procs[i]->trace == trace && !s->procs[i]->exited)
            parent = s->procs[i];
    p = trace_proc(s, trace, pid, parent, 0);
    if (p && parent)
        s->unforked++;
    return p;
}

static struct proc *stream_proc(struct sim *s, struct stream *st)
{
    if (!st->cur) {
        st->cur = proc_for_pid(s, st, st->cur_pid);
        if (st->cur)
            st->last_live = st->cur;
    }
    return st->cur;
}

static void apply_mm_event(struct sim *s, struct proc *p, const struct mmt_event *ev)
{
    struct mm_inval inv;
    mm_event(s->ms, p->mm, ev, &inv);
    sched_invalidate(s, p, &inv);
}

static int apply_event(struct sim *s, struct cpu *c, struct stream *st, const struct mmt_event *ev)
{
    if (ev->type == MMT_EV_WINDOW) { /* no process needed (it may have exited just before) */
        st->events++;
        sim_window_marker(s, st, ev);
        s->events_applied++;
        return 0;
    }
    uint32_t trace = (uint32_t)(st - s->streams);
    struct proc *p = stream_proc(s, st);
    if (ev->pid && p && ev->pid != p->pid)
        p = proc_for_pid(s, st, ev->pid);
    if (!p)
        return sim_fail(s, "%s: record %llu: cannot make process %u (out of memory)", st->name,
                        (unsigned long long)(st->batch_base + st->i), ev->pid ? ev->pid : st->cur_pid);
    st->events++;
    switch (ev->type) {
    case MMT_EV_FORK: {
        /* CLONE_VM without threads (vfork, posix_spawn): the child runs in the parent's mm
         * until it execs, and nothing is write-protected */
        int share = ev->nargs >= 2 && (ev->args[1] & MMT_CLONE_VM);
        /* a child already seen (its records came before this event) is not made again */
        if (ev->nargs >= 1 && ev->result >= 0 && !find_proc(s, trace, (uint32_t)ev->args[0], 1) &&
            !trace_proc(s, trace, (uint32_t)ev->args[0], p, share))
            return sim_fail(s, "%s: record %llu: cannot fork pid %llu", st->name,
                            (unsigned long long)(st->batch_base + st->i), (unsigned long long)ev->args[0]);
        if (ev->nargs >= 1 && ev->result >= 0 && !share) {
            /* dup_mmap write-protected the parent's private pages: flush_tlb_mm(oldmm) */
            struct mm_inval all = {0, 0, 1};
            sched_invalidate(s, p, &all);
        }
        break;
    }
    case MMT_EV_EXEC:
        /* exec_mmap: a new address space; a vfork child leaves its parent's to the parent */
        if (mm_shared(p->mm)) {
            struct mm *fresh = mm_new(s->ms);
            if (!fresh)
                return sim_fail(s, "%s: record %llu: exec of pid %u: out of memory", st->name,
                                (unsigned long long)(st->batch_base + st->i), p->pid);
            struct mm_inval all = {0, 0, 1};
            sched_invalidate(s, p, &all);
            mm_destroy(s->ms, p->mm);
            p->mm = fresh;
        }
        apply_mm_event(s, p, ev);
        break;
    case MMT_EV_CLONE:
        p->threads++;
        break;
    case MMT_EV_EXIT:
        if (ev->nargs >= 2 && ev->args[1]) {
            sched_proc_exit(s, p);
            if (st->cur == p)
                st->cur = NULL;
        }
        break;
    case MMT_EV_SLEEP:
        if (ev->nargs >= 1 && ev->args[0]) {
            uint64_t until = c->clock_fx + CYC((uint64_t)((double)ev->args[0] * s->cfg.cpu.freq_ghz));
            if (until > c->block_fx)
                c->block_fx = until;
            c->next_check_fx = 0;
        }
        break;
    case MMT_EV_KERNEL_READ:
    case MMT_EV_KERNEL_WRITE:
        if (ev->nargs >= 2 && ev->args[1]) {
            sched_switch_to(s, c, p);
            kernel_access(s, c, p, ev->args[0], ev->args[1], ev->type == MMT_EV_KERNEL_WRITE);
        }
        break;
    case MMT_EV_PAGE_FAULT:
        st->page_fault_events++;
        p->trace_faults++;
        if (ev->nargs >= 1)
            take_fault(s, c, p, ev->args[0], (ev->nargs >= 2 && (ev->args[1] & 1)) ? FAULT_FLAG_WRITE : 0);
        break;
    default:
        apply_mm_event(s, p, ev);
        break;
    }
    s->events_applied++;
    return 0;
}

static int handle_record(struct sim *s, struct cpu *c, struct stream *st, const struct mmt_rec *r)
{
    if (r->kind <= MMT_MODIFY) { /* an access before any process is known */
        struct proc *p = stream_proc(s, st);
        if (!p)
            return sim_fail(s, "%s: record %llu: cannot make process %u (out of memory)", st->name,
                            (unsigned long long)(st->batch_base + st->i), st->cur_pid);
        sched_switch_to(s, c, p);
        do_access(s, c, p, r);
        if (unlikely(st->warm_left) && --st->warm_left == 0)
            sim_window_warm_done(s, st);
        return 0;
    }
    if (r->kind == MMT_SWITCH) {
        /* the process is made (or its exit noticed) only when a record of it comes */
        s->switches++;
        st->cur_pid = r->aux;
        st->cur = find_proc(s, (uint32_t)(st - s->streams), r->aux, 0);
        if (st->cur) {
            st->last_live = st->cur;
            sched_switch_to(s, c, st->cur);
        }
        return 0;
    }
    if (r->kind == MMT_EVENT) {
        const struct mmt_event *ev = st->src.event(st->src.ctx, r->aux);
        if (!ev)
            return sim_fail(s, "%s: record %llu: event %u missing from its batch", st->name,
                            (unsigned long long)(st->batch_base + st->i), r->aux);
        return apply_event(s, c, st, ev);
    }
    return 0; /* unknown kinds from newer traces are skipped */
}

static int next_batch(struct sim *s, struct stream *st)
{
    st->batch_base += st->n;
    int rc = st->src.next(st->src.ctx, &st->recs, &st->n);
    st->i = 0;
    if (rc < 0) {
        const char *why = st->src.error ? st->src.error(st->src.ctx) : NULL;
        size_t nl = strlen(st->name);
        if (why && !strncmp(why, st->name, nl) && why[nl] == ':') /* the reader named the file */
            return sim_fail(s, "%s", why);
        return sim_fail(s, "%s: %s", st->name, why ? why : "read error");
    }
    if (rc == 0) {
        st->n = 0;
        st->state = ST_DONE;
        return 0;
    }
    s->records += st->n;
    if (s->progress_on)
        progress_update(&s->progress, "replay: %s: %llu records, %llu Mcycles", st->name,
                        (unsigned long long)(st->batch_base + st->n),
                        (unsigned long long)(sched_now_fx(s) >> CYC_SHIFT) / 1000000);
    return 1;
}

/* Runs the stream on c until the quantum ends, it blocks, or it ends. */
static int run_stream(struct sim *s, struct cpu *c, struct stream *st)
{
    if (unlikely(st->killed))
        return pressure_finish_killed(s, st);
    if (st->cur)
        sched_switch_to(s, c, st->cur);
    sim_recompute_check(s, c);
    for (;;) {
        if (st->i >= st->n) {
            int rc = next_batch(s, st);
            if (rc <= 0)
                return rc;
        }
        const struct mmt_rec *recs = st->recs;
        size_t n = st->n, i = st->i;
        struct proc *p = st->cur;
        while (i < n) {
            const struct mmt_rec *r = &recs[i++];
            if (likely(r->kind <= MMT_MODIFY && p != NULL)) {
                do_access(s, c, p, r);
                if (unlikely(st->warm_left) && --st->warm_left == 0)
                    sim_window_warm_done(s, st);
                if (unlikely(c->clock_fx >= c->next_check_fx))
                    break;
                continue;
            }
            st->i = i - 1;
            if (handle_record(s, c, st, r))
                return -1;
            p = st->cur;
            /* an event may have made the stream's process: it runs on c from now on (else
             * the next slice would load it again, a flush without PCID) */
            if (p && c->loaded != p)
                sched_switch_to(s, c, p);
            if (c->clock_fx >= c->next_check_fx)
                break;
        }
        st->i = i;
        if (unlikely(st->killed))
            return pressure_finish_killed(s, st);
        if (c->block_fx) {
            st->state = ST_BLOCKED;
            st->se.ready_fx = c->block_fx > c->clock_fx ? c->block_fx : c->clock_fx;
            /* the read's completion interrupt wakes it (timing.irq_cpu; -1: the CPU it
             * queued the read from, as a per-CPU queue's) */
            st->se.wake_cpu = c->block_io && s->cfg.timing.irq_cpu >= 0 ? (int)((uint32_t)s->cfg.timing.irq_cpu % s->ncpu) : -1;
            c->block_fx = 0;
            c->block_io = 0;
            return 0;
        }
        if (c->clock_fx >= c->next_check_fx) {
            if (s->next_event_fx <= c->clock_fx)
                sim_events_due(s, c->clock_fx);
            if (c->clock_fx >= c->slice_end_fx)
                return 0;
            sim_recompute_check(s, c);
        }
    }
}

/* A trace stream as a task of the scheduler's run queue: one slice of its records. */
static enum sched_slice stream_run_slice(struct sim *s, struct cpu *c, void *self)
{
    struct stream *st = self;
    st->state = ST_READY;
    if (run_stream(s, c, st))
        return SLICE_FAILED;
    if (st->state == ST_DONE) {
        pressure_stream_done(s, (uint32_t)(st - s->streams), c->clock_fx);
        return SLICE_DONE;
    }
    return st->state == ST_BLOCKED ? SLICE_BLOCKED : SLICE_AGAIN;
}

static const struct sched_task stream_task = {"stream", NULL, stream_run_slice};

int sim_run(struct sim *s, char *err, size_t errlen)
{
    s->err = err;
    s->errlen = errlen;
    if (s->ran)
        return sim_fail(s, "sim: already run");
    s->ran = 1;
    if (s->progress_on)
        progress_init(&s->progress);
    if (s->timeline) {
        stats_timeline_header(s);
        heap_push(s, (struct sim_event){CYC(s->cfg.stats.sample_interval), SEV_SAMPLE, 0});
    }
    if (s->pr->vmstat_interval_fx)
        heap_push(s, (struct sim_event){s->pr->vmstat_interval_fx, SEV_VMSTAT, 0});
    for (uint32_t i = 0; i < s->nstreams; i++) {
        struct stream *st = &s->streams[i];
        st->se.task = &stream_task;
        st->se.self = st;
        if (sched_enqueue(s, &st->se))
            return sim_fail(s, "sim: out of memory");
    }
    int rc = sched_run(s);
    if (!rc)
        sim_windows_finish(s);
    if (s->timeline && !rc)
        stats_timeline_row(s, sched_now_fx(s));
    if (s->progress_on)
        progress_done(&s->progress);
    return rc ? -1 : 0;
}
