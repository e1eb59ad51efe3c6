//! Published Vensim models against Vensim's own output: WORLD3-03 (Meadows, Randers and Meadows'
//! 2004 update of World3) with Vensim's run of its scenario 1, from `../shared/vensim/`.
//!
//! Vensim stores single precision, so agreement is asked within 1e-3 relative, for every variable
//! Vensim saved (its internal `#...#` delay and smooth stages aside) at every saved time.

use std::collections::HashMap;
use std::path::Path;

use fulcrum_model::CanonicalName;

use crate::conformance::suite_or_skip;
use crate::{fulcrum, root, stderr};

/// Vensim's single precision, relative to the larger magnitude.
const TOLERANCE: f64 = 1e-3;

#[test]
fn world3_matches_vensim_for_every_variable_at_every_saved_time() {
    // The Vensim models sit beside the conformance suite and are required where it is.
    let Some(_) = suite_or_skip("world3_matches_vensim_for_every_variable_at_every_saved_time") else { return };
    let folder = root().join("..").join("shared").join("vensim").join("world3-03");
    let (compared, mismatches) = compare_with_vensim(&folder.join("wrld3-03.mdl"), &folder.join("vensim-scen01.csv"));
    assert!(mismatches.is_empty(), "{}", mismatches.join("\n"));
    assert_eq!(compared, 260, "the README says all 260 of Vensim's variables are compared");
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

/// Runs the model and returns how many of Vensim's variables were compared and one line per
/// variable that is missing or differs by more than [`TOLERANCE`] at some time; fails if the
/// file's times are not the run's.
fn compare_with_vensim(model: &Path, reference: &Path) -> (usize, Vec<String>) {
    let bytes = std::fs::read(model).unwrap_or_else(|e| panic!("{}: {e}", model.display()));
    let (model, diagnostics) = fulcrum_vensim::read(&fulcrum_vensim::decode(bytes)).expect("the model reads");
    assert!(!diagnostics.has_errors(), "{diagnostics:?}");
    let resolved = fulcrum_model::resolve(&model).expect("the model resolves");
    let results = fulcrum_sim::compile(&resolved).expect("the model compiles").new_run().run().expect("the run ends");

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
    let mut mismatches = Vec::new();
    let mut compared = 0;
    for (index, name) in header.iter().enumerate().skip(1).filter(|(_, name)| !name.starts_with('#')) {
        let Some(&column) = columns.get(&CanonicalName::new(name)) else {
            mismatches.push(format!("{name}: not in the model"));
            continue;
        };
        compared += 1;
        let series = results.column(column);
        let worst = rows
            .iter()
            .zip(series)
            .filter(|(row, _)| row[index].is_finite())
            .map(|(row, &actual)| (relative_difference(row[index], actual), row[0], row[index], actual))
            .max_by(|a, b| a.0.total_cmp(&b.0));
        if let Some((difference, time, expected, actual)) = worst.filter(|worst| worst.0 > TOLERANCE) {
            mismatches
                .push(format!("{name} at {time}: Vensim {expected}, fulcrum {actual} ({difference:.2e} relative)"));
        }
    }
    (compared, mismatches)
}

fn relative_difference(expected: f64, actual: f64) -> f64 {
    let scale = expected.abs().max(actual.abs());
    if scale == 0.0 { 0.0 } else { (expected - actual).abs() / scale }
}
