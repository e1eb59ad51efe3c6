//! Reading the files a run starts from: a model file (the format by its extension, an XMILE
//! model's module files and a Vensim model's data files found beside it), the Vensim changes
//! files (`.cin`) that `fulcrum run --changes` and interventions name, and an experiment with its
//! model, compiled and bound to it ([`prepare`]). The command line and the Python package both
//! read files through here, so they read them alike.
//!
//! Nothing is printed: problems come back as [`FileProblems`] (a file's diagnostics with the
//! text they point into) for the caller to render, in the order they were found.
//!
//! ```text
//! let model = read_model(Path::new("model.mdl"), &[])?;   // LoadedModel: path, source, model
//! let (resolved, warnings) = model.resolve()?;
//! let (file, warnings) = read_experiment(Path::new("experiment.toml"))?;
//! let prepared = prepare(file, &mut reports)?;             // compiled and planned
//! ```

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use fulcrum_explore::experiment::{self, Experiment, Plan};
use fulcrum_model::changes::{self, Change};
use fulcrum_model::syntax::Span;
use fulcrum_model::{CanonicalName, Code, Diagnostic, Diagnostics, LineIndex, Model, ResolvedModel, native, resolve};
use fulcrum_sim::{CompileOptions, CompiledModel, SimError, compile_with};

/// The model formats, by file extension.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
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

/// Which kind of file has problems: a caller may treat them differently (the command line
/// exits with the same code but counts them as the model's, the experiment's or the changes').
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileKind {
    /// A model file.
    Model,
    /// An experiment file.
    Experiment,
    /// A changes file (`.cin`).
    Changes,
}

/// A file's diagnostics, with the text their spans point into.
#[derive(Clone, Debug)]
pub struct FileProblems {
    /// The file.
    pub path: PathBuf,
    /// Its text, as the diagnostics' spans see it (a file that is not UTF-8 is shown with its
    /// invalid bytes replaced).
    pub source: String,
    /// The diagnostics, errors and warnings.
    pub diagnostics: Diagnostics,
}

/// Why a file could not be used.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoadError {
    /// The model file's extension names no format fulcrum reads.
    #[error(
        "{}: unknown model format; fulcrum reads native models (.toml), XMILE (.xmile, .stmx, .xml) and Vensim (.mdl)",
        path.display()
    )]
    UnknownFormat {
        /// The file.
        path: PathBuf,
    },
    /// The file cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The file has errors (or is not UTF-8 text), each a diagnostic.
    #[error("{}: {} errors", problems.path.display(), problems.diagnostics.error_count())]
    Invalid {
        /// Which kind of file.
        kind: FileKind,
        /// Its diagnostics.
        problems: FileProblems,
    },
    /// The experiment does not fit its model: names it lacks, values it cannot take.
    #[error("{}: {} errors", problems.path.display(), problems.diagnostics.error_count())]
    Unbound {
        /// The experiment file's diagnostics.
        problems: FileProblems,
    },
    /// A file an experiment names (its model, an intervention's changes file) cannot be read;
    /// said at the place in the experiment that names it.
    #[error("{}{place}: {what}: {source}", experiment.display())]
    Named {
        /// The experiment file.
        experiment: PathBuf,
        /// `:line:column` of the name in the experiment, or nothing.
        place: String,
        /// What the file is to the experiment.
        what: String,
        /// Why it cannot be read.
        source: Box<LoadError>,
    },
    /// The model cannot be compiled.
    #[error("{}: {source}", path.display())]
    Compile {
        /// The model file.
        path: PathBuf,
        /// Why.
        source: SimError,
    },
}

/// Reads a UTF-8 text file. A file that is not UTF-8 is a diagnostic at its first invalid byte.
pub fn read_text(path: &Path, kind: FileKind) -> Result<String, LoadError> {
    let bytes = fs::read(path).map_err(|source| LoadError::Read { path: path.to_owned(), source })?;
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
        let problems =
            FileProblems { path: path.to_owned(), source: shown, diagnostics: Diagnostics(vec![diagnostic]) };
        LoadError::Invalid { kind, problems }
    })
}

