//! The crate's error type.

use fulcrum_model::VarId;

/// What can go wrong compiling or running a model.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum SimError {
    /// A run produced NaN or infinity.
    #[error("{0}")]
    NonFinite(Failure),
    /// A name given to set a value is not a variable of the model.
    #[error("`{0}` is not a variable of the model")]
    UnknownVariable(String),
    /// A value was set on a variable that is not a constant.
    #[error("`{0}` is not a constant of the model, so it cannot be set")]
    NotAConstant(String),
    /// A constant position past the end of [`crate::CompiledModel::constants`].
    #[error("there is no constant number {0}")]
    UnknownConstant(usize),
    /// A constant asked to change part-way through a run was not compiled to allow it.
    #[error("`{0}` was not compiled as a constant that changes during a run")]
    NotChanging(String),
    /// A constant asked to change part-way through a run of a model whose time settings are
    /// computed during the run.
    #[error(
        "`{0}` cannot change part-way through a run of this model: its time settings are computed during the run, and changes part-way are scheduled on a fixed time axis"
    )]
    ChangeWithComputedTime(String),
    /// A value that is not a finite number.
    #[error("the value for `{name}` must be a finite number, not {value}")]
    NotFinite {
        /// The variable being set.
        name: String,
        /// The value given.
        value: f64,
    },
    /// The time axis gives no steps, or absurdly many.
    #[error("the time axis from {start} to {stop} in steps of {dt} is not usable")]
    InvalidTimeAxis {
        /// Start time.
        start: f64,
        /// Stop time.
        stop: f64,
        /// Time step.
        dt: f64,
    },
    /// The model needs more slots than the VM addresses.
    #[error("the model is too large to compile")]
    TooLarge,
    /// Keeping the requested results would take more memory than is sensible.
    #[error(
        "keeping {rows} saved times of {columns} variables would take {gib:.1} GiB; save less often (a larger save step) or keep fewer variables"
    )]
    ResultsTooLarge {
        /// Saved times.
        rows: usize,
        /// Variables kept.
        columns: usize,
        /// The memory it would take, in GiB.
        gib: f64,
    },
}

/// A run that went bad: which variable, when, and the value it took.
#[derive(Clone, Debug, PartialEq)]
pub struct Failure {
    /// The variable that first held a non-finite value.
    pub variable: VarId,
    /// Its name as written (for a hidden variable, its owner's name and role).
    pub name: String,
    /// The simulation time.
    pub time: f64,
    /// NaN or an infinity.
    pub value: f64,
}

impl std::fmt::Display for Failure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.value.is_finite() {
            // Only a computed time setting fails with a finite value.
            return write!(
                f,
                "`{}` was {} at time {}, which is not a usable time setting (a time step and a save interval must be positive and move time on; a stop time must be reached)",
                self.name, self.value, self.time
            );
        }
        let what = if self.value.is_nan() { "NaN (not a number)".to_owned() } else { format!("{}", self.value) };
        write!(f, "`{}` became {what} at time {}", self.name, self.time)
    }
}
