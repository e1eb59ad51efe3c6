#!/usr/bin/env bash
# fulcrum's Python package against the `fulcrum sweep` command and pysimlin, side by side in one
# run (benches/python.py says what is measured): 200,000 runs of the teacup and SIR samples of the
# conformance suite. Uses the tests' environment (target/py-venv, made by
# crates/fulcrum-py/tests/run.sh if missing) with the package installed from the checkout, and
# adds pysimlin (pinned as in benches/peers/requirements.txt) to it.
#
#   benches/python.sh                     # everything
#   RUNS=5 benches/python.sh              # repetitions per figure (default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet --bin fulcrum
target=${CARGO_TARGET_DIR:-target}
venv=$target/py-venv
SETUP_ONLY=1 crates/fulcrum-py/tests/run.sh
pysimlin=$(grep '^pysimlin==' benches/peers/requirements.txt)
"$venv/bin/python" -c 'import simlin' 2>/dev/null ||
    "$venv/bin/pip" install --quiet --disable-pip-version-check "$pysimlin" ||
    echo "pysimlin ($pysimlin) does not install here; its column stays empty" >&2
"$venv/bin/python" benches/python.py --fulcrum "$target/release/fulcrum" --repetitions "${RUNS:-3}"
