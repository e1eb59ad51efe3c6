//! Distributions of uncertain parameters, used through their inverse cumulative distribution
//! functions: every sampler produces uniform numbers, and `quantile` turns them into values.

use statrs::distribution::{ContinuousCDF, Normal};
use statrs::function::beta::{checked_beta_reg, ln_beta};

/// A distribution an uncertain parameter is drawn from.
#[derive(Clone, Debug, PartialEq)]
pub enum Distribution {
    /// Every value between `min` and `max` equally likely.
    Uniform {
        /// Lowest value.
        min: f64,
        /// Highest value.
        max: f64,
    },
    /// Normal, optionally truncated to `[min, max]`.
    Normal {
        /// Mean of the untruncated distribution.
        mean: f64,
        /// Standard deviation of the untruncated distribution.
        sd: f64,
        /// Truncation bounds.
        bounds: Option<(f64, f64)>,
    },
    /// Triangular between `min` and `max`, most likely at `mode`.
    Triangular {
        /// Lowest value.
        min: f64,
        /// Most likely value.
        mode: f64,
        /// Highest value.
        max: f64,
    },
    /// Log-normal with the given mean and standard deviation of the variable itself.
    LogNormal {
        /// Mean of the variable.
        mean: f64,
        /// Standard deviation of the variable.
        sd: f64,
    },
    /// Uniform in the logarithm, between `min` and `max` (both positive).
    LogUniform {
        /// Lowest value.
        min: f64,
        /// Highest value.
        max: f64,
    },
    /// Beta(alpha, beta) stretched onto `[min, max]`.
    Beta {
        /// First shape parameter.
        alpha: f64,
        /// Second shape parameter.
        beta: f64,
        /// Value at 0.
        min: f64,
        /// Value at 1.
        max: f64,
    },
    /// One of a list of values, with weights (equal when not given).
    Discrete {
        /// The values.
        values: Vec<f64>,
        /// Cumulative probability up to and including each value; the last is 1.
        cumulative: Vec<f64>,
    },
}

/// Largest beta shape parameter accepted.
const MAX_BETA_SHAPE: f64 = 100_000.0;

impl Distribution {
    /// A discrete distribution from values and optional weights.
    pub fn discrete(values: Vec<f64>, weights: Option<Vec<f64>>) -> Result<Distribution, String> {
        if values.is_empty() {
            return Err("needs at least one value".to_owned());
        }
        let weights = weights.unwrap_or_else(|| vec![1.0; values.len()]);
        if weights.len() != values.len() {
            return Err(format!("has {} values but {} weights", values.len(), weights.len()));
        }
        if weights.iter().any(|w| !w.is_finite() || *w < 0.0) {
            return Err("weights must be finite and not negative".to_owned());
        }
        // Scaled by the largest first, so that huge weights cannot overflow the total.
        let largest = weights.iter().copied().fold(0.0, f64::max);
        if largest <= 0.0 {
            return Err("weights must not all be zero".to_owned());
        }
        let weights: Vec<f64> = weights.iter().map(|w| w / largest).collect();
        let total: f64 = weights.iter().sum();
        let mut running = 0.0;
        let mut cumulative: Vec<f64> = weights
            .iter()
            .map(|w| {
                running += w;
                running / total
            })
            .collect();
        if let Some(last) = cumulative.last_mut() {
            *last = 1.0;
        }
        Ok(Distribution::Discrete { values, cumulative })
    }

    /// Why the parameters are impossible, if they are.
    pub fn problem(&self) -> Option<String> {
        if let Some(problem) = self.parameter_problem() {
            return Some(problem);
        }
        // Possible parameters can still give values no run can use (a range wider than the
        // largest double, say): the extremes the samplers reach must be finite.
        let extremes = [0.0, 0.5, 1.0].map(|u| self.quantile(u));
        (!extremes.iter().all(|value| value.is_finite()))
            .then(|| "gives values too large to be numbers; narrow its parameters".to_owned())
    }

