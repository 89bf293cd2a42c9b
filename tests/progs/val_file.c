/* val_file.c - validation: a file written through write(2) (so its pages are in the page
 * cache), then mapped shared read-only and read one byte a page (fault-around maps 16
 * pages a fault), then mapped private and written in its first quarter (a copy a page).
 * usage: val_file [MiB=8] [path=/tmp/mmsim-val-file.<pid>] */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    size_t mib = argc > 1 ? (size_t)atoi(argv[1]) : 8;
    char path[256];
    if (argc > 2) snprintf(path, sizeof path, "%s", argv[2]);
    else snprintf(path, sizeof path, "/tmp/mmsim-val-file.%d", (int)getpid());
    size_t pg = (size_t)sysconf(_SC_PAGESIZE), n = mib << 20;
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0600);
    if (fd < 0) return 1;
    static char buf[65536];
    memset(buf, 7, sizeof buf);
    for (size_t off = 0; off < n; off += sizeof buf)
        if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf) return 1;
    volatile unsigned char *p = mmap(NULL, n, PROT_READ, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED) return 1;
    unsigned sum = 0;
    for (size_t i = 0; i < n; i += pg) sum += p[i];
    munmap((void *)p, n);
    volatile unsigned char *q = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
    if (q == MAP_FAILED) return 1;
    for (size_t i = 0; i < n / 4; i += pg) q[i] = 1;
    munmap((void *)q, n);
    close(fd);
    unlink(path);
    return (int)(sum == 0);
}
