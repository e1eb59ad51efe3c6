//! `fulcrum compare`: the baseline and every intervention over the same futures, compared
//! future by future.

use fulcrum_explore::Better;
use fulcrum_report::analysis::{cell, optional_cell};
use fulcrum_sensitivity::compare::compare as compare_options;

use crate::CliError;
use crate::args::{CompareArgs, SampleCommand};
use crate::commands::analysis::{Analysis, slug};
use crate::commands::design::{FromSweep, Rows, Runs};
use crate::commands::{Short, short};
use fulcrum_explore::Table;
use fulcrum_report::sweep::DesignPart;

/// The columns of comparison.csv.
pub const HEADER: [&str; 15] = [
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
];

/// The name of the baseline option in the files.
const BASELINE: &str = "baseline";

/// Compare's design: the experiment's futures once per option (the baseline, then each
/// intervention), each option's runs with its own settings.
pub struct ComparePlan {
    /// The runs.
    pub runs: Runs,
    names: Vec<String>,
    costs: Vec<Option<f64>>,
    futures: u64,
}

/// Plans compare's design.
pub fn plan(analysis: &Analysis) -> Result<ComparePlan, CliError> {
    let prepared = &analysis.prepared;
    let plan = &prepared.plan;
    if plan.interventions.is_empty() {
        return Err(CliError::Usage(format!(
            "{}: the experiment defines no [[intervention]] to compare with the baseline",
            prepared.path.display()
        )));
    }
    let design = &plan.design;
    let futures = design.runs();
    let option_count = 1 + plan.interventions.len() as u64;
    analysis.check_size(
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
    let mut options = Vec::new();
    for (index, name) in names.iter().enumerate() {
        options.push(prepared.settings((index > 0).then_some(name.as_str()))?.0);
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
        options,
        option_of: (0..names.len() as u32).flat_map(|o| std::iter::repeat_n(o, futures as usize)).collect(),
    };
    let parts = names
        .iter()
        .enumerate()
        .map(|(o, name)| DesignPart { name: name.clone(), runs: [o as u64 * futures, (o as u64 + 1) * futures] })
        .collect();
    eprintln!("compare: {} options × {futures} futures = {} runs", names.len(), table.runs());
    Ok(ComparePlan {
        runs: Runs { inputs: Rows::Table(table), settings: Vec::new(), parts, series: None },
        names,
        costs,
        futures,
    })
}

pub fn compare(args: &CompareArgs) -> Result<(), CliError> {
    let from = FromSweep::open(&args.common, "compare")?;
    let args = &match &from {
        Some(FromSweep { command: SampleCommand::Compare(recorded), .. }) => {
            CompareArgs { common: args.common.recorded_from(&recorded.common), ..recorded.clone() }
        }
        _ => args.clone(),
    };
    let common = &args.common;
    let mut analysis = Analysis::start(common, args.futures, "compare")?;
    let plan = plan(&analysis)?;
    let ComparePlan { names, costs, futures, .. } = &plan;
    let futures = *futures;
    let evaluation = analysis.evaluate(&plan.runs, from.as_ref())?;
    let outcome_count = analysis.outcomes().len();
    // Each option's outcomes, in future order.
    let per_option = futures as usize * outcome_count;
    let evaluations: Vec<&[f64]> =
        (0..names.len()).map(|o| &evaluation.outcomes[o * per_option..(o + 1) * per_option]).collect();

    let output = &common.output;
    analysis.create_output(output)?;
    let outcomes = analysis.outcomes().to_vec();
    let mut rows = Vec::new();
    let mut summary = String::new();
    for (o, outcome) in outcomes.iter().enumerate() {
        let values: Vec<Vec<f64>> = evaluations
            .iter()
            .map(|option| option.iter().skip(o).step_by(outcome_count.max(1)).copied().collect())
            .collect();
        let (compared, dropped) = compare_options(&values, costs, outcome.better);
        if dropped > 0 {
            analysis.notes.push(format!(
                "{}: {dropped} of {futures} futures left out (a run failed or the outcome is undefined in some option)",
                outcome.name
            ));
        }
        for (index, row) in compared.iter().enumerate() {
            rows.push(vec![
                outcome.name.clone(),
                names[index].clone(),
                optional_cell(costs[index]),
                cell(row.mean),
                cell(row.p10),
                cell(row.p50),
                cell(row.p90),
                cell(row.delta_mean),
                cell(row.delta_p10),
                cell(row.delta_p50),
                cell(row.delta_p90),
                cell(row.prob_better),
                cell(row.expected_regret),
                optional_cell(row.effect_per_cost),
                row.rank.map(|rank| rank.to_string()).unwrap_or_default(),
            ]);
        }
        summary.push_str(&describe(&outcome.name, outcome.better, names, &compared));
        // The futures the table describes: those where every option has a value.
        let kept: Vec<usize> =
            (0..values[0].len()).filter(|&f| values.iter().all(|option| option[f].is_finite())).collect();
        let differences: Vec<(String, Vec<f64>)> = names
            .iter()
            .zip(&values)
            .skip(1)
            .map(|(name, own)| (name.clone(), kept.iter().map(|&f| own[f] - values[0][f]).collect()))
            .collect();
        let chart = crate::commands::charts::differences(&outcome.name, outcome.better, &differences);
        analysis.write_chart(output, &format!("comparison-{}.svg", slug(&outcome.name)), chart);
    }
    analysis.write_table(output, "comparison.csv", &HEADER, &rows)?;
    let mut settings = serde_json::Map::new();
    settings.insert("futures".into(), futures.into());
    settings.insert("sampler".into(), analysis.prepared.plan.design.sampler.as_str().into());
    settings.insert("seed".into(), analysis.seed.into());
    settings.insert("options".into(), names.clone().into());
    analysis.finish(output, "compare", settings)?;
    crate::commands::print_stdout(&summary)
}

/// A few lines per outcome: the options from best to worst, in words.
fn describe(
    outcome: &str,
    better: Option<Better>,
    names: &[String],
    rows: &[fulcrum_sensitivity::compare::Comparison],
) -> String {
    let mut text = outcome.to_owned();
    match better {
        Some(Better::Higher) => text.push_str(" (higher is better)\n"),
        Some(Better::Lower) => text.push_str(" (lower is better)\n"),
        None => text.push_str(" (no better direction given: differences only)\n"),
    }
    let mut order: Vec<usize> = (0..rows.len()).collect();
    order.sort_by_key(|&i| rows[i].rank.unwrap_or(i + 1));
    for index in order {
        let row = &rows[index];
        let rank = row.rank.map(|rank| format!("{rank}. ")).unwrap_or_default();
        if index == 0 {
            text.push_str(&format!("  {rank}{}: mean {}\n", names[index], short(row.mean)));
            continue;
        }
        let mut line = format!(
            "  {rank}{}: mean {} ({:+} against the baseline",
            names[index],
            short(row.mean),
            Short(row.delta_mean)
        );
        if row.prob_better.is_finite() {
            line.push_str(&format!(", better in {:.0}% of futures", 100.0 * row.prob_better));
        }
        line.push(')');
        if row.expected_regret.is_finite() {
            line.push_str(&format!(", expected regret {}", short(row.expected_regret)));
        }
        text.push_str(&line);
        text.push('\n');
    }
    text
}
