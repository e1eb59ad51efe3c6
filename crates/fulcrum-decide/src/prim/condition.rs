//! Conditions over a sweep's outcome columns, such as `final backlog > 5000` or
//! `cost per case >= 12 and final backlog > 5000 or deaths > 100`: which runs are cases of interest.
//!
//! A comparison is a column name (as the outcome is named, spaces and all), an operator (`>`, `>=`,
//! `<`, `<=`, `==`, `!=`) and a number or `baseline` (the outcome's value in the same future's
//! baseline run, when the caller has one). `and` binds tighter than `or`; there are no parentheses. A column whose name
//! holds the word `and` or `or`, or an operator, is written in backquotes: `` `births and deaths` > 5 ``. A row whose value in
//! a named column is missing (NaN: a failed run, a threshold never crossed) meets no comparison on it.

use std::ops::Range;

use thiserror::Error;

/// A parsed condition: `or` of `and`s of comparisons.
#[derive(Clone, Debug, PartialEq)]
pub struct Condition {
    any: Vec<Vec<Comparison>>,
}

/// One comparison of a column with a value.
#[derive(Clone, Debug, PartialEq)]
pub struct Comparison {
    /// The column as written (trimmed).
    pub column: String,
    /// Where the column's name is in the condition (byte offsets).
    pub span: Range<usize>,
    /// The operator.
    pub operator: Operator,
    /// The value compared with.
    pub value: Value,
    /// Where the value is in the condition (byte offsets).
    pub value_span: Range<usize>,
}

/// A comparison operator.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Operator {
    /// `>`
    Greater,
    /// `>=`
    GreaterOrEqual,
    /// `<`
    Less,
    /// `<=`
    LessOrEqual,
    /// `==`
    Equal,
    /// `!=`
    NotEqual,
}

impl Operator {
    fn holds(self, left: f64, right: f64) -> bool {
        match self {
            Operator::Greater => left > right,
            Operator::GreaterOrEqual => left >= right,
            Operator::Less => left < right,
            Operator::LessOrEqual => left <= right,
            Operator::Equal => left == right,
            Operator::NotEqual => !left.is_nan() && !right.is_nan() && left != right,
        }
    }

    /// The operator as written.
    pub fn text(self) -> &'static str {
        match self {
            Operator::Greater => ">",
            Operator::GreaterOrEqual => ">=",
            Operator::Less => "<",
            Operator::LessOrEqual => "<=",
            Operator::Equal => "==",
            Operator::NotEqual => "!=",
        }
    }
}

/// The right-hand side of a comparison.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Value {
    /// A number.
    Number(f64),
    /// The column's value in the same future's baseline run.
    Baseline,
}

/// What is wrong with a condition; each variant has the byte range at fault.
#[derive(Clone, Debug, PartialEq, Error)]
#[non_exhaustive]
pub enum ConditionError {
    /// The condition or one of its parts is empty.
    #[error("an empty comparison (write `column > number`, joined by `and` or `or`)")]
    Empty {
        /// Where.
        span: Range<usize>,
    },
    /// A comparison has no operator.
    #[error("`{text}` has no comparison operator (one of > >= < <= == !=)")]
    NoOperator {
        /// The comparison.
        text: String,
        /// Where.
        span: Range<usize>,
    },
    /// The value is neither a number nor `baseline`.
    #[error("`{text}` is not a number or `baseline`")]
    NotANumber {
        /// The value as written.
        text: String,
        /// Where.
        span: Range<usize>,
    },
    /// A column that the outcomes do not have.
    #[error("no outcome column `{name}`{}; the columns are {}", nearest.as_ref().map(|n| format!(" (did you mean `{n}`?)")).unwrap_or_default(), list(columns))]
    UnknownColumn {
        /// The name as written.
        name: String,
        /// Where.
        span: Range<usize>,
        /// The closest column name, if one is close.
        nearest: Option<String>,
        /// Every column.
        columns: Vec<String>,
    },
    /// `baseline` where there is no baseline run.
    #[error(
        "`baseline` needs each run's baseline: the same future run without the intervention, which these runs do not have"
    )]
    NoBaseline {
        /// Where.
        span: Range<usize>,
    },
}

impl ConditionError {
    /// The byte range of the condition at fault.
    pub fn span(&self) -> Range<usize> {
        match self {
            ConditionError::Empty { span }
            | ConditionError::NoOperator { span, .. }
            | ConditionError::NotANumber { span, .. }
            | ConditionError::UnknownColumn { span, .. }
            | ConditionError::NoBaseline { span } => span.clone(),
        }
    }
}

fn list(columns: &[String]) -> String {
    columns.iter().map(|column| format!("`{column}`")).collect::<Vec<_>>().join(", ")
}

/// The table a condition is evaluated on: named columns, one value per row, and, if the rows have
/// them, each row's baseline (the same future run without the intervention), column by column.
#[derive(Clone, Copy, Debug)]
pub struct Table<'a> {
    /// The column names.
    pub names: &'a [String],
    /// The columns, in name order.
    pub columns: &'a [Vec<f64>],
    /// Each column's baseline values, one per row, in name order.
    pub baseline: Option<&'a [Vec<f64>]>,
}

