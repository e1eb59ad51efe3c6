//! Every input the fuzzers in `fuzz/` found a bug with (`fuzz/regressions/<target>/`) and every
//! committed seed of their corpus (`fuzz/corpus/<target>/seed-*`), replayed as bytes through the
//! call its target makes (`fuzz/src/lib.rs`, the same file the fuzz targets use): none may panic
//! or break the target's checks (every diagnostic points into its file, a printed equation parses
//! again). Bytes that are not UTF-8 go through the target like any others. A new file needs no new
//! code; a target without both folders, or with nothing to replay, fails.

use std::collections::BTreeSet;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use crate::root;

/// What each fuzz target does with its input: the same file the targets use.
#[path = "../fuzz/src/lib.rs"]
#[allow(dead_code, clippy::panic)]
mod targets;

/// The file that keeps a regression folder in git while it holds no regression yet.
const PLACEHOLDER: &str = ".keep";

fn fuzz() -> PathBuf {
    root().join("fuzz")
}

/// The files of `directory` (sorted), those whose name `keep` accepts; a missing or unreadable
/// folder fails the test.
fn files(directory: &Path, keep: impl Fn(&str) -> bool) -> Vec<PathBuf> {
    let entries = std::fs::read_dir(directory).unwrap_or_else(|error| {
        panic!(
            "{} cannot be read ({error}): every fuzz target keeps its corpus and regression folders \
             (a regression folder with no regression yet holds `{PLACEHOLDER}`)",
            display(directory)
        )
    });
    let mut paths: Vec<PathBuf> = entries
        .map(|entry| entry.unwrap_or_else(|error| panic!("{}: {error}", display(directory))).path())
        .filter(|path| path.is_file() && path.file_name().and_then(|name| name.to_str()).is_some_and(&keep))
        .collect();
    paths.sort();
    paths
}

/// The regression inputs of `target`: every file of its folder but the placeholder.
fn regressions(target: &str) -> Vec<PathBuf> {
    files(&fuzz().join("regressions").join(target), |name| name != PLACEHOLDER)
}

/// The committed seeds of `target`'s corpus. What libFuzzer adds to a corpus on one machine is
/// not committed and not replayed, so every machine replays the same files.
fn seeds(target: &str) -> Vec<PathBuf> {
    files(&fuzz().join("corpus").join(target), |name| name.starts_with("seed-"))
}

/// Replays the regressions and the seeds of `target` through its call, and names every file that
/// panicked. Fails if either folder is missing, if the corpus has no seed, or if no input is
/// other than UTF-8 (so that the byte path is always taken).
#[allow(clippy::print_stdout, reason = "the counts are what `--nocapture` shows")]
fn replay(target: &str) {
    let Some(&(_, call)) = targets::TARGETS.iter().find(|(name, _)| *name == target) else {
        panic!("`{target}` is not among the targets of fuzz/src/lib.rs");
    };
    let regressions = regressions(target);
    let seeds = seeds(target);
    assert!(!seeds.is_empty(), "fuzz/corpus/{target}/ has no seed-* file to replay");
    let mut failures = Vec::new();
    let mut not_utf8 = 0;
    for path in regressions.iter().chain(&seeds) {
        let bytes = std::fs::read(path).unwrap_or_else(|error| panic!("{}: {error}", display(path)));
        not_utf8 += usize::from(std::str::from_utf8(&bytes).is_err());
        if let Err(panic) = catch_unwind(AssertUnwindSafe(|| call(&bytes))) {
            let message = panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|text| (*text).to_owned()))
                .unwrap_or_default();
            failures.push(format!("{}: {message}", display(path)));
        }
    }
    println!(
        "{target}: replayed {} files: {} regressions, {} seeds; {not_utf8} not UTF-8",
        regressions.len() + seeds.len(),
        regressions.len(),
        seeds.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(not_utf8 > 0, "no input of `{target}` is other than UTF-8: add a seed that is not (Latin-1, say)");
}

fn display(path: &Path) -> String {
    path.strip_prefix(root()).unwrap_or(path).display().to_string()
}

/// The names of the entries of `directory` that `keep` accepts, as a set.
fn names(directory: &Path, keep: impl Fn(&Path) -> Option<String>) -> BTreeSet<String> {
    let entries = std::fs::read_dir(directory).unwrap_or_else(|error| panic!("{}: {error}", display(directory)));
    entries.filter_map(|entry| keep(&entry.expect("a readable folder entry").path())).collect()
}

/// The targets the tests below replay, one test each.
const REPLAYED: [&str; 8] = ["equation", "native", "xmile", "mdl", "cin", "experiment", "expected_output", "run"];

#[test]
fn every_target_has_a_test_a_corpus_and_a_regression_folder() {
    let targets: BTreeSet<String> = targets::TARGETS.iter().map(|(name, _)| (*name).to_owned()).collect();
    let binaries = names(&fuzz().join("fuzz_targets"), |path| {
        (path.extension()? == "rs").then(|| path.file_stem()?.to_str().map(str::to_owned)).flatten()
    });
    assert_eq!(binaries, targets, "fuzz/fuzz_targets/*.rs and TARGETS in fuzz/src/lib.rs");
    let replayed: BTreeSet<String> = REPLAYED.iter().map(|name| (*name).to_owned()).collect();
    assert_eq!(replayed, targets, "each target of fuzz/src/lib.rs has its replay test here");
    let folders = |under: &str| {
        names(&fuzz().join(under), |path| {
            path.is_dir().then(|| path.file_name()?.to_str().map(str::to_owned)).flatten()
        })
    };
    assert_eq!(folders("corpus"), targets, "the folders of fuzz/corpus/");
    assert_eq!(folders("regressions"), targets, "the folders of fuzz/regressions/");
}

/// Every regression is explained in fuzz/README.md, which names it as
/// `` `regressions/<target>/<file>` ``, and every regression named there is replayed: a removed
/// file fails here as well as a new one nobody described.
#[test]
fn every_regression_is_described_in_the_readme() {
    let readme = std::fs::read_to_string(fuzz().join("README.md")).expect("fuzz/README.md is readable");
    let named: BTreeSet<String> = readme
        .split('`')
        .skip(1)
        .step_by(2)
        .filter(|quoted| quoted.starts_with("regressions/") && !quoted.contains(['<', ' ']))
        .filter(|quoted| quoted.split('/').filter(|part| !part.is_empty()).count() == 3)
        .map(str::to_owned)
        .collect();
    let present: BTreeSet<String> = REPLAYED
        .iter()
        .flat_map(|target| {
            regressions(target).into_iter().map(move |path| {
                format!("regressions/{target}/{}", path.file_name().and_then(|name| name.to_str()).unwrap_or_default())
            })
        })
        .collect();
    assert!(!present.is_empty(), "no regression file at all in fuzz/regressions/");
    assert_eq!(present, named, "the files in fuzz/regressions/ and the ones fuzz/README.md describes");
}

#[test]
fn equation() {
    replay("equation");
}

#[test]
fn native() {
    replay("native");
}

#[test]
fn xmile() {
    replay("xmile");
}

#[test]
fn mdl() {
    replay("mdl");
}

#[test]
fn cin() {
    replay("cin");
}

#[test]
fn expected_output() {
    replay("expected_output");
}

#[test]
fn experiment() {
    replay("experiment");
}

#[test]
fn run() {
    replay("run");
}
