//! Lowering: syntax expressions → resolved expressions, one array element at a time.
//!
//! Every model variable becomes one resolved variable per element ("instance"; one for a
//! scalar), in file order and row-major element order. Stateful built-ins become hidden
//! variables (see `stateful.rs`).

use std::collections::HashMap;

use super::arrays::{Binding, Dimensions, Shape, combinations};
use super::expr::{
    AllocationRule, DelayId, Distribution, DrawId, Expr, Family, Function, GraphId, OrderKind, PreviousId, VarId,
};
use super::{
    DrawSite, Handover, MaterialDelay, PipelineDelay, PreviousState, ResolvedConveyor, ResolvedKind, ResolvedQueue,
    ResolvedVariable,
};
use crate::builtins::Builtin;
use crate::calendar::{Calendar, CalendarDate, CalendarField, time_unit_calendar};
use crate::diagnostic::{Code, Diagnostic, Diagnostics, closest_match};
use crate::model::{Dialect, Equation, GraphKind, GraphicalFunction, Model, Variable, VariableKind};
use crate::name::CanonicalName;
use crate::syntax::{self, BinaryOp, ExprKind, Index, Span, SyntaxErrorKind, UnaryOp};

/// Array functions expanding to more terms than this are refused.
const MAX_TERMS: usize = 1_000_000;
/// Vensim's `:NA:`, -2^110: what its GET DATA functions give where a data variable has no point.
const VENSIM_NA: f64 = -1.298_074_214_633_707e33;

/// What lowering produces, before orders are computed.
pub(super) struct Lowered {
    pub variables: Vec<ResolvedVariable>,
    pub graphs: Vec<GraphicalFunction>,
    pub previous: Vec<PreviousState>,
    pub delays: Vec<PipelineDelay>,
    pub conveyors: Vec<ResolvedConveyor>,
    pub queues: Vec<ResolvedQueue>,
    /// A queue's outflow that fills a conveyor (its first, or an overflow): the conveyor's
    /// lowering sets its equation.
    pub queue_feeds: HashMap<VarId, super::conveyor::QueueFeed>,
    pub draws: Vec<DrawSite>,
    /// Canonical name of each instance (`x`, or `x[a,b]` for an element) → its id.
    pub names: HashMap<CanonicalName, VarId>,
    /// Canonical name of each model variable → the ids of all its instances.
    pub groups: HashMap<CanonicalName, Vec<VarId>>,
}

pub(super) struct Lowering<'m, 'd> {
    pub(super) model: &'m Model,
    pub(super) diagnostics: &'d mut Diagnostics,
    pub(super) out: Lowered,
    pub(super) dimensions: Dimensions,
    /// Each model variable's dimensions and first instance; `None` when its dimensions are
    /// invalid (already reported).
    pub(super) shapes: Vec<Option<Shape>>,
    /// Canonical name → model variable index.
    definitions: HashMap<CanonicalName, usize>,
    /// Graphical function of each instance that has one.
    graph_of: HashMap<VarId, GraphId>,
    /// The elements, by instance, that an array defined element by element leaves without an
    /// equation (see `undefined_elements`).
    undefined: Vec<bool>,
    /// Elements chosen among by subscripts computed during the run, over the whole model so far
    /// (each reference in each element of an equation chooses among all of its dimension's).
    computed_options: usize,
}

/// Where an expression being lowered lives: which instance's equation, and the element each
/// dimension stands at.
#[derive(Clone, Copy)]
pub(super) struct Site<'e> {
    pub owner: VarId,
    pub equation: &'e Equation,
    /// The elements of the instance's own dimensions.
    pub bindings: &'e [Binding],
    /// Inside an array function: the element each wildcard dimension stands at this time round.
    pub wildcards: &'e [Binding],
    /// Inside the first argument of PREVIOUS, where `SELF` names the owner.
    pub self_allowed: bool,
}

impl<'m, 'd> Lowering<'m, 'd> {
    /// Registers every dimension, name, instance and graphical function, so that lowering can
    /// look them up in any order.
    pub(super) fn new(model: &'m Model, diagnostics: &'d mut Diagnostics) -> Lowering<'m, 'd> {
        let dimensions = Dimensions::new(model, diagnostics);
        let mut lowering = Lowering {
            model,
            diagnostics,
            out: Lowered {
                variables: Vec::with_capacity(model.variables.len()),
                graphs: Vec::new(),
                previous: Vec::new(),
                delays: Vec::new(),
                conveyors: Vec::new(),
                queues: Vec::new(),
                queue_feeds: HashMap::new(),
                draws: Vec::new(),
                names: HashMap::with_capacity(model.variables.len()),
                groups: HashMap::with_capacity(model.variables.len()),
            },
            dimensions,
            shapes: Vec::with_capacity(model.variables.len()),
            definitions: HashMap::with_capacity(model.variables.len()),
            graph_of: HashMap::new(),
            undefined: Vec::new(),
            computed_options: 0,
        };
        for (index, variable) in model.variables.iter().enumerate() {
            lowering.register_name(index, variable);
            let shape = lowering.shape_of(variable);
            let Some(shape) = shape else {
                lowering.shapes.push(None);
                continue;
            };
            let count = shape.count(&lowering.dimensions);
            let mut ids = Vec::with_capacity(count);
            for offset in 0..count {
                let id = VarId::from_index(lowering.out.variables.len());
                let elements = shape.elements(&lowering.dimensions, offset);
                let (name, canonical) = lowering.instance_name(variable, &shape, &elements);
                lowering.out.names.entry(canonical).or_insert(id);
                ids.push(id);
                // A placeholder until `lower_all` fills in the real kind.
                lowering.out.variables.push(ResolvedVariable {
                    name,
                    owner: None,
                    definition: index,
                    kind: ResolvedKind::Constant(f64::NAN),
                });
            }
            lowering.out.groups.entry(variable.canonical.clone()).or_insert(ids);
            lowering.register_graphs(variable, &shape);
            lowering.shapes.push(Some(shape));
        }
        lowering
    }

    fn register_name(&mut self, index: usize, variable: &Variable) {
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
        match self.definitions.get(canonical) {
            Some(&first) => {
                let first_span = self.model.variables[first].span;
                self.diagnostics.push(
                    Diagnostic::new(Code::DuplicateName, format!("`{}` is defined more than once", variable.name))
                        .at(variable.span)
                        .on_variable(&variable.name)
                        .with_related(first_span, "first defined here")
                        .with_help("names are compared ignoring case, spaces and underscores"),
                );
            }
            None => {
                self.definitions.insert(canonical.clone(), index);
            }
        }
    }

    /// The variable's dimensions, each of which must exist; where its instances start.
    fn shape_of(&mut self, variable: &Variable) -> Option<Shape> {
        let mut dimensions = Vec::with_capacity(variable.dimensions.len());
        for (index, name) in variable.dimensions.iter().enumerate() {
            match self.dimensions.get(&CanonicalName::new(name)) {
                Some(dimension) => dimensions.push(dimension),
                None => {
                    let known: Vec<&str> = self.model.dimensions.iter().map(|d| d.name.as_str()).collect();
                    let mut diagnostic = Diagnostic::new(
                        Code::UnknownName,
                        format!("`{}` is arrayed over an unknown dimension `{name}`", variable.name),
                    )
                    .at(variable.dimension_spans.get(index).copied().or(variable.span))
                    .on_variable(&variable.name);
                    if let Some(near) = closest_match(name, known.iter().copied()) {
                        diagnostic = diagnostic.with_help(format!("did you mean `{near}`?"));
                    }
                    self.diagnostics.push(diagnostic);
                    return None;
                }
            }
        }
        Some(Shape { dimensions, first: self.out.variables.len() })
    }

    /// `x`, or `x[a,b]` for an element; display form and canonical form.
    fn instance_name(&self, variable: &Variable, shape: &Shape, elements: &[usize]) -> (String, CanonicalName) {
        if shape.dimensions.is_empty() {
            return (variable.name.clone(), variable.canonical.clone());
        }
        let written: Vec<&str> =
            shape.dimensions.iter().zip(elements).map(|(d, e)| self.dimensions.element_name(*d, *e)).collect();
        let canonical: Vec<&CanonicalName> =
            shape.dimensions.iter().zip(elements).map(|(d, e)| self.dimensions.canonical_element(*d, *e)).collect();
        (format!("{}[{}]", variable.name, written.join(",")), CanonicalName::of_element(&variable.canonical, canonical))
    }

