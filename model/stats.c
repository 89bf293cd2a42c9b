/* stats.c - the results of a simulation: totals over CPUs and processes, the JSON report,
 * the human report, named scalar lookups (for sweeps) and the timeline CSV. */
#include <inttypes.h>
#include <math.h>
#include <string.h>

#include "model/host_traits.h"
#include "model/pressure.h"
#include "model/sim_internal.h"

static const char *const part_names[CP_NR] = {"base", "tlb", "walk", "cache", "fault", "switch"};
static const char *const psc_names[PGT_MAX_LEVELS + 1] = {"", "", "pd", "pdpt", "pml4", "pml5"};

/* An instruction fetch is an instruction; without fetches each data access is one. */
uint64_t proc_instructions(const struct proc *p)
{
    uint64_t data = p->kinds[MMT_LOAD] + p->kinds[MMT_STORE] + p->kinds[MMT_MODIFY];
    return p->has_ifetch ? p->kinds[MMT_IFETCH] + p->early_data : data;
}

uint64_t proc_accesses(const struct proc *p)
{
    return p->kinds[0] + p->kinds[1] + p->kinds[2] + p->kinds[3];
}

struct totals {
    uint64_t instructions, accesses, ifetches, loads, stores, modifies, trace_faults;
    uint64_t rss_pages, pgt_host_bytes;
    uint64_t cycles, busy, idle;
};

/* Whether a process before procs[i] uses the same address space (a vfork child's parent):
 * its pages are summed once. */
static int mm_counted_before(const struct sim *s, uint32_t i)
{
    for (uint32_t k = 0; k < i; k++)
        if (s->procs[k]->mm == s->procs[i]->mm)
            return 1;
    return 0;
}

static void sum_totals(struct sim *s, struct totals *t)
{
    memset(t, 0, sizeof *t);
    for (uint32_t i = 0; i < s->nprocs; i++) {
        const struct proc *p = s->procs[i];
        t->instructions += proc_instructions(p);
        t->accesses += proc_accesses(p);
        t->ifetches += p->kinds[MMT_IFETCH];
        t->loads += p->kinds[MMT_LOAD];
        t->stores += p->kinds[MMT_STORE];
        t->modifies += p->kinds[MMT_MODIFY];
        t->trace_faults += p->trace_faults;
        if (p->mm && !mm_counted_before(s, i)) {
            const struct mm_counters *mc = mm_counters(p->mm);
            t->rss_pages += mc->rss_anon + mc->rss_file + mc->rss_shmem;
            t->pgt_host_bytes += pgtable_host_bytes(mm_pgtable(p->mm));
        }
    }
    /* the access path adds the base CPI to the clock only; its share is derived here */
    s->parts_fx[CP_BASE] = t->instructions * s->cpi_fx;
    for (unsigned k = 0; k < CP_NR; k++)
        t->busy += s->parts_fx[k];
    t->cycles = sched_now_fx(s) >> CYC_SHIFT;
    for (uint32_t i = 0; i < s->ncpu; i++)
        t->idle += s->cpus[i].idle_fx;
    t->idle >>= CYC_SHIFT;
}

static void sum_tlb(const struct sim *s, uint32_t idx, struct tlb_stats *o)
{
    memset(o, 0, sizeof *o);
    for (uint32_t c = 0; c < s->ncpu; c++) {
        struct tlb_stats xs;
        tlb_stats_get(&s->cpus[c].tlb[idx], &xs);
        const struct tlb_stats *x = &xs;
        o->lookups += x->lookups;
        o->hits += x->hits;
        o->misses += x->misses;
        for (unsigned p = 0; p < TLB_NR_PSIZES; p++) {
            o->hits_ps[p] += x->hits_ps[p];
            o->misses_ps[p] += x->misses_ps[p];
        }
        o->fills += x->fills;
        o->evictions += x->evictions;
        o->invalidations += x->invalidations;
        o->flushes += x->flushes;
    }
}

static void sum_cache(const struct sim *s, uint32_t idx, struct cache_stats *o)
{
    memset(o, 0, sizeof *o);
    for (uint32_t c = 0; c < s->ncpu; c++) {
        struct cache_stats xs;
        if (s->cfg.cache[idx].shared && c > 0)
            break; /* one instance for all CPUs: counted once */
        cache_stats_get(s->cpus[c].cachep[idx], &xs);
        const struct cache_stats *x = &xs;
        o->lookups += x->lookups;
        o->hits += x->hits;
        o->misses += x->misses;
        o->walk_lookups += x->walk_lookups;
        o->walk_hits += x->walk_hits;
        o->walk_misses += x->walk_misses;
        o->evictions += x->evictions;
    }
}

