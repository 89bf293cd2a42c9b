/* test_sim.c - the engine through its public header (sim.h), fed from in-memory sources:
 * hand-computed cycles, faults and TLB misses, page-crossing accesses, munmap shootdowns,
 * paging-structure caches, walker accesses counted apart in the caches, two processes on
 * one CPU, events-only traces, the timeline, two sims that share nothing, and sim_stat's
 * keys and values equal to the JSON report's numbers. */
#include <setjmp.h>
#include <stdarg.h>
#include <math.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "analysis/jsonflat.h"
#include "common/util.h"
#include "model/config.h"
#include "model/sim.h"

/* ---- an in-memory source: records in batches of `batch`, one event table ---- */
struct mem_src {
    struct mmt_rec recs[8192];
    struct mmt_event evs[64];
    size_t n, nev, pos, batch;
};

static int src_next(void *ctx, const struct mmt_rec **recs, size_t *n)
{
    struct mem_src *m = ctx;
    if (m->pos >= m->n)
        return 0;
    size_t k = m->n - m->pos < m->batch ? m->n - m->pos : m->batch;
    *recs = m->recs + m->pos;
    *n = k;
    m->pos += k;
    return 1;
}

static const struct mmt_event *src_event(void *ctx, uint32_t idx)
{
    struct mem_src *m = ctx;
    return idx < m->nev ? &m->evs[idx] : NULL;
}

/* every writer of recs and evs checks its room first: a test that outgrows them fails
 * here, not by writing past the end */
static void room_for_one_more(const struct mem_src *m)
{
    assert_true(m->n < sizeof m->recs / sizeof m->recs[0]);
    assert_true(m->nev < sizeof m->evs / sizeof m->evs[0]);
}

static void add(struct mem_src *m, unsigned kind, uint64_t addr, unsigned size)
{
    room_for_one_more(m);
    m->recs[m->n++] = (struct mmt_rec){.addr = addr, .kind = (uint8_t)kind, .size = (uint8_t)size};
}

static void add_switch(struct mem_src *m, uint32_t pid)
{
    room_for_one_more(m);
    m->recs[m->n++] = (struct mmt_rec){.addr = pid, .kind = MMT_SWITCH, .aux = pid};
}

static void add_event(struct mem_src *m, unsigned type, uint64_t a0, uint64_t a1)
{
    room_for_one_more(m);
    struct mmt_event *e = &m->evs[m->nev];
    memset(e, 0, sizeof *e);
    e->type = (uint16_t)type;
    e->nargs = 2;
    e->args[0] = a0;
    e->args[1] = a1;
    m->recs[m->n++] = (struct mmt_rec){.kind = MMT_EVENT, .aux = (uint32_t)m->nev++};
}

/* an anonymous private read-write-execute mapping, as the trace of a real program has */
static void add_mmap(struct mem_src *m, uint64_t addr, uint64_t len)
{
    room_for_one_more(m);
    struct mmt_event *e = &m->evs[m->nev];
    memset(e, 0, sizeof *e);
    e->type = MMT_EV_MMAP;
    e->nargs = 6;
    e->args[0] = addr;
    e->args[1] = len;
    e->args[2] = 7;    /* PROT_READ | PROT_WRITE | PROT_EXEC */
    e->args[3] = 0x32; /* MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED */
    e->args[4] = UINT64_MAX; /* fd -1 */
    e->result = (int64_t)addr;
    m->recs[m->n++] = (struct mmt_rec){.kind = MMT_EVENT, .aux = (uint32_t)m->nev++};
}

static struct mem_src *new_src(void)
{
    struct mem_src *m = calloc(1, sizeof *m);
    assert_non_null(m);
    m->batch = 7; /* small batches: the loop crosses batch ends often */
    return m;
}

static struct sim *make_sim(const char *ini, char **sets, int nsets)
{
    struct mmsim_config c;
    char err[512];
    config_defaults(&c);
    if (config_load_string(&c, ini, "test.ini", err, sizeof err))
        fail_msg("%s", err);
    for (int i = 0; i < nsets; i++)
        if (config_set(&c, sets[i], i + 1, err, sizeof err))
            fail_msg("%s", err);
    if (config_validate(&c, err, sizeof err))
        fail_msg("%s", err);
    struct sim *s = sim_new(&c, err, sizeof err);
    if (!s)
        fail_msg("%s", err);
    return s;
}

static void run(struct sim *s, struct mem_src **srcs, int n)
{
    char err[512];
    for (int i = 0; i < n; i++) {
        struct sim_source so = {src_next, src_event, NULL, srcs[i], 0};
        char name[16];
        snprintf(name, sizeof name, "src%d", i);
        assert_true(sim_add_source(s, name, &so, err, sizeof err) >= 0);
    }
    if (sim_run(s, err, sizeof err))
        fail_msg("%s", err);
}

static double stat(struct sim *s, const char *key)
{
    double v;
    if (sim_stat(s, key, &v))
        fail_msg("no stat %s", key);
    return v;
}

/* The JSON report of s, as a string to free (its length in *len when len is given). */
static char *report_json(struct sim *s, size_t *len_out)
{
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    struct json j;
    json_init(&j, f, 0);
    sim_report_json(s, &j);
    json_end(&j);
    fclose(f);
    if (len_out)
        *len_out = len;
    return buf;
}

static const char *simple_ini =
    "[cpu]\nbase_cpi = 2\n"
    "[tlb.l1d]\nentries = 64\nways = 0\n"
    "[walker]\nmemory_latency = 100\n"
    "[memory]\nunlimited = 1\n"
    "[timing]\nminor_fault = 1000\n";

/* A A B B C C (loads, no fetches): 6 instructions at CPI 2; each new page is one TLB miss,
 * a walk that stops at the first entry not present, a fault (1000), a second walk of 4
 * reads (400). A and B sit under different PML4 entries: their first walks read the root
 * only (100); C shares all tables with A: its first walk reads 4 levels (400). */
static void test_hand_computed_cycles(void **state)
{
    (void)state;
    struct mem_src *m = new_src();
    uint64_t pages[3] = {0x10000, 0x7f0000001000, 0x20000};
    for (int i = 0; i < 3; i++)
        add_mmap(m, pages[i], 4096);
    for (int i = 0; i < 3; i++) {
        add(m, MMT_LOAD, pages[i] + 8, 8);
        add(m, MMT_LOAD, pages[i] + 64, 4);
    }
    struct sim *s = make_sim(simple_ini, NULL, 0);
    run(s, &m, 1);
    assert_int_equal(stat(s, "instructions"), 6);
    assert_int_equal(stat(s, "accesses"), 6);
    assert_int_equal(stat(s, "tlb.l1d.lookups"), 6);
    assert_int_equal(stat(s, "tlb.l1d.misses"), 3);
    assert_int_equal(stat(s, "faults.minor"), 3);
    assert_int_equal(stat(s, "walks"), 6);
    assert_int_equal(stat(s, "walk_cycles"), 100 + 100 + 400 + 3 * 400);
    assert_int_equal(stat(s, "cycles"), 6 * 2 + 1800 + 3 * 1000);
    assert_true(stat(s, "cpi") == (6 * 2 + 1800 + 3000) / 6.0);
    assert_true(stat(s, "cpi_breakdown.base") == 2.0);
    assert_true(stat(s, "cpi_breakdown.fault") == 500.0);
    sim_free(s);
    free(m);
}

