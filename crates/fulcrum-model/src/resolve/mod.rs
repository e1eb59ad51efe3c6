//! Name resolution, lowering of stateful built-ins, and validation.
//!
//! [`resolve`] turns a [`Model`] into a [`ResolvedModel`]: every name becomes a [`VarId`], every
//! stateful built-in (SMTH1/3/N, DELAY1/3/N, TREND, FORCST) becomes hidden stocks and flows that
//! the integrator advances like any other, and the variables get the orders in which to compute
//! them at the start and at every step. Algebraic loops, unknown names, wrong arities and bad
//! simulation specs are reported here, all in one pass.

mod arrays;
mod conveyor;
mod expr;
mod loops;
mod lower;
mod order;
mod polarity;
mod stateful;
mod stella;

use std::collections::HashMap;

pub use expr::{
    AllocationRule, ConveyorId, DelayId, Distribution, DrawId, Expr, Family, Function, GraphId, MAX_INVERTED_SIZE,
    OrderKind, Phase, PreviousId, QueueId, VarId,
};
pub use loops::{FeedbackLoop, FeedbackLoops, feedback_loops};
pub use polarity::{CausalLink, LoopPolarity, Polarity, causal_links, link_polarity, read_by};

use crate::diagnostic::{Code, Diagnostic, Diagnostics, Severity};
use crate::model::{GraphicalFunction, Method, Model, SimSpecs, VariableKind};
use crate::name::CanonicalName;

/// A model whose names are resolved and whose evaluation order is known.
#[derive(Clone, Debug)]
pub struct ResolvedModel {
    /// Display name of the model.
    pub name: Option<String>,
    /// Simulation specs, checked.
    pub sim: SimSpecs,
    /// The model's own variables first, in file order, then hidden ones made by lowering.
    pub variables: Vec<ResolvedVariable>,
    /// Graphical function tables.
    pub graphs: Vec<GraphicalFunction>,
    /// `PREVIOUS` states.
    pub previous: Vec<PreviousState>,
    /// Pipeline `DELAY`s.
    pub delays: Vec<PipelineDelay>,
    /// Conveyor stocks' belts.
    pub conveyors: Vec<ResolvedConveyor>,
    /// Queue stocks' batches.
    pub queues: Vec<ResolvedQueue>,
    /// Random draw sites, each drawn once per time step.
    pub draws: Vec<DrawSite>,
    /// Every computed variable (auxiliaries, flows, stocks' initial values) in the order to
    /// compute them at the start time.
    pub initial_order: Vec<VarId>,
    /// Auxiliaries and flows in the order to compute them at every evaluation.
    pub step_order: Vec<VarId>,
    /// Warnings found on the way (the model still runs).
    pub warnings: Diagnostics,
    /// The names of the model's own variables, in file order; `ResolvedVariable::definition`
    /// indexes it.
    pub definitions: Vec<String>,
    names: HashMap<CanonicalName, VarId>,
    groups: HashMap<CanonicalName, Vec<VarId>>,
}

/// One variable after resolution.
#[derive(Clone, Debug, PartialEq)]
pub struct ResolvedVariable {
    /// The name as written; for a hidden variable, its owner's name and its role.
    pub name: String,
    /// For hidden variables, the variable whose equation made them.
    pub owner: Option<VarId>,
    /// Which of the model's variables it belongs to (index into `ResolvedModel::definitions`):
    /// itself, the array it is an element of, or the variable that made it.
    pub definition: usize,
    /// What it is and how to compute it.
    pub kind: ResolvedKind,
}

impl ResolvedVariable {
    /// Is this one of the model's own variables (not made by lowering)?
    pub fn is_user(&self) -> bool {
        self.owner.is_none()
    }
}

/// The kinds of resolved variable.
#[derive(Clone, Debug, PartialEq)]
pub enum ResolvedKind {
    /// A number that is set before the run and never changes during it.
    Constant(f64),
    /// Computed from other values at every evaluation.
    Auxiliary(Expr),
    /// A rate of change of stocks.
    Flow {
        /// Its equation.
        equation: Expr,
        /// A uniflow, clamped at zero.
        non_negative: bool,
    },
    /// An accumulation.
    Stock {
        /// Initial value.
        initial: Expr,
        /// Flows in.
        inflows: Vec<VarId>,
        /// Flows out, in priority order.
        outflows: Vec<VarId>,
        /// Drains are limited so the stock never goes negative.
        non_negative: bool,
    },
    /// A standalone graphical function: called, never computed on its own.
    GraphicalFunction(GraphId),
    /// An element that an array defined element by element leaves without an equation: never
    /// computed, never output, and no equation reads it.
    Undefined,
}

