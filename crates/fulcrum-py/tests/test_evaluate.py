"""Model.evaluate: the runs of a sweep, for rows given from Python."""

import threading
import time

import numpy as np
import pytest

import fulcrum
from conftest import ROOT, read_csv, run_cli, same_numbers

TEACUP = ROOT / "models" / "teacup" / "model.toml"
SUPPLY_CHAIN = ROOT / "models" / "supply_chain" / "model.toml"


def test_evaluate_gives_each_row_its_own_run():
    model = fulcrum.load(TEACUP)
    X = np.array([[5.0, 60.0], [10.0, 70.0], [20.0, 85.0]])
    outcomes = [("Teacup Temperature", s) for s in ["final", "mean", "min", "max", "integral", "at:12", "first_below:100"]]
    Y = model.evaluate(X, params=["Characteristic Time", "Room Temperature"], outcomes=outcomes)
    assert Y.shape == (3, len(outcomes))
    for row, (characteristic_time, room) in enumerate(X):
        every_step = model.run(params={"Characteristic Time": characteristic_time, "Room Temperature": room}, save_step=0.125)
        series = every_step["Teacup Temperature"]
        values = series.to_list()
        # The statistics as experiment files define them, summed in time order as a run does.
        total = 0.0
        for value in values:
            total += value
        integral = 0.0
        for value in values[:-1]:
            integral += value * 0.125
        below = series[series < 100]
        expected = [values[-1], total / len(values), min(values), max(values), integral, series.loc[12.0],
                    below.index[0] if len(below) else np.nan]
        assert same_numbers(Y[row], expected), (row, Y[row], expected)


def test_evaluate_is_the_same_bits_for_any_thread_count():
    # Demand noise drawn by NORMAL: run i draws from stream i, whichever worker runs it.
    model = fulcrum.load(SUPPLY_CHAIN)
    names = ["Demand Noise", "Supply Line Weight"]
    # Identical rows: the runs differ only by their streams of random numbers.
    X = np.tile([100.0, 0.34], (3000, 1))  # three blocks of 1,024 runs
    outcomes = [("Retailer Orders", "max"), ("Chain Inventory", "final")]
    results = [model.evaluate(X, params=names, outcomes=outcomes, threads=threads) for threads in [1, 2, 3, None]]
    for other in results[1:]:
        assert np.array_equal(results[0].view(np.uint64), other.view(np.uint64))
    assert np.unique(results[0][:, 0]).size == len(X)
    # Another seed, other numbers.
    assert not np.array_equal(results[0], model.evaluate(X, params=names, outcomes=outcomes, seed=1))


def test_evaluate_matches_the_cli_sweep_of_the_same_inputs(fulcrum_bin, tmp_path, samples):
    # The CLI's sweep of the teacup benchmark experiment, and evaluate of its experiments.csv.
    experiment = ROOT / "benches" / "experiments" / "teacup.toml"
    out = tmp_path / "sweep"
    run_cli(fulcrum_bin, "sweep", experiment, "-o", out, "--runs", "2500", "--seed", "11")
    inputs = read_csv(out / "experiments.csv")
    expected = read_csv(out / "outcomes.csv")
    model = fulcrum.load(fulcrum.load_experiment(experiment).model_path)
    params = list(inputs.columns[1:])
    Y = model.evaluate(inputs[params].to_numpy(), params=params, outcomes=[("Teacup Temperature", "final")])
    assert same_numbers(Y[:, 0], expected["final temperature"])


def test_evaluate_refuses_what_it_cannot_run():
    model = fulcrum.load(TEACUP)
    X = np.ones((4, 1)) * 10
    with pytest.raises(fulcrum.FulcrumError, match="median"):
        model.evaluate(X, params=["Characteristic Time"], outcomes=[("Teacup Temperature", "median")])
    with pytest.raises(fulcrum.FulcrumError, match="not a constant"):
        model.evaluate(X, params=["Heat Loss to Room"], outcomes=[("Teacup Temperature", "final")])
    with pytest.raises(fulcrum.FulcrumError, match="Teacup Temperature"):
        model.evaluate(X, params=["Characteristic Time"], outcomes=[("Teacup Temprature", "final")])
    with pytest.raises(ValueError, match="shape"):
        model.evaluate(np.ones((4, 2)), params=["Characteristic Time"], outcomes=[("Teacup Temperature", "final")])
    with pytest.raises(fulcrum.FulcrumError, match="finite"):
        model.evaluate(np.array([[np.inf]]), params=["Characteristic Time"], outcomes=[("Teacup Temperature", "final")])


