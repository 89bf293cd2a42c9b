/* sweep_calibrate.c - the timing of a sweep's points, fitted once per trace.
 *
 * `[timing] calibrate = native` fits cpu.base_cpi and timing.minor_fault so that an
 * unpressured replay takes the native run's time (model/calibrate.h). Fitted by each point
 * on its own configuration, the fit absorbs what the sweep varies: every TLB or page size
 * would take the same time. So the sweep fits once per trace argument ("a.mmt+b.mmt" is one)
 * on its base configuration (the config file and the fixed -s settings, not the varied
 * keys) and gives every point of that trace the fitted values with timing.calibrate=off,
 * before the varied keys so that a varied cpu.base_cpi still wins.
 *
 * The fits are kept in DIR/calibration.csv, so a resumed sweep and --collect of emitted jobs
 * report them; each point's CSV row and results.json entry say that the timing was fitted
 * once for the sweep (calibration.per_sweep) and with which values. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "analysis/csv.h"
#include "analysis/sweep_internal.h"
#include "common/util.h"
#include "model/calibrate.h"
#include "model/config.h"

#define CALIB_FILE "calibration"

const struct sweep_calib *sweep_calib_find(const struct sweep *sw, const char *trace)
{
    for (size_t i = 0; i < sw->ncalib; i++)
        if (!strcmp(sw->calib[i].trace, trace))
            return &sw->calib[i];
    return NULL;
}

/* The entry of trace, added empty when there is none; NULL when out of memory. */
static struct sweep_calib *calib_slot(struct sweep *sw, const char *trace)
{
    struct sweep_calib *c = (struct sweep_calib *)sweep_calib_find(sw, trace);
    if (c)
        return c;
    struct sweep_calib *n = realloc(sw->calib, sizeof *n * (sw->ncalib + 1));
    if (!n)
        return NULL;
    sw->calib = n;
    c = &n[sw->ncalib];
    memset(c, 0, sizeof *c);
    if (!(c->trace = strdup(trace)))
        return NULL;
    sw->ncalib++;
    return c;
}

void sweep_calib_free(struct sweep *sw)
{
    for (size_t i = 0; i < sw->ncalib; i++)
        free(sw->calib[i].trace);
    free(sw->calib);
    sw->calib = NULL;
    sw->ncalib = 0;
}

/* ---- DIR/calibration.csv ---- */

static const char *const calib_cols[] = {"trace", "applied", "native_user_s", "native_sys_s", "native_wall_s",
                                         "native_minor_faults", "base_cpi_from", "base_cpi",
                                         "minor_fault_cycles_from", "minor_fault_cycles", "unpressured_s", "why",
                                         "stall_scale_from", "stall_scale"};
/* the columns every file has (the stall scale's came later: a file without them has 1) */
#define NCALIB_REQUIRED 12
#define NCALIB_COLS (sizeof calib_cols / sizeof calib_cols[0])

static int write_calib_file(const struct sweep *sw, char *err, size_t errlen)
{
    char path[PATH_MAX];
    if (path_join(path, sizeof path, sw->dir, CALIB_FILE, ".csv") < 0) {
        snprintf(err, errlen, "%s: path too long", sw->dir);
        return -1;
    }
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    for (size_t k = 0; k < NCALIB_COLS; k++)
        fprintf(f, "%s%s", k ? "," : "", calib_cols[k]);
    fputc('\n', f);
    for (size_t i = 0; i < sw->ncalib; i++) {
        const struct sim_calibration *c = &sw->calib[i].cal;
        csv_put(f, sw->calib[i].trace);
        /* %.17g: read back, the values give the points' settings exactly */
        fprintf(f, ",%d,%.17g,%.17g,%.17g,%llu,%.17g,%.17g,%llu,%llu,%.17g,", c->applied, c->native_user_s,
                c->native_sys_s, c->native_wall_s, (unsigned long long)c->native_minflt, c->base_cpi_from,
                c->base_cpi_to, (unsigned long long)c->minor_fault_from, (unsigned long long)c->minor_fault_to,
                c->unpressured_s);
        csv_put(f, c->why);
        fprintf(f, ",%.17g,%.17g\n", c->stall_scale_from, c->stall_scale_to);
    }
    if (fclose(f) != 0) {
        snprintf(err, errlen, "%s: write error", path);
        return -1;
    }
    return 0;
}

