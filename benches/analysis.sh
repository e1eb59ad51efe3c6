#!/usr/bin/env bash
# The analysis commands end to end as a user runs them: `fulcrum leverage` with ten levers over
# 500 futures of the workforce model (benches/experiments/workforce_levers.toml), with and
# without the Sobol cross-check, on both cores. Prints the median wall time of five runs.
# (The Sobol estimator alone is benchmarked by `cargo bench --bench sensitivity`.)
#
#   benches/analysis.sh          # everything
#   RUNS=3 benches/analysis.sh   # repetitions per figure (default 5)
set -euo pipefail
source "$(dirname "$0")/timing.sh"

seconds() {
    local start end
    start=$(date +%s%N)
    "$fulcrum" "$@" -o "$scratch/out" --force >/dev/null 2>"$scratch/err" || { cat "$scratch/err" >&2; exit 1; }
    end=$(date +%s%N)
    awk -v ns=$((end - start)) 'BEGIN { printf "%.3f\n", ns / 1e9 }'
}

experiment=benches/experiments/workforce_levers.toml
printf '%-52s %10s\n' command "seconds"
for extra in "" "--no-cross-check"; do
    figure=$(for _ in $(seq "$repetitions"); do seconds leverage "$experiment" $extra; done | median)
    printf '%-52s %10s\n' "leverage (10 levers × 500 futures) $extra" "$figure"
done
figure=$(for _ in $(seq "$repetitions"); do seconds compare models/workforce/experiment.toml --futures 500; done | median)
printf '%-52s %10s\n' "compare (2 interventions × 500 futures)" "$figure"
