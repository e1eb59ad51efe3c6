//! `fulcrum search`: a many-objective search over the experiment's levers and interventions,
//! every candidate in the same futures. The search is fulcrum-decide's
//! ([`fulcrum_decide::search::model::Problem`]); this verb writes pareto.csv, convergence.csv,
//! the manifest and the candidates worth a look in words, and prints them.

use std::fmt::Write as _;

use fulcrum_decide::search::model::{Decision, Problem, SearchError, SearchOptions};
use fulcrum_decide::search::{Candidate, Found};
use fulcrum_explore::{Better, SweepError};

use crate::CliError;
use crate::args::{AnalysisArgs, SearchArgs};
use crate::commands::analysis::Analysis;
use crate::commands::{Bar, search_checkpoint};

/// `fulcrum search`.
pub fn search(args: &SearchArgs) -> Result<(), CliError> {
    let common = AnalysisArgs {
        experiment: Some(args.experiment.clone()),
        output: args.output.clone(),
        from: None,
        seed: args.seed,
        force: args.force,
        threads: args.threads,
        units: args.units.clone(),
    };
    let mut analysis = Analysis::start(&common, args.futures, "search")?;
    let prepared = &analysis.prepared;
    let problem = Problem::new(&prepared.experiment, &prepared.plan).map_err(|error| search_error(prepared, error))?;
    let population = args.population as usize;
    let generations = match (args.generations, args.evaluations) {
        (Some(generations), _) => generations as usize,
        (None, Some(evaluations)) => ((evaluations / population as u64).max(2) - 1) as usize,
        (None, None) => 24,
    };
    let futures = prepared.plan.design.runs();
    let options = SearchOptions { population, generations, seed: analysis.seed };
    let digest = fulcrum_report::sweep::FileDigest::of("", prepared.text.as_bytes());
    crate::commands::output::claim(&args.output, &digest.sha256, &[], args.force)?;
    let candidates = (population.max(4).div_ceil(2) * 2) as u64 * (generations as u64 + 1);
    let identity = search_checkpoint::Identity {
        model: fulcrum_report::sweep::FileDigest::of(
            prepared.experiment.model.clone(),
            prepared.model.source.as_bytes(),
        ),
        experiment: fulcrum_report::sweep::FileDigest::of(
            prepared.path.display().to_string(),
            prepared.text.as_bytes(),
        ),
        population,
        generations,
        futures,
        seed: analysis.seed,
        genes: problem.space.genes.len(),
        objectives: problem.objective_count(),
    };
    let resume = search_checkpoint::read(&args.output, &identity, args.resume)?;
    let bar = Bar::new((candidates + 1) * futures);
    let resumed = resume.as_ref().map_or(0, |state| state.evaluations);
    bar.0.inc(resumed * futures);
    let checkpoint_path = search_checkpoint::path(&args.output);
    let mut last_written = std::time::Instant::now();
    let checkpoint_every = std::time::Duration::from_secs(args.checkpoint_every);
    let checkpoint = |state: &fulcrum_decide::search::Checkpoint| {
        // The last generation needs none: the files follow at once.
        if state.generation >= generations || last_written.elapsed() < checkpoint_every {
            return Ok(());
        }
        search_checkpoint::write(&args.output, &identity, state)
            .map_err(|message| SearchError::Checkpoint { path: checkpoint_path.clone(), message })?;
        last_written = std::time::Instant::now();
        Ok(())
    };
    let (found, baseline) = analysis
        .pool
        .install(|| {
            let found = problem.search_from(&prepared.compiled, &prepared.plan, &options, resume, &bar, checkpoint)?;
            let baseline = problem.evaluate(&prepared.compiled, &prepared.plan, &[problem.baseline()], &bar)?;
            Ok::<_, SearchError>((found, baseline))
        })
        .map_err(|error| search_error(prepared, error))?;
    bar.0.finish_and_clear();
    if found.archive.is_empty() {
        return Err(CliError::Input(format!(
            "{}: no candidate met the budget in {} evaluations (the closest was {} over it)",
            prepared.path.display(),
            found.convergence.last().map_or(0, |progress| progress.evaluations),
            found.least_violation
        )));
    }
    let output = &args.output;
    analysis.create_output(output)?;
    let (header, rows) = pareto_rows(&problem, &found.archive);
    let header: Vec<&str> = header.iter().map(String::as_str).collect();
    fulcrum_report::analysis::write_table(&output.join("pareto.csv"), &header, &rows)
        .map_err(|error| CliError::Io(error.into()))?;
    analysis.files.push("pareto.csv".to_owned());
    let convergence: Vec<Vec<String>> = found
        .convergence
        .iter()
        .map(|progress| {
            vec![
                progress.generation.to_string(),
                progress.evaluations.to_string(),
                progress.hypervolume.to_string(),
                progress.archive_size.to_string(),
            ]
        })
        .collect();
    fulcrum_report::analysis::write_table(
        &output.join("convergence.csv"),
        &["generation", "evaluations", "hypervolume", "archive_size"],
        &convergence,
    )
    .map_err(|error| CliError::Io(error.into()))?;
    analysis.files.push("convergence.csv".to_owned());
    let baseline = baseline.into_iter().next().map(|evaluated| evaluated.objectives);
    let chart = front_chart(&problem, &found.archive, baseline.as_deref());
    let svg = fulcrum_report::charts::pareto(&chart).map_err(|error| CliError::Io(error.into()))?;
    fulcrum_report::write_atomically(&output.join("pareto.svg"), |out| out.write_all(svg.as_bytes()))
        .map_err(|error| CliError::Io(error.into()))?;
    analysis.files.push("pareto.svg".to_owned());
    let summary = summary(&problem, &found, baseline.as_deref(), futures);
    analysis.write_summary(output, &summary)?;
    analysis.runs = (candidates + 1) * futures;
    let mut settings = serde_json::Map::new();
    settings.insert("population".into(), population.into());
    settings.insert("generations".into(), generations.into());
    settings.insert("futures".into(), futures.into());
    settings.insert("seed".into(), analysis.seed.into());
    settings.insert("algorithm".into(), "NSGA-II".into());
    settings.insert("reference".into(), found.reference.clone().into());
    analysis.finish(output, "search", settings)?;
    search_checkpoint::remove(output)?;
    if resumed > 0 {
        eprintln!("resumed: {resumed} candidates were evaluated before the interruption and kept");
    }
    crate::commands::print_stdout(&summary)
}

