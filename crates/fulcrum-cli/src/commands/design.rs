//! Designs: the runs a sweep or an analysis needs, planned from an experiment and a command's
//! flags. `fulcrum sample` writes one (experiments.csv and design.json); `fulcrum sweep
//! --design` plans it again from design.json and runs it, or one shard of it; an analysis's
//! `--from` plans it again and reads the sweep's outcomes instead of running the model.
//!
//! A design is stored as the flags that shape it rather than as rows to read back: planning is
//! deterministic, and the SHA-256 of the rows (as experiments.csv) is recorded and checked
//! wherever the design is planned again, so a different fulcrum or a changed experiment is
//! refused rather than run.

use std::path::{Path, PathBuf};

use clap::Parser;
use fulcrum_explore::experiment::Setting;
use fulcrum_explore::{Design, Inputs, Table};
use fulcrum_report::format_number;
use fulcrum_report::sweep::{
    DesignManifest, DesignPart, FileDigest, Manifest, SampledDesign, experiments_sha256, write_design,
};
use fulcrum_sensitivity::evaluate::Evaluation;
use fulcrum_sim::{CompiledModel, VarId};

use crate::CliError;
use crate::args::{AnalysisArgs, Cli, Command, SampleArgs, SampleCommand, SampleSweepArgs};
use crate::commands::analysis::Analysis;
use crate::commands::{compare, leverage, sensitivity};
use crate::experiment::{Prepared, prepare};
use crate::load::cannot_read;

/// The rows of a design and what every run gets.
pub struct Runs {
    /// The rows.
    pub inputs: Rows,
    /// Settings every run gets (a table's options add their own).
    pub settings: Vec<Setting>,
    /// What the run ranges are.
    pub parts: Vec<DesignPart>,
    /// A variable whose trajectories the analysis reads (`--over-time`).
    pub series: Option<VarId>,
}

/// A design's rows: an experiment's sample, or rows written out.
pub enum Rows {
    /// The experiment's sampler (and grid).
    Sample(Design),
    /// A method's rows.
    Table(Table),
}

impl Runs {
    /// The rows as a sweep takes them.
    pub fn inputs(&self) -> &dyn Inputs {
        match &self.inputs {
            Rows::Sample(design) => design,
            Rows::Table(table) => table,
        }
    }

    /// How many runs.
    pub fn count(&self) -> u64 {
        match &self.inputs {
            Rows::Sample(design) => design.runs(),
            Rows::Table(table) => table.runs(),
        }
    }

    /// The constants the rows set, by name: the columns of experiments.csv after `run`.
    pub fn columns<'m>(&self, compiled: &'m CompiledModel) -> Vec<&'m str> {
        let constants = compiled.constants();
        self.inputs().constants().iter().map(|&c| constants.get(c).map_or("", |c| c.name.as_str())).collect()
    }

    /// The SHA-256 of the design's experiments.csv.
    pub fn sha256(&self, compiled: &CompiledModel) -> String {
        let inputs = self.inputs();
        experiments_sha256(&self.columns(compiled), self.count(), |run, row| inputs.row(run, row))
    }

    /// One part covering every run.
    pub fn whole(name: &str, runs: u64) -> Vec<DesignPart> {
        vec![DesignPart { name: name.to_owned(), runs: [0, runs] }]
    }
}

/// Plans a command's design: the experiment read and checked, and the runs.
pub fn plan(command: &SampleCommand) -> Result<(Prepared, Runs), CliError> {
    match command {
        SampleCommand::Sweep(args) => plan_sweep(args),
        SampleCommand::Sensitivity(args) => {
            let analysis = Analysis::start(&args.common, args.samples, "sensitivity")?;
            let plan = sensitivity::plan(args, &analysis)?;
            Ok((analysis.prepared, plan.runs))
        }
        SampleCommand::Leverage(args) => {
            let analysis = Analysis::start(&args.common, args.futures, "leverage")?;
            let plan = leverage::plan(args, &analysis)?;
            Ok((analysis.prepared, plan.runs))
        }
        SampleCommand::Compare(args) => {
            let analysis = Analysis::start(&args.common, args.futures, "compare")?;
            let plan = compare::plan(&analysis)?;
            Ok((analysis.prepared, plan.runs))
        }
    }
}

