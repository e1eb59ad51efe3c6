#!/usr/bin/env bash
# Soak test: a million-run sweep of a bundled model, its peak memory, and the same sweep killed
# half-way and resumed, and run as two shards and merged: all three must be the same bytes.
#
#   bash tests/soak/run.sh
#
# Prints each run's time and peak memory (from /usr/bin/time, else /proc) and fails if the
# files differ or the peak passes FULCRUM_SOAK_MAX_MIB. Takes a few minutes on two cores; not
# part of .ci/run.
#
# Knobs:
#   FULCRUM_SOAK_RUNS=1000000        runs in the sweep
#   FULCRUM_SOAK_MAX_MIB=1024        the most memory a sweep may peak at
#   FULCRUM_SOAK_EXPERIMENT=models/workforce/experiment.toml
#   FULCRUM_SOAK_NO_BUILD=1          use target/release/fulcrum as it is
#   FULCRUM_SOAK_KEEP=1              keep the scratch directory
set -euo pipefail

repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
cd "$repo"
runs=${FULCRUM_SOAK_RUNS:-1000000}
max_mib=${FULCRUM_SOAK_MAX_MIB:-1024}
experiment=${FULCRUM_SOAK_EXPERIMENT:-models/workforce/experiment.toml}
fulcrum=$repo/target/release/fulcrum
scratch=$(mktemp -d "${TMPDIR:-/tmp}/fulcrum-soak.XXXXXX")
cleanup() { [[ -n ${FULCRUM_SOAK_KEEP:-} ]] || rm -rf "$scratch"; }
trap 'kill -9 "${pid:-}" 2>/dev/null; cleanup' EXIT

say() { printf '[soak %s] %s\n' "$(date +%H:%M:%S)" "$*"; }
die() { say "FAILED: $*"; exit 1; }

if [[ -z ${FULCRUM_SOAK_NO_BUILD:-} ]]; then
    cargo build --release --quiet
fi
[[ -x $fulcrum ]] || die "no binary at $fulcrum"

# measure NAME ARGS...: runs fulcrum, prints seconds and peak resident memory, checks the limit.
measure() {
    local name=$1
    shift
    local start end peak_kib
    start=$(date +%s%N)
    if [[ -x /usr/bin/time ]]; then
        /usr/bin/time -f '%M' -o "$scratch/$name.rss" "$fulcrum" "$@" 2>"$scratch/$name.err" ||
            die "$name: fulcrum $* failed: $(tail -n 3 "$scratch/$name.err")"
        peak_kib=$(tail -n 1 "$scratch/$name.rss")
    else
        "$fulcrum" "$@" 2>"$scratch/$name.err" &
        local pid=$! peak=0 hwm
        while kill -0 "$pid" 2>/dev/null; do
            hwm=$(awk '/VmHWM/ { print $2 }' "/proc/$pid/status" 2>/dev/null || echo 0)
            ((${hwm:-0} > peak)) && peak=$hwm
            sleep 0.05
        done
        wait "$pid" || die "$name: fulcrum $* failed: $(tail -n 3 "$scratch/$name.err")"
        peak_kib=$peak
    fi
    end=$(date +%s%N)
    local mib=$((peak_kib / 1024))
    say "$(printf '%-14s %7.1f s, peak %5d MiB' "$name" "$(awk -v ns=$((end - start)) 'BEGIN { print ns / 1e9 }')" "$mib")"
    ((mib <= max_mib)) || die "$name peaked at $mib MiB, more than $max_mib MiB"
}

# same DIR_A DIR_B: every file byte for byte, the same names.
same() {
    diff <(cd "$1" && find . -type f | LC_ALL=C sort) <(cd "$2" && find . -type f | LC_ALL=C sort) ||
        die "$1 and $2 hold different files"
    local f
    while IFS= read -r f; do
        cmp -s "$1/$f" "$2/$f" || die "$f differs between $1 and $2"
    done < <(cd "$1" && find . -type f)
    say "$2 == $1 ($(find "$1" -type f | wc -l) files, $(du -sh "$1" | cut -f1))"
}

say "$runs runs of $experiment"
measure whole sweep "$experiment" --runs "$runs" -o "$scratch/whole"

# Killed half-way (a checkpoint every second), then resumed.
"$fulcrum" sweep "$experiment" --runs "$runs" -o "$scratch/resumed" --checkpoint-every 1 2>/dev/null &
pid=$!
half=$((runs / 2))
kept=0
while ((kept < half)) && kill -0 "$pid" 2>/dev/null; do
    sleep 0.2
    # Each finished segment's manifest records its run range as `"runs": [first, end]`.
    kept=$(find "$scratch/resumed/.fulcrum-partial" -name manifest.json -exec cat {} + 2>/dev/null |
        awk '/"runs": \[/ { getline a; getline b; gsub(/[ ,]/, "", a); gsub(/[ ,]/, "", b); n += b - a } END { print n + 0 }' ||
        echo 0)
done
kill -9 "$pid" 2>/dev/null || die "the sweep finished before it could be killed half-way (try more runs)"
wait "$pid" 2>/dev/null || true
say "killed with $kept of $runs runs checkpointed"
measure resume sweep "$experiment" --runs "$runs" -o "$scratch/resumed" --resume
same "$scratch/whole" "$scratch/resumed"

# The two halves as shards, merged.
measure shard-1 sweep "$experiment" --runs "$runs" --shard 1/2 -o "$scratch/half-1"
measure shard-2 sweep "$experiment" --runs "$runs" --shard 2/2 -o "$scratch/half-2"
measure merge merge "$scratch/half-1" "$scratch/half-2" -o "$scratch/merged"
same "$scratch/whole" "$scratch/merged"
say "soak passed"
