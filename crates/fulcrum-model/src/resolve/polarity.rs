//! Link and loop polarity from the model's structure: the sign of the partial derivative of a
//! variable's equation with respect to each thing it reads, where the equation fixes that sign.
//!
//! The rules, applied to the resolved expression tree:
//! - a flow is `+` to the stocks it fills and `-` to those it drains;
//! - sums, differences and negation combine the signs of their terms; a sum of terms of opposite
//!   signs is unknown;
//! - products and quotients use the sign of the other factor's value: arithmetic on numbers and
//!   constants alone has the sign of its value (`1 - Win_Rate` is positive for a win rate of
//!   0.25), and any other variable is taken to be positive, as the quantities of a model
//!   usually are;
//! - increasing functions (`EXP`, `LN`, `SQRT`, `INT`, `ARCTAN`, ...) keep the sign, `MIN` and
//!   `MAX` keep it when every argument that reads the source agrees (they never decrease in an
//!   argument), and the branches of `IF THEN ELSE` likewise; a source read in the condition
//!   makes the link unknown;
//! - a graphical function is `+` when its points never fall, `-` when they never rise, and
//!   unknown otherwise;
//! - `PREVIOUS`, `DELAY` and the flows through conveyors and queues pass their input's sign on;
//! - anything else that reads the source is unknown.
//!
//! A loop is reinforcing when its links hold an even number of `-`, balancing when they hold an
//! odd number, and unknown when one link is unknown.

use super::expr::{Expr, Function, VarId};
use super::{ResolvedKind, ResolvedModel};
use crate::syntax::{BinaryOp, UnaryOp};

/// The structural polarity of a causal link.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Polarity {
    /// The target moves with the source.
    Positive,
    /// The target moves against the source.
    Negative,
    /// The structure does not fix the direction.
    Unknown,
}

impl Polarity {
    /// `+`, `-` or `?`.
    pub fn symbol(self) -> char {
        match self {
            Polarity::Positive => '+',
            Polarity::Negative => '-',
            Polarity::Unknown => '?',
        }
    }

    /// The polarity of two links in a row.
    pub fn then(self, next: Polarity) -> Polarity {
        match (self, next) {
            (Polarity::Unknown, _) | (_, Polarity::Unknown) => Polarity::Unknown,
            (a, b) if a == b => Polarity::Positive,
            _ => Polarity::Negative,
        }
    }

    /// The polarity of a link that is one of two things at different times: the same sign, or
    /// unknown.
    pub fn either(self, other: Polarity) -> Polarity {
        if self == other { self } else { Polarity::Unknown }
    }
}

/// The structural polarity of a feedback loop.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum LoopPolarity {
    /// An even number of negative links: the loop amplifies change.
    Reinforcing,
    /// An odd number of negative links: the loop counteracts change.
    Balancing,
    /// A link of the loop has no structural polarity.
    Unknown,
}

impl LoopPolarity {
    /// The polarity of a loop with these links.
    pub fn of_links(links: impl IntoIterator<Item = Polarity>) -> LoopPolarity {
        match links.into_iter().fold(Polarity::Positive, Polarity::then) {
            Polarity::Positive => LoopPolarity::Reinforcing,
            Polarity::Negative => LoopPolarity::Balancing,
            Polarity::Unknown => LoopPolarity::Unknown,
        }
    }

    /// `R`, `B` or `U`, the letter loop names start with.
    pub fn letter(self) -> char {
        match self {
            LoopPolarity::Reinforcing => 'R',
            LoopPolarity::Balancing => 'B',
            LoopPolarity::Unknown => 'U',
        }
    }

    /// `reinforcing`, `balancing` or `unknown`.
    pub fn word(self) -> &'static str {
        match self {
            LoopPolarity::Reinforcing => "reinforcing",
            LoopPolarity::Balancing => "balancing",
            LoopPolarity::Unknown => "unknown",
        }
    }
}

/// A causal link between two of the resolved model's variables.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct CausalLink {
    /// What is read.
    pub from: VarId,
    /// What reads it (a flow's stock, for a flow).
    pub to: VarId,
    /// Its structural polarity.
    pub polarity: Polarity,
}

