"""fulcrum.ema: a fulcrum model in the EMA Workbench's perform_experiments."""

import numpy as np
import pytest
from ema_workbench import (
    Constant,
    MultiprocessingEvaluator,
    RealParameter,
    ScalarOutcome,
    SequentialEvaluator,
    TimeSeriesOutcome,
    perform_experiments,
)
from ema_workbench.em_framework.points import Policy, Scenario

import fulcrum
from fulcrum.ema import FulcrumEvaluator, FulcrumModel
from conftest import ROOT

TEACUP = ROOT / "models" / "teacup" / "model.toml"
NOISY_TEACUP = ROOT / "crates" / "fulcrum-py" / "tests" / "models" / "noisy_teacup.toml"


def teacup_model():
    model = FulcrumModel("teacup", TEACUP)
    model.uncertainties = [RealParameter("Characteristic Time", 5, 20), RealParameter("Room Temperature", 50, 90)]
    model.outcomes = [
        ScalarOutcome("final temperature", variable_name="Teacup Temperature"),
        ScalarOutcome("mean temperature", variable_name="Teacup Temperature|mean"),
        ScalarOutcome("temperature at 12", variable_name="Teacup Temperature|at:12"),
        TimeSeriesOutcome("Teacup Temperature"),
        TimeSeriesOutcome("TIME"),
    ]
    return model


def test_perform_experiments_runs_the_model_in_one_batch():
    model = teacup_model()
    with FulcrumEvaluator(model) as evaluator:
        experiments, outcomes = perform_experiments(model, 200, evaluator=evaluator)
    assert len(experiments) == 200
    X = experiments[["Characteristic Time", "Room Temperature"]].to_numpy()
    direct = fulcrum.load(TEACUP)
    Y = direct.evaluate(
        X,
        params=["Characteristic Time", "Room Temperature"],
        outcomes=[("Teacup Temperature", "final"), ("Teacup Temperature", "mean"), ("Teacup Temperature", "at:12")],
    )
    assert np.array_equal(outcomes["final temperature"], Y[:, 0])
    assert np.array_equal(outcomes["mean temperature"], Y[:, 1])
    assert np.array_equal(outcomes["temperature at 12"], Y[:, 2])
    # Time series: the variable at the saved times, as Model.run gives it.
    first = direct.run(params={"Characteristic Time": X[0, 0], "Room Temperature": X[0, 1]})
    assert np.array_equal(outcomes["TIME"][0], first.index.to_numpy())
    assert np.array_equal(outcomes["Teacup Temperature"][0], first["Teacup Temperature"].to_numpy())
    assert outcomes["Teacup Temperature"].shape == (200, len(first))


@pytest.mark.parametrize("evaluator", [SequentialEvaluator, MultiprocessingEvaluator])
def test_ema_evaluators_run_it_one_experiment_at_a_time_with_the_same_results(evaluator):
    model = teacup_model()
    with FulcrumEvaluator(model) as batch:
        experiments, expected = perform_experiments(model, 40, evaluator=batch)
    scenarios = [
        Scenario(**{"Characteristic Time": row["Characteristic Time"], "Room Temperature": row["Room Temperature"]})
        for _, row in experiments.iterrows()
    ]
    options = {"n_processes": 2} if evaluator is MultiprocessingEvaluator else {}
    # The multiprocessing evaluator pickles the model into each worker process.
    with evaluator(model, **options) as one_by_one:
        _, outcomes = perform_experiments(model, scenarios, evaluator=one_by_one)
    for name, values in expected.items():
        assert np.array_equal(outcomes[name], values), name


def test_unknown_names_are_fulcrum_errors():
    model = teacup_model()
    model.uncertainties = [RealParameter("Characteristic Tim", 5, 20)]
    with pytest.raises(Exception, match="Characteristic Time"):
        with FulcrumEvaluator(model) as evaluator:
            perform_experiments(model, 4, evaluator=evaluator)


