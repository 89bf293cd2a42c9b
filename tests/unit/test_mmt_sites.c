/* test_mmt_sites.c - the reader's format 1.2 records (traces/FORMAT.md, "Sites and
 * successor runs"): raw chunk payloads are assembled here byte by byte, written as one
 * chunk through mmt_writer_put_chunk, and the decoded addresses are checked against values
 * computed by hand from the spec. Every malformed use of the new records must be rejected
 * with the reader's usual error, and a minimally different well-formed payload accepted. */
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
#include "traces/mmt_format.h"

/* ---- building a raw payload ---- */

struct payload {
    uint8_t b[8192];
    size_t len;
    uint32_t nrecs;
    uint64_t kinds[MMT_KIND_COUNT];
};

static void put_byte(struct payload *p, unsigned v)
{
    assert_true(p->len < sizeof p->b);
    p->b[p->len++] = (uint8_t)v;
}

static void put_varint(struct payload *p, uint64_t v)
{
    assert_true(p->len + 10 <= sizeof p->b);
    p->len += mmt_put_varint(p->b + p->len, v);
}

static void put_zvarint(struct payload *p, int64_t v)
{
    put_varint(p, mmt_zigzag(v));
}

static unsigned size_code(unsigned size)
{
    for (unsigned c = 0; c < 7; c++)
        if (size == 1u << c)
            return c;
    fail_msg("size %u has no size code in these tests", size);
    return 0;
}

/* An access tag: kind in bits 0-1, size code in bits 2-4, address mode in bits 5-7. */
static unsigned tag(unsigned kind, unsigned size, unsigned mode)
{
    return kind | size_code(size) << 2 | mode << 5;
}

static void access_delta(struct payload *p, unsigned kind, unsigned size, int64_t d)
{
    put_byte(p, tag(kind, size, MMT_MODE_DELTA));
    put_zvarint(p, d);
    p->nrecs++;
    p->kinds[kind]++;
}

static void site_stride(struct payload *p, unsigned kind, unsigned size)
{
    put_byte(p, tag(kind, size, MMT_MODE_SITE_STRIDE));
    p->nrecs++;
    p->kinds[kind]++;
}

static void site_delta(struct payload *p, unsigned kind, unsigned size, int64_t d)
{
    put_byte(p, tag(kind, size, MMT_MODE_SITE_DELTA));
    put_zvarint(p, d);
    p->nrecs++;
    p->kinds[kind]++;
}

/* PLAN id of n instructions: sizes[i], addresses addrs[i]. */
static void plan(struct payload *p, uint32_t id, const uint64_t *addrs, const unsigned *sizes,
                 uint32_t n)
{
    put_byte(p, MMT_TAG_PLAN);
    put_varint(p, id);
    put_varint(p, n);
    uint64_t e = 0;
    for (uint32_t i = 0; i < n; i++) {
        put_byte(p, sizes[i]);
        put_zvarint(p, (int64_t)(addrs[i] - e));
        e = addrs[i] + sizes[i];
    }
}

static void run(struct payload *p, uint32_t id, uint32_t from, uint32_t count)
{
    put_byte(p, MMT_TAG_RUN);
    put_varint(p, id);
    put_varint(p, from);
    put_varint(p, count);
    p->nrecs += count;
    p->kinds[MMT_IFETCH] += count;
}

static void more(struct payload *p, uint32_t count)
{
    if (count <= MMT_MORE_SHORT_MAX) {
        put_byte(p, MMT_TAG_MORE_SHORT + count);
    } else {
        put_byte(p, MMT_TAG_MORE);
        put_varint(p, count);
    }
    p->nrecs += count;
    p->kinds[MMT_IFETCH] += count;
}

/* NEXT in its short form when the count fits the tag, else 0xE5 and a varint. */
static void next(struct payload *p, uint32_t count)
{
    if (count <= MMT_NEXT_SHORT_MAX) {
        put_byte(p, MMT_TAG_NEXT_SHORT + count);
    } else {
        put_byte(p, MMT_TAG_NEXT);
        put_varint(p, count);
    }
    p->nrecs += count;
    p->kinds[MMT_IFETCH] += count;
}

