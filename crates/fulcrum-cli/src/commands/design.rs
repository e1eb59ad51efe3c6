//! Designs: the runs a sweep or an analysis needs, planned from an experiment and a command's
//! flags. `fulcrum sample` writes one (experiments.csv and design.json); `fulcrum sweep
//! --design` plans it again from design.json and runs it, or one shard of it; an analysis's
//! `--from` plans it again and reads the sweep's outcomes instead of running the model.
//!
//! A design is stored as the flags that shape it rather than as rows to read back: planning is
//! deterministic, and the SHA-256 of the rows (as experiments.csv) is recorded and checked
//! wherever the design is planned again, so a different fulcrum or a changed experiment is
//! refused rather than run. The planning itself is fulcrum-sensitivity's (the analyses) and
//! fulcrum-explore's (a sweep's sample); this module turns flags into their options.

use std::path::{Path, PathBuf};

use clap::Parser;
use fulcrum_explore::Runs;
use fulcrum_report::ReportError;
use fulcrum_report::format_number;
use fulcrum_report::sweep::{DesignManifest, DesignPart, FileDigest, SampledDesign, runs_sha256, write_design};
use fulcrum_report::sweep_dir::{JsonFile, SweepDir, read_json};
use fulcrum_sensitivity::analysis::{ComparePlan, LeveragePlan, SensitivityPlan};
use fulcrum_sensitivity::evaluate::Evaluation;
use fulcrum_sensitivity::{
    CompareOptions, LeverageOptions, Method, SensitivityOptions, plan_compare, plan_leverage, plan_sensitivity,
};

use crate::CliError;
use crate::args::{
    AnalysisArgs, Cli, Command, CompareArgs, LeverageArgs, SampleArgs, SampleCommand, SampleSweepArgs, SensitivityArgs,
    SensitivityMethod,
};
use crate::commands::analysis::{Analysis, Source, plan_error};
use crate::commands::variables_named;
use crate::experiment::{Prepared, prepare};
use crate::load::cannot_read;

/// Plans a command's design: the experiment read and checked, and the runs.
pub fn plan(command: &SampleCommand) -> Result<(Prepared, Runs), CliError> {
    match command {
        SampleCommand::Sweep(args) => plan_sweep(args),
        SampleCommand::Sensitivity(args) => {
            let analysis = Analysis::start(&args.common, args.samples, "sensitivity")?;
            let plan = sensitivity_plan(args, &analysis)?;
            Ok((analysis.prepared, plan.runs))
        }
        SampleCommand::Leverage(args) => {
            let analysis = Analysis::start(&args.common, args.futures, "leverage")?;
            let plan = leverage_plan(args, &analysis)?;
            Ok((analysis.prepared, plan.runs))
        }
        SampleCommand::Compare(args) => {
            let analysis = Analysis::start(&args.common, args.futures, "compare")?;
            let plan = compare_plan(args, &analysis)?;
            Ok((analysis.prepared, plan.runs))
        }
    }
}

/// The library's name of a method.
pub fn method(method: SensitivityMethod) -> Method {
    match method {
        SensitivityMethod::Oat => Method::Oat,
        SensitivityMethod::Morris => Method::Morris,
        SensitivityMethod::Sobol => Method::Sobol,
        SensitivityMethod::Prcc => Method::Prcc,
        SensitivityMethod::Src => Method::Src,
    }
}

/// Plans a sensitivity method's design from its flags, and says how big it is.
pub fn sensitivity_plan(args: &SensitivityArgs, analysis: &Analysis) -> Result<SensitivityPlan, CliError> {
    let Some(chosen) = args.method else {
        return Err(CliError::Usage("sensitivity: --method is needed".to_owned()));
    };
    let prepared = &analysis.prepared;
    let over_time = match &args.over_time {
        Some(name) => variables_named(&prepared.compiled, std::slice::from_ref(name), "--over-time")?.first().copied(),
        None => None,
    };
    let options = SensitivityOptions {
        method: method(chosen),
        samples: prepared.plan.design.samples as usize,
        seed: analysis.seed,
        second_order: args.second_order,
        levels: args.levels,
        optimize: args.optimize,
        step: args.step,
        over_time,
        groups: args.group.clone(),
        resamples: args.intervals.resamples as usize,
        confidence: args.intervals.confidence,
    };
    let plan = plan_sensitivity(&prepared.study(), &options).map_err(|error| plan_error(prepared, error))?;
    for warning in &plan.warnings {
        eprintln!("warning: {warning}");
    }
    eprintln!("{}", plan.description);
    Ok(plan)
}

