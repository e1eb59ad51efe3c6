//! A search over an experiment: its levers (and interventions, as on/off switches) are the
//! genes, the outcomes that declare `better` are the objectives, each summarized over the
//! experiment's futures by its `robustness`, plus the total cost when something has a cost; the
//! `[search]` budget constrains that cost.
//!
//! Every candidate runs in the same futures (common random numbers): the futures are the rows of
//! the experiment's own sample, and a generation's candidates × futures run as one table of runs
//! through [`fulcrum_sensitivity::evaluate::evaluate`], on the current rayon pool, in run order.
//!
//! ```text
//! let problem = Problem::new(&experiment, &plan)?;
//! let found = problem.search(&compiled, &plan, &SearchOptions { population: 40, generations: 20, seed: 1 }, &Silent)?;
//! found.archive   // candidates: genes, objectives (natural units via problem.natural)
//! ```

use fulcrum_explore::experiment::{Experiment, Robustness};
use fulcrum_explore::sweep::{Progress, SweepError};
use fulcrum_explore::{Better, Plan, Setting, Table};
use fulcrum_model::syntax::Span;
use fulcrum_sim::CompiledModel;

use super::{Checkpoint, Evaluated, Found, Gene, Options, Space, search_from};

/// Why a search cannot run.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SearchError {
    /// No outcome says which direction is better: nothing to optimize.
    #[error(
        "no [[outcome]] declares `better`; a search needs at least one objective (add `better = \"higher\"` or `better = \"lower\"` to an outcome)"
    )]
    NoObjective,
    /// Nothing to decide.
    #[error("the experiment has no [[lever]] or [[intervention]] for the search to set")]
    NoDecisions,
    /// A budget that even the cheapest candidate breaks.
    #[error(
        "[search] `budget` = {budget}: no candidate meets it; the cheapest costs {cheapest} (every lever at its cheapest end, no intervention that costs)"
    )]
    BudgetUnmet {
        /// The budget.
        budget: f64,
        /// Where it is written.
        span: Option<Span>,
        /// The least cost any candidate can have.
        cheapest: f64,
    },
    /// A budget, but nothing has a cost.
    #[error("[search] `budget` = {budget}, but no [[lever]] has `cost_per_unit` and no [[intervention]] a `cost`")]
    BudgetWithoutCosts {
        /// The budget.
        budget: f64,
        /// Where it is written.
        span: Option<Span>,
    },
    /// An integer lever with no whole number in its range.
    #[error("[[lever]] `{lever}`: `integer = true`, but no whole number lies between {min} and {max}")]
    NoWholeNumber {
        /// The lever.
        lever: String,
        /// Its range.
        min: f64,
        /// Its range.
        max: f64,
    },
    /// An intervention sets a constant the futures vary.
    #[error(
        "[[intervention]] `{intervention}` sets `{constant}`, which is [[uncertain]]: the futures would not be common"
    )]
    Varied {
        /// The intervention.
        intervention: String,
        /// The constant.
        constant: String,
    },
    /// The runs failed.
    #[error(transparent)]
    Sweep(#[from] SweepError),
    /// The caller could not keep a checkpoint.
    #[error("cannot write the checkpoint {}: {message}", path.display())]
    Checkpoint {
        /// Where it was to go.
        path: std::path::PathBuf,
        /// Why it could not.
        message: String,
    },
}

/// One gene's meaning.
#[derive(Clone, Debug, PartialEq)]
pub enum Decision {
    /// A lever's value.
    Lever {
        /// Its name.
        name: String,
        /// The constant it sets.
        constant: usize,
        /// Its value today: the cost counts from here.
        baseline: f64,
        /// What one unit of change costs (0 when not given).
        cost_per_unit: f64,
    },
    /// An intervention on (1) or off (0).
    Intervention {
        /// Its name.
        name: String,
        /// The values it sets.
        settings: Vec<Setting>,
        /// What it costs when on (0 when not given).
        cost: f64,
    },
}

impl Decision {
    /// The name, a pareto.csv column.
    pub fn name(&self) -> &str {
        match self {
            Decision::Lever { name, .. } | Decision::Intervention { name, .. } => name,
        }
    }
}

/// One objective: an outcome summarized over futures.
#[derive(Clone, Debug, PartialEq)]
pub struct Objective {
    /// The outcome's name, a pareto.csv column.
    pub name: String,
    /// Its position in the plan's outcomes.
    pub outcome: usize,
    /// Which direction is good.
    pub better: Better,
    /// How it is summarized over futures.
    pub robustness: Robustness,
}

impl Objective {
    /// Which direction is good for the summary: a satisficing share is always better higher,
    /// a regret always better lower.
    pub fn summary_better(&self) -> Better {
        match self.robustness {
            Robustness::Satisfice(_) => Better::Higher,
            Robustness::Regret => Better::Lower,
            _ => self.better,
        }
    }

