/* sweep.c - `mmsim sweep`: a grid of replays into one CSV (see sweep.h). Jobs run as local
 * processes of this same binary (`mmsim replay --json`), or are written out as a GNU
 * parallel job list or a Slurm array script and merged afterwards with --collect. */
#include "analysis/sweep.h"

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "analysis/csv.h"
#include "analysis/jsonflat.h"
#include "analysis/sweep_internal.h"
#include "common/util.h"
#include "model/config.h"
#include "verbs.h"

/* ---- the grid ---- */

int sweep_grid_add(struct sweep_grid *g, const char *arg, char *err, size_t errlen)
{
    const char *eq = strchr(arg, '=');
    if (!eq || eq == arg || !eq[1]) {
        snprintf(err, errlen, "--vary '%s': want key=v1,v2,...", arg);
        return -1;
    }
    if (g->nvary == SWEEP_MAX_KEYS) {
        snprintf(err, errlen, "--vary: more than %d keys", SWEEP_MAX_KEYS);
        return -1;
    }
    struct sweep_vary *v = &g->vary[g->nvary];
    char *copy = strdup(arg);
    if (!copy) {
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    copy[eq - arg] = 0;
    for (size_t i = 0; i < g->nvary; i++)
        if (!strcmp(g->vary[i].key, copy)) {
            snprintf(err, errlen, "--vary: key '%s' given twice", copy);
            free(copy);
            return -1;
        }
    size_t n = 1;
    for (const char *s = eq + 1; *s; s++)
        n += *s == ',';
    v->vals = calloc(n, sizeof *v->vals);
    if (!v->vals) {
        free(copy);
        snprintf(err, errlen, "out of memory");
        return -1;
    }
    v->key = copy;
    v->n = 0;
    char *save = NULL;
    for (char *tok = strtok_r(copy + (eq - arg) + 1, ",", &save); tok; tok = strtok_r(NULL, ",", &save))
        v->vals[v->n++] = tok;
    g->nvary++;
    if (!v->n) {
        snprintf(err, errlen, "--vary '%s': no values", arg);
        return -1;
    }
    return 0;
}

int sweep_grid_finish(struct sweep_grid *g, char *err, size_t errlen)
{
    if (!g->nvary) {
        g->npoints = 1; /* no --vary: one point, the config as it is */
        return 0;
    }
    if (g->zip) {
        for (size_t i = 1; i < g->nvary; i++)
            if (g->vary[i].n != g->vary[0].n) {
                snprintf(err, errlen, "--zip: '%s' has %zu values but '%s' has %zu", g->vary[i].key,
                         g->vary[i].n, g->vary[0].key, g->vary[0].n);
                return -1;
            }
        g->npoints = g->vary[0].n;
        return 0;
    }
    g->npoints = 1;
    for (size_t i = 0; i < g->nvary; i++) {
        if (g->npoints > (size_t)1 << 24) {
            snprintf(err, errlen, "--vary: more than 16M points");
            return -1;
        }
        g->npoints *= g->vary[i].n;
    }
    return 0;
}

const char *sweep_grid_value(const struct sweep_grid *g, size_t p, size_t k)
{
    if (g->zip)
        return g->vary[k].vals[p];
    for (size_t i = g->nvary; i-- > k + 1;) /* the last key varies fastest */
        p /= g->vary[i].n;
    return g->vary[k].vals[p % g->vary[k].n];
}

void sweep_grid_free(struct sweep_grid *g)
{
    for (size_t i = 0; i < g->nvary; i++) {
        free((char *)g->vary[i].key);
        free(g->vary[i].vals);
    }
    memset(g, 0, sizeof *g);
}

static uint64_t fnv1a(uint64_t h, const char *s)
{
    for (; *s; s++)
        h = (h ^ (unsigned char)*s) * 0x100000001b3ULL;
    return (h ^ 0xff) * 0x100000001b3ULL; /* a separator so "ab","c" differs from "a","bc" */
}

void sweep_job_id(const struct sweep_grid *g, size_t point, const char *trace, char id[17])
{
    uint64_t h = fnv1a(0xcbf29ce484222325ULL, trace);
    for (size_t k = 0; k < g->nvary; k++) {
        h = fnv1a(h, g->vary[k].key);
        h = fnv1a(h, sweep_grid_value(g, point, k));
    }
    snprintf(id, 17, "%016llx", (unsigned long long)h);
}

/* ---- options ---- */

static void sweep_usage(FILE *f)
{
    fprintf(f,
            "usage: mmsim sweep -c CONFIG --vary key=v1,v2,... [--vary ...] [--zip] [-s key=v]\n"
            "                   [-j N] TRACE... -o results.csv [--dir DIR] [--onepass]\n"
            "       mmsim sweep ... --emit parallel|slurm FILE [--dir DIR]\n"
            "       mmsim sweep --collect DIR -o results.csv\n"
            "Replays every point of the grid (cartesian product, or with --zip the lists in\n"
            "step) on every trace; one CSV row a point: the varied keys, trace, then the\n"
            "replay's results by JSON path (cycles, tlb.l1d.misses, faults.major, ...). Each\n"
            "replay's JSON is kept in DIR (default results.d for results.csv) and all of them are gathered into\n"
            "results.json beside the CSV. Points already in the CSV are not run again.\n"
            "With [timing] calibrate = native the timing is fitted once per trace on the base\n"
            "config (CONFIG and the fixed -s, not the varied keys; as mmsim calibrate) and\n"
            "every point replays with those values (DIR/calibration.csv, calibration.* columns).\n"
            "  -j N              local processes (default: all cores)\n"
            "  --onepass         points that change only the size of a single LRU TLB level are\n"
            "                    computed from one pass of stack distances, checked against\n"
            "                    replays of the smallest and largest; their rows carry the TLB's\n"
            "                    lookups/hits/misses/mpki and the columns equal at both ends\n"
            "  --emit parallel F a GNU parallel job list (parallel --sshloginfile H < F)\n"
            "  --emit slurm F    a Slurm array script (sbatch F)\n"
            "  --collect DIR     merge the results of emitted jobs into -o\n");
}

/* --dump-config (after -c and -s): the configuration every point starts from, read as
 * replay and mrc read it (tests/e2e/config_verbs.sh compares them). */
static int dump_config(const struct sweep_cli *o)
{
    struct mmsim_config *c = malloc(sizeof *c);
    char err[SWEEP_ERR_MAX];
    if (!c || config_from_args(c, o->config, o->sets, (int)o->nsets, err, sizeof err)) {
        fprintf(stderr, "mmsim sweep: %s\n", c ? err : "out of memory");
        free(c);
        return -1;
    }
    config_print(c, stdout);
    free(c);
    return 1;
}

static int parse_sweep_cli(int argc, char **argv, struct sweep_cli *o)
{
    static const struct option longs[] = {
        {"config", required_argument, 0, 'c'}, {"vary", required_argument, 0, 'v'},
        {"zip", no_argument, 0, 'z'}, {"set", required_argument, 0, 's'},
        {"jobs", required_argument, 0, 'j'}, {"output", required_argument, 0, 'o'},
        {"dir", required_argument, 0, 'd'}, {"emit", required_argument, 0, 'e'},
        {"collect", required_argument, 0, 'C'}, {"onepass", no_argument, 0, 'N'},
        {"dump-config", no_argument, 0, 'D'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    char err[SWEEP_ERR_MAX];
    o->jobs = sysconf(_SC_NPROCESSORS_ONLN);
    o->sets = calloc((size_t)argc, sizeof *o->sets);
    if (!o->sets)
        return -1;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "c:s:j:o:h", longs, NULL)) != -1) {
        switch (c) {
        case 'c': o->config = optarg; break;
        case 'v':
            if (sweep_grid_add(&o->grid, optarg, err, sizeof err) < 0) {
                fprintf(stderr, "mmsim sweep: %s\n", err);
                return -1;
            }
            break;
        case 'z': o->grid.zip = 1; break;
        case 's':
            if (!strchr(optarg, '=')) {
                fprintf(stderr, "mmsim sweep: -s '%s': want key=value\n", optarg);
                return -1;
            }
            o->sets[o->nsets++] = optarg;
            break;
        case 'j':
            o->jobs = atol(optarg);
            if (o->jobs < 1 || o->jobs > 1024) {
                fprintf(stderr, "mmsim sweep: -j wants 1..1024\n");
                return -1;
            }
            break;
        case 'o': o->out = optarg; break;
        case 'd': o->dir = optarg; break;
        case 'e':
            if (strcmp(optarg, "parallel") && strcmp(optarg, "slurm")) {
                fprintf(stderr, "mmsim sweep: --emit parallel FILE or --emit slurm FILE\n");
                return -1;
            }
            if (optind >= argc) {
                fprintf(stderr, "mmsim sweep: --emit %s needs a FILE\n", optarg);
                return -1;
            }
            o->emit_kind = optarg;
            o->emit_file = argv[optind++];
            break;
        case 'C': o->collect = optarg; break;
        case 'N': o->onepass = 1; break;
        case 'D': return dump_config(o);
        case 'h': sweep_usage(stdout); return 1;
        default: sweep_usage(stderr); return -1;
        }
    }
    o->traces = argv + optind;
    o->ntraces = (size_t)(argc - optind);
    if (o->collect) {
        if (!o->out) {
            fprintf(stderr, "mmsim sweep: --collect DIR needs -o results.csv\n");
            return -1;
        }
        return 0;
    }
    if (!o->config || !o->ntraces || (!o->out && !o->emit_kind)) {
        sweep_usage(stderr);
        return -1;
    }
    if (sweep_grid_finish(&o->grid, err, sizeof err) < 0) {
        fprintf(stderr, "mmsim sweep: %s\n", err);
        return -1;
    }
    return 0;
}

