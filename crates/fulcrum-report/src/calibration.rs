//! The files of a calibration, each written atomically: `fit.csv` (the best constants and the
//! payoff), `posterior.csv` (the draws: one column per constant, then the log posterior),
//! `diagnostics.csv` (per constant: posterior summary, R-hat, effective sample sizes),
//! `fit.svg` (data against the best fit and the band of runs over the posterior) and
//! `summary.md` (the same in words); then `manifest.json` ([`Manifest`]: what was calibrated,
//! with the SHA-256 of every file), last, so that a manifest always describes the files beside
//! it.
//!
//! A calibration in progress keeps a [`Checkpoint`] in `DIR/.fulcrum-partial/calibration.json`,
//! rewritten atomically after the optimizer and after each round of the sampler: the
//! optimizer's result and the chain's state, every number as the bits of its `f64`, so that a
//! resumed calibration continues exactly where the saved one stood.

use std::fmt::Write as _;
use std::path::Path;

use fulcrum_calibrate::diagnostics::quantile;
use fulcrum_calibrate::sample::{Chain, WalkerState};
use fulcrum_calibrate::{Calibrated, Optimum, Problem, Progress, Score, Settings};
use serde::{Deserialize, Serialize};

use crate::charts::{CalibrationFit, FitPanel, calibration_fit};
use crate::sweep::FileDigest;
use crate::{ReportError, format_number, write_atomically};

/// Where a calibration in progress keeps its checkpoint, inside the output directory.
pub const PARTIAL: &str = ".fulcrum-partial";

/// The checkpoint's file name inside [`PARTIAL`].
pub const CHECKPOINT: &str = "calibration.json";

/// The file names, in the order they are written.
pub const FILES: [&str; 5] = ["fit.csv", "posterior.csv", "diagnostics.csv", "fit.svg", "summary.md"];

/// What the summary says about the run beyond the numbers.
#[derive(Clone, Debug, Default)]
pub struct Context {
    /// The experiment file, as given.
    pub experiment: String,
    /// The data file, as given.
    pub data: String,
    /// The likelihood's name.
    pub likelihood: String,
    /// The seed.
    pub seed: u64,
    /// The model's time unit, if known.
    pub time_unit: Option<String>,
    /// Seconds the calibration took: printed by the command, not written into the files (which
    /// are the same bytes from run to run).
    pub seconds: f64,
}

/// A CSV cell: quoted when it holds a comma, a quote or a line break.
fn cell(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text.to_owned() }
}

