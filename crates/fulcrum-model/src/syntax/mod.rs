//! The equation language: XMILE expressions (section 3.3 of the standard).
//!
//! [`parse`] turns equation text into an [`Expr`] whose spans are byte offsets into that text.
//! Names stay names here; resolving them to variables and built-ins is a later stage.
//!
//! ```
//! use fulcrum_model::syntax::parse;
//! let expr = parse("IF Time > 5 THEN births * 2 ELSE -1").unwrap();
//! assert_eq!(expr.to_string(), "IF Time > 5 THEN births * 2 ELSE -1");
//! ```

mod ast;
mod lexer;
mod parser;

use std::fmt;

pub use ast::{BinaryOp, Expr, ExprKind, Index, NameRef, Span, UnaryOp, format_number};
pub(crate) use lexer::{is_ident_continue, is_ident_start};
pub use parser::MAX_NESTING;

/// Parses one equation.
pub fn parse(text: &str) -> Result<Expr, SyntaxError> {
    parser::Parser::new(text)?.parse_equation()
}

/// Is `word` reserved (AND, OR, NOT, IF, THEN, ELSE, MOD)?
pub fn is_keyword(word: &str) -> bool {
    lexer::Keyword::from_word(word).is_some()
}

/// Why an equation did not parse, and where (relative to the equation text).
#[derive(Clone, PartialEq, Debug)]
pub struct SyntaxError {
    /// What went wrong.
    pub kind: SyntaxErrorKind,
    /// Where, in the equation.
    pub span: Span,
}

impl SyntaxError {
    pub(crate) fn new(kind: SyntaxErrorKind, span: Span) -> SyntaxError {
        SyntaxError { kind, span }
    }
}

