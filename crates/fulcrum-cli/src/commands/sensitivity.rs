//! `fulcrum sensitivity`: how sensitive each outcome is to each parameter, by one of five
//! methods, per outcome and optionally per saved time of one variable.

use fulcrum_explore::{Design, Factor, FactorKind};
use fulcrum_report::analysis::cell;
use fulcrum_sensitivity::Estimate;
use fulcrum_sensitivity::bootstrap::Resamples;
use fulcrum_sensitivity::parameters::{Groups, Parameter, parameters};
use fulcrum_sensitivity::{morris, oat, regression, sobol};

use crate::CliError;
use crate::args::{SampleCommand, SensitivityArgs, SensitivityMethod};
use crate::commands::Short;
use crate::commands::analysis::{Analysis, physical_table, slug, table};
use crate::commands::design::{FromSweep, Rows, Runs};
use crate::commands::variables_named;

/// The columns of sensitivity.csv (with `--over-time`, `time` follows `outcome`).
pub const HEADER: [&str; 7] = ["outcome", "parameter", "method", "measure", "estimate", "ci_low", "ci_high"];

/// One number of sensitivity.csv: the parameter (or group, or pair), the measure, the value.
struct Measure {
    parameter: String,
    measure: &'static str,
    estimate: Estimate,
}

/// A method's design, and what reading its outcomes back needs.
pub struct SensitivityPlan {
    /// The runs (rows in physical units).
    pub runs: Runs,
    /// The parameters, in column order.
    all: Vec<Parameter>,
    groups: Groups,
    /// The base sample size N.
    n: usize,
    /// The rows in the unit hypercube (Morris, Sobol).
    unit: Vec<f64>,
    method: SensitivityMethod,
}

