//! Reading back what [`crate::SweepWriter`] and [`crate::sweep::write_design`] wrote: a sweep's
//! folder ([`SweepDir`]: its manifest, outcomes.csv, the series in runs.csv, bands.parts and
//! the digests of its files) and design.json ([`read_json`]). Problems name the file and the
//! line (and for JSON the column of the key at fault), so that a caller can print them as they
//! are.

use std::path::{Path, PathBuf};

use fulcrum_explore::bands::BandParts;
use serde::de::DeserializeOwned;

use crate::ReportError;
use crate::sweep::{FileDigest, Manifest};

/// A JSON file fulcrum wrote, read back: messages about it point at the key at fault.
#[derive(Clone, Debug)]
pub struct JsonFile {
    /// The file.
    pub path: PathBuf,
    /// Its bytes.
    pub text: Vec<u8>,
}

impl JsonFile {
    /// `file:line:column` of the key at `keys` (object keys from the top), or `file` when the
    /// file has no such key.
    pub fn at(&self, keys: &[&str]) -> String {
        match json_key_offset(&self.text, keys) {
            Some(offset) => {
                let before = &self.text[..offset];
                let line = before.iter().filter(|&&byte| byte == b'\n').count() + 1;
                let line_start = before.iter().rposition(|&byte| byte == b'\n').map_or(0, |newline| newline + 1);
                let column = String::from_utf8_lossy(&before[line_start..]).chars().count() + 1;
                format!("{}:{line}:{column}", self.path.display())
            }
            None => self.path.display().to_string(),
        }
    }
}

/// Reads a JSON file as a `T`; `what` says what it should be (`not a design.json`) when it
/// does not read as one ([`ReportError::Json`]).
pub fn read_json<T: DeserializeOwned>(path: &Path, what: &'static str) -> Result<(T, JsonFile), ReportError> {
    let text = std::fs::read(path).map_err(|source| ReportError::Read { path: path.to_owned(), source })?;
    let value =
        serde_json::from_slice(&text).map_err(|source| ReportError::Json { path: path.to_owned(), what, source })?;
    Ok((value, JsonFile { path: path.to_owned(), text }))
}

/// The experiment whose results a folder's manifest (`manifest.json` or `design.json`) says it
/// holds: `None` when there is no such file to read, `Some(None)` when it is not one of
/// fulcrum's manifests.
pub fn recorded_experiment(manifest: &Path) -> Option<Option<FileDigest>> {
    let text = std::fs::read_to_string(manifest).ok()?;
    Some(serde_json::from_str::<serde_json::Value>(&text).ok().and_then(|json| {
        let experiment = json.get("experiment")?;
        Some(FileDigest {
            sha256: experiment.get("sha256")?.as_str()?.to_owned(),
            path: experiment.get("path")?.as_str()?.to_owned(),
        })
    }))
}

/// A sweep's folder, as [`crate::SweepWriter`] (or [`crate::sweep::merge_shards`]) left it.
#[derive(Clone, Debug)]
pub struct SweepDir {
    /// The folder.
    pub path: PathBuf,
    /// Its manifest.
    pub manifest: Manifest,
    /// The manifest's file, to point at what is wrong in it.
    pub manifest_file: JsonFile,
}

impl SweepDir {
    /// Reads `dir/manifest.json`.
    pub fn open(dir: &Path) -> Result<SweepDir, ReportError> {
        let (manifest, manifest_file) = read_json(&dir.join("manifest.json"), "not a sweep's manifest")?;
        Ok(SweepDir { path: dir.to_owned(), manifest, manifest_file })
    }