/* fetches count the instructions when the trace has them */
static void test_fetches_are_instructions(void **state)
{
    (void)state;
    struct mem_src *m = new_src();
    add_mmap(m, 0x400000, 4096);
    add_mmap(m, 0x600000, 4096);
    for (int i = 0; i < 10; i++) {
        add(m, MMT_IFETCH, 0x400000 + i * 4, 4);
        add(m, MMT_STORE, 0x600000 + i * 8, 8);
        add(m, MMT_MODIFY, 0x600100, 4);
    }
    struct sim *s = make_sim(simple_ini, NULL, 0);
    run(s, &m, 1);
    assert_int_equal(stat(s, "instructions"), 10);
    assert_int_equal(stat(s, "ifetches"), 10);
    assert_int_equal(stat(s, "accesses"), 30);
    assert_int_equal(stat(s, "tlb.l1d.lookups"), 20); /* no ITLB: fetches are not looked up */
    assert_int_equal(stat(s, "faults.minor"), 2);     /* code page and data page */
    sim_free(s);
    free(m);
}

/* An access spanning two pages looks up both and faults on both. */
static void test_page_crossing(void **state)
{
    (void)state;
    struct mem_src *m = new_src();
    add_mmap(m, 0x10000, 2 * 4096);
    add(m, MMT_LOAD, 0x10ffc, 8);
    add(m, MMT_LOAD, 0x10ff8, 8); /* inside the first page only */
    struct sim *s = make_sim(simple_ini, NULL, 0);
    run(s, &m, 1);
    assert_int_equal(stat(s, "tlb.l1d.lookups"), 3);
    assert_int_equal(stat(s, "tlb.l1d.misses"), 2);
    assert_int_equal(stat(s, "faults.minor"), 2);
    sim_free(s);
    free(m);
}

/* Cache stalls by hand: L1D (4 cycles, hidden in the base CPI) then memory. A load that
 * straddles two lines misses both: 2 x (memory - 4). With memory configured faster than
 * the L1 (0: memory left out of the time) the stall is 0, never a wrapped count. */
static void test_line_straddling_stall(void **state)
{
    (void)state;
    const char *ini = "[cpu]\nbase_cpi = 1\n[memory]\nunlimited = 1\nlatency = %s\n"
                      "[cache.l1d]\nsize = 4K\nways = 4\nline = 64\nlatency = 4\n";
    const char *lats[] = {"100", "0"};
    for (int i = 0; i < 2; i++) {
        char buf[256];
        snprintf(buf, sizeof buf, ini, lats[i]);
        struct mem_src *m = new_src();
        add_mmap(m, 0x10000, 4096);
        add(m, MMT_LOAD, 0x1003c, 8); /* bytes 0x3c..0x43: lines 0 and 1 */
        struct sim *s = make_sim(buf, NULL, 0);
        run(s, &m, 1);
        assert_int_equal(stat(s, "cache.l1d.misses"), 2);
        assert_int_equal(stat(s, "cycles_breakdown.cache"), i == 0 ? 2 * (100 - 4) : 0);
        sim_free(s);
        free(m);
    }
}

/* munmap drops the translations: touching the range again misses and faults again. */
static void test_munmap_invalidates(void **state)
{
    (void)state;
    struct mem_src *m = new_src();
    add_mmap(m, 0x100000, 4 * 4096);
    for (int i = 0; i < 4; i++)
        add(m, MMT_STORE, 0x100000 + i * 4096, 8);
    add_event(m, MMT_EV_MUNMAP, 0x101000, 2 * 4096);
    add_mmap(m, 0x101000, 2 * 4096); /* mapped again: fresh pages */
    for (int i = 0; i < 4; i++)
        add(m, MMT_LOAD, 0x100000 + i * 4096, 8);
    struct sim *s = make_sim(simple_ini, NULL, 0);
    run(s, &m, 1);
    assert_int_equal(stat(s, "tlb.l1d.misses"), 4 + 2);
    assert_int_equal(stat(s, "faults.minor"), 4 + 2);
    assert_int_equal(stat(s, "tlb.l1d.invalidations"), 2);
    sim_free(s);
    free(m);
}

/* PDE cache: after the first walk in a 2 MiB region, walks read only the PTE. Walker reads
 * go through the data cache and are counted apart from the program's. */
static void test_psc_and_walk_cache_accesses(void **state)
{
    (void)state;
    struct mem_src *m = new_src();
    add_mmap(m, 0x200000, 8 * 4096);
    for (int i = 0; i < 8; i++) /* stores: loads would all read the shared zero page */
        add(m, MMT_STORE, 0x200000 + i * 4096, 8);
    const char *ini = "[tlb.l1d]\nentries = 64\n[walker]\nmemory_latency = 100\npsc.pd.entries = 4\n"
                      "psc.pdpt.entries = 2\npsc.pml4.entries = 2\n[memory]\nunlimited = 1\n";
    char *sets[] = {"cache.l1d.size=4K", "cache.l1d.ways=4", "cache.l1d.line=64", "cache.l1d.latency=3"};
    struct sim *s = make_sim(ini, sets, 4);
    run(s, &m, 1);
    /* 8 pages: 8 misses, 8 faults, 16 walks. Walk 1 stops at the empty root (1 read), its
     * retry reads all 4 levels; every later walk hits the PDE cache: 1 read (L1). */
    assert_int_equal(stat(s, "walks"), 16);
    assert_int_equal(stat(s, "walker.reads.L4"), 2);
    assert_int_equal(stat(s, "walker.reads.L3"), 1);
    assert_int_equal(stat(s, "walker.reads.L2"), 1);
    assert_int_equal(stat(s, "walker.reads.L1"), 1 + 14);
    assert_int_equal(stat(s, "walker.psc.pd.hits"), 14);
    assert_int_equal(stat(s, "cache.l1d.walk_lookups"), 2 + 1 + 1 + 15);
    assert_int_equal(stat(s, "cache.l1d.lookups"), 8);
    assert_int_equal(stat(s, "cache.l1d.misses"), 8);
    /* the PTEs of 8 neighbouring pages share one 64-byte line: 1 walk miss for it */
    assert_true(stat(s, "cache.l1d.walk_misses") <= 5);
    sim_free(s);
    free(m);
}

