#!/usr/bin/env bash
# Sharded sweeps against a REAL Slurm: a throwaway single-node cluster in a temporary directory.
#
#   bash tests/slurm/run.sh
#
# Phases (each one is timed):
#   1. install   Debian's slurmctld, slurmd, slurm-client and munge if any tool is missing. Without
#                root, apt-get or the package archive this prints "skipped: <reason>" and exits 0;
#                under CI (CI set, and not 0 or false) it prints the reason and exits 1 instead,
#                so that CI cannot pass without running the test.
#   2. cluster   munged + slurmctld + slurmd from a generated config in a temporary directory;
#                no config under /etc is used or written (SLURM_CONF and munged flags point there).
#   3. tiny      a 4-task job array plus an afterok job that concatenates its outputs.
#   4. fulcrum   `fulcrum sample` writes a Sobol design and `fulcrum slurm` a job script for it:
#                3 shards, then a dependent job that merges and analyses them. Once the jobs
#                are done, every merged file must equal an unsharded `fulcrum sweep` of the
#                design, and the analysis the files of `fulcrum sensitivity` run directly, byte
#                for byte. The CLI calls live in submit_sharded_sweep and run_single_sweep below:
#                adapt those when the flags change.
#
# Whatever happens (failure, Ctrl-C, SIGTERM) the EXIT trap cancels the jobs, stops the daemons,
# kills any process still carrying this run's SLURM_CONF and removes the temporary directory.
# Only SIGKILL of this script can leave daemons behind.
#
# Environment knobs (not SLURM_*: those are cleared at start):
#   FULCRUM_SLURM_KEEP=1              keep the temporary directory (daemons are still stopped)
#   FULCRUM_SLURM_TIMEOUT=300         seconds to wait for the tiny jobs
#   FULCRUM_SLURM_FULCRUM_TIMEOUT=900 seconds to wait for the fulcrum jobs
#   FULCRUM_SLURM_SHARDS=3            shards for the fulcrum test
#   FULCRUM_SLURM_NO_BUILD=1          use target/release/fulcrum as it is, without cargo build
#   FULCRUM_SLURM_BIN=PATH            test this fulcrum binary (or a stand-in); implies no build
#   FULCRUM_SLURM_NO_INSTALL=1        never install packages: skip if Slurm or munge is missing (under
#                                     CI: fail)
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
fulcrum=${FULCRUM_SLURM_BIN:-$repo/target/release/fulcrum}
experiment="$repo/models/workforce/experiment.toml"
tiny_timeout=${FULCRUM_SLURM_TIMEOUT:-300}
fulcrum_timeout=${FULCRUM_SLURM_FULCRUM_TIMEOUT:-900}
shards=${FULCRUM_SLURM_SHARDS:-3}
samples=512 # Sobol's N: N × (D + 2) = 5,120 runs for the workforce experiment's 8 parameters, five
            # blocks of 1,024 runs, so every shard has some

# Slurm's clients read these from the environment (a CI job inside a real allocation would have
# SLURM_JOB_ID, SQUEUE_FORMAT, ...): drop them all so that only our SLURM_CONF is in force, and so
# that the unsharded sweep cannot see a stray SLURM_ARRAY_TASK_ID.
while IFS= read -r var; do
    unset "$var"
done < <(compgen -e | grep -E '^(SLURM|SBATCH|SALLOC|SRUN|SQUEUE|SINFO|SCONTROL|SACCT|SCANCEL)_' || true)

# ---------------------------------------------------------------------------------------------
# Output, timing
# ---------------------------------------------------------------------------------------------
now() { printf '%s' "${EPOCHREALTIME:-$(date +%s.%N)}"; }
t0=$(now)
passed=0 # checks: cluster up, tiny jobs, fulcrum sharded == unsharded
phase_names=()
phase_secs=()
phase_name=""
phase_start=""

