//! The estimators against independent references: SALib's outputs on its own golden inputs,
//! analytic indices of test functions, and closed-form expectations.

// Test helpers stop at the first surprise, like the tests themselves.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod analysis;
mod loops;
mod morris;
mod regression;
mod sobol;

use std::path::PathBuf;

/// The reference folder `../shared/reference/gsa/out` beside the repository.
pub fn reference_dir() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../../shared/reference/gsa/out");
    assert!(dir.is_dir(), "the GSA reference numbers are expected in {}", dir.display());
    dir
}

/// `reference.json`.
pub fn reference() -> serde_json::Value {
    let text = std::fs::read_to_string(reference_dir().join("reference.json")).expect("reference.json");
    serde_json::from_str(&text).expect("valid JSON")
}

/// A headerless or headed CSV of numbers, row by row (a header row, if any, is skipped).
pub fn numbers(name: &str) -> Vec<Vec<f64>> {
    let mut reader =
        csv::ReaderBuilder::new().has_headers(false).from_path(reference_dir().join(name)).expect("readable CSV");
    reader
        .records()
        .map(|record| record.expect("valid CSV"))
        .filter_map(|record| record.iter().map(|cell| cell.trim().parse::<f64>().ok()).collect::<Option<Vec<f64>>>())
        .collect()
}
