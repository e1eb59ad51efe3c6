//! Vensim functions whose definition is Vensim's text rather than a fulcrum built-in, run from
//! `.mdl` source: RAMP FROM TO against the macro of that name that C-LEARN defines (the only
//! published definition of it), and the market functions through the reader.

use crate::root;

const CONTROL: &str = "INITIAL TIME = 0 ~~|\nFINAL TIME = 6 ~~|\nTIME STEP = 0.5 ~~|\nSAVEPER = TIME STEP ~~|\n";

/// Reads and runs `.mdl` text; the series of `names`.
fn run(text: &str, names: &[&str]) -> Vec<Vec<f64>> {
    let (model, diagnostics) = fulcrum_vensim::read(text).unwrap_or_else(|d| panic!("{d:?}"));
    assert!(!diagnostics.has_errors(), "{diagnostics:?}");
    let resolved = fulcrum_model::resolve(&model).unwrap_or_else(|d| panic!("{d:?}"));
    let results = fulcrum_sim::compile(&resolved).expect("compiles").new_run().run().expect("runs");
    names.iter().map(|name| results.series(name).unwrap_or_else(|| panic!("no {name}")).to_vec()).collect()
}

#[test]
fn ramp_from_to_matches_the_c_learn_macro_of_that_name() {
    let fixture = root().join("../shared/conformance/simlin-additions/tests/macro_clearn_ramp_from_to");
    let text = std::fs::read_to_string(fixture.join("test_macro_clearn_ramp_from_to.mdl")).expect("the fixture");
    let end = text.find(":END OF MACRO:").expect("the macro") + ":END OF MACRO:".len();
    let start = text.find(":MACRO:").expect("the macro");
    let definition = &text[start..end];
    let calls = "linear = RAMP FROM TO(2, 10, 1, 5, 1) ~~|\n\
                 grown = RAMP FROM TO(2, 10, 1, 5, 0) ~~|\n\
                 forced = RAMP FROM TO(-2, 10, 1, 5, 0) ~~|\n\
                 short = RAMP FROM TO(3, 1, 2, 2, 1) ~~|\n";
    let names = ["linear", "grown", "forced", "short"];
    let with_macro = run(&format!("{{UTF-8}}\n{definition}\n{calls}{CONTROL}"), &names);
    let built_in = run(&format!("{{UTF-8}}\n{calls}{CONTROL}"), &names);
    for (name, (a, b)) in names.iter().zip(with_macro.iter().zip(&built_in)) {
        for (step, (x, y)) in a.iter().zip(b).enumerate() {
            assert!((x - y).abs() <= 1e-12 * x.abs().max(1.0), "{name} at step {step}: macro {x}, built-in {y}");
        }
    }
    // By hand, at times 0, 0.5, ..., 6. Linear: 2 until time 1, then 2 more per unit of time
    // until 10 at time 5. Grown: 2 × 5^((t - 1)/4) between, so √5 × 2 at time 3.
    let linear: Vec<f64> =
        (0..=12).map(|i| f64::from(i) * 0.5).map(|t| 2.0 + 2.0 * (t.clamp(1.0, 5.0) - 1.0)).collect();
    assert_eq!(built_in[0], linear);
    assert!((built_in[1][6] - 2.0 * 5f64.sqrt()).abs() < 1e-12, "{}", built_in[1][6]);
    // 2 up to time 1, 10 at time 5 (2 × e^(ln 5), to rounding) and after it.
    assert_eq!((built_in[1][2], built_in[1][12]), (2.0, 10.0));
    assert!((built_in[1][10] - 10.0).abs() < 1e-12, "{}", built_in[1][10]);
    // A negative end forces the linear ramp: -2 + 3 per unit of time from time 1 to 5.
    assert_eq!(built_in[2][6], 4.0);
    // No time between start and end: RAMP's own definition (slope × (end - start) once past the
    // end) adds nothing, so the value stays at `from`, in the macro as in the built-in.
    assert!(built_in[3].iter().all(|&v| v == 3.0), "{:?}", built_in[3]);
    // Four arguments: the linear ramp.
    let four = run(&format!("{{UTF-8}}\nfour = RAMP FROM TO(2, 10, 1, 5) ~~|\n{CONTROL}"), &["four"]);
    assert_eq!(four[0], linear);
}

#[test]
fn the_market_functions_clear_a_vensim_market() {
    // Rectangular curves (type 1): demands 100 falling from 8 to 12 and 50 from 6 to 10; supplies
    // 120 rising from 4 to 8 and 60 from 8 to 10. Demand 425 - 37.5 p meets supply 30 p - 120 at
    // p = 545 / 67.5 (worked in crates/fulcrum-sim/tests/sim/vensim_library.rs).
    let text = format!(
        "{{UTF-8}}\ndemander: d1, d2 ~~|\nsupplier: s1, s2 ~~|\npprofile: ptype, ppriority, pwidth, pextra ~~|\n\
         demand[demander] = 100, 50 ~~|\ncapacity[supplier] = 120, 60 ~~|\n\
         demand curve[d1, pprofile] = 1, 10, 4, 0 ~~|\ndemand curve[d2, pprofile] = 1, 8, 4, 0 ~~|\n\
         supply curve[s1, pprofile] = 1, 6, 4, 0 ~~|\nsupply curve[s2, pprofile] = 1, 9, 2, 0 ~~|\n\
         price = FIND MARKET PRICE(demand[d1], demand curve[d1, ptype], capacity[s1], supply curve[s1, ptype]) ~~|\n\
         bought[demander] = DEMAND AT PRICE(demand[demander], demand curve[demander, ptype], price) ~~|\n\
         sold[supplier] = SUPPLY AT PRICE(capacity[supplier], supply curve[supplier, ptype], price) ~~|\n\
         total bought = SUM(bought[demander!]) ~~|\ntotal sold = SUM(sold[supplier!]) ~~|\n{CONTROL}"
    );
    let series = run(&text, &["price", "total bought", "total sold"]);
    let price = 545.0 / 67.5;
    assert!((series[0][0] - price).abs() < 1e-12, "{}", series[0][0]);
    assert!((series[1][0] - series[2][0]).abs() < 1e-9, "bought {}, sold {}", series[1][0], series[2][0]);
    assert!((series[2][0] - (120.0 + 30.0 * (price - 8.0))).abs() < 1e-9);
}

#[test]
fn a_queue_fifo_accumulates_like_a_level() {
    // Waiting starts at 100 with 3 arriving and a tenth of it served per unit of time; Euler with
    // a step of 0.5: 100 + 0.5 × (3 - 10) = 96.5, then 96.5 + 0.5 × (3 - 9.65) = 93.175.
    let text = format!(
        "{{UTF-8}}\nWaiting = QUEUE FIFO(arriving, serving, flat, 100, 20) ~~|\narriving = 3 ~~|\n\
         serving = Waiting / 10 ~~|\nflat((0,1),(1,1)) ~~|\n{CONTROL}"
    );
    let series = run(&text, &["waiting"]);
    assert_eq!(series[0][..3], [100.0, 96.5, 93.175]);
}

/// A DELAY CONVEYOR model: `input`, the conveyor's output `out`, and Vensim's own accounting of
/// what is on the conveyor from its documentation of DELAY CONVEYOR: `convey total =
/// INTEG(input - out - total leakage, initial)` with `total leakage = ahead level × leak` and
/// `ahead level = convey total + TIME STEP × (input - out)`.
fn conveyor(input: &str, ctime: &str, leak: &str, initial: &str) -> Vec<Vec<f64>> {
    conveyor_until(input, ctime, leak, initial, 8.0)
}

/// As [`conveyor`], run until `final_time`.
fn conveyor_until(input: &str, ctime: &str, leak: &str, initial: &str, final_time: f64) -> Vec<Vec<f64>> {
    let text = format!(
        "{{UTF-8}}\ninput = {input} ~~|\nctime = {ctime} ~~|\nleak rate = {leak} ~~|\n\
         flat((0,1),(1,1)) ~~|\n\
         out = DELAY CONVEYOR(input, ctime, leak rate, flat, {initial}, ctime) ~~|\n\
         total leakage = ahead level * leak rate ~~|\n\
         ahead level = convey total + TIME STEP * (input - out) ~~|\n\
         convey total = INTEG(input - out - total leakage, {initial}) ~~|\n\
         INITIAL TIME = 0 ~~|\nFINAL TIME = {final_time} ~~|\nTIME STEP = 0.5 ~~|\nSAVEPER = TIME STEP ~~|\n"
    );
    run(&text, &["out", "convey total"])
}

#[test]
fn delay_conveyor_delivers_its_input_the_conveyance_time_later() {
    // 10 a unit of time from time 1: out is input(t - 3), 10 from time 4.
    let [out, _] = <[Vec<f64>; 2]>::try_from(conveyor("STEP(10, 1)", "3", "0", "0")).expect("two series");
    let expected: Vec<f64> = (0..=16).map(|i| if f64::from(i) * 0.5 >= 4.0 { 10.0 } else { 0.0 }).collect();
    assert_eq!(out, expected);
    // 12 on the conveyor at the start, spread by a flat profile over the 4 units of conveyance
    // time: 12 / 4 = 3 a unit of time until time 4, then nothing.
    let [out, total] = <[Vec<f64>; 2]>::try_from(conveyor("0", "4", "0", "12")).expect("two series");
    let expected: Vec<f64> = (0..=16).map(|i| if f64::from(i) * 0.5 < 4.0 { 3.0 } else { 0.0 }).collect();
    assert_eq!(out, expected);
    assert_eq!(total[8..], [0.0; 9]);
}

#[test]
fn delay_conveyor_leaks_as_vensims_own_accounting_of_it_says() {
    // 10 a unit of time during the first step only: 5 enters. Leaking 0.1 per unit of time, a
    // step of 0.5 takes 5% of what is on the conveyor, over the 2 / 0.5 = 4 steps the ahead level
    // holds it: 5 × 0.95^4 = 4.07253125 leaves in the step at time 2, a rate of 8.1450625.
    let [out, total] =
        <[Vec<f64>; 2]>::try_from(conveyor("IF THEN ELSE(Time < 0.25, 10, 0)", "2", "0.1", "0")).expect("two series");
    assert!((out[4] - 5.0 * 0.95f64.powi(4) / 0.5).abs() < 1e-12, "{}", out[4]);
    assert!(out.iter().enumerate().all(|(i, &v)| i == 4 || v == 0.0), "{out:?}");
    // Vensim's accounting of the conveyor's contents empties when the material has left: what
    // left is what the documented leakage left over.
    assert!(total[5..].iter().all(|v| v.abs() < 1e-12), "{total:?}");
}

#[test]
fn a_leaking_conveyors_initial_contents_leave_as_vensim_documents() {
    // 10 on the conveyor, spread over 2 units of conveyance time: the first output is
    // 10 / 2 = 5, as Vensim's documentation says, and each later quarter of the contents has
    // leaked 5% per step it waited: 5 × 0.95, 5 × 0.95², 5 × 0.95³.
    let [out, total] = <[Vec<f64>; 2]>::try_from(conveyor("0", "2", "0.1", "10")).expect("two series");
    for (step, want) in [5.0, 4.75, 4.5125, 4.286875].into_iter().enumerate() {
        assert!((out[step] - want).abs() < 1e-12, "step {step}: {}", out[step]);
    }
    // Vensim's accounting of the contents empties when the last of them has left.
    assert!(total[4..].iter().all(|v| v.abs() < 1e-12), "{total:?}");
}