/// Every causal link between variables that change during a run (constants and graphical
/// functions are left out), hidden variables included, in the order of the reading variables.
pub fn causal_links(model: &ResolvedModel) -> Vec<CausalLink> {
    let mut links = Vec::new();
    for (index, variable) in model.variables.iter().enumerate() {
        let to = VarId::from_index(index);
        match &variable.kind {
            ResolvedKind::Auxiliary(equation) | ResolvedKind::Flow { equation, .. } => {
                let mut sources = Vec::new();
                equation.walk(&mut |node| {
                    for source in read_by(model, node) {
                        if !is_unchanging(model, source) && !sources.contains(&source) {
                            sources.push(source);
                        }
                    }
                });
                for from in sources {
                    links.push(CausalLink { from, to, polarity: link_polarity(model, from, to) });
                }
            }
            ResolvedKind::Stock { inflows, outflows, .. } => {
                for &from in inflows.iter().chain(outflows) {
                    links.push(CausalLink { from, to, polarity: link_polarity(model, from, to) });
                }
            }
            ResolvedKind::Constant(_) | ResolvedKind::GraphicalFunction(_) | ResolvedKind::Undefined => {}
        }
    }
    links
}

/// The structural polarity of the link from `from` to `to`: the sign of the partial derivative of
/// `to`'s equation in `from` where the equation fixes it; for a stock, + from an inflow and -
/// from an outflow.
pub fn link_polarity(model: &ResolvedModel, from: VarId, to: VarId) -> Polarity {
    match &model.variables[to.index()].kind {
        ResolvedKind::Auxiliary(equation) | ResolvedKind::Flow { equation, .. } => {
            derivative(model, equation, from).polarity()
        }
        ResolvedKind::Stock { inflows, outflows, .. } => match (inflows.contains(&from), outflows.contains(&from)) {
            (true, false) => Polarity::Positive,
            (false, true) => Polarity::Negative,
            _ => Polarity::Unknown,
        },
        ResolvedKind::Constant(_) | ResolvedKind::GraphicalFunction(_) | ResolvedKind::Undefined => Polarity::Unknown,
    }
}

/// The variables one node of an expression reads directly: a variable, or the input of the
/// state whose output the node is (a PREVIOUS, a delay line, a queue's or a conveyor's inflows).
pub fn read_by(model: &ResolvedModel, node: &Expr) -> Vec<VarId> {
    match node {
        Expr::Var(source) => vec![*source],
        Expr::Previous(previous) => vec![model.previous[previous.0 as usize].source],
        Expr::Delayed(delay) => vec![model.delays[delay.0 as usize].input],
        Expr::QueueFront(queue) => model.queues[queue.0 as usize].inflows.clone(),
        Expr::Conveyed(conveyor, _) => model.conveyors[conveyor.0 as usize].inflows.clone(),
        _ => Vec::new(),
    }
}

/// Constants, graphical functions and elements without equations never change during a run.
pub(crate) fn is_unchanging(model: &ResolvedModel, id: VarId) -> bool {
    matches!(
        model.variables[id.index()].kind,
        ResolvedKind::Constant(_) | ResolvedKind::GraphicalFunction(_) | ResolvedKind::Undefined
    )
}

/// A sign that may also be zero: what a derivative or a value is known to be.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Sign {
    Zero,
    Positive,
    Negative,
    Unknown,
}

impl Sign {
    fn of(value: f64) -> Sign {
        if value > 0.0 {
            Sign::Positive
        } else if value < 0.0 {
            Sign::Negative
        } else if value == 0.0 {
            Sign::Zero
        } else {
            Sign::Unknown
        }
    }

    fn polarity(self) -> Polarity {
        match self {
            Sign::Positive => Polarity::Positive,
            Sign::Negative => Polarity::Negative,
            Sign::Zero | Sign::Unknown => Polarity::Unknown,
        }
    }

    fn negate(self) -> Sign {
        match self {
            Sign::Positive => Sign::Negative,
            Sign::Negative => Sign::Positive,
            other => other,
        }
    }

    /// The sign of a sum.
    fn plus(self, other: Sign) -> Sign {
        match (self, other) {
            (Sign::Zero, s) | (s, Sign::Zero) => s,
            (a, b) if a == b => a,
            _ => Sign::Unknown,
        }
    }

