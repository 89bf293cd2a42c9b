/* memcg_stock - the kernel's per-CPU memcg charge stock, seen from a memory cgroup's usage.
 *   memcg_stock CGDIR [N0 [N1]]
 * CGDIR: a fresh memory cgroup (v1: memory.usage_in_bytes and memory.limit_in_bytes; v2:
 * memory.current and memory.max), no limit set. Needs 2 CPUs and root; CPU 0 and CPU 1
 * below are the first two CPUs it may run on. Exits 3 with fewer.
 * try_charge_memcg (mm/memcontrol.c) charges MEMCG_CHARGE_BATCH (64) pages to the group's
 * page_counter when they fit and keeps what the charge did not use in the charging CPU's
 * stock (refill_stock); a later charge on that CPU takes a page from it (consume_stock)
 * without touching the counter. The usage the group shows is the counter, so it holds the
 * stocks. What this does, with everything it needs allocated before it joins the group
 * (the page table of its region, the read buffers of the files: a charge of its own would
 * come from the stock too):
 *   1. on CPU 0: joins the group, touches N0 pages (default 100) one at a time and records
 *      the usage after each: it steps by the batch, and the first step is the batch;
 *   2. moves to CPU 1 and touches N1 more (default 10): usage steps by a batch at once,
 *      though CPU 0's stock still holds pages (a task's charges use its CPU's stock only);
 *   3. sleeps 200 ms: the stocks stay (nothing drains them on a timer);
 *   4. from CPU 1 writes a limit one page under the usage: the limit's write calls
 *      drain_all_stock (mem_cgroup_resize_max on v1, memory_max_write on v2), which drains
 *      the local CPU's stock at once and queues a work item on CPU 0 for its stock; the
 *      usage right after the write has lost CPU 1's stock, and is read in a loop until
 *      CPU 0's goes too: the delay of the remote drain.
 * Prints key=value lines: batch (the first step), steps_cpu0 (pages touched at each step,
 * the step), step_cpu1, stock_cpu0, stock_cpu1 (pages charged and not used, from the
 * pages touched and the usage after the drains), idle_ms_kept (1: the stocks were still
 * there after the sleep), inuse_pages (usage after both drains), remote_drain_us. */
#define _GNU_SOURCE /* sched_setaffinity, sched_getcpu */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define REGION_PAGES 512 /* one page table's worth, 2 MiB aligned */
#define MAX_TOUCH 400

static long page_size;

static void die(const char *what, const char *path)
{
    fprintf(stderr, "memcg_stock: %s%s%s: %s\n", what, path ? " " : "", path ? path : "",
            strerror(errno));
    exit(1);
}

static void pin(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    if (sched_setaffinity(0, sizeof(set), &set))
        die("sched_setaffinity", NULL);
    while (sched_getcpu() != cpu)
        sched_yield();
}

/* the group's usage in pages, read with pread on a file opened (and read once) before the
 * process joined the group, so that the read allocates nothing */
static long usage_pages(int fd)
{
    char buf[64];
    ssize_t n = pread(fd, buf, sizeof(buf) - 1, 0);
    if (n <= 0)
        die("read usage", NULL);
    buf[n] = 0;
    return (long)(strtoull(buf, NULL, 10) / (unsigned long long)page_size);
}

static double now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1e6 + ts.tv_nsec / 1e3;
}

