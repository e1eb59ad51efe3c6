//! Reading published Vensim models, WORLD3-03 and C-LEARN v77 from `../shared/vensim/`: read;
//! read, resolve and compile; one run.
//!
//! `cargo bench --bench vensim`. The targets: WORLD3 parsed and compiled in under 20 ms, C-LEARN
//! (1.4 MB) in under 0.3 s on one core.

// A benchmark stops at the first surprise.
#![allow(clippy::expect_used, clippy::panic)]

use std::hint::black_box;
use std::path::{Path, PathBuf};

use criterion::{Criterion, criterion_group, criterion_main};
use fulcrum_sim::{CompiledModel, compile};

fn shared(parts: &[&str]) -> PathBuf {
    parts.iter().fold(Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join("shared").join("vensim"), |path, part| {
        path.join(part)
    })
}

fn text(path: &Path) -> String {
    fulcrum_vensim::decode(std::fs::read(path).unwrap_or_else(|error| panic!("{}: {error}", path.display())))
}

fn compile_text(text: &str) -> CompiledModel {
    let (model, _) = fulcrum_vensim::read(text).expect("a Vensim model");
    let resolved = fulcrum_model::resolve(&model).expect("valid model");
    compile(&resolved).expect("compiles")
}

fn vensim(c: &mut Criterion) {
    let world3 = text(&shared(&["world3-03", "wrld3-03.mdl"]));
    let clearn = text(&shared(&["c-learn", "C-LEARN v77 for Vensim.mdl"]));
    let mut group = c.benchmark_group("vensim");
    group.bench_function("world3_read", |b| b.iter(|| fulcrum_vensim::read(black_box(&world3))));
    group.bench_function("world3_read_and_compile", |b| b.iter(|| compile_text(black_box(&world3))));
    let compiled = compile_text(&world3);
    group.bench_function("world3_run", |b| b.iter(|| black_box(&compiled).new_run().run().expect("runs")));
    group.sample_size(20);
    group.bench_function("clearn_read", |b| b.iter(|| fulcrum_vensim::read(black_box(&clearn))));
    group.bench_function("clearn_read_and_compile", |b| b.iter(|| compile_text(black_box(&clearn))));
    let compiled = compile_text(&clearn);
    group.bench_function("clearn_run", |b| b.iter(|| black_box(&compiled).new_run().run().expect("runs")));
    group.finish();
}

criterion_group!(benches, vensim);
criterion_main!(benches);
