#!/usr/bin/env python3
"""Tables for make validate-thrash: kernel against model, limit by limit, with ratios.

usage: thrash_report.py DIR WORKLOAD...   (reads DIR/W.kernel.csv and DIR/W.model.csv)

Slowdown: runtime over the runtime with ample memory, the median of the runs without a
major fault (the kernel's wall times on a shared machine vary up to 2x between identical
runs; the median is what a run typically takes in the conditions of the others) (multi:
over the runtime of one
process times ceil(N / 2), the work of N processes on this machine's 2 CPUs).
Knee: the largest limit (multi: the smallest N) whose slowdown is at least 2.
Targets (issue 12), at every limit where the kernel completes and takes at least 50 major
faults: major faults, pages swapped in, minor faults and slowdown within 25% of the
kernel's; the same knee; OOM-killed or not the same as the kernel at every limit.
The kernel's row of a limit it ran several times (thrash.sh's KREPS) is the run with the
median major faults; the table shows the range of all runs beside it, and the count
"major faults within the kernel's range" takes the model as matching when it lies between
0.75 x the fewest and 1.25 x the most. "The kernel within 25% of itself" counts the limits
whose every run lies within 25% of the median run's major faults: there a run of the
kernel reproduces the next; elsewhere (near a knee, where reclaim's outcome turns on
timing) one deterministic replay can at best land inside the kernel's spread, and the
model's count at the reproducible limits is given apart.
Prints Markdown, then TAP lines."""
import csv
import math
import sys

TOL = 0.25


