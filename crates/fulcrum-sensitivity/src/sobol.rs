//! Sobol indices: Saltelli's design and the estimators of SALib 1.6.0, so that the numbers can be
//! checked against SALib to rounding.
//!
//! [`design`] lays out points of the unit hypercube in SALib's row order. For each base sample
//! `i` it gives the rows A_i, AB_1 … AB_G, then BA_1 … BA_G when second-order indices are wanted,
//! then B_i, where G is the number of groups of parameters (each parameter its own group unless
//! grouped). A and B are the two halves of one Owen-scrambled Sobol point of dimension 2P (P
//! parameters), AB_j is A with the columns of group j taken from B, and BA_j is B with the
//! columns of group j taken from A. [`runs_per_base`] says how many rows each base sample takes.
//!
//! The caller maps each column through its parameter's distribution, runs the model once per
//! row, and hands the outcomes, in the same order, to [`analyze`]. It estimates
//!
//! - first-order indices with the estimator of Saltelli et al. (2010), "Variance based
//!   sensitivity analysis of model output", Computer Physics Communications 181(2), table 2 (b);
//! - total-order indices with the estimator of Jansen (1999), "Analysis of variance designs for
//!   model output", Computer Physics Communications 117, table 2 (f) of Saltelli et al. (2010);
//! - second-order indices, for every pair of groups, as Saltelli (2002), "Making best use of
//!   model evaluations to compute sensitivity indices", Computer Physics Communications 145(2);
//!
//! each with a normal-theory bootstrap interval over the base samples, exactly as SALib computes
//! them, in [`SobolIndices`]. A base sample with a failed run (a NaN outcome) cannot be used:
//! [`drop_failed`] removes such base samples before the analysis.
//!
//! ```
//! use fulcrum_sensitivity::bootstrap::Resamples;
//! use fulcrum_sensitivity::sobol::{self, SobolError};
//!
//! // Two parameters, each its own group; y = x0 + x1 / 10 on the unit square.
//! let rows = sobol::design(256, &[0, 1], false, 7)?;
//! let y: Vec<f64> = rows.chunks_exact(2).map(|x| x[0] + 0.1 * x[1]).collect();
//! let resamples = Resamples::new(1, 256, 200);
//! let indices = sobol::analyze(&y, 2, false, &resamples, 0.95)?;
//! // Var(x0) is a hundred times Var(x1 / 10): S1 = 100 / 101 and 1 / 101.
//! assert!((indices.first[0].value - 100.0 / 101.0).abs() < 0.01);
//! assert!(indices.first[1].low < 1.0 / 101.0 && 1.0 / 101.0 < indices.first[1].high);
//! # Ok::<(), SobolError>(())
//! ```

use fulcrum_explore::sobol::{MAX_DIMENSIONS, MAX_POINTS, scrambled_point};
use rayon::prelude::*;

use crate::Estimate;
use crate::bootstrap::{Resamples, normal_half_width};

/// The most parameters a design can have: A and B together take two dimensions of the Sobol
/// sequence per parameter.
pub const MAX_PARAMETERS: usize = MAX_DIMENSIONS / 2;

/// What went wrong with a Sobol design or analysis.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SobolError {
    /// The design has no parameter.
    #[error("a Sobol design needs at least one parameter")]
    NoParameters,
    /// Groups are numbered 0 to G − 1, and this one has no parameter.
    #[error("group {group} of {groups} has no parameter: groups are numbered from 0 without gaps")]
    EmptyGroup {
        /// The group without a parameter.
        group: usize,
        /// How many groups the numbering implies.
        groups: usize,
    },
    /// More parameters than the Sobol sequence has dimensions for.
    #[error("{parameters} parameters: a Sobol design takes at most {most}")]
    TooManyParameters {
        /// Parameters asked for.
        parameters: usize,
        /// [`MAX_PARAMETERS`].
        most: usize,
    },
    /// More base samples than the Sobol sequence has points, or more rows than memory can index.
    #[error("{base_samples} base samples are more than a Sobol design can hold")]
    TooManyBaseSamples {
        /// Base samples asked for.
        base_samples: usize,
    },
    /// The number of outcomes is not a positive multiple of the rows per base sample.
    #[error("{outcomes} outcomes are not a positive multiple of {runs_per_base} runs per base sample")]
    WrongLength {
        /// Outcomes given.
        outcomes: usize,
        /// [`runs_per_base`] of the layout.
        runs_per_base: usize,
    },
    /// An outcome is NaN or infinite; [`drop_failed`] removes its base sample.
    #[error("outcome {row} is not a finite number: drop the failed base samples first")]
    NotFinite {
        /// The row (0-based) of the first such outcome.
        row: usize,
    },
    /// Every outcome is the same, so there is no variance to apportion.
    #[error("the outcome does not vary: Sobol indices are undefined")]
    NoVariance,
    /// The bootstrap resamples draw from another number of rows than there are base samples.
    #[error("the resamples draw from {resampled} rows but there are {base_samples} base samples")]
    ResampleSize {
        /// Base samples in the outcomes.
        base_samples: usize,
        /// Rows per resample.
        resampled: usize,
    },
    /// The confidence level is not strictly between 0 and 1.
    #[error("confidence level {confidence} is not between 0 and 1")]
    Confidence {
        /// The level given.
        confidence: f64,
    },
}

