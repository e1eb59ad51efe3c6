use std::convert::Infallible;

use super::problems::{
    dtlz2, dtlz2_front_hypervolume, zdt1, zdt1_front_hypervolume, zdt2, zdt2_front_hypervolume, zdt3,
    zdt3_front_hypervolume,
};
use super::{Evaluated, Found, Gene, Options, Space, search};

fn run(genes: usize, problem: fn(&[f64]) -> Vec<f64>, options: &Options) -> Found {
    let space = Space::new(vec![Gene::Real { min: 0.0, max: 1.0 }; genes]);
    let found = search(&space, options, |candidates| {
        Ok::<_, Infallible>(candidates.iter().map(|genes| Evaluated::feasible(problem(genes))).collect())
    });
    match found {
        Ok(found) => found,
        Err(never) => match never {},
    }
}

/// The hypervolume ratio after `generations` generations of 100 (so `100 × (generations + 1)`
/// evaluations), reference `(1.1, 1.1[, 1.1])`.
fn ratio(genes: usize, problem: fn(&[f64]) -> Vec<f64>, objectives: usize, generations: usize, truth: f64) -> f64 {
    let mut options = Options::new(100, generations, 20);
    options.reference = Some(vec![1.1; objectives]);
    let found = run(genes, problem, &options);
    let last = found.convergence.last().map_or(0.0, |progress| progress.hypervolume);
    assert_eq!(found.convergence.len(), generations + 1);
    assert_eq!(found.convergence.last().map(|progress| progress.evaluations), Some(100 * (generations as u64 + 1)));
    last / truth
}

// The documented budgets (ARCHITECTURE.md, "Search"): 20,000 evaluations for the ZDT problems
// and 30,000 for DTLZ2, each reaching 98% of the true front's hypervolume.

#[test]
fn zdt1_reaches_98_percent_of_the_true_hypervolume_in_20000_evaluations() {
    let ratio = ratio(30, zdt1, 2, 199, zdt1_front_hypervolume(1.1));
    assert!(ratio >= 0.98, "hypervolume ratio {ratio}");
}

#[test]
fn zdt2_reaches_98_percent_of_the_true_hypervolume_in_20000_evaluations() {
    let ratio = ratio(30, zdt2, 2, 199, zdt2_front_hypervolume(1.1));
    assert!(ratio >= 0.98, "hypervolume ratio {ratio}");
}

#[test]
fn zdt3_reaches_98_percent_of_the_true_hypervolume_in_20000_evaluations() {
    let truth = zdt3_front_hypervolume(&[1.1, 1.1], 100_001);
    let ratio = ratio(30, zdt3, 2, 199, truth);
    assert!(ratio >= 0.98, "hypervolume ratio {ratio}");
}

#[test]
fn dtlz2_with_three_objectives_reaches_98_percent_of_the_true_hypervolume_in_30000_evaluations() {
    let ratio = ratio(12, |genes| dtlz2(genes, 3), 3, 299, dtlz2_front_hypervolume(1.1));
    assert!(ratio >= 0.98, "hypervolume ratio {ratio}");
}

#[test]
fn the_closed_form_fronts_agree_with_dense_samples() {
    // ZDT1 and ZDT2 sampled like ZDT3: the sample's hypervolume approaches the closed form from below.
    let sample = |front: fn(f64) -> f64| {
        let points: Vec<Vec<f64>> = (0..20_001).map(|i| i as f64 / 20_000.0).map(|f1| vec![f1, front(f1)]).collect();
        super::hypervolume(&points, &[1.1, 1.1])
    };
    let zdt1_sample = sample(|f1| 1.0 - f1.sqrt());
    let zdt2_sample = sample(|f1| 1.0 - f1 * f1);
    assert!(zdt1_sample <= zdt1_front_hypervolume(1.1) && zdt1_front_hypervolume(1.1) - zdt1_sample < 1e-4);
    assert!(zdt2_sample <= zdt2_front_hypervolume(1.1) && zdt2_front_hypervolume(1.1) - zdt2_sample < 1e-4);
    // The problems themselves put their optimal solutions on those curves.
    let optimal = |f1: f64, genes: usize| [vec![f1], vec![0.0; genes - 1]].concat();
    approx::assert_relative_eq!(zdt1(&optimal(0.25, 30))[1], 0.5, epsilon = 1e-12);
    approx::assert_relative_eq!(zdt2(&optimal(0.5, 30))[1], 0.75, epsilon = 1e-12);
    let on_sphere = dtlz2(&[0.3, 0.7, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5, 0.5], 3);
    approx::assert_relative_eq!(on_sphere.iter().map(|f| f * f).sum::<f64>(), 1.0, epsilon = 1e-12);
}

