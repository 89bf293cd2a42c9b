/* val_fork.c - validation: copy-on-write after fork. The parent writes N pages, forks;
 * the child writes them all (N copies) and exits; the parent then writes them again (N
 * write-protect faults that reuse the now exclusive pages).
 * usage: val_fork [MiB=4] */
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    size_t mib = argc > 1 ? (size_t)atoi(argv[1]) : 4;
    size_t pg = (size_t)sysconf(_SC_PAGESIZE), n = mib << 20;
    volatile unsigned char *p = mmap(NULL, n, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) return 1;
    for (size_t i = 0; i < n; i += pg) p[i] = 1;
    pid_t pid = fork();
    if (pid < 0) return 1;
    if (pid == 0) {
        for (size_t i = 0; i < n; i += pg) p[i] = 2;
        _exit(0);
    }
    int st;
    waitpid(pid, &st, 0);
    for (size_t i = 0; i < n; i += pg) p[i] = 3;
    return WIFEXITED(st) ? WEXITSTATUS(st) : 1;
}
