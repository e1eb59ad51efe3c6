//! `fulcrum loops`: which feedback loops drive the behaviour, when.

use fulcrum_loops::{Acted, LoopsError, Options, analyze_run, dominance_periods};
use fulcrum_model::resolve::LoopPolarity;
use fulcrum_report::loop_files::{describe_periods, write_loop_files};
use fulcrum_sim::{Batch, SimError, compile};

use crate::CliError;
use crate::args::LoopsArgs;
use crate::commands::print_stdout;
use crate::experiment::prepare;
use crate::load::{load_error, read_model_with_data, resolve_loaded_units};

pub fn loops(args: &LoopsArgs) -> Result<(), CliError> {
    if args.top == 0 && args.loops.is_empty() {
        return Err(CliError::Usage("--top: must be at least 1".to_owned()));
    }
    // Under an intervention the baseline run is analysed too, and names the loops.
    let (resolved, compiled, settings, baseline, path) = match (&args.experiment, &args.model) {
        (Some(experiment), _) => {
            let prepared = prepare(experiment, |_| Ok(()))?;
            crate::experiment::strict_units(&prepared, &args.units)?;
            let (settings, _) = crate::experiment::settings(&prepared, args.intervention.as_deref())?;
            let baseline = match args.intervention {
                Some(_) => Some(crate::experiment::settings(&prepared, None)?.0),
                None => None,
            };
            // The same model `prepare` resolved and compiled; its warnings are printed already.
            let (resolved, _) = prepared.model.resolve().map_err(load_error)?;
            (resolved, prepared.compiled, settings, baseline, prepared.model.path)
        }
        (None, Some(model)) => {
            let loaded = read_model_with_data(model, &[])?;
            let resolved = resolve_loaded_units(&loaded, args.units.strict_units)?;
            let compiled =
                compile(&resolved).map_err(|error| CliError::Input(format!("{}: {error}", model.display())))?;
            (resolved, compiled, Vec::new(), None, loaded.path)
        }
        (None, None) => return Err(CliError::Usage("give a MODEL or --experiment FILE".to_owned())),
    };
    let model = path.display();
    let refused = |error| refused(&path, error);
    let mut analysis = analyze_run(&resolved, &compiled, setup(&settings), &Options::default()).map_err(refused)?;
    if let Some(baseline) = &baseline {
        let baseline = analyze_run(&resolved, &compiled, setup(baseline), &Options::default()).map_err(refused)?;
        analysis.align_ids(&baseline);
    }
    let shown: Vec<usize> = if args.loops.is_empty() {
        (0..analysis.loops.len().min(args.top)).collect()
    } else {
        let mut shown = Vec::new();
        for id in &args.loops {
            let index = loop_named(&analysis, id)?;
            if !shown.contains(&index) {
                shown.push(index);
            }
        }
        shown
    };
    std::fs::create_dir_all(&args.output)
        .map_err(|error| CliError::Io(anyhow::anyhow!("cannot create {}: {error}", args.output.display())))?;
    write_loop_files(&args.output, &analysis, &shown).map_err(|error| CliError::Io(error.into()))?;

    let mut out = String::new();
    let method = match analysis.discovery {
        fulcrum_loops::Discovery::Exhaustive => "all loops",
        _ => "loops found by the strongest paths",
    };
    let count = analysis.loops.len();
    let noun = if count == 1 { "feedback loop" } else { "feedback loops" };
    let run = args.intervention.as_ref().map_or(String::new(), |name| format!(" under `{name}`"));
    out.push_str(&format!("{model}{run}: {count} {noun} scored ({method}), by mean share of the behaviour:\n"));
    for &index in &shown {
        let scored = &analysis.loops[index];
        // A loop whose structure leaves its polarity open says how it acted.
        let acted = match (scored.polarity, scored.acted) {
            (LoopPolarity::Unknown, Acted::Reinforcing | Acted::Balancing) => {
                format!(" (acted {})", scored.acted.word())
            }
            (LoopPolarity::Unknown, Acted::Both) => " (acted both ways)".to_owned(),
            _ => String::new(),
        };
        out.push_str(&format!(
            "  {:<4} {:>5.1}%  {} → {}{acted}\n",
            scored.id,
            100.0 * scored.mean_share,
            scored.variables.join(" → "),
            scored.variables.first().map_or("", String::as_str)
        ));
    }
    out.push_str("Dominance (the fewest loops that explain at least half of the behaviour):\n");
    for line in describe_periods(&analysis, &dominance_periods(&analysis)) {
        out.push_str(&format!("  {line}\n"));
    }
    out.push_str(&format!("Wrote loops.csv, loop_scores.csv and loops.svg to {}\n", args.output.display()));
    print_stdout(&out)
}

/// Why a model's loops cannot be analysed, as the command line says it.
pub(crate) fn refused(model: &std::path::Path, error: LoopsError) -> CliError {
    let model = model.display();
    match error {
        LoopsError::Simulation(error) => CliError::Simulation(error),
        LoopsError::NoLoops => CliError::Input(format!(
            "{model}: the model has no feedback loops, so no loop can explain its behaviour\n  \
             hint: `fulcrum check {model}` lists the loops a model has"
        )),
        other => CliError::Input(format!("{model}: {other}")),
    }
}

/// The loop `--loop ID` names (ids in any case), or a usage error listing the model's loops.
pub(crate) fn loop_named(analysis: &fulcrum_loops::Analysis, id: &str) -> Result<usize, CliError> {
    analysis.loops.iter().position(|scored| scored.id.eq_ignore_ascii_case(id)).ok_or_else(|| {
        let known: Vec<&str> = analysis.loops.iter().take(12).map(|scored| scored.id.as_str()).collect();
        let more = if analysis.loops.len() > known.len() { ", ..." } else { "" };
        CliError::Usage(format!(
            "--loop: the model has no loop `{id}`; its loops are {}{more}\n  hint: `fulcrum loops` ranks them in loops.csv",
            known.join(", ")
        ))
    })
}

/// Prepares a run with these settings: from the start, or from their time on.
pub(crate) fn setup(
    settings: &[fulcrum_explore::Setting],
) -> impl FnOnce(&mut Batch<'_, 1>) -> Result<(), SimError> + '_ {
    move |batch| {
        for setting in settings {
            match setting.from {
                Some(time) => batch.set_from(setting.constant, time, [setting.value])?,
                None => batch.set(0, setting.constant, setting.value),
            }
        }
        Ok(())
    }
}
