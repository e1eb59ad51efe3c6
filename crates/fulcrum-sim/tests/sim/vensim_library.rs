//! Vensim's RANDOM functions (moments, bounds, reproducibility), NPVE, LOOKUP_INVERT,
//! LOOKUP_AREA, the GET DATA functions, VECTOR_LOOKUP and the market functions
//! (FIND_MARKET_PRICE, DEMAND_AT_PRICE, SUPPLY_AT_PRICE) against hand-computed values.

use fulcrum_model::GraphKind;
use fulcrum_model::builder::ModelBuilder;

use crate::{compiled, run, series};

/// Every draw of `equation`, one per step of a run of `draws - 1` steps, under `seed`.
fn draws(equation: &str, count: usize, seed: u64) -> Vec<f64> {
    let model = ModelBuilder::new(0.0, (count - 1) as f64, 1.0).aux("y", equation).build();
    let compiled = compiled(&model);
    let mut single = compiled.new_run();
    single.set_seed(seed, 0);
    series(&single.run().expect("runs"), "y")
}

fn mean_and_sd(values: &[f64]) -> (f64, f64) {
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, variance.sqrt())
}

const WIDE: &str = "-1e9, 1e9";

#[test]
fn vensim_random_functions_have_their_distributions_moments() {
    // Γ(1.5) = √π / 2, for the Weibull of shape 2 (scale 1).
    let weibull_mean = std::f64::consts::PI.sqrt() / 2.0;
    let cases = [
        // Normal: mean and standard deviation are the shift and stretch.
        (format!("RANDOM_NORMAL({WIDE}, 5, 2)"), 5.0, 2.0),
        // 1 + 3 × Exp(mean 1).
        (format!("RANDOM_EXPONENTIAL({WIDE}, 1, 3)"), 4.0, 3.0),
        // 2 × Gamma(order 4): mean 8, variance 4 × 4.
        (format!("RANDOM_GAMMA({WIDE}, 4, 0, 2)"), 8.0, 4.0),
        (format!("RANDOM_WEIBULL({WIDE}, 2, 0, 1)"), weibull_mean, (1.0 - weibull_mean * weibull_mean).sqrt()),
        // Beta(2, 3): mean 2/5, variance 6 / (25 × 6).
        (format!("RANDOM_BETA({WIDE}, 2, 3, 0, 1)"), 0.4, 0.2),
        // Triangular 0, 1, 4: mean 5/3, variance (0 + 1 + 16 - 0 - 0 - 4) / 18.
        (format!("RANDOM_TRIANGULAR({WIDE}, 0, 1, 4)"), 5.0 / 3.0, (13.0f64 / 18.0).sqrt()),
        // 1 + 2 × Poisson(3).
        (format!("RANDOM_POISSON({WIDE}, 3, 1, 2)"), 7.0, 2.0 * 3f64.sqrt()),
        // Successes in 20 trials of 0.3.
        (format!("RANDOM_BINOMIAL({WIDE}, 0.3, 20, 0, 1)"), 6.0, 4.2f64.sqrt()),
        // Trials for 5 successes of 0.4: mean 5 / 0.4, variance 5 × 0.6 / 0.16.
        (format!("RANDOM_NEGATIVE_BINOMIAL({WIDE}, 0.4, 5, 0, 1)"), 12.5, 18.75f64.sqrt()),
        // Truncated to [0, ∞): the half-normal, mean √(2/π), variance 1 - 2/π.
        (
            "RANDOM_NORMAL(0, 1e9, 0, 1)".to_owned(),
            (2.0 / std::f64::consts::PI).sqrt(),
            (1.0 - 2.0 / std::f64::consts::PI).sqrt(),
        ),
    ];
    let count = 40_000;
    for (equation, mean, sd) in cases {
        let (sample_mean, sample_sd) = mean_and_sd(&draws(&equation, count, 11));
        let standard_error = sd / (count as f64).sqrt();
        assert!((sample_mean - mean).abs() < 4.5 * standard_error, "{equation}: mean {sample_mean}, expected {mean}");
        assert!((sample_sd - sd).abs() < 0.04 * sd, "{equation}: sd {sample_sd}, expected {sd}");
    }
}

