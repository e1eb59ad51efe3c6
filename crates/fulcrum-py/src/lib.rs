//! The native half of the Python package `fulcrum` (imported as `fulcrum._fulcrum`).
//!
//! [`NativeModel`] is a model read and compiled once: `run` gives one run as `fulcrum run`
//! computes it, `evaluate` runs a table of inputs as a sweep does (blocks of runs on a rayon
//! pool, [`fulcrum_sim::LANES`] lanes per batch, the same bits for any thread count) with the
//! GIL released. [`NativeExperiment`] is an experiment file and its model; `sweep` runs its
//! design as `fulcrum sweep` does and returns what the sweep's files hold. Numbers cross into
//! Python as bytes of native-endian `f64`, which the Python half views with numpy; the Python
//! half (python/fulcrum) builds the DataFrames and carries the documentation.

mod decide;
mod read;

use std::path::PathBuf;
use std::str::FromStr;
use std::sync::{Arc, Mutex};

use fulcrum_explore::bands::QuantileMethod;
use fulcrum_explore::{Block, FactorKind, Outcome, Plan, Sampler, Sink, Statistic, Sweep, SweepError, Table};
use fulcrum_model::{CanonicalName, Method, VariableKind};
use fulcrum_sensitivity::{
    AnalysisError, CompareOptions, LeverageOptions, Method as AnalysisMethod, ResultTable, SensitivityOptions, Study,
    Values,
};
use fulcrum_sim::{CompiledModel, Failure, VarId};
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyList};

use fulcrum_report::load::Prepared;
use fulcrum_report::sweep::{GridAxis, band_row_place, grid_point_values};

use crate::read::{Loaded, Problem, Warning, WarningFields};

pyo3::create_exception!(
    _fulcrum,
    FulcrumError,
    PyException,
    "A model, experiment or argument fulcrum cannot use. `.code` is the diagnostic code (\"E0102\") \
     when the problem is in a file, else None; `.path`, `.line` and `.column` say where; \
     `.diagnostics` lists every problem found, one line each."
);

impl Problem {
    fn into_err(self, py: Python<'_>) -> PyErr {
        let error = FulcrumError::new_err(self.message);
        let value = error.value(py);
        // Setting attributes on a fresh exception cannot fail but for lack of memory, in which
        // case the exception still says what went wrong.
        let _ = value.setattr("code", self.code);
        let _ = value.setattr("path", self.path);
        let _ = value.setattr("line", self.line);
        let _ = value.setattr("column", self.column);
        let _ = value.setattr("diagnostics", self.diagnostics);
        error
    }
}

/// The rows of a constant table: name, value, units, min, max, doc.
type ConstantRow = (String, f64, Option<String>, Option<f64>, Option<f64>, Option<String>);

/// A model read and compiled.
#[pyclass(frozen, module = "fulcrum._fulcrum")]
struct NativeModel {
    loaded: Loaded,
    compiled: CompiledModel,
}

/// Bytes of native-endian `f64`s, as numpy's `frombuffer` reads them.
fn to_bytes(values: &[f64]) -> Vec<u8> {
    values.iter().flat_map(|value| value.to_ne_bytes()).collect()
}

fn from_bytes(bytes: &[u8]) -> Vec<f64> {
    bytes
        .chunks_exact(8)
        .map(|chunk| {
            let mut word = [0u8; 8];
            word.copy_from_slice(chunk);
            f64::from_ne_bytes(word)
        })
        .collect()
}

impl NativeModel {
    fn build(mut loaded: Loaded) -> Result<NativeModel, Problem> {
        let compiled = loaded.compile(&[])?;
        Ok(NativeModel { loaded, compiled })
    }

    fn variables_named(&self, names: &[String], what: &str) -> Result<Vec<VarId>, Problem> {
        variables_named(&self.compiled, names, what)
    }
}

fn variables_named(compiled: &CompiledModel, names: &[String], what: &str) -> Result<Vec<VarId>, Problem> {
    names
        .iter()
        .map(|name| {
            compiled.lookup(name).ok_or_else(|| {
                let known: Vec<String> =
                    compiled.output_variables().iter().map(|id| compiled.name(*id).to_owned()).collect();
                let hint = fulcrum_model::diagnostic::closest_match(name, known.iter().map(String::as_str))
                    .map_or_else(String::new, |near| format!(" (did you mean `{near}`?)"));
                Problem::plain(format!("{what}: `{name}` is not a variable of the model{hint}"))
            })
        })
        .collect()
}

fn constant_positions(compiled: &CompiledModel, names: &[String], what: &str) -> Result<Vec<usize>, Problem> {
    names
        .iter()
        .map(|name| {
            compiled.constant_index(name).map_err(|error| {
                let constants = compiled.constants().iter().map(|c| c.name.as_str());
                let hint = fulcrum_model::diagnostic::closest_match(name, constants)
                    .map_or_else(String::new, |near| format!(" (did you mean `{near}`?)"));
                Problem::plain(format!("{what}: {error}{hint}"))
            })
        })
        .collect()
}

/// The random stream of each of `rows` rows of `values` (one value per constant of
/// `constants`), as `evaluate`'s `streams` chooses it: `"values"`, or bytes of one
/// native-endian `u64` per row.
fn streams_of(
    choice: &Bound<'_, PyAny>,
    rows: usize,
    constants: &[usize],
    values: &[f64],
) -> Result<Vec<u64>, Problem> {
    if let Ok(bytes) = choice.cast::<PyBytes>() {
        let bytes = bytes.as_bytes();
        if bytes.len() != rows.saturating_mul(8) {
            return Err(Problem::plain(format!("streams: {} values for {rows} rows of X", bytes.len() / 8)));
        }
        return Ok(bytes
            .chunks_exact(8)
            .map(|chunk| {
                let mut word = [0u8; 8];
                word.copy_from_slice(chunk);
                u64::from_ne_bytes(word)
            })
            .collect());
    }
    match choice.extract::<String>() {
        Ok(name) if name == "values" => {
            let width = constants.len();
            Ok((0..rows).map(|row| value_stream(constants, &values[row * width..(row + 1) * width])).collect())
        }
        _ => Err(Problem::plain(format!(
            "streams: {} is not None, \"values\" or one stream per row",
            choice.repr().map_or_else(|_| "this".to_owned(), |repr| repr.to_string())
        ))),
    }
}

