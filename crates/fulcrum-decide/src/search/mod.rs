//! Many-objective search over decision variables: NSGA-II (Deb et al. 2002) with constrained
//! domination, an archive of every non-dominated feasible candidate seen, and the archive's
//! hypervolume after each generation.
//!
//! The algorithm works on plain numbers. A [`Space`] lists the genes (real, integer or on/off);
//! the caller evaluates a whole generation at once — every objective to minimize and how far the
//! candidate breaks its constraint ([`Evaluated`]) — so a model can run the generation's
//! candidates × futures as one parallel sweep. All randomness comes from ChaCha8 streams of the
//! seed, one stream per generation, drawn on the calling thread: the result depends on the seed
//! and the evaluations only, never on how many threads evaluated them.
//!
//! ```text
//! let space = Space::new(vec![Gene::Real { min: 0.0, max: 1.0 }; 30]);
//! let result = search(&space, &Options::new(100, 250, 7), |candidates| Ok::<_, Infallible>(
//!     candidates.iter().map(|genes| Evaluated::feasible(zdt1(genes))).collect()))?;
//! result.archive   // the non-dominated feasible candidates
//! result.convergence   // generation, evaluations, hypervolume, archive size
//! ```
//!
//! [`model`] binds the genes to an experiment's levers and interventions and the objectives to
//! its outcomes summarized over futures; [`problems`] are the standard test problems (ZDT, DTLZ)
//! the algorithm is checked against.

pub mod hypervolume;
pub mod model;
pub mod problems;

use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};

pub use hypervolume::{exact_hypervolume, hypervolume};

/// One decision variable.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Gene {
    /// A real number in `[min, max]`.
    Real {
        /// The lowest value.
        min: f64,
        /// The highest value.
        max: f64,
    },
    /// A whole number in `[min, max]`, carried as an `f64` with no fraction.
    Integer {
        /// The lowest value.
        min: f64,
        /// The highest value.
        max: f64,
    },
    /// Off (0) or on (1).
    Switch,
}

impl Gene {
    pub(crate) fn bounds(self) -> (f64, f64) {
        match self {
            Gene::Real { min, max } | Gene::Integer { min, max } => (min, max),
            Gene::Switch => (0.0, 1.0),
        }
    }

    /// Brings a value into the gene's range and onto its lattice.
    fn repair(self, value: f64) -> f64 {
        let (min, max) = self.bounds();
        let value = if value.is_nan() { min } else { value.clamp(min, max) };
        match self {
            Gene::Real { .. } => value,
            Gene::Integer { .. } => value.round().clamp(min.ceil(), max.floor()),
            Gene::Switch => {
                if value >= 0.5 {
                    1.0
                } else {
                    0.0
                }
            }
        }
    }
}

/// The decision variables of a search.
#[derive(Clone, Debug, PartialEq)]
pub struct Space {
    /// One gene per decision variable, in candidate order.
    pub genes: Vec<Gene>,
}

impl Space {
    /// A space of these genes.
    pub fn new(genes: Vec<Gene>) -> Space {
        Space { genes }
    }
}

/// What evaluating one candidate gave.
#[derive(Clone, Debug, PartialEq)]
pub struct Evaluated {
    /// Every objective, to minimize. A NaN objective makes the candidate infeasible.
    pub objectives: Vec<f64>,
    /// How far the candidate breaks its constraint; 0 for a feasible candidate.
    pub violation: f64,
}

impl Evaluated {
    /// A candidate that meets its constraint.
    pub fn feasible(objectives: Vec<f64>) -> Evaluated {
        Evaluated { objectives, violation: 0.0 }
    }
}

/// One evaluated candidate.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    /// The decision variables.
    pub genes: Vec<f64>,
    /// The objectives, to minimize.
    pub objectives: Vec<f64>,
    /// The constraint violation (0 when feasible; infinity for a NaN objective).
    pub violation: f64,
}

impl Candidate {
    /// True when the candidate meets its constraint and every objective is a number.
    pub fn is_feasible(&self) -> bool {
        self.violation == 0.0
    }