/// Writes the five files into `directory` (which exists), after removing an old
/// `manifest.json`, which would vouch for files that are about to change. The summary is
/// returned as well. [`write_manifest`] then writes the new manifest.
pub fn write(
    directory: &Path,
    problem: &Problem<'_>,
    calibrated: &Calibrated,
    context: &Context,
) -> Result<String, ReportError> {
    let manifest_path = directory.join("manifest.json");
    match std::fs::remove_file(&manifest_path) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
            return Err(ReportError::Io { path: manifest_path, source: error });
        }
        _ => {}
    }
    let names: Vec<String> = problem.parameters.iter().map(|p| cell(&p.name)).collect();
    let optimum = &calibrated.optimum;
    write_atomically(&directory.join("fit.csv"), |out| {
        writeln!(out, "{},log_posterior,log_likelihood,log_prior,sum_of_squares", names.join(","))?;
        let values: Vec<String> = optimum.point.iter().map(|v| format_number(*v)).collect();
        let score = &optimum.score;
        writeln!(
            out,
            "{},{},{},{},{}",
            values.join(","),
            format_number(score.log_posterior()),
            format_number(score.log_likelihood),
            format_number(score.log_prior),
            format_number(score.sum_of_squares)
        )
    })?;
    let posterior = &calibrated.posterior;
    write_atomically(&directory.join("posterior.csv"), |out| {
        writeln!(out, "{},log_posterior", names.join(","))?;
        for (draw, value) in posterior.draws.iter().zip(&posterior.log_posterior) {
            for x in draw {
                write!(out, "{},", format_number(*x))?;
            }
            writeln!(out, "{}", format_number(*value))?;
        }
        Ok(())
    })?;
    let rows = diagnostics_rows(problem, calibrated);
    write_atomically(&directory.join("diagnostics.csv"), |out| {
        writeln!(out, "constant,best,mean,sd,q05,median,q95,r_hat,ess_bulk,ess_tail,tau")?;
        for row in &rows {
            writeln!(
                out,
                "{},{}",
                cell(&row.name),
                [
                    row.best,
                    row.mean,
                    row.sd,
                    row.q05,
                    row.median,
                    row.q95,
                    row.r_hat,
                    row.ess_bulk,
                    row.ess_tail,
                    row.tau
                ]
                .map(format_number)
                .join(",")
            )?;
        }
        Ok(())
    })?;
    let time = context.time_unit.as_ref().map_or("time".to_owned(), |unit| format!("time ({unit})"));
    let chart = CalibrationFit {
        title: "Data, best fit and the 90% band of runs over the posterior".to_owned(),
        time,
        band: "5%–95% of runs over the posterior".to_owned(),
        panels: calibrated
            .predictive
            .series
            .iter()
            .map(|series| FitPanel {
                variable: series.name.clone(),
                times: calibrated.predictive.times.clone(),
                fitted: series.fitted.clone(),
                low: series.low.clone(),
                high: series.high.clone(),
                data: series.data.clone(),
            })
            .collect(),
    };
    let svg = calibration_fit(&chart).map_err(|error| ReportError::Invalid(error.to_string()))?;
    write_atomically(&directory.join("fit.svg"), |out| out.write_all(svg.as_bytes()))?;
    let summary = summary(problem, calibrated, &rows, context);
    write_atomically(&directory.join("summary.md"), |out| out.write_all(summary.as_bytes()))?;
    Ok(summary)
}

/// One constant's line of diagnostics.csv.
#[derive(Clone, Debug, PartialEq)]
pub struct DiagnosticsRow {
    /// The constant.
    pub name: String,
    /// Its best fit.
    pub best: f64,
    /// The posterior mean.
    pub mean: f64,
    /// The posterior standard deviation.
    pub sd: f64,
    /// The posterior's 5% quantile.
    pub q05: f64,
    /// Its median.
    pub median: f64,
    /// Its 95% quantile.
    pub q95: f64,
    /// Rank-normalized split R-hat.
    pub r_hat: f64,
    /// Bulk effective sample size.
    pub ess_bulk: f64,
    /// Tail effective sample size.
    pub ess_tail: f64,
    /// Integrated autocorrelation time of the walkers' chains, in steps.
    pub tau: f64,
}

/// The rows of diagnostics.csv, one per fitted constant in the problem's order.
pub fn diagnostics_rows(problem: &Problem<'_>, calibrated: &Calibrated) -> Vec<DiagnosticsRow> {
    let posterior = &calibrated.posterior;
    problem
        .parameters
        .iter()
        .enumerate()
        .map(|(index, parameter)| {
            let values: Vec<f64> = posterior.draws.iter().map(|draw| draw[index]).collect();
            let count = values.len().max(1) as f64;
            let mean = values.iter().sum::<f64>() / count;
            let sd = (values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (count - 1.0).max(1.0)).sqrt();
            let convergence = posterior.convergence.get(index);
            DiagnosticsRow {
                name: parameter.name.clone(),
                best: calibrated.optimum.point.get(index).copied().unwrap_or(f64::NAN),
                mean,
                sd,
                q05: quantile(&values, 0.05),
                median: quantile(&values, 0.5),
                q95: quantile(&values, 0.95),
                r_hat: convergence.map_or(f64::NAN, |c| c.r_hat),
                ess_bulk: convergence.map_or(f64::NAN, |c| c.ess_bulk),
                ess_tail: convergence.map_or(f64::NAN, |c| c.ess_tail),
                tau: convergence.map_or(f64::NAN, |c| c.tau),
            }
        })
        .collect()
}

