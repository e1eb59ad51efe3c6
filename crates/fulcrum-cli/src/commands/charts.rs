//! The analyses' results in the shapes the report crate's charts take.

use fulcrum_explore::Better;
use fulcrum_report::charts::{
    self, ChartError, DifferenceOption, Differences, IndexRow, IndexValue, Indices, LeverageBar, Morris, MorrisPoint,
    Tornado, TornadoBar,
};
use fulcrum_sensitivity::Estimate;
use fulcrum_sensitivity::leverage::Leverage;

use fulcrum_sensitivity::Method as SensitivityMethod;

/// The paired differences of each intervention to the baseline, as box plots.
pub fn differences(
    outcome: &str,
    better: Option<Better>,
    options: &[(String, Vec<f64>)],
) -> Result<String, ChartError> {
    charts::differences(&Differences {
        title: format!("{outcome}: each option against the baseline"),
        outcome: outcome.to_owned(),
        baseline: "baseline".to_owned(),
        better,
        options: options
            .iter()
            .map(|(option, differences)| DifferenceOption { option: option.clone(), differences: differences.clone() })
            .collect(),
    })
}

/// Each parameter's `measure` through the saved times of `variable`, the parameters with the
/// largest values first (they get the colours).
pub fn over_time(
    variable: &str,
    measure: &str,
    series: &mut [(String, Vec<(f64, f64)>)],
) -> Result<String, ChartError> {
    let peak = |points: &[(f64, f64)]| points.iter().map(|p| p.1.abs()).filter(|v| v.is_finite()).fold(0.0, f64::max);
    series.sort_by(|a, b| peak(&b.1).total_cmp(&peak(&a.1)));
    charts::over_time(&charts::OverTime {
        title: format!("{variable}: {measure} of each parameter through the run"),
        measure: measure.to_owned(),
        time: "time".to_owned(),
        series: series
            .iter()
            .map(|(parameter, points)| charts::TimeSeries { parameter: parameter.clone(), points: points.clone() })
            .collect(),
    })
}

/// Every outcome's leverage chart, one under the other.
pub fn leverage(panels: &[(String, Vec<(String, Leverage)>)]) -> Result<String, ChartError> {
    let mut drawn = Vec::new();
    for (outcome, levers) in panels {
        drawn.push(charts::leverage(&charts::Leverage {
            title: format!("Leverage on {outcome}"),
            outcome: outcome.clone(),
            levers: levers
                .iter()
                .map(|(lever, result)| LeverageBar {
                    lever: lever.clone(),
                    score: result.score.value,
                    p10: result.p10,
                    p90: result.p90,
                    interval: (result.score.low, result.score.high),
                    disproportionate: result.disproportionate,
                })
                .collect(),
        })?);
    }
    Ok(charts::stack(&drawn))
}

/// The chart of a sensitivity method for one outcome, from its (parameter, measure, estimate)
/// rows: a tornado for one at a time, μ*–σ for Morris, bars with intervals for the others.
pub fn sensitivity(
    outcome: &str,
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
            outcome: outcome.to_owned(),
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
            outcome: outcome.to_owned(),
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
            let (shown, axis, range): (&[&str], &str, Option<(f64, f64)>) = match method {
                SensitivityMethod::Sobol => {
                    (&["S1", "ST"], "Sobol index (share of the outcome's variance)", Some((0.0, 1.0)))
                }
                SensitivityMethod::Prcc => (&["prcc"], "partial rank correlation", Some((-1.0, 1.0))),
                _ => (&["src"], "standardized regression coefficient", Some((-1.0, 1.0))),
            };
            charts::indices(&Indices {
                title: format!("{outcome}: {} with confidence intervals", shown.join(" and ")),
                axis: axis.to_owned(),
                range,
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
