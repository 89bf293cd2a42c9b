/* test_swap.c - swap slots, device queueing and readahead against hand-computed times. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "model/config.h"
#include "model/swap.h"

/* A device with round numbers: 100 us read latency, 20 us write latency, 1 us to move a
 * 4 KiB page (4096e6 B/s) both ways. */
static struct swap_config round_dev(unsigned qd, uint64_t size)
{
    struct swap_config c;
    swap_config_defaults(&c);
    c.size = size;
    c.read_latency_ns = 100000;
    c.write_latency_ns = 20000;
    c.read_bandwidth = c.write_bandwidth = 4096000000ull;
    c.queue_depth = qd;
    return c;
}

/* QD1: each request waits for the previous one: 101, 202, 303 us. */
static void queue_depth_one_serialises(void **state)
{
    (void)state;
    struct swap_config c = round_dev(1, 0);
    struct swap_dev *sw = swap_new(&c);
    assert_int_equal(swap_submit(sw, 0, SWAP_READ, 1), 101000);
    assert_int_equal(swap_submit(sw, 0, SWAP_READ, 1), 202000);
    assert_int_equal(swap_submit(sw, 0, SWAP_READ, 1), 303000);
    /* waits: 0 + 101 + 202 us */
    assert_int_equal(swap_stats(sw)->wait_ns, 303000);
    /* an arrival after the device went idle pays only latency + transfer */
    assert_int_equal(swap_submit(sw, 1000000, SWAP_READ, 1), 1101000);
    swap_free_dev(sw);
}

/* QD2: latencies overlap but the channel moves one page at a time:
 * r1 slot0 0 -> 100 us, transfer to 101; r2 slot1 0 -> 100, channel busy until 101, so
 * 101 -> 102; r3 waits for slot0 (101), 201 -> 202. */
static void queue_depth_two_overlaps_latency(void **state)
{
    (void)state;
    struct swap_config c = round_dev(2, 0);
    struct swap_dev *sw = swap_new(&c);
    assert_int_equal(swap_submit(sw, 0, SWAP_READ, 1), 101000);
    assert_int_equal(swap_submit(sw, 0, SWAP_READ, 1), 102000);
    assert_int_equal(swap_submit(sw, 0, SWAP_READ, 1), 202000);
    swap_free_dev(sw);
}

/* Bandwidth bounds a deep queue: 64 requests of 8 pages with QD 64 finish at
 * 100 us + 64 * 8 us = 612 us, not 108 us. */
static void deep_queue_bounded_by_bandwidth(void **state)
{
    (void)state;
    struct swap_config c = round_dev(64, 0);
    struct swap_dev *sw = swap_new(&c);
    uint64_t last = 0;
    for (int i = 0; i < 64; i++)
        last = swap_submit(sw, 0, SWAP_READ, 8);
    assert_int_equal(last, 612000);
    assert_int_equal(swap_stats(sw)->busy_ns, 512000);
    assert_int_equal(swap_stats(sw)->pswpin, 512);
    assert_int_equal(swap_stats(sw)->read_reqs, 64);
    swap_free_dev(sw);
}

static void read_write_asymmetry(void **state)
{
    (void)state;
    struct swap_config c = round_dev(1, 0);
    struct swap_dev *sw = swap_new(&c);
    assert_int_equal(swap_submit(sw, 0, SWAP_WRITE, 4), 24000);
    assert_int_equal(swap_submit(sw, 0, SWAP_READ, 1), 24000 + 101000);
    assert_int_equal(swap_stats(sw)->pswpout, 4);
    assert_int_equal(swap_stats(sw)->write_reqs, 1);
    swap_free_dev(sw);
}

/* Reads go before queued writes (mq-deadline): eight 256-page writes at t = 0 keep the
 * channel busy until 20 + 8 * 256 = 2068 us; a read at 100 us is ready at 200 us, waits for
 * the write in transfer (at most one request of 256 pages: until 456 us) and is done at
 * 457 us, not 2069; the writes behind it end 1 us later (2069), and a write queued next
 * after them (2070). */