fn summary(problem: &Problem<'_>, calibrated: &Calibrated, rows: &[DiagnosticsRow], context: &Context) -> String {
    let posterior = &calibrated.posterior;
    let mut text = String::new();
    let _ = writeln!(text, "# Calibration of {}\n", context.experiment);
    let _ = writeln!(
        text,
        "Fitted {} constant{} to {} ({} series, likelihood `{}`), seed {}.\n",
        problem.parameters.len(),
        if problem.parameters.len() == 1 { "" } else { "s" },
        context.data,
        problem.observed.len(),
        context.likelihood,
        context.seed
    );
    if posterior.converged {
        let _ = writeln!(
            text,
            "The posterior converged: for every constant the kept chain is at least 50 integrated autocorrelation \
             times (τ) long, the bulk effective sample size at least 400 and R-hat over the walkers at most 1.05.\n"
        );
    } else {
        let _ = writeln!(
            text,
            "**The posterior did not converge**: for some constant the kept chain is shorter than 50 integrated \
             autocorrelation times, the bulk effective sample size below 400 or R-hat above 1.05 after the longest \
             chain allowed. Do not treat these draws as the posterior; widen or reshape \
             the priors, fit fewer constants, or raise `draws`.\n"
        );
    }
    let _ = writeln!(text, "| constant | best fit | posterior median | 90% interval | R-hat | ESS | τ (steps) |");
    let _ = writeln!(text, "|---|---|---|---|---|---|---|");
    for row in rows {
        let _ = writeln!(
            text,
            "| {} | {} | {} | {} to {} | {:.3} | {:.0} | {:.1} |",
            row.name,
            significant(row.best),
            significant(row.median),
            significant(row.q05),
            significant(row.q95),
            row.r_hat,
            row.ess_bulk,
            row.tau
        );
    }
    let score = &calibrated.optimum.score;
    let _ = writeln!(
        text,
        "\nBest fit: log posterior {:.4}, log-likelihood {:.4}, weighted sum of squares {}.",
        score.log_posterior(),
        score.log_likelihood,
        significant(score.sum_of_squares)
    );
    let _ = writeln!(
        text,
        "Optimizer: {} starts, {} runs. Sampler: {} walkers, {} steps ({} burn-in), every {} kept: {} draws, \
         acceptance {:.2}, {} runs.",
        calibrated.optimum.restarts.len(),
        calibrated.optimum.evaluations,
        posterior.walkers,
        posterior.steps,
        posterior.burn_in,
        posterior.thinning,
        posterior.draws.len(),
        posterior.acceptance,
        posterior.evaluations
    );
    let _ = writeln!(
        text,
        "\nTo sweep over these futures, add `from = \"<this folder>/posterior.csv\"` to the experiment's [sampling] table."
    );
    text
}

/// Six significant digits.
fn significant(value: f64) -> String {
    if value == 0.0 || !value.is_finite() {
        return format!("{value}");
    }
    let digits = (5 - value.abs().log10().floor() as i32).max(0) as usize;
    format!("{value:.digits$}")
}

/// What a calibration started from: the inputs' digests, the seed and the tool's version. A
/// checkpoint records it, and a calibration resumes only from one with the same.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Source {
    /// The tool's version.
    pub version: String,
    /// The model file as the experiment names it, and the SHA-256 of its bytes.
    pub model: FileDigest,
    /// The experiment file, and the SHA-256 of its bytes.
    pub experiment: FileDigest,
    /// The data file as the experiment names it, and the SHA-256 of its bytes.
    pub data: FileDigest,
    /// The seed.
    pub seed: u64,
}

