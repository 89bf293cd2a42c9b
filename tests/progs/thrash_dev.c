/* thrash_dev - measure the device under a file as the swap path uses it, for the model's
 * swap device in the thrashing validation (tests/validate/thrash.sh).
 *   thrash_dev FILE MIB
 * Creates FILE (MIB mebibytes, removed at exit) with O_DIRECT, so the page cache is
 * bypassed as swap I/O bypasses it, and times, one request at a time (queue depth 1, as a
 * faulting task waits for its own read):
 *   - sequential writes of 4 KiB and of 256 KiB (swap-out writes runs of pages);
 *   - random reads of 4 KiB and of 32 KiB (a swap-in reads 1 page, or a readahead
 *     window of up to 8 pages) at page-aligned offsets.
 * Each kind runs up to 4000 requests or 1.5 s, whichever ends first. The time this
 * process spent waiting for a CPU meanwhile (its schedstat run delay: on a machine shared
 * with other jobs, the wake-up after each completion waits behind them) is taken out, as
 * thrash_run takes it out of the programs' runtimes. The means fit the
 * model's device, time = latency + bytes / bandwidth. The CPU time this process ran per
 * request (its schedstat run time: exact, unlike rusage's tick-sampled split) is printed
 * too: the block layer, the device's doorbell and the completion's wake-up in the
 * submitter's context (~1 us on bare metal; on a paravirtual guest each is an exit to the
 * host, tens of us). The model charges it to the submitting task (timing.swap_read_cpu,
 * swap_write_cpu) and leaves it out of the device's latency:
 *   read_bandwidth  = (32 KiB - 4 KiB) / (mean 32 KiB read - mean 4 KiB read)
 *   read_latency    = mean 4 KiB read - 4 KiB / read_bandwidth   (likewise for writes)
 * The spread of the 4 KiB requests' times is printed as the coefficient of variation of a
 * lognormal through their 16th and 84th percentiles (robust to the odd request a host
 * preempted): sigma = (ln p84 - ln p16) / 2, cv = sqrt(exp(sigma^2) - 1) (swap.latency_cv).
 * Prints key=value lines (latencies in ns, bandwidths in bytes/s, means in us). */
