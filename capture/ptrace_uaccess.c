/* ptrace_uaccess.c - the user memory common system calls read and write, for the
 * single-step tracer (x86-64 numbers and layouts). What each call touches follows its
 * man page: buffers by their length argument (reads) or by the result (writes), fixed-size
 * structs by the kernel's own size, path strings up to and with their NUL. */
#include "capture/ptrace_uaccess.h"

#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <sys/sysinfo.h>
#include <sys/time.h>
#include <sys/times.h>
#include <sys/uio.h>
#include <sys/utsname.h>
#include <time.h>

#define KERNEL_SIGACTION_BYTES 32 /* handler, flags, restorer, mask: struct kernel_sigaction */
#define KERNEL_TERMIOS_BYTES 36   /* TCGETS writes the kernel's struct termios */
#define TCGETS_NR 0x5401
#define TIOCGWINSZ_NR 0x5413
#define WINSIZE_BYTES 8
#define MAX_IOV 1024  /* UIO_MAXIOV */
#define MAX_PATH 4096 /* PATH_MAX: the kernel reads no further */

static int put_range(struct pt_out *o, pid_t pid, pid_t tid, unsigned type, uint64_t addr, uint64_t len)
{
    if (addr == 0 || len == 0)
        return 0;
    struct mmt_event ev;
    memset(&ev, 0, sizeof ev);
    ev.type = (uint16_t)type;
    ev.pid = (uint32_t)pid;
    ev.tid = (uint32_t)tid;
    ev.nargs = 2;
    ev.args[0] = addr;
    ev.args[1] = len;
    return pt_out_event(o, &ev);
}

/* A buffer the call reads: left out when its first or last byte cannot be read (the call
 * fails with EFAULT without touching the process's memory). */
static int put_read(struct pt_out *o, pid_t pid, pid_t tid, uint64_t addr, uint64_t len)
{
    unsigned char b;
    if (addr == 0 || len == 0 || pt_read_mem(tid, addr, &b, 1) != 1 ||
        pt_read_mem(tid, addr + len - 1, &b, 1) != 1)
        return 0;
    return put_range(o, pid, tid, MMT_EV_KERNEL_READ, addr, len);
}

static int put_write(struct pt_out *o, pid_t pid, pid_t tid, uint64_t addr, uint64_t len)
{
    return put_range(o, pid, tid, MMT_EV_KERNEL_WRITE, addr, len);
}

/* A path string: the bytes up to and with its NUL (at most PATH_MAX). */
static int put_path(struct pt_out *o, pid_t pid, pid_t tid, uint64_t addr)
{
    char buf[256];
    uint64_t len = 0;
    if (addr == 0)
        return 0;
    while (len < MAX_PATH) {
        size_t got = pt_read_mem(tid, addr + len, buf, sizeof buf);
        if (got == 0)
            break;
        char *nul = memchr(buf, 0, got);
        if (nul)
            return put_range(o, pid, tid, MMT_EV_KERNEL_READ, addr, len + (uint64_t)(nul - buf) + 1);
        len += got;
    }
    return len ? put_range(o, pid, tid, MMT_EV_KERNEL_READ, addr, len) : 0;
}

/* An iovec array of n entries: the kernel reads the array (when read_array), then reads or
 * writes each buffer in turn, `total` bytes in all (UINT64_MAX: every buffer whole). */
static int put_iovecs(struct pt_out *o, pid_t pid, pid_t tid, uint64_t iov, uint64_t n, int read_array,
                      unsigned type, uint64_t total)
{
    struct iovec v[64];
    if (n > MAX_IOV)
        return 0; /* EINVAL */
    if (read_array && put_read(o, pid, tid, iov, n * sizeof v[0]))
        return -1;
    for (uint64_t i = 0; i < n && total > 0; i += 64) {
        size_t k = n - i < 64 ? (size_t)(n - i) : 64;
        if (pt_read_mem(tid, iov + i * sizeof v[0], v, k * sizeof v[0]) != k * sizeof v[0])
            return 0;
        for (size_t j = 0; j < k && total > 0; j++) {
            uint64_t len = v[j].iov_len < total ? v[j].iov_len : total;
            uint64_t base = (uint64_t)(uintptr_t)v[j].iov_base;
            if (put_range(o, pid, tid, type, len ? base : 0, len))
                return -1;
            if (total != UINT64_MAX)
                total -= len;
        }
    }
    return 0;
}

