#!/usr/bin/env bash
# make validate: the model's page faults against the kernel's own counts.
#
# Each validation program (tests/progs/val_*.c) is recorded with `mmsim record`, which also
# runs it natively and stores the kernel's counts in the trace: native.rusage.min_flt
# (getrusage of the native run: everything the task faulted, including the faults of the
# launcher's child between fork and exec) and the perf software counter minor-faults
# (from exec on, faults taken with user registers only). tests/validate/native_faults.c
# runs the program once more and splits the kernel's count at execve: the child reads its
# own rusage just before exec, so "from exec" = total - before is the program's own count,
# what a trace can show. The trace is replayed and the model's faults.minor compared.
#
# Pass: |model - kernel from exec| <= max(5%, 30 faults). Prints a Markdown table; with
# -o FILE (default docs/validation.md) writes it into that document between markers.
# Options: --quick (smaller sizes), --backends "ptrace dbi", -o FILE, --keep DIR.
set -u
cd "$(dirname "$0")/.."
ROOT=$PWD
MMSIM=$ROOT/bin/mmsim
PROGS=$ROOT/build/progs
OUT=docs/validation.md
BACKENDS="ptrace dbi"
QUICK=0
KEEP=
while [ $# -gt 0 ]; do
    case $1 in
    --quick) QUICK=1 ;;
    --backends) BACKENDS=$2; shift ;;
    -o) OUT=$2; shift ;;
    --keep) KEEP=$2; shift ;;
    -h|--help) sed -n '2,14p' "$0"; exit 0 ;;
    *) echo "validate.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
for f in "$MMSIM" "$PROGS/val_seq"; do
    [ -x "$f" ] || { echo "validate.sh: $f is missing: run make build" >&2; exit 2; }
done
WORK=${KEEP:-$(mktemp -d)}
mkdir -p "$WORK"
cc -O2 -Wall -Wextra -Werror "$ROOT/tests/validate/native_faults.c" -o "$WORK/native_faults" ||
    { echo "validate.sh: cannot build tests/validate/native_faults.c" >&2; exit 2; }
# A private copy, so a rebuild of bin/mmsim during the run does not break it; it stays in
# bin/ because the DBI backend finds its Valgrind tool relative to the executable.
COPY=$ROOT/bin/.mmsim-validate.$$
cp "$MMSIM" "$COPY" && MMSIM=$COPY
if [ -n "$KEEP" ]; then trap 'rm -f "$COPY"' EXIT; else trap 'rm -rf "$WORK" "$COPY"' EXIT; fi

# name | program and arguments | what it exercises
if [ "$QUICK" = 1 ]; then S=2; else S=8; fi
CASES=(
    "seq-write|val_seq $((S * 2)) w|anonymous first touch, one write a page"
    "seq-read-write|val_seq $S rw|read then write: the zero page and a second fault, or one fault (traits.zero_page)"
    "random|val_rand $S|random order, read then write"
    "fork-cow|val_fork $((S / 2))|fork, child and parent write: COW copy and reuse"
    "fork-exec|val_spawn fork $((S / 2)) $((S / 4))|fork, the child writes (COW), execs; the parent writes again"
    "vfork|val_spawn vfork $((S / 2)) $((S / 4))|vfork + exec: the child in the parent's address space"
    "posix-spawn|val_spawn spawn $((S / 2)) $((S / 4))|posix_spawn (clone with CLONE_VM and CLONE_VFORK) + exec"
    "file-map|val_file $S|file read through a shared mapping (fault-around), private writes (COW)"
    "threads|val_threads $S 4|4 threads, one mapping"
    "thp|val_thp $((S * 2))|MADV_HUGEPAGE: one fault per 2 MiB; a read maps the huge zero page (or, without the zero page, a THP)"
    "small|val_seq 1 r|a small program: startup dominates"
)

meta() { # trace key
    "$MMSIM" info --json "$1" 2>/dev/null | python3 -c 'import json,sys
d=json.load(sys.stdin); v=d.get("meta",{}).get(sys.argv[1])
print(v if v is not None else "-")' "$2"
}
model_faults() { # trace
    "$MMSIM" replay --json "$1" 2>/dev/null | python3 -c 'import json,sys
d=json.load(sys.stdin); f=d["faults"]; print(f["minor"], f["major"], f["segv"])'
}

pass=0; fail=0
TABLE="$WORK/table.md"
{
    echo "| program | backend | kernel rusage (record) | kernel from exec | launcher before exec | kernel perf minor-faults | model minor | model major | SIGSEGV | model - from exec | model - rusage | result |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|"
} >"$TABLE"
# The kernel's count of the program itself, split at execve by native_faults (once per
# case: the native counts do not depend on the backend).
declare -A NATIVE
for c in "${CASES[@]}"; do
    IFS='|' read -r name cmd what <<<"$c"
    # shellcheck disable=SC2086
    NATIVE[$name]=$("$WORK/native_faults" $PROGS/$cmd 2>/dev/null </dev/null | tail -1)
done

