//! Which loops an intervention or a lever strengthens, over futures, on a model whose loop
//! shares are known in closed form. `Population` has births `Population × Birth Rate` and
//! deaths `Population × Death Rate`: by Loops That Matter the reinforcing loop through births
//! has the relative score `b / (b + d)` at every step and the balancing loop through deaths
//! `−d / (b + d)` (each link from the stock to its flow scores 1; each flow's link to the stock
//! is its change over the net flow's, `b / (b − d)` and `d / (b − d)`). The first saved time has
//! no interval behind it and scores 0, so over 11 saved times a loop's mean share is 10/11 of
//! its share at each step. Raising the birth rate strengthens the births loop, by an amount
//! that depends on the death rate, which is uncertain: the mean over futures differs from the
//! change at the mean death rate.

use fulcrum_explore::Plan;
use fulcrum_model::ResolvedModel;
use fulcrum_sensitivity::loop_changes::{LoopChanges, LoopDesign, loop_changes};
use fulcrum_sensitivity::{CompareOptions, LeverageOptions, Study, Values, plan_compare, plan_leverage};
use fulcrum_sim::CompiledModel;

const MODEL: &str = r#"
[model]
name = "Births and deaths"

[sim]
start = 0
stop = 10
dt = 1
method = "euler"

[[stock]]
name = "Population"
initial = 100
inflows = ["Births"]
outflows = ["Deaths"]

[[flow]]
name = "Births"
equation = "Population * Birth_Rate"

[[flow]]
name = "Deaths"
equation = "Population * Death_Rate"

[[constant]]
name = "Birth Rate"
value = 0.1

[[constant]]
name = "Death Rate"
value = 0.05
"#;

const EXPERIMENT: &str = r#"
model = "births.toml"

[sampling]
method = "lhs"
runs = 12
seed = 3

[[uncertain]]
name = "Death Rate"
distribution = "uniform"
min = 0.01
max = 0.08

[[lever]]
name = "Birth Rate"
min = 0.05
max = 0.3

[[intervention]]
name = "more births"
set = { "Birth Rate" = 0.2 }

[[outcome]]
name = "final population"
variable = "Population"
statistic = "final"
"#;

fn setup() -> (ResolvedModel, CompiledModel, Plan) {
    let (model, _) = fulcrum_model::native::read(MODEL).expect("a valid model");
    let resolved = fulcrum_model::resolve(&model).expect("resolves");
    let compiled = fulcrum_sim::compile(&resolved).expect("compiles");
    let (experiment, _) = fulcrum_explore::experiment::read(EXPERIMENT).expect("a valid experiment");
    let (plan, _) = experiment.plan(&compiled).expect("binds to the model");
    (resolved, compiled, plan)
}

/// The births loop's mean share over the run at these rates.
fn births_share(birth: f64, death: f64) -> f64 {
    10.0 / 11.0 * birth / (birth + death)
}

/// The option's row for the loop through `variable`: (id, baseline share, share, change, futures).
fn row(changes: &LoopChanges, option: &str, variable: &str) -> (String, f64, f64, f64, usize) {
    let option = changes.options.iter().find(|o| o.option == option).expect("the option");
    let change = option
        .changes
        .iter()
        .find(|change| change.scored.variables.iter().any(|name| name == variable))
        .expect("the loop");
    (change.scored.id.clone(), change.baseline_share, change.share, change.change(), option.futures)
}

/// The mean over the design's futures of the births loop's change from `base` to `raised`,
/// checked against what the change at the mean death rate would be, so that a mean taken the
/// wrong way cannot pass.
fn expected_change(design: &LoopDesign, base: f64, raised: f64) -> f64 {
    let deaths = &design.rows;
    let mean =
        deaths.iter().map(|&d| births_share(raised, d) - births_share(base, d)).sum::<f64>() / deaths.len() as f64;
    let mean_death = deaths.iter().sum::<f64>() / deaths.len() as f64;
    let at_mean = births_share(raised, mean_death) - births_share(base, mean_death);
    assert!((mean - at_mean).abs() > 1e-4, "the futures must tell a mean of changes from a change at the mean");
    mean
}