    fn parameter_problem(&self) -> Option<String> {
        let finite = |values: &[f64]| values.iter().all(|v| v.is_finite());
        match self {
            Distribution::Uniform { min, max } => {
                (!finite(&[*min, *max]) || min > max).then(|| format!("min ({min}) must not be above max ({max})"))
            }
            Distribution::Normal { mean, sd, bounds } => {
                if !finite(&[*mean, *sd]) || *sd <= 0.0 {
                    return Some(format!("sd must be a positive number, not {sd}"));
                }
                let (min, max) = (*bounds)?;
                if min >= max || min.is_nan() || max.is_nan() {
                    return Some(format!("is truncated to nothing: its min ({min}) must be below its max ({max})"));
                }
                let normal = standard_normal();
                let mass = normal.cdf((max - mean) / sd) - normal.cdf((min - mean) / sd);
                (mass <= 1e-12)
                    .then(|| format!("the bounds {min} to {max} leave no probability (mean {mean}, sd {sd})"))
            }
            Distribution::Triangular { min, mode, max } => {
                (!(finite(&[*min, *mode, *max]) && min <= mode && mode <= max) || min == max)
                    .then(|| format!("needs min <= mode <= max and min < max (got {min}, {mode}, {max})"))
            }
            Distribution::LogNormal { mean, sd } => (!finite(&[*mean, *sd]) || *mean <= 0.0 || *sd <= 0.0)
                .then(|| format!("mean and sd must be positive (got {mean}, {sd})")),
            Distribution::LogUniform { min, max } => (!finite(&[*min, *max]) || *min <= 0.0 || min > max)
                .then(|| format!("needs 0 < min <= max (got {min}, {max})")),
            Distribution::Beta { alpha, beta, min, max } => {
                if !finite(&[*alpha, *beta]) || *alpha <= 0.0 || *beta <= 0.0 {
                    return Some(format!("alpha and beta must be positive (got {alpha}, {beta})"));
                }
                // The inverse of the incomplete beta function does not converge for larger
                // shapes; a beta that narrow is a normal for every practical purpose.
                if *alpha > MAX_BETA_SHAPE || *beta > MAX_BETA_SHAPE {
                    return Some(format!(
                        "alpha and beta must be at most {MAX_BETA_SHAPE} (got {alpha}, {beta}); use a normal for so narrow a distribution"
                    ));
                }
                (!finite(&[*min, *max]) || min >= max).then(|| format!("min ({min}) must be below max ({max})"))
            }
            Distribution::Discrete { values, .. } => {
                (!finite(values)).then(|| "every value must be a finite number".to_owned())
            }
        }
    }

    /// The value at cumulative probability `u` (0 ≤ u < 1): the inverse CDF.
    pub fn quantile(&self, u: f64) -> f64 {
        // Keep away from the open ends, where some inverses are infinite.
        let u = u.clamp(f64::MIN_POSITIVE, 1.0 - f64::EPSILON / 2.0);
        match self {
            Distribution::Uniform { min, max } => min + (max - min) * u,
            Distribution::Normal { mean, sd, bounds: None } => mean + sd * normal_quantile(u),
            Distribution::Normal { mean, sd, bounds: Some((min, max)) } => {
                let normal = standard_normal();
                let low = normal.cdf((min - mean) / sd);
                let high = normal.cdf((max - mean) / sd);
                (mean + sd * normal_quantile(low + u * (high - low))).clamp(*min, *max)
            }
            Distribution::Triangular { min, mode, max } => {
                let split = (mode - min) / (max - min);
                if u < split {
                    min + (u * (max - min) * (mode - min)).sqrt()
                } else {
                    max - ((1.0 - u) * (max - min) * (max - mode)).sqrt()
                }
            }
            Distribution::LogNormal { mean, sd } => {
                let sigma_squared = (1.0 + (sd / mean) * (sd / mean)).ln();
                let mu = mean.ln() - sigma_squared / 2.0;
                (mu + sigma_squared.sqrt() * normal_quantile(u)).exp()
            }
            Distribution::LogUniform { min, max } => (min.ln() + u * (max.ln() - min.ln())).exp(),
            Distribution::Beta { alpha, beta, min, max } => min + (max - min) * beta_quantile(*alpha, *beta, u),
            Distribution::Discrete { values, cumulative } => {
                let index = cumulative.partition_point(|&c| c <= u).min(values.len() - 1);
                values[index]
            }
        }
    }

