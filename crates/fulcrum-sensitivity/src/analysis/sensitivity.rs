//! Sensitivity: how much each parameter (or group) moves each outcome, by one of five methods,
//! per outcome and optionally per saved time of one variable.

use fulcrum_explore::{Design, Factor, FactorKind, Plan, Progress, Rows, Runs};
use fulcrum_sim::VarId;

use super::{AnalysisError, PlanError, Study, check_size, number_text, physical_table, table};
use crate::Estimate;
use crate::bootstrap::{DEFAULT_CONFIDENCE, DEFAULT_RESAMPLES, Resamples};
use crate::evaluate::Evaluation;
use crate::oat::DEFAULT_STEP;
use crate::parameters::{Groups, Parameter, parameters};
use crate::table::{Column, ResultTable};
use crate::{morris, oat, regression, sobol};

/// The sensitivity methods.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    /// One at a time around the baseline: low/high outcomes and elasticities.
    Oat,
    /// Morris elementary effects: mu, mu*, sigma.
    Morris,
    /// Sobol indices by Saltelli's design: S1, ST (and S2).
    Sobol,
    /// Partial rank correlation coefficients.
    Prcc,
    /// Standardized regression coefficients.
    Src,
}

impl Method {
    /// The name in files and on the command line.
    pub fn as_str(self) -> &'static str {
        match self {
            Method::Oat => "oat",
            Method::Morris => "morris",
            Method::Sobol => "sobol",
            Method::Prcc => "prcc",
            Method::Src => "src",
        }
    }

    /// The measure the method ranks parameters by.
    pub fn main_measure(self) -> &'static str {
        match self {
            Method::Oat => "elasticity",
            Method::Morris => "mu_star",
            Method::Sobol => "ST",
            Method::Prcc => "prcc",
            Method::Src => "src",
        }
    }
}

/// How to run a sensitivity analysis.
#[derive(Clone, Debug, PartialEq)]
pub struct SensitivityOptions {
    /// The method.
    pub method: Method,
    /// The base sample size N: Sobol runs N(D+2) models, Morris N trajectories of D+1 runs,
    /// PRCC and SRC N runs; one at a time ignores it.
    pub samples: usize,
    /// The seed of the design and of the bootstrap resamples.
    pub seed: u64,
    /// Sobol: also second-order indices (N(2D+2) runs).
    pub second_order: bool,
    /// Morris: grid levels p (even).
    pub levels: usize,
    /// Morris: choose the trajectories with the widest spread out of this many.
    pub optimize: Option<usize>,
    /// One at a time: the relative step of the elasticity.
    pub step: f64,
    /// Also analyze this variable at every saved time.
    pub over_time: Option<VarId>,
    /// Parameters that move as one: (group name, parameter names).
    pub groups: Vec<(String, Vec<String>)>,
    /// Bootstrap resamples for the confidence intervals.
    pub resamples: usize,
    /// Confidence level of the intervals.
    pub confidence: f64,
}

impl SensitivityOptions {
    /// `method` with the experiment's sample size and seed, and the command line's defaults for
    /// the rest (4 Morris levels, a 1% step, 1000 resamples, 95% intervals).
    pub fn new(method: Method, plan: &Plan) -> SensitivityOptions {
        SensitivityOptions {
            method,
            samples: plan.design.samples as usize,
            seed: plan.design.seed,
            second_order: false,
            levels: 4,
            optimize: None,
            step: DEFAULT_STEP,
            over_time: None,
            groups: Vec::new(),
            resamples: DEFAULT_RESAMPLES,
            confidence: DEFAULT_CONFIDENCE,
        }
    }
}