def count_until(done, counted):
    while not done.is_set():
        counted[0] += 1


def test_evaluate_releases_the_gil():
    model = fulcrum.load(TEACUP)
    X = np.linspace(5, 20, 500_000).reshape(-1, 1)
    # How fast a thread counts with the GIL to itself.
    done, counted = threading.Event(), [0]
    alone = threading.Thread(target=count_until, args=(done, counted))
    alone.start()
    time.sleep(0.2)
    done.set()
    alone.join()
    rate = counted[0] / 0.2
    done, counted = threading.Event(), [0]
    counter = threading.Thread(target=count_until, args=(done, counted))
    counter.start()
    start = time.perf_counter()
    model.evaluate(X, params=["Characteristic Time"], outcomes=[("Teacup Temperature", "final")], threads=1)
    seconds = time.perf_counter() - start
    done.set()
    counter.join()
    # Holding the GIL through the call would leave the counter two switch intervals (5 ms each)
    # at most, around the call; released, it counts all along.
    assert seconds > 0.2, seconds
    assert counted[0] > 0.25 * rate * seconds, (counted[0], rate, seconds)


NOISY_TEACUP = ROOT / "crates" / "fulcrum-py" / "tests" / "models" / "noisy_teacup.toml"
NOISY_PARAMS = ["Characteristic Time", "Room Temperature"]
NOISY_OUTCOMES = [("Teacup Temperature", "final"), ("Felt Temperature", "mean")]


def test_streams_by_values_follow_the_row_not_its_position():
    model = fulcrum.load(NOISY_TEACUP)
    X = np.random.default_rng(3).uniform([5, 60], [20, 80], size=(2100, 2))
    X[7] = X[2000]  # equal rows, in different blocks of runs
    Y = model.evaluate(X, params=NOISY_PARAMS, outcomes=NOISY_OUTCOMES, streams="values")
    assert np.array_equal(Y[7], Y[2000])
    # Rows shuffled, columns swapped, split in two calls, one row alone: the same bits per row.
    order = np.random.default_rng(4).permutation(len(X))
    shuffled = model.evaluate(X[order][:, ::-1], params=NOISY_PARAMS[::-1], outcomes=NOISY_OUTCOMES, streams="values")
    assert np.array_equal(shuffled.view(np.uint64), Y[order].view(np.uint64))
    halves = [model.evaluate(X[part], params=NOISY_PARAMS, outcomes=NOISY_OUTCOMES, streams="values", threads=1)
              for part in (slice(0, 1000), slice(1000, None))]
    assert np.array_equal(np.vstack(halves).view(np.uint64), Y.view(np.uint64))
    alone = model.evaluate(X[1500:1501], params=NOISY_PARAMS, outcomes=NOISY_OUTCOMES, streams="values")
    assert np.array_equal(alone[0], Y[1500])
    # By position (the default), a row's draws depend on where it stands.
    by_position = model.evaluate(X, params=NOISY_PARAMS, outcomes=NOISY_OUTCOMES)
    assert not np.array_equal(by_position[7], by_position[2000])
    # The noise is real: rows equal but for the streams differ, and so do seeds.
    assert not np.array_equal(Y, by_position)
    assert not np.array_equal(Y, model.evaluate(X, params=NOISY_PARAMS, outcomes=NOISY_OUTCOMES, streams="values", seed=1))


def test_streams_given_row_by_row():
    model = fulcrum.load(NOISY_TEACUP)
    X = np.tile([10.0, 70.0], (40, 1))
    default = model.evaluate(X, params=NOISY_PARAMS, outcomes=NOISY_OUTCOMES)
    given = model.evaluate(X, params=NOISY_PARAMS, outcomes=NOISY_OUTCOMES, streams=np.arange(40))
    assert np.array_equal(default, given)
    reversed_streams = model.evaluate(X, params=NOISY_PARAMS, outcomes=NOISY_OUTCOMES, streams=list(range(39, -1, -1)))
    assert np.array_equal(reversed_streams, default[::-1])
    same = model.evaluate(X, params=NOISY_PARAMS, outcomes=NOISY_OUTCOMES, streams=[7] * 40)
    assert (same == same[0]).all()
    for wrong in ["value", [1, 2], [-1] * 40, np.full(40, 1.5)]:
        with pytest.raises(ValueError, match="streams"):
            model.evaluate(X, params=NOISY_PARAMS, outcomes=NOISY_OUTCOMES, streams=wrong)
