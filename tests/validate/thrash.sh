#!/usr/bin/env bash
# make validate-thrash: thrashing curves of the kernel against the model's, workload by
# workload, counter by counter.
#
# Kernel (root only): a temporary swap file is added (fallocate or dd, mkswap, swapon at the
# highest priority, so it is used before any other swap area; removed at exit), and the
# device under it measured (tests/progs/thrash_dev: O_DIRECT requests of 4 KiB and more). Each workload runs once without a limit in a fresh memory cgroup (v1 or v2,
# whichever this machine mounts) to measure its working set (the cgroup's peak usage) and
# its runtime with ample memory; then at limits (in KiB) from 1.5x down to 0.5x that working
# set, each run in a fresh cgroup so its counters start at zero. Per run: pgmajfault and
# pgfault of the cgroup (memory.stat), pswpin / pswpout (/proc/vmstat deltas: other swap
# activity on the machine at the same time would show here), the program's own wall, user
# and system time, minor faults, exit status and time spent waiting for a CPU
# (tests/progs/thrash_run: forks the program(s) inside the cgroup and times them alone,
# without the shell and cgroup set-up around them; the runtime of one process is its wall
# time less its run-queue wait, what it takes without the other jobs of this shared
# machine; of multi's N processes, the wall time), and whether the cgroup's OOM killer ran (memory.oom_control oom_kill on v1,
# memory.events oom_kill on v2).
# Model: each program recorded once with `mmsim record` (DBI), replayed in a 1 GiB machine
# with 2 CPUs (as this one) and a memory cgroup at the same limits; the swap device as
# measured (read and write latency and bandwidth); swap readahead by slot when the swap
# file sits on a rotational device (as the kernel does then).
# Workloads (WS = working set):
#   seqw     thrash_sweep 24 4             a sequential write sweep, 4 passes
#   scan     thrash_walk scan 24 4         written once, then 4 read-only passes
#   rand     thrash_walk rand 16 16384     uniform random pages, read and written
#   hotcold  thrash_walk hotcold 24 24576  80% of the accesses on a sixth of the pages
#   sort     LC_ALL=C sort --parallel=1 -S 64M on a 1.5 MiB file of random lines (the file is
#            read into the page cache outside the cgroup first; SORT_LINES, default 40000)
#   sortl    the same on 8.6 MiB (SORTL_LINES, default 200000): a working set of ~20 MiB
#   multi    N x thrash_walk rand 8 8192 in one cgroup limited to 3x one's working set,
#            N = 1 .. 8 (Denning's curve; x axis: the limit per process)
# Output: $OUT (default build/validate-thrash): per workload kernel.csv and model.csv
# (memory_mib, runtime_s, major_faults, pswpin, pswpout, minor_faults, oom_killed, ...), a
# plot overlaying both (mmsim plot thrashing), and tables.md with the Markdown tables and
# per-limit ratios (tests/validate/thrash_report.py). Prints TAP lines.
# Options (env): OUT, WORKLOADS (subset, space separated), FRACS (limits as fractions of WS),
# MODEL_ONLY=1 (no root needed): replay against the kernel results already in $OUT (its
# kernel.env and *.kernel.csv), to re-check the model after a change. FIT (default "seqw
# rand"): the calibration workloads of the CPU costs (thrash_fit.py). CAL_FROM=kernel
# (default) or native: the time at ample memory from the kernel's runs of this session or
# from the trace's native run (thrash_cal.py). KEEP_JSON=1 keeps each replay's whole report
# as $OUT/W.xN.LIMITK.json (every statistic, for a closer look at one point). START_CPU=C:
# a lone program execs on CPU C in the kernel's runs (thrash_run -c; the model's starts on
# CPU 0); default -1, wherever the scheduler puts it. RA_PRIME=0
# leaves the kernel's swap-readahead state as the last run left it (swap_ra_prime).
source "$(dirname "$0")/../e2e/lib.sh"
cp "$MMSIM" "$TMP/mmsim" && MMSIM=$TMP/mmsim # a rebuild during the run does not change it
export MMSIM_VGLIB=${MMSIM_VGLIB:-$ROOT/build/vg}
OUT=${OUT:-$ROOT/build/validate-thrash}
WORKLOADS=${WORKLOADS:-"seqw scan rand hotcold sort sortl multi"}
FRACS=${FRACS:-"1.5 1.25 1.1 1.0 0.9 0.8 0.7 0.6 0.5"}
MULTI_N=${MULTI_N:-"1 2 3 4 5 6 7 8"}
RUN=$PROGS/thrash_run
SWAP_MIB=512

