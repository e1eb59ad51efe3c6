//! Evaluates one variable's equation with chosen input values: how a link's partial change is
//! found. The subset of the language whose value depends only on the current values of what it
//! reads (arithmetic, pure functions, graphical functions, `IF THEN ELSE`); an equation that
//! needs state from earlier steps (`PREVIOUS`, `DELAY`, conveyors, queues, random draws) is
//! refused with the construct named.

use fulcrum_model::GraphKind;
use fulcrum_model::resolve::{Expr, Function};
use fulcrum_model::syntax::{BinaryOp, UnaryOp};
use fulcrum_model::{ResolvedModel, VarId};
use fulcrum_sim::functions;

/// What the evaluator reads besides the equation.
pub(crate) struct Inputs<'a> {
    pub model: &'a ResolvedModel,
    pub time: f64,
    /// Every variable's current value, by `VarId`.
    pub values: &'a [f64],
    /// Every variable's value at the start, for `INIT`.
    pub initial: &'a [f64],
    /// One input read at another value.
    pub replaced: (VarId, f64),
}

impl Inputs<'_> {
    fn var(&self, id: VarId) -> f64 {
        if id == self.replaced.0 { self.replaced.1 } else { self.values[id.index()] }
    }
}

/// The value of `expr`, or the name of the construct that cannot be evaluated alone.
pub(crate) fn evaluate(expr: &Expr, inputs: &Inputs) -> Result<f64, &'static str> {
    let eval = |e: &Expr| evaluate(e, inputs);
    Ok(match expr {
        Expr::Const(value) => *value,
        Expr::Var(id) => inputs.var(*id),
        Expr::Time => inputs.time,
        Expr::Dt => inputs.model.sim.dt,
        Expr::StartTime => inputs.model.sim.start,
        Expr::StopTime => inputs.model.sim.stop,
        Expr::Init(id) => inputs.initial[id.index()],
        Expr::Unary(op, operand) => {
            let value = eval(operand)?;
            match op {
                UnaryOp::Plus => value,
                UnaryOp::Negate => -value,
                UnaryOp::Not => functions::truth(value == 0.0),
            }
        }
        Expr::Binary(op, left, right) => binary(*op, eval(left)?, eval(right)?),
        Expr::Chain(first, rest) => {
            let mut value = eval(first)?;
            for (op, operand) in rest {
                value = binary(*op, value, eval(operand)?);
            }
            value
        }
        Expr::If(condition, then, otherwise) => {
            if eval(condition)? != 0.0 {
                eval(then)?
            } else {
                eval(otherwise)?
            }
        }
        Expr::Apply(function, arguments) => {
            let values = arguments.iter().map(eval).collect::<Result<Vec<f64>, _>>()?;
            apply(*function, &values, inputs)
        }
        Expr::Lookup(graph, argument) => {
            let graph = &inputs.model.graphs[graph.0 as usize];
            lookup(graph.kind, &graph.x, &graph.y, eval(argument)?)
        }
        // After the initial values, ACTIVE INITIAL is its active expression.
        Expr::Phased { active, .. } => eval(active)?,
        Expr::Previous(_) => return Err("PREVIOUS"),
        Expr::Delayed(_) => return Err("DELAY"),
        Expr::Conveyed(..) => return Err("a conveyor"),
        Expr::QueueFront(_) | Expr::QueueBatches { .. } => return Err("a queue"),
        Expr::Random(..) | Expr::RandomLookup(..) => return Err("a random draw"),
        Expr::History(..) => return Err("HISTORY"),
        _ => return Err("a built-in that reads several elements or earlier steps"),
    })
}

fn binary(op: BinaryOp, a: f64, b: f64) -> f64 {
    match op {
        BinaryOp::Or => functions::truth(a != 0.0 || b != 0.0),
        BinaryOp::And => functions::truth(a != 0.0 && b != 0.0),
        BinaryOp::Eq => functions::truth(functions::approx_eq(a, b)),
        BinaryOp::Ne => functions::truth(!functions::approx_eq(a, b)),
        BinaryOp::Lt => functions::truth(a < b),
        BinaryOp::Le => functions::truth(a <= b),
        BinaryOp::Gt => functions::truth(a > b),
        BinaryOp::Ge => functions::truth(a >= b),
        BinaryOp::Add => a + b,
        BinaryOp::Sub => a - b,
        BinaryOp::Mul => a * b,
        BinaryOp::Div => a / b,
        BinaryOp::Mod => functions::floored_mod(a, b),
        BinaryOp::Pow => a.powf(b),
    }
}

