//! Leverage: which levers move which outcomes disproportionately, over the experiment's
//! futures, with a Sobol total-order cross-check over the same ranges.

use fulcrum_explore::{Better, Part, Plan, Progress, Rows, Runs, Setting, Table};

use super::{AnalysisError, PlanError, Study, check_size, physical_table};
use crate::bootstrap::{DEFAULT_CONFIDENCE, DEFAULT_RESAMPLES, Resamples};
use crate::evaluate::Evaluation;
use crate::leverage::{self, DEFAULT_DELTA, Leverage, Options};
use crate::loop_changes::LoopDesign;
use crate::parameters::{Groups, Parameter, parameters};
use crate::sobol;
use crate::table::{Column, ResultTable};

/// How to run a leverage analysis.
#[derive(Clone, Debug, PartialEq)]
pub struct LeverageOptions {
    /// Futures to sample (the experiment's `runs` by default).
    pub futures: u64,
    /// The seed of the futures, the cross-check and the bootstrap resamples.
    pub seed: u64,
    /// The relative change of each lever (0.1 = ±10%).
    pub delta: f64,
    /// Whether to run the Sobol total-order cross-check (N(D+2) more runs).
    pub cross_check: bool,
    /// Bootstrap resamples for the intervals.
    pub resamples: usize,
    /// Confidence level of the intervals.
    pub confidence: f64,
}

impl LeverageOptions {
    /// The experiment's futures and seed, and the command line's defaults for the rest (±10%,
    /// the cross-check, 1000 resamples, 95% intervals). The futures are those of the plan's
    /// design, so change the experiment's `runs` (or this field) for more.
    pub fn new(plan: &Plan) -> LeverageOptions {
        LeverageOptions {
            futures: plan.design.runs(),
            seed: plan.design.seed,
            delta: DEFAULT_DELTA,
            cross_check: true,
            resamples: DEFAULT_RESAMPLES,
            confidence: DEFAULT_CONFIDENCE,
        }
    }
}

/// Leverage's design: every lever a little down and up in every future, then the Sobol
/// cross-check's rows, in one table whose columns are the uncertain constants and the levers.
#[derive(Clone, Debug)]
pub struct LeveragePlan {
    /// The runs.
    pub runs: Runs,
    /// The options it was planned with.
    pub options: LeverageOptions,
    /// The design's size in words.
    pub description: String,
    /// The cross-check's base sample size; 0 without it.
    pub cross_check_base: usize,
    all: Vec<Parameter>,
    levers: Vec<Parameter>,
    costs: Vec<Option<f64>>,
    /// Runs of the lever pairs; the cross-check's follow.
    lever_runs: u64,
}

