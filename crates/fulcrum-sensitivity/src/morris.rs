//! Morris elementary effects: a cheap screening of which parameters matter, from trajectories
//! that move one parameter (or one group of parameters) at a time.
//!
//! A [`Design`] fixes the number of levels `p` and which group each parameter belongs to
//! (ungrouped, each parameter is its own group). [`Design::trajectories`] builds `r`
//! trajectories of `G + 1` points in the unit hypercube, `G` the number of groups: each
//! parameter lives on the grid {0, 1/(p−1), …, 1}, and each step moves one group, all of its
//! parameters together and in the same direction, by the jump Δ = p / (2(p−1)) (Morris 1991).
//! Trajectory `k` is a pure function of (seed, `k`). With `optimize_from`, a pool of
//! trajectories is drawn and the `r` with the largest spread are kept (Campolongo, Cariboni
//! and Saltelli 2007), found by a greedy start and exchange steps in the spirit of Ruano et al.
//! (2012) rather than by the combinatorial exact search.
//!
//! [`Design::analyze`] takes the unit rows, the physical rows the model saw and one outcome per
//! row, and gives per group ([`Effects`]): μ, the mean elementary effect; μ*, the mean of its
//! absolute value, with a bootstrap interval over trajectories; σ, its standard deviation
//! (n − 1 in the denominator). The effects come twice: in unit-hypercube units,
//! (y(x + Δ) − y(x)) / Δ exactly as SALib 1.6 computes them, and per physical unit of the
//! parameter, (y(x + Δ) − y(x)) / (physical step), which for a linear model is its
//! coefficient. A trajectory with a failed run (an outcome that is not finite) is dropped
//! whole and counted.
//!
//! Where this differs from SALib: an odd number of levels is refused (SALib warns, and its jump
//! then leaves the grid); a group's parameters move in one direction together, so a group has a
//! signed μ and a σ (SALib draws directions per parameter and reports NaN for both); designs with
//! mixed directions are still analysed, with NaN μ and σ but a μ*; and μ*'s interval resamples
//! from ChaCha8 rather than numpy, so it matches SALib's only to Monte Carlo error.
//!
//! ```
//! use fulcrum_sensitivity::morris::Design;
//!
//! let design = Design::ungrouped(4, 2).unwrap();
//! let unit = design.trajectories(10, 7, None).unwrap();
//! // Parameter 0 on [0, 10], parameter 1 on [0, 1]; the model is y = 3 a − 2 b.
//! let physical: Vec<f64> =
//!     unit.chunks(2).flat_map(|row| [row[0] * 10.0, row[1]]).collect();
//! let y: Vec<f64> = physical.chunks(2).map(|row| 3.0 * row[0] - 2.0 * row[1]).collect();
//! let indices = design.analyze(&unit, &physical, &y, 1000, 1, 0.95).unwrap();
//! assert!((indices.unit[0].mu - 30.0).abs() < 1e-9);
//! assert!((indices.physical[0].mu - 3.0).abs() < 1e-9);
//! ```
//!
//! References: M. D. Morris (1991), Factorial sampling plans for preliminary computational
//! experiments, Technometrics 33(2); F. Campolongo, J. Cariboni, A. Saltelli (2007), An
//! effective screening design for sensitivity analysis of large models, Environmental Modelling
//! & Software 22(10); M. V. Ruano, J. Ribes, A. Seco, J. Ferrer (2012), An improved sampling
//! strategy based on trajectory design for application of the Morris method to systems with
//! many input factors, Environmental Modelling & Software 37.

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};
use rayon::prelude::*;

use crate::Estimate;
use crate::bootstrap::{self, Resamples};

/// How far a coordinate's change between two points may be from zero (or from the jump) and
/// still count as none (or as the jump): far below any grid step, at least 1/(p−1), and far
/// above the rounding of unit values scaled back from physical ones.
const GRID_TOLERANCE: f64 = 1e-6;

