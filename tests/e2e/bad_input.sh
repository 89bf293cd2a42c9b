#!/usr/bin/env bash
# Bad input for every verb: a missing file, a directory, an empty file, a foreign file (/bin/ls
# as a trace, config or CSV), a trace cut short, an unknown option, a bad -s key and bad values.
# Each must exit 1 (bad input) or 2 (usage), never crash (status >= 128 is a signal), and name
# the file and the place. A cut trace stays readable by info, dump, replay and mrc up to its
# last whole chunk and is reported incomplete.
source "$(dirname "$0")/lib.sh"
CFG=$ROOT/configs

# expect_fail "desc" STATUS PATTERN command... : exits with STATUS (1 or 2), stderr matches
# PATTERN (an extended regex naming the file or the option and the place)
expect_fail() {
    local desc=$1 want=$2 pat=$3; shift 3
    "$@" >"$TMP/.out" 2>"$TMP/.err"
    local rc=$?
    if [ "$rc" -ne "$want" ]; then
        echo "not ok - $desc: exit $rc, expected $want"; sed 's/^/#   /' "$TMP/.err" | head -5
    elif grep -qE 'Segmentation fault|Aborted|AddressSanitizer|runtime error' "$TMP/.err"; then
        echo "not ok - $desc: crashed"; sed 's/^/#   /' "$TMP/.err" | head -5
    elif ! grep -qE -- "$pat" "$TMP/.err"; then
        echo "not ok - $desc: message does not match /$pat/"; sed 's/^/#   /' "$TMP/.err" | head -5
    else
        echo "ok - $desc"
    fi
}

# ---- inputs: one short real trace (imported lackey text, fast), and broken ones ----
# A few hundred thousand accesses with small chunks, so cutting it leaves whole chunks.
python3 - "$TMP/in.lackey" <<'EOF'
import sys
with open(sys.argv[1], "w") as f:
    for i in range(200000):
        f.write("I  %08x,4\n" % (0x400000 + (i % 4096) * 4))
        f.write(" L %08x,8\n" % (0x10000000 + (i * 4096 + i * 8) % (64 << 20)))
        if i % 3 == 0:
            f.write(" S %08x,4\n" % (0x20000000 + (i * 64) % (1 << 20)))
EOF
GOOD=$TMP/good.mmt
check "import a lackey trace (the good input)" \
    "$MMSIM" import -q --format lackey --chunk-records 16384 "$TMP/in.lackey" -o "$GOOD"
mkdir "$TMP/adir"
: >"$TMP/empty"
size=$(stat -c %s "$GOOD")
head -c $((size * 2 / 3)) "$GOOD" >"$TMP/cut.mmt"
head -c 30 "$GOOD" >"$TMP/cut30.mmt"        # inside the header
head -c 100 "$GOOD" >"$TMP/cut100.mmt"      # a header and no whole chunk
head -c 10 "$GOOD" >"$TMP/cut10.mmt"
printf '[cpu]\nfoo = 1\n' >"$TMP/badkey.ini"
printf '[tlb.l1d]\nentries = lots\n' >"$TMP/badval.ini"
printf 'pages,bytes,references,misses,miss_ratio\n' >"$TMP/header.csv"
cd "$TMP" || exit 1

# ---- trace readers: info, dump, replay, mrc, export, sweep ----
for verb in info dump replay calibrate mrc "export -f din -o out.din"; do
    expect_fail "$verb: missing file" 1 "nonexist.mmt: cannot open" "$MMSIM" $verb nonexist.mmt
    expect_fail "$verb: a directory" 1 "adir: not a regular file" "$MMSIM" $verb adir
    expect_fail "$verb: an empty file" 1 "empty: not an .mmt trace \(too short: 0 bytes\)" "$MMSIM" $verb empty
    expect_fail "$verb: /bin/ls as a trace" 1 "/bin/ls: not an .mmt trace \(bad magic at byte 0\)" "$MMSIM" $verb /bin/ls
    expect_fail "$verb: 10 bytes of a trace" 1 "cut10.mmt: not an .mmt trace" "$MMSIM" $verb cut10.mmt
    expect_fail "$verb: 30 bytes of a trace (inside the header)" 1 "cut30.mmt: .*at byte [0-9]+" "$MMSIM" $verb cut30.mmt
    expect_fail "$verb: unknown option" 2 "bogus" "$MMSIM" $verb --bogus "$GOOD"
