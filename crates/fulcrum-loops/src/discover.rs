//! Finding the loops to score: every elementary cycle of the causal graph when there are few,
//! else the strongest path from each stock at each step (Eberlein & Schoenberg 2020).

use std::collections::HashSet;

use fulcrum_model::resolve::LoopPolarity;
use fulcrum_model::{ResolvedKind, ResolvedModel, VarId};

use crate::{LinkScorer, LoopsError, Options};

/// How loops are found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Discovery {
    /// Every loop when there are at most [`Options::max_enumerated`], else the strongest paths.
    Auto,
    /// Every elementary cycle of the causal graph.
    Exhaustive,
    /// The loops that the strongest path from each stock closes, at each step, gathered over
    /// the run: those that matter, not every loop.
    StrongestPath,
}

/// A loop as the variables along it and the links between them.
pub(crate) struct Cycle {
    pub nodes: Vec<VarId>,
    /// Index into the scorer's links of the link from `nodes[i]` to `nodes[i + 1]` (cyclically).
    pub links: Vec<usize>,
    pub polarity: LoopPolarity,
}

/// Work units (edges followed) the exhaustive search may spend.
const SEARCH_BUDGET: usize = 5_000_000;

pub(crate) fn find_loops(
    model: &ResolvedModel,
    scorer: &LinkScorer,
    options: &Options,
) -> Result<(Vec<Cycle>, Discovery), LoopsError> {
    let successors = successors(model, scorer);
    let enumerated = match options.discovery {
        Discovery::StrongestPath => None,
        Discovery::Exhaustive => enumerate(&successors, usize::MAX, usize::MAX),
        Discovery::Auto => enumerate(&successors, options.max_enumerated, SEARCH_BUDGET),
    };
    let (paths, discovery) = match enumerated {
        Some(paths) => (paths, Discovery::Exhaustive),
        None => (strongest_paths(model, scorer, &successors)?, Discovery::StrongestPath),
    };
    // A loop inside one variable (the stock and flow a SMOOTH is lowered to) is that built-in's
    // own working, not feedback among the model's variables.
    let definition = |node: &VarId| model.variables[node.index()].definition;
    let cycles = paths
        .into_iter()
        .filter(|nodes| nodes.iter().any(|node| definition(node) != definition(&nodes[0])))
        .map(|nodes| {
            let links: Vec<usize> = (0..nodes.len())
                .map(|at| {
                    let (from, to) = (nodes[at], nodes[(at + 1) % nodes.len()]);
                    successors[from.index()].iter().find(|(next, _)| *next == to).map_or(0, |(_, link)| *link)
                })
                .collect();
            let polarity = LoopPolarity::of_links(links.iter().map(|&link| scorer.links()[link].polarity));
            Cycle { nodes, links, polarity }
        })
        .collect();
    Ok((cycles, discovery))
}

/// For each variable, the variables it affects and the index of the link.
fn successors(model: &ResolvedModel, scorer: &LinkScorer) -> Vec<Vec<(VarId, usize)>> {
    let mut successors = vec![Vec::new(); model.variables.len()];
    for (index, link) in scorer.links().iter().enumerate() {
        if link.from != link.to && !successors[link.from.index()].iter().any(|(to, _)| *to == link.to) {
            successors[link.from.index()].push((link.to, index));
        }
    }
    successors
}

