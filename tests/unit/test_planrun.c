/* test_planrun.c - fetch-run records (format 1.1): a trace written with plans
 * (mmt_writer_plan_run, and inline in a burst with mmt_burst_plan_run) reads back as
 * exactly the records of one mmt_writer_access call per fetch: same records in the same
 * order, same footer totals, on plans with sequential, repeated, far and kernel-half
 * instructions, runs entered in the middle, runs of several plans interleaved with plain
 * fetches, data accesses and thread switches, and chunks a few records long (a run split
 * across chunks, plans defined again in each chunk). Bad runs are refused. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "traces/mmt.h"
#include "traces/mmt_burst.h"

#define NPLANS 48
#define MAXN 40

struct plan {
    uint64_t ins[MAXN];
    uint32_t n;
    struct mmt_plan_ref ref;
};

static uint64_t rng_next(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

static void make_plan(struct plan *p, uint64_t *seed)
{
    p->n = 1 + (uint32_t)(rng_next(seed) % MAXN);
    p->ref = (struct mmt_plan_ref){0, 0};
    uint64_t a = rng_next(seed) % 8 == 0 ? 0xffffffffff600000ull : 0x400000 + rng_next(seed) % 100000;
    for (uint32_t i = 0; i < p->n; i++) {
        unsigned size = 1 + (unsigned)(rng_next(seed) % 15);
        p->ins[i] = mmt_fetch_word(a, size);
        unsigned pick = (unsigned)(rng_next(seed) % 10);
        if (pick < 7)
            a += size;
        else if (pick == 7)
            a += 0;
        else
            a = 0x400000 + rng_next(seed) % 50000;
    }
}

struct pair {
    struct mmt_writer *w[2]; /* 0: plans, 1: one record a fetch */
    char path[2][64];
};

static void open_pair(struct pair *pr, size_t chunk_records)
{
    struct mmt_writer_opts o = {.chunk_records = chunk_records};
    char err[512];
    for (int i = 0; i < 2; i++) {
        snprintf(pr->path[i], sizeof pr->path[i], "/tmp/test_planrun.%d.%d.mmt", (int)getpid(), i);
        pr->w[i] = mmt_writer_open(pr->path[i], &o, err, sizeof err);
        assert_non_null(pr->w[i]);
    }
}

static void plain_fetches(struct mmt_writer *w, const struct plan *p, uint32_t from, uint32_t upto)
{
    for (uint32_t i = from; i < upto; i++)
        assert_int_equal(mmt_writer_access(w, MMT_IFETCH, mmt_fetch_addr(p->ins[i]),
                                           (unsigned)(p->ins[i] >> 48)), 0);
}

/* Reads both traces and compares them record by record; returns the records read. */
static uint64_t compare_pair(struct pair *pr)
{
    char err[512];
    for (int i = 0; i < 2; i++)
        assert_int_equal(mmt_writer_close(pr->w[i], err, sizeof err), 0);
    struct mmt_reader *r[2];
    for (int i = 0; i < 2; i++) {
        r[i] = mmt_reader_open(pr->path[i], err, sizeof err);
        assert_non_null(r[i]);
    }
    struct mmt_totals t[2];
    for (int i = 0; i < 2; i++)
        assert_int_equal(mmt_reader_totals(r[i], &t[i]), 0);
    assert_memory_equal(&t[0], &t[1], sizeof t[0]);
    /* batches differ in length: walk both streams a record at a time */
    const struct mmt_rec *recs[2] = {NULL, NULL};
    size_t n[2] = {0, 0}, at[2] = {0, 0};
    uint64_t total = 0;
    for (;;) {
        for (int i = 0; i < 2; i++)
            while (at[i] == n[i]) {
                int rc = mmt_reader_next(r[i], &recs[i], &n[i]);
                assert_int_not_equal(rc, -1);
                at[i] = 0;
                if (rc == 0) {
                    n[i] = 0;
                    break;
                }
            }
        if (n[0] == 0 || n[1] == 0) {
            assert_int_equal(n[0], n[1]); /* both end together */
            break;
        }
        const struct mmt_rec *a = &recs[0][at[0]++], *b = &recs[1][at[1]++];
        if (a->addr != b->addr || a->kind != b->kind || a->size != b->size || a->aux != b->aux)
            fail_msg("record %llu differs: %llx/%u/%u vs %llx/%u/%u", (unsigned long long)total,
                     (unsigned long long)a->addr, a->kind, a->size, (unsigned long long)b->addr,
                     b->kind, b->size);
        total++;
    }
    assert_int_equal(total, t[0].records);
    for (int i = 0; i < 2; i++) {
        mmt_reader_close(r[i]);
        unlink(pr->path[i]);
    }
    return total;
}

