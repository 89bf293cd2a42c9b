/* thrash_walk - the access patterns of the thrashing validation (tests/validate/thrash.sh)
 * over an anonymous working set of MIB mebibytes, one byte per page per access.
 * Every page is written first (a fill pass in page order), so a read never meets an
 * unpopulated page: kernels differ on whether a read fault maps the shared zero page.
 *   scan MIB PASSES       the fill, then PASSES read-only sequential passes
 *   rand MIB ACCESSES [SEED]     the fill, then ACCESSES uniformly random pages,
 *                                each read and written
 *   hotcold MIB ACCESSES [SEED]  the fill, then ACCESSES pages of which 80% fall on the
 *                                first sixth of the pages (the hot set), read and written
 * Exits 0 and prints a checksum. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static uint64_t xorshift(uint64_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 7;
    *s ^= *s << 17;
    return *s;
}

int main(int argc, char **argv)
{
    if (argc < 4) {
        fprintf(stderr, "usage: thrash_walk scan|rand|hotcold MIB COUNT [SEED]\n");
        return 2;
    }
    const char *mode = argv[1];
    long mib = atol(argv[2]), count = atol(argv[3]);
    uint64_t seed = argc > 4 ? (uint64_t)atoll(argv[4]) : 1;
    int scan = !strcmp(mode, "scan"), rnd = !strcmp(mode, "rand"), hot = !strcmp(mode, "hotcold");
    if (mib <= 0 || count < 0 || seed == 0 || !(scan || rnd || hot)) {
        fprintf(stderr, "thrash_walk: bad arguments (mode scan|rand|hotcold, MIB > 0, SEED > 0)\n");
        return 2;
    }
    size_t page = (size_t)sysconf(_SC_PAGESIZE), len = (size_t)mib << 20, pages = len / page;
    volatile unsigned char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        perror("thrash_walk: mmap");
        return 1;
    }
    for (size_t i = 0; i < pages; i++)
        p[i * page] = (unsigned char)i;
    unsigned sum = 0;
    if (scan) {
        for (long k = 0; k < count; k++)
            for (size_t i = 0; i < pages; i++)
                sum += p[i * page];
    } else {
        size_t hot_pages = pages / 6 ? pages / 6 : 1;
        for (long k = 0; k < count; k++) {
            uint64_t r = xorshift(&seed);
            size_t i;
            if (hot && r % 10 < 8)
                i = (size_t)((r >> 8) % hot_pages);
            else if (hot)
                i = hot_pages + (size_t)((r >> 8) % (pages - hot_pages));
            else
                i = (size_t)(r % pages);
            sum += p[i * page];
            p[i * page] = (unsigned char)(sum + 1);
        }
    }
    printf("thrash_walk %s: %ld MiB, %ld, %u\n", mode, mib, count, sum);
    return 0;
}
