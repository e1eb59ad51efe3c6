//! Real Stella models written by others, run as they are and set against the output Stella wrote
//! for them (tests/xmile/sdeverywhere: SDEverywhere's XMILE samples, MIT, each with Stella's
//! CSV). The ones fulcrum refuses are listed with the construct that stops them, so a model that
//! starts to run, or stops for another reason, fails here until this list is brought up to date.
//! Two more real Stella models with no Stella output at hand (tests/xmile, CC BY 4.0) must run to
//! their end.

use std::path::Path;

use fulcrum_model::CanonicalName;

const FOLDER: &str = "tests/xmile/sdeverywhere";

/// Models that run and must match Stella's output.
const RUNS: [&str; 10] = [
    "active_initial",
    "arrays",
    "comments",
    "delay",
    "delayfixed",
    "delayfixed2",
    "depreciate",
    "elmcount",
    "interleaved",
    "trend",
];

/// Models refused, with a piece of the message that names what stops them.
const REFUSED: [(&str, &str); 1] = [
    // Stella's ALLOCATE with a sixth argument (the spread of the priority curves).
    ("allocate", "ALLOCATE's sixth argument"),
];

/// The suite's rule: equal within a relative 1e-4, or both about zero.
fn close(expected: f64, actual: f64) -> bool {
    (expected.abs() <= 3e-6 && actual.abs() <= 1e-6)
        || (actual - expected).abs() <= 1e-4 * expected.abs().max(actual.abs())
}

fn text(name: &str, extension: &str) -> String {
    let path = Path::new(FOLDER).join(format!("{name}.{extension}"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Reads and resolves a model: the errors of whichever step refuses it.
fn resolve(name: &str) -> Result<fulcrum_model::ResolvedModel, String> {
    let (model, diagnostics) = fulcrum_xmile::read(&text(name, "stmx")).map_err(|d| format!("{d:?}"))?;
    if diagnostics.has_errors() {
        return Err(format!("{diagnostics:?}"));
    }
    fulcrum_model::resolve(&model).map_err(|d| format!("{d:?}"))
}

#[test]
fn real_stella_models_run_and_match_the_output_stella_wrote_for_them() {
    let mut failures = Vec::new();
    for name in RUNS {
        let resolved = match resolve(name) {
            Ok(resolved) => resolved,
            Err(errors) => {
                failures.push(format!("{name}: refused: {errors}"));
                continue;
            }
        };
        let results = fulcrum_sim::compile(&resolved).expect("compiles").new_run().run().expect("runs");
        let expected = fulcrum_report::expected::read(&text(name, "csv")).expect("Stella's output reads");
        let columns: Vec<CanonicalName> = results.names().iter().map(|n| CanonicalName::new(n)).collect();
        let times = results.times();
        let mut compared = 0;
        for column in &expected.columns {
            let Some(index) = columns.iter().position(|c| *c == CanonicalName::new(&column.name)) else {
                failures.push(format!("{name}: no column `{}`", column.name));
                continue;
            };
            let series = results.column(index);
            for (&time, value) in expected.times.iter().zip(&column.values) {
                let Some(value) = value else { continue };
                let Some(row) = times.iter().position(|&t| (t - time).abs() < 1e-9) else {
                    failures.push(format!("{name}: no result at time {time}"));
                    break;
                };
                compared += 1;
                if !close(*value, series[row]) {
                    failures
                        .push(format!("{name}: `{}` at {time}: Stella {value}, fulcrum {}", column.name, series[row]));
                    break;
                }
            }
        }
        assert!(compared > 0, "{name}: nothing compared");
    }
    assert!(failures.is_empty(), "{failures:#?}");
}

#[test]
fn real_stella_models_fulcrum_refuses_name_what_stops_them() {
    for (name, construct) in REFUSED {
        match resolve(name) {
            Ok(_) => panic!("{name} now resolves: move it to the models that run"),
            Err(errors) => assert!(errors.contains(construct), "{name}: expected `{construct}` in {errors}"),
        }
    }
}

/// Real Stella models with no Stella output at hand (tests/xmile, CC BY 4.0): each reads without
/// an error, runs to its stop time and gives a number for every variable at every step.
#[test]
fn real_stella_models_without_stellas_output_run_to_the_end() {
    for file in ["seir_using_delay_order.stmx", "covid19_icu08.stmx"] {
        let path = Path::new("tests/xmile").join(file);
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let (model, diagnostics) = fulcrum_xmile::read(&text).unwrap_or_else(|d| panic!("{file}: {d:?}"));
        assert!(!diagnostics.has_errors(), "{file}: {diagnostics:?}");
        let resolved = fulcrum_model::resolve(&model).unwrap_or_else(|d| panic!("{file}: {d:?}"));
        let results = fulcrum_sim::compile(&resolved).expect("compiles").new_run().run().expect("runs");
        let times = results.times();
        assert_eq!(times.last().copied(), Some(model.sim.stop), "{file}: the run stops early");
        for (index, name) in results.names().iter().enumerate() {
            assert!(results.column(index).iter().all(|v| v.is_finite()), "{file}: `{name}` is not a number");
        }
    }
}