/* sendmsg/recvmsg: the header, the name and control buffers, the iovecs. */
static int put_msghdr(struct pt_out *o, pid_t pid, pid_t tid, uint64_t addr, int entry, int64_t result)
{
    struct msghdr m;
    if (pt_read_mem(tid, addr, &m, sizeof m) != sizeof m)
        return 0;
    uint64_t name = (uint64_t)(uintptr_t)m.msg_name, ctl = (uint64_t)(uintptr_t)m.msg_control;
    uint64_t iov = (uint64_t)(uintptr_t)m.msg_iov;
    if (entry) /* the header is read by both; sendmsg reads the rest */
        return put_read(o, pid, tid, addr, sizeof m) ||
               (result && (put_read(o, pid, tid, name, m.msg_namelen) ||
                           put_iovecs(o, pid, tid, iov, m.msg_iovlen, 1, MMT_EV_KERNEL_READ, UINT64_MAX) ||
                           put_read(o, pid, tid, ctl, m.msg_controllen)));
    /* recvmsg returned: the iovecs up to the result, the name and control as long as the
     * kernel says (their lengths in the header it wrote back), then the header */
    return put_iovecs(o, pid, tid, iov, m.msg_iovlen, 1, MMT_EV_KERNEL_WRITE, (uint64_t)result) ||
           put_write(o, pid, tid, name, m.msg_namelen) || put_write(o, pid, tid, ctl, m.msg_controllen) ||
           put_write(o, pid, tid, addr, sizeof m);
}

/* The argument index of the path string(s) a call reads; -1 none. */
static void path_args(long nr, int *p1, int *p2)
{
    *p1 = *p2 = -1;
    switch (nr) {
    case SYS_open: case SYS_creat: case SYS_stat: case SYS_lstat: case SYS_access:
    case SYS_readlink: case SYS_chdir: case SYS_mkdir: case SYS_rmdir: case SYS_unlink:
    case SYS_chmod: case SYS_chown: case SYS_lchown: case SYS_truncate: case SYS_statfs:
    case SYS_getxattr: case SYS_lgetxattr:
        *p1 = 0;
        break;
    case SYS_openat: case SYS_newfstatat: case SYS_statx: case SYS_faccessat: case SYS_readlinkat:
    case SYS_mkdirat: case SYS_unlinkat: case SYS_fchmodat: case SYS_fchownat: case SYS_utimensat:
#ifdef SYS_faccessat2
    case SYS_faccessat2:
#endif
        *p1 = 1;
        break;
    case SYS_rename: case SYS_link: case SYS_symlink:
        *p1 = 0, *p2 = 1;
        break;
    case SYS_renameat: case SYS_renameat2: case SYS_linkat:
        *p1 = 1, *p2 = 3;
        break;
    case SYS_symlinkat:
        *p1 = 0, *p2 = 2;
        break;
    default:
        break;
    }
}

