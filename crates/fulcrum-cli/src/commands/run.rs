//! `fulcrum run`: one run, written as wide CSV.

use std::io::{self, Write};

use fulcrum_model::diagnostic::closest_match;
use fulcrum_model::{CanonicalName, Code, Diagnostic, VariableKind};
use fulcrum_report::{check_not_input, write_atomically, write_results_csv};
use fulcrum_sim::{CompiledModel, SimError, compile};

use crate::CliError;
use crate::args::RunArgs;
use crate::commands::variables_named;
use crate::experiment::prepare;
use crate::load::{LoadedModel, apply_changes, print_diagnostics, read_model_with_data, resolve_loaded_units};

pub fn run(args: &RunArgs) -> Result<(), CliError> {
    let (compiled, settings, loaded) = match (&args.experiment, &args.model) {
        (Some(experiment), _) => {
            let prepared = prepare(experiment, |_| Ok(()))?;
            let (settings, _) = crate::experiment::settings(&prepared, args.intervention.as_deref())?;
            if args.method.is_some()
                || args.precision.is_some()
                || args.dt.is_some()
                || args.start.is_some()
                || args.stop.is_some()
                || args.save_step.is_some()
            {
                return Err(CliError::Usage(
                    "with --experiment the time settings come from the experiment's [sim] section".to_owned(),
                ));
            }
            crate::experiment::strict_units(&prepared, &args.units)?;
            (prepared.compiled, settings, prepared.model)
        }
        (None, Some(model)) => {
            let mut loaded = read_model_with_data(model, &args.data)?;
            apply_changes(&mut loaded, &args.changes)?;
            apply_overrides(args, &mut loaded.model.sim)?;
            let resolved = resolve_loaded_units(&loaded, args.units.strict_units)?;
            let compiled =
                compile(&resolved).map_err(|error| CliError::Input(format!("{}: {error}", model.display())))?;
            (compiled, Vec::new(), loaded)
        }
        (None, None) => return Err(CliError::Usage("give a MODEL or --experiment FILE".to_owned())),
    };

    let model_path = &loaded.path;
    let mut single = compiled.new_run();
    for setting in &settings {
        let name = &compiled.constants()[setting.constant].name;
        let applied = match setting.from {
            Some(time) => single.set_from(name, time, setting.value),
            None => single.set(name, setting.value),
        };
        applied.map_err(|error| CliError::Input(format!("{}: {error}", model_path.display())))?;
    }
    for (name, value) in &args.set {
        single.set(name, *value).map_err(|error| set_error(&compiled, name, error))?;
    }
    single.set_seed(args.seed, 0);
    let variables = if args.vars.is_empty() {
        compiled.output_variables()
    } else {
        variables_named(&compiled, &args.vars, "--vars")?
    };
    let results = single.run_keeping(&variables).map_err(|error| failed_run(&loaded, error))?;

    if let Some(path) = &args.chart {
        let mut inputs = vec![loaded.path.as_path()];
        inputs.extend(args.experiment.as_deref());
        inputs.extend(args.output.as_deref());
        check_not_input(path, &inputs).map_err(|error| CliError::Io(error.into()))?;
        let svg = crate::commands::charts::run(&loaded, &results, !args.vars.is_empty())
            .map_err(|error| CliError::Io(anyhow::anyhow!("{}: {error}", path.display())))?;
        write_atomically(path, |out| out.write_all(svg.as_bytes())).map_err(|error| CliError::Io(error.into()))?;
    }

    match &args.output {
        Some(path) => {
            let mut inputs = vec![loaded.path.as_path()];
            inputs.extend(args.experiment.as_deref());
            check_not_input(path, &inputs).map_err(|error| CliError::Io(error.into()))?;
            write_atomically(path, |out| write_results_csv(&results, out)).map_err(|error| CliError::Io(error.into()))
        }
        None => {
            let stdout = io::stdout();
            let mut out = io::BufWriter::new(stdout.lock());
            write_results_csv(&results, &mut out).and_then(|()| out.flush()).map_err(CliError::from_stdout)
        }
    }
}

