//! Writing results: CSV in the layouts researchers script against and planners open in a
//! spreadsheet, always written atomically.
//!
//! - [`write_results_csv`]: one run, wide: `time` then one column per variable, as PySD and
//!   Vensim users know it.
//! - [`write_atomically`]: every output file goes to a temporary file beside its destination and
//!   is renamed into place only when complete, so a crash or Ctrl-C never leaves half a file.
//! - [`format_number`]: the shortest text that reads back as the same `f64`.
//! - [`SweepWriter`]: the files of a sweep (experiments, outcomes, failures, runs, bands and a
//!   manifest), streamed to temporary files and renamed into place at the end; [`SweepDir`]
//!   reads such a folder back (manifest, outcomes, series, band parts, digests).
//! - [`charts`]: the analysis charts (tornado, Morris, indices, leverage, differences) as SVG
//!   text, ready for [`write_atomically`].
//! - [`diagram`]: a model's stock-and-flow diagram as SVG text, at the file's saved positions
//!   or laid out automatically.
//! - [`html_report`]: one self-contained HTML page from any mix of output folders.
//! - [`expected`]: reads other tools' outputs (CSV or Vensim TAB) to compare runs against.
//! - [`load`]: reads model files (any format), changes files and experiments with their
//!   models, returning their diagnostics for the caller to show.

use std::fs;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use fulcrum_sim::Results;

pub mod analysis;
pub mod calibration;
pub mod chart_files;
pub mod charts;
pub mod diagram;
pub mod discover_files;
pub mod expected;
pub mod html_report;
pub mod load;
pub mod loop_files;
pub mod summary;
pub mod sweep;
pub mod sweep_dir;
pub mod sweep_run;

pub use sweep::{DesignManifest, Manifest, SampledDesign, SweepWriter};
pub use sweep_dir::SweepDir;
pub use sweep_run::{SweepSource, write_sweep};

/// What can go wrong writing output.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ReportError {
    /// Writing failed.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file being written.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// The output path names an input file, which fulcrum never overwrites.
    #[error("refusing to overwrite {0}, which is an input")]
    WouldOverwriteInput(PathBuf),
    /// Reading a file failed.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file being read.
        path: PathBuf,
        /// Why.
        source: io::Error,
    },
    /// A JSON file fulcrum wrote does not read as what it should be.
    #[error("{}", json_message(path, what, source))]
    Json {
        /// The file.
        path: PathBuf,
        /// What it is not (`not a design.json`).
        what: &'static str,
        /// Why.
        source: serde_json::Error,
    },
    /// A file fulcrum wrote is not as it wrote it; the message names the file and line.
    #[error("{0}")]
    Invalid(String),
    /// A sweep stopped.
    #[error(transparent)]
    Sweep(#[from] fulcrum_explore::SweepError),
    /// A chart could not be drawn.
    #[error(transparent)]
    Chart(#[from] charts::ChartError),
    /// A folder given to the report is not one fulcrum wrote.
    #[error(
        "{}: not a fulcrum output folder: {why}\n  hint: give the `-o` folders of `fulcrum sweep`, `sensitivity`, `leverage` or `compare`, or a folder holding one CSV of `fulcrum run` (and its `--chart` SVG)",
        path.display()
    )]
    NotAnOutputFolder {
        /// The folder as given.
        path: PathBuf,
        /// Why it is not one.
        why: String,
    },
}

/// `file:line:column: what: message` for a JSON file that does not read (serde_json counts
/// columns from 1, and gives 0 only at the start of an empty line or file).
fn json_message(path: &Path, what: &str, error: &serde_json::Error) -> String {
    let (line, column) = (error.line(), error.column().max(1));
    let text = error.to_string();
    let message = text.strip_suffix(&format!(" at line {} column {}", error.line(), error.column())).unwrap_or(&text);
    format!("{}:{line}:{column}: {what}: {message}", path.display())
}

/// Writes a file atomically: `write` fills a temporary file in the destination's directory,
/// which is flushed, synced and then renamed over `path`. On error nothing is left behind.
pub fn write_atomically(path: &Path, write: impl FnOnce(&mut dyn Write) -> io::Result<()>) -> Result<(), ReportError> {
    let io_error = |source: io::Error| ReportError::Io { path: path.to_owned(), source };
    let directory = match path.parent() {
        Some(parent) if !parent.as_os_str().is_empty() => parent.to_owned(),
        _ => PathBuf::from("."),
    };
    if !directory.is_dir() {
        let missing = format!("there is no directory {}", directory.display());
        return Err(io_error(io::Error::new(io::ErrorKind::NotFound, missing)));
    }
    let mut file = temporary_beside(path, &directory).map_err(io_error)?;
    {
        let mut buffered = io::BufWriter::new(file.as_file_mut());
        write(&mut buffered).map_err(io_error)?;
        buffered.flush().map_err(io_error)?;
    }
    file.as_file().sync_all().map_err(io_error)?;
    file.persist(path).map_err(|error| io_error(error.error))?;
    Ok(())
}

/// A temporary file in `directory` for the file at `path`: hidden, marked `.partial`, and with
/// the permissions a new file normally gets (tempfile's default, owner-only, is for secrets).
fn temporary_beside(path: &Path, directory: &Path) -> io::Result<tempfile::NamedTempFile> {
    let prefix = format!(".{}.", path.file_name().and_then(|n| n.to_str()).unwrap_or("output"));
    let mut builder = tempfile::Builder::new();
    builder.prefix(&prefix).suffix(".partial");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        // The process's umask applies, as for any new file.
        builder.permissions(fs::Permissions::from_mode(0o666));
    }
    builder.tempfile_in(directory)
}

