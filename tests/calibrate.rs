//! `fulcrum calibrate` end to end: a small decay model fitted to data made from it, the files it
//! writes, and the same bytes at any thread count.

use sha2::{Digest, Sha256};

use crate::{fulcrum, stderr};

/// Every file a calibration writes, the manifest last.
const FILES: [&str; 6] = ["fit.csv", "posterior.csv", "diagnostics.csv", "fit.svg", "summary.md", "manifest.json"];

fn sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes).iter().map(|byte| format!("{byte:02x}")).collect()
}

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
    for file in FILES {
        let (a, b) = (std::fs::read(one.join(file)).expect("written"), std::fs::read(two.join(file)).expect("written"));
        assert_eq!(a, b, "{file} differs between 1 and 2 threads");
    }
    assert!(!one.join(".fulcrum-partial").exists(), "a finished calibration leaves no checkpoint");
    // The manifest: the inputs' digests, the seed, the settings, and every file's digest.
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(one.join("manifest.json")).expect("written")).expect("JSON");
    assert_eq!(manifest["seed"], 5);
    assert_eq!(manifest["data"]["path"], "history.csv");
    assert_eq!(manifest["data"]["sha256"], sha256(history().as_bytes()));
    assert_eq!(manifest["model"]["sha256"], sha256(MODEL.as_bytes()));
    assert_eq!(manifest["experiment"]["sha256"], sha256(EXPERIMENT.as_bytes()));
    assert_eq!(manifest["settings"]["draws"], 2000);
    assert_eq!(manifest["converged"], true);
    let files = manifest["files"].as_array().expect("a list");
    assert_eq!(files.len(), 5);
    for entry in files {
        let name = entry["path"].as_str().expect("a name");
        assert_eq!(entry["sha256"], sha256(&std::fs::read(one.join(name)).expect("listed files exist")), "{name}");
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
    assert!(diagnostics.starts_with("constant,best,mean,sd,q05,median,q95,r_hat,ess_bulk,ess_tail,tau\nRate,"));
}

#[test]
fn a_calibration_stopped_after_a_round_resumes_to_the_bytes_of_an_uninterrupted_one() {
    let directory = tempfile::tempdir().expect("temp dir");
    let dir = directory.path();
    // Few draws to a round and 16 walkers: R-hat needs the chain doubled several times.
    let experiment = EXPERIMENT.replace("draws = 2000", "draws = 200\nwalkers = 16\nrestarts = 1");
    std::fs::write(dir.join("model.toml"), MODEL).expect("writable");
    std::fs::write(dir.join("e.toml"), &experiment).expect("writable");
    std::fs::write(dir.join("history.csv"), history()).expect("writable");
    let path = |name: &str| dir.join(name).to_str().expect("utf-8").to_owned();
    let calibrate = |out: &str, extra: &[&str]| {
        let mut arguments = vec!["calibrate".to_owned(), path("e.toml"), "-o".to_owned(), path(out)];
        arguments.extend(extra.iter().map(|argument| (*argument).to_owned()));
        let arguments: Vec<&str> = arguments.iter().map(String::as_str).collect();
        fulcrum(&arguments)
    };
    let straight = calibrate("straight", &["--threads", "2"]);
    assert!(straight.status.success(), "{}", stderr(&straight));
    let summary = std::fs::read_to_string(dir.join("straight/summary.md")).expect("written");
    let steps: usize = summary
        .split(" steps (")
        .next()
        .and_then(|before| before.rsplit(' ').next())
        .and_then(|steps| steps.parse().ok())
        .expect("the summary gives the steps");
    // The first round keeps 13 steps of 16 walkers (200 draws) and runs 26: at least three
    // rounds when the chain has four times that many steps or more.
    assert!(steps >= 4 * 26, "{steps} steps: the chain finished too early to be interrupted after round 2");

    // Stopped after round 2 of the sampler, as a kill after its checkpoint leaves it.
    let stopped = calibrate("resumed", &["--threads", "1", "--stop-after-round", "2"]);
    assert!(stopped.status.success(), "{}", stderr(&stopped));
    let checkpoint = dir.join("resumed/.fulcrum-partial/calibration.json");
    assert!(checkpoint.exists(), "no checkpoint");
    let saved: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(&checkpoint).expect("reads")).expect("JSON");
    assert_eq!(saved["round"], 2);
    assert!(!dir.join("resumed/manifest.json").exists(), "an interrupted calibration has no manifest");
    assert!(!dir.join("resumed/posterior.csv").exists());

    // Without --resume the directory is refused.
    let refused = calibrate("resumed", &[]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
    assert!(stderr(&refused).contains("--resume"), "{}", stderr(&refused));
    // A changed data file cannot resume it: the error names the file and the checkpoint.
    std::fs::write(dir.join("history.csv"), history().replace("0,100.300", "0,100.4")).expect("writable");
    let changed = calibrate("resumed", &["--resume"]);
    assert_eq!(changed.status.code(), Some(2), "{}", stderr(&changed));
    assert!(stderr(&changed).contains("data file history.csv has changed"), "{}", stderr(&changed));
    assert!(stderr(&changed).contains("calibration.json"), "{}", stderr(&changed));
    std::fs::write(dir.join("history.csv"), history()).expect("writable");

    let resumed = calibrate("resumed", &["--resume", "--threads", "2"]);
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    assert!(stderr(&resumed).contains("resuming after round 2"), "{}", stderr(&resumed));
    for file in FILES {
        let whole = std::fs::read(dir.join("straight").join(file)).expect("written");
        let again = std::fs::read(dir.join("resumed").join(file)).expect("written");
        assert!(whole == again, "{file} of the resumed calibration differs from the uninterrupted one's");
    }
    assert!(!dir.join("resumed/.fulcrum-partial").exists());
    // Nothing is left to resume.
    let nothing = calibrate("resumed", &["--resume"]);
    assert_eq!(nothing.status.code(), Some(2), "{}", stderr(&nothing));
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
    // The manifest records the table of draws with its digest.
    let manifest: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("manifest.json")).expect("written")).expect("JSON");
    assert_eq!(manifest["draws"]["path"], "posterior.csv");
    assert_eq!(manifest["draws"]["sha256"], sha256(b"Rate,log_posterior\n0.11,-1\n0.12,-2\n0.13,-3\n"));
    // A column that is no uncertain constant is located in the table of draws.
    std::fs::write(dir.join("posterior.csv"), "Rte,log_posterior\n0.11,-1\n").expect("writable");
    let again = dir.join("again");
    let output = fulcrum(&["sweep", experiment, "-o", again.to_str().expect("utf-8")]);
    assert_eq!(output.status.code(), Some(1));
    assert!(stderr(&output).contains("posterior.csv:1:1"), "{}", stderr(&output));
}

