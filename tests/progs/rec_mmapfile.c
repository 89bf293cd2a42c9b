/* rec_mmapfile.c - writes a 1 MiB file, maps it shared, reads every page and changes one
 * byte a page, then unmaps and removes it. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#define SIZE (1 << 20)

int main(void)
{
    char path[] = "/tmp/rec_mmapfile.XXXXXX";
    int fd = mkstemp(path);
    if (fd < 0 || ftruncate(fd, SIZE))
        return 1;
    unsigned char *p = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (p == MAP_FAILED)
        return 1;
    unsigned long s = 0;
    for (long i = 0; i < SIZE; i += 4096) {
        s += p[i];
        p[i + 1] = (unsigned char)i;
    }
    munmap(p, SIZE);
    close(fd);
    unlink(path);
    printf("%lu\n", s);
    return 0;
}
