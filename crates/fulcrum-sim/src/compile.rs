//! Resolved model → flat program over slots.
//!
//! Two programs come out. The initial program computes every variable at the start time in
//! dependency order (stocks get their initial values there). The evaluation program recomputes
//! what can change — auxiliaries and flows that read stocks, time or state — and the stocks' net
//! rates; the integrators run it once per Euler step or per Runge-Kutta stage. Variables that can
//! never change during a run are computed once, in the initial program only.

use std::collections::HashMap;

use fulcrum_model::Precision;
use fulcrum_model::resolve::{
    Distribution, Expr, Function, Handover, OrderKind, Placement as ResolvedPlacement, ResolvedKind, ResolvedModel,
    VarId,
};
use fulcrum_model::syntax::{BinaryOp, UnaryOp};

use crate::error::SimError;
use crate::program::{
    BinaryKind, ComputedAxis, ConveyorSlots, DelaySlots, DrawSlot, Layout, LeakSlots, MaterialSlots, NO_BUDGET,
    NO_ROOM, Op, Placement, PreviousSlots, QueueSlots, Slot, Table, TimeAxis, UnaryKind, fixed,
};
use crate::prune::{Owner, Pruning};
use crate::vm::to_single;
use crate::{CompiledModel, ConstantInfo, VariableInfo};

/// Compiles a resolved model. Compile once; run it as many times as you like.
pub fn compile(model: &ResolvedModel) -> Result<CompiledModel, SimError> {
    compile_with(model, &CompileOptions::default())
}

/// Choices that change the compiled program.
#[derive(Clone, Debug, Default)]
pub struct CompileOptions {
    /// Constants that may change part-way through a run (an intervention with a start time, see
    /// [`crate::Batch::set_from`]). What reads them is recomputed every step instead of once.
    pub changing_constants: Vec<VarId>,
    /// The variables whose values the runs must produce, when not all: everything they do not
    /// depend on is left out of the programs ([`CompiledModel::keeping`]). `None` computes
    /// every variable.
    pub needed: Option<Vec<VarId>>,
}

/// Compiles a resolved model with options.
pub fn compile_with(model: &ResolvedModel, options: &CompileOptions) -> Result<CompiledModel, SimError> {
    let mut compiler = Compiler::new(model, options)?;
    compiler.initial_program();
    compiler.evaluation_program();
    let compiled = compiler.finish();
    Ok(match &options.needed {
        Some(needed) => compiled.keeping(needed),
        None => compiled,
    })
}

struct Compiler<'m> {
    model: &'m ResolvedModel,
    layout: Layout,
    next_slot: u32,
    free_temps: Vec<Slot>,
    literals: HashMap<u64, Slot>,
    /// Slot of each variable, by id.
    slots: Vec<Slot>,
    /// Snapshot slot of each variable read by `INIT`.
    snapshots: HashMap<VarId, Slot>,
    /// Budget slot of each non-negative stock.
    budgets: HashMap<VarId, Slot>,
    /// Variables that cannot change during a run.
    is_static: Vec<bool>,
    /// Constants that may change during a run, by variable id.
    changing: Vec<bool>,
    previous_ready: Vec<bool>,
    delays_ready: Vec<bool>,
    initial: Vec<Op>,
    evaluate: Vec<Op>,
    /// The part of the model each instruction of `initial` and `evaluate` belongs to, so that
    /// what a caller does not need can be left out (`crate::prune`).
    initial_owners: Vec<Owner>,
    evaluate_owners: Vec<Owner>,
    /// The part being compiled now.
    owner: Owner,
    /// Lists of slots that `Choose` and `Order` read.
    lists: Vec<Vec<Slot>>,
    axis: TimeAxis,
    computed: Option<ComputedAxis>,
    precision: Precision,
}

/// A slot holding a result, and whether it is a temporary to give back after use.
#[derive(Clone, Copy)]
struct Operand {
    slot: Slot,
    temporary: bool,
}

#[derive(Clone, Copy, PartialEq)]
enum Phase {
    Initial,
    Evaluate,
}

