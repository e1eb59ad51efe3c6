//! `fulcrum diagram`: a model's stock-and-flow diagram as SVG.

use fulcrum_report::diagram::{diagram as draw, saved_layout};
use fulcrum_report::{check_not_input, write_atomically};

use crate::CliError;
use crate::args::DiagramArgs;
use crate::load::{read_model_with_data, resolve_loaded_units};

/// Draws the model, which must resolve (its links are what its equations read).
pub fn diagram(args: &DiagramArgs) -> Result<(), CliError> {
    let loaded = read_model_with_data(&args.model, &args.data)?;
    let resolved = resolve_loaded_units(&loaded, false)?;
    let layout = if args.automatic { None } else { saved_layout(&loaded) };
    let svg = draw(&loaded.model, &resolved, layout.as_ref());
    match &args.output {
        Some(path) => {
            check_not_input(path, &[&args.model]).map_err(|error| CliError::Io(error.into()))?;
            write_atomically(path, |out| out.write_all(svg.as_bytes())).map_err(|error| CliError::Io(error.into()))
        }
        None => super::print_stdout(&svg),
    }
}