declare -A WS BASE
# ---- workloads ----
SORT_IN=$TMP/sort.in SORTL_IN=$TMP/sortl.in
sort_input() { # FILE LINES: random lines, the same for the same LINES
    python3 - "$1" "$2" <<'PY'
import random, sys
r = random.Random(12)
with open(sys.argv[1], "w") as f:
    for i in range(int(sys.argv[2])):
        f.write("%08x %s\n" % (r.getrandbits(32), "".join(r.choice("abcdefghij") for _ in range(r.randint(10, 60)))))
PY
}
case " $WORKLOADS " in *" sort "*) sort_input "$SORT_IN" "${SORT_LINES:-40000}" ;; esac
case " $WORKLOADS " in *" sortl "*) sort_input "$SORTL_IN" "${SORTL_LINES:-200000}" ;; esac
cat "$SORT_IN" "$SORTL_IN" >/dev/null 2>&1 # into the page cache outside the test's cgroup
wl_cmd() { # the command of a workload (one process)
    case $1 in
    seqw) echo "$PROGS/thrash_sweep 24 4" ;;
    scan) echo "$PROGS/thrash_walk scan 24 4" ;;
    rand) echo "$PROGS/thrash_walk rand 16 16384" ;;
    hotcold) echo "$PROGS/thrash_walk hotcold 24 24576" ;;
    sort) echo "/usr/bin/env LC_ALL=C /usr/bin/sort --parallel=1 -S 64M -o /dev/null $SORT_IN" ;;
    sortl) echo "/usr/bin/env LC_ALL=C /usr/bin/sort --parallel=1 -S 64M -o /dev/null $SORTL_IN" ;;
    multi) echo "$PROGS/thrash_walk rand 8 8192" ;;
    *) echo "not ok - thrash: unknown workload $1" >&2; exit 1 ;;
    esac
}
HDR="memory_mib,runtime_s,major_faults,pswpin,pswpout,minor_faults,oom_killed,exit_status,procs,peak_mib,user_s,sys_s,wall_s,runq_s,runs,major_min,major_max,killed_runs"
# The kernel under pressure does not repeat itself: the same program at the same limit took
# 806 and 2,775 major faults on two runs of one day (docs/validation-thrash.md). Each limit
# under the working set runs KREPS times; its row is the run with the median major faults
# among those that ended as most did (killed or not), with the range and how many runs the
# OOM killer ended beside it.
KREPS=${KREPS:-5}
limits_of() { # workload -> its limits in KiB, page-aligned (multi: one limit)
    if [ "$1" = multi ]; then echo $((3 * WS[multi])); return; fi
    local f; for f in $FRACS; do awk -v w="${WS[$1]}" -v f="$f" 'BEGIN { printf "%d ", int(w * f / 4 + 0.5) * 4 }'; done
}
mib_of() { awk -v k="$1" -v n="${2:-1}" 'BEGIN { printf "%.3f", k / 1024 / n }'; } # KiB [/ N] -> MiB

