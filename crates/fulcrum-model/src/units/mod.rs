//! Units of measure: reading unit expressions, the unit names that mean the same, and checking
//! that every equation's units agree ([`check`]).
//!
//! A unit expression is written the same way in XMILE (`<units>`, section 3.3.6), in a Vensim
//! `.mdl` (`~ units ~`, before any `[min, max]` range) and in the native format (`units = "..."`):
//! names multiplied with `*`, divided with `/`, raised to a whole or fractional power with `^`,
//! grouped with parentheses, and `1` (or `Dmnl`, `Dimensionless`, `Unitless`) for no units. A name
//! may hold spaces (`Veg equiv kg`). [`Unit`] is the expression reduced to each base unit's
//! exponent, so `people/month` and `1/month*people` are the same unit.
//!
//! Names are compared after [`UnitTable::canonical`]: case and spacing folded, the model's own
//! definitions and aliases (XMILE `<model_units>`, the native `[[unit]]` tables), the common time
//! units with their abbreviations (`yr`, `mo`, `wk`, ...), and plural folded into singular
//! (`people` is `person`, `months` is `month`). Different time units are different units: there
//! is no conversion between a month and a year, so a rate per year into a stock of a model that
//! counts months is a mismatch.
//!
//! ```
//! use fulcrum_model::units::{Unit, UnitTable};
//! let table = UnitTable::default();
//! let rate = table.parse("People/Months").unwrap();
//! let same = table.parse("person * month^-1").unwrap();
//! assert_eq!(rate, same);
//! assert_eq!(rate.to_string(), "person/month");
//! assert!(table.parse("Dmnl").unwrap().is_dimensionless());
//! ```

mod check;

use std::collections::{BTreeMap, HashMap};
use std::fmt;

use crate::syntax::Span;

pub use check::check;

/// A unit the model defines (XMILE `<model_units>`, a native `[[unit]]` table).
#[derive(Clone, Debug, PartialEq)]
pub struct UnitDefinition {
    /// The unit's name as written.
    pub name: String,
    /// What it equals, as a unit expression (`models/year`); `None` for a base unit.
    pub equation: Option<String>,
    /// Other names for the same unit.
    pub aliases: Vec<String>,
    /// A disabled definition is kept in the file but not used (XMILE 3.3.6).
    pub disabled: bool,
    /// Where it is defined.
    pub span: Option<Span>,
}

impl UnitDefinition {
    /// A base unit with this name and no aliases.
    pub fn new(name: impl Into<String>) -> UnitDefinition {
        UnitDefinition { name: name.into(), equation: None, aliases: Vec::new(), disabled: false, span: None }
    }
}

/// An exponent: a fraction in lowest terms with a positive denominator.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, PartialOrd, Ord)]
pub struct Exponent {
    numerator: i64,
    denominator: i64,
}

impl Exponent {
    /// The exponent `numerator / denominator`; `None` when the denominator is zero or the
    /// numbers are too large to keep exactly.
    pub fn new(numerator: i64, denominator: i64) -> Option<Exponent> {
        if denominator == 0 || numerator.unsigned_abs() > 1 << 20 || denominator.unsigned_abs() > 1 << 20 {
            return None;
        }
        let divisor = gcd(numerator.unsigned_abs(), denominator.unsigned_abs()).max(1) as i64;
        let sign = if denominator < 0 { -1 } else { 1 };
        Some(Exponent { numerator: sign * numerator / divisor, denominator: sign * denominator / divisor })
    }

    /// A whole exponent.
    pub fn whole(value: i64) -> Exponent {
        Exponent { numerator: value, denominator: 1 }
    }

    /// The exponent closest to `value` with a denominator up to 12, if `value` is one of them.
    pub fn of_number(value: f64) -> Option<Exponent> {
        if !value.is_finite() || value.abs() > 1e6 {
            return None;
        }
        (1..=12).find_map(|denominator: i64| {
            let numerator = (value * denominator as f64).round();
            ((numerator / denominator as f64 - value).abs() < 1e-9)
                .then(|| Exponent::new(numerator as i64, denominator))
                .flatten()
        })
    }

    fn is_zero(self) -> bool {
        self.numerator == 0
    }

    fn add(self, other: Exponent) -> Option<Exponent> {
        Exponent::new(
            self.numerator
                .checked_mul(other.denominator)?
                .checked_add(other.numerator.checked_mul(self.denominator)?)?,
            self.denominator.checked_mul(other.denominator)?,
        )
    }