/// `PREVIOUS(source, initial)`: the source's value one step ago; also the value that
/// `SAMPLE_IF_TRUE` holds.
#[derive(Clone, Debug, PartialEq)]
pub struct PreviousState {
    /// The variable whose past value is read.
    pub source: VarId,
    /// Value during the first step, evaluated at the start.
    pub initial: Expr,
    /// When the value taken at `t` becomes the one read.
    pub handover: Handover,
}

/// When a per-step state takes the value its source had at `t`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Handover {
    /// Once the step to `t + dt` is done: the Runge-Kutta stages of that step still read the
    /// value from `t - dt` (`PREVIOUS`).
    AfterStep,
    /// As soon as the values at `t` are reported: the stages of the step already read the value
    /// at `t`, which is the value held since (`SAMPLE_IF_TRUE`).
    BeforeStep,
}

/// `DELAY(input, delay time, initial)`: a fixed transport delay.
#[derive(Clone, Debug, PartialEq)]
pub struct PipelineDelay {
    /// What goes in.
    pub input: VarId,
    /// Delay time, evaluated once at the start and rounded to whole steps (at least one).
    pub delay_time: Expr,
    /// Output until the first input comes out, evaluated at the start.
    pub initial: Expr,
    /// Vensim's `DELAY MATERIAL`: the delay time may change during the run.
    pub material: Option<MaterialDelay>,
}

/// How a `DELAY MATERIAL` differs from a fixed delay: each step's input leaves after the delay
/// time of the step it entered (rounded to whole steps, at least one); inputs that leave at the
/// same step add up, and a step at which nothing leaves outputs `missing`.
#[derive(Clone, Debug, PartialEq)]
pub struct MaterialDelay {
    /// The delay time, read at every step.
    pub delay_time: VarId,
    /// The output at a step at which no input leaves, evaluated at the start.
    pub missing: Expr,
}

/// A conveyor stock's belt (XMILE 3.7.2). Each step, what its inflows bring (their values at
/// `t` times dt) enters as one batch that leaves the transit time read at `t` later (rounded to
/// whole steps, at least one); output 0 of `Expr::Conveyed` is what reaches the end during the
/// step, output `k` what leak `k` takes.
#[derive(Clone, Debug, PartialEq)]
pub struct ResolvedConveyor {
    /// The stock; its initial value is spread over the belt at the start.
    pub stock: VarId,
    /// Its inflows, already limited by capacity and inflow limit.
    pub inflows: Vec<VarId>,
    /// Where each of `inflows` puts what it brings on the belt.
    pub placements: Vec<Placement>,
    /// The transit time, read when material enters.
    pub transit_time: VarId,
    /// The leakage outflows, in the order of their outputs (1, 2, ...).
    pub leaks: Vec<ConveyorLeak>,
    /// While true (non-zero) at `t`, the belt does not move during the step: its inflows and
    /// outflows are zero.
    pub arrest: Option<VarId>,
    /// Initial contents sit at the start of each time unit instead of spreading evenly.
    pub discrete: bool,
    /// Leak fractions are per time unit of what is on the belt, not of what entered.
    pub exponential_leak: bool,
    /// The belt moves `dt / transit time` of the way each step, the transit time read then.
    pub variable_speed: bool,
}

/// Where a conveyor inflow puts what it brings during a step (see `model::Spread`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Placement {
    /// At the start of the belt.
    Beginning,
    /// An equal share at every position.
    Even,
    /// At each position in proportion to what is there.
    Existing,
    /// In proportion to a graphical function read at the part of the journey still ahead.
    Profile(GraphId),
    /// Where it leaked from on the other conveyor.
    Source {
        /// The conveyor it leaks from.
        conveyor: ConveyorId,
        /// Which of that conveyor's leaks it is (0-based, in `leaks` order).
        leak: u32,
    },
}

