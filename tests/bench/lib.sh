# Helpers of the bench scripts: source this.
# median: the median of the numbers on stdin, one a line
median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
# cpu_s CMD...: user + system CPU seconds of one run (the machine is shared: not wall time)
cpu_s() { python3 -c 'import resource, subprocess, sys
subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
r = resource.getrusage(resource.RUSAGE_CHILDREN)
print("%.4f" % (r.ru_utime + r.ru_stime))' "$@"; }
# maxrss_kb CMD...: the peak RSS of one run in KiB (uses the script's scratch folder $W)
maxrss_kb() { /usr/bin/time -f '%M' -o "$W/t" "$@" >/dev/null 2>&1; cat "$W/t"; }
