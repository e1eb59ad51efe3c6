//! `fulcrum compare`: the baseline and every intervention over the same futures, compared
//! future by future. The design and the numbers are fulcrum-sensitivity's
//! ([`fulcrum_sensitivity::plan_compare`]); this verb writes the table, the charts and the
//! manifest, the findings in words (summary.md), and prints them.

use fulcrum_sensitivity::table::{Column, ResultTable, Values};

use crate::CliError;
use crate::args::{CompareArgs, SampleCommand};
use crate::commands::analysis::{Analysis, Source};
use crate::commands::design::{FromSweep, compare_plan};
use crate::commands::loops::setup;

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
    let summary = fulcrum_report::summary::compare(&results);
    for outcome in &results.outcomes {
        let label = crate::commands::charts::outcome_label(&analysis.prepared, &outcome.outcome);
        let chart =
            crate::commands::charts::differences(&outcome.outcome, &label, outcome.better, &outcome.differences);
        let file = analysis.chart_names.name("comparison", &outcome.outcome);
        analysis.write_chart(output, &file, chart);
    }
    analysis.write_table(output, "comparison.csv", &results.table())?;
    match loop_changes(&analysis.prepared) {
        Ok(table) => analysis.write_table(output, "loop_changes.csv", &table)?,
        Err(why) => analysis.notes.push(format!("no loop_changes.csv: {why}")),
    }
    let mut settings = serde_json::Map::new();
    settings.insert("futures".into(), results.futures.into());
    settings.insert("sampler".into(), analysis.prepared.plan.design.sampler.as_str().into());
    settings.insert("seed".into(), analysis.seed.into());
    settings.insert("options".into(), results.names.clone().into());
    analysis.write_summary(output, &summary)?;
    analysis.finish(output, "compare", settings)?;
    crate::commands::print_stdout(&summary)
}

/// Which loops each intervention strengthens or weakens, in the nominal run (levers at their
/// baselines, every other constant at the model's value, not over the futures): the mean of
/// |relative loop score| over the saved times under the intervention less the baseline's, loop
/// by loop, with the baseline's ids. Rows by intervention, the most strengthened loop first.
/// `Err` says why there is no table (a model without loops, loops that cannot be scored).
fn loop_changes(prepared: &crate::experiment::Prepared) -> Result<ResultTable, String> {
    use fulcrum_loops::{LoopsError, Options, analyze_run};
    let (resolved, _) = prepared.model.resolve().map_err(|error| error.to_string())?;
    let analyze = |intervention: Option<&str>| {
        let (settings, _) = prepared.plan.settings(intervention).map_err(|error| error.to_string())?;
        analyze_run(&resolved, &prepared.compiled, setup(&settings), &Options::default()).map_err(|error| match error {
            LoopsError::NoLoops => "the model has no feedback loops".to_owned(),
            other => other.to_string(),
        })
    };
    let baseline = analyze(None)?;
    let (mut names, mut ids, mut polarities, mut variables) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let (mut before, mut after, mut change) = (Vec::new(), Vec::new(), Vec::new());
    for intervention in &prepared.plan.interventions {
        for loop_change in analyze(Some(&intervention.name))?.changes_from(&baseline) {
            names.push(intervention.name.clone());
            ids.push(loop_change.scored.id.clone());
            polarities.push(loop_change.scored.polarity.word().to_owned());
            variables.push(loop_change.scored.variables.join(" -> "));
            before.push(loop_change.baseline_share);
            after.push(loop_change.share);
            change.push(loop_change.change());
        }
    }
    let column = |name, values| Column { name, values };
    Ok(ResultTable {
        columns: vec![
            column("intervention", Values::Text(names)),
            column("loop", Values::Text(ids)),
            column("polarity", Values::Text(polarities)),
            column("baseline_share", Values::Number(before)),
            column("share", Values::Number(after)),
            column("change", Values::Number(change)),
            column("variables", Values::Text(variables)),
        ],
    })
}
