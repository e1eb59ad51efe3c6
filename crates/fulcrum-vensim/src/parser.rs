//! Parses the equation part of one definition into a [`Definition`]; expressions become
//! fulcrum's own [`Expr`] with spans in the file.
//!
//! Operator precedence, loosest first: `:OR:`, `:AND:`, `:NOT:`, comparisons (`= <> < <= > >=`),
//! `+ -`, `* /`, unary `- +`, `^` (right-associative). So `-2^2` is `-(2^2)` = -4, as in Vensim.

use fulcrum_model::syntax::{BinaryOp, Expr, ExprKind, Index, NameRef, Span, UnaryOp};
use fulcrum_model::{CanonicalName, Code, Diagnostic};

use crate::lexer::{Keyword, Punct, Token, TokenKind, tokenize};

/// Vensim's `:NA:`, the value it uses for "not available": -2^110.
pub(crate) const NA: f64 = -1.298_074_214_633_707e33;

const COMPARISON: u8 = 4;
const POWER: u8 = 8;

/// Infix operators and how tightly they bind, loosest first.
fn infix(token: &TokenKind) -> Option<(BinaryOp, u8)> {
    Some(match token {
        TokenKind::Keyword(Keyword::Or) => (BinaryOp::Or, 1),
        TokenKind::Keyword(Keyword::And) => (BinaryOp::And, 2),
        TokenKind::Punct(Punct::Eq) => (BinaryOp::Eq, COMPARISON),
        TokenKind::Punct(Punct::Ne) => (BinaryOp::Ne, COMPARISON),
        TokenKind::Punct(Punct::Lt) => (BinaryOp::Lt, COMPARISON),
        TokenKind::Punct(Punct::Le) => (BinaryOp::Le, COMPARISON),
        TokenKind::Punct(Punct::Gt) => (BinaryOp::Gt, COMPARISON),
        TokenKind::Punct(Punct::Ge) => (BinaryOp::Ge, COMPARISON),
        TokenKind::Punct(Punct::Plus) => (BinaryOp::Add, 5),
        TokenKind::Punct(Punct::Minus) => (BinaryOp::Sub, 5),
        TokenKind::Punct(Punct::Star) => (BinaryOp::Mul, 6),
        TokenKind::Punct(Punct::Slash) => (BinaryOp::Div, 6),
        TokenKind::Punct(Punct::Caret) => (BinaryOp::Pow, POWER),
        _ => return None,
    })
}

/// Deepest nesting of parentheses and operators accepted; later stages walk trees recursively.
const MAX_DEPTH: usize = 100;

/// A name with where it is written.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Located {
    pub name: String,
    pub span: Span,
}

/// The left-hand side: `name[sub, ...] :EXCEPT: [sub, ...], ...`.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Lhs {
    pub name: Located,
    /// Range or element names, one per dimension; empty for a scalar.
    pub subscripts: Vec<Located>,
    /// The element combinations excluded by `:EXCEPT:`.
    pub except: Vec<Vec<Located>>,
}

/// A lookup table's points.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Table {
    pub x: Vec<f64>,
    pub y: Vec<f64>,
    pub span: Span,
}

/// One element of a subscript range definition.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum RangeItem {
    /// An element, or another range whose elements are included.
    Name(Located),
    /// `(a1-a9)`: the elements a1, a2, ..., a9.
    Numbered(Vec<String>, Span),
    /// `GET DIRECT SUBSCRIPT('file', 'sheet', 'first', 'last', 'prefix')`: names in a file.
    FromFile(Vec<String>, Span),
}

/// The text of a quoted argument of a GET function (`'input.xlsx'`), as the parser keeps it.
pub(crate) fn text_argument(expr: &Expr) -> Option<String> {
    match &expr.kind {
        ExprKind::Name(name) => {
            name.written.strip_prefix('\'').and_then(|inner| inner.strip_suffix('\'')).map(str::to_owned)
        }
        _ => None,
    }
}

/// The target of a `->` mapping.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Mapping {
    pub target: Located,
    /// `(target: e1, e2, ...)`: the elements that the range's elements map to, in order.
    pub elements: Option<Vec<Located>>,
}

