//! Command-line arguments.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use fulcrum_model::{Method, Precision};

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
    /// Which feedback loops drive the behaviour, when (Loops That Matter): loops.csv,
    /// loop_scores.csv, loops.svg, and the dominance periods in words.
    Loops(LoopsArgs),
    /// Convert a model (XMILE from Stella or Vensim, say) to fulcrum's TOML format.
    Convert(ConvertArgs),
    /// Draw a model's stock-and-flow diagram as SVG, at the positions its file saves if any.
    Diagram(DiagramArgs),
    /// Run an experiment: many runs under uncertainty, in parallel; outcomes and bands as CSV.
    Sweep(SweepArgs),
    /// Join the shards of a sweep (`sweep --shard`) into the files of the whole sweep.
    Merge(MergeArgs),
    /// Write a Slurm job script: a job array of sweep shards, then a job that merges them (and
    /// analyses the merged runs, for a design from `fulcrum sample`).
    Slurm(SlurmArgs),
    /// Write the runs a sweep or an analysis needs (experiments.csv and design.json) without
    /// running them: for `fulcrum sweep --design` and the analyses' `--from`.
    Sample(SampleArgs),
    /// How sensitive each outcome is to each parameter: oat, morris, sobol, prcc or src.
    Sensitivity(SensitivityArgs),
    /// Which levers move the outcomes disproportionately, over the experiment's futures.
    Leverage(LeverageArgs),
    /// Compare the experiment's interventions with the baseline over the same futures.
    Compare(CompareArgs),
    /// Search the levers and interventions for the combinations that do best over the futures
    /// (NSGA-II): pareto.csv, convergence.csv, pareto.svg and the candidates worth a look.
    Search(SearchArgs),
    /// One self-contained HTML page (inline charts and style) from output folders of run,
    /// sweep, sensitivity, leverage and compare.
    Report(ReportArgs),
    /// In which futures a condition holds (PRIM scenario discovery over a sweep's inputs):
    /// trajectory.csv, box.csv, discover.svg, and the box in words.
    Discover(crate::commands::discover::DiscoverArgs),
    /// Fit the experiment's [calibration] constants to historical data: the best fit, the
    /// posterior draws (for `[sampling] from`), convergence diagnostics and a chart.
    Calibrate(CalibrateArgs),
}

/// `fulcrum calibrate`.
#[derive(clap::Args, Debug)]
pub struct CalibrateArgs {
    /// The experiment file (.toml) with a [calibration] table.
    pub experiment: PathBuf,
    /// The directory to write fit.csv, posterior.csv, diagnostics.csv, fit.svg, summary.md and
    /// manifest.json into (and, while it runs, the checkpoint in .fulcrum-partial/).
    #[arg(short, long, value_name = "DIR")]
    pub output: PathBuf,
    /// Seed instead of the experiment's.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Worker threads (default: one per core); the draws do not depend on it.
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,
    /// Go on from the checkpoint an interrupted calibration left in the output directory
    /// (the same experiment, model, data and seed); the files are the same bytes as an
    /// uninterrupted calibration's.
    #[arg(long)]
    pub resume: bool,
    /// Stop after this many rounds of the sampler, leaving the checkpoint as an interrupted
    /// calibration would (for testing resumption).
    #[arg(long, hide = true, value_name = "ROUNDS")]
    pub stop_after_round: Option<usize>,
    #[command(flatten)]
    pub units: UnitsArgs,
}

/// `fulcrum report`.
#[derive(clap::Args, Debug)]
pub struct ReportArgs {
    /// Output folders (any mix of run, sweep, sensitivity, leverage and compare), in the order
    /// the page shows them.
    #[arg(required = true, value_name = "DIR")]
    pub folders: Vec<PathBuf>,
    /// The HTML file to write.
    #[arg(short, long, value_name = "FILE.html")]
    pub output: PathBuf,
}

/// How a command that reads a model treats units that disagree (one definition for every
/// command that has the flag).
#[derive(clap::Args, Clone, Debug, Default)]
pub struct UnitsArgs {
    /// Treat units that disagree, or cannot be read, as errors: print them and stop (exit 1)
    /// instead of warning and going on.
    #[arg(long)]
    pub strict_units: bool,
}