/* ---- writing it as a trace and reading it back ---- */

struct decoded {
    struct mmt_rec *recs;
    size_t n;
    char err[512];
};

/* Writes p as the one chunk of a trace and decodes it. Returns 0 with d->recs (to free) or
 * -1 with the reader's error in d->err. */
static int decode(const struct payload *p, struct decoded *d)
{
    char path[] = "/tmp/test_mmt_sites.XXXXXX", err[512];
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    struct mmt_writer *w = mmt_writer_open(path, NULL, err, sizeof err);
    if (!w)
        fail_msg("writer: %s", err);
    struct mmt_chunk_in c = {.raw = p->b, .len = p->len, .nrecs = p->nrecs};
    memcpy(c.kinds, p->kinds, sizeof c.kinds);
    assert_int_equal(mmt_writer_put_chunk(w, &c), 0);
    assert_int_equal(mmt_writer_close(w, err, sizeof err), 0);

    struct mmt_reader *r = mmt_reader_open(path, err, sizeof err);
    if (!r)
        fail_msg("reader: %s", err);
    memset(d, 0, sizeof *d);
    const struct mmt_rec *recs;
    size_t n;
    int rc = mmt_reader_next(r, &recs, &n);
    if (rc == 1) {
        d->recs = malloc((n ? n : 1) * sizeof *d->recs);
        assert_non_null(d->recs);
        memcpy(d->recs, recs, n * sizeof *recs);
        d->n = n;
        assert_int_equal(mmt_reader_next(r, &recs, &n), 0); /* one chunk only */
    } else {
        assert_int_equal(rc, -1);
        snprintf(d->err, sizeof d->err, "%s", mmt_reader_error(r));
    }
    mmt_reader_close(r);
    unlink(path);
    return rc == 1 ? 0 : -1;
}

/* The expected records, computed by hand in each test. */
struct want {
    struct mmt_rec r[2048];
    size_t n;
};

static void want(struct want *w, unsigned kind, uint64_t addr, unsigned size)
{
    assert_true(w->n < 2048);
    w->r[w->n++] = (struct mmt_rec){.addr = addr, .kind = (uint8_t)kind, .size = (uint8_t)size};
}

static void check_decoded(const struct payload *p, const struct want *w)
{
    struct decoded d;
    if (decode(p, &d))
        fail_msg("decode: %s", d.err);
    assert_int_equal(d.n, w->n);
    for (size_t i = 0; i < w->n; i++) {
        if (d.recs[i].kind != w->r[i].kind || d.recs[i].addr != w->r[i].addr ||
            d.recs[i].size != w->r[i].size)
            fail_msg("record %zu: kind %u addr %#llx size %u, expected kind %u addr %#llx size %u",
                     i, d.recs[i].kind, (unsigned long long)d.recs[i].addr, d.recs[i].size,
                     w->r[i].kind, (unsigned long long)w->r[i].addr, w->r[i].size);
    }
    free(d.recs);
}

static void check_rejected(const struct payload *p, const char *what)
{
    struct decoded d;
    if (!decode(p, &d)) {
        free(d.recs);
        fail_msg("%s: accepted, should be corrupt", what);
    }
    if (!strstr(d.err, "chunk 0 at byte") || !strstr(d.err, "corrupt record") ||
        !strstr(d.err, "near raw byte"))
        fail_msg("%s: unexpected error text: %s", what, d.err);
}

/* Plan 0: three instructions 0x1000 (4 bytes), 0x1004 (3), 0x1007 (2); plan 1: 0x2000 (5),
 * 0x2005 (1). */
static const uint64_t P0_ADDR[] = {0x1000, 0x1004, 0x1007};
static const unsigned P0_SIZE[] = {4, 3, 2};
static const uint64_t P1_ADDR[] = {0x2000, 0x2005};
static const unsigned P1_SIZE[] = {5, 1};

static void want_plan(struct want *w, const uint64_t *addrs, const unsigned *sizes, uint32_t from,
                      uint32_t count)
{
    for (uint32_t i = from; i < from + count; i++)
        want(w, MMT_IFETCH, addrs[i], sizes[i]);
}

