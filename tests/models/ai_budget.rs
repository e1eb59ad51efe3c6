//! Behavior of models/ai_budget.

use super::{Run, assert_conserved, assert_steady, run, run_experiment};

const MODEL: &str = "ai_budget";

/// The first saved time at which `name` satisfies `test`.
fn first_time(run: &Run, name: &str, test: impl Fn(f64) -> bool) -> f64 {
    let times = run.times();
    let values = run.series(name);
    let index = values.iter().position(|&value| test(value)).unwrap_or_else(|| panic!("{name} never qualifies"));
    times[index]
}

/// Values of `name` at the saved times up to and including `until`.
fn up_to(run: &Run, name: &str, until: f64) -> Vec<f64> {
    run.times().into_iter().zip(run.series(name)).filter(|(time, _)| *time <= until).map(|(_, value)| value).collect()
}

#[test]
fn equilibrium_holds_without_an_ai_budget() {
    assert_steady(MODEL, &["--set", "AI Budget=0"], 1e-9);
    let idle = run(MODEL, &["--set", "AI Budget=0"]);
    for name in ["Profit", "Revenue", "External Spend", "Lead Generation"] {
        let start = idle.initial(name);
        assert!((idle.max(name) - start).abs() < 1e-9 && (idle.min(name) - start).abs() < 1e-9, "{name} moves");
    }
    assert!((idle.initial("Profit") - 1800.0).abs() < 1e-9, "the documented steady profit is 1800 kUSD a month");
}

#[test]
fn nothing_moves_before_the_programme_starts() {
    let baseline = run(MODEL, &["--save-step", "0.5"]);
    // Stocks through month 3 (spending starts then and moves them from the next step), profit before.
    let watched = [("Sales Pipeline", 3.0), ("Customers", 3.0), ("Active External Contracts", 3.0), ("Profit", 2.5)];
    for (name, until) in watched {
        let start = baseline.initial(name);
        for value in up_to(&baseline, name, until) {
            assert!((value - start).abs() < 1e-9, "{name} moves before month 3: {value} from {start}");
        }
    }
    assert_eq!(baseline.at("AI Spending", 3.0), 200.0, "the budget is spent from month 3");
    assert!(baseline.at("Front Office Capability", 4.0) > 0.0 && baseline.at("Back Office Capability", 4.0) > 0.0);
}

#[test]
fn back_office_savings_wait_for_the_capability_threshold_and_the_notice_period() {
    let args = |notice: &'static str| ["--set", "Front Office Share=0.2", "--set", notice, "--save-step", "0.5"];
    let standard = run(MODEL, &args("Contract Notice Period=9"));
    let crossing = first_time(&standard, "Back Office Capability", |capability| capability > 0.3);
    let base = standard.initial("External Spend");
    // Until automation is trusted with work, not a dollar of external spend is saved (it only grows
    // with the customer base).
    let before = up_to(&standard, "External Spend", crossing);
    assert!(before.iter().all(|&spend| spend >= base - 1e-9), "external spend fell before the threshold");
    assert!((5.0..=16.0).contains(&crossing), "capability crosses 0.3 in month {crossing}");
    // Then the review and the notice period: 1% of the spend is saved only months later.
    let saved = first_time(&standard, "External Spend", |spend| spend < 0.99 * base);
    assert!(saved >= crossing + 4.0, "1% saved in month {saved}, capability crossed in month {crossing}");
    // Buying out notice brings the savings forward.
    let bought_out = run(MODEL, &args("Contract Notice Period=1"));
    let early = first_time(&bought_out, "External Spend", |spend| spend < 0.99 * base);
    assert!(early <= saved - 2.0, "with one month's notice 1% is saved in month {early}, against {saved}");
    assert!(bought_out.max("Contract Exit Fees") > 0.0 && standard.max("Contract Exit Fees") == 0.0);
}

#[test]
fn front_office_gains_reach_revenue_through_the_sales_pipeline() {
    let front = run(MODEL, &["--set", "Front Office Share=0.8"]);
    let rise = |name: &str, month: f64| front.at(name, month) / front.initial(name) - 1.0;
    assert!(rise("Lead Generation", 6.0) > 0.03, "leads rise {} by month 6", rise("Lead Generation", 6.0));
    assert!(rise("Deals Won", 6.0) < 0.5 * rise("Lead Generation", 6.0), "deals won follow leads at once");
    assert!(rise("Revenue", 6.0) < 0.001, "revenue moves {} by month 6", rise("Revenue", 6.0));
    assert!(rise("Revenue", 60.0) > 0.02, "revenue is up {} by month 60", rise("Revenue", 60.0));
}