    /// Registers the variable's graphical functions: one shared by all elements, or one per
    /// element that has its own.
    fn register_graphs(&mut self, variable: &Variable, shape: &Shape) {
        let count = shape.count(&self.dimensions);
        let shared = variable.graph.as_ref().and_then(|graph| self.register_graph(variable, graph));
        for offset in 0..count {
            let id = VarId::from_index(shape.first + offset);
            let own = self.element_definition(variable, shape, offset).and_then(|element| element.graph.as_ref());
            let graph = match own {
                Some(graph) => self.register_graph(variable, graph),
                None => shared,
            };
            if let Some(graph) = graph {
                self.graph_of.insert(id, graph);
            }
        }
        if variable.kind == VariableKind::GraphicalFunction && variable.graph.is_none() && variable.elements.is_empty()
        {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::InvalidGraphicalFunction,
                    format!("graphical function `{}`: there are no points", variable.name),
                )
                .at(variable.span)
                .on_variable(&variable.name),
            );
        }
    }

    fn register_graph(&mut self, variable: &Variable, graph: &GraphicalFunction) -> Option<GraphId> {
        if let Some(problem) = graph.problem() {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::InvalidGraphicalFunction,
                    format!("graphical function `{}`: {problem}", variable.name),
                )
                .at(graph.span.or(variable.span))
                .on_variable(&variable.name),
            );
            return None;
        }
        let id = GraphId(self.out.graphs.len() as u32);
        self.out.graphs.push(graph.clone());
        Some(id)
    }

    /// The per-element definition of the instance at `offset`, if the variable has one for it.
    pub(super) fn element_definition<'v>(
        &self,
        variable: &'v Variable,
        shape: &Shape,
        offset: usize,
    ) -> Option<&'v crate::model::ElementDefinition> {
        variable.elements.iter().find(|element| self.element_offset(shape, &element.subscript) == Some(offset))
    }

    /// Row-major offset of an element given by names, if every name is an element of its
    /// dimension.
    fn element_offset(&self, shape: &Shape, subscript: &[String]) -> Option<usize> {
        if subscript.len() != shape.dimensions.len() {
            return None;
        }
        let elements: Option<Vec<usize>> = shape
            .dimensions
            .iter()
            .zip(subscript)
            .map(|(d, name)| {
                let name = CanonicalName::new(name);
                // Numbered dimensions may be written by position.
                self.dimensions.element(*d, &name).or_else(|| {
                    name.as_str()
                        .parse::<usize>()
                        .ok()
                        .filter(|n| (1..=self.dimensions.size(*d)).contains(n))
                        .map(|n| n - 1)
                })
            })
            .collect();
        Some(shape.offset(&self.dimensions, &elements?))
    }

    pub(super) fn finish(self) -> Lowered {
        self.out
    }

    pub(super) fn lower_all(&mut self) {
        let model = self.model;
        self.undefined = vec![false; self.out.variables.len()];
        for (index, variable) in model.variables.iter().enumerate() {
            let Some(shape) = self.shapes[index].clone() else { continue };
            for offset in self.undefined_elements(variable, &shape) {
                self.undefined[shape.first + offset] = true;
                self.out.variables[shape.first + offset].kind = ResolvedKind::Undefined;
            }
        }
        for (index, variable) in model.variables.iter().enumerate() {
            let Some(shape) = self.shapes[index].clone() else { continue };
            self.check_element_definitions(variable, &shape);
            self.warn_undefined_elements(variable, &shape);
            for offset in 0..shape.count(&self.dimensions) {
                let id = VarId::from_index(shape.first + offset);
                if self.undefined[id.index()] {
                    continue;
                }
                let bindings = shape.bindings(&self.dimensions, offset);
                let equation = match self.element_definition(variable, &shape, offset) {
                    Some(element) => element.equation.as_ref().or(variable.equation.as_ref()),
                    None => variable.equation.as_ref(),
                };
                if let Some(kind) = self.lower_instance(id, variable, equation, &bindings) {
                    self.out.variables[id.index()].kind = kind;
                }
            }
        }
        self.lower_queues();
        self.lower_conveyors();
    }

    /// The offsets of the elements that an array of a Vensim model, defined element by element
    /// (with no equation or graphical function for the whole array), leaves undefined. Vensim
    /// runs such a model, leaving those elements out of its output; so does fulcrum, with a
    /// warning, and reading one is an error. In XMILE every element needs an equation. An array
    /// that defines no element at all is a variable without an equation.
    fn undefined_elements(&self, variable: &Variable, shape: &Shape) -> Vec<usize> {
        if self.model.dialect != Dialect::Vensim
            || variable.equation.is_some()
            || variable.graph.is_some()
            || self.is_driven_outflow(variable)
        {
            return Vec::new();
        }
        let defined = |offset: usize| {
            self.element_definition(variable, shape, offset).is_some_and(|element| match variable.kind {
                VariableKind::GraphicalFunction => element.graph.is_some(),
                _ => element.equation.is_some(),
            })
        };
        let count = shape.count(&self.dimensions);
        let undefined: Vec<usize> = (0..count).filter(|&offset| !defined(offset)).collect();
        if undefined.len() == count { Vec::new() } else { undefined }
    }

    /// One warning for each array that leaves elements undefined, naming them.
    fn warn_undefined_elements(&mut self, variable: &Variable, shape: &Shape) {
        let names: Vec<String> = (0..shape.count(&self.dimensions))
            .filter(|&offset| self.undefined[shape.first + offset])
            .map(|offset| format!("`{}`", self.out.variables[shape.first + offset].name))
            .collect();
        if names.is_empty() {
            return;
        }
        let (count, list) = match names.len() {
            1 => ("1 element".to_owned(), names.join("")),
            n if n <= 12 => (format!("{n} elements"), names.join(", ")),
            n => (format!("{n} elements"), format!("{}, and {} more", names[..12].join(", "), n - 12)),
        };
        self.diagnostics.push(
            Diagnostic::new(Code::UndefinedElements, format!("`{}` leaves {count} undefined: {list}", variable.name))
                .at(variable.span)
                .on_variable(&variable.name)
                .with_help("they are not computed or output, and an equation that reads one is an error"),
        );
    }

    /// Every per-element definition must name an element of the variable, once.
    fn check_element_definitions(&mut self, variable: &Variable, shape: &Shape) {
        let mut seen = Vec::new();
        for element in &variable.elements {
            let span = element.span.or(variable.span);
            match self.element_offset(shape, &element.subscript) {
                None => self.diagnostics.push(
                    Diagnostic::new(
                        Code::InvalidValue,
                        format!(
                            "`{}[{}]` is not an element of `{}`",
                            variable.name,
                            element.subscript.join(","),
                            variable.name
                        ),
                    )
                    .at(span)
                    .on_variable(&variable.name),
                ),
                Some(offset) if seen.contains(&offset) => self.diagnostics.push(
                    Diagnostic::new(
                        Code::DuplicateName,
                        format!(
                            "element `{}[{}]` is defined more than once",
                            variable.name,
                            element.subscript.join(",")
                        ),
                    )
                    .at(span)
                    .on_variable(&variable.name),
                ),
                Some(offset) => seen.push(offset),
            }
        }
    }

    fn lower_instance(
        &mut self,
        id: VarId,
        variable: &'m Variable,
        equation: Option<&'m Equation>,
        bindings: &[Binding],
    ) -> Option<ResolvedKind> {
        if variable.kind == VariableKind::GraphicalFunction {
            return self.graph_of.get(&id).map(|graph| ResolvedKind::GraphicalFunction(*graph));
        }
        let name = self.out.variables[id.index()].name.clone();
        let Some(equation) = equation else {
            // The belt drives a conveyor's outflows (set by `lower_conveyors`).
            if matches!(variable.kind, VariableKind::Flow { .. }) && self.is_driven_outflow(variable) {
                return Some(ResolvedKind::Flow { equation: Expr::Const(f64::NAN), non_negative: false });
            }
            let (code, message) = match variable.kind {
                VariableKind::Stock { .. } => {
                    (Code::MissingInitialValue, format!("stock `{name}` has no initial value"))
                }
                _ => (Code::MissingEquation, format!("`{name}` has no equation")),
            };
            self.diagnostics.push(Diagnostic::new(code, message).at(variable.span).on_variable(&variable.name));
            return None;
        };
        let has_graph = self.graph_of.contains_key(&id);
        if variable.kind == VariableKind::Auxiliary
            && !has_graph
            && let Some(value) = equation.literal_value()
        {
            self.check_documented_range(variable, &name, value, equation);
            return Some(ResolvedKind::Constant(value));
        }
        let site = Site { owner: id, equation, bindings, wildcards: &[], self_allowed: false };
        let lowered = self.lower_equation(site);
        match &variable.kind {
            VariableKind::Stock { inflows, outflows, non_negative } => {
                let inflows = self.flow_ids(site, variable, inflows);
                let outflows = self.flow_ids(site, variable, outflows);
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

    fn check_documented_range(&mut self, variable: &Variable, name: &str, value: f64, equation: &Equation) {
        if let Some((min, max)) = variable.range
            && !(min..=max).contains(&value)
        {
            self.diagnostics.push(
                Diagnostic::new(
                    Code::OutOfDocumentedRange,
                    format!("`{name}` is {value}, outside its documented range {min} to {max}"),
                )
                .at(equation.origin.span.or(variable.span))
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

    pub(super) fn lower_equation(&mut self, site: Site<'_>) -> Option<Expr> {
        let name = self.owner_name(site).to_owned();
        match &site.equation.expr {
            Ok(expr) => self.lower(site, expr),
            Err(error) if error.kind == SyntaxErrorKind::Unreadable => {
                self.diagnostics.push(
                    Diagnostic::new(Code::InvalidValue, format!("the value of `{name}` could not be read"))
                        .at(site.equation.origin.span)
                        .on_variable(self.definition_name(site)),
                );
                None
            }
            Err(error) => {
                self.diagnostics.push(
                    Diagnostic::new(Code::EquationSyntax, format!("syntax error in the equation of `{name}`"))
                        .at(site.equation.locate(error.span))
                        .labelled(error.kind.to_string())
                        .on_variable(self.definition_name(site)),
                );
                None
            }
        }
    }

    /// The instances of the flows a stock lists: for an arrayed stock, the same elements.
    fn flow_ids(&mut self, site: Site<'_>, stock: &Variable, links: &[crate::model::FlowLink]) -> Option<Vec<VarId>> {
        let mut ids = Vec::with_capacity(links.len());
        let mut ok = true;
        let stock_name = self.owner_name(site).to_owned();
        for link in links {
            let span = link.span.or(stock.span);
            let Some(&definition) = self.definitions.get(&link.canonical) else {
                ok = false;
                let flows = self.model.variables.iter().filter(|v| matches!(v.kind, VariableKind::Flow { .. }));
                let diagnostic = Diagnostic::new(
                    Code::UnknownName,
                    format!("stock `{stock_name}` lists an unknown flow `{}`", link.name),
                )
                .at(span)
                .on_variable(&stock.name);
                self.diagnostics.push(suggest(diagnostic, &link.canonical, flows));
                continue;
            };
            let flow = &self.model.variables[definition];
            if !matches!(flow.kind, VariableKind::Flow { .. }) {
                ok = false;
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::NotAFlow,
                        format!("stock `{stock_name}` lists `{}`, which is not a flow", flow.name),
                    )
                    .at(span)
                    .on_variable(&stock.name)
                    .with_help("only flows can fill or drain a stock"),
                );
                continue;
            }
            // Its dimensions were invalid, which has been reported.
            let Some(shape) = self.shapes[definition].clone() else {
                ok = false;
                continue;
            };
            let bound: Vec<Option<usize>> =
                shape.dimensions.iter().map(|&d| self.dimensions.bound(d, site.bindings)).collect();
            let elements: Option<Vec<usize>> = bound.iter().copied().collect();
            match elements {
                Some(elements) => ids.push(VarId::from_index(shape.first + shape.offset(&self.dimensions, &elements))),
                // A stock takes the sum of a flow's elements over the dimensions the stock does
                // not have (all of them for a stock without dimensions), as Stella does (a belt
                // or a queue keeps one flow per link).
                None if stock.conveyor.is_none() && stock.queue.is_none() => {
                    let free: Vec<usize> = (0..bound.len()).filter(|&i| bound[i].is_none()).collect();
                    let sizes: Vec<usize> = free.iter().map(|&i| self.dimensions.size(shape.dimensions[i])).collect();
                    for combination in combinations(&sizes) {
                        let mut elements: Vec<usize> = bound.iter().map(|b| b.unwrap_or(0)).collect();
                        for (&i, &element) in free.iter().zip(&combination) {
                            elements[i] = element;
                        }
                        ids.push(VarId::from_index(shape.first + shape.offset(&self.dimensions, &elements)));
                    }
                }
                None => {
                    ok = false;
                    self.diagnostics.push(
                        Diagnostic::new(
                            Code::InvalidArgument,
                            format!(
                                "stock `{stock_name}` lists `{}`, whose dimensions the stock does not have",
                                flow.name
                            ),
                        )
                        .at(span)
                        .on_variable(&stock.name)
                        .with_help("a flow must have the stock's dimensions, or none"),
                    );
                }
            }
        }
        ok.then_some(ids)
    }

    pub(super) fn owner_name(&self, site: Site<'_>) -> &str {
        &self.out.variables[site.owner.index()].name
    }

    fn definition_name(&self, site: Site<'_>) -> &str {
        &self.model.variables[self.out.variables[site.owner.index()].definition].name
    }

    pub(super) fn error(&mut self, site: Site<'_>, code: Code, span: Span, message: String) -> Diagnostic {
        Diagnostic::new(code, message).at(site.equation.locate(span)).on_variable(self.definition_name(site))
    }

    /// Lowers every sub-expression even after an error, so all errors are reported.
    pub(super) fn lower(&mut self, site: Site<'_>, expr: &syntax::Expr) -> Option<Expr> {
        match &expr.kind {
            ExprKind::Number(value) => Some(Expr::Const(*value)),
            ExprKind::Name(name) => self.lower_name(site, name, expr.span),
            ExprKind::Subscript { array, array_span, indices } => match self.array_definition(site, array) {
                Some(definition) => self.reference(site, definition, Some(indices), expr.span),
                None => {
                    self.unknown_variable(site, array, *array_span);
                    None
                }
            },
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
                let (lhs, rhs) = (lhs?, rhs?);
                Some(match (op, self.model.dialect) {
                    (BinaryOp::Mod, Dialect::Vensim) => Expr::Apply(Function::Remainder, vec![lhs, rhs]),
                    _ => Expr::Binary(*op, Box::new(lhs), Box::new(rhs)),
                })
            }
            ExprKind::Chain { first, rest } => {
                // Every operand is lowered, so that each one's problems are reported.
                let first = self.lower(site, first);
                let operands: Vec<Option<Expr>> = rest.iter().map(|(_, operand)| self.lower(site, operand)).collect();
                let mut value = first?;
                for ((op, _), operand) in rest.iter().zip(operands) {
                    value = match (op, self.model.dialect) {
                        (BinaryOp::Mod, Dialect::Vensim) => Expr::Apply(Function::Remainder, vec![value, operand?]),
                        _ => value.then(*op, operand?),
                    };
                }
                Some(value)
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

    /// The variable a subscripted name reads: a model variable, or, for Stella's `SELF[*, contact]`,
    /// the variable being defined (as in `SIZE(SELF[*, contact])`, which reads only its shape).
    fn array_definition(&self, site: Site<'_>, array: &syntax::NameRef) -> Option<usize> {
        match self.definitions.get(&array.canonical) {
            Some(&definition) => Some(definition),
            None if array.canonical.as_str() == "self" && self.model.dialect != Dialect::Vensim => {
                Some(self.out.variables[site.owner.index()].definition)
            }
            None => None,
        }
    }

    fn lower_name(&mut self, site: Site<'_>, name: &syntax::NameRef, span: Span) -> Option<Expr> {
        if let Some(&definition) = self.definitions.get(&name.canonical) {
            return self.reference(site, definition, None, span);
        }
        if site.self_allowed && name.canonical.as_str() == "self" {
            return Some(Expr::Var(site.owner));
        }
        // A dimension name outside brackets is the position (from 1) of the element the
        // equation is being written for (XMILE 3.7.1).
        if let Some(dimension) = self.dimensions.get(&name.canonical) {
            if let Some(element) = self
                .dimensions
                .bound(dimension, site.bindings)
                .or_else(|| self.dimensions.bound(dimension, site.wildcards))
            {
                return Some(Expr::Const((element + 1) as f64));
            }
            let diagnostic = self
                .error(
                    site,
                    Code::InvalidArgument,
                    span,
                    format!("`{}` is a dimension, and this equation is not written for an element of it", name.written),
                )
                .with_help("a dimension name stands for the element's position only in an equation arrayed over it");
            self.diagnostics.push(diagnostic);
            return None;
        }
        // `NAN` is the IEEE not-a-number value (Stella writes it for an element with no value).
        if name.canonical.as_str() == "nan" {
            return Some(Expr::Const(f64::NAN));
        }
        // `Dimension.element` outside brackets is the element's position (XMILE 3.7.1).
        if let Some((dimension, element)) = name.canonical.as_str().split_once('.')
            && let Some(dimension) = self.dimensions.get(&CanonicalName::new(dimension))
            && let Some(position) = self.dimensions.element(dimension, &CanonicalName::new(element))
        {
            return Some(Expr::Const((position + 1) as f64));
        }
        match Builtin::from_name(&name.canonical) {
            Some(builtin) if builtin.is_nullary() => Some(nullary(builtin)),
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
            None if self.model.dialect != Dialect::Vensim
                && super::stella::unsupported_stella_builtin(name.canonical.as_str()).is_some() =>
            {
                // Stella's RUNCOUNT, CLOCKTIME and the like, written without parentheses.
                self.lower_graph_call(site, name, span, &[])
            }
            None => {
                self.unknown_variable(site, name, span);
                None
            }
        }
    }

    fn unknown_variable(&mut self, site: Site<'_>, name: &syntax::NameRef, span: Span) {
        let diagnostic = self
            .error(site, Code::UnknownName, span, format!("unknown variable `{}`", name.written))
            .labelled("not defined in this model");
        let diagnostic = suggest(diagnostic, &name.canonical, self.model.variables.iter());
        self.diagnostics.push(diagnostic);
    }

    /// A reference to a model variable: the instance the subscripts (or, without them, the
    /// bindings in force) select.
    fn reference(&mut self, site: Site<'_>, definition: usize, indices: Option<&[Index]>, span: Span) -> Option<Expr> {
        let variable = &self.model.variables[definition];
        if variable.kind == VariableKind::GraphicalFunction {
            let diagnostic = self
                .error(
                    site,
                    Code::InvalidArgument,
                    span,
                    format!("`{}` is a graphical function; call it with an input", variable.name),
                )
                .with_help(format!("for example {}(x)", crate::name::equation_form(&variable.name)));
            self.diagnostics.push(diagnostic);
            return None;
        }
        if let Some(indices) = indices
            && let Some(position) = (0..indices.len()).find(|&p| self.is_run_index(definition, p, &indices[p]))
            && (0..indices.len()).filter(|&p| self.is_run_index(definition, p, &indices[p])).count() == 1
        {
            return self.computed_reference(site, definition, indices, position, span);
        }
        self.instance(site, definition, indices, span).map(Expr::Var)
    }

    /// Is this subscript of `definition`, at `position`, computed during the run: an expression,
    /// or the name of a variable that is neither a dimension nor an element of the dimension
    /// there (Stella's variable used as an index, `a[index_variable]`)?
    fn is_run_index(&self, definition: usize, position: usize, index: &Index) -> bool {
        if is_computed(index) {
            return true;
        }
        let Index::Expr(syntax::Expr { kind: ExprKind::Name(name), .. }) = index else { return false };
        let Some(dimension) =
            self.shapes[definition].as_ref().and_then(|shape| shape.dimensions.get(position).copied())
        else {
            return false;
        };
        self.dimensions.get(&name.canonical).is_none()
            && self.dimensions.element(dimension, &name.canonical).is_none()
            && self.definitions.contains_key(&name.canonical)
    }

    /// A reference with one subscript computed during the run (`aux[INT(TIME) + 1]`): the
    /// element at the position the subscript gives, from 1 (rounded to the nearest whole
    /// number), and 0 when that is outside the dimension, as XMILE 3.7.1 requires.
    fn computed_reference(
        &mut self,
        site: Site<'_>,
        definition: usize,
        indices: &[Index],
        position: usize,
        span: Span,
    ) -> Option<Expr> {
        let Index::Expr(computed) = &indices[position] else { return None };
        let index = self.lower(site, computed);
        let shape = self.shapes[definition].clone()?;
        let dimension = *shape.dimensions.get(position)?;
        let size = self.dimensions.size(dimension);
        // Each element of the equation holds its own choice among the dimension's elements, so a
        // large array read this way in a large equation would take minutes and gigabytes to build.
        let before = self.computed_options;
        self.computed_options = before.saturating_add(size);
        if self.computed_options > MAX_TERMS {
            if before <= MAX_TERMS {
                let diagnostic = self
                    .error(
                        site,
                        Code::Unsupported,
                        computed.span,
                        format!(
                            "subscripts computed during the run would choose among more than {MAX_TERMS} elements in all (this one among {size} in each element of the equation)"
                        ),
                    )
                    .with_help("read the array with dimension or element names, or use a smaller dimension here");
                self.diagnostics.push(diagnostic);
            }
            return None;
        }
        let mut options = Vec::with_capacity(size);
        for element in 1..=size {
            let mut fixed = indices.to_vec();
            fixed[position] = Index::Expr(syntax::Expr { kind: ExprKind::Number(element as f64), span: computed.span });
            options.push(Expr::Var(self.instance(site, definition, Some(&fixed), span)?));
        }
        let index = index?;
        let from_one = Expr::Binary(BinaryOp::Sub, Box::new(index.clone()), Box::new(Expr::Const(1.0)));
        let low = Expr::Binary(BinaryOp::Ge, Box::new(index.clone()), Box::new(Expr::Const(0.5)));
        let high = Expr::Binary(BinaryOp::Lt, Box::new(index), Box::new(Expr::Const(size as f64 + 0.5)));
        let inside = Expr::Binary(BinaryOp::And, Box::new(low), Box::new(high));
        Some(Expr::If(
            Box::new(inside),
            Box::new(Expr::Choose(Box::new(from_one), options)),
            Box::new(Expr::Const(0.0)),
        ))
    }

    /// The instance of a variable that the subscripts (or, without them, the bindings and
    /// wildcards in force) select.
    fn instance(&mut self, site: Site<'_>, definition: usize, indices: Option<&[Index]>, span: Span) -> Option<VarId> {
        let variable = &self.model.variables[definition];
        // Its dimensions were invalid, which has been reported.
        let shape = self.shapes[definition].clone()?;
        let given = indices.map_or(shape.dimensions.len(), <[Index]>::len);
        if given != shape.dimensions.len() {
            let message = if shape.dimensions.is_empty() {
                format!("`{}` is not an array, so it takes no subscripts", variable.name)
            } else {
                format!("`{}` has {} dimensions but is given {given} subscripts", variable.name, shape.dimensions.len())
            };
            let diagnostic = self.error(site, Code::InvalidArgument, span, message);
            self.diagnostics.push(diagnostic);
            return None;
        }
        let mut elements = Vec::with_capacity(shape.dimensions.len());
        for (position, &dimension) in shape.dimensions.iter().enumerate() {
            let element = match indices.map(|indices| &indices[position]) {
                None => self
                    .dimensions
                    .bound(dimension, site.bindings)
                    .or_else(|| self.dimensions.bound(dimension, site.wildcards))
                    .or_else(|| {
                        // A subrange of this dimension selects the element of the same name.
                        site.bindings
                            .iter()
                            .chain(site.wildcards)
                            .find(|b| self.dimensions.within(b.dimension, dimension))
                            .and_then(|b| self.dimensions.map(b.dimension, b.element, dimension))
                    }),
                Some(index) => self.index_element(site, index, dimension)?,
            };
            let Some(element) = element else {
                let diagnostic = self
                    .error(
                        site,
                        Code::InvalidArgument,
                        span,
                        format!(
                            "`{}` is an array over `{}`, and this equation does not say which element",
                            variable.name,
                            self.model
                                .dimensions
                                .iter()
                                .find(|d| d.canonical.as_str() == self.dimensions.name(dimension))
                                .map_or("?", |d| d.name.as_str())
                        ),
                    )
                    .with_help("give a subscript, or use an array function such as SUM");
                self.diagnostics.push(diagnostic);
                return None;
            };
            elements.push(element);
        }
        let id = VarId::from_index(shape.first + shape.offset(&self.dimensions, &elements));
        if self.undefined.get(id.index()).copied().unwrap_or(false) {
            let name = self.out.variables[id.index()].name.clone();
            let owner = self.owner_name(site).to_owned();
            let diagnostic = self
                .error(site, Code::MissingEquation, span, format!("`{owner}` reads `{name}`, which is not defined"))
                .labelled("reads an element the model does not define")
                .with_help(format!("define `{name}`, or read another element"));
            self.diagnostics.push(diagnostic);
            return None;
        }
        Some(id)
    }

    /// The element one subscript position selects, in a dimension `dimension`. `Ok(None)` means
    /// it cannot be decided here (reported by the caller); `None` means an error was reported.
    fn index_element(&mut self, site: Site<'_>, index: &Index, dimension: usize) -> Option<Option<usize>> {
        match index {
            Index::Wildcard { dimension: named, span } => {
                let over = named.as_ref().and_then(|n| self.dimensions.get(&n.canonical)).unwrap_or(dimension);
                match site.wildcards.iter().find(|b| self.dimensions.equivalent(b.dimension, over)) {
                    Some(binding) => Some(self.dimensions.map(binding.dimension, binding.element, dimension)),
                    None => {
                        let diagnostic = self
                            .error(
                                site,
                                Code::InvalidArgument,
                                *span,
                                "`*` stands for every element, so it needs an array function".to_owned(),
                            )
                            .with_help("use it inside SUM, MEAN, MIN, MAX, PROD, STDDEV or SIZE");
                        self.diagnostics.push(diagnostic);
                        None
                    }
                }
            }
            Index::Expr(expr) => match &expr.kind {
                ExprKind::Name(name) => {
                    if let Some(named) = self.dimensions.get(&name.canonical) {
                        let binding =
                            site.bindings.iter().chain(site.wildcards).find(|b| b.dimension == named).copied().or_else(
                                || {
                                    site.wildcards
                                        .iter()
                                        .chain(site.bindings)
                                        .find(|b| self.dimensions.equivalent(b.dimension, named))
                                        .copied()
                                },
                            );
                        return Some(binding.and_then(|b| self.dimensions.map(b.dimension, b.element, dimension)));
                    }
                    if let Some(element) = self.dimensions.element(dimension, &name.canonical) {
                        return Some(Some(element));
                    }
                    let diagnostic = self.error(
                        site,
                        Code::UnknownName,
                        expr.span,
                        format!("`{}` is neither a dimension nor an element of the dimension here", name.written),
                    );
                    self.diagnostics.push(diagnostic);
                    None
                }
                ExprKind::Number(position) => {
                    let size = self.dimensions.size(dimension);
                    if position.fract() == 0.0 && *position >= 1.0 && *position <= size as f64 {
                        return Some(Some(*position as usize - 1));
                    }
                    let diagnostic = self.error(
                        site,
                        Code::InvalidArgument,
                        expr.span,
                        format!("subscript {position} is outside 1 to {size}"),
                    );
                    self.diagnostics.push(diagnostic);
                    None
                }
                _ => {
                    let diagnostic = self.error(
                        site,
                        Code::Unsupported,
                        expr.span,
                        "a subscript computed during the run is supported only once in a reference, and not in an array function's slice; use a dimension or element name".to_owned(),
                    );
                    self.diagnostics.push(diagnostic);
                    None
                }
            },
            Index::DimensionPosition { position, span } => {
                // The bindings are the defined variable's own dimensions, in its order.
                let Some(binding) = position.checked_sub(1).and_then(|p| site.bindings.get(p)).copied() else {
                    let count = site.bindings.len();
                    let diagnostic = self
                        .error(
                            site,
                            Code::InvalidArgument,
                            *span,
                            format!(
                                "`@{position}` names dimension {position} of the variable defined, which has {count}"
                            ),
                        )
                        .with_help(
                            "`@n` stands for the element of the n-th dimension of the variable this equation defines",
                        );
                    self.diagnostics.push(diagnostic);
                    return None;
                };
                Some(self.dimensions.map(binding.dimension, binding.element, dimension))
            }
            Index::Range { start, end, span } => {
                // Inside an array function the range iterates like a wildcard over its dimension;
                // `lower_array_function` leaves out the elements outside it.
                match site.wildcards.iter().rev().find(|b| self.dimensions.equivalent(b.dimension, dimension)) {
                    Some(binding) => Some(self.dimensions.map(binding.dimension, binding.element, dimension)),
                    None => self.range_element(site, start, end, *span, dimension),
                }
            }
        }
    }

    /// A range outside an array function, in an equation arrayed over its dimension (or over one
    /// dimension only): the slice assigned element by element, as XMILE 3.7.1 lets an apply-to-all
    /// equation use it. The element at position i of the variable defined reads the range's i-th
    /// element; a range longer than the variable's dimension is cut to fit, one shorter is an
    /// error. `None` means an error was reported.
    fn range_element(
        &mut self,
        site: Site<'_>,
        start: &syntax::Expr,
        end: &syntax::Expr,
        span: Span,
        dimension: usize,
    ) -> Option<Option<usize>> {
        let first = self.range_end(site, start, dimension);
        let last = self.range_end(site, end, dimension);
        let (first, last) = (first?, last?);
        if first > last {
            let diagnostic = self
                .error(site, Code::InvalidArgument, span, "this range ends before it starts".to_owned())
                .with_help("write the first element before the last, as in a[1:3]");
            self.diagnostics.push(diagnostic);
            return None;
        }
        let same = site.bindings.iter().find(|b| self.dimensions.equivalent(b.dimension, dimension));
        let only = if site.bindings.len() == 1 { site.bindings.first() } else { None };
        let Some(binding) = same.or(only).copied() else {
            let diagnostic = self
                .error(
                    site,
                    Code::Unsupported,
                    span,
                    "a range stands for several elements: outside an array function it needs an equation \
                     arrayed over its dimension, element by element"
                        .to_owned(),
                )
                .with_help(
                    "use it inside SUM, MEAN, MIN, MAX, PROD, STDDEV or SIZE, as SUM(a[1:3]), or in a variable \
                     arrayed over the range's dimension (or over one dimension only)",
                );
            self.diagnostics.push(diagnostic);
            return None;
        };
        let count = last - first + 1;
        if binding.element < count {
            return Some(Some(first + binding.element));
        }
        // The first element the range does not reach reports it, once for the equation.
        if binding.element == count {
            let size = self.dimensions.size(binding.dimension);
            let diagnostic = self
                .error(
                    site,
                    Code::InvalidArgument,
                    span,
                    format!(
                        "this range has {count} elements, but the variable defined has {size} along `{}`",
                        self.dimension_display_name(binding.dimension)
                    ),
                )
                .with_help("give the range as many elements as the dimension has, or more (the rest are cut)");
            self.diagnostics.push(diagnostic);
        }
        None
    }

    /// The position (from 0) one end of a range `start:end` names in `dimension`: a whole number
    /// from 1 to the dimension's size, or an element's name. `None` means an error was reported.
    fn range_end(&mut self, site: Site<'_>, end: &syntax::Expr, dimension: usize) -> Option<usize> {
        let size = self.dimensions.size(dimension);
        match &end.kind {
            ExprKind::Number(position) if position.fract() == 0.0 && *position >= 1.0 && *position <= size as f64 => {
                Some(*position as usize - 1)
            }
            ExprKind::Name(name) if self.dimensions.element(dimension, &name.canonical).is_some() => {
                self.dimensions.element(dimension, &name.canonical)
            }
            _ => {
                let diagnostic = self
                    .error(
                        site,
                        Code::InvalidArgument,
                        end.span,
                        format!(
                            "a range's ends must be positions from 1 to {size} or elements of `{}`",
                            self.dimension_display_name(dimension)
                        ),
                    )
                    .with_help("write the range as first:last, as in a[1:3]");
                self.diagnostics.push(diagnostic);
                None
            }
        }
    }

    /// The name of a dimension as the model writes it.
    fn dimension_display_name(&self, dimension: usize) -> &str {
        self.model
            .dimensions
            .iter()
            .find(|d| d.canonical.as_str() == self.dimensions.name(dimension))
            .map_or("?", |d| d.name.as_str())
    }

    /// The ranges (`a[1:3]`) an array function's argument uses, outside nested array functions:
    /// each its dimension and first and last positions. `None` means an error was reported.
    fn collect_ranges(&mut self, site: Site<'_>, expr: &syntax::Expr, ranges: &mut Vec<SliceRange>) -> Option<()> {
        match &expr.kind {
            ExprKind::Subscript { array, indices, .. } => {
                let shape = self.array_definition(site, array).and_then(|d| self.shapes[d].as_ref()).cloned();
                for (position, index) in indices.iter().enumerate() {
                    match index {
                        Index::Range { start, end, span } => {
                            // A wrong count of subscripts is reported where the reference is lowered.
                            let Some(dimension) = shape.as_ref().and_then(|s| s.dimensions.get(position).copied())
                            else {
                                continue;
                            };
                            let first = self.range_end(site, start, dimension);
                            let last = self.range_end(site, end, dimension);
                            let (first, last) = (first?, last?);
                            if first > last {
                                let diagnostic = self
                                    .error(
                                        site,
                                        Code::InvalidArgument,
                                        *span,
                                        "this range ends before it starts".to_owned(),
                                    )
                                    .with_help("write the first element before the last, as in a[1:3]");
                                self.diagnostics.push(diagnostic);
                                return None;
                            }
                            ranges.push(SliceRange { dimension, first, last });
                        }
                        Index::Expr(inner) => self.collect_ranges(site, inner, ranges)?,
                        Index::Wildcard { .. } | Index::DimensionPosition { .. } => {}
                    }
                }
                Some(())
            }
            // A nested array function applies its own ranges.
            ExprKind::Call { function, .. }
                if Builtin::from_name(&function.canonical).is_some_and(Builtin::is_array_function) =>
            {
                Some(())
            }
            ExprKind::Call { args, .. } => args.iter().try_for_each(|arg| self.collect_ranges(site, arg, ranges)),
            ExprKind::Unary { operand, .. } => self.collect_ranges(site, operand, ranges),
            ExprKind::Binary { lhs, rhs, .. } => {
                self.collect_ranges(site, lhs, ranges)?;
                self.collect_ranges(site, rhs, ranges)
            }
            ExprKind::Chain { first, rest } => {
                self.collect_ranges(site, first, ranges)?;
                rest.iter().try_for_each(|(_, operand)| self.collect_ranges(site, operand, ranges))
            }
            ExprKind::If { condition, then_branch, else_branch } => [condition, then_branch, else_branch]
                .into_iter()
                .try_for_each(|part| self.collect_ranges(site, part, ranges)),
            ExprKind::Number(_) | ExprKind::Name(_) => Some(()),
        }
    }

    /// Do the wildcard bindings of one term of an array function lie inside every range?
    fn inside_ranges(&self, wildcards: &[Binding], ranges: &[SliceRange]) -> bool {
        ranges.iter().all(|range| {
            match wildcards.iter().rev().find(|b| self.dimensions.equivalent(b.dimension, range.dimension)) {
                Some(binding) => self
                    .dimensions
                    .map(binding.dimension, binding.element, range.dimension)
                    .is_some_and(|element| (range.first..=range.last).contains(&element)),
                None => true,
            }
        })
    }

    fn lower_call(
        &mut self,
        site: Site<'_>,
        function: &syntax::NameRef,
        function_span: Span,
        args: &[syntax::Expr],
        span: Span,
    ) -> Option<Expr> {
        let builtin = Builtin::from_name(&function.canonical).filter(|builtin| {
            !builtin.is_stella_library()
                || (self.model.dialect != Dialect::Vensim
                    && !self.model.variables.iter().any(|v| v.graph.is_some() && v.canonical == function.canonical))
        });
        let Some(builtin) = builtin else {
            return self.lower_graph_call(site, function, function_span, args);
        };
        if builtin.is_nullary() {
            // `PI()` is common in exported models; arguments are a mistake.
            if args.is_empty() {
                return Some(nullary(builtin));
            }
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
            Builtin::LookupExtrapolate
            | Builtin::LookupForward
            | Builtin::LookupBackward
            | Builtin::LookupInvert
            | Builtin::LookupArea => {
                return self.lower_lookup_variant(site, builtin, args);
            }
            Builtin::RandomLookup => return self.lower_random_lookup(site, args),
            Builtin::Previous => return self.lower_previous(site, args),
            Builtin::Derivn => return self.lower_derivn(site, args),
            Builtin::Elmcount => return self.lower_elmcount(site, &args[0]),
            Builtin::GetTimeValue => return self.lower_get_time_value(site, args),
            Builtin::GetDataAtTime
            | Builtin::GetDataBetweenTimes
            | Builtin::GetDataFirstTime
            | Builtin::GetDataLastTime
            | Builtin::GetDataTotalPoints
            | Builtin::GetDataMax
            | Builtin::GetDataMin
            | Builtin::GetDataMean => return self.lower_get_data(site, builtin, args),
            Builtin::VectorSelect => return self.lower_vector_select(site, args, span),
            Builtin::VectorElmMap | Builtin::VectorReorder | Builtin::VectorSortOrder | Builtin::VectorRank => {
                return self.lower_vector_order(site, builtin, args);
            }
            Builtin::AllocateByPriority
            | Builtin::AllocateAvailable
            | Builtin::DemandAtPrice
            | Builtin::SupplyAtPrice => {
                return self.lower_allocation(site, builtin, args, span);
            }
            Builtin::FindMarketPrice => return self.lower_market_price(site, args),
            Builtin::AllocP => return self.lower_alloc_p(site, args),
            Builtin::Marketp => return self.lower_marketp(site, args),
            Builtin::VectorLookup => return self.lower_vector_lookup(site, args),
            Builtin::Allocate => return self.lower_stella_allocate(site, args, span),
            Builtin::Rank => return self.lower_rank(site, args, span),
            // Stella's financial and statistical functions and its draws' optional arguments
            // (stella.rs).
            _ if Self::is_stella_draw(builtin) => return self.lower_stella_draw(site, builtin, args),
            Builtin::Fv | Builtin::Pv | Builtin::Pmt | Builtin::Normalcdf | Builtin::Invnorm | Builtin::Rootn => {
                return self.lower_stella_formula(site, builtin, args);
            }
            Builtin::Npv if args.len() < 4 => return self.lower_stella_npv(site, args),
            Builtin::InvertMatrix => return self.lower_invert_matrix(site, args, span),
            _ if builtin.is_array_function() => return self.lower_array_function(site, builtin, args, span),
            Builtin::SmthN | Builtin::DelayN => {
                // The order decides how many hidden stocks there are, so it must be known now.
                let mut order = self.constant_order(site, &args[2])?;
                if builtin == Builtin::DelayN && self.model.dialect == Dialect::Vensim {
                    order = self.vensim_delay_order(site, order, &args[1]);
                }
                let lowered = self.lower_args(site, args)?;
                return self.lower_stateful(site.owner, builtin, lowered, Some(order));
            }
            _ => {}
        }
        let seed = match builtin {
            Builtin::Random | Builtin::Uniform | Builtin::Normal | Builtin::Lognormal => args.get(2),
            Builtin::Exprnd | Builtin::Poisson | Builtin::Montecarlo => args.get(1),
            Builtin::Weibull | Builtin::Beta | Builtin::Binomial | Builtin::Gamma => args.get(2),
            Builtin::Triangular => args.get(3),
            Builtin::RandomPinkNoise => args.get(3),
            _ => truncated_family(builtin).and_then(|(_, seed_position)| args.get(seed_position)),
        };
        // Stella's NAN for a seed is no seed.
        let seed = match seed {
            Some(seed_expr) => self.stella_seed(site, seed_expr)?,
            None => None,
        };
        let lowered = self.lower_args(site, args)?;
        self.lower_builtin(site.owner, builtin, lowered, seed)
    }

    pub(super) fn lower_args(&mut self, site: Site<'_>, args: &[syntax::Expr]) -> Option<Vec<Expr>> {
        let lowered: Vec<Option<Expr>> = args.iter().map(|arg| self.lower(site, arg)).collect();
        lowered.into_iter().collect()
    }

    pub(super) fn lower_builtin(
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
            Builtin::Int => match self.model.dialect {
                Dialect::Xmile => function(Function::Int, args),
                Dialect::Vensim => function(Function::Truncate, args),
            },
            Builtin::Round => function(Function::Round, args),
            Builtin::Sign => function(Function::Sign, args),
            Builtin::Modulo => {
                let mut args = args.into_iter();
                let (a, b) = (args.next()?, args.next()?);
                match self.model.dialect {
                    Dialect::Xmile => Expr::Binary(BinaryOp::Mod, Box::new(a), Box::new(b)),
                    Dialect::Vensim => function(Function::Remainder, vec![a, b]),
                }
            }
            Builtin::SafeDiv | Builtin::Xidz | Builtin::Zidz => {
                if args.len() == 2 {
                    args.push(Expr::Const(0.0));
                }
                function(Function::SafeDiv, args)
            }
            Builtin::IfThenElse => {
                let mut args = args.into_iter();
                let (condition, then_branch, else_branch) = (args.next()?, args.next()?, args.next()?);
                Expr::If(Box::new(condition), Box::new(then_branch), Box::new(else_branch))
            }
            Builtin::Step => function(Function::Step, args),
            Builtin::Ramp => {
                if args.len() == 2 {
                    args.push(Expr::Const(f64::INFINITY));
                }
                function(Function::Ramp, args)
            }
            Builtin::Pulse => {
                // Stella's PULSE(volume) fires at the time it is evaluated: the first pulse
                // defaults to the current time (so `IF c THEN PULSE(1) ELSE 0` moves 1 in the
                // step where `c` holds), and the interval to 0, a single pulse.
                if args.len() == 1 {
                    args.push(Expr::Time);
                }
                if args.len() == 2 {
                    args.push(Expr::Const(0.0));
                }
                function(Function::Pulse, args)
            }
            Builtin::Init => {
                let source = self.as_variable(owner, "INIT input", args.into_iter().next()?);
                Expr::Init(source)
            }
            Builtin::PulseTrain => function(Function::PulseTrain, args),
            Builtin::Quantum => function(Function::Quantum, args),
            Builtin::GammaLn => function(Function::GammaLn, args),
            Builtin::Log => {
                let mut args = args.into_iter();
                let (x, base) = (args.next()?, args.next()?);
                Expr::Binary(
                    BinaryOp::Div,
                    Box::new(function(Function::Ln, vec![x])),
                    Box::new(function(Function::Ln, vec![base])),
                )
            }
            Builtin::ActiveInitial => {
                let mut args = args.into_iter();
                let (active, initial) = (args.next()?, args.next()?);
                Expr::Phased { initial: Box::new(initial), active: Box::new(active) }
            }
            Builtin::SampleIfTrue => {
                let mut args = args.into_iter();
                let (condition, input, initial) = (args.next()?, args.next()?, args.next()?);
                // The sample is a hidden variable that holds its own value from one step to the
                // next, taken as soon as the step's values are reported.
                let sample = self.hidden_id(owner, "SAMPLE_IF_TRUE value".to_owned());
                let id = PreviousId(self.out.previous.len() as u32);
                self.out.previous.push(PreviousState { source: sample, initial, handover: Handover::BeforeStep });
                let held = Expr::If(Box::new(condition), Box::new(input), Box::new(Expr::Previous(id)));
                self.set_kind(sample, ResolvedKind::Auxiliary(held));
                Expr::Var(sample)
            }
            Builtin::Delay | Builtin::DelayFixed => {
                let mut args = args.into_iter();
                let input = self.as_variable(owner, "DELAY input", args.next()?);
                let delay_time = args.next()?;
                let initial = args.next().unwrap_or(Expr::Var(input));
                let id = DelayId(self.out.delays.len() as u32);
                self.out.delays.push(PipelineDelay { input, delay_time, initial, material: None });
                Expr::Delayed(id)
            }
            Builtin::DelayMaterial => {
                let mut args = args.into_iter();
                let input = self.as_variable(owner, "DELAY_MATERIAL input", args.next()?);
                let delay_time = self.as_variable(owner, "DELAY_MATERIAL delay time", args.next()?);
                let (initial, missing) = (args.next()?, args.next()?);
                let id = DelayId(self.out.delays.len() as u32);
                let material = Some(MaterialDelay { delay_time, missing });
                self.out.delays.push(PipelineDelay { input, delay_time: Expr::Var(delay_time), initial, material });
                Expr::Delayed(id)
            }
            Builtin::Random
            | Builtin::Uniform
            | Builtin::Normal
            | Builtin::Lognormal
            | Builtin::Exprnd
            | Builtin::Poisson => {
                let (distribution, parameters) = match builtin {
                    Builtin::Random | Builtin::Uniform => (Distribution::Uniform, 2),
                    Builtin::Normal => (Distribution::Normal, 2),
                    Builtin::Lognormal => (Distribution::LogNormal, 2),
                    Builtin::Exprnd => (Distribution::Exponential, 1),
                    _ => (Distribution::Poisson, 1),
                };
                args.truncate(parameters);
                self.draw(distribution, args, seed)
            }
            Builtin::RandomNormal
            | Builtin::RandomExponential
            | Builtin::RandomGamma
            | Builtin::RandomWeibull
            | Builtin::RandomBeta
            | Builtin::RandomTriangular
            | Builtin::RandomPoisson
            | Builtin::RandomBinomial
            | Builtin::RandomNegativeBinomial => {
                let (family, seed_position) = truncated_family(builtin)?;
                args.truncate(seed_position);
                // Vensim's order is min, max, the family's parameters, shift, stretch; the draw
                // reads min, max, shift, stretch, then the parameters. The triangular has no
                // shift or stretch.
                let mut ordered: Vec<Expr> = args.drain(..2).collect();
                if family == Family::Triangular {
                    ordered.extend([Expr::Const(0.0), Expr::Const(1.0)]);
                    ordered.append(&mut args);
                } else {
                    let parameters: Vec<Expr> = args.drain(..family.parameter_count()).collect();
                    ordered.append(&mut args);
                    ordered.extend(parameters);
                }
                self.draw(Distribution::Truncated(family), ordered, seed)
            }
            Builtin::RandomPinkNoise => return self.lower_pink_noise(owner, args, seed),
            Builtin::History => {
                let mut args = args.into_iter();
                let source = self.as_variable(owner, "HISTORY input", args.next()?);
                Expr::History(source, Box::new(args.next()?))
            }
            Builtin::DelayInformation => {
                // The input at Time - delay time (the last step at or before it), or the initial
                // value while that is before the start.
                let mut args = args.into_iter();
                let source = self.as_variable(owner, "DELAY_INFORMATION input", args.next()?);
                let then = Expr::Binary(BinaryOp::Sub, Box::new(Expr::Time), Box::new(args.next()?));
                let initial = args.next()?;
                let before_start = Expr::Binary(BinaryOp::Lt, Box::new(then.clone()), Box::new(Expr::StartTime));
                Expr::If(Box::new(before_start), Box::new(initial), Box::new(Expr::History(source, Box::new(then))))
            }
            Builtin::Triangular | Builtin::Weibull | Builtin::Gamma | Builtin::Beta | Builtin::Binomial => {
                // Stella's draws, untruncated: the truncated family with unbounded limits, read as
                // min, max, shift, stretch, then the family's parameters.
                let unbounded = [Expr::Const(f64::NEG_INFINITY), Expr::Const(f64::INFINITY)];
                let mut args = args.into_iter();
                let (family, rest) = match builtin {
                    Builtin::Triangular => {
                        let (lower, mode, upper) = (args.next()?, args.next()?, args.next()?);
                        (Family::Triangular, vec![Expr::Const(0.0), Expr::Const(1.0), lower, mode, upper])
                    }
                    Builtin::Weibull => {
                        let (shape, scale) = (args.next()?, args.next()?);
                        (Family::Weibull, vec![Expr::Const(0.0), scale, shape])
                    }
                    Builtin::Gamma => {
                        let shape = args.next()?;
                        let scale = args.next().unwrap_or(Expr::Const(1.0));
                        (Family::Gamma, vec![Expr::Const(0.0), scale, shape])
                    }
                    Builtin::Beta => {
                        let (alpha, beta) = (args.next()?, args.next()?);
                        (Family::Beta, vec![Expr::Const(0.0), Expr::Const(1.0), alpha, beta])
                    }
                    _ => {
                        let (trials, probability) = (args.next()?, args.next()?);
                        (Family::Binomial, vec![Expr::Const(0.0), Expr::Const(1.0), probability, trials])
                    }
                };
                let ordered: Vec<Expr> = unbounded.into_iter().chain(rest).collect();
                self.draw(Distribution::Truncated(family), ordered, seed)
            }
            Builtin::Factorial => {
                // n! = Γ(n + 1), through the gamma function's logarithm, rounded to the whole
                // number it is (exact up to 2^53).
                let n = args.into_iter().next()?;
                let plus_one = Expr::Binary(BinaryOp::Add, Box::new(n), Box::new(Expr::Const(1.0)));
                let logarithm = Expr::Apply(Function::GammaLn, vec![plus_one]);
                Expr::Apply(Function::Round, vec![Expr::Apply(Function::Exp, vec![logarithm])])
            }
            Builtin::Combinations | Builtin::Permutations => {
                // n! / (r! (n - r)!) or n! / (n - r)!, through the gamma function's logarithm
                // and rounded to the whole number it is.
                let mut args = args.into_iter();
                let (n, r) = (args.next()?, args.next()?);
                let log_factorial = |x: Expr| {
                    let plus_one = Expr::Binary(BinaryOp::Add, Box::new(x), Box::new(Expr::Const(1.0)));
                    Expr::Apply(Function::GammaLn, vec![plus_one])
                };
                let rest = Expr::Binary(BinaryOp::Sub, Box::new(n.clone()), Box::new(r.clone()));
                let mut logarithm =
                    Expr::Binary(BinaryOp::Sub, Box::new(log_factorial(n)), Box::new(log_factorial(rest)));
                if builtin == Builtin::Combinations {
                    logarithm = Expr::Binary(BinaryOp::Sub, Box::new(logarithm), Box::new(log_factorial(r)));
                }
                Expr::Apply(Function::Round, vec![Expr::Apply(Function::Exp, vec![logarithm])])
            }
            Builtin::Sinwave | Builtin::Coswave => {
                let mut args = args.into_iter();
                let (amplitude, period) = (args.next()?, args.next()?);
                let turns = Expr::Binary(BinaryOp::Div, Box::new(Expr::Time), Box::new(period));
                let angle = Expr::Binary(BinaryOp::Mul, Box::new(Expr::Const(std::f64::consts::TAU)), Box::new(turns));
                let wave = if builtin == Builtin::Sinwave { Function::Sin } else { Function::Cos };
                Expr::Binary(BinaryOp::Mul, Box::new(amplitude), Box::new(Expr::Apply(wave, vec![angle])))
            }
            Builtin::Counter => {
                // Stella's COUNTER: start, plus the time since the start of the run wrapped
                // (floored) into one cycle of length end - start.
                let mut args = args.into_iter();
                let (start, end) = (args.next()?, args.next()?);
                let elapsed = Expr::Binary(BinaryOp::Sub, Box::new(Expr::Time), Box::new(Expr::StartTime));
                let length = Expr::Binary(BinaryOp::Sub, Box::new(end), Box::new(start.clone()));
                let wrapped = Expr::Binary(BinaryOp::Mod, Box::new(elapsed), Box::new(length));
                Expr::Binary(BinaryOp::Add, Box::new(start), Box::new(wrapped))
            }
            Builtin::Montecarlo => {
                // The probability is a percentage per unit of time: the chance of a 1 in one
                // step is probability × DT / 100, from one uniform draw per step.
                let probability = args.into_iter().next()?;
                let chance = Expr::Binary(
                    BinaryOp::Div,
                    Box::new(Expr::Binary(BinaryOp::Mul, Box::new(probability), Box::new(Expr::Dt))),
                    Box::new(Expr::Const(100.0)),
                );
                let draw = self.draw(Distribution::Uniform, vec![Expr::Const(0.0), Expr::Const(1.0)], seed);
                Expr::If(
                    Box::new(Expr::Binary(BinaryOp::Lt, Box::new(draw), Box::new(chance))),
                    Box::new(Expr::Const(1.0)),
                    Box::new(Expr::Const(0.0)),
                )
            }
            Builtin::Smth1
            | Builtin::Smth3
            | Builtin::Delay1
            | Builtin::Delay3
            | Builtin::Trend
            | Builtin::Forcst
            | Builtin::Npv
            | Builtin::Npve => {
                return self.lower_stateful(owner, builtin, args, None);
            }
            // Nullary names, LOOKUP, PREVIOUS, array functions, SMTHN and DELAYN take other paths.
            _ => return self.misrouted(owner, builtin),
        };
        Some(lowered)
    }

    /// A new random draw site, drawn once per time step.
    pub(super) fn draw(&mut self, distribution: Distribution, args: Vec<Expr>, seed: Option<u64>) -> Expr {
        let id = DrawId(self.out.draws.len() as u32);
        self.out.draws.push(DrawSite { distribution, seed });
        Expr::Random(distribution, id, args)
    }

    /// Reports a built-in that reached a lowering path not meant for it: a bug, but one that
    /// must show as an error rather than a wrong number.
    pub(super) fn misrouted(&mut self, owner: VarId, builtin: Builtin) -> Option<Expr> {
        let definition = &self.model.variables[self.out.variables[owner.index()].definition];
        self.diagnostics.push(
            Diagnostic::new(
                Code::Unsupported,
                format!("{} cannot be used here (internal lowering error)", builtin.name()),
            )
            .at(definition.span)
            .on_variable(&definition.name),
        );
        None
    }

    /// SUM, PROD, MEAN, STDDEV, SIZE, MIN and MAX: every argument is expanded over its
    /// wildcards (and over dimensions it names that this equation does not bind), and the terms
    /// are combined. Two dimensions with the same elements iterate together.
    fn lower_array_function(
        &mut self,
        site: Site<'_>,
        builtin: Builtin,
        args: &[syntax::Expr],
        span: Span,
    ) -> Option<Expr> {
        // `SIZE(Dim)`, a dimension's name alone, is its number of elements (Stella writes it so
        // for Vensim's ELMCOUNT), in any equation.
        if builtin == Builtin::Size
            && let [arg] = args
            && let ExprKind::Name(name) = &arg.kind
            && !self.definitions.contains_key(&name.canonical)
            && let Some(dimension) = self.dimensions.get(&name.canonical)
        {
            return Some(Expr::Const(self.dimensions.size(dimension) as f64));
        }
        let mut groups = Vec::new();
        let mut ranges = Vec::new();
        for arg in args {
            self.collect_wildcards(site, arg, &mut groups);
            self.collect_ranges(site, arg, &mut ranges)?;
        }
        let sizes: Vec<usize> = groups.iter().map(|&d| self.dimensions.size(d)).collect();
        let combinations_count: usize = sizes.iter().product();
        if combinations_count.saturating_mul(args.len()) > MAX_TERMS {
            let diagnostic = self.error(
                site,
                Code::Unsupported,
                span,
                format!("{} would add up more than {MAX_TERMS} terms", builtin.name()),
            );
            self.diagnostics.push(diagnostic);
            return None;
        }
        let mut terms = Vec::with_capacity(combinations_count * args.len());
        for combination in combinations(&sizes) {
            let mut wildcards: Vec<Binding> = site.wildcards.to_vec();
            wildcards
                .extend(groups.iter().zip(&combination).map(|(&dimension, &element)| Binding { dimension, element }));
            if !self.inside_ranges(&wildcards, &ranges) {
                continue;
            }
            let inner = Site { wildcards: &wildcards, ..site };
            for arg in args {
                // One failure is reported once, not once per element.
                terms.push(self.lower(inner, arg)?);
            }
        }
        Some(self.combine(site.owner, builtin, terms))
    }

    /// `VECTOR_SELECT(selection, values, missing, action, error_action)`: both arrays are
    /// expanded over their wildcards together, like the arguments of SUM (two arrays over
    /// different dimensions pair every element of one with every element of the other, as
    /// Vensim does), and the run combines the elements whose selection is not zero by the action
    /// (see `Expr::VectorSelect`). The action and the error action may change during the run.
    fn lower_vector_select(&mut self, site: Site<'_>, args: &[syntax::Expr], span: Span) -> Option<Expr> {
        let missing = self.lower(site, &args[2]);
        let action = self.lower(site, &args[3]);
        let error_action = self.lower(site, &args[4]);
        let mut groups = Vec::new();
        self.collect_wildcards(site, &args[0], &mut groups);
        self.collect_wildcards(site, &args[1], &mut groups);
        let sizes: Vec<usize> = groups.iter().map(|&d| self.dimensions.size(d)).collect();
        let count: usize = sizes.iter().product();
        if count.saturating_mul(2) > MAX_TERMS {
            let diagnostic = self.error(
                site,
                Code::Unsupported,
                span,
                format!("VECTOR_SELECT would combine more than {MAX_TERMS} terms"),
            );
            self.diagnostics.push(diagnostic);
            return None;
        }
        let mut selections = Vec::with_capacity(count);
        let mut values = Vec::with_capacity(count);
        for combination in combinations(&sizes) {
            let mut wildcards: Vec<Binding> = site.wildcards.to_vec();
            wildcards
                .extend(groups.iter().zip(&combination).map(|(&dimension, &element)| Binding { dimension, element }));
            let inner = Site { wildcards: &wildcards, ..site };
            let selection = self.lower(inner, &args[0]);
            let value = self.lower(inner, &args[1]);
            // One failure is reported once, not once per element.
            selections.push(selection?);
            values.push(value?);
        }
        Some(Expr::VectorSelect {
            selections,
            values,
            missing: Box::new(missing?),
            action: Box::new(action?),
            error_action: Box::new(error_action?),
        })
    }

    /// VECTOR_ELM_MAP, VECTOR_REORDER, VECTOR_SORT_ORDER and VECTOR_RANK. The first argument
    /// names one element of an array variable; the vector is that element's row along the
    /// array's last dimension (for VECTOR_ELM_MAP, every element from it to the end of the array,
    /// in row-major order), and the element's place in it is the position asked about.
    fn lower_vector_order(&mut self, site: Site<'_>, builtin: Builtin, args: &[syntax::Expr]) -> Option<Expr> {
        let direction = match builtin {
            Builtin::VectorSortOrder | Builtin::VectorRank => {
                let fixed = self.is_fixed(&args[1], 0);
                match fixed.then(|| self.value_at_start(site.bindings, &args[1], 0)).flatten() {
                    Some(direction) if !direction.is_nan() => Some(direction > 0.0),
                    _ => {
                        let diagnostic = self
                            .error(
                                site,
                                Code::InvalidArgument,
                                args[1].span,
                                format!("{}'s direction must be known before the run", builtin.name()),
                            )
                            .with_help("write 1 (smallest first) or -1 (largest first), or a constant");
                        self.diagnostics.push(diagnostic);
                        None
                    }
                }
            }
            _ => None,
        };
        let second = match builtin {
            Builtin::VectorElmMap | Builtin::VectorReorder => Some(self.lower(site, &args[1])),
            _ => None,
        };
        let reference = self.lower(site, &args[0])?;
        let Some((row, position, rest)) = self.vector_of(reference) else {
            let diagnostic = self
                .error(
                    site,
                    Code::InvalidArgument,
                    args[0].span,
                    format!("{} needs an element of an array variable first", builtin.name()),
                )
                .with_help("for example revenue[company]");
            self.diagnostics.push(diagnostic);
            return None;
        };
        Some(match builtin {
            Builtin::VectorElmMap => Expr::Choose(Box::new(second??), rest),
            Builtin::VectorReorder => Expr::Choose(Box::new(second??), row),
            Builtin::VectorSortOrder => {
                Expr::Order { kind: OrderKind::SortOrder, ascending: direction?, position, vector: row }
            }
            _ => Expr::Order { kind: OrderKind::Rank, ascending: direction?, position, vector: row },
        })
    }

    /// ALLOCATE_BY_PRIORITY and ALLOCATE_AVAILABLE share the supply along the last dimension of
    /// the variable being defined: its requests and priorities are the arguments read at each
    /// element of that dimension, the other dimensions staying where the instance is. A profile
    /// is four elements from the one named (`pp[branch, ptype]`), along its last dimension.
    /// DEMAND_AT_PRICE and SUPPLY_AT_PRICE read their quantities and profiles the same way, with
    /// the price in the supply's place.
    fn lower_allocation(
        &mut self,
        site: Site<'_>,
        builtin: Builtin,
        args: &[syntax::Expr],
        span: Span,
    ) -> Option<Expr> {
        let (rule, width, supply) = match builtin {
            Builtin::AllocateByPriority => (AllocationRule::ByPriority, self.lower(site, &args[3]), &args[4]),
            Builtin::DemandAtPrice => (AllocationRule::DemandAtPrice, Some(Expr::Const(0.0)), &args[2]),
            Builtin::SupplyAtPrice => (AllocationRule::SupplyAtPrice, Some(Expr::Const(0.0)), &args[2]),
            _ => (AllocationRule::Available, Some(Expr::Const(0.0)), &args[2]),
        };
        let supply = self.lower(site, supply);
        let definition = self.out.variables[site.owner.index()].definition;
        let along = self.shapes[definition].as_ref().and_then(|shape| shape.dimensions.last().copied());
        let Some((dimension, position)) =
            along.and_then(|d| site.bindings.iter().find(|b| b.dimension == d).map(|b| (d, b.element)))
        else {
            let diagnostic = self
                .error(
                    site,
                    Code::InvalidArgument,
                    span,
                    format!("{} gives one value per element of the dimension it allocates along", builtin.name()),
                )
                .with_help("define this variable over that dimension, as its last one");
            self.diagnostics.push(diagnostic);
            return None;
        };
        let size = self.dimensions.size(dimension);
        let mut requests = Vec::with_capacity(size);
        let mut priorities = Vec::with_capacity(size);
        for element in 0..size {
            let bindings: Vec<Binding> = site
                .bindings
                .iter()
                .map(|b| if b.dimension == dimension { Binding { dimension, element } } else { *b })
                .collect();
            let at = Site { bindings: &bindings, ..site };
            // One failure is reported once, not once per element.
            requests.push(self.lower(at, &args[0])?);
            let priority = self.lower(at, &args[1])?;
            if rule == AllocationRule::ByPriority {
                priorities.push(priority);
                continue;
            }
            let profile =
                self.vector_of(priority).and_then(|(row, first, _)| row.get(first..first + 4).map(<[Expr]>::to_vec));
            let Some(profile) = profile else {
                let diagnostic = self
                    .error(
                        site,
                        Code::InvalidArgument,
                        args[1].span,
                        format!("{}'s profile must name the first of four elements of an array (type, priority, width, extra)", builtin.name()),
                    )
                    .with_help("for example priority[branch, ptype], where ptype is the first element of the profile dimension");
                self.diagnostics.push(diagnostic);
                return None;
            };
            priorities.extend(profile);
        }
        Some(Expr::Allocate {
            rule,
            position,
            requests,
            priorities,
            width: Box::new(width?),
            supply: Box::new(supply?),
        })
    }

    /// `FIND_MARKET_PRICE(demand[d1], demand_profile[d1, ptype], supply[s1], supply_profile[s1,
    /// ptype])`: the quantities are the rows of the first and third arguments along their last
    /// dimension, from the element named; each quantity's profile is four elements from the one
    /// named in the profile's row of the same place (the profile argument's last two dimensions
    /// are the quantities' dimension and the profile's). One price: it reads whole rows, so the
    /// variable defined need not be arrayed over them.
    fn lower_market_price(&mut self, site: Site<'_>, args: &[syntax::Expr]) -> Option<Expr> {
        let lowered: Vec<Option<Expr>> = args.iter().map(|arg| self.lower(site, arg)).collect();
        let mut requests = Vec::new();
        let mut priorities = Vec::new();
        let mut demanders = 0;
        for (side, pair) in lowered.chunks(2).enumerate() {
            let (quantity, profile) = (pair[0].clone()?, pair[1].clone()?);
            let (quantity_arg, profile_arg) = (&args[2 * side], &args[2 * side + 1]);
            let Some(quantities) = self.vector_of(quantity).map(|(row, position, _)| row[position..].to_vec()) else {
                let diagnostic = self
                    .error(
                        site,
                        Code::InvalidArgument,
                        quantity_arg.span,
                        "FIND_MARKET_PRICE needs the first element of an array variable of quantities here".to_owned(),
                    )
                    .with_help("for example demand[d1], where d1 is the first element of the demanders' dimension");
                self.diagnostics.push(diagnostic);
                return None;
            };
            let count = quantities.len();
            let profiles = self.vector_of(profile).and_then(|(row, position, rest)| {
                let width = row.len();
                if position + 4 > width {
                    return None;
                }
                let mut profiles = Vec::with_capacity(4 * count);
                for i in 0..count {
                    profiles.extend_from_slice(rest.get(i * width..i * width + 4)?);
                }
                Some(profiles)
            });
            let Some(profiles) = profiles else {
                let diagnostic = self
                    .error(
                        site,
                        Code::InvalidArgument,
                        profile_arg.span,
                        format!("FIND_MARKET_PRICE needs a profile of four elements (type, priority, width, extra) for each of the {count} quantities here"),
                    )
                    .with_help("name the first element of an array over the quantities' dimension and a profile dimension, for example demand_profile[d1, ptype]");
                self.diagnostics.push(diagnostic);
                return None;
            };
            if side == 0 {
                demanders = count;
            }
            requests.extend(quantities);
            priorities.extend(profiles);
        }
        Some(Expr::Allocate {
            rule: AllocationRule::MarketPrice { demanders },
            position: 0,
            requests,
            priorities,
            width: Box::new(Expr::Const(0.0)),
            supply: Box::new(Expr::Const(0.0)),
        })
    }

    /// `ALLOC_P(request, priority, width, market_priority)`: element by element, one request
    /// read at the market priority (which MARKETP finds).
    fn lower_alloc_p(&mut self, site: Site<'_>, args: &[syntax::Expr]) -> Option<Expr> {
        let [request, priority, width, market] = [0, 1, 2, 3].map(|i| self.lower(site, &args[i]));
        Some(Expr::Allocate {
            rule: AllocationRule::AtPriority,
            position: 0,
            requests: vec![request?],
            priorities: vec![priority?],
            width: Box::new(width?),
            supply: Box::new(market?),
        })
    }

    /// `MARKETP(request[first], priority[first], size, width, supply)`: the requests and
    /// priorities are `size` elements of the rows of the first two arguments along their last
    /// dimension, from the element named; `size` must be fixed when the model is read (a number,
    /// or ELMCOUNT of a dimension). One priority: it reads whole rows, so the variable defined
    /// need not be arrayed over them.
    fn lower_marketp(&mut self, site: Site<'_>, args: &[syntax::Expr]) -> Option<Expr> {
        let [request, priority, size, width, supply] = [0, 1, 2, 3, 4].map(|i| self.lower(site, &args[i]));
        let size = match size {
            Some(Expr::Const(size)) if size >= 1.0 && size.fract() == 0.0 => size as usize,
            Some(_) => {
                let diagnostic = self
                    .error(
                        site,
                        Code::InvalidArgument,
                        args[2].span,
                        "MARKETP's size must be a whole number of requests, at least 1, fixed when the model is read"
                            .to_owned(),
                    )
                    .with_help("write a number, or ELMCOUNT of the requests' dimension");
                self.diagnostics.push(diagnostic);
                return None;
            }
            None => return None,
        };
        let requests = request
            .and_then(|request| self.vector_of(request))
            .and_then(|(row, first, _)| row.get(first..first + size).map(<[Expr]>::to_vec));
        let count = requests.as_ref().map_or(0, Vec::len);
        let priorities = priority
            .and_then(|priority| self.vector_of(priority))
            .and_then(|(row, first, _)| row.get(first..first + count).map(<[Expr]>::to_vec));
        let (Some(requests), Some(priorities)) = (requests, priorities) else {
            let diagnostic = self
                .error(
                    site,
                    Code::InvalidArgument,
                    args[0].span.to(args[1].span),
                    format!("MARKETP needs {size} elements of two array variables, the requests and their priorities, from the elements named along their last dimension"),
                )
                .with_help("for example MARKETP(demand[d1], priority[d1], ELMCOUNT(d), width, supply), where d1 is the first element of d");
            self.diagnostics.push(diagnostic);
            return None;
        };
        Some(Expr::Allocate {
            rule: AllocationRule::ClearingPriority,
            position: 0,
            requests,
            priorities,
            width: Box::new(width?),
            supply: Box::new(supply?),
        })
    }

    /// `VECTOR_LOOKUP(array[first], x, xmin, xmax, mode)`: the graph's values are the array's row
    /// along its last dimension, from the element named (at least two of them).
    fn lower_vector_lookup(&mut self, site: Site<'_>, args: &[syntax::Expr]) -> Option<Expr> {
        let [reference, x, xmin, xmax, mode] = [0, 1, 2, 3, 4].map(|i| self.lower(site, &args[i]));
        let values = self.vector_of(reference?).map(|(row, position, _)| row[position..].to_vec());
        let Some(values) = values.filter(|values| values.len() >= 2) else {
            let diagnostic = self
                .error(
                    site,
                    Code::InvalidArgument,
                    args[0].span,
                    "VECTOR_LOOKUP needs the first element of an array variable of at least two values".to_owned(),
                )
                .with_help("for example curve[c1], where c1 is the first element of the curve's last dimension");
            self.diagnostics.push(diagnostic);
            return None;
        };
        Some(Expr::VectorLookup {
            values,
            x: Box::new(x?),
            xmin: Box::new(xmin?),
            xmax: Box::new(xmax?),
            mode: Box::new(mode?),
        })
    }

    /// Stella's `ALLOCATE(available, last_dimension, requests, priorities, width)`: the same
    /// allocation as ALLOCATE_BY_PRIORITY (rectangular priority curves, one width), with the
    /// arguments in Stella's order. The dimension named must be the last dimension of the
    /// variable defined, along which the requests are shared. Stella's optional sixth argument
    /// (`spread`) is refused rather than ignored.
    fn lower_stella_allocate(&mut self, site: Site<'_>, args: &[syntax::Expr], span: Span) -> Option<Expr> {
        if let Some(spread) = args.get(5) {
            let diagnostic = self
                .error(
                    site,
                    Code::Unsupported,
                    spread.span,
                    "ALLOCATE's sixth argument (spread) is not supported".to_owned(),
                )
                .with_help("drop it: with five arguments ALLOCATE shares by rectangular priority curves of one width");
            self.diagnostics.push(diagnostic);
            return None;
        }
        let definition = self.out.variables[site.owner.index()].definition;
        let last = self.shapes[definition].as_ref().and_then(|shape| shape.dimensions.last().copied());
        let named = match &args[1].kind {
            ExprKind::Name(name) => self.dimensions.get(&name.canonical),
            _ => None,
        };
        if named.is_none() || named != last {
            let diagnostic = self
                .error(
                    site,
                    Code::InvalidArgument,
                    args[1].span,
                    "ALLOCATE's second argument must name the last dimension of the variable it defines".to_owned(),
                )
                .with_help("define this variable over the dimension the requests are shared along, as its last one");
            self.diagnostics.push(diagnostic);
            return None;
        }
        // ALLOCATE_BY_PRIORITY(request, priority, size, width, supply); size is not read.
        let reordered = [args[2].clone(), args[3].clone(), args[1].clone(), args[4].clone(), args[0].clone()];
        self.lower_allocation(site, Builtin::AllocateByPriority, &reordered, span)
    }

    /// Stella's `RANK(array, rank[, tie_break])` (XMILE 3.7.1.3): the array is its first
    /// argument read at every element of its wildcards, in row-major order, so the answer is a
    /// flat index from 1. A bare array name stands for the whole array even in an equation
    /// arrayed over its dimensions (RANK reads an array, never one element). The tie-break
    /// array is read at the same elements, and must have as many.
    fn lower_rank(&mut self, site: Site<'_>, args: &[syntax::Expr], span: Span) -> Option<Expr> {
        let rank = self.lower(site, &args[1]);
        let vector = self.rank_vector(site, &args[0], span);
        let tie_break = match args.get(2) {
            Some(tie_break) => self.rank_vector(site, tie_break, span),
            None => Some(Vec::new()),
        };
        let (vector, tie_break) = (vector?, tie_break?);
        if !tie_break.is_empty() && tie_break.len() != vector.len() {
            let diagnostic = self
                .error(
                    site,
                    Code::InvalidArgument,
                    args[2].span,
                    format!(
                        "RANK's tie-break array has {} elements, but the array it orders has {}",
                        tie_break.len(),
                        vector.len()
                    ),
                )
                .with_help("give an array of the same shape as the first");
            self.diagnostics.push(diagnostic);
            return None;
        }
        Some(Expr::SortedIndex { rank: Box::new(rank?), vector, tie_break })
    }

    /// The elements one array argument of RANK stands for, in row-major order.
    fn rank_vector(&mut self, site: Site<'_>, arg: &syntax::Expr, span: Span) -> Option<Vec<Expr>> {
        let whole = match &arg.kind {
            ExprKind::Name(name) => self
                .definitions
                .get(&name.canonical)
                .and_then(|&d| self.shapes[d].as_ref())
                .filter(|shape| !shape.dimensions.is_empty())
                .map(|shape| shape.dimensions.clone()),
            _ => None,
        };
        let (groups, bindings): (Vec<usize>, &[Binding]) = match whole {
            Some(dimensions) => (dimensions, &[]),
            None => {
                let mut groups = Vec::new();
                self.collect_wildcards(site, arg, &mut groups);
                (groups, site.bindings)
            }
        };
        let sizes: Vec<usize> = groups.iter().map(|&d| self.dimensions.size(d)).collect();
        let count: usize = sizes.iter().product();
        if groups.is_empty() || count > MAX_TERMS {
            let message = if groups.is_empty() {
                "RANK needs an array: a name of an array variable or a slice such as x[*]".to_owned()
            } else {
                format!("RANK would sort more than {MAX_TERMS} elements")
            };
            let code = if groups.is_empty() { Code::InvalidArgument } else { Code::Unsupported };
            let diagnostic = self.error(site, code, if groups.is_empty() { arg.span } else { span }, message);
            self.diagnostics.push(diagnostic);
            return None;
        }
        let mut elements = Vec::with_capacity(count);
        for combination in combinations(&sizes) {
            let mut wildcards: Vec<Binding> = site.wildcards.to_vec();
            wildcards
                .extend(groups.iter().zip(&combination).map(|(&dimension, &element)| Binding { dimension, element }));
            let inner = Site { bindings, wildcards: &wildcards, ..site };
            // One failure is reported once, not once per element.
            elements.push(self.lower(inner, arg)?);
        }
        Some(elements)
    }

    /// INVERT_MATRIX: the matrix is the argument read at every element of the last two
    /// dimensions of the variable defined, which must be of one size; the size argument (which
    /// Vensim needs) is that size. As in Vensim, which inverts the matrix variable as a whole, a
    /// reference whose last two subscripts are dimensions is read by position, the first the
    /// row and the second the column, whatever dimensions they name (`m[S, S]` for a variable
    /// over `[S, T]`). The variable's two dimensions may be one written twice (`inv[R, R]`,
    /// where Vensim's page writes a copy of the range, `R2 <-> R`); then the argument must be
    /// such a reference.
    fn lower_invert_matrix(&mut self, site: Site<'_>, args: &[syntax::Expr], span: Span) -> Option<Expr> {
        let definition = self.out.variables[site.owner.index()].definition;
        let count = self.shapes[definition].as_ref().map_or(0, |shape| shape.dimensions.len());
        let last_two = self.shapes[definition].as_ref().and_then(|shape| match shape.dimensions.as_slice() {
            [.., rows, columns] => Some((*rows, *columns)),
            _ => None,
        });
        let square = last_two.filter(|&(rows, columns)| self.dimensions.size(rows) == self.dimensions.size(columns));
        // The bindings are the defined variable's own dimensions, in its order.
        let bound = |position: usize| site.bindings.get(position).map(|b| b.element);
        let Some((rows, columns, row, column)) = square.and_then(|(rows, columns)| {
            Some((rows, columns, bound(count.checked_sub(2)?)?, bound(count.checked_sub(1)?)?))
        }) else {
            let diagnostic = self
                .error(site, Code::InvalidArgument, span, "INVERT_MATRIX gives a square matrix".to_owned())
                .with_help("define this variable over two dimensions of the same size, as its last two");
            self.diagnostics.push(diagnostic);
            return None;
        };
        let matrix = match Self::positional_matrix(&self.dimensions, &args[0], count) {
            Some(matrix) => matrix,
            None if rows == columns => {
                let diagnostic = self
                    .error(
                        site,
                        Code::InvalidArgument,
                        args[0].span,
                        "INVERT_MATRIX over one dimension written twice needs the matrix as a reference ending in two dimensions".to_owned(),
                    )
                    .with_help("write `m[R, R]`, or define a copy of the range (`R2 <-> R`) and write `m[R, R2]` for the variable and the matrix");
                self.diagnostics.push(diagnostic);
                return None;
            }
            None => args[0].clone(),
        };
        let size = self.dimensions.size(rows);
        let mut elements = Vec::with_capacity(size * size);
        for (r, c) in (0..size).flat_map(|r| (0..size).map(move |c| (r, c))) {
            let mut bindings = site.bindings.to_vec();
            if let [.., row_binding, column_binding] = bindings.as_mut_slice() {
                row_binding.element = r;
                column_binding.element = c;
            }
            // One failure is reported once, not once per element.
            elements.push(self.lower(Site { bindings: &bindings, ..site }, &matrix)?);
        }
        Some(Expr::InvertMatrix { position: row * size + column, elements })
    }

    /// INVERT_MATRIX's argument `m[..., A, B]`, its last two subscripts dimension names, for a
    /// variable defined over `count` dimensions: the same reference with those subscripts
    /// standing for the variable's last two positions (`@(count - 1)`, `@count`), so that the
    /// row and the column are read apart. `None` for any other argument.
    fn positional_matrix(dimensions: &Dimensions, arg: &syntax::Expr, count: usize) -> Option<syntax::Expr> {
        let names_dimension = |index: &Index| {
            matches!(index, Index::Expr(syntax::Expr { kind: ExprKind::Name(name), .. })
                if dimensions.get(&name.canonical).is_some())
        };
        let ExprKind::Subscript { array, array_span, indices } = &arg.kind else { return None };
        let [.., row, column] = indices.as_slice() else { return None };
        if !(names_dimension(row) && names_dimension(column)) || count < 2 {
            return None;
        }
        let mut indices = indices.clone();
        let length = indices.len();
        for (offset, index) in indices.iter_mut().skip(length - 2).enumerate() {
            let span = match index {
                Index::Expr(expr) => expr.span,
                _ => arg.span,
            };
            *index = Index::DimensionPosition { position: count - 1 + offset, span };
        }
        let kind = ExprKind::Subscript { array: array.clone(), array_span: *array_span, indices };
        Some(syntax::Expr { kind, span: arg.span })
    }

    /// For a reference to an element of an array variable: the element's row along the last
    /// dimension, its place in that row, and every element from it to the end of the array.
    fn vector_of(&self, reference: Expr) -> Option<(Vec<Expr>, usize, Vec<Expr>)> {
        let Expr::Var(id) = reference else { return None };
        let variable = &self.out.variables[id.index()];
        if !variable.is_user() {
            return None;
        }
        let shape = self.shapes[variable.definition].as_ref()?;
        let last = *shape.dimensions.last()?;
        let length = self.dimensions.size(last);
        let count = shape.count(&self.dimensions);
        let offset = id.index().checked_sub(shape.first)?;
        let position = offset % length;
        let row_start = shape.first + offset - position;
        let row = (row_start..row_start + length).map(|index| Expr::Var(VarId::from_index(index))).collect();
        let rest = (id.index()..shape.first + count).map(|index| Expr::Var(VarId::from_index(index))).collect();
        Some((row, position, rest))
    }

    /// Is this expression made of numbers and constants only, so that its value never changes?
    fn is_fixed(&self, expr: &syntax::Expr, depth: usize) -> bool {
        if depth > MAX_NESTING_OF_CONSTANTS {
            return false;
        }
        match &expr.kind {
            ExprKind::Number(_) => true,
            ExprKind::Name(name) => match self.definitions.get(&name.canonical) {
                Some(&definition) => {
                    let variable = &self.model.variables[definition];
                    variable.kind == VariableKind::Auxiliary
                        && variable.elements.is_empty()
                        && variable
                            .equation
                            .as_ref()
                            .and_then(|e| e.expr.as_ref().ok())
                            .is_some_and(|e| self.is_fixed(e, depth + 1))
                }
                None => matches!(
                    Builtin::from_name(&name.canonical),
                    Some(Builtin::Pi | Builtin::Dt | Builtin::StartTime | Builtin::StopTime)
                ),
            },
            ExprKind::Unary { operand, .. } => self.is_fixed(operand, depth + 1),
            ExprKind::Binary { lhs, rhs, .. } => self.is_fixed(lhs, depth + 1) && self.is_fixed(rhs, depth + 1),
            ExprKind::Chain { first, rest } => {
                self.is_fixed(first, depth + 1) && rest.iter().all(|(_, operand)| self.is_fixed(operand, depth + 1))
            }
            _ => false,
        }
    }

    /// The dimensions an array function's argument iterates over: its wildcards, and dimensions
    /// it uses that the equation does not bind.
    fn collect_wildcards(&self, site: Site<'_>, expr: &syntax::Expr, groups: &mut Vec<usize>) {
        let add = |dimension: usize, groups: &mut Vec<usize>| {
            let bound =
                site.bindings.iter().chain(site.wildcards).any(|b| self.dimensions.equivalent(b.dimension, dimension));
            if !bound && !groups.iter().any(|&g| self.dimensions.equivalent(g, dimension)) {
                groups.push(dimension);
            }
        };
        match &expr.kind {
            ExprKind::Subscript { array, indices, .. } => {
                let shape = self.array_definition(site, array).and_then(|d| self.shapes[d].as_ref());
                for (position, index) in indices.iter().enumerate() {
                    let declared = shape.and_then(|s| s.dimensions.get(position).copied());
                    match index {
                        Index::Wildcard { dimension, .. } => {
                            let named = dimension.as_ref().and_then(|n| self.dimensions.get(&n.canonical));
                            if let Some(dimension) = named.or(declared) {
                                // A wildcard always iterates, even over a dimension that is bound.
                                if !groups.iter().any(|&g| self.dimensions.equivalent(g, dimension)) {
                                    groups.push(dimension);
                                }
                            }
                        }
                        Index::Range { .. } => {
                            // A range iterates over its dimension as a wildcard does, within its ends.
                            if let Some(dimension) = declared
                                && !groups.iter().any(|&g| self.dimensions.equivalent(g, dimension))
                            {
                                groups.push(dimension);
                            }
                        }
                        Index::DimensionPosition { .. } => {}
                        Index::Expr(inner) => match &inner.kind {
                            ExprKind::Name(name) if self.dimensions.get(&name.canonical).is_some() => {
                                if let Some(dimension) = self.dimensions.get(&name.canonical) {
                                    add(dimension, groups);
                                }
                            }
                            _ => self.collect_wildcards(site, inner, groups),
                        },
                    }
                }
            }
            ExprKind::Name(name) => {
                if let Some(shape) = self.definitions.get(&name.canonical).and_then(|&d| self.shapes[d].as_ref()) {
                    for &dimension in &shape.dimensions {
                        add(dimension, groups);
                    }
                }
            }
            // A nested array function iterates on its own.
            ExprKind::Call { function, .. }
                if Builtin::from_name(&function.canonical).is_some_and(Builtin::is_array_function) => {}
            ExprKind::Call { args, .. } => args.iter().for_each(|arg| self.collect_wildcards(site, arg, groups)),
            ExprKind::Unary { operand, .. } => self.collect_wildcards(site, operand, groups),
            ExprKind::Binary { lhs, rhs, .. } => {
                self.collect_wildcards(site, lhs, groups);
                self.collect_wildcards(site, rhs, groups);
            }
            ExprKind::Chain { first, rest } => {
                self.collect_wildcards(site, first, groups);
                rest.iter().for_each(|(_, operand)| self.collect_wildcards(site, operand, groups));
            }
            ExprKind::If { condition, then_branch, else_branch } => {
                for part in [condition, then_branch, else_branch] {
                    self.collect_wildcards(site, part, groups);
                }
            }
            ExprKind::Number(_) => {}
        }
    }

    /// Combines the terms of an array function. Sums, products and extremes are built as
    /// balanced trees so that long arrays make shallow expressions.
    fn combine(&mut self, owner: VarId, builtin: Builtin, terms: Vec<Expr>) -> Expr {
        let count = terms.len() as f64;
        let binary = |op: BinaryOp| move |a: Expr, b: Expr| Expr::Binary(op, Box::new(a), Box::new(b));
        let function = |function: Function| move |a: Expr, b: Expr| Expr::Apply(function, vec![a, b]);
        match builtin {
            Builtin::Sum => balanced(terms, &binary(BinaryOp::Add)).unwrap_or(Expr::Const(0.0)),
            Builtin::Prod => balanced(terms, &binary(BinaryOp::Mul)).unwrap_or(Expr::Const(1.0)),
            Builtin::Min | Builtin::Vmin => balanced(terms, &function(Function::Min)).unwrap_or(Expr::Const(f64::NAN)),
            Builtin::Max | Builtin::Vmax => balanced(terms, &function(Function::Max)).unwrap_or(Expr::Const(f64::NAN)),
            Builtin::Size => Expr::Const(count),
            Builtin::Mean => {
                let sum = balanced(terms, &binary(BinaryOp::Add)).unwrap_or(Expr::Const(f64::NAN));
                Expr::Binary(BinaryOp::Div, Box::new(sum), Box::new(Expr::Const(count)))
            }
            // Population standard deviation: sqrt(sum((x - mean)^2) / n).
            _ => {
                let terms: Vec<Expr> = terms.into_iter().map(|term| self.simple(owner, "STDDEV term", term)).collect();
                let sum = balanced(terms.clone(), &binary(BinaryOp::Add)).unwrap_or(Expr::Const(f64::NAN));
                let mean = self.simple(
                    owner,
                    "STDDEV mean",
                    Expr::Binary(BinaryOp::Div, Box::new(sum), Box::new(Expr::Const(count))),
                );
                let squares = terms
                    .into_iter()
                    .map(|term| {
                        let deviation = Expr::Binary(BinaryOp::Sub, Box::new(term), Box::new(mean.clone()));
                        Expr::Binary(BinaryOp::Mul, Box::new(deviation.clone()), Box::new(deviation))
                    })
                    .collect();
                let total = balanced(squares, &binary(BinaryOp::Add)).unwrap_or(Expr::Const(f64::NAN));
                Expr::Apply(
                    Function::Sqrt,
                    vec![Expr::Binary(BinaryOp::Div, Box::new(total), Box::new(Expr::Const(count)))],
                )
            }
        }
    }

    fn lower_lookup(&mut self, site: Site<'_>, args: &[syntax::Expr]) -> Option<Expr> {
        if let ExprKind::Name(name) = &args[0].kind
            && !self.definitions.contains_key(&name.canonical)
        {
            // Exports from Vensim write its array minimum and maximum as LOOKUP(VMIN, ...).
            let reduction = match name.canonical.as_str() {
                "vmin" => Some(Builtin::Min),
                "vmax" => Some(Builtin::Max),
                _ => None,
            };
            if let Some(reduction) = reduction {
                return self.lower_array_function(site, reduction, &args[1..], args[0].span);
            }
        }
        let input = self.lower(site, &args[1]);
        let graph = self.table_graph(site, &args[0], "LOOKUP");
        Some(Expr::Lookup(graph?, Box::new(input?)))
    }

    /// RANDOM_LOOKUP(graph, min, max, shift, stretch[, seed]): the graph is the density, so the
    /// call reads the graph's points and one uniform draw a step.
    fn lower_random_lookup(&mut self, site: Site<'_>, args: &[syntax::Expr]) -> Option<Expr> {
        let graph = self.table_graph(site, &args[0], "RANDOM_LOOKUP");
        let seed = match args.get(5) {
            Some(seed) => self.stella_seed(site, seed)?,
            None => None,
        };
        let mut lowered = self.lower_args(site, &args[1..5])?;
        let graph = graph?;
        lowered.push(self.draw(Distribution::Uniform, vec![Expr::Const(0.0), Expr::Const(1.0)], seed));
        Some(Expr::RandomLookup(graph, lowered))
    }

    /// LOOKUP_EXTRAPOLATE, LOOKUP_FORWARD and LOOKUP_BACKWARD read a graphical function another
    /// way: each call gets its own copy of the table, of the kind that reads it so. LOOKUP_FORWARD
    /// is a step function that takes the next point's value: the step function of the table
    /// mirrored about x = 0, read at -x.
    fn lower_lookup_variant(&mut self, site: Site<'_>, builtin: Builtin, args: &[syntax::Expr]) -> Option<Expr> {
        let input = self.lower(site, &args[1]);
        let graph = self.table_graph(site, &args[0], &builtin.name());
        let (graph, input) = (graph?, input?);
        if builtin == Builtin::LookupArea {
            let to = self.lower(site, &args[2])?;
            return Some(Expr::LookupArea(graph, Box::new(input), Box::new(to)));
        }
        let mut table = self.out.graphs[graph.0 as usize].clone();
        let input = match builtin {
            Builtin::LookupInvert => {
                // The graph read the other way round: its values become the points. Only a
                // graph whose values strictly rise or strictly fall has one x for each value.
                let rising = table.y.windows(2).all(|pair| pair[0] < pair[1]);
                let falling = table.y.windows(2).all(|pair| pair[0] > pair[1]);
                if !rising && !falling {
                    let diagnostic = self
                        .error(
                            site,
                            Code::InvalidArgument,
                            args[0].span,
                            "LOOKUP_INVERT needs a graphical function whose values strictly rise or strictly fall"
                                .to_owned(),
                        )
                        .with_help("where two points share a value, the x for that value is not determined");
                    self.diagnostics.push(diagnostic);
                    return None;
                }
                std::mem::swap(&mut table.x, &mut table.y);
                if falling {
                    table.x.reverse();
                    table.y.reverse();
                }
                table.kind = GraphKind::Continuous;
                input
            }
            Builtin::LookupExtrapolate => {
                table.kind = GraphKind::Extrapolate;
                input
            }
            Builtin::LookupBackward => {
                table.kind = GraphKind::Discrete;
                input
            }
            _ => {
                table.kind = GraphKind::Discrete;
                table.x = table.x.iter().rev().map(|x| -x).collect();
                table.y.reverse();
                Expr::Unary(UnaryOp::Negate, Box::new(input))
            }
        };
        let id = GraphId(self.out.graphs.len() as u32);
        self.out.graphs.push(table);
        Some(Expr::Lookup(id, Box::new(input)))
    }

    /// `ELMCOUNT(dimension)`: the number of elements, known now.
    fn lower_elmcount(&mut self, site: Site<'_>, arg: &syntax::Expr) -> Option<Expr> {
        if let ExprKind::Name(name) = &arg.kind
            && let Some(dimension) = self.dimensions.get(&name.canonical)
        {
            return Some(Expr::Const(self.dimensions.size(dimension) as f64));
        }
        let diagnostic = self
            .error(site, Code::InvalidArgument, arg.span, "ELMCOUNT needs the name of a dimension".to_owned())
            .with_help("for the number of elements of an array variable, use SIZE");
        self.diagnostics.push(diagnostic);
        None
    }

    /// `GET_TIME_VALUE(relative_to, offset, measure)`: the current time (relative_to 0) or the
    /// initial time (1), plus the offset, in the model's units (measure 0) or as a field of its
    /// date (measures 1 to 10, see [`CalendarField`]). Which time and which measure must be known
    /// before the run. A date needs the model's time unit (its calendar and length in days, see
    /// [`time_unit_calendar`]) and the date of the start time; a model in years without a date
    /// counts its time as the year itself. The computer's clock (relative_to 2) is refused: it
    /// would make runs depend on when they ran.
    fn lower_get_time_value(&mut self, site: Site<'_>, args: &[syntax::Expr]) -> Option<Expr> {
        let relative_to = self.value_at_start(site.bindings, &args[0], 0);
        let measure = self.value_at_start(site.bindings, &args[2], 0);
        let offset = self.lower(site, &args[1]);
        let base = match relative_to {
            Some(0.0) => Some(Expr::Time),
            Some(1.0) => Some(Expr::StartTime),
            Some(2.0) => {
                let diagnostic = self
                    .error(
                        site,
                        Code::Unsupported,
                        args[0].span,
                        "GET_TIME_VALUE relative to the computer's clock is not supported".to_owned(),
                    )
                    .with_help("runs must give the same numbers wherever and whenever they run; use 0 (the current time) or 1 (the initial time)");
                self.diagnostics.push(diagnostic);
                None
            }
            _ => {
                let diagnostic = self
                    .error(
                        site,
                        Code::InvalidArgument,
                        args[0].span,
                        "GET_TIME_VALUE's first argument must be 0 (the current time) or 1 (the initial time)"
                            .to_owned(),
                    )
                    .with_help("it is fixed when the run starts: write a number, or a constant");
                self.diagnostics.push(diagnostic);
                None
            }
        };
        let field = match measure {
            Some(0.0) => None,
            Some(measure) if CalendarField::from_measure(measure).is_some() => CalendarField::from_measure(measure),
            _ => {
                let diagnostic = self
                    .error(
                        site,
                        Code::InvalidArgument,
                        args[2].span,
                        "GET_TIME_VALUE's measure must be a whole number from 0 to 10".to_owned(),
                    )
                    .with_help("0 is the time in the model's units, 1 to 10 the year, quarter, month, day of the month, day of the week, day number, hour, minute, second and elapsed seconds of its date; it is fixed when the run starts");
                self.diagnostics.push(diagnostic);
                return None;
            }
        };
        let calendar = match field {
            Some(field) => Some(self.model_calendar(site, args[2].span, field)?),
            None => None,
        };
        let time = base?.then(BinaryOp::Add, offset?);
        let (Some(field), Some(calendar)) = (field, calendar) else {
            return Some(time);
        };
        // The day number: the start's, plus the days since the start. The day of the week counts
        // real days from the start's real weekday, whichever calendar the months follow.
        let (origin_time, origin_day) = match (calendar.date, field) {
            (Some(date), CalendarField::DayOfWeek) => (Expr::StartTime, date.day_number(Calendar::Gregorian) as f64),
            (Some(date), _) => (Expr::StartTime, date.day_number(calendar.calendar) as f64),
            // A model in years without a date: time 2000.5 is the middle of the year 2000.
            (None, _) => (Expr::Const(0.0), 0.0),
        };
        let days = time.then(BinaryOp::Sub, origin_time).then(BinaryOp::Mul, Expr::Const(calendar.days_per_unit));
        let day_number = Expr::Const(origin_day).then(BinaryOp::Add, days);
        let kind = if field == CalendarField::DayOfWeek { Calendar::Gregorian } else { calendar.calendar };
        Some(Expr::Apply(Function::Calendar(kind, field), vec![day_number]))
    }

    /// The calendar that turns the model's times into dates, for the calendar measures of
    /// `GET_TIME_VALUE` at `span`; a located error when the model's time unit has no length in
    /// days, or when it needs a date for its start time and has none.
    fn model_calendar(&mut self, site: Site<'_>, span: Span, field: CalendarField) -> Option<ModelCalendar> {
        let sim = &self.model.sim;
        let unit = sim.time_units.as_deref().map(str::trim).filter(|unit| !unit.is_empty());
        let Some((calendar, days_per_unit)) = unit.and_then(time_unit_calendar) else {
            let message = match unit {
                Some(unit) => format!(
                    "the model's time unit \"{unit}\" has no length in days for GET_TIME_VALUE's calendar measures"
                ),
                None => "GET_TIME_VALUE's calendar measures need the model's time unit".to_owned(),
            };
            let diagnostic = self
                .error(site, Code::Unsupported, span, message)
                .with_help("measure time in years, quarters, months, weeks, days, hours, minutes or seconds (`time_units` in [sim]), or use measure 0");
            self.diagnostics.push(diagnostic);
            return None;
        };
        if sim.start_date.is_none() && (days_per_unit != 360.0 || field == CalendarField::DayOfWeek) {
            let diagnostic = self
                .error(site, Code::Unsupported, span, "GET_TIME_VALUE's calendar measures need the date of the start time".to_owned())
                .with_help("give it as `start_date = \"YYYY-MM-DD\"` in [sim] (in Vensim: Model>Settings>Time Bounds, a Date time label); without one, a model in years counts its time as the year, but has no day of the week");
            self.diagnostics.push(diagnostic);
            return None;
        }
        Some(ModelCalendar { calendar, days_per_unit, date: sim.start_date })
    }

    /// Vensim's GET DATA functions, over the points of a data variable (see [`Self::data_points`]),
    /// which are known before the run: the first and last time and the count are numbers; a value
    /// at another time reads a table of the points; a maximum, minimum or mean over a range of
    /// times is VECTOR SELECT's over the points whose time is in the range, with Vensim's `:NA:`
    /// when none is.
    fn lower_get_data(&mut self, site: Site<'_>, builtin: Builtin, args: &[syntax::Expr]) -> Option<Expr> {
        let name = builtin.name();
        let points = self.data_points(site, &args[0], &name);
        let mut rest = Vec::with_capacity(args.len().saturating_sub(1));
        for arg in &args[1..] {
            rest.push(self.lower(site, arg));
        }
        let (graph, mirrored, times, values) = points?;
        let rest: Vec<Expr> = rest.into_iter().collect::<Option<_>>()?;
        let argument = |i: usize| rest.get(i).cloned().unwrap_or(Expr::Const(f64::NAN));
        let (first, last) = (times.first().copied()?, times.last().copied()?);
        let outside = |time: Expr| {
            Expr::Binary(
                BinaryOp::Or,
                Box::new(Expr::Binary(BinaryOp::Lt, Box::new(time.clone()), Box::new(Expr::Const(first)))),
                Box::new(Expr::Binary(BinaryOp::Gt, Box::new(time), Box::new(Expr::Const(last)))),
            )
        };
        let not_available = |time: Expr, value: Expr| {
            Expr::If(Box::new(outside(time)), Box::new(Expr::Const(VENSIM_NA)), Box::new(value))
        };
        match builtin {
            Builtin::GetDataFirstTime => Some(Expr::Const(first)),
            Builtin::GetDataLastTime => Some(Expr::Const(last)),
            Builtin::GetDataTotalPoints => Some(Expr::Const(times.len() as f64)),
            // The variable's own table, read as the variable reads it at Time.
            Builtin::GetDataAtTime => {
                let time = argument(0);
                let input = if mirrored { Expr::Unary(UnaryOp::Negate, Box::new(time)) } else { time };
                Some(Expr::Lookup(graph, Box::new(input)))
            }
            Builtin::GetDataBetweenTimes => {
                let mode = self.value_at_start(site.bindings, &args[2], 0);
                let time = argument(0);
                // Vensim's own runs read a time that is not a whole number as the whole number
                // below it when looking forward or back (its output for half-year offsets into
                // yearly data), and a time exactly at a point as lying between that point and the
                // one before: backward gives the earlier point's value there.
                let whole = Expr::Apply(Function::Int, vec![time.clone()]);
                let mut table = |kind: GraphKind, x: Vec<f64>, y: Vec<f64>| {
                    let id = GraphId(self.out.graphs.len() as u32);
                    self.out.graphs.push(GraphicalFunction { kind, x, y, span: None });
                    id
                };
                // The value of the first point at or after the input: the step table of the points
                // mirrored about zero, read at minus the input.
                let mut forward = |x: &[f64], y: &[f64], input: Expr| {
                    let id = table(
                        GraphKind::Discrete,
                        x.iter().rev().map(|x| -x).collect(),
                        y.iter().rev().copied().collect(),
                    );
                    Expr::Lookup(id, Box::new(Expr::Unary(UnaryOp::Negate, Box::new(input))))
                };
                match mode {
                    Some(0.0) => {
                        let id = table(GraphKind::Continuous, times.clone(), values.clone());
                        Some(not_available(time.clone(), Expr::Lookup(id, Box::new(time))))
                    }
                    Some(1.0) => Some(not_available(time, forward(&times, &values, whole))),
                    // Each point's value stands for the times after it up to the next point:
                    // the table of (next time, value), read forward.
                    Some(-1.0) if times.len() > 1 => {
                        let later = &times[1..];
                        let earlier = &values[..values.len() - 1];
                        Some(not_available(time, forward(later, earlier, whole)))
                    }
                    Some(-1.0) => Some(not_available(time, Expr::Const(values[0]))),
                    _ => {
                        let diagnostic = self
                            .error(
                                site,
                                Code::InvalidArgument,
                                args[2].span,
                                format!("{name}'s mode must be 0 (interpolate), 1 (forward) or -1 (backward)"),
                            )
                            .with_help("it is fixed when the run starts: write a number, or a constant");
                        self.diagnostics.push(diagnostic);
                        None
                    }
                }
            }
            _ => {
                // VECTOR SELECT's actions on the values themselves: 8 the minimum, 9 the maximum,
                // 10 the mean.
                let action = match builtin {
                    Builtin::GetDataMin => 8.0,
                    Builtin::GetDataMax => 9.0,
                    _ => 10.0,
                };
                let (from, to) = (argument(0), argument(1));
                let selections = times
                    .iter()
                    .map(|&time| {
                        Expr::Binary(
                            BinaryOp::And,
                            Box::new(Expr::Binary(BinaryOp::Le, Box::new(from.clone()), Box::new(Expr::Const(time)))),
                            Box::new(Expr::Binary(BinaryOp::Le, Box::new(Expr::Const(time)), Box::new(to.clone()))),
                        )
                    })
                    .collect();
                Some(Expr::VectorSelect {
                    selections,
                    values: values.iter().map(|&value| Expr::Const(value)).collect(),
                    missing: Box::new(Expr::Const(VENSIM_NA)),
                    action: Box::new(Expr::Const(action)),
                    error_action: Box::new(Expr::Const(0.0)),
                })
            }
        }
    }

    /// The points of the data variable an argument names (`data` or `data[element, ...]`), in
    /// order of time, with its table and whether the table is mirrored. A data variable is one
    /// whose values are a table of Time: its equation is `TIME`, or `-TIME` for a table mirrored
    /// about zero so as to take each point's value until the one before it (Vensim's `:LOOK
    /// FORWARD:` data, as the Vensim reader writes it).
    fn data_points(
        &mut self,
        site: Site<'_>,
        arg: &syntax::Expr,
        what: &str,
    ) -> Option<(GraphId, bool, Vec<f64>, Vec<f64>)> {
        let not_data = |lower: &mut Self, span: Span, message: String| {
            let diagnostic = lower
                .error(site, Code::InvalidArgument, span, message)
                .with_help("GET DATA functions read the points of a data variable, one whose values are a table of Time read from a file");
            lower.diagnostics.push(diagnostic);
            None
        };
        let (name, indices, span) = match &arg.kind {
            ExprKind::Name(name) => (name, None, arg.span),
            ExprKind::Subscript { array, array_span, indices } => (array, Some(indices.as_slice()), *array_span),
            _ => return not_data(self, arg.span, format!("{what} needs the name of a data variable first")),
        };
        let Some(definition) = self.definitions.get(&name.canonical).copied() else {
            return not_data(self, span, format!("unknown data variable `{}`", name.written));
        };
        let variable = &self.model.variables[definition];
        if variable.graph.is_none() && variable.elements.iter().all(|element| element.graph.is_none()) {
            let message =
                format!("`{}` is not a data variable with points: it is computed by its equation", variable.name);
            return not_data(self, span, message);
        }
        let graph = self.table_graph(site, arg, what)?;
        let id = self.instance(site, definition, indices, arg.span)?;
        let variable = &self.model.variables[definition];
        let shape = self.shapes[definition].clone()?;
        let offset = id.index().checked_sub(shape.first)?;
        let equation = self
            .element_definition(variable, &shape, offset)
            .and_then(|element| element.equation.as_ref())
            .or(variable.equation.as_ref());
        let is_time =
            |expr: &syntax::Expr| matches!(&expr.kind, ExprKind::Name(name) if name.canonical.as_str() == "time");
        let mirrored = match equation.map(|equation| &equation.expr) {
            Some(Ok(expr)) if is_time(expr) => false,
            Some(Ok(syntax::Expr { kind: ExprKind::Unary { op: UnaryOp::Negate, operand }, .. }))
                if is_time(operand) =>
            {
                true
            }
            _ => {
                let message = format!("`{}` is not a data variable: its table is not read at Time", variable.name);
                return not_data(self, span, message);
            }
        };
        let table = &self.out.graphs[graph.0 as usize];
        let (times, values) = if mirrored {
            (table.x.iter().rev().map(|x| -x).collect(), table.y.iter().rev().copied().collect())
        } else {
            (table.x.clone(), table.y.clone())
        };
        Some((graph, mirrored, times, values))
    }

    fn lower_graph_call(
        &mut self,
        site: Site<'_>,
        function: &syntax::NameRef,
        span: Span,
        args: &[syntax::Expr],
    ) -> Option<Expr> {
        if !self.definitions.contains_key(&function.canonical)
            && self.model.dialect != Dialect::Vensim
            && let Some(reason) = super::stella::unsupported_stella_builtin(function.canonical.as_str())
        {
            let message = format!("`{}` is one of Stella's builtins that fulcrum does not compute", function.written);
            let diagnostic = self.error(site, Code::Unsupported, span, message).with_help(reason.to_owned());
            self.diagnostics.push(diagnostic);
            for arg in args {
                self.lower(site, arg);
            }
            return None;
        }
        if !self.definitions.contains_key(&function.canonical) {
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
        let named = syntax::Expr { kind: ExprKind::Name(function.clone()), span };
        let graph = self.table_graph(site, &named, "a call");
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

    /// The table of the graphical function a profile spread names (Stella's
    /// `<isee:distrib_eq>`), for `flow`. A module's input connected to a graphical function of
    /// the model holding the module stands for that function: such inputs are followed, as far
    /// as one equation that is a bare name leads. Errors are reported at the flow.
    pub(super) fn profile_graph(&mut self, flow: &Variable, profile: &str) -> Option<GraphId> {
        let mut name = CanonicalName::new(profile);
        let mut error = None;
        // More inputs in a row than any model nests modules means the names go round.
        for _ in 0..64 {
            let Some(&definition) = self.definitions.get(&name) else {
                error = Some(format!("unknown graphical function `{profile}`"));
                break;
            };
            let variable = &self.model.variables[definition];
            if variable.graph.is_some() || variable.elements.iter().any(|element| element.graph.is_some()) {
                let shape = self.shapes[definition].clone()?;
                if shape.count(&self.dimensions) != 1 {
                    error =
                        Some(format!("`{profile}` is an array of graphical functions; a profile must be one function"));
                    break;
                }
                // A table that failed its checks has been reported already.
                return self.graph_of.get(&VarId::from_index(shape.first)).copied();
            }
            match variable.equation.as_ref().and_then(|equation| equation.expr.as_ref().ok()).map(|expr| &expr.kind) {
                Some(ExprKind::Name(next)) => name = next.canonical.clone(),
                _ => {
                    error = Some(format!("`{profile}` is not a graphical function"));
                    break;
                }
            }
        }
        let message = error.unwrap_or_else(|| format!("`{profile}` names itself round a loop of inputs"));
        self.diagnostics.push(
            Diagnostic::new(
                Code::InvalidArgument,
                format!("`{}` spreads what it brings by a profile: {message}", flow.name),
            )
            .at(flow.span)
            .on_variable(&flow.name)
            .with_help("name a graphical function whose points give each position of the belt its share"),
        );
        None
    }

    /// The table of a graphical function named in an equation, `table` or `table[e1, ...]`: for
    /// an arrayed one without subscripts, the element the bindings select.
    fn table_graph(&mut self, site: Site<'_>, table: &syntax::Expr, what: &str) -> Option<GraphId> {
        let (name, indices, span) = match &table.kind {
            ExprKind::Name(name) => (name, None, table.span),
            ExprKind::Subscript { array, array_span, indices } => (array, Some(indices.as_slice()), *array_span),
            _ => {
                let diagnostic = self.error(
                    site,
                    Code::InvalidArgument,
                    table.span,
                    format!("{what} needs the name of a graphical function first"),
                );
                self.diagnostics.push(diagnostic);
                return None;
            }
        };
        let definition = self.definitions.get(&name.canonical).copied();
        let has_table = definition.is_some_and(|d| {
            let variable = &self.model.variables[d];
            variable.graph.is_some() || variable.elements.iter().any(|element| element.graph.is_some())
        });
        if let (Some(definition), true) = (definition, has_table) {
            if indices.is_none() {
                // Its dimensions were invalid, which has been reported.
                let shape = self.shapes[definition].clone()?;
                if shape.dimensions.iter().any(|&d| self.dimensions.bound(d, site.bindings).is_none()) {
                    let diagnostic = self.error(
                        site,
                        Code::InvalidArgument,
                        span,
                        format!("`{}` is an array of tables, and this equation does not say which one", name.written),
                    );
                    self.diagnostics.push(diagnostic);
                    return None;
                }
            }
            let id = self.instance(site, definition, indices, table.span)?;
            // A table that failed its checks has been reported already.
            return self.graph_of.get(&id).copied();
        }
        let message = match definition {
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
        self.out.previous.push(PreviousState { source, initial, handover: Handover::AfterStep });
        Some(Expr::Previous(id))
    }

    /// Stella's `DERIVN(input, order)` (its Mathematical builtins): the order-th time derivative
    /// by backward differences, `d(t) = (x(t) − x(t − DT)) / DT` applied `order` times, and 0 for
    /// the first `order` steps, while the input has fewer past values than that; order 0 is the
    /// input itself. Each level is a hidden variable beside a PREVIOUS of it; a level is right
    /// from its own order of steps on, so only the last needs the first steps masked.
    fn lower_derivn(&mut self, site: Site<'_>, args: &[syntax::Expr]) -> Option<Expr> {
        let order = match self.value_at_start(site.bindings, &args[1], 0) {
            Some(order) if (0.0..=MAX_ORDER).contains(&order) && order.fract() == 0.0 => Some(order as usize),
            _ => {
                let diagnostic = self
                    .error(
                        site,
                        Code::InvalidArgument,
                        args[1].span,
                        format!("the order of DERIVN must be a whole number from 0 to {MAX_ORDER}"),
                    )
                    .with_help("the order is fixed when the run starts: write a number, or a constant");
                self.diagnostics.push(diagnostic);
                None
            }
        };
        let input = self.lower(site, &args[0]);
        let (order, input) = (order?, input?);
        if order == 0 {
            return Some(input);
        }
        let mut level = input;
        for k in 1..=order {
            let current = self.as_variable(site.owner, &format!("DERIVN order {} input", k - 1), level);
            let id = PreviousId(self.out.previous.len() as u32);
            self.out.previous.push(PreviousState {
                source: current,
                initial: Expr::Init(current),
                handover: Handover::AfterStep,
            });
            level = Expr::Binary(
                BinaryOp::Div,
                Box::new(Expr::Binary(BinaryOp::Sub, Box::new(Expr::Var(current)), Box::new(Expr::Previous(id)))),
                Box::new(Expr::Dt),
            );
        }
        // The first `order` steps: TIME < STARTTIME + (order − ½) · DT.
        let warming_up = Expr::Binary(
            BinaryOp::Lt,
            Box::new(Expr::Time),
            Box::new(Expr::Binary(
                BinaryOp::Add,
                Box::new(Expr::StartTime),
                Box::new(Expr::Binary(BinaryOp::Mul, Box::new(Expr::Const(order as f64 - 0.5)), Box::new(Expr::Dt))),
            )),
        );
        Some(Expr::If(Box::new(warming_up), Box::new(Expr::Const(0.0)), Box::new(level)))
    }

    /// The order of SMTHN or DELAYN: a whole number from 1 to [`MAX_ORDER`], known before the run.
    fn constant_order(&mut self, site: Site<'_>, expr: &syntax::Expr) -> Option<usize> {
        match self.value_at_start(site.bindings, expr, 0) {
            Some(order) if (1.0..=MAX_ORDER).contains(&order) && order.fract() == 0.0 => Some(order as usize),
            _ => {
                let diagnostic = self
                    .error(
                        site,
                        Code::InvalidArgument,
                        expr.span,
                        format!("the order must be a whole number from 1 to {MAX_ORDER}"),
                    )
                    .with_help("the order is fixed when the run starts: write a number, or a constant");
                self.diagnostics.push(diagnostic);
                None
            }
        }
    }

    pub(super) fn constant_seed(&mut self, site: Site<'_>, expr: &syntax::Expr) -> Option<u64> {
        match self.value_at_start(site.bindings, expr, 0) {
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

    /// Vensim lowers the order of DELAY N until each stage lasts at least one time step, so that
    /// Euler integration stays stable; the delay time at the start decides.
    fn vensim_delay_order(&self, site: Site<'_>, order: usize, delay_time: &syntax::Expr) -> usize {
        let dt = self.setting_at_start(self.model.sim.computed.dt.as_deref(), self.model.sim.dt, site.bindings, 0);
        match (self.value_at_start(site.bindings, delay_time, 0), dt) {
            (Some(time), Some(dt)) if time.is_finite() && time > 0.0 && dt > 0.0 => {
                let stages = (time / dt + 1e-9).floor().max(1.0) as usize;
                order.min(stages)
            }
            _ => order,
        }
    }

    /// A time setting's value at the start: its number, or the value at the start of the
    /// variable that computes it (`None` when that cannot be worked out before the run).
    fn setting_at_start(&self, computed: Option<&str>, number: f64, bindings: &[Binding], depth: usize) -> Option<f64> {
        match computed {
            None => Some(number),
            Some(name) => {
                let definition = *self.definitions.get(&CanonicalName::new(name))?;
                self.element_value_at_start(definition, bindings, None, depth + 1)
            }
        }
    }

    /// The value of an expression at the start time, worked out now from numbers, constants,
    /// the auxiliaries they feed, and the test inputs: what sizes a structure (the order of
    /// SMTHN and DELAYN) when it is fixed at the start, as Vensim fixes it.
    pub(super) fn value_at_start(&self, bindings: &[Binding], expr: &syntax::Expr, depth: usize) -> Option<f64> {
        if depth > MAX_NESTING_OF_CONSTANTS {
            return None;
        }
        let sim = &self.model.sim;
        let at = |e: &syntax::Expr| self.value_at_start(bindings, e, depth + 1);
        match &expr.kind {
            ExprKind::Number(value) => Some(*value),
            ExprKind::Subscript { array, indices, .. } => {
                let definition = *self.definitions.get(&array.canonical)?;
                self.element_value_at_start(definition, bindings, Some(indices), depth)
            }
            ExprKind::Name(name) => match self.definitions.get(&name.canonical) {
                Some(&definition) => self.element_value_at_start(definition, bindings, None, depth),
                // A dimension's name is the position of the element being written for.
                None if self.dimensions.get(&name.canonical).is_some() => {
                    let dimension = self.dimensions.get(&name.canonical)?;
                    self.dimensions.bound(dimension, bindings).map(|element| (element + 1) as f64)
                }
                None => match Builtin::from_name(&name.canonical)? {
                    Builtin::Time | Builtin::StartTime => Some(sim.start),
                    Builtin::StopTime => self.setting_at_start(sim.computed.stop.as_deref(), sim.stop, bindings, depth),
                    Builtin::Dt => self.setting_at_start(sim.computed.dt.as_deref(), sim.dt, bindings, depth),
                    Builtin::Pi => Some(std::f64::consts::PI),
                    _ => None,
                },
            },
            ExprKind::Unary { op: UnaryOp::Negate, operand } => Some(-at(operand)?),
            ExprKind::Unary { op: UnaryOp::Plus, operand } => at(operand),
            ExprKind::Binary { op, lhs, rhs } => arithmetic(at(lhs)?, *op, at(rhs)?),
            ExprKind::Chain { first, rest } => {
                rest.iter().try_fold(at(first)?, |value, (op, operand)| arithmetic(value, *op, at(operand)?))
            }
            ExprKind::Call { function, args, .. } => {
                let values: Option<Vec<f64>> = args.iter().map(at).collect();
                let values = values?;
                match (Builtin::from_name(&function.canonical)?, values.as_slice()) {
                    (Builtin::Step, [height, start]) => {
                        let dt = self.setting_at_start(sim.computed.dt.as_deref(), sim.dt, bindings, depth)?;
                        Some(if sim.start + dt / 2.0 > *start { *height } else { 0.0 })
                    }
                    (Builtin::Max, [a, b]) => Some(a.max(*b)),
                    (Builtin::Min, [a, b]) => Some(a.min(*b)),
                    _ => None,
                }
            }
            _ => None,
        }
    }
}

impl Lowering<'_, '_> {
    /// The start value of one element of an auxiliary (the one the subscripts, or else the
    /// bindings, select), when it can be worked out now.
    fn element_value_at_start(
        &self,
        definition: usize,
        bindings: &[Binding],
        indices: Option<&[Index]>,
        depth: usize,
    ) -> Option<f64> {
        let variable = &self.model.variables[definition];
        if variable.kind != VariableKind::Auxiliary || variable.graph.is_some() {
            return None;
        }
        let shape = self.shapes[definition].as_ref()?;
        let mut elements = Vec::with_capacity(shape.dimensions.len());
        for (position, &dimension) in shape.dimensions.iter().enumerate() {
            let element = match indices.map(|indices| indices.get(position)) {
                None => self.dimensions.bound(dimension, bindings)?,
                Some(Some(Index::Expr(syntax::Expr { kind: ExprKind::Name(name), .. }))) => {
                    match self.dimensions.get(&name.canonical) {
                        Some(named) => {
                            let binding = bindings.iter().find(|b| self.dimensions.equivalent(b.dimension, named))?;
                            self.dimensions.map(binding.dimension, binding.element, dimension)?
                        }
                        None => self.dimensions.element(dimension, &name.canonical)?,
                    }
                }
                Some(Some(Index::Expr(syntax::Expr { kind: ExprKind::Number(position), .. }))) => {
                    (*position as usize).checked_sub(1).filter(|p| *p < self.dimensions.size(dimension))?
                }
                _ => return None,
            };
            elements.push(element);
        }
        let offset = shape.offset(&self.dimensions, &elements);
        let equation = match self.element_definition(variable, shape, offset) {
            Some(element) => element.equation.as_ref().or(variable.equation.as_ref()),
            None => variable.equation.as_ref(),
        }?;
        let own_bindings = shape.bindings(&self.dimensions, offset);
        self.value_at_start(&own_bindings, equation.expr.as_ref().ok()?, depth + 1)
    }
}

/// A range `first:last` in one dimension of an array function's argument (positions from 0).
/// How a model's times become dates (see [`crate::calendar`]).
#[derive(Clone, Copy, Debug)]
struct ModelCalendar {
    /// How days are counted.
    calendar: Calendar,
    /// The length of the model's time unit in days.
    days_per_unit: f64,
    /// The date of the start time; `None` in a model in years, whose time is the year.
    date: Option<CalendarDate>,
}

#[derive(Clone, Copy, Debug)]
struct SliceRange {
    dimension: usize,
    first: usize,
    last: usize,
}

/// How many auxiliaries deep [`Lowering::value_at_start`] follows before giving up.
const MAX_NESTING_OF_CONSTANTS: usize = 64;

/// Orders of SMTHN and DELAYN above this are refused: they would make that many hidden stocks.
const MAX_ORDER: f64 = 1000.0;

/// The family of one of Vensim's RANDOM functions and the position of its optional seed.
fn truncated_family(builtin: Builtin) -> Option<(Family, usize)> {
    let family = match builtin {
        Builtin::RandomNormal => Family::Normal,
        Builtin::RandomExponential => Family::Exponential,
        Builtin::RandomGamma => Family::Gamma,
        Builtin::RandomWeibull => Family::Weibull,
        Builtin::RandomBeta => Family::Beta,
        Builtin::RandomTriangular => Family::Triangular,
        Builtin::RandomPoisson => Family::Poisson,
        Builtin::RandomBinomial => Family::Binomial,
        Builtin::RandomNegativeBinomial => Family::NegativeBinomial,
        _ => return None,
    };
    // min, max, the parameters, and shift and stretch (the triangular has neither).
    let shift_stretch = if family == Family::Triangular { 0 } else { 2 };
    Some((family, 2 + family.parameter_count() + shift_stretch))
}

fn nullary(builtin: Builtin) -> Expr {
    match builtin {
        Builtin::Time => Expr::Time,
        Builtin::Dt => Expr::Dt,
        Builtin::StartTime => Expr::StartTime,
        Builtin::StopTime => Expr::StopTime,
        Builtin::Pi => Expr::Const(std::f64::consts::PI),
        _ => Expr::Const(f64::INFINITY),
    }
}

/// The four arithmetic operators on start values; `None` for the others.
fn arithmetic(lhs: f64, op: BinaryOp, rhs: f64) -> Option<f64> {
    match op {
        BinaryOp::Add => Some(lhs + rhs),
        BinaryOp::Sub => Some(lhs - rhs),
        BinaryOp::Mul => Some(lhs * rhs),
        BinaryOp::Div => Some(lhs / rhs),
        _ => None,
    }
}

/// Combines terms pairwise, so n terms make a tree of depth log2(n).
fn balanced(mut terms: Vec<Expr>, join: &impl Fn(Expr, Expr) -> Expr) -> Option<Expr> {
    while terms.len() > 1 {
        let mut next = Vec::with_capacity(terms.len().div_ceil(2));
        let mut pairs = terms.into_iter();
        while let Some(first) = pairs.next() {
            next.push(match pairs.next() {
                Some(second) => join(first, second),
                None => first,
            });
        }
        terms = next;
    }
    terms.pop()
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

/// A subscript computed during the run: an expression that is not a dimension, an element or
/// a position.
fn is_computed(index: &Index) -> bool {
    matches!(index, Index::Expr(expr) if !matches!(expr.kind, ExprKind::Name(_) | ExprKind::Number(_)))
}
