//! Designs: the runs a sweep or an analysis needs, planned from an experiment and a command's
//! flags. `fulcrum sample` writes one (experiments.csv and design.json); `fulcrum sweep
//! --design` plans it again from design.json and runs it, or one shard of it; an analysis's
//! `--from` plans it again and reads the sweep's outcomes instead of running the model.
//!
//! A design is stored as the flags that shape it rather than as rows to read back: planning is
//! deterministic, and the SHA-256 of the rows (as experiments.csv) is recorded and checked
//! wherever the design is planned again, so a different fulcrum or a changed experiment is
//! refused rather than run.

use std::path::{Path, PathBuf};

use clap::Parser;
use fulcrum_explore::experiment::Setting;
use fulcrum_explore::{Design, Inputs, Table};
use fulcrum_report::format_number;
use fulcrum_report::sweep::{
    DesignManifest, DesignPart, FileDigest, Manifest, SampledDesign, experiments_sha256, write_design,
};
use fulcrum_sensitivity::evaluate::Evaluation;
use fulcrum_sim::{CompiledModel, VarId};

use crate::CliError;
use crate::args::{AnalysisArgs, Cli, Command, SampleArgs, SampleCommand, SampleSweepArgs};
use crate::commands::analysis::Analysis;
use crate::commands::{compare, leverage, sensitivity};
use crate::experiment::{Prepared, prepare};
use crate::load::cannot_read;

/// The rows of a design and what every run gets.
pub struct Runs {
    /// The rows.
    pub inputs: Rows,
    /// Settings every run gets (a table's options add their own).
    pub settings: Vec<Setting>,
    /// What the run ranges are.
    pub parts: Vec<DesignPart>,
    /// A variable whose trajectories the analysis reads (`--over-time`).
    pub series: Option<VarId>,
}

/// A design's rows: an experiment's sample, or rows written out.
pub enum Rows {
    /// The experiment's sampler (and grid).
    Sample(Design),
    /// A method's rows.
    Table(Table),
}

impl Runs {
    /// The rows as a sweep takes them.
    pub fn inputs(&self) -> &dyn Inputs {
        match &self.inputs {
            Rows::Sample(design) => design,
            Rows::Table(table) => table,
        }
    }

    /// How many runs.
    pub fn count(&self) -> u64 {
        match &self.inputs {
            Rows::Sample(design) => design.runs(),
            Rows::Table(table) => table.runs(),
        }
    }

    /// The constants the rows set, by name: the columns of experiments.csv after `run`.
    pub fn columns<'m>(&self, compiled: &'m CompiledModel) -> Vec<&'m str> {
        let constants = compiled.constants();
        self.inputs().constants().iter().map(|&c| constants.get(c).map_or("", |c| c.name.as_str())).collect()
    }

    /// The SHA-256 of the design's experiments.csv.
    pub fn sha256(&self, compiled: &CompiledModel) -> String {
        let inputs = self.inputs();
        experiments_sha256(&self.columns(compiled), self.count(), |run, row| inputs.row(run, row))
    }

    /// One part covering every run.
    pub fn whole(name: &str, runs: u64) -> Vec<DesignPart> {
        vec![DesignPart { name: name.to_owned(), runs: [0, runs] }]
    }
}

/// Plans a command's design: the experiment read and checked, and the runs.
pub fn plan(command: &SampleCommand) -> Result<(Prepared, Runs), CliError> {
    match command {
        SampleCommand::Sweep(args) => plan_sweep(args),
        SampleCommand::Sensitivity(args) => {
            let analysis = Analysis::start(&args.common, args.samples, "sensitivity")?;
            let plan = sensitivity::plan(args, &analysis)?;
            Ok((analysis.prepared, plan.runs))
        }
        SampleCommand::Leverage(args) => {
            let analysis = Analysis::start(&args.common, args.futures, "leverage")?;
            let plan = leverage::plan(args, &analysis)?;
            Ok((analysis.prepared, plan.runs))
        }
        SampleCommand::Compare(args) => {
            let analysis = Analysis::start(&args.common, args.futures, "compare")?;
            let plan = compare::plan(&analysis)?;
            Ok((analysis.prepared, plan.runs))
        }
    }
}

