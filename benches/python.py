"""Run by benches/python.sh: fulcrum's Python `evaluate` against the `fulcrum sweep` command and
against pysimlin's fastest loop, in one run.

Prints, for the teacup and SIR samples of the conformance suite:
- `Model.evaluate` of RUNS rows (two uncertain constants drawn uniformly, a final-value outcome),
  on every core and on one thread: runs per second, the model loaded once beforehand;
- `fulcrum sweep` of the same experiment (benches/experiments/*.toml) with `--runs RUNS`: runs
  per second of the whole command (it also computes bands and writes its files);
- pysimlin's fastest loop (one Sim reused: reset, set_value, run_to_end, get_value) over a
  number of runs that takes a few seconds: runs per second, and how many times faster evaluate
  is per run.
"""

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

import fulcrum

SAMPLES = "../shared/conformance/test-models/samples"
MODELS = {
    # name: (model, experiment, constants and their ranges, outcome variable)
    "teacup": (
        f"{SAMPLES}/teacup/teacup.xmile",
        "benches/experiments/teacup.toml",
        {"Characteristic Time": (5, 15), "Room Temperature": (60, 80)},
        "Teacup Temperature",
    ),
    "SIR": (
        f"{SAMPLES}/SIR/SIR.xmile",
        "benches/experiments/sir.toml",
        {"contact infectivity": (0.2, 0.4), "duration": (3, 8)},
        "recovered",
    ),
}


def evaluate_rate(model, constants, outcome, runs, threads, repetitions):
    rng = np.random.default_rng(1)
    lows, highs = zip(*constants.values())
    X = rng.uniform(lows, highs, size=(runs, len(constants)))
    rates = []
    for _ in range(repetitions):
        start = time.perf_counter()
        model.evaluate(X, params=list(constants), outcomes=[(outcome, "final")], threads=threads)
        rates.append(runs / (time.perf_counter() - start))
    return statistics.median(rates)


def sweep_rate(fulcrum_bin, experiment, runs, repetitions):
    rates = []
    with tempfile.TemporaryDirectory() as scratch:
        for _ in range(repetitions):
            start = time.perf_counter()
            subprocess.run(
                [fulcrum_bin, "sweep", experiment, "-o", f"{scratch}/out", "--force", "--runs", str(runs)],
                check=True,
                capture_output=True,
            )
            rates.append(runs / (time.perf_counter() - start))
    return statistics.median(rates)


def pysimlin_rate(path, constants, outcome, seconds=3.0):
    """Runs per second of pysimlin's fastest loop, or the reason it cannot be measured."""
    try:
        import simlin
    except ImportError as error:
        return None, f"pysimlin is not installed ({error})"
    model = simlin.load(path)
    sim = model.simulate(enable_ltm=False)
    # pysimlin names variables in lower case with `_` for spaces.
    names = {" ".join(n.lower().replace("_", " ").split()): n for n in sim.get_var_names()}
    constant = names[next(iter(constants)).lower()]
    target = names[outcome.lower()]
    low, high = next(iter(constants.values()))
    values = np.random.default_rng(1).uniform(low, high, size=1_000_000)
    runs, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        sim.reset()
        sim.set_value(constant, float(values[runs]))
        sim.run_to_end()
        sim.get_value(target)
        runs += 1
    return runs / (time.perf_counter() - start), None


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--fulcrum", required=True, help="the release binary")
    parser.add_argument("--runs", type=int, default=200_000)
    parser.add_argument("--repetitions", type=int, default=3)
    parser.add_argument("--models", default="teacup,SIR")
    args = parser.parse_args()
    print(f"fulcrum on Python {sys.version.split()[0]}, {os.cpu_count()} cores, {args.runs:,} runs")
    print(f"{'model':8} {'evaluate':>12} {'evaluate 1t':>12} {'CLI sweep':>12} {'eval/sweep':>10} {'pysimlin':>10} {'eval/pysimlin':>13}")
    for name in args.models.split(","):
        path, experiment, constants, outcome = MODELS[name]
        model = fulcrum.load(path)
        evaluate = evaluate_rate(model, constants, outcome, args.runs, None, args.repetitions)
        single = evaluate_rate(model, constants, outcome, args.runs, 1, args.repetitions)
        sweep = sweep_rate(args.fulcrum, experiment, args.runs, args.repetitions)
        peer, why = pysimlin_rate(path, constants, outcome)
        peer_text = f"{peer:10.0f} {evaluate / peer:12.0f}x" if peer else f"{'-':>10} {'-':>13}"
        print(f"{name:8} {evaluate:12.0f} {single:12.0f} {sweep:12.0f} {evaluate / sweep:9.2f}x {peer_text}")
        if why:
            print(f"  pysimlin: {why}")
    print("runs per second (medians); evaluate 1t: one thread; CLI sweep: the whole command, bands and files included")


if __name__ == "__main__":
    main()