/// The random stream of a run that sets each constant of `constants` (positions among the
/// compiled model's constants) to the value beside it: a hash of the pairs in the order of
/// the positions, so that it depends on what the run sets and not on the order of the columns
/// or of the rows. -0.0 counts as 0.0. SplitMix64's finaliser mixes each word in.
fn value_stream(constants: &[usize], row: &[f64]) -> u64 {
    let mut pairs: Vec<(usize, u64)> = constants
        .iter()
        .zip(row)
        .map(|(&constant, &value)| (constant, if value == 0.0 { 0 } else { value.to_bits() }))
        .collect();
    pairs.sort_unstable();
    let mix = |mut x: u64| {
        x = x.wrapping_add(0x9e37_79b9_7f4a_7c15);
        x = (x ^ (x >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        x = (x ^ (x >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        x ^ (x >> 31)
    };
    pairs.iter().fold(mix(pairs.len() as u64), |hash, &(constant, bits)| mix(mix(hash ^ constant as u64) ^ bits))
}

/// Receives a sweep's blocks in run order and keeps them.
#[derive(Default)]
struct Collected {
    inputs: Vec<f64>,
    outcomes: Vec<f64>,
    kept: Vec<f64>,
    failures: Vec<(u64, Failure)>,
}

impl Sink for Collected {
    fn block(&mut self, block: &Block) -> std::io::Result<()> {
        self.inputs.extend_from_slice(&block.inputs);
        self.outcomes.extend_from_slice(&block.outcomes);
        self.kept.extend_from_slice(&block.kept);
        self.failures.extend(block.failures.iter().cloned());
        Ok(())
    }
}

/// Worker pools by process and size. A pool is never shared with a forked child (a
/// multiprocessing worker), whose copy of the parent's pool has no threads behind it: each process
/// builds its own, rather than use rayon's global pool.
static POOLS: Mutex<Vec<Pool>> = Mutex::new(Vec::new());

/// A pool: the process that built it, the size asked for, and the pool.
type Pool = (u32, Option<usize>, Arc<rayon::ThreadPool>);

/// The pool of `threads` workers (one per core when not given) of this process.
fn pool(threads: Option<usize>) -> Result<Arc<rayon::ThreadPool>, Problem> {
    let process = std::process::id();
    let mut pools = POOLS.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    pools.retain(|(owner, _, _)| *owner == process);
    if let Some((_, _, pool)) = pools.iter().find(|(_, size, _)| *size == threads) {
        return Ok(Arc::clone(pool));
    }
    let mut builder = rayon::ThreadPoolBuilder::new();
    if let Some(threads) = threads {
        builder = builder.num_threads(threads.max(1));
    }
    let built = builder.build().map_err(|error| Problem::plain(format!("cannot start worker threads: {error}")))?;
    let built = Arc::new(built);
    pools.push((process, threads, Arc::clone(&built)));
    Ok(built)
}

/// Runs `sweep` on this process's pool of `threads` workers.
fn run_sweep(sweep: &Sweep<'_>, threads: Option<usize>) -> Result<(Collected, fulcrum_explore::Summary), Problem> {
    let pool = pool(threads)?;
    if let Some(problem) = sweep.memory_problem(pool.current_num_threads()) {
        return Err(Problem::plain(problem));
    }
    let mut collected = Collected::default();
    let silent = fulcrum_explore::sweep::Silent;
    let summary = pool.install(|| sweep.run(&mut collected, &silent)).map_err(|error| match error {
        SweepError::Model(error) => Problem::plain(error.to_string()),
        other => Problem::plain(other.to_string()),
    })?;
    Ok((collected, summary))
}

fn failure_rows(failures: &[(u64, Failure)]) -> Vec<(u64, String, f64, f64)> {
    failures.iter().map(|(run, failure)| (*run, failure.name.clone(), failure.time, failure.value)).collect()
}

#[pymethods]
impl NativeModel {
    /// Reads and compiles the model file at `path` with the Vensim `data` files, after the
    /// `changes` files (`.cin`) in order, as `fulcrum run --data --changes` reads it.
    #[staticmethod]
    #[pyo3(signature = (path, changes, data))]
    fn load(py: Python<'_>, path: PathBuf, changes: Vec<PathBuf>, data: Vec<PathBuf>) -> PyResult<NativeModel> {
        read::read_model(&path, &changes, &data).and_then(NativeModel::build).map_err(|problem| problem.into_err(py))
    }

    /// Reads and compiles a model from its text; `path` gives its format and its folder.
    #[staticmethod]
    #[pyo3(signature = (path, text, changes, data))]
    fn from_source(
        py: Python<'_>,
        path: PathBuf,
        text: String,
        changes: Vec<PathBuf>,
        data: Vec<PathBuf>,
    ) -> PyResult<NativeModel> {
        read::parse_model(&path, text, &changes, &data)
            .and_then(NativeModel::build)
            .map_err(|problem| problem.into_err(py))
    }

    /// The file's path and text, and the changes and data files it was read with.
    fn source(&self) -> (String, String, Vec<String>, Vec<String>) {
        let paths = |paths: &[PathBuf]| paths.iter().map(|path| path.display().to_string()).collect();
        (
            self.loaded.file.path.display().to_string(),
            self.loaded.file.source.clone(),
            paths(&self.loaded.changes),
            paths(&self.loaded.data),
        )
    }

    /// Warnings of reading and resolving the model: code, text, file, line, column.
    fn warnings(&self) -> Vec<WarningFields> {
        self.loaded.warnings.iter().map(Warning::fields).collect()
    }

    /// The model's name, if it has one.
    fn name(&self) -> Option<String> {
        self.loaded.file.model.name.clone()
    }

    /// The variables `run` saves by default, in file order.
    fn variables(&self) -> Vec<String> {
        self.compiled.output_variables().iter().map(|id| self.compiled.name(*id).to_owned()).collect()
    }

    /// The time axis: start, stop, dt, save step and method.
    fn time_axis(&self) -> (f64, f64, f64, f64, String) {
        let axis = self.compiled.axis();
        (axis.start, axis.stop, axis.dt, axis.dt * axis.save_every as f64, axis.method.as_str().to_owned())
    }

    /// The constants, in file order, with the units, range and documentation of their variable.
    fn constants(&self) -> Vec<ConstantRow> {
        self.compiled
            .constants()
            .iter()
            .map(|constant| {
                // An element (`Price[North]`) takes its variable's units, range and doc.
                let written = constant.name.split('[').next().unwrap_or(&constant.name);
                let canonical = CanonicalName::new(written);
                let variable = self.loaded.file.model.variables.iter().find(|variable| {
                    variable.canonical == canonical && matches!(variable.kind, VariableKind::Auxiliary)
                });
                let range = variable.and_then(|variable| variable.range);
                (
                    constant.name.clone(),
                    constant.default,
                    variable.and_then(|variable| variable.units.clone()),
                    range.map(|(min, _)| min),
                    range.map(|(_, max)| max),
                    variable.and_then(|variable| variable.doc.clone()),
                )
            })
            .collect()
    }

    /// One run, as `fulcrum run` computes it: the model's time axis with the given changes (the
    /// model is compiled again when any is given), `params` set, in-model random numbers from
    /// `seed`. Returns the saved times, the variables' names, and their values column by column
    /// (bytes of f64).
    #[pyo3(signature = (params, vars, start, stop, dt, method, save_step, seed))]
    #[allow(clippy::too_many_arguments)]
    fn run<'py>(
        &self,
        py: Python<'py>,
        params: Vec<(String, f64)>,
        vars: Option<Vec<String>>,
        start: Option<f64>,
        stop: Option<f64>,
        dt: Option<f64>,
        method: Option<String>,
        save_step: Option<f64>,
        seed: u64,
    ) -> PyResult<(Bound<'py, PyBytes>, Vec<String>, Bound<'py, PyBytes>)> {
        let retimed = if start.is_some() || stop.is_some() || dt.is_some() || method.is_some() || save_step.is_some() {
            Some(self.retimed(start, stop, dt, method.as_deref(), save_step).map_err(|problem| problem.into_err(py))?)
        } else {
            None
        };
        let compiled = retimed.as_ref().unwrap_or(&self.compiled);
        let result = (|| {
            let mut single = compiled.new_run();
            for (name, value) in &params {
                single.set(name, *value).map_err(|error| {
                    let constants = compiled.constants().iter().map(|c| c.name.as_str());
                    let hint = fulcrum_model::diagnostic::closest_match(name, constants)
                        .map_or_else(String::new, |near| format!(" (did you mean `{near}`?)"));
                    Problem::plain(format!("params: {error}{hint}"))
                })?;
            }
            single.set_seed(seed, 0);
            let variables = match &vars {
                None => compiled.output_variables(),
                Some(names) => variables_named(compiled, names, "vars")?,
            };
            let results = single.run_keeping(&variables).map_err(|error| self.loaded.sim_problem(&error))?;
            let mut columns = Vec::with_capacity(results.times().len() * results.names().len());
            for column in 0..results.names().len() {
                columns.extend_from_slice(results.column(column));
            }
            Ok((to_bytes(results.times()), results.names().to_vec(), to_bytes(&columns)))
        })();
        let (times, names, columns) = result.map_err(|problem: Problem| problem.into_err(py))?;
        Ok((PyBytes::new(py, &times), names, PyBytes::new(py, &columns)))
    }

    /// Runs every row of `x` (`rows` rows of `params`, row-major bytes of f64) as a sweep runs
    /// its design, on `threads` workers with the GIL released. Run `r` draws in-model random
    /// numbers from a stream of `seed` that `streams` chooses: `None`, stream `r`; `"values"`,
    /// a stream given by the row's values (see [`value_stream`]); bytes, one native-endian
    /// `u64` stream per row. Returns the outcomes (`rows` × outcomes, row-major; NaN for a
    /// failed run or a threshold never crossed), the trajectories of `keep` (run, saved time,
    /// variable), the saved times, and the failures (run, variable, time, value).
    #[pyo3(signature = (x, rows, params, outcomes, keep, threads, seed, streams))]
    #[allow(clippy::too_many_arguments, clippy::type_complexity)]
    fn evaluate<'py>(
        &self,
        py: Python<'py>,
        x: &[u8],
        rows: usize,
        params: Vec<String>,
        outcomes: Vec<(String, String)>,
        keep: Vec<String>,
        threads: Option<usize>,
        seed: u64,
        streams: Option<Bound<'py, PyAny>>,
    ) -> PyResult<(Bound<'py, PyBytes>, Bound<'py, PyBytes>, Vec<f64>, Vec<(u64, String, f64, f64)>)> {
        let values = from_bytes(x);
        let prepared = (|| {
            if values.len() != rows.saturating_mul(params.len()) {
                return Err(Problem::plain(format!(
                    "X has {} values, not {rows} rows of {} params",
                    values.len(),
                    params.len()
                )));
            }
            if let Some(position) = values.iter().position(|value| !value.is_finite()) {
                return Err(Problem::plain(format!(
                    "X[{}, {}] is {}, not a finite number",
                    position / params.len().max(1),
                    position % params.len().max(1),
                    values[position]
                )));
            }
            let constants = constant_positions(&self.compiled, &params, "params")?;
            let bound = outcomes
                .iter()
                .map(|(variable, statistic)| {
                    let statistic = Statistic::from_str(statistic)
                        .map_err(|error| Problem::plain(format!("outcomes: ({variable:?}, {statistic:?}): {error}")))?;
                    if statistic.needs_loops() {
                        return Err(Problem::plain(format!(
                            "outcomes: ({variable:?}, \"{statistic}\"): a loop's share or dominance shift is an outcome of an experiment \
                             file (`[[outcome]] statistic = \"{statistic}\"`), not of evaluate"
                        )));
                    }
                    let id = self.variables_named(std::slice::from_ref(variable), "outcomes")?[0];
                    Ok(Outcome {
                        name: format!("{variable} {statistic}"),
                        variable: id,
                        statistic,
                        better: None,
                        loop_share: None,
                    })
                })
                .collect::<Result<Vec<Outcome>, Problem>>()?;
            let keep = self.variables_named(&keep, "series")?;
            let streams = match &streams {
                None => (0..rows as u64).collect(),
                Some(choice) => streams_of(choice, rows, &constants, &values)?,
            };
            let table = Table { constants, values, streams, seed, ..Table::default() };
            Ok((table, bound, keep))
        })();
        let (table, bound, keep) = prepared.map_err(|problem| problem.into_err(py))?;
        let compiled = &self.compiled;
        let ran = py.detach(|| {
            let sweep = Sweep {
                model: compiled,
                design: &table,
                settings: &[],
                outcomes: &bound,
                bands: &[],
                bands_per_grid_point: false,
                keep: &keep,
                runs: 0..rows as u64,
                quantiles: Some(QuantileMethod::Exact),
            };
            run_sweep(&sweep, threads)
        });
        let (collected, _) = ran.map_err(|problem| problem.into_err(py))?;
        Ok((
            PyBytes::new(py, &to_bytes(&collected.outcomes)),
            PyBytes::new(py, &to_bytes(&collected.kept)),
            compiled.axis().save_times(),
            failure_rows(&collected.failures),
        ))
    }
}

impl NativeModel {
    /// The model compiled again with another time axis or method.
    fn retimed(
        &self,
        start: Option<f64>,
        stop: Option<f64>,
        dt: Option<f64>,
        method: Option<&str>,
        save_step: Option<f64>,
    ) -> Result<CompiledModel, Problem> {
        let mut loaded = self.loaded.clone();
        let sim = &mut loaded.file.model.sim;
        if let Some(method) = method {
            sim.method = Method::from_str(method)
                .map_err(|_| Problem::plain(format!("method: `{method}` is not euler, rk2 or rk4")))?;
            sim.spans.method = None;
        }
        for (value, field, span, what) in [
            (dt, &mut sim.dt, &mut sim.spans.dt, "dt"),
            (start, &mut sim.start, &mut sim.spans.start, "start"),
            (stop, &mut sim.stop, &mut sim.spans.stop, "stop"),
        ] {
            if let Some(value) = value {
                if !value.is_finite() {
                    return Err(Problem::plain(format!("{what}: {value} is not a finite number")));
                }
                *field = value;
                *span = None;
            }
        }
        if let Some(save_step) = save_step {
            sim.save_step = Some(save_step);
            sim.spans.save_step = None;
        }
        let mut problems = fulcrum_model::Diagnostics::default();
        fulcrum_model::resolve::check_sim_specs(sim, &mut problems);
        if let Some(problem) = problems.0.iter().find(|problem| problem.span.is_none()) {
            return Err(Problem::plain(format!("start/stop/dt/save_step: {}", problem.message)));
        }
        loaded.compile(&[])
    }
}

/// The columns of a sweep, as `fulcrum sweep` writes them.
type SweepTables<'py> = (
    (Vec<String>, Bound<'py, PyBytes>),
    (Vec<String>, Bound<'py, PyBytes>),
    (Vec<String>, Vec<usize>, Bound<'py, PyBytes>, Vec<String>, Bound<'py, PyBytes>),
    Vec<(u64, String, f64, f64)>,
    u64,
    Vec<WarningFields>,
);

/// A search's tables: pareto.csv's header and rows (row-major bytes of f64), convergence.csv's
/// rows, the hypervolume's reference point, and the plan's new warnings.
type SearchTables<'py> =
    (Vec<String>, Bound<'py, PyBytes>, Vec<(usize, u64, f64, usize)>, Vec<f64>, Vec<WarningFields>);

/// A calibration's tables: the constants, fit.csv's values, the draws (row-major bytes) and
/// their log posterior (bytes), diagnostics.csv's numbers (row-major bytes), whether the
/// posterior converged, and the sampler's walkers, steps, burn-in, thinning and acceptance.
type CalibrationTables<'py> = (
    Vec<String>,
    Vec<f64>,
    Bound<'py, PyBytes>,
    Bound<'py, PyBytes>,
    Bound<'py, PyBytes>,
    bool,
    (usize, usize, usize, usize, f64),
);

/// An experiment file, its model compiled for it.
#[pyclass(frozen, module = "fulcrum._fulcrum")]
struct NativeExperiment {
    prepared: Prepared,
    /// The warnings of reading the experiment, its model and its plan.
    warnings: Vec<Warning>,
}

/// A result table (sensitivity.csv, leverage.csv, comparison.csv) column by column: its name,
/// its kind (`text`, `number`, `flag`, `count`) and its values (a list, or bytes of f64 for
/// numbers).
type TableColumns<'py> = Vec<(&'static str, &'static str, Bound<'py, PyAny>)>;

/// A result table, the notes on what its estimates left out, and the warnings of its plan.
type AnalysisTable<'py> = (TableColumns<'py>, Vec<String>, Vec<WarningFields>);

fn table_columns<'py>(py: Python<'py>, table: &ResultTable) -> PyResult<TableColumns<'py>> {
    table
        .columns
        .iter()
        .map(|column| {
            let (kind, values) = match &column.values {
                Values::Text(values) => ("text", PyList::new(py, values)?.into_any()),
                Values::Number(values) => ("number", PyBytes::new(py, &to_bytes(values)).into_any()),
                Values::Flag(values) => ("flag", PyList::new(py, values)?.into_any()),
                Values::Count(values) => ("count", PyList::new(py, values)?.into_any()),
            };
            Ok((column.name, kind, values))
        })
        .collect()
}

