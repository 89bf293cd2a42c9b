/* replay.c - `mmsim replay`: replays traces through the model and reports. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "model/calibrate.h"
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
            "                    [--no-progress] [--calibrate-with REF] TRACE...\n"
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
            "  --calibrate-with REF  fit the timing ([timing] calibrate = native) on the\n"
            "                   config file REF (the reference machine, with the traces'\n"
            "                   traits) instead of CONFIG, and replay CONFIG with the fitted\n"
            "                   cpu.base_cpi and timing.minor_fault (-s still wins): replays\n"
            "                   of different configs compare at the same timing\n"
            "  --warmup N|F     windows (mmsim record --skip/--length/--every): the first N\n"
            "                   accesses of each window, or a fraction F (0 < F < 1) of them,\n"
            "                   warm the TLBs, caches and page tables without being counted;\n"
            "                   reports each window and their total (one trace; a trace\n"
            "                   without windows is one window)\n");
}

struct replay_opts {
    const char *config, *out, *timeline, *walk_hist;
    const char *calibrate_with; /* --calibrate-with: the reference config the timing is fitted on */
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
        } else if (!strcmp(a, "--calibrate-with") && more) {
            o->calibrate_with = argv[++i];
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

/* --calibrate-with REF: the fit on REF given to cfg, but for a key -s set. */
static int calibrate_on_reference(struct mmsim_config *cfg, const struct replay_opts *o,
                                  struct sim_calibration *calib, char *err, size_t errlen)
{
    if (calibrate_from_args(o->calibrate_with, NULL, 0, o->traces, o->ntraces, calib, err, errlen))
        return -1;
    if (!calib->applied)
        return 0; /* the report says why; cfg keeps its values */
    snprintf(calib->on, sizeof calib->on, "%.199s", o->calibrate_with);
    struct cfg_loc loc;
    if (config_key_loc(cfg, "cpu.base_cpi", &loc) || loc.file != CFG_LOC_OVERRIDE)
        cfg->cpu.base_cpi = calib->base_cpi_to;
    if (config_key_loc(cfg, "timing.minor_fault", &loc) || loc.file != CFG_LOC_OVERRIDE)
        cfg->timing.minor_fault = calib->minor_fault_to;
    if (config_key_loc(cfg, "cpu.stall_scale", &loc) || loc.file != CFG_LOC_OVERRIDE)
        cfg->cpu.stall_scale = calib->stall_scale_to;
    return 0;
}

/* The timing fit: on --calibrate-with's reference, else on cfg itself when it asks. */
static int calibrate_timing(struct mmsim_config *cfg, const struct replay_opts *o,
                            struct sim_calibration *calib, char *err, size_t errlen)
{
    memset(calib, 0, sizeof *calib);
    if (o->calibrate_with)
        return calibrate_on_reference(cfg, o, calib, err, errlen);
    /* fitted to this config: right for one machine; comparisons of configs take one fit
     * (--calibrate-with, mmsim calibrate, mmsim sweep) */
    if (strcmp(cfg->timing.calibrate, "native"))
        return 0;
    return calibrate_native(cfg, o->traces, o->ntraces, calib, err, errlen);
}

static int run_replay(struct replay_opts *o)
{
    char err[1024];
    struct mmsim_config *cfg = malloc(sizeof *cfg);
    if (!cfg)
        return 1;
    char found[4200];
    if (!o->config && !(o->config = config_default_path(found, sizeof found)))
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
    if (host_traits_apply_traces(cfg, o->traces, o->ntraces, err, sizeof err)) {
        fprintf(stderr, "mmsim replay: %s\n", err);
        free(cfg);
        return 1;
    }
    struct sim_calibration calib;
    if (calibrate_timing(cfg, o, &calib, err, sizeof err)) {
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
