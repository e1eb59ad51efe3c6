//! Experiment files: which model, what is uncertain, which levers a planner controls, the named
//! interventions, the outcomes that matter, and how to sample.
//!
//! ```toml
//! model = "model.toml"              # relative to the experiment file; native or XMILE
//! [sim]                             # optional overrides of the model's sim specs
//! method = "rk4"
//! precision = "single"              # Vensim's float32 arithmetic; default double
//! [sampling]
//! method = "lhs"                    # random | lhs | sobol | grid
//! runs = 1000
//! seed = 42
//! grid = { "Hiring Delay" = [3, 6, 9] }   # optional full-factorial axes
//! [[uncertain]]
//! name = "Attrition Rate"
//! distribution = "triangular"
//! min = 0.05
//! mode = 0.1
//! max = 0.2
//! [[lever]]
//! name = "Hiring Delay"
//! baseline = 6
//! min = 3
//! max = 9
//! cost_per_unit = 1000
//! [[lever]]                         # a Vensim changes file, a switch: 0 not applied, 1 applied
//! name = "cleaner technology"
//! changes = "scenario.cin"
//! [[intervention]]
//! name = "faster hiring"
//! set = { "Hiring Delay" = 3 }      # and/or changes = "scenario.cin", a Vensim changes file
//! cost = 50000
//! start = 12
//! [[outcome]]
//! name = "final backlog"
//! variable = "Backlog"
//! statistic = "final"
//! better = "lower"
//! ```
//!
//! Reading checks the file on its own ([`read`]); [`Experiment::plan`] then checks it against
//! the compiled model. Both report every problem at once, with the span of the key or value.

use std::sync::Arc;

use fulcrum_model::ResolvedModel;
use fulcrum_model::diagnostic::closest_match;
use fulcrum_model::resolve::check_sim_specs;
use fulcrum_model::syntax::Span;
use fulcrum_model::toml_walk::{self, Table, Walker, span_of};
use fulcrum_model::{Code, Diagnostic, Diagnostics, Method, Precision, SimSpecs};
use fulcrum_sim::{CompiledModel, VarId};

pub use crate::design::Setting;
use crate::design::{Design, Factor, FactorKind, MAX_RUNS, Sampler};
use crate::distribution::Distribution;
use crate::outcome::{Better, LoopShare, Outcome, Statistic};

/// An experiment as written, checked on its own.
#[derive(Clone, Debug, PartialEq)]
pub struct Experiment {
    /// The model file, as written: relative to the experiment file.
    pub model: String,
    /// Where `model` is written.
    pub model_span: Option<Span>,
    /// Overrides of the model's sim specs.
    pub sim: SimOverrides,
    /// How many runs, sampled how.
    pub sampling: Sampling,
    /// Constants drawn from distributions.
    pub uncertain: Vec<Uncertain>,
    /// Policy parameters a planner controls.
    pub levers: Vec<Lever>,
    /// Named options: sets of lever values.
    pub interventions: Vec<Intervention>,
    /// What to measure in each run.
    pub outcomes: Vec<OutcomeSpec>,
    /// `[calibration]`: the constants to fit to historical data, if the experiment has it.
    pub calibration: Option<Calibration>,
    /// `[search]`: the settings of `fulcrum search`.
    pub search: SearchSettings,
}

/// `[calibration]`: which constants to fit to which data, and how to score a fit. The
/// fitting itself lives in the calibrate crate; this is the table as written, checked on its own.
///
/// ```toml
/// [calibration]
/// data = "history.csv"            # relative to the experiment file
/// constants = ["Hiring Delay"]    # each declared in [[uncertain]]: its distribution is the prior
/// likelihood = "gaussian"         # sse | gaussian | lognormal | negative_binomial
/// start = 0                       # optional fitted window
/// stop = 60
/// [calibration.series."Workforce"] # optional, per data column
/// weight = 1
/// scale = 2.5                     # gaussian / lognormal: known error scale (else marginalized)
/// dispersion = 20                 # negative_binomial: required
/// ```
#[derive(Clone, Debug, PartialEq)]
pub struct Calibration {
    /// The data file, relative to the experiment file, and where it is written.
    pub data: (String, Span),
    /// The constants to fit, with where each is written.
    pub constants: Vec<(String, Span)>,
    /// How a series' misfit is scored.
    pub likelihood: Likelihood,
    /// The first time fitted, if not the data's first.
    pub start: Option<(f64, Span)>,
    /// The last time fitted, if not the data's last.
    pub stop: Option<(f64, Span)>,
    /// Settings of single series, by column name.
    pub series: Vec<SeriesSettings>,
    /// Starts of the global optimizer (default in the calibrate crate).
    pub restarts: Option<(u64, Span)>,
    /// Posterior draws to keep, all walkers together.
    pub draws: Option<(u64, Span)>,
    /// Walkers of the ensemble sampler.
    pub walkers: Option<(u64, Span)>,
    /// Where the table is.
    pub span: Span,
}

/// How a series' misfit is scored.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Likelihood {
    /// Weighted sum of squared errors; as a likelihood, Gaussian errors of scale `1/sqrt(weight)`.
    SumOfSquares,
    /// Gaussian errors of a known scale, or of an unknown scale integrated out.
    Gaussian,
    /// Gaussian errors on the logarithm: multiplicative error.
    LogNormal,
    /// Counts: negative binomial around the model's value with a given dispersion.
    NegativeBinomial,
}

impl Likelihood {
    /// The name used in experiment files.
    pub fn as_str(self) -> &'static str {
        match self {
            Likelihood::SumOfSquares => "sse",
            Likelihood::Gaussian => "gaussian",
            Likelihood::LogNormal => "lognormal",
            Likelihood::NegativeBinomial => "negative_binomial",
        }
    }
}

/// `[search]`: what constrains a search over the levers and interventions.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SearchSettings {
    /// The most a candidate may cost (levers' `cost_per_unit` times their change from baseline,
    /// plus the costs of the interventions it switches on), with where it is written.
    pub budget: Option<(f64, Span)>,
}

/// How a search summarizes an outcome over the futures: `robustness` on an `[[outcome]]`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Robustness {
    /// The mean over futures.
    Mean,
    /// The 10th percentile over futures (the bad tail of an outcome where higher is better).
    P10,
    /// The 90th percentile over futures (the bad tail of an outcome where lower is better).
    P90,
    /// The largest regret over futures: how far the candidate falls short of the best candidate
    /// of its generation in that future.
    Regret,
    /// The share of futures in which the outcome meets the threshold (at least it where higher
    /// is better, at most it where lower is better).
    Satisfice(f64),
}

impl std::str::FromStr for Robustness {
    type Err = String;

    fn from_str(text: &str) -> Result<Robustness, String> {
        let trimmed = text.trim();
        match trimmed.to_ascii_lowercase().as_str() {
            "mean" => return Ok(Robustness::Mean),
            "p10" => return Ok(Robustness::P10),
            "p90" => return Ok(Robustness::P90),
            "regret" => return Ok(Robustness::Regret),
            _ => {}
        }
        let threshold = trimmed.strip_prefix("satisfice:").or_else(|| trimmed.strip_prefix("SATISFICE:"));
        match threshold.map(|value| value.trim().parse::<f64>()) {
            Some(Ok(value)) if value.is_finite() => Ok(Robustness::Satisfice(value)),
            Some(_) => {
                Err(format!("`{trimmed}`: satisfice needs a number after the colon, such as \"satisfice:1200\""))
            }
            None => Err(format!(
                "`{trimmed}` is not a robustness; use \"mean\", \"p10\", \"p90\", \"regret\" or \"satisfice:X\""
            )),
        }
    }
}

/// `[calibration.series."Name"]`.
#[derive(Clone, Debug, PartialEq)]
pub struct SeriesSettings {
    /// The data column, as written.
    pub name: String,
    /// Multiplies the series' log-likelihood (or its squared errors).
    pub weight: Option<f64>,
    /// The known error scale (Gaussian: in the series' units; log-normal: of the logarithm).
    pub scale: Option<f64>,
    /// The negative binomial's dispersion `r`: variance `mu + mu^2 / r`.
    pub dispersion: Option<f64>,
    /// Where the name is written.
    pub span: Span,
}

impl std::fmt::Display for Robustness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Robustness::Mean => f.write_str("mean"),
            Robustness::P10 => f.write_str("p10"),
            Robustness::P90 => f.write_str("p90"),
            Robustness::Regret => f.write_str("regret"),
            Robustness::Satisfice(value) => write!(f, "satisfice:{value}"),
        }
    }
}

/// `[sim]`: each given value replaces the model's.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SimOverrides {
    /// Start time.
    pub start: Option<(f64, Span)>,
    /// Stop time.
    pub stop: Option<(f64, Span)>,
    /// Time step.
    pub dt: Option<(f64, Span)>,
    /// Save interval.
    pub save_step: Option<(f64, Span)>,
    /// Integration method.
    pub method: Option<(Method, Span)>,
    /// Arithmetic precision (`single` is Vensim's).
    pub precision: Option<(Precision, Span)>,
}

/// `[sampling]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Sampling {
    /// The sampler of the uncertain constants.
    pub sampler: Sampler,
    /// Futures to sample (for `grid`, levels to the power of the uncertain constants).
    pub runs: u64,
    /// Where `runs` is written.
    pub runs_span: Option<Span>,
    /// The master seed.
    pub seed: u64,
    /// Full-factorial axes, crossed with the sampled futures.
    pub grid: Vec<GridAxis>,
    /// A table of draws (a calibration's `posterior.csv`, relative to the experiment file) whose
    /// columns name uncertain constants: those take whole rows of it ([`Plan::draw_from`]).
    pub from: Option<(String, Span)>,
}

