//! The bundled models: every one checks clean, runs, and is documented; the organizational ones
//! (those with an experiment) have findings that regenerate byte for byte, and each has tests of
//! its own (one module per model) pinning the behavior that makes it credible.

mod ai_budget;
mod ai_lever;
mod growth_limits;
mod service_quality;
mod supply_chain;
mod workforce;

use crate::{bundled_models, files, fulcrum, root, stderr, stdout};
use std::path::{Path, PathBuf};

#[test]
fn every_bundled_model_checks_and_runs() {
    let models = bundled_models();
    assert!(models.len() >= 7, "models/ holds the bundled models");
    for model in models {
        let path = model.to_str().expect("utf-8 path");
        let check = fulcrum(&["check", path]);
        assert!(check.status.success(), "{path}: {}", stderr(&check));
        assert!(stderr(&check).is_empty(), "{path} has warnings: {}", stderr(&check));
        let run = fulcrum(&["run", path]);
        assert!(run.status.success(), "{path}: {}", stderr(&run));
        assert!(stdout(&run).lines().count() > 2, "{path}");
        for method in ["rk2", "rk4"] {
            let run = fulcrum(&["run", path, "--method", method]);
            assert!(run.status.success(), "{path} with {method}: {}", stderr(&run));
        }
    }
}

#[test]
fn every_variable_has_units() {
    for model in bundled_models() {
        for (kind, name, variable) in variables(&model) {
            let units = variable.get("units").and_then(toml::Value::as_str).unwrap_or_default();
            assert!(!units.trim().is_empty(), "{}: {kind} {name:?} has no units", model.display());
        }
    }
}

#[test]
fn every_bundled_model_has_a_readme_describing_its_stocks() {
    for model in bundled_models() {
        let readme = readme(&model);
        for section in ["## Stocks", "## Expected behavior"] {
            assert!(readme.contains(section), "{} needs a {section:?} section", model.display());
        }
    }
}

/// The organizational models document their question, loops, every variable with its units, and
/// where their numbers come from.
#[test]
fn organizational_models_are_documented_in_full() {
    for folder in organizational_models() {
        let model = folder.join("model.toml");
        let readme = readme(&model);
        for section in ["## Feedback loops", "## Variables", "## Sources", "## Expected behavior", "## Running it"] {
            assert!(readme.contains(section), "{} needs a {section:?} section", folder.display());
        }
        for (kind, name, _) in variables(&model) {
            assert!(readme.contains(&name), "{}: the README does not mention the {kind} {name:?}", folder.display());
        }
        assert!(
            readme.contains("(R)") || readme.contains("reinforcing"),
            "{}: no reinforcing loop named",
            folder.display()
        );
        assert!(
            readme.contains("(B)") || readme.contains("balancing"),
            "{}: no balancing loop named",
            folder.display()
        );
    }
}

/// Each experiment has uncertainty, levers, at least three interventions with costs, outcomes.
#[test]
fn organizational_experiments_ask_a_planners_question() {
    for folder in organizational_models() {
        let text = std::fs::read_to_string(folder.join("experiment.toml")).expect("readable");
        let experiment: toml::Table = toml::from_str(&text).expect("valid TOML");
        let count = |key: &str| experiment.get(key).and_then(toml::Value::as_array).map_or(0, Vec::len);
        let costed = experiment
            .get("intervention")
            .and_then(toml::Value::as_array)
            .map_or(0, |all| all.iter().filter(|option| option.get("cost").is_some()).count());
        let name = folder.display();
        assert!(count("uncertain") >= 3, "{name}: fewer than three uncertain parameters");
        assert!(count("lever") >= 3, "{name}: fewer than three levers");
        assert!(costed >= 3, "{name}: fewer than three interventions with costs");
        assert!(count("outcome") >= 3, "{name}: fewer than three outcomes");
    }
}

