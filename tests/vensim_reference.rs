//! Published Vensim models against Vensim's own output, from `../shared/vensim/`: WORLD3-03
//! (Meadows, Randers and Meadows' 2004 update of World3) with Vensim's run of its scenario 1, and
//! Climate Interactive's C-LEARN v77 with Vensim's reference run.
//!
//! Vensim stores single precision, so agreement is asked within 1e-3 relative, for every variable
//! Vensim saved (its internal `#...#` delay and smooth stages aside) at every saved time.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use fulcrum_model::CanonicalName;

use crate::conformance::{check_round_trip, suite_or_skip};
use crate::{fulcrum, root, stderr};

/// Vensim's single precision, relative to the larger magnitude.
const TOLERANCE: f64 = 1e-3;

#[test]
fn world3_matches_vensim_for_every_variable_at_every_saved_time() {
    // The Vensim models sit beside the conformance suite and are required where it is.
    let Some(_) = suite_or_skip("world3_matches_vensim_for_every_variable_at_every_saved_time") else { return };
    let folder = root().join("..").join("shared").join("vensim").join("world3-03");
    let report = compare_with_vensim(&folder.join("wrld3-03.mdl"), &folder.join("vensim-scen01.csv"));
    assert!(report.missing.is_empty(), "not in the model: {:?}", report.missing);
    let mismatches: Vec<String> =
        report.variables.iter().filter(|v| v.worst > TOLERANCE).map(Variable::describe).collect();
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    assert_eq!(report.variables.len(), 260, "the README says all 260 of Vensim's variables are compared");
}

/// C-LEARN computes many small differences of large quantities (ocean layers' carbon and heat,
/// concentrations against goals). There Vensim's single precision keeps few digits, so near zero a
/// value can miss 1e-3 relative while being exact to Vensim's precision. The test asks every
/// variable to be within 1e-3 relative at every saved time, or else within 1e-3 of the variable's
/// largest magnitude in Vensim's run — and counts both, so that a change which loses exactness
/// anywhere fails it. Lookup tables have no time series in Vensim's output (its file holds
/// placeholders for them); they are not compared.
#[test]
fn clearn_matches_vensim_for_every_variable() {
    let Some(_) = suite_or_skip("clearn_matches_vensim_for_every_variable") else { return };
    let folder = root().join("..").join("shared").join("vensim").join("c-learn");
    let report = compare_with_vensim(&folder.join("C-LEARN v77 for Vensim.mdl"), &folder.join("vensim-ref.csv"));
    assert!(report.missing.is_empty(), "not in the model: {:?}", report.missing);
    assert_eq!(report.tables, 57, "the README says 57 of Vensim's columns are lookup tables");
    let within_relative = report.variables.iter().filter(|v| v.worst <= TOLERANCE).count();
    let beyond_scale: Vec<&Variable> = report.variables.iter().filter(|v| v.worst_of_scale > TOLERANCE).collect();
    // (BAU CO2eq − Equivalent CO2) / (BAU CO2eq − goal): both differences pass through zero, and
    // Equivalent CO2 agrees to 2e-6 relative, which the near-zero quotient magnifies.
    let known = ["co2eq_gap_closing_percentage"];
    let unexpected: Vec<String> =
        beyond_scale.iter().filter(|v| !known.contains(&v.name.as_str())).map(|v| v.describe()).collect();
    assert!(unexpected.is_empty(), "beyond 1e-3 of their scale:\n{}", unexpected.join("\n"));
    assert_eq!(beyond_scale.len(), known.len(), "a known difference is gone: update the list and the README");
    assert_eq!(
        (report.variables.len(), within_relative),
        (3386, 3293),
        "the README says 3,293 of the 3,386 variables are within 1e-3 relative at every saved time"
    );
}

