//! Dimensional analysis of a model's equations.
//!
//! Each equation's units are worked out from the units of what it names and the rules of its
//! operators and built-ins, and compared with the units declared for its variable; each stock's
//! flows are compared with the stock's units per unit of time. A value whose units are not known
//! (a variable declared without units, or a number written in an equation) is polymorphic, as
//! Vensim and Stella treat it: it takes whatever units its neighbours need, so it never causes a
//! mismatch. A number multiplies and divides as a dimensionless scale. The equation of a
//! variable without units is not checked itself; its units are worked out where others use it.

use std::collections::HashMap;

use crate::builtins::Builtin;
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::model::{Equation, Model, Variable, VariableKind};
use crate::name::CanonicalName;
use crate::syntax::{BinaryOp, Expr, ExprKind, Span, UnaryOp};

use super::{Exponent, Unit, UnitTable};

/// The units of an expression as far as they are known.
#[derive(Clone, Debug, PartialEq)]
enum Units {
    /// Known units.
    Known(Unit),
    /// A number written in the equation: any units where units must agree, a dimensionless
    /// scale where they combine.
    Number,
    /// Not known: a variable without units, or an expression that involves one. Agrees with
    /// anything and combines into not known.
    Unknown,
}

/// Checks the units of every equation of a model and of each stock's flows. Every finding is a
/// warning: [`Code::UnitMismatch`] where units disagree, [`Code::UnitSyntax`] where a unit
/// expression or definition cannot be read.
pub fn check(model: &Model) -> Diagnostics {
    let (mut table, problems) = UnitTable::new(&model.unit_definitions);
    let mut diagnostics = Diagnostics::default();
    for (index, problem) in problems {
        let definition = model.unit_definitions.get(index);
        diagnostics.push(
            Diagnostic::new(
                Code::UnitSyntax,
                format!(
                    "the unit definition `{}` cannot be used: {problem}",
                    definition.map_or("", |d| d.name.as_str())
                ),
            )
            .at(definition.and_then(|d| d.span))
            .with_help("unit definitions are unit expressions such as `people/year`, and may not refer to themselves"),
        );
    }
    let time = match model.sim.time_units.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        Some(text) => match table.parse(text) {
            Ok(unit) => Some(unit),
            Err(problem) => {
                diagnostics.push(
                    Diagnostic::new(Code::UnitSyntax, format!("the time unit `{text}` cannot be read: {problem}"))
                        .at(model.sim.spans.dt.or(model.sim.spans.start))
                        .with_help("write the time unit as a unit name, such as `months`"),
                );
                None
            }
        },
        None => None,
    };
    // Stella's models write `time` in units for the model's time unit (`person/time`).
    table.time = time.clone();
    let mut checker = Checker {
        model,
        index: model.variables.iter().enumerate().map(|(i, v)| (v.canonical.clone(), i)).collect(),
        declared: Vec::new(),
        inferred: HashMap::new(),
        time,
        diagnostics,
        table,
    };
    checker.declared = model.variables.iter().map(|variable| checker.declared_units(variable)).collect();
    for index in 0..model.variables.len() {
        checker.check_variable(index);
    }
    for index in 0..model.variables.len() {
        checker.check_flows(index);
    }
    checker.diagnostics.sort();
    checker.diagnostics
}

struct Checker<'a> {
    model: &'a Model,
    table: UnitTable,
    index: HashMap<CanonicalName, usize>,
    /// Each variable's declared units, if it declares units that can be read.
    declared: Vec<Option<Unit>>,
    /// The units worked out for variables without declared units: `None` while being worked
    /// out (a cycle through them gives unknown units).
    inferred: HashMap<usize, Option<Units>>,
    /// The model's time unit, if it has one that can be read.
    time: Option<Unit>,
    diagnostics: Diagnostics,
}

/// The equation being checked, for messages.
#[derive(Clone, Copy)]
struct Context<'a> {
    variable: &'a str,
    equation: &'a Equation,
    /// Whether to report what is wrong (false while working out a variable's units for another,
    /// and in the equation of a variable without units).
    report: bool,
}

