//! Conformance: every XMILE/STMX model of the public system-dynamics test suite that has an
//! expected output is run and compared by the suite's own rule.
//!
//! The suite lives beside the repository, in `../shared/conformance` (or where
//! `FULCRUM_CONFORMANCE_DIR` points): the upstream SDXorg test-models and the XMILE conversions
//! the simlin project added. `tests/conformance.toml` lists the models known to fail, each with
//! its reason; the test fails when a listed model starts passing (so the list stays true) or an
//! unlisted one fails. Run `cargo test --test end_to_end conformance -- --nocapture` for the
//! table.

use std::collections::{BTreeMap, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use fulcrum_model::CanonicalName;

use crate::root;

/// Models of the suite: `.xmile` and `.stmx` files.
const MODEL_EXTENSIONS: [&str; 3] = ["xmile", "stmx", "xml"];

/// Columns the suite ignores: the time axis and Vensim's control variables.
const IGNORED_COLUMNS: [&str; 5] = ["time", "saveper", "initial_time", "final_time", "time_step"];

/// One model of the suite and the output it should produce.
struct Case {
    /// Directory relative to the suite root, like `tests/abs`.
    directory: String,
    model: PathBuf,
    expected: PathBuf,
}

/// How a case went.
enum Outcome {
    Pass { compared: usize, missing: Vec<String> },
    Fail(String),
}

/// What `tests/conformance.toml` says about one model.
#[derive(Default)]
struct Exceptions {
    /// Model path (`tests/abs/test_abs.xmile`) → why it fails.
    failures: BTreeMap<String, String>,
    /// Directory → settings to run its models with instead of the file's.
    overrides: HashMap<String, toml::Table>,
}

pub fn suite_root() -> Option<PathBuf> {
    let path = match std::env::var_os("FULCRUM_CONFORMANCE_DIR") {
        Some(path) => PathBuf::from(path),
        None => root().join("..").join("shared").join("conformance"),
    };
    path.join("test-models").is_dir().then_some(path)
}

#[test]
fn the_public_test_suite_passes_except_the_listed_models() {
    let Some(suite) = suite_root() else {
        let required = std::env::var_os("FULCRUM_REQUIRE_CONFORMANCE").is_some();
        assert!(!required, "the conformance suite is not at ../shared/conformance (set FULCRUM_CONFORMANCE_DIR)");
        eprintln!(
            "skipped: the conformance suite is not at ../shared/conformance; set FULCRUM_CONFORMANCE_DIR to run it"
        );
        return;
    };
    let exceptions = exceptions();
    let cases = cases(&suite);
    assert!(cases.len() >= 150, "found only {} models in the suite at {}", cases.len(), suite.display());

    let mut table = String::from("| model | result | detail |\n|---|---|---|\n");
    let mut surprises = Vec::new();
    let mut passing_models = 0;
    let mut directories: BTreeMap<&str, bool> = BTreeMap::new();
    for case in &cases {
        let label = format!("{}/{}", case.directory, file_name(&case.model));
        let outcome = run_case(&suite, case, exceptions.overrides.get(&case.directory));
        let known = exceptions.failures.get(&label);
        let passed = matches!(outcome, Outcome::Pass { .. });
        *directories.entry(&case.directory).or_insert(true) &= passed;
        let detail = match (&outcome, known) {
            (Outcome::Pass { compared, missing }, _) if missing.is_empty() => format!("{compared} columns"),
            (Outcome::Pass { compared, missing }, _) => {
                format!("{compared} columns; not in the model: {}", missing.join(", "))
            }
            (Outcome::Fail(error), Some(reason)) => format!("known: {reason} ({error})"),
            (Outcome::Fail(error), None) => error.clone(),
        };
        let result = match (passed, known.is_some()) {
            (true, false) => "pass",
            (false, true) => "known failure",
            (true, true) => "PASSES BUT IS LISTED",
            (false, false) => "FAIL",
        };
        if passed {
            passing_models += 1;
        }
        if passed == known.is_some() {
            surprises.push(format!("{label}: {result}: {detail}"));
        }
        writeln!(table, "| {label} | {result} | {detail} |").ok();
    }
    for listed in exceptions.failures.keys() {
        if !cases.iter().any(|case| format!("{}/{}", case.directory, file_name(&case.model)) == *listed) {
            surprises.push(format!("{listed}: listed in tests/conformance.toml but not in the suite"));
        }
    }
    let upstream: Vec<_> = directories.iter().filter(|(d, _)| is_upstream(&suite, d)).collect();
    let summary = format!(
        "{passing_models} of {} models pass; directories passing in full: {} of {} upstream, {} of {} in all",
        cases.len(),
        upstream.iter().filter(|(_, passed)| **passed).count(),
        upstream.len(),
        directories.values().filter(|passed| **passed).count(),
        directories.len(),
    );
    println!("{table}\n{summary}");
    let report = root().join("target").join("conformance.md");
    std::fs::write(&report, format!("{table}\n{summary}\n")).ok();
    assert!(surprises.is_empty(), "{summary}\n{}", surprises.join("\n"));
}

/// Vensim models of the suite whose functions fulcrum has, written by hand as native models in
/// `tests/vensim/` (each named after its directory in `test-models/tests`), must reproduce the
/// suite's output by the suite's rule, every column of it.
#[test]
fn vensim_models_transcribed_by_hand_reproduce_the_suite() {
    let Some(suite) = suite_root() else {
        let required = std::env::var_os("FULCRUM_REQUIRE_CONFORMANCE").is_some();
        assert!(!required, "the conformance suite is not at ../shared/conformance (set FULCRUM_CONFORMANCE_DIR)");
        eprintln!(
            "skipped: the conformance suite is not at ../shared/conformance; set FULCRUM_CONFORMANCE_DIR to run it"
        );
        return;
    };
    let folder = root().join("tests").join("vensim");
    let mut models: Vec<PathBuf> = std::fs::read_dir(&folder)
        .expect("tests/vensim")
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "toml"))
        .collect();
    models.sort();
    assert!(models.len() >= 8, "found only {} models in tests/vensim", models.len());
    let mut failures = Vec::new();
    for model in &models {
        let stem = model.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let directory = suite.join("test-models").join("tests").join(&stem);
        let outcome = expected_output(&directory)
            .ok_or_else(|| format!("no expected output in {}", directory.display()))
            .and_then(|expected| run_native(model, &expected));
        match outcome {
            Ok(Outcome::Pass { missing, .. }) if missing.is_empty() => {}
            Ok(Outcome::Pass { missing, .. }) => {
                failures.push(format!("{stem}: not in the model: {}", missing.join(", ")))
            }
            Ok(Outcome::Fail(error)) | Err(error) => failures.push(format!("{stem}: {error}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn run_native(path: &Path, expected: &Path) -> Result<Outcome, String> {
    let expected = read_expected(expected)?;
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read the model: {e}"))?;
    let (mut model, diagnostics) = fulcrum_model::native::read(&text).map_err(|d| first_error(&d))?;
    if diagnostics.has_errors() {
        return Err(first_error(&diagnostics));
    }
    model.sim.save_step = None;
    let resolved = fulcrum_model::resolve(&model).map_err(|d| first_error(&d))?;
    let compiled = fulcrum_sim::compile(&resolved).map_err(|e| e.to_string())?;
    let results = compiled.new_run().run().map_err(|e| format!("the run failed: {e}"))?;
    compare(&expected, &results)
}

/// Does a directory exist in the upstream suite (as opposed to the simlin additions only)?
fn is_upstream(suite: &Path, directory: &str) -> bool {
    let upstream = suite.join("test-models").join(directory);
    std::fs::read_dir(&upstream).is_ok_and(|entries| {
        entries.filter_map(Result::ok).any(|entry| {
            let path = entry.path();
            MODEL_EXTENSIONS.iter().any(|ext| path.extension().is_some_and(|e| e == *ext))
        })
    }) && expected_output(&upstream).is_some()
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

fn exceptions() -> Exceptions {
    let text = std::fs::read_to_string(root().join("tests").join("conformance.toml")).expect("tests/conformance.toml");
    let table: toml::Table = text.parse().expect("tests/conformance.toml is valid TOML");
    let mut exceptions = Exceptions::default();
    if let Some(failures) = table.get("failures").and_then(|f| f.as_table()) {
        for (model, reason) in failures {
            exceptions.failures.insert(model.clone(), reason.as_str().unwrap_or_default().to_owned());
        }
    }
    if let Some(overrides) = table.get("overrides").and_then(|f| f.as_table()) {
        for (directory, settings) in overrides {
            let settings = settings.as_table().cloned().unwrap_or_default();
            assert!(
                settings.get("reason").and_then(|r| r.as_str()).is_some(),
                "override of {directory} needs a reason"
            );
            exceptions.overrides.insert(directory.clone(), settings);
        }
    }
    exceptions
}

/// Every model with an expected output, from both trees of the suite. A directory may have its
/// model in one tree and its expected output in the other; the upstream output wins.
fn cases(suite: &Path) -> Vec<Case> {
    let trees = [suite.join("test-models"), suite.join("simlin-additions")];
    let mut directories = std::collections::BTreeSet::new();
    for tree in &trees {
        collect_directories(tree, tree, &mut directories);
    }
    let mut cases = Vec::new();
    for directory in directories {
        let Some(expected) = trees.iter().find_map(|tree| expected_output(&tree.join(&directory))) else { continue };
        let mut models: Vec<PathBuf> = trees
            .iter()
            .filter_map(|tree| std::fs::read_dir(tree.join(&directory)).ok())
            .flat_map(|entries| entries.filter_map(Result::ok).map(|entry| entry.path()))
            .filter(|path| path.extension().and_then(|e| e.to_str()).is_some_and(|e| MODEL_EXTENSIONS.contains(&e)))
            .collect();
        models.sort_by_key(|path| file_name(path));
        models.dedup_by_key(|path| file_name(path));
        for model in models {
            cases.push(Case { directory: directory.clone(), model, expected: expected.clone() });
        }
    }
    cases
}

fn collect_directories(tree: &Path, directory: &Path, found: &mut std::collections::BTreeSet<String>) {
    let Ok(entries) = std::fs::read_dir(directory) else { return };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            collect_directories(tree, &path, found);
        } else if path.extension().and_then(|e| e.to_str()).is_some_and(|e| MODEL_EXTENSIONS.contains(&e))
            && let Ok(relative) = directory.strip_prefix(tree)
        {
            found.insert(relative.to_string_lossy().replace('\\', "/"));
        }
    }
}

fn expected_output(directory: &Path) -> Option<PathBuf> {
    ["output.csv", "output.tab"].into_iter().map(|name| directory.join(name)).find(|path| path.exists())
}

fn run_case(suite: &Path, case: &Case, overrides: Option<&toml::Table>) -> Outcome {
    match try_case(suite, case, overrides) {
        Ok(outcome) => outcome,
        Err(error) => Outcome::Fail(error),
    }
}

fn try_case(suite: &Path, case: &Case, overrides: Option<&toml::Table>) -> Result<Outcome, String> {
    // An override may name another expected output, relative to the suite's root.
    let expected_path = match overrides.and_then(|o| o.get("expected")).and_then(|e| e.as_str()) {
        Some(path) => suite.join(path),
        None => case.expected.clone(),
    };
    let expected = read_expected(&expected_path)?;
    let text = std::fs::read_to_string(&case.model).map_err(|e| format!("cannot read the model: {e}"))?;
    let (mut model, diagnostics) = fulcrum_xmile::read(&text).map_err(|d| first_error(&d))?;
    if diagnostics.has_errors() {
        return Err(first_error(&diagnostics));
    }
    if let Some(overrides) = overrides {
        apply_overrides(&mut model.sim, overrides);
    }
    // Keep every step, so that whichever times the expected output holds can be compared.
    model.sim.save_step = None;
    let resolved = fulcrum_model::resolve(&model).map_err(|d| first_error(&d))?;
    let compiled = fulcrum_sim::compile(&resolved).map_err(|e| e.to_string())?;
    let results = compiled.new_run().run().map_err(|e| format!("the run failed: {e}"))?;
    let outcome = compare(&expected, &results)?;
    check_round_trip(&model, &results)?;
    Ok(outcome)
}

/// `fulcrum convert` must not change a model: written as TOML and read back, it gives the same
/// results to the bit.
fn check_round_trip(model: &fulcrum_model::Model, results: &fulcrum_sim::Results) -> Result<(), String> {
    let text = fulcrum_model::native::write(model);
    let (converted, diagnostics) =
        fulcrum_model::native::read(&text).map_err(|d| format!("converted TOML: {}", first_error(&d)))?;
    if diagnostics.has_errors() {
        return Err(format!("converted TOML: {}", first_error(&diagnostics)));
    }
    let resolved = fulcrum_model::resolve(&converted).map_err(|d| format!("converted TOML: {}", first_error(&d)))?;
    let compiled = fulcrum_sim::compile(&resolved).map_err(|e| e.to_string())?;
    let again = compiled.new_run().run().map_err(|e| format!("converted TOML: the run failed: {e}"))?;
    if again.names() != results.names() {
        return Err("converted TOML has other variables".to_owned());
    }
    for column in 0..results.names().len() {
        let (before, after) = (results.column(column), again.column(column));
        if before.iter().zip(after).any(|(a, b)| a.to_bits() != b.to_bits()) {
            return Err(format!("converted TOML gives other values for {}", results.names()[column]));
        }
    }
    Ok(())
}

fn first_error(diagnostics: &fulcrum_model::Diagnostics) -> String {
    diagnostics
        .0
        .iter()
        .find(|d| d.severity() == fulcrum_model::Severity::Error)
        .map_or_else(|| "invalid model".to_owned(), |d| format!("{} {}", d.code, d.message))
}

fn apply_overrides(sim: &mut fulcrum_model::SimSpecs, overrides: &toml::Table) {
    let number = |key: &str| overrides.get(key).and_then(|v| v.as_float().or_else(|| v.as_integer().map(|i| i as f64)));
    if let Some(dt) = number("dt") {
        sim.dt = dt;
    }
    if let Some(stop) = number("stop") {
        sim.stop = stop;
    }
    if let Some(method) = overrides.get("method").and_then(|m| m.as_str()).and_then(|m| m.parse().ok()) {
        sim.method = method;
    }
}

/// An expected output: the times, and each column by canonical name.
struct Expected {
    times: Vec<f64>,
    columns: Vec<(String, CanonicalName, Vec<Option<f64>>)>,
}

/// Reads `output.csv` or `output.tab` (see `fulcrum_report::expected`), keeping the columns the
/// suite compares.
fn read_expected(path: &Path) -> Result<Expected, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let read = fulcrum_report::expected::read(&fulcrum_report::expected::decode(bytes))
        .map_err(|e| format!("{}: {e}", path.display()))?;
    let columns = read
        .columns
        .into_iter()
        .map(|column| {
            let canonical = CanonicalName::new(&column.name);
            (column.name, canonical, column.values)
        })
        .filter(|(_, canonical, _)| !IGNORED_COLUMNS.contains(&canonical.as_str()))
        .collect();
    Ok(Expected { times: read.times, columns })
}

/// The suite's rule: a value passes if |expected| ≤ 3e-6 and |actual| ≤ 1e-6, or else if it is
/// within a relative 1e-4 of the larger magnitude.
fn close(expected: f64, actual: f64) -> bool {
    (expected.abs() <= 3e-6 && actual.abs() <= 1e-6)
        || (actual - expected).abs() <= 1e-4 * expected.abs().max(actual.abs())
}

fn compare(expected: &Expected, results: &fulcrum_sim::Results) -> Result<Outcome, String> {
    let by_name: HashMap<CanonicalName, usize> =
        results.names().iter().enumerate().map(|(i, name)| (CanonicalName::new(name), i)).collect();
    let times = results.times();
    // The row of our output at each expected time. Expected files round their times (10.0312
    // for 10.03125), so the nearest row within half a step counts.
    let step = if times.len() > 1 { times[1] - times[0] } else { 1.0 };
    let mut rows = Vec::with_capacity(expected.times.len());
    for &time in &expected.times {
        let nearest = ((time - times[0]) / step).round();
        let row = (nearest >= 0.0).then_some(nearest as usize).filter(|&row| row < times.len());
        match row.filter(|&row| (times[row] - time).abs() < step / 2.0) {
            Some(row) => rows.push(row),
            None => {
                return Err(format!(
                    "no result at time {time} (the run covers {} to {})",
                    times[0],
                    times[times.len() - 1]
                ));
            }
        }
    }
    let mut missing = Vec::new();
    let mut compared = 0;
    let mut worst: Option<(f64, String)> = None;
    for (written, canonical, cells) in &expected.columns {
        let Some(&column) = by_name.get(canonical) else {
            missing.push(written.clone());
            continue;
        };
        compared += 1;
        let series = results.column(column);
        for (&row, cell) in rows.iter().zip(cells) {
            let Some(value) = cell else { continue };
            let actual = series[row];
            if !close(*value, actual) {
                let error = (actual - value).abs() / value.abs().max(actual.abs()).max(1e-300);
                let text = format!("{written} at time {}: expected {value}, got {actual}", times[row]);
                if worst.as_ref().is_none_or(|(e, _)| error > *e) {
                    worst = Some((error, text));
                }
            }
        }
    }
    if let Some((_, text)) = worst {
        return Err(text);
    }
    if compared == 0 {
        return Err(format!("none of the expected columns is in the model ({})", missing.join(", ")));
    }
    Ok(Outcome::Pass { compared, missing })
}
