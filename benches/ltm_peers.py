"""Loops That Matter in fulcrum and in pysimlin, side by side on one model (run by
benches/ltm_peers.sh, which gives it fulcrum's `loops` folder and the model converted to XMILE).

Loops are matched by their sets of variables, names made canonical (lower case, runs of spaces
and underscores as one underscore). For every matched loop the largest absolute difference of
the relative loop score over the saved times, and the time it falls at, is printed twice: as the
two tools report it ("same t"), and against pysimlin's value one saved time later ("next").
pysimlin 0.8.5 evaluates a link's partial change with the other inputs at their values at t - dt,
fulcrum (like Stella's export) at t; in logistic growth that makes pysimlin's series fulcrum's one
step later, and the second column shows how far that accounts for a model's difference.
"""

import argparse
import csv
import re
import sys

SHOWN = 12  # matched loops printed, the largest differences first
SHOWN_ONLY = 5  # loops found by one tool only printed, per tool


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


GF = re.compile(r'<gf name="([^"]*)"([^>]*)>(.*?)</gf>\n?', re.S)
EQN = re.compile(r'(<(aux|flow) name="([^"]*)">\s*<eqn>)(.*?)(</eqn>)', re.S)


def call_end(text, start):
    """The index just past the parenthesis that closes the one opened at text[start]."""
    depth = 0
    for i in range(start, len(text)):
        depth += {"(": 1, ")": -1}.get(text[i], 0)
        if depth == 0:
            return i + 1
    raise ValueError(f"unbalanced parentheses in {text!r}")


def for_pysimlin(source, target):
    """Writes `fulcrum convert`'s XMILE in a form pysimlin 0.8.5 compiles, and returns what was
    changed and the canonical names of the variables added. pysimlin does not call a standalone
    graphical function by name (XMILE allows it; fulcrum writes one for every lookup) nor know
    Vensim's ZIDZ and XIDZ. A variable that is one call, `y = F(x)`, gets F's points itself; a
    call inside a longer equation becomes a helper variable with F's points, whose loops through
    it score the same as long as the equation is linear in the call. ZIDZ(a, b) and XIDZ(a, b, x)
    become SAFEDIV(a, b) and SAFEDIV(a, b, x)."""
    text = open(source).read()
    tables = {canonical(m.group(1)): (m.group(2), m.group(3)) for m in GF.finditer(text)}
    text = GF.sub("", text)
    helpers, added, inlined = [], set(), 0

    def rewrite(match):
        nonlocal inlined
        head, kind, name, equation, tail = match.groups()
        pure = re.fullmatch(r"\s*([A-Za-z_][\w ]*)\((.*)\)\s*", equation, re.S)
        if (
            pure
            and canonical(pure.group(1)) in tables
            and call_end(equation, equation.index("(")) == len(equation.rstrip())
        ):
            attributes, points = tables[canonical(pure.group(1))]
            inlined += 1
            return f"{head}{pure.group(2)}{tail}<gf{attributes}>{points}</gf>"
        out, i = "", 0
        for call in re.finditer(r"([A-Za-z_][\w]*)\(", equation):
            if call.start() < i or canonical(call.group(1)) not in tables:
                continue
            end = call_end(equation, call.end() - 1)
            helper = f"{name} lookup {len(helpers) + 1}"
            attributes, points = tables[canonical(call.group(1))]
            helpers.append(
                f'<aux name="{helper}"><eqn>{equation[call.end():end - 1]}</eqn>'
                f"<gf{attributes}>{points}</gf></aux>"
            )
            added.add(canonical(helper))
            out += equation[i : call.start()] + helper.replace(" ", "_")
            i = end
        return f"{head}{out + equation[i:]}{tail}"

    text = EQN.sub(rewrite, text)
    text = text.replace("</variables>", "".join(helpers) + "</variables>", 1)
    safediv = len(re.findall(r"\b[XZ]IDZ\(", text))
    text = re.sub(r"\b[XZ]IDZ\(", "SAFEDIV(", text)
    with open(target, "w") as f:
        f.write(text)
    changes = []
    if inlined:
        changes.append(f"{inlined} lookup{'s' if inlined != 1 else ''} moved into its variable")
    if helpers:
        changes.append(
            f"{len(helpers)} lookup call{'s' if len(helpers) != 1 else ''} as helper variables"
        )
    if safediv:
        changes.append(f"{safediv} ZIDZ/XIDZ as SAFEDIV")
    return changes, added


