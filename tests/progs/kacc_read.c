/* kacc_read.c - the kernel's writes into user memory: read(2)s a file into a fresh
 * malloc'd buffer of N pages (mapped by malloc, never touched before the read), then reads
 * and writes one byte a page. Natively each buffer page faults once, in copy_to_user (a
 * write fault); a trace without the kernel's writes would show the program's first touch
 * as a read (the zero page, where the kernel maps it) and then a write (a copy).
 * usage: kacc_read FILE PAGES */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    if (argc != 3)
        return 2;
    size_t pg = (size_t)sysconf(_SC_PAGESIZE), n = (size_t)atol(argv[2]) * pg;
    int fd = open(argv[1], O_RDONLY);
    if (fd < 0)
        return 1;
    volatile unsigned char *buf = malloc(n);
    if (!buf)
        return 1;
    size_t got = 0;
    while (got < n) {
        ssize_t r = read(fd, (unsigned char *)buf + got, n - got);
        if (r <= 0)
            return 1;
        got += (size_t)r;
    }
    unsigned sum = 0;
    for (size_t i = 0; i < n; i += pg) {
        sum += buf[i];
        buf[i] ^= 1;
    }
    close(fd);
    printf("%u\n", sum);
    return 0;
}
