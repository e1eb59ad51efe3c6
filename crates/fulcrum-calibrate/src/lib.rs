//! Calibration: the constants of an experiment fitted to historical series (a payoff or likelihood,
//! a global optimizer, then a posterior sampled by MCMC) so that later sweeps run over what the
//! data allows.
//!
//! [`read_history`] matches a CSV of history to the model's saved times; [`Problem::new`] binds an
//! experiment's `[calibration]` table (the fitted constants, whose `[[uncertain]]` distributions
//! are the priors, and the likelihood of each series) to the model and the data; [`calibrate`]
//! runs [`optimize::optimize`] (differential evolution with restarts) to the best fit, then
//! [`sample::sample`] (an affine-invariant ensemble) for the posterior, with
//! [`diagnostics::convergence`] enforced, and the band of runs over the posterior
//! ([`Predictive`]). [`calibrate_in_rounds`] does the same in rounds, handing over a
//! [`Progress`] after each so that a stopped calibration resumes to the same bits. Every step scores many runs at once in the simulator's lanes, over threads,
//! and is the same for a seed at any thread count.
//!
//! ```
//! use fulcrum_calibrate::{Settings, payoff::Scoring};
//! let settings = Settings::default();
//! assert_eq!(settings.sampler.draws, 20_000);
//! ```

pub mod data;
pub mod diagnostics;
pub mod optimize;
pub mod payoff;
pub mod problem;
pub mod sample;

pub use data::{History, read_history};
pub use optimize::Optimum;
pub use problem::{Problem, Score};
pub use sample::Posterior;

use fulcrum_explore::experiment::Calibration;

/// How a calibration runs.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Settings {
    /// The optimizer's settings.
    pub optimizer: optimize::Settings,
    /// The sampler's settings.
    pub sampler: sample::Settings,
    /// The seed of every random draw.
    pub seed: u64,
    /// Threads to run on; the result does not depend on it.
    pub threads: usize,
    /// Posterior draws run over the whole horizon for the band of [`Predictive`].
    pub band_runs: usize,
}

impl Default for Settings {
    fn default() -> Settings {
        Settings {
            optimizer: optimize::Settings::default(),
            sampler: sample::Settings::default(),
            seed: 0,
            threads: 1,
            band_runs: 200,
        }
    }
}

impl Settings {
    /// The defaults with what an experiment's `[calibration]` table sets, and its seed.
    pub fn for_experiment(calibration: &Calibration, seed: u64) -> Settings {
        let mut settings = Settings { seed, ..Settings::default() };
        if let Some((restarts, _)) = calibration.restarts {
            settings.optimizer.restarts = restarts as usize;
        }
        if let Some((draws, _)) = calibration.draws {
            settings.sampler.draws = draws as usize;
            settings.sampler.max_draws = settings.sampler.max_draws.max(16 * draws as usize);
        }
        if let Some((walkers, _)) = calibration.walkers {
            settings.sampler.walkers = walkers as usize;
        }
        settings
    }
}

/// What a calibration finds.
#[derive(Clone, Debug, PartialEq)]
pub struct Calibrated {
    /// The best fit.
    pub optimum: Optimum,
    /// The posterior draws and their diagnostics.
    pub posterior: Posterior,
    /// The data against the best fit and the band of runs over the posterior.
    pub predictive: Predictive,
}

/// Each observed variable over the whole run: the best fit's values and the 5%, 50% and 95%
/// quantiles of the runs of posterior draws (the model's values; measurement noise not added).
#[derive(Clone, Debug, PartialEq)]
pub struct Predictive {
    /// The saved times.
    pub times: Vec<f64>,
    /// One per observed series.
    pub series: Vec<PredictiveSeries>,
}

/// One variable of [`Predictive`].
#[derive(Clone, Debug, PartialEq)]
pub struct PredictiveSeries {
    /// The data column's name.
    pub name: String,
    /// The observations: (time, value).
    pub data: Vec<(f64, f64)>,
    /// The best fit's run.
    pub fitted: Vec<f64>,
    /// The 5% quantile of the posterior runs at each time.
    pub low: Vec<f64>,
    /// The median.
    pub median: Vec<f64>,
    /// The 95% quantile.
    pub high: Vec<f64>,
}

/// Fits the problem: the optimizer, then the sampler started at the optimum, then the band.
pub fn calibrate(problem: &Problem<'_>, settings: &Settings) -> Calibrated {
    let optimum = optimize::optimize(problem, &settings.optimizer, settings.seed, settings.threads);
    let posterior = sample::sample(problem, &optimum.point, &settings.sampler, settings.seed, settings.threads);
    let predictive = predictive(problem, &optimum.point, &posterior, settings.band_runs);
    Calibrated { optimum, posterior, predictive }
}

