#!/usr/bin/env bash
# fulcrum against the peer tools, side by side in one run: PySD and pysimlin (PyPI) and
# SDEverywhere's JavaScript target (npm), installed at pinned versions into target/peers/. For
# the teacup and SIR samples of the conformance suite and its largest model that fulcrum runs
# (subscripted_delays, 304 variables), each engine's single-run time and its Monte Carlo
# throughput over 1,000 and 10,000 runs with one constant drawn per run (uniform, ±20% around
# its default; benches/peers/*.toml), then whether every engine's default run ends at the same
# values as fulcrum's. Medians of RUNS repetitions (default 5) where a measurement takes under a
# minute in all, else of one.
#
#   benches/peers.sh                        # everything (about 15 minutes, most of it PySD)
#   MODELS="teacup SIR" benches/peers.sh    # some models only
#   PEERS_BUDGET=600 benches/peers.sh       # skip a peer's measurement projected past 600 s
#                                           # (default 1,200)
#
# fulcrum: the release binary, whole commands timed from outside (process start, reading and
# compiling the model, the runs, every file written and synced). Single run: `fulcrum run MODEL
# -o FILE --save-step STOP` (every variable computed at every step, written at the start and the
# end); its start-up, the same command stopped after one step, is subtracted for the net figure.
# Monte Carlo: `fulcrum sweep EXPERIMENT --runs N --bands none` on 1 and 2 threads (inputs,
# outcomes and manifest written), and on 1 thread less the time of a 1-run sweep.
# Peers: timed inside their own runtime, the model loaded or compiled once, then N runs, each
# setting the constant and reading the outcome's final value (benches/peers/harness.py for PySD
# and pysimlin, benches/peers/sde.mjs for SDEverywhere); one thread, as their loops are.
# SDEverywhere's C and Wasm targets are not measured: see README.md, "Against the peers".
set -euo pipefail
export LC_ALL=C # a decimal point in $EPOCHREALTIME
# shellcheck source=benches/timing.sh
source "$(dirname "$0")/timing.sh"

conformance=../shared/conformance
budget=${PEERS_BUDGET:-1200}
peers=target/peers
results=$peers/results # kept: `python3 benches/peers/report.py target/peers/results MODEL...` reprints
rm -rf "$results" && mkdir -p "$results"

# --- Install the peers (once; again when a pinned version changes) -------------------------------
install_python_peers
if ! cmp -s benches/peers/package-lock.json "$peers/node/package-lock.json" ||
    [ ! -d "$peers/node/node_modules/@sdeverywhere/compile" ]; then
    echo "installing SDEverywhere into $peers/node" >&2
    rm -rf "$peers/node"
    mkdir -p "$peers/node"
    cp -r benches/peers/package.json benches/peers/package-lock.json benches/peers/xlsx-shim "$peers/node/"
    (cd "$peers/node" && npm ci --silent --no-audit --no-fund)
fi
cp benches/peers/sde.mjs "$peers/node/sde.mjs"
python=$peers/venv/bin/python
version() { "$python" -c "import importlib.metadata as m; print(m.version('$1'))"; }
npm_version() { node -p "require('./$peers/node/node_modules/$1/package.json').version"; }
versions="PySD $(version pysd), pysimlin $(version pysimlin), @sdeverywhere/compile $(npm_version @sdeverywhere/compile), @sdeverywhere/runtime $(npm_version @sdeverywhere/runtime), Node $(node --version), Python $("$python" -c 'import platform; print(platform.python_version())')"

# --- The models ----------------------------------------------------------------------------------
# name | experiment | XMILE | Vensim | constant | low | high | outcome | dt | stop | the XMILE's
# own dt and stop differ (subscripted_delays: all engines run the original Vensim model's times)
table=(
    "teacup|teacup|test-models/samples/teacup/teacup.xmile|test-models/samples/teacup/teacup.mdl|Room Temperature|56|84|Teacup Temperature|0.125|30|"
    "SIR|sir|test-models/samples/SIR/SIR.xmile|test-models/samples/SIR/SIR.mdl|Contact Infectivity|0.24|0.36|Recovered|0.03125|100|"
    "subscripted_delays|subscripted_delays|simlin-additions/tests/subscripted_delays/test_subscripted_delays.xmile|test-models/tests/subscripted_delays/test_subscripted_delays.mdl|delay[Macoun]|8|12|Stock DelayN[Macoun,Lemon]|0.25|20|yes"
)
wanted=${MODELS:-teacup SIR subscripted_delays}
read -ra wanted_list <<<"$wanted"

