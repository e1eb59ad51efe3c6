//! Conveyors (XMILE 3.7.2, 4.2.1): hand-computed belts over a few steps, and conservation.
//!
//! Conventions checked here: a batch is what the inflows bring during one step (rate × dt); it
//! is on the belt from the next reported time for `n = transit time / dt` steps and leaves during
//! its `n`-th step, so the outflow reported at `t` is what leaves over `[t, t + dt]`, divided by
//! dt.

use fulcrum_model::builder::ModelBuilder;
use fulcrum_model::{Code, GraphKind, Method, Spread};
use fulcrum_sim::{CompiledModel, Point};
use proptest::prelude::*;

use crate::{compiled, equation, series};

/// Runs a model, and checks on the way that `fulcrum convert`'s TOML holds its conveyors and
/// queues: written, read back and run, it gives the same bits.
fn run(model: &fulcrum_model::Model) -> fulcrum_sim::Results {
    let results = crate::run(model);
    let text = fulcrum_model::native::write(model);
    let (again, diagnostics) = fulcrum_model::native::read(&text).unwrap_or_else(|d| panic!("{d:?}\n{text}"));
    assert!(diagnostics.0.is_empty(), "{diagnostics:?}\n{text}");
    let converted = crate::run(&again);
    assert_eq!(converted.names(), results.names(), "{text}");
    for column in 0..results.names().len() {
        let bits = |values: &[f64]| values.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(converted.column(column)), bits(results.column(column)), "{}\n{text}", results.names()[column]);
    }
    results
}

fn assert_close(actual: &[f64], expected: &[f64]) {
    assert_eq!(actual.len(), expected.len(), "{actual:?} vs {expected:?}");
    for (a, e) in actual.iter().zip(expected) {
        assert!((a - e).abs() < 1e-12, "{actual:?} vs {expected:?}");
    }
}

#[test]
fn material_leaves_exactly_the_transit_time_after_it_entered() {
    let model = ModelBuilder::new(0.0, 6.0, 1.0)
        .stock("Belt", "0", &["loading"], &["unloading"])
        .conveyor("3")
        .flow("loading", "IF TIME < 1 THEN 10 ELSE 0")
        .conveyor_outflow("unloading")
        .build();
    let results = run(&model);
    // 10 enters during [0, 1], is on the belt at t = 1, 2, 3 and leaves during [3, 4].
    assert_eq!(series(&results, "unloading"), [0.0, 0.0, 0.0, 10.0, 0.0, 0.0, 0.0]);
    assert_eq!(series(&results, "Belt"), [0.0, 10.0, 10.0, 10.0, 0.0, 0.0, 0.0]);
}

#[test]
fn with_a_smaller_dt_the_outflow_is_the_inflow_one_transit_time_earlier() {
    let model = ModelBuilder::new(0.0, 3.0, 0.5)
        .stock("Belt", "0", &["loading"], &["unloading"])
        .conveyor("1.5")
        .flow("loading", "IF TIME < 0.5 THEN 10 ELSE 4")
        .conveyor_outflow("unloading")
        .build();
    let results = run(&model);
    // 1.5 / 0.5 = 3 steps: unloading(t) = loading(t - 1.5), and nothing before 1.5.
    assert_eq!(series(&results, "unloading"), [0.0, 0.0, 0.0, 10.0, 4.0, 4.0, 4.0]);
    // Belt at 1.5: 10·0.5 + 4·0.5 + 4·0.5 = 9; from then on 3 batches of 2 = 6.
    assert_close(&series(&results, "Belt"), &[0.0, 5.0, 7.0, 9.0, 6.0, 6.0, 6.0]);
}

#[test]
fn initial_contents_drain_evenly_over_the_transit_time() {
    let model = ModelBuilder::new(0.0, 5.0, 0.5)
        .stock("Belt", "12", &[], &["unloading"])
        .conveyor("4")
        .conveyor_outflow("unloading")
        .build();
    let results = run(&model);
    // 12 over 4 / 0.5 = 8 batches of 1.5, one leaving per step: a rate of 1.5 / 0.5 = 3 = 12/4.
    let unloading = series(&results, "unloading");
    assert_close(&unloading, &[3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 3.0, 0.0, 0.0, 0.0]);
    let belt = series(&results, "Belt");
    assert_close(&belt, &[12.0, 10.5, 9.0, 7.5, 6.0, 4.5, 3.0, 1.5, 0.0, 0.0, 0.0]);
}

#[test]
fn initial_values_read_what_leaves_a_conveyor_at_the_start() {
    let model = ModelBuilder::new(0.0, 2.0, 1.0)
        .stock("Belt", "12", &[], &["unloading"])
        .conveyor("4")
        .conveyor_outflow("unloading")
        .stock("Next belt", "unloading * 2", &["unloading"], &["leaving"])
        .conveyor("2")
        .conveyor_outflow("leaving")
        .stock("Tally", "leaving", &[], &[])
        .build();
    let results = run(&model);
    // Belt: 12 over 4 steps leaves 3 a step, so Next belt starts at 6 (3 per step over 2 steps),
    // and Tally at what leaves Next belt at the start, 3.
    assert_eq!(series(&results, "Next belt")[0], 6.0);
    assert_eq!(series(&results, "leaving")[0], 3.0);
    assert_eq!(series(&results, "Tally")[0], 3.0);
}

#[test]
fn a_discrete_conveyor_holds_its_initial_contents_at_each_time_unit() {
    let model = ModelBuilder::new(0.0, 4.0, 0.5)
        .stock("Belt", "12", &[], &["unloading"])
        .conveyor("4")
        .conveyor_options(|conveyor| conveyor.discrete = true)
        .conveyor_outflow("unloading")
        .build();
    let results = run(&model);
    // Four batches of 12 / 4 = 3, leaving at t = 0, 1, 2, 3: a rate of 3 / 0.5 = 6 in those steps.
    let unloading = series(&results, "unloading");
    assert_close(&unloading, &[6.0, 0.0, 6.0, 0.0, 6.0, 0.0, 6.0, 0.0, 0.0]);
    assert_close(&series(&results, "Belt"), &[12.0, 9.0, 9.0, 6.0, 6.0, 3.0, 3.0, 0.0, 0.0]);
}

#[test]
fn the_transit_time_is_sampled_when_material_enters() {
    let model = ModelBuilder::new(0.0, 7.0, 1.0)
        .stock("Belt", "0", &["loading"], &["unloading"])
        .conveyor("transit")
        .flow("loading", "IF TIME < 2 THEN 10 ELSE 0")
        .aux("transit", "IF TIME < 1 THEN 2 ELSE 4")
        .conveyor_outflow("unloading")
        .build();
    let results = run(&model);
    // The batch entering during [0, 1] keeps transit 2 and leaves during [2, 3]; the one entering
    // during [1, 2] reads 4 and leaves during [5, 6]. Later changes move neither.
    assert_eq!(series(&results, "unloading"), [0.0, 0.0, 10.0, 0.0, 0.0, 10.0, 0.0, 0.0]);
    assert_eq!(series(&results, "Belt"), [0.0, 10.0, 20.0, 10.0, 10.0, 10.0, 0.0, 0.0]);
}

