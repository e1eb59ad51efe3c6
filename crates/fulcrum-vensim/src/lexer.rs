//! Tokens of the equation part of a `.mdl` definition (the text before the first `~`).
//!
//! The lexer works on a byte range of the whole file, so every token's span is a span in the
//! file. Comments `{...}` and line continuations (`\` at the end of a line) are whitespace.
//! Unquoted Vensim names may contain spaces (`Birth rate`, `IF THEN ELSE`): words separated by
//! spaces or tabs on one line (or across a continuation) are one name, written with single
//! spaces.

use fulcrum_model::syntax::Span;

/// The colon-delimited keywords: `:AND:`, `:NA:`, `:EXCEPT:`, ...
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Keyword {
    And,
    Or,
    Not,
    Na,
    Except,
    Interpolate,
    Raw,
    HoldBackward,
    LookForward,
    Is,
    TestInput,
    TheCondition,
    Implies,
}

const KEYWORDS: [(&str, Keyword); 13] = [
    ("and", Keyword::And),
    ("or", Keyword::Or),
    ("not", Keyword::Not),
    ("na", Keyword::Na),
    ("except", Keyword::Except),
    ("interpolate", Keyword::Interpolate),
    ("raw", Keyword::Raw),
    ("hold backward", Keyword::HoldBackward),
    ("look forward", Keyword::LookForward),
    ("is", Keyword::Is),
    ("test input", Keyword::TestInput),
    ("the condition", Keyword::TheCondition),
    ("implies", Keyword::Implies),
];

/// Punctuation and operators.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Punct {
    LParen,
    RParen,
    LBracket,
    RBracket,
    Comma,
    Semicolon,
    Plus,
    Minus,
    Star,
    Slash,
    Caret,
    /// `=`: a definition, or equality inside an expression.
    Eq,
    /// `==`
    EqEq,
    /// `:=`
    ColonEq,
    Lt,
    Le,
    Gt,
    Ge,
    Ne,
    /// `!` after a range name in a reduction: `x[dim!]`.
    Bang,
    /// `:` of a subscript range definition.
    Colon,
    /// `->` of a subscript mapping.
    Arrow,
    /// `<->` of a range copy.
    Copy,
}

#[derive(Clone, PartialEq, Debug)]
pub(crate) enum TokenKind {
    Number(f64),
    /// A name, quotes removed, inner whitespace folded to single spaces.
    Name(String),
    /// A `'...'` literal (file names and cells of the GET functions).
    Text(String),
    Keyword(Keyword),
    Punct(Punct),
    /// A character that starts no token, or an unterminated quote; the text says which.
    Error(String),
}

#[derive(Clone, PartialEq, Debug)]
pub(crate) struct Token {
    pub kind: TokenKind,
    pub span: Span,
    /// A line break (not a continuation) separates it from the token before: TABBED ARRAY rows.
    pub newline_before: bool,
}

/// Splits `text[start..end]` into tokens.
pub(crate) fn tokenize(text: &str, start: usize, end: usize) -> Vec<Token> {
    let mut lexer = Lexer { text, pos: start, end: end.min(text.len()), tokens: Vec::new() };
    lexer.run();
    lexer.tokens
}

struct Lexer<'a> {
    text: &'a str,
    pos: usize,
    end: usize,
    tokens: Vec<Token>,
}

/// Can this character continue an unquoted name?
fn is_name_char(c: char) -> bool {
    c.is_alphanumeric() || c == '_' || c == '$' || (!c.is_ascii() && !c.is_whitespace())
}

/// Can this character start an unquoted name?
fn is_name_start(c: char) -> bool {
    (c.is_alphabetic() || c == '_' || c == '$' || !c.is_ascii()) && !c.is_whitespace()
}