/// The influenza outbreak in an English boarding school in January 1978: boys confined to bed,
/// day by day, out of 763, one case at the start. Data: Anonymous (1978), "Influenza in a
/// boarding school", British Medical Journal 1(6112): 587. The SIR fit of J. D. Murray,
/// Mathematical Biology I: An Introduction (3rd ed., Springer 2002), section 10.2, gives an
/// infectivity r = 2.18 × 10⁻³ per day and a recovery rate a = 0.44 per day.
const BOARDING_SCHOOL: &str = "time (days),Infected\n1,3\n2,8\n3,28\n4,75\n5,221\n6,281\n7,255\n8,235\n9,190\n10,125\n11,70\n12,28\n13,12\n14,5\n";

#[test]
fn the_boarding_school_influenza_fit_matches_the_published_sir_estimates() {
    let model = "[model]\nname = \"SIR\"\n[sim]\nstart = 0\nstop = 14\ndt = 0.125\nmethod = \"rk4\"\nsave_step = 1\n\
                 time_units = \"days\"\n\
                 [[stock]]\nname = \"Susceptible\"\ninitial = \"762\"\noutflows = [\"Infection\"]\n\
                 [[stock]]\nname = \"Infected\"\ninitial = \"1\"\ninflows = [\"Infection\"]\noutflows = [\"Recovery\"]\n\
                 [[stock]]\nname = \"Recovered\"\ninitial = \"0\"\ninflows = [\"Recovery\"]\n\
                 [[flow]]\nname = \"Infection\"\nequation = \"Infectivity * Susceptible * Infected\"\n\
                 [[flow]]\nname = \"Recovery\"\nequation = \"Recovery_Rate * Infected\"\n\
                 [[constant]]\nname = \"Infectivity\"\nvalue = 0.002\n\
                 [[constant]]\nname = \"Recovery Rate\"\nvalue = 0.5\n";
    let experiment = "model = \"model.toml\"\n[sampling]\nseed = 1\n\
                      [[uncertain]]\nname = \"Infectivity\"\ndistribution = \"uniform\"\nmin = 0.001\nmax = 0.004\n\
                      [[uncertain]]\nname = \"Recovery Rate\"\ndistribution = \"uniform\"\nmin = 0.2\nmax = 0.8\n\
                      [calibration]\ndata = \"flu.csv\"\nconstants = [\"Infectivity\", \"Recovery Rate\"]\n\
                      likelihood = \"gaussian\"\ndraws = 1000\nrestarts = 1\n";
    let directory = tempfile::tempdir().expect("temp dir");
    let dir = directory.path();
    std::fs::write(dir.join("model.toml"), model).expect("writable");
    std::fs::write(dir.join("e.toml"), experiment).expect("writable");
    std::fs::write(dir.join("flu.csv"), BOARDING_SCHOOL).expect("writable");
    let (path, out) = (dir.join("e.toml"), dir.join("out"));
    let output = fulcrum(&["calibrate", path.to_str().expect("utf-8"), "-o", out.to_str().expect("utf-8")]);
    assert!(output.status.success(), "{}", stderr(&output));
    let fit = std::fs::read_to_string(out.join("fit.csv")).expect("written");
    let values: Vec<f64> =
        fit.lines().nth(1).expect("a row").split(',').take(2).map(|cell| cell.parse().expect("a number")).collect();
    assert!((values[0] / 2.18e-3 - 1.0).abs() < 0.01, "infectivity {}", values[0]);
    assert!((values[1] / 0.44 - 1.0).abs() < 0.05, "recovery rate {}", values[1]);
}