/* Buffers and structs read at entry, other than paths: returns 0 or -1. */
static int entry_buffers(struct pt_out *o, pid_t pid, pid_t tid, const struct pt_syscall *sc)
{
    const uint64_t *a = sc->args;
    switch (sc->nr) {
    case SYS_write: case SYS_pwrite64:
        return put_read(o, pid, tid, a[1], a[2]);
    case SYS_writev: case SYS_pwritev: case SYS_pwritev2:
        return put_iovecs(o, pid, tid, a[1], a[2], 1, MMT_EV_KERNEL_READ, UINT64_MAX);
    case SYS_readv: case SYS_preadv: case SYS_preadv2:
        return put_read(o, pid, tid, a[1], a[2] * sizeof(struct iovec));
    case SYS_sendto:
        return put_read(o, pid, tid, a[1], a[2]) || put_read(o, pid, tid, a[4], a[5]);
    case SYS_sendmsg:
        return put_msghdr(o, pid, tid, a[1], 1, 1);
    case SYS_recvmsg:
        return put_msghdr(o, pid, tid, a[1], 1, 0);
    case SYS_connect: case SYS_bind:
        return put_read(o, pid, tid, a[1], a[2]);
    case SYS_nanosleep:
        return put_read(o, pid, tid, a[0], sizeof(struct timespec));
    case SYS_clock_nanosleep:
        return put_read(o, pid, tid, a[2], sizeof(struct timespec));
    case SYS_rt_sigaction:
        return put_read(o, pid, tid, a[1], KERNEL_SIGACTION_BYTES);
    case SYS_rt_sigprocmask:
        return put_read(o, pid, tid, a[1], a[3]);
    case SYS_poll: case SYS_ppoll:
        return put_read(o, pid, tid, a[0], a[1] * sizeof(struct pollfd));
    case SYS_epoll_ctl:
        return put_read(o, pid, tid, a[3], sizeof(struct epoll_event));
    case SYS_prlimit64:
        return put_read(o, pid, tid, a[2], sizeof(struct rlimit));
    case SYS_setrlimit:
        return put_read(o, pid, tid, a[1], sizeof(struct rlimit));
    default:
        return 0;
    }
}

int pt_uaccess_entry(struct pt_out *o, pid_t pid, pid_t tid, const struct pt_syscall *sc)
{
    int p1, p2;
    path_args(sc->nr, &p1, &p2);
    if (p1 >= 0 && put_path(o, pid, tid, sc->args[p1]))
        return -1;
    if (p2 >= 0 && put_path(o, pid, tid, sc->args[p2]))
        return -1;
    return entry_buffers(o, pid, tid, sc) ? -1 : 0;
}

/* A socket address the call wrote: its length word (read and written back), then as many
 * bytes as the kernel says, at most the caller's buffer. */
static int put_sockaddr(struct pt_out *o, pid_t pid, pid_t tid, uint64_t addr, uint64_t lenp)
{
    uint32_t len = 0;
    if (addr == 0 || lenp == 0 || pt_read_mem(tid, lenp, &len, sizeof len) != sizeof len)
        return 0;
    return put_write(o, pid, tid, lenp, sizeof len) || put_write(o, pid, tid, addr, len);
}

/* The writes of a call that returned 0 (success) with a fixed-size result. */
static uint64_t fixed_result(long nr, const uint64_t *a, uint64_t *addr)
{
    switch (nr) {
    case SYS_stat: case SYS_fstat: case SYS_lstat: *addr = a[1]; return sizeof(struct stat);
    case SYS_newfstatat: *addr = a[2]; return sizeof(struct stat);
    case SYS_statx: *addr = a[4]; return sizeof(struct statx);
    case SYS_statfs: case SYS_fstatfs: *addr = a[1]; return sizeof(struct statfs);
    case SYS_pipe: case SYS_pipe2: case SYS_socketpair:
        *addr = nr == SYS_socketpair ? a[3] : a[0];
        return 2 * sizeof(int);
    case SYS_uname: *addr = a[0]; return sizeof(struct utsname);
    case SYS_sysinfo: *addr = a[0]; return sizeof(struct sysinfo);
    case SYS_clock_gettime: case SYS_clock_getres: *addr = a[1]; return sizeof(struct timespec);
    case SYS_gettimeofday: *addr = a[0]; return sizeof(struct timeval);
    case SYS_getrlimit: *addr = a[1]; return sizeof(struct rlimit);
    case SYS_prlimit64: *addr = a[3]; return sizeof(struct rlimit);
    case SYS_getrusage: *addr = a[1]; return sizeof(struct rusage);
    case SYS_rt_sigaction: *addr = a[2]; return KERNEL_SIGACTION_BYTES;
    case SYS_rt_sigprocmask: *addr = a[2]; return a[3];
    case SYS_ioctl:
        *addr = a[2];
        return a[1] == TCGETS_NR ? KERNEL_TERMIOS_BYTES : a[1] == TIOCGWINSZ_NR ? WINSIZE_BYTES : 0;
    default: *addr = 0; return 0;
    }
}

