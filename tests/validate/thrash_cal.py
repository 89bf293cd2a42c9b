#!/usr/bin/env python3
"""The timing calibration of one workload of make validate-thrash (tests/validate/thrash.sh).

usage: thrash_cal.py REPLAY.json KERNEL.csv native|kernel

REPLAY.json is the first replay of the workload, with [timing] calibrate = native: its
`calibration` object holds the values fitted on the trace's native run (cpu.base_cpi and
timing.minor_fault, so that an unpressured replay takes the native user + system time).
native: those values. kernel: moved to the kernel's runs of this validation that took no
major fault (KERNEL.csv; the median user and system time of one process), as mmsim replay
fits them (user time = base_cpi x instructions + the modelled stalls; system time = minor
faults x minor_fault), so that the model's time at ample memory is the kernel's measured in
the same session. Prints the replay settings, then one line saying what was fitted."""
import csv
import json
import os
import statistics
import sys


def kernel_ample(path):
    """median user and system seconds of one process over the runs without a major fault"""
    if not os.path.exists(path):
        return None
    with open(path) as f:
        rows = [r for r in csv.DictReader(f) if r["major_faults"] == "0" and r.get("user_s")]
    if not rows:
        return None
    n = [max(1, int(r["procs"])) for r in rows]
    return (statistics.median(float(r["user_s"]) / k for r, k in zip(rows, n)),
            statistics.median(float(r["sys_s"]) / k for r, k in zip(rows, n)), len(rows))


def main():
    j = json.load(open(sys.argv[1]))
    c = j.get("calibration", {})
    if not c.get("applied"):
        print("")
        print("not applied: %s" % c.get("why"))
        return
    cpi, mf = c["base_cpi"], c["minor_fault_cycles"]
    note = "native run: user %.3f s, system %.3f s (wall %.3f s)" % (c["native_user_s"], c["native_sys_s"],
                                                                     c["native_wall_s"])
    k = kernel_ample(sys.argv[2]) if sys.argv[3] == "kernel" else None
    if k:
        procs = max(1, len(j.get("processes", [])))
        instr = j["instructions"] / procs
        minor = sum(p["faults"]["minor"] for p in j["processes"]) / procs
        ghz = 3.0 * 1e9
        cpi = max(0.05, cpi + (k[0] - c["native_user_s"]) * ghz / instr)
        mf = k[1] * ghz / minor
        note = "the kernel's runs without a major fault (%d, median a process): user %.3f s, system %.3f s; %s" % (
            k[2], k[0], k[1], note)
    print("-s cpu.base_cpi=%.6f -s timing.minor_fault=%d" % (cpi, mf + 0.5))
    print("base_cpi %.2f, minor_fault %d cycles, from %s" % (cpi, mf + 0.5, note))


if __name__ == "__main__":
    main()
