//! The files of `fulcrum discover`: a sweep's inputs read back from experiments.csv, and the
//! discovery written out (`trajectory.csv`, `box.csv`, `discover.svg`), each file atomically.

use std::fmt::Write as _;
use std::path::Path;

use fulcrum_decide::prim::Discovery;

use crate::charts::{self, DiscoveryLimit};
use crate::{ReportError, SweepDir, push_number, write_atomically};

/// A sweep's sampled inputs: experiments.csv's columns after `run` (and after `option`, which
/// names a design's option and is not a number), one value per run in run order.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepInputs {
    /// The inputs' names.
    pub names: Vec<String>,
    /// Each input's values, by run.
    pub columns: Vec<Vec<f64>>,
    /// The option each run applies (`baseline` or an intervention's name), for a sweep of a
    /// compare design.
    pub options: Option<Vec<String>>,
}

/// Reads `experiments.csv` of a sweep's folder; problems name the file and line.
pub fn read_inputs(sweep: &SweepDir) -> Result<SweepInputs, ReportError> {
    let path = sweep.path.join("experiments.csv");
    let mut reader = csv::ReaderBuilder::new().from_path(&path).map_err(|error| {
        let message = error.to_string();
        match error.into_kind() {
            csv::ErrorKind::Io(source) => ReportError::Read { path: path.clone(), source },
            _ => ReportError::Invalid(format!("cannot read {}: {message}", path.display())),
        }
    })?;
    let located = |line: u64, message: String| ReportError::Invalid(format!("{}:{line}: {message}", path.display()));
    let header = reader.headers().map_err(|error| located(1, error.to_string()))?.clone();
    if header.get(0) != Some("run") {
        return Err(located(1, "the first column is not `run`; this is not a sweep's experiments.csv".to_owned()));
    }
    let skip = if header.get(1) == Some("option") { 2 } else { 1 };
    let names: Vec<String> = header.iter().skip(skip).map(str::to_owned).collect();
    let mut columns = vec![Vec::new(); names.len()];
    let mut options = (skip == 2).then(Vec::new);
    for record in reader.records() {
        let record = record.map_err(|error| located(error.position().map_or(0, |p| p.line()), error.to_string()))?;
        let line = record.position().map_or(0, |position| position.line());
        if let Some(options) = &mut options {
            options.push(record.get(1).unwrap_or_default().to_owned());
        }
        for (index, cell) in record.iter().skip(skip).enumerate() {
            let value = cell.parse::<f64>().ok().filter(|value| value.is_finite()).ok_or_else(|| {
                located(line, format!("`{cell}` in column `{}` is not a finite number", names[index]))
            })?;
            columns[index].push(value);
        }
    }
    Ok(SweepInputs { names, columns, options })
}

/// Writes `trajectory.csv` (`box,coverage,density,mass,restricted`), `box.csv` (box `chosen`,
/// one row per input: `parameter,min,max,restricted,quasi_p`, the quasi-p-value the smaller of the
/// two sides' and empty for an unrestricted input) and `discover.svg` into `directory`.
pub fn write_discovery(directory: &Path, found: &Discovery, chosen: usize, title: &str) -> Result<(), ReportError> {
    let mut text = String::from("box,coverage,density,mass,restricted\n");
    for (index, stats) in found.trajectory.iter().enumerate() {
        let _ = write!(text, "{index},");
        for value in [stats.coverage, stats.density, stats.mass] {
            push_number(&mut text, value);
            text.push(',');
        }
        let _ = writeln!(text, "{}", stats.restricted);
    }
    write_atomically(&directory.join("trajectory.csv"), |out| out.write_all(text.as_bytes()))?;

    let quasi_p = found.quasi_p(chosen);
    let stats = &found.trajectory[chosen];
    let mut text = String::from("parameter,min,max,restricted,quasi_p\n");
    for (input, name) in found.names().iter().enumerate() {
        text.push_str(&csv_field(name));
        text.push(',');
        push_number(&mut text, stats.limits[input].low);
        text.push(',');
        push_number(&mut text, stats.limits[input].high);
        let restricted = found.is_restricted(chosen, input);
        text.push_str(if restricted { ",true," } else { ",false," });
        if let Some(value) = quasi_p.iter().find(|value| value.input == input) {
            let smallest = [value.low, value.high].into_iter().flatten().fold(f64::INFINITY, f64::min);
            push_number(&mut text, smallest);
        }
        text.push('\n');
    }
    write_atomically(&directory.join("box.csv"), |out| out.write_all(text.as_bytes()))?;

    let chart = charts::Discovery {
        title: title.to_owned(),
        trajectory: found.trajectory.iter().map(|stats| (stats.coverage, stats.density)).collect(),
        selected: Some(chosen),
        threshold: found.options.threshold,
        limits: (0..found.names().len())
            .filter(|&input| found.is_restricted(chosen, input))
            .map(|input| DiscoveryLimit {
                name: found.names()[input].clone(),
                low: stats.limits[input].low,
                high: stats.limits[input].high,
                range: (found.range[input].low, found.range[input].high),
            })
            .collect(),
    };
    let svg = charts::discovery(&chart)?;
    write_atomically(&directory.join("discover.svg"), |out| out.write_all(svg.as_bytes()))
}

/// A CSV field, quoted when it holds a comma, a quote or a line break.
fn csv_field(text: &str) -> String {
    if text.contains([',', '"', '\n', '\r']) { format!("\"{}\"", text.replace('"', "\"\"")) } else { text.to_owned() }
}
