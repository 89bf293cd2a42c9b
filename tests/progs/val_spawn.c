/* val_spawn.c - validation: a process made by fork, vfork or posix_spawn, against the
 * kernel's own fault counts.
 *
 * The parent writes a byte in each page of an N MiB anonymous mapping, makes a child, waits
 * for it, then writes every page again, and prints its own and its children's minor faults
 * (getrusage RUSAGE_SELF, RUSAGE_CHILDREN) on stderr as "self=S children=C".
 *   fork:  the child writes every page (N copies), then execs this program as "child M";
 *          the parent's second pass takes N write-protect faults (the pages are its own again)
 *   vfork: the child execs "child M" at once; the parent's pages were never write-protected,
 *          so its second pass takes no fault
 *   spawn: posix_spawn of "child M" (glibc: clone(CLONE_VM|CLONE_VFORK)); as vfork
 * "child M" writes a byte in each page of a fresh M MiB mapping and exits.
 * Every first touch is a write, so the counts do not depend on the kernel's zero page.
 * usage: val_spawn fork|vfork|spawn [N=8] [M=4] (run by a path: the child is argv[0]) */
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

extern char **environ;

static volatile unsigned char *touch_new(size_t bytes, unsigned char v)
{
    volatile unsigned char *p = mmap(NULL, bytes, PROT_READ | PROT_WRITE,
                                     MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED) {
        perror("val_spawn: mmap");
        exit(1);
    }
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    for (size_t i = 0; i < bytes; i += pg)
        p[i] = v;
    return p;
}

static void touch_again(volatile unsigned char *p, size_t bytes, unsigned char v)
{
    size_t pg = (size_t)sysconf(_SC_PAGESIZE);
    for (size_t i = 0; i < bytes; i += pg)
        p[i] = v;
}

static long minflt(int who)
{
    struct rusage ru;
    getrusage(who, &ru);
    return ru.ru_minflt;
}

int main(int argc, char **argv)
{
    if (argc > 2 && strcmp(argv[1], "child") == 0) {
        touch_new((size_t)atoi(argv[2]) << 20, 4);
        return 0;
    }
    const char *mode = argc > 1 ? argv[1] : "fork";
    size_t n = (size_t)(argc > 2 ? atoi(argv[2]) : 8) << 20;
    char *child_argv[] = {argv[0], "child", argc > 3 ? argv[3] : "4", NULL};
    volatile unsigned char *p = touch_new(n, 1);
    pid_t pid;
    if (strcmp(mode, "spawn") == 0) {
        int rc = posix_spawn(&pid, argv[0], NULL, NULL, child_argv, environ);
        if (rc) {
            fprintf(stderr, "val_spawn: posix_spawn: %s\n", strerror(rc));
            return 1;
        }
    } else {
        int use_vfork = strcmp(mode, "vfork") == 0;
        if (!use_vfork && strcmp(mode, "fork") != 0) {
            fprintf(stderr, "usage: val_spawn fork|vfork|spawn [N] [M]\n");
            return 2;
        }
        pid = use_vfork ? vfork() : fork();
        if (pid < 0) {
            perror("val_spawn: fork");
            return 1;
        }
        if (pid == 0) {
            if (!use_vfork)
                touch_again(p, n, 2);
            execv(argv[0], child_argv);
            _exit(127);
        }
    }
    int st;
    if (waitpid(pid, &st, 0) != pid || !WIFEXITED(st) || WEXITSTATUS(st)) {
        fprintf(stderr, "val_spawn: the child failed\n");
        return 1;
    }
    touch_again(p, n, 3);
    fprintf(stderr, "self=%ld children=%ld\n", minflt(RUSAGE_SELF), minflt(RUSAGE_CHILDREN));
    return 0;
}
