#!/bin/bash
# kswapd is a kernel thread of the scheduler: its balancing rounds take time in its own slices.
# One process writes 70 MiB into 48 MiB of memory with swap: on one CPU the elapsed time is
# the process's time plus kswapd's (hand-checked identity cycles = busy + idle + kswapd); on two
# CPUs kswapd runs on the other one, so the elapsed time is about the process's alone.
source "$(dirname "$0")/lib.sh"

awk -v n=$((70 * 256)) 'BEGIN { for (i = 0; i < n; i++) printf " S %x,8\n", 268435456 + i * 4096 }' >"$TMP/a.txt"
check "import the 70 MiB writer" "$MMSIM" import -q -f lackey "$TMP/a.txt" -o "$TMP/a.mmt"
for c in 1 2; do
    check "replay on $c CPU(s)" "$MMSIM" replay --no-progress -c "$ROOT/configs/default.ini" -s cpu.count=$c \
        -s memory.size=48M -s swap.size=128M -o "$TMP/k$c.json" "$TMP/a.mmt"
done
get() { json_get "$TMP/k$1.json" "$2"; }

ks1=$(get 1 psi.kswapd_cpu_cycles)
check "kswapd ran ($ks1 cycles in $(get 1 psi.kswapd_slices) slices)" test "$ks1" -gt 0
check "kswapd reclaimed pages" test "$(get 1 reclaim.pgsteal_kswapd)" -gt 0
check_eq "1 CPU: no direct reclaim (kswapd keeps up)" 0 "$(get 1 reclaim.allocstall)"
check_near "1 CPU: cycles = busy + idle + kswapd" "$(get 1 cycles)" \
    "$(( $(get 1 busy_cycles) + $(get 1 idle_cycles) + ks1 ))" 0.0001
check_near "1 CPU: kswapd_cpu_share = kswapd cycles / elapsed" "$(get 1 psi.kswapd_cpu_share)" \
    "$(python3 -c "print($ks1 / $(get 1 cycles))")" 0.001
check_near "2 CPUs: kswapd's work is the same" "$ks1" "$(get 2 psi.kswapd_cpu_cycles)" 0.01
# on two CPUs kswapd overlaps the process: elapsed well below process + kswapd time
el2=$(get 2 cycles) sum2=$(( $(get 2 busy_cycles) + $(get 2 psi.kswapd_cpu_cycles) ))
check "2 CPUs: kswapd ran beside the process (elapsed $el2 < 0.9 x $sum2)" \
    awk -v e="$el2" -v s="$sum2" 'BEGIN { exit !(e < 0.9 * s) }'
check_near "2 CPUs: kswapd_cpu_share counts both CPUs" "$(get 2 psi.kswapd_cpu_share)" \
    "$(python3 -c "print($(get 2 psi.kswapd_cpu_cycles) / (2 * $el2))")" 0.001