/// Flags every analysis takes.
#[derive(clap::Args, Clone, Debug)]
pub struct AnalysisArgs {
    /// The experiment file (.toml); with --from, by default the one the sweep recorded.
    #[arg(required_unless_present = "from")]
    pub experiment: Option<PathBuf>,
    /// The directory to write the CSV, charts and manifest into.
    #[arg(short, long, value_name = "DIR")]
    pub output: PathBuf,
    /// Analyse the runs of this sweep (of a design from `fulcrum sample`, merged if it ran in
    /// shards) instead of running the model; the design's flags come from the sweep.
    #[arg(long, value_name = "SWEEP_DIR")]
    pub from: Option<PathBuf>,
    /// Seed instead of the experiment's.
    #[arg(long, conflicts_with = "from")]
    pub seed: Option<u64>,
    /// Write into the output directory even if it holds another experiment's results.
    #[arg(long)]
    pub force: bool,
    /// Worker threads (default: one per core).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,
    #[command(flatten)]
    pub units: UnitsArgs,
}

impl AnalysisArgs {
    /// With `--from`: the flags the design was sampled with, but the threads and the sweep
    /// folder of this command line.
    pub fn recorded_from(&self, recorded: &AnalysisArgs) -> AnalysisArgs {
        AnalysisArgs { threads: self.threads, from: self.from.clone(), units: self.units.clone(), ..recorded.clone() }
    }
}

/// How confidence intervals are computed.
#[derive(clap::Args, Clone, Debug)]
pub struct IntervalArgs {
    /// Bootstrap resamples for the confidence intervals.
    #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(0..=100_000))]
    pub resamples: u64,
    /// Confidence level of the intervals.
    #[arg(long, default_value_t = 0.95, value_parser = parse_probability, allow_hyphen_values = true)]
    pub confidence: f64,
}

/// Which loops an option strengthens or weakens (loop_changes.csv).
#[derive(clap::Args, Clone, Debug)]
pub struct LoopChangeArgs {
    /// Average the loops' shares over the first N futures (each future is analysed under the
    /// baseline and every option, about fifty runs' work each); 0 skips loop_changes.csv.
    #[arg(long, value_name = "N", default_value_t = fulcrum_sensitivity::loop_changes::DEFAULT_FUTURES)]
    pub loop_futures: u64,
}

/// `fulcrum sensitivity`.
#[derive(clap::Args, Clone, Debug)]
pub struct SensitivityArgs {
    #[command(flatten)]
    pub common: AnalysisArgs,
    #[command(flatten)]
    pub intervals: IntervalArgs,
    /// The method.
    #[arg(long, value_enum, required_unless_present = "from", conflicts_with = "from")]
    pub method: Option<SensitivityMethod>,
    /// The method's base sample size N instead of the experiment's `runs` (Sobol runs
    /// N(D+2) models, Morris uses N trajectories of D+1 runs, PRCC and SRC N runs).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..), conflicts_with = "from")]
    pub samples: Option<u64>,
    /// Sobol: also second-order indices (N(2D+2) runs).
    #[arg(long, conflicts_with = "from")]
    pub second_order: bool,
    /// Morris: grid levels p (even).
    #[arg(long, default_value_t = 4, conflicts_with = "from")]
    pub levels: usize,
    /// Morris: choose the trajectories with the widest spread out of this many (Campolongo
    /// 2007); the search takes time growing with the square of the pool (seconds for a
    /// thousand with dozens of parameters).
    #[arg(long, value_name = "POOL", conflicts_with = "from")]
    pub optimize: Option<usize>,
    /// One-at-a-time: the relative step of the elasticity.
    #[arg(long, default_value_t = 0.01, value_parser = parse_fraction, allow_hyphen_values = true, conflicts_with = "from")]
    pub step: f64,
    /// Also analyze this variable at every saved time (how each parameter's influence rises
    /// and falls through the run).
    #[arg(long, value_name = "VAR", conflicts_with = "from")]
    pub over_time: Option<String>,
    /// Parameters that move as one, e.g. --group "Attrition=Normal Rookie Attrition,Normal
    /// Experienced Attrition". Repeat for more groups.
    #[arg(long, value_name = "NAME=P1,P2,...", value_parser = parse_group, conflicts_with = "from")]
    pub group: Vec<(String, Vec<String>)>,
}

