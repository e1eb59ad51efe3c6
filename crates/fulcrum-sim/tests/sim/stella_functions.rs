//! Stella's financial and statistical functions (FV, PV, PMT, NPV with two or three arguments,
//! NORMALCDF, INVNORM, GEOMETRIC, NEGBINOMIAL, LOGISTIC, PARETO) and the optional trailing
//! arguments of its random functions (seed, min, max, sample), against closed forms worked out by
//! hand and the moments of seeded draws.

use fulcrum_model::builder::ModelBuilder;

use crate::{compiled, run, series};

/// The first saved value of each of these equations, in a one-step model.
fn values(equations: &[&str]) -> Vec<f64> {
    let mut builder = ModelBuilder::new(0.0, 1.0, 1.0);
    for (index, equation) in equations.iter().enumerate() {
        builder = builder.aux(&format!("v{index}"), equation);
    }
    let results = run(&builder.build());
    (0..equations.len()).map(|index| series(&results, &format!("v{index}"))[0]).collect()
}

fn assert_close(got: f64, expected: f64, tolerance: f64, what: &str) {
    assert!((got - expected).abs() <= tolerance * expected.abs().max(1.0), "{what}: {got}, expected {expected}");
}

#[test]
fn fv_pv_and_pmt_follow_the_annuity_formulas() {
    // 1.05^10 = 1.628894626777442, so the annuity factor (1.05^10 - 1) / 0.05 = 12.57789253554884.
    // FV of 10 payments of 100 paid out (-100): 100 × 12.5779 = 1257.789253554884; paid at the
    // start of each period (type 1), 1.05 times that. PV: 1257.789 / 1.628895 = 772.1734929184817.
    // PMT on a loan of 1000 received: -1000 × 1.628895 / 12.5779 = -129.50457496545664.
    let got = values(&[
        "FV(0.05, 10, -100)",
        "FV(0.05, 10, -100, 0, 1)",
        "PV(0.05, 10, -100)",
        "PMT(0.05, 10, 1000)",
        // A present value of -1000 grows to 1628.89 less the payments' 1257.79 of future value.
        "FV(0.05, 10, 100, -1000)",
        // At a rate of 0 the annuity factor is the number of periods.
        "FV(0, 10, -100, -50)",
        "PV(0, 12, -10)",
        "PMT(0, 4, 100)",
    ]);
    let expected = [
        1257.789253554884,
        1320.6787162326282,
        772.1734929184817,
        -129.50457496545664,
        1628.894626777442 - 1257.789253554884,
        1050.0,
        120.0,
        -25.0,
    ];
    for (index, (got, expected)) in got.into_iter().zip(expected).enumerate() {
        assert_close(got, expected, 1e-12, &format!("case {index}"));
    }
}

#[test]
fn pv_undoes_pmt_and_fv_undoes_pv() {
    // A loan of 2500 at 0.7% a period over 36 periods, with 400 left at the end, paid at the start
    // of each period: the payment PMT finds has the present value 2500 again, and the future value
    // of the loan with that payment is the 400 left (with the sign of money received).
    let got = values(&[
        "PV(0.007, 36, PMT(0.007, 36, 2500, -400, 1), -400, 1)",
        "FV(0.007, 36, PMT(0.007, 36, 2500, -400, 1), 2500, 1)",
    ]);
    assert_close(got[0], 2500.0, 1e-12, "PV of PMT");
    assert_close(got[1], -400.0, 1e-12, "FV of the loan");
}

#[test]
fn normalcdf_is_the_probability_between_two_values() {
    let got = values(&[
        "NORMALCDF(-1, 1)",
        "NORMALCDF(-1.96, 1.96)",
        "NORMALCDF(-INF, 0)",
        // The same one-sd band around a mean of 100 with sd 10.
        "NORMALCDF(90, 110, 100, 10)",
        // Far in the tail: Φ(-10) = 7.619853024160527e-24, kept to its last digits.
        "NORMALCDF(-INF, -10)",
        "NORMALCDF(1, -1)",
    ]);
    let expected = [0.6826894921370859, 0.9500042097035593, 0.5, 0.6826894921370859, 7.619853024160527e-24];
    for (index, expected) in expected.into_iter().enumerate() {
        assert_close(got[index], expected, 1e-14, &format!("case {index}"));
    }
    assert_eq!(got[5], -got[0], "reversed bounds give the negative");
}

