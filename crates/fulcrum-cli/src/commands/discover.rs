//! `fulcrum discover`: PRIM scenario discovery over a finished sweep. The library finds the box
//! (`fulcrum_decide::prim`) and writes the files (`fulcrum_report::discover_files`); this reads
//! the flags and the sweep, and says the box in words.

use std::fmt::Write as _;
use std::path::PathBuf;

use fulcrum_decide::prim::condition::{Condition, ConditionError, Table};
use fulcrum_decide::prim::{Inputs, Options, PrimError, discover as run_prim};
use fulcrum_report::discover_files::{read_inputs, write_discovery};
use fulcrum_report::{ReportError, SweepDir};

use crate::CliError;
use crate::commands::{output, print_stdout};

/// `fulcrum discover`.
#[derive(clap::Args, Debug)]
pub struct DiscoverArgs {
    /// The output directory of `fulcrum sweep` (or `fulcrum merge`).
    #[arg(value_name = "SWEEP_DIR")]
    pub sweep: PathBuf,
    /// Which runs are the cases of interest: a condition over outcome columns, such as
    /// "final backlog > 5000" (operators > >= < <= == !=, joined by `and` and `or`).
    #[arg(long = "where", value_name = "CONDITION")]
    pub condition: String,
    /// The directory to write trajectory.csv, box.csv and discover.svg into.
    #[arg(short, long, value_name = "DIR")]
    pub output: PathBuf,
    /// The density the selected box must reach: the last box at or above it is selected.
    #[arg(long, value_name = "D", default_value_t = 0.8)]
    pub threshold: f64,
    /// The share of a box's runs removed by one peel.
    #[arg(long, value_name = "A", default_value_t = 0.05)]
    pub peel_alpha: f64,
    /// The share of the runs just outside a limit added back by one paste.
    #[arg(long, value_name = "A", default_value_t = 0.05)]
    pub paste_alpha: f64,
    /// The smallest share of the runs a box may hold.
    #[arg(long, value_name = "M", default_value_t = 0.05)]
    pub mass_min: f64,
    /// In a sweep of a compare design, the option whose runs are analysed (an intervention's name,
    /// or `baseline`); needed with `baseline` in the condition when the design has several
    /// interventions.
    #[arg(long, value_name = "NAME")]
    pub option: Option<String>,
    /// Select box N of the trajectory (0 is all runs) instead of the last one at the threshold.
    #[arg(long = "box", value_name = "N")]
    pub box_index: Option<usize>,
    /// Write into the output directory even if it holds another experiment's results.
    #[arg(long)]
    pub force: bool,
}

