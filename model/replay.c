/* replay.c - `mmsim replay`: replays traces through the model and reports. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common/util.h"
#include "model/config.h"
#include "model/host_traits.h"
#include "model/sim.h"
#include "traces/mmt.h"
#include "verbs.h"

static void replay_usage(FILE *f)
{
    fprintf(f,
            "usage: mmsim replay [-c CONFIG] [-s section.key=value]... [--json] [-o FILE]\n"
            "                    [--timeline FILE.csv] [--walk-hist FILE.csv] [--vmstat MS]\n"
            "                    [--no-progress] TRACE...\n"
            "  Replays the traces (each a separate set of processes sharing the CPUs) through\n"
            "  the TLBs, page walker, caches and OS memory model of CONFIG, and reports.\n"
            "  -c CONFIG        machine and OS (default: configs/default.ini)\n"
            "  -s k=v           override a key, e.g. -s tlb.l1d.entries=128 -s cache.l1d.size=32K\n"
            "  --json           print the report as one JSON object (schema: docs/replay.md)\n"
            "  -o FILE          write the JSON report to FILE (the text report still goes to stdout)\n"
            "  --timeline FILE  a CSV row every stats.sample_interval cycles\n"
            "  --walk-hist FILE the page-walk latency histogram as CSV cycles,count (for\n"
            "                   mmsim plot walk)\n"
            "  --vmstat MS      a vmstat-like line every MS simulated milliseconds (procs r b,\n"
            "                   memory swpd free buff cache, swap si so, io bi bo); on stderr\n"
            "                   with --json\n"
            "  --no-progress    no progress line on stderr\n"
            "  --warmup N|F     windows (mmsim record --skip/--length/--every): the first N\n"
            "                   accesses of each window, or a fraction F (0 < F < 1) of them,\n"
            "                   warm the TLBs, caches and page tables without being counted;\n"
            "                   reports each window and their total (one trace; a trace\n"
            "                   without windows is one window)\n");
}

/* configs/default.ini here, else beside the binary: bin/../configs (a build tree) or
 * bin/../share/mmsim/configs (an install at any PREFIX), so the default machine does not
 * depend on the folder mmsim runs in. NULL: the built-in defaults. */
static const char *default_config(char *buf, size_t n)
{
    static const char *const beside_bin[] = {"/../configs/default.ini",
                                             "/../share/mmsim/configs/default.ini"};
    if (access("configs/default.ini", R_OK) == 0)
        return "configs/default.ini";
    char exe[4096];
    ssize_t len = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (len <= 0)
        return NULL;
    exe[len] = 0;
    char *slash = strrchr(exe, '/');
    if (slash)
        *slash = 0;
    for (size_t i = 0; i < sizeof beside_bin / sizeof beside_bin[0]; i++) {
        snprintf(buf, n, "%s%s", exe, beside_bin[i]);
        if (access(buf, R_OK) == 0)
            return buf;
    }
    return NULL;
}

struct replay_opts {
    const char *config, *out, *timeline, *walk_hist;
    int json, progress;
    int dump_config;        /* --dump-config: print what -c and -s resolve to, and stop */
    double vmstat_ms;
    int warmup;             /* --warmup given */
    uint64_t warm_accesses;
    double warm_fraction;
    char **sets;
    int nsets;
    char **traces;
    int ntraces;
};

/* N (accesses, K/M/G powers of 1000 allowed) or a fraction 0 < F < 1. */
static int parse_warmup(const char *v, struct replay_opts *o)
{
    double f;
    o->warmup = 1;
    if (strchr(v, '.')) {
        if (parse_double(v, &f) || !(f > 0 && f < 1)) {
            fprintf(stderr, "mmsim replay: --warmup %s: a fraction must be between 0 and 1\n", v);
            return -1;
        }
        o->warm_fraction = f;
        return 0;
    }
    if (parse_count(v, &o->warm_accesses)) {
        fprintf(stderr, "mmsim replay: --warmup %s: expected accesses (digits, K, M, G) or a "
                "fraction like 0.1\n", v);
        return -1;
    }
    return 0;
}

