//! Sensitivity benchmarks: the Sobol analysis of the G function (eight inputs, a = 0, 1, 4.5, 9,
//! 99, 99, 99, 99) on a Saltelli design of 8,192 base samples, as `fulcrum sensitivity --method
//! sobol` analyses an outcome once the runs are done, and the design itself.
//!
//! `cargo bench --bench sensitivity`; throughput is design rows per second. For scale, SALib
//! 1.6.0 takes 3.6 s for first and total order with 1,000 resamples and 1.6 s for second order
//! with 100 (`../shared/reference/gsa/out/timing_extra.json`, two cores).

// A benchmark stops at the first surprise.
#![allow(clippy::expect_used)]

use std::hint::black_box;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use fulcrum_sensitivity::bootstrap::Resamples;
use fulcrum_sensitivity::sobol;

const BASE_SAMPLES: usize = 8192;

/// (case, second order, resamples): first and total order as the command runs them by
/// default, and second order with SALib's default number of resamples.
const CASES: [(&str, bool, usize); 2] =
    [("first_and_total_1000_resamples", false, 1000), ("second_order_100_resamples", true, 100)];

const G_A: [f64; 8] = [0.0, 1.0, 4.5, 9.0, 99.0, 99.0, 99.0, 99.0];

/// The Sobol G function on each row of the unit cube.
fn sobol_g(rows: &[f64]) -> Vec<f64> {
    rows.chunks_exact(G_A.len())
        .map(|x| x.iter().zip(G_A).map(|(x, a)| ((4.0 * x - 2.0).abs() + a) / (1.0 + a)).product())
        .collect()
}

fn analysis(c: &mut Criterion) {
    let groups_of: Vec<usize> = (0..G_A.len()).collect();
    let mut group = c.benchmark_group("sobol_analysis");
    group.sample_size(20);
    for (case, second_order, count) in CASES {
        let rows = sobol::design(BASE_SAMPLES, &groups_of, second_order, 1).expect("a design of eight inputs");
        let y = sobol_g(&rows);
        let resamples = Resamples::new(2, BASE_SAMPLES, count);
        group.throughput(Throughput::Elements(y.len() as u64));
        group.bench_with_input(BenchmarkId::new(case, BASE_SAMPLES), &y, |b, y| {
            b.iter(|| {
                sobol::analyze(black_box(y), G_A.len(), second_order, black_box(&resamples), 0.95)
                    .expect("finite outcomes")
            })
        });
    }
    group.finish();
}

fn design(c: &mut Criterion) {
    let groups_of: Vec<usize> = (0..G_A.len()).collect();
    let mut group = c.benchmark_group("sobol_design");
    let rows = BASE_SAMPLES * sobol::runs_per_base(G_A.len(), true);
    group.throughput(Throughput::Elements(rows as u64));
    group.bench_function(BenchmarkId::new("second_order", BASE_SAMPLES), |b| {
        b.iter(|| sobol::design(black_box(BASE_SAMPLES), black_box(&groups_of), true, 1).expect("eight inputs"))
    });
    group.finish();
}

criterion_group!(benches, analysis, design);
criterion_main!(benches);
