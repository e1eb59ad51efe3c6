//! Lanes never interact: a batch gives bit-identical results to running each run alone.

use fulcrum_model::Method;
use fulcrum_model::builder::ModelBuilder;
use fulcrum_sim::{CompiledModel, Point};
use proptest::prelude::*;

use crate::compiled;

/// A model with most kinds of instruction: nonlinearity, a lookup, a smooth, a pipeline delay,
/// a non-negative stock, randomness, test inputs, a sample-and-hold and a net present value.
fn busy_model(method: Method) -> CompiledModel {
    let model = ModelBuilder::new(0.0, 20.0, 0.25)
        .method(method)
        .non_negative_stock("Stock", "initial_level", &["inflow"], &["outflow"])
        .flow("inflow", "rate * (1 + STEP(0.5, 5)) + NORMAL(0, noise)")
        .flow("outflow", "Stock / residence * effect(SMTH1(Stock, 3) / 100)")
        .aux("delayed", "DELAY(outflow, 2)")
        .aux("ratio", "SAFEDIV(delayed, Stock)")
        .aux("held", "SAMPLE_IF_TRUE(inflow > rate, Stock, initial_level)")
        .aux("train", "PULSE_TRAIN(2, 1, 3, 15) * ACTIVE_INITIAL(held, 1)")
        .aux("present value", "NPV(outflow, 0.05, 0, 1)")
        .constant("initial_level", 100.0)
        .constant("rate", 10.0)
        .constant("residence", 8.0)
        .constant("noise", 1.0)
        .graph("effect", fulcrum_model::GraphKind::Continuous, &[0.0, 1.0, 2.0], &[0.5, 1.0, 2.5])
        .build();
    compiled(&model)
}

/// Every saved value of every variable, per lane.
fn run_batch<const L: usize>(model: &CompiledModel, parameters: &[[f64; 4]], first_run: u64) -> Vec<Vec<u64>> {
    let variables = model.output_variables();
    let mut batch = model.batch::<L>();
    for (lane, values) in parameters.iter().enumerate() {
        for (constant, value) in values.iter().enumerate() {
            batch.set(lane, constant, *value);
        }
    }
    batch.set_runs(99, std::array::from_fn(|lane| first_run + lane as u64));
    let mut kept = vec![Vec::new(); L];
    let mut keep = |point: &Point<'_, L>| {
        for &variable in &variables {
            for (lane, values) in kept.iter_mut().enumerate() {
                values.push(point.get(variable)[lane].to_bits());
            }
        }
    };
    batch.run(&mut keep);
    kept.truncate(parameters.len());
    kept
}

fn parameters() -> impl Strategy<Value = [f64; 4]> {
    (1.0f64..500.0, 0.0f64..30.0, 1.0f64..20.0, 0.0f64..5.0).prop_map(|(a, b, c, d)| [a, b, c, d])
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn batches_equal_single_runs_bit_for_bit(runs in prop::collection::vec(parameters(), 16), rk4 in any::<bool>()) {
        let model = busy_model(if rk4 { Method::Rk4 } else { Method::Euler });
        let together = run_batch::<16>(&model, &runs, 0);
        for (index, run) in runs.iter().enumerate() {
            let alone = run_batch::<1>(&model, std::slice::from_ref(run), index as u64);
            prop_assert_eq!(&alone[0], &together[index], "run {}", index);
        }
        // Other lane counts, and the same runs in a different grouping.
        let in_fours: Vec<Vec<u64>> =
            runs.chunks(4).enumerate().flat_map(|(chunk, four)| run_batch::<4>(&model, four, chunk as u64 * 4)).collect();
        prop_assert_eq!(&in_fours, &together);
        let wide = run_batch::<64>(&model, &runs, 0);
        prop_assert_eq!(&wide, &together);
    }
}

#[test]
fn a_failing_lane_does_not_disturb_the_others() {
    let model = ModelBuilder::new(0.0, 10.0, 1.0)
        .stock("S", "1", &["in"], &[])
        .flow("in", "S / (divisor - TIME)")
        .constant("divisor", 100.0)
        .build();
    let model = compiled(&model);
    let healthy = run_batch::<1>(&model, &[[100.0, 0.0, 0.0, 0.0]], 0);
    let mut batch = model.batch::<4>();
    batch.set(2, 0, 4.0);
    let mut lanes = vec![Vec::new(); 4];
    let variables = model.output_variables();
    let mut keep = |point: &Point<'_, 4>| {
        for &variable in &variables {
            for (lane, values) in lanes.iter_mut().enumerate() {
                values.push(point.get(variable)[lane].to_bits());
            }
        }
    };
    let failures = batch.run(&mut keep).clone();
    assert!(failures[2].is_some());
    for lane in [0, 1, 3] {
        assert!(failures[lane].is_none());
        assert_eq!(lanes[lane], healthy[0]);
    }
}
