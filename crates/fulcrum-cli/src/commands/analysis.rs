//! What the analysis verbs (`sensitivity`, `leverage`, `compare`) share: reading the
//! experiment, the worker pool, running a design with a progress bar, and the output folder.

use std::path::{Path, PathBuf};

use fulcrum_explore::design::MAX_RUNS;
use fulcrum_explore::{FactorKind, MEMORY_LIMIT, Outcome, SweepError, Table};
use fulcrum_report::analysis::AnalysisManifest;
use fulcrum_report::sweep::FileDigest;
use fulcrum_sensitivity::evaluate::{Evaluation, evaluate};
use fulcrum_sensitivity::parameters::Parameter;

use crate::CliError;
use crate::args::AnalysisArgs;
use crate::commands::Bar;
use crate::commands::design::{FromSweep, Runs};
use crate::experiment::{Prepared, prepare};

/// An experiment ready for analysis.
pub struct Analysis {
    /// The experiment, its model and plan.
    pub prepared: Prepared,
    /// The worker pool.
    pub pool: rayon::ThreadPool,
    /// The seed of designs and resamples.
    pub seed: u64,
    /// Runs made so far, and how many of them failed.
    pub runs: u64,
    /// Runs that produced NaN or infinity.
    pub failed_runs: u64,
    /// What was left out of the estimates, and why.
    pub notes: Vec<String>,
    /// Files written, by name.
    pub files: Vec<String>,
    /// With `--from`, the sweep whose runs were read.
    pub sweep: Option<String>,
    /// The output folder, and whether it may hold another experiment's results.
    output: PathBuf,
    force: bool,
}

impl Analysis {
    /// Reads the experiment (with `--futures`/`--samples` as its `runs` when given), checks
    /// the output folder and starts the pool.
    pub fn start(common: &AnalysisArgs, runs: Option<u64>, command: &str) -> Result<Analysis, CliError> {
        let Some(experiment) = &common.experiment else {
            return Err(CliError::Usage(format!("{command}: the experiment file is needed")));
        };
        let prepared = prepare(experiment, |experiment| {
            if let Some(runs) = runs {
                (experiment.sampling.runs, experiment.sampling.runs_span) = (runs, None);
            }
            if let Some(seed) = common.seed {
                experiment.sampling.seed = seed;
            }
            Ok(())
        })?;
        if let Some(axis) = prepared.plan.design.factors.iter().find(|f| matches!(f.kind, FactorKind::Values(_))) {
            return Err(CliError::Usage(format!(
                "{command}: the experiment has a grid over `{}`; {command} samples its own design, so \
                 remove the grid (or use `fulcrum sweep` for grids)",
                axis.name
            )));
        }
        let output = &common.output;
        if output.exists() && !output.is_dir() {
            return Err(CliError::Usage(format!("-o {}: not a directory", output.display())));
        }
        let mut pool = rayon::ThreadPoolBuilder::new();
        if let Some(threads) = common.threads {
            pool = pool.num_threads(usize::from(threads));
        }
        let pool =
            pool.build().map_err(|error| CliError::Io(anyhow::anyhow!("cannot start worker threads: {error}")))?;
        // A path that cannot become a folder fails now, not after the runs.
        if let Some(existing) = output.ancestors().skip(1).find(|a| !a.as_os_str().is_empty() && a.exists())
            && !existing.is_dir()
        {
            return Err(CliError::Usage(format!("-o {}: {} is not a directory", output.display(), existing.display())));
        }
        let seed = prepared.plan.design.seed;
        Ok(Analysis {
            prepared,
            pool,
            seed,
            runs: 0,
            failed_runs: 0,
            notes: Vec::new(),
            files: Vec::new(),
            sweep: None,
            output: output.clone(),
            force: common.force,
        })
    }

    /// Refuses, before anything runs, a design whose `runs` would keep more than
    /// [`MEMORY_LIMIT`] bytes at `values_per_run` numbers each (its rows, outcomes and series).
    pub fn check_size(&self, command: &str, runs: u64, values_per_run: u64) -> Result<(), CliError> {
        let bytes = runs.saturating_mul(values_per_run.max(1)).saturating_mul(8);
        if runs > MAX_RUNS || bytes > MEMORY_LIMIT {
            return Err(CliError::Usage(format!(
                "{command}: {runs} runs would keep {:.1} GiB of inputs and outcomes, more than the {} GiB allowed; \
                 use fewer samples or futures",
                bytes as f64 / f64::from(1 << 30),
                MEMORY_LIMIT >> 30
            )));
        }
        Ok(())
    }