    /// Constrained domination (Deb 2000): a feasible candidate beats an infeasible one, of two
    /// infeasible candidates the smaller violation wins, and two feasible candidates compare by
    /// Pareto dominance.
    pub fn dominates(&self, other: &Candidate) -> bool {
        match (self.is_feasible(), other.is_feasible()) {
            (true, false) => true,
            (false, true) => false,
            (false, false) => self.violation < other.violation,
            (true, true) => pareto_dominates(&self.objectives, &other.objectives),
        }
    }
}

/// True when `a` is no worse than `b` in every objective and better in one (minimizing).
pub fn pareto_dominates(a: &[f64], b: &[f64]) -> bool {
    let mut better = false;
    for (x, y) in a.iter().zip(b) {
        if x > y {
            return false;
        }
        if x < y {
            better = true;
        }
    }
    better
}

/// The knobs of a search.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// Candidates per generation (rounded up to an even number, at least 4).
    pub population: usize,
    /// Generations after the first; the search evaluates `population × (generations + 1)`
    /// candidates.
    pub generations: usize,
    /// The seed of every random choice.
    pub seed: u64,
    /// The chance that a pair of parents is crossed (SBX) rather than copied.
    pub crossover_probability: f64,
    /// SBX distribution index: larger keeps children nearer their parents.
    pub crossover_eta: f64,
    /// Polynomial-mutation distribution index.
    pub mutation_eta: f64,
    /// The chance that each gene mutates; `None` for 1 / gene count.
    pub mutation_probability: Option<f64>,
    /// The hypervolume reference point; `None` takes the first generation's worst feasible value
    /// of each objective plus a tenth of its range.
    pub reference: Option<Vec<f64>>,
    /// Candidates of the first generation placed before the random ones (repaired onto their
    /// genes), such as the baseline policy.
    pub initial: Vec<Vec<f64>>,
}

impl Options {
    /// The usual settings: crossover 0.9 with index 15, mutation 1/n with index 20.
    pub fn new(population: usize, generations: usize, seed: u64) -> Options {
        Options {
            population,
            generations,
            seed,
            crossover_probability: 0.9,
            crossover_eta: 15.0,
            mutation_eta: 20.0,
            mutation_probability: None,
            reference: None,
            initial: Vec::new(),
        }
    }
}

/// The state after one generation.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Progress {
    /// 0 for the first (random) generation.
    pub generation: usize,
    /// Candidates evaluated so far.
    pub evaluations: u64,
    /// The archive's hypervolume against the reference point.
    pub hypervolume: f64,
    /// Non-dominated feasible candidates so far.
    pub archive_size: usize,
}

/// What a search found.
#[derive(Clone, Debug, PartialEq)]
pub struct Found {
    /// Every non-dominated feasible candidate seen, sorted by the objectives in order.
    pub archive: Vec<Candidate>,
    /// The final population.
    pub population: Vec<Candidate>,
    /// One line per generation.
    pub convergence: Vec<Progress>,
    /// The hypervolume reference point used (empty when no candidate was ever feasible).
    pub reference: Vec<f64>,
    /// The least violation any candidate reached (0 when some candidate is feasible).
    pub least_violation: f64,
}

/// Where a search stands after a generation: everything it needs to go on (each generation
/// draws from its own stream of the seed, so no random state is kept). [`search_from`] hands one
/// to its caller after every generation and takes one back to resume.
#[derive(Clone, Debug, PartialEq)]
pub struct Checkpoint {
    /// The generation just finished (0 for the first, random one).
    pub generation: usize,
    /// Candidates evaluated so far.
    pub evaluations: u64,
    /// The current population, in order.
    pub population: Vec<Candidate>,
    /// Every non-dominated feasible candidate seen, in the order found.
    pub archive: Vec<Candidate>,
    /// One line per generation so far.
    pub convergence: Vec<Progress>,
    /// The hypervolume reference point (empty while no candidate was ever feasible).
    pub reference: Vec<f64>,
    /// The least violation any candidate reached so far.
    pub least_violation: f64,
}

/// Runs NSGA-II on `space`. `evaluate` gets each generation's candidates and returns one
/// [`Evaluated`] per candidate, in order; its error stops the search.
pub fn search<E>(
    space: &Space,
    options: &Options,
    evaluate: impl FnMut(&[Vec<f64>]) -> Result<Vec<Evaluated>, E>,
) -> Result<Found, E> {
    search_from(space, options, None, evaluate, |_| Ok(()))
}

