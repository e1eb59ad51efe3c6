//! Reading model files from disk and reporting their diagnostics.

use std::fs;
use std::path::{Path, PathBuf};

use fulcrum_model::changes::{self, Change};
use fulcrum_model::syntax::Span;
use fulcrum_model::{Code, Diagnostic, Diagnostics, Model, ResolvedModel, native, resolve};

use crate::CliError;
use crate::render::render;

/// A model file as read: its text and the model in it.
pub struct LoadedModel {
    /// Where it came from.
    pub path: PathBuf,
    /// The file's text, for rendering diagnostics.
    pub source: String,
    /// The model, possibly with problems still to report.
    pub model: Model,
    /// Problems the reader found.
    pub diagnostics: Diagnostics,
}

/// The model formats, by file extension.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Format {
    /// fulcrum's TOML.
    Native,
    /// XMILE, as Stella and Vensim export it.
    Xmile,
    /// Vensim's own `.mdl` text format.
    Vensim,
}

impl Format {
    /// The format a file's extension says, if it is one fulcrum reads.
    pub fn of(path: &Path) -> Option<Format> {
        match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
            Some("toml") => Some(Format::Native),
            Some("xmile" | "stmx" | "xml") => Some(Format::Xmile),
            Some("mdl") => Some(Format::Vensim),
            _ => None,
        }
    }
}

/// Reads a model file; the format comes from the extension.
pub fn read_model(path: &Path) -> Result<LoadedModel, CliError> {
    read_model_with_data(path, &[])
}

/// Reads a model file with the data files (`--data`) that give a Vensim model's data variables
/// without an equation their values; paths are taken from the current directory.
pub fn read_model_with_data(path: &Path, data_files: &[std::path::PathBuf]) -> Result<LoadedModel, CliError> {
    let Some(format) = Format::of(path) else {
        return Err(CliError::Input(format!(
            "{}: unknown model format; fulcrum reads native models (.toml), XMILE (.xmile, .stmx, .xml) and Vensim (.mdl)",
            path.display()
        )));
    };
    let source = match format {
        Format::Vensim => read_legacy_text(path)?,
        _ => read_text(path, CliError::InvalidModel)?,
    };
    let read = match format {
        Format::Native => native::read(&source),
        Format::Xmile => {
            // A module's model in another file (`resource=`) is named relative to the model's folder.
            let directory = path.parent().map(Path::to_path_buf).unwrap_or_default();
            let resources = |resource: &str| {
                let local = resource.strip_prefix("file://").unwrap_or(resource);
                std::fs::read_to_string(directory.join(local)).map_err(|error| error.to_string())
            };
            fulcrum_xmile::read_with(&source, &resources)
        }
        Format::Vensim => {
            // The GET functions' data files are named relative to the model's folder.
            let directory = path.parent().map(Path::to_path_buf).unwrap_or_default();
            let here = std::env::current_dir().unwrap_or_default();
            let options = fulcrum_vensim::Options::in_directory(directory)
                .with_data_files(data_files.iter().map(|file| here.join(file)));
            fulcrum_vensim::read_with(&source, &options)
        }
    };
    match read {
        Ok((model, diagnostics)) => Ok(LoadedModel { path: path.to_owned(), source, model, diagnostics }),
        Err(diagnostics) => {
            print_diagnostics(path, &source, &diagnostics.0);
            Err(CliError::InvalidModel(diagnostics.error_count()))
        }
    }
}

/// A file that cannot be read (exit 4), whatever the command wanted it for.
pub fn cannot_read(path: &Path, error: impl std::fmt::Display) -> CliError {
    CliError::Io(anyhow::anyhow!("cannot read {}: {error}", path.display()))
}

