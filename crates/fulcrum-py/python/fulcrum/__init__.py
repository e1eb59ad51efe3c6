"""fulcrum from Python: system-dynamics models run many times, fast and exactly.

    >>> import fulcrum
    >>> m = fulcrum.load("models/teacup/model.toml")      # .toml, .xmile/.stmx/.xml or .mdl
    >>> m.constants                                         # name, value, units, min, max, doc
    >>> df = m.run(params={"Room Temperature": 20})         # = `fulcrum run`, indexed by time
    >>> Y = m.evaluate(X, params=["Characteristic Time"],   # X: (n, k) floats -> (n, m) array
    ...                outcomes=[("Teacup Temperature", "final")])
    >>> ex = fulcrum.load_experiment("models/workforce/experiment.toml")
    >>> r = ex.sweep(runs=1000, seed=1)                     # r.experiments, r.outcomes, r.bands
    >>> ex.sensitivity(method="sobol", samples=1024)        # DataFrame = sensitivity.csv
    >>> ex.leverage(futures=256)                            # DataFrame = leverage.csv
    >>> ex.compare(futures=256)                             # DataFrame = comparison.csv
    >>> found = ex.search(population=40, generations=20)    # found.pareto = pareto.csv
    >>> fulcrum.discover(r, where="peak perceived workload > 1.25").box   # box.csv
    >>> fulcrum.prim(X, y, threshold=0.8).trajectory        # as EMA Workbench's prim.Prim
    >>> fit = fulcrum.load_experiment("models/workforce/calibration.toml").calibrate()

The numbers are computed in Rust by the same code as the `fulcrum` command: `run` gives the
numbers `fulcrum run` writes, `sweep` those `fulcrum sweep` writes, the analyses the tables of
`fulcrum sensitivity`, `fulcrum leverage` and `fulcrum compare`, `search`, `discover` and
`calibrate` those of `fulcrum search`, `fulcrum discover` and `fulcrum calibrate`, and
`evaluate` runs its rows
as a sweep runs its design (in parallel with the GIL released, the same bits for any number of
threads). Problems in files raise `FulcrumError`, whose `.code` is the diagnostic code;
warnings (a constant outside its documented range, a Sobol sample off a power of two, ...) are
issued with Python's `warnings` module as `FulcrumWarning`, whose `.code` is the warning's code.

`fulcrum.ema.FulcrumModel` makes a model an EMA Workbench model.
"""

from __future__ import annotations

import os
import warnings as _warnings
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

import numpy as np
import pandas as pd

from . import _fulcrum
from ._fulcrum import FulcrumError

__all__ = [
    "FulcrumError",
    "FulcrumWarning",
    "Model",
    "Experiment",
    "SweepResult",
    "SearchResult",
    "Discovery",
    "CalibrationResult",
    "load",
    "load_experiment",
    "discover",
    "prim",
    "LANES",
]

#: Runs computed side by side in one batch (evaluate and sweeps run blocks of runs in batches).
LANES: int = _fulcrum.LANES

FulcrumError.code = None
FulcrumError.path = None
FulcrumError.line = None
FulcrumError.column = None
FulcrumError.diagnostics = []

PathLike = Union[str, "os.PathLike[str]"]


