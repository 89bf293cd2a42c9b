#!/usr/bin/env bash
# End-to-end tests of `mmsim import`, `info` and `dump`: every import format, counts checked
# against the input counted independently (grep/awk/python), a real lackey run surviving
# import + dump byte for byte, exit codes and messages on bad, corrupt, foreign and cut files.
source "$(dirname "$0")/lib.sh"
DATA=$ROOT/tests/data

# count_kind FILE PREFIX : lackey lines starting with PREFIX
count_kind() { grep -c "^$2" "$1" || true; }

# lackey_checks NAME LACKEY_FILE : import, counts vs grep, dump --format lackey == input
lackey_checks() {
    local name=$1 in=$2 mmt=$TMP/$1.mmt
    check "$name: import lackey" "$MMSIM" import -q --format lackey "$in" -o "$mmt"
    "$MMSIM" info --json "$mmt" >"$TMP/$name.json"
    check_eq "$name: ifetches = grep '^I '" "$(count_kind "$in" 'I  ')" "$(json_get "$TMP/$name.json" ifetches)"
    check_eq "$name: loads = grep '^ L '" "$(count_kind "$in" ' L ')" "$(json_get "$TMP/$name.json" loads)"
    check_eq "$name: stores = grep '^ S '" "$(count_kind "$in" ' S ')" "$(json_get "$TMP/$name.json" stores)"
    check_eq "$name: modifies = grep '^ M '" "$(count_kind "$in" ' M ')" "$(json_get "$TMP/$name.json" modifies)"
    check_eq "$name: backend" "import:lackey" "$(json_get "$TMP/$name.json" backend)"
    check_eq "$name: complete" "True" "$(json_get "$TMP/$name.json" complete)"
    check_eq "$name: bytes = file size" "$(stat -c %s "$mmt")" "$(json_get "$TMP/$name.json" bytes)"
    check_eq "$name: kernel null without rusage" "None" "$(json_get "$TMP/$name.json" kernel)"
    grep -v '^==' "$in" >"$TMP/$name.expect"
    "$MMSIM" dump --format lackey "$mmt" >"$TMP/$name.back"
    check "$name: import + dump --format lackey is byte for byte the input" cmp "$TMP/$name.expect" "$TMP/$name.back"
    "$MMSIM" info --json --scan "$mmt" >"$TMP/$name.scan.json"
    check_eq "$name: --scan records = footer records" "$(json_get "$TMP/$name.json" records)" \
        "$(json_get "$TMP/$name.scan.json" records)"
}

# ---- lackey: the committed fixture and a fresh run of valgrind on a tiny program
lackey_checks fixture "$DATA/small.lackey"
check_eq "fixture: command from lackey's header" "tiny_sum" "$(json_get "$TMP/fixture.json" meta.command)"
if valgrind --tool=lackey --trace-mem=yes --log-file="$TMP/live.lackey" "$PROGS/tiny_sum" >/dev/null 2>&1; then
    lackey_checks live "$TMP/live.lackey"
    bpa=$(json_get "$TMP/live.json" bytes_per_access)
    check "live: at most 2 bytes per access ($bpa)" awk -v b="$bpa" 'BEGIN { exit !(b <= 2) }'
else
    echo "not ok - valgrind --tool=lackey failed on tiny_sum"
fi

# ---- pinatrace
"$MMSIM" import -q -f pinatrace "$DATA/small.pinatrace" -o "$TMP/pin.mmt"
"$MMSIM" info --json "$TMP/pin.mmt" >"$TMP/pin.json"
check_eq "pinatrace: loads" "$(grep -c ': R ' "$DATA/small.pinatrace")" "$(json_get "$TMP/pin.json" loads)"
check_eq "pinatrace: stores" "$(grep -c ': W ' "$DATA/small.pinatrace")" "$(json_get "$TMP/pin.json" stores)"
check_eq "pinatrace: backend" "import:pinatrace" "$(json_get "$TMP/pin.json" backend)"
check_eq "pinatrace: default size 8, given size kept" "store 0x7ffd3c1e2a48 8|load 0x7f1c2a6e1e78 4|load 0x7ffd3c1e2a40 16" \
    "$("$MMSIM" dump "$TMP/pin.mmt" | awk 'NR==1 || NR==3 || NR==5 { printf "%s%s %s %s", sep, $2, $3, $4; sep="|" }')"

