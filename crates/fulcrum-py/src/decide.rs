//! Search, scenario discovery and calibration for the native module: the library calls of
//! `fulcrum search`, `fulcrum discover` and `fulcrum calibrate`, with their problems worded
//! for Python's arguments (`where`, `box`, `population`) instead of the command's flags.

use std::path::Path;

use fulcrum_calibrate::{Problem as Fit, Settings, read_history};
use fulcrum_decide::prim::condition::{Condition, ConditionError, Table};
use fulcrum_decide::prim::{Discovery, Inputs, Options, PrimError, discover};
use fulcrum_decide::search::model::{Problem as SearchProblem, SearchError, SearchOptions};
use fulcrum_explore::{Experiment, Plan, SweepError};
use fulcrum_model::LineIndex;
use fulcrum_report::calibration::diagnostics_rows;
use fulcrum_report::discover_files::read_inputs;
use fulcrum_report::load::Prepared;
use fulcrum_report::{ReportError, SweepDir};

use crate::read::Problem;

/// A search's results: pareto.csv's header and its rows (row-major), convergence.csv's rows
/// (generation, evaluations, hypervolume, archive size) and the hypervolume's reference point.
pub struct Searched {
    pub header: Vec<String>,
    pub pareto: Vec<f64>,
    pub convergence: Vec<(usize, u64, f64, usize)>,
    pub reference: Vec<f64>,
}

/// The generations of a search of `population` with `generations` or `evaluations`, as
/// `fulcrum search` counts them (24 when neither is given).
pub fn generations_of(
    population: usize,
    generations: Option<usize>,
    evaluations: Option<u64>,
) -> Result<usize, Problem> {
    if population < 4 {
        return Err(Problem::plain(format!("population: {population} must be at least 4")));
    }
    match (generations, evaluations) {
        (Some(_), Some(_)) => Err(Problem::plain("generations and evaluations: give one or the other, not both")),
        (Some(generations), None) => Ok(generations),
        (None, Some(0)) => Err(Problem::plain("evaluations: 0 must be at least 1")),
        (None, Some(evaluations)) => Ok(((evaluations / population as u64).max(2) - 1) as usize),
        (None, None) => Ok(24),
    }
}

/// Runs `fulcrum search` on the current rayon pool: `experiment` is the file's with the
/// futures and seed asked for, `plan` its plan.
pub fn search(
    prepared: &Prepared,
    experiment: &Experiment,
    plan: &Plan,
    population: usize,
    generations: usize,
) -> Result<Searched, Problem> {
    let problem = SearchProblem::new(experiment, plan).map_err(|error| search_problem(prepared, error))?;
    let options = SearchOptions { population, generations, seed: plan.design.seed };
    let silent = fulcrum_explore::sweep::Silent;
    let found =
        problem.search(&prepared.compiled, plan, &options, &silent).map_err(|error| search_problem(prepared, error))?;
    if found.archive.is_empty() {
        return Err(Problem::plain(format!(
            "{}: no candidate met the budget in {} evaluations (the closest was {} over it)",
            prepared.path.display(),
            found.convergence.last().map_or(0, |progress| progress.evaluations),
            found.least_violation
        )));
    }
    // pareto.csv: every decision's setting, every objective in its outcome's units, the cost.
    let mut header: Vec<String> = problem.decisions.iter().map(|decision| decision.name().to_owned()).collect();
    header.extend(problem.objectives.iter().map(|objective| objective.column()));
    header.push("cost".to_owned());
    let mut pareto = Vec::with_capacity(found.archive.len() * header.len());
    for candidate in &found.archive {
        pareto.extend_from_slice(&candidate.genes);
        pareto.extend((0..problem.objectives.len()).map(|index| problem.natural(index, candidate.objectives[index])));
        pareto.push(problem.cost(&candidate.genes));
    }
    let convergence = found
        .convergence
        .iter()
        .map(|progress| (progress.generation, progress.evaluations, progress.hypervolume, progress.archive_size))
        .collect();
    Ok(Searched { header, pareto, convergence, reference: found.reference })
}