/* Two traces on one CPU with a short quantum: two processes, switches, no shared state. */
static void test_two_processes_round_robin(void **state)
{
    (void)state;
    struct mem_src *a = new_src(), *b = new_src();
    add_switch(a, 100);
    add_switch(b, 100); /* same pid in another trace: still another process */
    add_mmap(a, 0x1000000, 32 * 4096);
    add_mmap(b, 0x1000000, 32 * 4096);
    for (int i = 0; i < 1000; i++) {
        add(a, MMT_LOAD, 0x1000000 + (uint64_t)(i % 16) * 4096, 8);
        add(b, MMT_LOAD, 0x1000000 + (uint64_t)(i % 32) * 4096, 8);
    }
    const char *ini = "[cpu]\nquantum = 500\ncontext_switch = 10\npcid = 0\n"
                      "[tlb.l1d]\nentries = 64\n[memory]\nunlimited = 1\n";
    struct sim *s = make_sim(ini, NULL, 0);
    struct mem_src *both[2] = {a, b};
    run(s, both, 2);
    assert_int_equal(stat(s, "accesses"), 2000);
    assert_int_equal(stat(s, "faults.minor"), 16 + 32);
    double sw = stat(s, "context_switches");
    assert_true(sw >= 2);
    /* without PCID every switch flushes: each slice starts with compulsory TLB misses */
    assert_true(stat(s, "tlb.l1d.misses") > 16 + 32);
    assert_true(stat(s, "tlb.l1d.flushes") >= sw);
    char *buf = report_json(s, NULL);
    assert_non_null(strstr(buf, "\"processes\":[{\"pid\":100,\"trace\":\"src0\""));
    assert_non_null(strstr(buf, "{\"pid\":100,\"trace\":\"src1\""));
    assert_non_null(strstr(buf, "\"tlb\":{\"l1d\":{\"lookups\":2000"));
    free(buf);
    sim_free(s);
    free(a);
    free(b);
}

/* Events-only traces: page-fault events go to the fault handler; no accesses. */
static void test_events_only(void **state)
{
    (void)state;
    struct mem_src *m = new_src();
    add_mmap(m, 0x5000000, 5 * 4096);
    for (int i = 0; i < 5; i++)
        add_event(m, MMT_EV_PAGE_FAULT, 0x5000000 + (uint64_t)i * 4096, 1);
    struct sim *s = make_sim(simple_ini, NULL, 0);
    run(s, &m, 1);
    assert_int_equal(stat(s, "faults.minor"), 5);
    assert_int_equal(stat(s, "accesses"), 0);
    char *buf = report_json(s, NULL);
    assert_non_null(strstr(buf, "\"events_only\":true"));
    assert_non_null(strstr(buf, "\"unavailable\":[\"tlb\",\"cache\""));
    free(buf);
    sim_free(s);
    free(m);
}

static void test_timeline_rows(void **state)
{
    (void)state;
    struct mem_src *m = new_src();
    add_mmap(m, 0x1000, 8 * 4096);
    for (int i = 0; i < 1000; i++)
        add(m, MMT_LOAD, 0x1000 + (uint64_t)(i % 8) * 4096, 4);
    char *sets[] = {"stats.sample_interval=100"};
    struct sim *s = make_sim(simple_ini, sets, 1);
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    sim_set_timeline(s, f);
    run(s, &m, 1);
    fclose(f);
    double cycles = stat(s, "cycles");
    int rows = 0;
    for (char *p = buf; *p; p++)
        rows += *p == '\n';
    rows--; /* header */
    /* one row per 100 cycles, plus the final row */
    assert_int_equal(rows, (int)(cycles / 100) + 1);
    assert_non_null(strstr(buf, "cycles,instructions,accesses"));
    free(buf);
    sim_free(s);
    free(m);
}

/* Two sims in one process: running one changes nothing in the other. */
static void test_sims_share_nothing(void **state)
{
    (void)state;
    struct mem_src *a = new_src(), *b = new_src();
    add_mmap(a, 0, 100 * 4096);
    add_mmap(b, 0, 100 * 4096);
    for (int i = 0; i < 300; i++) {
        add(a, MMT_LOAD, (uint64_t)(i % 100) * 4096, 8);
        add(b, MMT_LOAD, (uint64_t)(i % 100) * 4096, 8);
    }
    char *rnd[] = {"tlb.l1d.policy=random", "tlb.l1d.seed=9"};
    struct sim *s1 = make_sim(simple_ini, rnd, 2), *s2 = make_sim(simple_ini, rnd, 2);
    run(s1, &a, 1);
    run(s2, &b, 1);
    assert_true(stat(s1, "tlb.l1d.misses") == stat(s2, "tlb.l1d.misses"));
    assert_true(stat(s1, "cycles") == stat(s2, "cycles"));
    sim_free(s1);
    sim_free(s2);
    free(a);
    free(b);
}

/* A child whose records come before its fork event (as Valgrind may serialise them) gets a
 * copy of the process that ran last; the late fork event and switches to exited pids make
 * no further processes. */
static void test_child_before_fork_event(void **state)
{
    (void)state;
    struct mem_src *m = new_src();
    add_switch(m, 100);
    add_mmap(m, 0x700000, 4 * 4096);
    add(m, MMT_STORE, 0x700000, 8);
    add_switch(m, 200); /* the child runs before its fork event is seen */
    for (int i = 0; i < 4; i++)
        add(m, MMT_STORE, 0x700000 + (uint64_t)i * 4096, 8);
    add_event(m, MMT_EV_EXIT, 0, 1);
    add_switch(m, 100);
    add_event(m, MMT_EV_FORK, 200, 0); /* late */
    add_switch(m, 200);                /* a switch to the exited child: nothing to run */
    add_switch(m, 100);
    add(m, MMT_LOAD, 0x700000, 8);
    struct sim *s = make_sim(simple_ini, NULL, 0);
    run(s, &m, 1);
    assert_int_equal(stat(s, "faults.segv"), 0);
    char *buf = report_json(s, NULL);
    assert_non_null(strstr(buf, "\"processes_before_fork\":1"));
    /* exactly two processes: 100 and 200 */
    int n = 0;
    for (char *q = strstr(buf, "{\"pid\":"); q; q = strstr(q + 1, "{\"pid\":"))
        n++;
    assert_int_equal(n, 2);
    free(buf);
    sim_free(s);
    free(m);
}

/* A child made with CLONE_VM (vfork, posix_spawn) runs in its parent's address space: no
 * page is write-protected, its exec leaves the parent's pages alone. A plain fork's child
 * copies what it writes and the parent's next writes fault again (hand-counted below). */
static uint64_t faults_after_child(uint64_t clone_flags, uint64_t *parent_faults)
{
    struct mem_src *m = new_src();
    add_switch(m, 100);
    add_mmap(m, 0x700000, 4 * 4096);
    for (int i = 0; i < 4; i++)
        add(m, MMT_STORE, 0x700000 + (uint64_t)i * 4096, 8); /* 4 faults */
    add_event(m, MMT_EV_FORK, 200, clone_flags);
    add_switch(m, 200);
    add(m, MMT_STORE, 0x700000, 8); /* vfork: present; fork: a COW copy */
    add_event(m, MMT_EV_EXEC, 0, 0);
    add_mmap(m, 0x900000, 4096);
    add(m, MMT_STORE, 0x900000, 8); /* 1 fault in the new image */
    add_event(m, MMT_EV_EXIT, 0, 1);
    add_switch(m, 100);
    for (int i = 0; i < 4; i++)
        add(m, MMT_STORE, 0x700000 + (uint64_t)i * 4096, 8); /* vfork: none; fork: 4 */
    struct sim *s = make_sim(simple_ini, NULL, 0);
    run(s, &m, 1);
    assert_int_equal(stat(s, "faults.segv"), 0);
    char *buf = report_json(s, NULL);
    const char *pp = strstr(buf, "{\"pid\":100,");
    assert_non_null(pp);
    const char *minor = strstr(pp, "\"minor\":");
    assert_non_null(minor);
    *parent_faults = strtoull(minor + strlen("\"minor\":"), NULL, 10);
    free(buf);
    uint64_t total = (uint64_t)stat(s, "faults.minor");
    sim_free(s);
    free(m);
    return total;
}

