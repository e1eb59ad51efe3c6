//! `fulcrum compare`: the baseline and every intervention over the same futures, compared
//! future by future. The design and the numbers are fulcrum-sensitivity's
//! ([`fulcrum_sensitivity::plan_compare`]), and so is which loops each intervention strengthens
//! or weakens over the first `--loop-futures` futures (loop_changes.csv); this verb writes the
//! tables, the charts and the manifest, the findings in words (summary.md), and prints them.

use crate::CliError;
use crate::args::{CompareArgs, SampleCommand};
use crate::commands::analysis::{Analysis, Source};
use crate::commands::design::{FromSweep, compare_plan};

/// `fulcrum compare`.
pub fn compare(args: &CompareArgs) -> Result<(), CliError> {
    let from = FromSweep::open(&args.common, "compare")?;
    let args = &match &from {
        Some(FromSweep { command: SampleCommand::Compare(recorded), .. }) => CompareArgs {
            common: args.common.recorded_from(&recorded.common),
            loops: args.loops.clone(),
            ..recorded.clone()
        },
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
    analysis.write_loop_changes(output, &plan.loop_design(args.loops.loop_futures), "intervention")?;
    let mut settings = serde_json::Map::new();
    settings.insert("futures".into(), results.futures.into());
    settings.insert("sampler".into(), analysis.prepared.plan.design.sampler.as_str().into());
    settings.insert("seed".into(), analysis.seed.into());
    settings.insert("options".into(), results.names.clone().into());
    settings.insert("loop_futures".into(), args.loops.loop_futures.min(results.futures).into());
    analysis.write_summary(output, &summary)?;
    analysis.finish(output, "compare", settings)?;
    crate::commands::print_stdout(&summary)
}
