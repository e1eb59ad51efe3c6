//! The experiment reader: any text reads or gives located diagnostics; an experiment that reads
//! is applied to a fixed model (the workforce model, whose names the seed experiments use) and
//! planned, and the first and last rows of its design are drawn.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| fulcrum_fuzz::experiment(text));
