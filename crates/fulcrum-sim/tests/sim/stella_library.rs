//! Stella's built-ins, named as Stella names them, against hand-computed values: COUNTER,
//! MONTECARLO, ALLOCATE, HISTORY, DERIVN, SINWAVE and COSWAVE, the distributions, COMBINATIONS and
//! PERMUTATIONS, LOOKUPINV and LOOKUPAREA, PREVIOUS(SELF, ...).

use fulcrum_model::builder::ModelBuilder;
use fulcrum_model::{Dialect, GraphKind};

use crate::{compiled, run, series};

#[test]
fn counter_counts_one_per_unit_of_time_and_wraps_at_its_end() {
    let model = ModelBuilder::new(0.0, 4.0, 0.5).aux("k", "COUNTER(0, 3)").aux("shifted", "COUNTER(2, 5)").build();
    let results = run(&model);
    assert_eq!(series(&results, "k"), vec![0.0, 0.5, 1.0, 1.5, 2.0, 2.5, 0.0, 0.5, 1.0]);
    assert_eq!(series(&results, "shifted"), vec![2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 2.0, 2.5, 3.0]);
}

#[test]
fn montecarlo_fires_with_a_percentage_per_unit_of_time() {
    // 100% per unit of time with DT 1 fires every step; 0% never.
    let sure = ModelBuilder::new(0.0, 20.0, 1.0).aux("always", "MONTECARLO(100)").aux("never", "MONTECARLO(0)").build();
    let results = run(&sure);
    assert!(series(&results, "always").iter().all(|&v| v == 1.0));
    assert!(series(&results, "never").iter().all(|&v| v == 0.0));
    // 50% per unit of time with DT 0.5: a chance of 0.25 per step.
    let steps = 40_000.0;
    let model = ModelBuilder::new(0.0, steps * 0.5, 0.5).aux("m", "MONTECARLO(50, 3)").build();
    let fired = series(&run(&model), "m");
    assert!(fired.iter().all(|&v| v == 0.0 || v == 1.0));
    let share = fired.iter().sum::<f64>() / fired.len() as f64;
    let standard_error = (0.25f64 * 0.75 / fired.len() as f64).sqrt();
    assert!((share - 0.25).abs() < 4.5 * standard_error, "share {share}");
}

#[test]
fn montecarlo_with_a_seed_repeats_whatever_the_run_seed() {
    let model = ModelBuilder::new(0.0, 50.0, 1.0).aux("m", "MONTECARLO(40, 9)").build();
    let compiled = compiled(&model);
    let mut first = compiled.new_run();
    first.set_seed(1, 0);
    let mut second = compiled.new_run();
    second.set_seed(2, 0);
    let (first, second) = (first.run().expect("runs"), second.run().expect("runs"));
    assert_eq!(series(&first, "m"), series(&second, "m"));
}

fn branches() -> ModelBuilder {
    ModelBuilder::new(0.0, 1.0, 1.0)
        .dimension("Branch", &["A", "B", "C"])
        .aux("requests", "0")
        .over(&["Branch"])
        .element(&["A"], "5")
        .element(&["B"], "4")
        .element(&["C"], "3")
        .aux("priorities", "0")
        .over(&["Branch"])
        .element(&["A"], "3")
        .element(&["B"], "2")
        .element(&["C"], "1")
}

#[test]
fn allocate_shares_by_priority_as_allocate_by_priority_does() {
    // Rectangular priority curves 0.5 wide around 3, 2 and 1 do not overlap: 7 fills A's 5,
    // and B gets the 2 left (the threshold sits at B's priority, halfway down its curve).
    let model = branches()
        .aux("shares", "ALLOCATE(7, Branch, requests, priorities, 0.5)")
        .over(&["Branch"])
        .aux("vensim", "ALLOCATE_BY_PRIORITY(requests, priorities, 3, 0.5, 7)")
        .over(&["Branch"])
        .aux("plenty", "ALLOCATE(20, Branch, requests[Branch], priorities[Branch], 0.5)")
        .over(&["Branch"])
        .build();
    let results = run(&model);
    for (element, expected, plenty) in [("A", 5.0, 5.0), ("B", 2.0, 4.0), ("C", 0.0, 3.0)] {
        let got = series(&results, &format!("shares[{element}]"))[0];
        assert!((got - expected).abs() < 1e-9, "{element}: {got}");
        assert_eq!(series(&results, &format!("vensim[{element}]"))[0], got);
        let got = series(&results, &format!("plenty[{element}]"))[0];
        assert!((got - plenty).abs() < 1e-9, "{element} with plenty: {got}");
    }
}

