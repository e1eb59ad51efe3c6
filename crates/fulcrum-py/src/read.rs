//! Reading model and experiment files through `fulcrum_report::load` (as the command line
//! reads them), and turning their problems into one Python error.

use std::path::{Path, PathBuf};

use fulcrum_explore::experiment::{Experiment, Plan};
use fulcrum_model::{Diagnostic, Diagnostics, LineIndex, ResolvedModel, Severity};
use fulcrum_report::load::{self, FileProblems, LoadError, LoadedModel, Prepared};
use fulcrum_sim::{CompileOptions, CompiledModel, SimError, compile_with};

/// A problem to raise as `fulcrum.FulcrumError`: a diagnostic code where there is one, the
/// place in the file, and every diagnostic found, rendered as `file:line:col: CODE message`.
#[derive(Debug)]
pub struct Problem {
    /// The first error's code (`E0102`), if it came from a diagnostic.
    pub code: Option<&'static str>,
    /// What to show: the first error, where it is, its hint, and how many others there are.
    pub message: String,
    /// The file the problem is in.
    pub path: Option<String>,
    /// Its line and column (1-based), when known.
    pub line: Option<usize>,
    /// Its column.
    pub column: Option<usize>,
    /// Every diagnostic, one line each.
    pub diagnostics: Vec<String>,
}

impl Problem {
    /// A problem with no diagnostic code: a wrong argument, a file that cannot be read.
    pub fn plain(message: impl Into<String>) -> Problem {
        Problem { code: None, message: message.into(), path: None, line: None, column: None, diagnostics: Vec::new() }
    }

    /// The errors among `diagnostics` in `path`, whose text is `source`.
    pub fn from_diagnostics(path: &Path, source: &str, diagnostics: &Diagnostics) -> Problem {
        let index = LineIndex::new(source);
        let file = path.display().to_string();
        let place = |diagnostic: &Diagnostic| {
            diagnostic.span.map(|span| index.line_col(source, span.start())).map_or_else(
                || (file.clone(), None, None),
                |(line, column)| (format!("{file}:{line}:{column}"), Some(line), Some(column)),
            )
        };
        let rendered: Vec<String> = diagnostics
            .0
            .iter()
            .map(|diagnostic| format!("{}: {} {}", place(diagnostic).0, diagnostic.code, diagnostic.message))
            .collect();
        let errors: Vec<&Diagnostic> =
            diagnostics.0.iter().filter(|diagnostic| diagnostic.severity() == Severity::Error).collect();
        let Some(first) = errors.first() else {
            return Problem { diagnostics: rendered, ..Problem::plain(format!("{file}: the file has problems")) };
        };
        let (at, line, column) = place(first);
        let mut message = format!("{at}: {} {}", first.code, first.message);
        if let Some(help) = &first.help {
            message.push_str(&format!(" (help: {help})"));
        }
        if errors.len() > 1 {
            message.push_str(&format!("; and {} more errors (see .diagnostics)", errors.len() - 1));
        }
        Problem { code: Some(first.code.as_str()), message, path: Some(file), line, column, diagnostics: rendered }
    }

    /// A problem reading files: diagnostics with their code and place, else the message.
    pub fn from_load(error: LoadError) -> Problem {
        match error {
            LoadError::Invalid { problems, .. } | LoadError::Unbound { problems } => {
                Problem::from_diagnostics(&problems.path, &problems.source, &problems.diagnostics)
            }
            LoadError::Compile { ref path, .. } => {
                Problem { path: Some(path.display().to_string()), ..Problem::plain(error.to_string()) }
            }
            other => Problem::plain(other.to_string()),
        }
    }
}

/// A warning of a file, to issue as `fulcrum.FulcrumWarning`: its code (`W0001`), the text
/// shown (`file:line:col: W0001 message`, with the hint), and where it is.
#[derive(Clone, Debug, PartialEq)]
pub struct Warning {
    /// The diagnostic code.
    pub code: &'static str,
    /// What to show.
    pub message: String,
    /// The file.
    pub path: String,
    /// The line and column (1-based), when known.
    pub line: Option<usize>,
    /// The column.
    pub column: Option<usize>,
}

