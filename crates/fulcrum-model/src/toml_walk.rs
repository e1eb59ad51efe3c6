//! Reading a TOML file by hand, key by key, so that every problem is reported at once with the
//! span of the key or value at fault: wrong types, non-finite numbers, unknown keys with a
//! suggestion. The native model reader and the experiment reader both walk their files with it.

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::diagnostic::{Code, Diagnostic, Diagnostics, closest_match};
use crate::syntax::Span;

/// Parses TOML; `Err` holds the syntax errors, each with its span.
pub fn parse(text: &str) -> Result<Spanned<DeTable<'_>>, Diagnostics> {
    let (document, errors) = DeTable::parse_recoverable(text);
    if errors.is_empty() {
        return Ok(document);
    }
    let diagnostics = errors
        .iter()
        .map(|error| {
            Diagnostic::new(Code::FileSyntax, format!("invalid TOML: {}", error.message().trim_end()))
                .at(error.span().map(|range| Span::new(range.start, range.end)))
        })
        .collect();
    Err(Diagnostics(diagnostics))
}

/// A TOML value with its span.
pub type Value<'i> = Spanned<DeValue<'i>>;

/// The span of a spanned TOML item.
pub fn span_of<T>(spanned: &Spanned<T>) -> Span {
    let range = spanned.span();
    Span::new(range.start, range.end)
}

/// One TOML table being read: tracks which keys were used so the rest can be reported.
pub struct Table<'t, 'i> {
    /// The table itself.
    pub table: &'t DeTable<'i>,
    /// Where it is in the file.
    pub span: Span,
    /// Where this table is, for messages: "[sim]", "[[stock]] `Staff`".
    pub context: String,
    used: Vec<&'static str>,
}

impl<'t, 'i> Table<'t, 'i> {
    /// Starts reading a table; `context` names it in messages.
    pub fn new(table: &'t DeTable<'i>, span: Span, context: impl Into<String>) -> Table<'t, 'i> {
        Table { table, span, context: context.into(), used: Vec::new() }
    }

    /// The value under `key`, marking the key as known.
    pub fn get(&mut self, key: &'static str) -> Option<&'t Value<'i>> {
        self.used.push(key);
        self.table.get(key)
    }
}

/// Walks a file's tables, collecting diagnostics.
pub struct Walker<'a> {
    /// The file's text.
    pub text: &'a str,
    /// What was found wrong so far.
    pub diagnostics: Diagnostics,
}