#[test]
fn invnorm_inverts_normalcdf() {
    let got = values(&["INVNORM(0.975)", "INVNORM(0.5, 3, 2)", "INVNORM(0.025, 100, 10)"]);
    assert_close(got[0], 1.9599639845400536, 1e-14, "INVNORM(0.975)");
    assert_eq!(got[1], 3.0);
    assert_close(got[2], 100.0 - 19.599639845400536, 1e-14, "INVNORM(0.025, 100, 10)");
    // INVNORM(NORMALCDF(-INF, x)) = x, from the far lower tail to above the mean. (Far in the
    // upper tail a probability's last bit moves its quantile by more than 1e-12: at x = 6,
    // 1.1e-16 / φ(6) = 2e-8.)
    for x in [-8.0, -3.5, -1.0, -0.1, 0.0, 0.3, 1.0, 2.5] {
        let equation = format!("INVNORM(NORMALCDF(-INF, {x}))");
        let got = values(&[&equation])[0];
        assert!((got - x).abs() < 1e-12 * x.abs().max(1.0), "{equation}: {got}");
    }
}

#[test]
fn invnorm_of_a_probability_outside_0_to_1_stops_the_run() {
    let model = ModelBuilder::new(0.0, 1.0, 1.0).aux("z", "INVNORM(1.5)").build();
    let error = compiled(&model).new_run().run().expect_err("no quantile above 1");
    assert!(format!("{error}").contains('z'), "{error}");
}

fn mean_and_sd(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, variance.sqrt())
}

/// 40,000 draws of the equation, one per step, from the run's stream.
fn draws(equation: &str) -> Vec<f64> {
    let count = 40_000;
    let model = ModelBuilder::new(0.0, (count - 1) as f64, 1.0).aux("y", equation).build();
    series(&run(&model), "y")
}

fn assert_moments(equation: &str, mean: f64, sd: f64) -> Vec<f64> {
    let sample = draws(equation);
    let (sample_mean, sample_sd) = mean_and_sd(&sample);
    let standard_error = sd / (sample.len() as f64).sqrt();
    assert!((sample_mean - mean).abs() < 4.5 * standard_error, "{equation}: mean {sample_mean}, expected {mean}");
    assert!((sample_sd - sd).abs() < 0.05 * sd, "{equation}: sd {sample_sd}, expected {sd}");
    sample
}

#[test]
fn the_new_distributions_have_their_moments() {
    // Failures before the first success of 0.25: mean (1 - p) / p = 3, sd √(1 - p) / p.
    let geometric = assert_moments("GEOMETRIC(0.25)", 3.0, 0.75f64.sqrt() / 0.25);
    assert!(geometric.iter().all(|&v| v >= 0.0 && v.fract() == 0.0), "whole numbers from 0");
    // Failures before 3 successes of 0.4: mean r(1 - p)/p = 4.5, variance r(1 - p)/p² = 11.25.
    let negative_binomial = assert_moments("NEGBINOMIAL(3, 0.4)", 4.5, 11.25f64.sqrt());
    assert!(negative_binomial.iter().all(|&v| v >= 0.0 && v.fract() == 0.0), "whole numbers from 0");
    assert!(negative_binomial.contains(&0.0), "no failure at all happens (chance 0.064)");
    // Logistic of mean 2 and scale 0.5: sd = scale × π / √3.
    assert_moments("LOGISTIC(2, 0.5)", 2.0, 0.5 * std::f64::consts::PI / 3f64.sqrt());
    // Pareto of shape 6 and scale 2: mean 6 × 2 / 5 = 2.4, variance 2² × 6 / (5² × 4) = 0.24.
    let pareto = assert_moments("PARETO(6, 2)", 2.4, 0.24f64.sqrt());
    assert!(pareto.iter().all(|&v| v >= 2.0), "never below the scale");
}

