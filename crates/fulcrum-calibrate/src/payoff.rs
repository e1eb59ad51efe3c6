//! How well a run fits the data: the log-likelihood of each series, and the log density of the
//! priors.
//!
//! - `sse`: the weighted sum of squared errors `S = Σ w (y - m)²`; as a log-likelihood `-S / 2`,
//!   which is Gaussian error of scale `1/√w` up to a constant.
//! - `gaussian`: with a known `scale` σ, `Σ [-ln(2πσ²)/2 - (y - m)²/(2σ²)]`. Without one, σ is
//!   unknown and integrated out under the Jeffreys prior `p(σ) ∝ 1/σ`, which leaves
//!   `ln Γ(n/2) - (n/2) ln(π S) - ln 2` for the `n` residuals with sum of squares `S`: the fit
//!   needs no guess of the noise, and the posterior of the constants carries its uncertainty.
//! - `lognormal`: the same on `ln y - ln m`, with the Jacobian `-Σ ln y` so that the value is a
//!   density of `y`; a run value at or below zero cannot have produced positive data.
//! - `negative_binomial`: counts with mean `m` and variance `m + m²/r` for the series' dispersion
//!   `r`.
//!
//! A series' weight multiplies its log-likelihood.

use fulcrum_explore::{Distribution, Likelihood};
use statrs::distribution::{ContinuousCDF, Normal};
use statrs::function::beta::ln_beta;
use statrs::function::gamma::ln_gamma;

/// How one series is scored.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Scoring {
    /// The likelihood.
    pub likelihood: Likelihood,
    /// Multiplies the log-likelihood.
    pub weight: f64,
    /// A known error scale (Gaussian, log-normal); `None` integrates it out.
    pub scale: Option<f64>,
    /// The negative binomial's dispersion.
    pub dispersion: f64,
}

/// The log-likelihood of the observations `data` given the run's values `run` at the same
/// times. Minus infinity when the run cannot have produced the data (a negative mean for
/// counts, a non-positive value for log-normal data, a non-finite run value).
pub fn log_likelihood(scoring: &Scoring, data: &[f64], run: &[f64]) -> f64 {
    if run.iter().any(|value| !value.is_finite()) {
        return f64::NEG_INFINITY;
    }
    let n = data.len() as f64;
    let value = match scoring.likelihood {
        Likelihood::SumOfSquares => -0.5 * squares(data.iter().zip(run).map(|(y, m)| y - m)),
        Likelihood::Gaussian => gaussian(scoring.scale, n, squares(data.iter().zip(run).map(|(y, m)| y - m))),
        Likelihood::LogNormal => {
            if run.iter().any(|m| *m <= 0.0) || data.iter().any(|y| *y <= 0.0) {
                return f64::NEG_INFINITY;
            }
            let jacobian: f64 = data.iter().map(|y| y.ln()).sum();
            let residuals = data.iter().zip(run).map(|(y, m)| y.ln() - m.ln());
            gaussian(scoring.scale, n, squares(residuals)) - jacobian
        }
        Likelihood::NegativeBinomial => {
            let r = scoring.dispersion;
            let mut total = 0.0;
            for (&y, &mean) in data.iter().zip(run) {
                if mean < 0.0 || y < 0.0 {
                    return f64::NEG_INFINITY;
                }
                if mean == 0.0 {
                    if y != 0.0 {
                        return f64::NEG_INFINITY;
                    }
                    continue;
                }
                total += ln_gamma(y + r) - ln_gamma(r) - ln_gamma(y + 1.0)
                    + r * (r / (r + mean)).ln()
                    + y * (mean / (r + mean)).ln();
            }
            total
        }
    };
    scoring.weight * value
}

/// The weighted sum of squared errors of a series: the payoff `sse` reports.
pub fn sum_of_squares(scoring: &Scoring, data: &[f64], run: &[f64]) -> f64 {
    scoring.weight * squares(data.iter().zip(run).map(|(y, m)| y - m))
}

