#!/usr/bin/env bash
# make validate-thrash: the thrashing knee of the kernel against the model's.
#
# Kernel (root only): a temporary swap file is added; `thrash_sweep MIB PASSES` (a
# sequential sweep of a MIB working set, PASSES times) runs in a memory cgroup whose limit
# goes from well above to well below the working set; runtime and major faults are
# measured (GNU time); the swap file is removed. The time a major fault costs is measured
# as (runtime - runtime with no swapping) / major faults at the smallest limit.
# Model: the same program, recorded once, replayed in a 1 GiB machine with a memory cgroup
# (memcg.limit) at each limit, as the kernel ran it; swap with the measured latency per
# request (and otherwise the NVMe preset).
# The knee: the largest memory size whose runtime is at least twice the runtime with
# ample memory. Target: the model's knee within 10% of the kernel's.
# Prints Markdown tables and TAP lines. Options: WS_MIB, PASSES, LIMITS (env).
source "$(dirname "$0")/../e2e/lib.sh"
PROG=$PROGS/thrash_sweep
WS_MIB=${WS_MIB:-32}
PASSES=${PASSES:-4}
LIMITS=${LIMITS:-"48 40 36 34 33 32 31 30 28 24"}
GNU_TIME=/usr/bin/time

if [ "$(id -u)" != 0 ]; then
    echo "# validate-thrash: skipped, needs root (swap file, memory cgroup)"; exit 0
fi
[ -x "$PROG" ] && [ -x "$GNU_TIME" ] || { echo "not ok - thrash: $PROG or $GNU_TIME missing"; exit 1; }

# ---- the memory cgroup (v1 or v2) ----
if [ -f /sys/fs/cgroup/cgroup.controllers ] && grep -qw memory /sys/fs/cgroup/cgroup.controllers; then
    CGV=v2; CGPARENT=/sys/fs/cgroup$(awk -F: '$1=="0"{print $3}' /proc/self/cgroup)
elif [ -d /sys/fs/cgroup/memory ]; then
    CGV=v1; CGPARENT=/sys/fs/cgroup/memory$(awk -F: '$2=="memory"{print $3}' /proc/self/cgroup)
else
    echo "not ok - thrash: no memory cgroup"; exit 1
fi
CG=$CGPARENT/mmsim-thrash-$$
SWAPFILE=/var/tmp/mmsim-swap-$$
cleanup() {
    rmdir "$CG" 2>/dev/null
    if grep -q "^$SWAPFILE " /proc/swaps; then swapoff "$SWAPFILE"; fi
    rm -f "$SWAPFILE"
    rm -rf "$TMP"
}
trap cleanup EXIT

# ---- a temporary swap file ----
swap_mib=$((WS_MIB * 4))
if ! { fallocate -l ${swap_mib}M "$SWAPFILE" 2>/dev/null || dd if=/dev/zero of="$SWAPFILE" bs=1M count=$swap_mib status=none; } ||
   ! chmod 600 "$SWAPFILE" || ! mkswap -q "$SWAPFILE" >/dev/null || ! swapon "$SWAPFILE"; then
    echo "not ok - thrash: cannot add a swap file at $SWAPFILE"; exit 1
fi
echo "# swap file $SWAPFILE, $swap_mib MiB; memory cgroup $CGV at $CG"
mkdir "$CG" || { echo "not ok - thrash: cannot create $CG"; exit 1; }
set_limit() { # MiB
    if [ $CGV = v1 ]; then
        [ -f "$CG/memory.memsw.limit_in_bytes" ] && echo -1 >"$CG/memory.memsw.limit_in_bytes"
        echo $(($1 << 20)) >"$CG/memory.limit_in_bytes"
        [ -f "$CG/memory.memsw.limit_in_bytes" ] && echo $(( ($1 + swap_mib) << 20 )) >"$CG/memory.memsw.limit_in_bytes"
    else
        echo $(($1 << 20)) >"$CG/memory.max"
        echo max >"$CG/memory.swap.max"
    fi
}