/// The right-hand side of an `=` definition.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Rhs {
    Expr(Expr),
    /// `input WITH LOOKUP table`: the input, and the table applied to it.
    WithLookup(Expr, Table),
    /// `1, 2; 3, 4;` or `TABBED ARRAY(...)`: rows of numbers.
    Numbers(Vec<Vec<f64>>, Span),
}

/// A parsed definition.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum Definition {
    /// `lhs = rhs` (also `==`).
    Equation { lhs: Lhs, rhs: Rhs, rhs_span: Span },
    /// `name(table)`.
    Lookup { lhs: Lhs, table: Table },
    /// `name: elements -> mappings`.
    Range { name: Located, items: Vec<RangeItem>, mappings: Vec<Mapping> },
    /// `name <-> other`.
    RangeCopy { name: Located, source: Located },
    /// A data variable: `lhs :KEYWORD: := expression`, or a name with no equation (values from a
    /// data file given when the model is run).
    Data { lhs: Lhs, keyword: Option<Keyword>, rhs: Option<(Expr, Span)> },
    /// A string constant, `name :IS: 'text'`.
    Text { lhs: Lhs, value: String },
    /// `:TEST INPUT:`, `:THE CONDITION:` and other reality-check definitions, and `:IS:` with
    /// something other than one `'text'`.
    RealityCheck { span: Span },
}

/// Parses `text[span]`, the equation part of one definition. `Err` carries every problem found.
pub(crate) fn definition(text: &str, span: Span) -> Parsed<Definition> {
    let tokens = tokenize(text, span.start(), span.end());
    if let Some(error) = tokens.iter().find_map(|token| match &token.kind {
        TokenKind::Error(message) => Some(syntax(message.clone(), token.span)),
        _ => None,
    }) {
        return Err(error);
    }
    let mut parser = Parser::new(tokens, span.end());
    parser.definition()
}

/// Among a call's arguments, separates a macro's inputs from the names that receive its extra
/// outputs (`MACRO(a, b : x, y)`). No name read from a file can be this.
pub(crate) const OUTPUTS_MARKER: &str = ":";

pub(crate) struct Parser {
    tokens: Vec<Token>,
    pos: usize,
    depth: usize,
    end: usize,
    /// The table of the last `WITH LOOKUP` read.
    with_lookup: Option<Table>,
    /// The subscripts of the left-hand side, which a subscripted lookup call must repeat.
    lhs_subscripts: Vec<CanonicalName>,
}

/// Parse results; the diagnostic is boxed to keep the recursion's stack frames small.
type Parsed<T> = Result<T, Box<Diagnostic>>;

fn syntax(message: impl Into<String>, span: Span) -> Box<Diagnostic> {
    Box::new(Diagnostic::new(Code::MdlSyntax, message).at(Some(span)))
}

impl Parser {
    pub(crate) fn new(tokens: Vec<Token>, end: usize) -> Parser {
        Parser { tokens, pos: 0, depth: 0, end, with_lookup: None, lhs_subscripts: Vec::new() }
    }

    fn peek(&self) -> Option<&TokenKind> {
        self.tokens.get(self.pos).map(|t| &t.kind)
    }

    fn peek_at(&self, offset: usize) -> Option<&TokenKind> {
        self.tokens.get(self.pos + offset).map(|t| &t.kind)
    }

    fn at_end(&self) -> bool {
        self.pos >= self.tokens.len()
    }

    /// The span of the current token, or an empty span at the end.
    fn here(&self) -> Span {
        self.tokens.get(self.pos).map_or(Span::new(self.end, self.end), |t| t.span)
    }

    fn previous_end(&self) -> usize {
        self.pos.checked_sub(1).and_then(|i| self.tokens.get(i)).map_or(self.end, |t| t.span.end())
    }

    fn is_punct(&self, punct: Punct) -> bool {
        self.peek() == Some(&TokenKind::Punct(punct))
    }

    fn eat(&mut self, punct: Punct) -> bool {
        if self.is_punct(punct) {
            self.pos += 1;
            true
        } else {
            false
        }
    }