#[test]
fn an_intervention_strengthens_the_loop_it_feeds_by_its_mean_change_over_the_futures() {
    let (resolved, compiled, plan) = setup();
    let study = Study { model: &compiled, plan: &plan };
    let compare = plan_compare(&study, &CompareOptions::new(&plan)).expect("plans");
    let design = compare.loop_design(5);
    // The first five of the comparison's futures: the death rates its table gives them.
    assert_eq!(design.futures(), 5);
    let fulcrum_explore::Rows::Table(table) = &compare.runs.inputs else { panic!("a table of rows") };
    assert_eq!(design.rows, table.values[..5]);
    assert_eq!(design.options.len(), 1);
    let changes = loop_changes(&resolved, &compiled, &design).expect("the loops are scored");
    assert_eq!(changes.futures, 5);

    let (id, base, share, change, futures) = row(&changes, "more births", "Births");
    assert_eq!((id.as_str(), futures), ("R1", 5));
    let expected = expected_change(&design, 0.1, 0.2);
    assert!(expected > 0.0);
    assert!((change - expected).abs() < 1e-9, "births loop: {change} against {expected}");
    assert!((share - base - change).abs() < 1e-15);
    let deaths = &design.rows;
    let base_expected = deaths.iter().map(|&d| births_share(0.1, d)).sum::<f64>() / 5.0;
    assert!((base - base_expected).abs() < 1e-9, "baseline share {base} against {base_expected}");
    // The deaths loop loses what the births loop gains: the shares add up to 10/11 in each run.
    let (id, _, _, deaths_change, _) = row(&changes, "more births", "Deaths");
    assert_eq!(id, "B1");
    assert!((deaths_change + expected).abs() < 1e-9, "deaths loop: {deaths_change}");
    // The most strengthened first.
    let option = &changes.options[0];
    assert_eq!(option.changes[0].scored.id, "R1");

    let table = changes.table("intervention");
    assert_eq!(table.header()[0], "intervention");
    assert_eq!(table.header()[1..], LoopChanges::HEADER);
    assert_eq!(table.rows(), 2);
    let Some(Values::Number(column)) = table.column("change") else { panic!("a change column") };
    assert!((column[0] - expected).abs() < 1e-9);
}

#[test]
fn a_levers_high_setting_strengthens_the_loop_it_feeds_against_the_baseline_over_futures() {
    let (resolved, compiled, plan) = setup();
    let study = Study { model: &compiled, plan: &plan };
    let options = LeverageOptions { cross_check: false, ..LeverageOptions::new(&plan) };
    let leverage = plan_leverage(&study, &options).expect("plans");
    let design = leverage.loop_design(&plan, 4);
    assert_eq!(design.futures(), 4);
    // One option, the lever at its baseline + 10%.
    assert_eq!(design.options.len(), 1);
    assert_eq!(design.options[0].0, "Birth Rate");
    let changes = loop_changes(&resolved, &compiled, &design).expect("the loops are scored");
    let (id, _, _, change, futures) = row(&changes, "Birth Rate", "Births");
    assert_eq!((id.as_str(), futures), ("R1", 4));
    let expected = expected_change(&design, 0.1, 0.11);
    assert!(expected > 0.0);
    assert!((change - expected).abs() < 1e-9, "births loop: {change} against {expected}");
    let (_, _, _, deaths_change, _) = row(&changes, "Birth Rate", "Deaths");
    assert!(deaths_change < 0.0 && (deaths_change + expected).abs() < 1e-9, "deaths loop: {deaths_change}");
    // Asking for more futures than there are takes them all.
    assert_eq!(leverage.loop_design(&plan, 1000).futures(), 12);
}