#[test]
fn counts_are_whole_numbers_and_a_negative_binomial_needs_its_successes() {
    let poisson = draws(&format!("RANDOM_POISSON({WIDE}, 2.5, 0, 1)"), 2_000, 3);
    assert!(poisson.iter().all(|v| v.fract() == 0.0 && *v >= 0.0));
    let binomial = draws(&format!("RANDOM_BINOMIAL({WIDE}, 0.5, 9.6, 0, 1)"), 10_000, 3);
    assert!(binomial.iter().all(|v| v.fract() == 0.0 && (0.0..=10.0).contains(v)));
    // 9.6 trials round to 10: mean 5 (not 4.8), standard error √2.5 / 100.
    let (mean, _) = mean_and_sd(&binomial);
    assert!((mean - 5.0).abs() < 0.07, "mean {mean}");
    let trials = draws(&format!("RANDOM_NEGATIVE_BINOMIAL({WIDE}, 0.3, 4, 0, 1)"), 2_000, 3);
    assert!(trials.iter().all(|v| v.fract() == 0.0 && *v >= 4.0));
}

#[test]
fn vensim_random_functions_are_reproducible_per_run_and_seed() {
    let equation = format!("RANDOM_GAMMA({WIDE}, 3, 1, 2) + RANDOM_NORMAL(-2, 2, 0, 1)");
    let first = draws(&equation, 200, 7);
    assert_eq!(first, draws(&equation, 200, 7));
    assert_ne!(first, draws(&equation, 200, 8));
    // Two calls in one equation are two sites with streams of their own.
    let twice = draws("RANDOM_NORMAL(-9, 9, 0, 1) - RANDOM_NORMAL(-9, 9, 0, 1)", 50, 1);
    assert!(twice.iter().any(|v| *v != 0.0));
    // A fixed seed gives the same sequence in every run.
    let fixed = format!("RANDOM_EXPONENTIAL({WIDE}, 0, 1, 42)");
    assert_eq!(draws(&fixed, 100, 1), draws(&fixed, 100, 2));
}

#[test]
fn impossible_bounds_and_parameters_stop_the_run() {
    for equation in [
        "RANDOM_NORMAL(3, 2, 0, 1)",
        "RANDOM_NORMAL(100, 101, 0, 1)",
        "RANDOM_GAMMA(-9, 9, -1, 0, 1)",
        "RANDOM_BINOMIAL(-9, 9, 1.5, 4, 0, 1)",
        "RANDOM_TRIANGULAR(-9, 9, 3, 1, 2)",
    ] {
        let model = ModelBuilder::new(0.0, 3.0, 1.0).aux("y", equation).build();
        assert!(compiled(&model).new_run().run().is_err(), "{equation} runs");
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]

    /// Whatever the bounds, shift and stretch, every draw lies within [min, max]. The bounds
    /// are `shift + stretch × [low, low + width]`, inside every family's support (for the beta,
    /// [0, 1]), so a draw in them exists.
    #[test]
    fn draws_stay_within_their_bounds(
        low in 0.05f64..0.4,
        width in 0.1f64..0.5,
        shift in -1.0f64..1.0,
        stretch in 0.5f64..2.0,
        seed in 0u64..1000,
    ) {
        let (min, max) = (shift + stretch * low, shift + stretch * (low + width));
        let (start, end) = (shift, shift + stretch);
        for family in [
            format!("RANDOM_NORMAL({min:?}, {max:?}, {shift:?}, {stretch:?})"),
            format!("RANDOM_EXPONENTIAL({min:?}, {max:?}, {shift:?}, {stretch:?})"),
            format!("RANDOM_GAMMA({min:?}, {max:?}, 2, {shift:?}, {stretch:?})"),
            format!("RANDOM_WEIBULL({min:?}, {max:?}, 1.5, {shift:?}, {stretch:?})"),
            format!("RANDOM_BETA({min:?}, {max:?}, 2, 2, {shift:?}, {stretch:?})"),
            format!("RANDOM_TRIANGULAR({min:?}, {max:?}, {start:?}, {start:?}, {end:?})"),
        ] {
            let values = draws(&family, 60, seed);
            proptest::prop_assert!(values.iter().all(|v| (min..=max).contains(v)), "{}: {:?}", family, values);
        }
    }
}

