//! One self-contained HTML page from any mix of output folders (`fulcrum report DIR... -o
//! report.html`): the question and the model, the assumptions, the findings, the fan charts, the
//! leverage ranking, the option comparison with costs, and the settings that reproduce it.
//!
//! - [`OutputFolder::open`] recognises a folder by what fulcrum wrote into it: a sweep's
//!   `manifest.json` (with `sampler` and `bands`), an analysis's (with `command`: `sensitivity`,
//!   `leverage` or `compare`), or a run's CSV (a `time` column first) with its `--chart` SVGs.
//!   Anything else is [`ReportError::NotAnOutputFolder`], naming the folder.
//! - [`render`] writes the page as text; [`write_report`] reads the folders and writes the page
//!   atomically.
//!
//! The page needs nothing else: the folders' charts are embedded as inline SVG (each checked
//! against the digest its manifest records, so only what fulcrum drew is embedded), the style is
//! inline CSS, and there is no script. Every piece of text from a file is escaped.
//!
//! ```no_run
//! use std::path::{Path, PathBuf};
//! let folders = [PathBuf::from("out/sweep"), PathBuf::from("out/compare")];
//! fulcrum_report::html_report::write_report(&folders, Path::new("report.html"))?;
//! # Ok::<(), fulcrum_report::ReportError>(())
//! ```

use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};

use fulcrum_explore::{Distribution, Experiment};
use fulcrum_model::Model;

use crate::ReportError;
use crate::sweep::FileDigest;

/// What wrote a folder.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FolderKind {
    /// `fulcrum run -o FILE.csv [--chart FILE.svg]`, the files in a folder of their own.
    Run,
    /// `fulcrum sweep`.
    Sweep,
    /// `fulcrum sensitivity`.
    Sensitivity,
    /// `fulcrum leverage`.
    Leverage,
    /// `fulcrum compare`.
    Compare,
}

impl FolderKind {
    /// The verb that writes such a folder.
    pub fn verb(self) -> &'static str {
        match self {
            FolderKind::Run => "run",
            FolderKind::Sweep => "sweep",
            FolderKind::Sensitivity => "sensitivity",
            FolderKind::Leverage => "leverage",
            FolderKind::Compare => "compare",
        }
    }
}

/// A CSV file as rows of text under its header.
#[derive(Clone, Debug)]
struct Table {
    path: PathBuf,
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    fn read(path: &Path) -> Result<Table, ReportError> {
        let invalid = |error: csv::Error| ReportError::Invalid(format!("{}: {error}", path.display()));
        let mut reader = csv::ReaderBuilder::new().flexible(false).from_path(path).map_err(invalid)?;
        let header = reader.headers().map_err(invalid)?.iter().map(str::to_owned).collect();
        let mut rows = Vec::new();
        for record in reader.records() {
            rows.push(record.map_err(invalid)?.iter().map(str::to_owned).collect());
        }
        Ok(Table { path: path.to_owned(), header, rows })
    }

    /// The index of `column`, or an error naming the file.
    fn column(&self, column: &str) -> Result<usize, ReportError> {
        self.header.iter().position(|name| name == column).ok_or_else(|| {
            ReportError::Invalid(format!(
                "{}:1: no column `{column}` (is it as fulcrum wrote it?)",
                self.path.display()
            ))
        })
    }
}

/// The experiment a folder's manifest names, as found from here.
#[derive(Clone, Debug)]
pub enum RecordedExperiment {
    /// Found, with the bytes the manifest's digest is of.
    Found {
        /// Where it was found.
        path: PathBuf,
        /// Its text (its opening comment states the question).
        text: String,
        /// The experiment.
        experiment: Box<Experiment>,
        /// Its model, when it could be read.
        model: Option<Box<Model>>,
    },
    /// Not found, or not as the manifest records it: why, in a sentence.
    Unavailable(String),
}

/// One output folder, read.
#[derive(Clone, Debug)]
pub struct OutputFolder {
    /// The folder as given.
    pub path: PathBuf,
    /// What wrote it.
    pub kind: FolderKind,
    /// Its manifest (none for a run).
    manifest: Option<serde_json::Value>,
    /// Its charts: file name and SVG text, in the manifest's order.
    pub charts: Vec<(String, String)>,
    /// Its `summary.md`, when there is one.
    pub summary: Option<String>,
    /// The kind's result table (leverage.csv, comparison.csv, sensitivity.csv), or a run's CSV.
    table: Option<Table>,
    /// The experiment recorded in the manifest.
    pub experiment: RecordedExperiment,
}

/// A folder that is not a fulcrum output folder, with why.
fn not_output(path: &Path, why: impl Into<String>) -> ReportError {
    ReportError::NotAnOutputFolder { path: path.to_owned(), why: why.into() }
}

impl OutputFolder {
    /// Reads the folder at `path`, recognising what wrote it.
    pub fn open(path: &Path) -> Result<OutputFolder, ReportError> {
        if !path.is_dir() {
            let why = if path.exists() { "it is a file, not a folder" } else { "there is no such folder" };
            return Err(not_output(path, why));
        }
        let manifest_path = path.join("manifest.json");
        if !manifest_path.is_file() {
            return OutputFolder::open_run(path);
        }
        let text =
            fs::read(&manifest_path).map_err(|source| ReportError::Read { path: manifest_path.clone(), source })?;
        let manifest: serde_json::Value = serde_json::from_slice(&text).map_err(|source| ReportError::Json {
            path: manifest_path.clone(),
            what: "not a fulcrum manifest",
            source,
        })?;
        if manifest.get("tool").and_then(serde_json::Value::as_str) != Some("fulcrum") {
            return Err(not_output(path, "its manifest.json was not written by fulcrum (no \"tool\": \"fulcrum\")"));
        }
        let kind = match manifest.get("command").and_then(serde_json::Value::as_str) {
            Some("sensitivity") => FolderKind::Sensitivity,
            Some("leverage") => FolderKind::Leverage,
            Some("compare") => FolderKind::Compare,
            Some(other) => {
                return Err(not_output(path, format!("the report does not read `{other}` folders yet")));
            }
            None if manifest.get("bands").is_some() && manifest.get("sampler").is_some() => FolderKind::Sweep,
            None => return Err(not_output(path, "its manifest.json is neither a sweep's nor an analysis's")),
        };
        let files: Vec<FileDigest> =
            serde_json::from_value(manifest.get("files").cloned().unwrap_or_default()).map_err(|source| {
                ReportError::Json { path: manifest_path.clone(), what: "a manifest whose files do not read", source }
            })?;
        let mut charts = Vec::new();
        for file in files.iter().filter(|file| file.path.ends_with(".svg")) {
            let chart_path = path.join(&file.path);
            let bytes =
                fs::read(&chart_path).map_err(|source| ReportError::Read { path: chart_path.clone(), source })?;
            if FileDigest::of(file.path.clone(), &bytes) != *file {
                return Err(ReportError::Invalid(format!(
                    "{}: changed since fulcrum wrote it (its SHA-256 is not the one {} records); \
                     only charts as fulcrum drew them are embedded",
                    chart_path.display(),
                    manifest_path.display()
                )));
            }
            let svg = String::from_utf8(bytes)
                .map_err(|_| ReportError::Invalid(format!("{}: not UTF-8 text", chart_path.display())))?;
            charts.push((file.path.clone(), svg));
        }
        let table_name = match kind {
            FolderKind::Sensitivity => Some("sensitivity.csv"),
            FolderKind::Leverage => Some("leverage.csv"),
            FolderKind::Compare => Some("comparison.csv"),
            FolderKind::Sweep | FolderKind::Run => None,
        };
        let table = table_name.map(|name| Table::read(&path.join(name))).transpose()?;
        let experiment = find_experiment(path, &manifest);
        Ok(OutputFolder {
            path: path.to_owned(),
            kind,
            manifest: Some(manifest),
            charts,
            summary: read_summary(path)?,
            table,
            experiment,
        })
    }

