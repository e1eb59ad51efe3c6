//! Reading model and experiment files, and turning their diagnostics into one Python error.
//!
//! The command line reads files the same way (crates/fulcrum-cli/src/load.rs and experiment.rs);
//! the copy here is the smallest that gives Python the same models: formats by extension, text
//! as UTF-8 (Vensim's also as Windows-1252), Vensim data files named relative to the model, and
//! the changes files that an experiment's interventions name.

use std::path::{Path, PathBuf};

use fulcrum_explore::experiment::{self, Experiment, Plan};
use fulcrum_model::{CanonicalName, Diagnostic, Diagnostics, LineIndex, Model, ResolvedModel, Severity, native};
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
}

/// A model file as read, and the model in it.
#[derive(Clone)]
pub struct Loaded {
    /// Where it came from (data files of a Vensim model are found beside it).
    pub path: PathBuf,
    /// The file's text.
    pub text: String,
    /// The model as read.
    pub model: Model,
    /// Warnings of reading and resolving, rendered.
    pub warnings: Vec<String>,
    /// Diagnostics of reading, kept to report with the resolver's.
    reading: Diagnostics,
}

/// The model formats, by extension.
enum Format {
    Native,
    Xmile,
    Vensim,
}

fn format_of(path: &Path) -> Result<Format, Problem> {
    match path.extension().and_then(|e| e.to_str()).map(str::to_ascii_lowercase).as_deref() {
        Some("toml") => Ok(Format::Native),
        Some("xmile" | "stmx" | "xml") => Ok(Format::Xmile),
        Some("mdl") => Ok(Format::Vensim),
        _ => Err(Problem::plain(format!(
            "{}: unknown model format; fulcrum reads native models (.toml), XMILE (.xmile, .stmx, .xml) and Vensim (.mdl)",
            path.display()
        ))),
    }
}

/// Reads a file's text: UTF-8, or for a Vensim file also Windows-1252.
pub fn read_text(path: &Path, legacy: bool) -> Result<String, Problem> {
    let bytes =
        std::fs::read(path).map_err(|error| Problem::plain(format!("cannot read {}: {error}", path.display())))?;
    if legacy {
        return Ok(fulcrum_vensim::decode(bytes));
    }
    String::from_utf8(bytes).map_err(|error| {
        Problem::plain(format!(
            "{}: not UTF-8 text: byte {} is not part of a character; save the file as UTF-8",
            path.display(),
            error.utf8_error().valid_up_to()
        ))
    })
}

/// Reads the model file at `path`.
pub fn read_model(path: &Path) -> Result<Loaded, Problem> {
    let legacy = matches!(format_of(path)?, Format::Vensim);
    let text = read_text(path, legacy)?;
    parse_model(path, text)
}

/// Reads a model from its text; `path` gives the format and the folder of its data files.
pub fn parse_model(path: &Path, text: String) -> Result<Loaded, Problem> {
    let read = match format_of(path)? {
        Format::Native => native::read(&text),
        Format::Xmile => fulcrum_xmile::read(&text),
        Format::Vensim => {
            let directory = path.parent().map(Path::to_path_buf).unwrap_or_default();
            fulcrum_vensim::read_with(&text, &fulcrum_vensim::Options::in_directory(directory))
        }
    };
    match read {
        Ok((model, reading)) => Ok(Loaded { path: path.to_owned(), text, model, warnings: Vec::new(), reading }),
        Err(diagnostics) => Err(Problem::from_diagnostics(path, &text, &diagnostics)),
    }
}

impl Loaded {
    /// Resolves the model (as changed since reading), reporting the reader's and the resolver's
    /// errors together; keeps the warnings.
    pub fn resolve(&mut self) -> Result<ResolvedModel, Problem> {
        let resolved = fulcrum_model::resolve(&self.model);
        let found = match &resolved {
            Ok(model) => model.warnings.clone(),
            Err(diagnostics) => diagnostics.clone(),
        };
        let all = Diagnostics::merge(self.reading.clone(), found);
        if all.has_errors() {
            return Err(Problem::from_diagnostics(&self.path, &self.text, &all));
        }
        self.warnings = Problem::from_diagnostics(&self.path, &self.text, &all).diagnostics;
        resolved.map_err(|diagnostics| Problem::from_diagnostics(&self.path, &self.text, &diagnostics))
    }