#[test]
fn allocate_refuses_another_dimension_and_a_spread() {
    let cases = [
        ("ALLOCATE(7, Other, requests, priorities, 0.5)", "must name the last dimension"),
        ("ALLOCATE(7, Branch, requests, priorities, 0.5, 1)", "sixth argument (spread) is not supported"),
    ];
    for (equation, message) in cases {
        let model = branches().dimension("Other", &["X", "Y", "Z"]).aux("bad", equation).over(&["Branch"]).build();
        let diagnostics = fulcrum_model::resolve(&model).expect_err("invalid");
        assert!(diagnostics.0.iter().any(|d| d.message.contains(message)), "{equation}: {diagnostics:?}");
    }
}

#[test]
fn stella_lookup_names_read_the_same_graph_functions() {
    let model = ModelBuilder::new(0.0, 1.0, 1.0)
        .graph("rising", GraphKind::Continuous, &[0.0, 10.0], &[0.0, 100.0])
        .aux("inverse", "LOOKUPINV(rising, 50)")
        .aux("area", "LOOKUPAREA(rising, 0, 10)")
        .aux("gamma", "GAMMALN(5)")
        .build();
    let results = run(&model);
    assert_eq!(series(&results, "inverse"), vec![5.0, 5.0]);
    assert_eq!(series(&results, "area"), vec![500.0, 500.0]);
    // ln(4!) = ln 24.
    assert!((series(&results, "gamma")[0] - 24f64.ln()).abs() < 1e-12);
}

#[test]
fn previous_of_self_reads_the_variable_one_step_back() {
    let model = ModelBuilder::new(0.0, 3.0, 1.0).aux("p", "PREVIOUS(SELF, 5) + 1").build();
    assert_eq!(series(&run(&model), "p"), vec![6.0, 7.0, 8.0, 9.0]);
}

#[test]
fn history_reads_the_value_a_variable_had_at_an_earlier_time() {
    // The stock rises 2 a step from 10: 10, 12, 14, ... at times 0, 0.5, 1, ...
    let model = ModelBuilder::new(0.0, 3.0, 0.5)
        .stock("level", "10", &["rising"], &[])
        .flow("rising", "4")
        .aux("one_ago", "HISTORY(level, TIME - 1)")
        .aux("at_start", "HISTORY(level, 0)")
        .aux("between_steps", "HISTORY(level, TIME - 0.75)")
        .aux("now", "HISTORY(level, TIME)")
        .aux("later", "HISTORY(level, TIME + 5)")
        .aux("of_an_expression", "HISTORY(level * 2, 1)")
        .build();
    let results = run(&model);
    let level = series(&results, "level");
    assert_eq!(level, vec![10.0, 12.0, 14.0, 16.0, 18.0, 20.0, 22.0]);
    // Before the start the value at the start; from then on the value one time unit ago.
    assert_eq!(series(&results, "one_ago"), vec![10.0, 10.0, 10.0, 12.0, 14.0, 16.0, 18.0]);
    assert_eq!(series(&results, "at_start"), vec![10.0; 7]);
    // 0.75 back falls between steps (-0.25, 0.25, 0.75, 1.25, ...): the last step at or before
    // it, so at time 1.5 the value at 0.5.
    assert_eq!(series(&results, "between_steps"), vec![10.0, 10.0, 10.0, 12.0, 14.0, 16.0, 18.0]);
    assert_eq!(series(&results, "now"), level);
    assert_eq!(series(&results, "later"), level);
    // At time 1 the expression was 28; before time 1 it is read as it is now.
    assert_eq!(series(&results, "of_an_expression"), vec![20.0, 24.0, 28.0, 28.0, 28.0, 28.0, 28.0]);
}

#[test]
fn history_keeps_each_run_and_lane_apart() {
    let model = ModelBuilder::new(0.0, 4.0, 1.0)
        .aux("rate", "1")
        .stock("level", "0", &["rising"], &[])
        .flow("rising", "rate")
        .aux("two_ago", "HISTORY(level, TIME - 2)")
        .build();
    let compiled = compiled(&model);
    let mut first = compiled.new_run();
    first.set("rate", 3.0).expect("a constant");
    let first = first.run().expect("runs");
    let second = compiled.new_run().run().expect("runs");
    assert_eq!(series(&first, "two_ago"), vec![0.0, 0.0, 0.0, 3.0, 6.0]);
    assert_eq!(series(&second, "two_ago"), vec![0.0, 0.0, 0.0, 1.0, 2.0]);
}

