"""SALib with fulcrum: SALib samples or reads a design, Model.evaluate runs it, SALib analyses;
the indices are those of `fulcrum sensitivity --method sobol`."""

import numpy as np
import pytest
from SALib.analyze import sobol as sobol_analysis
from SALib.sample import sobol as sobol_sample

import fulcrum
from conftest import ROOT, read_csv, run_cli

TEACUP = ROOT / "models" / "teacup" / "model.toml"
NAMES = ["Characteristic Time", "Room Temperature"]
PROBLEM = {"num_vars": 2, "names": NAMES, "bounds": [[5.0, 15.0], [60.0, 80.0]]}
OUTCOMES = {"final temperature": ("Teacup Temperature", "final"), "temperature at 5": ("Teacup Temperature", "at:5")}


@pytest.fixture(scope="module")
def cli_sobol(fulcrum_bin, tmp_path_factory):
    """`fulcrum sensitivity --method sobol` of the teacup, its estimates by (outcome, parameter,
    measure), and the design it ran (`fulcrum sample sensitivity`)."""
    folder = tmp_path_factory.mktemp("sobol")
    experiment = folder / "experiment.toml"
    lines = [f'model = "{TEACUP.as_posix()}"', "[sampling]", "runs = 1024", "seed = 4"]
    for name, (low, high) in zip(NAMES, PROBLEM["bounds"]):
        lines += ["[[uncertain]]", f'name = "{name}"', 'distribution = "uniform"', f"min = {low}", f"max = {high}"]
    for name, (variable, statistic) in OUTCOMES.items():
        lines += ["[[outcome]]", f'name = "{name}"', f'variable = "{variable}"', f'statistic = "{statistic}"']
    experiment.write_text("\n".join(lines) + "\n")
    run_cli(fulcrum_bin, "sensitivity", experiment, "--method", "sobol", "-o", folder / "out")
    run_cli(fulcrum_bin, "sample", "sensitivity", experiment, "--method", "sobol", "-o", folder / "design")
    table = read_csv(folder / "out" / "sensitivity.csv")
    estimates = {(r.outcome, r.parameter, r.measure): r.estimate for r in table.itertuples()}
    design = read_csv(folder / "design" / "experiments.csv")
    return estimates, design


def test_salib_analysis_of_the_cli_design_matches_fulcrum_sensitivity(cli_sobol):
    estimates, design = cli_sobol
    assert list(design.columns[1:]) == NAMES and len(design) == 1024 * (len(NAMES) + 2)
    model = fulcrum.load(TEACUP)
    Y = model.evaluate(design[NAMES].to_numpy(), params=NAMES, outcomes=list(OUTCOMES.values()))
    for column, outcome in enumerate(OUTCOMES):
        indices = sobol_analysis.analyze(PROBLEM, Y[:, column], calc_second_order=False, seed=1)
        for position, name in enumerate(NAMES):
            # The same estimators on the same outcomes: equal to rounding.
            assert indices["S1"][position] == pytest.approx(estimates[(outcome, name, "S1")], abs=1e-9)
            assert indices["ST"][position] == pytest.approx(estimates[(outcome, name, "ST")], abs=1e-9)


def test_salib_sample_evaluate_and_analyze_agree_with_fulcrum_sensitivity(cli_sobol):
    estimates, _ = cli_sobol
    X = sobol_sample.sample(PROBLEM, 1024, calc_second_order=False, seed=2)
    Y = fulcrum.load(TEACUP).evaluate(X, params=NAMES, outcomes=list(OUTCOMES.values()))
    for column, outcome in enumerate(OUTCOMES):
        indices = sobol_analysis.analyze(PROBLEM, Y[:, column], calc_second_order=False, seed=1)
        for position, name in enumerate(NAMES):
            # Another design of the same size: the same indices within the sampling error.
            for measure in ["S1", "ST"]:
                assert indices[measure][position] == pytest.approx(estimates[(outcome, name, measure)], abs=0.05), (
                    outcome,
                    name,
                    measure,
                )