    fn expect(&mut self, punct: Punct, what: &str) -> Parsed<Span> {
        let span = self.here();
        if self.eat(punct) { Ok(span) } else { Err(self.unexpected(what)) }
    }

    fn unexpected(&self, wanted: &str) -> Box<Diagnostic> {
        let found = match self.tokens.get(self.pos) {
            None => "the end of the equation".to_owned(),
            Some(token) => describe(&token.kind),
        };
        syntax(format!("expected {wanted}, found {found}"), self.here())
    }

    fn name(&mut self, what: &str) -> Parsed<Located> {
        match self.tokens.get(self.pos) {
            Some(Token { kind: TokenKind::Name(name), span, .. }) => {
                let located = Located { name: name.clone(), span: *span };
                self.pos += 1;
                Ok(located)
            }
            _ => Err(self.unexpected(what)),
        }
    }

    fn definition(&mut self) -> Parsed<Definition> {
        if matches!(self.peek(), Some(TokenKind::Keyword(Keyword::TestInput | Keyword::TheCondition))) {
            return Ok(Definition::RealityCheck { span: self.here() });
        }
        let name = self.name("a variable name")?;
        // A range definition or copy: `name: ...`, `name <-> other`.
        if self.eat(Punct::Colon) {
            return self.range(name);
        }
        if self.eat(Punct::Copy) {
            let source = self.name("the name of the range to copy")?;
            return self.finish(Definition::RangeCopy { name, source });
        }
        let mut lhs = Lhs { name, subscripts: Vec::new(), except: Vec::new() };
        if self.eat(Punct::LBracket) {
            lhs.subscripts = self.subscript_list()?;
        }
        while matches!(self.peek(), Some(TokenKind::Keyword(Keyword::Except))) {
            self.pos += 1;
            loop {
                self.expect(Punct::LBracket, "`[` after :EXCEPT:")?;
                lhs.except.push(self.subscript_list()?);
                if !(self.is_punct(Punct::Comma) && self.peek_at(1) == Some(&TokenKind::Punct(Punct::LBracket))) {
                    break;
                }
                self.pos += 1;
            }
        }
        // Reality checks: `name :THE CONDITION: ...`, `name :TEST INPUT: ...`.
        if matches!(self.peek(), Some(TokenKind::Keyword(Keyword::TheCondition | Keyword::TestInput))) {
            return Ok(Definition::RealityCheck { span: self.here() });
        }
        self.lhs_subscripts = lhs.subscripts.iter().map(|s| CanonicalName::new(&s.name)).collect();
        // Data variables may carry an interpolation keyword.
        let mut keyword = None;
        while let Some(TokenKind::Keyword(
            found @ (Keyword::Interpolate | Keyword::Raw | Keyword::HoldBackward | Keyword::LookForward),
        )) = self.peek()
        {
            keyword = Some(*found);
            self.pos += 1;
        }
        match self.peek() {
            None => Ok(Definition::Data { lhs, keyword, rhs: None }),
            Some(TokenKind::Punct(Punct::ColonEq)) => {
                self.pos += 1;
                let start = self.here().start();
                let expr = self.expr()?;
                let span = Span::new(start, self.previous_end().max(start));
                self.finish(Definition::Data { lhs, keyword, rhs: Some((expr, span)) })
            }
            Some(TokenKind::Keyword(Keyword::Is)) => {
                let at = self.here();
                match self.tokens.get(self.pos + 1).map(|token| &token.kind) {
                    Some(TokenKind::Text(value)) if self.pos + 2 == self.tokens.len() => {
                        Ok(Definition::Text { lhs, value: value.clone() })
                    }
                    _ => Ok(Definition::RealityCheck { span: at }),
                }
            }
            // `name(GET XLS LOOKUPS(...))`: a lookup whose points are in a file.
            Some(TokenKind::Punct(Punct::LParen))
                if matches!(self.peek_at(1), Some(TokenKind::Name(_)))
                    && self.peek_at(2) == Some(&TokenKind::Punct(Punct::LParen)) =>
            {
                self.pos += 1;
                let start = self.here().start();
                let expr = self.expr()?;
                let rhs_span = Span::new(start, self.previous_end().max(start));
                self.expect(Punct::RParen, "`)` closing the lookup")?;
                self.finish(Definition::Equation { lhs, rhs: Rhs::Expr(expr), rhs_span })
            }
            Some(TokenKind::Punct(Punct::LParen)) => {
                let table = self.table()?;
                self.finish(Definition::Lookup { lhs, table })
            }
            Some(TokenKind::Punct(Punct::Eq | Punct::EqEq)) => {
                self.pos += 1;
                let start = self.here().start();
                let rhs = self.rhs()?;
                let rhs_span = Span::new(start, self.previous_end().max(start));
                self.finish(Definition::Equation { lhs, rhs, rhs_span })
            }
            _ => Err(self.unexpected("`=`, `(` for a lookup, `:` for a subscript range, or `|`")),
        }
    }

