//! `fulcrum calibrate`: fits an experiment's `[calibration]` constants to its data. The work is
//! fulcrum-calibrate's and the files fulcrum-report's; this verb reads the files, prints the
//! problems at their lines, and prints the summary. A checkpoint is written after the optimizer
//! and after each round of the sampler; `--resume` goes on from it.

use std::ops::ControlFlow;
use std::time::Instant;

use fulcrum_calibrate::{Problem, Settings, calibrate_in_rounds as fit_in_rounds, read_history};
use fulcrum_report::calibration::{self, Checkpoint, Context, Source};
use fulcrum_report::sweep::FileDigest;

use crate::CliError;
use crate::args::CalibrateArgs;
use crate::load::{cannot_read, print_diagnostics};

/// `fulcrum calibrate`.
pub fn calibrate(args: &CalibrateArgs) -> Result<(), CliError> {
    let prepared = crate::experiment::prepare(&args.experiment, |_| Ok(()))?;
    crate::experiment::strict_units(&prepared, &args.units)?;
    let experiment = &prepared.experiment;
    let Some(table) = &experiment.calibration else {
        return Err(CliError::Input(format!(
            "{} has no [calibration] table: add one with `data`, `constants` and `likelihood` (see the README's Calibration section)",
            args.experiment.display()
        )));
    };
    let data_path = args.experiment.parent().unwrap_or(std::path::Path::new("")).join(&table.data.0);
    let text = std::fs::read_to_string(&data_path).map_err(|error| cannot_read(&data_path, error))?;
    let time_unit = prepared.model.model.sim.time_units.clone();
    let history = read_history(&text, &prepared.compiled, time_unit.as_deref()).map_err(|problems| {
        print_diagnostics(&data_path, &text, &problems.0);
        let count = problems.error_count();
        CliError::Input(format!("the data file has {count} error{}", if count == 1 { "" } else { "s" }))
    })?;
    let problem =
        Problem::new(&prepared.compiled, experiment, &prepared.plan.baseline, &history).map_err(|problems| {
            print_diagnostics(&prepared.path, &prepared.text, &problems.0);
            CliError::InvalidExperiment(problems.error_count())
        })?;
    let seed = args.seed.unwrap_or(experiment.sampling.seed);
    let threads = match args.threads {
        Some(threads) => usize::from(threads),
        None => std::thread::available_parallelism().map_or(1, usize::from),
    };
    let settings = Settings { threads, ..Settings::for_experiment(table, seed) };
    let source = Source {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        model: FileDigest::of(experiment.model.clone(), prepared.model.source.as_bytes()),
        experiment: FileDigest::of(prepared.path.display().to_string(), prepared.text.as_bytes()),
        data: FileDigest::of(table.data.0.clone(), text.as_bytes()),
        seed,
    };
    let checkpoint_path = args.output.join(calibration::PARTIAL).join(calibration::CHECKPOINT);
    let saved = Checkpoint::read(&args.output).map_err(|error| CliError::Io(error.into()))?;
    let resume = match (saved, args.resume) {
        (Some(saved), false) => {
            return Err(CliError::Usage(format!(
                "{} holds an interrupted calibration (stopped after round {} of the sampler): run the same command with --resume to finish it, or choose another output directory",
                args.output.display(),
                saved.round
            )));
        }
        (None, true) => {
            return Err(CliError::Usage(format!(
                "--resume: {} holds no interrupted calibration ({} does not exist)",
                args.output.display(),
                checkpoint_path.display()
            )));
        }
        (None, false) => None,
        (Some(saved), true) => {
            if let Some(difference) = source.difference(&saved.source) {
                return Err(CliError::Usage(format!(
                    "{}: cannot resume: {difference}\n  hint: run without --resume into an empty output directory, or restore the file",
                    checkpoint_path.display()
                )));
            }
            let walkers = fulcrum_calibrate::sample::walker_count(&settings.sampler, problem.dimensions());
            let progress = saved
                .progress(&checkpoint_path, walkers, problem.dimensions())
                .map_err(|error| CliError::Input(error.to_string()))?;
            eprintln!("resuming after round {} of the sampler", saved.round);
            Some(progress)
        }
    };
    std::fs::create_dir_all(&args.output)
        .map_err(|error| CliError::Io(anyhow::anyhow!("cannot create {}: {error}", args.output.display())))?;
    let started = Instant::now();
    let mut failed = None;
    let calibrated = fit_in_rounds(&problem, &settings, resume, &mut |progress| {
        if let Err(error) = Checkpoint::new(source.clone(), progress).write(&args.output) {
            failed = Some(error);
            return ControlFlow::Break(());
        }
        match args.stop_after_round {
            Some(rounds) if progress.chain.round >= rounds => ControlFlow::Break(()),
            _ => ControlFlow::Continue(()),
        }
    });
    if let Some(error) = failed {
        return Err(CliError::Io(error.into()));
    }
    let Some(calibrated) = calibrated else {
        eprintln!("stopped after round {} as asked; --resume goes on", args.stop_after_round.unwrap_or(0));
        return Ok(());
    };
    let seconds = started.elapsed().as_secs_f64();
    let context = Context {
        experiment: args.experiment.display().to_string(),
        data: table.data.0.clone(),
        likelihood: table.likelihood.as_str().to_owned(),
        seed,
        time_unit,
        seconds,
    };
    let summary = calibration::write(&args.output, &problem, &calibrated, &context)
        .map_err(|error| CliError::Io(error.into()))?;
    calibration::write_manifest(&args.output, &source, &settings, calibrated.posterior.converged)
        .map_err(|error| CliError::Io(error.into()))?;
    let partial = args.output.join(calibration::PARTIAL);
    std::fs::remove_dir_all(&partial)
        .map_err(|error| CliError::Io(anyhow::anyhow!("cannot remove {}: {error}", partial.display())))?;
    crate::commands::print_stdout(&summary)?;
    eprintln!("took {seconds:.1} s on {threads} thread{}", if threads == 1 { "" } else { "s" });
    if !calibrated.posterior.converged {
        return Err(CliError::NotConverged(format!(
            "the posterior did not converge (see {}); the files are written for inspection",
            args.output.join("diagnostics.csv").display()
        )));
    }
    Ok(())
}
