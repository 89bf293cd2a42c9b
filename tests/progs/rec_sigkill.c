/* rec_sigkill.c - does some work, then is killed by SIGKILL (sent to itself). */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(void)
{
    long *a = malloc(10000 * sizeof *a);
    for (int i = 0; i < 10000; i++)
        a[i] = i;
    printf("%ld\n", a[9999]);
    fflush(stdout);
    kill(getpid(), SIGKILL);
    return 0;
}