    fn finish(&self, definition: Definition) -> Parsed<Definition> {
        if self.at_end() { Ok(definition) } else { Err(self.unexpected("the end of the equation (`~`)")) }
    }

    /// Names separated by commas up to `]` (the `[` already read); `name!` is accepted.
    fn subscript_list(&mut self) -> Parsed<Vec<Located>> {
        let mut names = Vec::new();
        loop {
            let mut name = self.name("a subscript range or element name")?;
            if self.eat(Punct::Bang) {
                name.name.push('!');
            }
            names.push(name);
            if self.eat(Punct::RBracket) {
                return Ok(names);
            }
            self.expect(Punct::Comma, "`,` or `]`")?;
        }
    }

    fn range(&mut self, name: Located) -> Parsed<Definition> {
        let mut items = Vec::new();
        // `dim: GET XLS SUBSCRIPT(...)`: element names read from a file.
        if matches!(self.peek(), Some(TokenKind::Name(_))) && self.peek_at(1) == Some(&TokenKind::Punct(Punct::LParen))
        {
            let start = self.here().start();
            let call = self.expr()?;
            let span = Span::new(start, self.previous_end().max(start));
            let is_subscript = matches!(&call.kind, ExprKind::Call { function, .. }
                if matches!(function.canonical.as_str(), "get_xls_subscript" | "get_direct_subscript"));
            let args: Option<Vec<String>> = match &call.kind {
                ExprKind::Call { args, .. } => args.iter().map(text_argument).collect(),
                _ => None,
            };
            return match (is_subscript, args) {
                (true, Some(args)) if args.len() == 5 => self.finish(Definition::Range {
                    name,
                    items: vec![RangeItem::FromFile(args, span)],
                    mappings: Vec::new(),
                }),
                (true, _) => Err(Box::new(
                    Diagnostic::new(Code::WrongArity, "GET DIRECT SUBSCRIPT takes five quoted arguments")
                        .at(Some(span))
                        .on_variable(name.name)
                        .with_help("GET DIRECT SUBSCRIPT('file', 'sheet', 'first cell', 'last cell', 'prefix')"),
                )),
                (false, _) => Err(Box::new(
                    Diagnostic::new(
                        Code::MdlUnsupportedFeature,
                        "a subscript range computed by a function other than GET DIRECT SUBSCRIPT is not supported",
                    )
                    .at(Some(span))
                    .on_variable(name.name),
                )),
            };
        }
        loop {
            if self.eat(Punct::LParen) {
                let start = self.previous_end();
                let first = self.name("the first element of a numbered range like (a1-a9)")?;
                self.expect(Punct::Minus, "`-` in a numbered range like (a1-a9)")?;
                let last = self.name("the last element of a numbered range like (a1-a9)")?;
                self.expect(Punct::RParen, "`)` closing the numbered range")?;
                let span = Span::new(start.saturating_sub(1), self.previous_end());
                let elements = numbered_range(&first.name, &last.name).ok_or_else(|| {
                    Box::new(
                        Diagnostic::new(
                            Code::MdlSubscript,
                            format!("`({}-{})` is not a numbered range", first.name, last.name),
                        )
                        .at(Some(span))
                        .with_help("a numbered range is a prefix with increasing numbers: (a1-a9)"),
                    )
                })?;
                items.push(RangeItem::Numbered(elements, span));
            } else {
                items.push(RangeItem::Name(self.name("an element name")?));
            }
            if !self.eat(Punct::Comma) {
                break;
            }
        }
        let mut mappings = Vec::new();
        if self.eat(Punct::Arrow) {
            loop {
                if self.eat(Punct::LParen) {
                    let target = self.name("the range mapped to")?;
                    self.expect(Punct::Colon, "`:` after the range mapped to")?;
                    let mut elements = Vec::new();
                    loop {
                        elements.push(self.name("an element name")?);
                        if !self.eat(Punct::Comma) {
                            break;
                        }
                    }
                    self.expect(Punct::RParen, "`)` closing the mapping")?;
                    mappings.push(Mapping { target, elements: Some(elements) });
                } else {
                    mappings.push(Mapping { target: self.name("the range mapped to")?, elements: None });
                }
                if !self.eat(Punct::Comma) {
                    break;
                }
            }
        }
        self.finish(Definition::Range { name, items, mappings })
    }

