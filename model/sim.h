/* sim.h - one whole simulation: a machine (CPUs with TLBs, walkers, caches), the OS memory
 * model, and the processes of the traces replayed on it. No global state: two sims in one
 * process share nothing, so a sweep can run many of them.
 *
 *     struct sim *s = sim_new(&cfg, err, sizeof err);
 *     sim_add_trace(s, "ls.mmt", err, sizeof err);      // once per trace: separate processes
 *     sim_run(s, err, sizeof err);
 *     sim_stat(s, "tlb.l1d.misses", &v);                // or sim_report_json / _text
 *     sim_free(s);
 */
#ifndef MMSIM_SIM_H
#define MMSIM_SIM_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "traces/mmt.h"

struct sim;
struct mmsim_config;
struct json;

/* A stream of records, for callers that decode traces themselves (a sweep replaying one
 * decoded trace many times). next: 1 with a batch, 0 at the end, -1 on error (then error()
 * says why). event: the event a MMT_EVENT record of the current batch refers to. */
struct sim_source {
    int (*next)(void *ctx, const struct mmt_rec **recs, size_t *n);
    const struct mmt_event *(*event)(void *ctx, uint32_t idx);
    const char *(*error)(void *ctx);
    void *ctx;
    unsigned flags; /* SIM_SOURCE_* */
};
/* The records carry no mappings (imported lackey, pinatrace, ChampSim, din traces): each
 * process starts with one anonymous read-write-execute mapping over the whole user address
 * space, so every address is valid memory. sim_add_trace sets it for "import:" backends. */
#define SIM_SOURCE_NO_MAPPINGS 1u

/* cfg must have passed config_validate(); the sim keeps its own copy. */
struct sim *sim_new(const struct mmsim_config *cfg, char *err, size_t errlen);
void sim_free(struct sim *s);

/* Adds a trace file (opened now, read during sim_run) or a source; its processes are new
 * processes of this machine. Returns the trace's index or -1. */
int sim_add_trace(struct sim *s, const char *path, char *err, size_t errlen);
int sim_add_source(struct sim *s, const char *name, const struct sim_source *src, char *err,
                   size_t errlen);
/* Why trace i is incomplete (cut short, crashed while recording), or NULL when it is whole
 * or not a file: the replay covers only its readable chunks. */
const char *sim_trace_incomplete(const struct sim *s, int i);

/* Optional outputs, set before sim_run: a timeline CSV (one row per stats.sample_interval
 * cycles) and a progress line on stderr. */
void sim_set_timeline(struct sim *s, FILE *csv);
void sim_set_progress(struct sim *s, int on);
/* A vmstat-like line on f every interval_ns of simulated time (memory pressure). */
void sim_set_vmstat(struct sim *s, FILE *f, uint64_t interval_ns);

/* Windows (mmsim record --skip/--length/--every): the first `accesses` accesses of each
 * window (or, with fraction > 0, that fraction of its accesses) warm the TLBs, caches and
 * page tables and are not counted in the per-window results; a trace without window
 * markers is one window. One trace file only (the statistics are the machine's). Call
 * after sim_add_trace, before sim_run. 0, or -1 with err filled. */
int sim_set_warmup(struct sim *s, uint64_t accesses, double fraction, char *err, size_t errlen);
/* The per-window results and their sum (text: a table; JSON: a "windows" member, which
 * sim_report_json includes). Nothing without sim_set_warmup. */
void sim_report_windows_text(struct sim *s, FILE *f);
void sim_report_windows_json(struct sim *s, struct json *j);

/* Replays every trace to its end. 0, or -1 with a message naming the trace and record. */
int sim_run(struct sim *s, char *err, size_t errlen);

/* Results, after sim_run. Every number of the JSON report outside its lists (processes,
 * OOM kills, per-order buddy counts), by its path with dots: "cycles", "tlb.l1d.misses",
 * "cache.l2.walk_misses", "faults.minor", "walker.psc.pd.hits", "kernel_reads.bytes",
 * "os.faults.cow_copies", "reclaim.pswpout", "psi.some" ... (true/false as 1/0; the
 * schema: docs/replay.md, `mmsim stats-schema`). Returns 0, or -1 for an unknown key. */
int sim_stat(struct sim *s, const char *key, double *value);
/* Calls fn for every key sim_stat knows (key, value), in report order. */
void sim_stats_visit(struct sim *s, void (*fn)(void *ctx, const char *key, double v), void *ctx);
/* The statistics' schema as a Markdown table (path, unit, kind, description): every
 * statistic any configuration publishes, instances as placeholders ("tlb.<tlb>.misses"). */
void sim_stats_schema(struct sim *s, FILE *f);
/* What `[timing] calibrate = native` fitted (mmsim replay, model/calibrate.h), reported with the results. */
struct sim_calibration {
    int applied;                 /* 0: not fitted; why says why */
    char why[200];
    double native_user_s, native_sys_s, native_wall_s; /* summed over the traces */
    uint64_t native_minflt;
    double base_cpi_from, base_cpi_to;
    double stall_scale_from, stall_scale_to; /* cpu.stall_scale: below 1 when the cache
                                                stalls alone exceed the native user time */
    uint64_t minor_fault_from, minor_fault_to; /* cycles */
    double unpressured_s;        /* the calibration replay's time with the fitted values */
    char on[200];                /* the config fitted on when not the one replayed
                                    (mmsim replay --calibrate-with), else "" */
};
void sim_set_calibration(struct sim *s, const struct sim_calibration *c);
void sim_report_json(struct sim *s, struct json *j);
void sim_report_text(struct sim *s, FILE *f);
/* The page-walk latency histogram as CSV `cycles,count` (a row per non-empty bucket, cycles
 * its lower bound: exact below PW_HIST_EXACT, powers of two above). 0, or -1 on a write error. */
int sim_write_walk_hist(struct sim *s, FILE *f);

#endif
