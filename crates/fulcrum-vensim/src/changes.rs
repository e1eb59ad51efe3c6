//! Vensim changes files (`.cin`): constant and lookup definitions as in a `.mdl`, one per
//! line, where the `~ units ~ documentation |` of a model file may be left out.
//!
//! A definition ends at the end of its line, unless a parenthesis or bracket is still open (a
//! lookup written over several lines), the line ends with `\`, or it ends with `=`, `,` or an
//! operator (the value follows). `~` starts the units and documentation, which run to the next
//! `|`, or to the end of the line when no `|` follows. `{comments}` are whitespace, and a
//! Ctrl-Z ends the file, as old DOS editors wrote it. Each definition is then read by the
//! `.mdl` parser.

use fulcrum_model::changes::{Change, ChangeValue};
use fulcrum_model::syntax::{ExprKind, Span, UnaryOp};
use fulcrum_model::{Code, Diagnostic, Diagnostics};

use crate::parser::{self, Definition, Rhs};

/// Reads the changes a `.cin` text lists, in order, each with the span of its name. `Err`
/// carries every malformed definition.
pub fn read_changes(text: &str) -> Result<Vec<Change>, Diagnostics> {
    let mut diagnostics = Diagnostics::default();
    let mut changes = Vec::new();
    for span in definitions(text) {
        match parser::definition(text, span).and_then(change) {
            Ok(change) => changes.push(change),
            Err(diagnostic) => diagnostics.push(*diagnostic),
        }
    }
    if diagnostics.has_errors() {
        diagnostics.sort();
        return Err(diagnostics);
    }
    Ok(changes)
}

fn error(code: Code, message: impl Into<String>, span: Span, help: &str) -> Box<Diagnostic> {
    Box::new(Diagnostic::new(code, message).at(Some(span)).with_help(help))
}

const FORM: &str = "a changes file holds `name = number`, `name[elements] = n1, n2, ...`, lookups `name((x1,y1),(x2,y2),...)` and string constants `name :IS: 'text'`";

/// A parsed definition as a change.
fn change(definition: Definition) -> Result<Change, Box<Diagnostic>> {
    let (lhs, value) = match definition {
        Definition::Equation { lhs, rhs, rhs_span } => {
            let value = match rhs {
                Rhs::Numbers(rows, _) => ChangeValue::List(rows.into_iter().flatten().collect()),
                Rhs::Expr(expr) => match &expr.kind {
                    ExprKind::Number(value) => ChangeValue::Number(*value),
                    ExprKind::Unary { op: UnaryOp::Negate, operand } => match operand.kind {
                        ExprKind::Number(value) => ChangeValue::Number(-value),
                        _ => return Err(not_a_number(rhs_span)),
                    },
                    _ => return Err(not_a_number(rhs_span)),
                },
                Rhs::WithLookup(..) => return Err(not_a_number(rhs_span)),
            };
            (lhs, value)
        }
        Definition::Lookup { lhs, table } => (lhs, ChangeValue::Table { x: table.x, y: table.y }),
        Definition::Text { lhs, value } => (lhs, ChangeValue::Text(value)),
        Definition::RealityCheck { span: at } => {
            return Err(error(
                Code::MdlUnsupportedFeature,
                "reality checks are not supported in changes files, nor `:IS:` with anything but one 'text'",
                at,
                FORM,
            ));
        }
        Definition::Data { lhs, .. } => {
            return Err(error(Code::MdlSyntax, format!("`{}` is given no value", lhs.name.name), lhs.name.span, FORM));
        }
        Definition::Range { name, .. } | Definition::RangeCopy { name, .. } => {
            return Err(error(
                Code::MdlSyntax,
                format!("`{}` defines a subscript range; a changes file changes values, not ranges", name.name),
                name.span,
                FORM,
            ));
        }
    };
    Ok(Change {
        name: lhs.name.name,
        subscripts: lhs.subscripts.into_iter().map(|s| s.name.trim_end_matches('!').to_owned()).collect(),
        except: lhs
            .except
            .into_iter()
            .map(|list| list.into_iter().map(|s| s.name.trim_end_matches('!').to_owned()).collect())
            .collect(),
        value,
        span: Some(lhs.name.span),
    })
}