#[test]
fn sinwave_and_coswave_turn_once_per_period() {
    let model = ModelBuilder::new(0.0, 4.0, 1.0).aux("s", "SINWAVE(2, 4)").aux("c", "COSWAVE(3, 4)").build();
    let results = run(&model);
    let expected_sine = [0.0, 2.0, 0.0, -2.0, 0.0];
    let expected_cosine = [3.0, 0.0, -3.0, 0.0, 3.0];
    for (step, (sine, cosine)) in series(&results, "s").into_iter().zip(series(&results, "c")).enumerate() {
        assert!((sine - expected_sine[step]).abs() < 1e-12, "SINWAVE at {step}: {sine}");
        assert!((cosine - expected_cosine[step]).abs() < 1e-12, "COSWAVE at {step}: {cosine}");
    }
}

fn mean_and_sd(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, variance.sqrt())
}

#[test]
fn stella_distributions_have_their_moments() {
    // Γ(1.5) = √π / 2: a Weibull of shape 2 and scale 3 has mean 3·Γ(1.5), variance 9·(1 - Γ(1.5)²).
    let gamma_three_halves = std::f64::consts::PI.sqrt() / 2.0;
    let cases = [
        // Triangular 0, 1, 4: mean 5/3, variance (0 + 1 + 16 - 0 - 0 - 4) / 18.
        ("TRIANGULAR(0, 1, 4)", 5.0 / 3.0, (13.0f64 / 18.0).sqrt()),
        ("WEIBULL(2, 3)", 3.0 * gamma_three_halves, 3.0 * (1.0 - gamma_three_halves.powi(2)).sqrt()),
        // Shape 4, scale 2: mean 8, variance 4 × 4; scale 1 by default.
        ("GAMMA(4, 2)", 8.0, 4.0),
        ("GAMMA(4)", 4.0, 2.0),
        // Beta(2, 3): mean 2/5, variance 6 / (25 × 6).
        ("BETA(2, 3)", 0.4, 0.2),
        // Successes in 20 trials of 0.3.
        ("BINOMIAL(20, 0.3)", 6.0, 4.2f64.sqrt()),
    ];
    let count = 40_000;
    for (equation, mean, sd) in cases {
        let model = ModelBuilder::new(0.0, (count - 1) as f64, 1.0).aux("y", equation).build();
        let (sample_mean, sample_sd) = mean_and_sd(&series(&run(&model), "y"));
        let standard_error = sd / (count as f64).sqrt();
        assert!((sample_mean - mean).abs() < 4.5 * standard_error, "{equation}: mean {sample_mean}, expected {mean}");
        assert!((sample_sd - sd).abs() < 0.05 * sd, "{equation}: sd {sample_sd}, expected {sd}");
    }
}

#[test]
fn combinations_and_permutations_count_choices() {
    let model = ModelBuilder::new(0.0, 1.0, 1.0)
        .aux("choose", "COMBINATIONS(10, 3)")
        .aux("arrange", "PERMUTATIONS(10, 3)")
        .aux("all", "COMBINATIONS(52, 5)")
        .build();
    let results = run(&model);
    assert_eq!(series(&results, "choose")[0], 120.0);
    assert_eq!(series(&results, "arrange")[0], 720.0);
    assert_eq!(series(&results, "all")[0], 2_598_960.0);
}

#[test]
fn stella_names_give_way_to_lookups_and_to_vensim_models() {
    // A graphical function called `gamma` is called, not the gamma draw.
    let model = ModelBuilder::new(0.0, 1.0, 1.0)
        .graph("gamma", GraphKind::Continuous, &[0.0, 10.0], &[0.0, 100.0])
        .aux("y", "gamma(5)")
        .build();
    assert_eq!(series(&run(&model), "y"), vec![50.0, 50.0]);
    // In a model from Vensim, Stella's names are not built-ins.
    let model = ModelBuilder::new(0.0, 1.0, 1.0).dialect(Dialect::Vensim).aux("y", "COUNTER(0, 3)").build();
    let diagnostics = fulcrum_model::resolve(&model).expect_err("unknown in Vensim");
    assert!(diagnostics.0.iter().any(|d| d.message.contains("unknown function `COUNTER`")), "{diagnostics:?}");
}