    /// A lookup table in parentheses: `( [(x0,y0)-(x1,y1)], (x,y), ... )`, the old form without
    /// the range, or the list form `(x1, x2, ..., y1, y2, ...)`.
    fn table(&mut self) -> Parsed<Table> {
        let open = self.expect(Punct::LParen, "`(` opening a lookup table")?;
        // The optional range (and any reference lines inside the brackets) only sets the graph's axes.
        if self.eat(Punct::LBracket) {
            let mut depth = 1usize;
            while depth > 0 {
                match self.peek() {
                    None => return Err(self.unexpected("`]` closing the lookup's range")),
                    Some(TokenKind::Punct(Punct::LBracket)) => depth += 1,
                    Some(TokenKind::Punct(Punct::RBracket)) => depth -= 1,
                    _ => {}
                }
                self.pos += 1;
            }
            if !self.eat(Punct::Comma) && !self.is_punct(Punct::RParen) {
                return Err(self.unexpected("`,` after the lookup's range"));
            }
        }
        let (mut x, mut y) = (Vec::new(), Vec::new());
        if self.is_punct(Punct::LParen) {
            loop {
                self.expect(Punct::LParen, "`(` opening a point (x, y)")?;
                x.push(self.signed_number()?);
                self.expect(Punct::Comma, "`,` between x and y")?;
                y.push(self.signed_number()?);
                self.expect(Punct::RParen, "`)` closing a point")?;
                if !self.eat(Punct::Comma) {
                    break;
                }
            }
        } else {
            let mut values = Vec::new();
            loop {
                values.push(self.signed_number()?);
                if !self.eat(Punct::Comma) {
                    break;
                }
            }
            if values.len() % 2 != 0 {
                return Err(Box::new(
                    Diagnostic::new(
                        Code::MdlLookup,
                        format!("a lookup written as a list needs as many x as y values, but it has {}", values.len()),
                    )
                    .at(Some(Span::new(open.start(), self.previous_end()))),
                ));
            }
            let half = values.len() / 2;
            y = values.split_off(half);
            x = values;
        }
        self.expect(Punct::RParen, "`)` closing the lookup table")?;
        Ok(Table { x, y, span: Span::new(open.start(), self.previous_end()) })
    }

    fn signed_number(&mut self) -> Parsed<f64> {
        let negative = if self.eat(Punct::Minus) {
            true
        } else {
            self.eat(Punct::Plus);
            false
        };
        match self.peek() {
            Some(TokenKind::Number(value)) => {
                let value = if negative { -*value } else { *value };
                self.pos += 1;
                Ok(value)
            }
            Some(TokenKind::Keyword(Keyword::Na)) => {
                self.pos += 1;
                Ok(NA)
            }
            _ => Err(self.unexpected("a number")),
        }
    }