fn plan_sweep(args: &SampleSweepArgs) -> Result<(Prepared, Runs), CliError> {
    let design = &args.design;
    let prepared = prepare(&args.experiment, |experiment| {
        let sampling = &mut experiment.sampling;
        if let Some(sampler) = design.sampler {
            sampling.sampler = sampler;
        }
        if let Some(runs) = design.runs {
            if let fulcrum_explore::Sampler::Grid { .. } = sampling.sampler {
                return Err(CliError::Usage(
                    "--runs: a grid sample's size is `levels` per uncertain constant; change `levels` instead"
                        .to_owned(),
                ));
            }
            (sampling.runs, sampling.runs_span) = (runs, None);
        }
        if let Some(seed) = design.seed {
            sampling.seed = seed;
        }
        for axis in &design.grid {
            let name = fulcrum_model::CanonicalName::new(&axis.name);
            sampling.grid.retain(|existing| fulcrum_model::CanonicalName::new(&existing.name) != name);
            sampling.grid.push(axis.clone());
        }
        Ok(())
    })?;
    let (settings, intervention) = prepared.settings(design.intervention.as_deref())?;
    let sample = prepared.plan.design.clone();
    let runs = sample.runs();
    let part = intervention.unwrap_or_else(|| "baseline".to_owned());
    Ok((prepared, Runs { inputs: Rows::Sample(sample), settings, parts: Runs::whole(&part, runs), series: None }))
}

/// `fulcrum sample`: writes a command's design without running it.
pub fn sample(args: &SampleArgs) -> Result<(), CliError> {
    let command = &args.design;
    if let Some(common) = analysis_args(command)
        && common.from.is_some()
    {
        return Err(CliError::Usage("--from: `fulcrum sample` writes a design; it does not read one".to_owned()));
    }
    let output = output_of(command);
    let (prepared, runs) = plan(command)?;
    let force =
        analysis_args(command).map_or_else(|| matches!(command, SampleCommand::Sweep(a) if a.force), |a| a.force);
    crate::commands::output::claim(output, &FileDigest::of("", prepared.text.as_bytes()).sha256, &[], force)?;
    let manifest = DesignManifest {
        tool: "fulcrum".to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        model: FileDigest::of(prepared.experiment.model.clone(), prepared.model.source.as_bytes()),
        experiment: FileDigest::of(prepared.path.display().to_string(), prepared.text.as_bytes()),
        design: SampledDesign {
            command: command.name().to_owned(),
            arguments: arguments(command),
            runs: runs.count(),
            parts: runs.parts.clone(),
            experiments_sha256: String::new(),
        },
    };
    let inputs = runs.inputs();
    write_design(output, &runs.columns(&prepared.compiled), |run, row| inputs.row(run, row), manifest)
        .map_err(|error| CliError::Io(error.into()))?;
    eprintln!(
        "{} runs → {}/experiments.csv\nrun them with: fulcrum sweep {} --design {} -o RESULTS [--shard K/N]",
        runs.count(),
        output.display(),
        prepared.path.display(),
        output.display()
    );
    Ok(())
}

/// The analysis flags of a command, if it is an analysis.
fn analysis_args(command: &SampleCommand) -> Option<&AnalysisArgs> {
    match command {
        SampleCommand::Sweep(_) => None,
        SampleCommand::Sensitivity(args) => Some(&args.common),
        SampleCommand::Leverage(args) => Some(&args.common),
        SampleCommand::Compare(args) => Some(&args.common),
    }
}

fn output_of(command: &SampleCommand) -> &Path {
    match command {
        SampleCommand::Sweep(args) => &args.output,
        SampleCommand::Sensitivity(args) => &args.common.output,
        SampleCommand::Leverage(args) => &args.common.output,
        SampleCommand::Compare(args) => &args.common.output,
    }
}