static void test_vfork_shares_the_address_space(void **state)
{
    (void)state;
    uint64_t parent;
    assert_int_equal(faults_after_child(0x4111 /* CLONE_VM|CLONE_VFORK|SIGCHLD */, &parent), 5);
    assert_int_equal(parent, 4);
    assert_int_equal(faults_after_child(0x11 /* SIGCHLD */, &parent), 10);
    assert_int_equal(parent, 8);
}

/* A vfork child that exits without exec leaves its parent's address space whole: the
 * parent's pages stay mapped (no fault on its next writes, no SIGSEGV) and the child's
 * write to a new page counts for the child. */
static void test_vfork_child_exit_keeps_parent_mm(void **state)
{
    (void)state;
    struct mem_src *m = new_src();
    add_switch(m, 100);
    add_mmap(m, 0x700000, 4 * 4096);
    for (int i = 0; i < 3; i++)
        add(m, MMT_STORE, 0x700000 + (uint64_t)i * 4096, 8); /* 3 faults */
    add_event(m, MMT_EV_FORK, 200, 0x4111);
    add_switch(m, 200);
    add(m, MMT_STORE, 0x700000 + 3 * 4096, 8); /* the child's fault, in the shared space */
    add_event(m, MMT_EV_EXIT, 0, 1);
    add_switch(m, 100);
    for (int i = 0; i < 4; i++)
        add(m, MMT_STORE, 0x700000 + (uint64_t)i * 4096, 8); /* all present */
    struct sim *s = make_sim(simple_ini, NULL, 0);
    run(s, &m, 1);
    assert_int_equal(stat(s, "faults.segv"), 0);
    assert_int_equal(stat(s, "faults.minor"), 4);
    sim_free(s);
    free(m);
}

/* A shared last-level cache: one instance for both CPUs. Each process loops over 48 KiB
 * (768 lines); private 64 KiB LLCs hold each loop (only the 2 x 768 first misses), one
 * shared 64 KiB LLC cannot hold both and thrashes. Fully associative, so that where the
 * frames fall in physical memory does not matter. */
static void test_shared_llc(void **state)
{
    (void)state;
    struct mem_src *a = new_src(), *b = new_src();
    add_mmap(a, 0x1000000, 12 * 4096);
    add_mmap(b, 0x1000000, 12 * 4096);
    for (int pass = 0; pass < 3; pass++)
        for (uint64_t i = 0; i < 768; i++) {
            add(a, MMT_STORE, 0x1000000 + i * 64, 8);
            add(b, MMT_STORE, 0x1000000 + i * 64, 8);
        }
    const char *ini = "[cpu]\ncount = 2\nquantum = 2000\n[tlb.l1d]\nentries = 64\n[memory]\nunlimited = 1\n"
                      "[cache.l1d]\nsize = 4K\nways = 4\nline = 64\nnext = llc\n"
                      "[cache.llc]\nkind = unified\nsize = 64K\nways = 0\nline = 64\n";
    char *shared[] = {"cache.llc.shared=1"};
    struct sim *s1 = make_sim(ini, shared, 1), *s2 = make_sim(ini, NULL, 0);
    struct mem_src *both[2] = {a, b};
    run(s1, both, 2);
    a->pos = b->pos = 0;
    run(s2, both, 2);
    assert_int_equal(stat(s2, "cache.llc.misses"), 2 * 768);
    assert_int_equal(stat(s1, "cache.llc.misses"), 3 * 2 * 768); /* cyclic: LRU keeps missing */
    /* every L1 miss goes to the LLC, counted once whether it is shared or not */
    assert_int_equal(stat(s1, "cache.llc.lookups"), stat(s1, "cache.l1d.misses"));
    assert_int_equal(stat(s2, "cache.llc.lookups"), stat(s2, "cache.l1d.misses"));
    sim_free(s1);
    sim_free(s2);
    free(a);
    free(b);
}

/* The kernel's accesses to user memory (format 1.3 events): a system call's write into a
 * fresh buffer faults its pages in as write faults, so the program's later reads and writes
 * of them take no fault: one fault a page, whether or not the kernel maps the zero page on a
 * read fault. A kernel read of a fresh page is one (read) fault. Each page is one dTLB
 * lookup, each line one L1D access; none is an instruction or an access of the program. */
static void test_kernel_accesses(void **state)
{
    (void)state;
    struct mem_src *m = new_src();
    add_mmap(m, 0x100000, 16 * 4096);
    add_event(m, MMT_EV_KERNEL_WRITE, 0x100000, 4 * 4096); /* read(fd, buf, 16 KiB) */
    for (int i = 0; i < 4; i++) {
        add(m, MMT_LOAD, 0x100000 + i * 4096 + 8, 8);
        add(m, MMT_STORE, 0x100000 + i * 4096 + 16, 8);
    }
    add_event(m, MMT_EV_KERNEL_READ, 0x105000 + 100, 50); /* write(fd, buf, 50): one page */
    /* a read(2) running past the mapping: EFAULT at the first unmapped page, no signal */
    add_event(m, MMT_EV_KERNEL_WRITE, 0x10f000, 3 * 4096);
    const char *ini = "[cpu]\nbase_cpi = 2\n[tlb.l1d]\nentries = 64\nways = 0\n[memory]\nunlimited = 1\n"
                      "[cache.l1d]\nsize = 32K\nways = 8\nline = 64\n";
    struct sim *s = make_sim(ini, NULL, 0);
    run(s, &m, 1);
    assert_int_equal(stat(s, "faults.minor"), 4 + 1 + 1);
    assert_int_equal(stat(s, "faults.segv"), 0);
    assert_int_equal(stat(s, "kernel_writes.ranges"), 2);
    assert_int_equal(stat(s, "kernel_writes.bytes"), 4 * 4096 + 3 * 4096);
    assert_int_equal(stat(s, "kernel_writes.faults"), 4 + 1);
    assert_int_equal(stat(s, "kernel_reads.ranges"), 1);
    assert_int_equal(stat(s, "kernel_reads.bytes"), 50);
    assert_int_equal(stat(s, "kernel_reads.faults"), 1);
    assert_int_equal(stat(s, "instructions"), 8);
    assert_int_equal(stat(s, "accesses"), 8);
    assert_int_equal(stat(s, "tlb.l1d.misses"), 4 + 1 + 2);
    assert_int_equal(stat(s, "tlb.l1d.lookups"), 4 + 8 + 1 + 2);
    /* 4 pages of 64 lines, then bytes 100..149 of a page (lines 1 and 2), then the last
     * mapped page of 64 lines */
    assert_int_equal(stat(s, "cache.l1d.misses"), 4 * 64 + 2 + 64);
    sim_free(s);
    free(m);
}

