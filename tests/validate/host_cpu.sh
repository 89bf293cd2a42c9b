#!/usr/bin/env bash
# host_cpu.sh [CPUINFO]: the model's machine for this host's CPU, as shell assignments:
#   HOST_CPU='vendor family model name'   what /proc/cpuinfo says
#   HOST_CPU_INI=configs/NAME.ini          the preset whose TLBs and caches are that core's
#   HOST_PCID=0|1                          whether the kernel has PCIDs (the CPU's "pcid"
#                                          flag): without, every switch between two address
#                                          spaces flushes the TLB (cpu.pcid)
# The preset is chosen by vendor and family: AMD family 1Ah is Zen 5 (zen5.ini), 19h Zen 3/4
# (zen.ini, Zen 3's TLBs), anything else the default Skylake-SP core (default.ini). A guest's
# CPUID may not give the host's TLB sizes (docs/validation-thrash.md), its family does.
set -euo pipefail
info=${1:-/proc/cpuinfo}
[ -r "$info" ] || { echo "host_cpu: cannot read $info" >&2; exit 1; }
field() { awk -F': *' -v k="$1" '$1 ~ "^"k"[ \t]*$" { print $2; exit }' "$info"; }
vendor=$(field vendor_id) family=$(field "cpu family") model=$(field model) name=$(field "model name")
ini=default.ini
case "$vendor:$family" in
    AuthenticAMD:26) ini=zen5.ini ;;
    AuthenticAMD:25) ini=zen.ini ;;
esac
pcid=0
awk -F': *' '$1 ~ /^flags[ \t]*$/ { print $2; exit }' "$info" | tr ' ' '\n' | grep -qx pcid && pcid=1
printf "HOST_CPU='%s family %s model %s (%s)'; HOST_CPU_INI=configs/%s; HOST_PCID=%s\n" \
    "${vendor:-unknown}" "${family:-?}" "${model:-?}" "${name//\'/}" "$ini" "$pcid"
