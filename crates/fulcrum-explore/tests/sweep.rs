//! Sweeps end to end in the library: determinism across threads, lanes and waves; outcomes and
//! bands checked against independent computations; failed runs; interventions part-way.

// Test helpers stop at the first surprise, like the tests themselves.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use fulcrum_explore::bands::{BandParts, BandRow, EXACT_LIMIT, PartsError, QuantileMethod, SKETCH_RELATIVE_ERROR};
use fulcrum_explore::sweep::{BLOCK_RUNS, Silent};
use fulcrum_explore::{
    Block, Design, Distribution, Factor, FactorKind, MEMORY_LIMIT, Outcome, Sampler, Setting, Sink, Statistic, Summary,
    Sweep, Table,
};
use fulcrum_model::builder::ModelBuilder;
use fulcrum_sim::{CompileOptions, CompiledModel, VarId, compile_with};
use proptest::prelude::*;

/// A stock with a random inflow, so that in-model randomness is exercised too.
fn noisy_model() -> CompiledModel {
    let model = ModelBuilder::new(0.0, 10.0, 0.25)
        .save_step(0.5)
        .stock("Level", "Start", &["Inflow"], &["Outflow"])
        .flow("Inflow", "Rate * (1 + NORMAL(0, 0.1))")
        .flow("Outflow", "Level / Residence")
        .aux("Gap", "Level - Start")
        .constant("Start", 10.0)
        .constant("Rate", 2.0)
        .constant("Residence", 4.0)
        .build();
    let resolved = fulcrum_model::resolve(&model).expect("valid");
    let changing = vec![resolved.lookup("Rate").expect("Rate")];
    compile_with(&resolved, &CompileOptions { changing_constants: changing, needed: None }).expect("compiles")
}

fn constant(model: &CompiledModel, name: &str) -> usize {
    model.constant_index(name).expect("constant")
}

fn variable(model: &CompiledModel, name: &str) -> VarId {
    model.lookup(name).expect("variable")
}

fn design(model: &CompiledModel, sampler: Sampler, samples: u64, seed: u64) -> Design {
    Design {
        factors: vec![
            Factor {
                name: "Start".into(),
                constant: constant(model, "Start"),
                kind: FactorKind::Values(vec![5.0, 15.0]),
            },
            Factor {
                name: "Rate".into(),
                constant: constant(model, "Rate"),
                kind: FactorKind::Uncertain(Distribution::Uniform { min: 1.0, max: 3.0 }),
            },
            Factor {
                name: "Residence".into(),
                constant: constant(model, "Residence"),
                kind: FactorKind::Uncertain(Distribution::Triangular { min: 2.0, mode: 4.0, max: 8.0 }),
            },
        ],
        sampler,
        samples,
        seed,
        drawn: None,
    }
}

fn outcomes(model: &CompiledModel) -> Vec<Outcome> {
    let level = variable(model, "Level");
    [
        Statistic::Final,
        Statistic::Mean,
        Statistic::Min,
        Statistic::Max,
        Statistic::Integral,
        Statistic::At(3.3),
        Statistic::FirstAbove(14.0),
        Statistic::FirstBelow(8.0),
    ]
    .into_iter()
    .map(|statistic| Outcome {
        name: statistic.to_string(),
        variable: level,
        statistic,
        better: None,
        loop_share: None,
    })
    .collect()
}

/// Everything a sink sees, as exact bits.
#[derive(Default, PartialEq, Debug)]
struct Recorded {
    runs: Vec<u64>,
    inputs: Vec<u64>,
    outcomes: Vec<u64>,
    failures: Vec<(u64, String, u64)>,
    kept: Vec<u64>,
}

impl Sink for Recorded {
    fn block(&mut self, block: &Block) -> std::io::Result<()> {
        self.runs.extend((0..block.len as u64).map(|i| block.first_run + i));
        self.inputs.extend(block.inputs.iter().map(|v| v.to_bits()));
        self.outcomes.extend(block.outcomes.iter().map(|v| v.to_bits()));
        self.failures.extend(block.failures.iter().map(|(run, f)| (*run, f.name.clone(), f.time.to_bits())));
        self.kept.extend(block.kept.iter().map(|v| v.to_bits()));
        Ok(())
    }
}

fn band_bits(rows: &[BandRow]) -> Vec<u64> {
    rows.iter()
        .flat_map(|row| {
            let m = &row.moments;
            [row.time, m.n as f64, m.mean, m.m2, m.min, m.max].into_iter().chain(row.quantiles).map(f64::to_bits)
        })
        .collect()
}