/// The flags that shape a command's design, written out so that [`recorded`] can parse them
/// back into the same design.
fn arguments(command: &SampleCommand) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut flag = |name: &str, value: Option<String>| {
        out.push(name.to_owned());
        out.extend(value);
    };
    let seed = |common: &AnalysisArgs| common.seed;
    match command {
        SampleCommand::Sweep(args) => {
            let design = &args.design;
            if let Some(runs) = design.runs {
                flag("--runs", Some(runs.to_string()));
            }
            if let Some(seed) = design.seed {
                flag("--seed", Some(seed.to_string()));
            }
            if let Some(sampler) = design.sampler {
                flag("--sampler", Some(sampler.as_str().to_owned()));
            }
            for axis in &design.grid {
                let values: Vec<String> = axis.values.iter().map(|v| format_number(*v)).collect();
                flag("--grid", Some(format!("{}={}", axis.name, values.join(","))));
            }
            if let Some(intervention) = &design.intervention {
                flag("--intervention", Some(intervention.clone()));
            }
        }
        SampleCommand::Sensitivity(args) => {
            if let Some(method) = args.method {
                flag("--method", Some(method.as_str().to_owned()));
            }
            if let Some(samples) = args.samples {
                flag("--samples", Some(samples.to_string()));
            }
            if args.second_order {
                flag("--second-order", None);
            }
            flag("--levels", Some(args.levels.to_string()));
            if let Some(pool) = args.optimize {
                flag("--optimize", Some(pool.to_string()));
            }
            flag("--step", Some(format_number(args.step)));
            if let Some(variable) = &args.over_time {
                flag("--over-time", Some(variable.clone()));
            }
            for (name, members) in &args.group {
                flag("--group", Some(format!("{name}={}", members.join(","))));
            }
            if let Some(seed) = seed(&args.common) {
                flag("--seed", Some(seed.to_string()));
            }
        }
        SampleCommand::Leverage(args) => {
            if let Some(futures) = args.futures {
                flag("--futures", Some(futures.to_string()));
            }
            flag("--delta", Some(format_number(args.delta)));
            if args.no_cross_check {
                flag("--no-cross-check", None);
            }
            if let Some(seed) = seed(&args.common) {
                flag("--seed", Some(seed.to_string()));
            }
        }
        SampleCommand::Compare(args) => {
            if let Some(futures) = args.futures {
                flag("--futures", Some(futures.to_string()));
            }
            if let Some(seed) = seed(&args.common) {
                flag("--seed", Some(seed.to_string()));
            }
        }
    }
    out
}

/// A recorded design's flags parsed back into its command, for `experiment` and writing to
/// `output`; `origin` names the file they came from.
fn recorded(
    design: &SampledDesign,
    experiment: &Path,
    output: &Path,
    origin: &Path,
) -> Result<SampleCommand, CliError> {
    if !["sweep", "sensitivity", "leverage", "compare"].contains(&design.command.as_str()) {
        return Err(CliError::Input(format!(
            "{}: `{}` is not a command with a design (sweep, sensitivity, leverage, compare)",
            origin.display(),
            design.command
        )));
    }
    let mut argv: Vec<String> = vec!["fulcrum".into(), "sample".into(), design.command.clone()];
    argv.push(experiment.display().to_string());
    argv.extend(["-o".to_owned(), output.display().to_string()]);
    argv.extend(design.arguments.iter().cloned());
    match Cli::try_parse_from(&argv) {
        Ok(Cli { command: Command::Sample(SampleArgs { design }) }) => Ok(design),
        Ok(_) => Err(CliError::Input(format!("{}: not a design", origin.display()))),
        Err(error) => Err(CliError::Input(format!(
            "{}: the design's flags do not parse ({}): {}",
            origin.display(),
            design.arguments.join(" "),
            error.kind()
        ))),
    }
}

/// Checks that the experiment read now is the one the design was planned from, and that
/// planning it again gives the same rows.
fn check_same(
    origin: &Path,
    (model, experiment): (&FileDigest, &FileDigest),
    design: &SampledDesign,
    prepared: &Prepared,
    runs: &Runs,
) -> Result<(), CliError> {
    let now = FileDigest::of(prepared.path.display().to_string(), prepared.text.as_bytes());
    if now.sha256 != experiment.sha256 {
        return Err(CliError::Input(format!(
            "{}: the experiment {} is not the one the design was sampled from ({}): its bytes differ",
            origin.display(),
            prepared.path.display(),
            experiment.path
        )));
    }
    if FileDigest::of("", prepared.model.source.as_bytes()).sha256 != model.sha256 {
        return Err(CliError::Input(format!(
            "{}: the model {} has changed since the design was sampled",
            origin.display(),
            prepared.experiment.model
        )));
    }
    if runs.count() != design.runs
        || runs.parts != design.parts
        || runs.sha256(&prepared.compiled) != design.experiments_sha256
    {
        return Err(CliError::Input(format!(
            "{}: planning the design from its flags gives different rows from the ones sampled (was the \
             file edited, or written by another version of fulcrum than {}?); sample it again",
            origin.display(),
            env!("CARGO_PKG_VERSION")
        )));
    }
    Ok(())
}

