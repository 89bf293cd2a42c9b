#!/usr/bin/env bash
# tests/validate/thrash_report.py on written curves: the counts of limits within 25%, and
# the kernel's reproducibility (every run of a limit within 25% of its median run).
source "$(dirname "$0")/lib.sh"
HDR=memory_mib,runtime_s,major_faults,pswpin,pswpout,minor_faults,oom_killed,exit_status,procs,peak_mib,user_s,sys_s,wall_s,runq_s,runs,major_min,major_max,killed_runs
# kernel: ample; a steady limit (1,000 [900-1,100]); a chaotic one (1,000 [200-5,000]);
# one with too few major faults to count
{ echo "$HDR"
  echo "8.0,0.100,0,0,0,1000,0,0,1,8,0.05,0.05,0.1,0,1,0,0,0"
  echo "6.0,0.300,1000,1000,1200,2000,0,0,1,6,0.1,0.2,0.3,0,5,900,1100,0"
  echo "5.0,0.400,1000,1100,1300,2100,0,0,1,5,0.1,0.3,0.4,0,5,200,5000,0"
  echo "4.0,0.110,10,10,20,1010,0,0,1,4,0.05,0.06,0.11,0,5,8,12,0"; } >"$TMP/w.kernel.csv"
# model: within 25% at the steady limit (1,100), 2x at the chaotic one
{ echo "$HDR"
  echo "8.0,0.100,0,0,0,1000,0,0,1,8,,,,,1,0,0,0"
  echo "6.0,0.310,1100,1100,1300,2050,0,0,1,6,,,,,1,1100,1100,0"
  echo "5.0,0.800,2000,2100,2300,2100,0,0,1,5,,,,,1,2000,2000,0"
  echo "4.0,0.110,12,12,20,1010,0,0,1,4,,,,,1,12,12,0"; } >"$TMP/w.model.csv"
cp "$TMP/w.kernel.csv" "$TMP/v.kernel.csv"; cp "$TMP/w.model.csv" "$TMP/v.model.csv"
python3 "$ROOT/tests/validate/thrash_report.py" "$TMP" w v >"$TMP/out.md" 2>"$TMP/tap.txt"
check "the report runs" test -s "$TMP/out.md"
check "two limits counted, major faults within 25% at one" grep -q "Within 25% at the 2 limits .*major faults 1 (within the kernel's range: 2)" "$TMP/out.md"
check "the kernel within 25% of itself at one of them, the model there too" \
    grep -q "kernel within 25% of itself (every run's major faults) at 1 of those limits; the model's major faults within 25% at 1 of them" "$TMP/out.md"
check "the total over both workloads" grep -q "^All workloads: within 25% at 2 of 4 counted limits (major faults).* At the 2 counted limits where the kernel was within 25% of itself, the model's major faults were within 25% at 2" "$TMP/out.md"
check "a TAP line fails for the chaotic limit" grep -q "^not ok - w: major within 25% of the kernel's at 1 of 2 limits" "$TMP/tap.txt"
