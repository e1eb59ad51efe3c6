//! The posterior: the affine-invariant ensemble sampler of Goodman and Weare (2010), with the
//! stretch move (scale 2) applied to one half of the walkers at a time against the other half,
//! as emcee does, so that each half's proposals are scored together: sixteen lanes to a batch,
//! batches over threads. Each walker draws its random numbers from its own ChaCha8 stream of
//! the seed, so the chain is the same at any thread count.
//!
//! Convergence is enforced: after the first half of the steps (burn-in) is dropped, the kept
//! chain must be at least `min_tau_multiple` (50) integrated autocorrelation times long for every
//! constant (the rule of emcee's authors for this sampler: walkers of an ensemble are not
//! independent chains, so R-hat's reference distribution does not hold for them), with a bulk
//! effective sample size of at least `min_ess`, and R-hat over the walkers at most `max_r_hat`
//! (1.05: a check that no walker is stuck elsewhere; at 50 τ it is about 1.02 for a
//! well-mixed ensemble, and 1.01 would ask for twice the chain). Otherwise the sampler keeps
//! going, doubling the chain, up to `max_draws`; then it stops and says it did not converge.
//!
//! The chain runs in rounds ([`begin`], then [`advance`] until it finishes); between rounds its
//! whole state is a [`Chain`], which can be saved and resumed to the same bits.

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};

use crate::diagnostics::{Convergence, convergence};
use crate::problem::{Problem, Score};

/// Settings of the sampler.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Settings {
    /// Walkers; 0 for 8 per fitted constant, at least 16 (rounded up to an even number). Few
    /// walkers make long chains: R-hat over the walkers is about `sqrt(1 + τ/n)` for chains of
    /// `n` steps with autocorrelation time `τ`, so many short chains cannot reach 1.01.
    pub walkers: usize,
    /// Draws kept after burn-in, all walkers together. A chain extended for convergence is
    /// thinned to about this many (every k-th step), its diagnostics taken before thinning.
    pub draws: usize,
    /// The most draws a chain may reach after extensions, before thinning.
    pub max_draws: usize,
    /// The largest R-hat accepted (the walkers counted as chains).
    pub max_r_hat: f64,
    /// The smallest bulk effective sample size accepted.
    pub min_ess: f64,
    /// The kept chain must be at least this many integrated autocorrelation times long.
    pub min_tau_multiple: f64,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            walkers: 0,
            draws: 20_000,
            max_draws: 320_000,
            max_r_hat: 1.05,
            min_ess: 400.0,
            min_tau_multiple: 50.0,
        }
    }
}

impl Settings {
    /// Whether one constant's diagnostics over a kept chain of `kept` steps meet the settings.
    pub fn accepts(&self, diagnostics: &Convergence, kept: usize) -> bool {
        diagnostics.r_hat <= self.max_r_hat
            && diagnostics.ess_bulk >= self.min_ess
            && diagnostics.tau.is_finite()
            && kept as f64 >= self.min_tau_multiple * diagnostics.tau
    }
}

/// The draws of the posterior and how they converged.
#[derive(Clone, Debug, PartialEq)]
pub struct Posterior {
    /// Kept draws (after thinning), step by step and walker by walker within a step: the
    /// fitted constants.
    pub draws: Vec<Vec<f64>>,
    /// The log posterior of each draw.
    pub log_posterior: Vec<f64>,
    /// Walkers.
    pub walkers: usize,
    /// Steps taken in all, burn-in included.
    pub steps: usize,
    /// Steps dropped as burn-in (the first half).
    pub burn_in: usize,
    /// Every how many steps a draw was kept.
    pub thinning: usize,
    /// Each constant's diagnostics.
    pub convergence: Vec<Convergence>,
    /// The fraction of proposals accepted after burn-in.
    pub acceptance: f64,
    /// Whether every constant met the thresholds.
    pub converged: bool,
    /// Runs evaluated in all.
    pub evaluations: usize,
}