static int parse_opts(int argc, char **argv, struct replay_opts *o)
{
    o->progress = 1;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int more = i + 1 < argc;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            replay_usage(stdout);
            return 1;
        } else if (!strcmp(a, "-c") && more) {
            o->config = argv[++i];
        } else if (!strcmp(a, "-s") && more) {
            o->sets[o->nsets++] = argv[++i];
        } else if (!strcmp(a, "--json")) {
            o->json = 1;
        } else if (!strcmp(a, "-o") && more) {
            o->out = argv[++i];
        } else if (!strcmp(a, "--timeline") && more) {
            o->timeline = argv[++i];
        } else if (!strcmp(a, "--walk-hist") && more) {
            o->walk_hist = argv[++i];
        } else if (!strcmp(a, "--vmstat") && more) {
            if (parse_double(argv[++i], &o->vmstat_ms) || !(o->vmstat_ms > 0)) {
                fprintf(stderr, "mmsim replay: --vmstat: '%s' is not a positive number of ms\n", argv[i]);
                return 2;
            }
        } else if (!strcmp(a, "--warmup") && more) {
            if (parse_warmup(argv[++i], o))
                return 2;
        } else if (!strcmp(a, "--no-progress")) {
            o->progress = 0;
        } else if (!strcmp(a, "--dump-config")) {
            o->dump_config = 1;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "mmsim replay: unknown option or missing value: '%s'\n", a);
            return 2;
        } else {
            o->traces[o->ntraces++] = argv[i];
        }
    }
    if (!o->ntraces && !o->dump_config) {
        fprintf(stderr, "mmsim replay: no trace given\n");
        replay_usage(stderr);
        return 2;
    }
    return 0;
}

static int write_json_file(struct sim *s, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "mmsim replay: %s: cannot create\n", path);
        return -1;
    }
    struct json j;
    json_init(&j, f, 1);
    sim_report_json(s, &j);
    json_end(&j);
    if (fclose(f)) {
        fprintf(stderr, "mmsim replay: %s: write error\n", path);
        return -1;
    }
    return 0;
}

static int write_walk_hist(struct sim *s, const char *path)
{
    FILE *f = fopen(path, "w");
    if (!f) {
        fprintf(stderr, "mmsim replay: %s: cannot create\n", path);
        return -1;
    }
    int bad = sim_write_walk_hist(s, f);
    if (fclose(f) || bad) {
        fprintf(stderr, "mmsim replay: %s: write error\n", path);
        return -1;
    }
    return 0;
}

/* The host kernel's traits recorded in the traces, for the keys neither the config file nor
 * -s set (model/host_traits.h). A trace that does not open is left to sim_add_trace, which
 * reports it. */
static int apply_trace_traits(struct mmsim_config *cfg, const struct replay_opts *o, char *err, size_t errlen)
{
    for (int i = 0; i < o->ntraces; i++) {
        char oerr[512];
        struct mmt_reader *r = mmt_reader_open(o->traces[i], oerr, sizeof oerr);
        if (!r)
            continue;
        int rc = host_traits_apply(cfg, r, o->traces[i], err, errlen);
        mmt_reader_close(r);
        if (rc)
            return -1;
    }
    return 0;
}

/* ---- [timing] calibrate = native ----
 * A recorded trace carries its native run (native.rusage.utime_s, stime_s, min_flt:
 * the program run once without the recorder). User time is instructions at base_cpi plus
 * the memory stalls the model computes; system time of these runs is mostly minor faults.
 * So: replay the traces once with unlimited memory and the configured values, then
 *     base_cpi'    = (native user time x f - modelled stall cycles) / instructions
 *     minor_fault' = native system time x f / modelled minor faults
 * which makes that unpressured replay take the native user + system time. Traces without
 * a native run (imports, --no-native-run) leave the config as it is. */

/* The native run of trace path, summed into c; 0, or -1 with c->why set. */
static int native_run_of(const char *path, struct sim_calibration *c)
{
    char err[512];
    struct mmt_reader *r = mmt_reader_open(path, err, sizeof err);
    if (!r) {
        snprintf(c->why, sizeof c->why, "%.190s", err);
        return -1;
    }
    const char *u = mmt_reader_meta(r, "native.rusage.utime_s"), *s = mmt_reader_meta(r, "native.rusage.stime_s");
    const char *m = mmt_reader_meta(r, "native.rusage.min_flt"), *w = mmt_reader_meta(r, "native.wall_s");
    double du, ds, dw = 0, dm;
    int rc = -1;
    if (!u || !s || !m || parse_double(u, &du) || parse_double(s, &ds) || parse_double(m, &dm) || !(dm > 0) ||
        (w && parse_double(w, &dw)))
        snprintf(c->why, sizeof c->why, "%.120s has no native run (recorded with --no-native-run, or imported)", path);
    else {
        c->native_user_s += du;
        c->native_sys_s += ds;
        c->native_wall_s += dw;
        c->native_minflt += (uint64_t)dm;
        rc = 0;
    }
    mmt_reader_close(r);
    return rc;
}

