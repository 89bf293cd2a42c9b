/* pressure.c - memory pressure on the simulated machine: shootdowns, the OOM kill, PSI,
 * vmstat and the reports (kswapd's wakeup and slices are kswapd.c's). See pressure.h. */
#include "model/pressure.h"

#include <stdlib.h>
#include <string.h>

#include "model/kswapd.h"
#include "model/meminfo.h"
#include "model/oom_kill.h"
#include "model/pgtable.h"
#include "model/reclaim.h"
#include "model/sim_internal.h"
#include "model/statreg.h"

#define INVAL_BATCH 256

int pressure_init(struct sim *s)
{
    struct pressure *pr = calloc(1, sizeof(*pr));
    if (!pr) {
        free(pr);
        return -1;
    }
    pr->rc = memsys_reclaim(s->ms);
    pr->dmesg_f = open_memstream(&pr->dmesg, &pr->dmesg_len);
    if (!pr->dmesg_f) {
        free(pr);
        return -1;
    }
    s->pr = pr;
    return 0;
}

void pressure_destroy(struct sim *s)
{
    struct pressure *pr = s->pr;
    if (!pr)
        return;
    if (pr->dmesg_f)
        fclose(pr->dmesg_f);
    free(pr->dmesg);
    free(pr->kills);
    free(pr->comm);
    free(pr->stalls);
    free(pr->stream_end_fx);
    free(pr);
    s->pr = NULL;
}

uint64_t pressure_ns(const struct sim *s, uint64_t fx)
{
    return (uint64_t)((double)(fx >> CYC_SHIFT) / s->cfg.cpu.freq_ghz);
}

void pressure_before_fault(struct sim *s, struct cpu *c)
{
    if (s->pr && s->pr->rc) {
        reclaim_set_time(s->pr->rc, pressure_ns(s, c->clock_fx));
        reclaim_set_cpu(s->pr->rc, (unsigned)(c - s->cpus));
    }
}

static struct proc *proc_of_mm(struct sim *s, const struct mm *mm)
{
    for (uint32_t i = 0; i < s->nprocs; i++)
        if (s->procs[i]->mm == mm && !s->procs[i]->exited)
            return s->procs[i];
    return NULL;
}

static int inval_cmp(const void *a, const void *b)
{
    const struct reclaim_inval *x = a, *y = b;
    if (x->mm != y->mm)
        return (uintptr_t)x->mm < (uintptr_t)y->mm ? -1 : 1;
    return x->va < y->va ? -1 : x->va > y->va;
}

/* What d ran at time t: a process, or NULL (idle, a kernel thread, or too long ago). */
static const struct proc *ran_at(const struct cpu *d, uint64_t t)
{
    for (uint32_t k = 0; k < CPU_HIST; k++) {
        const struct cpu_slice *h = &d->hist[k];
        if (h->from_fx <= t && t < h->to_fx)
            return h->p;
    }
    return NULL;
}

/* CPU i's bit of a process's mm_cpumask (CPUs past the mask's width: always in it). */
static uint64_t cpu_bit(uint32_t i)
{
    return i < 64 ? 1ull << i : 0;
}

static int in_cpumask(uint64_t mask, uint32_t i)
{
    return i >= 64 || (mask & cpu_bit(i));
}

/* The receiver's cost of a flush: its task's process is one the flush unmapped from
 * (timing.tlb_ipi_recv), or another (tlb_ipi_recv_other). */
static uint64_t recv_cycles(const struct sim *s, const struct proc *ran, const struct flush_mms *mms)
{
    int32_t other = s->cfg.timing.tlb_ipi_recv_other;
    if (other < 0 || mms->n > 2)
        return s->cfg.timing.tlb_ipi_recv;
    for (uint32_t k = 0; k < mms->n; k++)
        if (mms->p[k] == ran)
            return s->cfg.timing.tlb_ipi_recv;
    return (uint64_t)other;
}

/* One TLB-flush IPI of flush `batch` from sender to d, whose task ran `ran` then: the
 * sender waits, d's task loses time. */
static void take_flush_ipi(struct sim *s, struct cpu *d, uint32_t sender, uint32_t batch, const struct proc *ran,
                           const struct flush_mms *mms)
{
    if (d->last_ipi_batch == batch + 1)
        return; /* a flush taken in two helpings of invalidations is still one IPI */
    d->last_ipi_batch = batch + 1;
    uint64_t recv = recv_cycles(s, ran, mms);
    s->cpus[sender].clock_fx += CYC(s->cfg.timing.tlb_ipi);
    d->clock_fx += CYC(recv);
    s->parts_fx[CP_IRQ] += CYC(s->cfg.timing.tlb_ipi) + CYC(recv);
    s->tlb_ipis++;
}

/* One of reclaim's TLB flushes (arch_tlbbatch_flush: a full flush, info->mm NULL) on c, to
 * `mask`, the union of the mm_cpumasks of the address spaces it unmapped from (mms). x86
 * keeps a CPU in an mm's mask once the mm ran there (6.13+ trims it lazily, and only at
 * flushes that name an mm), so the mask is every CPU those processes ran on.
 * should_flush_tlb then sends an IPI to each such CPU that is not in lazy TLB mode: one
 * running a user process, whichever; an idle CPU or a kernel thread is skipped. A CPU whose
 * clock is behind c's has not run c's time yet: asked later (ipi_pend). */