/// Reads a Vensim file (a model or a changes file): UTF-8, or Windows-1252 as older Vensim
/// wrote it (see `fulcrum_vensim::decode`).
pub fn read_legacy_text(path: &Path) -> Result<String, LoadError> {
    let bytes = fs::read(path).map_err(|source| LoadError::Read { path: path.to_owned(), source })?;
    Ok(fulcrum_vensim::decode(bytes))
}

/// A model file as read: its text and the model in it.
#[derive(Clone)]
pub struct LoadedModel {
    /// Where it came from.
    pub path: PathBuf,
    /// The file's text, for rendering diagnostics.
    pub source: String,
    /// The model, possibly with problems still to report.
    pub model: Model,
    /// Problems the reader found (warnings, and errors the resolver reports with its own).
    pub diagnostics: Diagnostics,
}

/// Reads a model file; the format comes from the extension. `data_files` give a Vensim model's
/// data variables without an equation their values (`--data`; relative to the current
/// directory); the files its GET functions name are found relative to the model's folder.
pub fn read_model(path: &Path, data_files: &[PathBuf]) -> Result<LoadedModel, LoadError> {
    let source = match Format::of(path) {
        None => return Err(LoadError::UnknownFormat { path: path.to_owned() }),
        Some(Format::Vensim) => read_legacy_text(path)?,
        Some(_) => read_text(path, FileKind::Model)?,
    };
    parse_model(path, source, data_files)
}

/// Reads a model from its text, as [`read_model`] reads the file at `path` (which gives the
/// format and the folder of the files the model names).
pub fn parse_model(path: &Path, source: String, data_files: &[PathBuf]) -> Result<LoadedModel, LoadError> {
    let Some(format) = Format::of(path) else {
        return Err(LoadError::UnknownFormat { path: path.to_owned() });
    };
    let directory = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let read = match format {
        Format::Native => native::read(&source),
        Format::Xmile => {
            // A module's model in another file (`resource=`) is named relative to the model's folder.
            let resources = |resource: &str| {
                let local = resource.strip_prefix("file://").unwrap_or(resource);
                fs::read_to_string(directory.join(local)).map_err(|error| error.to_string())
            };
            fulcrum_xmile::read_with(&source, &resources)
        }
        Format::Vensim => {
            let here = std::env::current_dir().unwrap_or_default();
            let options = fulcrum_vensim::Options::in_directory(directory.clone())
                .with_data_files(data_files.iter().map(|file| here.join(file)));
            fulcrum_vensim::read_with(&source, &options)
        }
    };
    match read {
        Ok((model, diagnostics)) => Ok(LoadedModel { path: path.to_owned(), source, model, diagnostics }),
        Err(diagnostics) => Err(LoadError::Invalid {
            kind: FileKind::Model,
            problems: FileProblems { path: path.to_owned(), source, diagnostics },
        }),
    }
}

impl LoadedModel {
    /// This file's `diagnostics`.
    pub fn problems(&self, diagnostics: Diagnostics) -> FileProblems {
        FileProblems { path: self.path.clone(), source: self.source.clone(), diagnostics }
    }

    /// Resolves the model (as changed since reading). Every diagnostic of reading and resolving
    /// comes back together: the warnings beside the resolved model, or the errors and warnings
    /// in the error. The units are checked too ([`fulcrum_model::units::check`]): their findings are
    /// warnings.
    pub fn resolve(&self) -> Result<(ResolvedModel, FileProblems), LoadError> {
        let resolved = resolve(&self.model);
        let found = match &resolved {
            // Units are checked once the model resolves: before, a unit finding would only
            // repeat an error in the names or the equations.
            Ok(model) => {
                let mut warnings = model.warnings.clone();
                warnings.0.extend(fulcrum_model::units::check(&self.model).0);
                warnings
            }
            Err(diagnostics) => diagnostics.clone(),
        };
        let all = Diagnostics::merge(self.diagnostics.clone(), found);
        match resolved {
            Ok(resolved) if !all.has_errors() => Ok((resolved, self.problems(all))),
            Ok(_) => Err(LoadError::Invalid { kind: FileKind::Model, problems: self.problems(all) }),
            Err(diagnostics) => {
                let problems = self.problems(if all.has_errors() { all } else { diagnostics });
                Err(LoadError::Invalid { kind: FileKind::Model, problems })
            }
        }
    }
}