/// [`search`], resumable: it starts from `resume` (a [`Checkpoint`] an earlier search with the
/// same space and options handed out) when given, and hands `checkpoint` the state after every
/// generation, whose error stops the search. A resumed search finds exactly what an
/// uninterrupted one finds.
pub fn search_from<E>(
    space: &Space,
    options: &Options,
    resume: Option<Checkpoint>,
    mut evaluate: impl FnMut(&[Vec<f64>]) -> Result<Vec<Evaluated>, E>,
    mut checkpoint: impl FnMut(&Checkpoint) -> Result<(), E>,
) -> Result<Found, E> {
    let population_size = options.population.max(4).div_ceil(2) * 2;
    let mut state = match resume {
        Some(state) => state,
        None => {
            let state = first_generation(space, options, population_size, &mut evaluate)?;
            checkpoint(&state)?;
            state
        }
    };
    let mut archive = Archive { members: std::mem::take(&mut state.archive) };
    // The ranking is a function of the population, so a resumed search ranks it afresh.
    let mut ranking = rank(&state.population);
    for generation in state.generation + 1..=options.generations {
        let mut rng = generation_rng(options.seed, generation as u64);
        let children = offspring(space, options, &state.population, &ranking, &mut rng);
        let children = evaluated(children, &mut evaluate)?;
        state.evaluations += children.len() as u64;
        archive.add_all(&children);
        state.least_violation =
            children.iter().map(|candidate| candidate.violation).fold(state.least_violation, f64::min);
        let mut population = std::mem::take(&mut state.population);
        population.extend(children);
        let (survivors, survivor_ranking) = survive(population, population_size);
        state.population = survivors;
        ranking = survivor_ranking;
        state.convergence.push(archive.progress(generation, state.evaluations, &state.reference));
        state.generation = generation;
        state.archive = std::mem::take(&mut archive.members);
        let handed = checkpoint(&state);
        archive.members = std::mem::take(&mut state.archive);
        handed?;
    }
    let mut archive = archive.members;
    archive.sort_by(|a, b| compare_slices(&a.objectives, &b.objectives).then(compare_slices(&a.genes, &b.genes)));
    let Checkpoint { population, convergence, reference, least_violation, .. } = state;
    Ok(Found { archive, population, convergence, reference, least_violation })
}

/// The first generation: the initial candidates, then random ones, evaluated.
fn first_generation<E>(
    space: &Space,
    options: &Options,
    population_size: usize,
    evaluate: &mut impl FnMut(&[Vec<f64>]) -> Result<Vec<Evaluated>, E>,
) -> Result<Checkpoint, E> {
    let mut rng = generation_rng(options.seed, 0);
    let mut genomes: Vec<Vec<f64>> = options
        .initial
        .iter()
        .take(population_size)
        .map(|genes| space.genes.iter().zip(genes).map(|(gene, value)| gene.repair(*value)).collect())
        .collect();
    while genomes.len() < population_size {
        genomes.push(space.genes.iter().map(|gene| random_value(*gene, &mut rng)).collect());
    }
    let population = evaluated(genomes, evaluate)?;
    let evaluations = population.len() as u64;
    let reference = options.reference.clone().unwrap_or_else(|| default_reference(&population));
    let mut archive = Archive::default();
    archive.add_all(&population);
    let least_violation = population.iter().map(|candidate| candidate.violation).fold(f64::INFINITY, f64::min);
    let convergence = vec![archive.progress(0, evaluations, &reference)];
    Ok(Checkpoint {
        generation: 0,
        evaluations,
        population,
        archive: archive.members,
        convergence,
        reference,
        least_violation,
    })
}

fn compare_slices(a: &[f64], b: &[f64]) -> std::cmp::Ordering {
    a.iter().zip(b).map(|(x, y)| x.total_cmp(y)).find(|order| order.is_ne()).unwrap_or(std::cmp::Ordering::Equal)
}

/// The stream of generation `generation`: its own ChaCha8 stream of the seed, so generation g's
/// choices do not depend on how many numbers earlier generations drew.
fn generation_rng(seed: u64, generation: u64) -> ChaCha8Rng {
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    rng.set_stream(generation);
    rng
}