#[test]
fn a_sampled_transit_time_changes_only_when_the_sample_is_true() {
    let model = ModelBuilder::new(0.0, 8.0, 1.0)
        .stock("Belt", "0", &["loading"], &["unloading"])
        .conveyor("IF TIME < 1 THEN 1 ELSE 3")
        .conveyor_options(|conveyor| {
            conveyor.sample = Some(equation("TIME >= 3"));
        })
        .flow("loading", "IF TIME < 4 THEN 10 ELSE 0")
        .conveyor_outflow("unloading")
        .build();
    let results = run(&model);
    // The transit time starts at 1 and keeps it until the sample turns true at t = 3, when it
    // becomes 3: batches entering at t = 0, 1, 2 leave a step later (during [1, 2], [2, 3],
    // [3, 4]), the one entering at t = 3 leaves during [6, 7].
    assert_eq!(series(&results, "unloading"), [0.0, 10.0, 10.0, 10.0, 0.0, 0.0, 10.0, 0.0, 0.0]);
    assert_eq!(series(&results, "Belt"), [0.0, 10.0, 10.0, 10.0, 10.0, 10.0, 10.0, 0.0, 0.0]);
}

#[test]
fn capacity_holds_back_the_inflow_until_material_leaves() {
    let model = ModelBuilder::new(0.0, 7.0, 1.0)
        .stock("Belt", "0", &["loading"], &["unloading"])
        .conveyor("3")
        .conveyor_options(|conveyor| {
            conveyor.capacity = Some(equation("15"));
        })
        .flow("loading", "10")
        .conveyor_outflow("unloading")
        .build();
    let results = run(&model);
    // room(t) = (15 − Belt)/dt + what leaves during the step:
    // t=0: 15 → 10; t=1: 5 → 5; t=2: 0 → 0; t=3: 0 + 10 → 10; t=4: 0 + 5 → 5; t=5: 0 + 0 → 0; ...
    assert_eq!(series(&results, "loading"), [10.0, 5.0, 0.0, 10.0, 5.0, 0.0, 10.0, 5.0]);
    assert_eq!(series(&results, "unloading"), [0.0, 0.0, 0.0, 10.0, 5.0, 0.0, 10.0, 5.0]);
    assert_eq!(series(&results, "Belt"), [0.0, 10.0, 15.0, 15.0, 15.0, 15.0, 15.0, 15.0]);
}

#[test]
fn the_inflow_limit_is_shared_by_the_inflows_in_order() {
    let model = ModelBuilder::new(0.0, 2.0, 0.5)
        .stock("Belt", "0", &["first", "second"], &["unloading"])
        .conveyor("1")
        .conveyor_options(|conveyor| {
            conveyor.inflow_limit = Some(equation("4"));
        })
        .flow("first", "3")
        .flow("second", "3")
        .conveyor_outflow("unloading")
        .build();
    let results = run(&model);
    // A limit of 4 per time unit: first takes its 3, second the 1 left; 4·0.5 = 2 per step
    // enters and leaves two steps later.
    assert_eq!(series(&results, "first"), [3.0; 5]);
    assert_eq!(series(&results, "second"), [1.0; 5]);
    assert_eq!(series(&results, "unloading"), [0.0, 0.0, 4.0, 4.0, 4.0]);
    assert_eq!(series(&results, "Belt"), [0.0, 2.0, 4.0, 4.0, 4.0]);
}

#[test]
fn a_discrete_conveyors_inflow_limit_holds_for_each_time_unit_and_may_fill_in_one_step() {
    let model = ModelBuilder::new(0.0, 2.0, 0.25)
        .stock("Belt", "0", &["loading"], &["unloading"])
        .conveyor("1")
        .conveyor_options(|conveyor| {
            conveyor.discrete = true;
            conveyor.inflow_limit = Some(equation("4"));
        })
        .flow("loading", "10")
        .conveyor_outflow("unloading")
        .build();
    let results = run(&model);
    // 4 may enter per time unit. t=0: nothing yet, room 4/0.25 = 16, so 10 (2.5 enter);
    // t=0.25: 1.5 left, a rate of 6; t=0.5, 0.75: none left. t=1 starts a new unit.
    // (A continuous conveyor would take 4 in every step.)
    let loading = series(&results, "loading");
    assert_eq!(loading, [10.0, 6.0, 0.0, 0.0, 10.0, 6.0, 0.0, 0.0, 10.0]);
    assert_eq!(series(&results, "unloading"), [0.0, 0.0, 0.0, 0.0, 10.0, 6.0, 0.0, 0.0, 10.0]);
}

#[test]
fn linear_leakage_takes_its_fraction_of_what_entered_evenly_over_the_leak_zone() {
    let model = ModelBuilder::new(0.0, 6.0, 1.0)
        .stock("Belt", "0", &["loading"], &["unloading", "spilling"])
        .conveyor("4")
        .flow("loading", "IF TIME < 1 THEN 10 ELSE 0")
        .conveyor_outflow("unloading")
        .leak("spilling", "0.2", 0.0, 0.5)
        .build();
    let results = run(&model);
    // The batch of 10 travels steps 1..4; the zone [0, 0.5] holds the places whose middles
    // (p − ½)/4 are at most 0.5: p = 1, 2. Each leaks 0.2·10/2 = 1; 10 − 2 = 8 reaches the end.
    assert_eq!(series(&results, "spilling"), [0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0]);
    assert_eq!(series(&results, "unloading"), [0.0, 0.0, 0.0, 0.0, 8.0, 0.0, 0.0]);
    assert_eq!(series(&results, "Belt"), [0.0, 10.0, 9.0, 8.0, 8.0, 0.0, 0.0]);
}

#[test]
fn linear_leakage_in_steady_state_matches_stellas_formula() {
    // Stella's steady state: belt = T·inflow − (T/dt − 1)·leakage·dt/2 with
    // leakage = fraction·inflow. With T = 4, dt = 0.5, inflow 10, fraction 0.2:
    // 40 − 7·2·0.25 = 36.5, leakage 2, and 8 reaching the end.
    let model = ModelBuilder::new(0.0, 10.0, 0.5)
        .stock("Belt", "0", &["loading"], &["unloading", "spilling"])
        .conveyor("4")
        .flow("loading", "10")
        .conveyor_outflow("unloading")
        .leak("spilling", "0.2", 0.0, 1.0)
        .build();
    let results = run(&model);
    let last = |name: &str| *series(&results, name).last().expect("a value");
    assert!((last("Belt") - 36.5).abs() < 1e-12, "{}", last("Belt"));
    assert!((last("spilling") - 2.0).abs() < 1e-12);
    assert!((last("unloading") - 8.0).abs() < 1e-12);
}

#[test]
fn exponential_leakage_takes_its_fraction_per_time_unit_of_what_is_on_the_belt() {
    let model = ModelBuilder::new(0.0, 3.0, 0.5)
        .stock("Belt", "0", &["loading"], &["unloading", "spilling"])
        .conveyor("2")
        .conveyor_options(|conveyor| conveyor.exponential_leak = true)
        .flow("loading", "IF TIME < 0.5 THEN 10 ELSE 0")
        .conveyor_outflow("unloading")
        .leak("spilling", "0.1", 0.0, 1.0)
        .build();
    let results = run(&model);
    // A batch of 5 travels 4 steps, losing 0.1·0.5 = 5% of what it holds in each:
    // 0.25 → 4.75, 0.2375 → 4.5125, 0.225625 → 4.286875, 0.21434375 → 4.07253125 (leaves).
    // As rates (÷ 0.5):
    let spilling = series(&results, "spilling");
    assert_close(&spilling, &[0.0, 0.5, 0.475, 0.45125, 0.4286875, 0.0, 0.0]);
    assert_close(&series(&results, "unloading"), &[0.0, 0.0, 0.0, 0.0, 8.1450625, 0.0, 0.0]);
}