    fn mul(self, other: Exponent) -> Option<Exponent> {
        Exponent::new(self.numerator.checked_mul(other.numerator)?, self.denominator.checked_mul(other.denominator)?)
    }
}

fn gcd(a: u64, b: u64) -> u64 {
    if b == 0 { a } else { gcd(b, a % b) }
}

impl fmt::Display for Exponent {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.denominator == 1 {
            write!(f, "{}", self.numerator)
        } else {
            write!(f, "({}/{})", self.numerator, self.denominator)
        }
    }
}

/// A unit reduced to its base units, each with a non-zero exponent. The empty unit is
/// dimensionless.
#[derive(Clone, PartialEq, Eq, Hash, Debug, Default)]
pub struct Unit {
    factors: BTreeMap<String, Exponent>,
}

impl Unit {
    /// No units.
    pub fn dimensionless() -> Unit {
        Unit::default()
    }

    /// One base unit (canonical name), to the first power.
    pub fn base(name: impl Into<String>) -> Unit {
        let mut factors = BTreeMap::new();
        factors.insert(name.into(), Exponent::whole(1));
        Unit { factors }
    }

    /// Whether it has no units.
    pub fn is_dimensionless(&self) -> bool {
        self.factors.is_empty()
    }

    /// The product of two units; `None` if an exponent grows too large to keep.
    pub fn times(&self, other: &Unit) -> Option<Unit> {
        let mut factors = self.factors.clone();
        for (name, exponent) in &other.factors {
            let sum = match factors.get(name) {
                Some(existing) => existing.add(*exponent)?,
                None => *exponent,
            };
            if sum.is_zero() {
                factors.remove(name);
            } else {
                factors.insert(name.clone(), sum);
            }
        }
        Some(Unit { factors })
    }

    /// This unit to a power; `None` if an exponent grows too large to keep.
    pub fn power(&self, exponent: Exponent) -> Option<Unit> {
        if exponent.is_zero() {
            return Some(Unit::dimensionless());
        }
        let factors = self
            .factors
            .iter()
            .map(|(name, own)| Some((name.clone(), own.mul(exponent)?)))
            .collect::<Option<BTreeMap<_, _>>>()?;
        Some(Unit { factors })
    }

    /// The quotient of two units.
    pub fn divided_by(&self, other: &Unit) -> Option<Unit> {
        self.times(&other.power(Exponent::whole(-1))?)
    }
}

impl fmt::Display for Unit {
    /// Positive powers first, joined by `*`, then `/` and the negative powers: `person/month`,
    /// `dollar/(person*year)`, `1/year`, and `1` for a dimensionless unit.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let written = |name: &str, exponent: Exponent| {
            let name = name.replace('_', " ");
            if exponent == Exponent::whole(1) { name } else { format!("{name}^{exponent}") }
        };
        let numerator: Vec<String> = self
            .factors
            .iter()
            .filter(|(_, exponent)| exponent.numerator > 0)
            .map(|(name, exponent)| written(name, *exponent))
            .collect();
        let denominator: Vec<String> = self
            .factors
            .iter()
            .filter(|(_, exponent)| exponent.numerator < 0)
            .map(|(name, exponent)| written(name, Exponent { numerator: -exponent.numerator, ..*exponent }))
            .collect();
        let numerator = if numerator.is_empty() { "1".to_owned() } else { numerator.join("*") };
        match denominator.len() {
            0 => f.write_str(&numerator),
            1 => write!(f, "{numerator}/{}", denominator[0]),
            _ => write!(f, "{numerator}/({})", denominator.join("*")),
        }
    }
}

/// Why a unit expression could not be read.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnitSyntaxError {
    /// What is wrong, in words.
    pub message: String,
}

impl fmt::Display for UnitSyntaxError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

/// Names that mean no units at all.
const DIMENSIONLESS: [&str; 7] =
    ["1", "dmnl", "dimensionless", "unitless", "nondimensional", "dimensionless unit", "fraction"];

/// The common units of time (XMILE 3.3.6's recommended definitions) and other names that are
/// only spellings of another: each canonical name with the names it also goes by.
const SPELLINGS: [(&str, &[&str]); 10] = [
    ("nanosecond", &["ns", "nanoseconds"]),
    ("microsecond", &["us", "microseconds"]),
    ("millisecond", &["ms", "milliseconds"]),
    ("second", &["s", "sec", "secs", "seconds"]),
    ("minute", &["min", "mins", "minutes"]),
    ("hour", &["hr", "hrs", "hours"]),
    ("day", &["days"]),
    ("week", &["wk", "wks", "weeks"]),
    ("month", &["mo", "mos", "months"]),
    ("quarter", &["qtr", "qtrs", "quarters"]),
];

