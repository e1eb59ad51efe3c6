//! Every input the fuzzers in `fuzz/` found a bug with, kept in `fuzz/regressions/<target>/`,
//! replayed through the calls its target makes: none may panic, and every diagnostic must point
//! into its file. A new regression file needs no new code.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::Path;

use crate::root;

/// What each fuzz target does with its input: the same file the targets use.
#[path = "../fuzz/src/lib.rs"]
#[allow(dead_code, clippy::panic)]
mod targets;

/// Replays each file of `fuzz/regressions/<target>/` through `replay`, and names every file that
/// panicked.
fn replay_all(target: &str, replay: impl Fn(&[u8])) {
    let directory = root().join("fuzz").join("regressions").join(target);
    let Ok(entries) = std::fs::read_dir(&directory) else { return };
    let mut paths: Vec<_> = entries.map(|entry| entry.expect("readable").path()).collect();
    paths.sort();
    let mut failures = Vec::new();
    for path in paths {
        let bytes = std::fs::read(&path).expect("readable");
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| replay(&bytes))) {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|text| (*text).to_owned()))
                .unwrap_or_default();
            failures.push(format!("{}: {message}", display(&path)));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

fn display(path: &Path) -> String {
    path.strip_prefix(root()).unwrap_or(path).display().to_string()
}

/// The targets that take text skip bytes that are not UTF-8, as cargo fuzz does.
fn text(bytes: &[u8], target: fn(&str)) {
    if let Ok(text) = std::str::from_utf8(bytes) {
        target(text);
    }
}

#[test]
fn equation() {
    replay_all("equation", |bytes| text(bytes, targets::equation));
}

#[test]
fn native() {
    replay_all("native", |bytes| text(bytes, targets::native));
}

#[test]
fn xmile() {
    replay_all("xmile", |bytes| text(bytes, targets::xmile));
}

#[test]
fn mdl() {
    replay_all("mdl", |bytes| text(bytes, targets::mdl));
}

#[test]
fn expected_output() {
    replay_all("expected_output", targets::expected_output);
}

#[test]
fn experiment() {
    replay_all("experiment", |bytes| text(bytes, targets::experiment));
}

#[test]
fn run() {
    replay_all("run", |bytes| text(bytes, targets::read_and_run));
}