/// A method's design, and what reading its outcomes back needs.
#[derive(Clone, Debug)]
pub struct SensitivityPlan {
    /// The runs (rows in physical units).
    pub runs: Runs,
    /// The parameters, in column order.
    pub parameters: Vec<Parameter>,
    /// The groups the method varies.
    pub groups: Groups,
    /// The options it was planned with.
    pub options: SensitivityOptions,
    /// The design's size in words (`sobol: N = 64 × (3 + 2) = 320 runs`).
    pub description: String,
    /// What the caller should know before the runs (a Sobol N that is not a power of two).
    pub warnings: Vec<String>,
    /// The rows in the unit hypercube (Morris, Sobol).
    unit: Vec<f64>,
}

/// Plans the method's design, refusing sizes that cannot give meaningful estimates.
pub fn plan_sensitivity(study: &Study<'_>, options: &SensitivityOptions) -> Result<SensitivityPlan, PlanError> {
    study.check_no_grid("sensitivity")?;
    let method = options.method;
    let all = parameters(study.plan, study.model);
    if all.is_empty() {
        return Err(PlanError::NoParameters);
    }
    if !options.groups.is_empty() && matches!(method, Method::Prcc | Method::Src) {
        return Err(PlanError::GroupsWithRegression);
    }
    let groups = if options.groups.is_empty() {
        Groups::each(&all)
    } else {
        Groups::named(&all, &options.groups).map_err(PlanError::Groups)?
    };
    let series = options.over_time;
    let n = options.samples;
    let seed = options.seed;
    let (p, g) = (all.len() as u64, groups.len() as u64);
    let planned_runs = match method {
        Method::Oat => 1 + 4 * g,
        Method::Morris => (n as u64).saturating_mul(g + 1),
        Method::Sobol => (n as u64).saturating_mul(sobol::runs_per_base(groups.len(), options.second_order) as u64),
        Method::Prcc | Method::Src => n as u64,
    };
    let saves = if series.is_some() { study.model.axis().save_count() as u64 } else { 0 };
    // The rows (in unit and physical values), and each run's outcomes and series twice: as
    // run and as the estimators read them.
    let outcome_count = study.plan.outcomes.len() as u64;
    check_size("sensitivity", planned_runs, 2 * p + 2 * (outcome_count + saves))?;
    let least = match method {
        Method::Oat => 1,
        Method::Morris => 2,
        Method::Sobol => 8,
        Method::Prcc | Method::Src => all.len() + 3,
    };
    if n < least {
        return Err(PlanError::TooFewSamples { samples: n, method: method.as_str(), least });
    }
    let mut warnings = Vec::new();
    if method == Method::Sobol && !n.is_power_of_two() {
        warnings.push(format!("--samples {n} is not a power of two; Sobol estimates converge best at N = 2^k"));
    }
    let (table, unit) = match method {
        Method::Oat => {
            let rows = oat::design(&all, &groups, options.step);
            let runs = rows.len() / all.len();
            (table(&all, rows, vec![0; runs], seed), Vec::new())
        }
        Method::Morris => {
            let unit = morris::Design::new(options.levels, groups.of.clone())
                .and_then(|design| design.trajectories(n, seed, options.optimize))
                .map_err(PlanError::Morris)?;
            let per_trajectory = groups.len() + 1;
            (physical_table(&all, &unit, seed, Parameter::grid_value, |row| (row / per_trajectory) as u64), unit)
        }
        Method::Sobol => {
            let unit = sobol::design(n, &groups.of, options.second_order, seed).map_err(PlanError::Sobol)?;
            let per_base = sobol::runs_per_base(groups.len(), options.second_order);
            let quantile = |p: &Parameter, u: f64| p.distribution.quantile(u);
            (physical_table(&all, &unit, seed, quantile, |row| (row / per_base) as u64), unit)
        }
        Method::Prcc | Method::Src => {
            // The experiment's sampler over every parameter, written out.
            let design = Design {
                factors: all
                    .iter()
                    .map(|p| Factor {
                        name: p.name.clone(),
                        constant: p.constant,
                        kind: FactorKind::Uncertain(p.distribution.clone()),
                    })
                    .collect(),
                sampler: study.plan.design.sampler,
                samples: n as u64,
                seed,
                // Sensitivity indices are of the distributions as declared, never of a posterior.
                drawn: None,
            };
            let mut values = vec![0.0; n * all.len()];
            for (run, row) in values.chunks_exact_mut(all.len()).enumerate() {
                design.row(run as u64, row);
            }
            let streams = (0..n as u64).map(|run| design.future(run)).collect();
            (table(&all, values, streams, seed), Vec::new())
        }
    };
    let count = table.runs();
    let runs = Runs {
        inputs: Rows::Table(table),
        settings: study.plan.baseline.clone(),
        parts: Runs::whole(method.as_str(), count),
        series,
    };
    let description = describe_size(method, n, &groups, options.second_order, count);
    Ok(SensitivityPlan { runs, parameters: all, groups, options: options.clone(), description, warnings, unit })
}

