/* fuzz_import.h - the shared body of the importer fuzz targets: import the input from a
 * fmemopen FILE into a .mmt in a memfd, then read it back and check that it holds exactly the
 * accesses the importer reported. No disk is touched. */
#ifndef MMSIM_FUZZ_IMPORT_H
#define MMSIM_FUZZ_IMPORT_H

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <unistd.h>

#include "traces/import.h"

static uint64_t count_accesses(const char *path)
{
    char err[512];
    struct mmt_reader *r = mmt_reader_open(path, err, sizeof err);
    if (!r) {
        fprintf(stderr, "imported trace unreadable: %s\n", err);
        abort();
    }
    const struct mmt_rec *recs;
    size_t n;
    uint64_t acc = 0;
    int rc;
    while ((rc = mmt_reader_next(r, &recs, &n)) == 1)
        for (size_t i = 0; i < n; i++)
            acc += recs[i].kind <= MMT_MODIFY;
    if (rc < 0 || !mmt_reader_complete(r))
        abort();
    mmt_reader_close(r);
    return acc;
}

static int fuzz_import(enum mmt_import_format f, const uint8_t *data, size_t size)
{
    static const char empty[1];
    FILE *in = fmemopen(size ? (void *)data : (void *)empty, size ? size : 1, "rb");
    int fd = memfd_create("fuzz_import", 0);
    if (!in || fd < 0) {
        if (in)
            fclose(in);
        if (fd >= 0)
            close(fd);
        return 0;
    }
    char path[64], err[512];
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
    struct mmt_writer_opts o = {.chunk_records = 64};
    struct mmt_writer *w = mmt_writer_open(path, &o, err, sizeof err);
    if (!w)
        abort();
    struct mmt_import_stats st;
    int rc = mmt_import_stream(f, in, "fuzz-input", w, &st, err, sizeof err);
    fclose(in);
    if (mmt_writer_close(w, err, sizeof err))
        abort();
    if (rc == 0 && count_accesses(path) != st.accesses)
        abort();
    close(fd);
    return 0;
}

#endif