/* ---- sim_stat and the JSON report agree (both are renderings of the statistics registry) ---- */

struct flat_keys {
    char key[512][128];
    char val[512][32];
    int n;
};

static int has_index(const char *path) /* a list's element: "processes.0.pid", not "4K" */
{
    for (const char *c = path; *c; c++) {
        if (c != path && c[-1] != '.')
            continue;
        size_t n = strspn(c, "0123456789");
        if (n && (c[n] == '.' || !c[n]))
            return 1;
    }
    return 0;
}

static void json_leaf(void *ctx, const char *path, const char *value, enum jsonflat_type t)
{
    struct flat_keys *k = ctx;
    if (t == JF_STRING || has_index(path) || k->n == 512 || !strncmp(path, "kernel_traits.", 14))
        return; /* strings, lists, and the JSON-only kernel_traits (null strings) */
    snprintf(k->key[k->n], sizeof k->key[0], "%s", path);
    snprintf(k->val[k->n], sizeof k->val[0], "%s", value);
    k->n++;
}

static void visit_key(void *ctx, const char *key, double v)
{
    struct flat_keys *k = ctx;
    if (k->n == 512)
        return;
    snprintf(k->key[k->n], sizeof k->key[0], "%s", key);
    snprintf(k->val[k->n], sizeof k->val[0], "%.17g", v);
    k->n++;
}

/* Every number (and true/false) of the JSON report outside its lists is a sim_stat key, in
 * the same order, with the same value; under memory pressure, so the OS model's groups are in. */
static void test_stat_keys_are_the_json_numbers(void **state)
{
    (void)state;
    struct mem_src *m = new_src();
    add_mmap(m, 0x100000, 512 * 4096);
    for (int round = 0; round < 3; round++)
        for (int i = 0; i < 512; i++)
            add(m, MMT_STORE, 0x100000 + (uint64_t)i * 4096, 8);
    char *sets[] = {"memory.unlimited=0", "memory.size=1M", "swap.size=4M"};
    struct sim *s = make_sim(simple_ini, sets, 3);
    run(s, &m, 1);
    assert_true(stat(s, "reclaim.pswpout") > 0); /* the pressure this test needs */
    size_t len;
    char *buf = report_json(s, &len);
    static struct flat_keys from_json, from_visit;
    memset(&from_json, 0, sizeof from_json);
    memset(&from_visit, 0, sizeof from_visit);
    char err[256];
    assert_int_equal(jsonflat(buf, len, "report", json_leaf, &from_json, err, sizeof err), 0);
    sim_stats_visit(s, visit_key, &from_visit);
    assert_true(from_json.n > 150 && from_json.n < 512);
    assert_int_equal(from_visit.n, from_json.n);
    for (int i = 0; i < from_json.n; i++) {
        assert_string_equal(from_visit.key[i], from_json.key[i]);
        double a = strtod(from_visit.val[i], NULL), b = from_json.val[i][0] ? strtod(from_json.val[i], NULL) : a;
        if (a != b && !(a != a && b != b) && fabs(a - b) > 1e-6 * fabs(a))
            fail_msg("%s: sim_stat %s, JSON %s", from_json.key[i], from_visit.val[i], from_json.val[i]);
    }
    free(buf);
    sim_free(s);
    free(m);
}

/* mprotect(PROT_READ -> PROT_READ|PROT_WRITE) makes an exclusive anonymous page writable
 * but clean (can_change_pte_writable). A store through it takes the hardware's dirty-bit
 * assist: no fault, one more walk (the assist's), the TLB entry dropped and filled again;
 * the next store hits. Run with a TLB (the store meets a clean entry the load filled) and
 * without (the untimed path), each counting one assist. */
static void add_prot_event(struct mem_src *m, unsigned type, uint64_t addr, uint64_t len, uint64_t prot)
{
    room_for_one_more(m);
    struct mmt_event *e = &m->evs[m->nev];
    memset(e, 0, sizeof *e);
    e->type = (uint16_t)type;
    e->nargs = 6;
    e->args[0] = addr;
    e->args[1] = len;
    e->args[2] = prot;
    e->args[3] = 0x32; /* mmap: MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED */
    e->args[4] = UINT64_MAX;
    e->result = type == MMT_EV_MMAP ? (int64_t)addr : 0;
    m->recs[m->n++] = (struct mmt_rec){.kind = MMT_EVENT, .aux = (uint32_t)m->nev++};
}

static struct mem_src *clean_writable_page_src(void)
{
    struct mem_src *m = new_src();
    add_prot_event(m, MMT_EV_MMAP, 0x10000, 4096, 1); /* PROT_READ */
    add(m, MMT_LOAD, 0x10000, 8);                     /* a read fault: a private frame, read-only */
    add_prot_event(m, MMT_EV_MPROTECT, 0x10000, 4096, 3);
    add(m, MMT_LOAD, 0x10040, 8);  /* TLB miss: walk; the entry is writable, clean */
    add(m, MMT_STORE, 0x10080, 8); /* the assist: a walk, no fault */
    add(m, MMT_STORE, 0x100c0, 8); /* dirty now: a hit */
    add(m, MMT_LOAD, 0x10100, 8);
    return m;
}

static void test_dirty_bit_assist(void **state)
{
    (void)state;
    struct mem_src *m = clean_writable_page_src();
    char *sets[] = {"memory.zero_page=0"};
    struct sim *s = make_sim(simple_ini, sets, 1);
    run(s, &m, 1);
    assert_int_equal(stat(s, "faults.minor"), 1);
    assert_int_equal(stat(s, "dirty_assists"), 1);
    assert_int_equal(stat(s, "tlb.l1d.lookups"), 5);
    assert_int_equal(stat(s, "tlb.l1d.misses"), 2); /* the first load, the load after mprotect */
    /* first load: a walk to the root (100), the fault, a walk of 4 reads; after mprotect a
     * walk of 4 reads (mprotect dropped the PSC-less TLB entry); the assist's walk of 4 */
    assert_int_equal(stat(s, "walks"), 4);
    assert_int_equal(stat(s, "walk_cycles"), 100 + 400 + 400 + 400);
    assert_int_equal(stat(s, "cycles"), 5 * 2 + 1300 + 1000);
    sim_free(s);
    free(m);

    m = clean_writable_page_src();
    const char *no_tlb = "[memory]\nunlimited = 1\nzero_page = 0\n";
    s = make_sim(no_tlb, NULL, 0);
    run(s, &m, 1);
    assert_int_equal(stat(s, "faults.minor"), 1);
    assert_int_equal(stat(s, "dirty_assists"), 1);
    sim_free(s);
    free(m);
}

/* madvise(MADV_POPULATE_WRITE) on a writable clean page: GUP's write (follow_page_pte with
 * FOLL_WRITE) dirties it, so the store after it needs no assist and takes no fault. */