int main(int argc, char **argv)
{
    if (argc < 2 || argc > 4) {
        fprintf(stderr, "usage: memcg_stock CGDIR [N0 [N1]]\n");
        return 2;
    }
    const char *cg = argv[1];
    int n0 = argc > 2 ? atoi(argv[2]) : 100, n1 = argc > 3 ? atoi(argv[3]) : 10;
    if (n0 < 1 || n1 < 1 || n0 + n1 > MAX_TOUCH) {
        fprintf(stderr, "memcg_stock: N0, N1 >= 1 and N0 + N1 <= %d\n", MAX_TOUCH);
        return 2;
    }
    /* CPU 0 and CPU 1 of the text: the first two this process may run on */
    cpu_set_t allowed;
    int cpus[2], ncpus = 0;
    if (sched_getaffinity(0, sizeof(allowed), &allowed))
        die("sched_getaffinity", NULL);
    for (int c = 0; c < CPU_SETSIZE && ncpus < 2; c++)
        if (CPU_ISSET(c, &allowed))
            cpus[ncpus++] = c;
    if (ncpus < 2) {
        fprintf(stderr, "memcg_stock: needs 2 CPUs\n");
        return 3;
    }
    page_size = sysconf(_SC_PAGESIZE);
    char path[4096];
    int v2 = 0;
    snprintf(path, sizeof(path), "%s/memory.usage_in_bytes", cg);
    int ufd = open(path, O_RDONLY);
    if (ufd < 0) {
        v2 = 1;
        snprintf(path, sizeof(path), "%s/memory.current", cg);
        ufd = open(path, O_RDONLY);
    }
    if (ufd < 0)
        die("open", path);
    snprintf(path, sizeof(path), "%s/%s", cg, v2 ? "memory.max" : "memory.limit_in_bytes");
    int lfd = open(path, O_WRONLY);
    if (lfd < 0)
        die("open", path);
    snprintf(path, sizeof(path), "%s/cgroup.procs", cg);
    int pfd = open(path, O_WRONLY);
    if (pfd < 0)
        die("open", path);
    (void)usage_pages(ufd); /* the seq_file buffer, charged outside the group */

    size_t rbytes = (size_t)REGION_PAGES * (size_t)page_size;
    char *raw = mmap(NULL, 2 * rbytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (raw == MAP_FAILED)
        die("mmap", NULL);
    char *reg = (char *)(((uintptr_t)raw + rbytes - 1) & ~(uintptr_t)(rbytes - 1));
    madvise(reg, rbytes, MADV_NOHUGEPAGE);
    reg[(REGION_PAGES - 1) * page_size] = 1; /* its page table, outside the group */

    static long after[MAX_TOUCH];
    pin(cpus[0]);
    char pid[32];
    int len = snprintf(pid, sizeof(pid), "%d\n", (int)getpid());
    if (write(pfd, pid, (size_t)len) != len)
        die("join", cg);
    long u0 = usage_pages(ufd);
    for (int i = 0; i < n0; i++) {
        reg[(size_t)i * page_size] = 1;
        after[i] = usage_pages(ufd);
    }
    pin(cpus[1]);
    for (int i = n0; i < n0 + n1; i++) {
        reg[(size_t)i * page_size] = 1;
        after[i] = usage_pages(ufd);
    }
    long before_sleep = usage_pages(ufd);
    usleep(200000);
    long after_sleep = usage_pages(ufd);

    /* the drain: a limit one page under the usage, written from CPU 1 */
    char lim[32];
    len = snprintf(lim, sizeof(lim), "%ld\n", (after_sleep - 1) * page_size);
    double t0 = now_us();
    if (write(lfd, lim, (size_t)len) != len)
        die("write limit", cg);
    double t1 = now_us();
    long after_write = usage_pages(ufd), inuse = after_write;
    double t2 = t1;
    while (now_us() - t1 < 1e6) {
        long u = usage_pages(ufd);
        t2 = now_us();
        if (u < after_write) {
            inuse = u;
            break;
        }
    }

    printf("usage_at_join=%ld\n", u0);
    long prev = u0;
    printf("batch=%ld\n", after[0] - u0);
    printf("steps_cpu0=");
    for (int i = 0; i < n0; i++) {
        if (after[i] != prev)
            printf("%s%d:%ld", prev == u0 ? "" : ",", i + 1, after[i] - prev);
        prev = after[i];
    }
    printf("\n");
    long cpu1_step = 0;
    for (int i = n0; i < n0 + n1; i++) {
        cpu1_step += after[i] - prev;
        prev = after[i];
    }
    printf("step_cpu1=%ld\n", cpu1_step);
    printf("usage_before_drain=%ld\n", after_sleep);
    printf("idle_kept=%d\n", after_sleep == before_sleep);
    printf("stock_cpu1=%ld\n", after_sleep - after_write);
    printf("stock_cpu0=%ld\n", after_write - inuse);
    printf("inuse_pages=%ld\n", inuse - u0);
    printf("touched=%d\n", n0 + n1);
    printf("limit_write_us=%.0f\n", t1 - t0);
    printf("remote_drain_us=%.0f\n", inuse < after_write ? t2 - t1 : -1.0);
    return 0;
}