#[test]
fn pink_noise_keeps_its_mean_and_deviation_whatever_the_time_step() {
    for dt in [1.0, 0.25] {
        let model = ModelBuilder::new(0.0, 20_000.0, dt).aux("y", "RANDOM_PINK_NOISE(10, 3, 4)").build();
        let compiled = compiled(&model);
        let mut single = compiled.new_run();
        single.set_seed(5, 0);
        let values = series(&single.run().expect("runs"), "y");
        let (mean, sd) = mean_and_sd(&values);
        assert!((mean - 10.0).abs() < 0.25, "dt {dt}: mean {mean}");
        assert!((sd - 3.0).abs() < 0.15, "dt {dt}: sd {sd}");
        // Correlated over the correlation time: one step apart the values are close.
        let lag_one: f64 =
            values.windows(2).map(|pair| (pair[0] - 10.0) * (pair[1] - 10.0)).sum::<f64>() / (values.len() - 1) as f64;
        assert!(lag_one / (sd * sd) > 0.7, "dt {dt}: lag-one correlation {}", lag_one / (sd * sd));
    }
}

#[test]
fn net_present_value_at_the_end_of_each_period_is_excels_npv() {
    // NPVE(100, 10%, 0, 1) with dt 1 is 100/1.1 + 100/1.1² + ...: Excel's NPV(0.1, 100, ...).
    let model = ModelBuilder::new(0.0, 3.0, 1.0).aux("y", "NPVE(100, 0.1, 0, 1)").build();
    let values = series(&run(&model), "y");
    let expected = [90.909_090_909_090_9, 173.553_719_008_264_5, 248.685_199_098_422_2, 316.986_544_634_929_3];
    for (step, (actual, expected)) in values.iter().zip(expected).enumerate() {
        assert!((actual - expected).abs() < 1e-9, "step {step}: {actual} vs {expected}");
    }
    // With the initial value and a factor: (initial + sum) × factor.
    let model = ModelBuilder::new(0.0, 1.0, 1.0).aux("y", "NPVE(100, 0.1, 5, 2)").build();
    let values = series(&run(&model), "y");
    assert!((values[1] - (5.0 + 173.553_719_008_264_5) * 2.0).abs() < 1e-9, "{values:?}");
}

fn graph_model(equation: &str) -> Vec<f64> {
    let model = ModelBuilder::new(0.0, 1.0, 1.0)
        .graph("rising", GraphKind::Continuous, &[0.0, 10.0], &[0.0, 100.0])
        .graph("falling", GraphKind::Continuous, &[0.0, 1.0, 2.0], &[10.0, 5.0, 0.0])
        .graph("steps", GraphKind::Discrete, &[0.0, 1.0, 3.0], &[2.0, 4.0, 4.0])
        .aux("y", equation)
        .build();
    series(&run(&model), "y")
}

#[test]
fn lookup_invert_reads_a_monotonic_graph_backwards() {
    let cases = [
        ("LOOKUP_INVERT(rising, 50)", 5.0),
        ("LOOKUP_INVERT(rising, 12.5)", 1.25),
        ("LOOKUP_INVERT(falling, 7.5)", 0.5),
        ("LOOKUP_INVERT(falling, 2)", 1.6),
        // Beyond the graph's values: the x of the nearest end.
        ("LOOKUP_INVERT(rising, 150)", 10.0),
        ("LOOKUP_INVERT(falling, 20)", 0.0),
    ];
    for (equation, expected) in cases {
        let actual = graph_model(equation)[0];
        assert!((actual - expected).abs() < 1e-12, "{equation}: {actual} vs {expected}");
    }
    let model = ModelBuilder::new(0.0, 1.0, 1.0)
        .graph("hump", GraphKind::Continuous, &[0.0, 1.0, 2.0], &[0.0, 1.0, 0.0])
        .aux("y", "LOOKUP_INVERT(hump, 0.5)")
        .build();
    let refused = fulcrum_model::resolve(&model).expect_err("a graph that rises and falls has no inverse");
    assert!(refused.0.iter().any(|d| d.code == fulcrum_model::Code::InvalidArgument), "{refused:?}");
}