/// The fields of a [`Warning`] as they cross into Python.
pub type WarningFields = (&'static str, String, String, Option<usize>, Option<usize>);

impl Warning {
    /// The warnings among `diagnostics` in `path`, whose text is `source`, in order.
    pub fn all_in(path: &Path, source: &str, diagnostics: &Diagnostics) -> Vec<Warning> {
        let index = LineIndex::new(source);
        let file = path.display().to_string();
        diagnostics
            .0
            .iter()
            .filter(|diagnostic| diagnostic.severity() == Severity::Warning)
            .map(|diagnostic| {
                let place = diagnostic.span.map(|span| index.line_col(source, span.start()));
                let at = place.map_or_else(|| file.clone(), |(line, column)| format!("{file}:{line}:{column}"));
                let mut message = format!("{at}: {} {}", diagnostic.code, diagnostic.message);
                if let Some(help) = &diagnostic.help {
                    message.push_str(&format!(" (help: {help})"));
                }
                Warning {
                    code: diagnostic.code.as_str(),
                    message,
                    path: file.clone(),
                    line: place.map(|(line, _)| line),
                    column: place.map(|(_, column)| column),
                }
            })
            .collect()
    }

    /// The warnings of `problems`.
    pub fn of(problems: &FileProblems) -> Vec<Warning> {
        Warning::all_in(&problems.path, &problems.source, &problems.diagnostics)
    }

    /// Its fields, for Python.
    pub fn fields(&self) -> WarningFields {
        (self.code, self.message.clone(), self.path.clone(), self.line, self.column)
    }
}

/// A model file as read (with the changes files and data files it was read with), and the
/// warnings found reading and resolving it.
#[derive(Clone)]
pub struct Loaded {
    /// The file as read, its model changed by the changes files.
    pub file: LoadedModel,
    /// The changes files applied, in order (kept to read a pickled model again).
    pub changes: Vec<PathBuf>,
    /// The data files of a Vensim model's data variables.
    pub data: Vec<PathBuf>,
    /// Warnings of reading and resolving.
    pub warnings: Vec<Warning>,
}

/// Reads the model file at `path` with its `data` files, and applies the `changes` files in order.
pub fn read_model(path: &Path, changes: &[PathBuf], data: &[PathBuf]) -> Result<Loaded, Problem> {
    let file = load::read_model(path, data).map_err(Problem::from_load)?;
    with_changes(file, changes, data)
}

/// Reads a model from its text; `path` gives the format and the folder of its files.
pub fn parse_model(path: &Path, text: String, changes: &[PathBuf], data: &[PathBuf]) -> Result<Loaded, Problem> {
    let file = load::parse_model(path, text, data).map_err(Problem::from_load)?;
    with_changes(file, changes, data)
}

fn with_changes(mut file: LoadedModel, changes: &[PathBuf], data: &[PathBuf]) -> Result<Loaded, Problem> {
    load::apply_changes(&mut file.model, changes).map_err(Problem::from_load)?;
    Ok(Loaded { file, changes: changes.to_vec(), data: data.to_vec(), warnings: Vec::new() })
}

impl Loaded {
    /// Resolves the model (as changed since reading), reporting the reader's and the resolver's
    /// errors together; keeps the warnings.
    pub fn resolve(&mut self) -> Result<ResolvedModel, Problem> {
        let (resolved, warnings) = self.file.resolve().map_err(Problem::from_load)?;
        self.warnings = Warning::of(&warnings);
        Ok(resolved)
    }

    /// Resolves and compiles the model, with `changing` constants allowed to change part-way.
    pub fn compile(&mut self, changing: &[&str]) -> Result<CompiledModel, Problem> {
        let resolved = self.resolve()?;
        let changing_constants = changing.iter().filter_map(|name| resolved.lookup(name)).collect();
        compile_with(&resolved, &CompileOptions { changing_constants, needed: None })
            .map_err(|error| self.sim_problem(&error))
    }

    /// A simulation error, said of this model's file.
    pub fn sim_problem(&self, error: &SimError) -> Problem {
        let path = self.file.path.display();
        Problem { path: Some(path.to_string()), ..Problem::plain(format!("{path}: {error}")) }
    }
}

/// Reads an experiment and its model and checks one against the other, as the command line
/// does; with the warnings of the experiment file, the model and the plan, in that order.
pub fn read_experiment(path: &Path) -> Result<(Prepared, Vec<Warning>), Problem> {
    let (file, read_warnings) = load::read_experiment(path).map_err(Problem::from_load)?;
    let mut reports = vec![read_warnings];
    let prepared = load::prepare(file, &mut reports).map_err(Problem::from_load)?;
    Ok((prepared, reports.iter().flat_map(Warning::of).collect()))
}

/// Binds `experiment` (the prepared one, or a copy with other sampling settings) to the model,
/// with the plan's warnings.
pub fn plan(prepared: &Prepared, experiment: &Experiment) -> Result<(Plan, Vec<Warning>), Problem> {
    let (plan, warnings) = prepared.plan(experiment).map_err(Problem::from_load)?;
    Ok((plan, Warning::all_in(&prepared.path, &prepared.text, &warnings)))
}
