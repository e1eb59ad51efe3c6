//! `fulcrum sensitivity`, `fulcrum leverage` and `fulcrum compare` as a user runs them on the
//! bundled workforce experiment: the files, their columns, determinism across thread counts,
//! and clear errors for bad requests.

use std::fs;
use std::path::Path;

use crate::{fulcrum, same_on_one_thread_or_two, stderr, stdout};

const EXPERIMENT: &str = "tests/fixtures/workforce.toml";

/// A CSV file as header → column of cells.
fn table(path: &Path) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_path(path).expect("readable CSV");
    let header = reader.headers().expect("header").iter().map(str::to_owned).collect();
    let rows = reader.records().map(|r| r.expect("valid CSV").iter().map(str::to_owned).collect()).collect();
    (header, rows)
}

fn number(cell: &str) -> f64 {
    cell.parse().unwrap_or_else(|_| panic!("`{cell}` is not a number"))
}

#[test]
fn leverage_ranks_every_lever_for_every_outcome_the_same_on_one_thread_or_two() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let (written, summary) =
        same_on_one_thread_or_two(scratch.path(), &["leverage", EXPERIMENT, "--futures", "64", "--resamples", "200"]);
    assert!(summary.contains("- Hiring Delay: raising it 10% "), "{summary}");
    let names: Vec<&str> = written.keys().map(String::as_str).collect();
    assert_eq!(
        names,
        [
            "leverage-capacity-at-month-24.svg",
            "leverage-final-workforce.svg",
            "leverage-mean-workload.svg",
            "leverage-month-workload-first-exceeds-1-15.svg",
            "leverage-peak-workload.svg",
            "leverage.csv",
            "loop_changes.csv",
            "manifest.json",
            "summary.md"
        ]
    );
    // One outcome per chart: one plot, its own title, no stack of panels.
    for (name, bytes) in written.iter().filter(|(name, _)| name.ends_with(".svg")) {
        let chart = String::from_utf8(bytes.clone()).expect("UTF-8");
        assert_eq!(chart.matches("<svg").count(), 1, "{name}: one document, not a stack");
        assert_eq!(chart.matches("Leverage on ").count(), 1, "{name}: one outcome");
        let height: f64 = chart
            .split("height=\"")
            .nth(1)
            .and_then(|rest| rest.split('"').next())
            .and_then(|h| h.parse().ok())
            .expect("a height");
        assert!(height < 600.0, "{name}: {height} pixels tall");
    }
    let peak = String::from_utf8(written["leverage-peak-workload.svg"].clone()).expect("UTF-8");
    assert!(peak.contains("Lower is better for this outcome"), "the outcome's `better` is on its chart");
    // What is printed is what is saved, and the manifest vouches for it.
    assert_eq!(written["summary.md"], summary.as_bytes());
    assert!(String::from_utf8_lossy(&written["manifest.json"]).contains("\"path\": \"summary.md\""));

    let (header, rows) = table(&scratch.path().join("1/leverage.csv"));
    assert_eq!(
        header,
        [
            "outcome",
            "lever",
            "score",
            "p10",
            "p90",
            "ci_low",
            "ci_high",
            "sign_consistency",
            "disproportionate",
            "effect_per_cost",
            "total_index",
            "rank"
        ]
    );
    // Five outcomes × three levers.
    assert_eq!(rows.len(), 15);
    for outcome in rows.chunks(3) {
        // Rows in rank order: 1 for the largest |score|, ties sharing a rank.
        let ranks: Vec<f64> = outcome.iter().map(|r| number(&r[11])).collect();
        let scores: Vec<f64> = outcome.iter().map(|r| number(&r[2]).abs()).collect();
        assert_eq!(ranks[0], 1.0);
        for k in 1..3 {
            assert!(scores[k - 1] >= scores[k], "{scores:?}");
            let expected = if scores[k] == scores[k - 1] { ranks[k - 1] } else { k as f64 + 1.0 };
            assert_eq!(ranks[k], expected, "{ranks:?} for {scores:?}");
        }
        for row in outcome {
            let (score, low, high) = (number(&row[2]), number(&row[5]), number(&row[6]));
            assert!(low <= score && score <= high, "{row:?}");
            let (p10, p90) = (number(&row[3]), number(&row[4]));
            assert!(p10 <= score && score <= p90, "{row:?}");
            // Sign consistency is undefined only where the median elasticity is zero.
            assert!(if row[7].is_empty() { score == 0.0 } else { (0.0..=1.0).contains(&number(&row[7])) }, "{row:?}");
            assert!(row[8] == "true" || row[8] == "false");
            // The Sobol cross-check is undefined only for the threshold outcome, which does not
            // vary over the cross-check's sample.
            if row[0] == "month workload first exceeds 1.15" {
                assert_eq!(row[10], "");
            } else {
                let total = number(&row[10]);
                assert!((-0.1..=1.5).contains(&total), "total index {total}");
            }
            // Costs are given for Hiring Delay and Mentoring Load only.
            assert_eq!(row[9].is_empty(), row[1] == "Workforce Adjustment Time", "{row:?}");
        }
    }
}

