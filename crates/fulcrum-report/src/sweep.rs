//! The files of a sweep, in the output directory:
//!
//! - `experiments.csv`: `run`, then one column per sampled input;
//! - `outcomes.csv`: `run`, then one column per outcome (empty for a failed run, or for a
//!   threshold never crossed);
//! - `failures.csv`: `run,variable,time,value` for each run that produced NaN or infinity (the
//!   first variable that did, when and what), then the run's inputs as in experiments.csv;
//! - `runs.csv` (when trajectories are kept): `run,time,variable,value`;
//! - `bands.csv`: `variable,time,n,mean,sd,min,p05,p25,p50,p75,p95,max`;
//! - `manifest.json`: what was run, with the SHA-256 of every other file.
//!
//! A shard (one slice of a sweep's runs) writes `bands.parts` instead of `bands.csv`: what the
//! bands are made of, so that [`merge_shards`] can write the files of the whole sweep, the same
//! bytes as if it had run in one piece.
//!
//! Each file is written to a temporary file beside its destination while the sweep runs and
//! renamed into place only when the sweep has finished: the old manifest goes first and the
//! new one last, so a directory with a manifest always holds one complete sweep.

use std::fs::{self, File};
use std::io::{self, BufWriter, Write};
use std::path::{Path, PathBuf};

use fulcrum_explore::bands::{BandParts, BandRow};
use fulcrum_explore::{Block, Sink};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tempfile::TempPath;

use crate::{ReportError, csv_to_io, push_number};

/// What a sweep was: written as `manifest.json`. Everything in it is a function of the inputs,
/// so that the same sweep gives the same bytes.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    /// `fulcrum`.
    pub tool: String,
    /// The tool's version.
    pub version: String,
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
    /// The intervention applied to every run, if any.
    pub intervention: Option<String>,
    /// The master seed.
    pub seed: u64,
    /// `random`, `lhs`, `sobol` or `grid`.
    pub sampler: String,
    /// Futures per grid point.
    pub samples: u64,
    /// Grid points (1 without a grid).
    pub grid_points: u64,
    /// The grid's axes, outermost first (the first changes slowest from run to run).
    pub grid: Vec<GridAxis>,
    /// Runs in the whole design.
    pub design_runs: u64,
    /// The runs in these files: `[first, end)`.
    pub runs: [u64; 2],
    /// The time axis the runs used.
    pub time: TimeSpec,
    /// Columns of outcomes.csv after `run`.
    pub outcomes: Vec<String>,
    /// Variables in bands.csv.
    pub bands: Vec<String>,
    /// `exact`, or `sketch` with the bound on its relative error.
    pub quantiles: String,
    /// Runs that failed.
    pub failures: u64,
    /// The significant digits of results.csv's numbers (`--round`); none: every digit.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub round: Option<u8>,
    /// Whether the whole sweep also has runs-wide.csv (`--wide`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub wide: bool,
    /// Which slice of the runs these files are, for a shard; none for a whole sweep.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub shard: Option<Shard>,
    /// The design written by `fulcrum sample` that the runs are, if they are one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub design: Option<SampledDesign>,
    /// SHA-256 of each file written, by name.
    pub files: Vec<FileDigest>,
}

impl Manifest {
    /// The first field in which two manifests show different sweeps, with both values; none
    /// when they describe slices of the same sweep. The run range, failures, files and the path
    /// the experiment was given by never count; the shard's index only with `same_shard`.
    pub fn difference(&self, other: &Manifest, same_shard: bool) -> Option<String> {
        let comparable = |manifest: &Manifest| {
            let mut manifest = manifest.clone();
            manifest.runs = [0, 0];
            manifest.failures = 0;
            manifest.files = Vec::new();
            manifest.experiment.path = String::new();
            if let (Some(shard), false) = (manifest.shard.as_mut(), same_shard) {
                shard.index = 0;
            }
            serde_json::to_value(manifest).unwrap_or_default()
        };
        let (ours, theirs) = (comparable(self), comparable(other));
        let (Some(ours), Some(theirs)) = (ours.as_object(), theirs.as_object()) else { return None };
        ours.iter().find_map(|(key, value)| {
            let other = theirs.get(key).unwrap_or(&serde_json::Value::Null);
            (other != value).then(|| format!("`{key}` ({} against {})", short(value), short(other)))
        })
    }
}

/// A JSON value, cut to 80 characters.
fn short(value: &serde_json::Value) -> String {
    let text = value.to_string();
    if text.chars().count() > 80 { format!("{}…", text.chars().take(80).collect::<String>()) } else { text }
}