/// Splits `text[range]` at the whole words `word`, giving the byte ranges of the parts.
fn split_words(text: &str, range: Range<usize>, word: &str) -> Vec<Range<usize>> {
    let part = &text[range.clone()];
    let mut parts = Vec::new();
    let mut start = 0;
    let bytes = part.as_bytes();
    let mut at = 0;
    while let Some(found) = part[at..].find(word) {
        let begin = at + found;
        let end = begin + word.len();
        let before = begin == 0 || bytes[begin - 1].is_ascii_whitespace();
        let after = end == bytes.len() || bytes[end].is_ascii_whitespace();
        // A word inside backquotes is part of a column's name.
        let quoted = part[..begin].matches('`').count() % 2 == 1;
        if before && after && !quoted {
            parts.push(range.start + start..range.start + begin);
            start = end;
        }
        at = end;
    }
    parts.push(range.start + start..range.end);
    parts
}

/// The range without its leading and trailing whitespace.
fn trim(text: &str, range: Range<usize>) -> Range<usize> {
    let part = &text[range.clone()];
    let start = range.start + (part.len() - part.trim_start().len());
    let end = range.end - (part.len() - part.trim_end().len());
    start..end.max(start)
}

impl Condition {
    /// Parses a condition; errors carry the byte range at fault.
    pub fn parse(text: &str) -> Result<Condition, ConditionError> {
        let mut any = Vec::new();
        for alternative in split_words(text, 0..text.len(), "or") {
            let mut all = Vec::new();
            for part in split_words(text, alternative, "and") {
                all.push(Self::comparison(text, trim(text, part))?);
            }
            any.push(all);
        }
        Ok(Condition { any })
    }

    fn comparison(text: &str, span: Range<usize>) -> Result<Comparison, ConditionError> {
        let part = &text[span.clone()];
        if part.is_empty() {
            return Err(ConditionError::Empty { span });
        }
        // An operator inside a backquoted name is part of the name.
        let from = part.strip_prefix('`').and_then(|name| name.find('`')).map_or(0, |close| close + 2);
        let Some(at) = part[from..].find(['<', '>', '=', '!']).map(|at| at + from) else {
            return Err(ConditionError::NoOperator { text: part.to_owned(), span });
        };
        let rest = &part[at..];
        let (operator, length) = if rest.starts_with(">=") {
            (Operator::GreaterOrEqual, 2)
        } else if rest.starts_with("<=") {
            (Operator::LessOrEqual, 2)
        } else if rest.starts_with("==") {
            (Operator::Equal, 2)
        } else if rest.starts_with("!=") {
            (Operator::NotEqual, 2)
        } else if rest.starts_with('>') {
            (Operator::Greater, 1)
        } else if rest.starts_with('<') {
            (Operator::Less, 1)
        } else {
            return Err(ConditionError::NoOperator { text: part.to_owned(), span });
        };
        let mut column_span = trim(text, span.start..span.start + at);
        if column_span.is_empty() {
            return Err(ConditionError::Empty { span: column_span });
        }
        let written = &text[column_span.clone()];
        if written.len() >= 2 && written.starts_with('`') && written.ends_with('`') {
            column_span = column_span.start + 1..column_span.end - 1;
        }
        let value_span = trim(text, span.start + at + length..span.end);
        let written = &text[value_span.clone()];
        let value = if written == "baseline" {
            Value::Baseline
        } else {
            match written.parse::<f64>() {
                Ok(number) if number.is_finite() => Value::Number(number),
                _ => return Err(ConditionError::NotANumber { text: written.to_owned(), span: value_span }),
            }
        };
        Ok(Comparison { column: text[column_span.clone()].to_owned(), span: column_span, operator, value, value_span })
    }

    /// The comparisons, grouped: the condition holds when every comparison of some group holds.
    pub fn groups(&self) -> &[Vec<Comparison>] {
        &self.any
    }

    /// The columns the condition names, each once, in order of appearance.
    pub fn columns(&self) -> Vec<&str> {
        let mut names: Vec<&str> = Vec::new();
        for comparison in self.any.iter().flatten() {
            if !names.contains(&comparison.column.as_str()) {
                names.push(&comparison.column);
            }
        }
        names
    }

    /// Whether some comparison is with `baseline`.
    pub fn uses_baseline(&self) -> bool {
        self.any.iter().flatten().any(|comparison| comparison.value == Value::Baseline)
    }