static void reads_pass_queued_writes(void **state)
{
    (void)state;
    struct swap_config c = round_dev(32, 0);
    struct swap_dev *sw = swap_new(&c);
    uint64_t w = 0;
    for (int i = 0; i < 8; i++)
        w = swap_submit(sw, 0, SWAP_WRITE, 256);
    assert_int_equal(w, 2068000);
    assert_int_equal(swap_submit(sw, 100000, SWAP_READ, 1), 457000);
    assert_int_equal(swap_submit(sw, 100000, SWAP_WRITE, 1), 2070000);
    /* a second read waits for the first one, not for the backlog */
    assert_int_equal(swap_submit(sw, 100000, SWAP_READ, 1), 458000);
    swap_free_dev(sw);
}

/* zram-like: no queue, each request costs its latency from its own arrival. */
static void synchronous_device_does_not_queue(void **state)
{
    (void)state;
    struct swap_config c = round_dev(1, 0);
    c.synchronous = 1;
    c.read_bandwidth = 0;
    c.read_latency_ns = 1700;
    struct swap_dev *sw = swap_new(&c);
    assert_int_equal(swap_submit(sw, 0, SWAP_READ, 1), 1700);
    assert_int_equal(swap_submit(sw, 0, SWAP_READ, 1), 1700);
    swap_free_dev(sw);
}

/* swap.latency_cv: each request's latency a lognormal draw of the configured mean, with
 * that coefficient of variation (hand-computed moments over 20,000 draws of a synchronous
 * device, whose completion is now + latency); the same seed gives the same draws, another
 * seed others; cv 0 keeps every request at the mean. */
static double latency_draws(double cv, uint64_t seed, double *sd, uint64_t *first)
{
    struct swap_config c = round_dev(1, 0);
    c.synchronous = 1;
    c.read_bandwidth = 0;
    c.read_latency_ns = 100000;
    c.latency_cv = cv;
    c.seed = seed;
    struct swap_dev *sw = swap_new(&c);
    double sum = 0, sq = 0;
    const int n = 20000;
    for (int i = 0; i < n; i++) {
        double x = (double)swap_submit(sw, 0, SWAP_READ, 1);
        if (i == 0)
            *first = (uint64_t)x;
        sum += x;
        sq += x * x;
    }
    swap_free_dev(sw);
    double mean = sum / n;
    *sd = sqrt(sq / n - mean * mean);
    return mean;
}

static void latency_spread_is_lognormal(void **state)
{
    (void)state;
    double sd;
    uint64_t f1, f2, f3;
    double mean = latency_draws(0.3, 1, &sd, &f1);
    assert_true(fabs(mean - 100000) < 100000 * 0.01);  /* the mean stays the configured one */
    assert_true(fabs(sd / mean - 0.3) < 0.3 * 0.05);   /* the spread is the configured cv */
    latency_draws(0.3, 1, &sd, &f2);
    assert_int_equal(f1, f2);                           /* one seed, one sequence */
    latency_draws(0.3, 2, &sd, &f3);
    assert_true(f1 != f3);
    mean = latency_draws(0, 7, &sd, &f1);
    assert_int_equal(f1, 100000);
    assert_true(mean == 100000 && sd < 1e-6);
}

/* The completion log (the engine's device interrupts): off, nothing is kept; on, each
 * queued request's completion time in submission order, taken once; a synchronous device
 * raises no interrupt. */
static void completions_logged_for_interrupts(void **state)
{
    (void)state;
    struct swap_config c = round_dev(1, 0);
    struct swap_dev *sw = swap_new(&c);
    uint64_t done[4];
    swap_submit(sw, 0, SWAP_READ, 1);
    assert_int_equal(swap_take_completions(sw, done, 4), 0);
    swap_log_completions(sw, 1);
    assert_int_equal(swap_submit(sw, 0, SWAP_READ, 1), 202000);
    assert_int_equal(swap_submit(sw, 0, SWAP_WRITE, 2), 224000); /* 202 + 20 + 2 us */
    assert_int_equal(swap_take_completions(sw, done, 1), 1);
    assert_int_equal(done[0], 202000);
    assert_int_equal(swap_take_completions(sw, done, 4), 1);
    assert_int_equal(done[0], 224000);
    assert_int_equal(swap_take_completions(sw, done, 4), 0);
    swap_free_dev(sw);
    c.synchronous = 1;
    sw = swap_new(&c);
    swap_log_completions(sw, 1);
    swap_submit(sw, 0, SWAP_READ, 1);
    assert_int_equal(swap_take_completions(sw, done, 4), 0);
    swap_free_dev(sw);
}

