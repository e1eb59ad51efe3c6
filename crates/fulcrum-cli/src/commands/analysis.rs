//! What the analysis verbs (`sensitivity`, `leverage`, `compare`) share: reading the
//! experiment, the worker pool, running a design with a progress bar, and the output folder.
//! The planning and the estimates are fulcrum-sensitivity's; this module runs them and writes
//! and prints what they give.

use std::path::{Path, PathBuf};

use fulcrum_explore::{Runs, SweepError};
use fulcrum_report::analysis::AnalysisManifest;
use fulcrum_report::sweep::FileDigest;
use fulcrum_sensitivity::evaluate::Evaluation;
use fulcrum_sensitivity::{PlanError, ResultTable};

use crate::CliError;
use crate::args::AnalysisArgs;
use crate::commands::Bar;
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
    /// The chart files' names given so far.
    pub chart_names: ChartNames,
    /// The output folder, and whether it may hold another experiment's results.
    output: PathBuf,
    force: bool,
}

/// Where an analysis's outcomes come from instead of running the model: a sweep of its
/// design (`--from`).
pub trait Source {
    /// The folder read (never written into).
    fn dir(&self) -> &Path;
    /// The outcomes of `runs`, checked to be the design planned now.
    fn evaluation(&self, prepared: &Prepared, runs: &Runs) -> Result<Evaluation, CliError>;
}

