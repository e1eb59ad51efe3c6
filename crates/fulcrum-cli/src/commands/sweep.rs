//! `fulcrum sweep`: an experiment's design, run in parallel, written as CSV.

use std::path::Path;
use std::time::Instant;

use fulcrum_explore::bands::{QuantileMethod, SKETCH_RELATIVE_ERROR};
use fulcrum_explore::{FactorKind, Sampler, Sweep, SweepError};
use fulcrum_model::CanonicalName;
use fulcrum_report::sweep::{FileDigest, GridAxis, Shard, TimeSpec};
use fulcrum_report::{Manifest, SweepWriter};
use fulcrum_sim::VarId;

use crate::CliError;
use crate::args::{QuantileChoice, SweepArgs};
use crate::commands::{Bar, variables_named};
use crate::experiment::prepare;
use crate::shard::shard_runs;

pub fn sweep(args: &SweepArgs) -> Result<(), CliError> {
    let prepared = prepare(&args.experiment, |experiment| {
        let sampling = &mut experiment.sampling;
        if let Some(runs) = args.runs {
            if let Sampler::Grid { .. } = sampling.sampler {
                return Err(CliError::Usage(
                    "--runs: a grid sample's size is `levels` per uncertain constant; change `levels` instead"
                        .to_owned(),
                ));
            }
            (sampling.runs, sampling.runs_span) = (runs, None);
        }
        if let Some(seed) = args.seed {
            sampling.seed = seed;
        }
        for axis in &args.grid {
            let name = CanonicalName::new(&axis.name);
            sampling.grid.retain(|existing| CanonicalName::new(&existing.name) != name);
            sampling.grid.push(axis.clone());
        }
        Ok(())
    })?;
    let (settings, intervention) = prepared.settings(args.intervention.as_deref())?;
    let compiled = &prepared.compiled;
    let plan = &prepared.plan;
    let bands = band_variables(args, compiled, plan)?;
    let keep = variables_named(compiled, &args.save_runs, "--save-runs")?;
    if args.output.exists() && !args.output.is_dir() {
        return Err(CliError::Usage(format!("-o {}: not a directory", args.output.display())));
    }

    let design = &plan.design;
    let shard = match &args.shard {
        None => None,
        Some(flag) => Some(flag.resolve(args.shards, |name| std::env::var(name).ok()).map_err(CliError::Usage)?),
    };
    let runs = shard.map_or(0..design.runs(), |choice| shard_runs(choice, design.runs()));
    let points = (bands.len() * compiled.axis().save_count()) as u64;
    let sweep = Sweep {
        model: compiled,
        design,
        settings: &settings,
        outcomes: &plan.outcomes,
        bands: &bands,
        keep: &keep,
        runs: runs.clone(),
        // A shard takes the method of the whole sweep, so that the shards merge into it.
        quantiles: Some(match args.quantiles {
            Some(QuantileChoice::Exact) => QuantileMethod::Exact,
            Some(QuantileChoice::Sketch) => QuantileMethod::Sketch,
            None => QuantileMethod::for_values(design.runs().saturating_mul(points)),
        }),
    };
    let mut pool = rayon::ThreadPoolBuilder::new();
    if let Some(threads) = args.threads {
        pool = pool.num_threads(usize::from(threads));
    }
    let pool = pool.build().map_err(|error| CliError::Io(anyhow::anyhow!("cannot start worker threads: {error}")))?;
    if let Some(problem) = sweep.memory_problem(pool.current_num_threads()) {
        return Err(CliError::Usage(problem));
    }
    let names = |ids: &[VarId]| ids.iter().map(|id| compiled.name(*id).to_owned()).collect::<Vec<String>>();
    let factor_names: Vec<&str> =
        design.factors.iter().map(|f| compiled.constants()[f.constant].name.as_str()).collect();
    let outcome_names: Vec<&str> = plan.outcomes.iter().map(|o| o.name.as_str()).collect();
    let (band_names, keep_names) = (names(&bands), names(&keep));
    let mut writer =
        SweepWriter::create(&args.output, &factor_names, &outcome_names, &as_str(&keep_names), sweep.save_times())
            .map_err(|error| CliError::Io(error.into()))?;

    let bar = Bar::new(runs.end - runs.start);
    let started = Instant::now();
    let failed = |error| match error {
        SweepError::Model(error) => CliError::Input(format!("{}: {error}", prepared.path.display())),
        SweepError::Output(error) => {
            CliError::Io(anyhow::anyhow!("cannot write to {}: {error}", args.output.display()))
        }
        SweepError::Memory(error) => CliError::Io(anyhow::anyhow!("{error}; --quantiles sketch needs far less")),
    };
    let (bands_or_parts, failures) = if shard.is_some() {
        let (parts, failures) = pool.install(|| sweep.run_parts(&mut writer, &bar)).map_err(failed)?;
        (Err(parts), failures)
    } else {
        let summary = pool.install(|| sweep.run(&mut writer, &bar)).map_err(failed)?;
        (Ok(summary.bands), summary.failures)
    };
    bar.0.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();

    let axis = compiled.axis();
    let manifest = Manifest {
        tool: "fulcrum".to_owned(),
        version: env!("CARGO_PKG_VERSION").to_owned(),
        model: FileDigest::of(prepared.experiment.model.clone(), prepared.model.source.as_bytes()),
        experiment: FileDigest::of(prepared.path.display().to_string(), prepared.text.as_bytes()),
        intervention,
        seed: design.seed,
        sampler: design.sampler.as_str().to_owned(),
        samples: design.samples,
        grid_points: design.grid_points(),
        grid: design
            .factors
            .iter()
            .filter_map(|factor| match &factor.kind {
                FactorKind::Values(values) => Some(GridAxis { name: factor.name.clone(), values: values.clone() }),
                FactorKind::Uncertain(_) => None,
            })
            .collect(),
        design_runs: design.runs(),
        runs: [runs.start, runs.end],
        time: TimeSpec {
            start: axis.start,
            stop: axis.stop,
            dt: axis.dt,
            save_step: axis.dt * axis.save_every as f64,
            method: axis.method.as_str().to_owned(),
        },
        outcomes: outcome_names.iter().map(|name| (*name).to_owned()).collect(),
        bands: band_names.clone(),
        quantiles: match sweep.quantile_method() {
            QuantileMethod::Exact => "exact".to_owned(),
            QuantileMethod::Sketch => format!("sketch, relative error at most {SKETCH_RELATIVE_ERROR}"),
        },
        failures,
        shard: shard.map(|choice| Shard { index: choice.index + 1, count: choice.count }),
        files: Vec::new(),
    };
    match &bands_or_parts {
        Ok(rows) => writer.finish(&as_str(&band_names), rows, manifest),
        Err(parts) => writer.finish_shard(parts, manifest),
    }
    .map_err(|error| CliError::Io(error.into()))?;

    let count = runs.end - runs.start;
    let which = match shard {
        Some(choice) => {
            format!(" (shard {} of {}: runs {} to {})", choice.index + 1, choice.count, runs.start, runs.end)
        }
        None => String::new(),
    };
    eprintln!(
        "{count} runs{which} in {seconds:.2} s ({:.0} runs/s) → {}",
        count as f64 / seconds.max(1e-9),
        Path::new(&args.output).display()
    );
    if failures > 0 {
        eprintln!(
            "warning: {failures} of {count} runs produced NaN or infinity; they are listed in failures.csv and left out of the bands"
        );
    }
    Ok(())
}

fn as_str(names: &[String]) -> Vec<&str> {
    names.iter().map(String::as_str).collect()
}

/// `--bands`, or by default the variables the outcomes measure.
fn band_variables(
    args: &SweepArgs,
    compiled: &fulcrum_sim::CompiledModel,
    plan: &fulcrum_explore::Plan,
) -> Result<Vec<VarId>, CliError> {
    if args.bands.is_empty() {
        let mut variables: Vec<VarId> = Vec::new();
        for outcome in &plan.outcomes {
            if !variables.contains(&outcome.variable) {
                variables.push(outcome.variable);
            }
        }
        return Ok(variables);
    }
    if let [only] = args.bands.as_slice()
        && only.trim().eq_ignore_ascii_case("none")
    {
        return Ok(Vec::new());
    }
    variables_named(compiled, &args.bands, "--bands")
}