#[test]
fn lookup_area_integrates_the_graph_as_it_reads() {
    let cases = [
        ("LOOKUP_AREA(rising, 0, 10)", 500.0),
        ("LOOKUP_AREA(rising, 2, 4)", 60.0),
        ("LOOKUP_AREA(rising, 4, 2)", -60.0),
        // Flat beyond the ends: 100 from 10 to 12, 0 below 0.
        ("LOOKUP_AREA(rising, 8, 12)", 180.0 + 200.0),
        ("LOOKUP_AREA(rising, -2, 0)", 0.0),
        ("LOOKUP_AREA(falling, 0, 2)", 7.5 + 2.5),
        // A step graph: 2 on [0, 1), 4 from 1 on.
        ("LOOKUP_AREA(steps, 0.5, 2)", 1.0 + 4.0),
        ("LOOKUP_AREA(rising, 3, 3)", 0.0),
    ];
    for (equation, expected) in cases {
        let actual = graph_model(equation)[0];
        assert!((actual - expected).abs() < 1e-9, "{equation}: {actual} vs {expected}");
    }
}

#[test]
fn delay_material_adds_what_leaves_together_and_fills_gaps_with_the_missing_value() {
    let outputs = |delay: &str| {
        let model = ModelBuilder::new(0.0, 7.0, 1.0)
            .aux("delay", delay)
            .aux("y", "DELAY_MATERIAL(TIME, delay, 100, -1)")
            .build();
        series(&run(&model), "y")
    };
    // Delay 3 until time 2, then 1: the initial value for the first 3 steps; the inputs of times
    // 0 and 2 both leave at 3 (0 + 2), those of 1 and 3 at 4 (1 + 3); then one step each.
    assert_eq!(outputs("IF TIME < 2 THEN 3 ELSE 1"), [100.0, 100.0, 100.0, 2.0, 4.0, 4.0, 5.0, 6.0]);
    // Delay 1 until time 2, then 3: the input of time 2 leaves at 5, so nothing leaves at 3 and 4.
    assert_eq!(outputs("IF TIME < 2 THEN 1 ELSE 3"), [100.0, 0.0, 1.0, -1.0, -1.0, 2.0, 3.0, 4.0]);
    // Material is conserved: one unit enters at each time t and leaves at t + 1 + (t mod 4), so
    // by time 40 exactly the units with t + 1 + (t mod 4) <= 40 have left.
    let model = ModelBuilder::new(0.0, 40.0, 1.0)
        .aux("delay", "1 + MODULO(TIME, 4)")
        .aux("y", "DELAY_MATERIAL(1, delay, 0, 0)")
        .build();
    let left: f64 = series(&run(&model), "y").iter().sum();
    let expected = (0..=40).filter(|t| t + 1 + t % 4 <= 40).count() as f64;
    assert_eq!(left, expected);
}

/// Vensim's `:NA:`, which the GET DATA functions give where a data variable has no point.
const NA: f64 = -1.298_074_214_633_707e33;

/// A model over times 0 to 10 with three data variables of the points (1, 10), (2, 30), (4, 20),
/// (8, 60), as the Vensim reader writes them: `d` interpolated (a table read at TIME), `h` held
/// backward (a step table), `f` looked forward (the step table of the points mirrored about
/// zero, read at -TIME); and `y` = `equation`.
fn data_model(equation: &str) -> fulcrum_model::Model {
    let (times, values) = ([1.0, 2.0, 4.0, 8.0], [10.0, 30.0, 20.0, 60.0]);
    let mut model = ModelBuilder::new(0.0, 10.0, 1.0)
        .aux("d", "TIME")
        .aux("h", "TIME")
        .aux("f", "-TIME")
        .constant("backward", -1.0)
        .aux("y", equation)
        .build();
    let table = |kind: GraphKind, x: Vec<f64>, y: Vec<f64>| fulcrum_model::GraphicalFunction { kind, x, y, span: None };
    for variable in &mut model.variables {
        variable.graph = match variable.name.as_str() {
            "d" => Some(table(GraphKind::Continuous, times.to_vec(), values.to_vec())),
            "h" => Some(table(GraphKind::Discrete, times.to_vec(), values.to_vec())),
            "f" => Some(table(
                GraphKind::Discrete,
                times.iter().rev().map(|t| -t).collect(),
                values.iter().rev().copied().collect(),
            )),
            _ => continue,
        };
    }
    model
}