fn apply(function: Function, args: &[f64], inputs: &Inputs) -> f64 {
    let arg = |index: usize| args.get(index).copied().unwrap_or(f64::NAN);
    let (time, dt) = (inputs.time, inputs.model.sim.dt);
    match function {
        Function::Abs => arg(0).abs(),
        Function::Exp => arg(0).exp(),
        Function::Ln => arg(0).ln(),
        Function::Log10 => arg(0).log10(),
        Function::Sqrt => arg(0).sqrt(),
        Function::Sin => arg(0).sin(),
        Function::Cos => arg(0).cos(),
        Function::Tan => arg(0).tan(),
        Function::Arcsin => arg(0).asin(),
        Function::Arccos => arg(0).acos(),
        Function::Arctan => arg(0).atan(),
        Function::Sinh => arg(0).sinh(),
        Function::Cosh => arg(0).cosh(),
        Function::Tanh => arg(0).tanh(),
        Function::Int => arg(0).floor(),
        Function::Truncate => arg(0).trunc(),
        Function::Round => arg(0).round(),
        Function::Sign => functions::sign(arg(0)),
        Function::Remainder => arg(0) - arg(1) * (arg(0) / arg(1)).trunc(),
        Function::Min => args.iter().copied().fold(f64::INFINITY, f64::min),
        Function::Max => args.iter().copied().fold(f64::NEG_INFINITY, f64::max),
        Function::SafeDiv => {
            if arg(1) == 0.0 {
                args.get(2).copied().unwrap_or(0.0)
            } else {
                arg(0) / arg(1)
            }
        }
        Function::Step => functions::step(time, dt, arg(0), arg(1)),
        Function::Ramp => functions::ramp(time, arg(0), arg(1), args.get(2).copied().unwrap_or(f64::INFINITY)),
        Function::Pulse => functions::pulse(time, dt, arg(0), arg(1), args.get(2).copied().unwrap_or(0.0)),
        Function::PulseTrain => functions::pulse_train(time, dt, arg(0), arg(1), arg(2), arg(3)),
        Function::Quantum => functions::quantum(arg(0), arg(1)),
        Function::GammaLn => functions::gamma_ln(arg(0)),
        Function::NormalCdf => functions::normal_cdf(arg(0)),
        Function::NormalQuantile => functions::normal_quantile(arg(0)),
        Function::Calendar(calendar, field) => fulcrum_model::calendar::field(calendar, field, arg(0)),
    }
}

/// A graphical function read at `x`, as the simulator reads it.
pub(crate) fn lookup(kind: GraphKind, xs: &[f64], ys: &[f64], x: f64) -> f64 {
    let (Some(&first_x), Some(&last_x)) = (xs.first(), xs.last()) else { return f64::NAN };
    let (first_y, last_y) = (ys[0], ys[ys.len() - 1]);
    if x.is_nan() {
        return f64::NAN;
    }
    let line = |i: usize, x: f64| ys[i] + (ys[i + 1] - ys[i]) * (x - xs[i]) / (xs[i + 1] - xs[i]);
    if x <= first_x {
        return if kind == GraphKind::Extrapolate && xs.len() > 1 && x < first_x { line(0, x) } else { first_y };
    }
    if x >= last_x {
        let n = xs.len();
        return if kind == GraphKind::Extrapolate && n > 1 && x > last_x { line(n - 2, x) } else { last_y };
    }
    // The segment [xs[i], xs[i + 1]) holding x.
    let i = xs.partition_point(|&point| point <= x) - 1;
    match kind {
        GraphKind::Discrete => ys[i],
        GraphKind::Continuous | GraphKind::Extrapolate => line(i, x),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn graphs_read_between_and_beyond_their_points() {
        let (xs, ys) = ([0.0, 1.0, 2.0], [0.0, 10.0, 30.0]);
        assert_eq!(lookup(GraphKind::Continuous, &xs, &ys, 0.5), 5.0);
        assert_eq!(lookup(GraphKind::Continuous, &xs, &ys, 1.5), 20.0);
        assert_eq!(lookup(GraphKind::Continuous, &xs, &ys, 3.0), 30.0);
        assert_eq!(lookup(GraphKind::Continuous, &xs, &ys, -1.0), 0.0);
        assert_eq!(lookup(GraphKind::Extrapolate, &xs, &ys, 3.0), 50.0);
        assert_eq!(lookup(GraphKind::Discrete, &xs, &ys, 1.5), 10.0);
    }
}
