//! Diagnostics: what is wrong with a model, where, and with a stable code.
//!
//! Spans are byte ranges in the model file, so the command line can print the line, a caret under
//! the span, and the hint. Tests match on [`Code`], never on wording.

use std::fmt;

use crate::syntax::Span;

/// How bad a diagnostic is.
#[derive(Clone, Copy, PartialEq, Eq, Debug, PartialOrd, Ord)]
pub enum Severity {
    /// The model still runs, but probably not as intended.
    Warning,
    /// The model cannot run.
    Error,
}

/// Declares [`Code`] from one list, so that the enum, [`Code::ALL`] and [`Code::as_str`] cannot
/// disagree: a code added to the list is in all three, and one left out of it does not exist.
macro_rules! codes {
    ($($(#[doc = $doc:literal])* $variant:ident = $text:literal,)*) => {
        /// Stable diagnostic codes. The number never changes meaning; new codes get new numbers.
        ///
        /// Ranges: E00xx file structure, E01xx equations, E02xx model structure, E03xx simulation
        /// specs, E04xx graphical functions, E05xx unsupported features, E06xx experiments, E07xx
        /// the Vensim `.mdl` reader, Wxxxx warnings.
        #[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
        #[non_exhaustive]
        pub enum Code {
            $($(#[doc = $doc])* $variant,)*
        }

        impl Code {
            /// Every code, in the order they are declared.
            pub const ALL: &[Code] = &[$(Code::$variant,)*];

            /// The code as printed: `E` for errors, `W` for warnings, then four digits.
            pub fn as_str(self) -> &'static str {
                match self {
                    $(Code::$variant => $text,)*
                }
            }
        }
    };
}

codes! {
    /// The file is not well-formed (TOML or XML syntax).
    FileSyntax = "E0001",
    /// A key the format does not know.
    UnknownKey = "E0002",
    /// A key holds the wrong kind of value.
    InvalidValue = "E0003",
    /// A required key is missing.
    MissingKey = "E0004",
    /// Two variables have the same name (after folding case and spaces).
    DuplicateName = "E0005",
    /// A variable name that cannot be written in an equation.
    InvalidName = "E0006",
    /// An equation does not parse.
    EquationSyntax = "E0101",
    /// An equation names a variable that does not exist.
    UnknownName = "E0102",
    /// An equation calls a function that does not exist.
    UnknownFunction = "E0103",
    /// A function is called with the wrong number of arguments.
    WrongArity = "E0104",
    /// An argument is of the wrong kind (not a graphical function, not a constant, ...).
    InvalidArgument = "E0105",
    /// Variables depend on each other instantaneously, in a cycle.
    AlgebraicLoop = "E0201",
    /// Initial values depend on each other in a cycle.
    InitialValueLoop = "E0202",
    /// A stock has no initial value.
    MissingInitialValue = "E0203",
    /// A flow or auxiliary has no equation.
    MissingEquation = "E0206",
    /// A stock lists an inflow or outflow that is not a flow.
    NotAFlow = "E0204",
    /// dt is zero, negative or not finite.
    InvalidTimeStep = "E0301",
    /// The stop time is not after the start time.
    InvalidTimeRange = "E0302",
    /// A number that is not finite.
    NonFiniteNumber = "E0303",
    /// The save step is not a positive multiple of dt.
    InvalidSaveStep = "E0304",
    /// A graphical function's points are inconsistent.
    InvalidGraphicalFunction = "E0401",
    /// An integration method the simulator does not know.
    UnknownMethod = "E0305",
    /// A precision the simulator does not know (double or single).
    UnknownPrecision = "E0306",
    /// A constant lies outside the range documented for it.
    OutOfDocumentedRange = "W0001",
    /// A model feature that is valid but not supported.
    Unsupported = "E0501",
    /// An experiment varies or sets a model variable that is computed, not a constant.
    NotAConstant = "E0601",
    /// A distribution's parameters are impossible.
    InvalidDistribution = "E0602",
    /// An experiment gives one constant two roles or two values.
    ConflictingSettings = "E0603",
    /// An outcome cannot be measured (its time is outside the run, say).
    InvalidOutcome = "E0604",
    /// A lever value outside the lever's range.
    OutsideLeverRange = "E0605",
    /// A Sobol sample whose size is not a power of two loses its balance.
    UnbalancedSample = "W0002",
    /// An intervention that starts after the run has ended changes nothing.
    StartsAfterRun = "W0003",
    /// An array of a Vensim model, defined element by element, leaves some elements without an
    /// equation: as in Vensim they are not computed or output, and reading one is an error
    /// (E0206).
    UndefinedElements = "W0004",
    /// Units disagree: operands of `+`, `-`, a comparison or MIN/MAX in different units, an
    /// equation whose units differ from its variable's, a flow not in its stock's units per time
    /// unit, a function argument in the wrong units.
    UnitMismatch = "W0005",
    /// A unit expression or unit definition cannot be read, so the units it gives are not checked.
    UnitSyntax = "W0006",
    /// A Vensim `.mdl` definition does not have the form `name = expression ~ units ~ doc |`,
    /// or its equation does not parse.
    MdlSyntax = "E0701",
    /// A Vensim function fulcrum does not support yet.
    MdlUnsupportedFunction = "E0702",
    /// A Vensim construct fulcrum does not support yet (data variables, some mappings, ...).
    MdlUnsupportedFeature = "E0703",
    /// A subscript range or element is undefined or defined inconsistently.
    MdlSubscript = "E0704",
    /// A lookup table is malformed.
    MdlLookup = "E0705",
    /// A macro is malformed, unknown, or calls itself.
    MdlMacro = "E0706",
    /// A time setting (INITIAL TIME, FINAL TIME, TIME STEP, SAVEPER) is missing or not a number.
    MdlTimeSetting = "E0707",
    /// A data file that a Vensim GET function names cannot be read, or lacks the sheet or cells.
    MdlData = "E0708",
}

impl Code {
    /// Errors stop the model from running; warnings do not.
    pub fn severity(self) -> Severity {
        match self {
            Code::OutOfDocumentedRange
            | Code::UnbalancedSample
            | Code::StartsAfterRun
            | Code::UndefinedElements
            | Code::UnitMismatch
            | Code::UnitSyntax => Severity::Warning,
            _ => Severity::Error,
        }
    }
}

impl fmt::Display for Code {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One finding about a model.
#[derive(Clone, PartialEq, Debug)]
pub struct Diagnostic {
    /// Stable code; its severity is [`Code::severity`].
    pub code: Code,
    /// One sentence saying what is wrong.
    pub message: String,
    /// Where in the file, when known.
    pub span: Option<Span>,
    /// What to write under the caret, if anything more specific than the message.
    pub label: Option<String>,
    /// The variable concerned, as written in the model.
    pub variable: Option<String>,
    /// A suggestion for fixing it.
    pub help: Option<String>,
    /// Other places that explain it, each with a short note ("first defined here").
    pub related: Vec<(Span, String)>,
}

impl Diagnostic {
    /// A diagnostic with a code and message and nothing else yet.
    pub fn new(code: Code, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            code,
            message: message.into(),
            span: None,
            label: None,
            variable: None,
            help: None,
            related: Vec::new(),
        }
    }

    /// Sets where in the file it is.
    pub fn at(mut self, span: Option<Span>) -> Diagnostic {
        self.span = span;
        self
    }

    /// Sets the text shown under the caret.
    pub fn labelled(mut self, label: impl Into<String>) -> Diagnostic {
        self.label = Some(label.into());
        self
    }

    /// Sets the variable it concerns.
    pub fn on_variable(mut self, variable: impl Into<String>) -> Diagnostic {
        self.variable = Some(variable.into());
        self
    }

    /// Sets a hint.
    pub fn with_help(mut self, help: impl Into<String>) -> Diagnostic {
        self.help = Some(help.into());
        self
    }

    /// Adds another place that explains it.
    pub fn with_related(mut self, span: Option<Span>, note: impl Into<String>) -> Diagnostic {
        if let Some(span) = span {
            self.related.push((span, note.into()));
        }
        self
    }

    /// Errors stop the model from running.
    pub fn severity(&self) -> Severity {
        self.code.severity()
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.code, self.message)
    }
}

/// All the diagnostics of one model file, in file order.
#[derive(Clone, PartialEq, Debug, Default, thiserror::Error)]
#[error("{} error(s) in the model", self.error_count())]
pub struct Diagnostics(pub Vec<Diagnostic>);

impl Diagnostics {
    /// Number of errors (not warnings).
    pub fn error_count(&self) -> usize {
        self.0.iter().filter(|d| d.severity() == Severity::Error).count()
    }

    /// Are there any errors?
    pub fn has_errors(&self) -> bool {
        self.error_count() > 0
    }

    /// Adds one.
    pub fn push(&mut self, diagnostic: Diagnostic) {
        self.0.push(diagnostic);
    }

    /// Combines what a file's reader found with what the resolver found. Where the reader has
    /// already reported an error in a variable, the resolver's findings that merely follow from it
    /// (a missing or unreadable value, a broken table, anything inside the text the reader
    /// flagged, such as a macro call it could not expand) are dropped.
    pub fn merge(reader: Diagnostics, resolver: Diagnostics) -> Diagnostics {
        let flagged: Vec<(&str, Option<Span>)> = reader
            .0
            .iter()
            .filter(|d| d.severity() == Severity::Error)
            .filter_map(|d| Some((d.variable.as_deref()?, d.span)))
            .collect();
        let follows_from_reader = |d: &Diagnostic| {
            let Some(variable) = d.variable.as_deref() else { return false };
            let mut reader_errors = flagged.iter().filter(|(v, _)| *v == variable).map(|(_, span)| span);
            match d.code {
                Code::InvalidValue
                | Code::MissingInitialValue
                | Code::MissingEquation
                | Code::InvalidGraphicalFunction => reader_errors.next().is_some(),
                _ => reader_errors.any(|outer| match (outer, d.span) {
                    (Some(outer), Some(inner)) => outer.start <= inner.start && inner.end <= outer.end,
                    _ => false,
                }),
            }
        };
        let kept: Vec<Diagnostic> = resolver.0.into_iter().filter(|d| !follows_from_reader(d)).collect();
        let mut merged = reader;
        merged.0.extend(kept);
        merged.sort();
        merged
    }

    /// Sorts by position in the file (diagnostics without a position last), keeping the order
    /// of equal positions.
    pub fn sort(&mut self) {
        self.0.sort_by_key(|d| d.span.map_or((u32::MAX, u32::MAX), |s| (s.start, s.end)));
    }
}

/// Converts byte offsets to 1-based line and column numbers (columns count characters).
#[derive(Clone, Debug)]
pub struct LineIndex {
    line_starts: Vec<usize>,
}

impl LineIndex {
    /// Indexes `text`.
    pub fn new(text: &str) -> LineIndex {
        let mut line_starts = vec![0];
        line_starts.extend(text.match_indices('\n').map(|(index, _)| index + 1));
        LineIndex { line_starts }
    }

    /// The line and column of `offset` in `text` (which must be the text indexed).
    pub fn line_col(&self, text: &str, offset: usize) -> (usize, usize) {
        let line = self.line_starts.partition_point(|&start| start <= offset).saturating_sub(1);
        let line_start = self.line_starts.get(line).copied().unwrap_or(0);
        let column = text.get(line_start..offset.min(text.len())).map_or(0, |prefix| prefix.chars().count());
        (line + 1, column + 1)
    }
}

/// The closest of `candidates` to `wanted`, if it is close enough to be a likely typo.
pub fn closest_match<'a>(wanted: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (wanted.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|candidate| (edit_distance(wanted, candidate), candidate))
        .filter(|(distance, _)| *distance <= limit)
        .min_by_key(|(distance, _)| *distance)
        .map(|(_, candidate)| candidate)
}

/// Levenshtein distance over characters. Small enough to write here rather than take a crate.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, ca) in a.chars().enumerate() {
        current[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitution = previous[j] + usize::from(ca != *cb);
            current[j + 1] = substitution.min(previous[j + 1] + 1).min(current[j] + 1);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_and_column_are_one_based() {
        let text = "ab\ncdé\nf";
        let index = LineIndex::new(text);
        assert_eq!(index.line_col(text, 0), (1, 1));
        assert_eq!(index.line_col(text, 2), (1, 3));
        assert_eq!(index.line_col(text, 3), (2, 1));
        assert_eq!(index.line_col(text, 8), (3, 1));
        assert_eq!(index.line_col(text, 99), (3, 2));
    }

    #[test]
    fn suggests_near_names_only() {
        let names = ["hiring_rate", "attrition", "staff"];
        assert_eq!(closest_match("hireing_rate", names), Some("hiring_rate"));
        assert_eq!(closest_match("stuff", names), Some("staff"));
        assert_eq!(closest_match("revenue", names), None);
    }

    #[test]
    fn codes_are_unique() {
        // `Code::ALL` is declared by the same list as the enum, so every code is here.
        let mut seen = std::collections::HashMap::new();
        for &code in Code::ALL {
            if let Some(other) = seen.insert(code.as_str(), code) {
                panic!("{code:?} and {other:?} are both {}", code.as_str());
            }
        }
        let variants: std::collections::HashSet<Code> = Code::ALL.iter().copied().collect();
        assert_eq!(variants.len(), Code::ALL.len(), "a code is listed twice");
    }

    #[test]
    fn codes_are_a_letter_for_the_severity_and_four_digits() {
        for &code in Code::ALL {
            let text = code.as_str();
            let (letter, digits) = text.split_at(1);
            let expected = match code.severity() {
                Severity::Error => "E",
                Severity::Warning => "W",
            };
            assert_eq!(letter, expected, "{code:?} is {text}");
            assert!(digits.len() == 4 && digits.chars().all(|c| c.is_ascii_digit()), "{code:?} is {text}");
        }
    }
}
