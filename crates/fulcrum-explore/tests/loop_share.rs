//! A loop's share as an outcome of a sweep, against the hand derivation for logistic growth, and
//! the problems an experiment's `loop_share:` can have.

// Test helpers stop at the first surprise, like the tests themselves.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use fulcrum_explore::sweep::Silent;
use fulcrum_explore::{Experiment, Plan, Sweep, SweepError};
use fulcrum_model::ResolvedModel;
use fulcrum_model::builder::ModelBuilder;
use fulcrum_sim::CompiledModel;

/// Growth `r·S` in, crowding `r·S·S/K` out: two loops on one stock.
fn logistic() -> (ResolvedModel, CompiledModel) {
    let model = ModelBuilder::new(0.0, 60.0, 1.0)
        .stock("S", "10", &["growth"], &["crowding"])
        .flow("growth", "r * S")
        .flow("crowding", "r * S * S / K")
        .constant("r", 0.1)
        .constant("K", 1000.0)
        .build();
    let resolved = fulcrum_model::resolve(&model).expect("resolves");
    let compiled = fulcrum_sim::compile(&resolved).expect("compiles");
    (resolved, compiled)
}

const EXPERIMENT: &str = r#"
model = "logistic.toml"

[sampling]
method = "lhs"
runs = 6
seed = 7

[[uncertain]]
name = "K"
distribution = "uniform"
min = 300
max = 3000

[[intervention]]
name = "faster"
set = { r = 0.25 }

[[outcome]]
statistic = "loop_share:R1"

[[outcome]]
name = "crowding"
statistic = "loop_share:b1"

[[outcome]]
statistic = "dominance_shift"
"#;

fn experiment(text: &str) -> Experiment {
    fulcrum_explore::experiment::read(text).expect("reads").0
}

fn bound_plan(text: &str, resolved: &ResolvedModel, compiled: &CompiledModel) -> Plan {
    let experiment = experiment(text);
    let (mut plan, _) = experiment.plan(compiled).expect("plans");
    plan.bind_loop_shares(&experiment, resolved, compiled).expect("binds");
    plan
}

/// For one stock each loop's relative score is its flow's change over the sum of both flows'
/// changes: growth explains `1 / (1 + (S(t) + S(t − dt)) / K)` of each step, crowding the rest.
/// Their shares are the means over the saved times, the first (nothing has changed yet) a 0.
/// Dominance passes from growth to crowding at the first step where `S(t) + S(t − dt)` passes K.
#[test]
fn each_runs_loop_share_is_the_mean_of_the_hand_derived_relative_scores() {
    let (resolved, compiled) = logistic();
    let plan = bound_plan(EXPERIMENT, &resolved, &compiled);
    assert_eq!(plan.outcomes[0].name, "R1 share");
    let stock = compiled.lookup("S").expect("S");
    for intervention in [None, Some("faster")] {
        let (settings, _) = plan.settings(intervention).expect("settings");
        let sweep = Sweep {
            model: &compiled,
            design: &plan.design,
            settings: &settings,
            outcomes: &plan.outcomes,
            bands: &[],
            bands_per_grid_point: false,
            keep: &[stock],
            runs: 0..6,
            quantiles: None,
        };
        let results = sweep.collect(&Silent).expect("sweeps");
        let saves = 61;
        let mut distinct = Vec::new();
        let mut shifted = 0;
        for run in 0..6 {
            let capacity = results.inputs[run];
            let s = &results.kept[run * saves..(run + 1) * saves];
            let growth: Vec<f64> =
                (0..saves).map(|t| if t == 0 { 0.0 } else { 1.0 / (1.0 + (s[t] + s[t - 1]) / capacity) }).collect();
            let expected = growth.iter().sum::<f64>() / saves as f64;
            let expected_crowding = growth.iter().skip(1).map(|share| 1.0 - share).sum::<f64>() / saves as f64;
            let outcomes = &results.outcomes[run * 3..run * 3 + 3];
            let (share, crowding, shift) = (outcomes[0], outcomes[1], outcomes[2]);
            assert!((share - expected).abs() < 1e-9, "{intervention:?} run {run}: {share} vs {expected}");
            assert!((crowding - expected_crowding).abs() < 1e-9, "{intervention:?} run {run}: {crowding}");
            let expected_shift = (1..saves).find(|&t| s[t] + s[t - 1] > capacity).map_or(f64::NAN, |t| t as f64);
            assert!(
                shift == expected_shift || (shift.is_nan() && expected_shift.is_nan()),
                "{intervention:?} run {run}: shift at {shift}, expected {expected_shift}"
            );
            distinct.push(share);
            shifted += usize::from(shift.is_finite());
        }
        // The runs differ: the share is each run's own, not the baseline's.
        distinct.sort_by(f64::total_cmp);
        distinct.dedup();
        assert_eq!(distinct.len(), 6, "{distinct:?}");
        assert!(shifted >= 3, "{intervention:?}: crowding takes over within the run in most runs");
    }
}

