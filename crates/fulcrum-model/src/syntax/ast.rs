//! The parsed form of an equation, and printing it back as text.

use std::fmt;

use crate::name::{CanonicalName, equation_form};

/// A byte range in some text: an equation, or a whole model file.
#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug, Default)]
pub struct Span {
    /// First byte.
    pub start: u32,
    /// One past the last byte.
    pub end: u32,
}

impl Span {
    /// The span from `start` to `end` (byte offsets).
    pub fn new(start: usize, end: usize) -> Span {
        Span { start: saturate(start), end: saturate(end) }
    }

    /// The smallest span covering both.
    pub fn to(self, other: Span) -> Span {
        Span { start: self.start.min(other.start), end: self.end.max(other.end) }
    }

    /// This span moved right by `offset` bytes.
    pub fn shifted(self, offset: usize) -> Span {
        let offset = saturate(offset);
        Span { start: self.start.saturating_add(offset), end: self.end.saturating_add(offset) }
    }

    /// Start as a `usize`.
    pub fn start(self) -> usize {
        self.start as usize
    }

    /// End as a `usize`.
    pub fn end(self) -> usize {
        self.end as usize
    }
}

fn saturate(offset: usize) -> u32 {
    u32::try_from(offset).unwrap_or(u32::MAX)
}

/// A name used in an equation, as written (without quotes) and canonical.
#[derive(Clone, PartialEq, Debug)]
pub struct NameRef {
    /// The name as written, quotes and escapes removed.
    pub written: String,
    /// The canonical form used for lookups.
    pub canonical: CanonicalName,
}

impl NameRef {
    /// A name reference from its written form.
    pub fn new(written: impl Into<String>) -> NameRef {
        let written = written.into();
        let canonical = CanonicalName::new(&written);
        NameRef { written, canonical }
    }
}

/// A parsed expression with its span in the equation text.
#[derive(Clone, PartialEq, Debug)]
pub struct Expr {
    /// What the expression is.
    pub kind: ExprKind,
    /// Where it is in the equation.
    pub span: Span,
}

/// The kinds of expression in the XMILE equation language.
#[derive(Clone, PartialEq, Debug)]
pub enum ExprKind {
    /// A numeric literal (never negative: a minus sign is a [`UnaryOp::Negate`]).
    Number(f64),
    /// A variable, or a built-in without arguments such as `TIME` or `PI`.
    Name(NameRef),
    /// A function call: a built-in, or a graphical function called by name.
    Call {
        /// The function name.
        function: NameRef,
        /// Where the function name is.
        function_span: Span,
        /// The arguments in order.
        args: Vec<Expr>,
    },
    /// A prefix operator.
    Unary {
        /// Which operator.
        op: UnaryOp,
        /// Its operand.
        operand: Box<Expr>,
    },
    /// An infix operator.
    Binary {
        /// Which operator.
        op: BinaryOp,
        /// Left operand.
        lhs: Box<Expr>,
        /// Right operand.
        rhs: Box<Expr>,
    },
    /// Two or more left-associative operators of one precedence in a row, `a + b - c`, read left
    /// to right: `(a + b) - c`. Kept flat rather than as nested [`ExprKind::Binary`] so that a
    /// sum of a thousand terms is one level deep for every walk over the tree.
    Chain {
        /// The leftmost operand.
        first: Box<Expr>,
        /// Each operator with the operand to its right, in order.
        rest: Vec<(BinaryOp, Expr)>,
    },
    /// An element or slice of an arrayed variable: `x[Region, North]`, `x[*]`.
    Subscript {
        /// The arrayed variable.
        array: NameRef,
        /// Where its name is.
        array_span: Span,
        /// One index per dimension.
        indices: Vec<Index>,
    },
    /// `IF condition THEN a ELSE b`.
    If {
        /// Non-zero means true.
        condition: Box<Expr>,
        /// Value when the condition holds.
        then_branch: Box<Expr>,
        /// Value otherwise.
        else_branch: Box<Expr>,
    },
}