/// A search's problem as `fulcrum search` words it: after the experiment file, at the line and
/// column of the budget when the budget is at fault.
fn search_problem(prepared: &Prepared, error: SearchError) -> Problem {
    let path = prepared.path.display().to_string();
    match error {
        SearchError::BudgetUnmet { span: Some(span), .. }
        | SearchError::BudgetWithoutCosts { span: Some(span), .. } => {
            let (line, column) = LineIndex::new(&prepared.text).line_col(&prepared.text, span.start as usize);
            Problem {
                path: Some(path.clone()),
                line: Some(line),
                column: Some(column),
                ..Problem::plain(format!("{path}:{line}:{column}: {error}"))
            }
        }
        SearchError::Sweep(SweepError::Output(error) | SweepError::Memory(error)) => Problem::plain(error.to_string()),
        other => Problem { path: Some(path.clone()), ..Problem::plain(format!("{path}: {other}")) },
    }
}

/// A discovery's results: the trajectory (coverage, density, mass, restricted inputs), the
/// chosen box's rows (input, min, max, restricted, quasi-p-value), the chosen box, the ranking
/// (input, Kolmogorov–Smirnov distance), the chosen box's restrictions in words, and the counts
/// of cases, runs and runs left out (no value in a column the condition names).
pub type Discovered = (
    Vec<(f64, f64, f64, usize)>,
    Vec<(String, f64, f64, bool, Option<f64>)>,
    usize,
    Vec<(String, f64)>,
    Vec<String>,
    (usize, usize, usize),
);

/// PRIM's options, checked, with a bad one named as the argument.
pub fn prim_options(threshold: f64, peel_alpha: f64, paste_alpha: f64, mass_min: f64) -> Result<Options, Problem> {
    let options = Options { peel_alpha, paste_alpha, mass_min, threshold };
    options.check().map_err(|error| match error {
        PrimError::Option { name, value, range } => Problem::plain(format!("{name}={value}: it must be {range}")),
        other => Problem::plain(other.to_string()),
    })?;
    Ok(options)
}

/// PRIM over named input columns for the rows where `cases` holds; `what` says what the cases
/// are in an error (`y`, or the condition).
pub fn prim(
    names: Vec<String>,
    columns: Vec<Vec<f64>>,
    cases: &[bool],
    options: &Options,
    box_index: Option<usize>,
    what: &str,
    left_out: usize,
) -> Result<Discovered, Problem> {
    let inputs = Inputs::new(names, columns).map_err(|error| Problem::plain(format!("X: {error}")))?;
    let found = discover(&inputs, cases, options).map_err(|error| match error {
        PrimError::NoCases { rows } => {
            Problem::plain(format!("{what}: no run is a case of interest ({rows} runs); nothing to explain"))
        }
        PrimError::AllCases { rows } => Problem::plain(format!(
            "{what}: every run ({rows}) is a case of interest, so there is nothing to tell apart"
        )),
        other => Problem::plain(format!("{what}: {other}")),
    })?;
    let chosen = chosen_box(&found, box_index, what)?;
    let stats = &found.trajectory[chosen];
    let quasi_p = found.quasi_p(chosen);
    let rows = found
        .names()
        .iter()
        .enumerate()
        .map(|(input, name)| {
            // As box.csv: the smaller of the two sides' quasi-p-values.
            let value = quasi_p
                .iter()
                .find(|value| value.input == input)
                .map(|value| [value.low, value.high].into_iter().flatten().fold(f64::INFINITY, f64::min));
            (name.clone(), stats.limits[input].low, stats.limits[input].high, found.is_restricted(chosen, input), value)
        })
        .collect();
    let trajectory = found.trajectory.iter().map(|box_| (box_.coverage, box_.density, box_.mass, box_.restricted));
    let ranking = found.ranking().iter().map(|feature| (found.names()[feature.input].clone(), feature.score)).collect();
    let counts = (found.trajectory[0].cases, cases.len(), left_out);
    Ok((trajectory.collect(), rows, chosen, ranking, found.restrictions(chosen), counts))
}

/// The box `box_index` names, or the last at or above the threshold.
fn chosen_box(found: &Discovery, box_index: Option<usize>, what: &str) -> Result<usize, Problem> {
    let count = found.trajectory.len();
    match box_index {
        Some(index) if index < count => Ok(index),
        Some(index) => {
            Err(Problem::plain(format!("box={index}: the trajectory has {count} boxes, 0 to {}", count - 1)))
        }
        None => found.selected().ok_or_else(|| {
            let densest = found.trajectory.iter().map(|stats| stats.density).fold(0.0, f64::max);
            Problem::plain(format!(
                "{what}: no box reaches density {} (the densest holds {:.0}% cases of interest); lower threshold, \
                 or pick a box of the trajectory with box=N",
                found.options.threshold,
                densest * 100.0
            ))
        }),
    }
}