#[test]
fn every_sensitivity_method_writes_its_measures_for_every_parameter() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let parameters = [
        "Demand Increase",
        "Normal Experienced Attrition",
        "Normal Rookie Attrition",
        "Time to Proficiency",
        "Rookie Productivity",
        "Hiring Delay",
        "Workforce Adjustment Time",
        "Mentoring Load",
    ];
    let cases: [(&str, &[&str], &[&str]); 5] = [
        ("oat", &[], &["low", "high", "elasticity"]),
        ("morris", &["--samples", "10"], &["mu", "mu_star", "sigma", "mu_physical", "mu_star_physical"]),
        ("sobol", &["--samples", "64", "--resamples", "100"], &["S1", "ST"]),
        ("prcc", &["--samples", "200", "--resamples", "100"], &["prcc"]),
        ("src", &["--samples", "200", "--resamples", "100"], &["src"]),
    ];
    for (method, extra, measures) in cases {
        let out = scratch.path().join(method);
        let mut args = vec!["sensitivity", EXPERIMENT, "--method", method, "-o", out.to_str().expect("utf-8")];
        args.extend_from_slice(extra);
        let output = fulcrum(&args);
        assert!(output.status.success(), "{method}: {}", stderr(&output));
        assert!(stderr(&output).contains("runs"), "the size is printed before running");
        let (header, rows) = table(&out.join("sensitivity.csv"));
        assert_eq!(header, ["outcome", "parameter", "method", "measure", "estimate", "ci_low", "ci_high"]);
        assert!(rows.iter().all(|row| row[2] == method));
        for parameter in parameters {
            for measure in measures {
                let found = rows.iter().filter(|r| r[1] == parameter && r[3] == *measure).count();
                assert_eq!(found, 5, "{method}: {parameter} {measure} once per outcome");
            }
        }
        assert!(out.join("sensitivity-peak-workload.svg").exists(), "{method}: a chart per outcome");
        assert!(out.join("manifest.json").exists());
    }
}

#[test]
fn sobol_over_time_and_with_groups() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let out = scratch.path().join("sobol");
    let output = fulcrum(&[
        "sensitivity",
        EXPERIMENT,
        "--method",
        "sobol",
        "--samples",
        "32",
        "--resamples",
        "50",
        "--second-order",
        "--over-time",
        "Workforce",
        "--group",
        "Attrition=Normal Experienced Attrition,Normal Rookie Attrition",
        "-o",
        out.to_str().expect("utf-8"),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stderr(&output).contains("N = 32 × (2 × 7 + 2) = 512 runs"), "{}", stderr(&output));
    let (header, rows) = table(&out.join("sensitivity.csv"));
    assert_eq!(header[..2], ["outcome", "time"]);
    let over_time: Vec<&Vec<String>> = rows.iter().filter(|r| r[0] == "Workforce" && !r[1].is_empty()).collect();
    // 97 monthly saves × 7 groups × (S1, ST) + 21 pairs of S2.
    assert_eq!(over_time.len(), 97 * (7 * 2 + 21));
    assert!(rows.iter().any(|r| r[2] == "Attrition" && r[4] == "ST"));
    assert!(!rows.iter().any(|r| r[2] == "Normal Rookie Attrition"), "grouped parameters appear only as their group");
    assert!(rows.iter().any(|r| r[4] == "S2" && r[2] == "Attrition:Hiring Delay"));
    let chart = fs::read_to_string(out.join("sensitivity-workforce-over-time.svg")).expect("a chart through time");
    assert!(chart.contains("Attrition"), "the groups are in the chart's legend");
}

#[test]
fn compare_puts_every_intervention_beside_the_baseline_over_the_same_futures() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let out = scratch.path().join("compare");
    let output = fulcrum(&["compare", EXPERIMENT, "--futures", "200", "-o", out.to_str().expect("utf-8")]);
    assert!(output.status.success(), "{}", stderr(&output));
    let (header, rows) = table(&out.join("comparison.csv"));
    assert_eq!(
        header,
        [
            "outcome",
            "intervention",
            "cost",
            "mean",
            "p10",
            "p50",
            "p90",
            "delta_mean",
            "delta_p10",
            "delta_p50",
            "delta_p90",
            "prob_better",
            "expected_regret",
            "effect_per_cost",
            "rank",
            "crossed_share",
            "crossed_p50"
        ]
    );
    assert_eq!(rows.len(), 5 * 3);
    for option in rows.chunks(3) {
        assert_eq!(option[0][1], "baseline");
        assert_eq!(number(&option[0][7]), 0.0, "the baseline differs from itself by nothing");
        assert_eq!(option[1][1], "faster hiring");
        assert_eq!(option[1][2], "60000");
        // effect_per_cost is delta_mean / cost.
        let (delta, per_cost) = (number(&option[1][7]), number(&option[1][13]));
        approx::assert_relative_eq!(per_cost, delta / 60000.0, max_relative = 1e-12);
        // Patient hiring costs nothing: no effect per cost.
        assert_eq!(option[2][13], "");
        // A threshold outcome says how often and when each option crosses; others leave it empty.
        let threshold = option[0][0] == "month workload first exceeds 1.15";
        for row in option {
            assert_eq!(row[15].is_empty(), !threshold, "{row:?}");
            if threshold {
                let share = number(&row[15]);
                assert!((0.0..=1.0).contains(&share), "{row:?}");
                assert_eq!(row[16].is_empty(), share == 0.0, "{row:?}");
            }
        }
        if ["final workforce", "month workload first exceeds 1.15"].contains(&option[0][0].as_str()) {
            assert!(option.iter().all(|r| r[11].is_empty() && r[14].is_empty()), "no better direction");
        } else {
            let mut ranks: Vec<&str> = option.iter().map(|r| r[14].as_str()).collect();
            ranks.sort_unstable();
            assert_eq!(ranks, ["1", "2", "3"]);
            assert!(option.iter().all(|r| (0.0..=1.0).contains(&number(&r[11]))));
        }
    }
    assert!(out.join("comparison-peak-workload.svg").exists());
    let printed = stdout(&output);
    assert!(printed.contains("faster hiring"), "{printed}");
    assert!(printed.contains("How often the threshold is crossed, and when:\n\n- baseline: "), "{printed}");
    assert_eq!(std::fs::read_to_string(out.join("summary.md")).expect("summary.md"), printed);
}

