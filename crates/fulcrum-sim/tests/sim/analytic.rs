//! Analytic solutions: exact Euler recurrences, and error shrinking at each method's order.

use fulcrum_model::Method;
use fulcrum_model::builder::ModelBuilder;
use proptest::prelude::*;

use crate::{run, series};

fn decay(k: f64, initial: f64, dt: f64, method: Method) -> f64 {
    let model = ModelBuilder::new(0.0, 8.0, dt)
        .method(method)
        .stock("S", &initial.to_string(), &[], &["out"])
        .flow("out", "k * S")
        .constant("k", k)
        .build();
    *series(&run(&model), "S").last().expect("saved")
}

/// The largest error over the whole run, against the analytic solution, saved every time unit.
/// (The error at one time can pass through zero for some parameters; the largest cannot.)
fn logistic(r: f64, capacity: f64, initial: f64, dt: f64, method: Method) -> f64 {
    let model = ModelBuilder::new(0.0, 10.0, dt)
        .method(method)
        .save_step(1.0)
        .stock("P", &initial.to_string(), &["growth"], &[])
        .flow("growth", "r * P * (1 - P / K)")
        .constant("r", r)
        .constant("K", capacity)
        .build();
    let exact = |t: f64| capacity / (1.0 + (capacity - initial) / initial * (-r * t).exp());
    series(&run(&model), "P").iter().enumerate().map(|(t, p)| (p - exact(t as f64)).abs()).fold(0.0, f64::max)
}

/// Error at dt divided by error at dt/2.
fn error_ratio(exact: f64, at: impl Fn(f64) -> f64, dt: f64) -> f64 {
    (at(dt) - exact).abs() / (at(dt / 2.0) - exact).abs()
}

#[test]
fn euler_follows_the_vensim_and_stella_recurrence_exactly() {
    // stock(t + dt) = stock(t) + dt * net_flow(t): for decay, S_n = S_0 (1 - k dt)^n.
    let model = ModelBuilder::new(0.0, 5.0, 0.25).stock("S", "100", &[], &["out"]).flow("out", "0.3 * S").build();
    let values = series(&run(&model), "S");
    let mut expected = 100.0;
    for value in values {
        assert_eq!(value, expected);
        expected += 0.25 * -(0.3 * expected);
    }
}

#[test]
fn every_method_is_exact_for_a_constant_rate() {
    for method in [Method::Euler, Method::Rk2, Method::Rk4] {
        let model =
            ModelBuilder::new(0.0, 10.0, 0.5).method(method).stock("S", "3", &["in"], &[]).flow("in", "2").build();
        let values = series(&run(&model), "S");
        for (step, value) in values.iter().enumerate() {
            assert!((value - (3.0 + step as f64)).abs() < 1e-12, "{method:?} at {step}: {value}");
        }
    }
}

#[test]
fn runge_kutta_is_exact_for_polynomials_of_its_order() {
    // dS/dt = t^2 (through RAMP-free TIME): RK4 (Simpson) integrates it exactly, RK2 does not.
    let model = |method| {
        ModelBuilder::new(0.0, 4.0, 0.5).method(method).stock("S", "0", &["in"], &[]).flow("in", "TIME * TIME").build()
    };
    let rk4 = series(&run(&model(Method::Rk4)), "S");
    assert!((rk4.last().expect("saved") - 64.0 / 3.0).abs() < 1e-12);
    let rk2 = series(&run(&model(Method::Rk2)), "S");
    assert!((rk2.last().expect("saved") - 64.0 / 3.0).abs() > 1e-3);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn decay_error_shrinks_at_each_methods_order(k in 0.05f64..0.8, initial in 1.0f64..1000.0) {
        let exact = initial * (-k * 8.0).exp();
        let euler = error_ratio(exact, |dt| decay(k, initial, dt, Method::Euler), 0.125);
        let rk2 = error_ratio(exact, |dt| decay(k, initial, dt, Method::Rk2), 0.125);
        let rk4 = error_ratio(exact, |dt| decay(k, initial, dt, Method::Rk4), 0.25);
        prop_assert!((1.8..2.2).contains(&euler), "Euler ratio {euler}");
        prop_assert!((3.6..4.4).contains(&rk2), "RK2 ratio {rk2}");
        prop_assert!((14.0..18.0).contains(&rk4), "RK4 ratio {rk4}");
    }

    #[test]
    fn logistic_error_shrinks_at_each_methods_order(r in 0.2f64..1.0, capacity in 100.0f64..1000.0, share in 0.01f64..0.5) {
        let initial = capacity * share;
        let euler = error_ratio(0.0, |dt| logistic(r, capacity, initial, dt, Method::Euler), 0.0625);
        let rk4 = error_ratio(0.0, |dt| logistic(r, capacity, initial, dt, Method::Rk4), 0.25);
        prop_assert!((1.7..2.3).contains(&euler), "Euler ratio {euler}");
        prop_assert!((13.0..19.0).contains(&rk4), "RK4 ratio {rk4}");
    }
}
