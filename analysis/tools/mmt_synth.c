/* mmt_synth - writes synthetic .mmt traces for the analysis tests and benchmarks:
 *   mmt_synth -o OUT.mmt [--pattern loop|random|hotcold|phases] [--pages N] [--accesses N]
 *             [--seed S] [--procs P] [--list FILE] [--init-writes]
 * --list also writes each access as "pid addr size" lines, for brute-force checkers (the
 * --init-writes stores, one to each data page before the pattern, are not listed). */
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/util.h"
#include "traces/mmt.h"

static uint64_t next_rand(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* The page touched by access i. */
static uint64_t pick_page(const char *pattern, uint64_t i, uint64_t pages, uint64_t accesses,
                          uint64_t *rng)
{
    if (!strcmp(pattern, "loop"))
        return i % pages;
    if (!strcmp(pattern, "hotcold")) /* 3/4 of accesses to a tenth of the pages */
        return (next_rand(rng) & 3) ? next_rand(rng) % (pages / 10 + 1) : next_rand(rng) % pages;
    if (!strcmp(pattern, "phases")) { /* a loop over a quarter, then over all pages */
        uint64_t span = i < accesses / 2 ? pages / 4 + 1 : pages;
        return (i * 7) % span;
    }
    return next_rand(rng) % pages;
}

/* The code and data mappings of a process, as present when tracing started. */
static int map_regions(struct mmt_writer *w, uint64_t pid, uint64_t pages)
{
    static const struct { uint64_t base; uint64_t prot; uint64_t flags; const char *path; } r[2] = {
        {0x400000, 5 /* r-x */, 0x02 /* MAP_PRIVATE */, "/synthetic/code"},
        {0x7f0000000000ULL, 3 /* rw- */, 0x22 /* MAP_PRIVATE|MAP_ANONYMOUS */, NULL}};
    for (int i = 0; i < 2; i++) {
        struct mmt_event ev = {0};
        ev.type = MMT_EV_MAP_INITIAL;
        ev.pid = ev.tid = (uint32_t)pid;
        ev.nargs = 6;
        ev.args[0] = r[i].base;
        ev.args[1] = r[i].base + (pages + 1) * 4096;
        ev.args[2] = r[i].prot;
        ev.args[3] = r[i].flags;
        ev.path = r[i].path;
        if (mmt_writer_event(w, &ev) != 0)
            return -1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    const char *out = NULL, *list = NULL, *pattern = "random";
    uint64_t pages = 1000, accesses = 100000, seed = 1, procs = 1;
    int init_writes = 0; /* first write every data page, as a program initialising its memory */
    static const struct option longs[] = {
        {"pattern", required_argument, 0, 'p'}, {"pages", required_argument, 0, 'n'},
        {"accesses", required_argument, 0, 'a'}, {"seed", required_argument, 0, 's'},
        {"procs", required_argument, 0, 'P'}, {"list", required_argument, 0, 'l'},
        {"init-writes", no_argument, 0, 'I'},
        {0, 0, 0, 0}};
    int c;
    while ((c = getopt_long(argc, argv, "o:", longs, NULL)) != -1) {
        int bad = 0;
        switch (c) {
        case 'o': out = optarg; break;
        case 'p': pattern = optarg; break;
        case 'n': bad = parse_size(optarg, &pages) < 0 || !pages; break;
        case 'a': bad = parse_size(optarg, &accesses) < 0; break;
        case 's': bad = parse_u64(optarg, &seed) < 0; break;
        case 'P': bad = parse_u64(optarg, &procs) < 0 || !procs; break;
        case 'l': list = optarg; break;
        case 'I': init_writes = 1; break;
        default: bad = 1;
        }
        if (bad) {
            fprintf(stderr, "usage: mmt_synth -o OUT.mmt [--pattern loop|random|hotcold|phases] "
                            "[--pages N] [--accesses N] [--seed S] [--procs P] [--list FILE] "
                            "[--init-writes]\n");
            return 2;
        }
    }
    if (!out) {
        fprintf(stderr, "mmt_synth: -o OUT.mmt is required\n");
        return 2;
    }
    char err[512];
    struct mmt_writer *w = mmt_writer_open(out, NULL, err, sizeof err);
    if (!w) {
        fprintf(stderr, "mmt_synth: %s\n", err);
        return 1;
    }
    FILE *lf = list ? fopen(list, "w") : NULL;
    mmt_writer_meta(w, "command", "mmt_synth");
    uint64_t rng = seed * 0x9e3779b97f4a7c15ULL + 1, pid = 1000;
    int rc = 0;
    for (uint64_t p = 0; p < procs && rc == 0; p++)
        rc = mmt_writer_switch(w, (uint32_t)(1000 + p), (uint32_t)(1000 + p)) ||
             map_regions(w, 1000 + p, pages);
    for (uint64_t p = 0; p < procs && rc == 0 && init_writes; p++) {
        rc = mmt_writer_switch(w, (uint32_t)(1000 + p), (uint32_t)(1000 + p));
        for (uint64_t pg = 0; pg <= pages && rc == 0; pg++)
            rc = mmt_writer_access(w, MMT_STORE, 0x7f0000000000ULL + pg * 4096, 8);
    }
    if (rc == 0)
        rc = mmt_writer_switch(w, (uint32_t)pid, (uint32_t)pid);
    for (uint64_t i = 0; i < accesses && rc == 0; i++) {
        if (procs > 1 && i % 5000 == 0) {
            pid = 1000 + (i / 5000) % procs;
            rc = mmt_writer_switch(w, (uint32_t)pid, (uint32_t)pid);
        }
        uint64_t page = pick_page(pattern, i, pages, accesses, &rng);
        unsigned kind = (unsigned)(i % 4 == 0 ? 0 : 1 + (next_rand(&rng) & 1));
        unsigned size = 8;
        uint64_t base = kind == 0 ? 0x400000 : 0x7f0000000000ULL;
        uint64_t off = (next_rand(&rng) % 512) * 8;
        if (i % 97 == 0) /* now and then an access that spans two pages */
            off = 4092;
        uint64_t addr = base + page * 4096 + off;
        rc = mmt_writer_access(w, kind, addr, size);
        if (lf)
            fprintf(lf, "%llu %llu %u\n", (unsigned long long)pid, (unsigned long long)addr, size);
    }
    if (lf)
        fclose(lf);
    if (rc != 0) {
        fprintf(stderr, "mmt_synth: %s\n", mmt_writer_error(w));
        return 1;
    }
    if (mmt_writer_close(w, err, sizeof err) != 0) {
        fprintf(stderr, "mmt_synth: %s\n", err);
        return 1;
    }
    return 0;
}
