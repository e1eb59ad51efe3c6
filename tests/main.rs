//! End-to-end tests: the `fulcrum` binary as a user runs it, on the bundled models and on broken
//! ones.

// Test helpers stop at the first surprise, like the tests themselves.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod analysis;
mod cli;
mod conformance;
mod crate_graph;
mod diagnostics;
mod models;
mod sweep;

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
