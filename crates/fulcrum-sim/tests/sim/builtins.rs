//! Every built-in against hand-computed values, or against its defining recurrence written out
//! independently here.

use std::f64::consts::PI;

use fulcrum_model::builder::ModelBuilder;
use fulcrum_model::{GraphKind, Method};

use crate::{compiled, run, series};

const DT: f64 = 0.5;

/// A model where `y` is the equation under test. Around it: a constant `c` = 2, a stock `S` that
/// is 10 + TIME, and a graphical function `g` from (0, 0) to (10, 100).
fn fixture(equation: &str) -> ModelBuilder {
    ModelBuilder::new(0.0, 10.0, DT)
        .constant("c", 2.0)
        .stock("S", "10", &["f"], &[])
        .flow("f", "1")
        .graph("g", GraphKind::Continuous, &[0.0, 10.0], &[0.0, 100.0])
        .aux("y", equation)
}

fn y_series(equation: &str) -> Vec<f64> {
    series(&run(&fixture(equation).build()), "y")
}

fn y_at(equation: &str, time: f64) -> f64 {
    y_series(equation)[(time / DT).round() as usize]
}

#[test]
fn pure_functions_and_operators() {
    let e = std::f64::consts::E;
    let cases: &[(&str, f64, f64)] = &[
        ("ABS(-3)", 0.0, 3.0),
        ("EXP(1)", 0.0, e),
        ("LN(EXP(2))", 0.0, 2.0),
        ("LOG10(1000)", 0.0, 3.0),
        ("SQRT(16)", 0.0, 4.0),
        ("SIN(PI / 2)", 0.0, 1.0),
        ("COS(0)", 0.0, 1.0),
        ("TAN(0)", 0.0, 0.0),
        ("ARCSIN(1)", 0.0, PI / 2.0),
        ("ARCCOS(1)", 0.0, 0.0),
        ("ARCTAN(1)", 0.0, PI / 4.0),
        ("SINH(0)", 0.0, 0.0),
        ("COSH(0)", 0.0, 1.0),
        ("TANH(0)", 0.0, 0.0),
        ("INT(2.7)", 0.0, 2.0),
        ("INT(-2.5)", 0.0, -3.0),
        ("ROUND(2.5)", 0.0, 3.0),
        ("ROUND(-2.5)", 0.0, -3.0),
        ("ROUND(2.4)", 0.0, 2.0),
        ("SIGN(-4)", 0.0, -1.0),
        ("SIGN(0)", 0.0, 0.0),
        ("MIN(3, c)", 0.0, 2.0),
        ("MAX(3, c)", 0.0, 3.0),
        ("MIN(INF, 5)", 0.0, 5.0),
        ("PI", 0.0, PI),
        ("SAFEDIV(6, 3)", 0.0, 2.0),
        ("SAFEDIV(1, 0)", 0.0, 0.0),
        ("SAFEDIV(1, 0, 7)", 0.0, 7.0),
        ("XIDZ(1, 0, 4)", 0.0, 4.0),
        ("ZIDZ(1, 0)", 0.0, 0.0),
        ("ZIDZ(1, 4)", 0.0, 0.25),
        ("7 MOD 3", 0.0, 1.0),
        ("-7 MOD 3", 0.0, 2.0),
        ("7 MOD -3", 0.0, -2.0),
        ("2 ^ 3 ^ 2", 0.0, 512.0),
        ("-2 ^ 2", 0.0, -4.0),
        ("2 ^ -1", 0.0, 0.5),
        ("1 + 2 * 3 - 4 / 2", 0.0, 5.0),
        ("(1 < 2) + (2 <= 2) + (3 > 4) + (4 >= 5) + (c = 2) + (c <> 2)", 0.0, 3.0),
        ("(1 AND 0) + (1 OR 0) * 2 + NOT 0 * 4 + NOT 3 * 8", 0.0, 6.0),
        ("IF TIME > 5 THEN 1 ELSE -1", 5.0, -1.0),
        ("IF TIME > 5 THEN 1 ELSE -1", 5.5, 1.0),
        ("IF_THEN_ELSE(c = 2, 10, 20)", 0.0, 10.0),
        ("TIME", 3.5, 3.5),
        ("DT", 0.0, DT),
        ("STARTTIME", 4.0, 0.0),
        ("STOPTIME", 4.0, 10.0),
        ("(TIME = 1.5) + (TIME * 0.1 = 0.15)", 1.5, 2.0),
        ("S", 5.0, 15.0),
        ("g(2.5)", 0.0, 25.0),
        ("g(S)", 0.0, 100.0),
        ("LOOKUP(g, 12)", 0.0, 100.0),
        ("LOOKUP(g, -1)", 0.0, 0.0),
        ("INIT(S)", 5.0, 10.0),
        ("INIT(TIME)", 5.0, 0.0),
        // Vensim's library.
        ("LOG(8, 2)", 0.0, 3.0),
        ("LOG(c * 50, 10)", 0.0, 2.0),
        ("QUANTUM(423, 63)", 0.0, 378.0),
        ("QUANTUM(-1.9, 1)", 0.0, -1.0),
        ("QUANTUM(S, 4)", 3.0, 12.0),
        ("QUANTUM(7.5, 0)", 0.0, 7.5),
        ("GAMMA_LN(5)", 0.0, 24f64.ln()),
        ("GAMMA_LN(0.5)", 0.0, 0.5 * PI.ln()),
        ("GET_TIME_VALUE(0, 2, 0)", 3.5, 5.5),
        ("GET_TIME_VALUE(0, -c, 0)", 3.5, 1.5),
        ("GET_TIME_VALUE(1, 2, 0)", 3.5, 2.0),
        ("LOOKUP_EXTRAPOLATE(g, 12)", 0.0, 120.0),
        ("LOOKUP_EXTRAPOLATE(g, -1)", 0.0, -10.0),
        ("LOOKUP_EXTRAPOLATE(g, 2.5)", 0.0, 25.0),
        ("ACTIVE_INITIAL(TIME, 100)", 0.0, 0.0),
        ("ACTIVE_INITIAL(TIME, 100)", 2.5, 2.5),
    ];
    let mut failures = Vec::new();
    for &(equation, time, expected) in cases {
        let actual = y_at(equation, time);
        if (actual - expected).abs() > 1e-12 * expected.abs().max(1.0) {
            failures.push(format!("{equation} at {time}: expected {expected}, got {actual}"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn test_inputs() {
    let cases: &[(&str, &[(f64, f64)])] = &[
        ("STEP(4, 3)", &[(2.5, 0.0), (3.0, 4.0), (9.0, 4.0)]),
        ("STEP(4, 3.2)", &[(2.5, 0.0), (3.0, 4.0)]),
        ("RAMP(2, 4)", &[(4.0, 0.0), (6.0, 4.0), (10.0, 12.0)]),
        ("RAMP(2, 4, 6)", &[(5.0, 2.0), (8.0, 4.0)]),
        ("PULSE(1, 2)", &[(1.5, 0.0), (2.0, 2.0), (2.5, 0.0), (5.0, 0.0)]),
        ("PULSE(1, 2, 3)", &[(2.0, 2.0), (3.0, 0.0), (5.0, 2.0), (8.0, 2.0), (8.5, 0.0)]),
        ("PULSE(3, 0)", &[(0.0, 6.0), (0.5, 0.0)]),
    ];
    for (equation, expectations) in cases {
        for &(time, expected) in *expectations {
            assert_eq!(y_at(equation, time), expected, "{equation} at {time}");
        }
    }
}

#[test]
fn pulse_train_repeats_its_pulses_until_the_end() {
    // PULSE_TRAIN(1, 1, 3, 7) with dt = 0.5: on for [1, 2) and [4, 5), and at 7, the end time,
    // but not after it (as Vensim's output of SDEverywhere's pulsetrain model shows).
    let values = y_series("PULSE_TRAIN(1, 1, 3, 7)");
    let on: Vec<f64> = values.iter().enumerate().filter(|(_, v)| **v == 1.0).map(|(n, _)| n as f64 * DT).collect();
    assert_eq!(on, [1.0, 1.5, 4.0, 4.5, 7.0]);
    assert!(values.iter().all(|v| *v == 0.0 || *v == 1.0));
    // A width of zero lasts one step; pulses closer than their width make one long pulse.
    let short = y_series("PULSE_TRAIN(1, 0, 3, 10)");
    let on: Vec<f64> = short.iter().enumerate().filter(|(_, v)| **v == 1.0).map(|(n, _)| n as f64 * DT).collect();
    assert_eq!(on, [1.0, 4.0, 7.0, 10.0]);
    let merged = y_series("PULSE_TRAIN(1, 2, 1, 3)");
    let on: Vec<f64> = merged.iter().enumerate().filter(|(_, v)| **v == 1.0).map(|(n, _)| n as f64 * DT).collect();
    assert_eq!(on, [1.0, 1.5, 2.0, 2.5, 3.0]);
}

#[test]
fn pulse_train_keeps_its_step_value_through_the_runge_kutta_stages() {
    // As Vensim documents: the value changes only at time steps, whatever the method. With
    // RK4 and dt = 1 the stock gains exactly 1 in the step from 1 to 2 and nothing before it
    // (read at the stage times, the last stage of the step from 0 would already see the pulse).
    let model = ModelBuilder::new(0.0, 4.0, 1.0)
        .method(Method::Rk4)
        .stock("Total", "0", &["pulses"], &[])
        .flow("pulses", "PULSE_TRAIN(1, 1, 10, 100)")
        .build();
    assert_eq!(series(&run(&model), "Total"), [0.0, 0.0, 1.0, 1.0, 1.0]);
}

#[test]
fn lookup_forward_and_backward_step_to_the_next_and_previous_points() {
    // The examples of Vensim's documentation: LOOK((0,1),(1,1),(2,2)).
    let model = |equation: &str| {
        ModelBuilder::new(0.0, 1.0, 1.0)
            .graph("look", GraphKind::Continuous, &[0.0, 1.0, 2.0], &[1.0, 1.0, 2.0])
            .aux("x", "0")
            .aux("y", equation)
            .build()
    };
    let cases = [
        ("LOOKUP_FORWARD(look, -1)", 1.0),
        ("LOOKUP_FORWARD(look, 1.5)", 2.0),
        ("LOOKUP_FORWARD(look, 2.5)", 2.0),
        ("LOOKUP_FORWARD(look, 0.5)", 1.0),
        ("LOOKUP_FORWARD(look, 1)", 1.0),
        ("LOOKUP_BACKWARD(look, -1)", 1.0),
        ("LOOKUP_BACKWARD(look, 1.5)", 1.0),
        ("LOOKUP_BACKWARD(look, 2.5)", 2.0),
        ("LOOKUP_BACKWARD(look, 2)", 2.0),
        ("look(1.5)", 1.5),
    ];
    for (equation, expected) in cases {
        assert_eq!(series(&run(&model(equation)), "y")[0], expected, "{equation}");
    }
}

#[test]
fn sample_if_true_holds_the_last_sample() {
    // S is 10 + TIME; sampled while TIME is in [1, 2] or from 4 on, else held; 99 before the
    // first sample.
    let values = y_series("SAMPLE_IF_TRUE((TIME >= 1 AND TIME <= 2) OR TIME >= 4, S, 99)");
    let expected: Vec<f64> = (0..=20)
        .map(|n| {
            let time = n as f64 * DT;
            match time {
                t if t < 1.0 => 99.0,
                t if t <= 2.0 || t >= 4.0 => 10.0 + t,
                _ => 12.0,
            }
        })
        .collect();
    assert_eq!(values, expected);
    // The condition holding at the start takes the input, not the initial value.
    assert_eq!(y_series("SAMPLE_IF_TRUE(1, S, 99)")[0], 10.0);
    // Inside a larger equation the sample is its own value, not the equation's.
    assert_eq!(y_series("2 * SAMPLE_IF_TRUE(TIME < 1, S, 0)")[..4], [20.0, 21.0, 21.0, 21.0]);
}

#[test]
fn sample_if_true_holds_its_sample_through_the_runge_kutta_stages() {
    // Sampled while TIME <= 2, at dt = 1. Up to 2 the stages sample TIME itself (RK4 integrates a
    // line exactly); from the step at 2 on, every stage reads the sample taken at 2.
    let model = ModelBuilder::new(0.0, 6.0, 1.0)
        .method(Method::Rk4)
        .stock("Total", "0", &["sampled"], &[])
        .flow("sampled", "SAMPLE_IF_TRUE(TIME <= 2, TIME, 0)")
        .build();
    let results = run(&model);
    assert_eq!(series(&results, "Total"), [0.0, 0.5, 2.0, 4.0, 6.0, 8.0, 10.0]);
    assert_eq!(series(&results, "sampled"), [0.0, 1.0, 2.0, 2.0, 2.0, 2.0, 2.0]);
}

#[test]
fn active_initial_is_read_only_while_initial_values_are_computed() {
    // The stock starts from the initial value; from the start on, the variable is its active
    // value, and what reads it sees that.
    let model = ModelBuilder::new(0.0, 3.0, 1.0)
        .stock("Level", "target", &["adjustment"], &[])
        .flow("adjustment", "(target - Level) / 2")
        .aux("target", "ACTIVE_INITIAL(Level * 2, 40)")
        .aux("twice", "target * 2")
        .build();
    let results = run(&model);
    let level = series(&results, "Level");
    assert_eq!(level[0], 40.0);
    assert_eq!(series(&results, "target"), level.iter().map(|l| l * 2.0).collect::<Vec<_>>());
    assert_eq!(series(&results, "twice")[0], 160.0);
    // Level (40) grows by (80 - 40) / 2 = 20, then by (120 - 60) / 2 = 30.
    assert_eq!(level, [40.0, 60.0, 90.0, 135.0]);
}

#[test]
fn active_initial_breaks_a_loop_among_initial_values() {
    // The stock's initial value reads `guess`, which reads the stock: a loop at the start,
    // unless ACTIVE_INITIAL gives `guess` a value of its own for the start.
    let model = |equation: &str| {
        ModelBuilder::new(0.0, 2.0, 1.0)
            .stock("Level", "guess", &["inflow"], &[])
            .flow("inflow", "1")
            .aux("guess", equation)
            .build()
    };
    let refused = fulcrum_model::resolve(&model("Level + 1")).expect_err("a loop among initial values");
    assert!(refused.0.iter().any(|d| d.code == fulcrum_model::Code::InitialValueLoop), "{refused:?}");
    let results = run(&model("ACTIVE_INITIAL(Level + 1, 5)"));
    assert_eq!(series(&results, "Level"), [5.0, 6.0, 7.0]);
    assert_eq!(series(&results, "guess"), [6.0, 7.0, 8.0]);
}

#[test]
fn net_present_value_matches_vensims_output() {
    // SDEverywhere's npv test model, with Vensim's output (six significant digits): an
    // investment of 100 at month 12, then 3 a month, discounted at 10% a year.
    let model = ModelBuilder::new(0.0, 100.0, 1.0)
        .aux("stream", "-100 / DT * STEP(1, 12) * (1 - STEP(1, 13)) + STEP(3, 12)")
        .aux("discount rate", "10 / 12 / 100")
        .aux("y", "NPV(stream, discount_rate, 0, 1)")
        .build();
    let values = series(&run(&model), "y");
    let vensim = [(11, 0.0), (12, -87.8056), (13, -85.1124), (17, -74.5604), (98, 78.4468), (100, 81.0743)];
    for (time, expected) in vensim {
        let actual = values[time];
        assert!((actual - expected).abs() <= 5e-6 * expected.abs().max(1.0), "at {time}: {actual} vs {expected}");
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(32))]

    /// A constant stream s discounted at rate r has, after n steps, the value of a geometric
    /// series: s·dt·(1 - qⁿ⁺¹)/(1 - q) with q = 1/(1 + r·dt), times the factor, plus the initial
    /// value.
    #[test]
    fn net_present_value_of_a_constant_stream_is_a_geometric_series(
        stream in -50.0f64..50.0,
        rate in 0.001f64..0.5,
        initial in -10.0f64..10.0,
        factor in 0.5f64..2.0,
        dt in proptest::sample::select(vec![0.25, 0.5, 1.0]),
    ) {
        let model = ModelBuilder::new(0.0, 20.0, dt)
            .aux("y", &format!("NPV({stream:?}, {rate:?}, {initial:?}, {factor:?})"))
            .build();
        let values = series(&run(&model), "y");
        let q = 1.0 / (1.0 + rate * dt);
        for (n, value) in values.iter().enumerate() {
            let expected = (initial + stream * dt * (1.0 - q.powi(n as i32 + 1)) / (1.0 - q)) * factor;
            proptest::prop_assert!((value - expected).abs() <= 1e-9 * expected.abs().max(1.0), "step {}: {} vs {}", n, value, expected);
        }
    }
}

#[test]
fn get_time_value_refuses_what_would_make_runs_irreproducible() {
    for (equation, argument) in [("GET_TIME_VALUE(2, 0, 0)", "2, 0, 0"), ("GET_TIME_VALUE(0, 0, 3)", "3)")] {
        let diagnostics = fulcrum_model::resolve(&fixture(equation).build()).expect_err(equation);
        assert!(diagnostics.0.iter().any(|d| d.code == fulcrum_model::Code::Unsupported), "{equation}: {argument}");
    }
    let diagnostics = fulcrum_model::resolve(&fixture("GET_TIME_VALUE(S, 0, 0)").build()).expect_err("a stock");
    assert!(diagnostics.0.iter().any(|d| d.code == fulcrum_model::Code::InvalidArgument));
}

#[test]
fn a_pulse_moves_exactly_its_magnitude_into_a_stock() {
    let model = ModelBuilder::new(0.0, 10.0, 0.25)
        .stock("Inbox", "0", &["arrivals"], &[])
        .flow("arrivals", "PULSE(12, 2, 3)")
        .build();
    let inbox = series(&run(&model), "Inbox");
    // Pulses at 2, 5 and 8; the stock shows each one step later.
    assert_eq!(inbox[(2.25 / 0.25) as usize], 12.0);
    assert_eq!(inbox[(5.25 / 0.25) as usize], 24.0);
    assert_eq!(*inbox.last().expect("saved"), 36.0);
}

#[test]
fn previous_holds_the_value_one_step_back() {
    // S is 10 + TIME, so at step n it was 10 + (n - 1) * dt one step earlier.
    let values = y_series("PREVIOUS(S, 0)");
    assert_eq!(values[0], 0.0);
    for (step, value) in values.iter().enumerate().skip(1) {
        assert_eq!(*value, 10.0 + (step - 1) as f64 * DT);
    }
    // One argument: the first step sees the source's own initial value.
    assert_eq!(y_series("PREVIOUS(TIME)")[..3], [0.0, 0.0, 0.5]);
    // SELF keeps a value: a counter that adds one per step.
    let counter = y_series("PREVIOUS(SELF, 0) + 1");
    assert_eq!(counter[..4], [1.0, 2.0, 3.0, 4.0]);
}

#[test]
fn pipeline_delay_is_a_true_transport_delay() {
    // Delay 2 = 4 steps: the initial input (10) until TIME 2, then S from 2 time units earlier.
    let values = y_series("DELAY(S, 2)");
    for (step, value) in values.iter().enumerate() {
        let time = step as f64 * DT;
        let expected = if time < 2.0 { 10.0 } else { 10.0 + time - 2.0 };
        assert_eq!(*value, expected, "at {time}");
    }
    let with_initial = y_series("DELAY(S, 2, -5)");
    assert_eq!(with_initial[..5], [-5.0, -5.0, -5.0, -5.0, 10.0]);
    // 1.3 time units round to 3 steps of 0.5; a zero delay still delays one step.
    assert_eq!(y_at("DELAY(S, 1.3)", 3.0), 10.0 + 1.5);
    assert_eq!(y_at("DELAY(TIME, 0)", 3.0), 2.5);
}

/// An n-stage smooth written out: each stage moves toward the one before at rate n / T.
fn smooth_reference(input: impl Fn(f64) -> f64, time: f64, order: usize, initial: f64, steps: usize) -> Vec<f64> {
    let mut stages = vec![initial; order];
    let mut output = Vec::new();
    for step in 0..=steps {
        let t = step as f64 * DT;
        output.push(stages[order - 1]);
        let mut upstream = input(t);
        let changes: Vec<f64> = stages
            .iter()
            .map(|&stage| {
                let change = (upstream - stage) / (time / order as f64);
                upstream = stage;
                change
            })
            .collect();
        for (stage, change) in stages.iter_mut().zip(changes) {
            *stage += DT * change;
        }
    }
    output
}

/// An n-stage material delay written out: each stage drains at its level divided by T / n.
fn delay_reference(input: impl Fn(f64) -> f64, time: f64, order: usize, initial_rate: f64, steps: usize) -> Vec<f64> {
    let stage_time = time / order as f64;
    let mut levels = vec![initial_rate * stage_time; order];
    let mut output = Vec::new();
    for step in 0..=steps {
        let t = step as f64 * DT;
        let outflows: Vec<f64> = levels.iter().map(|level| level / stage_time).collect();
        output.push(outflows[order - 1]);
        let mut inflow = input(t);
        for (level, outflow) in levels.iter_mut().zip(&outflows) {
            *level += DT * (inflow - outflow);
            inflow = *outflow;
        }
    }
    output
}

fn assert_close(actual: &[f64], expected: &[f64], what: &str) {
    assert_eq!(actual.len(), expected.len(), "{what}");
    for (step, (a, e)) in actual.iter().zip(expected).enumerate() {
        assert!((a - e).abs() <= 1e-12 * e.abs().max(1.0), "{what} at step {step}: {a} vs {e}");
    }
}

#[test]
fn smooths_and_material_delays_match_their_stock_chains() {
    let stock = |t: f64| 10.0 + t;
    let wave = |t: f64| 10.0 + 5.0 * (t * 0.7).sin();
    let steps = 20;
    assert_close(&y_series("SMTH1(S, 2)"), &smooth_reference(stock, 2.0, 1, 10.0, steps), "SMTH1");
    assert_close(&y_series("SMTH1(S, 2, 4)"), &smooth_reference(stock, 2.0, 1, 4.0, steps), "SMTH1 with initial");
    assert_close(
        &y_series("SMTH3(10 + 5 * SIN(TIME * 0.7), 3)"),
        &smooth_reference(wave, 3.0, 3, 10.0, steps),
        "SMTH3",
    );
    assert_close(&y_series("SMTHN(S, 2, 5, 0)"), &smooth_reference(stock, 2.0, 5, 0.0, steps), "SMTHN");
    assert_close(&y_series("DELAY1(S, 2)"), &delay_reference(stock, 2.0, 1, 10.0, steps), "DELAY1");
    assert_close(
        &y_series("DELAY3(10 + 5 * SIN(TIME * 0.7), 3, 5)"),
        &delay_reference(wave, 3.0, 3, 5.0, steps),
        "DELAY3",
    );
    assert_close(&y_series("DELAYN(S, 4, c * 2)"), &delay_reference(stock, 4.0, 4, 10.0, steps), "DELAYN");
}

#[test]
fn trend_and_forecast_follow_their_definitions() {
    // TREND: A starts at x / (1 + T * g0) and smooths x over T; TREND = (x - A) / (T * |A|).
    let (time, initial_trend, horizon) = (2.0, 0.1, 4.0);
    let mut average = 10.0 / (1.0 + time * initial_trend);
    let mut trends = Vec::new();
    let mut forecasts = Vec::new();
    for step in 0..=20 {
        let x = 10.0 + step as f64 * DT;
        let trend = (x - average) / (time * average.abs());
        trends.push(trend);
        forecasts.push(x * (1.0 + trend * horizon));
        average += DT * (x - average) / time;
    }
    assert_close(&y_series("TREND(S, 2, 0.1)"), &trends, "TREND");
    assert_close(&y_series("FORCST(S, 2, 4, 0.1)"), &forecasts, "FORCST");
    // A zero average gives a zero trend, not a division by zero.
    assert_eq!(y_series("TREND(0, 2)")[3], 0.0);
}

#[test]
fn random_functions_are_reproducible_per_run_and_seed() {
    let model = fixture("RANDOM(5, 6)").build();
    let compiled = compiled(&model);
    let draw = |seed: u64, run_id: u64| {
        let mut single = compiled.new_run();
        single.set_seed(seed, run_id);
        series(&single.run().expect("runs"), "y")
    };
    let first = draw(7, 3);
    assert_eq!(first, draw(7, 3));
    assert_ne!(first, draw(7, 4));
    assert_ne!(first, draw(8, 3));
    assert!(first.iter().all(|v| (5.0..6.0).contains(v)));
    // A fixed seed gives the same sequence in every run.
    let fixed = fixture("RANDOM(0, 1, 42)").build();
    let compiled_fixed = crate::compiled(&fixed);
    let mut one = compiled_fixed.new_run();
    one.set_seed(1, 1);
    let mut two = compiled_fixed.new_run();
    two.set_seed(2, 9);
    assert_eq!(series(&one.run().expect("runs"), "y"), series(&two.run().expect("runs"), "y"));
}

/// Mean and standard deviation of many draws.
fn moments(equation: &str) -> (f64, f64) {
    let model = ModelBuilder::new(0.0, 20_000.0, 1.0).aux("y", equation).build();
    let values = series(&run(&model), "y");
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let variance = values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0);
    (mean, variance.sqrt())
}

#[test]
fn random_functions_have_the_documented_moments() {
    // With 20,001 draws the sample mean is within 4 standard errors of the true mean.
    let cases = [
        ("RANDOM(2, 4)", 3.0, (4.0f64 - 2.0) / 12f64.sqrt()),
        ("NORMAL(5, 2)", 5.0, 2.0),
        ("LOGNORMAL(10, 3)", 10.0, 3.0),
        ("EXPRND(8)", 8.0, 8.0),
        ("POISSON(3)", 3.0, 3f64.sqrt()),
        ("POISSON(400)", 400.0, 20.0),
    ];
    for (equation, mean, sd) in cases {
        let (sample_mean, sample_sd) = moments(equation);
        let standard_error = sd / 20_001f64.sqrt();
        assert!((sample_mean - mean).abs() < 4.0 * standard_error, "{equation}: mean {sample_mean}, expected {mean}");
        assert!((sample_sd - sd).abs() < 0.05 * sd, "{equation}: sd {sample_sd}, expected {sd}");
    }
    let counts = series(&run(&ModelBuilder::new(0.0, 100.0, 1.0).aux("y", "POISSON(3)").build()), "y");
    assert!(counts.iter().all(|v| v.fract() == 0.0 && *v >= 0.0));
}

#[test]
fn random_draws_are_held_for_all_runge_kutta_stages_of_a_step() {
    // With the draw fixed within a step, RK4 of a pure-noise flow is its Euler sum exactly.
    let model = ModelBuilder::new(0.0, 5.0, 0.25)
        .method(Method::Rk4)
        .stock("Walk", "0", &["noise"], &[])
        .flow("noise", "NORMAL(0, 1)")
        .build();
    let results = run(&model);
    let (walk, noise) = (series(&results, "Walk"), series(&results, "noise"));
    let mut sum = 0.0;
    for step in 0..walk.len() {
        assert!((walk[step] - sum).abs() < 1e-12, "step {step}");
        sum += 0.25 * noise[step];
    }
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(64))]

    /// A long mix of sums and products, some of them parenthesised, equals the same arithmetic
    /// done here left to right, bit for bit: chains are read from the left, whatever their length.
    #[test]
    fn operator_chains_evaluate_left_to_right(
        terms in proptest::collection::vec(
            (proptest::bool::ANY, proptest::collection::vec((proptest::bool::ANY, 0.5f64..4.0), 1..6)),
            1..300,
        ),
        bracket in proptest::bool::ANY,
    ) {
        // Each term is `± f₁ (*|/) f₂ …`, the first factor S (10 + TIME) so nothing folds away.
        let mut text = String::new();
        let mut expected = 0.0;
        for (position, (subtract, factors)) in terms.iter().enumerate() {
            let mut term = 10.0 + 3.0;
            let mut written = "S".to_owned();
            for (divide, factor) in factors {
                term = if *divide { term / factor } else { term * factor };
                written += &format!(" {} {factor:?}", if *divide { "/" } else { "*" });
            }
            if bracket && factors.len() > 1 {
                written = format!("({written})");
            }
            if position == 0 {
                expected = term;
                text = written;
            } else {
                expected = if *subtract { expected - term } else { expected + term };
                text += &format!(" {} {written}", if *subtract { "-" } else { "+" });
            }
        }
        let got = y_at(&text, 3.0);
        proptest::prop_assert_eq!(got.to_bits(), expected.to_bits(), "{} gave {}, not {}", text, got, expected);
    }
}

/// Powers with the constant exponents 1, 2, -1 and 0.5 are computed without `pow`, correctly
/// rounded: `x`, `x * x`, `1 / x` and the square root. The arguments are ones where glibc's `pow`
/// (2.36, within 0.52 units in the last place) is one unit off the correctly rounded answer, so
/// with a `pow` like it this fails if the powers go through `pow`. At -0, `x^0.5` answers +0 as
/// `pow` does, where the square root answers -0 (the infinite and NaN cases, which stop a
/// run, are the VM's unit tests).
#[test]
fn constant_powers_are_correctly_rounded() {
    let (square, reciprocal, root) = (2.762_331_368_717_507_3, 1.171_018_553_653_531, 6.792_255_406_512_536_5);
    let cases: &[(&str, f64, f64)] = &[
        ("a ^ 2", square, square * square),
        ("a ^ -1", reciprocal, 1.0 / reciprocal),
        ("a ^ (-1)", reciprocal, 1.0 / reciprocal),
        ("a ^ 0.5", root, root.sqrt()),
        ("a ^ 1", root, root),
        ("a ^ 2", -0.0, 0.0),
        ("a ^ 0.5", -0.0, 0.0),
        ("a ^ 0.5", 4.0, 2.0),
    ];
    for &(equation, a, expected) in cases {
        let model = ModelBuilder::new(0.0, 1.0, 1.0).constant("a", a).aux("y", equation).build();
        let value = series(&run(&model), "y")[0];
        assert_eq!(value.to_bits(), expected.to_bits(), "{equation} at a = {a}: {value}");
    }
}
