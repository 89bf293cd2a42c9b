#!/usr/bin/env python3
"""Reclaim's TLB flushes in a tracefs trace (tests/validate/thrash_trace.sh with FLUSHES=1).

usage: thrash_flushes.py TRACE [COMM]

Counts the flushes COMM's tasks (default thrash_walk) sent with another CPU in the mask
(tlb:tlb_flush, reason 4 "remote IPI send": x86's flush_tlb_multi, one a page reclaim
writes and one a shrink batch), what the other CPU ran then (sched:sched_switch: COMM, any
other user task, or idle / a kernel thread: lazy TLB, skipped by should_flush_tlb), and the
flushes that reached another CPU as a function-call IPI (csd:csd_queue_cpu of
flush_tlb_func), beside the other functions those IPIs ran. For two CPUs: with more, the
"other CPU" is the lowest-numbered one that is not the sender. Compare with the model's
reclaim_tlb_flushes_multi and tlb_ipis (docs/validation-thrash.md, "CPU under
contention")."""
import collections
import re
import sys

LINE = re.compile(r"^\s*(.+?)-(\d+)\s+\[(\d+)\]\s+\S+\s+(\d+\.\d+):\s+(\w+):\s*(.*)$")
KTHREADS = ("swapper", "kworker", "ksoftirqd", "rcu", "migration", "kswapd", "kcompactd",
            "khugepaged", "kdamond", "jbd2", "cpuhp", "idle_inject", "watchdog")


def summary(path, comm):
    running = {}
    other = collections.Counter()
    csd = collections.Counter()
    flushes = 0
    for line in open(path, errors="replace"):
        m = LINE.match(line)
        if not m:
            continue
        task, cpu, ev, rest = m.group(1), int(m.group(3)), m.group(5), m.group(6)
        if ev == "sched_switch":
            nm = re.search(r"next_comm=(.*?) next_pid=", rest)
            if nm:
                running[cpu] = nm.group(1)
        elif ev == "tlb_flush" and "(4)" in rest and task == comm:
            flushes += 1
            cpus = sorted(c for c in running if c != cpu)
            o = running.get(cpus[0]) if cpus else None
            if o is None:
                other["unknown"] += 1
            elif o == comm:
                other[comm] += 1
            elif o.startswith(KTHREADS):
                other["idle or kthread"] += 1
            else:
                other["other user task"] += 1
        elif ev == "csd_queue_cpu":
            f = re.search(r"func=(\w+)", rest)
            csd[f.group(1) if f else "?"] += 1
    return flushes, other, csd


def main():
    if len(sys.argv) not in (2, 3):
        sys.exit("usage: thrash_flushes.py TRACE [COMM]")
    comm = sys.argv[2] if len(sys.argv) == 3 else "thrash_walk"
    flushes, other, csd = summary(sys.argv[1], comm)
    print("reclaim flushes of %s with another CPU in the mask (flush_tlb_multi): %d" % (comm, flushes))
    print("  the other CPU then: " + ", ".join("%s %d" % kv for kv in other.most_common()))
    print("  flushes delivered as function-call IPIs (flush_tlb_func): %d" % csd.get("flush_tlb_func", 0))
    print("  function-call IPIs queued, by function: " + (", ".join("%s %d" % kv for kv in csd.most_common()) or "none"))


if __name__ == "__main__":
    main()