static void test_populate_write_dirties(void **state)
{
    (void)state;
    struct mem_src *m = new_src();
    add_prot_event(m, MMT_EV_MMAP, 0x10000, 4096, 1);
    add(m, MMT_LOAD, 0x10000, 8);
    add_prot_event(m, MMT_EV_MPROTECT, 0x10000, 4096, 3);
    add_prot_event(m, MMT_EV_MADVISE, 0x10000, 4096, 23); /* MADV_POPULATE_WRITE */
    add(m, MMT_STORE, 0x10080, 8);
    char *sets[] = {"memory.zero_page=0"};
    struct sim *s = make_sim(simple_ini, sets, 1);
    run(s, &m, 1);
    assert_int_equal(stat(s, "faults.minor"), 1);
    assert_int_equal(stat(s, "dirty_assists"), 0);
    sim_free(s);
    free(m);
}

/* A process that writes its 256 pages four times over, in a scattered order: under a 1 MiB
 * group with others like it, it swaps. */
static void add_swapping_walk(struct mem_src *m, uint32_t pid)
{
    add_switch(m, pid);
    add_mmap(m, 0x100000, 256 * 4096);
    for (int round = 0; round < 4; round++)
        for (int i = 0; i < 256; i++)
            add(m, MMT_STORE, 0x100000 + (uint64_t)((i * 37) % 256) * 4096, 8);
}

/* Interrupts: a swap request's completion costs timing.irq to the task running on the CPU
 * that takes it, nothing when that CPU idles (a lone process waiting for its own read);
 * a TLB-flush IPI costs its sender tlb_ipi and its receiver tlb_ipi_recv. The report's irq
 * cycles are exactly those charges; with the costs at 0 there are none. */
static struct sim *swapping_sim(int nproc, const char *cpus, int costs, struct mem_src **srcs)
{
    for (int p = 0; p < nproc; p++) {
        srcs[p] = new_src();
        add_swapping_walk(srcs[p], (uint32_t)(100 + p));
    }
    char *sets[] = {"memory.unlimited=0", "memory.size=64M", "swap.size=16M", "memcg.limit=1M", (char *)cpus,
                    costs ? "timing.irq=1000" : "timing.irq=0", costs ? "timing.tlb_ipi=500" : "timing.tlb_ipi=0",
                    costs ? "timing.tlb_ipi_recv=300" : "timing.tlb_ipi_recv=0"};
    return make_sim(simple_ini, sets, 8);
}

static void test_interrupts_cost_a_busy_cpu(void **state)
{
    (void)state;
    struct mem_src *srcs[4];
    struct sim *s = swapping_sim(4, "cpu.count=2", 1, srcs);
    run(s, srcs, 4);
    double reqs = stat(s, "reclaim.swap.read_requests") + stat(s, "reclaim.swap.write_requests");
    double irqs = stat(s, "irqs"), idle = stat(s, "irqs_idle"), ipis = stat(s, "tlb_ipis");
    assert_true(stat(s, "reclaim.pswpin") > 0); /* the pressure this test needs */
    assert_true(irqs > 0 && idle > 0);
    assert_true(irqs + idle <= reqs); /* a completion during a handler is in that handler */
    assert_true(ipis > 0);            /* four processes on two CPUs: reclaim unmaps the other's */
    assert_int_equal(stat(s, "cycles_breakdown.irq"), irqs * 1000 + ipis * (500 + 300));
    sim_free(s);
    for (int p = 0; p < 4; p++)
        free(srcs[p]);

    s = swapping_sim(4, "cpu.count=2", 0, srcs);
    run(s, srcs, 4);
    assert_int_equal(stat(s, "irqs") + stat(s, "tlb_ipis") + stat(s, "cycles_breakdown.irq"), 0);
    sim_free(s);
    for (int p = 0; p < 4; p++)
        free(srcs[p]);

    /* one process, one CPU: its reads complete while it waits (the CPU idles); only the
     * writes reclaim queued can complete while it runs, and no other CPU needs a flush */
    s = swapping_sim(1, "cpu.count=1", 1, srcs);
    run(s, srcs, 1);
    assert_true(stat(s, "reclaim.swap.read_requests") > 0);
    assert_true(stat(s, "irqs") <= stat(s, "reclaim.swap.write_requests"));
    assert_true(stat(s, "irqs_idle") >= 1);
    assert_int_equal(stat(s, "tlb_ipis"), 0);
    sim_free(s);
    free(srcs[0]);
}

/* timing.swap_read_cpu / swap_write_cpu: every swap request costs its submitter that much
 * CPU (the fault that reads, the reclaim that writes), in the fault part of its time. One
 * process on one CPU, the device's latency shortened by as much: the run takes about as
 * long (the read's CPU came off its wait) and the rest of the fault time is about the same. */
static void test_swap_requests_cost_their_submitter(void **state)
{
    (void)state;
    double fault[2], io[2], reads[2], writes[2], pswpin[2], cycles[2];
    for (int k = 0; k < 2; k++) {
        struct mem_src *src[1];
        src[0] = new_src();
        add_swapping_walk(src[0], 100);
        char *sets[] = {"memory.unlimited=0", "memory.size=64M", "swap.size=16M", "memcg.limit=512K",
                        k ? "swap.read_latency=70us" : "swap.read_latency=100us",
                        k ? "swap.write_latency=70us" : "swap.write_latency=100us",
                        k ? "timing.swap_read_cpu=90000" : "timing.swap_read_cpu=0",
                        k ? "timing.swap_write_cpu=60000" : "timing.swap_write_cpu=0"};
        struct sim *s = make_sim(simple_ini, sets, 8);
        run(s, src, 1);
        fault[k] = stat(s, "cycles_breakdown.fault");
        io[k] = stat(s, "reclaim.swap.request_cpu_cycles");
        reads[k] = stat(s, "reclaim.swap.read_requests");
        writes[k] = stat(s, "reclaim.swap.write_submissions");
        assert_true(writes[k] <= stat(s, "reclaim.swap.write_requests")); /* a plug's go at once */
        pswpin[k] = stat(s, "reclaim.pswpin");
        cycles[k] = stat(s, "cycles");
        sim_free(s);
        free(src[0]);
    }
    assert_true(pswpin[0] > 100 && pswpin[1] > 100); /* the pressure this test needs */
    assert_true(io[0] == 0);
    assert_true(io[1] == reads[1] * 90000 + writes[1] * 60000);
    assert_true(fault[1] - io[1] > 0.9 * fault[0] && fault[1] - io[1] < 1.1 * fault[0]);
    assert_true(cycles[1] > 0.9 * cycles[0] && cycles[1] < 1.1 * cycles[0]);
}

/* A process that only computes: a page touched once, then loads from it. */
static struct mem_src *compute_src(uint32_t pid, unsigned loads)
{
    struct mem_src *m = new_src();
    add_switch(m, pid);
    add_mmap(m, 0x40000000, 4096);
    for (unsigned i = 0; i < loads; i++)
        add(m, MMT_LOAD, 0x40000000 + (i % 64) * 8, 8);
    return m;
}