/* A loop of two superblocks: plan 0 instruction 1 loads 8 bytes at 0x5000 + 0x40 i, plan 1
 * instruction 1 stores 4 bytes at 0x9000 + 8 i. After the first iterations every access
 * is one SITE_STRIDE byte and every superblock one NEXT byte, although the load and the
 * store alternate in the data stream (so its own STRIDE would not predict them). */
static void test_loop_site_stride_and_next(void **state)
{
    (void)state;
    static struct payload p;
    static struct want w;
    memset(&p, 0, sizeof p);
    memset(&w, 0, sizeof w);
    plan(&p, 0, P0_ADDR, P0_SIZE, 3);
    plan(&p, 1, P1_ADDR, P1_SIZE, 2);
    uint64_t stream = 0; /* the data stream's last address, for the DELTA records */
    for (uint64_t i = 0; i < 50; i++) {
        uint64_t load = 0x5000 + 0x40 * i, store = 0x9000 + 8 * i;
        /* superblock 0, instructions 0 and 1, the load, then instruction 2 */
        if (i < 2)
            run(&p, 0, 0, 2);
        else
            next(&p, 2); /* succ[1] = 0, set by the RUN of iteration 1 */
        if (i == 0)
            access_delta(&p, MMT_LOAD, 8, (int64_t)(load - stream));
        else if (i == 1)
            site_delta(&p, MMT_LOAD, 8, 0x40); /* the slot holds SA = 0x5000 */
        else
            site_stride(&p, MMT_LOAD, 8); /* SA + SD, SD = 0x40 */
        stream = load;
        more(&p, 1);
        want_plan(&w, P0_ADDR, P0_SIZE, 0, 2);
        want(&w, MMT_LOAD, load, 8);
        want(&w, MMT_IFETCH, P0_ADDR[2], P0_SIZE[2]);
        /* superblock 1 and its store */
        if (i == 0)
            run(&p, 1, 0, 2); /* sets succ[0] = 1 */
        else
            next(&p, 2);
        if (i == 0)
            access_delta(&p, MMT_STORE, 4, (int64_t)(store - stream));
        else if (i == 1)
            site_delta(&p, MMT_STORE, 4, 8);
        else
            site_stride(&p, MMT_STORE, 4);
        stream = store;
        want_plan(&w, P1_ADDR, P1_SIZE, 0, 2);
        want(&w, MMT_STORE, store, 4);
    }
    check_decoded(&p, &w);
}

/* One instruction making three data accesses each execution: a load (slot 0), a store and
 * a modify 8 bytes above it (both slot 1, k = 1 and k = 2). Execution i: load at
 * 0x10000 + 16 i, store at B = 0x20000 + 16 i, modify at B + 8. Slot 1 then holds
 * SA = B(i-1) + 8, SD = 8, so SITE_STRIDE predicts the store B(i-1) + 16 = B(i); after
 * the store SD = B(i) - B(i-1) - 8 = 8 and the modify is predicted too. */
static void test_two_slots_and_k_above_one(void **state)
{
    (void)state;
    static struct payload p;
    static struct want w;
    memset(&p, 0, sizeof p);
    memset(&w, 0, sizeof w);
    static const uint64_t addr[] = {0x400000};
    static const unsigned size[] = {3};
    plan(&p, 0, addr, size, 1);
    uint64_t stream = 0;
    for (uint64_t i = 0; i < 20; i++) {
        uint64_t a = 0x10000 + 16 * i, b = 0x20000 + 16 * i;
        if (i < 2)
            run(&p, 0, 0, 1); /* the second RUN sets succ[0] = 0 */
        else
            next(&p, 1);
        want(&w, MMT_IFETCH, 0x400000, 3);
        if (i == 0) {
            access_delta(&p, MMT_LOAD, 4, (int64_t)(a - stream));
            access_delta(&p, MMT_STORE, 8, (int64_t)(b - a));
            access_delta(&p, MMT_MODIFY, 8, 8);
        } else {
            if (i == 1)
                site_delta(&p, MMT_LOAD, 4, 16); /* slot 0: SA = 0x10000 */
            else
                site_stride(&p, MMT_LOAD, 4);
            site_stride(&p, MMT_STORE, 8);
            site_stride(&p, MMT_MODIFY, 8);
        }
        stream = b + 8;
        want(&w, MMT_LOAD, a, 4);
        want(&w, MMT_STORE, b, 8);
        want(&w, MMT_MODIFY, b + 8, 8);
    }
    check_decoded(&p, &w);
}

