"""Experiment.calibrate on the bundled workforce calibration (models/workforce/calibration.toml):
the posterior recovers the constants its history was made with, and the numbers are those of
the files `fulcrum calibrate` writes for the same experiment and seed."""

import json

import pytest

import fulcrum
from conftest import ROOT, read_csv, run_cli, same_numbers

WORKFORCE = ROOT / "models" / "workforce"
# The constants models/workforce/history.csv was made with (README, Calibration).
TRUTH = {"Demand Increase": 0.25, "Normal Experienced Attrition": 0.012, "Time to Proficiency": 8.0}


@pytest.fixture(scope="module")
def short_calibration(tmp_path_factory):
    """calibration.toml with fewer draws and one optimizer start, so that the test is short."""
    text = (WORKFORCE / "calibration.toml").read_text()
    text = text.replace('model = "model.toml"', f"model = {json.dumps(str(WORKFORCE / 'model.toml'))}", 1)
    text = text.replace('data = "history.csv"', f"data = {json.dumps(str(WORKFORCE / 'history.csv'))}", 1)
    text = text.replace("draws = 20000", "draws = 2000\nrestarts = 1", 1)
    path = tmp_path_factory.mktemp("calibration") / "calibration.toml"
    path.write_text(text)
    return path


def test_calibrate_recovers_the_truth_and_gives_the_files_of_fulcrum_calibrate(fulcrum_bin, tmp_path, short_calibration):
    run_cli(fulcrum_bin, "calibrate", short_calibration, "-o", tmp_path, "--seed", 5)
    found = fulcrum.load_experiment(short_calibration).calibrate(seed=5)
    assert found.converged
    for name, frame in [("fit.csv", found.fit), ("posterior.csv", found.posterior), ("diagnostics.csv", found.diagnostics)]:
        expected = read_csv(tmp_path / name)
        assert list(frame.columns) == list(expected.columns), name
        assert len(frame) == len(expected) > 0, name
        for column in frame.columns:
            if column == "constant":
                assert list(frame[column]) == list(expected[column])
            else:
                assert same_numbers(frame[column], expected[column]), (name, column)
    diagnostics = found.diagnostics.set_index("constant")
    for name, truth in TRUTH.items():
        row = diagnostics.loc[name]
        assert row["q05"] < truth < row["q95"], (name, truth, row["q05"], row["q95"])
        assert abs(row["median"] - truth) <= 0.1 * truth, (name, row["median"], truth)
        assert row["r_hat"] <= 1.01
    assert len(found.posterior) >= 2000 - 32


def test_calibrate_is_the_same_for_any_thread_count(short_calibration):
    experiment = fulcrum.load_experiment(short_calibration)
    one = experiment.calibrate(seed=2, threads=1, draws=400, require_convergence=False)
    two = experiment.calibrate(seed=2, threads=2, draws=400, require_convergence=False)
    assert one.posterior.equals(two.posterior) and one.fit.equals(two.fit)


def test_calibration_problems_are_located(tmp_path, short_calibration):
    with pytest.raises(fulcrum.FulcrumError, match=r"has no \[calibration\] table"):
        fulcrum.load_experiment(WORKFORCE / "experiment.toml").calibrate()
    data = tmp_path / "history.csv"
    data.write_text("time (months),Workforce,Vacancie\n0,108.3,4.9\n1,104.1,3.9\n")
    experiment = tmp_path / "calibration.toml"
    text = short_calibration.read_text()
    experiment.write_text(text.replace(json.dumps(str(WORKFORCE / "history.csv")), '"history.csv"', 1))
    with pytest.raises(fulcrum.FulcrumError) as raised:
        fulcrum.load_experiment(experiment).calibrate()
    assert str(raised.value).startswith(f"{data}:1:")
    assert raised.value.path == str(data) and raised.value.line == 1 and raised.value.code is not None
    with pytest.raises(fulcrum.FulcrumError, match="^draws: 0 must be"):
        fulcrum.load_experiment(short_calibration).calibrate(draws=0)