/// A leak that changes during the run: Vensim's leakage is the leak rate times the ahead level,
/// so each batch keeps 1 - leak × TIME STEP of itself for each step it rides, at that step's
/// leak. By hand, TIME STEP 1, conveyance time 2, leak 0.1 + 0.05 × Time (0.1, 0.15, 0.2, 0.25
/// at times 0 to 3), 40 on the conveyor at the start and 10 a unit of time coming in until
/// time 3: out is 40 / 2 = 20 at time 0 (the initial value the page gives), the second half of
/// the initial contents 20 × 0.9 = 18 at 1, then the input of time 0 kept by 0.9 × 0.85 (7.65)
/// at 2, of time 1 by 0.85 × 0.8 (6.8) at 3, of time 2 by 0.8 × 0.75 (6) at 4, and nothing
/// after; Vensim's accounting of the contents is 27 at time 1 (40 + 10 - 20 - 3) and empties.
#[test]
fn delay_conveyor_leaks_at_a_rate_that_changes() {
    let series = run_at(
        "input = IF THEN ELSE(Time < 3, 10, 0) ~~|\nleak rate = 0.1 + 0.05 * Time ~~|\nflat((0,1),(1,1)) ~~|\n\
         out = DELAY CONVEYOR(input, 2, leak rate, flat, 40, 2) ~~|\n\
         total leakage = ahead level * leak rate ~~|\n\
         ahead level = convey total + TIME STEP * (input - out) ~~|\n\
         convey total = INTEG(input - out - total leakage, 40) ~~|\n",
        8.0,
        &["out", "convey total"],
    );
    let expected = [20.0, 18.0, 7.65, 6.8, 6.0, 0.0, 0.0, 0.0, 0.0];
    for (step, (got, want)) in series[0].iter().zip(expected).enumerate() {
        assert!((got - want).abs() < 1e-12, "step {step}: {got}, expected {want}");
    }
    assert!((series[1][1] - 27.0).abs() < 1e-12, "{:?}", series[1]);
    assert!(series[1][5..].iter().all(|v| v.abs() < 1e-12), "{:?}", series[1]);
}

/// Vensim's page: "You can speed up or slow down a conveyor by changing ctime." The belt moves
/// TIME STEP / ctime of the way each step, ctime read then. By hand, TIME STEP 1, 10 entering
/// in the first step: with a conveyance time of 4 until time 2 and 2 after, the batch comes a
/// quarter of the way in each of the first two steps and the other half in the third, so it
/// leaves at time 3, not 4; with 2 until time 1 and 4 after, half, then a quarter twice: time
/// 3, not 2. A constant 4 keeps it on the belt until 4. Vensim's accounting of the contents
/// empties once it has left.
#[test]
fn delay_conveyor_speeds_up_and_slows_down_with_its_conveyance_time() {
    let leaves = |ctime: &str| {
        let series = run_at(
            &format!(
                "input = IF THEN ELSE(Time < 1, 10, 0) ~~|\nctime = {ctime} ~~|\nflat((0,1),(1,1)) ~~|\n\
                 out = DELAY CONVEYOR(input, ctime, 0, flat, 0, ctime) ~~|\n\
                 convey total = INTEG(input - out, 0) ~~|\n"
            ),
            8.0,
            &["out", "convey total"],
        );
        let step = series[0].iter().position(|&v| v != 0.0);
        assert!(series[0].iter().filter(|&&v| v != 0.0).all(|&v| v == 10.0), "{:?}", series[0]);
        assert_eq!(series[1].last().copied(), Some(0.0), "{:?}", series[1]);
        step
    };
    assert_eq!(leaves("IF THEN ELSE(Time < 2, 4, 2)"), Some(3));
    assert_eq!(leaves("IF THEN ELSE(Time < 1, 2, 4)"), Some(3));
    assert_eq!(leaves("4 + 0 * Time"), Some(4));
}

#[test]
fn delay_conveyor_conserves_what_it_is_given() {
    // A varying input, no leak: everything that entered has left or is still on the conveyor,
    // as Vensim's accounting shows it, and what leaves is what entered three units earlier.
    let [out, total] = <[Vec<f64>; 2]>::try_from(conveyor("5 + 4 * SIN(Time)", "3", "0", "15")).expect("two series");
    assert!(total.iter().all(|&v| v >= -1e-12), "{total:?}");
    for (step, &left) in out.iter().enumerate().skip(6) {
        let entered = 5.0 + 4.0 * (f64::from(u32::try_from(step - 6).expect("small")) * 0.5).sin();
        assert!((left - entered).abs() < 1e-12, "step {step}: {left} against {entered}");
    }
    // Before material that entered reaches the end, the initial 15 leaves at 15 / 3 a unit.
    assert!(out[..6].iter().all(|&v| (v - 5.0).abs() < 1e-12), "{out:?}");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]

    /// Whatever the input, conveyance time, leak and initial contents, Vensim's documented
    /// accounting of a conveyor's contents (input less output less the leakage on the ahead
    /// level) never goes negative and is back to zero once everything has left: what entered
    /// either leaked or came out, none created or lost.
    #[test]
    fn delay_conveyor_conserves_material_by_vensims_accounting(
        level in 0.0f64..20.0,
        swing_share in 0.0f64..1.0,
        ctime in 1u32..8,
        leak in 0.0f64..0.8,
        initial in 0.0f64..50.0,
    ) {
        // A conveyor takes no negative input (an inflow), and Vensim's documentation does not
        // say what its conveyor does with one, so the input stays at or above zero: until time
        // 4, then nothing; the last of it leaves by 4 + ctime ≤ 8.
        let swing = level * swing_share;
        let input = format!("IF THEN ELSE(Time < 4, {level} + {swing} * SIN(3 * Time), 0)");
        let ctime = f64::from(ctime) * 0.5;
        let [_, total] = <[Vec<f64>; 2]>::try_from(conveyor_until(&input, &ctime.to_string(), &leak.to_string(), &initial.to_string(), 14.0)).expect("two series");
        let scale = (level + swing) * 4.0 + initial + 1.0;
        proptest::prop_assert!(total.iter().all(|&v| v >= -1e-9 * scale), "{total:?}");
        let last = total.last().copied().unwrap_or(f64::NAN);
        proptest::prop_assert!(last.abs() <= 1e-9 * scale, "left on the conveyor: {last}");
    }

    /// The same with a conveyance time that changes during the run (between 1 and 5): what is on
    /// the belt speeds up and slows down, and Vensim's accounting still never goes negative and
    /// empties once everything has left.
    #[test]
    fn delay_conveyor_with_a_changing_conveyance_time_conserves_material_by_vensims_accounting(
        level in 0.0f64..20.0,
        swing in 0.0f64..2.0,
        leak in 0.0f64..0.8,
        initial in 0.0f64..50.0,
    ) {
        let input = format!("IF THEN ELSE(Time < 4, {level} * (1 + SIN(3 * Time)), 0)");
        let ctime = format!("3 + {swing} * SIN(Time)");
        let [_, total] = <[Vec<f64>; 2]>::try_from(conveyor_until(&input, &ctime, &leak.to_string(), &initial.to_string(), 14.0)).expect("two series");
        let scale = level * 8.0 + initial + 1.0;
        proptest::prop_assert!(total.iter().all(|&v| v >= -1e-9 * scale), "{total:?}");
        let last = total.last().copied().unwrap_or(f64::NAN);
        proptest::prop_assert!(last.abs() <= 1e-9 * scale, "left on the conveyor: {last}");
    }

    /// The same with a leak that changes during the run (between 0 and twice `leak`): Vensim's
    /// accounting stays at or above zero and empties once everything has left.
    #[test]
    fn delay_conveyor_with_a_changing_leak_conserves_material_by_vensims_accounting(
        level in 0.0f64..20.0,
        ctime in 1u32..8,
        leak in 0.0f64..0.8,
        leak_swing in 0.0f64..1.0,
        initial in 0.0f64..50.0,
    ) {
        let input = format!("IF THEN ELSE(Time < 4, {level} * (1 + SIN(3 * Time)), 0)");
        let leak = format!("{leak} * (1 + {leak_swing} * SIN(2 * Time))");
        let ctime = f64::from(ctime) * 0.5;
        let [_, total] = <[Vec<f64>; 2]>::try_from(conveyor_until(&input, &ctime.to_string(), &leak, &initial.to_string(), 14.0)).expect("two series");
        let scale = level * 8.0 + initial + 1.0;
        proptest::prop_assert!(total.iter().all(|&v| v >= -1e-9 * scale), "{total:?}");
        let last = total.last().copied().unwrap_or(f64::NAN);
        proptest::prop_assert!(last.abs() <= 1e-9 * scale, "left on the conveyor: {last}");
    }
}

#[test]
fn delay_conveyor_refuses_what_it_cannot_do_as_vensim_does() {
    for (arguments, located) in [
        // A leak that changes, with initial contents a shaped profile releases beside the belt.
        ("input, 2, Time / 10, ramp, 5, 2", "Time / 10"),
        // An initial conveyance time the start does not fix, a profile that is not a lookup.
        ("input, 2, 0, ramp, 0, Time", "Time"),
        ("input, 2, 0, input, 0, 2", "input"),
    ] {
        let text = format!(
            "{{UTF-8}}\ninput = 1 ~~|\nflat((0,1),(1,1)) ~~|\nramp((0,0),(1,1)) ~~|\n\
             out = DELAY CONVEYOR({arguments}) ~~|\n{CONTROL}"
        );
        let diagnostics = match fulcrum_vensim::read(&text) {
            Ok((_, diagnostics)) | Err(diagnostics) => diagnostics,
        };
        let problem = diagnostics.0.iter().find(|d| d.code.as_str() == "E0702").expect("refused");
        let span = problem.span.expect("located");
        assert_eq!(&text[span.start()..span.end()], located, "{problem:?}");
        assert!(problem.help.is_some());
    }
}

/// Whether `got` is Vensim's value `printed` in its `.dat` output, which keeps six significant
/// digits and drops trailing zeros (`-4` is -4.00000): within a relative 1e-4 (the suite's rule;
/// Vensim finds its allocations and prices to a tolerance of about that) or within half the sixth
/// significant digit; a printed 0 within 1e-6.
fn is_printed(got: f64, printed: &str) -> bool {
    let value: f64 = printed.parse().expect("a number");
    if value == 0.0 {
        return got.abs() <= 1e-6;
    }
    let place = 10f64.powf(value.abs().log10().floor() - 5.0);
    (got - value).abs() <= 1e-4 * value.abs().max(got.abs()) || (got - value).abs() <= place / 2.0
}

/// The series of a one-step run of `equations` as `.mdl` text.
fn run_at(equations: &str, final_time: f64, names: &[&str]) -> Vec<Vec<f64>> {
    let control = format!("INITIAL TIME = 0 ~~|\nFINAL TIME = {final_time} ~~|\nTIME STEP = 1 ~~|\nSAVEPER = 1 ~~|\n");
    run(&format!("{{UTF-8}}\n{equations}{control}"), names)
}

#[test]
fn allocate_available_normal_profile_is_vensims_approximation_of_the_curve() {
    // Requests 3, 2 and 4 at priorities 1, 2 and 3 of width 1 (normal, type 3), sharing a supply
    // that grows by 5/6 a unit of time. The expected shares are Vensim's, from its run of
    // SDEverywhere's `allocate` model (same requests, profiles and supply) at times 1, 3 and 6;
    // the exact normal curve gives 0.0061119 at time 1, 0.3% below Vensim.
    let equations = "outlet: north, middle, south ~~|\nprofile: kind, rank, spread, extra ~~|\n\
                     wanted[outlet] = 3, 2, 4 ~~|\n\
                     curve[outlet, kind] = 3 ~~|\ncurve[outlet, rank] = 1, 2, 3 ~~|\n\
                     curve[outlet, spread] = 1 ~~|\ncurve[outlet, extra] = 0 ~~|\n\
                     on hand = Time * 5 / 6 ~~|\n\
                     given[outlet] = ALLOCATE AVAILABLE(wanted[outlet], curve[outlet, kind], on hand) ~~|\n";
    let names = ["given[north]", "given[middle]", "given[south]"];
    let series = run_at(equations, 6.0, &names);
    // No supply at time 0: nothing at all is allocated, as Vensim prints 0.
    assert_eq!([series[0][0], series[1][0], series[2][0]], [0.0; 3]);
    for (time, printed) in [
        (1, ["0.00613038", "0.0611702", "0.766029"]),
        (3, ["0.076891", "0.342397", "2.08071"]),
        (6, ["0.523797", "1.05094", "3.42526"]),
    ] {
        for ((name, values), printed) in names.iter().zip(&series).zip(printed) {
            assert!(
                is_printed(values[time], printed),
                "{name} at time {time}: {} against Vensim's {printed}",
                values[time]
            );
        }
    }
}