/* ---- paths and files ---- */

int path_join(char *dst, size_t n, const char *dir, const char *id, const char *suffix)
{
    size_t a = strlen(dir), b = strlen(id), c = strlen(suffix);
    if (a + b + c + 2 > n)
        return -1;
    memcpy(dst, dir, a);
    dst[a] = '/';
    memcpy(dst + a + 1, id, b);
    memcpy(dst + a + 1 + b, suffix, c + 1);
    return 0;
}

char *slurp_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    size_t cap = 1 << 14, n = 0;
    char *b = malloc(cap + 1);
    while (b) {
        n += fread(b + n, 1, cap - n, f);
        if (n < cap)
            break;
        char *nb = realloc(b, cap * 2 + 1);
        if (!nb) {
            free(b);
            b = NULL;
            break;
        }
        b = nb;
        cap *= 2;
    }
    fclose(f);
    if (b) {
        b[n] = 0;
        *len = n;
    }
    return b;
}

/* ---- rows ---- */

struct flat {
    char **keys, **vals;
    size_t n, cap;
    int oom;
};

static void flat_add(void *ctx, const char *path, const char *value, enum jsonflat_type t)
{
    struct flat *f = ctx;
    if (t != JF_NUMBER && t != JF_BOOL)
        return; /* rows carry numbers; strings stay in results.json */
    if (f->n == f->cap) {
        size_t nc = f->cap ? f->cap * 2 : 128;
        char **nk = realloc(f->keys, sizeof *nk * nc), **nv;
        if (!nk) {
            f->oom = 1;
            return;
        }
        f->keys = nk;
        nv = realloc(f->vals, sizeof *nv * nc);
        if (!nv) {
            f->oom = 1;
            return;
        }
        f->vals = nv;
        f->cap = nc;
    }
    f->keys[f->n] = strdup(path);
    f->vals[f->n] = strdup(value);
    if (!f->keys[f->n] || !f->vals[f->n])
        f->oom = 1;
    f->n++;
}