/// One position of a subscript.
#[derive(Clone, PartialEq, Debug)]
pub enum Index {
    /// A dimension name (the element that dimension stands at), an element name, or a
    /// 1-based position.
    Expr(Expr),
    /// `*`: every element, for array functions like SUM; `*:Dim` names the dimension.
    Wildcard {
        /// The dimension named after the colon.
        dimension: Option<NameRef>,
        /// Where the wildcard is.
        span: Span,
    },
    /// `@n` (XMILE 3.7.1.1): the element that the n-th dimension of the variable being
    /// defined stands at, for an equation that repeats or reorders dimensions
    /// (`A[DimM, @1, @2]`).
    DimensionPosition {
        /// n, from 1.
        position: usize,
        /// Where `@n` is.
        span: Span,
    },
    /// `start:end` (XMILE 3.7.1.2): the elements from position (or element) `start` to `end`,
    /// both included, for array functions like SUM (`SUM(A[1:3])`).
    Range {
        /// The first element: a 1-based position or an element name.
        start: Box<Expr>,
        /// The last element, likewise.
        end: Box<Expr>,
        /// Where the range is.
        span: Span,
    },
}

/// Prefix operators.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum UnaryOp {
    /// `+x`
    Plus,
    /// `-x`
    Negate,
    /// `NOT x`: 1 when x is zero, else 0.
    Not,
}

/// Infix operators, from loosest to tightest binding.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum BinaryOp {
    /// `OR`
    Or,
    /// `AND`
    And,
    /// `=`
    Eq,
    /// `<>`
    Ne,
    /// `<`
    Lt,
    /// `<=`
    Le,
    /// `>`
    Gt,
    /// `>=`
    Ge,
    /// `+`
    Add,
    /// `-`
    Sub,
    /// `*`
    Mul,
    /// `/`
    Div,
    /// `MOD`, floored: the result has the sign of the divisor.
    Mod,
    /// `^`, right-associative.
    Pow,
}

/// Binding power levels; higher binds tighter. Shared by the parser and the printer.
pub(crate) mod precedence {
    pub const IF: u8 = 0;
    pub const OR: u8 = 1;
    pub const AND: u8 = 2;
    pub const EQUALITY: u8 = 3;
    pub const RELATIONAL: u8 = 4;
    pub const ADDITIVE: u8 = 5;
    pub const MULTIPLICATIVE: u8 = 6;
    pub const UNARY: u8 = 7;
    pub const POWER: u8 = 8;
    pub const ATOM: u8 = 9;
}

impl BinaryOp {
    /// How tightly the operator binds.
    pub(crate) fn precedence(self) -> u8 {
        use precedence::*;
        match self {
            BinaryOp::Or => OR,
            BinaryOp::And => AND,
            BinaryOp::Eq | BinaryOp::Ne => EQUALITY,
            BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => RELATIONAL,
            BinaryOp::Add | BinaryOp::Sub => ADDITIVE,
            BinaryOp::Mul | BinaryOp::Div | BinaryOp::Mod => MULTIPLICATIVE,
            BinaryOp::Pow => POWER,
        }
    }

    /// Exponentiation groups to the right; everything else to the left.
    pub(crate) fn is_right_associative(self) -> bool {
        self == BinaryOp::Pow
    }

    /// The operator as written.
    pub fn symbol(self) -> &'static str {
        match self {
            BinaryOp::Or => "OR",
            BinaryOp::And => "AND",
            BinaryOp::Eq => "=",
            BinaryOp::Ne => "<>",
            BinaryOp::Lt => "<",
            BinaryOp::Le => "<=",
            BinaryOp::Gt => ">",
            BinaryOp::Ge => ">=",
            BinaryOp::Add => "+",
            BinaryOp::Sub => "-",
            BinaryOp::Mul => "*",
            BinaryOp::Div => "/",
            BinaryOp::Mod => "MOD",
            BinaryOp::Pow => "^",
        }
    }
}

impl Expr {
    /// `lhs op rhs`: a chain when `op` continues one (`lhs` ends in an operator of its
    /// precedence, and both read left to right), a plain binary expression otherwise.
    pub fn join(lhs: Expr, op: BinaryOp, rhs: Expr) -> Expr {
        let span = lhs.span.to(rhs.span);
        let continues = |other: BinaryOp| {
            !op.is_right_associative() && !other.is_right_associative() && other.precedence() == op.precedence()
        };
        let kind = match lhs.kind {
            ExprKind::Chain { first, mut rest } if rest.first().is_some_and(|(other, _)| continues(*other)) => {
                rest.push((op, rhs));
                ExprKind::Chain { first, rest }
            }
            ExprKind::Binary { op: other, lhs: first, rhs: second } if continues(other) => {
                ExprKind::Chain { first, rest: vec![(other, *second), (op, rhs)] }
            }
            kind => ExprKind::Binary { op, lhs: Box::new(Expr { kind, span: lhs.span }), rhs: Box::new(rhs) },
        };
        Expr { kind, span }
    }