#[test]
fn analyses_refuse_what_they_cannot_do_with_a_clear_message() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let out = scratch.path().join("x");
    let out = out.to_str().expect("utf-8");
    let unknown = fulcrum(&["sensitivity", EXPERIMENT, "--method", "oat", "--group", "G=Nope", "-o", out]);
    assert_eq!(unknown.status.code(), Some(2));
    assert!(stderr(&unknown).contains("`Nope` is not an uncertain constant or lever"), "{}", stderr(&unknown));
    let grouped = fulcrum(&["sensitivity", EXPERIMENT, "--method", "prcc", "--group", "G=Hiring Delay", "-o", out]);
    assert_eq!(grouped.status.code(), Some(2));
    let odd = fulcrum(&["sensitivity", EXPERIMENT, "--method", "morris", "--levels", "1", "-o", out]);
    assert_eq!(odd.status.code(), Some(2), "{}", stderr(&odd));
    let experiment = scratch.path().join("no-interventions.toml");
    let model = crate::root().join("models/teacup/model.toml");
    fs::write(
        &experiment,
        format!(
            "model = {model:?}\n[[uncertain]]\nname = \"Room Temperature\"\ndistribution = \"uniform\"\nmin = 60\nmax = 80\n\
             [[outcome]]\nvariable = \"Teacup Temperature\"\n"
        ),
    )
    .expect("written");
    let experiment = experiment.to_str().expect("utf-8");
    let compare = fulcrum(&["compare", experiment, "-o", out]);
    assert_eq!(compare.status.code(), Some(2));
    assert!(stderr(&compare).contains("no [[intervention]]"), "{}", stderr(&compare));
    let leverage = fulcrum(&["leverage", experiment, "-o", out]);
    assert_eq!(leverage.status.code(), Some(2));
    assert!(stderr(&leverage).contains("no [[lever]]"), "{}", stderr(&leverage));

    let gridded = scratch.path().join("grid.toml");
    fs::write(
        &gridded,
        format!(
            "model = {model:?}\n[sampling]\ngrid = {{ \"Characteristic Time\" = [5, 10] }}\n\
             [[uncertain]]\nname = \"Room Temperature\"\ndistribution = \"uniform\"\nmin = 60\nmax = 80\n\
             [[outcome]]\nvariable = \"Teacup Temperature\"\n"
        ),
    )
    .expect("written");
    let grid = fulcrum(&["sensitivity", gridded.to_str().expect("utf-8"), "--method", "oat", "-o", out]);
    assert_eq!(grid.status.code(), Some(2));
    assert!(stderr(&grid).contains("grid"), "{}", stderr(&grid));
    assert!(!Path::new(out).exists(), "nothing written after a refusal");
}

#[test]
fn every_bundled_experiment_runs_through_every_analysis() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let mut experiments: Vec<_> = crate::bundled_models()
        .into_iter()
        .map(|model| model.with_file_name("experiment.toml"))
        .filter(|experiment| experiment.exists())
        .collect();
    experiments.sort();
    assert!(experiments.len() >= 2, "the workforce and service backlog experiments");
    for (index, experiment) in experiments.iter().enumerate() {
        let experiment = experiment.to_str().expect("utf-8");
        let runs: [&[&str]; 3] = [
            &["leverage", experiment, "--futures", "32", "--resamples", "50"],
            &["compare", experiment, "--futures", "32"],
            &["sensitivity", experiment, "--method", "morris", "--samples", "8", "--resamples", "50"],
        ];
        for args in runs {
            let out = scratch.path().join(format!("{}-{index}", args[0]));
            let mut all = args.to_vec();
            all.extend(["-o", out.to_str().expect("utf-8")]);
            let output = fulcrum(&all);
            assert!(output.status.success(), "{experiment} {}: {}", args[0], stderr(&output));
            let manifest: serde_json::Value =
                serde_json::from_slice(&fs::read(out.join("manifest.json")).expect("manifest")).expect("JSON");
            // The manifest lists every file beside it with its digest.
            let listed = manifest["files"].as_array().expect("files").len();
            assert_eq!(listed + 1, fs::read_dir(&out).expect("dir").count(), "{experiment} {}", args[0]);
        }
    }
}

/// The final value of a variable in `fulcrum run ARGS --vars VAR`.
fn final_value(args: &[&str], variable: &str) -> f64 {
    let mut all = vec!["run"];
    all.extend_from_slice(args);
    all.extend(["--vars", variable]);
    let output = fulcrum(&all);
    assert!(output.status.success(), "{}", stderr(&output));
    let text = stdout(&output);
    let last = text.lines().last().expect("rows");
    number(last.split(',').nth(1).expect("a value"))
}