/* 1 MiB = 256 pages: 255 usable slots (slot 0 is the header), handed out in order. */
static void slots_fill_and_free(void **state)
{
    (void)state;
    struct swap_config c = round_dev(1, 1 << 20);
    struct swap_dev *sw = swap_new(&c);
    assert_int_equal(swap_total_slots(sw), 255);
    for (uint64_t i = 1; i <= 255; i++)
        assert_int_equal(swap_alloc_slot(sw), i);
    assert_true(swap_alloc_slot(sw) == SWAP_NO_SLOT);
    assert_int_equal(swap_stats(sw)->slots_failed, 1);
    swap_dup_slot(sw, 10);
    assert_int_equal(swap_slot_count(sw, 10), 2);
    swap_put_slot(sw, 10);
    assert_int_equal(swap_used_slots(sw), 255);
    swap_put_slot(sw, 10);
    assert_int_equal(swap_used_slots(sw), 254);
    assert_int_equal(swap_alloc_slot(sw), 10);
    swap_put_slot(sw, 0); /* the header cannot be freed */
    assert_int_equal(swap_used_slots(sw), 255);
    swap_free_dev(sw);
}

/* Clusters: freed holes in a used cluster are not refilled while a free cluster exists. */
static void slots_prefer_free_clusters(void **state)
{
    (void)state;
    struct swap_config c = round_dev(1, 4 << 20); /* 1024 pages, 4 clusters */
    struct swap_dev *sw = swap_new(&c);
    for (int i = 0; i < 300; i++)
        swap_alloc_slot(sw);
    swap_put_slot(sw, 5);
    swap_put_slot(sw, 6);
    assert_int_equal(swap_alloc_slot(sw), 301);
    /* fill clusters 1..3 entirely */
    while (swap_used_slots(sw) < 1021)
        assert_true(swap_alloc_slot(sw) != SWAP_NO_SLOT);
    uint64_t a = swap_alloc_slot(sw), b = swap_alloc_slot(sw);
    assert_true((a == 5 && b == 6) || (a == 6 && b == 5));
    assert_true(swap_alloc_slot(sw) == SWAP_NO_SLOT);
    swap_free_dev(sw);
}

/* page-cluster 3: a miss on slot 13 reads the aligned window 8..15 (slots in use only). */
static void readahead_window_aligned(void **state)
{
    (void)state;
    struct swap_config c = round_dev(1, 1 << 20);
    struct swap_dev *sw = swap_new(&c);
    for (int i = 0; i < 20; i++)
        swap_alloc_slot(sw); /* slots 1..20 */
    uint64_t first = 0, w[16];
    unsigned n = swap_readahead_window(sw, 13, &first, w, 16);
    assert_int_equal(n, 8);
    assert_int_equal(first, 8);
    assert_int_equal(w[0], 13);
    assert_int_equal(w[1], 8);
    assert_int_equal(w[7], 15);
    /* window 0..7 skips the header */
    n = swap_readahead_window(sw, 3, &first, w, 16);
    assert_int_equal(n, 7);
    assert_int_equal(first, 1);
    swap_put_slot(sw, 10);
    assert_int_equal(swap_readahead_window(sw, 13, NULL, w, 16), 7);
    /* window 16..23: only 16..20 are in use */
    assert_int_equal(swap_readahead_window(sw, 17, NULL, w, 16), 5);
    swap_free_dev(sw);

    c.page_cluster = 0;
    sw = swap_new(&c);
    for (int i = 0; i < 20; i++)
        swap_alloc_slot(sw);
    assert_int_equal(swap_readahead_window(sw, 13, NULL, w, 16), 1);
    swap_free_dev(sw);

    c.page_cluster = 3;
    c.synchronous = 1;
    sw = swap_new(&c);
    for (int i = 0; i < 20; i++)
        swap_alloc_slot(sw);
    assert_int_equal(swap_readahead_window(sw, 13, NULL, w, 16), 1);
    swap_free_dev(sw);
}

/* A swap-in with readahead is one request for its window. A fresh device has the kernel's
 * boot state (swapin_readahead_hits = 4: a first window of 8); four misses far apart with
 * no hits decay it (8, 4, 2, 1). Then a miss with no history reads 1 page, 101 us; the next miss, on the neighbouring slot 13, reads 2 (the window
 * 12..13), 102 us after the first ends; after 1 readahead hit a miss on slot 14 reads the
 * aligned 4 (12..15). After 3 more hits the window is 8 (8..15), 108 us. */
