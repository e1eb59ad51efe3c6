//! Time settings computed during the run (Vensim's FINAL TIME, TIME STEP and SAVEPER written as
//! equations that change): each run, and each lane of a batch, follows its own time axis.
//! Expected values are worked out by hand in the comments.

use fulcrum_model::builder::ModelBuilder;
use fulcrum_model::{Method, Model};
use fulcrum_sim::{Point, SimError};
use proptest::prelude::*;

use crate::{compiled, run, series};

/// A model whose settings `stop`, `dt` and `save_step` are read from the named variables.
fn computing(mut model: Model, stop: Option<&str>, dt: Option<&str>, save_step: Option<&str>) -> Model {
    model.sim.computed.stop = stop.map(str::to_owned);
    model.sim.computed.dt = dt.map(str::to_owned);
    model.sim.computed.save_step = save_step.map(str::to_owned);
    model
}

#[test]
fn a_time_step_that_halves_at_time_two_steps_by_halves_from_there() {
    // S' = Time, S(0) = 0, Euler; dt 1 before time 2, 0.5 from it:
    // S(1) = 0 + 1·0 = 0, S(2) = 0 + 1·1 = 1, S(2.5) = 1 + 0.5·2 = 2, S(3) = 2 + 0.5·2.5 = 3.25,
    // S(3.5) = 3.25 + 0.5·3 = 4.75, S(4) = 4.75 + 0.5·3.5 = 6.5.
    let model = ModelBuilder::new(0.0, 4.0, 1.0)
        .stock("S", "0", &["inflow"], &[])
        .flow("inflow", "TIME")
        .aux("step", "IF TIME < 2 THEN 1 ELSE 0.5")
        .build();
    let results = run(&computing(model, None, Some("step"), None));
    assert_eq!(results.times(), [0.0, 1.0, 2.0, 2.5, 3.0, 3.5, 4.0]);
    assert_eq!(series(&results, "S"), [0.0, 0.0, 1.0, 2.0, 3.25, 4.75, 6.5]);
    assert_eq!(series(&results, "step"), [1.0, 1.0, 0.5, 0.5, 0.5, 0.5, 0.5]);
}

#[test]
fn a_stop_time_reached_by_a_condition_ends_the_run_there() {
    // S' = 3, S(0) = 0: S = 3t passes 10 at t = 4 (12), when the stop time becomes the time.
    let model = ModelBuilder::new(0.0, 100.0, 1.0)
        .stock("S", "0", &["inflow"], &[])
        .flow("inflow", "3")
        .aux("end", "IF S > 10 THEN TIME ELSE 100")
        .build();
    let results = run(&computing(model, Some("end"), None, None));
    assert_eq!(results.times(), [0.0, 1.0, 2.0, 3.0, 4.0]);
    assert_eq!(series(&results, "S"), [0.0, 3.0, 6.0, 9.0, 12.0]);
    assert_eq!(series(&results, "end"), [100.0, 100.0, 100.0, 100.0, 4.0]);
}

#[test]
fn a_save_interval_that_changes_saves_from_the_last_saved_time() {
    // dt 1 to 12; the interval is 2 before time 4 and 3 from it: saved at 0 (next 2), 2 (next
    // 4), 4 (next 7), 7 (next 10), 10 (next 13), and the last time, 12.
    let model = ModelBuilder::new(0.0, 12.0, 1.0)
        .stock("S", "0", &["inflow"], &[])
        .flow("inflow", "1")
        .aux("every", "IF TIME < 4 THEN 2 ELSE 3")
        .build();
    let results = run(&computing(model, None, None, Some("every")));
    assert_eq!(results.times(), [0.0, 2.0, 4.0, 7.0, 10.0, 12.0]);
    assert_eq!(series(&results, "S"), [0.0, 2.0, 4.0, 7.0, 10.0, 12.0]);
}

#[test]
fn each_lane_of_a_batch_follows_its_own_stop_time() {
    // The stop time is a constant each lane sets: lane 0 stops at 3, lane 1 at 5, lane 2 at
    // 4.5 (its last time is 4: one more step would pass it). Each lane's saved points are its own
    // run's, and a lane that has ended is left out.
    let model = ModelBuilder::new(0.0, 100.0, 1.0)
        .stock("S", "1", &["growth"], &[])
        .flow("growth", "S * 0.5")
        .constant("end", 100.0)
        .build();
    let model = compiled(&computing(model, Some("end"), None, None));
    let end = model.constant_index("end").expect("a constant");
    let stock = model.lookup("S").expect("a variable");
    let mut batch = model.batch::<4>();
    for (lane, stop) in [3.0, 5.0, 4.5, 2.0].into_iter().enumerate() {
        batch.set(lane, end, stop);
    }
    let mut seen: [Vec<(usize, f64, f64)>; 4] = Default::default();
    let mut record = |point: &Point<'_, 4>| {
        for (lane, seen) in seen.iter_mut().enumerate() {
            if let (true, Some(saved)) = (point.lane_running(lane), point.lane_saved(lane)) {
                seen.push((saved, point.lane_time(lane), point.get(stock)[lane]));
            }
        }
    };
    let failures = batch.run(&mut record).clone();
    assert!(failures.iter().all(Option::is_none));
    for (lane, stop) in [3.0, 5.0, 4.5, 2.0].into_iter().enumerate() {
        let mut alone = model.new_run();
        alone.set("end", stop).expect("a constant");
        let results = alone.run_keeping(&[stock]).expect("runs");
        let expected: Vec<(usize, f64, f64)> =
            results.times().iter().zip(results.column(0)).enumerate().map(|(i, (&t, &s))| (i, t, s)).collect();
        assert_eq!(seen[lane], expected, "lane {lane}");
    }
    let last_times: Vec<f64> = seen.iter().map(|points| points.last().expect("saved").1).collect();
    assert_eq!(last_times, [3.0, 5.0, 4.0, 2.0]);
    // Euler at dt 1: S(n) = 1.5^n.
    assert_eq!(seen[1].last().expect("saved").2, 1.5f64.powi(5));
}

