//! `fulcrum compare`: the baseline and every intervention over the same futures, compared
//! future by future.

use fulcrum_explore::Better;
use fulcrum_report::analysis::{cell, optional_cell};
use fulcrum_sensitivity::compare::compare as compare_options;

use crate::CliError;
use crate::args::CompareArgs;
use crate::commands::analysis::{Analysis, slug};
use crate::commands::{Short, short};

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

pub fn compare(args: &CompareArgs) -> Result<(), CliError> {
    let common = &args.common;
    let mut analysis = Analysis::start(common, args.futures, "compare")?;
    let plan = &analysis.prepared.plan;
    if plan.interventions.is_empty() {
        return Err(CliError::Usage(format!(
            "{}: the experiment defines no [[intervention]] to compare with the baseline",
            common.experiment.display()
        )));
    }
    let design = plan.design.clone();
    let futures = design.runs();
    let options = 1 + plan.interventions.len() as u64;
    analysis.check_size("compare", futures.saturating_mul(options), 2 * plan.outcomes.len() as u64)?;
    let mut names = vec![BASELINE.to_owned()];
    let mut costs = vec![None];
    for intervention in &plan.interventions {
        names.push(intervention.name.clone());
        costs.push(intervention.cost);
    }
    eprintln!("compare: {} options × {futures} futures = {} runs", names.len(), names.len() as u64 * futures);

    let mut evaluations = Vec::new();
    for (index, name) in names.iter().enumerate() {
        let (settings, _) = analysis.prepared.settings((index > 0).then_some(name.as_str()))?;
        evaluations.push(analysis.evaluate(&design, futures, &settings, None)?);
    }

    let output = &common.output;
    analysis.create_output(output)?;
    let outcomes = analysis.outcomes().to_vec();
    let mut rows = Vec::new();
    let mut summary = String::new();
    for (o, outcome) in outcomes.iter().enumerate() {
        let values: Vec<Vec<f64>> = evaluations.iter().map(|e| e.outcome(o, outcomes.len())).collect();
        let (compared, dropped) = compare_options(&values, &costs, outcome.better);
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
        summary.push_str(&describe(&outcome.name, outcome.better, &names, &compared));
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
    settings.insert("sampler".into(), design.sampler.as_str().into());
    settings.insert("seed".into(), analysis.seed.into());
    settings.insert("options".into(), names.into());
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
