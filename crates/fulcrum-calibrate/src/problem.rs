//! A calibration problem: the fitted constants with their priors, the observed series with their
//! scoring, and the model that turns constants into runs. [`Problem::evaluate`] scores many
//! points at once: sixteen to a batch (the simulator's lanes), batches spread over threads, each
//! result in the place of its point, so that the scores do not depend on the thread count.

use std::sync::atomic::{AtomicUsize, Ordering};

use fulcrum_explore::experiment::Calibration;
use fulcrum_explore::{Distribution, Experiment, Likelihood, Setting};
use fulcrum_model::{CanonicalName, Code, Diagnostic, Diagnostics};
use fulcrum_sim::{CompiledModel, LANES, Point, VarId};

use crate::data::History;
use crate::payoff::{self, Scoring};

/// One fitted constant.
#[derive(Clone, Debug, PartialEq)]
pub struct Parameter {
    /// Its name, as the experiment writes it.
    pub name: String,
    /// Its position in [`CompiledModel::constants`].
    pub constant: usize,
    /// Its prior.
    pub prior: Distribution,
    /// The lowest and highest values searched: the prior's support, or its 10⁻⁶ and 1 - 10⁻⁶
    /// quantiles where the support is unbounded.
    pub bounds: (f64, f64),
}

/// One observed series, ready to score.
#[derive(Clone, Debug, PartialEq)]
pub struct Observed {
    /// The data column's name.
    pub name: String,
    /// The variable.
    pub variable: VarId,
    /// The observations inside the fitted window: (saved time index, value).
    pub points: Vec<(usize, f64)>,
    /// How it is scored.
    pub scoring: Scoring,
}

/// The fit of one point: its log-likelihood, log prior, and the weighted sum of squares.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Score {
    /// Sum over series of their log-likelihoods.
    pub log_likelihood: f64,
    /// Sum over constants of their log prior densities.
    pub log_prior: f64,
    /// The weighted sum of squared errors over all series.
    pub sum_of_squares: f64,
}

impl Score {
    /// The unnormalized log posterior.
    pub fn log_posterior(&self) -> f64 {
        let total = self.log_likelihood + self.log_prior;
        if total.is_nan() { f64::NEG_INFINITY } else { total }
    }

    /// The score of a point outside the priors' support or whose run failed.
    pub const IMPOSSIBLE: Score =
        Score { log_likelihood: f64::NEG_INFINITY, log_prior: f64::NEG_INFINITY, sum_of_squares: f64::INFINITY };
}

/// What the calibration fits, and to what.
#[derive(Clone, Debug)]
pub struct Problem<'m> {
    model: &'m CompiledModel,
    /// The fitted constants, in the order `[calibration] constants` gives them.
    pub parameters: Vec<Parameter>,
    /// The observed series.
    pub observed: Vec<Observed>,
    /// Values every run gets (the experiment's lever baselines).
    pub baseline: Vec<Setting>,
}

