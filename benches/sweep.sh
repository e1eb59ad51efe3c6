#!/usr/bin/env bash
# Sweep throughput as a user sees it: `fulcrum sweep` on the teacup and SIR models of the
# system-dynamics test suite, 100,000 runs each (a final-value outcome and bands of its
# variable, see benches/experiments/), on one thread and on two. Prints the median runs per
# second of five runs of the whole command, the speed-up, and the peak memory of a
# 1,000,000-run teacup sweep.
#
#   benches/sweep.sh            # everything
#   RUNS=5 benches/sweep.sh     # repetitions per figure (default 5)
set -euo pipefail
source "$(dirname "$0")/timing.sh"

# Runs per second of one whole command (model reading, runs, files written).
rate() {
    local experiment=$1 threads=$2 runs=$3
    local start end
    start=$(date +%s%N)
    # --force: every figure reuses one scratch folder, whatever the experiment.
    "$fulcrum" sweep "$experiment" -o "$scratch/out" --force --threads "$threads" 2>"$scratch/err" ||
        { cat "$scratch/err" >&2; exit 1; }
    end=$(date +%s%N)
    awk -v runs="$runs" -v ns=$((end - start)) 'BEGIN { printf "%.0f\n", runs / (ns / 1e9) }'
}

printf '%-8s %8s %14s %9s\n' model threads "runs/s" speed-up
for model in teacup sir; do
    experiment=benches/experiments/$model.toml
    one=""
    for threads in 1 2; do
        figure=$(for _ in $(seq "$repetitions"); do rate "$experiment" "$threads" 100000; done | median)
        [ -z "$one" ] && one=$figure
        printf '%-8s %8s %14s %8.2fx\n' "$model" "$threads" "$figure" "$(awk -v a="$figure" -v b="$one" 'BEGIN { print a / b }')"
    done
done

# Peak memory of a million-run teacup sweep with bands (quantiles past the exact limit are
# sketched, so memory stays flat).
if [ -x /usr/bin/time ]; then
    /usr/bin/time -v "$fulcrum" sweep benches/experiments/teacup.toml -o "$scratch/million" --runs 1000000 \
        2>"$scratch/time.txt" >/dev/null
    peak=$(awk -F': ' '/Maximum resident set size/ { print $2 }' "$scratch/time.txt")
    awk -v kb="$peak" 'BEGIN { printf "teacup, 1,000,000 runs with bands: peak memory %.0f MiB\n", kb / 1024 }'
fi