#[test]
fn allocate_available_profile_types_as_vensim_computes_them() {
    // Two requests at priorities 0.1 and 0.9 of width 0.5 sharing 100; the profile type is the
    // time, 0 to 4. Expected values: Vensim's run of SDEverywhere's `allocate_ptype` model (the
    // same numbers). Type 0 (fixed quantity) shares a short supply in proportion to the requests.
    let equations = "asker: first, second ~~|\nprofile: kind, rank, spread, extra ~~|\n\
                     curve[asker, kind] = Time ~~|\ncurve[asker, rank] = 0.1, 0.9 ~~|\n\
                     curve[asker, spread] = 0.5 ~~|\ncurve[asker, extra] = 0 ~~|\n\
                     small[asker] = 20, 30 ~~|\nlarge[asker] = 200, 300 ~~|\nuneven[asker] = 200, 50 ~~|\n\
                     fits[asker] = ALLOCATE AVAILABLE(small[asker], curve[asker, kind], 100) ~~|\n\
                     short[asker] = ALLOCATE AVAILABLE(large[asker], curve[asker, kind], 100) ~~|\n\
                     one served[asker] = ALLOCATE AVAILABLE(uneven[asker], curve[asker, kind], 100) ~~|\n";
    let names =
        ["fits[first]", "fits[second]", "short[first]", "short[second]", "one served[first]", "one served[second]"];
    let series = run_at(equations, 4.0, &names);
    let vensim = [
        ["20", "30", "40", "60", "80", "20"],
        ["20", "30", "0", "100", "50", "50"],
        ["20", "30", "0", "99.9998", "49.9999", "50"],
        ["20", "30", "3.87908", "96.1207", "57.4714", "42.5285"],
        ["20", "30", "11.863", "88.1368", "58.6115", "41.3884"],
    ];
    for (kind, printed) in vensim.iter().enumerate() {
        for ((name, values), printed) in names.iter().zip(&series).zip(printed) {
            assert!(
                is_printed(values[kind], printed),
                "{name}, type {kind}: {} against Vensim's {printed}",
                values[kind]
            );
        }
    }
}

#[test]
fn market_prices_as_vensim_finds_them() {
    // Demands 500 and 300 (priorities 1 and 2) scaled by `scale`, supplies 200, 300 and 450
    // (priorities 1, 2, 3), width 1, one market per profile type. Expected values: Vensim's run
    // of SDEverywhere's `allocate_price` model, at its times 0 (no demand: the lowest price of
    // Vensim's search, half a width below the lowest priority for types 1 and 2, five widths for
    // 3, ten for 4) and 6 (scale 0.5). A fixed quantity (type 0) buys and sells all of itself.
    let equations = |scale: f64| {
        format!(
            "kind: rectangular, triangular, normal, exponential ~~|\nbuyer: b1, b2 ~~|\nseller: s1, s2, s3 ~~|\n\
             profile: ptype, ppriority, pwidth, pextra ~~|\n\
             reference[buyer] = 500, 300 ~~|\ncapacity[seller] = 200, 300, 450 ~~|\n\
             wants[kind, buyer] = {scale} * reference[buyer] ~~|\nhas[kind, seller] = capacity[seller] ~~|\n\
             buys[kind, buyer, ptype] = 1, 1; 2, 2; 3, 3; 4, 4; ~~|\nbuys[kind, buyer, ppriority] = 1, 2; 1, 2; 1, 2; 1, 2; ~~|\n\
             buys[kind, buyer, pwidth] = 1 ~~|\nbuys[kind, buyer, pextra] = 0 ~~|\n\
             sells[kind, seller, ptype] = 1, 1, 1; 2, 2, 2; 3, 3, 3; 4, 4, 4; ~~|\n\
             sells[kind, seller, ppriority] = 1, 2, 3; 1, 2, 3; 1, 2, 3; 1, 2, 3; ~~|\n\
             sells[kind, seller, pwidth] = 1 ~~|\nsells[kind, seller, pextra] = 0 ~~|\n\
             price[kind] = FIND MARKET PRICE(wants[kind, b1], buys[kind, b1, ptype], has[kind, s1], sells[kind, s1, ptype]) ~~|\n\
             fixed[buyer, profile] = 0, 1, 1, 0; 0, 2, 1, 0; ~~|\n\
             still wanted[buyer] = DEMAND AT PRICE(reference[buyer], fixed[buyer, ptype], 40) ~~|\n\
             still offered[buyer] = SUPPLY AT PRICE(reference[buyer], fixed[buyer, ptype], -40) ~~|\n"
        )
    };
    let names = [
        "price[rectangular]",
        "price[triangular]",
        "price[normal]",
        "price[exponential]",
        "still wanted[b1]",
        "still offered[b2]",
    ];
    for (scale, printed) in [
        (0.0, ["0.5", "0.5", "-4", "-9", "500", "300"]),
        (0.5, ["1.38889", "1.2643", "1.28018", "1.18737", "500", "300"]),
    ] {
        let series = run_at(&equations(scale), 1.0, &names);
        for ((name, values), printed) in names.iter().zip(&series).zip(printed) {
            assert!(
                is_printed(values[0], printed),
                "{name} at scale {scale}: {} against Vensim's {printed}",
                values[0]
            );
        }
    }
}

#[test]
fn elmcount_in_an_arrayed_equation_counts_the_range() {
    // `ELMCOUNT(range)` inside an equation over that range is the range's size, not the
    // element's position: 33 for every element in Vensim's run of SDEverywhere's `elmcount`
    // model, which has the same two equations.
    let equations = "place: here, there, elsewhere ~~|\ncount = ELMCOUNT(place) ~~|\n\
                     scaled[place] = 10 * ELMCOUNT(place) + count ~~|\n";
    let series = run_at(equations, 1.0, &["count", "scaled[here]", "scaled[there]", "scaled[elsewhere]"]);
    assert_eq!(series.iter().map(|s| s[0]).collect::<Vec<_>>(), [3.0, 33.0, 33.0, 33.0]);
}

#[test]
fn nested_comments_and_apostrophes_in_names_read_as_vensim_writes_them() {
    // A comment inside a comment (an equation commented out with its own note), between
    // definitions and inside an equation; names with an apostrophe, unquoted and quoted.
    let text = "{UTF-8}\n\
                { old = 2 {the first guess} ~~| }\n\
                Rate's value = 3 { per month {was 2} } ~~|\n\
                \"Owner's share\" = Rate's value * 2 ~~|\n\
                x' = \"Owner's share\" + 1 {a {deeply {nested}} note} ~~|\n\
                Stock = INTEG(x', 0) ~~|\n"
        .to_owned()
        + CONTROL;
    let (model, diagnostics) = fulcrum_vensim::read(&text).unwrap_or_else(|d| panic!("{d:?}"));
    assert!(diagnostics.0.is_empty(), "{diagnostics:?}");
    assert!(model.variable("old").is_none(), "the commented-out equation is not read");
    let series = run(&text, &["Rate's value", "Owner's share", "x'", "Stock"]);
    assert_eq!((series[0][0], series[1][0], series[2][0]), (3.0, 6.0, 7.0));
    // The stock gains 7 a month: 3.5 a step of 0.5, so 42 at time 6.
    assert_eq!(series[3].last().copied(), Some(42.0));
    let resolved = fulcrum_model::resolve(&model).expect("resolves");
    let results = fulcrum_sim::compile(&resolved).expect("compiles").new_run().run().expect("runs");
    crate::conformance::check_round_trip(&model, &results).expect("the converted model runs to the same bits");
}

#[test]
fn invert_matrix_inverts_a_matrix_larger_than_16_by_16() {
    // 20 × 20: 30 on the diagonal and 1 / (i + j) elsewhere, with i and j from number lists.
    let numbers: Vec<String> = (1..=20).map(|i| i.to_string()).collect();
    let list = numbers.join(", ");
    let text = format!(
        "{{UTF-8}}\nR: (r1-r20) ~~|\nC: (c1-c20) ~~|\nri[R] = {list} ~~|\nci[C] = {list} ~~|\n\
         m[R, C] = IF THEN ELSE(ri[R] = ci[C], 30, 1 / (ri[R] + ci[C])) ~~|\n\
         inverse[R, C] = INVERT MATRIX(m[R, C], 20) ~~|\n{CONTROL}"
    );
    let (model, diagnostics) = fulcrum_vensim::read(&text).unwrap_or_else(|d| panic!("{d:?}"));
    assert!(!diagnostics.has_errors(), "{diagnostics:?}");
    let resolved = fulcrum_model::resolve(&model).unwrap_or_else(|d| panic!("{d:?}"));
    let results = fulcrum_sim::compile(&resolved).expect("compiles").new_run().run().expect("runs");
    let at = |name: &str, r: usize, c: usize| {
        let column = format!("{name}[r{r}, c{c}]");
        results.series(&column).unwrap_or_else(|| panic!("no {column}"))[0]
    };
    let m = |r: usize, c: usize| if r == c { 30.0 } else { 1.0 / (r + c) as f64 };
    for r in 1..=20 {
        assert_eq!(at("m", r, r % 20 + 1), m(r, r % 20 + 1));
        for c in 1..=20 {
            let product: f64 = (1..=20).map(|k| m(r, k) * at("inverse", k, c)).sum();
            let identity = if r == c { 1.0 } else { 0.0 };
            assert!((product - identity).abs() < 1e-12, "(m × inverse)[{r}, {c}] = {product}");
        }
    }
}

/// Vensim's run of SDEverywhere's `depreciate` model (models/depreciate/depreciate.dat):
/// 1e9 invested in 2022 and 2.5e9 in 2026, depreciated straight over 20 yearly fiscal periods.
#[test]
fn depreciate_straightline_matches_vensims_run() {
    let text = "{UTF-8}\ndtime = 20 ~~|\nCapacity Cost = 1e+06 ~~|\n\
                New Capacity = IF THEN ELSE(Time = 2022, 1000, IF THEN ELSE(Time = 2026, 2500, 0)) ~~|\n\
                str = Capacity Cost * New Capacity ~~|\n\
                Depreciated Amount = DEPRECIATE STRAIGHTLINE(str, dtime, 1, 0) ~~|\n\
                INITIAL TIME = 2020 ~~|\nFINAL TIME = 2050 ~~|\nTIME STEP = 1 ~~|\nSAVEPER = TIME STEP ~~|\n";
    let depreciated = &run(text, &["Depreciated Amount"])[0];
    // Vensim: 0 in 2020 and 2021; 5e7 from 2022 to 2025; 1.75e8 from 2026 to 2041; 1.25e8 from
    // 2042 to 2045; 0 from 2046.
    let vensim = |year: usize| match year {
        2022..=2025 => 5e7,
        2026..=2041 => 1.75e8,
        2042..=2045 => 1.25e8,
        _ => 0.0,
    };
    for (step, value) in depreciated.iter().enumerate() {
        let year = 2020 + step;
        assert!(
            (value - vensim(year)).abs() <= 1e-6 * vensim(year).abs().max(1.0),
            "{year}: {value}, Vensim {}",
            vensim(year)
        );
    }
}

/// By hand, from Vensim's documentation: quarterly steps, fiscal years of 1, a depreciation
/// time of 3 years and an initial value that the stream keeps.
#[test]
fn depreciate_straightline_follows_vensims_documentation() {
    let control = "INITIAL TIME = 0 ~~|\nFINAL TIME = 6 ~~|\nTIME STEP = 0.25 ~~|\nSAVEPER = TIME STEP ~~|\n";
    // A stream that keeps its initial value gives that value all along.
    let steady = run(&format!("{{UTF-8}}\nd = DEPRECIATE STRAIGHTLINE(12, 3, 1, 12) ~~|\n{control}"), &["d"]);
    assert!(steady[0].iter().all(|&v| (v - 12.0).abs() < 1e-12), "{:?}", steady[0]);
    // 8 a year flows in from time 1 to 2 (four quarters: 8 in all), none before, and the
    // initial value 0. In year 1 the current stream counts as if it held all year: 8 / 3. In
    // years 2, 3 and 4 that year's 8 is spread over 3 years: 8 / 3 in each of the two years after
    // it; then nothing.
    let pulse = run(
        &format!(
            "{{UTF-8}}\ns = IF THEN ELSE(Time >= 1 :AND: Time < 2, 8, 0) ~~|\n\
             d = DEPRECIATE STRAIGHTLINE(s, 3, 1, 0) ~~|\n{control}"
        ),
        &["d"],
    );
    let expected = |time: f64| match time {
        t if t < 1.0 => 0.0,
        t if t < 4.0 => 8.0 / 3.0,
        _ => 0.0,
    };
    for (step, value) in pulse[0].iter().enumerate() {
        let time = step as f64 * 0.25;
        assert!((value - expected(time)).abs() < 1e-12, "at {time}: {value}, expected {}", expected(time));
    }
}