static void flat_free(struct flat *f)
{
    for (size_t i = 0; i < f->n; i++) {
        free(f->keys[i]);
        free(f->vals[i]);
    }
    free(f->keys);
    free(f->vals);
    memset(f, 0, sizeof *f);
}

static const char *flat_get(const struct flat *f, const char *key)
{
    for (size_t i = 0; i < f->n; i++)
        if (f->keys[i] && !strcmp(f->keys[i], key))
            return f->vals[i];
    return "";
}

/* The CSV header: keys, trace, then the result columns of the first result. */
static int write_header(struct sweep *sw, const struct flat *f)
{
    const struct sweep_grid *g = &sw->o->grid;
    sw->cols = calloc(f->n ? f->n : 1, sizeof *sw->cols);
    if (!sw->cols)
        return -1;
    for (size_t k = 0; k < g->nvary; k++) {
        csv_put(sw->csv, g->vary[k].key);
        fputc(',', sw->csv);
    }
    fputs("trace", sw->csv);
    for (size_t i = 0; i < f->n; i++) {
        int is_key = 0;
        for (size_t k = 0; k < g->nvary; k++)
            is_key |= !strcmp(g->vary[k].key, f->keys[i]);
        if (is_key || !strcmp(f->keys[i], "trace"))
            continue;
        sw->cols[sw->ncols] = strdup(f->keys[i]);
        if (!sw->cols[sw->ncols])
            return -1;
        fputc(',', sw->csv);
        csv_put(sw->csv, sw->cols[sw->ncols++]);
    }
    fputc('\n', sw->csv);
    sw->have_header = 1;
    return 0;
}

/* Appends the row of a finished job from its ID.json, flushed so an interrupted sweep
 * keeps it. Returns 0, or -1 with err. */
int append_row(struct sweep *sw, struct job *jb, char *err, size_t errlen)
{
    char path[PATH_MAX];
    if (path_join(path, sizeof path, sw->dir, jb->id, ".json") < 0) {
        snprintf(err, errlen, "%s: path too long", sw->dir);
        return -1;
    }
    size_t len;
    char *text = slurp_file(path, &len);
    if (!text) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    struct flat f = {0};
    int rc = jsonflat(text, len, path, flat_add, &f, err, errlen);
    free(text);
    if (rc == 0)
        sweep_calib_columns(sweep_calib_find(sw, jb->trace), flat_get(&f, "calibration.applied")[0] != 0,
                            flat_add, &f);
    if (rc == 0 && f.oom) {
        snprintf(err, errlen, "%s: out of memory", path);
        rc = -1;
    }
    if (rc == 0 && !sw->have_header && write_header(sw, &f) < 0) {
        snprintf(err, errlen, "out of memory");
        rc = -1;
    }
    if (rc == 0) {
        const struct sweep_grid *g = &sw->o->grid;
        for (size_t k = 0; k < g->nvary; k++) {
            csv_put(sw->csv, sweep_grid_value(g, jb->point, k));
            fputc(',', sw->csv);
        }
        csv_put(sw->csv, jb->trace);
        for (size_t i = 0; i < sw->ncols; i++) {
            fputc(',', sw->csv);
            csv_put(sw->csv, flat_get(&f, sw->cols[i]));
        }
        fputc('\n', sw->csv);
        if (fflush(sw->csv) != 0) {
            snprintf(err, errlen, "%s: %s", sw->o->out, strerror(errno));
            rc = -1;
        }
        jb->done = 1;
    }
    flat_free(&f);
    return rc;
}

/* The identity of a row: its key values and trace, joined by a unit separator. */
static char *row_identity(const char *const *vals, size_t n, const char *trace)
{
    size_t len = strlen(trace) + 1;
    for (size_t i = 0; i < n; i++)
        len += strlen(vals[i]) + 1;
    char *s = malloc(len), *p = s;
    if (!s)
        return NULL;
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "%s\x1f", vals[i]);
    strcpy(p, trace);
    return s;
}

static char *job_identity(const struct sweep *sw, const struct job *jb)
{
    const struct sweep_grid *g = &sw->o->grid;
    const char *vals[SWEEP_MAX_KEYS];
    for (size_t k = 0; k < g->nvary; k++)
        vals[k] = sweep_grid_value(g, jb->point, k);
    return row_identity(vals, g->nvary, jb->trace);
}

/* Reads an existing CSV: checks its key columns, takes its result columns, and marks the
 * jobs it already holds as done. A missing or empty file is a fresh start. */
