/* meminfo.c - `free -h` and `vmstat` formats. The layout follows procps-ng: free's
 * scale_size() for human sizes and its fixed column widths; vmstat's default columns. */
#include "model/meminfo.h"

#include <string.h>

void meminfo_human(uint64_t bytes, char *buf, size_t len)
{
    static const char units[] = "BKMGTPE";
    if (snprintf(buf, len, "%llu%c", (unsigned long long)bytes, units[0]) <= 4)
        return;
    double scale = 1.0;
    for (int i = 1; units[i]; i++) {
        scale *= 1024.0;
        /* procps converts to float first; the float rounding is part of the format */
        if (snprintf(buf, len, "%.1f%ci", (double)(float)((double)bytes / scale), units[i]) <= 5)
            return;
        if (snprintf(buf, len, "%ld%ci", (long)((double)bytes / scale), units[i]) <= 5)
            return;
    }
}

static void print_col(FILE *f, uint64_t bytes)
{
    char b[32];
    meminfo_human(bytes, b, sizeof(b));
    fprintf(f, "%12s", b);
}

void meminfo_print_free(FILE *f, const struct meminfo *m)
{
    uint64_t bc = m->buffers + m->cached;
    uint64_t used = m->total > m->free + bc ? m->total - m->free - bc : 0;
    fprintf(f, "%-8s%12s%12s%12s%12s%12s%12s\n", "", "total", "used", "free", "shared",
            "buff/cache", "available");
    fprintf(f, "%-8s", "Mem:");
    print_col(f, m->total);
    print_col(f, used);
    print_col(f, m->free);
    print_col(f, m->shared);
    print_col(f, bc);
    print_col(f, m->available);
    fprintf(f, "\n%-8s", "Swap:");
    print_col(f, m->swap_total);
    print_col(f, m->swap_total - (m->swap_free < m->swap_total ? m->swap_free : m->swap_total));
    print_col(f, m->swap_free);
    fputc('\n', f);
}

void meminfo_vmstat_header(FILE *f)
{
    fprintf(f, "procs -----------memory---------- ---swap-- -----io----\n");
    fprintf(f, " r  b   swpd   free   buff  cache   si   so    bi    bo\n");
}

void meminfo_vmstat_line(FILE *f, const struct vmstat_sample *v)
{
    fprintf(f, "%2u %2u %6llu %6llu %6llu %6llu %4llu %4llu %5llu %5llu\n", v->r, v->b,
            (unsigned long long)v->swpd, (unsigned long long)v->free,
            (unsigned long long)v->buff, (unsigned long long)v->cache,
            (unsigned long long)v->si, (unsigned long long)v->so, (unsigned long long)v->bi,
            (unsigned long long)v->bo);
}

uint64_t meminfo_rate_per_s(uint64_t now, uint64_t before, uint64_t interval_ns)
{
    if (interval_ns == 0 || now < before)
        return 0;
    return (uint64_t)((double)(now - before) * 1e9 / (double)interval_ns + 0.5);
}