    /// The column header: the outcome's name, with the summary when it is not the mean.
    pub fn column(&self) -> String {
        match self.robustness {
            Robustness::Mean => self.name.clone(),
            other => format!("{} ({other})", self.name),
        }
    }
}

/// An experiment as a search problem.
#[derive(Clone, Debug, PartialEq)]
pub struct Problem {
    /// The genes' meanings, in gene order: levers, then interventions.
    pub decisions: Vec<Decision>,
    /// The genes.
    pub space: Space,
    /// The outcome objectives, in the experiment's order.
    pub objectives: Vec<Objective>,
    /// Whether total cost is an objective (after the outcomes).
    pub cost_objective: bool,
    /// The most a candidate may cost.
    pub budget: Option<f64>,
}

/// The knobs of a search over an experiment.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct SearchOptions {
    /// Candidates per generation.
    pub population: usize,
    /// Generations after the first.
    pub generations: usize,
    /// The seed of the search's choices (the futures use the experiment's seed).
    pub seed: u64,
}

impl Problem {
    /// Binds the experiment's levers, interventions and outcomes. The plan must come from the
    /// same experiment.
    pub fn new(experiment: &Experiment, plan: &Plan) -> Result<Problem, SearchError> {
        let mut decisions = Vec::new();
        let mut genes = Vec::new();
        for lever in &plan.levers {
            let integer = experiment.levers.iter().any(|written| written.name == lever.name && written.integer);
            let gene = if lever.switch {
                Gene::Switch
            } else if integer {
                if lever.min.ceil() > lever.max.floor() {
                    return Err(SearchError::NoWholeNumber {
                        lever: lever.name.clone(),
                        min: lever.min,
                        max: lever.max,
                    });
                }
                Gene::Integer { min: lever.min, max: lever.max }
            } else {
                Gene::Real { min: lever.min, max: lever.max }
            };
            genes.push(gene);
            decisions.push(Decision::Lever {
                name: lever.name.clone(),
                constant: lever.constant,
                baseline: lever.baseline,
                cost_per_unit: lever.cost_per_unit.unwrap_or(0.0),
            });
        }
        for intervention in &plan.interventions {
            if let Some(factor) = plan
                .design
                .factors
                .iter()
                .find(|factor| intervention.settings.iter().any(|setting| setting.constant == factor.constant))
            {
                return Err(SearchError::Varied {
                    intervention: intervention.name.clone(),
                    constant: factor.name.clone(),
                });
            }
            genes.push(Gene::Switch);
            decisions.push(Decision::Intervention {
                name: intervention.name.clone(),
                settings: intervention.settings.clone(),
                cost: intervention.cost.unwrap_or(0.0),
            });
        }
        if decisions.is_empty() {
            return Err(SearchError::NoDecisions);
        }
        let objectives: Vec<Objective> = plan
            .outcomes
            .iter()
            .enumerate()
            .filter_map(|(index, outcome)| {
                let better = outcome.better?;
                let robustness = experiment
                    .outcomes
                    .iter()
                    .find(|written| written.name == outcome.name)
                    .map_or(Robustness::Mean, |written| written.robustness);
                Some(Objective { name: outcome.name.clone(), outcome: index, better, robustness })
            })
            .collect();
        if objectives.is_empty() {
            return Err(SearchError::NoObjective);
        }
        let has_costs = plan.levers.iter().any(|lever| lever.cost_per_unit.is_some_and(|cost| cost != 0.0))
            || plan.interventions.iter().any(|intervention| intervention.cost.is_some_and(|cost| cost != 0.0));
        let budget = experiment.search.budget;
        let problem = Problem {
            decisions,
            space: Space::new(genes),
            objectives,
            cost_objective: has_costs,
            budget: budget.map(|(value, _)| value),
        };
        if let Some((budget, span)) = budget {
            if !has_costs {
                return Err(SearchError::BudgetWithoutCosts { budget, span: Some(span) });
            }
            let cheapest = problem.cheapest();
            if cheapest > budget {
                return Err(SearchError::BudgetUnmet { budget, span: Some(span), cheapest });
            }
        }
        Ok(problem)
    }

    /// What a candidate costs: each lever's `cost_per_unit` times its change from the baseline
    /// (a cut saves), plus the cost of each intervention it switches on.
    pub fn cost(&self, genes: &[f64]) -> f64 {
        let cost: f64 = self
            .decisions
            .iter()
            .zip(genes)
            .map(|(decision, value)| match decision {
                Decision::Lever { baseline, cost_per_unit, .. } => cost_per_unit * (value - baseline),
                Decision::Intervention { cost, .. } => cost * value,
            })
            .sum();
        // A free cut is a cost of 0, not −0.
        cost + 0.0
    }