/// Plans the method's design, refusing sizes that cannot give meaningful estimates.
pub fn plan(args: &SensitivityArgs, analysis: &Analysis) -> Result<SensitivityPlan, CliError> {
    let Some(method) = args.method else {
        return Err(CliError::Usage("sensitivity: --method is needed".to_owned()));
    };
    let prepared = &analysis.prepared;
    let all = parameters(&prepared.plan, &prepared.compiled);
    if all.is_empty() {
        return Err(CliError::Usage(format!(
            "{}: the experiment has no [[uncertain]] constants or [[lever]]s to analyze",
            prepared.path.display()
        )));
    }
    if !args.group.is_empty() && matches!(method, SensitivityMethod::Prcc | SensitivityMethod::Src) {
        return Err(CliError::Usage(
            "--group: PRCC and SRC measure each parameter's own correlation; groups apply to oat, morris and sobol"
                .to_owned(),
        ));
    }
    let groups = if args.group.is_empty() {
        Groups::each(&all)
    } else {
        Groups::named(&all, &args.group).map_err(|error| CliError::Usage(format!("--group: {error}")))?
    };
    let series = match &args.over_time {
        Some(name) => variables_named(&prepared.compiled, std::slice::from_ref(name), "--over-time")?.first().copied(),
        None => None,
    };
    let n = prepared.plan.design.samples as usize;
    let seed = analysis.seed;
    let (p, g) = (all.len() as u64, groups.len() as u64);
    let planned_runs = match method {
        SensitivityMethod::Oat => 1 + 4 * g,
        SensitivityMethod::Morris => (n as u64).saturating_mul(g + 1),
        SensitivityMethod::Sobol => {
            (n as u64).saturating_mul(sobol::runs_per_base(groups.len(), args.second_order) as u64)
        }
        SensitivityMethod::Prcc | SensitivityMethod::Src => n as u64,
    };
    let saves = if series.is_some() { prepared.compiled.axis().save_count() as u64 } else { 0 };
    // The rows (in unit and physical values), and each run's outcomes and series twice: as
    // run and as the estimators read them.
    let outcome_count = prepared.plan.outcomes.len() as u64;
    analysis.check_size("sensitivity", planned_runs, 2 * p + 2 * (outcome_count + saves))?;
    let least = match method {
        SensitivityMethod::Oat => 1,
        SensitivityMethod::Morris => 2,
        SensitivityMethod::Sobol => 8,
        SensitivityMethod::Prcc | SensitivityMethod::Src => all.len() + 3,
    };
    if n < least {
        return Err(CliError::Usage(format!(
            "--samples {n}: {} needs at least {least} for its estimates and intervals to mean anything",
            method.as_str()
        )));
    }
    if method == SensitivityMethod::Sobol && !n.is_power_of_two() {
        eprintln!("warning: --samples {n} is not a power of two; Sobol estimates converge best at N = 2^k");
    }
    let (table, unit) = match method {
        SensitivityMethod::Oat => {
            let rows = oat::design(&all, &groups, args.step);
            let runs = rows.len() / all.len();
            (table(&all, rows, vec![0; runs], seed), Vec::new())
        }
        SensitivityMethod::Morris => {
            let unit = morris_design(args, &groups)?
                .trajectories(n, seed, args.optimize)
                .map_err(|error| CliError::Usage(format!("morris: {error}")))?;
            let per_trajectory = groups.len() + 1;
            (physical_table(&all, &unit, seed, Parameter::grid_value, |row| (row / per_trajectory) as u64), unit)
        }
        SensitivityMethod::Sobol => {
            let unit = sobol::design(n, &groups.of, args.second_order, seed)
                .map_err(|error| CliError::Usage(format!("sobol: {error}")))?;
            let per_base = sobol::runs_per_base(groups.len(), args.second_order);
            let quantile = |p: &Parameter, u: f64| p.distribution.quantile(u);
            (physical_table(&all, &unit, seed, quantile, |row| (row / per_base) as u64), unit)
        }
        SensitivityMethod::Prcc | SensitivityMethod::Src => {
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
                sampler: prepared.plan.design.sampler,
                samples: n as u64,
                seed,
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
        settings: prepared.plan.baseline.clone(),
        parts: Runs::whole(method.as_str(), count),
        series,
    };
    eprintln!("{}", describe_size(method, n, &groups, args.second_order, count));
    Ok(SensitivityPlan { runs, all, groups, n, unit, method })
}

pub fn sensitivity(args: &SensitivityArgs) -> Result<(), CliError> {
    let from = FromSweep::open(&args.common, "sensitivity")?;
    let args = &match &from {
        Some(FromSweep { command: SampleCommand::Sensitivity(recorded), .. }) => SensitivityArgs {
            common: args.common.recorded_from(&recorded.common),
            intervals: args.intervals.clone(),
            ..recorded.clone()
        },
        _ => args.clone(),
    };
    let common = &args.common;
    let mut analysis = Analysis::start(common, args.samples, "sensitivity")?;
    let plan = plan(args, &analysis)?;
    let SensitivityPlan { all, groups, n, unit, method, .. } = &plan;
    let (n, method) = (*n, *method);
    let seed = analysis.seed;
    let series = plan.runs.series;
    let evaluation = analysis.evaluate(&plan.runs, from.as_ref())?;
    // The rows the model saw, for Morris's physical units and the regressions.
    let physical = match &plan.runs.inputs {
        Rows::Table(table) => table.values.as_slice(),
        Rows::Sample(_) => &[],
    };
    let (all, groups, unit) = (all.as_slice(), groups, unit.as_slice());

    let output = &common.output;
    analysis.create_output(output)?;
    let outcomes = analysis.outcomes().to_vec();
    let saves = analysis.prepared.compiled.axis().save_count();
    let mut targets: Vec<(String, Option<f64>, Vec<f64>)> = outcomes
        .iter()
        .enumerate()
        .map(|(o, outcome)| (outcome.name.clone(), None, evaluation.outcome(o, outcomes.len())))
        .collect();
    if let Some(variable) = series {
        let name = analysis.prepared.compiled.name(variable).to_owned();
        let times = analysis.prepared.compiled.axis().save_times();
        for (save, time) in times.iter().enumerate() {
            targets.push((name.clone(), Some(*time), evaluation.at_save(save, saves)));
        }
    }
    let context = Context { args, method, all, groups, unit, physical, seed };
    let mut rows = Vec::new();
    let mut summary = String::new();
    // With --over-time, each parameter's main measure at every saved time, for a chart.
    let mut through_time: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
    for (name, time, y) in &targets {
        let label = match time {
            Some(time) => format!("{name} at time {}", cell(*time)),
            None => name.clone(),
        };
        let measures = analysis.pool.install(|| measure(&context, y, &label, &mut analysis.notes));
        for m in &measures {
            let mut row = vec![name.clone()];
            if series.is_some() {
                row.push(time.map(cell).unwrap_or_default());
            }
            row.extend([
                m.parameter.clone(),
                method.as_str().to_owned(),
                m.measure.to_owned(),
                cell(m.estimate.value),
                cell(m.estimate.low),
                cell(m.estimate.high),
            ]);
            rows.push(row);
        }
        match time {
            None => {
                summary.push_str(&headline(name, method, &measures));
                let chart = crate::commands::charts::sensitivity(name, method, &measures_for_chart(&measures));
                analysis.write_chart(output, &format!("sensitivity-{}.svg", slug(name)), chart);
            }
            Some(time) => {
                for m in measures.iter().filter(|m| m.measure == main_measure(method)) {
                    match through_time.iter_mut().find(|(parameter, _)| *parameter == m.parameter) {
                        Some((_, points)) => points.push((*time, m.estimate.value)),
                        None => through_time.push((m.parameter.clone(), vec![(*time, m.estimate.value)])),
                    }
                }
            }
        }
    }
    if let Some(variable) = series {
        let name = analysis.prepared.compiled.name(variable).to_owned();
        let chart = crate::commands::charts::over_time(&name, main_measure(method), &mut through_time);
        analysis.write_chart(output, &format!("sensitivity-{}-over-time.svg", slug(&name)), chart);
    }
    let mut header: Vec<&str> = HEADER.to_vec();
    if series.is_some() {
        header.insert(1, "time");
    }
    analysis.write_table(output, "sensitivity.csv", &header, &rows)?;
    let mut settings = serde_json::Map::new();
    settings.insert("method".into(), method.as_str().into());
    settings.insert("seed".into(), seed.into());
    if method != SensitivityMethod::Oat {
        settings.insert("samples".into(), n.into());
        settings.insert("resamples".into(), args.intervals.resamples.into());
        settings.insert("confidence".into(), args.intervals.confidence.into());
    }
    match method {
        SensitivityMethod::Oat => {
            settings.insert("step".into(), args.step.into());
        }
        SensitivityMethod::Morris => {
            settings.insert("levels".into(), args.levels.into());
            settings.insert("optimized_from".into(), args.optimize.into());
        }
        SensitivityMethod::Sobol => {
            settings.insert("second_order".into(), args.second_order.into());
        }
        SensitivityMethod::Prcc | SensitivityMethod::Src => {
            settings.insert("sampler".into(), analysis.prepared.plan.design.sampler.as_str().into());
        }
    }
    let grouped: Vec<serde_json::Value> = (0..groups.len())
        .map(|g| serde_json::json!({"name": groups.names[g], "parameters": groups.members(g).map(|p| all[p].name.clone()).collect::<Vec<_>>()}))
        .collect();
    settings.insert("groups".into(), grouped.into());
    settings.insert("over_time".into(), args.over_time.clone().into());
    analysis.finish(output, "sensitivity", settings)?;
    crate::commands::print_stdout(&summary)
}

/// The Morris design of `--levels` and the groups.
fn morris_design(args: &SensitivityArgs, groups: &Groups) -> Result<morris::Design, CliError> {
    morris::Design::new(args.levels, groups.of.clone()).map_err(|error| CliError::Usage(format!("morris: {error}")))
}

fn describe_size(method: SensitivityMethod, n: usize, groups: &Groups, second_order: bool, runs: u64) -> String {
    let d = groups.len();
    match method {
        SensitivityMethod::Oat => format!("oat: 1 + 4 × {d} parameters = {runs} runs"),
        SensitivityMethod::Morris => format!("morris: {n} trajectories × ({d} + 1) = {runs} runs"),
        SensitivityMethod::Sobol if second_order => format!("sobol: N = {n} × (2 × {d} + 2) = {runs} runs"),
        SensitivityMethod::Sobol => format!("sobol: N = {n} × ({d} + 2) = {runs} runs"),
        SensitivityMethod::Prcc | SensitivityMethod::Src => format!("{}: {runs} runs", method.as_str()),
    }
}

/// What every estimate needs besides the outcome.
struct Context<'a> {
    args: &'a SensitivityArgs,
    method: SensitivityMethod,
    all: &'a [Parameter],
    groups: &'a Groups,
    unit: &'a [f64],
    physical: &'a [f64],
    seed: u64,
}