    /// Whether each row meets the condition.
    pub fn evaluate(&self, table: &Table<'_>) -> Result<Vec<bool>, ConditionError> {
        let rows = table.columns.first().map_or(0, Vec::len);
        let mut resolved = Vec::new();
        for group in &self.any {
            let mut all = Vec::new();
            for comparison in group {
                let Some(index) = table.names.iter().position(|name| *name == comparison.column) else {
                    return Err(ConditionError::UnknownColumn {
                        name: comparison.column.clone(),
                        span: comparison.span.clone(),
                        nearest: nearest(&comparison.column, table.names),
                        columns: table.names.to_vec(),
                    });
                };
                let right = match comparison.value {
                    Value::Number(number) => Right::Number(number),
                    Value::Baseline => match table.baseline {
                        Some(baseline) => Right::Row(&baseline[index]),
                        None => return Err(ConditionError::NoBaseline { span: comparison.value_span.clone() }),
                    },
                };
                all.push((index, comparison.operator, right));
            }
            resolved.push(all);
        }
        Ok((0..rows)
            .map(|row| {
                resolved.iter().any(|all| {
                    all.iter().all(|&(index, operator, ref right)| {
                        let right = match right {
                            Right::Number(number) => *number,
                            Right::Row(values) => values[row],
                        };
                        operator.holds(table.columns[index][row], right)
                    })
                })
            })
            .collect())
    }
}

/// What a comparison compares with: one number, or a value per row.
enum Right<'a> {
    Number(f64),
    Row(&'a [f64]),
}

/// The column closest to `name` by edit distance (case folded), if it is within a third of the
/// name's length.
fn nearest(name: &str, columns: &[String]) -> Option<String> {
    let folded = name.to_lowercase();
    let (distance, column) = columns
        .iter()
        .map(|column| (edit_distance(&folded, &column.to_lowercase()), column))
        .min_by_key(|(distance, _)| *distance)?;
    (distance <= folded.chars().count().div_ceil(3).max(2)).then(|| column.clone())
}

fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut current = vec![i + 1; b.len() + 1];
        for (j, &cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table<'a>(names: &'a [String], columns: &'a [Vec<f64>]) -> Table<'a> {
        Table { names, columns, baseline: None }
    }

    #[test]
    fn and_binds_tighter_than_or() {
        let names = vec!["final backlog".to_owned(), "cost".to_owned()];
        let columns = vec![vec![6000.0, 6000.0, 100.0, 100.0], vec![1.0, 9.0, 9.0, 1.0]];
        let condition = Condition::parse("final backlog > 5000 and cost < 5 or cost >= 9").unwrap();
        let met = condition.evaluate(&table(&names, &columns)).unwrap();
        assert_eq!(met, [true, true, true, false]);
        assert_eq!(condition.columns(), ["final backlog", "cost"]);
    }

    #[test]
    fn backquotes_keep_and_and_or_in_a_name() {
        let names = vec!["births and deaths".to_owned(), "cost".to_owned()];
        let columns = vec![vec![6.0, 1.0], vec![1.0, 1.0]];
        let condition = Condition::parse("`births and deaths` > 5 or cost > 2").unwrap();
        let quoted = Condition::parse("`a<b` >= 1").unwrap();
        assert_eq!(quoted.columns(), ["a<b"]);
        assert_eq!(condition.columns(), ["births and deaths", "cost"]);
        assert_eq!(condition.evaluate(&table(&names, &columns)).unwrap(), [true, false]);
    }

    #[test]
    fn missing_values_meet_no_comparison() {
        let names = vec!["x".to_owned()];
        let columns = vec![vec![f64::NAN, 2.0]];
        for text in ["x != 1", "x > 1", "x <= 3"] {
            let met = Condition::parse(text).unwrap().evaluate(&table(&names, &columns)).unwrap();
            assert_eq!(met, [false, true], "{text}");
        }
    }

    #[test]
    fn errors_point_at_the_part_at_fault() {
        let text = "final backlog > lots";
        let error = Condition::parse(text).unwrap_err();
        assert_eq!(&text[error.span()], "lots");
        let error = Condition::parse("final backlog 5000").unwrap_err();
        assert!(matches!(error, ConditionError::NoOperator { .. }));
        let names = vec!["final backlog".to_owned(), "cost".to_owned()];
        let columns = vec![vec![1.0], vec![1.0]];
        let text = "cost < 3 and final backlg > 5";
        let error = Condition::parse(text).unwrap().evaluate(&table(&names, &columns)).unwrap_err();
        assert_eq!(&text[error.span()], "final backlg");
        let ConditionError::UnknownColumn { nearest, .. } = &error else { panic!("{error:?}") };
        assert_eq!(nearest.as_deref(), Some("final backlog"));
        let error = Condition::parse("cost > baseline").unwrap().evaluate(&table(&names, &columns)).unwrap_err();
        assert!(matches!(error, ConditionError::NoBaseline { .. }));
    }

    #[test]
    fn baseline_is_each_rows_own() {
        let names = vec!["cost".to_owned(), "backlog".to_owned()];
        let columns = vec![vec![5.0, 5.0, 1.0], vec![10.0, 0.0, 10.0]];
        let baseline = vec![vec![4.0, 6.0, 0.0], vec![0.0, 0.0, 0.0]];
        let condition = Condition::parse("cost > baseline and backlog > 1").unwrap();
        assert!(condition.uses_baseline());
        assert!(!Condition::parse("cost > 1").unwrap().uses_baseline());
        let met = condition.evaluate(&Table { names: &names, columns: &columns, baseline: Some(&baseline) }).unwrap();
        // Row 0: 5 > 4 and 10 > 1; row 1: 5 > 6 fails; row 2: 1 > 0 and 10 > 1.
        assert_eq!(met, [true, false, true]);
    }
}
