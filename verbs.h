/* verbs.h - the entry point of every mmsim verb. Each verb lives in its module and is
 * called with argv[0] set to the verb's name; it returns the process exit status. */
#ifndef MMSIM_VERBS_H
#define MMSIM_VERBS_H

int cmd_record(int argc, char **argv);  /* capture/record.c */
int cmd_import(int argc, char **argv);  /* traces/import.c */
int cmd_export(int argc, char **argv);  /* traces/export.c */
int cmd_info(int argc, char **argv);    /* traces/info.c */
int cmd_dump(int argc, char **argv);    /* traces/info.c */
int cmd_replay(int argc, char **argv);  /* model/replay.c */
int cmd_calibrate(int argc, char **argv); /* model/calibrate.c */
int cmd_config(int argc, char **argv);  /* model/config.c */
int cmd_sweep(int argc, char **argv);   /* analysis/sweep.c */
int cmd_mrc(int argc, char **argv);     /* analysis/mrc.c */
int cmd_plot(int argc, char **argv);    /* analysis/plot.c */
int cmd_stats_schema(int argc, char **argv); /* model/replay.c (hidden) */

#endif
