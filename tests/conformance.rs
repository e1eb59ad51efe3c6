//! Conformance: every model of the public system-dynamics test suite that has an expected output
//! is run and compared with it by the suite's own rule, column by column.
//!
//! The suite lives beside the repository, in `../shared/conformance` (or where
//! `FULCRUM_CONFORMANCE_DIR` points): the upstream SDXorg test-models and the XMILE conversions
//! the simlin project added. Its models are counted by [`Format`]: the files one reader takes.
//! For each format, `tests/conformance.toml` lists the models known to fail and the expected
//! columns a model does not have, each with its reason. The test fails when a model that is not
//! listed fails, when a listed one passes, when an expected column is neither produced nor
//! pinned, when a pinned column is produced, and when README.md states other counts than the
//! run gives; so the lists and the README stay true. Run
//! `cargo test --test end_to_end conformance -- --nocapture` for the table.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use fulcrum_model::CanonicalName;

use crate::root;

/// Reads a model from its bytes and path, with its directory's overrides.
type Reader = fn(Vec<u8>, &Path, Option<&toml::Table>) -> Result<fulcrum_model::Model, String>;

/// The models of the suite that one reader takes, with their own section of
/// `tests/conformance.toml` (`[KEY.failures]`, `[KEY.missing_columns]`, `[KEY.overrides]`) and
/// their own counts in README.md. Another format is another `Format`, added to [`FORMATS`], with
/// its section and README sentences and a test that calls [`check_format`].
struct Format {
    /// The section of `tests/conformance.toml`.
    key: &'static str,
    /// How README.md names these models: "N of M XMILE models pass".
    label: &'static str,
    /// The file extensions of its models.
    extensions: &'static [&'static str],
    /// Reads a model file's bytes (with its path and its directory's overrides, such as
    /// `data`), or says why it cannot.
    read: Reader,
}

/// XMILE and Stella's `.stmx` (XMILE too); `.xml` where a directory names its XMILE so.
const XMILE: Format = Format { key: "xmile", label: "XMILE", extensions: &["xmile", "stmx", "xml"], read: read_xmile };

/// Vensim's own text format.
const VENSIM: Format = Format { key: "mdl", label: "Vensim", extensions: &["mdl"], read: read_mdl };

/// Every format; `tests/conformance.toml` may have a section for each and nothing else.
const FORMATS: [&Format; 2] = [&XMILE, &VENSIM];

/// Columns the suite ignores: the time axis and Vensim's control variables.
const IGNORED_COLUMNS: [&str; 5] = ["time", "saveper", "initial_time", "final_time", "time_step"];

#[test]
fn the_xmile_models_of_the_suite_pass_except_the_listed_ones() {
    check_format(&XMILE);
}

#[test]
fn the_vensim_models_of_the_suite_pass_except_the_listed_ones() {
    check_format(&VENSIM);
}

/// Where the suite is, if it is there.
fn suite_root() -> Option<PathBuf> {
    let path = match std::env::var_os("FULCRUM_CONFORMANCE_DIR") {
        Some(path) => PathBuf::from(path),
        None => root().join("..").join("shared").join("conformance"),
    };
    path.join("test-models").is_dir().then_some(path)
}

/// The suite for a test that needs it. Where it is missing this is `None` after a note on
/// stderr, unless it is required: under `CI=true`, with `FULCRUM_REQUIRE_CONFORMANCE` set, or
/// when `FULCRUM_CONFORMANCE_DIR` names a place without it. Then the test fails.
#[allow(clippy::print_stderr, reason = "a skipped test says so where cargo test shows it")]
pub fn suite_or_skip(test: &str) -> Option<PathBuf> {
    if let Some(suite) = suite_root() {
        return Some(suite);
    }
    let place = std::env::var_os("FULCRUM_CONFORMANCE_DIR").map_or_else(
        || "../shared/conformance".to_owned(),
        |path| format!("{} (FULCRUM_CONFORMANCE_DIR)", PathBuf::from(path).display()),
    );
    let required_by = if env_flag("CI") {
        Some("CI is set")
    } else if env_flag("FULCRUM_REQUIRE_CONFORMANCE") {
        Some("FULCRUM_REQUIRE_CONFORMANCE is set")
    } else if std::env::var_os("FULCRUM_CONFORMANCE_DIR").is_some() {
        Some("FULCRUM_CONFORMANCE_DIR names it")
    } else {
        None
    };
    if let Some(why) = required_by {
        panic!(
            "{test} needs the conformance suite, which is not at {place} (no test-models/ there); it is required because {why}"
        );
    }
    eprintln!("skipped: {test}: the conformance suite is not at {place}; set FULCRUM_CONFORMANCE_DIR to run it");
    None
}

/// Is an environment flag on? Set, and not empty, `0` or `false`.
fn env_flag(name: &str) -> bool {
    std::env::var_os(name).is_some_and(|value| !["", "0", "false"].contains(&value.to_string_lossy().as_ref()))
}

/// One model of the suite and the output it should produce.
struct Case {
    /// Directory relative to the suite root, like `tests/abs`.
    directory: String,
    /// `tests/abs/test_abs.xmile`: how `tests/conformance.toml` names it.
    label: String,
    model: PathBuf,
    expected: PathBuf,
}

/// How a case went.
enum Outcome {
    /// The model ran and was compared.
    Compared(Comparison),
    /// It could not be read, resolved, compiled or run, or its expected output could not be read.
    Broken(String),
}

/// A model's results set against its expected output.
#[derive(Default)]
struct Comparison {
    /// Expected columns found in the model and compared.
    compared: usize,
    /// Expected columns the model lacks, as pinned in `tests/conformance.toml`.
    pinned: usize,
    /// Expected columns the model lacks that nothing pins: each fails the model.
    missing: Vec<String>,
    /// The worst value outside the suite's tolerance, if any.
    worst: Option<String>,
    /// Expected columns pinned as missing that the model produces.
    produced_but_pinned: Vec<String>,
    /// Pins that match no expected column.
    unused_pins: Vec<String>,
}