fn plan_sweep(args: &SampleSweepArgs) -> Result<(Prepared, Runs), CliError> {
    let design = &args.design;
    let prepared = prepare(&args.experiment, |experiment| {
        let sampling = &mut experiment.sampling;
        if let Some(sampler) = design.sampler {
            sampling.sampler = sampler;
        }
        if let Some(runs) = design.runs {
            if let fulcrum_explore::Sampler::Grid { .. } = sampling.sampler {
                return Err(CliError::Usage(
                    "--runs: a grid sample's size is `levels` per uncertain constant; change `levels` instead"
                        .to_owned(),
                ));
            }
            (sampling.runs, sampling.runs_span) = (runs, None);
        }
        if let Some(seed) = design.seed {
            sampling.seed = seed;
        }
        for axis in &design.grid {
            let name = fulcrum_model::CanonicalName::new(&axis.name);
            sampling.grid.retain(|existing| fulcrum_model::CanonicalName::new(&existing.name) != name);
            sampling.grid.push(axis.clone());
        }
        Ok(())
    })?;
    let (settings, intervention) = prepared.settings(design.intervention.as_deref())?;
    let sample = prepared.plan.design.clone();
    let runs = sample.runs();
    let part = intervention.unwrap_or_else(|| "baseline".to_owned());
    Ok((prepared, Runs { inputs: Rows::Sample(sample), settings, parts: Runs::whole(&part, runs), series: None }))
}

/// `fulcrum sample`: writes a command's design without running it.
pub fn sample(args: &SampleArgs) -> Result<(), CliError> {
    let command = &args.design;
    if let Some(common) = analysis_args(command)
        && common.from.is_some()
    {
        return Err(CliError::Usage("--from: `fulcrum sample` writes a design; it does not read one".to_owned()));
    }
    let output = output_of(command);
    let (prepared, runs) = plan(command)?;
    let force =
        analysis_args(command).map_or_else(|| matches!(command, SampleCommand::Sweep(a) if a.force), |a| a.force);
    crate::commands::output::claim(output, &FileDigest::of("", prepared.text.as_bytes()).sha256, &[], force)?;
    let manifest = DesignManifest {
        tool: "fulcrum".to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        model: FileDigest::of(prepared.experiment.model.clone(), prepared.model.source.as_bytes()),
        experiment: FileDigest::of(prepared.path.display().to_string(), prepared.text.as_bytes()),
        design: SampledDesign {
            command: command.name().to_owned(),
            arguments: arguments(command),
            runs: runs.count(),
            parts: runs.parts.clone(),
            experiments_sha256: String::new(),
        },
    };
    let inputs = runs.inputs();
    write_design(output, &runs.columns(&prepared.compiled), |run, row| inputs.row(run, row), manifest)
        .map_err(|error| CliError::Io(error.into()))?;
    eprintln!(
        "{} runs → {}/experiments.csv\nrun them with: fulcrum sweep {} --design {} -o RESULTS [--shard K/N]",
        runs.count(),
        output.display(),
        prepared.path.display(),
        output.display()
    );
    Ok(())
}

/// The analysis flags of a command, if it is an analysis.
fn analysis_args(command: &SampleCommand) -> Option<&AnalysisArgs> {
    match command {
        SampleCommand::Sweep(_) => None,
        SampleCommand::Sensitivity(args) => Some(&args.common),
        SampleCommand::Leverage(args) => Some(&args.common),
        SampleCommand::Compare(args) => Some(&args.common),
    }
}

