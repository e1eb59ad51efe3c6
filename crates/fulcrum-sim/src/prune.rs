//! Leaving out what a caller does not need.
//!
//! A sweep observes a few variables (its outcomes, bands and kept series); the rest of the model
//! need not be computed. The compiler records which part of the model each instruction belongs
//! to (an [`Owner`]) and what each part reads ([`Pruning`]); [`CompiledModel::keeping`] follows
//! those reads back from the variables asked for and drops every instruction, and every delay,
//! conveyor, queue or `PREVIOUS` state, that none of them depends on. What is kept runs the same
//! instructions in the same order on the same slots, so its values are the same bits.

use fulcrum_model::VarId;
use fulcrum_model::resolve::{Expr, ResolvedKind, ResolvedModel};

use crate::CompiledModel;

/// The part of the model an instruction belongs to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Owner {
    /// Kept whatever is needed (copies of constants taken before anything runs).
    Always,
    /// A variable's equation, a stock's initial value and net rate, a non-negative stock's budget.
    Variable(u32),
    /// The initial value of a `PREVIOUS` state.
    Previous(u32),
    /// A pipeline delay's delay time and initial output.
    Delay(u32),
}

/// The parts of a model and what each reads, by node: the variables first, then the `PREVIOUS`
/// states, the pipeline delays, the conveyors and the queues.
#[derive(Clone, Debug, Default)]
pub(crate) struct Pruning {
    pub initial_owners: Vec<Owner>,
    pub evaluate_owners: Vec<Owner>,
    /// What each node reads.
    reads: Vec<Vec<u32>>,
    /// Nodes every run needs (the variables that compute time settings).
    always: Vec<u32>,
    variables: u32,
    previous: u32,
    delays: u32,
    conveyors: u32,
    /// The node of each entry of the layout's `previous`, `delays`, `conveyors` and `queues`
    /// lists, which keep only what is needed.
    states: [Vec<u32>; 4],
}

impl Pruning {
    /// The parts of `model` and what each reads. `always` are variables kept in every program.
    pub fn of(
        model: &ResolvedModel,
        always: Vec<VarId>,
        initial_owners: Vec<Owner>,
        evaluate_owners: Vec<Owner>,
    ) -> Pruning {
        let variables = model.variables.len() as u32;
        let previous = variables + model.previous.len() as u32;
        let delays = previous + model.delays.len() as u32;
        let conveyors = delays + model.conveyors.len() as u32;
        let mut pruning = Pruning {
            initial_owners,
            evaluate_owners,
            reads: Vec::new(),
            always: always.iter().map(|id| id.0).collect(),
            variables,
            previous,
            delays,
            conveyors,
            states: [
                (variables..previous).collect(),
                (previous..delays).collect(),
                (delays..conveyors).collect(),
                (conveyors..conveyors + model.queues.len() as u32).collect(),
            ],
        };
        let total = conveyors as usize + model.queues.len();
        let mut reads: Vec<Vec<u32>> = vec![Vec::new(); total];
        let reads_of = |exprs: &[&Expr], into: &mut Vec<u32>| {
            for expr in exprs {
                expr.walk(&mut |expr| match expr {
                    // `walk` shows HISTORY's source as a plain read.
                    Expr::Var(id) | Expr::Init(id) => into.push(id.0),
                    Expr::Previous(state) => into.push(pruning.variables + state.0),
                    Expr::Delayed(delay) => into.push(pruning.previous + delay.0),
                    Expr::Conveyed(conveyor, _) => into.push(pruning.delays + conveyor.0),
                    Expr::QueueFront(queue) | Expr::QueueBatches { queue, .. } => {
                        into.push(pruning.conveyors + queue.0)
                    }
                    _ => {}
                });
            }
        };
        for (index, variable) in model.variables.iter().enumerate() {
            let into = &mut reads[index];
            match &variable.kind {
                ResolvedKind::Auxiliary(equation) => reads_of(&[equation], into),
                ResolvedKind::Flow { equation, .. } => reads_of(&[equation], into),
                ResolvedKind::Stock { initial, inflows, outflows, .. } => {
                    reads_of(&[initial], into);
                    into.extend(inflows.iter().chain(outflows).map(|flow| flow.0));
                }
                ResolvedKind::Constant(_) | ResolvedKind::GraphicalFunction(_) | ResolvedKind::Undefined => {}
            }
        }
        // A flow that a non-negative stock limits reads the stock's budget, which the stock's
        // other flows before it have drawn on: the stock, and so all its flows, come with it.
        for (index, variable) in model.variables.iter().enumerate() {
            if let ResolvedKind::Stock { inflows, outflows, non_negative: true, .. } = &variable.kind {
                for flow in inflows.iter().chain(outflows) {
                    reads[flow.index()].push(index as u32);
                }
            }
        }
        for (index, state) in model.previous.iter().enumerate() {
            let into = &mut reads[variables as usize + index];
            into.push(state.source.0);
            reads_of(&[&state.initial], into);
        }
        for (index, delay) in model.delays.iter().enumerate() {
            let into = &mut reads[previous as usize + index];
            into.push(delay.input.0);
            reads_of(&[&delay.delay_time, &delay.initial], into);
            if let Some(material) = &delay.material {
                into.push(material.delay_time.0);
                reads_of(&[&material.missing], into);
            }
        }
        for (index, conveyor) in model.conveyors.iter().enumerate() {
            let node = delays as usize + index;
            let into = &mut reads[node];
            into.push(conveyor.stock.0);
            into.push(conveyor.transit_time.0);
            into.extend(conveyor.inflows.iter().map(|flow| flow.0));
            into.extend(conveyor.leaks.iter().flat_map(|leak| [leak.flow.0, leak.fraction.0]));
            into.extend(conveyor.arrest.map(|arrest| arrest.0));
            reads[conveyor.stock.index()].push(node as u32);
        }
        for (index, queue) in model.queues.iter().enumerate() {
            let node = conveyors as usize + index;
            let into = &mut reads[node];
            into.push(queue.stock.0);
            into.extend(queue.inflows.iter().chain(&queue.outflows).map(|flow| flow.0));
            reads[queue.stock.index()].push(node as u32);
        }
        pruning.reads = reads;
        pruning
    }