/// A Vensim changes file as read: its text, for diagnostics, and the changes it lists.
#[derive(Clone)]
pub struct ChangesFile {
    /// Where it came from.
    pub path: PathBuf,
    /// Its text.
    pub source: String,
    /// The changes, in order.
    pub changes: Vec<Change>,
    /// The SHA-256 of its bytes, for the manifests of what runs with it.
    pub sha256: String,
}

impl ChangesFile {
    /// Problems of the changes against a model, at their lines in this file.
    pub fn problems(&self, diagnostics: Diagnostics) -> LoadError {
        let problems = FileProblems { path: self.path.clone(), source: self.source.clone(), diagnostics };
        LoadError::Invalid { kind: FileKind::Changes, problems }
    }
}

/// Reads a Vensim changes file (`.cin`, UTF-8 or Windows-1252 like a `.mdl`).
pub fn read_changes(path: &Path) -> Result<ChangesFile, LoadError> {
    let bytes = fs::read(path).map_err(|source| LoadError::Read { path: path.to_owned(), source })?;
    let sha256 = crate::sweep::FileDigest::of("", &bytes).sha256;
    let source = fulcrum_vensim::decode(bytes);
    match fulcrum_vensim::read_changes(&source) {
        Ok(changes) => Ok(ChangesFile { path: path.to_owned(), source, changes, sha256 }),
        Err(diagnostics) => Err(LoadError::Invalid {
            kind: FileKind::Changes,
            problems: FileProblems { path: path.to_owned(), source, diagnostics },
        }),
    }
}

/// Applies changes files to a model in order, so that a later file overrides an earlier one.
/// A change the model cannot take (an unknown name, a computed variable) is a diagnostic at its
/// line in its file, and the model is left as the files before it changed it.
pub fn apply_changes(model: &mut Model, files: &[PathBuf]) -> Result<(), LoadError> {
    for file in files {
        let read = read_changes(file)?;
        changes::apply(model, &read.changes).map_err(|diagnostics| read.problems(diagnostics))?;
    }
    Ok(())
}

/// An experiment file as read.
#[derive(Clone)]
pub struct ExperimentFile {
    /// Where it came from.
    pub path: PathBuf,
    /// Its text (its bytes are what a manifest's digest is of).
    pub text: String,
    /// The experiment.
    pub experiment: Experiment,
}

/// An experiment file's path and text, which its problems are said in.
struct ExperimentText<'a> {
    path: &'a Path,
    text: &'a str,
}

impl ExperimentText<'_> {
    /// This file's `diagnostics`.
    fn problems(&self, diagnostics: Diagnostics) -> FileProblems {
        FileProblems { path: self.path.to_owned(), source: self.text.to_owned(), diagnostics }
    }

    /// `:line:column` of `span` in the file.
    fn place(&self, span: Option<Span>) -> String {
        span.map_or_else(String::new, |span| {
            let (line, column) = LineIndex::new(self.text).line_col(self.text, span.start());
            format!(":{line}:{column}")
        })
    }
}

/// Reads an experiment file, with its warnings; its errors are the error.
pub fn read_experiment(path: &Path) -> Result<(ExperimentFile, FileProblems), LoadError> {
    let text = read_text(path, FileKind::Experiment)?;
    let problems = |diagnostics| FileProblems { path: path.to_owned(), source: text.clone(), diagnostics };
    let (experiment, found) = experiment::read(&text)
        .map_err(|diagnostics| LoadError::Invalid { kind: FileKind::Experiment, problems: problems(diagnostics) })?;
    if found.has_errors() {
        return Err(LoadError::Invalid { kind: FileKind::Experiment, problems: problems(found) });
    }
    let warnings = problems(found);
    Ok((ExperimentFile { path: path.to_owned(), text, experiment }, warnings))
}