/* Every data access while a plan is current updates its slot, whatever its mode: here a
 * STRIDE and a SAME record (data-stream modes) train slot 0 of plan 0 instruction 0, and
 * a SITE_STRIDE then follows it; accesses made before any run (no current plan) do not. */
static void test_any_mode_updates_the_slot(void **state)
{
    (void)state;
    static struct payload p;
    static struct want w;
    memset(&p, 0, sizeof p);
    memset(&w, 0, sizeof w);
    access_delta(&p, MMT_LOAD, 8, 0x7000); /* no plan yet: the data stream only */
    want(&w, MMT_LOAD, 0x7000, 8);
    static const uint64_t addr[] = {0x500000, 0x500010};
    static const unsigned size[] = {4, 4};
    plan(&p, 0, addr, size, 2);
    run(&p, 0, 0, 1);
    want(&w, MMT_IFETCH, 0x500000, 4);
    put_byte(&p, tag(MMT_LOAD, 8, MMT_MODE_STRIDE)); /* 0x7000 + 0x7000 */
    p.nrecs++, p.kinds[MMT_LOAD]++;
    want(&w, MMT_LOAD, 0xe000, 8); /* slot 0: SA = 0xe000, SD = 0xe000 */
    more(&p, 1);                   /* instruction 1: its own slots */
    want(&w, MMT_IFETCH, 0x500010, 4);
    put_byte(&p, tag(MMT_LOAD, 8, MMT_MODE_SAME));
    p.nrecs++, p.kinds[MMT_LOAD]++;
    want(&w, MMT_LOAD, 0xe000, 8); /* plan 0 instruction 1 slot 0: SA = 0xe000, SD = 0xe000 */
    run(&p, 0, 0, 1);
    want(&w, MMT_IFETCH, 0x500000, 4);
    access_delta(&p, MMT_LOAD, 8, 0x100);
    want(&w, MMT_LOAD, 0xe100, 8); /* instruction 0 slot 0: SA = 0xe100, SD = 0x100 */
    run(&p, 0, 0, 1);
    want(&w, MMT_IFETCH, 0x500000, 4);
    site_stride(&p, MMT_LOAD, 8);
    want(&w, MMT_LOAD, 0xe200, 8);
    more(&p, 1);
    want(&w, MMT_IFETCH, 0x500010, 4);
    site_stride(&p, MMT_LOAD, 8);
    want(&w, MMT_LOAD, 0x1c000, 8); /* instruction 1 slot 0: 0xe000 + 0xe000 */
    /* a plain IFETCH record and an event do not change the site (no RUN, NEXT or MORE):
     * this load is k = 1 of instruction 1 (slot 1, still zero) */
    put_byte(&p, tag(MMT_IFETCH, 4, MMT_MODE_SEQ));
    p.nrecs++, p.kinds[MMT_IFETCH]++;
    want(&w, MMT_IFETCH, 0x500014, 4);
    site_delta(&p, MMT_STORE, 2, 0x33);
    want(&w, MMT_STORE, 0x33, 2);
    check_decoded(&p, &w);
}

/* succ[c] is set by RUN and NEXT, not by MORE; NEXT also in its varint form (count 33 of a
 * 40-instruction plan). */
