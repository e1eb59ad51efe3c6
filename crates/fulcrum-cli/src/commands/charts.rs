//! The analyses' results, a run and a sweep's bands in the shapes the report crate's charts
//! take, with the model's units on their axes.

use fulcrum_explore::bands::BandRow;
use fulcrum_explore::{Better, Outcome, Statistic};
use fulcrum_model::{CanonicalName, Model, VariableKind};
use fulcrum_report::charts::{
    self, ChartError, DifferenceOption, Differences, Fan, FanPoint, IndexRow, IndexValue, Indices, LeverageBar, Morris,
    MorrisPoint, RunChart, RunPanel, Tornado, TornadoBar,
};
use fulcrum_report::load::LoadedModel;
use fulcrum_report::sweep::{GridAxis, band_row_place, grid_point_label};
use fulcrum_sensitivity::Estimate;
use fulcrum_sensitivity::leverage::Leverage;
use fulcrum_sim::Results;

use fulcrum_sensitivity::Method as SensitivityMethod;

/// The model's units, for axis labels.
pub struct Units<'a> {
    model: Option<&'a Model>,
}

impl<'a> Units<'a> {
    /// The units of `model`'s variables and time.
    pub fn of(model: &'a Model) -> Units<'a> {
        Units { model: Some(model) }
    }

    /// No units known.
    pub fn none() -> Units<'a> {
        Units { model: None }
    }

    /// A variable's unit as the model writes it (an element `Sales[North]` has its variable's).
    pub fn variable(&self, name: &str) -> Option<String> {
        let written = name.split('[').next().unwrap_or(name);
        let canonical = CanonicalName::new(written);
        let variable = self.model?.variables.iter().find(|variable| variable.canonical == canonical)?;
        variable.units.as_deref().map(str::trim).filter(|unit| !unit.is_empty()).map(str::to_owned)
    }

    /// The unit of time.
    pub fn time(&self) -> Option<String> {
        self.model?.sim.time_units.as_deref().map(str::trim).filter(|unit| !unit.is_empty()).map(str::to_owned)
    }

    /// The unit of an outcome: its variable's for a value at a time, a mean, least or largest
    /// value; the variable's times time for an integral; time for the first crossing of a
    /// threshold; none for a loop's share, a fraction of the behaviour.
    pub fn outcome(&self, outcome: &Outcome, variable: &str) -> Option<String> {
        match outcome.statistic {
            Statistic::LoopShare(_) => None,
            Statistic::FirstAbove(_) | Statistic::FirstBelow(_) | Statistic::DominanceShift => self.time(),
            Statistic::Integral => match (self.variable(variable), self.time()) {
                (Some(unit), Some(time)) => Some(format!("{unit} × {time}")),
                _ => None,
            },
            _ => self.variable(variable),
        }
    }

    /// "time (months)", or "time".
    pub fn time_label(&self) -> String {
        with_unit("time", self.time())
    }
}

/// `name (unit)`, or the name alone.
pub fn with_unit(name: &str, unit: Option<String>) -> String {
    match unit {
        Some(unit) => format!("{name} ({unit})"),
        None => name.to_owned(),
    }
}

/// An outcome's name with its unit, for an axis.
pub fn outcome_label(prepared: &crate::experiment::Prepared, name: &str) -> String {
    let units = Units::of(&prepared.model.model);
    let unit = prepared
        .plan
        .outcomes
        .iter()
        .find(|outcome| outcome.name == name)
        .and_then(|outcome| units.outcome(outcome, prepared.compiled.name(outcome.variable)));
    with_unit(name, unit)
}

/// The outcome's `better`, if the experiment gives one.
pub fn better_of(prepared: &crate::experiment::Prepared, name: &str) -> Option<Better> {
    prepared.plan.outcomes.iter().find(|outcome| outcome.name == name).and_then(|outcome| outcome.better)
}

/// The most panels a run chart draws; the rest are named in a note.
const RUN_PANELS: usize = 8;

