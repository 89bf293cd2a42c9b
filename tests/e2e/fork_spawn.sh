#!/usr/bin/env bash
# fork, vfork and posix_spawn recorded and replayed, against the kernel: tests/progs/val_spawn
# prints its own minor faults and its child's (getrusage RUSAGE_SELF, RUSAGE_CHILDREN) from a
# native run under tests/validate/native_faults, which takes away the launcher's faults
# before execve (counted to the parent's task); the model's faults of the parent, of the
# child and in all must agree within 2% or 30 faults. Every first touch is a write, so the
# counts hold with or without the zero page. The
# processes differ by N MiB = 1024 faults when a vfork is replayed as a fork (the parent's
# pages write-protected) or when a child misses its parent's address space.
# The DBI backend and the events-only backend run all three; the single-stepping ptrace
# backend (slow) posix_spawn only (`make validate` runs all three with it).
source "$(dirname "$0")/lib.sh"
P=$PROGS/val_spawn
N=4 M=2
NF=$TMP/native_faults
cc -O2 -Wall -Wextra -Werror "$ROOT/tests/validate/native_faults.c" -o "$NF" ||
    { echo "not ok - cannot build tests/validate/native_faults.c"; exit 1; }

# within KERNEL MODEL: 2% or 30 faults
within() {
    awk -v k="$1" -v m="$2" 'BEGIN { d = m - k; if (d < 0) d = -d; t = k * 0.02; if (t < 30) t = 30; exit !(d <= t) }'
}
# model_procs TRACE: "total parent child" minor faults from replay --json (processes in order)
model_procs() {
    "$MMSIM" replay --json "$1" 2>/dev/null | python3 -c 'import json,sys
d = json.load(sys.stdin); p = d["processes"]
print(d["faults"]["minor"], p[0]["faults"]["minor"] if p else -1, p[1]["faults"]["minor"] if len(p) > 1 else -1, len(p))'
}
# compare MODE BACKEND-OPTIONS...
compare() {
    local mode=$1; shift
    local tag="$mode, ${*:-dbi}"
    local native self children all before total parent child nprocs t=$TMP/$mode.$$.mmt
    read -r all before _ < <("$NF" -q "$P" "$mode" $N $M 2>"$TMP/native.err")
    native=$(cat "$TMP/native.err")
    self=$(sed -n 's/.*self=\([0-9]*\).*/\1/p' <<<"$native")
    children=$(sed -n 's/.*children=\([0-9]*\).*/\1/p' <<<"$native")
    if [ -z "$self" ] || [ -z "$children" ] || [ -z "${before:-}" ]; then
        echo "not ok - $tag: native run: $native"; return
    fi
    self=$((self - before)); all=$((all - before))
    if ! "$MMSIM" record "$@" --no-native-run -o "$t" -- "$P" "$mode" $N $M >/dev/null 2>"$t.err"; then
        echo "not ok - $tag: record failed"; sed 's/^/#   /' "$t.err" | tail -5; return
    fi
    read -r total parent child nprocs <<<"$(model_procs "$t")"
    check_eq "$tag: two processes" 2 "${nprocs:-0}"
    local what k m
    for what in "parent:$self:$parent" "child:$children:$child" "total:$all:$total"; do
        IFS=: read -r w k m <<<"$what"
        if within "$k" "$m"; then echo "ok - $tag: $w's minor faults, model $m, kernel $k"
        else echo "not ok - $tag: $w's minor faults, model $m, kernel $k (> 2% or 30)"; fi
    done
    rm -f "$t"
}

for mode in fork vfork spawn; do
    compare "$mode"
    compare "$mode" --backend ptrace --events-only
done
compare spawn --backend ptrace

# The FORK event of a vfork and of a posix_spawn carries CLONE_VM|CLONE_VFORK with either
# backend (under Valgrind the child's START may come first: it names the flags too).
for mode in vfork spawn; do
    "$MMSIM" record --no-native-run -o "$TMP/f.mmt" -- "$P" "$mode" 1 1 >/dev/null 2>&1
    flags=$("$MMSIM" dump "$TMP/f.mmt" | awk '$3 == "fork(" || $3 ~ /^fork\(/ { print; exit }' | sed -n 's/.*fork(0x[0-9a-f]*, \(0x[0-9a-f]*\)).*/\1/p')
    check_eq "$mode, dbi: the fork event's clone flags" 0x4111 "$flags"
done
