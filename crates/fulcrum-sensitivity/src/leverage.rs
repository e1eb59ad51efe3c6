//! Leverage: for each lever and outcome, the arc elasticity of the outcome to the lever in
//! every future of a shared ensemble (DESIGN.md, "Leverage, defined").
//!
//! In future `f` the lever is set to p(1 + Δ) and p(1 − Δ) (clamped to its range), everything
//! else at its baseline and the future's uncertain values, with the future's random numbers in
//! both runs (common random numbers). The arc elasticity is
//! `E = ((Y+ − Y−)/(Y+ + Y−)) · ((p+ + p−)/(p+ − p−))`, which is `((Y+ − Y−)/(Y+ + Y−)) · p/Δp`
//! when nothing is clamped. The leverage score is the median of `E` over futures; a lever is
//! disproportionate when |score| > 1, at least 90% of futures agree with its sign, and the
//! bootstrap interval of the median lies beyond ±1 on the same side.

use rayon::prelude::*;

use crate::Estimate;
use crate::bootstrap::{Resamples, percentile_interval};
use crate::parameters::Parameter;

/// The relative change of a lever unless asked otherwise.
pub const DEFAULT_DELTA: f64 = 0.1;

/// The share of futures that must agree with the score's sign for a disproportionate lever.
pub const SIGN_CONSISTENCY: f64 = 0.9;

/// A lever's two settings: (p+, p−), clamped to its range; a switch's are applied (its max)
/// and not (its min), whatever `delta`.
pub fn settings(lever: &Parameter, delta: f64) -> (f64, f64) {
    let (min, max) = lever.range();
    if lever.switch {
        return (max, min);
    }
    let p = lever.baseline;
    ((p + delta * p.abs()).clamp(min, max), (p - delta * p.abs()).clamp(min, max))
}

/// The design: for each of `count` futures, for each lever, the row with the lever up and the
/// row with it down. `futures` holds each future's uncertain values (`uncertain` per future,
/// none at all without uncertain constants); a row is the uncertain values followed by every
/// lever's value. Returns the rows and each row's future.
pub fn design(
    futures: &[f64],
    count: usize,
    uncertain: usize,
    levers: &[Parameter],
    delta: f64,
) -> (Vec<f64>, Vec<u64>) {
    let width = uncertain + levers.len();
    let baseline: Vec<f64> = levers.iter().map(|lever| lever.baseline).collect();
    let mut rows = Vec::with_capacity(count * levers.len() * 2 * width);
    let mut streams = Vec::with_capacity(count * levers.len() * 2);
    for future in 0..count {
        let values = &futures[future * uncertain..(future + 1) * uncertain];
        for (index, lever) in levers.iter().enumerate() {
            let (up, down) = settings(lever, delta);
            for value in [up, down] {
                rows.extend_from_slice(values);
                rows.extend_from_slice(&baseline);
                let at = rows.len() - levers.len() + index;
                rows[at] = value;
                streams.push(future as u64);
            }
        }
    }
    (rows, streams)
}

/// The arc elasticity from the outcome and the lever's value on each side; NaN when either
/// run failed or it is undefined (no change in the lever, outcomes summing to zero).
pub fn arc_elasticity(y_up: f64, y_down: f64, p_up: f64, p_down: f64) -> f64 {
    let elasticity = ((y_up - y_down) / (y_up + y_down)) * ((p_up + p_down) / (p_up - p_down));
    if elasticity.is_finite() { elasticity } else { f64::NAN }
}

