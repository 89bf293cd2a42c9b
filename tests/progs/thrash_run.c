/* thrash_run - run N copies of a command and time them as the program sees it: the kernel
 * side of the thrashing validation (tests/validate/thrash.sh). GNU time around a shell
 * that joins a cgroup times the shell and the cgroup set-up too; this times from the moment
 * every child has joined and is released to exec to the last child reaped.
 *   thrash_run [-g CGROUP_PROCS_FILE] [-c CPU] N CMD [ARG...]
 * -g: each child writes its own pid into that file (cgroup v1 or v2 cgroup.procs) before
 * it execs (all copies start together once every one has joined), so the command runs in the cgroup from its first instruction and nothing of
 * ours is charged there: had we joined before forking, the fork's kernel memory would be
 * charged from our CPU and leave that CPU's memcg charge stock (up to 63 pages, 6.18's
 * MEMCG_CHARGE_BATCH) stranded in the group while we wait, a limit smaller by as much for a
 * program the model replays from its exec. -c: each child execs on CPU and is free to move
 * 3 ms later (the parent widens its affinity again), so the program starts where the
 * model's does, and the scheduler places it from then on: where a program starts decides
 * its mm_cpumask and so the kind of TLB flush reclaim makes (docs/validation-thrash.md).
 * The children's stdout goes to /dev/null; ours
 * gets one line:
 *   wall_s user_s sys_s minflt majflt exit runq_s
 * summed over the N children (rusage of each from wait4); exit is the worst exit status,
 * 128 + the signal for a child killed by one (as a shell reports it); runq_s is the time
 * the children spent runnable but waiting for a CPU (the second field of
 * /proc/PID/schedstat, read while each is a zombie, before it is reaped): on a machine
 * shared with other jobs, wall - runq_s is the time the program would take alone. */