/// A queue stock (XMILE 3.7.3): what each inflow brings during a step is one batch, queued
/// in inflow order; what its outflows take comes off the front. `Expr::QueueFront` reads what
/// is left of the front batch, `Expr::QueueBatches` what is offered after earlier outflows.
#[derive(Clone, Debug, PartialEq)]
pub struct ResolvedQueue {
    /// The stock; its initial value is one batch.
    pub stock: VarId,
    /// Its inflows, in priority order.
    pub inflows: Vec<VarId>,
    /// Its outflows: the first, then the overflows.
    pub outflows: Vec<VarId>,
}

/// One leakage outflow of a conveyor.
#[derive(Clone, Debug, PartialEq)]
pub struct ConveyorLeak {
    /// The flow.
    pub flow: VarId,
    /// The leakage fraction, read when each step begins.
    pub fraction: VarId,
    /// Where the leak zone starts, as a fraction of each batch's transit.
    pub zone_start: f64,
    /// Where the leak zone ends, likewise.
    pub zone_end: f64,
    /// Leak whole numbers only.
    pub integers: bool,
}

/// One random-function call site.
#[derive(Clone, Debug, PartialEq)]
pub struct DrawSite {
    /// The distribution sampled.
    pub distribution: Distribution,
    /// A fixed seed: the same sequence in every run.
    pub seed: Option<u64>,
}

impl ResolvedModel {
    /// The variable with this name (any spelling): a scalar, or one element such as
    /// `Sales[North, Pizza]`.
    pub fn lookup(&self, name: &str) -> Option<VarId> {
        self.names.get(&CanonicalName::new(name)).copied()
    }

    /// Every variable a name stands for: one for a scalar or an element, all elements of an
    /// array.
    pub fn lookup_all(&self, name: &str) -> Vec<VarId> {
        let canonical = CanonicalName::new(name);
        match self.groups.get(&canonical) {
            Some(ids) => ids.clone(),
            None => self.names.get(&canonical).copied().into_iter().collect(),
        }
    }

    /// Canonical name → ids, for every model variable (arrays with all their elements).
    pub fn groups(&self) -> &HashMap<CanonicalName, Vec<VarId>> {
        &self.groups
    }

    /// Canonical name → id, for every scalar variable and array element.
    pub fn names(&self) -> &HashMap<CanonicalName, VarId> {
        &self.names
    }

    /// The variable with this id.
    pub fn variable(&self, id: VarId) -> &ResolvedVariable {
        &self.variables[id.index()]
    }

    /// Ids of the stocks (model and hidden) in order.
    pub fn stocks(&self) -> impl Iterator<Item = VarId> + '_ {
        self.ids_where(|kind| matches!(kind, ResolvedKind::Stock { .. }))
    }

    /// Ids of the constants in order.
    pub fn constants(&self) -> impl Iterator<Item = VarId> + '_ {
        self.ids_where(|kind| matches!(kind, ResolvedKind::Constant(_)))
    }

    /// Ids of the model's own variables, in file order.
    pub fn user_variables(&self) -> impl Iterator<Item = VarId> + '_ {
        self.variables.iter().enumerate().filter(|(_, v)| v.is_user()).map(|(i, _)| VarId::from_index(i))
    }

    fn ids_where(&self, keep: impl Fn(&ResolvedKind) -> bool) -> impl Iterator<Item = VarId> {
        self.variables.iter().enumerate().filter(move |(_, v)| keep(&v.kind)).map(|(i, _)| VarId::from_index(i))
    }
}