/// A run that produced NaN or infinity, shown at the variable in the model file: its equation,
/// or, for a stock (whose equation is only its initial value) or where the equation's place is
/// not known, its name. An element (`Sales[North]`) or a value computed inside a built-in
/// (`Smoothed [SMTH1 stage 1]`) is shown at the variable it belongs to, a variable inside a
/// module instance (`Sales.Budget`) at the instance where the model has no variable of that name.
fn failed_run(loaded: &LoadedModel, error: SimError) -> CliError {
    let SimError::NonFinite(failure) = &error else { return CliError::Simulation(error) };
    let written = failure.name.split('[').next().unwrap_or(&failure.name);
    let find = |name: &str| {
        let canonical = CanonicalName::new(name);
        loaded.model.variables.iter().find(|variable| variable.canonical == canonical)
    };
    let variable = find(written).or_else(|| written.split_once('.').and_then(|(instance, _)| find(instance)));
    let span = variable.and_then(|variable| {
        let equation = variable.equation.as_ref().and_then(|equation| equation.origin.span);
        match variable.kind {
            VariableKind::Stock { .. } => variable.span.or(equation),
            _ => equation.or(variable.span),
        }
    });
    let Some(span) = span else { return CliError::Simulation(error) };
    let stock = variable.is_some_and(|variable| matches!(variable.kind, VariableKind::Stock { .. }));
    let help = if failure.value.is_finite() {
        // Only a time setting computed during the run fails with a finite value.
        "a time step and a save interval must stay positive, and the stop time must be reached"
    } else if stock {
        "a stock grows past the largest number when its flows compound; check the flows' equations and dt"
    } else {
        "look for a division by something that reaches zero, or a square root or logarithm of a negative number"
    };
    let diagnostic = Diagnostic::new(Code::NonFiniteNumber, format!("the run failed: {failure}"))
        .at(Some(span))
        .labelled(if failure.value.is_finite() {
            format!("was {} at time {}", failure.value, failure.time)
        } else {
            format!("became {} at time {}", if failure.value.is_nan() { "NaN" } else { "infinite" }, failure.time)
        })
        .with_help(help);
    print_diagnostics(&loaded.path, &loaded.source, &[diagnostic]);
    CliError::FailedRun
}

/// Simulation flags replace the model's specs; the file's positions no longer apply to them.
/// Applies the time flags; a time axis they break is a command-line error naming them (the
/// model's own values keep their spans, so their problems stay model diagnostics).
fn apply_overrides(args: &RunArgs, sim: &mut fulcrum_model::SimSpecs) -> Result<(), CliError> {
    // A setting the model computes during the run has a variable that shows it; a number from
    // the command line would make the run and that variable disagree.
    let computed = &sim.computed;
    for (flag, given, variable) in [
        ("--dt", args.dt.is_some(), &computed.dt),
        ("--stop", args.stop.is_some(), &computed.stop),
        ("--save-step", args.save_step.is_some(), &computed.save_step),
    ] {
        if let (true, Some(variable)) = (given, variable) {
            return Err(CliError::Usage(format!(
                "{flag}: the model computes this setting during the run (`{variable}`), so a number cannot replace it; \
                 change the equation of `{variable}` instead"
            )));
        }
    }
    if let Some(method) = args.method {
        sim.method = method;
        sim.spans.method = None;
    }
    if let Some(precision) = args.precision {
        sim.precision = precision;
        sim.spans.precision = None;
    }
    if let Some(dt) = args.dt {
        sim.dt = dt;
        sim.spans.dt = None;
    }
    if let Some(start) = args.start {
        sim.start = start;
        sim.spans.start = None;
    }
    if let Some(stop) = args.stop {
        sim.stop = stop;
        sim.spans.stop = None;
    }
    if let Some(save_step) = args.save_step {
        sim.save_step = Some(save_step);
        sim.spans.save_step = None;
    }
    let mut problems = fulcrum_model::Diagnostics::default();
    fulcrum_model::resolve::check_sim_specs(sim, &mut problems);
    match problems.0.iter().find(|problem| problem.span.is_none()) {
        Some(problem) => Err(CliError::Usage(format!("--start/--stop/--dt/--save-step: {}", problem.message))),
        None => Ok(()),
    }
}

fn set_error(compiled: &CompiledModel, name: &str, error: SimError) -> CliError {
    let constants: Vec<&str> = compiled.constants().iter().map(|c| c.name.as_str()).collect();
    let hint = match &error {
        SimError::UnknownVariable(_) => match closest_match(name, constants.iter().copied()) {
            Some(near) => format!(" (did you mean `{near}`?)"),
            None if constants.is_empty() => " (the model has no constants)".to_owned(),
            None => format!(" (constants: {})", constants.join(", ")),
        },
        _ => String::new(),
    };
    CliError::Usage(format!("--set {name}: {error}{hint}"))
}
