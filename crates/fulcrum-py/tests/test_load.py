"""fulcrum.load with changes files and data files, against `fulcrum run --changes` and
`fulcrum run --data`, which read models through the same code."""

import pickle

import pytest

import fulcrum
from conftest import ROOT, read_csv, run_cli, same_numbers

TEACUP = ROOT / "models" / "teacup" / "model.toml"


def same_run(frame, expected):
    assert list(frame.columns) == list(expected.columns[1:])
    assert same_numbers(frame.index, expected["time"])
    assert same_numbers(frame.to_numpy(), expected.iloc[:, 1:].to_numpy())


def test_changes_files_are_fulcrum_run_changes(fulcrum_bin, tmp_path):
    first, second = tmp_path / "warm.cin", tmp_path / "slow.cin"
    first.write_text("{ A warmer room. }\nRoom Temperature = 25\nCharacteristic Time = 8\n")
    second.write_text("Characteristic Time = 14\n")
    expected = read_csv(run_cli(fulcrum_bin, "run", TEACUP, "--changes", first, "--changes", second))
    model = fulcrum.load(TEACUP, changes=[first, second])
    same_run(model.run(), expected)
    # The later file wins, and the model is not the unchanged one.
    constants = model.constants.set_index("name")["value"]
    assert (constants["Room Temperature"], constants["Characteristic Time"]) == (25.0, 14.0)
    assert not same_numbers(model.run().to_numpy(), fulcrum.load(TEACUP).run().to_numpy())
    # A pickled model reads its changes files again.
    same_run(pickle.loads(pickle.dumps(model)).run(), expected)


def test_a_bad_changes_file_is_an_error_at_its_line(tmp_path):
    changes = tmp_path / "typo.cin"
    changes.write_text("Room Temperature = 20\nRoom Temprature = 21\n")
    with pytest.raises(fulcrum.FulcrumError) as raised:
        fulcrum.load(TEACUP, changes=[changes])
    error = raised.value
    assert error.code is not None and error.line == 2 and error.path == str(changes)
    assert "Room Temperature" in str(error)
    with pytest.raises(fulcrum.FulcrumError, match="cannot read"):
        fulcrum.load(TEACUP, changes=[tmp_path / "missing.cin"])


def test_data_files_are_fulcrum_run_data(fulcrum_bin, samples):
    folder = samples.parent / "tests" / "data_from_other_model"
    model_path, data = folder / "test_data_from_other_model.mdl", folder / "data.tab"
    if not data.is_file():
        pytest.skip(f"{data} is missing")
    expected = read_csv(run_cli(fulcrum_bin, "run", model_path, "--data", data))
    model = fulcrum.load(model_path, data=[data])
    same_run(model.run(), expected)
    same_run(pickle.loads(pickle.dumps(model)).run(), expected)