/// A Vensim function given the wrong number of arguments is reported once, at its name, also
/// where fulcrum has a built-in of the same name that would otherwise be checked again.
#[test]
fn a_wrong_number_of_arguments_is_reported_once() {
    let directory = tempfile::tempdir().expect("temp dir");
    let path = directory.path().join("arity.mdl");
    let text = format!(
        "{{UTF-8}}\nR: r1, r2 ~~|\npp: ptype, ppriority, pwidth, pextra ~~|\n\
         prof[R, pp] = 1, 1, 1, 0; 1, 2, 1, 0; ~~|\nvec[R] = 1, 2 ~~|\n\
         dap[R] = DEMAND AT PRICE(vec[R], prof[R, ptype], 1, 0) ~~|\nm = SMOOTH(1) ~~|\n{CONTROL}"
    );
    std::fs::write(&path, text).expect("written");
    let output = crate::fulcrum(&["check", path.to_str().expect("utf-8 path")]);
    assert_eq!(output.status.code(), Some(1));
    let message = crate::stderr(&output);
    assert_eq!(message.matches("E0104").count(), 2, "{message}");
    assert!(message.contains("DEMAND AT PRICE takes 3 arguments, but is given 4"), "{message}");
    assert!(!message.contains("DEMAND_AT_PRICE"), "{message}");
    assert!(message.contains("SMOOTH takes 2 arguments, but is given 1"), "{message}");
}

#[test]
fn vensim_functions_fulcrum_lacks_are_reported_where_called() {
    for (call, name) in [
        ("QUEUE AGE(x)", "QUEUE AGE"),
        ("QUEUE AGE AVERAGE(x, 0)", "QUEUE AGE AVERAGE"),
        ("QUEUE AGE OLDEST(x)", "QUEUE AGE OLDEST"),
        ("CUMULATE(x)", "CUMULATE"),
        ("GET VDF CONSTANTS('run.vdf', 'x', 0)", "GET VDF CONSTANTS"),
    ] {
        let text = format!("{{UTF-8}}\nx = 1 ~~|\ny = 2 + {call} ~~|\n{CONTROL}");
        let diagnostics = match fulcrum_vensim::read(&text) {
            Ok((_, diagnostics)) | Err(diagnostics) => diagnostics,
        };
        let problem = diagnostics
            .0
            .iter()
            .find(|d| d.message.contains(name))
            .unwrap_or_else(|| panic!("{call}: {diagnostics:?}"));
        assert!(problem.message.contains("not supported yet"), "{problem:?}");
        let span = problem.span.expect("located");
        assert_eq!(text.get(span.start()..span.end()), call.split('(').next(), "{problem:?}");
        assert!(problem.help.is_some(), "{problem:?}");
    }
}

/// Vensim's MARKETP page: "MARKETP returns a priority to pass to ALLOC P so that total
/// allocations of a scarce resource will exactly match the supply", and its example replaces one
/// ALLOCATE BY PRIORITY equation by the two. Requests 30, 20, 40 of priorities 3, 2, 1, width 2,
/// a supply that grows 10 a unit of time from 0: the two-step form gives ALLOCATE BY PRIORITY's
/// shares at every step and adds up to the supply while it is short. By hand at time 3 (supply
/// 30): only the first two curves are open at x = 3 (the third closes at 1 + 1 = 2), so
/// 30·(4 − x)/2 + 20·(3 − x)/2 = 30, x = 2.4, and the shares are 24, 6 and 0.
#[test]
fn alloc_p_at_marketp_is_allocate_by_priority() {
    let text = format!(
        "{{UTF-8}}\ncountry: US, Mexico, Canada ~~|\ndemand[country] = 30, 20, 40 ~~|\n\
         priority[country] = 3, 2, 1 ~~|\nWIDTH = 2 ~~|\nSUPPLY = 10 * Time ~~|\n\
         mp = MARKETP(demand[US], priority[US], ELMCOUNT(country), WIDTH, SUPPLY) ~~|\n\
         delivered[country] = ALLOC P(demand[country], priority[country], WIDTH, mp) ~~|\n\
         allocated[country] = ALLOCATE BY PRIORITY(demand[country], priority[country], ELMCOUNT(country), WIDTH, SUPPLY) ~~|\n\
         total = SUM(delivered[country!]) ~~|\n{CONTROL}"
    );
    let names = ["mp", "delivered[US]", "delivered[Mexico]", "delivered[Canada]"];
    let series = run(&text, &names);
    let by_priority = run(&text, &["allocated[US]", "allocated[Mexico]", "allocated[Canada]", "total", "SUPPLY"]);
    for step in 0..series[0].len() {
        for element in 0..3 {
            let (two_step, one_step) = (series[1 + element][step], by_priority[element][step]);
            assert!((two_step - one_step).abs() <= 1e-9, "element {element} at step {step}: {two_step} vs {one_step}");
        }
        let (total, supply) = (by_priority[3][step], by_priority[4][step]);
        assert!((total - supply.min(90.0)).abs() <= 1e-9, "step {step}: {total} shared of {supply}");
    }
    // Time 3 is step 6 (TIME STEP 0.5).
    assert!((series[0][6] - 2.4).abs() < 1e-12, "{}", series[0][6]);
    // `size` counts the requests from the element named: a supply of 60 covers the first two
    // (30 + 20), so their market priority is the lowest of theirs less the width, 2 - 2 = 0; all
    // three are short, and between 1 and 2 the curves give 30 (US, full), 20 × (3 - x) / 2 and
    // 40 × (2 - x) / 2, which add up to 100 - 30x = 60 at x = 4/3.
    let sized = format!(
        "{{UTF-8}}\ncountry: US, Mexico, Canada ~~|\ndemand[country] = 30, 20, 40 ~~|\n\
         priority[country] = 3, 2, 1 ~~|\n\
         two = MARKETP(demand[US], priority[US], 2, 2, 60) ~~|\n\
         three = MARKETP(demand[US], priority[US], ELMCOUNT(country), 2, 60) ~~|\n{CONTROL}"
    );
    let sized = run(&sized, &["two", "three"]);
    assert_eq!(sized[0][0], 0.0);
    assert!((sized[1][0] - 4.0 / 3.0).abs() < 1e-12, "{}", sized[1][0]);
    // A size the model does not fix, or more requests than the row holds, is an error where
    // it is written.
    for (size, located) in [("Time", "Time"), ("4", "demand[US], priority[US]")] {
        let text = format!(
            "{{UTF-8}}\ncountry: US, Mexico, Canada ~~|\ndemand[country] = 30, 20, 40 ~~|\n\
             priority[country] = 3, 2, 1 ~~|\nmp = MARKETP(demand[US], priority[US], {size}, 2, 60) ~~|\n{CONTROL}"
        );
        let (model, _) = fulcrum_vensim::read(&text).unwrap_or_else(|d| panic!("{d:?}"));
        let problems = fulcrum_model::resolve(&model).err().map(|d| d.0).unwrap_or_default();
        let spans: Vec<&str> = problems.iter().filter_map(|d| d.span).map(|s| &text[s.start()..s.end()]).collect();
        assert_eq!(spans, [located], "{problems:?}");
    }
    for (element, want) in [24.0, 6.0, 0.0].into_iter().enumerate() {
        assert!((series[1 + element][6] - want).abs() < 1e-9, "{element}: {}", series[1 + element][6]);
    }
}

/// Vensim's SHIFT IF TRUE page: while the condition holds, the level's elements from the one
/// named move one element on along its last subscript, the first takes `inval`, the last is
/// replaced by the one before it (or has it added, with `accum`), and the call returns what left
/// the last element (0 with `accum`). fulcrum shifts at the end of the step in which the
/// condition holds, so the shifted values show at the next saved time. By hand, four cohorts 10,
/// 20, 30, 40, a shift of the four at every whole time with 5 coming in, TIME STEP 0.5: at time
/// 0 the call returns 40 and at 0.5 the level is 5, 10, 20, 30; at 1 it returns 30 and at 1.5
/// the level is 5, 5, 10, 20. With `accum` the last keeps what reaches it: 5, 10, 20, 70 at 0.5.
#[test]
fn shift_if_true_moves_a_levels_elements_on_as_vensim_documents() {
    let model = |accumulate: u8, deaths: &str| {
        format!(
            "{{UTF-8}}\nage: a0, a1, a2, a3 ~~|\ninit[age] = 10, 20, 30, 40 ~~|\n\
             Population[age] = INTEG(-deaths[age], init[age]) ~~|\ndeaths[age] = {deaths} ~~|\n\
             removed = SHIFT IF TRUE(Population[a0], MODULO(Time, 1) = 0, ELMCOUNT(age), {accumulate}, 5) ~~|\n\
             INITIAL TIME = 0 ~~|\nFINAL TIME = 2 ~~|\nTIME STEP = 0.5 ~~|\nSAVEPER = TIME STEP ~~|\n"
        )
    };
    let names = ["Population[a0]", "Population[a1]", "Population[a2]", "Population[a3]", "removed"];
    let series = run(&model(0, "0"), &names);
    let at = |series: &[Vec<f64>], step: usize| series.iter().map(|s| s[step]).collect::<Vec<f64>>();
    assert_eq!(at(&series, 0), [10.0, 20.0, 30.0, 40.0, 40.0]);
    assert_eq!(at(&series, 1), [5.0, 10.0, 20.0, 30.0, 0.0]);
    assert_eq!(at(&series, 2), [5.0, 10.0, 20.0, 30.0, 30.0]);
    assert_eq!(at(&series, 3), [5.0, 5.0, 10.0, 20.0, 0.0]);
    assert_eq!(at(&series, 4), [5.0, 5.0, 10.0, 20.0, 20.0]);
    let accumulated = run(&model(1, "0"), &names);
    assert_eq!(at(&accumulated, 1), [5.0, 10.0, 20.0, 70.0, 0.0]);
    assert_eq!(at(&accumulated, 0)[4], 0.0, "with accum the call returns 0");
    // The level's other flows over the step are computed from its values before the shift:
    // deaths of a tenth a unit of time take 0.05 of each cohort at time 0 (0.5, 1, 1.5, 2).
    let dying = run(&model(0, "Population[age] * 0.1"), &names);
    for (got, want) in at(&dying, 1).iter().zip([4.5, 9.0, 18.5, 28.0, 0.0]) {
        assert!((got - want).abs() < 1e-12, "{:?}", at(&dying, 1));
    }
    // The shift is exact with Euler's method only; another method is refused, not run.
    let (mut read, _) = fulcrum_vensim::read(&model(0, "0")).unwrap_or_else(|d| panic!("{d:?}"));
    read.sim.method = fulcrum_model::Method::Rk4;
    let refused = |model: &fulcrum_model::Model| {
        let problems = fulcrum_model::resolve(model).err().map(|d| d.0).unwrap_or_default();
        assert!(
            problems.iter().any(|d| d.code.as_str() == "E0501" && d.message.contains("SHIFT IF TRUE")),
            "{problems:?}"
        );
    };
    refused(&read);
    // So is the same model converted to TOML or XMILE and read back.
    let (toml, _) =
        fulcrum_model::native::read(&fulcrum_model::native::write(&read)).unwrap_or_else(|d| panic!("{d:?}"));
    refused(&toml);
    let (xmile, _) = fulcrum_xmile::read(&fulcrum_xmile::write(&read)).unwrap_or_else(|d| panic!("{d:?}"));
    refused(&xmile);
}

/// The reference page's example: cohorts of a population by country, shifted once a year, the
/// first (in vitro) filled by conceptions and emptied into the first year of age. With `accum`
/// and nothing coming in, a shift moves people and neither makes nor loses any: the total grows
/// by exactly the conceptions of each step (to rounding).
#[test]
fn shift_if_true_conserves_a_population_shifted_with_accumulate() {
    let text = "{UTF-8}\ncountry: usa, mexico ~~|\nage: in vitro, a1, a2, a3 ~~|\nageh: a1, a2, a3 ~~|\n\
        conceptions[country] = 3, 7 ~~|\n\
        Population[country, in vitro] = INTEG(conceptions[country], 0) ~~|\n\
        Population[country, ageh] = INTEG(0, 10) ~~|\n\
        a[country] = SHIFT IF TRUE(Population[country, in vitro], MODULO(Time, 1) = 0, ELMCOUNT(age), 1, 0) ~~|\n\
        total[country] = SUM(Population[country, age!]) ~~|\n\
        INITIAL TIME = 0 ~~|\nFINAL TIME = 5 ~~|\nTIME STEP = 0.25 ~~|\nSAVEPER = TIME STEP ~~|\n";
    let series = run(text, &["total[usa]", "total[mexico]", "Population[mexico, a1]", "Population[mexico, a3]"]);
    for (country, conceptions) in [(0, 3.0), (1, 7.0)] {
        for (step, pair) in series[country].windows(2).enumerate() {
            assert!((pair[1] - pair[0] - 0.25 * conceptions).abs() < 1e-9, "country {country} step {step}: {pair:?}");
        }
    }
    // Mexico: the shift at time 0 empties age 1 (10) into age 2 and adds age 2's 10 to age 3's
    // 10, so at time 1 (step 4) age 1 holds 0 and age 3 20; by then a year of conceptions, 7, is
    // in vitro, and the shift at time 1 moves it to age 1 and age 2's 10 into age 3 (seen at
    // 1.25): 7 and 30.
    assert_eq!(series[2][4], 0.0);
    assert!((series[2][5] - 7.0).abs() < 1e-12, "{}", series[2][5]);
    assert_eq!(series[3][4], 20.0);
    assert_eq!(series[3][5], 30.0);
}