fn ranked() -> ModelBuilder {
    // A = 5, 3, 8, 3 over Item; B breaks the tie between the two 3s the other way round.
    ModelBuilder::new(0.0, 2.0, 1.0)
        .dimension("Item", &["P", "Q", "R", "S"])
        .dimension("Row", &["1", "2"])
        .dimension("Column", &["1", "2"])
        .aux("a", "0")
        .over(&["Item"])
        .element(&["P"], "5")
        .element(&["Q"], "3")
        .element(&["R"], "8")
        .element(&["S"], "3")
        .aux("b", "0")
        .over(&["Item"])
        .element(&["P"], "0")
        .element(&["Q"], "9")
        .element(&["R"], "0")
        .element(&["S"], "1")
        // M row by row: 4, 1 / 1, 0.
        .aux("m", "0")
        .over(&["Row", "Column"])
        .element(&["1", "1"], "4")
        .element(&["1", "2"], "1")
        .element(&["2", "1"], "1")
        .element(&["2", "2"], "0")
}

#[test]
fn rank_gives_the_index_of_the_element_of_a_rank_in_ascending_order() {
    let model = ranked()
        // Sorted ascending: 3 (Q, index 2), 3 (S, index 4), 5 (P, 1), 8 (R, 3); the tie keeps
        // the earlier element first.
        .aux("smallest", "RANK(a, 1)")
        .aux("largest", "RANK(a, SIZE(a))")
        .aux("sorted", "RANK(a, Item)")
        .over(&["Item"])
        .aux("sliced", "RANK(a[*], 2)")
        // B orders the two 3s: S (B = 1) before Q (B = 9).
        .aux("tied", "RANK(a, Item, b)")
        .over(&["Item"])
        // The rank may change during the run: TIME + 1 is 1, 2, 3.
        .aux("moving", "RANK(a, TIME + 1)")
        // M flat: 4, 1, 1, 0; ascending 0 (index 4), 1 (2), 1 (3), 4 (1).
        .aux("flat", "RANK(m, Row)")
        .over(&["Row"])
        .aux("last_flat", "RANK(m, 4)")
        // Row 1 of M: 4, 1, so its smallest is its second element.
        .aux("first_row", "RANK(m[1, *], 1)")
        .build();
    let results = run(&model);
    assert_eq!(series(&results, "smallest"), vec![2.0; 3]);
    assert_eq!(series(&results, "largest"), vec![3.0; 3]);
    let sorted: Vec<f64> = ["P", "Q", "R", "S"].iter().map(|e| series(&results, &format!("sorted[{e}]"))[0]).collect();
    assert_eq!(sorted, [2.0, 4.0, 1.0, 3.0]);
    assert_eq!(series(&results, "sliced"), vec![4.0; 3]);
    let tied: Vec<f64> = ["P", "Q", "R", "S"].iter().map(|e| series(&results, &format!("tied[{e}]"))[0]).collect();
    assert_eq!(tied, [4.0, 2.0, 1.0, 3.0]);
    assert_eq!(series(&results, "moving"), vec![2.0, 4.0, 1.0]);
    assert_eq!(series(&results, "flat[1]")[0], 4.0);
    assert_eq!(series(&results, "flat[2]")[0], 2.0);
    assert_eq!(series(&results, "last_flat")[0], 1.0);
    assert_eq!(series(&results, "first_row")[0], 2.0);
}

#[test]
fn rank_outside_the_array_stops_the_run() {
    // Rank 5 of four elements has no element: NaN, which stops the run at the variable.
    let model = ranked().aux("beyond", "RANK(a, 5)").build();
    let error = compiled(&model).new_run().run().expect_err("no fifth element");
    assert!(format!("{error}").contains("beyond"), "{error}");
}

#[test]
fn rank_refuses_a_scalar_and_a_tie_break_of_another_size() {
    let cases = [
        ("RANK(5, 1)", "RANK needs an array"),
        ("RANK(a, 1, m[1, *])", "tie-break array has 2 elements, but the array it orders has 4"),
    ];
    for (equation, message) in cases {
        let model = ranked().aux("bad", equation).build();
        let diagnostics = fulcrum_model::resolve(&model).expect_err("invalid");
        assert!(diagnostics.0.iter().any(|d| d.message.contains(message)), "{equation}: {diagnostics:?}");
    }
}

#[test]
fn factorial_multiplies_down_to_one() {
    let model = ModelBuilder::new(0.0, 1.0, 1.0)
        .aux("five", "FACTORIAL(5)")
        .aux("none", "FACTORIAL(0)")
        .aux("twelve", "FACTORIAL(12)")
        .build();
    let results = run(&model);
    // Stella's example: 5 × 4 × 3 × 2 × 1 = 120; 0! = 1; 12! = 479001600.
    assert_eq!(series(&results, "five")[0], 120.0);
    assert_eq!(series(&results, "none")[0], 1.0);
    assert_eq!(series(&results, "twelve")[0], 479_001_600.0);
}

