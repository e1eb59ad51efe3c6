//! Loops That Matter (Schoenberg, Davidsen & Eberlein 2020, with the flow-to-stock link score of
//! Schoenberg, Hayward & Eberlein 2023): which feedback loops drive a model's behaviour, when.
//!
//! [`analyze`] runs the model once, scores every causal link at every step ([`score`] holds the
//! arithmetic, on plain numbers), multiplies link scores around each loop, and divides by the sum
//! of the loops' magnitudes: each loop's relative score, its share of the behaviour in [-1, 1].
//! Loops are all enumerated when there are few ([`Discovery::Exhaustive`]); in a large model the
//! strongest path from each stock at each step finds those that matter
//! ([`Discovery::StrongestPath`], Eberlein & Schoenberg 2020). [`dominance_periods`] groups the
//! times into periods by the smallest set of loops that explains at least half of the behaviour.
//!
//! ```
//! use fulcrum_model::builder::ModelBuilder;
//! let model = ModelBuilder::new(0.0, 10.0, 1.0)
//!     .stock("Savings", "100", &["Interest"], &[])
//!     .flow("Interest", "Savings * Rate")
//!     .constant("Rate", 0.1)
//!     .build();
//! let resolved = fulcrum_model::resolve(&model).unwrap();
//! let analysis = fulcrum_loops::analyze(&resolved, &fulcrum_loops::Options::default()).unwrap();
//! assert_eq!(analysis.loops[0].id, "R1");
//! assert_eq!(analysis.loops[0].relative[5], 1.0);
//! ```

mod discover;
mod evaluate;
pub mod score;

use fulcrum_model::resolve::{CausalLink, LoopPolarity, causal_links};
use fulcrum_model::{ResolvedKind, ResolvedModel, VarId};
use fulcrum_sim::{Batch, CompiledModel, Observer, Point, SimError};

pub use discover::Discovery;

/// What can stop an analysis.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum LoopsError {
    /// The model does not compile or its run fails.
    #[error(transparent)]
    Simulation(#[from] fulcrum_sim::SimError),
    /// The model has no feedback loop to score.
    #[error("the model has no feedback loops: every stock's flows depend on nothing the stock affects")]
    NoLoops,
    /// The model computes its time settings during the run; scores need one fixed time step.
    #[error("the model computes its time settings during the run; loop scores need a fixed time step")]
    ComputedTime,
    /// The compiled model given was not compiled from the resolved model given.
    #[error("the compiled model is not the resolved model's: their variables differ")]
    OtherModel,
    /// An equation on a loop uses something whose value cannot be recomputed from the current
    /// values alone.
    #[error(
        "`{variable}` is on a feedback loop and its equation uses {construct}, which loop scores cannot evaluate yet"
    )]
    Unsupported {
        /// The variable.
        variable: String,
        /// What it uses.
        construct: &'static str,
    },
}

/// Settings of an analysis.
#[derive(Clone, Debug)]
pub struct Options {
    /// How loops are found.
    pub discovery: Discovery,
    /// Enumerate every loop when there are at most this many (with [`Discovery::Auto`]).
    pub max_enumerated: usize,
}

impl Default for Options {
    fn default() -> Options {
        Options { discovery: Discovery::Auto, max_enumerated: 1_000 }
    }
}

/// One loop and its scores at the saved times.
#[derive(Clone, Debug)]
pub struct ScoredLoop {
    /// `R1`, `B2`, `U1`: the polarity's letter and the loop's rank among loops of that polarity.
    pub id: String,
    /// The structural polarity.
    pub polarity: LoopPolarity,
    /// The variables along the loop in the direction of influence (array elements by element).
    pub variables: Vec<String>,
    /// The loop score at each saved time.
    pub score: Vec<f64>,
    /// The relative loop score at each saved time, in [-1, 1].
    pub relative: Vec<f64>,
    /// The mean of `|relative|` over the saved times: what the ranking sorts by.
    pub mean_share: f64,
    /// How the loop acted during the run, from the signs of its scores at the saved times.
    pub acted: Acted,
}