/// Plans, runs and analyzes a sensitivity analysis on the current rayon pool.
pub fn sensitivity(
    study: &Study<'_>,
    options: &SensitivityOptions,
    progress: &dyn Progress,
) -> Result<SensitivityResults, AnalysisError> {
    let plan = plan_sensitivity(study, options)?;
    let evaluation = study.evaluate(&plan.runs, progress)?;
    Ok(plan.analyze(study, &evaluation))
}

fn describe_size(method: Method, n: usize, groups: &Groups, second_order: bool, runs: u64) -> String {
    let d = groups.len();
    match method {
        Method::Oat => format!("oat: 1 + 4 × {d} parameters = {runs} runs"),
        Method::Morris => format!("morris: {n} trajectories × ({d} + 1) = {runs} runs"),
        Method::Sobol if second_order => format!("sobol: N = {n} × (2 × {d} + 2) = {runs} runs"),
        Method::Sobol => format!("sobol: N = {n} × ({d} + 2) = {runs} runs"),
        Method::Prcc | Method::Src => format!("{}: {runs} runs", method.as_str()),
    }
}

/// One number of sensitivity.csv: the parameter (or group, or pair), the measure, the value.
#[derive(Clone, Debug, PartialEq)]
pub struct Measure {
    /// The parameter, group or pair (`a:b`); empty for measures of the whole (baseline, R²).
    pub parameter: String,
    /// The measure (`ST`, `mu_star`, `elasticity`, ...).
    pub measure: &'static str,
    /// Its value and interval.
    pub estimate: Estimate,
}

/// The measures of one outcome, or of the series at one saved time.
#[derive(Clone, Debug, PartialEq)]
pub struct TargetMeasures {
    /// The outcome's name, or the series variable's.
    pub outcome: String,
    /// The saved time, for the series.
    pub time: Option<f64>,
    /// The method's measures.
    pub measures: Vec<Measure>,
}

/// A sensitivity analysis's results.
#[derive(Clone, Debug, PartialEq)]
pub struct SensitivityResults {
    /// The method.
    pub method: Method,
    /// Whether the series was analyzed too (sensitivity.csv then has a `time` column).
    pub over_time: bool,
    /// Each outcome's measures, then the series' at each saved time.
    pub targets: Vec<TargetMeasures>,
    /// What was left out of the estimates, and why.
    pub notes: Vec<String>,
    /// Runs made, and how many of them failed.
    pub runs: u64,
    /// Runs that produced NaN or infinity.
    pub failed_runs: u64,
}

