//! Conveyors (XMILE 3.7.2, 4.2.1): a stock whose outflows are driven by a belt of per-step
//! batches kept by the simulator. Lowering replaces the conveyor's outflows by
//! `Expr::Conveyed` reads of the belt, limits its inflows by its capacity and inflow limit, and
//! records what the simulator needs in a `Conveyor`.

use super::expr::{ConveyorId, Expr, Function, PreviousId, QueueId, VarId};
use super::lower::{Lowering, Site};
use super::{ConveyorLeak, Handover, Placement, PreviousState, ResolvedConveyor, ResolvedKind, ResolvedQueue};
use crate::diagnostic::{Code, Diagnostic};
use crate::model::{Equation, Spread, Variable, VariableKind};
use crate::syntax::BinaryOp;

/// A queue's outflow into a conveyor.
#[derive(Clone, Debug)]
pub(super) struct QueueFeed {
    /// The queue.
    pub queue: QueueId,
    /// The queue's outflows before this one, in priority order.
    pub before: Vec<VarId>,
    /// When it may take anything.
    pub active: Active,
    /// Whether it takes less than it is offered, set by the conveyor's lowering.
    pub blocked: VarId,
}

/// When a queue's outflow may take anything: the first always; an overflow while the outflow
/// before it is blocked, and never after an outflow into a stock or a cloud, which is never
/// blocked.
#[derive(Clone, Copy, Debug)]
pub(super) enum Active {
    Always,
    Never,
    When(VarId),
}

impl Active {
    /// `expr` while active, else zero.
    fn apply(self, expr: Expr) -> Expr {
        match self {
            Active::Always => expr,
            Active::Never => Expr::Const(0.0),
            Active::When(blocked) => Expr::If(Box::new(Expr::Var(blocked)), Box::new(expr), Box::new(Expr::Const(0.0))),
        }
    }
}

/// The sum of these variables; zero for none.
fn sum_of(variables: &[VarId]) -> Expr {
    variables
        .iter()
        .map(|&variable| Expr::Var(variable))
        .reduce(|sum, next| Expr::Binary(BinaryOp::Add, Box::new(sum), Box::new(next)))
        .unwrap_or(Expr::Const(0.0))
}