/// A run's variables over time, a panel each: those `chosen` (with --vars), or else the model's
/// stocks in the order the model defines them (each element of an arrayed one).
pub fn run(loaded: &LoadedModel, results: &Results, chosen: bool) -> Result<String, ChartError> {
    let units = Units::of(&loaded.model);
    let names = results.names();
    let columns: Vec<usize> = if chosen {
        (0..names.len()).collect()
    } else {
        let mut columns = Vec::new();
        for variable in &loaded.model.variables {
            if !matches!(variable.kind, VariableKind::Stock { .. }) {
                continue;
            }
            for (column, name) in names.iter().enumerate() {
                let written = name.split('[').next().unwrap_or(name);
                if CanonicalName::new(written) == variable.canonical && !columns.contains(&column) {
                    columns.push(column);
                }
            }
        }
        columns
    };
    let mut notes = Vec::new();
    if columns.len() > RUN_PANELS {
        let rest: Vec<&str> = columns[RUN_PANELS..].iter().map(|&c| names[c].as_str()).collect();
        let listed = if rest.len() > 12 {
            format!("{} and {} more", rest[..12].join(", "), rest.len() - 12)
        } else {
            rest.join(", ")
        };
        notes.push(format!("Not drawn ({} more): {listed}; choose the variables with --vars.", rest.len()));
    }
    if !chosen && columns.is_empty() {
        notes.push("The model has no stocks; choose variables with --vars.".to_owned());
    }
    // The model's file with its folder: `ai_lever/model.toml` says more than `model`.
    let file = loaded.path.file_name().map(|name| name.to_string_lossy().into_owned()).unwrap_or_default();
    let folder = loaded.path.parent().and_then(|parent| parent.file_name()).map(|name| name.to_string_lossy());
    let model_name = match folder {
        Some(folder) => format!("{folder}/{file}"),
        None => file,
    };
    let what = if chosen { "chosen variables" } else { "stocks" };
    let times = results.times();
    charts::run(&RunChart {
        title: format!("{model_name}: {what} over time"),
        time: units.time_label(),
        panels: columns
            .iter()
            .take(RUN_PANELS)
            .map(|&column| RunPanel {
                variable: names[column].clone(),
                unit: units.variable(&names[column]),
                points: times.iter().copied().zip(results.column(column).iter().copied()).collect(),
            })
            .collect(),
        notes,
    })
}

/// Draws a fan chart per band variable (and grid point) into a finished sweep's folder and lists
/// them in its manifest; a chart that cannot be drawn is a warning, never worth losing the sweep
/// for.
pub fn add_fans(
    directory: &std::path::Path,
    variables: &[&str],
    rows: &[BandRow],
    runs: u64,
    grid: &[GridAxis],
    units: &Units<'_>,
) -> Result<(), crate::CliError> {
    let mut names = crate::commands::analysis::ChartNames::default();
    let mut drawn = Vec::new();
    for (name, chart) in fans(variables, rows, runs, grid, units, &mut names) {
        match chart {
            Ok(svg) => drawn.push((name, svg)),
            Err(error) => eprintln!("warning: cannot draw {name}: {error}"),
        }
    }
    fulcrum_report::chart_files::add_to_sweep(directory, &drawn).map_err(|error| crate::CliError::Io(error.into()))
}

/// A fan chart per band variable, with its file name: `bands-VARIABLE.svg`; with a grid, one per
/// band variable and grid point, `bands-VARIABLE-AXIS-VALUE.svg` (made distinct by `names`).
/// `runs` is the sweep's; with a grid, each chart is over a grid point's share.
pub fn fans(
    variables: &[&str],
    rows: &[BandRow],
    runs: u64,
    grid: &[GridAxis],
    units: &Units<'_>,
    names: &mut crate::commands::analysis::ChartNames,
) -> Vec<(String, Result<String, ChartError>)> {
    // The rows have the band variables of every grid point: no more grid points than rows.
    let grid_points = grid.iter().try_fold(1usize, |points, axis| points.checked_mul(axis.values.len()));
    let grid_points = grid_points.unwrap_or(usize::MAX).min(rows.len()).max(1);
    let runs = runs / grid_points.max(1) as u64;
    (0..grid_points)
        .flat_map(|point| variables.iter().enumerate().map(move |(index, variable)| (point, index, variable)))
        .map(|(point, index, variable)| {
            let label = grid_point_label(grid, point);
            let at = if label.is_empty() { String::new() } else { format!(" at {label}") };
            let points = rows
                .iter()
                .filter(|row| band_row_place(row, variables.len()) == (point, index))
                .map(|row| {
                    let [p05, p25, p50, p75, p95] = row.quantiles;
                    FanPoint { time: row.time, mean: row.moments.mean, p05, p25, p50, p75, p95 }
                })
                .collect();
            let chart = charts::fan(&Fan {
                title: format!("{variable}{at} over {runs} runs: mean and percentile bands"),
                variable: with_unit(variable, units.variable(variable)),
                time: units.time_label(),
                points,
                notes: vec![format!(
                    "Shaded: the middle 90% (P5–P95) and the middle half (P25–P75) of the {runs} runs at each \
                     saved time; runs that failed are left out."
                )],
            });
            let name = if label.is_empty() { variable.to_string() } else { format!("{variable} {label}") };
            (names.name("bands", &name), chart)
        })
        .collect()
}

/// The paired differences of each intervention to the baseline, as box plots; `label` is the
/// outcome with its unit.
pub fn differences(
    outcome: &str,
    label: &str,
    better: Option<Better>,
    options: &[(String, Vec<f64>)],
) -> Result<String, ChartError> {
    charts::differences(&Differences {
        title: format!("{outcome}: each option against the baseline"),
        outcome: label.to_owned(),
        baseline: "baseline".to_owned(),
        better,
        options: options
            .iter()
            .map(|(option, differences)| DifferenceOption { option: option.clone(), differences: differences.clone() })
            .collect(),
    })
}

