/* rec_malloc.c - many malloc/free of varied sizes, including large ones served by mmap. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? atoi(argv[1]) : 2000;
    void *keep[64] = {0};
    unsigned long sum = 0;
    for (int i = 0; i < rounds; i++) {
        size_t sz = (size_t)(16 + (i * 7919) % 4000);
        if (i % 97 == 0)
            sz = 512 * 1024; /* above the mmap threshold */
        int slot = i % 64;
        free(keep[slot]);
        keep[slot] = malloc(sz);
        if (!keep[slot])
            return 1;
        memset(keep[slot], i & 0xff, sz < 256 ? sz : 256);
        sum += ((unsigned char *)keep[slot])[0];
    }
    for (int i = 0; i < 64; i++)
        free(keep[i]);
    printf("%lu\n", sum);
    return 0;
}