# ---- din
"$MMSIM" import -q -f din "$DATA/small.din" -o "$TMP/din.mmt"
"$MMSIM" info --json "$TMP/din.mmt" >"$TMP/din.json"
check_eq "din: ifetches (label 2)" "$(grep -c '^2 ' "$DATA/small.din")" "$(json_get "$TMP/din.json" ifetches)"
check_eq "din: loads (label 0)" "$(grep -c '^0 ' "$DATA/small.din")" "$(json_get "$TMP/din.json" loads)"
check_eq "din: stores (label 1)" "$(grep -c '^1 ' "$DATA/small.din")" "$(json_get "$TMP/din.json" stores)"
check_eq "din: hex with and without 0x" "load 0x601040 4" "$("$MMSIM" dump "$TMP/din.mmt" | awk 'NR==6 { print $2, $3, $4 }')"

# ---- ChampSim: records generated here, counts computed by the generator
python3 - "$TMP/cs.bin" >"$TMP/cs.expect" <<'EOF'
import random, struct, sys
random.seed(7)
n, loads, stores = 5000, 0, 0
with open(sys.argv[1], "wb") as f:
    for i in range(n):
        ip = 0x400000 + 4 * i
        dst = [random.choice([0, 0, 0x7ffd0000 + 8 * random.randrange(512)]) for _ in range(2)]
        src = [random.choice([0, 0, 0, 0x601000 + 8 * random.randrange(4096)]) for _ in range(4)]
        loads += sum(1 for a in src if a)
        stores += sum(1 for a in dst if a)
        f.write(struct.pack("<QBB2B4B2Q4Q", ip, 0, 0, 0, 0, 0, 0, 0, 0, *dst, *src))
print(n, loads, stores)
EOF
read -r cs_n cs_loads cs_stores <"$TMP/cs.expect"
xz -k -T1 -c "$TMP/cs.bin" >"$TMP/cs.bin.xz"
for v in bin bin.xz; do
    "$MMSIM" import -q -f champsim "$TMP/cs.$v" -o "$TMP/cs.$v.mmt"
    "$MMSIM" info --json --scan "$TMP/cs.$v.mmt" >"$TMP/cs.$v.json"
    check_eq "champsim $v: one ifetch an instruction" "$cs_n" "$(json_get "$TMP/cs.$v.json" ifetches)"
    check_eq "champsim $v: loads = nonzero source operands" "$cs_loads" "$(json_get "$TMP/cs.$v.json" loads)"
    check_eq "champsim $v: stores = nonzero destination operands" "$cs_stores" "$(json_get "$TMP/cs.$v.json" stores)"
done
check "champsim: xz and plain give the same records" cmp <("$MMSIM" dump "$TMP/cs.bin.mmt") <("$MMSIM" dump "$TMP/cs.bin.xz.mmt")
head -c 1000 "$TMP/cs.bin" >"$TMP/cs.cut"
"$MMSIM" import -f champsim "$TMP/cs.cut" -o "$TMP/cs.cut.mmt" 2>"$TMP/cs.cut.err"; rc=$?
check_eq "champsim: a partial record is an error (exit 1)" 1 "$rc"
check "champsim: message names the file and byte" grep -q "cs.cut: byte 960" "$TMP/cs.cut.err"
check "champsim: no output left after an error" test ! -e "$TMP/cs.cut.mmt"
head -c 3000 "$TMP/cs.bin.xz" >"$TMP/cs.cut.xz"
"$MMSIM" import -f champsim "$TMP/cs.cut.xz" -o "$TMP/cs.cutxz.mmt" 2>"$TMP/cs.cutxz.err"; rc=$?
check_eq "champsim: a cut xz stream is an error (exit 1)" 1 "$rc"

