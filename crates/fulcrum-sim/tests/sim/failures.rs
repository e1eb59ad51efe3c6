//! Runs that produce NaN or infinity stop with the variable and the time.

use fulcrum_model::builder::ModelBuilder;
use fulcrum_sim::SimError;

use crate::compiled;

fn failure(model: fulcrum_model::Model) -> fulcrum_sim::Failure {
    match compiled(&model).new_run().run() {
        Err(SimError::NonFinite(failure)) => failure,
        other => panic!("expected a failure, got {other:?}"),
    }
}

#[test]
fn division_by_zero_names_the_variable_and_time() {
    let found = failure(ModelBuilder::new(0.0, 5.0, 0.5).aux("spike", "1 / (TIME - 2)").build());
    assert_eq!((found.name.as_str(), found.time, found.value), ("spike", 2.0, f64::INFINITY));
    assert_eq!(found.to_string(), "`spike` became inf at time 2");
}

#[test]
fn nan_at_the_start_is_caught_at_the_start() {
    let found = failure(ModelBuilder::new(0.0, 5.0, 1.0).aux("root", "SQRT(-1)").build());
    assert_eq!((found.name.as_str(), found.time), ("root", 0.0));
    assert!(found.value.is_nan());
}

#[test]
fn a_flow_that_blows_up_between_saved_times_is_blamed_not_its_stock() {
    // Saved every 5 time units; the flow is infinite at t = 3 and the stock from t = 3.5.
    let model = ModelBuilder::new(0.0, 10.0, 0.5)
        .save_step(5.0)
        .stock("S", "1", &["f"], &[])
        .flow("f", "1 / (3 - TIME)")
        .build();
    let found = failure(model);
    assert_eq!((found.name.as_str(), found.time), ("f", 3.0));
}

#[test]
fn growth_that_overflows_blames_the_flow_that_went_infinite_first() {
    // S grows elevenfold a step from 1e300; at t = 7 the flow S * 10 passes f64::MAX.
    let model = ModelBuilder::new(0.0, 100.0, 1.0).stock("S", "1e300", &["f"], &[]).flow("f", "S * 10").build();
    let found = failure(model);
    assert_eq!((found.name.as_str(), found.time), ("f", 7.0));
}

#[test]
fn a_stock_that_overflows_with_finite_flows_is_reported_when_it_does() {
    let model = ModelBuilder::new(0.0, 10.0, 1.0).stock("S", "1e308", &["f"], &[]).flow("f", "1e308").build();
    let found = failure(model);
    assert_eq!((found.name.as_str(), found.time, found.value), ("S", 1.0, f64::INFINITY));
}

#[test]
fn infinity_as_a_deliberate_constant_is_allowed() {
    let model = ModelBuilder::new(0.0, 2.0, 1.0).aux("no limit", "INF").aux("capped", "MIN(no_limit, 5)").build();
    let results = compiled(&model).new_run().run().expect("runs");
    assert_eq!(results.series("capped"), Some(&[5.0, 5.0, 5.0][..]));
}

#[test]
fn the_deepest_expressions_the_parser_accepts_compile_and_run() {
    // Tests run on threads with small stacks; the recursive stages must fit in them.
    let nested = format!("{}1{}", "(1 + ".repeat(120), ")".repeat(120));
    let chain = vec!["TIME"; 250].join(" + ");
    let powers = vec!["1"; 250].join(" ^ ");
    let negations = format!("{}TIME", "-".repeat(250));
    let model = ModelBuilder::new(0.0, 2.0, 1.0)
        .aux("nested", &nested)
        .aux("chain", &chain)
        .aux("powers", &powers)
        .aux("negations", &negations)
        .build();
    let results = compiled(&model).new_run().run().expect("runs");
    assert_eq!(results.series("nested"), Some(&[121.0, 121.0, 121.0][..]));
    assert_eq!(results.series("chain"), Some(&[0.0, 250.0, 500.0][..]));
    assert_eq!(results.series("powers"), Some(&[1.0, 1.0, 1.0][..]));
    assert_eq!(results.series("negations"), Some(&[0.0, 1.0, 2.0][..]));
}

#[test]
fn results_that_would_not_fit_in_memory_are_refused_before_running() {
    let model = ModelBuilder::new(0.0, 1e9, 1.0).aux("a", "TIME").aux("b", "TIME").build();
    match compiled(&model).new_run().run() {
        Err(SimError::ResultsTooLarge { rows, columns, .. }) => assert_eq!((rows, columns), (1_000_000_001, 2)),
        other => panic!("expected a refusal, got {other:?}"),
    }
}

#[test]
fn a_delay_longer_than_the_run_only_ever_shows_its_initial_value() {
    let model = ModelBuilder::new(0.0, 5.0, 1.0).aux("late", "DELAY(TIME, 1e12, 7)").build();
    let results = compiled(&model).new_run().run().expect("runs");
    assert_eq!(results.series("late"), Some(&[7.0; 6][..]));
}