fn output_of(command: &SampleCommand) -> &Path {
    match command {
        SampleCommand::Sweep(args) => &args.output,
        SampleCommand::Sensitivity(args) => &args.common.output,
        SampleCommand::Leverage(args) => &args.common.output,
        SampleCommand::Compare(args) => &args.common.output,
    }
}

/// The flags that shape a command's design, written out so that [`recorded`] can parse them
/// back into the same design.
fn arguments(command: &SampleCommand) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    let mut flag = |name: &str, value: Option<String>| {
        out.push(name.to_owned());
        out.extend(value);
    };
    let seed = |common: &AnalysisArgs| common.seed;
    match command {
        SampleCommand::Sweep(args) => {
            let design = &args.design;
            if let Some(runs) = design.runs {
                flag("--runs", Some(runs.to_string()));
            }
            if let Some(seed) = design.seed {
                flag("--seed", Some(seed.to_string()));
            }
            if let Some(sampler) = design.sampler {
                flag("--sampler", Some(sampler.as_str().to_owned()));
            }
            for axis in &design.grid {
                let values: Vec<String> = axis.values.iter().map(|v| format_number(*v)).collect();
                flag("--grid", Some(format!("{}={}", axis.name, values.join(","))));
            }
            if let Some(intervention) = &design.intervention {
                flag("--intervention", Some(intervention.clone()));
            }
        }
        SampleCommand::Sensitivity(args) => {
            if let Some(method) = args.method {
                flag("--method", Some(method.as_str().to_owned()));
            }
            if let Some(samples) = args.samples {
                flag("--samples", Some(samples.to_string()));
            }
            if args.second_order {
                flag("--second-order", None);
            }
            flag("--levels", Some(args.levels.to_string()));
            if let Some(pool) = args.optimize {
                flag("--optimize", Some(pool.to_string()));
            }
            flag("--step", Some(format_number(args.step)));
            if let Some(variable) = &args.over_time {
                flag("--over-time", Some(variable.clone()));
            }
            for (name, members) in &args.group {
                flag("--group", Some(format!("{name}={}", members.join(","))));
            }
            if let Some(seed) = seed(&args.common) {
                flag("--seed", Some(seed.to_string()));
            }
        }
        SampleCommand::Leverage(args) => {
            if let Some(futures) = args.futures {
                flag("--futures", Some(futures.to_string()));
            }
            flag("--delta", Some(format_number(args.delta)));
            if args.no_cross_check {
                flag("--no-cross-check", None);
            }
            if let Some(seed) = seed(&args.common) {
                flag("--seed", Some(seed.to_string()));
            }
        }
        SampleCommand::Compare(args) => {
            if let Some(futures) = args.futures {
                flag("--futures", Some(futures.to_string()));
            }
            if let Some(seed) = seed(&args.common) {
                flag("--seed", Some(seed.to_string()));
            }
        }
    }
    out
}

/// A recorded design's flags parsed back into its command, for `experiment` and writing to
/// `output`; `origin` is the file they came from.
fn recorded(
    design: &SampledDesign,
    experiment: &Path,
    output: &Path,
    origin: &JsonFile,
) -> Result<SampleCommand, CliError> {
    if !["sweep", "sensitivity", "leverage", "compare"].contains(&design.command.as_str()) {
        return Err(CliError::Input(format!(
            "{}: `{}` is not a command with a design (sweep, sensitivity, leverage, compare)",
            origin.at(&["design", "command"]),
            design.command
        )));
    }
    let mut argv: Vec<String> = vec!["fulcrum".into(), "sample".into(), design.command.clone()];
    argv.push(experiment.display().to_string());
    argv.extend(["-o".to_owned(), output.display().to_string()]);
    argv.extend(design.arguments.iter().cloned());
    match Cli::try_parse_from(&argv) {
        Ok(Cli { command: Command::Sample(SampleArgs { design }) }) => Ok(design),
        Ok(_) => Err(CliError::Input(format!("{}: not a design", origin.at(&["design", "command"])))),
        Err(error) => Err(CliError::Input(format!(
            "{}: the design's flags do not parse ({}): {}",
            origin.at(&["design", "arguments"]),
            design.arguments.join(" "),
            error.kind()
        ))),
    }
}

