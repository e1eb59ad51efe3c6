//! One module per verb.

pub mod analysis;
pub mod calibrate;
pub mod charts;
pub mod check;
pub mod compare;
pub mod convert;
pub mod design;
pub mod diagram;
pub mod discover;
pub mod leverage;
pub mod loops;
pub mod merge;
pub mod output;
pub mod report;
pub mod run;
pub mod search;
pub mod search_checkpoint;
pub mod sensitivity;
pub mod slurm;
pub mod sweep;

use std::io::IsTerminal;

use fulcrum_explore::Progress;
use fulcrum_model::VarId;
use fulcrum_sim::CompiledModel;

use indicatif::{ProgressBar, ProgressStyle};

use crate::CliError;

/// Writes text to standard output; a closed pipe is not an error.
pub fn print_stdout(text: &str) -> Result<(), CliError> {
    use std::io::Write;
    std::io::stdout().lock().write_all(text.as_bytes()).map_err(CliError::from_stdout)
}

/// The variables a flag names (comma-separated names as written in the model, or `all`), in
/// that order; a bare array name stands for all its elements. No names: none.
pub fn variables_named(compiled: &CompiledModel, names: &[String], flag: &str) -> Result<Vec<VarId>, CliError> {
    fulcrum_explore::names::variables_named(compiled, names)
        .map_err(|error| CliError::Usage(format!("{flag}: {error}")))
}

/// The progress bar on standard error: runs, runs per second and time left; nothing when
/// standard error is not a terminal.
pub struct Bar(pub ProgressBar);

impl Bar {
    /// A bar for `runs` runs.
    pub fn new(runs: u64) -> Bar {
        if !std::io::stderr().is_terminal() {
            return Bar(ProgressBar::hidden());
        }
        let bar = ProgressBar::new(runs);
        if let Ok(style) = ProgressStyle::with_template("{bar:40} {human_pos}/{human_len} runs  {per_sec}  ETA {eta}") {
            bar.set_style(style);
        }
        Bar(bar)
    }
}

impl Progress for Bar {
    fn advance(&self, runs: u64) {
        self.0.inc(runs);
    }
}
