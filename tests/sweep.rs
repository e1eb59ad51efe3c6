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
    let names: Vec<&str> = written.keys().map(String::as_str).filter(|name| !name.ends_with(".svg")).collect();
    assert_eq!(
        names,
        [
            "bands.csv",
            "experiments.csv",
            "failures.csv",
            "manifest.json",
            "outcomes.csv",
            "results.csv",
            "runs.csv",
            "summary.md",
            "units.csv"
        ]
    );

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
    // results.csv: each run's inputs and outcomes on one row, for a spreadsheet.
    let results = csv(&out.join("results.csv"));
    assert_eq!(results.len(), 1 + 2500);
    for (row, result) in results.iter().enumerate() {
        assert_eq!(result[..6], experiments[row][..], "row {row}");
        assert_eq!(result[6..], outcomes[row][1..], "row {row}");
    }
    // units.csv: every column's units as the model writes them; a crossing time in months.
    let units = csv(&out.join("units.csv"));
    assert_eq!(units[0], ["variable", "units"]);
    let unit = |name: &str| units.iter().find(|row| row[0] == name).map(|row| row[1].clone());
    assert_eq!(unit("Time to Proficiency").as_deref(), Some("months"));
    assert_eq!(unit("final workforce").as_deref(), Some("people"));
    assert_eq!(unit("month workload first exceeds 1.15").as_deref(), Some("months"));
    assert_eq!(unit("Workforce").as_deref(), Some("people"));
    // summary.md: the threshold outcome as the share of runs that cross it, not a gap.
    let summary = fs::read_to_string(out.join("summary.md")).expect("summary.md");
    assert!(summary.contains("## month workload first exceeds 1.15\n\na value in "), "{summary}");
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
    // A fan chart per band variable, one file each, listed once in the manifest with the units.
    let listed: Vec<&str> =
        manifest["files"].as_array().expect("files").iter().filter_map(|file| file["path"].as_str()).collect();
    let charts: Vec<&str> = written.keys().map(String::as_str).filter(|name| name.ends_with(".svg")).collect();
    let bands: Vec<&str> = manifest["bands"].as_array().expect("bands").iter().filter_map(|b| b.as_str()).collect();
    assert_eq!(charts.len(), bands.len(), "{charts:?} for {bands:?}");
    for variable in &bands {
        let name = format!("bands-{}.svg", variable.to_lowercase().replace(' ', "-"));
        assert_eq!(listed.iter().filter(|file| **file == name).count(), 1, "{name} listed once: {listed:?}");
        let chart = String::from_utf8(written[&name].clone()).expect("UTF-8");
        assert!(chart.contains(&format!("{variable} over 2500 runs")), "{name}: its title");
        assert!(chart.contains("P5–P95") && chart.contains("P25–P75"), "{name}: both bands in the legend");
    }
    let workforce = String::from_utf8(written["bands-workforce.svg"].clone()).expect("UTF-8");
    assert!(workforce.contains("Workforce (people)") && workforce.contains("time (months)"), "units on the axes");
    // The bands of the kept variable are what its saved trajectories give, computed here.
    bands_match_saved_runs(&out, "Workforce");
}

/// The type-7 quantile (numpy's default, R's type 7) of sorted values.
fn type_7(sorted: &[f64], p: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * p;
    let low = h.floor() as usize;
    let high = (low + 1).min(sorted.len() - 1);
    sorted[low] + (h - low as f64) * (sorted[high] - sorted[low])
}