#[test]
fn the_new_draws_repeat_with_a_seed_whatever_the_run_seed() {
    let model = ModelBuilder::new(0.0, 30.0, 1.0)
        .aux("g", "GEOMETRIC(0.3, 4)")
        .aux("n", "NEGBINOMIAL(2, 0.5, 5)")
        .aux("l", "LOGISTIC(0, 1, 6)")
        .aux("p", "PARETO(3, 1, 7)")
        .build();
    let compiled = compiled(&model);
    let mut first = compiled.new_run();
    first.set_seed(1, 0);
    let mut second = compiled.new_run();
    second.set_seed(2, 0);
    let (first, second) = (first.run().expect("runs"), second.run().expect("runs"));
    for name in ["g", "n", "l", "p"] {
        assert_eq!(series(&first, name), series(&second, name), "{name}");
    }
}

#[test]
fn min_and_max_truncate_a_draw() {
    // A standard normal truncated to [-0.5, 0.5]: mean 0, variance 1 - 2aφ(a) / (2Φ(a) - 1) with
    // a = 0.5, φ(0.5) = 0.3520653, 2Φ(0.5) - 1 = 0.3829249: 0.0805892, sd 0.2838823.
    let normal = assert_moments("NORMAL(0, 1, 11, -0.5, 0.5)", 0.0, 0.2838822900443274);
    assert!(normal.iter().all(|v| (-0.5..=0.5).contains(v)));
    // An exponential of mean 2 kept from 1 up (NAN: no seed, no upper bound): memoryless, so
    // 1 plus an exponential of mean 2: mean 3, sd 2.
    let exponential = assert_moments("EXPRND(2, NAN, 1)", 3.0, 2.0);
    assert!(exponential.iter().all(|&v| v >= 1.0));
    // A Poisson of mean 3 kept at 2 or below: 0, 1, 2 in the ratios 1 : 3 : 4.5, mean 12 / 8.5,
    // variance (3 + 18) / 8.5 - mean².
    let mean = 12.0 / 8.5;
    let poisson = assert_moments("POISSON(3, NAN, NAN, 2)", mean, (21.0 / 8.5 - mean * mean).sqrt());
    assert!(poisson.iter().all(|&v| v == 0.0 || v == 1.0 || v == 2.0));
    // Bounds on the new families too: failures before the first success of 0.5, from 2 to 4.
    let geometric = draws("GEOMETRIC(0.5, 3, 2, 4)");
    assert!(geometric.iter().all(|&v| v == 2.0 || v == 3.0 || v == 4.0));
    // Chances 1/8, 1/16, 1/32, so ratios 4 : 2 : 1 for 2, 3, 4: mean (8 + 6 + 4) / 7.
    let (mean, _) = mean_and_sd(&geometric);
    assert!((mean - 18.0 / 7.0).abs() < 0.03, "truncated geometric mean {mean}");
    // GAMMA's bounds come after its scale and seed.
    assert!(draws("GAMMA(2, 1, NAN, 1, 1.5)").iter().all(|v| (1.0..=1.5).contains(v)));
    assert!(draws("TRIANGULAR(0, 1, 4, NAN, 3)").iter().all(|&v| (3.0..=4.0).contains(&v)));
}

#[test]
fn bounds_that_no_draw_can_meet_stop_the_run() {
    // A binomial of 5 trials never reaches 6.
    let model = ModelBuilder::new(0.0, 1.0, 1.0).aux("b", "BINOMIAL(5, 0.5, 1, 6, 10)").build();
    let error = compiled(&model).new_run().run().expect_err("nothing in [6, 10]");
    assert!(format!("{error}").contains('b'), "{error}");
}