    /// The median: the value at probability one half.
    pub fn median(&self) -> f64 {
        self.quantile(0.5)
    }
}

/// The inverse of the regularized incomplete beta function: safeguarded Newton steps inside a
/// shrinking bracket. statrs's own inverse can fail to converge or panic for extreme shapes and
/// probabilities, so this one only asks statrs for the function itself.
fn beta_quantile(alpha: f64, beta: f64, u: f64) -> f64 {
    let (mut low, mut high) = (0.0f64, 1.0f64);
    let log_normaliser = ln_beta(alpha, beta);
    let mut x = alpha / (alpha + beta);
    for _ in 0..200 {
        let Ok(cdf) = checked_beta_reg(alpha, beta, x) else { return f64::NAN };
        let gap = cdf - u;
        if gap == 0.0 {
            return x;
        }
        if gap < 0.0 {
            low = x;
        } else {
            high = x;
        }
        let density = ((alpha - 1.0) * x.ln() + (beta - 1.0) * (1.0 - x).ln() - log_normaliser).exp();
        let newton = x - gap / density;
        let next = if newton > low && newton < high { newton } else { low / 2.0 + high / 2.0 };
        if (next - x).abs() <= f64::EPSILON * x.abs().max(f64::MIN_POSITIVE) || high - low <= f64::EPSILON * high {
            return next;
        }
        x = next;
    }
    x
}

fn standard_normal() -> Normal {
    // Mean 0 and sd 1 are always valid.
    Normal::standard()
}