impl Source {
    /// The first input in which `saved` (a checkpoint's) differs from this one, in words that
    /// name the file; none when they are the same calibration. The experiment's path as given
    /// does not count.
    pub fn difference(&self, saved: &Source) -> Option<String> {
        let file = |what: &str, ours: &FileDigest, theirs: &FileDigest| {
            (ours.sha256 != theirs.sha256 || (what != "experiment" && ours.path != theirs.path)).then(|| {
                format!(
                    "the {what} file {} has changed since the checkpoint was written (SHA-256 {} against {} for {})",
                    ours.path,
                    short_digest(&ours.sha256),
                    short_digest(&theirs.sha256),
                    theirs.path
                )
            })
        };
        file("experiment", &self.experiment, &saved.experiment)
            .or_else(|| file("model", &self.model, &saved.model))
            .or_else(|| file("data", &self.data, &saved.data))
            .or_else(|| (self.seed != saved.seed).then(|| format!("the seed is {} against {}", self.seed, saved.seed)))
            .or_else(|| {
                (self.version != saved.version)
                    .then(|| format!("fulcrum is version {} against {}", self.version, saved.version))
            })
    }
}

fn short_digest(digest: &str) -> &str {
    digest.get(..12).unwrap_or(digest)
}

/// A finished calibration: written as `manifest.json`, after the files it lists.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    /// `fulcrum`.
    pub tool: String,
    /// What it started from.
    #[serde(flatten)]
    pub source: Source,
    /// The settings it ran with (the thread count is not one: it changes nothing).
    pub settings: SettingsRecord,
    /// Whether the posterior converged.
    pub converged: bool,
    /// SHA-256 of each file written, by name.
    pub files: Vec<FileDigest>,
}

/// The settings of a calibration, as its manifest records them.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct SettingsRecord {
    /// Optimizer starts.
    pub restarts: usize,
    /// Optimizer population (0: 15 per constant).
    pub population: usize,
    /// Optimizer generations per start, at most.
    pub generations: usize,
    /// Sampler walkers (0: 8 per constant, at least 16).
    pub walkers: usize,
    /// Posterior draws kept.
    pub draws: usize,
    /// The most draws a chain may reach.
    pub max_draws: usize,
    /// The largest R-hat accepted.
    pub max_r_hat: f64,
    /// The smallest bulk effective sample size accepted.
    pub min_ess: f64,
    /// The kept chain's least length in integrated autocorrelation times.
    pub min_tau_multiple: f64,
    /// Posterior runs behind the band of fit.svg.
    pub band_runs: usize,
}

impl SettingsRecord {
    /// The record of `settings`.
    pub fn of(settings: &Settings) -> SettingsRecord {
        SettingsRecord {
            restarts: settings.optimizer.restarts,
            population: settings.optimizer.population,
            generations: settings.optimizer.generations,
            walkers: settings.sampler.walkers,
            draws: settings.sampler.draws,
            max_draws: settings.sampler.max_draws,
            max_r_hat: settings.sampler.max_r_hat,
            min_ess: settings.sampler.min_ess,
            min_tau_multiple: settings.sampler.min_tau_multiple,
            band_runs: settings.band_runs,
        }
    }
}

/// Writes `manifest.json` into `directory` with the SHA-256 of each of the [`FILES`] there,
/// read back from the disk: call it after [`write`].
pub fn write_manifest(
    directory: &Path,
    source: &Source,
    settings: &Settings,
    converged: bool,
) -> Result<(), ReportError> {
    let mut files = Vec::new();
    for name in FILES {
        let path = directory.join(name);
        let sha256 = FileDigest::sha256_of_file(&path).map_err(|source| ReportError::Read { path, source })?;
        files.push(FileDigest { path: name.to_owned(), sha256 });
    }
    let manifest = Manifest {
        tool: "fulcrum".to_owned(),
        source: source.clone(),
        settings: SettingsRecord::of(settings),
        converged,
        files,
    };
    let path = directory.join("manifest.json");
    let mut json = serde_json::to_vec_pretty(&manifest).map_err(|error| ReportError::Invalid(error.to_string()))?;
    json.push(b'\n');
    write_atomically(&path, |out| out.write_all(&json))
}

