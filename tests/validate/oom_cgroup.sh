#!/usr/bin/env bash
# OOM validation: which process does the kernel's OOM killer choose, and what does
# /proc/PID/oom_score show, compared with mmsim's OOM model (model/oom_kill.c).
#
# 1. Kernel: three oom_alloc programs allocate 20, 30 and 70 MiB at the same pace (1 MiB
#    every STEP_MS) in one memory cgroup limited to 100 MiB without swap; the one the kernel
#    kills exits with SIGKILL (status 137) and dmesg names it.
# 2. Kernel: a live process holding 64 MiB; /proc/PID/oom_score against oom_badness()'s
#    formula on its /proc/PID/status counters (VmRSS + VmSwap + VmPTE / page size, totalpages
#    = MemTotal + SwapTotal): (1000 + points * 1000 / totalpages) * 2 / 3.
# 3. Model: the three programs recorded with `mmsim record`, replayed together with
#    memory.size=100M and swap.size=0: the kill in `oom.kills[]` must name the trace of the
#    program the kernel killed; processes[i].oom_score_peak for the 64 MiB holder must equal
#    the kernel's oom_score with the machine's memory configured.
# Needs root and a memory cgroup (v1 or v2); prints TAP lines.
source "$(dirname "$0")/../e2e/lib.sh"
PROG=$PROGS/oom_alloc
STEP_MS=${STEP_MS:-10}
LIMIT_MIB=100
SIZES=(20 30 70)

# With OOM_RESULTS=FILE each comparison also appends "what|kernel|model|ok or FAIL" to FILE
# (tests/validate.sh prints them as a table).
OOM_RESULTS=${OOM_RESULTS:-}
# compare WHAT KERNEL MODEL TAPLINE: record one row of the model-vs-kernel table
compare() {
    local r=ok
    case $4 in "not ok"*) r=FAIL ;; esac
    if [ -n "$OOM_RESULTS" ]; then echo "$1|$2|$3|$r" >>"$OOM_RESULTS"; fi
    echo "$4"
}

if [ "$(id -u)" != 0 ]; then
    echo "# oom_cgroup: skipped, needs root to create a memory cgroup"; exit 0
fi
[ -x "$PROG" ] || { echo "not ok - oom_cgroup: $PROG missing (make build)"; exit 1; }

# ---- a child memory cgroup of our own, v1 or v2 ----
cgroup_dir() {
    local rel
    if [ -f /sys/fs/cgroup/cgroup.controllers ] && grep -qw memory /sys/fs/cgroup/cgroup.controllers; then
        rel=$(awk -F: '$1=="0"{print $3}' /proc/self/cgroup)
        echo "v2 /sys/fs/cgroup$rel"
    elif [ -d /sys/fs/cgroup/memory ]; then
        rel=$(awk -F: '$2=="memory"{print $3}' /proc/self/cgroup)
        echo "v1 /sys/fs/cgroup/memory$rel"
    fi
}
read -r CGV CGPARENT < <(cgroup_dir)
if [ -z "${CGV:-}" ]; then echo "not ok - oom_cgroup: no memory cgroup on this machine"; exit 1; fi
CG=$CGPARENT/mmsim-oom-$$
mkdir "$CG" || { echo "not ok - oom_cgroup: cannot create $CG"; exit 1; }
cleanup_cg() { rmdir "$CG" 2>/dev/null; rm -rf "$TMP"; }
trap cleanup_cg EXIT
if [ "$CGV" = v1 ]; then
    echo $((LIMIT_MIB << 20)) >"$CG/memory.limit_in_bytes"
    [ -f "$CG/memory.memsw.limit_in_bytes" ] && echo $((LIMIT_MIB << 20)) >"$CG/memory.memsw.limit_in_bytes"
    echo 0 >"$CG/memory.swappiness" 2>/dev/null
else
    echo $((LIMIT_MIB << 20)) >"$CG/memory.max"
    echo 0 >"$CG/memory.swap.max" 2>/dev/null