/// The standard normal quantile.
pub fn normal_quantile(u: f64) -> f64 {
    standard_normal().inverse_cdf(u)
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    #[test]
    fn quantiles_invert_the_distribution() {
        let cases = [
            (Distribution::Uniform { min: 2.0, max: 6.0 }, 0.25, 3.0),
            (Distribution::Normal { mean: 10.0, sd: 2.0, bounds: None }, 0.5, 10.0),
            (Distribution::Normal { mean: 0.0, sd: 1.0, bounds: None }, 0.975, 1.959963984540054),
            (Distribution::Triangular { min: 0.0, mode: 1.0, max: 4.0 }, 0.25, 1.0),
            (Distribution::Triangular { min: 0.0, mode: 0.0, max: 1.0 }, 0.75, 0.5),
            (Distribution::LogUniform { min: 1.0, max: 100.0 }, 0.5, 10.0),
            (Distribution::Beta { alpha: 1.0, beta: 1.0, min: 10.0, max: 20.0 }, 0.3, 13.0),
            (Distribution::Beta { alpha: 2.0, beta: 2.0, min: 0.0, max: 1.0 }, 0.5, 0.5),
            // Beta(4, 6) at 0.9, from its binomial-sum CDF solved by bisection; Beta(1/2, 1/2) is
            // the arcsine law, sin(pi u / 2)^2.
            (Distribution::Beta { alpha: 4.0, beta: 6.0, min: 0.0, max: 1.0 }, 0.9, 0.5994204894083328),
            (Distribution::Beta { alpha: 0.5, beta: 0.5, min: 0.0, max: 1.0 }, 0.1, 0.024471741852423214),
        ];
        for (distribution, u, expected) in cases {
            assert_relative_eq!(distribution.quantile(u), expected, max_relative = 1e-9);
        }
        // The median of a log-normal with mean m and sd s is m / sqrt(1 + s²/m²).
        let lognormal = Distribution::LogNormal { mean: 10.0, sd: 3.0 };
        assert_relative_eq!(lognormal.median(), 10.0 / 1.09f64.sqrt(), max_relative = 1e-12);
    }

    proptest::proptest! {
        #[test]
        fn the_beta_quantile_inverts_the_incomplete_beta_function(
            log_alpha in -3.0f64..5.0,
            log_beta in -3.0f64..5.0,
            u in 0.0f64..1.0,
        ) {
            let (alpha, beta) = (10f64.powf(log_alpha), 10f64.powf(log_beta));
            let x = beta_quantile(alpha, beta, u);
            proptest::prop_assert!((0.0..=1.0).contains(&x));
            // The true quantile lies within 1e-12 of x (near 0 and 1 it may not be a double).
            let cdf = |x: f64| checked_beta_reg(alpha, beta, x.clamp(0.0, 1.0)).unwrap_or(f64::NAN);
            let (below, above) = (cdf(x - 1e-12), cdf(x + 1e-12));
            proptest::prop_assert!(below <= u + 1e-9 && above >= u - 1e-9, "alpha {} beta {} u {} x {}", alpha, beta, u, x);
        }
    }

    #[test]
    fn truncation_keeps_values_inside_and_ranks_in_order() {
        let truncated = Distribution::Normal { mean: 0.0, sd: 1.0, bounds: Some((0.0, 1.0)) };
        let values: Vec<f64> = (0..100).map(|i| truncated.quantile((i as f64 + 0.5) / 100.0)).collect();
        assert!(values.iter().all(|v| (0.0..=1.0).contains(v)));
        assert!(values.windows(2).all(|w| w[0] <= w[1]));
        // Half the mass of N(0,1) on [0,1] lies below its median.
        let median = truncated.median();
        let normal = standard_normal();
        assert_relative_eq!(normal.cdf(median) - 0.5, (normal.cdf(1.0) - 0.5) / 2.0, max_relative = 1e-9);
    }

    #[test]
    fn discrete_values_follow_their_weights() {
        let discrete = Distribution::discrete(vec![1.0, 2.0, 3.0], Some(vec![1.0, 2.0, 1.0])).expect("valid");
        assert_eq!([0.1, 0.25, 0.3, 0.74, 0.75, 0.99].map(|u| discrete.quantile(u)), [1.0, 2.0, 2.0, 2.0, 3.0, 3.0]);
        assert!(Distribution::discrete(vec![], None).is_err());
        assert!(Distribution::discrete(vec![1.0], Some(vec![0.0])).is_err());
        assert!(Distribution::discrete(vec![1.0, 2.0], Some(vec![1.0])).is_err());
        // Huge weights are proportions like any others.
        let huge = Distribution::discrete(vec![1.0, 2.0], Some(vec![1e308, 1e308])).expect("valid");
        assert_eq!([0.25, 0.75].map(|u| huge.quantile(u)), [1.0, 2.0]);
    }

    #[test]
    fn impossible_parameters_are_named() {
        let problems = [
            Distribution::Uniform { min: 2.0, max: 1.0 },
            Distribution::Normal { mean: 0.0, sd: -1.0, bounds: None },
            Distribution::Normal { mean: 0.0, sd: 1.0, bounds: Some((50.0, 60.0)) },
            Distribution::Triangular { min: 0.0, mode: 5.0, max: 4.0 },
            Distribution::LogNormal { mean: -1.0, sd: 1.0 },
            Distribution::LogUniform { min: 0.0, max: 1.0 },
            Distribution::Beta { alpha: 0.0, beta: 1.0, min: 0.0, max: 1.0 },
            Distribution::Discrete { values: vec![f64::NAN], cumulative: vec![1.0] },
            Distribution::Uniform { min: -1e308, max: 1e308 },
            Distribution::Triangular { min: -1e308, mode: 0.0, max: 1e308 },
            Distribution::LogNormal { mean: 1e-300, sd: 1e300 },
            Distribution::Beta { alpha: 1e7, beta: 1.0, min: 0.0, max: 1.0 },
        ];
        for distribution in problems {
            assert!(distribution.problem().is_some(), "{distribution:?}");
        }
        assert_eq!(Distribution::Uniform { min: 1.0, max: 1.0 }.problem(), None);
        // The largest shapes accepted still invert quickly.
        for (alpha, beta) in [(1e5, 1.0), (1.0, 1e5), (1e5, 1e5), (0.01, 1e5)] {
            let narrow = Distribution::Beta { alpha, beta, min: 0.0, max: 1.0 };
            assert_eq!(narrow.problem(), None);
            assert!((0..100).map(|i| narrow.quantile(f64::from(i) / 100.0)).all(f64::is_finite));
        }
    }
}
