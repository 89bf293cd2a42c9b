/* sched.c - CPUs, processes and the run queue (kernel/sched, much simplified).
 *
 * The scheduler runs tasks (struct sched_task, sim_internal.h) and knows them by that
 * interface alone. Queued tasks (each trace's stream of records, in the order its threads
 * ran) share the configured CPUs: the CPU whose clock is lowest takes the first ready task
 * of the run queue for one quantum (round robin), then the task goes to the back of the
 * queue. A task blocked on I/O or sleeping is ready again at its wake-up time; a CPU with
 * nothing ready idles until the first wake-up. A task outside the queue (kswapd) runs first
 * whenever it says it is due. This file calls no other part of the engine (sim.c,
 * pressure.c, kswapd.c, the statistics): they call it. */
#include <stdlib.h>
#include <string.h>

#include "model/pressure.h"
#include "model/sim_internal.h"

/* The first level of each kind: a level no other level names as `next`. */
static void find_roots(const struct mmsim_config *cfg, int is_tlb, int *data, int *instr)
{
    uint32_t n = is_tlb ? cfg->ntlb : cfg->ncache;
    *data = *instr = -1;
    for (uint32_t i = 0; i < n; i++) {
        int referenced = 0;
        for (uint32_t j = 0; j < n; j++)
            referenced |= (is_tlb ? cfg->tlb[j].next_index : cfg->cache[j].next_index) == (int)i;
        if (referenced)
            continue;
        unsigned kind = is_tlb ? cfg->tlb[i].kind : cfg->cache[i].kind;
        if (kind != TLB_KIND_INSTRUCTION && *data < 0)
            *data = (int)i;
        if (kind != TLB_KIND_DATA && *instr < 0)
            *instr = (int)i;
    }
}

static int cpu_init(struct sim *s, struct cpu *c, char *err, size_t errlen)
{
    const struct mmsim_config *cfg = &s->cfg;
    unsigned bits = s->page_shift - 3;
    unsigned shifts[TLB_NR_PSIZES] = {s->page_shift, s->page_shift + bits, s->page_shift + 2 * bits};
    c->tlb = calloc(cfg->ntlb ? cfg->ntlb : 1, sizeof *c->tlb);
    c->cache = calloc(cfg->ncache ? cfg->ncache : 1, sizeof *c->cache);
    c->cachep = calloc(cfg->ncache ? cfg->ncache : 1, sizeof *c->cachep);
    if (!c->tlb || !c->cache || !c->cachep) {
        snprintf(err, errlen, "sim: out of memory for CPU structures");
        return -1;
    }
    for (uint32_t i = 0; i < cfg->ntlb; i++, c->ntlb++)
        if (tlb_init(&c->tlb[i], &cfg->tlb[i], shifts)) {
            snprintf(err, errlen, "sim: cannot build tlb.%s", cfg->tlb[i].name);
            return -1;
        }
    for (uint32_t i = 0; i < cfg->ncache; i++, c->ncache++) {
        /* a shared level (an LLC) is CPU 0's instance for every CPU */
        if (cfg->cache[i].shared && c != &s->cpus[0]) {
            c->cachep[i] = s->cpus[0].cachep[i];
            continue;
        }
        c->cachep[i] = &c->cache[i];
        if (cache_init(&c->cache[i], &cfg->cache[i])) {
            snprintf(err, errlen, "sim: cannot build cache.%s", cfg->cache[i].name);
            return -1;
        }
    }
    find_roots(cfg, 1, &c->dtlb, &c->itlb);
    find_roots(cfg, 0, &c->dcache, &c->icache);
    if (pagewalk_init(&c->pw, cfg, c->cachep, c->dcache)) {
        snprintf(err, errlen, "sim: cannot build the page walker's caches");
        return -1;
    }
    c->raw_vpn = UINT64_MAX;
    return 0;
}

static void cpu_destroy(struct cpu *c)
{
    for (uint32_t i = 0; i < c->ntlb; i++)
        tlb_destroy(&c->tlb[i]);
    for (uint32_t i = 0; i < c->ncache; i++)
        cache_destroy(&c->cache[i]);
    pagewalk_destroy(&c->pw);
    free(c->irq_fx);
    free(c->ipi_pend);
    free(c->tlb);
    free(c->cache);
    free(c->cachep);
}

void sched_invalidate(struct sim *s, struct proc *p, const struct mm_inval *inv)
{
    if (!inv->all && inv->end <= inv->start)
        return;
    for (uint32_t i = 0; i < s->ncpu; i++) {
        struct cpu *c = &s->cpus[i];
        for (uint32_t t = 0; t < c->ntlb; t++) {
            if (inv->all)
                tlb_flush_asid(&c->tlb[t], p->asid);
            else
                tlb_invalidate_range(&c->tlb[t], inv->start, inv->end, p->asid);
        }
        /* freed tables may have been cached: drop this address space's PSC entries */
        pagewalk_flush_asid(&c->pw, p->asid);
        c->raw_vpn = UINT64_MAX;
    }
    s->shootdowns++;
}