/// The method's measures for one outcome (or one saved time); problems become notes.
fn measure(context: &Context<'_>, y: &[f64], target: &str, notes: &mut Vec<String>) -> Vec<Measure> {
    let args = context.args;
    let (resamples, confidence) = (args.intervals.resamples as usize, args.intervals.confidence);
    let names = &context.groups.names;
    let mut measures = Vec::new();
    let mut push = |parameter: &str, measure: &'static str, estimate: Estimate| {
        measures.push(Measure { parameter: parameter.to_owned(), measure, estimate });
    };
    match context.method {
        SensitivityMethod::Oat => {
            let Some((baseline, effects)) = oat::analyze(y, context.all, context.groups, args.step) else {
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
        SensitivityMethod::Morris => {
            let design = match morris_design(args, context.groups) {
                Ok(design) => design,
                Err(_) => return measures,
            };
            match design.analyze(context.unit, context.physical, y, resamples, context.seed, confidence) {
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
        SensitivityMethod::Sobol => {
            let second = args.second_order;
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
                sobol::analyze(&kept, names.len(), second, &Resamples::new(context.seed, base, resamples), confidence)
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
        SensitivityMethod::Prcc | SensitivityMethod::Src => {
            let p = context.all.len();
            let result = if context.method == SensitivityMethod::Prcc {
                regression::prcc(context.physical, y, p, resamples, context.seed, confidence)
            } else {
                regression::src(context.physical, y, p, resamples, context.seed, confidence)
            };
            match result {
                Ok(fit) => {
                    let measure = if context.method == SensitivityMethod::Prcc { "prcc" } else { "src" };
                    for (parameter, estimate) in context.all.iter().zip(&fit.coefficients) {
                        push(&parameter.name, measure, *estimate);
                    }
                    push("", "r_squared", Estimate::bare(fit.r_squared));
                    if fit.dropped > 0 {
                        notes.push(format!("{target}: {} of {} runs left out (no value)", fit.dropped, y.len()));
                    }
                }
                Err(error) => {
                    notes.push(format!("{target}: no {} estimates: {error}", context.method.as_str()));
                    let measure = if context.method == SensitivityMethod::Prcc { "prcc" } else { "src" };
                    undefined(names, &[measure], &mut push);
                }
            }
        }
    }
    measures
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

/// The measure a method ranks parameters by.
fn main_measure(method: SensitivityMethod) -> &'static str {
    match method {
        SensitivityMethod::Oat => "elasticity",
        SensitivityMethod::Morris => "mu_star",
        SensitivityMethod::Sobol => "ST",
        SensitivityMethod::Prcc => "prcc",
        SensitivityMethod::Src => "src",
    }
}

/// Two lines per outcome: the most influential parameters by the method's main measure.
fn headline(outcome: &str, method: SensitivityMethod, measures: &[Measure]) -> String {
    let main = main_measure(method);
    let mut ranked: Vec<&Measure> =
        measures.iter().filter(|m| m.measure == main && m.estimate.value.is_finite()).collect();
    ranked.sort_by(|a, b| b.estimate.value.abs().total_cmp(&a.estimate.value.abs()));
    let listed: Vec<String> =
        ranked.iter().take(5).map(|m| format!("{} {}", m.parameter, Short(m.estimate.value))).collect();
    format!("{outcome}: {main} {}\n", if listed.is_empty() { "n/a".to_owned() } else { listed.join(", ") })
}

/// The measures a chart draws, by parameter: (parameter, measure, estimate).
fn measures_for_chart(measures: &[Measure]) -> Vec<(String, String, Estimate)> {
    measures.iter().map(|m| (m.parameter.clone(), m.measure.to_owned(), m.estimate)).collect()
}