/// Refuses an output path that is one of the inputs (compared after resolving links).
pub fn check_not_input(output: &Path, inputs: &[&Path]) -> Result<(), ReportError> {
    let Ok(output_real) = fs::canonicalize(output) else {
        // The output does not exist yet, so it is not an input.
        return Ok(());
    };
    for input in inputs {
        if fs::canonicalize(input).is_ok_and(|input_real| input_real == output_real) {
            return Err(ReportError::WouldOverwriteInput(output.to_owned()));
        }
    }
    Ok(())
}

/// The shortest decimal text that parses back to exactly `value` (Ryu's), without a
/// trailing `.0`: plain notation from 1e-5 up to 1e16, exponent notation (`1.5e-7`, `1e300`)
/// outside. `NaN`, `inf` and `-inf` as pandas and R read them.
pub fn format_number(value: f64) -> String {
    let mut text = String::new();
    push_number(&mut text, value);
    text
}

/// Appends [`format_number`]'s text to `out`, without allocating.
pub fn push_number(out: &mut String, value: f64) {
    if value.is_nan() {
        out.push_str("NaN");
    } else if value.is_infinite() {
        out.push_str(if value > 0.0 { "inf" } else { "-inf" });
    } else if value == 0.0 {
        // Keeps -0 from reading as a different number in diffs.
        out.push('0');
    } else {
        let mut buffer = ryu::Buffer::new();
        let text = buffer.format_finite(value);
        out.push_str(text.strip_suffix(".0").unwrap_or(text));
    }
}

/// Writes one run as CSV: a `time` column, then one column per variable named as in the model.
pub fn write_results_csv(results: &Results, output: &mut dyn Write) -> io::Result<()> {
    let mut writer = csv::Writer::from_writer(output);
    let header = std::iter::once("time").chain(results.names().iter().map(String::as_str));
    writer.write_record(header).map_err(csv_to_io)?;
    let columns: Vec<&[f64]> = (0..results.names().len()).map(|column| results.column(column)).collect();
    let mut record = Vec::with_capacity(columns.len() + 1);
    for (row, &time) in results.times().iter().enumerate() {
        record.clear();
        record.push(format_number(time));
        record.extend(columns.iter().map(|column| format_number(column[row])));
        writer.write_record(&record).map_err(csv_to_io)?;
    }
    writer.flush()
}

fn csv_to_io(error: csv::Error) -> io::Error {
    match error.into_kind() {
        csv::ErrorKind::Io(error) => error,
        other => io::Error::other(format!("{other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fulcrum_model::builder::ModelBuilder;
    use proptest::prelude::*;

    #[test]
    fn results_csv_has_time_then_variables_quoted_by_csv_rules() {
        let model =
            ModelBuilder::new(0.0, 2.0, 1.0).stock("Stock, with comma", "1", &["in"], &[]).flow("in", "0.5").build();
        let compiled = fulcrum_sim::compile(&fulcrum_model::resolve(&model).expect("valid")).expect("compiles");
        let results = compiled.new_run().run().expect("runs");
        let mut out = Vec::new();
        write_results_csv(&results, &mut out).expect("writes");
        assert_eq!(
            String::from_utf8(out).expect("utf-8"),
            "time,\"Stock, with comma\",in\n0,1,0.5\n1,1.5,0.5\n2,2,0.5\n"
        );
    }

    #[test]
    fn atomic_write_replaces_only_when_complete() {
        let directory = tempfile::tempdir().expect("temp dir");
        let path = directory.path().join("out.csv");
        write_atomically(&path, |w| w.write_all(b"first")).expect("written");
        let failed = write_atomically(&path, |w| {
            w.write_all(b"half")?;
            Err(io::Error::other("interrupted"))
        });
        assert!(failed.is_err());
        assert_eq!(fs::read_to_string(&path).expect("read"), "first");
        let leftovers: Vec<_> = fs::read_dir(directory.path()).expect("list").collect();
        assert_eq!(leftovers.len(), 1, "no temporary file is left behind");
    }

    #[test]
    fn inputs_are_never_outputs() {
        let directory = tempfile::tempdir().expect("temp dir");
        let input = directory.path().join("model.toml");
        fs::write(&input, "x").expect("write");
        let same = directory.path().join(".").join("model.toml");
        assert!(check_not_input(&same, &[&input]).is_err());
        assert!(check_not_input(&directory.path().join("out.csv"), &[&input]).is_ok());
    }

    #[test]
    fn special_numbers() {
        assert_eq!(format_number(100.0), "100");
        assert_eq!(format_number(0.1), "0.1");
        assert_eq!(format_number(-0.0), "0");
        assert_eq!(format_number(1e300), "1e300");
        assert_eq!(format_number(1.5e-7), "1.5e-7");
        assert_eq!(format_number(f64::NAN), "NaN");
        assert_eq!(format_number(f64::NEG_INFINITY), "-inf");
    }

    proptest! {
        #[test]
        fn numbers_read_back_exactly(value in proptest::num::f64::NORMAL | proptest::num::f64::SUBNORMAL) {
            let text = format_number(value);
            prop_assert_eq!(text.parse::<f64>().ok(), Some(value));
        }
    }
}