    fn rhs(&mut self) -> Parsed<Rhs> {
        if let Some(TokenKind::Name(name)) = self.peek()
            && name.eq_ignore_ascii_case("TABBED ARRAY")
        {
            let start = self.here().start();
            self.pos += 1;
            self.expect(Punct::LParen, "`(` after TABBED ARRAY")?;
            let mut rows: Vec<Vec<f64>> = Vec::new();
            while !self.is_punct(Punct::RParen) {
                if self.at_end() {
                    return Err(self.unexpected("`)` closing TABBED ARRAY"));
                }
                let newline = self.tokens.get(self.pos).is_some_and(|t| t.newline_before);
                let value = self.signed_number()?;
                match rows.last_mut() {
                    Some(row) if !newline => row.push(value),
                    _ => rows.push(vec![value]),
                }
            }
            self.pos += 1;
            return Ok(Rhs::Numbers(rows, Span::new(start, self.previous_end())));
        }
        if self.is_number_list() {
            let start = self.here().start();
            let mut rows = vec![Vec::new()];
            while !self.at_end() {
                let value = self.signed_number()?;
                if let Some(row) = rows.last_mut() {
                    row.push(value);
                }
                if self.eat(Punct::Semicolon) {
                    if !self.at_end() {
                        rows.push(Vec::new());
                    }
                } else if !self.at_end() {
                    self.expect(Punct::Comma, "`,` or `;` between numbers")?;
                }
            }
            return Ok(Rhs::Numbers(rows, Span::new(start, self.previous_end())));
        }
        let expr = self.expr()?;
        if let ExprKind::Call { function, args, .. } = &expr.kind
            && function.canonical.as_str() == "with_lookup"
            && let [input, _] = args.as_slice()
        {
            // The table was parsed into the side slot by `call`.
            return Ok(Rhs::WithLookup(
                input.clone(),
                self.with_lookup.take().unwrap_or(Table { x: Vec::new(), y: Vec::new(), span: expr.span }),
            ));
        }
        Ok(Rhs::Expr(expr))
    }

    /// Numbers separated by `,` or `;`, with at least one separator: `1, 2, 3` or `5;`; each may
    /// have a sign, `-1, +2`.
    fn is_number_list(&self) -> bool {
        let mut index = self.pos;
        let mut separators = 0;
        loop {
            if matches!(self.tokens.get(index).map(|t| &t.kind), Some(TokenKind::Punct(Punct::Minus | Punct::Plus))) {
                index += 1;
            }
            if !matches!(
                self.tokens.get(index).map(|t| &t.kind),
                Some(TokenKind::Number(_) | TokenKind::Keyword(Keyword::Na))
            ) {
                return false;
            }
            index += 1;
            match self.tokens.get(index).map(|t| &t.kind) {
                None => return separators > 0,
                Some(TokenKind::Punct(Punct::Comma | Punct::Semicolon)) => {
                    separators += 1;
                    index += 1;
                    if index >= self.tokens.len() {
                        return true;
                    }
                }
                Some(_) => return false,
            }
        }
    }

    fn enter(&mut self) -> Parsed<()> {
        self.depth += 1;
        if self.depth > MAX_DEPTH {
            return Err(syntax(format!("the equation nests more than {MAX_DEPTH} levels deep"), self.here()));
        }
        Ok(())
    }

    pub(crate) fn expr(&mut self) -> Parsed<Expr> {
        self.expr_above(0)
    }

    /// An expression whose infix operators bind at least as tightly as `min` (precedence
    /// climbing: few stack frames per level of nesting).
    fn expr_above(&mut self, min: u8) -> Parsed<Expr> {
        self.enter()?;
        let mut lhs = self.prefix()?;
        while let Some((op, precedence)) = self.peek().and_then(infix) {
            if precedence < min {
                break;
            }
            self.pos += 1;
            // `^` groups to the right; everything else to the left.
            let next = if op == BinaryOp::Pow { precedence } else { precedence + 1 };
            let rhs = self.expr_above(next)?;
            lhs = Expr::join(lhs, op, rhs);
        }
        self.depth -= 1;
        Ok(lhs)
    }

