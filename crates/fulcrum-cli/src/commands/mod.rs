//! One module per verb.

pub mod check;
pub mod convert;
pub mod run;
