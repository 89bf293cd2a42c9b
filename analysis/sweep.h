/* sweep.h - `mmsim sweep`: replays over a grid of configurations into one CSV row a point.
 *
 * A sweep is a list of jobs (a point of the grid on one trace). Each job has a stable id, a
 * hash of its trace and its key=value settings, so reruns and cluster runs find their
 * results again. Results live in a folder (results.d for results.csv by default) as ID.json, the replay's own
 * JSON report, next to manifest.csv (id, the varied keys, trace); the CSV is built from
 * them row by row as jobs finish, and a row already in the CSV is never run again. The
 * timing is calibrated once per trace for every point (sweep_calibrate.c). */
#ifndef MMSIM_SWEEP_H
#define MMSIM_SWEEP_H

#include <stddef.h>
#include <stdint.h>

#define SWEEP_MAX_KEYS 32

struct sweep_vary {
    const char *key;
    char **vals;
    size_t n;
};

struct sweep_grid {
    struct sweep_vary vary[SWEEP_MAX_KEYS];
    size_t nvary;
    int zip;         /* lists taken in step instead of their cartesian product */
    size_t npoints;
};

/* Parses "key=v1,v2,..." into g->vary (the strings point into a copy owned by the grid).
 * Returns 0, or -1 with err. */
int sweep_grid_add(struct sweep_grid *g, const char *arg, char *err, size_t errlen);
/* Counts the points; -1 with err when --zip lists differ in length or the grid is empty. */
int sweep_grid_finish(struct sweep_grid *g, char *err, size_t errlen);
/* The value of key k at point p. */
const char *sweep_grid_value(const struct sweep_grid *g, size_t p, size_t k);
void sweep_grid_free(struct sweep_grid *g);

/* The id of a job: 16 hex digits of a hash of the trace and the settings. */
void sweep_job_id(const struct sweep_grid *g, size_t point, const char *trace, char id[17]);

#endif