/// Sampled futures when `runs` is not given.
pub const DEFAULT_RUNS: u64 = 1000;

/// One axis of a full-factorial grid.
#[derive(Clone, Debug, PartialEq)]
pub struct GridAxis {
    /// The constant.
    pub name: String,
    /// Its values, in order.
    pub values: Vec<f64>,
    /// Where the axis is written (none when it came from the command line).
    pub span: Option<Span>,
}

/// `[[uncertain]]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Uncertain {
    /// The constant.
    pub name: String,
    /// Its distribution.
    pub distribution: Distribution,
    /// Where the name is written.
    pub span: Option<Span>,
}

/// `[[lever]]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Lever {
    /// The constant.
    pub name: String,
    /// The value today; the model's value when not given.
    pub baseline: Option<f64>,
    /// The lowest value a planner could set.
    pub min: f64,
    /// The highest value a planner could set.
    pub max: f64,
    /// What one unit of change costs.
    pub cost_per_unit: Option<f64>,
    /// Whether a search sets it to whole numbers only (`integer = true`).
    pub integer: bool,
    /// A Vensim changes file (`.cin`) the lever applies, relative to the experiment file, with
    /// where it is written. Such a lever is a switch: a constant of its own name, 0 for the model
    /// as written and 1 for the file applied (min 0, max 1). Whoever reads the file adds the
    /// constant to the model; this crate reads no files.
    pub changes: Option<(String, Span)>,
    /// Where the name is written.
    pub span: Option<Span>,
}

/// `[[intervention]]`.
#[derive(Clone, Debug, PartialEq)]
pub struct Intervention {
    /// Its name.
    pub name: String,
    /// Constants and the values it gives them, with where each is written.
    pub set: Vec<(String, f64, Option<Span>)>,
    /// A Vensim changes file (`.cin`) whose changes it applies, relative to the experiment file,
    /// with where it is written. Whoever reads the file adds its constants to `set` (values in
    /// `set` itself win); this crate reads no files.
    pub changes: Option<(String, Span)>,
    /// What it costs in all.
    pub cost: Option<f64>,
    /// When it takes effect; from the start when not given.
    pub start: Option<f64>,
    /// Where the name is written.
    pub span: Option<Span>,
}

/// `[[outcome]]`.
#[derive(Clone, Debug, PartialEq)]
pub struct OutcomeSpec {
    /// The column name in outcomes.csv.
    pub name: String,
    /// The variable it summarises.
    pub variable: String,
    /// How.
    pub statistic: Statistic,
    /// Which direction is good.
    pub better: Option<Better>,
    /// How a search summarizes it over futures (`robustness`; the mean when not given).
    pub robustness: Robustness,
    /// Where the variable is written.
    pub span: Option<Span>,
    /// Where the statistic is written.
    pub statistic_span: Option<Span>,
    /// Where the name is written; without a `name`, where the variable it is named after is.
    pub name_span: Option<Span>,
}

/// The sections an experiment may have.
const SECTIONS: [&str; 9] =
    ["model", "sim", "sampling", "uncertain", "lever", "intervention", "outcome", "calibration", "search"];

/// Reads an experiment file. `Err` means it is not valid TOML; otherwise the experiment comes
/// back with every problem found in it (errors and warnings).
pub fn read(text: &str) -> Result<(Experiment, Diagnostics), Diagnostics> {
    let document = toml_walk::parse(text)?;
    let span = document.span();
    let mut reader = Reader { walker: Walker::new(text) };
    let experiment = reader.experiment(Table::new(document.get_ref(), Span::new(span.start, span.end), "the file"));
    let mut diagnostics = reader.walker.diagnostics;
    diagnostics.sort();
    Ok((experiment, diagnostics))
}

struct Reader<'a> {
    walker: Walker<'a>,
}

