#!/usr/bin/env bash
# Analysis: `mmsim mrc` speed (references a CPU second, against decoding the same trace),
# SHARDS accuracy (mean absolute error of the miss ratio against the exact curve at 1% and
# 10%), and a 16-point TLB-size sweep with --onepass against one replay of the same trace.
# Targets: tens of millions of references a second; MAE < 0.01 at 1%; sweep <= 2x a replay.
# Prints a Markdown section on stdout; progress goes to stderr.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
MMSIM=$ROOT/bin/mmsim
SYNTH=$ROOT/build/tools/mmt_synth
RUNS=${BENCH_RUNS:-5}
W=$(mktemp -d /tmp/mmsim-bench-analysis.XXXXXX)
trap 'rm -rf "$W"' EXIT
# a private copy: a rebuild of bin/mmsim during the run (shared tree) cannot disturb it
cp "$ROOT/bin/mmsim" "$W/mmsim" && MMSIM_RUN=$W/mmsim || MMSIM_RUN=$MMSIM

source "$(dirname "$0")/lib.sh"
# cpu_time CMD...: user+system seconds of one run
cpu_time() { /usr/bin/time -f "%U %S" -o "$W/t" "$@" >/dev/null 2>&1 || return 1; awk '{ print $1 + $2 }' "$W/t"; }
wall_time() { local t0 t1; t0=$(date +%s.%N); "$@" >/dev/null 2>&1 || return 1; t1=$(date +%s.%N); echo "$t1 - $t0" | bc -l; }
med_of() { for _ in $(seq "$RUNS"); do "$@"; done | median; }

echo "analysis: traces" >&2
"$SYNTH" -o "$W/hotcold.mmt" --pattern hotcold --pages 200000 --accesses 10000000 --init-writes
TRACES=("hotcold-10M|$W/hotcold.mmt")
if "$MMSIM" record --no-native-run --no-counters -o "$W/demo.mmt" -- "$ROOT/build/progs/demo" 8 >/dev/null 2>&1; then
    TRACES=("demo-8MiB (record)|$W/demo.mmt" "${TRACES[@]}")
fi