/// A design written by `fulcrum sample`, as `design.json` and a sweep's manifest record it:
/// enough to plan it again and to check that the runs are the rows it wrote.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct SampledDesign {
    /// The command whose design it is: `sweep`, `sensitivity`, `leverage` or `compare`.
    pub command: String,
    /// The flags that shape the design, written out in full (`--method sobol --samples 1024`).
    pub arguments: Vec<String>,
    /// Runs in the design.
    pub runs: u64,
    /// What its run ranges are, in order (a comparison's options, leverage's lever pairs and
    /// cross-check); one part for a design of one kind of run.
    pub parts: Vec<DesignPart>,
    /// The SHA-256 of its experiments.csv (the same bytes a sweep of it writes).
    pub experiments_sha256: String,
}

/// A named range of a design's runs.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct DesignPart {
    /// What the runs are.
    pub name: String,
    /// `[first, end)`.
    pub runs: [u64; 2],
}

impl From<&fulcrum_explore::Part> for DesignPart {
    fn from(part: &fulcrum_explore::Part) -> DesignPart {
        DesignPart { name: part.name.clone(), runs: part.runs }
    }
}

/// The SHA-256 of the experiments.csv of `runs` on `model`: what [`write_design`] and a sweep
/// of the runs write.
pub fn runs_sha256(runs: &fulcrum_explore::Runs, model: &fulcrum_sim::CompiledModel) -> String {
    let inputs = runs.inputs();
    experiments_sha256(&runs.columns(model), runs.option_parts(), runs.count(), |run, row| inputs.row(run, row))
}

/// The name of the option run `run` belongs to, among `parts`.
fn option_of(parts: &[fulcrum_explore::Part], run: u64) -> &str {
    parts.iter().find(|part| (part.runs[0]..part.runs[1]).contains(&run)).map_or("", |part| part.name.as_str())
}

/// `design.json`: a design, the tool that wrote it, and the files it was planned from.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct DesignManifest {
    /// `fulcrum`.
    pub tool: String,
    /// The tool's version (a design is planned again by the version that wrote it).
    pub version: String,
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
    /// The design.
    pub design: SampledDesign,
}

/// Writes a design's `experiments.csv` (the columns `run`, `option` when `options` name each
/// run's option, and `names`, rows from `row`, the same bytes as a sweep of the design writes)
/// and then `design.json`, both atomically, into `directory`;
/// `manifest.design.experiments_sha256` is filled in.
pub fn write_design(
    directory: &Path,
    names: &[&str],
    options: Option<&[fulcrum_explore::Part]>,
    row: impl FnMut(u64, &mut [f64]),
    mut manifest: DesignManifest,
) -> Result<(), ReportError> {
    fs::create_dir_all(directory).map_err(|source| ReportError::Io { path: directory.to_owned(), source })?;
    let mut file = PendingCsv::create(directory, "experiments.csv")?;
    let path = file.path.clone();
    let io_error = |path: &Path| {
        let path = path.to_owned();
        move |source: io::Error| ReportError::Io { path, source }
    };
    write_experiment_rows(&mut file.writer, names, options, manifest.design.runs, row).map_err(io_error(&path))?;
    let staged = file.finish()?;
    manifest.design.experiments_sha256 = staged.sha256.clone();
    staged.temp.persist(&staged.path).map_err(|error| io_error(&staged.path)(error.error))?;
    crate::write_atomically(&directory.join("design.json"), |out| {
        serde_json::to_writer_pretty(&mut *out, &manifest)?;
        out.write_all(b"\n")
    })
}

/// The SHA-256 of the experiments.csv that [`write_design`] would write for these rows.
pub fn experiments_sha256(
    names: &[&str],
    options: Option<&[fulcrum_explore::Part]>,
    runs: u64,
    row: impl FnMut(u64, &mut [f64]),
) -> String {
    let mut writer = csv::Writer::from_writer(Hashing { inner: io::sink(), hasher: Sha256::new() });
    // Writing into a sink cannot fail.
    let _ = write_experiment_rows(&mut writer, names, options, runs, row);
    match writer.into_inner() {
        Ok(hashing) => hex(&hashing.hasher.finalize()),
        Err(_) => String::new(),
    }
}

fn write_experiment_rows<W: Write>(
    writer: &mut csv::Writer<W>,
    names: &[&str],
    options: Option<&[fulcrum_explore::Part]>,
    runs: u64,
    mut row: impl FnMut(u64, &mut [f64]),
) -> io::Result<()> {
    let option_column = options.map(|_| "option");
    writer.write_record(std::iter::once("run").chain(option_column).chain(names.iter().copied())).map_err(csv_to_io)?;
    let (mut values, mut field, mut run_text) = (vec![0.0; names.len()], String::new(), itoa::Buffer::new());
    for run in 0..runs {
        row(run, &mut values);
        writer.write_field(run_text.format(run)).map_err(csv_to_io)?;
        if let Some(parts) = options {
            writer.write_field(option_of(parts, run)).map_err(csv_to_io)?;
        }
        for value in &values {
            field.clear();
            // Empty for NaN, as a sweep writes it.
            if !value.is_nan() {
                push_number(&mut field, *value);
            }
            writer.write_field(&field).map_err(csv_to_io)?;
        }
        end_record(writer)?;
    }
    writer.flush()
}

