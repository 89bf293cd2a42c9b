/* sweep_onepass.c - `mmsim sweep --onepass`: points that change only the size of the single
 * TLB level of an LRU machine are computed together from one pass over the trace
 * (analysis/tlbprof.h) instead of one replay each.
 *
 * Applicable when the config (with the fixed -s settings) has one TLB level, LRU, 4 KiB
 * pages only and one CPU, and every varied key is that level's `entries` or `ways`. Points
 * are grouped per trace and per set count (fully associative levels together); the
 * smallest and the largest TLB of a group are replayed for real (the anchors) and the
 * one-pass counts must equal theirs, else the group is replayed point by point. The profile
 * mirrors the engine's invalidations (tlbprof.h), so on recorded traces the counts agree
 * exactly and the check is a safety net (memory pressure, pid reuse without PCID). A computed
 * point's result holds the level's lookups, hits, misses and mpki, and every other result
 * that is equal at both anchors (the trace's counts, faults); results that differ between
 * the anchors (cycles, walks) depend on the TLB and are left out rather than guessed. */
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "analysis/jsonflat.h"
#include "analysis/sweep_internal.h"
#include "analysis/tlbprof.h"
#include "model/assoc.h"
#include "model/config.h"

struct op_group {
    const char *trace;
    uint32_t sets;      /* 0: fully associative */
    size_t *jobs;       /* indices into sw->jobs */
    uint32_t *size;     /* entries (fully associative) or ways of each */
    size_t n;
    size_t lo, hi;      /* the anchors: positions in jobs[] */
    /* the pass over the trace runs in a thread while the anchors replay */
    struct tlbprof_opts po;
    struct tlbprof prof;
    pthread_t thread;
    int started, prof_rc;
    char prof_err[SWEEP_ERR_MAX];
};

struct onepass_plan {
    struct mmsim_config cfg;
    char tlb[CFG_NAME_MAX];
    struct op_group *groups;
    size_t ngroups;
};

/* Why the grid cannot be computed in one pass, or NULL when it can. */
static const char *not_applicable(const struct sweep_cli *o, const struct mmsim_config *c)
{
    if (c->ntlb != 1)
        return "the config has more than one TLB level";
    const struct tlb_config *t = &c->tlb[0];
    if (t->policy != ASSOC_LRU)
        return "the TLB is not LRU";
    if (t->page_sizes != 1u << PSIZE_4K || config_page_shift(c) != 12)
        return "the TLB holds pages other than 4 KiB";
    if (c->cpu.count != 1)
        return "more than one CPU";
    char e[80], w[80];
    snprintf(e, sizeof e, "tlb.%s.entries", t->name);
    snprintf(w, sizeof w, "tlb.%s.ways", t->name);
    for (size_t k = 0; k < o->grid.nvary; k++)
        if (strcmp(o->grid.vary[k].key, e) && strcmp(o->grid.vary[k].key, w))
            return "a varied key is not the TLB's entries or ways";
    return NULL;
}

/* The TLB geometry at one point: entries and ways after its settings. */
static int point_geometry(const struct onepass_plan *pl, const struct sweep_cli *o, size_t point,
                          uint32_t *entries, uint32_t *ways)
{
    struct mmsim_config *c = malloc(sizeof *c);
    char err[256], set[512];
    int rc = -1;
    if (!c)
        return -1;
    *c = pl->cfg;
    for (size_t k = 0; k < o->grid.nvary; k++) {
        snprintf(set, sizeof set, "%s=%s", o->grid.vary[k].key, sweep_grid_value(&o->grid, point, k));
        if (config_set(c, set, (int)k, err, sizeof err) < 0)
            goto out;
    }
    if (config_validate(c, err, sizeof err) < 0 || c->tlb[0].nentries != 1 || c->tlb[0].nways > 1)
        goto out;
    *entries = c->tlb[0].entries[0];
    *ways = c->tlb[0].nways ? c->tlb[0].ways[0] : 0;
    if (*ways >= *entries)
        *ways = 0; /* as many ways as entries: fully associative */
    rc = 0;
out:
    free(c);
    return rc;
}