fn search_error(prepared: &crate::experiment::Prepared, error: SearchError) -> CliError {
    match error {
        SearchError::Sweep(SweepError::Output(error) | SweepError::Memory(error)) => CliError::Io(error.into()),
        error @ SearchError::Checkpoint { .. } => CliError::Io(anyhow::anyhow!("{error}")),
        SearchError::BudgetUnmet { span: Some(span), .. }
        | SearchError::BudgetWithoutCosts { span: Some(span), .. } => {
            let (line, column) = line_column(&prepared.text, span.start as usize);
            CliError::Input(format!("{}:{line}:{column}: {error}", prepared.path.display()))
        }
        other => CliError::Input(format!("{}: {other}", prepared.path.display())),
    }
}

/// The 1-based line and column of a byte offset.
fn line_column(text: &str, offset: usize) -> (usize, usize) {
    let before = text.get(..offset.min(text.len())).unwrap_or("");
    let line = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |last| last.chars().count()) + 1;
    (line, column)
}

/// What pareto.svg draws: every objective of the front in its outcome's units (and the cost when
/// it is an objective), with which way is better, and the baseline.
fn front_chart(problem: &Problem, archive: &[Candidate], baseline: Option<&[f64]>) -> fulcrum_report::charts::Pareto {
    let count = problem.objective_count();
    let mut objectives: Vec<String> = problem
        .objectives
        .iter()
        .map(|objective| {
            let better = if objective.summary_better() == Better::Higher { "higher" } else { "lower" };
            format!("{} ({better} is better)", objective.column())
        })
        .collect();
    if count > objectives.len() {
        objectives.push("cost (lower is better)".to_owned());
    }
    let natural =
        |values: &[f64]| -> Vec<f64> { (0..count).map(|index| problem.natural(index, values[index])).collect() };
    fulcrum_report::charts::Pareto {
        title: format!("Trade-off front: {} candidates no other beats on every objective", archive.len()),
        objectives,
        candidates: archive.iter().map(|candidate| natural(&candidate.objectives)).collect(),
        baseline: baseline.map(natural),
    }
}

/// pareto.csv: every decision's setting, every objective in its outcome's units, the cost.
fn pareto_rows(problem: &Problem, archive: &[Candidate]) -> (Vec<String>, Vec<Vec<String>>) {
    let mut header: Vec<String> = problem.decisions.iter().map(|decision| decision.name().to_owned()).collect();
    header.extend(problem.objectives.iter().map(|objective| objective.column()));
    header.push("cost".to_owned());
    let rows = archive
        .iter()
        .map(|candidate| {
            let mut row: Vec<String> = candidate.genes.iter().map(|value| value.to_string()).collect();
            for index in 0..problem.objectives.len() {
                row.push(problem.natural(index, candidate.objectives[index]).to_string());
            }
            row.push(problem.cost(&candidate.genes).to_string());
            row
        })
        .collect();
    (header, rows)
}

