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
    m->last_key = UINT64_MAX;
    if (opts->sample_rate > 0 && opts->sample_rate < 1) {
        double t = floor(opts->sample_rate * MRC_SHARDS_MODULUS + 0.5);
        m->threshold = t < 1 ? 1 : (uint32_t)t;
        m->sampled = 1;
    }
    return sd_init(&m->sd);
}

static int sampled_key(const struct mrc *m, uint64_t key)
{
    return (mrc_sample_hash(key) & (MRC_SHARDS_MODULUS - 1)) < m->threshold;
}

void mrc_sampled_ref(struct mrc *m, uint64_t key)
{
    uint32_t n = m->near_n, i;
    for (i = 1; i < n && m->near[i] != key; i++) /* near[0] is the last key, not this one */
        ;
    if (i < n) { /* exact distance i + 1: the sample only follows the key's recency */
        m->near_hist[i + 1]++;
        if (sampled_key(m, key))
            sd_touch(&m->sd, key);
    } else {
        if (n < MRC_NEAR)
            m->near_n = ++n;
        i = n - 1;
        if (sampled_key(m, key))
            sd_access(&m->sd, key);
    }
    memmove(m->near + 1, m->near, sizeof m->near[0] * i);
    m->near[0] = key;
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

/* Exact: one point per distance seen. */
static int exact_curve(const struct mrc *m, struct mrc_curve *c)
{
    const struct stackdist *sd = &m->sd;
    size_t n = 1;
    for (uint64_t d = 2; d <= sd->max_dist; d++)
        n += sd->hist[d] != 0;
    c->pts = malloc(sizeof *c->pts * n);
    if (!c->pts)
        return -1;
    c->cold = (double)sd->hist[0];
    c->distinct = (double)sd->live;
    uint64_t misses = sd->refs - sd->hist[1]; /* the repeats never reached the stack */
    c->pts[c->n++] = (struct mrc_point){1, (double)misses};
    for (uint64_t d = 2; d <= sd->max_dist; d++) {
        if (!sd->hist[d])
            continue;
        misses -= sd->hist[d];
        c->pts[c->n++] = (struct mrc_point){d, (double)misses};
    }
    return 0;
}

/* Sampled: exact up to MRC_NEAR pages, then SHARDS for the references farther than that.
 * SHARDS-adj: the far references sampled are short of (or above) the expected count
 * far * rate by chance; the difference goes to the smallest distance, which amounts to
 * dividing sampled misses by the expected count instead of the sampled one. */
static int sampled_curve(const struct mrc *m, struct mrc_curve *c, double rate)
{
    const struct stackdist *sd = &m->sd;
    size_t n = MRC_NEAR;
    for (uint64_t d = 0; d <= sd->max_dist; d++)
        n += sd->hist[d] != 0;
    c->pts = malloc(sizeof *c->pts * n);
    if (!c->pts)
        return -1;
    uint64_t misses = m->references - m->repeats; /* exact up to MRC_NEAR pages */
    c->pts[c->n++] = (struct mrc_point){1, (double)misses};
    for (uint32_t d = 2; d <= MRC_NEAR; d++) {
        if (!m->near_hist[d])
            continue;
        misses -= m->near_hist[d];
        c->pts[c->n++] = (struct mrc_point){d, (double)misses};
    }
    double far = (double)misses; /* references beyond MRC_NEAR (cold ones included) */
    double scale = far > 0 ? 1 / rate : 0;
    c->cold = fmin((double)sd->hist[0] * scale, far);
    c->distinct = (double)sd->live / rate;
    uint64_t smiss = sd->refs;
    uint64_t last_pages = MRC_NEAR;
    for (uint64_t d = 1; d <= sd->max_dist; d++) {
        if (!sd->hist[d])
            continue;
        smiss -= sd->hist[d];
        uint64_t pages = (uint64_t)llround((double)d / rate);
        if (pages <= last_pages)
            pages = last_pages + 1;
        last_pages = pages;
        c->pts[c->n++] = (struct mrc_point){pages, fmin((double)smiss * scale, far)};
    }
    return 0;
}

int mrc_curve(const struct mrc *m, struct mrc_curve *c)
{
    memset(c, 0, sizeof *c);
    if (m->sd.failed)
        return -1;
    double rate = m->sampled ? (double)m->threshold / MRC_SHARDS_MODULUS : 1.0;
    c->page_size = 1ULL << m->page_shift;
    c->accesses = m->accesses;
    c->references = m->references;
    c->rate = rate;
    return m->sampled ? sampled_curve(m, c, rate) : exact_curve(m, c);
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
