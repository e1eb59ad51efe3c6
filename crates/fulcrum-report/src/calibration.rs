//! The files of a calibration, each written atomically: `fit.csv` (the best constants and the
//! payoff), `posterior.csv` (the draws: one column per constant, then the log posterior),
//! `diagnostics.csv` (per constant: posterior summary, R-hat, effective sample sizes),
//! `fit.svg` (data against the best fit and the band of runs over the posterior) and
//! `summary.md` (the same in words).

use std::fmt::Write as _;
use std::path::Path;

use fulcrum_calibrate::diagnostics::quantile;
use fulcrum_calibrate::{Calibrated, Problem};

use crate::charts::{CalibrationFit, FitPanel, calibration_fit};
use crate::{ReportError, format_number, write_atomically};

/// The file names, in the order they are written.
pub const FILES: [&str; 5] = ["fit.csv", "posterior.csv", "diagnostics.csv", "fit.svg", "summary.md"];

/// What the summary says about the run beyond the numbers.
#[derive(Clone, Debug, Default)]
pub struct Context {
    /// The experiment file, as given.
    pub experiment: String,
    /// The data file, as given.
    pub data: String,
    /// The likelihood's name.
    pub likelihood: String,
    /// The seed.
    pub seed: u64,
    /// The model's time unit, if known.
    pub time_unit: Option<String>,
    /// Seconds the calibration took.
    pub seconds: f64,
}

/// A CSV cell: quoted when it holds a comma, a quote or a line break.
fn cell(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text.to_owned() }
}

/// Writes the five files into `directory` (which exists). The summary is returned as well.
pub fn write(
    directory: &Path,
    problem: &Problem<'_>,
    calibrated: &Calibrated,
    context: &Context,
) -> Result<String, ReportError> {
    let names: Vec<String> = problem.parameters.iter().map(|p| cell(&p.name)).collect();
    let optimum = &calibrated.optimum;
    write_atomically(&directory.join("fit.csv"), |out| {
        writeln!(out, "{},log_posterior,log_likelihood,log_prior,sum_of_squares", names.join(","))?;
        let values: Vec<String> = optimum.point.iter().map(|v| format_number(*v)).collect();
        let score = &optimum.score;
        writeln!(
            out,
            "{},{},{},{},{}",
            values.join(","),
            format_number(score.log_posterior()),
            format_number(score.log_likelihood),
            format_number(score.log_prior),
            format_number(score.sum_of_squares)
        )
    })?;
    let posterior = &calibrated.posterior;
    write_atomically(&directory.join("posterior.csv"), |out| {
        writeln!(out, "{},log_posterior", names.join(","))?;
        for (draw, value) in posterior.draws.iter().zip(&posterior.log_posterior) {
            for x in draw {
                write!(out, "{},", format_number(*x))?;
            }
            writeln!(out, "{}", format_number(*value))?;
        }
        Ok(())
    })?;
    let rows = diagnostics_rows(problem, calibrated);
    write_atomically(&directory.join("diagnostics.csv"), |out| {
        writeln!(out, "constant,best,mean,sd,q05,median,q95,r_hat,ess_bulk,ess_tail")?;
        for row in &rows {
            writeln!(
                out,
                "{},{}",
                cell(&row.name),
                [row.best, row.mean, row.sd, row.q05, row.median, row.q95, row.r_hat, row.ess_bulk, row.ess_tail]
                    .map(format_number)
                    .join(",")
            )?;
        }
        Ok(())
    })?;
    let time = context.time_unit.as_ref().map_or("time".to_owned(), |unit| format!("time ({unit})"));
    let chart = CalibrationFit {
        title: "Data, best fit and the 90% band of runs over the posterior".to_owned(),
        time,
        band: "5%–95% of runs over the posterior".to_owned(),
        panels: calibrated
            .predictive
            .series
            .iter()
            .map(|series| FitPanel {
                variable: series.name.clone(),
                times: calibrated.predictive.times.clone(),
                fitted: series.fitted.clone(),
                low: series.low.clone(),
                high: series.high.clone(),
                data: series.data.clone(),
            })
            .collect(),
    };
    let svg = calibration_fit(&chart).map_err(|error| ReportError::Invalid(error.to_string()))?;
    write_atomically(&directory.join("fit.svg"), |out| out.write_all(svg.as_bytes()))?;
    let summary = summary(problem, calibrated, &rows, context);
    write_atomically(&directory.join("summary.md"), |out| out.write_all(summary.as_bytes()))?;
    Ok(summary)
}