/// What can go wrong building or analysing a Morris design.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum MorrisError {
    /// The number of levels is below 2 or odd: the jump p / (2(p−1)) lands on the grid only
    /// for an even number of levels.
    #[error("a Morris design needs an even number of levels, at least 2, not {levels}")]
    Levels {
        /// The number of levels asked for.
        levels: usize,
    },
    /// No parameters.
    #[error("a Morris design needs at least one parameter")]
    NoParameters,
    /// Group numbers skip a group, so a trajectory could not move it.
    #[error("no parameter is in group {group}; groups are numbered 0, 1, 2, … without gaps")]
    EmptyGroup {
        /// The first group number with no parameter.
        group: usize,
    },
    /// Zero trajectories asked for.
    #[error("a Morris design needs at least one trajectory")]
    NoTrajectories,
    /// The pool to choose spread-out trajectories from is smaller than the number to keep.
    #[error("cannot keep {trajectories} trajectories out of a pool of {pool}")]
    Pool {
        /// The pool size asked for.
        pool: usize,
        /// The trajectories to keep.
        trajectories: usize,
    },
    /// An input has another length than the rows imply.
    #[error("the {what} have {found} values where {expected} were expected")]
    Length {
        /// Which input: "unit rows", "physical rows" or "outcomes".
        what: &'static str,
        /// The length the design implies.
        expected: usize,
        /// The length given.
        found: usize,
    },
    /// The rows do not split into whole trajectories.
    #[error("{rows} rows do not split into trajectories of {points} points")]
    Rows {
        /// The rows given.
        rows: usize,
        /// Points per trajectory (groups + 1).
        points: usize,
    },
    /// A step that is not one group moving by the jump, or a group moving twice.
    #[error("step {step} of trajectory {trajectory} does not move exactly one new group by the jump {delta}")]
    NotAStep {
        /// The trajectory, counted from 0.
        trajectory: usize,
        /// The step within it, counted from 0 (from point `step` to point `step + 1`).
        step: usize,
        /// The jump the levels imply.
        delta: f64,
    },
    /// The confidence level is not strictly between 0 and 1.
    #[error("the confidence level must lie strictly between 0 and 1, not {confidence}")]
    Confidence {
        /// The level given.
        confidence: f64,
    },
    /// The trajectories (and, when choosing from a pool, their distances) would take more
    /// memory than a sweep may ([`fulcrum_explore::sweep::MEMORY_LIMIT`]).
    #[error("{trajectories} trajectories would take {gib:.1} GiB; ask for fewer (or a smaller pool)")]
    TooLarge {
        /// The trajectories to draw (the pool, when choosing from one).
        trajectories: usize,
        /// The memory they would take, in GiB.
        gib: f64,
    },
}

/// The shape of a Morris design: the grid levels and the group of each parameter, checked once.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Design {
    levels: usize,
    groups_of: Vec<usize>,
    groups: usize,
}

/// The effects of one group: μ, μ* with its bootstrap interval, and σ.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Effects {
    /// The mean elementary effect. NaN for a group whose parameters moved in different
    /// directions within one step, which a design from elsewhere (SALib's) can contain.
    pub mu: f64,
    /// The mean absolute elementary effect, with a normal-theory interval from bootstrap
    /// resamples of the trajectories, as SALib computes it.
    pub mu_star: Estimate,
    /// The standard deviation of the elementary effects (n − 1 in the denominator); NaN with
    /// fewer than two trajectories.
    pub sigma: f64,
}

/// Morris indices of every group.
#[derive(Clone, Debug, PartialEq)]
pub struct MorrisIndices {
    /// Per group, effects in unit-hypercube units, (y(x + Δ) − y(x)) / Δ, as SALib reports
    /// them.
    pub unit: Vec<Effects>,
    /// Per group, effects per physical unit of the parameter, Δy over the parameter's physical
    /// step; NaN for groups of several parameters, where no single step exists.
    pub physical: Vec<Effects>,
    /// Trajectories used.
    pub trajectories: usize,
    /// Trajectories dropped because one of their runs gave an outcome that is not finite.
    pub dropped: usize,
}