/// Sobol indices of each group, each with its bootstrap interval.
#[derive(Clone, Debug, PartialEq)]
pub struct SobolIndices {
    /// First-order index of each group (Saltelli et al. 2010): the share of the outcome's
    /// variance the group explains on its own.
    pub first: Vec<Estimate>,
    /// Total-order index of each group (Jansen 1999): the share it explains with all its
    /// interactions.
    pub total: Vec<Estimate>,
    /// Second-order index of each pair of groups `(j, k)`, `j < k`, in the order (0, 1), (0, 2),
    /// …, (1, 2), … (Saltelli 2002): the share their interaction alone explains. Empty unless
    /// second-order indices were asked for.
    pub second: Vec<((usize, usize), Estimate)>,
}

/// Rows each base sample takes: A, one AB per group, one BA per group with second order, and B.
pub fn runs_per_base(groups: usize, second_order: bool) -> usize {
    let swapped = if second_order { groups.saturating_mul(2) } else { groups };
    swapped.saturating_add(2)
}

/// How many groups `groups_of` (each parameter's group index) forms, checking that the groups
/// are numbered from 0 without gaps.
pub fn group_count(groups_of: &[usize]) -> Result<usize, SobolError> {
    let Some(&largest) = groups_of.iter().max() else {
        return Err(SobolError::NoParameters);
    };
    let groups = largest.saturating_add(1);
    if groups > groups_of.len() {
        // Some group number below the largest is missing; find the first for the message.
        let group = (0..groups).find(|group| !groups_of.contains(group)).unwrap_or(0);
        return Err(SobolError::EmptyGroup { group, groups });
    }
    let mut used = vec![false; groups];
    for &group in groups_of {
        used[group] = true;
    }
    match used.iter().position(|&used| !used) {
        Some(group) => Err(SobolError::EmptyGroup { group, groups }),
        None => Ok(groups),
    }
}

/// The Saltelli design in the unit hypercube, in SALib's row order, as one row-major buffer
/// with one column per parameter: `n` × [`runs_per_base`] rows.
///
/// `groups_of` gives each parameter's group (0 to G − 1; `0..P` for no grouping). Base sample
/// `i` is point `i` of the Owen-scrambled Sobol sequence of dimension 2P, so the rows are a pure
/// function of (`n`, `groups_of`, `second_order`, `seed`); a power of two for `n` keeps every
/// column of A and of B balanced.
pub fn design(n: usize, groups_of: &[usize], second_order: bool, seed: u64) -> Result<Vec<f64>, SobolError> {
    let groups = group_count(groups_of)?;
    let parameters = groups_of.len();
    if parameters > MAX_PARAMETERS {
        return Err(SobolError::TooManyParameters { parameters, most: MAX_PARAMETERS });
    }
    let too_many = SobolError::TooManyBaseSamples { base_samples: n };
    if n as u64 > MAX_POINTS {
        return Err(too_many);
    }
    let length = n.checked_mul(runs_per_base(groups, second_order)).and_then(|rows| rows.checked_mul(parameters));
    // Reserving fallibly turns a design too large for memory into an error, not an abort.
    let mut rows = Vec::new();
    rows.try_reserve_exact(length.ok_or(too_many.clone())?).map_err(|_| too_many)?;
    let mut a = vec![0.0; parameters];
    let mut b = vec![0.0; parameters];
    for index in 0..n as u64 {
        for (parameter, (a, b)) in a.iter_mut().zip(b.iter_mut()).enumerate() {
            *a = scrambled_point(parameter, index, seed);
            *b = scrambled_point(parameters + parameter, index, seed);
        }
        rows.extend_from_slice(&a);
        for group in 0..groups {
            let swapped = groups_of.iter().zip(a.iter().zip(&b));
            rows.extend(swapped.map(|(&of, (&a, &b))| if of == group { b } else { a }));
        }
        if second_order {
            for group in 0..groups {
                let swapped = groups_of.iter().zip(a.iter().zip(&b));
                rows.extend(swapped.map(|(&of, (&a, &b))| if of == group { a } else { b }));
            }
        }
        rows.extend_from_slice(&b);
    }
    Ok(rows)
}

