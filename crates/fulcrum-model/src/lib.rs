//! The fulcrum model: its intermediate representation, equation language, readers and checks.
//!
//! Pipeline stages in this crate, each with its own type:
//! - [`syntax`]: equation text → [`syntax::Expr`] (names still text);
//! - [`native`]: a `.toml` model file → [`Model`] (the IR, equations parsed);
//! - [`resolve()`]: [`Model`] → [`ResolvedModel`] (names are [`VarId`]s, stateful built-ins
//!   lowered to hidden stocks, evaluation orders computed, loops rejected).
//!
//! Every problem becomes a [`Diagnostic`] with a stable [`Code`] and a span in the file; all the
//! problems of a file are reported in one pass. This crate does no I/O.
//!
//! ```
//! let text = r#"
//! [sim]
//! start = 0
//! stop = 10
//! dt = 1
//!
//! [[stock]]
//! name = "Savings"
//! initial = 100
//! inflows = ["Interest"]
//!
//! [[flow]]
//! name = "Interest"
//! equation = "Savings * Rate"
//!
//! [[constant]]
//! name = "Rate"
//! value = 0.05
//! "#;
//! let (model, diagnostics) = fulcrum_model::native::read(text).unwrap();
//! assert!(diagnostics.0.is_empty());
//! let resolved = fulcrum_model::resolve(&model).unwrap();
//! assert_eq!(resolved.stocks().count(), 1);
//! ```

pub mod builder;
pub mod builtins;
pub mod calendar;
pub mod changes;
pub mod diagnostic;
pub mod layout;
pub mod model;
pub mod name;
pub mod native;
mod native_write;
pub mod resolve;
pub mod syntax;
pub mod toml_walk;
pub mod units;

pub use builtins::Builtin;
pub use diagnostic::{Code, Diagnostic, Diagnostics, LineIndex, Severity};
pub use model::{
    ComputedSettings, Conveyor, Dialect, Dimension, ElementDefinition, Equation, FlowLink, GraphKind,
    GraphicalFunction, Leak, Method, Model, Origin, Precision, SimSpecs, Spread, StringConstant, Variable,
    VariableKind,
};
pub use name::CanonicalName;
pub use resolve::{ResolvedKind, ResolvedModel, ResolvedVariable, VarId, resolve};
