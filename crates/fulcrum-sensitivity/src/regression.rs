//! Regression-based sensitivity from any sample of runs: standardized regression coefficients
//! ([`src`]) and partial rank correlation coefficients ([`prcc`]), each with a bootstrap
//! percentile interval and the R² of the fit behind it.
//!
//! The sample is `x`, rows of `parameters` inputs one after another, and `y`, one outcome per
//! row. Rows with an input or outcome that is not finite are dropped and counted.
//!
//! - **SRC** (Saltelli et al. 2008): the coefficients of the least-squares fit of the
//!   standardized outcome on the standardized inputs, β_j · sd(x_j) / sd(y). For independent
//!   inputs and a linear model they are signed square roots of first-order Sobol indices; R² says
//!   how much of the variance the linear fit explains, and so whether the SRCs mean anything.
//! - **PRCC** (Marino et al. 2008): the correlation between the residuals of rank(x_j) and of
//!   rank(y), each regressed (with an intercept) on the ranks of the other inputs; ties share
//!   their average rank. It measures monotone association with the other inputs held fixed.
//!   Its R² is the one of the rank regression of rank(y) on every input's rank.
//!
//! Both fits are one least-squares problem: the centred (ranked, for PRCC) inputs and outcome,
//! scaled to unit length, are the columns of a matrix `A = QR` (nalgebra's Householder QR).
//! SRC solves the triangular system of R; PRCC reads the partial correlations off
//! (RᵀR)⁻¹ = R⁻¹R⁻ᵀ, the inverse of the correlation matrix, as −Ω_jy / √(Ω_jj Ω_yy), which
//! equals the residual correlation above without the p regressions.
//!
//! A constant input has no coefficient (NaN) and is left out of the fit of the others, as an
//! intercept absorbs it. Inputs that are exactly collinear make every coefficient NaN (none is
//! identifiable), though R² stays defined. Intervals come from `resamples` bootstrap resamples of
//! the rows ([`crate::bootstrap::Resamples`]), each computed on its own, in parallel, so the
//! result is the same for any number of threads.
//!
//! ```
//! use fulcrum_sensitivity::regression::src;
//!
//! // y = 2 a − b on a small grid.
//! let x: Vec<f64> = (0..25).flat_map(|i| [(i % 5) as f64, (i / 5) as f64]).collect();
//! let y: Vec<f64> = x.chunks(2).map(|row| 2.0 * row[0] - row[1]).collect();
//! let fit = src(&x, &y, 2, 200, 1, 0.95).unwrap();
//! assert!((fit.r_squared - 1.0).abs() < 1e-12);
//! assert!((fit.coefficients[0].value - 2.0 / 5f64.sqrt()).abs() < 1e-12);
//! ```
//!
//! References: A. Saltelli et al. (2008), Global Sensitivity Analysis: The Primer, Wiley;
//! S. Marino, I. B. Hogue, C. J. Ray, D. E. Kirschner (2008), A methodology for performing global
//! uncertainty and sensitivity analysis in systems biology, Journal of Theoretical Biology 254.

use nalgebra::{DMatrix, DVector};
use rayon::prelude::*;

use crate::Estimate;
use crate::bootstrap::{self, Resamples};

/// A centred, unit-length column whose part orthogonal to the columns before it is shorter
/// than this is taken to lie in their span: the inputs are collinear.
const COLLINEAR: f64 = 1e-10;

/// What can go wrong with a regression.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum RegressionError {
    /// No inputs.
    #[error("a regression needs at least one input")]
    NoParameters,
    /// `x` does not hold one row of inputs per outcome.
    #[error("{x} input values do not make one row of {parameters} per outcome for {y} outcomes")]
    Shape {
        /// Input values given.
        x: usize,
        /// Outcomes given.
        y: usize,
        /// Inputs per row.
        parameters: usize,
    },
    /// Too few usable rows for the fit: with an intercept and `p` inputs it needs `p + 2`.
    #[error("{rows} usable rows are too few for {parameters} inputs; at least {needed} are needed")]
    TooFewRows {
        /// Rows left after dropping those with values that are not finite.
        rows: usize,
        /// Inputs per row.
        parameters: usize,
        /// Rows needed.
        needed: usize,
    },
    /// The confidence level is not strictly between 0 and 1.
    #[error("the confidence level must lie strictly between 0 and 1, not {confidence}")]
    Confidence {
        /// The level given.
        confidence: f64,
    },
}

