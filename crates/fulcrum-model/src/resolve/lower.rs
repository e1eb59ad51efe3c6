//! Lowering: syntax expressions → resolved expressions, stateful built-ins → hidden variables.

use std::collections::HashMap;

use super::expr::{DelayId, Distribution, DrawId, Expr, Function, GraphId, PreviousId, VarId};
use super::{DrawSite, PipelineDelay, PreviousState, ResolvedKind, ResolvedVariable};
use crate::builtins::Builtin;
use crate::diagnostic::{Code, Diagnostic, Diagnostics, closest_match};
use crate::model::{Equation, GraphicalFunction, Model, Variable, VariableKind};
use crate::name::CanonicalName;
use crate::syntax::{self, BinaryOp, ExprKind, Span, SyntaxErrorKind, UnaryOp};

/// Orders of SMTHN and DELAYN above this are refused: they would make that many hidden stocks.
const MAX_ORDER: f64 = 1000.0;

/// What lowering produces, before orders are computed.
pub(super) struct Lowered {
    pub variables: Vec<ResolvedVariable>,
    pub graphs: Vec<GraphicalFunction>,
    pub previous: Vec<PreviousState>,
    pub delays: Vec<PipelineDelay>,
    pub draws: Vec<DrawSite>,
    pub names: HashMap<CanonicalName, VarId>,
}

pub(super) struct Lowering<'m, 'd> {
    model: &'m Model,
    diagnostics: &'d mut Diagnostics,
    out: Lowered,
    graph_of: HashMap<VarId, GraphId>,
}

/// Where an expression being lowered lives: which variable's equation.
#[derive(Clone, Copy)]
struct Site<'e> {
    owner: VarId,
    equation: &'e Equation,
    /// Inside the first argument of PREVIOUS, where `SELF` names the owner.
    self_allowed: bool,
}

impl<'m, 'd> Lowering<'m, 'd> {
    /// Registers every name and graphical function, so that lowering can look them up in any
    /// order.
    pub(super) fn new(model: &'m Model, diagnostics: &'d mut Diagnostics) -> Lowering<'m, 'd> {
        let mut lowering = Lowering {
            model,
            diagnostics,
            out: Lowered {
                variables: Vec::with_capacity(model.variables.len()),
                graphs: Vec::new(),
                previous: Vec::new(),
                delays: Vec::new(),
                draws: Vec::new(),
                names: HashMap::with_capacity(model.variables.len()),
            },
            graph_of: HashMap::new(),
        };
        for (index, variable) in model.variables.iter().enumerate() {
            let id = VarId::from_index(index);
            lowering.register_name(id, variable);
            if let Some(graph) = &variable.graph {
                match graph.problem() {
                    Some(problem) => lowering.diagnostics.push(
                        Diagnostic::new(
                            Code::InvalidGraphicalFunction,
                            format!("graphical function `{}`: {problem}", variable.name),
                        )
                        .at(graph.span.or(variable.span))
                        .on_variable(&variable.name),
                    ),
                    None => {
                        let graph_id = GraphId(lowering.out.graphs.len() as u32);
                        lowering.out.graphs.push(graph.clone());
                        lowering.graph_of.insert(id, graph_id);
                    }
                }
            } else if variable.kind == VariableKind::GraphicalFunction {
                lowering.diagnostics.push(
                    Diagnostic::new(
                        Code::InvalidGraphicalFunction,
                        format!("graphical function `{}`: there are no points", variable.name),
                    )
                    .at(variable.span)
                    .on_variable(&variable.name),
                );
            }
            // A placeholder until `lower_all` fills in the real kind.
            lowering.out.variables.push(ResolvedVariable {
                name: variable.name.clone(),
                owner: None,
                kind: ResolvedKind::Constant(f64::NAN),
            });
        }
        lowering
    }

