//! `fulcrum calibrate`: fits an experiment's `[calibration]` constants to its data. The work is
//! fulcrum-calibrate's and the files fulcrum-report's; this verb reads the files, prints the
//! problems at their lines, and prints the summary.

use std::time::Instant;

use fulcrum_calibrate::{Problem, Settings, calibrate as fit, read_history};
use fulcrum_report::calibration::{self, Context};

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
    let started = Instant::now();
    let calibrated = fit(&problem, &settings);
    let seconds = started.elapsed().as_secs_f64();
    std::fs::create_dir_all(&args.output)
        .map_err(|error| CliError::Io(anyhow::anyhow!("cannot create {}: {error}", args.output.display())))?;
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
    crate::commands::print_stdout(&summary)?;
    if !calibrated.posterior.converged {
        return Err(CliError::Input(format!(
            "the posterior did not converge (see {}); the files are written for inspection",
            args.output.join("diagnostics.csv").display()
        )));
    }
    Ok(())
}