    /// The sign of a product.
    fn times(self, other: Sign) -> Sign {
        match (self, other) {
            (Sign::Zero, _) | (_, Sign::Zero) => Sign::Zero,
            (Sign::Unknown, _) | (_, Sign::Unknown) => Sign::Unknown,
            (a, b) if a == b => Sign::Positive,
            _ => Sign::Negative,
        }
    }

    /// The sign of something that is one of two things, depending on the moment: a sign and
    /// zero give the sign (the derivative never takes the other direction).
    fn either(self, other: Sign) -> Sign {
        self.plus(other)
    }
}

/// The sign of an expression's value and of its derivative with respect to one variable.
#[derive(Clone, Copy, Debug)]
struct Signs {
    value: Sign,
    derivative: Sign,
}

/// The sign of `∂ equation / ∂ source`.
fn derivative(model: &ResolvedModel, equation: &Expr, source: VarId) -> Sign {
    signs(model, equation, source).derivative
}

fn signs(model: &ResolvedModel, expr: &Expr, source: VarId) -> Signs {
    let constant = |value: Sign| Signs { value, derivative: Sign::Zero };
    // Arithmetic on constants alone has the sign of its value: `1 - Win_Rate` is positive when
    // the win rate is 0.25.
    if let Some(value) = constant_value(model, expr) {
        return constant(Sign::of(value));
    }
    let reads_source = |value: Sign| Signs { value, derivative: Sign::Positive };
    match expr {
        Expr::Const(value) => constant(Sign::of(*value)),
        Expr::Var(id) => {
            let value = match model.variables[id.index()].kind {
                ResolvedKind::Constant(value) => Sign::of(value),
                _ => Sign::Positive,
            };
            if *id == source { reads_source(value) } else { constant(value) }
        }
        Expr::Time | Expr::Dt | Expr::StartTime | Expr::StopTime => constant(Sign::Unknown),
        Expr::Init(_) => constant(Sign::Positive),
        Expr::Unary(op, operand) => {
            let inner = signs(model, operand, source);
            match op {
                UnaryOp::Plus => inner,
                UnaryOp::Negate => Signs { value: inner.value.negate(), derivative: inner.derivative.negate() },
                UnaryOp::Not => opaque(inner.derivative),
            }
        }
        Expr::Binary(op, left, right) => binary(*op, signs(model, left, source), signs(model, right, source)),
        Expr::Chain(first, rest) => rest
            .iter()
            .fold(signs(model, first, source), |acc, (op, operand)| binary(*op, acc, signs(model, operand, source))),
        Expr::If(condition, then, otherwise) => {
            let (condition, then, otherwise) =
                (signs(model, condition, source), signs(model, then, source), signs(model, otherwise, source));
            let derivative = if condition.derivative == Sign::Zero {
                then.derivative.either(otherwise.derivative)
            } else {
                Sign::Unknown
            };
            Signs { value: then.value.either(otherwise.value), derivative }
        }
        Expr::Apply(function, arguments) => {
            let arguments: Vec<Signs> = arguments.iter().map(|argument| signs(model, argument, source)).collect();
            apply(*function, &arguments)
        }
        Expr::Lookup(graph, argument) => {
            let argument = signs(model, argument, source);
            let points = &model.graphs[graph.0 as usize].y;
            let rises = points.windows(2).any(|pair| pair[1] > pair[0]);
            let falls = points.windows(2).any(|pair| pair[1] < pair[0]);
            let slope = match (rises, falls) {
                (false, false) => Sign::Zero,
                (true, false) => Sign::Positive,
                (false, true) => Sign::Negative,
                (true, true) => Sign::Unknown,
            };
            let value = points.iter().fold(Sign::Zero, |sign, &y| sign.plus(Sign::of(y)));
            Signs { value, derivative: argument.derivative.times(slope) }
        }
        // During the run, ACTIVE INITIAL is its active expression.
        Expr::Phased { active, initial } => {
            let running = signs(model, active, source);
            let starting = signs(model, initial, source);
            if running.derivative == Sign::Zero && starting.derivative != Sign::Zero {
                opaque(starting.derivative)
            } else {
                running
            }
        }
        Expr::Previous(previous) => passes(model.previous[previous.0 as usize].source == source),
        Expr::Delayed(delay) => passes(model.delays[delay.0 as usize].input == source),
        Expr::QueueFront(queue) => passes(model.queues[queue.0 as usize].inflows.contains(&source)),
        Expr::Conveyed(conveyor, _) => passes(model.conveyors[conveyor.0 as usize].inflows.contains(&source)),
        other => {
            let mut mentions = false;
            other.walk(&mut |node| mentions |= read_by(model, node).contains(&source));
            Signs { value: Sign::Unknown, derivative: if mentions { Sign::Unknown } else { Sign::Zero } }
        }
    }
}