static int load_existing(struct sweep *sw, char *err, size_t errlen)
{
    struct stat st;
    if (stat(sw->o->out, &st) != 0 || st.st_size == 0)
        return 0;
    struct csv c;
    if (csv_read(sw->o->out, &c, err, errlen) < 0)
        return -1;
    const struct sweep_grid *g = &sw->o->grid;
    int rc = -1;
    int tcol = csv_col(&c, "trace");
    if (tcol != (int)g->nvary) {
        snprintf(err, errlen, "%s: its columns before 'trace' are not the keys varied now; "
                              "write to another file", sw->o->out);
        goto out;
    }
    for (size_t k = 0; k < g->nvary; k++)
        if (strcmp(c.header[k], g->vary[k].key)) {
            snprintf(err, errlen, "%s: column %zu is '%s', not the varied key '%s'", sw->o->out,
                     k + 1, c.header[k], g->vary[k].key);
            goto out;
        }
    sw->ncols = c.ncols - g->nvary - 1;
    sw->cols = calloc(sw->ncols ? sw->ncols : 1, sizeof *sw->cols);
    if (!sw->cols)
        goto oom;
    for (size_t i = 0; i < sw->ncols; i++)
        if (!(sw->cols[i] = strdup(c.header[g->nvary + 1 + i])))
            goto oom;
    sw->have_header = 1;
    for (size_t r = 0; r < c.nrows; r++) {
        const char *vals[SWEEP_MAX_KEYS];
        for (size_t k = 0; k < g->nvary; k++)
            vals[k] = csv_get(&c, r, k);
        char *row = row_identity(vals, g->nvary, csv_get(&c, r, (size_t)tcol));
        if (!row)
            goto oom;
        for (size_t j = 0; j < sw->njobs; j++) {
            if (sw->jobs[j].done)
                continue;
            char *id = job_identity(sw, &sw->jobs[j]);
            if (!id) {
                free(row);
                goto oom;
            }
            sw->jobs[j].done = !strcmp(id, row);
            free(id);
        }
        free(row);
    }
    rc = 0;
    goto out;
oom:
    snprintf(err, errlen, "out of memory");
out:
    csv_free(&c);
    return rc;
}

/* manifest.csv in the results folder: id, the varied keys, trace. */
static int write_manifest(const struct sweep *sw, char *err, size_t errlen)
{
    char path[PATH_MAX];
    if (path_join(path, sizeof path, sw->dir, "manifest", ".csv") < 0)
        return -1;
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    const struct sweep_grid *g = &sw->o->grid;
    fputs("id", f);
    for (size_t k = 0; k < g->nvary; k++) {
        fputc(',', f);
        csv_put(f, g->vary[k].key);
    }
    fputs(",trace\n", f);
    for (size_t j = 0; j < sw->njobs; j++) {
        fputs(sw->jobs[j].id, f);
        for (size_t k = 0; k < g->nvary; k++) {
            fputc(',', f);
            csv_put(f, sweep_grid_value(g, sw->jobs[j].point, k));
        }
        fputc(',', f);
        csv_put(f, sw->jobs[j].trace);
        fputc('\n', f);
    }
    if (fclose(f) != 0) {
        snprintf(err, errlen, "%s: write error", path);
        return -1;
    }
    return 0;
}

/* results.json beside the CSV: every job with a result, its settings and the replay's JSON. */
static int write_results_json(const struct sweep *sw, char *err, size_t errlen)
{
    char path[PATH_MAX];
    const char *out = sw->o->out;
    size_t n = strlen(out);
    int k = n > 4 && !strcmp(out + n - 4, ".csv") ? snprintf(path, sizeof path, "%.*s.json", (int)(n - 4), out)
                                                  : snprintf(path, sizeof path, "%s.json", out);
    if (k < 0 || (size_t)k >= sizeof path)
        return -1;
    FILE *f = fopen(path, "w");
    if (!f) {
        snprintf(err, errlen, "%s: %s", path, strerror(errno));
        return -1;
    }
    struct json j;
    json_init(&j, f, 0);
    json_obj_begin(&j, NULL);
    json_str(&j, "config", sw->o->config);
    json_arr_begin(&j, "points");
    const struct sweep_grid *g = &sw->o->grid;
    for (size_t i = 0; i < sw->njobs; i++) {
        char rpath[PATH_MAX];
        size_t len;
        if (path_join(rpath, sizeof rpath, sw->dir, sw->jobs[i].id, ".json") < 0)
            continue;
        char *text = slurp_file(rpath, &len);
        if (!text)
            continue;
        while (len && (text[len - 1] == '\n' || text[len - 1] == ' '))
            text[--len] = 0;
        json_obj_begin(&j, NULL);
        json_str(&j, "id", sw->jobs[i].id);
        json_str(&j, "trace", sw->jobs[i].trace);
        json_obj_begin(&j, "keys");
        for (size_t q = 0; q < g->nvary; q++)
            json_str(&j, g->vary[q].key, sweep_grid_value(g, sw->jobs[i].point, q));
        json_obj_end(&j);
        sweep_calib_json(sweep_calib_find(sw, sw->jobs[i].trace), &j);
        fputs(",\"result\":", f); /* the replay's own JSON, verbatim */
        fputs(len ? text : "null", f);
        json_obj_end(&j);
        free(text);
    }
    json_arr_end(&j);
    json_obj_end(&j);
    json_end(&j);
    if (fclose(f) != 0) {
        snprintf(err, errlen, "%s: write error", path);
        return -1;
    }
    return 0;
}

/* ---- running jobs locally ---- */