static void flush_ipi(struct sim *s, struct cpu *c, uint64_t mask, uint32_t batch, const struct flush_mms *mms)
{
    for (uint32_t i = 0; i < s->ncpu; i++) {
        struct cpu *d = &s->cpus[i];
        if (d == c || !in_cpumask(mask, i))
            continue;
        if (c->clock_fx < d->clock_fx) {
            const struct proc *ran = ran_at(d, c->clock_fx);
            if (ran)
                take_flush_ipi(s, d, (uint32_t)(c - s->cpus), batch, ran, mms);
            continue;
        }
        if (d->nipi_pend == d->capipi_pend) {
            uint32_t cap = d->capipi_pend ? d->capipi_pend * 2 : 16;
            struct ipi_pending *n = realloc(d->ipi_pend, cap * sizeof(*n));
            if (!n)
                continue;
            d->ipi_pend = n;
            d->capipi_pend = cap;
        }
        d->ipi_pend[d->nipi_pend++] = (struct ipi_pending){c->clock_fx, batch, (uint32_t)(c - s->cpus), *mms};
    }
}

/* After a slice of c: the IPIs other CPUs sent it for times it has now run. */
static void take_pending_ipis(struct sim *s, struct cpu *c)
{
    uint32_t kept = 0;
    for (uint32_t k = 0; k < c->nipi_pend; k++) {
        struct ipi_pending *e = &c->ipi_pend[k];
        if (e->at_fx >= c->clock_fx) {
            c->ipi_pend[kept++] = *e;
            continue;
        }
        const struct proc *ran = ran_at(c, e->at_fx);
        if (ran)
            take_flush_ipi(s, c, e->sender, e->batch, ran, &e->mms);
    }
    c->nipi_pend = kept;
}

static int batch_cmp(const void *a, const void *b)
{
    const struct reclaim_inval *x = a, *y = b;
    if (x->batch != y->batch)
        return x->batch < y->batch ? -1 : 1;
    return x->mm == y->mm ? 0 : (uintptr_t)x->mm < (uintptr_t)y->mm ? -1 : 1;
}

/* Each flush of the invalidations, in order: its mask is the union of the CPUs the
 * processes it unmapped from ran on. */
static void send_flush_ipis(struct sim *s, struct cpu *c, struct reclaim_inval *inv, size_t n, int ipis)
{
    qsort(inv, n, sizeof(inv[0]), batch_cmp);
    const struct mm *last_mm = NULL;
    const struct proc *last_p = NULL;
    uint64_t last_mask = 0; /* of last_mm: a flush a page, mostly of the same process */
    for (size_t i = 0; i < n;) {
        uint64_t mask = 0;
        struct flush_mms mms = {{NULL, NULL}, 0};
        size_t j = i;
        for (; j < n && inv[j].batch == inv[i].batch; j++) {
            if (inv[j].mm != last_mm) {
                last_p = proc_of_mm(s, inv[j].mm);
                last_mm = inv[j].mm;
                last_mask = last_p ? last_p->ran_cpus : 0;
            }
            mask |= last_mask;
            if (mms.n > 2 || (mms.n && mms.p[mms.n - 1] == last_p) || (mms.n == 2 && mms.p[0] == last_p))
                continue;
            if (mms.n < 2)
                mms.p[mms.n] = last_p;
            mms.n++;
        }
        if (s->pr->last_flush != inv[i].batch + 1) { /* one flush in two helpings counts once */
            s->pr->last_flush = inv[i].batch + 1;
            s->reclaim_flushes++;
            if (s->ncpu > 1 && (mask & ~cpu_bit((uint32_t)(c - s->cpus))))
                s->reclaim_flushes_multi++; /* the kernel's flush_tlb_multi, not only a local flush */
        }
        if (ipis)
            flush_ipi(s, c, mask, inv[i].batch, &mms);
        i = j;
    }
}

/* arch_tlbbatch_flush with TLB_FLUSH_ALL: each CPU of `mask` flushes the address space
 * loaded on it, whole (flush_tlb_func with info->mm NULL): the reclaimer's own CPU, and
 * every other one running a user process then (should_flush_tlb: a CPU in lazy TLB mode,
 * idle or in a kernel thread, is skipped). A process's next access to any page walks
 * again and sets the accessed bit: what reclaim's next look sees. */
static void flush_loaded_address_spaces(struct sim *s, struct cpu *c, uint64_t mask)
{
    for (uint32_t i = 0; i < s->ncpu; i++) {
        struct cpu *d = &s->cpus[i];
        if (!in_cpumask(mask, i) && d != c)
            continue;
        const struct proc *q = d == c ? d->loaded : ran_at(d, c->clock_fx);
        if (!q)
            continue;
        for (uint32_t t = 0; t < d->ntlb; t++)
            tlb_flush_asid(&d->tlb[t], q->asid);
        pagewalk_flush_asid(&d->pw, q->asid);
        d->raw_vpn = UINT64_MAX;
    }
}

/* Evicted pages leave every TLB (try_to_unmap flushes them). Reclaim evicts in batches,
 * often neighbouring pages: each run of consecutive pages of one address space is one
 * shootdown (a TLB invalidation scans the whole TLB, whatever the range). try_to_unmap
 * defers the flush to a batch when the address space's mm_cpumask holds another CPU than
 * the reclaimer's (should_defer_flush); the batch's flush is whole (above). Otherwise it
 * flushes the one page, here. */