kernel_phase() {
    if [ "$(id -u)" != 0 ]; then
        echo "# validate-thrash: skipped, needs root (swap file, memory cgroup)"; exit 0
    fi
    for p in "$PROGS/thrash_sweep" "$PROGS/thrash_walk" "$RUN" "$PROGS/thrash_dev" "$PROGS/thrash_irq" "$PROGS/thrash_spin" "$PROGS/swap_ra_prime"; do
        [ -x "$p" ] || { echo "not ok - thrash: $p missing"; exit 1; }
    done
    mkdir -p "$OUT"

    # ---- the memory cgroup (v1 or v2) ----
    if [ -f /sys/fs/cgroup/cgroup.controllers ] && grep -qw memory /sys/fs/cgroup/cgroup.controllers; then
        CGV=v2; CGPARENT=/sys/fs/cgroup$(awk -F: '$1=="0"{print $3}' /proc/self/cgroup)
    elif [ -d /sys/fs/cgroup/memory ]; then
        CGV=v1; CGPARENT=/sys/fs/cgroup/memory$(awk -F: '$2=="memory"{print $3}' /proc/self/cgroup)
    else
        echo "not ok - thrash: no memory cgroup"; exit 1
    fi
    CGPARENT=${CGPARENT%/}
    SWAPFILE=/var/tmp/mmsim-swap-$$
    CG=""
    cleanup() {
        [ -n "$CG" ] && rmdir "$CG" 2>/dev/null
        if grep -q "^$SWAPFILE " /proc/swaps; then swapoff "$SWAPFILE"; fi
        rm -f "$SWAPFILE"
        rm -rf "$TMP"
    }
    trap cleanup EXIT

    # ---- a temporary swap file ----
    if ! { fallocate -l ${SWAP_MIB}M "$SWAPFILE" 2>/dev/null || dd if=/dev/zero of="$SWAPFILE" bs=1M count=$SWAP_MIB status=none; } ||
       ! chmod 600 "$SWAPFILE" || ! mkswap -q "$SWAPFILE" >/dev/null || ! swapon -p 32767 "$SWAPFILE"; then
        echo "not ok - thrash: cannot add a swap file at $SWAPFILE"; exit 1
    fi
    dev=$(df --output=source "$SWAPFILE" | tail -1)
    rota=$(lsblk -ndo ROTA "$dev" 2>/dev/null | tr -d ' ')
    [ -z "$rota" ] && rota=$(cat "/sys/block/$(basename "$(lsblk -ndo PKNAME "$dev" 2>/dev/null || echo "$dev")")/queue/rotational" 2>/dev/null || echo 0)
    echo "# swap file $SWAPFILE, $SWAP_MIB MiB on $dev (rotational $rota); memory cgroup $CGV under $CGPARENT"
    echo "# other swap areas (ours has the highest priority): $(awk 'NR > 1 && $1 != "'"$SWAPFILE"'" {printf "%s ", $1}' /proc/swaps)"
    # an area of the same priority shares the writes page by page (round robin): swap
    # offsets of neighbouring pages stop being neighbours and readahead collapses (a run
    # with one measured 18,432 major faults for 18,432 pages read, against ~2,300 alone)
    same=$(awk -v f="$SWAPFILE" 'NR > 1 && $1 != f && $5 >= 32767 {printf "%s ", $1}' /proc/swaps)
    [ -z "$same" ] || { echo "not ok - thrash: swap areas of the highest priority besides ours: $same(swapoff them first)"; exit 1; }
    # ---- the device under it, as swap uses it (O_DIRECT, one request at a time) ----
    "$PROGS/thrash_dev" "$(dirname "$SWAPFILE")/mmsim-dev-$$" 64 >"$TMP/dev.txt" ||
        { echo "not ok - thrash: measuring the swap device failed"; exit 1; }
    # shellcheck disable=SC1090
    source "$TMP/dev.txt"
    echo "# swap device: 4 KiB read ${read_mean_4k_us} us, 32 KiB read ${read_mean_32k_us} us, 4 KiB write ${write_mean_4k_us} us, 256 KiB write ${write_mean_256k_us} us"
    # ---- what interrupts and switches take from a busy CPU (several processes faulting) ----
    if [ "$(nproc)" -ge 2 ]; then
        "$PROGS/thrash_irq" "$(dirname "$SWAPFILE")/mmsim-irq-$$" >"$TMP/irq.txt" ||
            { echo "not ok - thrash: measuring interrupt costs failed"; exit 1; }
        cat "$TMP/irq.txt" >>"$TMP/dev.txt"
        # shellcheck disable=SC1090
        source "$TMP/irq.txt"
        echo "# a device interrupt takes ${irq_ns} ns from a busy CPU $irq_cpu, a TLB-flush IPI ${ipi_sender_ns} ns (sender) + ${ipi_receiver_ns} ns (receiver), a switch ${switch_ns} ns"
    fi

    # ---- does this kernel map the zero page on a read fault? (RssAnon after reading 16 MiB) ----
    ZERO_PAGE=$(python3 -c 'if 1:
    import mmap
    def rss():
        return int([l.split()[1] for l in open("/proc/self/status") if l.startswith("RssAnon:")][0])
    m = mmap.mmap(-1, 16 << 20, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    r0 = rss(); s = sum(m[i] for i in range(0, 16 << 20, 4096)); r1 = rss()
    print(0 if r1 - r0 > 8 << 10 else 1)')
    echo "# a read fault maps the zero page: $ZERO_PAGE (the model's memory.zero_page)"

    # ---- one kernel run ----
    cg_make() { # name limit_kib (0: none)
        CG=$CGPARENT/mmsim-thrash-$$-$1
        mkdir "$CG" || { echo "not ok - thrash: cannot create $CG"; exit 1; }
        if [ $CGV = v1 ]; then
            if [ "$2" -gt 0 ]; then
                echo $(($2 << 10)) >"$CG/memory.limit_in_bytes"
                [ -f "$CG/memory.memsw.limit_in_bytes" ] && echo $(( ($2 << 10) + (SWAP_MIB << 20) )) >"$CG/memory.memsw.limit_in_bytes"
            fi
        else
            [ "$2" -gt 0 ] && echo $(($2 << 10)) >"$CG/memory.max"
            echo max >"$CG/memory.swap.max"
        fi
    }
    cg_stat() { awk -v k="$1" '$1 == k { print $2; exit }' "$CG/memory.stat"; }
    cg_peak() {
        if [ $CGV = v1 ]; then cat "$CG/memory.max_usage_in_bytes"; else cat "$CG/memory.peak"; fi
    }
    cg_ooms() {
        if [ $CGV = v1 ]; then awk '$1 == "oom_kill" { print $2 }' "$CG/memory.oom_control"
        else awk '$1 == "oom_kill" { print $2 }' "$CG/memory.events"; fi
    }
    vmstat_get() { awk -v k="$1" '$1 == k { print $2 }' /proc/vmstat; }
    # With readahead by slot (a rotational device) the kernel picks its window from
    # machine-wide values every swap-in leaves behind (readahead hits since the last miss,
    # the last window): a run starts where the one before it stopped. swap_ra_prime leaves
    # the values a freshly booted kernel has (4 hits), which the model starts from.
    PRIME_FAILS=0
    prime_readahead() {
        [ "$rota" = 1 ] && [ "${RA_PRIME:-1}" = 1 ] || return 0
        "$PROGS/swap_ra_prime" >/dev/null 2>"$TMP/prime.err" || PRIME_FAILS=$((PRIME_FAILS + 1))
    }
    # kernel_run TAG LIMIT_KIB N CMD... : N copies of CMD in a fresh cgroup; sets K_*
    kernel_run() {
        local tag=$1 lim=$2 n=$3; shift 3
        cg_make "$tag" "$lim"
        local in0 out0 tf=$TMP/time.$tag
        prime_readahead
        # START_CPU: one process execs there (the CPU a program starts on decides whether
        # its first swap-in's interrupt moves it, and with that the kind of TLB flush
        # reclaim makes: docs/validation-thrash.md); N > 1: placed by the scheduler
        local start=()
        [ "$n" = 1 ] && [ "${START_CPU:--1}" -ge 0 ] && start=(-c "$START_CPU")
        in0=$(vmstat_get pswpin); out0=$(vmstat_get pswpout)
        "$RUN" -g "$CG/cgroup.procs" "${start[@]}" "$n" "$@" >"$tf" 2>"$TMP/err.$tag" ||
            { echo "not ok - thrash: thrash_run $tag: $(head -1 "$TMP/err.$tag")"; exit 1; }
        K_PSWPIN=$(( $(vmstat_get pswpin) - in0 )); K_PSWPOUT=$(( $(vmstat_get pswpout) - out0 ))
        read -r K_WALL K_USER K_SYS K_MINOR K_TMAJ K_EXIT K_RUNQ <"$tf"
        # runtime: the wall time less the time spent waiting for a CPU taken by other jobs
        # on this shared machine; multi's processes also wait for each other: wall time (N = 1
        # too, so that its curve has one measure)
        if [ "${tag%%-*}" != multi ]; then K_TIME=$(awk -v w="$K_WALL" -v q="$K_RUNQ" 'BEGIN { printf "%.6f", w - q }'); else K_TIME=$K_WALL; fi
        K_MAJ=$(cg_stat pgmajfault); K_PGFAULT=$(cg_stat pgfault)
        # file pages read into the group because an earlier group's reclaim evicted them
        # (the program's text, its libraries): they give reclaim a file list to scan and
        # their refaults count in pgmajfault (docs/validation-thrash.md); 0 on a clean run
        K_FREF=$(cg_stat workingset_refault_file); K_FREF=${K_FREF:-0}
        K_PEAK=$(cg_peak); K_OOM=$(cg_ooms)
        # the cgroup is removed once its processes are gone
        for _ in 1 2 3 4 5 6 7 8 9 10; do rmdir "$CG" 2>/dev/null && break; sleep 0.2; done
        CG=""
    }

    # median_run FILE: of the runs of one limit (CSV rows), the one with the median major
    # faults (none took one: the median runtime) among the runs that ended as most did
    # (OOM-killed or not; a tie counts as not), then how many runs, the smallest and largest
    # major faults of all, and the runs killed
    median_run() {
        local key=3
        awk -F, '$3 > 0 { f = 1 } END { exit f }' "$1" && key=2
        sort -t, -k$key,${key}n "$1" | awk -F, '{ r[NR] = $0; o[NR] = $7; k += $7; if (NR == 1 || $3 < lo) lo = $3; if ($3 > hi) hi = $3 }
            END { want = (2 * k > NR); n = 0
                  for (i = 1; i <= NR; i++) if (o[i] == want) g[++n] = r[i]
                  printf "%s,%d,%d,%d,%d\n", g[int((n + 1) / 2)], NR, lo, hi, k }'
    }

    # ---- what a reclaim flush takes from a CPU running another process ----
    # A walk thrashing in a 4 MiB group on CPU 1 beside a spinner on CPU 0 (thrash_spin):
    # when the walk's process ran on CPU 0 first, each flush of its reclaim (one a page
    # written) reaches CPU 0 (the mm_cpumask keeps it), else none does; the spinner's extra
    # loss per page written is what a flush takes from a CPU that runs another process
    # (timing.tlb_ipi_recv_other; thrash_irq's receiver cost is for a CPU running the
    # flushed process itself).
    flush_loss_run() { # CPU the walk starts on -> "seconds the spinner lost, pages written"
        cg_make flushrecv 4096
        local out0 p busy alone written
        out0=$(vmstat_get pswpout)
        (echo $BASHPID >"$CG/cgroup.procs" && exec taskset -c "$1" "$PROGS/thrash_walk" rand 8 32768 >/dev/null) &
        p=$!
        sleep 0.005
        taskset -p -c 1 $p >/dev/null 2>&1
        busy=$("$PROGS/thrash_spin" 0 2.5)
        wait $p
        written=$(($(vmstat_get pswpout) - out0))
        alone=$("$PROGS/thrash_spin" 0 2.5)
        for _ in 1 2 3 4 5 6 7 8 9 10; do rmdir "$CG" 2>/dev/null && break; sleep 0.2; done
        CG=""
        awk -v b="$busy" -v a="$alone" -v w="$written" 'BEGIN { printf "%.6f %d\n", (a > 0 ? (a - b) / a * 2.5 : 0), w }'
    }
    if [ "$(nproc)" -ge 2 ]; then
        # five pairs run back to back; the median of the pairs' differences (a pair shares
        # the machine's state of the moment, which moves the spinner's rate by more than
        # the flushes do)
        : >"$TMP/flush.local"; : >"$TMP/flush.remote"; : >"$TMP/flush.diff"
        for _ in 1 2 3 4 5; do
            read -r l_loss l_pages < <(flush_loss_run 1)
            read -r r_loss r_pages < <(flush_loss_run 0)
            echo "$l_loss $l_pages" >>"$TMP/flush.local"; echo "$r_loss $r_pages" >>"$TMP/flush.remote"
            awk -v r="$r_loss" -v l="$l_loss" -v w="$r_pages" 'BEGIN { print (w > 0 ? (r - l) / w * 1e9 : 0) }' >>"$TMP/flush.diff"
        done
        flush_recv_other_ns=$(sort -g "$TMP/flush.diff" | awk '{ v[NR] = $1 } END { x = v[int((NR + 1) / 2)]; printf "%.0f", (x > 0 ? x : 0) }')
        flush_loss_local=$(paste -sd' ' "$TMP/flush.local"); flush_loss_remote=$(paste -sd' ' "$TMP/flush.remote")
        echo "flush_recv_other_ns=$flush_recv_other_ns" >>"$TMP/dev.txt"
        echo "flush_loss_local='$flush_loss_local'; flush_loss_remote='$flush_loss_remote'" >>"$TMP/dev.txt"
        echo "# a reclaim flush takes ${flush_recv_other_ns} ns from a CPU running another process (the median of 5 paired runs: $(paste -sd' ' "$TMP/flush.diff") ns)"
    fi

    # a run of each workload with no limit: its working set (KiB) and ample runtime
    for w in $WORKLOADS; do
        # shellcheck disable=SC2046
        kernel_run "$w-ample" 0 1 $(wl_cmd "$w")
        WS[$w]=$(( (K_PEAK + 4095) >> 12 << 2 ))
        BASE[$w]=$K_TIME
        echo "# $w: working set (peak cgroup usage, no limit) ${WS[$w]} KiB, runtime ${K_TIME}s (wall $K_WALL, run queue $K_RUNQ, user $K_USER, sys $K_SYS), $K_MINOR minor faults"
    done

    # ---- kernel sweeps ----
    for w in $WORKLOADS; do
        echo "$HDR" >"$OUT/$w.kernel.csv"
        if [ "$w" = multi ]; then
            L=$(limits_of multi)
            for n in $MULTI_N; do
                : >"$TMP/reps"
                # N <= 3 take no major fault: the time at ample memory (N = 1) and cpu.contention
                # (N = 2, 3) come from them, short runs on a noisy machine: 5 each
                for ((i = 0; i < (n > 3 ? KREPS : 5); i++)); do
                    # shellcheck disable=SC2046
                    kernel_run "multi-$n" "$L" "$n" $(wl_cmd multi)
                    echo "$(mib_of "$L" "$n"),$K_TIME,$K_MAJ,$K_PSWPIN,$K_PSWPOUT,$K_MINOR,$((K_OOM > 0)),$K_EXIT,$n,$((K_PEAK >> 20)),$K_USER,$K_SYS,$K_WALL,$K_RUNQ" >>"$TMP/reps"
                    echo "# kernel multi N=$n in $L KiB: ${K_TIME}s (wall $K_WALL, run queue $K_RUNQ, user $K_USER sys $K_SYS) maj $K_MAJ in $K_PSWPIN out $K_PSWPOUT minor $K_MINOR oom $K_OOM exit $K_EXIT file refaults $K_FREF"
                done
                median_run "$TMP/reps" >>"$OUT/$w.kernel.csv"
            done
            continue
        fi
        for L in $(limits_of "$w"); do
            : >"$TMP/reps"
            for ((i = 0; i < (L < WS[$w] ? KREPS : 1); i++)); do
                # shellcheck disable=SC2046
                kernel_run "$w-$L" "$L" 1 $(wl_cmd "$w")
                echo "$(mib_of "$L"),$K_TIME,$K_MAJ,$K_PSWPIN,$K_PSWPOUT,$K_MINOR,$((K_OOM > 0)),$K_EXIT,1,$((K_PEAK >> 20)),$K_USER,$K_SYS,$K_WALL,$K_RUNQ" >>"$TMP/reps"
                echo "# kernel $w at $L KiB: ${K_TIME}s (wall $K_WALL, run queue $K_RUNQ, user $K_USER sys $K_SYS) maj $K_MAJ in $K_PSWPIN out $K_PSWPOUT minor $K_MINOR oom $K_OOM exit $K_EXIT file refaults $K_FREF"
            done
            median_run "$TMP/reps" >>"$OUT/$w.kernel.csv"
        done
    done

    KREL=$(uname -r); LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)
    [ "$rota" = 1 ] && [ "${RA_PRIME:-1}" = 1 ] &&
        echo "# readahead state primed before each kernel run (swap_ra_prime); it failed before $PRIME_FAILS runs$([ "$PRIME_FAILS" = 0 ] || echo " (last: $(head -1 "$TMP/prime.err"))")"
    {
        for w in $WORKLOADS; do echo "WS[$w]=${WS[$w]}; BASE[$w]=${BASE[$w]}"; done
        cat "$TMP/dev.txt"
        echo "rota=$rota; ZERO_PAGE=$ZERO_PAGE; dev=$dev; CGV=$CGV; KREL=$KREL; RA_PRIMED=${RA_PRIME:-1}; PRIME_FAILS=$PRIME_FAILS"
        echo "LOAD0='$LOAD0'; LOAD1='$LOAD1'"
        bash "$ROOT/tests/validate/host_cpu.sh"
    } >"$OUT/kernel.env"
}
if [ "${MODEL_ONLY:-0}" = 1 ]; then
    [ -f "$OUT/kernel.env" ] || { echo "not ok - thrash: MODEL_ONLY=1 but no $OUT/kernel.env"; exit 1; }
    # shellcheck disable=SC1091
    source "$OUT/kernel.env"
    [ -n "${read_latency_ns:-}" ] && [ -n "${LOAD0:-}" ] ||
        { echo "not ok - thrash: $OUT/kernel.env has no swap device measurement (an older run): run without MODEL_ONLY"; exit 1; }
else
    LOAD0=$(cut -d' ' -f1-3 /proc/loadavg) # the kernel's timings need a quiet machine
    kernel_phase
fi

# ---- model ----
# The model's machine is the kernel's CPU (host_cpu.sh, recorded with the kernel's runs; a
# kernel.env of an earlier run without it is probed again here): its TLBs decide which pages
# a walk marks accessed between two looks of reclaim, and without PCIDs every switch between
# two processes flushes them. The clock stays at 3 GHz, the rate the nanoseconds measured
# below are converted at.
if [ -z "${HOST_CPU_INI:-}" ]; then
    eval "$(bash "$ROOT/tests/validate/host_cpu.sh")"
fi
echo "# the model's machine: $HOST_CPU_INI (the kernel's CPU: $HOST_CPU; PCID $HOST_PCID)"
cat >"$TMP/machine.ini" <<INI
include = $ROOT/$HOST_CPU_INI
include = $ROOT/configs/swap/nvme.ini
[cpu]
freq_ghz = 3.0
quantum = 3000000
pcid = $HOST_PCID
INI
# the swap device as measured (thrash_dev); a bandwidth too high to measure is left out (0).
# The CPU time a request took from thrash_dev itself (block layer, doorbell, wake-up: on a
# paravirtual guest exits to the host) is the submitting task's in the model
# (timing.swap_read_cpu, swap_write_cpu) and comes off the device's latency; a kernel.env
# of an earlier run without it leaves the whole time to the device.
if [ -n "${read_cpu_ns:-}" ]; then
    read_latency_ns=$(( read_latency_ns > read_cpu_ns ? read_latency_ns - read_cpu_ns : 0 ))
    write_latency_ns=$(( write_latency_ns > write_cpu_ns ? write_latency_ns - write_cpu_ns : 0 ))
fi
MODEL_SET=(-s memory.size=1G -s memory.zero_page="$ZERO_PAGE" -s cpu.count=2 -s memcg.version="${CGV#v}" -s swap.size=${SWAP_MIB}M -s swap.rotational="$rota"
           -s swap.read_latency=${read_latency_ns}ns -s swap.read_bandwidth="$read_bandwidth"
           -s swap.write_latency=${write_latency_ns}ns -s swap.write_bandwidth="$write_bandwidth")
[ -n "${read_cpu_ns:-}" ] && MODEL_SET+=(-s timing.swap_read_cpu=$((read_cpu_ns * 3)) -s timing.swap_write_cpu=$((write_cpu_ns * 3)))
# the spread of a request's time (thrash_dev's 4 KiB requests, reads and writes averaged):
# each request of the model draws its latency (swap.latency_cv, seed 1)
[ -n "${write_cv:-}" ] && MODEL_SET+=(-s swap.latency_cv="$(awk -v r="$read_cv" -v w="$write_cv" 'BEGIN { printf "%.3f", (r + w) / 2 }')")
# the CPU time interrupts and switches take (thrash_irq), in cycles at the model's 3 GHz;
# a kernel.env of an earlier run without them keeps the model's defaults
if [ -n "${irq_ns:-}" ]; then
    MODEL_SET+=(-s timing.irq=$((irq_ns * 3)) -s timing.irq_cpu="$irq_cpu" -s timing.tlb_ipi=$((ipi_sender_ns * 3))
                -s timing.tlb_ipi_recv=$((ipi_receiver_ns * 3)) -s cpu.context_switch=$((switch_ns * 3)))
    [ -n "${flush_recv_other_ns:-}" ] && MODEL_SET+=(-s timing.tlb_ipi_recv_other=$((flush_recv_other_ns * 3)))
fi
model_row() { # json procs x -> CSV row
    python3 - "$@" <<'PY'
import json, sys
j = json.load(open(sys.argv[1]))
procs, x = sys.argv[2], sys.argv[3]
ps = j["processes"]
maj = sum(p["faults"]["major"] for p in ps)
minor = sum(p["faults"]["minor"] for p in ps)
r = j["reclaim"]
kills = len(j["oom"]["kills"])
t = j["cycles"] / 3e9
peak = j.get("memcg", {}).get("max_usage_pages", 0) * 4096 >> 20
print("%s,%.4f,%d,%d,%d,%d,%d,%d,%s,%d,,,,,1,%d,%d,%d" % (x, t, maj, r["pswpin"], r["pswpout"], minor, kills > 0,
                                            137 if kills else 0, procs, peak, maj, maj, kills > 0))
PY
}
# replay_row W LIMIT_KIB N X SETTINGS...: one replay of N copies of W's trace, one CSV row
replay_row() {
    local w=$1 lim=$2 n=$3 x=$4; shift 4
    # shellcheck disable=SC2046
    "$MMSIM" replay --no-progress --json -c "$TMP/machine.ini" "${MODEL_SET[@]}" "$@" -s memcg.limit="${lim}K" \
        $(yes "$OUT/$w.mmt" | head -n "$n") >"$TMP/m.json" || { echo "not ok - thrash: replay $w x$n at $lim KiB failed"; exit 1; }
    model_row "$TMP/m.json" "$n" "$x" >>"$OUT/$w.model.csv"
    [ "${KEEP_JSON:-0}" = 1 ] && cp "$TMP/m.json" "$OUT/$w.x$n.${lim}K.json"
    return 0
}
# model_workload W SETTINGS...: W's curve in the model, $OUT/W.model.csv.
# [timing] calibrate = native is fitted by the first replay (the largest limit; multi: one
# process) and then fixed for every other limit: the JSON says what it fitted. The trace's
# native run was timed when it was recorded, on the machine as loaded then; with
# CAL_FROM=kernel (the default, when the kernel's curve is there) the fit is moved to the
# kernel's runs of this validation without a major fault (the median user and system time
# a process: thrash_cal.py), so both sides start from the same time at ample memory.
model_workload() {
    local w=$1; shift
    local trace=$OUT/$w.mmt # recorded once per output folder
    # shellcheck disable=SC2046
    [ -s "$trace" ] || "$MMSIM" record --no-counters -o "$trace" -- $(wl_cmd "$w") >/dev/null 2>"$TMP/rec.err" ||
        { echo "not ok - thrash: recording $w failed"; sed 's/^/#   /' "$TMP/rec.err" | head; exit 1; }
    echo "$HDR" >"$OUT/$w.model.csv"
    local runs=() L n
    if [ "$w" = multi ]; then
        L=$(limits_of multi)
        for n in $MULTI_N; do runs+=("$L $n $(mib_of "$L" "$n")"); done
    else
        for L in $(limits_of "$w"); do runs+=("$L 1 $(mib_of "$L")"); done
    fi
    local cal=() first=1 r
    for r in "${runs[@]}"; do
        # shellcheck disable=SC2086
        replay_row "$w" $r "$@" "${cal[@]}"
        if [ $first = 1 ]; then
            first=0
            python3 "$ROOT/tests/validate/thrash_cal.py" "$TMP/m.json" "$OUT/$w.kernel.csv" "${CAL_FROM:-kernel}" >"$TMP/cal.txt"
            # shellcheck disable=SC2207
            cal=(-s timing.calibrate=off $(head -1 "$TMP/cal.txt"))
            echo "# $w: calibration $(tail -1 "$TMP/cal.txt")"
            [ "${CAL_FROM:-kernel}" = kernel ] && [ -f "$OUT/$w.kernel.csv" ] && { # its first row again, at the moved values
                sed -i '$d' "$OUT/$w.model.csv"
                # shellcheck disable=SC2086
                replay_row "$w" $r "$@" "${cal[@]}"
            }
        fi
    done
}

# The CPU cost of a major fault and of reclaiming a page, fitted on the calibration
# workloads (FIT, default seqw and rand) replayed with the measured device; every workload is
# then replayed with those figures fixed, the others judged by them.
FIT=${FIT:-"seqw rand"}
FITW=""; for w in $FIT; do case " $WORKLOADS " in *" $w "*) FITW="$FITW $w" ;; esac; done
CPUSET=()
if [ -n "$FITW" ]; then
    for w in $FITW; do model_workload "$w"; done
    # shellcheck disable=SC2086
    python3 "$ROOT/tests/validate/thrash_fit.py" "$OUT" 3 $FITW >"$TMP/fit.txt"
    # shellcheck disable=SC2207
    CPUSET=($(head -1 "$TMP/fit.txt"))
    FIT_NOTE=$(tail -1 "$TMP/fit.txt")
    echo "# CPU costs $FIT_NOTE: ${CPUSET[*]}"
