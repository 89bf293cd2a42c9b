/* swap_ra_prime - put the kernel's swap-readahead state where a freshly booted kernel has
 * it, before a measured run (tests/validate/thrash.sh).
 *   swap_ra_prime [--probe]
 * With a swap area on a rotational device the kernel reads ahead by slot
 * (swap_cluster_readahead), and the window it picks comes from three machine-wide values
 * that no run resets: the readahead hits since the last miss (swapin_readahead_hits,
 * ATOMIC_INIT(4) at boot), the last window and the last missed slot. Whatever ran last
 * leaves them behind, so the same program at the same limit starts with a window of 1 page
 * after one run and of 8 after another (docs/validation-thrash.md). This program leaves
 * 4 hits and a window of 8 behind, which gives the next miss the window a fresh kernel
 * gives its first (roundup_pow_of_two(4 + 2) capped at 2^page_cluster): the state mmsim's
 * model starts from.
 *
 * How: 512 pages of its own are written (non-zero: 6.18 does not write zero-filled pages)
 * and paged out with MADV_PAGEOUT until mincore() shows none left in memory or the swap
 * cache. /proc/self/pagemap gives each page's swap slot. Then, by slot:
 *   1. five misses on slots 16 apart (no readahead page touched): whatever the state was,
 *      the hits are 0 and the window decays to 1 (it halves at most each miss: 8,4,2,1,1);
 *      the last of them on an odd slot d;
 *   2. a miss on d + 1: next to the last miss with no hits, a window of 2, aligned: slot
 *      d + 2 is read ahead; touching it is 1 hit;
 *   3. a miss on a slot m = 0 mod 4: 1 + 2 hits -> a window of 4; m + 1..m + 3 are read
 *      ahead, touching them makes 3 hits;
 *   4. a miss on a slot m' = 0 mod 8: 3 + 2 -> 8; 4 of the 7 pages read ahead are touched:
 *      4 hits, a last window of 8.
 * --probe: then one more miss, on a slot whose aligned block of 8 is the region's and
 * untouched, and prints how many pages it read ahead (swap_ra): 7 for the window of 8 that
 * 4 hits give (roundup_pow_of_two(4 + 2)), with page-cluster 3 or more; 15 would mean the
 * hits were 7 or more (a window of 16, page-cluster 4), fewer that the state was not left.
 * It checks its work with /proc/vmstat (swap_ra_hit must grow by exactly 1 + 3 + 4) and
 * exits 1 if another swap-in meddled or the slots were not where it needed them, 2 when
 * it cannot run (no swap, no MADV_PAGEOUT). Needs a swap area and no memory limit below
 * 1 MiB; reads /proc/self/pagemap's swap entries (root). */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#ifndef MADV_PAGEOUT
#define MADV_PAGEOUT 21
#endif

#define NPAGES 512
#define NONE UINT64_MAX

struct prime {
    unsigned char *mem;
    size_t page;
    uint64_t slot[NPAGES]; /* each page's swap slot, NONE when not on swap */
    int pagemap;
};

/* The slots the sequence uses: five decay misses (the last is d), then d + 1 (d + 2 read
 * ahead), m (m + 1..3 read ahead) and m8 (m8 + 1..4 of its window touched). */
struct plan {
    uint64_t decay[5], m, m8;
    uint64_t probe; /* --probe: a miss with the state left, in an untouched aligned 8 */
};

static long vmstat(const char *name)
{
    FILE *f = fopen("/proc/vmstat", "r");
    char key[64];
    long v;
    long found = -1;
    if (!f)
        return -1;
    while (fscanf(f, "%63s %ld", key, &v) == 2)
        if (!strcmp(key, name)) {
            found = v;
            break;
        }
    fclose(f);
    return found;
}

/* Pushes the pages this CPU's LRU batch holds onto the LRU: the batch (31 pages) goes to
 * the LRU when full, so 64 new pages fill it twice. */