/// A calibration in progress, as `.fulcrum-partial/calibration.json` holds it: what it started
/// from and where it stands. Every `f64` is kept as its bits, so that nothing is rounded.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct Checkpoint {
    /// `fulcrum`.
    pub tool: String,
    /// What it started from.
    #[serde(flatten)]
    pub source: Source,
    /// The sampler's rounds finished (0: only the optimizer has run).
    pub round: usize,
    optimum: SavedOptimum,
    chain: SavedChain,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
struct SavedOptimum {
    point: Vec<u64>,
    log_likelihood: u64,
    log_prior: u64,
    sum_of_squares: u64,
    restarts: Vec<u64>,
    evaluations: usize,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
struct SavedChain {
    steps: usize,
    kept: usize,
    evaluations: usize,
    walkers: Vec<SavedWalker>,
}

#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
struct SavedWalker {
    point: Vec<u64>,
    log_posterior: u64,
    /// A `u128` in decimal.
    stream_position: String,
}

fn bits(values: &[f64]) -> Vec<u64> {
    values.iter().map(|value| value.to_bits()).collect()
}

fn floats(values: &[u64]) -> Vec<f64> {
    values.iter().map(|value| f64::from_bits(*value)).collect()
}

impl Checkpoint {
    /// The checkpoint of `progress`.
    pub fn new(source: Source, progress: &Progress) -> Checkpoint {
        let optimum = &progress.optimum;
        let chain = &progress.chain;
        Checkpoint {
            tool: "fulcrum".to_owned(),
            source,
            round: chain.round,
            optimum: SavedOptimum {
                point: bits(&optimum.point),
                log_likelihood: optimum.score.log_likelihood.to_bits(),
                log_prior: optimum.score.log_prior.to_bits(),
                sum_of_squares: optimum.score.sum_of_squares.to_bits(),
                restarts: bits(&optimum.restarts),
                evaluations: optimum.evaluations,
            },
            chain: SavedChain {
                steps: chain.steps,
                kept: chain.kept,
                evaluations: chain.evaluations,
                walkers: chain
                    .walkers
                    .iter()
                    .map(|walker| SavedWalker {
                        point: bits(&walker.point),
                        log_posterior: walker.log_posterior.to_bits(),
                        stream_position: walker.stream_position.to_string(),
                    })
                    .collect(),
            },
        }
    }

    /// The progress it holds, checked against the problem it is to resume: `walkers` walkers
    /// and `dimensions` fitted constants. `path` names the file in errors.
    pub fn progress(&self, path: &Path, walkers: usize, dimensions: usize) -> Result<Progress, ReportError> {
        let invalid = |why: String| ReportError::Invalid(format!("{}: {why}", path.display()));
        if self.optimum.point.len() != dimensions {
            return Err(invalid(format!(
                "the best fit has {} constants, the calibration {dimensions}",
                self.optimum.point.len()
            )));
        }
        // Before the first round no step is taken; after each, the chain is as long as the next
        // round keeps (twice what the last one kept).
        let consistent = if self.round == 0 { self.chain.steps == 0 } else { self.chain.steps == self.chain.kept };
        if !consistent || self.chain.kept == 0 {
            return Err(invalid(format!(
                "round {} with {} steps taken and {} to keep is no state a chain passes through",
                self.round, self.chain.steps, self.chain.kept
            )));
        }
        if self.chain.walkers.len() != walkers {
            return Err(invalid(format!("{} walkers, the calibration has {walkers}", self.chain.walkers.len())));
        }
        let mut states = Vec::with_capacity(walkers);
        for (index, walker) in self.chain.walkers.iter().enumerate() {
            if walker.point.len() != dimensions {
                return Err(invalid(format!("walker {index} has {} constants, not {dimensions}", walker.point.len())));
            }
            let stream_position = walker
                .stream_position
                .parse::<u128>()
                .map_err(|_| invalid(format!("walker {index}'s stream position is not a number")))?;
            states.push(WalkerState {
                point: floats(&walker.point),
                log_posterior: f64::from_bits(walker.log_posterior),
                stream_position,
            });
        }
        Ok(Progress {
            optimum: Optimum {
                point: floats(&self.optimum.point),
                score: Score {
                    log_likelihood: f64::from_bits(self.optimum.log_likelihood),
                    log_prior: f64::from_bits(self.optimum.log_prior),
                    sum_of_squares: f64::from_bits(self.optimum.sum_of_squares),
                },
                restarts: floats(&self.optimum.restarts),
                evaluations: self.optimum.evaluations,
            },
            chain: Chain {
                walkers: states,
                steps: self.chain.steps,
                kept: self.chain.kept,
                round: self.round,
                evaluations: self.chain.evaluations,
            },
        })
    }