#[test]
fn get_data_functions_read_a_data_variables_points() {
    let cases = [
        ("GET_DATA_LAST_TIME(d)", 8.0),
        ("GET_DATA_LAST_TIME(f)", 8.0),
        // The first point, of a table read at Time and of one mirrored and read at -Time.
        ("GET_DATA_FIRST_TIME(d)", 1.0),
        ("GET_DATA_FIRST_TIME(f)", 1.0),
        ("GET_DATA_TOTAL_POINTS(h)", 4.0),
        // At another time, as the variable reads its points: between (2, 30) and (4, 20) at 3,
        // interpolated 25, held 30, looked forward 20; before the first point, its value.
        ("GET_DATA_AT_TIME(d, 3)", 25.0),
        ("GET_DATA_AT_TIME(h, 3)", 30.0),
        ("GET_DATA_AT_TIME(f, 3)", 20.0),
        ("GET_DATA_AT_TIME(f, 4)", 20.0),
        ("GET_DATA_AT_TIME(d, 0)", 10.0),
        // Interpolated: 20 + (60 - 20) × (6 - 4) / (8 - 4) = 40; at a point, its value; :NA:
        // before the first point and after the last.
        ("GET_DATA_BETWEEN_TIMES(d, 6, 0)", 40.0),
        ("GET_DATA_BETWEEN_TIMES(h, 8, 0)", 60.0),
        ("GET_DATA_BETWEEN_TIMES(d, 0.5, 0)", NA),
        ("GET_DATA_BETWEEN_TIMES(d, 9, 0)", NA),
        // Forward: the first point at or after the whole number at or below the time.
        ("GET_DATA_BETWEEN_TIMES(d, 3, 1)", 20.0),
        ("GET_DATA_BETWEEN_TIMES(d, 2, 1)", 30.0),
        ("GET_DATA_BETWEEN_TIMES(d, 2.5, 1)", 30.0),
        ("GET_DATA_BETWEEN_TIMES(f, 5, 1)", 60.0),
        // Backward: the last point before that whole number (the first point's value at or
        // before it): 3 is in (2, 4], 2 in (1, 2], 8 in (4, 8], 4.5 is read as 4.
        ("GET_DATA_BETWEEN_TIMES(d, 3, -1)", 30.0),
        ("GET_DATA_BETWEEN_TIMES(d, 2, backward)", 10.0),
        ("GET_DATA_BETWEEN_TIMES(d, 1, -1)", 10.0),
        ("GET_DATA_BETWEEN_TIMES(d, 8, -1)", 20.0),
        ("GET_DATA_BETWEEN_TIMES(d, 4.5, -1)", 30.0),
        ("GET_DATA_BETWEEN_TIMES(d, 8.5, -1)", NA),
        // Over the points from one time to another, both included: max(30, 20, 60) = 60;
        // max(30, 20) = 30; min(10, 30) = 10; (30 + 20) / 2 = 25; (10 + 30 + 20 + 60) / 4 = 30;
        // no point from 5 to 7 gives :NA:.
        ("GET_DATA_MAX(d, 2, 8)", 60.0),
        ("GET_DATA_MAX(f, 1.5, 7)", 30.0),
        ("GET_DATA_MIN(h, 0, 3)", 10.0),
        ("GET_DATA_MEAN(d, 2, 4)", 25.0),
        ("GET_DATA_MEAN(d, 0, 100)", 30.0),
        ("GET_DATA_MAX(d, 5, 7)", NA),
    ];
    for (equation, expected) in cases {
        let actual = series(&run(&data_model(equation)), "y")[0];
        assert!((actual - expected).abs() < 1e-9, "{equation}: {actual} vs {expected}");
    }
    // Bounds computed during the run: the largest value up to the current time.
    let values = series(&run(&data_model("GET_DATA_MAX(d, 0, TIME)")), "y");
    assert_eq!(values, [NA, 10.0, 30.0, 30.0, 30.0, 30.0, 30.0, 30.0, 60.0, 60.0, 60.0]);
}