static void test_successor_rules(void **state)
{
    (void)state;
    static struct payload p;
    static struct want w;
    memset(&p, 0, sizeof p);
    memset(&w, 0, sizeof w);
    static uint64_t a0[40], a1[1], a2[2];
    static unsigned s0[40], s1[1] = {7}, s2[2] = {2, 2};
    for (unsigned i = 0; i < 40; i++)
        a0[i] = 0x100000 + 3 * i, s0[i] = 3;
    a1[0] = 0x200000;
    a2[0] = 0x300000, a2[1] = 0x300010;
    plan(&p, 0, a0, s0, 40);
    plan(&p, 1, a1, s1, 1);
    plan(&p, 2, a2, s2, 2);
    run(&p, 2, 0, 1);
    want_plan(&w, a2, s2, 0, 1);
    run(&p, 1, 0, 1); /* succ[2] = 1 */
    want_plan(&w, a1, s1, 0, 1);
    run(&p, 2, 0, 1); /* succ[1] = 2 */
    want_plan(&w, a2, s2, 0, 1);
    more(&p, 1); /* plan 2 instruction 1: succ[2] stays 1 */
    want_plan(&w, a2, s2, 1, 1);
    next(&p, 1); /* plan 1 */
    want_plan(&w, a1, s1, 0, 1);
    next(&p, 2); /* plan 2, both instructions */
    want_plan(&w, a2, s2, 0, 2);
    run(&p, 0, 0, 1); /* succ[2] = 0 */
    want_plan(&w, a0, s0, 0, 1);
    run(&p, 2, 0, 1); /* succ[0] = 2 */
    want_plan(&w, a2, s2, 0, 1);
    next(&p, 33); /* 0xE5 33: plan 0, instructions 0..32 */
    want_plan(&w, a0, s0, 0, 33);
    more(&p, 7); /* to its end */
    want_plan(&w, a0, s0, 33, 7);
    next(&p, 1); /* succ[0] = 2 */
    want_plan(&w, a2, s2, 0, 1);
    next(&p, 40); /* succ[2] = 0: all of plan 0, 0xE5 40 */
    want_plan(&w, a0, s0, 0, 40);
    check_decoded(&p, &w);
}

/* A NEXT leaves the fetch stream as a RUN does: a plain SEQ and a STRIDE fetch follow it. */
static void test_fetch_stream_after_next(void **state)
{
    (void)state;
    static struct payload p;
    static struct want w;
    memset(&p, 0, sizeof p);
    memset(&w, 0, sizeof w);
    plan(&p, 0, P0_ADDR, P0_SIZE, 3);
    run(&p, 0, 0, 3);
    run(&p, 0, 0, 1); /* succ[0] = 0 */
    next(&p, 3);
    want_plan(&w, P0_ADDR, P0_SIZE, 0, 3);
    want_plan(&w, P0_ADDR, P0_SIZE, 0, 1);
    want_plan(&w, P0_ADDR, P0_SIZE, 0, 3);
    put_byte(&p, tag(MMT_IFETCH, 1, MMT_MODE_SEQ)); /* A + S = 0x1007 + 2 */
    put_byte(&p, tag(MMT_IFETCH, 1, MMT_MODE_STRIDE)); /* D = 2 */
    p.nrecs += 2, p.kinds[MMT_IFETCH] += 2;
    want(&w, MMT_IFETCH, 0x1009, 1);
    want(&w, MMT_IFETCH, 0x1009 + 2, 1);
    next(&p, 1); /* a run of one: D = its fetch minus the stream's previous A */
    put_byte(&p, tag(MMT_IFETCH, 4, MMT_MODE_STRIDE));
    p.nrecs++, p.kinds[MMT_IFETCH]++;
    want_plan(&w, P0_ADDR, P0_SIZE, 0, 1);
    want(&w, MMT_IFETCH, 0x1000 + (0x1000 - 0x100b), 4);
    check_decoded(&p, &w);
}

/* Each malformed use of the 1.2 records is rejected; the control next to it, which differs
 * only in the point under test, decodes. */