/// Each parameter's `measure` through the saved times of `variable`, the parameters with the
/// largest values first (they get the colours); nothing at the `quiet` times, where the
/// variable does not vary beyond numerical noise.
pub fn over_time(
    variable: &str,
    measure: &str,
    time: &str,
    series: &mut [(String, Vec<(f64, f64)>)],
    quiet: Vec<f64>,
) -> Result<String, ChartError> {
    let peak = |points: &[(f64, f64)]| {
        points.iter().filter(|p| !quiet.contains(&p.0)).map(|p| p.1.abs()).filter(|v| v.is_finite()).fold(0.0, f64::max)
    };
    series.sort_by(|a, b| peak(&b.1).total_cmp(&peak(&a.1)));
    charts::over_time(&charts::OverTime {
        title: format!("{variable}: {measure} of each parameter through the run"),
        measure: measure.to_owned(),
        time: time.to_owned(),
        series: series
            .iter()
            .map(|(parameter, points)| charts::TimeSeries { parameter: parameter.clone(), points: points.clone() })
            .collect(),
        quiet,
    })
}

/// One outcome's leverage chart.
pub fn leverage(outcome: &str, better: Option<Better>, levers: &[(String, Leverage)]) -> Result<String, ChartError> {
    charts::leverage(&charts::Leverage {
        title: format!("Leverage on {outcome}"),
        outcome: outcome.to_owned(),
        better,
        levers: levers
            .iter()
            .map(|(lever, result)| LeverageBar {
                lever: lever.clone(),
                score: result.score.value,
                p10: result.p10,
                p90: result.p90,
                interval: (result.score.low, result.score.high),
                disproportionate: result.disproportionate,
                raises: (result.slope.is_finite() && result.slope != 0.0).then_some(result.slope > 0.0),
            })
            .collect(),
    })
}

/// The chart of a sensitivity method for one outcome, from its (parameter, measure, estimate)
/// rows: a tornado for one at a time, μ*–σ for Morris, bars with intervals for the others;
/// `label` is the outcome with its unit.
pub fn sensitivity(
    outcome: &str,
    label: &str,
    method: SensitivityMethod,
    measures: &[(String, String, Estimate)],
) -> Result<String, ChartError> {
    let value = |parameter: &str, measure: &str| {
        measures.iter().find(|(p, m, _)| p == parameter && m == measure).map(|(_, _, e)| *e)
    };
    let mut parameters: Vec<&str> = Vec::new();
    for (parameter, _, _) in measures {
        if !parameter.is_empty() && !parameter.contains(':') && !parameters.contains(&parameter.as_str()) {
            parameters.push(parameter);
        }
    }
    let missing = Estimate::bare(f64::NAN);
    match method {
        SensitivityMethod::Oat => charts::tornado(&Tornado {
            title: format!("{outcome}: each parameter from the low to the high end of its range"),
            outcome: label.to_owned(),
            baseline: value("", "baseline").unwrap_or(missing).value,
            bars: parameters
                .iter()
                .map(|p| TornadoBar {
                    parameter: (*p).to_owned(),
                    low: value(p, "low").unwrap_or(missing).value,
                    high: value(p, "high").unwrap_or(missing).value,
                })
                .collect(),
        }),
        SensitivityMethod::Morris => charts::morris(&Morris {
            title: format!("{outcome}: Morris elementary effects (unit-hypercube steps)"),
            outcome: label.to_owned(),
            points: parameters
                .iter()
                .map(|p| {
                    let mu_star = value(p, "mu_star").unwrap_or(missing);
                    MorrisPoint {
                        parameter: (*p).to_owned(),
                        mu_star: mu_star.value,
                        sigma: value(p, "sigma").unwrap_or(missing).value,
                        mu_star_interval: (mu_star.low.is_finite() && mu_star.high.is_finite())
                            .then_some((mu_star.low, mu_star.high)),
                    }
                })
                .collect(),
        }),
        SensitivityMethod::Sobol | SensitivityMethod::Prcc | SensitivityMethod::Src => {
            let (shown, axis): (&[&str], &str) = match method {
                SensitivityMethod::Sobol => (&["S1", "ST"], "Sobol index (share of the outcome's variance)"),
                SensitivityMethod::Prcc => (&["prcc"], "partial rank correlation"),
                _ => (&["src"], "standardized regression coefficient"),
            };
            charts::indices(&Indices {
                title: format!("{outcome}: {} with confidence intervals", shown.join(" and ")),
                axis: axis.to_owned(),
                // The axis fits the estimates: a fixed 0..1 or -1..1 would hide small ones.
                range: None,
                rows: parameters
                    .iter()
                    .map(|p| IndexRow {
                        parameter: (*p).to_owned(),
                        values: shown
                            .iter()
                            .map(|measure| {
                                let estimate = value(p, measure).unwrap_or(missing);
                                IndexValue {
                                    measure: (*measure).to_owned(),
                                    value: estimate.value,
                                    low: estimate.low,
                                    high: estimate.high,
                                }
                            })
                            .collect(),
                    })
                    .collect(),
            })
        }
    }
}
