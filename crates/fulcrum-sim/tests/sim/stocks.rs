//! Non-negative stocks, uniflows, and conservation.

use fulcrum_model::Method;
use fulcrum_model::builder::ModelBuilder;
use proptest::prelude::*;

use crate::{run, series};

#[test]
fn a_non_negative_stock_limits_its_outflow_to_what_it_holds() {
    let model = ModelBuilder::new(0.0, 2.0, 0.25)
        .non_negative_stock("Tank", "1", &[], &["drain"])
        .stock("Sump", "0", &["drain"], &[])
        .flow("drain", "10")
        .build();
    let results = run(&model);
    let (tank, sump, drain) = (series(&results, "Tank"), series(&results, "Sump"), series(&results, "drain"));
    // 1 unit over a 0.25 step is a rate of at most 4; after that nothing is left to drain.
    assert_eq!(drain[..3], [4.0, 0.0, 0.0]);
    assert_eq!(tank[..3], [1.0, 0.0, 0.0]);
    assert_eq!(sump[..3], [0.0, 1.0, 1.0]);
}

#[test]
fn inflows_arriving_in_the_step_can_be_drained_and_priority_is_respected() {
    let model = ModelBuilder::new(0.0, 1.0, 1.0)
        .non_negative_stock("S", "2", &["in"], &["first", "second"])
        .flow("in", "3")
        .flow("first", "4")
        .flow("second", "4")
        .build();
    let results = run(&model);
    // Budget 2 + 3 = 5: the first outflow gets its 4, the second the remaining 1.
    assert_eq!(series(&results, "first")[0], 4.0);
    assert_eq!(series(&results, "second")[0], 1.0);
    assert_eq!(series(&results, "S")[1], 0.0);
}

#[test]
fn a_negative_inflow_drains_a_non_negative_stock_only_as_far_as_zero() {
    let model =
        ModelBuilder::new(0.0, 3.0, 1.0).non_negative_stock("S", "5", &["change"], &[]).flow("change", "-3").build();
    let results = run(&model);
    assert_eq!(series(&results, "S"), [5.0, 2.0, 0.0, 0.0]);
    assert_eq!(series(&results, "change"), [-3.0, -2.0, 0.0, 0.0]);
}

#[test]
fn uniflows_never_run_backwards() {
    let model = ModelBuilder::new(0.0, 4.0, 1.0).stock("S", "0", &["f"], &[]).uniflow("f", "TIME - 2").build();
    let results = run(&model);
    assert_eq!(series(&results, "f"), [0.0, 0.0, 0.0, 1.0, 2.0]);
    assert_eq!(series(&results, "S"), [0.0, 0.0, 0.0, 0.0, 1.0]);
}

#[test]
fn without_the_flag_stocks_go_negative() {
    let model = ModelBuilder::new(0.0, 2.0, 1.0).stock("S", "1", &[], &["out"]).flow("out", "3").build();
    assert_eq!(series(&run(&model), "S"), [1.0, -2.0, -5.0]);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Three non-negative stocks trading with each other through biflows that may ask for more
    /// than there is: the total never changes and no stock goes below zero.
    #[test]
    fn a_closed_network_conserves_its_total_and_stays_non_negative(
        initial in prop::array::uniform3(0.0f64..50.0),
        demand in prop::array::uniform3(-20.0f64..40.0),
        rk4 in any::<bool>(),
    ) {
        let model = ModelBuilder::new(0.0, 10.0, 0.5)
            .method(if rk4 { Method::Rk4 } else { Method::Euler })
            .non_negative_stock("A", &initial[0].to_string(), &["ca"], &["ab"])
            .non_negative_stock("B", &initial[1].to_string(), &["ab"], &["bc"])
            .non_negative_stock("C", &initial[2].to_string(), &["bc"], &["ca"])
            .flow("ab", &format!("{} + SIN(TIME) * A", demand[0]))
            .flow("bc", &format!("{} - B / 3", demand[1]))
            .flow("ca", &format!("{} * COS(TIME * 2)", demand[2]))
            .build();
        let results = run(&model);
        let total: f64 = initial.iter().sum();
        let [a, b, c] = ["A", "B", "C"].map(|name| series(&results, name));
        for step in 0..a.len() {
            let sum = a[step] + b[step] + c[step];
            prop_assert!((sum - total).abs() <= 1e-9 * total.max(1.0), "total {sum} vs {total} at step {step}");
            if !rk4 {
                // Euler limits are exact; Runge-Kutta stages can overshoot by rounding only.
                prop_assert!(a[step] >= -1e-9 && b[step] >= -1e-9 && c[step] >= -1e-9, "negative at step {step}");
            }
        }
    }
}
