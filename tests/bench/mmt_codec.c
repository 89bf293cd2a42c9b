/* mmt_codec.c - benchmark helper for tests/bench/10-format.sh: loads a trace's records into
 * memory, then times (median of --runs) encoding them with the writer into a scratch file,
 * decoding that file with the reader, and a baseline pass that only sums the records already
 * in memory. Times are CPU times of this process. Prints one tab-separated line:
 *   records accesses file_bytes bytes_per_access encode_rec_s decode_rec_s baseline_rec_s */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "common/util.h"
#include "traces/mmt.h"

/* CPU time of this process: "one core" throughput that other jobs on the machine do not
 * distort the way they distort wall time. */
static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

struct loaded {
    struct mmt_rec *recs;
    struct mmt_event *events;
    size_t n, cap, nev, evcap;
};

static int load(const char *path, struct loaded *L)
{
    char err[512];
    struct mmt_reader *r = mmt_reader_open(path, err, sizeof err);
    if (!r) {
        fprintf(stderr, "mmt_codec: %s\n", err);
        return -1;
    }
    const struct mmt_rec *recs;
    size_t n;
    int rc;
    while ((rc = mmt_reader_next(r, &recs, &n)) == 1) {
        if (L->n + n > L->cap) {
            L->cap = 2 * (L->n + n);
            L->recs = realloc(L->recs, L->cap * sizeof *L->recs);
        }
        for (size_t i = 0; i < n; i++) {
            struct mmt_rec x = recs[i];
            if (x.kind == MMT_EVENT) {
                if (L->nev == L->evcap) {
                    L->evcap = L->evcap ? 2 * L->evcap : 64;
                    L->events = realloc(L->events, L->evcap * sizeof *L->events);
                }
                struct mmt_event *e = &L->events[L->nev];
                *e = *mmt_reader_event(r, x.aux);
                e->path = e->path ? strdup(e->path) : NULL;
                x.aux = (uint32_t)L->nev++;
            }
            L->recs[L->n++] = x;
        }
    }
    if (rc < 0)
        fprintf(stderr, "mmt_codec: %s\n", mmt_reader_error(r));
    mmt_reader_close(r);
    return rc < 0 ? -1 : 0;
}

static double encode(const struct loaded *L, const char *out)
{
    char err[512];
    double t0 = cpu_now();
    struct mmt_writer *w = mmt_writer_open(out, NULL, err, sizeof err);
    if (!w)
        return -1;
    for (size_t i = 0; i < L->n; i++) {
        const struct mmt_rec *x = &L->recs[i];
        if (x->kind <= MMT_MODIFY)
            mmt_writer_access(w, x->kind, x->addr, x->size);
        else if (x->kind == MMT_SWITCH)
            mmt_writer_switch(w, x->aux, (uint32_t)x->addr);
        else
            mmt_writer_event(w, &L->events[x->aux]);
    }
    if (mmt_writer_close(w, err, sizeof err)) {
        fprintf(stderr, "mmt_codec: %s\n", err);
        return -1;
    }
    return cpu_now() - t0;
}

static double decode(const char *path, uint64_t *sum)
{
    char err[512];
    double t0 = cpu_now();
    struct mmt_reader *r = mmt_reader_open(path, err, sizeof err);
    if (!r)
        return -1;
    const struct mmt_rec *recs;
    size_t n;
    while (mmt_reader_next(r, &recs, &n) == 1)
        for (size_t i = 0; i < n; i++)
            *sum += recs[i].addr + recs[i].kind;
    mmt_reader_close(r);
    return cpu_now() - t0;
}

static double baseline(const struct loaded *L, uint64_t *sum)
{
    double t0 = cpu_now();
    for (size_t i = 0; i < L->n; i++)
        *sum += L->recs[i].addr + L->recs[i].kind;
    return cpu_now() - t0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: mmt_codec TRACE [RUNS]\n");
        return 2;
    }
    int runs = argc > 2 ? atoi(argv[2]) : 5;
    if (runs < 1 || runs > 99)
        runs = 5;
    struct loaded L = {0};
    if (load(argv[1], &L))
        return 1;
    char out[] = "/tmp/mmt_codec." "XX" "XX" "XX"; /* mkstemp template */
    int fd = mkstemp(out);
    if (fd < 0)
        return 1;
    close(fd);
    double te[99], td[99], tb[99];
    uint64_t sum = 0;
    for (int i = 0; i < runs; i++) {
        te[i] = encode(&L, out);
        td[i] = decode(out, &sum);
        tb[i] = baseline(&L, &sum);
        if (te[i] < 0 || td[i] < 0) {
            unlink(out);
            return 1;
        }
    }
    FILE *f = fopen(out, "rb");
    fseek(f, 0, SEEK_END);
    long bytes = ftell(f);
    fclose(f);
    unlink(out);
    qsort(te, (size_t)runs, sizeof te[0], cmp_double);
    qsort(td, (size_t)runs, sizeof td[0], cmp_double);
    qsort(tb, (size_t)runs, sizeof tb[0], cmp_double);
    uint64_t acc = 0;
    for (size_t i = 0; i < L.n; i++)
        acc += L.recs[i].kind <= MMT_MODIFY;
    double n = (double)L.n, med_e = te[runs / 2], med_d = td[runs / 2], med_b = tb[runs / 2];
    printf("%zu\t%" PRIu64 "\t%ld\t%.3f\t%.0f\t%.0f\t%.0f\n", L.n, acc, bytes,
           acc ? (double)bytes / (double)acc : 0.0, n / med_e, n / med_d,
           med_b > 0 ? n / med_b : 0.0);
    fprintf(stderr, "(checksum %" PRIu64 ")\n", sum);
    for (size_t i = 0; i < L.nev; i++)
        free((char *)L.events[i].path);
    free(L.events);
    free(L.recs);
    return 0;
}