/// Plans leverage's design.
pub fn plan_leverage(study: &Study<'_>, options: &LeverageOptions) -> Result<LeveragePlan, PlanError> {
    study.check_no_grid("leverage")?;
    let plan = study.plan;
    let all = parameters(plan, study.model);
    let (levers, uncertain): (Vec<Parameter>, Vec<Parameter>) = all.iter().cloned().partition(|p| p.lever);
    if levers.is_empty() {
        return Err(PlanError::NoLevers);
    }
    if let Some(zero) = levers.iter().find(|lever| lever.baseline == 0.0 && !lever.switch) {
        return Err(PlanError::ZeroBaseline(zero.name.clone()));
    }
    let costs: Vec<Option<f64>> = levers
        .iter()
        .map(|lever| plan.levers.iter().find(|l| l.constant == lever.constant).and_then(|l| l.cost_per_unit))
        .collect();
    // The experiment's sampler over its uncertain constants, with these futures and seed.
    let design = fulcrum_explore::Design { samples: options.futures, seed: options.seed, ..plan.design.clone() };
    let futures = design.runs();
    if futures < leverage::MIN_FUTURES as u64 {
        return Err(PlanError::TooFewFutures { futures, least: leverage::MIN_FUTURES });
    }
    let outcome_count = plan.outcomes.len() as u64;
    let lever_runs = futures.saturating_mul(2 * levers.len() as u64);
    check_size("leverage", lever_runs, all.len() as u64 + outcome_count)?;
    let cross_check_base = if options.cross_check { cross_check_size(futures) as usize } else { 0 };
    let per_base = sobol::runs_per_base(all.len(), false);
    if options.cross_check {
        let cross_check = (cross_check_base as u64).saturating_mul(per_base as u64);
        check_size("leverage (the Sobol cross-check)", cross_check, 2 * all.len() as u64 + outcome_count)?;
    }
    let mut values = Vec::with_capacity(futures as usize * uncertain.len());
    let mut row = vec![0.0; uncertain.len()];
    for future in 0..futures {
        design.row(future, &mut row);
        values.extend_from_slice(&row);
    }
    let (mut rows, mut streams) = leverage::design(&values, futures as usize, uncertain.len(), &levers, options.delta);
    let columns: Vec<&Parameter> = uncertain.iter().chain(&levers).collect();
    if options.cross_check {
        // Every uncertain constant and lever varied over its distribution or range, its columns
        // put in the lever pairs' order.
        let groups = Groups::each(&all);
        let unit = sobol::design(cross_check_base, &groups.of, false, options.seed).map_err(PlanError::CrossCheck)?;
        let quantile = |p: &Parameter, u: f64| p.distribution.quantile(u);
        let cross = physical_table(&all, &unit, options.seed, quantile, |row| (row / per_base) as u64);
        let positions: Vec<usize> = columns.iter().map(|p| index_of(&all, p)).collect();
        for row in cross.values.chunks_exact(all.len()) {
            rows.extend(positions.iter().map(|&position| row[position]));
        }
        streams.extend(cross.streams);
    }
    let table = Table {
        constants: columns.iter().map(|p| p.constant).collect(),
        values: rows,
        streams,
        seed: options.seed,
        ..Table::default()
    };
    let total = table.runs();
    let mut parts = vec![Part { name: "lever pairs".to_owned(), runs: [0, lever_runs] }];
    if options.cross_check {
        parts.push(Part { name: "sobol cross-check".to_owned(), runs: [lever_runs, total] });
    }
    let description = format!(
        "leverage: {} lever{} × 2 × {futures} futures = {lever_runs} runs{}",
        levers.len(),
        if levers.len() == 1 { "" } else { "s" },
        if options.cross_check {
            format!(
                ", and {} for the Sobol cross-check (N = {cross_check_base}, D = {})",
                total - lever_runs,
                all.len()
            )
        } else {
            String::new()
        }
    );
    let runs = Runs { inputs: Rows::Table(table), settings: plan.baseline.clone(), parts, series: None };
    Ok(LeveragePlan { runs, options: options.clone(), description, cross_check_base, all, levers, costs, lever_runs })
}

/// Plans, runs and analyzes a leverage analysis on the current rayon pool.
pub fn leverage(
    study: &Study<'_>,
    options: &LeverageOptions,
    progress: &dyn Progress,
) -> Result<LeverageResults, AnalysisError> {
    let plan = plan_leverage(study, options)?;
    let evaluation = study.evaluate(&plan.runs, progress)?;
    Ok(plan.analyze(study, &evaluation))
}

/// The base size of the Sobol cross-check: the futures rounded up to a power of two, and at
/// least 64 so that the indices are more than noise.
fn cross_check_size(futures: u64) -> u64 {
    futures.next_power_of_two().max(64)
}

fn index_of(all: &[Parameter], lever: &Parameter) -> usize {
    all.iter().position(|p| p.constant == lever.constant).unwrap_or(0)
}

/// One lever's leverage on one outcome.
#[derive(Clone, Debug, PartialEq)]
pub struct LeverResult {
    /// The lever's name.
    pub lever: String,
    /// Its leverage.
    pub leverage: Leverage,
    /// Its Sobol total-order index from the cross-check, when there is one.
    pub total_index: Option<f64>,
    /// Its rank by |score| (1 for the most leverage); `None` without a score.
    pub rank: Option<usize>,
    /// Its value today, from which it is moved by ±delta.
    pub baseline: f64,
    /// What one unit of change costs, when the experiment says.
    pub cost_per_unit: Option<f64>,
    /// A switch (a changes file), moved from not applied to applied rather than by ±delta.
    pub switch: bool,
}

/// Every lever's leverage on one outcome, by rank.
#[derive(Clone, Debug, PartialEq)]
pub struct OutcomeLeverage {
    /// The outcome.
    pub outcome: String,
    /// Which way is better, if the experiment says.
    pub better: Option<Better>,
    /// The levers, highest leverage first.
    pub levers: Vec<LeverResult>,
}