    /// The least cost any candidate has.
    pub fn cheapest(&self) -> f64 {
        self.decisions
            .iter()
            .zip(&self.space.genes)
            .map(|(decision, gene)| {
                let (low, high) = gene.bounds();
                let (low, high) = match gene {
                    Gene::Integer { .. } => (low.ceil(), high.floor()),
                    _ => (low, high),
                };
                match decision {
                    Decision::Lever { baseline, cost_per_unit, .. } => {
                        (cost_per_unit * (low - baseline)).min(cost_per_unit * (high - baseline))
                    }
                    Decision::Intervention { cost, .. } => cost.min(0.0),
                }
            })
            .sum()
    }

    /// How many objectives the search minimizes: the outcomes, then the cost if any.
    pub fn objective_count(&self) -> usize {
        self.objectives.len() + usize::from(self.cost_objective)
    }

    /// Objective `index` as the search minimizes it back in the outcome's own units (a
    /// higher-is-better summary is negated for the search).
    pub fn natural(&self, index: usize, value: f64) -> f64 {
        match self.objectives.get(index) {
            Some(objective) if objective.summary_better() == Better::Higher => -value,
            _ => value,
        }
    }

    /// The settings a candidate's runs get: every lever's value, then the interventions it
    /// switches on (whose values win over the levers').
    pub fn settings(&self, genes: &[f64]) -> Vec<Setting> {
        let mut settings: Vec<Setting> = self
            .decisions
            .iter()
            .zip(genes)
            .filter_map(|(decision, value)| match decision {
                Decision::Lever { constant, .. } => Some(Setting { constant: *constant, value: *value, from: None }),
                Decision::Intervention { .. } => None,
            })
            .collect();
        for (decision, value) in self.decisions.iter().zip(genes) {
            if let Decision::Intervention { settings: own, .. } = decision
                && *value >= 0.5
            {
                settings.retain(|setting| {
                    !own.iter().any(|other| other.constant == setting.constant && other.from.is_none())
                });
                settings.extend(own.iter().copied());
            }
        }
        settings
    }

    /// Runs the search: `options.population × (options.generations + 1)` candidates, each in
    /// the plan's futures (`plan.design.samples` of them). `progress` advances by runs.
    pub fn search(
        &self,
        model: &CompiledModel,
        plan: &Plan,
        options: &SearchOptions,
        progress: &dyn Progress,
    ) -> Result<Found, SearchError> {
        self.search_from(model, plan, options, None, progress, |_| Ok(()))
    }

    /// [`Problem::search`], resumable: from `resume` (a [`Checkpoint`] of an earlier search of
    /// the same problem, plan and options) when given, handing `checkpoint` the state after
    /// every generation (its error stops the search). A resumed search finds exactly what an
    /// uninterrupted one finds.
    pub fn search_from(
        &self,
        model: &CompiledModel,
        plan: &Plan,
        options: &SearchOptions,
        resume: Option<Checkpoint>,
        progress: &dyn Progress,
        checkpoint: impl FnMut(&Checkpoint) -> Result<(), SearchError>,
    ) -> Result<Found, SearchError> {
        let mut search_options = Options::new(options.population, options.generations, options.seed);
        // The baseline policy is the first candidate.
        search_options.initial = vec![self.baseline()];
        search_from(
            &self.space,
            &search_options,
            resume,
            |candidates| self.evaluate(model, plan, candidates, progress),
            checkpoint,
        )
    }

    /// Evaluates candidates together in the plan's futures (one table of candidates × futures,
    /// run in order): each one's objectives and budget violation. A regret compares the
    /// candidates given with each other.
    pub fn evaluate(
        &self,
        model: &CompiledModel,
        plan: &Plan,
        candidates: &[Vec<f64>],
        progress: &dyn Progress,
    ) -> Result<Vec<Evaluated>, SearchError> {
        let design = &plan.design;
        let futures = design.runs();
        let width = design.factors.len();
        let mut future_rows = vec![0.0; futures as usize * width];
        if width > 0 {
            for (future, row) in future_rows.chunks_exact_mut(width).enumerate() {
                design.row(future as u64, row);
            }
        }
        let streams: Vec<u64> = (0..futures).map(|future| design.future(future)).collect();
        let table = Table {
            constants: design.factors.iter().map(|factor| factor.constant).collect(),
            values: future_rows.repeat(candidates.len()),
            streams: streams.repeat(candidates.len()),
            seed: design.seed,
            options: candidates.iter().map(|genes| self.settings(genes)).collect(),
            option_of: (0..candidates.len() as u32)
                .flat_map(|candidate| std::iter::repeat_n(candidate, futures as usize))
                .collect(),
        };
        let evaluation =
            fulcrum_sensitivity::evaluate::evaluate(model, &table, table.runs(), &[], &plan.outcomes, None, progress)?;
        Ok(self.summarize(candidates, &evaluation.outcomes, plan.outcomes.len(), futures as usize))
    }