#[test]
fn leverage_and_compare_numbers_match_single_runs() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let model = crate::root().join("models/teacup/model.toml");
    let experiment = scratch.path().join("teacup.toml");
    // No uncertain constants: every future is the same, so the leverage score is exactly the
    // arc elasticity of two single runs, and compare's deltas are differences of single runs.
    fs::write(
        &experiment,
        format!(
            "model = {model:?}\n[sampling]\nruns = 20\n\
             [[lever]]\nname = \"Characteristic Time\"\nmin = 5\nmax = 15\n\
             [[intervention]]\nname = \"cold room\"\nset = {{ \"Room Temperature\" = 60 }}\ncost = 4\n\
             [[outcome]]\nname = \"final\"\nvariable = \"Teacup Temperature\"\nbetter = \"lower\"\n"
        ),
    )
    .expect("written");
    let experiment = experiment.to_str().expect("utf-8");
    let out = scratch.path().join("leverage");
    let output = fulcrum(&["leverage", experiment, "-o", out.to_str().expect("utf-8"), "--no-cross-check"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert!(stderr(&output).contains("1 lever × 2 × 20 futures = 40 runs"), "{}", stderr(&output));
    let teacup = model.to_str().expect("utf-8");
    let up = final_value(&[teacup, "--set", "Characteristic Time=11"], "Teacup Temperature");
    let down = final_value(&[teacup, "--set", "Characteristic Time=9"], "Teacup Temperature");
    let expected = (up - down) / (up + down) * (11.0 + 9.0) / (11.0 - 9.0);
    let (_, rows) = table(&out.join("leverage.csv"));
    approx::assert_relative_eq!(number(&rows[0][2]), expected, max_relative = 1e-12);
    assert_eq!((rows[0][3].as_str(), rows[0][4].as_str()), (rows[0][2].as_str(), rows[0][2].as_str()), "p10 = p90");
    assert_eq!(rows[0][7], "1", "every future agrees");

    let out = scratch.path().join("compare");
    let output = fulcrum(&["compare", experiment, "-o", out.to_str().expect("utf-8")]);
    assert!(output.status.success(), "{}", stderr(&output));
    let baseline = final_value(&["--experiment", experiment], "Teacup Temperature");
    let cold = final_value(&["--experiment", experiment, "--intervention", "cold room"], "Teacup Temperature");
    let (_, rows) = table(&out.join("comparison.csv"));
    approx::assert_relative_eq!(number(&rows[0][3]), baseline, max_relative = 1e-12);
    approx::assert_relative_eq!(number(&rows[1][7]), cold - baseline, max_relative = 1e-12);
    approx::assert_relative_eq!(number(&rows[1][13]), (cold - baseline) / 4.0, max_relative = 1e-12);
    assert_eq!((rows[1][11].as_str(), rows[1][14].as_str()), ("1", "1"), "cooler in every future, ranked first");
}

#[test]
fn analyses_refuse_sizes_and_levers_they_cannot_use_before_running() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let out = scratch.path().join("out");
    let out = out.to_str().expect("utf-8");
    let few = fulcrum(&["leverage", EXPERIMENT, "--futures", "3", "-o", out]);
    assert_eq!(few.status.code(), Some(2));
    assert!(stderr(&few).contains("at least 10 futures"), "{}", stderr(&few));
    let tiny = fulcrum(&["sensitivity", EXPERIMENT, "--method", "sobol", "--samples", "2", "-o", out]);
    assert_eq!(tiny.status.code(), Some(2));
    assert!(stderr(&tiny).contains("at least 8"), "{}", stderr(&tiny));
    let a_file = scratch.path().join("a-file");
    fs::write(&a_file, "").expect("written");
    let under_a_file = a_file.join("out");
    let refused = fulcrum(&["compare", EXPERIMENT, "-o", under_a_file.to_str().expect("utf-8")]);
    assert_eq!(refused.status.code(), Some(2));
    assert!(!stderr(&refused).contains("runs →"), "refused before running: {}", stderr(&refused));

    let zero = scratch.path().join("zero.toml");
    let model = crate::root().join("models/workforce/model.toml");
    fs::write(
        &zero,
        format!(
            "model = {model:?}\n[[lever]]\nname = \"Demand Increase\"\nbaseline = 0\nmin = 0\nmax = 0.5\n\
             [[outcome]]\nvariable = \"Workforce\"\n"
        ),
    )
    .expect("written");
    let zero = fulcrum(&["leverage", zero.to_str().expect("utf-8"), "-o", out]);
    assert_eq!(zero.status.code(), Some(2));
    assert!(stderr(&zero).contains("baseline 0"), "{}", stderr(&zero));
    assert!(!Path::new(out).exists(), "nothing written after a refusal");
}

#[test]
fn options_see_the_same_random_numbers_in_each_future() {
    // A noisy model: an intervention that sets a constant to its own value changes nothing,
    // future by future, only if every option draws the same random numbers in a future.
    let scratch = tempfile::tempdir().expect("temp dir");
    let model = scratch.path().join("noisy.toml");
    fs::write(
        &model,
        "[sim]\nstart = 0\nstop = 20\ndt = 1\n\
         [[stock]]\nname = \"S\"\ninitial = 10\ninflows = [\"Noise\"]\n\
         [[flow]]\nname = \"Noise\"\nequation = \"k * NORMAL(0, 1)\"\n\
         [[constant]]\nname = \"k\"\nvalue = 1\n[[constant]]\nname = \"drift\"\nvalue = 0\n",
    )
    .expect("written");
    let experiment = scratch.path().join("noisy-experiment.toml");
    fs::write(
        &experiment,
        "model = \"noisy.toml\"\n[sampling]\nruns = 50\n\
         [[uncertain]]\nname = \"drift\"\ndistribution = \"uniform\"\nmin = 0\nmax = 1\n\
         [[intervention]]\nname = \"same k\"\nset = { \"k\" = 1 }\n\
         [[outcome]]\nname = \"final S\"\nvariable = \"S\"\nbetter = \"higher\"\n",
    )
    .expect("written");
    let out = scratch.path().join("out");
    let output = fulcrum(&["compare", experiment.to_str().expect("utf-8"), "-o", out.to_str().expect("utf-8")]);
    assert!(output.status.success(), "{}", stderr(&output));
    let (_, rows) = table(&out.join("comparison.csv"));
    // The outcome varies from future to future, yet the paired differences are all exactly 0.
    assert_ne!(rows[0][4], rows[0][6], "p10 and p90 of a noisy outcome differ");
    for column in 7..=10 {
        assert_eq!(rows[1][column], "0", "column {column}: {:?}", rows[1]);
    }
}

/// The type-7 quantile (numpy's default, R's type 7) of sorted values.
fn type_7(sorted: &[f64], p: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * p;
    let low = h.floor() as usize;
    let high = (low + 1).min(sorted.len() - 1);
    sorted[low] + (h - low as f64) * (sorted[high] - sorted[low])
}

