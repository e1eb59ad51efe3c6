//! Variable names: as written, and canonical.
//!
//! XMILE (section 3.2.2.2) makes names case-insensitive and treats space, non-breaking space,
//! newline and underscore as one and the same whitespace, with runs of them folded into one. So
//! `Birth_Rate`, `"birth rate"` and `BIRTH__RATE` all name one variable. Every name is
//! canonicalised exactly once, where it enters the model, and compared only in canonical form.

use std::fmt;

/// A name in canonical form: lower case, whitespace runs folded into a single `_`, trimmed.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Debug)]
pub struct CanonicalName(String);

impl CanonicalName {
    /// Canonicalises a name as written in a model (without surrounding quotes).
    pub fn new(written: &str) -> CanonicalName {
        let mut canonical = String::with_capacity(written.len());
        let mut pending_space = false;
        let mut chars = written.chars().peekable();
        while let Some(c) = chars.next() {
            // Exported files often spell a line break inside a name as the two characters `\n`.
            let is_escaped_newline = c == '\\' && chars.peek() == Some(&'n');
            if is_escaped_newline {
                chars.next();
            }
            if is_escaped_newline || is_name_whitespace(c) {
                pending_space = !canonical.is_empty();
                continue;
            }
            if pending_space {
                canonical.push('_');
                pending_space = false;
            }
            canonical.extend(c.to_lowercase());
        }
        // In a subscripted name, spacing around brackets and commas does not matter:
        // `Sales[North, Pizza]` is `sales[north,pizza]`.
        if canonical.contains(['[', ']', ',']) {
            let chars: Vec<char> = canonical.chars().collect();
            let separator = |c: Option<&char>| matches!(c, Some('[' | ']' | ','));
            canonical = chars
                .iter()
                .enumerate()
                .filter(|&(i, &c)| c != '_' || !(separator(chars.get(i + 1)) || i > 0 && separator(chars.get(i - 1))))
                .map(|(_, &c)| c)
                .collect();
        }
        CanonicalName(canonical)
    }

    /// The canonical name of one element of an array: `base[e1,e2]`.
    pub fn of_element<'a>(
        base: &CanonicalName,
        elements: impl IntoIterator<Item = &'a CanonicalName>,
    ) -> CanonicalName {
        let elements: Vec<&str> = elements.into_iter().map(CanonicalName::as_str).collect();
        CanonicalName(format!("{}[{}]", base.0, elements.join(",")))
    }

    /// The canonical text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CanonicalName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Whitespace inside a name: XMILE's list, plus the other control characters it says may be read
/// as spaces.
fn is_name_whitespace(c: char) -> bool {
    c == ' ' || c == '_' || c == '\u{a0}' || c.is_control()
}

/// Does `written` need quotes to be used in an equation?
///
/// Unquoted identifiers are letters, digits, `_`, `$` and non-ASCII characters, not starting with a
/// digit or `$`; everything else (spaces included) needs quotes.
pub fn needs_quotes(written: &str) -> bool {
    // Exactly what the lexer reads as one identifier.
    let mut chars = written.chars();
    let Some(first) = chars.next() else {
        return true;
    };
    !crate::syntax::is_ident_start(first)
        || !chars.all(crate::syntax::is_ident_continue)
        || crate::syntax::is_keyword(written)
}

/// How to write `written` in an equation: as is, with underscores for spaces, or quoted.
pub fn equation_form(written: &str) -> String {
    let underscored: String =
        written.split([' ', '\u{a0}']).filter(|part| !part.is_empty()).collect::<Vec<_>>().join("_");
    if !needs_quotes(&underscored) {
        return underscored;
    }
    let mut quoted = String::with_capacity(written.len() + 2);
    quoted.push('"');
    for c in written.chars() {
        match c {
            '"' => quoted.push_str("\\\""),
            '\\' => quoted.push_str("\\\\"),
            '\n' => quoted.push_str("\\n"),
            _ => quoted.push(c),
        }
    }
    quoted.push('"');
    quoted
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folds_case_and_whitespace() {
        let expected = CanonicalName::new("birth_rate");
        for written in ["Birth Rate", "BIRTH__RATE", " birth rate ", "Birth\u{a0}Rate", "Birth\\nRate", "birth\nrate"] {
            assert_eq!(CanonicalName::new(written), expected, "{written:?}");
        }
        assert_ne!(CanonicalName::new("birthrate"), expected);
    }

    #[test]
    fn spacing_inside_subscripts_does_not_matter() {
        let expected = CanonicalName::new("Inflow A[Entry 1,Column 1]");
        assert_eq!(expected.as_str(), "inflow_a[entry_1,column_1]");
        assert_eq!(CanonicalName::new("inflow_a[ Entry_1 , Column 1 ]"), expected);
        let parts = [CanonicalName::new("Entry 1"), CanonicalName::new("Column 1")];
        assert_eq!(CanonicalName::of_element(&CanonicalName::new("Inflow A"), &parts), expected);
    }

    #[test]
    fn unicode_names_fold_case() {
        assert_eq!(CanonicalName::new("Ärger Index"), CanonicalName::new("ärger_index"));
    }

    #[test]
    fn equation_form_quotes_only_when_needed() {
        assert_eq!(equation_form("Birth Rate"), "Birth_Rate");
        assert_eq!(equation_form("stock"), "stock");
        assert_eq!(equation_form("2nd stock"), "\"2nd stock\"");
        assert_eq!(equation_form("a-b"), "\"a-b\"");
        assert_eq!(equation_form("if"), "\"if\"");
        assert_eq!(equation_form("say \"hi\""), "\"say \\\"hi\\\"\"");
        // A space other than the two that become underscores is not part of a bare name.
        assert_eq!(equation_form("a\u{2000}b"), "\"a\u{2000}b\"");
    }
}
