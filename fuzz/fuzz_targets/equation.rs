//! The equation parser: any text parses or gives a located error, and what parses prints as text
//! that parses to the same equation (what `fulcrum convert` relies on).

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|text: &str| fulcrum_fuzz::equation(text));
