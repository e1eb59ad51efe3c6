//! Units: no bundled model and no conformance model whose units are consistent gets a unit
//! warning; the command line prints unit warnings and `--strict-units` makes them errors.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use fulcrum_model::Code;

use crate::conformance::suite_or_skip;
use crate::{bundled_models, fulcrum, root, stderr};

/// Conformance models whose own units disagree, each with where. Every other model of the suite
/// that reads must come out without a unit finding, and each of these with one.
const INCONSISTENT: &[(&str, &str)] = &[
    ("simlin-additions/tests/lookups_with_expr/test_lookups_with_expr.xmile", "SIN of Time/30 in months"),
    ("test-models/samples/SIR/SIR.stmx", "time unit `Time`, but `duration` in days"),
    ("test-models/samples/SIR/SIR.xmile", "time unit `Time`, but `duration` in days"),
    ("test-models/samples/SIR/SIR_legacy.stmx", "time unit `Time`, but `duration` in days"),
    ("test-models/samples/SIR/SIR_reciprocal-dt.xmile", "time unit `Time`, but `duration` in days"),
    (
        "test-models/samples/Workforce/workforce.mdl",
        "`Expert Time per Task` in Person*Hours (no /Task), `Rookie-Hours Worked per Week` in `Person Hours` (no /Week)",
    ),
    ("test-models/samples/teacup/teacup.stmx", "time unit `Time`, but `characteristic time` in minutes"),
    ("test-models/samples/teacup/teacup_legacy.stmx", "time unit `Time`, but `characteristic time` in minutes"),
    ("test-models/samples/teacup/teacup_w_diagram.xmile", "time unit `Time`, but `characteristic time` in minutes"),
    ("test-models/tests/except/test_except.mdl", "SIN(Time) with Time in months, in `special giveaways`"),
    ("test-models/tests/forecast/test_forecast.mdl", "STEP of a dimensionless sine added to widget/month in `R`"),
    ("test-models/tests/subscript_copy/test_subscript_copy.mdl", "a Dmnl flow into a Dmnl stock (a flow is per month)"),
    (
        "test-models/tests/subscript_copy/test_subscript_copy2.mdl",
        "a Dmnl flow into a Dmnl stock (a flow is per month)",
    ),
    ("test-models/tests/subscript_mapping_simple/test_subscript_mapping_simple.mdl", "a Dmnl flow into a Dmnl stock"),
    ("test-models/tests/subscript_numeric_range/test_subscript_numeric_range.mdl", "a Dmnl flow into a Dmnl stock"),
    ("test-models/tests/subscripted_trend/test_subscripted_trend.mdl", "SIN of Time/20 in months"),
    ("test-models/tests/trend/test_trend.mdl", "SIN of Time/20 in months"),
    ("test-models/tests/unicode_characters/unicode_test_model.mdl", "a variable in `D` equal to 2 times a dmnl one"),
];

/// The unit findings `fulcrum_model::units::check` makes for a model file, as `fulcrum` reads it.
fn unit_findings(path: &Path) -> Option<Vec<String>> {
    let loaded = fulcrum_report::load::read_model(path, &[]).ok()?;
    if loaded.diagnostics.has_errors() || fulcrum_model::resolve(&loaded.model).is_err() {
        return None;
    }
    let found = fulcrum_model::units::check(&loaded.model);
    Some(
        found
            .0
            .into_iter()
            .filter(|d| matches!(d.code, Code::UnitMismatch | Code::UnitSyntax))
            .map(|d| d.message)
            .collect(),
    )
}

#[test]
fn no_bundled_model_has_a_unit_warning() {
    let models = bundled_models();
    assert!(models.len() >= 5, "{models:?}");
    for model in models {
        let found = unit_findings(&model).expect("a bundled model reads and resolves");
        assert!(found.is_empty(), "{}: {found:#?}", model.display());
    }
}