impl<'m> Problem<'m> {
    /// Binds an experiment's `[calibration]` to the model and the data. Problems point into the
    /// experiment file.
    pub fn new(
        model: &'m CompiledModel,
        experiment: &Experiment,
        baseline: &[Setting],
        history: &History,
    ) -> Result<Problem<'m>, Diagnostics> {
        let mut problems = Diagnostics::default();
        let Some(calibration) = &experiment.calibration else {
            problems.push(
                Diagnostic::new(Code::MissingKey, "the experiment has no [calibration] table")
                    .at(experiment.model_span)
                    .with_help("add [calibration] with `data`, `constants` and `likelihood`"),
            );
            return Err(problems);
        };
        let mut parameters = Vec::new();
        for (name, span) in &calibration.constants {
            let canonical = CanonicalName::new(name);
            let Some(uncertain) = experiment.uncertain.iter().find(|u| CanonicalName::new(&u.name) == canonical) else {
                continue; // The experiment reader has said so.
            };
            let Ok(constant) = model.constant_index(name) else {
                continue; // Binding the experiment's plan has said so.
            };
            if payoff::log_prior(&uncertain.distribution, uncertain.distribution.median()).is_none() {
                problems.push(
                    Diagnostic::new(
                        Code::InvalidDistribution,
                        format!("[calibration] fits `{name}`, whose distribution is discrete: it has no density"),
                    )
                    .at(Some(*span))
                    .with_help("give it a continuous prior (uniform, normal, triangular, beta, ...)"),
                );
                continue;
            }
            let prior = uncertain.distribution.clone();
            let low = prior.quantile(0.0);
            let high = prior.quantile(1.0);
            let low = if low.is_finite() && low > f64::MIN_POSITIVE { low } else { prior.quantile(1e-6) };
            let high = if high.is_finite() { high } else { prior.quantile(1.0 - 1e-6) };
            let bounds = match prior {
                Distribution::Uniform { min, max }
                | Distribution::Triangular { min, max, .. }
                | Distribution::LogUniform { min, max }
                | Distribution::Beta { min, max, .. } => (min, max),
                _ => (low, high),
            };
            parameters.push(Parameter { name: name.clone(), constant, prior, bounds });
        }
        let (start, stop) = window(calibration, history, &mut problems);
        let mut observed = Vec::new();
        for (index, series) in history.series.iter().enumerate() {
            let settings =
                calibration.series.iter().find(|s| CanonicalName::new(&s.name) == CanonicalName::new(&series.name));
            let dispersion = settings.and_then(|s| s.dispersion);
            if calibration.likelihood == Likelihood::NegativeBinomial && dispersion.is_none() {
                problems.push(
                    Diagnostic::new(
                        Code::MissingKey,
                        format!("the negative binomial likelihood needs the dispersion of `{}`", series.name),
                    )
                    .at(Some(calibration.span))
                    .with_help(format!(
                        "add [calibration.series.\"{}\"] dispersion = 10 (variance is mean + mean²/dispersion)",
                        series.name
                    )),
                );
            }
            let scoring = Scoring {
                likelihood: calibration.likelihood,
                weight: settings.and_then(|s| s.weight).unwrap_or(1.0),
                scale: settings.and_then(|s| s.scale),
                dispersion: dispersion.unwrap_or(1.0),
            };
            let points = history.observed(index, start, stop);
            if points.is_empty() {
                continue;
            }
            observed.push(Observed { name: series.name.clone(), variable: series.variable, points, scoring });
        }
        for settings in &calibration.series {
            if !history.series.iter().any(|s| CanonicalName::new(&s.name) == CanonicalName::new(&settings.name)) {
                problems.push(
                    Diagnostic::new(
                        Code::UnknownName,
                        format!("[calibration.series] `{}` is not a column of the data", settings.name),
                    )
                    .at(Some(settings.span)),
                );
            }
        }
        if observed.is_empty() && !problems.has_errors() {
            problems.push(
                Diagnostic::new(Code::InvalidTimeRange, "no observation falls inside the fitted window")
                    .at(calibration.start.or(calibration.stop).map(|(_, span)| span).or(Some(calibration.span))),
            );
        }
        if problems.has_errors() {
            problems.sort();
            return Err(problems);
        }
        Ok(Problem { model, parameters, observed, baseline: baseline.to_vec() })
    }

    /// The model.
    pub fn model(&self) -> &'m CompiledModel {
        self.model
    }

    /// How many constants are fitted.
    pub fn dimensions(&self) -> usize {
        self.parameters.len()
    }

    /// The log prior of a point.
    pub fn log_prior(&self, point: &[f64]) -> f64 {
        self.parameters
            .iter()
            .zip(point)
            .map(|(p, x)| payoff::log_prior(&p.prior, *x).unwrap_or(f64::NEG_INFINITY))
            .sum()
    }

    /// Scores each point (one value per fitted constant), on up to `threads` threads.
    pub fn evaluate(&self, points: &[Vec<f64>], threads: usize) -> Vec<Score> {
        let chunks: Vec<&[Vec<f64>]> = points.chunks(LANES).collect();
        let mut scores = vec![Score::IMPOSSIBLE; points.len()];
        let next = AtomicUsize::new(0);
        let threads = threads.clamp(1, chunks.len().max(1));
        if threads == 1 {
            return chunks.iter().flat_map(|chunk| self.evaluate_batch(chunk)).collect();
        }
        let results: Vec<Vec<(usize, Vec<Score>)>> = std::thread::scope(|scope| {
            let workers: Vec<_> = (0..threads)
                .map(|_| {
                    scope.spawn(|| {
                        let mut done = Vec::new();
                        loop {
                            let index = next.fetch_add(1, Ordering::Relaxed);
                            let Some(chunk) = chunks.get(index) else { break };
                            done.push((index, self.evaluate_batch(chunk)));
                        }
                        done
                    })
                })
                .collect();
            workers.into_iter().map(|worker| worker.join().unwrap_or_default()).collect()
        });
        for (index, batch) in results.into_iter().flatten() {
            for (offset, score) in batch.into_iter().enumerate() {
                scores[index * LANES + offset] = score;
            }
        }
        scores
    }

    /// The run's values at every saved time of each observed variable, for each point.
    pub fn trajectories(&self, points: &[Vec<f64>]) -> Vec<Vec<Vec<f64>>> {
        let mut all = Vec::new();
        for chunk in points.chunks(LANES) {
            let (runs, _) = self.run_batch(chunk, true);
            all.extend(runs);
        }
        all
    }

    fn evaluate_batch(&self, chunk: &[Vec<f64>]) -> Vec<Score> {
        let (runs, failed) = self.run_batch(chunk, false);
        chunk
            .iter()
            .enumerate()
            .map(|(lane, point)| {
                let log_prior = self.log_prior(point);
                if failed[lane] || log_prior == f64::NEG_INFINITY {
                    return Score { log_prior, ..Score::IMPOSSIBLE };
                }
                let mut score = Score { log_likelihood: 0.0, log_prior, sum_of_squares: 0.0 };
                for (series, values) in self.observed.iter().zip(&runs[lane]) {
                    let data: Vec<f64> = series.points.iter().map(|(_, y)| *y).collect();
                    score.log_likelihood += payoff::log_likelihood(&series.scoring, &data, values);
                    score.sum_of_squares += payoff::sum_of_squares(&series.scoring, &data, values);
                }
                score
            })
            .collect()
    }

    /// Runs up to [`LANES`] points. For each lane, the values of each observed series: at its
    /// observed times, or at every saved time when `everywhere`. Also whether each lane failed.
    fn run_batch(&self, chunk: &[Vec<f64>], everywhere: bool) -> (Vec<Vec<Vec<f64>>>, [bool; LANES]) {
        let mut batch = self.model.batch::<LANES>();
        for setting in &self.baseline {
            batch.set_all(setting.constant, setting.value);
        }
        for (lane, point) in chunk.iter().enumerate() {
            for (parameter, value) in self.parameters.iter().zip(point) {
                batch.set(lane, parameter.constant, *value);
            }
        }
        // The lanes beyond the chunk repeat its first point, so that they cannot fail on their own.
        for lane in chunk.len()..LANES {
            for (parameter, value) in self.parameters.iter().zip(&chunk[0]) {
                batch.set(lane, parameter.constant, *value);
            }
        }
        let saves = self.model.axis().save_count();
        // For each saved time, the (series, place) pairs it fills.
        let mut wanted: Vec<Vec<(usize, usize)>> = vec![Vec::new(); saves];
        for (index, series) in self.observed.iter().enumerate() {
            if everywhere {
                for (saved, places) in wanted.iter_mut().enumerate() {
                    places.push((index, saved));
                }
            } else {
                for (place, (saved, _)) in series.points.iter().enumerate() {
                    if let Some(places) = wanted.get_mut(*saved) {
                        places.push((index, place));
                    }
                }
            }
        }
        let sizes: Vec<usize> =
            self.observed.iter().map(|series| if everywhere { saves } else { series.points.len() }).collect();
        let mut values: Vec<Vec<Vec<f64>>> =
            (0..chunk.len()).map(|_| sizes.iter().map(|size| vec![f64::NAN; *size]).collect()).collect();
        let observed = &self.observed;
        let mut observer = |point: &Point<'_, LANES>| {
            let Some(saved) = point.saved else { return };
            let Some(places) = wanted.get(saved) else { return };
            for &(series, place) in places {
                let lanes = point.get(observed[series].variable);
                for (lane, run) in values.iter_mut().enumerate() {
                    run[series][place] = lanes[lane];
                }
            }
        };
        let failures = batch.run(&mut observer);
        let failed = std::array::from_fn(|lane| failures[lane].is_some());
        (values, failed)
    }
}

/// The fitted window: the table's `start` and `stop`, or the data's first and last times.
fn window(calibration: &Calibration, history: &History, problems: &mut Diagnostics) -> (f64, f64) {
    let first = history.times.first().copied().unwrap_or(0.0);
    let last = history.times.last().copied().unwrap_or(0.0);
    let start = calibration.start.map_or(first, |(start, _)| start);
    let stop = calibration.stop.map_or(last, |(stop, _)| stop);
    for (key, value) in [("start", calibration.start), ("stop", calibration.stop)] {
        if let Some((time, span)) = value
            && (time < first || time > last)
        {
            problems.push(
                Diagnostic::new(
                    Code::InvalidTimeRange,
                    format!("[calibration]: `{key}` {time} is outside the data ({first} to {last})"),
                )
                .at(Some(span)),
            );
        }
    }
    (start, stop)
}
