#!/usr/bin/env bash
# thrash_trace.sh LIMIT_KIB CMD...: what the kernel's reclaim does when CMD runs in a fresh
# memory cgroup limited to LIMIT_KIB, from its own tracepoints and counters (root; a swap
# area must be on). The evidence behind docs/validation-thrash.md's "What the kernel does".
#
# Traced: vmscan:mm_vmscan_memcg_reclaim_begin/end (one try_to_free_mem_cgroup_pages),
# mm_vmscan_lru_shrink_inactive (a batch: priority, scanned, reclaimed, activated, kept),
# mm_vmscan_lru_shrink_active, mm_vmscan_write_folio (a page written by reclaim) and
# block:block_rq_issue / block_rq_complete (when the writes reach the device). Printed: the
# /proc/vmstat deltas of the run, the program's times and faults (thrash_run), and a summary
# of the reclaim invocations (tests/validate/thrash_trace.py); the raw trace is kept in
# $OUT (default build/thrash-trace) as trace.txt with vmstat.delta and memory.stat.
# Options (env): EXTRA_EVENTS="exceptions/page_fault_user ..." traces those events too.
# POLL=1 reads the group's memory.stat every 5 ms during the run (each read
# flushes the group's statistics: the kernel then balances its lists on fresh sizes).
# COPIES=N runs N copies of CMD in the group (thrash_run's N). FLUSHES=1 traces reclaim's
# TLB flushes too (tlb:tlb_flush, csd:csd_queue_cpu, sched:sched_switch, trace clock
# global) and prints whom they reached (tests/validate/thrash_flushes.py) and the
# /proc/interrupts CAL (function-call IPI) deltas.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" = 0 ] || { echo "thrash_trace: needs root (tracefs, memory cgroup)" >&2; exit 1; }
[ $# -ge 2 ] || { echo "usage: thrash_trace.sh LIMIT_KIB CMD..." >&2; exit 2; }
LIMIT=$1; shift
OUT=${OUT:-$ROOT/build/thrash-trace}
mkdir -p "$OUT"
RUN=$ROOT/build/progs/thrash_run
[ -x "$RUN" ] || { echo "thrash_trace: $RUN missing (make build)" >&2; exit 1; }
[ "$(awk 'NR > 1' /proc/swaps | wc -l)" -gt 0 ] || { echo "thrash_trace: no swap area is on" >&2; exit 1; }
T=/sys/kernel/tracing
[ -d "$T/events" ] || mount -t tracefs nodev "$T" 2>/dev/null
[ -d "$T/events/vmscan" ] || { echo "thrash_trace: no vmscan tracepoints under $T" >&2; exit 1; }

if [ -f /sys/fs/cgroup/cgroup.controllers ] && grep -qw memory /sys/fs/cgroup/cgroup.controllers; then
    CG=/sys/fs/cgroup$(awk -F: '$1=="0"{print $3}' /proc/self/cgroup)
    CG=${CG%/}/mmsim-trace-$$; mkdir "$CG" || exit 1
    echo $((LIMIT << 10)) >"$CG/memory.max"
else
    CG=/sys/fs/cgroup/memory$(awk -F: '$2=="memory"{print $3}' /proc/self/cgroup)
    CG=${CG%/}/mmsim-trace-$$; mkdir "$CG" || exit 1
    echo $((LIMIT << 10)) >"$CG/memory.limit_in_bytes"
fi
EVENTS="vmscan/mm_vmscan_memcg_reclaim_begin vmscan/mm_vmscan_memcg_reclaim_end vmscan/mm_vmscan_lru_shrink_inactive
        vmscan/mm_vmscan_lru_shrink_active vmscan/mm_vmscan_write_folio block/block_rq_issue block/block_rq_complete
        memcg/memcg_flush_stats ${EXTRA_EVENTS:-}"
[ "${FLUSHES:-0}" = 1 ] && EVENTS="$EVENTS tlb/tlb_flush csd/csd_queue_cpu sched/sched_switch"
cleanup() {
    echo 0 >"$T/tracing_on"
    echo local >"$T/trace_clock"
    for e in $EVENTS; do echo 0 >"$T/events/$e/enable"; done
    for _ in 1 2 3 4 5; do rmdir "$CG" 2>/dev/null && break; sleep 0.2; done
}
trap cleanup EXIT
echo 0 >"$T/tracing_on"; : >"$T/trace"; echo 65536 >"$T/buffer_size_kb"
for e in $EVENTS; do echo 1 >"$T/events/$e/enable"; done
[ "${FLUSHES:-0}" = 1 ] && echo global >"$T/trace_clock" # events of two CPUs in one order

cp /proc/vmstat "$OUT/vmstat.0"
grep -E '^ *CAL:' /proc/interrupts >"$OUT/cal.0"
if [ "${POLL:-0}" = 1 ]; then
    (while [ -f "$CG/memory.stat" ]; do cat "$CG/memory.stat" >/dev/null 2>&1; sleep 0.005; done) &
fi
echo 1 >"$T/tracing_on"
"$RUN" -g "$CG/cgroup.procs" "${COPIES:-1}" "$@" >"$OUT/time.txt" || { echo "thrash_trace: thrash_run failed" >&2; exit 1; }
echo 0 >"$T/tracing_on"
cp /proc/vmstat "$OUT/vmstat.1"
grep -E '^ *CAL:' /proc/interrupts >"$OUT/cal.1"
cp "$CG/memory.stat" "$OUT/memory.stat"
cp "$T/trace" "$OUT/trace.txt"
awk 'NR == FNR { a[$1] = $2; next } $2 - a[$1] != 0 { print $1, $2 - a[$1] }' "$OUT/vmstat.0" "$OUT/vmstat.1" >"$OUT/vmstat.delta"

read -r wall user sys minor major status runq <"$OUT/time.txt"
echo "run: wall ${wall}s (run queue ${runq}s), user ${user}s, system ${sys}s, minor faults $minor, major faults $major, exit status $status"
echo "/proc/vmstat deltas:"
grep -E '^(pgscan|pgsteal|pswp|pgrotated|pgactivate|pgdeactivate|pgrefill|workingset_(refault|activate|restore)|swap_ra)' \
    "$OUT/vmstat.delta" | sed 's/^/  /'
python3 "$ROOT/tests/validate/thrash_trace.py" "$OUT/trace.txt"
if [ "${FLUSHES:-0}" = 1 ]; then
    echo "function-call IPIs (/proc/interrupts CAL) by CPU: $(paste -d' ' "$OUT/cal.0" "$OUT/cal.1" |
        awk '{ n = NF / 2 - 4; for (i = 2; i <= n + 1; i++) printf "%d ", $(i + n + 4) - $i }')"
    python3 "$ROOT/tests/validate/thrash_flushes.py" "$OUT/trace.txt" "$(basename "$1" | cut -c1-15)"
fi
