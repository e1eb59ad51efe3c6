//! `fulcrum loops`: which feedback loops drive the behaviour, when.

use fulcrum_loops::{LoopsError, Options, analyze, dominance_periods};
use fulcrum_report::loop_files::{describe_periods, write_loop_files};

use crate::CliError;
use crate::args::LoopsArgs;
use crate::commands::print_stdout;
use crate::load::{read_model_with_data, resolve_loaded};

pub fn loops(args: &LoopsArgs) -> Result<(), CliError> {
    if args.top == 0 && args.loops.is_empty() {
        return Err(CliError::Usage("--top: must be at least 1".to_owned()));
    }
    let loaded = read_model_with_data(&args.model, &[])?;
    let resolved = resolve_loaded(&loaded)?;
    let model = args.model.display();
    let analysis = analyze(&resolved, &Options::default()).map_err(|error| match error {
        LoopsError::Simulation(error) => CliError::Simulation(error),
        LoopsError::NoLoops => CliError::Input(format!(
            "{model}: the model has no feedback loops, so no loop can explain its behaviour\n  \
             hint: `fulcrum check {model}` lists the loops a model has"
        )),
        other => CliError::Input(format!("{model}: {other}")),
    })?;
    let shown: Vec<usize> = if args.loops.is_empty() {
        (0..analysis.loops.len().min(args.top)).collect()
    } else {
        let mut shown = Vec::new();
        for id in &args.loops {
            let Some(index) = analysis.loops.iter().position(|scored| scored.id.eq_ignore_ascii_case(id)) else {
                let known: Vec<&str> = analysis.loops.iter().take(12).map(|scored| scored.id.as_str()).collect();
                let more = if analysis.loops.len() > known.len() { ", ..." } else { "" };
                return Err(CliError::Usage(format!(
                    "--loop: the model has no loop `{id}`; its loops are {}{more}\n  hint: run without --loop to see them ranked in loops.csv",
                    known.join(", ")
                )));
            };
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
    out.push_str(&format!("{model}: {count} {noun} scored ({method}), by mean share of the behaviour:\n"));
    for &index in &shown {
        let scored = &analysis.loops[index];
        out.push_str(&format!(
            "  {:<4} {:>5.1}%  {} → {}\n",
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