#[test]
fn get_data_functions_refuse_what_is_not_a_data_variable_or_mode() {
    for equation in [
        "GET_DATA_MAX(backward, 0, 1)",
        "GET_DATA_LAST_TIME(nowhere)",
        "GET_DATA_LAST_TIME(3)",
        "GET_DATA_BETWEEN_TIMES(d, 1, 2)",
        "GET_DATA_BETWEEN_TIMES(d, 1, 0.5)",
    ] {
        let refused = fulcrum_model::resolve(&data_model(equation)).expect_err(equation);
        assert!(refused.0.iter().any(|d| d.code == fulcrum_model::Code::InvalidArgument), "{equation}: {refused:?}");
    }
    // A table read at something other than TIME is a lookup, not data.
    let mut model = data_model("GET_DATA_LAST_TIME(d)");
    if let Some(d) = model.variables.iter_mut().find(|v| v.name == "d") {
        d.equation = fulcrum_model::builder::ModelBuilder::new(0.0, 1.0, 1.0)
            .aux("x", "TIME * 2")
            .build()
            .variables
            .pop()
            .and_then(|v| v.equation);
    }
    let refused = fulcrum_model::resolve(&model).expect_err("a table read at 2 × TIME");
    assert!(refused.0.iter().any(|d| d.message.contains("not read at Time")), "{refused:?}");
}

/// The vector [0, 10, 5, 20] over points 0, 2, 4 and 6, read by VECTOR_LOOKUP at `x` in `mode`.
fn vector_lookup(x: f64, mode: f64) -> f64 {
    let model = ModelBuilder::new(0.0, 1.0, 1.0)
        .dimension("Point", &["p1", "p2", "p3", "p4"])
        .aux("curve", "0")
        .over(&["Point"])
        .element(&["p2"], "10")
        .element(&["p3"], "5")
        .element(&["p4"], "20")
        .aux("y", &format!("VECTOR_LOOKUP(curve[p1], {x}, 0, 6, {mode})"))
        .build();
    series(&run(&model), "y")[0]
}

#[test]
fn vector_lookup_reads_the_vector_as_each_lookup_function_would() {
    // Points (0, 0), (2, 10), (4, 5), (6, 20); segment slopes 5, -2.5 and 7.5.
    let cases = [
        // 0, a lookup: 10 + (3 - 2) × -2.5; flat beyond the ends; exact at a point.
        (3.0, 0.0, 7.5),
        (-1.0, 0.0, 0.0),
        (7.0, 0.0, 20.0),
        (4.0, 0.0, 5.0),
        // 1, the area from xmin: 2 × (0 + 10)/2 = 10, then 1 × (10 + 7.5)/2 = 8.75.
        (3.0, 1.0, 18.75),
        // The whole graph, 10 + 15 + 25 = 50, then 1 × 20 flat beyond the end.
        (7.0, 1.0, 70.0),
        // 2, backward: the last point at or below x.
        (3.0, 2.0, 10.0),
        (4.0, 2.0, 5.0),
        (7.0, 2.0, 20.0),
        // 3, extrapolating along the end segments: 20 + 1 × 7.5, and 0 - 1 × 5.
        (7.0, 3.0, 27.5),
        (-1.0, 3.0, -5.0),
        // 4, forward: the first point at or above x.
        (3.0, 4.0, 5.0),
        (4.0, 4.0, 5.0),
        (-1.0, 4.0, 0.0),
        // 5, inverted: 7.5 is first reached on (0, 0)-(2, 10), at 1.5; 15 on (4, 5)-(6, 20) at
        // 4 + 10/15 × 2; beyond the values, the x of the nearest end.
        (7.5, 5.0, 1.5),
        (15.0, 5.0, 4.0 + 4.0 / 3.0),
        (25.0, 5.0, 6.0),
        (-2.0, 5.0, 0.0),
        // 6, the slope of the segment x is in (the one to the right of a point), 0 beyond.
        (3.0, 6.0, -2.5),
        (4.0, 6.0, 7.5),
        (6.0, 6.0, 7.5),
        (7.0, 6.0, 0.0),
        // 7, the area with the ends extended: 50 + 1 × (20 + 27.5)/2, and -1 × (0 + -5)/2.
        (7.0, 7.0, 73.75),
        (-1.0, 7.0, 2.5),
        // 8, inverted with the ends extended: 6 + (25 - 20)/7.5, and 0 + (-2 - 0)/5.
        (25.0, 8.0, 6.0 + 5.0 / 7.5),
        (-2.0, 8.0, -0.4),
        // 9, the end segments' slopes beyond the ends.
        (7.0, 9.0, 7.5),
        (-1.0, 9.0, 5.0),
    ];
    for (x, mode, want) in cases {
        let got = vector_lookup(x, mode);
        assert!((got - want).abs() < 1e-12, "x {x}, mode {mode}: {got}, expected {want}");
    }
}