/// Resolves and validates a model. On success the result also carries any warnings.
pub fn resolve(model: &Model) -> Result<ResolvedModel, Diagnostics> {
    let mut diagnostics = Diagnostics::default();
    check_sim_specs(&model.sim, &mut diagnostics);

    let mut lowering = lower::Lowering::new(model, &mut diagnostics);
    lowering.lower_all();
    let lowered = lowering.finish();
    if !(lowered.conveyors.is_empty() && lowered.queues.is_empty()) && model.sim.method != Method::Euler {
        diagnostics.push(
            // Stella defines no Runge-Kutta behaviour for them: its documentation says to use
            // Euler's method with queues, conveyors and ovens, which Runge-Kutta methods "don't
            // deal well with" ("Choosing the appropriate integration method and DT").
            Diagnostic::new(
                Code::Unsupported,
                format!(
                    "conveyors and queues are simulated with Euler's method only, not {}: they move once per step, \
                     and Stella defines no Runge-Kutta behaviour for them",
                    model.sim.method
                ),
            )
            .at(model.sim.spans.method)
            .with_help(
                "set the integration method to euler, as Stella's documentation advises for conveyors and queues",
            ),
        );
    }

    if model.sim.method != Method::Euler
        && let Some(flow) = model.variables.iter().find(|variable| variable.whole_step)
    {
        diagnostics.push(
            Diagnostic::new(
                Code::Unsupported,
                format!(
                    "`{}` moves its stock by a whole amount within one step, which {} would spread over its stages",
                    flow.name, model.sim.method
                ),
            )
            .at(flow.span)
            .with_help("run the model with Euler's method, which Vensim models are read with"),
        );
    }
    if !model.sim.computed.is_empty() {
        let mut reads_history = false;
        for variable in &lowered.variables {
            let equation = match &variable.kind {
                ResolvedKind::Auxiliary(equation) | ResolvedKind::Flow { equation, .. } => equation,
                ResolvedKind::Stock { initial, .. } => initial,
                _ => continue,
            };
            equation.walk(&mut |expr| reads_history |= matches!(expr, Expr::History(..)));
        }
        check_computed_settings(model, &lowered, reads_history, &mut diagnostics);
    }
    let orders = order::compute(model, &lowered, &mut diagnostics);
    diagnostics.sort();
    // Array elements share equations, so the same finding can come from several of them.
    diagnostics.0.dedup_by(|a, b| a.code == b.code && a.span == b.span && a.message == b.message);
    if diagnostics.has_errors() {
        return Err(diagnostics);
    }
    let (initial_order, step_order) = orders.unwrap_or_default();
    let warnings = Diagnostics(diagnostics.0.into_iter().filter(|d| d.severity() == Severity::Warning).collect());
    Ok(ResolvedModel {
        name: model.name.clone(),
        sim: model.sim.clone(),
        variables: lowered.variables,
        graphs: lowered.graphs,
        previous: lowered.previous,
        delays: lowered.delays,
        conveyors: lowered.conveyors,
        queues: lowered.queues,
        draws: lowered.draws,
        initial_order,
        step_order,
        warnings,
        definitions: model.variables.iter().map(|v| v.name.clone()).collect(),
        names: lowered.names,
        groups: lowered.groups,
    })
}

/// Steps and save steps must tile the time range: dt > 0, stop > start, save step a whole number
/// of dts.
pub fn check_sim_specs(sim: &SimSpecs, diagnostics: &mut Diagnostics) {
    // Short forms (1e-300, not three hundred digits).
    let n = crate::syntax::format_number;
    let spans = &sim.spans;
    // A setting computed during the run is checked as the run goes (a lane whose time step is
    // not a positive number stops with the setting's variable named); the numbers are checked
    // here.
    let computed = &sim.computed;
    let stop_given = computed.stop.is_none();
    let dt_given = computed.dt.is_none();
    for (value, span, what, given) in
        [(sim.start, spans.start, "start", true), (sim.stop, spans.stop, "stop", stop_given)]
    {
        if given && !value.is_finite() {
            diagnostics.push(
                Diagnostic::new(Code::NonFiniteNumber, format!("the {what} time must be a finite number")).at(span),
            );
        }
    }
    let dt_usable = sim.dt.is_finite() && sim.dt > 0.0;
    if dt_given && !dt_usable {
        diagnostics.push(
            Diagnostic::new(Code::InvalidTimeStep, format!("dt must be a positive finite number, not {}", n(sim.dt)))
                .at(spans.dt)
                .with_help("a typical dt is a quarter or an eighth of the shortest time constant in the model"),
        );
    }
    if !(stop_given && dt_given) {
        return;
    }
    if sim.start.is_finite() && sim.stop.is_finite() {
        if sim.stop <= sim.start {
            diagnostics.push(
                Diagnostic::new(
                    Code::InvalidTimeRange,
                    format!("the stop time ({}) must be after the start time ({})", n(sim.stop), n(sim.start)),
                )
                .at(spans.stop),
            );
        } else if dt_usable && sim.dt > sim.stop - sim.start {
            diagnostics.push(
                Diagnostic::new(
                    Code::InvalidTimeStep,
                    format!("dt ({}) is longer than the whole run ({} to {})", n(sim.dt), n(sim.start), n(sim.stop)),
                )
                .at(spans.dt),
            );
        } else if dt_usable && (sim.stop - sim.start) / sim.dt > MAX_STEPS {
            diagnostics.push(
                Diagnostic::new(
                    Code::InvalidTimeStep,
                    format!(
                        "dt ({}) makes more than {MAX_STEPS} steps from {} to {}",
                        n(sim.dt),
                        n(sim.start),
                        n(sim.stop)
                    ),
                )
                .at(spans.dt),
            );
        }
    }
    if let Some(save_step) = sim.save_step
        && dt_usable
        && computed.save_step.is_none()
    {
        let ratio = save_step / sim.dt;
        let whole = ratio.round();
        if !(save_step.is_finite() && whole >= 1.0 && (ratio - whole).abs() <= 1e-6 * whole) {
            diagnostics.push(
                Diagnostic::new(
                    Code::InvalidSaveStep,
                    format!("save_step ({}) must be a whole multiple of dt ({})", n(save_step), n(sim.dt)),
                )
                .at(spans.save_step),
            );
        }
    }
}

