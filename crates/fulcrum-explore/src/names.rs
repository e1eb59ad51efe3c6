//! Variables by name, as flags and bindings give them: comma-separated names as written in the
//! model (a bare array name stands for all its elements), or `all`.

use fulcrum_model::CanonicalName;
use fulcrum_model::diagnostic::closest_match;
use fulcrum_sim::{CompiledModel, VarId};

/// A name that is not an output variable of the model.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
#[error("`{name}` is not a variable of the model{}", near.as_ref().map(|near| format!(" (did you mean `{near}`?)")).unwrap_or_default())]
pub struct UnknownVariable {
    /// The name as given.
    pub name: String,
    /// The closest name the model has, if one is close.
    pub near: Option<String>,
}

/// The variables `names` name (each entry comma-separated names, split by [`split_names`]), in
/// that order; `all` alone is every output variable, and a bare array name all its elements.
/// No names: none.
pub fn variables_named(compiled: &CompiledModel, names: &[String]) -> Result<Vec<VarId>, UnknownVariable> {
    let available = compiled.output_variables();
    let names = split_names(names);
    if let [only] = names.as_slice()
        && only.eq_ignore_ascii_case("all")
    {
        return Ok(available);
    }
    let mut variables = Vec::new();
    for name in &names {
        if let Some(id) = compiled.lookup(name).filter(|id| available.contains(id)) {
            variables.push(id);
            continue;
        }
        let array = CanonicalName::new(name);
        let elements: Vec<VarId> = available
            .iter()
            .copied()
            .filter(|id| compiled.name(*id).split_once('[').is_some_and(|(base, _)| CanonicalName::new(base) == array))
            .collect();
        if elements.is_empty() {
            let known: Vec<&str> = available.iter().map(|id| compiled.name(*id)).collect();
            let near = closest_match(name, known).map(str::to_owned);
            return Err(UnknownVariable { name: name.clone(), near });
        }
        variables.extend(elements);
    }
    Ok(variables)
}

/// Names split at commas outside brackets (`Sales[North,Pizza]` is one name), trimmed, empty
/// ones dropped.
pub fn split_names(values: &[String]) -> Vec<String> {
    let mut names = Vec::new();
    for value in values {
        let (mut depth, mut start) = (0i32, 0);
        for (index, c) in value.char_indices() {
            match c {
                '[' => depth += 1,
                ']' => depth -= 1,
                ',' if depth <= 0 => {
                    names.push(value[start..index].trim().to_owned());
                    start = index + 1;
                }
                _ => {}
            }
        }
        names.push(value[start..].trim().to_owned());
    }
    names.retain(|name| !name.is_empty());
    names
}

#[cfg(test)]
mod tests {
    use super::split_names;

    #[test]
    fn names_split_at_commas_outside_brackets() {
        let given = ["Sales[North,Pizza], Staff".to_owned(), "Cost".to_owned(), " ,".to_owned()];
        assert_eq!(split_names(&given), ["Sales[North,Pizza]", "Staff", "Cost"]);
    }
}
