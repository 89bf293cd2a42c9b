/* calibrate.c - the timing fit of `[timing] calibrate = native` (see calibrate.h) and the
 * `mmsim calibrate` verb that prints it for reuse.
 *
 * A recorded trace carries its native run (native.rusage.utime_s, stime_s, min_flt: the
 * program run once without the recorder). User time is instructions at base_cpi plus the
 * memory stalls the model computes; system time of these runs is mostly minor faults. So:
 * replay the traces once with unlimited memory and the configured values, then
 *     base_cpi'    = (native user time x f - modelled stall cycles) / instructions
 *     minor_fault' = native system time x f / modelled minor faults
 * which makes that unpressured replay take the native user + system time. When the
 * modelled stalls leave less than CALIBRATE_MIN_CPI a instruction (the cache model charges
 * every miss in full, one after the other; an out-of-order core overlaps them: GNU sort on
 * 8 MiB of lines, 545 M cycles of cache stalls against 288 M of native user time), base_cpi
 * stays at that floor and cpu.stall_scale takes the rest:
 *     stall_scale' = stall_scale x (native user time x f - floor x instructions - TLB and
 *                    walk stalls) / cache stalls
 * Traces without a native run (imports, --no-native-run) leave the config as it is. */
#include "model/calibrate.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "model/config.h"
#include "model/host_traits.h"
#include "traces/mmt.h"
#include "verbs.h"

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

/* What the fit needs of the unpressured replay. */
struct unpressured {
    double instr, tlbwalk, cache, minor, seconds; /* tlbwalk, cache: stall cycles */
};

/* One instruction a cycle per issue slot of a 4-wide core (Skylake's peak): the least base
 * CPI the fit gives before it scales the cache stalls instead. */
#define CALIBRATE_MIN_CPI 0.25
/* The least stall_scale the fit gives (the TLB and walk stalls alone exceed the time). */
#define CALIBRATE_MIN_STALL_SCALE 0.01

/* One replay of the traces with unlimited memory: instructions, stall cycles (TLB, walks,
 * caches), minor faults. */
static int unpressured_replay(const struct mmsim_config *cfg, char *const *traces, int ntraces,
                              struct unpressured *u, char *err, size_t errlen)
{
    struct mmsim_config *c = malloc(sizeof *c);
    if (!c) {
        snprintf(err, errlen, "calibration: out of memory");
        return -1;
    }
    *c = *cfg;
    c->memory.unlimited = 1;
    c->memcg.limit = 0;
    struct sim *s = sim_new(c, err, errlen);
    free(c);
    if (!s)
        return -1;
    int rc = 0;
    for (int i = 0; i < ntraces && !rc; i++)
        rc = sim_add_trace(s, traces[i], err, errlen) < 0 ? -1 : 0;
    double tlb = 0, walk = 0, cache = 0, cycles = 0;
    if (!rc)
        rc = sim_run(s, err, errlen);
    if (!rc && (sim_stat(s, "instructions", &u->instr) || sim_stat(s, "cpi_breakdown.tlb", &tlb) ||
                sim_stat(s, "cpi_breakdown.walk", &walk) || sim_stat(s, "cpi_breakdown.cache", &cache) ||
                sim_stat(s, "faults.minor", &u->minor) || sim_stat(s, "cycles", &cycles))) {
        snprintf(err, errlen, "calibration: the replay's counters are missing");
        rc = -1;
    }
    u->tlbwalk = (tlb + walk) * u->instr; /* the breakdown is per instruction */
    u->cache = cache * u->instr;
    u->seconds = cycles / (cfg->cpu.freq_ghz * 1e9);
    sim_free(s);
    return rc;
}

int calibrate_native(struct mmsim_config *cfg, char *const *traces, int ntraces, struct sim_calibration *c,
                     char *err, size_t errlen)
{
    memset(c, 0, sizeof *c);
    for (int i = 0; i < ntraces; i++)
        if (native_run_of(traces[i], c))
            return 0; /* c->why says which trace */
    struct unpressured u = {0};
    double hz = cfg->cpu.freq_ghz * 1e9;
    if (unpressured_replay(cfg, traces, ntraces, &u, err, errlen))
        return -1;
    if (!(u.instr > 0) || !(u.minor > 0)) {
        snprintf(c->why, sizeof c->why, "the traces have no instructions or no minor faults to fit");
        return 0;
    }
    c->base_cpi_from = cfg->cpu.base_cpi;
    c->minor_fault_from = cfg->timing.minor_fault;
    c->stall_scale_from = cfg->cpu.stall_scale;
    double user = c->native_user_s * hz, cache = u.cache;
    double cpi = (user - u.tlbwalk - u.cache) / u.instr;
    double scale = cfg->cpu.stall_scale;
    if (cpi < CALIBRATE_MIN_CPI) {
        cpi = CALIBRATE_MIN_CPI;
        cache = user - cpi * u.instr - u.tlbwalk;
        double f = u.cache > 0 ? cache / u.cache : 0;
        if (scale * f < CALIBRATE_MIN_STALL_SCALE) {
            snprintf(c->why, sizeof c->why,
                     "modelled stalls (%.3g cycles) exceed the native user time: base_cpi %.2f and stall_scale %.2f floored",
                     u.tlbwalk + u.cache, CALIBRATE_MIN_CPI, CALIBRATE_MIN_STALL_SCALE);
            f = u.cache > 0 ? CALIBRATE_MIN_STALL_SCALE / scale : 1;
        }
        scale *= f;
        cache = u.cache * f;
    }
    cfg->cpu.base_cpi = cpi;
    cfg->cpu.stall_scale = scale;
    cfg->timing.minor_fault = (uint64_t)(c->native_sys_s * hz / u.minor + 0.5);
    c->base_cpi_to = cfg->cpu.base_cpi;
    c->stall_scale_to = cfg->cpu.stall_scale;
    c->minor_fault_to = cfg->timing.minor_fault;
    /* the unpressured replay's time with the fitted values: its parts scale linearly */
    double old = u.seconds * hz, base_old = c->base_cpi_from * u.instr, fault_old = (double)c->minor_fault_from * u.minor;
    c->unpressured_s = (old - base_old - fault_old - u.cache + cpi * u.instr + cache +
                        (double)cfg->timing.minor_fault * u.minor) / hz;
    c->applied = 1;
    return 0;
}