impl Design {
    /// A design with `levels` grid levels (even, at least 2) where parameter `i` belongs to
    /// group `groups_of[i]`; groups are numbered 0, 1, 2, … without gaps.
    pub fn new(levels: usize, groups_of: Vec<usize>) -> Result<Design, MorrisError> {
        if levels < 2 || !levels.is_multiple_of(2) {
            return Err(MorrisError::Levels { levels });
        }
        let Some(&largest) = groups_of.iter().max() else {
            return Err(MorrisError::NoParameters);
        };
        let mut seen = vec![false; largest + 1];
        for &group in &groups_of {
            seen[group] = true;
        }
        if let Some(group) = seen.iter().position(|&present| !present) {
            return Err(MorrisError::EmptyGroup { group });
        }
        Ok(Design { levels, groups_of, groups: largest + 1 })
    }

    /// A design where each of `parameters` parameters is its own group.
    pub fn ungrouped(levels: usize, parameters: usize) -> Result<Design, MorrisError> {
        Design::new(levels, (0..parameters).collect())
    }

    /// Grid levels per parameter.
    pub fn levels(&self) -> usize {
        self.levels
    }

    /// The jump of one step in the unit hypercube, p / (2(p−1)).
    pub fn delta(&self) -> f64 {
        self.levels as f64 / (2.0 * (self.levels - 1) as f64)
    }

    /// Parameters (columns of a row).
    pub fn parameters(&self) -> usize {
        self.groups_of.len()
    }

    /// Groups (steps of a trajectory).
    pub fn groups(&self) -> usize {
        self.groups
    }

    /// The group of each parameter.
    pub fn groups_of(&self) -> &[usize] {
        &self.groups_of
    }

    /// Points per trajectory: one more than the groups.
    pub fn points(&self) -> usize {
        self.groups + 1
    }

    /// `r` trajectories in the unit hypercube: `r · points()` rows of `parameters()` values,
    /// row after row. Without `optimize_from`, trajectory `k` is a pure function of (seed, `k`).
    /// With `Some(pool)`, the first `pool` such trajectories are drawn and the `r` that spread
    /// furthest (see [`Design::spread`]) are kept, in pool order.
    ///
    /// Choosing from the pool computes every pairwise distance, in time proportional to
    /// pool² · points² · parameters, and searches from every trajectory of the pool, in time
    /// proportional to pool² · r times the few exchanges each search makes.
    pub fn trajectories(&self, r: usize, seed: u64, optimize_from: Option<usize>) -> Result<Vec<f64>, MorrisError> {
        if r == 0 {
            return Err(MorrisError::NoTrajectories);
        }
        let pool = optimize_from.unwrap_or(r);
        if pool < r {
            return Err(MorrisError::Pool { pool, trajectories: r });
        }
        let size = self.points() * self.parameters();
        // The rows, and the pairwise distances when choosing from a pool, in bytes.
        let distances = if pool > r { pool as f64 * pool as f64 } else { 0.0 };
        let bytes = (pool as f64 * size as f64 + distances) * 8.0;
        if bytes > fulcrum_explore::sweep::MEMORY_LIMIT as f64 {
            return Err(MorrisError::TooLarge { trajectories: pool, gib: bytes / f64::from(1u32 << 30) });
        }
        let mut all = vec![0.0; pool * size];
        all.par_chunks_mut(size)
            .enumerate()
            .for_each(|(k, trajectory)| self.fill_trajectory(seed, k as u64, trajectory));
        if pool == r {
            return Ok(all);
        }
        let chosen = most_spread(&all, self.parameters(), self.points(), self.levels - 1, r);
        Ok(chosen.iter().flat_map(|&k| all[k * size..(k + 1) * size].iter().copied()).collect())
    }