impl<'m> Lowering<'m, '_> {
    /// Is `flow` listed as an outflow of a conveyor or a queue? Such a flow needs no equation.
    pub(super) fn is_driven_outflow(&self, flow: &Variable) -> bool {
        self.model.variables.iter().any(|stock| match &stock.kind {
            VariableKind::Stock { outflows, .. } if stock.conveyor.is_some() || stock.queue.is_some() => {
                outflows.iter().any(|l| l.canonical == flow.canonical)
            }
            _ => false,
        })
    }

    /// Does this flow fill a conveyor?
    fn fills_conveyor(&self, flow: VarId) -> bool {
        let definition = self.out.variables[flow.index()].definition;
        let canonical = &self.model.variables[definition].canonical;
        self.model.variables.iter().any(|stock| match &stock.kind {
            VariableKind::Stock { inflows, .. } if stock.conveyor.is_some() => {
                inflows.iter().any(|l| &l.canonical == canonical)
            }
            _ => false,
        })
    }

    /// Every instance of every queue stock, once all variables are lowered (before conveyors,
    /// which read what the queues offer).
    pub(super) fn lower_queues(&mut self) {
        let model = self.model;
        for (index, variable) in model.variables.iter().enumerate() {
            let Some(span) = variable.queue else { continue };
            let Some(shape) = self.shapes[index].clone() else { continue };
            if variable.conveyor.is_some() {
                self.diagnostics.push(
                    Diagnostic::new(Code::InvalidValue, format!("`{}` is both a queue and a conveyor", variable.name))
                        .at(span.or(variable.span))
                        .on_variable(&variable.name)
                        .with_help("a stock is a conveyor, a queue, or neither (XMILE 4.2)"),
                );
                continue;
            }
            for offset in 0..shape.count(&self.dimensions) {
                self.lower_queue(VarId::from_index(shape.first + offset), variable, span);
            }
        }
    }

    fn lower_queue(&mut self, stock: VarId, variable: &'m Variable, span: Option<crate::syntax::Span>) {
        let ResolvedKind::Stock { inflows, outflows, .. } = &self.out.variables[stock.index()].kind else {
            return;
        };
        let (inflows, outflows) = (inflows.clone(), outflows.clone());
        let name = self.out.variables[stock.index()].name.clone();
        if outflows.is_empty() {
            self.diagnostics.push(
                Diagnostic::new(Code::Unsupported, format!("queue `{name}` has no outflow"))
                    .at(span.or(variable.span))
                    .on_variable(&variable.name)
                    .with_help("give the queue an outflow: what leaves it comes off the front"),
            );
            return;
        }
        let id = QueueId(self.out.queues.len() as u32);
        // Everything the queue holds and receives during the step, as a rate.
        let available = inflows
            .iter()
            .fold(Expr::Binary(BinaryOp::Div, Box::new(Expr::Var(stock)), Box::new(Expr::Dt)), |sum, &inflow| {
                Expr::Binary(BinaryOp::Add, Box::new(sum), Box::new(Expr::Var(inflow)))
            });
        // The outflows in priority order. Into a conveyor, the conveyor decides how much it
        // takes (see `lower_conveyor`); into a stock or a cloud, an outflow takes everything left
        // and is never blocked. An overflow takes something only when the outflow before it is
        // blocked (XMILE 3.7.3).
        let mut active = Active::Always;
        let mut before = Vec::new();
        for (position, &outflow) in outflows.iter().enumerate() {
            let flow = &self.model.variables[self.out.variables[outflow.index()].definition];
            if position > 0 && !flow.overflow {
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::Unsupported,
                        format!(
                            "`{}` is a further outflow of queue `{name}`, which fulcrum does not simulate yet",
                            flow.name
                        ),
                    )
                    .at(flow.span.or(span))
                    .on_variable(&flow.name)
                    .with_help("mark it <overflow/>: it then takes what the first outflow cannot"),
                );
                continue;
            }
            if self.fills_conveyor(outflow) {
                let blocked = self.hidden_id(outflow, "blocked".to_owned());
                self.out.queue_feeds.insert(outflow, QueueFeed { queue: id, before: before.clone(), active, blocked });
                active = Active::When(blocked);
            } else {
                let equation = match active {
                    Active::Always => available.clone(),
                    Active::Never => Expr::Const(0.0),
                    // What the outflows before it left, all of it (XMILE 3.7.3: an overflow to a
                    // stock or a cloud drains the queue).
                    Active::When(blocked) => {
                        let taken = sum_of(&before);
                        let left = Expr::Binary(BinaryOp::Sub, Box::new(available.clone()), Box::new(taken));
                        let left = Expr::Apply(Function::Max, vec![Expr::Const(0.0), left]);
                        Expr::If(Box::new(Expr::Var(blocked)), Box::new(left), Box::new(Expr::Const(0.0)))
                    }
                };
                self.set_kind(outflow, ResolvedKind::Flow { equation, non_negative: false });
                active = Active::Never;
            }
            before.push(outflow);
        }
        if let ResolvedKind::Stock { non_negative, .. } = &mut self.out.variables[stock.index()].kind {
            *non_negative = false;
        }
        self.out.queues.push(ResolvedQueue { stock, inflows, outflows });
    }

    /// A discrete conveyor's inflow limit holds for each time unit, and may be used up within
    /// one step (XMILE 4.2.1): the rate that still fits is what the limit leaves after what
    /// entered in earlier steps of the same time unit (counted from the start time).
    fn discrete_inflow_limit(&mut self, stock: VarId, limit: Expr, inflows: &[VarId]) -> Expr {
        let binary = |op, a: Expr, b: Expr| Expr::Binary(op, Box::new(a), Box::new(b));
        // The time unit a time falls in; the tolerance keeps a step at a whole time in its unit.
        let unit = |time: Expr| {
            let elapsed = binary(BinaryOp::Sub, time, Expr::StartTime);
            Expr::Apply(Function::Int, vec![binary(BinaryOp::Add, elapsed, Expr::Const(1e-9))])
        };
        let new_unit = binary(BinaryOp::Gt, unit(Expr::Time), unit(binary(BinaryOp::Sub, Expr::Time, Expr::Dt)));
        let entered_after = self.hidden_id(stock, "entered in this time unit".to_owned());
        let previous = PreviousId(self.out.previous.len() as u32);
        self.out.previous.push(PreviousState {
            source: entered_after,
            initial: Expr::Const(0.0),
            handover: Handover::AfterStep,
        });
        let entered_before =
            Expr::If(Box::new(new_unit), Box::new(Expr::Const(0.0)), Box::new(Expr::Previous(previous)));
        let entered_before = self.as_variable(stock, "entered earlier in this time unit", entered_before);
        let arriving =
            inflows.iter().fold(Expr::Const(0.0), |sum, &inflow| binary(BinaryOp::Add, sum, Expr::Var(inflow)));
        let entered = binary(BinaryOp::Add, Expr::Var(entered_before), binary(BinaryOp::Mul, arriving, Expr::Dt));
        self.set_kind(entered_after, ResolvedKind::Auxiliary(entered));
        binary(BinaryOp::Div, binary(BinaryOp::Sub, limit, Expr::Var(entered_before)), Expr::Dt)
    }

    /// What a queue offers a conveyor during the step, as a rate: its front batch (the first
    /// inflow's batch when it is empty), or all it has.
    fn queue_offer(&self, id: QueueId, one_at_a_time: bool) -> Option<Expr> {
        let queue = self.out.queues.get(id.0 as usize)?;
        let rate = |expr: Expr| Expr::Binary(BinaryOp::Div, Box::new(expr), Box::new(Expr::Dt));
        if !one_at_a_time {
            let held = rate(Expr::Var(queue.stock));
            return Some(
                queue
                    .inflows
                    .iter()
                    .fold(held, |sum, &inflow| Expr::Binary(BinaryOp::Add, Box::new(sum), Box::new(Expr::Var(inflow)))),
            );
        }
        let positive = |expr: Expr| Expr::Binary(BinaryOp::Gt, Box::new(expr), Box::new(Expr::Const(0.0)));
        let first_arriving = queue.inflows.iter().rev().fold(Expr::Const(0.0), |otherwise, &inflow| {
            Expr::If(Box::new(positive(Expr::Var(inflow))), Box::new(Expr::Var(inflow)), Box::new(otherwise))
        });
        let front = Expr::QueueFront(id);
        Some(Expr::If(Box::new(positive(front.clone())), Box::new(rate(front)), Box::new(first_arriving)))
    }

    /// What a queue offers a conveyor through an overflow, once the outflows before it have
    /// taken `taken` (a rate): the front batch left (one at a time), or everything left.
    fn queue_offer_after(&self, id: QueueId, one_at_a_time: bool, taken: Expr) -> Option<Expr> {
        let queue = self.out.queues.get(id.0 as usize)?;
        if one_at_a_time {
            let arriving = queue.inflows.iter().map(|&inflow| Expr::Var(inflow)).collect();
            return Some(Expr::QueueBatches { queue: id, after: Box::new(taken), room: None, arriving });
        }
        let available =
            queue.inflows.iter().fold(
                Expr::Binary(BinaryOp::Div, Box::new(Expr::Var(queue.stock)), Box::new(Expr::Dt)),
                |sum, &inflow| Expr::Binary(BinaryOp::Add, Box::new(sum), Box::new(Expr::Var(inflow))),
            );
        let left = Expr::Binary(BinaryOp::Sub, Box::new(available), Box::new(taken));
        Some(Expr::Apply(Function::Max, vec![Expr::Const(0.0), left]))
    }

    /// Every instance of every conveyor stock, once all variables are lowered.
    pub(super) fn lower_conveyors(&mut self) {
        let model = self.model;
        for (index, variable) in model.variables.iter().enumerate() {
            let Some(conveyor) = &variable.conveyor else { continue };
            let Some(shape) = self.shapes[index].clone() else { continue };
            let Some(transit_time) = &conveyor.transit_time else { continue };
            if conveyor.variable_speed {
                self.refuse_spreads_onto_a_variable_speed_belt(variable, conveyor);
            }
            for offset in 0..shape.count(&self.dimensions) {
                let id = VarId::from_index(shape.first + offset);
                let bindings = shape.bindings(&self.dimensions, offset);
                self.lower_conveyor(id, variable, conveyor, transit_time, &bindings);
            }
        }
        self.place_from_sources();
        // A spread is a conveyor inflow's option: on any other flow it would do nothing.
        for (index, flow) in model.variables.iter().enumerate() {
            if flow.spread == Spread::Beginning {
                continue;
            }
            let Some(shape) = &self.shapes[index] else { continue };
            if !self.fills_conveyor(VarId::from_index(shape.first)) {
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::InvalidValue,
                        format!(
                            "`{}` spreads what it brings over a conveyor (`{}`), but it fills no conveyor",
                            flow.name,
                            flow.spread.word()
                        ),
                    )
                    .at(flow.span)
                    .on_variable(&flow.name)
                    .with_help("make the flow an inflow of a conveyor stock, or drop the spread"),
                );
            }
        }
    }

    /// A spread places batches part way along a belt whose length is fixed when they enter; a
    /// belt of variable speed (Vensim's DELAY CONVEYOR) has no such positions.
    fn refuse_spreads_onto_a_variable_speed_belt(&mut self, stock: &Variable, conveyor: &crate::model::Conveyor) {
        let VariableKind::Stock { inflows, .. } = &stock.kind else { return };
        for inflow in inflows {
            let Some(flow) = self.model.variable(&inflow.name) else { continue };
            if flow.spread != Spread::Beginning {
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::Unsupported,
                        format!(
                            "`{}` spreads what it brings (`{}`) over `{}`, whose belt moves at the speed its transit time gives now",
                            flow.name,
                            flow.spread.word(),
                            stock.name
                        ),
                    )
                    .at(flow.span.or(conveyor.span))
                    .on_variable(&flow.name)
                    .with_help("a spread inflow needs a conveyor whose batches keep the transit time they entered with"),
                );
            }
        }
    }

    /// Resolves each inflow placed by its source: the inflow must be a leak of another
    /// conveyor, whose leaked amounts it keeps in place (Stella offers this placement only for
    /// a leakage).
    fn place_from_sources(&mut self) {
        let mut leak_of = std::collections::HashMap::new();
        for (conveyor, resolved) in self.out.conveyors.iter().enumerate() {
            for (leak, found) in resolved.leaks.iter().enumerate() {
                leak_of.insert(found.flow, (ConveyorId(conveyor as u32), leak as u32));
            }
        }
        let mut refused = Vec::new();
        for resolved in &mut self.out.conveyors {
            for (placement, inflow) in resolved.placements.iter_mut().zip(&resolved.inflows) {
                if let Placement::Source { .. } = placement {
                    match leak_of.get(inflow) {
                        Some(&(conveyor, leak)) => *placement = Placement::Source { conveyor, leak },
                        None => refused.push(*inflow),
                    }
                }
            }
        }
        // Once per flow, not per element of an arrayed one.
        let mut definitions: Vec<usize> =
            refused.iter().map(|inflow| self.out.variables[inflow.index()].definition).collect();
        definitions.sort_unstable();
        definitions.dedup();
        for definition in definitions {
            let flow = &self.model.variables[definition];
            self.diagnostics.push(
                Diagnostic::new(
                    Code::InvalidValue,
                    format!(
                        "`{}` places what it brings by where it came from (`source`), but it is not a leak of another conveyor",
                        flow.name
                    ),
                )
                .at(flow.span)
                .on_variable(&flow.name)
                .with_help("placing by source needs the flow to be a <leak> of the conveyor it comes from; use `even`, `dest` or `beginning` otherwise"),
            );
        }
    }

    fn lower_conveyor(
        &mut self,
        stock: VarId,
        variable: &'m Variable,
        conveyor: &'m crate::model::Conveyor,
        transit_time: &'m Equation,
        bindings: &[super::arrays::Binding],
    ) {
        let ResolvedKind::Stock { inflows, outflows, .. } = &self.out.variables[stock.index()].kind else {
            return;
        };
        let (inflows, outflows) = (inflows.clone(), outflows.clone());
        let lower_option = |lowering: &mut Self, equation: &'m Equation| {
            let site = Site { owner: stock, equation, bindings, wildcards: &[], self_allowed: false };
            lowering.lower_equation(site)
        };
        let Some(mut transit) = lower_option(self, transit_time) else { return };
        // A sampled transit time holds its value between the steps where the sample is true,
        // like SAMPLE_IF_TRUE(sample, transit, transit).
        if let Some(sample) = &conveyor.sample {
            let Some(condition) = lower_option(self, sample) else { return };
            let held = self.hidden_id(stock, "sampled transit time".to_owned());
            let previous = PreviousId(self.out.previous.len() as u32);
            self.out.previous.push(PreviousState {
                source: held,
                initial: transit.clone(),
                handover: Handover::BeforeStep,
            });
            let kind = Expr::If(Box::new(condition), Box::new(transit), Box::new(Expr::Previous(previous)));
            self.set_kind(held, ResolvedKind::Auxiliary(kind));
            transit = Expr::Var(held);
        }
        let transit_time = self.as_variable(stock, "transit time", transit);
        let id = ConveyorId(self.out.conveyors.len() as u32);
        let arrest = conveyor.arrest.as_ref().and_then(|equation| lower_option(self, equation));
        let arrest = arrest.map(|arrest| self.as_variable(stock, "arrested", arrest));
        // An arrested conveyor's flows are zero.
        let unless_arrested = |equation: Expr| match arrest {
            Some(arrest) => Expr::If(Box::new(Expr::Var(arrest)), Box::new(Expr::Const(0.0)), Box::new(equation)),
            None => equation,
        };
        let name = self.out.variables[stock.index()].name.clone();
        // Outflows marked as leaks leak; the one that is not is the end of the belt.
        let mut exits = Vec::new();
        let mut leaks = Vec::new();
        for flow in outflows {
            let definition = self.out.variables[flow.index()].definition;
            let flow_variable = &self.model.variables[definition];
            let Some(leak) = &flow_variable.leak else {
                exits.push(flow);
                continue;
            };
            // Stella writes a leak arrayed element by element as the flow's own elements.
            let own_element = self.shapes[definition].as_ref().and_then(|shape| {
                self.element_definition(flow_variable, shape, flow.index() - shape.first)
                    .and_then(|element| element.equation.as_ref())
            });
            let Some(fraction) = leak.fraction.as_ref().or(own_element) else {
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::MissingEquation,
                        format!("`{}` leaks from conveyor `{name}` but has no leakage fraction", flow_variable.name),
                    )
                    .at(leak.span.or(flow_variable.span))
                    .on_variable(&flow_variable.name)
                    .with_help("write the fraction that leaks inside the flow's <leak>, e.g. <leak>0.1</leak>"),
                );
                continue;
            };
            let flow_bindings = self.shapes[definition]
                .clone()
                .map(|shape| shape.bindings(&self.dimensions, flow.index() - shape.first))
                .unwrap_or_default();
            let site =
                Site { owner: flow, equation: fraction, bindings: &flow_bindings, wildcards: &[], self_allowed: false };
            let Some(lowered) = self.lower_equation(site) else { continue };
            let fraction = self.as_variable(flow, "leakage fraction", lowered);
            let output = leaks.len() as u32 + 1;
            let equation = unless_arrested(Expr::Conveyed(id, output));
            self.set_kind(flow, ResolvedKind::Flow { equation, non_negative: false });
            leaks.push(ConveyorLeak {
                flow,
                fraction,
                zone_start: leak.zone_start,
                zone_end: leak.zone_end,
                integers: leak.integers,
            });
        }
        match exits.as_slice() {
            [exit] => {
                let equation = unless_arrested(Expr::Conveyed(id, 0));
                self.set_kind(*exit, ResolvedKind::Flow { equation, non_negative: false });
            }
            [] => {
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::Unsupported,
                        format!("conveyor `{name}` has no outflow at the end of its belt"),
                    )
                    .at(conveyor.span.or(variable.span))
                    .on_variable(&variable.name)
                    .with_help("give the stock an outflow that is not a <leak>: what reaches the end leaves by it"),
                );
                return;
            }
            [_, extra, ..] => {
                let extra_name = self.out.variables[extra.index()].name.clone();
                self.diagnostics.push(
                    Diagnostic::new(
                        Code::Unsupported,
                        format!("conveyor `{name}` has more than one outflow that is not a leak (`{extra_name}`)"),
                    )
                    .at(conveyor.span.or(variable.span))
                    .on_variable(&variable.name)
                    .with_help("mark the leakage outflows with <leak>"),
                );
                return;
            }
        }
        // A conveyor with a queue upstream is discrete whatever its attribute says (XMILE 3.7.2:
        // "when there is a queue, the conveyor must be discrete").
        let discrete = conveyor.discrete || inflows.iter().any(|inflow| self.out.queue_feeds.contains_key(inflow));
        // What may enter during the step, as a rate: the inflow limit, and the room left under
        // the capacity once this step's outflows have left.
        let capacity = conveyor.capacity.as_ref().and_then(|equation| lower_option(self, equation));
        let inflow_limit = conveyor.inflow_limit.as_ref().and_then(|equation| lower_option(self, equation));
        let inflow_limit = match inflow_limit {
            Some(limit) if discrete => Some(self.discrete_inflow_limit(stock, limit, &inflows)),
            limit => limit,
        };
        let room = capacity.map(|capacity| {
            let leaving = (0..=leaks.len() as u32).map(|output| Expr::Conveyed(id, output));
            let leaving = leaving.reduce(|a, b| Expr::Binary(BinaryOp::Add, Box::new(a), Box::new(b)));
            let free = Expr::Binary(BinaryOp::Sub, Box::new(capacity), Box::new(Expr::Var(stock)));
            let free = Expr::Binary(BinaryOp::Div, Box::new(free), Box::new(Expr::Dt));
            Expr::Binary(BinaryOp::Add, Box::new(free), Box::new(leaving.unwrap_or(Expr::Const(0.0))))
        });
        let limit = match (room, inflow_limit) {
            (Some(room), Some(limit)) => Some(Expr::Apply(Function::Min, vec![room, limit])),
            (room, limit) => room.or(limit),
        };
        let limit = limit.map(|limit| self.as_variable(stock, "inflow room", limit));
        // Inflows are non-negative (XMILE 4.3) and share the room in priority order.
        let mut taken: Option<Expr> = None;
        for &inflow in &inflows {
            let ResolvedKind::Flow { equation, .. } = &self.out.variables[inflow.index()].kind else { continue };
            let mut equation = equation.clone();
            let feed = self.out.queue_feeds.get(&inflow).cloned();
            // What the queue's outflows before this one take, as a rate.
            let taken_before = feed.as_ref().map(|feed| sum_of(&feed.before));
            let mut offer = None;
            if let (Some(feed), Some(taken_before)) = (&feed, &taken_before) {
                let offered = if feed.before.is_empty() {
                    self.queue_offer(feed.queue, conveyor.one_at_a_time)
                } else {
                    self.queue_offer_after(feed.queue, conveyor.one_at_a_time, taken_before.clone())
                };
                let offered = self.as_variable(inflow, "offered", offered.unwrap_or(Expr::Const(f64::NAN)));
                offer = Some(offered);
                equation = Expr::Var(offered);
            }
            if let Some(limit) = limit {
                let left = match &taken {
                    Some(taken) => Expr::Binary(BinaryOp::Sub, Box::new(Expr::Var(limit)), Box::new(taken.clone())),
                    None => Expr::Var(limit),
                };
                equation = match (&feed, taken_before) {
                    // A whole batch or nothing.
                    (Some(_), _) if conveyor.batch_integrity && conveyor.one_at_a_time => {
                        let fits = Expr::Binary(BinaryOp::Le, Box::new(equation.clone()), Box::new(left));
                        Expr::If(Box::new(fits), Box::new(equation), Box::new(Expr::Const(0.0)))
                    }
                    // As many whole batches from the front as fit.
                    (Some(feed), Some(after)) if conveyor.batch_integrity => {
                        let arriving = self.out.queues.get(feed.queue.0 as usize).map_or_else(Vec::new, |queue| {
                            queue.inflows.iter().map(|&inflow| Expr::Var(inflow)).collect()
                        });
                        Expr::QueueBatches {
                            queue: feed.queue,
                            after: Box::new(after),
                            room: Some(Box::new(left)),
                            arriving,
                        }
                    }
                    _ => Expr::Apply(Function::Min, vec![equation, left]),
                };
            }
            let mut equation = Expr::Apply(Function::Max, vec![Expr::Const(0.0), equation]);
            if let Some(feed) = &feed {
                // An overflow takes something only while the outflow before it is blocked.
                equation = feed.active.apply(equation);
            }
            let equation = unless_arrested(equation);
            self.set_kind(inflow, ResolvedKind::Flow { equation, non_negative: false });
            // The outflow is blocked when it takes less than it is offered (limited, or
            // arrested): the queue's next overflow, if any, then takes from it.
            if let (Some(feed), Some(offer)) = (&feed, offer) {
                let blocked = Expr::Binary(BinaryOp::Lt, Box::new(Expr::Var(inflow)), Box::new(Expr::Var(offer)));
                let blocked = match feed.active {
                    Active::Always => blocked,
                    active => active.apply(blocked),
                };
                self.set_kind(feed.blocked, ResolvedKind::Auxiliary(blocked));
            }
            taken = Some(match taken {
                Some(taken) => Expr::Binary(BinaryOp::Add, Box::new(taken), Box::new(Expr::Var(inflow))),
                None => Expr::Var(inflow),
            });
        }
        // The belt cannot be overdrawn, so the stock needs no budget.
        if let ResolvedKind::Stock { non_negative, .. } = &mut self.out.variables[stock.index()].kind {
            *non_negative = false;
        }
        let mut placements = Vec::with_capacity(inflows.len());
        for inflow in &inflows {
            let flow = &self.model.variables[self.out.variables[inflow.index()].definition];
            placements.push(match &flow.spread {
                Spread::Beginning => Placement::Beginning,
                Spread::Even => Placement::Even,
                Spread::Existing => Placement::Existing,
                // Resolved once every conveyor's leaks are known (`place_from_sources`).
                Spread::Source => Placement::Source { conveyor: ConveyorId(u32::MAX), leak: 0 },
                // An unusable profile has been reported; the run does not start.
                Spread::Profile(profile) => match self.profile_graph(flow, profile) {
                    Some(graph) => Placement::Profile(graph),
                    None => Placement::Beginning,
                },
            });
        }
        self.out.conveyors.push(ResolvedConveyor {
            stock,
            inflows,
            placements,
            transit_time,
            leaks,
            arrest,
            discrete,
            exponential_leak: conveyor.exponential_leak,
            variable_speed: conveyor.variable_speed,
        });
    }
}