/* argv of `mmsim replay -c CONFIG -s ... -s key=value... --json TRACE`; strings in buf. */
static char **replay_argv(const struct sweep *sw, const struct job *jb, char *buf, size_t buflen)
{
    const struct sweep_cli *o = sw->o;
    size_t n = 0, used = 0, max = 8 + 2 * (o->nsets + CALIBRATE_NSETTINGS + o->grid.nvary) + strlen(jb->trace);
    char **av = calloc(max, sizeof *av);
    if (!av)
        return NULL;
    av[n++] = (char *)sw->self;
    av[n++] = "replay";
    av[n++] = "-c";
    av[n++] = (char *)o->config;
    for (size_t i = 0; i < o->nsets; i++) {
        av[n++] = "-s";
        av[n++] = o->sets[i];
    }
    /* the timing fitted once for the trace, before the varied keys: a varied one wins */
    const struct sweep_calib *cal = sweep_calib_find(sw, jb->trace);
    for (int i = 0; cal && cal->cal.applied && i < CALIBRATE_NSETTINGS; i++) {
        av[n++] = "-s";
        av[n++] = (char *)cal->sets[i];
    }
    for (size_t k = 0; k < o->grid.nvary; k++) {
        int w = snprintf(buf + used, buflen - used, "%s=%s", o->grid.vary[k].key,
                         sweep_grid_value(&o->grid, jb->point, k));
        if (w < 0 || used + (size_t)w + 1 > buflen) {
            free(av);
            return NULL;
        }
        av[n++] = "-s";
        av[n++] = buf + used;
        used += (size_t)w + 1;
    }
    av[n++] = "--json";
    /* "a.mmt+b.mmt": traces replayed together on one machine (multiprogramming) */
    size_t tl = strlen(jb->trace);
    if (used + tl + 1 > buflen) {
        free(av);
        return NULL;
    }
    char *t = memcpy(buf + used, jb->trace, tl + 1);
    for (char *save = NULL, *part = strtok_r(t, "+", &save); part; part = strtok_r(NULL, "+", &save))
        av[n++] = part;
    av[n] = NULL;
    return av;
}

/* Starts one replay writing ID.json.tmp and ID.err; returns its pid or -1. */
static pid_t start_job(const struct sweep *sw, const struct job *jb, char *err, size_t errlen)
{
    char out[PATH_MAX], errp[PATH_MAX], buf[8192];
    if (path_join(out, sizeof out, sw->dir, jb->id, ".json.tmp") < 0 ||
        path_join(errp, sizeof errp, sw->dir, jb->id, ".err") < 0) {
        snprintf(err, errlen, "%s: path too long", sw->dir);
        return -1;
    }
    char **av = replay_argv(sw, jb, buf, sizeof buf);
    if (!av) {
        snprintf(err, errlen, "settings too long");
        return -1;
    }
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
        prctl(PR_SET_PDEATHSIG, SIGTERM); /* an interrupted sweep leaves no replays behind */
        int fo = open(out, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        int fe = open(errp, O_WRONLY | O_CREAT | O_TRUNC, 0644);
        if (fo < 0 || fe < 0 || dup2(fo, 1) < 0 || dup2(fe, 2) < 0)
            _exit(126);
        execv(sw->self, av);
        _exit(127);
    }
    free(av);
    if (pid < 0)
        snprintf(err, errlen, "fork: %s", strerror(errno));
    return pid;
}

/* The last line of a failed job's stderr, for the message. */
static void last_error_line(const struct sweep *sw, const struct job *jb, char *dst, size_t n)
{
    char p[PATH_MAX];
    size_t len = 0;
    dst[0] = 0;
    if (path_join(p, sizeof p, sw->dir, jb->id, ".err") < 0)
        return;
    char *t = slurp_file(p, &len);
    if (!t)
        return;
    while (len && (t[len - 1] == '\n' || t[len - 1] == '\r'))
        t[--len] = 0;
    char *nl = strrchr(t, '\n');
    snprintf(dst, n, "%s", nl ? nl + 1 : t);
    free(t);
}

/* A finished child: keep its JSON and append its row, or report the failure. */
static int finish_job(struct sweep *sw, struct job *jb, int status)
{
    char tmp[PATH_MAX], fin[PATH_MAX], err[SWEEP_ERR_MAX];
    path_join(tmp, sizeof tmp, sw->dir, jb->id, ".json.tmp");
    path_join(fin, sizeof fin, sw->dir, jb->id, ".json");
    if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
        char line[512];
        last_error_line(sw, jb, line, sizeof line);
        fprintf(stderr, "\nmmsim sweep: point %s on %s failed (status %d): %s\n", jb->id, jb->trace,
                WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status), line);
        unlink(tmp);
        jb->failed = 1;
        return -1;
    }
    if (rename(tmp, fin) != 0 || append_row(sw, jb, err, sizeof err) < 0) {
        fprintf(stderr, "\nmmsim sweep: point %s: %s\n", jb->id, err);
        jb->failed = 1;
        return -1;
    }
    /* a replay's warning (a cut trace), once a trace: every point of it would say the same */
    char line[512];
    last_error_line(sw, jb, line, sizeof line);
    if (jb->point == 0 && strstr(line, "warning:"))
        fprintf(stderr, "\nmmsim sweep: %s\n", line);
    return 0;
}

struct slot {
    pid_t pid;
    size_t job;
};