static struct op_group *group_for(struct onepass_plan *pl, const char *trace, uint32_t sets,
                                  size_t cap)
{
    for (size_t g = 0; g < pl->ngroups; g++)
        if (pl->groups[g].trace == trace && pl->groups[g].sets == sets)
            return &pl->groups[g];
    struct op_group *ng = realloc(pl->groups, sizeof *ng * (pl->ngroups + 1));
    if (!ng)
        return NULL;
    pl->groups = ng;
    struct op_group *g = &ng[pl->ngroups];
    memset(g, 0, sizeof *g);
    g->trace = trace;
    g->sets = sets;
    g->jobs = malloc(sizeof *g->jobs * cap);
    g->size = malloc(sizeof *g->size * cap);
    if (!g->jobs || !g->size) {
        free(g->jobs);
        free(g->size);
        return NULL;
    }
    pl->ngroups++;
    return g;
}

static void *profile_thread(void *arg)
{
    struct op_group *g = arg;
    g->prof_rc = tlbprof_run(g->trace, &g->po, &g->prof, g->prof_err, sizeof g->prof_err);
    return NULL;
}

/* Waits for a group's pass; 0 when its profile is ready. */
static int join_profile(struct op_group *g)
{
    if (!g->started)
        return -1;
    pthread_join(g->thread, NULL);
    g->started = 0;
    if (g->prof_rc < 0)
        fprintf(stderr, "mmsim sweep: --onepass: %s\n", g->prof_err);
    return g->prof_rc;
}

static void free_plan(struct onepass_plan *pl)
{
    for (size_t g = 0; g < pl->ngroups; g++) {
        if (pl->groups[g].started)
            join_profile(&pl->groups[g]);
        tlbprof_free(&pl->groups[g].prof);
        free(pl->groups[g].jobs);
        free(pl->groups[g].size);
    }
    free(pl->groups);
    free(pl);
}

size_t onepass_plan(struct sweep *sw)
{
    const struct sweep_cli *o = sw->o;
    struct onepass_plan *pl = calloc(1, sizeof *pl);
    char err[SWEEP_ERR_MAX];
    if (!pl)
        return 0;
    if (config_from_args(&pl->cfg, o->config, o->sets, (int)o->nsets, err, sizeof err) < 0) {
        fprintf(stderr, "mmsim sweep: --onepass: %s\n", err);
        free_plan(pl);
        return 0;
    }
    const char *why = not_applicable(o, &pl->cfg);
    if (why) {
        fprintf(stderr, "mmsim sweep: --onepass does not apply (%s): one replay per point\n", why);
        free_plan(pl);
        return 0;
    }
    snprintf(pl->tlb, sizeof pl->tlb, "%s", pl->cfg.tlb[0].name);
    for (size_t j = 0; j < sw->njobs; j++) {
        struct job *jb = &sw->jobs[j];
        uint32_t entries, ways;
        if (jb->done || strchr(jb->trace, '+') || point_geometry(pl, o, jb->point, &entries, &ways) < 0)
            continue; /* done already, several traces together, or replayed on its own */
        struct op_group *g = group_for(pl, jb->trace, ways ? entries / ways : 0, sw->njobs);
        if (!g)
            break;
        g->jobs[g->n] = j;
        g->size[g->n++] = ways ? ways : entries;
    }
    size_t deferred = 0;
    for (size_t gi = 0; gi < pl->ngroups; gi++) {
        struct op_group *g = &pl->groups[gi];
        if (g->n < 3)
            continue; /* two anchors and nothing between: plain replays */
        for (size_t i = 1; i < g->n; i++) {
            if (g->size[i] < g->size[g->lo])
                g->lo = i;
            if (g->size[i] > g->size[g->hi])
                g->hi = i;
        }
        g->po = (struct tlbprof_opts){pl->cfg.tlb[0].kind != TLB_KIND_DATA,
                                      pl->cfg.tlb[0].kind != TLB_KIND_INSTRUCTION, 12, g->sets, 0,
                                      !pl->cfg.cpu.pcid};
        for (size_t i = 0; i < g->n; i++)
            if (g->size[i] > g->po.max_ways)
                g->po.max_ways = g->size[i];
        if (pthread_create(&g->thread, NULL, profile_thread, g) != 0)
            continue; /* no thread: the group is replayed */
        g->started = 1;
        for (size_t i = 0; i < g->n; i++)
            if (i != g->lo && i != g->hi) {
                sw->jobs[g->jobs[i]].deferred = 1;
                deferred++;
            }
    }
    sw->plan = pl;
    if (deferred)
        fprintf(stderr, "mmsim sweep: --onepass: %zu points from stack distances, %zu groups\n",
                deferred, pl->ngroups);
    return deferred;
}