int calibrate_from_args(const char *path, char *const *sets, int nsets, char *const *traces, int ntraces,
                        struct sim_calibration *cal, char *err, size_t errlen)
{
    struct mmsim_config *cfg = malloc(sizeof *cfg);
    if (!cfg) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = -1;
    if (!config_from_args(cfg, path, sets, nsets, err, errlen) &&
        !host_traits_apply_traces(cfg, traces, ntraces, err, errlen))
        rc = calibrate_native(cfg, traces, ntraces, cal, err, errlen);
    free(cfg);
    return rc;
}

/* The shortest decimal that reads back as x: a replay given the fitted values times exactly
 * as the fit, and the setting stays readable. */
static void shortest_double(double x, char *v, size_t n)
{
    for (int prec = 6; prec <= 17; prec++) {
        snprintf(v, n, "%.*g", prec, x);
        if (strtod(v, NULL) == x)
            break;
    }
}

void calibrate_settings(const struct sim_calibration *cal, char sets[CALIBRATE_NSETTINGS][CALIBRATE_SETTING_MAX])
{
    char v[40];
    shortest_double(cal->base_cpi_to, v, sizeof v);
    snprintf(sets[0], CALIBRATE_SETTING_MAX, "cpu.base_cpi=%s", v);
    snprintf(sets[1], CALIBRATE_SETTING_MAX, "timing.minor_fault=%llu", (unsigned long long)cal->minor_fault_to);
    shortest_double(cal->stall_scale_to, v, sizeof v);
    snprintf(sets[2], CALIBRATE_SETTING_MAX, "cpu.stall_scale=%s", v);
    snprintf(sets[3], CALIBRATE_SETTING_MAX, "timing.calibrate=off");
}

/* ---- mmsim calibrate ---- */

static void calibrate_usage(FILE *f)
{
    fprintf(f,
            "usage: mmsim calibrate [-c CONFIG] [-s section.key=value]... [--json] TRACE...\n"
            "  Fits cpu.base_cpi and timing.minor_fault (and cpu.stall_scale, when the cache\n"
            "  stalls alone leave less than 0.25 cycles an instruction) so that an unpressured replay of the\n"
            "  traces (together, as mmsim replay runs them) on CONFIG takes their native run's\n"
            "  user + system time, and prints the values and the -s settings that pass them to\n"
            "  mmsim replay (last line). Fit once on the reference machine and replay every\n"
            "  configuration under comparison with the same values: a fit per configuration\n"
            "  absorbs what the configuration changes (TLB and page sizes, caches).\n"
            "  -c CONFIG  the reference machine (default: configs/default.ini)\n"
            "  -s k=v     override a key of CONFIG\n"
            "  --json     print the fit as one JSON object\n"
            "  Exits 1 when nothing could be fitted (a trace without a native run: recorded\n"
            "  with --no-native-run, or imported).\n");
}

struct calibrate_opts {
    const char *config;
    int json;
    char **sets, **traces;
    int nsets, ntraces;
};

static int parse_calibrate_opts(int argc, char **argv, struct calibrate_opts *o)
{
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        int more = i + 1 < argc;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            calibrate_usage(stdout);
            return 1;
        } else if (!strcmp(a, "-c") && more) {
            o->config = argv[++i];
        } else if (!strcmp(a, "-s") && more) {
            o->sets[o->nsets++] = argv[++i];
        } else if (!strcmp(a, "--json")) {
            o->json = 1;
        } else if (a[0] == '-' && a[1]) {
            fprintf(stderr, "mmsim calibrate: unknown option or missing value: '%s'\n", a);
            return 2;
        } else {
            o->traces[o->ntraces++] = argv[i];
        }
    }
    if (!o->ntraces) {
        fprintf(stderr, "mmsim calibrate: no trace given\n");
        calibrate_usage(stderr);
        return 2;
    }
    return 0;
}