    /// Runs the design, measuring the experiment's outcomes (and its series at every saved
    /// time), with a progress bar; or, with `--from`, reads what a sweep of it measured.
    pub fn evaluate(&mut self, runs: &Runs, from: Option<&FromSweep>) -> Result<Evaluation, CliError> {
        let prepared = &self.prepared;
        // Before anything runs: the output folder must be free for this experiment's results.
        let read: Vec<&Path> = from.iter().map(|from| from.dir.as_path()).collect();
        let digest = FileDigest::of("", prepared.text.as_bytes());
        crate::commands::output::claim(&self.output, &digest.sha256, &read, self.force)?;
        let count = runs.count();
        let evaluation = match from {
            Some(from) => {
                self.sweep = Some(from.dir.display().to_string());
                from.evaluation(prepared, runs)?
            }
            None => {
                let bar = Bar::new(count);
                let (inputs, settings, outcomes) = (runs.inputs(), &runs.settings, &prepared.plan.outcomes);
                let evaluation = self
                    .pool
                    .install(|| evaluate(&prepared.compiled, inputs, count, settings, outcomes, runs.series, &bar))
                    .map_err(|error| match error {
                        SweepError::Model(error) => CliError::Input(format!("{}: {error}", prepared.path.display())),
                        error @ SweepError::ComputedTime(_) => {
                            CliError::Input(format!("{}: {error}", prepared.path.display()))
                        }
                        SweepError::Output(error) | SweepError::Memory(error) => CliError::Io(error.into()),
                    })?;
                bar.0.finish_and_clear();
                evaluation
            }
        };
        self.runs += count;
        self.failed_runs += evaluation.failed_runs;
        Ok(evaluation)
    }

    /// The experiment's outcomes.
    pub fn outcomes(&self) -> &[Outcome] {
        &self.prepared.plan.outcomes
    }

    /// Creates the output folder.
    pub fn create_output(&self, output: &Path) -> Result<(), CliError> {
        std::fs::create_dir_all(output)
            .map_err(|error| CliError::Io(anyhow::anyhow!("cannot create {}: {error}", output.display())))
    }

    /// Writes a table into the output folder and remembers it for the manifest.
    pub fn write_table(
        &mut self,
        output: &Path,
        name: &str,
        header: &[&str],
        rows: &[Vec<String>],
    ) -> Result<(), CliError> {
        fulcrum_report::analysis::write_table(&output.join(name), header, rows)
            .map_err(|error| CliError::Io(error.into()))?;
        self.files.push(name.to_owned());
        Ok(())
    }

    /// Writes a chart into the output folder, or says why it could not be drawn (a chart is
    /// never worth losing the tables for).
    pub fn write_chart(&mut self, output: &Path, name: &str, chart: Result<String, impl std::fmt::Display>) {
        match chart {
            Ok(svg) => match fulcrum_report::analysis::write_text(&output.join(name), &svg) {
                Ok(()) => self.files.push(name.to_owned()),
                Err(error) => eprintln!("warning: {error}"),
            },
            Err(error) => eprintln!("warning: cannot draw {name}: {error}"),
        }
    }

    /// Prints the notes and writes manifest.json.
    pub fn finish(
        self,
        output: &Path,
        command: &str,
        settings: serde_json::Map<String, serde_json::Value>,
    ) -> Result<(), CliError> {
        for note in &self.notes {
            eprintln!("note: {note}");
        }
        let prepared = &self.prepared;
        let manifest = AnalysisManifest {
            tool: "fulcrum".to_owned(),
            version: env!("CARGO_PKG_VERSION").to_owned(),
            command: command.to_owned(),
            settings,
            model: FileDigest::of(prepared.experiment.model.clone(), prepared.model.source.as_bytes()),
            experiment: FileDigest::of(prepared.path.display().to_string(), prepared.text.as_bytes()),
            runs: self.runs,
            failed_runs: self.failed_runs,
            sweep: self.sweep,
            notes: self.notes,
            files: Vec::new(),
        };
        manifest.write(output, &self.files).map_err(|error| CliError::Io(error.into()))?;
        eprintln!("{} model runs → {}", self.runs, output.display());
        Ok(())
    }
}

/// The design rows in physical units: each unit value through `value` (a distribution's
/// quantile, or [`Parameter::grid_value`] for grids that reach 0 and 1); run `row` draws its
/// random numbers from stream `stream(row)`.
pub fn physical_table(
    parameters: &[Parameter],
    unit: &[f64],
    seed: u64,
    value: impl Fn(&Parameter, f64) -> f64,
    stream: impl Fn(usize) -> u64,
) -> Table {
    let width = parameters.len();
    let values: Vec<f64> =
        unit.chunks_exact(width).flat_map(|row| row.iter().zip(parameters).map(|(u, p)| value(p, *u))).collect();
    let streams = (0..unit.len() / width.max(1)).map(stream).collect();
    table(parameters, values, streams, seed)
}

/// A table of rows that set `parameters`' constants.
pub fn table(parameters: &[Parameter], values: Vec<f64>, streams: Vec<u64>, seed: u64) -> Table {
    Table { constants: parameters.iter().map(|p| p.constant).collect(), values, streams, seed, ..Table::default() }
}

/// A file name from an outcome's name: lower case, runs of other characters as one `-`.
pub fn slug(name: &str) -> String {
    let mut slug = String::new();
    for c in name.chars() {
        if c.is_alphanumeric() {
            slug.extend(c.to_lowercase());
        } else if !slug.ends_with('-') {
            slug.push('-');
        }
    }
    slug.trim_matches('-').to_owned()
}

#[cfg(test)]
mod tests {
    #[test]
    fn slugs() {
        assert_eq!(super::slug("Capacity at month 24"), "capacity-at-month-24");
        assert_eq!(super::slug("  peak (workload)!"), "peak-workload");
    }
}