say() { printf '[slurm-test %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
die() {
    printf '[slurm-test] ERROR: %s\n' "$*" >&2
    exit 1
}
# CI must run the test: there a reason to skip is a failure.
in_ci() { [[ -n ${CI:-} && ${CI:-} != 0 && ${CI:-} != false ]]; }
skip_reason=""
skip() {
    if in_ci; then
        printf '[slurm-test] ERROR: cannot run under CI (CI=%s), where skipping is a failure: %s\n' "$CI" "$*" >&2
        exit 1
    fi
    skip_reason=$*
    printf 'skipped: %s\n' "$*"
    exit 0
}
elapsed() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

phase() { # phase NAME: ends the running phase (if any) and starts NAME
    phase_end
    phase_name=$1
    phase_start=$(now)
    say "=== phase: $phase_name ==="
}
phase_end() {
    if [[ -n $phase_name ]]; then
        local secs
        secs=$(elapsed "$phase_start" "$(now)")
        phase_names+=("$phase_name")
        phase_secs+=("$secs")
        say "--- $phase_name took ${secs}s"
        phase_name=""
    fi
}
print_timings() {
    phase_end
    local i
    echo "timings:"
    for i in "${!phase_names[@]}"; do
        printf '  %-16s %8ss\n' "${phase_names[$i]}" "${phase_secs[$i]}"
    done
    printf '  %-16s %8ss\n' total "$(elapsed "$t0" "$(now)")"
}

# ---------------------------------------------------------------------------------------------
# Phase 1: packages
# ---------------------------------------------------------------------------------------------
required_tools=(munged munge unmunge mungekey slurmctld slurmd sbatch squeue sinfo scontrol scancel)
packages=(slurmctld slurmd slurm-client munge)

missing_tools() {
    local t out=()
    for t in "${required_tools[@]}"; do
        command -v "$t" >/dev/null 2>&1 || [[ -x /usr/sbin/$t ]] || out+=("$t")
    done
    printf '%s\n' "${out[@]}"
}

policy_rc_d_created=""
remove_policy_rc_d() {
    if [[ -n $policy_rc_d_created ]]; then
        rm -f /usr/sbin/policy-rc.d
        policy_rc_d_created=""
    fi
}

install_packages() {
    export PATH="$PATH:/usr/sbin:/sbin"
    local missing
    missing=$(missing_tools | paste -sd ' ')
    if [[ -z $missing ]]; then
        say "slurm and munge already installed"
        return
    fi
    say "missing: $missing"
    [[ -z ${FULCRUM_SLURM_NO_INSTALL:-} ]] || skip "slurm/munge not installed (missing: $missing) and FULCRUM_SLURM_NO_INSTALL is set"
    [[ $(id -u) -eq 0 ]] || skip "slurm/munge not installed (missing: $missing) and not root, cannot apt-get install ${packages[*]}"
    command -v apt-get >/dev/null 2>&1 || skip "slurm/munge not installed (missing: $missing) and no apt-get on this machine"

    local aptlog
    aptlog=$(mktemp)
    say "apt-get update"
    if ! apt-get update -q >"$aptlog" 2>&1; then
        cat "$aptlog" >&2
        rm -f "$aptlog"
        skip "apt-get update failed (no network or no package archive?)"
    fi
    local p candidate
    for p in "${packages[@]}"; do
        candidate=$(apt-cache policy "$p" 2>/dev/null | awk '/Candidate:/ { print $2 }')
        if [[ -z $candidate || $candidate == "(none)" ]]; then
            grep -E '^(W|E):' "$aptlog" >&2 || true
            rm -f "$aptlog"
            skip "package $p is not available from apt (no network, or an archive without it)"
        fi
    done

    # Packaged daemons must not start (and keep running) on install: policy-rc.d denies that to
    # invoke-rc.d and deb-systemd-invoke. Container images usually ship one; otherwise add one
    # for the duration of the install only.
    if [[ ! -e /usr/sbin/policy-rc.d ]]; then
        printf '#!/bin/sh\n# temporary, from fulcrum tests/slurm/run.sh\nexit 101\n' >/usr/sbin/policy-rc.d
        chmod 755 /usr/sbin/policy-rc.d
        policy_rc_d_created=1
    fi
    say "apt-get install ${packages[*]}"
    if ! apt-get install -y -q --no-install-recommends "${packages[@]}" >"$aptlog" 2>&1; then
        remove_policy_rc_d
        cat "$aptlog" >&2
        if grep -qE 'Failed to fetch|Temporary failure resolving|Could not resolve|Unable to connect' "$aptlog"; then
            rm -f "$aptlog"
            skip "apt-get install could not download packages (no network?)"
        fi
        rm -f "$aptlog"
        die "apt-get install ${packages[*]} failed (log above)"
    fi
    remove_policy_rc_d
    rm -f "$aptlog"
    missing=$(missing_tools | paste -sd ' ')
    [[ -z $missing ]] || die "installed ${packages[*]} but still missing: $missing"
}

# ---------------------------------------------------------------------------------------------
# Cleanup: runs on every exit
# ---------------------------------------------------------------------------------------------
tmp=""
munged_pid=""
slurmctld_pid=""
slurmd_pid=""
failed_dump_done=""

dump_logs() {
    [[ -z $failed_dump_done && -n $tmp && -d $tmp ]] || return 0
    failed_dump_done=1
    local f
    {
        echo "================ diagnostics ================"
        if [[ -n $slurmctld_pid ]] && kill -0 "$slurmctld_pid" 2>/dev/null; then
            echo "--- sinfo"
            timeout 5 sinfo -N -l 2>&1 || true
            timeout 5 sinfo -R 2>&1 || true
            echo "--- squeue"
            timeout 5 squeue -l 2>&1 || true
            echo "--- scontrol show job"
            timeout 5 scontrol -o show job 2>&1 | head -n 100 || true
        fi
        while IFS= read -r f; do
            echo "--- $f (last 80 lines)"
            tail -n 80 "$f"
        done < <(
            ls "$tmp"/log/*.log 2>/dev/null
            find "$tmp" -path "$tmp/work*" -type f \( -name '*.out' -o -name '*.err' -o -name '*.log' -o -name 'slurm-*' \) 2>/dev/null | LC_ALL=C sort | head -n 30
        )
        echo "============================================="
    } >&2
}

kill_and_wait() { # kill_and_wait NAME PID: SIGTERM, wait up to 15 s, then SIGKILL
    local name=$1 pid=$2 i
    [[ -n $pid ]] || return 0
    kill -0 "$pid" 2>/dev/null || return 0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 150; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        say "$name ($pid) did not stop on SIGTERM; SIGKILL"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || true
}

# Processes started under this run (daemons, slurmstepd, job steps) all carry our unique
# SLURM_CONF in their environment: find any that outlived their daemon, by pid, without forking.
kill_leftovers() {
    [[ -n $tmp ]] || return 0
    local marker="SLURM_CONF=$tmp/etc/slurm.conf" d pid entry found round
    local -a envs
    for round in TERM KILL; do
        found=""
        for d in /proc/[0-9]*; do
            pid=${d#/proc/}
            [[ $pid != "$$" && $pid != "$BASHPID" ]] || continue
            mapfile -d "" -t envs 2>/dev/null <"$d/environ" || continue
            for entry in "${envs[@]}"; do
                if [[ $entry == "$marker" ]]; then
                    say "leftover process $pid ($(tr '\0' ' ' <"$d/cmdline" 2>/dev/null | cut -c1-80)): SIG$round"
                    kill "-$round" "$pid" 2>/dev/null || true
                    found=1
                    break
                fi
            done
        done
        [[ -n $found ]] || break
        sleep 1
    done
}

cleanup() {
    local rc=$?
    set +e
    trap - EXIT INT TERM HUP
    remove_policy_rc_d
    if [[ $rc -ne 0 ]]; then
        dump_logs
    fi
    if [[ -n $tmp ]]; then
        if [[ -n $slurmctld_pid ]] && kill -0 "$slurmctld_pid" 2>/dev/null; then
            timeout 10 scancel --quiet --full --user="$(id -un)" >/dev/null 2>&1
            local i
            for ((i = 0; i < 20; i++)); do
                [[ -z $(timeout 5 squeue -h -o %i 2>/dev/null) ]] && break
                sleep 0.5
            done
        fi
        kill_and_wait slurmd "$slurmd_pid"
        kill_and_wait slurmctld "$slurmctld_pid"
        kill_and_wait munged "$munged_pid"
        kill_leftovers
        if [[ -n ${FULCRUM_SLURM_KEEP:-} ]]; then
            say "kept $tmp"
        else
            rm -rf "$tmp"
        fi
    fi
    print_timings
    if [[ $rc -ne 0 ]]; then
        echo "slurm test FAILED (exit $rc)" >&2
        echo "slurm: $passed passed, 1 failed"
    elif [[ -z $skip_reason ]]; then
        echo "slurm: $passed passed, 0 failed"
    fi
    exit "$rc"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM
trap 'exit 129' HUP

# ---------------------------------------------------------------------------------------------
# Phase 2: the cluster
# ---------------------------------------------------------------------------------------------
port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

pick_ports() { # sets ctld_port and slurmd_port to two free ports
    local i base
    for ((i = 0; i < 100; i++)); do
        base=$((20000 + (RANDOM % 20000) * 2))
        if ! port_in_use "$base" && ! port_in_use "$((base + 1))"; then
            ctld_port=$base
            slurmd_port=$((base + 1))
            return
        fi
    done
    die "no two free TCP ports found on 127.0.0.1"
}

wait_for() { # wait_for SECONDS DESCRIPTION COMMAND...: poll every 0.5 s
    local secs=$1 what=$2 i
    shift 2
    for ((i = 0; i < secs * 2; i++)); do
        "$@" && return 0
        sleep 0.5
    done
    die "timed out after ${secs}s waiting for $what"
}

ctld_up() { scontrol ping 2>/dev/null | grep -q 'is UP'; }

alive() { # alive NAME PID: fails loudly if the daemon died
    kill -0 "$2" 2>/dev/null || die "$1 exited unexpectedly (log: $tmp/log/$1.log)"
}

start_cluster() {
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/fulcrum-slurm.XXXXXX")
    [[ $tmp != *[[:space:]]* ]] || die "temporary directory path has whitespace: $tmp (set TMPDIR)"
    # munged wants every directory above its socket searchable by all, and nothing writable by
    # others: 0755 on ours.
    chmod 755 "$tmp"
    mkdir -p "$tmp"/{etc,munge,log,run,state,spool/slurmd}
    chmod 755 "$tmp/munge"
    export SLURM_CONF="$tmp/etc/slurm.conf"

    local user host
    user=$(id -un)
    host=$(hostname -s 2>/dev/null || uname -n)
    host=${host%%.*}
    [[ -n $host ]] || host=localhost

    # --- munge
    local sock="$tmp/munge/munge.socket.2"
    mungekey --create --keyfile="$tmp/munge/munge.key" 2>/dev/null ||
        dd if=/dev/urandom of="$tmp/munge/munge.key" bs=1024 count=1 status=none
    chmod 600 "$tmp/munge/munge.key"
    munged --foreground --socket="$sock" --key-file="$tmp/munge/munge.key" \
        --log-file="$tmp/log/munged.log" --pid-file="$tmp/run/munged.pid" \
        --seed-file="$tmp/munge/munged.seed" </dev/null >>"$tmp/log/munged.log" 2>&1 &
    munged_pid=$!
    wait_for 20 "munged socket $sock" test -S "$sock"
    alive munged "$munged_pid"
    munge -n -S "$sock" | unmunge -S "$sock" >/dev/null ||
        die "munge round trip through $sock failed (log: $tmp/log/munged.log)"
    say "munged up (pid $munged_pid)"

    # --- slurm.conf, with the node's real shape from slurmd -C
    local hw key val cpus=1 boards=1 sockets=1 cores=1 threads=1 mem=1024
    hw=$(slurmd -C 2>/dev/null | head -n 1) || die "slurmd -C failed"
    for kv in $hw; do
        key=${kv%%=*}
        val=${kv#*=}
        case $key in
        CPUs) cpus=$val ;;
        Boards) boards=$val ;;
        SocketsPerBoard) sockets=$val ;;
        CoresPerSocket) cores=$val ;;
        ThreadsPerCore) threads=$val ;;
        RealMemory) mem=$val ;;
        esac
    done
    pick_ports
    cat >"$SLURM_CONF" <<EOF
# Generated by fulcrum tests/slurm/run.sh: a throwaway single-node cluster.
ClusterName=fulcrumtest
SlurmctldHost=$host(127.0.0.1)
SlurmctldPort=$ctld_port
SlurmdPort=$slurmd_port
SlurmUser=$user
SlurmdUser=$user
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$sock
StateSaveLocation=$tmp/state
SlurmdSpoolDir=$tmp/spool/slurmd
SlurmctldPidFile=$tmp/run/slurmctld.pid
SlurmdPidFile=$tmp/run/slurmd.pid
SlurmctldLogFile=$tmp/log/slurmctld.log
SlurmdLogFile=$tmp/log/slurmd.log
SlurmctldDebug=info
SlurmdDebug=info
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
MailProg=/bin/true
SwitchType=switch/none
ReturnToService=2
MinJobAge=3600
KillWait=5
InactiveLimit=0
SchedulerType=sched/backfill
NodeName=$host NodeAddr=127.0.0.1 NodeHostname=$host CPUs=$cpus Boards=$boards SocketsPerBoard=$sockets CoresPerSocket=$cores ThreadsPerCore=$threads RealMemory=$mem State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
    say "slurm.conf: $SLURM_CONF (node $host: CPUs=$cpus RealMemory=$mem; ports $ctld_port/$slurmd_port)"

    # --- daemons, in the foreground of background jobs so that we own their pids
    slurmctld -D -i -f "$SLURM_CONF" </dev/null >>"$tmp/log/slurmctld.stdout" 2>&1 &
    slurmctld_pid=$!
    wait_for 30 "slurmctld to answer (log: $tmp/log/slurmctld.log)" ctld_up
    alive slurmctld "$slurmctld_pid"
    slurmd -D -N "$host" -f "$SLURM_CONF" </dev/null >>"$tmp/log/slurmd.stdout" 2>&1 &
    slurmd_pid=$!

    local i state=""
    for ((i = 0; i < 120; i++)); do
        alive slurmctld "$slurmctld_pid"
        alive slurmd "$slurmd_pid"
        state=$(sinfo -h -N -n "$host" -o %T 2>/dev/null | head -n 1 || true)
        [[ $state == idle ]] && break
        sleep 0.5
    done
    [[ $state == idle ]] || die "node $host is '${state:-unknown}', not idle, after 60 s"
    say "cluster up: slurmctld $slurmctld_pid, slurmd $slurmd_pid, node $host idle"
}

# ---------------------------------------------------------------------------------------------
# Jobs
# ---------------------------------------------------------------------------------------------
submit() { # submit SBATCH_ARGS...: prints the job id
    local out
    out=$(sbatch --parsable "$@") || die "sbatch $* failed"
    printf '%s\n' "${out%%;*}"
}

wait_queue_empty() { # wait_queue_empty SECONDS: every job of this private cluster has left the queue
    local secs=$1 start=$SECONDS q errors=0 last=""
    while :; do
        alive slurmctld "$slurmctld_pid"
        alive slurmd "$slurmd_pid"
        if q=$(squeue -h -o '%i %T %r' 2>&1); then
            errors=0
            [[ -z $q ]] && return 0
            # An afterok job whose dependency failed would wait forever: fail now.
            if [[ $q == *DependencyNeverSatisfied* ]]; then
                say "queue: $(tr '\n' ';' <<<"$q")"
                check_jobs_completed
                die "a dependency can never be satisfied"
            fi
            if [[ $q != "$last" ]]; then
                say "queue: $(tr '\n' ';' <<<"$q")"
                last=$q
            fi
        else
            ((++errors))
            ((errors < 10)) || die "squeue keeps failing: $q"
        fi
        ((SECONDS - start < secs)) || die "jobs still queued after ${secs}s: $(tr '\n' ';' <<<"$q")"
        sleep 1
    done
}

check_jobs_completed() { # every job the controller remembers ended COMPLETED with exit 0:0
    local line bad="" n=0
    while IFS= read -r line; do
        [[ -n $line ]] || continue
        ((++n))
        if [[ $line != *" JobState=COMPLETED "* || $line != *" ExitCode=0:0 "* ]]; then
            bad+=$'\n'"  $(grep -oE '(JobId|ArrayJobId|ArrayTaskId|JobName|JobState|Reason|ExitCode)=[^ ]*' <<<"$line" | tr '\n' ' ')"
        fi
    done < <(scontrol -o show job 2>/dev/null)
    ((n > 0)) || die "the controller knows no jobs at all"
    [[ -z $bad ]] || die "jobs did not complete:$bad"
    say "all $n job records COMPLETED with exit 0:0"
}

tiny_job_check() {
    local work="$tmp/work-tiny"
    mkdir -p "$work/logs"
    local array dep
    # shellcheck disable=SC2016 # expanded by the job, not here
    array=$(submit --job-name=tiny-array --array=0-3 --chdir="$work" --output="$work/logs/%x-%A_%a.out" \
        --wrap 'echo $SLURM_ARRAY_TASK_ID $SLURM_ARRAY_TASK_COUNT > out.$SLURM_ARRAY_TASK_ID')
    dep=$(submit --job-name=tiny-cat --dependency="afterok:$array" --chdir="$work" \
        --output="$work/logs/%x-%j.out" --wrap 'cat out.0 out.1 out.2 out.3 > all')
    say "submitted array job $array (tasks 0-3) and dependent job $dep"
    wait_queue_empty "$tiny_timeout"
    check_jobs_completed
    local i expected
    for i in 0 1 2 3; do
        [[ -f $work/out.$i ]] || die "array task $i wrote no $work/out.$i"
        [[ $(<"$work/out.$i") == "$i 4" ]] || die "out.$i is '$(<"$work/out.$i")', expected '$i 4'"
    done
    expected=$'0 4\n1 4\n2 4\n3 4'
    [[ -f $work/all ]] || die "the dependent job wrote no $work/all"
    [[ $(<"$work/all") == "$expected" ]] || die "the dependent job wrote '$(<"$work/all")', expected '$expected'"
    say "tiny job array + afterok dependency OK"
}

# ---------------------------------------------------------------------------------------------
# Phase 4: fulcrum. Adapt here when the CLI of `fulcrum slurm` / `fulcrum sweep` changes.
# ---------------------------------------------------------------------------------------------
# Writes the job script for a sharded sweep and runs it; it must sbatch an array job of $shards
# tasks (shard k writing $work/out/shards/<k>/) and a dependent merge job writing
# $work/out/merged/. The script's output (the job ids) is only logged: the harness waits for the
# whole private queue to drain and then requires every job to have COMPLETED.
submit_sharded_sweep() {
    local work=$1
    "$fulcrum" sample sensitivity "$experiment" --method sobol --samples "$samples" -o "$work/design"
    "$fulcrum" slurm "$experiment" --shards "$shards" --design "$work/design" --output "$work/out" -o "$work/job.sh"
    [[ -s $work/job.sh ]] || die "fulcrum slurm wrote no $work/job.sh"
    say "job script $work/job.sh:"
    sed 's/^/    | /' "$work/job.sh"
    (cd "$work" && bash job.sh) | sed 's/^/    job.sh: /' || die "bash $work/job.sh failed"
}
# The references, outside Slurm: the design swept in one process, and the analysis run directly
# (its manifest, which says where the runs came from, is left out of the comparison).
run_single_sweep() {
    local work=$1
    "$fulcrum" sweep "$experiment" --design "$work/design" -o "$work/single"
    "$fulcrum" sensitivity "$experiment" --method sobol --samples "$samples" -o "$work/direct"
    rm "$work/direct/manifest.json"
    cp -r "$work/out/analysis" "$work/analysed"
    rm "$work/analysed/manifest.json"
}
# Where the merge job put its files.
merged_dir() { printf '%s\n' "$1/out/merged"; }
# ---------------------------------------------------------------------------------------------

compare_trees() { # compare_trees EXPECTED ACTUAL: same file names, same bytes
    local expected=$1 actual=$2 f n=0 bad=0
    [[ -d $expected ]] || die "no directory $expected"
    [[ -d $actual ]] || die "no directory $actual"
    local list_e list_a
    list_e=$(cd "$expected" && find . -type f | LC_ALL=C sort)
    list_a=$(cd "$actual" && find . -type f | LC_ALL=C sort)
    [[ -n $list_e ]] || die "$expected holds no files"
    if [[ $list_e != "$list_a" ]]; then
        echo "file lists differ (< $expected, > $actual):" >&2
        diff <(printf '%s\n' "$list_e") <(printf '%s\n' "$list_a") >&2 || true
        bad=1
    fi
    while IFS= read -r f; do
        [[ -f $actual/$f ]] || continue
        ((++n))
        if ! cmp -- "$expected/$f" "$actual/$f" >&2; then
            echo "DIFFERENT: $f ($(wc -c <"$expected/$f") vs $(wc -c <"$actual/$f") bytes)" >&2
            diff <(head -c 4000 "$expected/$f") <(head -c 4000 "$actual/$f") | head -n 20 >&2 || true
            bad=1
        fi
    done <<<"$list_e"
    ((bad == 0)) || die "$actual is NOT byte-identical to $expected"
    say "$n files byte-identical: $actual == $expected"
}

fulcrum_check() {
    if [[ -n ${FULCRUM_SLURM_NO_BUILD:-} || -n ${FULCRUM_SLURM_BIN:-} ]]; then
        say "not building: using $fulcrum as it is"
    else
        command -v cargo >/dev/null 2>&1 || die "cargo not found: cannot build fulcrum"
        (cd "$repo" && cargo build --release) || die "cargo build --release failed"
    fi
    [[ -x $fulcrum ]] || die "no fulcrum binary at $fulcrum"
    "$fulcrum" slurm --help >/dev/null 2>&1 || die "$fulcrum has no \`slurm\` command"

    phase fulcrum-sharded
    local work="$tmp/work-fulcrum"
    mkdir -p "$work"
    submit_sharded_sweep "$work"
    wait_queue_empty "$fulcrum_timeout"
    check_jobs_completed
    phase fulcrum-single
    run_single_sweep "$work"
    phase compare
    compare_trees "$work/single" "$(merged_dir "$work")"
    say "sharded sweep on Slurm == unsharded sweep"
    compare_trees "$work/direct" "$work/analysed"
    say "analysis of the merged runs == sensitivity run directly"
    passed=$((passed + 1))
}

# ---------------------------------------------------------------------------------------------
phase install
install_packages
phase cluster
start_cluster
passed=$((passed + 1))
phase tiny-jobs
tiny_job_check
passed=$((passed + 1))
phase build
fulcrum_check
phase_end
say "slurm test passed"
