#!/usr/bin/env bash
# fulcrum on one thread against pysimlin's in-process loop, side by side in one run, on real
# models: WORLD3-03 (../shared/vensim/world3-03, Vensim's .mdl, which pysimlin opens directly) and
# the bundled model with the most graphical functions (models/service_quality, converted to
# XMILE with `fulcrum convert` for pysimlin, which does not read fulcrum's TOML; pysimlin 0.8.5
# refuses that file, whose equations call standalone graphical functions by name, and the script
# prints its reason instead of a ratio). A Monte Carlo
# sweep of one constant (uniform, benches/peers/{world3,service_quality}.toml) with one outcome,
# the final value of one variable. Prints each engine's runs/s (median of RUNS repetitions,
# default 5, of one where a measurement takes over a minute), the ratio, and the versions.
#
#   benches/world3.sh                       # both models (a few minutes)
#   MODELS=world3 benches/world3.sh         # one of them
#
# fulcrum: the whole `fulcrum sweep EXPERIMENT --runs N --bands none --threads 1` command timed
# from outside (process start, reading and compiling the model, the runs, the files written), and
# the same less the time of a 1-run sweep ("net"). pysimlin: benches/peers/harness.py, the model
# loaded once, then N runs of reset, set_value, run_to_end, get_value (pinned in
# benches/peers/requirements.txt, installed into target/peers/venv as benches/peers.sh does).
set -euo pipefail
export LC_ALL=C # a decimal point in $EPOCHREALTIME
# shellcheck source=benches/timing.sh
source "$(dirname "$0")/timing.sh"

peers=target/peers
install_python_peers
python=$peers/venv/bin/python
pysimlin_version=$("$python" -c "import importlib.metadata as m; print(m.version('pysimlin'))")

# name | experiment | model for pysimlin | constant | low | high | outcome
table=(
    "world3|benches/peers/world3.toml|../shared/vensim/world3-03/wrld3-03.mdl|desired completed family size normal|3.04|4.56|population"
    "service_quality|benches/peers/service_quality.toml|convert:models/service_quality/model.toml|Demand Increase|0.1|0.35|Service Quality"
)
wanted=${MODELS:-world3 service_quality}
runs=10000

rate() {
    local experiment=$1 count=$2 start end
    start=$EPOCHREALTIME
    "$fulcrum" sweep "$experiment" -o "$scratch/sweep" --force --runs "$count" --bands none --threads 1 >/dev/null 2>&1
    end=$EPOCHREALTIME
    awk -v n="$count" -v s="$start" -v e="$end" 'BEGIN { printf "%.6g\n", n / (e - s) }'
}

printf '%-16s %14s %14s %14s %10s %10s\n' model "fulcrum runs/s" "fulcrum net" "pysimlin" ratio "net ratio"
for row in "${table[@]}"; do
    IFS='|' read -r name experiment model constant low high outcome <<<"$row"
    case " $wanted " in *" $name "*) ;; *) continue ;; esac
    if [[ $model == convert:* ]]; then
        "$fulcrum" convert "${model#convert:}" -o "$scratch/$name.xmile"
        model=$scratch/$name.xmile
    fi
    whole=$(for _ in $(seq "$repetitions"); do rate "$experiment" "$runs"; done | median)
    one=$(for _ in $(seq "$repetitions"); do rate "$experiment" 1; done | median)
    net=$(awk -v w="$whole" -v o="$one" -v n="$runs" 'BEGIN { printf "%.6g\n", n / (n / w - 1 / o) }')
    "$python" benches/peers/harness.py pysimlin --model "$model" --constant "$constant" --low "$low" \
        --high "$high" --outcome "$outcome" --runs "$runs" --reps "$repetitions" \
        --defaults "$scratch/$name.pysimlin.tsv" >"$scratch/$name.pysimlin.json"
    peer=$("$python" -c "import json, sys; r = json.load(open(sys.argv[1])); print(r.get('runs_per_s', {}).get('$runs', 'n/a'))" "$scratch/$name.pysimlin.json")
    if [ "$peer" = n/a ]; then
        printf '%-16s %14.0f %14.0f %14s %10s %10s\n' "$name" "$whole" "$net" n/a n/a n/a
        "$python" -c "import json, sys; print('  pysimlin:', json.load(open(sys.argv[1])).get('error'))" "$scratch/$name.pysimlin.json"
        continue
    fi
    printf '%-16s %14.0f %14.0f %14.0f %9.1fx %9.1fx\n' "$name" "$whole" "$net" "$peer" \
        "$(awk -v a="$whole" -v b="$peer" 'BEGIN { print a / b }')" "$(awk -v a="$net" -v b="$peer" 'BEGIN { print a / b }')"
done
echo
echo "$runs runs, one thread each; medians of $repetitions. pysimlin $pysimlin_version, Python $("$python" -c 'import platform; print(platform.python_version())')"
echo "$("$fulcrum" --version); $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
