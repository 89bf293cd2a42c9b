/* win_loop.c - a long program for windowed recording (mmsim record --skip/--length/--every)
 * and its fast-forward benchmark: P phases, each maps a fresh 1 MiB anonymous region
 * (mmap, so a skipped stretch makes mappings), writes each of its pages, then runs N
 * iterations of a loop that reads and writes a 64 KiB array (a load and a store each).
 * usage: win_loop [N=1000000] [P=4]; prints the checksum. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define REGION (1u << 20)
#define WORDS (64u << 10) / sizeof(unsigned long)

static unsigned long arr[WORDS];

int main(int argc, char **argv)
{
    unsigned long n = argc > 1 ? strtoul(argv[1], NULL, 0) : 1000000;
    unsigned long phases = argc > 2 ? strtoul(argv[2], NULL, 0) : 4;
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    unsigned long sum = 0;
    for (unsigned long ph = 0; ph < phases; ph++) {
        volatile unsigned char *r = mmap(NULL, REGION, PROT_READ | PROT_WRITE,
                                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (r == MAP_FAILED)
            return 1;
        for (size_t i = 0; i < REGION; i += pg)
            r[i] = (unsigned char)(i + ph);
        for (unsigned long i = 0; i < n; i++) {
            unsigned long k = (i * 7) % WORDS;
            arr[k] += i;
            sum += arr[k];
        }
    }
    printf("%lu\n", sum);
    return 0;
}