def test_levers_and_constants_set_the_model_constants():
    model = FulcrumModel("teacup", TEACUP)
    model.uncertainties = [RealParameter("Characteristic Time", 5, 20)]
    model.levers = [RealParameter("Room Temperature", 50, 90)]
    model.outcomes = [ScalarOutcome("final temperature", variable_name="Teacup Temperature")]
    with FulcrumEvaluator(model) as evaluator:
        experiments, outcomes = perform_experiments(model, scenarios=6, policies=3, evaluator=evaluator)
    assert len(experiments) == 18
    direct = fulcrum.load(TEACUP)
    assert experiments["Room Temperature"].nunique() == 3
    rows = zip(experiments["Characteristic Time"], experiments["Room Temperature"], outcomes["final temperature"])
    for characteristic_time, room, final in rows:
        params = {"Characteristic Time": characteristic_time, "Room Temperature": room}
        assert final == direct.run(params=params)["Teacup Temperature"].iloc[-1]
    # A constant holds in every experiment.
    model.levers = []
    model.constants = [Constant("Room Temperature", 20.0)]
    with FulcrumEvaluator(model) as evaluator:
        experiments, outcomes = perform_experiments(model, scenarios=3, evaluator=evaluator)
    for characteristic_time, final in zip(experiments["Characteristic Time"], outcomes["final temperature"]):
        expected = direct.run(params={"Characteristic Time": characteristic_time, "Room Temperature": 20.0})
        assert final == expected["Teacup Temperature"].iloc[-1]


def noisy_model(seed=0):
    """The teacup with a room temperature drawn by NORMAL each step: every run its own noise."""
    model = FulcrumModel("noisy", NOISY_TEACUP, seed=seed)
    model.uncertainties = [RealParameter("Characteristic Time", 5, 20), RealParameter("Room Temperature", 50, 90)]
    model.levers = [RealParameter("Draught", 1, 10)]
    model.outcomes = [
        ScalarOutcome("final temperature", variable_name="Teacup Temperature"),
        ScalarOutcome("mean felt", variable_name="Felt Temperature|mean"),
        TimeSeriesOutcome("Felt Temperature"),
    ]
    return model


def by_inputs(experiments, outcomes):
    """Each experiment's outcomes, by its inputs."""
    keys = zip(experiments["Characteristic Time"], experiments["Room Temperature"], experiments["Draught"])
    return {key: {name: values[row] for name, values in outcomes.items()} for row, key in enumerate(keys)}


@pytest.mark.parametrize("evaluator", [SequentialEvaluator, MultiprocessingEvaluator])
def test_a_stochastic_experiment_gives_the_same_result_alone_or_in_a_batch(evaluator):
    model = noisy_model()
    with FulcrumEvaluator(model) as batch:
        experiments, batched = perform_experiments(model, scenarios=12, policies=2, evaluator=batch)
    expected = by_inputs(experiments, batched)
    assert len(expected) == 24
    # The same experiments one at a time, in another order, by EMA's own evaluator.
    scenarios = [
        Scenario(**{"Characteristic Time": t, "Room Temperature": r})
        for t, r in experiments[["Characteristic Time", "Room Temperature"]].drop_duplicates().to_numpy()[::-1]
    ]
    policies = [Policy(**{"Draught": d}) for d in experiments["Draught"].unique()[::-1]]
    options = {"n_processes": 2} if evaluator is MultiprocessingEvaluator else {}
    with evaluator(model, **options) as one_by_one:
        experiments_again, alone = perform_experiments(model, scenarios, policies, evaluator=one_by_one)
    found = by_inputs(experiments_again, alone)
    assert found.keys() == expected.keys()
    for key, outcomes in expected.items():
        for name, value in outcomes.items():
            assert np.array_equal(found[key][name], value), (key, name)
    # The noise matters: each experiment's draws are its own, and another seed draws others.
    finals = [outcomes["final temperature"] for outcomes in expected.values()]
    direct = fulcrum.load(NOISY_TEACUP)
    quiet = []
    for characteristic_time, room, _ in expected:
        params = {"Characteristic Time": characteristic_time, "Room Temperature": room, "Draught": 0.0}
        quiet.append(direct.run(params=params)["Teacup Temperature"].iloc[-1])
    assert not np.any(np.isclose(finals, quiet, rtol=0, atol=1e-9))
    reseeded = noisy_model(seed=1)
    with FulcrumEvaluator(reseeded) as batch:
        _, other = perform_experiments(reseeded, scenarios, policies, evaluator=batch)
    assert not np.array_equal(np.sort(other["final temperature"]), np.sort(finals))
