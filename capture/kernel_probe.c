/* kernel_probe.c - probes the host kernel's memory-management traits for `mmsim record`
 * (see kernel_probe.h and docs/os-model.md, "The host kernel's traits").
 *
 * Both probes count the calling thread's minor faults with getrusage(RUSAGE_THREAD), so
 * the compression thread and the traced program do not blur them, and both run on fresh
 * mappings that are unmapped again before the trace starts. */
#include "capture/kernel_probe.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/utsname.h>
#include <unistd.h>

#define ZP_PROBE_PAGES 64
/* The fault-around probe maps one page table's worth of pages (512 with 4 KiB pages), aligned
 * to the range one page table covers: fault-around never crosses it, so the faults divide it
 * exactly. */
#define FA_PTRS_PER_TABLE 512

static long minor_faults_now(void)
{
    struct rusage ru;
    if (getrusage(RUSAGE_THREAD, &ru))
        return -1;
    return ru.ru_minflt;
}

static int64_t read_number(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return KPROBE_UNKNOWN;
    long long v;
    int ok = fscanf(f, "%lld", &v) == 1;
    fclose(f);
    return ok && v >= 0 ? (int64_t)v : KPROBE_UNKNOWN;
}

/* A sysfs choice file ("always [madvise] never"): the bracketed word into out, or "". */
static void read_choice(const char *path, char *out, size_t n)
{
    out[0] = 0;
    char buf[256];
    FILE *f = fopen(path, "r");
    if (!f)
        return;
    size_t got = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[got] = 0;
    char *open = strchr(buf, '['), *close = open ? strchr(open, ']') : NULL;
    if (close && (size_t)(close - open - 1) < n) {
        memcpy(out, open + 1, (size_t)(close - open - 1));
        out[close - open - 1] = 0;
    }
}

static int64_t mem_total_kb(void)
{
    FILE *f = fopen("/proc/meminfo", "r");
    if (!f)
        return KPROBE_UNKNOWN;
    char line[256];
    long long kb = KPROBE_UNKNOWN;
    while (fgets(line, sizeof line, f))
        if (sscanf(line, "MemTotal: %lld kB", &kb) == 1)
            break;
    fclose(f);
    return kb;
}

/* Reads, then writes, ZP_PROBE_PAGES fresh anonymous pages (THP off for the range). With
 * the zero page every read faults (mapping it) and every write faults again (do_wp_page
 * copies); without it the read faults allocate writable pages and the writes do not
 * fault. The decision takes the majority, so a stray fault (the stack, the libc's first
 * getrusage) cannot flip it. */
static void probe_zero_page(struct kernel_traits *t, size_t page)
{
    t->zero_page = KPROBE_UNKNOWN;
    size_t len = ZP_PROBE_PAGES * page;
    volatile unsigned char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return;
    madvise((void *)p, len, MADV_NOHUGEPAGE);
    unsigned sum = 0;
    long f0 = minor_faults_now();
    for (size_t i = 0; i < ZP_PROBE_PAGES; i++)
        sum += p[i * page];
    long f1 = minor_faults_now();
    for (size_t i = 0; i < ZP_PROBE_PAGES; i++)
        p[i * page] = (unsigned char)(sum + 1);
    long f2 = minor_faults_now();
    munmap((void *)p, len);
    if (f0 < 0 || f1 < f0 || f2 < f1)
        return;
    t->zp_pages = ZP_PROBE_PAGES;
    t->zp_read_faults = (uint64_t)(f1 - f0);
    t->zp_write_faults = (uint64_t)(f2 - f1);
    if (t->zp_read_faults * 2 < ZP_PROBE_PAGES)
        return; /* the reads did not fault: something else is going on, say nothing */
    t->zero_page = t->zp_write_faults * 2 >= ZP_PROBE_PAGES;
}

/* Fills a shmem file (memfd: always in the page cache, no disk, no temporary file) with one
 * page table's worth of pages, maps it read-only at an address aligned to the range of one
 * page table, and reads one byte a page. Each fault maps the cached pages of its aligned
 * fault-around window (do_fault_around), so pages / faults is the window. Caveat: shmem
 * large folios (shmem_enabled other than never) would map more a fault. */
static void probe_fault_around(struct kernel_traits *t, size_t page)
{
    size_t len = FA_PTRS_PER_TABLE * page, align = len;
    int fd = memfd_create("mmsim-fault-around-probe", MFD_CLOEXEC);
    if (fd < 0)
        return;
    unsigned char *buf = malloc(page);
    int filled = buf != NULL;
    if (buf)
        memset(buf, 0x5a, page);
    for (size_t i = 0; filled && i < FA_PTRS_PER_TABLE; i++)
        filled = write(fd, buf, page) == (ssize_t)page;
    free(buf);
    /* reserve twice the length, then put the file at the aligned address inside */
    unsigned char *area = filled ? mmap(NULL, len + align, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) : MAP_FAILED;
    if (area == MAP_FAILED) {
        close(fd);
        return;
    }
    uintptr_t at = ((uintptr_t)area + align - 1) & ~(uintptr_t)(align - 1);
    volatile unsigned char *p = mmap((void *)at, len, PROT_READ, MAP_SHARED | MAP_FIXED, fd, 0);
    close(fd);
    if (p != MAP_FAILED) {
        unsigned sum = 0;
        long f0 = minor_faults_now();
        for (size_t i = 0; i < FA_PTRS_PER_TABLE; i++)
            sum += p[i * page];
        long f1 = minor_faults_now();
        if (f0 >= 0 && f1 > f0 && sum) {
            t->fa_pages = FA_PTRS_PER_TABLE;
            t->fa_faults = (uint64_t)(f1 - f0);
            /* the window is a power of two: the one nearest pages / faults on a log scale
             * (2w is nearer while 2w <= sqrt(2) * pages / faults), so a stray fault or two
             * cannot halve it */
            uint64_t w = 1, pf = t->fa_pages;
            while (w < FA_PTRS_PER_TABLE && (2 * w * t->fa_faults) * (2 * w * t->fa_faults) <= 2 * pf * pf)
                w *= 2;
            t->fault_around_bytes = (int64_t)(w * page);
            t->fault_around_source = "probe";
        }
    }
    munmap(area, len + align);
}