static void test_corrupt_cases(void **state)
{
    (void)state;
    static struct payload p;
    static const uint64_t addr[] = {0x1000};
    static const unsigned size[] = {4};

    /* a site mode with no current plan (before any run; the plan exists) */
    memset(&p, 0, sizeof p);
    plan(&p, 0, addr, size, 1);
    site_stride(&p, MMT_LOAD, 8);
    check_rejected(&p, "SITE_STRIDE without a plan");
    memset(&p, 0, sizeof p);
    site_delta(&p, MMT_STORE, 8, 5);
    check_rejected(&p, "SITE_DELTA without a plan");
    memset(&p, 0, sizeof p);
    plan(&p, 0, addr, size, 1);
    run(&p, 0, 0, 1);
    site_stride(&p, MMT_LOAD, 8);
    site_delta(&p, MMT_MODIFY, 8, -5);
    struct decoded d;
    if (decode(&p, &d))
        fail_msg("control: %s", d.err);
    assert_int_equal(d.n, 3);
    assert_int_equal(d.recs[2].addr, (uint64_t)-5);
    free(d.recs);

    /* a site mode on an instruction fetch */
    memset(&p, 0, sizeof p);
    plan(&p, 0, addr, size, 1);
    run(&p, 0, 0, 1);
    site_stride(&p, MMT_IFETCH, 4);
    check_rejected(&p, "SITE_STRIDE on an ifetch");
    memset(&p, 0, sizeof p);
    plan(&p, 0, addr, size, 1);
    run(&p, 0, 0, 1);
    site_delta(&p, MMT_IFETCH, 4, 1);
    check_rejected(&p, "SITE_DELTA on an ifetch");

    /* NEXT with no current plan */
    memset(&p, 0, sizeof p);
    plan(&p, 0, addr, size, 1);
    next(&p, 1);
    check_rejected(&p, "NEXT without a current plan");
    /* NEXT when the current plan has no successor */
    memset(&p, 0, sizeof p);
    plan(&p, 0, addr, size, 1);
    run(&p, 0, 0, 1);
    next(&p, 1);
    check_rejected(&p, "NEXT without a successor");
    /* ... MORE does not give it one */
    memset(&p, 0, sizeof p);
    static const uint64_t addr2[] = {0x1000, 0x1004};
    static const unsigned size2[] = {4, 4};
    plan(&p, 0, addr2, size2, 2);
    run(&p, 0, 0, 1);
    more(&p, 1);
    next(&p, 1);
    check_rejected(&p, "NEXT after MORE only");
    /* NEXT of more instructions than the successor has, short and varint forms */
    memset(&p, 0, sizeof p);
    plan(&p, 0, addr, size, 1);
    run(&p, 0, 0, 1);
    run(&p, 0, 0, 1);
    next(&p, 2);
    check_rejected(&p, "NEXT count 2 > n = 1");
    memset(&p, 0, sizeof p);
    plan(&p, 0, addr, size, 1);
    run(&p, 0, 0, 1);
    run(&p, 0, 0, 1);
    next(&p, 33);
    check_rejected(&p, "NEXT (0xE5) count 33 > n = 1");
    memset(&p, 0, sizeof p);
    plan(&p, 0, addr, size, 1);
    run(&p, 0, 0, 1);
    run(&p, 0, 0, 1);
    put_byte(&p, MMT_TAG_NEXT);
    put_varint(&p, 0);
    check_rejected(&p, "NEXT (0xE5) count 0");
    memset(&p, 0, sizeof p);
    plan(&p, 0, addr, size, 1);
    run(&p, 0, 0, 1);
    run(&p, 0, 0, 1);
    next(&p, 1);
    if (decode(&p, &d))
        fail_msg("control: %s", d.err);
    assert_int_equal(d.n, 3);
    free(d.recs);
    /* a NEXT varint cut at the end of the payload */
    memset(&p, 0, sizeof p);
    plan(&p, 0, addr, size, 1);
    run(&p, 0, 0, 1);
    run(&p, 0, 0, 1);
    put_byte(&p, MMT_TAG_NEXT);
    put_byte(&p, 0x81);
    p.nrecs += 1;
    check_rejected(&p, "NEXT (0xE5) varint cut");

    /* the reserved tags */
    for (unsigned t = 0xE6; t <= 0xE7; t++) {
        memset(&p, 0, sizeof p);
        plan(&p, 0, addr, size, 1);
        run(&p, 0, 0, 1);
        put_byte(&p, t);
        p.nrecs++;
        check_rejected(&p, "reserved tag");
    }

    /* successors and site slots do not carry over into the next chunk */
    char path[] = "/tmp/test_mmt_sites.XXXXXX", err[512];
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    close(fd);
    struct mmt_writer *w = mmt_writer_open(path, NULL, err, sizeof err);
    assert_non_null(w);
    memset(&p, 0, sizeof p);
    plan(&p, 0, addr, size, 1);
    run(&p, 0, 0, 1);
    run(&p, 0, 0, 1);
    struct mmt_chunk_in c = {.raw = p.b, .len = p.len, .nrecs = p.nrecs};
    assert_int_equal(mmt_writer_put_chunk(w, &c), 0);
    memset(&p, 0, sizeof p);
    plan(&p, 0, addr, size, 1);
    next(&p, 1);
    c = (struct mmt_chunk_in){.raw = p.b, .len = p.len, .nrecs = p.nrecs};
    assert_int_equal(mmt_writer_put_chunk(w, &c), 0);
    assert_int_equal(mmt_writer_close(w, err, sizeof err), 0);
    struct mmt_reader *r = mmt_reader_open(path, err, sizeof err);
    assert_non_null(r);
    const struct mmt_rec *recs;
    size_t n;
    assert_int_equal(mmt_reader_next(r, &recs, &n), 1);
    assert_int_equal(n, 2);
    assert_int_equal(mmt_reader_next(r, &recs, &n), -1);
    assert_non_null(strstr(mmt_reader_error(r), "chunk 1 at byte"));
    mmt_reader_close(r);
    unlink(path);
}

