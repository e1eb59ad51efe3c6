//! Finding interventions rather than only ranking them: a many-objective robust search over an
//! experiment's levers (`search`) and PRIM scenario discovery over a sweep's inputs (`prim`).

pub mod prim;
pub mod search;
