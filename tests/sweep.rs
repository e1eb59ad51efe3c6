//! `fulcrum sweep` and `fulcrum run --experiment` as a user runs them: the files, their
//! determinism across thread counts, grids and interventions.

use std::fs;
use std::path::Path;

use crate::{fulcrum, root, same_on_one_thread_or_two, stderr, stdout};

const EXPERIMENT: &str = "tests/fixtures/workforce.toml";

fn csv(path: &Path) -> Vec<Vec<String>> {
    let mut reader = csv::ReaderBuilder::new().has_headers(false).from_path(path).expect("readable CSV");
    reader.records().map(|record| record.expect("valid CSV").iter().map(str::to_owned).collect()).collect()
}

fn sweep(args: &[&str]) -> std::process::Output {
    let mut all = vec!["sweep"];
    all.extend_from_slice(args);
    fulcrum(&all)
}

#[test]
fn a_sweep_writes_every_file_and_the_same_bytes_on_one_thread_or_two() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let (written, _) =
        same_on_one_thread_or_two(scratch.path(), &["sweep", EXPERIMENT, "--runs", "2500", "--save-runs", "Workforce"]);
    let names: Vec<&str> = written.keys().map(String::as_str).collect();
    assert_eq!(names, ["bands.csv", "experiments.csv", "failures.csv", "manifest.json", "outcomes.csv", "runs.csv"]);

    let out = scratch.path().join("1");
    let experiments = csv(&out.join("experiments.csv"));
    assert_eq!(experiments.len(), 1 + 2500);
    assert_eq!(experiments[0][0], "run");
    assert_eq!(experiments[0].len(), 1 + 5, "run and the five uncertain constants");
    let outcomes = csv(&out.join("outcomes.csv"));
    assert_eq!(
        outcomes[0][1..],
        [
            "capacity at month 24",
            "peak workload",
            "mean workload",
            "final workforce",
            "month workload first exceeds 1.15"
        ]
    );
    assert_eq!(outcomes.len(), 1 + 2500);
    let bands = csv(&out.join("bands.csv"));
    assert_eq!(bands[0], ["variable", "time", "n", "mean", "sd", "min", "p05", "p25", "p50", "p75", "p95", "max"]);
    // Three band variables (those of the outcomes), 97 monthly saves each.
    assert_eq!(bands.len(), 1 + 3 * 97);
    assert!(bands[1..].iter().all(|row| row[2] == "2500"));
    let runs = csv(&out.join("runs.csv"));
    assert_eq!(runs[0], ["run", "time", "variable", "value"]);
    assert_eq!(runs.len(), 1 + 2500 * 97);

    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("manifest.json")).expect("manifest")).expect("JSON");
    assert_eq!(manifest["seed"], 42);
    assert_eq!(manifest["sampler"], "lhs");
    assert_eq!(manifest["runs"], serde_json::json!([0, 2500]));
    assert_eq!(manifest["quantiles"], "exact");
    for file in manifest["files"].as_array().expect("files") {
        let bytes = fs::read(out.join(file["path"].as_str().expect("path"))).expect("listed file exists");
        assert_eq!(file["sha256"], hex_sha256(&bytes), "{}", file["path"]);
    }
}

fn hex_sha256(bytes: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    Sha256::digest(bytes).iter().map(|b| format!("{b:02x}")).collect()
}

