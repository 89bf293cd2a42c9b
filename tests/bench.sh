#!/usr/bin/env bash
# `make bench`: runs every tests/bench/*.sh but lib.sh and ab.sh, in order. Each script prints a Markdown section on
# stdout (its table); this driver gathers them into docs/benchmarks.md under a header naming
# the machine, so the figures in the docs are the ones measured in the last run.
set -u
cd "$(dirname "$0")/.."
out=docs/benchmarks.md
tmp=$(mktemp)
cpu=$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')
{
    echo "# mmsim benchmarks"
    echo
    echo "Written by \`make bench\` on $(date -u '+%Y-%m-%d %H:%M UTC'). Machine: $cpu,"
    echo "$(nproc) CPUs, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), kernel $(uname -r)."
    echo "The machine is shared and noisy: every figure is a median of several runs, and speeds"
    echo "are given as ratios to a baseline measured in the same run on the same input."
    echo
} >"$tmp"
status=0
for b in tests/bench/*.sh; do
    case ${b##*/} in lib.sh | ab.sh) continue ;; esac # helpers; make bench-ab
    [ -f "$b" ] || continue
    echo "== $b" >&2
    if ! bash "$b" >>"$tmp"; then echo "bench: $b failed" >&2; status=1; fi
    echo >>"$tmp"
done
mv "$tmp" "$out"
echo "bench: wrote $out" >&2
exit $status
