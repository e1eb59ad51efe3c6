//! Loops That Matter against Stella's export, hand-derived scores and properties.

// Test helpers stop at the first surprise, like the tests themselves.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use fulcrum_loops::{Analysis, Discovery, Options, analyze, dominance_periods};
use fulcrum_model::builder::ModelBuilder;
use fulcrum_model::resolve::LoopPolarity;
use fulcrum_model::{Model, resolve};
use proptest::prelude::*;

fn repository() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn analysis_of(model: &Model, discovery: Discovery) -> Analysis {
    let resolved = resolve(model).expect("resolves");
    analyze(&resolved, &Options { discovery, ..Options::default() }).expect("analyzes")
}

fn loop_named<'a>(analysis: &'a Analysis, id: &str) -> &'a fulcrum_loops::ScoredLoop {
    analysis.loops.iter().find(|scored| scored.id == id).unwrap_or_else(|| panic!("no loop {id}"))
}

/// Half a unit in the last of three significant figures, as Stella rounds its export.
fn half_unit_of_three_figures(value: f64) -> f64 {
    if value == 0.0 {
        return 0.0;
    }
    0.5 * 10f64.powf(value.abs().log10().floor() - 2.0)
}

#[test]
fn relative_loop_scores_match_stellas_export_for_logistic_growth() {
    let directory = repository().join("../shared/reference/ltm");
    let text = std::fs::read_to_string(directory.join("logistic_growth.stmx")).expect("the reference model");
    let (model, _) = fulcrum_xmile::read(&text).expect("reads");
    let analysis = analysis_of(&model, Discovery::Exhaustive);
    assert_eq!(analysis.loops.len(), 2);
    let export = std::fs::read_to_string(directory.join("stella_ltm_results.tsv")).expect("the export");
    let mut lines = export.trim_start_matches('\u{feff}').lines();
    let times: Vec<f64> =
        lines.next().expect("header").split('\t').skip(1).map(|cell| cell.parse().expect("a time")).collect();
    assert_eq!(times, analysis.times);
    let mut compared = 0;
    for line in lines {
        let mut cells = line.split('\t');
        let name = cells.next().expect("a loop name");
        let ours = loop_named(&analysis, &name.to_uppercase());
        for (at, cell) in cells.enumerate() {
            let stella: f64 = cell.parse().expect("a percentage");
            let fulcrum = 100.0 * ours.relative[at];
            let tolerance = half_unit_of_three_figures(stella) + 0.1;
            assert!(
                (fulcrum - stella).abs() <= tolerance,
                "{name} at time {}: fulcrum {fulcrum:.4}%, Stella {stella}%",
                times[at]
            );
            compared += 1;
        }
    }
    assert_eq!(compared, 2 * 101);
}

/// Growth `r·S` in, crowding `r·S·S/K` out. For one stock each loop's relative score is its
/// flow's change over the sum of both flows' changes: the reinforcing loop explains
/// `1 / (1 + (S(t) + S(t − dt)) / K)`, so the balancing loop takes over once `S(t) + S(t − dt)`
/// passes `K`, at the inflection of the S-curve.
#[test]
fn growth_gives_way_to_crowding_where_the_hand_derivation_says() {
    let (capacity, rate) = (1000.0, 0.1);
    let model = ModelBuilder::new(0.0, 100.0, 1.0)
        .stock("S", "10", &["growth"], &["crowding"])
        .flow("growth", "r * S")
        .flow("crowding", "r * S * S / K")
        .constant("r", rate)
        .constant("K", capacity)
        .build();
    let resolved = resolve(&model).expect("resolves");
    let stock = fulcrum_sim::compile(&resolved).expect("compiles").new_run().run().expect("runs");
    let stock = stock.series("S").expect("S").to_vec();
    let analysis = analyze(&resolved, &Options::default()).expect("analyzes");
    let (reinforcing, balancing) = (loop_named(&analysis, "R1"), loop_named(&analysis, "B1"));
    assert_eq!(reinforcing.variables, ["S", "growth"]);
    assert_eq!(balancing.variables, ["S", "crowding"]);
    for t in 1..stock.len() {
        let expected = 1.0 / (1.0 + (stock[t] + stock[t - 1]) / capacity);
        assert!(
            (reinforcing.relative[t] - expected).abs() < 1e-9,
            "t = {t}: {} vs {expected}",
            reinforcing.relative[t]
        );
        assert!((balancing.relative[t] + (1.0 - expected)).abs() < 1e-9);
    }
    let shift = (1..stock.len()).find(|&t| stock[t] + stock[t - 1] > capacity).expect("the curve bends");
    let periods = dominance_periods(&analysis);
    let named: Vec<(f64, f64, Vec<&str>)> = periods
        .iter()
        .map(|period| (period.start, period.end, period.loops.iter().map(|&i| analysis.loops[i].id.as_str()).collect()))
        .collect();
    // Nothing moves before the first step; then growth, then crowding.
    assert_eq!(named[0], (0.0, 0.0, vec![]));
    assert_eq!(named[1], (1.0, shift as f64 - 1.0, vec!["R1"]));
    assert_eq!(named[2], (shift as f64, 100.0, vec!["B1"]));
    assert_eq!(named.len(), 3);
}