/// A relative change or a probability, strictly between 0 and 1, as the command line checks
/// `--step`, `--delta` and `--confidence`.
fn between_0_and_1(value: f64, what: &str) -> Result<f64, Problem> {
    if value.is_finite() && value > 0.0 && value < 1.0 {
        Ok(value)
    } else {
        Err(Problem::plain(format!("{what}: {value} must be between 0 and 1 (0.1 = 10%)")))
    }
}

/// Bootstrap resamples, at most 100,000 as on the command line.
fn resamples_of(resamples: u64) -> Result<usize, Problem> {
    if resamples > 100_000 {
        return Err(Problem::plain(format!("resamples: {resamples} is more than 100000")));
    }
    Ok(resamples as usize)
}

/// A sensitivity method by name.
fn method_of(name: &str) -> Result<AnalysisMethod, Problem> {
    match name.trim().to_ascii_lowercase().as_str() {
        "oat" => Ok(AnalysisMethod::Oat),
        "morris" => Ok(AnalysisMethod::Morris),
        "sobol" => Ok(AnalysisMethod::Sobol),
        "prcc" => Ok(AnalysisMethod::Prcc),
        "src" => Ok(AnalysisMethod::Src),
        _ => Err(Problem::plain(format!("method: `{name}` is not a method: oat, morris, sobol, prcc or src"))),
    }
}

