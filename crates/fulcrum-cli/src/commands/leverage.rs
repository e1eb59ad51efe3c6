//! `fulcrum leverage`: which levers move which outcomes disproportionately, over the
//! experiment's futures, with a Sobol total-order cross-check over the same ranges.

use fulcrum_explore::Table;
use fulcrum_report::analysis::{cell, optional_cell};
use fulcrum_sensitivity::bootstrap::Resamples;
use fulcrum_sensitivity::leverage::{self, Leverage, Options};
use fulcrum_sensitivity::parameters::{Groups, Parameter, parameters};
use fulcrum_sensitivity::sobol;

use crate::CliError;
use crate::args::{LeverageArgs, SampleCommand};
use crate::commands::Short;
use crate::commands::analysis::{Analysis, physical_table};
use crate::commands::design::{FromSweep, Rows, Runs};
use fulcrum_report::sweep::DesignPart;

/// The columns of leverage.csv.
pub const HEADER: [&str; 12] = [
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

/// Leverage's design: every lever a little down and up in every future, then the Sobol
/// cross-check's rows, in one table whose columns are the uncertain constants and the levers.
pub struct LeveragePlan {
    /// The runs.
    pub runs: Runs,
    all: Vec<Parameter>,
    levers: Vec<Parameter>,
    costs: Vec<Option<f64>>,
    futures: u64,
    /// Runs of the lever pairs; the cross-check's follow.
    lever_runs: u64,
    /// The cross-check's base sample size; 0 without it.
    cross_check_base: usize,
}

/// Plans leverage's design.
pub fn plan(args: &LeverageArgs, analysis: &Analysis) -> Result<LeveragePlan, CliError> {
    let prepared = &analysis.prepared;
    let all = parameters(&prepared.plan, &prepared.compiled);
    let (levers, uncertain): (Vec<Parameter>, Vec<Parameter>) = all.iter().cloned().partition(|p| p.lever);
    if levers.is_empty() {
        return Err(CliError::Usage(format!(
            "{}: the experiment defines no [[lever]]; leverage is about what we control",
            prepared.path.display()
        )));
    }
    if let Some(zero) = levers.iter().find(|lever| lever.baseline == 0.0) {
        return Err(CliError::Usage(format!(
            "{}: lever `{}` has the baseline 0, which no percentage changes; give it a nonzero baseline",
            prepared.path.display(),
            zero.name
        )));
    }
    let costs: Vec<Option<f64>> = levers
        .iter()
        .map(|lever| prepared.plan.levers.iter().find(|l| l.constant == lever.constant).and_then(|l| l.cost_per_unit))
        .collect();
    let design = &prepared.plan.design;
    let futures = design.runs();
    if futures < leverage::MIN_FUTURES as u64 {
        return Err(CliError::Usage(format!(
            "--futures {futures}: leverage needs at least {} futures for its medians and intervals",
            leverage::MIN_FUTURES
        )));
    }
    let outcome_count = prepared.plan.outcomes.len() as u64;
    let lever_runs = futures.saturating_mul(2 * levers.len() as u64);
    analysis.check_size("leverage", lever_runs, all.len() as u64 + outcome_count)?;
    let cross_check_base = if args.no_cross_check { 0 } else { cross_check_size(futures) as usize };
    let per_base = sobol::runs_per_base(all.len(), false);
    if !args.no_cross_check {
        let cross_check = (cross_check_base as u64).saturating_mul(per_base as u64);
        analysis.check_size("leverage (the Sobol cross-check)", cross_check, 2 * all.len() as u64 + outcome_count)?;
    }
    let mut values = Vec::with_capacity(futures as usize * uncertain.len());
    let mut row = vec![0.0; uncertain.len()];
    for future in 0..futures {
        design.row(future, &mut row);
        values.extend_from_slice(&row);
    }
    let (mut rows, mut streams) = leverage::design(&values, futures as usize, uncertain.len(), &levers, args.delta);
    let columns: Vec<&Parameter> = uncertain.iter().chain(&levers).collect();
    if !args.no_cross_check {
        // Every uncertain constant and lever varied over its distribution or range, its columns
        // put in the lever pairs' order.
        let groups = Groups::each(&all);
        let unit = sobol::design(cross_check_base, &groups.of, false, analysis.seed)
            .map_err(|error| CliError::Usage(format!("the Sobol cross-check: {error}")))?;
        let quantile = |p: &Parameter, u: f64| p.distribution.quantile(u);
        let cross = physical_table(&all, &unit, analysis.seed, quantile, |row| (row / per_base) as u64);
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
        seed: analysis.seed,
        ..Table::default()
    };
    let total = table.runs();
    let mut parts = vec![DesignPart { name: "lever pairs".to_owned(), runs: [0, lever_runs] }];
    if !args.no_cross_check {
        parts.push(DesignPart { name: "sobol cross-check".to_owned(), runs: [lever_runs, total] });
    }
    eprintln!(
        "leverage: {} lever{} × 2 × {futures} futures = {lever_runs} runs{}",
        levers.len(),
        if levers.len() == 1 { "" } else { "s" },
        if args.no_cross_check {
            String::new()
        } else {
            format!(
                ", and {} for the Sobol cross-check (N = {cross_check_base}, D = {})",
                total - lever_runs,
                all.len()
            )
        }
    );
    let runs = Runs { inputs: Rows::Table(table), settings: prepared.plan.baseline.clone(), parts, series: None };
    Ok(LeveragePlan { runs, all, levers, costs, futures, lever_runs, cross_check_base })
}

pub fn leverage(args: &LeverageArgs) -> Result<(), CliError> {
    let from = FromSweep::open(&args.common, "leverage")?;
    let args = &match &from {
        Some(FromSweep { command: SampleCommand::Leverage(recorded), .. }) => LeverageArgs {
            common: args.common.recorded_from(&recorded.common),
            intervals: args.intervals.clone(),
            ..recorded.clone()
        },
        _ => args.clone(),
    };
    let common = &args.common;
    let mut analysis = Analysis::start(common, args.futures, "leverage")?;
    let plan = plan(args, &analysis)?;
    let LeveragePlan { all, levers, costs, futures, lever_runs, cross_check_base, .. } = &plan;
    let (futures, cross_check_base) = (*futures, *cross_check_base);
    let evaluation = analysis.evaluate(&plan.runs, from.as_ref())?;
    let outcome_count = analysis.outcomes().len();
    let (lever_outcomes, cross_check_outcomes) =
        evaluation.outcomes.split_at((*lever_runs as usize * outcome_count).min(evaluation.outcomes.len()));
    let outcome_of = |values: &[f64], o: usize| -> Vec<f64> {
        values.iter().skip(o).step_by(outcome_count.max(1)).copied().collect()
    };

    let options = Options {
        delta: args.delta,
        resamples: args.intervals.resamples as usize,
        seed: analysis.seed,
        confidence: args.intervals.confidence,
    };
    let output = &common.output;
    analysis.create_output(output)?;
    let outcomes = analysis.outcomes().to_vec();
    let mut table_rows = Vec::new();
    let mut summary = String::new();
    let mut panels = Vec::new();
    for (o, outcome) in outcomes.iter().enumerate() {
        let y = outcome_of(lever_outcomes, o);
        let results = analysis.pool.install(|| leverage::analyze(&y, levers, costs, &options));
        let totals = if cross_check_base == 0 {
            None
        } else {
            // Saltelli's matrices vary the parameters in the experiment's order, whatever the
            // order of the table's columns.
            let y = outcome_of(cross_check_outcomes, o);
            total_index(&y, all.len(), &mut analysis.notes, &outcome.name)
                .map(|totals| levers.iter().map(|lever| totals[index_of(all, lever)]).collect())
        };
        let ranks = leverage::ranks(&results.iter().map(|r| r.score.value).collect::<Vec<_>>());
        let mut order: Vec<usize> = (0..levers.len()).collect();
        order.sort_by_key(|&i| ranks[i].unwrap_or(usize::MAX));
        if y.iter().any(|value| *value <= 0.0) {
            analysis.notes.push(format!(
                "{}: the outcome is zero or negative in some runs, where an arc elasticity is hard to read \
                 (its denominator is the sum of the two outcomes); the slope's sign still gives the direction",
                outcome.name
            ));
        }
        summary.push_str(&format!("{}\n", outcome.name));
        for &index in &order {
            let result = &results[index];
            let missing = futures as usize - result.futures;
            if missing > 0 {
                analysis.notes.push(format!(
                    "{} × {}: {missing} of {futures} futures have no defined elasticity (a failed run, or outcomes summing to zero)",
                    outcome.name, levers[index].name
                ));
            }
            table_rows.push(vec![
                outcome.name.clone(),
                levers[index].name.clone(),
                cell(result.score.value),
                cell(result.p10),
                cell(result.p90),
                cell(result.score.low),
                cell(result.score.high),
                cell(result.sign_consistency),
                result.disproportionate.to_string(),
                optional_cell(result.effect_per_cost),
                optional_cell(totals.as_ref().map(|t: &Vec<f64>| t[index])),
                ranks[index].map(|rank| rank.to_string()).unwrap_or_default(),
            ]);
            summary.push_str(&format!("  {}\n", sentence(&levers[index].name, &outcome.name, args.delta, result)));
        }
        panels.push((
            outcome.name.clone(),
            order.iter().map(|&i| (levers[i].name.clone(), results[i].clone())).collect(),
        ));
    }
    analysis.write_table(output, "leverage.csv", &HEADER, &table_rows)?;
    analysis.write_chart(output, "leverage.svg", crate::commands::charts::leverage(&panels));
    let mut settings = serde_json::Map::new();
    settings.insert("futures".into(), futures.into());
    settings.insert("sampler".into(), analysis.prepared.plan.design.sampler.as_str().into());
    settings.insert("seed".into(), analysis.seed.into());
    settings.insert("delta".into(), args.delta.into());
    settings.insert("resamples".into(), args.intervals.resamples.into());
    settings.insert("confidence".into(), args.intervals.confidence.into());
    settings.insert(
        "cross_check".into(),
        if args.no_cross_check { "none".into() } else { format!("sobol N={cross_check_base}").into() },
    );
    analysis.finish(output, "leverage", settings)?;
    crate::commands::print_stdout(&summary)
}

/// The base size of the Sobol cross-check: the futures rounded up to a power of two, and at
/// least 64 so that the indices are more than noise.
fn cross_check_size(futures: u64) -> u64 {
    futures.next_power_of_two().max(64)
}

fn index_of(all: &[Parameter], lever: &Parameter) -> usize {
    all.iter().position(|p| p.constant == lever.constant).unwrap_or(0)
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
        notes.push(format!("{outcome}: the Sobol cross-check left out {dropped} base samples without a value (a failed run or an undefined outcome)"));
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

/// "Hiring Delay: a 10% change moves peak workload 2.3× as much, in 96% of futures."
fn sentence(lever: &str, outcome: &str, delta: f64, result: &Leverage) -> String {
    let score = result.score.value;
    let percent = 100.0 * delta;
    if !score.is_finite() {
        return format!("{lever}: no defined effect on {outcome}");
    }
    if score == 0.0 {
        return format!("{lever}: a {percent:.0}% change leaves {outcome} unchanged in most futures");
    }
    // The slope says which way the outcome goes as the lever rises, whatever the outcome's sign.
    let direction = if result.slope < 0.0 { " the other way" } else { "" };
    let flag = if result.disproportionate { " — disproportionate" } else { "" };
    format!(
        "{lever}: a {percent:.0}% change moves {outcome} {}× as much{direction}, in {:.0}% of futures{flag}",
        Short(score.abs()),
        100.0 * result.sign_consistency
    )
}
