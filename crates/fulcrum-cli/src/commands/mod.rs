//! One module per verb.

pub mod analysis;
pub mod charts;
pub mod check;
pub mod compare;
pub mod convert;
pub mod design;
pub mod leverage;
pub mod merge;
pub mod output;
pub mod report;
pub mod run;
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

/// A number to three significant digits, for sentences.
pub fn short(value: f64) -> String {
    Short(value).to_string()
}

/// Formats to three significant digits (`{:+}` adds the sign).
pub struct Short(pub f64);

impl std::fmt::Display for Short {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let value = self.0;
        if !value.is_finite() {
            return write!(f, "n/a");
        }
        let magnitude = value.abs();
        if magnitude != 0.0 && !(1e-3..1e6).contains(&magnitude) {
            return if f.sign_plus() { write!(f, "{value:+.2e}") } else { write!(f, "{value:.2e}") };
        }
        let digits = if value == 0.0 { 0 } else { (2 - magnitude.log10().floor() as i32).clamp(0, 5) as usize };
        if f.sign_plus() { write!(f, "{value:+.digits$}") } else { write!(f, "{value:.digits$}") }
    }
}

#[cfg(test)]
mod tests {
    use super::Short;

    #[test]
    fn short_numbers_keep_three_significant_digits() {
        assert_eq!(Short(2.3456).to_string(), "2.35");
        assert_eq!(Short(0.0471).to_string(), "0.0471");
        assert_eq!(format!("{:+}", Short(-33.61)), "-33.6");
        assert_eq!(format!("{:+}", Short(102.4)), "+102");
        assert_eq!(Short(0.0).to_string(), "0");
        assert_eq!(Short(7.4e-6).to_string(), "7.40e-6");
        assert_eq!(Short(f64::NAN).to_string(), "n/a");
    }
}
