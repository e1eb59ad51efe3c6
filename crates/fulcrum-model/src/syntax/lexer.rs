//! Splits equation text into tokens. Comments in braces are skipped here.

use super::ast::Span;
use super::{SyntaxError, SyntaxErrorKind};

/// One token of an equation.
#[derive(Clone, PartialEq, Debug)]
pub(crate) enum Token {
    Number(f64),
    /// An unquoted identifier or keyword-free name, as written.
    Ident(String),
    /// A quoted name with its escapes resolved.
    Quoted(String),
    Keyword(Keyword),
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Colon,
    /// `@`, before a dimension position in a subscript (`A[@2]`).
    At,
    Plus,
    Minus,
    Star,
    Slash,
    /// Stella's safe division, `a // b`: `SAFEDIV(a, b)`.
    SlashSlash,
    Caret,
    Lt,
    Le,
    Gt,
    Ge,
    Eq,
    Ne,
    Eof,
}

/// Reserved words of the language (case-insensitive).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Keyword {
    And,
    Or,
    Not,
    If,
    Then,
    Else,
    Mod,
}

impl Keyword {
    pub(crate) fn from_word(word: &str) -> Option<Keyword> {
        const KEYWORDS: [(&str, Keyword); 7] = [
            ("and", Keyword::And),
            ("or", Keyword::Or),
            ("not", Keyword::Not),
            ("if", Keyword::If),
            ("then", Keyword::Then),
            ("else", Keyword::Else),
            ("mod", Keyword::Mod),
        ];
        KEYWORDS.iter().find(|(text, _)| word.eq_ignore_ascii_case(text)).map(|(_, keyword)| *keyword)
    }
}

/// Reads tokens from an equation one at a time.
pub(crate) struct Lexer<'a> {
    text: &'a str,
    position: usize,
}

impl<'a> Lexer<'a> {
    pub(crate) fn new(text: &'a str) -> Lexer<'a> {
        Lexer { text, position: 0 }
    }

    /// The next token and its span, skipping whitespace and `{comments}`.
    pub(crate) fn next_token(&mut self) -> Result<(Token, Span), SyntaxError> {
        self.skip_trivia()?;
        let start = self.position;
        let Some(c) = self.peek() else {
            return Ok((Token::Eof, Span::new(start, start)));
        };
        let token = match c {
            '0'..='9' => self.number()?,
            '.' if self.peek_second().is_some_and(|next| next.is_ascii_digit()) => self.number()?,
            '"' => self.quoted()?,
            c if is_ident_start(c) => self.identifier(),
            _ => self.punctuation(c)?,
        };
        Ok((token, Span::new(start, self.position)))
    }

    /// The text of a span of this equation.
    pub(crate) fn text(&self, span: Span) -> &'a str {
        self.text.get(span.start()..span.end()).unwrap_or("")
    }

    fn peek(&self) -> Option<char> {
        self.text[self.position..].chars().next()
    }

    fn peek_second(&self) -> Option<char> {
        let mut chars = self.text[self.position..].chars();
        chars.next();
        chars.next()
    }

    fn bump(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.position += c.len_utf8();
        Some(c)
    }

    fn eat(&mut self, expected: char) -> bool {
        if self.peek() == Some(expected) {
            self.position += expected.len_utf8();
            true
        } else {
            false
        }
    }

    fn skip_trivia(&mut self) -> Result<(), SyntaxError> {
        loop {
            match self.peek() {
                Some(c) if c.is_whitespace() => {
                    self.bump();
                }
                Some('{') => {
                    let start = self.position;
                    match self.text[start..].find('}') {
                        Some(length) => self.position = start + length + 1,
                        None => {
                            return Err(SyntaxError::new(
                                SyntaxErrorKind::UnterminatedComment,
                                Span::new(start, self.text.len()),
                            ));
                        }
                    }
                }
                _ => return Ok(()),
            }
        }
    }