/// Removes every base sample with a NaN or infinite outcome in any of its rows (a failed run),
/// so that the rest can be analysed. Returns the outcomes of the kept base samples, in order,
/// and how many base samples were dropped; draw the bootstrap resamples over the kept count.
pub fn drop_failed(y: &[f64], groups: usize, second_order: bool) -> Result<(Vec<f64>, usize), SobolError> {
    let step = checked_step(y, groups, second_order)?;
    let mut kept = Vec::with_capacity(y.len());
    let mut dropped = 0;
    for block in y.chunks_exact(step) {
        if block.iter().all(|value| value.is_finite()) {
            kept.extend_from_slice(block);
        } else {
            dropped += 1;
        }
    }
    Ok((kept, dropped))
}

/// First-, total- and (with `second_order`) second-order indices of each of `groups` groups
/// from the outcomes `y` of a [`design`], one per row in the design's order, with intervals at
/// `confidence` from `resamples` of the base samples.
///
/// As SALib: the outcomes are standardised over all rows; V is the variance (n in the
/// denominator) of the A and B rows together; S1_j = mean(B (AB_j − A)) / V, ST_j =
/// mean((A − AB_j)²) / 2V, S2_jk = mean(BA_j AB_k − A B) / V − S1_j − S1_k. Every estimator,
/// V included, is recomputed on each resample's base samples, and the half-width of the
/// interval is the normal quantile times the standard deviation of those replicates. The
/// replicates are computed in parallel, each sequentially, so any number of threads gives the
/// same bits.
pub fn analyze(
    y: &[f64],
    groups: usize,
    second_order: bool,
    resamples: &Resamples,
    confidence: f64,
) -> Result<SobolIndices, SobolError> {
    if !(confidence > 0.0 && confidence < 1.0) {
        return Err(SobolError::Confidence { confidence });
    }
    let step = checked_step(y, groups, second_order)?;
    let base_samples = y.len() / step;
    if let Some(row) = y.iter().position(|value| !value.is_finite()) {
        return Err(SobolError::NotFinite { row });
    }
    if resamples.n() != base_samples {
        return Err(SobolError::ResampleSize { base_samples, resampled: resamples.n() });
    }
    let (mean, sd) = mean_and_sd(y).ok_or(SobolError::NoVariance)?;
    let layout = Layout::new(groups, second_order);
    let records = layout.records(y, mean, sd);
    let estimators = layout.estimators();

    let mut point = vec![0.0; estimators];
    layout.estimate(&records, &vec![1.0; base_samples], base_samples, &mut point);
    let mut replicates = vec![0.0; estimators * resamples.count()];
    replicates.par_chunks_mut(estimators).enumerate().for_each_init(
        || vec![0.0; base_samples],
        |weights, (b, out)| {
            // A resample is a multiset of base samples: each estimator is a sum over it, so
            // it can be taken in base-sample order, each term weighted by how often the base
            // sample was drawn. The records are then read in order, not at random.
            let indices = resamples.get(b);
            weights.fill(0.0);
            for &index in indices.iter() {
                weights[index as usize] += 1.0;
            }
            layout.estimate(&records, weights, indices.len(), out);
        },
    );

    let mut estimates = point.iter().enumerate().map(|(estimator, &value)| {
        let column: Vec<f64> = replicates.iter().skip(estimator).step_by(estimators).copied().collect();
        Estimate::plus_minus(value, normal_half_width(&column, confidence))
    });
    let first = estimates.by_ref().take(groups).collect();
    let total = estimates.by_ref().take(groups).collect();
    let second = layout.pairs().zip(estimates).collect();
    Ok(SobolIndices { first, total, second })
}

