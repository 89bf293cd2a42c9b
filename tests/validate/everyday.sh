#!/usr/bin/env bash
# Everyday programs from the Debian image against the kernel (run by `make validate`).
#
# Each program is recorded twice, with the DBI backend and with --events-only, replayed with
# configs/default.ini (the trace's kernel traits fill what the config leaves unset), and the
# model's minor faults (faults.minor, every process of the trace) are compared with the
# kernel's own count from execve on: tests/validate/native_faults.c, median of NATIVE_RUNS
# native runs (page-cache state, ASLR and hash seeds move the count by a few faults).
#
# Pass: within 2% or 30 faults of the kernel (node under DBI: 5%, its JIT and garbage
# collector run differently under Valgrind). Prints a Markdown table and, with -o FILE
# (default docs/validation.md), writes it there between <!-- everyday-table --> markers.
# Options: --quick (smaller inputs), --only "NAME ..." (only those programs: their rows
# replace theirs in the table FILE holds, a line under it says so), -o FILE, --keep DIR.
set -u
cd "$(dirname "$0")/../.."
ROOT=$PWD
MMSIM=${MMSIM:-$ROOT/bin/mmsim}
OUT=docs/validation.md
QUICK=0
ONLY=
KEEP=
NATIVE_RUNS=${NATIVE_RUNS:-5}
while [ $# -gt 0 ]; do
    case $1 in
    --quick) QUICK=1 ;;
    --only) ONLY=$2; shift ;;
    -o) OUT=$2; shift ;;
    --keep) KEEP=$2; shift ;;
    -h|--help) sed -n '2,13p' "$0"; exit 0 ;;
    *) echo "everyday.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
[ -x "$MMSIM" ] || { echo "everyday.sh: $MMSIM is missing: run make build" >&2; exit 2; }
WORK=${KEEP:-$(mktemp -d)}
mkdir -p "$WORK"
[ -n "$KEEP" ] || trap 'rm -rf "$WORK"' EXIT
cc -O2 -Wall -Wextra -Werror "$ROOT/tests/validate/native_faults.c" -o "$WORK/native_faults" ||
    { echo "everyday.sh: cannot build tests/validate/native_faults.c" >&2; exit 2; }

# Inputs: a text file of lines in random order (sort, xz, bzip2, gzip read it with read(2)),
# a C file for gcc, a small git repository.
if [ "$QUICK" = 1 ]; then LINES=50000; N=50000; else LINES=170000; N=200000; fi
seq -f 'line %.0f of the everyday input, with some words to compress' 1 "$LINES" |
    shuf --random-source=<(yes) >"$WORK/input.txt"
cp "$ROOT/tests/progs/val_seq.c" "$WORK/prog.c"
git init -q "$WORK/repo" && for i in 1 2 3 4 5; do
    seq "$i" 1000 >"$WORK/repo/f$i"
    git -C "$WORK/repo" add "f$i" && git -C "$WORK/repo" -c user.name=v -c user.email=v@v commit -qm "c$i"