    /// Which nodes the variables `needed` depend on, themselves included.
    fn needed(&self, needed: &[VarId]) -> Vec<bool> {
        let mut marked = vec![false; self.reads.len()];
        let mut stack: Vec<u32> = needed.iter().map(|id| id.0).chain(self.always.iter().copied()).collect();
        while let Some(node) = stack.pop() {
            let Some(mark) = marked.get_mut(node as usize) else { continue };
            if std::mem::replace(mark, true) {
                continue;
            }
            stack.extend(self.reads[node as usize].iter().copied().filter(|&read| !marked[read as usize]));
        }
        marked
    }

    fn keeps(&self, marked: &[bool], owner: Owner) -> bool {
        match owner {
            Owner::Always => true,
            Owner::Variable(index) => marked[index as usize],
            Owner::Previous(index) => marked[(self.variables + index) as usize],
            Owner::Delay(index) => marked[(self.previous + index) as usize],
        }
    }
}

impl CompiledModel {
    /// The model with only what the values of `needed` depend on: the rest is left out of both
    /// programs, with the delays, conveyors, queues and `PREVIOUS` states no kept variable reads.
    /// The variables kept get the same values, to the bit, as in the whole model; the others are
    /// not computed (their slots hold nothing meaningful) and only the kept ones are checked for
    /// NaN and infinity. Random draws are all still made, so that every kept random function
    /// sees the numbers it sees in the whole model.
    pub fn keeping(&self, needed: &[VarId]) -> CompiledModel {
        let pruning = &self.pruning;
        let marked = pruning.needed(needed);
        let variable_kept = |id: VarId| marked.get(id.index()).copied().unwrap_or(true);
        let filter = |program: &[crate::program::Op], owners: &[Owner]| {
            let kept: Vec<(crate::program::Op, Owner)> = program
                .iter()
                .zip(owners)
                .filter(|(_, owner)| pruning.keeps(&marked, **owner))
                .map(|(op, owner)| (*op, *owner))
                .collect();
            kept.into_iter().unzip::<_, _, Vec<_>, Vec<_>>()
        };
        let (mut initial, initial_owners) = filter(&self.initial, &pruning.initial_owners);
        let (mut evaluate, evaluate_owners) = filter(&self.evaluate, &pruning.evaluate_owners);
        let mut layout = self.layout.clone();
        let [previous, delays, conveyors, queues] = &pruning.states;
        let node_kept = |node: &u32| marked.get(*node as usize).copied().unwrap_or(true);
        // A queue's batches are found by its place among the queues kept, which moves when an
        // earlier queue is left out.
        let mut place = 0;
        let queue_places: Vec<u32> = queues
            .iter()
            .map(|node| {
                let here = place;
                place += u32::from(node_kept(node));
                here
            })
            .collect();
        for op in initial.iter_mut().chain(evaluate.iter_mut()) {
            if let crate::program::Op::QueueBatches { queue, .. } = op {
                *queue = queue_places[*queue as usize];
            }
        }
        layout.previous = keep_where(&layout.previous, previous, node_kept);
        layout.delays = keep_where(&layout.delays, delays, node_kept);
        layout.conveyors = keep_where(&layout.conveyors, conveyors, node_kept);
        layout.queues = keep_where(&layout.queues, queues, node_kept);
        let states = pruning.states.clone().map(|nodes| nodes.into_iter().filter(|node| node_kept(node)).collect());
        layout.checked.retain(|&(_, id)| variable_kept(id));
        layout.checked_after_start.retain(|&(_, id)| variable_kept(id));
        CompiledModel {
            layout,
            initial,
            evaluate_fused: crate::fuse::fuse(&evaluate),
            evaluate,
            pruning: Pruning { initial_owners, evaluate_owners, states, ..pruning.clone() },
            ..self.clone()
        }
    }
}

/// The items whose node (`nodes`, in the same order) is kept.
fn keep_where<T: Clone>(items: &[T], nodes: &[u32], kept: impl Fn(&u32) -> bool) -> Vec<T> {
    items.iter().zip(nodes).filter(|(_, node)| kept(node)).map(|(item, _)| item.clone()).collect()
}
