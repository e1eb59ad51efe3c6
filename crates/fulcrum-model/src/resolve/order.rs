//! Evaluation orders, and the loops that prevent them.
//!
//! Two dependency graphs: one for the start (stocks' initial values included, since auxiliaries
//! may read stocks there) and one for every step (auxiliaries and flows only; stocks, delays and
//! `PREVIOUS` are state and break cycles). A cycle in either is an error naming every variable in
//! it. Orders are topological, ties broken by id, so they never depend on hashing.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashSet, VecDeque};

use super::ResolvedKind;
use super::expr::{Expr, Phase, VarId};
use super::lower::Lowered;
use crate::diagnostic::{Code, Diagnostic, Diagnostics};
use crate::model::Model;

/// A directed graph over variable ids: `edges[a]` are the variables that need `a` first.
pub(super) struct Graph {
    edges: Vec<Vec<usize>>,
}

impl Graph {
    pub(super) fn new(size: usize) -> Graph {
        Graph { edges: vec![Vec::new(); size] }
    }

    pub(super) fn add(&mut self, from: usize, to: usize) {
        if !self.edges[from].contains(&to) {
            self.edges[from].push(to);
        }
    }

    pub(super) fn successors(&self, node: usize) -> &[usize] {
        &self.edges[node]
    }

    pub(super) fn size(&self) -> usize {
        self.edges.len()
    }

    fn reaches(&self, from: usize, to: usize) -> bool {
        let mut seen = vec![false; self.edges.len()];
        let mut stack = vec![from];
        while let Some(node) = stack.pop() {
            if node == to {
                return true;
            }
            if !std::mem::replace(&mut seen[node], true) {
                stack.extend(&self.edges[node]);
            }
        }
        false
    }

    /// Strongly connected components (Tarjan's algorithm, iterative so that long chains cannot
    /// overflow the stack). Only components that contain a cycle are returned.
    pub(super) fn cycles(&self) -> Vec<Vec<usize>> {
        const UNVISITED: usize = usize::MAX;
        let size = self.edges.len();
        let mut index = vec![UNVISITED; size];
        let mut lowlink = vec![0; size];
        let mut on_stack = vec![false; size];
        let mut stack = Vec::new();
        let mut next_index = 0;
        let mut components = Vec::new();
        for root in 0..size {
            if index[root] != UNVISITED {
                continue;
            }
            // Each frame: node and how many of its successors have been looked at.
            let mut frames = vec![(root, 0usize)];
            index[root] = next_index;
            lowlink[root] = next_index;
            next_index += 1;
            stack.push(root);
            on_stack[root] = true;
            while let Some(&mut (node, ref mut next_edge)) = frames.last_mut() {
                if let Some(&successor) = self.edges[node].get(*next_edge) {
                    *next_edge += 1;
                    if index[successor] == UNVISITED {
                        index[successor] = next_index;
                        lowlink[successor] = next_index;
                        next_index += 1;
                        stack.push(successor);
                        on_stack[successor] = true;
                        frames.push((successor, 0));
                    } else if on_stack[successor] {
                        lowlink[node] = lowlink[node].min(index[successor]);
                    }
                    continue;
                }
                frames.pop();
                if let Some(&(parent, _)) = frames.last() {
                    lowlink[parent] = lowlink[parent].min(lowlink[node]);
                }
                if lowlink[node] == index[node] {
                    let mut component = Vec::new();
                    while let Some(member) = stack.pop() {
                        on_stack[member] = false;
                        component.push(member);
                        if member == node {
                            break;
                        }
                    }
                    let cyclic = component.len() > 1 || self.edges[node].contains(&node);
                    if cyclic {
                        component.sort_unstable();
                        components.push(component);
                    }
                }
            }
        }
        components
    }

    /// A shortest cycle through `start` inside `component`, as a path that ends where it begins.
    pub(super) fn cycle_through(&self, start: usize, component: &[usize]) -> Vec<usize> {
        let mut parent = vec![usize::MAX; self.edges.len()];
        let mut queue = VecDeque::from([start]);
        while let Some(node) = queue.pop_front() {
            for &next in &self.edges[node] {
                if next == start {
                    let mut path = vec![start, node];
                    let mut at = node;
                    while at != start {
                        at = parent[at];
                        path.push(at);
                    }
                    path.reverse();
                    path.dedup();
                    path.push(start);
                    return path;
                }
                if component.binary_search(&next).is_ok() && parent[next] == usize::MAX {
                    parent[next] = node;
                    queue.push_back(next);
                }
            }
        }
        vec![start, start]
    }