#[test]
fn uniform_draws_between_its_bounds_and_repeats_with_a_seed() {
    let count = 40_000;
    let model = ModelBuilder::new(0.0, (count - 1) as f64, 1.0)
        .aux("u", "UNIFORM(2, 6)")
        .aux("seeded", "UNIFORM(0, 1, 7)")
        .aux("random_seeded", "RANDOM(0, 1, 7)")
        .build();
    let results = run(&model);
    let u = series(&results, "u");
    assert!(u.iter().all(|&v| (2.0..6.0).contains(&v)));
    // Uniform on [2, 6]: mean 4, sd 4/√12.
    let (mean, sd) = mean_and_sd(&u);
    let expected_sd = 4.0 / 12f64.sqrt();
    assert!((mean - 4.0).abs() < 4.5 * expected_sd / (count as f64).sqrt(), "mean {mean}");
    assert!((sd - expected_sd).abs() < 0.05 * expected_sd, "sd {sd}");
    // The same draw as RANDOM with the same seed.
    assert_eq!(series(&results, "seeded"), series(&results, "random_seeded"));
}

#[test]
fn derivn_differences_backward_and_is_zero_for_its_first_order_steps() {
    // Stella's Mathematical builtins: d(t) = (x(t) − x(t − DT)) / DT, applied `order` times,
    // 0 until the input has that many past values; DERIVN(TIME, 0) is TIME, DERIVN(TIME, 1) is 1.
    let model = ModelBuilder::new(0.0, 2.0, 0.5)
        .aux("x", "TIME * TIME")
        .aux("zeroth", "DERIVN(TIME, 0)")
        .aux("slope_of_time", "DERIVN(TIME, 1)")
        .aux("first", "DERIVN(x, 1)")
        .aux("second", "DERIVN(x, 2)")
        .aux("third", "DERIVN(x, 3)")
        .aux("order", "2")
        .aux("by_constant", "DERIVN(x * 3, order)")
        .build();
    let results = run(&model);
    // x = 0, 0.25, 1, 2.25, 4 at t = 0, 0.5, 1, 1.5, 2.
    assert_eq!(series(&results, "zeroth"), [0.0, 0.5, 1.0, 1.5, 2.0]);
    assert_eq!(series(&results, "slope_of_time"), [0.0, 1.0, 1.0, 1.0, 1.0]);
    // (0.25 − 0) / 0.5, (1 − 0.25) / 0.5, (2.25 − 1) / 0.5, (4 − 2.25) / 0.5.
    assert_eq!(series(&results, "first"), [0.0, 0.5, 1.5, 2.5, 3.5]);
    // (1.5 − 0.5) / 0.5 = 2 from t = 1 on: the second derivative of t².
    assert_eq!(series(&results, "second"), [0.0, 0.0, 2.0, 2.0, 2.0]);
    assert_eq!(series(&results, "third"), [0.0, 0.0, 0.0, 0.0, 0.0]);
    assert_eq!(series(&results, "by_constant"), [0.0, 0.0, 6.0, 6.0, 6.0]);
}

#[test]
fn derivn_of_a_stock_follows_its_net_flow() {
    // level' = 2 + TIME with Euler: level(t) − level(t − DT) = DT × flow(t − DT), so the first
    // difference is the flow one step back: 2, 2.25, 2.5, 2.75 from t = 0.25 on.
    let model = ModelBuilder::new(0.0, 1.0, 0.25)
        .stock("level", "10", &["filling"], &[])
        .flow("filling", "2 + TIME")
        .aux("rate_of_change", "DERIVN(level, 1)")
        .build();
    let results = run(&model);
    assert_eq!(series(&results, "rate_of_change"), [0.0, 2.0, 2.25, 2.5, 2.75]);
}

#[test]
fn derivn_with_an_order_that_is_not_a_whole_number_is_an_error_on_its_variable() {
    // (Where in a file it points is checked by tests/bad_inputs/xmile/derivn_order.xmile.)
    for order in ["-1", "1.5", "RANDOM(0, 3)"] {
        let model = ModelBuilder::new(0.0, 1.0, 1.0).aux("x", &format!("DERIVN(TIME, {order})")).build();
        let diagnostics = fulcrum_model::resolve(&model).expect_err("invalid order");
        let error = diagnostics.0.iter().find(|d| d.message.contains("order of DERIVN")).expect("names DERIVN");
        assert_eq!(error.code.as_str(), "E0105", "{order}: {error:?}");
        assert_eq!(error.variable.as_deref(), Some("x"), "{order}: {error:?}");
    }
}