    /// `digits [. digits] [e [+-] digits]` or `. digits ...`, as XMILE section 3.2.1 gives it.
    fn number(&mut self) -> Result<Token, SyntaxError> {
        let start = self.position;
        self.digits();
        if self.eat('.') {
            self.digits();
        }
        if matches!(self.peek(), Some('e' | 'E')) {
            let mark = self.position;
            self.bump();
            if !self.eat('+') {
                self.eat('-');
            }
            if self.digits() == 0 {
                // `2e` followed by a name is not an exponent; `2e+` is a malformed number.
                if self.position == mark + 1 && self.peek().is_some_and(is_ident_continue) {
                    self.position = mark;
                } else {
                    return Err(SyntaxError::new(SyntaxErrorKind::MalformedNumber, Span::new(start, self.position)));
                }
            }
        }
        let text = &self.text[start..self.position];
        match text.parse::<f64>() {
            Ok(value) if value.is_finite() => Ok(Token::Number(value)),
            _ => Err(SyntaxError::new(SyntaxErrorKind::NumberOutOfRange, Span::new(start, self.position))),
        }
    }

    fn digits(&mut self) -> usize {
        let mut count = 0;
        while self.peek().is_some_and(|c| c.is_ascii_digit()) {
            self.bump();
            count += 1;
        }
        count
    }

    /// An identifier; a `.` between identifier characters qualifies it (`module.variable`).
    fn identifier(&mut self) -> Token {
        let start = self.position;
        while let Some(c) = self.peek() {
            let qualifies = c == '.' && self.peek_second().is_some_and(is_ident_start);
            if is_ident_continue(c) || qualifies {
                self.bump();
            } else {
                break;
            }
        }
        let word = &self.text[start..self.position];
        match Keyword::from_word(word) {
            Some(keyword) => Token::Keyword(keyword),
            None => Token::Ident(word.to_owned()),
        }
    }

    /// `"a quoted name"` with the escapes `\"`, `\\` and `\n`.
    fn quoted(&mut self) -> Result<Token, SyntaxError> {
        let start = self.position;
        self.bump();
        let mut name = String::new();
        loop {
            match self.bump() {
                None => {
                    return Err(SyntaxError::new(SyntaxErrorKind::UnterminatedName, Span::new(start, self.position)));
                }
                Some('"') => return Ok(Token::Quoted(name)),
                Some('\\') => {
                    let escape_start = self.position - 1;
                    match self.bump() {
                        Some('"') => name.push('"'),
                        Some('\\') => name.push('\\'),
                        Some('n') => name.push('\n'),
                        _ => {
                            return Err(SyntaxError::new(
                                SyntaxErrorKind::BadEscape,
                                Span::new(escape_start, self.position),
                            ));
                        }
                    }
                }
                Some(c) => name.push(c),
            }
        }
    }

    fn punctuation(&mut self, c: char) -> Result<Token, SyntaxError> {
        let start = self.position;
        self.bump();
        let token = match c {
            '(' => Token::LParen,
            ')' => Token::RParen,
            '[' => Token::LBracket,
            ']' => Token::RBracket,
            ',' => Token::Comma,
            ':' => Token::Colon,
            '@' => Token::At,
            '+' => Token::Plus,
            '-' => Token::Minus,
            '*' => Token::Star,
            '/' if self.eat('/') => Token::SlashSlash,
            '/' => Token::Slash,
            '^' => Token::Caret,
            '=' => {
                // `==` is a common slip for `=`; read it as equality.
                self.eat('=');
                Token::Eq
            }
            '<' if self.eat('=') => Token::Le,
            '<' if self.eat('>') => Token::Ne,
            '<' => Token::Lt,
            '>' if self.eat('=') => Token::Ge,
            '>' => Token::Gt,
            _ => {
                return Err(SyntaxError::new(SyntaxErrorKind::UnexpectedCharacter(c), Span::new(start, self.position)));
            }
        };
        Ok(token)
    }
}

pub(crate) fn is_ident_start(c: char) -> bool {
    c.is_alphabetic() || c == '_' || (!c.is_ascii() && !c.is_whitespace())
}

pub(crate) fn is_ident_continue(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$' || (!c.is_ascii() && !c.is_whitespace())
}