# fulcrum's single run: the median over repetitions of the mean of 20 invocations of the whole
# command, and of the same minus the command stopped after one step (interleaved, so the machine's
# drift touches both alike).
fulcrum_single() {
    local model=$1 dt=$2 stop=$3 whole=() net=() t0 t1 t2 full short
    for _ in $(seq "$repetitions"); do
        full=0 short=0
        for _ in $(seq 20); do
            t0=$EPOCHREALTIME
            "$fulcrum" run "$model" --stop "$stop" --dt "$dt" --save-step "$stop" -o "$scratch/run.csv"
            t1=$EPOCHREALTIME
            "$fulcrum" run "$model" --stop "$dt" --dt "$dt" -o "$scratch/short.csv"
            t2=$EPOCHREALTIME
            full=$(awk -v a="$full" -v s="$t0" -v e="$t1" 'BEGIN { print a + e - s }')
            short=$(awk -v a="$short" -v s="$t1" -v e="$t2" 'BEGIN { print a + e - s }')
        done
        whole+=("$(awk -v f="$full" 'BEGIN { print f / 20 * 1000 }')")
        net+=("$(awk -v f="$full" -v s="$short" 'BEGIN { print (f - s) / 20 * 1000 }')")
    done
    printf '%s %s\n' "$(printf '%s\n' "${whole[@]}" | median)" "$(printf '%s\n' "${net[@]}" | median)"
}

# Runs per second of one whole `fulcrum sweep` command.
fulcrum_rate() {
    local experiment=$1 runs=$2 threads=$3 start end
    start=$EPOCHREALTIME
    "$fulcrum" sweep "$experiment" -o "$scratch/sweep" --force --runs "$runs" --bands none --threads "$threads" 2>/dev/null
    end=$EPOCHREALTIME
    awk -v n="$runs" -v s="$start" -v e="$end" 'BEGIN { printf "%.6g\n", n / (e - s) }'
}

# The models' fields; false for a model not asked for (MODELS).
fields() {
    IFS='|' read -r name experiment xmile mdl constant low high outcome dt stop override <<<"$1"
    case " $wanted " in *" $name "*) ;; *) return 1 ;; esac
    sim=()
    [ -n "$override" ] && sim=(--stop "$stop" --dt "$dt")
    return 0
}

# fulcrum first, for every model: its figures are the shortest and the most sensitive to what
# else the machine is doing (each sweep also syncs its files to disk).
for row in "${table[@]}"; do
    fields "$row" || continue
    echo "$name: fulcrum" >&2
    "$fulcrum" run "$conformance/$xmile" "${sim[@]}" -o "$results/$name.fulcrum.csv" # the default run
    read -r whole net < <(fulcrum_single "$conformance/$xmile" "$dt" "$stop")
    fixed=$(for _ in $(seq "$repetitions"); do fulcrum_rate "benches/peers/$experiment.toml" 1 1; done | median)
    for threads in 1 2; do
        rates=()
        for runs in 1000 10000; do
            rates+=("$(for _ in $(seq "$repetitions"); do fulcrum_rate "benches/peers/$experiment.toml" "$runs" "$threads"; done | median)")
        done
        printf '{"engine": "fulcrum", "threads": %s, "whole_ms": %s, "single_ms": %s, "one_run_sweep_s": %s, "runs_per_s": {"1000": %s, "10000": %s}}\n' \
            "$threads" "$whole" "$net" "$(awk -v r="$fixed" 'BEGIN { print 1 / r }')" "${rates[0]}" "${rates[1]}" >"$results/$name.fulcrum$threads.json"
    done
done

for row in "${table[@]}"; do
    fields "$row" || continue
    # The peers read copies: PySD writes its translation beside the model.
    copy=$peers/models/$name
    rm -rf "$copy" && mkdir -p "$copy"
    cp "$conformance/$xmile" "$conformance/$mdl" "$copy/"
    model_xmile=$copy/$(basename "$xmile")
    model_mdl=$copy/$(basename "$mdl")
    peer_args=(--constant "$constant" --low "$low" --high "$high" --outcome "$outcome"
        --reps "$repetitions" --budget "$budget")
    echo "$name: SDEverywhere" >&2
    node "$peers/node/sde.mjs" --model "$model_mdl" "${peer_args[@]}" --build "$scratch/sde-$name" \
        --defaults "$results/$name.sdeverywhere.tsv" >"$results/$name.sdeverywhere.json"
    echo "$name: pysimlin" >&2
    "$python" benches/peers/harness.py pysimlin --model "$model_xmile" "${peer_args[@]}" "${sim[@]}" \
        --defaults "$results/$name.pysimlin.tsv" >"$results/$name.pysimlin.json"
    echo "$name: PySD" >&2
    "$python" benches/peers/harness.py pysd --model "$model_mdl" "${peer_args[@]}" \
        --defaults "$results/$name.pysd.tsv" >"$results/$name.pysd.json"
done

echo
python3 benches/peers/report.py "$results" "${wanted_list[@]}"
if cli=$(cd "$peers/node" && npm view --silent @sdeverywhere/cli version 2>/dev/null); then
    echo "SDEverywhere's C and Wasm targets: @sdeverywhere/cli $cli (their C runtime) is in the registry, but not measured here"
else
    echo "SDEverywhere's C and Wasm targets: not measured; their C runtime ships only in @sdeverywhere/cli, which the npm registry does not serve here"
fi
echo
echo "peers: $versions"
echo "$("$fulcrum" --version); $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
