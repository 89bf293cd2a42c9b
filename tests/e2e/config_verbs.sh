#!/usr/bin/env bash
# One reading of a configuration file for every verb: each preset (configs/*.ini,
# configs/swap/*.ini, and a machine with a swap device included) resolved by `config show`,
# `replay --dump-config` and `sweep --dump-config` gives the same configuration, key for key,
# and `mrc --swap-config --dump-config` the same [swap] section as replay; a file without
# [swap] keys is refused by mrc rather than read as the defaults. And the key reference in
# docs/config-keys.md is what `mmsim config keys` renders from the tables.
source "$(dirname "$0")/lib.sh"
cd "$ROOT" || exit 1

swap_section() { sed -n '/^\[swap\]$/,/^$/p' "$1"; }

printf 'include = %s/configs/default.ini\ninclude = %s/configs/swap/zram.ini\n[swap]\nsize = 1G\n' \
    "$ROOT" "$ROOT" >"$TMP/machine+zram.ini"
for p in configs/*.ini configs/swap/*.ini "$TMP/machine+zram.ini"; do
    n=${p##*/}
    "$MMSIM" config show -c "$p" >"$TMP/show" 2>&1 || { echo "not ok - $n: config show failed"; sed 's/^/#   /' "$TMP/show" | head -3; continue; }
    "$MMSIM" replay --dump-config -c "$p" >"$TMP/replay" 2>&1
    "$MMSIM" sweep -c "$p" --dump-config >"$TMP/sweep" 2>&1
    check "$n: replay resolves every key as config show" cmp "$TMP/show" "$TMP/replay"
    check "$n: sweep resolves every key as replay" cmp "$TMP/replay" "$TMP/sweep"
    # a -s override goes through the same engine in both
    "$MMSIM" replay --dump-config -c "$p" -s swap.page_cluster=1 -s memory.thp=never -s cpu.count=2 >"$TMP/replay.s" 2>&1
    "$MMSIM" sweep -c "$p" -s swap.page_cluster=1 -s memory.thp=never -s cpu.count=2 --dump-config >"$TMP/sweep.s" 2>&1
    check "$n: with -s overrides, sweep as replay" cmp "$TMP/replay.s" "$TMP/sweep.s"
    if grep -q '^\[swap\]' "$p" || [[ $n == machine+zram.ini ]]; then
        "$MMSIM" mrc --swap-config "$p" --dump-config >"$TMP/mrc" 2>&1
        swap_section "$TMP/replay" >"$TMP/replay.swap"
        check "$n: mrc reads [swap] as replay" cmp "$TMP/replay.swap" "$TMP/mrc"
    else
        "$MMSIM" mrc --swap-config "$p" --dump-config >"$TMP/mrc" 2>&1
        check_eq "$n: mrc refuses a file without [swap] keys" 1 "$(grep -c 'no \[swap\] section' "$TMP/mrc")"
    fi
done
"$MMSIM" sweep -c /dev/null --dump-config >"$TMP/sweep0" 2>&1
check_eq "an empty file: replay and sweep refuse it with one message" \
    "$("$MMSIM" replay --dump-config -c /dev/null 2>&1 | sed 's/^mmsim replay: //')" "$(sed 's/^mmsim sweep: //' "$TMP/sweep0")"

sed -n '/^<!-- mmsim config keys -->$/,$p' docs/config-keys.md | tail -n +2 >"$TMP/doc"
"$MMSIM" config keys >"$TMP/keys"
check "docs/config-keys.md is the table mmsim config keys renders" diff "$TMP/doc" "$TMP/keys"
# every key of the tables appears in the table once
check_eq "every key of config show is in the key reference" "" \
    "$("$MMSIM" config show -c configs/default.ini | awk -F' = ' '/^\[/ { s = $0; gsub(/[][]/, "", s); next }
        NF > 1 { split(s, a, "."); sec = (a[1] == "tlb" || a[1] == "cache") ? a[1] ".NAME" : s; print "`" sec "." $1 "`" }' |
        while read -r k; do grep -qF "| $k |" "$TMP/keys" || echo "$k"; done)"