    /// Resolves and compiles the model, with `changing` constants allowed to change part-way.
    pub fn compile(&mut self, changing: &[&str]) -> Result<CompiledModel, Problem> {
        let resolved = self.resolve()?;
        let changing_constants = changing.iter().filter_map(|name| resolved.lookup(name)).collect();
        compile_with(&resolved, &CompileOptions { changing_constants }).map_err(|error| self.sim_problem(&error))
    }

    /// A simulation error, said of this model's file.
    pub fn sim_problem(&self, error: &SimError) -> Problem {
        Problem {
            path: Some(self.path.display().to_string()),
            ..Problem::plain(format!("{}: {error}", self.path.display()))
        }
    }
}

/// An experiment, its model compiled for it, and the plan binding the two.
pub struct Prepared {
    /// The experiment file.
    pub path: PathBuf,
    /// Its text.
    pub text: String,
    /// The experiment as read.
    pub experiment: Experiment,
    /// Its model.
    pub model: Loaded,
    /// The model compiled with the constants the interventions change part-way.
    pub compiled: CompiledModel,
}

/// Reads an experiment and its model and checks one against the other.
pub fn read_experiment(path: &Path) -> Result<Prepared, Problem> {
    let text = read_text(path, false)?;
    let (mut experiment, found) = experiment::read(&text).map_err(|d| Problem::from_diagnostics(path, &text, &d))?;
    if found.has_errors() {
        return Err(Problem::from_diagnostics(path, &text, &found));
    }
    let model_path = path.parent().unwrap_or(Path::new("")).join(&experiment.model);
    let mut model = read_model(&model_path).map_err(|problem| match problem.code {
        Some(_) => problem,
        None => {
            let place = experiment.model_span.map_or_else(String::new, |span| {
                let (line, column) = LineIndex::new(&text).line_col(&text, span.start());
                format!(":{line}:{column}")
            });
            Problem::plain(format!("{}{place}: the experiment's model: {}", path.display(), problem.message))
        }
    })?;
    apply_changes_files(path, &mut experiment, &mut model)?;
    model.model.sim = experiment.sim_specs(&model.model.sim).map_err(|d| Problem::from_diagnostics(path, &text, &d))?;
    let changing = experiment.changing_constants(model.model.sim.start);
    let compiled = model.compile(&changing)?;
    let prepared = Prepared { path: path.to_owned(), text, experiment, model, compiled };
    prepared.plan(&prepared.experiment)?;
    Ok(prepared)
}

impl Prepared {
    /// Binds `experiment` (this one, or a copy with other sampling settings) to the model.
    pub fn plan(&self, experiment: &Experiment) -> Result<Plan, Problem> {
        experiment
            .plan(&self.compiled)
            .map(|(plan, _warnings)| plan)
            .map_err(|diagnostics| Problem::from_diagnostics(&self.path, &self.text, &diagnostics))
    }
}

/// The changes files interventions name (`changes = "file.cin"`) become settings of the
/// intervention, lookups through a copy of the table and a constant that chooses it; a value the
/// intervention sets itself wins over the file's.
fn apply_changes_files(path: &Path, experiment: &mut Experiment, model: &mut Loaded) -> Result<(), Problem> {
    for intervention in &mut experiment.interventions {
        let Some((file, _span)) = intervention.changes.clone() else { continue };
        let changes_path = path.parent().unwrap_or(Path::new("")).join(&file);
        let text = read_text(&changes_path, true)?;
        let changes =
            fulcrum_vensim::read_changes(&text).map_err(|d| Problem::from_diagnostics(&changes_path, &text, &d))?;
        let settings = fulcrum_model::changes::switchable(&mut model.model, &changes)
            .map_err(|d| Problem::from_diagnostics(&changes_path, &text, &d))?;
        for (name, value) in settings {
            let canonical = CanonicalName::new(&name);
            if !intervention.set.iter().any(|(set, _, _)| CanonicalName::new(set) == canonical) {
                intervention.set.push((name, value, None));
            }
        }
    }
    Ok(())
}
