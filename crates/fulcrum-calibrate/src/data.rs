//! Historical series from CSV text: a `time` column (optionally with its unit, `time (months)`),
//! then one column per model variable, named as the model names it (any spelling the model
//! accepts). Blank cells are missing observations. Every problem is reported at once, each with
//! the span of the cell or header at fault, so that the caller can show the line and column.

use fulcrum_model::diagnostic::closest_match;
use fulcrum_model::syntax::Span;
use fulcrum_model::{Code, Diagnostic, Diagnostics};
use fulcrum_sim::{CompiledModel, VarId};

/// Historical data matched to a model's saved times.
#[derive(Clone, Debug, PartialEq)]
pub struct History {
    /// The data's times, in file order (strictly increasing).
    pub times: Vec<f64>,
    /// For each time, which of the model's saved times it is.
    pub saved: Vec<usize>,
    /// One series per data column.
    pub series: Vec<Series>,
}

/// One data column.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    /// The column name as written.
    pub name: String,
    /// The model variable it observes.
    pub variable: VarId,
    /// One value per time of [`History::times`]; `None` where the cell is blank.
    pub values: Vec<Option<f64>>,
    /// Where the column's name is written.
    pub span: Span,
}

impl History {
    /// The observations of series `index` inside `[start, stop]`: (saved time index, value).
    pub fn observed(&self, index: usize, start: f64, stop: f64) -> Vec<(usize, f64)> {
        let Some(series) = self.series.get(index) else { return Vec::new() };
        self.times
            .iter()
            .zip(&self.saved)
            .zip(&series.values)
            .filter(|((time, _), _)| **time >= start && **time <= stop)
            .filter_map(|((_, saved), value)| value.map(|value| (*saved, value)))
            .collect()
    }
}

/// One cell of the file, with where it is.
struct Cell<'a> {
    text: &'a str,
    span: Span,
}

/// Splits a line into cells at commas; a cell in double quotes may hold commas (`""` is a quote).
fn cells(line: &str, offset: usize) -> Vec<Cell<'_>> {
    let mut found = Vec::new();
    let bytes = line.as_bytes();
    let mut start = 0;
    let mut quoted = false;
    for (index, &byte) in bytes.iter().enumerate() {
        match byte {
            b'"' => quoted = !quoted,
            b',' if !quoted => {
                found.push(cell(line, offset, start, index));
                start = index + 1;
            }
            _ => {}
        }
    }
    found.push(cell(line, offset, start, line.len()));
    found
}

fn cell(line: &str, offset: usize, start: usize, end: usize) -> Cell<'_> {
    let raw = &line[start..end];
    let leading = raw.len() - raw.trim_start().len();
    let text = raw.trim();
    let span = Span::new(offset + start + leading, offset + start + leading + text.len());
    let text = text.strip_prefix('"').and_then(|t| t.strip_suffix('"')).unwrap_or(text);
    Cell { text, span }
}

/// `time`, `time (months)` or `time [months]`: the unit, if one is given; `None` when the header
/// is not a time column at all.
fn time_header(text: &str) -> Option<Option<&str>> {
    let lower = text.trim();
    let rest = lower.get(..4).filter(|head| head.eq_ignore_ascii_case("time")).map(|_| lower[4..].trim())?;
    if rest.is_empty() {
        return Some(None);
    }
    let unit = rest
        .strip_prefix('(')
        .and_then(|r| r.strip_suffix(')'))
        .or_else(|| rest.strip_prefix('[').and_then(|r| r.strip_suffix(']')))?;
    Some(Some(unit.trim()))
}

/// Whether two spellings name the same time unit: case, surrounding space and a plural `s` aside.
fn same_unit(a: &str, b: &str) -> bool {
    let fold = |unit: &str| {
        let unit = unit.trim().to_ascii_lowercase();
        unit.strip_suffix('s').map(str::to_owned).unwrap_or(unit)
    };
    fold(a) == fold(b)
}