impl ScoredLoop {
    /// What makes a loop the same loop in another run of the model: its variables in the
    /// direction of influence, starting from the first in name order. Two runs that find the
    /// same cycle give the same key, whichever variable each discovery started from.
    pub fn key(&self) -> Vec<String> {
        let start = (0..self.variables.len()).min_by(|&a, &b| self.variables[a].cmp(&self.variables[b])).unwrap_or(0);
        self.variables[start..].iter().chain(&self.variables[..start]).cloned().collect()
    }
}

/// How a loop acted during a run: the sign its scores took while it was active. A loop of
/// unknown structural polarity is told apart by this; for the others it agrees with the
/// structure unless a variable the structure takes to be positive went negative.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Acted {
    /// Every nonzero score was positive.
    Reinforcing,
    /// Every nonzero score was negative.
    Balancing,
    /// Some scores were positive and some negative.
    Both,
    /// Every score was zero.
    Inactive,
}

impl Acted {
    /// How loops with these relative scores acted.
    pub fn of(relative: &[f64]) -> Acted {
        let positive = relative.iter().any(|share| *share > 0.0);
        let negative = relative.iter().any(|share| *share < 0.0);
        match (positive, negative) {
            (true, false) => Acted::Reinforcing,
            (false, true) => Acted::Balancing,
            (true, true) => Acted::Both,
            (false, false) => Acted::Inactive,
        }
    }

    /// `reinforcing`, `balancing`, `both` or `inactive`.
    pub fn word(self) -> &'static str {
        match self {
            Acted::Reinforcing => "reinforcing",
            Acted::Balancing => "balancing",
            Acted::Both => "both",
            Acted::Inactive => "inactive",
        }
    }
}

/// The result of an analysis.
#[derive(Clone, Debug)]
pub struct Analysis {
    /// The saved times.
    pub times: Vec<f64>,
    /// The loops, by `mean_share`, largest first.
    pub loops: Vec<ScoredLoop>,
    /// How the loops were found.
    pub discovery: Discovery,
}

impl Analysis {
    /// Gives the loops the ids they have in `baseline`, an analysis of another run of the same
    /// model, so that a loop is called the same in both: a loop with the same [`ScoredLoop::key`]
    /// takes the baseline's id, and a loop the baseline does not have takes the next free
    /// number of its polarity (the baseline has B1 to B3: a new balancing loop is B4). The
    /// order, by this run's shares, is kept.
    pub fn align_ids(&mut self, baseline: &Analysis) {
        let known: std::collections::HashMap<Vec<String>, &str> =
            baseline.loops.iter().map(|scored| (scored.key(), scored.id.as_str())).collect();
        let number = |id: &str| id.get(1..).and_then(|digits| digits.parse::<usize>().ok()).unwrap_or(0);
        let mut next = [0usize; 3];
        for scored in &baseline.loops {
            let slot = polarity_slot(scored.polarity);
            next[slot] = next[slot].max(number(&scored.id));
        }
        for scored in &mut self.loops {
            match known.get(&scored.key()) {
                Some(id) => scored.id = (*id).to_owned(),
                None => {
                    let slot = polarity_slot(scored.polarity);
                    next[slot] += 1;
                    scored.id = format!("{}{}", scored.polarity.letter(), next[slot]);
                }
            }
        }
    }

    /// The loop called `id` (letters in any case).
    pub fn find(&self, id: &str) -> Option<&ScoredLoop> {
        self.loops.iter().find(|scored| scored.id.eq_ignore_ascii_case(id))
    }

    /// How each loop's share changes from `baseline` to this run (whose ids are first aligned
    /// to the baseline's): every loop of either run, one the other lacks at a share of 0 there,
    /// the most strengthened first.
    pub fn changes_from(mut self, baseline: &Analysis) -> Vec<LoopChange> {
        self.align_ids(baseline);
        let mut changes: Vec<LoopChange> = self
            .loops
            .iter()
            .map(|scored| LoopChange {
                baseline_share: baseline.find(&scored.id).map_or(0.0, |base| base.mean_share),
                share: scored.mean_share,
                scored: scored.clone(),
            })
            .collect();
        for scored in baseline.loops.iter().filter(|base| self.find(&base.id).is_none()) {
            changes.push(LoopChange { baseline_share: scored.mean_share, share: 0.0, scored: scored.clone() });
        }
        changes.sort_by(|a, b| b.change().total_cmp(&a.change()));
        changes
    }
}