/// SIMULTANEOUS, as Vensim's page on simultaneous equations describes it: the loop its variable
/// closes is run around until nothing in it changes. Analytic roots: x = 0.5 x + 1 through an
/// auxiliary gives 2; x = COS(x) gives the Dottie number 0.7390851332151607; the page's phone
/// example with straight-line lookups (the effect of quality is quality, quality is 1 - u / 2)
/// and 100 calls a unit of capacity gives u = 1 - u / 2, so 2/3. A loop that does not settle
/// (x = 2 x + 1 from 0) stops the run rather than give a value.
#[test]
fn simultaneous_solves_the_loop_it_closes() {
    let series = run(
        &format!(
            "{{UTF-8}}\ny = 0.5 * x + 1 ~~|\nx = SIMULTANEOUS(y, 0) ~~|\nd = SIMULTANEOUS(COS(d), 1) ~~|\n\
             Customers = 100 ~~|\nnormal call rate = 1 ~~|\nCapacity = 100 ~~|\n\
             effect quality function((0,0),(1,1)) ~~|\nquality function((0,1),(2,0)) ~~|\n\
             phone calls = Customers * normal call rate * effect quality function(quality) ~~|\n\
             quality = quality function(capacity utilization) ~~|\n\
             capacity utilization = SIMULTANEOUS(phone calls / Capacity, 0.8) ~~|\n{CONTROL}"
        ),
        &["x", "y", "d", "capacity utilization", "phone calls"],
    );
    assert!((series[0][0] - 2.0).abs() < 1e-12, "{}", series[0][0]);
    assert!((series[1][0] - 2.0).abs() < 1e-12, "{}", series[1][0]);
    assert!((series[2][0] - 0.739_085_133_215_160_7).abs() < 1e-12, "{}", series[2][0]);
    assert!((series[3][0] - 2.0 / 3.0).abs() < 1e-12, "{}", series[3][0]);
    assert!((series[4][0] - 200.0 / 3.0).abs() < 1e-9, "{}", series[4][0]);
    assert!(series.iter().all(|s| s.iter().all(|v| (v - s[0]).abs() < 1e-12)), "the same at every step");
    // A loop through a function that keeps a state is not simultaneous: SMOOTH's value at a
    // step is its state, so x is s + 1 at every step, with s one SMOOTHI of x, not a copy per round.
    let smoothed =
        run(&format!("{{UTF-8}}\ns = SMOOTHI(x, 2, 0) ~~|\nx = SIMULTANEOUS(s + 1, 0) ~~|\n{CONTROL}"), &["x", "s"]);
    assert!(smoothed[0].iter().zip(&smoothed[1]).all(|(x, s)| (x - (s + 1.0)).abs() < 1e-12), "{smoothed:?}");
    assert!(smoothed[1][1] > smoothed[1][0], "s follows x up: {:?}", smoothed[1]);
    let diverging = format!("{{UTF-8}}\nx = SIMULTANEOUS(2 * x + 1, 0) ~~|\n{CONTROL}");
    let (model, _) = fulcrum_vensim::read(&diverging).unwrap_or_else(|d| panic!("{d:?}"));
    let resolved = fulcrum_model::resolve(&model).unwrap_or_else(|d| panic!("{d:?}"));
    assert!(fulcrum_sim::compile(&resolved).expect("compiles").new_run().run().is_err(), "a loop that does not settle");
    // A variable with subscripts, or SIMULTANEOUS inside a larger expression, is refused there.
    for body in ["R: a, b ~~|\nx[R] = SIMULTANEOUS(x[R] / 2, 1) ~~|", "x = 1 + SIMULTANEOUS(x / 2, 1) ~~|"] {
        let text = format!("{{UTF-8}}\n{body}\n{CONTROL}");
        let diagnostics = match fulcrum_vensim::read(&text) {
            Ok((_, diagnostics)) | Err(diagnostics) => diagnostics,
        };
        let problem =
            diagnostics.0.iter().find(|d| d.code.as_str() == "E0702").unwrap_or_else(|| panic!("{diagnostics:?}"));
        let span = problem.span.expect("located");
        assert!(text[span.start()..span.end()].starts_with("SIMULTANEOUS"), "{problem:?}");
    }
}

/// FIND ZERO, as Vensim's reference page describes it: the values of the left-hand side x, over
/// its range, that make the vector z (computed from x in other equations) zero, found within
/// each time step. A linear system whose right-hand side moves with time: 2a + b = 5 + Time and
/// a - b = 1, so a = (6 + Time) / 3 and b = a - 1 at every step.
#[test]
fn find_zero_solves_a_linear_system_at_each_step() {
    let text = format!(
        "{{UTF-8}}\nR: a, b ~~|\nc = 5 + Time ~~|\nz[a] = 2 * x[a] + x[b] - c ~~|\nz[b] = x[a] - x[b] - 1 ~~|\n\
         x[R] = FIND ZERO(1, z[R], 1, 0, ELMCOUNT(R), 0, 1e-10, 10, 0) ~~|\n{CONTROL}"
    );
    let series = run(&text, &["x[a]", "x[b]"]);
    assert_eq!(series[0].len(), 13);
    // `fulcrum convert` writes the Newton steps as TOML that runs to the same bits.
    let (model, _) = fulcrum_vensim::read(&text).unwrap_or_else(|d| panic!("{d:?}"));
    let resolved = fulcrum_model::resolve(&model).unwrap_or_else(|d| panic!("{d:?}"));
    let results = fulcrum_sim::compile(&resolved).expect("compiles").new_run().run().expect("runs");
    crate::conformance::check_round_trip(&model, &results).expect("the converted model runs to the same bits");
    for (step, (a, b)) in series[0].iter().zip(&series[1]).enumerate() {
        let time = step as f64 * 0.5;
        let want = (6.0 + time) / 3.0;
        assert!((a - want).abs() < 1e-9 && (b - (want - 1.0)).abs() < 1e-9, "at {time}: {a}, {b}; expected {want}");
    }
}

/// A nonlinear system through an intermediate auxiliary, with a zero that needs a pivot: y = x²,
/// z[a] = y[a] + y[b] - c and z[b] = x[b] - 2 x[a], from x = (1, 1). With c = 5 (1 + Time) the
/// root is x[a] = √(1 + Time), x[b] = 2 √(1 + Time). A scale xs of 0.5 (x about 2) changes the
/// differences' size, not the root. Three unknowns with the first equation not depending on the
/// first unknown (w[s1] = v[s2] - 1, w[s2] = v[s1] + v[s3] - 4, w[s3] = v[s1] v[s3] - 3: v = (1, 1, 3)
/// from (0.5, 0.5, 2.5); its Jacobian's first pivot is 0 until the rows are exchanged).
#[test]
fn find_zero_solves_nonlinear_systems_by_newtons_method() {
    let text = format!(
        "{{UTF-8}}\nR: a, b ~~|\nS: s1, s2, s3 ~~|\nc = 5 * (1 + Time) ~~|\ny[R] = x[R] ^ 2 ~~|\n\
         z[a] = y[a] + y[b] - c ~~|\nz[b] = x[b] - 2 * x[a] ~~|\n\
         x[R] = FIND ZERO(0.5, z[R], 1, 1, 2, 0, 1e-12, 30, 0) ~~|\n\
         w[s1] = v[s2] - 1 ~~|\nw[s2] = v[s1] + v[s3] - 4 ~~|\nw[s3] = v[s1] * v[s3] - 3 ~~|\n\
         guess[S] = 0.5, 0.5, 2.5 ~~|\n\
         v[S] = FIND ZERO(1, w[S], 1, guess[S], ELMCOUNT(S), 0, 1e-12, 30, 0) ~~|\n{CONTROL}"
    );
    let series = run(&text, &["x[a]", "x[b]", "v[s1]", "v[s2]", "v[s3]"]);
    assert_eq!(series[0].len(), 13);
    for (step, xa) in series[0].iter().enumerate() {
        let time = step as f64 * 0.5;
        let root = (1.0 + time).sqrt();
        assert!((xa - root).abs() < 1e-9, "x[a] at {time}: {xa}, expected {root}");
        assert!((series[1][step] - 2.0 * root).abs() < 1e-9, "x[b] at {time}: {}", series[1][step]);
        for (got, want) in [(series[2][step], 1.0), (series[3][step], 1.0), (series[4][step], 3.0)] {
            assert!((got - want).abs() < 1e-9, "v at {time}: {got}, expected {want}");
        }
    }
}

/// A system without a zero (x² + 1) stops the run at it rather than giving a value; what FIND
/// ZERO's arguments ask that fulcrum cannot follow is refused at the argument: a variable
/// without subscripts, n other than the range's size, skip, a method, a max iter that is not a
/// number.
#[test]
fn find_zero_stops_without_a_zero_and_refuses_what_it_cannot_follow() {
    let no_zero = format!(
        "{{UTF-8}}\nR: a, b ~~|\nz[R] = x[R] ^ 2 + 1 ~~|\nx[R] = FIND ZERO(1, z[R], 1, 1, 2, 0, 1e-9, 20, 0) ~~|\n{CONTROL}"
    );
    let (model, _) = fulcrum_vensim::read(&no_zero).unwrap_or_else(|d| panic!("{d:?}"));
    let resolved = fulcrum_model::resolve(&model).unwrap_or_else(|d| panic!("{d:?}"));
    assert!(fulcrum_sim::compile(&resolved).expect("compiles").new_run().run().is_err(), "no zero, no value");
    for (lhs, call, argument) in [
        ("y", "FIND ZERO(1, z[R], 1, 1, 2, 0, 1e-9, 20, 0)", "FIND ZERO(1, z[R], 1, 1, 2, 0, 1e-9, 20, 0)"),
        ("x[R]", "FIND ZERO(1, z[R], 1, 1, 1, 0, 1e-9, 20, 0)", "1"),
        ("x[R]", "FIND ZERO(1, z[R], 1, 1, 2, 1, 1e-9, 20, 0)", "1"),
        ("x[R]", "FIND ZERO(1, z[R], 1, 1, 2, 0, 1e-9, 20, 2)", "2"),
        ("x[R]", "FIND ZERO(1, z[R], 1, 1, 2, 0, 1e-9, Time, 0)", "Time"),
    ] {
        let text = format!("{{UTF-8}}\nR: a, b ~~|\nz[R] = x[R] - 1 ~~|\n{lhs} = {call} ~~|\n{CONTROL}");
        let diagnostics = match fulcrum_vensim::read(&text) {
            Ok((_, diagnostics)) | Err(diagnostics) => diagnostics,
        };
        let problem = diagnostics
            .0
            .iter()
            .find(|d| d.code.as_str() == "E0702" && d.message.contains("FIND ZERO"))
            .unwrap_or_else(|| panic!("{call}: {diagnostics:?}"));
        let span = problem.span.expect("located");
        let at_call = text.find(call).expect("the call");
        let written = &text[span.start()..span.end()];
        assert_eq!(written, argument, "{call}: {problem:?}");
        assert!(span.start() >= at_call && span.end() <= at_call + call.len(), "{call}: {problem:?}");
        assert!(problem.help.is_some(), "{problem:?}");
    }
}