    /// Writes it atomically to `directory`/[`PARTIAL`]/[`CHECKPOINT`], making the folder.
    pub fn write(&self, directory: &Path) -> Result<(), ReportError> {
        let folder = directory.join(PARTIAL);
        std::fs::create_dir_all(&folder).map_err(|source| ReportError::Io { path: folder.clone(), source })?;
        let json = serde_json::to_vec(self).map_err(|error| ReportError::Invalid(error.to_string()))?;
        write_atomically(&folder.join(CHECKPOINT), |out| out.write_all(&json))
    }

    /// Reads the checkpoint in `directory`, if there is one.
    pub fn read(directory: &Path) -> Result<Option<Checkpoint>, ReportError> {
        let path = directory.join(PARTIAL).join(CHECKPOINT);
        let bytes = match std::fs::read(&path) {
            Ok(bytes) => bytes,
            Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(ReportError::Read { path, source }),
        };
        serde_json::from_slice(&bytes).map(Some).map_err(|source| ReportError::Json {
            path,
            what: "not a calibration checkpoint",
            source,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_checkpoint_keeps_every_bit_of_the_progress() {
        let progress = Progress {
            optimum: Optimum {
                point: vec![0.1 + 0.2, -1e-300],
                score: Score { log_likelihood: -12.345678901234567, log_prior: f64::NEG_INFINITY, sum_of_squares: 3.0 },
                restarts: vec![-1.0 / 3.0],
                evaluations: 99,
            },
            chain: Chain {
                walkers: vec![
                    WalkerState {
                        point: vec![1.0 / 7.0, 2.0],
                        log_posterior: f64::NEG_INFINITY,
                        stream_position: 1 << 70,
                    },
                    WalkerState { point: vec![5e-324, -0.0], log_posterior: -7.25, stream_position: 3 },
                ],
                steps: 48,
                kept: 48,
                round: 2,
                evaluations: 1000,
            },
        };
        let source = Source {
            version: "test".to_owned(),
            model: FileDigest::of("m.toml", b"model"),
            experiment: FileDigest::of("e.toml", b"experiment"),
            data: FileDigest::of("history.csv", b"data"),
            seed: 4,
        };
        let directory = tempfile::tempdir().expect("temp dir");
        Checkpoint::new(source.clone(), &progress).write(directory.path()).expect("written");
        let read = Checkpoint::read(directory.path()).expect("reads").expect("a checkpoint");
        assert_eq!(read.source, source);
        let back = read.progress(Path::new("c.json"), 2, 2).expect("matches");
        assert_eq!(format!("{back:?}"), format!("{progress:?}"));
        assert_eq!(back.chain.walkers[1].point[1].to_bits(), (-0.0f64).to_bits());
        assert!(read.progress(Path::new("c.json"), 3, 2).is_err());
        // A chain state no round leaves (which would never finish) is refused.
        let mut tampered = read.clone();
        tampered.chain.kept = 0;
        tampered.chain.steps = 0;
        assert!(tampered.progress(Path::new("c.json"), 2, 2).is_err());
        // A changed data file is named.
        let changed = Source { data: FileDigest::of("history.csv", b"other data"), ..source.clone() };
        let difference = changed.difference(&source).expect("differs");
        assert!(difference.contains("data file history.csv"), "{difference}");
        assert_eq!(source.difference(&source), None);
    }
}
