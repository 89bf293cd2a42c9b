/* ptrace_touch.c - maps N anonymous pages (argv[1], default 12288), writes one byte in each,
 * unmaps them: N minor page faults the kernel and the events-only trace must both count. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 12288;
    if (n <= 0)
        return 2;
    char *p = mmap(NULL, (size_t)n * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return 1;
    for (long i = 0; i < n; i++)
        p[i * 4096] = 1;
    munmap(p, (size_t)n * 4096);
    printf("%p %ld\n", (void *)p, n);
    return 0;
}