int sched_init(struct sim *s, char *err, size_t errlen)
{
    s->ncpu = s->cfg.cpu.count;
    s->cpus = calloc(s->ncpu, sizeof *s->cpus);
    if (!s->cpus) {
        snprintf(err, errlen, "sim: out of memory");
        return -1;
    }
    for (uint32_t i = 0; i < s->ncpu; i++)
        if (cpu_init(s, &s->cpus[i], err, errlen))
            return -1;
    return 0;
}

void sched_destroy(struct sim *s)
{
    for (uint32_t i = 0; s->cpus && i < s->ncpu; i++)
        cpu_destroy(&s->cpus[i]);
    free(s->cpus);
    s->cpus = NULL;
    for (uint32_t i = 0; i < s->nprocs; i++) {
        if (s->procs[i]->mm)
            mm_destroy(s->ms, s->procs[i]->mm);
        free(s->procs[i]);
    }
    free(s->procs);
    s->procs = NULL;
    s->nprocs = 0;
    free(s->rq);
    s->rq = NULL;
}

/* A trace without mapping events: one anonymous mapping over the user address space. */
static void map_everything(struct sim *s, struct proc *p)
{
    unsigned bits = s->page_shift - 3;
    unsigned vabits = s->page_shift + s->cfg.walker.levels * bits - 1; /* the lower half */
    struct mmt_event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = MMT_EV_MAP_INITIAL;
    ev.pid = p->pid;
    ev.nargs = 6;
    ev.args[0] = 1ULL << s->page_shift;                  /* start */
    ev.args[1] = (1ULL << vabits) - (1ULL << s->page_shift); /* end */
    ev.args[2] = 7;                                      /* PROT_READ | PROT_WRITE | PROT_EXEC */
    ev.args[3] = 0x22;                                   /* MAP_PRIVATE | MAP_ANONYMOUS */
    struct mm_inval inv;
    mm_event(s->ms, p->mm, &ev, &inv);
}

struct proc *sched_proc(struct sim *s, uint32_t trace, uint32_t pid, struct proc *parent, int share_mm,
                        int no_mappings)
{
    for (uint32_t i = s->nprocs; i-- > 0;)
        if (s->procs[i]->trace == trace && s->procs[i]->pid == pid && !s->procs[i]->exited)
            return s->procs[i];
    if (s->nprocs == s->capprocs) {
        uint32_t cap = s->capprocs ? s->capprocs * 2 : 16;
        struct proc **np = realloc(s->procs, cap * sizeof *np);
        if (!np)
            return NULL;
        s->procs = np;
        s->capprocs = cap;
    }
    struct proc *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->trace = trace;
    p->pid = pid;
    p->threads = 1;
    /* ASIDs 1..4095; after that they are reused, which only costs the TLBs a flush */
    p->asid = s->next_asid++ % ((1u << TLB_ASID_BITS) - 1) + 1;
    if (parent && parent->mm)
        p->mm = share_mm ? mm_share(parent->mm) : mm_fork(s->ms, parent->mm);
    else
        p->mm = mm_new(s->ms);
    if (!p->mm) {
        free(p);
        return NULL;
    }
    if (s->next_asid >= (1u << TLB_ASID_BITS))
        for (uint32_t i = 0; i < s->ncpu; i++) {
            for (uint32_t t = 0; t < s->cpus[i].ntlb; t++)
                tlb_flush_asid(&s->cpus[i].tlb[t], p->asid);
            pagewalk_flush_asid(&s->cpus[i].pw, p->asid);
        }
    s->procs[s->nprocs++] = p;
    if (no_mappings) {
        p->no_mappings = 1;
        if (!parent) /* a child inherits its parent's mapping by fork */
            map_everything(s, p);
    }
    return p;
}

void sched_proc_exit(struct sim *s, struct proc *p)
{
    if (p->exited)
        return;
    p->last = *mm_counters(p->mm);
    if (mm_shared(p->mm)) /* a vfork child leaving without exec: the pages are its parent's */
        memset(&p->last, 0, sizeof p->last);
    struct mm_inval all = {0, 0, 1};
    sched_invalidate(s, p, &all);
    for (uint32_t i = 0; i < s->ncpu; i++)
        if (s->cpus[i].loaded == p)
            s->cpus[i].loaded = NULL;
    mm_destroy(s->ms, p->mm);
    p->mm = NULL;
    p->exited = 1;
}