static void sum_walk(const struct sim *s, struct pagewalk_stats *o)
{
    memset(o, 0, sizeof *o);
    for (uint32_t c = 0; c < s->ncpu; c++) {
        const struct pagewalk_stats *x = &s->cpus[c].pw.st;
        o->walks += x->walks;
        o->cycles += x->cycles;
        o->not_present += x->not_present;
        for (unsigned l = 0; l <= PGT_MAX_LEVELS; l++) {
            o->reads[l] += x->reads[l];
            o->read_cycles[l] += x->read_cycles[l];
            o->psc_lookups[l] += x->psc_lookups[l];
            o->psc_hits[l] += x->psc_hits[l];
        }
    }
}

static double per_kilo(uint64_t n, uint64_t instr)
{
    return instr ? (double)n * 1000.0 / (double)instr : 0.0;
}

static int events_only(const struct sim *s, const struct totals *t)
{
    return t->accesses == 0 && t->trace_faults > 0 && s->nstreams > 0;
}

static const struct mm_counters *proc_counters(const struct proc *p)
{
    return p->mm ? mm_counters(p->mm) : &p->last;
}

/* ---- scalar results by name ---- */

typedef void (*visit_fn)(void *ctx, const char *key, double v);

void sim_stats_visit(struct sim *s, visit_fn fn, void *ctx)
{
    struct totals t;
    sum_totals(s, &t);
    char k[128];
    fn(ctx, "accesses", (double)t.accesses);
    fn(ctx, "instructions", (double)t.instructions);
    fn(ctx, "cycles", (double)t.cycles);
    fn(ctx, "ifetches", (double)t.ifetches);
    fn(ctx, "loads", (double)t.loads);
    fn(ctx, "stores", (double)t.stores);
    fn(ctx, "modifies", (double)t.modifies);
    double instr = t.instructions ? (double)t.instructions : NAN; /* no CPI without instructions */
    uint64_t busy = t.busy;
    fn(ctx, "cpi", (double)busy / (1 << CYC_SHIFT) / instr);
    for (unsigned p = 0; p < CP_NR; p++) {
        snprintf(k, sizeof k, "cpi_breakdown.%s", part_names[p]);
        fn(ctx, k, (double)s->parts_fx[p] / (1 << CYC_SHIFT) / instr);
    }
    fn(ctx, "idle_cycles", (double)t.idle);
    for (uint32_t i = 0; i < s->cfg.ntlb; i++) {
        struct tlb_stats x;
        sum_tlb(s, i, &x);
        const char *n = s->cfg.tlb[i].name;
#define TV(field)                                          \
    snprintf(k, sizeof k, "tlb.%s." #field, n);            \
    fn(ctx, k, (double)x.field)
        TV(lookups);
        TV(hits);
        TV(misses);
        TV(fills);
        TV(evictions);
        TV(invalidations);
        TV(flushes);
#undef TV
        snprintf(k, sizeof k, "tlb.%s.mpki", n);
        fn(ctx, k, per_kilo(x.misses, t.instructions));
        for (unsigned p = 0; p < TLB_NR_PSIZES; p++) {
            if (!(s->cfg.tlb[i].page_sizes & (1u << p)))
                continue;
            snprintf(k, sizeof k, "tlb.%s.page_size.%s.hits", n, config_psize_name(p));
            fn(ctx, k, (double)x.hits_ps[p]);
            snprintf(k, sizeof k, "tlb.%s.page_size.%s.misses", n, config_psize_name(p));
            fn(ctx, k, (double)x.misses_ps[p]);
        }
    }
    for (uint32_t i = 0; i < s->cfg.ncache; i++) {
        struct cache_stats x;
        sum_cache(s, i, &x);
        const char *n = s->cfg.cache[i].name;
#define CV(field)                                          \
    snprintf(k, sizeof k, "cache.%s." #field, n);          \
    fn(ctx, k, (double)x.field)
        CV(lookups);
        CV(hits);
        CV(misses);
        CV(walk_lookups);
        CV(walk_hits);
        CV(walk_misses);
#undef CV
        snprintf(k, sizeof k, "cache.%s.mpki", n);
        fn(ctx, k, per_kilo(x.misses, t.instructions));
    }
    struct pagewalk_stats w;
    sum_walk(s, &w);
    fn(ctx, "walks", (double)w.walks);
    fn(ctx, "walk_cycles", (double)w.cycles);
    for (unsigned l = 1; l <= s->cfg.walker.levels; l++) {
        snprintf(k, sizeof k, "walker.reads.L%u", l);
        fn(ctx, k, (double)w.reads[l]);
        snprintf(k, sizeof k, "walker.read_cycles.L%u", l);
        fn(ctx, k, (double)w.read_cycles[l]);
    }
    for (unsigned l = 2; l <= s->cfg.walker.levels; l++) {
        if (!s->cfg.walker.psc_entries[l])
            continue;
        snprintf(k, sizeof k, "walker.psc.%s.lookups", psc_names[l]);
        fn(ctx, k, (double)w.psc_lookups[l]);
        snprintf(k, sizeof k, "walker.psc.%s.hits", psc_names[l]);
        fn(ctx, k, (double)w.psc_hits[l]);
    }
    fn(ctx, "faults.minor", (double)s->faults_minor);
    fn(ctx, "faults.major", (double)s->faults_major);
    fn(ctx, "faults.segv", (double)s->faults_segv);
    fn(ctx, "faults.oom", (double)s->faults_oom);
    fn(ctx, "faults.retries", (double)s->fault_retries);
    fn(ctx, "kernel_reads", (double)s->kacc[0].ranges);
    fn(ctx, "kernel_read_bytes", (double)s->kacc[0].bytes);
    fn(ctx, "kernel_read_faults", (double)s->kacc[0].faults);
    fn(ctx, "kernel_writes", (double)s->kacc[1].ranges);
    fn(ctx, "kernel_write_bytes", (double)s->kacc[1].bytes);
    fn(ctx, "kernel_write_faults", (double)s->kacc[1].faults);
    fn(ctx, "context_switches", (double)s->ctx_switches);
    fn(ctx, "events", (double)s->events_applied);
    fn(ctx, "records", (double)s->records);
    fn(ctx, "host.pgtable_bytes", (double)t.pgt_host_bytes);
    fn(ctx, "host.resident_pages", (double)t.rss_pages);
}

struct find_ctx {
    const char *key;
    double v;
    int found;
};

static void find_cb(void *ctx, const char *key, double v)
{
    struct find_ctx *f = ctx;
    if (!f->found && !strcmp(key, f->key)) {
        f->v = v;
        f->found = 1;
    }
}

int sim_stat(struct sim *s, const char *key, double *value)
{
    struct find_ctx f = {key, 0, 0};
    sim_stats_visit(s, find_cb, &f);
    if (f.found)
        *value = f.v;
    return f.found ? 0 : -1;
}

/* ---- JSON ---- */

static void json_tlb(struct sim *s, struct json *j, const struct totals *t)
{
    json_obj_begin(j, "tlb");
    for (uint32_t i = 0; i < s->cfg.ntlb; i++) {
        struct tlb_stats x;
        sum_tlb(s, i, &x);
        json_obj_begin(j, s->cfg.tlb[i].name);
        json_u64(j, "lookups", x.lookups);
        json_u64(j, "hits", x.hits);
        json_u64(j, "misses", x.misses);
        json_f64(j, "mpki", per_kilo(x.misses, t->instructions));
        json_u64(j, "fills", x.fills);
        json_u64(j, "evictions", x.evictions);
        json_u64(j, "invalidations", x.invalidations);
        json_u64(j, "flushes", x.flushes);
        json_obj_begin(j, "page_size");
        for (unsigned p = 0; p < TLB_NR_PSIZES; p++) {
            if (!(s->cfg.tlb[i].page_sizes & (1u << p)))
                continue;
            json_obj_begin(j, config_psize_name(p));
            json_u64(j, "hits", x.hits_ps[p]);
            json_u64(j, "misses", x.misses_ps[p]);
            json_obj_end(j);
        }
        json_obj_end(j);
        json_obj_end(j);
    }
    json_obj_end(j);
}

static void json_cache(struct sim *s, struct json *j, const struct totals *t)
{
    json_obj_begin(j, "cache");
    for (uint32_t i = 0; i < s->cfg.ncache; i++) {
        struct cache_stats x;
        sum_cache(s, i, &x);
        json_obj_begin(j, s->cfg.cache[i].name);
        json_u64(j, "lookups", x.lookups);
        json_u64(j, "hits", x.hits);
        json_u64(j, "misses", x.misses);
        json_f64(j, "mpki", per_kilo(x.misses, t->instructions));
        json_u64(j, "walk_lookups", x.walk_lookups);
        json_u64(j, "walk_hits", x.walk_hits);
        json_u64(j, "walk_misses", x.walk_misses);
        json_obj_end(j);
    }
    json_obj_end(j);
}

/* The walk latency histogram of every CPU together. */
static void sum_walk_hist(const struct sim *s, uint64_t h[PW_HIST_BUCKETS])
{
    memset(h, 0, sizeof(uint64_t) * PW_HIST_BUCKETS);
    for (uint32_t c = 0; c < s->ncpu; c++)
        for (unsigned b = 0; b < PW_HIST_BUCKETS; b++)
            h[b] += s->cpus[c].pw.lat_hist[b];
}

/* The smallest latency at or below which a fraction q of the walks fall (bucket lower bounds). */
static uint64_t walk_quantile(const uint64_t h[PW_HIST_BUCKETS], uint64_t n, double q)
{
    uint64_t want = (uint64_t)((double)n * q + 0.999999), seen = 0;
    if (want == 0)
        want = 1;
    for (unsigned b = 0; b < PW_HIST_BUCKETS; b++) {
        seen += h[b];
        if (seen >= want)
            return pagewalk_hist_lower(b);
    }
    return 0;
}

static void json_walk_latency(const struct sim *s, struct json *j)
{
    uint64_t h[PW_HIST_BUCKETS], n = 0, sum = 0, max = 0;
    sum_walk_hist(s, h);
    for (unsigned b = 0; b < PW_HIST_BUCKETS; b++) {
        n += h[b];
        sum += h[b] * pagewalk_hist_lower(b);
        if (h[b])
            max = pagewalk_hist_lower(b);
    }
    json_obj_begin(j, "walk_latency");
    json_str(j, "unit", "cycles");
    json_u64(j, "exact_below", PW_HIST_EXACT);
    json_u64(j, "walks", n);
    json_f64(j, "mean", n ? (double)sum / (double)n : 0.0);
    json_u64(j, "p50", n ? walk_quantile(h, n, 0.50) : 0);
    json_u64(j, "p90", n ? walk_quantile(h, n, 0.90) : 0);
    json_u64(j, "p99", n ? walk_quantile(h, n, 0.99) : 0);
    json_u64(j, "max", max);
    /* [cycles, count] of every non-empty bucket, by latency: cycles is the bucket's lower
     * bound (one cycle wide below exact_below, a power of two wide above) */
    json_arr_begin(j, "buckets");
    for (unsigned b = 0; b < PW_HIST_BUCKETS; b++) {
        if (!h[b])
            continue;
        json_arr_begin(j, NULL);
        json_u64(j, NULL, pagewalk_hist_lower(b));
        json_u64(j, NULL, h[b]);
        json_arr_end(j);
    }
    json_arr_end(j);
    json_obj_end(j);
}

int sim_write_walk_hist(struct sim *s, FILE *f)
{
    uint64_t h[PW_HIST_BUCKETS];
    sum_walk_hist(s, h);
    fputs("cycles,count\n", f);
    for (unsigned b = 0; b < PW_HIST_BUCKETS; b++)
        if (h[b])
            fprintf(f, "%" PRIu64 ",%" PRIu64 "\n", pagewalk_hist_lower(b), h[b]);
    return ferror(f) ? -1 : 0;
}

static void json_walker(struct sim *s, struct json *j)
{
    struct pagewalk_stats w;
    sum_walk(s, &w);
    json_u64(j, "walks", w.walks);
    json_u64(j, "walk_cycles", w.cycles);
    json_obj_begin(j, "walker");
    json_u64(j, "levels", s->cfg.walker.levels);
    json_u64(j, "not_present", w.not_present);
    json_obj_begin(j, "reads");
    for (unsigned l = 1; l <= s->cfg.walker.levels; l++) {
        char k[8];
        snprintf(k, sizeof k, "L%u", l);
        json_u64(j, k, w.reads[l]);
    }
    json_obj_end(j);
    json_obj_begin(j, "read_cycles");
    for (unsigned l = 1; l <= s->cfg.walker.levels; l++) {
        char k[8];
        snprintf(k, sizeof k, "L%u", l);
        json_u64(j, k, w.read_cycles[l]);
    }
    json_obj_end(j);
    json_obj_begin(j, "psc");
    for (unsigned l = 2; l <= s->cfg.walker.levels; l++) {
        if (!s->cfg.walker.psc_entries[l])
            continue;
        json_obj_begin(j, psc_names[l]);
        json_u64(j, "lookups", w.psc_lookups[l]);
        json_u64(j, "hits", w.psc_hits[l]);
        json_obj_end(j);
    }
    json_obj_end(j);
    json_obj_end(j);
}

static void json_processes(struct sim *s, struct json *j)
{
    json_arr_begin(j, "processes");
    for (uint32_t i = 0; i < s->nprocs; i++) {
        const struct proc *p = s->procs[i];
        const struct mm_counters *mc = proc_counters(p);
        json_obj_begin(j, NULL);
        json_u64(j, "pid", p->pid);
        json_str(j, "trace", s->streams[p->trace].name);
        json_u64(j, "threads", p->threads);
        json_u64(j, "instructions", proc_instructions(p));
        json_u64(j, "accesses", proc_accesses(p));
        json_u64(j, "ifetches", p->kinds[MMT_IFETCH]);
        json_u64(j, "loads", p->kinds[MMT_LOAD]);
        json_u64(j, "stores", p->kinds[MMT_STORE]);
        json_u64(j, "modifies", p->kinds[MMT_MODIFY]);
        json_u64(j, "tlb_misses", p->tlb_misses);
        json_u64(j, "walks", p->walks);
        json_obj_begin(j, "faults");
        json_u64(j, "minor", p->min_flt);
        json_u64(j, "major", p->maj_flt);
        json_u64(j, "segv", p->faults_segv);
        json_u64(j, "oom", p->faults_oom);
        json_u64(j, "in_trace", p->trace_faults);
        json_obj_end(j);
        json_u64(j, "rss_pages", mc->rss_anon + mc->rss_file + mc->rss_shmem);
        json_u64(j, "rss_peak_pages", mc->rss_peak);
        json_u64(j, "pgtables_bytes", mc->pgtables_bytes);
        json_u64(j, "swap_pages", mc->swap_ents);
        json_i64(j, "oom_score_peak", pressure_oom_score_peak(s, p));
        json_bool(j, "exited", p->exited);
        json_obj_end(j);
    }
    json_arr_end(j);
}

/* The kernel's reads and writes of user memory for system calls: ranges, bytes, and the
 * faults they took (also in faults.minor/major, as the kernel counts them in min_flt). */
static void json_kernel_accesses(const struct sim *s, struct json *j)
{
    static const char *const names[2] = {"kernel_reads", "kernel_writes"};
    for (int w = 0; w < 2; w++) {
        json_obj_begin(j, names[w]);
        json_u64(j, "ranges", s->kacc[w].ranges);
        json_u64(j, "bytes", s->kacc[w].bytes);
        json_u64(j, "faults", s->kacc[w].faults);
        json_obj_end(j);
    }
}

/* "calibration": present when mmsim replay tried [timing] calibrate = native. */
static void json_calibration(struct sim *s, struct json *j)
{
    const struct sim_calibration *c = &s->calib;
    if (!c->applied && !c->why[0])
        return;
    json_obj_begin(j, "calibration");
    json_bool(j, "applied", c->applied);
    json_str(j, "why", c->why[0] ? c->why : NULL);
    if (c->applied) {
        json_f64(j, "native_user_s", c->native_user_s);
        json_f64(j, "native_sys_s", c->native_sys_s);
        json_f64(j, "native_wall_s", c->native_wall_s);
        json_u64(j, "native_minor_faults", c->native_minflt);
        json_f64(j, "base_cpi_from", c->base_cpi_from);
        json_f64(j, "base_cpi", c->base_cpi_to);
        json_u64(j, "minor_fault_cycles_from", c->minor_fault_from);
        json_u64(j, "minor_fault_cycles", c->minor_fault_to);
        json_f64(j, "unpressured_s", c->unpressured_s);
    }
    json_obj_end(j);
}

void sim_report_json(struct sim *s, struct json *j)
{
    struct totals t;
    sum_totals(s, &t);
    double instr = t.instructions ? (double)t.instructions : NAN; /* no CPI without instructions */
    json_obj_begin(j, NULL);
    json_arr_begin(j, "traces");
    for (uint32_t i = 0; i < s->nstreams; i++)
        json_str(j, NULL, s->streams[i].name);
    json_arr_end(j);
    json_arr_begin(j, "incomplete_traces"); /* replayed up to their last whole chunk */
    for (uint32_t i = 0; i < s->nstreams; i++)
        if (sim_trace_incomplete(s, (int)i))
            json_str(j, NULL, s->streams[i].name);
    json_arr_end(j);
    json_u64(j, "cpus", s->ncpu);
    json_u64(j, "records", s->records);
    json_u64(j, "accesses", t.accesses);
    json_u64(j, "instructions", t.instructions);
    json_u64(j, "ifetches", t.ifetches);
    json_u64(j, "loads", t.loads);
    json_u64(j, "stores", t.stores);
    json_u64(j, "modifies", t.modifies);
    json_u64(j, "cycles", t.cycles);
    json_u64(j, "busy_cycles", t.busy >> CYC_SHIFT);
    json_u64(j, "idle_cycles", t.idle);
    json_u64(j, "io_wait_cycles", s->io_wait_fx >> CYC_SHIFT);
    json_f64(j, "cpi", (double)t.busy / (1 << CYC_SHIFT) / instr);
    json_obj_begin(j, "cpi_breakdown");
    for (unsigned p = 0; p < CP_NR; p++)
        json_f64(j, part_names[p], (double)s->parts_fx[p] / (1 << CYC_SHIFT) / instr);
    json_obj_end(j);
    json_calibration(s, j);
    json_obj_begin(j, "cycles_breakdown");
    for (unsigned p = 0; p < CP_NR; p++)
        json_u64(j, part_names[p], s->parts_fx[p] >> CYC_SHIFT);
    json_obj_end(j);
    json_tlb(s, j, &t);
    json_cache(s, j, &t);
    json_walker(s, j);
    json_walk_latency(s, j);
    json_obj_begin(j, "faults");
    json_u64(j, "minor", s->faults_minor);
    json_u64(j, "major", s->faults_major);
    json_u64(j, "segv", s->faults_segv);
    json_u64(j, "oom", s->faults_oom);
    json_u64(j, "retries", s->fault_retries);
    json_u64(j, "in_trace", t.trace_faults);
    json_obj_end(j);
    json_kernel_accesses(s, j);
    json_u64(j, "context_switches", s->ctx_switches);
    json_u64(j, "processes_before_fork", s->unforked);
    json_u64(j, "events", s->events_applied);
    int eo = events_only(s, &t);
    json_bool(j, "events_only", eo);
    json_arr_begin(j, "unavailable");
    if (eo) {
        json_str(j, NULL, "tlb");
        json_str(j, NULL, "cache");
        json_str(j, NULL, "walks");
        json_str(j, NULL, "cpi");
    }
    json_arr_end(j);
    json_processes(s, j);
    pressure_report_json(s, j);
    memsys_report_json(s->ms, j);
    json_obj_begin(j, "host");
    json_u64(j, "pgtable_bytes", t.pgt_host_bytes);
    json_u64(j, "resident_pages", t.rss_pages);
    json_f64(j, "pgtable_bytes_per_resident_page",
             t.rss_pages ? (double)t.pgt_host_bytes / (double)t.rss_pages : 0.0);
    json_obj_end(j);
    host_traits_report_json(&s->cfg, j);
    sim_report_windows_json(s, j);
    json_obj_end(j);
}

/* ---- human report ---- */

static void ratio_line(FILE *f, const char *name, uint64_t lookups, uint64_t hits, uint64_t misses,
                       uint64_t instr)
{
    fprintf(f, "  %-12s %14" PRIu64 " %14" PRIu64 " %12" PRIu64 " %7.3f%% %9.3f\n", name, lookups,
            hits, misses, lookups ? 100.0 * (double)misses / (double)lookups : 0.0,
            per_kilo(misses, instr));
}

void sim_report_text(struct sim *s, FILE *f)
{
    struct totals t;
    sum_totals(s, &t);
    double instr = t.instructions ? (double)t.instructions : NAN; /* no CPI without instructions */
    fprintf(f, "# mmsim replay: %u trace%s on %u CPU%s\n", s->nstreams, s->nstreams == 1 ? "" : "s",
            s->ncpu, s->ncpu == 1 ? "" : "s");
    for (uint32_t i = 0; i < s->nstreams; i++) {
        const char *cut = sim_trace_incomplete(s, (int)i);
        fprintf(f, "#   %s%s%s%s\n", s->streams[i].name, cut ? " (INCOMPLETE: " : "", cut ? cut : "",
                cut ? ")" : "");
    }
    const struct sim_calibration *c = &s->calib;
    if (c->applied)
        fprintf(f, "# timing calibrated to the native run (user %.3f s, sys %.3f s, %" PRIu64
                   " minor faults): base_cpi %.3f (was %.3f), minor_fault %" PRIu64 " cycles (was %" PRIu64
                   "); an unpressured replay, rescaled: %.3f s\n",
                c->native_user_s, c->native_sys_s, c->native_minflt, c->base_cpi_to, c->base_cpi_from,
                c->minor_fault_to, c->minor_fault_from, c->unpressured_s);
    else if (c->why[0])
        fprintf(f, "# timing not calibrated: %s\n", c->why);
    fprintf(f, "\n%16" PRIu64 "  instructions\n", t.instructions);
    fprintf(f, "%16" PRIu64 "  accesses (%" PRIu64 " fetches, %" PRIu64 " loads, %" PRIu64
               " stores, %" PRIu64 " modifies)\n",
            t.accesses, t.ifetches, t.loads, t.stores, t.modifies);
    fprintf(f, "%16" PRIu64 "  cycles", t.cycles);
    if (t.idle)
        fprintf(f, " (%" PRIu64 " idle)", t.idle);
    if (t.instructions) {
        fprintf(f, "\n%16.3f  CPI:", (double)t.busy / (1 << CYC_SHIFT) / instr);
        for (unsigned p = 0; p < CP_NR; p++)
            fprintf(f, " %s %.3f", part_names[p], (double)s->parts_fx[p] / (1 << CYC_SHIFT) / instr);
    } else {
        fprintf(f, "\n%16s  CPI: n/a (no instructions); cycles:", "-");
        for (unsigned p = 0; p < CP_NR; p++)
            fprintf(f, " %s %llu", part_names[p], (unsigned long long)(s->parts_fx[p] >> CYC_SHIFT));
    }
    fprintf(f, "\n");
    int eo = events_only(s, &t);
    if (eo)
        fprintf(f, "\n# events-only trace: no accesses, so no TLB, cache, walk or CPI results;"
                   " faults are replayed from the trace's page-fault events\n");
    if (s->cfg.ntlb && !eo) {
        fprintf(f, "\n  %-12s %14s %14s %12s %8s %9s\n", "TLB", "lookups", "hits", "misses", "miss", "MPKI");
        for (uint32_t i = 0; i < s->cfg.ntlb; i++) {
            struct tlb_stats x;
            sum_tlb(s, i, &x);
            ratio_line(f, s->cfg.tlb[i].name, x.lookups, x.hits, x.misses, t.instructions);
            for (unsigned p = 0; p < TLB_NR_PSIZES; p++)
                if ((s->cfg.tlb[i].page_sizes & (1u << p)) && s->cfg.tlb[i].page_sizes != 1)
                    fprintf(f, "    %-10s %14s %14" PRIu64 " %12" PRIu64 "\n", config_psize_name(p), "",
                            x.hits_ps[p], x.misses_ps[p]);
        }
    }
    if (s->cfg.ncache && !eo) {
        fprintf(f, "\n  %-12s %14s %14s %12s %8s %9s %14s %12s\n", "cache", "lookups", "hits", "misses",
                "miss", "MPKI", "walk lookups", "walk misses");
        for (uint32_t i = 0; i < s->cfg.ncache; i++) {
            struct cache_stats x;
            sum_cache(s, i, &x);
            fprintf(f, "  %-12s %14" PRIu64 " %14" PRIu64 " %12" PRIu64 " %7.3f%% %9.3f %14" PRIu64 " %12" PRIu64 "\n",
                    s->cfg.cache[i].name, x.lookups, x.hits, x.misses,
                    x.lookups ? 100.0 * (double)x.misses / (double)x.lookups : 0.0,
                    per_kilo(x.misses, t.instructions), x.walk_lookups, x.walk_misses);
        }
    }
    struct pagewalk_stats w;
    sum_walk(s, &w);
    if (!eo) {
        fprintf(f, "\n%16" PRIu64 "  page walks, %" PRIu64 " cycles (%.1f a walk)\n", w.walks, w.cycles,
                w.walks ? (double)w.cycles / (double)w.walks : 0.0);
        if (w.walks) {
            uint64_t h[PW_HIST_BUCKETS];
            sum_walk_hist(s, h);
            fprintf(f, "                  latency p50 %" PRIu64 ", p90 %" PRIu64 ", p99 %" PRIu64 " cycles\n",
                    walk_quantile(h, w.walks, 0.5), walk_quantile(h, w.walks, 0.9),
                    walk_quantile(h, w.walks, 0.99));
        }
        fprintf(f, "                  reads by level:");
        for (unsigned l = s->cfg.walker.levels; l >= 1; l--)
            fprintf(f, " L%u %" PRIu64, l, w.reads[l]);
        fprintf(f, "\n");
        for (unsigned l = 2; l <= s->cfg.walker.levels; l++)
            if (s->cfg.walker.psc_entries[l])
                fprintf(f, "                  PSC %-4s %" PRIu64 " hits of %" PRIu64 " lookups\n",
                        psc_names[l], w.psc_hits[l], w.psc_lookups[l]);
    }
    fprintf(f, "\n%16" PRIu64 "  minor faults\n%16" PRIu64 "  major faults\n", s->faults_minor, s->faults_major);
    if (s->faults_segv || s->faults_oom)
        fprintf(f, "%16" PRIu64 "  SIGSEGV, %" PRIu64 " out of memory\n", s->faults_segv, s->faults_oom);
    if (s->kacc[0].ranges || s->kacc[1].ranges)
        fprintf(f, "%16" PRIu64 "  kernel reads of user memory, %" PRIu64 " bytes, %" PRIu64 " faults\n"
                   "%16" PRIu64 "  kernel writes of user memory, %" PRIu64 " bytes, %" PRIu64 " faults\n",
                s->kacc[0].ranges, s->kacc[0].bytes, s->kacc[0].faults, s->kacc[1].ranges,
                s->kacc[1].bytes, s->kacc[1].faults);
    fprintf(f, "\n  %8s %8s %14s %14s %10s %10s %12s %12s  %s\n", "pid", "threads", "instructions",
            "accesses", "minflt", "majflt", "rss peak KiB", "VmPTE KiB", "trace");
    for (uint32_t i = 0; i < s->nprocs; i++) {
        const struct proc *p = s->procs[i];
        const struct mm_counters *mc = proc_counters(p);
        fprintf(f, "  %8u %8" PRIu64 " %14" PRIu64 " %14" PRIu64 " %10" PRIu64 " %10" PRIu64 " %12" PRIu64
                   " %12" PRIu64 "  %s\n",
                p->pid, p->threads, proc_instructions(p), proc_accesses(p), p->min_flt, p->maj_flt,
                (mc->rss_peak << s->page_shift) >> 10, mc->pgtables_bytes >> 10, s->streams[p->trace].name);
    }
    pressure_report_text(s, f);
    memsys_report_text(s->ms, f);
    host_traits_report_text(&s->cfg, f);
    sim_report_windows_text(s, f);
}

/* ---- timeline ---- */

void stats_timeline_header(struct sim *s)
{
    fprintf(s->timeline, "cycles,instructions,accesses,minor_faults,major_faults,walks,rss_pages,rss_by_pid");
    memsys_timeline_header(s->ms, s->timeline);
    pressure_timeline_header(s, s->timeline);
    fprintf(s->timeline, "\n");
}

void stats_timeline_row(struct sim *s, uint64_t time_fx)
{
    struct totals t;
    sum_totals(s, &t);
    struct pagewalk_stats w;
    sum_walk(s, &w);
    fprintf(s->timeline, "%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",",
            time_fx >> CYC_SHIFT, t.instructions, t.accesses, s->faults_minor, s->faults_major, w.walks,
            t.rss_pages);
    for (uint32_t i = 0; i < s->nprocs; i++) {
        const struct proc *p = s->procs[i];
        const struct mm_counters *mc = proc_counters(p);
        fprintf(s->timeline, "%s%u:%" PRIu64, i ? " " : "", p->pid,
                p->mm ? mc->rss_anon + mc->rss_file + mc->rss_shmem : 0);
    }
    memsys_timeline_row(s->ms, s->timeline);
    pressure_timeline_row(s, s->timeline, time_fx);
    fprintf(s->timeline, "\n");
}
