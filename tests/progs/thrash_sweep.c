/* thrash_sweep - sweep a working set of MIB mebibytes PASSES times, writing one byte of
 * every page in order, then exit 0. The thrashing experiments record it and run it under
 * memory limits from above to below its working set.
 * Usage: thrash_sweep MIB [PASSES] */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2) {
        fprintf(stderr, "usage: thrash_sweep MIB [PASSES]\n");
        return 2;
    }
    long mib = atol(argv[1]), passes = argc > 2 ? atol(argv[2]) : 4;
    long page = sysconf(_SC_PAGESIZE);
    if (mib <= 0 || passes <= 0) {
        fprintf(stderr, "thrash_sweep: bad arguments\n");
        return 2;
    }
    size_t len = (size_t)mib << 20;
    volatile char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        perror("thrash_sweep: mmap");
        return 1;
    }
    unsigned sum = 0;
    for (long k = 0; k < passes; k++)
        for (size_t off = 0; off < len; off += (size_t)page) {
            sum += (unsigned char)p[off];
            p[off] = (char)(k + 1);
        }
    printf("thrash_sweep: %ld MiB x %ld passes, %u\n", mib, passes, sum);
    return 0;
}