/// The sensitivity methods.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum SensitivityMethod {
    /// One at a time around the baseline: low/high outcomes and elasticities (a tornado).
    Oat,
    /// Morris elementary effects: mu, mu*, sigma.
    Morris,
    /// Sobol indices by Saltelli's design: S1, ST (and S2).
    Sobol,
    /// Partial rank correlation coefficients.
    Prcc,
    /// Standardized regression coefficients.
    Src,
}

impl SensitivityMethod {
    /// The name in files.
    pub fn as_str(self) -> &'static str {
        match self {
            SensitivityMethod::Oat => "oat",
            SensitivityMethod::Morris => "morris",
            SensitivityMethod::Sobol => "sobol",
            SensitivityMethod::Prcc => "prcc",
            SensitivityMethod::Src => "src",
        }
    }
}

/// `fulcrum leverage`.
#[derive(clap::Args, Clone, Debug)]
pub struct LeverageArgs {
    #[command(flatten)]
    pub common: AnalysisArgs,
    #[command(flatten)]
    pub intervals: IntervalArgs,
    /// Futures to sample instead of the experiment's `runs`.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..), conflicts_with = "from")]
    pub futures: Option<u64>,
    /// The relative change of each lever (0.1 = ±10%).
    #[arg(long, default_value_t = 0.1, value_parser = parse_fraction, allow_hyphen_values = true, conflicts_with = "from")]
    pub delta: f64,
    /// Skip the Sobol total-order cross-check (N(D+2) more runs).
    #[arg(long, conflicts_with = "from")]
    pub no_cross_check: bool,
    #[command(flatten)]
    pub loops: LoopChangeArgs,
}

/// `fulcrum compare`.
#[derive(clap::Args, Clone, Debug)]
pub struct CompareArgs {
    #[command(flatten)]
    pub common: AnalysisArgs,
    /// Futures to sample instead of the experiment's `runs`.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..), conflicts_with = "from")]
    pub futures: Option<u64>,
    #[command(flatten)]
    pub loops: LoopChangeArgs,
}

/// `fulcrum search`.
#[derive(clap::Args, Clone, Debug)]
pub struct SearchArgs {
    /// The experiment file (.toml).
    pub experiment: PathBuf,
    /// The directory to write pareto.csv, convergence.csv, pareto.svg and the manifest into.
    #[arg(short, long, value_name = "DIR")]
    pub output: PathBuf,
    /// Candidates per generation.
    #[arg(long, default_value_t = 40, value_parser = clap::value_parser!(u32).range(4..=100_000))]
    pub population: u32,
    /// Generations after the first (random) one.
    #[arg(long, conflicts_with = "evaluations", value_parser = clap::value_parser!(u32).range(0..=1_000_000))]
    pub generations: Option<u32>,
    /// Candidates to evaluate in all, instead of --generations (rounded down to whole
    /// generations, at least two).
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub evaluations: Option<u64>,
    /// Futures each candidate runs in, instead of the experiment's `runs`.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub futures: Option<u64>,
    /// Seed of the futures and the search, instead of the experiment's.
    #[arg(long)]
    pub seed: Option<u64>,
    /// Write into the output directory even if it holds another experiment's results.
    #[arg(long)]
    pub force: bool,
    /// Worker threads (default: one per core).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,
    /// Finish a search that was interrupted in this output directory: it goes on from the last
    /// generation it checkpointed, and the files are the same bytes as an uninterrupted search's.
    #[arg(long)]
    pub resume: bool,
    /// Write the search's state to disk after a generation at least this often, in seconds
    /// (what an interrupted search keeps for --resume; 0 after every generation); the files are
    /// the same for any value.
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub checkpoint_every: u64,
    #[command(flatten)]
    pub units: UnitsArgs,
}

/// `fulcrum sample`.
#[derive(clap::Args, Debug)]
pub struct SampleArgs {
    /// Whose design.
    #[command(subcommand)]
    pub design: SampleCommand,
}

