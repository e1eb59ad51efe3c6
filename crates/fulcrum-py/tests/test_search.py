"""Experiment.search against the files `fulcrum search` writes for the same experiment and
options."""

import pytest

import fulcrum
from conftest import ROOT, read_csv, run_cli, same_numbers

WORKFORCE = ROOT / "models" / "workforce" / "experiment.toml"
BAD = ROOT / "tests" / "bad_inputs" / "search"


def same_table(frame, expected):
    assert list(frame.columns) == list(expected.columns)
    assert len(frame) == len(expected) and len(frame) > 0
    for column in frame.columns:
        assert same_numbers(frame[column], expected[column]), column


@pytest.mark.parametrize(
    "flags, arguments",
    [
        (["--population", 8, "--generations", 2, "--futures", 12, "--seed", 3],
         dict(population=8, generations=2, futures=12, seed=3)),
        (["--population", 6, "--evaluations", 20, "--futures", 9],
         dict(population=6, evaluations=20, futures=9)),
    ],
)  # fmt: skip
def test_search_gives_pareto_csv_and_convergence_csv(fulcrum_bin, tmp_path, flags, arguments):
    run_cli(fulcrum_bin, "search", WORKFORCE, "-o", tmp_path, *flags)
    found = fulcrum.load_experiment(WORKFORCE).search(**arguments)
    same_table(found.pareto, read_csv(tmp_path / "pareto.csv"))
    same_table(found.convergence, read_csv(tmp_path / "convergence.csv"))
    assert "cost" in found.pareto.columns and "Hiring Delay" in found.pareto.columns
    assert "capacity at month 24" in found.pareto.columns
    # Both runs search more than one generation: the table has a row per generation.
    assert list(found.convergence["generation"]) == list(range(len(found.convergence)))
    assert len(found.convergence) >= 2


def test_search_is_the_same_for_any_thread_count():
    experiment = fulcrum.load_experiment(WORKFORCE)
    one = experiment.search(population=8, generations=2, futures=20, seed=5, threads=1)
    two = experiment.search(population=8, generations=2, futures=20, seed=5, threads=2)
    assert one.pareto.equals(two.pareto) and one.convergence.equals(two.convergence)
    other = experiment.search(population=8, generations=2, futures=20, seed=6, threads=2)
    assert not one.pareto.equals(other.pareto), "another seed searches other futures"


def test_search_problems_are_located():
    with pytest.raises(fulcrum.FulcrumError, match=r"no \[\[outcome\]\] declares `better`") as raised:
        fulcrum.load_experiment(BAD / "no_outcome_with_better.toml").search(population=4, generations=0, futures=2)
    assert str(raised.value).startswith(str(BAD / "no_outcome_with_better.toml") + ": ")
    path = BAD / "budget_no_candidate_meets.toml"
    with pytest.raises(fulcrum.FulcrumError, match="no candidate meets it") as raised:
        fulcrum.load_experiment(path).search(population=4, generations=0, futures=2)
    assert str(raised.value).startswith(f"{path}:5:")
    assert (raised.value.path, raised.value.line) == (str(path), 5)
    experiment = fulcrum.load_experiment(WORKFORCE)
    with pytest.raises(fulcrum.FulcrumError, match="^population: 2 must be at least 4"):
        experiment.search(population=2)
    with pytest.raises(fulcrum.FulcrumError, match="one or the other"):
        experiment.search(generations=2, evaluations=40)
    with pytest.raises(fulcrum.FulcrumError, match="^futures: 0 must be at least 1"):
        experiment.search(futures=0)