fn random_value(gene: Gene, rng: &mut ChaCha8Rng) -> f64 {
    let (min, max) = gene.bounds();
    match gene {
        Gene::Real { .. } => min + rng.random::<f64>() * (max - min),
        // Uniform over the whole numbers: widen by a half on each side, then round.
        Gene::Integer { .. } => gene.repair(min.ceil() - 0.5 + rng.random::<f64>() * (max.floor() - min.ceil() + 1.0)),
        Gene::Switch => f64::from(u8::from(rng.random::<bool>())),
    }
}

fn evaluated<E>(
    genomes: Vec<Vec<f64>>,
    evaluate: &mut impl FnMut(&[Vec<f64>]) -> Result<Vec<Evaluated>, E>,
) -> Result<Vec<Candidate>, E> {
    let results = evaluate(&genomes)?;
    Ok(genomes
        .into_iter()
        .enumerate()
        .map(|(index, genes)| {
            let result = results.get(index);
            let objectives = result.map(|result| result.objectives.clone()).unwrap_or_default();
            let violation = match result {
                // A missing or NaN result can never be chosen over a real one.
                Some(result) if !objectives.iter().any(|value| value.is_nan()) && !result.violation.is_nan() => {
                    result.violation.max(0.0)
                }
                _ => f64::INFINITY,
            };
            Candidate { genes, objectives, violation }
        })
        .collect())
}

fn default_reference(population: &[Candidate]) -> Vec<f64> {
    let feasible: Vec<&Candidate> = population.iter().filter(|candidate| candidate.is_feasible()).collect();
    let Some(first) = feasible.first() else {
        return Vec::new();
    };
    (0..first.objectives.len())
        .map(|objective| {
            let values = feasible.iter().map(|candidate| candidate.objectives[objective]);
            let (low, high) =
                values.fold((f64::INFINITY, f64::NEG_INFINITY), |(low, high), value| (low.min(value), high.max(value)));
            let margin = (high - low).max(high.abs() * 1e-3).max(1e-9) * 0.1;
            high + margin
        })
        .collect()
}

/// Every non-dominated feasible candidate seen, in the order found.
#[derive(Default)]
struct Archive {
    members: Vec<Candidate>,
}

impl Archive {
    fn add_all(&mut self, candidates: &[Candidate]) {
        for candidate in candidates.iter().filter(|candidate| candidate.is_feasible()) {
            // One pass: stop at a member that covers the candidate, mark the members it dominates.
            let mut dominated = Vec::new();
            let mut covered = false;
            for (index, member) in self.members.iter().enumerate() {
                let (mut member_better, mut candidate_better) = (false, false);
                for (m, c) in member.objectives.iter().zip(&candidate.objectives) {
                    member_better |= m < c;
                    candidate_better |= c < m;
                }
                if !candidate_better {
                    covered = true;
                    break;
                }
                if !member_better {
                    dominated.push(index);
                }
            }
            if covered {
                continue;
            }
            if !dominated.is_empty() {
                let mut position = 0;
                self.members.retain(|_| {
                    let keep = dominated.binary_search(&position).is_err();
                    position += 1;
                    keep
                });
            }
            self.members.push(candidate.clone());
        }
    }

    fn progress(&self, generation: usize, evaluations: u64, reference: &[f64]) -> Progress {
        let points: Vec<Vec<f64>> = self.members.iter().map(|member| member.objectives.clone()).collect();
        let volume = if reference.is_empty() { 0.0 } else { hypervolume(&points, reference) };
        Progress { generation, evaluations, hypervolume: volume, archive_size: self.members.len() }
    }
}

/// Each candidate's front (0 = non-dominated) and crowding distance within its front.
#[derive(Clone, Debug, Default)]
struct Ranking {
    front: Vec<usize>,
    crowding: Vec<f64>,
}

