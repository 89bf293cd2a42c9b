/* native_faults.c - runs a program natively and prints the kernel's minor and major fault
 * counts for it, split at execve: the child of fork() reads its own rusage just before
 * execve (faults of the launcher's copy-on-write pages since fork), and the parent reads
 * the child's total after wait4(). "from exec" = total - before exec: the faults of the
 * program itself, which is what a trace can show.
 * usage: native_faults [-q] PROGRAM [ARGS...]   (-q: the program's stdout goes to /dev/null)
 * prints: total_minflt before_exec_minflt total_majflt */
#define _GNU_SOURCE
#include <stdio.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    int quiet = argc > 1 && strcmp(argv[1], "-q") == 0;
    if (quiet) {
        argv++;
        argc--;
    }
    if (argc < 2) {
        fprintf(stderr, "usage: native_faults [-q] PROGRAM [ARGS...]\n");
        return 2;
    }
    int fd[2];
    if (pipe(fd)) {
        perror("native_faults: pipe");
        return 2;
    }
    pid_t pid = fork();
    if (pid < 0) {
        perror("native_faults: fork");
        return 2;
    }
    if (pid == 0) {
        struct rusage ru;
        close(fd[0]);
        /* redirected before the rusage read, so any fault it takes counts as the launcher's */
        int null = quiet ? open("/dev/null", O_WRONLY) : -1;
        if (null >= 0 && (dup2(null, 1) < 0 || close(null))) _exit(126);
        getrusage(RUSAGE_SELF, &ru);
        long v = ru.ru_minflt;
        if (write(fd[1], &v, sizeof v) != (ssize_t)sizeof v) _exit(126);
        close(fd[1]);
        execvp(argv[1], argv + 1);
        _exit(127);
    }
    close(fd[1]);
    long before = -1;
    if (read(fd[0], &before, sizeof before) != (ssize_t)sizeof before) before = -1;
    close(fd[0]);
    int st;
    struct rusage ru;
    if (wait4(pid, &st, 0, &ru) < 0) {
        perror("native_faults: wait4");
        return 2;
    }
    if (!WIFEXITED(st) || WEXITSTATUS(st) == 127 || before < 0) {
        fprintf(stderr, "native_faults: %s did not run to completion\n", argv[1]);
        return 1;
    }
    printf("%ld %ld %ld\n", ru.ru_minflt, before, ru.ru_majflt);
    return 0;
}