/// The ways an equation can fail to parse.
#[derive(Clone, PartialEq, Debug)]
#[non_exhaustive]
pub enum SyntaxErrorKind {
    /// The equation is empty.
    Empty,
    /// A character that is not part of the language.
    UnexpectedCharacter(char),
    /// A token that cannot appear here.
    UnexpectedToken(&'static str),
    /// Something else was expected here.
    Expected(&'static str),
    /// The expression ended but more text follows.
    TrailingInput,
    /// A name followed by another name: a name with spaces, unquoted.
    SpaceInName,
    /// A number like `1e` or `2e+`.
    MalformedNumber,
    /// A number too large for a 64-bit float.
    NumberOutOfRange,
    /// A quoted name without its closing quote.
    UnterminatedName,
    /// A `{` comment without its `}`.
    UnterminatedComment,
    /// A backslash escape other than `\"`, `\\` or `\n` in a quoted name.
    BadEscape,
    /// Parentheses or operators nested deeper than [`MAX_NESTING`].
    TooDeep,
    /// Valid XMILE that this model format does not support.
    Unsupported(&'static str),
    /// The file held something that is not an equation here; its reader has reported it.
    Unreadable,
}

impl fmt::Display for SyntaxErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SyntaxErrorKind::Empty => write!(f, "the equation is empty"),
            SyntaxErrorKind::UnexpectedCharacter(c) => write!(f, "unexpected character `{c}`"),
            SyntaxErrorKind::UnexpectedToken(token) => write!(f, "unexpected {token}"),
            SyntaxErrorKind::Expected(what) => write!(f, "expected {what}"),
            SyntaxErrorKind::TrailingInput => write!(f, "unexpected text after the end of the expression"),
            SyntaxErrorKind::SpaceInName => {
                write!(f, "a name with spaces needs underscores (Staff_Count) or quotes (\"Staff Count\")")
            }
            SyntaxErrorKind::MalformedNumber => write!(f, "malformed number"),
            SyntaxErrorKind::NumberOutOfRange => write!(f, "number is too large"),
            SyntaxErrorKind::UnterminatedName => write!(f, "quoted name has no closing quote"),
            SyntaxErrorKind::UnterminatedComment => write!(f, "comment has no closing `}}`"),
            SyntaxErrorKind::BadEscape => write!(f, "invalid escape in a quoted name (use \\\", \\\\ or \\n)"),
            SyntaxErrorKind::TooDeep => write!(f, "expression is nested more than {MAX_NESTING} levels deep"),
            SyntaxErrorKind::Unsupported(what) => write!(f, "{what} are not supported here"),
            SyntaxErrorKind::Unreadable => write!(f, "the value is not an equation"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn show(text: &str) -> String {
        match parse(text) {
            Ok(expr) => sexpr(&expr),
            Err(error) => format!("error {:?} at {}..{}", error.kind, error.span.start, error.span.end),
        }
    }

    /// Fully parenthesised form, to check grouping.
    fn sexpr(expr: &Expr) -> String {
        match &expr.kind {
            ExprKind::Number(value) => format!("{value}"),
            ExprKind::Name(name) => name.canonical.to_string(),
            ExprKind::Call { function, args, .. } => {
                let args: Vec<_> = args.iter().map(sexpr).collect();
                format!("{}({})", function.canonical, args.join(" "))
            }
            ExprKind::Unary { op, operand } => format!("({op:?} {})", sexpr(operand)),
            ExprKind::Binary { op, lhs, rhs } => format!("({} {} {})", op.symbol(), sexpr(lhs), sexpr(rhs)),
            ExprKind::Chain { first, rest } => {
                rest.iter().fold(sexpr(first), |lhs, (op, rhs)| format!("({} {lhs} {})", op.symbol(), sexpr(rhs)))
            }
            ExprKind::If { condition, then_branch, else_branch } => {
                format!("(if {} {} {})", sexpr(condition), sexpr(then_branch), sexpr(else_branch))
            }
            ExprKind::Subscript { array, indices, .. } => {
                let indices: Vec<String> = indices
                    .iter()
                    .map(|index| match index {
                        Index::Expr(expr) => sexpr(expr),
                        Index::Wildcard { dimension: None, .. } => "*".to_owned(),
                        Index::Wildcard { dimension: Some(d), .. } => format!("*:{}", d.canonical),
                        Index::DimensionPosition { position, .. } => format!("@{position}"),
                        Index::Range { start, end, .. } => format!("{}:{}", sexpr(start), sexpr(end)),
                    })
                    .collect();
                format!("{}[{}]", array.canonical, indices.join(" "))
            }
        }
    }

    #[test]
    fn grouping_follows_xmile_precedence() {
        let cases = [
            ("1 + 2 * 3", "(+ 1 (* 2 3))"),
            ("1 - 2 - 3", "(- (- 1 2) 3)"),
            ("2 ^ 3 ^ 2", "(^ 2 (^ 3 2))"),
            ("-2 ^ 2", "(Negate (^ 2 2))"),
            ("2 ^ -1", "(^ 2 (Negate 1))"),
            ("a * -b", "(* a (Negate b))"),
            ("a MOD b * c", "(* (MOD a b) c)"),
            ("a < b = c > d", "(= (< a b) (> c d))"),
            ("a OR b AND c", "(OR a (AND b c))"),
            ("NOT a AND b", "(AND (Not a) b)"),
            ("IF a THEN b ELSE c + 1", "(if a b (+ c 1))"),
            ("1 + IF a THEN b ELSE c", "(+ 1 (if a b c))"),
            ("MAX(a, MIN(b, 2))", "max(a min(b 2))"),
            ("PI", "pi"),
            ("f()", "f()"),
            ("a <> b", "(<> a b)"),
            ("a == b", "(= a b)"),
            ("(a + b) * c", "(* (+ a b) c)"),
            ("a - b + c * d / e - f", "(- (+ (- a b) (/ (* c d) e)) f)"),
            ("(a - b) - (c - d)", "(- (- a b) (- c d))"),
            ("(a * b + c) * d * e", "(* (* (+ (* a b) c) d) e)"),
            ("a < b < c", "(< (< a b) c)"),
        ];
        for (text, expected) in cases {
            assert_eq!(show(text), expected, "{text}");
        }
    }

    #[test]
    fn numbers_and_names() {
        let cases = [
            ("1e-3", "0.001"),
            (".5", "0.5"),
            ("14.", "14"),
            ("6E5", "600000"),
            ("+8.123e-10", "(Plus 0.0000000008123)"),
            ("Birth_Rate", "birth_rate"),
            ("\"Birth Rate\"", "birth_rate"),
            ("\"say \\\"hi\\\"\"", "say_\"hi\""),
            ("funcs.find", "funcs.find"),
            ("$cost", "error UnexpectedCharacter('$') at 0..1"),
            ("cost$", "cost$"),
            ("2e", "error MalformedNumber at 0..2"),
            ("1e999", "error NumberOutOfRange at 0..5"),
            ("Stock {the level} * 2", "(* stock 2)"),
            ("x[Region, North] + y[1]", "(+ x[region north] y[1])"),
            ("SUM(a[*, Dim] * b[*:Cats])", "sum((* a[* dim] b[*:cats]))"),
            ("a[DimM, @1, @2]", "a[dimm @1 @2]"),
            ("SUM(a[1:3, Boston:Chicago])", "sum(a[1:3 boston:chicago])"),
            ("mod MOD 3", "(MOD mod 3)"),
            ("-mod", "(Negate mod)"),
        ];
        for (text, expected) in cases {
            assert_eq!(show(text), expected, "{text}");
        }
    }

    #[test]
    fn errors_point_at_the_problem() {
        let cases = [
            ("", "error Empty at 0..0"),
            ("   ", "error Empty at 3..3"),
            ("a +", "error Expected(\"an expression\") at 3..3"),
            ("(a + b", "error Expected(\"`)`\") at 6..6"),
            ("a b", "error SpaceInName at 2..3"),
            ("a + 1 2", "error TrailingInput at 6..7"),
            ("MAX(a b)", "error Expected(\"`,` or `)`\") at 6..7"),
            ("IF a THEN b", "error Expected(\"ELSE\") at 11..11"),
            ("a ? b", "error UnexpectedCharacter('?') at 2..3"),
            ("\"open", "error UnterminatedName at 0..5"),
            ("a {note", "error UnterminatedComment at 2..7"),
            ("\"a\\tb\"", "error BadEscape at 2..4"),
            ("a[1", "error Expected(\"`,` or `]`\") at 3..3"),
            ("[1]", "error UnexpectedToken(\"`[`\") at 0..1"),
            ("a[*:]", "error Expected(\"a dimension name after `*:`\") at 4..5"),
            ("a[@x]", "error Expected(\"a dimension position (a whole number from 1) after `@`\") at 3..4"),
            ("a[@0]", "error Expected(\"a dimension position (a whole number from 1) after `@`\") at 3..4"),
            ("a[1:]", "error UnexpectedToken(\"`]`\") at 4..5"),
            ("a @ 1", "error TrailingInput at 2..3"),
            ("@1", "error UnexpectedToken(\"`@`\") at 0..1"),
            (") + 1", "error UnexpectedToken(\"`)`\") at 0..1"),
        ];
        for (text, expected) in cases {
            assert_eq!(show(text), expected, "{text:?}");
        }
    }

    #[test]
    fn deep_nesting_is_an_error_not_a_crash() {
        let deep = format!("{}1{}", "(".repeat(100_000), ")".repeat(100_000));
        assert_eq!(parse(&deep).map_err(|e| e.kind), Err(SyntaxErrorKind::TooDeep));
        let negations = format!("{}1", "-".repeat(100_000));
        assert_eq!(parse(&negations).map_err(|e| e.kind), Err(SyntaxErrorKind::TooDeep));
        // A flat chain is one level deep however long; it prints back as written.
        let chain = vec!["a"; 100_000].join(" + ");
        assert_eq!(parse(&chain).expect("a chain is not nested").to_string(), chain);
        let products = vec!["a * b"; 100_000].join(" - ");
        assert_eq!(parse(&products).expect("a chain of products is two levels").to_string(), products);
        let powers = vec!["a"; 100_000].join(" ^ ");
        assert_eq!(parse(&powers).map_err(|e| e.kind), Err(SyntaxErrorKind::TooDeep));
        let fine = format!("{}1{}", "(".repeat(150), ")".repeat(150));
        assert!(parse(&fine).is_ok());
        assert!(parse(&vec!["a"; 200].join(" + ")).is_ok());
    }

    #[test]
    fn dimension_positions_and_ranges_print_as_written() {
        for text in ["A[DimM, @1, @2]", "SUM(a[1:3]) + MAX(m[Boston:Chicago, *])"] {
            let printed = parse(text).expect("parses").to_string();
            assert_eq!(printed, text);
            assert_eq!(show(&printed), show(text));
        }
    }

    #[test]
    fn printed_deep_equations_parse_again() {
        // Nested signs print as `- -x`: parentheses would nest them twice as deep (found by
        // fuzzing).
        let signs = format!("{}x", "+-".repeat(100));
        // An IF that ends the equation needs no parentheses, however deep (also found by fuzzing).
        let ifs = format!("{}x", "a + -IF c THEN 1 ELSE ".repeat(80));
        for text in [signs, ifs] {
            let printed = parse(&text).expect("parses").to_string();
            assert_eq!(parse(&printed).expect("parses again").to_string(), printed);
        }
        let print = |text: &str| parse(text).expect("parses").to_string();
        assert_eq!(print("x * (IF a THEN b ELSE c)"), "x * IF a THEN b ELSE c");
        assert_eq!(print("x * (IF a THEN b ELSE c) + 1"), "x * (IF a THEN b ELSE c) + 1");
        assert_eq!(print("-(IF a THEN b ELSE c) ^ 2"), "-(IF a THEN b ELSE c) ^ 2");
        assert_eq!(print("MAX(IF a THEN b ELSE c, 0)"), "MAX(IF a THEN b ELSE c, 0)");
        assert_eq!(print("- -x - (-(-1))"), "- -x - - -1");
    }

    /// Random expressions in the language, printed by hand with plenty of parentheses.
    fn arbitrary_equation() -> impl Strategy<Value = String> {
        let leaf = prop_oneof![
            (0u32..1000, 0u32..100).prop_map(|(whole, frac)| format!("{whole}.{frac}")),
            prop::sample::select(vec!["a", "Birth_Rate", "\"x y\"", "TIME", "b"]).prop_map(str::to_owned),
        ];
        leaf.prop_recursive(6, 64, 4, |inner| {
            let ops = prop::sample::select(vec!["+", "-", "*", "/", "^", "MOD", "<", "<=", "=", "<>", "AND", "OR"]);
            prop_oneof![
                (inner.clone(), ops, inner.clone()).prop_map(|(a, op, b)| format!("{a} {op} {b}")),
                (inner.clone(), ops_unary()).prop_map(|(a, op)| format!("{op}{a}")),
                inner.clone().prop_map(|a| format!("({a})")),
                (inner.clone(), inner.clone()).prop_map(|(a, b)| format!("MAX({a}, {b})")),
                (inner.clone(), inner.clone(), inner).prop_map(|(c, a, b)| format!("(IF {c} THEN {a} ELSE {b})")),
            ]
        })
    }

    fn ops_unary() -> impl Strategy<Value = &'static str> {
        prop::sample::select(vec!["-", "+", "NOT "])
    }

    /// Valid equations without quoted names (inside which any character is allowed), some with
    /// names outside ASCII.
    fn unquoted_equation() -> impl Strategy<Value = String> {
        arbitrary_equation().prop_map(|text| text.replace("\"x y\"", "Température_室温"))
    }

    /// A span lies within `text`, in order, on character boundaries.
    fn span_is_inside(text: &str, span: Span) -> bool {
        span.start() <= span.end() && text.get(span.start()..span.end()).is_some()
    }

    /// Spans are not part of the meaning: compare trees without them.
    fn strip(expr: &Expr) -> String {
        sexpr(expr)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2000))]

