//! The analyses as a whole (`sensitivity`, `leverage`, `compare`: plan, runs, estimates,
//! table) on a model whose outcome is known in closed form: the final level of a stock filled
//! at `Rate × Scale` for ten steps from 5 is `5 + 10 × Rate × Scale`.

use fulcrum_explore::{Plan, Rows, Silent};
use fulcrum_sensitivity::analysis::{LeveragePlan, SensitivityPlan};
use fulcrum_sensitivity::{
    CompareOptions, CompareResults, LeverageOptions, LeverageResults, Method, PlanError, ResultTable,
    SensitivityOptions, SensitivityResults, Study, Values, compare, leverage, plan_leverage, plan_sensitivity,
    sensitivity,
};
use fulcrum_sim::CompiledModel;

const MODEL: &str = r#"
[model]
name = "Line"

[sim]
start = 0
stop = 10
dt = 1
method = "euler"

[[stock]]
name = "Level"
initial = 5
inflows = ["Filling"]

[[flow]]
name = "Filling"
equation = "Rate * Scale"

[[constant]]
name = "Rate"
value = 2

[[constant]]
name = "Scale"
value = 1
"#;

const EXPERIMENT: &str = r#"
model = "line.toml"

[sampling]
method = "lhs"
runs = 20
seed = 7

[[uncertain]]
name = "Scale"
distribution = "uniform"
min = 0.5
max = 1.5

[[lever]]
name = "Rate"
min = 1
max = 4

[[intervention]]
name = "more"
set = { "Rate" = 3 }
cost = 10

[[outcome]]
name = "final level"
variable = "Level"
statistic = "final"
better = "higher"
"#;

fn setup(experiment: &str) -> (CompiledModel, Plan) {
    let (model, _) = fulcrum_model::native::read(MODEL).expect("a valid model");
    let compiled = fulcrum_sim::compile(&fulcrum_model::resolve(&model).expect("resolves")).expect("compiles");
    let (experiment, _) = fulcrum_explore::experiment::read(experiment).expect("a valid experiment");
    let (plan, _) = experiment.plan(&compiled).expect("binds to the model");
    (compiled, plan)
}

fn numbers<'t>(table: &'t ResultTable, name: &str) -> &'t [f64] {
    match table.column(name) {
        Some(Values::Number(values)) => values,
        other => panic!("{name} is not a number column: {other:?}"),
    }
}

fn texts<'t>(table: &'t ResultTable, name: &str) -> &'t [String] {
    match table.column(name) {
        Some(Values::Text(values)) => values,
        other => panic!("{name} is not a text column: {other:?}"),
    }
}

fn rectangular(table: &ResultTable) {
    assert!(table.columns.iter().all(|column| column.values.len() == table.rows()), "{table:?}");
}

/// The uncertain `Scale` of each of the plan's futures, from the leverage design's lever pairs.
fn scales_of(plan: &LeveragePlan) -> Vec<f64> {
    let Rows::Table(table) = &plan.runs.inputs else { panic!("a table of rows") };
    // Columns: Scale, Rate; each future is a pair of rows (Rate up, Rate down).
    table.values.chunks_exact(2).step_by(2).take(20).map(|row| row[0]).collect()
}

/// The elasticity one at a time with a 1% step, from the outcome either side.
fn log_difference(plus: f64, minus: f64) -> f64 {
    (plus.ln() - minus.ln()) / (1.01f64.ln() - 0.99f64.ln())
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let h = (sorted.len() - 1) as f64 * 0.5;
    let low = h.floor() as usize;
    sorted[low] + (h - low as f64) * (sorted[(low + 1).min(sorted.len() - 1)] - sorted[low])
}