/// A shard's place among the others.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct Shard {
    /// 1 to `count`.
    pub index: u64,
    /// How many shards the sweep was split into.
    pub count: u64,
}

/// One axis of a grid: a constant and the values it takes.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct GridAxis {
    /// The constant, as the experiment names it.
    pub name: String,
    /// Its values, in order.
    pub values: Vec<f64>,
}

/// The value of each grid axis at grid point `point`: its index in mixed radix, the first axis
/// changing slowest (as runs step through the grid).
pub fn grid_point_values(grid: &[GridAxis], point: usize) -> Vec<f64> {
    let mut rest = point;
    grid.iter()
        .enumerate()
        .map(|(a, axis)| {
            let inner: usize = grid[a + 1..].iter().map(|axis| axis.values.len().max(1)).product();
            let index = rest / inner.max(1);
            rest %= inner.max(1);
            axis.values.get(index).copied().unwrap_or(f64::NAN)
        })
        .collect()
}

/// Grid point `point` in words: `Hiring Delay = 3, Price = 10`; empty without a grid.
pub fn grid_point_label(grid: &[GridAxis], point: usize) -> String {
    let values = grid_point_values(grid, point);
    let labels: Vec<String> = grid
        .iter()
        .zip(values)
        .map(|(axis, value)| format!("{} = {}", axis.name, crate::format_number(value)))
        .collect();
    labels.join(", ")
}

/// A band row's grid point and band variable: a sweep with bands per grid point gives each
/// band variable's rows once per grid point, so a row's `variable` counts through the band
/// variables of grid point 0, then of grid point 1, and so on.
pub fn band_row_place(row: &BandRow, variables: usize) -> (usize, usize) {
    (row.variable / variables.max(1), row.variable % variables.max(1))
}

/// A file and the SHA-256 of its bytes.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct FileDigest {
    /// The path, as given.
    pub path: String,
    /// Lower-case hex.
    pub sha256: String,
}

impl FileDigest {
    /// The digest of some bytes.
    pub fn of(path: impl Into<String>, bytes: &[u8]) -> FileDigest {
        FileDigest { path: path.into(), sha256: hex(&Sha256::digest(bytes)) }
    }

    /// The SHA-256 of a file's bytes, read in pieces.
    pub fn sha256_of_file(path: &Path) -> io::Result<String> {
        let mut hasher = Sha256::new();
        io::copy(&mut File::open(path)?, &mut hasher)?;
        Ok(hex(&hasher.finalize()))
    }
}

/// The time axis of the runs.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct TimeSpec {
    /// Start time.
    pub start: f64,
    /// Stop time.
    pub stop: f64,
    /// Time step.
    pub dt: f64,
    /// Interval between saved times.
    pub save_step: f64,
    /// `euler`, `rk2` or `rk4`.
    pub method: String,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// A writer that hashes what goes through it.
struct Hashing<W> {
    inner: W,
    hasher: Sha256,
}

impl<W: Write> Write for Hashing<W> {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        let written = self.inner.write(bytes)?;
        self.hasher.update(&bytes[..written]);
        Ok(written)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.inner.flush()
    }
}

/// A CSV file being written to a temporary file beside its destination.
struct PendingCsv {
    name: &'static str,
    path: PathBuf,
    temp: TempPath,
    writer: csv::Writer<Hashing<BufWriter<File>>>,
}

/// A finished temporary file, waiting to be renamed into place.
struct Staged {
    name: &'static str,
    path: PathBuf,
    temp: TempPath,
    sha256: String,
}

impl Staged {
    /// `bytes`, written to a temporary file beside `directory/name`.
    fn of_bytes(directory: &Path, name: &'static str, bytes: &[u8]) -> Result<Staged, ReportError> {
        let path = directory.join(name);
        let io_error = |source: io::Error| ReportError::Io { path: path.clone(), source };
        let mut temp = crate::temporary_beside(&path, directory).map_err(io_error)?;
        temp.write_all(bytes).map_err(io_error)?;
        temp.as_file().sync_all().map_err(io_error)?;
        Ok(Staged { name, sha256: hex(&Sha256::digest(bytes)), path: path.clone(), temp: temp.into_temp_path() })
    }
}

/// Fills in the manifest's digests and renames every staged file into place, the manifest last.
fn commit(directory: &Path, staged: Vec<Staged>, mut manifest: Manifest) -> Result<(), ReportError> {
    manifest.files =
        staged.iter().map(|file| FileDigest { path: file.name.to_owned(), sha256: file.sha256.clone() }).collect();
    let manifest_path = directory.join("manifest.json");
    let io_error = |path: &Path| {
        let path = path.to_owned();
        move |source: io::Error| ReportError::Io { path, source }
    };
    let mut json = serde_json::to_vec_pretty(&manifest).map_err(|error| io_error(&manifest_path)(error.into()))?;
    json.push(b'\n');
    // An old manifest would vouch for files that are about to change.
    match fs::remove_file(&manifest_path) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => return Err(io_error(&manifest_path)(error)),
        _ => {}
    }
    for file in staged {
        file.temp.persist(&file.path).map_err(|error| io_error(&file.path)(error.error))?;
    }
    crate::write_atomically(&manifest_path, |out| out.write_all(&json))
}