/* cpu.contention: while every other CPU is busy a CPU's work takes that much longer. Two
 * equal processes on two CPUs run side by side throughout: 1.5x the time, the stretch of
 * both in cycles_breakdown.contention; one process on two CPUs, or two on one CPU, never
 * runs beside another: no stretch. */
static void test_contention_stretches_parallel_work(void **state)
{
    (void)state;
    const unsigned loads = 3000; /* under the struct's record room */
    double t[3][2];              /* [case][contention 1, 1.5]: cycles */
    const char *cpus[3] = {"cpu.count=2", "cpu.count=2", "cpu.count=1"};
    const int nproc[3] = {2, 1, 2};
    for (int k = 0; k < 3; k++)
        for (int f = 0; f < 2; f++) {
            char *sets[] = {(char *)cpus[k], f ? "cpu.contention=1.5" : "cpu.contention=1"};
            struct sim *s = make_sim(simple_ini, sets, 2);
            struct mem_src *srcs[2];
            for (int p = 0; p < nproc[k]; p++)
                srcs[p] = compute_src(100 + (uint32_t)p, loads);
            run(s, srcs, nproc[k]);
            t[k][f] = stat(s, "cycles");
            if (k == 0 && f == 1) {
                double stretch = stat(s, "cycles_breakdown.contention");
                assert_true(stretch > 0.9 * t[0][0] && stretch < 1.1 * t[0][0]); /* 2 x 0.5 x T */
            }
            if (k != 0 || f == 0)
                assert_int_equal(stat(s, "cycles_breakdown.contention"), 0);
            sim_free(s);
            for (int p = 0; p < nproc[k]; p++)
                free(srcs[p]);
        }
    assert_true(t[0][1] > 1.45 * t[0][0] && t[0][1] < 1.55 * t[0][0]);
    assert_true(t[1][1] == t[1][0]);
    assert_true(t[2][1] == t[2][0]);
}

/* Reclaim's TLB flushes are the kernel's: shrink_folio_list flushes before each page it
 * writes (try_to_unmap_flush_dirty: the page's PTE was dirty, the CPU must not write it
 * during the I/O) and at a batch's end, and each flush is a full flush to the union of the
 * mm_cpumasks of the address spaces it unmapped from, which x86 trims only lazily: every
 * CPU those processes ran on. should_flush_tlb sends the IPI to each such CPU that is not
 * in lazy TLB mode, i.e. that runs a user process, whichever. Four processes on two CPUs:
 * at least one flush a page written, at most one IPI a flush, and only with the other CPU
 * in the mask; one process on two CPUs keeps its CPU (it wakes where it slept, that CPU
 * being idle: select_idle_sibling), so its flushes are local: no IPI, no flush to another
 * CPU. (The rule before counted one flush a shrink batch, 32 pages, and sent it only to a
 * CPU running the process whose page went; the lone process changed CPU at every wait.) */
static void test_reclaim_flush_ipis_reach_busy_cpus(void **state)
{
    (void)state;
    struct mem_src *srcs[4];
    struct sim *s = swapping_sim(4, "cpu.count=2", 1, srcs);
    run(s, srcs, 4);
    double written = stat(s, "reclaim.pswpout"), flushes = stat(s, "reclaim_tlb_flushes");
    double ipis = stat(s, "tlb_ipis");
    assert_true(written > 0);
    assert_true(flushes >= written);
    double multi = stat(s, "reclaim_tlb_flushes_multi");
    assert_true(multi > 0 && multi <= flushes);
    assert_true(ipis > 0 && ipis <= multi); /* one other CPU: at most one IPI a flush */
    sim_free(s);
    for (int p = 0; p < 4; p++)
        free(srcs[p]);

    s = swapping_sim(1, "cpu.count=2", 1, srcs);
    run(s, srcs, 1);
    assert_true(stat(s, "reclaim.pswpout") > 0);
    assert_true(stat(s, "reclaim_tlb_flushes") >= stat(s, "reclaim.pswpout"));
    assert_int_equal(stat(s, "reclaim_tlb_flushes_multi"), 0);
    assert_int_equal(stat(s, "tlb_ipis"), 0);
    sim_free(s);
    free(srcs[0]);
}

/* A stream over 512 cold pages, each access followed by one to a hot set of 16 pages (a
 * TLB's worth): 4 rounds. */
static void add_hot_and_cold_walk(struct mem_src *m, uint32_t pid)
{
    add_switch(m, pid);
    add_mmap(m, 0x100000, 528 * 4096);
    for (int round = 0; round < 4; round++)
        for (int i = 0; i < 512; i++) {
            add(m, MMT_STORE, 0x100000 + (uint64_t)(16 + i) * 4096, 8);
            add(m, MMT_LOAD, 0x100000 + (uint64_t)(i % 16) * 4096, 8);
        }
}

/* That walk thrashing in a 1 MiB memory cgroup on two CPUs, with two more settings. */
static struct sim *lone_swapper(struct mem_src **src, const char *irq_cpu, const char *flush_all)
{
    *src = new_src();
    add_hot_and_cold_walk(*src, 100);
    char *sets[] = {"memory.unlimited=0", "memory.size=64M", "swap.size=16M", "memcg.limit=1M", "cpu.count=2",
                    (char *)irq_cpu, (char *)flush_all};
    struct sim *s = make_sim(simple_ini, sets, 7);
    run(s, src, 1);
    return s;
}

/* A task whose swap read completes on another, idle CPU wakes there (wake_affine picks
 * the interrupt's CPU; traced: a program exec'd on CPU 0 ran on the swap device's interrupt
 * CPU from its first major fault on) and stays (it wakes on its own CPU after): its
 * mm_cpumask holds both CPUs, so reclaim's flushes are batched, to both (multi), but no
 * IPI is taken by the idle CPU 0. As x86's arch_tlbbatch_flush they empty the address
 * space's TLB entries (cpu.batched_flush_all): the hot set's next accesses walk again (and
 * set the accessed bits reclaim reads), where the flush of the unmapped pages alone leaves
 * the hot set's entries. With the interrupts on the CPU that queued the read (timing.irq_cpu -1,
 * per-CPU queues) the task keeps CPU 0 and every flush is local. */
static void test_swap_interrupt_moves_the_task_and_batched_flushes_empty_the_tlb(void **state)
{
    (void)state;
    struct mem_src *src;
    struct sim *s = lone_swapper(&src, "timing.irq_cpu=1", "cpu.batched_flush_all=1");
    double flushes = stat(s, "reclaim_tlb_flushes"), multi = stat(s, "reclaim_tlb_flushes_multi");
    double walks_all = stat(s, "walks");
    assert_true(stat(s, "reclaim.pswpin") > 0);
    /* local until the first read (the walk's first pass writes pages out before it reads
     * any back), batched to both CPUs from then on */
    assert_true(multi > 0.5 * flushes && multi < flushes);
    assert_int_equal(stat(s, "tlb_ipis"), 0);
    sim_free(s);
    free(src);

    s = lone_swapper(&src, "timing.irq_cpu=1", "cpu.batched_flush_all=0");
    double walks_pages = stat(s, "walks");
    assert_true(walks_all > walks_pages); /* the hot set's entries went with every flush */
    sim_free(s);
    free(src);

    s = lone_swapper(&src, "timing.irq_cpu=-1", "cpu.batched_flush_all=1");
    assert_true(stat(s, "reclaim_tlb_flushes") > 0);
    assert_int_equal(stat(s, "reclaim_tlb_flushes_multi"), 0);
    sim_free(s);
    free(src);
}

