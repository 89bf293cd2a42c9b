/* rec_segv.c - does some work, then dies of SIGSEGV (a store to address 0x10, a field of
 * a null struct pointer). */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    long *a = malloc(10000 * sizeof *a);
    for (int i = 0; i < 10000; i++)
        a[i] = i;
    printf("%ld\n", a[9999]);
    fflush(stdout);
    volatile long *null = (long *)(a[0] * 0 + 16);
    *null = 1;
    return 0;
}