/// A sweep's runs to discover over: the inputs and the outcomes, and for a sweep of a compare
/// design the option each run applies.
pub struct SweepRuns {
    /// The sampled inputs.
    pub inputs: Columns,
    /// The outcomes.
    pub outcomes: Columns,
    /// The option (`baseline` or an intervention) of each run, for a compare design.
    pub options: Option<Vec<String>>,
}

/// `fulcrum discover`'s analysis of a sweep's runs: the runs where `condition` holds over the
/// outcome columns (of the runs of `option` alone when given, each against the baseline run of
/// its future when the condition names `baseline`), explained by the input columns. Runs with
/// no value in a column the condition names are left out and counted.
pub fn discover_runs(
    runs: SweepRuns,
    condition_text: &str,
    option: Option<&str>,
    options: &Options,
    box_index: Option<usize>,
) -> Result<Discovered, Problem> {
    let condition = Condition::parse(condition_text).map_err(|error| condition_problem(condition_text, &error))?;
    let SweepRuns { inputs: (input_names, input_columns), outcomes: (outcome_names, outcome_columns), options: kinds } =
        runs;
    let rows = outcome_columns.first().map_or_else(|| input_columns.first().map_or(0, Vec::len), Vec::len);
    if let Some(column) = input_columns.first()
        && column.len() != rows
    {
        return Err(Problem::plain(format!(
            "the inputs have {} runs and the outcomes {rows}; they are not from one sweep",
            column.len()
        )));
    }
    let (selected, baseline_rows) = select_runs(&condition, condition_text, kinds.as_deref(), option, rows)?;
    let pick = |column: &Vec<f64>, at: &[usize]| -> Vec<f64> { at.iter().map(|&row| column[row]).collect() };
    let outcomes: Vec<Vec<f64>> = outcome_columns.iter().map(|column| pick(column, &selected)).collect();
    let baselines: Option<Vec<Vec<f64>>> =
        baseline_rows.as_ref().map(|at| outcome_columns.iter().map(|column| pick(column, at)).collect());
    let table = Table { names: &outcome_names, columns: &outcomes, baseline: baselines.as_deref() };
    let met = condition.evaluate(&table).map_err(|error| condition_problem(condition_text, &error))?;
    let used: Vec<usize> = condition
        .columns()
        .iter()
        .filter_map(|name| outcome_names.iter().position(|outcome| outcome == name))
        .collect();
    let has_value = |row: usize| {
        used.iter().all(|&column| {
            !outcomes[column][row].is_nan() && baselines.as_ref().is_none_or(|values| !values[column][row].is_nan())
        })
    };
    let kept: Vec<usize> = (0..selected.len()).filter(|&row| has_value(row)).collect();
    let columns: Vec<Vec<f64>> =
        input_columns.iter().map(|column| kept.iter().map(|&row| column[selected[row]]).collect()).collect();
    let cases: Vec<bool> = kept.iter().map(|&row| met[row]).collect();
    let what = format!("where \"{condition_text}\"");
    prim(input_names, columns, &cases, options, box_index, &what, selected.len() - kept.len())
}

