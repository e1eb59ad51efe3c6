//! Compare: the baseline and every intervention over the same futures, compared future by
//! future.

use fulcrum_explore::{Better, Part, Plan, Progress, Rows, Runs, Table};

use super::{AnalysisError, PlanError, Study, check_size};
use crate::compare::Comparison;
use crate::evaluate::Evaluation;
use crate::loop_changes::LoopDesign;
use crate::table::{Column, ResultTable};

/// The name of the baseline option in the tables.
pub const BASELINE: &str = "baseline";

/// How to run a comparison.
#[derive(Clone, Debug, PartialEq)]
pub struct CompareOptions {
    /// Futures to sample (the experiment's `runs` by default).
    pub futures: u64,
    /// The seed of the futures.
    pub seed: u64,
}

impl CompareOptions {
    /// The experiment's futures and seed.
    pub fn new(plan: &Plan) -> CompareOptions {
        CompareOptions { futures: plan.design.runs(), seed: plan.design.seed }
    }
}

/// Compare's design: the experiment's futures once per option (the baseline, then each
/// intervention), each option's runs with its own settings.
#[derive(Clone, Debug)]
pub struct ComparePlan {
    /// The runs.
    pub runs: Runs,
    /// The options' names: the baseline, then the interventions.
    pub names: Vec<String>,
    /// Each option's cost (none for the baseline).
    pub costs: Vec<Option<f64>>,
    /// The futures.
    pub futures: u64,
    /// The design's size in words.
    pub description: String,
}

/// Plans compare's design.
pub fn plan_compare(study: &Study<'_>, options: &CompareOptions) -> Result<ComparePlan, PlanError> {
    study.check_no_grid("compare")?;
    let plan = study.plan;
    if plan.interventions.is_empty() {
        return Err(PlanError::NoInterventions);
    }
    let design = fulcrum_explore::Design { samples: options.futures, seed: options.seed, ..plan.design.clone() };
    let futures = design.runs();
    let option_count = 1 + plan.interventions.len() as u64;
    check_size(
        "compare",
        futures.saturating_mul(option_count),
        design.factors.len() as u64 + 2 * plan.outcomes.len() as u64,
    )?;
    let mut names = vec![BASELINE.to_owned()];
    let mut costs = vec![None];
    for intervention in &plan.interventions {
        names.push(intervention.name.clone());
        costs.push(intervention.cost);
    }
    let mut settings = Vec::new();
    for (index, name) in names.iter().enumerate() {
        let intervention = (index > 0).then_some(name.as_str());
        let (own, _) =
            plan.settings(intervention).map_err(|error| PlanError::Intervention { name: name.clone(), error })?;
        settings.push(own);
    }
    let width = design.factors.len();
    let mut future_rows = vec![0.0; futures as usize * width];
    for (future, row) in future_rows.chunks_exact_mut(width.max(1)).enumerate().take(futures as usize) {
        design.row(future as u64, row);
    }
    let table = Table {
        constants: design.factors.iter().map(|factor| factor.constant).collect(),
        values: future_rows.repeat(names.len()),
        streams: (0..names.len()).flat_map(|_| (0..futures).map(|future| design.future(future))).collect(),
        seed: design.seed,
        options: settings,
        option_of: (0..names.len() as u32).flat_map(|o| std::iter::repeat_n(o, futures as usize)).collect(),
    };
    let parts = names
        .iter()
        .enumerate()
        .map(|(o, name)| Part { name: name.clone(), runs: [o as u64 * futures, (o as u64 + 1) * futures] })
        .collect();
    let description = format!("compare: {} options × {futures} futures = {} runs", names.len(), table.runs());
    Ok(ComparePlan {
        runs: Runs { inputs: Rows::Table(table), settings: Vec::new(), parts, series: None },
        names,
        costs,
        futures,
        description,
    })
}

/// Plans, runs and analyzes a comparison on the current rayon pool.
pub fn compare(
    study: &Study<'_>,
    options: &CompareOptions,
    progress: &dyn Progress,
) -> Result<CompareResults, AnalysisError> {
    let plan = plan_compare(study, options)?;
    let evaluation = study.evaluate(&plan.runs, progress)?;
    Ok(plan.analyze(study, &evaluation))
}