impl Reader<'_> {
    fn report(&mut self, diagnostic: Diagnostic) {
        self.walker.report(diagnostic);
    }

    fn experiment(&mut self, mut root: Table<'_, '_>) -> Experiment {
        let (model, model_span) = match root.get("model") {
            Some(value) => match value.get_ref().as_str() {
                Some(path) if !path.trim().is_empty() => (path.to_owned(), Some(span_of(value))),
                _ => {
                    self.walker.wrong_type("the file", "model", "the path of the model file", span_of(value));
                    (String::new(), Some(span_of(value)))
                }
            },
            None => {
                self.report(
                    // Pointed at the file's start, where `model = ...` goes.
                    Diagnostic::new(Code::MissingKey, "the experiment names no model")
                        .at(Some(Span::new(0, 0)))
                        .with_help("add `model = \"model.toml\"`, a path relative to the experiment file"),
                );
                (String::new(), None)
            }
        };
        let sim = match self.walker.table_value(&mut root, "sim") {
            Some((table, span)) => self.sim(Table::new(table, span, "[sim]")),
            None => SimOverrides::default(),
        };
        let sampling = match self.walker.table_value(&mut root, "sampling") {
            Some((table, span)) => self.sampling(Table::new(table, span, "[sampling]")),
            None => Sampling {
                sampler: Sampler::LatinHypercube,
                runs: DEFAULT_RUNS,
                runs_span: None,
                seed: 0,
                grid: Vec::new(),
                from: None,
            },
        };
        let mut experiment = Experiment {
            model,
            model_span,
            sim,
            sampling,
            uncertain: vec![],
            levers: vec![],
            interventions: vec![],
            outcomes: vec![],
            calibration: None,
            search: SearchSettings::default(),
        };
        if let Some((table, span)) = self.walker.table_value(&mut root, "search") {
            let mut table = Table::new(table, span, "[search]");
            experiment.search.budget = self.walker.number(&mut table, "budget");
            self.walker.unknown_keys(&table, &["budget"]);
        }
        for (table, span) in self.walker.array_of_tables(&mut root, "uncertain") {
            if let Some(uncertain) = self.uncertain(Table::new(table, span, "[[uncertain]]")) {
                experiment.uncertain.push(uncertain);
            }
        }
        for (table, span) in self.walker.array_of_tables(&mut root, "lever") {
            if let Some(lever) = self.lever(Table::new(table, span, "[[lever]]")) {
                experiment.levers.push(lever);
            }
        }
        for (table, span) in self.walker.array_of_tables(&mut root, "intervention") {
            if let Some(intervention) = self.intervention(Table::new(table, span, "[[intervention]]")) {
                experiment.interventions.push(intervention);
            }
        }
        for (table, span) in self.walker.array_of_tables(&mut root, "outcome") {
            if let Some(outcome) = self.outcome(Table::new(table, span, "[[outcome]]")) {
                experiment.outcomes.push(outcome);
            }
        }
        if let Some((table, span)) = self.walker.table_value(&mut root, "calibration") {
            let table = Table::new(table, span, "[calibration]");
            experiment.calibration = self.calibration(table, &experiment.uncertain);
        }
        self.walker.unknown_keys(&root, &SECTIONS);
        self.duplicates(&experiment);
        experiment
    }

    fn calibration(&mut self, mut table: Table<'_, '_>, uncertain: &[Uncertain]) -> Option<Calibration> {
        let data = match table.get("data") {
            Some(value) => match value.get_ref().as_str() {
                Some(path) if !path.trim().is_empty() => Some((path.to_owned(), span_of(value))),
                _ => {
                    self.walker.wrong_type(
                        "[calibration]",
                        "data",
                        "the path of a CSV file of history: data = \"history.csv\"",
                        span_of(value),
                    );
                    None
                }
            },
            None => {
                self.report(
                    Diagnostic::new(Code::MissingKey, "[calibration] names no `data`")
                        .at(Some(table.span))
                        .with_help("add `data = \"history.csv\"`: a `time` column, then one column per variable"),
                );
                None
            }
        };
        let mut constants = Vec::new();
        match table.get("constants") {
            Some(value) => match value.get_ref().as_array() {
                Some(items) if !items.is_empty() => {
                    for item in items.iter() {
                        match item.get_ref().as_str() {
                            Some(name) if !name.trim().is_empty() => {
                                constants.push((name.trim().to_owned(), span_of(item)))
                            }
                            _ => self.walker.wrong_type("[calibration]", "constants", "a list of names", span_of(item)),
                        }
                    }
                }
                _ => self.walker.wrong_type(
                    "[calibration]",
                    "constants",
                    "a non-empty list of the uncertain constants to fit",
                    span_of(value),
                ),
            },
            None => self.report(
                Diagnostic::new(Code::MissingKey, "[calibration] names no `constants` to fit")
                    .at(Some(table.span))
                    .with_help("add `constants = [\"Name\"]`, each declared in [[uncertain]] with its prior"),
            ),
        }
        let likelihood = match table.get("likelihood") {
            Some(value) => match value.get_ref().as_str().map(|s| s.trim().to_ascii_lowercase()).as_deref() {
                Some("sse") => Some(Likelihood::SumOfSquares),
                Some("gaussian" | "normal") => Some(Likelihood::Gaussian),
                Some("lognormal") => Some(Likelihood::LogNormal),
                Some("negative_binomial") => Some(Likelihood::NegativeBinomial),
                _ => {
                    self.report(
                        Diagnostic::new(
                            Code::InvalidValue,
                            "[calibration]: `likelihood` must be \"sse\", \"gaussian\", \"lognormal\" or \"negative_binomial\"",
                        )
                        .at(Some(span_of(value))),
                    );
                    None
                }
            },
            None => {
                self.report(
                    Diagnostic::new(Code::MissingKey, "[calibration] names no `likelihood`")
                        .at(Some(table.span))
                        .with_help("\"gaussian\" for measurement error, \"sse\" for a plain sum of squares"),
                );
                None
            }
        };
        let start = self.walker.number(&mut table, "start");
        let stop = self.walker.number(&mut table, "stop");
        if let (Some((start, _)), Some((stop, span))) = (start, stop)
            && start >= stop
        {
            self.report(
                Diagnostic::new(
                    Code::InvalidTimeRange,
                    format!("[calibration]: the fitted window's stop ({stop}) must be after its start ({start})"),
                )
                .at(Some(span)),
            );
        }
        let restarts = self.count(&mut table, "restarts", 10_000);
        let draws = self.count(&mut table, "draws", 100_000_000);
        let walkers = self.count(&mut table, "walkers", 10_000);
        let series = self.series_settings(&mut table, likelihood);
        self.walker.unknown_keys(
            &table,
            &["data", "constants", "likelihood", "start", "stop", "series", "restarts", "draws", "walkers"],
        );
        self.calibrated_are_uncertain(&constants, uncertain);
        Some(Calibration {
            data: data?,
            constants,
            likelihood: likelihood?,
            start,
            stop,
            series,
            restarts,
            draws,
            walkers,
            span: table.span,
        })
    }

    /// `[calibration.series."Name"]` tables.
    fn series_settings(&mut self, table: &mut Table<'_, '_>, likelihood: Option<Likelihood>) -> Vec<SeriesSettings> {
        let Some(value) = table.get("series") else { return Vec::new() };
        let Some(entries) = value.get_ref().as_table() else {
            self.walker.wrong_type(
                "[calibration]",
                "series",
                "a table of data columns: [calibration.series.\"Name\"]",
                span_of(value),
            );
            return Vec::new();
        };
        let mut series = Vec::new();
        for (name, settings) in entries.iter() {
            let context = format!("[calibration.series] `{}`", name.get_ref());
            let Some(inner) = settings.get_ref().as_table() else {
                self.walker.wrong_type(
                    &context,
                    name.get_ref(),
                    "a table: weight, scale, dispersion",
                    span_of(settings),
                );
                continue;
            };
            let mut inner = Table::new(inner, span_of(settings), context.clone());
            let mut positive = |reader: &mut Self, key: &'static str| {
                let (number, span) = reader.walker.number(&mut inner, key)?;
                if number > 0.0 {
                    Some(number)
                } else {
                    reader.walker.wrong_type(&context, key, "a positive number", span);
                    None
                }
            };
            let weight = positive(self, "weight");
            let scale = positive(self, "scale");
            let dispersion = positive(self, "dispersion");
            let known: &[&str] = match likelihood {
                Some(Likelihood::SumOfSquares) => &["weight"],
                Some(Likelihood::Gaussian | Likelihood::LogNormal) => &["weight", "scale"],
                Some(Likelihood::NegativeBinomial) => &["weight", "dispersion"],
                None => &["weight", "scale", "dispersion"],
            };
            for key in ["scale", "dispersion"] {
                if let Some(value) = inner.table.get(key).filter(|_| !known.contains(&key)) {
                    let what = likelihood.map_or("this likelihood", Likelihood::as_str);
                    self.report(
                        Diagnostic::new(
                            Code::InvalidValue,
                            format!("{context}: `{key}` does not apply to likelihood \"{what}\""),
                        )
                        .at(Some(span_of(value)))
                        .with_help(if key == "scale" {
                            "a known error scale is for \"gaussian\" or \"lognormal\""
                        } else {
                            "a dispersion is for \"negative_binomial\""
                        }),
                    );
                }
            }
            self.walker.unknown_keys(&inner, &["weight", "scale", "dispersion"]);
            series.push(SeriesSettings {
                name: name.get_ref().trim().to_owned(),
                weight,
                scale,
                dispersion,
                span: span_of(name),
            });
        }
        series.sort_by_key(|series| series.span.start());
        series
    }

    /// Each calibrated constant must be uncertain: its distribution is the prior.
    fn calibrated_are_uncertain(&mut self, constants: &[(String, Span)], uncertain: &[Uncertain]) {
        for (index, (name, span)) in constants.iter().enumerate() {
            let same =
                |other: &str| fulcrum_model::CanonicalName::new(other) == fulcrum_model::CanonicalName::new(name);
            if let Some((_, first)) = constants[..index].iter().find(|(other, _)| same(other)) {
                self.report(
                    Diagnostic::new(Code::DuplicateName, format!("[calibration] fits `{name}` twice"))
                        .at(Some(*span))
                        .with_related(Some(*first), "first here"),
                );
                continue;
            }
            if !uncertain.iter().any(|uncertain| same(&uncertain.name)) {
                let names = uncertain.iter().map(|u| u.name.as_str());
                let help = match closest_match(name, names) {
                    Some(near) => format!("did you mean `{near}`? Each fitted constant is declared in [[uncertain]]"),
                    None => {
                        format!("declare it: [[uncertain]] name = \"{name}\" with a distribution, which is its prior")
                    }
                };
                self.report(
                    Diagnostic::new(
                        Code::UnknownName,
                        format!("[calibration] fits `{name}`, which no [[uncertain]] declares"),
                    )
                    .at(Some(*span))
                    .on_variable(name.clone())
                    .with_help(help),
                );
            }
        }
    }

    fn sim(&mut self, mut table: Table<'_, '_>) -> SimOverrides {
        let mut sim = SimOverrides {
            start: self.walker.number(&mut table, "start"),
            stop: self.walker.number(&mut table, "stop"),
            dt: self.walker.number(&mut table, "dt"),
            save_step: self.walker.number(&mut table, "save_step"),
            method: None,
            precision: None,
        };
        if let Some(value) = table.get("precision") {
            match value.get_ref().as_str().map(str::parse::<Precision>) {
                Some(Ok(precision)) => sim.precision = Some((precision, span_of(value))),
                _ => self.report(
                    Diagnostic::new(Code::UnknownPrecision, "[sim]: `precision` must be \"double\" or \"single\"")
                        .at(Some(span_of(value)))
                        .with_help("\"single\" computes as Vensim does, in float32; leave it out for double"),
                ),
            }
        }
        if let Some(value) = table.get("method") {
            match value.get_ref().as_str().map(str::parse::<Method>) {
                Some(Ok(method)) => sim.method = Some((method, span_of(value))),
                _ => self.report(
                    Diagnostic::new(Code::UnknownMethod, "[sim]: `method` must be \"euler\", \"rk2\" or \"rk4\"")
                        .at(Some(span_of(value))),
                ),
            }
        }
        self.walker.unknown_keys(&table, &["start", "stop", "dt", "save_step", "method", "precision"]);
        sim
    }

    fn sampling(&mut self, mut table: Table<'_, '_>) -> Sampling {
        let method = table.get("method");
        let mut sampler = Sampler::LatinHypercube;
        if let Some(value) = method {
            sampler = match value.get_ref().as_str().map(|s| s.trim().to_ascii_lowercase()).as_deref() {
                Some("random" | "mc" | "monte_carlo") => Sampler::Random,
                Some("lhs" | "latin_hypercube") => Sampler::LatinHypercube,
                Some("sobol") => Sampler::Sobol,
                Some("grid") => Sampler::Grid { levels: 3 },
                _ => {
                    self.report(
                        Diagnostic::new(
                            Code::InvalidValue,
                            "[sampling]: `method` must be \"random\", \"lhs\", \"sobol\" or \"grid\"",
                        )
                        .at(Some(span_of(value))),
                    );
                    Sampler::LatinHypercube
                }
            };
        }
        let runs = self.count(&mut table, "runs", MAX_RUNS);
        let levels = self.count(&mut table, "levels", 1 << 20);
        let seed = self.count(&mut table, "seed", u64::MAX).map_or(0, |(seed, _)| seed);
        match (sampler, levels) {
            (Sampler::Grid { .. }, Some((levels, _))) => sampler = Sampler::Grid { levels: levels as usize },
            (_, Some((_, span))) => self.report(
                Diagnostic::new(Code::InvalidValue, "[sampling]: `levels` applies to method = \"grid\" only")
                    .at(Some(span)),
            ),
            _ => {}
        }
        if let (Sampler::Grid { .. }, Some((_, span))) = (sampler, runs) {
            self.report(
                Diagnostic::new(
                    Code::InvalidValue,
                    "[sampling]: a grid's size is `levels` per uncertain constant, not `runs`",
                )
                .at(Some(span))
                .with_help("remove `runs`, or set `levels`"),
            );
        }
        let grid = self.grid(&mut table);
        let from = match table.get("from") {
            Some(value) => match value.get_ref().as_str() {
                Some(path) if !path.trim().is_empty() => Some((path.to_owned(), span_of(value))),
                _ => {
                    self.walker.wrong_type(
                        "[sampling]",
                        "from",
                        "the path of a table of draws: from = \"calibrate-out/posterior.csv\"",
                        span_of(value),
                    );
                    None
                }
            },
            None => None,
        };
        self.walker.unknown_keys(&table, &["method", "runs", "seed", "levels", "grid", "from"]);
        Sampling {
            sampler,
            runs: runs.map_or(DEFAULT_RUNS, |(runs, _)| runs),
            runs_span: runs.map(|(_, span)| span),
            seed,
            grid,
            from,
        }
    }

    /// `grid = { "Name" = [values] }`.
    fn grid(&mut self, table: &mut Table<'_, '_>) -> Vec<GridAxis> {
        let Some(value) = table.get("grid") else { return Vec::new() };
        let Some(axes) = value.get_ref().as_table() else {
            self.walker.wrong_type("[sampling]", "grid", "a table of names and lists of values", span_of(value));
            return Vec::new();
        };
        let mut grid = Vec::new();
        for (name, values) in axes.iter() {
            let context = format!("[sampling] grid `{}`", name.get_ref());
            let numbers: Option<Vec<f64>> = match values.get_ref().as_array() {
                Some(items) if !items.is_empty() => {
                    items.iter().map(|item| self.walker.number_value(item, &context, "value")).collect()
                }
                _ => {
                    self.walker.wrong_type(&context, name.get_ref(), "a non-empty list of numbers", span_of(values));
                    None
                }
            };
            if let Some(values) = numbers {
                grid.push(GridAxis { name: name.get_ref().to_string(), values, span: Some(span_of(name)) });
            }
        }
        // Axes in the order the file gives them (the table itself is kept sorted by name).
        grid.sort_by_key(|axis| axis.span.map(|span| span.start()));
        grid
    }

    /// A whole number from 1 to `max` (0 allowed for a seed).
    fn count(&mut self, table: &mut Table<'_, '_>, key: &'static str, max: u64) -> Option<(u64, Span)> {
        let value = table.get(key)?;
        let span = span_of(value);
        let low = if key == "seed" { 0 } else { 1 };
        let parsed = value
            .get_ref()
            .as_integer()
            .and_then(|integer| u64::from_str_radix(integer.as_str(), integer.radix()).ok())
            .filter(|n| (low..=max).contains(n));
        if parsed.is_none() {
            self.walker.wrong_type(&table.context.clone(), key, &format!("a whole number from {low} to {max}"), span);
        }
        parsed.map(|n| (n, span))
    }

    fn name(&mut self, table: &mut Table<'_, '_>) -> Option<(String, Span)> {
        let Some(value) = table.get("name") else {
            self.report(
                Diagnostic::new(Code::MissingKey, format!("{} without a `name`", table.context)).at(Some(table.span)),
            );
            return None;
        };
        match value.get_ref().as_str() {
            Some(name) if !name.trim().is_empty() => Some((name.trim().to_owned(), span_of(value))),
            _ => {
                self.walker.wrong_type(&table.context.clone(), "name", "a non-empty string", span_of(value));
                None
            }
        }
    }

    fn required(&mut self, table: &mut Table<'_, '_>, key: &'static str, what: &str) -> Option<f64> {
        let found = self.walker.number(table, key).map(|(value, _)| value);
        if found.is_none() && !table.table.contains_key(key) {
            self.report(
                Diagnostic::new(Code::MissingKey, format!("{}: {what} needs `{key}`", table.context))
                    .at(Some(table.span)),
            );
        }
        found
    }

    fn uncertain(&mut self, mut table: Table<'_, '_>) -> Option<Uncertain> {
        let name = self.name(&mut table);
        if let Some((name, _)) = &name {
            table.context = format!("[[uncertain]] `{name}`");
        }
        let Some(kind) = table.get("distribution") else {
            self.report(
                Diagnostic::new(Code::MissingKey, format!("{} without a `distribution`", table.context))
                    .at(Some(table.span))
                    .with_help("uniform, normal, triangular, lognormal, loguniform, beta or discrete"),
            );
            return None;
        };
        let kind_span = span_of(kind);
        let kind_name = kind.get_ref().as_str().map(|s| s.trim().to_ascii_lowercase()).unwrap_or_default();
        let (distribution, keys): (Option<Distribution>, &[&str]) = match kind_name.as_str() {
            "uniform" => {
                let (min, max) =
                    (self.required(&mut table, "min", "uniform"), self.required(&mut table, "max", "uniform"));
                (min.zip(max).map(|(min, max)| Distribution::Uniform { min, max }), &["min", "max"])
            }
            "normal" => {
                let mean = self.required(&mut table, "mean", "normal");
                let sd = self.required(&mut table, "sd", "normal");
                let min = self.walker.number(&mut table, "min").map(|(v, _)| v);
                let max = self.walker.number(&mut table, "max").map(|(v, _)| v);
                let bounds = (min.is_some() || max.is_some())
                    .then(|| (min.unwrap_or(f64::NEG_INFINITY), max.unwrap_or(f64::INFINITY)));
                (
                    mean.zip(sd).map(|(mean, sd)| Distribution::Normal { mean, sd, bounds }),
                    &["mean", "sd", "min", "max"],
                )
            }
            "triangular" => {
                let min = self.required(&mut table, "min", "triangular");
                let mode = self.required(&mut table, "mode", "triangular");
                let max = self.required(&mut table, "max", "triangular");
                let distribution = match (min, mode, max) {
                    (Some(min), Some(mode), Some(max)) => Some(Distribution::Triangular { min, mode, max }),
                    _ => None,
                };
                (distribution, &["min", "mode", "max"])
            }
            "lognormal" => {
                let mean = self.required(&mut table, "mean", "lognormal");
                let sd = self.required(&mut table, "sd", "lognormal");
                (mean.zip(sd).map(|(mean, sd)| Distribution::LogNormal { mean, sd }), &["mean", "sd"])
            }
            "loguniform" => {
                let min = self.required(&mut table, "min", "loguniform");
                let max = self.required(&mut table, "max", "loguniform");
                (min.zip(max).map(|(min, max)| Distribution::LogUniform { min, max }), &["min", "max"])
            }
            "beta" => {
                let alpha = self.required(&mut table, "alpha", "beta");
                let beta = self.required(&mut table, "beta", "beta");
                let min = self.walker.number(&mut table, "min").map_or(0.0, |(v, _)| v);
                let max = self.walker.number(&mut table, "max").map_or(1.0, |(v, _)| v);
                (
                    alpha.zip(beta).map(|(alpha, beta)| Distribution::Beta { alpha, beta, min, max }),
                    &["alpha", "beta", "min", "max"],
                )
            }
            "discrete" => {
                let values = self.walker.numbers(&mut table, "values");
                let weights = self.walker.numbers(&mut table, "weights");
                let distribution = match values {
                    Some(values) => match Distribution::discrete(values, weights) {
                        Ok(distribution) => Some(distribution),
                        Err(problem) => {
                            self.report(
                                Diagnostic::new(Code::InvalidDistribution, format!("{}: {problem}", table.context))
                                    .at(Some(table.span)),
                            );
                            None
                        }
                    },
                    None => {
                        if !table.table.contains_key("values") {
                            self.report(
                                Diagnostic::new(
                                    Code::MissingKey,
                                    format!("{}: discrete needs `values`", table.context),
                                )
                                .at(Some(table.span)),
                            );
                        }
                        None
                    }
                };
                (distribution, &["values", "weights"])
            }
            _ => {
                self.report(
                    Diagnostic::new(Code::InvalidDistribution, format!("{}: unknown distribution", table.context))
                        .at(Some(kind_span))
                        .with_help("uniform, normal, triangular, lognormal, loguniform, beta or discrete"),
                );
                return None;
            }
        };
        let mut allowed = vec!["name", "distribution", "doc", "units"];
        allowed.extend_from_slice(keys);
        self.walker.unknown_keys(&table, &allowed);
        let distribution = distribution?;
        if let Some(problem) = distribution.problem() {
            self.report(
                Diagnostic::new(Code::InvalidDistribution, format!("{}: {kind_name} {problem}", table.context))
                    .at(Some(table.span)),
            );
            return None;
        }
        let (name, span) = name?;
        Some(Uncertain { name, distribution, span: Some(span) })
    }

    fn lever(&mut self, mut table: Table<'_, '_>) -> Option<Lever> {
        let name = self.name(&mut table);
        if let Some((name, _)) = &name {
            table.context = format!("[[lever]] `{name}`");
        }
        let baseline = self.walker.number(&mut table, "baseline");
        let changes = self.changes_file(&mut table);
        let (min, max) = if changes.is_some() {
            (Some(0.0), Some(1.0))
        } else {
            (self.required(&mut table, "min", "a lever"), self.required(&mut table, "max", "a lever"))
        };
        let cost_per_unit = self.walker.number(&mut table, "cost_per_unit").map(|(v, _)| v);
        let integer = self.walker.boolean(&mut table, "integer").unwrap_or(false);
        let keys: &[&str] = if changes.is_some() {
            &["name", "baseline", "changes", "cost_per_unit", "doc", "units"]
        } else {
            &["name", "baseline", "min", "max", "changes", "cost_per_unit", "integer", "doc", "units"]
        };
        self.walker.unknown_keys(&table, keys);
        if let (Some(_), Some((baseline, span))) = (&changes, baseline)
            && baseline != 0.0
            && baseline != 1.0
        {
            self.report(
                Diagnostic::new(
                    Code::OutsideLeverRange,
                    format!(
                        "{}: a lever with a changes file is a switch, so its baseline is 0 (not applied) or 1 (applied), not {baseline}",
                        table.context
                    ),
                )
                .at(Some(span)),
            );
        }
        let (min, max) = (min?, max?);
        if min >= max {
            self.report(
                Diagnostic::new(
                    Code::InvalidValue,
                    format!("{}: min ({min}) must be below max ({max})", table.context),
                )
                .at(Some(table.span)),
            );
            return None;
        }
        if let Some((baseline, span)) = baseline
            && !(min..=max).contains(&baseline)
        {
            self.report(
                Diagnostic::new(
                    Code::OutsideLeverRange,
                    format!("{}: the baseline {baseline} is outside the lever's range {min} to {max}", table.context),
                )
                .at(Some(span)),
            );
        }
        let (name, span) = name?;
        Some(Lever {
            name,
            baseline: baseline.map(|(v, _)| v),
            min,
            max,
            cost_per_unit,
            integer,
            changes,
            span: Some(span),
        })
    }

    /// A lever's or intervention's `changes = "file.cin"`, if it has one.
    fn changes_file(&mut self, table: &mut Table<'_, '_>) -> Option<(String, Span)> {
        let value = table.get("changes")?;
        match value.get_ref().as_str() {
            Some(path) if !path.trim().is_empty() => Some((path.to_owned(), span_of(value))),
            _ => {
                self.walker.wrong_type(
                    &table.context.clone(),
                    "changes",
                    "the path of a Vensim changes file: changes = \"scenario.cin\"",
                    span_of(value),
                );
                None
            }
        }
    }

    fn intervention(&mut self, mut table: Table<'_, '_>) -> Option<Intervention> {
        let name = self.name(&mut table);
        if let Some((name, _)) = &name {
            table.context = format!("[[intervention]] `{name}`");
        }
        let mut set = Vec::new();
        let changes = self.changes_file(&mut table);
        match table.get("set") {
            Some(value) => match value.get_ref().as_table() {
                Some(settings) if !settings.is_empty() => {
                    for (constant, number) in settings.iter() {
                        if let Some(number) = self.walker.number_value(number, &table.context, constant.get_ref()) {
                            set.push((constant.get_ref().to_string(), number, Some(span_of(constant))));
                        }
                    }
                }
                _ => self.walker.wrong_type(
                    &table.context.clone(),
                    "set",
                    "a table of constants and values: set = { \"Name\" = 3 }",
                    span_of(value),
                ),
            },
            None if changes.is_some() => {}
            None => self.report(
                Diagnostic::new(
                    Code::MissingKey,
                    format!(
                        "{} sets nothing: add `set = {{ \"Name\" = value }}` or `changes = \"file.cin\"`",
                        table.context
                    ),
                )
                .at(Some(table.span)),
            ),
        }
        let cost = self.walker.number(&mut table, "cost").map(|(v, _)| v);
        let start = self.walker.number(&mut table, "start").map(|(v, _)| v);
        self.walker.unknown_keys(&table, &["name", "set", "changes", "cost", "start", "doc"]);
        let (name, span) = name?;
        Some(Intervention { name, set, changes, cost, start, span: Some(span) })
    }

    fn outcome(&mut self, mut table: Table<'_, '_>) -> Option<OutcomeSpec> {
        let variable = match table.get("variable") {
            Some(value) => match value.get_ref().as_str() {
                Some(name) if !name.trim().is_empty() => Some((name.trim().to_owned(), span_of(value))),
                _ => {
                    self.walker.wrong_type("[[outcome]]", "variable", "a variable name", span_of(value));
                    None
                }
            },
            None => None,
        };
        let statistic_span = table.get("statistic").map(span_of);
        let statistic = match table.get("statistic") {
            Some(value) => match value.get_ref().as_str().map(str::parse::<Statistic>) {
                Some(Ok(statistic)) => Some(statistic),
                Some(Err(problem)) => {
                    self.report(
                        Diagnostic::new(Code::InvalidValue, format!("[[outcome]]: {problem}")).at(Some(span_of(value))),
                    );
                    None
                }
                None => {
                    self.walker.wrong_type("[[outcome]]", "statistic", "a string such as \"final\"", span_of(value));
                    None
                }
            },
            None => Some(Statistic::Final),
        };
        let better = match table.get("better") {
            Some(value) => match value.get_ref().as_str().map(str::parse::<Better>) {
                Some(Ok(better)) => Some(better),
                _ => {
                    self.walker.wrong_type("[[outcome]]", "better", "\"higher\" or \"lower\"", span_of(value));
                    None
                }
            },
            None => None,
        };
        let robustness = match table.get("robustness") {
            Some(value) => match value.get_ref().as_str().map(str::parse::<Robustness>) {
                Some(Ok(robustness)) => robustness,
                Some(Err(problem)) => {
                    self.report(
                        Diagnostic::new(Code::InvalidValue, format!("[[outcome]]: `robustness`: {problem}"))
                            .at(Some(span_of(value)))
                            .with_help("the robustness says how `fulcrum search` summarizes the outcome over futures"),
                    );
                    Robustness::Mean
                }
                None => {
                    self.walker.wrong_type("[[outcome]]", "robustness", "a string such as \"p10\"", span_of(value));
                    Robustness::Mean
                }
            },
            None => Robustness::Mean,
        };
        let written_name_span = table.get("name").map(span_of);
        let name = self.walker.string(&mut table, "name");
        self.walker.unknown_keys(&table, &["name", "variable", "statistic", "better", "robustness", "doc"]);
        let statistic = statistic?;
        // A loop's share measures a loop, not a variable.
        let (variable, span) = match (variable, statistic) {
            (None, statistic) if statistic.needs_loops() => (String::new(), statistic_span.unwrap_or(table.span)),
            (Some((_, span)), statistic) if statistic.needs_loops() => {
                self.report(
                    Diagnostic::new(
                        Code::InvalidOutcome,
                        format!("[[outcome]]: `{statistic}` measures the feedback loops, not a variable"),
                    )
                    .at(Some(span))
                    .with_help("remove `variable`; a loop is named by its id in the baseline run"),
                );
                return None;
            }
            (Some(variable), _) => variable,
            (None, _) => {
                self.report(Diagnostic::new(Code::MissingKey, "[[outcome]] without a `variable`").at(Some(table.span)));
                return None;
            }
        };
        let name = name.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty());
        let name_span = if name.is_some() { written_name_span } else { Some(span) };
        let name = name.unwrap_or_else(|| match statistic {
            Statistic::Final => variable.clone(),
            Statistic::LoopShare(id) => format!("{id} share"),
            Statistic::DominanceShift => "dominance shift".to_owned(),
            other => format!("{variable} {other}"),
        });
        Some(OutcomeSpec { name, variable, statistic, better, robustness, span: Some(span), statistic_span, name_span })
    }

    /// Two outcomes or two interventions with one name would make ambiguous columns and rows.
    fn duplicates(&mut self, experiment: &Experiment) {
        let named = [
            ("outcome", experiment.outcomes.iter().map(|o| (o.name.clone(), o.name_span)).collect::<Vec<_>>()),
            ("intervention", experiment.interventions.iter().map(|i| (i.name.clone(), i.span)).collect()),
        ];
        for (what, names) in named {
            for (index, (name, span)) in names.iter().enumerate() {
                if let Some((_, first)) = names[..index].iter().find(|(other, _)| other.eq_ignore_ascii_case(name)) {
                    self.report(
                        Diagnostic::new(Code::DuplicateName, format!("two {what}s are named `{name}`"))
                            .at(*span)
                            .with_related(*first, "first here"),
                    );
                }
            }
        }
    }
}