void pressure_shoot_down(struct sim *s, struct cpu *c)
{
    struct reclaim_inval inv[INVAL_BATCH];
    size_t n;
    uint64_t page = 1ull << s->page_shift;
    int ipis = s->ncpu > 1 && (s->cfg.timing.tlb_ipi || s->cfg.timing.tlb_ipi_recv);
    uint64_t me = cpu_bit((uint32_t)(c - s->cpus)), batched = 0;
    while ((n = reclaim_take_invalidations(s->pr->rc, inv, INVAL_BATCH)) > 0) {
        qsort(inv, n, sizeof(inv[0]), inval_cmp);
        for (size_t i = 0; i < n;) {
            size_t j = i + 1;
            while (j < n && inv[j].mm == inv[i].mm && inv[j].va <= inv[j - 1].va + page)
                j++;
            struct proc *p = proc_of_mm(s, inv[i].mm);
            if (p) {
                struct mm_inval mi = {inv[i].va, inv[j - 1].va + page, 0};
                sched_invalidate(s, p, &mi);
                if (s->ncpu > 1 && (p->ran_cpus & ~me))
                    batched |= p->ran_cpus;
            }
            i = j;
        }
        send_flush_ipis(s, c, inv, n, ipis);
    }
    if (batched && s->cfg.cpu.batched_flush_all)
        flush_loaded_address_spaces(s, c, batched);
}

static void irq_heap_push(struct cpu *c, uint64_t t)
{
    if (c->nirq == c->capirq) {
        uint32_t cap = c->capirq ? c->capirq * 2 : 64;
        uint64_t *n = realloc(c->irq_fx, cap * sizeof(*n));
        if (!n)
            return; /* an interrupt not charged */
        c->irq_fx = n;
        c->capirq = cap;
    }
    uint32_t i = c->nirq++;
    while (i && c->irq_fx[(i - 1) / 2] > t) {
        c->irq_fx[i] = c->irq_fx[(i - 1) / 2];
        i = (i - 1) / 2;
    }
    c->irq_fx[i] = t;
}

static uint64_t irq_heap_pop(struct cpu *c)
{
    uint64_t top = c->irq_fx[0], last = c->irq_fx[--c->nirq];
    uint32_t i = 0;
    for (;;) {
        uint32_t l = 2 * i + 1, m = l;
        if (l >= c->nirq)
            break;
        if (l + 1 < c->nirq && c->irq_fx[l + 1] < c->irq_fx[l])
            m = l + 1;
        if (c->irq_fx[m] >= last)
            break;
        c->irq_fx[i] = c->irq_fx[m];
        i = m;
    }
    if (c->nirq)
        c->irq_fx[i] = last;
    return top;
}

void pressure_collect_irqs(struct sim *s, struct cpu *c)
{
    if (!s->pr || !s->pr->rc || !s->cfg.timing.irq)
        return;
    struct cpu *to = s->cfg.timing.irq_cpu >= 0 ? &s->cpus[(uint32_t)s->cfg.timing.irq_cpu % s->ncpu] : c;
    uint64_t done[INVAL_BATCH];
    size_t n;
    while ((n = reclaim_take_completions(s->pr->rc, done, INVAL_BATCH)) > 0)
        for (size_t i = 0; i < n; i++)
            irq_heap_push(to, CYC((uint64_t)((double)done[i] * s->cfg.cpu.freq_ghz)));
}

void pressure_slice_end(struct sim *s, struct cpu *c)
{
    uint64_t cost = CYC(s->cfg.timing.irq);
    while (c->nirq && c->irq_fx[0] <= c->clock_fx) {
        uint64_t t = irq_heap_pop(c);
        if (t <= c->busy_from_fx) {
            s->irqs_idle++; /* it came while the CPU idled */
            continue;
        }
        if (t < c->irq_end_fx)
            continue; /* the handler in progress completes it too */
        c->clock_fx += cost;
        s->parts_fx[CP_IRQ] += cost;
        c->irq_end_fx = t + cost;
        s->irqs++;
    }
    /* the handlers ran in the task's address space: the slice includes them */
    c->hist[c->hist_next] = (struct cpu_slice){c->busy_from_fx, c->clock_fx, c->running};
    if (c->running)
        c->running->ran_cpus |= cpu_bit((uint32_t)(c - s->cpus)); /* switch_mm sets it in mm_cpumask */
    c->hist_next = (c->hist_next + 1) % CPU_HIST;
    if (c->nipi_pend)
        take_pending_ipis(s, c);
}

void pressure_after_fault(struct sim *s, struct cpu *c, const struct fault_result *fr)
{
    struct pressure *pr = s->pr;
    if (!pr || !pr->rc)
        return;
    pressure_shoot_down(s, c);
    pressure_collect_irqs(s, c);
    if (fr && fr->kind == FAULT_MAJOR && fr->io_ns) {
        uint64_t io = CYC((uint64_t)((double)fr->io_ns * s->cfg.cpu.freq_ghz));
        pr->memstall_fx += io;
        if (pr->nstalls == pr->capstalls) {
            uint64_t cap = pr->capstalls ? pr->capstalls * 2 : 1024;
            void *n = realloc(pr->stalls, cap * sizeof(*pr->stalls));
            if (n) {
                pr->stalls = n;
                pr->capstalls = cap;
            }
        }
        if (pr->nstalls < pr->capstalls) {
            pr->stalls[pr->nstalls].start_fx = c->clock_fx;
            pr->stalls[pr->nstalls++].end_fx = c->clock_fx + io;
        }
    }
}

