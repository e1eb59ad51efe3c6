//! The global optimizer: differential evolution (rand/1/bin, dithered mutation factor) with
//! restarts, inside the priors' supports, maximizing the log posterior.
//!
//! Written here rather than taken from a crate: the maintained crates of differential evolution
//! and CMA-ES call the objective one point at a time, while a calibration scores a whole
//! generation at once, sixteen runs to a batch of lanes and batches over threads; and every
//! random number here comes from a ChaCha8 stream of the seed so that a seed gives the same fit
//! at any thread count.

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};

use crate::problem::{Problem, Score};

/// Settings of the optimizer.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Settings {
    /// Independent starts; the best result wins.
    pub restarts: usize,
    /// Points per generation; 0 for 15 per fitted constant (at least 20).
    pub population: usize,
    /// Generations per start, at most.
    pub generations: usize,
    /// A start ends when the population's log posteriors all lie within this of the best.
    pub tolerance: f64,
    /// Crossover probability.
    pub crossover: f64,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings { restarts: 4, population: 0, generations: 400, tolerance: 1e-8, crossover: 0.9 }
    }
}

/// The best point found.
#[derive(Clone, Debug, PartialEq)]
pub struct Optimum {
    /// The fitted constants, in the problem's order.
    pub point: Vec<f64>,
    /// Its score.
    pub score: Score,
    /// The best log posterior of each start, in order.
    pub restarts: Vec<f64>,
    /// Runs evaluated in all.
    pub evaluations: usize,
}

/// Maximizes the log posterior of `problem`. The same seed gives the same optimum at any
/// thread count.
pub fn optimize(problem: &Problem<'_>, settings: &Settings, seed: u64, threads: usize) -> Optimum {
    let dimensions = problem.dimensions();
    let size = if settings.population == 0 { (15 * dimensions).max(20) } else { settings.population.max(4) };
    let bounds: Vec<(f64, f64)> = problem.parameters.iter().map(|p| p.bounds).collect();
    let mut best: Option<(Vec<f64>, Score)> = None;
    let mut restarts = Vec::new();
    let mut evaluations = 0;
    for restart in 0..settings.restarts.max(1) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(restart as u64);
        let mut population: Vec<Vec<f64>> = (0..size)
            .map(|_| bounds.iter().map(|(low, high)| low + (high - low) * rng.random::<f64>()).collect())
            .collect();
        if restart == 0 {
            // The priors' medians: a start that is often near the answer.
            population[0] = problem.parameters.iter().map(|p| p.prior.median()).collect();
        }
        let mut scores = problem.evaluate(&population, threads);
        evaluations += size;
        for _ in 0..settings.generations {
            let factor = 0.5 + 0.5 * rng.random::<f64>();
            let trials: Vec<Vec<f64>> = (0..size)
                .map(|target| {
                    let [a, b, c] = distinct(&mut rng, size, target);
                    let forced = rng.random_range(0..dimensions);
                    (0..dimensions)
                        .map(|d| {
                            if d == forced || rng.random::<f64>() < settings.crossover {
                                let value = population[a][d] + factor * (population[b][d] - population[c][d]);
                                let (low, high) = bounds[d];
                                // Back inside the bounds: between the target and the bound it crossed.
                                if value < low {
                                    low + rng.random::<f64>() * (population[target][d] - low)
                                } else if value > high {
                                    high - rng.random::<f64>() * (high - population[target][d])
                                } else {
                                    value
                                }
                            } else {
                                population[target][d]
                            }
                        })
                        .collect()
                })
                .collect();
            let trial_scores = problem.evaluate(&trials, threads);
            evaluations += size;
            for (index, (trial, score)) in trials.into_iter().zip(trial_scores).enumerate() {
                if score.log_posterior() >= scores[index].log_posterior() {
                    population[index] = trial;
                    scores[index] = score;
                }
            }
            let values: Vec<f64> = scores.iter().map(Score::log_posterior).collect();
            let top = values.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let bottom = values.iter().copied().fold(f64::INFINITY, f64::min);
            if top.is_finite() && top - bottom <= settings.tolerance * top.abs().max(1.0) {
                break;
            }
        }
        let winner =
            (0..size).max_by(|a, b| scores[*a].log_posterior().total_cmp(&scores[*b].log_posterior())).unwrap_or(0);
        restarts.push(scores[winner].log_posterior());
        if best.as_ref().is_none_or(|(_, score)| scores[winner].log_posterior() > score.log_posterior()) {
            best = Some((population[winner].clone(), scores[winner]));
        }
    }
    let (point, score) = best.unwrap_or_else(|| (vec![f64::NAN; dimensions], Score::IMPOSSIBLE));
    Optimum { point, score, restarts, evaluations }
}

/// Three population members other than `target` and each other.
fn distinct(rng: &mut ChaCha8Rng, size: usize, target: usize) -> [usize; 3] {
    let mut chosen = [target; 3];
    for slot in 0..3 {
        loop {
            let candidate = rng.random_range(0..size);
            if candidate != target && !chosen[..slot].contains(&candidate) {
                chosen[slot] = candidate;
                break;
            }
        }
    }
    chosen
}
