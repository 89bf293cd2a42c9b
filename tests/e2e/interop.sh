#!/usr/bin/env bash
# End-to-end tests of the other simulators' formats both ways: `mmsim export` to lackey, din and
# ChampSim read back by `mmsim import` (round trips checked by tests/e2e/interop_check.py,
# which computes what each format can carry on its own), `mmsim import --format drmemtrace`
# of the fixtures tests/data/drmemtrace/ (made by tests/data/drmemtrace/make_fixtures.py), and
# the errors on cut and foreign files.
source "$(dirname "$0")/lib.sh"
DATA=$ROOT/tests/data
CHECK="/usr/bin/python3 $ROOT/tests/e2e/interop_check.py"

# A real single-threaded trace (fetches, loads, stores, modifies) and a threaded one.
"$MMSIM" record -o "$TMP/sum.mmt" -- "$PROGS/tiny_sum" >/dev/null 2>&1
"$MMSIM" record -o "$TMP/thr.mmt" -- "$PROGS/rec_threads" >/dev/null 2>&1
"$MMSIM" dump --format lackey "$TMP/sum.mmt" >"$TMP/sum.lackey"
check "the recorded trace has modifies (so din's and ChampSim's splits are exercised)" \
    grep -q '^ M ' "$TMP/sum.lackey"

# ---- lackey: kind, address, size and order survive exactly
check "export lackey" "$MMSIM" export -q -f lackey "$TMP/sum.mmt" -o "$TMP/sum.out.lackey"
check "lackey export = dump --format lackey" cmp "$TMP/sum.lackey" "$TMP/sum.out.lackey"
check "import the exported lackey" "$MMSIM" import -q -f lackey "$TMP/sum.out.lackey" -o "$TMP/sum.l.mmt"
"$MMSIM" dump --format lackey "$TMP/sum.l.mmt" >"$TMP/sum.l.lackey"
check "lackey round trip: same accesses (kind, address, size, order)" cmp "$TMP/sum.lackey" "$TMP/sum.l.lackey"
"$MMSIM" export -f lackey "$TMP/thr.mmt" -o "$TMP/thr.lackey" >"$TMP/thr.lackey.out"
check "lackey export counts the thread switches it drops" grep -Eq 'dropped: [1-9][0-9]* thread switches' "$TMP/thr.lackey.out"

# ---- din: kind, address and order; sizes become 4, a modify a read then a write
check "export din" "$MMSIM" export -q -f din "$TMP/sum.mmt" -o "$TMP/sum.din"
check "import the exported din" "$MMSIM" import -q -f din "$TMP/sum.din" -o "$TMP/sum.d.mmt"
"$MMSIM" dump --format lackey "$TMP/sum.d.mmt" >"$TMP/sum.d.lackey"
check "din round trip: same kinds, addresses, order (sizes 4, M = L + S)" $CHECK din "$TMP/sum.lackey" "$TMP/sum.d.lackey"
"$MMSIM" import -q -f din "$DATA/small.din" -o "$TMP/small.mmt"
"$MMSIM" export -q -f din "$TMP/small.mmt" -o "$TMP/small.back.din"
"$MMSIM" import -q -f din "$TMP/small.back.din" -o "$TMP/small.back.mmt"
check "din fixture: import, export, import gives the same records" \
    cmp <("$MMSIM" dump "$TMP/small.mmt") <("$MMSIM" dump "$TMP/small.back.mmt")

# ---- ChampSim: the memory operands of every instruction, taken branches from the fetches
check "export champsim (xz)" "$MMSIM" export -q -f champsim "$TMP/sum.mmt" -o "$TMP/sum.champsim.xz"
check "the output is an xz stream" xz -t "$TMP/sum.champsim.xz"
check "import the exported champsim" "$MMSIM" import -q -f champsim "$TMP/sum.champsim.xz" -o "$TMP/sum.c.mmt"
"$MMSIM" dump --format lackey "$TMP/sum.c.mmt" >"$TMP/sum.c.lackey"
check "champsim round trip: same fetches and memory operands per instruction, branches as inferred" \
    $CHECK champsim "$TMP/sum.lackey" "$TMP/sum.c.lackey" "$TMP/sum.champsim.xz"
"$MMSIM" export -q -f champsim "$TMP/sum.mmt" -o "$TMP/sum.champsim"
check_eq "plain champsim output: 64 bytes per fetch" "$(($(grep -c '^I' "$TMP/sum.lackey") * 64))" \
    "$(stat -c %s "$TMP/sum.champsim")"
check "threaded trace exports to champsim" "$MMSIM" export -q -f champsim "$TMP/thr.mmt" -o "$TMP/thr.champsim.xz"