/// Every option's numbers on one outcome.
#[derive(Clone, Debug, PartialEq)]
pub struct OutcomeComparison {
    /// The outcome.
    pub outcome: String,
    /// Which way is better, if the experiment says.
    pub better: Option<Better>,
    /// One row per option, the baseline first.
    pub options: Vec<Comparison>,
    /// Each intervention's paired differences to the baseline (its value minus the baseline's)
    /// in the futures where every option has a value.
    pub differences: Vec<(String, Vec<f64>)>,
    /// Futures left out because some option has no value in them.
    pub dropped: usize,
    /// For a threshold outcome (`first_above`, `first_below`): each option's crossings, the
    /// baseline first. A future where the threshold is never crossed is a result, not a gap.
    pub crossings: Option<Vec<Crossing>>,
}

/// How often, and when, one option crosses a threshold outcome's threshold.
#[derive(Clone, Debug, PartialEq)]
pub struct Crossing {
    /// Futures in which it is crossed.
    pub crossed: usize,
    /// Futures in all (a failed run counts as not crossed; the notes say how many failed).
    pub futures: usize,
    /// The median, 10th and 90th percentile time of crossing over the futures where it is
    /// crossed; NaN when it never is.
    pub p50: f64,
    /// 10th percentile.
    pub p10: f64,
    /// 90th percentile.
    pub p90: f64,
}

impl Crossing {
    /// The crossings in one option's outcome values (NaN where never crossed).
    pub fn of(values: &[f64]) -> Crossing {
        let crossed: Vec<f64> = values.iter().copied().filter(|value| value.is_finite()).collect();
        let q = fulcrum_explore::bands::quantiles_of(&crossed, &[0.1, 0.5, 0.9]);
        Crossing { crossed: crossed.len(), futures: values.len(), p50: q[1], p10: q[0], p90: q[2] }
    }
}

/// A comparison's results.
#[derive(Clone, Debug, PartialEq)]
pub struct CompareResults {
    /// The options' names: the baseline, then the interventions.
    pub names: Vec<String>,
    /// Each option's cost.
    pub costs: Vec<Option<f64>>,
    /// The futures.
    pub futures: u64,
    /// Each outcome's comparison.
    pub outcomes: Vec<OutcomeComparison>,
    /// What was left out, and why.
    pub notes: Vec<String>,
    /// Runs made.
    pub runs: u64,
    /// Runs that produced NaN or infinity.
    pub failed_runs: u64,
}

impl CompareResults {
    /// The columns of comparison.csv.
    pub const HEADER: [&'static str; 17] = [
        "outcome",
        "intervention",
        "cost",
        "mean",
        "p10",
        "p50",
        "p90",
        "delta_mean",
        "delta_p10",
        "delta_p50",
        "delta_p90",
        "prob_better",
        "expected_regret",
        "effect_per_cost",
        "rank",
        "crossed_share",
        "crossed_p50",
    ];

    /// comparison.csv: one row per outcome and option, the baseline first.
    pub fn table(&self) -> ResultTable {
        // A threshold outcome's crossings, by row: empty cells for other outcomes.
        let crossings: Vec<Option<&Crossing>> = self
            .outcomes
            .iter()
            .flat_map(|outcome| {
                (0..outcome.options.len()).map(move |index| outcome.crossings.as_ref().and_then(|c| c.get(index)))
            })
            .collect();
        let rows: Vec<(&str, usize, &Comparison)> = self
            .outcomes
            .iter()
            .flat_map(|outcome| {
                outcome.options.iter().enumerate().map(move |(index, row)| (outcome.outcome.as_str(), index, row))
            })
            .collect();
        let [
            outcome,
            intervention,
            cost,
            mean,
            p10,
            p50,
            p90,
            d_mean,
            d_p10,
            d_p50,
            d_p90,
            better,
            regret,
            per_cost,
            rank,
            crossed_share,
            crossed_p50,
        ] = CompareResults::HEADER;
        let nan = f64::NAN;
        let number = |name, value: fn(&Comparison) -> f64| Column::number(name, rows.iter().map(|(_, _, r)| value(r)));
        ResultTable {
            columns: vec![
                Column::text(outcome, rows.iter().map(|(o, _, _)| (*o).to_owned())),
                Column::text(intervention, rows.iter().map(|(_, i, _)| self.names[*i].clone())),
                Column::number(cost, rows.iter().map(|(_, i, _)| self.costs[*i].unwrap_or(nan))),
                number(mean, |r| r.mean),
                number(p10, |r| r.p10),
                number(p50, |r| r.p50),
                number(p90, |r| r.p90),
                number(d_mean, |r| r.delta_mean),
                number(d_p10, |r| r.delta_p10),
                number(d_p50, |r| r.delta_p50),
                number(d_p90, |r| r.delta_p90),
                number(better, |r| r.prob_better),
                number(regret, |r| r.expected_regret),
                number(per_cost, |r| r.effect_per_cost.unwrap_or(f64::NAN)),
                Column::count(rank, rows.iter().map(|(_, _, r)| r.rank)),
                Column::number(
                    crossed_share,
                    crossings.iter().map(|c| c.map_or(nan, |c| c.crossed as f64 / c.futures.max(1) as f64)),
                ),
                Column::number(crossed_p50, crossings.iter().map(|c| c.map_or(nan, |c| c.p50))),
            ],
        }
    }
}

