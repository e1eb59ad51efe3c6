"""Times PySD or pysimlin inside their own runtime, for benches/peers.sh.

The model is loaded once; then one run at the model's defaults (every variable's final value is
written to --defaults for the agreement check), single runs at the defaults (median), and Monte
Carlo loops of N runs, each setting the one constant to a uniform draw in [--low, --high] and
reading the outcome's final value. Prints one JSON object on standard output; a model the engine
cannot load or run gives {"error": reason}.
"""

import argparse
import json
import math
import random
import statistics
import sys
import time
import warnings

CONTROL = {"time", "initial time", "final time", "time step", "saveper", "dt", "starttime", "stoptime"}


def canonical(name):
    """A name as every engine can be matched on: lower case, `_` as space, no padding."""
    name = name.strip().strip('"').lower().replace("_", " ")
    name = " ".join(name.split())
    return name.replace(", ", ",").replace(" [", "[").replace("[ ", "[").replace(" ]", "]")


def one_line(error):
    text = " ".join(str(error).split())
    return text[:300] if text else type(error).__name__


class Pysd:
    """PySD: translates the model to Python once; each run is `model.run(params=...)`."""

    def __init__(self, args):
        import pysd

        warnings.simplefilter("ignore")
        self.args = args
        self.model = (pysd.read_vensim if args.model.endswith(".mdl") else pysd.read_xmile)(args.model)
        self.times = {}
        if args.stop is not None:
            self.times = {"final_time": args.stop, "time_step": args.dt, "saveper": args.dt}
        self.element = None
        constant = args.constant
        if "[" in constant:
            # An array element: PySD takes the whole array, so change one element of a copy.
            base, element = constant.rstrip("]").split("[", 1)
            self.constant, self.element = base.strip(), element.strip()
            self.array = self.model[self.constant].copy()
            self.dimension = self.array.dims[0]
        else:
            self.constant = constant

    def default_finals(self):
        frame = self.model.run(**self.times)
        row = frame.iloc[-1]
        return {str(k): float(v) for k, v in row.items() if isinstance(v, (int, float))}

    def run(self, value=None):
        params = None
        if value is not None:
            if self.element is None:
                params = {self.constant: value}
            else:
                array = self.array.copy()
                array.loc[{self.dimension: self.element}] = value
                params = {self.constant: array}
        frame = self.model.run(params=params, return_columns=[self.args.outcome], **self.times)
        return float(frame.iloc[-1, 0])


class Pysimlin:
    """pysimlin: one compiled simulation; each run is reset, set_value, run_to_end, get_value."""

    def __init__(self, args):
        import simlin

        self.model = simlin.load(args.model)
        errors = [issue for issue in self.model.check() if issue.severity == "error"]
        if errors:
            # The last line of simlin's message says what is wrong, after the variable's name.
            raise RuntimeError(errors[0].message.strip().splitlines()[-1].split(" -- ")[-1])
        if args.stop is not None:
            self.model.project.set_sim_specs(stop=args.stop, dt=args.dt, save_step=args.dt)
            self.model = self.model.project.get_model()
        self.sim = self.model.simulate(enable_ltm=False)
        names = {canonical(n): n for n in self.sim.get_var_names()}
        self.constant = names[canonical(args.constant)]
        self.outcome = names[canonical(args.outcome)]
        self.default = None

    def default_finals(self):
        self.sim.reset()
        self.sim.run_to_end()
        self.default = self.sim.get_value(self.constant)
        return {n: self.sim.get_value(n) for n in self.sim.get_var_names()}

    def run(self, value=None):
        self.sim.reset()
        # An override stays set across resets, so a run at the defaults sets the default back.
        self.sim.set_value(self.constant, self.default if value is None else value)
        self.sim.run_to_end()
        return self.sim.get_value(self.outcome)


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("engine", choices=["pysd", "pysimlin"])
    parser.add_argument("--model", required=True)
    parser.add_argument("--constant", required=True)
    parser.add_argument("--low", type=float, required=True)
    parser.add_argument("--high", type=float, required=True)
    parser.add_argument("--outcome", required=True)
    parser.add_argument("--stop", type=float)
    parser.add_argument("--dt", type=float)
    parser.add_argument("--runs", default="1000,10000")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--budget", type=float, default=1200.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--defaults", required=True)
    args = parser.parse_args()

    result = {"engine": args.engine}
    try:
        start = time.perf_counter()
        engine = (Pysd if args.engine == "pysd" else Pysimlin)(args)
        result["load_s"] = time.perf_counter() - start
        finals = engine.default_finals()
        engine.run()
    except Exception as error:  # noqa: BLE001 - any failure is reported as the reason
        print(json.dumps({"engine": args.engine, "error": one_line(error)}))
        return
    with open(args.defaults, "w", encoding="utf-8") as out:
        for name, value in finals.items():
            if canonical(name) not in CONTROL and math.isfinite(value):
                out.write(f"{canonical(name)}\t{value!r}\n")

    # Single runs at the defaults: enough of them for about two seconds, at least three.
    start = time.perf_counter()
    result["outcome"] = engine.run()
    first = time.perf_counter() - start
    times = []
    for _ in range(max(3, min(101, int(2.0 / max(first, 1e-9))))):
        start = time.perf_counter()
        engine.run()
        times.append(time.perf_counter() - start)
    single = statistics.median(times)
    result["single_ms"] = single * 1e3

    result["runs_per_s"], result["skipped_s"] = {}, {}
    for n in (int(x) for x in args.runs.split(",")):
        projected = n * single
        if projected > args.budget:
            result["skipped_s"][str(n)] = projected
            continue
        reps = args.reps if projected * args.reps <= 60 else 1
        rates = []
        for rep in range(reps):
            draw = random.Random(args.seed * 1000 + rep)
            start = time.perf_counter()
            for _ in range(n):
                engine.run(draw.uniform(args.low, args.high))
            rates.append(n / (time.perf_counter() - start))
        result["runs_per_s"][str(n)] = statistics.median(rates)
    print(json.dumps(result))


if __name__ == "__main__":
    sys.exit(main())
