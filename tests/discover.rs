//! `fulcrum discover` end to end: a sweep of the workforce fixture, the runs where peak workload
//! passes 1.3, and the box checked against the sweep's own files.

use std::path::Path;

use crate::{files, fulcrum, same_on_one_thread_or_two, stderr, stdout};

/// A CSV file's header and rows of cells.
fn table(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_path(path).expect("readable CSV");
    let header = reader.headers().expect("header").iter().map(str::to_owned).collect();
    let rows = reader.records().map(|record| record.expect("row").iter().map(str::to_owned).collect()).collect();
    (header, rows)
}

fn column(header: &[String], name: &str) -> usize {
    header.iter().position(|column| column == name).unwrap_or_else(|| panic!("no column `{name}` in {header:?}"))
}

fn sweep(scratch: &Path) -> std::path::PathBuf {
    let args = ["sweep", "tests/fixtures/workforce.toml", "--runs", "200"];
    same_on_one_thread_or_two(scratch, &args);
    scratch.join("1")
}

/// Recounts, from experiments.csv and outcomes.csv, the runs inside box.csv's limits and those of
/// them where peak workload > 1.3: (runs in the box, cases in the box, cases in all runs).
fn recount(sweep: &Path, out: &Path) -> (usize, usize, usize) {
    let (inputs_header, inputs) = table(&sweep.join("experiments.csv"));
    let (outcomes_header, outcomes) = table(&sweep.join("outcomes.csv"));
    let (_, limits) = table(&out.join("box.csv"));
    let workload = column(&outcomes_header, "peak workload");
    let (mut inside, mut cases_inside, mut cases) = (0, 0, 0);
    for (run, row) in inputs.iter().enumerate() {
        let case = outcomes[run][workload].parse::<f64>().expect("number") > 1.3;
        cases += usize::from(case);
        let within = limits.iter().all(|limit| {
            let value: f64 = row[column(&inputs_header, &limit[0])].parse().expect("number");
            let (low, high): (f64, f64) = (limit[1].parse().expect("min"), limit[2].parse().expect("max"));
            low <= value && value <= high
        });
        if within {
            inside += 1;
            cases_inside += usize::from(case);
        }
    }
    (inside, cases_inside, cases)
}

