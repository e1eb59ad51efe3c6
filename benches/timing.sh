# Shared by the benchmark scripts: the release binary, a scratch folder removed on exit, and the
# median of numbers on standard input. Sourced, not run.
cd "$(dirname "$0")/.."
repetitions=${RUNS:-5}
cargo build --release --quiet
fulcrum=target/release/fulcrum
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
