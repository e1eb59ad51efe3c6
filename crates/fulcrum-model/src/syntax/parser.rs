//! A Pratt parser for the XMILE expression language (XMILE 1.0, section 3.3).

use super::ast::{BinaryOp, Expr, ExprKind, Index, NameRef, Span, UnaryOp, precedence};
use super::lexer::{Keyword, Lexer, Token};
use super::{SyntaxError, SyntaxErrorKind};

/// Expressions nested deeper than this (parentheses, operands of operands, arguments of calls)
/// are refused with a diagnostic: later stages walk them recursively, and must not run out of
/// stack. A chain like `a + b + c` is one level however long (see [`ExprKind::Chain`]).
pub const MAX_NESTING: usize = 256;

pub(crate) struct Parser<'a> {
    lexer: Lexer<'a>,
    current: Token,
    current_span: Span,
    /// Was the last token consumed a name? Two names in a row are a name with a space in it.
    after_name: bool,
    depth: usize,
}

impl<'a> Parser<'a> {
    pub(crate) fn new(text: &'a str) -> Result<Parser<'a>, SyntaxError> {
        let mut lexer = Lexer::new(text);
        let (current, current_span) = lexer.next_token()?;
        Ok(Parser { lexer, current, current_span, after_name: false, depth: 0 })
    }

    /// The whole text as one expression.
    pub(crate) fn parse_equation(mut self) -> Result<Expr, SyntaxError> {
        if self.current == Token::Eof {
            return Err(SyntaxError::new(SyntaxErrorKind::Empty, self.current_span));
        }
        let expr = self.expression(precedence::IF)?;
        if self.current != Token::Eof {
            let another_name = matches!(self.current, Token::Ident(_) | Token::Quoted(_));
            let kind = if self.after_name && another_name {
                SyntaxErrorKind::SpaceInName
            } else {
                SyntaxErrorKind::TrailingInput
            };
            return Err(SyntaxError::new(kind, self.current_span));
        }
        Ok(expr)
    }

    fn advance(&mut self) -> Result<(Token, Span), SyntaxError> {
        self.after_name = matches!(self.current, Token::Ident(_) | Token::Quoted(_));
        let next = self.lexer.next_token()?;
        Ok((std::mem::replace(&mut self.current, next.0), std::mem::replace(&mut self.current_span, next.1)))
    }

    fn expect(&mut self, expected: Token, what: &'static str) -> Result<Span, SyntaxError> {
        if self.current == expected {
            Ok(self.advance()?.1)
        } else {
            Err(SyntaxError::new(SyntaxErrorKind::Expected(what), self.current_span))
        }
    }

    /// Parses operators that bind at least as tightly as `min_precedence`.
    fn expression(&mut self, min_precedence: u8) -> Result<Expr, SyntaxError> {
        self.depth += 1;
        if self.depth > MAX_NESTING {
            return Err(SyntaxError::new(SyntaxErrorKind::TooDeep, self.current_span));
        }
        let mut lhs = self.prefix()?;
        loop {
            // Stella's `a // b` divides but gives 0 where b is 0: `SAFEDIV(a, b)`, at the
            // precedence of `/` and, like it, from the left.
            if self.current == Token::SlashSlash {
                if precedence::MULTIPLICATIVE < min_precedence {
                    break;
                }
                let operator = self.advance()?.1;
                let rhs = self.expression(precedence::MULTIPLICATIVE + 1)?;
                let span = lhs.span.to(rhs.span);
                let function = NameRef::new("SAFEDIV");
                lhs = Expr { kind: ExprKind::Call { function, function_span: operator, args: vec![lhs, rhs] }, span };
                continue;
            }
            let Some(op) = self.binary_operator() else { break };
            let own = op.precedence();
            if own < min_precedence {
                break;
            }
            self.advance()?;
            let rhs_min = if op.is_right_associative() { own } else { own + 1 };
            let rhs = self.expression(rhs_min)?;
            lhs = Expr::join(lhs, op, rhs);
        }
        self.depth -= 1;
        Ok(lhs)
    }

    fn binary_operator(&self) -> Option<BinaryOp> {
        Some(match self.current {
            Token::Keyword(Keyword::Or) => BinaryOp::Or,
            Token::Keyword(Keyword::And) => BinaryOp::And,
            Token::Eq => BinaryOp::Eq,
            Token::Ne => BinaryOp::Ne,
            Token::Lt => BinaryOp::Lt,
            Token::Le => BinaryOp::Le,
            Token::Gt => BinaryOp::Gt,
            Token::Ge => BinaryOp::Ge,
            Token::Plus => BinaryOp::Add,
            Token::Minus => BinaryOp::Sub,
            Token::Star => BinaryOp::Mul,
            Token::Slash => BinaryOp::Div,
            Token::Keyword(Keyword::Mod) => BinaryOp::Mod,
            Token::Caret => BinaryOp::Pow,
            _ => return None,
        })
    }

    fn prefix(&mut self) -> Result<Expr, SyntaxError> {
        let (token, span) = self.advance()?;
        match token {
            Token::Number(value) => Ok(Expr { kind: ExprKind::Number(value), span }),
            Token::Ident(written) | Token::Quoted(written) => self.name_or_call(written, span),
            // Where an operand is expected, `mod` can only be a variable named mod.
            Token::Keyword(Keyword::Mod) => {
                let written = self.lexer_text(span).to_owned();
                self.name_or_call(written, span)
            }
            Token::Plus => self.unary(UnaryOp::Plus, span),
            Token::Minus => self.unary(UnaryOp::Negate, span),
            Token::Keyword(Keyword::Not) => self.unary(UnaryOp::Not, span),
            Token::LParen => {
                let inner = self.expression(precedence::IF)?;
                let close = self.expect(Token::RParen, "`)`")?;
                Ok(Expr { kind: inner.kind, span: span.to(close) })
            }
            Token::Keyword(Keyword::If) => {
                let condition = self.expression(precedence::IF)?;
                self.expect(Token::Keyword(Keyword::Then), "THEN")?;
                let then_branch = self.expression(precedence::IF)?;
                self.expect(Token::Keyword(Keyword::Else), "ELSE")?;
                let else_branch = self.expression(precedence::IF)?;
                let span = span.to(else_branch.span);
                Ok(Expr {
                    kind: ExprKind::If {
                        condition: Box::new(condition),
                        then_branch: Box::new(then_branch),
                        else_branch: Box::new(else_branch),
                    },
                    span,
                })
            }
            Token::LBracket => Err(SyntaxError::new(SyntaxErrorKind::UnexpectedToken("`[`"), span)),
            Token::Eof => Err(SyntaxError::new(SyntaxErrorKind::Expected("an expression"), span)),
            other => Err(SyntaxError::new(SyntaxErrorKind::UnexpectedToken(describe(&other)), span)),
        }
    }

    fn unary(&mut self, op: UnaryOp, span: Span) -> Result<Expr, SyntaxError> {
        let operand = self.expression(precedence::UNARY)?;
        let span = span.to(operand.span);
        Ok(Expr { kind: ExprKind::Unary { op, operand: Box::new(operand) }, span })
    }

    fn name_or_call(&mut self, written: String, span: Span) -> Result<Expr, SyntaxError> {
        let name = NameRef::new(written);
        match self.current {
            Token::LParen => {
                self.advance()?;
                let mut args = Vec::new();
                if self.current != Token::RParen {
                    loop {
                        args.push(self.expression(precedence::IF)?);
                        if self.current == Token::Comma {
                            self.advance()?;
                        } else {
                            break;
                        }
                    }
                }
                let close = self.expect(Token::RParen, "`,` or `)`")?;
                Ok(Expr { kind: ExprKind::Call { function: name, function_span: span, args }, span: span.to(close) })
            }
            Token::LBracket => {
                self.advance()?;
                let mut indices = Vec::new();
                loop {
                    indices.push(self.index()?);
                    if self.current == Token::Comma {
                        self.advance()?;
                    } else {
                        break;
                    }
                }
                let close = self.expect(Token::RBracket, "`,` or `]`")?;
                Ok(Expr { kind: ExprKind::Subscript { array: name, array_span: span, indices }, span: span.to(close) })
            }
            _ => Ok(Expr { kind: ExprKind::Name(name), span }),
        }
    }
}

impl Parser<'_> {
    /// One index inside `[...]`: `*`, `*:Dim`, `@n`, an expression, or a range `start:end`.
    fn index(&mut self) -> Result<Index, SyntaxError> {
        if self.current == Token::At {
            let (_, at) = self.advance()?;
            let (token, span) = self.advance()?;
            return match token {
                Token::Number(position) if position >= 1.0 && position.fract() == 0.0 && position <= 1e6 => {
                    Ok(Index::DimensionPosition { position: position as usize, span: at.to(span) })
                }
                _ => Err(SyntaxError::new(
                    SyntaxErrorKind::Expected("a dimension position (a whole number from 1) after `@`"),
                    span,
                )),
            };
        }
        if self.current != Token::Star {
            let start = self.expression(precedence::IF)?;
            if self.current != Token::Colon {
                return Ok(Index::Expr(start));
            }
            self.advance()?;
            let end = self.expression(precedence::IF)?;
            let span = start.span.to(end.span);
            return Ok(Index::Range { start: Box::new(start), end: Box::new(end), span });
        }
        let (_, star) = self.advance()?;
        if self.current != Token::Colon {
            return Ok(Index::Wildcard { dimension: None, span: star });
        }
        self.advance()?;
        let (token, span) = self.advance()?;
        match token {
            Token::Ident(written) | Token::Quoted(written) => {
                Ok(Index::Wildcard { dimension: Some(NameRef::new(written)), span: star.to(span) })
            }
            _ => Err(SyntaxError::new(SyntaxErrorKind::Expected("a dimension name after `*:`"), span)),
        }
    }