/// The designs `fulcrum sample` writes, with the flags of the command that runs them.
#[derive(Subcommand, Clone, Debug)]
pub enum SampleCommand {
    /// The experiment's own sample (Monte Carlo, Latin hypercube, Sobol points or a grid).
    Sweep(SampleSweepArgs),
    /// A sensitivity method's design (one at a time, Morris, Sobol/Saltelli, PRCC, SRC).
    Sensitivity(SensitivityArgs),
    /// Every lever a little up and down in every future, and the Sobol cross-check.
    Leverage(LeverageArgs),
    /// The baseline and every intervention in the same futures.
    Compare(CompareArgs),
}

impl SampleCommand {
    /// The command's name.
    pub fn name(&self) -> &'static str {
        match self {
            SampleCommand::Sweep(_) => "sweep",
            SampleCommand::Sensitivity(_) => "sensitivity",
            SampleCommand::Leverage(_) => "leverage",
            SampleCommand::Compare(_) => "compare",
        }
    }
}

/// `fulcrum sample sweep`.
#[derive(clap::Args, Clone, Debug)]
pub struct SampleSweepArgs {
    /// The experiment file (.toml).
    pub experiment: PathBuf,
    /// The directory to write experiments.csv and design.json into.
    #[arg(short, long, value_name = "DIR")]
    pub output: PathBuf,
    /// Write into the output directory even if it holds another experiment's results.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub design: SweepDesignArgs,
}

/// The flags that decide which runs a sweep makes.
#[derive(clap::Args, Clone, Debug, Default)]
pub struct SweepDesignArgs {
    /// Futures to sample instead of the experiment's `runs`.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..))]
    pub runs: Option<u64>,
    /// Seed instead of the experiment's.
    #[arg(long)]
    pub seed: Option<u64>,
    /// The sampler instead of the experiment's: random (Monte Carlo), lhs or sobol.
    #[arg(long, value_parser = parse_sampler)]
    pub sampler: Option<fulcrum_explore::Sampler>,
    /// A full-factorial axis, e.g. --grid "Hiring Delay=3,6,9"; crossed with the sampled futures.
    /// Repeat for more axes; it replaces an axis of the experiment with the same name.
    #[arg(long, value_name = "NAME=V1,V2,...", value_parser = parse_grid, allow_hyphen_values = true)]
    pub grid: Vec<fulcrum_explore::experiment::GridAxis>,
    /// Apply this intervention (by name) to every run.
    #[arg(long, value_name = "NAME")]
    pub intervention: Option<String>,
}

/// `fulcrum sweep`.
#[derive(clap::Args, Debug)]
pub struct SweepArgs {
    /// The experiment file (.toml).
    pub experiment: PathBuf,
    /// The directory to write experiments.csv, outcomes.csv, bands.csv, ... into.
    #[arg(short, long, value_name = "DIR")]
    pub output: PathBuf,
    /// Worker threads (default: one per core).
    #[arg(long, value_parser = clap::value_parser!(u16).range(1..))]
    pub threads: Option<u16>,
    /// Write into the output directory even if it holds another experiment's results.
    #[arg(long)]
    pub force: bool,
    #[command(flatten)]
    pub units: UnitsArgs,
    #[command(flatten)]
    pub sampled: SweepDesignArgs,
    /// Run the design `fulcrum sample` wrote in this directory (for the experiment given)
    /// instead of the experiment's own sample.
    #[arg(long, value_name = "DESIGN_DIR", conflicts_with_all = ["runs", "seed", "sampler", "grid", "intervention"])]
    pub design: Option<PathBuf>,
    /// Variables to compute bands for: comma-separated names, `all` or `none` (default: the
    /// outcomes' variables).
    #[arg(long, value_name = "NAMES")]
    pub bands: Vec<String>,
    /// Keep these variables' trajectories in runs.csv (comma-separated names, or `all`).
    #[arg(long, value_name = "NAMES")]
    pub save_runs: Vec<String>,
    /// Round the numbers of results.csv, the file for spreadsheets, to this many significant
    /// digits (1 to 17); the files fulcrum reads back keep every digit.
    #[arg(long, value_name = "DIGITS", value_parser = clap::value_parser!(u8).range(1..=17))]
    pub round: Option<u8>,
    /// Also write runs-wide.csv: the kept trajectories (--save-runs) with time down and one
    /// column per run and variable, as a spreadsheet charts them.
    #[arg(long)]
    pub wide: bool,
    /// Band quantiles from every value (exact) or from log histograms (sketch, within 0.05%);
    /// by default exact up to 2^25 values (256 MiB), else the sketch.
    #[arg(long, value_enum)]
    pub quantiles: Option<QuantileChoice>,
    /// Run only shard K of N (K/N, 1 ≤ K ≤ N) of the runs, for `fulcrum merge` to join; or
    /// `auto`: the shard the launcher gives (Slurm job arrays, Kubernetes indexed jobs with
    /// --shards, MPI).
    #[arg(long, value_name = "K/N|auto", value_parser = crate::shard::parse_shard)]
    pub shard: Option<crate::shard::ShardFlag>,
    /// Finish a sweep that was interrupted in this output directory: the runs it finished are
    /// kept, the rest are run, and the files are the same bytes as an uninterrupted sweep's.
    #[arg(long)]
    pub resume: bool,
    /// Write the finished runs to disk at least this often, in seconds (what an interrupted
    /// sweep keeps for --resume); the files are the same for any value.
    #[arg(long, value_name = "SECONDS", default_value_t = 60)]
    pub checkpoint_every: u64,
    /// With --shard auto: how many shards (needed for Kubernetes indexed jobs; elsewhere it
    /// overrides the launcher's count).
    #[arg(long, value_name = "N", requires = "shard", value_parser = clap::value_parser!(u64).range(1..))]
    pub shards: Option<u64>,
}

