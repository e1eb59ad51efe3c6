//! Output directories: what may be written where. A directory holding the results of another
//! experiment is not overwritten without `--force`, the directory being read is never written
//! into, and a sweep that cannot fit on its disk is refused before it starts.

use std::path::Path;

use fulcrum_report::sweep_dir::recorded_experiment;

use crate::CliError;

/// The manifests whose `experiment.sha256` says whose results a directory holds.
const MANIFESTS: [&str; 2] = ["manifest.json", "design.json"];

/// Checks that `dir` may receive the results of the experiment whose bytes hash to
/// `experiment_sha256`: it is not one of `inputs` (directories the command reads), and it does
/// not hold another experiment's results unless `force`.
pub fn claim(dir: &Path, experiment_sha256: &str, inputs: &[&Path], force: bool) -> Result<(), CliError> {
    if dir.exists() && !dir.is_dir() {
        return Err(CliError::Usage(format!("-o {}: not a directory", dir.display())));
    }
    if let Some(input) = inputs.iter().find(|input| same_directory(dir, input)) {
        return Err(CliError::Usage(format!(
            "-o {}: that is {}, which this command reads; write the results elsewhere",
            dir.display(),
            input.display()
        )));
    }
    if force {
        return Ok(());
    }
    for name in MANIFESTS {
        let path = dir.join(name);
        let Some(recorded) = recorded_experiment(&path) else { continue };
        match recorded {
            Some(experiment) if experiment.sha256 == experiment_sha256 => {}
            Some(experiment) => {
                return Err(CliError::Usage(format!(
                    "-o {}: it holds the results of another experiment ({}, by {}); choose another \
                     directory, or add --force to replace them",
                    dir.display(),
                    experiment.path,
                    path.display()
                )));
            }
            None => {
                return Err(CliError::Usage(format!(
                    "-o {}: {} is not one of fulcrum's manifests; choose another directory, or add --force \
                     to write there anyway",
                    dir.display(),
                    path.display()
                )));
            }
        }
    }
    Ok(())
}

/// Whether two paths name the same directory (both must exist to be the same).
fn same_directory(a: &Path, b: &Path) -> bool {
    match (a.canonicalize(), b.canonicalize()) {
        (Ok(a), Ok(b)) => a == b,
        _ => false,
    }
}

/// Past this, a sweep's files are refused whatever the disk: no one means a petabyte of CSV.
const MOST_BYTES: u64 = 1 << 40;

/// Refuses a sweep whose files would take more than the space free where `dir` will be (twice
/// their size: the pieces of a checkpointed sweep are joined into new files before they are
/// removed), or more than a TiB anywhere. `what` says where the bytes come from and which flags
/// lower them.
pub fn check_disk(dir: &Path, bytes: u64, what: &str) -> Result<(), CliError> {
    let needed = bytes.saturating_mul(2);
    let gib = |bytes: u64| bytes as f64 / f64::from(1 << 30);
    if bytes > MOST_BYTES {
        return Err(CliError::Usage(format!(
            "the sweep would write about {:.0} GiB ({what}), more than the 1 TiB fulcrum allows",
            gib(bytes)
        )));
    }
    let Some(free) = free_space(dir) else { return Ok(()) };
    if needed > free {
        return Err(CliError::Usage(format!(
            "the sweep would write about {:.1} GiB ({what}) and needs up to {:.1} GiB while its pieces are \
             joined, but only {:.1} GiB are free at {}",
            gib(bytes),
            gib(needed),
            gib(free),
            dir.display()
        )));
    }
    Ok(())
}

/// Bytes free to unprivileged users on the file system that holds `dir` (or the nearest of its
/// ancestors that exists); none where that cannot be told.
fn free_space(dir: &Path) -> Option<u64> {
    let existing = dir.ancestors().find(|a| !a.as_os_str().is_empty() && a.exists()).unwrap_or(Path::new("."));
    let stats = rustix::fs::statvfs(existing).ok()?;
    Some(stats.f_bavail.saturating_mul(stats.f_frsize))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_directory_of_another_experiment_needs_force() {
        let dir = tempfile::tempdir().expect("temp dir");
        let manifest = r#"{"experiment": {"path": "a.toml", "sha256": "aaaa"}}"#;
        std::fs::write(dir.path().join("manifest.json"), manifest).expect("written");
        assert!(claim(dir.path(), "aaaa", &[], false).is_ok());
        let refused = claim(dir.path(), "bbbb", &[], false);
        assert!(matches!(&refused, Err(CliError::Usage(m)) if m.contains("another experiment (a.toml")), "{refused:?}");
        assert!(claim(dir.path(), "bbbb", &[], true).is_ok());
        std::fs::write(dir.path().join("manifest.json"), "not json").expect("written");
        assert!(claim(dir.path(), "aaaa", &[], false).is_err());
        // The directory being read is never the output, even with --force.
        assert!(claim(dir.path(), "aaaa", &[dir.path()], true).is_err());
    }

    #[test]
    fn sweeps_past_a_tebibyte_are_refused_anywhere() {
        assert!(check_disk(Path::new("."), 1 << 41, "runs.csv").is_err());
        assert!(check_disk(Path::new("."), 1 << 10, "runs.csv").is_ok());
    }
}