done
expect_fail "info: --jobs 0" 2 "--jobs wants 1..256, not '0'" "$MMSIM" info --scan --jobs 0 "$GOOD"
expect_fail "dump: --limit abc" 2 "bad --limit 'abc'" "$MMSIM" dump --limit abc "$GOOD"
expect_fail "dump: --format zz" 2 "unknown format 'zz'" "$MMSIM" dump --format zz "$GOOD"

# A cut trace: readable up to its last whole chunk, reported incomplete by every reader.
"$MMSIM" info --json "$GOOD" >good.json
"$MMSIM" info --json --scan cut.mmt >cut.json 2>cut.err
check_eq "info --scan on a cut trace exits 0" 0 $?
check_eq "info: the cut trace is incomplete" False "$(json_get cut.json complete)"
check "info: the reason names the byte where it was cut" \
    grep -qE "cut short at byte $((size * 2 / 3))" cut.json
whole=$(json_get cut.json records)
check "info: whole chunks decoded (0 < $whole < $(json_get good.json records), a multiple of 16384)" \
    test "$whole" -gt 0 -a "$whole" -lt "$(json_get good.json records)" -a $((whole % 16384)) -eq 0
"$MMSIM" info --json cut100.mmt >cut100.json 2>/dev/null
check_eq "info: a header and no whole chunk is an incomplete trace of 0 records" "False 0" \
    "$(json_get cut100.json complete) $(json_get cut100.json records)"
"$MMSIM" info cut.mmt >cut.txt
check "info text: INCOMPLETE" grep -q "INCOMPLETE" cut.txt
"$MMSIM" dump cut.mmt >cut.dump 2>cut.err
check_eq "dump: every readable record of the cut trace" "$whole" "$(wc -l <cut.dump)"
check "dump: warns that the trace is cut" grep -q "warning: cut.mmt: .*cut short" cut.err
"$MMSIM" replay -c "$CFG/minimal.ini" --json cut.mmt >cut.replay.json 2>cut.err
check_eq "replay of a cut trace exits 0" 0 $?
check_eq "replay: records = the readable records" "$whole" "$(json_get cut.replay.json records)"
check_eq "replay JSON: incomplete_traces names it" cut.mmt "$(json_get cut.replay.json incomplete_traces.0)"
check "replay: warns on stderr" grep -q "warning: cut.mmt: incomplete trace" cut.err
"$MMSIM" replay -c "$CFG/minimal.ini" --no-progress cut.mmt >cut.replay.txt 2>/dev/null
check "replay text: the header marks it INCOMPLETE" grep -q "^#   cut.mmt (INCOMPLETE" cut.replay.txt
"$MMSIM" replay -c "$CFG/minimal.ini" --json "$GOOD" >good.replay.json 2>/dev/null
check_eq "replay JSON: a whole trace has no incomplete_traces" "[]" \
    "$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["incomplete_traces"])' good.replay.json)"
"$MMSIM" mrc cut.mmt -o cut.mrc.csv 2>cut.err
check_eq "mrc of a cut trace exits 0" 0 $?
check "mrc: warns that the trace is incomplete" grep -q "warning: cut.mmt: incomplete trace" cut.err

"$MMSIM" sweep -c "$CFG/minimal.ini" --vary tlb.l1d.entries=16,32 cut.mmt -o cut.sweep.csv 2>cut.err
check_eq "sweep of a cut trace exits 0" 0 $?
check_eq "sweep: a row a point" 3 "$(wc -l <cut.sweep.csv)"
check_eq "sweep: the cut trace is named once in a warning" 1 "$(grep -c 'warning: .*cut.mmt: incomplete trace' cut.err)"