    /// `:NOT:` applies to a comparison; unary minus to a power, so `-2^2` is `-(2^2)`.
    fn prefix(&mut self) -> Parsed<Expr> {
        let (op, operand_precedence) = match self.peek() {
            Some(TokenKind::Keyword(Keyword::Not)) => (UnaryOp::Not, COMPARISON),
            Some(TokenKind::Punct(Punct::Minus)) => (UnaryOp::Negate, POWER),
            Some(TokenKind::Punct(Punct::Plus)) => (UnaryOp::Plus, POWER),
            _ => return self.primary(),
        };
        let start = self.here();
        self.pos += 1;
        let operand = self.expr_above(operand_precedence)?;
        let span = start.to(operand.span);
        Ok(Expr { kind: ExprKind::Unary { op, operand: Box::new(operand) }, span })
    }

    fn primary(&mut self) -> Parsed<Expr> {
        let span = self.here();
        match self.peek().cloned() {
            Some(TokenKind::Number(value)) => {
                self.pos += 1;
                Ok(Expr { kind: ExprKind::Number(value), span })
            }
            Some(TokenKind::Keyword(Keyword::Na)) => {
                self.pos += 1;
                let number = Expr { kind: ExprKind::Number(-NA), span };
                Ok(Expr { kind: ExprKind::Unary { op: UnaryOp::Negate, operand: Box::new(number) }, span })
            }
            Some(TokenKind::Text(text)) => {
                // File names and cells of the GET functions; the call itself is reported.
                self.pos += 1;
                Ok(Expr { kind: ExprKind::Name(NameRef::new(format!("'{text}'"))), span })
            }
            Some(TokenKind::Punct(Punct::LParen)) => {
                self.pos += 1;
                let inner = self.expr()?;
                let close = self.expect(Punct::RParen, "`)`")?;
                Ok(Expr { kind: inner.kind, span: span.to(close) })
            }
            Some(TokenKind::Name(name)) => {
                self.pos += 1;
                if self.is_punct(Punct::LParen) {
                    return self.call(name, span);
                }
                if self.eat(Punct::LBracket) {
                    let subscripted = self.subscript(name.clone(), span)?;
                    if self.is_punct(Punct::LParen) {
                        return self.subscripted_call(subscripted, name, span);
                    }
                    return Ok(subscripted);
                }
                Ok(Expr { kind: ExprKind::Name(NameRef::new(name)), span })
            }
            _ => Err(self.unexpected("a number, a name or `(`")),
        }
    }

    fn subscript(&mut self, name: String, name_span: Span) -> Parsed<Expr> {
        let mut indices = Vec::new();
        loop {
            let element = self.name("a subscript range or element name")?;
            if self.eat(Punct::Bang) {
                let span = element.span.to(Span::new(self.previous_end(), self.previous_end()));
                indices.push(Index::Wildcard { dimension: Some(NameRef::new(element.name)), span });
            } else {
                let expr = Expr { kind: ExprKind::Name(NameRef::new(element.name)), span: element.span };
                indices.push(Index::Expr(expr));
            }
            if self.eat(Punct::RBracket) {
                break;
            }
            self.expect(Punct::Comma, "`,` or `]`")?;
        }
        let span = name_span.to(Span::new(self.previous_end(), self.previous_end()));
        Ok(Expr { kind: ExprKind::Subscript { array: NameRef::new(name), array_span: name_span, indices }, span })
    }

    /// `table[e1, e2](x)`: a call naming the left-hand side's own subscripts reads the element
    /// being computed, like a plain call; any other becomes `LOOKUP(table[e1, e2], x)`.
    fn subscripted_call(&mut self, subscripted: Expr, name: String, name_span: Span) -> Parsed<Expr> {
        let ExprKind::Subscript { indices, .. } = &subscripted.kind else { return Ok(subscripted) };
        let own = indices.iter().all(|index| match index {
            Index::Expr(Expr { kind: ExprKind::Name(n), .. }) => self.lhs_subscripts.contains(&n.canonical),
            _ => false,
        });
        if own {
            return self.call(name, name_span);
        }
        self.expect(Punct::LParen, "`(`")?;
        let input = self.expr()?;
        self.expect(Punct::RParen, "`)`: a lookup takes one input")?;
        let span = subscripted.span.to(Span::new(self.previous_end(), self.previous_end()));
        let function = NameRef::new("LOOKUP");
        Ok(Expr {
            kind: ExprKind::Call { function, function_span: subscripted.span, args: vec![subscripted, input] },
            span,
        })
    }

