#!/usr/bin/env bash
# tests/validate/host_cpu.sh: the model's machine for a host's CPU, from /proc/cpuinfo
# files written here (vendor and family pick the preset, the pcid flag cpu.pcid), and the
# preset it names replays.
source "$(dirname "$0")/lib.sh"
HC=$ROOT/tests/validate/host_cpu.sh
cpuinfo() { # FILE VENDOR FAMILY FLAGS
    printf 'processor\t: 0\nvendor_id\t: %s\ncpu family\t: %s\nmodel\t\t: 2\nmodel name\t: Test CPU\nflags\t\t: %s\n\nprocessor\t: 1\n' \
        "$2" "$3" "$4" >"$1"
}
cpuinfo "$TMP/zen5" AuthenticAMD 26 "fpu vme sse2 avx512f"
cpuinfo "$TMP/zen3" AuthenticAMD 25 "fpu pcid sse2"
cpuinfo "$TMP/intel" GenuineIntel 6 "fpu sse2 pcid invpcid"
machine() { (eval "$(bash "$HC" "$1")" && echo "$HOST_CPU_INI $HOST_PCID"); }
check_eq "AMD family 1Ah without the pcid flag: zen5.ini, no PCID" "configs/zen5.ini 0" "$(machine "$TMP/zen5")"
check_eq "AMD family 19h with pcid: zen.ini, PCID" "configs/zen.ini 1" "$(machine "$TMP/zen3")"
check_eq "an Intel core: default.ini, PCID" "configs/default.ini 1" "$(machine "$TMP/intel")"
check "the host's own CPU gives a preset that exists" \
    sh -c "eval \"\$(bash '$HC')\" && test -f '$ROOT/'\"\$HOST_CPU_INI\""
check "a cpuinfo that cannot be read is an error" sh -c "! bash '$HC' '$TMP/missing' 2>'$TMP/err' && grep -q '$TMP/missing' '$TMP/err'"