    /// How spread out a set of trajectories is, as Campolongo et al. (2007) measure it: with
    /// d(m, l) the sum of the Euclidean distances between every point of trajectory `m` and
    /// every point of trajectory `l`, the spread is √(Σ d(m, l)²) over all pairs m < l.
    pub fn spread(&self, unit: &[f64]) -> Result<f64, MorrisError> {
        let size = self.points() * self.parameters();
        if !unit.len().is_multiple_of(size) {
            return Err(MorrisError::Rows { rows: unit.len() / self.parameters(), points: self.points() });
        }
        let count = unit.len() / size;
        let width = self.parameters();
        let squares: f64 = (0..count)
            .into_par_iter()
            .map(|m| {
                (m + 1..count)
                    .map(|l| {
                        trajectory_distance(&unit[m * size..(m + 1) * size], &unit[l * size..(l + 1) * size], width)
                            .powi(2)
                    })
                    .sum::<f64>()
            })
            .collect::<Vec<f64>>()
            .iter()
            .sum();
        Ok(squares.sqrt())
    }

    /// Morris indices from the unit rows of a design, the physical rows the model saw (the same
    /// shape) and one outcome per row. Elementary effects in unit units are divided by Δ and
    /// negated when the step went down, exactly as SALib does; effects per physical unit are
    /// divided by the parameter's own physical step. μ*'s interval comes from `resamples`
    /// bootstrap resamples of the trajectories drawn from `seed`.
    pub fn analyze(
        &self,
        unit: &[f64],
        physical: &[f64],
        y: &[f64],
        resamples: usize,
        seed: u64,
        confidence: f64,
    ) -> Result<MorrisIndices, MorrisError> {
        if !(confidence > 0.0 && confidence < 1.0) {
            return Err(MorrisError::Confidence { confidence });
        }
        let width = self.parameters();
        let points = self.points();
        let rows = y.len();
        if unit.len() != rows * width {
            return Err(MorrisError::Length { what: "unit rows", expected: rows * width, found: unit.len() });
        }
        if physical.len() != rows * width {
            return Err(MorrisError::Length { what: "physical rows", expected: rows * width, found: physical.len() });
        }
        if rows == 0 || !rows.is_multiple_of(points) {
            return Err(MorrisError::Rows { rows, points });
        }
        let count = rows / points;
        let delta = self.delta();

        // Elementary effects of the kept trajectories, group by group: signed and size in unit
        // units, then per physical unit. The size is kept apart because a step where a group's
        // parameters moved different ways has no sign but still has a size for μ*.
        let mut signed = vec![Vec::with_capacity(count); self.groups];
        let mut sizes = vec![Vec::with_capacity(count); self.groups];
        let mut per_physical = vec![Vec::with_capacity(count); self.groups];
        let mut steps = vec![None; self.groups];
        let mut dropped = 0;
        for trajectory in 0..count {
            let first = trajectory * points;
            steps.fill(None);
            // The structure is checked even when the trajectory is dropped, so that a malformed
            // design is reported rather than hidden behind a failed run.
            for step in 0..self.groups {
                let before = first + step;
                let not_a_step = MorrisError::NotAStep { trajectory, step, delta };
                let (group, direction) = self
                    .moved_group(
                        &unit[before * width..(before + 1) * width],
                        &unit[(before + 1) * width..(before + 2) * width],
                    )
                    .ok_or(not_a_step.clone())?;
                if steps[group].is_some() {
                    return Err(not_a_step);
                }
                let change = y[before + 1] - y[before];
                steps[group] = Some((
                    direction * change / delta,
                    change.abs() / delta,
                    self.physical_effect(group, change, physical, before),
                ));
            }
            if y[first..first + points].iter().any(|value| !value.is_finite()) {
                dropped += 1;
                continue;
            }
            for (group, effects) in steps.iter().enumerate() {
                // Every group moved once: G steps, each a group not seen before.
                let (unit_effect, size, physical_effect) = effects.unwrap_or((f64::NAN, f64::NAN, f64::NAN));
                signed[group].push(unit_effect);
                sizes[group].push(size);
                per_physical[group].push(physical_effect);
            }
        }
        let kept = count - dropped;
        let draws = Resamples::new(seed, kept, if kept == 0 { 0 } else { resamples });
        let unit =
            signed.iter().zip(&sizes).map(|(signed, sizes)| summarize(signed, sizes, &draws, confidence)).collect();
        let physical = per_physical.iter().map(|effects| summarize(effects, effects, &draws, confidence)).collect();
        Ok(MorrisIndices { unit, physical, trajectories: kept, dropped })
    }