#[test]
fn vector_lookup_follows_a_vector_that_changes_and_refuses_unknown_modes() {
    // The two points (0, t) and (10, 2t): at x = 5, 1.5 t.
    let model = ModelBuilder::new(0.0, 3.0, 1.0)
        .dimension("Point", &["p1", "p2"])
        .aux("curve", "TIME")
        .over(&["Point"])
        .element(&["p2"], "2 * TIME")
        .aux("y", "VECTOR_LOOKUP(curve[p1], 5, 0, 10, 0)")
        .build();
    assert_eq!(series(&run(&model), "y"), vec![0.0, 1.5, 3.0, 4.5]);
    for bad in ["VECTOR_LOOKUP(curve[p1], 5, 0, 10, 10)", "VECTOR_LOOKUP(curve[p1], 5, 10, 10, 0)"] {
        let model = ModelBuilder::new(0.0, 1.0, 1.0)
            .dimension("Point", &["p1", "p2"])
            .aux("curve", "1")
            .over(&["Point"])
            .aux("y", bad)
            .build();
        assert!(compiled(&model).new_run().run().is_err(), "{bad} should stop the run");
    }
}

/// Two demanders and two suppliers: quantities `[d1, d2, s1, s2]` and profiles given as
/// `[type, priority, width, extra]`; `price` is FIND_MARKET_PRICE, `bought` and `sold` the
/// quantities at that price.
fn market(demand: [[f64; 4]; 2], supply: [[f64; 4]; 2], quantities: [f64; 4]) -> fulcrum_model::Model {
    let profile = ["ptype", "ppriority", "pwidth", "pextra"];
    let mut builder = ModelBuilder::new(0.0, 1.0, 1.0)
        .dimension("Demander", &["d1", "d2"])
        .dimension("Supplier", &["s1", "s2"])
        .dimension("Profile", &profile)
        .aux("demand", &quantities[0].to_string())
        .over(&["Demander"])
        .element(&["d2"], &quantities[1].to_string())
        .aux("capacity", &quantities[2].to_string())
        .over(&["Supplier"])
        .element(&["s2"], &quantities[3].to_string())
        .aux("demand_curve", "0")
        .over(&["Demander", "Profile"]);
    for (agent, values) in [("d1", demand[0]), ("d2", demand[1])] {
        for (element, value) in profile.iter().zip(values) {
            builder = builder.element(&[agent, element], &value.to_string());
        }
    }
    builder = builder.aux("supply_curve", "0").over(&["Supplier", "Profile"]);
    for (agent, values) in [("s1", supply[0]), ("s2", supply[1])] {
        for (element, value) in profile.iter().zip(values) {
            builder = builder.element(&[agent, element], &value.to_string());
        }
    }
    builder
        .aux("price", "FIND_MARKET_PRICE(demand[d1], demand_curve[d1, ptype], capacity[s1], supply_curve[s1, ptype])")
        .aux("bought", "DEMAND_AT_PRICE(demand[Demander], demand_curve[Demander, ptype], price)")
        .over(&["Demander"])
        .aux("sold", "SUPPLY_AT_PRICE(capacity[Supplier], supply_curve[Supplier, ptype], price)")
        .over(&["Supplier"])
        .build()
}

#[test]
fn find_market_price_clears_a_market_of_rectangular_curves() {
    // Demands: d1 100 falling from 8 to 12 (priority 10, width 4), d2 50 falling from 6 to 10.
    // Supplies: s1 120 rising from 4 to 8, s2 60 rising from 8 to 10. Between 8 and 10 demand is
    // 25 (12 - p) + 12.5 (10 - p) = 425 - 37.5 p and supply 120 + 30 (p - 8) = 30 p - 120, equal
    // at p = 545 / 67.5.
    let model = market(
        [[1.0, 10.0, 4.0, 0.0], [1.0, 8.0, 4.0, 0.0]],
        [[1.0, 6.0, 4.0, 0.0], [1.0, 9.0, 2.0, 0.0]],
        [100.0, 50.0, 120.0, 60.0],
    );
    let results = run(&model);
    let price = 545.0 / 67.5;
    let close = |name: &str, want: f64| {
        let got = series(&results, name)[0];
        assert!((got - want).abs() < 1e-9 * want.abs().max(1.0), "{name}: {got}, expected {want}");
    };
    close("price", price);
    close("bought[d1]", 25.0 * (12.0 - price));
    close("bought[d2]", 12.5 * (10.0 - price));
    close("sold[s1]", 120.0);
    close("sold[s2]", 30.0 * (price - 8.0));
}