/// A design read from `DIR/design.json` and planned again, for `fulcrum sweep --design`.
pub struct Sampled {
    pub design: SampledDesign,
    pub prepared: Prepared,
    pub runs: Runs,
}

/// Reads `dir/design.json`, plans its design for `experiment` again and checks it.
pub fn read_design(dir: &Path, experiment: &Path) -> Result<Sampled, CliError> {
    let path = dir.join("design.json");
    let bytes = std::fs::read(&path)
        .map_err(|error| cannot_read(&path, format!("{error} (write a design with `fulcrum sample`)")))?;
    let manifest: DesignManifest = serde_json::from_slice(&bytes)
        .map_err(|error| CliError::Input(format!("{}: not a design.json: {error}", path.display())))?;
    if manifest.tool != "fulcrum" {
        return Err(CliError::Input(format!("{}: not written by fulcrum", path.display())));
    }
    let command = recorded(&manifest.design, experiment, dir, &path)?;
    let (prepared, runs) = plan(&command)?;
    check_same(&path, (&manifest.model, &manifest.experiment), &manifest.design, &prepared, &runs)?;
    Ok(Sampled { design: manifest.design, prepared, runs })
}

/// A whole sweep of a design, for an analysis's `--from`.
pub struct FromSweep {
    /// The sweep's directory.
    pub dir: PathBuf,
    /// Its manifest.
    pub manifest: Manifest,
    /// The design it ran.
    pub design: SampledDesign,
    /// The design's command with the flags it was sampled with.
    pub command: SampleCommand,
}

impl FromSweep {
    /// With `--from DIR`: the sweep's manifest, checked to be a whole sweep of a `command`
    /// design, and the design's flags for the experiment given (or the one it recorded).
    pub fn open(common: &AnalysisArgs, command: &str) -> Result<Option<FromSweep>, CliError> {
        let Some(dir) = &common.from else { return Ok(None) };
        if !dir.is_dir() {
            return Err(cannot_read(dir, "no such folder (--from takes the folder a sweep wrote)"));
        }
        let path = dir.join("manifest.json");
        let bytes = std::fs::read(&path).map_err(|error| cannot_read(&path, error))?;
        let manifest: Manifest = serde_json::from_slice(&bytes)
            .map_err(|error| CliError::Input(format!("{}: not a sweep's manifest: {error}", path.display())))?;
        let Some(design) = manifest.design.clone() else {
            return Err(CliError::Input(format!(
                "{}: this sweep ran the experiment's own sample; --from reads sweeps of a design from \
                 `fulcrum sample {command} ...` (run with `fulcrum sweep EXPERIMENT --design DESIGN_DIR`)",
                dir.display()
            )));
        };
        if design.command != command {
            return Err(CliError::Input(format!(
                "{}: the sweep ran a design for `fulcrum {}`, not for `fulcrum {command}`",
                dir.display(),
                design.command
            )));
        }
        if let Some(shard) = manifest.shard {
            return Err(CliError::Input(format!(
                "{}: this is shard {} of {}; join the shards with `fulcrum merge` and analyse the result",
                dir.display(),
                shard.index,
                shard.count
            )));
        }
        if manifest.runs != [0, design.runs] {
            return Err(CliError::Input(format!(
                "{}: the sweep holds runs {} to {} of the design's {}",
                dir.display(),
                manifest.runs[0],
                manifest.runs[1],
                design.runs
            )));
        }
        let experiment = common.experiment.clone().unwrap_or_else(|| PathBuf::from(&manifest.experiment.path));
        let command = recorded(&design, &experiment, &common.output, &path)?;
        Ok(Some(FromSweep { dir: dir.clone(), manifest, design, command }))
    }

