/* oom_kill.h - the OOM killer (mm/oom_kill.c, fs/proc/base.c): badness, victim choice,
 * /proc/PID/oom_score, the dmesg report, and a memory-cgroup-style limit per group.
 *
 * The engine describes each process as a `struct oom_task` (a snapshot of its counters);
 * this module decides, it does not free memory: the caller kills the chosen task. */
#ifndef MMSIM_OOM_KILL_H
#define MMSIM_OOM_KILL_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#define OOM_SCORE_ADJ_MIN (-1000)
#define OOM_SCORE_ADJ_MAX 1000
#define OOM_UNKILLABLE LONG_MIN /* oom_badness of a task the killer never picks */
#define OOM_NO_GROUP (-1)

/* What the OOM killer sees of a process. Memory values in pages except pgtables_bytes. */
struct oom_task {
    int32_t pid, tgid;
    uint32_t uid;
    const char *comm;          /* process name (the kernel's 16-byte comm is printed) */
    uint64_t total_vm;         /* pages mapped */
    uint64_t rss_anon, rss_file, rss_shmem;
    uint64_t pgtables_bytes;
    uint64_t swap_ents;
    int oom_score_adj;         /* -1000..1000 */
    int unkillable;            /* init, kernel thread, already exiting (MMF_OOM_SKIP) */
    int group;                 /* memory cgroup index, OOM_NO_GROUP for the root */
};

enum oom_constraint { OOM_CONSTRAINT_NONE = 0, OOM_CONSTRAINT_MEMCG };

/* One OOM invocation: global (totalpages = RAM + swap) or limited to one group. */
struct oom_control {
    enum oom_constraint constraint;
    int group;                 /* the group over its limit (CONSTRAINT_MEMCG) */
    const char *group_name;    /* printed as oom_memcg=; NULL prints "/" */
    uint64_t totalpages;
    unsigned page_size;
};

/* oom_badness(): rss + swap entries + page-table pages, plus oom_score_adj * (totalpages /
 * 1000); OOM_UNKILLABLE for adj -1000 or an unkillable task. */
long oom_badness(const struct oom_task *t, uint64_t totalpages, unsigned page_size);

/* /proc/PID/oom_score from a badness: (1000 + points * 1000 / totalpages) * 2 / 3, 0 for an
 * unkillable task, kept within 0..2000. */
long oom_score_from_badness(long points, uint64_t totalpages);
long oom_score(const struct oom_task *t, uint64_t totalpages, unsigned page_size);

/* totalpages of a global OOM: RAM pages plus swap pages. */
uint64_t oom_totalpages_global(uint64_t ram_pages, uint64_t swap_pages);
/* totalpages of a memcg OOM (mem_cgroup_get_max, cgroup v2 accounting): the group's memory
 * limit plus min(its swap limit, total swap) when swappiness is not 0; at least 1. */
uint64_t oom_totalpages_memcg(uint64_t mem_limit_pages, uint64_t swap_limit_pages,
                              uint64_t total_swap_pages, unsigned swappiness);

/* Is the task a candidate of this OOM (killable and in the constrained group)? */
int oom_task_eligible(const struct oom_control *oc, const struct oom_task *t);

/* select_bad_process(): the index of the task with the highest badness among the eligible
 * ones, ties going to the later task in the array (the kernel's scan order); -1 when no
 * task can be killed. *points receives the victim's badness. */
long oom_select_victim(const struct oom_control *oc, const struct oom_task *tasks, size_t n,
                       long *points);

/* The kernel's dump_tasks() table ("Tasks state (memory values in pages):" and one line per
 * eligible task, same columns and widths), then one "oom_score" line per candidate with its
 * badness and /proc oom_score, which the kernel does not print. Each line starts with
 * prefix (e.g. a "[   12.345678] " timestamp), which may be NULL. */
void oom_dump_tasks(FILE *f, const char *prefix, const struct oom_control *oc,
                    const struct oom_task *tasks, size_t n);

/* The oom-kill summary line and "Out of memory: Killed process ..." as __oom_kill_process
 * prints them. */
void oom_print_kill(FILE *f, const char *prefix, const struct oom_control *oc,
                    const struct oom_task *victim);

/* A memory-cgroup-style limit on a group of processes (memory.max, memory.swap.max). */
struct oom_memcg {
    uint64_t limit_pages;      /* 0: no limit */
    uint64_t swap_limit_pages; /* swap the group may use; UINT64_MAX: no limit */
    uint64_t usage_pages;      /* charged now (resident pages of its processes) */
    uint64_t swap_usage_pages;
    uint64_t max_usage_pages;  /* memory.max_usage_in_bytes / memory.peak, in pages */
    uint64_t kmem_pages;       /* of usage: kernel memory (memory.kmem.usage_in_bytes) */
    uint64_t failcnt;          /* charges that hit the limit */
    uint64_t oom_kills;
};

/* Charge nr pages to the group: 0 when usage stays within the limit, -1 (usage unchanged,
 * failcnt counted) when it would exceed it: the caller reclaims from the group, then
 * retries, then calls the OOM killer with a CONSTRAINT_MEMCG control. */
int oom_memcg_try_charge(struct oom_memcg *mg, uint64_t nr);
void oom_memcg_uncharge(struct oom_memcg *mg, uint64_t nr);

#endif
