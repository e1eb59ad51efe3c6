#!/usr/bin/env bash
# The Python package's tests, as a user would install it: a virtual environment in
# target/py-venv (made once, and again when requirements.txt changes), the package built and
# installed from the checkout with `pip install ./crates/fulcrum-py` (maturin comes through pip's
# build isolation), then pytest. The tests compare with the `fulcrum` binary, which this builds.
#
#   crates/fulcrum-py/tests/run.sh             # every Python test
#   crates/fulcrum-py/tests/run.sh -k sweep    # pytest's own arguments pass through
#   PYTHON=python3.9 crates/fulcrum-py/tests/run.sh
#   SETUP_ONLY=1 crates/fulcrum-py/tests/run.sh   # the environment and the package, no tests
set -euo pipefail
cd "$(dirname "$0")/../../.."
target=${CARGO_TARGET_DIR:-target}
venv=$target/py-venv
requirements=crates/fulcrum-py/tests/requirements.txt
if ! cmp -s "$requirements" "$venv/requirements.txt"; then
    echo "making the Python test environment in $venv" >&2
    rm -rf "$venv"
    "${PYTHON:-python3}" -m venv "$venv"
    "$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
    cp "$requirements" "$venv/requirements.txt"
fi
cargo build --quiet --bin fulcrum
# Built again each time (cargo rebuilds only what changed), so the tests never see a stale package.
"$venv/bin/pip" install --quiet --disable-pip-version-check --force-reinstall --no-deps ./crates/fulcrum-py
[ -z "${SETUP_ONLY:-}" ] || exit 0
FULCRUM_BIN="$target/debug/fulcrum" "$venv/bin/python" -m pytest crates/fulcrum-py/tests -q "$@"
