/* ptrace_string.c - exact counts for the ptrace backend. `rep movsb` of N bytes (argv[1],
 * default 1000) from src to dst, M push/pop pairs (argv[2], default 100) below the red zone,
 * and T reads of a thread-local variable through %fs (argv[3], default 50). Prints the
 * addresses the test looks for: src dst tls. */
#include <stdio.h>
#include <stdlib.h>

static char src[1 << 16], dst[1 << 16];
static __thread volatile long tls_var;

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 1000;
    long m = argc > 2 ? atol(argv[2]) : 100;
    long t = argc > 3 ? atol(argv[3]) : 50;
    if (n < 0 || n > (long)sizeof src)
        return 2;
    char *s = src, *d = dst;
    long c = n;
    __asm__ volatile("rep movsb" : "+S"(s), "+D"(d), "+c"(c) : : "memory");
    for (long i = 0; i < m; i++)
        /* step over the red zone, where the compiler may keep locals */
        __asm__ volatile("sub $128, %%rsp\n\tpush %%rax\n\tpop %%rax\n\tadd $128, %%rsp" : : : "memory");
    long sum = 0;
    for (long i = 0; i < t; i++)
        sum += tls_var;
    printf("%p %p %p %ld\n", (void *)src, (void *)dst, (void *)&tls_var, sum);
    return 0;
}