/// A loop's mean share of the behaviour in a baseline run and in another ([`Analysis::changes_from`]).
#[derive(Clone, Debug)]
pub struct LoopChange {
    /// The loop, as the run that has it scores it (the other run's when only the baseline has it).
    pub scored: ScoredLoop,
    /// Its mean |relative loop score| in the baseline run.
    pub baseline_share: f64,
    /// Its mean |relative loop score| in the other run.
    pub share: f64,
}

impl LoopChange {
    /// `share − baseline_share`: positive when the other run strengthens the loop.
    pub fn change(&self) -> f64 {
        self.share - self.baseline_share
    }
}

fn polarity_slot(polarity: LoopPolarity) -> usize {
    match polarity {
        LoopPolarity::Reinforcing => 0,
        LoopPolarity::Balancing => 1,
        LoopPolarity::Unknown => 2,
    }
}

/// A stretch of time over which the same loops dominate.
#[derive(Clone, Debug, PartialEq)]
pub struct DominancePeriod {
    /// The first saved time of the period.
    pub start: f64,
    /// The last saved time of the period.
    pub end: f64,
    /// The smallest set of loops (indexes into [`Analysis::loops`], largest share first) that
    /// explains at least half of the behaviour; empty when no loop is active.
    pub loops: Vec<usize>,
}

/// Every variable's value at every step of one run.
struct Recorder {
    steps: Vec<Vec<f64>>,
    saved: Vec<usize>,
    times: Vec<f64>,
    count: usize,
}

impl Observer<1> for Recorder {
    const EVERY_STEP: bool = true;

    fn observe(&mut self, point: &Point<'_, 1>) {
        let values = (0..self.count).map(|index| point.get(VarId(index as u32))[0]).collect();
        if point.saved.is_some() {
            self.saved.push(self.steps.len());
        }
        self.steps.push(values);
        self.times.push(point.time);
    }
}

/// Runs the model and scores its loops.
pub fn analyze(model: &ResolvedModel, options: &Options) -> Result<Analysis, LoopsError> {
    let compiled = fulcrum_sim::compile(model)?;
    analyze_run(model, &compiled, |_| Ok(()), options)
}

