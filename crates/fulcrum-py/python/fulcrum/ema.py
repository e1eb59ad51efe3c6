"""fulcrum models in the EMA Workbench (``pip install ema_workbench``).

    >>> from ema_workbench import RealParameter, ScalarOutcome, TimeSeriesOutcome, perform_experiments
    >>> from fulcrum.ema import FulcrumModel, FulcrumEvaluator
    >>> model = FulcrumModel("teacup", "models/teacup/model.toml")
    >>> model.uncertainties = [RealParameter("Characteristic Time", 5, 20)]
    >>> model.outcomes = [ScalarOutcome("final", variable_name="Teacup Temperature"),
    ...                   ScalarOutcome("mean", variable_name="Teacup Temperature|mean"),
    ...                   TimeSeriesOutcome("Teacup Temperature")]
    >>> with FulcrumEvaluator(model) as evaluator:          # every experiment in one batch
    ...     experiments, outcomes = perform_experiments(model, 1000, evaluator=evaluator)

Uncertainties, levers and constants name the model's constants (their ``variable_name``, which is
their name unless given). A ``ScalarOutcome``'s ``variable_name`` is a model variable, optionally
followed by ``|`` and a statistic spelled as in experiment files (``"Sales|mean"``,
``"Backlog|at:12"``, ``"Cash|first_below:0"``); without one the statistic is ``final``. A
``TimeSeriesOutcome``'s ``variable_name`` is a model variable (or ``TIME``), and its values are
the variable at the saved times. An outcome with a ``function`` gets the values as usual.

The model is compiled once, when the ``FulcrumModel`` is made (and again in each worker process
of a multiprocessing evaluator, from the pickled file text). EMA's own evaluators run one
experiment at a time; ``FulcrumEvaluator`` runs every experiment of a model in one
:meth:`fulcrum.Model.evaluate` call, in parallel in Rust.

Random functions (``RANDOM``, ``NORMAL``, ...): an experiment's random numbers come from the
model's ``seed`` and the experiment itself, never from how it is run. Each experiment draws from
a stream of ``seed`` chosen by its values (every constant it sets, uncertainties, levers and
constants alike, whatever their order; ``streams="values"`` of :meth:`fulcrum.Model.evaluate`).
So an experiment gives the same bits alone or in a batch, in any position, with any evaluator
or number of processes and threads, and in another ``perform_experiments`` call. Experiments
that set the same values draw the same numbers: for another draw of the randomness, make
another ``FulcrumModel`` with another ``seed``.
"""

from __future__ import annotations

import os
from typing import Any, Callable, Dict, List, Optional, Tuple, Union

import numpy as np
from ema_workbench.em_framework.evaluators import BaseEvaluator
from ema_workbench.em_framework.experiment_runner import ExperimentRunner
from ema_workbench.em_framework.model import SingleReplication
from ema_workbench.em_framework.outcomes import TimeSeriesOutcome
from ema_workbench.em_framework.points import ExperimentReplication, experiment_generator
from ema_workbench.em_framework.util import NamedObjectMap
from ema_workbench.em_framework.model import AbstractModel

from . import Model, load

__all__ = ["FulcrumModel", "FulcrumEvaluator"]

#: The variable name a TimeSeriesOutcome uses for the saved times.
TIME = "TIME"