/// The CSV files of a sweep that shards write row by row, in the order the manifest lists them.
pub const ROW_FILES: [&str; 5] = ["experiments.csv", "outcomes.csv", "results.csv", "failures.csv", "runs.csv"];

/// The units of a sweep's columns (`variable,units`), which every shard writes alike and a
/// merge takes from the first.
pub const UNITS: &str = "units.csv";

/// The kept trajectories with time down and a column per run and variable (`--wide`).
pub const WIDE: &str = "runs-wide.csv";

/// The findings in words, written for a whole sweep (not for a shard).
pub const SUMMARY: &str = "summary.md";

/// The bands of merged shards: the rows of bands.csv, or (for a shard that ran in pieces) its
/// band parts.
pub enum MergedBands<'a> {
    /// bands.csv, with the band variables' names.
    Rows(&'a [&'a str], &'a [BandRow]),
    /// bands.parts.
    Parts(&'a BandParts),
}

/// Writes the files of a whole sweep into `directory` from its shards' directories, given in run
/// order: each CSV file is the first shard's followed by the rows of the others (their headers,
/// which must be the same bytes, left out); the bands become bands.csv (or bands.parts);
/// `manifest` describes the whole. Files are renamed into place only when all are written, the
/// manifest last.
pub fn merge_shards(
    directory: &Path,
    shards: &[PathBuf],
    bands: MergedBands<'_>,
    manifest: Manifest,
) -> Result<(), ReportError> {
    fs::create_dir_all(directory).map_err(|source| ReportError::Io { path: directory.to_owned(), source })?;
    // Read before a single shard's files are moved.
    let summary = if manifest.shard.is_none() { Some(sweep_summary(shards, &manifest)?) } else { None };
    let wide = if manifest.shard.is_none() && manifest.wide { Some(runs_wide(shards, manifest.round)?) } else { None };
    let mut staged = Vec::new();
    // One shard (a sweep that ran in one piece): its files are moved, not copied, with the
    // digests its manifest vouches for.
    let single = match shards {
        [only] => {
            fs::read(only.join("manifest.json")).ok().and_then(|json| serde_json::from_slice::<Manifest>(&json).ok())
        }
        _ => None,
    };
    for name in ROW_FILES {
        if !shards.first().is_some_and(|first| first.join(name).exists()) {
            continue;
        }
        let digest = single.as_ref().and_then(|shard| shard.files.iter().find(|file| file.path == name));
        if let (Some(digest), [only]) = (digest, shards) {
            let path = directory.join(name);
            let io_error = |source: io::Error| ReportError::Io { path: path.clone(), source };
            let temp = crate::temporary_beside(&path, directory).map_err(io_error)?.into_temp_path();
            fs::rename(only.join(name), &temp).map_err(io_error)?;
            staged.push(Staged { name, sha256: digest.sha256.clone(), path, temp });
            continue;
        }
        let path = directory.join(name);
        let io_error = |source: io::Error| ReportError::Io { path: path.clone(), source };
        let temp = crate::temporary_beside(&path, directory).map_err(io_error)?;
        let (file, temp) = temp.into_parts();
        let mut out = Hashing { inner: BufWriter::new(file), hasher: Sha256::new() };
        let mut header: Option<Vec<u8>> = None;
        for shard in shards {
            let source = shard.join(name);
            let read_error = |error: io::Error| ReportError::Io { path: source.clone(), source: error };
            let mut input = io::BufReader::new(File::open(&source).map_err(read_error)?);
            let mut first_line = Vec::new();
            io::BufRead::read_until(&mut input, b'\n', &mut first_line).map_err(read_error)?;
            match &header {
                None => {
                    out.write_all(&first_line).map_err(io_error)?;
                    header = Some(first_line);
                }
                Some(expected) if *expected == first_line => {}
                Some(_) => {
                    let message = format!("its header differs from the first shard's {name}");
                    return Err(read_error(io::Error::new(io::ErrorKind::InvalidData, message)));
                }
            }
            io::copy(&mut input, &mut out).map_err(|error| ReportError::Io { path: source.clone(), source: error })?;
        }
        let file = out.inner.into_inner().map_err(|error| io_error(error.into_error()))?;
        file.sync_all().map_err(io_error)?;
        staged.push(Staged { name, sha256: hex(&out.hasher.finalize()), path, temp });
    }
    staged.push(match bands {
        MergedBands::Rows(variables, rows) => {
            let mut band_file = PendingCsv::create(directory, "bands.csv")?;
            write_bands(&mut band_file, variables, rows, &manifest.grid)
                .map_err(|source| ReportError::Io { path: band_file.path.clone(), source })?;
            band_file.finish()?
        }
        MergedBands::Parts(parts) => stage_parts(directory, parts)?,
    });
    if let Some(first) = shards.first()
        && let Ok(units) = fs::read(first.join(UNITS))
    {
        staged.push(Staged::of_bytes(directory, UNITS, &units)?);
    }
    if let Some(summary) = summary {
        staged.push(Staged::of_bytes(directory, SUMMARY, summary.as_bytes())?);
    }
    if let Some(wide) = wide {
        staged.push(Staged::of_bytes(directory, WIDE, &wide)?);
    }
    commit(directory, staged, manifest)
}