#[test]
fn a_time_step_that_reaches_zero_stops_the_run_naming_it() {
    let model = ModelBuilder::new(0.0, 10.0, 1.0)
        .stock("S", "0", &["inflow"], &[])
        .flow("inflow", "1")
        .aux("step", "IF TIME < 3 THEN 1 ELSE 0")
        .build();
    let error = compiled(&computing(model, None, Some("step"), None)).new_run().run().expect_err("dt 0");
    let SimError::NonFinite(failure) = error else { panic!("a failure, not {error:?}") };
    assert_eq!((failure.name.as_str(), failure.time, failure.value), ("step", 3.0, 0.0));
    assert!(failure.to_string().contains("not a usable time setting"), "{failure}");
}

#[test]
fn a_constant_changed_part_way_is_refused_when_the_time_axis_is_computed() {
    let model = ModelBuilder::new(0.0, 10.0, 1.0)
        .stock("S", "0", &["inflow"], &[])
        .flow("inflow", "rate")
        .constant("rate", 1.0)
        .aux("end", "10 + 0 * TIME")
        .build();
    let resolved = fulcrum_model::resolve(&computing(model, Some("end"), None, None)).expect("valid");
    let rate = resolved.lookup("rate").expect("a constant");
    let options = fulcrum_sim::CompileOptions { changing_constants: vec![rate], needed: None };
    let model = fulcrum_sim::compile_with(&resolved, &options).expect("compiles");
    let mut run = model.new_run();
    assert!(matches!(run.set_from("rate", 5.0, 2.0), Err(SimError::ChangeWithComputedTime(name)) if name == "rate"));
    // From the start is not part-way.
    run.set_from("rate", 0.0, 2.0).expect("from the start");
}

/// The settings are numbers, or equations that give the same numbers at every step (they read
/// `TIME`, so nothing folds them before the run).
fn settings_model(method: Method, stop: f64, dt: f64, save_every: u32, as_equations: bool) -> Model {
    let save = dt * f64::from(save_every);
    let builder = ModelBuilder::new(0.0, stop, dt)
        .method(method)
        .save_step(save)
        .stock("Population", "10", &["births"], &["deaths"])
        .flow("births", "Population * fertility * (1 - Population / capacity) + STEP(2, 3) + PULSE(1, 1, 2)")
        .flow("deaths", "SMTH1(Population, 2) * 0.05")
        .aux("elapsed share", "TIME / STOPTIME")
        .aux("per step", "births * DT")
        .constant("fertility", 0.3)
        .constant("capacity", 500.0);
    if !as_equations {
        return builder.build();
    }
    let model = builder
        .aux("final time", &format!("{} + 0 * TIME", fulcrum_model::syntax::format_number(stop)))
        .aux("time step", &format!("{} + 0 * TIME", fulcrum_model::syntax::format_number(dt)))
        .aux("save interval", &format!("{} + 0 * TIME", fulcrum_model::syntax::format_number(save)))
        .build();
    computing(model, Some("final time"), Some("time step"), Some("save interval"))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Constant time settings written as equations run on the computed path and give the same
    /// saved times and values, bit for bit, as the same settings written as numbers.
    #[test]
    fn constant_settings_written_as_equations_give_the_same_bits(
        method in prop_oneof![Just(Method::Euler), Just(Method::Rk2), Just(Method::Rk4)],
        dt in prop_oneof![Just(1.0), Just(0.5), Just(0.25), Just(0.125), Just(0.1), Just(0.2)],
        stop in prop_oneof![Just(10.0), Just(12.5), Just(7.0), Just(20.0)],
        save_every in 1u32..4,
    ) {
        let numbers = run(&settings_model(method, stop, dt, save_every, false));
        let equations = compiled(&settings_model(method, stop, dt, save_every, true));
        prop_assert!(equations.time_is_computed());
        let equations = equations.new_run().run().expect("runs");
        let bits = |values: &[f64]| values.iter().map(|v| v.to_bits()).collect::<Vec<_>>();
        prop_assert_eq!(bits(numbers.times()), bits(equations.times()));
        for name in numbers.names() {
            prop_assert_eq!(bits(&series(&numbers, name)), bits(&series(&equations, name)), "{}", name);
        }
    }
}

/// Single precision holds on the computed axis too: with a time step that changes from 0.1 to
/// 0.05 (neither a float32 exactly), every stored value is a float32, under each method.
#[test]
fn a_single_precision_run_on_a_computed_axis_stores_float32_values() {
    for method in [Method::Euler, Method::Rk2, Method::Rk4] {
        let model = ModelBuilder::new(0.0, 1.0, 0.1)
            .method(method)
            .precision(fulcrum_model::Precision::Single)
            .stock("S", "1 / 3", &["inflow"], &[])
            .flow("inflow", "S / 7 + TIME")
            .aux("step", "IF TIME < 0.5 THEN 0.1 ELSE 0.05")
            .build();
        let results = run(&computing(model, None, Some("step"), None));
        for (column, name) in results.names().iter().enumerate() {
            for (row, value) in results.column(column).iter().enumerate() {
                assert_eq!(f64::from(*value as f32).to_bits(), value.to_bits(), "{method:?}: {name} at row {row}");
            }
        }
        assert!(results.times().len() > 11, "{method:?}: the step halved, so there are more rows");
    }
}
