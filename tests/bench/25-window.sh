#!/usr/bin/env bash
# Windows of long programs (mmsim record --skip/--length/--every): fast-forward speed against
# `valgrind --tool=none` on a program of about 10^9 instructions (target: within 1.5x), and
# the size of a windowed trace against the instructions it records (target: proportional).
# Medians of BENCH_RUNS rounds (default 5) in which native, none, fast-forward and a full
# record run in turn. Prints a Markdown section on stdout; progress goes to stderr.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
MMSIM=$ROOT/bin/mmsim
PROGS=$ROOT/build/progs
RUNS=${BENCH_RUNS:-5}
W=$(mktemp -d /tmp/mmsim-bench-window.XXXX""XX)
trap 'rm -rf "$W"' EXIT
export VALGRIND_LIB=$ROOT/build/vg

source "$(dirname "$0")/lib.sh"
seconds() {
    local t0 t1
    t0=$(date +%s%N)
    "$@" >/dev/null 2>&1
    t1=$(date +%s%N)
    echo "($t1 - $t0) / 1000000000" | bc -l
}
# interleaved NAME=CMD ...: RUNS rounds of the commands in turn; t_NAME = median wall time
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
irefs() {
    valgrind -q --tool=cachegrind --cache-sim=no --cachegrind-out-file="$W/ir.%p" "$@" >/dev/null 2>&1
    cat "$W"/ir.* | awk '/^summary:/ { s += $2 } END { print s + 0 }'
    rm -f "$W"/ir.*
}

REC="$MMSIM record --no-native-run --no-counters"
BIG="$PROGS/win_loop 100000000 1"
echo "window bench: fast-forward" >&2
ins=$(irefs $BIG)
# shellcheck disable=SC2086
interleaved "nat=$BIG" "none=valgrind --tool=none $BIG" \
    "ff=$REC -o $W/ff.mmt --skip 1T --length 1K -- $BIG" \
    "win=$REC -o $W/win.mmt --skip 100M --length 1M --every 99M -- $BIG" \
    "rec=$REC -o $W/rec.mmt -- $BIG"
size() { python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["bytes"])' "$1"; }
"$MMSIM" info --json "$W/win.mmt" >"$W/win.json"
nwin=$(python3 -c 'import json,sys; print(len(json.load(open(sys.argv[1]))["windows"]))' "$W/win.json")

echo "## Windows of long programs: fast-forward speed and trace size"
echo
echo "\`mmsim record --skip N --length M --every K\` counts instructions with plain IR in every"
echo "superblock and skips the recording calls under a flag while it fast-forwards (docs/capture.md)."
echo "Wall time as a multiple of the native run's, medians of $RUNS rounds in which native,"
echo "\`valgrind --tool=none\`, a pure fast-forward (\`--skip 1T\`: no window starts), a windowed"
echo "record (1 M instructions every 100 M) and a full record run in turn. **ff/none** is the"
echo "fast-forward's time over none's (target <= 1.5). Instructions: cachegrind's I refs."
echo
echo "| program | instructions | native s | none | **fast-forward** | **ff/none** | windowed ($nwin x 1 M) | full record | full trace MB | windowed trace KB |"
echo "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"
full_b=$("$MMSIM" info --json "$W/rec.mmt" | python3 -c 'import json,sys; print(json.load(sys.stdin)["bytes"])')
win_b=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["bytes"])' "$W/win.json")
awk -v ins="$ins" -v n="$t_nat" -v no="$t_none" -v ff="$t_ff" -v win="$t_win" -v rec="$t_rec" \
    -v fb="$full_b" -v wb="$win_b" 'BEGIN {
    printf "| win_loop 10^8 | %.0f M | %.3f | %.1fx | **%.1fx** | **%.2f** | %.1fx | %.1fx | %.2f | %.1f |\n",
        ins / 1e6, n, no / n, ff / n, ff / no, win / n, rec / n, fb / 1e6, wb / 1e3
    printf "\nFast-forward: %.2fx none'"'"'s time (target <= 1.5: %s).\n", ff / no, ff / no <= 1.5 ? "met" : "not met" }'

# Size against recorded instructions: the same program, windows of 1, 2, 4 and 8 M
# instructions every 20 M; raw = the chunks' payload bytes before zstd.
echo "window bench: size" >&2
MID="$PROGS/win_loop 20000000 1"
echo
echo "Size against recorded instructions (win_loop 2*10^7, about 200 M instructions; windows of"
echo "M instructions every 20 M; raw = chunk payload bytes before zstd, trace = the file):"
echo
echo "| window M | windows | recorded instructions | raw bytes | raw B / 1000 instr | trace bytes | trace B / 1000 instr |"
echo "|---:|---:|---:|---:|---:|---:|---:|"
for m in 1M 2M 4M 8M; do
    # shellcheck disable=SC2086
    $REC -o "$W/s.mmt" --skip 10M --length $m --every 20M -- $MID >/dev/null 2>&1
    "$MMSIM" info --json "$W/s.mmt" | python3 -c '
import json, sys
d = json.load(sys.stdin)
ins = sum(w["instructions"] or 0 for w in d["windows"])
raw = sum(c["raw_bytes"] for c in d["chunks"])
print("| %s | %d | %d | %d | %.2f | %d | %.3f |" % (sys.argv[1], len(d["windows"]), ins, raw,
      raw * 1000.0 / ins, d["bytes"], d["bytes"] * 1000.0 / ins))' "$m"
done
