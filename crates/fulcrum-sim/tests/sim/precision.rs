//! Single precision, Vensim's arithmetic: every stored value and every result is a float32.

use fulcrum_model::builder::ModelBuilder;
use fulcrum_model::{Method, Precision};
use proptest::prelude::*;

use crate::{compiled, run};

/// `a + b`, `a - b`, `a * b`, `a / b` and `SQRT(a)` over the constants `a` and `b`, and a stock
/// that each step adds `a * b` to what it holds, starting from `b`.
fn arithmetic(precision: Precision) -> fulcrum_sim::CompiledModel {
    let model = ModelBuilder::new(0.0, 3.0, 1.0)
        .precision(precision)
        .constant("a", 1.0)
        .constant("b", 1.0)
        .aux("sum", "a + b")
        .aux("difference", "a - b")
        .aux("product", "a * b")
        .aux("quotient", "a / b")
        .aux("root", "SQRT(ABS(a))")
        .stock("Level", "b", &["growth"], &[])
        .flow("growth", "a * b")
        .build();
    compiled(&model)
}

/// A float32 that is finite and not tiny, so that sums and products stay finite and normal.
fn float32() -> impl Strategy<Value = f32> {
    (-1e15f32..1e15f32).prop_filter("not tiny", |x| x.abs() > 1e-15)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    /// Rounding the double result of `+ − × ÷ √` on two float32s to float32 is the float32
    /// result: a single-precision run computes exactly what Rust's `f32` arithmetic does, and
    /// its Euler step is `level + dt × rate` with each operation in `f32`.
    #[test]
    fn single_precision_arithmetic_is_float32_arithmetic(a in float32(), b in float32()) {
        let model = arithmetic(Precision::Single);
        let mut run = model.new_run();
        run.set("a", f64::from(a)).unwrap();
        run.set("b", f64::from(b)).unwrap();
        let results = run.run().unwrap();
        let first = |name: &str| results.series(name).unwrap()[0];
        prop_assert_eq!(first("sum").to_bits(), f64::from(a + b).to_bits());
        prop_assert_eq!(first("difference").to_bits(), f64::from(a - b).to_bits());
        prop_assert_eq!(first("product").to_bits(), f64::from(a * b).to_bits());
        prop_assert_eq!(first("quotient").to_bits(), f64::from(a / b).to_bits());
        prop_assert_eq!(first("root").to_bits(), f64::from(a.abs().sqrt()).to_bits());
        let mut level = b;
        for (step, value) in results.series("Level").unwrap().iter().enumerate() {
            prop_assert_eq!(value.to_bits(), f64::from(level).to_bits(), "step {}", step);
            level += 1.0f32 * (a * b);
        }
    }

    /// A constant set to a double that is no float32 is read as the nearest float32.
    #[test]
    fn single_precision_constants_are_float32(a in -1e6f64..1e6) {
        let model = arithmetic(Precision::Single);
        let mut run = model.new_run();
        run.set("a", a).unwrap();
        let results = run.run().unwrap();
        prop_assert_eq!(results.series("product").unwrap()[0].to_bits(), f64::from(a as f32).to_bits());
    }
}

/// Ten steps adding 0.1 to a stock. In double precision the sum is 1 − 2⁻⁵³ (0.9999999999999999,
/// the well-known `0.1 + 0.1 + ...`). In single precision 0.1 is 13421773 × 2⁻²⁷, about 1.5e-9 too
/// much; each sum is rounded to 24 bits, and the ten additions end one unit in the last place
/// above 1: 1 + 2⁻²³ (1.0000001192092896), the value Vensim prints as 1.
#[test]
fn a_tenth_added_ten_times_is_one_ulp_above_one_in_single_precision() {
    let model = |precision| {
        ModelBuilder::new(0.0, 10.0, 1.0)
            .precision(precision)
            .stock("Total", "0", &["adding"], &[])
            .flow("adding", "0.1")
            .build()
    };
    let double = run(&model(Precision::Double));
    let single = run(&model(Precision::Single));
    assert_eq!(double.series("Total").unwrap()[10], 1.0 - 2f64.powi(-53));
    assert_eq!(single.series("Total").unwrap()[10], 1.0 + 2f64.powi(-23));
    // The third step already shows it: 0.3 in float32 is 0.30000001192092896.
    assert_eq!(single.series("Total").unwrap()[3], f64::from(0.3f32));
    assert_eq!(single.series("adding").unwrap()[0], f64::from(0.1f32));
}

/// Every value of a single-precision run is a float32, whatever the instruction or the
/// integration method: stocks, functions, lookups, delays and the clock.
#[test]
fn every_value_of_a_single_precision_run_is_a_float32() {
    for method in [Method::Euler, Method::Rk2, Method::Rk4] {
        let model = ModelBuilder::new(0.0, 5.0, 0.1)
            .method(method)
            .precision(Precision::Single)
            .stock("Stock", "100 / 3", &["inflow"], &["outflow"])
            .flow("inflow", "EXP(-TIME / 7) + SIN(TIME) + effect(Stock / 40)")
            .flow("outflow", "Stock / 9 + DELAY(inflow, 0.7) / 11")
            .aux("smoothed", "SMTH1(outflow, 1.3)")
            .aux("power", "Stock ^ 1.1 + LN(Stock)")
            .aux("clock", "TIME")
            .aux("step", "DT")
            .graph("effect", fulcrum_model::GraphKind::Continuous, &[0.0, 1.0, 2.0], &[0.5, 1.0, 2.5])
            .build();
        let results = run(&model);
        for (column, name) in results.names().iter().enumerate() {
            for (row, value) in results.column(column).iter().enumerate() {
                assert_eq!(f64::from(*value as f32).to_bits(), value.to_bits(), "{method:?}: {name} at row {row}");
            }
        }
        assert_eq!(results.series("step").unwrap()[0], f64::from(0.1f32));
    }
}

/// Double precision stays the default and gives double results.
#[test]
fn double_precision_is_the_default() {
    let model = ModelBuilder::new(0.0, 1.0, 1.0).aux("third", "1 / 3").build();
    assert_eq!(model.sim.precision, Precision::Double);
    let compiled = compiled(&model);
    assert_eq!(compiled.precision(), Precision::Double);
    assert_eq!(compiled.new_run().run().unwrap().series("third").unwrap()[0], 1.0 / 3.0);
}
