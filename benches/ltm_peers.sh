#!/usr/bin/env bash
# Loops That Matter in fulcrum and in pysimlin, side by side: every bundled model with feedback
# loops (models/*/model.toml) and the reference model of ../shared/reference/ltm
# (logistic_growth.stmx, whose Stella export the fulcrum-loops tests check). Each model is
# converted to XMILE with `fulcrum convert` for pysimlin, scored by `fulcrum loops --top 1000`
# and by pysimlin's own LTM run (Model.run, Run.loops), and benches/ltm_peers.py matches the
# loops by their sets of variables and prints, per model, the loops each found, the loops
# matched, the largest absolute difference of each matched loop's relative score over the saved
# times (as reported, and against pysimlin's value at the next saved time) and the loops only one
# of them found. A file pysimlin refuses gets its reason printed instead.
#
#   benches/ltm_peers.sh
#   FULCRUM=path/to/fulcrum PYTHON=path/to/python benches/ltm_peers.sh   # no build, no install
#
# pysimlin is the pinned one of benches/peers/requirements.txt, installed into target/peers/venv
# (as benches/peers.sh does) unless PYTHON names an interpreter that has it.
set -euo pipefail
# shellcheck source=benches/timing.sh
source "$(dirname "$0")/timing.sh"

if [ -z "${PYTHON:-}" ]; then
    install_python_peers
    PYTHON=target/peers/venv/bin/python
fi
pysimlin_version=$("$PYTHON" -c "import importlib.metadata as m; print(m.version('pysimlin'))")

models=(models/*/model.toml ../shared/reference/ltm/logistic_growth.stmx)
for model in "${models[@]}"; do
    name=$(basename "$(dirname "$model")")
    [ "$name" = ltm ] && name=logistic_growth
    if ! "$fulcrum" loops "$model" -o "$scratch/$name" --top 1000 >"$scratch/$name.log" 2>&1; then
        echo "$name: fulcrum loops failed: $(head -n 1 "$scratch/$name.log")"
        continue
    fi
    if [ "$(wc -l <"$scratch/$name/loops.csv")" -le 1 ]; then
        continue # no feedback loops
    fi
    "$fulcrum" convert "$model" -o "$scratch/$name.xmile" >/dev/null
    "$PYTHON" benches/ltm_peers.py --name "$name" --fulcrum-dir "$scratch/$name" --xmile "$scratch/$name.xmile"
    echo
done
echo "relative loop scores as fractions (1 = the whole behaviour); pysimlin $pysimlin_version, $("$fulcrum" --version)"