/// The runs analysed, and for each the run of the same future without intervention when the
/// condition compares with `baseline`, as `fulcrum discover --option` picks them: a compare
/// design runs the futures once per option, the baseline first, each option's runs in the same
/// order of futures, so the k-th run of an option and the k-th baseline run share their future.
fn select_runs(
    condition: &Condition,
    condition_text: &str,
    kinds: Option<&[String]>,
    option: Option<&str>,
    rows: usize,
) -> Result<(Vec<usize>, Option<Vec<usize>>), Problem> {
    let Some(kinds) = kinds else {
        if let Some(option) = option {
            return Err(Problem::plain(format!(
                "option={option}: the sweep has no `option` column; only a sweep of a compare design (`fulcrum sample \
                 compare`) runs options"
            )));
        }
        return Ok(((0..rows).collect(), None));
    };
    let mut names: Vec<&str> = Vec::new();
    for kind in kinds {
        if !names.contains(&kind.as_str()) {
            names.push(kind);
        }
    }
    let runs_of = |name: &str| -> Vec<usize> { (0..kinds.len()).filter(|&row| kinds[row] == name).collect() };
    let listed = names.iter().map(|name| format!("`{name}`")).collect::<Vec<_>>().join(", ");
    let interventions: Vec<&str> = names.iter().copied().filter(|name| *name != "baseline").collect();
    let chosen = match option {
        Some(option) if names.contains(&option) => Some(option),
        Some(option) => return Err(Problem::plain(format!("option={option}: the sweep's options are {listed}"))),
        None if condition.uses_baseline() => match interventions.as_slice() {
            [only] => Some(*only),
            _ => {
                return Err(Problem::plain(format!(
                    "where \"{condition_text}\" compares with `baseline`, and the sweep runs {} interventions; pick \
                     the one to analyse with option=NAME; the options are {listed}",
                    interventions.len()
                )));
            }
        },
        None => None,
    };
    let selected = chosen.map_or_else(|| (0..rows).collect(), runs_of);
    if !condition.uses_baseline() {
        return Ok((selected, None));
    }
    let baseline = runs_of("baseline");
    if baseline.len() != selected.len() {
        return Err(Problem::plain(format!(
            "{} baseline runs but {} runs of option `{}`; a compare design runs every option in the same futures",
            baseline.len(),
            selected.len(),
            chosen.unwrap_or("baseline")
        )));
    }
    Ok((selected, Some(baseline)))
}

/// A condition's problem with the condition and a caret under the part at fault, as
/// `fulcrum discover --where` shows it.
fn condition_problem(text: &str, error: &ConditionError) -> Problem {
    let span = error.span();
    let start = text.get(..span.start.min(text.len())).map_or(0, |before| before.chars().count());
    let width =
        text.get(span.start.min(text.len())..span.end.min(text.len())).map_or(1, |part| part.chars().count().max(1));
    Problem {
        column: Some(start + 1),
        ..Problem::plain(format!(
            "where, column {}: {error}\n  | {text}\n  | {}{}",
            start + 1,
            " ".repeat(start),
            "^".repeat(width)
        ))
    }
}

/// Named columns of numbers: the names, and each column's values by run.
pub type Columns = (Vec<String>, Vec<Vec<f64>>);

/// A sweep's folder as `fulcrum discover` reads it: the inputs (from experiments.csv, with the
/// option of each run of a compare design) and the outcomes (from outcomes.csv).
pub fn read_sweep(path: &Path) -> Result<SweepRuns, Problem> {
    let hint = "give the -o folder of `fulcrum sweep` (or of `fulcrum merge`), or a SweepResult";
    let sweep = SweepDir::open(path).map_err(|error| match error {
        ReportError::Read { source, .. } => Problem::plain(format!(
            "{}: not a sweep's folder (cannot read manifest.json: {source}); {hint}",
            path.display()
        )),
        ReportError::Json { path: manifest, source, .. } => {
            Problem::plain(format!("{}: not a sweep's manifest: {source}; {hint}", manifest.display()))
        }
        other => Problem::plain(other.to_string()),
    })?;
    let manifest = &sweep.manifest;
    if manifest.shard.is_some() {
        return Err(Problem::plain(format!(
            "{}: a shard of a sweep, not the whole sweep; join the shards with `fulcrum merge` first",
            path.display()
        )));
    }
    let runs = manifest.runs[1].saturating_sub(manifest.runs[0]);
    let names: Vec<&str> = manifest.outcomes.iter().map(String::as_str).collect();
    let flat = sweep.outcomes(&names, runs).map_err(|error| Problem::plain(error.to_string()))?;
    let outcome_columns: Vec<Vec<f64>> =
        (0..names.len()).map(|index| flat.iter().skip(index).step_by(names.len().max(1)).copied().collect()).collect();
    let inputs = read_inputs(&sweep).map_err(|error| Problem::plain(error.to_string()))?;
    let rows = outcome_columns.first().map_or(runs as usize, Vec::len);
    if let Some(column) = inputs.columns.first()
        && column.len() != rows
    {
        return Err(Problem::plain(format!(
            "{}: {} runs, but outcomes.csv has {rows}; the folder's files are not from one sweep",
            sweep.path.join("experiments.csv").display(),
            column.len()
        )));
    }
    Ok(SweepRuns {
        inputs: (inputs.names, inputs.columns),
        outcomes: (manifest.outcomes.clone(), outcome_columns),
        options: inputs.options,
    })
}

