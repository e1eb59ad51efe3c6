"""Experiment.sensitivity, .leverage and .compare against the tables `fulcrum sensitivity`,
`fulcrum leverage` and `fulcrum compare` write for the same experiment and options."""

import numpy as np
import pandas as pd
import pytest

import fulcrum
from conftest import ROOT, read_csv, run_cli, same_numbers

WORKFORCE = ROOT / "models" / "workforce" / "experiment.toml"


def same_table(frame, expected):
    """The DataFrame holds the CSV's cells: the same columns in the same order, numbers and
    counts equal bit for bit (NaN and <NA> where a cell is empty), flags as `true`/`false`."""
    assert list(frame.columns) == list(expected.columns)
    assert len(frame) == len(expected) and len(frame) > 0
    for column in frame.columns:
        ours = frame[column]
        if pd.api.types.is_bool_dtype(ours):
            assert ["true" if value else "false" for value in ours] == list(expected[column]), column
        elif pd.api.types.is_numeric_dtype(ours):
            assert same_numbers(ours.to_numpy(dtype="float64", na_value=np.nan), expected[column]), column
        else:
            assert [str(value) for value in ours] == [str(value) for value in expected[column]], column


def cli_table(fulcrum_bin, tmp_path, command, name, *flags):
    out = tmp_path / command
    run_cli(fulcrum_bin, command, WORKFORCE, "-o", out, *flags)
    return read_csv(out / name)


@pytest.mark.parametrize("method", ["sobol", "morris", "oat", "prcc", "src"])
def test_sensitivity_is_sensitivity_csv(fulcrum_bin, tmp_path, method):
    expected = cli_table(
        fulcrum_bin, tmp_path, "sensitivity", "sensitivity.csv", "--method", method, "--samples", 32, "--seed", 7
    )
    frame = fulcrum.load_experiment(WORKFORCE).sensitivity(method=method, samples=32, seed=7)
    same_table(frame, expected)
    assert set(frame["method"]) == {method}


def test_sensitivity_options_are_the_flags(fulcrum_bin, tmp_path):
    group = "Attrition=Normal Rookie Attrition,Normal Experienced Attrition"
    expected = cli_table(
        fulcrum_bin, tmp_path, "sensitivity", "sensitivity.csv",
        "--method", "sobol", "--samples", 16, "--second-order", "--group", group,
        "--over-time", "Experienced", "--resamples", 50, "--confidence", 0.9,
    )  # fmt: skip
    frame = fulcrum.load_experiment(WORKFORCE).sensitivity(
        method="sobol",
        samples=16,
        second_order=True,
        groups={"Attrition": ["Normal Rookie Attrition", "Normal Experienced Attrition"]},
        over_time="Experienced",
        resamples=50,
        confidence=0.9,
    )
    same_table(frame, expected)
    assert "time" in frame.columns and "S2" in set(frame["measure"])
    morris = cli_table(
        fulcrum_bin, tmp_path, "sensitivity", "sensitivity.csv",
        "--method", "morris", "--samples", 12, "--levels", 6, "--optimize", 30, "--seed", 3,
    )  # fmt: skip
    same_table(fulcrum.load_experiment(WORKFORCE).sensitivity("morris", samples=12, levels=6, optimize=30, seed=3), morris)
    oat = cli_table(fulcrum_bin, tmp_path, "sensitivity", "sensitivity.csv", "--method", "oat", "--step", 0.05)
    same_table(fulcrum.load_experiment(WORKFORCE).sensitivity("oat", step=0.05), oat)


def test_leverage_is_leverage_csv(fulcrum_bin, tmp_path):
    expected = cli_table(fulcrum_bin, tmp_path, "leverage", "leverage.csv", "--futures", 40, "--seed", 9)
    same_table(fulcrum.load_experiment(WORKFORCE).leverage(futures=40, seed=9), expected)
    expected = cli_table(
        fulcrum_bin, tmp_path, "leverage", "leverage.csv",
        "--futures", 30, "--delta", 0.2, "--no-cross-check", "--resamples", 100, "--confidence", 0.8,
    )  # fmt: skip
    frame = fulcrum.load_experiment(WORKFORCE).leverage(
        futures=30, delta=0.2, cross_check=False, resamples=100, confidence=0.8
    )
    same_table(frame, expected)


def test_compare_is_comparison_csv(fulcrum_bin, tmp_path):
    expected = cli_table(fulcrum_bin, tmp_path, "compare", "comparison.csv", "--futures", 60, "--seed", 4)
    frame = fulcrum.load_experiment(WORKFORCE).compare(futures=60, seed=4)
    same_table(frame, expected)
    assert frame["intervention"].iloc[0] == "baseline"


def test_analyses_are_the_same_for_any_thread_count():
    experiment = fulcrum.load_experiment(WORKFORCE)
    for analysis in (
        lambda threads: experiment.sensitivity("sobol", samples=256, seed=1, threads=threads),
        lambda threads: experiment.sensitivity("prcc", samples=1500, seed=1, threads=threads),
        lambda threads: experiment.leverage(futures=200, seed=1, threads=threads),
        lambda threads: experiment.compare(futures=1100, seed=1, threads=threads),
    ):
        one, two = analysis(1), analysis(2)
        assert one.equals(two)
        assert one.attrs["notes"] == two.attrs["notes"]


def test_analysis_options_are_checked():
    experiment = fulcrum.load_experiment(WORKFORCE)
    with pytest.raises(fulcrum.FulcrumError, match="not a method"):
        experiment.sensitivity(method="fast")
    with pytest.raises(fulcrum.FulcrumError, match="^samples=4: sobol needs at least 8"):
        experiment.sensitivity(method="sobol", samples=4)
    with pytest.raises(fulcrum.FulcrumError, match="^futures: 0 must be at least 1"):
        experiment.compare(futures=0)
    with pytest.raises(fulcrum.FulcrumError, match="^groups: group `g`: `Nope` is not an uncertain constant"):
        experiment.sensitivity(method="oat", groups={"g": ["Nope"]})
    with pytest.raises(fulcrum.FulcrumError, match="even number of levels"):
        experiment.sensitivity(method="morris", samples=4, levels=3)
    with pytest.raises(fulcrum.FulcrumError, match="confidence"):
        experiment.leverage(futures=20, confidence=1.5)
    with pytest.raises(fulcrum.FulcrumError, match="delta"):
        experiment.leverage(futures=20, delta=-0.1)
    with pytest.raises(fulcrum.FulcrumError, match="did you mean"):
        experiment.sensitivity(method="oat", over_time="Experiencd")
    with pytest.raises(ValueError, match="threads"):
        experiment.compare(futures=20, threads=0)