# ---- bad input lines
printf 'I  0401000,3\n L 7ff000,8\n S zz,8\n' >"$TMP/bad.lackey"
"$MMSIM" import -f lackey "$TMP/bad.lackey" -o "$TMP/bad.mmt" 2>"$TMP/bad.err"; rc=$?
check_eq "lackey bad line: exit 1" 1 "$rc"
check "lackey bad line: message names file:line" grep -q "bad.lackey:3:" "$TMP/bad.err"
printf '2 401000\n7 401004\n' >"$TMP/bad.din"
"$MMSIM" import -f din "$TMP/bad.din" -o "$TMP/bad.mmt" 2>"$TMP/bad.err"; rc=$?
check_eq "din bad label: exit 1" 1 "$rc"
check "din bad label: message names file:line" grep -q "bad.din:2:" "$TMP/bad.err"
printf '0x401000: X 0x1000\n' >"$TMP/bad.pin"
"$MMSIM" import -f pinatrace "$TMP/bad.pin" -o "$TMP/bad.mmt" 2>"$TMP/bad.err"; rc=$?
check_eq "pinatrace bad kind: exit 1" 1 "$rc"
check "pinatrace bad kind: message names file:line" grep -q "bad.pin:1:" "$TMP/bad.err"

printf 'I  0401000,3\n L 7ff000,99999999999999\n' >"$TMP/huge.lackey"
"$MMSIM" import -f lackey "$TMP/huge.lackey" -o "$TMP/bad.mmt" 2>"$TMP/bad.err"; rc=$?
check_eq "lackey absurd size: exit 1 (no endless split)" 1 "$rc"
check "lackey absurd size: message names file:line" grep -q "huge.lackey:2: access of size" "$TMP/bad.err"
head -c 10000 /dev/zero | tr '\0' 'x' >"$TMP/long.din"
"$MMSIM" import -f din "$TMP/long.din" -o "$TMP/bad.mmt" 2>"$TMP/bad.err"; rc=$?
check_eq "overlong line: exit 1" 1 "$rc"
check "overlong line: message names file:line" grep -q "long.din:1: line longer than" "$TMP/bad.err"

# ---- foreign, corrupt and cut .mmt files
"$MMSIM" info "$DATA/small.din" 2>"$TMP/foreign.err"; rc=$?
check_eq "info on a foreign file: exit 1" 1 "$rc"
check "foreign file: message names file and byte 0" grep -q "small.din: not an .mmt trace (bad magic at byte 0)" "$TMP/foreign.err"
big=$TMP/live.mmt; [ -f "$big" ] || big=$TMP/fixture.mmt
cp "$big" "$TMP/corrupt.mmt"
printf '\x55\xaa\x55\xaa' | dd of="$TMP/corrupt.mmt" bs=1 seek=300 conv=notrunc 2>/dev/null
"$MMSIM" info --scan "$TMP/corrupt.mmt" >/dev/null 2>"$TMP/corrupt.err"; rc=$?
check_eq "corrupt chunk: info --scan exits 1" 1 "$rc"
check "corrupt chunk: message names file and byte" grep -qE "corrupt.mmt: .*byte [0-9]+" "$TMP/corrupt.err"
"$MMSIM" dump "$TMP/corrupt.mmt" >/dev/null 2>&1; rc=$?
check_eq "corrupt chunk: dump exits 1" 1 "$rc"
size=$(stat -c %s "$big")
head -c $((size - 10)) "$big" >"$TMP/cut.mmt"
"$MMSIM" info --json "$TMP/cut.mmt" >"$TMP/cut.json"; rc=$?
check_eq "cut trace: info exits 0" 0 "$rc"
check_eq "cut trace: reported incomplete" "False" "$(json_get "$TMP/cut.json" complete)"
check "cut trace: reason names the byte" grep -q "cut short at byte $((size - 10))" "$TMP/cut.json"
"$MMSIM" import -q -f lackey --chunk-records 100 "$DATA/small.lackey" -o "$TMP/chunky.mmt"
"$MMSIM" info --json "$TMP/chunky.mmt" >"$TMP/chunky.json"
off=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["chunks"][2]["offset"])' "$TMP/chunky.json")
head -c $((off + 50)) "$TMP/chunky.mmt" >"$TMP/chunky.cut"
"$MMSIM" info --json "$TMP/chunky.cut" >"$TMP/chunky.cut.json"
check_eq "cut mid-chunk: the two whole chunks are read" 200 "$(json_get "$TMP/chunky.cut.json" records)"
check_eq "cut mid-chunk: readable up to the third chunk" "$off" "$(json_get "$TMP/chunky.cut.json" readable_bytes)"
check_eq "cut mid-chunk: dump prints the whole chunks" 200 "$("$MMSIM" dump "$TMP/chunky.cut" 2>/dev/null | wc -l)"
"$MMSIM" info /nonexistent.mmt 2>/dev/null; rc=$?
check_eq "missing file: exit 1" 1 "$rc"
"$MMSIM" info 2>/dev/null; rc=$?
check_eq "usage error: exit 2" 2 "$rc"