/// A teacup experiment with an uncertain room temperature and the cooling time as a lever.
fn uncertain_teacup(dir: &Path) -> String {
    let model = crate::root().join("models/teacup/model.toml");
    let experiment = dir.join("uncertain-teacup.toml");
    fs::write(
        &experiment,
        format!(
            "model = {model:?}\n[sampling]\nruns = 11\nseed = 3\n\
             [[uncertain]]\nname = \"Room Temperature\"\ndistribution = \"uniform\"\nmin = 60\nmax = 80\n\
             [[lever]]\nname = \"Characteristic Time\"\nmin = 5\nmax = 15\n\
             [[outcome]]\nname = \"final\"\nvariable = \"Teacup Temperature\"\n"
        ),
    )
    .expect("written");
    experiment.to_str().expect("utf-8").to_owned()
}

#[test]
fn leverage_over_uncertain_futures_is_the_median_of_arc_elasticities_of_single_runs() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let experiment = uncertain_teacup(scratch.path());
    let teacup = crate::root().join("models/teacup/model.toml");
    let teacup = teacup.to_str().expect("utf-8");
    // The design's rows say each future's room temperature and the lever's two settings.
    let design = scratch.path().join("design");
    let sampled =
        fulcrum(&["sample", "leverage", &experiment, "--no-cross-check", "-o", design.to_str().expect("utf-8")]);
    assert!(sampled.status.success(), "{}", stderr(&sampled));
    let (header, rows) = table(&design.join("experiments.csv"));
    assert_eq!(header, ["run", "Room Temperature", "Characteristic Time"]);
    assert_eq!(rows.len(), 2 * 11);
    let mut elasticities = Vec::new();
    for pair in rows.chunks(2) {
        assert_eq!(pair[0][1], pair[1][1], "both runs of a future share its room temperature");
        let (p_up, p_down) = (number(&pair[0][2]), number(&pair[1][2]));
        assert_eq!((p_up, p_down), (11.0, 9.0), "the lever at its baseline 10 ± 10%");
        let final_of = |row: &[String]| {
            let room = format!("Room Temperature={}", row[1]);
            let time = format!("Characteristic Time={}", row[2]);
            final_value(&[teacup, "--set", &room, "--set", &time], "Teacup Temperature")
        };
        let (up, down) = (final_of(&pair[0]), final_of(&pair[1]));
        elasticities.push((up - down) / (up + down) * (p_up + p_down) / (p_up - p_down));
    }
    elasticities.sort_unstable_by(f64::total_cmp);

    let out = scratch.path().join("leverage");
    let output = fulcrum(&["leverage", &experiment, "--no-cross-check", "-o", out.to_str().expect("utf-8")]);
    assert!(output.status.success(), "{}", stderr(&output));
    let (_, rows) = table(&out.join("leverage.csv"));
    assert_eq!(rows.len(), 1);
    let row = &rows[0];
    assert_eq!((row[0].as_str(), row[1].as_str()), ("final", "Characteristic Time"));
    approx::assert_relative_eq!(number(&row[2]), type_7(&elasticities, 0.5), max_relative = 1e-12);
    approx::assert_relative_eq!(number(&row[3]), type_7(&elasticities, 0.1), max_relative = 1e-12);
    approx::assert_relative_eq!(number(&row[4]), type_7(&elasticities, 0.9), max_relative = 1e-12);
    // The elasticities differ from future to future, all of one sign.
    assert!(elasticities[0] < elasticities[10] && elasticities[0] > 0.0, "{elasticities:?}");
    assert_eq!(row[7], "1");
}

#[test]
fn one_at_a_time_numbers_are_single_runs_and_their_log_differences() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let experiment = uncertain_teacup(scratch.path());
    let teacup = crate::root().join("models/teacup/model.toml");
    let teacup = teacup.to_str().expect("utf-8");
    let out = scratch.path().join("oat");
    let output = fulcrum(&["sensitivity", &experiment, "--method", "oat", "-o", out.to_str().expect("utf-8")]);
    assert!(output.status.success(), "{}", stderr(&output));
    let (_, rows) = table(&out.join("sensitivity.csv"));
    let estimate = |parameter: &str, measure: &str| {
        let row = rows.iter().find(|r| r[1] == parameter && r[3] == measure).expect("a row");
        number(&row[4])
    };
    let at = |name: &str, value: f64| final_value(&[teacup, "--set", &format!("{name}={value}")], "Teacup Temperature");
    approx::assert_relative_eq!(
        estimate("", "baseline"),
        final_value(&[teacup], "Teacup Temperature"),
        max_relative = 1e-12
    );
    // (parameter, baseline, the ends of its range)
    for (name, baseline, low, high) in
        [("Room Temperature", 70.0, 60.0, 80.0), ("Characteristic Time", 10.0, 5.0, 15.0)]
    {
        approx::assert_relative_eq!(estimate(name, "low"), at(name, low), max_relative = 1e-12);
        approx::assert_relative_eq!(estimate(name, "high"), at(name, high), max_relative = 1e-12);
        // d ln Y / d ln p by a central difference at the baseline × (1 ± 0.01).
        let (up, down) = (at(name, baseline * 1.01), at(name, baseline * 0.99));
        let expected = (up.ln() - down.ln()) / (1.01f64.ln() - 0.99f64.ln());
        approx::assert_relative_eq!(estimate(name, "elasticity"), expected, max_relative = 1e-9);
    }
}

