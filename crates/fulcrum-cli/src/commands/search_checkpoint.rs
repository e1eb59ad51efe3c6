//! The checkpoint of an unfinished `fulcrum search`: after each generation (at most every
//! `--checkpoint-every` seconds) the search's whole state is written atomically to
//! `DIR/.fulcrum-partial/search-checkpoint.json`, and `--resume` goes on from it to the same
//! bytes an uninterrupted search writes. The file records what it belongs to (fulcrum's version,
//! the model's and the experiment's digests and the settings that change the result); a
//! checkpoint of another search is refused at the key that differs. Every number of the state is
//! kept as the bits of its `f64`, so nothing is lost to printing.

use std::path::{Path, PathBuf};

use fulcrum_decide::search::{Candidate, Checkpoint, Progress};
use fulcrum_report::sweep::FileDigest;
use fulcrum_report::sweep_dir::{JsonFile, read_json};
use serde_json::{Value, json};

use crate::CliError;
use crate::commands::sweep::PARTIAL;

/// The checkpoint's name inside the partial folder.
const NAME: &str = "search-checkpoint.json";

/// What a checkpoint must have been written for to be resumed.
pub struct Identity {
    pub model: FileDigest,
    pub experiment: FileDigest,
    pub population: usize,
    pub generations: usize,
    pub futures: u64,
    pub seed: u64,
    /// Genes and objectives of every candidate.
    pub genes: usize,
    pub objectives: usize,
}

/// Where the checkpoint of a search into `output` is.
pub fn path(output: &Path) -> PathBuf {
    output.join(PARTIAL).join(NAME)
}

/// The checkpoint as JSON text.
pub fn text(identity: &Identity, state: &Checkpoint) -> String {
    let bits = |values: &[f64]| values.iter().map(|value| value.to_bits()).collect::<Vec<u64>>();
    let candidates = |candidates: &[Candidate]| -> Vec<Value> {
        candidates
            .iter()
            .map(|candidate| {
                json!({
                    "genes": bits(&candidate.genes),
                    "objectives": bits(&candidate.objectives),
                    "violation": candidate.violation.to_bits(),
                })
            })
            .collect()
    };
    let convergence: Vec<Value> = state
        .convergence
        .iter()
        .map(|row| json!([row.generation, row.evaluations, row.hypervolume.to_bits(), row.archive_size]))
        .collect();
    let value = json!({
        "tool": "fulcrum",
        "command": "search",
        "version": env!("CARGO_PKG_VERSION"),
        "model": {"path": identity.model.path, "sha256": identity.model.sha256},
        "experiment": {"path": identity.experiment.path, "sha256": identity.experiment.sha256},
        "settings": {
            "population": identity.population,
            "generations": identity.generations,
            "futures": identity.futures,
            "seed": identity.seed,
        },
        "generation": state.generation,
        "evaluations": state.evaluations,
        "reference": bits(&state.reference),
        "least_violation": state.least_violation.to_bits(),
        "convergence": convergence,
        "population": candidates(&state.population),
        "archive": candidates(&state.archive),
    });
    // Pretty, so that a message can point at a key's line.
    let mut text = serde_json::to_string_pretty(&value).unwrap_or_default();
    text.push('\n');
    text
}

/// Writes the checkpoint atomically (a kill leaves the previous one whole).
pub fn write(output: &Path, identity: &Identity, state: &Checkpoint) -> Result<(), String> {
    let partial = output.join(PARTIAL);
    std::fs::create_dir_all(&partial).map_err(|error| error.to_string())?;
    let text = text(identity, state);
    fulcrum_report::write_atomically(&path(output), |out| out.write_all(text.as_bytes()))
        .map_err(|error| error.to_string())
}

/// Removes the partial folder once the search's files are written.
pub fn remove(output: &Path) -> Result<(), CliError> {
    let partial = output.join(PARTIAL);
    match std::fs::remove_dir_all(&partial) {
        Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
            Err(CliError::Io(anyhow::anyhow!("cannot remove {}: {error}", partial.display())))
        }
        _ => Ok(()),
    }
}