for b in $BACKENDS; do
    for c in "${CASES[@]}"; do
        IFS='|' read -r name cmd what <<<"$c"
        t="$WORK/$name.$b.mmt"
        row="| $name (\`$cmd\`) | $b"
        # shellcheck disable=SC2086
        if ! "$MMSIM" record --backend "$b" -o "$t" -- $PROGS/$cmd >/dev/null 2>"$WORK/$name.$b.err"; then
            echo "$row | - | - | - | - | - | - | - | - | - | FAIL: record failed |" >>"$TABLE"
            sed 's/^/#   /' "$WORK/$name.$b.err" | tail -5 >&2
            fail=$((fail + 1)); continue
        fi
        k=$(meta "$t" native.rusage.min_flt)
        perf=$(meta "$t" "native.counters.perf::MINOR-FAULTS")
        read -r total before _ <<<"${NATIVE[$name]:-}"
        read -r m mj segv <<<"$(model_faults "$t")"
        if [ -z "${m:-}" ] || [ "$k" = - ] || [ -z "${before:-}" ]; then
            echo "$row | $k | - | - | $perf | ${m:--} | - | - | - | - | FAIL: no counts |" >>"$TABLE"
            fail=$((fail + 1)); continue
        fi
        fe=$((total - before))
        d=$((m - fe)); ad=${d#-}; dr=$((m - k))
        tol=$(( fe * 5 / 100 > 30 ? fe * 5 / 100 : 30 ))
        pct=$(awk -v d="$d" -v k="$fe" 'BEGIN { printf "%+.1f%%", 100 * d / k }')
        if [ "$ad" -le "$tol" ]; then r=ok; pass=$((pass + 1)); else r="FAIL (> $tol)"; fail=$((fail + 1)); fi
        echo "$row | $k | $fe | $before | $perf | $m | $mj | $segv | $d ($pct) | $dr | $r |" >>"$TABLE"
        printf '%-16s %-7s rusage %6s  from-exec %6s  perf %6s  model %6s  diff %5s  %s\n' \
            "$name" "$b" "$k" "$fe" "$perf" "$m" "$d" "$r" >&2
    done
done

cat "$TABLE"
echo
echo "page faults: $pass passed, $fail failed"

# The OOM experiment (tests/validate/oom_cgroup.sh, root: a memory cgroup): the victim the
# kernel's OOM killer chooses and /proc/PID/oom_score, model vs kernel.
OOM_TABLE=$WORK/oom.md
OOM_ROWS=$WORK/oom.rows
: >"$OOM_ROWS"
echo "validate: OOM victim and oom_score (tests/validate/oom_cgroup.sh)" >&2
OOM_RESULTS=$OOM_ROWS MMSIM=$MMSIM bash tests/validate/oom_cgroup.sh >"$WORK/oom.tap" 2>&1
grep '^#' "$WORK/oom.tap" | sed 's/^# */  /' >&2
{
    echo "| OOM experiment | kernel | model | result |"
    echo "|---|---|---|---|"
    while IFS='|' read -r what k m r; do
        echo "| $what | $k | $m | $r |"
    done <"$OOM_ROWS"
} >"$OOM_TABLE"
oom_pass=$(grep -c '^ok' "$WORK/oom.tap")
oom_fail=$(grep -c '^not ok' "$WORK/oom.tap")
echo
if [ -s "$OOM_ROWS" ]; then cat "$OOM_TABLE"; else grep -m1 '^#' "$WORK/oom.tap" || echo "(no OOM results)"; fi
grep '^not ok' "$WORK/oom.tap"
echo
echo "OOM: $oom_pass passed, $oom_fail failed"
fail=$((fail + oom_fail))

# Everyday programs from the Debian image (tests/validate/everyday.sh writes its own table).
echo "validate: everyday programs (tests/validate/everyday.sh)" >&2
ev_opts=(); [ "$QUICK" = 1 ] && ev_opts+=(--quick)
MMSIM=$MMSIM bash tests/validate/everyday.sh "${ev_opts[@]}" -o "$OUT" || fail=$((fail + 1))
if [ -n "$OUT" ] && [ -f "$OUT" ] && grep -q '<!-- validation-table -->' "$OUT"; then
    python3 - "$OUT" "$TABLE" "$(uname -r)" "$(date -u +%Y-%m-%d)" <<'EOF'
import sys
doc, table, rel, day = sys.argv[1], open(sys.argv[2]).read(), sys.argv[3], sys.argv[4]
s = open(doc).read()
a, b = s.index('<!-- validation-table -->'), s.index('<!-- /validation-table -->')
body = '<!-- validation-table -->\nMeasured on Linux %s, %s (`make validate`).\n\n%s' % (rel, day, table)
open(doc, 'w').write(s[:a] + body + s[b:])
EOF
fi
if [ -n "$OUT" ] && [ -f "$OUT" ] && [ -s "$OOM_ROWS" ] && grep -q '<!-- oom-table -->' "$OUT"; then
    python3 - "$OUT" "$OOM_TABLE" <<'EOF'
import sys
doc, table = sys.argv[1], open(sys.argv[2]).read()
s = open(doc).read()
a, b = s.index('<!-- oom-table -->'), s.index('<!-- /oom-table -->')
open(doc, 'w').write(s[:a] + '<!-- oom-table -->\n' + table + s[b:])
EOF
fi
[ "$fail" -eq 0 ]