/// Checks that the experiment read now is the one the design was planned from, and that
/// planning it again gives the same rows.
fn check_same(
    origin: &JsonFile,
    (model, experiment): (&FileDigest, &FileDigest),
    design: &SampledDesign,
    prepared: &Prepared,
    runs: &Runs,
) -> Result<(), CliError> {
    let now = FileDigest::of(prepared.path.display().to_string(), prepared.text.as_bytes());
    if now.sha256 != experiment.sha256 {
        return Err(CliError::Input(format!(
            "{}: the experiment {} is not the one the design was sampled from ({}): its bytes differ",
            origin.at(&["experiment", "sha256"]),
            prepared.path.display(),
            experiment.path
        )));
    }
    if FileDigest::of("", prepared.model.source.as_bytes()).sha256 != model.sha256 {
        return Err(CliError::Input(format!(
            "{}: the model {} has changed since the design was sampled",
            origin.at(&["model", "sha256"]),
            prepared.experiment.model
        )));
    }
    if runs.count() != design.runs
        || runs.parts != design.parts
        || runs.sha256(&prepared.compiled) != design.experiments_sha256
    {
        return Err(CliError::Input(format!(
            "{}: planning the design from its flags gives different rows from the ones sampled (was the \
             file edited, or written by another version of fulcrum than {}?); sample it again",
            origin.at(&["design"]),
            env!("CARGO_PKG_VERSION")
        )));
    }
    Ok(())
}

/// A design read from `DIR/design.json` and planned again, for `fulcrum sweep --design`.
pub struct Sampled {
    pub design: SampledDesign,
    pub prepared: Prepared,
    pub runs: Runs,
}

/// Reads `dir/design.json`, plans its design for `experiment` again and checks it.
pub fn read_design(dir: &Path, experiment: &Path) -> Result<Sampled, CliError> {
    let path = dir.join("design.json");
    let bytes = std::fs::read(&path)
        .map_err(|error| cannot_read(&path, format!("{error} (write a design with `fulcrum sample`)")))?;
    let manifest: DesignManifest =
        serde_json::from_slice(&bytes).map_err(|error| json_error(&path, "not a design.json", &error))?;
    let origin = JsonFile { path: &path, text: &bytes };
    if manifest.tool != "fulcrum" {
        return Err(CliError::Input(format!("{}: not written by fulcrum", origin.at(&["tool"]))));
    }
    let command = recorded(&manifest.design, experiment, dir, &origin)?;
    let (prepared, runs) = plan(&command)?;
    check_same(&origin, (&manifest.model, &manifest.experiment), &manifest.design, &prepared, &runs)?;
    Ok(Sampled { design: manifest.design, prepared, runs })
}

/// A whole sweep of a design, for an analysis's `--from`.
pub struct FromSweep {
    /// The sweep's directory.
    pub dir: PathBuf,
    /// Its manifest.
    pub manifest: Manifest,
    /// The manifest's bytes, to point at what is wrong in it.
    manifest_text: Vec<u8>,
    /// The design it ran.
    pub design: SampledDesign,
    /// The design's command with the flags it was sampled with.
    pub command: SampleCommand,
}