/// Two outcomes whose names make the same file name get two charts, each listed once in the
/// manifest.
#[test]
fn outcomes_whose_names_slug_alike_get_distinct_charts() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let text = fs::read_to_string(crate::root().join(EXPERIMENT)).expect("the fixture");
    let model = crate::root().join("models/workforce/model.toml");
    let text = text.replace(
        "model = \"../../models/workforce/model.toml\"",
        &format!("model = {:?}", model.display().to_string()),
    );
    let text = format!(
        "{text}\n[[outcome]]\nname = \"Peak Workload!\"\nvariable = \"Workload\"\nstatistic = \"mean\"\nbetter = \"lower\"\n"
    );
    let experiment = scratch.path().join("experiment.toml");
    fs::write(&experiment, text).expect("written");
    let out = scratch.path().join("compare");
    let output = fulcrum(&[
        "compare",
        experiment.to_str().expect("utf-8"),
        "--futures",
        "20",
        "-o",
        out.to_str().expect("utf-8"),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let first = fs::read_to_string(out.join("comparison-peak-workload.svg")).expect("the first outcome's chart");
    let second = fs::read_to_string(out.join("comparison-peak-workload-2.svg")).expect("the second outcome's chart");
    assert!(first.contains("peak workload: each option") && second.contains("Peak Workload!: each option"));
    let manifest: serde_json::Value =
        serde_json::from_slice(&fs::read(out.join("manifest.json")).expect("manifest")).expect("JSON");
    let listed: Vec<&str> =
        manifest["files"].as_array().expect("files").iter().filter_map(|file| file["path"].as_str()).collect();
    let mut distinct = listed.clone();
    distinct.sort_unstable();
    distinct.dedup();
    assert_eq!(distinct.len(), listed.len(), "a file listed twice: {listed:?}");
    assert!(listed.contains(&"comparison-peak-workload.svg") && listed.contains(&"comparison-peak-workload-2.svg"));
}

/// Where the output does not vary beyond numerical noise (Effective Capacity before the
/// demand step: every future has the same capacity), its Sobol indices over time are left out
/// of the chart, and the chart says so.
#[test]
fn sobol_over_time_leaves_out_times_without_variance() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let out = scratch.path().join("sobol");
    let output = fulcrum(&[
        "sensitivity",
        EXPERIMENT,
        "--method",
        "sobol",
        "--samples",
        "32",
        "--resamples",
        "20",
        "--over-time",
        "Effective Capacity",
        "-o",
        out.to_str().expect("utf-8"),
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let chart = fs::read_to_string(out.join("sensitivity-effective-capacity-over-time.svg")).expect("the chart");
    assert!(chart.contains("Not drawn at 0–") && chart.contains("numerical noise"), "the note");
    assert!(chart.contains("time (months)"), "the time unit on the axis");
}

/// A threshold the baseline never crosses but an option does is the finding, not a gap: once,
/// every future was dropped and "n/a" printed.
#[test]
fn a_threshold_only_an_option_crosses_is_reported_per_option() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let model = crate::root().join("models/workforce/model.toml");
    let experiment = scratch.path().join("threshold.toml");
    let text = format!(
        r#"model = '{}'
[sampling]
runs = 100
seed = 3
[[uncertain]]
name = "Demand Increase"
distribution = "uniform"
min = 0.1
max = 0.4
[[intervention]]
name = "hasty hiring"
set = {{ "Workforce Adjustment Time" = 2 }}
[[outcome]]
name = "month headcount first exceeds 165"
variable = "Workforce"
statistic = "first_above:165"
better = "higher"
"#,
        model.display()
    );
    fs::write(&experiment, text).expect("written");
    let out = scratch.path().join("compare");
    let output = fulcrum(&["compare", experiment.to_str().expect("utf-8"), "-o", out.to_str().expect("utf-8")]);
    assert!(output.status.success(), "{}", stderr(&output));
    let printed = stdout(&output);
    assert!(printed.contains("- baseline: never crossed, in any of the 100 futures"), "{printed}");
    assert!(printed.contains("- hasty hiring: crossed in 43 of 100 futures, at 19.8 (median"), "{printed}");
    assert!(!printed.contains("n/a"), "{printed}");
    let (header, rows) = table(&out.join("comparison.csv"));
    assert_eq!(header[15..], ["crossed_share", "crossed_p50"]);
    assert_eq!((rows[0][15].as_str(), rows[0][16].as_str()), ("0", ""));
    assert_eq!(rows[1][15], "0.43");
    assert!((18.0..22.0).contains(&number(&rows[1][16])), "{:?}", rows[1]);
}

/// The AI model's finding (models/ai_lever/README.md): redesign, autonomy and learning raised
/// together lift output per person by about 30%, which no single lever shows. A search with no
/// intervention listed finds such a combination, with the same bytes on one thread or two.
#[test]
fn search_finds_the_ai_models_combined_levers_the_same_on_one_thread_or_two() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let (written, summary) = same_on_one_thread_or_two(
        scratch.path(),
        &[
            "search",
            "models/ai_lever/search.toml",
            "--futures",
            "16",
            "--population",
            "20",
            "--generations",
            "10",
            "--seed",
            "1",
        ],
    );
    for file in ["pareto.csv", "convergence.csv", "pareto.svg"] {
        assert!(written.contains_key(file), "no {file} in {:?}", written.keys());
    }
    let svg = std::fs::read_to_string(scratch.path().join("1").join("pareto.svg")).expect("pareto.svg");
    assert!(svg.contains("output per person at month 60 (higher is better)") && svg.contains("cost (lower is better)"));
    let (header, rows) = table(&scratch.path().join("1").join("pareto.csv"));
    let column =
        |name: &str| header.iter().position(|h| h == name).unwrap_or_else(|| panic!("no {name} in {header:?}"));
    let output = column("output per person at month 60");
    let best = rows.iter().max_by(|a, b| number(&a[output]).total_cmp(&number(&b[output]))).expect("a front");
    // The pilot's baselines: autonomy 0.3, learning 10,000, redesign 10,000.
    assert!(number(&best[column("Autonomy Envelope")]) > 0.6, "{best:?}");
    assert!(number(&best[column("Learning Investment")]) > 30_000.0, "{best:?}");
    assert!(number(&best[column("Redesign Effort")]) > 50_000.0, "{best:?}");
    // At least the 30% the findings describe, against the baseline the summary states.
    let gain = summary
        .lines()
        .find(|line| line.starts_with("Best for output per person"))
        .and_then(|line| line.split(" (+").nth(1))
        .and_then(|rest| rest.split('%').next())
        .map(number)
        .unwrap_or_else(|| panic!("no gain in\n{summary}"));
    assert!(gain >= 30.0, "{summary}");
}