impl NativeExperiment {
    /// The experiment planned with `runs` futures (or base samples) and `seed` instead of its
    /// own, as `--samples`/`--futures` and `--seed` change it for the analysis commands; an
    /// experiment with a grid is refused, since an analysis samples its own design.
    fn analysis_plan(
        &self,
        analysis: &'static str,
        runs_argument: &str,
        runs: Option<u64>,
        seed: Option<u64>,
    ) -> Result<(Plan, Vec<WarningFields>), Problem> {
        self.analysis_experiment(analysis, runs_argument, runs, seed).map(|(_, plan, warnings)| (plan, warnings))
    }

    /// [`Self::analysis_plan`], with the experiment it planned.
    fn analysis_experiment(
        &self,
        analysis: &'static str,
        runs_argument: &str,
        runs: Option<u64>,
        seed: Option<u64>,
    ) -> Result<(fulcrum_explore::Experiment, Plan, Vec<WarningFields>), Problem> {
        let mut experiment = self.prepared.experiment.clone();
        if let Some(runs) = runs {
            if runs == 0 {
                return Err(Problem::plain(format!("{runs_argument}: 0 must be at least 1")));
            }
            (experiment.sampling.runs, experiment.sampling.runs_span) = (runs, None);
        }
        if let Some(seed) = seed {
            experiment.sampling.seed = seed;
        }
        let (plan, warnings) = self.plan(&experiment)?;
        Study { model: &self.prepared.compiled, plan: &plan }
            .check_no_grid(analysis)
            .map_err(|error| self.analysis_problem(AnalysisError::Plan(error)))?;
        Ok((experiment, plan, warnings))
    }

