//! `fulcrum calibrate` end to end: a small decay model fitted to data made from it, the files it
//! writes, and the same bytes at any thread count.

use crate::{fulcrum, stderr};

const MODEL: &str = r#"[model]
name = "decay"

[sim]
start = 0
stop = 20
dt = 0.25
save_step = 1
time_units = "months"

[[stock]]
name = "Stock"
initial = "100"
outflows = ["Outflow"]

[[flow]]
name = "Outflow"
equation = "Stock * Rate"

[[constant]]
name = "Rate"
value = 0.1
"#;

const EXPERIMENT: &str = r#"model = "model.toml"
[sampling]
seed = 5
[[uncertain]]
name = "Rate"
distribution = "uniform"
min = 0.01
max = 0.5
[calibration]
data = "history.csv"
constants = ["Rate"]
likelihood = "gaussian"
draws = 2000
[calibration.series."Stock"]
scale = 1
"#;

/// Stock(t) = 100 (1 - 0.15/4)^(4t) at Rate 0.15 (Euler, dt 0.25), with fixed noise of about 1.
fn history() -> String {
    let noise = [0.3, -0.8, 1.1, -0.2, 0.6, -1.3, 0.9, 0.1, -0.5, 0.7, -0.9, 1.4, -0.1, 0.2, -0.6, 0.8];
    let mut text = String::from("time (months),Stock\n");
    for (month, noise) in noise.iter().enumerate() {
        let value = 100.0 * (1.0f64 - 0.15 / 4.0).powi(4 * month as i32) + noise;
        // Month 7 is missing, as in real records.
        let cell = if month == 7 { String::new() } else { format!("{value:.3}") };
        text.push_str(&format!("{month},{cell}\n"));
    }
    text
}

#[test]
fn calibrate_writes_the_fit_the_posterior_and_its_diagnostics() {
    let directory = tempfile::tempdir().expect("temp dir");
    let dir = directory.path();
    std::fs::write(dir.join("model.toml"), MODEL).expect("writable");
    std::fs::write(dir.join("e.toml"), EXPERIMENT).expect("writable");
    std::fs::write(dir.join("history.csv"), history()).expect("writable");
    let experiment = dir.join("e.toml");
    let run = |threads: &str, out: &str| {
        let out = dir.join(out);
        let output = fulcrum(&[
            "calibrate",
            experiment.to_str().expect("utf-8"),
            "-o",
            out.to_str().expect("utf-8"),
            "--threads",
            threads,
        ]);
        assert!(output.status.success(), "{}", stderr(&output));
        out
    };
    let one = run("1", "one");
    let two = run("2", "two");
    for file in ["fit.csv", "posterior.csv", "diagnostics.csv", "fit.svg", "summary.md"] {
        let (a, b) = (std::fs::read(one.join(file)).expect("written"), std::fs::read(two.join(file)).expect("written"));
        if file != "summary.md" {
            // The summary states how long it took.
            assert_eq!(a, b, "{file} differs between 1 and 2 threads");
        }
    }
    let fit = std::fs::read_to_string(one.join("fit.csv")).expect("written");
    let lines: Vec<&str> = fit.lines().collect();
    assert_eq!(lines[0], "Rate,log_posterior,log_likelihood,log_prior,sum_of_squares");
    let rate: f64 = lines[1].split(',').next().and_then(|cell| cell.parse().ok()).expect("a number");
    assert!((rate - 0.15).abs() < 0.005, "fitted Rate {rate}");
    let posterior = std::fs::read_to_string(one.join("posterior.csv")).expect("written");
    let rows = posterior.lines().count() - 1;
    assert!((2000..2100).contains(&rows), "{rows} draws");
    assert!(posterior.starts_with("Rate,log_posterior\n"));
    let diagnostics = std::fs::read_to_string(one.join("diagnostics.csv")).expect("written");
    assert!(diagnostics.starts_with("constant,best,mean,sd,q05,median,q95,r_hat,ess_bulk,ess_tail\nRate,"));
}

#[test]
fn a_sweep_draws_the_calibrated_constants_from_the_posterior() {
    let directory = tempfile::tempdir().expect("temp dir");
    let dir = directory.path();
    std::fs::write(dir.join("model.toml"), MODEL).expect("writable");
    // Three draws, one per row; `log_posterior` is left aside.
    std::fs::write(dir.join("posterior.csv"), "Rate,log_posterior\n0.11,-1\n0.12,-2\n0.13,-3\n").expect("writable");
    let experiment = "model = \"model.toml\"\n[sampling]\nruns = 30\nseed = 4\nfrom = \"posterior.csv\"\n\
                      [[uncertain]]\nname = \"Rate\"\ndistribution = \"uniform\"\nmin = 0.01\nmax = 0.5\n";
    std::fs::write(dir.join("e.toml"), experiment).expect("writable");
    let out = dir.join("out");
    let experiment = dir.join("e.toml");
    let experiment = experiment.to_str().expect("utf-8");
    let output = fulcrum(&["sweep", experiment, "-o", out.to_str().expect("utf-8")]);
    assert!(output.status.success(), "{}", stderr(&output));
    let inputs = std::fs::read_to_string(out.join("experiments.csv")).expect("written");
    let mut lines = inputs.lines();
    let header: Vec<&str> = lines.next().expect("a header").split(',').collect();
    let column = header.iter().position(|name| *name == "Rate").expect("a Rate column");
    let mut seen = std::collections::BTreeSet::new();
    for line in lines {
        let value = line.split(',').nth(column).expect("a cell").to_owned();
        assert!(["0.11", "0.12", "0.13"].contains(&value.as_str()), "Rate {value} is not a posterior draw");
        seen.insert(value);
    }
    assert_eq!(seen.len(), 3);
    // A column that is no uncertain constant is located in the table of draws.
    std::fs::write(dir.join("posterior.csv"), "Rte,log_posterior\n0.11,-1\n").expect("writable");
    let again = dir.join("again");
    let output = fulcrum(&["sweep", experiment, "-o", again.to_str().expect("utf-8")]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("posterior.csv:1:1"), "{}", stderr(&output));
}