impl ComparePlan {
    /// The runs that say which loops each intervention strengthens or weakens: the first
    /// `futures` of the comparison's futures (all of them when it has fewer), each under the
    /// baseline and under every intervention
    /// ([`loop_changes`](crate::loop_changes::loop_changes)).
    pub fn loop_design(&self, futures: u64) -> LoopDesign {
        // plan_compare writes its runs as a table; any other rows have no options to compare.
        let empty = Table::default();
        let table = match &self.runs.inputs {
            Rows::Table(table) => table,
            Rows::Sample(_) => &empty,
        };
        let futures = futures.min(self.futures) as usize;
        let width = table.constants.len();
        let mut options = table.options.iter().zip(&self.names);
        let baseline = options.next().map(|(settings, _)| settings.clone()).unwrap_or_default();
        LoopDesign {
            constants: table.constants.clone(),
            rows: table.values.iter().take(futures * width).copied().collect(),
            streams: table.streams.iter().take(futures).copied().collect(),
            seed: table.seed,
            baseline,
            options: options.map(|(settings, name)| (name.clone(), settings.clone())).collect(),
        }
    }

    /// Every option's numbers on every outcome from the outcomes of the plan's runs.
    pub fn analyze(&self, study: &Study<'_>, evaluation: &Evaluation) -> CompareResults {
        let outcome_count = study.plan.outcomes.len();
        let futures = self.futures;
        // Each option's outcomes, in future order.
        let per_option = futures as usize * outcome_count;
        let evaluations: Vec<&[f64]> = (0..self.names.len())
            .map(|o| evaluation.outcomes.get(o * per_option..(o + 1) * per_option).unwrap_or(&[]))
            .collect();
        let mut notes = Vec::new();
        let mut outcomes = Vec::new();
        for (o, outcome) in study.plan.outcomes.iter().enumerate() {
            let values: Vec<Vec<f64>> = evaluations
                .iter()
                .map(|option| option.iter().skip(o).step_by(outcome_count.max(1)).copied().collect())
                .collect();
            let (compared, dropped) = crate::compare::compare(&values, &self.costs, outcome.better);
            if dropped > 0 {
                notes.push(format!(
                    "{}: {dropped} of {futures} futures left out (a run failed or the outcome is undefined in some option)",
                    outcome.name
                ));
            }
            // The futures the table describes: those where every option has a value.
            let kept: Vec<usize> =
                (0..values[0].len()).filter(|&f| values.iter().all(|option| option[f].is_finite())).collect();
            let differences = self
                .names
                .iter()
                .zip(&values)
                .skip(1)
                .map(|(name, own)| (name.clone(), kept.iter().map(|&f| own[f] - values[0][f]).collect()))
                .collect();
            outcomes.push(OutcomeComparison {
                outcome: outcome.name.clone(),
                better: outcome.better,
                options: compared,
                differences,
                dropped,
                crossings: outcome.statistic.is_threshold().then(|| values.iter().map(|v| Crossing::of(v)).collect()),
            });
        }
        CompareResults {
            names: self.names.clone(),
            costs: self.costs.clone(),
            futures,
            outcomes,
            notes,
            runs: self.runs.count(),
            failed_runs: evaluation.failed_runs,
        }
    }
}