/// Where a calibration stands between rounds: the optimizer's result and the sampler's chain
/// (before its first round, or after its last finished one). Saved, it lets a long calibration
/// that was stopped go on to the same result as one that was not.
#[derive(Clone, Debug, PartialEq)]
pub struct Progress {
    /// The best fit.
    pub optimum: Optimum,
    /// The chain, started at the best fit.
    pub chain: sample::Chain,
}

/// [`calibrate`] in rounds: from `resume` when given (the optimizer then does not run again),
/// calling `checkpoint` after the optimizer and after each round of the sampler that does not
/// finish the chain. `checkpoint` returning `Break` stops the calibration there (`None`). The
/// result is the same bits as [`calibrate`]'s, whether or not it was stopped and resumed.
pub fn calibrate_in_rounds(
    problem: &Problem<'_>,
    settings: &Settings,
    resume: Option<Progress>,
    checkpoint: &mut dyn FnMut(&Progress) -> std::ops::ControlFlow<()>,
) -> Option<Calibrated> {
    let (seed, threads) = (settings.seed, settings.threads);
    let mut progress = match resume {
        Some(progress) => progress,
        None => {
            let optimum = optimize::optimize(problem, &settings.optimizer, seed, threads);
            let chain = sample::begin(problem, &optimum.point, &settings.sampler, seed, threads);
            let progress = Progress { optimum, chain };
            checkpoint(&progress).is_continue().then_some(())?;
            progress
        }
    };
    loop {
        match sample::advance(problem, &mut progress.chain, &settings.sampler, seed, threads) {
            sample::Round::Finished(posterior) => {
                let predictive = predictive(problem, &progress.optimum.point, &posterior, settings.band_runs);
                return Some(Calibrated { optimum: progress.optimum, posterior: *posterior, predictive });
            }
            sample::Round::Continues => checkpoint(&progress).is_continue().then_some(())?,
        }
    }
}

fn predictive(problem: &Problem<'_>, best: &[f64], posterior: &Posterior, runs: usize) -> Predictive {
    let times = problem.model().axis().save_times();
    let total = posterior.draws.len();
    let runs = runs.min(total).max(1);
    let mut points: Vec<Vec<f64>> = vec![best.to_vec()];
    points.extend((0..runs).filter_map(|index| posterior.draws.get(index * total / runs).cloned()));
    let trajectories = problem.trajectories(&points);
    let series = problem
        .observed
        .iter()
        .enumerate()
        .map(|(index, observed)| {
            let band = |probability: f64| -> Vec<f64> {
                (0..times.len())
                    .map(|time| {
                        let values: Vec<f64> = trajectories[1..]
                            .iter()
                            .map(|run| run[index][time])
                            .filter(|value| value.is_finite())
                            .collect();
                        diagnostics::quantile(&values, probability)
                    })
                    .collect()
            };
            PredictiveSeries {
                name: observed.name.clone(),
                data: observed.points.iter().map(|(saved, value)| (times[*saved], *value)).collect(),
                fitted: trajectories.first().map(|run| run[index].clone()).unwrap_or_default(),
                low: band(0.05),
                median: band(0.5),
                high: band(0.95),
            }
        })
        .collect();
    Predictive { times, series }
}

#[cfg(test)]
mod tests {
    use super::*;
    use fulcrum_model::builder::ModelBuilder;
    use fulcrum_sim::CompiledModel;

    /// Logistic growth: `Population` grows at `Rate` towards `Capacity`.
    fn model() -> CompiledModel {
        let mut model = ModelBuilder::new(0.0, 20.0, 0.25)
            .stock("Population", "10", &["Growth"], &[])
            .flow("Growth", "Rate * Population * (1 - Population / Capacity)")
            .constant("Rate", 0.5)
            .constant("Capacity", 100.0)
            .build();
        model.sim.save_step = Some(1.0);
        fulcrum_sim::compile(&fulcrum_model::resolve(&model).expect("resolves")).expect("compiles")
    }

    const EXPERIMENT: &str = r#"model = "m.toml"
[sampling]
seed = 3
[[uncertain]]
name = "Rate"
distribution = "uniform"
min = 0.1
max = 1.5
[[uncertain]]
name = "Capacity"
distribution = "uniform"
min = 50
max = 200
[calibration]
data = "history.csv"
constants = ["Rate", "Capacity"]
likelihood = "gaussian"
draws = 4000
[calibration.series."Population"]
scale = 2
"#;