/// Checks that `y` is a positive whole number of base samples of the layout and returns the
/// rows per base sample.
fn checked_step(y: &[f64], groups: usize, second_order: bool) -> Result<usize, SobolError> {
    if groups == 0 {
        return Err(SobolError::NoParameters);
    }
    let step = runs_per_base(groups, second_order);
    if y.is_empty() || !y.len().is_multiple_of(step) {
        return Err(SobolError::WrongLength { outcomes: y.len(), runs_per_base: step });
    }
    Ok(step)
}

/// The mean and standard deviation of all outcomes, n in the denominator as SALib (numpy's
/// default); `None` if the outcome does not vary.
fn mean_and_sd(y: &[f64]) -> Option<(f64, f64)> {
    let count = y.len() as f64;
    let mean = y.iter().sum::<f64>() / count;
    let sd = (y.iter().map(|value| (value - mean).powi(2)).sum::<f64>() / count).sqrt();
    (sd > 0.0 && sd.is_finite()).then_some((mean, sd))
}

/// Groups are summed eight at a time, in fixed-size arrays the compiler keeps in two AVX2
/// registers each, rather than in a slice of unknown length it would keep in memory.
const LANES: usize = 8;

/// Second-order sums take this many first groups of a pair per pass over the base samples:
/// their 4 × 8 sums are independent, so the additions overlap instead of waiting on each other.
const PAIR_ROWS: usize = 4;

/// The AB and BA blocks of a record, after A and B.
fn lanes(record: &[f64]) -> &[[f64; LANES]] {
    record.get(2..).unwrap_or_default().as_chunks::<LANES>().0
}

/// The shape of the outcomes and of the records the analysis reads them from.
#[derive(Clone, Copy)]
struct Layout {
    groups: usize,
    second_order: bool,
    /// Blocks of lanes the AB rows (and the BA rows) of one base sample fill.
    chunks: usize,
}

impl Layout {
    fn new(groups: usize, second_order: bool) -> Layout {
        Layout { groups, second_order, chunks: groups.div_ceil(LANES) }
    }

    /// First order and total order for each group, then one per pair with second order.
    fn estimators(&self) -> usize {
        2 * self.groups + if self.second_order { self.groups * (self.groups - 1) / 2 } else { 0 }
    }

    /// The pairs of groups in the order of the second-order estimators.
    fn pairs(&self) -> impl Iterator<Item = (usize, usize)> + use<> {
        let groups = if self.second_order { self.groups } else { 0 };
        (0..groups).flat_map(move |j| (j + 1..groups).map(move |k| (j, k)))
    }

    /// Where the second-order estimator of the pair (j, k), j < k, sits among the pairs.
    fn pair_position(&self, j: usize, k: usize) -> usize {
        j * self.groups - j * (j + 1) / 2 + (k - j - 1)
    }

    /// Numbers per base sample: A and B, then the AB rows and the BA rows, each padded to
    /// whole blocks of lanes.
    fn width(&self) -> usize {
        2 + LANES * self.chunks * if self.second_order { 2 } else { 1 }
    }

    /// The standardised outcomes `(y − mean) / sd`, one record of [`Layout::width`] numbers
    /// per base sample, the AB and BA rows padded with zeros to whole blocks of lanes.
    fn records(&self, y: &[f64], mean: f64, sd: f64) -> Vec<f64> {
        let (step, width) = (runs_per_base(self.groups, self.second_order), self.width());
        let mut records = vec![0.0; y.len() / step * width];
        for (rows, record) in y.chunks_exact(step).zip(records.chunks_exact_mut(width)) {
            let standardized = |value: &f64| (value - mean) / sd;
            let (head, lanes) = record.split_at_mut(2);
            head[0] = standardized(&rows[0]);
            head[1] = standardized(&rows[step - 1]);
            let (ab, ba) = lanes.split_at_mut(LANES * self.chunks);
            for (lane, value) in ab.iter_mut().zip(&rows[1..=self.groups]) {
                *lane = standardized(value);
            }
            if self.second_order {
                for (lane, value) in ba.iter_mut().zip(&rows[self.groups + 1..=2 * self.groups]) {
                    *lane = standardized(value);
                }
            }
        }
        records
    }