static void read_fault_merges_window(void **state)
{
    (void)state;
    struct swap_config c = round_dev(1, 1 << 20);
    struct swap_dev *sw = swap_new(&c);
    for (int i = 0; i < 20; i++)
        swap_alloc_slot(sw);
    uint64_t ra[16];
    unsigned nra = 0;
    assert_int_equal(swap_cluster_ra_pages(sw, 1000), 8);
    assert_int_equal(swap_cluster_ra_pages(sw, 2000), 4);
    assert_int_equal(swap_cluster_ra_pages(sw, 3000), 2);
    assert_int_equal(swap_cluster_ra_pages(sw, 4000), 1);
    assert_int_equal(swap_read_fault(sw, 5000, 12, ra, &nra, 16), 5000 + 101000);
    assert_int_equal(nra, 0);
    assert_int_equal(swap_read_fault(sw, 106000, 13, ra, &nra, 16), 106000 + 102000);
    assert_int_equal(nra, 1);
    assert_int_equal(ra[0], 12);
    swap_ra_hit(sw);
    assert_int_equal(swap_read_fault(sw, 300000, 14, ra, &nra, 16), 300000 + 104000);
    assert_int_equal(nra, 3);
    swap_ra_hit(sw);
    swap_ra_hit(sw);
    swap_ra_hit(sw);
    assert_int_equal(swap_read_fault(sw, 500000, 10, ra, &nra, 16), 500000 + 108000);
    assert_int_equal(nra, 7);
    assert_int_equal(swap_stats(sw)->ra_pages, 0 + 1 + 3 + 7);
    assert_int_equal(swap_stats(sw)->pswpin, 1 + 2 + 4 + 8);
    swap_free_dev(sw);
}

/* __swapin_nr_pages against the kernel's rule worked by hand. */
static void ra_pages_rule(void **state)
{
    (void)state;
    assert_int_equal(swap_ra_pages(10, 11, 0, 8, 0), 2); /* next to the last miss */
    assert_int_equal(swap_ra_pages(10, 9, 0, 8, 0), 2);
    assert_int_equal(swap_ra_pages(10, 20, 0, 8, 0), 1); /* a jump, no hits */
    assert_int_equal(swap_ra_pages(10, 20, 1, 8, 0), 4); /* 1 + 2 -> 4 */
    assert_int_equal(swap_ra_pages(10, 20, 2, 8, 0), 4);
    assert_int_equal(swap_ra_pages(10, 20, 3, 8, 0), 8); /* 5 -> 8 */
    assert_int_equal(swap_ra_pages(10, 20, 7, 8, 0), 8); /* 9 -> 16, capped */
    assert_int_equal(swap_ra_pages(10, 20, 7, 32, 0), 16);
    assert_int_equal(swap_ra_pages(10, 20, 0, 8, 8), 4); /* shrinks by half at most */
    assert_int_equal(swap_ra_pages(10, 20, 0, 8, 4), 2);
    assert_int_equal(swap_ra_pages(10, 20, 0, 8, 2), 1);
    assert_int_equal(swap_ra_pages(10, 20, 0, 1, 0), 1);
}

/* swapin_nr_pages' window sequence: the boot state's 4 hits give the first miss 8 pages
 * (roundup_pow_of_two(4 + 2), capped at 2^page_cluster), which halve with each miss far
 * from the last (4, 2, 1); then misses on 100, 101 (adjacent), 103 after 1 hit, 108
 * after 3 hits, then random misses with no hits: 1, 2, 4, 8, 4, 2, 1, 1. prev_offset stays
 * 101 while hits come in, so a miss on 102 after them is adjacent to it. */