/// Coefficients of every input, with the fit's R².
#[derive(Clone, Debug, PartialEq)]
pub struct Regression {
    /// One per input, with a bootstrap percentile interval; NaN for a constant input, and for
    /// every input when some are collinear.
    pub coefficients: Vec<Estimate>,
    /// The share of the outcome's variance the linear fit explains (for PRCC, the fit of the
    /// ranks). SRCs describe a model well only when it is near 1.
    pub r_squared: f64,
    /// Rows used.
    pub rows: usize,
    /// Rows dropped because an input or the outcome was not finite.
    pub dropped: usize,
}

/// Standardized regression coefficients of each input, with bootstrap percentile intervals
/// from `resamples` resamples of the rows drawn from `seed`.
pub fn src(
    x: &[f64],
    y: &[f64],
    parameters: usize,
    resamples: usize,
    seed: u64,
    confidence: f64,
) -> Result<Regression, RegressionError> {
    regress(Method::Standardized, x, y, parameters, resamples, seed, confidence)
}

/// Partial rank correlation coefficients of each input, with bootstrap percentile intervals
/// from `resamples` resamples of the rows drawn from `seed` (the rows of each resample are
/// ranked afresh).
pub fn prcc(
    x: &[f64],
    y: &[f64],
    parameters: usize,
    resamples: usize,
    seed: u64,
    confidence: f64,
) -> Result<Regression, RegressionError> {
    regress(Method::PartialRank, x, y, parameters, resamples, seed, confidence)
}

/// Which coefficients.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Method {
    Standardized,
    PartialRank,
}

/// The finite rows column by column (inputs, then the outcome last), and how many rows were
/// dropped.
fn finite_columns(x: &[f64], y: &[f64], parameters: usize) -> (Vec<Vec<f64>>, usize) {
    let mut columns = vec![Vec::with_capacity(y.len()); parameters + 1];
    let mut dropped = 0;
    for (row, &outcome) in x.chunks_exact(parameters).zip(y) {
        if !outcome.is_finite() || row.iter().any(|value| !value.is_finite()) {
            dropped += 1;
            continue;
        }
        for (column, &value) in columns.iter_mut().zip(row) {
            column.push(value);
        }
        columns[parameters].push(outcome);
    }
    (columns, dropped)
}

fn regress(
    method: Method,
    x: &[f64],
    y: &[f64],
    parameters: usize,
    resamples: usize,
    seed: u64,
    confidence: f64,
) -> Result<Regression, RegressionError> {
    if parameters == 0 {
        return Err(RegressionError::NoParameters);
    }
    if x.len() != y.len() * parameters {
        return Err(RegressionError::Shape { x: x.len(), y: y.len(), parameters });
    }
    if !(confidence > 0.0 && confidence < 1.0) {
        return Err(RegressionError::Confidence { confidence });
    }
    let (columns, dropped) = finite_columns(x, y, parameters);
    let rows = columns[parameters].len();
    if rows < parameters + 2 {
        return Err(RegressionError::TooFewRows { rows, parameters, needed: parameters + 2 });
    }
    let (values, r_squared) = fit(method, &columns);
    let draws = Resamples::new(seed, rows, resamples);
    // Each resample is computed whole by one thread and collected in order, so the replicates
    // do not depend on how rayon splits the work.
    let replicates: Vec<Vec<f64>> = (0..draws.count())
        .into_par_iter()
        .map(|b| {
            let indices = draws.get(b);
            let picked: Vec<Vec<f64>> =
                columns.iter().map(|column| indices.iter().map(|&index| column[index as usize]).collect()).collect();
            fit(method, &picked).0
        })
        .collect();
    let coefficients = values
        .iter()
        .enumerate()
        .map(|(j, &value)| {
            let of_j: Vec<f64> = replicates.iter().map(|replicate| replicate[j]).collect();
            let (low, high) = bootstrap::percentile_interval(&of_j, confidence);
            Estimate { value, low, high }
        })
        .collect();
    Ok(Regression { coefficients, r_squared, rows, dropped })
}