void pressure_stream_done(struct sim *s, uint32_t stream, uint64_t now_fx)
{
    struct pressure *pr = s->pr;
    if (!pr)
        return;
    if (!pr->stream_end_fx) {
        pr->stream_end_fx = calloc(s->nstreams ? s->nstreams : 1, sizeof(uint64_t));
        if (!pr->stream_end_fx)
            return;
        pr->nstream_end = s->nstreams;
    }
    if (stream < pr->nstream_end)
        pr->stream_end_fx[stream] = now_fx;
}

struct psi_ev {
    uint64_t t;
    int dstall, dalive;
};

static int psi_ev_cmp(const void *a, const void *b)
{
    const struct psi_ev *x = a, *y = b;
    return x->t < y->t ? -1 : x->t > y->t;
}

void pressure_psi(struct sim *s, double *some, double *full)
{
    struct pressure *pr = s->pr;
    *some = *full = 0;
    uint64_t now = sched_now_fx(s);
    if (!pr || !now)
        return;
    uint64_t n = 2 * pr->nstalls + s->nstreams;
    struct psi_ev *ev = malloc((n ? n : 1) * sizeof(*ev));
    if (!ev)
        return;
    uint64_t k = 0;
    for (uint64_t i = 0; i < pr->nstalls; i++) {
        ev[k++] = (struct psi_ev){pr->stalls[i].start_fx, +1, 0};
        ev[k++] = (struct psi_ev){pr->stalls[i].end_fx, -1, 0};
    }
    for (uint32_t i = 0; i < s->nstreams; i++) {
        uint64_t end = pr->stream_end_fx && i < pr->nstream_end && pr->stream_end_fx[i] ? pr->stream_end_fx[i] : now;
        ev[k++] = (struct psi_ev){end, 0, -1};
    }
    qsort(ev, k, sizeof(*ev), psi_ev_cmp);
    struct psi p;
    psi_init(&p, 0);
    int stall = 0, alive = (int)s->nstreams;
    psi_change(&p, 0, (unsigned)alive, 0);
    for (uint64_t i = 0; i < k; i++) {
        stall += ev[i].dstall;
        alive += ev[i].dalive;
        /* a stalled trace is non-idle even after its end is recorded (its last wait) */
        unsigned nonidle = (unsigned)(alive > stall ? alive : stall);
        psi_change(&p, ev[i].t >> CYC_SHIFT, nonidle, (unsigned)(stall > 0 ? stall : 0));
    }
    *some = psi_some(&p, now >> CYC_SHIFT);
    *full = psi_full(&p, now >> CYC_SHIFT);
    free(ev);
}

void pressure_page_accessed(struct sim *s, uint64_t pte)
{
    if (s->pr && s->pr->rc)
        reclaim_page_accessed(s->pr->rc, pte_pfn(pte));
}

/* ---- the OOM killer ---- */

static const char *base_name(const char *path)
{
    const char *b = strrchr(path, '/');
    return b ? b + 1 : path;
}

/* The kernel's comm: the program's file name (from the trace's command line), at most 15
 * characters; the trace file's name when the trace does not say. */
static const char *comm_of(const struct sim *s, uint32_t trace)
{
    struct pressure *pr = s->pr;
    if (!pr->comm) {
        pr->comm = calloc(s->nstreams ? s->nstreams : 1, sizeof(*pr->comm));
        if (!pr->comm)
            return base_name(s->streams[trace].name);
        for (uint32_t i = 0; i < s->nstreams; i++) {
            const struct stream *st = &s->streams[i];
            const char *cmd = st->reader ? mmt_reader_meta(st->reader, "command") : NULL;
            char first[256];
            snprintf(first, sizeof(first), "%s", cmd && *cmd ? cmd : st->name);
            first[strcspn(first, " ")] = '\0'; /* the program, not its arguments */
            const char *name = base_name(first);
            size_t len = strlen(name);
            if (len > 15)
                len = 15;
            memcpy(pr->comm[i], name, len);
            pr->comm[i][len] = '\0';
        }
    }
    return pr->comm[trace];
}

static uint64_t total_pages(const struct sim *s)
{
    uint64_t ram = s->cfg.memory.size >> s->page_shift;
    uint64_t swap = s->cfg.swap.size >> s->page_shift;
    return oom_totalpages_global(ram, swap ? swap - 1 : 0);
}

static void task_of(const struct sim *s, const struct proc *p, const struct mm_counters *mc,
                    uint64_t total_vm, struct oom_task *t)
{
    memset(t, 0, sizeof(*t));
    t->pid = (int32_t)p->pid;
    t->tgid = (int32_t)p->pid;
    t->comm = comm_of(s, p->trace);
    t->total_vm = total_vm;
    t->rss_anon = mc->rss_anon;
    t->rss_file = mc->rss_file;
    t->rss_shmem = mc->rss_shmem;
    t->pgtables_bytes = mc->pgtables_bytes;
    t->swap_ents = mc->swap_ents;
    t->oom_score_adj = p->trace < CFG_MAX_OOM_ADJ ? s->cfg.oom.score_adj[p->trace] : 0;
    t->group = OOM_NO_GROUP;
}