void sched_switch_to(struct sim *s, struct cpu *c, struct proc *p)
{
    if (c->loaded == p || !p)
        return;
    if (c->loaded) {
        c->clock_fx += CYC(s->cfg.cpu.context_switch);
        s->parts_fx[CP_SWITCH] += CYC(s->cfg.cpu.context_switch);
        s->ctx_switches++;
    }
    if (!s->cfg.cpu.pcid) {
        for (uint32_t t = 0; t < c->ntlb; t++)
            tlb_flush_all(&c->tlb[t]);
        pagewalk_flush_all(&c->pw);
        s->tlb_flushes++;
    }
    c->loaded = p;
    c->raw_vpn = UINT64_MAX;
}

uint64_t sched_now_fx(const struct sim *s)
{
    uint64_t t = 0;
    for (uint32_t i = 0; i < s->ncpu; i++)
        if (s->cpus[i].clock_fx > t)
            t = s->cpus[i].clock_fx;
    return t;
}

static struct cpu *earliest_cpu(struct sim *s)
{
    struct cpu *best = &s->cpus[0];
    for (uint32_t i = 1; i < s->ncpu; i++)
        if (s->cpus[i].clock_fx < best->clock_fx)
            best = &s->cpus[i];
    return best;
}

static struct sched_entity *rq_at(const struct sim *s, uint32_t k)
{
    return s->rq[(s->rq_head + k) % s->rq_cap];
}

/* Takes the first task ready at `now` that last ran on this CPU (or never ran: the caches
 * and TLBs it warmed are here), else the first ready one, else the one that wakes first. */
static struct sched_entity *rq_take(struct sim *s, int cpu, uint64_t now)
{
    uint32_t pick = 0;
    int found = 0;
    for (uint32_t k = 0; k < s->rq_len && !found; k++) {
        const struct sched_entity *se = rq_at(s, k);
        if (se->ready_fx <= now && (se->last_cpu == cpu || se->last_cpu < 0)) {
            pick = k;
            found = 1;
        }
    }
    for (uint32_t k = 0; k < s->rq_len && !found; k++) {
        const struct sched_entity *se = rq_at(s, k);
        if (se->ready_fx <= now) {
            pick = k;
            found = 1;
            break;
        }
        if (se->ready_fx < rq_at(s, pick)->ready_fx)
            pick = k;
    }
    struct sched_entity *se = rq_at(s, pick);
    for (uint32_t k = pick; k > 0; k--) /* close the gap, keeping the order */
        s->rq[(s->rq_head + k) % s->rq_cap] = rq_at(s, k - 1);
    s->rq_head = (s->rq_head + 1) % s->rq_cap;
    s->rq_len--;
    return se;
}

/* The earliest time a queued task is ready. */
static uint64_t first_ready_fx(const struct sim *s)
{
    uint64_t t = UINT64_MAX;
    for (uint32_t k = 0; k < s->rq_len; k++)
        if (rq_at(s, k)->ready_fx < t)
            t = rq_at(s, k)->ready_fx;
    return t;
}

/* A task taken from the queue goes back: there is room for it. */
static void rq_push(struct sim *s, struct sched_entity *se)
{
    s->rq[(s->rq_head + s->rq_len) % s->rq_cap] = se;
    s->rq_len++;
}

/* At the queue's head: of the queued tasks it is ready first (it has room: just taken). */
static void rq_push_front(struct sim *s, struct sched_entity *se)
{
    s->rq_head = (s->rq_head + s->rq_cap - 1) % s->rq_cap;
    s->rq[s->rq_head] = se;
    s->rq_len++;
}

/* Where a task not ready at c's time (asleep, or preempted at its quantum's end on another
 * CPU) wakes, when that is another CPU, idle when the task is ready (its time has not
 * passed it): -1 for c itself. select_task_rq_fair: a wake-up by a device interrupt on an
 * idle CPU moves the task there (wake_affine: the waker's CPU; on this paravirtual guest an
 * idle vCPU counts as preempted, not available, so the previous one is not kept; traced: a
 * program exec'd on CPU 0 ran on CPU 1, the swap device's interrupt CPU, from its first
 * major fault on); otherwise select_idle_sibling keeps the previous CPU when it is idle. A
 * lone process keeps its CPU once it is there, its TLB and its mm_cpumask, as in the
 * kernel. */
static int wake_cpu_of(const struct sim *s, const struct cpu *c, const struct sched_entity *se)
{
    if (se->ready_fx <= c->clock_fx)
        return -1;
    int cands[2] = {se->wake_cpu, se->last_cpu};
    for (int k = 0; k < 2; k++) {
        if (cands[k] < 0 || (uint32_t)cands[k] >= s->ncpu)
            continue;
        const struct cpu *d = &s->cpus[cands[k]];
        /* idle by then, or still busy with this task's own work (what its fault did after
         * the read was queued): the task is that CPU's */
        if (d->clock_fx <= se->ready_fx || d->last_se == se)
            return d == c ? -1 : cands[k];
    }
    return -1;
}