void kernel_probe(struct kernel_traits *t)
{
    memset(t, 0, sizeof *t);
    long ps = sysconf(_SC_PAGESIZE);
    size_t page = ps > 0 ? (size_t)ps : 4096;
    t->page_size = ps > 0 ? ps : KPROBE_UNKNOWN;
    struct utsname u;
    if (uname(&u) == 0)
        snprintf(t->release, sizeof t->release, "%s", u.release);
    probe_zero_page(t, page);
    read_choice("/sys/kernel/mm/transparent_hugepage/enabled", t->thp_enabled, sizeof t->thp_enabled);
    read_choice("/sys/kernel/mm/transparent_hugepage/defrag", t->thp_defrag, sizeof t->thp_defrag);
    t->thp_use_zero_page = (int)read_number("/sys/kernel/mm/transparent_hugepage/use_zero_page");
    t->fault_around_bytes = read_number("/sys/kernel/debug/fault_around_bytes");
    t->fault_around_source = "debugfs";
    if (t->fault_around_bytes == KPROBE_UNKNOWN) {
        t->fault_around_source = NULL;
        probe_fault_around(t, page);
    }
    t->page_cluster = read_number("/proc/sys/vm/page-cluster");
    t->swappiness = read_number("/proc/sys/vm/swappiness");
    t->overcommit_memory = read_number("/proc/sys/vm/overcommit_memory");
    t->min_free_kbytes = read_number("/proc/sys/vm/min_free_kbytes");
    t->watermark_scale_factor = read_number("/proc/sys/vm/watermark_scale_factor");
    t->mem_total_kb = mem_total_kb();
}

static int meta_num(struct mmt_writer *w, const char *key, int64_t v)
{
    if (v == KPROBE_UNKNOWN)
        return 0;
    char s[32];
    snprintf(s, sizeof s, "%" PRId64, v);
    return mmt_writer_meta(w, key, s);
}

static int meta_str(struct mmt_writer *w, const char *key, const char *v)
{
    return v && *v ? mmt_writer_meta(w, key, v) : 0;
}

int kernel_probe_write_meta(const struct kernel_traits *t, struct mmt_writer *w)
{
    char s[160];
    int rc = 0;
    if (t->zero_page != KPROBE_UNKNOWN)
        rc |= meta_str(w, "traits.zero_page", t->zero_page ? "on" : "off");
    if (t->zp_pages) {
        snprintf(s, sizeof s, "%" PRIu64 " fresh anonymous pages read: %" PRIu64 " faults, then written: %" PRIu64 " faults",
                 t->zp_pages, t->zp_read_faults, t->zp_write_faults);
        rc |= meta_str(w, "traits.zero_page.probe", s);
    }
    rc |= meta_str(w, "traits.thp.enabled", t->thp_enabled);
    rc |= meta_str(w, "traits.thp.defrag", t->thp_defrag);
    rc |= meta_num(w, "traits.thp.use_zero_page", t->thp_use_zero_page);
    rc |= meta_num(w, "traits.fault_around_bytes", t->fault_around_bytes);
    if (t->fault_around_bytes != KPROBE_UNKNOWN && t->fault_around_source) {
        if (t->fa_faults)
            snprintf(s, sizeof s, "probe: %" PRIu64 " cached shmem pages read through a mapping: %" PRIu64 " faults",
                     t->fa_pages, t->fa_faults);
        else
            snprintf(s, sizeof s, "%s", t->fault_around_source);
        rc |= meta_str(w, "traits.fault_around_bytes.source", s);
    }
    rc |= meta_num(w, "traits.page_cluster", t->page_cluster);
    rc |= meta_num(w, "traits.swappiness", t->swappiness);
    rc |= meta_num(w, "traits.overcommit_memory", t->overcommit_memory);
    rc |= meta_num(w, "traits.min_free_kbytes", t->min_free_kbytes);
    rc |= meta_num(w, "traits.watermark_scale_factor", t->watermark_scale_factor);
    rc |= meta_num(w, "traits.mem_total_kb", t->mem_total_kb);
    rc |= meta_num(w, "traits.page_size", t->page_size);
    rc |= meta_str(w, "traits.kernel_release", t->release);
    return rc;
}