    /// A folder without a manifest: a run's if it holds a CSV whose first column is `time`.
    fn open_run(path: &Path) -> Result<OutputFolder, ReportError> {
        let listing = |source| ReportError::Read { path: path.to_owned(), source };
        let mut names: Vec<PathBuf> = fs::read_dir(path)
            .map_err(listing)?
            .map(|entry| entry.map(|entry| entry.path()))
            .collect::<Result<_, _>>()
            .map_err(listing)?;
        names.sort();
        let run_csvs: Vec<&PathBuf> = names
            .iter()
            .filter(|name| name.extension().is_some_and(|ext| ext == "csv"))
            .filter(|name| {
                fs::read_to_string(name)
                    .is_ok_and(|text| text.lines().next().is_some_and(|line| line.split(',').next() == Some("time")))
            })
            .collect();
        let run_csv = match run_csvs.as_slice() {
            [one] => *one,
            [] => {
                return Err(not_output(
                    path,
                    "it has no manifest.json and no run's CSV (one whose first column is `time`)",
                ));
            }
            more => {
                return Err(not_output(
                    path,
                    format!(
                        "it has no manifest.json and {} CSVs with a `time` column, where a run's folder has one",
                        more.len()
                    ),
                ));
            }
        };
        let table = Table::read(run_csv)?;
        let mut charts = Vec::new();
        for name in names.iter().filter(|name| name.extension().is_some_and(|ext| ext == "svg")) {
            let svg = fs::read_to_string(name).map_err(|source| ReportError::Read { path: name.clone(), source })?;
            let file_name = name.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
            charts.push((file_name, svg));
        }
        Ok(OutputFolder {
            path: path.to_owned(),
            kind: FolderKind::Run,
            manifest: None,
            charts,
            summary: read_summary(path)?,
            table: Some(table),
            experiment: RecordedExperiment::Unavailable(
                "a run's folder records no experiment (a run's CSV has no manifest)".to_owned(),
            ),
        })
    }

    fn manifest_str(&self, keys: &[&str]) -> Option<&str> {
        let mut value = self.manifest.as_ref()?;
        for key in keys {
            value = value.get(key)?;
        }
        value.as_str()
    }

    /// The manifest's experiment digest, which tells folders of one experiment apart.
    fn experiment_digest(&self) -> Option<&str> {
        self.manifest_str(&["experiment", "sha256"])
    }
}

fn read_summary(path: &Path) -> Result<Option<String>, ReportError> {
    let summary = path.join("summary.md");
    if !summary.is_file() {
        return Ok(None);
    }
    fs::read_to_string(&summary).map(Some).map_err(|source| ReportError::Read { path: summary, source })
}

/// Finds the experiment the manifest records: at its path as written (relative to the current
/// folder, as the command was given), or relative to the output folder or the folder above it;
/// only a file with the recorded digest counts.
fn find_experiment(folder: &Path, manifest: &serde_json::Value) -> RecordedExperiment {
    let recorded = manifest.get("experiment");
    let path = recorded.and_then(|value| value.get("path")).and_then(serde_json::Value::as_str);
    let digest = recorded.and_then(|value| value.get("sha256")).and_then(serde_json::Value::as_str);
    let (Some(path), Some(digest)) = (path, digest) else {
        return RecordedExperiment::Unavailable("the manifest records no experiment".to_owned());
    };
    let written = PathBuf::from(path);
    let mut candidates = vec![written.clone()];
    if written.is_relative() {
        candidates.push(folder.join(&written));
        if let Some(parent) = folder.parent() {
            candidates.push(parent.join(&written));
        }
    }
    let mut changed = None;
    for candidate in candidates {
        let Ok(bytes) = fs::read(&candidate) else { continue };
        if FileDigest::of("", &bytes).sha256 != digest {
            changed = Some(candidate);
            continue;
        }
        let Ok((file, _warnings)) = crate::load::read_experiment(&candidate) else {
            return RecordedExperiment::Unavailable(format!("{} does not read as an experiment", candidate.display()));
        };
        let model_path = candidate.parent().unwrap_or(Path::new("")).join(&file.experiment.model);
        let model = crate::load::read_model(&model_path, &[]).ok().map(|loaded| Box::new(loaded.model));
        return RecordedExperiment::Found {
            path: candidate,
            text: file.text,
            experiment: Box::new(file.experiment),
            model,
        };
    }
    match changed {
        Some(candidate) => RecordedExperiment::Unavailable(format!(
            "the experiment {} has changed since these results were written, so its assumptions are not shown",
            candidate.display()
        )),
        None => RecordedExperiment::Unavailable(format!(
            "the experiment file `{path}` the manifest records was not found from here (run the report from the \
             folder the command ran in), so its assumptions are not shown"
        )),
    }
}

/// Reads every folder (each a located error if it is not an output folder) and writes the page
/// to `output` atomically.
pub fn write_report(folders: &[PathBuf], output: &Path) -> Result<(), ReportError> {
    if folders.is_empty() {
        return Err(ReportError::Invalid("no output folders to report on".to_owned()));
    }
    let read = folders.iter().map(|path| OutputFolder::open(path)).collect::<Result<Vec<_>, _>>()?;
    let inputs: Vec<&Path> = folders.iter().map(PathBuf::as_path).collect();
    crate::check_not_input(output, &inputs)?;
    let page = render(&read);
    crate::write_atomically(output, |out| out.write_all(page.as_bytes()))
}

/// Escapes text for HTML content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for character in text.chars() {
        match character {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            other => out.push(other),
        }
    }
    out
}

/// A number for reading: three significant digits, thousands grouped, exponent notation only
/// for the very large and the very small.
pub fn readable(value: f64) -> String {
    if !value.is_finite() {
        return crate::format_number(value);
    }
    if value == 0.0 {
        return "0".to_owned();
    }
    let magnitude = value.abs();
    if value.fract() == 0.0 && magnitude < 1e15 {
        return group_thousands(&format!("{value:.0}"));
    }
    if !(1e-4..1e15).contains(&magnitude) {
        return format!("{value:.2e}");
    }
    let digits = magnitude.log10().floor() as i32;
    let decimals = (2 - digits).max(0) as usize;
    let scale = 10f64.powi(digits - 2);
    let rounded = if digits >= 2 { (value / scale).round() * scale } else { value };
    let text = format!("{rounded:.decimals$}");
    if magnitude < 1000.0 {
        return text;
    }
    group_thousands(&text)
}

/// `-1234567` as `-1,234,567` (whole numbers only).
fn group_thousands(text: &str) -> String {
    let (sign, integer) = text.strip_prefix('-').map_or(("", text), |rest| ("-", rest));
    let mut grouped = String::new();
    for (index, digit) in integer.chars().enumerate() {
        if index > 0 && (integer.len() - index) % 3 == 0 {
            grouped.push(',');
        }
        grouped.push(digit);
    }
    format!("{sign}{grouped}")
}