/// A model whose time settings are computed during the run: each names a scalar variable of
/// the model, and the parts of fulcrum that count time in whole steps of a fixed length
/// (pipeline delays, conveyors, queues, `HISTORY`) are refused, each at the setting.
fn check_computed_settings(
    model: &Model,
    lowered: &lower::Lowered,
    reads_history: bool,
    diagnostics: &mut Diagnostics,
) {
    let spans = &model.sim.spans;
    for (key, name) in model.sim.computed.iter() {
        let span = match key {
            "stop" => spans.stop,
            "dt" => spans.dt,
            _ => spans.save_step,
        };
        let canonical = CanonicalName::new(name);
        if !lowered.names.contains_key(&canonical) {
            let message = if lowered.groups.contains_key(&canonical) {
                format!("`{name}`, which computes {key}, is an array; a time setting needs one value")
            } else {
                format!("`{name}`, which should compute {key}, is not a variable of the model")
            };
            diagnostics.push(
                Diagnostic::new(Code::UnknownName, message)
                    .at(span)
                    .with_help("name a scalar variable of the model, or give a number"),
            );
            continue;
        }
        let fixed_steps = [
            (!lowered.delays.is_empty(), "pipeline delays (DELAY FIXED, DELAY MATERIAL, DELAY)"),
            (!lowered.conveyors.is_empty(), "conveyors"),
            (!lowered.queues.is_empty(), "queues"),
            (reads_history, "HISTORY"),
        ];
        for (used, what) in fixed_steps {
            if used {
                diagnostics.push(
                    Diagnostic::new(
                        Code::Unsupported,
                        format!(
                            "{key} is computed during the run by `{name}`, and this model uses {what}, which \
                             count time in steps of one fixed length"
                        ),
                    )
                    .at(span)
                    .with_help(format!("give {key} as a number (a constant equation) to use {what}")),
                );
            }
        }
    }
}

/// More steps than this in one run is almost certainly a mistake in dt.
const MAX_STEPS: f64 = 1e9;

/// Counts used by `fulcrum check`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Census {
    /// Stocks in the model.
    pub stocks: usize,
    /// Flows.
    pub flows: usize,
    /// Auxiliaries that are not constants.
    pub auxiliaries: usize,
    /// Constants.
    pub constants: usize,
    /// Standalone or embedded graphical functions.
    pub graphical_functions: usize,
}

/// Counts the model's own variables by kind.
pub fn census(model: &Model) -> Census {
    let mut census = Census::default();
    for variable in &model.variables {
        match variable.kind {
            VariableKind::Stock { .. } => census.stocks += 1,
            VariableKind::Flow { .. } => census.flows += 1,
            VariableKind::Auxiliary if variable.is_constant() => census.constants += 1,
            VariableKind::Auxiliary => census.auxiliaries += 1,
            VariableKind::GraphicalFunction => {}
        }
        if variable.graph.is_some() {
            census.graphical_functions += 1;
        }
    }
    census
}

#[cfg(test)]
mod tests;