/// An experiment checked against its compiled model: the design, the outcomes bound to
/// variables, the levers and interventions bound to constants.
#[derive(Clone, Debug, PartialEq)]
pub struct Plan {
    /// What varies from run to run.
    pub design: Design,
    /// What is measured in each run.
    pub outcomes: Vec<Outcome>,
    /// The levers, with their baselines resolved.
    pub levers: Vec<BoundLever>,
    /// The interventions.
    pub interventions: Vec<BoundIntervention>,
    /// Values every run gets: levers whose baseline differs from the model's value.
    pub baseline: Vec<Setting>,
}

/// A lever bound to a constant.
#[derive(Clone, Debug, PartialEq)]
pub struct BoundLever {
    /// Its name, as the experiment writes it.
    pub name: String,
    /// The constant's position in [`CompiledModel::constants`].
    pub constant: usize,
    /// Its value today.
    pub baseline: f64,
    /// Lowest value.
    pub min: f64,
    /// Highest value.
    pub max: f64,
    /// What one unit of change costs.
    pub cost_per_unit: Option<f64>,
    /// A switch (a changes file applied at 1, not at 0) rather than a quantity.
    pub switch: bool,
}

/// An intervention bound to constants.
#[derive(Clone, Debug, PartialEq)]
pub struct BoundIntervention {
    /// Its name.
    pub name: String,
    /// The values it sets.
    pub settings: Vec<Setting>,
    /// What it costs in all.
    pub cost: Option<f64>,
}

