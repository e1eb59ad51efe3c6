//! Experiments: what varies between the runs of a sweep, how the runs go in parallel, and what
//! comes out of them.
//!
//! An [`experiment`] file names a model, its uncertain constants, levers, interventions and
//! outcomes. [`Experiment::plan`] checks it against the compiled model and gives a
//! [`design::Design`] (which inputs each run gets: a pure function of the design, the seed and
//! the run id) and bound [`outcome::Outcome`]s. A [`sweep::Sweep`] runs the design on the rayon
//! pool and hands the runs to a [`sweep::Sink`] block by block, in run order, with [`bands`]
//! reduced on the way. [`Runs`] are a design's rows with the settings every run gets (an
//! experiment's own sample: [`Runs::sample`]); [`Sweep::collect`] keeps a sweep in memory
//! ([`SweepResults`]: inputs, outcomes, failures, kept trajectories, bands), and [`Tee`] feeds
//! a file writer and [`Collect`] at once.

// Lane loops index several arrays with one lane number; that reads better than zipped iterators.
#![allow(clippy::needless_range_loop)]

pub mod bands;
pub mod collect;
pub mod design;
pub mod distribution;
pub mod experiment;
pub mod names;
pub mod outcome;
mod permutation;
pub mod runs;
pub mod sobol;
mod store;
pub mod sweep;

pub use collect::{Collect, SweepResults, Tee};
pub use design::{Design, Factor, FactorKind, Inputs, Sampler, Table};
pub use distribution::Distribution;
pub use experiment::{
    Calibration, Experiment, InterventionError, Likelihood, Plan, Robustness, SearchSettings, Setting,
};
pub use outcome::{Better, LoopId, LoopShare, Outcome, Statistic};
pub use runs::{Part, Rows, Runs};
pub use sweep::{Block, MEMORY_LIMIT, Progress, Silent, Sink, Summary, Sweep, SweepError};