/// Plans leverage's design from its flags, and says how big it is.
pub fn leverage_plan(args: &LeverageArgs, analysis: &Analysis) -> Result<LeveragePlan, CliError> {
    let prepared = &analysis.prepared;
    let options = LeverageOptions {
        futures: prepared.plan.design.runs(),
        seed: analysis.seed,
        delta: args.delta,
        cross_check: !args.no_cross_check,
        resamples: args.intervals.resamples as usize,
        confidence: args.intervals.confidence,
    };
    let plan = plan_leverage(&prepared.study(), &options).map_err(|error| plan_error(prepared, error))?;
    eprintln!("{}", plan.description);
    Ok(plan)
}

/// Plans compare's design, and says how big it is.
pub fn compare_plan(_args: &CompareArgs, analysis: &Analysis) -> Result<ComparePlan, CliError> {
    let prepared = &analysis.prepared;
    let options = CompareOptions { futures: prepared.plan.design.runs(), seed: analysis.seed };
    let plan = plan_compare(&prepared.study(), &options).map_err(|error| plan_error(prepared, error))?;
    eprintln!("{}", plan.description);
    Ok(plan)
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
    let runs = Runs::sample(&prepared.plan, design.intervention.as_deref())
        .map_err(|error| crate::experiment::intervention_error(&prepared, error))?;
    Ok((prepared, runs))
}

/// A report crate's problem reading a file fulcrum wrote: a file it cannot read is an I/O
/// error, one that is not as fulcrum wrote it an invalid input.
fn read_error(error: ReportError) -> CliError {
    match error {
        ReportError::Read { path, source } => cannot_read(&path, source),
        other => CliError::Input(other.to_string()),
    }
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
        changes: prepared.changes.clone(),
        draws: prepared.draws.clone(),
        design: SampledDesign {
            command: command.name().to_owned(),
            arguments: arguments(command),
            runs: runs.count(),
            parts: runs.parts.iter().map(DesignPart::from).collect(),
            experiments_sha256: String::new(),
        },
    };
    let inputs = runs.inputs();
    write_design(
        output,
        &runs.columns(&prepared.compiled),
        runs.option_parts(),
        |run, row| inputs.row(run, row),
        manifest,
    )
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
/// `output`; `origin` is the file they came from.
fn recorded(
    design: &SampledDesign,
    experiment: &Path,
    output: &Path,
    origin: &JsonFile,
) -> Result<SampleCommand, CliError> {
    if !["sweep", "sensitivity", "leverage", "compare"].contains(&design.command.as_str()) {
        return Err(CliError::Input(format!(
            "{}: `{}` is not a command with a design (sweep, sensitivity, leverage, compare)",
            origin.at(&["design", "command"]),
            design.command
        )));
    }
    let mut argv: Vec<String> = vec!["fulcrum".into(), "sample".into(), design.command.clone()];
    argv.push(experiment.display().to_string());
    argv.extend(["-o".to_owned(), output.display().to_string()]);
    argv.extend(design.arguments.iter().cloned());
    match Cli::try_parse_from(&argv) {
        Ok(Cli { command: Command::Sample(SampleArgs { design }) }) => Ok(design),
        Ok(_) => Err(CliError::Input(format!("{}: not a design", origin.at(&["design", "command"])))),
        Err(error) => Err(CliError::Input(format!(
            "{}: the design's flags do not parse ({}): {}",
            origin.at(&["design", "arguments"]),
            design.arguments.join(" "),
            error.kind()
        ))),
    }
}