/// runs-wide.csv from the shards' runs.csv (in run order): `time`, then a column `VARIABLE
/// (run R)` for each run that did not fail and each kept variable, one row per saved time.
/// Everything is held in memory; the sweep refuses `--wide` for more values than that allows.
fn runs_wide(shards: &[PathBuf], digits: Option<u8>) -> Result<Vec<u8>, ReportError> {
    let mut times: Vec<String> = Vec::new();
    let mut variables: Vec<String> = Vec::new();
    // Each run's id and its cells in (time, variable) order.
    let mut runs: Vec<(String, Vec<String>)> = Vec::new();
    for shard in shards {
        let path = shard.join("runs.csv");
        let read_error = |error: csv::Error| ReportError::Read { path: path.clone(), source: csv_to_io(error) };
        let mut reader = match csv::Reader::from_path(&path) {
            Ok(reader) => reader,
            // No trajectories kept: an empty runs-wide.csv with its time column.
            Err(error) if matches!(error.kind(), csv::ErrorKind::Io(e) if e.kind() == io::ErrorKind::NotFound) => {
                continue;
            }
            Err(error) => return Err(read_error(error)),
        };
        for record in reader.records() {
            let record = record.map_err(read_error)?;
            let field = |index: usize| record.get(index).unwrap_or("").to_owned();
            let (run, time, variable, value) = (field(0), field(1), field(2), field(3));
            if runs.last().is_none_or(|(last, _)| *last != run) {
                runs.push((run, Vec::new()));
            }
            // The first run gives the times and the variables, in order.
            if runs.len() == 1 {
                if times.last() != Some(&time) {
                    times.push(time);
                }
                if !variables.contains(&variable) {
                    variables.push(variable);
                }
            }
            let value = match (digits, value.parse::<f64>()) {
                (Some(_), Ok(number)) => {
                    let mut text = String::new();
                    push_number(&mut text, round(number, digits));
                    text
                }
                _ => value,
            };
            if let Some((_, cells)) = runs.last_mut() {
                cells.push(value);
            }
        }
    }
    let mut writer = csv::Writer::from_writer(Vec::new());
    let io_error = |error: csv::Error| ReportError::Io { path: PathBuf::from(WIDE), source: csv_to_io(error) };
    let header = std::iter::once("time".to_owned()).chain(
        runs.iter().flat_map(|(run, _)| variables.iter().map(move |variable| format!("{variable} (run {run})"))),
    );
    writer.write_record(header).map_err(io_error)?;
    let width = variables.len();
    for (t, time) in times.iter().enumerate() {
        let cells = runs
            .iter()
            .flat_map(|(_, cells)| (0..width).map(move |v| cells.get(t * width + v).map_or("", String::as_str)));
        writer.write_record(std::iter::once(time.as_str()).chain(cells)).map_err(io_error)?;
    }
    writer.into_inner().map_err(|error| ReportError::Io { path: PathBuf::from(WIDE), source: error.into_error() })
}

/// summary.md of a whole sweep: each outcome's spread over the runs (per grid point), read
/// from the shards' outcomes.csv in run order.
fn sweep_summary(shards: &[PathBuf], manifest: &Manifest) -> Result<String, ReportError> {
    let mut columns: Vec<Vec<f64>> = vec![Vec::new(); manifest.outcomes.len()];
    for shard in shards {
        let path = shard.join("outcomes.csv");
        let read_error = |error: csv::Error| ReportError::Read { path: path.clone(), source: csv_to_io(error) };
        let mut reader = csv::Reader::from_path(&path).map_err(read_error)?;
        for record in reader.records() {
            let record = record.map_err(read_error)?;
            for (column, values) in columns.iter_mut().enumerate() {
                let cell = record.get(column + 1).unwrap_or("");
                values.push(cell.parse::<f64>().unwrap_or(f64::NAN));
            }
        }
    }
    let runs = columns.first().map_or(0, Vec::len);
    let per_point = manifest.samples.max(1) as usize;
    let points = manifest.grid_points.max(1) as usize;
    let options = manifest.design.as_ref().filter(|design| design.command == "compare");
    let groups: Vec<(String, Vec<usize>)> = if let Some(design) = options {
        // A comparison's design: each option's runs.
        let within = |run: u64| (run as usize).min(runs);
        design
            .parts
            .iter()
            .map(|part| (part.name.clone(), (within(part.runs[0])..within(part.runs[1])).collect()))
            .collect()
    } else if points > 1 {
        (0..points)
            .map(|point| {
                let runs = point * per_point..((point + 1) * per_point).min(runs);
                (grid_point_label(&manifest.grid, point), runs.collect())
            })
            .collect()
    } else {
        vec![(String::new(), (0..runs).collect())]
    };
    let outcomes: Vec<crate::summary::SweptOutcome> = manifest
        .outcomes
        .iter()
        .zip(columns)
        .map(|(name, values)| crate::summary::SweptOutcome {
            name: name.clone(),
            better: None,
            threshold: false,
            values,
        })
        .collect();
    Ok(crate::summary::sweep(&outcomes, &groups, manifest.failures))
}

