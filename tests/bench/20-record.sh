#!/usr/bin/env bash
# `mmsim record` (DBI backend) against the Valgrind baselines, per instruction, on the same
# programs: native, `valgrind --tool=none`, `--tool=cachegrind` (cache simulation on, its
# default), `mmsim record` (compressed trace to disk) and lackey --trace-mem=yes (text to
# /dev/null; ~26,000x, so on a smaller input of the same program and scaled per instruction).
# Instruction counts come from cachegrind's I refs. Medians of BENCH_RUNS runs (default 5).
# Targets (issue 3): recording no slower than cachegrind; goal under 15x native.
# Prints a Markdown section on stdout; progress goes to stderr.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
MMSIM=$ROOT/bin/mmsim
PROGS=$ROOT/build/progs
RUNS=${BENCH_RUNS:-5}
W=$(mktemp -d /tmp/mmsim-bench-record.XXXX""XX)
trap 'rm -rf "$W"' EXIT
export VALGRIND_LIB=$ROOT/build/vg # the same environment for every Valgrind run

source "$(dirname "$0")/lib.sh"

# seconds CMD...: wall time of one run, output discarded
seconds() {
    local t0 t1
    t0=$(date +%s%N)
    "$@" >/dev/null 2>&1
    t1=$(date +%s%N)
    echo "($t1 - $t0) / 1000000000" | bc -l
}

# timed CMD...: median wall time of RUNS runs
timed() {
    for _ in $(seq "$RUNS"); do seconds "$@"; done | median
}

# interleaved NAME=CMD ...: runs the commands in turn, RUNS rounds, so the shared machine's
# drift falls on all of them alike; sets t_NAME to each one's median wall time.
interleaved() {
    local spec name r
    for r in $(seq "$RUNS"); do
        for spec in "$@"; do
            name=${spec%%=*}
            # shellcheck disable=SC2086
            seconds ${spec#*=} >>"$W/times.$name"
        done
    done
    for spec in "$@"; do
        name=${spec%%=*}
        printf -v "t_$name" '%s' "$(median <"$W/times.$name")"
        rm -f "$W/times.$name"
    done
}

# irefs CMD...: instructions executed (cachegrind's I refs, summed over processes)
irefs() {
    valgrind -q --tool=cachegrind --cache-sim=no --cachegrind-out-file="$W/ir.%p" "$@" >/dev/null 2>&1
    cat "$W"/ir.* | awk '/^summary:/ { s += $2 } END { print s + 0 }'
    rm -f "$W"/ir.*
}

head -c 1048576 "$ROOT/build/libmmsim.a" >"$W/in-1M"
head -c 16384 "$ROOT/build/libmmsim.a" >"$W/in-16K"

# name|program and arguments|smaller input for lackey
WORKLOADS=("array-loop|$PROGS/rec_array 10000000|$PROGS/rec_array 100000"
    "demo-64MiB|$PROGS/demo 64|$PROGS/demo 1"
    "gzip-1MiB|gzip -6 -c $W/in-1M|gzip -6 -c $W/in-16K")

echo "## Recording speed: mmsim record (DBI) against Valgrind's tools"
echo
echo "Wall time per instruction as a multiple of the native run's, medians of $RUNS rounds in"
echo "which native, none, cachegrind and record run in turn, all in this run on $(nproc) shared"
echo "cores. \`record\` writes a zstd-compressed trace to disk (level 1): the Valgrind tool"
echo "encodes the records (format 1.2) on one core, mmsim record compresses them on the other."
echo "**record/cg** is record's time over cachegrind's (target <= 1). Lackey runs on the smaller"
echo "input and is scaled by the instruction counts (cachegrind's I refs)."
echo
echo "| program | instructions | native s | none | cachegrind | **record** | **record/cg** | lackey --trace-mem | trace MB | bytes/access | record M acc/s |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
worst_vs_cg=0; worst_x=0
for wl in "${WORKLOADS[@]}"; do
    IFS='|' read -r name cmd small <<<"$wl"
    echo "record bench: $name" >&2
    # shellcheck disable=SC2086
    {
        ins=$(irefs $cmd); ins_small=$(irefs $small)
        interleaved "nat=$cmd" "none=valgrind --tool=none $cmd" \
            "cg=valgrind --tool=cachegrind --cachegrind-out-file=/dev/null $cmd" \
            "rec=$MMSIM record --no-native-run --no-counters -o $W/t.mmt -- $cmd"
        t_lk=$(RUNS=1 timed valgrind --tool=lackey --trace-mem=yes --log-file=/dev/null $small)
    }
    "$MMSIM" info --json "$W/t.mmt" >"$W/t.json"
    read -r acc bytes < <(python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(j["accesses"], j["bytes"])' "$W/t.json")
    row=$(awk -v ins="$ins" -v ins_s="$ins_small" -v n="$t_nat" -v no="$t_none" -v cg="$t_cg" \
        -v rec="$t_rec" -v lk="$t_lk" -v acc="$acc" -v bytes="$bytes" -v name="$name" 'BEGIN {
        lkx = (lk / ins_s) / (n / ins)
        printf "| %s | %.0f M | %.3f | %.1fx | %.1fx | **%.1fx** | **%.2f** | %.0fx | %.1f | %.3f | %.0f |\n",
            name, ins / 1e6, n, no / n, cg / n, rec / n, rec / cg, lkx, bytes / 1e6, bytes / acc, acc / rec / 1e6 }')
    echo "$row"
    read -r worst_vs_cg worst_x < <(awk -v a="$worst_vs_cg" -v b="$worst_x" -v cg="$t_cg" -v rec="$t_rec" -v n="$t_nat" \
        'BEGIN { r = rec / cg; x = rec / n; print (r > a ? r : a), (x > b ? x : b) }')
done
echo
awk -v r="$worst_vs_cg" -v x="$worst_x" 'BEGIN {
    printf "Worst case: record takes %.2fx cachegrind'"'"'s time (target <= 1: %s) and %.0fx native (goal < 15: %s).\n",
        r, r <= 1 ? "met" : "not met", x, x < 15 ? "met" : "not met" }'
