"""fulcrum.load, Model.constants, Model.run (against `fulcrum run`), errors and pickling."""

import pickle
import shutil
from concurrent.futures import ProcessPoolExecutor

import numpy as np
import pytest

import fulcrum
from conftest import ROOT, read_csv, run_cli, same_numbers

TEACUP = ROOT / "models" / "teacup" / "model.toml"


def test_load_reads_native_xmile_and_vensim_models(samples):
    finals = []
    for path in [samples / "teacup" / "teacup.xmile", samples / "teacup" / "teacup.stmx", samples / "teacup" / "teacup.mdl"]:
        model = fulcrum.load(path)
        assert "teacup temperature" in [name.lower() for name in model.variables], path
        # Names are looked up in any spelling; columns are named as the file writes them.
        finals.append(model.run(vars=["Teacup Temperature"]).iloc[-1, 0])
    # The same model in three formats runs to the same temperature.
    assert finals[0] == pytest.approx(finals[1]) == pytest.approx(finals[2])


def test_constants_table_has_values_units_ranges_and_doc():
    constants = fulcrum.load(TEACUP).constants
    assert list(constants.columns) == ["name", "value", "units", "min", "max", "doc"]
    row = constants.set_index("name").loc["Characteristic Time"]
    assert (row["value"], row["units"], row["min"], row["max"]) == (10.0, "minutes", 5.0, 20.0)
    assert row["doc"].startswith("How quickly the cup exchanges heat")
    assert list(constants["name"]) == ["Room Temperature", "Characteristic Time"]


@pytest.mark.parametrize(
    "python_args, cli_args",
    [
        ({}, []),
        ({"params": {"Room Temperature": 20}}, ["--set", "Room Temperature=20"]),
        (
            {"vars": ["Heat Loss to Room", "Teacup Temperature"], "method": "rk4", "dt": 0.25, "save_step": 1.0},
            ["--vars", "Heat Loss to Room,Teacup Temperature", "--method", "rk4", "--dt", "0.25", "--save-step", "1"],
        ),
        ({"start": 5, "stop": 12.5, "method": "rk2"}, ["--start", "5", "--stop", "12.5", "--method", "rk2"]),
    ],
)
def test_run_gives_the_numbers_fulcrum_run_writes(fulcrum_bin, python_args, cli_args):
    frame = fulcrum.load(TEACUP).run(**python_args)
    expected = read_csv(run_cli(fulcrum_bin, "run", TEACUP, *cli_args))
    assert frame.index.name == "time"
    assert list(frame.columns) == list(expected.columns[1:])
    assert same_numbers(frame.index, expected["time"])
    assert same_numbers(frame.to_numpy(), expected.iloc[:, 1:].to_numpy())


def test_run_of_other_formats_and_random_functions_matches_the_cli(fulcrum_bin, samples):
    cases = [
        (samples / "SIR" / "SIR.xmile", {}, []),
        (samples / "SIR" / "SIR.mdl", {}, []),
        # Demand noise is drawn by NORMAL from the seed.
        (
            ROOT / "models" / "supply_chain" / "model.toml",
            {"seed": 7, "params": {"Demand Noise": 100}},
            ["--seed", "7", "--set", "Demand Noise=100"],
        ),
    ]
    for path, python_args, cli_args in cases:
        frame = fulcrum.load(path).run(**python_args)
        expected = read_csv(run_cli(fulcrum_bin, "run", path, *cli_args))
        assert list(frame.columns) == list(expected.columns[1:]), path
        assert same_numbers(frame.to_numpy(), expected.iloc[:, 1:].to_numpy()), path
    noisy = fulcrum.load(ROOT / "models" / "supply_chain" / "model.toml")
    noise = {"Demand Noise": 100}
    assert not noisy.run(seed=7, params=noise).equals(noisy.run(seed=8, params=noise)), "the seed reaches NORMAL"


def test_errors_carry_the_code_and_the_place(tmp_path):
    broken = tmp_path / "teacup.toml"
    broken.write_text(TEACUP.read_text().replace("Room_Temperature) /", "Room_Temprature) /"))
    with pytest.raises(fulcrum.FulcrumError) as raised:
        fulcrum.load(broken)
    error = raised.value
    assert error.code == "E0102"
    line = next(n for n, text in enumerate(broken.read_text().splitlines(), 1) if "Room_Temprature" in text)
    assert (error.line, error.path) == (line, str(broken))
    assert str(error).startswith(f"{broken}:{line}:{error.column}: E0102 ")
    assert "did you mean `Room Temperature`" in str(error)
    assert len(error.diagnostics) == 1


def test_bad_arguments_are_errors_not_defaults():
    model = fulcrum.load(TEACUP)
    with pytest.raises(fulcrum.FulcrumError, match="not a variable"):
        model.run(params={"Room Temp": 3})
    with pytest.raises(fulcrum.FulcrumError, match="Heat Loss"):
        model.run(vars=["Heat Los to Room"])
    with pytest.raises(fulcrum.FulcrumError, match="rk5"):
        model.run(method="rk5")
    with pytest.raises(fulcrum.FulcrumError, match="finite"):
        model.run(params={"Room Temperature": float("nan")})
    with pytest.raises(fulcrum.FulcrumError) as raised:
        fulcrum.load(ROOT / "README.md")
    assert raised.value.code is None and "unknown model format" in str(raised.value)


def final_temperature(model, characteristic_time):
    return model.run(params={"Characteristic Time": characteristic_time})["Teacup Temperature"].iloc[-1]


def test_models_pickle_and_run_in_a_process_pool(tmp_path):
    # The copy is compiled from the stored text: it runs though the file is gone.
    moved = tmp_path / "teacup.toml"
    shutil.copy(TEACUP, moved)
    model = fulcrum.load(moved)
    moved.unlink()
    copy = pickle.loads(pickle.dumps(model))
    assert copy.path == str(moved)
    assert copy.run().equals(model.run())
    with ProcessPoolExecutor(max_workers=2) as pool:
        finals = list(pool.map(final_temperature, [model] * 3, [5.0, 10.0, 20.0]))
    assert finals == [final_temperature(model, t) for t in [5.0, 10.0, 20.0]]


def test_help_of_load_says_what_it_reads():
    doc = fulcrum.load.__doc__
    for words in [".toml", ".xmile", ".mdl", "FulcrumError", "Examples"]:
        assert words in doc
    assert "statistic" in fulcrum.Model.evaluate.__doc__