impl Analysis {
    /// Reads the experiment (with `--futures`/`--samples` as its `runs` when given), checks
    /// the output folder and starts the pool.
    pub fn start(common: &AnalysisArgs, runs: Option<u64>, command: &'static str) -> Result<Analysis, CliError> {
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
        crate::experiment::strict_units(&prepared, &common.units)?;
        prepared.study().check_no_grid(command).map_err(|error| plan_error(&prepared, error))?;
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
            chart_names: ChartNames::default(),
            output: output.clone(),
            force: common.force,
        })
    }

    /// Runs the design, measuring the experiment's outcomes (and its series at every saved
    /// time), with a progress bar; or, with `--from`, reads what a sweep of it measured.
    pub fn evaluate(&mut self, runs: &Runs, from: Option<&dyn Source>) -> Result<Evaluation, CliError> {
        let prepared = &self.prepared;
        // Before anything runs: the output folder must be free for this experiment's results.
        let read: Vec<&Path> = from.iter().map(|from| from.dir()).collect();
        let digest = FileDigest::of("", prepared.text.as_bytes());
        crate::commands::output::claim(&self.output, &digest.sha256, &read, self.force)?;
        let count = runs.count();
        let evaluation = match from {
            Some(from) => {
                self.sweep = Some(from.dir().display().to_string());
                from.evaluation(prepared, runs)?
            }
            None => {
                let bar = Bar::new(count);
                let study = prepared.study();
                let evaluation = self.pool.install(|| study.evaluate(runs, &bar)).map_err(|error| match error {
                    SweepError::Model(error) => CliError::Input(format!("{}: {error}", prepared.path.display())),
                    error @ (SweepError::ComputedTime(_) | SweepError::UnboundLoopShare(_)) => {
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

    /// Creates the output folder.
    pub fn create_output(&self, output: &Path) -> Result<(), CliError> {
        std::fs::create_dir_all(output)
            .map_err(|error| CliError::Io(anyhow::anyhow!("cannot create {}: {error}", output.display())))
    }

    /// Writes a result table into the output folder and remembers it for the manifest.
    pub fn write_table(&mut self, output: &Path, name: &str, table: &ResultTable) -> Result<(), CliError> {
        fulcrum_report::analysis::write_result_table(&output.join(name), table)
            .map_err(|error| CliError::Io(error.into()))?;
        self.files.push(name.to_owned());
        Ok(())
    }

    /// Writes loop_changes.csv: which loops each option of `design` strengthens or weakens, over
    /// its futures (fulcrum-sensitivity's `loop_changes`, on the pool), the option's column
    /// named `option_column`. A design without futures writes nothing; a model whose loops
    /// cannot be scored gets a note saying why instead of the file.
    pub fn write_loop_changes(
        &mut self,
        output: &Path,
        design: &fulcrum_sensitivity::loop_changes::LoopDesign,
        option_column: &'static str,
    ) -> Result<(), CliError> {
        if design.futures() == 0 || design.options.is_empty() {
            return Ok(());
        }
        let resolved = match self.prepared.model.resolve() {
            Ok((resolved, _)) => resolved,
            Err(error) => {
                self.notes.push(format!("no loop_changes.csv: {error}"));
                return Ok(());
            }
        };
        let compiled = &self.prepared.compiled;
        match self.pool.install(|| fulcrum_sensitivity::loop_changes::loop_changes(&resolved, compiled, design)) {
            Ok(changes) => {
                for option in changes.options.iter().filter(|option| option.futures < changes.futures) {
                    self.notes.push(format!(
                        "loop_changes.csv: {} of {} futures left out for `{}` (a run failed or had no active loop)",
                        changes.futures - option.futures,
                        changes.futures,
                        option.option
                    ));
                }
                self.write_table(output, "loop_changes.csv", &changes.table(option_column))
            }
            Err(fulcrum_loops::LoopsError::NoLoops) => {
                self.notes.push("no loop_changes.csv: the model has no feedback loops".to_owned());
                Ok(())
            }
            Err(error) => {
                self.notes.push(format!("no loop_changes.csv: {error}"));
                Ok(())
            }
        }
    }

    /// Writes the findings in words as summary.md in the output folder, remembers it for the
    /// manifest, and prints them.
    pub fn write_summary(&mut self, output: &Path, summary: &str) -> Result<(), CliError> {
        fulcrum_report::analysis::write_text(&output.join(SUMMARY), summary)
            .map_err(|error| CliError::Io(error.into()))?;
        self.files.push(SUMMARY.to_owned());
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
            changes: prepared.changes.clone(),
            draws: prepared.draws.clone(),
            runs: self.runs,
            failed_runs: self.failed_runs,
            sweep: self.sweep.clone(),
            notes: self.notes,
            files: Vec::new(),
        };
        manifest.write(output, &self.files).map_err(|error| CliError::Io(error.into()))?;
        match &self.sweep {
            // Nothing ran: every outcome was read from the sweep's files.
            Some(sweep) => eprintln!("no model runs: {} runs read from {sweep} → {}", self.runs, output.display()),
            None => eprintln!("{} model runs → {}", self.runs, output.display()),
        }
        Ok(())
    }
}

/// The findings in words, in every output folder.
pub const SUMMARY: &str = "summary.md";

/// A planning problem as the command line reports it: problems of the experiment file after
/// its path.
pub fn plan_error(prepared: &Prepared, error: PlanError) -> CliError {
    if error.about_experiment() {
        CliError::Usage(format!("{}: {error}", prepared.path.display()))
    } else {
        CliError::Usage(error.to_string())
    }
}

/// Chart file names, `PREFIX-SLUG.svg`, distinct within one output folder: a name whose slug
/// was taken already (`Peak Workload` after `peak workload`) gets `-2`, `-3`, ... .
#[derive(Default)]
pub struct ChartNames {
    taken: Vec<String>,
}

impl ChartNames {
    /// The file name of the chart of `name`.
    pub fn name(&mut self, prefix: &str, name: &str) -> String {
        let stem = match slug(name) {
            slug if slug.is_empty() => prefix.to_owned(),
            slug => format!("{prefix}-{slug}"),
        };
        let mut candidate = format!("{stem}.svg");
        let mut number = 2;
        while self.taken.contains(&candidate) {
            candidate = format!("{stem}-{number}.svg");
            number += 1;
        }
        self.taken.push(candidate.clone());
        candidate
    }
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
    fn chart_names_never_collide() {
        let mut names = super::ChartNames::default();
        assert_eq!(names.name("leverage", "peak workload"), "leverage-peak-workload.svg");
        assert_eq!(names.name("leverage", "Peak Workload!"), "leverage-peak-workload-2.svg");
        assert_eq!(names.name("leverage", "peak-workload"), "leverage-peak-workload-3.svg");
        // A name ending like a suffix does not take a suffixed name already given.
        assert_eq!(names.name("leverage", "peak workload 2"), "leverage-peak-workload-2-2.svg");
        assert_eq!(names.name("leverage", "???"), "leverage.svg");
        assert_eq!(names.name("leverage", "!!"), "leverage-2.svg");
        assert_eq!(names.name("sensitivity", "peak workload"), "sensitivity-peak-workload.svg");
    }

    #[test]
    fn slugs() {
        assert_eq!(super::slug("Capacity at month 24"), "capacity-at-month-24");
        assert_eq!(super::slug("  peak (workload)!"), "peak-workload");
    }
}
