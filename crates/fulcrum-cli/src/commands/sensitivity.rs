//! `fulcrum sensitivity`: how sensitive each outcome is to each parameter, by one of five
//! methods, per outcome and optionally per saved time of one variable. The design and the
//! estimates are fulcrum-sensitivity's ([`fulcrum_sensitivity::plan_sensitivity`]); this verb
//! writes the table, the charts, the findings in words (summary.md) and the manifest, and
//! prints the findings.

use fulcrum_sensitivity::Estimate;
use fulcrum_sensitivity::Method;
use fulcrum_sensitivity::analysis::Measure;

use crate::CliError;
use crate::args::{SampleCommand, SensitivityArgs};
use crate::commands::analysis::{Analysis, Source};
use crate::commands::charts::{Units, outcome_label};
use crate::commands::design::{FromSweep, sensitivity_plan};

/// `fulcrum sensitivity`.
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
    let plan = sensitivity_plan(args, &analysis)?;
    let method = plan.options.method;
    let evaluation = analysis.evaluate(&plan.runs, from.as_ref().map(|from| from as &dyn Source))?;

    let output = &common.output;
    analysis.create_output(output)?;
    let results = analysis.pool.install(|| plan.analyze(&analysis.prepared.study(), &evaluation));
    analysis.notes.extend(results.notes.iter().cloned());
    let summary = fulcrum_report::summary::sensitivity(&results);
    // With --over-time, each parameter's main measure at every saved time, for a chart.
    let mut through_time: Vec<(String, Vec<(f64, f64)>)> = Vec::new();
    for target in &results.targets {
        let (name, measures) = (&target.outcome, &target.measures);
        match target.time {
            None => {
                let label = outcome_label(&analysis.prepared, name);
                let chart = crate::commands::charts::sensitivity(name, &label, method, &measures_for_chart(measures));
                let file = analysis.chart_names.name("sensitivity", name);
                analysis.write_chart(output, &file, chart);
            }
            Some(time) => {
                for m in measures.iter().filter(|m| m.measure == method.main_measure()) {
                    match through_time.iter_mut().find(|(parameter, _)| *parameter == m.parameter) {
                        Some((_, points)) => points.push((time, m.estimate.value)),
                        None => through_time.push((m.parameter.clone(), vec![(time, m.estimate.value)])),
                    }
                }
            }
        }
    }
    if let Some(variable) = plan.runs.series {
        let name = analysis.prepared.compiled.name(variable).to_owned();
        // Where the variable does not vary beyond numerical noise its indices are noise: the
        // chart leaves those times out and says so.
        let times = analysis.prepared.compiled.axis().save_times();
        let quiet = fulcrum_report::charts::quiet_times(&times, &evaluation.series);
        let time = Units::of(&analysis.prepared.model.model).time_label();
        let chart = crate::commands::charts::over_time(&name, method.main_measure(), &time, &mut through_time, quiet);
        let file = analysis.chart_names.name("sensitivity", &format!("{name} over time"));
        analysis.write_chart(output, &file, chart);
    }
    analysis.write_table(output, "sensitivity.csv", &results.table())?;
    let (groups, all, seed, n) = (&plan.groups, &plan.parameters, plan.options.seed, plan.options.samples);
    let mut settings = serde_json::Map::new();
    settings.insert("method".into(), method.as_str().into());
    settings.insert("seed".into(), seed.into());
    if method != Method::Oat {
        settings.insert("samples".into(), n.into());
        settings.insert("resamples".into(), args.intervals.resamples.into());
        settings.insert("confidence".into(), args.intervals.confidence.into());
    }
    match method {
        Method::Oat => {
            settings.insert("step".into(), args.step.into());
        }
        Method::Morris => {
            settings.insert("levels".into(), args.levels.into());
            settings.insert("optimized_from".into(), args.optimize.into());
        }
        Method::Sobol => {
            settings.insert("second_order".into(), args.second_order.into());
        }
        Method::Prcc | Method::Src => {
            settings.insert("sampler".into(), analysis.prepared.plan.design.sampler.as_str().into());
        }
    }
    let grouped: Vec<serde_json::Value> = (0..groups.len())
        .map(|g| serde_json::json!({"name": groups.names[g], "parameters": groups.members(g).map(|p| all[p].name.clone()).collect::<Vec<_>>()}))
        .collect();
    settings.insert("groups".into(), grouped.into());
    settings.insert("over_time".into(), args.over_time.clone().into());
    analysis.write_summary(output, &summary)?;
    analysis.finish(output, "sensitivity", settings)?;
    crate::commands::print_stdout(&summary)
}

/// The measures a chart draws, by parameter: (parameter, measure, estimate).
fn measures_for_chart(measures: &[Measure]) -> Vec<(String, String, Estimate)> {
    measures.iter().map(|m| (m.parameter.clone(), m.measure.to_owned(), m.estimate)).collect()
}
