//! Reading an experiment file, the model it names, and checking one against the other: the
//! reading is `fulcrum_report::load::prepare`'s; this module applies the command line's changes
//! to the experiment and prints the diagnostics it returns.

use std::path::Path;

use fulcrum_explore::experiment::{Experiment, InterventionError, Setting};
use fulcrum_model::{Diagnostic, Diagnostics, Severity};
use fulcrum_report::load::{self, LoadError};

pub use fulcrum_report::load::Prepared;

use crate::CliError;
use crate::load::{load_error, print_problems};

/// Reads and checks an experiment and its model; `adjust` applies command-line changes to the
/// experiment before it is checked against the model. Every diagnostic is printed.
pub fn prepare(
    path: &Path,
    adjust: impl FnOnce(&mut Experiment) -> Result<(), CliError>,
) -> Result<Prepared, CliError> {
    let (mut file, warnings) = load::read_experiment(path).map_err(load_error)?;
    print_problems(&warnings);
    adjust(&mut file.experiment)?;
    // The grid axes as given, to tell a wrong `--grid` from a wrong file.
    let grid = file.experiment.sampling.grid.clone();
    let mut reports = Vec::new();
    let prepared = load::prepare(file, &mut reports);
    for report in &reports {
        print_problems(report);
    }
    prepared.map_err(|error| match error {
        LoadError::Unbound { problems } => match from_grid_flag(&grid, &problems.diagnostics) {
            Some(usage) => usage,
            None => load_error(LoadError::Unbound { problems }),
        },
        other => load_error(other),
    })
}

/// A `--grid` axis has no place in the file: an error about one is a wrong command line.
fn from_grid_flag(grid: &[fulcrum_explore::experiment::GridAxis], diagnostics: &Diagnostics) -> Option<CliError> {
    let from_flag = |d: &&Diagnostic| {
        d.span.is_none()
            && d.severity() == Severity::Error
            && grid.iter().any(|axis| axis.span.is_none() && d.variable.as_ref() == Some(&axis.name))
    };
    diagnostics.0.iter().find(from_flag).map(|problem| {
        let help = problem.help.as_ref().map(|help| format!(" ({help})")).unwrap_or_default();
        CliError::Usage(format!("--grid: {}{help}", problem.message))
    })
}

/// With `--strict-units`, the error that units which disagree in the experiment's model make
/// (its unit warnings were printed as it was prepared).
pub fn strict_units(prepared: &Prepared, units: &crate::args::UnitsArgs) -> Result<(), CliError> {
    if units.strict_units {
        crate::load::strict_units_check(&fulcrum_model::units::check(&prepared.model.model).0)?;
    }
    Ok(())
}

/// The values every run gets: the levers' baselines, then the intervention's values (if
/// one is named) over them.
pub fn settings(prepared: &Prepared, intervention: Option<&str>) -> Result<(Vec<Setting>, Option<String>), CliError> {
    prepared.plan.settings(intervention).map_err(|error| intervention_error(prepared, error))
}

/// An intervention that cannot be run, as `--intervention` reports it.
pub fn intervention_error(prepared: &Prepared, error: InterventionError) -> CliError {
    match error {
        InterventionError::Unknown { name, known } => {
            let hint = if known.is_empty() {
                format!("{} defines no interventions", prepared.path.display())
            } else {
                format!("interventions: {}", known.join(", "))
            };
            CliError::Usage(format!("--intervention: there is no intervention `{name}` ({hint})"))
        }
        InterventionError::Varied { intervention, constant } => CliError::Usage(format!(
            "--intervention {intervention}: it sets `{constant}`, which the sweep's grid varies"
        )),
        other => CliError::Usage(format!("--intervention: {other}")),
    }
}
