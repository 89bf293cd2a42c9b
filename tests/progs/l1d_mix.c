/* l1d_mix.c - a small deterministic program for the L1D check against cachegrind: a
 * sequential sweep of 96 KiB (three times the L1D), a strided walk that maps 12 lines onto
 * one set of a 32 KiB 8-way cache, and a reuse loop inside 16 KiB. Kept small because
 * lackey --trace-mem=yes is slow. */
#include <stdio.h>

#define N (96 * 1024)

static unsigned char buf[N];

int main(void)
{
    unsigned long sum = 0;
    for (int pass = 0; pass < 2; pass++)
        for (int i = 0; i < N; i += 8)
            buf[i] = (unsigned char)(i + pass);
    for (int rep = 0; rep < 50; rep++)
        for (int k = 0; k < 12; k++) /* 4 KiB apart: one set, 12 lines, 8 ways */
            sum += buf[k * 4096 + 64];
    for (int rep = 0; rep < 4; rep++)
        for (int i = 0; i < 16 * 1024; i += 64)
            sum += buf[i];
    printf("%lu\n", sum);
    return 0;
}
