/* ptrace_majflt.c - major page faults on purpose: writes a file of N pages (argv[2], default
 * 512) at PATH (argv[1]), syncs it, drops it from the page cache (POSIX_FADV_DONTNEED), maps
 * it and reads one byte a page. Prints the mapping's address. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc < 2)
        return 2;
    long n = argc > 2 ? atol(argv[2]) : 512;
    int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || n <= 0)
        return 1;
    char page[4096];
    memset(page, 'x', sizeof page);
    for (long i = 0; i < n; i++)
        if (write(fd, page, sizeof page) != (ssize_t)sizeof page)
            return 1;
    fsync(fd);
    posix_fadvise(fd, 0, 0, POSIX_FADV_DONTNEED);
    char *p = mmap(NULL, (size_t)n * 4096, PROT_READ, MAP_PRIVATE, fd, 0);
    if (p == MAP_FAILED)
        return 1;
    long sum = 0;
    for (long i = 0; i < n; i++)
        sum += p[i * 4096];
    munmap(p, (size_t)n * 4096);
    close(fd);
    unlink(argv[1]);
    printf("%p %ld\n", (void *)p, sum);
    return 0;
}