# ---- kernel runs ----
declare -A K_TIME K_MAJ
for L in $LIMITS; do
    set_limit "$L"
    t0=$(date +%s%N)
    sh -c 'echo $$ >"$1/cgroup.procs" && exec "$2" -f "%F" -o "$3" "$4" "$5" "$6"' sh "$CG" "$GNU_TIME" \
        "$TMP/time.$L" "$PROG" "$WS_MIB" "$PASSES" >/dev/null 2>&1
    t1=$(date +%s%N)
    t=$(awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.4f", (b - a) / 1e9 }')
    read -r maj <"$TMP/time.$L"
    K_TIME[$L]=$t; K_MAJ[$L]=$maj
    echo "# kernel: limit $L MiB: ${t}s, $maj major faults"
done

first=${LIMITS%% *}; last=${LIMITS##* }
base=${K_TIME[$first]}
lat_us=$(awk -v t="${K_TIME[$last]}" -v b="$base" -v m="${K_MAJ[$last]}" 'BEGIN { if (m > 0 && t > b) printf "%d", (t - b) * 1e6 / m; else print 100 }')
echo "# kernel: one major fault costs ~${lat_us} us at the smallest limit"

# ---- model runs ----
trace=$TMP/thrash.mmt
"$MMSIM" record --no-counters --no-native-run -o "$trace" -- "$PROG" "$WS_MIB" "$PASSES" >/dev/null 2>"$TMP/rec.err" ||
    { echo "not ok - thrash: recording failed"; sed 's/^/#   /' "$TMP/rec.err" | head; exit 1; }
cat >"$TMP/machine.ini" <<INI
include = $ROOT/configs/default.ini
include = $ROOT/configs/swap/nvme.ini
INI
declare -A M_TIME M_MAJ
for L in $LIMITS; do
    "$MMSIM" replay --no-progress --json -c "$TMP/machine.ini" -s memory.size=1G -s memcg.limit=${L}M -s swap.size=${swap_mib}M \
        -s swap.read_latency=${lat_us}us -s swap.write_latency=${lat_us}us "$trace" >"$TMP/m$L.json" ||
        { echo "not ok - thrash: replay at $L MiB failed"; exit 1; }
    M_TIME[$L]=$(python3 -c 'import json,sys; j=json.load(open(sys.argv[1])); print(j["cycles"] / 3e9)' "$TMP/m$L.json")
    M_MAJ[$L]=$(json_get "$TMP/m$L.json" processes.0.faults.major)
done

knee() { # name of the associative array of times: the largest limit with time >= 2 x base
    local -n T=$1; local b=${T[$first]} k=""
    for L in $LIMITS; do
        if awk -v t="${T[$L]}" -v b="$b" 'BEGIN { exit !(t >= 2 * b) }'; then k=$L; break; fi
    done
    echo "${k:-none}"
}
kk=$(knee K_TIME); mk=$(knee M_TIME)
echo
echo "| memory limit (MiB) | kernel runtime (s) | kernel major faults | model runtime (s) | model major faults |"
echo "|---|---|---|---|---|"
for L in $LIMITS; do
    printf '| %s | %s | %s | %.4f | %s |\n' "$L" "${K_TIME[$L]}" "${K_MAJ[$L]}" "${M_TIME[$L]}" "${M_MAJ[$L]}"
done
echo
echo "Working set ${WS_MIB} MiB x ${PASSES} passes; swap ${swap_mib} MiB; measured major-fault cost ${lat_us} us."
echo "Knee (largest limit with runtime >= 2x the runtime at ${first} MiB): kernel ${kk} MiB, model ${mk} MiB."
echo
if [ "$kk" = none ] || [ "$mk" = none ]; then
    echo "not ok - thrash: no knee found (kernel $kk, model $mk)"
else
    check_near "thrash: the model's knee is within 10% of the kernel's" "$kk" "$mk" 0.10
fi
