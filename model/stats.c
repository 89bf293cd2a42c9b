/* stats.c - the results of a simulation: totals over CPUs and processes, the statistics of
 * the machine and its processes published once (statreg.h), and the outputs rendered from
 * the JSON report rendered from them (the other renderings: stats_render.c); and the human
 * report. */
#include <inttypes.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "model/host_traits.h"
#include "model/pressure.h"
#include "model/sim_internal.h"
#include "model/statreg.h"

static const char *const part_names[CP_NR] = {"base", "tlb", "walk", "cache", "fault", "switch", "irq", "contention"};
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

/* Why trace i's reader stopped short (a cut or damaged trace), or NULL: what the reports
 * say of each trace. */
const char *sim_trace_incomplete(const struct sim *s, int i)
{
    if (i < 0 || (uint32_t)i >= s->nstreams || !s->streams[i].reader)
        return NULL;
    const struct mmt_reader *r = s->streams[i].reader;
    return mmt_reader_complete(r) ? NULL : mmt_reader_incomplete_reason(r);
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

/* ---- the statistics of the machine and its processes (statreg.h) ---- */

#define DEF(var, name, unit, kind, desc) static const struct stat_def var = {name, unit, kind, desc, NULL}
#define DEFC(var, name, unit, kind, col, desc) static const struct stat_def var = {name, unit, kind, desc, col}

DEF(D_TRACES, "traces", "", STAT_INFO, "the traces replayed, in the order given");
DEF(D_INCOMPLETE, "incomplete_traces", "", STAT_INFO,
    "traces cut short or crashed while recording: replayed up to their last whole chunk");
DEF(D_CPUS, "cpus", "CPUs", STAT_INFO, "CPUs of the machine (`cpu.count`)");
DEF(D_RECORDS, "records", "records", STAT_COUNTER, "trace records replayed");
DEFC(D_ACCESSES, "accesses", "accesses", STAT_COUNTER, "accesses",
     "memory accesses replayed: fetches + loads + stores + modifies");
DEFC(D_INSTRUCTIONS, "instructions", "instructions", STAT_COUNTER, "instructions",
     "instructions: the instruction fetches, or one per data access in traces without fetches");
DEF(D_IFETCHES, "ifetches", "accesses", STAT_COUNTER, "instruction fetches");
DEF(D_LOADS, "loads", "accesses", STAT_COUNTER, "data loads");
DEF(D_STORES, "stores", "accesses", STAT_COUNTER, "data stores");
DEF(D_MODIFIES, "modifies", "accesses", STAT_COUNTER, "read-modify-writes (one access each)");
DEF(D_CYCLES, "cycles", "cycles", STAT_COUNTER, "simulated time at the end: the latest CPU's clock");
DEFC(D_SAMPLE, "sample_cycles", "cycles", STAT_COUNTER | STAT_NOT_JSON, "cycles",
     "the simulated time of a timeline row");
DEF(D_BUSY, "busy_cycles", "cycles", STAT_COUNTER, "CPU cycles running trace records, summed over CPUs");
DEF(D_IDLE, "idle_cycles", "cycles", STAT_COUNTER, "CPU cycles with nothing to run, summed over CPUs");
DEF(D_IOWAIT, "io_wait_cycles", "cycles", STAT_COUNTER,
    "cycles faults blocked their process for swap or file reads, summed");
DEF(D_CPI, "cpi", "cycles/instruction", STAT_RATIO, "busy cycles per instruction (null without instructions)");
DEF(D_CPI_PART, "<part>", "cycles/instruction", STAT_RATIO,
    "CPI by cause: base, tlb, walk, cache, fault, switch, irq (they sum to `cpi`)");
DEF(D_CYC_PART, "<part>", "cycles", STAT_COUNTER, "busy cycles by cause: base, tlb, walk, cache, fault, switch, irq (interrupts and TLB-flush IPIs taken from tasks), contention (`cpu.contention`)");

DEF(D_TLB_LOOKUPS, "lookups", "lookups", STAT_COUNTER, "lookups of this TLB, summed over CPUs (`[tlb.NAME]`)");
DEF(D_TLB_HITS, "hits", "lookups", STAT_COUNTER, "lookups that hit");
DEF(D_TLB_MISSES, "misses", "lookups", STAT_COUNTER, "lookups that missed");
DEF(D_TLB_MPKI, "mpki", "misses/kilo-instruction", STAT_RATIO, "misses per 1000 instructions");
DEF(D_TLB_FILLS, "fills", "entries", STAT_COUNTER, "entries filled");
DEF(D_TLB_EVICT, "evictions", "entries", STAT_COUNTER, "valid entries replaced by a fill");
DEF(D_TLB_INVAL, "invalidations", "entries", STAT_COUNTER, "entries invalidated (munmap, mprotect, COW, reclaim)");
DEF(D_TLB_FLUSH, "flushes", "flushes", STAT_COUNTER, "whole-TLB flushes (context switches without PCID)");
DEF(D_PS_HITS, "hits", "lookups", STAT_COUNTER, "hits on entries of this page size");
DEF(D_PS_MISSES, "misses", "lookups", STAT_COUNTER, "misses for addresses mapped with this page size");

DEF(D_C_LOOKUPS, "lookups", "lookups", STAT_COUNTER, "lookups of this cache (`[cache.NAME]`; a shared one counted once)");
DEF(D_C_HITS, "hits", "lookups", STAT_COUNTER, "lookups that hit");
DEF(D_C_MISSES, "misses", "lookups", STAT_COUNTER, "lookups that missed");
DEF(D_C_MPKI, "mpki", "misses/kilo-instruction", STAT_RATIO, "misses per 1000 instructions");
DEF(D_C_WLOOKUPS, "walk_lookups", "lookups", STAT_COUNTER, "lookups by the page walker (page-table entries)");
DEF(D_C_WHITS, "walk_hits", "lookups", STAT_COUNTER, "page-walker lookups that hit");
DEF(D_C_WMISSES, "walk_misses", "lookups", STAT_COUNTER, "page-walker lookups that missed");

DEFC(D_WALKS, "walks", "walks", STAT_COUNTER, "walks", "page walks (STLB misses), summed over CPUs");
DEF(D_WALK_CYCLES, "walk_cycles", "cycles", STAT_COUNTER, "cycles spent in page walks");
DEF(D_LEVELS, "levels", "levels", STAT_INFO, "page-table levels (`walker.levels`)");
DEF(D_NOT_PRESENT, "not_present", "walks", STAT_COUNTER, "walks that found no present entry (a fault follows)");
DEF(D_READS_L, "L<level>", "reads", STAT_COUNTER, "page-table entries read at this level (L1: the PTEs)");
DEF(D_READ_CYC_L, "L<level>", "cycles", STAT_COUNTER, "cycles of those reads (through the caches)");
DEF(D_PSC_LOOKUPS, "lookups", "lookups", STAT_COUNTER, "lookups of the paging-structure cache of this level");
DEF(D_PSC_HITS, "hits", "lookups", STAT_COUNTER, "lookups that hit (the walk skips the upper levels)");

DEF(D_WL_UNIT, "unit", "", STAT_INFO, "the histogram's unit (\"cycles\")");
DEF(D_WL_EXACT, "exact_below", "cycles", STAT_INFO, "latencies below this have one-cycle buckets, above it power-of-two buckets");
DEF(D_WL_WALKS, "walks", "walks", STAT_COUNTER, "walks in the histogram");
DEF(D_WL_MEAN, "mean", "cycles", STAT_RATIO, "mean walk latency (from bucket lower bounds)");
DEF(D_WL_P50, "p50", "cycles", STAT_RATIO, "median walk latency (bucket lower bound)");
DEF(D_WL_P90, "p90", "cycles", STAT_RATIO, "90th percentile walk latency");
DEF(D_WL_P99, "p99", "cycles", STAT_RATIO, "99th percentile walk latency");
DEF(D_WL_MAX, "max", "cycles", STAT_GAUGE, "the highest non-empty bucket");
DEF(D_WL_BUCKETS, "buckets", "[cycles, walks]", STAT_COUNTER,
    "the histogram: [lower bound, count] of every non-empty bucket (JSON only; `mmsim replay --walk-hist`)");

DEFC(D_F_MINOR, "minor", "faults", STAT_COUNTER, "minor_faults", "minor page faults (the kernel's min_flt summed over tasks)");
DEFC(D_F_MAJOR, "major", "faults", STAT_COUNTER, "major_faults", "major page faults: swap-ins and file reads (maj_flt)");
DEF(D_F_SEGV, "segv", "faults", STAT_COUNTER, "accesses outside any mapping or against its protection (SIGSEGV)");
DEF(D_F_OOM, "oom", "faults", STAT_COUNTER, "faults that found no memory (VM_FAULT_OOM)");
DEF(D_F_RETRIES, "retries", "faults", STAT_COUNTER, "faults retried after waiting for a page (VM_FAULT_RETRY)");
DEF(D_F_IN_TRACE, "in_trace", "events", STAT_COUNTER, "page-fault events recorded in the traces (events-only traces)");
DEF(D_DIRTY_ASSISTS, "dirty_assists", "stores", STAT_COUNTER,
    "stores that met a writable clean PTE and set its dirty bit: the walk's assist, no fault");
DEF(D_K_RANGES, "ranges", "ranges", STAT_COUNTER, "the kernel's accesses to user memory for system calls (format 1.3 records)");
DEF(D_K_BYTES, "bytes", "bytes", STAT_COUNTER, "bytes of those ranges");
DEF(D_K_FAULTS, "faults", "faults", STAT_COUNTER, "faults they took (also in `faults.minor`/`major`)");
DEF(D_CTX, "context_switches", "switches", STAT_COUNTER, "context switches between processes");
DEF(D_IRQS, "irqs", "interrupts", STAT_COUNTER, "swap device interrupts taken from a running task (timing.irq each)");
DEF(D_IRQS_IDLE, "irqs_idle", "interrupts", STAT_COUNTER, "swap device interrupts taken by an idle CPU (no cost to a task)");
DEF(D_TLB_IPIS, "tlb_ipis", "IPIs", STAT_COUNTER, "TLB-flush IPIs reclaim's flushes sent: to each other CPU running a user process that a process it unmapped from ran on");
DEF(D_RECLAIM_FLUSHES_MULTI, "reclaim_tlb_flushes_multi", "flushes", STAT_COUNTER, "those whose mm_cpumask held another CPU (the kernel's flush_tlb_multi: tracepoint tlb_flush, reason 4, \"remote IPI send\")");
DEF(D_RECLAIM_FLUSHES, "reclaim_tlb_flushes", "flushes", STAT_COUNTER, "TLB flushes of reclaim's unmapping: one before each page written (try_to_unmap_flush_dirty), one at a shrink batch's end (try_to_unmap_flush)");
DEF(D_UNFORKED, "processes_before_fork", "processes", STAT_COUNTER,
    "processes first seen before their fork event (their parent guessed)");
DEF(D_EVENTS, "events", "events", STAT_COUNTER, "trace events applied (mmap, munmap, brk, fork, exit ...)");
DEF(D_EVENTS_ONLY, "events_only", "bool", STAT_INFO, "the traces had no accesses, only events: TLB, cache, walk and CPI results are unavailable");
DEF(D_UNAVAILABLE, "unavailable", "", STAT_INFO, "the result groups a trace could not give (events-only traces)");

DEF(D_PROCS, "processes", "", STAT_INFO, "one object per process, in the order they appeared");
DEF(D_P_PID, "pid", "", STAT_INFO, "its pid in the trace");
DEF(D_P_TRACE, "trace", "", STAT_INFO, "its trace");
DEF(D_P_THREADS, "threads", "threads", STAT_GAUGE, "threads it had");
DEF(D_P_INSTR, "instructions", "instructions", STAT_COUNTER, "its instructions");
DEF(D_P_ACC, "accesses", "accesses", STAT_COUNTER, "its accesses");
DEF(D_P_IFETCH, "ifetches", "accesses", STAT_COUNTER, "its instruction fetches");
DEF(D_P_LOADS, "loads", "accesses", STAT_COUNTER, "its loads");
DEF(D_P_STORES, "stores", "accesses", STAT_COUNTER, "its stores");
DEF(D_P_MODIFIES, "modifies", "accesses", STAT_COUNTER, "its read-modify-writes");
DEF(D_P_TLBM, "tlb_misses", "lookups", STAT_COUNTER, "its last-level TLB misses");
DEF(D_P_WALKS, "walks", "walks", STAT_COUNTER, "its page walks");
DEF(D_P_MINOR, "minor", "faults", STAT_COUNTER, "its minor faults (min_flt)");
DEF(D_P_MAJOR, "major", "faults", STAT_COUNTER, "its major faults (maj_flt)");
DEF(D_P_SEGV, "segv", "faults", STAT_COUNTER, "its SIGSEGV faults");
DEF(D_P_OOM, "oom", "faults", STAT_COUNTER, "its out-of-memory faults");
DEF(D_P_IN_TRACE, "in_trace", "events", STAT_COUNTER, "its recorded page-fault events");
DEF(D_P_RSS, "rss_pages", "pages", STAT_GAUGE, "resident pages at the end (anon + file + shmem; at exit for one that exited)");
DEF(D_P_RSS_PEAK, "rss_peak_pages", "pages", STAT_GAUGE, "the most resident pages it had (VmHWM)");
DEF(D_P_PGT, "pgtables_bytes", "bytes", STAT_GAUGE, "its page tables (VmPTE)");
DEF(D_P_SWAP, "swap_pages", "pages", STAT_GAUGE, "its pages on swap (VmSwap)");
DEF(D_P_OOMSCORE, "oom_score_peak", "points", STAT_GAUGE, "/proc/PID/oom_score at its largest");
DEF(D_P_EXITED, "exited", "bool", STAT_INFO, "it exited before the end of the trace");
DEFC(D_RSS_BY_PID, "rss_by_pid", "pid:pages", STAT_GAUGE | STAT_NOT_JSON, "rss_by_pid",
     "resident pages of every process, `pid:pages` separated by spaces (0 after exit)");

DEFC(D_H_PGT, "pgtable_bytes", "bytes", STAT_GAUGE, NULL, "host memory of the engine's page tables");
DEFC(D_H_RES, "resident_pages", "pages", STAT_GAUGE, "rss_pages", "resident pages of every address space (counted once per mm)");
DEF(D_H_PGT_PER, "pgtable_bytes_per_resident_page", "bytes/page", STAT_RATIO, "host page-table bytes per resident page");
DEF(D_KTRAITS, "kernel_traits", "", STAT_INFO,
    "the traced kernel's traits and the config keys they set (JSON only; text: `Kernel traits`)");
DEF(D_WINDOWS, "windows", "", STAT_INFO,
    "per-window results of `--warmup` (JSON only): `count`, `list[]` with each window's `stats`, `total`");

DEF(D_CAL_APPLIED, "applied", "bool", STAT_INFO, "`[timing] calibrate = native` fitted the timing");
DEF(D_CAL_WHY, "why", "", STAT_INFO, "why it did not (null when it did)");
DEF(D_CAL_ON, "on", "", STAT_INFO,
    "the configuration fitted on: `--calibrate-with`'s file; null: the one replayed");
DEF(D_CAL_USER, "native_user_s", "s", STAT_INFO, "the native runs' user time, summed over the traces");
DEF(D_CAL_SYS, "native_sys_s", "s", STAT_INFO, "their system time");
DEF(D_CAL_WALL, "native_wall_s", "s", STAT_INFO, "their wall time");
DEF(D_CAL_MINFLT, "native_minor_faults", "faults", STAT_INFO, "their minor faults");
DEF(D_CAL_CPI_FROM, "base_cpi_from", "cycles/instruction", STAT_INFO, "`cpu.base_cpi` before the fit");
DEF(D_CAL_CPI, "base_cpi", "cycles/instruction", STAT_INFO, "`cpu.base_cpi` fitted");
DEF(D_CAL_MF_FROM, "minor_fault_cycles_from", "cycles", STAT_INFO, "`timing.minor_fault` before the fit");
DEF(D_CAL_MF, "minor_fault_cycles", "cycles", STAT_INFO, "`timing.minor_fault` fitted");
DEF(D_CAL_SS_FROM, "stall_scale_from", "", STAT_INFO, "`cpu.stall_scale` before the fit");
DEF(D_CAL_SS, "stall_scale", "", STAT_INFO, "`cpu.stall_scale` fitted (below 1 when the cache stalls alone leave base_cpi under 0.25)");
DEF(D_CAL_UNPR, "unpressured_s", "s", STAT_INFO, "the calibration replay's time with the fitted values");

static void publish_calibration(struct sim *s, struct stat_out *o)
{
    const struct sim_calibration *c = &s->calib;
    if (!c->applied && !c->why[0] && !stat_all(o))
        return; /* present when mmsim replay tried [timing] calibrate = native */
    stat_group_begin(o, "calibration");
    stat_bool(o, &D_CAL_APPLIED, c->applied);
    stat_str(o, &D_CAL_WHY, c->why[0] ? c->why : NULL);
    if (c->applied || stat_all(o)) {
        stat_str(o, &D_CAL_ON, c->on[0] ? c->on : NULL);
        stat_f64(o, &D_CAL_USER, c->native_user_s);
        stat_f64(o, &D_CAL_SYS, c->native_sys_s);
        stat_f64(o, &D_CAL_WALL, c->native_wall_s);
        stat_u64(o, &D_CAL_MINFLT, c->native_minflt);
        stat_f64(o, &D_CAL_CPI_FROM, c->base_cpi_from);
        stat_f64(o, &D_CAL_CPI, c->base_cpi_to);
        stat_u64(o, &D_CAL_MF_FROM, c->minor_fault_from);
        stat_u64(o, &D_CAL_MF, c->minor_fault_to);
        stat_f64(o, &D_CAL_SS_FROM, c->stall_scale_from);
        stat_f64(o, &D_CAL_SS, c->stall_scale_to);
        stat_f64(o, &D_CAL_UNPR, c->unpressured_s);
    }
    stat_group_end(o);
}

static void publish_tlbs(struct sim *s, struct stat_out *o, const struct totals *t)
{
    stat_group_begin(o, "tlb");
    for (uint32_t i = 0; i < s->cfg.ntlb; i++) {
        struct tlb_stats x;
        sum_tlb(s, i, &x);
        stat_instance_begin(o, "<tlb>", s->cfg.tlb[i].name);
        stat_u64(o, &D_TLB_LOOKUPS, x.lookups);
        stat_u64(o, &D_TLB_HITS, x.hits);
        stat_u64(o, &D_TLB_MISSES, x.misses);
        stat_f64(o, &D_TLB_MPKI, per_kilo(x.misses, t->instructions));
        stat_u64(o, &D_TLB_FILLS, x.fills);
        stat_u64(o, &D_TLB_EVICT, x.evictions);
        stat_u64(o, &D_TLB_INVAL, x.invalidations);
        stat_u64(o, &D_TLB_FLUSH, x.flushes);
        stat_group_begin(o, "page_size");
        for (unsigned p = 0; p < TLB_NR_PSIZES; p++) {
            if (!(s->cfg.tlb[i].page_sizes & (1u << p)))
                continue;
            stat_instance_begin(o, "<size>", config_psize_name(p));
            stat_u64(o, &D_PS_HITS, x.hits_ps[p]);
            stat_u64(o, &D_PS_MISSES, x.misses_ps[p]);
            stat_group_end(o);
        }
        stat_group_end(o);
        stat_group_end(o);
    }
    stat_group_end(o);
}

static void publish_caches(struct sim *s, struct stat_out *o, const struct totals *t)
{
    stat_group_begin(o, "cache");
    for (uint32_t i = 0; i < s->cfg.ncache; i++) {
        struct cache_stats x;
        sum_cache(s, i, &x);
        stat_instance_begin(o, "<cache>", s->cfg.cache[i].name);
        stat_u64(o, &D_C_LOOKUPS, x.lookups);
        stat_u64(o, &D_C_HITS, x.hits);
        stat_u64(o, &D_C_MISSES, x.misses);
        stat_f64(o, &D_C_MPKI, per_kilo(x.misses, t->instructions));
        stat_u64(o, &D_C_WLOOKUPS, x.walk_lookups);
        stat_u64(o, &D_C_WHITS, x.walk_hits);
        stat_u64(o, &D_C_WMISSES, x.walk_misses);
        stat_group_end(o);
    }
    stat_group_end(o);
}

static void publish_walker(struct sim *s, struct stat_out *o, const struct pagewalk_stats *w)
{
    char lv[8];
    stat_u64(o, &D_WALKS, w->walks);
    stat_u64(o, &D_WALK_CYCLES, w->cycles);
    stat_group_begin(o, "walker");
    stat_u64(o, &D_LEVELS, s->cfg.walker.levels);
    stat_u64(o, &D_NOT_PRESENT, w->not_present);
    stat_group_begin(o, "reads");
    for (unsigned l = 1; l <= s->cfg.walker.levels; l++) {
        snprintf(lv, sizeof lv, "L%u", l);
        stat_u64_as(o, &D_READS_L, lv, w->reads[l]);
    }
    stat_group_end(o);
    stat_group_begin(o, "read_cycles");
    for (unsigned l = 1; l <= s->cfg.walker.levels; l++) {
        snprintf(lv, sizeof lv, "L%u", l);
        stat_u64_as(o, &D_READ_CYC_L, lv, w->read_cycles[l]);
    }
    stat_group_end(o);
    stat_group_begin(o, "psc");
    for (unsigned l = 2; l <= s->cfg.walker.levels; l++) {
        if (!s->cfg.walker.psc_entries[l])
            continue;
        stat_instance_begin(o, "<level>", psc_names[l]);
        stat_u64(o, &D_PSC_LOOKUPS, w->psc_lookups[l]);
        stat_u64(o, &D_PSC_HITS, w->psc_hits[l]);
        stat_group_end(o);
    }
    stat_group_end(o);
    stat_group_end(o);
}

/* [cycles, count] of every non-empty bucket, by latency: cycles is the bucket's lower bound
 * (one cycle wide below exact_below, a power of two wide above) */
static void json_walk_buckets(void *arg, struct json *j)
{
    const uint64_t *h = arg;
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
}

static void publish_walk_latency(const struct sim *s, struct stat_out *o)
{
    uint64_t h[PW_HIST_BUCKETS], n = 0, sum = 0, max = 0;
    sum_walk_hist(s, h);
    for (unsigned b = 0; b < PW_HIST_BUCKETS; b++) {
        n += h[b];
        sum += h[b] * pagewalk_hist_lower(b);
        if (h[b])
            max = pagewalk_hist_lower(b);
    }
    stat_group_begin(o, "walk_latency");
    stat_str(o, &D_WL_UNIT, "cycles");
    stat_u64(o, &D_WL_EXACT, PW_HIST_EXACT);
    stat_u64(o, &D_WL_WALKS, n);
    stat_f64(o, &D_WL_MEAN, n ? (double)sum / (double)n : 0.0);
    stat_u64(o, &D_WL_P50, n ? walk_quantile(h, n, 0.50) : 0);
    stat_u64(o, &D_WL_P90, n ? walk_quantile(h, n, 0.90) : 0);
    stat_u64(o, &D_WL_P99, n ? walk_quantile(h, n, 0.99) : 0);
    stat_u64(o, &D_WL_MAX, max);
    stat_json_only(o, &D_WL_BUCKETS, json_walk_buckets, h);
    stat_group_end(o);
}

static void publish_faults(const struct sim *s, struct stat_out *o, const struct totals *t)
{
    stat_group_begin(o, "faults");
    stat_u64(o, &D_F_MINOR, s->faults_minor);
    stat_u64(o, &D_F_MAJOR, s->faults_major);
    stat_u64(o, &D_F_SEGV, s->faults_segv);
    stat_u64(o, &D_F_OOM, s->faults_oom);
    stat_u64(o, &D_F_RETRIES, s->fault_retries);
    stat_u64(o, &D_F_IN_TRACE, t->trace_faults);
    stat_group_end(o);
    stat_u64(o, &D_DIRTY_ASSISTS, s->dirty_assists);
    /* the kernel's reads and writes of user memory for system calls: ranges, bytes, and the
     * faults they took (also in faults.minor/major, as the kernel counts them in min_flt) */
    static const char *const names[2] = {"kernel_reads", "kernel_writes"};
    for (int w = 0; w < 2; w++) {
        stat_group_begin(o, names[w]);
        stat_u64(o, &D_K_RANGES, s->kacc[w].ranges);
        stat_u64(o, &D_K_BYTES, s->kacc[w].bytes);
        stat_u64(o, &D_K_FAULTS, s->kacc[w].faults);
        stat_group_end(o);
    }
}

static void publish_process(struct sim *s, struct stat_out *o, const struct proc *p, int schema)
{
    const struct mm_counters *mc = proc_counters(p);
    stat_group_begin(o, NULL);
    stat_u64(o, &D_P_PID, p->pid);
    stat_str(o, &D_P_TRACE, schema ? NULL : s->streams[p->trace].name);
    stat_u64(o, &D_P_THREADS, p->threads);
    stat_u64(o, &D_P_INSTR, proc_instructions(p));
    stat_u64(o, &D_P_ACC, proc_accesses(p));
    stat_u64(o, &D_P_IFETCH, p->kinds[MMT_IFETCH]);
    stat_u64(o, &D_P_LOADS, p->kinds[MMT_LOAD]);
    stat_u64(o, &D_P_STORES, p->kinds[MMT_STORE]);
    stat_u64(o, &D_P_MODIFIES, p->kinds[MMT_MODIFY]);
    stat_u64(o, &D_P_TLBM, p->tlb_misses);
    stat_u64(o, &D_P_WALKS, p->walks);
    stat_group_begin(o, "faults");
    stat_u64(o, &D_P_MINOR, p->min_flt);
    stat_u64(o, &D_P_MAJOR, p->maj_flt);
    stat_u64(o, &D_P_SEGV, p->faults_segv);
    stat_u64(o, &D_P_OOM, p->faults_oom);
    stat_u64(o, &D_P_IN_TRACE, p->trace_faults);
    stat_group_end(o);
    stat_u64(o, &D_P_RSS, mc->rss_anon + mc->rss_file + mc->rss_shmem);
    stat_u64(o, &D_P_RSS_PEAK, mc->rss_peak);
    stat_u64(o, &D_P_PGT, mc->pgtables_bytes);
    stat_u64(o, &D_P_SWAP, mc->swap_ents);
    stat_i64(o, &D_P_OOMSCORE, schema ? 0 : pressure_oom_score_peak(s, p));
    stat_bool(o, &D_P_EXITED, p->exited);
    stat_group_end(o);
}

static void publish_processes(struct sim *s, struct stat_out *o)
{
    stat_list_begin(o, &D_PROCS);
    for (uint32_t i = 0; i < s->nprocs; i++)
        publish_process(s, o, s->procs[i], 0);
    if (stat_all(o) && !s->nprocs) {
        static const struct proc none;
        publish_process(s, o, &none, 1);
    }
    stat_list_end(o);
    if (!stat_wanted(o, &D_RSS_BY_PID))
        return;
    /* the timeline's column: pid:pages of every process, 0 once it exited */
    size_t cap = 32 * (size_t)s->nprocs + 1, n = 0;
    char *buf = malloc(cap);
    if (!buf)
        return;
    buf[0] = 0;
    for (uint32_t i = 0; i < s->nprocs; i++) {
        const struct proc *p = s->procs[i];
        const struct mm_counters *mc = proc_counters(p);
        n += (size_t)snprintf(buf + n, cap - n, "%s%u:%" PRIu64, i ? " " : "", p->pid,
                              p->mm ? mc->rss_anon + mc->rss_file + mc->rss_shmem : 0);
    }
    stat_str(o, &D_RSS_BY_PID, buf);
    free(buf);
}

static void json_windows(void *arg, struct json *j)
{
    sim_report_windows_json(arg, j);
}

static void json_kernel_traits(void *arg, struct json *j)
{
    host_traits_report_json(arg, j);
}

static void publish_host(struct sim *s, struct stat_out *o, const struct totals *t)
{
    stat_group_begin(o, "host");
    stat_u64(o, &D_H_PGT, t->pgt_host_bytes);
    stat_u64(o, &D_H_RES, t->rss_pages);
    stat_f64(o, &D_H_PGT_PER, t->rss_pages ? (double)t->pgt_host_bytes / (double)t->rss_pages : 0.0);
    stat_group_end(o);
    stat_json_only(o, &D_KTRAITS, json_kernel_traits, &s->cfg);
    stat_json_only(o, &D_WINDOWS, json_windows, s);
}

static void publish_traces(struct sim *s, struct stat_out *o)
{
    stat_list_begin(o, &D_TRACES);
    for (uint32_t i = 0; i < s->nstreams; i++)
        stat_item_str(o, s->streams[i].name);
    stat_list_end(o);
    stat_list_begin(o, &D_INCOMPLETE);
    for (uint32_t i = 0; i < s->nstreams; i++)
        if (sim_trace_incomplete(s, (int)i))
            stat_item_str(o, s->streams[i].name);
    stat_list_end(o);
}

static void publish_time(struct sim *s, struct stat_out *o, const struct totals *t, uint64_t sample_fx)
{
    double instr = t->instructions ? (double)t->instructions : NAN; /* no CPI without instructions */
    stat_u64(o, &D_CYCLES, t->cycles);
    stat_u64(o, &D_SAMPLE, sample_fx >> CYC_SHIFT);
    stat_u64(o, &D_BUSY, t->busy >> CYC_SHIFT);
    stat_u64(o, &D_IDLE, t->idle);
    stat_u64(o, &D_IOWAIT, s->io_wait_fx >> CYC_SHIFT);
    stat_f64(o, &D_CPI, (double)t->busy / (1 << CYC_SHIFT) / instr);
    stat_group_begin(o, "cpi_breakdown");
    for (unsigned p = 0; p < CP_NR; p++)
        stat_f64_as(o, &D_CPI_PART, part_names[p], (double)s->parts_fx[p] / (1 << CYC_SHIFT) / instr);
    stat_group_end(o);
    publish_calibration(s, o);
    stat_group_begin(o, "cycles_breakdown");
    for (unsigned p = 0; p < CP_NR; p++)
        stat_u64_as(o, &D_CYC_PART, part_names[p], s->parts_fx[p] >> CYC_SHIFT);
    stat_group_end(o);
}

/* Every statistic of the simulation, in the JSON report's order; sample_fx: the time of a
 * timeline row. */
void stats_publish(struct sim *s, struct stat_out *o, uint64_t sample_fx)
{
    struct totals t;
    sum_totals(s, &t);
    stat_group_begin(o, NULL);
    publish_traces(s, o);
    stat_u64(o, &D_CPUS, s->ncpu);
    stat_u64(o, &D_RECORDS, s->records);
    stat_u64(o, &D_ACCESSES, t.accesses);
    stat_u64(o, &D_INSTRUCTIONS, t.instructions);
    stat_u64(o, &D_IFETCHES, t.ifetches);
    stat_u64(o, &D_LOADS, t.loads);
    stat_u64(o, &D_STORES, t.stores);
    stat_u64(o, &D_MODIFIES, t.modifies);
    publish_time(s, o, &t, sample_fx);
    publish_tlbs(s, o, &t);
    publish_caches(s, o, &t);
    struct pagewalk_stats w;
    sum_walk(s, &w);
    publish_walker(s, o, &w);
    publish_walk_latency(s, o);
    publish_faults(s, o, &t);
    stat_u64(o, &D_CTX, s->ctx_switches);
    stat_u64(o, &D_IRQS, s->irqs);
    stat_u64(o, &D_IRQS_IDLE, s->irqs_idle);
    stat_u64(o, &D_TLB_IPIS, s->tlb_ipis);
    stat_u64(o, &D_RECLAIM_FLUSHES, s->reclaim_flushes);
    stat_u64(o, &D_RECLAIM_FLUSHES_MULTI, s->reclaim_flushes_multi);
    stat_u64(o, &D_UNFORKED, s->unforked);
    stat_u64(o, &D_EVENTS, s->events_applied);
    int eo = events_only(s, &t);
    stat_bool(o, &D_EVENTS_ONLY, eo);
    stat_list_begin(o, &D_UNAVAILABLE);
    if (eo) {
        stat_item_str(o, "tlb");
        stat_item_str(o, "cache");
        stat_item_str(o, "walks");
        stat_item_str(o, "cpi");
    }
    stat_list_end(o);
    publish_processes(s, o);
    pressure_publish_stats(s, o, sample_fx);
    memsys_publish_stats(s->ms, o);
    publish_host(s, o, &t);
    stat_group_end(o);
}

/* ---- the outputs rendered from it ---- */

void sim_report_json(struct sim *s, struct json *j)
{
    struct stat_out o;
    stat_out_json(&o, j);
    stats_publish(s, &o, sched_now_fx(s));
}

/* ---- human report: its figures looked up in the publication ---- */

static void publish_now(void *arg, struct stat_out *o)
{
    struct sim *s = arg;
    stats_publish(s, o, sched_now_fx(s));
}

static struct stat_table *stats_table(struct sim *s)
{
    return stat_table_new(publish_now, s);
}

static double miss_pct(uint64_t lookups, uint64_t misses)
{
    return lookups ? 100.0 * (double)misses / (double)lookups : 0.0;
}

static void text_header(struct sim *s, const struct stat_table *tb, FILE *f)
{
    fprintf(f, "# mmsim replay: %u trace%s on %u CPU%s\n", s->nstreams, s->nstreams == 1 ? "" : "s",
            s->ncpu, s->ncpu == 1 ? "" : "s");
    for (uint32_t i = 0; i < s->nstreams; i++) {
        const char *cut = sim_trace_incomplete(s, (int)i);
        fprintf(f, "#   %s%s%s%s\n", s->streams[i].name, cut ? " (INCOMPLETE: " : "", cut ? cut : "",
                cut ? ")" : "");
    }
    const char *on = stat_table_str(tb, "calibration.on");
    if (stat_table_u64(tb, "calibration.applied"))
        fprintf(f, "# timing calibrated%s%s to the native run (user %.3f s, sys %.3f s, %" PRIu64
                   " minor faults): base_cpi %.3f (was %.3f), minor_fault %" PRIu64 " cycles (was %" PRIu64
                   "), stall_scale %.3f; an unpressured replay, rescaled: %.3f s\n",
                on ? " on " : "", on ? on : "", stat_table_f64(tb, "calibration.native_user_s"), stat_table_f64(tb, "calibration.native_sys_s"),
                stat_table_u64(tb, "calibration.native_minor_faults"), stat_table_f64(tb, "calibration.base_cpi"),
                stat_table_f64(tb, "calibration.base_cpi_from"), stat_table_u64(tb, "calibration.minor_fault_cycles"),
                stat_table_u64(tb, "calibration.minor_fault_cycles_from"), stat_table_f64(tb, "calibration.stall_scale"),
                stat_table_f64(tb, "calibration.unpressured_s"));
    else if (stat_table_str(tb, "calibration.why"))
        fprintf(f, "# timing not calibrated: %s\n", stat_table_str(tb, "calibration.why"));
}

static void text_time(const struct stat_table *tb, FILE *f)
{
    uint64_t instr = stat_table_u64(tb, "instructions"), idle = stat_table_u64(tb, "idle_cycles");
    fprintf(f, "\n%16" PRIu64 "  instructions\n", instr);
    fprintf(f, "%16" PRIu64 "  accesses (%" PRIu64 " fetches, %" PRIu64 " loads, %" PRIu64
               " stores, %" PRIu64 " modifies)\n",
            stat_table_u64(tb, "accesses"), stat_table_u64(tb, "ifetches"), stat_table_u64(tb, "loads"),
            stat_table_u64(tb, "stores"), stat_table_u64(tb, "modifies"));
    fprintf(f, "%16" PRIu64 "  cycles", stat_table_u64(tb, "cycles"));
    if (idle)
        fprintf(f, " (%" PRIu64 " idle)", idle);
    if (instr) {
        fprintf(f, "\n%16.3f  CPI:", stat_table_f64(tb, "cpi"));
        for (unsigned p = 0; p < CP_NR; p++)
            fprintf(f, " %s %.3f", part_names[p], stat_table_f64(tb, "cpi_breakdown.%s", part_names[p]));
    } else {
        fprintf(f, "\n%16s  CPI: n/a (no instructions); cycles:", "-");
        for (unsigned p = 0; p < CP_NR; p++)
            fprintf(f, " %s %llu", part_names[p],
                    (unsigned long long)stat_table_u64(tb, "cycles_breakdown.%s", part_names[p]));
    }
    fprintf(f, "\n");
}

static void text_tlbs_caches(struct sim *s, const struct stat_table *tb, FILE *f)
{
    if (s->cfg.ntlb) {
        fprintf(f, "\n  %-12s %14s %14s %12s %8s %9s\n", "TLB", "lookups", "hits", "misses", "miss", "MPKI");
        for (uint32_t i = 0; i < s->cfg.ntlb; i++) {
            const char *n = s->cfg.tlb[i].name;
            uint64_t lookups = stat_table_u64(tb, "tlb.%s.lookups", n), misses = stat_table_u64(tb, "tlb.%s.misses", n);
            fprintf(f, "  %-12s %14" PRIu64 " %14" PRIu64 " %12" PRIu64 " %7.3f%% %9.3f\n", n, lookups,
                    stat_table_u64(tb, "tlb.%s.hits", n), misses, miss_pct(lookups, misses),
                    stat_table_f64(tb, "tlb.%s.mpki", n));
            for (unsigned p = 0; p < TLB_NR_PSIZES; p++)
                if ((s->cfg.tlb[i].page_sizes & (1u << p)) && s->cfg.tlb[i].page_sizes != 1)
                    fprintf(f, "    %-10s %14s %14" PRIu64 " %12" PRIu64 "\n", config_psize_name(p), "",
                            stat_table_u64(tb, "tlb.%s.page_size.%s.hits", n, config_psize_name(p)),
                            stat_table_u64(tb, "tlb.%s.page_size.%s.misses", n, config_psize_name(p)));
        }
    }
    if (s->cfg.ncache) {
        fprintf(f, "\n  %-12s %14s %14s %12s %8s %9s %14s %12s\n", "cache", "lookups", "hits", "misses",
                "miss", "MPKI", "walk lookups", "walk misses");
        for (uint32_t i = 0; i < s->cfg.ncache; i++) {
            const char *n = s->cfg.cache[i].name;
            uint64_t lookups = stat_table_u64(tb, "cache.%s.lookups", n), misses = stat_table_u64(tb, "cache.%s.misses", n);
            fprintf(f, "  %-12s %14" PRIu64 " %14" PRIu64 " %12" PRIu64 " %7.3f%% %9.3f %14" PRIu64 " %12" PRIu64 "\n",
                    n, lookups, stat_table_u64(tb, "cache.%s.hits", n), misses, miss_pct(lookups, misses),
                    stat_table_f64(tb, "cache.%s.mpki", n), stat_table_u64(tb, "cache.%s.walk_lookups", n),
                    stat_table_u64(tb, "cache.%s.walk_misses", n));
        }
    }
}

static void text_walks(struct sim *s, const struct stat_table *tb, FILE *f)
{
    uint64_t walks = stat_table_u64(tb, "walks"), cycles = stat_table_u64(tb, "walk_cycles");
    fprintf(f, "\n%16" PRIu64 "  page walks, %" PRIu64 " cycles (%.1f a walk)\n", walks, cycles,
            walks ? (double)cycles / (double)walks : 0.0);
    if (walks)
        fprintf(f, "                  latency p50 %" PRIu64 ", p90 %" PRIu64 ", p99 %" PRIu64 " cycles\n",
                stat_table_u64(tb, "walk_latency.p50"), stat_table_u64(tb, "walk_latency.p90"),
                stat_table_u64(tb, "walk_latency.p99"));
    fprintf(f, "                  reads by level:");
    for (unsigned l = s->cfg.walker.levels; l >= 1; l--)
        fprintf(f, " L%u %" PRIu64, l, stat_table_u64(tb, "walker.reads.L%u", l));
    fprintf(f, "\n");
    for (unsigned l = 2; l <= s->cfg.walker.levels; l++)
        if (s->cfg.walker.psc_entries[l])
            fprintf(f, "                  PSC %-4s %" PRIu64 " hits of %" PRIu64 " lookups\n", psc_names[l],
                    stat_table_u64(tb, "walker.psc.%s.hits", psc_names[l]),
                    stat_table_u64(tb, "walker.psc.%s.lookups", psc_names[l]));
}

static void text_faults(const struct stat_table *tb, FILE *f)
{
    uint64_t segv = stat_table_u64(tb, "faults.segv"), oom = stat_table_u64(tb, "faults.oom");
    fprintf(f, "\n%16" PRIu64 "  minor faults\n%16" PRIu64 "  major faults\n", stat_table_u64(tb, "faults.minor"),
            stat_table_u64(tb, "faults.major"));
    if (segv || oom)
        fprintf(f, "%16" PRIu64 "  SIGSEGV, %" PRIu64 " out of memory\n", segv, oom);
    if (stat_table_u64(tb, "kernel_reads.ranges") || stat_table_u64(tb, "kernel_writes.ranges"))
        fprintf(f, "%16" PRIu64 "  kernel reads of user memory, %" PRIu64 " bytes, %" PRIu64 " faults\n"
                   "%16" PRIu64 "  kernel writes of user memory, %" PRIu64 " bytes, %" PRIu64 " faults\n",
                stat_table_u64(tb, "kernel_reads.ranges"), stat_table_u64(tb, "kernel_reads.bytes"),
                stat_table_u64(tb, "kernel_reads.faults"), stat_table_u64(tb, "kernel_writes.ranges"),
                stat_table_u64(tb, "kernel_writes.bytes"), stat_table_u64(tb, "kernel_writes.faults"));
}

static void text_processes(struct sim *s, const struct stat_table *tb, FILE *f)
{
    fprintf(f, "\n  %8s %8s %14s %14s %10s %10s %12s %12s  %s\n", "pid", "threads", "instructions",
            "accesses", "minflt", "majflt", "rss peak KiB", "VmPTE KiB", "trace");
    for (uint32_t i = 0; i < s->nprocs; i++)
        fprintf(f, "  %8" PRIu64 " %8" PRIu64 " %14" PRIu64 " %14" PRIu64 " %10" PRIu64 " %10" PRIu64 " %12" PRIu64
                   " %12" PRIu64 "  %s\n",
                stat_table_u64(tb, "processes.%u.pid", i), stat_table_u64(tb, "processes.%u.threads", i),
                stat_table_u64(tb, "processes.%u.instructions", i), stat_table_u64(tb, "processes.%u.accesses", i),
                stat_table_u64(tb, "processes.%u.faults.minor", i), stat_table_u64(tb, "processes.%u.faults.major", i),
                (stat_table_u64(tb, "processes.%u.rss_peak_pages", i) << s->page_shift) >> 10,
                stat_table_u64(tb, "processes.%u.pgtables_bytes", i) >> 10, stat_table_str(tb, "processes.%u.trace", i));
}

void sim_report_text(struct sim *s, FILE *f)
{
    struct stat_table *tb = stats_table(s);
    text_header(s, tb, f);
    text_time(tb, f);
    int eo = (int)stat_table_u64(tb, "events_only");
    if (eo)
        fprintf(f, "\n# events-only trace: no accesses, so no TLB, cache, walk or CPI results;"
                   " faults are replayed from the trace's page-fault events\n");
    else
        text_tlbs_caches(s, tb, f);
    if (!eo)
        text_walks(s, tb, f);
    text_faults(tb, f);
    text_processes(s, tb, f);
    pressure_report_text(s, tb, f);
    memsys_report_text(s->ms, tb, f);
    host_traits_report_text(&s->cfg, f);
    sim_report_windows_text(s, f);
    stat_table_free(tb);
}
