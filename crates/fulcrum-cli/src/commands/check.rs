//! `fulcrum check`: validate and summarize.

use std::io::{self, Write};

use fulcrum_model::resolve::{census, feedback_loops};

use crate::CliError;
use crate::args::CheckArgs;
use crate::load::{read_model_with_data, resolve_loaded_units};

/// Most loops searched for; beyond this the summary says "at least".
const LOOP_SEARCH_LIMIT: usize = 100_000;

pub fn check(args: &CheckArgs) -> Result<(), CliError> {
    let loaded = read_model_with_data(&args.model, &args.data)?;
    let resolved = resolve_loaded_units(&loaded, args.units.strict_units)?;
    let counts = census(&loaded.model);
    let found = feedback_loops(&resolved, LOOP_SEARCH_LIMIT);

    let mut out = String::new();
    out.push_str(&format!("{}: ok\n", args.model.display()));
    let plural = |count: usize, one: &str, many: &str| format!("{count} {}", if count == 1 { one } else { many });
    out.push_str(&format!(
        "  {}, {}, {}, {}, {}\n",
        plural(counts.stocks, "stock", "stocks"),
        plural(counts.flows, "flow", "flows"),
        plural(counts.auxiliaries, "auxiliary", "auxiliaries"),
        plural(counts.constants, "constant", "constants"),
        plural(counts.graphical_functions, "graphical function", "graphical functions"),
    ));
    let total = found.loops.len();
    let qualifier = if found.complete { "" } else { "at least " };
    out.push_str(&format!("  {qualifier}{}", plural(total, "feedback loop", "feedback loops")));
    out.push_str(if total == 0 {
        "\n"
    } else {
        " (R reinforcing, B balancing, U polarity unknown), shortest first:\n"
    });
    for feedback in found.loops.iter().take(args.loops) {
        let first = feedback.variables.first().map_or("", String::as_str);
        out.push_str(&format!("    {}  {} → {first}\n", feedback.polarity.letter(), feedback.variables.join(" → ")));
    }
    if total > args.loops {
        out.push_str(&format!("    ... and {qualifier}{} more (--loops N to list more)\n", total - args.loops));
    }
    io::stdout().lock().write_all(out.as_bytes()).map_err(CliError::from_stdout)
}
