/* oom_kill.c - badness, victim choice and the kill report of the OOM killer, as
 * mm/oom_kill.c and fs/proc/base.c (proc_oom_score) compute them. */
#include "model/oom_kill.h"


long oom_badness(const struct oom_task *t, uint64_t totalpages, unsigned page_size)
{
    if (t->unkillable || t->oom_score_adj <= OOM_SCORE_ADJ_MIN)
        return OOM_UNKILLABLE;
    if (page_size == 0)
        page_size = 4096;
    long points = (long)(t->rss_anon + t->rss_file + t->rss_shmem) + (long)t->swap_ents +
                  (long)(t->pgtables_bytes / page_size);
    /* The kernel divides first: adj *= totalpages / 1000. */
    long adj = (long)t->oom_score_adj;
    adj *= (long)(totalpages / 1000);
    return points + adj;
}

long oom_score_from_badness(long points, uint64_t totalpages)
{
    if (points == OOM_UNKILLABLE)
        return 0;
    if (totalpages == 0)
        totalpages = 1;
    long score = (1000 + points * 1000 / (long)totalpages) * 2 / 3;
    if (score < 0)
        score = 0;
    if (score > 2000)
        score = 2000;
    return score;
}

long oom_score(const struct oom_task *t, uint64_t totalpages, unsigned page_size)
{
    return oom_score_from_badness(oom_badness(t, totalpages, page_size), totalpages);
}

uint64_t oom_totalpages_global(uint64_t ram_pages, uint64_t swap_pages)
{
    return ram_pages + swap_pages;
}

uint64_t oom_totalpages_memcg(uint64_t mem_limit_pages, uint64_t swap_limit_pages,
                              uint64_t total_swap_pages, unsigned swappiness)
{
    uint64_t max = mem_limit_pages;
    if (swappiness)
        max += swap_limit_pages < total_swap_pages ? swap_limit_pages : total_swap_pages;
    return max ? max : 1;
}

int oom_task_eligible(const struct oom_control *oc, const struct oom_task *t)
{
    if (t->unkillable)
        return 0;
    if (oc->constraint == OOM_CONSTRAINT_MEMCG && t->group != oc->group)
        return 0;
    return 1;
}

long oom_select_victim(const struct oom_control *oc, const struct oom_task *tasks, size_t n,
                       long *points)
{
    long chosen = -1;
    long chosen_points = OOM_UNKILLABLE;
    for (size_t i = 0; i < n; i++) {
        if (!oom_task_eligible(oc, &tasks[i]))
            continue;
        long p = oom_badness(&tasks[i], oc->totalpages, oc->page_size);
        /* oom_evaluate_task skips LONG_MIN and anything below the best so far: an equal
         * score replaces the earlier choice. */
        if (p == OOM_UNKILLABLE || p < chosen_points)
            continue;
        chosen = (long)i;
        chosen_points = p;
    }
    if (points)
        *points = chosen_points;
    return chosen;
}

/* The kernel prints comm, at most TASK_COMM_LEN - 1 = 15 characters. */
static void comm15(char out[16], const char *comm)
{
    snprintf(out, 16, "%s", comm ? comm : "?");
}

void oom_dump_tasks(FILE *f, const char *prefix, const struct oom_control *oc,
                    const struct oom_task *tasks, size_t n)
{
    const char *pf = prefix ? prefix : "";
    fprintf(f, "%sTasks state (memory values in pages):\n", pf);
    fprintf(f, "%s[  pid  ]   uid  tgid total_vm      rss rss_anon rss_file rss_shmem "
               "pgtables_bytes swapents oom_score_adj name\n", pf);
    for (size_t i = 0; i < n; i++) {
        const struct oom_task *t = &tasks[i];
        if (!oom_task_eligible(oc, t))
            continue;
        char comm[16];
        comm15(comm, t->comm);
        fprintf(f, "%s[%7d] %5u %5d %8lu %8lu %8lu %8lu %9lu %8ld %8lu         %5hd %s\n", pf,
                t->pid, t->uid, t->tgid, (unsigned long)t->total_vm,
                (unsigned long)(t->rss_anon + t->rss_file + t->rss_shmem),
                (unsigned long)t->rss_anon, (unsigned long)t->rss_file,
                (unsigned long)t->rss_shmem, (long)t->pgtables_bytes,
                (unsigned long)t->swap_ents, (short)t->oom_score_adj, comm);
    }
    fprintf(f, "%sOOM scores (totalpages %lu):", pf, (unsigned long)oc->totalpages);
    for (size_t i = 0; i < n; i++) {
        const struct oom_task *t = &tasks[i];
        if (!oom_task_eligible(oc, t))
            continue;
        long p = oom_badness(t, oc->totalpages, oc->page_size);
        if (p == OOM_UNKILLABLE)
            fprintf(f, " [%d] points=unkillable oom_score=0", t->pid);
        else
            fprintf(f, " [%d] points=%ld oom_score=%ld", t->pid, p,
                    oom_score_from_badness(p, oc->totalpages));
    }
    fputc('\n', f);
}

void oom_print_kill(FILE *f, const char *prefix, const struct oom_control *oc,
                    const struct oom_task *v)
{
    const char *pf = prefix ? prefix : "";
    char comm[16];
    comm15(comm, v->comm);
    unsigned long kb = (oc->page_size ? oc->page_size : 4096) / 1024;
    int memcg = oc->constraint == OOM_CONSTRAINT_MEMCG;
    const char *mg = oc->group_name ? oc->group_name : "/";
    fprintf(f, "%soom-kill:constraint=%s,nodemask=(null),cpuset=/,mems_allowed=0,%s%s,"
               "task_memcg=%s,task=%s,pid=%d,uid=%u\n",
            pf, memcg ? "CONSTRAINT_MEMCG" : "CONSTRAINT_NONE", memcg ? "oom_memcg=" : "global_oom",
            memcg ? mg : "", memcg ? mg : "/", comm, v->pid, v->uid);
    fprintf(f, "%s%s: Killed process %d (%s) total-vm:%lukB, anon-rss:%lukB, file-rss:%lukB, "
               "shmem-rss:%lukB, UID:%u pgtables:%lukB oom_score_adj:%hd\n",
            pf, memcg ? "Memory cgroup out of memory" : "Out of memory", v->pid, comm,
            (unsigned long)v->total_vm * kb, (unsigned long)v->rss_anon * kb,
            (unsigned long)v->rss_file * kb, (unsigned long)v->rss_shmem * kb, v->uid,
            (unsigned long)(v->pgtables_bytes / 1024), (short)v->oom_score_adj);
}

int oom_memcg_try_charge(struct oom_memcg *mg, uint64_t nr)
{
    if (mg->limit_pages && mg->usage_pages + nr > mg->limit_pages) {
        mg->failcnt++;
        return -1;
    }
    mg->usage_pages += nr;
    if (mg->usage_pages > mg->max_usage_pages)
        mg->max_usage_pages = mg->usage_pages;
    return 0;
}

void oom_memcg_uncharge(struct oom_memcg *mg, uint64_t nr)
{
    mg->usage_pages = nr > mg->usage_pages ? 0 : mg->usage_pages - nr;
}