# ---- export errors: a foreign file, a cut trace, an unwritable output, bad usage
head -c 3000 /bin/ls >"$TMP/foreign.mmt"
"$MMSIM" export -f lackey "$TMP/foreign.mmt" -o "$TMP/x.lackey" 2>"$TMP/err"; rc=$?
check_eq "export of a foreign file exits 1" 1 "$rc"
check "... naming the file" grep -q "foreign.mmt" "$TMP/err"
check "... and leaves no output" test ! -e "$TMP/x.lackey"
"$MMSIM" export -f din "$TMP/sum.mmt" -o "$TMP/no/such/dir.din" 2>"$TMP/err"; rc=$?
check_eq "export to an unwritable path exits 1" 1 "$rc"
check "... naming it" grep -q "no/such/dir.din" "$TMP/err"
"$MMSIM" export -f pin "$TMP/sum.mmt" -o "$TMP/x" 2>/dev/null; rc=$?
check_eq "unknown export format is a usage error (2)" 2 "$rc"
size=$(stat -c %s "$TMP/thr.mmt")
head -c $((size * 2 / 3)) "$TMP/thr.mmt" >"$TMP/cut.mmt"
"$MMSIM" export -q -f lackey "$TMP/cut.mmt" -o "$TMP/cut.lackey" 2>"$TMP/err"; rc=$?
check_eq "a cut trace exports up to its last whole chunk (exit 0)" 0 "$rc"
check "... with a warning naming it" grep -q "cut.mmt" "$TMP/err"

# ---- drmemtrace: the fixtures (tests/data/drmemtrace/make_fixtures.py says what they hold)
DRM=$DATA/drmemtrace
drm_checks() { # NAME INPUT STEM : import, accesses and thread switches as the generator expects
    local name=$1 in=$2 stem=$3
    check "drmemtrace $name: import" "$MMSIM" import -q -f drmemtrace "$in" -o "$TMP/drm.$name.mmt"
    "$MMSIM" dump --format lackey "$TMP/drm.$name.mmt" >"$TMP/drm.$name.lackey"
    check "drmemtrace $name: fetches, reads, writes (kind, address, size, order)" \
        cmp "$DRM/$stem.expect.lackey" "$TMP/drm.$name.lackey"
    "$MMSIM" dump "$TMP/drm.$name.mmt" | awk '$2 == "switch" { print $3, $4, $5, $6 }' >"$TMP/drm.$name.switch"
    check "drmemtrace $name: thread switches in timestamp order" cmp "$DRM/$stem.expect.switch" "$TMP/drm.$name.switch"
}
drm_checks plain "$DRM/one.trace" one
drm_checks gzip "$DRM/one.trace.gz" one
drm_checks zstd "$DRM/one.trace.zst" one
drm_checks folder "$DRM/mt" mt
drm_checks trace-folder "$DRM/mt/trace" mt
"$MMSIM" info --json "$TMP/drm.folder.mmt" >"$TMP/drm.json"
check_eq "drmemtrace: the page-size marker kept" 4096 "$(python3 -c "import json,sys; print(json.load(open(sys.argv[1]))['meta']['drmemtrace.page_size'])" "$TMP/drm.json")"
check_eq "drmemtrace: two threads" 2 "$(json_get "$TMP/drm.json" threads)"
check_eq "drmemtrace: backend" "import:drmemtrace" "$(json_get "$TMP/drm.json" backend)"
check "drmemtrace: a zip from standard input" sh -c "'$MMSIM' import -q -f drmemtrace - -o '$TMP/drm.stdin.mmt' <'$DRM/mt/trace/drmemtrace.fixture.4242.0000.trace.zip'"
check "drmemtrace: the imported trace replays" "$MMSIM" replay --json -o "$TMP/drm.replay.json" "$TMP/drm.folder.mmt"
check_eq "drmemtrace: replay counts every access" "$(wc -l <"$DRM/mt.expect.lackey")" "$(json_get "$TMP/drm.replay.json" accesses)"

# ---- drmemtrace errors: cut at every layer, foreign, empty; exit 1, the file and place named
drm_bad() { # NAME FILE PATTERN
    "$MMSIM" import -f drmemtrace "$2" -o "$TMP/bad.mmt" 2>"$TMP/err"; local rc=$?
    check_eq "drmemtrace $1: exit 1" 1 "$rc"
    check "drmemtrace $1: message names the file and says '$3'" grep -q "$(basename "$2").*$3" "$TMP/err"
    check "drmemtrace $1: no output left" test ! -e "$TMP/bad.mmt"
}
head -c 200 "$DRM/one.trace" >"$TMP/cut-entry.trace"
drm_bad "cut mid-entry" "$TMP/cut-entry.trace" "byte 200 (entry 16): cut short"
head -c 240 "$DRM/one.trace" >"$TMP/cut-footer.trace"
drm_bad "cut between entries" "$TMP/cut-footer.trace" "without the footer"
head -c 150 "$DRM/one.trace.gz" >"$TMP/cut.trace.gz"
drm_bad "cut gzip" "$TMP/cut.trace.gz" "gzip stream cut short"
head -c 150 "$DRM/one.trace.zst" >"$TMP/cut.trace.zst"
drm_bad "cut zstd" "$TMP/cut.trace.zst" "zstd stream cut short"
head -c 400 "$DRM/mt/trace/drmemtrace.fixture.4242.0000.trace.zip" >"$TMP/cut.trace.zip"
drm_bad "cut zip" "$TMP/cut.trace.zip" "not a readable zip archive"
head -c 3000 /bin/ls >"$TMP/foreign.trace"
drm_bad "foreign file" "$TMP/foreign.trace" "not a drmemtrace trace"
mkdir -p "$TMP/emptydir"
drm_bad "empty folder" "$TMP/emptydir" "no drmemtrace thread files"
