//! Reading model files from disk and reporting their diagnostics.

use std::fs;
use std::path::{Path, PathBuf};

use fulcrum_model::{Diagnostic, Diagnostics, Model, ResolvedModel, native, resolve};

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
    let Some(format) = Format::of(path) else {
        return Err(CliError::Input(format!(
            "{}: unknown model format; fulcrum reads native models (.toml), XMILE (.xmile, .stmx, .xml) and Vensim (.mdl)",
            path.display()
        )));
    };
    let source = match format {
        Format::Vensim => read_legacy_text(path)?,
        _ => read_text(path)?,
    };
    let read = match format {
        Format::Native => native::read(&source),
        Format::Xmile => fulcrum_xmile::read(&source),
        Format::Vensim => fulcrum_vensim::read(&source),
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

/// Reads a UTF-8 text file.
pub fn read_text(path: &Path) -> Result<String, CliError> {
    let bytes = fs::read(path).map_err(|error| cannot_read(path, error))?;
    String::from_utf8(bytes).map_err(|error| {
        CliError::Input(format!(
            "{}: not UTF-8 text (invalid byte at offset {})",
            path.display(),
            error.utf8_error().valid_up_to()
        ))
    })
}

/// Reads a text file that older tools may have written in Windows-1252 rather than UTF-8 (Vensim
/// models from before its `{UTF-8}` header): UTF-8 when it is valid UTF-8, else each byte as the
/// Windows-1252 character it stands for, so names with accents keep their letters.
pub fn read_legacy_text(path: &Path) -> Result<String, CliError> {
    let bytes = fs::read(path).map_err(|error| cannot_read(path, error))?;
    match String::from_utf8(bytes) {
        Ok(text) => Ok(text),
        Err(error) => Ok(error.into_bytes().into_iter().map(windows_1252).collect()),
    }
}

/// The character a Windows-1252 byte stands for (the bytes it leaves undefined as themselves).
fn windows_1252(byte: u8) -> char {
    const HIGH: [char; 32] = [
        '€', '\u{81}', '‚', 'ƒ', '„', '…', '†', '‡', 'ˆ', '‰', 'Š', '‹', 'Œ', '\u{8d}', 'Ž', '\u{8f}', '\u{90}', '‘',
        '’', '“', '”', '•', '–', '—', '˜', '™', 'š', '›', 'œ', '\u{9d}', 'ž', 'Ÿ',
    ];
    match byte {
        0x80..=0x9f => HIGH[usize::from(byte - 0x80)],
        _ => char::from(byte),
    }
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
