//! Behavior of models/growth_limits.

use super::{Run, assert_conserved, assert_steady, run, run_experiment};

const MODEL: &str = "growth_limits";
/// The market: potential customers + waitlist + customers + former customers.
const MARKET: f64 = 40_000.0;
/// Bass's p and q at the model's defaults: 0.03 and 0.38 a year, per month.
const P: f64 = 0.0025;
const Q: f64 = 0.0317;

/// The closed-form Bass share of the market that has adopted by time `t` (no one at `t = 0`).
fn bass_share(t: f64) -> f64 {
    let decay = (-(P + Q) * t).exp();
    (1.0 - decay) / (1.0 + (Q / P) * decay)
}

/// The largest relative gap between the run's customer base and the closed-form Bass curve.
fn worst_gap_to_bass(run: &Run) -> f64 {
    let customers = run.series("Customers");
    run.times()
        .iter()
        .zip(&customers)
        .filter(|(t, _)| **t > 0.0)
        .map(|(t, c)| (c / MARKET - bass_share(*t)).abs() / bass_share(*t))
        .fold(0.0, f64::max)
}

/// Capacity never binds (an enormous launch capacity), churn is zero and the market starts empty:
/// the textbook Bass setting.
const UNLIMITED_BASS: [&str; 6] =
    ["--set", "Launch Capacity=1e9", "--set", "Normal Churn Fraction=0", "--set", "Seed Customers=0"];

#[test]
fn equilibrium_holds_when_started_at_the_long_run_balance() {
    // Adoption equals churn, returns equal churn, orders replace retirements and both
    // perceptions match what they perceive: nothing moves.
    assert_steady(MODEL, &["--set", "Start at Equilibrium=1"], 1e-9);
}

#[test]
fn the_equilibrium_is_the_long_run_ceiling_of_the_unconstrained_curve() {
    let balanced = run(MODEL, &["--set", "Start at Equilibrium=1"]);
    let ceiling = balanced.initial("Customers");
    assert!((ceiling - balanced.initial("Equilibrium Customers")).abs() < 1e-9);
    assert!((balanced.initial("Adoption") - balanced.initial("Churn")).abs() < 1e-9 * ceiling);
    // Given long enough with capacity that never binds, growth from the seed settles there.
    let long = run(MODEL, &["--set", "Launch Capacity=1e12", "--stop", "600"]);
    assert!((long.last("Customers") - ceiling).abs() < 0.01 * ceiling, "{} vs {ceiling}", long.last("Customers"));
}

#[test]
fn with_capacity_unlimited_and_no_churn_customers_follow_the_closed_form_bass_curve() {
    let coarse = run(MODEL, &UNLIMITED_BASS); // the model's dt, 0.25 month
    let fine = run(MODEL, &[UNLIMITED_BASS.as_slice(), &["--dt", "0.125"]].concat());
    assert!(coarse.max("Utilization") < 0.01, "capacity must never bind");
    let (coarse_gap, fine_gap) = (worst_gap_to_bass(&coarse), worst_gap_to_bass(&fine));
    assert!(coarse_gap < 0.006, "customers stray {coarse_gap} from the Bass curve");
    // Euler's error is first order: halving the step halves the gap.
    assert!(fine_gap < 0.6 * coarse_gap && fine_gap > 0.4 * coarse_gap, "{coarse_gap} then {fine_gap}");
    // The S: adoption rises to a peak near t* = ln(q/p)/(p+q) (74 months) and then falls.
    let adoption = coarse.series("Adoption");
    let peak = adoption.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let peak_time = coarse.times()[adoption.iter().position(|a| *a == peak).expect("a peak")];
    let expected = (Q / P).ln() / (P + Q);
    assert!((peak_time - expected).abs() <= 1.0, "adoption peaks at {peak_time}, Bass says {expected}");
    assert!(coarse.last("Adoption") < 0.97 * peak, "adoption falls after its peak");
}

#[test]
fn capacity_limits_growth_only_through_service_quality() {
    // Customers who do not care about service make capacity irrelevant to growth.
    let indifferent = run(MODEL, &["--set", "Service Sensitivity=0"]);
    let unlimited = run(MODEL, &["--set", "Launch Capacity=1e9"]);
    assert!(indifferent.max("Utilization") > 1.5, "capacity still falls behind");
    for (a, b) in indifferent.series("Customers").iter().zip(unlimited.series("Customers")) {
        assert!((a - b).abs() <= 1e-9 * b, "{a} vs {b}");
    }
}