/// How band quantiles are computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum QuantileChoice {
    /// From every value.
    Exact,
    /// From log histograms.
    Sketch,
}

/// `fulcrum diagram`.
#[derive(clap::Args, Debug)]
pub struct DiagramArgs {
    /// The model file (.toml, .xmile, .stmx, .xml or .mdl).
    pub model: PathBuf,
    /// Write the SVG here instead of to standard output.
    #[arg(short, long, value_name = "FILE.svg")]
    pub output: Option<PathBuf>,
    /// Lay the diagram out automatically even when the file saves its own.
    #[arg(long)]
    pub automatic: bool,
    /// Draw this feedback loop (an id `fulcrum loops` gives, such as R1 or B2) in bold colour.
    #[arg(long = "loop", value_name = "ID")]
    pub on_loop: Option<String>,
    /// A Vensim data file (.tab or .csv) giving data variables without an equation their values,
    /// as for `fulcrum run`. Repeat for more.
    #[arg(long = "data", value_name = "FILE")]
    pub data: Vec<PathBuf>,
}

/// `fulcrum convert`.
#[derive(clap::Args, Debug)]
pub struct ConvertArgs {
    /// The model file (.xmile, .stmx, .xml, .mdl or .toml).
    pub model: PathBuf,
    /// Write the model here instead of to standard output: XMILE for a name ending .xmile, .stmx
    /// or .xml, else the native TOML format.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// The format to write, whatever the output's name: toml or xmile.
    #[arg(long, value_name = "FORMAT", value_parser = ["toml", "xmile"])]
    pub to: Option<String>,
    /// A Vensim data file (.tab or .csv, as Vensim exports a run) that gives the model's data
    /// variables without an equation their values. Repeat for more; the first with a column wins.
    #[arg(long = "data", value_name = "FILE")]
    pub data: Vec<PathBuf>,
}