/// The sampler's state between rounds: everything a chain needs to go on exactly as if it had
/// not stopped. A round runs the chain to twice the steps it keeps and tests the kept half; a
/// round that falls short doubles what the next keeps, and every step up to then is the next
/// round's burn-in, so no draw of an unfinished round is needed again: the walkers' positions,
/// their log posteriors and the positions of their random streams carry the chain on.
#[derive(Clone, Debug, PartialEq)]
pub struct Chain {
    /// Each walker, in order.
    pub walkers: Vec<WalkerState>,
    /// Steps taken so far.
    pub steps: usize,
    /// Steps the next round keeps (it runs the chain to twice as many).
    pub kept: usize,
    /// Rounds finished.
    pub round: usize,
    /// Runs evaluated so far.
    pub evaluations: usize,
}

/// One walker of a [`Chain`].
#[derive(Clone, Debug, PartialEq)]
pub struct WalkerState {
    /// Its position: the fitted constants.
    pub point: Vec<f64>,
    /// The log posterior there.
    pub log_posterior: f64,
    /// The word position of its ChaCha8 stream (the seed's stream `2³² + walker`).
    pub stream_position: u128,
}

/// What one round of [`advance`] ends with.
#[derive(Clone, Debug, PartialEq)]
pub enum Round {
    /// The chain converged or reached `max_draws`: the posterior.
    Finished(Box<Posterior>),
    /// The chain goes on; `Chain` holds where it stands.
    Continues,
}

/// One walker's state while a round runs.
struct Walker {
    point: Vec<f64>,
    log_posterior: f64,
    rng: ChaCha8Rng,
}

/// The walker's stream of the seed: streams above the optimizer's restarts.
fn stream(seed: u64, index: usize) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(1 << 32 | index as u64);
    rng
}

/// The number of walkers for `settings` and `dimensions` fitted constants.
pub fn walker_count(settings: &Settings, dimensions: usize) -> usize {
    let count = if settings.walkers == 0 { (8 * dimensions).max(16) } else { settings.walkers.max(2 * dimensions + 2) };
    count + count % 2
}

/// Samples the posterior of `problem`, the walkers starting in a small ball around `start`.
pub fn sample(problem: &Problem<'_>, start: &[f64], settings: &Settings, seed: u64, threads: usize) -> Posterior {
    let mut chain = begin(problem, start, settings, seed, threads);
    loop {
        if let Round::Finished(posterior) = advance(problem, &mut chain, settings, seed, threads) {
            return *posterior;
        }
    }
}

/// The chain before its first round: the walkers in a small ball around `start`, scored.
pub fn begin(problem: &Problem<'_>, start: &[f64], settings: &Settings, seed: u64, threads: usize) -> Chain {
    let count = walker_count(settings, problem.dimensions());
    let mut walkers: Vec<Walker> = (0..count)
        .map(|index| Walker { point: start.to_vec(), log_posterior: f64::NEG_INFINITY, rng: stream(seed, index) })
        .collect();
    // The ball: 10⁻³ of each prior's width, redrawn until inside the support (a walker that
    // cannot leave the start keeps it).
    for walker in walkers.iter_mut() {
        for _ in 0..100 {
            let candidate: Vec<f64> = problem
                .parameters
                .iter()
                .zip(start)
                .map(|(p, x)| x + 1e-3 * (p.bounds.1 - p.bounds.0) * (2.0 * walker.rng.random::<f64>() - 1.0))
                .collect();
            if problem.log_prior(&candidate).is_finite() {
                walker.point = candidate;
                break;
            }
        }
    }
    let points: Vec<Vec<f64>> = walkers.iter().map(|w| w.point.clone()).collect();
    for (walker, score) in walkers.iter_mut().zip(problem.evaluate(&points, threads)) {
        walker.log_posterior = score.log_posterior();
    }
    Chain {
        walkers: walkers
            .into_iter()
            .map(|walker| WalkerState {
                point: walker.point,
                log_posterior: walker.log_posterior,
                stream_position: walker.rng.get_word_pos(),
            })
            .collect(),
        steps: 0,
        kept: settings.draws.div_ceil(count).max(4),
        round: 0,
        evaluations: count,
    }
}

