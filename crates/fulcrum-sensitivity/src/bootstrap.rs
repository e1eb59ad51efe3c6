//! Bootstrap resamples and confidence intervals, shared by every method.
//!
//! Resample `b` draws `n` row indices with replacement from ChaCha8 stream `b` of the seed, so
//! each resample is a pure function of (seed, b, n): the resamples can be computed in any order,
//! on any number of threads, and give the same bits.

use std::borrow::Cow;

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};

/// Resamples drawn unless asked otherwise.
pub const DEFAULT_RESAMPLES: usize = 1000;

/// The confidence level of every interval unless asked otherwise.
pub const DEFAULT_CONFIDENCE: f64 = 0.95;

/// A set of bootstrap resamples of `n` rows. Drawn resamples are made when asked for, so a set
/// costs nothing to hold however many rows and resamples it has.
#[derive(Clone, Debug, PartialEq)]
pub struct Resamples {
    n: usize,
    count: usize,
    source: Source,
}

#[derive(Clone, Debug, PartialEq)]
enum Source {
    /// Drawn from ChaCha8 stream `b` of the seed.
    Seed(u64),
    /// Given index lists, one after the other.
    Lists(Vec<u32>),
}

impl Resamples {
    /// `count` resamples of `n` rows, drawn from `seed`.
    pub fn new(seed: u64, n: usize, count: usize) -> Resamples {
        Resamples { n, count, source: Source::Seed(seed) }
    }

    /// Resamples given as index lists (as SALib drew them, for reproducing its intervals).
    /// `None` if a list has another length than `n` or an index out of range.
    pub fn from_lists(n: usize, lists: Vec<Vec<u32>>) -> Option<Resamples> {
        let count = lists.len();
        let mut indices = Vec::with_capacity(n * count);
        for list in lists {
            if list.len() != n || list.iter().any(|&index| index as usize >= n) {
                return None;
            }
            indices.extend(list);
        }
        Some(Resamples { n, count, source: Source::Lists(indices) })
    }

    /// Rows per resample.
    pub fn n(&self) -> usize {
        self.n
    }

    /// How many resamples.
    pub fn count(&self) -> usize {
        self.count
    }

    /// The row indices of resample `b` (`b < count`).
    pub fn get(&self, b: usize) -> Cow<'_, [u32]> {
        match &self.source {
            Source::Seed(seed) => {
                let mut rng = ChaCha8Rng::seed_from_u64(*seed);
                rng.set_stream(b as u64);
                Cow::Owned((0..self.n).map(|_| rng.random_range(0..self.n as u32)).collect())
            }
            Source::Lists(indices) => Cow::Borrowed(&indices[b * self.n..(b + 1) * self.n]),
        }
    }
}

/// The two-sided standard normal quantile of a confidence level: 1.96 for 0.95.
pub fn z(confidence: f64) -> f64 {
    fulcrum_explore::distribution::normal_quantile(0.5 + confidence / 2.0)
}

/// The half-width of a normal-theory interval from bootstrap replicates, as SALib computes it:
/// z × their standard deviation (n − 1 in the denominator). Non-finite replicates are skipped;
/// NaN with fewer than two.
pub fn normal_half_width(replicates: &[f64], confidence: f64) -> f64 {
    let finite: Vec<f64> = replicates.iter().copied().filter(|value| value.is_finite()).collect();
    if finite.len() < 2 {
        return f64::NAN;
    }
    let mean = finite.iter().sum::<f64>() / finite.len() as f64;
    let variance = finite.iter().map(|value| (value - mean).powi(2)).sum::<f64>() / (finite.len() - 1) as f64;
    z(confidence) * variance.sqrt()
}

/// A percentile interval from bootstrap replicates: their (1 − c)/2 and (1 + c)/2 quantiles by
/// the type-7 rule. Non-finite replicates are skipped; NaN bounds with none left.
pub fn percentile_interval(replicates: &[f64], confidence: f64) -> (f64, f64) {
    let finite: Vec<f64> = replicates.iter().copied().filter(|value| value.is_finite()).collect();
    let tail = (1.0 - confidence) / 2.0;
    let bounds = fulcrum_explore::bands::quantiles_of(&finite, &[tail, 1.0 - tail]);
    (bounds[0], bounds[1])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn resamples_are_a_pure_function_of_seed_and_index() {
        let all = Resamples::new(7, 50, 20);
        assert_eq!(all.count(), 20);
        let again = Resamples::new(7, 50, 30);
        assert_eq!(Resamples::new(7, 0, 3).get(2).len(), 0);
        for b in 0..20 {
            assert_eq!(all.get(b), again.get(b));
            assert!(all.get(b).iter().all(|&index| index < 50));
        }
        assert_ne!(all.get(0), all.get(1));
        assert_ne!(Resamples::new(8, 50, 1).get(0), all.get(0));
    }

    #[test]
    fn intervals_match_their_definitions() {
        approx::assert_relative_eq!(z(0.95), 1.959963984540054, max_relative = 1e-12);
        let replicates = [1.0, 2.0, 3.0, 4.0, f64::NAN];
        // sd (n − 1) of 1..4 is sqrt(5/3).
        approx::assert_relative_eq!(normal_half_width(&replicates, 0.95), z(0.95) * (5.0f64 / 3.0).sqrt());
        let (low, high) = percentile_interval(&[1.0, 2.0, 3.0, 4.0, 5.0], 0.5);
        assert_eq!((low, high), (2.0, 4.0));
        assert!(normal_half_width(&[1.0], 0.95).is_nan());
    }
}