    fn precedence(&self) -> u8 {
        match &self.kind {
            ExprKind::Number(value) if value.is_sign_negative() => precedence::UNARY,
            ExprKind::Number(_) | ExprKind::Name(_) | ExprKind::Call { .. } | ExprKind::Subscript { .. } => {
                precedence::ATOM
            }
            ExprKind::Unary { .. } => precedence::UNARY,
            ExprKind::Binary { op, .. } => op.precedence(),
            ExprKind::Chain { rest, .. } => rest.first().map_or(precedence::ATOM, |(op, _)| op.precedence()),
            ExprKind::If { .. } => precedence::IF,
        }
    }

    /// Renames the variables an expression refers to (plain names, subscripted arrays and
    /// called functions, the last with `called` true): `rename` returns the new written name,
    /// or `None` to keep it. Dimension and element names inside subscripts are left alone.
    pub fn rename_variables(&mut self, rename: &mut impl FnMut(&NameRef, bool) -> Option<String>) {
        match &mut self.kind {
            ExprKind::Number(_) => {}
            ExprKind::Name(name) => {
                if let Some(new) = rename(name, false) {
                    *name = NameRef::new(new);
                }
            }
            ExprKind::Subscript { array, indices, .. } => {
                if let Some(new) = rename(array, false) {
                    *array = NameRef::new(new);
                }
                for index in indices {
                    if let Index::Expr(Expr { kind: ExprKind::Name(_), .. }) = index {
                        continue;
                    }
                    if let Index::Expr(expr) = index {
                        expr.rename_variables(rename);
                    }
                }
            }
            ExprKind::Call { function, args, .. } => {
                if let Some(new) = rename(function, true) {
                    *function = NameRef::new(new);
                }
                args.iter_mut().for_each(|arg| arg.rename_variables(rename));
            }
            ExprKind::Unary { operand, .. } => operand.rename_variables(rename),
            ExprKind::Binary { lhs, rhs, .. } => {
                lhs.rename_variables(rename);
                rhs.rename_variables(rename);
            }
            ExprKind::Chain { first, rest } => {
                first.rename_variables(rename);
                rest.iter_mut().for_each(|(_, operand)| operand.rename_variables(rename));
            }
            ExprKind::If { condition, then_branch, else_branch } => {
                condition.rename_variables(rename);
                then_branch.rename_variables(rename);
                else_branch.rename_variables(rename);
            }
        }
    }

    /// Calls `visit` on this expression and every expression inside it, parents first.
    pub fn walk<'a>(&'a self, visit: &mut impl FnMut(&'a Expr)) {
        visit(self);
        match &self.kind {
            ExprKind::Number(_) | ExprKind::Name(_) => {}
            ExprKind::Call { args, .. } => args.iter().for_each(|arg| arg.walk(visit)),
            ExprKind::Subscript { indices, .. } => {
                for index in indices {
                    match index {
                        Index::Expr(expr) => expr.walk(visit),
                        Index::Range { start, end, .. } => {
                            start.walk(visit);
                            end.walk(visit);
                        }
                        Index::Wildcard { .. } | Index::DimensionPosition { .. } => {}
                    }
                }
            }
            ExprKind::Unary { operand, .. } => operand.walk(visit),
            ExprKind::Binary { lhs, rhs, .. } => {
                lhs.walk(visit);
                rhs.walk(visit);
            }
            ExprKind::Chain { first, rest } => {
                first.walk(visit);
                rest.iter().for_each(|(_, operand)| operand.walk(visit));
            }
            ExprKind::If { condition, then_branch, else_branch } => {
                condition.walk(visit);
                then_branch.walk(visit);
                else_branch.walk(visit);
            }
        }
    }
}

/// Writes a number so that parsing it gives back the same bits; `INF` for infinity.
pub fn format_number(value: f64) -> String {
    if value.is_infinite() {
        return if value > 0.0 { "INF".to_owned() } else { "-INF".to_owned() };
    }
    let magnitude = value.abs();
    if magnitude == 0.0 || (1e-5..1e16).contains(&magnitude) { format!("{value}") } else { format!("{value:e}") }
}