/// A leverage analysis's results.
#[derive(Clone, Debug, PartialEq)]
pub struct LeverageResults {
    /// Each outcome's levers.
    pub outcomes: Vec<OutcomeLeverage>,
    /// The relative change of each lever.
    pub delta: f64,
    /// The futures.
    pub futures: u64,
    /// What was left out of the estimates, and why.
    pub notes: Vec<String>,
    /// Runs made.
    pub runs: u64,
    /// Runs that produced NaN or infinity.
    pub failed_runs: u64,
}

impl LeverageResults {
    /// The columns of leverage.csv.
    pub const HEADER: [&'static str; 12] = [
        "outcome",
        "lever",
        "score",
        "p10",
        "p90",
        "ci_low",
        "ci_high",
        "sign_consistency",
        "disproportionate",
        "effect_per_cost",
        "total_index",
        "rank",
    ];

    /// leverage.csv: one row per outcome and lever, levers by rank.
    pub fn table(&self) -> ResultTable {
        let rows: Vec<(&str, &LeverResult)> = self
            .outcomes
            .iter()
            .flat_map(|outcome| outcome.levers.iter().map(move |lever| (outcome.outcome.as_str(), lever)))
            .collect();
        let [outcome, lever, score, p10, p90, low, high, sign, disproportionate, per_cost, total, rank] =
            LeverageResults::HEADER;
        let nan = f64::NAN;
        ResultTable {
            columns: vec![
                Column::text(outcome, rows.iter().map(|(o, _)| (*o).to_owned())),
                Column::text(lever, rows.iter().map(|(_, l)| l.lever.clone())),
                Column::number(score, rows.iter().map(|(_, l)| l.leverage.score.value)),
                Column::number(p10, rows.iter().map(|(_, l)| l.leverage.p10)),
                Column::number(p90, rows.iter().map(|(_, l)| l.leverage.p90)),
                Column::number(low, rows.iter().map(|(_, l)| l.leverage.score.low)),
                Column::number(high, rows.iter().map(|(_, l)| l.leverage.score.high)),
                Column::number(sign, rows.iter().map(|(_, l)| l.leverage.sign_consistency)),
                Column::flag(disproportionate, rows.iter().map(|(_, l)| l.leverage.disproportionate)),
                Column::number(per_cost, rows.iter().map(|(_, l)| l.leverage.effect_per_cost.unwrap_or(nan))),
                Column::number(total, rows.iter().map(|(_, l)| l.total_index.unwrap_or(nan))),
                Column::count(rank, rows.iter().map(|(_, l)| l.rank)),
            ],
        }
    }
}

impl LeveragePlan {
    /// The runs that say which loops each lever strengthens or weakens: the first `futures` of
    /// the lever pairs' futures (all of them when there are fewer), each with every lever at
    /// its baseline and with one lever at its high setting (its baseline + delta, clamped to its
    /// range; a switch applied) ([`loop_changes`](crate::loop_changes::loop_changes)).
    pub fn loop_design(&self, plan: &Plan, futures: u64) -> LoopDesign {
        let uncertain = self.all.len() - self.levers.len();
        let pairs = 2 * self.levers.len();
        let futures = (futures.min(self.lever_runs / pairs.max(1) as u64)) as usize;
        // The table's columns are the uncertain constants, then the levers; a future's first
        // lever-pair row holds its uncertain values.
        let empty = Table::default();
        let table = match &self.runs.inputs {
            Rows::Table(table) => table,
            Rows::Sample(_) => &empty,
        };
        let width = table.constants.len();
        let mut rows = Vec::with_capacity(futures * uncertain);
        let mut streams = Vec::with_capacity(futures);
        for future in 0..futures {
            let first = future * pairs;
            if let Some(row) = table.values.get(first * width..first * width + uncertain) {
                rows.extend_from_slice(row);
            }
            streams.push(table.streams.get(first).copied().unwrap_or(future as u64));
        }
        let options = self
            .levers
            .iter()
            .map(|lever| {
                let (high, _) = leverage::settings(lever, self.options.delta);
                let mut settings: Vec<Setting> =
                    plan.baseline.iter().filter(|setting| setting.constant != lever.constant).cloned().collect();
                settings.push(Setting { constant: lever.constant, value: high, from: None });
                (lever.name.clone(), settings)
            })
            .collect();
        LoopDesign {
            constants: table.constants.iter().take(uncertain).copied().collect(),
            rows,
            streams,
            seed: table.seed,
            baseline: plan.baseline.clone(),
            options,
        }
    }