pub fn discover(args: &DiscoverArgs) -> Result<(), CliError> {
    let options = Options {
        peel_alpha: args.peel_alpha,
        paste_alpha: args.paste_alpha,
        mass_min: args.mass_min,
        threshold: args.threshold,
    };
    options.check().map_err(|error| match error {
        PrimError::Option { name, value, range } => {
            CliError::Usage(format!("--{} {value}: it must be {range}", name.replace('_', "-")))
        }
        other => CliError::Usage(other.to_string()),
    })?;
    let condition = Condition::parse(&args.condition).map_err(|error| condition_error(&args.condition, &error))?;

    let sweep = open_sweep(&args.sweep)?;
    let manifest = &sweep.manifest;
    if manifest.shard.is_some() {
        return Err(CliError::Input(format!(
            "{}: a shard of a sweep, not the whole sweep\n  hint: join the shards with `fulcrum merge` first",
            args.sweep.display()
        )));
    }
    let runs = manifest.runs[1].saturating_sub(manifest.runs[0]);
    let names: Vec<&str> = manifest.outcomes.iter().map(String::as_str).collect();
    let flat = sweep.outcomes(&names, runs).map_err(report_error)?;
    let outcome_columns: Vec<Vec<f64>> =
        (0..names.len()).map(|index| flat.iter().skip(index).step_by(names.len().max(1)).copied().collect()).collect();
    let inputs = read_inputs(&sweep).map_err(report_error)?;
    let rows = outcome_columns.first().map_or(runs as usize, Vec::len);
    if let Some(column) = inputs.columns.first()
        && column.len() != rows
    {
        return Err(CliError::Input(format!(
            "{}: {} runs, but outcomes.csv has {rows}; the folder's files are not from one sweep",
            sweep.path.join("experiments.csv").display(),
            column.len()
        )));
    }
    let Runs { selected, baseline: baseline_rows, option } =
        select_runs(args, &condition, inputs.options.as_deref(), rows)?;
    let pick = |column: &Vec<f64>, at: &[usize]| -> Vec<f64> { at.iter().map(|&row| column[row]).collect() };
    let outcomes: Vec<Vec<f64>> = outcome_columns.iter().map(|column| pick(column, &selected)).collect();
    let baselines: Option<Vec<Vec<f64>>> =
        baseline_rows.as_ref().map(|at| outcome_columns.iter().map(|column| pick(column, at)).collect());
    let table = Table { names: &manifest.outcomes, columns: &outcomes, baseline: baselines.as_deref() };
    let met = condition.evaluate(&table).map_err(|error| condition_error(&args.condition, &error))?;

    // Runs with no value in a column the condition names (failed runs, thresholds never crossed),
    // or whose baseline has none, can be counted neither in nor out, so they are left out and counted.
    let used: Vec<usize> = condition
        .columns()
        .iter()
        .filter_map(|name| manifest.outcomes.iter().position(|outcome| outcome == name))
        .collect();
    let has_value = |row: usize| {
        used.iter().all(|&column| {
            !outcomes[column][row].is_nan() && baselines.as_ref().is_none_or(|values| !values[column][row].is_nan())
        })
    };
    let kept: Vec<usize> = (0..selected.len()).filter(|&row| has_value(row)).collect();
    let left_out = selected.len() - kept.len();
    let columns: Vec<Vec<f64>> =
        inputs.columns.iter().map(|column| kept.iter().map(|&row| column[selected[row]]).collect()).collect();
    let cases: Vec<bool> = kept.iter().map(|&row| met[row]).collect();
    let prim_inputs = Inputs::new(inputs.names.clone(), columns).map_err(|error| prim_error(args, &error))?;
    let found = run_prim(&prim_inputs, &cases, &options).map_err(|error| prim_error(args, &error))?;

    let chosen = match args.box_index {
        Some(index) if index < found.trajectory.len() => index,
        Some(index) => {
            return Err(CliError::Usage(format!(
                "--box {index}: the trajectory has {} boxes, 0 to {}",
                found.trajectory.len(),
                found.trajectory.len() - 1
            )));
        }
        None => found.selected().ok_or_else(|| {
            let densest = found.trajectory.iter().map(|stats| stats.density).fold(0.0, f64::max);
            CliError::Input(format!(
                "--where \"{}\": no box reaches density {} (the densest holds {:.0}% cases of interest)\n  hint: lower \
                 --threshold, or pick a box of the trajectory with --box N",
                args.condition,
                args.threshold,
                densest * 100.0
            ))
        })?,
    };

    output::claim(&args.output, &manifest.experiment.sha256, &[&args.sweep], args.force)?;
    std::fs::create_dir_all(&args.output)
        .map_err(|error| CliError::Io(anyhow::anyhow!("cannot create {}: {error}", args.output.display())))?;
    let title = format!("Where `{}` holds", args.condition);
    write_discovery(&args.output, &found, chosen, &title).map_err(|error| CliError::Io(error.into()))?;

    let scope = option.map(|option| match baselines {
        Some(_) => format!("Runs of option `{option}`, each against the baseline run of its future."),
        None => format!("Runs of option `{option}`."),
    });
    print_stdout(&describe(args, &found, chosen, scope.as_deref(), cases.len(), left_out))
}

