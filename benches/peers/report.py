"""The table of benches/peers.sh, from the results it collected: python3 report.py DIR MODEL...

For each model, one row per engine: load + 1 run (fulcrum: the whole `fulcrum run` command;
peers: loading or compiling the model in their runtime plus one run), 1 run (fulcrum: the whole
command less its start-up; peers: one run in their runtime), runs per second over 1,000 and
10,000 runs (fulcrum: whole `fulcrum sweep` commands, and the same less the time of a 1-run
sweep), fulcrum's ratio on one thread from its whole commands (the peer's load + 1 run time over
fulcrum's, and fulcrum's runs per second over the peer's), and whether the peer's default run
ends at the same values as fulcrum's (relative difference at most 1e-6, or absolute at most 1e-9,
over the variables both report).
"""

import csv
import json
import math
import sys
from pathlib import Path

TOLERANCE = 1e-6
FLOOR = 1e-9
CONTROL = {"time", "initial time", "final time", "time step", "saveper", "dt", "starttime", "stoptime"}
ENGINES = [
    ("fulcrum1", "fulcrum, 1 thread"),
    ("fulcrum2", "fulcrum, 2 threads"),
    ("sdeverywhere", "SDEverywhere (JS)"),
    ("pysimlin", "pysimlin"),
    ("pysd", "PySD"),
]
SIZES = ["1000", "10000"]


def canonical(name):
    name = name.strip().strip('"').lower().replace("_", " ")
    name = " ".join(name.split())
    return name.replace(", ", ",").replace(" [", "[").replace("[ ", "[").replace(" ]", "]")


def significant(x, digits=3):
    """x to `digits` significant digits, with thousands separators."""
    if x == 0:
        return "0"
    places = digits - 1 - math.floor(math.log10(abs(x)))
    return f"{x:.{places}f}" if places > 0 else f"{int(round(x, places)):,}"


def ratio(x):
    return f"{significant(x, 2)}×"


def duration(seconds):
    if seconds < 120:
        return f"{seconds:.0f} s"
    if seconds < 7200:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def fulcrum_finals(path):
    with open(path, newline="", encoding="utf-8") as f:
        rows = list(csv.reader(f))
    return {canonical(k): float(v) for k, v in zip(rows[0], rows[-1]) if canonical(k) not in CONTROL}


def agreement(ours, path):
    theirs = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        name, value = line.split("\t")
        theirs[name] = float(value)
    common = sorted(set(ours) & set(theirs))
    if not common:
        return "no variables in common"
    worst, worst_name = 0.0, common[0]
    for name in common:
        a, b = ours[name], theirs[name]
        # Differences below FLOOR are rounding around zero (1e-15 against 2e-16), not disagreement.
        diff = abs(a - b) / max(abs(a), abs(b)) if abs(a - b) > FLOOR else 0.0
        if diff > worst:
            worst, worst_name = diff, name
    if worst <= TOLERANCE:
        return f"agree ({len(common)} values, largest rel. diff {worst:.1e})"
    return (f"DISAGREE ({len(common)} values; {worst_name}: {ours[worst_name]!r} "
            f"vs {theirs[worst_name]!r}, rel. diff {worst:.1e})")


def main():
    results = Path(sys.argv[1])
    models = sys.argv[2:]
    header = ["model", "engine", "load + 1 run", "1 run", "runs/s, 1,000 runs", "runs/s, 10,000 runs",
              "fulcrum ×: load + 1 run · 1k · 10k", "default run vs fulcrum"]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for model in models:
        ours = fulcrum_finals(results / f"{model}.fulcrum.csv")
        base = json.loads((results / f"{model}.fulcrum1.json").read_text())
        for key, label in ENGINES:
            path = results / f"{model}.{key}.json"
            if not path.exists():
                continue
            text = path.read_text().strip()
            r = json.loads(text) if text else {"error": "the harness printed nothing"}
            if "error" in r:
                lines.append(f"| {model} | {label} | n/a: {r['error']} | | | | | |")
                continue
            rates = r.get("runs_per_s", {})
            skipped = r.get("skipped_s", {})
            cells = []
            for size in SIZES:
                if size in rates:
                    cells.append(significant(rates[size]))
                elif size in skipped:
                    cells.append(f"not run (~{duration(skipped[size])})")
                else:
                    cells.append("")
            if key.startswith("fulcrum"):
                load = f"{significant(r['whole_ms'])} ms"
                # Below 0.05 ms the difference of two process timings is noise.
                single = f"{significant(r['single_ms'])} ms" if r["single_ms"] >= 0.05 else "< 0.05 ms"
                if key == "fulcrum2":
                    load = single = ""
                lines.append(f"| {model} | {label} | {load} | {single} | {cells[0]} | {cells[1]} | | |")
                if key == "fulcrum1":
                    # The same sweeps less what a one-run sweep costs (start-up, reading and
                    # compiling, files): what the peers' figures leave out too.
                    fixed = r["one_run_sweep_s"]
                    net = [significant((int(n) - 1) / (int(n) / rates[n] - fixed))
                           if int(n) / rates[n] > fixed else "—" for n in SIZES]
                    lines.append(f"| {model} | fulcrum, 1 thread, less a 1-run sweep | | | {net[0]} | {net[1]} | | |")
                continue
            load = f"{significant(r['load_s'] * 1e3 + r['single_ms'])} ms"
            single = f"{significant(r['single_ms'])} ms"
            ratios = [ratio((r["load_s"] * 1e3 + r["single_ms"]) / base["whole_ms"])]
            for size in SIZES:
                ratios.append(ratio(base["runs_per_s"][size] / rates[size]) if size in rates else "—")
            agree = agreement(ours, results / f"{model}.{key}.tsv")
            lines.append(f"| {model} | {label} | {load} | {single} | {cells[0]} | {cells[1]} | "
                         f"{' · '.join(ratios)} | {agree} |")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