/// Reads history from CSV text and matches it to the model: each column to a variable with
/// values, each time to a saved time of the run. `time_units` is the model's, when it states one.
pub fn read_history(text: &str, model: &CompiledModel, time_units: Option<&str>) -> Result<History, Diagnostics> {
    let mut problems = Diagnostics::default();
    let mut lines = Vec::new();
    let mut offset = 0;
    for line in text.split_inclusive('\n') {
        let content = line.trim_end_matches(['\n', '\r']);
        if !content.trim().is_empty() {
            lines.push((content, offset));
        }
        offset += line.len();
    }
    let Some(&(header_line, header_offset)) = lines.first() else {
        problems.push(
            Diagnostic::new(Code::MissingKey, "the data file is empty")
                .at(Some(Span::new(0, 0)))
                .with_help("the first line names the columns: time, then model variables"),
        );
        return Err(problems);
    };
    let header = cells(header_line, header_offset);
    match time_header(header[0].text) {
        None => problems.push(
            Diagnostic::new(Code::InvalidValue, format!("the first column is `{}`, not `time`", header[0].text))
                .at(Some(header[0].span))
                .with_help("name the first column `time`, or `time (months)` with the model's time unit"),
        ),
        Some(Some(unit)) => match time_units {
            Some(model_unit) if !same_unit(unit, model_unit) => problems.push(
                Diagnostic::new(
                    Code::InvalidValue,
                    format!("the data's time is in {unit}, the model's in {model_unit}"),
                )
                .at(Some(header[0].span))
                .with_help(format!("convert the times to {model_unit}")),
            ),
            _ => {}
        },
        Some(None) => {}
    }
    let mut columns: Vec<Option<Series>> = Vec::new();
    let outputs = model.output_variables();
    for (index, cell) in header.iter().enumerate().skip(1) {
        let found = model.lookup(cell.text).filter(|id| outputs.contains(id));
        let first = header[1..index].iter().find(|other| model.lookup(other.text).is_some_and(|id| Some(id) == found));
        match (found, first) {
            (Some(_), Some(first)) => {
                problems.push(
                    Diagnostic::new(Code::DuplicateName, format!("two columns observe `{}`", cell.text))
                        .at(Some(cell.span))
                        .with_related(Some(first.span), "first here"),
                );
                columns.push(None);
            }
            (Some(variable), None) => {
                columns.push(Some(Series { name: cell.text.to_owned(), variable, values: Vec::new(), span: cell.span }))
            }
            (None, _) => {
                let names = outputs.iter().map(|id| model.name(*id));
                let help = match closest_match(cell.text, names) {
                    Some(near) => format!("did you mean `{near}`?"),
                    None if cell.text.is_empty() => "give every column a name".to_owned(),
                    None => "columns are named like the model's variables; `fulcrum check` lists them".to_owned(),
                };
                problems.push(
                    Diagnostic::new(Code::UnknownName, format!("the model has no variable `{}`", cell.text))
                        .at(Some(cell.span))
                        .on_variable(cell.text)
                        .with_help(help),
                );
                columns.push(None);
            }
        }
    }
    if header.len() < 2 {
        problems.push(
            Diagnostic::new(Code::MissingKey, "the data file has a time column and nothing else")
                .at(Some(header[0].span))
                .with_help("add a column per observed variable, named as the model names it"),
        );
    }
    let axis = model.axis();
    let saved_times = axis.save_times();
    let tolerance = axis.dt * 1e-6;
    let mut times = Vec::new();
    let mut saved = Vec::new();
    for &(line, line_offset) in &lines[1..] {
        let row = cells(line, line_offset);
        if row.len() != header.len() {
            let span = Span::new(line_offset, line_offset + line.len());
            problems.push(
                Diagnostic::new(
                    Code::InvalidValue,
                    format!("this row has {} cells, the header {}", row.len(), header.len()),
                )
                .at(Some(span))
                .with_help("leave a cell blank (nothing between the commas) for a missing value"),
            );
            continue;
        }
        let time = match number(&row[0]) {
            Some(Some(time)) => time,
            _ => {
                problems.push(
                    Diagnostic::new(Code::InvalidValue, format!("the time `{}` is not a number", row[0].text))
                        .at(Some(row[0].span)),
                );
                continue;
            }
        };
        if times.last().is_some_and(|last| time <= *last) {
            problems.push(
                Diagnostic::new(Code::InvalidValue, format!("time {time} does not come after the row before"))
                    .at(Some(row[0].span))
                    .with_help("sort the rows by time, one row per time"),
            );
            continue;
        }
        let position = saved_times.partition_point(|saved| *saved < time - tolerance);
        let on_grid = saved_times.get(position).filter(|saved| (**saved - time).abs() <= tolerance);
        let Some(_) = on_grid else {
            let (first, last) = (axis.start, saved_times.last().copied().unwrap_or(axis.stop));
            let diagnostic = if time < first - tolerance || time > last + tolerance {
                Diagnostic::new(Code::InvalidTimeRange, format!("time {time} is outside the run ({first} to {last})"))
                    .with_help("extend the run with [sim] start/stop in the experiment, or drop the row")
            } else {
                let near = saved_times[position.min(saved_times.len() - 1)];
                Diagnostic::new(
                    Code::InvalidValue,
                    format!("time {time} is not a saved time of the run (every {})", axis.dt * axis.save_every as f64),
                )
                .with_help(format!(
                    "the nearest saved time is {near}; set [sim] save_step in the experiment to the data's interval"
                ))
            };
            problems.push(diagnostic.at(Some(row[0].span)));
            continue;
        };
        times.push(time);
        saved.push(position);
        for (cell, column) in row[1..].iter().zip(columns.iter_mut()) {
            let value = match number(cell) {
                Some(value) => value,
                None => {
                    problems.push(
                        Diagnostic::new(Code::InvalidValue, format!("`{}` is not a number", cell.text))
                            .at(Some(cell.span))
                            .with_help("leave the cell blank for a missing value"),
                    );
                    None
                }
            };
            if let Some(series) = column {
                series.values.push(value);
            }
        }
    }
    if lines.len() < 2 {
        problems.push(
            Diagnostic::new(Code::MissingKey, "the data file has a header and no rows")
                .at(Some(header[0].span))
                .with_help("add one row per observed time"),
        );
    }
    let series: Vec<Series> = columns.into_iter().flatten().collect();
    if !problems.has_errors() {
        for column in &series {
            if column.values.iter().all(Option::is_none) {
                problems.push(
                    Diagnostic::new(Code::InvalidValue, format!("the column `{}` is blank in every row", column.name))
                        .at(Some(column.span))
                        .with_help("give it values, or remove the column"),
                );
            }
        }
    }
    if problems.has_errors() {
        problems.sort();
        return Err(problems);
    }
    Ok(History { times, saved, series })
}