    /// The group that moved between two points and the direction it moved in (+1 up, −1 down,
    /// NaN when its parameters moved different ways); `None` unless exactly the parameters of
    /// one group changed, each by the jump.
    fn moved_group(&self, before: &[f64], after: &[f64]) -> Option<(usize, f64)> {
        let delta = self.delta();
        let mut group = None;
        let (mut ups, mut downs) = (0usize, 0usize);
        for (parameter, (&from, &to)) in before.iter().zip(after).enumerate() {
            let change = to - from;
            if change.abs() <= GRID_TOLERANCE {
                continue;
            }
            let off_grid = (change.abs() - delta).abs();
            if off_grid.is_nan() || off_grid > GRID_TOLERANCE {
                return None;
            }
            let own = self.groups_of[parameter];
            if group.is_some_and(|moved| moved != own) {
                return None;
            }
            group = Some(own);
            if change > 0.0 {
                ups += 1;
            } else {
                downs += 1;
            }
        }
        let group = group?;
        let members = self.groups_of.iter().filter(|&&own| own == group).count();
        if ups + downs != members {
            return None;
        }
        let direction = match (ups, downs) {
            (_, 0) => 1.0,
            (0, _) => -1.0,
            _ => f64::NAN,
        };
        Some((group, direction))
    }

    /// The effect per physical unit of a one-parameter group's step from row `before`: NaN for
    /// larger groups and for a physical step of zero.
    fn physical_effect(&self, group: usize, change: f64, physical: &[f64], before: usize) -> f64 {
        let mut members = self.groups_of.iter().enumerate().filter(|&(_, &own)| own == group);
        let (Some((parameter, _)), None) = (members.next(), members.next()) else {
            return f64::NAN;
        };
        let width = self.parameters();
        let step = physical[(before + 1) * width + parameter] - physical[before * width + parameter];
        if step == 0.0 || !step.is_finite() {
            return f64::NAN;
        }
        change / step
    }

    /// Writes trajectory `k` of `seed`: the order the groups move in, the direction of each
    /// group, and each parameter's starting level, all from ChaCha8 stream `k`.
    fn fill_trajectory(&self, seed: u64, k: u64, out: &mut [f64]) {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        rng.set_stream(k);
        let half = self.levels / 2;
        let top = (self.levels - 1) as f64;
        // Fisher–Yates on a u64 range, so the order does not depend on the platform's usize.
        let mut order: Vec<usize> = (0..self.groups).collect();
        for i in (1..self.groups).rev() {
            let j = rng.random_range(0..=i as u64) as usize;
            order.swap(i, j);
        }
        let up: Vec<bool> = (0..self.groups).map(|_| rng.random_bool(0.5)).collect();
        // A parameter starts in the lower half of the grid when its group moves up and in the
        // upper half when it moves down, so that the jump of half the levels stays on the grid.
        // Over both directions the start is uniform on the whole grid, as in SALib's sampler.
        let mut level: Vec<usize> = self
            .groups_of
            .iter()
            .map(|&group| {
                let low = rng.random_range(0..half as u64) as usize;
                if up[group] { low } else { low + half }
            })
            .collect();
        let width = self.parameters();
        for (point, row) in out.chunks_exact_mut(width).enumerate() {
            if point > 0 {
                let group = order[point - 1];
                for (parameter, &own) in self.groups_of.iter().enumerate() {
                    if own == group {
                        level[parameter] = if up[group] { level[parameter] + half } else { level[parameter] - half };
                    }
                }
            }
            for (value, &at) in row.iter_mut().zip(&level) {
                *value = at as f64 / top;
            }
        }
    }
}

