//! `fulcrum merge`: the shards of a sweep, checked to belong together and to cover every run
//! once, joined into the files one unsharded sweep writes, byte for byte.

use std::path::{Path, PathBuf};

use fulcrum_explore::bands::BandParts;
use fulcrum_report::sweep::{FileDigest, Manifest, MergedBands, merge_shards};
use fulcrum_report::sweep_dir::read_band_parts;
use fulcrum_report::{ReportError, SweepDir};

use crate::CliError;
use crate::args::MergeArgs;
use crate::commands::charts::{Units, add_fans};
use crate::commands::output;
use crate::load::cannot_read;

pub fn merge(args: &MergeArgs) -> Result<(), CliError> {
    let mut shards = args.shards.iter().map(|path| read_shard(path)).collect::<Result<Vec<SweepDir>, CliError>>()?;
    shards.sort_by_key(|shard| shard.manifest.runs);
    check_same_sweep(&shards)?;
    check_coverage(&shards)?;
    let read: Vec<&Path> = shards.iter().map(|shard| shard.path.as_path()).collect();
    output::claim(&args.output, &shards[0].manifest.experiment.sha256, &read, args.force)?;
    for shard in &shards {
        check_digests(shard)?;
    }

    let mut parts: Option<BandParts> = None;
    for shard in &shards {
        let path = shard.path.join("bands.parts");
        let next = read_band_parts(&shard.path).map_err(|error| match error {
            ReportError::Read { source, .. } => cannot_read(&path, source),
            other => CliError::Input(other.to_string()),
        })?;
        match parts.as_mut() {
            None => parts = Some(next),
            Some(parts) => {
                parts.append(next).map_err(|error| CliError::Input(format!("{}: {error}", path.display())))?
            }
        }
    }
    let first = &shards[0].manifest;
    // A grid sweep's bands are per grid point: each band variable once per grid point.
    let series = (first.bands.len() as u64).saturating_mul(first.grid_points.max(1));
    if let Some(parts) = &parts
        && parts.series() as u64 != series
    {
        let message = format!(
            "{}: the band parts hold {} band series, but the manifest names {} band variables and {} grid points",
            shards[0].path.join("bands.parts").display(),
            parts.series(),
            first.bands.len(),
            first.grid_points.max(1)
        );
        return Err(CliError::Input(message));
    }
    let bands = parts.map(|parts| parts.finish()).unwrap_or_default();

    let manifest = Manifest {
        runs: [0, first.design_runs],
        failures: shards.iter().map(|shard| shard.manifest.failures).sum(),
        shard: None,
        files: Vec::new(),
        ..first.clone()
    };
    let band_names: Vec<&str> = first.bands.iter().map(String::as_str).collect();
    let directories: Vec<PathBuf> = shards.iter().map(|shard| shard.path.clone()).collect();
    merge_shards(&args.output, &directories, MergedBands::Rows(&band_names, &bands), manifest)
        .map_err(|error| CliError::Io(error.into()))?;
    // The bands' charts, as the sweep in one piece draws them: with the model's units when the
    // model the shards ran is where the manifest says, with the same bytes.
    let model = recorded_model(first);
    let units = model.as_ref().map_or_else(Units::none, |loaded| Units::of(&loaded.model));
    add_fans(&args.output, &band_names, &bands, first.design_runs, &first.grid, &units)?;
    eprintln!("{} shards, {} runs → {}", shards.len(), first.design_runs, args.output.display());
    crate::commands::sweep::print_summary(&args.output)
}

/// The model a sweep's manifest names (relative to its experiment), if it is there with the
/// bytes the sweep ran.
fn recorded_model(manifest: &Manifest) -> Option<fulcrum_report::load::LoadedModel> {
    let experiment = Path::new(&manifest.experiment.path);
    let path = experiment.parent().unwrap_or(Path::new("")).join(&manifest.model.path);
    let bytes = std::fs::read(&path).ok()?;
    if FileDigest::of("", &bytes).sha256 != manifest.model.sha256 {
        return None;
    }
    fulcrum_report::load::read_model(&path, &[]).ok()
}

fn read_shard(path: &Path) -> Result<SweepDir, CliError> {
    let shard = match SweepDir::open(path) {
        Ok(shard) => shard,
        Err(ReportError::Read { source, .. }) => {
            return Err(CliError::Input(format!(
                "{}: not a finished shard (cannot read manifest.json: {source})",
                path.display()
            )));
        }
        Err(ReportError::Json { path: manifest_path, source, .. }) => {
            return Err(CliError::Input(format!("{}: not a sweep manifest: {source}", manifest_path.display())));
        }
        Err(other) => return Err(CliError::Input(other.to_string())),
    };
    if shard.manifest.shard.is_none() {
        return Err(CliError::Input(format!(
            "{}: a whole sweep, not a shard (written without --shard)",
            path.display()
        )));
    }
    Ok(shard)
}

/// Every shard must come from the same sweep: the same tool version, model, experiment,
/// settings and shard count. Only the run range, failures, shard index and files differ.
fn check_same_sweep(shards: &[SweepDir]) -> Result<(), CliError> {
    for shard in &shards[1..] {
        if let Some(difference) = shards[0].manifest.difference(&shard.manifest, false) {
            return Err(CliError::Input(format!(
                "{} and {} are not shards of the same sweep: their manifests differ in {difference}",
                shards[0].path.display(),
                shard.path.display(),
            )));
        }
    }
    Ok(())
}

/// The shards, sorted by their first run, must cover every run of the design exactly once.
fn check_coverage(shards: &[SweepDir]) -> Result<(), CliError> {
    let design_runs = shards[0].manifest.design_runs;
    let mut problems = Vec::new();
    let mut covered = 0u64;
    let mut previous: Option<&SweepDir> = None;
    for shard in shards {
        let [start, end] = shard.manifest.runs;
        if start > covered {
            problems.push(format!("runs {covered} to {} are missing: no shard has them", start - 1));
        } else if start < covered && end > start {
            let with = previous.map_or(String::new(), |p| format!(" and {}", p.path.display()));
            problems.push(format!(
                "runs {start} to {} are in more than one shard: {}{with}",
                covered.min(end) - 1,
                shard.path.display()
            ));
        }
        covered = covered.max(end);
        previous = Some(shard);
    }
    if covered < design_runs {
        problems.push(format!("runs {covered} to {} are missing: no shard has them", design_runs - 1));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        let count = shards[0].manifest.shard.map_or(0, |shard| shard.count);
        Err(CliError::Input(format!(
            "the shards do not cover the sweep's {design_runs} runs exactly once ({} of {count} shards given):\n  {}",
            shards.len(),
            problems.join("\n  ")
        )))
    }
}

/// Each file a shard's manifest lists must still have the bytes it was written with.
fn check_digests(shard: &SweepDir) -> Result<(), CliError> {
    let names = shard.manifest.files.iter().map(|file| file.path.as_str());
    match shard.first_changed(names) {
        Ok(None) => Ok(()),
        Ok(Some(path)) => Err(CliError::Input(format!(
            "{}: its bytes differ from those the shard's manifest records (changed or copied incompletely)",
            path.display()
        ))),
        Err(ReportError::Read { path, source }) => Err(cannot_read(&path, source)),
        Err(other) => Err(CliError::Input(other.to_string())),
    }
}