#[test]
fn an_unknown_loop_is_refused_at_the_statistic_with_the_loops_there_are() {
    let (resolved, compiled) = logistic();
    let text = EXPERIMENT.replace("loop_share:b1", "loop_share:B2");
    let experiment = experiment(&text);
    let (mut plan, _) = experiment.plan(&compiled).expect("plans");
    let problems = plan.bind_loop_shares(&experiment, &resolved, &compiled).expect_err("no B2");
    let problem = &problems.0[0];
    assert_eq!(problem.message, "outcome `crowding`: the baseline run has no loop `B2`");
    assert_eq!(problem.help.as_deref(), Some("its loops are R1, B1; `fulcrum loops --experiment FILE` ranks them"));
    let at = problem.span.expect("located");
    assert_eq!(&text[at.start as usize..at.end as usize], "\"loop_share:B2\"");
}

#[test]
fn a_model_without_loops_has_no_loop_to_share() {
    let model = ModelBuilder::new(0.0, 10.0, 1.0)
        .stock("S", "0", &["in"], &[])
        .flow("in", "K")
        .constant("K", 1.0)
        .constant("r", 1.0)
        .build();
    let resolved = fulcrum_model::resolve(&model).expect("resolves");
    let compiled = fulcrum_sim::compile(&resolved).expect("compiles");
    let experiment = experiment(EXPERIMENT);
    let (mut plan, _) = experiment.plan(&compiled).expect("plans");
    let problems = plan.bind_loop_shares(&experiment, &resolved, &compiled).expect_err("no loops");
    assert_eq!(problems.0.len(), 3, "each outcome on the loops says it");
    assert_eq!(problems.0[0].message, "outcome `R1 share`: the model has no feedback loops to measure");
}

#[test]
fn a_loop_share_with_a_variable_is_refused_and_an_unbound_one_does_not_run() {
    let text = EXPERIMENT.replace("statistic = \"loop_share:R1\"", "variable = \"S\"\nstatistic = \"loop_share:R1\"");
    let (read, problems) = fulcrum_explore::experiment::read(&text).expect("TOML");
    assert!(problems.has_errors());
    assert_eq!(read.outcomes.len(), 2, "the outcome with a variable is dropped");
    let problem = &problems.0[0];
    assert_eq!(problem.message, "[[outcome]]: `loop_share:R1` measures the feedback loops, not a variable");
    let at = problem.span.expect("located");
    assert_eq!(&text[at.start as usize..at.end as usize], "\"S\"");

    let (_, compiled) = logistic();
    let (plan, _) = experiment(EXPERIMENT).plan(&compiled).expect("plans");
    let sweep = Sweep {
        model: &compiled,
        design: &plan.design,
        settings: &[],
        outcomes: &plan.outcomes,
        bands: &[],
        bands_per_grid_point: false,
        keep: &[],
        runs: 0..6,
        quantiles: None,
    };
    assert!(matches!(sweep.collect(&Silent), Err(SweepError::UnboundLoopShare(name)) if name == "R1 share"));
}