/* PLANs defined while another plan is current (the site table grows and may move under
 * the current site): the current site and its slots survive, without a new run. */
static void test_plan_after_run_keeps_site(void **state)
{
    (void)state;
    static struct payload p;
    static struct want w;
    memset(&p, 0, sizeof p);
    memset(&w, 0, sizeof w);
    static const uint64_t addr[] = {0x1000};
    static const unsigned size[] = {4};
    plan(&p, 0, addr, size, 1);
    run(&p, 0, 0, 1);
    want(&w, MMT_IFETCH, 0x1000, 4);
    access_delta(&p, MMT_LOAD, 8, 0x4000); /* slot 0: SA = 0x4000 */
    want(&w, MMT_LOAD, 0x4000, 8);
    /* enough plan instructions to outgrow the tables' first allocation */
    static uint64_t big[MMT_MAX_PLAN_INSNS];
    static unsigned bsz[MMT_MAX_PLAN_INSNS];
    for (unsigned i = 0; i < MMT_MAX_PLAN_INSNS; i++)
        big[i] = 0x800000 + 4 * i, bsz[i] = 4;
    for (uint32_t id = 1; id <= 3; id++)
        plan(&p, id, big, bsz, MMT_MAX_PLAN_INSNS);
    access_delta(&p, MMT_STORE, 8, 0x2000); /* k = 1, slot 1: SA = 0x6000 */
    want(&w, MMT_STORE, 0x6000, 8);
    site_delta(&p, MMT_MODIFY, 8, 8); /* k = 2, slot 1: SA = 0x6008, SD = 8 */
    want(&w, MMT_MODIFY, 0x6008, 8);
    run(&p, 0, 0, 1);
    want(&w, MMT_IFETCH, 0x1000, 4);
    site_delta(&p, MMT_LOAD, 8, 0x10);
    want(&w, MMT_LOAD, 0x4010, 8);
    site_stride(&p, MMT_STORE, 8);
    want(&w, MMT_STORE, 0x6010, 8);
    run(&p, 3, 511, 1); /* a slot of the last plan, zero when read */
    want(&w, MMT_IFETCH, 0x800000 + 4 * 511, 4);
    site_delta(&p, MMT_LOAD, 8, 0x77);
    want(&w, MMT_LOAD, 0x77, 8);
    check_decoded(&p, &w);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_loop_site_stride_and_next),
        cmocka_unit_test(test_two_slots_and_k_above_one),
        cmocka_unit_test(test_any_mode_updates_the_slot),
        cmocka_unit_test(test_successor_rules),
        cmocka_unit_test(test_fetch_stream_after_next),
        cmocka_unit_test(test_corrupt_cases),
        cmocka_unit_test(test_plan_after_run_keeps_site),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