/// Scores the loops of one run of `compiled`, which must be compiled from `model`; `setup`
/// prepares the run (constants set from the start or part-way, as an experiment's intervention
/// sets them). Equations are evaluated with the run's own values, constants included.
pub fn analyze_run(
    model: &ResolvedModel,
    compiled: &CompiledModel,
    setup: impl FnOnce(&mut Batch<'_, 1>) -> Result<(), SimError>,
    options: &Options,
) -> Result<Analysis, LoopsError> {
    if compiled.time_is_computed() {
        return Err(LoopsError::ComputedTime);
    }
    let count = model.variables.len();
    let same_variables = compiled.variable_count() == count
        && model
            .variables
            .iter()
            .enumerate()
            .all(|(index, variable)| compiled.name(VarId(index as u32)) == variable.name);
    if !same_variables {
        return Err(LoopsError::OtherModel);
    }
    let valueless =
        |id: usize| matches!(model.variables[id].kind, ResolvedKind::GraphicalFunction(_) | ResolvedKind::Undefined);
    let mut recorder = Recorder { steps: Vec::new(), saved: Vec::new(), times: Vec::new(), count };
    let mut batch = Batch::<1>::new(compiled);
    setup(&mut batch)?;
    batch.run(&mut recorder);
    if let Some(error) = batch.lane_error(0) {
        return Err(error.into());
    }
    for values in &mut recorder.steps {
        for (id, value) in values.iter_mut().enumerate() {
            if valueless(id) {
                *value = f64::NAN;
            }
        }
    }
    let links = causal_links(model);
    let scorer = LinkScorer { model, links: &links, steps: &recorder.steps, times: &recorder.times };
    let (found, discovery) = discover::find_loops(model, &scorer, options)?;
    if found.is_empty() {
        return Err(LoopsError::NoLoops);
    }
    // Scores at every step, then the relative scores over all the loops found.
    let step_count = recorder.steps.len();
    let mut scores = vec![vec![0.0; step_count]; found.len()];
    // Loops share links: each link is scored once per step.
    let mut cache: Vec<Option<f64>> = vec![None; links.len()];
    for step in 1..step_count {
        cache.fill(None);
        for (cycle, series) in found.iter().zip(scores.iter_mut()) {
            let mut link_scores = Vec::with_capacity(cycle.links.len());
            for &link in &cycle.links {
                let score = match cache[link] {
                    Some(score) => score,
                    None => {
                        let score = scorer.score(link, step)?;
                        cache[link] = Some(score);
                        score
                    }
                };
                link_scores.push(score);
                if score == 0.0 {
                    break;
                }
            }
            series[step] = score::loop_score(link_scores);
        }
    }
    let mut relative = vec![vec![0.0; step_count]; found.len()];
    for step in 0..step_count {
        let at_step: Vec<f64> = scores.iter().map(|series| series[step]).collect();
        for (index, share) in score::relative_scores(&at_step).into_iter().enumerate() {
            relative[index][step] = share;
        }
    }
    let saved = &recorder.saved;
    let times: Vec<f64> = saved.iter().map(|&step| recorder.times[step]).collect();
    let mut loops: Vec<ScoredLoop> = found
        .iter()
        .enumerate()
        .map(|(index, cycle)| {
            let relative: Vec<f64> = saved.iter().map(|&step| relative[index][step]).collect();
            let mean_share = relative.iter().map(|r| r.abs()).sum::<f64>() / relative.len().max(1) as f64;
            ScoredLoop {
                id: String::new(),
                polarity: cycle.polarity,
                variables: loop_names(model, &cycle.nodes),
                score: saved.iter().map(|&step| scores[index][step]).collect(),
                acted: Acted::of(&relative),
                relative,
                mean_share,
            }
        })
        .collect();
    loops.sort_by(|a, b| b.mean_share.total_cmp(&a.mean_share).then_with(|| a.variables.len().cmp(&b.variables.len())));
    let mut counters = [0usize; 3];
    for scored in &mut loops {
        let slot = polarity_slot(scored.polarity);
        counters[slot] += 1;
        scored.id = format!("{}{}", scored.polarity.letter(), counters[slot]);
    }
    Ok(Analysis { times, loops, discovery })
}

/// The names along a loop: a model variable's own name (an element's with its subscript), and
/// for a hidden variable the name of the variable that made it, said once.
fn loop_names(model: &ResolvedModel, nodes: &[VarId]) -> Vec<String> {
    let mut names: Vec<String> = Vec::new();
    for &node in nodes {
        let variable = &model.variables[node.index()];
        let name =
            if variable.is_user() { variable.name.clone() } else { model.definitions[variable.definition].clone() };
        if names.last() != Some(&name) {
            names.push(name);
        }
    }
    if names.len() > 1 && names.first() == names.last() {
        names.pop();
    }
    names
}

/// Scores the links of a run.
pub(crate) struct LinkScorer<'a> {
    model: &'a ResolvedModel,
    links: &'a [CausalLink],
    steps: &'a [Vec<f64>],
    times: &'a [f64],
}