impl Experiment {
    /// The model's sim specs with this experiment's overrides, checked. A problem points at the
    /// experiment's value when the experiment gave it.
    pub fn sim_specs(&self, model: &SimSpecs) -> Result<SimSpecs, Diagnostics> {
        let mut sim = model.clone();
        sim.spans = Default::default();
        let overrides = &self.sim;
        if let Some((value, span)) = overrides.start {
            (sim.start, sim.spans.start) = (value, Some(span));
        }
        if let Some((value, span)) = overrides.stop {
            (sim.stop, sim.spans.stop) = (value, Some(span));
        }
        if let Some((value, span)) = overrides.dt {
            (sim.dt, sim.spans.dt) = (value, Some(span));
        }
        if let Some((value, span)) = overrides.save_step {
            (sim.save_step, sim.spans.save_step) = (Some(value), Some(span));
        }
        if let Some((method, span)) = overrides.method {
            (sim.method, sim.spans.method) = (method, Some(span));
        }
        if let Some((precision, span)) = overrides.precision {
            (sim.precision, sim.spans.precision) = (precision, Some(span));
        }
        let mut diagnostics = Diagnostics::default();
        check_sim_specs(&sim, &mut diagnostics);
        if diagnostics.has_errors() {
            return Err(diagnostics);
        }
        Ok(sim)
    }

