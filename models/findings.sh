#!/usr/bin/env bash
# Regenerates the findings of the bundled models: for each model with an experiment, runs
# `fulcrum leverage` and `fulcrum compare` into models/MODEL/findings/ and keeps what they print.
# Usage: models/findings.sh [MODEL...]   (default: every model with an experiment.toml)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
models=("$@")
if [ ${#models[@]} -eq 0 ]; then
    for experiment in models/*/experiment.toml; do models+=("$(basename "$(dirname "$experiment")")"); done
fi
for model in "${models[@]}"; do
    experiment="models/$model/experiment.toml"
    [ -f "$experiment" ] || { echo "models/findings.sh: $experiment does not exist" >&2; exit 2; }
    findings="models/$model/findings"
    rm -rf "$findings/leverage" "$findings/compare"
    mkdir -p "$findings"
    target/release/fulcrum leverage "$experiment" -o "$findings/leverage" > "$findings/leverage.txt"
    target/release/fulcrum compare "$experiment" -o "$findings/compare" > "$findings/compare.txt"
    echo "$findings"
done