/// The value of arithmetic on numbers and constants alone; `None` for anything else.
fn constant_value(model: &ResolvedModel, expr: &Expr) -> Option<f64> {
    let arithmetic = |op: BinaryOp, a: f64, b: f64| match op {
        BinaryOp::Add => Some(a + b),
        BinaryOp::Sub => Some(a - b),
        BinaryOp::Mul => Some(a * b),
        BinaryOp::Div => Some(a / b),
        BinaryOp::Pow => Some(a.powf(b)),
        _ => None,
    };
    match expr {
        Expr::Const(value) => Some(*value),
        Expr::Var(id) => match model.variables[id.index()].kind {
            ResolvedKind::Constant(value) => Some(value),
            _ => None,
        },
        Expr::Unary(UnaryOp::Plus, operand) => constant_value(model, operand),
        Expr::Unary(UnaryOp::Negate, operand) => constant_value(model, operand).map(|value| -value),
        Expr::Binary(op, left, right) => arithmetic(*op, constant_value(model, left)?, constant_value(model, right)?),
        Expr::Chain(first, rest) => {
            let mut value = constant_value(model, first)?;
            for (op, operand) in rest {
                value = arithmetic(*op, value, constant_value(model, operand)?)?;
            }
            Some(value)
        }
        _ => None,
    }
}

/// A value that follows its input, delayed: positive, and `+` to the source when it is the input.
fn passes(reads_source: bool) -> Signs {
    Signs { value: Sign::Positive, derivative: if reads_source { Sign::Positive } else { Sign::Zero } }
}

/// Something whose dependence on the source has no fixed direction.
fn opaque(derivative: Sign) -> Signs {
    Signs { value: Sign::Unknown, derivative: if derivative == Sign::Zero { Sign::Zero } else { Sign::Unknown } }
}

fn binary(op: BinaryOp, left: Signs, right: Signs) -> Signs {
    match op {
        BinaryOp::Add => {
            Signs { value: left.value.plus(right.value), derivative: left.derivative.plus(right.derivative) }
        }
        BinaryOp::Sub => Signs {
            value: left.value.plus(right.value.negate()),
            derivative: left.derivative.plus(right.derivative.negate()),
        },
        // (ab)' = a'b + ab'
        BinaryOp::Mul => Signs {
            value: left.value.times(right.value),
            derivative: left.derivative.times(right.value).plus(left.value.times(right.derivative)),
        },
        // (a/b)' = a'/b - ab'/b²
        BinaryOp::Div => Signs {
            value: left.value.times(right.value),
            derivative: left.derivative.times(right.value).plus(left.value.times(right.derivative).negate()),
        },
        // (a^c)' = c a^(c-1) a' for a positive base and an exponent that does not read the source.
        BinaryOp::Pow if right.derivative == Sign::Zero => {
            Signs { value: Sign::Positive, derivative: left.derivative.times(right.value) }
        }
        _ => opaque(left.derivative.plus(right.derivative).plus(if left.derivative == right.derivative {
            Sign::Zero
        } else {
            Sign::Unknown
        })),
    }
}