fn stage_parts(directory: &Path, parts: &BandParts) -> Result<Staged, ReportError> {
    let mut bytes = Vec::with_capacity(parts.runs() as usize * 8);
    parts.write(&mut bytes).map_err(|source| ReportError::Io { path: directory.join("bands.parts"), source })?;
    Staged::of_bytes(directory, "bands.parts", &bytes)
}

impl PendingCsv {
    fn create(directory: &Path, name: &'static str) -> Result<PendingCsv, ReportError> {
        let path = directory.join(name);
        let io_error = |source: io::Error| ReportError::Io { path: path.clone(), source };
        let temp = crate::temporary_beside(&path, directory).map_err(io_error)?;
        let (file, temp) = temp.into_parts();
        let writer = csv::Writer::from_writer(Hashing { inner: BufWriter::new(file), hasher: Sha256::new() });
        Ok(PendingCsv { name, path, temp, writer })
    }

    fn header<'a>(&mut self, fields: impl IntoIterator<Item = &'a str>) -> io::Result<()> {
        self.writer.write_record(fields).map_err(csv_to_io)
    }

    fn finish(self) -> Result<Staged, ReportError> {
        let PendingCsv { name, path, temp, writer } = self;
        let io_error = |source: io::Error| ReportError::Io { path: path.clone(), source };
        let hashing = writer.into_inner().map_err(|error| io_error(error.into_error()))?;
        let file = hashing.inner.into_inner().map_err(|error| io_error(error.into_error()))?;
        file.sync_all().map_err(io_error)?;
        Ok(Staged { name, sha256: hex(&hashing.hasher.finalize()), path, temp })
    }
}

/// Writes a sweep's files as its blocks arrive; see the module documentation.
pub struct SweepWriter {
    directory: PathBuf,
    experiments: PendingCsv,
    outcomes: PendingCsv,
    results: PendingCsv,
    failures: PendingCsv,
    runs: Option<PendingCsv>,
    units: Option<Vec<u8>>,
    options: Option<Vec<fulcrum_explore::Part>>,
    round: Option<u8>,
    kept: Vec<String>,
    times: Vec<f64>,
    factors: usize,
    outcome_count: usize,
    field: String,
}

impl SweepWriter {
    /// Starts the files in `directory` (created if missing): `factors` name the columns of
    /// experiments.csv (after `run`, and `option` when `options` name each run's option, as
    /// for a comparison's design: see [`fulcrum_explore::Runs::option_parts`]), `outcomes` those of outcomes.csv; `kept` are the variables of runs.csv
    /// (none: no runs.csv) at the saved `times`.
    pub fn create(
        directory: &Path,
        factors: &[&str],
        options: Option<&[fulcrum_explore::Part]>,
        outcomes: &[&str],
        kept: &[&str],
        times: Vec<f64>,
    ) -> Result<SweepWriter, ReportError> {
        fs::create_dir_all(directory).map_err(|source| ReportError::Io { path: directory.to_owned(), source })?;
        let header_error = |path: &Path| {
            let path = path.to_owned();
            move |source| ReportError::Io { path, source }
        };
        let mut experiments = PendingCsv::create(directory, "experiments.csv")?;
        let option_column = options.map(|_| "option");
        experiments
            .header(std::iter::once("run").chain(option_column).chain(factors.iter().copied()))
            .map_err(header_error(&experiments.path))?;
        let mut outcome_file = PendingCsv::create(directory, "outcomes.csv")?;
        outcome_file
            .header(std::iter::once("run").chain(outcomes.iter().copied()))
            .map_err(header_error(&outcome_file.path))?;
        // Inputs and outcomes side by side, one row per run: what a spreadsheet wants.
        let mut results = PendingCsv::create(directory, "results.csv")?;
        results
            .header(
                std::iter::once("run")
                    .chain(option_column)
                    .chain(factors.iter().copied())
                    .chain(outcomes.iter().copied()),
            )
            .map_err(header_error(&results.path))?;
        let mut failures = PendingCsv::create(directory, "failures.csv")?;
        failures
            .header(["run", "variable", "time", "value"].into_iter().chain(factors.iter().copied()))
            .map_err(header_error(&failures.path))?;
        let runs = if kept.is_empty() {
            None
        } else {
            let mut runs = PendingCsv::create(directory, "runs.csv")?;
            runs.header(["run", "time", "variable", "value"]).map_err(header_error(&runs.path))?;
            Some(runs)
        };
        Ok(SweepWriter {
            directory: directory.to_owned(),
            experiments,
            outcomes: outcome_file,
            results,
            failures,
            runs,
            units: None,
            options: options.map(<[fulcrum_explore::Part]>::to_vec),
            round: None,
            kept: kept.iter().map(|name| (*name).to_owned()).collect(),
            times,
            factors: factors.len(),
            outcome_count: outcomes.len(),
            field: String::with_capacity(32),
        })
    }