/// Vensim's documentation: DELAY INFORMATION delays its input by a time that may change,
/// discarding inputs when the delay time falls and holding them when it grows. With a constant
/// delay time it is DELAY FIXED, which matches Vensim's runs (SDEverywhere's `delayfixed`).
#[test]
fn delay_information_reads_the_input_a_delay_time_ago() {
    let text = format!(
        "{{UTF-8}}\ninput = Time * Time ~~|\n\
         fixed = DELAY FIXED(input, 1.5, -1) ~~|\n\
         information = DELAY INFORMATION(input, 1.5, -1) ~~|\n\
         delay time = IF THEN ELSE(Time < 3, 1, 2) ~~|\n\
         varying = DELAY INFORMATION(input, delay time, -1) ~~|\n{CONTROL}"
    );
    let series = run(&text, &["fixed", "information", "varying"]);
    assert_eq!(series[0], series[1], "a constant delay time: DELAY FIXED");
    // Times 0, 0.5, ..., 6. The delay time is 1 before time 3 and 2 from then on, so at 2.5 the
    // input of 1.5 (2.25); at 3 and 3.5 the input of 1 and 1.5 again, held (1 and 2.25); at 6,
    // the input of 4 (16); before time 1, the initial value.
    let varying = &series[2];
    assert_eq!((varying[0], varying[1]), (-1.0, -1.0));
    assert_eq!((varying[2], varying[5]), (0.0, 2.25));
    assert_eq!((varying[6], varying[7], varying[12]), (1.0, 2.25, 16.0));
    let (model, _) = fulcrum_vensim::read(&text).unwrap_or_else(|d| panic!("{d:?}"));
    let resolved = fulcrum_model::resolve(&model).expect("resolves");
    let results = fulcrum_sim::compile(&resolved).expect("compiles").new_run().run().expect("runs");
    crate::conformance::check_round_trip(&model, &results).expect("the converted model runs to the same bits");
}

/// RANDOM LOOKUP(lookup, min, max, shift, stretch, stream) from `.mdl` source: the lookup is the
/// density (x / 50 on [0, 10] here), the draw is stretched, shifted and kept in [min, max].
#[test]
fn random_lookup_draws_from_a_vensim_lookup() {
    let text = "{UTF-8}\ndensity((0,0),(10,100)) ~~|\n\
                kept = RANDOM LOOKUP(density, 0, 5, 0, 1, 0) ~~|\n\
                moved = RANDOM LOOKUP(density, -1e9, 1e9, 1, 2, 0) ~~|\n\
                INITIAL TIME = 0 ~~|\nFINAL TIME = 19999 ~~|\nTIME STEP = 1 ~~|\nSAVEPER = TIME STEP ~~|\n";
    let series = run(text, &["kept", "moved"]);
    let mean = |values: &[f64]| values.iter().sum::<f64>() / values.len() as f64;
    // Kept in [0, 5], where the density is x / 12.5: mean 10/3, standard deviation √(25/18),
    // standard error of the mean 0.0083.
    assert!(series[0].iter().all(|v| (0.0..=5.0).contains(v)));
    assert!((mean(&series[0]) - 10.0 / 3.0).abs() < 0.04, "{}", mean(&series[0]));
    // 1 + 2X: from 1 to 21, mean 1 + 40/3, standard deviation 2√(50/9), standard error 0.033.
    assert!(series[1].iter().all(|v| (1.0..=21.0).contains(v)));
    assert!((mean(&series[1]) - (1.0 + 40.0 / 3.0)).abs() < 0.15, "{}", mean(&series[1]));
    // The two calls draw independently, and each step anew.
    assert_ne!(series[0][..10], series[1][..10]);
    assert!(series[0].windows(2).take(10).all(|pair| pair[0] != pair[1]));
}

/// Vensim's example, `DELAY BATCH(assembly, 100, 3, 100, 2, 20)`, worked by hand from its
/// documentation with 30 a unit of time coming in: the initial batch of 100 is returned at time 2;
/// the backlog (20 at the start, then 50, 80, 110) reaches the batch size at time 3, so a batch
/// of 100 starts then and is returned at 6 (3 + 3), when the backlog (10 + 3 × 30) holds another,
/// returned at 9; at 9 the backlog is 90, so the next starts at 10 and is returned at 13.
#[test]
fn delay_batch_returns_vensims_example_batches() {
    let control = "INITIAL TIME = 0 ~~|\nFINAL TIME = 16 ~~|\nTIME STEP = 1 ~~|\nSAVEPER = TIME STEP ~~|\n";
    let text = format!(
        "{{UTF-8}}\nassembly = 30 ~~|\nreturn from anodize = DELAY BATCH(assembly, 100, 3, 100, 2, 20) ~~|\n{control}"
    );
    let returned = &run(&text, &["return from anodize"])[0];
    let expected: Vec<f64> = (0..=16).map(|t| if [2, 6, 9, 13, 16].contains(&t) { 100.0 } else { 0.0 }).collect();
    assert_eq!(returned, &expected);
}

/// Material is conserved with a time step of 0.25 and a batch time that changes: every batch
/// returned is `bsize / TIME STEP` for one step (the batch itself), takes the batch time of the
/// step it started, and what has come in is what has been returned plus what is in process and
/// what waits.
#[test]
fn delay_batch_conserves_its_input_and_times_batches_from_their_start() {
    let control = "INITIAL TIME = 0 ~~|\nFINAL TIME = 40 ~~|\nTIME STEP = 0.25 ~~|\nSAVEPER = TIME STEP ~~|\n";
    let text = format!(
        "{{UTF-8}}\ninflow = 3 + 2 * SIN(Time) ~~|\nbtime = IF THEN ELSE(Time < 20, 2, 0.5) ~~|\n\
         out = DELAY BATCH(inflow, 10, btime, 0, 0, 0) ~~|\n{control}"
    );
    let series = run(&text, &["inflow", "out"]);
    let (inflow, out) = (&series[0], &series[1]);
    let dt = 0.25;
    // Times at which batches come out, and the amount of each.
    let returned: Vec<usize> = (0..out.len()).filter(|&k| out[k] != 0.0).collect();
    assert!(returned.len() > 5, "{out:?}");
    assert!(returned.iter().all(|&k| (out[k] * dt - 10.0).abs() < 1e-12), "{out:?}");
    // Re-run the documented rule by hand: the backlog of the steps before reaches 10, a batch
    // starts when none is in process, and comes out its batch time later.
    let mut backlog = 0.0;
    let mut due: Option<f64> = None;
    let mut expected = Vec::new();
    for k in 0..inflow.len() {
        let time = k as f64 * dt;
        if k > 0 {
            backlog += inflow[k - 1] * dt;
        }
        let completes = due.is_some_and(|d| d <= time + 1e-9);
        if completes {
            expected.push(k);
            due = None;
        }
        if due.is_none() && backlog >= 10.0 {
            backlog -= 10.0;
            due = Some(time + if time < 20.0 { 2.0 } else { 0.5 });
        }
    }
    assert_eq!(returned, expected);
    // Conservation: everything that came in before the last step is out, in process or waiting.
    let came_in: f64 = inflow[..inflow.len() - 1].iter().sum::<f64>() * dt;
    let out_total = returned.len() as f64 * 10.0;
    let in_process = if due.is_some() { 10.0 } else { 0.0 };
    assert!((came_in - out_total - in_process - backlog).abs() < 1e-9);
}

/// An arrayed DELAY BATCH keeps a batch process per element.
#[test]
fn delay_batch_over_a_range_batches_each_element_apart() {
    let control = "INITIAL TIME = 0 ~~|\nFINAL TIME = 8 ~~|\nTIME STEP = 1 ~~|\nSAVEPER = TIME STEP ~~|\n";
    let text = format!(
        "{{UTF-8}}\nline : a, b ~~|\nsize[line] = 20, 45 ~~|\n\
         out[line] = DELAY BATCH(10, size[line], 2, 0, 0, 0) ~~|\n{control}"
    );
    let series = run(&text, &["out[a]", "out[b]"]);
    // a: the backlog reaches 20 at 2, 4 and 6, each batch out 2 later: at 4, 6 and 8, 20 each.
    let a: Vec<f64> = (0..=8).map(|t| if [4, 6, 8].contains(&t) { 20.0 } else { 0.0 }).collect();
    // b: 45 is reached at 5 (50), out at 7.
    let b: Vec<f64> = (0..=8).map(|t| if t == 7 { 45.0 } else { 0.0 }).collect();
    assert_eq!(series, vec![a, b]);
}

/// DELAY PROFILE with a triangular profile (0 at 0, 1 at 1, 0 at 2: mean 1) and a delay time of
/// 2: the profile is stretched to [0, 4], and what emerges within each step of 0.5 leaves at its
/// end. The shares, from the triangle's area x²/2 up to x = 1 read at x = τ / 2, are 1/32, 3/32,
/// 5/32, 7/32, then the same falling. A pulse of 1 (2 for one step of 0.5) at time 1 leaves as
/// twice those shares from time 1.5 to 5.
#[test]
fn delay_profile_spreads_a_pulse_over_its_profile() {
    let control = "INITIAL TIME = 0 ~~|\nFINAL TIME = 8 ~~|\nTIME STEP = 0.5 ~~|\nSAVEPER = TIME STEP ~~|\n";
    let text = format!(
        "{{UTF-8}}\nshape((0,0),(1,1),(2,0)) ~~|\npulse in = IF THEN ELSE(Time = 1, 2, 0) ~~|\n\
         out = DELAY PROFILE(shape, pulse in, 2, 0, 0) ~~|\n\
         steady = DELAY PROFILE(shape, 5, 2, 5, 0) ~~|\n{control}"
    );
    let series = run(&text, &["out", "steady"]);
    let shares = [1.0, 3.0, 5.0, 7.0, 7.0, 5.0, 3.0, 1.0].map(|n| n / 32.0);
    let expected: Vec<f64> = (0..=16)
        .map(|step| match step {
            3..=10 => 2.0 * shares[step - 3],
            _ => 0.0,
        })
        .collect();
    for (step, (value, want)) in series[0].iter().zip(&expected).enumerate() {
        assert!((value - want).abs() < 1e-12, "step {step}: {value}, expected {want}");
    }
    // All of the pulse comes out; an input that keeps its initial value gives that value.
    assert!((series[0].iter().sum::<f64>() * 0.5 - 1.0).abs() < 1e-12);
    assert!(series[1].iter().all(|v| (v - 5.0).abs() < 1e-12), "{:?}", series[1]);
}

/// DELAY PROFILE with an initial growth rate g: the pipeline holds an input that grew as
/// `e^(g t)` before the start, scaled so that the output's first value is `init`. The triangle
/// of the test above, stretched to [0, 4] with TIME STEP 0.5, gives the shares w_k = 1, 3, 5, 7,
/// 7, 5, 3, 1 (/32) to the inputs k steps back, so what leaves at the start is
/// `A Σ w_k e^(-g k / 2)` and `A = init / Σ w_k e^(-g k / 2)`. With no input after the start,
/// step s gives out what entered k > s steps before it: `Σ_{k > s} w_k A e^(g (s - k) / 2)`,
/// nothing from step 8. With an input that goes on growing as it did (`A e^(g t)`), the output
/// grows from `init` at the same rate: `init e^(g t)` at every step.
#[test]
fn delay_profile_starts_with_a_pipeline_that_grew_at_the_initial_growth_rate() {
    let control = "INITIAL TIME = 0 ~~|\nFINAL TIME = 6 ~~|\nTIME STEP = 0.5 ~~|\nSAVEPER = TIME STEP ~~|\n";
    let (g, init) = (0.1_f64, 10.0_f64);
    let shares = [1.0, 3.0, 5.0, 7.0, 7.0, 5.0, 3.0, 1.0].map(|n| n / 32.0);
    let leaving_at_start: f64 = (1..=8).map(|k| shares[k - 1] * (-g * k as f64 / 2.0).exp()).sum();
    let a = init / leaving_at_start;
    let text = format!(
        "{{UTF-8}}\nshape((0,0),(1,1),(2,0)) ~~|\ng = {g} ~~|\n\
         drained = DELAY PROFILE(shape, 0, 2, {init}, g) ~~|\n\
         growing = DELAY PROFILE(shape, {a} * EXP(g * Time), 2, {init}, g) ~~|\n{control}"
    );
    let series = run(&text, &["drained", "growing"]);
    assert_eq!(series[0].len(), 13);
    for (step, value) in series[0].iter().enumerate() {
        let want: f64 = (step + 1..=8).map(|k| shares[k - 1] * a * (g * (step as f64 - k as f64) / 2.0).exp()).sum();
        assert!((value - want).abs() < 1e-9, "drained, step {step}: {value}, expected {want}");
    }
    assert!((series[0][0] - init).abs() < 1e-9, "the output starts at init: {}", series[0][0]);
    assert!(series[0][8..].iter().all(|v| *v == 0.0), "{:?}", series[0]);
    for (step, value) in series[1].iter().enumerate() {
        let want = init * (g * step as f64 / 2.0).exp();
        assert!((value - want).abs() < 1e-9 * want, "growing, step {step}: {value}, expected {want}");
    }
}

