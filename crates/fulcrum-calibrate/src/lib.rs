//! Calibration: the constants of an experiment fitted to historical series (a payoff or likelihood,
//! a global optimizer, then a posterior sampled by MCMC) so that later sweeps run over what the
//! data allows.

pub mod data;
pub mod payoff;
pub mod problem;

pub use data::{History, read_history};
pub use problem::{Problem, Score};
