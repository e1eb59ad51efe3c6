//! The analyses as a whole, from an experiment to a table: each plans its design from plain
//! options ([`SensitivityOptions`], [`LeverageOptions`], [`CompareOptions`]), runs it (or takes
//! the outcomes of a sweep of it) and turns the outcomes into its results and table.
//!
//! ```text
//! let study = Study { model: &compiled, plan: &plan };
//! let results = sensitivity(&study, &SensitivityOptions::new(Method::Sobol, &plan), &Silent)?;
//! let table = results.table();            // the rows of sensitivity.csv
//! ```
//!
//! Each analysis is also three steps, for callers that run the design elsewhere (a sweep of a
//! sampled design read back): `plan_*` gives the [`Runs`], [`evaluate`]
//! or a sweep measures them, and the plan's `analyze` reads the [`Evaluation`].

mod compare;
mod leverage;
mod sensitivity;

use fulcrum_explore::design::MAX_RUNS;
use fulcrum_explore::{FactorKind, InterventionError, MEMORY_LIMIT, Plan, Progress, Runs, SweepError, Table};
use fulcrum_sim::CompiledModel;

use crate::evaluate::{Evaluation, evaluate};
use crate::morris::MorrisError;
use crate::parameters::Parameter;
use crate::sobol::SobolError;

pub use compare::{
    BASELINE, CompareOptions, ComparePlan, CompareResults, Crossing, OutcomeComparison, compare, plan_compare,
};
pub use leverage::{
    LeverResult, LeverageOptions, LeveragePlan, LeverageResults, OutcomeLeverage, leverage, plan_leverage,
};
pub use sensitivity::{
    Measure, Method, SensitivityOptions, SensitivityPlan, SensitivityResults, TargetMeasures, plan_sensitivity,
    sensitivity,
};

/// An experiment bound to its compiled model: what every analysis plans from.
#[derive(Clone, Copy)]
pub struct Study<'a> {
    /// The model, compiled with the constants the experiment's interventions change part-way.
    pub model: &'a CompiledModel,
    /// The experiment's design, outcomes, levers and interventions bound to the model.
    pub plan: &'a Plan,
}

/// Why an analysis cannot be planned. Variants for which [`PlanError::about_experiment`] holds
/// describe the experiment file; a caller may put its path in front.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum PlanError {
    /// The experiment has a grid; analyses sample their own designs.
    #[error(
        "{analysis}: the experiment has a grid over `{axis}`; {analysis} samples its own design, so remove the grid (or use `fulcrum sweep` for grids)"
    )]
    Grid {
        /// The analysis.
        analysis: &'static str,
        /// The grid's first axis.
        axis: String,
    },
    /// The experiment varies nothing.
    #[error("the experiment has no [[uncertain]] constants or [[lever]]s to analyze")]
    NoParameters,
    /// Leverage needs levers.
    #[error("the experiment defines no [[lever]]; leverage is about what we control")]
    NoLevers,
    /// A lever at 0 has no percentage changes.
    #[error("lever `{0}` has the baseline 0, which no percentage changes; give it a nonzero baseline")]
    ZeroBaseline(String),
    /// Compare needs interventions.
    #[error("the experiment defines no [[intervention]] to compare with the baseline")]
    NoInterventions,
    /// Groups were given to a method that measures each parameter alone.
    #[error("--group: PRCC and SRC measure each parameter's own correlation; groups apply to oat, morris and sobol")]
    GroupsWithRegression,
    /// The groups name parameters wrongly.
    #[error("--group: {0}")]
    Groups(String),
    /// The design would not fit in memory.
    #[error(
        "{analysis}: {runs} runs would keep {:.1} GiB of inputs and outcomes, more than the {} GiB allowed; use fewer samples or futures",
        *bytes as f64 / f64::from(1 << 30),
        MEMORY_LIMIT >> 30
    )]
    TooLarge {
        /// The analysis (or its part).
        analysis: &'static str,
        /// Its runs.
        runs: u64,
        /// The bytes they would keep.
        bytes: u64,
    },
    /// Too few samples for the method's estimates to mean anything.
    #[error("--samples {samples}: {method} needs at least {least} for its estimates and intervals to mean anything")]
    TooFewSamples {
        /// The samples given.
        samples: usize,
        /// The method.
        method: &'static str,
        /// The least it takes.
        least: usize,
    },
    /// Too few futures for leverage's medians and intervals.
    #[error("--futures {futures}: leverage needs at least {least} futures for its medians and intervals")]
    TooFewFutures {
        /// The futures given.
        futures: u64,
        /// The least it takes.
        least: usize,
    },
    /// The Morris design cannot be made.
    #[error("morris: {0}")]
    Morris(MorrisError),
    /// The Sobol design cannot be made.
    #[error("sobol: {0}")]
    Sobol(SobolError),
    /// Leverage's Sobol cross-check cannot be made.
    #[error("the Sobol cross-check: {0}")]
    CrossCheck(SobolError),
    /// An intervention cannot be run.
    #[error("--intervention {name}: {error}")]
    Intervention {
        /// The intervention.
        name: String,
        /// Why.
        error: InterventionError,
    },
}

