//! `fulcrum compare`: the baseline and every intervention over the same futures, compared
//! future by future. The design and the numbers are fulcrum-sensitivity's
//! ([`fulcrum_sensitivity::plan_compare`]); this verb writes the table, the charts and the
//! manifest, and prints the options in words.

use fulcrum_explore::Better;

use crate::CliError;
use crate::args::{CompareArgs, SampleCommand};
use crate::commands::analysis::{Analysis, Source};
use crate::commands::design::{FromSweep, compare_plan};
use crate::commands::{Short, short};

/// `fulcrum compare`.
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
    let plan = compare_plan(args, &analysis)?;
    let evaluation = analysis.evaluate(&plan.runs, from.as_ref().map(|from| from as &dyn Source))?;

    let output = &common.output;
    analysis.create_output(output)?;
    let results = plan.analyze(&analysis.prepared.study(), &evaluation);
    analysis.notes.extend(results.notes.iter().cloned());
    let mut summary = String::new();
    for outcome in &results.outcomes {
        summary.push_str(&describe(&outcome.outcome, outcome.better, &results.names, &outcome.options));
        let label = crate::commands::charts::outcome_label(&analysis.prepared, &outcome.outcome);
        let chart =
            crate::commands::charts::differences(&outcome.outcome, &label, outcome.better, &outcome.differences);
        let file = analysis.chart_names.name("comparison", &outcome.outcome);
        analysis.write_chart(output, &file, chart);
    }
    analysis.write_table(output, "comparison.csv", &results.table())?;
    let mut settings = serde_json::Map::new();
    settings.insert("futures".into(), results.futures.into());
    settings.insert("sampler".into(), analysis.prepared.plan.design.sampler.as_str().into());
    settings.insert("seed".into(), analysis.seed.into());
    settings.insert("options".into(), results.names.clone().into());
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
