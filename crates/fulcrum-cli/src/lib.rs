//! The `fulcrum` command line: verbs, flags, exit codes.
//!
//! Exit codes (also in the README):
//! - 0: success, including when standard output is closed early (`fulcrum run m.toml | head`);
//! - 1: the model or another input file is invalid (every diagnostic is printed);
//! - 2: the command line is wrong (unknown flag, bad value, `--set` of something that is not a
//!   constant of the model);
//! - 3: a run produced NaN or infinity (the variable and time are printed);
//! - 4: a file could not be read or written.

// Printing is this crate's job; the library crates never print.
#![allow(clippy::print_stderr, clippy::print_stdout)]

mod args;
mod commands;
mod experiment;
mod load;
mod render;
mod shard;

use std::io;
use std::process::ExitCode;

use clap::Parser;

pub use args::{Cli, Command};

/// Why the command failed; each kind has its exit code.
#[derive(Debug)]
pub enum CliError {
    /// The command line is wrong.
    Usage(String),
    /// The model has this many errors, already printed.
    InvalidModel(usize),
    /// The model's units disagree in this many places (with `--strict-units`), already printed.
    InconsistentUnits(usize),
    /// The experiment has this many errors, already printed.
    InvalidExperiment(usize),
    /// A changes file (`.cin`) has this many errors, already printed.
    InvalidChanges(usize),
    /// An input is unusable for a reason that is not a model diagnostic.
    Input(String),
    /// A run produced NaN or infinity.
    Simulation(fulcrum_sim::SimError),
    /// A run produced NaN or infinity, already printed at the variable in the model file.
    FailedRun,
    /// Reading or writing a file failed.
    Io(anyhow::Error),
    /// A calibration's posterior did not converge; its files are written for inspection.
    NotConverged(String),
    /// Standard output was closed by the reader: not an error.
    ClosedOutput,
}

impl CliError {
    /// A failed write to standard output: a closed pipe is the reader's choice, not an error.
    pub fn from_stdout(error: io::Error) -> CliError {
        if error.kind() == io::ErrorKind::BrokenPipe {
            CliError::ClosedOutput
        } else {
            CliError::Io(anyhow::anyhow!("cannot write to standard output: {error}"))
        }
    }

    fn exit_code(&self) -> u8 {
        match self {
            CliError::ClosedOutput => 0,
            CliError::InvalidModel(_)
            | CliError::InconsistentUnits(_)
            | CliError::InvalidExperiment(_)
            | CliError::InvalidChanges(_)
            | CliError::Input(_) => 1,
            CliError::Usage(_) => 2,
            CliError::Simulation(_) | CliError::FailedRun => 3,
            CliError::Io(_) => 4,
            CliError::NotConverged(_) => 5,
        }
    }
}

/// Parses the command line, runs the verb, and turns the outcome into an exit code.
pub fn main() -> ExitCode {
    // A build for x86-64-v3 (the default, see .cargo/config.toml) on a CPU without AVX2 would
    // stop at the first vector instruction with no explanation.
    #[cfg(all(target_arch = "x86_64", target_feature = "avx2"))]
    if !std::arch::is_x86_feature_detected!("avx2") {
        eprintln!(
            "error: this build of fulcrum needs a CPU with AVX2; rebuild with RUSTFLAGS=\"\" cargo build --release"
        );
        return ExitCode::from(4);
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => {
            // Help and version go to stdout with code 0; usage errors to stderr with code 2.
            let _ = error.print();
            return ExitCode::from(u8::try_from(error.exit_code()).unwrap_or(2));
        }
    };
    let outcome = match &cli.command {
        Command::Run(args) => commands::run::run(args),
        Command::Check(args) => commands::check::check(args),
        Command::Loops(args) => commands::loops::loops(args),
        Command::Convert(args) => commands::convert::convert(args),
        Command::Diagram(args) => commands::diagram::diagram(args),
        Command::Sweep(args) => commands::sweep::sweep(args),
        Command::Merge(args) => commands::merge::merge(args),
        Command::Slurm(args) => commands::slurm::slurm(args),
        Command::Sample(args) => commands::design::sample(args),
        Command::Sensitivity(args) => commands::sensitivity::sensitivity(args),
        Command::Leverage(args) => commands::leverage::leverage(args),
        Command::Compare(args) => commands::compare::compare(args),
        Command::Search(args) => commands::search::search(args),
        Command::Report(args) => commands::report::report(args),
        Command::Discover(args) => commands::discover::discover(args),
        Command::Calibrate(args) => commands::calibrate::calibrate(args),
    };
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            report(&error);
            ExitCode::from(error.exit_code())
        }
    }
}

fn report(error: &CliError) {
    match error {
        CliError::ClosedOutput => {}
        CliError::InvalidModel(count) => {
            eprintln!("error: the model has {count} error{}", if *count == 1 { "" } else { "s" });
        }
        CliError::InconsistentUnits(count) => {
            let plural = if *count == 1 { "" } else { "s" };
            eprintln!("error: the model's units disagree in {count} place{plural} (--strict-units makes them errors)");
        }
        CliError::InvalidExperiment(count) => {
            eprintln!("error: the experiment has {count} error{}", if *count == 1 { "" } else { "s" });
        }
        CliError::InvalidChanges(count) => {
            eprintln!("error: the changes file has {count} error{}", if *count == 1 { "" } else { "s" });
        }
        CliError::Usage(message) | CliError::Input(message) | CliError::NotConverged(message) => {
            eprintln!("error: {message}")
        }
        CliError::Simulation(error) => eprintln!("error: the run failed: {error}"),
        CliError::FailedRun => eprintln!("error: the run failed"),
        // The errors' own messages already name their cause (`cannot write X: reason`).
        CliError::Io(error) => eprintln!("error: {error}"),
    }
}