/// A cell's number: `Some(None)` when blank, `None` when not a finite number.
fn number(cell: &Cell<'_>) -> Option<Option<f64>> {
    if cell.text.trim().is_empty() {
        return Some(None);
    }
    cell.text.trim().parse::<f64>().ok().filter(|value| value.is_finite()).map(Some)
}

#[cfg(test)]
mod tests {
    use super::*;
    use fulcrum_model::builder::ModelBuilder;

    fn model() -> CompiledModel {
        let model = ModelBuilder::new(0.0, 10.0, 0.5)
            .stock("Savings", "100", &["Interest"], &[])
            .flow("Interest", "Savings * Rate")
            .constant("Rate", 0.1)
            .build();
        let mut model = model;
        model.sim.save_step = Some(1.0);
        fulcrum_sim::compile(&fulcrum_model::resolve(&model).expect("resolves")).expect("compiles")
    }

    fn problems(text: &str) -> Vec<(Code, String)> {
        match read_history(text, &model(), Some("months")) {
            Ok(_) => Vec::new(),
            Err(diagnostics) => diagnostics
                .0
                .iter()
                .map(|d| (d.code, d.span.map_or(String::new(), |s| text[s.start()..s.end()].to_owned())))
                .collect(),
        }
    }

    #[test]
    fn columns_match_variables_in_any_spelling_and_blanks_are_missing() {
        let text = "time (Month),savings, \"INTEREST\"\n0,100,10\n2,,12.1\n5,161,\n";
        let history = read_history(text, &model(), Some("months")).expect("reads");
        assert_eq!(history.times, [0.0, 2.0, 5.0]);
        assert_eq!(history.saved, [0, 2, 5]);
        assert_eq!(history.series[0].values, [Some(100.0), None, Some(161.0)]);
        assert_eq!(history.series[1].name, "INTEREST");
        assert_eq!(history.observed(0, 1.0, 10.0), [(5, 161.0)]);
    }

    #[test]
    fn every_bad_cell_is_located() {
        let text = "time,Savngs,Savings,Interest\n0,1,1,1\n0.5,1,1,1\n11,1,1,1\n3,1,1\n4,1,x,1\n";
        let found = problems(text);
        let codes: Vec<(Code, &str)> = found.iter().map(|(code, text)| (*code, text.as_str())).collect();
        assert_eq!(
            codes,
            [
                (Code::UnknownName, "Savngs"),
                (Code::InvalidValue, "0.5"),
                (Code::InvalidTimeRange, "11"),
                (Code::InvalidValue, "3,1,1"),
                (Code::InvalidValue, "x"),
            ]
        );
    }

    #[test]
    fn a_time_unit_other_than_the_models_is_an_error() {
        assert_eq!(problems("time (years),Savings\n0,100\n"), [(Code::InvalidValue, "time (years)".to_owned())]);
        assert!(problems("time [months],Savings\n0,100\n").is_empty());
    }

    #[test]
    fn a_blank_column_and_an_empty_file_are_errors() {
        assert_eq!(problems("time,Savings\n0,\n1,\n"), [(Code::InvalidValue, "Savings".to_owned())]);
        assert_eq!(problems(""), [(Code::MissingKey, String::new())]);
        assert_eq!(problems("when,Savings\n0,1\n"), [(Code::InvalidValue, "when".to_owned())]);
    }
}
