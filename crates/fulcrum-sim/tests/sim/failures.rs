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

#[test]
fn a_sum_of_30000_terms_checks_and_runs_in_a_2_mib_stack() {
    // What `fulcrum check` and `fulcrum run` do with a native file (read, resolve, count, list
    // the loops, compile, run), on a thread with a 2 MiB stack. The flow is 29,999 ones less the
    // stock: a loop through a chain of 30,000 terms, which must stay one level deep in every stage.
    let terms = 30_000;
    let chain = format!("{} - Level", vec!["1"; terms - 1].join(" + "));
    let text = format!(
        "[sim]\nstart = 0\nstop = 3\ndt = 0.5\n\n\
         [[stock]]\nname = \"Level\"\ninitial = 0\ninflows = [\"Filling\"]\n\n\
         [[flow]]\nname = \"Filling\"\nequation = \"{chain}\"\n"
    );
    let worker = std::thread::Builder::new().stack_size(2 << 20).spawn(move || {
        let (model, warnings) = fulcrum_model::native::read(&text).unwrap_or_else(|d| panic!("reads: {d:?}"));
        assert!(warnings.0.is_empty(), "{warnings:?}");
        let resolved = fulcrum_model::resolve(&model).unwrap_or_else(|d| panic!("resolves: {d:?}"));
        let census = fulcrum_model::resolve::census(&model);
        let loops = fulcrum_model::resolve::feedback_loops(&resolved, 10);
        let results = fulcrum_sim::compile(&resolved).expect("compiles").new_run().run().expect("runs");
        (census, loops, results.series("Level").expect("Level").to_vec())
    });
    let (census, loops, level) = worker.expect("thread starts").join().expect("no stack overflow");
    assert_eq!((census.stocks, census.flows), (1, 1));
    let listed: Vec<&[String]> = loops.loops.iter().map(|feedback| feedback.variables.as_slice()).collect();
    assert_eq!(listed, [["Level", "Filling"]]);
    // Euler with dt = 0.5 halves the gap to 29,999 each step.
    let expected: Vec<f64> = (0..=6).map(|step| 29_999.0 * (1.0 - 0.5f64.powi(step))).collect();
    assert_eq!(level, expected);
}

#[test]
fn equations_nested_256_levels_deep_run_and_one_level_more_is_refused() {
    use fulcrum_model::syntax::{SyntaxErrorKind, parse};
    // The parser counts a level per operand it descends into, the whole equation being the
    // first: 255 parentheses around a name are 256 levels. (form, the most repetitions within
    // 256 levels, the value at times 0, 1 and 2)
    type Form = (&'static str, fn(usize) -> String, usize, [f64; 3]);
    let forms: [Form; 6] = [
        ("parentheses", |n| format!("{}TIME{}", "(".repeat(n), ")".repeat(n)), 255, [0.0, 1.0, 2.0]),
        ("signs", |n| format!("{}TIME", "-".repeat(n)), 255, [-0.0, -1.0, -2.0]),
        ("functions", |n| format!("{}TIME{}", "MAX(1, ".repeat(n), ")".repeat(n)), 255, [1.0, 1.0, 2.0]),
        ("smooths", |n| format!("{}TIME{}", "SMTH1(".repeat(n), ", 2)".repeat(n)), 255, [0.0; 3]),
        ("IF branches", |n| format!("{}TIME", "IF TIME > 5 THEN 1 ELSE ".repeat(n)), 254, [0.0, 1.0, 2.0]),
        // `^` groups to the right: n terms nest n - 1 levels below the first.
        ("powers", |n| vec!["1"; n].join(" ^ "), 256, [1.0; 3]),
    ];
    for (name, make, deepest, expected) in forms {
        let text = make(deepest);
        // Every stage after parsing walks the tree recursively. The main thread's 8 MiB stack
        // holds them at the limit in a debug build. (Nested function calls need about 8 KiB a
        // level to parse in a debug build, so 2 MiB is not enough for them.)
        let worker = std::thread::Builder::new().stack_size(8 << 20).spawn(move || {
            let model = ModelBuilder::new(0.0, 2.0, 1.0).aux("x", &text).build();
            let results = compiled(&model).new_run().run().expect("runs");
            results.series("x").expect("x").to_vec()
        });
        let values = worker.expect("thread starts").join().expect("no stack overflow");
        assert_eq!(values.iter().map(|v| v.to_bits()).collect::<Vec<_>>(), expected.map(f64::to_bits), "{name}");
        let too_deep = make(deepest + 1);
        let refused = std::thread::Builder::new()
            .stack_size(8 << 20)
            .spawn(move || parse(&too_deep).map_err(|error| error.kind))
            .expect("thread starts")
            .join()
            .expect("no stack overflow");
        assert_eq!(refused.err(), Some(SyntaxErrorKind::TooDeep), "{name}: one repetition more");
    }
}

#[test]
fn a_stock_that_overflows_in_one_lane_of_a_batch_fails_that_lane_alone_when_it_does() {
    // Saved at every step: the stock is checked at the end of each step, the other variables at
    // each saved time. Lane 3's inflow takes the stock past f64::MAX at t = 1, while the flow and
    // the auxiliary that reads the stock are still finite, so the stock is named, at the time it
    // overflowed, and the auxiliary's infinity at the next saved time does not replace it.
    let model = ModelBuilder::new(0.0, 5.0, 1.0)
        .constant("rate", 1.0)
        .stock("S", "1e308", &["f"], &[])
        .flow("f", "rate")
        .aux("half S", "S * 0.5")
        .build();
    let compiled = compiled(&model);
    let mut batch = compiled.batch::<4>();
    batch.set(3, 0, 0.9e308);
    let failures = batch.run(&mut |_: &fulcrum_sim::Point<'_, 4>| {}).clone();
    assert!(failures[..3].iter().all(Option::is_none), "{failures:?}");
    let found = failures[3].as_ref().expect("lane 3 overflows");
    assert_eq!((found.name.as_str(), found.time, found.value), ("S", 1.0, f64::INFINITY));
}