impl Comparison {
    fn passed(&self) -> bool {
        self.compared > 0 && self.missing.is_empty() && self.worst.is_none()
    }

    fn detail(&self) -> String {
        let total = self.compared + self.pinned + self.missing.len();
        let mut detail = format!("{} of {total} columns", self.compared);
        if self.pinned > 0 {
            write!(detail, " ({} pinned as not in the model)", self.pinned).ok();
        }
        if !self.missing.is_empty() {
            write!(detail, "; not in the model: {}", self.missing.join(", ")).ok();
        }
        if let Some(worst) = &self.worst {
            write!(detail, "; {worst}").ok();
        }
        if self.compared == 0 {
            detail.push_str("; none of the expected columns is in the model");
        }
        detail
    }
}

/// What `tests/conformance.toml` says about one format.
#[derive(Default)]
struct Listed {
    /// Model (`tests/abs/test_abs.xmile`) → why it fails.
    failures: BTreeMap<String, String>,
    /// Model → the expected columns it lacks, each with its reason.
    pins: BTreeMap<String, Vec<Pin>>,
    /// Directory → settings to run its models with instead of the file's.
    overrides: BTreeMap<String, toml::Table>,
}

/// An expected column, or every element of an arrayed one, that a model does not have.
struct Pin {
    /// As written in `tests/conformance.toml`: a column (`Stock[A1, B1]`) or a variable
    /// (`Stock`, which covers `Stock[…]` too).
    written: String,
    canonical: CanonicalName,
    reason: String,
}

impl Pin {
    fn covers(&self, column: &CanonicalName) -> bool {
        let (column, pin) = (column.as_str(), self.canonical.as_str());
        column == pin || column.strip_prefix(pin).is_some_and(|rest| rest.starts_with('['))
    }
}

/// The counts the README states for a format.
struct Counts {
    passing: usize,
    models: usize,
    upstream_passing: usize,
    upstream: usize,
    directories_passing: usize,
    directories: usize,
    pinned_columns: usize,
    pinned_models: usize,
    overrides: usize,
}

impl Counts {
    fn summary(&self, format: &Format) -> String {
        format!(
            "{}: {} of {} models pass; {} of the {} upstream directories and {} of {} in all pass in full.",
            format.label,
            self.passing,
            self.models,
            self.upstream_passing,
            self.upstream,
            self.directories_passing,
            self.directories,
        )
    }
}

/// Runs every model of a format, writes the table and fails on anything the lists or the README
/// do not say.
#[allow(clippy::print_stdout, reason = "the table is what `--nocapture` is run for")]
fn check_format(format: &Format) {
    let Some(suite) = suite_or_skip(&format!("the {} conformance test", format.label)) else { return };
    let listed = listed(format);
    let cases = cases(&suite, format);

    let mut table = String::from("| model | result | detail |\n|---|---|---|\n");
    let mut surprises = Vec::new();
    let mut passing = 0;
    let (mut pinned_columns, mut pinned_models) = (0, 0);
    let mut directories: BTreeMap<&str, bool> = BTreeMap::new();
    for case in &cases {
        let pins = listed.pins.get(&case.label).map_or(&[][..], Vec::as_slice);
        let overrides = case_overrides(&listed.overrides, case);
        let outcome = run_case(&suite, case, format, pins, overrides.as_ref());
        let known = listed.failures.get(&case.label);
        let passed = matches!(&outcome, Outcome::Compared(comparison) if comparison.passed());
        *directories.entry(&case.directory).or_insert(true) &= passed;
        let detail = match &outcome {
            Outcome::Compared(comparison) => comparison.detail(),
            Outcome::Broken(error) => error.clone(),
        };
        let detail = match known {
            Some(reason) if !passed => format!("known: {reason} ({detail})"),
            _ => detail,
        };
        let result = match (passed, known.is_some()) {
            (true, false) => "pass",
            (false, true) => "known failure",
            (true, true) => "PASSES BUT IS LISTED",
            (false, false) => "FAIL",
        };
        if passed {
            passing += 1;
        }
        if passed == known.is_some() {
            surprises.push(format!("{}: {result}: {detail}", case.label));
        }
        match &outcome {
            Outcome::Compared(comparison) => {
                pinned_columns += comparison.pinned;
                pinned_models += usize::from(comparison.pinned > 0);
                for column in &comparison.produced_but_pinned {
                    surprises.push(format!(
                        "{}: `{column}` is pinned as not in the model in tests/conformance.toml, but the model has it: remove the pin",
                        case.label
                    ));
                }
                for pin in &comparison.unused_pins {
                    surprises.push(format!(
                        "{}: the pin `{pin}` in tests/conformance.toml matches no column of the expected output",
                        case.label
                    ));
                }
            }
            Outcome::Broken(_) if !pins.is_empty() => surprises.push(format!(
                "{}: its pinned columns cannot be checked, since the model does not run; list the model as a failure only",
                case.label
            )),
            Outcome::Broken(_) => {}
        }
        writeln!(table, "| {} | {result} | {detail} |", case.label).ok();
    }
    let labels: BTreeSet<&str> = cases.iter().map(|case| case.label.as_str()).collect();
    for listed_model in listed.failures.keys().chain(listed.pins.keys()) {
        if !labels.contains(listed_model.as_str()) {
            surprises.push(format!("{listed_model}: listed in tests/conformance.toml but not in the suite"));
        }
    }
    let case_directories: BTreeSet<&str> = cases.iter().map(|case| case.directory.as_str()).collect();
    for key in listed.overrides.keys() {
        if !case_directories.contains(key.as_str()) && !labels.contains(key.as_str()) {
            surprises.push(format!(
                "{key}: overridden in tests/conformance.toml but it is no model of the suite and no model of the suite is there"
            ));
        }
    }

    let upstream: Vec<bool> =
        directories.iter().filter(|(directory, _)| is_upstream(&suite, directory, format)).map(|(_, &p)| p).collect();
    let counts = Counts {
        passing,
        models: cases.len(),
        upstream_passing: upstream.iter().filter(|&&passed| passed).count(),
        upstream: upstream.len(),
        directories_passing: directories.values().filter(|&&passed| passed).count(),
        directories: directories.len(),
        pinned_columns,
        pinned_models,
        overrides: listed.overrides.keys().filter(|key| case_directories.contains(key.as_str())).count(),
    };
    let summary = counts.summary(format);
    println!("{table}\n{summary}");
    let report = root().join("target").join(format!("conformance-{}.md", format.key));
    std::fs::write(&report, format!("{table}\n{summary}\n")).ok();
    surprises.extend(readme_disagreements(format, &counts));
    assert!(surprises.is_empty(), "{summary}\n{}", surprises.join("\n"));
}