    /// The first of the files `names` whose bytes are not those the manifest records (or that
    /// it does not record), if any.
    pub fn first_changed<'n>(&self, names: impl IntoIterator<Item = &'n str>) -> Result<Option<PathBuf>, ReportError> {
        for name in names {
            let path = self.path.join(name);
            let recorded = self.manifest.files.iter().find(|file| file.path == name);
            let actual =
                FileDigest::sha256_of_file(&path).map_err(|source| ReportError::Read { path: path.clone(), source })?;
            if recorded.is_none_or(|file| file.sha256 != actual) {
                return Ok(Some(path));
            }
        }
        Ok(None)
    }

    /// Whether every file the manifest lists is there with the bytes it records.
    pub fn intact(&self) -> bool {
        self.manifest.files.iter().all(|file| {
            FileDigest::sha256_of_file(&self.path.join(&file.path)).is_ok_and(|digest| digest == file.sha256)
        })
    }

    /// outcomes.csv: the columns `run` then `names`, one row per run from 0 to `runs - 1` in
    /// order; the values as `values[run * names.len() + outcome]`, an empty cell as NaN.
    pub fn outcomes(&self, names: &[&str], runs: u64) -> Result<Vec<f64>, ReportError> {
        let path = self.path.join("outcomes.csv");
        let path = path.as_path();
        let mut reader = open_csv(path)?;
        let header = reader.headers().map_err(|error| csv_error(path, error))?.clone();
        let expected: Vec<&str> = std::iter::once("run").chain(names.iter().copied()).collect();
        if header.iter().collect::<Vec<_>>() != expected {
            return Err(ReportError::Invalid(format!(
                "{}:1: the columns are not `{}`, the experiment's outcomes",
                path.display(),
                expected.join(",")
            )));
        }
        let mut values = Vec::with_capacity(runs as usize * names.len());
        let mut next = 0u64;
        for record in reader.records() {
            let record = record.map_err(|error| csv_error(path, error))?;
            if record.len() != expected.len() {
                return Err(ReportError::Invalid(format!(
                    "{}: {} fields where the header has {}",
                    at(path, &record),
                    record.len(),
                    expected.len()
                )));
            }
            if record.get(0) != Some(next.to_string().as_str()) {
                return Err(ReportError::Invalid(format!("{}: expected run {next}", at(path, &record))));
            }
            for (column, cell) in record.iter().enumerate().skip(1) {
                values.push(number(cell).map_err(|problem| {
                    ReportError::Invalid(format!("{}, column {}: {problem}", at(path, &record), column + 1))
                })?);
            }
            next += 1;
        }
        if next != runs {
            // Where the file ends, which is where the missing runs would be.
            let line = reader.position().line();
            return Err(ReportError::Invalid(format!(
                "{}:{line}: the file ends after {next} runs where the design has {runs}",
                path.display()
            )));
        }
        Ok(values)
    }

    /// runs.csv (`run,time,variable,value`): `variable` at each of the saved `times` of each
    /// run, as `series[run * times.len() + save]`; NaN where a run has none (it failed).
    pub fn series(&self, variable: &str, times: &[f64], runs: u64) -> Result<Vec<f64>, ReportError> {
        let path = self.path.join("runs.csv");
        let path = path.as_path();
        let saves = times.len();
        let mut series = vec![f64::NAN; runs as usize * saves];
        let mut reader = open_csv(path)?;
        for record in reader.records() {
            let record = record.map_err(|error| csv_error(path, error))?;
            if record.get(2) != Some(variable) {
                continue;
            }
            let field = |index: usize| {
                record.get(index).map(number).transpose().map_err(|problem| {
                    ReportError::Invalid(format!("{}, column {}: {problem}", at(path, &record), index + 1))
                })
            };
            let (Some(run), Some(time), Some(value)) =
                (record.get(0).and_then(|r| r.parse::<u64>().ok()), field(1)?, field(3)?)
            else {
                return Err(ReportError::Invalid(format!("{}: not `run,time,variable,value`", at(path, &record))));
            };
            let Some(save) = times.iter().position(|t| *t == time).filter(|_| run < runs) else {
                return Err(ReportError::Invalid(format!(
                    "{}: run {run} at time {time} is not a run and saved time of the design",
                    at(path, &record)
                )));
            };
            series[run as usize * saves + save] = value;
        }
        Ok(series)
    }

    /// bands.parts, which a shard writes instead of bands.csv.
    pub fn band_parts(&self) -> Result<BandParts, ReportError> {
        read_band_parts(&self.path)
    }
}

