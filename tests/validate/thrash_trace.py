#!/usr/bin/env python3
"""Summary of a memory cgroup's reclaim from a tracefs trace (tests/validate/thrash_trace.sh).

usage: thrash_trace.py TRACE

One line per reclaim invocation (mm_vmscan_memcg_reclaim_begin .. _end) is too many; the
summary gives: invocations, pages scanned / reclaimed / written by reclaim, how many
invocations went down to priority 0, the pages written per invocation (the first 40 that
wrote any), the first priority at which each invocation freed a page, how many batches
kept or activated pages, whether shrink_active_list ran at all, and for the invocations
that wrote pages how long after the invocation began its first write reached the device
(block_rq_issue of a write) against how long the invocation took."""
import collections
import re
import sys

EV = re.compile(r" (\d+\.\d+): (\w+): (.*)")
FIELD = re.compile(r"(\w+)=(\S+)")


def invocations(path):
    out, cur = [], None
    active_batches = 0
    for line in open(path, errors="replace"):
        m = EV.search(line)
        if not m:
            continue
        t, ev, rest = float(m.group(1)), m.group(2), m.group(3)
        if ev == "mm_vmscan_lru_shrink_active":
            active_batches += 1
        if ev == "mm_vmscan_memcg_reclaim_begin":
            cur = {"t": t, "end": None, "scanned": 0, "reclaimed": 0, "written": 0, "min_prio": 12,
                   "kept": 0, "activated": 0, "first_free_prio": None, "first_write_issue": None}
            out.append(cur)
        elif cur is None:
            continue
        elif ev == "mm_vmscan_lru_shrink_inactive":
            f = dict(FIELD.findall(rest))
            prio = int(f["priority"])
            cur["scanned"] += int(f["nr_scanned"])
            cur["kept"] += int(f["nr_ref_keep"])
            cur["activated"] += int(f["nr_activate_anon"]) + int(f["nr_activate_file"])
            cur["min_prio"] = min(cur["min_prio"], prio)
            if int(f["nr_reclaimed"]) and cur["first_free_prio"] is None:
                cur["first_free_prio"] = prio
        elif ev == "mm_vmscan_write_folio":
            cur["written"] += 1
        elif ev == "mm_vmscan_memcg_reclaim_end":
            cur["end"] = t
            cur["reclaimed"] = int(dict(FIELD.findall(rest)).get("nr_reclaimed", 0))
        elif ev == "block_rq_issue" and " W" in rest.split("(")[0] and cur["first_write_issue"] is None:
            cur["first_write_issue"] = t
    return out, active_batches


def main():
    inv, active_batches = invocations(sys.argv[1])
    if not inv:
        print("no memcg reclaim in the trace")
        return
    tot = collections.Counter()
    for c in inv:
        for k in ("scanned", "reclaimed", "written", "kept", "activated"):
            tot[k] += c[k]
    print("reclaim invocations %d: scanned %d, reclaimed %d, written %d, kept (referenced once) %d, "
          "activated %d" % (len(inv), tot["scanned"], tot["reclaimed"], tot["written"], tot["kept"], tot["activated"]))
    print("invocations down to priority 0: %d; shrink_active_list batches: %d" %
          (sum(c["min_prio"] == 0 for c in inv), active_batches))
    print("pages written per invocation that wrote any (first 40):",
          [c["written"] for c in inv if c["written"]][:40])
    print("first priority that freed a page (first 40):",
          [c["first_free_prio"] for c in inv][:40])
    big = [c for c in inv if c["written"] >= 200 and c["end"]]
    for c in big[:5]:
        issue = "%.1f ms" % ((c["first_write_issue"] - c["t"]) * 1e3) if c["first_write_issue"] else "after it"
        print("  invocation at %.6f: %.1f ms, wrote %d, freed %d; first write at the device %s" %
              (c["t"], (c["end"] - c["t"]) * 1e3, c["written"], c["reclaimed"], issue))


if __name__ == "__main__":
    main()