/* Kill every process of the victim's trace; the running one keeps an empty address space
 * until its slice ends, so the access in flight has page tables to look at. */
static int kill_trace(struct sim *s, struct cpu *c, struct proc *running, uint32_t trace)
{
    int killed_running = 0;
    for (uint32_t i = 0; i < s->nprocs; i++) {
        struct proc *q = s->procs[i];
        if (q->trace != trace || q->exited)
            continue;
        if (q == running) {
            s->pr->victim_running = q;
            s->pr->victim_last = *mm_counters(q->mm);
            struct mm_inval all = {0, 0, 1};
            sched_invalidate(s, q, &all);
            mm_destroy(s->ms, q->mm);
            q->mm = mm_new(s->ms);
            killed_running = 1;
            continue;
        }
        sched_proc_exit(s, q);
    }
    s->streams[trace].killed = 1;
    if (killed_running)
        c->next_check_fx = 0; /* leave the access loop now */
    return killed_running;
}

int pressure_oom(struct sim *s, struct cpu *c, struct proc *p)
{
    struct pressure *pr = s->pr;
    if (!pr || !pr->rc)
        return 0;
    struct oom_task *tasks = calloc(s->nprocs ? s->nprocs : 1, sizeof(*tasks));
    struct proc **who = calloc(s->nprocs ? s->nprocs : 1, sizeof(*who));
    if (!tasks || !who) {
        free(tasks);
        free(who);
        return 0;
    }
    size_t n = 0;
    for (uint32_t i = 0; i < s->nprocs; i++) {
        struct proc *q = s->procs[i];
        if (q->exited || !q->mm || s->streams[q->trace].killed)
            continue;
        task_of(s, q, mm_counters(q->mm), mm_total_vm(q->mm), &tasks[n]);
        who[n++] = q;
    }
    struct oom_control oc = {.constraint = OOM_CONSTRAINT_NONE, .totalpages = total_pages(s),
                             .page_size = 1u << s->page_shift};
    if (reclaim_memcg_oom(pr->rc)) {
        /* the cgroup holds every process: its limit (plus its swap) is totalpages */
        uint64_t limit = reclaim_memcg(pr->rc)->limit_pages;
        struct reclaim_counters rcnt;
        reclaim_counters(pr->rc, &rcnt);
        oc.constraint = OOM_CONSTRAINT_MEMCG;
        oc.group = 0;
        oc.group_name = "/mmsim";
        oc.totalpages = oom_totalpages_memcg(limit, UINT64_MAX, rcnt.swap_total, s->cfg.vmscan.swappiness);
        for (size_t i = 0; i < n; i++)
            tasks[i].group = 0;
    }
    long points = 0;
    long v = oom_select_victim(&oc, tasks, n, &points);
    int killed_running = 0;
    uint64_t now = pressure_ns(s, c->clock_fx);
    char stamp[48];
    snprintf(stamp, sizeof(stamp), "[%5llu.%06llu] ", (unsigned long long)(now / 1000000000ull),
             (unsigned long long)(now / 1000 % 1000000));
    fprintf(pr->dmesg_f, "%s%s invoked oom-killer: gfp_mask=0x140cca(GFP_HIGHUSER_MOVABLE|__GFP_COMP), order=0, oom_score_adj=%d\n",
            stamp, comm_of(s, p->trace),
            p->trace < CFG_MAX_OOM_ADJ ? s->cfg.oom.score_adj[p->trace] : 0);
    oom_dump_tasks(pr->dmesg_f, stamp, &oc, tasks, n);
    if (v >= 0) {
        oom_print_kill(pr->dmesg_f, stamp, &oc, &tasks[v]);
        if (pr->nkills == pr->capkills) {
            uint32_t cap = pr->capkills ? pr->capkills * 2 : 8;
            struct oom_kill_record *k = realloc(pr->kills, cap * sizeof(*k));
            if (k) {
                pr->kills = k;
                pr->capkills = cap;
            }
        }
        if (pr->nkills < pr->capkills)
            pr->kills[pr->nkills++] = (struct oom_kill_record){
                who[v]->trace, who[v]->pid, points, oom_score_from_badness(points, oc.totalpages), now,
                tasks[v].rss_anon * (oc.page_size / 1024), tasks[v].rss_file * (oc.page_size / 1024),
                oc.constraint == OOM_CONSTRAINT_MEMCG};
        killed_running = kill_trace(s, c, p, who[v]->trace);
    } else {
        fprintf(pr->dmesg_f, "%sOut of memory and no killable processes...\n", stamp);
    }
    fflush(pr->dmesg_f);
    free(tasks);
    free(who);
    return killed_running;
}

int pressure_finish_killed(struct sim *s, struct stream *st)
{
    uint32_t trace = (uint32_t)(st - s->streams);
    for (uint32_t i = 0; i < s->nprocs; i++) {
        struct proc *q = s->procs[i];
        if (q->trace != trace || q->exited)
            continue;
        sched_proc_exit(s, q);
        if (s->pr && q == s->pr->victim_running) {
            q->last = s->pr->victim_last; /* what it held when killed, not the empty stand-in */
            s->pr->victim_running = NULL;
        }
    }
    st->cur = NULL;
    st->state = ST_DONE;
    return 0;
}