/// A cell of a result table: numbers made readable, other text escaped.
fn cell(text: &str, kind: Cell) -> String {
    match (text.parse::<f64>(), kind) {
        (Ok(share), Cell::Percent) if share.is_finite() => {
            format!("{}%", crate::format_number((share * 1000.0).round() / 10.0))
        }
        (Ok(value), _) => escape(&readable(value)),
        _ => escape(text),
    }
}

/// How a result table shows a column.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Cell {
    Text,
    Number,
    /// A share from 0 to 1, shown in percent.
    Percent,
}

const STYLE: &str = r#"
:root { color-scheme: light; --ink: #1d232a; --muted: #5b6570; --rule: #d5dbe1; --band: #f3f6f9; }
* { box-sizing: border-box; }
body { margin: 0; font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--ink); background: #fff; }
main { max-width: 1080px; margin: 0 auto; padding: 1rem; }
h1 { font-size: 1.7rem; line-height: 1.2; margin: 0.5rem 0 0.25rem; }
h2 { font-size: 1.35rem; border-bottom: 2px solid var(--rule); padding-bottom: 0.2rem; margin-top: 2rem; }
h3 { font-size: 1.1rem; margin-bottom: 0.3rem; }
p.lead, p.note { color: var(--muted); }
code { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 0.9em; overflow-wrap: anywhere; }
.question { background: var(--band); padding: 0.25rem 0.75rem; border-radius: 4px; }
.table-wrap { overflow-x: auto; margin: 0.5rem 0 1rem; }
table { border-collapse: collapse; font-size: 0.9rem; min-width: 60%; }
th, td { border-bottom: 1px solid var(--rule); padding: 0.3rem 0.5rem; text-align: left; vertical-align: top; }
td:not(.number) { min-width: 8rem; }
td.number, th.number { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
thead th { background: var(--band); }
figure { margin: 1rem 0; }
figure svg { display: block; max-width: 100%; height: auto; }
figcaption { color: var(--muted); font-size: 0.85rem; }
.summary { background: var(--band); border-left: 4px solid #3b6ea5; padding: 0.25rem 1rem; }
dl.settings { display: grid; grid-template-columns: max-content 1fr; gap: 0.2rem 1rem; }
dl.settings dt { font-weight: 600; }
dl.settings dd { margin: 0; overflow-wrap: anywhere; }
details summary { cursor: pointer; color: var(--muted); }
@media (max-width: 600px) {
  body { font-size: 15px; }
  main { padding: 0.6rem; }
  dl.settings { grid-template-columns: 1fr; }
  dl.settings dd { margin-bottom: 0.4rem; }
  /* Tables become one card per row, each value beside its column's name. */
  .table-wrap table, .table-wrap tbody, .table-wrap tr, .table-wrap td { display: block; width: 100%; min-width: 0; }
  .table-wrap thead { display: none; }
  .table-wrap tr { border: 1px solid var(--rule); border-radius: 4px; margin-bottom: 0.5rem; padding: 0.2rem 0; }
  .table-wrap td { border: none; padding: 0.15rem 0.5rem; text-align: left; white-space: normal; }
  .table-wrap td.number { text-align: left; }
  .table-wrap td[data-label]::before { content: attr(data-label) ": "; font-weight: 600; color: var(--muted); }
}
@media print {
  body { font-size: 11pt; }
  main { max-width: none; padding: 0; }
  section { break-before: page; }
  section:first-of-type { break-before: auto; }
  figure, table, .summary { break-inside: avoid; }
  .table-wrap { overflow: visible; }
  /* A page does not scroll: the widest table (ten columns) must fit its width. */
  table { font-size: 8pt; min-width: 0; }
  th, td { padding: 0.15rem 0.3rem; }
  td:not(.number) { min-width: 0; }
}
"#;

/// The page for these folders.
pub fn render(folders: &[OutputFolder]) -> String {
    let mut page = String::new();
    let title = page_title(folders);
    page.push_str("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n");
    page.push_str("<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n");
    let _ = writeln!(page, "<title>{}</title>", escape(&title));
    let _ = writeln!(page, "<style>{STYLE}</style>\n</head>\n<body>\n<main>");
    let _ = writeln!(page, "<header>\n<h1>{}</h1>", escape(&title));
    let listed: Vec<String> = folders
        .iter()
        .map(|folder| format!("<code>{}</code> ({})", escape(&folder.path.display().to_string()), folder.kind.verb()))
        .collect();
    let _ = writeln!(page, "<p class=\"lead\">From {}.</p>\n</header>", listed.join(", "));

    question_section(&mut page, folders);
    assumptions_section(&mut page, folders);
    findings_section(&mut page, folders);
    charts_section(&mut page, folders, FolderKind::Run, "run-charts", "A run over time", None);
    charts_section(
        &mut page,
        folders,
        FolderKind::Sweep,
        "fan-charts",
        "Fan charts",
        Some(
            "Each chart shows one variable over time across the sweep's futures: the mean, the middle half (P25–P75) and nine in ten futures (P5–P95).",
        ),
    );
    leverage_section(&mut page, folders);
    compare_section(&mut page, folders);
    sensitivity_section(&mut page, folders);
    settings_section(&mut page, folders);
    page.push_str("</main>\n</body>\n</html>\n");
    page
}

fn page_title(folders: &[OutputFolder]) -> String {
    let model_name = folders.iter().find_map(|folder| match &folder.experiment {
        RecordedExperiment::Found { model: Some(model), .. } => model.name.clone(),
        _ => None,
    });
    match model_name {
        Some(name) => format!("{name}: results"),
        None => "fulcrum results".to_owned(),
    }
}

/// The experiments the folders record, once each (by digest), with the folders of each.
fn experiments(folders: &[OutputFolder]) -> Vec<(&OutputFolder, Vec<&OutputFolder>)> {
    let mut seen: Vec<(&OutputFolder, Vec<&OutputFolder>)> = Vec::new();
    for folder in folders {
        let Some(digest) = folder.experiment_digest() else { continue };
        match seen.iter_mut().find(|(first, _)| first.experiment_digest() == Some(digest)) {
            Some((_, members)) => members.push(folder),
            None => seen.push((folder, vec![folder])),
        }
    }
    seen
}

fn folder_names(members: &[&OutputFolder]) -> String {
    members
        .iter()
        .map(|folder| format!("<code>{}</code>", escape(&folder.path.display().to_string())))
        .collect::<Vec<_>>()
        .join(", ")
}

fn question_section(page: &mut String, folders: &[OutputFolder]) {
    page.push_str("<section id=\"question\">\n<h2>The question and the model</h2>\n");
    for folder in folders.iter().filter(|folder| folder.kind == FolderKind::Run) {
        if let Some(table) = &folder.table {
            let _ = writeln!(
                page,
                "<p>The run in <code>{}</code> (<code>{}</code>) has {} variables over {} times; a run's CSV names no model file or units.</p>",
                escape(&folder.path.display().to_string()),
                escape(&table.path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default()),
                table.header.len().saturating_sub(1),
                table.rows.len()
            );
        }
    }
    for (first, members) in experiments(folders) {
        let model_path = first.manifest_str(&["model", "path"]).unwrap_or("(not recorded)");
        let experiment_path = first.manifest_str(&["experiment", "path"]).unwrap_or("(not recorded)");
        let _ = writeln!(
            page,
            "<p>Model <code>{}</code>, experiment <code>{}</code> (results in {}).</p>",
            escape(model_path),
            escape(experiment_path),
            folder_names(&members)
        );
        match &first.experiment {
            RecordedExperiment::Unavailable(why) => {
                let _ = writeln!(page, "<p class=\"note\">Not shown: {}.</p>", escape(why));
            }
            RecordedExperiment::Found { text, experiment, model, .. } => {
                let question = opening_comment(text);
                if !question.is_empty() {
                    page.push_str("<h3>The question, as the experiment states it</h3>\n");
                    page.push_str("<div class=\"question\">\n");
                    for paragraph in question.split("\n\n") {
                        let _ = writeln!(
                            page,
                            "<p>{}</p>",
                            escape(&paragraph.split_whitespace().collect::<Vec<_>>().join(" "))
                        );
                    }
                    page.push_str("</div>\n");
                }
                match model {
                    Some(model) => model_description(page, model, experiment),
                    None => {
                        page.push_str("<p class=\"note\">The experiment's model could not be read from here.</p>\n")
                    }
                }
            }
        }
    }
    page.push_str("</section>\n");
}

/// The comment lines that open an experiment file, without their `#`.
fn opening_comment(text: &str) -> String {
    let mut lines = Vec::new();
    for line in text.lines() {
        let trimmed = line.trim();
        if let Some(comment) = trimmed.strip_prefix('#') {
            lines.push(comment.strip_prefix(' ').unwrap_or(comment).to_owned());
        } else if trimmed.is_empty() && lines.is_empty() {
            continue;
        } else {
            break;
        }
    }
    lines.join("\n").trim().to_owned()
}

/// The model's name and description, and the variables the experiment names with their units
/// and documentation (where the model says its sources).
fn model_description(page: &mut String, model: &Model, experiment: &Experiment) {
    if let Some(name) = &model.name {
        let _ = writeln!(page, "<h3>{}</h3>", escape(name));
    }
    if let Some(doc) = &model.doc {
        let _ = writeln!(page, "<p>{}</p>", escape(doc));
    }
    let all = experiment
        .outcomes
        .iter()
        .map(|outcome| outcome.variable.as_str())
        // A loop's share names no variable.
        .filter(|name| !name.is_empty())
        .chain(experiment.uncertain.iter().map(|uncertain| uncertain.name.as_str()))
        .chain(experiment.levers.iter().map(|lever| lever.name.as_str()))
        .chain(
            experiment
                .interventions
                .iter()
                .flat_map(|intervention| intervention.set.iter().map(|(name, _, _)| name.as_str())),
        );
    let mut named: Vec<&str> = Vec::new();
    for name in all {
        if !named.iter().any(|seen| fulcrum_model::CanonicalName::new(seen) == fulcrum_model::CanonicalName::new(name))
        {
            named.push(name);
        }
    }
    let canonical = |name: &str| fulcrum_model::CanonicalName::new(name);
    let rows: Vec<String> = named
        .iter()
        .filter_map(|name| model.variables.iter().find(|variable| canonical(&variable.name) == canonical(name)))
        .map(|variable| {
            format!(
                "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                escape(&variable.name),
                escape(variable.units.as_deref().unwrap_or("")),
                escape(variable.doc.as_deref().unwrap_or(""))
            )
        })
        .collect();
    if !rows.is_empty() {
        page.push_str("<p>The variables the experiment names, with the units and sources the model gives:</p>\n");
        table(page, &["Variable", "Units", "What it is and where it comes from"], &[], &rows);
    }
}

/// A table; each cell carries its column's name (`data-label`), which a phone shows beside the
/// value when the rows are stacked as cards.
fn table(page: &mut String, header: &[&str], numeric: &[usize], rows: &[String]) {
    page.push_str("<div class=\"table-wrap\"><table>\n<thead><tr>");
    for (index, name) in header.iter().enumerate() {
        let class = if numeric.contains(&index) { " class=\"number\"" } else { "" };
        let _ = write!(page, "<th{class}>{}</th>", escape(name));
    }
    page.push_str("</tr></thead>\n<tbody>\n");
    for row in rows {
        // Cells hold escaped text only, so every `<td` opens a cell of this row.
        for (index, piece) in row.split("<td").enumerate() {
            if index == 0 {
                page.push_str(piece);
            } else {
                let label = header.get(index - 1).copied().unwrap_or("");
                let _ = write!(page, "<td data-label=\"{}\"{piece}", escape(label));
            }
        }
        page.push('\n');
    }
    page.push_str("</tbody></table></div>\n");
}

fn number_cell(value: f64) -> String {
    format!("<td class=\"number\">{}</td>", escape(&readable(value)))
}

fn describe(distribution: &Distribution) -> String {
    let r = readable;
    match distribution {
        Distribution::Uniform { min, max } => format!("uniform {} to {}", r(*min), r(*max)),
        Distribution::Normal { mean, sd, bounds: None } => format!("normal, mean {}, sd {}", r(*mean), r(*sd)),
        Distribution::Normal { mean, sd, bounds: Some((low, high)) } => {
            format!("normal, mean {}, sd {}, cut to {} to {}", r(*mean), r(*sd), r(*low), r(*high))
        }
        Distribution::Triangular { min, mode, max } => {
            format!("triangular {} to {}, most likely {}", r(*min), r(*max), r(*mode))
        }
        Distribution::LogNormal { mean, sd } => format!("log-normal, mean {}, sd {}", r(*mean), r(*sd)),
        Distribution::LogUniform { min, max } => format!("log-uniform {} to {}", r(*min), r(*max)),
        Distribution::Beta { alpha, beta, min, max } => {
            format!("beta({}, {}) on {} to {}", r(*alpha), r(*beta), r(*min), r(*max))
        }
        other => format!("{other:?}"),
    }
}

fn assumptions_section(page: &mut String, folders: &[OutputFolder]) {
    let found: Vec<_> = experiments(folders)
        .into_iter()
        .filter_map(|(first, members)| match &first.experiment {
            RecordedExperiment::Found { path, experiment, model, .. } => Some((path, experiment, model, members)),
            RecordedExperiment::Unavailable(_) => None,
        })
        .collect();
    page.push_str("<section id=\"assumptions\">\n<h2>The assumptions</h2>\n");
    if found.is_empty() {
        page.push_str(
            "<p class=\"note\">No experiment file could be read, so the assumptions are not shown (see above).</p>\n",
        );
    }
    for (path, experiment, model, members) in found {
        let _ = writeln!(
            page,
            "<p>From <code>{}</code> (results in {}).</p>",
            escape(&path.display().to_string()),
            folder_names(&members)
        );
        let units = |name: &str| -> String {
            let canonical = fulcrum_model::CanonicalName::new(name);
            model
                .as_ref()
                .and_then(|model| {
                    model
                        .variables
                        .iter()
                        .find(|variable| fulcrum_model::CanonicalName::new(&variable.name) == canonical)
                })
                .and_then(|variable| variable.units.clone())
                .unwrap_or_default()
        };
        if !experiment.uncertain.is_empty() {
            page.push_str("<h3>What is not known: the uncertain ranges</h3>\n");
            let rows: Vec<String> = experiment
                .uncertain
                .iter()
                .map(|uncertain| {
                    format!(
                        "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                        escape(&uncertain.name),
                        escape(&describe(&uncertain.distribution)),
                        escape(&units(&uncertain.name))
                    )
                })
                .collect();
            table(page, &["Constant", "Drawn from", "Units"], &[], &rows);
        }
        if !experiment.levers.is_empty() {
            page.push_str("<h3>What a planner controls: the levers</h3>\n");
            let rows: Vec<String> = experiment
                .levers
                .iter()
                .map(|lever| {
                    let optional = |value: Option<f64>, absent: &str| {
                        value.map_or_else(|| format!("<td>{absent}</td>"), number_cell)
                    };
                    format!(
                        "<tr><td>{}</td>{}{}{}{}<td>{}</td></tr>",
                        escape(&lever.name),
                        optional(lever.baseline, "the model's value"),
                        number_cell(lever.min),
                        number_cell(lever.max),
                        optional(lever.cost_per_unit, "not given"),
                        escape(&units(&lever.name))
                    )
                })
                .collect();
            table(page, &["Lever", "Today", "Lowest", "Highest", "Cost per unit", "Units"], &[2, 3], &rows);
        }
        if !experiment.interventions.is_empty() {
            page.push_str("<h3>The options and what they cost</h3>\n");
            let rows: Vec<String> = experiment
                .interventions
                .iter()
                .map(|intervention| {
                    let settings: Vec<String> = intervention
                        .set
                        .iter()
                        .map(|(name, value, _)| format!("{} = {}", name, readable(*value)))
                        .collect();
                    let mut what = settings.join("; ");
                    if let Some((file, _)) = &intervention.changes {
                        what = format!("{what} (changes file {file})");
                    }
                    format!(
                        "<tr><td>{}</td><td>{}</td>{}<td>{}</td></tr>",
                        escape(&intervention.name),
                        escape(&what),
                        intervention.cost.map_or_else(|| "<td>not given</td>".to_owned(), number_cell),
                        intervention.start.map_or_else(
                            || "from the start".to_owned(),
                            |start| format!("from time {}", readable(start))
                        )
                    )
                })
                .collect();
            table(page, &["Option", "What it sets", "Cost", "When"], &[2], &rows);
        }
        if !experiment.outcomes.is_empty() {
            page.push_str("<h3>What is measured: the outcomes</h3>\n");
            let rows: Vec<String> = experiment
                .outcomes
                .iter()
                .map(|outcome| {
                    let better = match outcome.better {
                        Some(fulcrum_explore::Better::Higher) => "higher",
                        Some(fulcrum_explore::Better::Lower) => "lower",
                        None => "not said",
                    };
                    let measured = if outcome.variable.is_empty() {
                        outcome.statistic.to_string()
                    } else {
                        format!("{} of {}", outcome.statistic, outcome.variable)
                    };
                    format!(
                        "<tr><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                        escape(&outcome.name),
                        escape(&measured),
                        escape(&units(&outcome.variable)),
                        better
                    )
                })
                .collect();
            table(page, &["Outcome", "Measured as", "Units", "Better"], &[], &rows);
        }
    }
    page.push_str("</section>\n");
}

fn findings_section(page: &mut String, folders: &[OutputFolder]) {
    page.push_str("<section id=\"findings\">\n<h2>The findings</h2>\n");
    for folder in folders {
        let _ = writeln!(
            page,
            "<h3>{} <code>{}</code></h3>",
            folder.kind.verb(),
            escape(&folder.path.display().to_string())
        );
        match &folder.summary {
            Some(summary) => {
                page.push_str("<div class=\"summary\">\n");
                page.push_str(&markdown(summary));
                page.push_str("</div>\n");
            }
            None => {
                page.push_str("<p class=\"note\">This folder has no summary.md: see its tables and charts below.</p>\n")
            }
        }
        let notes: Vec<&str> = folder
            .manifest
            .as_ref()
            .and_then(|manifest| manifest.get("notes"))
            .and_then(serde_json::Value::as_array)
            .map(|notes| notes.iter().filter_map(serde_json::Value::as_str).collect())
            .unwrap_or_default();
        if !notes.is_empty() {
            page.push_str("<p>What the analysis left out or warned of (its manifest's notes):</p>\n<ul>\n");
            for note in notes {
                let _ = writeln!(page, "<li>{}</li>", escape(note));
            }
            page.push_str("</ul>\n");
        }
    }
    page.push_str("</section>\n");
}

/// Embeds one chart: the SVG element itself, without the XML prolog and namespace declaration
/// an HTML page does not need.
fn figure(page: &mut String, name: &str, svg: &str) {
    let start = svg.find("<svg").unwrap_or(0);
    let element = svg[start..].replacen(" xmlns=\"http://www.w3.org/2000/svg\"", "", 1);
    let element = element.replacen("<svg", &format!("<svg role=\"img\" aria-label=\"{}\"", escape(name)), 1);
    let _ = writeln!(page, "<figure>\n{}\n<figcaption>{}</figcaption>\n</figure>", element.trim_end(), escape(name));
}

fn charts_section(
    page: &mut String,
    folders: &[OutputFolder],
    kind: FolderKind,
    id: &str,
    heading: &str,
    lead: Option<&str>,
) {
    let of_kind: Vec<&OutputFolder> = folders.iter().filter(|folder| folder.kind == kind).collect();
    if of_kind.is_empty() {
        return;
    }
    let _ = writeln!(page, "<section id=\"{id}\">\n<h2>{}</h2>", escape(heading));
    if let Some(lead) = lead {
        let _ = writeln!(page, "<p>{}</p>", escape(lead));
    }
    for folder in of_kind {
        if folder.charts.is_empty() {
            let _ = writeln!(
                page,
                "<p class=\"note\"><code>{}</code> has no charts.</p>",
                escape(&folder.path.display().to_string())
            );
        }
        for (name, svg) in &folder.charts {
            figure(page, name, svg);
        }
    }
    page.push_str("</section>\n");
}

/// An outcome's name and its rows of a result table.
type OutcomeRows<'t> = (String, Vec<&'t Vec<String>>);

/// Rows of `table` grouped by its `outcome` column, in file order.
fn by_outcome(table: &Table) -> Result<Vec<OutcomeRows<'_>>, ReportError> {
    let outcome = table.column("outcome")?;
    let mut groups: Vec<OutcomeRows<'_>> = Vec::new();
    for row in &table.rows {
        let name = row.get(outcome).cloned().unwrap_or_default();
        match groups.iter_mut().find(|(seen, _)| *seen == name) {
            Some((_, rows)) => rows.push(row),
            None => groups.push((name, vec![row])),
        }
    }
    Ok(groups)
}

/// A result table's columns `columns` (header text, CSV column, numeric?) per outcome, or a note
/// saying which column is missing.
/// The result table of `folder`, one table per outcome, each followed by its chart; the charts
/// no outcome claims come after the tables.
fn result_tables(page: &mut String, folder: &OutputFolder, results: &Table, columns: &[(&str, &str, Cell)]) {
    let mut embedded = vec![false; folder.charts.len()];
    // `time` is a column only of indices over time.
    let columns: Vec<(&str, &str, Cell)> =
        columns.iter().copied().filter(|(_, column, _)| *column != "time" || results.column("time").is_ok()).collect();
    let columns = columns.as_slice();
    let indices: Result<Vec<usize>, ReportError> =
        columns.iter().map(|(_, column, _)| results.column(column)).collect();
    let (indices, groups) = match indices.and_then(|indices| Ok((indices, by_outcome(results)?))) {
        Ok(found) => found,
        Err(error) => {
            let _ = writeln!(page, "<p class=\"note\">Table not shown: {}</p>", escape(&error.to_string()));
            for (name, svg) in &folder.charts {
                figure(page, name, svg);
            }
            return;
        }
    };
    let header: Vec<&str> = columns.iter().map(|(header, _, _)| *header).collect();
    let numeric: Vec<usize> =
        columns.iter().enumerate().filter(|(_, column)| column.2 != Cell::Text).map(|(index, _)| index).collect();
    let rank = results.column("rank").ok();
    // The baseline against itself: no share of futures to beat.
    let option = results.column("intervention").ok();
    let is_baseline =
        |row: &Vec<String>| option.and_then(|option| row.get(option)).is_some_and(|name| name == "baseline");
    for (outcome, mut rows) in groups {
        // Best first: the rank column's order, where the table has one.
        if let Some(rank) = rank {
            let key =
                |row: &&Vec<String>| row.get(rank).and_then(|text| text.parse::<f64>().ok()).unwrap_or(f64::INFINITY);
            rows.sort_by(|a, b| key(a).total_cmp(&key(b)));
        }
        let _ = writeln!(page, "<h3>{}</h3>", escape(&outcome));
        if let Some(measured) = outcome_measure(folder, &outcome) {
            let _ = writeln!(page, "<p class=\"note\">{}</p>", escape(&measured));
        }
        let total = rows.len();
        rows.truncate(ROWS_SHOWN);
        let rendered: Vec<String> = rows
            .iter()
            .map(|row| {
                let cells: String = indices
                    .iter()
                    .zip(columns)
                    .map(|(&index, (_, _, kind))| {
                        let text = row.get(index).map_or("", String::as_str);
                        match kind {
                            Cell::Text => format!("<td>{}</td>", escape(text)),
                            Cell::Percent if is_baseline(row) => "<td class=\"number\">—</td>".to_owned(),
                            _ => format!("<td class=\"number\">{}</td>", cell(text, *kind)),
                        }
                    })
                    .collect();
                format!("<tr>{cells}</tr>")
            })
            .collect();
        table(page, &header, &numeric, &rendered);
        if total > ROWS_SHOWN {
            let file = results.path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
            let _ = writeln!(
                page,
                "<p class=\"note\">The first {ROWS_SHOWN} of {total} rows; <code>{}</code> in the folder has them all.</p>",
                escape(&file)
            );
        }
        if let Some(index) = chart_of(&folder.charts, &embedded, &outcome) {
            embedded[index] = true;
            let (name, svg) = &folder.charts[index];
            figure(page, name, svg);
        }
    }
    for ((name, svg), done) in folder.charts.iter().zip(embedded) {
        if !done {
            figure(page, name, svg);
        }
    }
}

/// The most rows of one outcome a result table shows (a ranking of levers or options is far
/// shorter; indices over time are not).
const ROWS_SHOWN: usize = 60;

/// The first chart not yet embedded whose text holds every word of the outcome's name (the
/// charts name their outcome in the title, wrapped between words, and come in the outcomes'
/// order).
fn chart_of(charts: &[(String, String)], embedded: &[bool], outcome: &str) -> Option<usize> {
    let words: Vec<String> = outcome.split_whitespace().map(escape).collect();
    charts
        .iter()
        .zip(embedded)
        .position(|((_, svg), done)| !done && words.iter().all(|word| svg.contains(word.as_str())))
}

/// What an outcome measures, in its units, and which way is better, from the experiment the
/// folder records: `final of Output per Person, in cases/person/month; higher is better`.
fn outcome_measure(folder: &OutputFolder, outcome: &str) -> Option<String> {
    let RecordedExperiment::Found { experiment, model, .. } = &folder.experiment else { return None };
    let spec = experiment.outcomes.iter().find(|spec| spec.name == outcome)?;
    let canonical = fulcrum_model::CanonicalName::new(&spec.variable);
    let units = model
        .as_ref()
        .and_then(|model| {
            model.variables.iter().find(|variable| fulcrum_model::CanonicalName::new(&variable.name) == canonical)
        })
        .and_then(|variable| variable.units.clone());
    // A loop's share measures a loop, not a variable.
    let mut text = if spec.variable.is_empty() {
        spec.statistic.to_string()
    } else {
        format!("{} of {}", spec.statistic, spec.variable)
    };
    if let Some(units) = units {
        text.push_str(&format!(", in {units}"));
    }
    text.push_str(match spec.better {
        Some(fulcrum_explore::Better::Higher) => "; higher is better",
        Some(fulcrum_explore::Better::Lower) => "; lower is better",
        None => "; the experiment does not say which way is better",
    });
    Some(text)
}

fn analysis_section(
    page: &mut String,
    folders: &[OutputFolder],
    kind: FolderKind,
    id: &str,
    heading: &str,
    lead: &str,
    columns: &[(&str, &str, Cell)],
) {
    let of_kind: Vec<&OutputFolder> = folders.iter().filter(|folder| folder.kind == kind).collect();
    if of_kind.is_empty() {
        return;
    }
    let _ = writeln!(page, "<section id=\"{id}\">\n<h2>{}</h2>\n<p>{}</p>", escape(heading), escape(lead));
    for folder in of_kind {
        let _ =
            writeln!(page, "<p class=\"note\">From <code>{}</code>.</p>", escape(&folder.path.display().to_string()));
        match &folder.table {
            Some(results) => result_tables(page, folder, results, columns),
            None => folder.charts.iter().for_each(|(name, svg)| figure(page, name, svg)),
        }
    }
    page.push_str("</section>\n");
}

fn leverage_section(page: &mut String, folders: &[OutputFolder]) {
    analysis_section(
        page,
        folders,
        FolderKind::Leverage,
        "leverage",
        "The leverage ranking",
        "For each outcome, the levers ranked by their score: the arc elasticity (the outcome's relative change for a relative change of the lever), its middle over the futures with P10 and P90, how often its sign holds, and its effect per unit of cost where the lever has a cost.",
        &[
            ("Rank", "rank", Cell::Number),
            ("Lever", "lever", Cell::Text),
            ("Score", "score", Cell::Number),
            ("P10", "p10", Cell::Number),
            ("P90", "p90", Cell::Number),
            ("Same sign in", "sign_consistency", Cell::Percent),
            ("Disproportionate", "disproportionate", Cell::Text),
            ("Effect per cost", "effect_per_cost", Cell::Number),
        ],
    );
}

fn compare_section(page: &mut String, folders: &[OutputFolder]) {
    analysis_section(
        page,
        folders,
        FolderKind::Compare,
        "comparison",
        "The options compared, with their costs",
        "For each outcome, every option over the same futures, best first: its cost; its mean; Δ, its difference from the baseline future by future (the mean, and P10 and P90 over the futures); the share of futures in which it beats the baseline; its expected regret (how far, on average, it falls short of the best option in each future); and its effect per unit of cost.",
        &[
            ("Rank", "rank", Cell::Number),
            ("Option", "intervention", Cell::Text),
            ("Cost", "cost", Cell::Number),
            ("Mean", "mean", Cell::Number),
            ("Δ mean", "delta_mean", Cell::Number),
            ("Δ P10", "delta_p10", Cell::Number),
            ("Δ P90", "delta_p90", Cell::Number),
            ("Beats baseline in", "prob_better", Cell::Percent),
            ("Regret", "expected_regret", Cell::Number),
            ("Effect per cost", "effect_per_cost", Cell::Number),
        ],
    );
}

fn sensitivity_section(page: &mut String, folders: &[OutputFolder]) {
    analysis_section(
        page,
        folders,
        FolderKind::Sensitivity,
        "sensitivity",
        "Sensitivity",
        "For each outcome, how much it moves with each uncertain constant, by the method the folder's settings name.",
        &[
            ("Time", "time", Cell::Number),
            ("Parameter", "parameter", Cell::Text),
            ("Method", "method", Cell::Text),
            ("Measure", "measure", Cell::Text),
            ("Estimate", "estimate", Cell::Number),
            ("CI low", "ci_low", Cell::Number),
            ("CI high", "ci_high", Cell::Number),
        ],
    );
}

fn settings_section(page: &mut String, folders: &[OutputFolder]) {
    page.push_str("<section id=\"settings\">\n<h2>The settings that reproduce it</h2>\n");
    for folder in folders {
        let _ = writeln!(
            page,
            "<h3>{} <code>{}</code></h3>",
            folder.kind.verb(),
            escape(&folder.path.display().to_string())
        );
        let Some(manifest) = &folder.manifest else {
            page.push_str("<p class=\"note\">A run's CSV records no settings; the command line that wrote it is needed to repeat it.</p>\n");
            continue;
        };
        let experiment = folder.manifest_str(&["experiment", "path"]).unwrap_or("EXPERIMENT");
        let _ = writeln!(
            page,
            "<p>Command: <code>fulcrum {} {} -o {}</code> with the settings below (the seed among them) and the same files (their SHA-256 below).</p>",
            folder.kind.verb(),
            escape(experiment),
            escape(&folder.path.display().to_string())
        );
        page.push_str("<dl class=\"settings\">\n");
        let mut entries = Vec::new();
        if let Some(object) = manifest.as_object() {
            for (key, value) in object.iter().filter(|(key, _)| !matches!(key.as_str(), "files" | "tool" | "notes")) {
                flatten(key, value, &mut entries);
            }
        }
        for (key, text) in entries {
            let _ = writeln!(page, "<dt>{}</dt><dd><code>{}</code></dd>", escape(&key), escape(&text));
        }
        page.push_str("</dl>\n");
        let files: Vec<FileDigest> =
            manifest.get("files").cloned().and_then(|files| serde_json::from_value(files).ok()).unwrap_or_default();
        if !files.is_empty() {
            let rows: Vec<String> = files
                .iter()
                .map(|file| {
                    format!("<tr><td>{}</td><td><code>{}</code></td></tr>", escape(&file.path), escape(&file.sha256))
                })
                .collect();
            page.push_str("<details><summary>The files written, with their SHA-256</summary>\n");
            table(page, &["File", "SHA-256"], &[], &rows);
            page.push_str("</details>\n");
        }
    }
    page.push_str("</section>\n");
}

/// A manifest's entry as `key` and text: objects as `key.inner` entries, arrays of plain values
/// as a list, anything else as JSON text.
fn flatten(key: &str, value: &serde_json::Value, entries: &mut Vec<(String, String)>) {
    use serde_json::Value;
    let plain = |value: &Value| match value {
        Value::String(text) => Some(text.clone()),
        Value::Number(number) => Some(number.to_string()),
        Value::Bool(flag) => Some(flag.to_string()),
        Value::Null => Some("none".to_owned()),
        Value::Array(_) | Value::Object(_) => None,
    };
    match value {
        Value::Object(object) => {
            for (inner, value) in object {
                flatten(&format!("{key}.{inner}"), value, entries);
            }
        }
        Value::Array(items) => {
            let texts: Option<Vec<String>> = items.iter().map(plain).collect();
            entries.push((key.to_owned(), texts.map_or_else(|| value.to_string(), |texts| texts.join(", "))));
        }
        other => entries.push((key.to_owned(), plain(other).unwrap_or_default())),
    }
}

/// The Markdown of a `summary.md` as HTML: headings (two levels down, under the page's own),
/// paragraphs, lists, tables, `code`, **strong** and *emphasis*; everything else as escaped text.
pub fn markdown(text: &str) -> String {
    let mut html = String::new();
    let mut paragraph: Vec<&str> = Vec::new();
    let mut list: Option<&str> = None;
    let mut table_rows: Vec<Vec<String>> = Vec::new();
    let flush_paragraph = |html: &mut String, paragraph: &mut Vec<&str>| {
        if !paragraph.is_empty() {
            let _ = writeln!(html, "<p>{}</p>", inline(&paragraph.join(" ")));
            paragraph.clear();
        }
    };
    let close_list = |html: &mut String, list: &mut Option<&str>| {
        if let Some(tag) = list.take() {
            let _ = writeln!(html, "</{tag}>");
        }
    };
    let flush_table = |html: &mut String, rows: &mut Vec<Vec<String>>| {
        if rows.is_empty() {
            return;
        }
        // As the page's own tables: a header row, and each cell labelled with its column for a
        // phone, which stacks the rows as cards.
        let header = rows.remove(0);
        html.push_str("<div class=\"table-wrap\"><table>\n<thead><tr>");
        for name in &header {
            let _ = write!(html, "<th>{}</th>", inline(name));
        }
        html.push_str("</tr></thead>\n<tbody>\n");
        for row in rows.iter() {
            html.push_str("<tr>");
            for (index, cell) in row.iter().enumerate() {
                let label = header.get(index).map_or("", String::as_str);
                let _ = write!(html, "<td data-label=\"{}\">{}</td>", escape(label), inline(cell));
            }
            html.push_str("</tr>\n");
        }
        html.push_str("</tbody></table></div>\n");
        rows.clear();
    };
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.starts_with('|') {
            flush_paragraph(&mut html, &mut paragraph);
            close_list(&mut html, &mut list);
            let cells: Vec<String> = trimmed.trim_matches('|').split('|').map(|cell| cell.trim().to_owned()).collect();
            let separator = cells.iter().all(|cell| !cell.is_empty() && cell.chars().all(|c| matches!(c, '-' | ':')));
            if !separator {
                table_rows.push(cells);
            }
            continue;
        }
        flush_table(&mut html, &mut table_rows);
        if trimmed.is_empty() {
            flush_paragraph(&mut html, &mut paragraph);
            close_list(&mut html, &mut list);
        } else if let Some((level, heading)) = heading(trimmed) {
            flush_paragraph(&mut html, &mut paragraph);
            close_list(&mut html, &mut list);
            let level = (level + 2).min(6);
            let _ = writeln!(html, "<h{level}>{}</h{level}>", inline(heading));
        } else if let Some(item) = trimmed.strip_prefix("- ").or_else(|| trimmed.strip_prefix("* ")) {
            flush_paragraph(&mut html, &mut paragraph);
            open_list(&mut html, &mut list, "ul");
            let _ = writeln!(html, "<li>{}</li>", inline(item));
        } else if let Some(item) = numbered(trimmed) {
            flush_paragraph(&mut html, &mut paragraph);
            open_list(&mut html, &mut list, "ol");
            let _ = writeln!(html, "<li>{}</li>", inline(item));
        } else if list.is_some() && line.starts_with(' ') {
            // A continuation line of a list item: joined to the item before it.
            if html.ends_with("</li>\n") {
                html.truncate(html.len() - "</li>\n".len());
                let _ = writeln!(html, " {}</li>", inline(trimmed));
            }
        } else {
            close_list(&mut html, &mut list);
            paragraph.push(trimmed);
        }
    }
    flush_table(&mut html, &mut table_rows);
    flush_paragraph(&mut html, &mut paragraph);
    close_list(&mut html, &mut list);
    html
}

