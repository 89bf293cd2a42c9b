/* demo.c - the program `make demo` records: a small workload with a sequential phase, a
 * strided phase and a random phase over a few MiB of heap and an mmap'd buffer, so the
 * TLB, cache and fault behaviour of each shows up in the report and the plots. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

static uint64_t next_random(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

int main(int argc, char **argv)
{
    size_t mib = argc > 1 ? (size_t)atoi(argv[1]) : 8;
    size_t n = mib << 20;
    unsigned char *heap = malloc(n);
    if (!heap)
        return 1;
    memset(heap, 1, n); /* sequential first touch: one fault a page */

    uint64_t sum = 0;
    for (size_t i = 0; i < n; i += 4096 + 64) /* strided: a new page almost every access */
        sum += heap[i];

    size_t m = n / 2;
    unsigned char *buf = mmap(NULL, m, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (buf == MAP_FAILED)
        return 1;
    uint64_t seed = 88172645463325252ull;
    for (size_t i = 0; i < 200000; i++) { /* random: TLB misses and walks */
        size_t j = next_random(&seed) % m;
        buf[j] += heap[j];
    }
    for (size_t i = 0; i < m; i += 8)
        sum += buf[i];
    munmap(buf, m);
    free(heap);
    printf("demo: %zu MiB, checksum %llu\n", mib, (unsigned long long)sum);
    return 0;
}