/// `fulcrum run`.
#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// The model file (.toml, .xmile, .stmx, .xml, .mdl); not needed with --experiment.
    #[arg(required_unless_present = "experiment")]
    pub model: Option<PathBuf>,
    /// Run the model of this experiment file, with its sim settings and lever baselines.
    #[arg(long, value_name = "FILE", conflicts_with = "model")]
    pub experiment: Option<PathBuf>,
    /// With --experiment: apply this intervention (by name).
    #[arg(long, value_name = "NAME", requires = "experiment")]
    pub intervention: Option<String>,
    /// Apply a Vensim changes file to the model, whatever its format: `name = value`,
    /// `name[elements] = v1, v2, ...` and lookups `name((x1,y1),(x2,y2),...)`, one per line
    /// (INITIAL TIME, FINAL TIME, TIME STEP and SAVEPER change the time axis). Repeat for more:
    /// a later file overrides an earlier one, and --set and the time flags apply after them. In
    /// an experiment, an intervention names one with `changes = "file.cin"`.
    #[arg(long = "changes", value_name = "FILE.cin", conflicts_with = "experiment")]
    pub changes: Vec<PathBuf>,
    /// Set a constant for this run, e.g. --set "Hiring Delay=3". Repeat for more.
    #[arg(long = "set", value_name = "NAME=VALUE", value_parser = parse_assignment, allow_hyphen_values = true)]
    pub set: Vec<(String, f64)>,
    /// Integration method instead of the model's.
    #[arg(long, value_parser = parse_method)]
    pub method: Option<Method>,
    /// Arithmetic precision instead of the model's: `single` rounds every stored value and every
    /// result to the nearest float32, as Vensim computes, so results match Vensim's to the bit
    /// far more often; `double` (the default for every model format) is fulcrum's own.
    #[arg(long, value_name = "single|double", value_parser = parse_precision)]
    pub precision: Option<Precision>,
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
    #[arg(long, value_name = "NAMES")]
    pub vars: Vec<String>,
    /// Seed for the model's random functions (RANDOM, NORMAL, ...).
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Write the CSV here instead of to standard output.
    #[arg(short, long, value_name = "FILE")]
    pub output: Option<PathBuf>,
    /// Also draw the run's variables over time as an SVG chart here: the --vars, or else the
    /// model's stocks (the first eight), one panel each with its unit.
    #[arg(long, value_name = "FILE.svg")]
    pub chart: Option<PathBuf>,
    /// A Vensim data file (.tab or .csv, as Vensim exports a run) that gives the model's data
    /// variables without an equation their values. Repeat for more; the first with a column wins.
    #[arg(long = "data", value_name = "FILE", conflicts_with = "experiment")]
    pub data: Vec<PathBuf>,
    #[command(flatten)]
    pub units: UnitsArgs,
}

/// `fulcrum loops`.
#[derive(clap::Args, Debug)]
pub struct LoopsArgs {
    /// The model file (.toml, .xmile, .stmx, .xml, .mdl); not needed with --experiment.
    #[arg(required_unless_present = "experiment")]
    pub model: Option<PathBuf>,
    /// Analyse the run of this experiment's model, with its sim settings and lever baselines.
    #[arg(long, value_name = "FILE", conflicts_with = "model")]
    pub experiment: Option<PathBuf>,
    /// With --experiment: the run under this intervention (by name).
    #[arg(long, value_name = "NAME", requires = "experiment")]
    pub intervention: Option<String>,
    /// The folder to write loops.csv, loop_scores.csv and loops.svg into.
    #[arg(short, long, value_name = "DIR")]
    pub output: PathBuf,
    /// How many loops, by mean share of the behaviour, get their own columns and bands.
    #[arg(long, default_value_t = 10, value_name = "N")]
    pub top: usize,
    /// Show these loops (ids as `fulcrum loops` names them, R1, B2, ...) instead of the top ones.
    #[arg(long = "loop", value_name = "ID")]
    pub loops: Vec<String>,
    #[command(flatten)]
    pub units: UnitsArgs,
}

/// `fulcrum check`.
#[derive(clap::Args, Debug)]
pub struct CheckArgs {
    /// The model file (.toml).
    pub model: PathBuf,
    /// How many feedback loops to list.
    #[arg(long, default_value_t = 10)]
    pub loops: usize,
    /// A Vensim data file (.tab or .csv, as Vensim exports a run) that gives the model's data
    /// variables without an equation their values. Repeat for more; the first with a column wins.
    #[arg(long = "data", value_name = "FILE")]
    pub data: Vec<PathBuf>,
    #[command(flatten)]
    pub units: UnitsArgs,
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

fn parse_sampler(text: &str) -> Result<fulcrum_explore::Sampler, String> {
    text.parse().map_err(|error: fulcrum_explore::design::UnknownSampler| error.to_string())
}

fn parse_grid(text: &str) -> Result<fulcrum_explore::experiment::GridAxis, String> {
    fulcrum_explore::experiment::parse_grid_axis(text)
}

fn parse_finite(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(value) if value.is_finite() => Ok(value),
        Ok(value) => Err(format!("{value} is not a finite number")),
        Err(_) => Err(format!("`{text}` is not a number")),
    }
}