impl SensitivityResults {
    /// The columns of sensitivity.csv (with the series, `time` follows `outcome`).
    pub const HEADER: [&'static str; 7] =
        ["outcome", "parameter", "method", "measure", "estimate", "ci_low", "ci_high"];

    /// sensitivity.csv: one row per target, parameter and measure.
    pub fn table(&self) -> ResultTable {
        let rows: Vec<(&TargetMeasures, &Measure)> =
            self.targets.iter().flat_map(|target| target.measures.iter().map(move |m| (target, m))).collect();
        let [outcome, parameter, method, measure, estimate, low, high] = SensitivityResults::HEADER;
        let mut columns = vec![Column::text(outcome, rows.iter().map(|(t, _)| t.outcome.clone()))];
        if self.over_time {
            columns.push(Column::number("time", rows.iter().map(|(t, _)| t.time.unwrap_or(f64::NAN))));
        }
        columns.extend([
            Column::text(parameter, rows.iter().map(|(_, m)| m.parameter.clone())),
            Column::text(method, rows.iter().map(|_| self.method.as_str().to_owned())),
            Column::text(measure, rows.iter().map(|(_, m)| m.measure.to_owned())),
            Column::number(estimate, rows.iter().map(|(_, m)| m.estimate.value)),
            Column::number(low, rows.iter().map(|(_, m)| m.estimate.low)),
            Column::number(high, rows.iter().map(|(_, m)| m.estimate.high)),
        ]);
        ResultTable { columns }
    }
}

impl SensitivityPlan {
    /// The measures from the outcomes of the plan's runs, on the current rayon pool (the
    /// bootstrap resamples run in parallel; the numbers are the same for any pool).
    pub fn analyze(&self, study: &Study<'_>, evaluation: &Evaluation) -> SensitivityResults {
        // The rows the model saw, for Morris's physical units and the regressions.
        let physical = match &self.runs.inputs {
            Rows::Table(table) => table.values.as_slice(),
            Rows::Sample(_) => &[],
        };
        let outcomes = &study.plan.outcomes;
        let mut targets: Vec<(String, Option<f64>, Vec<f64>)> = outcomes
            .iter()
            .enumerate()
            .map(|(o, outcome)| (outcome.name.clone(), None, evaluation.outcome(o, outcomes.len())))
            .collect();
        if let Some(variable) = self.runs.series {
            let name = study.model.name(variable).to_owned();
            let times = study.model.axis().save_times();
            let saves = study.model.axis().save_count();
            for (save, time) in times.iter().enumerate() {
                targets.push((name.clone(), Some(*time), evaluation.at_save(save, saves)));
            }
        }
        let mut notes = Vec::new();
        let targets = targets
            .into_iter()
            .map(|(outcome, time, y)| {
                let label = match time {
                    Some(time) => format!("{outcome} at time {}", number_text(time)),
                    None => outcome.clone(),
                };
                let measures = self.measure(physical, &y, &label, &mut notes);
                TargetMeasures { outcome, time, measures }
            })
            .collect();
        SensitivityResults {
            method: self.options.method,
            over_time: self.runs.series.is_some(),
            targets,
            notes,
            runs: self.runs.count(),
            failed_runs: evaluation.failed_runs,
        }
    }

