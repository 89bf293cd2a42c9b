/* counters.c - perf event counters of a child process, encoded by libpfm4.
 *
 * Each event is encoded with pfm_get_os_event_encoding(PFM_OS_PERF_EVENT) and opened with
 * perf_event_open on the child before it execs: disabled, enable_on_exec and inherit, so the
 * count covers the whole program with its threads and children and nothing of mmsim. User
 * space only (exclude_kernel): perf_event_paranoid 2 forbids more to ordinary users, and page
 * faults are counted at the user context that took them anyway. */
#include "capture/counters.h"

#include <errno.h>
#include <perfmon/pfmlib_perf_event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#define MAX_EVENTS 32
#define UNAVAIL_MAX 2048

struct counter {
    char *name;
    int fd;
    uint64_t value;
};

struct counters {
    struct counter ev[MAX_EVENTS];
    size_t n;
    char unavailable[UNAVAIL_MAX];
    int has_pmu;
};

static const char *vendor_walk_events(void)
{
    static const char intel[] = ",DTLB_LOAD_MISSES:WALK_COMPLETED,DTLB_STORE_MISSES:WALK_COMPLETED";
    char line[256];
    const char *extra = "";
    FILE *f = fopen("/proc/cpuinfo", "r");
    if (!f)
        return extra;
    while (fgets(line, sizeof line, f))
        if (!strncmp(line, "vendor_id", 9)) {
            if (strstr(line, "GenuineIntel"))
                extra = intel;
            break;
        }
    fclose(f);
    return extra;
}

const char *counters_default_list(char *buf, size_t len)
{
    /* perf:: names are the kernel's generic events: they encode on any machine. The walk
     * events are PMU-specific; libpfm4 names them only for the PMUs it knows. */
    static const char base[] = "perf::PAGE-FAULTS,perf::MINOR-FAULTS,perf::MAJOR-FAULTS,"
                               "perf::DTLB-LOAD-MISSES,perf::DTLB-STORE-MISSES";
    snprintf(buf, len, "%s%s", base, vendor_walk_events());
    return buf;
}

static void note_unavailable(struct counters *c, const char *name, const char *why)
{
    size_t len = strlen(c->unavailable);
    snprintf(c->unavailable + len, sizeof c->unavailable - len, "%s%s (%s)", len ? "," : "", name,
             why);
}

static int open_event(struct counters *c, pid_t pid, const char *name)
{
    struct perf_event_attr attr;
    pfm_perf_encode_arg_t arg;
    memset(&attr, 0, sizeof attr);
    memset(&arg, 0, sizeof arg);
    arg.attr = &attr;
    arg.size = sizeof arg;
    int rc = pfm_get_os_event_encoding(name, PFM_PLM3, PFM_OS_PERF_EVENT, &arg);
    if (rc != PFM_SUCCESS) {
        note_unavailable(c, name, pfm_strerror(rc));
        return 0;
    }
    attr.size = sizeof attr;
    attr.disabled = 1;
    attr.enable_on_exec = 1;
    attr.inherit = 1;
    attr.exclude_kernel = 1;
    attr.exclude_hv = 1;
    attr.read_format = PERF_FORMAT_TOTAL_TIME_ENABLED | PERF_FORMAT_TOTAL_TIME_RUNNING;
    int fd = (int)syscall(SYS_perf_event_open, &attr, pid, -1, -1, PERF_FLAG_FD_CLOEXEC);
    if (fd < 0) {
        note_unavailable(c, name, errno == ENOENT ? "no such event on this machine (no PMU?)"
                                                  : strerror(errno));
        return 0;
    }
    struct counter *e = &c->ev[c->n];
    e->name = strdup(name);
    if (!e->name) {
        close(fd);
        return -1;
    }
    e->fd = fd;
    e->value = 0;
    if (attr.type == PERF_TYPE_HARDWARE || attr.type == PERF_TYPE_HW_CACHE ||
        attr.type == PERF_TYPE_RAW)
        c->has_pmu = 1;
    c->n++;
    return 0;
}

struct counters *counters_open(pid_t pid, const char *list, char *err, size_t errlen)
{
    int rc = pfm_initialize();
    if (rc != PFM_SUCCESS) {
        snprintf(err, errlen, "counters: libpfm4 failed to initialise: %s", pfm_strerror(rc));
        return NULL;
    }
    char deflist[512];
    if (!list)
        list = counters_default_list(deflist, sizeof deflist);
    struct counters *c = calloc(1, sizeof *c);
    char *copy = strdup(list);
    if (!c || !copy) {
        snprintf(err, errlen, "counters: out of memory");
        free(c);
        free(copy);
        return NULL;
    }
    struct stat st;
    c->has_pmu = stat("/sys/bus/event_source/devices/cpu", &st) == 0;
    char *save = NULL;
    for (char *name = strtok_r(copy, ",", &save); name; name = strtok_r(NULL, ",", &save)) {
        while (*name == ' ')
            name++;
        if (!*name)
            continue;
        if (c->n == MAX_EVENTS) {
            note_unavailable(c, name, "too many events");
            continue;
        }
        if (open_event(c, pid, name)) {
            snprintf(err, errlen, "counters: out of memory");
            free(copy);
            counters_close(c);
            return NULL;
        }
    }
    free(copy);
    if (c->n == 0 && !c->unavailable[0]) {
        snprintf(err, errlen, "counters: the event list '%s' is empty", list);
        counters_close(c);
        return NULL;
    }
    return c;
}

void counters_read(struct counters *c)
{
    for (size_t i = 0; i < c->n; i++) {
        uint64_t v[3] = {0, 0, 0};
        if (read(c->ev[i].fd, v, sizeof v) != (ssize_t)sizeof v)
            continue;
        /* Scale when the PMU multiplexed the event (enabled longer than running). */
        if (v[2] && v[2] < v[1])
            v[0] = (uint64_t)((double)v[0] * (double)v[1] / (double)v[2]);
        c->ev[i].value = v[0];
    }
}

size_t counters_count(const struct counters *c) { return c->n; }
const char *counters_name(const struct counters *c, size_t i) { return c->ev[i].name; }
uint64_t counters_value(const struct counters *c, size_t i) { return c->ev[i].value; }
const char *counters_unavailable(const struct counters *c) { return c->unavailable; }
const char *counters_pmu(const struct counters *c) { return c->has_pmu ? "hardware" : "software-only"; }

void counters_close(struct counters *c)
{
    if (!c)
        return;
    for (size_t i = 0; i < c->n; i++) {
        close(c->ev[i].fd);
        free(c->ev[i].name);
    }
    free(c);
}
