//! `fulcrum sweep`: an experiment's design, run in parallel, written as CSV.

use std::ops::Range;
use std::path::{Path, PathBuf};
use std::time::Instant;

use fulcrum_explore::bands::BandParts;
use fulcrum_explore::bands::QuantileMethod;
use fulcrum_explore::{Sweep, SweepError};
use fulcrum_report::sweep::{FileDigest, MergedBands, Shard, merge_shards};
use fulcrum_report::sweep_dir::read_band_parts;
use fulcrum_report::{Manifest, ReportError, SweepDir, SweepSource, SweepWriter};
use fulcrum_sim::VarId;

use crate::CliError;
use crate::args::{QuantileChoice, SampleCommand, SampleSweepArgs, SweepArgs};
use crate::commands::design::{Sampled, plan, read_design};
use crate::commands::output;
use crate::commands::{Bar, variables_named};
use crate::load::cannot_read;
use crate::shard::shard_runs;

pub fn sweep(args: &SweepArgs) -> Result<(), CliError> {
    let (prepared, planned, sampled) = match &args.design {
        Some(dir) => {
            let Sampled { design, prepared, runs } = read_design(dir, &args.experiment)?;
            (prepared, runs, Some(design))
        }
        None => {
            let own = SampleSweepArgs {
                experiment: args.experiment.clone(),
                output: args.output.clone(),
                force: args.force,
                design: args.sampled.clone(),
            };
            let (prepared, runs) = plan(&SampleCommand::Sweep(own))?;
            (prepared, runs, None)
        }
    };
    crate::experiment::strict_units(&prepared, &args.units)?;
    let read: Vec<&Path> = args.design.iter().map(PathBuf::as_path).collect();
    let experiment_sha256 = FileDigest::of("", prepared.text.as_bytes()).sha256;
    output::claim(&args.output, &experiment_sha256, &read, args.force)?;
    let compiled = &prepared.compiled;
    let plan = &prepared.plan;
    let bands = band_variables(args, compiled, plan)?;
    let mut keep = variables_named(compiled, &args.save_runs, "--save-runs")?;
    // An analysis over time reads its variable's trajectories from runs.csv.
    if let Some(series) = planned.series
        && !keep.contains(&series)
    {
        keep.push(series);
    }

    let design = planned.inputs();
    let design_runs = planned.count();
    let shard = match &args.shard {
        None => None,
        Some(flag) => Some(flag.resolve(args.shards, |name| std::env::var(name).ok()).map_err(CliError::Usage)?),
    };
    let runs = shard.map_or(0..design_runs, |choice| shard_runs(choice, design_runs));
    if let Some(choice) = shard
        && runs.is_empty()
    {
        return Err(CliError::Usage(empty_shard(choice, design_runs)));
    }
    // Bands are per grid point: a value per run, saved time, band variable and grid point.
    let points = ((bands.len() * compiled.axis().save_count()) as u64).saturating_mul(design.grid_points() as u64);
    let sweep = Sweep {
        model: compiled,
        design,
        settings: &planned.settings,
        outcomes: &plan.outcomes,
        bands: &bands,
        bands_per_grid_point: true,
        keep: &keep,
        runs: runs.clone(),
        // A shard takes the method of the whole sweep, so that the shards merge into it.
        quantiles: Some(match args.quantiles {
            Some(QuantileChoice::Exact) => QuantileMethod::Exact,
            Some(QuantileChoice::Sketch) => QuantileMethod::Sketch,
            None => QuantileMethod::for_values(design_runs.saturating_mul(points)),
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
    let factor_names = planned.columns(compiled);
    let (bytes, what) = file_sizes(
        runs.end - runs.start,
        compiled.axis().save_count() as u64,
        &factor_names,
        plan.outcomes.len(),
        &names(&keep),
    );
    output::check_disk(&args.output, bytes, &what)?;
    if args.wide {
        check_wide(design_runs, compiled.axis().save_count() as u64, keep.len() as u64)?;
    }
    let outcome_names: Vec<&str> = plan.outcomes.iter().map(|o| o.name.as_str()).collect();
    let (band_names, keep_names) = (names(&bands), names(&keep));
    let units = units_of(&prepared, &factor_names, plan, &band_names, &keep_names);

    let source = SweepSource {
        version: env!("CARGO_PKG_VERSION").to_owned(),
        model: FileDigest::of(prepared.experiment.model.clone(), prepared.model.source.as_bytes()),
        experiment: FileDigest::of(prepared.path.display().to_string(), prepared.text.as_bytes()),
        changes: prepared.changes.clone(),
        draws: prepared.draws.clone(),
        intervention: args.sampled.intervention.clone().filter(|_| sampled.is_none()),
        design: sampled,
        shard: shard.map(|choice| Shard { index: choice.index + 1, count: choice.count }),
    };
    let manifest =
        Manifest { round: args.round, wide: args.wide, ..Manifest::of_sweep(compiled, &planned, &sweep, source) };

    // The runs go in segments of --checkpoint-every seconds (each ends with the wave of blocks
    // under way), each written as a finished piece under PARTIAL; an interrupted sweep keeps the
    // finished ones, and --resume runs only what is missing.
    let partial = args.output.join(PARTIAL);
    let mut finished = finished_segments(&partial, &manifest, args.resume)?;
    let done: u64 = finished.iter().map(|segment| segment.runs.end - segment.runs.start).sum();
    let bar = Bar::new(runs.end - runs.start);
    bar.0.inc(done);
    let started = Instant::now();
    let failed = |error| match error {
        SweepError::Model(error) => CliError::Input(format!("{}: {error}", prepared.path.display())),
        error @ (SweepError::ComputedTime(_) | SweepError::UnboundLoopShare(_)) => {
            CliError::Input(format!("{}: {error}", prepared.path.display()))
        }
        SweepError::Output(error) => {
            CliError::Io(anyhow::anyhow!("cannot write to {}: {error}", args.output.display()))
        }
        SweepError::Memory(error) => CliError::Io(anyhow::anyhow!("{error}; --quantiles sketch needs far less")),
    };
    let gaps = gaps(&finished, runs.clone());
    let last_run = gaps.last().map_or(runs.end, |gap| gap.end);
    for gap in gaps {
        let mut next = gap.start;
        // At least one piece, so that a sweep of no runs still writes its (empty) files.
        loop {
            let piece = Sweep { runs: next..gap.end, ..sweep.clone() };
            let directory = partial.join(format!("runs-from-{next:012}"));
            let mut writer = SweepWriter::create(
                &directory,
                &factor_names,
                planned.option_parts(),
                &outcome_names,
                &as_str(&keep_names),
                sweep.save_times(),
            )
            .and_then(|writer| writer.with_units(&units))
            .map(|writer| writer.with_round(args.round))
            .map_err(|error| CliError::Io(error.into()))?;
            // Segments of about a minute: little lost to an interruption, little spent on seams.
            let deadline = Instant::now() + std::time::Duration::from_secs(args.checkpoint_every);
            let (parts, failures, end) =
                pool.install(|| piece.run_parts(&mut writer, &bar, Some(deadline))).map_err(failed)?;
            let piece_manifest = Manifest { runs: [next, end], failures, ..manifest.clone() };
            // The last piece is merged at once: its bands need not be written and read back.
            let last = end == last_run;
            writer
                .finish_shard((!last).then_some(&parts), piece_manifest)
                .map_err(|error| CliError::Io(error.into()))?;
            finished.push(Segment { runs: next..end, directory, failures, parts: last.then_some(parts) });
            next = end;
            if next >= gap.end {
                break;
            }
        }
    }
    finished.sort_by_key(|segment| segment.runs.start);

    let mut parts: Option<BandParts> = None;
    for segment in &mut finished {
        let path = segment.directory.join("bands.parts");
        let next = match segment.parts.take() {
            Some(parts) => parts,
            None => read_band_parts(&segment.directory).map_err(|error| match error {
                ReportError::Read { path, source } => CliError::Io(anyhow::anyhow!("{}: {source}", path.display())),
                other => CliError::Io(anyhow::anyhow!("{other}")),
            })?,
        };
        match parts.as_mut() {
            None => parts = Some(next),
            Some(parts) => {
                parts.append(next).map_err(|error| CliError::Io(anyhow::anyhow!("{}: {error}", path.display())))?
            }
        }
    }
    let failures = finished.iter().map(|segment| segment.failures).sum();
    let manifest = Manifest { failures, ..manifest };
    let directories: Vec<PathBuf> = finished.iter().map(|segment| segment.directory.clone()).collect();
    let band_refs = as_str(&band_names);
    let rows = match (&parts, shard) {
        (Some(_), Some(_)) => Vec::new(),
        (parts, _) => parts.as_ref().map(BandParts::finish).unwrap_or_default(),
    };
    let bands = match (&parts, shard) {
        (Some(parts), Some(_)) => MergedBands::Parts(parts),
        _ => MergedBands::Rows(&band_refs, &rows),
    };
    let (design_runs, grid) = (manifest.design_runs, manifest.grid.clone());
    merge_shards(&args.output, &directories, bands, manifest).map_err(|error| CliError::Io(error.into()))?;
    // A whole sweep draws its bands (a shard's are drawn when the shards are merged).
    if shard.is_none() {
        let units = crate::commands::charts::Units::of(&prepared.model.model);
        crate::commands::charts::add_fans(&args.output, &band_refs, &rows, design_runs, &grid, &units)?;
    }
    match std::fs::remove_dir_all(&partial) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
            return Err(CliError::Io(anyhow::anyhow!("cannot remove {}: {error}", partial.display())));
        }
        _ => {}
    }
    bar.0.finish_and_clear();
    let seconds = started.elapsed().as_secs_f64();

    let count = runs.end - runs.start;
    let which = match shard {
        Some(choice) => {
            format!(" (shard {} of {}: runs {} to {})", choice.index + 1, choice.count, runs.start, runs.end)
        }
        None => String::new(),
    };
    let resumed = if done > 0 { format!(", {done} of them finished before and kept") } else { String::new() };
    eprintln!(
        "{count} runs{which}{resumed} in {seconds:.2} s ({:.0} runs/s) → {}",
        (count - done) as f64 / seconds.max(1e-9),
        Path::new(&args.output).display()
    );
    if failures > 0 {
        eprintln!(
            "warning: {failures} of {count} runs produced NaN or infinity; they are listed in failures.csv and left out of the bands"
        );
    }
    print_summary(&args.output)
}

/// Prints the summary.md a whole sweep's folder holds (a shard's has none).
pub fn print_summary(output: &Path) -> Result<(), CliError> {
    match std::fs::read_to_string(output.join(fulcrum_report::sweep::SUMMARY)) {
        Ok(summary) => crate::commands::print_stdout(&summary),
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(cannot_read(&output.join(fulcrum_report::sweep::SUMMARY), error)),
    }
}

/// units.csv's rows: every column of experiments.csv and outcomes.csv (an outcome takes its
/// variable's units; a time of first crossing, the model's time unit), then the band and kept
/// variables, each once, with the units the model gives (empty where it gives none).
fn units_of(
    prepared: &crate::experiment::Prepared,
    factors: &[&str],
    plan: &fulcrum_explore::Plan,
    bands: &[String],
    kept: &[String],
) -> Vec<(String, String)> {
    let model = &prepared.model.model;
    // An element (`Sales[North]`) has its array's units.
    let units = |name: &str| -> String {
        let base = name.split_once('[').map_or(name, |(base, _)| base);
        model.variable(base).and_then(|variable| variable.units.clone()).unwrap_or_default()
    };
    let mut rows: Vec<(String, String)> = Vec::new();
    let mut push = |name: &str, unit: String| {
        if !rows.iter().any(|(seen, _)| seen == name) {
            rows.push((name.to_owned(), unit));
        }
    };
    for factor in factors {
        push(factor, units(factor));
    }
    for outcome in &plan.outcomes {
        let time = model.sim.time_units.clone().unwrap_or_default();
        let own = units(prepared.compiled.name(outcome.variable));
        let unit = match outcome.statistic {
            fulcrum_explore::Statistic::FirstAbove(_)
            | fulcrum_explore::Statistic::FirstBelow(_)
            | fulcrum_explore::Statistic::DominanceShift => time,
            // The area under the curve: the variable's units times time's.
            fulcrum_explore::Statistic::Integral if !own.is_empty() && !time.is_empty() => format!("{own}*{time}"),
            fulcrum_explore::Statistic::Integral => String::new(),
            // A fraction of the behaviour.
            fulcrum_explore::Statistic::LoopShare(_) => String::new(),
            _ => own,
        };
        push(&outcome.name, unit);
    }
    for name in bands.iter().chain(kept) {
        push(name, units(name));
    }
    rows
}

/// The most values runs-wide.csv is built from: it is assembled in memory, and past this a
/// spreadsheet could not open it anyway.
const MOST_WIDE_VALUES: u64 = 50_000_000;

/// `--wide` needs kept trajectories, and few enough of them to hold at once.
fn check_wide(runs: u64, saves: u64, kept: u64) -> Result<(), CliError> {
    if kept == 0 {
        return Err(CliError::Usage(
            "--wide: no trajectories are kept; name the variables with --save-runs A,B,... (or all)".to_owned(),
        ));
    }
    let values = runs.saturating_mul(saves).saturating_mul(kept);
    if values > MOST_WIDE_VALUES {
        return Err(CliError::Usage(format!(
            "--wide: {runs} runs × {saves} saved times × {kept} variables are {values} values, more than the \
             {MOST_WIDE_VALUES} runs-wide.csv is built from; keep fewer variables or runs, or read runs.csv instead"
        )));
    }
    Ok(())
}

/// Why shard `choice` of a sweep of `runs` runs would run nothing: shards take whole blocks.
fn empty_shard(choice: crate::shard::ShardChoice, runs: u64) -> String {
    let block = fulcrum_explore::sweep::BLOCK_RUNS;
    let blocks = runs.div_ceil(block);
    format!(
        "--shard {}/{}: this shard would have no runs. Shards take whole blocks of {block} runs, and the sweep's \
         {runs} runs make {blocks} block{}; use at most {blocks} shard{}, or at least {} runs (--runs)",
        choice.index + 1,
        choice.count,
        if blocks == 1 { "" } else { "s" },
        if blocks == 1 { "" } else { "s" },
        (choice.count - 1) * block + 1
    )
}

/// About how many bytes a sweep's files take, and what the bulk is (with the flags that lower
/// it): each number is written as at most 20 characters, a run id as its digits.
fn file_sizes(runs: u64, saves: u64, inputs: &[&str], outcomes: usize, kept: &[String]) -> (u64, String) {
    let digits = runs.max(1).ilog10() as u64 + 1;
    let rows = runs.saturating_mul(digits + 2 + 21 * (inputs.len() + outcomes) as u64);
    let per_save: u64 = kept.iter().map(|name| digits + name.len() as u64 + 2 * 21 + 4).sum();
    let trajectories = runs.saturating_mul(saves).saturating_mul(per_save);
    let what = if kept.is_empty() {
        format!("{runs} runs of inputs and outcomes; fewer runs with --runs, or --shard K/N on several machines")
    } else {
        format!(
            "runs.csv: {runs} runs × {saves} saved times × {} variables; keep fewer with --save-runs, save less \
             often with save_step in the experiment's [sim], or run fewer with --runs",
            kept.len()
        )
    };
    (rows.saturating_add(trajectories), what)
}

/// Where an unfinished sweep keeps its finished segments, inside its output directory.
pub const PARTIAL: &str = ".fulcrum-partial";

/// A finished stretch of runs, written like a shard.
struct Segment {
    runs: Range<u64>,
    directory: PathBuf,
    failures: u64,
    /// Its band parts, when they are in memory rather than in `directory`.
    parts: Option<BandParts>,
}

/// The segments an interrupted sweep left in `partial` that belong to the sweep `manifest`
/// describes and still have the bytes they were written with; any others (a segment cut off
/// mid-way) are removed. Without `resume`, finding any is an error.
fn finished_segments(partial: &Path, manifest: &Manifest, resume: bool) -> Result<Vec<Segment>, CliError> {
    let output = partial.parent().unwrap_or(partial);
    if !partial.exists() {
        if resume {
            return Err(CliError::Usage(format!("--resume: {} holds no interrupted sweep", output.display())));
        }
        return Ok(Vec::new());
    }
    let entries = std::fs::read_dir(partial).map_err(|error| cannot_read(partial, error))?;
    let mut segments = Vec::new();
    let mut unfinished = Vec::new();
    for entry in entries {
        let directory = entry.map_err(|error| CliError::Io(anyhow::anyhow!("{}: {error}", partial.display())))?.path();
        match read_segment(&directory) {
            Some(found) => segments.push((directory, found.manifest)),
            None => unfinished.push(directory),
        }
    }
    let kept: u64 = segments.iter().map(|(_, found)| found.runs[1] - found.runs[0]).sum();
    if !resume {
        return Err(CliError::Usage(format!(
            "{} holds an interrupted sweep ({kept} runs finished): add --resume to finish it, or remove {} to start over",
            output.display(),
            partial.display()
        )));
    }
    for (directory, found) in &segments {
        if let Some(difference) = manifest.difference(found, true) {
            return Err(CliError::Usage(format!(
                "--resume: the interrupted sweep in {} is not this one: {} differs in {difference}",
                output.display(),
                directory.display()
            )));
        }
    }
    for directory in unfinished {
        let removed =
            if directory.is_dir() { std::fs::remove_dir_all(&directory) } else { std::fs::remove_file(&directory) };
        removed.map_err(|error| CliError::Io(anyhow::anyhow!("cannot remove {}: {error}", directory.display())))?;
    }
    let mut segments: Vec<Segment> = segments
        .into_iter()
        .map(|(directory, found)| Segment {
            runs: found.runs[0]..found.runs[1],
            directory,
            failures: found.failures,
            parts: None,
        })
        .collect();
    segments.sort_by_key(|segment| segment.runs.start);
    for pair in segments.windows(2) {
        if pair[1].runs.start < pair[0].runs.end {
            return Err(CliError::Input(format!(
                "{} and {} overlap: remove {} to start over",
                pair[0].directory.display(),
                pair[1].directory.display(),
                partial.display()
            )));
        }
    }
    Ok(segments)
}

/// A segment, if it was finished and its files are intact.
fn read_segment(directory: &Path) -> Option<SweepDir> {
    let segment = SweepDir::open(directory).ok()?;
    let has_bands = segment.manifest.files.iter().any(|file| file.path == "bands.parts");
    (has_bands && segment.intact()).then_some(segment)
}

/// The stretches of `runs` no segment covers, in order; an empty range is one empty stretch
/// until a segment holds it.
fn gaps(segments: &[Segment], runs: Range<u64>) -> Vec<Range<u64>> {
    if runs.is_empty() {
        return if segments.is_empty() { vec![runs] } else { Vec::new() };
    }
    let mut covered: Vec<&Range<u64>> = segments.iter().map(|segment| &segment.runs).collect();
    covered.sort_by_key(|range| range.start);
    let mut gaps = Vec::new();
    let mut next = runs.start;
    for range in covered {
        if range.start > next {
            gaps.push(next..range.start.min(runs.end));
        }
        next = next.max(range.end);
    }
    if next < runs.end {
        gaps.push(next..runs.end);
    }
    gaps
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
        return Ok(plan.outcome_variables());
    }
    if let [only] = args.bands.as_slice()
        && only.trim().eq_ignore_ascii_case("none")
    {
        return Ok(Vec::new());
    }
    variables_named(compiled, &args.bands, "--bands")
}