int run_pool(struct sweep *sw, size_t todo)
{
    size_t nslots = (size_t)sw->o->jobs, running = 0, next = 0, finished = 0, failed = 0;
    struct slot *slots = calloc(nslots, sizeof *slots);
    if (!slots)
        return -1;
    struct progress pr;
    progress_init(&pr);
    double t0 = now_seconds();
    for (;;) {
        while (running < nslots && next < sw->njobs) {
            struct job *jb = &sw->jobs[next++];
            if (jb->done || jb->failed || jb->deferred)
                continue;
            char err[SWEEP_ERR_MAX];
            pid_t pid = start_job(sw, jb, err, sizeof err);
            if (pid < 0) {
                fprintf(stderr, "mmsim sweep: %s\n", err);
                jb->failed = 1;
                failed++;
                continue;
            }
            for (size_t s = 0; s < nslots; s++)
                if (!slots[s].pid) {
                    slots[s] = (struct slot){pid, (size_t)(jb - sw->jobs)};
                    break;
                }
            running++;
        }
        if (!running)
            break;
        int status;
        pid_t pid = waitpid(-1, &status, 0);
        if (pid < 0) {
            if (errno == EINTR)
                continue;
            break;
        }
        for (size_t s = 0; s < nslots; s++) {
            if (slots[s].pid != pid)
                continue;
            slots[s].pid = 0;
            running--;
            finished++;
            if (finish_job(sw, &sw->jobs[slots[s].job], status) < 0)
                failed++;
            double el = now_seconds() - t0;
            progress_update(&pr, "sweep: %zu/%zu points, %.0f s, ETA %.0f s", finished, todo, el,
                            el / (double)finished * (double)(todo - finished));
        }
    }
    progress_done(&pr);
    free(slots);
    return failed ? -1 : 0;
}

/* ---- emitting job lists for clusters ---- */

/* slurm.conf's MaxArraySize when unset (slurm.conf(5)): array indices 0..1000. It bounds the
 * index, not the count, so a longer sweep is submitted in parts that shift the index by
 * MMSIM_TASK_OFFSET; the script says how. */
#define SLURM_DEFAULT_MAX_ARRAY 1001

/* Writes s single-quoted for sh. */
static void shell_quote(FILE *f, const char *s)
{
    fputc('\'', f);
    for (; *s; s++) {
        if (*s == '\'')
            fputs("'\\''", f);
        else
            fputc(*s, f);
    }
    fputc('\'', f);
}

static void emit_command(FILE *f, const struct sweep *sw, const struct job *jb)
{
    char buf[8192], out[PATH_MAX], tmp[PATH_MAX], errp[PATH_MAX];
    char **av = replay_argv(sw, jb, buf, sizeof buf);
    if (!av)
        return;
    path_join(out, sizeof out, sw->dir, jb->id, ".json");
    path_join(tmp, sizeof tmp, sw->dir, jb->id, ".json.tmp");
    path_join(errp, sizeof errp, sw->dir, jb->id, ".err");
    for (size_t i = 0; av[i]; i++) {
        if (i)
            fputc(' ', f);
        shell_quote(f, av[i]);
    }
    fputs(" > ", f);
    shell_quote(f, tmp);
    fputs(" 2> ", f);
    shell_quote(f, errp);
    fputs(" && mv ", f);
    shell_quote(f, tmp);
    fputc(' ', f);
    shell_quote(f, out);
    free(av);
}

static int emit_jobs(const struct sweep *sw, char *err, size_t errlen)
{
    FILE *f = fopen(sw->o->emit_file, "w");
    if (!f) {
        snprintf(err, errlen, "%s: %s", sw->o->emit_file, strerror(errno));
        return -1;
    }
    int slurm = !strcmp(sw->o->emit_kind, "slurm");
    if (slurm)
        fprintf(f, "#!/bin/bash\n# mmsim sweep: %zu jobs. Submit with: sbatch %s\n"
                   "# then merge with: mmsim sweep --collect %s -o results.csv\n"
                   "#SBATCH --job-name=mmsim-sweep\n#SBATCH --array=0-%zu\n#SBATCH --ntasks=1\n"
                   "#SBATCH --output=%s/slurm-%%A_%%a.out\n"
                   "# Task i runs job i + MMSIM_TASK_OFFSET (default 0). Slurm refuses array indices\n"
                   "# of MaxArraySize (default %d) and above: submit a longer sweep in parts, e.g.\n"
                   "#   sbatch --array=0-999 %s\n"
                   "#   sbatch --array=0-999 --export=ALL,MMSIM_TASK_OFFSET=1000 %s ...\n"
                   "task=$((SLURM_ARRAY_TASK_ID + ${MMSIM_TASK_OFFSET:-0}))\n"
                   "case \"$task\" in\n",
                sw->njobs, sw->o->emit_file, sw->dir, sw->njobs ? sw->njobs - 1 : 0, sw->dir,
                SLURM_DEFAULT_MAX_ARRAY, sw->o->emit_file, sw->o->emit_file);
    for (size_t i = 0; i < sw->njobs; i++) {
        if (slurm)
            fprintf(f, "%zu) ", i);
        emit_command(f, sw, &sw->jobs[i]);
        fputs(slurm ? " ;;\n" : "\n", f);
    }
    if (slurm)
        fputs("*) echo \"mmsim sweep: no job $task\" >&2; exit 2 ;;\nesac\n", f);
    if (fclose(f) != 0) {
        snprintf(err, errlen, "%s: write error", sw->o->emit_file);
        return -1;
    }
    if (slurm)
        chmod(sw->o->emit_file, 0755);
    if (slurm && sw->njobs > SLURM_DEFAULT_MAX_ARRAY)
        fprintf(stderr, "mmsim sweep: %zu array tasks, more than Slurm's default MaxArraySize (%d): "
                        "if sbatch refuses the array, submit it in parts with MMSIM_TASK_OFFSET "
                        "(see %s)\n",
                sw->njobs, SLURM_DEFAULT_MAX_ARRAY, sw->o->emit_file);
    fprintf(stderr, "mmsim sweep: %zu jobs in %s; results go to %s/ID.json; merge with "
                    "mmsim sweep --collect %s -o results.csv\n",
            sw->njobs, sw->o->emit_file, sw->dir, sw->dir);
    return 0;
}

/* ---- collecting results of emitted jobs ---- */