#[test]
fn mirrored_market_curves_clear_at_their_common_priority() {
    // A normal demand and a normal supply of equal size around 10: by symmetry the price is 10
    // and half of each changes hands; the same with exponential and triangular curves. Vensim's
    // normal curve is an approximation within 1e-5 (0.4999995 at the priority), so half of it
    // is half within that.
    for kind in [2.0, 3.0, 4.0] {
        let tolerance = if kind == 3.0 { 1e-5 * 100.0 } else { 1e-7 };
        let curve = [kind, 10.0, 2.0, 0.0];
        let model = market([curve, curve], [curve, curve], [100.0, 60.0, 100.0, 60.0]);
        let results = run(&model);
        let price = series(&results, "price")[0];
        assert!((price - 10.0).abs() < 1e-9, "type {kind}: price {price}");
        for (name, want) in [("bought[d1]", 50.0), ("bought[d2]", 30.0), ("sold[s1]", 50.0), ("sold[s2]", 30.0)] {
            let got = series(&results, name)[0];
            assert!((got - want).abs() < tolerance, "type {kind}, {name}: {got}");
        }
    }
}

#[test]
fn random_lookup_draws_with_the_graph_as_density() {
    let draws_of = |equation: &str| {
        let model = ModelBuilder::new(0.0, 39_999.0, 1.0)
            .graph("rising", GraphKind::Continuous, &[0.0, 10.0], &[0.0, 100.0])
            .graph("falling", GraphKind::Continuous, &[0.0, 1.0, 2.0], &[10.0, 5.0, 0.0])
            .graph("steps", GraphKind::Discrete, &[0.0, 1.0, 3.0], &[2.0, 4.0, 4.0])
            .aux("y", equation)
            .build();
        let compiled = compiled(&model);
        let mut single = compiled.new_run();
        single.set_seed(5, 0);
        series(&single.run().expect("runs"), "y")
    };
    let cases = [
        // Density x / 50 on [0, 10]: mean 20/3, E[X²] 50; stretched by 2 and shifted by 1.
        (format!("RANDOM_LOOKUP(rising, {WIDE}, 1, 2)"), (-1e9, 1e9), 1.0 + 40.0 / 3.0, 2.0 * (50.0f64 / 9.0).sqrt()),
        // Truncated to [0, 5]: density x / 12.5 there, mean 10/3, variance 25/18.
        ("RANDOM_LOOKUP(rising, 0, 5, 0, 1)".to_owned(), (0.0, 5.0), 10.0 / 3.0, (25.0f64 / 18.0).sqrt()),
        // Density 2 on [0, 1) and 4 on [1, 3), over 10: mean 1.7, E[X²] 106/30.
        (format!("RANDOM_LOOKUP(steps, {WIDE}, 0, 1)"), (0.0, 3.0), 1.7, (106.0f64 / 30.0 - 1.7 * 1.7).sqrt()),
        // Density 10 - 5x, mirrored (stretch -1) and kept in [-1.5, 0]: X in [0, 1.5] has mass
        // 9.375, mean 5.625 / 9.375 = 0.6, E[X²] 4.921875 / 9.375 = 0.525.
        ("RANDOM_LOOKUP(falling, -1.5, 0, 0, -1)".to_owned(), (-1.5, 0.0), -0.6, (0.525f64 - 0.36).sqrt()),
    ];
    for (equation, (low, high), mean, sd) in cases {
        let values = draws_of(&equation);
        assert!(values.iter().all(|v| (low..=high).contains(v)), "{equation}: a draw outside [{low}, {high}]");
        let (sample_mean, sample_sd) = mean_and_sd(&values);
        let standard_error = sd / (values.len() as f64).sqrt();
        assert!((sample_mean - mean).abs() < 4.5 * standard_error, "{equation}: mean {sample_mean}, expected {mean}");
        assert!((sample_sd - sd).abs() < 0.04 * sd, "{equation}: sd {sample_sd}, expected {sd}");
    }
}