/// The discovery in words.
fn describe(
    args: &DiscoverArgs,
    found: &fulcrum_decide::prim::Discovery,
    chosen: usize,
    scope: Option<&str>,
    rows: usize,
    left_out: usize,
) -> String {
    let stats = &found.trajectory[chosen];
    let total_cases = found.trajectory[0].cases;
    let mut out = String::new();
    if let Some(scope) = scope {
        let _ = writeln!(out, "{scope}");
    }
    let _ = writeln!(
        out,
        "`{}` holds in {total_cases} of {rows} runs ({:.0}%).",
        args.condition,
        100.0 * total_cases as f64 / rows as f64
    );
    if left_out > 0 {
        let _ = writeln!(out, "{left_out} runs left out: they have no value in a column the condition names.");
    }
    let restrictions = found.restrictions(chosen);
    let which = if args.box_index.is_some() {
        format!("box {chosen} of {}", found.trajectory.len())
    } else {
        format!("box {chosen} of {}, the last at or above density {}", found.trajectory.len(), args.threshold)
    };
    if restrictions.is_empty() {
        let _ = writeln!(out, "The selected box ({which}) restricts no input: it is every run.");
    } else {
        let _ = writeln!(
            out,
            "It holds when {} (covers {:.0}% of those runs; {:.0}% of the runs in the box meet it; {which}).",
            restrictions.join(" and "),
            100.0 * stats.coverage,
            100.0 * stats.density
        );
    }
    let quasi_p = found.quasi_p(chosen);
    if !quasi_p.is_empty() {
        let listed: Vec<String> = quasi_p
            .iter()
            .map(|value| {
                let smallest = [value.low, value.high].into_iter().flatten().fold(f64::INFINITY, f64::min);
                format!("{} {smallest:.1e}", found.names()[value.input])
            })
            .collect();
        let _ = writeln!(out, "Quasi-p-values of the limits (small: the limit matters): {}.", listed.join(", "));
    }
    let ranking: Vec<String> = found
        .ranking()
        .iter()
        .take(5)
        .map(|feature| format!("{} {:.2}", found.names()[feature.input], feature.score))
        .collect();
    let _ = writeln!(
        out,
        "Inputs that matter most (Kolmogorov–Smirnov distance between the runs that meet the condition and the \
         others): {}.",
        ranking.join(", ")
    );
    let _ = writeln!(out, "Wrote trajectory.csv, box.csv and discover.svg in {}.", args.output.display());
    out
}

/// The runs analysed, and for each the run of the same future without intervention when the
/// condition compares with `baseline`. A compare design runs the futures once per option, the
/// baseline first, each option's runs in the same order of futures; so the k-th run of an option
/// and the k-th baseline run share their future.
fn select_runs(
    args: &DiscoverArgs,
    condition: &Condition,
    options: Option<&[String]>,
    rows: usize,
) -> Result<Runs, CliError> {
    let Some(options) = options else {
        if let Some(option) = &args.option {
            return Err(CliError::Usage(format!(
                "--option {option}: {} has no `option` column; only a sweep of a compare design (`fulcrum sample \
                 compare`) runs options",
                args.sweep.join("experiments.csv").display()
            )));
        }
        return Ok(Runs { selected: (0..rows).collect(), baseline: None, option: None });
    };
    let mut names: Vec<&str> = Vec::new();
    for option in options {
        if !names.contains(&option.as_str()) {
            names.push(option);
        }
    }
    let runs_of = |name: &str| -> Vec<usize> { (0..options.len()).filter(|&row| options[row] == name).collect() };
    let listed = names.iter().map(|name| format!("`{name}`")).collect::<Vec<_>>().join(", ");
    let interventions: Vec<&str> = names.iter().copied().filter(|name| *name != "baseline").collect();
    let chosen = match &args.option {
        Some(option) if names.contains(&option.as_str()) => Some(option.as_str()),
        Some(option) => {
            return Err(CliError::Usage(format!("--option {option}: the sweep's options are {listed}")));
        }
        None if condition.uses_baseline() => match interventions.as_slice() {
            [only] => Some(*only),
            _ => {
                return Err(CliError::Usage(format!(
                    "--where \"{}\" compares with `baseline`, and the sweep runs {} interventions\n  hint: pick the \
                     one to analyse with --option NAME; the options are {listed}",
                    args.condition,
                    interventions.len()
                )));
            }
        },
        None => None,
    };
    let selected = chosen.map_or_else(|| (0..rows).collect(), runs_of);
    let option = chosen.map(str::to_owned);
    if !condition.uses_baseline() {
        return Ok(Runs { selected, baseline: None, option });
    }
    let baseline = runs_of("baseline");
    if baseline.len() != selected.len() {
        return Err(CliError::Input(format!(
            "{}: {} baseline runs but {} runs of option `{}`; a compare design runs every option in the same futures\n  \
             hint: give the folder of a whole sweep of one `fulcrum sample compare` design",
            args.sweep.join("experiments.csv").display(),
            baseline.len(),
            selected.len(),
            chosen.unwrap_or("baseline")
        )));
    }
    Ok(Runs { selected, baseline: Some(baseline), option })
}