def load(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def slowdowns(rows, multi):
    if not rows:
        return []
    if multi:
        one = float(rows[0]["runtime_s"])
        return [float(r["runtime_s"]) / (one * math.ceil(int(r["procs"]) / 2)) for r in rows]
    return [float(r["runtime_s"]) / ample(rows) for r in rows]


def ample(rows):
    """the runtime with ample memory: the median of the runs without a major fault"""
    calm = sorted(float(r["runtime_s"]) for r in rows if r["major_faults"] == "0") or [float(rows[0]["runtime_s"])]
    n = len(calm)
    return calm[n // 2] if n % 2 else (calm[n // 2 - 1] + calm[n // 2]) / 2


def knee(rows, slow, multi):
    for r, s in zip(rows, slow):
        if s >= 2:
            return r["procs"] if multi else r["memory_mib"]
    return "none"


def ratio(m, k):
    m, k = float(m), float(k)
    if k == 0:
        return "-" if m == 0 else "inf"
    return "%.2f" % (m / k)


def spread(k):
    """the kernel's range of major faults over its runs of a limit, as table text"""
    if int(k.get("runs") or 1) < 2:
        return ""
    return " [%s-%s]" % (k["major_min"], k["major_max"])


def in_range(m, k):
    lo, hi = float(k.get("major_min") or k["major_faults"]), float(k.get("major_max") or k["major_faults"])
    return 0.75 * lo <= float(m) <= 1.25 * hi


def oom_text(k):
    runs, killed = int(k.get("runs") or 1), int(k.get("killed_runs") or k["oom_killed"])
    base = "killed" if k["oom_killed"] == "1" else ("exit %s" % k["exit_status"] if k["exit_status"] != "0" else "no")
    return base + (" (%d of %d runs killed)" % (killed, runs) if runs > 1 and killed else "")


def reproducible(k):
    """the kernel's runs of a limit (two or more) all within 25% of the median run's major faults"""
    if int(k.get("runs") or 1) < 2:
        return False
    med, lo, hi = float(k["major_faults"]), float(k["major_min"]), float(k["major_max"])
    return med > 0 and lo >= (1 - TOL) * med and hi <= (1 + TOL) * med


def within(m, k):
    m, k = float(m), float(k)
    return k > 0 and abs(m - k) <= TOL * k


def main():
    d, wls = sys.argv[1], sys.argv[2:]
    tap = []
    total = {"checked": 0, "major": 0, "pswpin": 0, "minor": 0, "runtime": 0, "steady": 0, "steady_major": 0}
    for w in wls:
        kr, mr = load("%s/%s.kernel.csv" % (d, w)), load("%s/%s.model.csv" % (d, w))
        multi = w == "multi"
        ks, ms = slowdowns(kr, multi), slowdowns(mr, multi)
        x = "processes (limit per process, MiB)" if multi else "limit (MiB)"
        print("### %s\n" % w)
        print("| %s | major K / M (ratio) | pswpin K / M (ratio) | pswpout K / M | minor K / M (ratio) "
              "| runtime K / M (s) (ratio) | slowdown K / M (ratio) | OOM K / M |" % x)
        print("|---|---|---|---|---|---|---|---|")
        checked, ok = 0, {"major": 0, "pswpin": 0, "minor": 0, "runtime": 0, "slowdown": 0, "range": 0,
                          "steady": 0, "steady_major": 0}
        oom_same = True
        for k, m, sk, sm in zip(kr, mr, ks, ms):
            lab = "%s (%s)" % (k["procs"], k["memory_mib"]) if multi else k["memory_mib"]
            print("| %s | %s%s / %s (%s) | %s / %s (%s) | %s / %s | %s / %s (%s) | %.3f / %.3f (%s) | %.2f / %.2f (%s) | %s / %s |" % (
                lab, k["major_faults"], spread(k), m["major_faults"], ratio(m["major_faults"], k["major_faults"]),
                k["pswpin"], m["pswpin"], ratio(m["pswpin"], k["pswpin"]), k["pswpout"], m["pswpout"],
                k["minor_faults"], m["minor_faults"], ratio(m["minor_faults"], k["minor_faults"]),
                float(k["runtime_s"]), float(m["runtime_s"]), ratio(m["runtime_s"], k["runtime_s"]), sk, sm, ratio(sm, sk),
                oom_text(k), "killed" if m["oom_killed"] == "1" else "no"))
            if k["oom_killed"] != m["oom_killed"]:
                oom_same = False
            if k["exit_status"] == "0" and k["oom_killed"] == "0" and int(k["major_faults"]) >= 50:
                checked += 1
                ok["major"] += within(m["major_faults"], k["major_faults"])
                ok["range"] += in_range(m["major_faults"], k)
                ok["pswpin"] += within(m["pswpin"], k["pswpin"])
                ok["minor"] += within(m["minor_faults"], k["minor_faults"])
                ok["runtime"] += within(m["runtime_s"], k["runtime_s"])
                ok["slowdown"] += within(sm, sk)
                if reproducible(k):
                    ok["steady"] += 1
                    ok["steady_major"] += within(m["major_faults"], k["major_faults"])
        kk, mk = knee(kr, ks, multi), knee(mr, ms, multi)
        print()
        print("Knee (slowdown >= 2): kernel %s, model %s. Within 25%% at the %d limits where the kernel "
              "completed with >= 50 major faults: major faults %d (within the kernel's range: %d), pages "
              "swapped in %d, minor faults %d, runtime %d, slowdown %d. OOM the same at every limit: %s. "
              "The kernel within 25%% of itself (every run's major faults) at %d of those limits; the model's "
              "major faults within 25%% at %d of them.\n" % (
                  kk, mk, checked, ok["major"], ok["range"], ok["pswpin"], ok["minor"], ok["runtime"], ok["slowdown"],
                  "yes" if oom_same else "no", ok["steady"], ok["steady_major"]))
        total["checked"] += checked
        for key in ("major", "pswpin", "minor", "runtime", "steady", "steady_major"):
            total[key] += ok[key]
        tap.append(("%s: the same knee (kernel %s, model %s)" % (w, kk, mk), kk == mk))
        tap.append(("%s: OOM-killed or not as the kernel at every limit" % w, oom_same))
        for key in ("major", "pswpin", "minor", "runtime", "slowdown"):
            tap.append(("%s: %s within 25%% of the kernel's at %d of %d limits" % (w, key, ok[key], checked),
                        ok[key] == checked))
    if len(wls) > 1:
        print("All workloads: within 25%% at %d of %d counted limits (major faults), %d (pages swapped in), %d "
              "(minor faults), %d (runtime). At the %d counted limits where the kernel was within 25%% of itself, "
              "the model's major faults were within 25%% at %d.\n" % (
                  total["major"], total["checked"], total["pswpin"], total["minor"], total["runtime"],
                  total["steady"], total["steady_major"]))
    for desc, good in tap:
        print("%s - %s" % ("ok" if good else "not ok", desc), file=sys.stderr)


if __name__ == "__main__":
    main()