/// What README.md says that this run does not: the counts in "What works today" and in
/// "Conformance". Whitespace is folded, so the sentences may wrap anywhere.
fn readme_disagreements(format: &Format, counts: &Counts) -> Vec<String> {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let label = format.label;
    // Pins and overrides are counted where there are any.
    let expectations = [
        ("What works today", Some(format!("{} of {} {label} models pass", counts.passing, counts.models))),
        ("Conformance", Some(format!("**{}**", counts.summary(format)))),
        (
            "Conformance",
            (counts.pinned_columns > 0).then(|| {
                format!(
                    "{} expected columns of {} {label} models are pinned as not in the model",
                    counts.pinned_columns, counts.pinned_models
                )
            }),
        ),
        (
            "Conformance",
            (counts.overrides > 0).then(|| match counts.overrides {
                1 => format!("1 directory of {label} models is run"),
                many => format!("{many} directories of {label} models are run"),
            }),
        ),
    ];
    expectations
        .into_iter()
        .filter_map(|(section, sentence)| Some((section, sentence?)))
        .filter(|(section, sentence)| !fold_whitespace(&readme_section(&readme, section)).contains(sentence.as_str()))
        .map(|(section, sentence)| {
            format!("README.md, section \"{section}\", must say \"{sentence}\" (the counts of this run)")
        })
        .collect()
}

/// The text of a `## ` section of README.md, without its heading.
fn readme_section(readme: &str, heading: &str) -> String {
    let mut lines = readme.lines().skip_while(|line| line.trim_end() != format!("## {heading}"));
    lines.next();
    lines.take_while(|line| !line.starts_with("## ")).collect::<Vec<_>>().join("\n")
}