#define _GNU_SOURCE /* O_DIRECT */
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_REQS 4000
#define MAX_SECONDS 1.5

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static uint64_t xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Seconds this process has run on a CPU and waited on a run queue (0 without schedstat). */
static void schedstat_s(double *run_s, double *wait_s)
{
    unsigned long long run = 0, wait = 0;
    FILE *f = fopen("/proc/self/schedstat", "r");
    if (f) {
        if (fscanf(f, "%llu %llu", &run, &wait) != 2)
            run = wait = 0;
        fclose(f);
    }
    *run_s = (double)run / 1e9;
    *wait_s = (double)wait / 1e9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* The coefficient of variation of the lognormal through the 16th and 84th percentiles of
 * the n times in t (sorted here); 0 with too few. */
static double lognormal_cv(double *t, int n)
{
    if (n < 20)
        return 0;
    qsort(t, (size_t)n, sizeof(t[0]), cmp_double);
    double p16 = t[n * 16 / 100], p84 = t[n * 84 / 100];
    if (p16 <= 0 || p84 <= p16)
        return 0;
    double sigma = (log(p84) - log(p16)) / 2;
    return sqrt(expm1(sigma * sigma));
}

/* Mean seconds of one request of len bytes, less the run-queue wait, in *cpu the mean
 * CPU time this process ran for one, and in *cv the spread of the requests' times
 * (lognormal_cv); sequential from offset 0, or random. */
static double time_requests(int fd, char *buf, size_t len, off_t size, int write, int random, const char *path,
                            double *cpu, double *cv)
{
    static double each[MAX_REQS];
    uint64_t seed = 88172645463325252ull;
    off_t off = 0, slots = (size - (off_t)len) / 4096 + 1;
    double r0, q0, r1, q1;
    schedstat_s(&r0, &q0);
    double t0 = now_s(), t = t0;
    int n = 0;
    while (n < MAX_REQS && t - t0 < MAX_SECONDS) {
        if (random)
            off = (off_t)(xorshift(&seed) % (uint64_t)slots) * 4096;
        else if (off + (off_t)len > size)
            off = 0;
        ssize_t r = write ? pwrite(fd, buf, len, off) : pread(fd, buf, len, off);
        if (r != (ssize_t)len) {
            fprintf(stderr, "thrash_dev: %s: %s at %lld: %s\n", path, write ? "write" : "read", (long long)off,
                    r < 0 ? strerror(errno) : "short transfer");
            exit(1);
        }
        if (!random)
            off += (off_t)len;
        double t1 = now_s();
        each[n++] = t1 - t;
        t = t1;
    }
    schedstat_s(&r1, &q1);
    *cpu = (r1 - r0) / n;
    *cv = lognormal_cv(each, n);
    return (t - t0 - (q1 - q0)) / n;
}

/* latency and bandwidth of the line through (small, t_small) and (big, t_big) */
static void fit(const char *what, size_t small, double t_small, size_t big, double t_big)
{
    double per_byte = (t_big - t_small) / (double)(big - small);
    double bw = per_byte > 0 ? 1 / per_byte : 0;
    double lat = t_small - (per_byte > 0 ? (double)small * per_byte : 0);
    if (lat < 0)
        lat = 0;
    printf("%s_mean_%zuk_us=%.1f\n%s_mean_%zuk_us=%.1f\n", what, small >> 10, t_small * 1e6, what, big >> 10,
           t_big * 1e6);
    printf("%s_latency_ns=%.0f\n%s_bandwidth=%.0f\n", what, lat * 1e9, what, bw);
}

int main(int argc, char **argv)
{
    long mib = argc == 3 ? atol(argv[2]) : 0;
    if (mib < 1) {
        fprintf(stderr, "usage: thrash_dev FILE MIB   (MIB >= 1; FILE is created and removed)\n");
        return 2;
    }
    const char *path = argv[1];
    int fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_DIRECT, 0600);
    if (fd < 0) {
        fprintf(stderr, "thrash_dev: %s: %s\n", path, strerror(errno));
        return 1;
    }
    unlink(path); /* gone at exit whatever happens */
    const size_t big_w = 256 << 10, big_r = 32 << 10, small = 4096;
    char *buf;
    if (posix_memalign((void **)&buf, 4096, big_w)) {
        fprintf(stderr, "thrash_dev: out of memory\n");
        return 1;
    }
    memset(buf, 0x5a, big_w);
    off_t size = (off_t)mib << 20;
    /* fill the file first: reads of a hole are not reads of the device */
    for (off_t o = 0; o < size; o += (off_t)big_w)
        if (pwrite(fd, buf, big_w, o) != (ssize_t)big_w) {
            fprintf(stderr, "thrash_dev: %s: filling: %s\n", path, strerror(errno));
            return 1;
        }
    double cw_small, cw_big, cr_small, cr_big, vw_small, vw_big, vr_small, vr_big;
    double w_small = time_requests(fd, buf, small, size, 1, 0, path, &cw_small, &vw_small);
    double w_big = time_requests(fd, buf, big_w, size, 1, 0, path, &cw_big, &vw_big);
    double r_small = time_requests(fd, buf, small, size, 0, 1, path, &cr_small, &vr_small);
    double r_big = time_requests(fd, buf, big_r, size, 0, 1, path, &cr_big, &vr_big);
    fit("write", small, w_small, big_w, w_big);
    fit("read", small, r_small, big_r, r_big);
    /* a swap-in reads 1-8 pages and reclaim writes 1-2 pages a request here: the 4 KiB
     * requests' CPU time stands for both */
    printf("write_cpu_4k_us=%.1f\nwrite_cpu_256k_us=%.1f\nread_cpu_4k_us=%.1f\nread_cpu_32k_us=%.1f\n", cw_small * 1e6,
           cw_big * 1e6, cr_small * 1e6, cr_big * 1e6);
    printf("write_cpu_ns=%.0f\nread_cpu_ns=%.0f\n", cw_small * 1e9, cr_small * 1e9);
    printf("write_cv=%.3f\nread_cv=%.3f\n", vw_small, vr_small);
    close(fd);
    free(buf);
    return 0;
}
