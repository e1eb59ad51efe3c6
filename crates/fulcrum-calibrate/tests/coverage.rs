//! Synthetic recovery: for each of 50 seeds, three constants of a logistic model are drawn from
//! their priors, data are made from the model at those values plus Gaussian noise of a known
//! scale, and the model is calibrated to the data. If the calibration is right, each true value
//! lies inside its 90% credible interval (5% to 95% posterior quantiles) in 90% of cases; over
//! 150 intervals, 85% to 95% is a band of about ±2 standard deviations of that count. The best
//! fit must also lie within the noise of the truth.
//!
//! Fifty calibrations take minutes in a debug build, so the test runs in release builds only
//! (`cargo test --release -p fulcrum-calibrate --test coverage`); a debug build lists it as
//! ignored, with that command as the reason.

// A test stops at the first surprise, and says how long the 50 calibrations took.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic, clippy::print_stderr)]

use fulcrum_calibrate::diagnostics::quantile;
use fulcrum_calibrate::{Problem, Settings, calibrate, read_history};
use fulcrum_explore::distribution::normal_quantile;
use fulcrum_model::builder::ModelBuilder;
use fulcrum_sim::CompiledModel;
use rand::rngs::ChaCha8Rng;
use rand::{RngExt, SeedableRng};

const EXPERIMENT: &str = r#"model = "logistic.toml"
[[uncertain]]
name = "Rate"
distribution = "uniform"
min = 0.2
max = 0.8
[[uncertain]]
name = "Capacity"
distribution = "uniform"
min = 80
max = 160
[[uncertain]]
name = "Initial"
distribution = "uniform"
min = 5
max = 20
[calibration]
data = "history.csv"
constants = ["Rate", "Capacity", "Initial"]
likelihood = "gaussian"
draws = 2000
restarts = 2
[calibration.series."Population"]
scale = 3
"#;

fn model() -> CompiledModel {
    let mut model = ModelBuilder::new(0.0, 20.0, 0.25)
        .stock("Population", "Initial", &["Growth"], &[])
        .flow("Growth", "Rate * Population * (1 - Population / Capacity)")
        .constant("Rate", 0.5)
        .constant("Capacity", 100.0)
        .constant("Initial", 10.0)
        .build();
    model.sim.save_step = Some(1.0);
    fulcrum_sim::compile(&fulcrum_model::resolve(&model).expect("resolves")).expect("compiles")
}

#[test]
#[cfg_attr(debug_assertions, ignore = "release only: cargo test --release -p fulcrum-calibrate --test coverage")]
fn ninety_percent_intervals_cover_the_truth_in_85_to_95_percent_of_cases() {
    let model = model();
    let (experiment, diagnostics) = fulcrum_explore::experiment::read(EXPERIMENT).expect("valid TOML");
    assert!(diagnostics.0.is_empty(), "{diagnostics:?}");
    let priors = [(0.2, 0.8), (80.0, 160.0), (5.0, 20.0)];
    let (mut covered, mut intervals) = (0, 0);
    let started = std::time::Instant::now();
    for seed in 0..50u64 {
        let mut rng = ChaCha8Rng::seed_from_u64(1000 + seed);
        let truth: Vec<f64> = priors.iter().map(|(low, high)| low + (high - low) * rng.random::<f64>()).collect();
        let mut run = model.new_run();
        for (name, value) in ["Rate", "Capacity", "Initial"].iter().zip(&truth) {
            run.set(name, *value).expect("a constant");
        }
        let series = run.run().expect("runs").series("Population").expect("a variable").to_vec();
        let mut text = String::from("time,Population\n");
        for (month, value) in series.iter().enumerate() {
            let noise = 3.0 * normal_quantile(rng.random::<f64>());
            text.push_str(&format!("{month},{}\n", value + noise));
        }
        let history = read_history(&text, &model, None).expect("reads");
        let problem = Problem::new(&model, &experiment, &[], &history).expect("binds");
        let calibration = experiment.calibration.as_ref().expect("a table");
        let settings = Settings { threads: 2, band_runs: 1, ..Settings::for_experiment(calibration, seed) };
        let calibrated = calibrate(&problem, &settings);
        assert!(calibrated.posterior.converged, "seed {seed}: {:?}", calibrated.posterior.convergence);
        for (index, true_value) in truth.iter().enumerate() {
            let values: Vec<f64> = calibrated.posterior.draws.iter().map(|draw| draw[index]).collect();
            let (low, high) = (quantile(&values, 0.05), quantile(&values, 0.95));
            intervals += 1;
            if low <= *true_value && *true_value <= high {
                covered += 1;
            }
            // The best fit within the noise of the truth: four posterior standard deviations.
            let mean = values.iter().sum::<f64>() / values.len() as f64;
            let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / values.len() as f64).sqrt();
            let best = calibrated.optimum.point[index];
            assert!((best - true_value).abs() < 4.0 * sd, "seed {seed}: best {best}, truth {true_value}, sd {sd}");
        }
    }
    let share = f64::from(covered) / f64::from(intervals);
    eprintln!("coverage {covered}/{intervals} = {share:.3} in {:.1} s", started.elapsed().as_secs_f64());
    assert!((0.85..=0.95).contains(&share), "coverage {covered} of {intervals}");
}
