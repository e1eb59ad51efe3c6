//! Benchmarks of the analysis step (being written).

fn main() {}
