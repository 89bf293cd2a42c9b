/* val_seq.c - validation: sequential first touch of anonymous memory.
 * usage: val_seq [MiB=8] [w|r|rw]  (w: write each page once; r: read each page once, which
 * maps the zero page; rw: read then write, two faults a page). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    size_t mib = argc > 1 ? (size_t)atoi(argv[1]) : 8;
    const char *mode = argc > 2 ? argv[2] : "w";
    size_t pg = (size_t)sysconf(_SC_PAGESIZE), n = mib << 20;
    volatile unsigned char *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return 1;
    unsigned sum = 0;
    if (strchr(mode, 'r'))
        for (size_t i = 0; i < n; i += pg) sum += p[i];
    if (strchr(mode, 'w'))
        for (size_t i = 0; i < n; i += pg) p[i] = (unsigned char)i;
    munmap((void *)p, n);
    return (int)(sum & 1);
}