/* One replay of the traces with unlimited memory: instructions, stall cycles (TLB, walks,
 * caches), minor faults. */
static int unpressured_replay(const struct mmsim_config *cfg, const struct replay_opts *o, double *instr,
                              double *stalls, double *minor, double *seconds, char *err, size_t errlen)
{
    struct mmsim_config *c = malloc(sizeof *c);
    if (!c)
        return -1;
    *c = *cfg;
    c->memory.unlimited = 1;
    c->memcg.limit = 0;
    struct sim *s = sim_new(c, err, errlen);
    free(c);
    if (!s)
        return -1;
    int rc = 0;
    for (int i = 0; i < o->ntraces && !rc; i++)
        rc = sim_add_trace(s, o->traces[i], err, errlen) < 0 ? -1 : 0;
    double tlb = 0, walk = 0, cache = 0, cycles = 0;
    if (!rc)
        rc = sim_run(s, err, errlen);
    if (!rc && (sim_stat(s, "instructions", instr) || sim_stat(s, "cpi_breakdown.tlb", &tlb) ||
                sim_stat(s, "cpi_breakdown.walk", &walk) || sim_stat(s, "cpi_breakdown.cache", &cache) ||
                sim_stat(s, "faults.minor", minor) || sim_stat(s, "cycles", &cycles))) {
        snprintf(err, errlen, "calibration: the replay's counters are missing");
        rc = -1;
    }
    *stalls = (tlb + walk + cache) * *instr; /* the breakdown is per instruction */
    *seconds = cycles / (cfg->cpu.freq_ghz * 1e9);
    sim_free(s);
    return rc;
}

/* Fits cfg's base_cpi and minor_fault to the native run when asked and possible. */
static int calibrate_native(struct mmsim_config *cfg, const struct replay_opts *o, struct sim_calibration *c,
                            char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    if (strcmp(cfg->timing.calibrate, "native"))
        return 0;
    for (int i = 0; i < o->ntraces; i++)
        if (native_run_of(o->traces[i], c))
            return 0; /* c->why says which trace */
    double instr = 0, stalls = 0, minor = 0, secs = 0, hz = cfg->cpu.freq_ghz * 1e9;
    if (unpressured_replay(cfg, o, &instr, &stalls, &minor, &secs, err, errlen))
        return -1;
    if (!(instr > 0) || !(minor > 0)) {
        snprintf(c->why, sizeof c->why, "the traces have no instructions or no minor faults to fit");
        return 0;
    }
    c->base_cpi_from = cfg->cpu.base_cpi;
    c->minor_fault_from = cfg->timing.minor_fault;
    double cpi = (c->native_user_s * hz - stalls) / instr;
    if (cpi < 0.05) {
        /* the model's stalls alone exceed the native user time: keep a floor */
        snprintf(c->why, sizeof c->why, "modelled stalls (%.3g cycles) exceed the native user time: base_cpi floored at 0.05",
                 stalls);
        cpi = 0.05;
    }
    cfg->cpu.base_cpi = cpi;
    cfg->timing.minor_fault = (uint64_t)(c->native_sys_s * hz / minor + 0.5);
    c->base_cpi_to = cfg->cpu.base_cpi;
    c->minor_fault_to = cfg->timing.minor_fault;
    /* the unpressured replay's time with the fitted values: its parts scale linearly */
    double old = secs * hz, base_old = c->base_cpi_from * instr, fault_old = (double)c->minor_fault_from * minor;
    c->unpressured_s = (old - base_old - fault_old + cpi * instr + (double)cfg->timing.minor_fault * minor) / hz;
    c->applied = 1;
    return 0;
}