/// Reads a UTF-8 text file. A file that is not UTF-8 gets a diagnostic at its first invalid
/// byte, and `invalid` (the model's or the experiment's count of errors).
pub fn read_text(path: &Path, invalid: fn(usize) -> CliError) -> Result<String, CliError> {
    let bytes = fs::read(path).map_err(|error| cannot_read(path, error))?;
    String::from_utf8(bytes).map_err(|error| {
        let offset = error.utf8_error().valid_up_to();
        let byte = error.as_bytes().get(offset).copied().unwrap_or_default();
        // Shown as text with each invalid sequence replaced by U+FFFD; up to `offset` the bytes
        // are the file's, so the first replacement character is where the file stops being text.
        // ASCII control characters are shown as `.` (one byte for one, so offsets still hold), so that
        // the line printed neither disturbs a terminal nor hides where the caret points.
        let shown: String = String::from_utf8_lossy(error.as_bytes())
            .chars()
            .map(|c| if c.is_ascii_control() && !matches!(c, '\n' | '\r' | '\t') { '.' } else { c })
            .collect();
        let end = shown[offset..].chars().next().map_or(offset, |c| offset + c.len_utf8());
        let diagnostic = Diagnostic::new(
            Code::FileSyntax,
            format!("not UTF-8 text: byte 0x{byte:02X} at offset {offset} is not part of a character"),
        )
        .at(Some(Span::new(offset, end)))
        .labelled("not UTF-8")
        .with_help("model and experiment files are text in UTF-8; save the file as UTF-8");
        print_diagnostics(path, &shown, &[diagnostic]);
        invalid(1)
    })
}

/// Reads a Vensim model: UTF-8, or Windows-1252 as older Vensim wrote it (see
/// `fulcrum_vensim::decode`).
pub fn read_legacy_text(path: &Path) -> Result<String, CliError> {
    let bytes = fs::read(path).map_err(|error| cannot_read(path, error))?;
    Ok(fulcrum_vensim::decode(bytes))
}

/// Resolves a loaded model, printing every diagnostic from reading and resolving together.
pub fn resolve_loaded(loaded: &LoadedModel) -> Result<ResolvedModel, CliError> {
    let resolved = resolve(&loaded.model);
    let found = match &resolved {
        Ok(model) => model.warnings.clone(),
        Err(diagnostics) => diagnostics.clone(),
    };
    let all = Diagnostics::merge(loaded.diagnostics.clone(), found);
    print_diagnostics(&loaded.path, &loaded.source, &all.0);
    if all.has_errors() {
        return Err(CliError::InvalidModel(all.error_count()));
    }
    resolved.map_err(|diagnostics| CliError::InvalidModel(diagnostics.error_count()))
}

pub fn print_diagnostics(path: &Path, source: &str, diagnostics: &[Diagnostic]) {
    if !diagnostics.is_empty() {
        eprint!("{}", render(diagnostics, &path.display().to_string(), source));
    }
}

/// A Vensim changes file as read: its text, for diagnostics, and the changes it lists.
pub struct ChangesFile {
    /// Where it came from.
    pub path: PathBuf,
    /// Its text.
    pub source: String,
    /// The changes, in order.
    pub changes: Vec<Change>,
}

impl ChangesFile {
    /// Prints problems of the changes against the model at their lines in the file.
    pub fn errors(&self, diagnostics: &Diagnostics) -> CliError {
        print_diagnostics(&self.path, &self.source, &diagnostics.0);
        CliError::InvalidChanges(diagnostics.error_count())
    }
}

/// Reads a Vensim changes file (`.cin`, UTF-8 or Windows-1252 like a `.mdl`); its problems are
/// printed at their lines.
pub fn read_changes(path: &Path) -> Result<ChangesFile, CliError> {
    let source = read_legacy_text(path)?;
    match fulcrum_vensim::read_changes(&source) {
        Ok(changes) => Ok(ChangesFile { path: path.to_owned(), source, changes }),
        Err(diagnostics) => {
            print_diagnostics(path, &source, &diagnostics.0);
            Err(CliError::InvalidChanges(diagnostics.error_count()))
        }
    }
}

/// Applies changes files to a model in order, so that a later file overrides an earlier one.
/// A change the model cannot take (an unknown name, a computed variable) is printed at its line
/// in its file, and nothing is run.
pub fn apply_changes(loaded: &mut LoadedModel, files: &[PathBuf]) -> Result<(), CliError> {
    for file in files {
        let read = read_changes(file)?;
        changes::apply(&mut loaded.model, &read.changes).map_err(|diagnostics| read.errors(&diagnostics))?;
    }
    Ok(())
}