fn suite_models(suite: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![suite.join("test-models"), suite.join("simlin-additions")];
    while let Some(directory) = pending.pop() {
        let Ok(entries) = std::fs::read_dir(&directory) else { continue };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| ["xmile", "stmx", "mdl"].contains(&e.to_ascii_lowercase().as_str()))
            {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

#[test]
fn conformance_models_get_unit_warnings_only_where_their_units_disagree() {
    let Some(suite) = suite_or_skip("conformance_models_get_unit_warnings_only_where_their_units_disagree") else {
        return;
    };
    let mut checked = 0;
    let mut warned: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for path in suite_models(&suite) {
        let Some(found) = unit_findings(&path) else { continue };
        checked += 1;
        if !found.is_empty() {
            let name = path.strip_prefix(&suite).unwrap_or(&path).to_string_lossy().replace('\\', "/");
            warned.insert(name, found);
        }
    }
    assert!(checked > 100, "only {checked} models of the suite read");
    let listed: Vec<&str> = INCONSISTENT.iter().map(|(name, _)| *name).collect();
    let unexpected: Vec<_> = warned.iter().filter(|(name, _)| !listed.contains(&name.as_str())).collect();
    assert!(unexpected.is_empty(), "unit warnings on models not listed as inconsistent: {unexpected:#?}");
    let missing: Vec<_> = listed.iter().filter(|name| !warned.contains_key(**name)).collect();
    assert!(missing.is_empty(), "listed as inconsistent but without a unit warning: {missing:?}");
}

#[test]
fn check_and_run_warn_about_units_and_strict_units_stops_them() {
    let model = "crates/fulcrum-model/tests/units/flow_per_year_into_month_stock.toml";
    assert!(root().join(model).exists());
    let checked = fulcrum(&["check", model]);
    assert_eq!(checked.status.code(), Some(0), "{}", stderr(&checked));
    let warning = stderr(&checked);
    assert!(warning.contains("W0005") && warning.contains("flow_per_year_into_month_stock.toml:11:12"), "{warning}");
    let run = fulcrum(&["run", model]);
    assert_eq!(run.status.code(), Some(0), "{}", stderr(&run));
    assert!(stderr(&run).contains("W0005"), "{}", stderr(&run));
    for command in ["check", "run"] {
        let strict = fulcrum(&[command, model, "--strict-units"]);
        assert_eq!(strict.status.code(), Some(1), "{command}: {}", stderr(&strict));
        assert!(stderr(&strict).contains("units disagree in 1 place"), "{}", stderr(&strict));
    }
    let clean = fulcrum(&["check", "models/workforce/model.toml", "--strict-units"]);
    assert_eq!(clean.status.code(), Some(0), "{}", stderr(&clean));
}

/// Every command that reads a model to run it takes `--strict-units`: with the flag, units that
/// disagree stop it with exit code 1; without, it warns and goes on.
#[test]
fn every_command_that_runs_a_model_stops_on_inconsistent_units_with_strict_units() {
    let model = root().join("crates/fulcrum-model/tests/units/flow_per_year_into_month_stock.toml");
    let scratch = tempfile::tempdir().expect("temp dir");
    let experiment = scratch.path().join("experiment.toml");
    let text = format!(
        "model = {model:?}\n\n[sampling]\nruns = 10\n\n[[lever]]\nname = \"Hiring Fraction\"\n\
         min = 0.05\nmax = 0.2\n\n[[intervention]]\nname = \"more\"\n\
         set = {{ \"Hiring Fraction\" = 0.2 }}\n\n[[outcome]]\nvariable = \"Staff\"\nstatistic = \"final\"\nbetter = \"higher\"\n",
        model = model.to_str().expect("utf-8")
    );
    std::fs::write(&experiment, text).expect("writes");
    let (experiment, model) = (experiment.to_str().expect("utf-8"), model.to_str().expect("utf-8"));
    let out = |name: &str| scratch.path().join(name).to_str().expect("utf-8").to_owned();
    let commands: Vec<Vec<String>> = vec![
        vec!["loops".into(), model.into(), "-o".into(), out("loops")],
        vec!["loops".into(), "--experiment".into(), experiment.into(), "-o".into(), out("loops-experiment")],
        vec!["sweep".into(), experiment.into(), "-o".into(), out("sweep")],
        vec!["sensitivity".into(), experiment.into(), "--method".into(), "oat".into(), "-o".into(), out("oat")],
        vec!["compare".into(), experiment.into(), "-o".into(), out("compare")],
        vec!["leverage".into(), experiment.into(), "-o".into(), out("leverage"), "--no-cross-check".into()],
        vec![
            "search".into(),
            experiment.into(),
            "-o".into(),
            out("search"),
            "--population".into(),
            "4".into(),
            "--generations".into(),
            "1".into(),
        ],
    ];
    for command in commands {
        let args: Vec<&str> = command.iter().map(String::as_str).collect();
        let warned = fulcrum(&args);
        assert_eq!(warned.status.code(), Some(0), "{args:?}: {}", stderr(&warned));
        assert!(stderr(&warned).contains("W0005"), "{args:?}: {}", stderr(&warned));
        let strict =
            fulcrum(&[&args[..], &["--strict-units", "--force"][..if args[0] == "loops" { 1 } else { 2 }]].concat());
        assert_eq!(strict.status.code(), Some(1), "{args:?} --strict-units: {}", stderr(&strict));
        assert!(stderr(&strict).contains("units disagree in 1 place"), "{args:?}: {}", stderr(&strict));
    }
}

/// A Vensim model and an XMILE model (with `<model_units>` aliases and an equation) with
/// deliberate unit errors: what `fulcrum check` prints, at the files' lines, is a snapshot.
#[test]
fn unit_errors_in_vensim_and_xmile_files_are_shown_at_their_lines() {
    for (file, snapshot) in [
        ("tests/units/unit_errors.mdl", "units_vensim_errors"),
        ("tests/units/unit_errors.xmile", "units_xmile_errors"),
    ] {
        let output = fulcrum(&["check", file]);
        assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
        insta::assert_snapshot!(snapshot, stderr(&output));
    }
}