    /// Binds `experiment` (a copy of the file's with other sampling settings) to the model,
    /// with the plan's warnings that loading the experiment did not already give.
    fn plan(&self, experiment: &fulcrum_explore::Experiment) -> Result<(Plan, Vec<WarningFields>), Problem> {
        let (plan, warnings) = read::plan(&self.prepared, experiment)?;
        let fresh = warnings.iter().filter(|warning| !self.warnings.contains(warning)).map(Warning::fields).collect();
        Ok((plan, fresh))
    }

    /// Runs an analysis of `plan` on `threads` workers with the GIL released.
    fn run_analysis<T: Send>(
        &self,
        py: Python<'_>,
        plan: &Plan,
        threads: Option<usize>,
        analysis: impl FnOnce(&Study<'_>) -> Result<T, AnalysisError> + Send,
    ) -> PyResult<T> {
        let study = Study { model: &self.prepared.compiled, plan };
        let ran = py.detach(|| {
            let pool = pool(threads)?;
            pool.install(|| analysis(&study)).map_err(|error| self.analysis_problem(error))
        });
        ran.map_err(|problem| problem.into_err(py))
    }

    /// An analysis's problem as the command line words it: problems of the experiment file
    /// after its path.
    fn analysis_problem(&self, error: AnalysisError) -> Problem {
        let path = self.prepared.path.display();
        match error {
            AnalysisError::Plan(error) if error.about_experiment() => Problem::plain(format!("{path}: {error}")),
            AnalysisError::Sweep(SweepError::Model(error)) => Problem::plain(format!("{path}: {error}")),
            other => Problem::plain(as_arguments(&other.to_string())),
        }
    }
}

/// A message of the analyses, which name the command line's flags, with the flag at its start
/// named as this package's argument (`--samples 4: ...` as `samples=4: ...`).
fn as_arguments(message: &str) -> String {
    for (flag, argument) in [("--samples ", "samples="), ("--futures ", "futures="), ("--group: ", "groups: ")] {
        if let Some(rest) = message.strip_prefix(flag) {
            return format!("{argument}{rest}");
        }
    }
    message.to_owned()
}

#[pymethods]
impl NativeExperiment {
    /// Reads an experiment and its model and checks them.
    #[staticmethod]
    fn load(py: Python<'_>, path: PathBuf) -> PyResult<NativeExperiment> {
        read::read_experiment(&path)
            .map(|(prepared, warnings)| NativeExperiment { prepared, warnings })
            .map_err(|problem| problem.into_err(py))
    }