    /// Data from the model at Rate 0.4 and Capacity 120, with fixed pseudo-noise of scale 2.
    fn history(model: &CompiledModel) -> History {
        let mut run = model.new_run();
        run.set("Rate", 0.4).expect("a constant");
        run.set("Capacity", 120.0).expect("a constant");
        let results = run.run().expect("runs");
        let series = results.series("Population").expect("a variable");
        let noise = [
            1.3, -2.1, 0.4, 2.7, -0.8, -1.9, 0.2, 1.1, -3.0, 0.9, 2.2, -0.5, -1.2, 1.6, 0.1, -2.4, 0.7, 1.9, -0.3, -1.0,
        ];
        let mut text = String::from("time,Population\n");
        for (time, noise) in noise.iter().enumerate() {
            text.push_str(&format!("{},{}\n", time + 1, series[time + 1] + noise));
        }
        read_history(&text, model, None).expect("reads")
    }

    #[test]
    fn a_logistic_curve_is_recovered_with_a_converged_posterior() {
        let model = model();
        let (experiment, diagnostics) = fulcrum_explore::experiment::read(EXPERIMENT).expect("valid TOML");
        assert!(diagnostics.0.is_empty(), "{diagnostics:?}");
        let problem = Problem::new(&model, &experiment, &[], &history(&model)).expect("binds");
        let calibration = experiment.calibration.as_ref().expect("a table");
        let settings = Settings { threads: 2, ..Settings::for_experiment(calibration, 3) };
        let calibrated = calibrate(&problem, &settings);
        let best = &calibrated.optimum.point;
        assert!((best[0] - 0.4).abs() < 0.03 && (best[1] - 120.0).abs() < 3.0, "{best:?}");
        let posterior = &calibrated.posterior;
        assert!(posterior.converged, "{:?}", posterior.convergence);
        assert!(posterior.draws.len() >= 4000 - 16 && posterior.draws.len() <= 4000 + 16);
        for (index, truth) in [0.4, 120.0].iter().enumerate() {
            let values: Vec<f64> = posterior.draws.iter().map(|draw| draw[index]).collect();
            let (low, high) = (diagnostics::quantile(&values, 0.005), diagnostics::quantile(&values, 0.995));
            assert!(low < *truth && *truth < high, "{truth} outside {low}..{high}");
        }
        let band = &calibrated.predictive.series[0];
        assert_eq!(band.fitted.len(), 21);
        assert!(band.low.iter().zip(&band.high).all(|(low, high)| low <= high));
    }

    #[test]
    fn a_calibration_stopped_after_any_round_and_resumed_gives_the_same_result() {
        let model = model();
        let (experiment, _) = fulcrum_explore::experiment::read(EXPERIMENT).expect("valid TOML");
        let problem = Problem::new(&model, &experiment, &[], &history(&model)).expect("binds");
        let mut settings = Settings { seed: 5, threads: 2, ..Settings::default() };
        settings.optimizer.restarts = 1;
        settings.optimizer.generations = 30;
        // Few draws: the chain needs several rounds to reach 50 autocorrelation times.
        settings.sampler = sample::Settings { draws: 160, max_draws: 20_000, ..sample::Settings::default() };
        let straight = calibrate(&problem, &settings);
        let mut saved = Vec::new();
        let whole = calibrate_in_rounds(&problem, &settings, None, &mut |progress| {
            saved.push(progress.clone());
            std::ops::ControlFlow::Continue(())
        });
        assert_eq!(whole.as_ref(), Some(&straight));
        let count = saved.len();
        assert!(count >= 3, "{count} checkpoints");
        for (round, progress) in saved.into_iter().enumerate() {
            assert_eq!(progress.chain.round, round);
            let mut later = 0;
            let resumed =
                calibrate_in_rounds(&problem, &Settings { threads: 1, ..settings }, Some(progress), &mut |_| {
                    later += 1;
                    std::ops::ControlFlow::Continue(())
                });
            assert_eq!(resumed.as_ref(), Some(&straight), "resumed after round {round}");
            assert_eq!(later, count - round - 1, "checkpoints after resuming from round {round}");
        }
        // Stopping at the first checkpoint gives nothing.
        let stopped = calibrate_in_rounds(&problem, &settings, None, &mut |_| std::ops::ControlFlow::Break(()));
        assert_eq!(stopped, None);
    }

    #[test]
    fn the_same_seed_gives_the_same_draws_at_any_thread_count() {
        let model = model();
        let (experiment, _) = fulcrum_explore::experiment::read(EXPERIMENT).expect("valid TOML");
        let problem = Problem::new(&model, &experiment, &[], &history(&model)).expect("binds");
        let mut settings = Settings { seed: 11, ..Settings::default() };
        settings.optimizer.restarts = 1;
        settings.optimizer.generations = 30;
        settings.sampler = sample::Settings { draws: 640, max_draws: 640, ..sample::Settings::default() };
        let one = calibrate(&problem, &Settings { threads: 1, ..settings });
        let two = calibrate(&problem, &Settings { threads: 2, ..settings });
        assert_eq!(one, two);
        let other = calibrate(&problem, &Settings { seed: 12, threads: 2, ..settings });
        assert_ne!(one.posterior.draws, other.posterior.draws);
    }
}