/// Checks that the experiment read now is the one the design was planned from, and that
/// planning it again gives the same rows.
fn check_same(
    origin: &JsonFile,
    (model, experiment, changes): (&FileDigest, &FileDigest, &[FileDigest]),
    design: &SampledDesign,
    prepared: &Prepared,
    runs: &Runs,
) -> Result<(), CliError> {
    let now = FileDigest::of(prepared.path.display().to_string(), prepared.text.as_bytes());
    if now.sha256 != experiment.sha256 {
        return Err(CliError::Input(format!(
            "{}: the experiment {} is not the one the design was sampled from ({}): its bytes differ",
            origin.at(&["experiment", "sha256"]),
            prepared.path.display(),
            experiment.path
        )));
    }
    if FileDigest::of("", prepared.model.source.as_bytes()).sha256 != model.sha256 {
        return Err(CliError::Input(format!(
            "{}: the model {} has changed since the design was sampled",
            origin.at(&["model", "sha256"]),
            prepared.experiment.model
        )));
    }
    if prepared.changes != changes {
        let changed = prepared
            .changes
            .iter()
            .find(|now| !changes.contains(now))
            .or_else(|| changes.iter().find(|then| !prepared.changes.contains(then)))
            .map_or_else(String::new, |file| format!(" ({})", file.path));
        return Err(CliError::Input(format!(
            "{}: the changes files the experiment names have changed since the design was sampled{changed}",
            origin.at(&["changes"]),
        )));
    }
    if runs.count() != design.runs
        || !runs.parts.iter().map(DesignPart::from).eq(design.parts.iter().cloned())
        || runs_sha256(runs, &prepared.compiled) != design.experiments_sha256
    {
        return Err(CliError::Input(format!(
            "{}: planning the design from its flags gives different rows from the ones sampled (was the \
             file edited, or written by another version of fulcrum than {}?); sample it again",
            origin.at(&["design"]),
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
    let (manifest, origin): (DesignManifest, JsonFile) =
        read_json(&path, "not a design.json").map_err(|error| match error {
            ReportError::Read { path, source } => {
                cannot_read(&path, format!("{source} (write a design with `fulcrum sample`)"))
            }
            other => read_error(other),
        })?;
    if manifest.tool != "fulcrum" {
        return Err(CliError::Input(format!("{}: not written by fulcrum", origin.at(&["tool"]))));
    }
    let command = recorded(&manifest.design, experiment, dir, &origin)?;
    let (prepared, runs) = plan(&command)?;
    check_same(
        &origin,
        (&manifest.model, &manifest.experiment, &manifest.changes),
        &manifest.design,
        &prepared,
        &runs,
    )?;
    Ok(Sampled { design: manifest.design, prepared, runs })
}

/// A whole sweep of a design, for an analysis's `--from`.
pub struct FromSweep {
    /// The sweep's folder and manifest.
    pub sweep: SweepDir,
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
        let sweep = SweepDir::open(dir).map_err(read_error)?;
        let (manifest, origin) = (&sweep.manifest, &sweep.manifest_file);
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
                origin.at(&["design", "command"]),
                design.command
            )));
        }
        if let Some(shard) = manifest.shard {
            return Err(CliError::Input(format!(
                "{}: this is shard {} of {}; join the shards with `fulcrum merge` and analyse the result",
                origin.at(&["shard"]),
                shard.index,
                shard.count
            )));
        }
        if manifest.runs != [0, design.runs] {
            return Err(CliError::Input(format!(
                "{}: the sweep holds runs {} to {} of the design's {}",
                origin.at(&["runs"]),
                manifest.runs[0],
                manifest.runs[1],
                design.runs
            )));
        }
        let experiment = common.experiment.clone().unwrap_or_else(|| PathBuf::from(&manifest.experiment.path));
        let command = recorded(&design, &experiment, &common.output, origin)?;
        Ok(Some(FromSweep { sweep, design, command }))
    }
}

impl Source for FromSweep {
    fn dir(&self) -> &Path {
        &self.sweep.path
    }

    /// Checks the design planned now against the sweep's, then reads its outcomes (and the
    /// series' trajectories) in run order.
    fn evaluation(&self, prepared: &Prepared, runs: &Runs) -> Result<Evaluation, CliError> {
        let (sweep, manifest) = (&self.sweep, &self.sweep.manifest);
        let recorded = (&manifest.model, &manifest.experiment, manifest.changes.as_slice());
        check_same(&sweep.manifest_file, recorded, &self.design, prepared, runs)?;
        let outcomes: Vec<&str> = prepared.plan.outcomes.iter().map(|o| o.name.as_str()).collect();
        let mut evaluation = Evaluation {
            outcomes: sweep.outcomes(&outcomes, self.design.runs).map_err(read_error)?,
            series: Vec::new(),
            failed_runs: manifest.failures,
        };
        if let Some(variable) = runs.series {
            let axis = prepared.compiled.axis();
            let name = prepared.compiled.name(variable);
            evaluation.series = sweep.series(name, &axis.save_times(), self.design.runs).map_err(read_error)?;
        }
        // Files that read well must still be the bytes the sweep wrote.
        let mut files = vec!["outcomes.csv"];
        files.extend(runs.series.map(|_| "runs.csv"));
        if let Some(path) = sweep.first_changed(files).map_err(read_error)? {
            return Err(CliError::Input(format!(
                "{}: its SHA-256 is not the one {} records: the file was changed after the sweep",
                path.display(),
                sweep.manifest_file.path.display()
            )));
        }
        Ok(evaluation)
    }
}
