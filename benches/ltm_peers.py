"""Loops That Matter in fulcrum and in pysimlin, side by side on one model (run by
benches/ltm_peers.sh, which gives it fulcrum's `loops` folder and the model converted to XMILE).

Loops are matched by their sets of variables, names made canonical (lower case, runs of spaces
and underscores as one underscore). For every matched loop the largest absolute difference of
the relative loop score over the saved times, and the time it falls at, is printed twice: as the
two tools report it ("same t"), and against pysimlin's value one saved time later ("t+dt").
pysimlin 0.8.5 evaluates a link's partial change with the other inputs at their values at t - dt,
fulcrum (like Stella's export) at t; in logistic growth that makes pysimlin's series fulcrum's one
step later, and the second column shows how far that accounts for a model's difference.
"""

import argparse
import csv
import re
import sys


def canonical(name):
    return re.sub(r"[\s_]+", "_", name.strip().lower())


def read_fulcrum(folder):
    """The loops (id -> canonical variable set) and the score table (times, id -> series)."""
    loops = {}
    with open(f"{folder}/loops.csv", newline="") as f:
        for row in csv.DictReader(f):
            loops[row["loop"]] = frozenset(canonical(v) for v in row["variables"].split(" -> "))
    times, series = [], {}
    with open(f"{folder}/loop_scores.csv", newline="") as f:
        reader = csv.DictReader(f)
        for row in reader:
            times.append(float(row["time"]))
            for key, value in row.items():
                if key != "time":
                    series.setdefault(key, []).append(float(value))
    return loops, times, series


def read_pysimlin(path):
    """The loops (id -> canonical variable set), the saved times and id -> relative score."""
    import simlin

    model = simlin.load(path)
    run = model.run(analyze_loops=True)
    times = [float(t) for t in run.results.index]
    loops, series, partitions = {}, {}, {}
    for loop in run.loops:
        loops[loop.id] = frozenset(canonical(v) for v in loop.variables)
        if loop.behavior_time_series is not None:
            series[loop.id] = [float(v) for v in loop.behavior_time_series]
        partitions[loop.id] = loop.partition
    return loops, times, series, partitions, str(run.ltm_mode)


def refused(path, message):
    """The equations of the variables pysimlin names as not compiled, which show why."""
    import simlin

    names = re.search(r"for variables: ([^}]*)", message)
    if not names:
        return
    model = simlin.load(path)
    for name in names.group(1).split(", "):
        variable = model.get_variable(name.strip())
        if variable is not None:
            print(f"    {variable.name} = {variable.equation}")


def largest_difference(times, ours, theirs, shift):
    """Largest |ours(t) - theirs(t + shift steps)| over the times both cover, and its time. With
    a shift the first time is left out: both tools score no loop at the initial time, and
    pysimlin's first score, one step later, has no counterpart in fulcrum's series."""
    worst, at = 0.0, None
    for i, t in enumerate(times):
        if shift and i == 0:
            continue
        j = i + shift
        if j >= len(theirs) or i >= len(ours):
            break
        d = abs(ours[i] - theirs[j])
        if at is None or d > worst:
            worst, at = d, t
    return worst, at


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--name", required=True)
    parser.add_argument("--fulcrum-dir", required=True)
    parser.add_argument("--xmile", required=True)
    args = parser.parse_args()

    f_loops, f_times, f_series = read_fulcrum(args.fulcrum_dir)
    try:
        p_loops, p_times, p_series, p_partitions, mode = read_pysimlin(args.xmile)
    except Exception as error:  # pysimlin's own message says why it refused the file
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        print(f"{args.name}: fulcrum {len(f_loops)} loops; pysimlin refused the XMILE: {first}")
        refused(args.xmile, first)
        return
    if [round(t, 9) for t in p_times] != [round(t, 9) for t in f_times]:
        print(
            f"{args.name}: saved times differ (fulcrum {len(f_times)}, pysimlin {len(p_times)});"
            " comparing by index"
        )

    by_set = {}
    for pid, variables in p_loops.items():
        by_set.setdefault(variables, []).append(pid)
    matched, only_fulcrum = [], []
    for fid, variables in f_loops.items():
        if by_set.get(variables):
            matched.append((fid, by_set[variables].pop(0)))
        else:
            only_fulcrum.append(fid)
    only_pysimlin = [pid for ids in by_set.values() for pid in ids]

    groups = sorted({str(p) for p in p_partitions.values()})
    print(
        f"{args.name}: fulcrum {len(f_loops)} loops, pysimlin {len(p_loops)} ({mode},"
        f" {len(groups)} partition{'s' if len(groups) != 1 else ''}), matched {len(matched)}"
    )
    if matched:
        print(f"  {'fulcrum':8} {'pysimlin':9} {'same t':>8} {'at':>7} {'t+dt':>8} {'at':>7}")
    worst_same, worst_shift = 0.0, 0.0
    for fid, pid in matched:
        ours, theirs = f_series.get(fid), p_series.get(pid)
        if ours is None or theirs is None:
            print(f"  {fid:8} {pid:9} (no scores: {'fulcrum' if ours is None else 'pysimlin'})")
            continue
        same, at_same = largest_difference(f_times, ours, theirs, 0)
        shifted, at_shift = largest_difference(f_times, ours, theirs, 1)
        worst_same, worst_shift = max(worst_same, same), max(worst_shift, shifted)
        print(f"  {fid:8} {pid:9} {same:8.2g} {at_same:7g} {shifted:8.2g} {at_shift:7g}")
    if matched:
        print(
            f"  largest over the matched loops: {worst_same:.2g} at the same t,"
            f" {worst_shift:.2g} against pysimlin's next step"
        )
    for fid in only_fulcrum:
        print(f"  only fulcrum:  {fid}  {' -> '.join(sorted(f_loops[fid]))}")
    for pid in only_pysimlin:
        print(f"  only pysimlin: {pid}  {' -> '.join(sorted(p_loops[pid]))}")


if __name__ == "__main__":
    sys.exit(main())