/// One lever's leverage on one outcome.
#[derive(Clone, Debug, PartialEq)]
pub struct Leverage {
    /// The median arc elasticity over futures, with the bootstrap interval of the median.
    pub score: Estimate,
    /// The 10th percentile of the elasticity over futures.
    pub p10: f64,
    /// The 90th percentile.
    pub p90: f64,
    /// The share of futures whose elasticity has the score's sign.
    pub sign_consistency: f64,
    /// |score| > 1, sign consistency ≥ 0.9 and the interval beyond ±1 on the score's side.
    pub disproportionate: bool,
    /// The median outcome change per unit increase of the lever: its sign says which way the
    /// outcome moves when the lever rises, whatever the sign of the outcome.
    pub slope: f64,
    /// `slope` divided by the lever's cost per unit.
    pub effect_per_cost: Option<f64>,
    /// Futures with a defined elasticity (the others failed or had none).
    pub futures: usize,
}

/// How to analyze.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Options {
    /// The relative change of each lever.
    pub delta: f64,
    /// Bootstrap resamples of the futures.
    pub resamples: usize,
    /// Their seed.
    pub seed: u64,
    /// The confidence level of the interval.
    pub confidence: f64,
}

/// The leverage of every lever from the outcome of every row of [`design`]; `costs` gives each
/// lever's cost per unit, where known.
pub fn analyze(y: &[f64], levers: &[Parameter], costs: &[Option<f64>], options: &Options) -> Vec<Leverage> {
    let rows_per_future = 2 * levers.len();
    let futures = y.len().checked_div(rows_per_future).unwrap_or(0);
    levers
        .par_iter()
        .enumerate()
        .map(|(index, lever)| {
            let (p_up, p_down) = settings(lever, options.delta);
            let pairs =
                (0..futures).map(|f| (y[f * rows_per_future + 2 * index], y[f * rows_per_future + 2 * index + 1]));
            let elasticities: Vec<f64> = pairs
                .clone()
                .map(|(up, down)| arc_elasticity(up, down, p_up, p_down))
                .filter(|e| e.is_finite())
                .collect();
            let slopes: Vec<f64> =
                pairs.map(|(up, down)| (up - down) / (p_up - p_down)).filter(|s| s.is_finite()).collect();
            let cost = costs.get(index).copied().flatten().filter(|cost| *cost > 0.0);
            summarize(&elasticities, median(&slopes), cost, options)
        })
        .collect()
}

fn median(values: &[f64]) -> f64 {
    fulcrum_explore::bands::quantiles_of(values, &[0.5])[0]
}

/// Fewer futures than this never make a lever disproportionate: medians and their intervals
/// from a handful of futures mean little.
pub const MIN_FUTURES: usize = 10;

fn summarize(elasticities: &[f64], slope: f64, cost: Option<f64>, options: &Options) -> Leverage {
    let quantiles = fulcrum_explore::bands::quantiles_of(elasticities, &[0.1, 0.5, 0.9]);
    let score = quantiles[1];
    let resamples = Resamples::new(options.seed, elasticities.len(), options.resamples);
    let medians: Vec<f64> = (0..resamples.count())
        .into_par_iter()
        .map(|b| {
            let drawn: Vec<f64> = resamples.get(b).iter().map(|&i| elasticities[i as usize]).collect();
            median(&drawn)
        })
        .collect();
    let (low, high) = percentile_interval(&medians, options.confidence);
    let agreeing = elasticities.iter().filter(|e| (score > 0.0 && **e > 0.0) || (score < 0.0 && **e < 0.0)).count();
    let sign_consistency =
        if elasticities.is_empty() || score == 0.0 { f64::NAN } else { agreeing as f64 / elasticities.len() as f64 };
    let beyond = if score > 0.0 { low > 1.0 } else { high < -1.0 };
    Leverage {
        score: Estimate { value: score, low, high },
        p10: quantiles[0],
        p90: quantiles[2],
        sign_consistency,
        disproportionate: elasticities.len() >= MIN_FUTURES
            && score.abs() > 1.0
            && sign_consistency >= SIGN_CONSISTENCY
            && beyond,
        slope,
        effect_per_cost: cost.map(|cost| slope / cost),
        futures: elasticities.len(),
    }
}

