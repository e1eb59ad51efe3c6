//! Simulation benchmarks: parse + compile, one run, and batches of 10,000 runs on one core.
//!
//! `cargo bench --bench simulation`; the batch groups report runs per second as elements/s.
//! The teacup (4 variables and time, 240 steps) is the reference case for the one-core target of
//! 1,000,000 runs per second.

// A benchmark stops at the first surprise.
#![allow(clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::path::Path;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use fulcrum_sim::{CompiledModel, Point, compile};

const MODELS: [&str; 3] = ["teacup", "workforce", "service_quality"];
const BATCH_RUNS: usize = 10_000;

fn model_text(name: &str) -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("models").join(name).join("model.toml");
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

fn compile_text(text: &str) -> CompiledModel {
    let (model, _) = fulcrum_model::native::read(text).expect("valid model file");
    let resolved = fulcrum_model::resolve(&model).expect("valid model");
    compile(&resolved).expect("compiles")
}

/// Runs `runs` runs in batches of `L` lanes, giving each run its own value of the first
/// constant, and keeps the final value of the first variable (a streaming reduction).
fn run_many<const L: usize>(model: &CompiledModel, runs: usize) -> f64 {
    let mut batch = model.batch::<L>();
    let kept: Vec<_> = model.output_variables().into_iter().take(1).collect();
    let default = model.constants().first().map_or(1.0, |c| c.default);
    let last_save = model.axis().save_count() - 1;
    let mut total = 0.0;
    for first in (0..runs).step_by(L) {
        for lane in 0..L {
            batch.set(lane, 0, default * (1.0 + ((first + lane) % 7) as f64 * 0.01));
        }
        let mut keep = |point: &Point<'_, L>| {
            if point.saved == Some(last_save) {
                for &variable in &kept {
                    total += point.get(variable).iter().sum::<f64>();
                }
            }
        };
        batch.run(&mut keep);
    }
    total
}

fn parse_and_compile(c: &mut Criterion) {
    let mut group = c.benchmark_group("parse_and_compile");
    for name in MODELS {
        let text = model_text(name);
        group.bench_with_input(BenchmarkId::from_parameter(name), &text, |b, text| {
            b.iter(|| compile_text(black_box(text)))
        });
    }
    group.finish();
}

fn one_run(c: &mut Criterion) {
    let mut group = c.benchmark_group("one_run");
    for name in MODELS {
        let model = compile_text(&model_text(name));
        group.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter(|| black_box(&model).new_run().run().expect("runs"))
        });
    }
    group.finish();
}

fn batch_of_runs(c: &mut Criterion) {
    let mut group = c.benchmark_group("batch_10000_runs");
    group.throughput(Throughput::Elements(BATCH_RUNS as u64));
    group.sample_size(20);
    for name in MODELS {
        let model = compile_text(&model_text(name));
        group.bench_function(BenchmarkId::from_parameter(name), |b| {
            b.iter(|| run_many::<{ fulcrum_sim::LANES }>(black_box(&model), BATCH_RUNS))
        });
    }
    group.finish();
}

/// The lane count is chosen by this sweep (see ARCHITECTURE.md).
fn lane_counts(c: &mut Criterion) {
    let mut group = c.benchmark_group("lanes");
    group.throughput(Throughput::Elements(BATCH_RUNS as u64));
    group.sample_size(20);
    for name in ["teacup", "workforce"] {
        let model = compile_text(&model_text(name));
        group.bench_function(BenchmarkId::new(name, 1), |b| b.iter(|| run_many::<1>(&model, BATCH_RUNS)));
        group.bench_function(BenchmarkId::new(name, 8), |b| b.iter(|| run_many::<8>(&model, BATCH_RUNS)));
        group.bench_function(BenchmarkId::new(name, 16), |b| b.iter(|| run_many::<16>(&model, BATCH_RUNS)));
        group.bench_function(BenchmarkId::new(name, 32), |b| b.iter(|| run_many::<32>(&model, BATCH_RUNS)));
        group.bench_function(BenchmarkId::new(name, 64), |b| b.iter(|| run_many::<64>(&model, BATCH_RUNS)));
    }
    group.finish();
}

criterion_group!(benches, parse_and_compile, one_run, batch_of_runs, lane_counts);
criterion_main!(benches);