fi
echo "# memory cgroup $CGV at $CG, limit ${LIMIT_MIB} MiB, no swap, ${STEP_MS} ms per MiB"

# ---- 1. the kernel's choice ----
dmesg_before=$(dmesg 2>/dev/null | wc -l)
pids=()
for m in "${SIZES[@]}"; do
    sh -c 'echo $$ >"$1/cgroup.procs" && exec "$2" "$3" "$4" 2' sh "$CG" "$PROG" "$m" "$STEP_MS" \
        >"$TMP/out.$m" 2>&1 &
    pids+=($!)
done
killed_kernel=""
for i in "${!SIZES[@]}"; do
    wait "${pids[$i]}"; rc=$?
    echo "# kernel: oom_alloc ${SIZES[$i]} MiB (pid ${pids[$i]}) exit status $rc"
    if [ "$rc" = 137 ]; then killed_kernel="$killed_kernel${killed_kernel:+,}${SIZES[$i]}"; fi
done
kill_line=$(dmesg 2>/dev/null | tail -n +"$((dmesg_before + 1))" | grep -m1 'out of memory: Killed process' || true)
[ -n "$kill_line" ] && echo "# dmesg: ${kill_line#*] }"
compare "kernel: victim of a 100 MiB memcg (20/30/70 MiB allocators)" "$killed_kernel MiB" "(expected 70 MiB)" \
    "$(check_eq "kernel: the memcg OOM killer kills exactly the 70 MiB process" "70" "$killed_kernel")"
if [ -n "$kill_line" ]; then
    kpid=$(sed -n 's/.*Killed process \([0-9]*\).*/\1/p' <<<"$kill_line")
    check_eq "kernel: dmesg names the 70 MiB process" "${pids[2]}" "$kpid"
fi

# ---- 2. /proc/PID/oom_score of a live 64 MiB holder vs the formula ----
"$PROG" 64 0 3 >"$TMP/hold.out" &
hold=$!
for _ in $(seq 100); do grep -q holding "$TMP/hold.out" 2>/dev/null && break; sleep 0.05; done
score=$(cat /proc/$hold/oom_score)
read -r rss_kb swap_kb pte_kb < <(awk '/^VmRSS/{r=$2} /^VmSwap/{s=$2} /^VmPTE/{p=$2} END{print r+0, s+0, p+0}' /proc/$hold/status)
adj=$(cat /proc/$hold/oom_score_adj)
read -r mem_kb swapt_kb < <(awk '/^MemTotal/{m=$2} /^SwapTotal/{s=$2} END{print m, s}' /proc/meminfo)
page_kb=$(( $(getconf PAGESIZE) / 1024 ))
wait $hold
formula=$(awk -v r="$rss_kb" -v s="$swap_kb" -v p="$pte_kb" -v m="$mem_kb" -v st="$swapt_kb" -v pk="$page_kb" -v adj="$adj" 'BEGIN {
    total = int(m / pk) + int(st / pk)
    points = int(r / pk) + int(s / pk) + int(p / pk) + adj * int(total / 1000)
    print int((1000 + int(points * 1000 / total)) * 2 / 3) }')
echo "# kernel: 64 MiB holder: VmRSS ${rss_kb} kB, VmPTE ${pte_kb} kB, MemTotal ${mem_kb} kB, SwapTotal ${swapt_kb} kB: oom_score $score, formula $formula"
compare "kernel: oom_score of a 64 MiB holder vs the oom_badness formula" "$score" "$formula (formula)" \
    "$(check_eq "kernel: /proc/PID/oom_score of a 64 MiB holder equals the oom_badness formula" "$formula" "$score")"
echo "$score $rss_kb $pte_kb $mem_kb $swapt_kb" >"$TMP/hold.kernel"

# ---- 3. the model on traces of the same programs ----
if "$MMSIM" replay --help 2>&1 | grep -q "not in this build"; then
    echo "not ok - model: mmsim replay is not in this build, the model side cannot run"
    exit 0
