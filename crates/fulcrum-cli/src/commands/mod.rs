//! One module per verb.

pub mod check;
pub mod convert;
pub mod run;
pub mod sweep;

use fulcrum_model::VarId;
use fulcrum_model::diagnostic::closest_match;
use fulcrum_sim::CompiledModel;

use crate::CliError;

/// The variables a flag names (comma-separated names as written in the model, or `all`), in
/// that order. No names: none.
pub fn variables_named(compiled: &CompiledModel, names: &[String], flag: &str) -> Result<Vec<VarId>, CliError> {
    let available = compiled.output_variables();
    if let [only] = names
        && only.trim().eq_ignore_ascii_case("all")
    {
        return Ok(available);
    }
    names
        .iter()
        .map(|name| {
            let name = name.trim();
            compiled.lookup(name).filter(|id| available.contains(id)).ok_or_else(|| {
                let known: Vec<&str> = available.iter().map(|id| compiled.name(*id)).collect();
                let hint =
                    closest_match(name, known).map(|near| format!(" (did you mean `{near}`?)")).unwrap_or_default();
                CliError::Usage(format!("{flag}: `{name}` is not a variable of the model{hint}"))
            })
        })
        .collect()
}