/// `dir/bands.parts`, which a shard (or a piece of a checkpointed sweep) writes instead of
/// bands.csv.
pub fn read_band_parts(dir: &Path) -> Result<BandParts, ReportError> {
    let path = dir.join("bands.parts");
    let bytes = std::fs::read(&path).map_err(|source| ReportError::Read { path: path.clone(), source })?;
    BandParts::read(&bytes).map_err(|error| ReportError::Invalid(format!("{}: {error}", path.display())))
}

/// The byte offset of the key at `keys` in a JSON text (the opening quote of the last key): the
/// keys are those of nested objects from the top; keys inside arrays never match. `None` if the
/// path is not there. Only called on text that serde_json has read, so its nesting is bounded.
fn json_key_offset(text: &[u8], keys: &[&str]) -> Option<usize> {
    JsonWalk { text, index: 0 }.value(Some(&Vec::new()), keys)?
}

/// A walk through a JSON text, looking for a key.
struct JsonWalk<'a> {
    text: &'a [u8],
    index: usize,
}

impl JsonWalk<'_> {
    fn skip_space(&mut self) {
        while self.text.get(self.index).is_some_and(u8::is_ascii_whitespace) {
            self.index += 1;
        }
    }

    /// The string that starts at the current `"`, escapes read as the character they escape
    /// (enough to compare keys, which fulcrum writes without escapes).
    fn string(&mut self) -> Option<String> {
        let mut bytes = Vec::new();
        self.index += 1;
        loop {
            let byte = *self.text.get(self.index)?;
            self.index += 1;
            match byte {
                b'"' => return Some(String::from_utf8_lossy(&bytes).into_owned()),
                b'\\' => {
                    bytes.push(*self.text.get(self.index)?);
                    self.index += 1;
                }
                _ => bytes.push(byte),
            }
        }
    }

    /// Walks one value whose keys are `path` (`None` inside an array): `Some(Some(offset))` where
    /// `keys` is found in it, `Some(None)` where it is not, `None` on text that is not JSON.
    fn value(&mut self, path: Option<&Vec<String>>, keys: &[&str]) -> Option<Option<usize>> {
        self.skip_space();
        match *self.text.get(self.index)? {
            b'{' => {
                self.index += 1;
                loop {
                    self.skip_space();
                    match *self.text.get(self.index)? {
                        b'}' => {
                            self.index += 1;
                            return Some(None);
                        }
                        b',' => self.index += 1,
                        b'"' => {
                            let start = self.index;
                            let key = self.string()?;
                            let inner = path.map(|path| {
                                let mut inner = path.clone();
                                inner.push(key);
                                inner
                            });
                            if inner
                                .as_ref()
                                .is_some_and(|inner| inner.iter().map(String::as_str).eq(keys.iter().copied()))
                            {
                                return Some(Some(start));
                            }
                            self.skip_space();
                            if self.text.get(self.index) != Some(&b':') {
                                return None;
                            }
                            self.index += 1;
                            if let Some(found) = self.value(inner.as_ref(), keys)? {
                                return Some(Some(found));
                            }
                        }
                        _ => return None,
                    }
                }
            }
            b'[' => {
                self.index += 1;
                loop {
                    self.skip_space();
                    match *self.text.get(self.index)? {
                        b']' => {
                            self.index += 1;
                            return Some(None);
                        }
                        b',' => self.index += 1,
                        _ => {
                            if let Some(found) = self.value(None, keys)? {
                                return Some(Some(found));
                            }
                        }
                    }
                }
            }
            b'"' => self.string().map(|_| None),
            _ => {
                // A number, true, false or null: up to the next separator.
                let start = self.index;
                while self
                    .text
                    .get(self.index)
                    .is_some_and(|byte| !b",}]".contains(byte) && !byte.is_ascii_whitespace())
                {
                    self.index += 1;
                }
                (self.index > start).then_some(None)
            }
        }
    }
}

/// A CSV reader's position as `file:line`.
fn at(path: &Path, record: &csv::StringRecord) -> String {
    format!("{}:{}", path.display(), record.position().map_or(0, |p| p.line()))
}