# A damaged chunk (bytes overwritten in the middle): the readers that decode say which chunk
# and byte; info --scan checks every chunk.
cp "$GOOD" bad.mmt
printf '\xff\x00\xaa\x55' | dd of=bad.mmt bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
for verb in "info --scan" dump replay mrc "export -f lackey -o out.lackey"; do
    expect_fail "$verb: a damaged chunk names the chunk and its byte" 1 "^mmsim [a-z]+: bad.mmt: chunk [0-9]+ at byte [0-9]+: " \
        "$MMSIM" $verb bad.mmt
done

# ---- configurations: replay -c, config show, -s ----
for verb in replay config; do
    if [ $verb = config ]; then run=("$MMSIM" config show); tr=(); else run=("$MMSIM" replay); tr=("$GOOD"); fi
    expect_fail "$verb: missing config" 1 "nonexist.ini: cannot open: No such file" "${run[@]}" -c nonexist.ini "${tr[@]}"
    expect_fail "$verb: a directory as config" 1 "adir: cannot read: Is a directory" "${run[@]}" -c adir "${tr[@]}"
    expect_fail "$verb: an empty config" 1 "empty: cannot read: empty file" "${run[@]}" -c empty "${tr[@]}"
    expect_fail "$verb: /bin/ls as config" 1 "/bin/ls:1: " "${run[@]}" -c /bin/ls "${tr[@]}"
    expect_fail "$verb: unknown key names file and line" 1 "badkey.ini:2: cpu.foo: unknown key" "${run[@]}" -c badkey.ini "${tr[@]}"
    expect_fail "$verb: bad value names file, line and key" 1 "badval.ini:2: tlb.l1d.entries: bad value 'lots'" \
        "${run[@]}" -c badval.ini "${tr[@]}"
    expect_fail "$verb: -s unknown section" 1 "-s option 1: \[nosuch\]: unknown section" "${run[@]}" -s nosuch.key=1 "${tr[@]}"
    expect_fail "$verb: -s unknown key" 1 "-s option 2: cpu.nokey: unknown key" \
        "${run[@]}" -s cpu.count=1 -s cpu.nokey=1 "${tr[@]}"
    expect_fail "$verb: -s bad value" 1 "-s option 1: cpu.freq_ghz: bad value '-1'" "${run[@]}" -s cpu.freq_ghz=-1 "${tr[@]}"
    expect_fail "$verb: -s without =" 1 "-s option 1: 'novalue': expected section.key=value" "${run[@]}" -s novalue "${tr[@]}"
done
printf 'include = empty\n' >inc.ini
expect_fail "config: an empty include names the including file and line" 1 "inc.ini:1: include 'empty'" \
    "$MMSIM" config show -c inc.ini
expect_fail "config: unknown subcommand" 2 "usage: mmsim config show" "$MMSIM" config bogus
expect_fail "replay: --vmstat abc" 2 "--vmstat: 'abc'" "$MMSIM" replay --vmstat abc "$GOOD"
expect_fail "replay: no trace" 2 "no trace given" "$MMSIM" replay
expect_fail "replay: -o into a missing folder" 1 "/nonexist/x.json: cannot create" "$MMSIM" replay -o /nonexist/x.json "$GOOD"

# ---- mrc options ----
expect_fail "mrc: --page-size 3K" 2 "bad value '3K' for --page-size" "$MMSIM" mrc --page-size 3K "$GOOD"
expect_fail "mrc: --sample 2" 2 "bad value '2' for --sample" "$MMSIM" mrc --sample 2 "$GOOD"
expect_fail "mrc: --sizes a" 1 "--sizes: 'a' is not a size" "$MMSIM" mrc --sizes a "$GOOD"
expect_fail "mrc: --swap-config missing" 1 "nonexist.ini: cannot open" "$MMSIM" mrc --swap-config nonexist.ini "$GOOD"
expect_fail "mrc: --swap-config a directory" 1 "adir: cannot read: Is a directory" "$MMSIM" mrc --swap-config adir "$GOOD"
expect_fail "mrc: --swap-config empty" 1 "empty: no \[swap\] section" "$MMSIM" mrc --swap-config empty "$GOOD"
expect_fail "mrc: --swap-config with no [swap]" 1 "badkey.ini: no \[swap\] section" "$MMSIM" mrc --swap-config badkey.ini "$GOOD"
expect_fail "mrc: --swap-config /bin/ls" 1 "/bin/ls:[0-9]+: " "$MMSIM" mrc --swap-config /bin/ls "$GOOD"
expect_fail "mrc: -o into a missing folder" 1 "/nonexist/m.csv: cannot create" "$MMSIM" mrc -o /nonexist/m.csv "$GOOD"

