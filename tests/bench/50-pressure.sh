#!/usr/bin/env bash
# Memory pressure: what reclaim, swap and the OOM machinery cost the replay. One recorded
# trace (thrash_sweep: a 32 MiB working set swept 4 times) replayed with unlimited memory
# (the baseline: no buddy allocator, no LRU), with 64 MiB (LRU bookkeeping, no pressure),
# with 24 MiB and NVMe swap under each replacement policy (thrashing), and three copies in
# 48 MiB. CPU time of the replay, medians of 5; ratios against the baseline of this run.
# Prints a Markdown section on stdout; progress goes to stderr.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
MMSIM=$ROOT/bin/mmsim
PROGS=$ROOT/build/progs
RUNS=${BENCH_RUNS:-5}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT

source "$(dirname "$0")/lib.sh"

echo "pressure: recording thrash_sweep 32 4" >&2
"$MMSIM" record --no-counters --no-native-run -o "$W/t.mmt" -- "$PROGS/thrash_sweep" 32 4 >/dev/null 2>&1 ||
    { echo "bench pressure: recording failed" >&2; exit 1; }
cat >"$W/m.ini" <<INI
include = $ROOT/configs/default.ini
include = $ROOT/configs/swap/nvme.ini
INI
accesses=$("$MMSIM" info --json "$W/t.mmt" | python3 -c 'import json,sys; j=json.load(sys.stdin); print(j.get("accesses") or j.get("records"))' 2>/dev/null)

# cpu_time ARGS...: median CPU seconds (user + system, getrusage of the child) of a replay
cpu_time() {
    for _ in $(seq "$RUNS"); do
        python3 - "$W/out.json" "$MMSIM" replay --no-progress --json -c "$W/m.ini" "$@" <<'PY'
import resource, subprocess, sys
with open(sys.argv[1], "w") as out:
    subprocess.run(sys.argv[2:], stdout=out, stderr=subprocess.DEVNULL, check=False)
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%.4f" % (r.ru_utime + r.ru_stime))
PY
    done | median
}
majors() { python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(sum(p["faults"]["major"] for p in j["processes"]))' "$W/out.json"; }

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
echo "## Memory pressure: cost of reclaim and swap in a replay"
echo
echo "Machine: $cpu; the trace: \`thrash_sweep 32 4\` recorded with the DBI backend ($accesses"
echo "accesses a copy). CPU time of \`mmsim replay\`, median of $RUNS runs; ratio = time / the"
echo "unlimited-memory baseline of this run."
echo
echo "| configuration | major faults | CPU s | ratio |"
echo "|---|---:|---:|---:|"
echo "pressure: baseline" >&2
base=$(cpu_time -s memory.unlimited=1 "$W/t.mmt")
echo "| memory.unlimited=1 (baseline) | $(majors) | $base | 1.00 |"
row() { # label, args...
    local label=$1; shift
    echo "pressure: $label" >&2
    local t; t=$(cpu_time "$@")
    printf '| %s | %s | %s | %.2f |\n' "$label" "$(majors)" "$t" "$(awk -v t="$t" -v b="$base" 'BEGIN { print (b > 0 ? t / b : 0) }')"
}
row "64 MiB, no pressure" -s memory.size=64M "$W/t.mmt"
for pol in kernel lru fifo clock opt; do
    row "24 MiB + 256 MiB NVMe swap, policy $pol" -s memory.size=24M -s swap.size=256M -s vmscan.policy=$pol "$W/t.mmt"
done
row "3 copies in 48 MiB + swap" -s memory.size=48M -s swap.size=512M "$W/t.mmt" "$W/t.mmt" "$W/t.mmt"
echo
