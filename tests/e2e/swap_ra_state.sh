#!/usr/bin/env bash
# The kernel's machine-wide swap-readahead state, which the model starts from
# (swap.ra_initial_hits: swapin_readahead_hits is ATOMIC_INIT(4)) and which
# tests/progs/swap_ra_prime resets before each kernel run of `make validate-thrash`. On a
# swap area on a rotational device the kernel reads ahead by slot with a window from the
# readahead hits since the last miss: 4 hits give roundup_pow_of_two(4 + 2) = 8 pages. With
# page-cluster raised to 4 (16 pages at most; restored after), swap_ra_prime --probe
# leaves the state and then misses on an untouched aligned block of 16 slots: the kernel
# must read exactly 7 pages ahead (a window of 8; 15 would mean 7 hits or more, fewer that
# the state was not what the primer says). The model's default must be the same 4.
# Needs root and a swap area on a rotational device (one is made for the test, 64 MiB in
# /var/tmp, if none is on); skipped otherwise, saying why.
source "$(dirname "$0")/lib.sh"

NAME="the kernel's swap-readahead state left by swap_ra_prime"
[ "$(id -u)" = 0 ] || { echo "ok - $NAME # SKIP needs root (swap, page-cluster)"; exit 0; }
SWAPFILE=""
PC=$(cat /proc/sys/vm/page-cluster)
cleanup() {
    echo "$PC" >/proc/sys/vm/page-cluster
    if [ -n "$SWAPFILE" ]; then swapoff "$SWAPFILE" 2>/dev/null; rm -f "$SWAPFILE"; fi
    rm -rf "$TMP"
}
trap cleanup EXIT
if [ "$(awk 'NR > 1' /proc/swaps | wc -l)" = 0 ]; then
    SWAPFILE=/var/tmp/mmsim-ra-swap-$$
    if ! { fallocate -l 64M "$SWAPFILE" 2>/dev/null || dd if=/dev/zero of="$SWAPFILE" bs=1M count=64 status=none; } ||
       ! chmod 600 "$SWAPFILE" || ! mkswap -q "$SWAPFILE" >/dev/null || ! swapon "$SWAPFILE" 2>/dev/null; then
        rm -f "$SWAPFILE"; SWAPFILE=""
        echo "ok - $NAME # SKIP no swap area can be made on /var/tmp"; exit 0
    fi
fi
# the area pages go to first: the highest priority
area=$(awk 'NR > 1 { print $5, $1 }' /proc/swaps | sort -rn | head -1 | cut -d' ' -f2)
dev=$(df --output=source "$area" 2>/dev/null | tail -1)
[ -b "$area" ] && dev=$area
rota=$(lsblk -ndo ROTA "$dev" 2>/dev/null | tr -d ' ')
[ -z "$rota" ] && rota=$(cat "/sys/block/$(basename "$(lsblk -ndo PKNAME "$dev" 2>/dev/null || echo "$dev")")/queue/rotational" 2>/dev/null)
if [ "$rota" != 1 ]; then
    echo "ok - $NAME # SKIP swap area $area is not on a rotational device (readahead by address, per VMA)"; exit 0
fi

echo 4 >/proc/sys/vm/page-cluster
"$PROGS/swap_ra_prime" --probe >"$TMP/probe.txt" 2>"$TMP/probe.err"; rc=$?
err=$(head -1 "$TMP/probe.err")
check_eq "swap_ra_prime left the state${err:+ ($err)}" 0 "$rc"
ra=$(awk '/^probe:/ { print $6 }' "$TMP/probe.txt")
check_eq "a miss after it reads 7 pages ahead (4 hits: a window of 8), page-cluster 4" 7 "${ra:-none}"
hits=$("$MMSIM" config keys | awk -F'|' '$2 ~ /`swap.ra_initial_hits`/ { gsub(/ /, "", $4); print $4 }')
check_eq "the model starts from the same 4 hits (swap.ra_initial_hits)" 4 "${hits:-none}"
