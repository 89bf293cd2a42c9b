#!/usr/bin/env python3
"""The kernel's CPU cost of a major fault and of reclaiming a page, fitted on the calibration
workloads of make validate-thrash (tests/validate/thrash.sh).

usage: thrash_fit.py DIR FREQ_GHZ WORKLOAD...   (reads DIR/W.kernel.csv and DIR/W.model.csv)

The model replays the calibration workloads first with the measured swap device and its
default CPU costs (a few microseconds), so its extra time under pressure, (runtime - runtime at
ample memory) / major faults, is the I/O wait a major fault sees on that device, queueing
behind the swap writes included. What the kernel spends beyond that is CPU (fault handling,
reclaim scanning and unmapping, the swap cache; on this VM also the user time that grows
with the faults) and is fitted, at every limit where the kernel completed with at least 50
major faults, as
    kernel extra time - major faults x the model's I/O wait a fault = a x major faults + b x pages swapped out
by least squares on relative errors, a and b not negative. Prints the replay settings
(timing.major_fault = a, timing.evict = b, timing.evict_clean = b / 5, in cycles) on the
first line, then a line for the report."""
import csv
import sys

from thrash_report import ample


CLEAN_SHARE = 5


def load(path):
    with open(path) as f:
        return list(csv.DictReader(f))


def equations(d, w):
    """(major faults, pages out, the time to explain) at each limit the fit can use"""
    kr, mr = load("%s/%s.kernel.csv" % (d, w)), load("%s/%s.model.csv" % (d, w))
    kb, mb = ample(kr), ample(mr)
    eq = []
    for k, m in zip(kr, mr):
        kmaj, mmaj = int(k["major_faults"]), int(m["major_faults"])
        if k["exit_status"] != "0" or k["oom_killed"] != "0" or kmaj < 50 or mmaj < 50:
            continue
        io = max(0.0, (float(m["runtime_s"]) - mb) / mmaj)
        extra = float(k["runtime_s"]) - kb
        eq.append((kmaj, int(k["pswpout"]), extra - kmaj * io, extra))
    return eq


def nonneg_lsq2(eq):
    """min sum ((a x + b y - t) / s)^2 over a, b >= 0"""
    rows = [(x / s, y / s, t / s) for x, y, t, s in eq if s > 0]
    sxx = sum(x * x for x, _, _ in rows)
    syy = sum(y * y for _, y, _ in rows)
    sxy = sum(x * y for x, y, _ in rows)
    sxt = sum(x * t for x, _, t in rows)
    syt = sum(y * t for _, y, t in rows)

    def cost(a, b):
        return sum((a * x + b * y - t) ** 2 for x, y, t in rows)

    cands = [(max(0.0, sxt / sxx) if sxx else 0.0, 0.0), (0.0, max(0.0, syt / syy) if syy else 0.0)]
    det = sxx * syy - sxy * sxy
    if det > 0:
        a, b = (sxt * syy - syt * sxy) / det, (syt * sxx - sxt * sxy) / det
        if a >= 0 and b >= 0:
            cands.append((a, b))
    return min(cands, key=lambda ab: cost(*ab))


def main():
    d, ghz, wls = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
    eq = [e for w in wls for e in equations(d, w)]
    if len(eq) < 2:
        print("")
        print("not fitted: fewer than 2 limits of %s with >= 50 major faults" % " ".join(wls))
        return
    a, b = nonneg_lsq2(eq)
    # a page freed without a write costs a fifth of a written one (the kernel's trace on this
    # VM, tests/validate/thrash_trace.sh: 3.3 us against 7-21 us; timing.evict_clean)
    c = b / CLEAN_SHARE
    print("-s timing.major_fault=%d -s timing.evict=%d -s timing.evict_clean=%d" % (
        a * ghz * 1e9 + 0.5, b * ghz * 1e9 + 0.5, c * ghz * 1e9 + 0.5))
    print("fitted on %s (%d limits): %.0f us of CPU a major fault, %.1f us a page swapped out "
          "(%.1f us a page freed unwritten)" % (" and ".join(wls), len(eq), a * 1e6, b * 1e6, c * 1e6))


if __name__ == "__main__":
    main()
