//! Conveyors (XMILE 3.7.2, 4.2.1): a stock whose outflows are driven by a belt of per-step
//! batches kept by the simulator. Lowering replaces the conveyor's outflows by
//! `Expr::Conveyed` reads of the belt, limits its inflows by its capacity and inflow limit, and
//! records what the simulator needs in a `Conveyor`.

use super::expr::{ConveyorId, Expr, Function, PreviousId, VarId};
use super::lower::{Lowering, Site};
use super::{ConveyorLeak, Handover, PreviousState, ResolvedConveyor, ResolvedKind};
use crate::diagnostic::{Code, Diagnostic};
use crate::model::{Equation, Variable, VariableKind};
use crate::syntax::BinaryOp;

impl<'m> Lowering<'m, '_> {
    /// Is `flow` listed as an outflow of a conveyor? Such a flow needs no equation.
    pub(super) fn is_conveyor_outflow(&self, flow: &Variable) -> bool {
        self.model.variables.iter().any(|stock| match (&stock.conveyor, &stock.kind) {
            (Some(_), VariableKind::Stock { outflows, .. }) => outflows.iter().any(|l| l.canonical == flow.canonical),
            _ => false,
        })
    }

    /// Every instance of every conveyor stock, once all variables are lowered.
    pub(super) fn lower_conveyors(&mut self) {
        let model = self.model;
        for (index, variable) in model.variables.iter().enumerate() {
            let Some(conveyor) = &variable.conveyor else { continue };
            let Some(shape) = self.shapes[index].clone() else { continue };
            let Some(transit_time) = &conveyor.transit_time else { continue };
            for offset in 0..shape.count(&self.dimensions) {
                let id = VarId::from_index(shape.first + offset);
                let bindings = shape.bindings(&self.dimensions, offset);
                self.lower_conveyor(id, variable, conveyor, transit_time, &bindings);
            }
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
            lowering.lower(site, equation.expr.as_ref().ok()?)
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
            let Some(fraction) = &leak.fraction else {
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
            let Some(lowered) = fraction.expr.as_ref().ok().and_then(|expr| self.lower(site, expr)) else { continue };
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
        // What may enter during the step, as a rate: the inflow limit, and the room left under
        // the capacity once this step's outflows have left.
        let capacity = conveyor.capacity.as_ref().and_then(|equation| lower_option(self, equation));
        let inflow_limit = conveyor.inflow_limit.as_ref().and_then(|equation| lower_option(self, equation));
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
            if let Some(limit) = limit {
                let left = match &taken {
                    Some(taken) => Expr::Binary(BinaryOp::Sub, Box::new(Expr::Var(limit)), Box::new(taken.clone())),
                    None => Expr::Var(limit),
                };
                equation = Expr::Apply(Function::Min, vec![equation, left]);
            }
            let equation = unless_arrested(Expr::Apply(Function::Max, vec![Expr::Const(0.0), equation]));
            self.set_kind(inflow, ResolvedKind::Flow { equation, non_negative: false });
            taken = Some(match taken {
                Some(taken) => Expr::Binary(BinaryOp::Add, Box::new(taken), Box::new(Expr::Var(inflow))),
                None => Expr::Var(inflow),
            });
        }
        // The belt cannot be overdrawn, so the stock needs no budget.
        if let ResolvedKind::Stock { non_negative, .. } = &mut self.out.variables[stock.index()].kind {
            *non_negative = false;
        }
        self.out.conveyors.push(ResolvedConveyor {
            stock,
            inflows,
            transit_time,
            leaks,
            arrest,
            discrete: conveyor.discrete,
            exponential_leak: conveyor.exponential_leak,
        });
    }
}