/// `models/findings.sh` regenerates every findings folder; the committed files are what the
/// documented commands write today, and findings.md quotes those commands.
#[test]
fn findings_regenerate_from_the_documented_commands() {
    let scratch = tempfile::tempdir().expect("scratch directory");
    for folder in organizational_models() {
        let model = folder.file_name().expect("name").to_string_lossy().into_owned();
        let findings = folder.join("findings");
        let notes = std::fs::read_to_string(folder.join("findings.md")).unwrap_or_default();
        for (command, output, csv) in
            [("leverage", "leverage", "leverage.csv"), ("compare", "compare", "comparison.csv")]
        {
            let experiment = format!("models/{model}/experiment.toml");
            let documented =
                format!("cargo run --release -- {command} {experiment} -o models/{model}/findings/{output}");
            assert!(notes.contains(&documented), "{model}/findings.md does not quote `{documented}`");
            let fresh = scratch.path().join(&model).join(output);
            let ran = fulcrum(&[command, &experiment, "-o", fresh.to_str().expect("utf-8")]);
            assert!(ran.status.success(), "{model} {command}: {}", stderr(&ran));
            let committed = files(&findings.join(output));
            assert!(
                committed.get(csv) == files(&fresh).get(csv),
                "{model}: findings/{output}/{csv} is stale: run models/findings.sh {model}"
            );
            let printed = std::fs::read_to_string(findings.join(format!("{output}.txt"))).unwrap_or_default();
            assert_eq!(
                printed,
                stdout(&ran),
                "{model}: findings/{output}.txt is stale: run models/findings.sh {model}"
            );
        }
    }
}

/// Model folders with an experiment: the organizational models.
fn organizational_models() -> Vec<PathBuf> {
    let folders: Vec<PathBuf> = bundled_models()
        .iter()
        .filter_map(|model| model.parent())
        .filter(|folder| folder.join("experiment.toml").exists())
        .map(Path::to_path_buf)
        .collect();
    assert!(folders.len() >= 6, "six organizational models");
    folders
}

fn readme(model: &Path) -> String {
    std::fs::read_to_string(model.with_file_name("README.md")).unwrap_or_default()
}

/// Every stock, flow, auxiliary, constant and graphical function of a native model file: kind,
/// name and its table.
fn variables(model: &Path) -> Vec<(String, String, toml::Table)> {
    let text = std::fs::read_to_string(model).expect("readable");
    let table: toml::Table = toml::from_str(&text).expect("valid TOML");
    let mut found = Vec::new();
    for kind in ["stock", "flow", "auxiliary", "constant", "graphical_function"] {
        for variable in table.get(kind).and_then(toml::Value::as_array).into_iter().flatten() {
            let variable = variable.as_table().expect("a table").clone();
            let name = variable.get("name").and_then(toml::Value::as_str).expect("a name").to_owned();
            found.push((kind.to_owned(), name, variable));
        }
    }
    found
}

/// One run of a bundled model, every variable over time.
pub struct Run {
    names: Vec<String>,
    rows: Vec<Vec<f64>>,
}

/// Runs `fulcrum run models/MODEL/model.toml ARGS` (e.g. `["--set", "Surge=0"]`).
pub fn run(model: &str, args: &[&str]) -> Run {
    let path = format!("models/{model}/model.toml");
    Run::of(&[&["run", path.as_str()], args].concat())
}

/// Runs the model of `models/MODEL/experiment.toml` with its lever baselines and, if given, one
/// of its interventions.
pub fn run_experiment(model: &str, intervention: Option<&str>, args: &[&str]) -> Run {
    let experiment = format!("models/{model}/experiment.toml");
    let mut all = vec!["run", "--experiment", experiment.as_str()];
    if let Some(name) = intervention {
        all.extend(["--intervention", name]);
    }
    Run::of(&[all.as_slice(), args].concat())
}