/// What Vensim's documentation leaves open is refused at the argument: a growth rate that is not
/// a constant, a delay time that is not a constant, a profile that is not a lookup.
#[test]
fn delay_profile_refuses_what_its_documentation_leaves_open() {
    for (call, argument) in [
        ("DELAY PROFILE(shape, 1, 2, 0, Time / 10)", "Time / 10"),
        ("DELAY PROFILE(shape, 1, Time + 1, 0, 0)", "Time + 1"),
        ("DELAY PROFILE(x, 1, 2, 0, 0)", "x"),
    ] {
        let text = format!("{{UTF-8}}\nshape((0,0),(1,1),(2,0)) ~~|\nx = 1 ~~|\ny = {call} ~~|\n{CONTROL}");
        let diagnostics = match fulcrum_vensim::read(&text) {
            Ok((_, diagnostics)) | Err(diagnostics) => diagnostics,
        };
        let problem = diagnostics
            .0
            .iter()
            .find(|d| d.message.contains("DELAY PROFILE"))
            .unwrap_or_else(|| panic!("{call}: {diagnostics:?}"));
        let span = problem.span.expect("located");
        assert_eq!(text.get(span.start()..span.end()), Some(argument), "{problem:?}");
        assert!(problem.help.is_some(), "{problem:?}");
    }
}

/// A conveyor's initial contents laid out by a shaped profile, as Vensim's Modeling Guide
/// describes its initialization: the profile's domain is scaled to the initial conveyance time
/// (4 here, the conveyance time being 2) and its values so that the initial total (100) comes
/// out. With the profile x (0 to 1), the share out by time t is (t / 4)², so the steps of 1
/// release 100 × (2k + 1) / 16: 6.25, 18.75, 31.25, 43.75, then nothing; the input (1 a unit of
/// time) comes out 2 later, beside them.
#[test]
fn delay_conveyor_releases_shaped_initial_contents_over_the_initial_conveyance_time() {
    let series = run_at(
        "ramp((0,0),(1,1)) ~~|\ninput = 1 ~~|\nout = DELAY CONVEYOR(input, 2, 0, ramp, 100, 4) ~~|\n",
        7.0,
        &["out"],
    );
    let expected = [6.25, 18.75, 1.0 + 31.25, 1.0 + 43.75, 1.0, 1.0, 1.0, 1.0];
    for (step, (value, want)) in series[0].iter().zip(expected).enumerate() {
        assert!((value - want).abs() < 1e-12, "step {step}: {value}, expected {want}");
    }
    // A flat profile over another initial conveyance time: 100 over 5, 20 a unit of time.
    let flat = run_at(
        "flat((0,1),(1,1)) ~~|\ninput = 0 ~~|\nout = DELAY CONVEYOR(input, 2, 0, flat, 100, 5) ~~|\n",
        7.0,
        &["out"],
    );
    let expected = [20.0, 20.0, 20.0, 20.0, 20.0, 0.0, 0.0, 0.0];
    assert!(flat[0].iter().zip(expected).all(|(v, want)| (v - want).abs() < 1e-12), "{:?}", flat[0]);
}

/// A leaking conveyor's initial contents laid out by a shaped profile: each part leaves having
/// kept 1 - leak × TIME STEP of itself for each step it waited, so Vensim's documented
/// accounting of the contents (input less output less the leak rate times the ahead level)
/// empties exactly when the last part has left.
#[test]
fn a_leaking_conveyors_shaped_initial_contents_leave_as_vensim_documents() {
    let text = "{UTF-8}\nramp((0,0),(1,1)) ~~|\ninput = 0 ~~|\nleak rate = 0.1 ~~|\n\
                out = DELAY CONVEYOR(input, 2, leak rate, ramp, 100, 4) ~~|\n\
                total leakage = ahead level * leak rate ~~|\n\
                ahead level = convey total + TIME STEP * (input - out) ~~|\n\
                convey total = INTEG(input - out - total leakage, 100) ~~|\n\
                INITIAL TIME = 0 ~~|\nFINAL TIME = 7 ~~|\nTIME STEP = 1 ~~|\nSAVEPER = TIME STEP ~~|\n";
    let series = run(text, &["out", "convey total"]);
    // 100 (2k + 1) / 16 unleaked (see the test without a leak), times 0.9^k.
    for (step, value) in series[0].iter().enumerate().take(4) {
        let k = step as f64;
        let want = 100.0 * (2.0 * k + 1.0) / 16.0 * 0.9f64.powf(k);
        assert!((value - want).abs() < 1e-12, "step {step}: {value}, expected {want}");
    }
    assert!(series[0][4..].iter().all(|v| v.abs() < 1e-12), "{:?}", series[0]);
    assert!(series[1][4..].iter().all(|v| v.abs() < 1e-9), "{:?}", series[1]);
    assert!(series[1].iter().all(|&v| v >= -1e-9), "{:?}", series[1]);
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(24))]

    /// Whatever the input, batch size and batch time, DELAY BATCH creates and loses nothing:
    /// what came in before the last step (and the initial backlog) is what came out, plus the
    /// batch in process and what waits in the backlog; and every batch that comes out is the
    /// batch size.
    #[test]
    fn delay_batch_conserves_material(
        level in 0.0f64..20.0,
        swing_share in 0.0f64..1.0,
        size in 1.0f64..60.0,
        batch_time in 0.0f64..5.0,
        backlog in 0.0f64..30.0,
    ) {
        let swing = level * swing_share;
        let text = format!(
            "{{UTF-8}}\ninflow = {level} + {swing} * SIN(3 * Time) ~~|\n\
             out = DELAY BATCH(inflow, {size}, {batch_time} + Time / 10, 0, 0, {backlog}) ~~|\n\
             INITIAL TIME = 0 ~~|\nFINAL TIME = 20 ~~|\nTIME STEP = 0.25 ~~|\nSAVEPER = TIME STEP ~~|\n"
        );
        let series = run(&text, &["inflow", "out", "DELAY BATCH.1.busy", "DELAY BATCH.1.left"]);
        let dt = 0.25;
        let came_in: f64 = series[0][..series[0].len() - 1].iter().sum::<f64>() * dt + backlog;
        let came_out: f64 = series[1].iter().sum::<f64>() * dt;
        let in_process = series[2].last().copied().unwrap_or(f64::NAN) * size;
        let waiting = series[3].last().copied().unwrap_or(f64::NAN);
        let scale = came_in + 1.0;
        proptest::prop_assert!((came_in - came_out - in_process - waiting).abs() <= 1e-9 * scale);
        proptest::prop_assert!(series[1].iter().all(|&v| v == 0.0 || (v * dt - size).abs() <= 1e-9 * size));
    }

    /// Whatever the profile's shape and the delay time, an input that keeps its initial value
    /// comes out unchanged (the shares add up to 1), and a pulse comes out whole.
    #[test]
    fn delay_profile_conserves_what_it_is_given(
        heights in proptest::collection::vec(0.0f64..5.0, 2..6),
        start in 0.0f64..1.0,
        delay in 0.5f64..4.0,
    ) {
        let total: f64 = heights.iter().sum();
        proptest::prop_assume!(total > 0.1);
        let points: Vec<String> =
            heights.iter().enumerate().map(|(i, h)| format!("({},{h})", start + i as f64 * 0.5)).collect();
        let text = format!(
            "{{UTF-8}}\nshape({}) ~~|\npulse in = IF THEN ELSE(Time = 1, 4, 0) ~~|\n\
             steady = DELAY PROFILE(shape, 3, {delay}, 3, 0) ~~|\n\
             out = DELAY PROFILE(shape, pulse in, {delay}, 0, 0) ~~|\n\
             INITIAL TIME = 0 ~~|\nFINAL TIME = 40 ~~|\nTIME STEP = 0.25 ~~|\nSAVEPER = TIME STEP ~~|\n",
            points.join(",")
        );
        let series = run(&text, &["steady", "out"]);
        proptest::prop_assert!(series[0].iter().all(|v| (v - 3.0).abs() < 1e-9), "{:?}", series[0]);
        // The pulse is 4 for one step of 0.25: 1 in all.
        let came_out: f64 = series[1].iter().sum::<f64>() * 0.25;
        proptest::prop_assert!((came_out - 1.0).abs() < 1e-9, "{came_out}");
    }
}

/// DEPRECIATE BY SCHEDULE with a uniform schedule of 20 yearly shares is DEPRECIATE STRAIGHTLINE
/// over 20 years, which matches Vensim's run of SDEverywhere's `depreciate` model.
#[test]
fn depreciate_by_schedule_with_equal_shares_is_straightline() {
    let text = "{UTF-8}\nyear : (y1-y20) ~~|\nschedule[year] = 1 ~~|\nnothing = 0 ~~|\n\
                Capacity Cost = 1e+06 ~~|\n\
                New Capacity = IF THEN ELSE(Time = 2022, 1000, IF THEN ELSE(Time = 2026, 2500, 0)) ~~|\n\
                str = Capacity Cost * New Capacity ~~|\n\
                by schedule = DEPRECIATE BY SCHEDULE(str, schedule[y1], nothing, 20, INITIAL TIME) ~~|\n\
                straight = DEPRECIATE STRAIGHTLINE(str, 20, 1, 0) ~~|\n\
                INITIAL TIME = 2020 ~~|\nFINAL TIME = 2050 ~~|\nTIME STEP = 1 ~~|\nSAVEPER = TIME STEP ~~|\n";
    let series = run(text, &["by schedule", "straight"]);
    let vensim = |year: usize| match year {
        2022..=2025 => 5e7,
        2026..=2041 => 1.75e8,
        2042..=2045 => 1.25e8,
        _ => 0.0,
    };
    for (step, (by_schedule, straight)) in series[0].iter().zip(&series[1]).enumerate() {
        let year = 2020 + step;
        assert!(
            (by_schedule - straight).abs() <= 1e-6 * straight.abs().max(1.0),
            "{year}: {by_schedule} against {straight}"
        );
        assert!((by_schedule - vensim(year)).abs() <= 1e-6 * vensim(year).max(1.0), "{year}: {by_schedule}");
    }
}

/// By hand: shares 50, 30 and 20 (percent) over a depreciation time of 3, so yearly fiscal
/// periods; steps of 0.5; 8 a year flowing in from time 1 to 2 (8 in all, in the period from 1);
/// initial depreciation 1, 0.5 and 0.25 in the first three periods. In the period from 1 the
/// current stream counts as if it held all year, 0.5 × 8; then 0.3 × 8 and 0.2 × 8.
#[test]
fn depreciate_by_schedule_spreads_each_period_by_its_shares() {
    let control = "INITIAL TIME = 0 ~~|\nFINAL TIME = 5 ~~|\nTIME STEP = 0.5 ~~|\nSAVEPER = TIME STEP ~~|\n";
    let model = |fiscal_start: &str| {
        format!(
            "{{UTF-8}}\nperiod : p1, p2, p3 ~~|\nshare[period] = 50, 30, 20 ~~|\n\
             initial[period] = 1, 0.5, 0.25 ~~|\ns = IF THEN ELSE(Time >= 1 :AND: Time < 2, 8, 0) ~~|\n\
             d = DEPRECIATE BY SCHEDULE(s, share[p1], initial[p1], 3, {fiscal_start}) ~~|\n{control}"
        )
    };
    let aligned = &run(&model("0"), &["d"])[0];
    let expected = [1.0, 1.0, 4.5, 4.5, 2.4 + 0.25, 2.4 + 0.25, 1.6, 1.6, 0.0, 0.0, 0.0];
    for (step, (value, want)) in aligned.iter().zip(expected).enumerate() {
        assert!((value - want).abs() < 1e-12, "at {}: {value}, expected {want}", step as f64 * 0.5);
    }
    // Fiscal periods from 0.5 (0 to 0.5 the run's first, partial, period): 4 of the 8 comes in
    // the period from 0.5, 4 in the period from 1.5.
    let offset = &run(&model("0.5"), &["d"])[0];
    let expected = [1.0, 0.5, 4.0 + 0.5, 4.0 + 1.2 + 0.25, 1.2 + 0.25, 1.2 + 0.8, 1.2 + 0.8, 0.8, 0.8, 0.0, 0.0];
    for (step, (value, want)) in offset.iter().zip(expected).enumerate() {
        assert!((value - want).abs() < 1e-12, "at {}: {value}, expected {want}", step as f64 * 0.5);
    }
    // A fiscal start after the run's start names the same period starts (as Vensim's example of
    // week 12 as the first week of a year does).
    assert_eq!(&run(&model("2.5"), &["d"])[0], offset);
    // The fiscal start is read at the start: `Time` there is INITIAL TIME, as the documentation
    // says.
    assert_eq!(&run(&model("Time"), &["d"])[0], aligned);
    // A schedule that is not a subscripted variable at an element is an error at the schedule.
    let text = format!("{{UTF-8}}\nshare = 1 ~~|\nd = DEPRECIATE BY SCHEDULE(1, share, 0, 3, 0) ~~|\n{control}");
    let diagnostics = match fulcrum_vensim::read(&text) {
        Ok((_, diagnostics)) | Err(diagnostics) => diagnostics,
    };
    let problem = diagnostics.0.iter().find(|d| d.code.as_str() == "E0105").expect("refused");
    let span = problem.span.expect("located");
    assert_eq!(&text[span.start()..span.end()], "share", "{problem:?}");
}

