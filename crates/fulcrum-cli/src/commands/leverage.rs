//! `fulcrum leverage`: which levers move which outcomes disproportionately, over the
//! experiment's futures, with a Sobol total-order cross-check over the same ranges. The design
//! and the estimates are fulcrum-sensitivity's ([`fulcrum_sensitivity::plan_leverage`]); this
//! verb writes the table, the chart, which loops each lever's high setting strengthens or
//! weakens over the first `--loop-futures` futures (loop_changes.csv, also the library's), the
//! findings in words (summary.md) and the manifest, and prints the findings.

use crate::CliError;
use crate::args::{LeverageArgs, SampleCommand};
use crate::commands::analysis::{Analysis, Source};
use crate::commands::design::{FromSweep, leverage_plan};

/// `fulcrum leverage`.
pub fn leverage(args: &LeverageArgs) -> Result<(), CliError> {
    let from = FromSweep::open(&args.common, "leverage")?;
    let args = &match &from {
        Some(FromSweep { command: SampleCommand::Leverage(recorded), .. }) => LeverageArgs {
            common: args.common.recorded_from(&recorded.common),
            intervals: args.intervals.clone(),
            loops: args.loops.clone(),
            ..recorded.clone()
        },
        _ => args.clone(),
    };
    let common = &args.common;
    let mut analysis = Analysis::start(common, args.futures, "leverage")?;
    let plan = leverage_plan(args, &analysis)?;
    let evaluation = analysis.evaluate(&plan.runs, from.as_ref().map(|from| from as &dyn Source))?;

    let output = &common.output;
    analysis.create_output(output)?;
    let results = analysis.pool.install(|| plan.analyze(&analysis.prepared.study(), &evaluation));
    analysis.notes.extend(results.notes.iter().cloned());
    let summary = fulcrum_report::summary::leverage(&results);
    let mut charts = Vec::new();
    for outcome in &results.outcomes {
        let levers: Vec<(String, _)> =
            outcome.levers.iter().map(|lever| (lever.lever.clone(), lever.leverage.clone())).collect();
        let better = crate::commands::charts::better_of(&analysis.prepared, &outcome.outcome);
        let chart = crate::commands::charts::leverage(&outcome.outcome, better, &levers);
        charts.push((analysis.chart_names.name("leverage", &outcome.outcome), chart));
    }
    analysis.write_table(output, "leverage.csv", &results.table())?;
    analysis.write_loop_changes(
        output,
        &plan.loop_design(&analysis.prepared.plan, args.loops.loop_futures),
        "lever",
    )?;
    // One chart per outcome, each with an axis that fits its scores.
    for (file, chart) in charts {
        analysis.write_chart(output, &file, chart);
    }
    let mut settings = serde_json::Map::new();
    settings.insert("futures".into(), results.futures.into());
    settings.insert("sampler".into(), analysis.prepared.plan.design.sampler.as_str().into());
    settings.insert("seed".into(), analysis.seed.into());
    settings.insert("delta".into(), args.delta.into());
    settings.insert("loop_futures".into(), args.loops.loop_futures.min(results.futures).into());
    settings.insert("resamples".into(), args.intervals.resamples.into());
    settings.insert("confidence".into(), args.intervals.confidence.into());
    settings.insert(
        "cross_check".into(),
        if args.no_cross_check { "none".into() } else { format!("sobol N={}", plan.cross_check_base).into() },
    );
    analysis.write_summary(output, &summary)?;
    analysis.finish(output, "leverage", settings)?;
    crate::commands::print_stdout(&summary)
}
