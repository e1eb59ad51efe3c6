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
