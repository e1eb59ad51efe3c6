//! Reading model files from disk and reporting their diagnostics. The reading is
//! `fulcrum_report::load`'s; this module prints the problems it returns and turns its errors
//! into the command line's.

use std::path::{Path, PathBuf};

use fulcrum_model::{Code, Diagnostic, ResolvedModel};
use fulcrum_report::load::{self, FileKind, FileProblems, LoadError};

pub use fulcrum_report::load::LoadedModel;

use crate::CliError;
use crate::render::render;

/// Reads a model file with the data files (`--data`) that give a Vensim model's data variables
/// without an equation their values; paths are taken from the current directory.
pub fn read_model_with_data(path: &Path, data_files: &[PathBuf]) -> Result<LoadedModel, CliError> {
    load::read_model(path, data_files).map_err(load_error)
}

/// A file that cannot be read (exit 4), whatever the command wanted it for.
pub fn cannot_read(path: &Path, error: impl std::fmt::Display) -> CliError {
    CliError::Io(anyhow::anyhow!("cannot read {}: {error}", path.display()))
}

/// The command line's error for a problem reading files: diagnostics are printed and counted
/// (as the model's, the experiment's or the changes file's), a file that cannot be read is an
/// I/O error, a model file of no known format a wrong input.
pub fn load_error(error: LoadError) -> CliError {
    match error {
        LoadError::UnknownFormat { .. } | LoadError::Compile { .. } => CliError::Input(error.to_string()),
        LoadError::Invalid { kind, problems } => {
            print_problems(&problems);
            let count = problems.diagnostics.error_count();
            match kind {
                FileKind::Model => CliError::InvalidModel(count),
                FileKind::Experiment => CliError::InvalidExperiment(count),
                FileKind::Changes => CliError::InvalidChanges(count),
            }
        }
        LoadError::Unbound { problems } => {
            print_problems(&problems);
            CliError::InvalidExperiment(problems.diagnostics.error_count())
        }
        // As text: the message already holds its cause.
        other => CliError::Io(anyhow::anyhow!("{other}")),
    }
}

/// Resolves a loaded model, printing every diagnostic from reading and resolving together (the
/// units' findings among them); with `strict_units`, units that disagree (or cannot be read)
/// stop the command after they are printed.
pub fn resolve_loaded_units(loaded: &LoadedModel, strict_units: bool) -> Result<ResolvedModel, CliError> {
    let (resolved, warnings) = loaded.resolve().map_err(load_error)?;
    print_problems(&warnings);
    if strict_units {
        strict_units_check(&warnings.diagnostics.0)?;
    }
    Ok(resolved)
}

/// The error `--strict-units` makes of unit findings that were printed as warnings.
pub fn strict_units_check(diagnostics: &[Diagnostic]) -> Result<(), CliError> {
    let count = diagnostics.iter().filter(|d| matches!(d.code, Code::UnitMismatch | Code::UnitSyntax)).count();
    if count > 0 { Err(CliError::InconsistentUnits(count)) } else { Ok(()) }
}

/// Prints a file's diagnostics at their lines.
pub fn print_problems(problems: &FileProblems) {
    print_diagnostics(&problems.path, &problems.source, &problems.diagnostics.0);
}

pub fn print_diagnostics(path: &Path, source: &str, diagnostics: &[Diagnostic]) {
    if !diagnostics.is_empty() {
        eprint!("{}", render(diagnostics, &path.display().to_string(), source));
    }
}

/// Applies changes files to a model in order, so that a later file overrides an earlier one.
/// A change the model cannot take (an unknown name, a computed variable) is printed at its line
/// in its file, and nothing is run.
pub fn apply_changes(loaded: &mut LoadedModel, files: &[PathBuf]) -> Result<(), CliError> {
    load::apply_changes(&mut loaded.model, files).map_err(load_error)
}