#[test]
fn a_grid_crosses_the_futures_and_an_intervention_applies_to_every_run() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let out = scratch.path().join("grid");
    let output = sweep(&[
        EXPERIMENT,
        "-o",
        out.to_str().expect("utf-8"),
        "--runs",
        "50",
        "--grid",
        "Hiring Delay=2,4,6",
        "--intervention",
        "patient hiring",
        "--seed",
        "7",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let experiments = csv(&out.join("experiments.csv"));
    assert_eq!(experiments.len(), 1 + 150);
    assert_eq!(experiments[0][1], "Hiring Delay");
    for (block, delay) in ["2", "4", "6"].iter().enumerate() {
        let rows = &experiments[1 + block * 50..1 + (block + 1) * 50];
        assert!(rows.iter().all(|row| row[1] == *delay));
        // The same futures at every grid point.
        assert_eq!(
            rows.iter().map(|r| r[2..].to_vec()).collect::<Vec<_>>(),
            experiments[1..51].iter().map(|r| r[2..].to_vec()).collect::<Vec<_>>()
        );
    }
    let manifest = fs::read_to_string(out.join("manifest.json")).expect("manifest");
    assert!(manifest.contains("\"intervention\": \"patient hiring\""), "{manifest}");
    assert!(manifest.contains("\"grid_points\": 3"), "{manifest}");
    let compact: String = manifest.split_whitespace().collect();
    assert!(compact.contains(r#""grid":[{"name":"HiringDelay","values":[2.0,4.0,6.0]}]"#), "{manifest}");

    // Without the intervention: the same runs, and different outcomes in every one of them.
    let baseline = scratch.path().join("baseline");
    let output = sweep(&[
        EXPERIMENT,
        "-o",
        baseline.to_str().expect("utf-8"),
        "--runs",
        "50",
        "--grid",
        "Hiring Delay=2,4,6",
        "--seed",
        "7",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(csv(&baseline.join("experiments.csv")), experiments);
    let (patient, hasty) = (csv(&out.join("outcomes.csv")), csv(&baseline.join("outcomes.csv")));
    assert_eq!(patient.len(), hasty.len());
    // "final workforce" moves in every run when the workforce is adjusted more slowly.
    let column = patient[0].iter().position(|name| name == "final workforce").expect("column");
    assert!(patient[1..].iter().zip(&hasty[1..]).all(|(a, b)| a[0] == b[0] && a[column] != b[column]));

    let unknown = sweep(&[EXPERIMENT, "-o", out.to_str().expect("utf-8"), "--intervention", "magic"]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(stderr(&unknown).contains("faster hiring, patient hiring"), "{}", stderr(&unknown));
}

#[test]
fn run_with_an_experiment_applies_its_intervention_from_its_start() {
    let baseline = fulcrum(&["run", "--experiment", EXPERIMENT, "--vars", "Hiring Delay,Workforce"]);
    let faster = fulcrum(&[
        "run",
        "--experiment",
        EXPERIMENT,
        "--intervention",
        "faster hiring",
        "--vars",
        "Hiring Delay,Workforce",
    ]);
    assert!(baseline.status.success() && faster.status.success(), "{}{}", stderr(&baseline), stderr(&faster));
    let parse = |text: String| -> Vec<Vec<String>> {
        let mut reader = csv::Reader::from_reader(text.as_bytes());
        reader.records().map(|r| r.expect("row").iter().map(str::to_owned).collect()).collect()
    };
    let (before, after) = (parse(stdout(&baseline)), parse(stdout(&faster)));
    for (a, b) in before.iter().zip(&after) {
        let time: f64 = a[0].parse().expect("time");
        // The intervention starts in month 12: identical before, faster hiring from then on.
        if time < 12.0 {
            assert_eq!(a, b);
        } else {
            assert_eq!((a[1].as_str(), b[1].as_str()), ("3", "1.5"), "at {time}");
        }
    }
    assert_ne!(before.last(), after.last());
}

#[test]
fn a_sobol_sample_off_a_power_of_two_runs_with_a_warning() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let experiment = scratch.path().join("sobol.toml");
    let model = root().join("models/teacup/model.toml");
    fs::write(
        &experiment,
        format!(
            "model = {model:?}\n[sampling]\nmethod = \"sobol\"\nruns = 100\n\
             [[uncertain]]\nname = \"Room Temperature\"\ndistribution = \"uniform\"\nmin = 60\nmax = 80\n\
             [[outcome]]\nvariable = \"Teacup Temperature\"\n"
        ),
    )
    .expect("written");
    let output =
        sweep(&[experiment.to_str().expect("utf-8"), "-o", scratch.path().join("out").to_str().expect("utf-8")]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stderr(&output).contains("W0002"), "{}", stderr(&output));
    assert!(stderr(&output).contains("128 is"), "{}", stderr(&output));
}

#[test]
fn run_with_an_experiment_sets_lever_baselines_and_a_timed_intervention_over_them() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let experiment = scratch.path().join("levers.toml");
    let model = root().join("models/workforce/model.toml");
    // The model's hiring delay is 3 months; the experiment's baseline is 5, and the
    // intervention brings it to 1.5 from month 12.
    fs::write(
        &experiment,
        format!(
            "model = {model:?}\n\
             [[lever]]\nname = \"Hiring Delay\"\nbaseline = 5\nmin = 1\nmax = 6\n\
             [[intervention]]\nname = \"recruiters\"\nset = {{ \"Hiring Delay\" = 1.5 }}\nstart = 12\n\
             [[outcome]]\nvariable = \"Workforce\"\n"
        ),
    )
    .expect("written");
    let experiment = experiment.to_str().expect("utf-8");
    let vars = ["--vars", "Hiring Delay"];
    let baseline = fulcrum(&["run", "--experiment", experiment, vars[0], vars[1]]);
    let recruiters = fulcrum(&["run", "--experiment", experiment, "--intervention", "recruiters", vars[0], vars[1]]);
    assert!(baseline.status.success() && recruiters.status.success(), "{}{}", stderr(&baseline), stderr(&recruiters));
    let rows = |text: String| -> Vec<(f64, String)> {
        text.lines()
            .skip(1)
            .map(|line| {
                let (time, value) = line.split_once(',').expect("two columns");
                (time.parse().expect("time"), value.to_owned())
            })
            .collect()
    };
    let (before, after) = (rows(stdout(&baseline)), rows(stdout(&recruiters)));
    assert!(!before.is_empty() && before.len() == after.len());
    assert!(before.iter().all(|(_, value)| value == "5"));
    for (time, value) in &after {
        assert_eq!(value, if *time < 12.0 { "5" } else { "1.5" }, "at {time}");
    }
}

#[test]
fn sketched_bands_over_many_blocks_are_the_same_bytes_on_one_thread_or_two() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let (written, _) =
        same_on_one_thread_or_two(scratch.path(), &["sweep", EXPERIMENT, "--runs", "10000", "--quantiles", "sketch"]);
    let manifest = String::from_utf8_lossy(&written["manifest.json"]).into_owned();
    assert!(manifest.contains("\"quantiles\": \"sketch"), "{manifest}");
}

/// Sweeps `runs` futures of S' = g S from S = 1 over 100 steps, g uniform in `min..max`, into
/// DIR/out.
fn sweep_overflow(dir: &Path, runs: u64, min: f64, max: f64) -> (std::process::Output, std::path::PathBuf) {
    fs::write(
        dir.join("overflow.toml"),
        "[sim]\nstart = 0\nstop = 100\ndt = 1\n\
         [[stock]]\nname = \"S\"\ninitial = 1\ninflows = [\"Growth\"]\n\
         [[flow]]\nname = \"Growth\"\nequation = \"S * g\"\n[[constant]]\nname = \"g\"\nvalue = 1\n",
    )
    .expect("written");
    let experiment = dir.join("overflow-experiment.toml");
    fs::write(
        &experiment,
        format!(
            "model = \"overflow.toml\"\n[sampling]\nruns = {runs}\n\
             [[uncertain]]\nname = \"g\"\ndistribution = \"uniform\"\nmin = {min}\nmax = {max}\n\
             [[outcome]]\nvariable = \"S\"\n"
        ),
    )
    .expect("written");
    let out = dir.join("out");
    (sweep(&[experiment.to_str().expect("utf-8"), "-o", out.to_str().expect("utf-8")]), out)
}

#[test]
fn a_sweep_where_every_run_fails_writes_empty_bands_and_says_so() {
    let scratch = tempfile::tempdir().expect("temp dir");
    // g (1 + g)^100 overflows for every growth rate drawn.
    let (output, out) = sweep_overflow(scratch.path(), 40, 3000.0, 4000.0);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stderr(&output).contains("40 of 40 runs produced NaN or infinity"), "{}", stderr(&output));
    assert_eq!(csv(&out.join("failures.csv")).len(), 1 + 40);
    let bands = csv(&out.join("bands.csv"));
    let last = bands.last().expect("rows");
    assert_eq!(last[2], "0", "no finished run at the end");
    assert!(last[3..].iter().all(|cell| cell.is_empty() || cell == "NaN"), "{last:?}");
}

#[test]
fn runs_that_overflow_are_listed_with_their_inputs_while_the_others_complete() {
    let scratch = tempfile::tempdir().expect("temp dir");
    // S = (1 + g)^t and Growth = g S overflow by t = 100 for g past about 1,150.
    let (output, out) = sweep_overflow(scratch.path(), 200, 0.0, 2400.0);
    assert!(output.status.success(), "{}", stderr(&output));
    let experiments = csv(&out.join("experiments.csv"));
    let outcomes = csv(&out.join("outcomes.csv"));
    let failures = csv(&out.join("failures.csv"));
    assert_eq!(failures[0], ["run", "variable", "time", "value", "g"]);
    let failed: Vec<usize> = failures[1..].iter().map(|row| row[0].parse().expect("run id")).collect();
    assert!(failed.len() > 50 && failed.len() < 150, "about half the runs overflow: {}", failed.len());
    assert!(stderr(&output).contains(&format!("{} of 200 runs produced NaN or infinity", failed.len())));
    // One threshold separates the failed runs from the finished ones.
    let (mut lowest_failed, mut highest_finished) = (f64::INFINITY, 0.0f64);
    for (run, row) in experiments[1..].iter().enumerate() {
        let g: f64 = row[1].parse().expect("g");
        let outcome = &outcomes[1 + run][1];
        match failed.iter().position(|&f| f == run) {
            Some(index) => {
                let failure = &failures[1 + index];
                assert_eq!(failure[4], row[1], "run {run}: failures.csv repeats its inputs");
                assert!(outcome.is_empty(), "a failed run has no outcome");
                let value: f64 = failure[3].parse().expect("value");
                assert!(!value.is_finite(), "{failure:?}");
                lowest_failed = lowest_failed.min(g);
            }
            None => {
                assert!(outcome.parse::<f64>().expect("outcome").is_finite());
                highest_finished = highest_finished.max(g);
            }
        }
    }
    assert!(highest_finished < lowest_failed, "{highest_finished} finished, {lowest_failed} failed");
    assert!((1100.0..1250.0).contains(&lowest_failed), "{lowest_failed}");
}

#[test]
fn a_sweep_too_big_for_the_disk_is_refused_before_it_starts() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let out = scratch.path().join("big");
    let output = sweep(&[
        "benches/experiments/teacup.toml",
        "-o",
        out.to_str().expect("utf-8"),
        "--runs",
        "100000000",
        "--save-runs",
        "all",
    ]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    let message = stderr(&output);
    assert!(
        message.contains("runs.csv: 100000000 runs × 241 saved times") && message.contains("--save-runs"),
        "{message}"
    );
    assert!(!out.exists(), "nothing written");
}

#[test]
fn an_output_directory_of_another_experiment_is_kept_unless_forced() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let out = scratch.path().join("out");
    let out = out.to_str().expect("utf-8");
    assert!(sweep(&[EXPERIMENT, "-o", out, "--runs", "10"]).status.success());
    // The same experiment again may replace its own results.
    assert!(sweep(&[EXPERIMENT, "-o", out, "--runs", "20"]).status.success());
    let other = sweep(&["models/workforce/experiment.toml", "-o", out, "--runs", "10"]);
    assert_eq!(other.status.code(), Some(2), "{}", stderr(&other));
    assert!(stderr(&other).contains("holds the results of another experiment"), "{}", stderr(&other));
    let analysis = fulcrum(&["compare", "models/workforce/experiment.toml", "-o", out, "--futures", "20"]);
    assert_eq!(analysis.status.code(), Some(2), "{}", stderr(&analysis));
    let forced = sweep(&["models/workforce/experiment.toml", "-o", out, "--runs", "10", "--force"]);
    assert!(forced.status.success(), "{}", stderr(&forced));
    let manifest = fs::read_to_string(Path::new(out).join("manifest.json")).expect("manifest");
    assert!(manifest.contains("models/workforce/experiment.toml"), "{manifest}");
}

#[test]
fn a_sweep_too_big_for_memory_is_refused_before_it_starts() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let out = scratch.path().join("big");
    let output = sweep(&[
        EXPERIMENT,
        "-o",
        out.to_str().expect("utf-8"),
        "--runs",
        "100000000",
        "--quantiles",
        "exact",
        "--threads",
        "1",
    ]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("GiB allowed"), "{}", stderr(&output));
    assert!(!out.exists(), "nothing written");
}