/// An experiment, its model compiled for it, and the plan that binds the two.
pub struct Prepared {
    /// The experiment file.
    pub path: PathBuf,
    /// Its bytes, for the manifest's digest.
    pub text: String,
    /// The experiment as read (with any changes the caller made before preparing it, and the
    /// settings of its interventions' changes files).
    pub experiment: Experiment,
    /// The model file as read (with the interventions' changes made switchable).
    pub model: LoadedModel,
    /// The model, compiled with the constants that interventions change part-way.
    pub compiled: CompiledModel,
    /// The changes files the experiment names, each once as it names it (relative to the
    /// experiment), with the SHA-256 of its bytes: the manifests record them.
    pub changes: Vec<crate::sweep::FileDigest>,
    /// The table of draws `[sampling] from` names, as it names it, with the SHA-256 of its
    /// bytes: the manifests record it.
    pub draws: Option<crate::sweep::FileDigest>,
    /// The design, outcomes, levers and interventions bound to the model.
    pub plan: Plan,
}

/// Reads the experiment's model (relative to the experiment) with the experiment's time
/// settings and the changes files its interventions name, compiles it with the constants
/// interventions change part-way, and binds the experiment to it. Warnings go into `reports`
/// in the order they are found (the model's, then the plan's); an error is the last problem.
pub fn prepare(file: ExperimentFile, reports: &mut Vec<FileProblems>) -> Result<Prepared, LoadError> {
    let ExperimentFile { path, text, mut experiment } = file;
    let file = ExperimentText { path: &path, text: &text };
    let model_path = path.parent().unwrap_or(Path::new("")).join(&experiment.model);
    let mut model = read_model(&model_path, &[]).map_err(|error| match error {
        // A model that cannot be read is said at the place where the experiment names it.
        LoadError::Read { .. } => LoadError::Named {
            experiment: path.clone(),
            place: file.place(experiment.model_span),
            what: "the experiment's model".to_owned(),
            source: Box::new(error),
        },
        other => other,
    })?;
    model.model.sim = experiment.sim_specs(&model.model.sim).map_err(|diagnostics| LoadError::Invalid {
        kind: FileKind::Experiment,
        problems: file.problems(diagnostics),
    })?;
    // After the time axis: a changes file's time setting must agree with the experiment's.
    let changes = apply_changes_files(&file, &mut experiment, &mut model.model)?;
    let (resolved, warnings) = model.resolve()?;
    reports.push(warnings);
    let changing = experiment
        .changing_constants(model.model.sim.start)
        .into_iter()
        .filter_map(|name| resolved.lookup(name))
        .collect();
    let compiled = compile_with(&resolved, &CompileOptions { changing_constants: changing, needed: None })
        .map_err(|source| LoadError::Compile { path: model_path.clone(), source })?;
    let (mut plan, warnings) = experiment
        .plan(&compiled)
        .map_err(|diagnostics| LoadError::Unbound { problems: file.problems(diagnostics) })?;
    plan.bind_loop_shares(&experiment, &resolved, &compiled)
        .map_err(|diagnostics| LoadError::Unbound { problems: file.problems(diagnostics) })?;
    let mut draws_digest = None;
    if let Some((from, span)) = &experiment.sampling.from {
        // `[sampling] from`: the uncertain constants it heads take whole rows of it.
        let draws_path = path.parent().unwrap_or(Path::new("")).join(from);
        let draws = fs::read_to_string(&draws_path).map_err(|source| LoadError::Named {
            experiment: path.clone(),
            place: file.place(Some(*span)),
            what: "the table of draws `[sampling] from` names".to_owned(),
            source: Box::new(LoadError::Read { path: draws_path.clone(), source }),
        })?;
        draws_digest = Some(crate::sweep::FileDigest::of(from.clone(), draws.as_bytes()));
        plan.draw_from(&draws).map_err(|diagnostics| LoadError::Invalid {
            kind: FileKind::Experiment,
            problems: FileProblems { path: draws_path.clone(), source: draws.clone(), diagnostics },
        })?;
    }
    reports.push(file.problems(warnings));
    Ok(Prepared { path, text, experiment, model, compiled, plan, changes, draws: draws_digest })
}

