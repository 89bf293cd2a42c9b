/* ptrace_procs.c - threads, a fork and memory-management calls, small enough to single-step:
 * two threads each write 256 longs, a child process writes 256 longs and exits with 7, the
 * parent maps 4 pages, protects, advises and unmaps them, and sleeps 2 ms. */
#include <pthread.h>
#include <stdio.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static long data[3][256];

static void *work(void *arg)
{
    long *a = arg;
    for (int i = 0; i < 256; i++)
        a[i] = i;
    return NULL;
}

int main(void)
{
    pthread_t t[2];
    for (int i = 0; i < 2; i++)
        if (pthread_create(&t[i], NULL, work, data[i]) != 0)
            return 1;
    for (int i = 0; i < 2; i++)
        pthread_join(t[i], NULL);
    fflush(stdout);
    pid_t pid = fork();
    if (pid == 0) {
        work(data[2]);
        _exit(7);
    }
    int st = 0;
    waitpid(pid, &st, 0);
    char *p = mmap(NULL, 4 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return 1;
    for (int i = 0; i < 4; i++)
        p[i * 4096] = 1;
    mprotect(p, 4096, PROT_READ);
    madvise(p + 4096, 4096, MADV_DONTNEED);
    munmap(p, 4 * 4096);
    struct timespec ts = {0, 2 * 1000 * 1000};
    nanosleep(&ts, NULL);
    printf("child status %d\n", WIFEXITED(st) ? WEXITSTATUS(st) : -1);
    return 0;
}