fi
for w in $WORKLOADS; do
    model_workload "$w" "${CPUSET[@]}"
    "$MMSIM" plot thrashing "$OUT/$w.kernel.csv" "$OUT/$w.model.csv" -o "$OUT/$w.svg" \
        --title "$w: kernel and model" >/dev/null 2>"$TMP/plot.err" ||
        echo "# plot $w failed: $(head -1 "$TMP/plot.err")"
done

{
    echo "Swap file $SWAP_MIB MiB on $dev (rotational $rota), memory cgroup $CGV, kernel $KREL, $(nproc) CPUs;"
    echo "load average before the kernel runs $LOAD0, after $LOAD1."
    echo "The swap device as measured (thrash_dev, O_DIRECT, queue depth 1): 4 KiB read ${read_mean_4k_us} us,"
    echo "32 KiB read ${read_mean_32k_us} us, 4 KiB write ${write_mean_4k_us} us, 256 KiB write ${write_mean_256k_us} us;"
    [ -n "${read_cpu_ns:-}" ] && echo "of which CPU time of the submitting process: 4 KiB read ${read_cpu_4k_us} us, 32 KiB read ${read_cpu_32k_us} us, 4 KiB write ${write_cpu_4k_us} us, 256 KiB write ${write_cpu_256k_us} us (timing.swap_read_cpu, swap_write_cpu; the device's latency less it);"
    [ -n "${write_cv:-}" ] && echo "The requests' times spread with a coefficient of variation of ${read_cv} (4 KiB reads) and ${write_cv} (4 KiB writes) (swap.latency_cv, their mean);"
    echo "the model's device: read latency ${read_latency_ns} ns, bandwidth ${read_bandwidth} B/s;"
    echo "write latency ${write_latency_ns} ns, bandwidth ${write_bandwidth} B/s."
    [ -n "${irq_ns:-}" ] && echo "Interrupts (thrash_irq): a device completion takes ${irq_ns} ns from the task running on CPU $irq_cpu, a TLB-flush IPI ${ipi_sender_ns} ns from its sender and ${ipi_receiver_ns} ns from its receiver, a switch between two processes ${switch_ns} ns."
    [ -n "${flush_recv_other_ns:-}" ] && echo "A reclaim flush takes ${flush_recv_other_ns} ns from a CPU running another process (thrash_spin beside a walk thrashing in 4 MiB; seconds lost, pages written: flushes local ${flush_loss_local:-}, reaching it ${flush_loss_remote:-})."
    echo "The model's machine: $HOST_CPU_INI, the kernel's CPU $HOST_CPU; PCID $HOST_PCID (cpu.pcid)."
    echo "CPU costs ${FIT_NOTE:-not fitted}${CPUSET[*]:+ (${CPUSET[*]})}."
    echo
    python3 "$ROOT/tests/validate/thrash_report.py" "$OUT" $WORKLOADS
} >"$OUT/tables.md"
cat "$OUT/tables.md"
