/* val_thp.c - validation: transparent huge pages with MADV_HUGEPAGE. A 2 MiB-aligned
 * anonymous region of N MiB is madvised, then written one byte a page (one fault per
 * 2 MiB when the kernel finds huge pages); a second region is read first (the huge zero
 * page), then written.
 * usage: val_thp [MiB=16] */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define HPAGE (2UL << 20)

static volatile unsigned char *huge_region(size_t n)
{
    unsigned char *p = mmap(NULL, n + HPAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return NULL;
    unsigned char *a = (unsigned char *)(((uintptr_t)p + HPAGE - 1) & ~(HPAGE - 1));
    if (madvise(a, n, MADV_HUGEPAGE)) return NULL;
    return a;
}

int main(int argc, char **argv)
{
    size_t mib = argc > 1 ? (size_t)atoi(argv[1]) : 16;
    size_t n = (mib << 20) & ~(HPAGE - 1), pg = (size_t)sysconf(_SC_PAGESIZE);
    if (!n) return 1;
    volatile unsigned char *a = huge_region(n), *b = huge_region(n);
    if (!a || !b) return 1;
    for (size_t i = 0; i < n; i += pg) a[i] = 1;
    unsigned sum = 0;
    for (size_t i = 0; i < n; i += pg) sum += b[i];
    for (size_t i = 0; i < n; i += pg) b[i] = 2;
    return (int)(sum & 1);
}