# ---- sweep ----
vary=(--vary tlb.l1d.entries=16,32)
expect_fail "sweep: missing trace" 1 "nonexist.mmt: No such file" "$MMSIM" sweep -c "$CFG/minimal.ini" "${vary[@]}" nonexist.mmt -o s1.csv
expect_fail "sweep: /bin/ls as a trace" 1 "/bin/ls: not an .mmt trace" "$MMSIM" sweep -c "$CFG/minimal.ini" "${vary[@]}" /bin/ls -o s2.csv
expect_fail "sweep: bad --vary value names the key" 1 "tlb.l1d.entries: bad value 'abc'" \
    "$MMSIM" sweep -c "$CFG/minimal.ini" --vary tlb.l1d.entries=16,abc "$GOOD" -o s3.csv
expect_fail "sweep: --vary without =" 2 "--vary 'nokey'" "$MMSIM" sweep -c "$CFG/minimal.ini" --vary nokey "$GOOD" -o s4.csv
expect_fail "sweep: a directory as config" 1 "adir: cannot read: Is a directory" "$MMSIM" sweep -c adir "${vary[@]}" "$GOOD" -o s5.csv
expect_fail "sweep: a bad fixed -s fails once, before any point" 1 "^mmsim sweep: -s option 1: cpu.nokey: unknown key" \
    "$MMSIM" sweep -c "$CFG/minimal.ini" -s cpu.nokey=1 "${vary[@]}" "$GOOD" -o s9.csv
expect_fail "sweep: -j abc" 2 "-j wants 1..1024" "$MMSIM" sweep -c "$CFG/minimal.ini" "${vary[@]}" -j abc "$GOOD" -o s6.csv
expect_fail "sweep: no -o" 2 "usage: mmsim sweep" "$MMSIM" sweep -c "$CFG/minimal.ini" "${vary[@]}" "$GOOD"
expect_fail "sweep: unknown option" 2 "bogus" "$MMSIM" sweep --bogus
expect_fail "sweep: --collect a missing folder" 1 "nonexist.d" "$MMSIM" sweep --collect nonexist.d -o s7.csv
check "sweep: --collect did not make the folder it was asked to read" test ! -e nonexist.d
cp /bin/ls s8.csv
expect_fail "sweep: -o a foreign file" 1 "s8.csv: " "$MMSIM" sweep -c "$CFG/minimal.ini" "${vary[@]}" "$GOOD" -o s8.csv

# ---- plot ----
"$MMSIM" mrc "$GOOD" -o good.mrc.csv 2>/dev/null
for kind in mrc tlb thrashing timeline walk; do
    expect_fail "plot $kind: missing file" 1 "nonexist.csv: No such file" "$MMSIM" plot $kind nonexist.csv -o p.png
    expect_fail "plot $kind: a directory" 1 "adir: Is a directory" "$MMSIM" plot $kind adir -o p.png
    expect_fail "plot $kind: an empty file" 1 "empty: no header line" "$MMSIM" plot $kind empty -o p.png
    expect_fail "plot $kind: /bin/ls" 1 "/bin/ls: " "$MMSIM" plot $kind /bin/ls -o p.png
done
expect_fail "plot: a CSV with only its header" 1 "header.csv: a header line and no data rows" "$MMSIM" plot mrc header.csv -o p.png
printf 'pages,bytes,references,misses,miss_ratio\n1,abc,3,2,0.5\n' >badnum.csv
expect_fail "plot: a bad number names file, line and column" 1 "badnum.csv:2: column 'bytes': 'abc'" \
    "$MMSIM" plot mrc badnum.csv -o p.png
