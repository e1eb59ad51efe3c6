//! Reading an experiment file, the model it names, and checking one against the other.

use std::path::{Path, PathBuf};

use fulcrum_explore::experiment::{self, Experiment, InterventionError, Plan, Setting};
use fulcrum_model::{CanonicalName, Diagnostic, Diagnostics, LineIndex, Severity};
use fulcrum_sim::{CompileOptions, CompiledModel, compile_with};

use crate::CliError;
use crate::load::{LoadedModel, print_diagnostics, read_changes, read_model, read_text, resolve_loaded};

/// An experiment, its model compiled for it, and the plan that binds the two.
pub struct Prepared {
    /// The experiment file.
    pub path: PathBuf,
    /// Its bytes, for the manifest's digest.
    pub text: String,
    /// The experiment as read (with command-line changes).
    pub experiment: Experiment,
    /// The model file as read.
    pub model: LoadedModel,
    /// The model, compiled with the constants that interventions change part-way.
    pub compiled: CompiledModel,
    /// The design, outcomes, levers and interventions bound to the model.
    pub plan: Plan,
}

/// Reads and checks an experiment and its model; `adjust` applies command-line changes to the
/// experiment before it is checked against the model. Every diagnostic is printed.
pub fn prepare(
    path: &Path,
    adjust: impl FnOnce(&mut Experiment) -> Result<(), CliError>,
) -> Result<Prepared, CliError> {
    let text = read_text(path, CliError::InvalidExperiment)?;
    let (mut experiment, found) = match experiment::read(&text) {
        Ok(read) => read,
        Err(diagnostics) => return Err(experiment_errors(path, &text, diagnostics)),
    };
    print_diagnostics(path, &text, &found.0);
    if found.has_errors() {
        return Err(CliError::InvalidExperiment(found.error_count()));
    }
    adjust(&mut experiment)?;

    let model_path = path.parent().unwrap_or(Path::new("")).join(&experiment.model);
    let mut model = read_model(&model_path).map_err(|error| match error {
        // A model that cannot be read is pointed at where the experiment names it.
        CliError::Io(error) => {
            let place = experiment.model_span.map_or_else(String::new, |span| {
                let (line, column) = LineIndex::new(&text).line_col(&text, span.start());
                format!(":{line}:{column}")
            });
            CliError::Io(anyhow::anyhow!("{}{place}: the experiment's model: {error}", path.display()))
        }
        other => other,
    })?;
    apply_changes_files(path, &text, &mut experiment, &mut model)?;
    model.model.sim = experiment.sim_specs(&model.model.sim).map_err(|d| experiment_errors(path, &text, d))?;
    let resolved = resolve_loaded(&model)?;
    let changing = experiment
        .changing_constants(model.model.sim.start)
        .into_iter()
        .filter_map(|name| resolved.lookup(name))
        .collect();
    let compiled = compile_with(&resolved, &CompileOptions { changing_constants: changing })
        .map_err(|error| CliError::Input(format!("{}: {error}", model_path.display())))?;
    let (plan, warnings) = experiment.plan(&compiled).map_err(|d| plan_errors(path, &text, &experiment, d))?;
    print_diagnostics(path, &text, &warnings.0);
    Ok(Prepared { path: path.to_owned(), text, experiment, model, compiled, plan })
}

/// Reads the changes files that interventions name (`changes = "file.cin"`, relative to the
/// experiment) and makes their changes settings of the intervention: constants directly, lookups
/// through a copy of the table and a constant that chooses it (`fulcrum_model::changes::switchable`),
/// so that one compiled model runs every option. A value the intervention's `set` gives itself
/// wins over the file's.
fn apply_changes_files(
    path: &Path,
    text: &str,
    experiment: &mut Experiment,
    model: &mut LoadedModel,
) -> Result<(), CliError> {
    for intervention in &mut experiment.interventions {
        let Some((file, span)) = intervention.changes.clone() else { continue };
        let changes_path = path.parent().unwrap_or(Path::new("")).join(&file);
        let read = read_changes(&changes_path).map_err(|error| match error {
            CliError::Io(error) => {
                let (line, column) = LineIndex::new(text).line_col(text, span.start());
                CliError::Io(anyhow::anyhow!(
                    "{}:{line}:{column}: the changes file of intervention `{}`: {error}",
                    path.display(),
                    intervention.name
                ))
            }
            other => other,
        })?;
        let settings = fulcrum_model::changes::switchable(&mut model.model, &read.changes)
            .map_err(|diagnostics| read.errors(&diagnostics))?;
        for (name, value) in settings {
            let canonical = CanonicalName::new(&name);
            if !intervention.set.iter().any(|(set, _, _)| CanonicalName::new(set) == canonical) {
                intervention.set.push((name, value, Some(span)));
            }
        }
    }
    Ok(())
}

/// A `--grid` axis has no place in the file: an error about one is a wrong command line.
fn plan_errors(path: &Path, text: &str, experiment: &Experiment, diagnostics: Diagnostics) -> CliError {
    let from_flag = |d: &&Diagnostic| {
        d.span.is_none()
            && d.severity() == Severity::Error
            && experiment
                .sampling
                .grid
                .iter()
                .any(|axis| axis.span.is_none() && d.variable.as_ref() == Some(&axis.name))
    };
    match diagnostics.0.iter().find(from_flag) {
        Some(problem) => {
            let help = problem.help.as_ref().map(|help| format!(" ({help})")).unwrap_or_default();
            CliError::Usage(format!("--grid: {}{help}", problem.message))
        }
        None => experiment_errors(path, text, diagnostics),
    }
}

fn experiment_errors(path: &Path, text: &str, diagnostics: Diagnostics) -> CliError {
    print_diagnostics(path, text, &diagnostics.0);
    CliError::InvalidExperiment(diagnostics.error_count())
}

impl Prepared {
    /// The experiment bound to its model, as the analyses take it.
    pub fn study(&self) -> fulcrum_sensitivity::Study<'_> {
        fulcrum_sensitivity::Study { model: &self.compiled, plan: &self.plan }
    }

    /// The values every run gets: the levers' baselines, then the intervention's values (if
    /// one is named) over them.
    pub fn settings(&self, intervention: Option<&str>) -> Result<(Vec<Setting>, Option<String>), CliError> {
        self.plan.settings(intervention).map_err(|error| self.intervention_error(error))
    }

    /// An intervention that cannot be run, as `--intervention` reports it.
    pub fn intervention_error(&self, error: InterventionError) -> CliError {
        match error {
            InterventionError::Unknown { name, known } => {
                let hint = if known.is_empty() {
                    format!("{} defines no interventions", self.path.display())
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
}