static int run_replay(struct replay_opts *o)
{
    char err[1024];
    struct mmsim_config *cfg = malloc(sizeof *cfg);
    if (!cfg)
        return 1;
    char found[4200];
    if (!o->config && !(o->config = default_config(found, sizeof found)))
        fprintf(stderr, "mmsim replay: no configs/default.ini found: the built-in defaults\n");
    if (config_from_args(cfg, o->config, o->sets, o->nsets, err, sizeof err)) {
        fprintf(stderr, "mmsim replay: %s\n", err);
        free(cfg);
        return 1;
    }
    if (o->dump_config) { /* the file as every verb reads it, before a trace's traits */
        config_print(cfg, stdout);
        free(cfg);
        return 0;
    }
    if (apply_trace_traits(cfg, o, err, sizeof err)) {
        fprintf(stderr, "mmsim replay: %s\n", err);
        free(cfg);
        return 1;
    }
    struct sim_calibration calib;
    if (calibrate_native(cfg, o, &calib, err, sizeof err)) {
        fprintf(stderr, "mmsim replay: %s\n", err);
        free(cfg);
        return 1;
    }
    struct sim *s = sim_new(cfg, err, sizeof err);
    free(cfg);
    if (s)
        sim_set_calibration(s, &calib);
    if (!s) {
        fprintf(stderr, "mmsim replay: %s\n", err);
        return 1;
    }
    int rc = 0;
    FILE *tl = NULL;
    for (int i = 0; i < o->ntraces && !rc; i++)
        if (sim_add_trace(s, o->traces[i], err, sizeof err) < 0) {
            fprintf(stderr, "mmsim replay: %s\n", err);
            rc = 1;
        } else if (sim_trace_incomplete(s, i)) {
            fprintf(stderr, "mmsim replay: warning: %s: incomplete trace, replaying what is readable: %s\n",
                    o->traces[i], sim_trace_incomplete(s, i));
        }
    if (!rc && o->warmup &&
        sim_set_warmup(s, o->warm_accesses, o->warm_fraction, err, sizeof err)) {
        fprintf(stderr, "mmsim replay: %s\n", err);
        rc = 1;
    }
    if (!rc && o->timeline) {
        tl = fopen(o->timeline, "w");
        if (!tl) {
            fprintf(stderr, "mmsim replay: %s: cannot create\n", o->timeline);
            rc = 1;
        }
        sim_set_timeline(s, tl);
    }
    sim_set_progress(s, o->progress);
    if (o->vmstat_ms > 0)
        sim_set_vmstat(s, o->json ? stderr : stdout, (uint64_t)(o->vmstat_ms * 1e6));
    if (!rc && sim_run(s, err, sizeof err)) {
        fprintf(stderr, "mmsim replay: %s\n", err);
        rc = 1;
    }
    if (!rc) {
        if (o->json) {
            struct json j;
            json_init(&j, stdout, 1);
            sim_report_json(s, &j);
            json_end(&j);
        } else {
            sim_report_text(s, stdout);
        }
        if (o->out && write_json_file(s, o->out))
            rc = 1;
        if (o->walk_hist && write_walk_hist(s, o->walk_hist))
            rc = 1;
    }
    if (tl && fclose(tl)) {
        fprintf(stderr, "mmsim replay: %s: write error\n", o->timeline);
        rc = 1;
    }
    sim_free(s);
    return rc;
}

int cmd_replay(int argc, char **argv)
{
    struct replay_opts o = {0};
    o.sets = calloc((size_t)argc + 1, sizeof *o.sets);
    o.traces = calloc((size_t)argc + 1, sizeof *o.traces);
    if (!o.sets || !o.traces) {
        free(o.sets);
        free(o.traces);
        return 1;
    }
    int rc = parse_opts(argc, argv, &o);
    if (rc == 1)
        rc = 0;
    else if (rc == 0)
        rc = run_replay(&o);
    free(o.sets);
    free(o.traces);
    return rc;
}

int cmd_stats_schema(int argc, char **argv)
{
    if (argc != 2 || argv[1][0] == '-') {
        fprintf(stderr, "usage: mmsim stats-schema CONFIG\n"
                        "  the statistics' schema as a Markdown table (docs/replay.md): every statistic\n"
                        "  a machine of CONFIG can report, TLBs, caches and levels as placeholders\n");
        return 2;
    }
    char err[512];
    struct mmsim_config *c = malloc(sizeof *c);
    if (!c) {
        fprintf(stderr, "mmsim stats-schema: out of memory\n");
        return 1;
    }
    config_defaults(c);
    struct sim *s = NULL;
    if (config_load(c, argv[1], err, sizeof err) == 0 && config_validate(c, err, sizeof err) == 0)
        s = sim_new(c, err, sizeof err);
    free(c);
    if (!s) {
        fprintf(stderr, "mmsim stats-schema: %s\n", err);
        return 1;
    }
    sim_stats_schema(s, stdout);
    sim_free(s);
    return fflush(stdout) ? 1 : 0;
}
