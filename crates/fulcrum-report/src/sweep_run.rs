//! A whole sweep into a folder in one call: its manifest made from the sweep itself
//! ([`Manifest::of_sweep`]) and [`write_sweep`], which runs it, writes the folder and keeps the
//! results in memory too. `fulcrum sweep` writes the same bytes through checkpointed pieces.

use std::path::Path;

use fulcrum_explore::bands::{QuantileMethod, SKETCH_RELATIVE_ERROR};
use fulcrum_explore::{Collect, FactorKind, Progress, Rows, Runs, Sweep, SweepResults, Tee};
use fulcrum_sim::{CompiledModel, VarId};

use crate::ReportError;
use crate::sweep::{FileDigest, GridAxis, Manifest, SampledDesign, Shard, SweepWriter, TimeSpec};

/// What a sweep's manifest records besides the sweep: where it came from.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepSource {
    /// The tool's version.
    pub version: String,
    /// The model file as the experiment names it, and the SHA-256 of its bytes.
    pub model: FileDigest,
    /// The experiment file, and the SHA-256 of its bytes.
    pub experiment: FileDigest,
    /// The changes files the experiment names, with their digests.
    pub changes: Vec<FileDigest>,
    /// The table of draws `[sampling] from` names, with its digest.
    pub draws: Option<FileDigest>,
    /// The intervention applied to every run, if any.
    pub intervention: Option<String>,
    /// The design written by `fulcrum sample` that the runs are, if they are one.
    pub design: Option<SampledDesign>,
    /// Which slice of the runs this is, for a shard.
    pub shard: Option<Shard>,
}

impl Manifest {
    /// The manifest of `sweep`, which runs `runs` (or a range of them) on `model`: everything
    /// but the failures and the files, which writing the sweep fills in.
    pub fn of_sweep(model: &CompiledModel, runs: &Runs, sweep: &Sweep<'_>, source: SweepSource) -> Manifest {
        let (sampler, samples, grid) = match &runs.inputs {
            Rows::Sample(design) => (
                design.sampler.as_str(),
                design.samples,
                design
                    .factors
                    .iter()
                    .filter_map(|factor| match &factor.kind {
                        FactorKind::Values(values) => {
                            Some(GridAxis { name: factor.name.clone(), values: values.clone() })
                        }
                        FactorKind::Uncertain(_) => None,
                    })
                    .collect(),
            ),
            Rows::Table(table) => ("design", table.runs(), Vec::new()),
        };
        let axis = model.axis();
        let names = |ids: &[VarId]| ids.iter().map(|id| model.name(*id).to_owned()).collect::<Vec<String>>();
        Manifest {
            tool: "fulcrum".to_owned(),
            version: source.version,
            model: source.model,
            experiment: source.experiment,
            changes: source.changes,
            draws: source.draws,
            intervention: source.intervention,
            seed: runs.inputs().seed(),
            sampler: sampler.to_owned(),
            samples,
            round: None,
            wide: false,
            grid_points: grid.iter().map(|axis: &GridAxis| axis.values.len() as u64).product(),
            grid,
            design_runs: runs.count(),
            runs: [sweep.runs.start, sweep.runs.end],
            time: TimeSpec {
                start: axis.start,
                stop: axis.stop,
                dt: axis.dt,
                save_step: axis.dt * axis.save_every as f64,
                method: axis.method.as_str().to_owned(),
            },
            outcomes: sweep.outcomes.iter().map(|outcome| outcome.name.clone()).collect(),
            bands: names(sweep.bands),
            quantiles: match sweep.quantile_method() {
                QuantileMethod::Exact => "exact".to_owned(),
                QuantileMethod::Sketch => format!("sketch, relative error at most {SKETCH_RELATIVE_ERROR}"),
            },
            failures: 0,
            shard: source.shard,
            design: source.design,
            files: Vec::new(),
        }
    }
}

/// Runs `sweep` (of `runs`, on `model`) on the current rayon pool, writes its folder in
/// `directory` (experiments.csv, outcomes.csv, failures.csv, runs.csv for the kept variables,
/// bands.csv, manifest.json) and returns the same results in memory. Everything the sweep
/// produces is held at once; for sweeps too big for that, run it into a [`SweepWriter`].
pub fn write_sweep(
    directory: &Path,
    model: &CompiledModel,
    runs: &Runs,
    sweep: &Sweep<'_>,
    source: SweepSource,
    progress: &dyn Progress,
) -> Result<SweepResults, ReportError> {
    let names = |ids: &[VarId]| ids.iter().map(|id| model.name(*id).to_owned()).collect::<Vec<String>>();
    let (kept, bands) = (names(sweep.keep), names(sweep.bands));
    let outcomes: Vec<&str> = sweep.outcomes.iter().map(|outcome| outcome.name.as_str()).collect();
    let writer = SweepWriter::create(
        directory,
        &runs.columns(model),
        runs.option_parts(),
        &outcomes,
        &as_str(&kept),
        sweep.save_times(),
    )?;
    let mut both = Tee(writer, Collect::default());
    let summary = sweep.run(&mut both, progress)?;
    let Tee(writer, collected) = both;
    let manifest = Manifest { failures: summary.failures, ..Manifest::of_sweep(model, runs, sweep, source) };
    writer.finish(&as_str(&bands), &summary.bands, manifest)?;
    let mut results = collected.results;
    if results.runs == 0 {
        results.first_run = sweep.runs.start;
    }
    results.bands = summary.bands;
    results.quantiles = Some(summary.quantiles);
    Ok(results)
}

fn as_str(names: &[String]) -> Vec<&str> {
    names.iter().map(String::as_str).collect()
}
