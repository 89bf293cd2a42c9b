/* os_model.c - microbenchmarks of the OS model for tests/bench/35-os-model.sh: the buddy
 * allocator and the fault path, each against a baseline measured in the same run.
 * Prints one line per benchmark: name, operations, CPU seconds (median of RUNS), baseline
 * CPU seconds (median), ratio. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model/config.h"
#include "model/memory.h"
#include "model/page_alloc.h"
#include "model/pgtable.h"

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static int cmp_d(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
    qsort(v, (size_t)n, sizeof *v, cmp_d);
    return v[n / 2];
}

static uint64_t xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

enum { NLIVE = 1 << 16 };

/* Buddy: NOPS random order-0 allocations and frees keeping NLIVE pages live in a 16 GiB
 * zone (splits and merges all the way). Baseline: the same pattern on a plain stack of
 * free frame numbers (what the model would cost without buddy bookkeeping). */
static double bench_buddy(uint64_t nops, unsigned order)
{
    struct page_alloc_config c = {.total_pages = 4194304, .page_shift = 12};
    struct page_alloc *pa = page_alloc_new(&c);
    uint64_t *live = calloc(NLIVE, sizeof *live), s = 88172645463325252ull;
    if (!pa || !live) exit(1);
    for (int i = 0; i < NLIVE; i++) live[i] = page_alloc_alloc(pa, order, PA_MOVABLE, PA_WMARK_NONE);
    double t = cpu_now();
    for (uint64_t i = 0; i < nops; i++) {
        uint64_t k = xorshift(&s) % NLIVE;
        page_alloc_release(pa, live[k], order);
        live[k] = page_alloc_alloc(pa, order, PA_MOVABLE, PA_WMARK_LOW);
    }
    t = cpu_now() - t;
    page_alloc_free_all(pa);
    free(live);
    return t;
}

static double bench_stack(uint64_t nops)
{
    uint64_t n = 4194304, top = 0, s = 88172645463325252ull;
    uint64_t *stack = malloc(n * sizeof *stack), *live = calloc(NLIVE, sizeof *live);
    if (!stack || !live) exit(1);
    for (uint64_t i = 0; i < n; i++) stack[top++] = n - 1 - i;
    for (int i = 0; i < NLIVE; i++) live[i] = stack[--top];
    double t = cpu_now();
    for (uint64_t i = 0; i < nops; i++) {
        uint64_t k = xorshift(&s) % NLIVE;
        stack[top++] = live[k];
        live[k] = stack[--top];
    }
    t = cpu_now() - t;
    free(stack);
    free(live);
    return t;
}

/* Faults: first touches of NPAGES anonymous pages through mm_handle_fault (VMA lookup,
 * frame from the buddy allocator, page table, counters). Baseline: pgtable_map of the
 * same pages with frames from a counter (the engine's page-table insert alone). */
static uint64_t counter_frame(void *ctx) { return (*(uint64_t *)ctx)++; }
static void no_release(void *ctx, uint64_t pfn) { (void)ctx; (void)pfn; }

static double bench_faults(uint64_t npages, const char *thp)
{
    struct mmsim_config cfg;
    char err[256], set[64];
    config_defaults(&cfg);
    snprintf(set, sizeof set, "memory.thp=%s", thp);
    if (config_set(&cfg, set, 0, err, sizeof err) || config_validate(&cfg, err, sizeof err)) exit(1);
    struct memsys *ms = memsys_new(&cfg, err, sizeof err);
    struct mm *mm = ms ? mm_new(ms) : NULL;
    if (!mm) exit(1);
    struct mmt_event ev = {.type = MMT_EV_MMAP, .nargs = 6, .result = 0x40000000};
    ev.args[0] = 0x40000000;
    ev.args[1] = npages << 12;
    ev.args[2] = 3;
    ev.args[3] = 0x22;
    struct mm_inval inv;
    mm_event(ms, mm, &ev, &inv);
    struct fault_result r;
    double t = cpu_now();
    for (uint64_t i = 0; i < npages; i++) {
        unsigned level;
        uint64_t va = 0x40000000 + (i << 12);
        if (!pgtable_lookup(mm_pgtable(mm), va, &level)) mm_handle_fault(ms, mm, va, FAULT_FLAG_WRITE, &r);
    }
    t = cpu_now() - t;
    mm_destroy(ms, mm);
    memsys_free(ms);
    return t;
}

static double bench_pgtable(uint64_t npages)
{
    uint64_t next = 1;
    struct pgtable_frames fr = {counter_frame, no_release, &next};
    struct pgtable *pt = pgtable_new(4, 12, &fr);
    if (!pt) exit(1);
    uint64_t pfn = 1u << 20;
    double t = cpu_now();
    for (uint64_t i = 0; i < npages; i++)
        pgtable_map(pt, 0x40000000 + (i << 12), pfn + i, 1, PTE_WRITE | PTE_USER | PTE_DIRTY, NULL);
    t = cpu_now() - t;
    pgtable_free(pt);
    return t;
}

int main(int argc, char **argv)
{
    int runs = argc > 1 ? atoi(argv[1]) : 5;
    if (runs < 1 || runs > 50) runs = 5;
    double a[50], b[50];
    uint64_t nops = 2000000, npages = 262144; /* 1 GiB of first touches */
    for (int i = 0; i < runs; i++) { a[i] = bench_buddy(nops, 0); b[i] = bench_stack(nops); }
    double ma = median(a, runs), mb = median(b, runs);
    printf("buddy order-0 free+alloc|%llu|%.4f|%.4f|%.1f\n", (unsigned long long)nops, ma, mb, ma / mb);
    for (int i = 0; i < runs; i++) a[i] = bench_buddy(nops / 10, 9);
    printf("buddy order-9 free+alloc|%llu|%.4f|%.4f|%.1f\n", (unsigned long long)nops / 10, median(a, runs), mb / 10,
           median(a, runs) / (mb / 10));
    for (int i = 0; i < runs; i++) { a[i] = bench_faults(npages, "never"); b[i] = bench_pgtable(npages); }
    ma = median(a, runs);
    mb = median(b, runs);
    printf("anonymous write faults (4K)|%llu|%.4f|%.4f|%.1f\n", (unsigned long long)npages, ma, mb, ma / mb);
    for (int i = 0; i < runs; i++) a[i] = bench_faults(npages, "always");
    printf("pages first touched with thp=always|%llu|%.4f|%.4f|%.2f\n", (unsigned long long)npages, median(a, runs), mb,
           median(a, runs) / mb);
    return 0;
}
