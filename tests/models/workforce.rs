//! Behavior of models/workforce: a steady state until demand steps up, Brooks's law when rookies
//! take more than they give, attrition that climbs with overload, a hiring overshoot, and people
//! conserved along the rookie → experienced chain.

use super::{Run, assert_conserved, assert_steady, run, run_experiment};

#[test]
fn equilibrium_holds_without_the_demand_step() {
    assert_steady("workforce", &["--set", "Demand Increase=0"], 1e-12);
}

/// Months 12 to 20, after the step.
fn capacity_after_the_step(run: &Run) -> Vec<f64> {
    (13..=20).map(|month| run.at("Effective Capacity", f64::from(month))).collect()
}

#[test]
fn hiring_first_lowers_capacity_when_rookies_take_more_than_they_give() {
    // Brooks's law: rookies producing 0.2 and taking 0.3 of an experienced person's time.
    let brooks = run("workforce", &["--set", "Rookie Productivity=0.2", "--set", "Mentoring Load=0.3"]);
    let dip = capacity_after_the_step(&brooks).into_iter().fold(f64::INFINITY, f64::min);
    assert!(dip < 99.8, "capacity should dip below its starting 100 after the hiring push, lowest {dip}");
    assert!(brooks.at("Effective Capacity", 30.0) > 115.0, "and recover once rookies are proficient");
    // With today's onboarding rookies add capacity from the start: no dip, but a slower rise than
    // without mentoring.
    let today = run("workforce", &[]);
    assert!(capacity_after_the_step(&today).windows(2).all(|pair| pair[1] > pair[0]));
    let no_mentoring = run("workforce", &["--set", "Mentoring Load=0"]);
    assert!(no_mentoring.at("Effective Capacity", 18.0) > today.at("Effective Capacity", 18.0) + 1.0);
}

#[test]
fn overload_raises_attrition_and_the_hiring_policy_overshoots() {
    let run = run("workforce", &[]);
    assert_eq!(run.at("Attrition Multiplier", 12.0), 1.0);
    assert!(run.max("Attrition Multiplier") > 1.25, "overload of 1.2 should raise attrition by a quarter or more");
    // Headcount peaks well above where it settles, and capacity above the 120 demand requires.
    assert!(run.max("Workforce") > run.last("Workforce") + 5.0);
    assert!(run.max("Effective Capacity") > 124.0);
    assert!((run.last("Effective Capacity") - 120.0).abs() < 1.5, "settles near the new requirement");
}

#[test]
fn people_are_conserved_along_the_chain() {
    let run = run("workforce", &["--method", "euler", "--save-step", "0.25"]);
    let departures = ["Rookie Attrition", "Experienced Attrition"];
    assert_conserved(&run, &["Rookies", "Experienced"], &["Hiring"], &departures);
    assert_conserved(&run, &["Vacancies", "Rookies", "Experienced"], &["Vacancy Creation"], &departures);
}

#[test]
fn faster_hiring_brings_capacity_sooner() {
    let baseline = run_experiment("workforce", None, &[]);
    let faster = run_experiment("workforce", Some("faster hiring"), &[]);
    assert_eq!(faster.at("Effective Capacity", 12.0), baseline.at("Effective Capacity", 12.0));
    assert!(faster.at("Effective Capacity", 24.0) > baseline.at("Effective Capacity", 24.0) + 2.0);
}
