//! The fulcrum simulator: compile a model once, then run it many times, many runs side by side.
//!
//! [`compile`] lowers a [`ResolvedModel`] to a flat program over numbered slots
//! ([`CompiledModel`], immutable, `Send + Sync`). A [`Batch`] runs `L` runs at once: slot `s` of
//! run `l` lives at `values[s][l]`, and every instruction is a loop over the lanes. Constants are
//! slots, so a new parameter value never recompiles. Stateful built-ins were lowered to hidden
//! stocks by the resolver and are integrated like any other stock.
//!
//! ```
//! use fulcrum_model::builder::ModelBuilder;
//! let model = ModelBuilder::new(0.0, 10.0, 1.0)
//!     .stock("Savings", "100", &["Interest"], &[])
//!     .flow("Interest", "Savings * Rate")
//!     .constant("Rate", 0.1)
//!     .build();
//! let compiled = fulcrum_sim::compile(&fulcrum_model::resolve(&model).unwrap()).unwrap();
//! let mut run = compiled.new_run();
//! run.set("Rate", 0.05).unwrap();
//! let results = run.run().unwrap();
//! let savings = results.series("Savings").unwrap();
//! assert!((savings[10] - 100.0 * 1.05f64.powi(10)).abs() < 1e-9);
//! ```

// Lane loops index several arrays with one lane number; that reads better than zipped iterators.
#![allow(clippy::needless_range_loop)]

mod batch;
mod compile;
mod error;
pub mod functions;
mod fuse;
mod program;
mod prune;
mod run;
mod vm;

use std::collections::HashMap;

pub use batch::{Batch, Observer, Point};
pub use compile::{CompileOptions, compile, compile_with};
pub use error::{Failure, SimError};
pub use fulcrum_model::{Precision, ResolvedModel, VarId};
pub use program::TimeAxis;
pub use run::{Results, Run};

use fulcrum_model::CanonicalName;
use program::{ComputedAxis, Instr, Layout, Op, Slot, Table};

/// Lanes per batch that measure fastest on the benchmarks (see ARCHITECTURE.md).
pub const LANES: usize = 16;

/// A model compiled for the VM. Immutable: share it between threads and batches.
#[derive(Clone, Debug)]
pub struct CompiledModel {
    axis: TimeAxis,
    /// Time settings computed during the run, when the model has any.
    computed: Option<ComputedAxis>,
    /// Whether runs store and compute values in single precision, as Vensim does.
    precision: Precision,
    layout: Layout,
    initial: Vec<Op>,
    evaluate: Vec<Op>,
    /// `evaluate` as the interpreter runs it (`fuse::fuse`).
    evaluate_fused: Vec<Instr>,
    graphs: Vec<Table>,
    /// Lists of slots that `Choose` and `Order` read.
    lists: Vec<Vec<Slot>>,
    variables: Vec<VariableInfo>,
    constants: Vec<ConstantInfo>,
    names: HashMap<CanonicalName, VarId>,
    /// Which part of the model each instruction belongs to, for [`CompiledModel::keeping`].
    pruning: prune::Pruning,
}

#[derive(Clone, Debug)]
struct VariableInfo {
    name: String,
    slot: Slot,
    user: bool,
    /// A graphical function, or an element without an equation: it has no values to output.
    valueless: bool,
}

/// A constant of the model: a slot that runs may set.
#[derive(Clone, Debug, PartialEq)]
pub struct ConstantInfo {
    /// Which variable.
    pub variable: VarId,
    /// Its name as written.
    pub name: String,
    /// The value in the model file.
    pub default: f64,
    /// Whether runs may change it part-way ([`Batch::set_from`]).
    pub changing: bool,
    pub(crate) slot: Slot,
}

impl CompiledModel {
    /// The time axis: start, stop, dt, steps, save interval and method.
    pub fn axis(&self) -> &TimeAxis {
        &self.axis
    }

    /// Whether the stop time, the time step or the save interval is computed during the run,
    /// so that each run (each lane of a batch) finds its own steps and saved times; then
    /// [`CompiledModel::axis`] gives only the start, the method and the settings that are numbers.
    pub fn time_is_computed(&self) -> bool {
        self.computed.is_some()
    }

    /// The variables that compute time settings during the run, with the setting each gives
    /// (`"stop"`, `"dt"` or `"save_step"`).
    pub fn computed_settings(&self) -> Vec<(&'static str, VarId)> {
        let Some(computed) = &self.computed else { return Vec::new() };
        [("stop", computed.stop), ("dt", computed.dt), ("save_step", computed.save)]
            .into_iter()
            .filter_map(|(key, setting)| setting.map(|(_, variable)| (key, variable)))
            .collect()
    }

    /// The precision runs compute in (the model's `precision` setting).
    pub fn precision(&self) -> Precision {
        self.precision
    }

    /// The model's constants, in file order. Their positions index [`Batch::set`].
    pub fn constants(&self) -> &[ConstantInfo] {
        &self.constants
    }

    /// Position of a constant in [`CompiledModel::constants`], by name (any spelling).
    pub fn constant_index(&self, name: &str) -> Result<usize, SimError> {
        let variable = self.lookup(name).ok_or_else(|| SimError::UnknownVariable(name.to_owned()))?;
        self.constants
            .iter()
            .position(|c| c.variable == variable)
            .ok_or_else(|| SimError::NotAConstant(name.to_owned()))
    }

    /// The model variable with this name (any spelling).
    pub fn lookup(&self, name: &str) -> Option<VarId> {
        self.names.get(&CanonicalName::new(name)).copied()
    }

    /// The model's own variables that have values (graphical functions and elements without an
    /// equation excluded), in file order.
    pub fn output_variables(&self) -> Vec<VarId> {
        let mut ids: Vec<VarId> = self.names.values().copied().filter(|id| self.variables[id.index()].user).collect();
        ids.sort_unstable();
        ids.retain(|id| !self.variables[id.index()].valueless);
        ids
    }

    /// How many variables the model has (its `VarId`s run from 0 to this, exclusive).
    pub fn variable_count(&self) -> usize {
        self.variables.len()
    }

    /// A variable's name as written.
    pub fn name(&self, variable: VarId) -> &str {
        &self.variables[variable.index()].name
    }

    fn display_name(&self, variable: VarId) -> String {
        self.variables[variable.index()].name.clone()
    }

    fn variable_at(&self, slot: Slot) -> VarId {
        let index = self.variables.iter().position(|v| v.slot == slot).unwrap_or(0);
        VarId(index as u32)
    }

    /// How many instructions the initial program and the evaluation program hold: the second
    /// runs once per Euler step or Runge-Kutta stage, in every lane.
    pub fn instruction_counts(&self) -> (usize, usize) {
        (self.initial.len(), self.evaluate.len())
    }

    /// A single run of the model (a batch of one lane).
    pub fn new_run(&self) -> Run<'_> {
        Run::new(self)
    }

    /// A batch of `L` runs side by side.
    pub fn batch<const L: usize>(&self) -> Batch<'_, L> {
        Batch::new(self)
    }
}
