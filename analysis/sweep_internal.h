/* sweep_internal.h - what the parts of the sweep share (sweep.c runs jobs and writes rows,
 * sweep_onepass.c computes TLB-size points in one pass). Not a public interface. */
#ifndef MMSIM_SWEEP_INTERNAL_H
#define MMSIM_SWEEP_INTERNAL_H

#include <limits.h>
#include <stdio.h>

#include "analysis/jsonflat.h"
#include "analysis/sweep.h"
#include "model/calibrate.h"

#define SWEEP_ERR_MAX (PATH_MAX + 512) /* messages quote whole paths */

struct onepass_plan;
struct json;

/* The timing fitted once for a trace argument of the sweep (sweep_calibrate.c). */
struct sweep_calib {
    char *trace;                 /* the jobs' trace argument ("a.mmt+b.mmt": one fit) */
    struct sim_calibration cal;
    char sets[CALIBRATE_NSETTINGS][CALIBRATE_SETTING_MAX]; /* -s settings of every point (cal.applied) */
};

struct sweep_cli {
    const char *config, *out, *dir, *emit_kind, *emit_file, *collect;
    char **sets;
    size_t nsets;
    char **traces;
    size_t ntraces;
    long jobs;
    int onepass; /* --onepass: TLB-size-only points in one pass where the model allows */
    struct sweep_grid grid;
    int absolute; /* config and traces were replaced by strdup'ed absolute paths */
};

struct job {
    char id[17];
    size_t point;
    const char *trace;
    int done;    /* a row is in the CSV */
    int failed;
    int deferred; /* left to the one-pass computation */
};

/* The sweep in progress: the jobs, the CSV being appended, its columns. */
struct sweep {
    struct sweep_cli *o;
    struct job *jobs;
    size_t njobs;
    char dir[PATH_MAX];
    char self[PATH_MAX];
    FILE *csv;
    char **cols; /* result columns after the keys and trace */
    size_t ncols;
    int have_header;
    struct onepass_plan *plan; /* sweep_onepass.c's groups, or NULL */
    struct sweep_calib *calib; /* a fit per trace argument, when the base config asks for it */
    size_t ncalib;
};


int path_join(char *dst, size_t n, const char *dir, const char *id, const char *suffix);
/* A whole file, NUL-terminated; NULL with errno set. */
char *slurp_file(const char *path, size_t *len);
/* Appends the CSV row of a job whose DIR/ID.json exists. */
int append_row(struct sweep *sw, struct job *jb, char *err, size_t errlen);
/* Runs every job neither done, failed nor deferred, sw->o->jobs at a time. */
int run_pool(struct sweep *sw, size_t todo);

/* One-pass TLB sizes (sweep_onepass.c): marks the points it can compute as deferred and
 * their anchors (smallest and largest TLB of each group) to be replayed; returns how many
 * jobs it deferred. */
size_t onepass_plan(struct sweep *sw);
/* After the anchors ran: checks the one-pass counts against them and writes the deferred
 * points' results, or un-defers them (they are then replayed) when they disagree. */
int onepass_finish(struct sweep *sw);

/* Fits the timing once per trace argument with a job to run, on the base configuration
 * (config file and fixed -s settings), when it says [timing] calibrate = native; keeps the
 * fits in DIR/calibration.csv with those of traces already done. Returns 0, or -1 with err. */
int sweep_calibrate(struct sweep *sw, char *err, size_t errlen);
/* Reads DIR/calibration.csv when there is one (--collect). Returns 0, or -1 with err. */
int sweep_calib_load(struct sweep *sw, const char *dir, char *err, size_t errlen);
/* The fit of a trace argument, or NULL. */
const struct sweep_calib *sweep_calib_find(const struct sweep *sw, const char *trace);
/* The calibration columns of a point's row, after the replay's own results, through fn as
 * jsonflat gives them: the sweep's fit (calibration.*, calibration.per_sweep = 1) when the
 * point replayed with it, calibration.per_sweep = 0 when its replay fitted itself (has_own:
 * its result holds calibration.applied). */
void sweep_calib_columns(const struct sweep_calib *c, int has_own, jsonflat_fn fn, void *ctx);
/* A point's "calibration" member of results.json: the sweep's fit and its -s settings. */
void sweep_calib_json(const struct sweep_calib *c, struct json *j);
void sweep_calib_free(struct sweep *sw);

#endif