    fn lexer_text(&self, span: Span) -> &str {
        self.lexer.text(span)
    }
}

fn describe(token: &Token) -> &'static str {
    match token {
        Token::Number(_) => "number",
        Token::Ident(_) | Token::Quoted(_) => "name",
        Token::Keyword(Keyword::And) => "AND",
        Token::Keyword(Keyword::Or) => "OR",
        Token::Keyword(Keyword::Not) => "NOT",
        Token::Keyword(Keyword::If) => "IF",
        Token::Keyword(Keyword::Then) => "THEN",
        Token::Keyword(Keyword::Else) => "ELSE",
        Token::Keyword(Keyword::Mod) => "MOD",
        Token::LParen => "`(`",
        Token::RParen => "`)`",
        Token::LBracket => "`[`",
        Token::RBracket => "`]`",
        Token::Comma => "`,`",
        Token::Colon => "`:`",
        Token::At => "`@`",
        Token::Plus => "`+`",
        Token::Minus => "`-`",
        Token::Star => "`*`",
        Token::Slash => "`/`",
        Token::SlashSlash => "`//`",
        Token::Caret => "`^`",
        Token::Lt => "`<`",
        Token::Le => "`<=`",
        Token::Gt => "`>`",
        Token::Ge => "`>=`",
        Token::Eq => "`=`",
        Token::Ne => "`<>`",
        Token::Eof => "end of equation",
    }
}