long pressure_oom_score_peak(const struct sim *s, const struct proc *p)
{
    const struct mm_counters *mc = p->mm && !p->exited ? mm_counters(p->mm) : &p->last;
    struct oom_task t;
    task_of(s, p, mc, 0, &t);
    /* the peak: resident pages at their highest, with the swap entries and page tables
     * the process holds (held at the end, when its memory was largest for a growing one) */
    t.rss_anon = mc->rss_peak;
    t.rss_file = t.rss_shmem = 0;
    return oom_score(&t, total_pages(s), 1u << s->page_shift);
}

/* ---- reports ---- */

static void fill_meminfo(struct sim *s, struct meminfo *m)
{
    uint64_t page = 1ull << s->page_shift;
    struct page_alloc *pa = memsys_page_alloc(s->ms);
    memset(m, 0, sizeof(*m));
    m->total = s->cfg.memory.size;
    m->free = pa ? page_alloc_free_pages(pa) * page : m->total;
    m->cached = memsys_pagecache_pages(s->ms) * page;
    uint64_t low = pa ? page_alloc_wmark(pa, PA_WMARK_LOW) * page : 0;
    m->available = m->free + m->cached > low ? m->free + m->cached - low : 0;
    if (s->pr && s->pr->rc) {
        struct reclaim_counters rc;
        reclaim_counters(s->pr->rc, &rc);
        m->swap_total = rc.swap_total * page;
        m->swap_free = (rc.swap_total - rc.swap_used) * page;
    }
}

#define DEF(var, name, unit, kind, desc) static const struct stat_def var = {name, unit, kind, desc, NULL}
#define DEFC(var, name, unit, kind, col, desc) static const struct stat_def var = {name, unit, kind, desc, col}
DEF(D_KILLS, "kills", "", STAT_INFO, "one object per OOM kill, as the kernel's oom-kill message");
DEF(D_K_TRACE, "trace", "", STAT_INFO, "the killed process's trace");
DEF(D_K_PID, "pid", "", STAT_INFO, "its pid");
DEF(D_K_POINTS, "points", "points", STAT_INFO, "its oom_badness points");
DEF(D_K_SCORE, "oom_score", "points", STAT_INFO, "its /proc/PID/oom_score");
DEF(D_K_TIME, "time_s", "s", STAT_INFO, "simulated time of the kill");
DEF(D_K_ANON, "anon_rss_kb", "KiB", STAT_INFO, "its anonymous RSS when killed");
DEF(D_K_FILE, "file_rss_kb", "KiB", STAT_INFO, "its file RSS when killed");
DEF(D_K_CONSTR, "constraint", "", STAT_INFO, "`global`, or `memcg` when the memory cgroup's limit was hit");
DEFC(D_OOM_KILLS, "oom_kills", "kills", STAT_COUNTER | STAT_NOT_JSON, "oom_kills", "OOM kills so far (the JSON lists them: `oom.kills`)");
DEF(D_PSI_SOME, "some", "ratio", STAT_RATIO, "PSI memory some: the share of the run a process waited for memory");
DEF(D_PSI_FULL, "full", "ratio", STAT_RATIO, "PSI memory full: the share all runnable processes waited");
DEF(D_PSI_STALL, "memstall_s", "s", STAT_COUNTER, "time processes waited for swap-ins and reclaim");
DEFC(D_PSI_STALLC, "memstall_cycles", "cycles", STAT_COUNTER | STAT_NOT_JSON, "memstall_cycles",
     "cycles processes waited for memory so far (difference two rows for a windowed PSI)");
DEF(D_PSI_KSHARE, "kswapd_cpu_share", "ratio", STAT_RATIO, "kswapd's share of the CPU time");
DEF(D_PSI_KCYC, "kswapd_cpu_cycles", "cycles", STAT_COUNTER, "cycles kswapd ran");
DEF(D_PSI_KSLICES, "kswapd_slices", "slices", STAT_COUNTER, "times kswapd was scheduled");
DEFC(D_PROCS_R, "procs_r", "processes", STAT_GAUGE | STAT_NOT_JSON, "procs_r", "traces runnable at the row's time (vmstat r)");
DEFC(D_PROCS_B, "procs_b", "processes", STAT_GAUGE | STAT_NOT_JSON, "procs_b", "traces blocked on I/O at the row's time (vmstat b)");
DEF(D_CG_LIMIT, "limit_pages", "pages", STAT_INFO, "the memory cgroup's limit (`memcg.limit`; the group is there only with one)");
DEF(D_CG_USAGE, "usage_pages", "pages", STAT_GAUGE, "pages charged to the cgroup now");
DEF(D_CG_PEAK, "max_usage_pages", "pages", STAT_GAUGE, "the most pages charged at once (memory.peak)");
DEF(D_CG_KMEM, "kmem_pages", "pages", STAT_GAUGE, "of usage_pages, kernel memory: page tables and kernel stacks (memory.kmem.usage_in_bytes)");
DEF(D_CG_FAIL, "failcnt", "events", STAT_COUNTER, "charges of the counter that hit the limit (a batch that did not fit counts, as memory.failcnt)");
DEF(D_CG_STOCK, "stock_pages", "pages", STAT_GAUGE, "of usage_pages, charged ahead in the CPUs' charge stocks (memcg.charge_batch)");
DEF(D_CG_DRAINS, "stock_drains", "events", STAT_COUNTER, "drains of every CPU's stock after a reclaim that made no room (drain_all_stock)");
DEF(D_MI_TOTAL, "total", "bytes", STAT_INFO, "MemTotal");
DEF(D_MI_FREE, "free", "bytes", STAT_GAUGE, "MemFree");
DEF(D_MI_CACHED, "cached", "bytes", STAT_GAUGE, "Cached");
DEF(D_MI_AVAIL, "available", "bytes", STAT_GAUGE, "MemAvailable: free + cached - the low watermark");
DEF(D_MI_STOTAL, "swap_total", "bytes", STAT_INFO, "SwapTotal");
DEF(D_MI_SFREE, "swap_free", "bytes", STAT_GAUGE, "SwapFree");
#undef DEF
#undef DEFC