class FulcrumModel(SingleReplication):
    """An EMA Workbench model backed by a fulcrum model file.

    Parameters
    ----------
    name : str
        The model's name in EMA (letters and digits only, as EMA requires).
    path : str or os.PathLike
        A model file fulcrum reads (``.toml``, ``.xmile``, ``.stmx``, ``.mdl``).
    threads : int, optional
        Worker threads of a batch (see :class:`FulcrumEvaluator`); one per core by default.
    seed : int, optional
        Seed of the model's random functions (0 by default). Each experiment draws from a
        stream of it chosen by the experiment's values, so its result does not depend on how
        EMA batches, orders or distributes the experiments (see the module's documentation).

    Attributes
    ----------
    model_file : str
        The model file.
    fulcrum_model : fulcrum.Model
        The compiled model.
    threads, seed
        As given.
    """

    def __init__(
        self, name: str, path: Union[str, "os.PathLike[str]"], threads: Optional[int] = None, seed: int = 0
    ) -> None:
        super().__init__(name)
        self.model_file = os.fspath(path)
        self.fulcrum_model: Model = load(path)
        self.threads = threads
        self.seed = seed

    def _outputs_wanted(self) -> Tuple[List[Tuple[str, str, str]], List[str]]:
        """The scalar outputs (key, variable, statistic) and the series variables the outcomes
        read, each once."""
        scalars: List[Tuple[str, str, str]] = []
        series: List[str] = []
        for outcome in self.outcomes:
            for key in outcome.variable_name:
                if isinstance(outcome, TimeSeriesOutcome):
                    if key != TIME and key not in series:
                        series.append(key)
                elif key not in [s[0] for s in scalars]:
                    variable, _, statistic = key.partition("|")
                    scalars.append((key, variable.strip(), statistic.strip() or "final"))
        return scalars, series

    def evaluate_batch(self, experiments: List[Dict[str, float]]) -> List[Dict[str, Dict[str, object]]]:
        """The raw outputs of each experiment, all run in one evaluate call: ``{"scalar": {key:
        value}, "series": {variable: array}}`` (a variable may be read both ways). Every
        experiment must set the same constants. Each experiment's random numbers come from a
        stream chosen by its values, so its outputs are the same in any batch.

        Parameters
        ----------
        experiments : list of dict
            Each experiment's constants, by the model's names, and their values.
        """
        if not experiments:
            return []
        names = list(experiments[0].keys())
        for experiment in experiments:
            if set(experiment.keys()) != set(names):
                raise ValueError("every experiment of a batch must set the same constants")
        X = np.array([[float(experiment[name]) for name in names] for experiment in experiments], dtype=np.float64)
        scalars, series = self._outputs_wanted()
        Y, trajectories, times, _ = self.fulcrum_model._evaluate(
            X,
            names,
            [(variable, statistic) for _, variable, statistic in scalars],
            series,
            self.threads,
            self.seed,
            streams="values",
        )
        results: List[Dict[str, Dict[str, object]]] = []
        for row in range(len(experiments)):
            scalar: Dict[str, object] = {key: float(Y[row, column]) for column, (key, _, _) in enumerate(scalars)}
            saved: Dict[str, object] = {
                variable: trajectories[row, :, column].copy() for column, variable in enumerate(series)
            }
            saved[TIME] = times.copy()
            results.append({"scalar": scalar, "series": saved})
        return results

    def run_experiment(self, experiment: Dict[str, float]) -> Dict[str, Dict[str, object]]:
        """Runs one experiment (EMA's evaluators call this through ``run_model``): the same
        outputs as the experiment gets in :meth:`evaluate_batch`.

        Parameters
        ----------
        experiment : dict
            The experiment's constants (an EMA ``ExperimentReplication``) and their values.
        """
        return self.evaluate_batch([dict(experiment)])[0]

    # Scalar and time-series outcomes of one variable read different outputs, so the outputs are
    # looked up by the kind of outcome.
    @property
    def outcomes_output(self) -> Dict[str, object]:
        """The outcomes of the last experiment run, by outcome name (EMA reads them)."""
        return self._outcomes_output

    @outcomes_output.setter
    def outcomes_output(self, outputs: Dict[str, Dict[str, object]]) -> None:
        self._outcomes_output = _processed(self, outputs)

    def as_dict(self) -> dict:
        """EMA's description of the model, with the model file."""
        spec = super().as_dict()
        spec["model_file"] = self.model_file
        return spec


def _processed(model: AbstractModel, output: Dict[str, Dict[str, object]]) -> Dict[str, object]:
    """The outcomes of one experiment from its raw outputs, as EMA's models process them."""
    processed = {}
    for outcome in model.outcomes:
        source = output["series"] if isinstance(outcome, TimeSeriesOutcome) else output["scalar"]
        processed[outcome.name] = outcome.process([source[var] for var in outcome.variable_name])
    return processed


class FulcrumEvaluator(BaseEvaluator):
    """Runs all the experiments of each :class:`FulcrumModel` in one batch.

    Parameters
    ----------
    msis : FulcrumModel or list of models
        The models, as EMA's evaluators take them.

    Use it as EMA's ``SequentialEvaluator``: ``with FulcrumEvaluator(models) as evaluator:
    perform_experiments(models, ..., evaluator=evaluator)``. Experiments of other models run one
    at a time, as the sequential evaluator runs them.
    """

    def initialize(self) -> None:
        """Nothing to start: the models are compiled already (EMA calls this on entering)."""

    def finalize(self) -> None:
        """Nothing to stop (EMA calls this on leaving)."""

    def evaluate_experiments(
        self, scenarios: Any, policies: Any, callback: Callable[..., Any], combine: str = "factorial"
    ) -> None:
        """Runs the experiments of ``scenarios`` and ``policies`` combined by ``combine`` (as
        EMA's evaluators do), each model's in one batch, and hands each experiment's outcomes
        to ``callback`` (EMA calls this from ``perform_experiments``)."""
        models = NamedObjectMap(AbstractModel)
        models.extend(self._msis)
        batches: Dict[str, list] = {}
        others = []
        for experiment in experiment_generator(scenarios, self._msis, policies, combine=combine):
            model = models[experiment.model_name]
            if isinstance(model, FulcrumModel):
                batches.setdefault(experiment.model_name, []).append(experiment)
            else:
                others.append(experiment)
        for name, experiments in batches.items():
            model = models[name]
            constants = {c.name: c.value for c in model.constants}
            rows = []
            for experiment in experiments:
                scenario, policy = experiment.scenario.copy(), experiment.policy.copy()
                # Parameter names become the model's variable names, as run_model does.
                model._transform(scenario, model.uncertainties)
                model._transform(policy, model.levers)
                rows.append(dict(ExperimentReplication(scenario, policy, constants)))
            for experiment, output in zip(experiments, model.evaluate_batch(rows)):
                callback(experiment, _processed(model, output))
        if others:
            runner = ExperimentRunner(models)
            for experiment in others:
                callback(experiment, runner.run_experiment(experiment))