#[test]
fn leak_integers_round_each_steps_leak_down_to_a_whole_number() {
    let mut model = ModelBuilder::new(0.0, 3.0, 1.0)
        .stock("Belt", "0", &["loading"], &["unloading", "spilling"])
        .conveyor("2")
        .flow("loading", "IF TIME < 1 THEN 10 ELSE 0")
        .conveyor_outflow("unloading")
        .leak("spilling", "0.5", 0.0, 1.0)
        .build();
    if let Some(leak) = model.variables.iter_mut().find_map(|v| v.leak.as_mut()) {
        leak.integers = true;
    }
    let results = run(&model);
    // 0.5·10 over 2 places is 2.5 a step, rounded down to 2; 10 − 4 = 6 reaches the end.
    assert_eq!(series(&results, "spilling"), [0.0, 2.0, 2.0, 0.0]);
    assert_eq!(series(&results, "unloading"), [0.0, 0.0, 6.0, 0.0]);
}

#[test]
fn an_arrayed_queue_feeds_its_own_conveyor_per_element() {
    let model = ModelBuilder::new(0.0, 3.0, 1.0)
        .dimension("Gate", &["north", "south"])
        .stock("Line", "waiting", &[], &["boarding"])
        .over(&["Gate"])
        .queue()
        .aux("waiting", "0")
        .over(&["Gate"])
        .element(&["north"], "3")
        .element(&["south"], "9")
        .conveyor_outflow("boarding")
        .over(&["Gate"])
        .stock("Belt", "0", &["boarding"], &["landing"])
        .over(&["Gate"])
        .conveyor("1")
        .conveyor_options(|conveyor| {
            conveyor.inflow_limit = Some(equation("4"));
        })
        .conveyor_outflow("landing")
        .over(&["Gate"])
        .build();
    let results = run(&model);
    // North's 3 boards at once; south's 9 boards 4, 4, 1.
    assert_eq!(series(&results, "boarding[north]"), [3.0, 0.0, 0.0, 0.0]);
    assert_eq!(series(&results, "boarding[south]"), [4.0, 4.0, 1.0, 0.0]);
    assert_eq!(series(&results, "landing[south]"), [0.0, 4.0, 4.0, 1.0]);
}

#[test]
fn a_leak_zone_near_the_end_leaks_only_there() {
    let model = ModelBuilder::new(0.0, 5.0, 1.0)
        .stock("Belt", "0", &["loading"], &["unloading", "spilling"])
        .conveyor("4")
        .flow("loading", "IF TIME < 1 THEN 8 ELSE 0")
        .conveyor_outflow("unloading")
        .leak("spilling", "0.5", 0.75, 1.0)
        .build();
    let results = run(&model);
    // Zone [0.75, 1] of 4 places: middles 0.875 only, p = 4; it leaks 0.5·8 = 4 in the step it
    // leaves, and the other 4 reaches the end.
    assert_eq!(series(&results, "spilling"), [0.0, 0.0, 0.0, 0.0, 4.0, 0.0]);
    assert_eq!(series(&results, "unloading"), [0.0, 0.0, 0.0, 0.0, 4.0, 0.0]);
}

#[test]
fn an_arrayed_conveyor_moves_each_element_on_its_own_belt() {
    let model = ModelBuilder::new(0.0, 4.0, 1.0)
        .dimension("Line", &["fast", "slow"])
        .stock("Belt", "0", &["loading"], &["unloading"])
        .over(&["Line"])
        .conveyor("transit")
        .flow("loading", "IF TIME < 1 THEN 10 ELSE 0")
        .over(&["Line"])
        .aux("transit", "0")
        .over(&["Line"])
        .element(&["fast"], "1")
        .element(&["slow"], "3")
        .conveyor_outflow("unloading")
        .over(&["Line"])
        .build();
    let results = run(&model);
    assert_eq!(series(&results, "unloading[fast]"), [0.0, 10.0, 0.0, 0.0, 0.0]);
    assert_eq!(series(&results, "unloading[slow]"), [0.0, 0.0, 0.0, 10.0, 0.0]);
}