static void count_procs(const struct sim *s, uint64_t now_fx, unsigned *r, unsigned *b);

static void publish_kill(struct sim *s, struct stat_out *o, const struct oom_kill_record *k, int schema)
{
    stat_group_begin(o, NULL);
    stat_str(o, &D_K_TRACE, schema ? NULL : s->streams[k->trace].name);
    stat_u64(o, &D_K_PID, k->pid);
    stat_i64(o, &D_K_POINTS, k->points);
    stat_i64(o, &D_K_SCORE, k->oom_score);
    stat_f64(o, &D_K_TIME, (double)k->time_ns / 1e9);
    stat_u64(o, &D_K_ANON, k->anon_rss_kb);
    stat_u64(o, &D_K_FILE, k->file_rss_kb);
    stat_str(o, &D_K_CONSTR, k->memcg ? "memcg" : "global");
    stat_group_end(o);
}

static void publish_oom(struct sim *s, struct stat_out *o)
{
    struct pressure *pr = s->pr;
    stat_group_begin(o, "oom");
    stat_list_begin(o, &D_KILLS);
    for (uint32_t i = 0; i < pr->nkills; i++)
        publish_kill(s, o, &pr->kills[i], 0);
    if (stat_all(o) && !pr->nkills) {
        static const struct oom_kill_record none;
        publish_kill(s, o, &none, 1);
    }
    stat_list_end(o);
    stat_u64(o, &D_OOM_KILLS, pr->nkills);
    stat_group_end(o);
}

static void publish_psi(struct sim *s, struct stat_out *o, uint64_t now_fx)
{
    struct pressure *pr = s->pr;
    uint64_t now = sched_now_fx(s);
    double some, full, elapsed = (double)now * (double)s->ncpu;
    pressure_psi(s, &some, &full);
    stat_group_begin(o, "psi");
    stat_f64(o, &D_PSI_SOME, some);
    stat_f64(o, &D_PSI_FULL, full);
    stat_f64(o, &D_PSI_STALL, (double)(pr->memstall_fx >> CYC_SHIFT) / (s->cfg.cpu.freq_ghz * 1e9));
    stat_u64(o, &D_PSI_STALLC, pr->memstall_fx >> CYC_SHIFT);
    stat_f64(o, &D_PSI_KSHARE, elapsed > 0 ? (double)pr->kswapd.cpu_fx / elapsed : 0.0);
    stat_u64(o, &D_PSI_KCYC, pr->kswapd.cpu_fx >> CYC_SHIFT);
    stat_u64(o, &D_PSI_KSLICES, pr->kswapd.slices);
    if (stat_wanted(o, &D_PROCS_R)) {
        unsigned r, b;
        count_procs(s, now_fx, &r, &b);
        stat_u64(o, &D_PROCS_R, r);
        stat_u64(o, &D_PROCS_B, b);
    }
    stat_group_end(o);
}

static void publish_memcg_meminfo(struct sim *s, struct stat_out *o)
{
    struct meminfo m;
    fill_meminfo(s, &m);
    const struct oom_memcg *cg = reclaim_memcg(s->pr->rc);
    if (cg->limit_pages || stat_all(o)) {
        stat_group_begin(o, "memcg");
        stat_u64(o, &D_CG_LIMIT, cg->limit_pages);
        stat_u64(o, &D_CG_USAGE, cg->usage_pages);
        stat_u64(o, &D_CG_PEAK, cg->max_usage_pages);
        stat_u64(o, &D_CG_KMEM, cg->kmem_pages);
        stat_u64(o, &D_CG_FAIL, cg->failcnt);
        stat_u64(o, &D_CG_STOCK, memcg_stock_pages(reclaim_memcg_stock(s->pr->rc)));
        stat_u64(o, &D_CG_DRAINS, reclaim_memcg_stock(s->pr->rc)->drains);
        stat_group_end(o);
    }
    stat_group_begin(o, "meminfo");
    stat_u64(o, &D_MI_TOTAL, m.total);
    stat_u64(o, &D_MI_FREE, m.free);
    stat_u64(o, &D_MI_CACHED, m.cached);
    stat_u64(o, &D_MI_AVAIL, m.available);
    stat_u64(o, &D_MI_STOTAL, m.swap_total);
    stat_u64(o, &D_MI_SFREE, m.swap_free);
    stat_group_end(o);
}

