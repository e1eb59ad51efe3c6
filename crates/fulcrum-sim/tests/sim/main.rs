//! Simulator tests: analytic solutions, built-ins, lanes, non-negative stocks, failures.

// Test helpers stop at the first surprise, like the tests themselves.
#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

mod analytic;
mod arrays;
mod builtins;
mod changes;
mod computed_time;
mod conveyors;
mod delay_properties;
mod failures;
mod folding;
mod lanes;
mod precision;
mod pruning;
mod stella_functions;
mod stella_library;
mod stocks;
mod vensim_library;

use fulcrum_model::Model;
use fulcrum_sim::{CompiledModel, Results, compile};

/// Resolves and compiles a model that must be valid.
pub fn compiled(model: &Model) -> CompiledModel {
    let resolved = fulcrum_model::resolve(model).unwrap_or_else(|d| panic!("invalid model: {d:?}"));
    compile(&resolved).expect("compiles")
}

/// Runs a valid model once with its own constants.
pub fn run(model: &Model) -> Results {
    compiled(model).new_run().run().expect("runs")
}

/// An equation written in a test, for the options a builder leaves at their defaults.
pub fn equation(text: &str) -> fulcrum_model::Equation {
    fulcrum_model::Equation::new(text, fulcrum_model::Origin::default())
}

/// One variable's saved series.
pub fn series(results: &Results, name: &str) -> Vec<f64> {
    results.series(name).unwrap_or_else(|| panic!("no series {name}")).to_vec()
}