fn open_csv(path: &Path) -> Result<csv::Reader<std::fs::File>, ReportError> {
    csv::ReaderBuilder::new().flexible(true).from_path(path).map_err(|error| {
        let message = error.to_string();
        match error.into_kind() {
            csv::ErrorKind::Io(source) => ReportError::Read { path: path.to_owned(), source },
            _ => ReportError::Invalid(format!("cannot read {}: {message}", path.display())),
        }
    })
}

fn csv_error(path: &Path, error: csv::Error) -> ReportError {
    match error.position() {
        Some(position) => ReportError::Invalid(format!("{}:{}: {error}", path.display(), position.line())),
        None => ReportError::Invalid(format!("{}: {error}", path.display())),
    }
}

/// A cell as a number: empty is NaN (a failed run, a threshold never crossed). A sweep writes
/// nothing else that is not finite: a run that reaches NaN or infinity fails, its cells are left
/// empty and it is listed in failures.csv. So `inf` or `NaN` written out is refused rather than
/// read as a failed run the sweep's manifest and failures.csv do not count.
fn number(cell: &str) -> Result<f64, String> {
    if cell.is_empty() {
        return Ok(f64::NAN);
    }
    match cell.parse::<f64>() {
        Ok(value) if value.is_finite() => Ok(value),
        Ok(_) => Err(format!(
            "`{cell}` is not a finite number; a sweep leaves the cells of a failed run empty (and lists the run \
             in failures.csv), so this file is not as the sweep wrote it"
        )),
        Err(_) => Err(format!("`{cell}` is not a number")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sweep_run::{SweepSource, write_sweep};
    use fulcrum_explore::{Runs, Silent};
    use fulcrum_model::builder::ModelBuilder;

    /// A sweep of `Level = 5 + Rate × Scale × t` over 40 futures of Scale, written to `dir` and
    /// kept in memory at once.
    fn written_sweep(dir: &Path) -> (fulcrum_explore::SweepResults, Vec<f64>) {
        let model = ModelBuilder::new(0.0, 4.0, 1.0)
            .stock("Level", "5", &["Filling"], &[])
            .flow("Filling", "Rate * Scale")
            .constant("Rate", 2.0)
            .constant("Scale", 1.0)
            .build();
        let compiled = fulcrum_sim::compile(&fulcrum_model::resolve(&model).expect("valid")).expect("compiles");
        let text = "model = \"m.toml\"\n[sampling]\nmethod = \"lhs\"\nruns = 40\nseed = 3\n\
            [[uncertain]]\nname = \"Scale\"\ndistribution = \"uniform\"\nmin = 0.5\nmax = 1.5\n\
            [[outcome]]\nname = \"final level\"\nvariable = \"Level\"\nstatistic = \"final\"\n\
            [[outcome]]\nname = \"level above 12\"\nvariable = \"Level\"\nstatistic = \"first_above:12\"\n";
        let (experiment, _) = fulcrum_explore::experiment::read(text).expect("a valid experiment");
        let (plan, _) = experiment.plan(&compiled).expect("binds");
        let runs = Runs::sample(&plan, None).expect("no intervention");
        let keep = [compiled.lookup("Level").expect("a variable")];
        let sweep = runs.sweep(&compiled, &plan.outcomes, &[], &keep);
        let source = SweepSource {
            version: "test".to_owned(),
            model: FileDigest::of("m.toml", b"model"),
            experiment: FileDigest::of("e.toml", text.as_bytes()),
            changes: Vec::new(),
            draws: None,
            intervention: None,
            design: None,
            shard: None,
        };
        let results = write_sweep(dir, &compiled, &runs, &sweep, source, &Silent).expect("runs and writes");
        assert_eq!(results.runs, 40);
        (results, sweep.save_times())
    }

    fn bits(values: &[f64]) -> Vec<u64> {
        values.iter().map(|value| value.to_bits()).collect()
    }

    #[test]
    fn a_sweep_folder_reads_back_as_the_sweep_kept_in_memory() {
        let dir = tempfile::tempdir().expect("temp dir");
        let (kept, times) = written_sweep(dir.path());
        let sweep = SweepDir::open(dir.path()).expect("a sweep folder");
        assert_eq!(sweep.manifest.runs, [0, 40]);
        assert_eq!((sweep.manifest.sampler.as_str(), sweep.manifest.seed, sweep.manifest.design_runs), ("lhs", 3, 40));
        assert_eq!(sweep.manifest.outcomes, ["final level", "level above 12"]);
        let outcomes = sweep.outcomes(&["final level", "level above 12"], 40).expect("readable");
        assert_eq!(bits(&outcomes), bits(&kept.outcomes));
        // Some futures never reach 12: empty cells read as NaN, as the sweep measured them.
        assert!(outcomes.iter().skip(1).step_by(2).any(|value| value.is_nan()));
        assert!(outcomes.iter().skip(1).step_by(2).any(|value| value.is_finite()));
        let series = sweep.series("Level", &times, 40).expect("readable");
        assert_eq!(bits(&series), bits(&kept.kept));
        assert_eq!(sweep.first_changed(["outcomes.csv", "runs.csv"]).expect("readable"), None);
        assert!(sweep.intact());
        let recorded = recorded_experiment(&dir.path().join("manifest.json")).expect("a manifest");
        assert_eq!(recorded.map(|digest| digest.path), Some("e.toml".to_owned()));
    }

    #[test]
    fn a_sweep_folder_that_is_not_as_written_is_refused_with_the_place() {
        let dir = tempfile::tempdir().expect("temp dir");
        written_sweep(dir.path());
        let sweep = SweepDir::open(dir.path()).expect("a sweep folder");
        let wrong = sweep.outcomes(&["final level"], 40);
        assert!(
            matches!(&wrong, Err(ReportError::Invalid(message)) if message.contains("outcomes.csv:1:")),
            "{wrong:?}"
        );
        let short = sweep.outcomes(&["final level", "level above 12"], 41);
        assert!(
            matches!(&short, Err(ReportError::Invalid(message)) if message.contains("ends after 40 runs")),
            "{short:?}"
        );
        let path = dir.path().join("outcomes.csv");
        let text = std::fs::read_to_string(&path).expect("readable");
        std::fs::write(&path, text.replacen("\n0,", "\n0,inf", 1)).expect("written");
        assert_eq!(sweep.first_changed(["outcomes.csv"]).expect("readable"), Some(path));
        let changed = sweep.outcomes(&["final level", "level above 12"], 40);
        assert!(
            matches!(&changed, Err(ReportError::Invalid(message)) if message.contains("outcomes.csv:2, column 2")),
            "{changed:?}"
        );
        std::fs::write(dir.path().join("manifest.json"), "{\n  \"tool\": 3\n}").expect("written");
        let broken = SweepDir::open(dir.path());
        let message = broken.as_ref().map(|_| String::new()).unwrap_or_else(ToString::to_string);
        assert!(message.contains("manifest.json:2:") && message.contains("not a sweep's manifest"), "{message}");
        assert!(matches!(SweepDir::open(&dir.path().join("missing")), Err(ReportError::Read { .. })));
    }

    #[test]
    fn keys_are_found_by_their_path_from_the_top() {
        let text = br#"{"runs": [0, {"runs": 1}], "design": {"runs": 80, "command": "x\"y"}, "tool": "fulcrum"}"#;
        let at = |keys: &[&str]| json_key_offset(text, keys).map(|offset| &text[offset..offset + 8]);
        assert_eq!(at(&["runs"]), Some(&br#""runs": "#[..]));
        assert_eq!(json_key_offset(text, &["design", "runs"]), Some(38));
        assert_eq!(at(&["design", "command"]), Some(&br#""command"#[..]));
        assert_eq!(json_key_offset(text, &["tool"]), Some(70));
        assert_eq!(json_key_offset(text, &["shard"]), None);
        assert_eq!(json_key_offset(text, &["command"]), None);
    }
}