    /// Nodes in `members` in dependency order, smallest id first among the ready ones.
    fn topological(&self, members: &[bool]) -> Vec<VarId> {
        let mut indegree = vec![0usize; self.edges.len()];
        for (node, successors) in self.edges.iter().enumerate() {
            if members[node] {
                for &next in successors {
                    indegree[next] += 1;
                }
            }
        }
        let mut ready: BinaryHeap<Reverse<usize>> =
            (0..self.edges.len()).filter(|&n| members[n] && indegree[n] == 0).map(Reverse).collect();
        let mut order = Vec::new();
        while let Some(Reverse(node)) = ready.pop() {
            order.push(VarId::from_index(node));
            for &next in &self.edges[node] {
                indegree[next] -= 1;
                if indegree[next] == 0 && members[next] {
                    ready.push(Reverse(next));
                }
            }
        }
        order
    }
}

/// Orders for the start and for each step, or `None` after reporting loops.
pub(super) fn compute(
    model: &Model,
    lowered: &Lowered,
    diagnostics: &mut Diagnostics,
) -> Option<(Vec<VarId>, Vec<VarId>)> {
    let variables = &lowered.variables;
    let size = variables.len();
    let mut step = Graph::new(size);
    let mut initial = Graph::new(size);
    let mut step_members = vec![false; size];
    let mut initial_members = vec![false; size];
    for (index, variable) in variables.iter().enumerate() {
        match &variable.kind {
            ResolvedKind::Auxiliary(equation) | ResolvedKind::Flow { equation, .. } => {
                step_members[index] = true;
                initial_members[index] = true;
                step_dependencies(equation, lowered, &mut |dependency| step.add(dependency, index));
                initial_dependencies(equation, lowered, &mut |dependency| initial.add(dependency, index));
            }
            ResolvedKind::Stock { initial: equation, .. } => {
                initial_members[index] = true;
                initial_dependencies(equation, lowered, &mut |dependency| initial.add(dependency, index));
            }
            ResolvedKind::Constant(_) | ResolvedKind::GraphicalFunction(_) | ResolvedKind::Undefined => {}
        }
    }

    let step_loops = step.cycles();
    let mut in_step_loop = vec![false; size];
    for component in &step_loops {
        for &node in component {
            in_step_loop[user_of(lowered, node)] = true;
        }
        diagnostics.push(loop_diagnostic(model, lowered, &step, component, Code::AlgebraicLoop));
    }
    let initial_loops = initial.cycles();
    for component in &initial_loops {
        // A loop among auxiliaries is the same loop at the start; report it once.
        if !component.iter().all(|&node| in_step_loop[user_of(lowered, node)]) {
            diagnostics.push(loop_diagnostic(model, lowered, &initial, component, Code::InitialValueLoop));
        }
    }
    if !step_loops.is_empty() || !initial_loops.is_empty() {
        return None;
    }
    prefer_non_negative_order(lowered, &mut step);
    Some((initial.topological(&initial_members), step.topological(&step_members)))
}

/// Variables an equation reads at every step: auxiliaries and flows. Stocks, constants and
/// per-step state (`PREVIOUS`, `DELAY`, `INIT`) are known before the step starts.
fn step_dependencies(expr: &Expr, lowered: &Lowered, add: &mut impl FnMut(usize)) {
    expr.walk_in(Phase::Active, &mut |node| {
        if let Expr::Var(id) = node
            && matches!(lowered.variables[id.index()].kind, ResolvedKind::Auxiliary(_) | ResolvedKind::Flow { .. })
        {
            add(id.index());
        }
    });
}

/// Variables an equation reads at the start: anything computed, stocks included, and whatever
/// the initial values of its `PREVIOUS` and `DELAY` states read. `ACTIVE_INITIAL` reads only its
/// initial value here.
fn initial_dependencies(expr: &Expr, lowered: &Lowered, add: &mut impl FnMut(usize)) {
    expr.walk_in(Phase::Initial, &mut |node| match node {
        Expr::Var(id) | Expr::Init(id)
            if !matches!(
                lowered.variables[id.index()].kind,
                ResolvedKind::Constant(_) | ResolvedKind::GraphicalFunction(_) | ResolvedKind::Undefined
            ) =>
        {
            add(id.index());
        }
        Expr::Previous(previous) => {
            if let Some(state) = lowered.previous.get(previous.0 as usize) {
                initial_dependencies(&state.initial, lowered, add);
            }
        }
        Expr::Delayed(delay) => {
            if let Some(delay) = lowered.delays.get(delay.0 as usize) {
                initial_dependencies(&delay.delay_time, lowered, add);
                initial_dependencies(&delay.initial, lowered, add);
                if let Some(material) = &delay.material {
                    initial_dependencies(&material.missing, lowered, add);
                }
            }
        }
        Expr::QueueFront(queue) | Expr::QueueBatches { queue, .. } => {
            if let Some(queue) = lowered.queues.get(queue.0 as usize) {
                add(queue.stock.index());
            }
        }
        Expr::Conveyed(conveyor, _) => {
            if let Some(conveyor) = lowered.conveyors.get(conveyor.0 as usize) {
                add(conveyor.stock.index());
                add(conveyor.transit_time.index());
                if let Some(arrest) = conveyor.arrest {
                    add(arrest.index());
                }
                for leak in &conveyor.leaks {
                    add(leak.fraction.index());
                }
            }
        }
        _ => {}
    });
}