/// μ, μ* with its interval and σ of one group's effects, one per trajectory: μ and σ from the
/// signed effects, μ* from the sizes (the same numbers unless a step had no sign).
fn summarize(signed: &[f64], sizes: &[f64], draws: &Resamples, confidence: f64) -> Effects {
    let count = signed.len();
    let mu = if count == 0 { f64::NAN } else { signed.iter().sum::<f64>() / count as f64 };
    let sigma = if count < 2 {
        f64::NAN
    } else {
        (signed.iter().map(|effect| (effect - mu).powi(2)).sum::<f64>() / (count - 1) as f64).sqrt()
    };
    Effects { mu, mu_star: mean_absolute(sizes, draws, confidence), sigma }
}

/// The mean absolute value with the half-width of its bootstrap interval.
fn mean_absolute(effects: &[f64], draws: &Resamples, confidence: f64) -> Estimate {
    if effects.is_empty() {
        return Estimate::bare(f64::NAN);
    }
    let mean = effects.iter().map(|effect| effect.abs()).sum::<f64>() / effects.len() as f64;
    let replicates: Vec<f64> = (0..draws.count())
        .map(|b| draws.get(b))
        .map(|indices| indices.iter().map(|&index| effects[index as usize].abs()).sum::<f64>() / indices.len() as f64)
        .collect();
    Estimate::plus_minus(mean, bootstrap::normal_half_width(&replicates, confidence))
}

/// Campolongo's distance between two trajectories: the sum of the Euclidean distances between
/// every point of one and every point of the other.
fn trajectory_distance(first: &[f64], second: &[f64], width: usize) -> f64 {
    first
        .chunks_exact(width)
        .map(|a| {
            second
                .chunks_exact(width)
                .map(|b| a.iter().zip(b).map(|(x, y)| (x - y).powi(2)).sum::<f64>().sqrt())
                .sum::<f64>()
        })
        .sum()
}

/// The `keep` trajectories of the pool (each `points` rows of `width` values on the grid of
/// `top + 1` levels) with a large spread, ascending.
///
/// The spread √(Σ d²) grows with Σ d², which adds up pair by pair, so the gain of adding or
/// exchanging one trajectory is a sum over the chosen ones. Exhaustive search is combinatorial;
/// instead, from every trajectory of the pool in turn, the set grows by the trajectory that adds
/// most until it holds `keep` (the greedy growth of Ruano et al. 2012, whose method SALib's
/// `local_optimization` implements), then the best exchange of a chosen trajectory for an
/// unchosen one is made while it raises the spread, which mends choices the greedy growth made
/// early. The best set over all starts wins, ties to the earlier start, so the result is a pure
/// function of the pool.
fn most_spread(pool: &[f64], width: usize, points: usize, top: usize, keep: usize) -> Vec<usize> {
    let size = width * points;
    let count = pool.len() / size.max(1);
    if keep >= count || keep < 2 {
        return (0..keep.min(count)).collect();
    }
    let grid = GridTrajectories::new(pool, width, points, top);
    let upper: Vec<Vec<f64>> = (0..count)
        .into_par_iter()
        .map(|m| {
            let mut squares = vec![0; points];
            (m + 1..count).map(|l| grid.distance(m, l, &mut squares).powi(2)).collect()
        })
        .collect();
    let mut squared = vec![0.0; count * count];
    for (m, row) in upper.iter().enumerate() {
        for (offset, &value) in row.iter().enumerate() {
            let l = m + 1 + offset;
            squared[m * count + l] = value;
            squared[l * count + m] = value;
        }
    }
    let candidates: Vec<(Vec<usize>, f64)> =
        (0..count).into_par_iter().map(|start| grow_and_exchange(&squared, count, keep, start)).collect();
    let mut best: Option<&(Vec<usize>, f64)> = None;
    for candidate in &candidates {
        if best.is_none_or(|(_, total)| candidate.1 > *total) {
            best = Some(candidate);
        }
    }
    let mut chosen = best.map_or_else(|| (0..keep).collect(), |(chosen, _)| chosen.clone());
    chosen.sort_unstable();
    chosen
}