struct Setup {
    model: CompiledModel,
    design: Design,
    outcomes: Vec<Outcome>,
    bands: Vec<VarId>,
    keep: Vec<VarId>,
}

impl Setup {
    fn new(sampler: Sampler, samples: u64, seed: u64) -> Setup {
        let model = noisy_model();
        Setup {
            design: design(&model, sampler, samples, seed),
            outcomes: outcomes(&model),
            bands: vec![variable(&model, "Level"), variable(&model, "Gap")],
            keep: vec![variable(&model, "Inflow")],
            model,
        }
    }

    fn sweep<'a>(&'a self, settings: &'a [Setting], quantiles: Option<QuantileMethod>) -> Sweep<'a> {
        Sweep {
            model: &self.model,
            design: &self.design,
            settings,
            outcomes: &self.outcomes,
            bands: &self.bands,
            bands_per_grid_point: false,
            keep: &self.keep,
            runs: 0..self.design.runs(),
            quantiles,
        }
    }
}

/// Runs on a pool of `threads` with `L` lanes and `wave` blocks per wave.
fn run<const L: usize>(sweep: &Sweep<'_>, threads: usize, wave: usize) -> (Recorded, Summary) {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("pool");
    let mut recorded = Recorded::default();
    let summary = pool.install(|| sweep.run_with::<L>(&mut recorded, &Silent, wave)).expect("runs");
    (recorded, summary)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn output_is_the_same_for_any_threads_lanes_and_waves(
        samples in 1u64..1600,
        seed in any::<u64>(),
        sampler in 0usize..4,
        sketch in any::<bool>(),
        skip in 0u64..1100,
        per_point in any::<bool>(),
    ) {
        let sampler = [Sampler::Random, Sampler::LatinHypercube, Sampler::Sobol, Sampler::Grid { levels: 7 }][sampler];
        let samples = if let Sampler::Grid { levels } = sampler { (levels * levels) as u64 } else { samples };
        let setup = Setup::new(sampler, samples, seed);
        let quantiles = Some(if sketch { QuantileMethod::Sketch } else { QuantileMethod::Exact });
        // A slice of the design that starts part-way through a block, as a shard would.
        let first = skip.min(2 * samples - 1);
        let sweep =
            Sweep { runs: first..2 * samples, bands_per_grid_point: per_point, ..setup.sweep(&[], quantiles) };
        let (reference, reference_summary) = run::<16>(&sweep, 1, 4);
        prop_assert_eq!(reference.runs.len() as u64, 2 * samples - first);
        prop_assert_eq!(reference.runs.first().copied(), Some(first));
        for (recorded, summary) in [run::<4>(&sweep, 2, 1), run::<1>(&sweep, 3, 7), run::<32>(&sweep, 2, 2)] {
            prop_assert!(recorded == reference, "blocks differ");
            prop_assert_eq!(band_bits(&summary.bands), band_bits(&reference_summary.bands));
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    /// Shards of a sweep, each run on its own and its band parts written and read back,
    /// append into the bands of the whole sweep, bit for bit.
    #[test]
    fn shards_merge_into_the_bands_of_the_whole_sweep(
        samples in 1u64..2600,
        seed in any::<u64>(),
        sketch in any::<bool>(),
        cuts in proptest::collection::vec(0u64..6, 0..4),
        per_point in any::<bool>(),
    ) {
        let setup = Setup::new(Sampler::LatinHypercube, samples, seed);
        let quantiles = Some(if sketch { QuantileMethod::Sketch } else { QuantileMethod::Exact });
        let whole = Sweep { bands_per_grid_point: per_point, ..setup.sweep(&[], quantiles) };
        let (_, reference) = run::<16>(&whole, 2, 4);
        // Shard boundaries on blocks, in order, possibly repeated (empty shards).
        let runs = whole.runs.end;
        let mut bounds: Vec<u64> = cuts.iter().map(|&k| (k * BLOCK_RUNS).min(runs)).collect();
        bounds.extend([0, runs]);
        bounds.sort_unstable();
        let mut merged: Option<BandParts> = None;
        for range in bounds.windows(2) {
            let shard = Sweep { runs: range[0]..range[1], ..whole.clone() };
            let (parts, _, end) = shard.run_parts(&mut Recorded::default(), &Silent, None).expect("runs");
            prop_assert_eq!(end, range[1]);
            let mut bytes = Vec::new();
            parts.write(&mut bytes).expect("writes");
            let parts = BandParts::read(&bytes).expect("reads back");
            match merged.as_mut() {
                None => merged = Some(parts),
                Some(merged) => merged.append(parts).expect("same bands"),
            }
        }
        let merged = merged.expect("at least one shard");
        prop_assert_eq!(merged.runs(), runs);
        prop_assert_eq!(band_bits(&merged.finish()), band_bits(&reference.bands));
    }
}

#[test]
fn bands_per_grid_point_are_the_bands_of_each_grid_points_runs_alone() {
    // Two grid points (Start = 5, 15) of 1,500 runs: the second starts part-way through a block.
    let setup = Setup::new(Sampler::Random, 1500, 11);
    for method in [QuantileMethod::Exact, QuantileMethod::Sketch] {
        let grid = Sweep { bands_per_grid_point: true, ..setup.sweep(&[], Some(method)) };
        assert_eq!((grid.band_groups(), grid.band_series()), (2, 4));
        let (_, summary) = run::<16>(&grid, 2, 4);
        let saves = setup.model.axis().save_count();
        assert_eq!(summary.bands.len(), 2 * 2 * saves, "each band variable once per grid point");
        let mut finals = Vec::new();
        for point in 0..2u64 {
            let alone = Sweep { runs: point * 1500..(point + 1) * 1500, ..setup.sweep(&[], Some(method)) };
            let (_, expected) = run::<16>(&alone, 1, 4);
            let found: Vec<BandRow> =
                summary.bands[point as usize * 2 * saves..(point as usize + 1) * 2 * saves].to_vec();
            for (found, expected) in found.iter().zip(&expected.bands) {
                assert_eq!(found.variable, point as usize * 2 + expected.variable);
                assert_eq!(found.time.to_bits(), expected.time.to_bits());
                let (f, e) = (&found.moments, &expected.moments);
                assert_eq!((f.n, f.min.to_bits(), f.max.to_bits()), (1500, e.min.to_bits(), e.max.to_bits()));
                match method {
                    // The same values in the same order: the same bits.
                    QuantileMethod::Exact => {
                        assert_eq!(band_bits(std::slice::from_ref(found)), band_bits(std::slice::from_ref(expected)))
                    }
                    // The same histogram counts; the moments folded over other block bounds.
                    QuantileMethod::Sketch => {
                        assert_eq!(found.quantiles.map(f64::to_bits), expected.quantiles.map(f64::to_bits));
                        assert!((f.mean - e.mean).abs() <= 1e-12 * e.mean.abs().max(1.0), "{} vs {}", f.mean, e.mean);
                        assert!((f.sd() - e.sd()).abs() <= 1e-9 * e.sd().max(1.0), "{} vs {}", f.sd(), e.sd());
                    }
                }
            }
            finals.push(found[saves - 1].moments.mean);
        }
        // The grid points start their level from 5 and from 15: their bands differ.
        assert!(finals[1] - finals[0] > 1.0, "final mean levels {finals:?}");
    }
}

#[test]
fn a_sweep_past_its_deadline_stops_after_a_wave_and_continues_where_it_stopped() {
    let setup = Setup::new(Sampler::Random, 6000, 3);
    let whole = setup.sweep(&[], Some(QuantileMethod::Exact));
    let (_, reference) = run::<16>(&whole, 1, 4);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(1).build().expect("pool");
    let past = Some(std::time::Instant::now());
    let (mut parts, _, end) = pool.install(|| whole.run_parts(&mut Recorded::default(), &Silent, past)).expect("runs");
    assert_eq!(end, 4 * BLOCK_RUNS, "one wave of four blocks on one thread");
    let rest = Sweep { runs: end..whole.runs.end, ..whole.clone() };
    let (later, _, last) = pool.install(|| rest.run_parts(&mut Recorded::default(), &Silent, None)).expect("runs");
    assert_eq!(last, whole.runs.end);
    parts.append(later).expect("same bands");
    assert_eq!(band_bits(&parts.finish()), band_bits(&reference.bands));
}

#[test]
fn damaged_band_parts_are_refused_without_a_panic() {
    let setup = Setup::new(Sampler::Random, 300, 1);
    for method in [QuantileMethod::Exact, QuantileMethod::Sketch] {
        let (parts, _, _) =
            setup.sweep(&[], Some(method)).run_parts(&mut Recorded::default(), &Silent, None).expect("runs");
        let mut bytes = Vec::new();
        parts.write(&mut bytes).expect("writes");
        assert!(BandParts::read(&bytes).is_ok());
        assert_eq!(BandParts::read(b"not band parts").err(), Some(PartsError::NotParts));
        for cut in [14, 20, 30, bytes.len() / 2, bytes.len() - 1] {
            assert!(BandParts::read(&bytes[..cut]).is_err(), "{method:?}: cut at {cut}");
        }
        let mut longer = bytes.clone();
        longer.push(0);
        assert!(BandParts::read(&longer).is_err());
        // A count far beyond the file is refused before anything is allocated.
        let mut huge = bytes.clone();
        huge[26..34].copy_from_slice(&u64::MAX.to_le_bytes()); // the count of saved times
        assert!(BandParts::read(&huge).is_err());
    }
}

#[test]
fn sketches_of_very_many_saved_times_fold_part_blocks_alike() {
    // 4,001 saved times of two variables: each worker folds its block in stretches of about
    // 500 runs, which must not change a bit whatever the lanes, threads or waves.
    let model = ModelBuilder::new(0.0, 1000.0, 0.25)
        .stock("Level", "Start", &["Inflow"], &["Outflow"])
        .flow("Inflow", "Rate * (1 + NORMAL(0, 0.1))")
        .flow("Outflow", "Level / Residence")
        .aux("Gap", "Level - Start")
        .constant("Start", 10.0)
        .constant("Rate", 2.0)
        .constant("Residence", 4.0)
        .build();
    let compiled = fulcrum_sim::compile(&fulcrum_model::resolve(&model).expect("valid")).expect("compiles");
    let design = design(&compiled, Sampler::Random, 700, 4);
    let outcomes = outcomes(&compiled);
    let bands = [variable(&compiled, "Level"), variable(&compiled, "Gap")];
    let sweep = Sweep {
        model: &compiled,
        design: &design,
        settings: &[],
        outcomes: &outcomes,
        bands: &bands,
        bands_per_grid_point: false,
        keep: &[],
        runs: 3..1400,
        quantiles: Some(QuantileMethod::Sketch),
    };
    let (reference, reference_summary) = run::<16>(&sweep, 1, 2);
    for (recorded, summary) in [run::<4>(&sweep, 2, 1), run::<32>(&sweep, 2, 3)] {
        assert!(recorded == reference);
        assert_eq!(band_bits(&summary.bands), band_bits(&reference_summary.bands));
    }
    assert_eq!(reference_summary.bands.len(), 2 * 4001);
    assert!(reference_summary.bands.iter().all(|row| row.moments.n == 1397));
}

#[test]
fn outcomes_match_statistics_of_the_saved_trajectory() {
    // Save every step, so the trajectory a single run returns is every step the sweep saw.
    let model = ModelBuilder::new(0.0, 10.0, 0.25)
        .stock("Level", "10", &["Inflow"], &["Outflow"])
        .flow("Inflow", "Rate")
        .flow("Outflow", "Level / Residence")
        .constant("Rate", 2.0)
        .constant("Residence", 4.0)
        .build();
    let compiled = fulcrum_sim::compile(&fulcrum_model::resolve(&model).expect("valid")).expect("compiles");
    let design = Design {
        factors: vec![Factor {
            name: "Rate".into(),
            constant: constant(&compiled, "Rate"),
            kind: FactorKind::Uncertain(Distribution::Uniform { min: 0.0, max: 6.0 }),
        }],
        sampler: Sampler::LatinHypercube,
        samples: 40,
        seed: 3,
        drawn: None,
    };
    let outcomes = outcomes(&compiled);
    let sweep = Sweep {
        model: &compiled,
        design: &design,
        settings: &[],
        outcomes: &outcomes,
        bands: &[],
        bands_per_grid_point: false,
        keep: &[],
        runs: 0..40,
        quantiles: None,
    };
    let (recorded, _) = run::<16>(&sweep, 1, 1);
    for run_id in [0u64, 17, 39] {
        let mut row = [0.0];
        design.row(run_id, &mut row);
        let mut single = compiled.new_run();
        single.set("Rate", row[0]).expect("set");
        let results = single.run().expect("runs");
        let (times, level) = (results.times(), results.series("Level").expect("Level"));
        let first = |above: bool, threshold: f64| {
            times
                .iter()
                .zip(level)
                .find(|(_, v)| if above { **v > threshold } else { **v < threshold })
                .map_or(f64::NAN, |(t, _)| *t)
        };
        let sum: f64 = level.iter().sum();
        let integral = level[..level.len() - 1].iter().fold(0.0, |acc, v| acc + v * 0.25);
        let expected = [
            level[level.len() - 1],
            sum / level.len() as f64,
            level.iter().copied().fold(f64::INFINITY, f64::min),
            level.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            integral,
            level[13], // 3.3 is nearest the step at 3.25
            first(true, 14.0),
            first(false, 8.0),
        ];
        let got = &recorded.outcomes[run_id as usize * 8..run_id as usize * 8 + 8];
        for (statistic, (want, got)) in outcomes.iter().zip(expected.iter().zip(got)) {
            let got = f64::from_bits(*got);
            assert!(
                (want.is_nan() && got.is_nan()) || (want - got).abs() <= 1e-12 * want.abs().max(1.0),
                "run {run_id} {}: {want} vs {got}",
                statistic.name
            );
        }
    }
}

/// Every run's kept trajectory of one variable, by saved time.
fn trajectories(recorded: &Recorded, saves: usize) -> Vec<Vec<f64>> {
    (0..saves)
        .map(|save| {
            recorded.kept.chunks(saves).map(|trajectory| f64::from_bits(trajectory[save])).collect::<Vec<f64>>()
        })
        .collect()
}

fn type_7(sorted: &[f64], p: f64) -> f64 {
    let h = (sorted.len() - 1) as f64 * p;
    let low = h.floor() as usize;
    let high = (low + 1).min(sorted.len() - 1);
    sorted[low] + (h - low as f64) * (sorted[high] - sorted[low])
}

#[test]
fn bands_agree_with_the_kept_trajectories() {
    let mut setup = Setup::new(Sampler::Random, 1500, 11);
    setup.keep = vec![variable(&setup.model, "Level")];
    setup.bands = vec![variable(&setup.model, "Level")];
    let saves = setup.model.axis().save_count();
    for method in [QuantileMethod::Exact, QuantileMethod::Sketch] {
        let sweep = setup.sweep(&[], Some(method));
        let (recorded, summary) = run::<16>(&sweep, 2, 4);
        let by_time = trajectories(&recorded, saves);
        assert_eq!(summary.bands.len(), saves);
        for (row, values) in summary.bands.iter().zip(by_time) {
            let n = values.len() as f64;
            let mean = values.iter().sum::<f64>() / n;
            let sd = (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt();
            let mut sorted = values.clone();
            sorted.sort_unstable_by(f64::total_cmp);
            assert_eq!(row.moments.n, values.len() as u64);
            assert!((row.moments.mean - mean).abs() <= 1e-12 * mean.abs(), "{} vs {mean}", row.moments.mean);
            assert!(
                (row.moments.sd() - sd).abs() <= 1e-9 * sd.max(1e-300) || sd < 1e-12,
                "{} vs {sd}",
                row.moments.sd()
            );
            assert_eq!((row.moments.min, row.moments.max), (sorted[0], sorted[sorted.len() - 1]));
            for (p, got) in [0.05, 0.25, 0.5, 0.75, 0.95].iter().zip(row.quantiles) {
                let want = type_7(&sorted, *p);
                match method {
                    QuantileMethod::Exact => assert_eq!(got.to_bits(), want.to_bits(), "p{p} at {}", row.time),
                    QuantileMethod::Sketch => {
                        assert!((got - want).abs() <= SKETCH_RELATIVE_ERROR * want.abs() * 1.000001, "{got} vs {want}")
                    }
                }
            }
        }
    }
}

#[test]
fn failed_runs_are_reported_and_left_out_of_bands() {
    // Growth at the stop time, g (1 + g)^100, overflows for growth rates above about 1,100.
    let model = ModelBuilder::new(0.0, 100.0, 1.0)
        .stock("S", "1", &["Growth"], &[])
        .flow("Growth", "S * g")
        .constant("g", 1.0)
        .build();
    let compiled = fulcrum_sim::compile(&fulcrum_model::resolve(&model).expect("valid")).expect("compiles");
    let design = Design {
        factors: vec![Factor {
            name: "g".into(),
            constant: 0,
            kind: FactorKind::Uncertain(Distribution::Uniform { min: 0.0, max: 2000.0 }),
        }],
        sampler: Sampler::LatinHypercube,
        samples: 3000,
        seed: 5,
        drawn: None,
    };
    let s = variable(&compiled, "S");
    let outcomes =
        [Outcome { name: "final".into(), variable: s, statistic: Statistic::Final, better: None, loop_share: None }];
    let sweep = Sweep {
        model: &compiled,
        design: &design,
        settings: &[],
        outcomes: &outcomes,
        bands: &[s],
        bands_per_grid_point: false,
        keep: &[],
        runs: 0..3000,
        quantiles: None,
    };
    let (recorded, summary) = run::<16>(&sweep, 2, 3);
    let failed: Vec<u64> = recorded.failures.iter().map(|(run, _, _)| *run).collect();
    let mut expected_failed = Vec::new();
    for run_id in 0..3000u64 {
        let mut row = [0.0];
        design.row(run_id, &mut row);
        if (row[0] * (1.0 + row[0]).powi(100)).is_infinite() {
            expected_failed.push(run_id);
        }
        let outcome = f64::from_bits(recorded.outcomes[run_id as usize]);
        assert_eq!(outcome.is_nan(), failed.contains(&run_id), "run {run_id}");
    }
    // Within a hair of the threshold, rounding in 100 steps may go either way.
    assert!(failed.len().abs_diff(expected_failed.len()) <= 3, "{} vs {}", failed.len(), expected_failed.len());
    assert!(failed.len() > 1000);
    assert_eq!(summary.failures, failed.len() as u64);
    let last = summary.bands.last().expect("bands");
    assert_eq!(last.moments.n, 3000 - failed.len() as u64);
    assert!(last.moments.max.is_finite());

    // When every run fails there is nothing to summarise, in either quantile mode.
    let mut all_fail = design.clone();
    all_fail.factors[0].kind = FactorKind::Uncertain(Distribution::Uniform { min: 3000.0, max: 4000.0 });
    for method in [QuantileMethod::Exact, QuantileMethod::Sketch] {
        let sweep = Sweep { design: &all_fail, runs: 0..100, quantiles: Some(method), ..sweep.clone() };
        let (recorded, summary) = run::<16>(&sweep, 2, 1);
        assert_eq!(recorded.failures.len(), 100);
        let last = summary.bands.last().expect("bands");
        assert_eq!(last.moments.n, 0);
        assert!(last.quantiles.iter().all(|q| q.is_nan()), "{method:?}");
    }
}

#[test]
fn at_the_stop_time_is_the_last_step_even_when_dt_does_not_divide_the_run() {
    // 10 / 0.3 is 33.3 steps: the run ends at 9.9, and at:10 is its last step.
    let model = ModelBuilder::new(0.0, 10.0, 0.3).stock("S", "0", &["In"], &[]).flow("In", "1").build();
    let compiled = fulcrum_sim::compile(&fulcrum_model::resolve(&model).expect("valid")).expect("compiles");
    let design = Design { factors: vec![], sampler: Sampler::Random, samples: 3, seed: 0, drawn: None };
    let s = variable(&compiled, "S");
    let outcomes: Vec<Outcome> = [Statistic::Final, Statistic::At(10.0), Statistic::At(9.99)]
        .into_iter()
        .map(|statistic| Outcome {
            name: statistic.to_string(),
            variable: s,
            statistic,
            better: None,
            loop_share: None,
        })
        .collect();
    let sweep = Sweep {
        model: &compiled,
        design: &design,
        settings: &[],
        outcomes: &outcomes,
        bands: &[],
        bands_per_grid_point: false,
        keep: &[],
        runs: 0..3,
        quantiles: None,
    };
    let (recorded, _) = run::<16>(&sweep, 1, 1);
    let values: Vec<f64> = recorded.outcomes.iter().map(|bits| f64::from_bits(*bits)).collect();
    assert!(
        values.chunks(3).all(|run| run[0] == run[1] && run[1] == run[2] && (run[0] - 9.9).abs() < 1e-12),
        "{values:?}"
    );
}

#[test]
fn a_timed_setting_changes_runs_only_from_its_time() {
    let setup = Setup::new(Sampler::LatinHypercube, 64, 2);
    let rate = constant(&setup.model, "Rate");
    let mut recorded = Vec::new();
    for settings in [vec![], vec![Setting { constant: rate, value: 0.0, from: Some(5.0) }]] {
        // Rate is also sampled; the setting overrides it from time 5.
        let mut without_rate = setup.design.clone();
        without_rate.factors.retain(|factor| factor.constant != rate);
        let sweep = Sweep { design: &without_rate, ..setup.sweep(&settings, None) };
        recorded.push(run::<16>(&sweep, 1, 2).0);
    }
    let saves = setup.model.axis().save_count();
    let times = setup.model.axis().save_times();
    let (before, after) = (trajectories(&recorded[0], saves), trajectories(&recorded[1], saves));
    for (time, (a, b)) in times.iter().zip(before.iter().zip(&after)) {
        // Inflow is Rate times noise: the same before time 5, zero from it on.
        if *time < 5.0 {
            assert_eq!(a, b, "at {time}");
        } else {
            assert!(b.iter().all(|v| *v == 0.0), "at {time}");
            assert!(a.iter().all(|v| *v != 0.0), "at {time}");
        }
    }
}

#[test]
fn grid_points_meet_the_same_futures() {
    let setup = Setup::new(Sampler::Sobol, 128, 9);
    let (recorded, _) = run::<16>(&setup.sweep(&[], None), 2, 2);
    // Factors: Start (grid: 5, 15), Rate, Residence. Runs 0..128 have Start 5, 128..256 Start 15.
    let inputs: Vec<f64> = recorded.inputs.iter().map(|b| f64::from_bits(*b)).collect();
    for future in 0..128 {
        let (low, high) = (&inputs[future * 3..future * 3 + 3], &inputs[(128 + future) * 3..(128 + future) * 3 + 3]);
        assert_eq!((low[0], high[0]), (5.0, 15.0));
        assert_eq!(low[1..], high[1..]);
    }
    // The noise is the same too: the inflows of both grid points match, run for run.
    let saves = setup.model.axis().save_count();
    let inflow = |run: usize| &recorded.kept[run * saves..(run + 1) * saves];
    for future in 0..128 {
        assert_eq!(inflow(future), inflow(128 + future));
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// A comparison runs as one table whose rows carry their option's settings; each option's
    /// runs must be the same bits as a sweep of that option alone, wherever the options meet
    /// inside a batch.
    #[test]
    fn options_of_a_table_run_as_their_own_sweeps(futures in 1u64..90, lanes_hint in 0usize..2) {
        let setup = Setup::new(Sampler::Random, 1, 0);
        let (start, rate, residence) =
            (constant(&setup.model, "Start"), constant(&setup.model, "Rate"), constant(&setup.model, "Residence"));
        // An option's value must not leak into the next batch's lanes of other options.
        let common = vec![Setting { constant: rate, value: 2.5, from: None }];
        let options = vec![
            vec![Setting { constant: rate, value: 0.0, from: Some(5.0) }, Setting { constant: residence, value: 6.0, from: None }],
            vec![
                Setting { constant: rate, value: 1.0, from: Some(3.0) },
                Setting { constant: rate, value: 4.0, from: Some(7.0) },
            ],
            vec![],
        ];
        let rows: Vec<f64> = (0..futures).map(|f| 5.0 + f as f64 * 0.25).collect();
        let table = |option_count: usize| Table {
            constants: vec![start],
            values: rows.repeat(option_count),
            streams: (0..option_count as u64).flat_map(|_| 0..futures).collect(),
            seed: 11,
            ..Table::default()
        };
        let mut combined = table(options.len());
        combined.option_of = (0..options.len() as u32).flat_map(|o| std::iter::repeat_n(o, futures as usize)).collect();
        combined.options = options.clone();
        let sweep = Sweep { design: &combined, runs: 0..combined.runs(), ..setup.sweep(&common, None) };
        let together = if lanes_hint == 0 { run::<16>(&sweep, 2, 1).0 } else { run::<4>(&sweep, 1, 3).0 };
        let per_run = setup.outcomes.len();
        for (o, option) in options.iter().enumerate() {
            let settings: Vec<Setting> = common.iter().chain(option).copied().collect();
            let alone = table(1);
            let sweep = Sweep { design: &alone, runs: 0..futures, ..setup.sweep(&settings, None) };
            let (recorded, _) = run::<16>(&sweep, 1, 2);
            let range = o * futures as usize * per_run..(o + 1) * futures as usize * per_run;
            prop_assert_eq!(&recorded.outcomes, &together.outcomes[range], "option {}", o);
        }
    }
}

/// A one-stock model with `saves` saved times (one per step), for sizing sweeps that never run.
fn model_with_saves(saves: u32) -> CompiledModel {
    let model = ModelBuilder::new(0.0, f64::from(saves - 1), 1.0)
        .stock("Level", "1", &[], &["Drain"])
        .flow("Drain", "Level * Rate")
        .constant("Rate", 0.1)
        .build();
    fulcrum_sim::compile(&fulcrum_model::resolve(&model).expect("valid")).expect("compiles")
}

#[test]
fn quantiles_are_exact_up_to_2_to_the_25_band_values_and_sketched_past_it() {
    assert_eq!(EXACT_LIMIT, 1 << 25);
    // 1,024 buckets per power of two place a value within 2^-11 of itself.
    assert_eq!(SKETCH_RELATIVE_ERROR, 2f64.powi(-11));
    assert_eq!(QuantileMethod::for_values(0), QuantileMethod::Exact);
    assert_eq!(QuantileMethod::for_values(EXACT_LIMIT), QuantileMethod::Exact);
    assert_eq!(QuantileMethod::for_values(EXACT_LIMIT + 1), QuantileMethod::Sketch);
    assert_eq!(QuantileMethod::for_values(u64::MAX), QuantileMethod::Sketch);

    // A sweep counts its band values as runs × saved times × band variables: 2^21 runs of 16
    // saved times of one variable are exactly 2^25 values; one run more passes the limit.
    let model = model_with_saves(16);
    assert_eq!(model.axis().save_count(), 16);
    let design = Design { factors: vec![], sampler: Sampler::Random, samples: (1 << 21) + 1, seed: 0, drawn: None };
    let level = variable(&model, "Level");
    let sweep = |runs: u64, quantiles| Sweep {
        model: &model,
        design: &design,
        settings: &[],
        outcomes: &[],
        bands: std::slice::from_ref(&level),
        bands_per_grid_point: false,
        keep: &[],
        runs: 0..runs,
        quantiles,
    };
    assert_eq!(sweep(1 << 21, None).band_values(), EXACT_LIMIT);
    assert_eq!(sweep(1 << 21, None).quantile_method(), QuantileMethod::Exact);
    assert_eq!(sweep((1 << 21) + 1, None).quantile_method(), QuantileMethod::Sketch);
    // Asking for a method overrides the size either way.
    assert_eq!(sweep(1 << 21, Some(QuantileMethod::Sketch)).quantile_method(), QuantileMethod::Sketch);
    assert_eq!(sweep((1 << 21) + 1, Some(QuantileMethod::Exact)).quantile_method(), QuantileMethod::Exact);
    // A slice of the design (a shard) is sized by its own runs.
    let slice = Sweep { runs: 1..(1 << 21) + 1, ..sweep(0, None) };
    assert_eq!(slice.quantile_method(), QuantileMethod::Exact);
}

#[test]
fn a_sweep_needing_16_gib_is_accepted_and_one_run_more_is_refused() {
    // Exact quantiles keep 8 bytes per band value: 2^27 runs × 16 saved times × 8 bytes is
    // 16 GiB exactly, with nothing kept besides. Nothing is allocated to find that out.
    let model = model_with_saves(16);
    let design = Design { factors: vec![], sampler: Sampler::Random, samples: (1 << 27) + 1, seed: 0, drawn: None };
    let level = [variable(&model, "Level")];
    let sweep = |runs: u64, keep: bool| Sweep {
        model: &model,
        design: &design,
        settings: &[],
        outcomes: &[],
        bands: &level,
        bands_per_grid_point: false,
        keep: if keep { &level } else { &[] },
        runs: 0..runs,
        quantiles: Some(QuantileMethod::Exact),
    };
    assert_eq!(MEMORY_LIMIT, 16 << 30);
    assert_eq!(sweep(1 << 27, false).memory_needed(1), MEMORY_LIMIT);
    assert_eq!(sweep(1 << 27, false).memory_problem(1), None);
    let refused = sweep((1 << 27) + 1, false).memory_problem(1).expect("past the limit");
    assert_eq!(
        refused,
        "the sweep needs at least 16.0 GiB, more than the 16 GiB allowed; use fewer runs or band variables, or \
         sketched quantiles"
    );
    // The estimate grows with threads only through what they hold in flight: kept trajectories
    // of two waves of four blocks of 1,024 runs each.
    let in_flight = 2 * 4 * BLOCK_RUNS * 16 * 8;
    assert_eq!(sweep(1 << 20, true).memory_needed(3), (1 << 20) * 16 * 8 + 3 * in_flight);
    // A sketch costs 4 KiB per saved time and band variable for each thread and 8 KiB in total
    // (for each power of two the values span; the estimate counts one), plus each thread's
    // buffer of at most 32 MiB, whatever the runs.
    let sketched = Sweep { quantiles: Some(QuantileMethod::Sketch), ..sweep(u64::MAX, false) };
    assert_eq!(sketched.memory_needed(2), 16 * (2 * 4096 + 8192) + 2 * 16 * 8 * BLOCK_RUNS);
    assert_eq!(sketched.memory_problem(64), None);
    let many_saves = model_with_saves(5000);
    let sketched = Sweep { model: &many_saves, ..sketched };
    assert_eq!(sketched.memory_needed(2), 5000 * (2 * 4096 + 8192) + 2 * (32 << 20));
}
