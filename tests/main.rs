//! End-to-end tests: the `fulcrum` binary as a user runs it, on the bundled models and on broken
//! ones.

// Test helpers stop at the first surprise, like the tests themselves.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod analysis;
mod bad_inputs;
mod calibrate;
mod cli;
mod conformance;
mod crate_graph;
mod discover;
mod fuzz_regressions;
mod models;
mod report;
mod sample;
mod shards;
mod sweep;
mod units;
mod vensim_changes;
mod vensim_functions;
mod vensim_reference;
mod xmile_arrays;
mod xmile_modules;
mod xmile_real_models;
mod xmile_stella;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

/// The repository root.
pub fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

/// Runs `fulcrum` with these arguments from the repository root.
pub fn fulcrum(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_fulcrum")).args(args).current_dir(root()).output().expect("the binary starts")
}

/// Standard output as text.
pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Standard error as text.
pub fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The bundled models: each folder of models/ with a model.toml.
pub fn bundled_models() -> Vec<PathBuf> {
    let mut models: Vec<PathBuf> = std::fs::read_dir(root().join("models"))
        .expect("models/ exists")
        .map(|entry| entry.expect("readable").path().join("model.toml"))
        .filter(|path| path.exists())
        .collect();
    models.sort();
    models
}

/// Every file of a directory, by name.
pub fn files(directory: &Path) -> BTreeMap<String, Vec<u8>> {
    std::fs::read_dir(directory)
        .expect("output directory")
        .map(|entry| {
            let path = entry.expect("entry").path();
            (path.file_name().expect("name").to_string_lossy().into_owned(), std::fs::read(&path).expect("readable"))
        })
        .collect()
}

/// Runs `fulcrum ARGS -o SCRATCH/T --threads T` with one thread and with two, asserts that both
/// succeed with the same files, byte for byte, and the same standard output, and returns them.
pub fn same_on_one_thread_or_two(scratch: &Path, args: &[&str]) -> (BTreeMap<String, Vec<u8>>, String) {
    let mut runs = Vec::new();
    for threads in ["1", "2"] {
        let out = scratch.join(threads);
        let mut all = args.to_vec();
        all.extend(["-o", out.to_str().expect("utf-8"), "--threads", threads]);
        let output = fulcrum(&all);
        assert!(output.status.success(), "{}", stderr(&output));
        runs.push((files(&out), stdout(&output)));
    }
    let two = runs.pop().expect("two runs");
    let one = runs.pop().expect("two runs");
    assert!(one.0 == two.0, "one thread and two give different bytes");
    assert_eq!(one.1, two.1, "one thread and two print different summaries");
    one
}