/// The most squared distances (in grid levels²) whose roots are tabled: 8 MiB of table.
const ROOT_TABLE: usize = 1 << 20;

/// Trajectories as whole grid levels, for Campolongo's distance in exact integer arithmetic.
///
/// Between consecutive points of a trajectory only one group's coordinates change, so the
/// squared distances from point i + 1 of one trajectory to every point of another follow from
/// those of point i by updating just those coordinates: a pair of trajectories costs
/// points · parameters operations and points² square roots rather than points² · parameters.
/// Levels are integers, so the updates are exact and the order of work cannot change a bit.
struct GridTrajectories {
    width: usize,
    points: usize,
    top: f64,
    levels: Vec<i64>,
    /// The square roots of every possible squared distance, when there are few enough of them
    /// (a table read is several times cheaper than a square root).
    roots: Vec<f64>,
    /// Per trajectory and step, the coordinates that change.
    changes: Vec<Vec<Vec<usize>>>,
}

impl GridTrajectories {
    fn new(pool: &[f64], width: usize, points: usize, top: usize) -> GridTrajectories {
        let top = top as f64;
        let levels: Vec<i64> = pool.iter().map(|value| (value * top).round() as i64).collect();
        let changes = levels
            .chunks_exact(width * points)
            .map(|trajectory| {
                trajectory
                    .chunks_exact(width)
                    .collect::<Vec<_>>()
                    .windows(2)
                    .map(|pair| (0..width).filter(|&c| pair[0][c] != pair[1][c]).collect())
                    .collect()
            })
            .collect();
        let largest = (width as f64) * top * top;
        let roots = if largest <= ROOT_TABLE as f64 {
            (0..=largest as usize).map(|n| (n as f64).sqrt()).collect()
        } else {
            Vec::new()
        };
        GridTrajectories { width, points, top, levels, changes, roots }
    }

    /// The square root of a squared distance, from the table when it has one.
    fn root(&self, square: i64) -> f64 {
        self.roots.get(square as usize).copied().unwrap_or_else(|| (square as f64).sqrt())
    }

    /// Campolongo's distance between trajectories `m` and `l` in unit-hypercube units;
    /// `squares` is scratch space of `points` entries.
    fn distance(&self, m: usize, l: usize, squares: &mut [i64]) -> f64 {
        let (width, size) = (self.width, self.width * self.points);
        let first = &self.levels[m * size..(m + 1) * size];
        let second = &self.levels[l * size..(l + 1) * size];
        for (square, point) in squares.iter_mut().zip(second.chunks_exact(width)) {
            *square = first[..width].iter().zip(point).map(|(a, b)| (a - b) * (a - b)).sum();
        }
        let mut total: f64 = squares.iter().map(|&square| self.root(square)).sum();
        for (step, changed) in self.changes[m].iter().enumerate() {
            for &c in changed {
                let (old, new) = (first[step * width + c], first[(step + 1) * width + c]);
                for (square, point) in squares.iter_mut().zip(second.chunks_exact(width)) {
                    let b = point[c];
                    *square += (new - b) * (new - b) - (old - b) * (old - b);
                }
            }
            total += squares.iter().map(|&square| self.root(square)).sum::<f64>();
        }
        total / self.top
    }
}