impl FromSweep {
    /// With `--from DIR`: the sweep's manifest, checked to be a whole sweep of a `command`
    /// design, and the design's flags for the experiment given (or the one it recorded).
    pub fn open(common: &AnalysisArgs, command: &str) -> Result<Option<FromSweep>, CliError> {
        let Some(dir) = &common.from else { return Ok(None) };
        if !dir.is_dir() {
            return Err(cannot_read(dir, "no such folder (--from takes the folder a sweep wrote)"));
        }
        let path = dir.join("manifest.json");
        let bytes = std::fs::read(&path).map_err(|error| cannot_read(&path, error))?;
        let manifest: Manifest =
            serde_json::from_slice(&bytes).map_err(|error| json_error(&path, "not a sweep's manifest", &error))?;
        let origin = JsonFile { path: &path, text: &bytes };
        let Some(design) = manifest.design.clone() else {
            return Err(CliError::Input(format!(
                "{}: this sweep ran the experiment's own sample; --from reads sweeps of a design from \
                 `fulcrum sample {command} ...` (run with `fulcrum sweep EXPERIMENT --design DESIGN_DIR`)",
                dir.display()
            )));
        };
        if design.command != command {
            return Err(CliError::Input(format!(
                "{}: the sweep ran a design for `fulcrum {}`, not for `fulcrum {command}`",
                origin.at(&["design", "command"]),
                design.command
            )));
        }
        if let Some(shard) = manifest.shard {
            return Err(CliError::Input(format!(
                "{}: this is shard {} of {}; join the shards with `fulcrum merge` and analyse the result",
                origin.at(&["shard"]),
                shard.index,
                shard.count
            )));
        }
        if manifest.runs != [0, design.runs] {
            return Err(CliError::Input(format!(
                "{}: the sweep holds runs {} to {} of the design's {}",
                origin.at(&["runs"]),
                manifest.runs[0],
                manifest.runs[1],
                design.runs
            )));
        }
        let experiment = common.experiment.clone().unwrap_or_else(|| PathBuf::from(&manifest.experiment.path));
        let command = recorded(&design, &experiment, &common.output, &origin)?;
        Ok(Some(FromSweep { dir: dir.clone(), manifest, manifest_text: bytes, design, command }))
    }

    /// Checks the design planned now against the sweep's, then reads its outcomes (and the
    /// series' trajectories) in run order.
    pub fn evaluation(&self, prepared: &Prepared, runs: &Runs) -> Result<Evaluation, CliError> {
        let origin = self.dir.join("manifest.json");
        let manifest = JsonFile { path: &origin, text: &self.manifest_text };
        check_same(&manifest, (&self.manifest.model, &self.manifest.experiment), &self.design, prepared, runs)?;
        let outcomes: Vec<&str> = prepared.plan.outcomes.iter().map(|o| o.name.as_str()).collect();
        let mut evaluation = Evaluation {
            outcomes: read_outcomes(&self.dir.join("outcomes.csv"), &outcomes, self.design.runs)?,
            series: Vec::new(),
            failed_runs: self.manifest.failures,
        };
        if let Some(variable) = runs.series {
            let axis = prepared.compiled.axis();
            let name = prepared.compiled.name(variable);
            evaluation.series = read_series(&self.dir.join("runs.csv"), name, &axis.save_times(), self.design.runs)?;
        }
        // Files that read well must still be the bytes the sweep wrote.
        let mut files = vec!["outcomes.csv"];
        files.extend(runs.series.map(|_| "runs.csv"));
        for name in files {
            let path = self.dir.join(name);
            let recorded = self.manifest.files.iter().find(|file| file.path == name);
            let actual = FileDigest::sha256_of_file(&path).map_err(|error| cannot_read(&path, error))?;
            if recorded.is_none_or(|file| file.sha256 != actual) {
                return Err(CliError::Input(format!(
                    "{}: its SHA-256 is not the one {} records: the file was changed after the sweep",
                    path.display(),
                    origin.display()
                )));
            }
        }
        Ok(evaluation)
    }
}

/// A JSON file fulcrum wrote, read back: messages about it point at the key at fault.
struct JsonFile<'a> {
    path: &'a Path,
    text: &'a [u8],
}