    /// Checks the design planned now against the sweep's, then reads its outcomes (and the
    /// series' trajectories) in run order.
    pub fn evaluation(&self, prepared: &Prepared, runs: &Runs) -> Result<Evaluation, CliError> {
        let origin = self.dir.join("manifest.json");
        check_same(&origin, (&self.manifest.model, &self.manifest.experiment), &self.design, prepared, runs)?;
        let outcomes: Vec<&str> = prepared.plan.outcomes.iter().map(|o| o.name.as_str()).collect();
        let mut evaluation = Evaluation {
            outcomes: read_outcomes(&self.dir.join("outcomes.csv"), &outcomes, self.design.runs)?,
            series: Vec::new(),
            failed_runs: self.manifest.failures,
        };
        if let Some(variable) = runs.series {
            let axis = prepared.compiled.axis();
            let name = prepared.compiled.name(variable);
            evaluation.series = read_series(&self.dir.join("runs.csv"), name, &axis.save_times(), self.design.runs)?;
        }
        // Files that read well must still be the bytes the sweep wrote.
        let mut files = vec!["outcomes.csv"];
        files.extend(runs.series.map(|_| "runs.csv"));
        for name in files {
            let path = self.dir.join(name);
            let recorded = self.manifest.files.iter().find(|file| file.path == name);
            let actual = FileDigest::sha256_of_file(&path).map_err(|error| cannot_read(&path, error))?;
            if recorded.is_none_or(|file| file.sha256 != actual) {
                return Err(CliError::Input(format!(
                    "{}: its SHA-256 is not the one {} records: the file was changed after the sweep",
                    path.display(),
                    origin.display()
                )));
            }
        }
        Ok(evaluation)
    }
}

/// A CSV reader's position as `file:line`.
fn at(path: &Path, record: &csv::StringRecord) -> String {
    format!("{}:{}", path.display(), record.position().map_or(0, |p| p.line()))
}

fn open_csv(path: &Path) -> Result<csv::Reader<std::fs::File>, CliError> {
    csv::ReaderBuilder::new().flexible(true).from_path(path).map_err(|error| cannot_read(path, error))
}

fn csv_error(path: &Path, error: csv::Error) -> CliError {
    CliError::Input(format!("{}: {error}", path.display()))
}

/// outcomes.csv: `run`, then `names`, one row per run in order; empty cells are NaN.
fn read_outcomes(path: &Path, names: &[&str], runs: u64) -> Result<Vec<f64>, CliError> {
    let mut reader = open_csv(path)?;
    let header = reader.headers().map_err(|error| csv_error(path, error))?.clone();
    let expected: Vec<&str> = std::iter::once("run").chain(names.iter().copied()).collect();
    if header.iter().collect::<Vec<_>>() != expected {
        return Err(CliError::Input(format!(
            "{}:1: the columns are not `{}`, the experiment's outcomes",
            path.display(),
            expected.join(",")
        )));
    }
    let mut values = Vec::with_capacity(runs as usize * names.len());
    let mut next = 0u64;
    for record in reader.records() {
        let record = record.map_err(|error| csv_error(path, error))?;
        if record.len() != expected.len() {
            return Err(CliError::Input(format!(
                "{}: {} fields where the header has {}",
                at(path, &record),
                record.len(),
                expected.len()
            )));
        }
        if record.get(0) != Some(next.to_string().as_str()) {
            return Err(CliError::Input(format!("{}: expected run {next}", at(path, &record))));
        }
        for (column, cell) in record.iter().enumerate().skip(1) {
            values.push(number(cell).ok_or_else(|| {
                CliError::Input(format!("{}, column {}: `{cell}` is not a number", at(path, &record), column + 1))
            })?);
        }
        next += 1;
    }
    if next != runs {
        return Err(CliError::Input(format!("{}: {next} runs where the design has {runs}", path.display())));
    }
    Ok(values)
}

/// runs.csv (`run,time,variable,value`): `variable` at each saved time of each run, NaN
/// where a run has none (it failed).
fn read_series(path: &Path, variable: &str, times: &[f64], runs: u64) -> Result<Vec<f64>, CliError> {
    let saves = times.len();
    let mut series = vec![f64::NAN; runs as usize * saves];
    let mut reader = open_csv(path)?;
    for record in reader.records() {
        let record = record.map_err(|error| csv_error(path, error))?;
        if record.get(2) != Some(variable) {
            continue;
        }
        let field = |index: usize| record.get(index).and_then(number);
        let (Some(run), Some(time), Some(value)) =
            (record.get(0).and_then(|r| r.parse::<u64>().ok()), field(1), field(3))
        else {
            return Err(CliError::Input(format!("{}: not `run,time,variable,value`", at(path, &record))));
        };
        let Some(save) = times.iter().position(|t| *t == time).filter(|_| run < runs) else {
            return Err(CliError::Input(format!(
                "{}: run {run} at time {time} is not a run and saved time of the design",
                at(path, &record)
            )));
        };
        series[run as usize * saves + save] = value;
    }
    Ok(series)
}

/// A cell as a number: empty is NaN (a failed run, a threshold never crossed).
fn number(cell: &str) -> Option<f64> {
    if cell.is_empty() { Some(f64::NAN) } else { cell.parse().ok() }
}