/* timing.tlb_ipi_recv_other: a flush costs a receiver running another process (nothing
 * of it unmapped) that much instead of tlb_ipi_recv. Four processes on two CPUs: some
 * flushes reach a CPU running the process they unmapped from, most another one. */
static void test_flush_cost_of_a_receiver_running_another_process(void **state)
{
    (void)state;
    struct mem_src *srcs[4];
    for (int p = 0; p < 4; p++) {
        srcs[p] = new_src();
        add_swapping_walk(srcs[p], (uint32_t)(100 + p));
    }
    char *sets[] = {"memory.unlimited=0", "memory.size=64M", "swap.size=16M", "memcg.limit=1M", "cpu.count=2",
                    "timing.irq=0", "timing.tlb_ipi=500", "timing.tlb_ipi_recv=300", "timing.tlb_ipi_recv_other=0"};
    struct sim *s = make_sim(simple_ini, sets, 9);
    run(s, srcs, 4);
    double ipis = stat(s, "tlb_ipis"), part = stat(s, "cycles_breakdown.irq");
    assert_true(ipis > 0);
    assert_true(part >= ipis * 500 && part < ipis * (500 + 300)); /* some reached another process */
    sim_free(s);
    for (int p = 0; p < 4; p++)
        free(srcs[p]);
}

/* Reclaim unmaps a page and leaves its page table (try_to_unmap; tables go with their VMA
 * at munmap or exit): 64 pages, each alone in its 2 MiB (its own level-1 table), evicted
 * while another region thrashes in a memory cgroup, keep their 64 tables. Freeing them
 * made the walk that allocates a table (and so charges the group and reclaims) write
 * into a freed table: a use-after-free the sanitizer build of this test catches. */
static void test_reclaim_keeps_page_tables(void **state)
{
    (void)state;
    struct mem_src *m = new_src();
    add_switch(m, 100);
    add_mmap(m, 0x40000000, 128ull << 20);
    add_mmap(m, 0x80000000, 1024 * 4096);
    for (int i = 0; i < 64; i++)
        add(m, MMT_STORE, 0x40000000 + (uint64_t)i * (2ull << 20), 8);
    for (int round = 0; round < 3; round++)
        for (int i = 0; i < 1024; i++)
            add(m, MMT_STORE, 0x80000000 + (uint64_t)i * 4096, 8);
    char *sets[] = {"memory.unlimited=0", "memory.size=64M", "swap.size=16M", "memcg.limit=1M"};
    struct sim *s = make_sim(simple_ini, sets, 4);
    run(s, &m, 1);
    /* every page written out at least once: the lone ones (the coldest) too */
    assert_true(stat(s, "reclaim.pswpout") >= 64 + 1024);
    /* 64 level-1 tables of the lone pages, 2 of the thrashing region, the levels above
     * (the process's VmPTE, in the report's processes list) */
    char *buf = report_json(s, NULL);
    const char *pgt = strstr(buf, "\"pgtables_bytes\":");
    assert_non_null(pgt);
    assert_true(strtod(pgt + strlen("\"pgtables_bytes\":"), NULL) >= (64 + 2) * 4096);
    free(buf);
    sim_free(s);
    free(m);
}

/* The memcg charge stock through the whole replay (memcg.charge_batch to the CPU the
 * faulting task runs on): one process writing 300 pages of a region in a group with room
 * for all. Every charge of the counter is a batch of 64 (the batch always fits), nothing
 * is uncharged before the end, so the peak is a multiple of 64 and holds the pages in use
 * (the 300 and the kernel memory: page tables and the kernel stack, `kmem_pages`) plus
 * under 64 a CPU of stock; with memcg.charge_batch = 0 it is exactly the pages in use. */
static void test_memcg_charge_stock(void **state)
{
    (void)state;
    const char *batch[] = {"memcg.charge_batch=64", "memcg.charge_batch=0"};
    for (int k = 0; k < 2; k++) {
        struct mem_src *m = new_src();
        add_switch(m, 100);
        add_mmap(m, 0x100000, 300 * 4096);
        for (int i = 0; i < 300; i++)
            add(m, MMT_STORE, 0x100000 + (uint64_t)i * 4096, 8);
        char *sets[] = {"memory.unlimited=0", "memory.size=64M", "swap.size=16M", "memcg.limit=32M",
                        "cpu.count=2", (char *)batch[k]};
        struct sim *s = make_sim(simple_ini, sets, 6);
        run(s, &m, 1);
        double peak = stat(s, "memcg.max_usage_pages"), kmem = stat(s, "memcg.kmem_pages");
        double used = 300 + kmem;
        if (k == 0) {
            assert_int_equal((uint64_t)peak % 64, 0);
            assert_true(peak >= used && peak < used + 2 * 64);
            assert_int_equal(stat(s, "memcg.stock_drains"), 0);
        } else {
            assert_true(peak == used);
            assert_int_equal(stat(s, "memcg.stock_pages"), 0);
        }
        sim_free(s);
        free(m);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_hand_computed_cycles),
        cmocka_unit_test(test_fetches_are_instructions),
        cmocka_unit_test(test_page_crossing),
        cmocka_unit_test(test_line_straddling_stall),
        cmocka_unit_test(test_munmap_invalidates),
        cmocka_unit_test(test_psc_and_walk_cache_accesses),
        cmocka_unit_test(test_two_processes_round_robin),
        cmocka_unit_test(test_events_only),
        cmocka_unit_test(test_timeline_rows),
        cmocka_unit_test(test_sims_share_nothing),
        cmocka_unit_test(test_child_before_fork_event),
        cmocka_unit_test(test_vfork_shares_the_address_space),
        cmocka_unit_test(test_vfork_child_exit_keeps_parent_mm),
        cmocka_unit_test(test_shared_llc),
        cmocka_unit_test(test_kernel_accesses),
        cmocka_unit_test(test_stat_keys_are_the_json_numbers),
        cmocka_unit_test(test_dirty_bit_assist),
        cmocka_unit_test(test_populate_write_dirties),
        cmocka_unit_test(test_interrupts_cost_a_busy_cpu),
        cmocka_unit_test(test_reclaim_flush_ipis_reach_busy_cpus),
        cmocka_unit_test(test_swap_interrupt_moves_the_task_and_batched_flushes_empty_the_tlb),
        cmocka_unit_test(test_reclaim_keeps_page_tables),
        cmocka_unit_test(test_memcg_charge_stock),
        cmocka_unit_test(test_contention_stretches_parallel_work),
        cmocka_unit_test(test_swap_requests_cost_their_submitter),
        cmocka_unit_test(test_flush_cost_of_a_receiver_running_another_process),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
