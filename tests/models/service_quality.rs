//! Behavior of models/service_quality.

use super::{Run, assert_conserved, assert_steady, run, run_experiment};

const MODEL: &str = "service_quality";

/// Arrivals return to the base in week 40: thirty weeks of pressure, then relief.
const PULSE: [&str; 2] = ["--set", "Demand Increase End=40"];

/// Staff the design standard calls for at the completion rate of the last saved time.
fn staff_the_design_standard_needs(run: &Run) -> f64 {
    run.last("Task Completions") * 2.0 / 40.0
}

#[test]
fn equilibrium_holds_without_the_shock() {
    assert_steady(MODEL, &["--set", "Demand Increase=0"], 1e-9);
    assert_steady(MODEL, &["--set", "Demand Increase=0", "--method", "rk4"], 1e-9);
    let run = run(MODEL, &["--set", "Demand Increase=0"]);
    for (name, value) in
        [("Work Pressure", 1.0), ("Service Quality", 1.0), ("Error Fraction", 0.05), ("Delivery Delay", 1.0)]
    {
        let drift = run.series(name).iter().map(|v| (v - value).abs()).fold(0.0, f64::max);
        assert!(drift < 1e-9, "{name} drifts {drift:e} from {value}");
    }
}

#[test]
fn sustained_pressure_erodes_the_standard_while_delivery_stays_on_target() {
    let run = run(MODEL, &[]);
    assert!(run.max("Work Pressure") > 1.15, "the demand step creates work pressure");
    assert!(run.min("Time per Task") < 1.8, "people cut corners: {}", run.min("Time per Task"));
    let standard = run.last("Relative Standard");
    assert!(standard < 0.95, "the standard should end well below the design standard, ends at {standard}");
    // The standard keeps falling while pressure lasts and never comes back within the horizon.
    assert!(run.last("Desired Time per Task") <= run.min("Desired Time per Task") + 1e-3);
    assert!(run.last("Service Quality") < 0.96, "quality stays down: {}", run.last("Service Quality"));
    assert!(run.last("Error Fraction") > 0.055, "more tasks come back: {}", run.last("Error Fraction"));
    // Customers see almost no delay: quality, not delivery, absorbs the pressure.
    assert!(run.max("Delivery Delay") < 1.1, "peak delivery delay {}", run.max("Delivery Delay"));
}

#[test]
fn the_eroded_standard_hides_the_need_to_hire() {
    let run = run(MODEL, &[]);
    let needed = staff_the_design_standard_needs(&run);
    let staff = run.last("Staff");
    assert!(staff > run.initial("Staff") + 3.0, "management does hire: {staff}");
    assert!(staff < 0.95 * needed, "staff {staff} should stay well short of the {needed} the design standard needs");
    // Planned from the design standard, the same centre hires close to what it needs.
    let planned = super::run(MODEL, &["--set", "Staffing Standard Weight=1"]);
    assert!(planned.last("Staff") > staff + 2.0, "{} against {staff}", planned.last("Staff"));
}

#[test]
fn erosion_outlasts_the_pressure() {
    let run = run(MODEL, &PULSE);
    let at_relief = run.at("Relative Standard", 40.0);
    let last = run.last("Relative Standard");
    assert!(at_relief < 0.94, "eroded by the time demand falls back: {at_relief}");
    assert!(last < 0.96, "still eroded 64 weeks after the pressure ends: {last}");
    assert!((last - at_relief) / (1.0 - at_relief) < 0.5, "recovers less than half the loss: {at_relief} → {last}");
    // Staffing follows the eroded standard below where it started, for the same demand.
    assert!(
        run.last("Staff") < run.initial("Staff") - 2.0,
        "staff {} against {}",
        run.last("Staff"),
        run.initial("Staff")
    );
}

#[test]
fn standards_fall_faster_than_they_rise() {
    let asymmetric = run(MODEL, &PULSE).last("Relative Standard");
    let symmetric =
        run(MODEL, &[&PULSE[..], &["--set", "Standard Recovery Time=20"]].concat()).last("Relative Standard");
    assert!(symmetric > 0.98, "with recovery as fast as erosion the standard comes back: {symmetric}");
    assert!(symmetric > asymmetric + 0.05, "{symmetric} against {asymmetric}");
}

#[test]
fn anchored_standards_do_not_erode() {
    let anchored = run(MODEL, &["--set", "Standard Anchoring=1"]);
    let drift = anchored.series("Desired Time per Task").iter().map(|v| (v - 2.0).abs()).fold(0.0, f64::max);
    assert!(drift < 1e-12, "the standard moves {drift:e}");
    assert!(anchored.min("Time per Task") < 1.85, "people still cut corners during the surge");
    assert!(anchored.last("Service Quality") > 0.99, "quality recovers: {}", anchored.last("Service Quality"));
    let eroding = run(MODEL, &[]);
    assert!(anchored.last("Staff") > eroding.last("Staff") + 3.0, "holding the standard shows the need to hire");
}

#[test]
fn tasks_and_people_are_conserved() {
    let run = run(MODEL, &["--method", "euler", "--save-step", "0.25"]);
    assert_conserved(
        &run,
        &["Service Backlog", "Undiscovered Errors"],
        &["Task Arrivals", "Error Generation"],
        &["Task Completions"],
    );
    assert_conserved(&run, &["Recruits", "Staff"], &["Recruiting"], &["Attrition"]);
}

#[test]
fn interventions_move_their_outcomes_the_right_way() {
    let baseline = run_experiment(MODEL, None, &[]);
    let anchored = run_experiment(MODEL, Some("anchor standards"), &[]);
    assert!(baseline.last("Standard Erosion") > 0.05);
    assert!(anchored.last("Standard Erosion").abs() < 1e-12);

    let capped = run_experiment(MODEL, Some("cap overtime"), &[]);
    assert!(capped.max("Work Intensity") <= 1.05 + 1e-12);
    assert!(capped.max("Fatigue") < baseline.max("Fatigue") - 0.02, "less overtime, less fatigue");
    assert!(capped.max("Delivery Delay") > baseline.max("Delivery Delay") + 0.05, "and customers wait longer");

    let trained = run_experiment(MODEL, Some("quality training"), &[]);
    assert!(trained.cumulative("Rework Returns") < 0.8 * baseline.cumulative("Rework Returns"));

    let faster = run_experiment(MODEL, Some("hire faster"), &[]);
    assert!(faster.last("Standard Erosion") < baseline.last("Standard Erosion") - 0.005);
}