/// Reads the changes files that interventions name (`changes = "file.cin"`, relative to the
/// experiment) and makes their changes settings of the intervention: constants directly, lookups
/// through a copy of the table and a constant that chooses it (`fulcrum_model::changes::switchable`),
/// so that one compiled model runs every option. A value the intervention's `set` gives itself
/// wins over the file's. Returns the files' digests, each file once.
fn apply_changes_files(
    file: &ExperimentText<'_>,
    experiment: &mut Experiment,
    model: &mut Model,
) -> Result<Vec<crate::sweep::FileDigest>, LoadError> {
    let mut digests: Vec<crate::sweep::FileDigest> = Vec::new();
    let mut record = |path: &str, read: &ChangesFile| {
        if !digests.iter().any(|digest| digest.path == path) {
            digests.push(crate::sweep::FileDigest { path: path.to_owned(), sha256: read.sha256.clone() });
        }
    };
    let read_named = |changes_file: &str, span: Span, what: String| {
        let changes_path = file.path.parent().unwrap_or(Path::new("")).join(changes_file);
        read_changes(&changes_path).map_err(|error| match error {
            LoadError::Read { .. } => LoadError::Named {
                experiment: file.path.to_owned(),
                place: file.place(Some(span)),
                what,
                source: Box::new(error),
            },
            other => other,
        })
    };
    // A lever with a changes file is a switch: a new constant of its name that turns them on.
    for lever in &experiment.levers {
        let Some((changes_file, span)) = &lever.changes else { continue };
        if model.variable(&lever.name).is_some() {
            let diagnostic = Diagnostic::new(
                Code::InvalidValue,
                format!(
                    "lever `{}` applies a changes file, so it is a new constant of that name, but the model already has a variable `{}`",
                    lever.name, lever.name
                ),
            )
            .at(lever.span)
            .with_help("give the lever a name the model does not use");
            return Err(LoadError::Invalid {
                kind: FileKind::Experiment,
                problems: file.problems(Diagnostics(vec![diagnostic])),
            });
        }
        let read = read_named(changes_file, *span, format!("the changes file of lever `{}`", lever.name))?;
        // The switch computes the constants it changes, which then cannot be varied or set.
        let varied: Vec<CanonicalName> = (experiment.uncertain.iter().map(|u| u.name.as_str()))
            .chain(experiment.levers.iter().map(|l| l.name.as_str()))
            .chain(experiment.sampling.grid.iter().map(|axis| axis.name.as_str()))
            .chain(experiment.interventions.iter().flat_map(|i| i.set.iter().map(|(name, _, _)| name.as_str())))
            .map(CanonicalName::new)
            .collect();
        let conflicts: Vec<Diagnostic> = read
            .changes
            .iter()
            .filter(|change| !matches!(change.value, changes::ChangeValue::Table { .. }))
            .filter(|change| varied.contains(&CanonicalName::new(&change.name)))
            .map(|change| {
                Diagnostic::new(
                    Code::InvalidValue,
                    format!(
                        "`{}` is varied or set by the experiment, so lever `{}`'s changes file cannot also change it",
                        change.name, lever.name
                    ),
                )
                .at(change.span)
                .on_variable(&change.name)
                .with_help("a switch lever computes the constants its file changes; remove the line, or the experiment's use of the constant")
            })
            .collect();
        if !conflicts.is_empty() {
            return Err(read.problems(Diagnostics(conflicts)));
        }
        changes::switched(model, &read.changes, &lever.name).map_err(|diagnostics| read.problems(diagnostics))?;
        record(changes_file, &read);
    }
    for intervention in &mut experiment.interventions {
        let Some((changes_file, span)) = intervention.changes.clone() else { continue };
        let read =
            read_named(&changes_file, span, format!("the changes file of intervention `{}`", intervention.name))?;
        let settings = changes::switchable(model, &read.changes).map_err(|diagnostics| read.problems(diagnostics))?;
        record(&changes_file, &read);
        for (name, value) in settings {
            let canonical = CanonicalName::new(&name);
            if !intervention.set.iter().any(|(set, _, _)| CanonicalName::new(set) == canonical) {
                intervention.set.push((name, value, Some(span)));
            }
        }
    }
    Ok(digests)
}