fn parse_probability(text: &str) -> Result<f64, String> {
    let value = parse_finite(text)?;
    if value > 0.0 && value < 1.0 { Ok(value) } else { Err(format!("{value} must be between 0 and 1")) }
}

/// A relative change, made both up and down from the baseline (`--delta`, `--step`).
fn parse_fraction(text: &str) -> Result<f64, String> {
    let value = parse_finite(text)?;
    if value > 0.0 && value < 1.0 {
        Ok(value)
    } else if value < 0.0 {
        // Someone writing a minus sign may think it chooses the direction; it does not.
        Err(format!(
            "{value} must be between 0 and 1 (0.1 = 10%)\n\n  tip: the change is made both up and down, so give \
             its size without a sign (0.1 for ±10%)"
        ))
    } else {
        Err(format!("{value} must be between 0 and 1 (0.1 = 10%)"))
    }
}

fn parse_group(text: &str) -> Result<(String, Vec<String>), String> {
    let (name, members) = text.split_once('=').ok_or_else(|| format!("`{text}` is not NAME=P1,P2,..."))?;
    let name = name.trim();
    let members: Vec<String> = members.split(',').map(str::trim).filter(|m| !m.is_empty()).map(str::to_owned).collect();
    if name.is_empty() || members.is_empty() {
        return Err(format!("`{text}` needs a group name and at least one parameter"));
    }
    Ok((name.to_owned(), members))
}

fn parse_positive(text: &str) -> Result<f64, String> {
    let value = parse_finite(text)?;
    if value > 0.0 { Ok(value) } else { Err(format!("{value} must be greater than zero")) }
}

fn parse_method(text: &str) -> Result<Method, String> {
    text.parse::<Method>().map_err(|error| error.to_string())
}

fn parse_precision(text: &str) -> Result<Precision, String> {
    text.parse::<Precision>().map_err(|error| error.to_string())
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

/// `fulcrum merge`.
#[derive(clap::Args, Debug)]
pub struct MergeArgs {
    /// The shards' output directories (any order).
    #[arg(required = true, value_name = "SHARD_DIR")]
    pub shards: Vec<PathBuf>,
    /// The directory to write the whole sweep's files into.
    #[arg(short, long, value_name = "DIR")]
    pub output: PathBuf,
    /// Write into the output directory even if it holds another experiment's results.
    #[arg(long)]
    pub force: bool,
}

/// `fulcrum slurm`.
#[derive(clap::Args, Debug)]
pub struct SlurmArgs {
    /// The experiment file (.toml).
    pub experiment: PathBuf,
    /// How many shards: the size of the job array.
    #[arg(long, value_parser = clap::value_parser!(u64).range(1..=100_000))]
    pub shards: u64,
    /// Run this design from `fulcrum sample`; for an analysis's design, the merge job then
    /// analyses the merged runs into DIR/analysis.
    #[arg(long, value_name = "DESIGN_DIR")]
    pub design: Option<PathBuf>,
    /// Where the shards and the merged sweep go: DIR/shards/K, DIR/merged, DIR/logs.
    #[arg(long, value_name = "DIR", default_value = "fulcrum-out")]
    pub output: PathBuf,
    /// Write the job script here instead of to standard output.
    #[arg(short = 'o', long = "script", value_name = "FILE")]
    pub script: Option<PathBuf>,
    /// The Slurm partition.
    #[arg(long)]
    pub partition: Option<String>,
    /// The time limit of each shard, as Slurm takes it (e.g. 1:00:00).
    #[arg(long)]
    pub time: Option<String>,
    /// The account to charge.
    #[arg(long)]
    pub account: Option<String>,
    /// CPUs for each shard (its worker threads).
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u16).range(1..))]
    pub cpus_per_task: u16,
    /// Memory for each shard, as Slurm takes it (e.g. 4G).
    #[arg(long)]
    pub mem: Option<String>,
    /// The fulcrum binary the jobs run (default: this one).
    #[arg(long, value_name = "PATH")]
    pub fulcrum: Option<PathBuf>,
    /// After `--`: flags for every shard's `fulcrum sweep`, e.g. `-- --runs 100000 --save-runs Staff`.
    #[arg(last = true, value_name = "SWEEP_FLAGS")]
    pub sweep_flags: Vec<String>,
}
