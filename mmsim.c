/* mmsim - a trace-driven model of Linux memory management. This file is only the verb
 * table; each verb lives in its module (see verbs.h). */
#include <stdio.h>
#include <string.h>

#include "verbs.h"

struct verb {
    const char *name;
    int (*run)(int argc, char **argv);
    const char *summary;
};

static const struct verb verbs[] = {
    {"record", cmd_record, "run a program and record its memory accesses and OS events"},
    {"import", cmd_import, "convert a lackey, pinatrace, ChampSim or din trace to .mmt"},
    {"export", cmd_export, "write a trace as lackey, din or ChampSim for other simulators"},
    {"info", cmd_info, "summarise a trace (--json, --scan)"},
    {"dump", cmd_dump, "print a trace's records (--format lackey)"},
    {"replay", cmd_replay, "replay traces through the model and report"},
    {"calibrate", cmd_calibrate, "fit the timing to the traces' native run, for reuse"},
    {"config", cmd_config, "show the effective configuration (config show -c FILE)"},
    {"sweep", cmd_sweep, "replay over a grid of configurations into a CSV"},
    {"mrc", cmd_mrc, "one-pass LRU miss-ratio curve of a trace"},
    {"plot", cmd_plot, "plot results with gnuplot (png, svg, pdf)"},
    {"stats-schema", cmd_stats_schema, NULL}, /* hidden: docs/replay.md's statistics table */
};

static void usage(FILE *f)
{
    fprintf(f, "usage: mmsim VERB [options] ...   (mmsim VERB --help for a verb's options)\n\n");
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        if (verbs[i].summary)
            fprintf(f, "  %-9s %s\n", verbs[i].name, verbs[i].summary);
}

int main(int argc, char **argv)
{
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
        usage(stdout);
        return 0;
    }
    if (!strcmp(argv[1], "--version")) {
        printf("mmsim 0.1\n");
        return 0;
    }
    for (size_t i = 0; i < sizeof verbs / sizeof verbs[0]; i++)
        if (!strcmp(argv[1], verbs[i].name))
            return verbs[i].run(argc - 1, argv + 1);
    fprintf(stderr, "mmsim: unknown verb '%s'\n", argv[1]);
    usage(stderr);
    return 2;
}