/// More spellings: years, and the irregular plurals models use most.
const MORE_SPELLINGS: [(&str, &[&str]); 5] = [
    ("year", &["yr", "yrs", "years", "annum"]),
    ("person", &["people", "persons"]),
    ("child", &["children"]),
    ("dollar", &["$", "usd", "dollars"]),
    ("degree", &["deg", "degs", "degrees"]),
];

/// `per_X` (XMILE 3.3.6) is `1/X` for each unit of time.
const PER: [&str; 7] = ["second", "minute", "hour", "day", "week", "month", "year"];

/// What unit names mean: the built-in spellings plus a model's own definitions.
#[derive(Clone, Debug, Default)]
pub struct UnitTable {
    /// Canonical name → the unit it stands for, from the model's definitions.
    defined: HashMap<String, Unit>,
    /// The model's time unit, which the name `time` stands for (as Stella's models write
    /// `person/time`).
    pub(super) time: Option<Unit>,
}

impl UnitTable {
    /// The table for a model's unit definitions. Definitions that refer to each other are
    /// expanded; a definition that does not parse or that is circular is left out and
    /// returned with the reason.
    pub fn new(definitions: &[UnitDefinition]) -> (UnitTable, Vec<(usize, UnitSyntaxError)>) {
        let mut problems = Vec::new();
        let mut table = UnitTable::default();
        // Aliases first, so that an equation may use any name of a unit.
        let mut pending: Vec<(usize, String, Option<&str>)> = Vec::new();
        for (index, definition) in definitions.iter().enumerate().filter(|(_, d)| !d.disabled) {
            let name = fold(&definition.name);
            if name.is_empty() {
                continue;
            }
            pending.push((index, name.clone(), definition.equation.as_deref().filter(|e| !e.trim().is_empty())));
            for alias in &definition.aliases {
                let alias = fold(alias);
                if !alias.is_empty() && alias != name {
                    pending.push((index, alias, Some(definition.name.as_str())));
                }
            }
        }
        // Base units and aliases of base units need nothing else; each round then expands the
        // definitions whose equations use only names already known. A round that expands
        // nothing leaves the rest circular.
        let mut remaining = pending;
        loop {
            let before = remaining.len();
            let unresolved: std::collections::HashSet<String> =
                remaining.iter().map(|(_, name, _)| name.clone()).collect();
            let mut next = Vec::new();
            for (index, name, equation) in remaining {
                let Some(equation) = equation else {
                    table.defined.insert(name.clone(), Unit::base(singular(&name)));
                    continue;
                };
                // A definition's own name in its equation is a cycle only through other definitions.
                let waiting = |other: &str| other != name && unresolved.contains(other);
                match table.parse_checked(equation, &waiting) {
                    Ok(Some(unit)) => {
                        table.defined.insert(name, unit);
                    }
                    Ok(None) => next.push((index, name, Some(equation))),
                    Err(error) => problems.push((index, error)),
                }
            }
            if next.is_empty() {
                break;
            }
            if next.len() == before {
                for (index, name, _) in next {
                    let message = format!("the unit `{name}` is defined in terms of itself");
                    problems.push((index, UnitSyntaxError { message }));
                }
                break;
            }
            remaining = next;
        }
        (table, problems)
    }

    /// The canonical base unit, or the unit a definition or spelling stands for, of a name.
    fn name(&self, written: &str) -> Unit {
        let folded = fold(written);
        if let Some(unit) = self.defined.get(&folded) {
            return unit.clone();
        }
        if DIMENSIONLESS.contains(&folded.as_str()) {
            return Unit::dimensionless();
        }
        if folded == "time"
            && let Some(time) = &self.time
        {
            return time.clone();
        }
        if let Some(rest) = folded.strip_prefix("per ")
            && let Some(time) = PER.iter().find(|time| spelling(rest) == **time)
        {
            return Unit::base(*time).power(Exponent::whole(-1)).unwrap_or_default();
        }
        let canonical = spelling(&folded);
        if canonical != folded
            && let Some(unit) = self.defined.get(&canonical)
        {
            return unit.clone();
        }
        Unit::base(canonical)
    }