/// The state to resume from: `None` for a fresh search. A checkpoint without `--resume`, or
/// `--resume` without one, is refused, as is a checkpoint of another search (at the key that
/// differs) or one that is not as fulcrum writes it.
pub fn read(output: &Path, identity: &Identity, resume: bool) -> Result<Option<Checkpoint>, CliError> {
    let path = path(output);
    if !path.exists() {
        if resume {
            return Err(CliError::Usage(format!("--resume: {} holds no interrupted search", output.display())));
        }
        return Ok(None);
    }
    let start_over = format!("remove {} to start over", output.join(PARTIAL).display());
    if !resume {
        return Err(CliError::Usage(format!(
            "{} holds an interrupted search ({}): add --resume to finish it, or {start_over}",
            output.display(),
            path.display()
        )));
    }
    let (value, file) = read_json::<Value>(&path, "not a search checkpoint")
        .map_err(|error| CliError::Input(format!("{error}; {start_over}")))?;
    let expected: [(&[&str], Value); 9] = [
        (&["tool"], json!("fulcrum")),
        (&["command"], json!("search")),
        (&["experiment", "sha256"], json!(identity.experiment.sha256)),
        (&["model", "sha256"], json!(identity.model.sha256)),
        (&["settings", "population"], json!(identity.population)),
        (&["settings", "generations"], json!(identity.generations)),
        (&["settings", "futures"], json!(identity.futures)),
        (&["settings", "seed"], json!(identity.seed)),
        (&["version"], json!(env!("CARGO_PKG_VERSION"))),
    ];
    for (keys, wanted) in expected {
        let found = keys.iter().try_fold(&value, |value, key| value.get(key));
        if found != Some(&wanted) {
            if let [file_key @ ("model" | "experiment"), "sha256"] = keys {
                // A digest says nothing to a reader; the path it was written for does.
                let there = value.get(file_key).and_then(|file| file.get("path")).and_then(Value::as_str);
                return Err(CliError::Usage(format!(
                    "{}: --resume: the interrupted search in {} is not this one: it ran another {file_key} ({}, \
                     by its SHA-256); run it with the same experiment and flags, or {start_over}",
                    file.at(keys),
                    output.display(),
                    there.unwrap_or("a path not recorded"),
                )));
            }
            let found = found.map_or_else(|| "missing".to_owned(), |found| format!("{found}"));
            return Err(CliError::Usage(format!(
                "{}: --resume: the interrupted search in {} is not this one: `{}` is {found} there and {wanted} here; \
                 run it with the same experiment and flags, or {start_over}",
                file.at(keys),
                output.display(),
                keys.join("."),
            )));
        }
    }
    let state = parse(&value, &file, identity).map_err(|error| CliError::Input(format!("{error}; {start_over}")))?;
    Ok(Some(state))
}

/// The search's state from a checkpoint whose identity matched.
fn parse(value: &Value, file: &JsonFile, identity: &Identity) -> Result<Checkpoint, String> {
    let bad = |key: &str, what: &str| format!("{}: not a search checkpoint: `{key}` {what}", file.at(&[key]));
    let whole = |key: &str| value.get(key).and_then(Value::as_u64).ok_or_else(|| bad(key, "is not a whole number"));
    let numbers = |value: Option<&Value>, key: &str| -> Result<Vec<f64>, String> {
        let list = value.and_then(Value::as_array).ok_or_else(|| bad(key, "is not a list"))?;
        list.iter()
            .map(|item| {
                item.as_u64().map(f64::from_bits).ok_or_else(|| bad(key, "holds something other than f64 bits"))
            })
            .collect()
    };
    let candidates = |key: &str| -> Result<Vec<Candidate>, String> {
        let list = value.get(key).and_then(Value::as_array).ok_or_else(|| bad(key, "is not a list"))?;
        list.iter()
            .map(|item| {
                let genes = numbers(item.get("genes"), key)?;
                let objectives = numbers(item.get("objectives"), key)?;
                let violation = item
                    .get("violation")
                    .and_then(Value::as_u64)
                    .map(f64::from_bits)
                    .ok_or_else(|| bad(key, "has a candidate without its `violation`"))?;
                if genes.len() != identity.genes || objectives.len() != identity.objectives {
                    return Err(bad(
                        key,
                        &format!(
                            "has a candidate of {} genes and {} objectives; this search has {} and {}",
                            genes.len(),
                            objectives.len(),
                            identity.genes,
                            identity.objectives
                        ),
                    ));
                }
                Ok(Candidate { genes, objectives, violation })
            })
            .collect()
    };
    let generation = whole("generation")?;
    if generation > identity.generations as u64 {
        return Err(bad("generation", &format!("is {generation}, past the search's {}", identity.generations)));
    }
    let convergence_list =
        value.get("convergence").and_then(Value::as_array).ok_or_else(|| bad("convergence", "is not a list"))?;
    let convergence = convergence_list
        .iter()
        .map(|row| {
            let field = |index: usize| row.get(index).and_then(Value::as_u64);
            match (field(0), field(1), field(2), field(3)) {
                (Some(generation), Some(evaluations), Some(hypervolume), Some(archive_size)) => Ok(Progress {
                    generation: generation as usize,
                    evaluations,
                    hypervolume: f64::from_bits(hypervolume),
                    archive_size: archive_size as usize,
                }),
                _ => Err(bad("convergence", "has a row other than [generation, evaluations, hypervolume, size]")),
            }
        })
        .collect::<Result<Vec<Progress>, String>>()?;
    if convergence.len() as u64 != generation + 1 {
        return Err(bad("convergence", &format!("has {} rows after generation {generation}", convergence.len())));
    }
    let population = candidates("population")?;
    if population.len() != identity.population.max(4).div_ceil(2) * 2 {
        return Err(bad("population", &format!("holds {} candidates", population.len())));
    }
    Ok(Checkpoint {
        generation: generation as usize,
        evaluations: whole("evaluations")?,
        population,
        archive: candidates("archive")?,
        convergence,
        reference: numbers(value.get("reference"), "reference")?,
        least_violation: f64::from_bits(whole("least_violation")?),
    })
}
