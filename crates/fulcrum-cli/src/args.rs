//! Command-line arguments.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use fulcrum_model::Method;

/// fulcrum: stock-and-flow models of organizations, run many times, to find where to push.
#[derive(Parser, Debug)]
#[command(name = "fulcrum", version, about, max_term_width = 100)]
pub struct Cli {
    /// What to do.
    #[command(subcommand)]
    pub command: Command,
}

/// The verbs.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// Run a model once and write its values over time as CSV.
    Run(RunArgs),
    /// Check a model and summarize it: counts of each kind of variable, feedback loops.
    Check(CheckArgs),
    /// Convert a model (XMILE from Stella or Vensim, say) to fulcrum's TOML format.
    Convert(ConvertArgs),
}

/// `fulcrum convert`.
#[derive(clap::Args, Debug)]
pub struct ConvertArgs {
    /// The model file (.xmile, .stmx, .xml or .toml).
    pub model: PathBuf,
    /// Write the TOML here instead of to standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `fulcrum run`.
#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// The model file (.toml).
    pub model: PathBuf,
    /// Set a constant for this run, e.g. --set "Hiring Delay=3". Repeat for more.
    #[arg(long = "set", value_name = "NAME=VALUE", value_parser = parse_assignment, allow_hyphen_values = true)]
    pub set: Vec<(String, f64)>,
    /// Integration method instead of the model's.
    #[arg(long, value_parser = parse_method)]
    pub method: Option<Method>,
    /// Time step instead of the model's.
    #[arg(long, value_parser = parse_positive, allow_hyphen_values = true)]
    pub dt: Option<f64>,
    /// Start time instead of the model's.
    #[arg(long, value_parser = parse_finite, allow_hyphen_values = true)]
    pub start: Option<f64>,
    /// Stop time instead of the model's.
    #[arg(long, value_parser = parse_finite, allow_hyphen_values = true)]
    pub stop: Option<f64>,
    /// Save every this much time instead of the model's save step (a multiple of dt).
    #[arg(long, value_parser = parse_positive, allow_hyphen_values = true)]
    pub save_step: Option<f64>,
    /// Only these variables, in this order (comma-separated names as written in the model).
    #[arg(long, value_delimiter = ',', value_name = "NAMES")]
    pub vars: Vec<String>,
    /// Seed for the model's random functions (RANDOM, NORMAL, ...).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Write the CSV here instead of to standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
}

/// `fulcrum check`.
#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// The model file (.toml).
    pub model: PathBuf,
    /// How many feedback loops to list.
    #[arg(long, default_value_t = 10)]
    pub loops: usize,
}

fn parse_assignment(text: &str) -> Result<(String, f64), String> {
    let (name, value) = text.split_once('=').ok_or_else(|| format!("`{text}` is not NAME=VALUE"))?;
    let name = name.trim();
    if name.is_empty() {
        return Err(format!("`{text}` has no name before `=`"));
    }
    let value = parse_finite(value.trim()).map_err(|error| format!("{name}: {error}"))?;
    Ok((name.to_owned(), value))
}

fn parse_finite(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(value) if value.is_finite() => Ok(value),
        Ok(value) => Err(format!("{value} is not a finite number")),
        Err(_) => Err(format!("`{text}` is not a number")),
    }
}

fn parse_positive(text: &str) -> Result<f64, String> {
    let value = parse_finite(text)?;
    if value > 0.0 { Ok(value) } else { Err(format!("{value} must be greater than zero")) }
}

fn parse_method(text: &str) -> Result<Method, String> {
    text.parse::<Method>().map_err(|error| error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn assignments() {
        assert_eq!(parse_assignment("Hiring Delay = 3"), Ok(("Hiring Delay".to_owned(), 3.0)));
        assert_eq!(parse_assignment("a=-1e-3"), Ok(("a".to_owned(), -0.001)));
        assert!(parse_assignment("a").is_err());
        assert!(parse_assignment("=3").is_err());
        assert!(parse_assignment("a=x").is_err());
        assert!(parse_assignment("a=inf").is_err());
        assert!(parse_assignment("a=NaN").is_err());
        assert!(parse_positive("-1").is_err());
        assert!(parse_positive("0").is_err());
    }

    #[test]
    fn the_command_line_is_well_formed() {
        use clap::CommandFactory;
        Cli::command().debug_assert();
    }
}