/* One row of calibration.csv into c; -1 with err naming the file and line. */
static int read_calib_row(const struct csv *t, size_t r, struct sim_calibration *c, char *err, size_t errlen)
{
    double v[NCALIB_REQUIRED - 2];
    for (size_t k = 1; k + 1 < NCALIB_REQUIRED; k++) {
        int col = csv_col(t, calib_cols[k]);
        if (col < 0) {
            snprintf(err, errlen, "%s: no column '%s'", t->path, calib_cols[k]);
            return -1;
        }
        if (csv_num(t, r, (size_t)col, &v[k - 1], err, errlen) < 0)
            return -1;
    }
    memset(c, 0, sizeof *c);
    c->applied = v[0] != 0;
    c->native_user_s = v[1];
    c->native_sys_s = v[2];
    c->native_wall_s = v[3];
    c->native_minflt = (uint64_t)v[4];
    c->base_cpi_from = v[5];
    c->base_cpi_to = v[6];
    c->minor_fault_from = (uint64_t)v[7];
    c->minor_fault_to = (uint64_t)v[8];
    c->unpressured_s = v[9];
    double *scale[2] = {&c->stall_scale_from, &c->stall_scale_to};
    for (size_t k = NCALIB_REQUIRED; k < NCALIB_COLS; k++) {
        int col = csv_col(t, calib_cols[k]);
        *scale[k - NCALIB_REQUIRED] = 1.0;
        if (col >= 0 && csv_num(t, r, (size_t)col, scale[k - NCALIB_REQUIRED], err, errlen) < 0)
            return -1;
    }
    int why = csv_col(t, "why");
    if (why >= 0)
        snprintf(c->why, sizeof c->why, "%s", csv_get(t, r, (size_t)why));
    return 0;
}

int sweep_calib_load(struct sweep *sw, const char *dir, char *err, size_t errlen)
{
    char path[PATH_MAX];
    if (path_join(path, sizeof path, dir, CALIB_FILE, ".csv") < 0) {
        snprintf(err, errlen, "%s: path too long", dir);
        return -1;
    }
    FILE *probe = fopen(path, "r");
    if (!probe)
        return 0; /* a sweep without calibration (timing.calibrate = off), or before it */
    fclose(probe);
    struct csv t;
    if (csv_read(path, &t, err, errlen) < 0)
        return -1;
    int rc = 0, tcol = csv_col(&t, "trace");
    if (tcol < 0) {
        snprintf(err, errlen, "%s: no column 'trace'", path);
        rc = -1;
    }
    for (size_t r = 0; !rc && r < t.nrows; r++) {
        struct sweep_calib *c = calib_slot(sw, csv_get(&t, r, (size_t)tcol));
        if (!c) {
            snprintf(err, errlen, "out of memory");
            rc = -1;
        } else if (!(rc = read_calib_row(&t, r, &c->cal, err, errlen)) && c->cal.applied)
            calibrate_settings(&c->cal, c->sets);
    }
    csv_free(&t);
    return rc;
}

/* ---- the fits ---- */

/* The settings the fit reads CONFIG with: the fixed -s settings, or when they alone do not
 * make a valid configuration (a sweep may fix tlb.dtlb.page_sizes=4K and vary the entries
 * that go with it) those and the first point's values. */
struct fit_args {
    char **sets;
    size_t nsets;
    char first[SWEEP_MAX_KEYS][SWEEP_ERR_MAX / 4];
};

/* 1 when the configuration of args asks for the fit ([timing] calibrate = native), 0 when
 * not, -1 with err when it does not read. */
static int config_wants_fit(const struct sweep_cli *o, const struct fit_args *a, char *err, size_t errlen)
{
    struct mmsim_config *c = malloc(sizeof *c);
    if (!c) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int rc = config_from_args(c, o->config, a->sets, (int)a->nsets, err, errlen) ? -1
             : !strcmp(c->timing.calibrate, "native");
    free(c);
    return rc;
}

/* Fills a with the base settings, or the base and the first point's when the base alone is
 * not valid; returns config_wants_fit's answer for them. */
