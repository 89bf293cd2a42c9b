/* mrc.c - `mmsim mrc`: the LRU miss-ratio curve of a trace in one pass, and the thrashing
 * curve it predicts with a swap device (see mrc.h for the model). */
#include "analysis/mrc.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "model/config.h"
#include "traces/mmt.h"
#include "verbs.h"

struct mrc_cli {
    const char *trace, *out, *sizes, *swap_config;
    int dump_config; /* --dump-config: print the [swap] section read from --swap-config, stop */
    uint64_t page_size;
    double rate;
    double fault_latency_us, access_ns, minor_fault_us;
    int thrash;
};

static void mrc_usage(FILE *f)
{
    fprintf(f,
            "usage: mmsim mrc TRACE [-o mrc.csv] [--page-size 4K] [--sample RATE]\n"
            "                 [--sizes LIST] [--swap-config FILE | --fault-latency-us US]\n"
            "                 [--access-ns NS] [--minor-fault-us US]\n"
            "The exact LRU miss-ratio curve at page granularity in one pass (Mattson stack\n"
            "distances), or SHARDS-sampled with --sample (0.01 or 1%%).\n"
            "  --sizes LIST        rows for these memory sizes only: 512 (pages), 64M (bytes), ...\n"
            "  --swap-config FILE  add the thrashing curve: major_faults, runtime_s columns, from\n"
            "                      the device's [swap] read_latency and read_bandwidth\n"
            "  --fault-latency-us  the same with a given swap-in latency\n"
            "  --access-ns NS      base time of one access (default 1)\n"
            "  --minor-fault-us US cost of a first touch (default 0.5)\n");
}

int mrc_add_trace(struct mrc *m, const char *path, char *err, size_t errlen)
{
    struct mmt_reader *r = mmt_reader_open(path, err, errlen);
    if (!r)
        return -1;
    const struct mmt_rec *recs;
    size_t n;
    int rc;
    uint64_t chunks = mmt_reader_chunks(r), done = 0;
    struct progress pr;
    progress_init(&pr);
    while ((rc = mmt_reader_next(r, &recs, &n)) == 1) {
        if (chunks)
            progress_update(&pr, "mrc: %s %.0f%%, %.1f M references", path,
                            100.0 * (double)++done / (double)chunks, (double)m->references / 1e6);
        for (size_t i = 0; i < n; i++) {
            const struct mmt_rec *x = &recs[i];
            if (x->kind <= MMT_MODIFY)
                mrc_access(m, x->addr, x->size);
            else if (x->kind == MMT_SWITCH)
                mrc_switch(m, x->aux);
        }
    }
    progress_done(&pr);
    if (rc < 0)
        snprintf(err, errlen, "%s", mmt_reader_error(r));
    else if (!mmt_reader_complete(r)) /* the curve covers the readable chunks only */
        fprintf(stderr, "mmsim mrc: warning: %s: incomplete trace, curve of what is readable: %s\n",
                path, mmt_reader_incomplete_reason(r));
    mmt_reader_close(r);
    return rc < 0 ? -1 : 0;
}

/* "0.01" or "1%" */
static int parse_rate(const char *s, double *rate)
{
    char buf[64];
    size_t n = strlen(s);
    if (n == 0 || n >= sizeof buf)
        return -1;
    memcpy(buf, s, n + 1);
    int pct = buf[n - 1] == '%';
    if (pct)
        buf[n - 1] = 0;
    if (parse_double(buf, rate) < 0 || !(*rate > 0))
        return -1;
    if (pct)
        *rate /= 100;
    return *rate <= 1 ? 0 : -1;
}

/* A bare number is pages, a K/M/G suffix bytes (rounded down to whole pages). */
static int parse_mem_size(const char *s, uint64_t page_size, uint64_t *pages)
{
    uint64_t v;
    if (parse_u64(s, &v) == 0) {
        *pages = v;
        return 0;
    }
    if (parse_size(s, &v) < 0)
        return -1;
    *pages = v / page_size;
    return 0;
}