/* The writes of a call whose result says how much it wrote (bytes, or entries). */
static int counted_result(struct pt_out *o, pid_t pid, pid_t tid, const struct pt_syscall *sc, int64_t r)
{
    const uint64_t *a = sc->args;
    switch (sc->nr) {
    case SYS_read: case SYS_pread64: case SYS_getdents64: case SYS_getdents:
        return put_write(o, pid, tid, a[1], (uint64_t)r);
    case SYS_readv: case SYS_preadv: case SYS_preadv2:
        return put_iovecs(o, pid, tid, a[1], a[2], 0, MMT_EV_KERNEL_WRITE, (uint64_t)r);
    case SYS_recvfrom:
        return put_write(o, pid, tid, a[1], (uint64_t)r) || put_sockaddr(o, pid, tid, a[4], a[5]);
    case SYS_recvmsg:
        return put_msghdr(o, pid, tid, a[1], 0, r);
    case SYS_getrandom: case SYS_getcwd:
        return put_write(o, pid, tid, a[0], (uint64_t)r);
    case SYS_readlink:
        return put_write(o, pid, tid, a[1], (uint64_t)r);
    case SYS_readlinkat:
        return put_write(o, pid, tid, a[2], (uint64_t)r);
    case SYS_epoll_wait: case SYS_epoll_pwait:
        return put_write(o, pid, tid, a[1], (uint64_t)r * sizeof(struct epoll_event));
    case SYS_poll: case SYS_ppoll: /* every entry's revents is written */
        return put_write(o, pid, tid, a[0], a[1] * sizeof(struct pollfd));
    case SYS_sched_getaffinity:
        return put_write(o, pid, tid, a[2], (uint64_t)r);
    case SYS_accept: case SYS_accept4: case SYS_getsockname: case SYS_getpeername:
        return put_sockaddr(o, pid, tid, a[1], a[2]);
    case SYS_wait4:
        return (r > 0 && put_write(o, pid, tid, a[1], sizeof(int))) ||
               (r > 0 && put_write(o, pid, tid, a[3], sizeof(struct rusage)));
    case SYS_times:
        return put_write(o, pid, tid, a[0], sizeof(struct tms));
    case SYS_time:
        return put_write(o, pid, tid, a[0], sizeof(time_t));
    default:
        return 0;
    }
}

int pt_uaccess_exit(struct pt_out *o, pid_t pid, pid_t tid, const struct pt_syscall *sc, int64_t result)
{
    if (result < 0 && result > -4096)
        return 0; /* failed: what it wrote before failing is not known (rarely anything) */
    uint64_t addr, len = fixed_result(sc->nr, sc->args, &addr);
    if (len)
        return result == 0 && put_write(o, pid, tid, addr, len) ? -1 : 0;
    return counted_result(o, pid, tid, sc, result) ? -1 : 0;
}

int pt_uaccess_covered(long nr)
{
    struct pt_syscall sc;
    memset(&sc, 0, sizeof sc);
    sc.nr = nr;
    int p1, p2;
    path_args(nr, &p1, &p2);
    uint64_t addr;
    sc.args[1] = TCGETS_NR;
    if (p1 >= 0 || fixed_result(nr, sc.args, &addr))
        return 1;
    switch (nr) {
    case SYS_write: case SYS_pwrite64: case SYS_writev: case SYS_pwritev: case SYS_pwritev2:
    case SYS_readv: case SYS_preadv: case SYS_preadv2: case SYS_sendto: case SYS_sendmsg:
    case SYS_recvmsg: case SYS_connect: case SYS_bind: case SYS_nanosleep: case SYS_clock_nanosleep:
    case SYS_poll: case SYS_ppoll: case SYS_epoll_ctl: case SYS_setrlimit: case SYS_read:
    case SYS_pread64: case SYS_getdents64: case SYS_getdents: case SYS_recvfrom: case SYS_getrandom:
    case SYS_getcwd: case SYS_epoll_wait: case SYS_epoll_pwait: case SYS_sched_getaffinity:
    case SYS_accept: case SYS_accept4: case SYS_getsockname: case SYS_getpeername: case SYS_wait4:
    case SYS_times: case SYS_time: case SYS_rt_sigprocmask:
        return 1;
    default:
        return 0;
    }
}