impl<'a> Walker<'a> {
    /// A walker over `text` with nothing reported yet.
    pub fn new(text: &'a str) -> Walker<'a> {
        Walker { text, diagnostics: Diagnostics::default() }
    }

    /// Adds a diagnostic.
    pub fn report(&mut self, diagnostic: Diagnostic) {
        self.diagnostics.push(diagnostic);
    }

    /// A string under `key`.
    pub fn string(&mut self, table: &mut Table<'_, '_>, key: &'static str) -> Option<String> {
        let value = table.get(key)?;
        match value.get_ref().as_str() {
            Some(text) => Some(text.to_owned()),
            None => {
                self.wrong_type(&table.context, key, "a string", span_of(value));
                None
            }
        }
    }

    /// A boolean under `key`.
    pub fn boolean(&mut self, table: &mut Table<'_, '_>, key: &'static str) -> Option<bool> {
        let value = table.get(key)?;
        match value.get_ref().as_bool() {
            Some(flag) => Some(flag),
            None => {
                self.wrong_type(&table.context, key, "true or false", span_of(value));
                None
            }
        }
    }

    /// A finite number under `key`, with its span.
    pub fn number(&mut self, table: &mut Table<'_, '_>, key: &'static str) -> Option<(f64, Span)> {
        let value = table.get(key)?;
        let number = self.number_value(value, &table.context, key)?;
        Some((number, span_of(value)))
    }

    /// A finite number, or a report of why the value is not one.
    pub fn number_value(&mut self, value: &Value<'_>, context: &str, key: &str) -> Option<f64> {
        let span = span_of(value);
        let number = match value.get_ref() {
            DeValue::Integer(integer) => match i64::from_str_radix(integer.as_str(), integer.radix()) {
                Ok(integer) => Some(integer as f64),
                Err(_) => {
                    // TOML integers are 64-bit; a float of the same digits reads.
                    let hint = match integer.radix() {
                        10 => format!(" (`{}.0`)", integer.as_str()),
                        _ => String::new(),
                    };
                    let message =
                        format!("{context}: `{key}` is an integer past TOML's 64-bit range; write it as a float{hint}");
                    self.report(Diagnostic::new(Code::InvalidValue, message).at(Some(span)));
                    return None;
                }
            },
            DeValue::Float(float) => float.as_str().parse::<f64>().ok(),
            _ => {
                self.wrong_type(context, key, "a number", span);
                return None;
            }
        };
        match number {
            Some(number) if number.is_finite() => Some(number),
            _ => {
                self.report(
                    Diagnostic::new(Code::NonFiniteNumber, format!("{context}: `{key}` must be a finite number"))
                        .at(Some(span)),
                );
                None
            }
        }
    }

    /// A list of numbers. Unreadable items are reported and kept as NaN, so that the list keeps
    /// its length and later checks see that it is unusable.
    pub fn numbers(&mut self, table: &mut Table<'_, '_>, key: &'static str) -> Option<Vec<f64>> {
        let value = table.get(key)?;
        let Some(array) = value.get_ref().as_array() else {
            self.wrong_type(&table.context, key, "a list of numbers", span_of(value));
            return None;
        };
        Some(array.iter().map(|item| self.number_value(item, &table.context, key).unwrap_or(f64::NAN)).collect())
    }

    /// A sub-table under `key`.
    pub fn table_value<'t, 'i>(
        &mut self,
        root: &mut Table<'t, 'i>,
        key: &'static str,
    ) -> Option<(&'t DeTable<'i>, Span)> {
        let value = root.get(key)?;
        match value.get_ref().as_table() {
            Some(table) => Some((table, span_of(value))),
            None => {
                self.wrong_type("the file", key, &format!("a table: [{key}]"), span_of(value));
                None
            }
        }
    }

    /// The tables of an array of tables under `key`.
    pub fn array_of_tables<'t, 'i>(
        &mut self,
        root: &mut Table<'t, 'i>,
        key: &'static str,
    ) -> Vec<(&'t DeTable<'i>, Span)> {
        let Some(value) = root.get(key) else {
            return Vec::new();
        };
        let expected = format!("a list of tables: [[{key}]]");
        let Some(array) = value.get_ref().as_array() else {
            self.wrong_type("the file", key, &expected, span_of(value));
            return Vec::new();
        };
        let mut tables = Vec::new();
        for item in array.iter() {
            match item.get_ref().as_table() {
                Some(table) => tables.push((table, span_of(item))),
                None => self.wrong_type("the file", key, &expected, span_of(item)),
            }
        }
        tables
    }

    /// Reports a value of the wrong type.
    pub fn wrong_type(&mut self, context: &str, key: &str, expected: &str, span: Span) {
        self.report(
            Diagnostic::new(Code::InvalidValue, format!("{context}: `{key}` must be {expected}")).at(Some(span)),
        );
    }

    /// Reports every key of `table` that is neither used nor in `allowed`, with a suggestion
    /// from `allowed`.
    pub fn unknown_keys(&mut self, table: &Table<'_, '_>, allowed: &[&str]) {
        for (key, _) in table.table.iter() {
            let key_text = key.get_ref().as_ref();
            if table.used.contains(&key_text) || allowed.contains(&key_text) {
                continue;
            }
            let mut diagnostic =
                Diagnostic::new(Code::UnknownKey, format!("{}: unknown key `{key_text}`", table.context))
                    .at(Some(span_of(key)));
            diagnostic = match closest_match(key_text, allowed.iter().copied()) {
                Some(suggestion) => diagnostic.with_help(format!("did you mean `{suggestion}`?")),
                None => diagnostic.with_help(format!("expected one of: {}", allowed.join(", "))),
            };
            self.report(diagnostic);
        }
    }

    /// If the string value at `span` holds `decoded` verbatim, the file offset of its first byte.
    pub fn verbatim_offset(&self, span: Span, decoded: &str) -> Option<usize> {
        let raw = self.text.get(span.start()..span.end())?;
        let delimiter =
            ["\"\"\"", "'''", "\"", "'"].into_iter().find(|d| raw.starts_with(d) && raw.len() >= 2 * d.len())?;
        let mut start = span.start() + delimiter.len();
        let inner = &raw[delimiter.len()..raw.len() - delimiter.len()];
        // A newline right after an opening triple quote is not part of the string.
        let inner = if delimiter.len() == 3 {
            let trimmed = inner.strip_prefix("\r\n").or_else(|| inner.strip_prefix('\n')).unwrap_or(inner);
            start += inner.len() - trimmed.len();
            trimmed
        } else {
            inner
        };
        (inner == decoded).then_some(start)
    }
}