    /// The canonical form of a unit name: folded, spelled as the table spells it.
    pub fn canonical(&self, written: &str) -> String {
        self.name(written).to_string()
    }

    /// Reads a unit expression.
    pub fn parse(&self, text: &str) -> Result<Unit, UnitSyntaxError> {
        self.parse_checked(text, &|_| false).map(|unit| unit.unwrap_or_default())
    }

    /// Reads a unit expression; `Ok(None)` when it names a unit for which `waiting` is true.
    fn parse_checked(&self, text: &str, waiting: &dyn Fn(&str) -> bool) -> Result<Option<Unit>, UnitSyntaxError> {
        let tokens = tokens(text)?;
        if tokens.is_empty() {
            return Err(UnitSyntaxError { message: "the units are empty".to_owned() });
        }
        let mut parser = Parser { tokens: &tokens, position: 0, table: self, waiting, waits: false };
        let unit = parser.product()?;
        if let Some(token) = parser.tokens.get(parser.position) {
            return Err(UnitSyntaxError { message: format!("unexpected {token} in the units `{}`", text.trim()) });
        }
        Ok(if parser.waits { None } else { Some(unit) })
    }
}

/// Case and spacing folded: lower case, runs of spaces and underscores one space, trimmed.
fn fold(written: &str) -> String {
    let lower = written.to_lowercase().replace(['_', '\u{a0}', '\n', '\t', '"'], " ");
    lower.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The name a folded unit name is spelled as: a known spelling, or its singular.
fn spelling(folded: &str) -> String {
    for (canonical, others) in SPELLINGS.iter().chain(&MORE_SPELLINGS) {
        if folded == *canonical || others.contains(&folded) {
            return (*canonical).to_owned();
        }
    }
    singular(folded)
}

/// An English plural made singular, for the last word of a name: `widgets` → `widget`,
/// `batteries` → `battery`, `boxes` → `box`. Short words and words in `ss`/`us`/`is` are left
/// alone, so `gas`, `bus` and `mass` stay as they are.
fn singular(folded: &str) -> String {
    let (head, last) = match folded.rsplit_once(' ') {
        Some((head, last)) => (format!("{head} "), last),
        None => (String::new(), folded),
    };
    let irregular = MORE_SPELLINGS.iter().chain(&SPELLINGS).find(|(_, others)| others.contains(&last));
    let word = if let Some((canonical, _)) = irregular {
        (*canonical).to_owned()
    } else if last.len() <= 3 || !last.ends_with('s') || ["ss", "us", "is"].iter().any(|end| last.ends_with(end)) {
        last.to_owned()
    } else if let Some(stem) = last.strip_suffix("ies") {
        format!("{stem}y")
    } else if ["xes", "ches", "shes", "sses", "zes"].iter().any(|end| last.ends_with(end)) {
        last[..last.len() - 2].to_owned()
    } else {
        last[..last.len() - 1].to_owned()
    };
    format!("{head}{word}")
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    Name(String),
    Number(f64),
    Times,
    Divide,
    Power,
    Minus,
    Open,
    Close,
}

impl fmt::Display for Token {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Token::Name(name) => write!(f, "`{name}`"),
            Token::Number(value) => write!(f, "`{value}`"),
            Token::Times => f.write_str("`*`"),
            Token::Divide => f.write_str("`/`"),
            Token::Power => f.write_str("`^`"),
            Token::Minus => f.write_str("`-`"),
            Token::Open => f.write_str("`(`"),
            Token::Close => f.write_str("`)`"),
        }
    }
}

fn tokens(text: &str) -> Result<Vec<Token>, UnitSyntaxError> {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some(&(start, c)) = chars.peek() {
        let single = match c {
            '*' => Some(Token::Times),
            '/' => Some(Token::Divide),
            '^' => Some(Token::Power),
            '-' => Some(Token::Minus),
            '(' => Some(Token::Open),
            ')' => Some(Token::Close),
            _ => None,
        };
        if let Some(token) = single {
            tokens.push(token);
            chars.next();
            continue;
        }
        if c.is_whitespace() {
            chars.next();
            continue;
        }
        let mut end = start;
        while let Some(&(index, next)) = chars.peek() {
            if matches!(next, '*' | '/' | '^' | '(' | ')') || next == '-' && index == start {
                break;
            }
            end = index + next.len_utf8();
            chars.next();
        }
        let word = text.get(start..end).unwrap_or_default().trim();
        if word.starts_with(|c: char| c.is_ascii_digit() || c == '.') {
            match word.parse::<f64>() {
                Ok(value) => tokens.push(Token::Number(value)),
                // A name that starts with a digit, such as `1000 people`: a scale and a name.
                Err(_) => {
                    let split = word.find(|c: char| !(c.is_ascii_digit() || c == '.')).unwrap_or(word.len());
                    let (number, name) = word.split_at(split);
                    let value = number
                        .parse::<f64>()
                        .map_err(|_| UnitSyntaxError { message: format!("`{word}` is not a unit name") })?;
                    tokens.push(Token::Number(value));
                    tokens.push(Token::Times);
                    tokens.push(Token::Name(name.trim().to_owned()));
                }
            }
        } else {
            tokens.push(Token::Name(word.to_owned()));
        }
    }
    Ok(tokens)
}