/* Rebuilds the grid and the jobs from DIR/manifest.csv. */
static int load_manifest(struct sweep *sw, char *err, size_t errlen)
{
    char path[PATH_MAX];
    struct sweep_cli *o = sw->o;
    if (path_join(path, sizeof path, o->collect, "manifest", ".csv") < 0)
        return -1;
    struct csv c;
    if (csv_read(path, &c, err, errlen) < 0)
        return -1;
    int tcol = csv_col(&c, "trace"), rc = -1;
    if (tcol < 1 || strcmp(c.header[0], "id") || (size_t)tcol - 1 > SWEEP_MAX_KEYS) {
        snprintf(err, errlen, "%s: want columns id, the varied keys, trace", path);
        goto out;
    }
    /* one zipped grid whose points are the manifest's rows */
    o->grid.zip = 1;
    o->grid.nvary = (size_t)tcol - 1;
    o->grid.npoints = c.nrows;
    sw->jobs = calloc(c.nrows ? c.nrows : 1, sizeof *sw->jobs);
    if (!sw->jobs)
        goto out;
    for (size_t k = 0; k < o->grid.nvary; k++) {
        struct sweep_vary *v = &o->grid.vary[k];
        v->key = strdup(c.header[k + 1]);
        v->vals = calloc(c.nrows ? c.nrows : 1, sizeof *v->vals);
        v->n = c.nrows;
        if (!v->key || !v->vals)
            goto out;
        for (size_t r = 0; r < c.nrows; r++)
            if (!(v->vals[r] = strdup(csv_get(&c, r, k + 1))))
                goto out;
    }
    for (size_t r = 0; r < c.nrows; r++) {
        struct job *jb = &sw->jobs[sw->njobs++];
        snprintf(jb->id, sizeof jb->id, "%s", csv_get(&c, r, 0));
        jb->point = r;
        jb->trace = strdup(csv_get(&c, r, (size_t)tcol));
        if (!jb->trace)
            goto out;
    }
    rc = 0;
out:
    if (rc < 0 && !err[0])
        snprintf(err, errlen, "%s: out of memory", path);
    csv_free(&c);
    return rc;
}

static int collect_results(struct sweep *sw)
{
    size_t added = 0, missing = 0;
    int bad = 0;
    for (size_t i = 0; i < sw->njobs; i++) {
        struct job *jb = &sw->jobs[i];
        if (jb->done)
            continue;
        char p[PATH_MAX], err[SWEEP_ERR_MAX];
        path_join(p, sizeof p, sw->dir, jb->id, ".json");
        if (access(p, R_OK) != 0) {
            missing++;
            continue;
        }
        if (append_row(sw, jb, err, sizeof err) < 0) {
            fprintf(stderr, "mmsim sweep: %s\n", err);
            bad = 1;
            continue;
        }
        added++;
    }
    fprintf(stderr, "mmsim sweep: collected %zu new rows into %s; %zu jobs have no result yet\n",
            added, sw->o->out, missing);
    return bad ? -1 : 0;
}

/* ---- the verb ---- */

static int build_jobs(struct sweep *sw)
{
    const struct sweep_cli *o = sw->o;
    sw->njobs = o->ntraces * o->grid.npoints;
    sw->jobs = calloc(sw->njobs ? sw->njobs : 1, sizeof *sw->jobs);
    if (!sw->jobs)
        return -1;
    size_t j = 0;
    for (size_t t = 0; t < o->ntraces; t++)
        for (size_t p = 0; p < o->grid.npoints; p++, j++) {
            sw->jobs[j].point = p;
            sw->jobs[j].trace = o->traces[t];
            sweep_job_id(&o->grid, p, o->traces[t], sw->jobs[j].id);
        }
    return 0;
}

/* The results folder: --dir, --collect's DIR, or OUT.d; made absolute for job lists. */
static int setup_dir(struct sweep *sw, char *err, size_t errlen)
{
    const struct sweep_cli *o = sw->o;
    char want[PATH_MAX];
    if (o->collect)
        snprintf(want, sizeof want, "%s", o->collect);
    else if (o->dir)
        snprintf(want, sizeof want, "%s", o->dir);
    else if (o->out) { /* results.csv -> results.d */
        size_t n = strlen(o->out);
        int cut = n > 4 && !strcmp(o->out + n - 4, ".csv") ? 4 : 0;
        snprintf(want, sizeof want, "%.*s.d", (int)(n - (size_t)cut), o->out);
    }
    else
        snprintf(want, sizeof want, "%s.d", o->emit_file);
    /* --collect reads a folder that must exist: never make an empty one */
    if (!o->collect && mkdir(want, 0755) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "%s: %s", want, strerror(errno));
        return -1;
    }
    if (!realpath(want, sw->dir)) {
        snprintf(err, errlen, "%s: %s", want, strerror(errno));
        return -1;
    }
    ssize_t n = readlink("/proc/self/exe", sw->self, sizeof sw->self - 1);
    if (n <= 0) {
        snprintf(err, errlen, "/proc/self/exe: %s", strerror(errno));
        return -1;
    }
    sw->self[n] = 0;
    return 0;
}

/* Config and trace paths made absolute so job lists run from any folder (shared file
 * system assumed on cluster hosts). */