echo "## Analysis: miss-ratio curves, SHARDS, one-pass sweeps"
echo
echo "Medians of $RUNS runs. \`hotcold-10M\` is synthetic (\`build/tools/mmt_synth --pattern"
echo "hotcold\`: 10 M accesses, 3/4 of them to a tenth of 200,000 data pages, uniformly at random:"
echo "a worst case for caches); \`demo-8MiB\` is \`tests/progs/demo 8\` recorded with the DBI"
echo "backend. Speeds are page references per CPU second (user + system); the baseline is"
echo "\`mmsim info --scan\` decoding the same trace."
echo
echo "### mrc: exact LRU curve in one pass"
echo
echo "| trace | page refs | distinct pages | mrc CPU s | M refs / CPU s | decode CPU s | mrc / decode |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for t in "${TRACES[@]}"; do
    name=${t%%|*}; file=${t#*|}
    echo "analysis: mrc $name" >&2
    "$MMSIM_RUN" mrc "$file" -o "$W/exact.csv" 2>"$W/mrc.err"
    refs=$(sed -n 's/.* accesses, \([0-9]*\) page references, \([0-9]*\) distinct.*/\1/p' "$W/mrc.err")
    distinct=$(sed -n 's/.* page references, \([0-9]*\) distinct.*/\1/p' "$W/mrc.err")
    mt=$(med_of cpu_time "$MMSIM_RUN" mrc "$file" -o "$W/x.csv")
    dt=$(med_of cpu_time "$MMSIM_RUN" info --scan "$file")
    awk -v n="$name" -v r="$refs" -v d="$distinct" -v m="$mt" -v s="$dt" \
        'BEGIN { printf "| %s | %d | %d | %.2f | %.1f | %.2f | %.1fx |\n", n, r, d, m, r / m / 1e6, s, m / s }'
done
echo
echo "### SHARDS sampling against the exact curve"
echo
echo "Mean absolute error of the miss ratio over 200 memory sizes spaced evenly on a log scale"
echo "from 1 page to 1.2x the distinct pages (SHARDS-adj, fixed rate, spatial hash of the page;"
echo "distances up to 64 pages are counted exactly, SHARDS estimates the longer ones)."
echo
echo "| trace | rate | sampled pages | MAE | max error | CPU s | time / exact |"
echo "|---|---:|---:|---:|---:|---:|---:|"
for t in "${TRACES[@]}"; do
    name=${t%%|*}; file=${t#*|}
    "$MMSIM_RUN" mrc "$file" -o "$W/exact.csv" 2>"$W/mrc.err"
    distinct=$(sed -n 's/.* page references, \([0-9]*\) distinct.*/\1/p' "$W/mrc.err")
    sizes=$(awk -v d="$distinct" 'BEGIN { m = 1.2 * d; for (i = 0; i < 200; i++) { s = int(exp(log(m) * i / 199) + 0.5); if (s != last) { printf "%s%d", (n++ ? "," : ""), s; last = s } } }')
    "$MMSIM_RUN" mrc "$file" --sizes "$sizes" -o "$W/exact-s.csv" 2>/dev/null
    et=$(med_of cpu_time "$MMSIM_RUN" mrc "$file" -o "$W/x.csv")
    for rate in 0.01 0.1; do
        echo "analysis: SHARDS $name $rate" >&2
        "$MMSIM_RUN" mrc "$file" --sample "$rate" --sizes "$sizes" -o "$W/s.csv" 2>/dev/null
        st=$(med_of cpu_time "$MMSIM_RUN" mrc "$file" --sample "$rate" -o "$W/x.csv")
        paste -d, "$W/exact-s.csv" "$W/s.csv" | awk -F, -v n="$name" -v r="$rate" -v d="$distinct" -v st="$st" -v et="$et" '
            NR > 1 { e = $5 - $10; if (e < 0) e = -e; s += e; k++; if (e > mx) mx = e }
            END { printf "| %s | %g%% | ~%d | %.4f | %.4f | %.2f | %.2f |\n", n, r * 100, d * r, s / k, mx, st, st / et }'
    done
done
echo
echo "### sweep: 16 TLB sizes in one pass against one replay"
echo
cat >"$W/fa.ini" <<'INI'
[tlb.l1d]
entries = 64
ways = 0
kind = dtlb
INI
"$SYNTH" -o "$W/sweep.mmt" --pattern hotcold --pages 20000 --accesses 3000000 --init-writes
ENTRIES=8,16,24,32,48,64,96,128,192,256,384,512,768,1024,1536,2048
echo "analysis: sweep" >&2
rt=$(med_of wall_time "$MMSIM_RUN" replay -c "$W/fa.ini" "$W/sweep.mmt")
sweep_once() { rm -rf "$W/sw.csv" "$W/sw.d" "$W/sw.json"; wall_time "$MMSIM_RUN" sweep -c "$W/fa.ini" --vary tlb.l1d.entries=$ENTRIES --onepass -j 2 "$W/sweep.mmt" -o "$W/sw.csv"; }
st=$(med_of sweep_once)
rm -rf "$W/sw.csv" "$W/sw.d"
"$MMSIM_RUN" sweep -c "$W/fa.ini" --vary tlb.l1d.entries=$ENTRIES --onepass -j 2 "$W/sweep.mmt" -o "$W/sw.csv" 2>"$W/sw.err"
computed=$(sed -n 's/.*--onepass: \([0-9]*\) points from stack distances.*/\1/p' "$W/sw.err")
rm -rf "$W/full.csv" "$W/full.d"
ft=$(wall_time "$MMSIM_RUN" sweep -c "$W/fa.ini" --vary tlb.l1d.entries=$ENTRIES -j 2 "$W/sweep.mmt" -o "$W/full.csv")
same=$(python3 - "$W/sw.csv" "$W/full.csv" <<'PY'
import csv, sys
a = {r["tlb.l1d.entries"]: r["tlb.l1d.misses"] for r in csv.DictReader(open(sys.argv[1]))}
b = {r["tlb.l1d.entries"]: r["tlb.l1d.misses"] for r in csv.DictReader(open(sys.argv[2]))}
print("yes" if a == b and len(a) == 16 else "NO")
PY
)
echo "A fully associative LRU L1 DTLB (minimal config, 4 KiB pages), entries 8 to 2048 (16"
echo "points), on a synthetic 3 M-access trace; wall time with \`-j 2\` on this 2-CPU machine:"
echo "the two anchor replays run side by side while one pass (a thread) computes the other $computed points."
echo
echo "| one replay s | --onepass sweep s | sweep / replay | 16 replays (-j 2) s | misses equal at all 16 sizes |"
echo "|---:|---:|---:|---:|---|"
awk -v r="$rt" -v s="$st" -v f="$ft" -v same="$same" 'BEGIN { printf "| %.2f | %.2f | %.2fx | %.2f | %s |\n", r, s, s / r, f, same }'