int sched_enqueue(struct sim *s, struct sched_entity *se)
{
    if (s->rq_len == s->rq_cap) {
        if (s->rq_head) /* the queue only grows before the run, when it has not turned */
            return -1;
        uint32_t cap = s->rq_cap ? s->rq_cap * 2 : 4;
        struct sched_entity **n = realloc(s->rq, cap * sizeof *n);
        if (!n)
            return -1;
        s->rq = n;
        s->rq_cap = cap;
    }
    rq_push(s, se);
    return 0;
}

int sched_add_task(struct sim *s, const struct sched_task *t)
{
    if (s->ntasks >= SCHED_MAX_TASKS)
        return -1;
    s->tasks[s->ntasks++] = t;
    return 0;
}

/* The first task outside the queue due before every queued task, or NULL. */
static const struct sched_task *due_task(const struct sim *s)
{
    if (!s->ntasks)
        return NULL;
    uint64_t queue_ready = first_ready_fx(s);
    for (uint32_t i = 0; i < s->ntasks; i++)
        if (s->tasks[i]->due(s, queue_ready))
            return s->tasks[i];
    return NULL;
}

/* CPUs share caches and memory bandwidth: the time c's last slice ran while another CPU
 * was busy is stretched on both (cpu.contention, reached when every other CPU is busy). The
 * CPU picked next is the earliest, so the slice of another CPU that overlaps c's is its last
 * one; a later slice of it meets c's slice when it ends: each overlap is counted once. */
static void stretch_for_contention(struct sim *s, struct cpu *c)
{
    double k = (s->cfg.cpu.contention - 1.0) / (double)(s->ncpu - 1);
    for (uint32_t i = 0; i < s->ncpu; i++) {
        struct cpu *d = &s->cpus[i];
        if (d == c)
            continue;
        struct cpu_slice *h = &d->hist[(d->hist_next + CPU_HIST - 1) % CPU_HIST];
        uint64_t from = h->from_fx > c->busy_from_fx ? h->from_fx : c->busy_from_fx;
        uint64_t to = h->to_fx < c->clock_fx ? h->to_fx : c->clock_fx;
        if (to <= from)
            continue;
        uint64_t extra = (uint64_t)((double)(to - from) * k);
        c->clock_fx += extra;
        if (h->to_fx == d->clock_fx)
            h->to_fx += extra;
        d->clock_fx += extra;
        s->parts_fx[CP_CONTENTION] += 2 * extra;
    }
}

/* The end of a slice of c (a task's or a kernel thread's). */
static void slice_end(struct sim *s, struct cpu *c)
{
    if (s->ncpu > 1 && s->cfg.cpu.contention > 1.0)
        stretch_for_contention(s, c);
    pressure_slice_end(s, c);
}

int sched_run(struct sim *s)
{
    while (s->rq_len) {
        struct cpu *c = earliest_cpu(s);
        const struct sched_task *task = due_task(s);
        if (task) {
            c->busy_from_fx = c->clock_fx; /* a task that idles first moves it */
            if (task->run_slice(s, c, NULL) == SLICE_FAILED)
                return -1;
            c->running = NULL; /* a kernel thread: no user address space to flush */
            c->last_se = NULL;
            slice_end(s, c);
            continue;
        }
        struct sched_entity *se = rq_take(s, (int)(c - s->cpus), c->clock_fx);
        int to = wake_cpu_of(s, c, se);
        if (to >= 0) {
            rq_push_front(s, se);
            /* past the wake-up and the other CPU's time: that CPU comes first */
            uint64_t until = se->ready_fx > s->cpus[to].clock_fx ? se->ready_fx : s->cpus[to].clock_fx;
            c->idle_fx += until + 1 - c->clock_fx;
            c->clock_fx = until + 1;
            continue;
        }
        se->last_cpu = (int)(c - s->cpus);
        if (se->ready_fx > c->clock_fx) { /* nothing ready: idle until it is */
            c->idle_fx += se->ready_fx - c->clock_fx;
            c->clock_fx = se->ready_fx;
        }
        c->slice_end_fx = c->clock_fx + s->quantum_fx;
        c->busy_from_fx = c->clock_fx;
        enum sched_slice r = se->task->run_slice(s, c, se->self);
        if (r == SLICE_FAILED)
            return -1;
        c->running = c->loaded;
        c->last_se = se;
        slice_end(s, c);
        if (r == SLICE_DONE)
            continue;
        if (r == SLICE_AGAIN)
            se->ready_fx = c->clock_fx;
        rq_push(s, se);
    }
    return 0;
}
