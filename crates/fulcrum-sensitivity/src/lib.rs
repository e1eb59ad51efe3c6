//! Sensitivity analysis: how much each parameter moves each outcome, and which levers and
//! interventions move them disproportionately.
//!
//! The estimators work on plain numbers (rows of inputs, one outcome per row) so that they can
//! be checked against SALib's golden inputs and analytic test functions: [`oat`] (one at a time,
//! elasticities), [`morris`] (elementary effects), [`sobol`] (Saltelli's design and estimators)
//! and [`regression`] (PRCC, SRC). [`leverage`](mod@leverage) and [`compare`](mod@compare) turn ensembles of paired runs
//! into the planner's tables, and [`loop_changes`](mod@loop_changes) says which feedback loops an
//! intervention or a lever strengthens or weakens, over futures. Every interval comes from
//! [`bootstrap`] resamples that are a pure function of the seed.
//!
//! [`analysis`] is each analysis as a whole, from an experiment bound to its model (a
//! [`Study`]) and plain options to results and the table of the CSV file ([`ResultTable`]):
//!
//! ```text
//! let study = Study { model: &compiled, plan: &plan };
//! let results = sensitivity(&study, &SensitivityOptions::new(Method::Sobol, &plan), &Silent)?;
//! let table = results.table();   // sensitivity.csv, column by column
//! let results = leverage(&study, &LeverageOptions::new(&plan), &Silent)?;
//! let results = compare(&study, &CompareOptions::new(&plan), &Silent)?;
//! ```

pub mod analysis;
pub mod bootstrap;
pub mod compare;
pub mod evaluate;
pub mod leverage;
pub mod loop_changes;
pub mod morris;
pub mod oat;
pub mod parameters;
pub mod regression;
pub mod sobol;
pub mod table;

pub use analysis::{
    AnalysisError, CompareOptions, CompareResults, LeverageOptions, LeverageResults, Method, PlanError,
    SensitivityOptions, SensitivityResults, Study, compare, leverage, plan_compare, plan_leverage, plan_sensitivity,
    sensitivity,
};
pub use table::{Column, ResultTable, Values};

/// A number with its confidence interval (NaN bounds where there is none).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Estimate {
    /// The point estimate.
    pub value: f64,
    /// The lower end of the interval.
    pub low: f64,
    /// The upper end of the interval.
    pub high: f64,
}

impl Estimate {
    /// A value with no interval.
    pub fn bare(value: f64) -> Estimate {
        Estimate { value, low: f64::NAN, high: f64::NAN }
    }

    /// A value ± a half-width.
    pub fn plus_minus(value: f64, half_width: f64) -> Estimate {
        Estimate { value, low: value - half_width, high: value + half_width }
    }
}

/// Competition ranks ("1224"): 1 + how many keys are strictly smaller; `None` for NaN keys.
/// Ties share a rank, so a constant outcome ranks every option first.
pub fn ranks(keys: &[f64]) -> Vec<Option<usize>> {
    keys.iter().map(|key| (!key.is_nan()).then(|| 1 + keys.iter().filter(|other| **other < *key).count())).collect()
}

#[cfg(test)]
mod tests {
    #[test]
    fn ties_share_a_rank_and_nan_has_none() {
        assert_eq!(super::ranks(&[0.5, 0.1, 0.5, f64::NAN, 2.0]), [Some(2), Some(1), Some(2), None, Some(4)]);
    }
}
