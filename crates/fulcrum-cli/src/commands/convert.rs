//! `fulcrum convert`: any model file to the native TOML format or to XMILE.

use std::io::{self, Write};

use fulcrum_model::native;
use fulcrum_report::{check_not_input, write_atomically};

use crate::CliError;
use crate::args::ConvertArgs;
use crate::load::read_model_with_data;

/// Converts when the file can be read; problems the model still has (say, an equation the
/// exporting tool could not convert) are left for `fulcrum check` to show in the written file.
pub fn convert(args: &ConvertArgs) -> Result<(), CliError> {
    let loaded = read_model_with_data(&args.model, &args.data)?;
    if loaded.diagnostics.has_errors() {
        crate::load::print_diagnostics(&loaded.path, &loaded.source, &loaded.diagnostics.0);
        return Err(CliError::InvalidModel(loaded.diagnostics.error_count()));
    }
    let xmile = match args.to.as_deref() {
        Some(format) => format == "xmile",
        None => args.output.as_deref().and_then(|path| path.extension()).is_some_and(|extension| {
            ["xmile", "stmx", "xml"].iter().any(|known| extension.eq_ignore_ascii_case(known))
        }),
    };
    if xmile {
        let unwritable = fulcrum_xmile::unwritable(&loaded.model);
        if !unwritable.is_empty() {
            crate::load::print_diagnostics(&loaded.path, &loaded.source, &unwritable);
            return Err(CliError::InvalidModel(unwritable.len()));
        }
    }
    let text = if xmile { fulcrum_xmile::write(&loaded.model) } else { native::write(&loaded.model) };
    if let Err(problems) = fulcrum_model::resolve(&loaded.model) {
        eprintln!(
            "note: the model has {} problem{}; run `fulcrum check` on the converted file to see them",
            problems.error_count(),
            if problems.error_count() == 1 { "" } else { "s" }
        );
    }
    match &args.output {
        Some(path) => {
            check_not_input(path, &[&args.model]).map_err(|error| CliError::Io(error.into()))?;
            write_atomically(path, |out| out.write_all(text.as_bytes())).map_err(|error| CliError::Io(error.into()))
        }
        None => io::stdout().lock().write_all(text.as_bytes()).map_err(CliError::from_stdout),
    }
}