/// Fast non-dominated sorting: the fronts, each a list of candidate indices in index order.
fn fronts(candidates: &[Candidate]) -> Vec<Vec<usize>> {
    let count = candidates.len();
    let mut dominated_by_count = vec![0usize; count];
    let mut dominates: Vec<Vec<usize>> = vec![Vec::new(); count];
    for a in 0..count {
        for b in a + 1..count {
            if candidates[a].dominates(&candidates[b]) {
                dominates[a].push(b);
                dominated_by_count[b] += 1;
            } else if candidates[b].dominates(&candidates[a]) {
                dominates[b].push(a);
                dominated_by_count[a] += 1;
            }
        }
    }
    let mut fronts = Vec::new();
    let mut current: Vec<usize> = (0..count).filter(|&index| dominated_by_count[index] == 0).collect();
    while !current.is_empty() {
        let mut next = Vec::new();
        for &index in &current {
            for &other in &dominates[index] {
                dominated_by_count[other] -= 1;
                if dominated_by_count[other] == 0 {
                    next.push(other);
                }
            }
        }
        next.sort_unstable();
        fronts.push(current);
        current = next;
    }
    fronts
}

/// Crowding distances of one front's members (by index into `candidates`).
fn crowding(candidates: &[Candidate], front: &[usize]) -> Vec<f64> {
    let mut distance = vec![0.0; front.len()];
    if front.len() <= 2 {
        return vec![f64::INFINITY; front.len()];
    }
    let objectives = candidates[front[0]].objectives.len();
    for objective in 0..objectives {
        let mut order: Vec<usize> = (0..front.len()).collect();
        order.sort_by(|&a, &b| {
            candidates[front[a]].objectives[objective]
                .total_cmp(&candidates[front[b]].objectives[objective])
                .then(a.cmp(&b))
        });
        let value = |position: usize| candidates[front[order[position]]].objectives[objective];
        let (low, high) = (value(0), value(order.len() - 1));
        distance[order[0]] = f64::INFINITY;
        distance[order[order.len() - 1]] = f64::INFINITY;
        let range = high - low;
        if range.is_nan() || range <= 0.0 || range.is_infinite() {
            continue;
        }
        for position in 1..order.len() - 1 {
            distance[order[position]] += (value(position + 1) - value(position - 1)) / range;
        }
    }
    distance
}

fn rank(candidates: &[Candidate]) -> Ranking {
    let mut ranking = Ranking { front: vec![0; candidates.len()], crowding: vec![0.0; candidates.len()] };
    for (level, front) in fronts(candidates).iter().enumerate() {
        for (&index, distance) in front.iter().zip(crowding(candidates, front)) {
            ranking.front[index] = level;
            ranking.crowding[index] = distance;
        }
    }
    ranking
}

/// Keeps the best `size` of parents and children: whole fronts, then the least crowded of the
/// front that does not fit.
fn survive(candidates: Vec<Candidate>, size: usize) -> (Vec<Candidate>, Ranking) {
    let mut chosen: Vec<usize> = Vec::with_capacity(size);
    for front in fronts(&candidates) {
        if chosen.len() + front.len() <= size {
            chosen.extend(front);
        } else {
            let distance = crowding(&candidates, &front);
            let mut order: Vec<usize> = (0..front.len()).collect();
            order.sort_by(|&a, &b| distance[b].total_cmp(&distance[a]).then(a.cmp(&b)));
            chosen.extend(order.into_iter().take(size - chosen.len()).map(|position| front[position]));
        }
        if chosen.len() >= size {
            break;
        }
    }
    chosen.sort_unstable();
    let mut slots: Vec<Option<Candidate>> = candidates.into_iter().map(Some).collect();
    let survivors: Vec<Candidate> = chosen.iter().filter_map(|&index| slots[index].take()).collect();
    let ranking = rank(&survivors);
    (survivors, ranking)
}

/// Binary tournament: the lower front wins, then the larger crowding distance, then a coin.
fn tournament(ranking: &Ranking, rng: &mut ChaCha8Rng) -> usize {
    let count = ranking.front.len();
    let a = rng.random_range(0..count);
    let b = rng.random_range(0..count);
    match ranking.front[a].cmp(&ranking.front[b]) {
        std::cmp::Ordering::Less => a,
        std::cmp::Ordering::Greater => b,
        std::cmp::Ordering::Equal => match ranking.crowding[a].total_cmp(&ranking.crowding[b]) {
            std::cmp::Ordering::Greater => a,
            std::cmp::Ordering::Less => b,
            std::cmp::Ordering::Equal => {
                if rng.random::<bool>() {
                    a
                } else {
                    b
                }
            }
        },
    }
}

