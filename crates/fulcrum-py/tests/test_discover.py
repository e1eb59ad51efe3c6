"""fulcrum.prim against EMA Workbench's reference answer (../shared/reference/gsa, the data the
Rust tests in crates/fulcrum-decide/tests/prim read), and fulcrum.discover against the files
`fulcrum discover` writes."""

import json

import numpy as np
import pytest

import fulcrum
from conftest import ROOT, read_csv, run_cli, same_numbers

WORKFORCE = ROOT / "models" / "workforce" / "experiment.toml"
FIXTURES = ROOT / "crates" / "fulcrum-decide" / "tests" / "fixtures" / "prim"
REFERENCE = ROOT.parent / "shared" / "reference" / "gsa" / "out" / "prim_reference.json"


def resolution(column, value):
    """The gap between adjacent distinct values of a column around `value`."""
    below, above = column[column < value], column[column > value]
    gaps = [0.0]
    if len(below):
        gaps.append(value - below.max())
    if len(above):
        gaps.append(above.min() - value)
    return max(gaps)


def test_prim_on_arrays_matches_ema_workbench():
    if not REFERENCE.is_file():
        pytest.fail(f"{REFERENCE} is missing")
    reference = json.loads(REFERENCE.read_text())
    X = read_csv(FIXTURES / "lhs_d5_n2000_seed1.csv")
    y = ((X["x1"] > 0.7) & (X["x2"] < 0.3)).to_numpy()
    assert y.sum() == reference["n_cases_of_interest"]
    found = fulcrum.prim(X, y, threshold=0.8)
    trajectory = found.trajectory
    assert len(trajectory) == reference["peeling_trajectory_len"]
    for part, rows in [("trajectory_head", trajectory.iloc[:5]), ("trajectory_tail", trajectory.iloc[-3:])]:
        for name in ["coverage", "density", "mass"]:
            # The reference rounds these to four decimals.
            assert np.abs(rows[name].to_numpy() - reference[part][name]).max() <= 0.6e-4, (part, name)
        assert list(rows["restricted"]) == reference[part]["res_dim"], part
    assert found.chosen == reference["selected_box_index"]
    chosen = trajectory.iloc[found.chosen]
    for name in ["coverage", "density", "mass"]:
        assert abs(chosen[name] - reference["selected_stats"][name]) <= 1e-3, name
    assert chosen["restricted"] == reference["selected_stats"]["res_dim"]
    box = found.box.set_index("parameter")
    for name, (low, high) in reference["selected_box_limits"].items():
        column = X[name].to_numpy()
        assert abs(box.loc[name, "min"] - low) <= resolution(column, low), name
        assert abs(box.loc[name, "max"] - high) <= resolution(column, high), name
    restricted = sorted(box.index[box["restricted"]])
    assert restricted == sorted(reference["quasi_p_values"]) == ["x1", "x2"]
    for name, sides in reference["quasi_p_values"].items():
        theirs = min(side for side in sides if side >= 0)
        assert abs(box.loc[name, "quasi_p"] - theirs) <= 1e-6 * theirs, name
    assert np.isnan(box.loc["x3", "quasi_p"])
    assert sorted(found.ranking["parameter"][:2]) == ["x1", "x2"]
    # An array without names, and 0/1 labels, give the same box.
    plain = fulcrum.prim(X.to_numpy(), y.astype(int))
    assert same_numbers(plain.trajectory[["coverage", "density", "mass"]], trajectory[["coverage", "density", "mass"]])
    assert list(plain.box["parameter"]) == ["x0", "x1", "x2", "x3", "x4"]