/// Checks every row of `variable` in DIR/bands.csv against the values of DIR/runs.csv at that
/// saved time: the count, mean, sample standard deviation, extremes and type-7 quantiles.
pub fn bands_match_saved_runs(dir: &Path, variable: &str) {
    // With a grid, bands.csv starts with the grid axes' columns, as experiments.csv does after
    // `run`: a band row belongs to the runs whose grid values are the row's.
    let bands = csv(&dir.join("bands.csv"));
    let axes = bands[0].iter().position(|name| name == "variable").expect("a variable column");
    let experiments = csv(&dir.join("experiments.csv"));
    assert_eq!(bands[0][..axes], experiments[0][1..1 + axes], "the grid axes, as experiments.csv has them");
    let grid_point_of: std::collections::HashMap<&str, &[String]> =
        experiments[1..].iter().map(|row| (row[0].as_str(), &row[1..1 + axes])).collect();
    let mut by_point: std::collections::BTreeMap<(Vec<String>, u64), Vec<f64>> = std::collections::BTreeMap::new();
    for row in &csv(&dir.join("runs.csv"))[1..] {
        if row[2] == variable {
            let time: f64 = row[1].parse().expect("time");
            let point = grid_point_of[row[0].as_str()].to_vec();
            by_point.entry((point, time.to_bits())).or_default().push(row[3].parse().expect("value"));
        }
    }
    let bands: Vec<&Vec<String>> = bands[1..].iter().filter(|row| row[axes] == variable).collect();
    assert_eq!(bands.len(), by_point.len(), "a band row per grid point and saved time of {variable}");
    let number = |cell: &str| cell.parse::<f64>().unwrap_or_else(|_| panic!("`{cell}` is not a number"));
    for row in bands {
        let (point, row) = (row[..axes].to_vec(), &row[axes..]);
        let time: f64 = number(&row[1]);
        let mut values = by_point[&(point.clone(), time.to_bits())].clone();
        let at = format!("{point:?} at {time}");
        let n = values.len() as f64;
        let mean = values.iter().sum::<f64>() / n;
        let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
        values.sort_unstable_by(f64::total_cmp);
        assert_eq!(row[2], values.len().to_string(), "n {at}");
        assert!((number(&row[3]) - mean).abs() <= 1e-12 * mean.abs(), "mean {at}: {} vs {mean}", row[3]);
        assert!((number(&row[4]) - sd).abs() <= 1e-9 * sd + 1e-12, "sd {at}: {} vs {sd}", row[4]);
        assert_eq!(number(&row[5]), values[0], "min {at}");
        assert_eq!(number(&row[11]), values[values.len() - 1], "max {at}");
        for (column, p) in [(6, 0.05), (7, 0.25), (8, 0.5), (9, 0.75), (10, 0.95)] {
            assert_eq!(number(&row[column]), type_7(&values, p), "p{p} {at}");
        }
    }
}