impl<'m> Compiler<'m> {
    fn new(model: &'m ResolvedModel, options: &CompileOptions) -> Result<Compiler<'m>, SimError> {
        let sim = &model.sim;
        let axis = if sim.computed.is_empty() {
            // The resolver has checked dt > 0 and stop > start; a tiny tolerance keeps 10/0.1 at 100.
            let steps = ((sim.stop - sim.start) / sim.dt + 1e-9).floor();
            if !(1.0..1e12).contains(&steps) {
                return Err(SimError::InvalidTimeAxis { start: sim.start, stop: sim.stop, dt: sim.dt });
            }
            let save_every = (sim.effective_save_step() / sim.dt).round().max(1.0) as usize;
            TimeAxis {
                start: sim.start,
                stop: sim.stop,
                dt: sim.dt,
                steps: steps as usize,
                save_every,
                method: sim.method,
            }
        } else {
            // Each run finds its own steps; a number given for a computed setting is not used.
            let number = |computed: &Option<String>, value: f64| if computed.is_some() { f64::NAN } else { value };
            TimeAxis {
                start: sim.start,
                stop: number(&sim.computed.stop, sim.stop),
                dt: number(&sim.computed.dt, sim.dt),
                steps: 0,
                save_every: 1,
                method: sim.method,
            }
        };

        let count = model.variables.len();
        let mut compiler = Compiler {
            model,
            layout: Layout::default(),
            next_slot: fixed::COUNT,
            free_temps: Vec::new(),
            literals: HashMap::new(),
            slots: vec![0; count],
            snapshots: HashMap::new(),
            budgets: HashMap::new(),
            is_static: vec![false; count],
            changing: (0..count).map(|index| options.changing_constants.contains(&VarId(index as u32))).collect(),
            previous_ready: vec![false; model.previous.len()],
            delays_ready: vec![false; model.delays.len()],
            initial: Vec::new(),
            evaluate: Vec::new(),
            initial_owners: Vec::new(),
            evaluate_owners: Vec::new(),
            owner: Owner::Always,
            lists: Vec::new(),
            axis,
            computed: None,
            precision: sim.precision,
        };
        compiler.allocate_variables()?;
        compiler.find_static_variables();
        compiler.computed_axis()?;
        Ok(compiler)
    }

    /// The slots of the variables that compute time settings during the run.
    fn computed_axis(&mut self) -> Result<(), SimError> {
        let sim = &self.model.sim;
        if sim.computed.is_empty() {
            return Ok(());
        }
        let find = |name: &Option<String>| -> Result<Option<(Slot, VarId)>, SimError> {
            let Some(name) = name else { return Ok(None) };
            let id = self.model.lookup(name).ok_or_else(|| SimError::UnknownVariable(name.clone()))?;
            Ok(Some((self.slots[id.index()], id)))
        };
        self.computed = Some(ComputedAxis {
            stop: find(&sim.computed.stop)?,
            dt: find(&sim.computed.dt)?,
            save: find(&sim.computed.save_step)?,
            save_step: sim.save_step,
        });
        Ok(())
    }

    fn allocate(&mut self) -> Slot {
        let slot = self.next_slot;
        self.next_slot = self.next_slot.saturating_add(1);
        slot
    }

    /// Stocks first and contiguous, then their rates in the same order, so that integrators
    /// work on two plain ranges; then everything else.
    fn allocate_variables(&mut self) -> Result<(), SimError> {
        let model = self.model;
        let stocks: Vec<VarId> = model.stocks().collect();
        self.layout.first_stock = self.next_slot;
        self.layout.stock_count = stocks.len();
        for &stock in &stocks {
            self.slots[stock.index()] = self.allocate();
        }
        self.layout.first_rate = self.next_slot;
        for _ in &stocks {
            self.allocate();
        }
        for (index, variable) in model.variables.iter().enumerate() {
            if !matches!(variable.kind, ResolvedKind::Stock { .. }) {
                self.slots[index] = self.allocate();
            }
            if let ResolvedKind::Stock { non_negative: true, .. } = variable.kind {
                let budget = self.allocate();
                self.budgets.insert(VarId(index as u32), budget);
            }
        }
        for variable in &model.variables {
            let equations = match &variable.kind {
                ResolvedKind::Auxiliary(equation) | ResolvedKind::Flow { equation, .. } => vec![equation],
                ResolvedKind::Stock { initial, .. } => vec![initial],
                _ => vec![],
            };
            let mut targets = Vec::new();
            for equation in equations {
                equation.walk(&mut |expr| {
                    if let Expr::Init(target) = expr {
                        targets.push(*target);
                    }
                });
            }
            for target in targets {
                let fixed =
                    matches!(model.variable(target).kind, ResolvedKind::Constant(_)) && !self.changing[target.index()];
                if !self.snapshots.contains_key(&target) && !fixed {
                    let slot = self.allocate();
                    self.snapshots.insert(target, slot);
                }
            }
        }
        for state in &model.previous {
            let (value, pending) = (self.allocate(), self.allocate());
            self.layout.previous.push(PreviousSlots {
                source: self.slots[state.source.index()],
                value,
                pending,
                before_step: state.handover == Handover::BeforeStep,
            });
        }
        for delay in &model.delays {
            let (output, delay_time, initial) = (self.allocate(), self.allocate(), self.allocate());
            let material = delay.material.as_ref().map(|material| MaterialSlots {
                delay_time: self.slots[material.delay_time.index()],
                missing: self.allocate(),
            });
            self.layout.delays.push(DelaySlots {
                input: self.slots[delay.input.index()],
                output,
                delay_time,
                initial,
                material,
            });
        }
        for queue in &model.queues {
            let front = self.allocate();
            self.layout.queues.push(QueueSlots {
                stock: self.slots[queue.stock.index()],
                inflows: queue.inflows.iter().map(|inflow| self.slots[inflow.index()]).collect(),
                outflows: queue.outflows.iter().map(|outflow| self.slots[outflow.index()]).collect(),
                front,
            });
        }
        // The leaks some inflow places by source are recorded, each in its own place.
        let mut spills = std::collections::HashMap::new();
        for conveyor in &model.conveyors {
            for placement in &conveyor.placements {
                if let ResolvedPlacement::Source { conveyor, leak } = *placement {
                    let next = spills.len() as u32;
                    spills.entry((conveyor.0, leak)).or_insert(next);
                }
            }
        }
        self.layout.spills = spills.len();
        for (index, conveyor) in model.conveyors.iter().enumerate() {
            let outputs = (0..=conveyor.leaks.len()).map(|_| self.allocate()).collect();
            let leaks = conveyor
                .leaks
                .iter()
                .enumerate()
                .map(|(leak_index, leak)| LeakSlots {
                    fraction: self.slots[leak.fraction.index()],
                    zone_start: leak.zone_start,
                    zone_end: leak.zone_end,
                    integers: leak.integers,
                    spill: spills.get(&(index as u32, leak_index as u32)).copied(),
                })
                .collect();
            let placements = conveyor
                .placements
                .iter()
                .map(|placement| match *placement {
                    ResolvedPlacement::Beginning => Placement::Beginning,
                    ResolvedPlacement::Even => Placement::Even,
                    ResolvedPlacement::Existing => Placement::Existing,
                    ResolvedPlacement::Profile(graph) => Placement::Profile(graph.0),
                    ResolvedPlacement::Source { conveyor, leak } => {
                        spills.get(&(conveyor.0, leak)).map_or(Placement::Beginning, |&spill| Placement::Source(spill))
                    }
                })
                .collect();
            self.layout.conveyors.push(ConveyorSlots {
                stock: self.slots[conveyor.stock.index()],
                inflows: conveyor.inflows.iter().map(|inflow| self.slots[inflow.index()]).collect(),
                placements,
                transit_time: self.slots[conveyor.transit_time.index()],
                outputs,
                leaks,
                arrest: conveyor.arrest.map(|arrest| self.slots[arrest.index()]),
                discrete: conveyor.discrete,
                exponential_leak: conveyor.exponential_leak,
                variable_speed: conveyor.variable_speed,
            });
        }
        for draw in &model.draws {
            let slot = self.allocate();
            self.layout.draws.push(DrawSlot { slot, normal: draw.distribution.uses_normal_variate(), seed: draw.seed });
        }
        if self.next_slot >= u32::MAX / 2 {
            return Err(SimError::TooLarge);
        }
        Ok(())
    }

    /// A variable is static when nothing it reads can change during a run: no stocks, time, test
    /// inputs, randomness or per-step state, and only constants or other static variables.
    /// Flows that a non-negative stock may limit are never static: the limit depends on the stock.
    fn find_static_variables(&mut self) {
        let model = self.model;
        let limited = self.limited_flows();
        for &id in &model.initial_order {
            let equation = match &model.variable(id).kind {
                ResolvedKind::Auxiliary(equation) => equation,
                ResolvedKind::Flow { equation, .. } if !limited.contains(&id) => equation,
                _ => continue,
            };
            let mut reads_dynamic = equation.reads_clock_or_state();
            equation.walk(&mut |expr| {
                if let Expr::Var(source) = expr {
                    let source_is_fixed = (matches!(model.variable(*source).kind, ResolvedKind::Constant(_))
                        && !self.changing[source.index()])
                        || self.is_static[source.index()];
                    reads_dynamic |= !source_is_fixed;
                }
            });
            self.is_static[id.index()] = !reads_dynamic;
        }
    }

    fn limited_flows(&self) -> Vec<VarId> {
        let mut flows = Vec::new();
        for variable in &self.model.variables {
            if let ResolvedKind::Stock { inflows, outflows, non_negative: true, .. } = &variable.kind {
                flows.extend(inflows.iter().chain(outflows));
            }
        }
        flows
    }

    fn initial_program(&mut self) {
        let model = self.model;
        // `INIT` of a constant that may change reads a copy taken before anything runs.
        for id in model.constants() {
            if let Some(&snapshot) = self.snapshots.get(&id) {
                self.push(Phase::Initial, Op::Copy { dst: snapshot, src: self.slots[id.index()] });
            }
        }
        for &id in &model.initial_order {
            let slot = self.slots[id.index()];
            self.owner = Owner::Variable(id.0);
            match &model.variable(id).kind {
                ResolvedKind::Stock { initial, .. } => self.emit_into(initial, slot, Phase::Initial),
                ResolvedKind::Auxiliary(equation) => self.emit_into(equation, slot, Phase::Initial),
                ResolvedKind::Flow { equation, non_negative } => {
                    self.emit_into(equation, slot, Phase::Initial);
                    if *non_negative {
                        self.push(Phase::Initial, Op::ClampNonNegative { slot });
                    }
                }
                ResolvedKind::Constant(_) | ResolvedKind::GraphicalFunction(_) | ResolvedKind::Undefined => continue,
            }
            if let Some(&snapshot) = self.snapshots.get(&id) {
                self.push(Phase::Initial, Op::Copy { dst: snapshot, src: slot });
            }
        }
        self.owner = Owner::Always;
        // Every state is read by some variable, so it is ready by now; this is a safety net.
        for index in 0..model.previous.len() {
            self.prepare_previous(index);
        }
        for index in 0..model.delays.len() {
            self.prepare_delay(index);
        }
    }

    fn evaluation_program(&mut self) {
        let model = self.model;
        let mut budgets: Vec<(VarId, Slot)> = self.budgets.iter().map(|(id, slot)| (*id, *slot)).collect();
        budgets.sort_unstable();
        for &(stock, budget) in &budgets {
            self.owner = Owner::Variable(stock.0);
            self.push(Phase::Evaluate, Op::StartBudget { budget, stock: self.slots[stock.index()] });
        }
        for &id in &model.step_order {
            if self.is_static[id.index()] {
                continue;
            }
            let slot = self.slots[id.index()];
            self.owner = Owner::Variable(id.0);
            match &model.variable(id).kind {
                ResolvedKind::Auxiliary(equation) => self.emit_into(equation, slot, Phase::Evaluate),
                ResolvedKind::Flow { equation, non_negative } => {
                    self.emit_into(equation, slot, Phase::Evaluate);
                    if *non_negative {
                        self.push(Phase::Evaluate, Op::ClampNonNegative { slot });
                    }
                    self.limit_flow(id);
                }
                _ => {}
            }
        }
        self.rates();
        self.owner = Owner::Always;
    }

    /// Emits the non-negative limits on a flow: as a drain of the stocks it leaves, and of the
    /// stocks it enters when it runs backwards.
    fn limit_flow(&mut self, flow: VarId) {
        let mut sources = Vec::new();
        let mut sinks = Vec::new();
        for (index, variable) in self.model.variables.iter().enumerate() {
            if let ResolvedKind::Stock { inflows, outflows, non_negative: true, .. } = &variable.kind {
                let budget = self.budgets[&VarId(index as u32)];
                if outflows.contains(&flow) {
                    sources.push(budget);
                }
                if inflows.contains(&flow) {
                    sinks.push(budget);
                }
            }
        }
        let slot = self.slots[flow.index()];
        match (sources.as_slice(), sinks.as_slice()) {
            ([], []) => {}
            ([source], [sink]) => {
                self.push(Phase::Evaluate, Op::LimitFlow { flow: slot, source: *source, sink: *sink })
            }
            _ => {
                for &source in &sources {
                    self.push(Phase::Evaluate, Op::LimitFlow { flow: slot, source, sink: NO_BUDGET });
                }
                for &sink in &sinks {
                    self.push(Phase::Evaluate, Op::LimitFlow { flow: slot, source: NO_BUDGET, sink });
                }
            }
        }
    }

    /// Net rate of each stock: inflows minus outflows.
    fn rates(&mut self) {
        let model = self.model;
        for (position, stock) in model.stocks().enumerate() {
            let ResolvedKind::Stock { inflows, outflows, .. } = &model.variable(stock).kind else { continue };
            let rate = self.layout.first_rate + position as u32;
            self.owner = Owner::Variable(stock.0);
            let terms: Vec<(bool, Slot)> = inflows
                .iter()
                .map(|f| (true, self.slots[f.index()]))
                .chain(outflows.iter().map(|f| (false, self.slots[f.index()])))
                .collect();
            let mut terms = terms.into_iter();
            match terms.next() {
                None => {
                    let zero = self.literal(0.0);
                    self.push(Phase::Evaluate, Op::Copy { dst: rate, src: zero });
                }
                Some((true, slot)) => self.push(Phase::Evaluate, Op::Copy { dst: rate, src: slot }),
                Some((false, slot)) => {
                    self.push(Phase::Evaluate, Op::Unary { kind: UnaryKind::Neg, dst: rate, a: slot })
                }
            }
            for (is_inflow, slot) in terms {
                let kind = if is_inflow { BinaryKind::Add } else { BinaryKind::Sub };
                self.push(Phase::Evaluate, Op::Binary { kind, dst: rate, a: rate, b: slot });
            }
        }
    }

    /// Appends an instruction to a program, on behalf of the part of the model being compiled.
    fn push(&mut self, phase: Phase, op: Op) {
        match phase {
            Phase::Initial => {
                self.initial.push(op);
                self.initial_owners.push(self.owner);
            }
            Phase::Evaluate => {
                self.evaluate.push(op);
                self.evaluate_owners.push(self.owner);
            }
        }
    }

    /// Registers a list of slots for the instructions that read a vector.
    fn list(&mut self, slots: Vec<Slot>) -> u32 {
        self.lists.push(slots);
        (self.lists.len() - 1) as u32
    }

    fn literal(&mut self, value: f64) -> Slot {
        if let Some(&slot) = self.literals.get(&value.to_bits()) {
            return slot;
        }
        let slot = self.allocate();
        self.literals.insert(value.to_bits(), slot);
        self.layout.literals.push((slot, value));
        slot
    }

    fn temporary(&mut self) -> Slot {
        match self.free_temps.pop() {
            Some(slot) => slot,
            None => self.allocate(),
        }
    }

    fn release(&mut self, operand: Operand) {
        if operand.temporary {
            self.free_temps.push(operand.slot);
        }
    }

    /// Computes `expr` into `dst`.
    fn emit_into(&mut self, expr: &Expr, dst: Slot, phase: Phase) {
        if let Some(src) = self.existing_slot(expr, phase) {
            self.push(phase, Op::Copy { dst, src });
        } else {
            self.emit_operation(expr, dst, phase);
        }
    }

    /// Computes `expr` somewhere: an existing slot when it is a plain read, else a temporary.
    fn emit(&mut self, expr: &Expr, phase: Phase) -> Operand {
        if let Some(slot) = self.existing_slot(expr, phase) {
            return Operand { slot, temporary: false };
        }
        if phase == Phase::Evaluate && self.fixed_during_run(expr) {
            return Operand { slot: self.hoist(expr), temporary: false };
        }
        let slot = self.temporary();
        self.emit_operation(expr, slot, phase);
        Operand { slot, temporary: true }
    }

    /// Whether `expr`'s value cannot change during a run: it reads only numbers, constants that
    /// do not change part-way, static variables, values at the start (`INIT`) and time settings
    /// that are numbers, through pure operations.
    fn fixed_during_run(&self, expr: &Expr) -> bool {
        let model = self.model;
        let numeric_axis = self.computed.is_none();
        let mut fixed = true;
        expr.walk(&mut |expr| {
            fixed &= match expr {
                Expr::Var(id) => {
                    (matches!(model.variable(*id).kind, ResolvedKind::Constant(_)) && !self.changing[id.index()])
                        || self.is_static[id.index()]
                }
                Expr::Dt | Expr::StopTime => numeric_axis,
                _ => !expr.is_clock_or_state(),
            };
        });
        fixed
    }

    /// Computes a subexpression that cannot change during a run once, at the end of the initial
    /// program (after every constant and static variable it reads), into a slot of its own that
    /// the evaluation program reads: the same operations on the same values, so the same bits.
    fn hoist(&mut self, expr: &Expr) -> Slot {
        let slot = self.allocate();
        self.emit_operation(expr, slot, Phase::Initial);
        slot
    }

    /// The slot that already holds `expr`'s value, for reads that need no instruction.
    fn existing_slot(&mut self, expr: &Expr, phase: Phase) -> Option<Slot> {
        Some(match expr {
            Expr::Const(value) => self.literal(*value),
            Expr::Var(id) => self.slots[id.index()],
            Expr::Time => fixed::TIME,
            Expr::Dt => fixed::DT,
            Expr::StartTime => fixed::START,
            Expr::StopTime => fixed::STOP,
            // INIT of a constant is the constant.
            Expr::Init(id) => self.snapshots.get(id).copied().unwrap_or(self.slots[id.index()]),
            Expr::Previous(previous) => {
                if phase == Phase::Initial {
                    self.prepare_previous(previous.0 as usize);
                }
                self.layout.previous[previous.0 as usize].value
            }
            Expr::Delayed(delay) => {
                if phase == Phase::Initial {
                    self.prepare_delay(delay.0 as usize);
                }
                self.layout.delays[delay.0 as usize].output
            }
            // The batch moves the belt and writes these between steps, and before running the
            // initial program again once the belts are laid out.
            Expr::QueueFront(queue) => self.layout.queues.get(queue.0 as usize)?.front,
            Expr::Conveyed(conveyor, output) => {
                self.layout.conveyors.get(conveyor.0 as usize)?.outputs.get(*output as usize).copied()?
            }
            _ => return None,
        })
    }

    /// Computes a `PREVIOUS` state's initial value, the first time the initial program needs it.
    fn prepare_previous(&mut self, index: usize) {
        if std::mem::replace(&mut self.previous_ready[index], true) {
            return;
        }
        let model = self.model;
        let value = self.layout.previous[index].value;
        let owner = std::mem::replace(&mut self.owner, Owner::Previous(index as u32));
        self.emit_into(&model.previous[index].initial, value, Phase::Initial);
        self.owner = owner;
    }

    /// Computes a pipeline delay's delay time and initial output, the first time the initial
    /// program needs them. The batch fills the delay's buffer from them after the program runs.
    fn prepare_delay(&mut self, index: usize) {
        if std::mem::replace(&mut self.delays_ready[index], true) {
            return;
        }
        let model = self.model;
        let slots = self.layout.delays[index];
        let owner = std::mem::replace(&mut self.owner, Owner::Delay(index as u32));
        self.emit_into(&model.delays[index].delay_time, slots.delay_time, Phase::Initial);
        self.emit_into(&model.delays[index].initial, slots.initial, Phase::Initial);
        if let (Some(material), Some(material_slots)) = (&model.delays[index].material, slots.material) {
            self.emit_into(&material.missing, material_slots.missing, Phase::Initial);
        }
        self.push(Phase::Initial, Op::Copy { dst: slots.output, src: slots.initial });
        self.owner = owner;
    }

    fn emit_operation(&mut self, expr: &Expr, dst: Slot, phase: Phase) {
        match expr {
            Expr::Unary(op, operand) => {
                let a = self.emit(operand, phase);
                let kind = match op {
                    UnaryOp::Plus => None,
                    UnaryOp::Negate => Some(UnaryKind::Neg),
                    UnaryOp::Not => Some(UnaryKind::Not),
                };
                let op = match kind {
                    Some(kind) => Op::Unary { kind, dst, a: a.slot },
                    None => Op::Copy { dst, src: a.slot },
                };
                self.push(phase, op);
                self.release(a);
            }
            Expr::Binary(BinaryOp::Pow, base, exponent) if let Some(power) = reduced_power(exponent) => {
                let a = self.emit(base, phase);
                let op = match power {
                    ReducedPower::Identity => Op::Copy { dst, src: a.slot },
                    ReducedPower::Square => Op::Binary { kind: BinaryKind::Mul, dst, a: a.slot, b: a.slot },
                    ReducedPower::Reciprocal => Op::Unary { kind: UnaryKind::Reciprocal, dst, a: a.slot },
                    ReducedPower::SquareRoot => Op::Unary { kind: UnaryKind::PowHalf, dst, a: a.slot },
                };
                self.push(phase, op);
                self.release(a);
            }
            Expr::Binary(op, lhs, rhs) => {
                let a = self.emit(lhs, phase);
                let b = self.emit(rhs, phase);
                self.push(phase, Op::Binary { kind: binary_kind(*op), dst, a: a.slot, b: b.slot });
                self.release(a);
                self.release(b);
            }
            Expr::Chain(first, rest) => {
                // Links that start the chain and cannot change during a run are computed once
                // (`a * b * x` is `(a * b) * x`; links after a changing one are not reordered).
                let fixed_links = match phase {
                    Phase::Evaluate if self.fixed_during_run(first) => {
                        rest.iter().take_while(|(_, operand)| self.fixed_during_run(operand)).count()
                    }
                    _ => 0,
                };
                let mut value = if fixed_links > 0 {
                    let prefix = Expr::Chain(first.clone(), rest[..fixed_links].to_vec());
                    Operand { slot: self.hoist(&prefix), temporary: false }
                } else {
                    self.emit(first, phase)
                };
                if fixed_links == rest.len() {
                    self.push(phase, Op::Copy { dst, src: value.slot });
                    return;
                }
                // The running value lives in one temporary; only the last link writes `dst`,
                // which the operands may read.
                for (position, (op, operand)) in rest.iter().enumerate().skip(fixed_links) {
                    let b = self.emit(operand, phase);
                    let last = position + 1 == rest.len();
                    let out = match (last, value.temporary) {
                        (true, _) => dst,
                        (false, true) => value.slot,
                        (false, false) => self.temporary(),
                    };
                    self.push(phase, Op::Binary { kind: binary_kind(*op), dst: out, a: value.slot, b: b.slot });
                    self.release(b);
                    if last {
                        self.release(value);
                    } else {
                        value = Operand { slot: out, temporary: true };
                    }
                }
            }
            Expr::If(condition, then_branch, else_branch) => {
                let cond = self.emit(condition, phase);
                let a = self.emit(then_branch, phase);
                let b = self.emit(else_branch, phase);
                self.push(phase, Op::Select { dst, cond: cond.slot, a: a.slot, b: b.slot });
                for operand in [cond, a, b] {
                    self.release(operand);
                }
            }
            Expr::Apply(function, args) => {
                let operands: Vec<Operand> = args.iter().map(|arg| self.emit(arg, phase)).collect();
                let slots: Vec<Slot> = operands.iter().map(|operand| operand.slot).collect();
                self.push(phase, function_op(*function, dst, &slots));
                for operand in operands {
                    self.release(operand);
                }
            }
            Expr::Lookup(graph, input) => {
                let x = self.emit(input, phase);
                self.push(phase, Op::Lookup { dst, graph: graph.0, x: x.slot });
                self.release(x);
            }
            Expr::LookupArea(graph, from, to) => {
                let from = self.emit(from, phase);
                let to = self.emit(to, phase);
                self.push(phase, Op::LookupArea { dst, graph: graph.0, from: from.slot, to: to.slot });
                self.release(from);
                self.release(to);
            }
            Expr::RandomLookup(graph, args) => {
                let operands: Vec<Operand> = args.iter().map(|arg| self.emit(arg, phase)).collect();
                let args = self.list(operands.iter().map(|operand| operand.slot).collect());
                self.push(phase, Op::RandomLookup { dst, graph: graph.0, args });
                operands.into_iter().for_each(|operand| self.release(operand));
            }
            Expr::Random(Distribution::Truncated(family), draw, args) => {
                let operands: Vec<Operand> = args.iter().map(|arg| self.emit(arg, phase)).collect();
                let variate = self.layout.draws[draw.0 as usize].slot;
                let args = self.list(operands.iter().map(|operand| operand.slot).collect());
                self.push(phase, Op::Truncated { family: *family, dst, variate, args });
                operands.into_iter().for_each(|operand| self.release(operand));
            }
            Expr::Random(distribution, draw, args) => {
                let operands: Vec<Operand> = args.iter().map(|arg| self.emit(arg, phase)).collect();
                let variate = self.layout.draws[draw.0 as usize].slot;
                // One-parameter distributions (EXPRND, POISSON) read `p` only.
                let p = operands.first().map_or(variate, |o| o.slot);
                let q = operands.get(1).map_or(p, |o| o.slot);
                self.push(phase, Op::Random { distribution: *distribution, dst, variate, p, q });
                for operand in operands {
                    self.release(operand);
                }
            }
            Expr::Choose(index, options) => {
                let index = self.emit(index, phase);
                let operands: Vec<Operand> = options.iter().map(|option| self.emit(option, phase)).collect();
                let list = self.list(operands.iter().map(|operand| operand.slot).collect());
                self.push(phase, Op::Choose { dst, index: index.slot, list });
                self.release(index);
                operands.into_iter().for_each(|operand| self.release(operand));
            }
            Expr::Order { kind, ascending, position, vector } => {
                let operands: Vec<Operand> = vector.iter().map(|element| self.emit(element, phase)).collect();
                let list = self.list(operands.iter().map(|operand| operand.slot).collect());
                self.push(
                    phase,
                    Op::Order {
                        dst,
                        list,
                        position: u32::try_from(*position).unwrap_or(u32::MAX),
                        sort_order: *kind == OrderKind::SortOrder,
                        ascending: *ascending,
                    },
                );
                operands.into_iter().for_each(|operand| self.release(operand));
            }
            Expr::QueueBatches { queue, after, room, arriving } => {
                let after = self.emit(after, phase);
                let room = room.as_ref().map(|room| self.emit(room, phase));
                let operands: Vec<Operand> = arriving.iter().map(|inflow| self.emit(inflow, phase)).collect();
                let arriving = self.list(operands.iter().map(|operand| operand.slot).collect());
                let room_slot = room.as_ref().map_or(NO_ROOM, |room| room.slot);
                self.push(
                    phase,
                    Op::QueueBatches { dst, queue: queue.0, after: after.slot, room: room_slot, arriving },
                );
                self.release(after);
                room.into_iter().chain(operands).for_each(|operand| self.release(operand));
            }
            Expr::SortedIndex { rank, vector, tie_break } => {
                let rank = self.emit(rank, phase);
                let operands: Vec<Operand> = vector.iter().map(|element| self.emit(element, phase)).collect();
                let tie_operands: Vec<Operand> = tie_break.iter().map(|element| self.emit(element, phase)).collect();
                let list = self.list(operands.iter().map(|operand| operand.slot).collect());
                let tie_break = if tie_operands.is_empty() {
                    u32::MAX
                } else {
                    self.list(tie_operands.iter().map(|operand| operand.slot).collect())
                };
                self.push(phase, Op::SortedIndex { dst, rank: rank.slot, list, tie_break });
                self.release(rank);
                operands.into_iter().chain(tie_operands).for_each(|operand| self.release(operand));
            }
            Expr::VectorSelect { selections, values, missing, action, error_action } => {
                let parts = [missing, action, error_action].map(|part| self.emit(part, phase));
                let selection_operands: Vec<Operand> =
                    selections.iter().map(|element| self.emit(element, phase)).collect();
                let value_operands: Vec<Operand> = values.iter().map(|element| self.emit(element, phase)).collect();
                let selections = self.list(selection_operands.iter().map(|operand| operand.slot).collect());
                let values = self.list(value_operands.iter().map(|operand| operand.slot).collect());
                let [missing, action, error_action] = parts.map(|part| part.slot);
                self.push(phase, Op::VectorSelect { dst, selections, values, missing, action, error_action });
                for operand in parts.into_iter().chain(selection_operands).chain(value_operands) {
                    self.release(operand);
                }
            }
            Expr::Allocate { rule, position, requests, priorities, width, supply } => {
                let parts = [width, supply].map(|part| self.emit(part, phase));
                let request_operands: Vec<Operand> = requests.iter().map(|element| self.emit(element, phase)).collect();
                let priority_operands: Vec<Operand> =
                    priorities.iter().map(|element| self.emit(element, phase)).collect();
                let requests = self.list(request_operands.iter().map(|operand| operand.slot).collect());
                let priorities = self.list(priority_operands.iter().map(|operand| operand.slot).collect());
                let [width, supply] = parts.map(|part| part.slot);
                self.push(
                    phase,
                    Op::Allocate {
                        dst,
                        rule: *rule,
                        position: u32::try_from(*position).unwrap_or(u32::MAX),
                        requests,
                        priorities,
                        width,
                        supply,
                    },
                );
                for operand in parts.into_iter().chain(request_operands).chain(priority_operands) {
                    self.release(operand);
                }
            }
            Expr::History(source, time) => {
                let time = self.emit(time, phase);
                let source = self.slots[source.index()];
                let history = match self.layout.histories.iter().position(|&slot| slot == source) {
                    Some(index) => index,
                    None => {
                        self.layout.histories.push(source);
                        self.layout.histories.len() - 1
                    }
                };
                let history = u32::try_from(history).unwrap_or(u32::MAX);
                self.push(phase, Op::History { dst, source, history, time: time.slot });
                self.release(time);
            }
            Expr::VectorLookup { values, x, xmin, xmax, mode } => {
                let parts = [x, xmin, xmax, mode].map(|part| self.emit(part, phase));
                let operands: Vec<Operand> = values.iter().map(|element| self.emit(element, phase)).collect();
                let values = self.list(operands.iter().map(|operand| operand.slot).collect());
                let [x, xmin, xmax, mode] = parts.map(|part| part.slot);
                self.push(phase, Op::VectorLookup { dst, values, x, xmin, xmax, mode });
                parts.into_iter().chain(operands).for_each(|operand| self.release(operand));
            }
            Expr::InvertMatrix { position, elements } => {
                let operands: Vec<Operand> = elements.iter().map(|element| self.emit(element, phase)).collect();
                let matrix = self.list(operands.iter().map(|operand| operand.slot).collect());
                let position = u32::try_from(*position).unwrap_or(u32::MAX);
                self.push(phase, Op::InvertMatrix { dst, position, matrix });
                operands.into_iter().for_each(|operand| self.release(operand));
            }
            Expr::Phased { initial, active } => {
                let chosen = match phase {
                    Phase::Initial => initial,
                    Phase::Evaluate => active,
                };
                self.emit_into(chosen, dst, phase);
            }
            // Plain reads are handled by `existing_slot`.
            Expr::Const(_)
            | Expr::Var(_)
            | Expr::Time
            | Expr::Dt
            | Expr::StartTime
            | Expr::StopTime
            | Expr::Init(_)
            | Expr::Previous(_)
            | Expr::Delayed(_)
            | Expr::Conveyed(..)
            | Expr::QueueFront(_) => {
                if let Some(src) = self.existing_slot(expr, phase) {
                    self.push(phase, Op::Copy { dst, src });
                }
            }
        }
    }

    /// In single precision (Vensim's arithmetic) every value a run stores is a single-precision
    /// number: numbers in equations are rounded once here; constants, the clock and what the batch
    /// writes between steps (delay outputs, conveyors' and queues' outputs) are rounded when each
    /// program starts; and each instruction that computes a value is followed by one that rounds
    /// it. Copies and choices between slots need no rounding, as they only move rounded values.
    /// The integrators round the stocks themselves (`Batch::integrate`). In double precision
    /// nothing is added: the programs are exactly those of a double-precision model.
    fn round_to_single(&mut self) {
        for (_, value) in &mut self.layout.literals {
            *value = to_single(*value);
        }
        let model = self.model;
        let constants: Vec<(Slot, bool)> =
            model.constants().map(|id| (self.slots[id.index()], self.changing[id.index()])).collect();
        let written_between_steps: Vec<Slot> = (0..fixed::COUNT)
            .chain(self.layout.delays.iter().map(|delay| delay.output))
            .chain(self.layout.conveyors.iter().flat_map(|conveyor| conveyor.outputs.iter().copied()))
            .chain(self.layout.queues.iter().map(|queue| queue.front))
            .collect();
        let at_start = |constants_read: &mut dyn Iterator<Item = Slot>| -> Vec<Op> {
            written_between_steps.iter().copied().chain(constants_read).map(|slot| Op::RoundToSingle { slot }).collect()
        };
        let initial_start = at_start(&mut constants.iter().map(|&(slot, _)| slot));
        // Only constants that change part-way get new values after the initial program.
        let evaluate_start = at_start(&mut constants.iter().filter(|&&(_, changing)| changing).map(|&(slot, _)| slot));
        let programs = [
            (&mut self.initial, &mut self.initial_owners, initial_start),
            (&mut self.evaluate, &mut self.evaluate_owners, evaluate_start),
        ];
        for (program, owners, start) in programs {
            let mut rounded_owners = vec![Owner::Always; start.len()];
            let mut rounded = start;
            rounded.reserve(program.len() * 2);
            rounded_owners.reserve(program.len() * 2);
            for (op, owner) in program.drain(..).zip(owners.drain(..)) {
                rounded.push(op);
                rounded_owners.push(owner);
                if let Some(slot) = op.computed() {
                    rounded.push(Op::RoundToSingle { slot });
                    rounded_owners.push(owner);
                }
            }
            *program = rounded;
            *owners = rounded_owners;
        }
    }

    fn finish(mut self) -> CompiledModel {
        let model = self.model;
        if self.precision == Precision::Single {
            self.round_to_single();
        }
        self.layout.slot_count = self.next_slot as usize;
        for (index, variable) in model.variables.iter().enumerate() {
            let is_number = matches!(
                &variable.kind,
                ResolvedKind::Auxiliary(Expr::Const(_))
                    | ResolvedKind::Flow { equation: Expr::Const(_), .. }
                    | ResolvedKind::Constant(_)
                    | ResolvedKind::GraphicalFunction(_)
                    | ResolvedKind::Undefined
            );
            if !is_number {
                self.layout.checked.push((self.slots[index], VarId(index as u32)));
            }
        }
        let stocks = self.layout.first_stock..self.layout.first_stock + self.layout.stock_count as Slot;
        self.layout.checked_after_start =
            self.layout.checked.iter().copied().filter(|(slot, _)| !stocks.contains(slot)).collect();
        let variables = model
            .variables
            .iter()
            .enumerate()
            .map(|(index, variable)| VariableInfo {
                name: variable.name.clone(),
                slot: self.slots[index],
                user: variable.is_user(),
                valueless: matches!(variable.kind, ResolvedKind::GraphicalFunction(_) | ResolvedKind::Undefined),
            })
            .collect();
        let constants = model
            .constants()
            .filter_map(|id| match model.variable(id).kind {
                ResolvedKind::Constant(default) => Some(ConstantInfo {
                    variable: id,
                    name: model.variable(id).name.clone(),
                    default,
                    changing: self.changing[id.index()],
                    slot: self.slots[id.index()],
                }),
                _ => None,
            })
            .collect();
        // A single-precision run's tables hold single-precision points, as Vensim's do.
        let points = |values: &[f64]| -> Vec<f64> {
            match self.precision {
                Precision::Double => values.to_vec(),
                Precision::Single => values.iter().map(|&value| to_single(value)).collect(),
            }
        };
        let graphs =
            model.graphs.iter().map(|graph| Table::new(graph.kind, points(&graph.x), points(&graph.y))).collect();
        let always = self.computed.iter().flat_map(|computed| [computed.stop, computed.dt, computed.save]);
        let always = always.flatten().map(|(_, id)| id).collect();
        let pruning = Pruning::of(model, always, self.initial_owners, self.evaluate_owners);
        CompiledModel {
            pruning,
            axis: self.axis,
            computed: self.computed,
            precision: self.precision,
            layout: self.layout,
            initial: self.initial,
            evaluate_fused: crate::fuse::fuse(&self.evaluate),
            evaluate: self.evaluate,
            graphs,
            lists: self.lists,
            variables,
            constants,
            names: model
                .user_variables()
                .filter(|&id| !matches!(model.variable(id).kind, ResolvedKind::Undefined))
                .map(|id| (fulcrum_model::CanonicalName::new(&model.variable(id).name), id))
                .collect(),
        }
    }
}

/// A power with a constant exponent computed without `pow`: each is correctly rounded, as libm's
/// `pow` nearly is (glibc's within 0.52 units in the last place), so the two agree except where
/// `pow` misrounds (see ARCHITECTURE.md, "The decisions that decide speed").
#[derive(Clone, Copy, Debug, PartialEq)]
enum ReducedPower {
    /// `x^1`: `x`, the exact result.
    Identity,
    /// `x^2`: `x * x`.
    Square,
    /// `x^-1`: `1 / x`.
    Reciprocal,
    /// `x^0.5`: the square root, with `pow`'s answers at -0 and -∞.
    SquareRoot,
}

/// How `base ^ exponent` is computed when the exponent is one of the constants `ReducedPower`
/// knows (a negative one may be written with a unary minus); `None` leaves it to `pow`.
fn reduced_power(exponent: &Expr) -> Option<ReducedPower> {
    let value = match exponent {
        Expr::Const(value) => *value,
        Expr::Unary(UnaryOp::Negate, inner) => match **inner {
            Expr::Const(value) => -value,
            _ => return None,
        },
        _ => return None,
    };
    [
        (1.0, ReducedPower::Identity),
        (2.0, ReducedPower::Square),
        (-1.0, ReducedPower::Reciprocal),
        (0.5, ReducedPower::SquareRoot),
    ]
    .into_iter()
    .find(|&(exponent, _)| exponent == value)
    .map(|(_, power)| power)
}

fn binary_kind(op: BinaryOp) -> BinaryKind {
    match op {
        BinaryOp::Add => BinaryKind::Add,
        BinaryOp::Sub => BinaryKind::Sub,
        BinaryOp::Mul => BinaryKind::Mul,
        BinaryOp::Div => BinaryKind::Div,
        BinaryOp::Pow => BinaryKind::Pow,
        BinaryOp::Mod => BinaryKind::Mod,
        BinaryOp::Lt => BinaryKind::Lt,
        BinaryOp::Le => BinaryKind::Le,
        BinaryOp::Gt => BinaryKind::Gt,
        BinaryOp::Ge => BinaryKind::Ge,
        BinaryOp::Eq => BinaryKind::Eq,
        BinaryOp::Ne => BinaryKind::Ne,
        BinaryOp::And => BinaryKind::And,
        BinaryOp::Or => BinaryKind::Or,
    }
}

/// The instruction for a pure function. Lowering has fixed every argument count, so `args`
/// always has as many slots as the function takes.
fn function_op(function: Function, dst: Slot, args: &[Slot]) -> Op {
    let arg = |i: usize| args.get(i).copied().unwrap_or(fixed::TIME);
    let unary = |kind: UnaryKind| Op::Unary { kind, dst, a: arg(0) };
    match function {
        Function::Abs => unary(UnaryKind::Abs),
        Function::Exp => unary(UnaryKind::Exp),
        Function::Ln => unary(UnaryKind::Ln),
        Function::Log10 => unary(UnaryKind::Log10),
        Function::Sqrt => unary(UnaryKind::Sqrt),
        Function::Sin => unary(UnaryKind::Sin),
        Function::Cos => unary(UnaryKind::Cos),
        Function::Tan => unary(UnaryKind::Tan),
        Function::Arcsin => unary(UnaryKind::Asin),
        Function::Arccos => unary(UnaryKind::Acos),
        Function::Arctan => unary(UnaryKind::Atan),
        Function::Sinh => unary(UnaryKind::Sinh),
        Function::Cosh => unary(UnaryKind::Cosh),
        Function::Tanh => unary(UnaryKind::Tanh),
        Function::Int => unary(UnaryKind::Floor),
        Function::Truncate => unary(UnaryKind::Truncate),
        Function::Remainder => Op::Binary { kind: BinaryKind::Remainder, dst, a: arg(0), b: arg(1) },
        Function::Round => unary(UnaryKind::Round),
        Function::Sign => unary(UnaryKind::Sign),
        Function::Min => Op::Binary { kind: BinaryKind::Min, dst, a: arg(0), b: arg(1) },
        Function::Max => Op::Binary { kind: BinaryKind::Max, dst, a: arg(0), b: arg(1) },
        Function::SafeDiv => Op::SafeDiv { dst, a: arg(0), b: arg(1), fallback: arg(2) },
        Function::Step => Op::Step { dst, height: arg(0), start: arg(1) },
        Function::Ramp => Op::Ramp { dst, slope: arg(0), start: arg(1), end: arg(2) },
        Function::Pulse => Op::Pulse { dst, magnitude: arg(0), first: arg(1), interval: arg(2) },
        Function::PulseTrain => Op::PulseTrain { dst, start: arg(0), width: arg(1), between: arg(2), end: arg(3) },
        Function::Quantum => Op::Binary { kind: BinaryKind::Quantum, dst, a: arg(0), b: arg(1) },
        Function::GammaLn => unary(UnaryKind::GammaLn),
        Function::NormalCdf => unary(UnaryKind::NormalCdf),
        Function::NormalQuantile => unary(UnaryKind::NormalQuantile),
        Function::Calendar(calendar, field) => unary(UnaryKind::Calendar(calendar, field)),
    }
}
