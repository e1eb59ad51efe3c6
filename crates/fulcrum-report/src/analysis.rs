//! The files of the analysis commands: long-form CSV tables (`sensitivity.csv`,
//! `leverage.csv`, `comparison.csv`), SVG charts and a manifest, each written atomically.

use std::path::Path;

use fulcrum_sensitivity::{ResultTable, Values};
use serde::Serialize;

use crate::sweep::FileDigest;
use crate::{ReportError, format_number, write_atomically};

/// A number as a CSV cell: the shortest text that reads back exactly, and an empty cell for
/// NaN (a missing value to spreadsheets, pandas and R alike).
pub fn cell(value: f64) -> String {
    if value.is_nan() { String::new() } else { format_number(value) }
}

/// An optional number as a CSV cell.
pub fn optional_cell(value: Option<f64>) -> String {
    value.map(cell).unwrap_or_default()
}

/// Writes a CSV table with a header, atomically.
pub fn write_table(path: &Path, header: &[&str], rows: &[Vec<String>]) -> Result<(), ReportError> {
    write_atomically(path, |out| {
        let mut writer = csv::Writer::from_writer(out);
        writer.write_record(header)?;
        for row in rows {
            writer.write_record(row)?;
        }
        writer.flush()
    })
}

/// The cells of a result table's rows, as the CSV files hold them: numbers by [`cell`] (NaN
/// empty), flags as `true`/`false`, counts in digits (none empty).
pub fn table_rows(table: &ResultTable) -> Vec<Vec<String>> {
    (0..table.rows())
        .map(|row| {
            table
                .columns
                .iter()
                .map(|column| match &column.values {
                    Values::Text(values) => values[row].clone(),
                    Values::Number(values) => cell(values[row]),
                    Values::Flag(values) => values[row].to_string(),
                    Values::Count(values) => values[row].map(|count| count.to_string()).unwrap_or_default(),
                })
                .collect()
        })
        .collect()
}

/// Writes a result table (sensitivity.csv, leverage.csv, comparison.csv) as CSV, atomically.
pub fn write_result_table(path: &Path, table: &ResultTable) -> Result<(), ReportError> {
    write_table(path, &table.header(), &table_rows(table))
}

/// Writes text (an SVG chart), atomically.
pub fn write_text(path: &Path, text: &str) -> Result<(), ReportError> {
    write_atomically(path, |out| out.write_all(text.as_bytes()))
}

/// What an analysis's `manifest.json` records: enough to reproduce it and to check the files.
#[derive(Clone, Debug, Serialize, PartialEq)]
pub struct AnalysisManifest {
    /// `fulcrum`.
    pub tool: String,
    /// The tool's version.
    pub version: String,
    /// `sensitivity`, `leverage` or `compare`.
    pub command: String,
    /// The method and its settings, as given on the command line or defaulted.
    pub settings: serde_json::Map<String, serde_json::Value>,
    /// The model file as the experiment names it, and the SHA-256 of its bytes.
    pub model: FileDigest,
    /// The experiment file, and the SHA-256 of its bytes.
    pub experiment: FileDigest,
    /// The Vensim changes files the experiment names, as it names them, and the SHA-256 of each
    /// one's bytes: a changed file is another experiment. Absent when it names none.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub changes: Vec<FileDigest>,
    /// The table of draws `[sampling] from` names (a calibration's posterior.csv), as the
    /// experiment names it, and the SHA-256 of its bytes: other draws are another experiment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub draws: Option<FileDigest>,
    /// Model runs made.
    pub runs: u64,
    /// Runs that produced NaN or infinity.
    pub failed_runs: u64,
    /// The sweep whose runs were analysed (`--from`), instead of runs made by the analysis.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sweep: Option<String>,
    /// Notes on what was left out of the estimates and why.
    pub notes: Vec<String>,
    /// SHA-256 of each file written, by name.
    pub files: Vec<FileDigest>,
}

impl AnalysisManifest {
    /// Adds the digests of `files` (in `directory`) and writes `manifest.json` there, last,
    /// so that a manifest always describes the files beside it.
    pub fn write(mut self, directory: &Path, files: &[String]) -> Result<(), ReportError> {
        for name in files {
            let path = directory.join(name);
            let bytes = std::fs::read(&path).map_err(|source| ReportError::Io { path: path.clone(), source })?;
            self.files.push(FileDigest::of(name.clone(), &bytes));
        }
        let path = directory.join("manifest.json");
        write_atomically(&path, |out| {
            serde_json::to_writer_pretty(&mut *out, &self)?;
            out.write_all(b"\n")
        })
    }
}