/// Bad search input is refused before anything runs, at the key: no outcome with `better`, a
/// budget no candidate can meet, a robustness that does not parse.
#[test]
fn search_refuses_bad_input_at_the_key() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let model = crate::root().join("models/ai_lever/model.toml");
    let lever = "[[lever]]\nname = \"AI Budget\"\nbaseline = 20000\nmin = 5000\nmax = 60000\ncost_per_unit = 54\n";
    let outcome = "[[outcome]]\nname = \"output\"\nvariable = \"Output per Person\"\n";
    let cases = [
        ("no_better", format!("{lever}{outcome}"), vec!["no [[outcome]] declares `better`"]),
        (
            "budget",
            format!("{lever}{outcome}better = \"higher\"\n[search]\nbudget = -1000000000\n"),
            vec!["budget.toml:", "[search] `budget` = -1000000000: no candidate meets it", "-810000"],
        ),
        (
            "robustness",
            format!("{lever}{outcome}better = \"higher\"\nrobustness = \"p50\"\n"),
            vec!["robustness", "`p50`", ":"],
        ),
    ];
    for (name, body, expected) in cases {
        let path = scratch.path().join(format!("{name}.toml"));
        fs::write(&path, format!("model = {:?}\n{body}", model.to_str().expect("utf-8"))).expect("written");
        let out = scratch.path().join(name);
        let output = fulcrum(&["search", path.to_str().expect("utf-8"), "-o", out.to_str().expect("utf-8")]);
        assert!(!output.status.success(), "{name}");
        let message = stderr(&output);
        for piece in expected {
            assert!(message.contains(piece), "{name}: `{piece}` not in\n{message}");
        }
        assert!(!out.join("pareto.csv").exists(), "{name}");
    }
}

/// A search killed after it checkpointed a generation resumes to the bytes of an uninterrupted
/// one, as a sweep does: without --resume the folder is refused, and a resume with other flags
/// is refused at the checkpoint's key that differs.
#[test]
fn a_killed_search_resumes_to_the_bytes_of_an_uninterrupted_one() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let path = |dir: &Path| dir.to_str().expect("utf-8").to_owned();
    let flags = [
        "models/ai_lever/search.toml",
        "--futures",
        "16",
        "--population",
        "20",
        "--generations",
        "12",
        "--seed",
        "1",
        "--checkpoint-every",
        "0",
    ];
    let whole = scratch.path().join("whole");
    let output = fulcrum(&[&["search"], &flags[..], &["-o", &path(&whole)]].concat());
    assert!(output.status.success(), "{}", stderr(&output));

    // Kill the search once it has checkpointed its third generation (generation 2).
    let out = scratch.path().join("killed");
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_fulcrum"))
        .args([&["search"], &flags[..], &["-o", &path(&out)]].concat())
        .current_dir(crate::root())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("starts");
    let checkpoint = out.join(".fulcrum-partial").join("search-checkpoint.json");
    let generation = || -> Option<u64> {
        let text = fs::read_to_string(&checkpoint).ok()?;
        let json: serde_json::Value = serde_json::from_str(&text).ok()?;
        json.get("generation")?.as_u64()
    };
    let started = std::time::Instant::now();
    while generation().is_none_or(|generation| generation < 2) {
        assert!(child.try_wait().expect("waits").is_none(), "the search ended before it could be interrupted");
        assert!(started.elapsed().as_secs() < 300, "no checkpoint was written");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().expect("killed");
    child.wait().expect("waited");
    let kept = generation().expect("a checkpoint");
    assert!(kept < 12, "the search had finished");
    assert!(!out.join("pareto.csv").exists() && !out.join("manifest.json").exists());

    // Without --resume the folder is refused; with other flags, at the key that differs.
    let again = fulcrum(&[&["search"], &flags[..], &["-o", &path(&out)]].concat());
    assert_eq!(again.status.code(), Some(2));
    assert!(stderr(&again).contains("add --resume"), "{}", stderr(&again));
    let mut other = flags.to_vec();
    other[4] = "22";
    let refused = fulcrum(&[&["search"], &other[..], &["-o", &path(&out), "--resume"]].concat());
    assert_eq!(refused.status.code(), Some(2));
    let message = stderr(&refused);
    assert!(
        message.contains("search-checkpoint.json:")
            && message.contains("`settings.population` is 20 there and 22 here"),
        "{message}"
    );

    // Resumed, on another thread count: the same files, and the partial folder is gone.
    let resumed = fulcrum(&[&["search"], &flags[..], &["-o", &path(&out), "--resume", "--threads", "1"]].concat());
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    assert!(stderr(&resumed).contains("evaluated before the interruption and kept"), "{}", stderr(&resumed));
    assert!(!out.join(".fulcrum-partial").exists());
    assert!(
        crate::files(&out) == crate::files(&whole),
        "the resumed search's files differ from the uninterrupted one's"
    );
    let nothing = fulcrum(&[&["search"], &flags[..], &["-o", &path(&out), "--resume"]].concat());
    assert_eq!(nothing.status.code(), Some(2), "{}", stderr(&nothing));
    assert!(stderr(&nothing).contains("holds no interrupted search"), "{}", stderr(&nothing));
}