    /// Every estimator on a resample of `draws` base samples, base sample `i` drawn
    /// `weights[i]` times, into `out`: first order, total order, then second order by pair.
    /// Each sum runs through the base samples in order, so the result depends on nothing else.
    fn estimate(&self, records: &[f64], weights: &[f64], draws: usize, out: &mut [f64]) {
        let groups = self.groups;
        let (first, rest) = out.split_at_mut(groups);
        let (total, second) = rest.split_at_mut(groups);
        let samples = || records.chunks_exact(self.width()).zip(weights);

        let mut moments = [0.0; 4];
        for chunk in 0..self.chunks {
            let (mut first_sums, mut total_sums) = ([0.0; LANES], [0.0; LANES]);
            // Each pass sums A, B and their squares again, in the same order to the same bits:
            // four more additions per base sample cost less than a pass of their own.
            let mut sums = [0.0; 4];
            for (record, &weight) in samples() {
                let (a, b) = (record[0], record[1]);
                let (weighted_a, weighted_b) = (weight * a, weight * b);
                sums[0] += weighted_a;
                sums[1] += weighted_b;
                sums[2] += weighted_a * a;
                sums[3] += weighted_b * b;
                let ab = &lanes(record)[chunk];
                for lane in 0..LANES {
                    let difference = ab[lane] - a;
                    first_sums[lane] += weighted_b * difference;
                    total_sums[lane] += weight * difference * difference;
                }
            }
            moments = sums;
            let start = chunk * LANES;
            let end = groups.min(start + LANES);
            first[start..end].copy_from_slice(&first_sums[..end - start]);
            total[start..end].copy_from_slice(&total_sums[..end - start]);
        }

        if self.second_order {
            // Pairs (j, k), j < k: PAIR_ROWS values of j (within one block of BA rows) against a
            // block of LANES values of k per pass; sums where k ≤ j or past the last group are
            // computed with the rest and dropped.
            for first_j in (0..groups.saturating_sub(1)).step_by(PAIR_ROWS) {
                let (ba_block, ba_lane) = (self.chunks + first_j / LANES, first_j % LANES);
                for chunk in (first_j + 1) / LANES..self.chunks {
                    let mut sums = [[0.0; LANES]; PAIR_ROWS];
                    for (record, &weight) in samples() {
                        let weighted_a_times_b = weight * record[0] * record[1];
                        let lanes = lanes(record);
                        let (ba, ab) = (&lanes[ba_block], &lanes[chunk]);
                        for (row, sums) in sums.iter_mut().enumerate() {
                            let weighted_ba = weight * ba[ba_lane + row];
                            for lane in 0..LANES {
                                sums[lane] += weighted_ba * ab[lane] - weighted_a_times_b;
                            }
                        }
                    }
                    for (row, sums) in sums.iter().enumerate() {
                        let j = first_j + row;
                        for (lane, &sum) in sums.iter().enumerate() {
                            let k = chunk * LANES + lane;
                            if j < k && k < groups {
                                second[self.pair_position(j, k)] = sum;
                            }
                        }
                    }
                }
            }
        }

        let count = draws as f64;
        // The variance of A and B stacked, n in the denominator. The outcomes are standardised,
        // so the mean is near zero and the one-pass formula loses nothing to cancellation.
        let stacked = 2.0 * count;
        let [sum_a, sum_b, squares_a, squares_b] = moments;
        let mean = (sum_a + sum_b) / stacked;
        let variance = (squares_a + squares_b) / stacked - mean * mean;
        for value in first.iter_mut() {
            *value = *value / count / variance;
        }
        for value in total.iter_mut() {
            *value = 0.5 * (*value / count) / variance;
        }
        for (value, (j, k)) in second.iter_mut().zip(self.pairs()) {
            *value = *value / count / variance - first[j] - first[k];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn groups_are_numbered_without_gaps() {
        assert_eq!(group_count(&[0, 1, 2]), Ok(3));
        assert_eq!(group_count(&[1, 0, 1, 1]), Ok(2));
        assert_eq!(group_count(&[]), Err(SobolError::NoParameters));
        assert_eq!(group_count(&[0, 2]), Err(SobolError::EmptyGroup { group: 1, groups: 3 }));
        assert_eq!(group_count(&[0, 0, 2]), Err(SobolError::EmptyGroup { group: 1, groups: 3 }));
        assert_eq!(group_count(&[5]), Err(SobolError::EmptyGroup { group: 0, groups: 6 }));
    }

    #[test]
    fn pairs_follow_the_upper_triangle() {
        let layout = Layout::new(4, true);
        let pairs: Vec<_> = layout.pairs().collect();
        assert_eq!(pairs, [(0, 1), (0, 2), (0, 3), (1, 2), (1, 3), (2, 3)]);
        for (position, (j, k)) in pairs.into_iter().enumerate() {
            assert_eq!(layout.pair_position(j, k), position);
        }
        assert_eq!(layout.estimators(), 8 + 6);
        let first_only = Layout::new(4, false);
        assert_eq!(first_only.pairs().count(), 0);
        assert_eq!(first_only.estimators(), 8);
        for groups in [1, 7, 8, 9, 30] {
            let layout = Layout::new(groups, true);
            assert!(layout.pairs().enumerate().all(|(position, (j, k))| layout.pair_position(j, k) == position));
        }
    }

    /// The estimators as SALib writes them, one at a time over plain columns.
    fn plainly(y: &[f64], groups: usize, second_order: bool, indices: &[usize]) -> Vec<f64> {
        let step = runs_per_base(groups, second_order);
        let count = y.len() as f64;
        let mean = y.iter().sum::<f64>() / count;
        let sd = (y.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / count).sqrt();
        let at = |i: usize, row: usize| (y[i * step + row] - mean) / sd;
        let n = indices.len() as f64;
        let stacked: Vec<f64> = indices.iter().flat_map(|&i| [at(i, 0), at(i, step - 1)]).collect();
        let stacked_mean = stacked.iter().sum::<f64>() / stacked.len() as f64;
        let variance = stacked.iter().map(|v| (v - stacked_mean).powi(2)).sum::<f64>() / stacked.len() as f64;
        let first =
            |j: usize| indices.iter().map(|&i| at(i, step - 1) * (at(i, 1 + j) - at(i, 0))).sum::<f64>() / n / variance;
        let mut all: Vec<f64> = (0..groups).map(first).collect();
        all.extend(
            (0..groups).map(|j| {
                0.5 * (indices.iter().map(|&i| (at(i, 0) - at(i, 1 + j)).powi(2)).sum::<f64>() / n) / variance
            }),
        );
        if second_order {
            for j in 0..groups {
                for k in j + 1..groups {
                    let sum: f64 = indices
                        .iter()
                        .map(|&i| at(i, 1 + groups + j) * at(i, 1 + k) - at(i, 0) * at(i, step - 1))
                        .sum();
                    all.push(sum / n / variance - first(j) - first(k));
                }
            }
        }
        all
    }

    #[test]
    fn the_blocked_sums_match_the_plain_estimators() {
        // Group counts below, at and above a block of lanes and a block of pair rows, with
        // repeated indices as resamples have them.
        for groups in [1, 2, 3, 4, 5, 8, 9, 13, 17] {
            for second_order in [false, true] {
                let step = runs_per_base(groups, second_order);
                let n = 37;
                let y: Vec<f64> = (0..n * step).map(|i| ((i * 7919 % 1009) as f64).sin() * 3.0 + 1.0).collect();
                let indices: Vec<usize> = (0..n).map(|i| i * 13 % n).chain([3, 3, 5]).collect();
                let layout = Layout::new(groups, second_order);
                let (mean, sd) = mean_and_sd(&y).unwrap_or((0.0, 1.0));
                let records = layout.records(&y, mean, sd);
                let mut weights = vec![0.0; n];
                for &index in &indices {
                    weights[index] += 1.0;
                }
                let mut out = vec![0.0; layout.estimators()];
                layout.estimate(&records, &weights, indices.len(), &mut out);
                let expected = plainly(&y, groups, second_order, &indices);
                assert_eq!(out.len(), expected.len());
                for (position, (ours, plain)) in out.iter().zip(&expected).enumerate() {
                    assert!(
                        (ours - plain).abs() < 1e-12,
                        "{groups} groups, {second_order}, #{position}: {ours} vs {plain}"
                    );
                }
            }
        }
    }
}