static void cluster_window_sequence(void **state)
{
    (void)state;
    struct swap_config c = round_dev(1, 1 << 20);
    struct swap_dev *sw = swap_new(&c);
    assert_int_equal(swap_cluster_ra_pages(sw, 20), 8);
    assert_int_equal(swap_cluster_ra_pages(sw, 40), 4);
    assert_int_equal(swap_cluster_ra_pages(sw, 60), 2);
    assert_int_equal(swap_cluster_ra_pages(sw, 80), 1);
    assert_int_equal(swap_cluster_ra_pages(sw, 100), 1);
    assert_int_equal(swap_cluster_ra_pages(sw, 101), 2);
    swap_ra_hit(sw);
    assert_int_equal(swap_cluster_ra_pages(sw, 103), 4);
    swap_ra_hit(sw);
    swap_ra_hit(sw);
    swap_ra_hit(sw);
    assert_int_equal(swap_cluster_ra_pages(sw, 108), 8);
    assert_int_equal(swap_cluster_ra_pages(sw, 500), 4);
    assert_int_equal(swap_cluster_ra_pages(sw, 900), 2);
    assert_int_equal(swap_cluster_ra_pages(sw, 50), 1);
    assert_int_equal(swap_cluster_ra_pages(sw, 700), 1);
    assert_int_equal(swap_cluster_ra_pages(sw, 701), 2);
    swap_free_dev(sw);
    c.page_cluster = 0;
    sw = swap_new(&c);
    assert_int_equal(swap_cluster_ra_pages(sw, 101), 1);
    swap_free_dev(sw);
}

/* A VMA that never swapped in has 4 hits (GET_SWAP_RA_VAL): its first fault, at page 100,
 * reads roundup_pow_of_two(4 + 2) = 8 pages centred on it (97..104), capped at 2^page_cluster
 * (page_cluster 2: 4 pages, 99..102). */
static void vma_window_boot_state(void **state)
{
    (void)state;
    struct swap_ra_state st = {0, 0, 4};
    uint64_t a, b;
    assert_int_equal(swap_vma_ra_window(&st, 100, 3, &a, &b), 8);
    assert_true(a == 97 && b == 105);
    st = (struct swap_ra_state){0, 0, 4};
    assert_int_equal(swap_vma_ra_window(&st, 100, 2, &a, &b), 4);
    assert_true(a == 99 && b == 103);
}

/* swap_vma_ra_win: faults at 1000 (no history: 1 page), 1001 (the next page: 2, forward
 * from it), a hit on 1002, 1003 (1 hit: 4 forward, 1003..1006), hits on 1004..1006, 1007
 * (3 hits: 8, 1007..1014); a fault just below the last one runs the window backwards; a
 * jump centres it (fpage - (win - 1) / 2) and it stays in the fault's 2 MiB span. */
static void vma_window_sequence(void **state)
{
    (void)state;
    struct swap_ra_state st = {0};
    uint64_t a, b;
    assert_int_equal(swap_vma_ra_window(&st, 1000, 3, &a, &b), 1);
    assert_true(a == 1000 && b == 1001);
    assert_int_equal(swap_vma_ra_window(&st, 1001, 3, &a, &b), 2);
    assert_true(a == 1001 && b == 1003);
    swap_vma_ra_hit(&st, 1002, 1);
    assert_int_equal(swap_vma_ra_window(&st, 1003, 3, &a, &b), 4);
    assert_true(a == 1003 && b == 1007);
    for (uint64_t p = 1004; p <= 1006; p++)
        swap_vma_ra_hit(&st, p, 1);
    assert_int_equal(swap_vma_ra_window(&st, 1007, 3, &a, &b), 8);
    assert_true(a == 1007 && b == 1015);
    /* a hit on a page that was not read ahead moves the address, counts no hit */
    swap_vma_ra_hit(&st, 2001, 0);
    assert_int_equal(swap_vma_ra_window(&st, 2000, 3, &a, &b), 4); /* 2, but at least 8 / 2 */
    assert_true(a == 1997 && b == 2001);
    st = (struct swap_ra_state){0, 0, 3};
    assert_int_equal(swap_vma_ra_window(&st, 5000, 3, &a, &b), 8);
    assert_true(a == 4997 && b == 5005);
    st = (struct swap_ra_state){0, 0, 3};
    assert_int_equal(swap_vma_ra_window(&st, 5121, 3, &a, &b), 8); /* 5118.. clipped at 5120 */
    assert_true(a == 5120 && b == 5126);
    st = (struct swap_ra_state){0, 0, 40};
    assert_int_equal(swap_vma_ra_window(&st, 9000, 6, &a, &b), 32); /* order ceiling 5 */
    st = (struct swap_ra_state){0, 0, 40};
    assert_int_equal(swap_vma_ra_window(&st, 9000, 0, &a, &b), 1);
}