/* A DBI-like stream: superblocks of random plans, executed whole or in stretches between
 * data accesses, sometimes left at a side exit, with plain fetches and thread switches. */
static void write_stream(struct pair *pr, struct plan *plans, uint64_t *seed, int steps,
                         int use_burst)
{
    struct mmt_burst b;
    int in_burst = 0;
    for (int s = 0; s < steps; s++) {
        struct plan *p = &plans[rng_next(seed) % NPLANS];
        uint32_t next = rng_next(seed) % 4 == 0 ? (uint32_t)(rng_next(seed) % p->n) : 0;
        uint32_t end = rng_next(seed) % 5 == 0 ? next + (uint32_t)(rng_next(seed) % (p->n - next + 1)) : p->n;
        while (next < end) {
            uint32_t upto = next + 1 + (uint32_t)(rng_next(seed) % (end - next));
            if (use_burst) {
                if (!in_burst)
                    assert_int_equal(mmt_writer_burst_begin(pr->w[0], &b), 0);
                in_burst = 1;
                if (b.left > mmt_burst_plan_need(&b, &p->ref, p->n, next, upto) + 1) {
                    mmt_burst_plan_run(&b, &p->ref, p->ins, p->n, next, upto);
                } else {
                    mmt_writer_burst_end(pr->w[0], &b);
                    in_burst = 0;
                    assert_int_equal(mmt_writer_plan_run(pr->w[0], &p->ref, p->ins, p->n, next, upto), 0);
                }
            } else {
                assert_int_equal(mmt_writer_plan_run(pr->w[0], &p->ref, p->ins, p->n, next, upto), 0);
            }
            plain_fetches(pr->w[1], p, next, upto);
            next = upto;
            uint64_t addr = 0x7ff000000000ull + rng_next(seed) % 4096 * 8;
            unsigned kind = 1 + (unsigned)(rng_next(seed) % 3), size = 1u << (rng_next(seed) % 4);
            if (in_burst && b.left > 1) {
                mmt_burst_access(&b, kind, addr, size);
            } else {
                if (in_burst)
                    mmt_writer_burst_end(pr->w[0], &b);
                in_burst = 0;
                assert_int_equal(mmt_writer_access(pr->w[0], kind, addr, size), 0);
            }
            assert_int_equal(mmt_writer_access(pr->w[1], kind, addr, size), 0);
        }
        if (in_burst && rng_next(seed) % 8 == 0) {
            mmt_writer_burst_end(pr->w[0], &b);
            in_burst = 0;
        }
        unsigned other = (unsigned)(rng_next(seed) % 32);
        if (other == 0 && !in_burst) { /* a fetch outside any plan: the stream state holds */
            uint64_t a = mmt_fetch_addr(p->ins[p->n - 1]) + (rng_next(seed) % 2 ? 0 : 7);
            for (int i = 0; i < 2; i++)
                assert_int_equal(mmt_writer_access(pr->w[i], MMT_IFETCH, a, 3), 0);
        } else if (other == 1 && !in_burst) {
            uint32_t tid = 100 + (uint32_t)(rng_next(seed) % 3);
            for (int i = 0; i < 2; i++)
                assert_int_equal(mmt_writer_switch(pr->w[i], 100, tid), 0);
        }
    }
    if (in_burst)
        mmt_writer_burst_end(pr->w[0], &b);
}

