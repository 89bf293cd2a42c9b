#!/usr/bin/env bash
# The OS model's own costs: the buddy allocator (order-0 and order-9 free+alloc pairs with
# 64 Ki pages live in a 16 GiB zone, against a plain stack of free frames) and the fault
# path (first-touch write faults of 1 GiB of anonymous memory through mm_handle_fault,
# against inserting the same pages into the page table alone). CPU time, medians of 5.
# Prints a Markdown section on stdout.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
RUNS=${BENCH_RUNS:-5}
W=$(mktemp -d)
trap 'rm -rf "$W"' EXIT
cc -std=c11 -O2 -D_GNU_SOURCE -I"$ROOT" "$ROOT/tests/bench/os_model.c" "$ROOT/build/libmmsim.a" \
    -lzstd -llzma -linih -lpfm -lZydis -lm -pthread -o "$W/os_model" || { echo "35-os-model: build failed" >&2; exit 1; }
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
echo "## OS model: buddy allocator and fault path"
echo
echo "Machine: $cpu; CPU time, medians of $RUNS runs, baseline measured in the same run."
echo
echo "| benchmark | operations | model CPU s | baseline CPU s | ns/op (model) | ratio to baseline |"
echo "|---|---:|---:|---:|---:|---:|"
"$W/os_model" "$RUNS" | while IFS='|' read -r name ops t b ratio; do
    ns=$(awk -v t="$t" -v n="$ops" 'BEGIN { printf "%.0f", t * 1e9 / n }')
    echo "| $name | $ops | $t | $b | $ns | ${ratio}x |"
done
echo
echo "Baselines: a stack of free frame numbers for the buddy rows (same random pattern);"
echo "pgtable_map of the same pages with frames from a counter for the fault rows. The"
echo "thp=always row takes one 2 MiB fault per 512 pages."