/// `search` on a model whose best robust policies are known in closed form
/// (tests/fixtures/newsvendor): an order x sold at price p = 4 up to demand d, each unit bought at
/// c = 1, so profit(x, d) = p·min(x, d) − c·x, with d uniform on [a, b] = [50, 150] over n = 100
/// Latin hypercube futures. The experiment has three objectives on the same profit, summarized
/// three ways, and the front holds each statistic's own optimum.
///
/// Mean. The mean profit over the futures is (1/n)·Σ p·min(x, dᵢ) − c·x, concave in x with right
/// slope p·#{dᵢ > x}/n − c: it rises while more than n·c/p = 25 futures have dᵢ > x and falls
/// after, so it is greatest on [d₍₇₅₎, d₍₇₆₎] (order statistics). In the limit that is the
/// critical fractile F⁻¹(1 − c/p) = a + 0.75(b − a) = 125; a Latin hypercube puts d₍ₖ₎ in its
/// stratum [a + (k − 1)(b − a)/n, a + k(b − a)/n], so the sample's optimum lies in [124, 126].
/// The mean profit there is p·E[min(x, D)] − c·x with E[min(x, D)] = ((x² − a²)/2 + x(b − x))/(b − a):
/// 4 · 96.875 − 125 = 262.5.
///
/// 10th percentile. Profit rises with d for any x, so its order statistics are those of d, and
/// the p10 (linear interpolation, position 0.1·(n − 1) = 9.9) is 0.1·profit(x, d₍₁₀₎) +
/// 0.9·profit(x, d₍₁₁₎). Its slope in x is p − c below d₍₁₀₎, 0.9p − c = 2.6 between d₍₁₀₎ and
/// d₍₁₁₎, and −c above: the best order is d₍₁₁₎, in [60, 61] (F⁻¹(0.1) = 60 in the limit), where
/// the p10 profit is about (p − c)·60 = 180.
///
/// 90th percentile. Likewise the p90 (position 89.1) is 0.9·profit(x, d₍₉₀₎) + 0.1·profit(x, d₍₉₁₎),
/// with slope p − c below d₍₉₀₎ and 0.1p − c = −0.6 above it: the best order is d₍₉₀₎, in
/// [139, 140] (F⁻¹(0.9) = 140), where the p90 profit is about (p − c)·140 = 420.
///
/// The search must land within half a stratum (0.5 units of order, 0.5% of the lever's range)
/// of those intervals, and its profits within 1% of the closed forms.
#[test]
fn search_finds_the_newsvendors_closed_form_orders_for_the_mean_the_p10_and_the_p90() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let out = scratch.path().join("out");
    let output = fulcrum(&[
        "search",
        "tests/fixtures/newsvendor/experiment.toml",
        "-o",
        out.to_str().expect("utf-8"),
        "--population",
        "20",
        "--generations",
        "30",
        "--seed",
        "3",
    ]);
    assert!(output.status.success(), "{}", stderr(&output));
    let (header, rows) = table(&out.join("pareto.csv"));
    assert_eq!(header, ["Order Quantity", "mean profit", "profit (p10)", "upside profit (p90)", "cost"]);
    let best = |column: usize| {
        rows.iter().max_by(|a, b| number(&a[column]).total_cmp(&number(&b[column]))).expect("a front").clone()
    };
    let for_mean = best(1);
    let order = number(&for_mean[0]);
    assert!(
        (123.5..=126.5).contains(&order),
        "best order for the mean profit {order}, not in [124, 126]: {for_mean:?}"
    );
    approx::assert_relative_eq!(number(&for_mean[1]), 262.5, max_relative = 0.01);
    let for_p10 = best(2);
    let order = number(&for_p10[0]);
    assert!((59.5..=61.5).contains(&order), "best order for the p10 profit {order}, not in [60, 61]: {for_p10:?}");
    approx::assert_relative_eq!(number(&for_p10[2]), 180.0, max_relative = 0.01);
    let for_p90 = best(3);
    let order = number(&for_p90[0]);
    assert!((138.5..=140.5).contains(&order), "best order for the p90 profit {order}, not in [139, 140]: {for_p90:?}");
    approx::assert_relative_eq!(number(&for_p90[3]), 420.0, max_relative = 0.01);
    // Between the two, the front trades one for the other: no order beats both.
    assert!(rows.len() > 2, "{rows:?}");
}

/// With four or more objectives the hypervolume is estimated from a sample counted on every
/// worker thread; the workforce experiment's six objectives give the same files on one thread
/// or two.
#[test]
fn a_search_of_six_objectives_is_the_same_on_one_thread_or_two() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let (written, _) = same_on_one_thread_or_two(
        scratch.path(),
        &[
            "search",
            "models/workforce/experiment.toml",
            "--futures",
            "4",
            "--population",
            "12",
            "--generations",
            "4",
            "--seed",
            "2",
        ],
    );
    let (header, rows) = table(&scratch.path().join("1").join("pareto.csv"));
    // Five outcomes with `better` and the cost: the estimate, not the exact slicing.
    let objectives = header.iter().skip_while(|name| name.as_str() != "capacity at month 24").count();
    assert_eq!(objectives, 6, "{header:?}");
    assert!(!rows.is_empty());
    let convergence = String::from_utf8_lossy(&written["convergence.csv"]).into_owned();
    assert!(
        convergence.lines().skip(1).all(|line| line.split(',').nth(2).is_some_and(|hv| hv != "0")),
        "{convergence}"
    );
}