fn fold_whitespace(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Does a directory have models of this format and an expected output in the upstream suite (as
/// opposed to the simlin additions only)?
fn is_upstream(suite: &Path, directory: &str, format: &Format) -> bool {
    let upstream = suite.join("test-models").join(directory);
    std::fs::read_dir(&upstream)
        .is_ok_and(|entries| entries.filter_map(Result::ok).any(|entry| is_model(&entry.path(), format)))
        && expected_output(&upstream).is_some()
}

fn is_model(path: &Path, format: &Format) -> bool {
    path.is_file()
        && path
            .extension()
            .and_then(|e| e.to_str())
            .is_some_and(|e| format.extensions.iter().any(|known| e.eq_ignore_ascii_case(known)))
}

fn file_name(path: &Path) -> String {
    path.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default()
}

/// Reads this format's section of `tests/conformance.toml`. Anything it does not know is an
/// error, so that a misspelt key cannot quietly pin nothing.
fn listed(format: &Format) -> Listed {
    let path = root().join("tests").join("conformance.toml");
    let text = std::fs::read_to_string(&path).expect("tests/conformance.toml");
    let mut file: toml::Table = text.parse().unwrap_or_else(|e| panic!("tests/conformance.toml: {e}"));
    for key in file.keys() {
        assert!(
            FORMATS.iter().any(|f| f.key == key),
            "tests/conformance.toml: [{key}] is no format of the suite (known: {})",
            FORMATS.map(|f| f.key).join(", ")
        );
    }
    let mut listed = Listed::default();
    let Some(section) = file.remove(format.key) else { return listed };
    let toml::Value::Table(section) = section else {
        panic!("tests/conformance.toml: `{}` must be a table", format.key)
    };
    let at = |key: &str| format!("tests/conformance.toml, [{}.{key}]", format.key);
    for (key, value) in section {
        let toml::Value::Table(entries) = value else { panic!("{}: must be a table", at(&key)) };
        match key.as_str() {
            "failures" => {
                for (model, reason) in entries {
                    let reason = reason.as_str().unwrap_or_else(|| panic!("{}: `{model}` needs a reason", at(&key)));
                    listed.failures.insert(model, reason.to_owned());
                }
            }
            "missing_columns" => {
                for (model, entry) in entries {
                    let pins = pins(&entry).unwrap_or_else(|problem| panic!("{}: `{model}`: {problem}", at(&key)));
                    listed.pins.insert(model, pins);
                }
            }
            "overrides" => {
                for (directory, settings) in entries {
                    let settings = settings.as_table().cloned().unwrap_or_default();
                    for setting in settings.keys() {
                        assert!(
                            ["reason", "expected", "dt", "stop", "method", "precision", "data"]
                                .contains(&setting.as_str()),
                            "{}: `{directory}`: unknown setting `{setting}`",
                            at(&key)
                        );
                    }
                    assert!(
                        settings.get("reason").and_then(|r| r.as_str()).is_some(),
                        "{}: `{directory}` needs a reason",
                        at(&key)
                    );
                    listed.overrides.insert(directory, settings);
                }
            }
            other => panic!(
                "tests/conformance.toml: [{}.{other}] is unknown (failures, missing_columns, overrides)",
                format.key
            ),
        }
    }
    listed
}

/// The pins of one model: `{ reason = "...", columns = ["A", "B"] }`, one reason for all, or
/// `{ columns = { "A" = "why", "B" = "why" } }`, one each.
fn pins(entry: &toml::Value) -> Result<Vec<Pin>, String> {
    let table = entry.as_table().ok_or("must be a table with `columns`")?;
    if let Some(key) = table.keys().find(|key| !["reason", "columns"].contains(&key.as_str())) {
        return Err(format!("unknown key `{key}` (reason, columns)"));
    }
    let shared = table.get("reason").map(|r| r.as_str().ok_or("`reason` must be text")).transpose()?;
    let pin = |written: &str, reason: &str| Pin {
        written: written.to_owned(),
        canonical: CanonicalName::new(written),
        reason: reason.to_owned(),
    };
    let pins: Vec<Pin> = match table.get("columns") {
        Some(toml::Value::Array(columns)) => {
            let reason = shared.ok_or("a list of columns needs a `reason`")?;
            columns
                .iter()
                .map(|c| c.as_str().map(|c| pin(c, reason)).ok_or("columns are text"))
                .collect::<Result<_, _>>()?
        }
        Some(toml::Value::Table(columns)) => {
            if shared.is_some() {
                return Err("give one `reason` for a list of columns, or one per column, not both".to_owned());
            }
            columns
                .iter()
                .map(|(c, reason)| reason.as_str().map(|reason| pin(c, reason)).ok_or("each column needs a reason"))
                .collect::<Result<_, _>>()?
        }
        _ => return Err("needs `columns`, a list or a table of column → reason".to_owned()),
    };
    if pins.is_empty() {
        return Err("pins no column".to_owned());
    }
    if let Some(pin) = pins.iter().find(|pin| pin.reason.trim().is_empty()) {
        return Err(format!("`{}` needs a reason", pin.written));
    }
    Ok(pins)
}

/// Every model of the format with an expected output, from both trees of the suite. A directory
/// may have its model in one tree and its expected output in the other; the upstream output wins.
fn cases(suite: &Path, format: &Format) -> Vec<Case> {
    let trees = [suite.join("test-models"), suite.join("simlin-additions")];
    let mut directories = BTreeSet::new();
    for tree in &trees {
        collect_directories(tree, tree, format, &mut directories);
    }
    let mut cases = Vec::new();
    for directory in directories {
        let Some(expected) = trees.iter().find_map(|tree| expected_output(&tree.join(&directory))) else { continue };
        let mut models: Vec<PathBuf> = trees
            .iter()
            .filter_map(|tree| std::fs::read_dir(tree.join(&directory)).ok())
            .flat_map(|entries| entries.filter_map(Result::ok).map(|entry| entry.path()))
            .filter(|path| is_model(path, format))
            .collect();
        models.sort_by_key(|path| file_name(path));
        models.dedup_by_key(|path| file_name(path));
        for model in models {
            let label = format!("{directory}/{}", file_name(&model));
            cases.push(Case { directory: directory.clone(), label, model, expected: expected.clone() });
        }
    }
    cases
}

fn collect_directories(tree: &Path, directory: &Path, format: &Format, found: &mut BTreeSet<String>) {
    let Ok(entries) = std::fs::read_dir(directory) else { return };
    for entry in entries.filter_map(Result::ok) {
        let path = entry.path();
        if path.is_dir() {
            collect_directories(tree, &path, format, found);
        } else if is_model(&path, format)
            && let Ok(relative) = directory.strip_prefix(tree)
        {
            found.insert(relative.to_string_lossy().replace('\\', "/"));
        }
    }
}

fn expected_output(directory: &Path) -> Option<PathBuf> {
    ["output.csv", "output.tab"].into_iter().map(|name| directory.join(name)).find(|path| path.exists())
}

/// A case's settings: its directory's overrides, and over them its own (`tests/x/model.mdl` in
/// `[KEY.overrides]`), whose keys win.
fn case_overrides(overrides: &BTreeMap<String, toml::Table>, case: &Case) -> Option<toml::Table> {
    let directory = overrides.get(&case.directory);
    let model = overrides.get(&case.label);
    match (directory, model) {
        (None, None) => None,
        (Some(settings), None) | (None, Some(settings)) => Some(settings.clone()),
        (Some(directory), Some(model)) => {
            let mut merged = directory.clone();
            merged.extend(model.iter().map(|(key, value)| (key.clone(), value.clone())));
            Some(merged)
        }
    }
}

fn run_case(suite: &Path, case: &Case, format: &Format, pins: &[Pin], overrides: Option<&toml::Table>) -> Outcome {
    match try_case(suite, case, format, pins, overrides) {
        Ok(comparison) => Outcome::Compared(comparison),
        Err(error) => Outcome::Broken(error),
    }
}

fn try_case(
    suite: &Path,
    case: &Case,
    format: &Format,
    pins: &[Pin],
    overrides: Option<&toml::Table>,
) -> Result<Comparison, String> {
    // An override may name another expected output, relative to the suite's root.
    let expected_path = match overrides.and_then(|o| o.get("expected")).and_then(|e| e.as_str()) {
        Some(path) => suite.join(path),
        None => case.expected.clone(),
    };
    let expected = read_expected(&expected_path)?;
    let bytes = std::fs::read(&case.model).map_err(|e| format!("cannot read the model: {e}"))?;
    let mut model = (format.read)(bytes, &case.model, overrides)?;
    if let Some(overrides) = overrides {
        apply_overrides(&mut model.sim, overrides);
    }
    // Keep every step, so that whichever times the expected output holds can be compared.
    model.sim.save_step = None;
    let resolved = fulcrum_model::resolve(&model).map_err(|d| first_error(&d))?;
    let compiled = fulcrum_sim::compile(&resolved).map_err(|e| e.to_string())?;
    let results = compiled.new_run().run().map_err(|e| format!("the run failed: {e}"))?;
    let comparison = compare(&expected, &results, pins)?;
    check_round_trip(&model, &results)?;
    check_pruned(&compiled, &results)?;
    check_folded(&resolved, &results)?;
    Ok(comparison)
}

/// Computing once what cannot change during a run (static variables, constant subexpressions)
/// changes no value: with every constant compiled as one that may change part-way, nothing is
/// folded, and every variable gets the same bits.
fn check_folded(resolved: &fulcrum_model::ResolvedModel, folded: &fulcrum_sim::Results) -> Result<(), String> {
    let changing_constants = resolved.constants().collect();
    let options = fulcrum_sim::CompileOptions { changing_constants, needed: None };
    let compiled = fulcrum_sim::compile_with(resolved, &options).map_err(|e| e.to_string())?;
    let unfolded = compiled.new_run().run().map_err(|e| format!("the run without folding failed: {e}"))?;
    for (column, name) in folded.names().iter().enumerate() {
        let bits = |values: &[f64]| values.iter().map(|v| v.to_bits()).collect::<Vec<u64>>();
        if bits(folded.column(column)) != bits(unfolded.column(column)) {
            return Err(format!("{name} differs when nothing is folded"));
        }
    }
    Ok(())
}

/// Leaving out what a variable does not depend on (as a sweep does with what it does not
/// observe) changes none of its values: each of eight variables spread over the model, computed
/// alone, gets the bits the whole model gives it.
fn check_pruned(compiled: &fulcrum_sim::CompiledModel, whole: &fulcrum_sim::Results) -> Result<(), String> {
    let outputs = compiled.output_variables();
    let mut picked: Vec<fulcrum_sim::VarId> =
        (0..8).filter_map(|k| outputs.get(k * outputs.len() / 8).copied()).collect();
    picked.dedup();
    for variable in picked {
        let name = compiled.name(variable);
        let alone = compiled.keeping(&[variable]);
        let results = alone.new_run().run_keeping(&[variable]).map_err(|e| format!("{name} computed alone: {e}"))?;
        let bits = |results: &fulcrum_sim::Results| -> Result<Vec<u64>, String> {
            let series = results.series(name).ok_or_else(|| format!("no series {name}"))?;
            Ok(series.iter().map(|v| v.to_bits()).collect())
        };
        if bits(&results)? != bits(whole)? {
            return Err(format!("{name} computed alone differs from the whole model"));
        }
    }
    Ok(())
}

fn read_xmile(bytes: Vec<u8>, _path: &Path, _overrides: Option<&toml::Table>) -> Result<fulcrum_model::Model, String> {
    let text = String::from_utf8(bytes).map_err(|e| format!("not UTF-8: {e}"))?;
    checked(fulcrum_xmile::read(&text))
}

/// As `fulcrum` reads a `.mdl` file: UTF-8, else Windows-1252, with the data files of its GET
/// functions next to it, and the run-time data files an override names (`data = [...]`, relative
/// to the model's directory), as `fulcrum run --data` takes them.
fn read_mdl(bytes: Vec<u8>, path: &Path, overrides: Option<&toml::Table>) -> Result<fulcrum_model::Model, String> {
    let directory = path.parent().map(Path::to_path_buf).unwrap_or_default();
    let data_files: Vec<PathBuf> = overrides
        .and_then(|o| o.get("data"))
        .and_then(|d| d.as_array())
        .map(|files| files.iter().filter_map(|f| f.as_str()).map(PathBuf::from).collect())
        .unwrap_or_default();
    let options = fulcrum_vensim::Options::in_directory(directory).with_data_files(data_files);
    checked(fulcrum_vensim::read_with(&fulcrum_vensim::decode(bytes), &options))
}

/// The model a reader gave, or its first error.
fn checked(
    read: Result<(fulcrum_model::Model, fulcrum_model::Diagnostics), fulcrum_model::Diagnostics>,
) -> Result<fulcrum_model::Model, String> {
    let (model, diagnostics) = read.map_err(|d| first_error(&d))?;
    if diagnostics.has_errors() {
        return Err(first_error(&diagnostics));
    }
    Ok(model)
}

/// `fulcrum convert` must not change a model: written as TOML and read back, it gives the same
/// results to the bit.
/// `fulcrum convert` to TOML and to XMILE: each file, read back, runs to the same bits.
pub(crate) fn check_round_trip(model: &fulcrum_model::Model, results: &fulcrum_sim::Results) -> Result<(), String> {
    let toml = fulcrum_model::native::write(model);
    rerun("converted TOML", fulcrum_model::native::read(&toml), results)?;
    // XMILE's sim specs hold numbers only: a model whose time settings are computed during the
    // run must be refused by the XMILE writer (and is then not run from XMILE), one diagnostic
    // per computed setting.
    let refusals = fulcrum_xmile::unwritable(model);
    if refusals.len() != model.sim.computed.iter().count() {
        return Err(format!(
            "the XMILE writer refuses {} settings of {} computed ones",
            refusals.len(),
            model.sim.computed.iter().count()
        ));
    }
    if !refusals.is_empty() {
        return Ok(());
    }
    let xmile = fulcrum_xmile::write(model);
    rerun("converted XMILE", fulcrum_xmile::read(&xmile), results)
}

fn rerun(
    what: &str,
    read: Result<(fulcrum_model::Model, fulcrum_model::Diagnostics), fulcrum_model::Diagnostics>,
    results: &fulcrum_sim::Results,
) -> Result<(), String> {
    let (converted, diagnostics) = read.map_err(|d| format!("{what}: {}", first_error(&d)))?;
    if diagnostics.has_errors() {
        return Err(format!("{what}: {}", first_error(&diagnostics)));
    }
    let resolved = fulcrum_model::resolve(&converted).map_err(|d| format!("{what}: {}", first_error(&d)))?;
    let compiled = fulcrum_sim::compile(&resolved).map_err(|e| e.to_string())?;
    let again = compiled.new_run().run().map_err(|e| format!("{what}: the run failed: {e}"))?;
    if again.names() != results.names() {
        return Err(format!("{what} has other variables"));
    }
    for column in 0..results.names().len() {
        let (before, after) = (results.column(column), again.column(column));
        if before.iter().zip(after).any(|(a, b)| a.to_bits() != b.to_bits()) {
            return Err(format!("{what} gives other values for {}", results.names()[column]));
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
    if let Some(precision) = overrides.get("precision").and_then(|p| p.as_str()).and_then(|p| p.parse().ok()) {
        sim.precision = precision;
    }
}

/// An expected output: the times, and each column by canonical name.
struct Expected {
    times: Vec<f64>,
    /// Each column with the canonical name of the variable it stands for, and for each row
    /// whether the cell stands for Vensim's `:NA:` (see [`not_available_cells`]).
    columns: Vec<(CanonicalName, fulcrum_report::expected::Column, Vec<bool>)>,
}

/// Vensim's `:NA:`, the number its function of that name gives.
const VENSIM_NA: f64 = -1.298_074_214_633_707e33;

/// Reads `output.csv` or `output.tab` (see `fulcrum_report::expected`), keeping the columns the
/// suite compares.
fn read_expected(path: &Path) -> Result<Expected, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let text = fulcrum_report::expected::decode(bytes);
    let read = fulcrum_report::expected::read(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    let not_available = not_available_cells(&text).map_err(|e| format!("{}: {e}", path.display()))?;
    if not_available.len() != read.columns.len() {
        return Err(format!("{}: the header's columns could not be matched with the cells", path.display()));
    }
    let columns: Vec<_> = read
        .columns
        .into_iter()
        .zip(not_available)
        .map(|(column, not_available)| (CanonicalName::new(&unquoted(&column.name)), column, not_available))
        .filter(|(canonical, ..)| !IGNORED_COLUMNS.contains(&canonical.as_str()))
        .collect();
    // Two columns that name one variable would let either stand for the other.
    let mut seen = HashMap::new();
    for (canonical, column, _) in &columns {
        if let Some(other) = seen.insert(canonical, &column.name) {
            let written = &column.name;
            return Err(format!("{}: the columns `{other}` and `{written}` name one variable", path.display()));
        }
    }
    Ok(Expected { times: read.times, columns })
}

/// Which cells of an expected output stand for Vensim's `:NA:`, column by column (the time
/// column left out) and row by row (the rows `fulcrum_report::expected::read` keeps: those whose
/// first cell is a number).
///
/// Vensim's tab-separated export leaves a cell blank for two reasons: a constant is written in
/// the first row only, and `:NA:` is never written. PySD's test harness tells them apart the same
/// way (`_remove_constant_nan` in `pysd/tools/benchmarking.py`): a column blank in every row after
/// the first is a constant, whose blanks repeat the first row (as the reader carries them); in any
/// other column a blank cell is `:NA:`, which only `:NA:` or NaN matches.
fn not_available_cells(text: &str) -> Result<Vec<Vec<bool>>, String> {
    let text = text.replace("\r\n", "\n").replace('\r', "\n");
    let header_line = text.lines().next().unwrap_or_default();
    let delimiter = if header_line.contains('\t') { b'\t' } else { b',' };
    let mut reader =
        csv::ReaderBuilder::new().delimiter(delimiter).has_headers(false).flexible(true).from_reader(text.as_bytes());
    let mut records = reader.records();
    let header = records.next().ok_or("the expected output is empty")?.map_err(|e| e.to_string())?;
    let mut blanks: Vec<Vec<bool>> = vec![Vec::new(); header.len().saturating_sub(1)];
    for record in records {
        let record = record.map_err(|e| e.to_string())?;
        if record.get(0).and_then(|cell| cell.trim().parse::<f64>().ok()).is_none() {
            continue;
        }
        for (column, blank) in blanks.iter_mut().enumerate() {
            blank.push(record.get(column + 1).map(str::trim).unwrap_or_default().is_empty());
        }
    }
    for column in &mut blanks {
        let constant = column.iter().skip(1).all(|&blank| blank);
        if constant {
            column.iter_mut().for_each(|blank| *blank = false);
        }
    }
    Ok(blanks)
}

/// A column name as Vensim writes a quoted variable name, `"$ euro"` (with `\"` for a quote
/// inside), stands for the name without its quotes.
fn unquoted(name: &str) -> String {
    match name.strip_prefix('"').and_then(|inner| inner.strip_suffix('"')) {
        Some(inner) if !inner.is_empty() => inner.replace("\\\"", "\""),
        _ => name.to_owned(),
    }
}

/// The suite's rule: a value passes if |expected| ≤ 3e-6 and |actual| ≤ 1e-6, or else if it is
/// within a relative 1e-4 of the larger magnitude, or if it rounds to the expected value as the
/// file printed it (`0.00182` stands for anything from 0.001815 to 0.001825: the tool that wrote
/// the file knew no more).
fn close(expected: f64, actual: f64, last_place: Option<f64>) -> bool {
    (expected.abs() <= 3e-6 && actual.abs() <= 1e-6)
        || (actual - expected).abs() <= 1e-4 * expected.abs().max(actual.abs())
        || last_place.is_some_and(|place| (actual - expected).abs() <= place / 2.0 * (1.0 + 1e-9))
}

/// Sets every expected column against the model's column of the same canonical name. A column
/// the model lacks is missing unless a pin covers it; a column with no number to compare is an
/// error, since it would pass whatever the model did.
fn compare(expected: &Expected, results: &fulcrum_sim::Results, pins: &[Pin]) -> Result<Comparison, String> {
    let mut by_name: HashMap<CanonicalName, usize> = HashMap::new();
    for (column, name) in results.names().iter().enumerate() {
        if by_name.insert(CanonicalName::new(name), column).is_some() {
            return Err(format!("the results have two columns named like `{name}`"));
        }
    }
    let times = results.times();
    // The row of our output at each expected time. Expected files round their times (10.0312
    // for 10.03125), so the nearest row within half a step counts: half the gap to its nearer
    // neighbour, since a run whose time step or save interval is computed saves unevenly.
    let gap = |row: usize| {
        let before = row.checked_sub(1).map(|previous| times[row] - times[previous]);
        let after = times.get(row + 1).map(|next| next - times[row]);
        match (before, after) {
            (Some(before), Some(after)) => before.min(after),
            (Some(gap), None) | (None, Some(gap)) => gap,
            (None, None) => 1.0,
        }
    };
    let mut rows = Vec::with_capacity(expected.times.len());
    for &time in &expected.times {
        let after = times.partition_point(|&t| t < time);
        let row = [after.checked_sub(1), Some(after)]
            .into_iter()
            .flatten()
            .filter(|&row| row < times.len())
            .min_by(|&a, &b| (times[a] - time).abs().total_cmp(&(times[b] - time).abs()));
        match row.filter(|&row| (times[row] - time).abs() < gap(row) / 2.0) {
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
    let mut comparison = Comparison::default();
    let mut worst: Option<(f64, String)> = None;
    let mut pin_used = vec![false; pins.len()];
    for (canonical, expected_column, not_available) in &expected.columns {
        let written = &expected_column.name;
        let pin = pins.iter().position(|pin| pin.covers(canonical));
        if let Some(pin) = pin {
            pin_used[pin] = true;
        }
        let Some(&column) = by_name.get(canonical) else {
            match pin {
                Some(_) => comparison.pinned += 1,
                None => comparison.missing.push(written.clone()),
            }
            continue;
        };
        if pin.is_some() {
            comparison.produced_but_pinned.push(written.clone());
        }
        comparison.compared += 1;
        let series = results.column(column);
        let mut numbers = 0;
        let cells = rows.iter().zip(&expected_column.values).zip(&expected_column.last_places).zip(not_available);
        for (((&row, cell), last_place), &not_available) in cells {
            let actual = series[row];
            if not_available {
                numbers += 1;
                if !(actual.is_nan() || actual == VENSIM_NA)
                    && worst.as_ref().is_none_or(|(error, _)| error.is_finite())
                {
                    let text = format!("{written} at time {}: expected :NA: (a blank cell), got {actual}", times[row]);
                    worst = Some((f64::INFINITY, text));
                }
                continue;
            }
            let Some(value) = cell else { continue };
            numbers += 1;
            if !close(*value, actual, *last_place) {
                let error = (actual - value).abs() / value.abs().max(actual.abs()).max(1e-300);
                let text = format!("{written} at time {}: expected {value}, got {actual}", times[row]);
                if worst.as_ref().is_none_or(|(e, _)| error > *e) {
                    worst = Some((error, text));
                }
            }
        }
        if numbers == 0 {
            return Err(format!("the expected column `{written}` holds no number"));
        }
    }
    comparison.worst = worst.map(|(_, text)| text);
    comparison.unused_pins =
        pins.iter().zip(pin_used).filter(|(_, used)| !used).map(|(pin, _)| pin.written.clone()).collect();
    Ok(comparison)
}

/// Vensim models of the suite whose functions fulcrum has, written by hand as native models in
/// `tests/vensim/` (each named after its directory in `test-models/tests`): they must reproduce
/// the suite's output by the suite's rule, every column of it, so the built-ins are checked in
/// fulcrum's own language as well as through the `.mdl` reader.
#[test]
fn vensim_models_transcribed_by_hand_reproduce_the_suite() {
    let Some(suite) = suite_or_skip("vensim_models_transcribed_by_hand_reproduce_the_suite") else { return };
    let folder = root().join("tests").join("vensim");
    let mut models: Vec<PathBuf> = std::fs::read_dir(&folder)
        .expect("tests/vensim")
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|e| e == "toml"))
        .collect();
    models.sort();
    assert!(models.len() >= 10, "found only {} models in tests/vensim", models.len());
    let mut failures = Vec::new();
    for model in &models {
        let stem = model.file_stem().map(|s| s.to_string_lossy().into_owned()).unwrap_or_default();
        let directory = suite.join("test-models").join("tests").join(&stem);
        let outcome = expected_output(&directory)
            .ok_or_else(|| format!("no expected output in {}", directory.display()))
            .and_then(|expected| run_native(model, &expected));
        match outcome {
            Ok(comparison) if comparison.passed() => {}
            Ok(comparison) => failures.push(format!("{stem}: {}", comparison.detail())),
            Err(error) => failures.push(format!("{stem}: {error}")),
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn run_native(path: &Path, expected: &Path) -> Result<Comparison, String> {
    let expected = read_expected(expected)?;
    let text = std::fs::read_to_string(path).map_err(|e| format!("cannot read the model: {e}"))?;
    let mut model = checked(fulcrum_model::native::read(&text))?;
    model.sim.save_step = None;
    let resolved = fulcrum_model::resolve(&model).map_err(|d| first_error(&d))?;
    let compiled = fulcrum_sim::compile(&resolved).map_err(|e| e.to_string())?;
    let results = compiled.new_run().run().map_err(|e| format!("the run failed: {e}"))?;
    compare(&expected, &results, &[])
}

/// Stella's own runs in the suite (`output_stella*.csv`, beside the `output.tab` of the model the
/// directory is about): each XMILE or STMX model in such a directory reproduces each of them by
/// the suite's rule, except the pairs `tests/conformance.toml` lists under `[stella.failures]`
/// with a reason (a listed pair that passes fails the test).
#[test]
fn stella_runs_in_the_suite_are_reproduced_by_their_xmile_models() {
    let Some(suite) = suite_or_skip("stella_runs_in_the_suite_are_reproduced_by_their_xmile_models") else { return };
    let listed: BTreeMap<String, String> = std::fs::read_to_string(root().join("tests").join("conformance.toml"))
        .ok()
        .and_then(|text| text.parse::<toml::Table>().ok())
        .and_then(|table| table.get("stella").and_then(|s| s.get("failures")).and_then(|f| f.as_table()).cloned())
        .map(|table| table.into_iter().map(|(k, v)| (k, v.as_str().unwrap_or_default().to_owned())).collect())
        .unwrap_or_default();
    let mut pairs = Vec::new();
    for group in ["tests", "samples"] {
        let Ok(directories) = std::fs::read_dir(suite.join("test-models").join(group)) else { continue };
        for directory in directories.filter_map(Result::ok).map(|entry| entry.path()) {
            let Ok(files) = std::fs::read_dir(&directory) else { continue };
            let mut files: Vec<PathBuf> = files.filter_map(Result::ok).map(|entry| entry.path()).collect();
            files.sort();
            let name = |path: &PathBuf| file_name(path);
            let outputs: Vec<&PathBuf> =
                files.iter().filter(|p| name(p).starts_with("output_stella") && name(p).ends_with(".csv")).collect();
            let models: Vec<&PathBuf> = files
                .iter()
                .filter(|p| {
                    p.extension().is_some_and(|e| e.eq_ignore_ascii_case("xmile") || e.eq_ignore_ascii_case("stmx"))
                })
                .collect();
            for output in &outputs {
                for model in &models {
                    let key = format!("{group}/{}/{} ~ {}", file_name(&directory), name(model), name(output));
                    pairs.push((key, (*model).clone(), (*output).clone()));
                }
            }
        }
    }
    pairs.sort();
    assert!(pairs.len() >= 28, "found only {} Stella runs with a model", pairs.len());
    let mut problems = Vec::new();
    let mut passed = 0;
    for (key, model, output) in &pairs {
        let outcome = read_expected(output).and_then(|expected| {
            let bytes = std::fs::read(model).map_err(|e| e.to_string())?;
            let mut model = read_xmile(bytes, model, None)?;
            model.sim.save_step = None;
            let resolved = fulcrum_model::resolve(&model).map_err(|d| first_error(&d))?;
            let compiled = fulcrum_sim::compile(&resolved).map_err(|e| e.to_string())?;
            let results = compiled.new_run().run().map_err(|e| format!("the run failed: {e}"))?;
            compare(&expected, &results, &[])
        });
        let ok = matches!(&outcome, Ok(comparison) if comparison.passed());
        passed += usize::from(ok);
        let detail = match &outcome {
            Ok(comparison) => comparison.detail(),
            Err(error) => error.clone(),
        };
        match (ok, listed.get(key)) {
            (true, Some(_)) => problems.push(format!("{key} passes but is listed as failing")),
            (false, None) => problems.push(format!("{key}: {detail}")),
            _ => {}
        }
    }
    for key in listed.keys().filter(|key| !pairs.iter().any(|(k, ..)| k == *key)) {
        problems.push(format!("{key} is listed but not in the suite"));
    }
    let sentence = format!("{passed} of the {} pairs of an XMILE model and a Stella run reproduce it", pairs.len());
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    if !fold_whitespace(&readme_section(&readme, "Conformance")).contains(&sentence) {
        problems.push(format!("README.md, section \"Conformance\", must say \"{sentence}\""));
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// A blank cell repeats the first row in a column blank after it (a constant, as Vensim writes
/// one) and is `:NA:` in any other column, where only Vensim's NA value or NaN matches it.
#[test]
fn blank_cells_are_constants_or_not_available() {
    let text = "Time\tConstant\tVariable\n0\t5\t1\n1\t\t\n2\t\t3\n";
    assert_eq!(not_available_cells(text), Ok(vec![vec![false; 3], vec![false, true, false]]));
    let read = fulcrum_report::expected::read(text).expect("the text is an expected output");
    let columns = read
        .columns
        .into_iter()
        .zip(not_available_cells(text).expect("cells"))
        .map(|(column, not_available)| (CanonicalName::new(&column.name), column, not_available))
        .collect();
    let expected = Expected { times: read.times, columns };
    let check = |variable: [f64; 3]| {
        let text = format!(
            "[sim]\nstart = 0\nstop = 2\ndt = 1\n\n[[constant]]\nname = \"Constant\"\nvalue = 5\n\n\
             [[auxiliary]]\nname = \"Variable\"\nequation = \"IF TIME = 0 THEN {:?} ELSE IF TIME = 1 THEN {:?} ELSE {:?}\"\n",
            variable[0], variable[1], variable[2]
        );
        let (model, _) = fulcrum_model::native::read(&text).expect("the model reads");
        let resolved = fulcrum_model::resolve(&model).expect("the model resolves");
        let results = fulcrum_sim::compile(&resolved).expect("it compiles").new_run().run().expect("it runs");
        compare(&expected, &results, &[]).expect("the columns compare").passed()
    };
    assert!(check([1.0, VENSIM_NA, 3.0]));
    assert!(!check([1.0, 1.0, 3.0]), "the row above does not stand for :NA:");
    assert!(!check([1.0, 0.0, 3.0]));
}