impl Prepared {
    /// The experiment bound to its model, as the analyses take it.
    pub fn study(&self) -> fulcrum_sensitivity::Study<'_> {
        fulcrum_sensitivity::Study { model: &self.compiled, plan: &self.plan }
    }

    /// Binds `experiment` (this one, or a copy with other sampling settings) to the model,
    /// with the plan's warnings.
    /// Loop shares take their loops from the prepared plan, outcome by name.
    pub fn plan(&self, experiment: &Experiment) -> Result<(Plan, Diagnostics), LoadError> {
        let (mut plan, diagnostics) = experiment.plan(&self.compiled).map_err(|diagnostics| LoadError::Unbound {
            problems: FileProblems { path: self.path.clone(), source: self.text.clone(), diagnostics },
        })?;
        for outcome in &mut plan.outcomes {
            if let Some(bound) =
                self.plan.outcomes.iter().find(|bound| bound.name == outcome.name && bound.loop_share.is_some())
            {
                outcome.variable = bound.variable;
                outcome.loop_share.clone_from(&bound.loop_share);
            }
        }
        Ok((plan, diagnostics))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_come_from_the_extension_in_any_case() {
        assert_eq!(Format::of(Path::new("a/model.TOML")), Some(Format::Native));
        assert_eq!(Format::of(Path::new("m.stmx")), Some(Format::Xmile));
        assert_eq!(Format::of(Path::new("m.Mdl")), Some(Format::Vensim));
        assert_eq!(Format::of(Path::new("m.vpm")), None);
        let error = read_model(Path::new("m.vpm"), &[]).err().expect("an unknown format");
        assert!(matches!(error, LoadError::UnknownFormat { .. }), "{error}");
    }

    #[test]
    fn a_file_that_is_not_utf8_is_a_diagnostic_at_its_first_bad_byte() {
        let folder = tempfile::tempdir().expect("a temporary folder");
        let path = folder.path().join("model.toml");
        fs::write(&path, b"[model]\nname = \"caf\xE9\"\n").expect("written");
        let Err(LoadError::Invalid { kind, problems }) = read_model(&path, &[]) else { panic!("not refused") };
        assert_eq!(kind, FileKind::Model);
        let diagnostic = &problems.diagnostics.0[0];
        assert_eq!(diagnostic.code, Code::FileSyntax);
        assert_eq!(diagnostic.span.map(|span| span.start()), Some(19));
    }

    #[test]
    fn an_experiment_names_the_model_it_cannot_read_where_it_names_it() {
        let folder = tempfile::tempdir().expect("a temporary folder");
        let path = folder.path().join("experiment.toml");
        fs::write(&path, "model = \"missing.toml\"\n[sampling]\nruns = 10\n").expect("written");
        let (file, _) = read_experiment(&path).expect("an experiment");
        let error = prepare(file, &mut Vec::new()).err().expect("no model");
        let message = error.to_string();
        assert!(matches!(error, LoadError::Named { .. }), "{message}");
        assert!(
            message.starts_with(&format!("{}:1:9: the experiment's model: cannot read", path.display())),
            "{message}"
        );
    }
}
