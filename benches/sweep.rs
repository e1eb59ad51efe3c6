//! Sweep benchmarks: the library's parallel runner on the teacup and SIR models of the
//! system-dynamics test suite, as `fulcrum sweep` runs them but without files: random futures of
//! two constants, a final-value outcome, and bands of that outcome's variable.
//!
//! `cargo bench --bench sweep`; throughput is runs per second on one thread and on two. The
//! models come from `../shared/conformance` (or `FULCRUM_CONFORMANCE_DIR`); without them the
//! benchmark says so and does nothing. `benches/sweep.sh` measures the whole command instead.

// A benchmark stops at the first surprise.
#![allow(clippy::expect_used, clippy::panic, clippy::print_stderr)]

use std::path::PathBuf;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use fulcrum_explore::sweep::Silent;
use fulcrum_explore::{Block, Design, Distribution, Factor, FactorKind, Outcome, Sampler, Sink, Statistic, Sweep};
use fulcrum_sim::CompiledModel;

/// (model, file in the suite's samples, the two uncertain constants and their ranges, the
/// outcome's variable, runs per iteration)
type Case = (&'static str, &'static str, [(&'static str, f64, f64); 2], &'static str, u64);

const CASES: [Case; 2] = [
    (
        "teacup",
        "teacup/teacup.xmile",
        [("Characteristic Time", 5.0, 15.0), ("Room Temperature", 60.0, 80.0)],
        "Teacup Temperature",
        20_000,
    ),
    ("sir", "SIR/SIR.xmile", [("contact infectivity", 0.2, 0.4), ("duration", 3.0, 8.0)], "recovered", 2_000),
];

fn samples_folder() -> Option<PathBuf> {
    let base = std::env::var_os("FULCRUM_CONFORMANCE_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance"));
    let folder = base.join("test-models/samples");
    folder.is_dir().then_some(folder)
}

fn compile(path: &PathBuf) -> CompiledModel {
    let text = std::fs::read_to_string(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    let (model, _) = fulcrum_xmile::read(&text).expect("valid XMILE");
    fulcrum_sim::compile(&fulcrum_model::resolve(&model).expect("valid model")).expect("compiles")
}

/// Counts the blocks, so that nothing is optimised away.
struct Count(u64);

impl Sink for Count {
    fn block(&mut self, block: &Block) -> std::io::Result<()> {
        self.0 += block.len as u64;
        Ok(())
    }
}

fn sweeps(c: &mut Criterion) {
    let Some(folder) = samples_folder() else {
        eprintln!("the conformance suite is not at ../shared/conformance: no sweep benchmarks");
        return;
    };
    let mut group = c.benchmark_group("sweep");
    group.sample_size(10);
    for (name, file, uncertain, variable, runs) in CASES {
        let model = compile(&folder.join(file));
        let factors = uncertain
            .iter()
            .map(|(constant, min, max)| Factor {
                name: (*constant).to_owned(),
                constant: model.constant_index(constant).expect("constant"),
                kind: FactorKind::Uncertain(Distribution::Uniform { min: *min, max: *max }),
            })
            .collect();
        let design = Design { factors, sampler: Sampler::Random, samples: runs, seed: 1, drawn: None };
        let variable = model.lookup(variable).expect("variable");
        let outcomes =
            [Outcome { name: "final".into(), variable, statistic: Statistic::Final, better: None, loop_share: None }];
        let sweep = Sweep {
            model: &model,
            design: &design,
            settings: &[],
            outcomes: &outcomes,
            bands: &[variable],
            bands_per_grid_point: false,
            keep: &[],
            runs: 0..runs,
            quantiles: None,
        };
        group.throughput(Throughput::Elements(runs));
        for threads in [1, 2] {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().expect("thread pool");
            group.bench_function(BenchmarkId::new(name, format!("{threads} threads")), |b| {
                b.iter(|| {
                    let mut count = Count(0);
                    pool.install(|| sweep.run(&mut count, &Silent)).expect("runs");
                    assert_eq!(count.0, runs);
                })
            });
        }
    }
    group.finish();
}

criterion_group!(benches, sweeps);
criterion_main!(benches);