fn not_a_number(span: Span) -> Box<Diagnostic> {
    error(
        Code::MdlSyntax,
        "a changes file gives numbers, not equations",
        span,
        "write the value as a number (`name = 2e12`); only constants and lookups can be changed",
    )
}

/// The spans of the definitions in a `.cin` text.
fn definitions(text: &str) -> Vec<Span> {
    // Ctrl-Z marks the end of a DOS text file.
    let end = text.find('\u{1a}').unwrap_or(text.len());
    let bytes = text.as_bytes();
    let mut spans = Vec::new();
    let mut pos = 0;
    while pos < end {
        // Whitespace and comments between definitions.
        match bytes.get(pos) {
            Some(b) if b.is_ascii_whitespace() => {
                pos += 1;
                continue;
            }
            Some(b'{') => {
                pos = text.get(pos..end).and_then(crate::lexer::comment_length).map_or(end, |length| pos + length);
                continue;
            }
            _ => {}
        }
        let start = pos;
        let mut depth = 0usize;
        let mut quoted = false;
        let equation_end = loop {
            let Some(&byte) = bytes.get(pos).filter(|_| pos < end) else { break end };
            match byte {
                b'"' => quoted = !quoted,
                b'{' if !quoted => {
                    pos = text
                        .get(pos..end)
                        .and_then(crate::lexer::comment_length)
                        .map_or(end, |length| pos + length - 1);
                }
                b'(' | b'[' if !quoted => depth += 1,
                b')' | b']' if !quoted => depth = depth.saturating_sub(1),
                b'~' | b'|' if !quoted => break pos,
                b'\n' => {
                    quoted = false;
                    let line = text.get(start..pos).unwrap_or("").trim_end();
                    // A definition never starts with a number or a parenthesis, so a line that
                    // does continues the one before (the next row of a list, the rest of a table).
                    let next = text.get(pos..end).unwrap_or("").trim_start();
                    let continues = depth > 0
                        || line.ends_with(['\\', '=', ',', '+', '-', '*', '/', '^', '(', '['])
                        || next.starts_with(|c: char| c.is_ascii_digit() || matches!(c, '.' | '-' | '+' | '(' | ','));
                    if !continues {
                        break pos;
                    }
                }
                _ => {}
            }
            pos += 1;
        };
        spans.push(Span::new(start, equation_end));
        pos = equation_end;
        if bytes.get(pos) == Some(&b'~') {
            // Units and documentation: to the next `|`, or to the end of the line without one.
            let rest = text.get(pos..end).unwrap_or("");
            pos = match rest.find('|') {
                Some(bar) => pos + bar + 1,
                None => rest.find('\n').map_or(end, |newline| pos + newline + 1),
            };
        } else if bytes.get(pos) == Some(&b'|') {
            pos += 1;
        }
    }
    spans
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn cin_like() -> impl Strategy<Value = String> {
        let piece = prop_oneof![
            Just("rate = 2e12".to_owned()),
            Just("table (".to_owned()),
            Just("(0,1),(2,3))".to_owned()),
            Just("x[a, b] = 1, 2,".to_owned()),
            Just("~ units ~".to_owned()),
            Just("|".to_owned()),
            Just("{ c".to_owned()),
            Just("}".to_owned()),
            Just("\"q".to_owned()),
            Just("\u{1a}".to_owned()),
            "\\PC{0,12}",
        ];
        prop::collection::vec(piece, 0..12).prop_map(|pieces| pieces.join("\r\n"))
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        /// No input makes the reader panic, and every span it gives lies inside the input.
        #[test]
        fn never_panics_and_spans_stay_inside(text in prop_oneof!["\\PC{0,200}", cin_like()]) {
            let spans: Vec<Span> = match read_changes(&text) {
                Ok(changes) => changes.iter().filter_map(|c| c.span).collect(),
                Err(diagnostics) => diagnostics.0.iter().filter_map(|d| d.span).collect(),
            };
            for span in spans {
                prop_assert!(span.start <= span.end && span.end() <= text.len(), "{span:?} in {text:?}");
                prop_assert!(text.is_char_boundary(span.start()) && text.is_char_boundary(span.end()));
            }
        }
    }

    #[test]
    fn constants_lists_and_lookups_over_several_lines() {
        let text = "{ scenario }\r\nrate = 2e12\r\ntable (\r\n (-1,-.03),(0,0))\r\n\
            demand[North, south] = 3\nlist[Region] = 1, 2,\n 3 ~ units ~ doc |\nold(0, 1, 2, 10, 20, 30)\n\
            neg=-4 ~ no bar\n\r\n\u{1a}";
        let changes = read_changes(text).expect("the text is well formed");
        let summary: Vec<_> =
            changes.iter().map(|c| (c.name.as_str(), c.subscripts.join(","), c.value.clone())).collect();
        let table = |x: Vec<f64>, y: Vec<f64>| ChangeValue::Table { x, y };
        assert_eq!(
            summary,
            [
                ("rate", String::new(), ChangeValue::Number(2e12)),
                ("table", String::new(), table(vec![-1.0, 0.0], vec![-0.03, 0.0])),
                ("demand", "North,south".to_owned(), ChangeValue::Number(3.0)),
                ("list", "Region".to_owned(), ChangeValue::List(vec![1.0, 2.0, 3.0])),
                ("old", String::new(), table(vec![0.0, 1.0, 2.0], vec![10.0, 20.0, 30.0])),
                ("neg", String::new(), ChangeValue::Number(-4.0)),
            ]
        );
        let span = changes[1].span.expect("a span");
        assert_eq!(&text[span.start()..span.end()], "table");
    }

    /// Vensim's changes file page lists `STRINGVAR NAME :IS: 'literal string'`; a reality
    /// check, or `:IS:` with something other than one text, is refused at its line.
    #[test]
    fn string_constants_are_read_and_reality_checks_refused() {
        let text = "scenario name :IS: 'high growth'\nrate = 2\ncheck :THE CONDITION: rate > 1\nbad :IS: 3\n";
        let Err(diagnostics) = read_changes(text) else { panic!("the reality check is refused") };
        let found: Vec<_> = diagnostics.0.iter().map(|d| (d.code, d.span.map(|s| &text[s.start()..s.end()]))).collect();
        assert_eq!(
            found,
            [(Code::MdlUnsupportedFeature, Some(":THE CONDITION:")), (Code::MdlUnsupportedFeature, Some(":IS:"))]
        );
        let changes = read_changes("scenario name :IS: 'high growth'\n").expect("well formed");
        assert_eq!(changes[0].name, "scenario name");
        assert_eq!(changes[0].value, ChangeValue::Text("high growth".to_owned()));
    }

    #[test]
    fn except_lists_are_read_with_the_change() {
        let text = "demand[Region] :EXCEPT: [North], [East] = 3\nc[a, b] :EXCEPT: [a1, b!] = 1, 2\n";
        let changes = read_changes(text).expect("the text is well formed");
        let except: Vec<_> = changes.iter().map(|c| (c.subscripts.clone(), c.except.clone())).collect();
        let names = |list: &[&str]| list.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
        assert_eq!(
            except,
            [
                (names(&["Region"]), vec![names(&["North"]), names(&["East"])]),
                (names(&["a", "b"]), vec![names(&["a1", "b"])]),
            ]
        );
    }

    #[test]
    fn malformed_definitions_are_each_reported_where_they_are() {
        let text = "a = b + 1\nc ((0,0),(1\nd = 3\ne\n";
        let Err(diagnostics) = read_changes(text) else { panic!("the text is malformed") };
        let found: Vec<_> = diagnostics.0.iter().map(|d| (d.code, d.span.map(|s| &text[s.start()..s.end()]))).collect();
        assert_eq!(found[0], (Code::MdlSyntax, Some("b + 1")));
        assert_eq!(found.len(), 2, "{found:?}");
        assert_eq!(found[1].0, Code::MdlSyntax);
    }
}
