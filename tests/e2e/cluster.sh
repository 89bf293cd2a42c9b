#!/usr/bin/env bash
# Sweeps on real clusters. A single-node Slurm cluster (Debian's munge, slurmctld and slurmd,
# started by hand on free loopback ports with a generated slurm.conf; no systemd) runs the array
# of `mmsim sweep --emit slurm` through sbatch; GNU parallel runs the job list of `--emit
# parallel` over ssh (a private sshd on 127.0.0.1 with a generated key) with --sshloginfile.
# `--collect` of each must equal a local sweep. Every daemon is stopped by its PID at exit, on
# failure too. Needs root (the daemons run as root and munge) and `make test-deps`.
source "$(dirname "$0")/lib.sh"
SYNTH=$ROOT/build/tools/mmt_synth

skip_all() { echo "ok - cluster tests skipped: $1 # SKIP"; exit 0; }
[ "$(id -u)" = 0 ] || skip_all "not root"
for b in munged mungekey slurmctld slurmd sbatch squeue sshd ssh ssh-keygen parallel setpriv; do
    command -v "$b" >/dev/null || PATH=$PATH:/usr/sbin command -v "$b" >/dev/null ||
        skip_all "$b is not installed (make test-deps)"
done
PATH=$PATH:/usr/sbin

# The cluster's folder: readable by the munge user (lib.sh's TMP is root's alone).
CL=$(mktemp -d /tmp/mmsim-cluster.XXXXXX)
chmod 755 "$CL"
PIDS=()
NODE=mmsimnode
# slurmstepd outlives its job by a moment: wait until its sockets leave the spool
steps_gone() { ! ls "$CL/spool" 2>/dev/null | grep -q "^$NODE"; }
stop_daemons() {
    local p i
    # jobs still running (a failure, an interrupt): cancel them so that their slurmstepd
    # ends with them before slurmd goes
    if [ -n "${SLURM_CONF:-}" ]; then
        local ids; ids=$(squeue -h -o %A 2>/dev/null)
        [ -n "$ids" ] && scancel $ids 2>/dev/null
        wait_for 10 steps_gone
    fi
    for p in "${PIDS[@]}"; do kill -TERM "$p" 2>/dev/null; done
    for i in $(seq 50); do
        local alive=0
        for p in "${PIDS[@]}"; do kill -0 "$p" 2>/dev/null && alive=1; done
        [ $alive = 0 ] && break
        sleep 0.1
    done
    for p in "${PIDS[@]}"; do kill -KILL "$p" 2>/dev/null; done
    wait 2>/dev/null
    rm -rf "$CL" "$TMP"
}
trap stop_daemons EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() { # seconds command... : polls every 0.1 s until the command succeeds
    local n=$(($1 * 10)); shift
    for _ in $(seq "$n"); do "$@" >/dev/null 2>&1 && return 0; sleep 0.1; done
    return 1
}

# ---- the sweep, locally, as the reference ----
cat >"$TMP/m.ini" <<'INI'
[tlb.l1d]
entries = 64
ways = 4
kind = dtlb
INI
check "trace a" "$SYNTH" -o "$TMP/a.mmt" --pattern hotcold --pages 300 --accesses 30000
# 6 points keep the test short on a loaded machine (each task is a login or a slurmstepd)
SWEEP=(-c "$TMP/m.ini" --vary tlb.l1d.entries=16,32,64 --vary tlb.l1d.ways=4,0 "$TMP/a.mmt")
check "a local 3x2 sweep" "$MMSIM" sweep "${SWEEP[@]}" -j 2 -o "$TMP/local.csv"

# ---- Slurm: munged, slurmctld, slurmd ----
M=$CL/munge
mkdir -p "$M" && chown munge:munge "$M" && chmod 755 "$M"
check "a munge key of our own" setpriv --reuid=munge --regid=munge --init-groups mungekey --create --keyfile="$M/key"
setpriv --reuid=munge --regid=munge --init-groups munged --foreground --socket="$M/socket" \
    --pid-file="$M/munged.pid" --log-file="$M/munged.log" --seed-file="$M/seed" --key-file="$M/key" >/dev/null 2>&1 &
PIDS+=($!)
check "munged runs (as the munge user, on a private socket)" wait_for 10 test -S "$M/socket"

mkdir -p "$CL/state" "$CL/spool"
cat >"$CL/slurm.conf" <<CONF
ClusterName=mmsimtest
SlurmctldHost=localhost
SlurmctldPort=$(free_port)
SlurmdPort=$(free_port)
SlurmUser=root
SlurmdUser=root
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$M/socket
StateSaveLocation=$CL/state
SlurmdSpoolDir=$CL/spool
SlurmctldPidFile=$CL/slurmctld.pid
SlurmdPidFile=$CL/slurmd.pid
SlurmctldLogFile=$CL/slurmctld.log
SlurmdLogFile=$CL/slurmd.log
# no freezer cgroup in a container: proctrack/cgroup would drain the node
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
MpiDefault=none
# one task a CPU (select/linear would give each array task the whole node)
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/builtin
SchedulerParameters=batch_sched_delay=0
ReturnToService=2
# array indices 0..5: room for the 6-point sweep's array, not for one index more
MaxArraySize=6
NodeName=$NODE NodeAddr=127.0.0.1 CPUs=$(nproc) State=UNKNOWN
PartitionName=mmsim Nodes=$NODE Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF=$CL/slurm.conf
slurmctld -D -i -f "$SLURM_CONF" >"$CL/slurmctld.out" 2>&1 &
PIDS+=($!)
slurmd -D -N "$NODE" -f "$SLURM_CONF" >"$CL/slurmd.out" 2>&1 &
PIDS+=($!)
node_idle() { sinfo -h -n "$NODE" -o %t | grep -qx idle; }
if ! check "the node comes up idle" wait_for 30 node_idle; then
    tail -5 "$CL/slurmctld.log" "$CL/slurmd.log" 2>&1 | sed 's/^/#   /'