def read_pysimlin(path):
    """The loops (id -> canonical variable set), the saved times, id -> relative score, and how
    pysimlin found and normalised them. Variables inside a built-in (`$⁚x⁚0⁚smth1`, the stock
    of x's SMTH1) are left out of the sets, as fulcrum folds them into x. pysimlin divides a
    loop's score by the magnitudes of the loops of its own cycle partition only; where a model
    has more than one partition, the relative scores are recomputed from its raw loop scores over
    all loops, as fulcrum does, so that the two compare."""
    import warnings

    import simlin

    model = simlin.load(path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the discovery-mode notice, reported below instead
        run = model.run(analyze_loops=True)
    times = [float(t) for t in run.results.index]
    found, how = run.loops, str(run.ltm_mode)
    if not found and how == "discovery":
        analysis = model.analyze(timeout=60)
        found = analysis.loops
        how += f", Model.analyze: {'complete' if analysis.enumeration_complete else 'sampled'}"
    loops, series, partitions = {}, {}, {}
    for loop in found:
        loops[loop.id] = frozenset(canonical(v) for v in loop.variables if not v.startswith("$"))
        if loop.behavior_time_series is not None:
            series[loop.id] = [float(v) for v in loop.behavior_time_series]
        partitions[loop.id] = loop.partition
    groups = len({str(p) for p in partitions.values()})
    how += f", {groups} partition{'s' if groups != 1 else ''}"
    if groups > 1 and "discovery" not in how:
        sim = model.simulate(enable_ltm=True)
        sim.run_to_end()
        raw = {pid: [float(v) for v in sim.get_loop_score(pid)] for pid in loops}
        totals = [sum(abs(r[i]) for r in raw.values()) for i in range(len(times))]
        series = {
            pid: [v / total if total else 0.0 for v, total in zip(r, totals)]
            for pid, r in raw.items()
        }
        how += ", renormalised over all loops"
    return loops, times, series, how


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
    rewritten = args.xmile.removesuffix(".xmile") + ".pysimlin.xmile"
    changes, helpers = for_pysimlin(args.xmile, rewritten)
    if changes:
        print(f"{args.name}: for pysimlin, {', '.join(changes)}")
    try:
        p_loops, p_times, p_series, how = read_pysimlin(rewritten)
        p_loops = {pid: variables - helpers for pid, variables in p_loops.items()}
    except Exception as error:  # pysimlin's own message says why it refused the file
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        print(f"{args.name}: fulcrum {len(f_loops)} loops; pysimlin refused the XMILE: {first}")
        refused(rewritten, first)
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

    print(
        f"{args.name}: fulcrum {len(f_loops)} loops, pysimlin {len(p_loops)} ({how}),"
        f" matched {len(matched)}"
    )
    rows = []
    for fid, pid in matched:
        ours, theirs = f_series.get(fid), p_series.get(pid)
        if ours is None or theirs is None:
            print(f"  {fid} / {pid}: no scores from {'fulcrum' if ours is None else 'pysimlin'}")
            continue
        same, at_same = largest_difference(f_times, ours, theirs, 0)
        shifted, at_shift = largest_difference(f_times, ours, theirs, 1)
        rows.append((same, at_same, shifted, at_shift, fid, pid))
    rows.sort(key=lambda row: -row[0])
    if rows:
        print(f"  {'fulcrum':8} {'pysimlin':9} {'same t':>8} {'at':>7} {'next':>8} {'at':>7}")
    for same, at_same, shifted, at_shift, fid, pid in rows[:SHOWN]:
        print(f"  {fid:8} {pid:9} {same:8.2g} {at_same:7g} {shifted:8.2g} {at_shift:7g}")
    if len(rows) > SHOWN:
        print(f"  ... {len(rows) - SHOWN} more matched loops, with smaller differences")
    if rows:
        print(
            f"  largest over the matched loops: {rows[0][0]:.2g} at the same t,"
            f" {max(row[2] for row in rows):.2g} against pysimlin's next saved time"
        )
    for label, ids, sets in (
        ("fulcrum", only_fulcrum, f_loops),
        ("pysimlin", only_pysimlin, p_loops),
    ):
        for loop in ids[:SHOWN_ONLY]:
            print(f"  only {label + ':':9} {loop:5} {', '.join(sorted(sets[loop]))}")
        if len(ids) > SHOWN_ONLY:
            print(f"  only {label + ':':9} ... {len(ids) - SHOWN_ONLY} more")


if __name__ == "__main__":
    sys.exit(main())