struct Parser<'a> {
    tokens: &'a [Token],
    position: usize,
    table: &'a UnitTable,
    waiting: &'a dyn Fn(&str) -> bool,
    waits: bool,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.position)
    }

    fn too_large() -> UnitSyntaxError {
        UnitSyntaxError { message: "an exponent in the units is too large".to_owned() }
    }

    /// `power (('*' | '/') power)*`
    fn product(&mut self) -> Result<Unit, UnitSyntaxError> {
        let mut unit = self.power()?;
        while let Some(token) = self.peek() {
            let divide = match token {
                Token::Times => false,
                Token::Divide => true,
                _ => break,
            };
            self.position += 1;
            let right = self.power()?;
            unit = if divide { unit.divided_by(&right) } else { unit.times(&right) }.ok_or_else(Parser::too_large)?;
        }
        Ok(unit)
    }

    /// `atom ('^' exponent)?`
    fn power(&mut self) -> Result<Unit, UnitSyntaxError> {
        let unit = self.atom()?;
        if self.peek() != Some(&Token::Power) {
            return Ok(unit);
        }
        self.position += 1;
        let exponent = self.exponent()?;
        unit.power(exponent).ok_or_else(Parser::too_large)
    }

    /// `-? number`, or `( -? number (/ number)? )`.
    fn exponent(&mut self) -> Result<Exponent, UnitSyntaxError> {
        let grouped = self.peek() == Some(&Token::Open);
        if grouped {
            self.position += 1;
        }
        let negative = self.peek() == Some(&Token::Minus);
        if negative {
            self.position += 1;
        }
        let mut value = self.number()?;
        if grouped && self.peek() == Some(&Token::Divide) {
            self.position += 1;
            let denominator = self.number()?;
            value /= denominator;
        }
        if grouped {
            self.expect_close()?;
        }
        let value = if negative { -value } else { value };
        Exponent::of_number(value)
            .ok_or_else(|| UnitSyntaxError { message: format!("the exponent {value} is not a simple fraction") })
    }

    fn number(&mut self) -> Result<f64, UnitSyntaxError> {
        match self.peek() {
            Some(Token::Number(value)) => {
                let value = *value;
                self.position += 1;
                Ok(value)
            }
            other => Err(UnitSyntaxError {
                message: format!(
                    "expected a number after `^`, found {}",
                    other.map_or("the end".to_owned(), ToString::to_string)
                ),
            }),
        }
    }

    fn expect_close(&mut self) -> Result<(), UnitSyntaxError> {
        if self.peek() == Some(&Token::Close) {
            self.position += 1;
            Ok(())
        } else {
            Err(UnitSyntaxError { message: "a `(` in the units is not closed".to_owned() })
        }
    }

    /// A name, a number (a scale, which units ignore), or a parenthesised product.
    fn atom(&mut self) -> Result<Unit, UnitSyntaxError> {
        let token = self.peek().cloned();
        self.position += 1;
        match token {
            Some(Token::Name(name)) => {
                let folded = fold(&name);
                if (self.waiting)(&folded) || (self.waiting)(&spelling(&folded)) {
                    self.waits = true;
                }
                Ok(self.table.name(&name))
            }
            Some(Token::Number(_)) => Ok(Unit::dimensionless()),
            Some(Token::Open) => {
                let unit = self.product()?;
                self.expect_close()?;
                Ok(unit)
            }
            other => Err(UnitSyntaxError {
                message: format!(
                    "expected a unit name, found {}",
                    other.map_or("the end".to_owned(), |t| t.to_string())
                ),
            }),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Unit {
        UnitTable::default().parse(text).unwrap()
    }

    #[test]
    fn products_and_quotients_reduce_to_base_units() {
        assert_eq!(parse("Dollars/(Person*Year)"), parse("dollar * people^-1 / yr"));
        assert_eq!(parse("Dollars/(Person*Year)").to_string(), "dollar/(person*year)");
        assert_eq!(parse("widgets/week*week"), parse("Widget"));
        assert_eq!(parse("1/Month").to_string(), "1/month");
        assert_eq!(parse("m^2").to_string(), "m^2");
        assert_eq!(parse("m^(1/2)*m^(1/2)"), parse("m"));
    }

    #[test]
    fn dimensionless_spellings_are_one() {
        for text in ["1", "Dmnl", "dimensionless", "Unitless", "people/people", "1000"] {
            assert!(parse(text).is_dimensionless(), "{text}");
        }
    }

    #[test]
    fn plurals_and_time_spellings_fold() {
        assert_eq!(parse("people"), parse("Person"));
        assert_eq!(parse("Months"), parse("mo"));
        assert_eq!(parse("years"), parse("YR"));
        assert_eq!(parse("batteries"), parse("battery"));
        assert_eq!(parse("boxes"), parse("box"));
        assert_eq!(parse("Veg equiv kg"), parse("veg_equiv_kg"));
        assert_eq!(parse("per month"), parse("1/months"));
        assert_ne!(parse("gas"), parse("ga"));
        assert_ne!(parse("month"), parse("year"));
    }

    #[test]
    fn model_definitions_and_aliases_expand() {
        let definitions = vec![
            UnitDefinition { aliases: vec!["Rabbit".into(), "bunny".into()], ..UnitDefinition::new("Rabbits") },
            UnitDefinition { equation: Some("rabbits/year".into()), ..UnitDefinition::new("rabbit rate") },
            UnitDefinition { equation: Some("bunnies".into()), ..UnitDefinition::new("hare") },
            UnitDefinition { aliases: vec!["J".into()], disabled: true, ..UnitDefinition::new("Joules") },
        ];
        let (table, problems) = UnitTable::new(&definitions);
        assert!(problems.is_empty(), "{problems:?}");
        assert_eq!(table.parse("Rabbit").unwrap(), table.parse("rabbits").unwrap());
        assert_eq!(table.parse("bunny").unwrap(), table.parse("rabbit").unwrap());
        assert_eq!(table.parse("rabbit_rate").unwrap(), table.parse("rabbit/yr").unwrap());
        assert_eq!(table.parse("hare").unwrap(), table.parse("rabbit").unwrap());
        assert_ne!(table.parse("J").unwrap(), table.parse("joule").unwrap());
    }

    #[test]
    fn circular_definitions_are_reported() {
        let definitions = vec![
            UnitDefinition { equation: Some("b*2".into()), ..UnitDefinition::new("a") },
            UnitDefinition { equation: Some("a".into()), ..UnitDefinition::new("b") },
        ];
        let (_, problems) = UnitTable::new(&definitions);
        assert_eq!(problems.len(), 2, "{problems:?}");
    }

    proptest::proptest! {
        /// Units as written in a file are read or refused, never a panic, whatever the text.
        #[test]
        fn any_units_text_is_read_or_refused(text in "[a-z0-9 */^()\\-.$%_]{0,24}") {
            let definitions = vec![UnitDefinition { equation: Some(text.clone()), ..UnitDefinition::new("x") }];
            let (table, _) = UnitTable::new(&definitions);
            let _ = table.parse(&text);
        }

        /// A unit printed and read again is the same unit.
        #[test]
        fn printing_and_reading_a_unit_round_trips(
            factors in proptest::collection::vec((0usize..5, -4i64..=4, 1i64..=3), 0..5)
        ) {
            let names = ["person", "month", "dollar", "widget", "veg equiv kg"];
            let mut unit = Unit::dimensionless();
            for (name, numerator, denominator) in factors {
                let exponent = Exponent::new(numerator, denominator).unwrap();
                unit = unit.times(&Unit::base(names[name]).power(exponent).unwrap()).unwrap();
            }
            let printed = unit.to_string();
            proptest::prop_assert_eq!(UnitTable::default().parse(&printed).unwrap(), unit, "{}", printed);
        }
    }

    #[test]
    fn malformed_units_are_errors() {
        let table = UnitTable::default();
        for text in ["", "(people", "people/", "m^x", "*"] {
            assert!(table.parse(text).is_err(), "{text}");
        }
    }
}
