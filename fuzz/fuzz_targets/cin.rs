//! The Vensim changes file reader: any text reads or gives located diagnostics, and what reads
//! applies to a model or is refused with located diagnostics. Bytes that are not UTF-8 are read as
//! Windows-1252, as `fulcrum` reads a `.cin` file.

#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|bytes: &[u8]| fulcrum_fuzz::cin(bytes));