static int choose_fit_args(const struct sweep_cli *o, struct fit_args *a, char *err, size_t errlen)
{
    a->sets = calloc(o->nsets + o->grid.nvary + 1, sizeof *a->sets);
    if (!a->sets) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    memcpy(a->sets, o->sets, o->nsets * sizeof *a->sets);
    a->nsets = o->nsets;
    char base_err[SWEEP_ERR_MAX];
    int want = config_wants_fit(o, a, base_err, sizeof base_err);
    if (want >= 0 || !o->grid.nvary) {
        if (want < 0)
            snprintf(err, errlen, "%s", base_err);
        return want;
    }
    for (size_t k = 0; k < o->grid.nvary; k++) {
        snprintf(a->first[k], sizeof a->first[k], "%s=%s", o->grid.vary[k].key, sweep_grid_value(&o->grid, 0, k));
        a->sets[a->nsets++] = a->first[k];
    }
    want = config_wants_fit(o, a, err, errlen);
    if (want > 0) {
        fprintf(stderr, "mmsim sweep: the base configuration without the varied keys is not valid (%s): "
                        "the timing is calibrated on the first point's configuration",
                base_err);
        for (size_t k = 0; k < o->grid.nvary; k++)
            fprintf(stderr, " %s", a->first[k]);
        fputc('\n', stderr);
    }
    return want;
}

struct fit_task {
    const struct sweep_cli *o;
    const struct fit_args *args;
    const char *trace; /* a job's trace argument: "a.mmt+b.mmt" replays the parts together */
    struct sim_calibration cal;
    int rc;
    char err[SWEEP_ERR_MAX];
};

static void *fit_thread(void *arg)
{
    struct fit_task *t = arg;
    char *copy = strdup(t->trace), *save = NULL;
    char **parts = calloc(strlen(t->trace) / 2 + 2, sizeof *parts);
    int n = 0;
    t->rc = -1;
    if (!copy || !parts)
        snprintf(t->err, sizeof t->err, "out of memory");
    else {
        for (char *p = strtok_r(copy, "+", &save); p; p = strtok_r(NULL, "+", &save))
            parts[n++] = p;
        t->rc = calibrate_from_args(t->o->config, t->args->sets, (int)t->args->nsets, parts, n, &t->cal, t->err,
                                    sizeof t->err);
    }
    free(parts);
    free(copy);
    return NULL;
}

/* Fits the tasks, up to -j at a time (the model has no global state: a fit a thread). */
static void run_fits(struct fit_task *tasks, size_t n, size_t width)
{
    pthread_t *th = calloc(width ? width : 1, sizeof *th);
    int *started = calloc(width ? width : 1, sizeof *started);
    if (!th || !started)
        width = 1; /* no room for threads: one fit after the other, here */
    for (size_t base = 0; base < n; base += width) {
        for (size_t i = 0; th && started && i < width && base + i < n; i++)
            started[i] = pthread_create(&th[i], NULL, fit_thread, &tasks[base + i]) == 0;
        for (size_t i = 0; i < width && base + i < n; i++) {
            if (th && started && started[i])
                pthread_join(th[i], NULL);
            else
                fit_thread(&tasks[base + i]); /* no thread: fit here */
        }
    }
    free(th);
    free(started);
}

/* The trace arguments with a job still to run, as fit tasks; *n of them. */
static struct fit_task *tasks_to_fit(const struct sweep *sw, const struct fit_args *a, size_t *n)
{
    const struct sweep_cli *o = sw->o;
    struct fit_task *tasks = calloc(o->ntraces ? o->ntraces : 1, sizeof *tasks);
    *n = 0;
    for (size_t t = 0; tasks && t < o->ntraces; t++) {
        int pending = 0;
        for (size_t j = 0; j < sw->njobs; j++)
            pending |= sw->jobs[j].trace == o->traces[t] && !sw->jobs[j].done;
        if (pending)
            tasks[(*n)++] = (struct fit_task){.o = o, .args = a, .trace = o->traces[t]};
    }
    return tasks;
}

static void say_fit(const struct sweep_calib *c)
{
    if (!c->cal.applied)
        fprintf(stderr, "mmsim sweep: %s: timing not calibrated: %s\n", c->trace, c->cal.why);
    else
        fprintf(stderr, "mmsim sweep: %s: timing calibrated once for every point: -s %s -s %s\n", c->trace,
                c->sets[0], c->sets[1]);
}

/* Stores the fits of the tasks in sw and says each on stderr. */
static int keep_fits(struct sweep *sw, const struct fit_task *tasks, size_t n, char *err, size_t errlen)
{
    for (size_t i = 0; i < n; i++) {
        struct sweep_calib *c = calib_slot(sw, tasks[i].trace);
        if (tasks[i].rc) {
            snprintf(err, errlen, "calibrating the timing on %s: %s", tasks[i].trace, tasks[i].err);
            return -1;
        }
        if (!c) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        c->cal = tasks[i].cal;
        if (c->cal.applied)
            calibrate_settings(&c->cal, c->sets);
        say_fit(c);
    }
    return 0;
}

