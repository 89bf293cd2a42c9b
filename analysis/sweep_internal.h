/* sweep_internal.h - what the parts of the sweep share (sweep.c runs jobs and writes rows,
 * sweep_onepass.c computes TLB-size points in one pass). Not a public interface. */
#ifndef MMSIM_SWEEP_INTERNAL_H
#define MMSIM_SWEEP_INTERNAL_H

#include <limits.h>
#include <stdio.h>

#include "analysis/sweep.h"

#define SWEEP_ERR_MAX (PATH_MAX + 512) /* messages quote whole paths */

struct onepass_plan;

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

#endif