/* ---- results of computed points ---- */

struct kv {
    char **k, **v;
    size_t n, cap;
};

static void kv_add(void *ctx, const char *path, const char *value, enum jsonflat_type t)
{
    struct kv *kv = ctx;
    if (t != JF_NUMBER && t != JF_BOOL)
        return;
    if (kv->n == kv->cap) {
        size_t nc = kv->cap ? kv->cap * 2 : 128;
        char **nk = realloc(kv->k, sizeof *nk * nc);
        if (!nk)
            return;
        kv->k = nk;
        char **nv = realloc(kv->v, sizeof *nv * nc);
        if (!nv)
            return;
        kv->v = nv;
        kv->cap = nc;
    }
    kv->k[kv->n] = strdup(path);
    kv->v[kv->n] = strdup(value);
    if (kv->k[kv->n] && kv->v[kv->n])
        kv->n++;
}

static void kv_free(struct kv *kv)
{
    for (size_t i = 0; i < kv->n; i++) {
        free(kv->k[i]);
        free(kv->v[i]);
    }
    free(kv->k);
    free(kv->v);
    memset(kv, 0, sizeof *kv);
}

static const char *kv_get(const struct kv *kv, const char *key)
{
    for (size_t i = 0; i < kv->n; i++)
        if (!strcmp(kv->k[i], key))
            return kv->v[i];
    return NULL;
}

static int load_result(const struct sweep *sw, const struct job *jb, struct kv *kv)
{
    char path[PATH_MAX], err[SWEEP_ERR_MAX];
    size_t len;
    if (path_join(path, sizeof path, sw->dir, jb->id, ".json") < 0)
        return -1;
    char *text = slurp_file(path, &len);
    if (!text)
        return -1;
    int rc = jsonflat(text, len, path, kv_add, kv, err, sizeof err);
    free(text);
    return rc;
}

/* Writes dotted (key, raw number) pairs as nested JSON objects. Keys sharing a prefix come
 * together in the flattened order, so one stack of open objects is enough. */
static void write_nested(FILE *f, char **keys, char **vals, size_t n)
{
    char open[16][64];
    int depth = 0, first[17] = {1};
    fputc('{', f);
    for (size_t i = 0; i < n; i++) {
        char comp[16][64];
        int nc = 0;
        const char *s = keys[i];
        while (*s && nc < 16) { /* split on dots */
            const char *dot = strchr(s, '.');
            size_t l = dot ? (size_t)(dot - s) : strlen(s);
            snprintf(comp[nc++], sizeof comp[0], "%.*s", (int)(l < 63 ? l : 63), s);
            s += l + (dot ? 1 : 0);
        }
        int common = 0;
        while (common < depth && common < nc - 1 && !strcmp(open[common], comp[common]))
            common++;
        for (; depth > common; depth--)
            fputc('}', f);
        for (; depth < nc - 1; depth++) {
            fprintf(f, "%s\"%s\":{", first[depth] ? "" : ",", comp[depth]);
            first[depth] = 0;
            snprintf(open[depth], sizeof open[0], "%s", comp[depth]);
            first[depth + 1] = 1;
        }
        fprintf(f, "%s\"%s\":%s", first[depth] ? "" : ",", comp[nc - 1], vals[i]);
        first[depth] = 0;
    }
    for (; depth > 0; depth--)
        fputc('}', f);
    fputs("}\n", f);
}