    /// The names of the constants that some intervention changes part-way through a run: the
    /// model must be compiled with them as changing constants.
    pub fn changing_constants(&self, start_time: f64) -> Vec<&str> {
        self.interventions
            .iter()
            .filter(|intervention| intervention.start.is_some_and(|start| start > start_time))
            .flat_map(|intervention| intervention.set.iter().map(|(name, _, _)| name.as_str()))
            .collect()
    }

    /// Checks the experiment against the compiled model and builds the plan. Warnings come back
    /// with the plan; errors instead of it.
    pub fn plan(&self, model: &CompiledModel) -> Result<(Plan, Diagnostics), Diagnostics> {
        let mut binder = Binder { model, diagnostics: Diagnostics::default(), roles: Vec::new() };
        if model.time_is_computed() {
            binder.report(
                Diagnostic::new(
                    Code::Unsupported,
                    format!(
                        "the model computes {} during the run, so each run would have its own time axis; \
                         experiments need one time axis for all runs",
                        crate::sweep::computed_settings(model)
                    ),
                )
                .at(self.model_span)
                .with_help("give the model's time settings as numbers (constant equations) to run an experiment on it"),
            );
        }
        let mut levers = Vec::new();
        for lever in &self.levers {
            let Some(constant) = binder.constant(&lever.name, lever.span, Role::Lever) else { continue };
            let default = model.constants()[constant].default;
            if lever.baseline.is_none() && !(lever.min..=lever.max).contains(&default) {
                binder.report(
                    Diagnostic::new(
                        Code::OutsideLeverRange,
                        format!(
                            "lever `{}`: the model's value {default} is outside the lever's range {} to {}",
                            lever.name, lever.min, lever.max
                        ),
                    )
                    .at(lever.span)
                    .with_help("give the lever a `baseline`, or widen its range"),
                );
            }
            levers.push(BoundLever {
                name: lever.name.clone(),
                constant,
                baseline: lever.baseline.unwrap_or(default),
                min: lever.min,
                max: lever.max,
                cost_per_unit: lever.cost_per_unit,
                switch: lever.changes.is_some(),
            });
        }
        let mut factors = Vec::new();
        for axis in &self.sampling.grid {
            if let Some(constant) = binder.constant(&axis.name, axis.span, Role::GridAxis) {
                factors.push(Factor {
                    name: axis.name.clone(),
                    constant,
                    kind: FactorKind::Values(axis.values.clone()),
                });
            }
        }
        for uncertain in &self.uncertain {
            if let Some(constant) = binder.constant(&uncertain.name, uncertain.span, Role::Uncertain) {
                let kind = FactorKind::Uncertain(uncertain.distribution.clone());
                factors.push(Factor { name: uncertain.name.clone(), constant, kind });
            }
        }
        // Levers sit at their baseline unless a grid varies them.
        let baseline = levers
            .iter()
            .filter(|lever| lever.baseline != model.constants()[lever.constant].default)
            .filter(|lever| !factors.iter().any(|factor| factor.constant == lever.constant))
            .map(|lever| Setting { constant: lever.constant, value: lever.baseline, from: None })
            .collect();
        let interventions =
            self.interventions.iter().map(|intervention| binder.intervention(intervention, &levers)).collect();
        let outcomes = self.outcomes.iter().filter_map(|outcome| binder.outcome(outcome)).collect();

        let uncertain_count = factors.iter().filter(|f| matches!(f.kind, FactorKind::Uncertain(_))).count();
        let samples = match self.sampling.sampler {
            Sampler::Grid { levels } => (levels as u64).checked_pow(uncertain_count as u32).unwrap_or(u64::MAX),
            _ => self.sampling.runs,
        };
        if self.sampling.sampler == Sampler::Sobol && samples > crate::sobol::MAX_POINTS {
            binder.report(
                Diagnostic::new(
                    Code::InvalidValue,
                    format!("Sobol sampling gives at most {} distinct points", crate::sobol::MAX_POINTS),
                )
                .at(self.sampling.runs_span),
            );
        } else if self.sampling.sampler == Sampler::Sobol && !samples.is_power_of_two() {
            binder.report(
                Diagnostic::new(
                    Code::UnbalancedSample,
                    format!(
                        "Sobol points are balanced in blocks of a power of two; {samples} runs is not one ({} is)",
                        samples.next_power_of_two()
                    ),
                )
                .at(self.sampling.runs_span),
            );
        }
        if self.sampling.sampler == Sampler::Sobol && uncertain_count > crate::sobol::MAX_DIMENSIONS {
            binder.report(Diagnostic::new(
                Code::InvalidValue,
                format!(
                    "Sobol sampling goes up to {} uncertain constants; this experiment has {uncertain_count}",
                    crate::sobol::MAX_DIMENSIONS
                ),
            ));
        }
        let design = Design { factors, sampler: self.sampling.sampler, samples, seed: self.sampling.seed, drawn: None };
        if design.grid_points().checked_mul(samples).is_none_or(|runs| runs > MAX_RUNS) {
            binder.report(
                Diagnostic::new(Code::InvalidValue, format!("the design has more than {MAX_RUNS} runs"))
                    .at(self.sampling.runs_span),
            );
        }
        let mut diagnostics = binder.diagnostics;
        diagnostics.sort();
        if diagnostics.has_errors() {
            return Err(diagnostics);
        }
        Ok((Plan { design, outcomes, levers, interventions, baseline }, diagnostics))
    }
}

impl Plan {
    /// Makes the uncertain constants that head the columns of `text` (CSV: a header of constant
    /// names, then one row per draw; a `log_posterior` column, as `fulcrum calibrate` writes,
    /// is left aside) take whole rows of it, so that they keep their joint distribution; the
    /// other uncertain constants are still sampled as declared. Problems point into `text`.
    pub fn draw_from(&mut self, text: &str) -> Result<(), Diagnostics> {
        let mut problems = Diagnostics::default();
        let mut lines = text.split_inclusive('\n').scan(0usize, |offset, line| {
            let start = *offset;
            *offset += line.len();
            Some((start, line.trim_end_matches(['\n', '\r'])))
        });
        let Some((_, header)) = lines.next().filter(|(_, line)| !line.trim().is_empty()) else {
            problems.push(
                Diagnostic::new(Code::MissingKey, "the table of draws is empty")
                    .at(Some(Span::new(0, 0)))
                    .with_help("its first line names the constants; `fulcrum calibrate` writes one as posterior.csv"),
            );
            return Err(problems);
        };
        // For each column: the factor it feeds, or none for `log_posterior`.
        let mut columns: Vec<Option<usize>> = Vec::new();
        let mut position = 0;
        for name in header.split(',') {
            let span = Span::new(position, position + name.len());
            position += name.len() + 1;
            let name = name.trim().trim_matches('"');
            if name == "log_posterior" {
                columns.push(None);
                continue;
            }
            let canonical = fulcrum_model::CanonicalName::new(name);
            let factor = self.design.factors.iter().position(|factor| {
                matches!(factor.kind, FactorKind::Uncertain(_))
                    && fulcrum_model::CanonicalName::new(&factor.name) == canonical
            });
            if factor.is_none() {
                let names = self.design.factors.iter().map(|factor| factor.name.as_str());
                let help = match closest_match(name, names) {
                    Some(near) => format!("did you mean `{near}`?"),
                    None => "each column must be an [[uncertain]] constant of the experiment".to_owned(),
                };
                problems.push(
                    Diagnostic::new(
                        Code::UnknownName,
                        format!("`{name}` is not an uncertain constant of the experiment"),
                    )
                    .at(Some(span))
                    .with_help(help),
                );
            }
            columns.push(factor);
        }
        let mut rows = Vec::new();
        for (offset, line) in lines {
            if line.trim().is_empty() {
                continue;
            }
            let cells: Vec<&str> = line.split(',').collect();
            if cells.len() != columns.len() {
                problems.push(
                    Diagnostic::new(
                        Code::InvalidValue,
                        format!("this row has {} cells, the header {}", cells.len(), columns.len()),
                    )
                    .at(Some(Span::new(offset, offset + line.len()))),
                );
                continue;
            }
            let mut row = Vec::new();
            let mut cell_start = offset;
            for (cell, column) in cells.iter().zip(&columns) {
                let span = Span::new(cell_start, cell_start + cell.len());
                cell_start += cell.len() + 1;
                if column.is_none() {
                    continue;
                }
                match cell.trim().parse::<f64>() {
                    Ok(value) if value.is_finite() => row.push(value),
                    _ => problems.push(
                        Diagnostic::new(Code::InvalidValue, format!("`{}` is not a finite number", cell.trim()))
                            .at(Some(span)),
                    ),
                }
            }
            rows.push(row);
        }
        if rows.is_empty() && !problems.has_errors() {
            problems.push(
                Diagnostic::new(Code::MissingKey, "the table of draws has a header and no rows")
                    .at(Some(Span::new(0, 0))),
            );
        }
        if problems.has_errors() {
            problems.sort();
            return Err(problems);
        }
        let positions = columns.into_iter().flatten().collect();
        self.design.drawn = Some(crate::design::Drawn { positions, rows: Arc::new(rows) });
        Ok(())
    }
}

struct Binder<'m> {
    model: &'m CompiledModel,
    diagnostics: Diagnostics,
    /// Constants given a role so far, and where.
    roles: Vec<(usize, Role, Option<Span>)>,
}