    /// Each lever's leverage on each outcome from the outcomes of the plan's runs, on the
    /// current rayon pool.
    pub fn analyze(&self, study: &Study<'_>, evaluation: &Evaluation) -> LeverageResults {
        let (all, levers, options) = (&self.all, &self.levers, &self.options);
        let futures = self.lever_runs / (2 * levers.len() as u64).max(1);
        let outcome_count = study.plan.outcomes.len();
        let (lever_outcomes, cross_check_outcomes) =
            evaluation.outcomes.split_at((self.lever_runs as usize * outcome_count).min(evaluation.outcomes.len()));
        let outcome_of = |values: &[f64], o: usize| -> Vec<f64> {
            values.iter().skip(o).step_by(outcome_count.max(1)).copied().collect()
        };
        let estimator = Options {
            delta: options.delta,
            resamples: options.resamples,
            seed: options.seed,
            confidence: options.confidence,
        };
        let mut notes = Vec::new();
        let mut outcomes = Vec::new();
        for (o, outcome) in study.plan.outcomes.iter().enumerate() {
            let y = outcome_of(lever_outcomes, o);
            let results = leverage::analyze(&y, levers, &self.costs, &estimator);
            let totals: Option<Vec<f64>> = if self.cross_check_base == 0 {
                None
            } else {
                // Saltelli's matrices vary the parameters in the experiment's order, whatever
                // the order of the table's columns.
                let y = outcome_of(cross_check_outcomes, o);
                total_index(&y, all.len(), &mut notes, &outcome.name)
                    .map(|totals| levers.iter().map(|lever| totals[index_of(all, lever)]).collect())
            };
            let ranks = leverage::ranks(&results.iter().map(|r| r.score.value).collect::<Vec<_>>());
            let mut order: Vec<usize> = (0..levers.len()).collect();
            order.sort_by_key(|&i| ranks[i].unwrap_or(usize::MAX));
            if y.iter().any(|value| *value <= 0.0) {
                notes.push(format!(
                    "{}: the outcome is zero or negative in some runs, where an arc elasticity is hard to read \
                     (its denominator is the sum of the two outcomes); the slope's sign still gives the direction",
                    outcome.name
                ));
            }
            let mut ranked = Vec::new();
            for &index in &order {
                let result = &results[index];
                let missing = futures as usize - result.futures;
                if missing > 0 {
                    notes.push(format!(
                        "{} × {}: {missing} of {futures} futures have no defined elasticity (a failed run, or outcomes summing to zero)",
                        outcome.name, levers[index].name
                    ));
                }
                ranked.push(LeverResult {
                    lever: levers[index].name.clone(),
                    leverage: result.clone(),
                    total_index: totals.as_ref().map(|t| t[index]),
                    rank: ranks[index],
                    baseline: levers[index].baseline,
                    cost_per_unit: self.costs.get(index).copied().flatten(),
                    switch: levers[index].switch,
                });
            }
            outcomes.push(OutcomeLeverage { outcome: outcome.name.clone(), better: outcome.better, levers: ranked });
        }
        LeverageResults {
            outcomes,
            delta: options.delta,
            futures,
            notes,
            runs: self.runs.count(),
            failed_runs: evaluation.failed_runs,
        }
    }
}

/// Sobol total-order indices of every parameter from the cross-check's outcomes; `None`
/// (with a note) when they cannot be estimated.
fn total_index(y: &[f64], parameters: usize, notes: &mut Vec<String>, outcome: &str) -> Option<Vec<f64>> {
    let (kept, dropped) = match sobol::drop_failed(y, parameters, false) {
        Ok(kept) => kept,
        Err(error) => {
            notes.push(format!("{outcome}: no Sobol cross-check: {error}"));
            return None;
        }
    };
    if dropped > 0 {
        notes.push(format!(
            "{outcome}: the Sobol cross-check left out {dropped} base samples without a value (a failed run or an undefined outcome)"
        ));
    }
    let base = kept.len() / sobol::runs_per_base(parameters, false);
    if base == 0 {
        return None;
    }
    match sobol::analyze(&kept, parameters, false, &Resamples::new(0, base, 0), 0.95) {
        Ok(indices) => Some(indices.total.iter().map(|t| t.value).collect()),
        Err(error) => {
            notes.push(format!("{outcome}: no Sobol cross-check: {error}"));
            None
        }
    }
}
