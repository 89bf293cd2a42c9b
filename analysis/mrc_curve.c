/* mrc_curve.c - miss-ratio curves from stack distances, SHARDS rescaling, thrashing model
 * (see mrc.h). */
#include "analysis/mrc.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int mrc_init(struct mrc *m, const struct mrc_opts *opts)
{
    memset(m, 0, sizeof *m);
    if (opts->page_shift < 6 || opts->page_shift > 40 || !(opts->sample_rate >= 0))
        return -1;
    m->page_shift = opts->page_shift;
    if (opts->sample_rate > 0 && opts->sample_rate < 1) {
        double t = floor(opts->sample_rate * MRC_SHARDS_MODULUS + 0.5);
        m->threshold = t < 1 ? 1 : (uint32_t)t;
        m->sampled = 1;
    }
    return sd_init(&m->sd);
}

void mrc_free(struct mrc *m) { sd_free(&m->sd); }

void mrc_switch(struct mrc *m, uint32_t pid)
{
    uint32_t i;
    for (i = 0; i < m->npids; i++)
        if (m->pids[i] == pid)
            break;
    if (i == m->npids) {
        if (m->npids < MRC_MAX_PROCS)
            m->pids[m->npids++] = pid;
        else
            i = MRC_MAX_PROCS - 1;
    }
    m->proc_bits = (uint64_t)i << 52;
}

/* SHARDS-adj: the sampled references are short of (or above) the expected count
 * references * rate by chance; the difference is credited to the smallest distance, which
 * amounts to dividing sampled misses by the expected count instead of the sampled one. */
int mrc_curve(const struct mrc *m, struct mrc_curve *c)
{
    const struct stackdist *sd = &m->sd;
    memset(c, 0, sizeof *c);
    if (sd->failed)
        return -1;
    double rate = m->sampled ? (double)m->threshold / MRC_SHARDS_MODULUS : 1.0;
    double expected = m->sampled ? (double)m->references * rate : (double)sd->refs;
    double scale = expected > 0 ? (double)m->references / expected : 0;
    c->page_size = 1ULL << m->page_shift;
    c->accesses = m->accesses;
    c->references = m->references;
    c->rate = rate;
    c->cold = fmin((double)sd->hist[0] * scale, (double)m->references);
    c->distinct = (double)sd->live / rate;
    size_t n = 0;
    for (uint64_t d = 1; d <= sd->max_dist; d++)
        n += sd->hist[d] != 0;
    c->pts = malloc(sizeof *c->pts * (n ? n : 1));
    if (!c->pts)
        return -1;
    uint64_t misses = sd->refs; /* sampled references that miss, shrinking as size grows */
    uint64_t last_pages = 0;
    for (uint64_t d = 1; d <= sd->max_dist; d++) {
        if (!sd->hist[d])
            continue;
        misses -= sd->hist[d];
        uint64_t pages = m->sampled ? (uint64_t)llround((double)d / rate) : d;
        if (pages <= last_pages)
            pages = last_pages + 1;
        last_pages = pages;
        double est = fmin((double)misses * scale, (double)m->references);
        c->pts[c->n++] = (struct mrc_point){pages, est};
    }
    return 0;
}

void mrc_curve_free(struct mrc_curve *c)
{
    free(c->pts);
    c->pts = NULL;
    c->n = 0;
}

double mrc_curve_misses(const struct mrc_curve *c, uint64_t pages)
{
    size_t lo = 0, hi = c->n; /* first point with pts.pages > pages */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (c->pts[mid].pages <= pages)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo == 0 ? (double)c->references : c->pts[lo - 1].misses;
}

struct thrash_point mrc_thrash_at(const struct mrc_curve *c, const struct thrash_model *tm,
                                  uint64_t pages)
{
    struct thrash_point p;
    double misses = mrc_curve_misses(c, pages);
    p.major_faults = fmax(misses - c->cold, 0);
    p.runtime_s = ((double)c->accesses * tm->access_ns + c->cold * tm->minor_fault_ns +
                   p.major_faults * tm->major_fault_ns) * 1e-9;
    return p;
}

long mrc_knee(const double *x, const double *y, size_t n)
{
    long best = -1;
    double best_drop = 0;
    for (size_t i = 1; i < n; i++) {
        if (!(x[i] > x[i - 1]) || !(y[i - 1] > 0) || !(y[i] > 0))
            continue;
        double drop = log(y[i - 1]) - log(y[i]);
        if (drop > best_drop) {
            best_drop = drop;
            best = (long)i;
        }
    }
    return best;
}