/// A non-negative stock limits its drains to what it holds plus what flows in during the step,
/// in priority order. That is exact when its inflows are computed before its outflows, and
/// outflows in priority order; so those orderings are added wherever they make no cycle.
fn prefer_non_negative_order(lowered: &Lowered, step: &mut Graph) {
    for variable in &lowered.variables {
        let ResolvedKind::Stock { inflows, outflows, non_negative: true, .. } = &variable.kind else {
            continue;
        };
        let mut prefer = |before: VarId, after: VarId| {
            let (before, after) = (before.index(), after.index());
            if before != after && !step.reaches(after, before) {
                step.add(before, after);
            }
        };
        for &inflow in inflows {
            for &outflow in outflows {
                prefer(inflow, outflow);
            }
        }
        for pair in outflows.windows(2) {
            prefer(pair[0], pair[1]);
        }
    }
}

/// The model variable a (possibly hidden) variable belongs to.
pub(super) fn user_of(lowered: &Lowered, node: usize) -> usize {
    lowered.variables[node].owner.map_or(node, VarId::index)
}

/// How many of a loop's variables its diagnostic names and marks.
const LOOP_NAMES_SHOWN: usize = 12;

/// The model's variable (index into `Model::variables`) a (possibly hidden) variable belongs to:
/// itself, the array it is an element of, or the variable that made it.
fn definition_of(lowered: &Lowered, node: usize) -> usize {
    lowered.variables[node].definition
}

fn loop_diagnostic(model: &Model, lowered: &Lowered, graph: &Graph, component: &[usize], code: Code) -> Diagnostic {
    let mut path: Vec<usize> =
        graph.cycle_through(component[0], component).iter().map(|&n| definition_of(lowered, n)).collect();
    path.dedup();
    if path.len() == 1 {
        path.push(path[0]);
    }
    let name = |index: usize| format!("`{}`", model.variables[index].name);
    // A loop of thousands of variables is named by its first few (a label for each would make
    // the report as slow to draw as it is long to read).
    // (The path ends where it starts.)
    let mut cycle: Vec<String> = path.iter().map(|&index| name(index)).collect();
    if path.len() > LOOP_NAMES_SHOWN + 1 {
        let hidden = path.len() - 1 - LOOP_NAMES_SHOWN;
        cycle.splice(LOOP_NAMES_SHOWN..path.len() - 1, [format!("… ({hidden} more) …")]);
    }
    let mut members: Vec<usize> = component.iter().map(|&n| definition_of(lowered, n)).collect();
    members.sort_unstable();
    members.dedup();
    let on_path: HashSet<usize> = path.iter().copied().collect();
    let mut others: Vec<String> =
        members.iter().filter(|m| !on_path.contains(m)).take(LOOP_NAMES_SHOWN).map(|&m| name(m)).collect();
    let unnamed = members.len().saturating_sub(on_path.len() + others.len());
    if unnamed > 0 {
        others.push(format!("{unnamed} more"));
    }
    let (what, help) = match code {
        Code::AlgebraicLoop => (
            "algebraic loop",
            "every feedback loop must pass through a stock, or a delay or smooth (SMTH1, DELAY1, ...)",
        ),
        _ => (
            "initial values depend on each other",
            "give one of these stocks an initial value that does not depend on the others",
        ),
    };
    let mut message = format!("{what}: {}", cycle.join(" → "));
    if !others.is_empty() {
        message.push_str(&format!(" (also involved: {})", others.join(", ")));
    }
    // Point at the loop's member that comes first in the file; mark the others.
    let span_of = |index: usize| model.variables[index].span;
    let first = members.iter().copied().min_by_key(|&m| span_of(m).map_or(u32::MAX, |s| s.start)).unwrap_or(path[0]);
    let mut diagnostic =
        Diagnostic::new(code, message).at(span_of(first)).on_variable(&model.variables[first].name).with_help(help);
    for &member in members.iter().filter(|&&m| m != first).take(LOOP_NAMES_SHOWN) {
        diagnostic = diagnostic.with_related(span_of(member), "in the loop");
    }
    diagnostic
}