/// The runs `discover` analyses (row numbers of the sweep's files).
struct Runs {
    selected: Vec<usize>,
    /// Each selected run's baseline run, when the condition compares with `baseline`.
    baseline: Option<Vec<usize>>,
    /// The compare design's option the runs apply, when one was picked.
    option: Option<String>,
}

fn open_sweep(path: &std::path::Path) -> Result<SweepDir, CliError> {
    let hint = "hint: give the -o folder of `fulcrum sweep` (or of `fulcrum merge`)";
    match SweepDir::open(path) {
        Ok(sweep) => Ok(sweep),
        Err(ReportError::Read { source, .. }) => Err(CliError::Input(format!(
            "{}: not a sweep's folder (cannot read manifest.json: {source})\n  {hint}",
            path.display()
        ))),
        Err(ReportError::Json { path: manifest, source, .. }) => {
            Err(CliError::Input(format!("{}: not a sweep's manifest: {source}\n  {hint}", manifest.display())))
        }
        Err(other) => Err(CliError::Input(other.to_string())),
    }
}

fn report_error(error: ReportError) -> CliError {
    CliError::Input(error.to_string())
}

/// A condition's error with the condition and a caret under the part at fault.
fn condition_error(text: &str, error: &ConditionError) -> CliError {
    let span = error.span();
    let start = text[..span.start.min(text.len())].chars().count();
    let width = text[span.start.min(text.len())..span.end.min(text.len())].chars().count().max(1);
    let hint = match error {
        ConditionError::NoBaseline { .. } => {
            "\n  hint: write the number, or discover over a sweep of a compare design (`fulcrum sample compare \
             EXPERIMENT -o DESIGN`, then `fulcrum sweep EXPERIMENT --design DESIGN`), which runs each future without \
             intervention too"
        }
        _ => "",
    };
    CliError::Usage(format!(
        "--where, column {}: {error}\n  | {text}\n  | {}{}{hint}",
        start + 1,
        " ".repeat(start),
        "^".repeat(width)
    ))
}

fn prim_error(args: &DiscoverArgs, error: &PrimError) -> CliError {
    match error {
        PrimError::NoCases { rows } => CliError::Input(format!(
            "--where \"{}\": no run meets it ({rows} runs)\n  hint: loosen the condition; outcomes.csv in {} has \
             each run's outcomes",
            args.condition,
            args.sweep.display()
        )),
        PrimError::AllCases { rows } => CliError::Input(format!(
            "--where \"{}\": every run meets it ({rows} runs), so there is nothing to tell apart\n  hint: tighten the \
             condition",
            args.condition
        )),
        PrimError::NoInputs => CliError::Input(format!(
            "{}: the sweep samples no inputs, so there is nothing to restrict",
            args.sweep.join("experiments.csv").display()
        )),
        other => CliError::Input(format!("{}: {other}", args.sweep.display())),
    }
}
