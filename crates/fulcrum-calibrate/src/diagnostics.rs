//! Convergence diagnostics of MCMC draws, after Vehtari, Gelman, Simpson, Carpenter and Bürkner
//! (2021), "Rank-normalization, folding, and localization: an improved R-hat for assessing
//! convergence of MCMC", Bayesian Analysis 16(2): split chains, rank-normalized values, R-hat as
//! the larger of the bulk and the tail (folded) value, and the bulk effective sample size from
//! Geyer's initial monotone sequence of autocorrelations; and the integrated autocorrelation time
//! of an ensemble's walkers as emcee estimates it ([`integrated_time`]).

use fulcrum_explore::distribution::normal_quantile;

/// R-hat and effective sample size of one quantity.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Convergence {
    /// Rank-normalized split R-hat: the larger of the bulk and tail values.
    pub r_hat: f64,
    /// Bulk effective sample size.
    pub ess_bulk: f64,
    /// Tail effective sample size: the smaller of those of the 5% and 95% quantile indicators.
    pub ess_tail: f64,
    /// The integrated autocorrelation time in steps ([`integrated_time`]).
    pub tau: f64,
}

/// The diagnostics of `chains` (each a sequence of draws of one quantity; all as long).
pub fn convergence(chains: &[Vec<f64>]) -> Convergence {
    let split = split_chains(chains);
    let bulk = rank_normalize(&split);
    let median = median(&split);
    let folded: Vec<Vec<f64>> = split.iter().map(|chain| chain.iter().map(|x| (x - median).abs()).collect()).collect();
    let tail = rank_normalize(&folded);
    let r_hat = r_hat(&bulk).max(r_hat(&tail));
    let all: Vec<f64> = split.iter().flatten().copied().collect();
    let ess_tail = [0.05, 0.95]
        .iter()
        .map(|probability| {
            let cut = quantile(&all, *probability);
            let indicator: Vec<Vec<f64>> =
                split.iter().map(|chain| chain.iter().map(|x| f64::from(u8::from(*x <= cut))).collect()).collect();
            effective_size(&indicator)
        })
        .fold(f64::INFINITY, f64::min);
    Convergence { r_hat, ess_bulk: effective_size(&bulk), ess_tail, tau: integrated_time(chains) }
}

/// The integrated autocorrelation time, in steps, of an ensemble's chains (one per walker, all
/// as long), as emcee estimates it (Foreman-Mackey, Hogg, Lang and Goodman 2013, and emcee's
/// autocorrelation tutorial): the normalized autocorrelation function of each walker's chain,
/// averaged over the walkers, summed as τ(M) = 1 + 2 Σ₁ᴹ ρ(k) up to Sokal's automatic window,
/// the first lag M with M ≥ 5 τ(M). Walkers of an ensemble are not independent chains, but each
/// one's autocorrelation measures how fast the ensemble forgets. When no lag reaches the window
/// the chain is shorter than 5 τ and the sum so far is returned; a walker that never moved
/// makes it infinite.
pub fn integrated_time(chains: &[Vec<f64>]) -> f64 {
    let n = chains.first().map_or(0, Vec::len);
    if n < 2 || chains.iter().any(|chain| chain.len() != n) {
        return f64::NAN;
    }
    let centered: Vec<Vec<f64>> = chains
        .iter()
        .map(|chain| {
            let m = mean(chain);
            chain.iter().map(|x| x - m).collect()
        })
        .collect();
    let zero_lag: Vec<f64> = centered.iter().map(|chain| chain.iter().map(|x| x * x).sum::<f64>()).collect();
    if zero_lag.contains(&0.0) {
        return f64::INFINITY;
    }
    let walkers = chains.len() as f64;
    let mut tau = 1.0;
    for lag in 1..n {
        let rho = centered
            .iter()
            .zip(&zero_lag)
            .map(|(chain, c)| chain[..n - lag].iter().zip(&chain[lag..]).map(|(a, b)| a * b).sum::<f64>() / c)
            .sum::<f64>()
            / walkers;
        tau += 2.0 * rho;
        if lag as f64 >= 5.0 * tau {
            break;
        }
    }
    tau
}

/// Each chain cut into its first and second halves (the middle draw of an odd chain dropped).
fn split_chains(chains: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let mut split = Vec::new();
    for chain in chains {
        let half = chain.len() / 2;
        split.push(chain[..half].to_vec());
        split.push(chain[chain.len() - half..].to_vec());
    }
    split
}

/// Values replaced by the normal quantiles of their fractional ranks, `(r - 3/8) / (S + 1/4)`,
/// ties given their average rank.
fn rank_normalize(chains: &[Vec<f64>]) -> Vec<Vec<f64>> {
    let mut all: Vec<(f64, usize)> = chains.iter().flatten().copied().zip(0..).collect();
    all.sort_by(|a, b| a.0.total_cmp(&b.0));
    let count = all.len();
    let mut ranks = vec![0.0; count];
    let mut start = 0;
    while start < count {
        let mut end = start + 1;
        while end < count && all[end].0 == all[start].0 {
            end += 1;
        }
        let average = (start + 1 + end) as f64 / 2.0;
        for &(_, index) in &all[start..end] {
            ranks[index] = normal_quantile((average - 0.375) / (count as f64 + 0.25));
        }
        start = end;
    }
    let mut position = 0;
    chains
        .iter()
        .map(|chain| {
            let values = ranks[position..position + chain.len()].to_vec();
            position += chain.len();
            values
        })
        .collect()
}