/// One constant's line of diagnostics.csv.
#[derive(Clone, Debug, PartialEq)]
pub struct DiagnosticsRow {
    /// The constant.
    pub name: String,
    /// Its best fit.
    pub best: f64,
    /// The posterior mean.
    pub mean: f64,
    /// The posterior standard deviation.
    pub sd: f64,
    /// The posterior's 5% quantile.
    pub q05: f64,
    /// Its median.
    pub median: f64,
    /// Its 95% quantile.
    pub q95: f64,
    /// Rank-normalized split R-hat.
    pub r_hat: f64,
    /// Bulk effective sample size.
    pub ess_bulk: f64,
    /// Tail effective sample size.
    pub ess_tail: f64,
}

/// The rows of diagnostics.csv, one per fitted constant in the problem's order.
pub fn diagnostics_rows(problem: &Problem<'_>, calibrated: &Calibrated) -> Vec<DiagnosticsRow> {
    let posterior = &calibrated.posterior;
    problem
        .parameters
        .iter()
        .enumerate()
        .map(|(index, parameter)| {
            let values: Vec<f64> = posterior.draws.iter().map(|draw| draw[index]).collect();
            let count = values.len().max(1) as f64;
            let mean = values.iter().sum::<f64>() / count;
            let sd = (values.iter().map(|v| (v - mean) * (v - mean)).sum::<f64>() / (count - 1.0).max(1.0)).sqrt();
            let convergence = posterior.convergence.get(index);
            DiagnosticsRow {
                name: parameter.name.clone(),
                best: calibrated.optimum.point.get(index).copied().unwrap_or(f64::NAN),
                mean,
                sd,
                q05: quantile(&values, 0.05),
                median: quantile(&values, 0.5),
                q95: quantile(&values, 0.95),
                r_hat: convergence.map_or(f64::NAN, |c| c.r_hat),
                ess_bulk: convergence.map_or(f64::NAN, |c| c.ess_bulk),
                ess_tail: convergence.map_or(f64::NAN, |c| c.ess_tail),
            }
        })
        .collect()
}

fn summary(problem: &Problem<'_>, calibrated: &Calibrated, rows: &[DiagnosticsRow], context: &Context) -> String {
    let posterior = &calibrated.posterior;
    let mut text = String::new();
    let _ = writeln!(text, "# Calibration of {}\n", context.experiment);
    let _ = writeln!(
        text,
        "Fitted {} constant{} to {} ({} series, likelihood `{}`), seed {}.\n",
        problem.parameters.len(),
        if problem.parameters.len() == 1 { "" } else { "s" },
        context.data,
        problem.observed.len(),
        context.likelihood,
        context.seed
    );
    if posterior.converged {
        let _ = writeln!(
            text,
            "The posterior converged: every constant has R-hat at most 1.01 and a bulk effective sample size of at least 400.\n"
        );
    } else {
        let _ = writeln!(
            text,
            "**The posterior did not converge**: some constant has R-hat above 1.01 or a bulk effective sample size \
             below 400 after the longest chain allowed. Do not treat these draws as the posterior; widen or reshape \
             the priors, fit fewer constants, or raise `draws`.\n"
        );
    }
    let _ = writeln!(text, "| constant | best fit | posterior median | 90% interval | R-hat | ESS |");
    let _ = writeln!(text, "|---|---|---|---|---|---|");
    for row in rows {
        let _ = writeln!(
            text,
            "| {} | {} | {} | {} to {} | {:.3} | {:.0} |",
            row.name,
            significant(row.best),
            significant(row.median),
            significant(row.q05),
            significant(row.q95),
            row.r_hat,
            row.ess_bulk
        );
    }
    let score = &calibrated.optimum.score;
    let _ = writeln!(
        text,
        "\nBest fit: log posterior {:.4}, log-likelihood {:.4}, weighted sum of squares {}.",
        score.log_posterior(),
        score.log_likelihood,
        significant(score.sum_of_squares)
    );
    let _ = writeln!(
        text,
        "Optimizer: {} starts, {} runs. Sampler: {} walkers, {} steps ({} burn-in), every {} kept: {} draws, \
         acceptance {:.2}, {} runs. Took {:.1} s.",
        calibrated.optimum.restarts.len(),
        calibrated.optimum.evaluations,
        posterior.walkers,
        posterior.steps,
        posterior.burn_in,
        posterior.thinning,
        posterior.draws.len(),
        posterior.acceptance,
        posterior.evaluations,
        context.seconds
    );
    let _ = writeln!(
        text,
        "\nTo sweep over these futures, add `from = \"<this folder>/posterior.csv\"` to the experiment's [sampling] table."
    );
    text
}

/// Six significant digits.
fn significant(value: f64) -> String {
    if value == 0.0 || !value.is_finite() {
        return format!("{value}");
    }
    let digits = (5 - value.abs().log10().floor() as i32).max(0) as usize;
    format!("{value:.digits$}")
}