fn offspring(
    space: &Space,
    options: &Options,
    population: &[Candidate],
    ranking: &Ranking,
    rng: &mut ChaCha8Rng,
) -> Vec<Vec<f64>> {
    let mutation_probability = options.mutation_probability.unwrap_or(1.0 / space.genes.len().max(1) as f64);
    let mut children = Vec::with_capacity(population.len());
    while children.len() < population.len() {
        let first = &population[tournament(ranking, rng)].genes;
        let second = &population[tournament(ranking, rng)].genes;
        let (mut a, mut b) = (first.clone(), second.clone());
        if rng.random::<f64>() < options.crossover_probability {
            for (index, gene) in space.genes.iter().enumerate() {
                if rng.random::<f64>() >= 0.5 {
                    continue;
                }
                match gene {
                    Gene::Switch => std::mem::swap(&mut a[index], &mut b[index]),
                    Gene::Real { .. } | Gene::Integer { .. } => {
                        let (x, y) = sbx(*gene, a[index], b[index], options.crossover_eta, rng);
                        a[index] = x;
                        b[index] = y;
                    }
                }
            }
        }
        for child in [&mut a, &mut b] {
            for (index, gene) in space.genes.iter().enumerate() {
                if rng.random::<f64>() < mutation_probability {
                    child[index] = match gene {
                        Gene::Switch => 1.0 - child[index],
                        _ => polynomial_mutation(*gene, child[index], options.mutation_eta, rng),
                    };
                }
            }
        }
        children.push(a);
        if children.len() < population.len() {
            children.push(b);
        }
    }
    children
}

/// Simulated binary crossover of one gene with bounds (Deb and Agrawal 1995; the bounded form
/// of Deb's NSGA-II code).
fn sbx(gene: Gene, x1: f64, x2: f64, eta: f64, rng: &mut ChaCha8Rng) -> (f64, f64) {
    let (low, high) = gene.bounds();
    let u = rng.random::<f64>();
    if (x1 - x2).abs() <= 1e-14 || high <= low {
        return (x1, x2);
    }
    let (y1, y2) = if x1 < x2 { (x1, x2) } else { (x2, x1) };
    let spread = |beta: f64| {
        let alpha = 2.0 - beta.powf(-(eta + 1.0));
        if u <= 1.0 / alpha {
            (u * alpha).powf(1.0 / (eta + 1.0))
        } else {
            (1.0 / (2.0 - u * alpha)).powf(1.0 / (eta + 1.0))
        }
    };
    let beta_low = 1.0 + 2.0 * (y1 - low) / (y2 - y1);
    let child_low = 0.5 * ((y1 + y2) - spread(beta_low) * (y2 - y1));
    let beta_high = 1.0 + 2.0 * (high - y2) / (y2 - y1);
    let child_high = 0.5 * ((y1 + y2) + spread(beta_high) * (y2 - y1));
    let (c1, c2) = (gene.repair(child_low), gene.repair(child_high));
    // Which child takes which parent's place is a coin, as in Deb's code.
    if rng.random::<bool>() { (c2, c1) } else { (c1, c2) }
}

/// Polynomial mutation with bounds (Deb and Goyal 1996).
fn polynomial_mutation(gene: Gene, x: f64, eta: f64, rng: &mut ChaCha8Rng) -> f64 {
    let (low, high) = gene.bounds();
    if high <= low {
        return gene.repair(x);
    }
    let width = high - low;
    let (delta1, delta2) = ((x - low) / width, (high - x) / width);
    let u = rng.random::<f64>();
    let power = 1.0 / (eta + 1.0);
    let shift = if u < 0.5 {
        let value = 2.0 * u + (1.0 - 2.0 * u) * (1.0 - delta1).powf(eta + 1.0);
        value.powf(power) - 1.0
    } else {
        let value = 2.0 * (1.0 - u) + 2.0 * (u - 0.5) * (1.0 - delta2).powf(eta + 1.0);
        1.0 - value.powf(power)
    };
    let mutated = gene.repair(x + shift * width);
    // A whole-number gene that rounds back to where it was steps to a neighbour instead.
    if matches!(gene, Gene::Integer { .. }) && mutated == x && shift != 0.0 {
        return gene.repair(x + shift.signum());
    }
    mutated
}

#[cfg(test)]
mod tests;