        #[test]
        fn printing_then_parsing_round_trips(text in arbitrary_equation()) {
            let parsed = parse(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e:?}")))?;
            let printed = parsed.to_string();
            let reparsed = parse(&printed).map_err(|e| TestCaseError::fail(format!("{printed}: {e:?}")))?;
            prop_assert_eq!(strip(&parsed), strip(&reparsed), "printed as {}", printed);
            prop_assert_eq!(printed.clone(), reparsed.to_string());
        }

        /// Any text parses or gives an error whose span lies in the text, on character
        /// boundaries.
        #[test]
        fn parsing_never_panics(text in "(?s).{0,60}") {
            if let Err(error) = parse(&text) {
                prop_assert!(span_is_inside(&text, error.span), "{:?} for {:?}", error, text);
            }
        }

        /// A character outside the language anywhere in a valid equation is an error at that
        /// character, or just before it where it cut a word in two (`T@HEN`): never later, since
        /// the text before it is the start of a valid equation.
        #[test]
        fn a_stray_character_is_an_error_where_it_stands(
            (text, at) in unquoted_equation().prop_flat_map(|text| {
                let boundaries: Vec<usize> = (0..=text.len()).filter(|&i| text.is_char_boundary(i)).collect();
                (Just(text), prop::sample::select(boundaries))
            }),
            stray in prop::sample::select(vec!['#', '?', ';', '~', '`', '&', '|', '!', '%', '\'', '\\']),
        ) {
            let garbage = format!("{}{stray}{}", &text[..at], &text[at..]);
            let error = match parse(&garbage) {
                Ok(expr) => return Err(TestCaseError::fail(format!("{garbage:?} parsed as {expr}"))),
                Err(error) => error,
            };
            prop_assert!(span_is_inside(&garbage, error.span), "{:?} for {:?}", error, garbage);
            prop_assert!(error.span.start() <= at, "{:?} is after the stray character in {:?}", error, garbage);
            if error.kind == SyntaxErrorKind::UnexpectedCharacter(stray) {
                prop_assert_eq!((error.span.start(), error.span.end()), (at, at + 1), "{:?}", garbage);
            }
        }