#[test]
fn discover_explains_high_workload_by_the_demand_step_and_its_box_recounts_from_the_sweep() {
    let scratch = tempfile::tempdir().expect("scratch");
    let sweep = sweep(scratch.path());
    let out = scratch.path().join("discover");
    let output = fulcrum(&[
        "discover",
        sweep.to_str().expect("utf-8"),
        "--where",
        "peak workload > 1.3",
        "-o",
        out.to_str().expect("utf-8"),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let words = stdout(&output);
    assert!(words.contains("It holds when Demand Increase > 0.3"), "{words}");

    let (header, boxes) = table(&out.join("trajectory.csv"));
    assert_eq!(header, ["box", "coverage", "density", "mass", "restricted"]);
    let (box_header, limits) = table(&out.join("box.csv"));
    assert_eq!(box_header, ["parameter", "min", "max", "restricted", "quasi_p"]);
    let restricted: Vec<&str> = limits.iter().filter(|row| row[3] == "true").map(|row| row[0].as_str()).collect();
    assert_eq!(restricted, ["Demand Increase"], "{limits:?}");

    // The selected box is the last whose density reaches 0.8; its statistics recount from the
    // sweep's own files.
    let density = |row: &Vec<String>| row[2].parse::<f64>().expect("density");
    let selected = boxes.iter().rposition(|row| density(row) >= 0.8).expect("a box at the threshold");
    let (inside, cases_inside, cases) = recount(&sweep, &out);
    let coverage: f64 = boxes[selected][1].parse().expect("coverage");
    let mass: f64 = boxes[selected][3].parse().expect("mass");
    assert!((coverage - cases_inside as f64 / cases as f64).abs() < 1e-12, "coverage {coverage}");
    assert!((density(&boxes[selected]) - cases_inside as f64 / inside as f64).abs() < 1e-12);
    assert!((mass - inside as f64 / 200.0).abs() < 1e-12, "mass {mass}");
    assert!(words.contains(&format!("covers {:.0}% of those runs", 100.0 * coverage)), "{words}");
    let svg = std::fs::read_to_string(out.join("discover.svg")).expect("discover.svg");
    assert!(svg.starts_with("<svg") && svg.contains("Demand Increase"), "discover.svg");

    // --box picks another box of the trajectory: its limits and statistics.
    let other = scratch.path().join("box3");
    let output = fulcrum(&[
        "discover",
        sweep.to_str().expect("utf-8"),
        "--where",
        "peak workload > 1.3",
        "--box",
        "3",
        "-o",
        other.to_str().expect("utf-8"),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let (inside, cases_inside, cases) = recount(&sweep, &other);
    let coverage: f64 = boxes[3][1].parse().expect("coverage");
    assert!((coverage - cases_inside as f64 / cases as f64).abs() < 1e-12, "box 3 coverage {coverage}");
    assert!((density(&boxes[3]) - cases_inside as f64 / inside as f64).abs() < 1e-12, "box 3 density");
}

#[test]
fn discover_writes_the_same_bytes_from_sweeps_run_on_one_thread_or_two() {
    let scratch = tempfile::tempdir().expect("scratch");
    sweep(scratch.path());
    let mut written = Vec::new();
    for threads in ["1", "2"] {
        let out = scratch.path().join(format!("discover-{threads}"));
        let sweep = scratch.path().join(threads);
        let output = fulcrum(&[
            "discover",
            sweep.to_str().expect("utf-8"),
            "--where",
            "peak workload > 1.25 and final workforce > 125",
            "-o",
            out.to_str().expect("utf-8"),
        ]);
        assert!(output.status.success(), "{}", stderr(&output));
        let words = stdout(&output).replace(out.to_str().expect("utf-8"), "OUT");
        written.push((files(&out), words));
    }
    assert!(written[0].0 == written[1].0, "different bytes from the two sweeps");
    assert_eq!(written[0].1, written[1].1);
}

#[test]
fn the_readme_example_prints_what_the_readme_shows() {
    let scratch = tempfile::tempdir().expect("scratch");
    let sweep = scratch.path().join("workforce");
    let output = fulcrum(&["sweep", "models/workforce/experiment.toml", "-o", sweep.to_str().expect("utf-8")]);
    assert!(output.status.success(), "{}", stderr(&output));
    let out = scratch.path().join("workload-risk");
    let output = fulcrum(&[
        "discover",
        sweep.to_str().expect("utf-8"),
        "--where",
        "peak perceived workload > 1.25",
        "-o",
        out.to_str().expect("utf-8"),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let readme = std::fs::read_to_string(crate::root().join("README.md")).expect("README.md");
    let (_, section) =
        readme.split_once("\n## Scenario discovery\n").expect("README.md has a Scenario discovery section");
    let words = stdout(&output);
    // Every line but the last, which names the output folder.
    for line in words.lines().filter(|line| !line.starts_with("Wrote ")) {
        assert!(section.contains(line), "README.md's example lacks the line\n{line}");
    }
}

#[test]
fn baseline_in_a_condition_is_the_same_futures_run_without_the_intervention() {
    let scratch = tempfile::tempdir().expect("scratch");
    let at = |name: &str| scratch.path().join(name).to_str().expect("utf-8").to_owned();
    let experiment = "tests/fixtures/workforce.toml";
    let output = fulcrum(&["sample", "compare", experiment, "--futures", "200", "-o", &at("design")]);
    assert!(output.status.success(), "{}", stderr(&output));
    let output = fulcrum(&["sweep", experiment, "--design", &at("design"), "-o", &at("sweep")]);
    assert!(output.status.success(), "{}", stderr(&output));
    let output = fulcrum(&[
        "discover",
        &at("sweep"),
        "--where",
        "final workforce < baseline",
        "--option",
        "patient hiring",
        "-o",
        &at("out"),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let words = stdout(&output);

    // Recount: the k-th run of `patient hiring` against the k-th baseline run.
    let (inputs_header, inputs) = table(&scratch.path().join("sweep/experiments.csv"));
    let (outcomes_header, outcomes) = table(&scratch.path().join("sweep/outcomes.csv"));
    let option = column(&inputs_header, "option");
    let workforce = column(&outcomes_header, "final workforce");
    let runs_of = |name: &str| -> Vec<usize> { (0..inputs.len()).filter(|&run| inputs[run][option] == name).collect() };
    let (baseline, patient) = (runs_of("baseline"), runs_of("patient hiring"));
    assert_eq!((baseline.len(), patient.len()), (200, 200));
    let value = |run: usize| outcomes[run][workforce].parse::<f64>().expect("number");
    let cases: Vec<bool> = patient.iter().zip(&baseline).map(|(&run, &base)| value(run) < value(base)).collect();
    let count = cases.iter().filter(|case| **case).count();
    assert!(0 < count && count < 200, "{count}");
    assert!(words.contains(&format!("holds in {count} of 200 runs")), "{words}");
    assert!(
        words.starts_with("Runs of option `patient hiring`, each against the baseline run of its future."),
        "{words}"
    );

    // The selected box's density recounts over the option's runs alone.
    let (_, limits) = table(&scratch.path().join("out/box.csv"));
    let (_, boxes) = table(&scratch.path().join("out/trajectory.csv"));
    let density = |row: &Vec<String>| row[2].parse::<f64>().expect("density");
    let selected = boxes.iter().rposition(|row| density(row) >= 0.8).expect("a box at the threshold");
    let within = |run: usize| {
        limits.iter().all(|limit| {
            let value: f64 = inputs[run][column(&inputs_header, &limit[0])].parse().expect("number");
            limit[1].parse::<f64>().expect("min") <= value && value <= limit[2].parse::<f64>().expect("max")
        })
    };
    let inside: Vec<usize> = (0..200).filter(|&k| within(patient[k])).collect();
    let cases_inside = inside.iter().filter(|&&k| cases[k]).count();
    assert!((density(&boxes[selected]) - cases_inside as f64 / inside.len() as f64).abs() < 1e-12);

    // With two interventions, `baseline` needs --option.
    let output = fulcrum(&["discover", &at("sweep"), "--where", "final workforce < baseline", "-o", &at("out2")]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("--option NAME"), "{}", stderr(&output));
}