static void durations_parse(void **state)
{
    (void)state;
    uint64_t ns = 0;
    assert_int_equal(swap_parse_duration("50us", &ns), 0);
    assert_int_equal(ns, 50000);
    assert_int_equal(swap_parse_duration("4.16ms", &ns), 0);
    assert_int_equal(ns, 4160000);
    assert_int_equal(swap_parse_duration("1.7us", &ns), 0);
    assert_int_equal(ns, 1700);
    assert_int_equal(swap_parse_duration("1200", &ns), 0);
    assert_int_equal(ns, 1200);
    assert_int_equal(swap_parse_duration("3 furlongs", &ns), -1);
    assert_int_equal(swap_parse_duration("-1us", &ns), -1);
}

/* The presets load and order as the devices do: HDD slowest, zram fastest and synchronous. */
static void presets_load(void **state)
{
    (void)state;
    const char *names[4] = {"hdd", "sata-ssd", "nvme", "zram"};
    struct swap_config c[4];
    char path[256], err[256];
    for (int i = 0; i < 4; i++) {
        swap_config_defaults(&c[i]);
        snprintf(path, sizeof(path), "configs/swap/%s.ini", names[i]);
        if (access(path, R_OK) != 0)
            snprintf(path, sizeof(path), "../../configs/swap/%s.ini", names[i]);
        int rc = config_load_swap(&c[i], path, err, sizeof(err));
        if (rc)
            print_error("%s\n", err);
        assert_int_equal(rc, 0);
        assert_string_equal(c[i].name, names[i]);
    }
    assert_true(c[0].read_latency_ns > c[1].read_latency_ns);
    assert_true(c[1].read_latency_ns > c[2].read_latency_ns);
    assert_true(c[2].read_latency_ns > c[3].read_latency_ns);
    assert_int_equal(c[0].read_latency_ns, 11560000);
    assert_int_equal(c[0].queue_depth, 1);
    assert_int_equal(c[2].read_bandwidth, 3500000000ull);
    assert_int_equal(c[3].synchronous, 1);
}

static void config_errors_name_file_and_line(void **state)
{
    (void)state;
    char path[64] = "/tmp/mmsim-swap-______";
    memset(path + strlen(path) - 6, 'X', 6); /* mkstemp's template */
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    fputs("[memory]\nsize = 1G\n[swap]\nsize = 2G\nqueue_depth = lots\n", f);
    fclose(f);
    struct swap_config c;
    swap_config_defaults(&c);
    char err[256] = "";
    assert_int_equal(config_load_swap(&c, path, err, sizeof(err)), -1);
    char want[300];
    snprintf(want, sizeof(want), "%s:5: swap.queue_depth: bad value 'lots' (expected a whole number)", path);
    assert_string_equal(err, want);
    assert_int_equal(c.size, 2ull << 30);
    f = fopen(path, "w");
    assert_non_null(f);
    fputs("[swap]\ncolour = red\n", f);
    fclose(f);
    assert_int_equal(config_load_swap(&c, path, err, sizeof(err)), -1);
    snprintf(want, sizeof(want), "%s:2: swap.colour: unknown key", path);
    assert_string_equal(err, want);
    unlink(path);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(queue_depth_one_serialises),
        cmocka_unit_test(queue_depth_two_overlaps_latency),
        cmocka_unit_test(deep_queue_bounded_by_bandwidth),
        cmocka_unit_test(read_write_asymmetry),
        cmocka_unit_test(reads_pass_queued_writes),
        cmocka_unit_test(synchronous_device_does_not_queue),
        cmocka_unit_test(latency_spread_is_lognormal),
        cmocka_unit_test(completions_logged_for_interrupts),
        cmocka_unit_test(slots_fill_and_free),
        cmocka_unit_test(slots_prefer_free_clusters),
        cmocka_unit_test(readahead_window_aligned),
        cmocka_unit_test(read_fault_merges_window),
        cmocka_unit_test(ra_pages_rule),
        cmocka_unit_test(cluster_window_sequence),
        cmocka_unit_test(vma_window_boot_state),
        cmocka_unit_test(vma_window_sequence),
        cmocka_unit_test(durations_parse),
        cmocka_unit_test(presets_load),
        cmocka_unit_test(config_errors_name_file_and_line),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