fn squares(residuals: impl Iterator<Item = f64>) -> f64 {
    residuals.map(|r| r * r).sum()
}

/// Gaussian log-likelihood of `n` residuals with sum of squares `s`: a known scale, or the scale
/// integrated out under `p(σ) ∝ 1/σ`.
fn gaussian(scale: Option<f64>, n: f64, s: f64) -> f64 {
    match scale {
        Some(sigma) => -0.5 * n * (2.0 * std::f64::consts::PI * sigma * sigma).ln() - s / (2.0 * sigma * sigma),
        // A perfect fit has an infinite marginal density; the smallest positive sum keeps it finite.
        None => ln_gamma(n / 2.0) - (n / 2.0) * (std::f64::consts::PI * s.max(f64::MIN_POSITIVE)).ln() - 2f64.ln(),
    }
}

/// The log density of a prior at `x`; minus infinity outside its support. `None` for a discrete
/// distribution, which has no density to fit with.
pub fn log_prior(distribution: &Distribution, x: f64) -> Option<f64> {
    let outside = f64::NEG_INFINITY;
    Some(match *distribution {
        Distribution::Uniform { min, max } => {
            if (min..=max).contains(&x) {
                -(max - min).ln()
            } else {
                outside
            }
        }
        Distribution::Normal { mean, sd, bounds } => {
            let z = (x - mean) / sd;
            let density = -0.5 * z * z - sd.ln() - 0.5 * (2.0 * std::f64::consts::PI).ln();
            match bounds {
                None => density,
                Some((min, max)) if (min..=max).contains(&x) => {
                    let normal = Normal::standard();
                    density - (normal.cdf((max - mean) / sd) - normal.cdf((min - mean) / sd)).ln()
                }
                Some(_) => outside,
            }
        }
        Distribution::Triangular { min, mode, max } => {
            if x < min || x > max {
                outside
            } else if x < mode {
                (2.0 * (x - min) / ((max - min) * (mode - min))).ln()
            } else if x > mode {
                (2.0 * (max - x) / ((max - min) * (max - mode))).ln()
            } else {
                (2.0 / (max - min)).ln()
            }
        }
        Distribution::LogNormal { mean, sd } => {
            if x <= 0.0 {
                outside
            } else {
                let sigma_squared = (1.0 + (sd / mean) * (sd / mean)).ln();
                let mu = mean.ln() - sigma_squared / 2.0;
                let z = x.ln() - mu;
                -x.ln() - 0.5 * (2.0 * std::f64::consts::PI * sigma_squared).ln() - z * z / (2.0 * sigma_squared)
            }
        }
        Distribution::LogUniform { min, max } => {
            if (min..=max).contains(&x) {
                -x.ln() - (max / min).ln().ln()
            } else {
                outside
            }
        }
        Distribution::Beta { alpha, beta, min, max } => {
            if x < min || x > max {
                outside
            } else {
                let z = (x - min) / (max - min);
                (alpha - 1.0) * z.ln() + (beta - 1.0) * (1.0 - z).ln() - ln_beta(alpha, beta) - (max - min).ln()
            }
        }
        Distribution::Discrete { .. } => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use approx::assert_relative_eq;

    fn scoring(likelihood: Likelihood) -> Scoring {
        Scoring { likelihood, weight: 1.0, scale: None, dispersion: 1.0 }
    }

    // data 1, 2, 4 against run 1.5, 2, 3: residuals -0.5, 0, 1; sum of squares 1.25.
    const DATA: [f64; 3] = [1.0, 2.0, 4.0];
    const RUN: [f64; 3] = [1.5, 2.0, 3.0];

    #[test]
    fn sum_of_squares_is_weighted() {
        let sse = Scoring { weight: 2.0, ..scoring(Likelihood::SumOfSquares) };
        assert_relative_eq!(sum_of_squares(&sse, &DATA, &RUN), 2.5);
        assert_relative_eq!(log_likelihood(&sse, &DATA, &RUN), -1.25);
    }

    #[test]
    fn gaussian_with_a_known_scale_matches_the_hand_computed_value() {
        // 3 × (-ln(2π·4)/2) - 1.25/8 = -3.2758... - 0.15625 (ln(8π) = 3.2241714275).
        let known = Scoring { scale: Some(2.0), ..scoring(Likelihood::Gaussian) };
        assert_relative_eq!(
            log_likelihood(&known, &DATA, &RUN),
            -1.5 * 3.224_171_427_529_236 - 0.15625,
            epsilon = 1e-12
        );
    }

    #[test]
    fn gaussian_with_the_scale_integrated_out_matches_the_hand_computed_value() {
        // ln Γ(1.5) - 1.5 ln(1.25π) - ln 2, with ln Γ(1.5) = ln(√π/2) = -0.1207822376.
        let expected = -0.120_782_237_635_245_2 - 1.5 * (1.25 * std::f64::consts::PI).ln() - 2f64.ln();
        assert_relative_eq!(log_likelihood(&scoring(Likelihood::Gaussian), &DATA, &RUN), expected, epsilon = 1e-12);
        assert_relative_eq!(expected, -2.8657, epsilon = 1e-4);
    }

    #[test]
    fn lognormal_matches_the_hand_computed_value() {
        // One point: y = e, m = 1, scale 1: ln y - ln m = 1; -1 (Jacobian) - ln(2π)/2 - 1/2.
        let known = Scoring { scale: Some(1.0), ..scoring(Likelihood::LogNormal) };
        let e = std::f64::consts::E;
        assert_relative_eq!(log_likelihood(&known, &[e], &[1.0]), -1.5 - 0.918_938_533_204_672_7, epsilon = 1e-12);
        assert_eq!(log_likelihood(&known, &[1.0], &[0.0]), f64::NEG_INFINITY);
    }

    #[test]
    fn negative_binomial_matches_the_hand_computed_value() {
        // r = 2, mean 3, y = 1: Γ(3)/(Γ(2)Γ(2)) (2/5)² (3/5) = 2 × 0.16 × 0.6 = 0.192.
        let counts = Scoring { dispersion: 2.0, ..scoring(Likelihood::NegativeBinomial) };
        assert_relative_eq!(log_likelihood(&counts, &[1.0], &[3.0]), 0.192f64.ln(), epsilon = 1e-12);
        // r = 1 is geometric: P(0) at mean 1 is 1/2.
        let geometric = Scoring { dispersion: 1.0, ..counts };
        assert_relative_eq!(log_likelihood(&geometric, &[0.0], &[1.0]), 0.5f64.ln(), epsilon = 1e-12);
    }

    #[test]
    fn priors_match_their_densities() {
        let uniform = Distribution::Uniform { min: 1.0, max: 5.0 };
        assert_relative_eq!(log_prior(&uniform, 2.0).unwrap_or(0.0), -(4f64.ln()));
        assert_eq!(log_prior(&uniform, 6.0), Some(f64::NEG_INFINITY));
        let triangular = Distribution::Triangular { min: 0.0, mode: 1.0, max: 2.0 };
        assert_relative_eq!(log_prior(&triangular, 0.5).unwrap_or(0.0), 0.5f64.ln());
        let beta = Distribution::Beta { alpha: 2.0, beta: 2.0, min: 0.0, max: 2.0 };
        // Beta(2,2) density 6 z (1 - z) at z = 1/2 is 1.5, over a width of 2: 0.75.
        assert_relative_eq!(log_prior(&beta, 1.0).unwrap_or(0.0), 0.75f64.ln(), epsilon = 1e-12);
        let normal = Distribution::Normal { mean: 0.0, sd: 1.0, bounds: Some((0.0, f64::INFINITY)) };
        // Half-normal at 0: 2 × 1/√(2π).
        assert_relative_eq!(log_prior(&normal, 0.0).unwrap_or(0.0), (2.0 / (2.0 * std::f64::consts::PI).sqrt()).ln());
    }
}