    /// Rounds results.csv's numbers to `digits` significant digits (none: every digit).
    pub fn with_round(mut self, digits: Option<u8>) -> SweepWriter {
        self.round = digits;
        self
    }

    /// Also writes units.csv: each column's variable (`variable`) and its units as the model
    /// writes them (`units`, empty where it gives none), one row per name given.
    pub fn with_units(mut self, rows: &[(String, String)]) -> Result<SweepWriter, ReportError> {
        let mut writer = csv::Writer::from_writer(Vec::new());
        let error = |error: csv::Error| ReportError::Io { path: self.directory.join(UNITS), source: csv_to_io(error) };
        writer.write_record(["variable", "units"]).map_err(error)?;
        for (name, units) in rows {
            writer.write_record([name, units]).map_err(error)?;
        }
        let bytes = writer
            .into_inner()
            .map_err(|e| ReportError::Io { path: self.directory.join(UNITS), source: e.into_error() })?;
        self.units = Some(bytes);
        Ok(self)
    }

    /// Writes bands.csv and manifest.json (with the digests of every file filled in) and renames
    /// every file into place.
    pub fn finish(self, band_variables: &[&str], bands: &[BandRow], manifest: Manifest) -> Result<(), ReportError> {
        let mut band_file = PendingCsv::create(&self.directory, "bands.csv")?;
        write_bands(&mut band_file, band_variables, bands, &manifest.grid)
            .map_err(|source| ReportError::Io { path: band_file.path.clone(), source })?;
        let band_file = band_file.finish()?;
        self.commit(Some(band_file), manifest)
    }

    /// For a shard: writes bands.parts instead of bands.csv, then the manifest, as
    /// [`SweepWriter::finish`] does. Without parts (a piece whose bands stay in memory), no band
    /// file at all.
    pub fn finish_shard(self, parts: Option<&BandParts>, manifest: Manifest) -> Result<(), ReportError> {
        let band_file = parts.map(|parts| stage_parts(&self.directory, parts)).transpose()?;
        self.commit(band_file, manifest)
    }

    fn commit(self, band_file: Option<Staged>, manifest: Manifest) -> Result<(), ReportError> {
        let mut staged =
            vec![self.experiments.finish()?, self.outcomes.finish()?, self.results.finish()?, self.failures.finish()?];
        if let Some(runs) = self.runs {
            staged.push(runs.finish()?);
        }
        staged.extend(band_file);
        if let Some(units) = &self.units {
            staged.push(Staged::of_bytes(&self.directory, UNITS, units)?);
        }
        commit(&self.directory, staged, manifest)
    }

    fn number(&mut self, value: f64) {
        self.field.clear();
        // Empty for NaN: a failed run's outcome or a threshold never crossed.
        if !value.is_nan() {
            push_number(&mut self.field, value);
        }
    }
}

/// `value` to `digits` significant digits (written then as the shortest text of the rounded
/// number: 113.881, not 113.88100000000001); every digit without `digits`.
pub fn round(value: f64, digits: Option<u8>) -> f64 {
    match digits {
        Some(digits) if value.is_finite() && value != 0.0 => {
            let text = format!("{value:.*e}", usize::from(digits.max(1) - 1));
            text.parse().unwrap_or(value)
        }
        _ => value,
    }
}

fn end_record<W: Write>(writer: &mut csv::Writer<W>) -> io::Result<()> {
    writer.write_record(None::<&[u8]>).map_err(csv_to_io)
}

