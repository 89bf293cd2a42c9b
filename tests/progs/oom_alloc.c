/* oom_alloc - allocate MIB mebibytes of anonymous memory, one mebibyte every STEP_MS
 * milliseconds (each page written), then hold it for HOLD_S seconds and exit 0.
 * Used by the OOM experiments: three of these under one memory cgroup limit.
 * Usage: oom_alloc MIB [STEP_MS [HOLD_S]] */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

static void sleep_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: oom_alloc MIB [STEP_MS [HOLD_S]]\n");
        return 2;
    }
    long mib = atol(argv[1]);
    long step_ms = argc > 2 ? atol(argv[2]) : 10;
    long hold_s = argc > 3 ? atol(argv[3]) : 1;
    const size_t one = 1 << 20;
    long page = sysconf(_SC_PAGESIZE);
    if (mib <= 0 || step_ms < 0 || hold_s < 0) {
        fprintf(stderr, "oom_alloc: bad arguments\n");
        return 2;
    }
    char *p = mmap(NULL, (size_t)mib * one, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS,
                   -1, 0);
    if (p == MAP_FAILED) {
        perror("oom_alloc: mmap");
        return 1;
    }
    for (long m = 0; m < mib; m++) {
        for (size_t off = 0; off < one; off += (size_t)page)
            p[(size_t)m * one + off] = (char)(m + 1);
        if (step_ms)
            sleep_ms(step_ms);
    }
    printf("oom_alloc: holding %ld MiB\n", mib);
    fflush(stdout);
    sleep_ms(hold_s * 1000);
    return 0;
}