#[test]
fn the_same_seed_gives_the_same_search_and_another_seed_another() {
    let options = Options::new(20, 10, 3);
    let first = run(30, zdt1, &options);
    let again = run(30, zdt1, &options);
    assert_eq!(first, again);
    let other = run(30, zdt1, &Options::new(20, 10, 4));
    assert_ne!(first.archive, other.archive);
}

#[test]
fn whole_number_and_switch_genes_stay_on_their_lattice_and_find_the_optimum() {
    // Minimize (x − 7)² + 3(1 − s) + (y − 0.25)² twice over: one best candidate, x = 7, s = 1.
    let space =
        Space::new(vec![Gene::Integer { min: -3.0, max: 20.0 }, Gene::Switch, Gene::Real { min: 0.0, max: 1.0 }]);
    let mut seen_integers = std::collections::BTreeSet::new();
    let found = search(&space, &Options::new(20, 30, 9), |candidates| {
        Ok::<_, Infallible>(
            candidates
                .iter()
                .map(|genes| {
                    assert_eq!(genes[0].fract(), 0.0, "{genes:?}");
                    assert!(genes[1] == 0.0 || genes[1] == 1.0, "{genes:?}");
                    seen_integers.insert(genes[0] as i64);
                    let value = (genes[0] - 7.0).powi(2) + 3.0 * (1.0 - genes[1]) + (genes[2] - 0.25).powi(2);
                    Evaluated::feasible(vec![value, value])
                })
                .collect(),
        )
    });
    let found = match found {
        Ok(found) => found,
        Err(never) => match never {},
    };
    assert_eq!(found.archive.len(), 1);
    assert_eq!(found.archive[0].genes[..2], [7.0, 1.0]);
    assert!(seen_integers.len() > 10, "the search tried only {seen_integers:?}");
}

#[test]
fn constrained_domination_keeps_only_feasible_candidates_and_reports_the_least_violation() {
    // Two objectives x and 1 − x, with a budget x ≤ 0.3: the archive stays within it.
    let space = Space::new(vec![Gene::Real { min: 0.0, max: 1.0 }]);
    let evaluate = |limit: f64| {
        move |candidates: &[Vec<f64>]| {
            Ok::<_, Infallible>(
                candidates
                    .iter()
                    .map(|genes| Evaluated {
                        objectives: vec![genes[0], 1.0 - genes[0]],
                        violation: (genes[0] - limit).max(0.0),
                    })
                    .collect(),
            )
        }
    };
    let found = match search(&space, &Options::new(20, 20, 1), evaluate(0.3)) {
        Ok(found) => found,
        Err(never) => match never {},
    };
    assert!(!found.archive.is_empty());
    assert!(found.archive.iter().all(|candidate| candidate.genes[0] <= 0.3));
    assert_eq!(found.least_violation, 0.0);
    // A limit below every gene's range: nothing feasible, and the violation that came closest.
    let found = match search(&space, &Options::new(20, 5, 1), evaluate(-0.5)) {
        Ok(found) => found,
        Err(never) => match never {},
    };
    assert!(found.archive.is_empty());
    assert!(found.least_violation >= 0.5 && found.least_violation < 0.6, "{}", found.least_violation);
}

#[test]
fn a_search_stopped_after_any_generation_resumes_to_the_same_result() {
    let space = Space::new(vec![Gene::Real { min: 0.0, max: 1.0 }; 30]);
    let options = Options::new(20, 12, 5);
    let evaluate = |candidates: &[Vec<f64>]| {
        Ok::<_, Option<super::Checkpoint>>(candidates.iter().map(|genes| Evaluated::feasible(zdt1(genes))).collect())
    };
    let straight = match search(&space, &options, evaluate) {
        Ok(found) => found,
        Err(_) => panic!("a search without checkpoints cannot fail"),
    };
    for stop in [0, 1, 5, 11, 12] {
        // The checkpoint of generation `stop` ends the first search, as a kill after it would.
        let stopped = super::search_from(&space, &options, None, evaluate, |state| {
            if state.generation == stop { Err(Some(state.clone())) } else { Ok(()) }
        });
        let state = match stopped {
            Err(Some(state)) => state,
            _ => panic!("the search did not stop after generation {stop}"),
        };
        assert_eq!(state.convergence.len(), stop + 1);
        assert_eq!(state.evaluations, 20 * (stop as u64 + 1));
        let mut handed = Vec::new();
        let resumed = super::search_from(&space, &options, Some(state), evaluate, |state| {
            handed.push(state.generation);
            Ok(())
        });
        let resumed = resumed.unwrap_or_else(|_| panic!("the resumed search failed after generation {stop}"));
        assert_eq!(handed, (stop + 1..=12).collect::<Vec<_>>());
        assert_eq!(resumed, straight, "resumed after generation {stop}");
    }
}
