"""Experiment.sweep against the files `fulcrum sweep` writes."""

import json
import pickle

import pandas as pd
import pytest

import fulcrum
from conftest import ROOT, read_csv, run_cli, same_numbers

WORKFORCE = ROOT / "models" / "workforce" / "experiment.toml"


def same_frame(frame, expected):
    assert list(frame.columns) == list(expected.columns)
    for column in frame.columns:
        if pd.api.types.is_numeric_dtype(expected[column]):
            assert same_numbers(frame[column], expected[column]), column
        else:
            assert list(frame[column]) == list(expected[column]), column


@pytest.mark.parametrize("sampler", [None, "lhs", "sobol"])
def test_sweep_gives_the_files_of_fulcrum_sweep(fulcrum_bin, tmp_path, sampler):
    runs, seed = 1500, 3
    flags = ["--runs", runs, "--seed", seed] + (["--sampler", sampler] if sampler else [])
    run_cli(fulcrum_bin, "sweep", WORKFORCE, "-o", tmp_path, *flags)
    result = fulcrum.load_experiment(WORKFORCE).sweep(runs=runs, seed=seed, sampler=sampler)
    same_frame(result.experiments, read_csv(tmp_path / "experiments.csv"))
    same_frame(result.outcomes, read_csv(tmp_path / "outcomes.csv"))
    same_frame(result.bands, read_csv(tmp_path / "bands.csv"))
    failures = read_csv(tmp_path / "failures.csv")
    assert len(result.failures) == len(failures)
    assert len(result.outcomes) == runs and len(result.bands) > 0


def test_sweep_is_the_same_for_any_thread_count():
    experiment = fulcrum.load_experiment(WORKFORCE)
    one = experiment.sweep(runs=2100, seed=5, threads=1)
    two = experiment.sweep(runs=2100, seed=5, threads=2)
    assert one.outcomes.equals(two.outcomes) and one.bands.equals(two.bands)
    assert one.experiments.equals(two.experiments)


def test_experiments_pickle():
    experiment = pickle.loads(pickle.dumps(fulcrum.load_experiment(WORKFORCE)))
    assert experiment.path == str(WORKFORCE)
    assert experiment.sweep(runs=50, seed=2).outcomes.equals(fulcrum.load_experiment(WORKFORCE).sweep(runs=50, seed=2).outcomes)


def test_sweep_arguments_are_checked():
    experiment = fulcrum.load_experiment(WORKFORCE)
    with pytest.raises(fulcrum.FulcrumError, match="not a sampler"):
        experiment.sweep(runs=10, sampler="grid-ish")
    with pytest.raises(fulcrum.FulcrumError) as raised:
        fulcrum.load_experiment(ROOT / "tests" / "missing.toml")
    assert "cannot read" in str(raised.value)


def test_a_grid_sweep_gives_the_bands_of_each_grid_point_as_bands_csv(fulcrum_bin, tmp_path):
    model = json.dumps(str(WORKFORCE.parent / "model.toml"))
    text = WORKFORCE.read_text().replace('model = "model.toml"', f"model = {model}", 1)
    text = text.replace("[sampling]\n", '[sampling]\ngrid = { "Hiring Delay" = [2, 9] }\n', 1)
    experiment = tmp_path / "grid.toml"
    experiment.write_text(text)
    run_cli(fulcrum_bin, "sweep", experiment, "-o", tmp_path / "out", "--runs", 300, "--seed", 3)
    result = fulcrum.load_experiment(experiment).sweep(runs=300, seed=3)
    bands = read_csv(tmp_path / "out" / "bands.csv")
    assert list(bands.columns[:2]) == ["Hiring Delay", "variable"]
    assert sorted(set(result.bands["Hiring Delay"])) == [2.0, 9.0]
    assert (result.bands["n"] == 300).all(), "each grid point's bands are over its own 300 runs"
    same_frame(result.bands, bands)
    same_frame(result.experiments, read_csv(tmp_path / "out" / "experiments.csv"))