class FulcrumWarning(UserWarning):
    """A warning about a model, experiment or plan that fulcrum can still use: the warnings
    ``fulcrum check`` and the other commands print (a constant outside its documented range, a
    Sobol sample whose size is not a power of two, an intervention that starts after the run
    ends, Vensim array elements left without an equation).

    Issued with :func:`warnings.warn`, so the usual filters apply: ``warnings.simplefilter(
    "error", fulcrum.FulcrumWarning)`` makes them errors, ``"ignore"`` silences them.

    Parameters
    ----------
    message : str
        What is shown: ``file:line:col: CODE message``.
    code, path, line, column
        As the attributes.

    Attributes
    ----------
    code : str
        The diagnostic code (``"W0001"``), as listed in the README's table of codes.
    path : str or None
        The file the warning is about.
    line, column : int or None
        Where in the file (1-based), when the warning has a place.
    """

    def __init__(
        self,
        message: str,
        code: Optional[str] = None,
        path: Optional[str] = None,
        line: Optional[int] = None,
        column: Optional[int] = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.path = path
        self.line = line
        self.column = column

    def __reduce__(self) -> tuple:
        return (type(self), (str(self), self.code, self.path, self.line, self.column))


def _warn(found: Sequence[Tuple[str, str, str, Optional[int], Optional[int]]], stacklevel: int) -> None:
    """Issues each warning of the native module (code, text, file, line, column) as a
    FulcrumWarning; `stacklevel` counts from the caller of `_warn`."""
    for code, message, path, line, column in found:
        _warnings.warn(FulcrumWarning(message, code, path, line, column), stacklevel=stacklevel + 1)

_BAND_COLUMNS = ["time", "n", "mean", "sd", "min", "p05", "p25", "p50", "p75", "p95", "max"]


def _floats(data: bytes, shape: Tuple[int, ...]) -> np.ndarray:
    """A writable float64 array of `shape` over a copy of `data` (native-endian f64)."""
    return np.frombuffer(data, dtype=np.float64).reshape(shape).copy()


def _table(columns: Sequence[Tuple[str, str, Any]], notes: Sequence[str]) -> pd.DataFrame:
    """A result table of the native module as a DataFrame: text columns as str, numbers as
    float64 (NaN where the CSV cell is empty), flags as bool, counts as pandas' nullable Int64
    (missing where the CSV cell is empty). The notes go into ``.attrs["notes"]``."""
    data = {}
    for name, kind, values in columns:
        if kind == "number":
            data[name] = np.frombuffer(values, dtype=np.float64).copy()
        elif kind == "count":
            data[name] = pd.array(values, dtype="Int64")
        elif kind == "flag":
            data[name] = np.asarray(values, dtype=bool)
        else:
            data[name] = pd.array(values, dtype=object)
    frame = pd.DataFrame(data, columns=[name for name, _, _ in columns])
    frame.attrs["notes"] = list(notes)
    return frame


def _threads(threads: Optional[int]) -> Optional[int]:
    if threads is not None and int(threads) < 1:
        raise ValueError("threads must be at least 1")
    return None if threads is None else int(threads)


def _failures(rows: Sequence[Tuple[int, str, float, float]]) -> pd.DataFrame:
    return pd.DataFrame(rows, columns=["run", "variable", "time", "value"]).astype({"run": "int64"})


def load(
    path: PathLike,
    changes: Optional[Sequence[PathLike]] = None,
    data: Optional[Sequence[PathLike]] = None,
) -> "Model":
    """Read and compile a model file, as ``fulcrum run`` reads it.

    Parameters
    ----------
    path : str or os.PathLike
        A native model (``.toml``), an XMILE file (``.xmile``, ``.stmx``, ``.xml``) or a Vensim
        model (``.mdl``); the format comes from the extension, as for the ``fulcrum`` command.
        The files a Vensim model's GET functions name are found relative to the model's folder,
        an XMILE model's module files beside it.
    changes : sequence of paths, optional
        Vensim changes files (``.cin``) applied in order, a later one overriding an earlier
        one, as ``fulcrum run --changes``.
    data : sequence of paths, optional
        Data files (``.csv``, ``.tab``, spreadsheets) giving a Vensim model's data variables
        without an equation their values, as ``fulcrum run --data``.

    Returns
    -------
    Model
        The compiled model: ``.constants``, ``.run(...)``, ``.evaluate(...)``. It pickles (the
        file's path and text are kept and compiled again on unpickling).

    Raises
    ------
    FulcrumError
        When the file cannot be read or the model has errors. ``.code`` is the first error's
        diagnostic code (``"E0102"``), the message starts with ``file:line:col``, and
        ``.diagnostics`` lists every problem found.

    Warns
    -----
    FulcrumWarning
        For each warning of reading the model (``.code`` ``"W0001"``: a constant outside its
        documented range; ``"W0004"``: Vensim array elements without an equation); they stay
        in ``Model.warnings``.

    Examples
    --------
    >>> m = fulcrum.load("models/teacup/model.toml")
    >>> m.run(vars=["Teacup Temperature"]).iloc[-1]
    """
    model = Model(_fulcrum.NativeModel.load(os.fspath(path), _paths(changes), _paths(data)))
    _warn(model._native.warnings(), stacklevel=2)
    return model


def _paths(paths: Optional[Sequence[PathLike]]) -> list:
    """Absolute paths (so that a pickled model reads the same files from another directory)."""
    if paths is None:
        return []
    if isinstance(paths, (str, os.PathLike)):
        paths = [paths]
    return [os.path.abspath(os.fspath(path)) for path in paths]


def load_experiment(path: PathLike) -> "Experiment":
    """Read an experiment file and its model, and check one against the other.

    Parameters
    ----------
    path : str or os.PathLike
        An experiment file (TOML) as ``fulcrum sweep`` takes it; its ``model`` is found relative
        to it.

    Returns
    -------
    Experiment
        ``.sweep(runs=..., seed=..., sampler=..., threads=...)`` runs its design;
        ``.sensitivity(...)``, ``.leverage(...)`` and ``.compare(...)`` run the analyses.

    Raises
    ------
    FulcrumError
        When the experiment or its model has errors (with the code and ``file:line:col``).

    Warns
    -----
    FulcrumWarning
        For each warning of the experiment file, its model and its plan (``"W0002"``: a Sobol
        sample whose size is not a power of two; ``"W0003"``: an intervention that starts after
        the run ends; and the model's); they stay in ``Experiment.warnings``.
    """
    experiment = Experiment(_fulcrum.NativeExperiment.load(os.fspath(path)))
    _warn(experiment._native.warnings(), stacklevel=2)
    return experiment


class Model:
    """A model read and compiled once; made by :func:`fulcrum.load` (``native`` is the compiled
    model of the native module ``fulcrum._fulcrum``).

    Attributes
    ----------
    path : str
        The model file.
    changes : list of str
        The changes files applied when it was read (``load(..., changes=...)``), in order.
    name : str or None
        The model's name, if the file gives one.
    constants : pandas.DataFrame
        The constants a run may set: ``name, value, units, min, max, doc``.
    variables : list of str
        The variables ``run`` returns by default, in file order.
    warnings : list of str
        Warnings found reading the model, as ``file:line:col: CODE message`` (each was also
        issued as a :class:`FulcrumWarning` by :func:`fulcrum.load`).
    """

    def __init__(self, native: "_fulcrum.NativeModel") -> None:
        self._native = native

    # Pickling keeps the file's path and text and the changes and data files' paths;
    # unpickling reads those files and compiles the model again.
    def __getstate__(self) -> dict:
        path, text, changes, data = self._native.source()
        return {"path": path, "text": text, "changes": changes, "data": data}

    def __setstate__(self, state: dict) -> None:
        self._native = _fulcrum.NativeModel.from_source(
            state["path"], state["text"], state.get("changes", []), state.get("data", [])
        )

    def __repr__(self) -> str:
        return f"<fulcrum.Model {self.path!r}>"

    @property
    def path(self) -> str:
        """The model file."""
        return self._native.source()[0]

    @property
    def changes(self) -> List[str]:
        """The changes files applied when the model was read, in order."""
        return self._native.source()[2]

    @property
    def name(self) -> Optional[str]:
        """The model's name, if the file gives one."""
        return self._native.name()

    @property
    def variables(self) -> List[str]:
        """The variables ``run`` returns by default, in file order."""
        return self._native.variables()

    @property
    def warnings(self) -> List[str]:
        """Warnings found reading the model, as ``file:line:col: CODE message``."""
        return [message for _, message, _, _, _ in self._native.warnings()]

    @property
    def time_axis(self) -> Dict[str, Union[float, str]]:
        """The time axis the model runs on: start, stop, dt, save_step and method."""
        start, stop, dt, save_step, method = self._native.time_axis()
        return {"start": start, "stop": stop, "dt": dt, "save_step": save_step, "method": method}

    @property
    def constants(self) -> pd.DataFrame:
        """The constants a run may set, in file order: ``name, value, units, min, max, doc``
        (``min`` and ``max`` the documented range, NaN when there is none). An array's elements
        are listed one by one (``Price[North]``)."""
        rows = self._native.constants()
        frame = pd.DataFrame(rows, columns=["name", "value", "units", "min", "max", "doc"])
        return frame.astype({"value": "float64", "min": "float64", "max": "float64"})

    def run(
        self,
        params: Optional[Mapping[str, float]] = None,
        vars: Optional[Sequence[str]] = None,
        start: Optional[float] = None,
        stop: Optional[float] = None,
        dt: Optional[float] = None,
        method: Optional[str] = None,
        save_step: Optional[float] = None,
        seed: Optional[int] = None,
    ) -> pd.DataFrame:
        """Run the model once: exactly the numbers ``fulcrum run`` writes.

        Parameters
        ----------
        params : mapping of str to float, optional
            Constants to set, by name (any spelling of the name), as ``--set NAME=VALUE``.
        vars : sequence of str, optional
            The variables to return, in this order (``--vars``); by default every variable.
        start, stop, dt, save_step : float, optional
            The time axis instead of the model's (``--start``, ``--stop``, ``--dt``,
            ``--save-step``); the model is compiled again for it.
        method : {"euler", "rk2", "rk4"}, optional
            The integration method instead of the model's (``--method``).
        seed : int, optional
            Seed of the model's random functions (``--seed``; 0 by default).

        Returns
        -------
        pandas.DataFrame
            One column per variable, named as in the model, indexed by the saved times
            (index name ``time``).

        Raises
        ------
        FulcrumError
            For a name the model lacks (with the nearest one), a value that is not finite, a
            time axis that does not work, or a run that produces NaN or infinity.
        """
        settings = [(str(name), float(value)) for name, value in (params or {}).items()]
        names = None if vars is None else [vars] if isinstance(vars, str) else [str(v) for v in vars]
        times, columns, values = self._native.run(
            settings, names, start, stop, dt, method, save_step, 0 if seed is None else int(seed)
        )
        time = np.frombuffer(times, dtype=np.float64).copy()
        data = _floats(values, (len(columns), len(time))).T
        frame = pd.DataFrame(data, index=pd.Index(time, name="time"), columns=columns)
        return frame

    def evaluate(
        self,
        X: Union[np.ndarray, Sequence[Sequence[float]]],
        params: Sequence[str],
        outcomes: Iterable[Tuple[str, str]] = (),
        threads: Optional[int] = None,
        seed: int = 0,
        streams: Union[None, str, Sequence[int], np.ndarray] = None,
    ) -> np.ndarray:
        """Run the model once per row of ``X`` and reduce each run to outcomes.

        Runs go as in ``fulcrum sweep``: blocks of 1,024 runs on a pool of worker threads, each
        in batches of ``fulcrum.LANES`` runs side by side, with the GIL released. Run ``i``
        depends only on its row and on its stream of in-model random numbers (see
        ``streams``), so the result is the same bits for any ``threads``.

        Parameters
        ----------
        X : array_like, shape (n, k)
            One row per run; column ``j`` is the value of constant ``params[j]``. Constants not
            in ``params`` keep the model's values.
        params : sequence of str, length k
            The constants the columns set.
        outcomes : sequence of (variable, statistic)
            What to measure, each a variable and a statistic spelled as in experiment files:
            ``"final"``, ``"mean"``, ``"min"``, ``"max"``, ``"integral"``, ``"at:12"``,
            ``"first_above:100"``, ``"first_below:0.5"``.
        threads : int, optional
            Worker threads; by default one per core.
        seed : int, optional
            Seed of the model's random functions (``--seed``; 0 by default).
        streams : None, "values" or array_like of int, optional
            Which stream of ``seed`` each run's random functions draw from. ``None`` (the
            default): run ``i`` draws from stream ``i``, as run ``i`` of a sweep does.
            ``"values"``: each run draws from a stream chosen by its row (the constants it
            sets and their values, whatever the order of ``params``), so a row gives the same
            result wherever it stands in ``X`` and however ``X`` is split; equal rows draw
            equal numbers. An array of n integers: run ``i`` draws from stream
            ``streams[i]``. Models without random functions give the same results either way.

        Returns
        -------
        numpy.ndarray, shape (n, m)
            ``Y[i, j]`` is outcome ``j`` of run ``i``; NaN where the run produced NaN or
            infinity, or a threshold was never crossed.

        Raises
        ------
        ValueError
            When ``X`` is not (n, k) for k ``params``, or ``threads`` is below 1.
        FulcrumError
            For a name the model lacks (with the nearest one), a statistic it cannot spell, a
            value that is not finite (with its row and column), or ``streams`` that are not one
            per row.
        """
        Y, _, _, _ = self._evaluate(X, params, outcomes, (), threads, seed, streams)
        return Y

    def _evaluate(
        self,
        X: Any,
        params: Union[str, Sequence[str]],
        outcomes: Iterable[Tuple[str, str]],
        series: Iterable[str],
        threads: Optional[int],
        seed: int,
        streams: Union[None, str, Sequence[int], np.ndarray] = None,
    ) -> Tuple[np.ndarray, np.ndarray, np.ndarray, List[Tuple[int, str, float, float]]]:
        """`evaluate`, also keeping the trajectories of `series`: (Y, (n, saves, s) array, times,
        failures)."""
        params = [params] if isinstance(params, str) else [str(p) for p in params]
        X = np.ascontiguousarray(X, dtype=np.float64)
        if X.ndim == 1 and len(params) == 1:
            X = X.reshape(-1, 1)
        if X.ndim != 2 or X.shape[1] != len(params):
            raise ValueError(f"X must have shape (n, {len(params)}), one column per params entry; it has {X.shape}")
        wanted = [(str(variable), str(statistic)) for variable, statistic in outcomes]
        series = [str(s) for s in series]
        if threads is not None and int(threads) < 1:
            raise ValueError("threads must be at least 1")
        if streams is not None and not (isinstance(streams, str) and streams == "values"):
            if isinstance(streams, str):
                raise ValueError(f'streams must be None, "values" or one integer per row, not {streams!r}')
            chosen = np.asarray(streams)
            if chosen.shape != (X.shape[0],) or not np.issubdtype(chosen.dtype, np.integer) or (chosen < 0).any():
                raise ValueError(f"streams must hold one integer of at least 0 per row of X ({X.shape[0]})")
            streams = chosen.astype(np.uint64).tobytes()
        y, kept, times, failures = self._native.evaluate(
            X.tobytes(),
            X.shape[0],
            params,
            wanted,
            series,
            None if threads is None else int(threads),
            int(seed),
            streams,
        )
        Y = _floats(y, (X.shape[0], len(wanted)))
        trajectories = _floats(kept, (X.shape[0], len(times), len(series)))
        return Y, trajectories, np.asarray(times), failures


class SweepResult:
    """What ``fulcrum sweep`` writes, as DataFrames; made by :meth:`Experiment.sweep`, which
    gives the ``experiments``, ``outcomes``, ``bands`` and ``failures`` tables below.

    Attributes
    ----------
    experiments : pandas.DataFrame
        experiments.csv: ``run``, then one column per sampled input.
    outcomes : pandas.DataFrame
        outcomes.csv: ``run``, then one column per outcome (NaN where the CSV cell is empty).
    bands : pandas.DataFrame
        bands.csv: ``variable, time, n, mean, sd, min, p05, p25, p50, p75, p95, max``; with a
        grid, per grid point, the grid's constants as the first columns, as in bands.csv.
    failures : pandas.DataFrame
        The runs that produced NaN or infinity: ``run, variable, time, value``.
    """

    def __init__(
        self, experiments: pd.DataFrame, outcomes: pd.DataFrame, bands: pd.DataFrame, failures: pd.DataFrame
    ) -> None:
        self.experiments = experiments
        self.outcomes = outcomes
        self.bands = bands
        self.failures = failures

    def __repr__(self) -> str:
        return f"<fulcrum.SweepResult: {len(self.outcomes)} runs, {len(self.failures)} failed>"


class Experiment:
    """An experiment file and its model; made by :func:`fulcrum.load_experiment` (``native`` is
    the experiment of the native module ``fulcrum._fulcrum``).

    Attributes
    ----------
    path : str
        The experiment file.
    model_path : str
        The model file it names.
    warnings : list of str
        Warnings of reading the experiment, its model and its plan, as
        ``file:line:col: CODE message`` (each was also issued as a :class:`FulcrumWarning`).
    """

    def __init__(self, native: "_fulcrum.NativeExperiment") -> None:
        self._native = native

    def __getstate__(self) -> dict:
        return {"path": self._native.path()}

    def __setstate__(self, state: dict) -> None:
        self._native = _fulcrum.NativeExperiment.load(state["path"])

    def __repr__(self) -> str:
        return f"<fulcrum.Experiment {self.path!r}>"

    @property
    def path(self) -> str:
        """The experiment file."""
        return self._native.path()

    @property
    def model_path(self) -> str:
        """The model file the experiment names."""
        return self._native.model_path()

    @property
    def warnings(self) -> List[str]:
        """Warnings of reading the experiment, its model and its plan, as
        ``file:line:col: CODE message``."""
        return [message for _, message, _, _, _ in self._native.warnings()]

    def sweep(
        self,
        runs: Optional[int] = None,
        seed: Optional[int] = None,
        sampler: Optional[str] = None,
        threads: Optional[int] = None,
    ) -> SweepResult:
        """Run the experiment's design as ``fulcrum sweep`` does.

        Parameters
        ----------
        runs : int, optional
            Futures to sample instead of the experiment's ``runs`` (``--runs``).
        seed : int, optional
            Seed instead of the experiment's (``--seed``).
        sampler : {"random", "lhs", "sobol"}, optional
            Sampler instead of the experiment's (``--sampler``).
        threads : int, optional
            Worker threads (``--threads``); the numbers are the same for any count.

        Returns
        -------
        SweepResult
            ``.experiments``, ``.outcomes``, ``.bands`` and ``.failures``, the same numbers as
            experiments.csv, outcomes.csv, bands.csv and failures.csv of
            ``fulcrum sweep EXPERIMENT --runs RUNS --seed SEED``.

        Raises
        ------
        FulcrumError
            For a sampler fulcrum does not know, ``runs`` with a grid, or a model that cannot
            take the experiment's settings.

        Warns
        -----
        FulcrumWarning
            For a warning of the plan these arguments make that loading the experiment did not
            already give (``"W0002"``: ``runs`` not a power of two with the Sobol sampler).
        """
        if threads is not None and int(threads) < 1:
            raise ValueError("threads must be at least 1")
        (
            (factor_names, inputs),
            (outcome_names, outcomes),
            (band_names, band_of, bands, grid_names, grid_values),
            failures,
            count,
            found,
        ) = self._native.sweep(
            None if runs is None else int(runs),
            None if seed is None else int(seed),
            sampler,
            None if threads is None else int(threads),
        )
        run = pd.Series(np.arange(count, dtype=np.int64), name="run")
        experiments = pd.DataFrame(_floats(inputs, (count, len(factor_names))), columns=factor_names)
        experiments.insert(0, "run", run)
        outcome_frame = pd.DataFrame(_floats(outcomes, (count, len(outcome_names))), columns=outcome_names)
        outcome_frame.insert(0, "run", run)
        band_frame = pd.DataFrame(_floats(bands, (len(band_of), len(_BAND_COLUMNS))), columns=_BAND_COLUMNS)
        band_frame.insert(0, "variable", [band_names[i] for i in band_of])
        grid_frame = _floats(grid_values, (len(band_of), len(grid_names)))
        for column, name in reversed(list(enumerate(grid_names))):
            band_frame.insert(0, name, grid_frame[:, column])
        band_frame["n"] = band_frame["n"].astype("int64")
        _warn(found, stacklevel=2)
        return SweepResult(experiments, outcome_frame, band_frame, _failures(failures))

    def sensitivity(
        self,
        method: str = "sobol",
        samples: Optional[int] = None,
        seed: Optional[int] = None,
        second_order: bool = False,
        levels: int = 4,
        optimize: Optional[int] = None,
        step: float = 0.01,
        over_time: Optional[str] = None,
        groups: Optional[Union[Mapping[str, Sequence[str]], Sequence[Tuple[str, Sequence[str]]]]] = None,
        resamples: int = 1000,
        confidence: float = 0.95,
        threads: Optional[int] = None,
    ) -> pd.DataFrame:
        """How much each uncertain constant and lever moves each outcome: the table
        ``fulcrum sensitivity --method METHOD`` writes as sensitivity.csv.

        Parameters
        ----------
        method : {"oat", "morris", "sobol", "prcc", "src"}
            One at a time (low, high, elasticity), Morris elementary effects (mu, mu*, sigma),
            Sobol indices by Saltelli's design (S1, ST, and S2), partial rank correlation or
            standardized regression coefficients (``--method``).
        samples : int, optional
            The base sample size N instead of the experiment's ``runs`` (``--samples``): Sobol
            runs N(D+2) models, Morris N trajectories of D+1 runs, PRCC and SRC N runs.
        seed : int, optional
            Seed of the design and the bootstrap instead of the experiment's (``--seed``).
        second_order : bool
            Sobol: also second-order indices, N(2D+2) runs (``--second-order``).
        levels : int
            Morris: grid levels p, even (``--levels``, 4).
        optimize : int, optional
            Morris: choose the trajectories with the widest spread out of this many
            (``--optimize``).
        step : float
            One at a time: the relative step of the elasticity, between 0 and 1 (``--step``,
            0.01).
        over_time : str, optional
            Also analyze this variable at every saved time (``--over-time``); the table then
            has a ``time`` column.
        groups : mapping of str to list of str, or list of (name, parameters), optional
            Parameters that move as one (``--group NAME=P1,P2``).
        resamples : int
            Bootstrap resamples for the intervals, at most 100,000 (``--resamples``, 1000).
        confidence : float
            Confidence level of the intervals (``--confidence``, 0.95).
        threads : int, optional
            Worker threads (``--threads``); the numbers are the same for any count.

        Returns
        -------
        pandas.DataFrame
            ``outcome, [time,] parameter, method, measure, estimate, ci_low, ci_high``: the same
            rows and numbers as sensitivity.csv (NaN where a cell is empty).
            ``.attrs["notes"]`` says what the estimates left out and why.

        Raises
        ------
        FulcrumError
            For an option the analysis cannot use (too few samples, an experiment with a grid
            or without uncertain constants, a name the model lacks) or a model that fails.
        """
        if isinstance(groups, Mapping):
            grouped = [(str(name), [str(p) for p in members]) for name, members in groups.items()]
        else:
            grouped = [(str(name), [str(p) for p in members]) for name, members in (groups or [])]
        columns, notes, found = self._native.sensitivity(
            str(method),
            None if samples is None else int(samples),
            None if seed is None else int(seed),
            bool(second_order),
            int(levels),
            None if optimize is None else int(optimize),
            float(step),
            None if over_time is None else str(over_time),
            grouped,
            int(resamples),
            float(confidence),
            _threads(threads),
        )
        _warn(found, stacklevel=2)
        return _table(columns, notes)

    def leverage(
        self,
        futures: Optional[int] = None,
        seed: Optional[int] = None,
        delta: float = 0.1,
        cross_check: bool = True,
        resamples: int = 1000,
        confidence: float = 0.95,
        threads: Optional[int] = None,
    ) -> pd.DataFrame:
        """Which levers move which outcomes disproportionately, over the experiment's futures:
        the table ``fulcrum leverage`` writes as leverage.csv.

        Parameters
        ----------
        futures : int, optional
            Futures to sample instead of the experiment's ``runs`` (``--futures``).
        seed : int, optional
            Seed instead of the experiment's (``--seed``).
        delta : float
            The relative change of each lever, made both down and up, between 0 and 1
            (``--delta``, 0.1 for ±10%).
        cross_check : bool
            Run the Sobol total-order cross-check, N(D+2) more runs (``False`` is
            ``--no-cross-check``).
        resamples : int
            Bootstrap resamples for the intervals, at most 100,000 (``--resamples``, 1000).
        confidence : float
            Confidence level of the intervals (``--confidence``, 0.95).
        threads : int, optional
            Worker threads (``--threads``); the numbers are the same for any count.

        Returns
        -------
        pandas.DataFrame
            The rows and numbers of leverage.csv (NaN where a number cell is empty, ``<NA>``
            where a count cell is); ``.attrs["notes"]`` says what the estimates left out.

        Raises
        ------
        FulcrumError
            When the experiment has no levers, a lever's baseline is 0, or an option cannot be
            used.
        """
        columns, notes, found = self._native.leverage(
            None if futures is None else int(futures),
            None if seed is None else int(seed),
            float(delta),
            bool(cross_check),
            int(resamples),
            float(confidence),
            _threads(threads),
        )
        _warn(found, stacklevel=2)
        return _table(columns, notes)

    def compare(
        self,
        futures: Optional[int] = None,
        seed: Optional[int] = None,
        threads: Optional[int] = None,
    ) -> pd.DataFrame:
        """The baseline and every intervention over the same futures, compared future by
        future: the table ``fulcrum compare`` writes as comparison.csv.

        Parameters
        ----------
        futures : int, optional
            Futures to sample instead of the experiment's ``runs`` (``--futures``).
        seed : int, optional
            Seed instead of the experiment's (``--seed``).
        threads : int, optional
            Worker threads (``--threads``); the numbers are the same for any count.

        Returns
        -------
        pandas.DataFrame
            The rows and numbers of comparison.csv (NaN where a number cell is empty, ``<NA>``
            where a rank is); ``.attrs["notes"]`` says what was left out.

        Raises
        ------
        FulcrumError
            When the experiment defines no interventions or an option cannot be used.
        """
        columns, notes, found = self._native.compare(
            None if futures is None else int(futures),
            None if seed is None else int(seed),
            _threads(threads),
        )
        _warn(found, stacklevel=2)
        return _table(columns, notes)

    def search(
        self,
        population: int = 40,
        generations: Optional[int] = None,
        evaluations: Optional[int] = None,
        futures: Optional[int] = None,
        seed: Optional[int] = None,
        threads: Optional[int] = None,
    ) -> "SearchResult":
        """Search the levers (and interventions, as on/off switches) for the candidates that do
        best over the experiment's futures, with NSGA-II: the tables ``fulcrum search`` writes
        as pareto.csv and convergence.csv.

        Every candidate runs in the same futures (the experiment's sample). The objectives are
        the outcomes that declare ``better``, each summarized over the futures by its
        ``robustness``, plus the total cost when levers have ``cost_per_unit`` or interventions
        a ``cost``; ``[search] budget`` constrains the cost.

        Parameters
        ----------
        population : int
            Candidates per generation, at least 4 (``--population``, 40).
        generations : int, optional
            Generations after the first, random one (``--generations``; 24 when neither this nor
            ``evaluations`` is given).
        evaluations : int, optional
            Candidates to evaluate in all instead of ``generations``, rounded down to whole
            generations and at least two (``--evaluations``).
        futures : int, optional
            Futures each candidate runs in instead of the experiment's ``runs`` (``--futures``).
        seed : int, optional
            Seed of the futures and the search instead of the experiment's (``--seed``).
        threads : int, optional
            Worker threads (``--threads``); the numbers are the same for any count.

        Returns
        -------
        SearchResult
            ``.pareto``: one row per non-dominated candidate (every lever's and intervention's
            setting, every objective in its outcome's units, ``cost``), the numbers of
            pareto.csv; ``.convergence``: ``generation, evaluations, hypervolume,
            archive_size``, the numbers of convergence.csv.

        Raises
        ------
        FulcrumError
            When no outcome declares ``better``, the experiment has nothing to set, the budget
            cannot be met (at the budget's ``file:line:col``), no candidate met it, or an
            argument cannot be used (``population`` below 4, both ``generations`` and
            ``evaluations``).
        """
        header, pareto, convergence, reference, found = self._native.search(
            int(population),
            None if generations is None else int(generations),
            None if evaluations is None else int(evaluations),
            None if futures is None else int(futures),
            None if seed is None else int(seed),
            _threads(threads),
        )
        _warn(found, stacklevel=2)
        frame = pd.DataFrame(_floats(pareto, (len(pareto) // 8 // max(len(header), 1), len(header))), columns=header)
        progress = pd.DataFrame(convergence, columns=["generation", "evaluations", "hypervolume", "archive_size"])
        progress = progress.astype(
            {"generation": "int64", "evaluations": "int64", "hypervolume": "float64", "archive_size": "int64"}
        )
        return SearchResult(frame, progress, list(reference))

    def calibrate(
        self,
        seed: Optional[int] = None,
        threads: Optional[int] = None,
        draws: Optional[int] = None,
        restarts: Optional[int] = None,
        walkers: Optional[int] = None,
        require_convergence: bool = True,
    ) -> "CalibrationResult":
        """Fit the constants the experiment's ``[calibration]`` table names to its data, as
        ``fulcrum calibrate`` does: a global optimizer (differential evolution with restarts)
        to the best fit, then the posterior by an affine-invariant ensemble sampler, with
        R-hat and effective sample sizes.

        Parameters
        ----------
        seed : int, optional
            Seed instead of the experiment's (``--seed``); the same seed gives the same numbers
            at any thread count.
        threads : int, optional
            Worker threads (``--threads``; one per core by default).
        draws, restarts, walkers : int, optional
            The ``[calibration]`` table's ``draws``, ``restarts`` and ``walkers`` instead of the
            file's (a short run for a first look: ``draws=2000``).
        require_convergence : bool
            Raise :class:`FulcrumError` when the posterior did not converge (a kept chain
            shorter than 50 autocorrelation times, a bulk effective sample size below 400 or
            R-hat above 1.05 after the longest chain allowed), as the command exits 5;
            ``False`` returns the draws anyway, with ``.converged`` False.

        Returns
        -------
        CalibrationResult
            ``.fit`` (fit.csv: the best constants, ``log_posterior``, ``log_likelihood``,
            ``log_prior``, ``sum_of_squares``), ``.posterior`` (posterior.csv: one column per
            constant, then ``log_posterior``), ``.diagnostics`` (diagnostics.csv: ``constant,
            best, mean, sd, q05, median, q95, r_hat, ess_bulk, ess_tail, tau``), ``.converged``.

        Raises
        ------
        FulcrumError
            When the experiment has no ``[calibration]`` table, the data file cannot be read or
            has problems (an unknown column, times outside the run, a unit that differs: at the
            data file's ``file:line:col``), the table cannot be bound to the model (at the
            experiment's), an override is out of range, or (with ``require_convergence``) the
            posterior did not converge.
        """
        names, fit, draws_bytes, log_posterior, diagnostics, converged, sampler = self._native.calibrate(
            None if seed is None else int(seed),
            _threads(threads),
            None if draws is None else int(draws),
            None if restarts is None else int(restarts),
            None if walkers is None else int(walkers),
        )
        columns = list(names) + ["log_posterior", "log_likelihood", "log_prior", "sum_of_squares"]
        fit_frame = pd.DataFrame([fit], columns=columns).astype("float64")
        values = _floats(draws_bytes, (len(draws_bytes) // 8 // max(len(names), 1), len(names)))
        posterior = pd.DataFrame(values, columns=names)
        posterior["log_posterior"] = np.frombuffer(log_posterior, dtype=np.float64).copy()
        rows = _floats(diagnostics, (len(names), len(_DIAGNOSTICS_COLUMNS)))
        diagnostics_frame = pd.DataFrame(rows, columns=_DIAGNOSTICS_COLUMNS)
        diagnostics_frame.insert(0, "constant", pd.array(names, dtype=object))
        walkers_used, steps, burn_in, thinning, acceptance = sampler
        result = CalibrationResult(
            fit_frame,
            posterior,
            diagnostics_frame,
            bool(converged),
            {"walkers": walkers_used, "steps": steps, "burn_in": burn_in, "thinning": thinning,
             "acceptance": acceptance},
        )
        if require_convergence and not converged:
            error = FulcrumError(
                f"{self.path}: the posterior did not converge (a kept chain shorter than 50 autocorrelation "
                "times, a bulk effective sample size below 400 or R-hat above 1.05 after the longest chain allowed); see .result.diagnostics, raise `draws`, widen or "
                "reshape the priors, or pass require_convergence=False"
            )
            error.path = self.path
            error.result = result
            raise error
        return result


_DIAGNOSTICS_COLUMNS = ["best", "mean", "sd", "q05", "median", "q95", "r_hat", "ess_bulk", "ess_tail", "tau"]


class SearchResult:
    """What ``fulcrum search`` writes, as DataFrames; made by :meth:`Experiment.search`.

    Attributes
    ----------
    pareto : pandas.DataFrame
        pareto.csv: one row per non-dominated candidate, sorted by the objectives in order:
        every lever's setting and every intervention's (1 on, 0 off), every objective in its
        outcome's units (named after the outcome, with its robustness statistic when that is
        not the mean: ``"backlog (p90)"``), and ``cost``.
    convergence : pandas.DataFrame
        convergence.csv: ``generation, evaluations, hypervolume, archive_size``, one row per
        generation.
    reference : list of float
        The point the hypervolume is measured against (the objectives as minimized: a
        higher-is-better objective negated).
    """

    def __init__(self, pareto: pd.DataFrame, convergence: pd.DataFrame, reference: List[float]) -> None:
        self.pareto = pareto
        self.convergence = convergence
        self.reference = reference

    def __repr__(self) -> str:
        return f"<fulcrum.SearchResult: {len(self.pareto)} candidates on the front>"


class CalibrationResult:
    """What ``fulcrum calibrate`` writes, as DataFrames; made by :meth:`Experiment.calibrate`.

    Attributes
    ----------
    fit : pandas.DataFrame
        fit.csv: one row, the best constants, then ``log_posterior``, ``log_likelihood``,
        ``log_prior`` and ``sum_of_squares``.
    posterior : pandas.DataFrame
        posterior.csv: the draws, one column per constant, then ``log_posterior``.
    diagnostics : pandas.DataFrame
        diagnostics.csv: ``constant, best, mean, sd, q05, median, q95, r_hat, ess_bulk,
        ess_tail, tau``.
    converged : bool
        Whether for every constant the kept chain is at least 50 autocorrelation times long,
        the bulk effective sample size at least 400 and R-hat at most 1.05.
    sampler : dict
        The ensemble's ``walkers``, ``steps`` (burn-in included), ``burn_in``, ``thinning`` and
        ``acceptance``.
    """

    def __init__(
        self,
        fit: pd.DataFrame,
        posterior: pd.DataFrame,
        diagnostics: pd.DataFrame,
        converged: bool,
        sampler: Dict[str, Union[int, float]],
    ) -> None:
        self.fit = fit
        self.posterior = posterior
        self.diagnostics = diagnostics
        self.converged = converged
        self.sampler = sampler

    def __repr__(self) -> str:
        state = "converged" if self.converged else "NOT converged"
        return f"<fulcrum.CalibrationResult: {len(self.posterior)} draws, {state}>"


class Discovery:
    """A PRIM scenario discovery: what ``fulcrum discover`` writes, as DataFrames; made by
    :func:`fulcrum.discover` and :func:`fulcrum.prim` from what the native module found
    (``found``: the trajectory, the chosen box's rows, its index, the ranking, the
    restrictions, and the counts).

    Attributes
    ----------
    trajectory : pandas.DataFrame
        trajectory.csv: ``box, coverage, density, mass, restricted``, the whole data first, then
        each peel, then each paste (EMA Workbench's ``peeling_trajectory``).
    box : pandas.DataFrame
        box.csv for the chosen box: ``parameter, min, max, restricted, quasi_p`` (the smaller
        of the two sides' quasi-p-values; NaN for an unrestricted input).
    chosen : int
        The chosen box's row of ``trajectory``: the last one at or above the threshold, or the
        one ``box=`` named.
    ranking : pandas.DataFrame
        ``parameter, score``: the inputs by the Kolmogorov–Smirnov distance between the cases
        of interest and the other runs, largest first.
    restrictions : list of str
        The chosen box's limits in words (``"Demand Increase > 0.322"``).
    cases, runs, left_out : int
        Runs of interest, runs analysed, and runs left out (no value in a column the condition
        names).
    """

    def __init__(self, found: Tuple[Any, ...]) -> None:
        trajectory, rows, chosen, ranking, restrictions, (cases, runs, left_out) = found
        frame = pd.DataFrame(trajectory, columns=["coverage", "density", "mass", "restricted"])
        frame = frame.astype({"coverage": "float64", "density": "float64", "mass": "float64", "restricted": "int64"})
        frame.insert(0, "box", np.arange(len(frame), dtype=np.int64))
        self.trajectory = frame
        box = pd.DataFrame(rows, columns=["parameter", "min", "max", "restricted", "quasi_p"])
        self.box = box.astype({"min": "float64", "max": "float64", "restricted": "bool", "quasi_p": "float64"})
        self.chosen = int(chosen)
        self.ranking = pd.DataFrame(ranking, columns=["parameter", "score"]).astype({"score": "float64"})
        self.restrictions = list(restrictions)
        self.cases = int(cases)
        self.runs = int(runs)
        self.left_out = int(left_out)

    def __repr__(self) -> str:
        said = " and ".join(self.restrictions) or "no restriction"
        return f"<fulcrum.Discovery: box {self.chosen} of {len(self.trajectory)}: {said}>"


def _columns(frame: pd.DataFrame, what: str) -> Tuple[List[str], bytes, int]:
    """A table's names and its values as bytes of float64, column after column."""
    names = [str(name) for name in frame.columns]
    try:
        values = np.asarray(frame.to_numpy(dtype=np.float64, na_value=np.nan), dtype=np.float64)
    except (TypeError, ValueError) as error:
        raise FulcrumError(f"{what}: every column must hold numbers ({error})") from None
    return names, np.ascontiguousarray(values.T).tobytes(), len(frame)


def discover(
    sweep: Union["SweepResult", PathLike],
    where: str,
    threshold: float = 0.8,
    peel_alpha: float = 0.05,
    paste_alpha: float = 0.05,
    mass_min: float = 0.05,
    box: Optional[int] = None,
    option: Optional[str] = None,
) -> Discovery:
    """In which futures does something go wrong? PRIM scenario discovery over a sweep's sampled
    inputs for the runs where a condition over its outcomes holds, as ``fulcrum discover
    SWEEP_DIR --where CONDITION`` finds it.

    Parameters
    ----------
    sweep : SweepResult or path
        A sweep in memory (:meth:`Experiment.sweep`: its ``experiments`` are the inputs, its
        ``outcomes`` the columns the condition names), or the folder ``fulcrum sweep -o``
        wrote.
    where : str
        The runs of interest, as ``--where``: comparisons of outcome columns with numbers
        (``"final backlog > 5000"``; operators ``>`` ``>=`` ``<`` ``<=`` ``==`` ``!=``) joined
        by ``and`` and ``or``; a name with operators or ``and``/``or`` in backquotes. In the
        folder of a sweep of a compare design (``fulcrum sample compare``, then ``fulcrum sweep
        --design``), ``baseline`` on the right of a comparison is the outcome of the same
        future's baseline run.
    threshold : float
        The density the chosen box must reach (``--threshold``, 0.8).
    peel_alpha, paste_alpha : float
        The share of a box's runs one peel removes and one paste adds back (``--peel-alpha``,
        ``--paste-alpha``, 0.05).
    mass_min : float
        The smallest share of the runs a box may hold (``--mass-min``, 0.05).
    box : int, optional
        Choose this box of the trajectory (0 is all runs) instead of the last one at the
        threshold (``--box``).
    option : str, optional
        In a sweep of a compare design, the option whose runs are analysed (an intervention's
        name, or ``"baseline"``), as ``--option``; needed with ``baseline`` in ``where`` when the
        design has several interventions.

    Returns
    -------
    Discovery
        ``.trajectory`` (trajectory.csv), ``.box`` (box.csv), ``.chosen``, ``.ranking`` and
        ``.restrictions``: the numbers of the command's files.

    Raises
    ------
    FulcrumError
        For a condition that does not parse or names an unknown column (``where, column N:``
        with the nearest name and a caret under the part at fault), a condition no run or
        every run meets, no box at the threshold, a ``box`` past the trajectory's end, an
        option out of range, or a folder that is not a sweep's (with the file and line).
    """
    options = (float(threshold), float(peel_alpha), float(paste_alpha), float(mass_min))
    chosen = None if box is None else int(box)
    picked = None if option is None else str(option)
    if isinstance(sweep, SweepResult):
        input_names, inputs, rows = _columns(sweep.experiments.drop(columns=["run"]), "experiments")
        outcome_names, outcomes, _ = _columns(sweep.outcomes.drop(columns=["run"]), "outcomes")
        found = _fulcrum.discover(
            input_names, inputs, outcome_names, outcomes, rows, str(where), picked, *options, chosen
        )
    else:
        found = _fulcrum.discover_folder(os.fspath(sweep), str(where), picked, *options, chosen)
    return Discovery(found)


def prim(
    X: Union[pd.DataFrame, np.ndarray],
    y: Union[np.ndarray, Sequence[bool]],
    threshold: float = 0.8,
    peel_alpha: float = 0.05,
    paste_alpha: float = 0.05,
    mass_min: float = 0.05,
    box: Optional[int] = None,
) -> Discovery:
    """PRIM on arrays, called as EMA Workbench's ``prim.Prim(x, y, threshold)``: the inputs
    ``X``, one row per run, and ``y``, whether each run is a case of interest.

    Parameters
    ----------
    X : pandas.DataFrame or 2-D array
        The inputs: one column per input (a DataFrame's names are kept; an array's columns are
        named ``x0``, ``x1``, ...), every value a finite number.
    y : 1-D array of bool (or of 0 and 1)
        One entry per row of ``X``: True for a case of interest.
    threshold : float
        The density the chosen box must reach (0.8, as EMA Workbench's default).
    peel_alpha, paste_alpha, mass_min : float
        As EMA Workbench's (0.05 each).
    box : int, optional
        Choose this box of the trajectory instead of the last one at the threshold (EMA
        Workbench's ``inspect(i)``).

    Returns
    -------
    Discovery
        ``.trajectory`` (EMA's ``peeling_trajectory``: coverage, density, mass, restricted
        inputs), ``.box`` (the chosen box's limits and quasi-p-values), ``.chosen``,
        ``.ranking``, ``.restrictions``.

    Raises
    ------
    FulcrumError
        When ``y`` is all False or all True, an input is not a finite number (naming the input
        and the row), no box reaches the threshold, or an option is out of range.
    """
    if isinstance(X, pd.DataFrame):
        names, inputs, rows = _columns(X, "X")
    else:
        values = np.asarray(X, dtype=np.float64)
        if values.ndim != 2:
            raise ValueError(f"X must be 2-D, one row per run and one column per input; it has shape {values.shape}")
        names = [f"x{index}" for index in range(values.shape[1])]
        inputs, rows = np.ascontiguousarray(values.T).tobytes(), values.shape[0]
    labels = np.asarray(y)
    if labels.ndim != 1:
        raise ValueError(f"y must be 1-D, one entry per row of X; it has shape {labels.shape}")
    if labels.dtype != bool:
        if not np.isin(labels, [0, 1]).all():
            raise ValueError("y must hold booleans (or 0 and 1): True where a run is a case of interest")
        labels = labels.astype(bool)
    found = _fulcrum.prim(
        names,
        inputs,
        rows,
        [bool(label) for label in labels],
        float(threshold),
        float(peel_alpha),
        float(paste_alpha),
        float(mass_min),
        None if box is None else int(box),
    )
    return Discovery(found)