/// Runs one round of `chain`: to twice the steps it keeps, then the convergence test on the
/// kept half. The same seed and settings give the same chain whether the rounds run in one
/// process or are resumed from a saved [`Chain`].
pub fn advance(problem: &Problem<'_>, chain: &mut Chain, settings: &Settings, seed: u64, threads: usize) -> Round {
    let dimensions = problem.dimensions();
    let count = chain.walkers.len();
    let mut walkers: Vec<Walker> = chain
        .walkers
        .iter()
        .enumerate()
        .map(|(index, state)| {
            let mut rng = stream(seed, index);
            rng.set_word_pos(state.stream_position);
            Walker { point: state.point.clone(), log_posterior: state.log_posterior, rng }
        })
        .collect();
    let kept = chain.kept;
    // This round's steps only: every earlier one is burn-in.
    let mut history: Vec<Vec<(Vec<f64>, f64)>> = Vec::new();
    let mut accepted: Vec<bool> = Vec::new();
    while chain.steps + history.len() < 2 * kept {
        for half in 0..2 {
            let (moving, fixed): (Vec<usize>, Vec<usize>) = (0..count).partition(|w| w % 2 == half);
            let mut proposals = Vec::with_capacity(moving.len());
            let mut stretches = Vec::with_capacity(moving.len());
            for &index in &moving {
                let rng = &mut walkers[index].rng;
                let partner = fixed[rng.random_range(0..fixed.len())];
                let z = (rng.random::<f64>() + 1.0).powi(2) / 2.0;
                let (x, y) = (&walkers[index].point, &walkers[partner].point);
                proposals.push(x.iter().zip(y).map(|(x, y)| y + z * (x - y)).collect::<Vec<f64>>());
                stretches.push(z);
            }
            let scores = problem.evaluate(&proposals, threads);
            chain.evaluations += proposals.len();
            for (((index, proposal), z), score) in moving.iter().zip(proposals).zip(stretches).zip(scores) {
                let walker = &mut walkers[*index];
                let ratio = (dimensions as f64 - 1.0) * z.ln() + score.log_posterior() - walker.log_posterior;
                let u: f64 = walker.rng.random();
                let accept = score.log_posterior().is_finite() && u.ln() < ratio;
                if accept {
                    walker.point = proposal;
                    walker.log_posterior = Score::log_posterior(&score);
                }
                accepted.push(accept);
            }
        }
        history.push(walkers.iter().map(|w| (w.point.clone(), w.log_posterior)).collect());
    }
    let steps = chain.steps + history.len();
    let burn = history.len() - kept;
    let diagnostics: Vec<Convergence> = (0..dimensions)
        .map(|d| {
            let chains: Vec<Vec<f64>> =
                (0..count).map(|w| history[burn..].iter().map(|step| step[w].0[d]).collect()).collect();
            convergence(&chains)
        })
        .collect();
    let converged = diagnostics.iter().all(|c| settings.accepts(c, kept));
    if converged || 2 * kept * count > settings.max_draws {
        let after = &accepted[burn * count..];
        let acceptance = after.iter().filter(|a| **a).count() as f64 / after.len().max(1) as f64;
        let stride = (kept * count / settings.draws.max(1)).max(1);
        let mut draws = Vec::with_capacity(kept * count / stride + count);
        let mut log_posterior = Vec::with_capacity(kept * count / stride + count);
        for step in history[burn..].iter().step_by(stride) {
            for (point, value) in step {
                draws.push(point.clone());
                log_posterior.push(*value);
            }
        }
        return Round::Finished(Box::new(Posterior {
            draws,
            log_posterior,
            walkers: count,
            steps,
            burn_in: steps - kept,
            thinning: stride,
            convergence: diagnostics,
            acceptance,
            converged,
            evaluations: chain.evaluations,
        }));
    }
    chain.walkers = walkers
        .into_iter()
        .map(|walker| WalkerState {
            point: walker.point,
            log_posterior: walker.log_posterior,
            stream_position: walker.rng.get_word_pos(),
        })
        .collect();
    chain.steps = steps;
    chain.kept = 2 * kept;
    chain.round += 1;
    Round::Continues
}