fn apply(function: Function, arguments: &[Signs]) -> Signs {
    let first = arguments.first().copied().unwrap_or(Signs { value: Sign::Unknown, derivative: Sign::Zero });
    let increasing = |value: Sign| Signs { value, derivative: first.derivative };
    match function {
        Function::Exp => increasing(Sign::Positive),
        Function::Sqrt => increasing(Sign::Positive),
        Function::Ln | Function::Log10 | Function::Arcsin | Function::Sinh | Function::Tanh | Function::Arctan => {
            increasing(first.value)
        }
        Function::Int | Function::Truncate | Function::Round => increasing(first.value),
        Function::Arccos => Signs { value: Sign::Positive, derivative: first.derivative.negate() },
        Function::Min | Function::Max => Signs {
            value: arguments.iter().fold(Sign::Zero, |sign, argument| sign.either(argument.value)),
            derivative: arguments.iter().fold(Sign::Zero, |sign, argument| sign.either(argument.derivative)),
        },
        _ => {
            let any = arguments.iter().any(|argument| argument.derivative != Sign::Zero);
            Signs { value: Sign::Unknown, derivative: if any { Sign::Unknown } else { Sign::Zero } }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::GraphKind;
    use crate::builder::ModelBuilder;
    use crate::resolve;

    /// The polarity of the link from `from` to `to` in a model of one flow `f` into stock `S`,
    /// with the given auxiliaries.
    fn polarity_of(equation: &str, from: &str) -> Polarity {
        let model = ModelBuilder::new(0.0, 1.0, 1.0)
            .stock("S", "1", &["f"], &[])
            .flow("f", equation)
            .aux("a", "S * 2")
            .aux("b", "S + 1")
            .constant("k", 3.0)
            .constant("negative", -2.0)
            .graph("rising", GraphKind::Continuous, &[0.0, 1.0, 2.0], &[0.0, 1.0, 1.0])
            .graph("hump", GraphKind::Continuous, &[0.0, 1.0, 2.0], &[0.0, 1.0, 0.0])
            .build();
        let resolved = resolve(&model).expect("valid");
        let (from, to) = (resolved.lookup(from).expect("from"), resolved.lookup("f").expect("f"));
        let links = causal_links(&resolved);
        links.iter().find(|link| link.from == from && link.to == to).expect("a link").polarity
    }

    #[test]
    fn arithmetic_fixes_the_sign() {
        assert_eq!(polarity_of("a + b", "a"), Polarity::Positive);
        assert_eq!(polarity_of("k - a", "a"), Polarity::Negative);
        assert_eq!(polarity_of("k / a", "a"), Polarity::Negative);
        assert_eq!(polarity_of("negative * a", "a"), Polarity::Negative);
        assert_eq!(polarity_of("a * b / k", "b"), Polarity::Positive);
        assert_eq!(polarity_of("a ^ 2", "a"), Polarity::Positive);
        assert_eq!(polarity_of("-(a - b)", "b"), Polarity::Positive);
        assert_eq!(polarity_of("a - a * a", "a"), Polarity::Unknown);
        // Constants by their values: k is 3, so 1 - k is negative.
        assert_eq!(polarity_of("a * (1 - k)", "a"), Polarity::Negative);
        assert_eq!(polarity_of("a * (k - 1) / (k + negative)", "a"), Polarity::Positive);
    }

    #[test]
    fn functions_and_graphs_by_their_shape() {
        assert_eq!(polarity_of("rising(a)", "a"), Polarity::Positive);
        assert_eq!(polarity_of("rising(k - a)", "a"), Polarity::Negative);
        assert_eq!(polarity_of("hump(a)", "a"), Polarity::Unknown);
        assert_eq!(polarity_of("MAX(0, k - a)", "a"), Polarity::Negative);
        assert_eq!(polarity_of("EXP(a)", "a"), Polarity::Positive);
        assert_eq!(polarity_of("SIN(a)", "a"), Polarity::Unknown);
        assert_eq!(polarity_of("IF a > 1 THEN b ELSE 0", "a"), Polarity::Unknown);
        assert_eq!(polarity_of("IF a > 1 THEN b ELSE 0", "b"), Polarity::Positive);
    }

    #[test]
    fn flows_fill_and_drain_their_stocks() {
        let model = ModelBuilder::new(0.0, 1.0, 1.0)
            .stock("S", "1", &["in"], &["out"])
            .flow("in", "1")
            .flow("out", "S / 2")
            .build();
        let resolved = resolve(&model).expect("valid");
        let id = |name: &str| resolved.lookup(name).expect("known");
        let links = causal_links(&resolved);
        let polarity = |from, to| links.iter().find(|l| l.from == id(from) && l.to == id(to)).map(|l| l.polarity);
        assert_eq!(polarity("in", "S"), Some(Polarity::Positive));
        assert_eq!(polarity("out", "S"), Some(Polarity::Negative));
        assert_eq!(polarity("S", "out"), Some(Polarity::Positive));
        assert_eq!(LoopPolarity::of_links([Polarity::Positive, Polarity::Negative]), LoopPolarity::Balancing);
    }
}