impl JsonFile<'_> {
    /// `file:line:column` of the key at `keys` (object keys from the top), or `file` when the
    /// file has no such key.
    fn at(&self, keys: &[&str]) -> String {
        match json_key_offset(self.text, keys) {
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

fn open_csv(path: &Path) -> Result<csv::Reader<std::fs::File>, CliError> {
    csv::ReaderBuilder::new().flexible(true).from_path(path).map_err(|error| cannot_read(path, error))
}

fn csv_error(path: &Path, error: csv::Error) -> CliError {
    match error.position() {
        Some(position) => CliError::Input(format!("{}:{}: {error}", path.display(), position.line())),
        None => CliError::Input(format!("{}: {error}", path.display())),
    }
}

/// A JSON file that does not read as `what`, at `file:line:column` (serde_json counts columns
/// from 1, and gives 0 only at the start of an empty line or file).
fn json_error(path: &Path, what: &str, error: &serde_json::Error) -> CliError {
    let (line, column) = (error.line(), error.column().max(1));
    let text = error.to_string();
    let message = text.strip_suffix(&format!(" at line {} column {}", error.line(), error.column())).unwrap_or(&text);
    CliError::Input(format!("{}:{line}:{column}: {what}: {message}", path.display()))
}

/// outcomes.csv: `run`, then `names`, one row per run in order; empty cells are NaN.
fn read_outcomes(path: &Path, names: &[&str], runs: u64) -> Result<Vec<f64>, CliError> {
    let mut reader = open_csv(path)?;
    let header = reader.headers().map_err(|error| csv_error(path, error))?.clone();
    let expected: Vec<&str> = std::iter::once("run").chain(names.iter().copied()).collect();
    if header.iter().collect::<Vec<_>>() != expected {
        return Err(CliError::Input(format!(
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
            return Err(CliError::Input(format!(
                "{}: {} fields where the header has {}",
                at(path, &record),
                record.len(),
                expected.len()
            )));
        }
        if record.get(0) != Some(next.to_string().as_str()) {
            return Err(CliError::Input(format!("{}: expected run {next}", at(path, &record))));
        }
        for (column, cell) in record.iter().enumerate().skip(1) {
            values.push(number(cell).map_err(|problem| {
                CliError::Input(format!("{}, column {}: {problem}", at(path, &record), column + 1))
            })?);
        }
        next += 1;
    }
    if next != runs {
        // Where the file ends, which is where the missing runs would be.
        let line = reader.position().line();
        return Err(CliError::Input(format!(
            "{}:{line}: the file ends after {next} runs where the design has {runs}",
            path.display()
        )));
    }
    Ok(values)
}

/// runs.csv (`run,time,variable,value`): `variable` at each saved time of each run, NaN
/// where a run has none (it failed).
fn read_series(path: &Path, variable: &str, times: &[f64], runs: u64) -> Result<Vec<f64>, CliError> {
    let saves = times.len();
    let mut series = vec![f64::NAN; runs as usize * saves];
    let mut reader = open_csv(path)?;
    for record in reader.records() {
        let record = record.map_err(|error| csv_error(path, error))?;
        if record.get(2) != Some(variable) {
            continue;
        }
        let field =
            |index: usize| {
                record.get(index).map(number).transpose().map_err(|problem| {
                    CliError::Input(format!("{}, column {}: {problem}", at(path, &record), index + 1))
                })
            };
        let (Some(run), Some(time), Some(value)) =
            (record.get(0).and_then(|r| r.parse::<u64>().ok()), field(1)?, field(3)?)
        else {
            return Err(CliError::Input(format!("{}: not `run,time,variable,value`", at(path, &record))));
        };
        let Some(save) = times.iter().position(|t| *t == time).filter(|_| run < runs) else {
            return Err(CliError::Input(format!(
                "{}: run {run} at time {time} is not a run and saved time of the design",
                at(path, &record)
            )));
        };
        series[run as usize * saves + save] = value;
    }
    Ok(series)
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
mod json_tests {
    use super::json_key_offset;

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