fn open_list(html: &mut String, list: &mut Option<&str>, tag: &'static str) {
    if *list != Some(tag) {
        if let Some(open) = list.take() {
            let _ = writeln!(html, "</{open}>");
        }
        let _ = writeln!(html, "<{tag}>");
        *list = Some(tag);
    }
}

fn heading(line: &str) -> Option<(usize, &str)> {
    let level = line.chars().take_while(|&c| c == '#').count();
    if (1..=6).contains(&level) { line[level..].strip_prefix(' ').map(|rest| (level, rest.trim())) } else { None }
}

fn numbered(line: &str) -> Option<&str> {
    let digits = line.chars().take_while(char::is_ascii_digit).count();
    if digits == 0 {
        return None;
    }
    line[digits..].strip_prefix(". ")
}

/// Inline Markdown: `code`, **strong**, *emphasis*; the text between escaped.
fn inline(text: &str) -> String {
    let mut html = String::new();
    let mut rest = text;
    while !rest.is_empty() {
        let next = ["`", "**", "*"]
            .iter()
            .filter_map(|marker| rest.find(marker).map(|at| (at, *marker)))
            .min_by_key(|(at, marker)| (*at, std::cmp::Reverse(marker.len())));
        let Some((at, marker)) = next else {
            html.push_str(&escape(rest));
            break;
        };
        let after = &rest[at + marker.len()..];
        let Some(end) = after.find(marker).filter(|&end| end > 0) else {
            html.push_str(&escape(&rest[..at + marker.len()]));
            rest = after;
            continue;
        };
        html.push_str(&escape(&rest[..at]));
        let inner = &after[..end];
        match marker {
            "`" => {
                let _ = write!(html, "<code>{}</code>", escape(inner));
            }
            "**" => {
                let _ = write!(html, "<strong>{}</strong>", inline(inner));
            }
            _ => {
                let _ = write!(html, "<em>{}</em>", inline(inner));
            }
        }
        rest = &after[end + marker.len()..];
    }
    html
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    #[test]
    fn numbers_read_with_three_significant_digits_and_grouped_thousands() {
        assert_eq!(readable(6_720_000.0), "6,720,000");
        assert_eq!(readable(-1234.5678), "-1,230");
        assert_eq!(readable(157.949), "158");
        assert_eq!(readable(0.034347), "0.0343");
        assert_eq!(readable(4.0), "4");
        assert_eq!(readable(1.46e-7), "1.46e-7");
        assert_eq!(readable(f64::NAN), "NaN");
    }

    #[test]
    fn every_special_character_is_escaped() {
        assert_eq!(escape(r#"<a href="x">'&'</a>"#), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    }

    #[test]
    fn a_summary_renders_headings_lists_tables_and_inline_marks_with_its_text_escaped() {
        let summary = "# Findings\n\nThe *tool* is `cheap` and\n**safe** <b>.\n\n- one\n  continued\n- two & three\n\n1. first\n\n| a | b |\n|---|---|\n| 1 | <2> |\n";
        let html = markdown(summary);
        assert_eq!(
            html,
            "<h3>Findings</h3>\n<p>The <em>tool</em> is <code>cheap</code> and <strong>safe</strong> &lt;b&gt;.</p>\n\
             <ul>\n<li>one continued</li>\n<li>two &amp; three</li>\n</ul>\n<ol>\n<li>first</li>\n</ol>\n\
             <div class=\"table-wrap\"><table>\n<thead><tr><th>a</th><th>b</th></tr></thead>\n<tbody>\n\
             <tr><td data-label=\"a\">1</td><td data-label=\"b\">&lt;2&gt;</td></tr>\n</tbody></table></div>\n"
        );
        // An unclosed mark is text, not markup.
        assert_eq!(markdown("2 * 3 and `x"), "<p>2 * 3 and `x</p>\n");
    }

    /// A compare folder as fulcrum writes one, with `notes` and one chart, and no experiment to
    /// be found.
    fn compare_folder(directory: &Path, command: &str, notes: &[&str]) {
        let svg = "<svg width=\"10\" height=\"10\" viewBox=\"0 0 10 10\" xmlns=\"http://www.w3.org/2000/svg\">\n<rect width=\"5\" height=\"5\"/>\n</svg>\n";
        fs::write(directory.join("comparison-x.svg"), svg).unwrap();
        let csv = "outcome,intervention,cost,mean,delta_mean,delta_p10,delta_p90,prob_better,expected_regret,effect_per_cost,rank\n\
                   x,baseline,,1,0,0,0,0,0.5,,2\nx,more,1000,2,1,0.5,1.5,0.9,0,0.001,1\n";
        fs::write(directory.join("comparison.csv"), csv).unwrap();
        let manifest = serde_json::json!({
            "tool": "fulcrum", "version": "0.1.0", "command": command, "settings": {"seed": 7, "futures": 2},
            "model": {"path": "gone/model.toml", "sha256": "00"},
            "experiment": {"path": "gone/experiment.toml", "sha256": "11"},
            "runs": 4, "failed_runs": 0, "notes": notes,
            "files": [FileDigest::of("comparison-x.svg", svg.as_bytes())]
        });
        fs::write(directory.join("manifest.json"), manifest.to_string()).unwrap();
    }

    #[test]
    fn a_folder_is_recognised_by_its_manifest_and_its_notes_are_findings() {
        let directory = tempfile::tempdir().unwrap();
        compare_folder(directory.path(), "compare", &["x < y was left out"]);
        let folder = OutputFolder::open(directory.path()).unwrap();
        assert_eq!(folder.kind, FolderKind::Compare);
        assert_eq!(folder.charts.len(), 1);
        let page = render(&[folder]);
        assert!(page.contains("<li>x &lt; y was left out</li>"), "the notes are listed, escaped");
        assert!(page.contains("<dt>settings.seed</dt><dd><code>7</code></dd>"));
        assert!(page.contains("was not found from here"), "the missing experiment is said");
        // Best first, the baseline without a share of futures, the chart after the table.
        let more = page.find("<td data-label=\"Option\">more</td>").unwrap();
        let baseline = page.find("<td data-label=\"Option\">baseline</td>").unwrap();
        assert!(more < baseline && baseline < page.find("<svg").unwrap());
        assert!(page.contains("<td data-label=\"Beats baseline in\" class=\"number\">90%</td>"));
        assert!(!page.contains("http"), "the SVG's namespace is dropped");
    }

    #[test]
    fn a_long_table_shows_its_first_rows_and_says_where_the_rest_are() {
        let directory = tempfile::tempdir().unwrap();
        compare_folder(directory.path(), "compare", &[]);
        let mut csv = String::from(
            "outcome,intervention,cost,mean,delta_mean,delta_p10,delta_p90,prob_better,expected_regret,effect_per_cost,rank\n",
        );
        for option in 0..70 {
            csv.push_str(&format!("x,option {option},,1,0,0,0,0.5,0,,{}\n", option + 1));
        }
        fs::write(directory.path().join("comparison.csv"), csv).unwrap();
        let page = render(&[OutputFolder::open(directory.path()).unwrap()]);
        assert!(page.contains("The first 60 of 70 rows; <code>comparison.csv</code> in the folder has them all."));
        assert!(page.contains(">option 59</td>") && !page.contains(">option 60</td>"));
    }

    #[test]
    fn a_manifest_of_a_command_the_report_does_not_read_is_refused_with_the_folder() {
        let directory = tempfile::tempdir().unwrap();
        compare_folder(directory.path(), "loops", &[]);
        let error = OutputFolder::open(directory.path()).unwrap_err();
        assert!(
            matches!(&error, ReportError::NotAnOutputFolder { path, why } if path == directory.path() && why.contains("`loops`")),
            "{error}"
        );
    }

    #[test]
    fn the_opening_comment_of_an_experiment_is_its_question() {
        let text = "\n# Which option?\n# More text.\n#\n# Second paragraph.\n\nmodel = \"m.toml\"\n# not this\n";
        assert_eq!(opening_comment(text), "Which option?\nMore text.\n\nSecond paragraph.");
    }
}