/* One trace argument made absolute; "a.mmt+b.mmt" part by part. NULL with errno set. */
static char *absolute_trace(const char *arg, const char **bad)
{
    char *copy = strdup(arg), *save = NULL, buf[PATH_MAX];
    size_t cap = strlen(arg) * 2 + PATH_MAX, len = 0;
    char *out = malloc(cap);
    if (!copy || !out) {
        free(copy);
        free(out);
        errno = ENOMEM;
        return NULL;
    }
    out[0] = 0;
    for (char *part = strtok_r(copy, "+", &save); part; part = strtok_r(NULL, "+", &save)) {
        if (!realpath(part, buf) || len + strlen(buf) + 2 > cap) {
            *bad = arg;
            free(copy);
            free(out);
            return NULL;
        }
        len += (size_t)sprintf(out + len, "%s%s", len ? "+" : "", buf);
    }
    free(copy);
    return out;
}

static int absolutize(struct sweep_cli *o, char *err, size_t errlen)
{
    char buf[PATH_MAX];
    char *config = realpath(o->config, buf) ? strdup(buf) : NULL;
    char **traces = calloc(o->ntraces, sizeof *traces);
    const char *bad = !config ? o->config : NULL;
    for (size_t t = 0; !bad && traces && t < o->ntraces; t++)
        if (!(traces[t] = absolute_trace(o->traces[t], &bad)) && !bad)
            bad = o->traces[t];
    if (bad || !config || !traces) {
        snprintf(err, errlen, "%s: %s", bad ? bad : "paths", strerror(errno ? errno : ENOMEM));
        for (size_t t = 0; traces && t < o->ntraces; t++)
            free(traces[t]);
        free(traces);
        free(config);
        return -1;
    }
    o->config = config;
    memcpy(o->traces, traces, sizeof *traces * o->ntraces); /* argv's slots now own copies */
    free(traces);
    o->absolute = 1;
    return 0;
}

static int open_csv(struct sweep *sw, char *err, size_t errlen)
{
    if (load_existing(sw, err, errlen) < 0)
        return -1;
    sw->csv = fopen(sw->o->out, "a");
    if (!sw->csv) {
        snprintf(err, errlen, "%s: %s", sw->o->out, strerror(errno));
        return -1;
    }
    return 0;
}

static void free_sweep(struct sweep *sw)
{
    if (sw->csv)
        fclose(sw->csv);
    for (size_t i = 0; i < sw->ncols; i++)
        free(sw->cols[i]);
    free(sw->cols);
    if (sw->o->collect) { /* load_manifest's copies */
        for (size_t i = 0; i < sw->njobs; i++)
            free((char *)sw->jobs[i].trace);
        for (size_t k = 0; k < sw->o->grid.nvary; k++)
            for (size_t r = 0; r < sw->o->grid.vary[k].n && sw->o->grid.vary[k].vals; r++)
                free(sw->o->grid.vary[k].vals[r]);
    }
    free(sw->jobs);
    sweep_calib_free(sw);
}

int cmd_sweep(int argc, char **argv)
{
    struct sweep_cli o;
    memset(&o, 0, sizeof o);
    int prc = parse_sweep_cli(argc, argv, &o);
    if (prc) {
        free(o.sets);
        sweep_grid_free(&o.grid);
        return prc > 0 ? 0 : 2;
    }
    struct sweep sw;
    memset(&sw, 0, sizeof sw);
    sw.o = &o;
    char err[SWEEP_ERR_MAX] = "";
    int rc = 1;
    if (setup_dir(&sw, err, sizeof err) < 0)
        goto out;
    if (o.collect) {
        if (load_manifest(&sw, err, sizeof err) < 0 || sweep_calib_load(&sw, sw.dir, err, sizeof err) < 0 ||
            open_csv(&sw, err, sizeof err) < 0)
            goto out;
        int bad = collect_results(&sw);
        o.config = "";
        if (write_results_json(&sw, err, sizeof err) < 0)
            goto out;
        rc = bad ? 1 : 0;
        goto out;
    }
    if (absolutize(&o, err, sizeof err) < 0 || build_jobs(&sw) < 0 ||
        write_manifest(&sw, err, sizeof err) < 0)
        goto out;
    if (o.emit_kind) { /* the fits are made now, the jobs carry their values */
        rc = sweep_calibrate(&sw, err, sizeof err) < 0 || emit_jobs(&sw, err, sizeof err) < 0;
        goto out;
    }
    if (open_csv(&sw, err, sizeof err) < 0)
        goto out;
    if (sweep_calibrate(&sw, err, sizeof err) < 0) /* once per trace, for the points to run */
        goto out;
    size_t todo = 0;
    for (size_t i = 0; i < sw.njobs; i++)
        todo += !sw.jobs[i].done;
    if (todo < sw.njobs)
        fprintf(stderr, "mmsim sweep: %zu of %zu points already in %s\n", sw.njobs - todo, sw.njobs, o.out);
    int bad = 0;
    size_t deferred = o.onepass && todo ? onepass_plan(&sw) : 0;
    if (todo > deferred)
        bad |= run_pool(&sw, todo - deferred) < 0;
    if (deferred) {
        size_t left = 0;
        bad |= onepass_finish(&sw) < 0;
        for (size_t i = 0; i < sw.njobs; i++)
            left += !sw.jobs[i].done && !sw.jobs[i].failed;
        if (left) /* the one-pass counts disagreed with a replay: replay these too */
            bad |= run_pool(&sw, left) < 0;
    }
    if (write_results_json(&sw, err, sizeof err) < 0)
        goto out;
    rc = bad ? 1 : 0;
out:
    if (err[0])
        fprintf(stderr, "mmsim sweep: %s\n", err);
    free_sweep(&sw);
    if (o.absolute) {
        free((char *)o.config);
        for (size_t t = 0; t < o.ntraces; t++)
            free(o.traces[t]);
    }
    free(o.sets);
    sweep_grid_free(&o.grid);
    return rc;
}
