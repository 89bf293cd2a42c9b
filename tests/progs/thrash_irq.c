/* thrash_irq - what an interrupt takes from the task a busy CPU runs, for the model's CPU
 * costs of swapping with several processes (tests/validate/thrash.sh).
 *   thrash_irq FILE
 * A process that faults on swap loses CPU to work done on behalf of others: the device's
 * completion interrupt (and the wake-up it sends) lands on whatever CPU takes the
 * device's interrupts, and reclaim's TLB flushes (one before each page it writes) reach
 * every other CPU that runs a user process and that a process it unmapped from ran on: an
 * inter-processor interrupt (IPI) on bare metal; on a paravirtual guest (PVM) the
 * hypervisor's remote flush, no IPI the guest counts, at a like cost to the sender. With
 * one process the other CPU is mostly idle and absorbs both; with more processes than
 * CPUs the time is taken from a running task. Measured here, on a machine with 2 or more CPUs:
 *   - irq: a spinner counts loop iterations on one CPU while a reader on another CPU reads
 *     4 KiB at random offsets of FILE (created, 64 MiB, O_DIRECT, removed at exit) one
 *     request at a time; against the spinner's rate alone, the iterations lost per
 *     request, in ns. Each CPU takes the spinner's place in turn (the device's interrupts
 *     go to one of them); the largest loss is the cost on the CPU that takes them.
 *   - ipi: a thread of the same process spins on another CPU while this thread writes a
 *     page and drops it (madvise MADV_DONTNEED: a TLB flush of every CPU running this
 *     address space); the sender's extra time per flush against the same loop before that
 *     thread exists, and the spinner's loss per flush, in ns.
 *   - switch: two processes on one CPU, each touching 16 random pages of its own 8 MiB
 *     and yielding to the other, against one process doing the same alone: the time of a
 *     switch between two processes and the refill of what the other evicted, in ns.
 * Prints key=value lines: irq_ns and irq_cpu (the CPU with the larger loss), ipi_sender_ns,
 * ipi_receiver_ns, switch_ns (and the raw figures). */
#define _GNU_SOURCE /* O_DIRECT, sched_setaffinity */
#include <fcntl.h>
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <errno.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define FILE_MIB 64
#define RUN_SECONDS 0.4

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int pin(int cpu)
{
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET(cpu, &set);
    return sched_setaffinity(0, sizeof set, &set);
}

struct spinner {
    int cpu;
    atomic_int stop, started;
    double rate; /* iterations a second over the run */
};

/* Counts iterations until told to stop; the rate is what the CPU gave it. */
static void *spin(void *arg)
{
    struct spinner *sp = arg;
    pin(sp->cpu);
    atomic_store(&sp->started, 1);
    volatile uint64_t n = 0;
    double t0 = now_s();
    while (!atomic_load_explicit(&sp->stop, memory_order_relaxed))
        n++;
    sp->rate = (double)n / (now_s() - t0);
    return NULL;
}

static int start_spinner(pthread_t *th, struct spinner *sp, int cpu)
{
    memset(sp, 0, sizeof *sp);
    sp->cpu = cpu;
    if (pthread_create(th, NULL, spin, sp))
        return -1;
    while (!atomic_load(&sp->started))
        sched_yield();
    return 0;
}

static double stop_spinner(pthread_t th, struct spinner *sp)
{
    atomic_store(&sp->stop, 1);
    pthread_join(th, NULL);
    return sp->rate;
}

static uint64_t xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

/* Random 4 KiB O_DIRECT reads for `seconds`; the number done. */
static long read_for(int fd, void *buf, double seconds)
{
    uint64_t seed = 88172645463325252ull;
    long n = 0;
    double end = now_s() + seconds;
    while (now_s() < end) {
        off_t off = (off_t)(xorshift(&seed) % (FILE_MIB * 256ull)) * 4096;
        ssize_t got = pread(fd, buf, 4096, off);
        if (got < 0 && errno == EINTR)
            continue;
        if (got != 4096)
            return -1;
        n++;
    }
    return n;
}

/* Spinner rate alone, then with the reader on another CPU: ns lost per read. */
static double irq_loss_on(int spin_cpu, int read_cpu, int fd, void *buf, long *reads)
{
    pthread_t th;
    struct spinner sp;
    pin(read_cpu);
    if (start_spinner(&th, &sp, spin_cpu))
        return -1;
    usleep((useconds_t)(RUN_SECONDS * 1e6));
    double alone = stop_spinner(th, &sp);
    if (start_spinner(&th, &sp, spin_cpu))
        return -1;
    double t0 = now_s();
    long n = read_for(fd, buf, RUN_SECONDS);
    double dt = now_s() - t0;
    double busy = stop_spinner(th, &sp);
    if (n <= 0 || alone <= 0)
        return -1;
    *reads = n;
    double lost_s = (alone - busy) / alone * dt;
    /* on a loaded machine the spinner can run faster beside the reads than alone: no loss
     * measured (a negative figure is noise, and -1 means failure to the caller) */
    return lost_s > 0 ? lost_s / (double)n * 1e9 : 0;
}

static int make_file(const char *path)
{
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_DIRECT, 0600);
    if (fd < 0)
        return -1;
    void *buf;
    if (posix_memalign(&buf, 4096, 1 << 20))
        return -1;
    memset(buf, 0x5a, 1 << 20);
    for (int i = 0; i < FILE_MIB; i++)
        if (write(fd, buf, 1 << 20) != 1 << 20)
            return -1;
    fsync(fd);
    free(buf);
    return fd;
}