impl Sink for SweepWriter {
    fn block(&mut self, block: &Block) -> io::Result<()> {
        let times = std::mem::take(&mut self.times);
        let mut run_text = itoa::Buffer::new();
        for index in 0..block.len {
            let run = run_text.format(block.first_run + index as u64);
            self.experiments.writer.write_field(run).map_err(csv_to_io)?;
            let option: Option<String> =
                self.options.as_deref().map(|parts| option_of(parts, block.first_run + index as u64).to_owned());
            if let Some(option) = &option {
                self.experiments.writer.write_field(option).map_err(csv_to_io)?;
            }
            for position in 0..self.factors {
                self.number(block.inputs[index * self.factors + position]);
                self.experiments.writer.write_field(&self.field).map_err(csv_to_io)?;
            }
            end_record(&mut self.experiments.writer)?;
            self.outcomes.writer.write_field(run).map_err(csv_to_io)?;
            for position in 0..self.outcome_count {
                self.number(block.outcomes[index * self.outcome_count + position]);
                self.outcomes.writer.write_field(&self.field).map_err(csv_to_io)?;
            }
            end_record(&mut self.outcomes.writer)?;
            self.results.writer.write_field(run).map_err(csv_to_io)?;
            if let Some(option) = &option {
                self.results.writer.write_field(option).map_err(csv_to_io)?;
            }
            for position in 0..self.factors {
                self.number(round(block.inputs[index * self.factors + position], self.round));
                self.results.writer.write_field(&self.field).map_err(csv_to_io)?;
            }
            for position in 0..self.outcome_count {
                self.number(round(block.outcomes[index * self.outcome_count + position], self.round));
                self.results.writer.write_field(&self.field).map_err(csv_to_io)?;
            }
            end_record(&mut self.results.writer)?;
        }
        for (run, failure) in &block.failures {
            let record = [
                run.to_string(),
                failure.name.clone(),
                crate::format_number(failure.time),
                crate::format_number(failure.value),
            ];
            for field in &record {
                self.failures.writer.write_field(field).map_err(csv_to_io)?;
            }
            // The run's inputs, so that a failure can be reproduced from this file alone.
            let index = (run - block.first_run) as usize;
            for position in 0..self.factors {
                self.number(block.inputs[index * self.factors + position]);
                self.failures.writer.write_field(&self.field).map_err(csv_to_io)?;
            }
            end_record(&mut self.failures.writer)?;
        }
        if let Some(runs) = &mut self.runs {
            let keep = self.kept.len();
            let failed: Vec<u64> = block.failures.iter().map(|(run, _)| *run).collect();
            let mut value = String::with_capacity(32);
            for index in 0..block.len {
                let run_id = block.first_run + index as u64;
                // A failed run's trajectory stops making sense where it failed; failures.csv has it.
                if failed.contains(&run_id) {
                    continue;
                }
                let run = run_text.format(run_id).to_owned();
                for (save, time) in times.iter().enumerate() {
                    self.field.clear();
                    push_number(&mut self.field, *time);
                    for (variable, name) in self.kept.iter().enumerate() {
                        runs.writer.write_field(&run).map_err(csv_to_io)?;
                        runs.writer.write_field(&self.field).map_err(csv_to_io)?;
                        runs.writer.write_field(name).map_err(csv_to_io)?;
                        value.clear();
                        push_number(&mut value, block.kept[(index * times.len() + save) * keep + variable]);
                        runs.writer.write_field(&value).map_err(csv_to_io)?;
                        end_record(&mut runs.writer)?;
                    }
                }
            }
        }
        self.times = times;
        Ok(())
    }
}

/// bands.csv: with a grid, the grid axes' values come first, one block of rows per grid point
/// (see [`band_row_place`]).
fn write_bands(file: &mut PendingCsv, variables: &[&str], rows: &[BandRow], grid: &[GridAxis]) -> io::Result<()> {
    let columns = ["variable", "time", "n", "mean", "sd", "min", "p05", "p25", "p50", "p75", "p95", "max"];
    file.header(grid.iter().map(|axis| axis.name.as_str()).chain(columns))?;
    let mut field = String::new();
    let mut point_values: Option<(usize, Vec<f64>)> = None;
    for row in rows {
        let moments = &row.moments;
        let (point, variable) = if grid.is_empty() { (0, row.variable) } else { band_row_place(row, variables.len()) };
        if !grid.is_empty() {
            if point_values.as_ref().is_none_or(|(at, _)| *at != point) {
                point_values = Some((point, grid_point_values(grid, point)));
            }
            for value in point_values.iter().flat_map(|(_, values)| values) {
                field.clear();
                push_number(&mut field, *value);
                file.writer.write_field(&field).map_err(csv_to_io)?;
            }
        }
        file.writer.write_field(variables.get(variable).copied().unwrap_or_default()).map_err(csv_to_io)?;
        let numbers = [row.time, moments.n as f64]
            .into_iter()
            .chain([moments.mean, moments.sd(), moments.min])
            .chain(row.quantiles)
            .chain([moments.max]);
        for (column, value) in numbers.enumerate() {
            field.clear();
            // No values (every run failed) or too few for an sd: an empty cell.
            let missing = value.is_nan() || (moments.n == 0 && column > 1);
            if !missing {
                push_number(&mut field, value);
            }
            file.writer.write_field(&field).map_err(csv_to_io)?;
        }
        end_record(&mut file.writer)?;
    }
    Ok(())
}