#[test]
fn an_arrested_conveyor_stands_still_and_nothing_enters_or_leaves() {
    let model = ModelBuilder::new(0.0, 7.0, 1.0)
        .stock("Belt", "0", &["loading"], &["unloading", "spilling"])
        .conveyor("3")
        .conveyor_options(|conveyor| {
            conveyor.arrest = Some(equation("TIME >= 2 AND TIME < 4"));
        })
        .flow("loading", "IF TIME < 1 THEN 10 ELSE IF TIME < 4 THEN 5 ELSE 0")
        .conveyor_outflow("unloading")
        .leak("spilling", "0.3", 0.0, 1.0)
        .build();
    let results = run(&model);
    // 10 enters during [0, 1], due to leave during [3, 4]; 5 during [1, 2], due during [4, 5].
    // Arrested at t = 2 and 3, the belt stands still for two steps: both leave two steps late,
    // and the 5 per time unit offered during the arrest does not enter. Each batch leaks 0.3 of
    // itself over its 3 moving steps (1 and 0.5 per step), and nothing while arrested:
    // t=1: 10 leaks 1; t=2, 3: arrested; t=4: 10 leaks 1, 5 leaks 0.5; t=5: 10 leaks 1 and its
    // last 7 leaves, 5 leaks 0.5; t=6: 5 leaks 0.5 and its last 3.5 leaves.
    assert_eq!(series(&results, "loading"), [10.0, 5.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
    assert_eq!(series(&results, "spilling"), [0.0, 1.0, 0.0, 0.0, 1.5, 1.5, 0.5, 0.0]);
    assert_eq!(series(&results, "unloading"), [0.0, 0.0, 0.0, 0.0, 0.0, 7.0, 3.5, 0.0]);
    assert_eq!(series(&results, "Belt"), [0.0, 10.0, 14.0, 14.0, 14.0, 12.5, 4.0, 0.0]);
}

#[test]
fn conveyors_are_refused_with_runge_kutta() {
    let model = ModelBuilder::new(0.0, 4.0, 1.0)
        .method(Method::Rk4)
        .stock("Belt", "0", &[], &["unloading"])
        .conveyor("2")
        .conveyor_outflow("unloading")
        .build();
    let errors = fulcrum_model::resolve(&model).expect_err("refused");
    assert!(
        errors.0.iter().any(|d| d.code == Code::Unsupported && d.message.contains("Euler's method only, not rk4")),
        "{errors:?}"
    );
    // RK2 likewise, and a queue as well as a conveyor.
    let model = ModelBuilder::new(0.0, 4.0, 1.0)
        .method(Method::Rk2)
        .stock("Line", "5", &[], &["served"])
        .queue()
        .flow("served", "0")
        .build();
    let errors = fulcrum_model::resolve(&model).expect_err("refused");
    assert!(errors.0.iter().any(|d| d.message.contains("Euler's method only, not rk2")), "{errors:?}");
}

#[test]
fn a_leak_without_a_fraction_is_refused() {
    let mut model = ModelBuilder::new(0.0, 4.0, 1.0)
        .stock("Belt", "0", &[], &["unloading", "spilling"])
        .conveyor("2")
        .conveyor_outflow("unloading")
        .leak("spilling", "0.1", 0.0, 1.0)
        .build();
    if let Some(leak) = model.variables.last_mut().and_then(|v| v.leak.as_mut()) {
        leak.fraction = None;
    }
    let errors = fulcrum_model::resolve(&model).expect_err("refused");
    assert!(errors.0.iter().any(|d| d.code == Code::MissingEquation && d.help.is_some()), "{errors:?}");
}

/// A conveyor with everything: capacity, two inflows, two leaks, a varying transit time, arrests.
fn busy_conveyor(exponential: bool) -> CompiledModel {
    let model = ModelBuilder::new(0.0, 30.0, 0.25)
        .stock("Belt", "initial", &["loading", "topping"], &["unloading", "early", "late"])
        .conveyor("base + 2 * SIN(TIME)")
        .conveyor_options(|conveyor| {
            conveyor.capacity = Some(equation("capacity"));
            conveyor.exponential_leak = exponential;
            conveyor.arrest = Some(equation("SIN(2 * TIME) > 0.9"));
        })
        .flow("loading", "IF TIME < 15 THEN rate * (1 + SIN(3 * TIME)) ELSE 0")
        .flow("topping", "IF TIME < 15 THEN 1 ELSE 0")
        .conveyor_outflow("unloading")
        .leak("early", "fraction", 0.0, 0.3)
        .leak("late", "fraction / 2", 0.6, 1.0)
        .constant("initial", 10.0)
        .constant("base", 3.0)
        .constant("rate", 5.0)
        .constant("fraction", 0.2)
        .constant("capacity", 40.0)
        .build();
    compiled(&model)
}

/// Per lane: every saved value's bits, and (in, out, leaked, last belt) summed over the run.
fn run_lanes<const L: usize>(model: &CompiledModel, parameters: &[[f64; 5]]) -> Vec<(Vec<u64>, [f64; 4])> {
    let variables = model.output_variables();
    let find = |name: &str| model.lookup(name).expect("a variable");
    let ids = [find("loading"), find("topping"), find("unloading"), find("early"), find("late"), find("Belt")];
    let mut batch = model.batch::<L>();
    let constants =
        ["initial", "base", "rate", "fraction", "capacity"].map(|name| model.constant_index(name).expect("a constant"));
    for (lane, values) in parameters.iter().enumerate() {
        for (&constant, value) in constants.iter().zip(values) {
            batch.set(lane, constant, *value);
        }
    }
    let mut kept = vec![(Vec::new(), [0.0; 4]); L];
    let dt = 0.25;
    let mut keep = |point: &Point<'_, L>| {
        for (lane, (bits, totals)) in kept.iter_mut().enumerate() {
            for &variable in &variables {
                bits.push(point.get(variable)[lane].to_bits());
            }
            let value = |index: usize| point.get(ids[index])[lane];
            totals[0] += (value(0) + value(1)) * dt;
            totals[1] += value(2) * dt;
            totals[2] += (value(3) + value(4)) * dt;
            totals[3] = value(5);
            assert!(value(5) > -1e-9 && value(2) >= 0.0 && value(3) >= 0.0 && value(4) >= 0.0);
        }
    };
    batch.run(&mut keep);
    kept.truncate(parameters.len());
    kept
}

fn parameters() -> impl Strategy<Value = [f64; 5]> {
    (0.0f64..50.0, 2.5f64..8.0, 0.0f64..10.0, 0.0f64..1.0, 5.0f64..200.0).prop_map(|(a, b, c, d, e)| [a, b, c, d, e])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// What entered (with the initial contents) is what left, leaked or is still on the belt,
    /// and nothing goes negative.
    #[test]
    fn conveyors_conserve_material(parameters in parameters(), exponential in any::<bool>()) {
        let model = busy_conveyor(exponential);
        let [(_, [entered, left, leaked, belt])] = run_lanes::<1>(&model, &[parameters])[..] else { panic!() };
        let initial = parameters[0];
        let scale = 1.0 + initial + entered;
        prop_assert!((initial + entered - left - leaked - belt).abs() < 1e-9 * scale,
            "in {initial} + {entered}, out {left}, leaked {leaked}, on the belt {belt}");
        // Inflows stop at 15, the longest transit is 10 and arrests (SIN(2t) > 0.9, 14% of the
        // time) add less than 3: by 30 the belt is empty.
        prop_assert!(belt.abs() < 1e-9 * scale, "{belt} left on the belt");
    }

    /// A run's bits do not depend on the lanes beside it.
    #[test]
    fn conveyor_lanes_are_independent(runs in proptest::collection::vec(parameters(), 4), exponential in any::<bool>()) {
        let model = busy_conveyor(exponential);
        let together = run_lanes::<4>(&model, &runs);
        for (lane, parameters) in runs.iter().enumerate() {
            let alone = run_lanes::<1>(&model, &[*parameters]);
            prop_assert_eq!(&together[lane].0, &alone[0].0);
        }
    }
}

#[test]
fn a_queue_into_a_cloud_passes_everything_on_in_the_same_step() {
    let model = ModelBuilder::new(0.0, 2.0, 1.0)
        .stock("Line", "5", &["arriving"], &["leaving"])
        .queue()
        .flow("arriving", "2")
        .conveyor_outflow("leaving")
        .build();
    let results = run(&model);
    // Nothing downstream holds it back: the 5 waiting and the 2 arriving leave at once.
    assert_eq!(series(&results, "leaving"), [7.0, 2.0, 2.0]);
    assert_eq!(series(&results, "Line"), [5.0, 0.0, 0.0]);
}

/// A queue fed `first` then `second` (one step each), boarding a conveyor of transit 2 that
/// takes at most 4 per time unit, with an overflow to a cloud or without.
fn queue_into_conveyor(
    one_at_a_time: bool,
    batch_integrity: bool,
    overflow: bool,
    batches: [f64; 2],
) -> fulcrum_sim::Results {
    let [first, second] = batches;
    let outflows: &[&str] = if overflow { &["boarding", "turned away"] } else { &["boarding"] };
    let mut model = ModelBuilder::new(0.0, 5.0, 1.0)
        .stock("Line", "0", &["arriving"], outflows)
        .queue()
        .flow("arriving", &format!("IF TIME < 1 THEN {first} ELSE IF TIME < 2 THEN {second} ELSE 0"))
        .conveyor_outflow("boarding");
    if overflow {
        model = model.overflow("turned away");
    }
    let model = model
        .stock("Belt", "0", &["boarding"], &["landing"])
        .conveyor("2")
        .conveyor_options(|conveyor| {
            conveyor.inflow_limit = Some(equation("4"));
            conveyor.one_at_a_time = one_at_a_time;
            conveyor.batch_integrity = batch_integrity;
        })
        .conveyor_outflow("landing")
        .build();
    run(&model)
}

#[test]
fn a_queue_boards_a_limited_conveyor_front_batch_first() {
    let results = queue_into_conveyor(true, false, false, [6.0, 3.0]);
    // t=0: the queue is empty, its front is the arriving 6, of which 4 fit; 2 wait.
    // t=1: the front is the 2 left of that batch (the 3 arriving wait behind it).
    // t=2: the 3.
    assert_eq!(series(&results, "boarding"), [4.0, 2.0, 3.0, 0.0, 0.0, 0.0]);
    assert_eq!(series(&results, "Line"), [0.0, 2.0, 3.0, 0.0, 0.0, 0.0]);
    assert_eq!(series(&results, "landing"), [0.0, 0.0, 4.0, 2.0, 3.0, 0.0]);
}

#[test]
fn taking_several_batches_at_a_time_fills_the_limit_from_the_front() {
    let results = queue_into_conveyor(false, false, false, [6.0, 3.0]);
    // t=0: 6 offered, 4 taken; t=1: 2 + 3 offered, 4 taken; t=2: the last 1.
    assert_eq!(series(&results, "boarding"), [4.0, 4.0, 1.0, 0.0, 0.0, 0.0]);
    assert_eq!(series(&results, "Line"), [0.0, 2.0, 1.0, 0.0, 0.0, 0.0]);
}

#[test]
fn a_whole_batch_that_does_not_fit_overflows() {
    let results = queue_into_conveyor(true, true, true, [3.0, 6.0]);
    // t=0: the batch of 3 fits under the limit of 4; t=1: the batch of 6 does not, and batch
    // integrity keeps it whole, so the blocked queue's overflow takes all of it.
    assert_eq!(series(&results, "boarding"), [3.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
    assert_eq!(series(&results, "turned away"), [0.0, 6.0, 0.0, 0.0, 0.0, 0.0]);
    assert_eq!(series(&results, "Line"), [0.0; 6]);
}

#[test]
fn an_overflow_takes_what_the_conveyor_cannot_and_nothing_when_it_takes_the_front_whole() {
    let results = queue_into_conveyor(true, false, true, [6.0, 3.0]);
    // t=0: 4 of the arriving 6 fit: the conveyor is the bottleneck, and the overflow takes the
    // other 2. t=1: the front is the arriving 3, which fits whole: the overflow takes nothing.
    assert_eq!(series(&results, "boarding"), [4.0, 3.0, 0.0, 0.0, 0.0, 0.0]);
    assert_eq!(series(&results, "turned away"), [2.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
    assert_eq!(series(&results, "Line"), [0.0; 6]);
    // The initial 3 at the front fits whole: the 2 arriving behind it wait, nothing overflows.
    let model = ModelBuilder::new(0.0, 3.0, 1.0)
        .stock("Line", "3", &["arriving"], &["boarding", "turned away"])
        .queue()
        .flow("arriving", "IF TIME < 1 THEN 2 ELSE 0")
        .conveyor_outflow("boarding")
        .overflow("turned away")
        .stock("Belt", "0", &["boarding"], &["landing"])
        .conveyor("2")
        .conveyor_options(|conveyor| {
            conveyor.inflow_limit = Some(equation("4"));
        })
        .conveyor_outflow("landing")
        .build();
    let results = run(&model);
    assert_eq!(series(&results, "boarding"), [3.0, 2.0, 0.0, 0.0]);
    assert_eq!(series(&results, "turned away"), [0.0; 4]);
    assert_eq!(series(&results, "Line"), [3.0, 2.0, 0.0, 0.0]);
}

/// A queue holding a batch of 4, fed batches of 3 then 2 (two inflows, in that order) at
/// times 0 and 1, boarding a conveyor of transit 2 that takes at most 6 per time unit.
fn queue_of_batches(one_at_a_time: bool, batch_integrity: bool, overflow: bool) -> fulcrum_sim::Results {
    let outflows: &[&str] = if overflow { &["boarding", "turned away"] } else { &["boarding"] };
    let mut model = ModelBuilder::new(0.0, 5.0, 1.0)
        .stock("Line", "4", &["walking in", "driving in"], outflows)
        .queue()
        .flow("walking in", "IF TIME < 2 THEN 3 ELSE 0")
        .flow("driving in", "IF TIME < 2 THEN 2 ELSE 0")
        .conveyor_outflow("boarding");
    if overflow {
        model = model.overflow("turned away");
    }
    let model = model
        .stock("Belt", "0", &["boarding"], &["landing"])
        .conveyor("2")
        .conveyor_options(|conveyor| {
            conveyor.inflow_limit = Some(equation("6"));
            conveyor.one_at_a_time = one_at_a_time;
            conveyor.batch_integrity = batch_integrity;
        })
        .conveyor_outflow("landing")
        .build();
    run(&model)
}

#[test]
fn several_whole_batches_board_together_up_to_the_first_that_does_not_fit() {
    let results = queue_of_batches(false, true, false);
    // t=0: the line is [4], then 3 and 2 arrive: 4 fits in 6, 4 + 3 does not; [3, 2] wait.
    // t=1: [3, 2], then 3 and 2 arrive: 3 + 2 fits, + 3 does not; [3, 2] wait again.
    // t=2: [3, 2], nothing arrives: both fit. The line: 4, 4 + 5 − 4, 5 + 5 − 5, 5 − 5.
    assert_eq!(series(&results, "boarding"), [4.0, 5.0, 5.0, 0.0, 0.0, 0.0]);
    assert_eq!(series(&results, "Line"), [4.0, 5.0, 5.0, 0.0, 0.0, 0.0]);
    assert_eq!(series(&results, "landing"), [0.0, 0.0, 4.0, 5.0, 5.0, 0.0]);
    // One whole batch at a time instead: 4, 3, 2, 3, 2.
    let one_at_a_time = queue_of_batches(true, true, false);
    assert_eq!(series(&one_at_a_time, "boarding"), [4.0, 3.0, 2.0, 3.0, 2.0, 0.0]);
    // Batches split to fill the limit: 6 of 9, 6 of 3 + 5, the last 2.
    let split = queue_of_batches(false, false, false);
    assert_eq!(series(&split, "boarding"), [6.0, 6.0, 2.0, 0.0, 0.0, 0.0]);
}

#[test]
fn whole_batches_left_behind_go_to_the_overflow() {
    let results = queue_of_batches(false, true, true);
    // t=0: 9 offered (the 4 held, 3 and 2 arriving), 4 board: the conveyor is the bottleneck,
    // so the overflow drains the other 5. t=1: 3 + 2 arrive and both fit: nothing overflows.
    assert_eq!(series(&results, "boarding"), [4.0, 5.0, 0.0, 0.0, 0.0, 0.0]);
    assert_eq!(series(&results, "turned away"), [5.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
    assert_eq!(series(&results, "Line"), [4.0, 0.0, 0.0, 0.0, 0.0, 0.0]);
}

/// A queue fed 6 at time 0 and 3 at time 1, boarding a conveyor that takes at most 4 per time
/// unit (transit 2); its overflow boards a second conveyor that takes at most 1 (transit 1),
/// and, when `turned_away`, a second overflow goes to a cloud.
fn queue_overflowing_into_a_conveyor(turned_away: bool) -> fulcrum_sim::Results {
    let outflows: &[&str] =
        if turned_away { &["boarding", "side boarding", "turned away"] } else { &["boarding", "side boarding"] };
    let limit = |limit: &'static str| {
        move |conveyor: &mut fulcrum_model::Conveyor| {
            conveyor.inflow_limit = Some(equation(limit));
        }
    };
    let mut model = ModelBuilder::new(0.0, 4.0, 1.0)
        .stock("Line", "0", &["arriving"], outflows)
        .queue()
        .flow("arriving", "IF TIME < 1 THEN 6 ELSE IF TIME < 2 THEN 3 ELSE 0")
        .conveyor_outflow("boarding")
        .overflow("side boarding");
    if turned_away {
        model = model.overflow("turned away");
    }
    let model = model
        .stock("Belt", "0", &["boarding"], &["landing"])
        .conveyor("2")
        .conveyor_options(limit("4"))
        .conveyor_outflow("landing")
        .stock("Side belt", "0", &["side boarding"], &["side landing"])
        .conveyor("1")
        .conveyor_options(limit("1"))
        .conveyor_outflow("side landing")
        .build();
    run(&model)
}

#[test]
fn an_overflow_into_a_conveyor_takes_from_the_front_what_the_first_could_not() {
    let results = queue_overflowing_into_a_conveyor(false);
    // t=0: the front is the arriving 6; the belt takes 4 and is blocked, so the overflow is
    // offered the 2 left of that batch and its belt takes 1; 1 waits.
    // t=1: the front is that 1, which the belt takes whole: the overflow takes nothing, and the
    // arriving 3 waits. t=2: the 3.
    assert_eq!(series(&results, "boarding"), [4.0, 1.0, 3.0, 0.0, 0.0]);
    assert_eq!(series(&results, "side boarding"), [1.0, 0.0, 0.0, 0.0, 0.0]);
    assert_eq!(series(&results, "Line"), [0.0, 1.0, 3.0, 0.0, 0.0]);
    assert_eq!(series(&results, "side landing"), [0.0, 1.0, 0.0, 0.0, 0.0]);
    assert_eq!(series(&results, "landing"), [0.0, 0.0, 4.0, 1.0, 3.0]);
}

#[test]
fn a_blocked_overflow_into_a_conveyor_passes_on_to_the_next_overflow() {
    let results = queue_overflowing_into_a_conveyor(true);
    // t=0: 4 board, 1 boards the side belt, which is blocked too (offered 2): the overflow to
    // the cloud drains the rest, 6 − 4 − 1. t=1: the arriving 3 boards whole.
    assert_eq!(series(&results, "boarding"), [4.0, 3.0, 0.0, 0.0, 0.0]);
    assert_eq!(series(&results, "side boarding"), [1.0, 0.0, 0.0, 0.0, 0.0]);
    assert_eq!(series(&results, "turned away"), [1.0, 0.0, 0.0, 0.0, 0.0]);
    assert_eq!(series(&results, "Line"), [0.0; 5]);
}

#[test]
fn a_conveyor_fed_by_a_queue_is_discrete_whatever_its_attribute_says() {
    let model = ModelBuilder::new(0.0, 3.0, 0.5)
        .stock("Line", "10", &[], &["boarding"])
        .queue()
        .conveyor_outflow("boarding")
        .stock("Belt", "0", &["boarding"], &["landing"])
        .conveyor("1")
        .conveyor_options(|conveyor| {
            assert!(!conveyor.discrete);
            conveyor.inflow_limit = Some(equation("4"));
        })
        .conveyor_outflow("landing")
        .build();
    let results = run(&model);
    // XMILE 3.7.2: with a queue upstream the conveyor must be discrete, so its limit of 4 per
    // time unit may be used in one step (a rate of 4 / 0.5): t=0, 1 and 2 take 4 of the batch
    // of 10 (the last time the 2 left), t=0.5 and 1.5 nothing. A continuous belt would take
    // 4 × 0.5 every step instead, a rate of 4.
    assert_eq!(series(&results, "boarding"), [8.0, 0.0, 8.0, 0.0, 4.0, 0.0, 0.0]);
    assert_eq!(series(&results, "Line"), [10.0, 6.0, 6.0, 2.0, 2.0, 0.0, 0.0]);
}

#[test]
fn a_second_queue_outflow_that_is_no_overflow_is_refused() {
    let model = ModelBuilder::new(0.0, 2.0, 1.0)
        .stock("Line", "5", &[], &["leaving", "also leaving"])
        .queue()
        .conveyor_outflow("leaving")
        .conveyor_outflow("also leaving")
        .build();
    let errors = fulcrum_model::resolve(&model).expect_err("refused");
    assert!(errors.0.iter().any(|d| d.code == Code::Unsupported && d.help.is_some()), "{errors:?}");
}

/// A queue with two inflows boarding a limited, arrested, leaking conveyor, with an overflow to
/// a cloud, and with `side_belt` an overflow before it into a second limited conveyor.
fn queue_and_conveyor(one_at_a_time: bool, batch_integrity: bool, side_belt: bool) -> CompiledModel {
    let outflows: &[&str] =
        if side_belt { &["boarding", "side boarding", "turned away"] } else { &["boarding", "turned away"] };
    let options = move |conveyor: &mut fulcrum_model::Conveyor| {
        let equation = |text: &str| Some(equation(text));
        conveyor.capacity = equation("capacity");
        conveyor.inflow_limit = equation("limit");
        conveyor.arrest = equation("SIN(TIME) > 0.95");
        conveyor.one_at_a_time = one_at_a_time;
        conveyor.batch_integrity = batch_integrity;
    };
    let mut model = ModelBuilder::new(0.0, 40.0, 0.5)
        .stock("Line", "waiting", &["walking in", "driving in"], outflows)
        .queue()
        .flow("walking in", "IF TIME < 12 THEN rate * (1 + SIN(TIME)) ELSE 0")
        .flow("driving in", "IF TIME < 12 AND SIN(3 * TIME) > 0 THEN rate ELSE 0")
        .conveyor_outflow("boarding");
    if side_belt {
        model = model
            .overflow("side boarding")
            .stock("Side belt", "0", &["side boarding"], &["side landing"])
            .conveyor("transit / 2")
            .conveyor_options(options)
            .conveyor_outflow("side landing");
    }
    let model = model
        .overflow("turned away")
        .stock("Belt", "0", &["boarding"], &["landing", "falling"])
        .conveyor("transit")
        .conveyor_options(options)
        .conveyor_outflow("landing")
        .leak("falling", "0.1", 0.2, 0.8)
        .constant("waiting", 5.0)
        .constant("rate", 3.0)
        .constant("transit", 4.0)
        .constant("capacity", 20.0)
        .constant("limit", 6.0)
        .build();
    compiled(&model)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Whatever the queue and conveyor settings, neither goes negative, everything that came
    /// in left by one of the outflows, and both are empty once the inflows have long stopped.
    #[test]
    fn queues_feeding_conveyors_conserve_material(
        waiting in 0.0f64..30.0, rate in 0.0f64..10.0, transit in 0.5f64..6.0,
        capacity in 1.0f64..40.0, limit in 0.5f64..10.0,
        one_at_a_time in any::<bool>(), batch_integrity in any::<bool>(), side_belt in any::<bool>(),
    ) {
        let model = queue_and_conveyor(one_at_a_time, batch_integrity, side_belt);
        let mut run = model.new_run();
        for (name, value) in [("waiting", waiting), ("rate", rate), ("transit", transit), ("capacity", capacity), ("limit", limit)] {
            run.set(name, value).expect("a constant");
        }
        let results = run.run().expect("runs");
        let sum = |names: &[&str]| -> f64 { names.iter().map(|name| series(&results, name).iter().sum::<f64>() * 0.5).sum() };
        let entered = waiting + sum(&["walking in", "driving in"]);
        let left = sum(&["landing", "falling", "turned away"]) + if side_belt { sum(&["side landing"]) } else { 0.0 };
        let scale = 1.0 + entered;
        let side: &[&str] = if side_belt { &["Side belt", "side boarding", "side landing"] } else { &[] };
        for &name in ["Line", "Belt", "boarding", "turned away", "landing", "falling"].iter().chain(side) {
            let lowest = series(&results, name).iter().copied().fold(f64::INFINITY, f64::min);
            prop_assert!(lowest > -1e-9 * scale, "{name} reaches {lowest}");
        }
        let line = *series(&results, "Line").last().expect("a value");
        let belt = *series(&results, "Belt").last().expect("a value")
            + if side_belt { *series(&results, "Side belt").last().expect("a value") } else { 0.0 };
        prop_assert!((entered - left - line - belt).abs() < 1e-9 * scale, "in {entered}, out {left}, {line} + {belt} held");
        // Inflows stop at 12; a whole batch too big for the limit or the capacity is turned away,
        // anything smaller boards within a few steps and lands within 6 (plus arrests).
        prop_assert!(line.abs() < 1e-9 * scale && belt.abs() < 1e-9 * scale, "{line} queued, {belt} on the belt");
    }
}

// Spread inflows (Stella's "spreading conveyor inputs", `isee:spreadflow`): position k of a belt
// d steps long is what leaves k steps after the step the inflow is read at.

#[test]
fn an_even_spread_puts_an_equal_share_at_every_position() {
    let model = ModelBuilder::new(0.0, 6.0, 1.0)
        .stock("Belt", "0", &["loading"], &["unloading"])
        .conveyor("3")
        .flow("loading", "IF TIME < 1 THEN 9 ELSE 0")
        .spread(Spread::Even)
        .conveyor_outflow("unloading")
        .build();
    let results = run(&model);
    // 9 enters during [0, 1] as 3 at each of positions 1, 2, 3: 3 leaves during [1, 2], [2, 3]
    // and [3, 4] (at the beginning, all 9 would leave during [3, 4]).
    assert_eq!(series(&results, "unloading"), [0.0, 3.0, 3.0, 3.0, 0.0, 0.0, 0.0]);
    assert_eq!(series(&results, "Belt"), [0.0, 9.0, 6.0, 3.0, 0.0, 0.0, 0.0]);
}

#[test]
fn a_spread_by_destination_follows_what_is_on_the_belt() {
    let model = ModelBuilder::new(0.0, 6.0, 1.0)
        .stock("Belt", "0", &["loading", "topping"], &["unloading"])
        .conveyor("3")
        .flow("loading", "IF TIME < 1 THEN 6 ELSE IF TIME < 2 THEN 3 ELSE 0")
        .flow("topping", "IF TIME >= 2 AND TIME < 3 THEN 3 ELSE 0")
        .spread(Spread::Existing)
        .conveyor_outflow("unloading")
        .build();
    let results = run(&model);
    // At t = 2 the belt holds 6 (leaving during [3, 4]) and 3 (during [4, 5]): the 3 topping
    // brings goes 3·6/9 = 2 to the first and 3·3/9 = 1 to the second.
    assert_eq!(series(&results, "unloading"), [0.0, 0.0, 0.0, 8.0, 4.0, 0.0, 0.0]);
    assert_eq!(series(&results, "Belt"), [0.0, 6.0, 9.0, 12.0, 4.0, 0.0, 0.0]);
}

#[test]
fn a_spread_by_destination_onto_an_empty_belt_enters_at_the_beginning() {
    let model = ModelBuilder::new(0.0, 5.0, 1.0)
        .stock("Belt", "0", &["topping"], &["unloading"])
        .conveyor("2")
        .flow("topping", "IF TIME < 1 THEN 5 ELSE 0")
        .spread(Spread::Existing)
        .conveyor_outflow("unloading")
        .build();
    let results = run(&model);
    assert_eq!(series(&results, "unloading"), [0.0, 0.0, 5.0, 0.0, 0.0, 0.0]);
}

/// A belt 4 steps long loaded by a profile spread: 10 enters during [0, 1], its shares by
/// `profile`, whose points are given by their y over x = 0 and x = 1.
fn profiled_belt(ends: [f64; 2]) -> fulcrum_sim::Results {
    let model = ModelBuilder::new(0.0, 6.0, 1.0)
        .stock("Belt", "0", &["loading"], &["unloading"])
        .conveyor("4")
        .flow("loading", "IF TIME < 1 THEN 10 ELSE 0")
        .spread(Spread::Profile("arrival profile".to_owned()))
        .conveyor_outflow("unloading")
        .graph("arrival profile", GraphKind::Continuous, &[0.0, 1.0], &ends)
        .build();
    run(&model)
}

#[test]
fn a_profile_spread_shares_by_the_profile_read_at_the_journey_still_ahead() {
    let results = profiled_belt([0.0, 1.0]);
    // Position k of 4 is read at x = k/4: 0.25, 0.5, 0.75, 1 give weights 1, 2, 3, 4 of 10, so
    // of the 10, 1 leaves during [1, 2] (one step ahead), 2 during [2, 3], 3 during [3, 4]
    // and 4 during [4, 5] (the whole journey ahead).
    assert_close(&series(&results, "unloading"), &[0.0, 1.0, 2.0, 3.0, 4.0, 0.0, 0.0]);
    assert_close(&series(&results, "Belt"), &[0.0, 10.0, 9.0, 7.0, 4.0, 0.0, 0.0]);
}

#[test]
fn a_profile_read_the_other_way_round_puts_more_near_the_end() {
    let results = profiled_belt([1.0, 0.0]);
    // Weights 0.75, 0.5, 0.25, 0 of 1.5 at positions 1 to 4: 5, 10/3, 5/3 and nothing.
    assert_close(&series(&results, "unloading"), &[0.0, 5.0, 10.0 / 3.0, 5.0 / 3.0, 0.0, 0.0, 0.0]);
}

#[test]
fn a_profile_that_is_zero_along_the_belt_puts_everything_at_the_beginning() {
    let results = profiled_belt([0.0, 0.0]);
    assert_close(&series(&results, "unloading"), &[0.0, 0.0, 0.0, 0.0, 10.0, 0.0, 0.0]);
}

#[test]
fn a_profile_spread_must_name_a_graphical_function() {
    for (profile, expected) in
        [("nowhere", "unknown graphical function `nowhere`"), ("rate", "`rate` is not a graphical function")]
    {
        let model = ModelBuilder::new(0.0, 4.0, 1.0)
            .stock("Belt", "0", &["loading"], &["unloading"])
            .conveyor("2")
            .flow("loading", "rate")
            .spread(Spread::Profile(profile.to_owned()))
            .conveyor_outflow("unloading")
            .constant("rate", 1.0)
            .build();
        let errors = fulcrum_model::resolve(&model).expect_err("refused");
        assert!(
            errors.0.iter().any(|d| d.code == Code::InvalidArgument
                && d.message.contains("`loading`")
                && d.message.contains(expected)
                && d.help.is_some()),
            "{errors:?}"
        );
    }
}

/// A belt leaking into a second belt placed by source, `downstream` time units long.
fn leak_into_a_belt_by_source(downstream: &str) -> fulcrum_sim::Results {
    let model = ModelBuilder::new(0.0, 6.0, 1.0)
        .stock("Belt", "0", &["loading"], &["unloading", "spilling"])
        .conveyor("4")
        .flow("loading", "IF TIME < 1 THEN 10 ELSE 0")
        .conveyor_outflow("unloading")
        .leak("spilling", "0.2", 0.0, 0.5)
        .spread(Spread::Source)
        .stock("Side", "0", &["spilling"], &["side out"])
        .conveyor(downstream)
        .conveyor_outflow("side out")
        .build();
    run(&model)
}

#[test]
fn a_spread_by_source_keeps_the_leaked_material_where_it_was_on_its_journey() {
    let results = leak_into_a_belt_by_source("4");
    // As in `linear_leakage_...`: the batch of 10 leaks 1 during [1, 2] with 3 of its 4 steps
    // still ahead and 1 during [2, 3] with 2 ahead; on a belt as long, both are placed to leave
    // 3 and 2 steps later, during [4, 5], with the 8 that stayed (at the beginning they would
    // leave during [5, 6] and [6, 7]).
    assert_eq!(series(&results, "spilling"), [0.0, 1.0, 1.0, 0.0, 0.0, 0.0, 0.0]);
    assert_eq!(series(&results, "unloading"), [0.0, 0.0, 0.0, 0.0, 8.0, 0.0, 0.0]);
    assert_eq!(series(&results, "side out"), [0.0, 0.0, 0.0, 0.0, 2.0, 0.0, 0.0]);
    assert_eq!(series(&results, "Side"), [0.0, 0.0, 1.0, 2.0, 2.0, 0.0, 0.0]);
}

#[test]
fn a_spread_by_source_scales_the_journey_to_a_shorter_belt() {
    let results = leak_into_a_belt_by_source("2");
    // On a belt 2 steps long: 3/4 ahead is round(1.5) = 2 steps, 2/4 ahead is 1 step; both
    // leave during [3, 4].
    assert_eq!(series(&results, "side out"), [0.0, 0.0, 0.0, 2.0, 0.0, 0.0, 0.0]);
}

#[test]
fn a_spread_by_source_that_is_no_leak_or_a_spread_that_fills_no_conveyor_is_refused() {
    let model = ModelBuilder::new(0.0, 4.0, 1.0)
        .stock("Belt", "0", &["loading"], &["unloading"])
        .conveyor("2")
        .flow("loading", "1")
        .spread(Spread::Source)
        .conveyor_outflow("unloading")
        .build();
    let errors = fulcrum_model::resolve(&model).expect_err("refused");
    assert!(
        errors.0.iter().any(|d| d.code == Code::InvalidValue
            && d.message.contains("`loading`")
            && d.message.contains("not a leak")
            && d.help.is_some()),
        "{errors:?}"
    );
    let model = ModelBuilder::new(0.0, 4.0, 1.0)
        .stock("Tank", "0", &["filling"], &[])
        .flow("filling", "1")
        .spread(Spread::Even)
        .build();
    let errors = fulcrum_model::resolve(&model).expect_err("refused");
    assert!(
        errors.0.iter().any(|d| d.code == Code::InvalidValue && d.message.contains("fills no conveyor")),
        "{errors:?}"
    );
}

/// Two belts: the first with inflows at the beginning, even, by destination and by a profile,
/// a varying transit time and arrests, and two leaks, the first of which fills the second belt
/// by source.
fn spreading_belts(parameters: [f64; 5]) -> fulcrum_sim::Results {
    let [initial, base, rate, fraction, side] = parameters;
    let model = ModelBuilder::new(0.0, 40.0, 0.25)
        .stock("Belt", &initial.to_string(), &["loading", "even", "dest", "profiled"], &["unloading", "early", "late"])
        .conveyor("base + 2 * SIN(TIME)")
        .conveyor_options(|conveyor| conveyor.arrest = Some(equation("SIN(2 * TIME) > 0.9")))
        .flow("loading", "IF TIME < 15 THEN rate * (1 + SIN(3 * TIME)) ELSE 0")
        .flow("even", "IF TIME < 15 THEN rate / 2 ELSE 0")
        .spread(Spread::Even)
        .flow("dest", "IF TIME < 15 THEN 1 + COS(TIME) ELSE 0")
        .spread(Spread::Existing)
        .flow("profiled", "IF TIME < 15 THEN rate / 3 ELSE 0")
        .spread(Spread::Profile("profile".to_owned()))
        .conveyor_outflow("unloading")
        .leak("early", "fraction", 0.0, 0.5)
        .spread(Spread::Source)
        .leak("late", "fraction / 2", 0.6, 1.0)
        .stock("Side", "0", &["early"], &["side out"])
        .conveyor("side_time")
        .conveyor_outflow("side out")
        .constant("base", base)
        .constant("rate", rate)
        .constant("fraction", fraction)
        .constant("side time", side)
        .graph("profile", GraphKind::Continuous, &[0.0, 0.3, 1.0], &[0.0, 2.0, 0.5])
        .build();
    crate::run(&model)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Spreading moves material along the belts but makes and loses none: at every time, what
    /// entered (with the initial contents) is what left, leaked away or is on a belt; nothing
    /// goes negative, and by the end both belts are empty.
    #[test]
    fn spread_inflows_conserve_material(
        initial in 0.0f64..50.0,
        base in 2.5f64..8.0,
        rate in 0.0f64..10.0,
        fraction in 0.0f64..1.0,
        side in 0.25f64..6.0,
    ) {
        let results = spreading_belts([initial, base, rate, fraction, side]);
        let get = |name: &str| series(&results, name);
        let (belt, side_belt) = (get("Belt"), get("Side"));
        let inflows = [get("loading"), get("even"), get("dest"), get("profiled")];
        let outflows = [get("unloading"), get("late"), get("side out")];
        let (mut entered, mut gone) = (initial, 0.0);
        for step in 0..belt.len() {
            let scale = 1.0 + entered;
            let held = belt[step] + side_belt[step];
            prop_assert!((entered - gone - held).abs() < 1e-9 * scale,
                "at step {step}: in {entered}, gone {gone}, on the belts {held}");
            prop_assert!(belt[step] > -1e-9 * scale && side_belt[step] > -1e-9 * scale);
            for flow in inflows.iter().chain(&outflows) {
                prop_assert!(flow[step] >= 0.0);
            }
            entered += inflows.iter().map(|flow| flow[step]).sum::<f64>() * 0.25;
            gone += outflows.iter().map(|flow| flow[step]).sum::<f64>() * 0.25;
        }
        let last = belt.len() - 1;
        prop_assert!((belt[last] + side_belt[last]).abs() < 1e-9 * (1.0 + entered), "left on the belts");
    }
}