    fn register_name(&mut self, id: VarId, variable: &Variable) {
        let canonical = &variable.canonical;
        if canonical.as_str().is_empty() {
            self.diagnostics
                .push(Diagnostic::new(Code::InvalidName, "a variable name must not be blank").at(variable.span));
            return;
        }
        if let Some(builtin) = Builtin::from_name(canonical).filter(|builtin| builtin.is_nullary()) {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::InvalidName,
                    format!("`{}` is the name of a built-in ({})", variable.name, builtin.name()),
                )
                .at(variable.span)
                .on_variable(&variable.name)
                .with_help("choose another name"),
            );
            return;
        }
        match self.out.names.get(canonical) {
            Some(first) => {
                let first_span = self.model.variables[first.index()].span;
                self.diagnostics.push(
                    Diagnostic::new(Code::DuplicateName, format!("`{}` is defined more than once", variable.name))
                        .at(variable.span)
                        .on_variable(&variable.name)
                        .with_related(first_span, "first defined here")
                        .with_help("names are compared ignoring case, spaces and underscores"),
                );
            }
            None => {
                self.out.names.insert(canonical.clone(), id);
            }
        }
    }

    pub(super) fn finish(self) -> Lowered {
        self.out
    }

    pub(super) fn lower_all(&mut self) {
        let model = self.model;
        for (index, variable) in model.variables.iter().enumerate() {
            let id = VarId::from_index(index);
            if let Some(kind) = self.lower_variable(id, variable) {
                self.out.variables[index].kind = kind;
            }
        }
    }

    fn lower_variable(&mut self, id: VarId, variable: &'m Variable) -> Option<ResolvedKind> {
        if variable.kind == VariableKind::GraphicalFunction {
            return self.graph_of.get(&id).map(|graph| ResolvedKind::GraphicalFunction(*graph));
        }
        if let Some(value) = variable.constant_value() {
            self.check_documented_range(variable, value);
            return Some(ResolvedKind::Constant(value));
        }
        let Some(equation) = &variable.equation else {
            let (code, message) = match variable.kind {
                VariableKind::Stock { .. } => {
                    (Code::MissingInitialValue, format!("stock `{}` has no initial value", variable.name))
                }
                _ => (Code::MissingEquation, format!("`{}` has no equation", variable.name)),
            };
            self.diagnostics.push(Diagnostic::new(code, message).at(variable.span).on_variable(&variable.name));
            return None;
        };
        let site = Site { owner: id, equation, self_allowed: false };
        let lowered = self.lower_equation(site);
        match &variable.kind {
            VariableKind::Stock { inflows, outflows, non_negative } => {
                let inflows = self.flow_ids(variable, inflows);
                let outflows = self.flow_ids(variable, outflows);
                Some(ResolvedKind::Stock {
                    initial: lowered?,
                    inflows: inflows?,
                    outflows: outflows?,
                    non_negative: *non_negative,
                })
            }
            VariableKind::Flow { non_negative } => {
                Some(ResolvedKind::Flow { equation: self.apply_graph(id, lowered?), non_negative: *non_negative })
            }
            VariableKind::Auxiliary => Some(ResolvedKind::Auxiliary(self.apply_graph(id, lowered?))),
            VariableKind::GraphicalFunction => None,
        }
    }

    fn check_documented_range(&mut self, variable: &Variable, value: f64) {
        if let Some((min, max)) = variable.range
            && !(min..=max).contains(&value)
        {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::OutOfDocumentedRange,
                    format!("`{}` is {value}, outside its documented range {min} to {max}", variable.name),
                )
                .at(variable.equation.as_ref().and_then(|e| e.origin.span).or(variable.span))
                .on_variable(&variable.name),
            );
        }
    }

    /// An embedded graphical function reads the equation's value as its input.
    fn apply_graph(&self, id: VarId, input: Expr) -> Expr {
        match self.graph_of.get(&id) {
            Some(graph) => Expr::Lookup(*graph, Box::new(input)),
            None => input,
        }
    }

    fn lower_equation(&mut self, site: Site<'_>) -> Option<Expr> {
        match &site.equation.expr {
            Ok(expr) => self.lower(site, expr),
            Err(error) if error.kind == SyntaxErrorKind::Unreadable => {
                let name = &self.model.variables[site.owner.index()].name;
                self.diagnostics.push(
                    Diagnostic::new(Code::InvalidValue, format!("the value of `{name}` could not be read"))
                        .at(site.equation.origin.span)
                        .on_variable(name),
                );
                None
            }
            Err(error) => {
                let name = &self.model.variables[site.owner.index()].name;
                self.diagnostics.push(
                    Diagnostic::new(Code::EquationSyntax, format!("syntax error in the equation of `{name}`"))
                        .at(site.equation.locate(error.span))
                        .labelled(error.kind.to_string())
                        .on_variable(name),
                );
                None
            }
        }
    }

    fn flow_ids(&mut self, stock: &Variable, links: &[crate::model::FlowLink]) -> Option<Vec<VarId>> {
        let mut ids = Vec::with_capacity(links.len());
        let mut ok = true;
        for link in links {
            let span = link.span.or(stock.span);
            match self.out.names.get(&link.canonical).copied() {
                Some(id) if matches!(self.model.variables[id.index()].kind, VariableKind::Flow { .. }) => ids.push(id),
                Some(id) => {
                    ok = false;
                    self.diagnostics.push(
                        Diagnostic::new(
                            Code::NotAFlow,
                            format!(
                                "stock `{}` lists `{}`, which is not a flow",
                                stock.name,
                                self.model.variables[id.index()].name
                            ),
                        )
                        .at(span)
                        .on_variable(&stock.name)
                        .with_help("only flows can fill or drain a stock"),
                    );
                }
                None => {
                    ok = false;
                    let flows = self.model.variables.iter().filter(|v| matches!(v.kind, VariableKind::Flow { .. }));
                    let diagnostic = Diagnostic::new(
                        Code::UnknownName,
                        format!("stock `{}` lists an unknown flow `{}`", stock.name, link.name),
                    )
                    .at(span)
                    .on_variable(&stock.name);
                    self.diagnostics.push(suggest(diagnostic, &link.canonical, flows));
                }
            }
        }
        ok.then_some(ids)
    }

    fn error(&mut self, site: Site<'_>, code: Code, span: Span, message: String) -> Diagnostic {
        let owner = &self.model.variables[site.owner.index()].name;
        Diagnostic::new(code, message).at(site.equation.locate(span)).on_variable(owner)
    }

    /// Lowers every sub-expression even after an error, so all errors are reported.
    fn lower(&mut self, site: Site<'_>, expr: &syntax::Expr) -> Option<Expr> {
        match &expr.kind {
            ExprKind::Number(value) => Some(Expr::Const(*value)),
            ExprKind::Name(name) => self.lower_name(site, name, expr.span),
            ExprKind::Unary { op, operand } => {
                let operand = self.lower(site, operand)?;
                Some(match (op, operand) {
                    (UnaryOp::Plus, operand) => operand,
                    (UnaryOp::Negate, Expr::Const(value)) => Expr::Const(-value),
                    (op, operand) => Expr::Unary(*op, Box::new(operand)),
                })
            }
            ExprKind::Binary { op, lhs, rhs } => {
                let lhs = self.lower(site, lhs);
                let rhs = self.lower(site, rhs);
                Some(Expr::Binary(*op, Box::new(lhs?), Box::new(rhs?)))
            }
            ExprKind::If { condition, then_branch, else_branch } => {
                let condition = self.lower(site, condition);
                let then_branch = self.lower(site, then_branch);
                let else_branch = self.lower(site, else_branch);
                Some(Expr::If(Box::new(condition?), Box::new(then_branch?), Box::new(else_branch?)))
            }
            ExprKind::Call { function, function_span, args } => {
                self.lower_call(site, function, *function_span, args, expr.span)
            }
        }
    }

    fn lower_name(&mut self, site: Site<'_>, name: &syntax::NameRef, span: Span) -> Option<Expr> {
        if let Some(id) = self.out.names.get(&name.canonical).copied() {
            if self.model.variables[id.index()].kind == VariableKind::GraphicalFunction {
                let diagnostic = self
                    .error(
                        site,
                        Code::InvalidArgument,
                        span,
                        format!("`{}` is a graphical function; call it with an input", name.written),
                    )
                    .with_help(format!("for example {}(x)", crate::name::equation_form(&name.written)));
                self.diagnostics.push(diagnostic);
                return None;
            }
            return Some(Expr::Var(id));
        }
        if site.self_allowed && name.canonical.as_str() == "self" {
            return Some(Expr::Var(site.owner));
        }
        match Builtin::from_name(&name.canonical) {
            Some(Builtin::Time) => Some(Expr::Time),
            Some(Builtin::Dt) => Some(Expr::Dt),
            Some(Builtin::StartTime) => Some(Expr::StartTime),
            Some(Builtin::StopTime) => Some(Expr::StopTime),
            Some(Builtin::Pi) => Some(Expr::Const(std::f64::consts::PI)),
            Some(Builtin::Inf) => Some(Expr::Const(f64::INFINITY)),
            Some(builtin) => {
                let diagnostic = self
                    .error(
                        site,
                        Code::WrongArity,
                        span,
                        format!("{} is a function and needs arguments", builtin.name()),
                    )
                    .with_help(arity_text(builtin));
                self.diagnostics.push(diagnostic);
                None
            }
            None => {
                let diagnostic = self
                    .error(site, Code::UnknownName, span, format!("unknown variable `{}`", name.written))
                    .labelled("not defined in this model");
                let diagnostic = suggest(diagnostic, &name.canonical, self.model.variables.iter());
                self.diagnostics.push(diagnostic);
                None
            }
        }
    }

    fn lower_call(
        &mut self,
        site: Site<'_>,
        function: &syntax::NameRef,
        function_span: Span,
        args: &[syntax::Expr],
        span: Span,
    ) -> Option<Expr> {
        let Some(builtin) = Builtin::from_name(&function.canonical) else {
            return self.lower_graph_call(site, function, function_span, args);
        };
        if builtin.is_nullary() {
            let diagnostic = self
                .error(site, Code::WrongArity, span, format!("{} takes no arguments", builtin.name()))
                .with_help(format!("write {} without parentheses", builtin.name()));
            self.diagnostics.push(diagnostic);
            return None;
        }
        let (min, max) = builtin.arity();
        if args.len() < min || args.len() > max {
            let diagnostic = self
                .error(
                    site,
                    Code::WrongArity,
                    span,
                    format!("{} takes {}, but is given {}", builtin.name(), count_text(min, max), args.len()),
                )
                .with_help(arity_text(builtin));
            self.diagnostics.push(diagnostic);
            // Still look inside the arguments for other mistakes.
            for arg in args {
                self.lower(site, arg);
            }
            return None;
        }
        match builtin {
            Builtin::Lookup => return self.lower_lookup(site, args),
            Builtin::Previous => return self.lower_previous(site, args),
            Builtin::SmthN | Builtin::DelayN => {
                // The order decides how many hidden stocks there are, so it must be known now.
                let order = self.constant_order(site, &args[2])?;
                let lowered = self.lower_args(site, args)?;
                return self.lower_stateful(site.owner, builtin, lowered, Some(order));
            }
            _ => {}
        }
        let seed = match builtin {
            Builtin::Random | Builtin::Normal | Builtin::Lognormal => args.get(2),
            Builtin::Exprnd | Builtin::Poisson => args.get(1),
            _ => None,
        };
        let seed = match seed {
            Some(seed_expr) => Some(self.constant_seed(site, seed_expr)?),
            None => None,
        };
        let lowered = self.lower_args(site, args)?;
        self.lower_builtin(site.owner, builtin, lowered, seed)
    }

    fn lower_args(&mut self, site: Site<'_>, args: &[syntax::Expr]) -> Option<Vec<Expr>> {
        let lowered: Vec<Option<Expr>> = args.iter().map(|arg| self.lower(site, arg)).collect();
        lowered.into_iter().collect()
    }

    fn lower_builtin(
        &mut self,
        owner: VarId,
        builtin: Builtin,
        mut args: Vec<Expr>,
        seed: Option<u64>,
    ) -> Option<Expr> {
        let function = |function: Function, args: Vec<Expr>| Expr::Apply(function, args);
        let lowered = match builtin {
            Builtin::Abs => function(Function::Abs, args),
            Builtin::Exp => function(Function::Exp, args),
            Builtin::Ln => function(Function::Ln, args),
            Builtin::Log10 => function(Function::Log10, args),
            Builtin::Sqrt => function(Function::Sqrt, args),
            Builtin::Sin => function(Function::Sin, args),
            Builtin::Cos => function(Function::Cos, args),
            Builtin::Tan => function(Function::Tan, args),
            Builtin::Arcsin => function(Function::Arcsin, args),
            Builtin::Arccos => function(Function::Arccos, args),
            Builtin::Arctan => function(Function::Arctan, args),
            Builtin::Sinh => function(Function::Sinh, args),
            Builtin::Cosh => function(Function::Cosh, args),
            Builtin::Tanh => function(Function::Tanh, args),
            Builtin::Int => function(Function::Int, args),
            Builtin::Round => function(Function::Round, args),
            Builtin::Sign => function(Function::Sign, args),
            Builtin::Min => function(Function::Min, args),
            Builtin::Max => function(Function::Max, args),
            Builtin::SafeDiv | Builtin::Xidz | Builtin::Zidz => {
                if args.len() == 2 {
                    args.push(Expr::Const(0.0));
                }
                function(Function::SafeDiv, args)
            }
            Builtin::IfThenElse => {
                let mut args = args.into_iter();
                let mut next = || Box::new(args.next().unwrap_or(Expr::Const(0.0)));
                let (condition, then_branch, else_branch) = (next(), next(), next());
                Expr::If(condition, then_branch, else_branch)
            }
            Builtin::Step => function(Function::Step, args),
            Builtin::Ramp => {
                if args.len() == 2 {
                    args.push(Expr::Const(f64::INFINITY));
                }
                function(Function::Ramp, args)
            }
            Builtin::Pulse => {
                if args.len() == 2 {
                    args.push(Expr::Const(0.0));
                }
                function(Function::Pulse, args)
            }
            Builtin::Init => {
                let source = self.as_variable(owner, "INIT input", first(args));
                Expr::Init(source)
            }
            Builtin::Delay => {
                let mut args = args.into_iter();
                let input = self.as_variable(owner, "DELAY input", args.next().unwrap_or(Expr::Const(0.0)));
                let delay_time = args.next().unwrap_or(Expr::Const(0.0));
                let initial = args.next().unwrap_or(Expr::Var(input));
                let id = DelayId(self.out.delays.len() as u32);
                self.out.delays.push(PipelineDelay { input, delay_time, initial });
                Expr::Delayed(id)
            }
            Builtin::Random | Builtin::Normal | Builtin::Lognormal | Builtin::Exprnd | Builtin::Poisson => {
                let (distribution, parameters) = match builtin {
                    Builtin::Random => (Distribution::Uniform, 2),
                    Builtin::Normal => (Distribution::Normal, 2),
                    Builtin::Lognormal => (Distribution::LogNormal, 2),
                    Builtin::Exprnd => (Distribution::Exponential, 1),
                    _ => (Distribution::Poisson, 1),
                };
                args.truncate(parameters);
                let id = DrawId(self.out.draws.len() as u32);
                self.out.draws.push(DrawSite { distribution, seed });
                Expr::Random(distribution, id, args)
            }
            Builtin::Smth1 | Builtin::Smth3 | Builtin::Delay1 | Builtin::Delay3 | Builtin::Trend | Builtin::Forcst => {
                return self.lower_stateful(owner, builtin, args, None);
            }
            // Nullary names, LOOKUP, PREVIOUS, SMTHN and DELAYN take other paths.
            _ => return self.misrouted(owner, builtin),
        };
        Some(lowered)
    }

    /// Reports a built-in that reached a lowering path not meant for it: a bug, but one that
    /// must show as an error rather than a wrong number.
    fn misrouted(&mut self, owner: VarId, builtin: Builtin) -> Option<Expr> {
        let variable = &self.model.variables[owner.index()];
        self.diagnostics.push(
            Diagnostic::new(
                Code::Unsupported,
                format!("{} cannot be used here (internal lowering error)", builtin.name()),
            )
            .at(variable.span)
            .on_variable(&variable.name),
        );
        None
    }

    /// SMTH1/3/N, DELAY1/3/N, TREND and FORCST become chains of hidden stocks and flows (XMILE
    /// section 3.5.3), integrated like any other stock.
    fn lower_stateful(
        &mut self,
        owner: VarId,
        builtin: Builtin,
        args: Vec<Expr>,
        order: Option<usize>,
    ) -> Option<Expr> {
        let mut args = args.into_iter();
        let mut next = || args.next();
        let input = next().unwrap_or(Expr::Const(0.0));
        let time = next().unwrap_or(Expr::Const(1.0));
        let label = builtin.name();
        let output = match builtin {
            Builtin::Smth1 | Builtin::Smth3 | Builtin::SmthN => {
                let order = order.unwrap_or(if builtin == Builtin::Smth1 { 1 } else { 3 });
                if builtin == Builtin::SmthN {
                    next();
                }
                let input = self.simple(owner, &format!("{label} input"), input);
                let initial = next().unwrap_or_else(|| input.clone());
                let stage_time = self.stage_time(owner, &label, time, order);
                let mut upstream = input;
                for stage in 1..=order {
                    let stock = self.hidden_id(owner, format!("{label} stage {stage}"));
                    let change = Expr::Binary(
                        BinaryOp::Div,
                        Box::new(Expr::Binary(BinaryOp::Sub, Box::new(upstream), Box::new(Expr::Var(stock)))),
                        Box::new(stage_time.clone()),
                    );
                    let flow = self.hidden(
                        owner,
                        format!("{label} stage {stage} change"),
                        ResolvedKind::Flow { equation: change, non_negative: false },
                    );
                    self.set_kind(
                        stock,
                        ResolvedKind::Stock {
                            initial: initial.clone(),
                            inflows: vec![flow],
                            outflows: vec![],
                            non_negative: false,
                        },
                    );
                    upstream = Expr::Var(stock);
                }
                upstream
            }
            Builtin::Delay1 | Builtin::Delay3 | Builtin::DelayN => {
                let order = order.unwrap_or(if builtin == Builtin::Delay1 { 1 } else { 3 });
                if builtin == Builtin::DelayN {
                    next();
                }
                let input = self.simple(owner, &format!("{label} input"), input);
                let stage_time = self.stage_time(owner, &label, time, order);
                // The optional initial value is the initial outflow; each stage holds that rate
                // times its share of the delay.
                let initial_rate = next().unwrap_or_else(|| input.clone());
                let initial = Expr::Binary(BinaryOp::Mul, Box::new(initial_rate), Box::new(stage_time.clone()));
                let mut inflow = self.hidden(
                    owner,
                    format!("{label} inflow"),
                    ResolvedKind::Flow { equation: input, non_negative: false },
                );
                for stage in 1..=order {
                    let stock = self.hidden_id(owner, format!("{label} stage {stage}"));
                    let outflow_equation =
                        Expr::Binary(BinaryOp::Div, Box::new(Expr::Var(stock)), Box::new(stage_time.clone()));
                    let outflow = self.hidden(
                        owner,
                        format!("{label} stage {stage} outflow"),
                        ResolvedKind::Flow { equation: outflow_equation, non_negative: false },
                    );
                    self.set_kind(
                        stock,
                        ResolvedKind::Stock {
                            initial: initial.clone(),
                            inflows: vec![inflow],
                            outflows: vec![outflow],
                            non_negative: false,
                        },
                    );
                    inflow = outflow;
                }
                Expr::Var(inflow)
            }
            Builtin::Trend | Builtin::Forcst => {
                let horizon = if builtin == Builtin::Forcst { next() } else { None };
                let initial_trend = next().unwrap_or(Expr::Const(0.0));
                let input = self.simple(owner, &format!("{label} input"), input);
                let time = self.simple(owner, &format!("{label} averaging time"), time);
                // The average starts where the initial trend says it would have been.
                let initial = Expr::Binary(
                    BinaryOp::Div,
                    Box::new(input.clone()),
                    Box::new(Expr::Binary(
                        BinaryOp::Add,
                        Box::new(Expr::Const(1.0)),
                        Box::new(Expr::Binary(BinaryOp::Mul, Box::new(time.clone()), Box::new(initial_trend))),
                    )),
                );
                let average = self.hidden_id(owner, format!("{label} average"));
                let gap = Expr::Binary(BinaryOp::Sub, Box::new(input.clone()), Box::new(Expr::Var(average)));
                let change = Expr::Binary(BinaryOp::Div, Box::new(gap.clone()), Box::new(time.clone()));
                let flow = self.hidden(
                    owner,
                    format!("{label} average change"),
                    ResolvedKind::Flow { equation: change, non_negative: false },
                );
                self.set_kind(
                    average,
                    ResolvedKind::Stock { initial, inflows: vec![flow], outflows: vec![], non_negative: false },
                );
                // Fractional change per unit time; zero while the average is zero.
                let scale = Expr::Binary(
                    BinaryOp::Mul,
                    Box::new(time),
                    Box::new(Expr::Apply(Function::Abs, vec![Expr::Var(average)])),
                );
                let trend = Expr::Apply(Function::SafeDiv, vec![gap, scale, Expr::Const(0.0)]);
                match horizon {
                    None => trend,
                    Some(horizon) => Expr::Binary(
                        BinaryOp::Mul,
                        Box::new(input),
                        Box::new(Expr::Binary(
                            BinaryOp::Add,
                            Box::new(Expr::Const(1.0)),
                            Box::new(Expr::Binary(BinaryOp::Mul, Box::new(trend), Box::new(horizon))),
                        )),
                    ),
                }
            }
            _ => return self.misrouted(owner, builtin),
        };
        Some(output)
    }

    /// Averaging or delay time per stage of an n-stage chain.
    fn stage_time(&mut self, owner: VarId, label: &str, time: Expr, order: usize) -> Expr {
        let time = self.simple(owner, &format!("{label} time"), time);
        if order == 1 {
            return time;
        }
        let per_stage = Expr::Binary(BinaryOp::Div, Box::new(time), Box::new(Expr::Const(order as f64)));
        self.simple(owner, &format!("{label} stage time"), per_stage)
    }

    fn lower_lookup(&mut self, site: Site<'_>, args: &[syntax::Expr]) -> Option<Expr> {
        let input = self.lower(site, &args[1]);
        let graph = match &args[0].kind {
            ExprKind::Name(name) => self.graph_by_name(site, name, args[0].span),
            _ => {
                let diagnostic = self.error(
                    site,
                    Code::InvalidArgument,
                    args[0].span,
                    "LOOKUP needs the name of a graphical function first".to_owned(),
                );
                self.diagnostics.push(diagnostic);
                None
            }
        };
        Some(Expr::Lookup(graph?, Box::new(input?)))
    }

    fn lower_graph_call(
        &mut self,
        site: Site<'_>,
        function: &syntax::NameRef,
        span: Span,
        args: &[syntax::Expr],
    ) -> Option<Expr> {
        if !self.out.names.contains_key(&function.canonical) {
            let diagnostic =
                self.error(site, Code::UnknownFunction, span, format!("unknown function `{}`", function.written));
            let mut candidates: Vec<&str> = Builtin::function_names().collect();
            candidates.extend(self.model.variables.iter().filter(|v| v.graph.is_some()).map(|v| v.canonical.as_str()));
            let diagnostic = match (
                Builtin::equivalent_of(&function.canonical),
                closest_match(function.canonical.as_str(), candidates),
            ) {
                (Some(equivalent), _) => diagnostic.with_help(format!("in this language, use {equivalent}")),
                (None, Some(near)) => {
                    let graph = self.model.variables.iter().find(|v| v.graph.is_some() && v.canonical.as_str() == near);
                    let written = graph.map_or_else(|| near.to_ascii_uppercase(), |v| v.name.clone());
                    diagnostic.with_help(format!("did you mean `{written}`?"))
                }
                (None, None) => diagnostic,
            };
            self.diagnostics.push(diagnostic);
            for arg in args {
                self.lower(site, arg);
            }
            return None;
        }
        let graph = self.graph_by_name(site, function, span);
        if args.len() != 1 {
            let diagnostic = self.error(
                site,
                Code::WrongArity,
                span,
                format!("graphical function `{}` takes 1 argument, but is given {}", function.written, args.len()),
            );
            self.diagnostics.push(diagnostic);
            return None;
        }
        let input = self.lower(site, &args[0]);
        Some(Expr::Lookup(graph?, Box::new(input?)))
    }

    fn graph_by_name(&mut self, site: Site<'_>, name: &syntax::NameRef, span: Span) -> Option<GraphId> {
        let id = self.out.names.get(&name.canonical).copied();
        if let Some(graph) = id.and_then(|id| self.graph_of.get(&id)) {
            return Some(*graph);
        }
        // A graphical function whose table is broken has been reported already.
        if id.is_some_and(|id| self.model.variables[id.index()].graph.is_some()) {
            return None;
        }
        let message = match id {
            Some(_) => format!("`{}` is not a graphical function", name.written),
            None => format!("unknown graphical function `{}`", name.written),
        };
        let diagnostic = self.error(site, Code::InvalidArgument, span, message);
        self.diagnostics.push(diagnostic);
        None
    }

    fn lower_previous(&mut self, site: Site<'_>, args: &[syntax::Expr]) -> Option<Expr> {
        let source = self.lower(Site { self_allowed: true, ..site }, &args[0]);
        let initial = args.get(1).map(|initial| self.lower(site, initial));
        let source = self.as_variable(site.owner, "PREVIOUS input", source?);
        let initial = match initial {
            Some(initial) => initial?,
            // With one argument the first step sees the source's own initial value.
            None => Expr::Init(source),
        };
        let id = PreviousId(self.out.previous.len() as u32);
        self.out.previous.push(PreviousState { source, initial });
        Some(Expr::Previous(id))
    }

    /// The order of SMTHN or DELAYN: a whole number from 1 to [`MAX_ORDER`], known before the run.
    fn constant_order(&mut self, site: Site<'_>, expr: &syntax::Expr) -> Option<usize> {
        let value = self.constant_value(expr);
        match value {
            Some(order) if (1.0..=MAX_ORDER).contains(&order) && order.fract() == 0.0 => Some(order as usize),
            _ => {
                let diagnostic = self
                    .error(
                        site,
                        Code::InvalidArgument,
                        expr.span,
                        format!("the order must be a whole number from 1 to {MAX_ORDER}"),
                    )
                    .with_help("write a number here, or the name of a constant");
                self.diagnostics.push(diagnostic);
                None
            }
        }
    }

    fn constant_seed(&mut self, site: Site<'_>, expr: &syntax::Expr) -> Option<u64> {
        match self.constant_value(expr) {
            Some(seed) if (0.0..9_007_199_254_740_992.0).contains(&seed) && seed.fract() == 0.0 => Some(seed as u64),
            _ => {
                let diagnostic = self.error(
                    site,
                    Code::InvalidArgument,
                    expr.span,
                    "a seed must be a whole number, 0 or more".to_owned(),
                );
                self.diagnostics.push(diagnostic);
                None
            }
        }
    }

    /// Numbers, arithmetic on them, and the names of constants, evaluated now.
    fn constant_value(&self, expr: &syntax::Expr) -> Option<f64> {
        match &expr.kind {
            ExprKind::Number(value) => Some(*value),
            ExprKind::Name(name) => {
                let id = self.out.names.get(&name.canonical)?;
                self.model.variables[id.index()].constant_value()
            }
            ExprKind::Unary { op: UnaryOp::Negate, operand } => Some(-self.constant_value(operand)?),
            ExprKind::Unary { op: UnaryOp::Plus, operand } => self.constant_value(operand),
            ExprKind::Binary { op, lhs, rhs } => {
                let (lhs, rhs) = (self.constant_value(lhs)?, self.constant_value(rhs)?);
                match op {
                    BinaryOp::Add => Some(lhs + rhs),
                    BinaryOp::Sub => Some(lhs - rhs),
                    BinaryOp::Mul => Some(lhs * rhs),
                    BinaryOp::Div => Some(lhs / rhs),
                    _ => None,
                }
            }
            _ => None,
        }
    }

    /// A variable or constant stays as it is; anything else becomes a hidden auxiliary so that
    /// it is computed once per evaluation however often it is read.
    fn simple(&mut self, owner: VarId, label: &str, expr: Expr) -> Expr {
        match expr {
            Expr::Var(_) | Expr::Const(_) | Expr::Time | Expr::Dt => expr,
            other => Expr::Var(self.hidden(owner, label.to_owned(), ResolvedKind::Auxiliary(other))),
        }
    }

    fn as_variable(&mut self, owner: VarId, label: &str, expr: Expr) -> VarId {
        match expr {
            Expr::Var(id) => id,
            other => self.hidden(owner, label.to_owned(), ResolvedKind::Auxiliary(other)),
        }
    }

    fn hidden(&mut self, owner: VarId, role: String, kind: ResolvedKind) -> VarId {
        let id = self.hidden_id(owner, role);
        self.set_kind(id, kind);
        id
    }

    /// A new hidden variable whose kind is set later (stocks need their own id in their flows).
    fn hidden_id(&mut self, owner: VarId, role: String) -> VarId {
        let id = VarId::from_index(self.out.variables.len());
        let name = format!("{} [{role}]", self.model.variables[owner.index()].name);
        self.out.variables.push(ResolvedVariable { name, owner: Some(owner), kind: ResolvedKind::Constant(f64::NAN) });
        id
    }

    fn set_kind(&mut self, id: VarId, kind: ResolvedKind) {
        self.out.variables[id.index()].kind = kind;
    }
}

fn first(args: Vec<Expr>) -> Expr {
    args.into_iter().next().unwrap_or(Expr::Const(0.0))
}

fn count_text(min: usize, max: usize) -> String {
    let plural = |n: usize| if n == 1 { "argument" } else { "arguments" };
    match (min, max) {
        (min, max) if min == max => format!("{min} {}", plural(min)),
        (min, max) if max == min + 1 => format!("{min} or {max} {}", plural(max)),
        (min, max) => format!("{min} to {max} {}", plural(max)),
    }
}

fn arity_text(builtin: Builtin) -> String {
    format!("usage: {}", builtin.signature())
}

fn suggest<'v>(
    diagnostic: Diagnostic,
    wanted: &CanonicalName,
    candidates: impl Iterator<Item = &'v Variable>,
) -> Diagnostic {
    let candidates: Vec<&Variable> = candidates.collect();
    match closest_match(wanted.as_str(), candidates.iter().map(|v| v.canonical.as_str())) {
        Some(near) => {
            let written = candidates.iter().find(|v| v.canonical.as_str() == near).map_or(near, |v| v.name.as_str());
            diagnostic.with_help(format!("did you mean `{written}`?"))
        }
        None => diagnostic,
    }
}