/// An operand as a message shows it: printed from the parse, since not every reader keeps the
/// equation's text with the parse's positions in it.
#[derive(Clone, Copy)]
enum Shown<'e> {
    /// An expression.
    Expr(&'e Expr),
    /// The left part of a chain of one precedence: its first operand and the operators after it.
    Prefix(&'e Expr, &'e [(BinaryOp, Expr)]),
    /// `a / b`, as SAFEDIV, XIDZ and ZIDZ compute it.
    Quotient(&'e Expr, &'e Expr),
}

impl Shown<'_> {
    fn text(self) -> String {
        match self {
            Shown::Expr(expr) => expr.to_string(),
            Shown::Prefix(first, []) => first.to_string(),
            Shown::Prefix(first, rest) => {
                let kind = ExprKind::Chain { first: Box::new(first.clone()), rest: rest.to_vec() };
                Expr { kind, span: self.span() }.to_string()
            }
            Shown::Quotient(a, b) => format!("{a} / {b}"),
        }
    }

    fn span(self) -> Span {
        match self {
            Shown::Expr(expr) => expr.span,
            Shown::Prefix(first, rest) => first.span.to(rest.last().map_or(first.span, |(_, e)| e.span)),
            Shown::Quotient(a, b) => a.span.to(b.span),
        }
    }
}

/// An equation's text as printed from its parse, or as written where it does not parse.
fn equation_text(equation: &Equation) -> String {
    match &equation.expr {
        Ok(expr) => expr.to_string(),
        Err(_) => equation.text.trim().to_owned(),
    }
}

