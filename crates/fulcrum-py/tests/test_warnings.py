"""Warnings of models, experiments and plans: issued as fulcrum.FulcrumWarning through Python's
warnings module, with the diagnostic code and the place, as the command prints them."""

import pickle
import subprocess
import warnings

import pytest

import fulcrum
from conftest import ROOT

TEACUP = ROOT / "models" / "teacup" / "model.toml"


def teacup_with_room_at(folder, temperature):
    """The teacup in `folder`, its room (documented as 50 to 90) at `temperature`; the line of
    the value."""
    lines = TEACUP.read_text().splitlines()
    at = next(i for i, line in enumerate(lines) if line == 'name = "Room Temperature"') + 1
    assert lines[at] == "value = 70"
    lines[at] = f"value = {temperature}"
    path = folder / "model.toml"
    path.write_text("\n".join(lines) + "\n")
    return path, at + 1


EXPERIMENT = """model = "model.toml"

[sampling]
method = "{method}"
runs = {runs}
seed = 1

[[uncertain]]
name = "Characteristic Time"
distribution = "uniform"
min = 5
max = 15

[[outcome]]
name = "final temperature"
variable = "Teacup Temperature"
statistic = "final"
"""

LATE_INTERVENTION = """
[[lever]]
name = "Room Temperature"
min = 50
max = 90

[[intervention]]
name = "too late"
set = { "Room Temperature" = 60 }
start = 45
"""


def experiment(folder, method="random", runs=64, extra=""):
    teacup_with_room_at(folder, 70)
    path = folder / "experiment.toml"
    path.write_text(EXPERIMENT.format(method=method, runs=runs) + extra)
    return path


def test_a_model_warning_is_a_fulcrum_warning_with_its_code_and_place(tmp_path):
    path, line = teacup_with_room_at(tmp_path, 95)
    with pytest.warns(fulcrum.FulcrumWarning, match="outside its documented range") as caught:
        model = fulcrum.load(path)
    [warning] = [w for w in caught if issubclass(w.category, fulcrum.FulcrumWarning)]
    issued = warning.message
    assert issued.code == "W0001"
    assert (issued.path, issued.line) == (str(path), line)
    assert str(issued).startswith(f"{path}:{line}:")
    # Shown where the caller called load, not inside the package.
    assert warning.filename == __file__
    assert model.warnings == [str(issued)]
    # A warning does not stop the model.
    assert model.run().shape[0] > 0


def test_the_command_prints_the_same_warning(tmp_path, fulcrum_bin):
    path, line = teacup_with_room_at(tmp_path, 95)
    done = subprocess.run([str(fulcrum_bin), "check", str(path)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    with pytest.warns(fulcrum.FulcrumWarning) as caught:
        fulcrum.load(path)
    issued = caught[0].message
    printed = done.stdout + done.stderr
    assert f"{issued.code}" in printed and "outside its documented range 50 to 90" in printed
    assert f"{path}:{line}:" in printed, printed


def test_a_clean_model_issues_no_warning():
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model = fulcrum.load(TEACUP)
    assert model.warnings == []


def test_warnings_follow_the_filters(tmp_path):
    path, _ = teacup_with_room_at(tmp_path, 95)
    with warnings.catch_warnings():
        warnings.simplefilter("error", fulcrum.FulcrumWarning)
        with pytest.raises(fulcrum.FulcrumWarning) as raised:
            fulcrum.load(path)
    assert raised.value.code == "W0001"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        warnings.simplefilter("ignore", fulcrum.FulcrumWarning)
        fulcrum.load(path)
    # A warning pickles with its code and place (multiprocessing sends them between processes).
    again = pickle.loads(pickle.dumps(raised.value))
    assert (again.code, again.path, again.line, str(again)) == (
        raised.value.code,
        raised.value.path,
        raised.value.line,
        str(raised.value),
    )


def test_experiment_and_plan_warnings(tmp_path):
    path = experiment(tmp_path, method="sobol", runs=100, extra=LATE_INTERVENTION)
    with pytest.warns(fulcrum.FulcrumWarning) as caught:
        loaded = fulcrum.load_experiment(path)
    codes = sorted(w.message.code for w in caught)
    assert codes == ["W0002", "W0003"], [str(w.message) for w in caught]
    assert all(w.message.path == str(path) and w.message.line for w in caught)
    assert all(w.filename == __file__ for w in caught)
    assert sorted(loaded.warnings) == sorted(str(w.message) for w in caught)
    # A sweep of the design the file gives warns no more: it warned when loaded.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded.sweep()


def test_a_plan_an_argument_makes_warns_when_it_is_made(tmp_path):
    loaded = fulcrum.load_experiment(experiment(tmp_path))
    with pytest.warns(fulcrum.FulcrumWarning, match="1000 runs is not one") as caught:
        result = loaded.sweep(runs=1000, sampler="sobol")
    assert [w.message.code for w in caught] == ["W0002"]
    assert caught[0].filename == __file__
    assert len(result.outcomes) == 1000
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loaded.sweep(runs=1024, sampler="sobol")
        loaded.sweep(runs=1000)