impl PlanError {
    /// Whether the problem is in the experiment file rather than in the options: its message
    /// reads best after the file's path.
    pub fn about_experiment(&self) -> bool {
        matches!(
            self,
            PlanError::NoParameters | PlanError::NoLevers | PlanError::ZeroBaseline(_) | PlanError::NoInterventions
        )
    }
}

/// Why an analysis failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum AnalysisError {
    /// It could not be planned.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// Its runs could not be made.
    #[error(transparent)]
    Sweep(#[from] SweepError),
}

impl Study<'_> {
    /// Refuses an experiment with a grid: an analysis samples its own design.
    pub fn check_no_grid(&self, analysis: &'static str) -> Result<(), PlanError> {
        match self.plan.design.factors.iter().find(|f| matches!(f.kind, FactorKind::Values(_))) {
            Some(axis) => Err(PlanError::Grid { analysis, axis: axis.name.clone() }),
            None => Ok(()),
        }
    }

    /// Measures the runs on the current rayon pool: every outcome of every run, and the
    /// series at every saved time.
    pub fn evaluate(&self, runs: &Runs, progress: &dyn Progress) -> Result<Evaluation, SweepError> {
        evaluate(self.model, runs.inputs(), runs.count(), &runs.settings, &self.plan.outcomes, runs.series, progress)
    }
}

/// Refuses, before anything runs, a design whose `runs` would keep more than [`MEMORY_LIMIT`]
/// bytes at `values_per_run` numbers each (its rows, outcomes and series).
pub fn check_size(analysis: &'static str, runs: u64, values_per_run: u64) -> Result<(), PlanError> {
    let bytes = runs.saturating_mul(values_per_run.max(1)).saturating_mul(8);
    if runs > MAX_RUNS || bytes > MEMORY_LIMIT {
        return Err(PlanError::TooLarge { analysis, runs, bytes });
    }
    Ok(())
}

/// The design rows in physical units: each unit value through `value` (a distribution's
/// quantile, or [`Parameter::grid_value`] for grids that reach 0 and 1); run `row` draws its
/// random numbers from stream `stream(row)`.
fn physical_table(
    parameters: &[Parameter],
    unit: &[f64],
    seed: u64,
    value: impl Fn(&Parameter, f64) -> f64,
    stream: impl Fn(usize) -> u64,
) -> Table {
    let width = parameters.len();
    let values: Vec<f64> =
        unit.chunks_exact(width).flat_map(|row| row.iter().zip(parameters).map(|(u, p)| value(p, *u))).collect();
    let streams = (0..unit.len() / width.max(1)).map(stream).collect();
    table(parameters, values, streams, seed)
}

/// A table of rows that set `parameters`' constants.
fn table(parameters: &[Parameter], values: Vec<f64>, streams: Vec<u64>, seed: u64) -> Table {
    Table { constants: parameters.iter().map(|p| p.constant).collect(), values, streams, seed, ..Table::default() }
}

/// A number as the report crate writes it: the shortest text that reads back the same, plain
/// from 1e-5 up to 1e16 and in exponent notation outside, `0` for either zero.
fn number_text(value: f64) -> String {
    let magnitude = value.abs();
    if value == 0.0 {
        "0".to_owned()
    } else if !value.is_finite() || (1e-5..1e16).contains(&magnitude) {
        format!("{value}")
    } else {
        format!("{value:e}")
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn numbers_read_as_the_report_writes_them() {
        assert_eq!(super::number_text(12.0), "12");
        assert_eq!(super::number_text(0.25), "0.25");
        assert_eq!(super::number_text(-0.0), "0");
        assert_eq!(super::number_text(1.5e-7), "1.5e-7");
        assert_eq!(super::number_text(1e300), "1e300");
    }
}