static void flush_lru_batch(size_t page)
{
    unsigned char *m = mmap(NULL, 64 * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (m == MAP_FAILED)
        return;
    for (int i = 0; i < 64; i++)
        m[(size_t)i * page] = 1;
    munmap(m, 64 * page);
}

static int read_pagemap(const struct prime *p, uint64_t *e)
{
    off_t off = (off_t)((uintptr_t)p->mem / p->page) * 8;
    return pread(p->pagemap, e, NPAGES * 8, off) == (ssize_t)(NPAGES * 8) ? 0 : -1;
}

/* Writes the region to swap until no page of it that went to swap is left in the swap
 * cache. MADV_PAGEOUT writes the mapped pages; a written page stays in the swap cache,
 * unmapped, where MADV_PAGEOUT does not reach it: a read maps it back (clean, its slot
 * kept) and the next MADV_PAGEOUT frees it without a write. A page MADV_PAGEOUT cannot
 * take (still mapped) is left out of the plan. Fills slot[]: the slot of each page on swap
 * and nowhere in memory. A few pages stay in the swap cache however often this is done
 * (their read-back leaves them in a batch the page-out does not take): they are left out. */
static int page_out(struct prime *p)
{
    unsigned char vec[NPAGES];
    uint64_t e[NPAGES];
    for (int tries = 0; tries < 50; tries++) {
        flush_lru_batch(p->page);
        if (madvise(p->mem, NPAGES * p->page, MADV_PAGEOUT) != 0 || mincore(p->mem, NPAGES * p->page, vec) != 0 ||
            read_pagemap(p, e) != 0)
            return -1;
        int cached = 0, out = 0;
        for (int i = 0; i < NPAGES; i++) {
            int swapped = (e[i] >> 62) & 1;
            if (swapped && (vec[i] & 1)) {
                cached++;
                (void)*(volatile unsigned char *)(p->mem + (size_t)i * p->page);
            }
            out += swapped && !(vec[i] & 1);
        }
        /* a few pages stay in the swap cache whatever is done (left out of the plan) */
        if ((cached == 0 || tries >= 20) && out >= NPAGES / 2) {
            for (int i = 0; i < NPAGES; i++) {
                uint64_t offset = (e[i] >> 5) & ((1ULL << 50) - 1);
                p->slot[i] = ((e[i] >> 62) & 1) && !(vec[i] & 1) && offset ? offset : NONE;
            }
            return 0;
        }
        usleep(2000);
    }
    errno = EBUSY;
    return -1;
}

static int has_slot(const struct prime *p, uint64_t s)
{
    for (int i = 0; i < NPAGES; i++)
        if (p->slot[i] == s)
            return 1;
    return 0;
}

/* Slots [s, s + n) all the region's. */
static int has_run(const struct prime *p, uint64_t s, unsigned n)
{
    for (unsigned k = 0; k < n; k++)
        if (!has_slot(p, s + k))
            return 0;
    return 1;
}

/* The 8-slot block of s (the largest window a miss reads is an aligned 8). */
static uint64_t block(uint64_t s)
{
    return s / 8;
}

static int block_used(const uint64_t *used, int n, uint64_t b)
{
    for (int k = 0; k < n; k++)
        if (used[k] == b)
            return 1;
    return 0;
}

/* The first slot = 0 mod `align` starting a run of n of the region's slots, in an 8-block
 * not used yet; NONE if there is none. */
static uint64_t aligned_run(const struct prime *p, uint64_t align, unsigned n, const uint64_t *used, int nused)
{
    for (int i = 0; i < NPAGES; i++) {
        uint64_t s = p->slot[i];
        if (s != NONE && s % align == 0 && !block_used(used, nused, block(s)) && has_run(p, s, n))
            return s;
    }
    return NONE;
}

/* Picks the plan's slots: the build steps' runs first (d odd with d, d + 1, d + 2; m = 0
 * mod 4 with m..m + 3; m8 = 0 mod 8 with m8..m8 + 4), then four decay slots in 8-blocks of
 * their own, so that no miss's window reaches a page the plan touches later. */
static int make_plan(const struct prime *p, struct plan *pl)
{
    uint64_t used[16]; /* the 8-blocks the plan touches */
    int nused = 0;
    /* d odd, not in its 8-block's last two slots (d + 2 stays in the block) */
    uint64_t d = NONE;
    for (int i = 0; i < NPAGES && d == NONE; i++) {
        uint64_t s = p->slot[i];
        if (s != NONE && s % 2 == 1 && s % 8 <= 5 && has_run(p, s, 3))
            d = s;
    }
    if (d == NONE)
        return -1;
    used[nused++] = block(d);
    if ((pl->m = aligned_run(p, 4, 4, used, nused)) == NONE)
        return -1;
    used[nused++] = block(pl->m);
    if ((pl->m8 = aligned_run(p, 8, 5, used, nused)) == NONE)
        return -1;
    used[nused++] = block(pl->m8);
    /* 16 apart from every other block: a window of 16 would still be the probe's own */
    pl->probe = NONE;
    for (int i = 0; i < NPAGES && pl->probe == NONE; i++) {
        uint64_t s = p->slot[i];
        if (s != NONE && s % 16 == 0 && !block_used(used, nused, block(s)) && !block_used(used, nused, block(s) + 1) &&
            has_run(p, s, 16))
            pl->probe = s;
    }
    if (pl->probe == NONE)
        return -1;
    used[nused++] = block(pl->probe);
    used[nused++] = block(pl->probe) + 1;
    int nd = 0;
    for (int i = 0; i < NPAGES && nd < 4; i++) {
        uint64_t s = p->slot[i];
        if (s == NONE || block_used(used, nused, block(s)) || (nd && (s == pl->decay[nd - 1] + 1 || s + 1 == pl->decay[nd - 1])))
            continue;
        pl->decay[nd++] = s;
        used[nused++] = block(s);
    }
    if (nd < 4)
        return -1;
    pl->decay[4] = d;
    return 0;
}

/* A read of the page in slot s: a swap-in (a miss, or a hit on a page read ahead). */
static void touch_slot(struct prime *p, uint64_t s)
{
    for (int i = 0; i < NPAGES; i++)
        if (p->slot[i] == s)
            (void)*(volatile unsigned char *)(p->mem + (size_t)i * p->page);
}

static void run_plan(struct prime *p, const struct plan *pl)
{
    /* 1. decay: hits 0, the window halves to 1 whatever it was */
    for (int k = 0; k < 5; k++)
        touch_slot(p, pl->decay[k]);
    uint64_t d = pl->decay[4];
    /* 2. next to the last miss, no hits: a window of 2 reads d + 2 ahead; touched: 1 hit */
    touch_slot(p, d + 1);
    touch_slot(p, d + 2);
    /* 3. 1 + 2 -> a window of 4 at m; its 3 pages read ahead touched: 3 hits */
    for (uint64_t s = pl->m; s <= pl->m + 3; s++)
        touch_slot(p, s);
    /* 4. 3 + 2 -> a window of 8 at m8; 4 of its pages touched: 4 hits */
    for (uint64_t s = pl->m8; s <= pl->m8 + 4; s++)
        touch_slot(p, s);
}

static int fail(const char *what)
{
    fprintf(stderr, "swap_ra_prime: %s\n", what);
    return 1;
}

/* Stays on one CPU: a page faulted in waits in that CPU's LRU batch, which a page-out
 * from another CPU does not drain. */
static void stay_on_this_cpu(void)
{
    cpu_set_t set;
    int cpu = sched_getcpu();
    if (cpu < 0)
        return;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    (void)sched_setaffinity(0, sizeof set, &set);
}

/* One attempt: 0 done, 1 the check failed (retry), 2 cannot run. */
static int attempt(struct prime *p, int probe)
{
    for (size_t i = 0; i < NPAGES * p->page; i++)
        p->mem[i] = (unsigned char)(i * 7 + 1);
    if (page_out(p) != 0) {
        fprintf(stderr, "swap_ra_prime: MADV_PAGEOUT: %s (is a swap area on?)\n", strerror(errno));
        return 2;
    }
    struct plan pl;
    if (make_plan(p, &pl) != 0)
        return fail("the region's swap slots hold no runs for the plan");
    long hits0 = vmstat("swap_ra_hit"), ra0 = vmstat("swap_ra");
    run_plan(p, &pl);
    long hits = vmstat("swap_ra_hit") - hits0, ra = vmstat("swap_ra") - ra0;
    if (hits != 8) {
        fprintf(stderr, "swap_ra_prime: %ld readahead hits (%ld pages read ahead) where 8 were meant\n", hits, ra);
        return 1;
    }
    printf("swap_ra_prime: 4 readahead hits and a window of 8 left behind (%ld pages read ahead)\n", ra);
    if (probe) {
        long ra0p = vmstat("swap_ra");
        touch_slot(p, pl.probe);
        printf("probe: a miss read ahead %ld pages\n", vmstat("swap_ra") - ra0p);
    }
    return 0;
}

int main(int argc, char **argv)
{
    int probe = argc > 1 && !strcmp(argv[1], "--probe");
    if (argc > 2 || (argc == 2 && !probe)) {
        fprintf(stderr, "usage: swap_ra_prime [--probe]\n");
        return 2;
    }
    struct prime p = {.page = (size_t)sysconf(_SC_PAGESIZE)};
    stay_on_this_cpu();
    p.mem = mmap(NULL, NPAGES * p.page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p.mem == MAP_FAILED)
        return perror("swap_ra_prime: mmap"), 2;
    p.pagemap = open("/proc/self/pagemap", O_RDONLY);
    if (p.pagemap < 0)
        return perror("swap_ra_prime: /proc/self/pagemap"), 2;
    int r = 1;
    for (int k = 0; k < 5 && r == 1; k++)
        r = attempt(&p, probe);
    return r;
}