#[test]
fn sample_holds_a_draw_between_multiples_of_its_interval() {
    // DT 0.25, a new draw at times 0, 1, 2 and 3 only (sample = 1), held in between; a sample of
    // NAN draws every DT.
    let model = ModelBuilder::new(0.0, 3.75, 0.25)
        .aux("held", "NORMAL(0, 1, 8, NAN, NAN, 1)")
        .aux("every", "NORMAL(0, 1, 8, NAN, NAN, NAN)")
        .aux("unheld", "NORMAL(0, 1, 9)")
        .build();
    let results = run(&model);
    let held = series(&results, "held");
    assert_eq!(held.len(), 16);
    for interval in held.chunks(4) {
        assert!(interval.iter().all(|&v| v == interval[0]), "{interval:?}");
    }
    for pair in held.chunks(4).collect::<Vec<_>>().windows(2) {
        assert_ne!(pair[0][0], pair[1][0], "a new draw at each whole time");
    }
    // With NAN it changes every step, as a draw without `sample` does.
    for name in ["every", "unheld"] {
        let values = series(&results, name);
        assert!(values.windows(2).all(|pair| pair[0] != pair[1]), "{name}: {values:?}");
    }
}

#[test]
fn sample_counts_its_multiples_from_time_zero_not_from_the_start() {
    // Starting at 0.5 with DT 0.25: the first draw at 0.5 holds through 0.75, new draws at 1 and 2.
    let model = ModelBuilder::new(0.5, 2.5, 0.25).aux("held", "EXPRND(1, 3, NAN, NAN, 1)").build();
    let held = series(&run(&model), "held");
    let groups = [&held[0..2], &held[2..6], &held[6..9]];
    for group in groups {
        assert!(group.iter().all(|&v| v == group[0]), "{held:?}");
    }
    assert!(groups[0][0] != groups[1][0] && groups[1][0] != groups[2][0], "{held:?}");
}

#[test]
fn a_seed_of_nan_draws_from_the_run_stream() {
    let model = ModelBuilder::new(0.0, 20.0, 1.0)
        .aux("x", "NORMAL(0, 1, NAN)")
        .aux("y", "NORMAL(0, 1)")
        .aux("r", "RANDOM(0, 1, NAN)")
        .build();
    let results = run(&model);
    // Two unseeded sites draw different numbers from the same run.
    assert_ne!(series(&results, "x"), series(&results, "y"));
    let compiled = compiled(&model);
    let mut first = compiled.new_run();
    first.set_seed(1, 0);
    let mut second = compiled.new_run();
    second.set_seed(2, 0);
    let (first, second) = (first.run().expect("runs"), second.run().expect("runs"));
    assert_ne!(series(&first, "x"), series(&second, "x"), "no seed: each run its own draws");
    assert_ne!(series(&first, "r"), series(&second, "r"), "RANDOM's seed of NAN too");
}

#[test]
fn stellas_npv_values_the_stream_at_the_end_of_each_period() {
    // 100 a period at 10%: 100/1.1 = 90.909, then + 100/1.21, + 100/1.331 (a spreadsheet's
    // NPV(0.1, 100, 100, 100) = 248.685); an initial value of 50 is added as it is.
    let model = ModelBuilder::new(0.0, 2.0, 1.0)
        .aux("flow", "100")
        .aux("npv", "NPV(flow, 0.1)")
        .aux("with_initial", "NPV(flow, 0.1, 50)")
        .build();
    let results = run(&model);
    let expected = [100.0 / 1.1, 100.0 / 1.1 + 100.0 / 1.21, 100.0 / 1.1 + 100.0 / 1.21 + 100.0 / 1.331];
    for (step, expected) in expected.into_iter().enumerate() {
        assert_close(series(&results, "npv")[step], expected, 1e-12, &format!("NPV at {step}"));
        assert_close(series(&results, "with_initial")[step], expected + 50.0, 1e-12, "with an initial value");
    }
}

#[test]
fn rootn_takes_the_nth_root() {
    // 27^(1/3) = 3, 16^(1/4) = 2, the cube root of -8 is -2, 2^(1/2) = 1.4142135623730951.
    let got = values(&["ROOTN(27, 3)", "ROOTN(16, 4)", "ROOTN(-8, 3)", "ROOTN(2, 2)"]);
    for (got, expected) in got.into_iter().zip([3.0, 2.0, -2.0, std::f64::consts::SQRT_2]) {
        assert_close(got, expected, 1e-15, "ROOTN");
    }
    // An even root of a negative number is not a number: the run stops.
    let model = ModelBuilder::new(0.0, 1.0, 1.0).aux("r", "ROOTN(-4, 2)").build();
    assert!(compiled(&model).new_run().run().is_err());
}