impl Run {
    /// Runs `fulcrum ARGS` and reads the CSV it prints.
    fn of(args: &[&str]) -> Run {
        let output = fulcrum(args);
        assert!(output.status.success(), "fulcrum {args:?}: {}", stderr(&output));
        let text = stdout(&output);
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        let names = reader.headers().expect("a header").iter().map(str::to_owned).collect();
        let rows = reader
            .records()
            .map(|record| record.expect("a row").iter().map(|cell| cell.parse().expect("a number")).collect())
            .collect();
        Run { names, rows }
    }

    /// The saved times.
    pub fn times(&self) -> Vec<f64> {
        self.series("time")
    }

    /// A variable's values at every saved time.
    pub fn series(&self, name: &str) -> Vec<f64> {
        let column = self.names.iter().position(|n| n == name).unwrap_or_else(|| panic!("no variable {name:?}"));
        self.rows.iter().map(|row| row[column]).collect()
    }

    /// The value at a saved time.
    pub fn at(&self, name: &str, time: f64) -> f64 {
        let row = self
            .times()
            .iter()
            .position(|&t| (t - time).abs() < 1e-9)
            .unwrap_or_else(|| panic!("time {time} not saved"));
        self.series(name)[row]
    }

    /// The value at the start.
    pub fn initial(&self, name: &str) -> f64 {
        self.series(name)[0]
    }

    /// The value at the end.
    pub fn last(&self, name: &str) -> f64 {
        *self.series(name).last().expect("saved times")
    }

    /// The largest value over the run.
    pub fn max(&self, name: &str) -> f64 {
        self.series(name).into_iter().fold(f64::NEG_INFINITY, f64::max)
    }

    /// The time integral of a flow over the run, as Euler integration sums it: exact when the run
    /// saves every step (`--method euler --save-step DT`).
    pub fn cumulative(&self, name: &str) -> f64 {
        let times = self.times();
        let values = self.series(name);
        times.windows(2).zip(&values).map(|(step, value)| (step[1] - step[0]) * value).sum()
    }

    /// The smallest value over the run.
    pub fn min(&self, name: &str) -> f64 {
        self.series(name).into_iter().fold(f64::INFINITY, f64::min)
    }
}

/// The stocks of a bundled model, by name.
pub fn stocks(model: &str) -> Vec<String> {
    let path = root().join("models").join(model).join("model.toml");
    variables(&path).into_iter().filter(|(kind, _, _)| kind == "stock").map(|(_, name, _)| name).collect()
}

/// Asserts that every stock stays within `tolerance` (relative to its initial value, or absolute
/// when that is below 1) of where it starts, over a run with these arguments.
pub fn assert_steady(model: &str, args: &[&str], tolerance: f64) {
    let run = run(model, args);
    for stock in stocks(model) {
        let start = run.initial(&stock);
        let scale = start.abs().max(1.0);
        let drift = run.series(&stock).iter().map(|value| (value - start).abs()).fold(0.0, f64::max) / scale;
        assert!(drift <= tolerance, "{model}: {stock} drifts {drift:e} from {start} with {args:?}");
    }
}

/// Asserts that material is conserved: the stocks' total changes by exactly what the inflows
/// bring in minus what the outflows take out of the group (the flows between its stocks cancel).
/// The run must be Euler saving every step (see [`Run::cumulative`]).
pub fn assert_conserved(run: &Run, stocks: &[&str], inflows: &[&str], outflows: &[&str]) {
    let total = |at: fn(&Run, &str) -> f64| stocks.iter().map(|stock| at(run, stock)).sum::<f64>();
    let change = total(Run::last) - total(Run::initial);
    let net = inflows.iter().map(|flow| run.cumulative(flow)).sum::<f64>()
        - outflows.iter().map(|flow| run.cumulative(flow)).sum::<f64>();
    let scale = total(Run::initial).abs().max(1.0);
    assert!((change - net).abs() <= 1e-9 * scale, "{stocks:?} change by {change} but the flows add {net}");
}