static void check_streams(int use_burst)
{
    uint64_t seed = 0x9e3779b97f4a7c15ull + (uint64_t)use_burst;
    size_t chunks[] = {1, 3, 17, 200, 0};
    for (size_t c = 0; c < sizeof chunks / sizeof *chunks; c++) {
        struct plan plans[NPLANS];
        for (int i = 0; i < NPLANS; i++)
            make_plan(&plans[i], &seed);
        struct pair pr;
        open_pair(&pr, chunks[c]);
        write_stream(&pr, plans, &seed, 3000, use_burst);
        assert_true(compare_pair(&pr) > 3000);
    }
}

static void plan_runs_read_back_as_fetches(void **state)
{
    (void)state;
    check_streams(0);
}

static void burst_plan_runs_read_back_as_fetches(void **state)
{
    (void)state;
    check_streams(1);
}

/* A repeated superblock costs a few bytes a run, not a byte a fetch. */
static void runs_are_smaller_than_fetches(void **state)
{
    (void)state;
    uint64_t seed = 7;
    struct plan p;
    make_plan(&p, &seed);
    p.n = MAXN;
    for (uint32_t i = 0; i < p.n; i++)
        p.ins[i] = mmt_fetch_word(0x401000 + 4 * i, 4);
    struct pair pr;
    open_pair(&pr, 0);
    for (int s = 0; s < 10000; s++) {
        assert_int_equal(mmt_writer_plan_run(pr.w[0], &p.ref, p.ins, p.n, 0, p.n), 0);
        plain_fetches(pr.w[1], &p, 0, p.n);
    }
    char err[512];
    for (int i = 0; i < 2; i++)
        assert_int_equal(mmt_writer_close(pr.w[i], err, sizeof err), 0);
    struct mmt_chunk_info ci[2];
    for (int i = 0; i < 2; i++) {
        struct mmt_reader *r = mmt_reader_open(pr.path[i], err, sizeof err);
        assert_non_null(r);
        assert_int_equal(mmt_reader_chunk_info(r, 0, &ci[i]), 0);
        mmt_reader_close(r);
        unlink(pr.path[i]);
    }
    assert_int_equal(ci[0].records, ci[1].records);
    /* 40 fetches: 40 bytes one by one, 1 byte (MORE) or 4 (RUN) as a run */
    assert_true(ci[0].raw_bytes * 10 < ci[1].raw_bytes);
}

static void bad_runs_are_refused(void **state)
{
    (void)state;
    char path[64], err[512];
    snprintf(path, sizeof path, "/tmp/test_planrun.%d.bad.mmt", (int)getpid());
    struct mmt_writer *w = mmt_writer_open(path, NULL, err, sizeof err);
    assert_non_null(w);
    struct plan p = {.n = 2, .ins = {mmt_fetch_word(0x1000, 4), mmt_fetch_word(0x1004, 0)}};
    assert_int_equal(mmt_writer_plan_run(w, &p.ref, p.ins, p.n, 0, 2), -1); /* size 0 */
    assert_non_null(strstr(mmt_writer_error(w), "size 0"));
    mmt_writer_set_incomplete(w, "test");
    mmt_writer_close(w, err, sizeof err);
    w = mmt_writer_open(path, NULL, err, sizeof err);
    p.ins[1] = mmt_fetch_word(0x1004, 4);
    assert_int_equal(mmt_writer_plan_run(w, &p.ref, p.ins, p.n, 1, 3), -1); /* past the end */
    assert_non_null(strstr(mmt_writer_error(w), "bad fetch run [1, 3)"));
    mmt_writer_close(w, err, sizeof err);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(plan_runs_read_back_as_fetches),
        cmocka_unit_test(burst_plan_runs_read_back_as_fetches),
        cmocka_unit_test(runs_are_smaller_than_fetches),
        cmocka_unit_test(bad_runs_are_refused),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
