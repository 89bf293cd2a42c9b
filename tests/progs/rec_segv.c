/* rec_segv.c - does some work, then dies of SIGSEGV (a store through a null pointer). */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    long *a = malloc(10000 * sizeof *a);
    for (int i = 0; i < 10000; i++)
        a[i] = i;
    printf("%ld\n", a[9999]);
    fflush(stdout);
    volatile long *null = (long *)(a[0] * 0);
    *null = 1;
    return 0;
}