/// A calibration's results: the constants' names; fit.csv's values (the constants, then log
/// posterior, log-likelihood, log prior, sum of squares); the draws (row-major) and their log
/// posterior; diagnostics.csv's rows (best, mean, sd, q05, median, q95, r_hat, ess_bulk,
/// ess_tail, tau); whether the posterior converged; and the sampler's walkers, steps, burn-in,
/// thinning and acceptance.
pub struct Calibrated {
    pub names: Vec<String>,
    pub fit: Vec<f64>,
    pub draws: Vec<f64>,
    pub log_posterior: Vec<f64>,
    pub diagnostics: Vec<f64>,
    pub converged: bool,
    pub sampler: (usize, usize, usize, usize, f64),
}

/// The overrides of a `[calibration]` table's settings.
#[derive(Clone, Copy, Debug)]
pub struct CalibrationSettings {
    pub seed: Option<u64>,
    pub threads: Option<usize>,
    pub draws: Option<u64>,
    pub restarts: Option<u64>,
    pub walkers: Option<u64>,
}

/// Runs `fulcrum calibrate` on the experiment's `[calibration]` table, with its settings as
/// `overrides` change them.
pub fn calibrate(prepared: &Prepared, overrides: CalibrationSettings) -> Result<Calibrated, Problem> {
    let experiment = &prepared.experiment;
    let Some(table) = &experiment.calibration else {
        return Err(Problem {
            path: Some(prepared.path.display().to_string()),
            ..Problem::plain(format!(
                "{} has no [calibration] table: add one with `data`, `constants` and `likelihood` (see the README's \
                 Calibration section)",
                prepared.path.display()
            ))
        });
    };
    let mut table = table.clone();
    for (name, value, max, slot) in [
        ("draws", overrides.draws, 100_000_000, &mut table.draws),
        ("restarts", overrides.restarts, 10_000, &mut table.restarts),
        ("walkers", overrides.walkers, 10_000, &mut table.walkers),
    ] {
        if let Some(value) = value {
            if !(1..=max).contains(&value) {
                return Err(Problem::plain(format!("{name}: {value} must be a whole number from 1 to {max}")));
            }
            *slot = Some((value, table.span));
        }
    }
    let data_path = prepared.path.parent().unwrap_or(Path::new("")).join(&table.data.0);
    let text = std::fs::read_to_string(&data_path).map_err(|error| Problem {
        path: Some(data_path.display().to_string()),
        ..Problem::plain(format!("cannot read {}: {error}", data_path.display()))
    })?;
    let time_unit = prepared.model.model.sim.time_units.clone();
    let history = read_history(&text, &prepared.compiled, time_unit.as_deref())
        .map_err(|problems| Problem::from_diagnostics(&data_path, &text, &problems))?;
    let problem = Fit::new(&prepared.compiled, experiment, &prepared.plan.baseline, &history)
        .map_err(|problems| Problem::from_diagnostics(&prepared.path, &prepared.text, &problems))?;
    let seed = overrides.seed.unwrap_or(experiment.sampling.seed);
    let threads = match overrides.threads {
        Some(threads) => threads.max(1),
        None => std::thread::available_parallelism().map_or(1, usize::from),
    };
    let settings = Settings { threads, ..Settings::for_experiment(&table, seed) };
    let calibrated = fulcrum_calibrate::calibrate(&problem, &settings);
    let names: Vec<String> = problem.parameters.iter().map(|parameter| parameter.name.clone()).collect();
    let optimum = &calibrated.optimum;
    let score = &optimum.score;
    let mut fit = optimum.point.clone();
    fit.extend([score.log_posterior(), score.log_likelihood, score.log_prior, score.sum_of_squares]);
    let posterior = &calibrated.posterior;
    let draws = posterior.draws.iter().flatten().copied().collect();
    let diagnostics = diagnostics_rows(&problem, &calibrated)
        .iter()
        .flat_map(|row| {
            [row.best, row.mean, row.sd, row.q05, row.median, row.q95, row.r_hat, row.ess_bulk, row.ess_tail, row.tau]
        })
        .collect();
    Ok(Calibrated {
        names,
        fit,
        draws,
        log_posterior: posterior.log_posterior.clone(),
        diagnostics,
        converged: posterior.converged,
        sampler: (posterior.walkers, posterior.steps, posterior.burn_in, posterior.thinning, posterior.acceptance),
    })
}