#[test]
fn the_workforce_model_has_shares_that_add_up_to_the_whole() {
    let text = std::fs::read_to_string(repository().join("models/workforce/model.toml")).expect("the model");
    let (model, _) = fulcrum_model::native::read(&text).expect("reads");
    let analysis = analysis_of(&model, Discovery::Auto);
    assert_eq!(analysis.discovery, Discovery::Exhaustive);
    let check = fulcrum_model::resolve::feedback_loops(&resolve(&model).expect("resolves"), 1000);
    assert_eq!(analysis.loops.len(), check.loops.len(), "the same loops as `fulcrum check` lists");
    for at in 0..analysis.times.len() {
        let total: f64 = analysis.loops.iter().map(|scored| scored.relative[at].abs()).sum();
        assert!(total == 0.0 || (total - 1.0).abs() < 1e-9, "time {}: {total}", analysis.times[at]);
    }
    // The strongest paths find a subset of the same loops, the most important among them.
    let strongest = analysis_of(&model, Discovery::StrongestPath);
    assert!(strongest.loops.len() <= analysis.loops.len());
    let top = &analysis.loops[0].variables;
    assert!(strongest.loops.iter().any(|scored| &scored.variables == top), "{top:?} not found by strongest path");
}

#[test]
fn a_model_without_loops_is_refused() {
    let model = ModelBuilder::new(0.0, 10.0, 1.0).stock("S", "0", &["in"], &[]).flow("in", "TIME").build();
    let resolved = resolve(&model).expect("resolves");
    let error = analyze(&resolved, &Options::default()).expect_err("no loops");
    assert!(matches!(error, fulcrum_loops::LoopsError::NoLoops), "{error}");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// A loop alone explains all of the behaviour whenever it is active.
    #[test]
    fn a_single_loop_explains_everything(rate in -0.3f64..0.3, initial in 1.0f64..100.0, through_aux in any::<bool>()) {
        let equation = if through_aux { "pressure" } else { "S * k" };
        let model = ModelBuilder::new(0.0, 20.0, 0.5)
            .stock("S", &initial.to_string(), &["change"], &[])
            .flow("change", equation)
            .aux("pressure", "k * S")
            .constant("k", rate)
            .build();
        let analysis = analysis_of(&model, Discovery::Auto);
        prop_assert_eq!(analysis.loops.len(), 1);
        let only = &analysis.loops[0];
        let expected = if rate > 0.0 { LoopPolarity::Reinforcing } else { LoopPolarity::Balancing };
        // A negative constant makes the link negative: the polarity follows the constant's sign.
        prop_assert_eq!(only.polarity, if rate == 0.0 { only.polarity } else { expected });
        for (at, share) in only.relative.iter().enumerate().skip(1) {
            if rate != 0.0 {
                prop_assert!((share.abs() - 1.0).abs() < 1e-12, "time {}: {}", analysis.times[at], share);
            }
        }
    }
}

/// Two drains on one stock: each balancing loop's share is its rate over the sum of the rates,
/// so the loop through the faster drain ranks first. Changing the rates swaps the ranks; named
/// by the baseline, each loop keeps its id.
#[test]
fn a_loop_keeps_its_baseline_id_when_another_run_reorders_the_ranking() {
    let model = ModelBuilder::new(0.0, 10.0, 1.0)
        .stock("S", "100", &[], &["fast", "slow"])
        .flow("fast", "S * a")
        .flow("slow", "S * b")
        .constant("a", 0.2)
        .constant("b", 0.05)
        .build();
    let resolved = resolve(&model).expect("resolves");
    let compiled = fulcrum_sim::compile(&resolved).expect("compiles");
    let (a, b) = (compiled.constant_index("a").expect("a"), compiled.constant_index("b").expect("b"));
    let baseline = analyze(&resolved, &Options::default()).expect("analyzes");
    assert_eq!(loop_named(&baseline, "B1").variables, ["S", "fast"]);
    assert!((loop_named(&baseline, "B1").mean_share - 0.8 * 10.0 / 11.0).abs() < 1e-12);
    // The rates swapped: `slow` now drains four times as fast.
    let swapped = |batch: &mut fulcrum_sim::Batch<'_, 1>| {
        batch.set(0, a, 0.05);
        batch.set(0, b, 0.2);
        Ok(())
    };
    let mut other = fulcrum_loops::analyze_run(&resolved, &compiled, swapped, &Options::default()).expect("analyzes");
    assert_eq!(loop_named(&other, "B1").variables, ["S", "slow"], "ranked within its own run");
    other.align_ids(&baseline);
    assert_eq!(loop_named(&other, "B1").variables, ["S", "fast"]);
    assert_eq!(loop_named(&other, "B2").variables, ["S", "slow"]);
    // Still ranked by this run's shares: B2 first, with 0.8 of the behaviour at every step after the first.
    assert_eq!(other.loops[0].id, "B2");
    assert!((other.find("b2").expect("B2").mean_share - 0.8 * 10.0 / 11.0).abs() < 1e-12);
}