#[test]
fn a_grid_sweep_has_bands_and_fan_charts_per_grid_point() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let args = ["sweep", EXPERIMENT, "--runs", "700", "--grid", "Hiring Delay=2,9", "--save-runs", "Workforce"];
    let (written, _) = same_on_one_thread_or_two(scratch.path(), &args);
    let out = scratch.path().join("1");
    let bands = csv(&out.join("bands.csv"));
    assert_eq!(bands[0][..3], ["Hiring Delay", "variable", "time"]);
    // One block of rows per grid point, each of 700 runs.
    let points: Vec<&str> = bands[1..].iter().map(|row| row[0].as_str()).collect();
    let switch = points.iter().position(|point| *point == "9").expect("grid point 9");
    assert!(points[..switch].iter().all(|p| *p == "2") && points[switch..].iter().all(|p| *p == "9"));
    assert_eq!(switch * 2, points.len());
    assert!(bands[1..].iter().all(|row| row[3] == "700"), "n is a grid point's runs");
    // The grid points' bands differ (hiring waits 2 or 9 months), and each is the statistics of
    // its own runs' trajectories, computed here.
    let means = |point: &str| -> Vec<f64> {
        let rows = bands[1..].iter().filter(|row| row[0] == point && row[1] == "Workforce");
        rows.map(|row| row[4].parse::<f64>().expect("mean")).collect()
    };
    let (quick, slow) = (means("2"), means("9"));
    let widest = quick.iter().zip(&slow).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
    assert!(widest > 5.0, "the mean workforce of the grid points differs by at most {widest}");
    bands_match_saved_runs(&out, "Workforce");

    // A fan chart per band variable and grid point, each named once and listed once.
    let charts: Vec<&str> = written.keys().map(String::as_str).filter(|name| name.ends_with(".svg")).collect();
    let variables = bands[1..].iter().map(|row| row[1].as_str()).collect::<std::collections::BTreeSet<_>>();
    assert_eq!(charts.len(), 2 * variables.len(), "{charts:?}");
    assert!(
        charts.contains(&"bands-workforce-hiring-delay-2.svg")
            && charts.contains(&"bands-workforce-hiring-delay-9.svg")
    );
    assert_ne!(written["bands-workforce-hiring-delay-2.svg"], written["bands-workforce-hiring-delay-9.svg"]);
    let manifest = fs::read_to_string(out.join("manifest.json")).expect("manifest");
    for chart in &charts {
        assert_eq!(manifest.matches(&format!("\"{chart}\"")).count(), 1, "{chart} listed once");
    }
    let svg = String::from_utf8(written["bands-workforce-hiring-delay-9.svg"].clone()).expect("utf-8");
    assert!(svg.contains("Workforce at Hiring Delay = 9 over 700 runs"), "the chart names its grid point");

    // Without a grid, bands.csv keeps its columns.
    let plain = scratch.path().join("plain");
    let output = sweep(&[EXPERIMENT, "-o", plain.to_str().expect("utf-8"), "--runs", "50"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(csv(&plain.join("bands.csv"))[0][..2], ["variable", "time"]);
}

/// `fulcrum run MODEL` with these constants set, saving `variables` every `dt`: (times, one
/// column per variable).
fn single_run(model: &str, settings: &[(String, String)], variables: &str, dt: &str) -> (Vec<f64>, Vec<Vec<f64>>) {
    let mut args = vec!["run".to_owned(), model.to_owned()];
    for (name, value) in settings {
        args.extend(["--set".to_owned(), format!("{name}={value}")]);
    }
    args.extend(["--save-step".to_owned(), dt.to_owned(), "--vars".to_owned(), variables.to_owned()]);
    let output = fulcrum(&args.iter().map(String::as_str).collect::<Vec<&str>>());
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    let rows: Vec<Vec<f64>> =
        text.lines().skip(1).map(|line| line.split(',').map(|cell| cell.parse().expect("number")).collect()).collect();
    let times = rows.iter().map(|row| row[0]).collect();
    let columns = (1..rows[0].len()).map(|c| rows.iter().map(|row| row[c]).collect()).collect();
    (times, columns)
}

#[test]
fn each_outcome_of_a_sweep_is_that_statistic_of_a_single_run_of_its_inputs() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let out = scratch.path().join("out");
    let output = sweep(&[EXPERIMENT, "-o", out.to_str().expect("utf-8"), "--runs", "200", "--bands", "none"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let experiments = csv(&out.join("experiments.csv"));
    let outcomes = csv(&out.join("outcomes.csv"));
    let cell = |text: &str| if text.is_empty() { f64::NAN } else { text.parse::<f64>().expect("number") };
    for run in [0usize, 77, 199] {
        let inputs = &experiments[run + 1];
        assert_eq!(inputs[0], run.to_string());
        let settings: Vec<(String, String)> =
            experiments[0][1..].iter().cloned().zip(inputs[1..].iter().cloned()).collect();
        // Every step (dt = 0.25 months), as the outcomes see them. The experiment keeps the
        // model's time settings and its levers at the model's values.
        let (times, columns) =
            single_run("models/workforce/model.toml", &settings, "Effective Capacity,Workload,Workforce", "0.25");
        let (capacity, workload, workforce) = (&columns[0], &columns[1], &columns[2]);
        assert_eq!(times.len(), 96 * 4 + 1);
        let at_24 = times.iter().position(|t| *t == 24.0).expect("month 24");
        let first_above = times.iter().zip(workload).find(|(_, w)| **w > 1.15).map_or(f64::NAN, |(t, _)| *t);
        let expected = [
            capacity[at_24],
            workload.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            workload.iter().sum::<f64>() / workload.len() as f64,
            workforce[workforce.len() - 1],
            first_above,
        ];
        let got: Vec<f64> = outcomes[run + 1][1..].iter().map(|text| cell(text)).collect();
        for (name, (want, got)) in outcomes[0][1..].iter().zip(expected.iter().zip(&got)) {
            assert!(
                (want.is_nan() && got.is_nan()) || (want - got).abs() <= 1e-12 * want.abs().max(1.0),
                "run {run}, {name}: a single run gives {want}, the sweep {got}"
            );
        }
    }
}

#[test]
fn a_sweep_of_exponential_decay_gives_its_closed_form() {
    // Euler with dt = 1 on dL/dt = -rate L gives L(t) = 100 (1 - rate)^t exactly (to rounding):
    // every run's final level, and the bands, follow from the sampled rates alone.
    let scratch = tempfile::tempdir().expect("temp dir");
    let experiment = decay_experiment(scratch.path(), 21, 500);
    let out = scratch.path().join("out");
    let output = sweep(&[&experiment, "-o", out.to_str().expect("utf-8"), "--save-runs", "Level"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let experiments = csv(&out.join("experiments.csv"));
    let outcomes = csv(&out.join("outcomes.csv"));
    assert_eq!((experiments.len(), outcomes.len()), (501, 501));
    let mut finals = Vec::new();
    for (inputs, outcome) in experiments[1..].iter().zip(&outcomes[1..]) {
        let rate: f64 = inputs[1].parse().expect("rate");
        assert!((0.05..0.2).contains(&rate), "{rate}");
        let expected = 100.0 * (1.0 - rate).powi(20);
        let got: f64 = outcome[1].parse().expect("final level");
        assert!((got - expected).abs() <= 1e-12 * expected, "rate {rate}: {got} vs {expected}");
        finals.push(expected);
    }
    // The final level falls as the rate rises, so its median is the closed form at the
    // median rate, within the rounding of twenty steps.
    finals.sort_unstable_by(f64::total_cmp);
    let bands = csv(&out.join("bands.csv"));
    let last = bands.iter().find(|row| row[0] == "Level" && row[1] == "20").expect("the last saved time");
    let median: f64 = last[8].parse().expect("p50");
    assert!((median - type_7(&finals, 0.5)).abs() <= 1e-12 * median, "{median}");
    bands_match_saved_runs(&out, "Level");
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

/// A decay model saving `saves` times (one per step) and an experiment drawing its rate, with
/// one outcome (so one band variable), written into `dir`; returns the experiment's path.
fn decay_experiment(dir: &Path, saves: u32, runs: u64) -> String {
    let model = format!(
        "[sim]\nstart = 0\nstop = {}\ndt = 1\n\n\
         [[stock]]\nname = \"Level\"\ninitial = 100\noutflows = [\"Decay\"]\n\n\
         [[flow]]\nname = \"Decay\"\nequation = \"Level * Rate\"\n\n\
         [[constant]]\nname = \"Rate\"\nvalue = 0.1\n",
        saves - 1
    );
    fs::write(dir.join("decay.toml"), model).expect("model written");
    let experiment = format!(
        "model = \"decay.toml\"\n[sampling]\nmethod = \"random\"\nruns = {runs}\nseed = 7\n\n\
         [[uncertain]]\nname = \"Rate\"\ndistribution = \"uniform\"\nmin = 0.05\nmax = 0.2\n\n\
         [[outcome]]\nname = \"final level\"\nvariable = \"Level\"\nstatistic = \"final\"\n"
    );
    let path = dir.join("decay-experiment.toml");
    fs::write(&path, experiment).expect("experiment written");
    path.to_str().expect("utf-8").to_owned()
}

#[test]
fn the_quantile_method_switches_to_the_sketch_one_band_value_past_2_to_the_25() {
    // 2^21 runs × 16 saved times × one band variable = 2^25 values: exact; one run more:
    // sketched. A shard takes the method of the whole sweep, so running only the first block
    // of each shows which method the whole sweep would use, cheaply.
    let scratch = tempfile::tempdir().expect("temp dir");
    let experiment = decay_experiment(scratch.path(), 16, 1);
    for (runs, shards, expected) in [(1u64 << 21, 2048, "exact"), ((1 << 21) + 1, 2049, "sketch")] {
        let out = scratch.path().join(format!("shard-{runs}"));
        let output = sweep(&[
            &experiment,
            "-o",
            out.to_str().expect("utf-8"),
            "--runs",
            &runs.to_string(),
            "--shard",
            &format!("1/{shards}"),
            "--threads",
            "1",
        ]);
        assert!(output.status.success(), "{}", stderr(&output));
        let manifest: serde_json::Value =
            serde_json::from_slice(&fs::read(out.join("manifest.json")).expect("manifest")).expect("JSON");
        assert_eq!(manifest["design_runs"], runs);
        assert_eq!(manifest["runs"], serde_json::json!([0, 1024]), "only the first block ran");
        let method = manifest["quantiles"].as_str().expect("quantiles");
        assert!(method.starts_with(expected), "{runs} runs: {method}");
    }
}

#[test]
fn a_sweep_estimated_at_16_gib_starts_and_one_run_more_is_refused() {
    // Exact quantiles keep 8 bytes per band value: 2^17 runs × 16,384 saved times × 8 bytes
    // is 16 GiB exactly, which is allowed. So that nothing that size is allocated, the output
    // directory holds an interrupted sweep, which is refused right after the memory check.
    let scratch = tempfile::tempdir().expect("temp dir");
    let experiment = decay_experiment(scratch.path(), 16_384, 1);
    let out = scratch.path().join("out");
    fs::create_dir_all(out.join(".fulcrum-partial")).expect("partial folder");
    let attempt = |runs: u64| {
        sweep(&[
            &experiment,
            "-o",
            out.to_str().expect("utf-8"),
            "--runs",
            &runs.to_string(),
            "--quantiles",
            "exact",
            "--threads",
            "1",
        ])
    };
    let at_limit = attempt(1 << 17);
    assert_eq!(at_limit.status.code(), Some(2), "{}", stderr(&at_limit));
    assert!(!stderr(&at_limit).contains("GiB allowed"), "{}", stderr(&at_limit));
    assert!(stderr(&at_limit).contains("holds an interrupted sweep"), "{}", stderr(&at_limit));

    let past_limit = attempt((1 << 17) + 1);
    assert_eq!(past_limit.status.code(), Some(2), "{}", stderr(&past_limit));
    assert!(
        stderr(&past_limit).contains(
            "the sweep needs at least 16.0 GiB, more than the 16 GiB allowed; use fewer runs or band variables, or \
             sketched quantiles"
        ),
        "{}",
        stderr(&past_limit)
    );
    assert_eq!(fs::read_dir(&out).expect("out").count(), 1, "nothing written beside the partial folder");
}

#[test]
fn a_sweep_writing_more_than_1_tib_is_refused_whatever_the_disk() {
    // runs.csv alone: 10 million runs × 16,384 saved times × three variables, tens of TiB.
    let scratch = tempfile::tempdir().expect("temp dir");
    let experiment = decay_experiment(scratch.path(), 16_384, 1);
    let out = scratch.path().join("out");
    let output = sweep(&[
        &experiment,
        "-o",
        out.to_str().expect("utf-8"),
        "--runs",
        "10000000",
        "--save-runs",
        "all",
        "--threads",
        "1",
    ]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("more than the 1 TiB fulcrum allows"), "{}", stderr(&output));
    assert!(stderr(&output).contains("runs.csv: 10000000 runs × 16384 saved times"), "{}", stderr(&output));
    assert!(!out.exists(), "nothing written");
}

#[test]
fn round_shortens_results_csv_only() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let (full, rounded) = (scratch.path().join("full"), scratch.path().join("rounded"));
    for (out, extra) in [(&full, &[][..]), (&rounded, &["--round", "4"][..])] {
        let output = sweep(&[&[EXPERIMENT, "--runs", "300", "-o", out.to_str().expect("utf-8")][..], extra].concat());
        assert!(output.status.success(), "{}", stderr(&output));
    }
    // The files fulcrum reads back keep every digit.
    for name in ["experiments.csv", "outcomes.csv", "bands.csv"] {
        assert_eq!(fs::read(full.join(name)).expect(name), fs::read(rounded.join(name)).expect(name), "{name}");
    }
    let (long, short) = (csv(&full.join("results.csv")), csv(&rounded.join("results.csv")));
    assert_eq!(long[0], short[0]);
    let digits = |cell: &str| cell.trim_start_matches('-').replace('.', "").trim_start_matches('0').len();
    for (long, short) in long[1..].iter().zip(&short[1..]) {
        assert_eq!(long[0], short[0], "run ids are not rounded");
        for (l, s) in long[1..].iter().zip(&short[1..]) {
            if l.is_empty() {
                assert!(s.is_empty());
                continue;
            }
            assert!(digits(s) <= 4 || s.contains('e'), "{s} from {l}");
            let (l, s): (f64, f64) = (l.parse().expect("number"), s.parse().expect("number"));
            assert!((l - s).abs() <= 5e-4 * l.abs(), "{s} is not {l} to four digits");
        }
    }
    let manifest = fs::read_to_string(rounded.join("manifest.json")).expect("manifest");
    assert!(manifest.contains("\"round\": 4"), "{manifest}");
}

#[test]
fn wide_writes_time_down_and_a_column_per_run_and_variable() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let out = scratch.path().join("wide");
    let flags = [EXPERIMENT, "--runs", "20", "--save-runs", "Workforce,Workload", "--wide"];
    let output = sweep(&[&flags[..], &["-o", out.to_str().expect("utf-8")]].concat());
    assert!(output.status.success(), "{}", stderr(&output));
    let wide = csv(&out.join("runs-wide.csv"));
    let long = csv(&out.join("runs.csv"));
    assert_eq!(wide[0][..3], ["time", "Workforce (run 0)", "Workload (run 0)"]);
    assert_eq!(wide[0].len(), 1 + 20 * 2);
    // Every cell is the long form's value at that time, run and variable.
    let times: Vec<&String> = wide[1..].iter().map(|row| &row[0]).collect();
    assert_eq!(long.len() - 1, times.len() * 20 * 2);
    for row in &long[1..] {
        let (run, time, variable, value) = (&row[0], &row[1], &row[2], &row[3]);
        let line = 1 + times.iter().position(|t| *t == time).expect("a saved time");
        let column = wide[0].iter().position(|name| *name == format!("{variable} (run {run})")).expect("a column");
        assert_eq!(&wide[line][column], value, "{run} {time} {variable}");
    }
    // Without kept trajectories there is nothing to widen.
    let refused =
        sweep(&[EXPERIMENT, "--runs", "20", "--wide", "-o", scratch.path().join("none").to_str().expect("utf-8")]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(stderr(&refused).contains("--save-runs"), "{}", stderr(&refused));
}

/// A sweep computes only what its outcomes, bands and kept series depend on. On every bundled
/// model's experiment that changes none of their values: the same sweep keeping every variable
/// of the model (so that nothing is left out) gives the same outcomes, bands, kept trajectories
/// and failures, bit for bit, while the sweep that keeps one variable runs fewer instructions.
#[test]
fn a_sweep_that_leaves_out_what_it_does_not_observe_gives_the_same_bits() {
    use fulcrum_explore::Runs;
    use fulcrum_explore::sweep::Silent;

    let experiments = crate::bundled_models().into_iter().map(|model| model.with_file_name("experiment.toml"));
    let mut pruned_somewhere = false;
    for path in experiments.filter(|path| path.exists()) {
        let (file, _) = fulcrum_report::load::read_experiment(&path).expect("the experiment reads");
        let prepared = fulcrum_report::load::prepare(file, &mut Vec::new()).expect("the experiment binds");
        let (compiled, plan) = (&prepared.compiled, &prepared.plan);
        let runs = Runs::sample(plan, None).expect("the baseline sample");
        let outputs = compiled.output_variables();
        // One band and one kept series, away from the outcomes.
        let bands = [outputs[0]];
        let keep = [outputs[outputs.len() / 2]];
        let few = fulcrum_explore::Sweep { runs: 0..64, ..runs.sweep(compiled, &plan.outcomes, &bands, &keep) };
        let every = fulcrum_explore::Sweep { runs: 0..64, ..runs.sweep(compiled, &plan.outcomes, &bands, &outputs) };
        let pruned = few.collect(&Silent).expect("the sweep runs");
        let whole = every.collect(&Silent).expect("the sweep runs");
        let bits = |values: &[f64]| values.iter().map(|value| value.to_bits()).collect::<Vec<u64>>();
        let name = path.display();
        assert_eq!(bits(&pruned.outcomes), bits(&whole.outcomes), "{name}: outcomes");
        assert_eq!(format!("{:?}", pruned.bands), format!("{:?}", whole.bands), "{name}: bands");
        let column = outputs.iter().position(|id| *id == keep[0]).expect("an output");
        let whole_kept: Vec<f64> = whole.kept.iter().skip(column).step_by(outputs.len()).copied().collect();
        assert_eq!(bits(&pruned.kept), bits(&whole_kept), "{name}: kept series");
        assert_eq!(format!("{:?}", pruned.failures), format!("{:?}", whole.failures), "{name}: failures");
        let (_, all) = compiled.instruction_counts();
        let (_, kept) = compiled.keeping(&few.observed()).instruction_counts();
        assert!(kept <= all, "{name}: {kept} instructions kept of {all}");
        pruned_somewhere |= kept < all;
    }
    assert!(pruned_somewhere, "no bundled experiment's sweep left anything out");
}