static void print_calibration_json(const struct calibrate_opts *o, const struct sim_calibration *c)
{
    struct json j;
    json_init(&j, stdout, 1);
    json_obj_begin(&j, NULL);
    json_str(&j, "config", o->config);
    json_arr_begin(&j, "sets");
    for (int i = 0; i < o->nsets; i++)
        json_str(&j, NULL, o->sets[i]);
    json_arr_end(&j);
    json_arr_begin(&j, "traces");
    for (int i = 0; i < o->ntraces; i++)
        json_str(&j, NULL, o->traces[i]);
    json_arr_end(&j);
    /* the members of a replay report's `calibration` (docs/replay.md) */
    json_bool(&j, "applied", c->applied);
    json_str(&j, "why", c->why[0] ? c->why : NULL);
    json_f64(&j, "native_user_s", c->native_user_s);
    json_f64(&j, "native_sys_s", c->native_sys_s);
    json_f64(&j, "native_wall_s", c->native_wall_s);
    json_u64(&j, "native_minor_faults", c->native_minflt);
    if (c->applied) {
        char sets[CALIBRATE_NSETTINGS][CALIBRATE_SETTING_MAX];
        calibrate_settings(c, sets);
        json_f64(&j, "base_cpi_from", c->base_cpi_from);
        json_f64(&j, "base_cpi", c->base_cpi_to);
        json_u64(&j, "minor_fault_cycles_from", c->minor_fault_from);
        json_u64(&j, "minor_fault_cycles", c->minor_fault_to);
        json_f64(&j, "stall_scale_from", c->stall_scale_from);
        json_f64(&j, "stall_scale", c->stall_scale_to);
        json_f64(&j, "unpressured_s", c->unpressured_s);
        json_arr_begin(&j, "settings"); /* exact: base_cpi above is rounded to 10 digits */
        for (int i = 0; i < CALIBRATE_NSETTINGS; i++)
            json_str(&j, NULL, sets[i]);
        json_arr_end(&j);
    }
    json_obj_end(&j);
    json_end(&j);
}

static void print_calibration_text(const struct calibrate_opts *o, const struct sim_calibration *c)
{
    char sets[CALIBRATE_NSETTINGS][CALIBRATE_SETTING_MAX];
    calibrate_settings(c, sets);
    printf("# mmsim calibrate: %d trace%s on %s", o->ntraces, o->ntraces > 1 ? "s" : "",
           o->config ? o->config : "the built-in defaults");
    for (int i = 0; i < o->nsets; i++)
        printf(" -s %s", o->sets[i]);
    printf("\n");
    for (int i = 0; i < o->ntraces; i++)
        printf("#   %s\n", o->traces[i]);
    printf("# native run: user %.6f s, sys %.6f s, %llu minor faults\n", c->native_user_s, c->native_sys_s,
           (unsigned long long)c->native_minflt);
    printf("# cpu.base_cpi       %.6g -> %.10g cycles/instruction\n", c->base_cpi_from, c->base_cpi_to);
    printf("# timing.minor_fault %llu -> %llu cycles\n", (unsigned long long)c->minor_fault_from,
           (unsigned long long)c->minor_fault_to);
    printf("# cpu.stall_scale    %.6g -> %.10g of the cache stalls\n", c->stall_scale_from, c->stall_scale_to);
    printf("# an unpressured replay with these takes %.6f s (native user + sys %.6f s)\n", c->unpressured_s,
           c->native_user_s + c->native_sys_s);
    if (c->why[0])
        printf("# note: %s\n", c->why);
    printf("# the same timing for any replay: pass\n");
    for (int i = 0; i < CALIBRATE_NSETTINGS; i++)
        printf("%s-s %s", i ? " " : "", sets[i]);
    printf("\n");
}

static int run_calibrate(struct calibrate_opts *o)
{
    char found[4200], err[1024];
    if (!o->config && !(o->config = config_default_path(found, sizeof found)))
        fprintf(stderr, "mmsim calibrate: no configs/default.ini found: the built-in defaults\n");
    struct sim_calibration c;
    if (calibrate_from_args(o->config, o->sets, o->nsets, o->traces, o->ntraces, &c, err, sizeof err)) {
        fprintf(stderr, "mmsim calibrate: %s\n", err);
        return 1;
    }
    if (o->json)
        print_calibration_json(o, &c);
    if (!c.applied) {
        fprintf(stderr, "mmsim calibrate: nothing fitted: %s\n", c.why);
        return 1;
    }
    if (!o->json)
        print_calibration_text(o, &c);
    return 0;
}

int cmd_calibrate(int argc, char **argv)
{
    struct calibrate_opts o = {0};
    o.sets = calloc((size_t)argc + 1, sizeof *o.sets);
    o.traces = calloc((size_t)argc + 1, sizeof *o.traces);
    int rc = 1;
    if (o.sets && o.traces) {
        rc = parse_calibrate_opts(argc, argv, &o);
        if (rc == 1)
            rc = 0;
        else if (rc == 0)
            rc = run_calibrate(&o);
    }
    free(o.sets);
    free(o.traces);
    return rc;
}