static void put_row(FILE *f, const struct mrc_curve *c, const struct thrash_model *tm,
                    uint64_t pages)
{
    double misses = mrc_curve_misses(c, pages);
    double ratio = c->references ? misses / (double)c->references : 0;
    fprintf(f, "%llu,%llu,%llu,%.0f,%.6f", (unsigned long long)pages,
            (unsigned long long)(pages * c->page_size), (unsigned long long)c->references, misses,
            ratio);
    if (tm) {
        struct thrash_point t = mrc_thrash_at(c, tm, pages);
        fprintf(f, ",%.0f,%.6g", t.major_faults, t.runtime_s);
    }
    fputc('\n', f);
}

static int write_rows(FILE *f, const struct mrc_curve *c, const struct thrash_model *tm,
                      const char *sizes, char *err, size_t errlen)
{
    fprintf(f, "pages,bytes,references,misses,miss_ratio%s\n", tm ? ",major_faults,runtime_s" : "");
    if (!sizes) {
        for (size_t i = 0; i < c->n; i++)
            put_row(f, c, tm, c->pts[i].pages);
        return 0;
    }
    char *list = strdup(sizes), *save = NULL;
    if (!list)
        return -1;
    int rc = 0;
    for (char *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        uint64_t pages;
        if (parse_mem_size(tok, c->page_size, &pages) < 0) {
            snprintf(err, errlen, "--sizes: '%s' is not a size (512 pages, 64M bytes)", tok);
            rc = -1;
            break;
        }
        put_row(f, c, tm, pages);
    }
    free(list);
    return rc;
}

static int parse_mrc_cli(int argc, char **argv, struct mrc_cli *o)
{
    static const struct option longs[] = {
        {"page-size", required_argument, 0, 'p'}, {"sample", required_argument, 0, 's'},
        {"sizes", required_argument, 0, 'z'}, {"swap-config", required_argument, 0, 'c'},
        {"fault-latency-us", required_argument, 0, 'f'}, {"access-ns", required_argument, 0, 'a'},
        {"minor-fault-us", required_argument, 0, 'm'}, {"output", required_argument, 0, 'o'},
        {"dump-config", no_argument, 0, 'D'}, {"help", no_argument, 0, 'h'}, {0, 0, 0, 0}};
    memset(o, 0, sizeof *o);
    o->page_size = 4096;
    o->access_ns = 1;
    o->minor_fault_us = 0.5;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "o:h", longs, NULL)) != -1) {
        int bad = 0;
        switch (c) {
        case 'p': bad = parse_size(optarg, &o->page_size) < 0 || o->page_size < 64 ||
                        (o->page_size & (o->page_size - 1)); break;
        case 's': bad = parse_rate(optarg, &o->rate) < 0; break;
        case 'z': o->sizes = optarg; break;
        case 'c': o->swap_config = optarg; o->thrash = 1; break;
        case 'f': bad = parse_double(optarg, &o->fault_latency_us) < 0 || o->fault_latency_us < 0;
                  o->thrash = 1; break;
        case 'a': bad = parse_double(optarg, &o->access_ns) < 0 || o->access_ns < 0; break;
        case 'm': bad = parse_double(optarg, &o->minor_fault_us) < 0 || o->minor_fault_us < 0; break;
        case 'o': o->out = optarg; break;
        case 'D': o->dump_config = 1; break;
        case 'h': mrc_usage(stdout); return 1;
        default: mrc_usage(stderr); return -1;
        }
        if (bad) {
            fprintf(stderr, "mmsim mrc: bad value '%s' for --%s\n", optarg,
                    c == 'p' ? "page-size" : c == 's' ? "sample" : c == 'f' ? "fault-latency-us"
                    : c == 'a' ? "access-ns" : "minor-fault-us");
            return -1;
        }
    }
    if (o->dump_config && optind == argc)
        return 0;
    if (optind != argc - 1) {
        mrc_usage(stderr);
        return -1;
    }
    o->trace = argv[optind];
    return 0;
}

