/* tiny_sum.c - a very small program for the trace-format tests: sums an array with a
 * sequential loop and a strided loop. Kept tiny because lackey --trace-mem=yes is slow. */
#include <stdio.h>

int main(void)
{
    static int a[4096];
    long sum = 0;
    for (int i = 0; i < 4096; i++)
        a[i] = i;
    for (int i = 0; i < 4096; i += 16)
        sum += a[i];
    printf("%ld\n", sum);
    return 0;
}