int sweep_calibrate(struct sweep *sw, char *err, size_t errlen)
{
    char path[PATH_MAX];
    struct fit_args *a = calloc(1, sizeof *a);
    if (!a) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    int want = choose_fit_args(sw->o, a, err, errlen), rc = want < 0 ? -1 : 0;
    if (want == 0 && path_join(path, sizeof path, sw->dir, CALIB_FILE, ".csv") == 0)
        unlink(path); /* a calibration left by an earlier run would not be the points' */
    /* traces with nothing to run keep the fit they were run with */
    if (want > 0 && sweep_calib_load(sw, sw->dir, err, errlen) < 0)
        rc = -1;
    size_t n = 0;
    struct fit_task *tasks = want > 0 && !rc ? tasks_to_fit(sw, a, &n) : NULL;
    if (want > 0 && !rc && !tasks) {
        snprintf(err, errlen, "out of memory");
        rc = -1;
    }
    if (tasks) {
        run_fits(tasks, n, (size_t)sw->o->jobs);
        rc = keep_fits(sw, tasks, n, err, errlen);
        if (!rc)
            rc = write_calib_file(sw, err, errlen);
    }
    free(tasks);
    free(a->sets);
    free(a);
    return rc;
}

/* ---- reporting it with each point ---- */

static void put_f64(jsonflat_fn fn, void *ctx, const char *key, double v)
{
    char b[40];
    snprintf(b, sizeof b, "%.10g", v); /* as the replay's JSON writes numbers */
    fn(ctx, key, b, JF_NUMBER);
}

void sweep_calib_columns(const struct sweep_calib *c, int has_own, jsonflat_fn fn, void *ctx)
{
    if (has_own) { /* the point fitted itself (a varied timing.calibrate, or no fit here) */
        fn(ctx, "calibration.per_sweep", "0", JF_BOOL);
        return;
    }
    if (!c || !c->cal.applied)
        return;
    const struct sim_calibration *k = &c->cal;
    fn(ctx, "calibration.applied", "1", JF_BOOL);
    put_f64(fn, ctx, "calibration.native_user_s", k->native_user_s);
    put_f64(fn, ctx, "calibration.native_sys_s", k->native_sys_s);
    put_f64(fn, ctx, "calibration.native_wall_s", k->native_wall_s);
    put_f64(fn, ctx, "calibration.native_minor_faults", (double)k->native_minflt);
    put_f64(fn, ctx, "calibration.base_cpi_from", k->base_cpi_from);
    put_f64(fn, ctx, "calibration.base_cpi", k->base_cpi_to);
    put_f64(fn, ctx, "calibration.minor_fault_cycles_from", (double)k->minor_fault_from);
    put_f64(fn, ctx, "calibration.minor_fault_cycles", (double)k->minor_fault_to);
    put_f64(fn, ctx, "calibration.stall_scale_from", k->stall_scale_from);
    put_f64(fn, ctx, "calibration.stall_scale", k->stall_scale_to);
    put_f64(fn, ctx, "calibration.unpressured_s", k->unpressured_s);
    fn(ctx, "calibration.per_sweep", "1", JF_BOOL);
}

void sweep_calib_json(const struct sweep_calib *c, struct json *j)
{
    if (!c || !c->cal.applied)
        return;
    const struct sim_calibration *k = &c->cal;
    json_obj_begin(j, "calibration");
    json_bool(j, "per_sweep", 1);
    json_f64(j, "native_user_s", k->native_user_s);
    json_f64(j, "native_sys_s", k->native_sys_s);
    json_f64(j, "native_wall_s", k->native_wall_s);
    json_u64(j, "native_minor_faults", k->native_minflt);
    json_f64(j, "base_cpi_from", k->base_cpi_from);
    json_f64(j, "base_cpi", k->base_cpi_to);
    json_u64(j, "minor_fault_cycles_from", k->minor_fault_from);
    json_u64(j, "minor_fault_cycles", k->minor_fault_to);
    json_f64(j, "stall_scale_from", k->stall_scale_from);
    json_f64(j, "stall_scale", k->stall_scale_to);
    json_f64(j, "unpressured_s", k->unpressured_s);
    json_arr_begin(j, "settings");
    for (int i = 0; i < CALIBRATE_NSETTINGS; i++)
        json_str(j, NULL, c->sets[i]);
    json_arr_end(j);
    json_obj_end(j);
}