    fn call(&mut self, name: String, name_span: Span) -> Parsed<Expr> {
        let function = NameRef::new(name);
        self.expect(Punct::LParen, "`(`")?;
        let mut args = Vec::new();
        if function.canonical.as_str() == "with_lookup" {
            args.push(self.expr()?);
            self.expect(Punct::Comma, "`,` before the lookup table")?;
            let table = self.table()?;
            args.push(Expr { kind: ExprKind::Number(0.0), span: table.span });
            self.with_lookup = Some(table);
            self.expect(Punct::RParen, "`)` closing WITH LOOKUP")?;
        } else if !self.eat(Punct::RParen) {
            loop {
                args.push(self.expr()?);
                if self.eat(Punct::RParen) {
                    break;
                }
                if self.is_punct(Punct::Colon) {
                    // A macro's extra outputs: `MACRO(inputs : output, ...)` names the variables
                    // that receive them. They follow a marker among the arguments.
                    let colon = self.expect(Punct::Colon, "`:`")?;
                    args.push(Expr { kind: ExprKind::Name(NameRef::new(OUTPUTS_MARKER)), span: colon });
                    loop {
                        let Some(TokenKind::Name(output)) = self.peek().cloned() else {
                            return Err(syntax("expected the name of a variable for the macro's output", self.here()));
                        };
                        let at = self.here();
                        self.pos += 1;
                        args.push(Expr { kind: ExprKind::Name(NameRef::new(output)), span: at });
                        if self.eat(Punct::RParen) {
                            break;
                        }
                        self.expect(Punct::Comma, "`,` or `)`")?;
                    }
                    break;
                }
                self.expect(Punct::Comma, "`,` or `)`")?;
            }
        }
        let span = name_span.to(Span::new(self.previous_end(), self.previous_end()));
        Ok(Expr { kind: ExprKind::Call { function, function_span: name_span, args }, span })
    }
}

/// `a1`..`a9` → a1, a2, ..., a9 (keeping the first's zero padding).
fn numbered_range(first: &str, last: &str) -> Option<Vec<String>> {
    let split = |name: &str| {
        let digits = name.len() - name.trim_end_matches(|c: char| c.is_ascii_digit()).len();
        let (prefix, number) = name.split_at(name.len() - digits);
        Some((prefix.to_owned(), number.to_owned(), number.parse::<u64>().ok()?))
    };
    let (prefix, first_digits, from) = split(first)?;
    let (last_prefix, _, to) = split(last)?;
    if prefix != last_prefix || to < from || to - from > 100_000 {
        return None;
    }
    let width = if first_digits.starts_with('0') { first_digits.len() } else { 0 };
    Some((from..=to).map(|n| format!("{prefix}{n:0width$}")).collect())
}

fn describe(kind: &TokenKind) -> String {
    match kind {
        TokenKind::Number(value) => format!("the number {value}"),
        TokenKind::Name(name) => format!("`{name}`"),
        TokenKind::Text(text) => format!("'{text}'"),
        TokenKind::Keyword(keyword) => format!("{keyword:?}").to_uppercase(),
        TokenKind::Punct(punct) => format!("`{}`", punct_text(*punct)),
        TokenKind::Error(message) => message.clone(),
    }
}

fn punct_text(punct: Punct) -> &'static str {
    match punct {
        Punct::LParen => "(",
        Punct::RParen => ")",
        Punct::LBracket => "[",
        Punct::RBracket => "]",
        Punct::Comma => ",",
        Punct::Semicolon => ";",
        Punct::Plus => "+",
        Punct::Minus => "-",
        Punct::Star => "*",
        Punct::Slash => "/",
        Punct::Caret => "^",
        Punct::Eq => "=",
        Punct::EqEq => "==",
        Punct::ColonEq => ":=",
        Punct::Lt => "<",
        Punct::Le => "<=",
        Punct::Gt => ">",
        Punct::Ge => ">=",
        Punct::Ne => "<>",
        Punct::Bang => "!",
        Punct::Colon => ":",
        Punct::Arrow => "->",
        Punct::Copy => "<->",
    }
}