done
IN=$WORK/input.txt
NAMES="python3 perl sort xz bzip2 gzip sqlite3 git node gcc"
# The command of each program (run in $WORK, stdout discarded) into the array argv.
case_argv() { # name
    case $1 in
    python3) argv=(/usr/bin/python3 -c "import json; d = [{'k': i, 'v': str(i) * 3} for i in range($N)]; print(len(json.loads(json.dumps(d))))") ;;
    perl) argv=(perl -e "my %h; \$h{\$_} = \$_ * 2 for 1..$N; print scalar(keys %h), qq(\\n)") ;;
    sort) argv=(sort --parallel=1 -S 20M "$IN") ;;
    xz) argv=(xz -T2 -3 -c "$IN") ;;
    bzip2) argv=(bzip2 -9 -c "$IN") ;;
    gzip) argv=(gzip -6 -c "$IN") ;;
    sqlite3) argv=(sqlite3 :memory: "create table t(a, b); with recursive c(x) as (select 1 union all select x + 1 from c where x < $N) insert into t select x, hex(randomblob(16)) from c; select count(*) from t where b like 'A%';") ;;
    git) argv=(git -C "$WORK/repo" log --stat -p) ;;
    node) argv=(node -e "let a = []; for (let i = 0; i < $N; i++) a.push({i, s: String(i)}); console.log(JSON.stringify(a).length)") ;;
    gcc) argv=(gcc -O2 -c "$WORK/prog.c" -o "$WORK/prog.o") ;;
    esac
}
# Tolerance under DBI, percent: node's JIT and garbage collector run differently under Valgrind.
dbi_tolerance() { if [ "$1" = node ]; then echo 5; else echo 2; fi; }
# Traces a program is recorded into, per backend: node's count varies from run to run under
# the recorder as natively (three DBI traces: 11,919, 12,630 and 12,878 faults), so the model
# gives the median over three traces, as the kernel's figure is a median over native runs.
traces_of() { if [ "$1" = node ]; then echo 3; else echo 1; fi; }

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
model_minor() { # trace
    "$MMSIM" replay --json "$1" 2>/dev/null | python3 -c 'import json,sys
print(json.load(sys.stdin)["faults"]["minor"])'
}
TABLE=$WORK/everyday.md
{
    echo "| program | command | kernel from exec (median of $NATIVE_RUNS) | kernel, range of the runs | model, DBI trace | DBI - kernel | model, events-only trace | events-only - kernel | result |"
    echo "|---|---|---:|---:|---:|---:|---:|---:|---|"
} >"$TABLE"
pass=0; fail=0
# The difference from the median native run, and the verdict: the model passes when it is
# within the tolerance of the kernel's counts, i.e. of the range [lo, hi] the native runs
# spanned. A deterministic program's runs agree (lo = hi = median); a program whose count
# varies from run to run (node's JIT and GC threads: 1-3% here) is judged against the
# counts the kernel itself gave, not against one of them.
verdict() { # median lo hi model tolerance% -> "d (p%)" and ok/FAIL
    awk -v k="$1" -v lo="$2" -v hi="$3" -v m="$4" -v t="$5" 'BEGIN {
        d = m - k; out = m < lo ? lo - m : (m > hi ? m - hi : 0)
        tol = k * t / 100; if (tol < 30) tol = 30
        printf "%+d (%+.1f%%) %s\n", d, 100 * d / k, (out <= tol ? "ok" : "FAIL") }'
}
cd "$WORK" || exit 2
for name in $NAMES; do
    if [ -n "$ONLY" ] && ! [[ " $ONLY " == *" $name "* ]]; then continue; fi
    case_argv "$name"; tol=$(dbi_tolerance "$name")
    command -v "${argv[0]}" >/dev/null || { echo "| $name | - | - | - | - | - | - | - | FAIL: ${argv[0]} is not installed |" >>"$TABLE"; fail=$((fail + 1)); continue; }
    runs=$(for _ in $(seq "$NATIVE_RUNS"); do "$WORK/native_faults" -q "${argv[@]}" </dev/null 2>/dev/null | awk '{ print $1 - $2 }'; done | sort -n)
    k=$(median <<<"$runs"); lo=$(head -1 <<<"$runs"); hi=$(tail -1 <<<"$runs")
    shown="${argv[*]:1:3}"; shown=${shown//$WORK/\$W}
    row="| $name | \`${argv[0]##*/} $shown$([ ${#argv[@]} -gt 4 ] && echo ' …')\` | ${k:--} | ${lo:--}–${hi:--}"
    res=ok
    for mode in dbi events; do
        t=$WORK/$name.$mode.mmt
        if [ "$mode" = dbi ]; then opt=(); t_ol=$tol; else opt=(--backend ptrace --events-only); t_ol=2; fi
        ms=""
        for _ in $(seq "$(traces_of "$name")"); do
            "$MMSIM" record "${opt[@]}" --no-native-run -o "$t" -- "${argv[@]}" </dev/null >/dev/null 2>"$t.err" &&
                m=$(model_minor "$t") && [ -n "$m" ] && ms="$ms$m"$'\n' || { ms=""; break; }
        done
        m=$(printf '%s' "$ms" | grep . | median)
        if [ -n "$m" ] && [ -n "$k" ]; then
            read -r d p v <<<"$(verdict "$k" "$lo" "$hi" "$m" "$t_ol")"
            row="$row | $m | $d $p"
            [ "$v" = ok ] || res="FAIL ($mode > ${t_ol}%)"
        else
            row="$row | - | -"; res="FAIL ($mode: record or replay failed)"
            tail -3 "$t.err" | sed 's/^/#   /' >&2
        fi
        printf '%-8s %-6s kernel %7s  model %7s\n' "$name" "$mode" "${k:--}" "${m:--}" >&2
    done
    echo "$row | $res |" >>"$TABLE"
    if [ "$res" = ok ]; then pass=$((pass + 1)); else fail=$((fail + 1)); fi
    rm -f "$WORK/$name".*.mmt
done
cd "$ROOT" || exit 2

cat "$TABLE"
echo
echo "everyday programs: $pass passed, $fail failed"
if [ -n "$OUT" ] && [ -f "$OUT" ] && grep -q '<!-- everyday-table -->' "$OUT"; then
    # --only replaces its programs' rows in the table already there and says so under it;
    # the other rows stay as their run measured them
    python3 - "$OUT" "$TABLE" "$(uname -r)" "$(date -u +%Y-%m-%d)" "$QUICK" "$ONLY" <<'EOF'
import sys
doc, table, rel, day, quick, only = sys.argv[1], open(sys.argv[2]).read(), sys.argv[3], sys.argv[4], sys.argv[5], sys.argv[6]
s = open(doc).read()
a, b = s.index('<!-- everyday-table -->'), s.index('<!-- /everyday-table -->')
size = ' (--quick inputs)' if quick == '1' else ''
def rows(text):
    return [l for l in text.splitlines() if l.startswith('| ') and not l.startswith('| program |')]
old_rows = rows(s[a:b])
if only and old_rows:
    new = {r.split('|')[1].strip(): r for r in rows(table)}
    merged = [new.pop(r.split('|')[1].strip(), r) for r in old_rows] + list(new.values())
    head = s[a:b].split('\n| program |')[0].split('\nRows rerun')[0].rstrip('\n')
    header = '\n'.join(l for l in table.splitlines() if l.startswith('| program |') or l.startswith('|---'))
    body = '%s\n\n%s\n%s\n\nRows rerun with `--only "%s"`: Linux %s, %s%s.\n' % (
        head, header, '\n'.join(merged), only, rel, day, size)
else:
    body = '<!-- everyday-table -->\nMeasured on Linux %s, %s (`make validate`%s).\n\n%s' % (rel, day, size, table)
open(doc, 'w').write(s[:a] + body + s[b:])
EOF
fi
[ "$fail" -eq 0 ]