impl LinkScorer<'_> {
    pub(crate) fn links(&self) -> &[CausalLink] {
        self.links
    }

    pub(crate) fn step_count(&self) -> usize {
        self.steps.len()
    }

    /// The score of link `index` over the interval that ends at `step` (at least 1).
    pub(crate) fn score(&self, index: usize, step: usize) -> Result<f64, LoopsError> {
        let link = self.links[index];
        let (before, now) = (&self.steps[step - 1], &self.steps[step]);
        let (from, to) = (link.from.index(), link.to.index());
        let variable = &self.model.variables[to];
        match &variable.kind {
            ResolvedKind::Stock { inflows, outflows, .. } => {
                let net = |values: &[f64]| {
                    inflows.iter().map(|f| values[f.index()]).sum::<f64>()
                        - outflows.iter().map(|f| values[f.index()]).sum::<f64>()
                };
                Ok(score::flow_to_stock_score(
                    before[from],
                    now[from],
                    net(before),
                    net(now),
                    inflows.contains(&link.from),
                ))
            }
            ResolvedKind::Auxiliary(equation) | ResolvedKind::Flow { equation, .. } => {
                let change_x = now[from] - before[from];
                let change_z = now[to] - before[to];
                if change_x == 0.0 || change_z == 0.0 {
                    return Ok(0.0);
                }
                let clamp = matches!(variable.kind, ResolvedKind::Flow { non_negative: true, .. });
                let evaluate = |replaced: f64| {
                    let inputs = evaluate::Inputs {
                        model: self.model,
                        time: self.times[step],
                        values: now,
                        initial: &self.steps[0],
                        replaced: (link.from, replaced),
                    };
                    evaluate::evaluate(equation, &inputs)
                        .map(|value| if clamp { value.max(0.0) } else { value })
                        .map_err(|construct| LoopsError::Unsupported { variable: variable.name.clone(), construct })
                };
                let partial = evaluate(now[from])? - evaluate(before[from])?;
                Ok(score::link_score(change_x, change_z, partial))
            }
            _ => Ok(0.0),
        }
    }
}