impl Lexer<'_> {
    fn peek(&self) -> Option<char> {
        self.text.get(self.pos..self.end)?.chars().next()
    }

    fn peek_at(&self, offset: usize) -> Option<char> {
        self.text.get(self.pos..self.end)?.chars().nth(offset)
    }

    fn rest(&self) -> &str {
        self.text.get(self.pos..self.end).unwrap_or("")
    }

    /// Skips whitespace, comments and continuations; says whether a line break was among them.
    fn skip_trivia(&mut self) -> bool {
        let mut newline = false;
        while let Some(c) = self.peek() {
            match c {
                '\n' => {
                    newline = true;
                    self.pos += 1;
                }
                c if c.is_whitespace() => self.pos += c.len_utf8(),
                '{' => {
                    // A comment runs to its matching `}`; an unterminated one to the end.
                    let close = comment_length(self.rest()).map_or(self.end, |length| self.pos + length);
                    self.pos = close;
                }
                '\\' if self.is_continuation() => self.skip_continuation(),
                _ => break,
            }
        }
        newline
    }

    /// A `\` followed by optional spaces and a line break.
    fn is_continuation(&self) -> bool {
        let after = self.rest().get(1..).unwrap_or("");
        let trimmed = after.trim_start_matches([' ', '\t', '\r']);
        trimmed.starts_with('\n') || trimmed.is_empty()
    }

    fn skip_continuation(&mut self) {
        self.pos += 1;
        while let Some(c) = self.peek() {
            self.pos += c.len_utf8();
            if c == '\n' {
                break;
            }
        }
    }

    fn push(&mut self, kind: TokenKind, start: usize, newline_before: bool) {
        self.tokens.push(Token { kind, span: Span::new(start, self.pos), newline_before });
    }

    fn run(&mut self) {
        loop {
            let newline = self.skip_trivia();
            let Some(c) = self.peek() else { break };
            let start = self.pos;
            let kind = if c.is_ascii_digit() || c == '.' && self.peek_at(1).is_some_and(|d| d.is_ascii_digit()) {
                self.number()
            } else if is_name_start(c) {
                TokenKind::Name(self.name())
            } else if c == '"' {
                self.quoted('"', true)
            } else if c == '\'' {
                self.quoted('\'', false)
            } else if c == ':' {
                self.colon()
            } else {
                self.punct(c)
            };
            self.push(kind, start, newline);
        }
    }

    fn number(&mut self) -> TokenKind {
        let start = self.pos;
        let bytes = self.text.as_bytes();
        let digits = |mut i: usize| {
            while i < self.end && bytes.get(i).is_some_and(u8::is_ascii_digit) {
                i += 1;
            }
            i
        };
        let mut i = digits(start);
        if i < self.end && bytes.get(i) == Some(&b'.') {
            i = digits(i + 1);
        }
        if i < self.end && matches!(bytes.get(i), Some(b'e' | b'E')) {
            let mut j = i + 1;
            if j < self.end && matches!(bytes.get(j), Some(b'+' | b'-')) {
                j += 1;
            }
            let after = digits(j);
            if after > j {
                i = after;
            }
        }
        self.pos = i;
        let written = self.text.get(start..i).unwrap_or("");
        match written.parse::<f64>() {
            Ok(value) => TokenKind::Number(value),
            Err(_) => TokenKind::Error(format!("`{written}` is not a number")),
        }
    }

    /// An unquoted name: words joined by spaces, tabs or continuations.
    fn name(&mut self) -> String {
        let mut name = String::new();
        loop {
            while let Some(c) = self.peek() {
                // An apostrophe right after a letter is part of the name (`Rate's value`,
                // `x'`); a text literal (`'file.xlsx'`) never follows a name without a space.
                let apostrophe = c == '\'' && name.chars().last().is_some_and(is_name_char);
                if !is_name_char(c) && !apostrophe {
                    break;
                }
                name.push(c);
                self.pos += c.len_utf8();
            }
            // Look past spaces, tabs and continuations for another word.
            let save = self.pos;
            loop {
                match self.peek() {
                    Some(' ' | '\t' | '\r') => self.pos += 1,
                    Some('\\') if self.is_continuation() => self.skip_continuation(),
                    _ => break,
                }
            }
            match self.peek() {
                Some(c) if is_name_char(c) && self.pos > save => name.push(' '),
                _ => {
                    self.pos = save;
                    return name;
                }
            }
        }
    }

    /// `"..."` (a name; `\"` and `\\` escape) or `'...'` (a literal).
    fn quoted(&mut self, quote: char, is_name: bool) -> TokenKind {
        self.pos += 1;
        let mut content = String::new();
        while let Some(c) = self.peek() {
            self.pos += c.len_utf8();
            if c == quote {
                let folded = content.split_whitespace().collect::<Vec<_>>().join(" ");
                return if is_name { TokenKind::Name(folded) } else { TokenKind::Text(content) };
            }
            if c == '\\' && is_name && matches!(self.peek(), Some('"' | '\\')) {
                if let Some(escaped) = self.peek() {
                    content.push(escaped);
                    self.pos += 1;
                }
                continue;
            }
            content.push(c);
        }
        TokenKind::Error(format!("the quote {quote} is never closed"))
    }

    /// `:KEYWORD:`, `:=` or a plain `:`.
    fn colon(&mut self) -> TokenKind {
        let rest = self.rest();
        if rest.starts_with(":=") {
            self.pos += 2;
            return TokenKind::Punct(Punct::ColonEq);
        }
        if let Some(close) = rest.get(1..).and_then(|after| after.find(':')) {
            let inner = rest.get(1..close + 1).unwrap_or("");
            if inner.chars().all(|c| c.is_ascii_alphabetic() || c == ' ' || c == '_') {
                let folded = inner.to_ascii_lowercase().replace('_', " ");
                let folded = folded.split_whitespace().collect::<Vec<_>>().join(" ");
                if let Some((_, keyword)) = KEYWORDS.iter().find(|(name, _)| *name == folded) {
                    self.pos += close + 2;
                    return TokenKind::Keyword(*keyword);
                }
            }
        }
        self.pos += 1;
        TokenKind::Punct(Punct::Colon)
    }

    fn punct(&mut self, c: char) -> TokenKind {
        let rest = self.rest();
        let (punct, length) = if rest.starts_with("<->") {
            (Punct::Copy, 3)
        } else if rest.starts_with("->") {
            (Punct::Arrow, 2)
        } else if rest.starts_with("<=") {
            (Punct::Le, 2)
        } else if rest.starts_with(">=") {
            (Punct::Ge, 2)
        } else if rest.starts_with("<>") {
            (Punct::Ne, 2)
        } else if rest.starts_with("==") {
            (Punct::EqEq, 2)
        } else {
            let single = match c {
                '(' => Punct::LParen,
                ')' => Punct::RParen,
                '[' => Punct::LBracket,
                ']' => Punct::RBracket,
                ',' => Punct::Comma,
                ';' => Punct::Semicolon,
                '+' => Punct::Plus,
                '-' => Punct::Minus,
                '*' => Punct::Star,
                '/' => Punct::Slash,
                '^' => Punct::Caret,
                '=' => Punct::Eq,
                '<' => Punct::Lt,
                '>' => Punct::Gt,
                '!' => Punct::Bang,
                _ => {
                    self.pos += c.len_utf8();
                    return TokenKind::Error(format!("`{c}` is not part of Vensim's equation language"));
                }
            };
            (single, 1)
        };
        self.pos += length;
        TokenKind::Punct(punct)
    }
}