# ---- dump --limit and an empty trace
check_eq "dump --limit 3" 3 "$("$MMSIM" dump --limit 3 "$TMP/fixture.mmt" | wc -l)"
: >"$TMP/empty.din"
"$MMSIM" import -q -f din "$TMP/empty.din" -o "$TMP/empty.mmt"
check_eq "empty trace: 0 records" 0 "$("$MMSIM" info --json "$TMP/empty.mmt" | python3 -c 'import json,sys; print(json.load(sys.stdin)["records"])')"

# ---- metadata given on the command line; the kernel object of info --json
"$MMSIM" import -q -f din --meta rusage.min_flt=123 --meta rusage.maj_flt=4 --meta "command=./a.out x" \
    "$DATA/small.din" -o "$TMP/meta.mmt"
"$MMSIM" info --json "$TMP/meta.mmt" >"$TMP/meta.json"
check_eq "kernel.min_flt from rusage.min_flt" 123 "$(json_get "$TMP/meta.json" kernel.min_flt)"
check_eq "kernel.maj_flt from rusage.maj_flt" 4 "$(json_get "$TMP/meta.json" kernel.maj_flt)"
check_eq "--meta command kept" "./a.out x" "$(json_get "$TMP/meta.json" meta.command)"
check_eq "events by type empty" "{}" "$(json_get "$TMP/meta.json" events_by_type)"

# ---- parallel scan: chunks decode on their own, so 3 threads count what 1 thread counts
"$MMSIM" info --json --scan --jobs 1 "$TMP/chunky.mmt" >"$TMP/j1.json"
"$MMSIM" info --json --scan --jobs 3 "$TMP/chunky.mmt" >"$TMP/j3.json"
for k in records ifetches loads stores modifies threads; do
    check_eq "--jobs 3 $k = --jobs 1 $k" "$(json_get "$TMP/j1.json" $k)" "$(json_get "$TMP/j3.json" $k)"
done
check_eq "--jobs 3 records = input accesses" "$(grep -vc '^==' "$DATA/small.lackey")" "$(json_get "$TMP/j3.json" records)"

# ---- an older trace: a DBI trace of tiny_sum written by the format 1.2 tool (before kernel
# access events) reads, replays and shows no kernel accesses
"$MMSIM" info --json --scan "$DATA/dbi_v1_2.mmt" >"$TMP/v12.json"
check_eq "1.2 trace: header minor version 2" "2" "$(python3 -c 'import sys; b=open(sys.argv[1],"rb").read(12); print(b[10] | b[11] << 8)' "$DATA/dbi_v1_2.mmt")"
check_eq "1.2 trace: --scan records = footer records" "$("$MMSIM" info --json "$DATA/dbi_v1_2.mmt" | python3 -c 'import json,sys; print(json.load(sys.stdin)["records"])')" "$(json_get "$TMP/v12.json" records)"
check_eq "1.2 trace: no kernel reads" 0 "$(json_get "$TMP/v12.json" kernel_accesses.reads)"
check_eq "1.2 trace: no kernel writes" 0 "$(json_get "$TMP/v12.json" kernel_accesses.writes)"
"$MMSIM" replay --json --no-progress "$DATA/dbi_v1_2.mmt" >"$TMP/v12.replay.json"
check_eq "1.2 trace: replays, kernel_writes.ranges 0" 0 "$(json_get "$TMP/v12.replay.json" kernel_writes.ranges)"
check "1.2 trace: replay faults > 0" python3 -c 'import json,sys; sys.exit(not json.load(open(sys.argv[1]))["faults"]["minor"] > 0)' "$TMP/v12.replay.json"
