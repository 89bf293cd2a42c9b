#!/usr/bin/env python3
"""The timing calibration of one workload of make validate-thrash (tests/validate/thrash.sh).

usage: thrash_cal.py REPLAY.json KERNEL.csv native|kernel

REPLAY.json is the first replay of the workload, with [timing] calibrate = native: its
`calibration` object holds the values fitted on the trace's native run (cpu.base_cpi and
timing.minor_fault, so that an unpressured replay takes the native user + system time).
native: those values. kernel: moved to the kernel's runs of this validation that took no
major fault (KERNEL.csv; the median user and system time of one process), as mmsim replay
fits them (user time = base_cpi x instructions + the modelled stalls, the cache stalls
x stall_scale when base_cpi would fall under 0.25; system time = minor faults x
minor_fault), so that the model's time at ample memory is the kernel's measured in
the same session. A workload of several processes (multi) takes its time a process from the
runs of one process alone (user + system; the split between them is the median over all the
ample runs: rusage splits by tick sampling, and one process's run can show no system time at
all), and cpu.contention from the runs of as many processes as CPUs or more: their runtime
over the time one process alone takes times processes / CPUs (every CPU busy throughout; on
this machine's two vCPUs two copies of the walk each run ~1.6x slower: shared caches and
memory bandwidth). Prints the replay settings, then one line saying what was fitted."""
import csv
import json
import os
import statistics
import sys


def ample_rows(path):
    if not os.path.exists(path):
        return []
    with open(path) as f:
        return [r for r in csv.DictReader(f) if r["major_faults"] == "0" and r.get("user_s")]


def per_proc(r, key):
    return float(r[key]) / max(1, int(r["procs"]))


def kernel_ample(rows):
    """median user and system seconds of one process over the runs without a major fault
    (of several processes: the total from the runs of one alone, see above)"""
    if not rows:
        return None
    user = statistics.median(per_proc(r, "user_s") for r in rows)
    syst = statistics.median(per_proc(r, "sys_s") for r in rows)
    alone = [r for r in rows if int(r["procs"]) == 1]
    if alone and len(alone) < len(rows):
        total = statistics.median(float(r["user_s"]) + float(r["sys_s"]) for r in alone)
        share = syst / (user + syst) if user + syst > 0 else 0.0
        user, syst = total * (1 - share), total * share
        return user, syst, len(alone)
    return user, syst, len(rows)


def contention(rows, ncpu):
    """runtime of >= ncpu processes over one process's runtime x processes / CPUs, or None"""
    alone = [float(r["runtime_s"]) for r in rows if int(r["procs"]) == 1]
    full = [r for r in rows if int(r["procs"]) >= ncpu > 1]
    if not alone or not full:
        return None
    t1 = statistics.median(alone)
    f = statistics.median(float(r["runtime_s"]) / (t1 * int(r["procs"]) / ncpu) for r in full)
    return min(16.0, max(1.0, f)), len(full)


def main():
    j = json.load(open(sys.argv[1]))
    c = j.get("calibration", {})
    if not c.get("applied"):
        print("")
        print("not applied: %s" % c.get("why"))
        return
    cpi, mf, scale = c["base_cpi"], c["minor_fault_cycles"], c.get("stall_scale", 1.0)
    note = "native run: user %.3f s, system %.3f s (wall %.3f s)" % (c["native_user_s"], c["native_sys_s"],
                                                                     c["native_wall_s"])
    rows = ample_rows(sys.argv[2]) if sys.argv[3] == "kernel" else []
    k = kernel_ample(rows)
    extra = ""
    if k:
        procs = max(1, len(j.get("processes", [])))
        instr = j["instructions"] / procs
        minor = sum(p["faults"]["minor"] for p in j["processes"]) / procs
        ghz = 3.0 * 1e9
        # user time = base_cpi x instructions + TLB and walk stalls + cache stalls x
        # stall_scale, fitted as mmsim replay fits it: base_cpi first, down to 0.25, then
        # the part of the cache stalls charged (model/calibrate.c)
        cb = j["cycles_breakdown"]
        tlbwalk = (cb["tlb"] + cb["walk"]) / procs
        cache_full = cb["cache"] / procs / c.get("stall_scale", 1.0)
        target = k[0] * ghz
        cpi, scale = (target - tlbwalk - cache_full) / instr, 1.0
        if cpi < 0.25:
            cpi = 0.25
            scale = max(0.01, (target - cpi * instr - tlbwalk) / cache_full) if cache_full > 0 else 1.0
        mf = k[1] * ghz / minor
        note = "the kernel's runs without a major fault (%d, median a process): user %.3f s, system %.3f s; %s" % (
            k[2], k[0], k[1], note)
        f = contention(rows, int(j.get("cpus", 1)))
        if f:
            extra = " -s cpu.contention=%.3f" % f[0]
            note += "; cpu.contention %.3f from %d runs of >= %d processes" % (f[0], f[1], j.get("cpus", 1))
    print("-s cpu.base_cpi=%.6f -s timing.minor_fault=%d -s cpu.stall_scale=%.6f%s" % (cpi, mf + 0.5, scale, extra))
    print("base_cpi %.2f, minor_fault %d cycles, stall_scale %.3f, from %s" % (cpi, mf + 0.5, scale, note))


if __name__ == "__main__":
    main()
