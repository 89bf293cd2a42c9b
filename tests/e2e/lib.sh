# Helpers for end-to-end tests: source this, then call check/check_eq; each prints one TAP line.
# MMSIM is the binary under test; TMP a scratch folder removed at exit.
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
MMSIM=${MMSIM:-$ROOT/bin/mmsim}
PROGS=$ROOT/build/progs
TMP=$(mktemp -d /tmp/mmsim-test.XXXXXX)
trap 'rm -rf "$TMP"' EXIT

# check "description" command... : ok when the command exits 0
check() {
    local desc=$1; shift
    if "$@" >"$TMP/.check.out" 2>&1; then echo "ok - $desc"
    else echo "not ok - $desc"; sed 's/^/#   /' "$TMP/.check.out" | head -20; fi
}
# check_eq "description" expected actual
check_eq() {
    if [ "$2" == "$3" ]; then echo "ok - $1"; else echo "not ok - $1: expected '$2', got '$3'"; fi
}
# check_near "description" expected actual tolerance_fraction
check_near() {
    if awk -v e="$2" -v a="$3" -v t="$4" 'BEGIN { d = e - a; if (d < 0) d = -d; m = e < 0 ? -e : e; exit !(d <= t * m) }'
    then echo "ok - $1 ($3 vs $2)"; else echo "not ok - $1: expected $2 within $4, got $3"; fi
}
# json_get FILE key.path : a number or string from a JSON file (python3 is on every machine here)
json_get() {
    python3 -c 'import json,sys
v=json.load(open(sys.argv[1]))
for k in sys.argv[2].split("."):
    v = v[int(k)] if isinstance(v, list) else v[k]
print(v)' "$1" "$2"
}

# unittest_tap LABEL COMMAND... : runs `python3 -m unittest -v ...` and turns its lines into
# TAP ("test_x (...) ... ok" -> "ok - LABEL: test_x"); a run that fails without a failing
# test line (an import error) is one "not ok".
unittest_tap() {
    local label=$1; shift
    "$@" >"$TMP/unittest.out" 2>&1; local rc=$?
    awk -v l="$label" '
        / \.\.\. ok$/ { print "ok - " l ": " $1; next }
        / \.\.\. skipped/ { print "ok - " l ": " $1 " # SKIP"; next }
        / \.\.\. (FAIL|ERROR)$/ { print "not ok - " l ": " $1; bad = 1 }
        END { exit bad }' "$TMP/unittest.out"
    local bad=$?
    if [ "$rc" -ne 0 ]; then
        [ "$bad" -eq 0 ] && echo "not ok - $label: python exited with $rc"
        sed 's/^/#   /' "$TMP/unittest.out" | tail -30
    fi
}