/// A model of `equations` with its time settings, its time unit and, when given, Vensim's date
/// time label (`35:Date`, `37:` year, `38:` month, `39:` day) for the start time.
fn calendar_model(equations: &str, unit: &str, times: (f64, f64, f64), date: Option<(i32, u32, u32)>) -> String {
    let (initial, last, step) = times;
    let label = date.map_or(String::new(), |(year, month, day)| {
        format!("///---\\\\\\\n:L<%^E!@\n35:Date\n36:YYYY-MM-DD\n37:{year}\n38:{month}\n39:{day}\n40:2\n41:0\n42:1\n")
    });
    format!(
        "{{UTF-8}}\n{equations}INITIAL TIME = {initial} ~ {unit} ~|\nFINAL TIME = {last} ~ {unit} ~|\n\
         TIME STEP = {step} ~ {unit} ~|\nSAVEPER = TIME STEP ~ {unit} ~|\n\
         \\\\\\---/// Sketch information - do not modify anything except names\nV300\n{label}"
    )
}

/// The calendar measures of GET TIME VALUE (1 to 10) as `<prefix>_<measure>`, of the current
/// time plus `offset` (relative to 0) or of the initial time plus `offset` (relative to 1).
fn calendar_equations(prefix: &str, relative_to: u32, offset: &str) -> (String, Vec<String>) {
    let names: Vec<String> = (1..=10).map(|measure| format!("{prefix}_{measure}")).collect();
    let equations = names
        .iter()
        .zip(1..=10)
        .map(|(name, measure)| format!("{name} = GET TIME VALUE({relative_to}, {offset}, {measure}) ~~|\n"))
        .collect();
    (equations, names)
}

#[test]
fn get_time_value_reads_real_dates_in_a_model_in_days() {
    // Days from Tuesday 2024-02-27, a leap year: time 2 is February 29 (a Thursday), time 3
    // March 1, time 309 Wednesday 2025-01-01 (3 + 306 days from March 1).
    let (current, names) = calendar_equations("now", 0, "0");
    let (initial, initial_names) = calendar_equations("initial", 1, "2");
    let text = calendar_model(&(current + &initial), "Day", (0.0, 400.0, 0.25), Some((2024, 2, 27)));
    let all: Vec<&str> = names.iter().chain(&initial_names).map(String::as_str).collect();
    let series = run(&text, &all);
    let at = |measure: usize, time: f64| series[measure - 1][(time * 4.0) as usize];
    // Day number of 2024-01-01: 2024 × 365 + 491 leap days before it (the 506 years 0, 4, ...,
    // 2020, less the 15 of the centuries 0 to 1900 that 400 does not divide).
    let january_first = 2024.0 * 365.0 + (506.0 - 15.0);
    for (time, year, month, day, weekday) in [
        (0.0, 2024.0, 2.0, 27.0, 2.0),
        (2.0, 2024.0, 2.0, 29.0, 4.0),
        (3.0, 2024.0, 3.0, 1.0, 5.0),
        (309.0, 2025.0, 1.0, 1.0, 3.0),
    ] {
        assert_eq!(
            [at(1, time), at(3, time), at(4, time), at(5, time)],
            [year, month, day, weekday],
            "year, month, day, weekday at time {time}"
        );
    }
    assert_eq!(at(2, 0.0), 1.0);
    assert_eq!(at(2, 309.0 - 31.0 - 30.0 - 31.0), 4.0, "October 1 is in the fourth quarter");
    assert_eq!(at(2, 309.0 - 31.0 - 30.0 - 31.0 - 1.0), 3.0, "September 30 is in the third");
    assert_eq!(at(6, 0.0), january_first + 31.0 + 26.0);
    // 18:00 at a quarter of a day before the next: hours, minutes and seconds of the step.
    assert_eq!([at(7, 0.75), at(8, 0.75), at(9, 0.75)], [18.0, 0.0, 0.0]);
    assert_eq!([at(7, 3.25), at(8, 3.25)], [6.0, 0.0]);
    // Seconds since January 1 of year 0, modulo 500,000.
    assert_eq!(at(10, 0.0), ((january_first + 57.0) * 86_400.0) % 500_000.0);
    // Relative to the initial time plus 2 days: February 29 at every time.
    let leap_day = [2024.0, 1.0, 2.0, 29.0, 4.0];
    for (measure, expected) in (1..=5).zip(leap_day) {
        assert!(series[10 + measure - 1].iter().all(|&v| v == expected), "measure {measure}");
    }
}

#[test]
fn get_time_value_counts_thirty_day_months_in_a_model_in_months() {
    // Vensim: a model in years, quarters or months has 360-day years. From January 1, 2000 at
    // month 50 (the suite's get_time_value settings): month 61 is December, 62 January 2001,
    // and half a month in is the 16th.
    let (equations, names) = calendar_equations("now", 0, "0");
    let (half, half_names) = calendar_equations("half", 0, "0.5");
    let text = calendar_model(&(equations + &half), "Month", (50.0, 70.0, 0.5), Some((2000, 1, 1)));
    let all: Vec<&str> = names.iter().chain(&half_names).map(String::as_str).collect();
    let series = run(&text, &all);
    let at = |measure: usize, time: f64| series[measure - 1][((time - 50.0) * 2.0) as usize];
    assert_eq!([at(1, 50.0), at(3, 50.0), at(4, 50.0), at(2, 50.0)], [2000.0, 1.0, 1.0, 1.0]);
    assert_eq!([at(3, 53.0), at(2, 53.0)], [4.0, 2.0]);
    assert_eq!([at(1, 61.0), at(3, 61.0)], [2000.0, 12.0]);
    assert_eq!([at(1, 62.0), at(3, 62.0), at(4, 62.0)], [2001.0, 1.0, 1.0]);
    assert_eq!(at(6, 62.0), 2001.0 * 360.0);
    assert_eq!(series[10 + 3][0], 16.0, "half a 30-day month after January 1");
    // Days of the week count real days from Saturday, January 1, 2000: a 30-day month later
    // (January 31) is a Monday.
    assert_eq!([at(5, 50.0), at(5, 51.0)], [6.0, 1.0]);
}

#[test]
fn get_time_value_counts_a_model_in_years_without_a_date_as_the_year() {
    // Measures 1 to 4: without a date there is no day of the week (refused below).
    let (equations, names) = calendar_equations("year", 0, "0");
    let equations: String = equations.lines().take(4).map(|line| format!("{line}\n")).collect();
    let text = calendar_model(&equations, "Year", (2000.0, 2002.0, 0.25), None);
    let names: Vec<&str> = names.iter().take(4).map(String::as_str).collect();
    let series = run(&text, &names);
    // Time 2000.5 is day 180 of a 360-day year: July 1.
    assert_eq!([series[0][2], series[2][2], series[3][2], series[1][2]], [2000.0, 7.0, 1.0, 3.0]);
    assert_eq!(series[0][8], 2002.0);
}

#[test]
fn get_time_value_refuses_what_has_no_calendar_with_the_place_and_why() {
    let cases = [
        ("x = GET TIME VALUE(0, 0, 3) ~~|\n", "Fortnight", Some((2000, 1, 1)), "no length in days"),
        ("x = GET TIME VALUE(0, 0, 3) ~~|\n", "Month", None, "date of the start time"),
        ("x = GET TIME VALUE(0, 0, 5) ~~|\n", "Year", None, "date of the start time"),
        ("x = GET TIME VALUE(0, 0, 11) ~~|\n", "Day", Some((2000, 1, 1)), "from 0 to 10"),
        ("x = GET TIME VALUE(2, 0, 1) ~~|\n", "Day", Some((2000, 1, 1)), "computer's clock"),
    ];
    for (equation, unit, date, message) in cases {
        let text = calendar_model(equation, unit, (0.0, 2.0, 1.0), date);
        let (model, diagnostics) = fulcrum_vensim::read(&text).unwrap_or_else(|d| panic!("{d:?}"));
        assert!(!diagnostics.has_errors(), "{diagnostics:?}");
        let errors = fulcrum_model::resolve(&model).expect_err(equation);
        let error = errors.0.iter().find(|d| d.message.contains(message)).unwrap_or_else(|| panic!("{errors:?}"));
        let span = error.span.unwrap_or_else(|| panic!("no place: {error:?}"));
        assert!(text[span.start()..span.end()].chars().all(|c| c.is_ascii_digit()), "{error:?}");
        assert!(error.help.is_some(), "{error:?}");
    }
    // A date label that is not a date is an error at the settings.
    let text = calendar_model("x = 1 ~~|\n", "Day", (0.0, 2.0, 1.0), Some((2023, 2, 29)));
    let diagnostics = match fulcrum_vensim::read(&text) {
        Ok((_, diagnostics)) => diagnostics,
        Err(diagnostics) => diagnostics,
    };
    assert!(diagnostics.0.iter().any(|d| d.message.contains("not a date")), "{diagnostics:?}");
}

#[test]
fn invert_matrix_over_one_range_written_twice_reads_rows_and_columns_apart() {
    // [[2, 1, 0], [1, 3, 1], [0, 1, 4]] has determinant 18 and inverse
    // [[11, -4, 1], [-4, 8, -2], [1, -2, 5]] / 18 (its cofactors, by hand).
    let text = format!(
        "{{UTF-8}}\nR: (r1-r3) ~~|\nR2 <-> R ~~|\nmat[R, R] = 2, 1, 0; 1, 3, 1; 0, 1, 4; ~~|\n\
         twice[R, R] = INVERT MATRIX(mat[R, R], 3) ~~|\n\
         copied[R, R2] = INVERT MATRIX(mat[R, R2], 3) ~~|\n\
         mixed[R, R2] = INVERT MATRIX(mat[R, R], 3) ~~|\n{CONTROL}"
    );
    let expected = [[11.0, -4.0, 1.0], [-4.0, 8.0, -2.0], [1.0, -2.0, 5.0]];
    // `mixed` names the matrix as SDEverywhere's invertmatrixio model does: Vensim inverts the
    // variable whole, so its subscripts are read by position.
    for name in ["twice", "copied", "mixed"] {
        let columns: Vec<String> = (1..=3).flat_map(|r| (1..=3).map(move |c| format!("{name}[r{r}, r{c}]"))).collect();
        let names: Vec<&str> = columns.iter().map(String::as_str).collect();
        let series = run(&text, &names);
        for (k, column) in series.iter().enumerate() {
            let want = expected[k / 3][k % 3] / 18.0;
            assert!((column[0] - want).abs() < 1e-12, "{}: {} against {want}", names[k], column[0]);
        }
    }
    // Anything but a reference ending in the range twice is ambiguous: an error at the argument.
    let text = format!(
        "{{UTF-8}}\nR: (r1-r3) ~~|\nmat[R, R] = 2, 1, 0; 1, 3, 1; 0, 1, 4; ~~|\n\
         scaled[R, R] = INVERT MATRIX(2 * mat[R, R], 3) ~~|\n{CONTROL}"
    );
    let (model, diagnostics) = fulcrum_vensim::read(&text).unwrap_or_else(|d| panic!("{d:?}"));
    assert!(!diagnostics.has_errors(), "{diagnostics:?}");
    let errors = fulcrum_model::resolve(&model).expect_err("ambiguous matrix");
    let error = errors.0.iter().find(|d| d.code == fulcrum_model::Code::InvalidArgument).expect("located");
    let span = error.span.expect("a place");
    assert_eq!(&text[span.start()..span.end()], "2 * mat[R, R]");
}