        /// A valid equation left unfinished or with an unmatched bracket, an unterminated quote
        /// or comment is an error inside the text.
        #[test]
        fn an_unfinished_equation_is_an_error_inside_the_text(
            text in unquoted_equation(),
            garbage in prop::sample::select(vec![
                " +", " *", " AND", " ^", " <=", "(", ")", " )", "[", " , 1", " \"unterminated", " {unterminated",
                " 1e", " 2e+", " é é", "\"\\q\"", " IF", " THEN 1",
            ]),
            before in any::<bool>(),
        ) {
            let garbage = if before && !garbage.starts_with(' ') {
                format!("{garbage}{text}")
            } else {
                format!("{text}{garbage}")
            };
            match parse(&garbage) {
                Ok(expr) => prop_assert!(false, "{:?} parsed as {}", garbage, expr),
                Err(error) => prop_assert!(span_is_inside(&garbage, error.span), "{:?} for {:?}", error, garbage),
            }
        }

        #[test]
        fn numbers_round_trip_exactly(value in proptest::num::f64::POSITIVE | proptest::num::f64::ZERO) {
            let text = format_number(value);
            let parsed = parse(&text).map_err(|e| TestCaseError::fail(format!("{text}: {e:?}")))?;
            prop_assert_eq!(parsed.kind, ExprKind::Number(value));
        }
    }
}