/// The candidates worth a look: the best for each objective and the balanced one (nearest the
/// ideal point once every objective is scaled to the front's range), against the baseline.
fn summary(problem: &Problem, found: &Found, baseline: Option<&[f64]>, futures: u64) -> String {
    let archive = &found.archive;
    let evaluations = found.convergence.last().map_or(0, |progress| progress.evaluations);
    let mut text = format!(
        "# Search\n\n{evaluations} candidates, each in the same {futures} futures (NSGA-II): {} on the trade-off front.\n",
        archive.len()
    );
    let count = problem.objective_count();
    let low: Vec<f64> =
        (0..count).map(|index| archive.iter().map(|c| c.objectives[index]).fold(f64::INFINITY, f64::min)).collect();
    let high: Vec<f64> =
        (0..count).map(|index| archive.iter().map(|c| c.objectives[index]).fold(f64::NEG_INFINITY, f64::max)).collect();
    let mut picks: Vec<(String, usize)> = Vec::new();
    for index in 0..count {
        let best = (0..archive.len())
            .min_by(|&a, &b| archive[a].objectives[index].total_cmp(&archive[b].objectives[index]))
            .unwrap_or(0);
        let what = match problem.objectives.get(index) {
            Some(objective) => format!("Best for {}", objective.column()),
            None => "Cheapest".to_owned(),
        };
        picks.push((what, best));
    }
    let distance = |candidate: &Candidate| -> f64 {
        (0..count)
            .map(|index| {
                let range = high[index] - low[index];
                if range > 0.0 { ((candidate.objectives[index] - low[index]) / range).powi(2) } else { 0.0 }
            })
            .sum()
    };
    if let Some(balanced) = (0..archive.len()).min_by(|&a, &b| distance(&archive[a]).total_cmp(&distance(&archive[b])))
    {
        picks.push(("Balanced (nearest the best of every objective at once)".to_owned(), balanced));
    }
    let mut seen = Vec::new();
    for (what, index) in picks {
        let candidate = &archive[index];
        let _ = write!(text, "\n{what}: {}.", describe_settings(problem, &candidate.genes));
        if seen.contains(&index) {
            text.push_str(" (the same candidate as above)\n");
            continue;
        }
        seen.push(index);
        text.push_str(" It gives");
        for (position, objective) in problem.objectives.iter().enumerate() {
            let value = problem.natural(position, candidate.objectives[position]);
            let _ = write!(text, "{} {} {}", if position == 0 { "" } else { "," }, objective.column(), number(value));
            if let Some(baseline) = baseline.and_then(|baseline| baseline.get(position)) {
                let before = problem.natural(position, *baseline);
                if before != 0.0 && before.is_finite() {
                    let _ =
                        write!(text, " ({:+.1}% on the baseline's {})", 100.0 * (value / before - 1.0), number(before));
                }
            }
        }
        let _ = writeln!(text, ", at a cost of {}.", number(problem.cost(&candidate.genes)));
    }
    text
}

/// A candidate's settings in words: levers that differ from their baselines, interventions on.
fn describe_settings(problem: &Problem, genes: &[f64]) -> String {
    let mut parts = Vec::new();
    for (decision, value) in problem.decisions.iter().zip(genes) {
        match decision {
            Decision::Lever { name, baseline, .. } => {
                if (value - baseline).abs() > 1e-9 * baseline.abs().max(1.0) {
                    parts.push(format!("{name} {} (baseline {})", number(*value), number(*baseline)));
                }
            }
            Decision::Intervention { name, .. } => {
                if *value >= 0.5 {
                    parts.push(format!("`{name}` on"));
                }
            }
        }
    }
    if parts.is_empty() { "the baseline policy".to_owned() } else { parts.join(", ") }
}

/// Four significant digits, without a float's noise.
fn number(value: f64) -> String {
    if value == 0.0 || !value.is_finite() {
        return value.to_string();
    }
    let digits = (3 - value.abs().log10().floor() as i32).max(0) as usize;
    let text = format!("{value:.digits$}");
    if text.contains('.') { text.trim_end_matches('0').trim_end_matches('.').to_owned() } else { text }
}
