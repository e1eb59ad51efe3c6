# Shared by the benchmark scripts: the release binary (built here, unless FULCRUM names one to
# use as it is), a scratch folder removed on exit, and the median of numbers on standard input.
# Sourced, not run.
cd "$(dirname "$0")/.."
repetitions=${RUNS:-5}
[ -n "${FULCRUM:-}" ] || cargo build --release --quiet
fulcrum=${FULCRUM:-${CARGO_TARGET_DIR:-target}/release/fulcrum}
scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# PySD and pysimlin at their pinned versions (benches/peers/requirements.txt) in
# target/peers/venv: installed once, and again when a pin changes.
install_python_peers() {
    local venv=target/peers/venv
    if ! cmp -s benches/peers/requirements.txt "$venv/requirements.txt"; then
        echo "installing PySD and pysimlin into $venv" >&2
        rm -rf "$venv"
        python3 -m venv "$venv"
        "$venv/bin/pip" install --quiet --disable-pip-version-check -r benches/peers/requirements.txt
        cp benches/peers/requirements.txt "$venv/requirements.txt"
    fi
}