/// Every elementary cycle, each starting at its smallest node, shortest first; `None` when
/// there are more than `max_loops` or the search spends its budget.
fn enumerate(successors: &[Vec<(VarId, usize)>], max_loops: usize, budget: usize) -> Option<Vec<Vec<VarId>>> {
    let size = successors.len();
    let mut predecessors = vec![Vec::new(); size];
    for (from, next) in successors.iter().enumerate() {
        for &(to, _) in next {
            predecessors[to.index()].push(from);
        }
    }
    let mut loops = Vec::new();
    let mut budget = budget;
    for start in 0..size {
        if successors[start].is_empty() {
            continue;
        }
        // Only nodes not below `start` that can reach it back can be on its cycles.
        let mut reaches = vec![false; size];
        let mut queue = vec![start];
        reaches[start] = true;
        while let Some(node) = queue.pop() {
            for &before in &predecessors[node] {
                if before > start && !reaches[before] {
                    reaches[before] = true;
                    queue.push(before);
                }
            }
        }
        let mut path = vec![start];
        let mut on_path = vec![false; size];
        on_path[start] = true;
        let mut frames = vec![0usize];
        while let Some(next_edge) = frames.last_mut() {
            let node = path[path.len() - 1];
            let Some(&(next, _)) = successors[node].get(*next_edge) else {
                frames.pop();
                if let Some(done) = path.pop() {
                    on_path[done] = false;
                }
                continue;
            };
            *next_edge += 1;
            budget = budget.checked_sub(1)?;
            let next = next.index();
            if next == start {
                if loops.len() >= max_loops {
                    return None;
                }
                loops.push(path.iter().map(|&n| VarId(n as u32)).collect::<Vec<VarId>>());
            } else if reaches[next] && !on_path[next] {
                on_path[next] = true;
                path.push(next);
                frames.push(0);
            }
        }
    }
    loops.sort_by(|a: &Vec<VarId>, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
    Some(loops)
}

/// The loops the strongest paths close: at each step, from each stock, a depth-first search that
/// follows links in order of their scores' magnitudes and abandons a path when it reaches a
/// variable with a smaller score than a path reached it with before. Each loop found is kept
/// once, starting at its smallest node.
fn strongest_paths(
    model: &ResolvedModel,
    scorer: &LinkScorer,
    successors: &[Vec<(VarId, usize)>],
) -> Result<Vec<Vec<VarId>>, LoopsError> {
    let stocks: Vec<usize> = (0..model.variables.len())
        .filter(|&id| matches!(model.variables[id].kind, ResolvedKind::Stock { .. }) && !successors[id].is_empty())
        .collect();
    let mut found: HashSet<Vec<VarId>> = HashSet::new();
    let mut ordered: Vec<Vec<VarId>> = Vec::new();
    let mut link_scores = vec![f64::NAN; scorer.links().len()];
    for step in 1..scorer.step_count() {
        let mut scored = vec![false; link_scores.len()];
        let mut score = |link: usize| -> Result<f64, LoopsError> {
            if !scored[link] {
                link_scores[link] = scorer.score(link, step)?.abs();
                scored[link] = true;
            }
            Ok(link_scores[link])
        };
        for &start in &stocks {
            let mut best = vec![0.0f64; successors.len()];
            // (node, path score so far, path)
            let mut stack: Vec<(usize, f64, Vec<usize>)> = vec![(start, 1.0, vec![start])];
            while let Some((node, strength, path)) = stack.pop() {
                let mut next: Vec<(usize, f64)> = Vec::new();
                for &(to, link) in &successors[node] {
                    let along = strength * score(link)?;
                    if along == 0.0 || along.is_nan() {
                        continue;
                    }
                    next.push((to.index(), along));
                }
                // Weakest pushed first, so the strongest is explored first.
                next.sort_by(|a, b| a.1.total_cmp(&b.1));
                for (to, along) in next {
                    if to == start {
                        let mut cycle: Vec<usize> = path.clone();
                        let smallest = (0..cycle.len()).min_by_key(|&i| cycle[i]).unwrap_or(0);
                        cycle.rotate_left(smallest);
                        let cycle: Vec<VarId> = cycle.into_iter().map(|n| VarId(n as u32)).collect();
                        if found.insert(cycle.clone()) {
                            ordered.push(cycle);
                        }
                    } else if along > best[to] && !path.contains(&to) {
                        best[to] = along;
                        let mut longer = path.clone();
                        longer.push(to);
                        stack.push((to, along, longer));
                    }
                }
            }
        }
    }
    ordered.sort_by(|a, b| a.len().cmp(&b.len()).then_with(|| a.cmp(b)));
    Ok(ordered)
}