    /// The method's measures for one outcome (or one saved time); problems become notes.
    fn measure(&self, physical: &[f64], y: &[f64], target: &str, notes: &mut Vec<String>) -> Vec<Measure> {
        let options = &self.options;
        let (resamples, confidence, seed) = (options.resamples, options.confidence, options.seed);
        let names = &self.groups.names;
        let mut measures = Vec::new();
        let mut push = |parameter: &str, measure: &'static str, estimate: Estimate| {
            measures.push(Measure { parameter: parameter.to_owned(), measure, estimate });
        };
        match options.method {
            Method::Oat => {
                let Some((baseline, effects)) = oat::analyze(y, &self.parameters, &self.groups, options.step) else {
                    return measures;
                };
                push("", "baseline", Estimate::bare(baseline));
                for (name, effect) in names.iter().zip(&effects) {
                    push(name, "low", Estimate::bare(effect.low));
                    push(name, "high", Estimate::bare(effect.high));
                    push(name, "elasticity", Estimate::bare(effect.elasticity));
                }
                let failed = y.iter().filter(|v| !v.is_finite()).count();
                if failed > 0 {
                    notes.push(format!("{target}: {failed} of {} one-at-a-time runs have no value", y.len()));
                }
            }
            Method::Morris => {
                let Ok(design) = morris::Design::new(options.levels, self.groups.of.clone()) else {
                    return measures;
                };
                match design.analyze(&self.unit, physical, y, resamples, seed, confidence) {
                    Ok(indices) => {
                        if indices.dropped > 0 {
                            notes.push(format!(
                                "{target}: {} of {} trajectories left out (a run failed or the outcome is undefined)",
                                indices.dropped,
                                y.len() / (names.len() + 1)
                            ));
                        }
                        for (name, (unit, physical)) in names.iter().zip(indices.unit.iter().zip(&indices.physical)) {
                            push(name, "mu", Estimate::bare(unit.mu));
                            push(name, "mu_star", unit.mu_star);
                            push(name, "sigma", Estimate::bare(unit.sigma));
                            push(name, "mu_physical", Estimate::bare(physical.mu));
                            push(name, "mu_star_physical", physical.mu_star);
                            push(name, "sigma_physical", Estimate::bare(physical.sigma));
                        }
                    }
                    Err(error) => {
                        notes.push(format!("{target}: no Morris estimates: {error}"));
                        undefined(
                            names,
                            &["mu", "mu_star", "sigma", "mu_physical", "mu_star_physical", "sigma_physical"],
                            &mut push,
                        );
                    }
                }
            }
            Method::Sobol => {
                let second = options.second_order;
                let outcome = sobol::drop_failed(y, names.len(), second).and_then(|(kept, dropped)| {
                    if dropped > 0 {
                        notes.push(format!(
                            "{target}: {dropped} of {} base samples left out (a run failed or the outcome is undefined)",
                            y.len() / sobol::runs_per_base(names.len(), second)
                        ));
                    }
                    let base = kept.len() / sobol::runs_per_base(names.len(), second);
                    if base == 0 {
                        return Ok(None);
                    }
                    sobol::analyze(&kept, names.len(), second, &Resamples::new(seed, base, resamples), confidence)
                        .map(Some)
                });
                match outcome {
                    Ok(None) => undefined(names, &["S1", "ST"], &mut push),
                    Ok(Some(indices)) => {
                        for (g, name) in names.iter().enumerate() {
                            push(name, "S1", indices.first[g]);
                            push(name, "ST", indices.total[g]);
                        }
                        for ((j, k), estimate) in &indices.second {
                            push(&format!("{}:{}", names[*j], names[*k]), "S2", *estimate);
                        }
                    }
                    Err(error) => {
                        notes.push(format!("{target}: no Sobol indices: {error}"));
                        undefined(names, &["S1", "ST"], &mut push);
                    }
                }
            }
            Method::Prcc | Method::Src => {
                let p = self.parameters.len();
                let prcc = options.method == Method::Prcc;
                let result = if prcc {
                    regression::prcc(physical, y, p, resamples, seed, confidence)
                } else {
                    regression::src(physical, y, p, resamples, seed, confidence)
                };
                let measure = if prcc { "prcc" } else { "src" };
                match result {
                    Ok(fit) => {
                        for (parameter, estimate) in self.parameters.iter().zip(&fit.coefficients) {
                            push(&parameter.name, measure, *estimate);
                        }
                        push("", "r_squared", Estimate::bare(fit.r_squared));
                        if fit.dropped > 0 {
                            notes.push(format!("{target}: {} of {} runs left out (no value)", fit.dropped, y.len()));
                        }
                    }
                    Err(error) => {
                        notes.push(format!("{target}: no {} estimates: {error}", options.method.as_str()));
                        undefined(names, &[measure], &mut push);
                    }
                }
            }
        }
        measures
    }
}

/// Rows with empty estimates for every group, where a method could not estimate anything (the
/// note says why): the table keeps one row per parameter and measure whatever happened.
fn undefined(names: &[String], measures: &[&'static str], push: &mut impl FnMut(&str, &'static str, Estimate)) {
    for name in names {
        for measure in measures {
            push(name, measure, Estimate::bare(f64::NAN));
        }
    }
}