    /// Warnings of reading the experiment, its model and its plan: code, text, file, line,
    /// column.
    fn warnings(&self) -> Vec<WarningFields> {
        self.warnings.iter().map(Warning::fields).collect()
    }

    /// The experiment file's path.
    fn path(&self) -> String {
        self.prepared.path.display().to_string()
    }

    /// The model file's path.
    fn model_path(&self) -> String {
        self.prepared.model.path.display().to_string()
    }

    /// The sweep `fulcrum sweep` runs with `--runs`, `--seed`, `--sampler` and `--threads`:
    /// experiments (columns, values row-major), outcomes (the same), bands (variables, each
    /// row's variable, then time, n, mean, sd, min, p05, p25, p50, p75, p95, max row-major, and
    /// with a grid its axes and each row's grid point's values, row-major: per grid point),
    /// the failures, the number of runs, and the plan's warnings that loading did not give.
    #[pyo3(signature = (runs, seed, sampler, threads))]
    fn sweep<'py>(
        &self,
        py: Python<'py>,
        runs: Option<u64>,
        seed: Option<u64>,
        sampler: Option<String>,
        threads: Option<usize>,
    ) -> PyResult<SweepTables<'py>> {
        let prepared = &self.prepared;
        let plan = (|| {
            let mut experiment = prepared.experiment.clone();
            let sampling = &mut experiment.sampling;
            if let Some(sampler) = &sampler {
                sampling.sampler =
                    Sampler::from_str(sampler).map_err(|error| Problem::plain(format!("sampler: {error}")))?;
            }
            if let Some(runs) = runs {
                if let Sampler::Grid { .. } = sampling.sampler {
                    return Err(Problem::plain(
                        "runs: a grid sample's size is `levels` per uncertain constant; change `levels` instead",
                    ));
                }
                (sampling.runs, sampling.runs_span) = (runs, None);
            }
            if let Some(seed) = seed {
                sampling.seed = seed;
            }
            self.plan(&experiment)
        })();
        let (plan, warnings) = plan.map_err(|problem| problem.into_err(py))?;
        let compiled = &prepared.compiled;
        let bands = plan.outcome_variables();
        let design_runs = plan.design.runs();
        // As `fulcrum sweep`: bands per grid point, a value per run, saved time, band variable
        // and grid point.
        let points = ((bands.len() * compiled.axis().save_count()) as u64).saturating_mul(plan.design.grid_points());
        let ran = py.detach(|| {
            let sweep = Sweep {
                model: compiled,
                design: &plan.design,
                settings: &plan.baseline,
                outcomes: &plan.outcomes,
                bands: &bands,
                bands_per_grid_point: true,
                keep: &[],
                runs: 0..design_runs,
                quantiles: Some(QuantileMethod::for_values(design_runs.saturating_mul(points))),
            };
            run_sweep(&sweep, threads)
        });
        let (collected, summary) = ran.map_err(|problem| problem.into_err(py))?;
        let constants = compiled.constants();
        let factor_names: Vec<String> = plan
            .design
            .factors
            .iter()
            .map(|factor| constants.get(factor.constant).map_or_else(String::new, |c| c.name.clone()))
            .collect();
        let outcome_names: Vec<String> = plan.outcomes.iter().map(|outcome| outcome.name.clone()).collect();
        let band_names: Vec<String> = bands.iter().map(|id| compiled.name(*id).to_owned()).collect();
        let grid: Vec<GridAxis> = plan
            .design
            .factors
            .iter()
            .filter_map(|factor| match &factor.kind {
                FactorKind::Values(values) => Some(GridAxis { name: factor.name.clone(), values: values.clone() }),
                FactorKind::Uncertain(_) => None,
            })
            .collect();
        let mut band_of = Vec::with_capacity(summary.bands.len());
        let mut band_values = Vec::with_capacity(summary.bands.len() * 11);
        let mut grid_values = Vec::with_capacity(summary.bands.len() * grid.len());
        for row in &summary.bands {
            let moments = &row.moments;
            let (point, variable) = if grid.is_empty() { (0, row.variable) } else { band_row_place(row, bands.len()) };
            band_of.push(variable);
            grid_values.extend(grid_point_values(&grid, point));
            let numbers = [row.time, moments.n as f64, moments.mean, moments.sd(), moments.min]
                .into_iter()
                .chain(row.quantiles)
                .chain([moments.max]);
            // As bands.csv: no values (every run failed) or too few for an sd leave the cell empty.
            for (column, value) in numbers.enumerate() {
                band_values.push(if moments.n == 0 && column > 1 { f64::NAN } else { value });
            }
        }
        Ok((
            (factor_names, PyBytes::new(py, &to_bytes(&collected.inputs))),
            (outcome_names, PyBytes::new(py, &to_bytes(&collected.outcomes))),
            (
                band_names,
                band_of,
                PyBytes::new(py, &to_bytes(&band_values)),
                grid.into_iter().map(|axis| axis.name).collect(),
                PyBytes::new(py, &to_bytes(&grid_values)),
            ),
            failure_rows(&collected.failures),
            design_runs,
            warnings,
        ))
    }

    /// `fulcrum sensitivity --method METHOD` with the same options: sensitivity.csv's columns,
    /// the notes, and the plan's new warnings.
    #[pyo3(signature = (method, samples, seed, second_order, levels, optimize, step, over_time, groups, resamples, confidence, threads))]
    #[allow(clippy::too_many_arguments)]
    fn sensitivity<'py>(
        &self,
        py: Python<'py>,
        method: String,
        samples: Option<u64>,
        seed: Option<u64>,
        second_order: bool,
        levels: usize,
        optimize: Option<usize>,
        step: f64,
        over_time: Option<String>,
        groups: Vec<(String, Vec<String>)>,
        resamples: u64,
        confidence: f64,
        threads: Option<usize>,
    ) -> PyResult<AnalysisTable<'py>> {
        let planned = (|| {
            let method = method_of(&method)?;
            let (plan, warnings) = self.analysis_plan("sensitivity", "samples", samples, seed)?;
            let over_time = match &over_time {
                Some(name) => Some(
                    fulcrum_explore::names::variables_named(&self.prepared.compiled, std::slice::from_ref(name))
                        .map_err(|error| Problem::plain(format!("over_time: {error}")))?
                        .first()
                        .copied()
                        .ok_or_else(|| Problem::plain("over_time: no variable named"))?,
                ),
                None => None,
            };
            for (name, members) in &groups {
                if name.trim().is_empty() || members.iter().all(|member| member.trim().is_empty()) {
                    return Err(Problem::plain(format!(
                        "groups: `{name}` needs a group name and at least one parameter"
                    )));
                }
            }
            let options = SensitivityOptions {
                second_order,
                levels,
                optimize,
                step: between_0_and_1(step, "step")?,
                over_time,
                groups: groups
                    .iter()
                    .map(|(name, members)| {
                        let members = members.iter().map(|m| m.trim()).filter(|m| !m.is_empty()).map(str::to_owned);
                        (name.trim().to_owned(), members.collect())
                    })
                    .collect(),
                resamples: resamples_of(resamples)?,
                confidence: between_0_and_1(confidence, "confidence")?,
                ..SensitivityOptions::new(method, &plan)
            };
            Ok((plan, options, warnings))
        })();
        let (plan, options, warnings) = planned.map_err(|problem| problem.into_err(py))?;
        let results = self.run_analysis(py, &plan, threads, |study| {
            fulcrum_sensitivity::sensitivity(study, &options, &fulcrum_explore::sweep::Silent)
        })?;
        Ok((table_columns(py, &results.table())?, results.notes, warnings))
    }

    /// `fulcrum leverage` with the same options: leverage.csv's columns, the notes, and the
    /// plan's new warnings.
    #[pyo3(signature = (futures, seed, delta, cross_check, resamples, confidence, threads))]
    #[allow(clippy::too_many_arguments)]
    fn leverage<'py>(
        &self,
        py: Python<'py>,
        futures: Option<u64>,
        seed: Option<u64>,
        delta: f64,
        cross_check: bool,
        resamples: u64,
        confidence: f64,
        threads: Option<usize>,
    ) -> PyResult<AnalysisTable<'py>> {
        let planned = (|| {
            let (plan, warnings) = self.analysis_plan("leverage", "futures", futures, seed)?;
            let options = LeverageOptions {
                delta: between_0_and_1(delta, "delta")?,
                cross_check,
                resamples: resamples_of(resamples)?,
                confidence: between_0_and_1(confidence, "confidence")?,
                ..LeverageOptions::new(&plan)
            };
            Ok((plan, options, warnings))
        })();
        let (plan, options, warnings) = planned.map_err(|problem: Problem| problem.into_err(py))?;
        let results = self.run_analysis(py, &plan, threads, |study| {
            fulcrum_sensitivity::leverage(study, &options, &fulcrum_explore::sweep::Silent)
        })?;
        Ok((table_columns(py, &results.table())?, results.notes, warnings))
    }

    /// `fulcrum compare` with the same options: comparison.csv's columns, the notes, and the
    /// plan's new warnings.
    #[pyo3(signature = (futures, seed, threads))]
    fn compare<'py>(
        &self,
        py: Python<'py>,
        futures: Option<u64>,
        seed: Option<u64>,
        threads: Option<usize>,
    ) -> PyResult<AnalysisTable<'py>> {
        let (plan, warnings) =
            self.analysis_plan("compare", "futures", futures, seed).map_err(|problem| problem.into_err(py))?;
        let options = CompareOptions::new(&plan);
        let results = self.run_analysis(py, &plan, threads, |study| {
            fulcrum_sensitivity::compare(study, &options, &fulcrum_explore::sweep::Silent)
        })?;
        Ok((table_columns(py, &results.table())?, results.notes, warnings))
    }

    /// `fulcrum search` with the same options: pareto.csv and convergence.csv.
    #[pyo3(signature = (population, generations, evaluations, futures, seed, threads))]
    #[allow(clippy::too_many_arguments)]
    fn search<'py>(
        &self,
        py: Python<'py>,
        population: usize,
        generations: Option<usize>,
        evaluations: Option<u64>,
        futures: Option<u64>,
        seed: Option<u64>,
        threads: Option<usize>,
    ) -> PyResult<SearchTables<'py>> {
        let planned = (|| {
            let generations = decide::generations_of(population, generations, evaluations)?;
            let (experiment, plan, warnings) = self.analysis_experiment("search", "futures", futures, seed)?;
            Ok::<_, Problem>((generations, experiment, plan, warnings))
        })();
        let (generations, experiment, plan, warnings) = planned.map_err(|problem| problem.into_err(py))?;
        let searched = py.detach(|| {
            let pool = pool(threads)?;
            pool.install(|| decide::search(&self.prepared, &experiment, &plan, population, generations))
        });
        let searched = searched.map_err(|problem| problem.into_err(py))?;
        Ok((
            searched.header,
            PyBytes::new(py, &to_bytes(&searched.pareto)),
            searched.convergence,
            searched.reference,
            warnings,
        ))
    }

    /// `fulcrum calibrate` with `--seed` and `--threads`, and the `[calibration]` table's
    /// `draws`, `restarts` and `walkers` when given: fit.csv, posterior.csv and diagnostics.csv.
    #[pyo3(signature = (seed, threads, draws, restarts, walkers))]
    fn calibrate<'py>(
        &self,
        py: Python<'py>,
        seed: Option<u64>,
        threads: Option<usize>,
        draws: Option<u64>,
        restarts: Option<u64>,
        walkers: Option<u64>,
    ) -> PyResult<CalibrationTables<'py>> {
        let overrides = decide::CalibrationSettings { seed, threads, draws, restarts, walkers };
        let calibrated = py.detach(|| decide::calibrate(&self.prepared, overrides));
        let calibrated = calibrated.map_err(|problem| problem.into_err(py))?;
        Ok((
            calibrated.names,
            calibrated.fit,
            PyBytes::new(py, &to_bytes(&calibrated.draws)),
            PyBytes::new(py, &to_bytes(&calibrated.log_posterior)),
            PyBytes::new(py, &to_bytes(&calibrated.diagnostics)),
            calibrated.converged,
            calibrated.sampler,
        ))
    }
}

