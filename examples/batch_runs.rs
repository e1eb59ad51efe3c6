//! Runs a model's batches on one thread, for counting instructions per run.
//!
//! `cargo run --release --example batch_runs -- MODEL BATCHES` runs `BATCHES` batches of
//! [`fulcrum_sim::LANES`] runs of MODEL (`.xmile`, `.mdl` or a native `.toml`), each lane with its
//! own value of the first constant, keeping the final value of every output variable as a sweep
//! does. Under `valgrind --tool=callgrind` (or `perf stat -e instructions`), the difference
//! between two batch counts divided by the runs between them is the instructions per run, free of
//! the cost of reading and compiling the model.
//!
//! `batch_runs MODEL single` makes one run of one lane keeping every variable, as
//! `cargo bench --bench vensim` times it (less `batch_runs MODEL 0`, which only reads and
//! compiles). `batch_runs MODEL BATCHES VARIABLE` keeps only VARIABLE, as a sweep with one outcome does:
//! the model is compiled with only what VARIABLE depends on (`CompiledModel::keeping`).

// A measuring tool stops at the first surprise.
#![allow(clippy::expect_used, clippy::panic, clippy::print_stdout)]

use std::hint::black_box;
use std::path::Path;

use fulcrum_sim::{CompiledModel, LANES, Point, compile};

fn load(path: &Path) -> CompiledModel {
    let bytes = std::fs::read(path).unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    let model = match path.extension().and_then(|extension| extension.to_str()) {
        Some("mdl") => fulcrum_vensim::read(&fulcrum_vensim::decode(bytes)).expect("a Vensim model").0,
        Some("xmile" | "stmx" | "xml") => {
            fulcrum_xmile::read(&String::from_utf8(bytes).expect("UTF-8")).expect("an XMILE model").0
        }
        _ => fulcrum_model::native::read(&String::from_utf8(bytes).expect("UTF-8")).expect("a model file").0,
    };
    let resolved = fulcrum_model::resolve(&model).expect("valid model");
    compile(&resolved).expect("compiles")
}

fn main() {
    let mut args = std::env::args().skip(1);
    let path = args.next().expect("usage: batch_runs MODEL BATCHES [VARIABLE]");
    let batches = args.next().unwrap_or_else(|| "1".to_owned());
    let whole = load(Path::new(&path));
    if batches == "single" {
        // One run as `cargo bench --bench vensim` times it: one lane, every variable kept.
        let results = whole.new_run().run().expect("the run ends");
        println!("1 run of {path}: {} columns", results.names().len());
        return;
    }
    let batches: usize = batches.parse().expect("BATCHES is a whole number or `single`");
    let (model, kept) = match args.next() {
        None => (whole.clone(), whole.output_variables()),
        Some(name) => {
            let variable = whole.lookup(&name).unwrap_or_else(|| panic!("no variable {name}"));
            (whole.keeping(&[variable]), vec![variable])
        }
    };
    let (all, computed) = (whole.instruction_counts().1, model.instruction_counts().1);
    println!("{computed} of {all} instructions per evaluation");
    let mut batch = model.batch::<LANES>();
    let default = model.constants().first().map_or(1.0, |c| c.default);
    let last_save = model.axis().save_count() - 1;
    let mut total = 0.0;
    for first in (0..batches * LANES).step_by(LANES) {
        for lane in 0..LANES {
            batch.set(lane, 0, default * (1.0 + ((first + lane) % 7) as f64 * 0.01));
        }
        let mut keep = |point: &Point<'_, LANES>| {
            if point.saved == Some(last_save) {
                for &variable in &kept {
                    total += point.get(variable).iter().sum::<f64>();
                }
            }
        };
        let failures = black_box(&mut batch).run(&mut keep);
        assert!(failures.iter().all(Option::is_none), "a run failed: {failures:?}");
    }
    println!("{} runs of {path}: {total}", batches * LANES);
}