/// Ranks by |score|, largest first (1 is the strongest lever; ties share a rank); `None` for
/// an undefined score.
pub fn ranks(scores: &[f64]) -> Vec<Option<usize>> {
    crate::ranks(&scores.iter().map(|score| -score.abs()).collect::<Vec<f64>>())
}

#[cfg(test)]
mod tests {
    use super::*;
    use fulcrum_explore::Distribution;

    fn lever(baseline: f64, min: f64, max: f64) -> Parameter {
        Parameter {
            name: "lever".into(),
            constant: 0,
            distribution: Distribution::Uniform { min, max },
            baseline,
            lever: true,
            switch: false,
        }
    }

    const OPTIONS: Options = Options { delta: 0.1, resamples: 200, seed: 1, confidence: 0.95 };

    #[test]
    fn a_power_law_has_its_exponent_as_leverage_in_every_future() {
        // Y = c · p^k: the arc elasticity of a power law is close to k, the same in every future.
        let levers = [lever(2.0, 0.0, 10.0), lever(5.0, 0.0, 10.0)];
        let futures: Vec<f64> = (0..100).map(|f| 1.0 + f as f64 / 10.0).collect();
        let (rows, streams) = design(&futures, 100, 1, &levers, 0.1);
        assert_eq!(rows.len(), 100 * 4 * 3);
        assert_eq!(&streams[..5], &[0, 0, 0, 0, 1]);
        let y: Vec<f64> = rows.chunks(3).map(|r| r[0] * r[1] * r[1] * r[1] / r[2]).collect();
        let results = analyze(&y, &levers, &[Some(10.0), None], &OPTIONS);
        let exact_cube = ((1.1f64.powi(3) - 0.9f64.powi(3)) / (1.1f64.powi(3) + 0.9f64.powi(3))) / 0.1;
        approx::assert_relative_eq!(results[0].score.value, exact_cube, max_relative = 1e-12);
        // For k = ±1 the arc elasticity is exactly k.
        approx::assert_relative_eq!(results[1].score.value, -1.0, max_relative = 1e-12);
        assert_eq!(results[0].sign_consistency, 1.0);
        assert!(results[0].disproportionate && !results[1].disproportionate);
        assert!(results[0].effect_per_cost.is_some_and(|e| e > 0.0) && results[1].effect_per_cost.is_none());
        assert_eq!(ranks(&[results[0].score.value, results[1].score.value]), [Some(1), Some(2)]);
    }

    #[test]
    fn mixed_signs_are_not_disproportionate_and_failed_runs_are_left_out() {
        let levers = [lever(1.0, 0.0, 2.0)];
        // Half the futures react strongly one way, half the other; one future failed.
        let mut y = Vec::new();
        for f in 0..40 {
            let strong = if f % 2 == 0 { 1.5 } else { 0.5 };
            y.extend([strong, 1.0]);
        }
        y[0] = f64::NAN;
        let result = &analyze(&y, &levers, &[None], &OPTIONS)[0];
        assert_eq!(result.futures, 39);
        assert!(result.sign_consistency < 0.6);
        assert!(!result.disproportionate);
    }

    #[test]
    fn levers_are_clamped_to_their_range() {
        let edge = lever(10.0, 0.0, 10.0);
        assert_eq!(settings(&edge, 0.1), (10.0, 9.0));
        // Y = p: the arc elasticity over [9, 10] is exactly 1.
        approx::assert_relative_eq!(arc_elasticity(10.0, 9.0, 10.0, 9.0), 1.0);
        assert!(arc_elasticity(1.0, 1.0, 0.0, 0.0).is_nan());
        assert_eq!(ranks(&[0.5, f64::NAN, -3.0]), [Some(2), None, Some(1)]);
        // Without uncertain constants every future is the same row pair.
        let (rows, streams) = design(&[], 4, 0, &[edge], 0.1);
        assert_eq!(rows, [10.0, 9.0].repeat(4));
        assert_eq!(streams, [0, 0, 1, 1, 2, 2, 3, 3]);
    }
}
