"""Experiment.calibrate: on the bundled workforce calibration (models/workforce/calibration.toml)
the posterior recovers the constants its history was made with; on a teacup calibration (cheap
enough for the debug build of the command) the numbers are those of the files `fulcrum
calibrate` writes for the same experiment and seed."""

import json

import numpy as np
import pytest

import fulcrum
from conftest import ROOT, read_csv, run_cli, same_numbers

WORKFORCE = ROOT / "models" / "workforce"
TEACUP = ROOT / "models" / "teacup" / "model.toml"
# The constants models/workforce/history.csv was made with (README, Calibration).
TRUTH = {"Demand Increase": 0.25, "Normal Experienced Attrition": 0.012, "Time to Proficiency": 8.0}


@pytest.fixture(scope="module")
def teacup_calibration(tmp_path_factory):
    """The teacup's cooling measured each minute at Characteristic Time 12 and Room Temperature
    65, with Gaussian noise of scale 1, and an experiment that fits both constants to it."""
    folder = tmp_path_factory.mktemp("teacup")
    run = fulcrum.load(TEACUP).run(
        params={"Characteristic Time": 12, "Room Temperature": 65}, vars=["Teacup Temperature"], save_step=1
    )
    noise = np.random.default_rng(0).normal(0.0, 1.0, len(run))
    lines = ["time (minutes),Teacup Temperature"]
    lines += [f"{float(time)!r},{float(value + error)!r}" for time, value, error in zip(run.index, run.iloc[:, 0], noise)]
    (folder / "history.csv").write_text("\n".join(lines) + "\n")
    (folder / "calibration.toml").write_text(
        f"""model = {json.dumps(str(TEACUP))}
[sim]
save_step = 1
[sampling]
seed = 4
[[uncertain]]
name = "Characteristic Time"
distribution = "uniform"
min = 5
max = 20
[[uncertain]]
name = "Room Temperature"
distribution = "uniform"
min = 50
max = 90
[calibration]
data = "history.csv"
constants = ["Characteristic Time", "Room Temperature"]
likelihood = "gaussian"
draws = 2000
restarts = 1
[calibration.series."Teacup Temperature"]
scale = 1
"""
    )
    return folder / "calibration.toml"


def test_calibrate_gives_the_files_of_fulcrum_calibrate(fulcrum_bin, tmp_path, teacup_calibration):
    run_cli(fulcrum_bin, "calibrate", teacup_calibration, "-o", tmp_path, "--seed", 5)
    found = fulcrum.load_experiment(teacup_calibration).calibrate(seed=5)
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
    best = found.fit.iloc[0]
    assert abs(best["Characteristic Time"] - 12) < 0.5 and abs(best["Room Temperature"] - 65) < 1.5, best


def test_calibrate_recovers_the_workforce_history(tmp_path):
    found = fulcrum.load_experiment(WORKFORCE / "calibration.toml").calibrate()
    assert found.converged
    assert len(found.posterior) >= 20_000 - 32
    diagnostics = found.diagnostics.set_index("constant")
    for name, truth in TRUTH.items():
        row = diagnostics.loc[name]
        assert row["q05"] < truth < row["q95"], (name, truth, row["q05"], row["q95"])
        assert abs(row["median"] - truth) <= 0.1 * truth, (name, row["median"], truth)
        assert row["r_hat"] <= 1.05 and row["ess_bulk"] >= 400 and row["tau"] > 0


def test_calibrate_is_the_same_for_any_thread_count(teacup_calibration):
    experiment = fulcrum.load_experiment(teacup_calibration)
    one = experiment.calibrate(seed=2, threads=1, draws=500)
    two = experiment.calibrate(seed=2, threads=2, draws=500)
    assert one.posterior.equals(two.posterior) and one.fit.equals(two.fit)
    assert one.diagnostics.equals(two.diagnostics)


def test_calibration_problems_are_located(tmp_path, teacup_calibration):
    with pytest.raises(fulcrum.FulcrumError, match=r"has no \[calibration\] table"):
        fulcrum.load_experiment(WORKFORCE / "experiment.toml").calibrate()
    data = tmp_path / "history.csv"
    data.write_text("time (minutes),Teacup Temperatur\n0,180\n1,170.5\n")
    experiment = tmp_path / "calibration.toml"
    experiment.write_text(teacup_calibration.read_text())
    with pytest.raises(fulcrum.FulcrumError) as raised:
        fulcrum.load_experiment(experiment).calibrate()
    assert str(raised.value).startswith(f"{data}:1:")
    assert raised.value.path == str(data) and raised.value.line == 1 and raised.value.code is not None
    with pytest.raises(fulcrum.FulcrumError, match="^draws: 0 must be"):
        fulcrum.load_experiment(teacup_calibration).calibrate(draws=0)