/// From `start`, the greedy growth to `keep` trajectories and then the exchanges that raise the
/// spread, with the final sum of squared distances. `squared` holds the squared distances of
/// every pair, `count` × `count`.
fn grow_and_exchange(squared: &[f64], count: usize, keep: usize, start: usize) -> (Vec<usize>, f64) {
    let distance = |m: usize, l: usize| squared[m * count + l];
    let mut chosen = vec![start];
    let mut in_set = vec![false; count];
    in_set[start] = true;
    // gain[c]: the sum of c's squared distances to the chosen trajectories.
    let mut gain: Vec<f64> = (0..count).map(|c| distance(c, start)).collect();
    while chosen.len() < keep {
        let mut best: Option<usize> = None;
        for c in (0..count).filter(|&c| !in_set[c]) {
            if best.is_none_or(|b| gain[c] > gain[b]) {
                best = Some(c);
            }
        }
        let Some(next) = best else { break };
        chosen.push(next);
        in_set[next] = true;
        for (c, value) in gain.iter_mut().enumerate() {
            *value += distance(c, next);
        }
    }

    let total = |gain: &[f64], chosen: &[usize]| chosen.iter().map(|&c| gain[c]).sum::<f64>() / 2.0;
    let threshold = total(&gain, &chosen) * 1e-12;
    // Each exchange strictly raises the spread, so none repeats; the cap only bounds the work
    // when rounding makes gains hover at the threshold.
    for _ in 0..keep * count {
        let mut best: Option<(usize, usize, f64)> = None;
        for (position, &outgoing) in chosen.iter().enumerate() {
            for c in (0..count).filter(|&c| !in_set[c]) {
                let improvement = gain[c] - distance(c, outgoing) - gain[outgoing];
                if improvement > threshold && best.is_none_or(|(_, _, b)| improvement > b) {
                    best = Some((position, c, improvement));
                }
            }
        }
        let Some((position, incoming, _)) = best else { break };
        let outgoing = chosen[position];
        chosen[position] = incoming;
        in_set[outgoing] = false;
        in_set[incoming] = true;
        for (c, value) in gain.iter_mut().enumerate() {
            *value += distance(c, incoming) - distance(c, outgoing);
        }
    }
    let spread = total(&gain, &chosen);
    (chosen, spread)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The spread of pool trajectories `chosen` from their pairwise squared distances.
    fn spread_of(pool: &[f64], size: usize, width: usize, chosen: &[usize]) -> f64 {
        let mut sum = 0.0;
        for (i, &m) in chosen.iter().enumerate() {
            for &l in &chosen[i + 1..] {
                sum += trajectory_distance(&pool[m * size..(m + 1) * size], &pool[l * size..(l + 1) * size], width)
                    .powi(2);
            }
        }
        sum.sqrt()
    }

    #[test]
    fn grid_distances_equal_the_direct_ones() {
        let design = Design::new(6, vec![0, 1, 1, 2, 0]).unwrap();
        let size = design.points() * design.parameters();
        let pool = design.trajectories(12, 4, None).unwrap();
        let grid = GridTrajectories::new(&pool, 5, design.points(), 5);
        let mut squares = vec![0; design.points()];
        for m in 0..12 {
            for l in 0..12 {
                let direct = trajectory_distance(&pool[m * size..(m + 1) * size], &pool[l * size..(l + 1) * size], 5);
                let fast = grid.distance(m, l, &mut squares);
                assert!((fast - direct).abs() <= 1e-12 * direct.max(1.0), "{m}, {l}: {fast} against {direct}");
            }
        }
    }

    #[test]
    fn the_heuristic_comes_close_to_the_exhaustive_best() {
        let design = Design::ungrouped(4, 3).unwrap();
        let size = design.points() * design.parameters();
        for seed in 0..20 {
            let pool = design.trajectories(10, seed, None).unwrap();
            let chosen = most_spread(&pool, 3, design.points(), 3, 4);
            let found = spread_of(&pool, size, 3, &chosen);
            let mut best: f64 = 0.0;
            for a in 0..10 {
                for b in a + 1..10 {
                    for c in b + 1..10 {
                        for d in c + 1..10 {
                            best = best.max(spread_of(&pool, size, 3, &[a, b, c, d]));
                        }
                    }
                }
            }
            assert!(found >= 0.99 * best, "seed {seed}: heuristic {found}, exhaustive {best}");
        }
    }
}