#[test]
fn lagging_capacity_overloads_the_service_and_stalls_growth_below_the_unconstrained_curve() {
    let limited = run(MODEL, &[]);
    let unlimited = run(MODEL, &["--set", "Launch Capacity=1e9"]);
    // The first-year crunch: the launch capacity runs out before orders arrive.
    assert!(limited.max("Utilization") > 1.6, "peak utilization {}", limited.max("Utilization"));
    assert!(limited.max("Response Time") > 3.0, "peak response time {}", limited.max("Response Time"));
    assert!(limited.min("Service Quality") < 0.4, "worst quality {}", limited.min("Service Quality"));
    // Growth stalls: net adoption in the crunch falls to about half of what it was before.
    let net = |t: f64| limited.at("Adoption", t) - limited.at("Churn", t);
    let before = net(8.0);
    let worst = (10..=20).map(|t| net(t as f64)).fold(f64::INFINITY, f64::min);
    assert!(worst < 0.6 * before, "net adoption {before} falls only to {worst}");
    // And the firm never catches the unconstrained curve within the run.
    for t in (12..=96).map(f64::from) {
        assert!(limited.at("Customers", t) < 0.97 * unlimited.at("Customers", t), "month {t}");
    }
    assert!(limited.last("Customers") < 0.92 * unlimited.last("Customers"));
}

#[test]
fn slower_capacity_acquisition_deepens_the_overload() {
    let peak = |months: &str| {
        let setting = format!("Capacity Acquisition Time={months}");
        let slow = run(MODEL, &["--set", setting.as_str()]);
        (slow.max("Utilization"), slow.last("Customers"))
    };
    let (fast, normal, slow) = (peak("2"), peak("6"), peak("12"));
    assert!(fast.0 < normal.0 - 0.1 && normal.0 < slow.0 - 0.1, "{fast:?} {normal:?} {slow:?}");
    assert!(fast.1 > normal.1 && normal.1 > slow.1, "{fast:?} {normal:?} {slow:?}");
}

#[test]
fn the_market_is_conserved_with_the_waitlist_in_use() {
    let run = run(MODEL, &["--set", "Sales Throttle=1", "--method", "euler", "--save-step", "0.25"]);
    assert!(run.max("Waitlist") > 100.0, "the throttle fills the waitlist");
    assert_conserved(&run, &["Potential Customers", "Waitlist", "Customers", "Former Customers"], &[], &[]);
    let total =
        run.last("Potential Customers") + run.last("Waitlist") + run.last("Customers") + run.last("Former Customers");
    assert!((total - MARKET).abs() < 1e-9 * MARKET, "{total}");
}

#[test]
fn capacity_moves_through_the_supply_line_without_loss() {
    let run = run(MODEL, &["--method", "euler", "--save-step", "0.25"]);
    assert_conserved(
        &run,
        &["Capacity on Order", "Capacity in Onboarding", "Service Capacity"],
        &["Capacity Orders"],
        &["Capacity Retirement"],
    );
}

#[test]
fn building_ahead_buys_customers_and_service_quality() {
    let baseline = run_experiment(MODEL, None, &[]);
    let ahead = run_experiment(MODEL, Some("build ahead"), &[]);
    assert!(ahead.last("Customers") > baseline.last("Customers") + 1000.0);
    assert!(ahead.max("Response Time") < baseline.max("Response Time") - 0.5);
}

#[test]
fn more_marketing_grows_faster_but_strains_the_service() {
    let baseline = run_experiment(MODEL, None, &[]);
    let marketing = run_experiment(MODEL, Some("more marketing"), &[]);
    assert!(marketing.last("Customers") > baseline.last("Customers") + 1500.0);
    assert!(marketing.max("Response Time") > baseline.max("Response Time") + 0.5);
}

#[test]
fn throttling_sales_protects_service_at_the_price_of_growth() {
    let baseline = run_experiment(MODEL, None, &[]);
    let throttled = run_experiment(MODEL, Some("throttle sales"), &[]);
    assert!(throttled.max("Utilization") < 1.2, "utilization {}", throttled.max("Utilization"));
    assert!(throttled.max("Response Time") < 0.5 * baseline.max("Response Time"));
    assert!(throttled.last("Customers") < baseline.last("Customers"));
    assert!(throttled.series("Waitlist Abandonment").iter().any(|a| *a > 10.0), "waiting prospects give up");
}
