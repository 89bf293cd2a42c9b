#!/usr/bin/env bash
# A/B replay speed: this tree's mmsim against another revision's, on the same traces, in the
# same run, the two binaries interleaved round by round (the machine is shared: a busy
# minute costs both alike). Rows: the replay bench's traces (tests/bench/30-replay.sh:
# demo 8 and 32 MiB, configs/default.ini and configs/minimal.ini, and `info --scan`) and the
# pressure bench's (tests/bench/50-pressure.sh: thrash_sweep 32 MiB x 4 unlimited, in 64 MiB,
# in 24 MiB with NVMe swap, three copies in 48 MiB) and the same sweep in a memory cgroup of
# 24 MiB (the path make validate-thrash uses), plus host bytes per resident page
# (peak RSS difference of two synthetic loops, as 30-replay.sh measures it).
# CPU seconds (user + system), medians of RUNS rounds; the ratio is this tree / the base.
#   usage: tests/bench/ab.sh BASE-REV      (make bench-ab BASE=REV)
# Prints a Markdown section on stdout; progress on stderr.
set -u
BASE=${1:?usage: tests/bench/ab.sh BASE-REV}
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
RUNS=${BENCH_RUNS:-5}
W=$(mktemp -d)
BT=$W/base
cleanup() { git -C "$ROOT" worktree remove --force "$BT" >/dev/null 2>&1; rm -rf "$W"; }
trap cleanup EXIT

rev=$(git -C "$ROOT" rev-parse --short "$BASE") || { echo "ab: no revision $BASE" >&2; exit 1; }
echo "ab: building $rev in $BT" >&2
git -C "$ROOT" worktree add -q --detach "$BT" "$rev" || exit 1
make -C "$BT" -j2 build >"$W/base-build.log" 2>&1 || { echo "ab: building $rev failed (see $W/base-build.log)" >&2; exit 1; }
A=$ROOT/bin/mmsim B=$BT/bin/mmsim PROGS=$ROOT/build/progs SYNTH=$ROOT/build/tools/mmt_synth

source "$(dirname "$0")/lib.sh"

echo "ab: recording traces" >&2
"$A" record --no-native-run --no-counters -o "$W/demo8.mmt" -- "$PROGS/demo" 8 >/dev/null 2>&1 &&
"$A" record --no-native-run --no-counters -o "$W/demo32.mmt" -- "$PROGS/demo" 32 >/dev/null 2>&1 &&
"$A" record --no-native-run --no-counters -o "$W/sweep.mmt" -- "$PROGS/thrash_sweep" 32 4 >/dev/null 2>&1 ||
    { echo "ab: recording failed" >&2; exit 1; }
printf 'include = %s/configs/default.ini\ninclude = %s/configs/swap/nvme.ini\n' "$ROOT" "$ROOT" >"$W/m.ini"

# The rows: label | arguments after the binary
rows=(
    "demo-8MiB: info --scan|info --scan $W/demo8.mmt"
    "demo-8MiB: replay default|replay --no-progress -c $ROOT/configs/default.ini $W/demo8.mmt"
    "demo-8MiB: replay minimal|replay --no-progress -c $ROOT/configs/minimal.ini $W/demo8.mmt"
    "demo-32MiB: info --scan|info --scan $W/demo32.mmt"
    "demo-32MiB: replay default|replay --no-progress -c $ROOT/configs/default.ini $W/demo32.mmt"
    "demo-32MiB: replay minimal|replay --no-progress -c $ROOT/configs/minimal.ini $W/demo32.mmt"
    "pressure: unlimited|replay --no-progress -c $W/m.ini -s memory.unlimited=1 $W/sweep.mmt"
    "pressure: 64 MiB, no pressure|replay --no-progress -c $W/m.ini -s memory.size=64M $W/sweep.mmt"
    "pressure: 24 MiB, NVMe swap|replay --no-progress -c $W/m.ini -s memory.size=24M -s swap.size=256M $W/sweep.mmt"
    "pressure: 3 copies in 48 MiB|replay --no-progress -c $W/m.ini -s memory.size=48M -s swap.size=256M $W/sweep.mmt $W/sweep.mmt $W/sweep.mmt"
    "pressure: memory cgroup of 24 MiB, NVMe swap|replay --no-progress -c $W/m.ini -s memory.size=1G -s memcg.limit=24M -s swap.size=256M $W/sweep.mmt"
)
declare -A ta tb
for r in $(seq "$RUNS"); do
    echo "ab: round $r of $RUNS" >&2
    for i in "${!rows[@]}"; do
        # shellcheck disable=SC2086
        ta[$i]+="$(cpu_s "$A" ${rows[$i]#*|}) "
        # shellcheck disable=SC2086
        tb[$i]+="$(cpu_s "$B" ${rows[$i]#*|}) "
    done
done

cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
echo "## A/B: this tree ($(git -C "$ROOT" rev-parse --short HEAD)) against $rev"
echo
echo "Machine: $cpu, $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg) at the end."
echo "CPU seconds (user + system), medians of $RUNS rounds, the two binaries interleaved."
echo
echo "| row | $rev s | this tree s | ratio |"
echo "|---|---:|---:|---:|"
for i in "${!rows[@]}"; do
    a=$(echo "${ta[$i]}" | tr ' ' '\n' | grep . | median)
    b=$(echo "${tb[$i]}" | tr ' ' '\n' | grep . | median)
    awk -v l="${rows[$i]%%|*}" -v a="$a" -v b="$b" 'BEGIN { printf "| %s | %.3f | %.3f | %.2f |\n", l, b, a, (b > 0 ? a / b : 0) }'
done

# Host bytes per resident page, as 30-replay.sh: two synthetic loops of 20 K and 200 K pages
"$SYNTH" -o "$W/small.mmt" --pattern loop --pages 20000 --accesses 1000000 --init-writes >/dev/null 2>&1 &&
"$SYNTH" -o "$W/big.mmt" --pattern loop --pages 200000 --accesses 1000000 --init-writes >/dev/null 2>&1 || exit 0
bpp() { # binary -> bytes per resident page
    local s b ps pb
    s=$(for _ in 1 2 3; do maxrss_kb "$1" replay --no-progress -c "$ROOT/configs/default.ini" "$W/small.mmt"; done | median)
    b=$(for _ in 1 2 3; do maxrss_kb "$1" replay --no-progress -c "$ROOT/configs/default.ini" "$W/big.mmt"; done | median)
    ps=$("$1" replay --no-progress --json -c "$ROOT/configs/default.ini" "$W/small.mmt" | python3 -c 'import json,sys; print(json.load(sys.stdin)["host"]["resident_pages"])')
    pb=$("$1" replay --no-progress --json -c "$ROOT/configs/default.ini" "$W/big.mmt" | python3 -c 'import json,sys; print(json.load(sys.stdin)["host"]["resident_pages"])')
    awk -v s="$s" -v b="$b" -v ps="$ps" -v pb="$pb" 'BEGIN { printf "%.1f", (b - s) * 1024 / (pb - ps) }'
}
echo
echo "Host bytes per simulated resident page (peak RSS difference, 200 K against 20 K pages):"
echo "$rev $(bpp "$B"), this tree $(bpp "$A")."