void pressure_publish_stats(struct sim *s, struct stat_out *o, uint64_t now_fx)
{
    if (!s->pr)
        return;
    publish_oom(s, o);
    if (!s->pr->rc)
        return;
    reclaim_publish_stats(s->pr->rc, o);
    publish_psi(s, o, now_fx);
    publish_memcg_meminfo(s, o);
}

void pressure_report_text(struct sim *s, const struct stat_table *tb, FILE *f)
{
    struct pressure *pr = s->pr;
    if (!pr)
        return;
    if (pr->dmesg_len) { /* the kernel's log lines of the kills, not statistics */
        fprintf(f, "\nOOM killer (%u kill%s):\n", pr->nkills, pr->nkills == 1 ? "" : "s");
        fwrite(pr->dmesg, 1, pr->dmesg_len, f);
    }
    if (!pr->rc)
        return;
    fprintf(f, "\nMemory pressure: %llu pages swapped out, %llu in (%llu by readahead), "
               "%llu refaults, %llu kswapd wakeups, %llu direct reclaims\n",
            (unsigned long long)stat_table_u64(tb, "reclaim.pswpout"),
            (unsigned long long)stat_table_u64(tb, "reclaim.pswpin"),
            (unsigned long long)stat_table_u64(tb, "reclaim.swap_ra"),
            (unsigned long long)stat_table_u64(tb, "reclaim.workingset_refault"),
            (unsigned long long)stat_table_u64(tb, "reclaim.kswapd_wakeups"),
            (unsigned long long)stat_table_u64(tb, "reclaim.allocstall"));
    fprintf(f, "Memory pressure stall (PSI): some %.1f%%, full %.1f%% of the run; kswapd %.1f%% of the CPU time\n",
            100 * stat_table_f64(tb, "psi.some"), 100 * stat_table_f64(tb, "psi.full"),
            100 * stat_table_f64(tb, "psi.kswapd_cpu_share"));
    fprintf(f, "\n");
    struct meminfo m = {
        .total = stat_table_u64(tb, "meminfo.total"),
        .free = stat_table_u64(tb, "meminfo.free"),
        .cached = stat_table_u64(tb, "meminfo.cached"),
        .available = stat_table_u64(tb, "meminfo.available"),
        .swap_total = stat_table_u64(tb, "meminfo.swap_total"),
        .swap_free = stat_table_u64(tb, "meminfo.swap_free"),
    };
    meminfo_print_free(f, &m);
}

/* ---- timeline ---- */

static void count_procs(const struct sim *s, uint64_t now_fx, unsigned *r, unsigned *b)
{
    *r = *b = 0;
    for (uint32_t i = 0; i < s->nstreams; i++) {
        const struct stream *st = &s->streams[i];
        if (st->state == ST_DONE || st->killed)
            continue;
        if (st->state == ST_BLOCKED && st->se.ready_fx > now_fx)
            (*b)++;
        else
            (*r)++;
    }
}

/* ---- vmstat ---- */

void sim_set_vmstat(struct sim *s, FILE *f, uint64_t interval_ns)
{
    pressure_set_vmstat(s, f, interval_ns);
}

void pressure_set_vmstat(struct sim *s, FILE *f, uint64_t interval_ns)
{
    if (!s->pr)
        return;
    s->pr->vmstat = f;
    s->pr->vmstat_interval_fx = CYC((uint64_t)((double)interval_ns * s->cfg.cpu.freq_ghz));
}

void pressure_vmstat_line(struct sim *s, uint64_t now_fx)
{
    struct pressure *pr = s->pr;
    if (!pr || !pr->vmstat)
        return;
    if (pr->vmstat_lines++ % 20 == 0)
        meminfo_vmstat_header(pr->vmstat);
    struct vmstat_sample vs = {0};
    count_procs(s, now_fx, &vs.r, &vs.b);
    struct meminfo m;
    fill_meminfo(s, &m);
    vs.free = m.free >> 10;
    vs.cache = m.cached >> 10;
    vs.swpd = (m.swap_total - m.swap_free) >> 10;
    uint64_t now_ns = pressure_ns(s, now_fx), si = 0, so = 0, bo = 0;
    if (pr->rc) {
        struct reclaim_counters rc;
        reclaim_counters(pr->rc, &rc);
        uint64_t kib = (1ull << s->page_shift) >> 10;
        si = rc.pswpin * kib;
        so = rc.pswpout * kib;
        bo = so + rc.pgwriteback * kib; /* swap writes and dirty file pages written back */
    }
    uint64_t dt = now_ns - pr->last_vm_ns;
    vs.si = meminfo_rate_per_s(si, pr->last_si, dt);
    vs.so = meminfo_rate_per_s(so, pr->last_so, dt);
    vs.bi = vs.si; /* reads: swap only (file reads are not counted as blocks here) */
    vs.bo = meminfo_rate_per_s(bo, pr->last_bo, dt);
    pr->last_si = si;
    pr->last_so = so;
    pr->last_bo = bo;
    pr->last_vm_ns = now_ns;
    meminfo_vmstat_line(pr->vmstat, &vs);
}
