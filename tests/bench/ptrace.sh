#!/usr/bin/env bash
# The ptrace backend's speed: single-step rate and slowdown against the same program run
# natively, and the events-only mode against native on a page-fault-heavy run and on a
# dynamically linked command (many mmap/mprotect stops). Medians of 5, measured in this run.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
MMSIM=$ROOT/bin/mmsim
TMP=$(mktemp -d /tmp/mmsim-bench.XXXXXX)
trap 'rm -rf "$TMP"' EXIT
RUNS=5

gcc -std=gnu11 -O1 -static "$ROOT/tests/progs/ptrace_string.c" -o "$TMP/ps" 2>/dev/null ||
    cp "$ROOT/build/progs/ptrace_string" "$TMP/ps"
TOUCH=$ROOT/build/progs/ptrace_touch

source "$(dirname "$0")/lib.sh"
# wall CMD...: seconds for one run, output discarded
wall() {
    local t0 t1
    t0=$(date +%s.%N); "$@" >/dev/null 2>&1; t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc -l
}
# med CMD...: median wall time of RUNS runs
med() { for _ in $(seq $RUNS); do wall "$@"; done | median; }
meta() { "$MMSIM" info --json "$1" | python3 -c 'import json,sys; print(json.load(sys.stdin)["meta"].get(sys.argv[1], ""))' "$2"; }

# single-step: ptrace_string with 5000 push/pop pairs (~71,000 steps)
nat=$(med "$TMP/ps" 1000 5000 50)
pt=$(med "$MMSIM" record --backend ptrace --no-native-run --no-counters -o "$TMP/s.mmt" -- "$TMP/ps" 1000 5000 50)
steps=$(meta "$TMP/s.mmt" ptrace.steps)
rate=$(for _ in $(seq $RUNS); do "$MMSIM" record --backend ptrace --no-native-run --no-counters -o "$TMP/r.mmt" -- "$TMP/ps" 1000 5000 50 >/dev/null 2>&1; meta "$TMP/r.mmt" ptrace.steps_per_s; done | median)

# events-only: 25,000 page faults; and `ls -l /usr/bin` (dynamic: mmap/mprotect stops)
tn=$(med "$TOUCH" 25000)
te=$(med "$MMSIM" record --events-only --no-native-run --no-counters -o "$TMP/e.mmt" -- "$TOUCH" 25000)
faults=$(meta "$TMP/e.mmt" ptrace.page_faults)
ln=$(med ls -l /usr/bin)
le=$(med "$MMSIM" record --events-only --no-native-run --no-counters -o "$TMP/l.mmt" -- ls -l /usr/bin)
lstops=$(meta "$TMP/l.mmt" ptrace.stops)

cat <<MD
## ptrace backend (capture/ptrace.c)

Single-stepping, one trap per instruction (one per iteration under rep), and the events-only
mode (seccomp stops at memory-management calls, perf page-fault samples). Wall times, medians
of $RUNS runs.

| run | native | recorded | ratio | notes |
|---|---|---|---|---|
| single-step, ptrace_string (static) | $(printf '%.4f s' "$nat") | $(printf '%.2f s' "$pt") | $(echo "$pt / $nat" | bc -l | xargs printf '%.0fx') | $steps steps, $rate steps/s |
| events-only, ptrace_touch 25000 pages | $(printf '%.4f s' "$tn") | $(printf '%.4f s' "$te") | $(echo "$te / $tn" | bc -l | xargs printf '%.2fx') | $faults page faults recorded |
| events-only, ls -l /usr/bin | $(printf '%.4f s' "$ln") | $(printf '%.4f s' "$le") | $(echo "$le / $ln" | bc -l | xargs printf '%.2fx') | $lstops ptrace stops |

The native time of a static program this small is mostly exec; the steps/s column is the
figure to scale from (a program of N instructions takes about N / steps-per-second).
Recorded times include writing the compressed trace.
MD