printf 'cycles,minor_faults,rss_pages\n1000,3,5\n' >one.csv
expect_fail "plot timeline: one sample says why" 1 "one.csv: 1 sample, a timeline needs two" "$MMSIM" plot timeline one.csv -o p.png
expect_fail "plot: unknown kind" 2 "unknown kind 'bogus'" "$MMSIM" plot bogus good.mrc.csv -o p.png
expect_fail "plot: bad output extension" 2 "p.xyz: the output must end in" "$MMSIM" plot mrc good.mrc.csv -o p.xyz
expect_fail "plot: --size abc" 2 "--size wants W,H" "$MMSIM" plot mrc good.mrc.csv -o p.png --size abc
expect_fail "plot: --x a missing column" 1 "good.mrc.csv: no column 'nocol'" "$MMSIM" plot mrc good.mrc.csv -o p.png --x nocol

# ---- import ----
for fmt in lackey pinatrace din champsim; do
    expect_fail "import $fmt: missing file" 1 "nonexist: cannot open" "$MMSIM" import --format $fmt nonexist -o i.mmt
    expect_fail "import $fmt: a directory" 1 "adir" "$MMSIM" import --format $fmt adir -o i.mmt
done
for fmt in lackey pinatrace din; do
    expect_fail "import $fmt: /bin/ls names the line" 1 "/bin/ls:1: NUL byte" "$MMSIM" import --format $fmt /bin/ls -o i.mmt
done
expect_fail "import champsim: /bin/ls names the byte offset" 1 "/bin/ls: byte [0-9]+ \(instruction [0-9]+\)" \
    "$MMSIM" import --format champsim /bin/ls -o i.mmt
check "import: nothing is left behind by a failed import" test ! -e i.mmt
printf '0 1000\n2 zz\n' >bad.din
expect_fail "import din: a bad line names file and line" 1 "bad.din:2: bad din address" "$MMSIM" import --format din bad.din -o i.mmt
expect_fail "import: unknown format" 2 "unknown format 'bogus'" "$MMSIM" import --format bogus bad.din -o i.mmt
expect_fail "import: --level abc" 2 "--level wants 1..22, not 'abc'" "$MMSIM" import --format din --level abc bad.din -o i.mmt
expect_fail "import: -o into a missing folder" 1 "/nonexist/i.mmt: cannot create" "$MMSIM" import --format din "$TMP/in.lackey" -o /nonexist/i.mmt

# ---- record (no program is run for the usage errors) ----
expect_fail "record: unknown option" 2 "bogus" "$MMSIM" record --bogus -- true
expect_fail "record: --backend zz" 2 "--backend zz: expected dbi or ptrace" "$MMSIM" record -o r.mmt --backend zz -- true
expect_fail "record: --zstd-level 99" 2 "--zstd-level 99" "$MMSIM" record -o r.mmt --zstd-level 99 -- true
expect_fail "record: no program" 2 "no program given" "$MMSIM" record -o r.mmt
expect_fail "record: -o a directory" 2 "adir: cannot create: Is a directory" "$MMSIM" record -o adir -- true
expect_fail "record --events-only: a missing program" 127 "cannot execute ./nonexist" \
    "$MMSIM" record --events-only --no-native-run -o r.mmt -- ./nonexist
"$MMSIM" info --json r.mmt >r.json 2>/dev/null
check_eq "record: the trace of a program that never started is marked incomplete" False "$(json_get r.json complete)"

# ---- the verb table ----
expect_fail "mmsim: unknown verb" 2 "unknown verb 'bogus'" "$MMSIM" bogus
expect_fail "mmsim: no verb" 2 "usage: mmsim VERB" "$MMSIM"
for verb in record import export info dump replay calibrate config sweep mrc plot; do
    "$MMSIM" $verb --help >help.out 2>&1
    check_eq "$verb --help exits 0" 0 $?
    check "$verb --help prints the usage" grep -q "usage: mmsim $verb" help.out
done
