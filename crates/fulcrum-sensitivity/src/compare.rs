//! Intervention comparison: every option (the baseline and each intervention) run over the same
//! futures with the same random numbers, compared future by future.
//!
//! Futures where any option failed (or an outcome is undefined, e.g. a threshold never
//! crossed) are left out of every option's numbers for that outcome, so that all the numbers
//! describe the same futures; how many is reported.

use fulcrum_explore::Better;
use fulcrum_explore::bands::quantiles_of;

/// One option's numbers for one outcome.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    /// The outcome's mean, 10th, 50th and 90th percentiles over futures.
    pub mean: f64,
    /// 10th percentile.
    pub p10: f64,
    /// Median.
    pub p50: f64,
    /// 90th percentile.
    pub p90: f64,
    /// The same for the paired difference to the baseline (this option minus the baseline, in
    /// each future).
    pub delta_mean: f64,
    /// 10th percentile of the difference.
    pub delta_p10: f64,
    /// Median difference.
    pub delta_p50: f64,
    /// 90th percentile of the difference.
    pub delta_p90: f64,
    /// The share of futures in which this option is strictly better than the baseline; NaN
    /// when the outcome has no better direction.
    pub prob_better: f64,
    /// The mean over futures of how far this option falls short of the best option in that
    /// future; NaN without a better direction.
    pub expected_regret: f64,
    /// `delta_mean` per unit of cost; `None` without a positive cost.
    pub effect_per_cost: Option<f64>,
    /// 1 for the least expected regret (ties share a rank); `None` without a better direction.
    pub rank: Option<usize>,
}

/// Compares options on one outcome. `values[option][future]`, the baseline first; `costs` per
/// option. Returns one row per option and the number of futures left out.
pub fn compare(values: &[Vec<f64>], costs: &[Option<f64>], better: Option<Better>) -> (Vec<Comparison>, usize) {
    let futures = values.iter().map(Vec::len).min().unwrap_or(0);
    let kept: Vec<usize> = (0..futures).filter(|&f| values.iter().all(|option| option[f].is_finite())).collect();
    let dropped = futures - kept.len();
    let column = |option: usize| -> Vec<f64> { kept.iter().map(|&f| values[option][f]).collect() };
    let baseline = values.first().map(|_| column(0)).unwrap_or_default();
    let sign = match better {
        Some(Better::Higher) => 1.0,
        Some(Better::Lower) => -1.0,
        None => f64::NAN,
    };
    // In each future, the best value any option reaches (in the better direction).
    let best: Vec<f64> = (0..kept.len())
        .map(|k| (0..values.len()).map(|option| sign * values[option][kept[k]]).fold(f64::NEG_INFINITY, f64::max))
        .collect();
    let mut rows: Vec<Comparison> = (0..values.len())
        .map(|option| {
            let own = column(option);
            let deltas: Vec<f64> = own.iter().zip(&baseline).map(|(value, base)| value - base).collect();
            let [p10, p50, p90] = percentiles(&own);
            let [delta_p10, delta_p50, delta_p90] = percentiles(&deltas);
            let delta_mean = mean(&deltas);
            let better_count = deltas.iter().filter(|delta| sign * **delta > 0.0).count();
            let regrets: Vec<f64> = own.iter().zip(&best).map(|(value, best)| best - sign * value).collect();
            Comparison {
                mean: mean(&own),
                p10,
                p50,
                p90,
                delta_mean,
                delta_p10,
                delta_p50,
                delta_p90,
                prob_better: if sign.is_nan() || own.is_empty() {
                    f64::NAN
                } else {
                    better_count as f64 / own.len() as f64
                },
                expected_regret: if sign.is_nan() { f64::NAN } else { mean(&regrets) },
                effect_per_cost: costs
                    .get(option)
                    .copied()
                    .flatten()
                    .filter(|cost| *cost > 0.0)
                    .map(|c| delta_mean / c),
                rank: None,
            }
        })
        .collect();
    if !sign.is_nan() {
        let regrets: Vec<f64> = rows.iter().map(|row| row.expected_regret).collect();
        for (row, rank) in rows.iter_mut().zip(crate::ranks(&regrets)) {
            row.rank = rank;
        }
    }
    (rows, dropped)
}

fn mean(values: &[f64]) -> f64 {
    if values.is_empty() { f64::NAN } else { values.iter().sum::<f64>() / values.len() as f64 }
}

fn percentiles(values: &[f64]) -> [f64; 3] {
    let q = quantiles_of(values, &[0.1, 0.5, 0.9]);
    [q[0], q[1], q[2]]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paired_differences_probability_and_regret() {
        // Baseline, a better option, and one that wins only in the first future.
        let values = vec![vec![10.0, 10.0, 10.0, 10.0], vec![12.0, 11.0, 13.0, 12.0], vec![20.0, 9.0, 9.0, 9.0]];
        let (rows, dropped) = compare(&values, &[None, Some(4.0), Some(0.0)], Some(Better::Higher));
        assert_eq!(dropped, 0);
        assert_eq!(rows[0].delta_mean, 0.0);
        assert_eq!(rows[0].prob_better, 0.0);
        assert_eq!(rows[1].delta_mean, 2.0);
        assert_eq!(rows[1].prob_better, 1.0);
        assert_eq!(rows[1].effect_per_cost, Some(0.5));
        assert_eq!(rows[2].effect_per_cost, None);
        assert_eq!(rows[2].prob_better, 0.25);
        // Best per future: 20, 11, 13, 12. Regrets: baseline 10,1,3,2; option 1: 8,0,0,0;
        // option 2: 0,2,4,3.
        assert_eq!(rows.iter().map(|r| r.expected_regret).collect::<Vec<_>>(), [4.0, 2.0, 2.25]);
        assert_eq!(rows.iter().map(|r| r.rank).collect::<Vec<_>>(), [Some(3), Some(1), Some(2)]);
        assert_eq!(rows[1].p50, 12.0);
    }

    #[test]
    fn lower_is_better_and_no_direction() {
        let values = vec![vec![5.0, 5.0], vec![4.0, 6.0]];
        let (rows, _) = compare(&values, &[None, None], Some(Better::Lower));
        assert_eq!(rows[1].prob_better, 0.5);
        assert_eq!(rows[1].expected_regret, 0.5);
        let (rows, _) = compare(&values, &[None, None], None);
        assert!(rows[1].prob_better.is_nan() && rows[1].expected_regret.is_nan() && rows[1].rank.is_none());
        // A constant outcome: every option is as good as the best.
        let (rows, _) = compare(&[vec![1.0, 1.0], vec![1.0, 1.0]], &[None, None], Some(Better::Higher));
        assert_eq!(rows.iter().map(|r| r.rank).collect::<Vec<_>>(), [Some(1), Some(1)]);
    }

    #[test]
    fn a_future_where_any_option_failed_is_left_out_of_all() {
        let values = vec![vec![1.0, 2.0, 3.0], vec![1.0, f64::NAN, 5.0]];
        let (rows, dropped) = compare(&values, &[None, None], Some(Better::Higher));
        assert_eq!(dropped, 1);
        assert_eq!(rows[0].mean, 2.0);
        assert_eq!(rows[1].mean, 3.0);
        assert_eq!(rows[1].delta_mean, 1.0);
    }
}
