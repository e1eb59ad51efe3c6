//! Feedback loops: the cycles of cause and effect among the model's own variables.
//!
//! Counting loops is exponential in the worst case, so the search has a budget and says whether
//! it finished.

use std::collections::HashMap;

use super::ResolvedModel;
use super::expr::VarId;
use super::order::Graph;
use super::polarity::{LoopPolarity, Polarity, causal_links};

/// The feedback loops found, shortest first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedbackLoops {
    /// The loops, shortest first.
    pub loops: Vec<FeedbackLoop>,
    /// False when the search stopped at its budget; there are more loops than listed.
    pub complete: bool,
}

/// One feedback loop of the model's own variables.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FeedbackLoop {
    /// The names of the model variables along it, in the direction of influence, starting from
    /// the one defined first. An arrayed variable is one node.
    pub variables: Vec<String>,
    /// Reinforcing, balancing or unknown, from the polarity of its links.
    pub polarity: LoopPolarity,
}

/// Work units (edges followed) the search may spend.
const SEARCH_BUDGET: usize = 2_000_000;

/// Finds the feedback loops of the model's own variables: a stock, its flows and what they read,
/// back to the stock. Hidden variables count as part of the variable that made them.
pub fn feedback_loops(model: &ResolvedModel, max_loops: usize) -> FeedbackLoops {
    let (graph, polarities) = causal_graph(model);
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
    let loops = loops
        .into_iter()
        .map(|path| {
            let links = (0..path.len()).map(|at| {
                let link = (path[at], path[(at + 1) % path.len()]);
                polarities.get(&link).copied().unwrap_or(Polarity::Unknown)
            });
            let polarity = LoopPolarity::of_links(links);
            FeedbackLoop { variables: path.into_iter().map(|n| model.definitions[n].clone()).collect(), polarity }
        })
        .collect();
    FeedbackLoops { loops, complete }
}

/// Edges between model variables: what each one reads, and each flow into its stocks, with the
/// polarity of each edge. Hidden variables count as part of the variable that made them: an edge
/// into one of them has the polarity of the paths from it, through the hidden variables of the
/// same model variable, to that variable itself (unknown when the paths disagree).
fn causal_graph(model: &ResolvedModel) -> (Graph, HashMap<(usize, usize), Polarity>) {
    let definition_of = |id: VarId| model.variables[id.index()].definition;
    let links = causal_links(model);
    let mut hidden_successors: Vec<Vec<(VarId, Polarity)>> = vec![Vec::new(); model.variables.len()];
    for link in &links {
        let from = &model.variables[link.from.index()];
        if !from.is_user() && from.definition == definition_of(link.to) {
            hidden_successors[link.from.index()].push((link.to, link.polarity));
        }
    }
    let mut graph = Graph::new(model.definitions.len());
    let mut polarities: HashMap<(usize, usize), Polarity> = HashMap::new();
    for link in &links {
        let (from, to) = (definition_of(link.from), definition_of(link.to));
        if from == to {
            continue;
        }
        let onward = if model.variables[link.to.index()].is_user() {
            Some(Polarity::Positive)
        } else {
            polarity_to_owner(model, &hidden_successors, link.to)
        };
        // A hidden variable that leads to none of its owner's own still carries the edge (the
        // owner is made of it), with no polarity to tell.
        let polarity = link.polarity.then(onward.unwrap_or(Polarity::Unknown));
        match polarities.get_mut(&(from, to)) {
            Some(known) => *known = known.either(polarity),
            None => {
                polarities.insert((from, to), polarity);
                graph.add(from, to);
            }
        }
    }
    (graph, polarities)
}

/// The combined polarity of the paths from a hidden variable, through the hidden variables of
/// the same model variable, to one of that model variable's own; `None` when no path leads
/// there.
fn polarity_to_owner(
    model: &ResolvedModel,
    hidden_successors: &[Vec<(VarId, Polarity)>],
    start: VarId,
) -> Option<Polarity> {
    // Depth-first over simple paths; hidden structures are a handful of variables, and a budget
    // keeps a large one from costing much (its edge is then unknown).
    let mut found: Option<Polarity> = None;
    let mut stack: Vec<(VarId, Polarity, Vec<VarId>)> = vec![(start, Polarity::Positive, vec![start])];
    let mut budget = 10_000usize;
    while let Some((node, polarity, path)) = stack.pop() {
        for &(next, link) in &hidden_successors[node.index()] {
            budget = budget.saturating_sub(1);
            if budget == 0 {
                return Some(Polarity::Unknown);
            }
            let along = polarity.then(link);
            if model.variables[next.index()].is_user() {
                found = Some(found.map_or(along, |known| known.either(along)));
            } else if !path.contains(&next) {
                let mut longer = path.clone();
                longer.push(next);
                stack.push((next, along, longer));
            }
        }
    }
    found
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