#[test]
fn one_at_a_time_elasticities_are_those_of_the_closed_form() {
    let (compiled, plan) = setup(EXPERIMENT);
    let study = Study { model: &compiled, plan: &plan };
    let results: SensitivityResults =
        sensitivity(&study, &SensitivityOptions::new(Method::Oat, &plan), &Silent).expect("runs");
    let table = results.table();
    rectangular(&table);
    assert_eq!(table.header(), SensitivityResults::HEADER);
    // The central difference in logarithms of 5 + 10 R S, 1% either side of R = 2 (and of
    // S = 1, which gives the same numbers).
    let expected = log_difference(5.0 + 10.0 * 2.02, 5.0 + 10.0 * 1.98);
    let (parameters, measures, estimates) =
        (texts(&table, "parameter"), texts(&table, "measure"), numbers(&table, "estimate"));
    for name in ["Scale", "Rate"] {
        let row = (0..table.rows()).find(|&r| parameters[r] == name && measures[r] == "elasticity").expect("a row");
        assert!((estimates[row] - expected).abs() < 1e-12, "{name}: {} against {expected}", estimates[row]);
        assert!((estimates[row] - 0.8).abs() < 1e-4, "close to the derivative's 20 / 25");
    }
    let baseline = (0..table.rows()).find(|&r| measures[r] == "baseline").expect("a baseline row");
    assert_eq!(estimates[baseline], 25.0);
    assert!(results.notes.is_empty(), "{:?}", results.notes);
}

#[test]
fn over_time_adds_a_time_column_and_a_target_per_saved_time() {
    let (compiled, plan) = setup(EXPERIMENT);
    let study = Study { model: &compiled, plan: &plan };
    let options =
        SensitivityOptions { over_time: compiled.lookup("Level"), ..SensitivityOptions::new(Method::Oat, &plan) };
    let results = sensitivity(&study, &options, &Silent).expect("runs");
    let table = results.table();
    rectangular(&table);
    assert_eq!(table.header()[..2], ["outcome", "time"]);
    // The outcome, then Level at the 11 saved times 0, 1, ..., 10.
    assert_eq!(results.targets.len(), 12);
    let times: Vec<Option<f64>> = results.targets.iter().map(|target| target.time).collect();
    assert_eq!(times[0], None);
    assert_eq!(times[1..], (0..=10).map(|t| Some(f64::from(t))).collect::<Vec<_>>()[..]);
    // At time 5 the level is 5 + 5 R S.
    let at_five = &results.targets[6];
    let elasticity =
        at_five.measures.iter().find(|m| m.parameter == "Rate" && m.measure == "elasticity").expect("measured");
    let expected = log_difference(5.0 + 5.0 * 2.02, 5.0 + 5.0 * 1.98);
    assert!((elasticity.estimate.value - expected).abs() < 1e-12, "{elasticity:?} against {expected}");
}

#[test]
fn leverage_scores_are_the_median_arc_elasticity_of_the_futures() {
    let (compiled, plan) = setup(EXPERIMENT);
    let study = Study { model: &compiled, plan: &plan };
    let options = LeverageOptions::new(&plan);
    let planned = plan_leverage(&study, &options).expect("plans");
    // 20 futures × 2 rows, then the cross-check's N = 64 × (2 + 2) rows.
    assert_eq!(planned.runs.count(), 40 + 64 * 4);
    let scales = scales_of(&planned);
    let results: LeverageResults = leverage(&study, &options, &Silent).expect("runs");
    // With R = 2 ± 10%: ((y+ − y−) / (y+ + y−)) × ((R+ + R−) / (R+ − R−)) = 4S / (1 + 4S).
    let expected = median(&scales.iter().map(|s| 4.0 * s / (1.0 + 4.0 * s)).collect::<Vec<_>>());
    let table = results.table();
    rectangular(&table);
    assert_eq!(table.header(), LeverageResults::HEADER);
    assert_eq!(texts(&table, "lever"), ["Rate"]);
    assert!(
        (numbers(&table, "score")[0] - expected).abs() < 1e-12,
        "{} against {expected}",
        numbers(&table, "score")[0]
    );
    assert_eq!(numbers(&table, "sign_consistency"), [1.0]);
    assert_eq!(table.column("disproportionate"), Some(&Values::Flag(vec![false])));
    assert_eq!(table.column("rank"), Some(&Values::Count(vec![Some(1)])));
    let total = numbers(&table, "total_index")[0];
    assert!((0.0..=1.2).contains(&total), "{total}");
}