/* Writes a page and drops it, `n` times: each drop flushes the TLB of every CPU that runs
 * this address space. Seconds per round. */
static double drop_rounds(char *page, long n)
{
    double t0 = now_s();
    for (long i = 0; i < n; i++) {
        page[0] = (char)i;
        madvise(page, 4096, MADV_DONTNEED);
    }
    return (now_s() - t0) / (double)n;
}

static int measure_ipi(int cpu0, int cpu1)
{
    char *page = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (page == MAP_FAILED)
        return -1;
    pin(cpu0);
    long rounds = 20000;
    drop_rounds(page, 2000); /* warm */
    double alone = drop_rounds(page, rounds);
    pthread_t th;
    struct spinner sp;
    if (start_spinner(&th, &sp, cpu1))
        return -1;
    usleep((useconds_t)(RUN_SECONDS * 1e6));
    double t0 = now_s();
    double shared = drop_rounds(page, rounds);
    double dt = now_s() - t0;
    double busy = stop_spinner(th, &sp);
    /* the spinner's rate with nothing else from this process */
    if (start_spinner(&th, &sp, cpu1))
        return -1;
    usleep((useconds_t)(RUN_SECONDS * 1e6));
    double quiet = stop_spinner(th, &sp);
    /* the spinner's rate mixes both phases: quiet before the rounds, flushed during them */
    double lost_s = quiet > 0 ? (quiet - busy) / quiet * (dt + RUN_SECONDS) : 0;
    printf("ipi_round_alone_ns=%.0f\nipi_round_shared_ns=%.0f\n", alone * 1e9, shared * 1e9);
    printf("ipi_sender_ns=%.0f\nipi_receiver_ns=%.0f\n", shared > alone ? (shared - alone) * 1e9 : 0.0,
           lost_s > 0 ? lost_s / (double)rounds * 1e9 : 0.0);
    return 0;
}

#define SWITCH_ROUNDS 10000
#define SWITCH_MIB 8

/* Touches 16 random pages of buf and yields, `rounds` times; seconds. */
static double touch_and_yield(char *buf, long rounds, uint64_t seed)
{
    double t0 = now_s();
    for (long i = 0; i < rounds; i++) {
        for (int k = 0; k < 16; k++)
            buf[(xorshift(&seed) % (SWITCH_MIB * 256ull)) * 4096]++;
        sched_yield();
    }
    return now_s() - t0;
}

static char *own_buffer(void)
{
    char *b = mmap(NULL, SWITCH_MIB << 20, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (b != MAP_FAILED)
        memset(b, 1, SWITCH_MIB << 20);
    return b == MAP_FAILED ? NULL : b;
}

static int measure_switch(void)
{
    pin(0);
    char *b = own_buffer();
    int go[2];
    if (!b || pipe(go))
        return -1;
    double alone = touch_and_yield(b, SWITCH_ROUNDS, 88172645463325252ull);
    pid_t child = fork();
    if (child < 0)
        return -1;
    if (child == 0) {
        char *cb = own_buffer();
        if (!cb || write(go[1], "x", 1) != 1)
            _exit(1);
        touch_and_yield(cb, SWITCH_ROUNDS, 1234567ull);
        _exit(0);
    }
    char ch;
    if (read(go[0], &ch, 1) != 1)
        return -1;
    double t0 = now_s();
    touch_and_yield(b, SWITCH_ROUNDS, 88172645463325252ull);
    waitpid(child, NULL, 0);
    double both = now_s() - t0;
    /* both processes' rounds, one switch after each, against one process's alone */
    double sw = both / (2.0 * SWITCH_ROUNDS) - alone / SWITCH_ROUNDS; /* noise can make it < 0 */
    printf("switch_round_alone_ns=%.0f\nswitch_ns=%.0f\n", alone / SWITCH_ROUNDS * 1e9, sw > 0 ? sw * 1e9 : 0.0);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: thrash_irq FILE\n");
        return 2;
    }
    long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
    if (ncpu < 2) {
        fprintf(stderr, "thrash_irq: needs 2 or more CPUs (has %ld)\n", ncpu);
        return 1;
    }
    int fd = make_file(argv[1]);
    if (fd < 0) {
        fprintf(stderr, "thrash_irq: cannot write %s with O_DIRECT\n", argv[1]);
        unlink(argv[1]);
        return 1;
    }
    void *buf;
    if (posix_memalign(&buf, 4096, 4096))
        return 1;
    double worst = 0;
    int worst_cpu = 0;
    for (int c = 0; c < 2; c++) {
        long n = 0;
        double ns = irq_loss_on(c, 1 - c, fd, buf, &n);
        if (ns < 0) {
            fprintf(stderr, "thrash_irq: reading %s failed: %s\n", argv[1], strerror(errno));
            unlink(argv[1]);
            return 1;
        }
        printf("irq_cpu%d_ns=%.0f\nirq_cpu%d_reads=%ld\n", c, ns, c, n);
        if (ns > worst) {
            worst = ns;
            worst_cpu = c;
        }
    }
    printf("irq_ns=%.0f\nirq_cpu=%d\n", worst, worst_cpu);
    close(fd);
    unlink(argv[1]);
    free(buf);
    if (measure_ipi(0, 1))
        return 1;
    return measure_switch() ? 1 : 0;
}
