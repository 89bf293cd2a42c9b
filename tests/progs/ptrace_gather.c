/* ptrace_gather.c - one AVX2 gather (vpgatherdd, 8 dword lanes, mask on lanes 0, 2 and 5)
 * and, where the CPU has AVX-512F, one scatter (vpscatterdd, 16 lanes, k mask on lanes 1, 3
 * and 15), from/to a table whose address is printed: the ptrace backend must report exactly
 * the masked lanes at table + 4 * index. Prints: table avx512(0/1). */
#include <stdio.h>

static int table[1024];

int main(void)
{
    if (!__builtin_cpu_supports("avx2")) {
        printf("%p no-avx2\n", (void *)table);
        return 3;
    }
    static const int idx[8] = {3, 100, 7, 9, 11, 200, 13, 15};
    static const int mask[8] = {-1, 0, -1, 0, 0, -1, 0, 0};
    __asm__ volatile("vmovdqu %1, %%ymm1\n\t"
                     "vmovdqu %2, %%ymm2\n\t"
                     "vpxor %%ymm0, %%ymm0, %%ymm0\n\t"
                     "vpgatherdd %%ymm2, (%0,%%ymm1,4), %%ymm0\n\t"
                     "vzeroupper"
                     : : "r"(table), "m"(idx), "m"(mask) : "xmm0", "xmm1", "xmm2", "memory");
    int avx512 = __builtin_cpu_supports("avx512f") != 0;
    if (avx512) {
        static const int sidx[16] = {20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 600};
        unsigned short k = (1u << 1) | (1u << 3) | (1u << 15);
        __asm__ volatile("vmovdqu32 %1, %%zmm1\n\t"
                         "kmovw %k2, %%k1\n\t"
                         "vpternlogd $0xff, %%zmm0, %%zmm0, %%zmm0\n\t"
                         "vpscatterdd %%zmm0, (%0,%%zmm1,4) %{%%k1%}\n\t"
                         "vzeroupper"
                         : : "r"(table), "m"(sidx), "r"((unsigned)k) : "xmm0", "xmm1", "memory"); /* k1 is unused by code built without AVX-512 */
    }
    printf("%p %d\n", (void *)table, avx512);
    return 0;
}