fi
traces=()
for m in "${SIZES[@]}"; do
    t=$TMP/oom_alloc_$m.mmt
    "$MMSIM" record --no-counters --no-native-run -o "$t" -- "$PROG" "$m" "$STEP_MS" 2 >/dev/null 2>"$TMP/rec.$m.err" ||
        { echo "not ok - model: recording oom_alloc $m failed"; sed 's/^/#   /' "$TMP/rec.$m.err" | head; exit 0; }
    traces+=("$t")
done
# the model's memory cgroup (memcg.limit) holds the three processes, as the kernel's did
"$MMSIM" replay --no-progress -c "$ROOT/configs/default.ini" -s memory.size=1G -s memcg.limit=${LIMIT_MIB}M -s swap.size=0 --json "${traces[@]}" >"$TMP/model.json" 2>"$TMP/model.err" ||
    { echo "not ok - model: replay failed"; sed 's/^/#   /' "$TMP/model.err" | head; exit 0; }
"$MMSIM" replay --no-progress -c "$ROOT/configs/default.ini" -s memory.size=${LIMIT_MIB}M -s swap.size=0 --json "${traces[@]}" >"$TMP/model_global.json" 2>>"$TMP/model.err" ||
    { echo "not ok - model: replay failed"; sed 's/^/#   /' "$TMP/model.err" | head; exit 0; }
killed_model=$(python3 - "$TMP/model.json" <<'PY'
import json, re, sys
j = json.load(open(sys.argv[1]))
kills = j.get("oom", {}).get("kills", [])
print(",".join(re.sub(r".*oom_alloc_(\d+)\.mmt$", r"\1", k["trace"]) for k in kills))
PY
)
compare "victim, memcg.limit=100M, no swap" "$killed_kernel MiB" "$killed_model MiB" \
    "$(check_eq "model: a 100 MiB memory cgroup without swap kills the same process as the kernel" "$killed_kernel" "$killed_model")"
killed_global=$(python3 - "$TMP/model_global.json" <<'PY'
import json, re, sys
j = json.load(open(sys.argv[1]))
print(",".join(re.sub(r".*oom_alloc_(\d+)\.mmt$", r"\1", k["trace"]) for k in j["oom"]["kills"]))
PY
)
compare "victim, memory.size=100M, no swap" "$killed_kernel MiB" "$killed_global MiB" \
    "$(check_eq "model: memory.size=100M without a cgroup kills the same process" "$killed_kernel" "$killed_global")"
if [ -n "$kill_line" ]; then
    k_anon=$(sed -n 's/.*anon-rss:\([0-9]*\)kB.*/\1/p' <<<"$kill_line")
    m_anon=$(json_get "$TMP/model.json" oom.kills.0.anon_rss_kb)
    echo "# victim's anon-rss when killed: kernel ${k_anon} kB, model ${m_anon} kB"
    compare "victim's anon-rss at the kill, kB (10%)" "$k_anon" "$m_anon" \
        "$(check_near "model: the victim's anon-rss at the kill is within 10% of the kernel's" "$k_anon" "$m_anon" 0.10)"
fi

t=$TMP/hold64.mmt
"$MMSIM" record --no-counters --no-native-run -o "$t" -- "$PROG" 64 0 0 >/dev/null 2>&1
"$MMSIM" replay --no-progress -c "$ROOT/configs/default.ini" -s memory.size=${mem_kb}K -s swap.size=${swapt_kb}K --json "$t" >"$TMP/hold.json" 2>"$TMP/hold.err" ||
    { echo "not ok - model: replay of the 64 MiB holder failed"; sed 's/^/#   /' "$TMP/hold.err" | head; exit 0; }
peak=$(json_get "$TMP/hold.json" processes.0.oom_score_peak)
compare "oom_score of a 64 MiB holder (oom_score_peak)" "$score" "$peak" \
    "$(check_eq "model: oom_score_peak of the 64 MiB holder equals the kernel's /proc/PID/oom_score" "$score" "$peak")"