/// Columns of `count` values each, from bytes of f64 column after column.
fn columns_of(bytes: &[u8], count: usize, rows: usize, what: &str) -> Result<Vec<Vec<f64>>, Problem> {
    let values = from_bytes(bytes);
    if values.len() != count.saturating_mul(rows) {
        return Err(Problem::plain(format!("{what}: {} values for {count} columns of {rows} rows", values.len())));
    }
    Ok(if rows == 0 { vec![Vec::new(); count] } else { values.chunks_exact(rows).map(<[f64]>::to_vec).collect() })
}

/// PRIM over the columns of `x` (bytes of f64, column after column, `rows` each) for the rows
/// where `y` holds: the trajectory, the chosen box, the ranking and the counts.
#[pyfunction]
#[pyo3(signature = (names, x, rows, y, threshold, peel_alpha, paste_alpha, mass_min, box_index))]
#[allow(clippy::too_many_arguments)]
fn prim(
    py: Python<'_>,
    names: Vec<String>,
    x: &[u8],
    rows: usize,
    y: Vec<bool>,
    threshold: f64,
    peel_alpha: f64,
    paste_alpha: f64,
    mass_min: f64,
    box_index: Option<usize>,
) -> PyResult<decide::Discovered> {
    let found = (|| {
        let options = decide::prim_options(threshold, peel_alpha, paste_alpha, mass_min)?;
        let columns = columns_of(x, names.len(), rows, "X")?;
        if y.len() != rows {
            return Err(Problem::plain(format!("y: {} values for the {rows} rows of X", y.len())));
        }
        decide::prim(names, columns, &y, &options, box_index, "y", 0)
    })();
    found.map_err(|problem| problem.into_err(py))
}