fi

# sbatch FOLDER SCRIPT [options]: submits from FOLDER, waits until the job leaves the queue
submit_and_wait() {
    local dir=$1 script=$2 id; shift 2
    id=$(cd "$dir" && sbatch --parsable "$@" "$script") || return 1
    wait_for 60 bash -c "[ -z \"\$(squeue -h -j $id 2>/dev/null)\" ]"
}

check "--emit slurm" "$MMSIM" sweep "${SWEEP[@]}" --emit slurm "$TMP/job.sbatch" --dir "$TMP/sd"
t0=$(date +%s)
check "plain sbatch runs the array (#SBATCH --array=0-5) and it leaves the queue" submit_and_wait "$TMP" job.sbatch
echo "# 6 tasks: $(($(date +%s) - t0)) s from sbatch to an empty queue"
wait_for 10 steps_gone
check_eq "every task wrote its log" 6 "$(ls "$TMP/sd" | grep -c '^slurm-.*\.out$')"
check_eq "no task wrote to its log (errors go to ID.err)" "" "$(cat "$TMP"/sd/slurm-*.out 2>/dev/null)"
check "--collect of the Slurm folder" "$MMSIM" sweep --collect "$TMP/sd" -o "$TMP/slurm.csv"
check_eq "Slurm CSV equals the local sweep" "$(sort "$TMP/local.csv" | md5sum)" "$(sort "$TMP/slurm.csv" | md5sum)"

# a sweep longer than MaxArraySize: submitted in parts with MMSIM_TASK_OFFSET
check "--emit slurm again, into another folder" "$MMSIM" sweep "${SWEEP[@]}" --emit slurm "$TMP/parts.sbatch" --dir "$TMP/sd2"
(cd "$TMP" && sbatch --array=0-6 parts.sbatch) >"$TMP/refused.txt" 2>&1
check "sbatch refuses index 6 when MaxArraySize is 6" grep -q "Invalid job array specification" "$TMP/refused.txt"
sed 's/^/# /' "$TMP/refused.txt"
t0=$(date +%s)
check "the script in two parts: tasks 0-3" bash -c "cd '$TMP' && sbatch --parsable --array=0-3 parts.sbatch >'$TMP/ids'"
check "and tasks 4-5 as 0-1 with MMSIM_TASK_OFFSET=4" bash -c "cd '$TMP' && sbatch --parsable --array=0-1 --export=ALL,MMSIM_TASK_OFFSET=4 parts.sbatch >>'$TMP/ids'"
check "both leave the queue" wait_for 60 bash -c "[ -z \"\$(squeue -h -j $(paste -sd, "$TMP/ids") 2>/dev/null)\" ]"
echo "# 6 tasks in two arrays: $(($(date +%s) - t0)) s from the first sbatch to an empty queue"
wait_for 10 steps_gone
check_eq "6 task logs" 6 "$(ls "$TMP/sd2" | grep -c '^slurm-.*\.out$')"
check "--collect of the two parts" "$MMSIM" sweep --collect "$TMP/sd2" -o "$TMP/slurm2.csv"
check_eq "that CSV equals the local sweep too" "$(sort "$TMP/local.csv" | md5sum)" "$(sort "$TMP/slurm2.csv" | md5sum)"

# ---- GNU parallel over ssh: a private sshd on loopback ----
S=$CL/ssh
mkdir -p "$S" /run/sshd
ssh-keygen -q -t ed25519 -N '' -f "$S/host_key"
ssh-keygen -q -t ed25519 -N '' -f "$S/id"
cp "$S/id.pub" "$S/authorized_keys"
SSH_PORT=$(free_port)
cat >"$S/sshd_config" <<CONF
Port $SSH_PORT
ListenAddress 127.0.0.1
HostKey $S/host_key
PidFile $S/sshd.pid
AuthorizedKeysFile $S/authorized_keys
# the key sits under /tmp, which is world-writable
StrictModes no
PasswordAuthentication no
KbdInteractiveAuthentication no
PermitRootLogin prohibit-password
UsePAM no
CONF
cat >"$S/config" <<CONF
Host node1
    HostName 127.0.0.1
    Port $SSH_PORT
    User $(id -un)
    IdentityFile $S/id
    IdentitiesOnly yes
    UserKnownHostsFile $S/known_hosts
    StrictHostKeyChecking accept-new
    BatchMode yes
CONF
"$(command -v sshd)" -D -e -f "$S/sshd_config" 2>"$S/sshd.log" &
PIDS+=($!)
check "sshd answers on 127.0.0.1 with the generated key" wait_for 10 ssh -F "$S/config" node1 true
echo "2/node1" >"$TMP/hosts.txt"
check "--emit parallel" "$MMSIM" sweep "${SWEEP[@]}" --emit parallel "$TMP/jobs.txt" --dir "$TMP/pd"
check "parallel --sshloginfile runs the jobs over ssh" \
    parallel --will-cite --ssh "ssh -F $S/config" --sshloginfile "$TMP/hosts.txt" --halt now,fail=1 -a "$TMP/jobs.txt"
check_eq "the jobs logged in over ssh (sshd accepted 6 or more logins)" 1 \
    "$(($(grep -c 'Accepted publickey' "$S/sshd.log") >= 6))"
check "--collect of the parallel folder" "$MMSIM" sweep --collect "$TMP/pd" -o "$TMP/par.csv"
check_eq "parallel CSV equals the local sweep" "$(sort "$TMP/local.csv" | md5sum)" "$(sort "$TMP/par.csv" | md5sum)"
