/* thrash_spin - a CPU-bound loop pinned to one CPU: its rate tells what others take from
 * that CPU (tests/validate/thrash.sh: a reclaim flush's cost to a CPU running another
 * process).
 *   thrash_spin CPU SECONDS
 * Prints the loop's rate, rounds per second. The loop touches no memory, so neither the
 * caches nor the memory bandwidth the other CPUs use slow it: what it loses is CPU time
 * (interrupts, the hypervisor's work on this vCPU). */
#define _GNU_SOURCE /* sched_setaffinity */
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

int main(int argc, char **argv)
{
    char *end1 = NULL, *end2 = NULL;
    long cpu = argc == 3 ? strtol(argv[1], &end1, 10) : -1;
    double secs = argc == 3 ? strtod(argv[2], &end2) : 0;
    if (argc != 3 || *end1 || *end2 || cpu < 0 || cpu >= CPU_SETSIZE || !(secs > 0 && secs < 3600)) {
        fprintf(stderr, "usage: thrash_spin CPU SECONDS\n");
        return 2;
    }
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET((int)cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set)) {
        perror("thrash_spin: sched_setaffinity");
        return 1;
    }
    volatile unsigned long x = 0;
    unsigned long rounds = 0;
    double t0 = now_s(), stop = t0 + secs, t = t0;
    while (t < stop) {
        for (int i = 0; i < 10000; i++)
            x += (unsigned long)i;
        rounds++;
        t = now_s();
    }
    printf("%.1f\n", (double)rounds / (t - t0));
    return 0;
}