/// An experiment over WORLD3 as a Vensim user would write one, naming the `.mdl`: `fulcrum
/// leverage` ranks its levers for both outcomes, with a finite score for every pair.
#[test]
fn leverage_runs_on_an_experiment_over_world3() {
    let Some(_) = suite_or_skip("leverage_runs_on_an_experiment_over_world3") else { return };
    let model = root().join("..").join("shared").join("vensim").join("world3-03").join("wrld3-03.mdl");
    let scratch = tempfile::tempdir().expect("temp dir");
    let experiment = scratch.path().join("world3.toml");
    let text = format!(
        r#"model = {model:?}
[sampling]
seed = 1
[[uncertain]]
name = "initial nonrenewable resources"
distribution = "uniform"
min = 5e11
max = 2e12
[[lever]]
name = "desired completed family size normal"
min = 2
max = 4
[[lever]]
name = "average life of industrial capital 1"
min = 10
max = 20
[[outcome]]
name = "population in 2100"
variable = "population"
statistic = "final"
[[outcome]]
variable = "industrial output"
statistic = "max"
"#,
        model = model.canonicalize().expect("WORLD3 is there").display().to_string()
    );
    std::fs::write(&experiment, text).expect("written");
    let out = scratch.path().join("out");
    let output = fulcrum(&[
        "leverage",
        experiment.to_str().expect("utf-8"),
        "-o",
        out.to_str().expect("utf-8"),
        "--futures",
        "10",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let mut reader = csv::Reader::from_path(out.join("leverage.csv")).expect("leverage.csv");
    let rows: Vec<csv::StringRecord> = reader.records().map(|row| row.expect("a row")).collect();
    let mut pairs: Vec<(String, String)> = rows.iter().map(|row| (row[0].to_owned(), row[1].to_owned())).collect();
    pairs.sort();
    assert_eq!(
        pairs,
        [
            ("industrial output max", "average life of industrial capital 1"),
            ("industrial output max", "desired completed family size normal"),
            ("population in 2100", "average life of industrial capital 1"),
            ("population in 2100", "desired completed family size normal"),
        ]
        .map(|(outcome, lever)| (outcome.to_owned(), lever.to_owned()))
    );
    for row in &rows {
        let score: f64 = row[2].parse().expect("a number");
        assert!(score.is_finite() && score != 0.0, "{row:?}");
    }
}

/// How one of Vensim's variables compares: the largest difference relative to the larger of the
/// two values, and relative to the variable's largest magnitude in Vensim's run.
struct Variable {
    name: String,
    worst: f64,
    worst_of_scale: f64,
    at: (f64, f64, f64),
}

impl Variable {
    fn describe(&self) -> String {
        let (time, expected, actual) = self.at;
        format!(
            "{} at {time}: Vensim {expected}, fulcrum {actual} ({:.2e} relative, {:.2e} of its scale)",
            self.name, self.worst, self.worst_of_scale
        )
    }
}

struct Report {
    variables: Vec<Variable>,
    /// Vensim's columns that name a lookup table of the model.
    tables: usize,
    missing: Vec<String>,
}

/// Runs the model and compares it with every variable of Vensim's output; fails if the file's
/// times are not the run's.
fn compare_with_vensim(model: &Path, reference: &Path) -> Report {
    let bytes = std::fs::read(model).unwrap_or_else(|e| panic!("{}: {e}", model.display()));
    let (model, diagnostics) = fulcrum_vensim::read(&fulcrum_vensim::decode(bytes)).expect("the model reads");
    assert!(!diagnostics.has_errors(), "{diagnostics:?}");
    let tables: HashSet<CanonicalName> = model
        .variables
        .iter()
        .filter(|v| v.kind == fulcrum_model::VariableKind::GraphicalFunction)
        .map(|v| v.canonical.clone())
        .collect();
    let resolved = fulcrum_model::resolve(&model).expect("the model resolves");
    let results = fulcrum_sim::compile(&resolved).expect("the model compiles").new_run().run().expect("the run ends");
    // `fulcrum convert` to TOML and to XMILE keeps every bit.
    check_round_trip(&model, &results).unwrap_or_else(|problem| panic!("{problem}"));

    let mut reader = csv::Reader::from_path(reference).expect("Vensim's output is readable");
    let header: Vec<String> = reader.headers().expect("a header").iter().map(str::to_owned).collect();
    let rows: Vec<Vec<f64>> = reader
        .records()
        .map(|record| record.expect("a row").iter().map(|cell| cell.parse().unwrap_or(f64::NAN)).collect())
        .collect();
    let times = results.times();
    assert_eq!(rows.len(), times.len(), "Vensim saved {} times, the run {}", rows.len(), times.len());
    for (row, &time) in rows.iter().zip(times) {
        assert!((row[0] - time).abs() < 1e-9, "Vensim's time {} against the run's {time}", row[0]);
    }

    let columns: HashMap<CanonicalName, usize> =
        results.names().iter().enumerate().map(|(column, name)| (CanonicalName::new(name), column)).collect();
    let mut report = Report { variables: Vec::new(), tables: 0, missing: Vec::new() };
    for (index, name) in header.iter().enumerate().skip(1).filter(|(_, name)| !name.starts_with('#')) {
        // The reader that wrote the file spells a `.` in a name as U+2024 ONE DOT LEADER.
        let canonical = CanonicalName::new(&name.replace('\u{2024}', "."));
        let Some(&column) = columns.get(&canonical) else {
            let array = canonical.as_str().split('[').next().unwrap_or_default();
            if tables.contains(&CanonicalName::new(array)) {
                report.tables += 1;
            } else {
                report.missing.push(name.clone());
            }
            continue;
        };
        let series = results.column(column);
        let scale = rows.iter().map(|row| row[index].abs()).filter(|v| v.is_finite()).fold(0.0, f64::max);
        let mut variable = Variable { name: name.clone(), worst: 0.0, worst_of_scale: 0.0, at: (0.0, 0.0, 0.0) };
        for (row, &actual) in rows.iter().zip(series).filter(|(row, _)| row[index].is_finite()) {
            let expected = row[index];
            // A value fulcrum could not compute is as far off as can be.
            let difference = if actual.is_finite() { relative_difference(expected, actual) } else { f64::INFINITY };
            if difference > variable.worst {
                variable.worst = difference;
                variable.at = (row[0], expected, actual);
            }
            let of_scale =
                if scale == 0.0 || difference.is_infinite() { difference } else { (expected - actual).abs() / scale };
            variable.worst_of_scale = variable.worst_of_scale.max(of_scale);
        }
        report.variables.push(variable);
    }
    report
}

fn relative_difference(expected: f64, actual: f64) -> f64 {
    let scale = expected.abs().max(actual.abs());
    if scale == 0.0 { 0.0 } else { (expected - actual).abs() / scale }
}