/* The result of a computed point: the invariant results and the level's own counts. */
static int write_point(struct sweep *sw, const char *tlb, const struct kv *lo, const struct kv *hi,
                       const struct tlbprof *p, struct job *jb, uint32_t size)
{
    char prefix[80], path[PATH_MAX], num[4][40], name[4][96];
    snprintf(prefix, sizeof prefix, "tlb.%s.", tlb);
    size_t pl = strlen(prefix);
    char **k = malloc(sizeof *k * (lo->n + 5)), **v = malloc(sizeof *v * (lo->n + 5));
    if (!k || !v) {
        free(k);
        free(v);
        return -1;
    }
    size_t n = 0;
    uint64_t misses = tlbprof_misses(p, size);
    const char *ins = kv_get(lo, "instructions");
    double instr = ins ? strtod(ins, NULL) : 0;
    int tlb_written = 0;
    snprintf(num[0], sizeof num[0], "%llu", (unsigned long long)p->lookups);
    snprintf(num[1], sizeof num[1], "%llu", (unsigned long long)(p->lookups - misses));
    snprintf(num[2], sizeof num[2], "%llu", (unsigned long long)misses);
    snprintf(num[3], sizeof num[3], "%.10g", instr > 0 ? (double)misses * 1000.0 / instr : 0.0);
    static const char *const fields[4] = {"lookups", "hits", "misses", "mpki"};
    for (size_t i = 0; i < lo->n; i++) {
        if (!strncmp(lo->k[i], prefix, pl)) {
            if (!tlb_written) { /* the level's counts where the level stood in the report */
                for (int f = 0; f < 4; f++) {
                    snprintf(name[f], sizeof name[f], "%s%s", prefix, fields[f]);
                    k[n] = name[f];
                    v[n++] = num[f];
                }
                tlb_written = 1;
            }
            continue;
        }
        const char *h = kv_get(hi, lo->k[i]);
        if (h && !strcmp(h, lo->v[i])) {
            k[n] = lo->k[i];
            v[n++] = lo->v[i];
        }
    }
    k[n] = "onepass";
    v[n++] = "1";
    int rc = -1;
    if (path_join(path, sizeof path, sw->dir, jb->id, ".json") == 0) {
        FILE *f = fopen(path, "w");
        if (f) {
            write_nested(f, k, v, n);
            rc = fclose(f) == 0 ? 0 : -1;
        }
    }
    free(k);
    free(v);
    return rc;
}

/* Profiles one group's trace and, when it agrees with both anchors, writes its points. */
static int finish_group(struct sweep *sw, struct onepass_plan *pl, struct op_group *g)
{
    struct job *lo = &sw->jobs[g->jobs[g->lo]], *hi = &sw->jobs[g->jobs[g->hi]];
    if (join_profile(g) < 0 || !lo->done || !hi->done)
        return 1;
    const struct tlbprof *pp = &g->prof;
    struct kv klo = {0}, khi = {0};
    char err[SWEEP_ERR_MAX], key[96];
    int rc = 1;
    if (load_result(sw, lo, &klo) < 0 || load_result(sw, hi, &khi) < 0)
        goto out;
    for (int a = 0; a < 2; a++) {
        const struct kv *kv = a ? &khi : &klo;
        uint32_t size = g->size[a ? g->hi : g->lo];
        snprintf(key, sizeof key, "tlb.%s.misses", pl->tlb);
        const char *m = kv_get(kv, key);
        snprintf(key, sizeof key, "tlb.%s.lookups", pl->tlb);
        const char *l = kv_get(kv, key);
        uint64_t want = tlbprof_misses(pp, size);
        if (!m || !l || strtoull(m, NULL, 10) != want || strtoull(l, NULL, 10) != pp->lookups) {
            fprintf(stderr, "mmsim sweep: --onepass: %s at %u %s: the replay has %s misses in %s "
                            "lookups, stack distances %llu in %llu; replaying the group\n",
                    g->trace, size, g->sets ? "ways" : "entries", m ? m : "?", l ? l : "?",
                    (unsigned long long)want, (unsigned long long)pp->lookups);
            goto out;
        }
    }
    rc = 0;
    for (size_t i = 0; i < g->n; i++) {
        struct job *jb = &sw->jobs[g->jobs[i]];
        if (!jb->deferred)
            continue;
        if (write_point(sw, pl->tlb, &klo, &khi, pp, jb, g->size[i]) < 0 ||
            append_row(sw, jb, err, sizeof err) < 0) {
            fprintf(stderr, "mmsim sweep: point %s: %s\n", jb->id, errno ? strerror(errno) : err);
            jb->failed = 1;
            rc = -1;
        }
        jb->deferred = 0;
    }
out:
    kv_free(&klo);
    kv_free(&khi);
    return rc;
}

int onepass_finish(struct sweep *sw)
{
    struct onepass_plan *pl = sw->plan;
    int bad = 0;
    if (!pl)
        return 0;
    for (size_t gi = 0; gi < pl->ngroups; gi++) {
        struct op_group *g = &pl->groups[gi];
        if (g->n < 3)
            continue;
        int rc = finish_group(sw, pl, g);
        bad |= rc < 0;
        if (rc != 0) /* not computed: the group's points are replayed one by one */
            for (size_t i = 0; i < g->n; i++)
                sw->jobs[g->jobs[i]].deferred = 0;
    }
    free_plan(pl);
    sw->plan = NULL;
    return bad ? -1 : 0;
}