/* The swap-in cost: the device's read latency plus one page over its read bandwidth. */
static int major_fault_ns(const struct mrc_cli *o, double *ns, char *err, size_t errlen)
{
    if (!o->swap_config) {
        *ns = o->fault_latency_us * 1e3;
        return 0;
    }
    struct swap_config sc;
    if (config_load_swap(&sc, o->swap_config, err, errlen) < 0)
        return -1;
    *ns = (double)sc.read_latency_ns;
    if (sc.read_bandwidth)
        *ns += (double)o->page_size * 1e9 / (double)sc.read_bandwidth;
    return 0;
}

/* --dump-config: the device as mrc reads it, printed as replay prints [swap]
 * (tests/e2e/config_verbs.sh compares them). */
static int dump_swap_config(const struct mrc_cli *o)
{
    char err[512];
    struct mmsim_config *c = malloc(sizeof *c);
    if (!o->swap_config) {
        fprintf(stderr, "mmsim mrc: --dump-config prints the device of --swap-config FILE\n");
        free(c);
        return 2;
    }
    if (!c) {
        fprintf(stderr, "mmsim mrc: out of memory\n");
        return 1;
    }
    config_defaults(c);
    int rc = config_load_swap(&c->swap, o->swap_config, err, sizeof err);
    if (rc)
        fprintf(stderr, "mmsim mrc: %s\n", err);
    else
        config_print_section(c, "swap", stdout);
    free(c);
    return rc ? 1 : 0;
}

int cmd_mrc(int argc, char **argv)
{
    struct mrc_cli o;
    int prc = parse_mrc_cli(argc, argv, &o);
    if (prc)
        return prc > 0 ? 0 : 2;
    char err[512];
    if (o.dump_config)
        return dump_swap_config(&o);
    struct thrash_model tm = {o.access_ns, o.minor_fault_us * 1e3, 0};
    if (o.thrash && major_fault_ns(&o, &tm.major_fault_ns, err, sizeof err) < 0) {
        fprintf(stderr, "mmsim mrc: %s\n", err);
        return 1;
    }
    struct mrc *m = malloc(sizeof *m);
    struct mrc_opts mo = {(unsigned)__builtin_ctzll(o.page_size), o.rate};
    if (!m || mrc_init(m, &mo) < 0) {
        fprintf(stderr, "mmsim mrc: out of memory\n");
        free(m);
        return 1;
    }
    double t0 = now_seconds();
    int rc = 1;
    struct mrc_curve c = {0};
    FILE *f = NULL;
    if (mrc_add_trace(m, o.trace, err, sizeof err) < 0) {
        fprintf(stderr, "mmsim mrc: %s\n", err);
        goto out;
    }
    double secs = now_seconds() - t0;
    if (mrc_curve(m, &c) < 0) {
        fprintf(stderr, "mmsim mrc: %s: out of memory after %llu references\n", o.trace,
                (unsigned long long)m->references);
        goto out;
    }
    f = o.out ? fopen(o.out, "w") : stdout;
    if (!f) {
        fprintf(stderr, "mmsim mrc: %s: cannot create: %s\n", o.out, strerror(errno));
        goto out;
    }
    if (write_rows(f, &c, o.thrash ? &tm : NULL, o.sizes, err, sizeof err) < 0) {
        fprintf(stderr, "mmsim mrc: %s\n", err);
        goto out;
    }
    fprintf(stderr, "mmsim mrc: %s: %llu accesses, %llu page references, %.0f distinct pages, "
                    "%.0f cold; %.2f s (%.1f M references/s)%s\n",
            o.trace, (unsigned long long)c.accesses, (unsigned long long)c.references, c.distinct,
            c.cold, secs, secs > 0 ? (double)c.references / secs / 1e6 : 0,
            m->sampled ? ", SHARDS-sampled" : "");
    rc = 0;
out:
    if (f && f != stdout && fclose(f) != 0 && rc == 0) {
        perror(o.out);
        rc = 1;
    }
    mrc_curve_free(&c);
    mrc_free(m);
    free(m);
    return rc;
}
