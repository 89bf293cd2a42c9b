/* rec_fork.c - forks N children (argv[1], default 2); each writes to a private array and to
 * stdout, then exits with its index; the parent waits for all and checks their statuses. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int n = argc > 1 ? atoi(argv[1]) : 2;
    static long a[50000];
    for (int k = 0; k < n; k++) {
        fflush(stdout);
        pid_t pid = fork();
        if (pid < 0)
            return 1;
        if (pid == 0) {
            for (long i = 0; i < 50000; i++)
                a[i] = i * (k + 1);
            printf("child %d: %ld\n", k, a[49999]);
            return k;
        }
    }
    int bad = 0;
    for (int k = 0; k < n; k++) {
        int st;
        if (wait(&st) < 0 || !WIFEXITED(st))
            bad++;
    }
    printf("parent: %d children\n", n);
    return bad;
}