/// Prints the expression in the equation language with as few parentheses as keep its meaning.
impl fmt::Display for Expr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write_expr(f, self, true)
    }
}

/// Writes `expr`. `last` says that nothing an operator could continue follows it (only the end, a
/// `)`, `,`, `]`, THEN or ELSE), so that an IF there needs no parentheses: its ELSE branch ends
/// where the text does. Parentheses that are not needed would nest the printed equation deeper
/// than the one it was parsed from, past the parser's limit.
fn write_expr(f: &mut fmt::Formatter<'_>, expr: &Expr, last: bool) -> fmt::Result {
    let open_if = |operand: &Expr| last && matches!(operand.kind, ExprKind::If { .. });
    match &expr.kind {
        ExprKind::Number(value) => f.write_str(&format_number(*value)),
        ExprKind::Name(name) => f.write_str(&equation_form(&name.written)),
        ExprKind::Call { function, args, .. } => {
            write!(f, "{}(", equation_form(&function.written))?;
            for (index, arg) in args.iter().enumerate() {
                if index > 0 {
                    f.write_str(", ")?;
                }
                write_expr(f, arg, true)?;
            }
            f.write_str(")")
        }
        ExprKind::Subscript { array, indices, .. } => {
            write!(f, "{}[", equation_form(&array.written))?;
            for (position, index) in indices.iter().enumerate() {
                if position > 0 {
                    f.write_str(", ")?;
                }
                match index {
                    Index::Expr(expr) => write_expr(f, expr, true)?,
                    Index::Wildcard { dimension: None, .. } => f.write_str("*")?,
                    Index::Wildcard { dimension: Some(dimension), .. } => {
                        write!(f, "*:{}", equation_form(&dimension.written))?
                    }
                    Index::DimensionPosition { position, .. } => write!(f, "@{position}")?,
                    Index::Range { start, end, .. } => {
                        write_expr(f, start, true)?;
                        f.write_str(":")?;
                        write_expr(f, end, true)?;
                    }
                }
            }
            f.write_str("]")
        }
        ExprKind::Unary { op, operand } => {
            f.write_str(match op {
                UnaryOp::Plus => "+",
                UnaryOp::Negate => "-",
                UnaryOp::Not => "NOT ",
            })?;
            // `- -x` and `- -1` must not print as `--x`, which reads as one token elsewhere. A
            // space rather than parentheses, which would nest the equation twice as deep.
            let nested_sign = matches!(operand.kind, ExprKind::Unary { .. })
                || matches!(operand.kind, ExprKind::Number(v) if v.is_sign_negative());
            if nested_sign && !matches!(op, UnaryOp::Not) {
                f.write_str(" ")?;
            }
            write_operand(f, operand, operand.precedence() < precedence::UNARY && !open_if(operand), last)
        }
        ExprKind::Binary { op, lhs, rhs } => {
            let own = op.precedence();
            let (lhs_parens, rhs_parens) = if op.is_right_associative() {
                (lhs.precedence() <= own, rhs.precedence() < own && rhs.precedence() != precedence::UNARY)
            } else {
                (lhs.precedence() < own, rhs.precedence() <= own)
            };
            write_operand(f, lhs, lhs_parens, false)?;
            write!(f, " {} ", op.symbol())?;
            write_operand(f, rhs, rhs_parens && !open_if(rhs), last)
        }
        ExprKind::Chain { first, rest } => {
            let own = expr.precedence();
            write_operand(f, first, first.precedence() < own, false)?;
            for (position, (op, operand)) in rest.iter().enumerate() {
                write!(f, " {} ", op.symbol())?;
                let end = position + 1 == rest.len();
                write_operand(f, operand, operand.precedence() <= own && !(end && open_if(operand)), end && last)?;
            }
            Ok(())
        }
        ExprKind::If { condition, then_branch, else_branch } => {
            f.write_str("IF ")?;
            write_expr(f, condition, true)?;
            f.write_str(" THEN ")?;
            write_expr(f, then_branch, true)?;
            f.write_str(" ELSE ")?;
            write_expr(f, else_branch, last)
        }
    }
}

fn write_operand(f: &mut fmt::Formatter<'_>, operand: &Expr, parenthesize: bool, last: bool) -> fmt::Result {
    if parenthesize {
        f.write_str("(")?;
        write_expr(f, operand, true)?;
        f.write_str(")")
    } else {
        write_expr(f, operand, last)
    }
}
