/* rec_array.c - writes then sums an array of N longs (argv[1], default 100000); exits with
 * argv[2] (default 0). Used by the record tests and benchmarks. */
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 100000;
    int code = argc > 2 ? atoi(argv[2]) : 0;
    long *a = malloc((size_t)n * sizeof *a);
    if (!a)
        return 1;
    for (long i = 0; i < n; i++)
        a[i] = i;
    long s = 0;
    for (int rep = 0; rep < 3; rep++)
        for (long i = 0; i < n; i++)
            s += a[i];
    printf("%ld\n", s);
    free(a);
    return code;
}