#define _GNU_SOURCE /* sched_setaffinity */
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double now_s(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double tv_s(struct timeval t)
{
    return (double)t.tv_sec + (double)t.tv_usec / 1e6;
}

static int join_cgroup(const char *procs)
{
    FILE *f = fopen(procs, "w");
    if (!f || fprintf(f, "%d\n", (int)getpid()) < 0 || fclose(f)) {
        fprintf(stderr, "thrash_run: %s: cannot join: %s\n", procs, strerror(errno));
        return -1;
    }
    return 0;
}

/* A child: its stdout to /dev/null, then the command. */
/* In the child: join the cgroup, wait until every copy has joined (the parent closes the
 * pipe: joining a cgroup can take milliseconds, and copies started apart would overlap
 * less), then exec. */
static void start_child(char **argv, const char *procs, int go[2], int cpu)
{
    if (procs && join_cgroup(procs))
        _exit(126);
    if (cpu >= 0) {
        cpu_set_t one;
        CPU_ZERO(&one);
        CPU_SET(cpu, &one);
        if (sched_setaffinity(0, sizeof one, &one)) {
            fprintf(stderr, "thrash_run: CPU %d: %s\n", cpu, strerror(errno));
            _exit(126);
        }
    }
    close(go[1]);
    char c;
    if (read(go[0], &c, 1) < 0)
        _exit(126);
    close(go[0]);
    int fd = open("/dev/null", O_WRONLY);
    if (fd >= 0) {
        dup2(fd, 1);
        close(fd);
    }
    execvp(argv[0], argv);
    fprintf(stderr, "thrash_run: %s: %s\n", argv[0], strerror(errno));
    _exit(127);
}

/* Seconds pid has waited on a run queue (0 when schedstat is not there). */
static double runq_wait_s(pid_t pid)
{
    char path[64];
    unsigned long long run = 0, wait = 0;
    snprintf(path, sizeof path, "/proc/%d/schedstat", (int)pid);
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    if (fscanf(f, "%llu %llu", &run, &wait) != 2)
        wait = 0;
    fclose(f);
    return (double)wait / 1e9;
}

static int shell_status(int st)
{
    return WIFSIGNALED(st) ? 128 + WTERMSIG(st) : WEXITSTATUS(st);
}

int main(int argc, char **argv)
{
    int a = 1;
    const char *procs = NULL;
    int cpu = -1;
    for (;;) {
        if (a + 1 < argc && !strcmp(argv[a], "-g")) {
            procs = argv[a + 1];
            a += 2;
        } else if (a + 1 < argc && !strcmp(argv[a], "-c")) {
            char *end;
            long c = strtol(argv[a + 1], &end, 10);
            if (*end || c < 0 || c >= CPU_SETSIZE) {
                fprintf(stderr, "thrash_run: -c %s: not a CPU number\n", argv[a + 1]);
                return 2;
            }
            cpu = (int)c;
            a += 2;
        } else {
            break;
        }
    }
    long n = a < argc ? atol(argv[a]) : 0;
    if (n < 1 || n > 4096 || a + 1 >= argc) {
        fprintf(stderr, "usage: thrash_run [-g CGROUP_PROCS_FILE] [-c CPU] N CMD [ARG...]  (N 1..4096)\n");
        return 2;
    }
    if (procs && access(procs, W_OK)) { /* the children could not join: say so once, here */
        fprintf(stderr, "thrash_run: %s: cannot join: %s\n", procs, strerror(errno));
        return 1;
    }
    char **cmd = argv + a + 1;
    int go[2];
    if (pipe(go)) {
        fprintf(stderr, "thrash_run: pipe: %s\n", strerror(errno));
        return 1;
    }
    cpu_set_t all;
    if (sched_getaffinity(0, sizeof all, &all)) {
        fprintf(stderr, "thrash_run: sched_getaffinity: %s\n", strerror(errno));
        return 1;
    }
    pid_t *pids = calloc((size_t)n, sizeof *pids);
    if (!pids) {
        fprintf(stderr, "thrash_run: out of memory\n");
        return 1;
    }
    long started = 0;
    for (; started < n; started++) {
        pid_t p = fork();
        if (p < 0) {
            fprintf(stderr, "thrash_run: fork: %s\n", strerror(errno));
            break;
        }
        if (p == 0)
            start_child(cmd, procs, go, cpu);
        pids[started] = p;
    }
    close(go[0]);
    double t0 = now_s();
    close(go[1]); /* every copy starts now */
    if (cpu >= 0) { /* exec'd by now: free to move */
        struct timespec exec_time = {0, 3000000};
        nanosleep(&exec_time, NULL);
        for (long i = 0; i < started; i++)
            (void)sched_setaffinity(pids[i], sizeof all, &all); /* gone already: nothing to do */
    }
    double user = 0, sys = 0, runq = 0;
    long minflt = 0, majflt = 0;
    int worst = started < n ? 1 : 0;
    for (long i = 0; i < started; i++) {
        int st;
        struct rusage ru;
        siginfo_t si;
        memset(&si, 0, sizeof si);
        if (waitid(P_ALL, 0, &si, WEXITED | WNOWAIT) == 0 && si.si_pid > 0)
            runq += runq_wait_s(si.si_pid); /* still a zombie: its schedstat is there */
        if (wait4(si.si_pid > 0 ? si.si_pid : -1, &st, 0, &ru) < 0) {
            fprintf(stderr, "thrash_run: wait4: %s\n", strerror(errno));
            return 1;
        }
        user += tv_s(ru.ru_utime);
        sys += tv_s(ru.ru_stime);
        minflt += ru.ru_minflt;
        majflt += ru.ru_majflt;
        if (shell_status(st) > worst)
            worst = shell_status(st);
    }
    printf("%.6f %.6f %.6f %ld %ld %d %.6f\n", now_s() - t0, user, sys, minflt, majflt, worst, runq);
    free(pids);
    return 0;
}