#[test]
fn rivals_compete_the_front_office_lift_away() {
    let copied = run(MODEL, &["--set", "Front Office Share=0.8"]);
    assert!(copied.last("Front Office Capability") >= copied.max("Front Office Capability") - 1e-6);
    assert!(copied.last("Demand Lift") < 0.85 * copied.max("Demand Lift"), "the lift is not competed away");
    let uncopied = run(MODEL, &["--set", "Front Office Share=0.8", "--set", "Competed Away Share=0"]);
    assert!(uncopied.last("Demand Lift") > 0.99 * uncopied.max("Demand Lift"));
    assert!(uncopied.last("Customers") > copied.last("Customers") + 20.0);
}

#[test]
fn pilots_without_learning_stall_and_return_less() {
    let stalled = run(MODEL, &["--set", "Learning Investment Share=0"]);
    for area in ["Front Office Capability", "Back Office Capability"] {
        assert!(stalled.max(area) <= 0.25, "{area} reaches {} without learning investment", stalled.max(area));
    }
    assert_eq!(stalled.max("Automation Readiness"), 0.0, "no work is handed to a stalled pilot");
    assert_eq!(stalled.max("Contracts Under Notice"), 0.0);
    let baseline = run(MODEL, &[]);
    assert!(baseline.max("Back Office Capability") > 0.5);
    let (without, with) = (stalled.last("Return on AI Investment"), baseline.last("Return on AI Investment"));
    assert!(without < -0.5 && without < with - 0.5, "return {without} without learning, {with} with it");
}

#[test]
fn shifting_the_budget_to_the_back_office_pays_under_the_default_numbers() {
    let gain = |option: Option<&str>| run_experiment(MODEL, option, &[]).last("Cumulative Profit Gain");
    let (back, baseline, front) = (gain(Some("back office first")), gain(None), gain(Some("front office first")));
    assert!(back > baseline + 1500.0, "back office first {back} against the baseline {baseline}");
    assert!(baseline > front + 3000.0, "the baseline {baseline} against front office first {front}");
    let months = |option: Option<&str>| run_experiment(MODEL, option, &[]).last("Break Even Month");
    assert!(months(Some("back office first")) < months(None) - 4.0);
    assert_eq!(months(Some("front office first")), 60.0, "front office first has not paid back in five years");
}

#[test]
fn learning_investment_raises_the_return_more_than_a_bigger_budget() {
    let ratio = |option: Option<&str>| run_experiment(MODEL, option, &[]).last("Benefit per AI Dollar");
    let baseline = ratio(None);
    assert!(ratio(Some("balanced with learning")) > baseline + 0.4);
    assert!(ratio(Some("big bang")) < baseline - 0.1, "doubling the budget runs into diminishing returns");
}

#[test]
fn the_break_even_month_is_when_the_cumulative_gain_turns_positive() {
    let baseline = run(MODEL, &["--save-step", "0.5"]);
    let month = baseline.last("Break Even Month");
    assert!(month < 60.0, "the baseline pays back within the horizon");
    assert!(baseline.at("Cumulative Profit Gain", month) >= -1.0);
    assert!(baseline.at("Cumulative Profit Gain", month - 0.5) < -1.0);
}

#[test]
fn contracts_and_accounts_are_conserved() {
    let args = [
        "--set",
        "Front Office Share=0.3",
        "--set",
        "Contract Notice Period=4",
        "--method",
        "euler",
        "--save-step",
        "0.5",
    ];
    let run = run(MODEL, &args);
    assert_conserved(
        &run,
        &["Active External Contracts", "Contracts Under Notice"],
        &["Contract Additions"],
        &["Contract Expiry"],
    );
    assert_conserved(&run, &["Sales Pipeline", "Customers"], &["Lead Generation"], &["Deals Lost", "Customer Churn"]);
    assert_conserved(&run, &["Cumulative AI Spend"], &["AI Spending"], &[]);
}
