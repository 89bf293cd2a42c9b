/* val_rand.c - validation: anonymous pages touched in a random order, first read (the
 * zero page) then written (a second fault each).
 * usage: val_rand [MiB=8] [seed=1] */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    size_t mib = argc > 1 ? (size_t)atoi(argv[1]) : 8;
    uint64_t s = argc > 2 ? (uint64_t)atoll(argv[2]) : 1;
    size_t pg = (size_t)sysconf(_SC_PAGESIZE), n = mib << 20, pages = n / pg;
    volatile unsigned char *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    /* the permutation lives on its own mapping so its faults are sequential and known */
    uint32_t *perm = mmap(NULL, pages * sizeof *perm, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED || perm == MAP_FAILED) return 1;
    for (size_t i = 0; i < pages; i++) perm[i] = (uint32_t)i;
    for (size_t i = pages - 1; i > 0; i--) { /* Fisher-Yates with xorshift */
        s ^= s << 13; s ^= s >> 7; s ^= s << 17;
        size_t j = s % (i + 1);
        uint32_t t = perm[i]; perm[i] = perm[j]; perm[j] = t;
    }
    unsigned sum = 0;
    for (size_t i = 0; i < pages; i++) sum += p[(size_t)perm[i] * pg];
    for (size_t i = 0; i < pages; i++) p[(size_t)perm[pages - 1 - i] * pg + 8] = 1;
    return (int)(sum & 1);
}