#[test]
fn compare_differences_are_those_of_the_closed_form() {
    let (compiled, plan) = setup(EXPERIMENT);
    let study = Study { model: &compiled, plan: &plan };
    let options = CompareOptions::new(&plan);
    let results: CompareResults = compare(&study, &options, &Silent).expect("runs");
    let table = results.table();
    rectangular(&table);
    assert_eq!(table.header(), CompareResults::HEADER);
    assert_eq!(texts(&table, "intervention"), ["baseline", "more"]);
    let cost = numbers(&table, "cost");
    assert!(cost[0].is_nan() && cost[1] == 10.0, "{cost:?}");
    // Rate 3 instead of 2 adds 10 × S in every future.
    let scales: Vec<f64> = (0..20)
        .map(|future| {
            let mut row = [0.0];
            plan.design.row(future, &mut row);
            row[0]
        })
        .collect();
    let mean_gain = 10.0 * scales.iter().sum::<f64>() / scales.len() as f64;
    assert!((numbers(&table, "delta_mean")[1] - mean_gain).abs() < 1e-9);
    assert_eq!(numbers(&table, "prob_better")[1], 1.0);
    assert_eq!(numbers(&table, "expected_regret")[1], 0.0);
    assert_eq!(table.column("rank"), Some(&Values::Count(vec![Some(2), Some(1)])));
    let differences = &results.outcomes[0].differences[0].1;
    assert_eq!(differences.len(), 20);
}

#[test]
fn plans_refuse_what_cannot_be_analyzed() {
    let (compiled, plan) = setup(EXPERIMENT);
    let study = Study { model: &compiled, plan: &plan };
    let few = SensitivityOptions { samples: 4, ..SensitivityOptions::new(Method::Sobol, &plan) };
    assert!(matches!(plan_sensitivity(&study, &few), Err(PlanError::TooFewSamples { least: 8, .. })));
    let grouped = SensitivityOptions {
        groups: vec![("both".to_owned(), vec!["Rate".to_owned(), "Scale".to_owned()])],
        ..SensitivityOptions::new(Method::Prcc, &plan)
    };
    assert!(matches!(plan_sensitivity(&study, &grouped), Err(PlanError::GroupsWithRegression)));
    let sobol: SensitivityPlan =
        plan_sensitivity(&study, &SensitivityOptions { samples: 12, ..SensitivityOptions::new(Method::Sobol, &plan) })
            .expect("plans");
    assert_eq!(sobol.warnings.len(), 1, "12 is not a power of two");
    assert_eq!(sobol.description, "sobol: N = 12 × (2 + 2) = 48 runs");

    let without_levers = EXPERIMENT.replace("[[lever]]\nname = \"Rate\"\nmin = 1\nmax = 4\n", "");
    let (compiled, plan) = setup(&without_levers);
    let study = Study { model: &compiled, plan: &plan };
    let refused = plan_leverage(&study, &LeverageOptions::new(&plan));
    assert!(matches!(&refused, Err(error @ PlanError::NoLevers) if error.about_experiment()));

    // A grid over Scale instead of its distribution.
    let with_grid = EXPERIMENT
        .replace("seed = 7\n", "seed = 7\ngrid = { \"Scale\" = [1, 2] }\n")
        .replace("[[uncertain]]\nname = \"Scale\"\ndistribution = \"uniform\"\nmin = 0.5\nmax = 1.5\n", "");
    let (compiled, plan) = setup(&with_grid);
    let study = Study { model: &compiled, plan: &plan };
    let refused = plan_sensitivity(&study, &SensitivityOptions::new(Method::Oat, &plan));
    assert!(
        matches!(&refused, Err(PlanError::Grid { analysis: "sensitivity", axis }) if axis == "Scale"),
        "{refused:?}"
    );
}