/// What an experiment does with a constant.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Role {
    Lever,
    GridAxis,
    Uncertain,
}

impl Role {
    fn describe(self) -> &'static str {
        match self {
            Role::Lever => "a lever",
            Role::GridAxis => "a grid axis",
            Role::Uncertain => "uncertain",
        }
    }
}

impl Binder<'_> {
    fn report(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    /// The constant `name` names, for a role. A constant has one role, except that a grid may
    /// step through a lever's values.
    fn constant(&mut self, name: &str, span: Option<Span>, role: Role) -> Option<usize> {
        let constant = self.find_constant(name, span)?;
        let clash = self
            .roles
            .iter()
            .find(|(c, other, _)| *c == constant && !matches!((other, role), (Role::Lever, Role::GridAxis)));
        if let Some(&(_, other, first)) = clash {
            self.report(
                Diagnostic::new(
                    Code::ConflictingSettings,
                    if other == role {
                        format!("`{name}` is {} twice", role.describe())
                    } else {
                        format!(
                            "`{name}` is {} here and already {}; a constant has one role in an experiment",
                            role.describe(),
                            other.describe()
                        )
                    },
                )
                .at(span)
                .on_variable(name)
                .with_related(first, format!("{} here", other.describe())),
            );
            return None;
        }
        self.roles.push((constant, role, span));
        Some(constant)
    }

    fn find_constant(&mut self, name: &str, span: Option<Span>) -> Option<usize> {
        let model = self.model;
        match model.lookup(name) {
            Some(variable) => match model.constants().iter().position(|c| c.variable == variable) {
                Some(constant) => Some(constant),
                None => {
                    self.report(
                        Diagnostic::new(
                            Code::NotAConstant,
                            format!("`{name}` is computed by the model, not a constant, so it cannot be set"),
                        )
                        .at(span)
                        .on_variable(name)
                        .with_help("experiments vary constants: variables whose equation is a plain number"),
                    );
                    None
                }
            },
            None => {
                let names = model.constants().iter().map(|c| c.name.as_str());
                let help = match closest_match(name, names) {
                    Some(near) => format!("did you mean `{near}`?"),
                    None => "experiments vary the model's constants; `fulcrum check` lists the model".to_owned(),
                };
                self.report(
                    Diagnostic::new(Code::UnknownName, format!("the model has no constant `{name}`"))
                        .at(span)
                        .on_variable(name)
                        .with_help(help),
                );
                None
            }
        }
    }

    fn intervention(&mut self, intervention: &Intervention, levers: &[BoundLever]) -> BoundIntervention {
        let mut settings: Vec<Setting> = Vec::new();
        for (name, value, span) in &intervention.set {
            let Some(constant) = self.find_constant(name, *span) else { continue };
            // A grid may step through the lever an intervention sets (applying that intervention
            // to such a sweep is refused when it is chosen); uncertain constants are never set.
            if let Some(&(_, role, first)) =
                self.roles.iter().find(|(c, role, _)| *c == constant && *role == Role::Uncertain)
            {
                self.report(
                    Diagnostic::new(
                        Code::ConflictingSettings,
                        format!(
                            "intervention `{}` sets `{name}`, which the experiment varies as {}",
                            intervention.name,
                            role.describe()
                        ),
                    )
                    .at(*span)
                    .with_related(first, "varied here"),
                );
                continue;
            }
            if settings.iter().any(|s| s.constant == constant) {
                self.report(
                    Diagnostic::new(
                        Code::ConflictingSettings,
                        format!("intervention `{}` sets `{name}` twice", intervention.name),
                    )
                    .at(*span),
                );
                continue;
            }
            if let Some(lever) = levers.iter().find(|lever| lever.constant == constant)
                && !(lever.min..=lever.max).contains(value)
            {
                self.report(
                    Diagnostic::new(
                        Code::OutsideLeverRange,
                        format!(
                            "intervention `{}` sets lever `{}` to {value}, outside its range {} to {}",
                            intervention.name, lever.name, lever.min, lever.max
                        ),
                    )
                    .at(*span)
                    .with_help("widen the lever's range if the value is possible"),
                );
            }
            settings.push(Setting { constant, value: *value, from: intervention.start });
        }
        let axis = self.model.axis();
        if let Some(start) = intervention.start.filter(|start| *start > axis.time_at(axis.steps) + axis.dt / 2.0) {
            self.report(
                Diagnostic::new(
                    Code::StartsAfterRun,
                    format!(
                        "intervention `{}` starts at {start}, after the run ends ({}); it changes nothing",
                        intervention.name, axis.stop
                    ),
                )
                .at(intervention.span),
            );
        }
        BoundIntervention { name: intervention.name.clone(), settings, cost: intervention.cost }
    }

    fn outcome(&mut self, outcome: &OutcomeSpec) -> Option<Outcome> {
        let model = self.model;
        if outcome.statistic.needs_loops() {
            // Bound to its loop by `Plan::bind_loop_shares`, which needs the resolved model;
            // until then it reads the first variable.
            let variable = model.output_variables().first().copied()?;
            let (name, statistic, better) = (outcome.name.clone(), outcome.statistic, outcome.better);
            return Some(Outcome { name, variable, statistic, better, loop_share: None });
        }
        let Some(variable) = model.lookup(&outcome.variable).filter(|id| model.output_variables().contains(id)) else {
            let names: Vec<&str> = model.output_variables().iter().map(|id| model.name(*id)).collect();
            let mut diagnostic = Diagnostic::new(
                Code::UnknownName,
                format!("outcome `{}`: the model has no variable `{}`", outcome.name, outcome.variable),
            )
            .at(outcome.span);
            if let Some(near) = closest_match(&outcome.variable, names) {
                diagnostic = diagnostic.with_help(format!("did you mean `{near}`?"));
            }
            self.report(diagnostic);
            return None;
        };
        let axis = model.axis();
        if let Statistic::At(time) = outcome.statistic
            && !(axis.start..=axis.stop).contains(&time)
        {
            self.report(
                Diagnostic::new(
                    Code::InvalidOutcome,
                    format!(
                        "outcome `{}`: time {time} is outside the run ({} to {})",
                        outcome.name, axis.start, axis.stop
                    ),
                )
                .at(outcome.statistic_span.or(outcome.span)),
            );
            return None;
        }
        Some(Outcome {
            name: outcome.name.clone(),
            variable,
            statistic: outcome.statistic,
            better: outcome.better,
            loop_share: None,
        })
    }
}