impl Checker<'_> {
    fn declared_units(&mut self, variable: &Variable) -> Option<Unit> {
        let text = variable.units.as_deref().map(str::trim).filter(|text| !text.is_empty())?;
        match self.table.parse(text) {
            Ok(unit) => Some(unit),
            Err(problem) => {
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::UnitSyntax,
                        format!("the units `{text}` of `{}` cannot be read: {problem}", variable.name),
                    )
                    .at(variable.span)
                    .on_variable(&variable.name)
                    .with_help("units are names joined by `*` and `/`, with `^` for powers and `1` for none"),
                );
                None
            }
        }
    }

    /// Checks a variable's equations (each element's too) against its declared units.
    fn check_variable(&mut self, index: usize) {
        let model = self.model;
        let Some(variable) = model.variables.get(index) else { return };
        let declared = self.declared.get(index).cloned().flatten();
        // An embedded graphical function's equation is its input: its units are the x axis's,
        // which no file declares; the variable's units are the y axis's.
        let output = declared.clone().filter(|_| variable.graph.is_none());
        let equations = variable
            .equation
            .iter()
            .chain(variable.elements.iter().filter(|e| e.graph.is_none()).filter_map(|e| e.equation.as_ref()));
        for equation in equations {
            let Ok(expr) = &equation.expr else { continue };
            // A variable without units is polymorphic: its own equation is not checked.
            let context = Context { variable: &variable.name, equation, report: declared.is_some() };
            let found = self.infer(expr, context);
            if let (Some(declared), Units::Known(found)) = (&output, &found)
                && declared != found
            {
                let what = match variable.kind {
                    VariableKind::Stock { .. } => "its initial value",
                    _ => "its equation",
                };
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::UnitMismatch,
                        format!(
                            "`{}` is declared in {declared}, but {what} `{}` is in {found}",
                            variable.name,
                            equation_text(equation)
                        ),
                    )
                    .at(equation.origin.span.or(variable.span))
                    .labelled(format!("this is in {found}"))
                    .on_variable(&variable.name)
                    .with_help(format!(
                        "make the equation come out in {declared}, or correct the units of `{}`",
                        variable.name
                    )),
                );
            }
        }
    }

    /// Checks that each flow of a stock is in the stock's units per unit of time.
    fn check_flows(&mut self, index: usize) {
        let model = self.model;
        let Some(stock) = model.variables.get(index) else { return };
        let VariableKind::Stock { inflows, outflows, .. } = &stock.kind else { return };
        let (Some(Some(stock_units)), Some(time)) = (self.declared.get(index).cloned(), self.time.clone()) else {
            return;
        };
        let Some(expected) = stock_units.divided_by(&time) else { return };
        for link in inflows.iter().chain(outflows) {
            let Some(&flow_index) = self.index.get(&link.canonical) else { continue };
            let Units::Known(found) = self.variable_units(flow_index) else { continue };
            if found == expected {
                continue;
            }
            let flow = &model.variables[flow_index];
            let declared = self.declared.get(flow_index).is_some_and(Option::is_some);
            let how = if declared { "is declared in" } else { "comes out in" };
            self.diagnostics.push(
                Diagnostic::new(
                    Code::UnitMismatch,
                    format!(
                        "the flow `{}` of the stock `{}` {how} {found}, but the stock's units per time unit \
                         are {expected}",
                        flow.name, stock.name
                    ),
                )
                .at(link.span.or(flow.equation.as_ref().and_then(|e| e.origin.span)).or(flow.span))
                .labelled(format!("this flow is in {found}"))
                .on_variable(&flow.name)
                .with_related(stock.span, format!("the stock is in {stock_units}"))
                .with_help(format!(
                    "a flow changes its stock by so much per {time}: give `{}` the units {expected}",
                    flow.name
                )),
            );
        }
    }

    /// A variable's units: declared, or worked out from its equation when it declares none.
    fn variable_units(&mut self, index: usize) -> Units {
        if let Some(Some(unit)) = self.declared.get(index) {
            return Units::Known(unit.clone());
        }
        match self.inferred.get(&index) {
            Some(Some(units)) => return units.clone(),
            Some(None) => return Units::Unknown,
            None => {}
        }
        let model = self.model;
        let Some(variable) = model.variables.get(index) else { return Units::Unknown };
        let declares = variable.units.as_deref().is_some_and(|text| !text.trim().is_empty());
        let inferable = !declares
            && variable.graph.is_none()
            && variable.elements.is_empty()
            && matches!(variable.kind, VariableKind::Auxiliary | VariableKind::Flow { .. });
        let Some(equation) = variable.equation.as_ref().filter(|_| inferable) else { return Units::Unknown };
        let Ok(expr) = &equation.expr else { return Units::Unknown };
        self.inferred.insert(index, None);
        let context = Context { variable: &variable.name, equation, report: false };
        let found = match self.infer(expr, context) {
            // A number alone is polymorphic, as a variable without units.
            Units::Number => Units::Unknown,
            other => other,
        };
        self.inferred.insert(index, Some(found.clone()));
        found
    }

    fn mismatch(&mut self, context: Context<'_>, span: Span, message: String, help: &str) {
        if !context.report {
            return;
        }
        self.diagnostics.push(
            Diagnostic::new(
                Code::UnitMismatch,
                format!("in `{}` = `{}`: {message}", context.variable, equation_text(context.equation)),
            )
            .at(context.equation.locate(span))
            .on_variable(context.variable)
            .with_help(help),
        );
    }

    /// The units of operands that must agree (`+`, `-`, comparisons, MIN, IF THEN ELSE's
    /// branches): the known units they share, or unknown after reporting a disagreement.
    fn agree(&mut self, context: Context<'_>, operands: &[(Units, Shown<'_>)]) -> Units {
        let mut first: Option<(&Unit, Shown<'_>)> = None;
        let mut unknown = false;
        for (units, shown) in operands {
            match units {
                Units::Known(unit) => match first {
                    None => first = Some((unit, *shown)),
                    Some((reference, reference_shown)) if reference != unit => {
                        let message = format!(
                            "`{}` is in {reference} but `{}` is in {unit}",
                            reference_shown.text(),
                            shown.text()
                        );
                        let span = reference_shown.span().to(shown.span());
                        self.mismatch(
                            context,
                            span,
                            message,
                            "only values in the same units can be added, subtracted, compared or chosen between",
                        );
                        return Units::Unknown;
                    }
                    Some(_) => {}
                },
                Units::Unknown => unknown = true,
                Units::Number => {}
            }
        }
        match first {
            Some((unit, _)) => Units::Known(unit.clone()),
            None if unknown => Units::Unknown,
            None => Units::Number,
        }
    }

    /// Reports an argument that should be in `expected` (a time, a dimensionless number), and
    /// says whether it was in other units.
    fn expect(
        &mut self,
        context: Context<'_>,
        found: &Units,
        shown: Shown<'_>,
        expected: Option<&Unit>,
        role: &str,
    ) -> bool {
        let (Units::Known(found), Some(expected)) = (found, expected) else { return false };
        if found == expected {
            return false;
        }
        let message = format!("{role} `{}` is in {found}, not {expected}", shown.text());
        self.mismatch(context, shown.span(), message, "give the argument the units the function needs");
        true
    }

    fn combine(
        &mut self,
        context: Context<'_>,
        op: BinaryOp,
        lhs: (Units, Shown<'_>),
        rhs: (Units, Shown<'_>),
        rhs_expr: &Expr,
    ) -> Units {
        use Units::{Known, Number, Unknown};
        match op {
            BinaryOp::Add | BinaryOp::Sub | BinaryOp::Mod => self.agree(context, &[lhs, rhs]),
            BinaryOp::Eq | BinaryOp::Ne | BinaryOp::Lt | BinaryOp::Le | BinaryOp::Gt | BinaryOp::Ge => {
                self.agree(context, &[lhs, rhs]);
                Number
            }
            BinaryOp::And | BinaryOp::Or => Number,
            BinaryOp::Mul | BinaryOp::Div => {
                let divide = op == BinaryOp::Div;
                match (lhs.0, rhs.0) {
                    (Unknown, _) | (_, Unknown) => Unknown,
                    (Number, Number) => Number,
                    (Known(unit), Number) => Known(unit),
                    (Number, Known(unit)) if divide => unit.power(Exponent::whole(-1)).map_or(Unknown, Known),
                    (Number, Known(unit)) => Known(unit),
                    (Known(a), Known(b)) => {
                        let product = if divide { a.divided_by(&b) } else { a.times(&b) };
                        product.map_or(Unknown, Known)
                    }
                }
            }
            BinaryOp::Pow => {
                if let Known(exponent_units) = &rhs.0
                    && !exponent_units.is_dimensionless()
                {
                    let message = format!("the exponent `{}` is in {exponent_units}", rhs.1.text());
                    self.mismatch(context, rhs.1.span(), message, "an exponent must be a dimensionless number");
                    return Unknown;
                }
                match lhs.0 {
                    Known(base) if !base.is_dimensionless() => {
                        match self.constant_value(rhs_expr).and_then(Exponent::of_number) {
                            Some(exponent) => base.power(exponent).map_or(Unknown, Known),
                            None => {
                                let message = format!(
                                    "`{}` is in {base} and is raised to `{}`, which is not a constant whole number \
                                     or simple fraction",
                                    lhs.1.text(),
                                    rhs.1.text()
                                );
                                self.mismatch(
                                    context,
                                    lhs.1.span().to(rhs.1.span()),
                                    message,
                                    "a value with units can only be raised to a constant power such as 2, -1 or 1/2",
                                );
                                Unknown
                            }
                        }
                    }
                    other => other,
                }
            }
        }
    }

    fn infer(&mut self, expr: &Expr, context: Context<'_>) -> Units {
        match &expr.kind {
            ExprKind::Number(_) => Units::Number,
            ExprKind::Name(name) => self.name_units(&name.canonical),
            ExprKind::Subscript { array, indices, .. } => {
                for index in indices {
                    if let crate::syntax::Index::Expr(inner) = index {
                        // Element positions computed by an expression are checked inside.
                        if !matches!(inner.kind, ExprKind::Name(_) | ExprKind::Number(_)) {
                            self.infer(inner, context);
                        }
                    }
                }
                match self.index.get(&array.canonical) {
                    Some(&index) => self.variable_units(index),
                    None => Units::Unknown,
                }
            }
            ExprKind::Unary { op, operand } => {
                let units = self.infer(operand, context);
                match op {
                    UnaryOp::Not => Units::Number,
                    UnaryOp::Plus | UnaryOp::Negate => units,
                }
            }
            ExprKind::Binary { op, lhs, rhs } => {
                let left = (self.infer(lhs, context), Shown::Expr(lhs));
                let right = (self.infer(rhs, context), Shown::Expr(rhs));
                self.combine(context, *op, left, right, rhs)
            }
            ExprKind::Chain { first, rest } => {
                let mut units = self.infer(first, context);
                for (index, (op, operand)) in rest.iter().enumerate() {
                    let right = (self.infer(operand, context), Shown::Expr(operand));
                    let left = Shown::Prefix(first, rest.get(..index).unwrap_or(&[]));
                    units = self.combine(context, *op, (units, left), right, operand);
                }
                units
            }
            ExprKind::If { condition, then_branch, else_branch } => {
                self.infer(condition, context);
                let then_units = (self.infer(then_branch, context), Shown::Expr(then_branch));
                let else_units = (self.infer(else_branch, context), Shown::Expr(else_branch));
                self.agree(context, &[then_units, else_units])
            }
            ExprKind::Call { function, args, .. } => self.call(context, &function.canonical, args),
        }
    }

    fn name_units(&mut self, name: &CanonicalName) -> Units {
        if let Some(&index) = self.index.get(name) {
            return self.variable_units(index);
        }
        match Builtin::from_name(name) {
            Some(Builtin::Time | Builtin::Dt | Builtin::StartTime | Builtin::StopTime) => self.time_units(),
            Some(Builtin::Pi | Builtin::Inf) => Units::Number,
            _ => Units::Unknown,
        }
    }

    fn time_units(&self) -> Units {
        self.time.clone().map_or(Units::Unknown, Units::Known)
    }

    fn call(&mut self, context: Context<'_>, function: &CanonicalName, args: &[Expr]) -> Units {
        let units: Vec<(Units, Shown<'_>)> =
            args.iter().map(|arg| (self.infer(arg, context), Shown::Expr(arg))).collect();
        let arg = |i: usize| units.get(i).cloned();
        let first = || arg(0).map_or(Units::Unknown, |(units, _)| units);
        if let Some(&index) = self.index.get(function) {
            // A graphical function called by name gives its y axis's units.
            return self.variable_units(index);
        }
        let Some(builtin) = Builtin::from_name(function) else { return Units::Unknown };
        let time = self.time.clone();
        let expect_time = |checker: &mut Self, i: usize, role: &str| {
            if let Some((found, shown)) = arg(i) {
                checker.expect(context, &found, shown, time.as_ref(), role);
            }
        };
        use Builtin as B;
        match builtin {
            B::Abs | B::Int | B::Round | B::Sum | B::Mean | B::Vmin | B::Vmax | B::Stddev | B::Init => first(),
            B::Quantum => self.agree(context, &units),
            B::Sign | B::Size | B::Elmcount => Units::Number,
            B::PulseTrain => {
                for i in 0..4 {
                    expect_time(self, i, "the time");
                }
                Units::Number
            }
            B::Exp
            | B::Ln
            | B::Log10
            | B::Log
            | B::Sin
            | B::Cos
            | B::Tan
            | B::Arcsin
            | B::Arccos
            | B::Arctan
            | B::Sinh
            | B::Cosh
            | B::Tanh
            | B::GammaLn => {
                let dimensionless = Unit::dimensionless();
                let name = function.as_str().to_uppercase();
                let mut wrong = false;
                for (found, shown) in units.iter().take(1) {
                    let role = format!("the argument of {name}");
                    wrong |= self.expect(context, found, *shown, Some(&dimensionless), &role);
                }
                match first() {
                    // After a wrong argument the result's units are not known, so that one
                    // mistake is reported once.
                    Units::Known(_) if wrong => Units::Unknown,
                    Units::Known(_) => Units::Known(dimensionless),
                    other => other,
                }
            }
            B::Sqrt => match first() {
                Units::Known(unit) => {
                    unit.power(Exponent { numerator: 1, denominator: 2 }).map_or(Units::Unknown, Units::Known)
                }
                other => other,
            },
            B::Min | B::Max | B::Modulo => self.agree(context, &units),
            B::Random | B::Uniform | B::Normal => self.agree(context, units.get(..2).unwrap_or(&units)),
            B::Triangular => self.agree(context, units.get(..3).unwrap_or(&units)),
            B::RandomNormal => self.agree(context, units.get(..4).unwrap_or(&units)),
            B::IfThenElse | B::SampleIfTrue => self.agree(context, units.get(1..).unwrap_or(&[])),
            B::ActiveInitial | B::Previous => self.agree(context, &units),
            B::SafeDiv | B::Xidz | B::Zidz => {
                let (Some(dividend), Some(divisor)) = (args.first(), args.get(1)) else { return Units::Unknown };
                let divisor_units = arg(1).map_or(Units::Unknown, |(units, _)| units);
                let quotient = self.combine(
                    context,
                    BinaryOp::Div,
                    (first(), Shown::Expr(dividend)),
                    (divisor_units, Shown::Expr(divisor)),
                    divisor,
                );
                match arg(2) {
                    Some(fallback) => self.agree(context, &[(quotient, Shown::Quotient(dividend, divisor)), fallback]),
                    None => quotient,
                }
            }
            B::Time | B::Dt | B::StartTime | B::StopTime => self.time_units(),
            B::Step => {
                expect_time(self, 1, "the step time");
                first()
            }
            B::Ramp => {
                expect_time(self, 1, "the start time");
                expect_time(self, 2, "the end time");
                match (first(), time) {
                    (Units::Known(slope), Some(time)) => slope.times(&time).map_or(Units::Unknown, Units::Known),
                    _ => Units::Unknown,
                }
            }
            B::Lookup | B::LookupExtrapolate | B::LookupForward | B::LookupBackward => match args.first() {
                Some(Expr { kind: ExprKind::Name(name), .. }) => match self.index.get(&name.canonical) {
                    Some(&index) => self.variable_units(index),
                    None => Units::Unknown,
                },
                _ => Units::Unknown,
            },
            B::Smth1 | B::Smth3 | B::Delay1 | B::Delay3 | B::Delay | B::DelayFixed | B::DelayInformation => {
                expect_time(self, 1, "the delay time");
                let compared: Vec<(Units, Shown<'_>)> = [arg(0), arg(2)].into_iter().flatten().collect();
                self.agree(context, &compared)
            }
            B::SmthN | B::DelayN => {
                expect_time(self, 1, "the delay time");
                let compared: Vec<(Units, Shown<'_>)> = [arg(0), arg(3)].into_iter().flatten().collect();
                self.agree(context, &compared)
            }
            B::DelayMaterial => {
                expect_time(self, 1, "the delay time");
                let compared: Vec<(Units, Shown<'_>)> = [arg(0), arg(2), arg(3)].into_iter().flatten().collect();
                self.agree(context, &compared)
            }
            B::Trend => {
                expect_time(self, 1, "the averaging time");
                let rate = time.and_then(|t| t.power(Exponent::whole(-1)));
                if let Some((initial, shown)) = arg(2) {
                    self.expect(context, &initial, shown, rate.as_ref(), "the initial trend");
                }
                rate.map_or(Units::Unknown, Units::Known)
            }
            B::Forcst => {
                expect_time(self, 1, "the averaging time");
                expect_time(self, 2, "the horizon");
                first()
            }
            // Pulses (a magnitude per DT in XMILE), random draws of other families, financial
            // and array functions: their units are not worked out.
            _ => Units::Unknown,
        }
    }

    /// The value of an expression made only of numbers and constants, if it is one (an exponent
    /// such as `2`, `-1`, `1/3` or a constant's name).
    fn constant_value(&self, expr: &Expr) -> Option<f64> {
        match &expr.kind {
            ExprKind::Number(value) => Some(*value),
            ExprKind::Name(name) => {
                self.index.get(&name.canonical).and_then(|&i| self.model.variables.get(i)?.constant_value())
            }
            ExprKind::Unary { op: UnaryOp::Negate, operand } => self.constant_value(operand).map(|v| -v),
            ExprKind::Unary { op: UnaryOp::Plus, operand } => self.constant_value(operand),
            ExprKind::Binary { op, lhs, rhs } => {
                let (a, b) = (self.constant_value(lhs)?, self.constant_value(rhs)?);
                match op {
                    BinaryOp::Add => Some(a + b),
                    BinaryOp::Sub => Some(a - b),
                    BinaryOp::Mul => Some(a * b),
                    BinaryOp::Div if b != 0.0 => Some(a / b),
                    _ => None,
                }
            }
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use super::check;
    use crate::diagnostic::{Code, LineIndex};

    fn findings(text: &str) -> Vec<(Code, String)> {
        let (model, diagnostics) = crate::native::read(text).unwrap();
        assert!(diagnostics.0.is_empty(), "{diagnostics:?}");
        check(&model).0.into_iter().map(|d| (d.code, d.message)).collect()
    }

    const SIM: &str = "[sim]\nstart = 0\nstop = 10\ndt = 1\ntime_units = \"Months\"\n";

    #[test]
    fn a_consistent_model_has_no_findings() {
        let text = format!(
            "{SIM}
[[unit]]
name = \"FTE\"
equation = \"person\"

[[stock]]
name = \"Staff\"
initial = \"Target * 0.5\"
inflows = [\"Hiring\"]
outflows = [\"Quits\"]
units = \"People\"

[[flow]]
name = \"Hiring\"
equation = \"MAX(0, (Target - Staff) / Adjustment_Time + 2) + STEP(5, 3) + Pulse_Size\"
units = \"persons/month\"

[[flow]]
name = \"Quits\"
equation = \"SMTH1(Staff * Quit_Rate, Adjustment_Time, 0) * Effect(Staff / Target)\"

[[auxiliary]]
name = \"Pulse Size\"
equation = \"PULSE(3, 2)\"

[[constant]]
name = \"Target\"
value = 20
units = \"FTE\"

[[constant]]
name = \"Adjustment Time\"
value = 3
units = \"mo\"

[[constant]]
name = \"Quit Rate\"
value = 0.1
units = \"per month\"

[[graphical_function]]
name = \"Effect\"
x = [0, 2]
y = [0, 2]
units = \"1\"

[[auxiliary]]
name = \"Side\"
equation = \"SQRT(Area) + Area ^ 0.5 + (Area ^ 2 / Area) ^ (1 / 2) + IF TIME > Adjustment_Time THEN 1 ELSE Untyped\"
units = \"m\"

[[constant]]
name = \"Area\"
value = 4
units = \"m^2\"

[[constant]]
name = \"Untyped\"
value = 4

[[auxiliary]]
name = \"Decay\"
equation = \"EXP(-TIME / Adjustment_Time) * LN(Staff / Target) + Untyped * Staff\"
units = \"dimensionless\"
"
        );
        let found = findings(&text);
        // `Untyped * Staff` is unknown: it never causes a finding.
        assert!(found.is_empty(), "{found:#?}");
    }

    #[test]
    fn the_issue_example_is_found() {
        let text = format!(
            "{SIM}[[stock]]\nname = \"S\"\ninitial = 1\ninflows = [\"f\"]\nunits = \"person\"\n\
             [[flow]]\nname = \"f\"\nequation = \"1\"\nunits = \"people/year\"\n"
        );
        let found = findings(&text);
        assert_eq!(found.len(), 1, "{found:#?}");
        assert_eq!(found[0].0, Code::UnitMismatch);
        assert!(found[0].1.contains("person/year") && found[0].1.contains("person/month"), "{}", found[0].1);
    }

    /// Every model of `tests/units/` holds deliberate unit errors; what `check` says about each,
    /// with file, line and column, is a snapshot.
    #[test]
    fn the_unit_error_corpus_gives_its_snapshots() {
        let directory = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/units");
        let mut files: Vec<_> = std::fs::read_dir(&directory).unwrap().map(|entry| entry.unwrap().path()).collect();
        files.sort();
        assert!(files.len() >= 9, "the corpus is in {}", directory.display());
        for path in files {
            let text = std::fs::read_to_string(&path).unwrap();
            let (model, read) = crate::native::read(&text).unwrap();
            assert!(read.0.is_empty(), "{}: {read:?}", path.display());
            let found = check(&model);
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            assert!(!found.0.is_empty(), "{name} has no findings");
            let index = LineIndex::new(&text);
            let mut rendered = String::new();
            for diagnostic in &found.0 {
                let (line, column) = diagnostic.span.map_or((0, 0), |span| index.line_col(&text, span.start()));
                rendered
                    .push_str(&format!("{name}.toml:{line}:{column}: {} {}\n", diagnostic.code, diagnostic.message));
                if let Some(help) = &diagnostic.help {
                    rendered.push_str(&format!("  help: {help}\n"));
                }
            }
            insta::assert_snapshot!(name, rendered);
        }
    }
}