def test_discover_gives_the_files_of_fulcrum_discover(fulcrum_bin, tmp_path):
    where = "peak perceived workload > 1.25"
    run_cli(fulcrum_bin, "sweep", WORKFORCE, "-o", tmp_path / "sweep", "--runs", 400, "--seed", 3)
    run_cli(fulcrum_bin, "discover", tmp_path / "sweep", "--where", where, "-o", tmp_path / "found")
    trajectory = read_csv(tmp_path / "found" / "trajectory.csv")
    box = read_csv(tmp_path / "found" / "box.csv")
    in_memory = fulcrum.discover(fulcrum.load_experiment(WORKFORCE).sweep(runs=400, seed=3), where=where)
    from_folder = fulcrum.discover(tmp_path / "sweep", where)
    for found in (in_memory, from_folder):
        assert list(found.trajectory.columns) == list(trajectory.columns)
        for column in trajectory.columns:
            assert same_numbers(found.trajectory[column], trajectory[column]), column
        assert list(found.box.columns) == list(box.columns)
        assert list(found.box["parameter"]) == list(box["parameter"])
        for column in ["min", "max", "quasi_p"]:
            assert same_numbers(found.box[column], box[column]), column
        assert ["true" if flag else "false" for flag in found.box["restricted"]] == list(box["restricted"])
        assert found.chosen == len(trajectory) - 1 or found.trajectory["density"].iloc[found.chosen + 1:].lt(0.8).all()
        assert any("Demand Increase" in words for words in found.restrictions)
    other = fulcrum.discover(tmp_path / "sweep", where, box=3)
    assert other.chosen == 3


def test_discover_against_the_baseline_in_a_compare_design_is_fulcrum_discover_option(fulcrum_bin, tmp_path):
    run_cli(fulcrum_bin, "sample", "compare", WORKFORCE, "--futures", 400, "-o", tmp_path / "design")
    run_cli(fulcrum_bin, "sweep", WORKFORCE, "--design", tmp_path / "design", "-o", tmp_path / "runs")
    where, option = "mean workload > baseline", "structured onboarding"
    run_cli(fulcrum_bin, "discover", tmp_path / "runs", "--where", where, "--option", option, "-o", tmp_path / "found")
    found = fulcrum.discover(tmp_path / "runs", where, option=option)
    trajectory = read_csv(tmp_path / "found" / "trajectory.csv")
    for column in trajectory.columns:
        assert same_numbers(found.trajectory[column], trajectory[column]), column
    box = read_csv(tmp_path / "found" / "box.csv")
    for column in ["min", "max", "quasi_p"]:
        assert same_numbers(found.box[column], box[column]), column
    assert found.runs == 400 and 0 < found.cases < 400
    with pytest.raises(fulcrum.FulcrumError, match="pick the one to analyse with option=NAME"):
        fulcrum.discover(tmp_path / "runs", where)
    with pytest.raises(fulcrum.FulcrumError, match="^option=nope: the sweep's options are `baseline`"):
        fulcrum.discover(tmp_path / "runs", where, option="nope")


def test_discover_problems_are_located(tmp_path):
    result = fulcrum.load_experiment(WORKFORCE).sweep(runs=60, seed=1)
    with pytest.raises(fulcrum.FulcrumError, match=r"^where, column 1: ") as raised:
        fulcrum.discover(result, where="peak perceivd workload > 1")
    assert "peak perceived workload" in str(raised.value) and "^^^" in str(raised.value)
    with pytest.raises(fulcrum.FulcrumError, match="no run is a case of interest"):
        fulcrum.discover(result, where="peak perceived workload > 1e9")
    with pytest.raises(fulcrum.FulcrumError, match=r"^box=999: the trajectory has"):
        fulcrum.discover(result, where="peak perceived workload > 1.2", box=999)
    with pytest.raises(fulcrum.FulcrumError, match="^threshold=1.5: it must be"):
        fulcrum.discover(result, where="peak perceived workload > 1.2", threshold=1.5)
    with pytest.raises(fulcrum.FulcrumError, match="baseline"):
        fulcrum.discover(result, where="mean workload > baseline")
    with pytest.raises(fulcrum.FulcrumError, match="^option=x: the sweep has no `option` column"):
        fulcrum.discover(result, where="mean workload > 1", option="x")
    with pytest.raises(fulcrum.FulcrumError, match="not a sweep's folder"):
        fulcrum.discover(tmp_path, where="x > 1")
    with pytest.raises(fulcrum.FulcrumError, match="^y: no run is a case of interest"):
        fulcrum.prim(np.ones((10, 2)), np.zeros(10, dtype=bool))
    with pytest.raises(fulcrum.FulcrumError, match="^X: input `x1` is not a finite number in row 3"):
        X = np.random.default_rng(1).random((10, 2))
        X[3, 1] = np.nan
        fulcrum.prim(X, np.arange(10) < 5)