/// The length in bytes of the `{...}` comment that `text` starts with, to the `}` that closes
/// it: comments nest (`{ a {b} c }` is one comment), as modellers write them when they comment
/// out an equation that has a comment in it. `None` when it is never closed.
pub(crate) fn comment_length(text: &str) -> Option<usize> {
    let mut depth = 0usize;
    for (index, c) in text.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(index + 1);
                }
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn kinds(text: &str) -> Vec<TokenKind> {
        tokenize(text, 0, text.len()).into_iter().map(|t| t.kind).collect()
    }

    fn name(text: &str) -> TokenKind {
        TokenKind::Name(text.to_owned())
    }

    #[test]
    fn names_with_spaces_are_one_token() {
        assert_eq!(
            kinds("IF THEN ELSE(Birth  rate>1, x, y)"),
            vec![
                name("IF THEN ELSE"),
                TokenKind::Punct(Punct::LParen),
                name("Birth rate"),
                TokenKind::Punct(Punct::Gt),
                TokenKind::Number(1.0),
                TokenKind::Punct(Punct::Comma),
                name("x"),
                TokenKind::Punct(Punct::Comma),
                name("y"),
                TokenKind::Punct(Punct::RParen),
            ]
        );
    }

    #[test]
    fn comments_continuations_and_quotes() {
        assert_eq!(
            kinds("a {note} + \"b \\\"c\\\"\" * long\\\n   name"),
            vec![
                name("a"),
                TokenKind::Punct(Punct::Plus),
                name("b \"c\""),
                TokenKind::Punct(Punct::Star),
                name("long name"),
            ]
        );
    }

    #[test]
    fn keywords_numbers_and_operators() {
        assert_eq!(
            kinds(":NOT: a :AND: b :na: 1e+006 .5 <-> -> := <> <= !"),
            vec![
                TokenKind::Keyword(Keyword::Not),
                name("a"),
                TokenKind::Keyword(Keyword::And),
                name("b"),
                TokenKind::Keyword(Keyword::Na),
                TokenKind::Number(1e6),
                TokenKind::Number(0.5),
                TokenKind::Punct(Punct::Copy),
                TokenKind::Punct(Punct::Arrow),
                TokenKind::Punct(Punct::ColonEq),
                TokenKind::Punct(Punct::Ne),
                TokenKind::Punct(Punct::Le),
                TokenKind::Punct(Punct::Bang),
            ]
        );
        assert_eq!(kinds("dim: a"), vec![name("dim"), TokenKind::Punct(Punct::Colon), name("a")]);
        assert_eq!(kinds(":HOLD BACKWARD:"), vec![TokenKind::Keyword(Keyword::HoldBackward)]);
    }

    #[test]
    fn spans_are_file_offsets() {
        let text = "xx = abc + 1";
        let tokens = tokenize(text, 5, text.len());
        assert_eq!(tokens[0].span, Span::new(5, 8));
        assert_eq!(tokens[2].span, Span::new(11, 12));
    }

    #[test]
    fn bad_characters_are_error_tokens() {
        assert!(matches!(kinds("a # b")[1], TokenKind::Error(_)));
        assert!(matches!(kinds("\"open")[0], TokenKind::Error(_)));
    }
}
