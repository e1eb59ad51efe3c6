//! `fulcrum diagram`: a model's stock-and-flow diagram as SVG.

use fulcrum_loops::{Options, analyze_run};
use fulcrum_report::diagram::{diagram_with_loop, saved_layout};
use fulcrum_report::{check_not_input, write_atomically};
use fulcrum_sim::compile;

use crate::CliError;
use crate::args::DiagramArgs;
use crate::commands::loops::{loop_named, refused, setup};
use crate::load::{read_model_with_data, resolve_loaded_units};

/// Draws the model, which must resolve (its links are what its equations read); with `--loop`,
/// the model is run and its loops scored as `fulcrum loops` does, so the ids are the same.
pub fn diagram(args: &DiagramArgs) -> Result<(), CliError> {
    let loaded = read_model_with_data(&args.model, &args.data)?;
    let resolved = resolve_loaded_units(&loaded, false)?;
    let layout = if args.automatic { None } else { saved_layout(&loaded) };
    let on_loop = match &args.on_loop {
        Some(id) => {
            let model = args.model.display();
            let compiled = compile(&resolved).map_err(|error| CliError::Input(format!("{model}: {error}")))?;
            let analysis = analyze_run(&resolved, &compiled, setup(&[]), &Options::default())
                .map_err(|error| refused(&args.model, error))?;
            analysis.loops[loop_named(&analysis, id)?].variables.clone()
        }
        None => Vec::new(),
    };
    let svg = diagram_with_loop(&loaded.model, &resolved, layout.as_ref(), &on_loop);
    match &args.output {
        Some(path) => {
            check_not_input(path, &[&args.model]).map_err(|error| CliError::Io(error.into()))?;
            write_atomically(path, |out| out.write_all(svg.as_bytes())).map_err(|error| CliError::Io(error.into()))
        }
        None => super::print_stdout(&svg),
    }
}