/// Reads `--grid "Name=v1,v2,v3"`.
pub fn parse_grid_axis(text: &str) -> Result<GridAxis, String> {
    let (name, values) = text.split_once('=').ok_or_else(|| format!("`{text}` is not NAME=V1,V2,..."))?;
    let name = name.trim();
    if name.is_empty() {
        return Err(format!("`{text}` has no name before `=`"));
    }
    let values = values
        .split(',')
        .map(|value| match value.trim().parse::<f64>() {
            Ok(number) if number.is_finite() => Ok(number),
            _ => Err(format!("{name}: `{}` is not a finite number", value.trim())),
        })
        .collect::<Result<Vec<f64>, String>>()?;
    Ok(GridAxis { name: name.to_owned(), values, span: None })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The text a diagnostic's span covers.
    fn spanned(text: &str, span: Option<Span>) -> &str {
        let span = span.expect("a span");
        &text[span.start()..span.end()]
    }

    #[test]
    fn the_sim_section_sets_the_precision() {
        let text = "model = \"model.toml\"\n[sim]\nprecision = \"single\"\n";
        let (experiment, diagnostics) = read(text).expect("valid TOML");
        assert!(diagnostics.0.is_empty(), "{diagnostics:?}");
        let sim = experiment.sim_specs(&SimSpecs::default()).expect("valid sim specs");
        assert_eq!(sim.precision, Precision::Single);
        assert_eq!(spanned(text, sim.spans.precision), "\"single\"");
        let text = "model = \"model.toml\"\n[sim]\nprecision = \"f32\"\n";
        let (_, diagnostics) = read(text).expect("valid TOML");
        let codes: Vec<(Code, &str)> = diagnostics.0.iter().map(|d| (d.code, spanned(text, d.span))).collect();
        assert_eq!(codes, [(Code::UnknownPrecision, "\"f32\"")]);
    }

    #[test]
    fn the_calibration_table_is_read_with_its_series() {
        let text = r#"model = "model.toml"
[[uncertain]]
name = "Hiring Delay"
distribution = "uniform"
min = 1
max = 9
[calibration]
data = "history.csv"
constants = ["hiring delay"]
likelihood = "negative_binomial"
stop = 60
[calibration.series."Workforce"]
weight = 2
dispersion = 15
"#;
        let (experiment, diagnostics) = read(text).expect("valid TOML");
        assert!(diagnostics.0.is_empty(), "{diagnostics:?}");
        let calibration = experiment.calibration.expect("a calibration");
        assert_eq!(calibration.data.0, "history.csv");
        assert_eq!(calibration.likelihood, Likelihood::NegativeBinomial);
        assert_eq!(calibration.stop.map(|(stop, _)| stop), Some(60.0));
        assert_eq!(calibration.series.len(), 1);
        assert_eq!((calibration.series[0].weight, calibration.series[0].dispersion), (Some(2.0), Some(15.0)));
    }

    #[test]
    fn every_problem_of_a_calibration_table_is_located() {
        let text = r#"model = "model.toml"
[[uncertain]]
name = "Hiring Delay"
distribution = "uniform"
min = 1
max = 9
[calibration]
data = "history.csv"
constants = ["Hiring Dlay", "Hiring Delay", "hiring delay"]
likelihood = "poisson"
start = 10
stop = 5
walkerz = 3
[calibration.series."Workforce"]
scale = -1
"#;
        let (_, diagnostics) = read(text).expect("valid TOML");
        let found: Vec<(Code, &str)> = diagnostics.0.iter().map(|d| (d.code, spanned(text, d.span))).collect();
        assert_eq!(
            found,
            [
                (Code::UnknownName, "\"Hiring Dlay\""),
                (Code::DuplicateName, "\"hiring delay\""),
                (Code::InvalidValue, "\"poisson\""),
                (Code::InvalidTimeRange, "5"),
                (Code::UnknownKey, "walkerz"),
                (Code::InvalidValue, "-1"),
            ]
        );
    }

    #[test]
    fn a_duplicated_name_is_pointed_at_where_it_is_written() {
        let text = r#"model = "model.toml"

[[intervention]]
name = "patient"
set = { "Delay" = 12 }

[[intervention]]
name = "Patient"
set = { "Delay" = 18 }

[[outcome]]
name = "staff"
variable = "Workforce"

[[outcome]]
name = "Staff"
variable = "Workforce"
statistic = "max"

[[outcome]]
variable = "Backlog"

[[outcome]]
name = "Backlog"
variable = "Orders"
"#;
        let (_, diagnostics) = read(text).expect("valid TOML");
        let duplicates: Vec<(&str, &str, Vec<&str>)> = diagnostics
            .0
            .iter()
            .filter(|d| d.code == Code::DuplicateName)
            .map(|d| {
                let related = d.related.iter().map(|(span, _)| spanned(text, Some(*span))).collect();
                (d.message.as_str(), spanned(text, d.span), related)
            })
            .collect();
        assert_eq!(
            duplicates,
            [
                ("two interventions are named `Patient`", "\"Patient\"", vec!["\"patient\""]),
                ("two outcomes are named `Staff`", "\"Staff\"", vec!["\"staff\""]),
                // An outcome without a name is named after its variable, so its variable is where
                // its name is written.
                ("two outcomes are named `Backlog`", "\"Backlog\"", vec!["\"Backlog\""]),
            ]
        );
        let second_backlog = diagnostics.0.iter().find(|d| d.message.ends_with("`Backlog`")).expect("found");
        assert!(second_backlog.span.expect("span").start() > second_backlog.related[0].0.start());
    }

    #[test]
    fn an_experiment_on_a_model_that_computes_its_stop_time_is_refused_at_the_model() {
        let text = "model = \"model.toml\"\n\n[[outcome]]\nvariable = \"S\"\nstatistic = \"final\"\n";
        let (experiment, _) = read(text).expect("valid TOML");
        let mut model = fulcrum_model::builder::ModelBuilder::new(0.0, 10.0, 1.0)
            .stock("S", "0", &["inflow"], &[])
            .flow("inflow", "1")
            .aux("end", "IF S > 3 THEN TIME ELSE 10")
            .build();
        model.sim.computed.stop = Some("end".to_owned());
        let resolved = fulcrum_model::resolve(&model).expect("valid");
        let compiled = fulcrum_sim::compile(&resolved).expect("compiles");
        let Err(diagnostics) = experiment.plan(&compiled) else { panic!("the experiment was planned") };
        let refusal = diagnostics.0.iter().find(|d| d.code == Code::Unsupported).expect("a refusal");
        assert_eq!(spanned(text, refusal.span), "\"model.toml\"");
        assert!(refusal.message.contains("stop (`end`)"), "{}", refusal.message);
    }
}

/// Why an intervention cannot be applied to a sweep.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum InterventionError {
    /// No intervention has the name.
    #[error("there is no intervention `{name}` ({})", if known.is_empty() { "the experiment defines no interventions".to_owned() } else { format!("interventions: {}", known.join(", ")) })]
    Unknown {
        /// The name asked for.
        name: String,
        /// The interventions the experiment defines.
        known: Vec<String>,
    },
    /// The intervention sets a constant the design varies.
    #[error("it sets `{constant}`, which the sweep's grid varies")]
    Varied {
        /// The intervention's name.
        intervention: String,
        /// The constant, as the design names it.
        constant: String,
    },
}

impl Plan {
    /// Binds each `loop_share:ID` outcome to its loop: the baseline run (the levers at their
    /// baselines, no intervention) is analysed with Loops That Matter, and the id is that
    /// analysis's. `compiled` must be the model the plan was made with, compiled whole from
    /// `resolved`. An unknown id, a model without loops or one the analysis cannot score is an
    /// error at the outcome's statistic.
    pub fn bind_loop_shares(
        &mut self,
        experiment: &Experiment,
        resolved: &ResolvedModel,
        compiled: &CompiledModel,
    ) -> Result<(), Diagnostics> {
        if !self.outcomes.iter().any(|outcome| outcome.statistic.needs_loops()) {
            return Ok(());
        }
        let span_of = |name: &str| {
            experiment.outcomes.iter().find(|spec| spec.name == name).and_then(|spec| spec.statistic_span.or(spec.span))
        };
        let baseline = self.baseline.clone();
        let setup = |batch: &mut fulcrum_sim::Batch<'_, 1>| {
            for setting in &baseline {
                batch.set(0, setting.constant, setting.value);
            }
            Ok(())
        };
        let analysis = fulcrum_loops::analyze_run(resolved, compiled, setup, &fulcrum_loops::Options::default());
        let (resolved_shared, compiled_shared) = (Arc::new(resolved.clone()), Arc::new(compiled.clone()));
        let mut diagnostics = Diagnostics::default();
        for outcome in &mut self.outcomes {
            if !outcome.statistic.needs_loops() {
                continue;
            }
            let span = span_of(&outcome.name);
            let analysis = match &analysis {
                Ok(analysis) => analysis,
                Err(fulcrum_loops::LoopsError::NoLoops) => {
                    diagnostics.push(
                        Diagnostic::new(
                            Code::InvalidOutcome,
                            format!("outcome `{}`: the model has no feedback loops to measure", outcome.name),
                        )
                        .at(span)
                        .with_help("`fulcrum check MODEL` lists a model's loops; measure a variable instead"),
                    );
                    continue;
                }
                Err(error) => {
                    diagnostics.push(
                        Diagnostic::new(
                            Code::InvalidOutcome,
                            format!("outcome `{}`: the baseline run's loops cannot be scored: {error}", outcome.name),
                        )
                        .at(span),
                    );
                    continue;
                }
            };
            let Statistic::LoopShare(id) = outcome.statistic else {
                outcome.loop_share = Some(LoopShare {
                    resolved: Arc::clone(&resolved_shared),
                    compiled: Arc::clone(&compiled_shared),
                    key: Vec::new(),
                });
                continue;
            };
            let Some(scored) = analysis.find(&id.to_string()) else {
                let known: Vec<&str> = analysis.loops.iter().take(12).map(|scored| scored.id.as_str()).collect();
                let more = if analysis.loops.len() > known.len() { ", ..." } else { "" };
                diagnostics.push(
                    Diagnostic::new(
                        Code::InvalidOutcome,
                        format!("outcome `{}`: the baseline run has no loop `{id}`", outcome.name),
                    )
                    .at(span)
                    .with_help(format!(
                        "its loops are {}{more}; `fulcrum loops --experiment FILE` ranks them",
                        known.join(", ")
                    )),
                );
                continue;
            };
            if let Some(variable) = scored.variables.iter().find_map(|name| compiled.lookup(name)) {
                outcome.variable = variable;
            }
            outcome.loop_share = Some(LoopShare {
                resolved: Arc::clone(&resolved_shared),
                compiled: Arc::clone(&compiled_shared),
                key: scored.key(),
            });
        }
        if diagnostics.has_errors() { Err(diagnostics) } else { Ok(()) }
    }

    /// The variables the outcomes measure, each once, in the outcomes' order: the variables a
    /// sweep keeps bands of unless told otherwise.
    pub fn outcome_variables(&self) -> Vec<VarId> {
        let mut variables: Vec<VarId> = Vec::new();
        for outcome in self.outcomes.iter().filter(|outcome| outcome.loop_share.is_none()) {
            if !variables.contains(&outcome.variable) {
                variables.push(outcome.variable);
            }
        }
        variables
    }

    /// The values every run gets: the levers' baselines, then the values of the intervention
    /// named (matched ignoring case and surrounding spaces) over them, with its name as the
    /// experiment writes it.
    pub fn settings(&self, intervention: Option<&str>) -> Result<(Vec<Setting>, Option<String>), InterventionError> {
        let Some(name) = intervention else { return Ok((self.baseline.clone(), None)) };
        let Some(chosen) = self.interventions.iter().find(|i| i.name.eq_ignore_ascii_case(name.trim())) else {
            return Err(InterventionError::Unknown {
                name: name.to_owned(),
                known: self.interventions.iter().map(|i| i.name.clone()).collect(),
            });
        };
        let factors = &self.design.factors;
        if let Some(clash) = chosen.settings.iter().find_map(|s| factors.iter().find(|f| f.constant == s.constant)) {
            return Err(InterventionError::Varied { intervention: chosen.name.clone(), constant: clash.name.clone() });
        }
        let mut settings: Vec<Setting> = self
            .baseline
            .iter()
            // A value from the start replaces the baseline; one from a later time follows it.
            .filter(|base| !chosen.settings.iter().any(|s| s.constant == base.constant && s.from.is_none()))
            .copied()
            .collect();
        settings.extend(chosen.settings.iter().copied());
        Ok((settings, Some(chosen.name.clone())))
    }
}