/// `fulcrum discover` over a sweep's runs: inputs and outcomes as bytes of f64, column after
/// column, `rows` each; the runs of interest are where `condition` holds. Such runs have no
/// options, so `option` can only be refused.
#[pyfunction]
#[pyo3(signature = (input_names, inputs, outcome_names, outcomes, rows, condition, option, threshold, peel_alpha, paste_alpha, mass_min, box_index))]
#[allow(clippy::too_many_arguments)]
fn discover(
    py: Python<'_>,
    input_names: Vec<String>,
    inputs: &[u8],
    outcome_names: Vec<String>,
    outcomes: &[u8],
    rows: usize,
    condition: String,
    option: Option<String>,
    threshold: f64,
    peel_alpha: f64,
    paste_alpha: f64,
    mass_min: f64,
    box_index: Option<usize>,
) -> PyResult<decide::Discovered> {
    let found = (|| {
        let options = decide::prim_options(threshold, peel_alpha, paste_alpha, mass_min)?;
        let input_columns = columns_of(inputs, input_names.len(), rows, "inputs")?;
        let outcome_columns = columns_of(outcomes, outcome_names.len(), rows, "outcomes")?;
        let runs = decide::SweepRuns {
            inputs: (input_names, input_columns),
            outcomes: (outcome_names, outcome_columns),
            options: None,
        };
        decide::discover_runs(runs, &condition, option.as_deref(), &options, box_index)
    })();
    found.map_err(|problem| problem.into_err(py))
}

/// `fulcrum discover SWEEP_DIR` over the folder `fulcrum sweep` wrote; `option` is `--option`.
#[pyfunction]
#[pyo3(signature = (path, condition, option, threshold, peel_alpha, paste_alpha, mass_min, box_index))]
#[allow(clippy::too_many_arguments)]
fn discover_folder(
    py: Python<'_>,
    path: PathBuf,
    condition: String,
    option: Option<String>,
    threshold: f64,
    peel_alpha: f64,
    paste_alpha: f64,
    mass_min: f64,
    box_index: Option<usize>,
) -> PyResult<decide::Discovered> {
    let found = (|| {
        let options = decide::prim_options(threshold, peel_alpha, paste_alpha, mass_min)?;
        let runs = decide::read_sweep(&path)?;
        decide::discover_runs(runs, &condition, option.as_deref(), &options, box_index)
    })();
    found.map_err(|problem| problem.into_err(py))
}

/// The extension module.
#[pymodule]
fn _fulcrum(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<NativeModel>()?;
    module.add_class::<NativeExperiment>()?;
    module.add_function(wrap_pyfunction!(prim, module)?)?;
    module.add_function(wrap_pyfunction!(discover, module)?)?;
    module.add_function(wrap_pyfunction!(discover_folder, module)?)?;
    module.add("FulcrumError", module.py().get_type::<FulcrumError>())?;
    module.add("LANES", fulcrum_sim::LANES)?;
    Ok(())
}
