//! Feedback loops: the cycles of cause and effect among the model's own variables.
//!
//! Counting loops is exponential in the worst case, so the search has a budget and says whether
//! it finished.

use super::expr::{Expr, VarId};
use super::order::Graph;
use super::{ResolvedKind, ResolvedModel};

/// The feedback loops found, shortest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedbackLoops {
    /// Each loop as the names of the model variables along it, in the direction of influence,
    /// starting from the one defined first. An arrayed variable is one node.
    pub loops: Vec<Vec<String>>,
    /// False when the search stopped at its budget; there are more loops than listed.
    pub complete: bool,
}

/// Work units (edges followed) the search may spend.
const SEARCH_BUDGET: usize = 2_000_000;

/// Finds the feedback loops of the model's own variables: a stock, its flows and what they read,
/// back to the stock. Hidden variables count as part of the variable that made them.
pub fn feedback_loops(model: &ResolvedModel, max_loops: usize) -> FeedbackLoops {
    let graph = causal_graph(model);
    let components = component_ids(&graph);
    let mut loops = Vec::new();
    let mut budget = SEARCH_BUDGET;
    let mut complete = true;
    'starts: for start in 0..graph.size() {
        // Elementary cycles whose smallest node is `start`: search only larger nodes in its
        // strongly connected component.
        let Some(component) = components[start] else { continue };
        let allowed = |node: usize| node >= start && components[node] == Some(component);
        let mut path = vec![start];
        let mut on_path = vec![false; graph.size()];
        on_path[start] = true;
        let mut frames = vec![0usize];
        while let Some(next_edge) = frames.last_mut() {
            let node = path[path.len() - 1];
            let Some(&next) = graph.successors(node).get(*next_edge) else {
                frames.pop();
                if let Some(done) = path.pop() {
                    on_path[done] = false;
                }
                continue;
            };
            *next_edge += 1;
            if budget == 0 || loops.len() >= max_loops {
                complete = false;
                break 'starts;
            }
            budget -= 1;
            if next == start {
                loops.push(path.clone());
            } else if allowed(next) && !on_path[next] {
                on_path[next] = true;
                path.push(next);
                frames.push(0);
            }
        }
    }
    loops.sort_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
    let loops =
        loops.into_iter().map(|path| path.into_iter().map(|n| model.definitions[n].clone()).collect()).collect();
    FeedbackLoops { loops, complete }
}

/// Edges between model variables: what each one reads, and each flow into its stocks.
fn causal_graph(model: &ResolvedModel) -> Graph {
    let user_of = |id: VarId| model.variables[id.index()].definition;
    let mut graph = Graph::new(model.definitions.len());
    let mut link = |from: VarId, to: VarId| {
        let (from, to) = (user_of(from), user_of(to));
        if from != to {
            graph.add(from, to);
        }
    };
    for (index, variable) in model.variables.iter().enumerate() {
        let id = VarId::from_index(index);
        match &variable.kind {
            ResolvedKind::Auxiliary(equation) | ResolvedKind::Flow { equation, .. } => {
                equation.walk(&mut |node| match node {
                    Expr::Var(source) if !is_constant(model, *source) => link(*source, id),
                    Expr::Previous(previous) => link(model.previous[previous.0 as usize].source, id),
                    Expr::Delayed(delay) => link(model.delays[delay.0 as usize].input, id),
                    Expr::QueueFront(queue) => {
                        for &inflow in &model.queues[queue.0 as usize].inflows {
                            link(inflow, id);
                        }
                    }
                    Expr::Conveyed(conveyor, _) => {
                        for &inflow in &model.conveyors[conveyor.0 as usize].inflows {
                            link(inflow, id);
                        }
                    }
                    _ => {}
                });
            }
            ResolvedKind::Stock { inflows, outflows, .. } => {
                for &flow in inflows.iter().chain(outflows) {
                    link(flow, id);
                }
            }
            ResolvedKind::Constant(_) | ResolvedKind::GraphicalFunction(_) | ResolvedKind::Undefined => {}
        }
    }
    graph
}

fn is_constant(model: &ResolvedModel, id: VarId) -> bool {
    matches!(
        model.variables[id.index()].kind,
        ResolvedKind::Constant(_) | ResolvedKind::GraphicalFunction(_) | ResolvedKind::Undefined
    )
}

/// For each node, the index of its cyclic strongly connected component, if any.
fn component_ids(graph: &Graph) -> Vec<Option<usize>> {
    let mut ids = vec![None; graph.size()];
    for (component_index, component) in graph.cycles().iter().enumerate() {
        for &node in component {
            ids[node] = Some(component_index);
        }
    }
    ids
}