/// The periods of dominance: at each saved time the smallest set of loops whose relative scores'
/// magnitudes add up to at least one half, consecutive times with the same set merged.
pub fn dominance_periods(analysis: &Analysis) -> Vec<DominancePeriod> {
    let mut periods: Vec<DominancePeriod> = Vec::new();
    for (at, &time) in analysis.times.iter().enumerate() {
        let mut order: Vec<usize> = (0..analysis.loops.len()).collect();
        order.sort_by(|&a, &b| analysis.loops[b].relative[at].abs().total_cmp(&analysis.loops[a].relative[at].abs()));
        let mut dominant = Vec::new();
        let mut explained = 0.0;
        for index in order {
            let share = analysis.loops[index].relative[at].abs();
            if explained >= 0.5 || share == 0.0 {
                break;
            }
            explained += share;
            dominant.push(index);
        }
        if explained < 0.5 {
            dominant.clear();
        }
        let mut key = dominant.clone();
        key.sort_unstable();
        match periods.last_mut() {
            Some(last)
                if {
                    let mut previous = last.loops.clone();
                    previous.sort_unstable();
                    previous == key
                } =>
            {
                last.end = time
            }
            _ => periods.push(DominancePeriod { start: time, end: time, loops: dominant }),
        }
    }
    periods
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scored(id: &str, relative: Vec<f64>) -> ScoredLoop {
        let polarity = if id.starts_with('R') { LoopPolarity::Reinforcing } else { LoopPolarity::Balancing };
        let acted = Acted::of(&relative);
        ScoredLoop {
            id: id.to_owned(),
            polarity,
            variables: Vec::new(),
            score: Vec::new(),
            relative,
            mean_share: 0.0,
            acted,
        }
    }

    #[test]
    fn a_loop_the_baseline_lacks_takes_the_next_free_number_of_its_polarity() {
        let with = |id: &str, variables: &[&str]| ScoredLoop {
            variables: variables.iter().map(|name| (*name).to_owned()).collect(),
            ..scored(id, vec![0.0])
        };
        let baseline = Analysis {
            times: vec![0.0],
            loops: vec![with("B1", &["A", "B"]), with("R1", &["C", "D", "E"]), with("B2", &["F", "A"])],
            discovery: Discovery::Exhaustive,
        };
        let mut other = Analysis {
            times: vec![0.0],
            // The same cycle seen from another variable, a new balancing loop, and a new
            // reinforcing one.
            loops: vec![
                with("B1", &["G", "H"]),
                with("B2", &["E", "C", "D"]),
                with("R1", &["X", "Y"]),
                with("B3", &["B", "A"]),
            ],
            discovery: Discovery::Exhaustive,
        };
        // ("E", "C", "D") is ("C", "D", "E") rotated; its polarity letter comes from the
        // baseline's id.
        other.loops[1].polarity = LoopPolarity::Reinforcing;
        other.align_ids(&baseline);
        let ids: Vec<&str> = other.loops.iter().map(|scored| scored.id.as_str()).collect();
        assert_eq!(ids, ["B3", "R1", "R2", "B1"]);
    }

    /// A loop both runs have changes by the difference of its shares; a loop only one run has
    /// is at 0 in the other; the most strengthened loop comes first.
    #[test]
    fn changes_from_the_baseline_cover_the_loops_of_both_runs_most_strengthened_first() {
        let with = |id: &str, variables: &[&str], share: f64| ScoredLoop {
            variables: variables.iter().map(|name| (*name).to_owned()).collect(),
            mean_share: share,
            ..scored(id, vec![0.0])
        };
        let baseline = Analysis {
            times: vec![0.0],
            loops: vec![with("B1", &["A", "B"], 0.6), with("R1", &["C", "D"], 0.3), with("B2", &["E", "F"], 0.1)],
            discovery: Discovery::Exhaustive,
        };
        // B1 weakens, R1 strengthens, B2 is gone and a new balancing loop appears.
        let other = Analysis {
            times: vec![0.0],
            loops: vec![with("R1", &["D", "C"], 0.5), with("B1", &["B", "A"], 0.4), with("B9", &["G", "H"], 0.1)],
            discovery: Discovery::Exhaustive,
        };
        let changes: Vec<(String, f64, f64)> = other
            .changes_from(&baseline)
            .iter()
            .map(|change| (change.scored.id.clone(), change.baseline_share, change.share))
            .collect();
        let expected = [("R1", 0.3, 0.5), ("B3", 0.0, 0.1), ("B2", 0.1, 0.0), ("B1", 0.6, 0.4)];
        let expected: Vec<(String, f64, f64)> = expected.iter().map(|(id, a, b)| ((*id).to_owned(), *a, *b)).collect();
        assert_eq!(changes, expected);
    }

    #[test]
    fn a_loop_acts_by_the_signs_of_its_scores() {
        assert_eq!(Acted::of(&[0.0, 0.2, 0.5]), Acted::Reinforcing);
        assert_eq!(Acted::of(&[0.0, -0.2, 0.0]), Acted::Balancing);
        assert_eq!(Acted::of(&[0.1, -0.2]), Acted::Both);
        assert_eq!(Acted::of(&[0.0, 0.0]), Acted::Inactive);
    }

    #[test]
    fn the_fewest_loops_explaining_half_dominate_and_equal_sets_merge() {
        let analysis = Analysis {
            times: vec![0.0, 1.0, 2.0, 3.0, 4.0],
            loops: vec![
                scored("R1", vec![0.0, 0.6, 0.4, 0.2, 0.45]),
                scored("B1", vec![0.0, -0.3, -0.35, -0.3, -0.1]),
                scored("B2", vec![0.0, -0.1, -0.25, -0.5, -0.45]),
            ],
            discovery: Discovery::Exhaustive,
        };
        let periods = dominance_periods(&analysis);
        let expected = [
            DominancePeriod { start: 0.0, end: 0.0, loops: vec![] },
            DominancePeriod { start: 1.0, end: 1.0, loops: vec![0] },
            DominancePeriod { start: 2.0, end: 2.0, loops: vec![0, 1] },
            DominancePeriod { start: 3.0, end: 3.0, loops: vec![2] },
            // 0.45 alone is short of a half: the two largest, in either order, for the rest.
            DominancePeriod { start: 4.0, end: 4.0, loops: vec![0, 2] },
        ];
        assert_eq!(periods, expected);

        let steady = Analysis {
            times: vec![0.0, 1.0, 2.0],
            loops: vec![scored("R1", vec![0.7, 0.8, 0.2]), scored("B1", vec![-0.3, -0.2, -0.8])],
            discovery: Discovery::Exhaustive,
        };
        let periods = dominance_periods(&steady);
        assert_eq!(
            periods,
            [
                DominancePeriod { start: 0.0, end: 1.0, loops: vec![0] },
                DominancePeriod { start: 2.0, end: 2.0, loops: vec![1] }
            ]
        );
    }
}