/// The coefficients of every input and R² from complete columns (inputs, then the outcome).
fn fit(method: Method, columns: &[Vec<f64>]) -> (Vec<f64>, f64) {
    let parameters = columns.len() - 1;
    let mut coefficients = vec![f64::NAN; parameters];
    let prepared: Vec<Option<Vec<f64>>> = columns
        .iter()
        .map(|column| match method {
            Method::Standardized => unit_centred(column),
            Method::PartialRank => unit_centred(&ranks(column)),
        })
        .collect();
    let Some(Some(outcome)) = prepared.last() else {
        // A constant outcome has nothing to explain.
        return (coefficients, f64::NAN);
    };
    let mut included: Vec<usize> = (0..parameters).filter(|&j| prepared[j].is_some()).collect();
    let mut collinear = false;
    loop {
        let rows = outcome.len();
        let width = included.len() + 1;
        let matrix = DMatrix::from_fn(rows, width, |row, column| match included.get(column) {
            Some(&j) => prepared[j].as_ref().map_or(f64::NAN, |values| values[row]),
            None => outcome[row],
        });
        let r = matrix.qr().r();
        // Drop the first input that lies in the span of the ones before it and fit again: the
        // fitted values, and so R², do not change, but no coefficient is identifiable.
        if let Some(position) = (0..included.len()).find(|&k| r[(k, k)].abs() <= COLLINEAR) {
            included.remove(position);
            collinear = true;
            continue;
        }
        let last = included.len();
        let explained: f64 = (0..last).map(|k| r[(k, last)].powi(2)).sum();
        let r_squared = explained / (explained + r[(last, last)].powi(2));
        if collinear {
            return (coefficients, r_squared);
        }
        match method {
            Method::Standardized => {
                let triangle = r.view((0, 0), (last, last)).into_owned();
                let right = DVector::from_fn(last, |k, _| r[(k, last)]);
                if let Some(solution) = triangle.solve_upper_triangular(&right) {
                    for (k, &j) in included.iter().enumerate() {
                        coefficients[j] = solution[k];
                    }
                }
            }
            Method::PartialRank => {
                if let Some(inverse) = r.solve_upper_triangular(&DMatrix::identity(width, width)) {
                    // Ω = R⁻¹R⁻ᵀ; R⁻¹ is upper triangular, so Ω_jy = W_jy W_yy and Ω_yy = W_yy².
                    let sign = inverse[(last, last)].signum();
                    for (k, &j) in included.iter().enumerate() {
                        let row_length = (k..width).map(|m| inverse[(k, m)].powi(2)).sum::<f64>().sqrt();
                        coefficients[j] = (-sign * inverse[(k, last)] / row_length).clamp(-1.0, 1.0);
                    }
                }
            }
        }
        return (coefficients, r_squared);
    }
}

/// The column centred and scaled to unit length; `None` when it is constant. Scaling by the
/// length rather than the standard deviation changes no coefficient and keeps R well scaled.
fn unit_centred(column: &[f64]) -> Option<Vec<f64>> {
    let first = *column.first()?;
    if column.iter().all(|&value| value == first) {
        return None;
    }
    let mean = column.iter().sum::<f64>() / column.len() as f64;
    let centred: Vec<f64> = column.iter().map(|value| value - mean).collect();
    let length = centred.iter().map(|value| value * value).sum::<f64>().sqrt();
    if !(length > 0.0 && length.is_finite()) {
        return None;
    }
    Some(centred.into_iter().map(|value| value / length).collect())
}

/// Ranks from 1, ties sharing the average of the ranks they span.
fn ranks(values: &[f64]) -> Vec<f64> {
    let mut order: Vec<usize> = (0..values.len()).collect();
    order.sort_by(|&a, &b| values[a].total_cmp(&values[b]));
    let mut ranks = vec![0.0; values.len()];
    let mut start = 0;
    while start < order.len() {
        let mut end = start + 1;
        while end < order.len() && values[order[end]] == values[order[start]] {
            end += 1;
        }
        // Positions start..end hold equal values: ranks start+1 ..= end, averaged.
        let average = (start + 1 + end) as f64 / 2.0;
        for &index in &order[start..end] {
            ranks[index] = average;
        }
        start = end;
    }
    ranks
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ties_share_their_average_rank() {
        assert_eq!(ranks(&[3.0, 1.0, 3.0, 2.0, 3.0]), vec![4.0, 1.0, 4.0, 2.0, 4.0]);
        assert_eq!(ranks(&[-0.0, 0.0]), vec![1.5, 1.5]);
        assert!(ranks(&[]).is_empty());
    }
}