fn median(chains: &[Vec<f64>]) -> f64 {
    let all: Vec<f64> = chains.iter().flatten().copied().collect();
    quantile(&all, 0.5)
}

/// The `probability` quantile by linear interpolation between order statistics.
pub fn quantile(values: &[f64], probability: f64) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let position = probability.clamp(0.0, 1.0) * (sorted.len() - 1) as f64;
    let low = position.floor() as usize;
    let high = position.ceil() as usize;
    sorted[low] + (sorted[high] - sorted[low]) * (position - low as f64)
}

fn mean(values: &[f64]) -> f64 {
    values.iter().sum::<f64>() / values.len() as f64
}

fn variance(values: &[f64]) -> f64 {
    let m = mean(values);
    values.iter().map(|x| (x - m) * (x - m)).sum::<f64>() / (values.len() as f64 - 1.0)
}

/// The potential scale reduction `sqrt(var⁺ / W)`.
fn r_hat(chains: &[Vec<f64>]) -> f64 {
    let n = chains.first().map_or(0, Vec::len) as f64;
    if n < 2.0 || chains.len() < 2 {
        return f64::NAN;
    }
    let within = mean(&chains.iter().map(|chain| variance(chain)).collect::<Vec<_>>());
    let means: Vec<f64> = chains.iter().map(|chain| mean(chain)).collect();
    let between_over_n = variance(&means);
    let pooled = (n - 1.0) / n * within + between_over_n;
    if within == 0.0 {
        return if between_over_n == 0.0 { 1.0 } else { f64::INFINITY };
    }
    (pooled / within).sqrt()
}

/// The effective sample size of several chains (Geyer's initial monotone sequence on the
/// autocorrelations combined across chains).
fn effective_size(chains: &[Vec<f64>]) -> f64 {
    let m = chains.len() as f64;
    let n = chains.first().map_or(0, Vec::len);
    if n < 4 || chains.len() < 2 {
        return f64::NAN;
    }
    let means: Vec<f64> = chains.iter().map(|chain| mean(chain)).collect();
    let autocovariance = |lag: usize| -> f64 {
        let total: f64 = chains
            .iter()
            .zip(&means)
            .map(|(chain, m)| (0..n - lag).map(|t| (chain[t] - m) * (chain[t + lag] - m)).sum::<f64>() / n as f64)
            .sum();
        total / m
    };
    let within = chains.iter().map(|chain| variance(chain)).sum::<f64>() / m;
    let pooled = (n as f64 - 1.0) / n as f64 * within + variance(&means);
    if pooled == 0.0 {
        return m * n as f64;
    }
    let rho = |lag: usize| 1.0 - (within - autocovariance(lag)) / pooled;
    let mut sum = 0.0;
    let mut previous = f64::INFINITY;
    let mut lag = 0;
    while lag + 1 < n {
        let pair = rho(lag) + rho(lag + 1);
        if pair < 0.0 {
            break;
        }
        let pair = pair.min(previous);
        sum += pair;
        previous = pair;
        lag += 2;
    }
    let tau = (-1.0 + 2.0 * sum).max(1.0 / (m * n as f64).log10().max(1.0));
    m * n as f64 / tau
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::rngs::ChaCha8Rng;
    use rand::{RngExt, SeedableRng};

    fn chains(count: usize, length: usize, shift: f64, correlation: f64) -> Vec<Vec<f64>> {
        let mut rng = ChaCha8Rng::seed_from_u64(7);
        (0..count)
            .map(|chain| {
                let mut x = 0.0;
                (0..length)
                    .map(|_| {
                        let noise: f64 = normal_quantile(rng.random::<f64>());
                        x = correlation * x + (1.0 - correlation * correlation).sqrt() * noise;
                        x + if chain == 0 { shift } else { 0.0 }
                    })
                    .collect()
            })
            .collect()
    }

    #[test]
    fn independent_chains_have_r_hat_near_one_and_ess_near_their_size() {
        let result = convergence(&chains(4, 1000, 0.0, 0.0));
        assert!((result.r_hat - 1.0).abs() < 0.01, "{result:?}");
        assert!(result.ess_bulk > 3000.0 && result.ess_bulk < 5000.0, "{result:?}");
    }

    #[test]
    fn the_integrated_time_of_ar1_chains_is_their_known_value() {
        // AR(1) with ρ: the integrated time is (1 + ρ)/(1 - ρ): 1, 9 and 19.
        for (correlation, expected) in [(0.0, 1.0), (0.8, 9.0), (0.9, 19.0)] {
            let tau = integrated_time(&chains(16, 4000, 0.0, correlation));
            assert!((tau / expected - 1.0).abs() < 0.15, "ρ {correlation}: τ {tau}, not {expected}");
        }
        // A walker that never moves: no time is finite.
        let mut stuck = chains(4, 100, 0.0, 0.5);
        stuck[2] = vec![1.0; 100];
        assert_eq!(integrated_time(&stuck), f64::INFINITY);
    }

    #[test]
    fn a_chain_stuck_elsewhere_raises_r_hat() {
        let result = convergence(&chains(4, 1000, 3.0, 0.0));
        assert!(result.r_hat > 1.1, "{result:?}");
    }

    #[test]
    fn autocorrelated_chains_have_fewer_effective_draws() {
        // AR(1) with ρ = 0.9: the integrated time is (1 + ρ)/(1 - ρ) = 19.
        let result = convergence(&chains(4, 5000, 0.0, 0.9));
        let expected = 20_000.0 / 19.0;
        assert!(result.ess_bulk > expected * 0.7 && result.ess_bulk < expected * 1.3, "{result:?}");
    }
}