    /// The baseline policy: every lever at its baseline, no intervention on.
    pub fn baseline(&self) -> Vec<f64> {
        self.decisions
            .iter()
            .map(|decision| match decision {
                Decision::Lever { baseline, .. } => *baseline,
                Decision::Intervention { .. } => 0.0,
            })
            .collect()
    }

    /// Each candidate's objectives from its runs' outcomes (`outcomes[(candidate × futures +
    /// future) × outcome_count + outcome]`).
    fn summarize(
        &self,
        candidates: &[Vec<f64>],
        outcomes: &[f64],
        outcome_count: usize,
        futures: usize,
    ) -> Vec<Evaluated> {
        let value = |candidate: usize, future: usize, outcome: usize| {
            outcomes.get((candidate * futures + future) * outcome_count + outcome).copied().unwrap_or(f64::NAN)
        };
        // For regret: the best value of each outcome in each future among this generation.
        let best: Vec<Vec<f64>> = self
            .objectives
            .iter()
            .map(|objective| {
                (0..futures)
                    .map(|future| {
                        let values = (0..candidates.len()).map(|candidate| value(candidate, future, objective.outcome));
                        match objective.better {
                            Better::Higher => values.fold(f64::NEG_INFINITY, f64::max),
                            Better::Lower => values.fold(f64::INFINITY, f64::min),
                        }
                    })
                    .collect()
            })
            .collect();
        candidates
            .iter()
            .enumerate()
            .map(|(candidate, genes)| {
                let mut objectives: Vec<f64> = self
                    .objectives
                    .iter()
                    .zip(&best)
                    .map(|(objective, best)| {
                        let values: Vec<f64> =
                            (0..futures).map(|future| value(candidate, future, objective.outcome)).collect();
                        let summary = summary(objective, &values, best);
                        match objective.summary_better() {
                            Better::Higher => -summary,
                            Better::Lower => summary,
                        }
                    })
                    .collect();
                let cost = self.cost(genes);
                if self.cost_objective {
                    objectives.push(cost);
                }
                let violation = self.budget.map_or(0.0, |budget| (cost - budget).max(0.0));
                Evaluated { objectives, violation }
            })
            .collect()
    }
}

/// One outcome's values over futures, summarized; NaN when a run failed.
fn summary(objective: &Objective, values: &[f64], best: &[f64]) -> f64 {
    if values.is_empty() || values.iter().any(|value| value.is_nan()) {
        return f64::NAN;
    }
    match objective.robustness {
        Robustness::Mean => values.iter().sum::<f64>() / values.len() as f64,
        Robustness::P10 => quantile(values, 0.1),
        Robustness::P90 => quantile(values, 0.9),
        Robustness::Regret => values
            .iter()
            .zip(best)
            .map(|(value, best)| match objective.better {
                Better::Higher => best - value,
                Better::Lower => value - best,
            })
            .fold(0.0, f64::max),
        Robustness::Satisfice(threshold) => {
            let met = values
                .iter()
                .filter(|value| match objective.better {
                    Better::Higher => **value >= threshold,
                    Better::Lower => **value <= threshold,
                })
                .count();
            met as f64 / values.len() as f64
        }
    }
}

/// The `q` quantile by linear interpolation between order statistics (type 7, numpy's default).
fn quantile(values: &[f64], q: f64) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let position = q * (sorted.len() - 1) as f64;
    let below = position.floor() as usize;
    let above = position.ceil() as usize;
    let fraction = position - below as f64;
    sorted[below] + (sorted[above] - sorted[below]) * fraction
}

#[cfg(test)]
mod tests {
    use super::*;

    fn objective(better: Better, robustness: Robustness) -> Objective {
        Objective { name: "x".into(), outcome: 0, better, robustness }
    }

    #[test]
    fn summaries_over_futures() {
        let values = [1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0];
        let best = [12.0; 11];
        assert_eq!(summary(&objective(Better::Higher, Robustness::Mean), &values, &best), 6.0);
        assert_eq!(summary(&objective(Better::Higher, Robustness::P10), &values, &best), 2.0);
        assert_eq!(summary(&objective(Better::Higher, Robustness::P90), &values, &best), 10.0);
        assert_eq!(summary(&objective(Better::Higher, Robustness::Regret), &values, &best), 11.0);
        assert_eq!(summary(&objective(Better::Higher, Robustness::Satisfice(9.0)), &values, &best), 3.0 / 11.0);
        assert_eq!(summary(&objective(Better::Lower, Robustness::Satisfice(9.0)), &values, &best), 9.0 / 11.0);
        assert!(summary(&objective(Better::Lower, Robustness::Mean), &[1.0, f64::NAN], &best).is_nan());
    }
}
