//! Designs written by `fulcrum sample`, swept in shards, merged and analysed with `--from`: the
//! same files as the analysis run directly; and the designs refused where they do not fit.

use std::collections::BTreeMap;
use std::path::Path;

use crate::{files, fulcrum, stderr, stdout};

const EXPERIMENT: &str = "tests/fixtures/workforce.toml";

fn path(path: &Path) -> &str {
    path.to_str().expect("utf-8")
}

/// Runs fulcrum and checks it succeeds.
fn ok(args: &[&str]) -> String {
    let output = fulcrum(args);
    assert!(output.status.success(), "{args:?}: {}", stderr(&output));
    stdout(&output)
}

/// Runs fulcrum, checks it fails with `code`, and returns its standard error.
fn refused(args: &[&str], code: i32) -> String {
    let output = fulcrum(args);
    assert_eq!(output.status.code(), Some(code), "{args:?} must be refused: {}", stderr(&output));
    stderr(&output)
}

/// The files of a directory without its manifest (which says where the runs came from).
fn results(dir: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut files = files(dir);
    files.remove("manifest.json").expect("a manifest");
    files
}

/// Samples `command FLAGS`'s design into DIR/design, sweeps it as two shards (one when it is
/// a single block of 1,024 runs, which cannot be split), merges them into DIR/merged and
/// returns the merged directory.
fn sample_shard_merge(dir: &Path, command: &str, flags: &[&str]) -> std::path::PathBuf {
    let design = dir.join("design");
    ok(&[&["sample", command, EXPERIMENT, "-o", path(&design)], flags].concat());
    let runs = std::fs::read_to_string(design.join("experiments.csv")).expect("rows").lines().count() - 1;
    let count = if runs > 1024 { 2 } else { 1 };
    let mut shards = Vec::new();
    for k in (1..=count).rev() {
        let shard = dir.join(format!("shard-{k}"));
        let which = format!("{k}/{count}");
        ok(&["sweep", EXPERIMENT, "--design", path(&design), "--shard", &which, "-o", path(&shard)]);
        shards.push(shard);
    }
    let merged = dir.join("merged");
    let mut args = vec!["merge"];
    args.extend(shards.iter().map(|shard| path(shard)));
    args.extend(["-o", path(&merged)]);
    ok(&args);
    // What ran is what was sampled.
    assert_eq!(files(&design)["experiments.csv"], files(&merged)["experiments.csv"], "{command} {flags:?}");
    merged
}

#[test]
fn an_analysis_of_a_sampled_sharded_merged_design_equals_the_analysis_run_directly() {
    let scratch = tempfile::tempdir().expect("temp dir");
    // Every design but one-at-a-time's crosses a block of 1,024 runs, so that both shards hold runs.
    let cases: [(&str, &[&str]); 7] = [
        ("sensitivity", &["--method", "sobol", "--samples", "128"]),
        ("sensitivity", &["--method", "sobol", "--samples", "64", "--second-order", "--over-time", "Workforce"]),
        ("sensitivity", &["--method", "morris", "--samples", "130", "--levels", "6"]),
        ("sensitivity", &["--method", "prcc", "--samples", "1100"]),
        ("sensitivity", &["--method", "oat", "--step", "0.05"]),
        ("leverage", &["--futures", "100", "--delta", "0.2"]),
        ("compare", &["--futures", "600"]),
    ];
    for (case, (command, flags)) in cases.iter().enumerate() {
        let dir = scratch.path().join(case.to_string());
        let merged = sample_shard_merge(&dir, command, flags);
        let direct = dir.join("direct");
        let printed = ok(&[&[*command, EXPERIMENT, "-o", path(&direct)], *flags].concat());
        // The experiment comes from the sweep's manifest; the interval flags from here.
        let analysed = dir.join("analysed");
        let from = ok(&[*command, "--from", path(&merged), "-o", path(&analysed)]);
        assert_eq!(printed, from, "{command} {flags:?}: the summaries differ");
        assert!(results(&direct) == results(&analysed), "{command} {flags:?}: the files differ");
        let manifest = std::fs::read_to_string(analysed.join("manifest.json")).expect("manifest");
        assert!(manifest.contains("\"sweep\": "), "{manifest}");
        // A comparison's design says which option each run is: the baseline's futures, then
        // each intervention's.
        let rows = std::fs::read_to_string(merged.join("experiments.csv")).expect("experiments.csv");
        let options: Vec<&str> = rows.lines().map(|line| line.split(',').nth(1).unwrap_or("")).collect();
        if *command == "compare" {
            assert_eq!(options[0], "option");
            assert_eq!(
                (options[1], options[600], options[601], options[1800]),
                ("baseline", "baseline", "faster hiring", "patient hiring")
            );
            let results = std::fs::read_to_string(merged.join("results.csv")).expect("results.csv");
            assert!(results.starts_with("run,option,"), "{}", &results[..80]);
        } else {
            assert!(!options.contains(&"option"), "{command}: no options, no option column");
        }
        // It says that it ran nothing, and what it read instead.
        let again = fulcrum(&[*command, "--from", path(&merged), "-o", path(&dir.join("again"))]);
        assert!(stderr(&again).contains("no model runs: "), "{}", stderr(&again));
    }
}

#[test]
fn a_sampled_sweep_design_runs_as_the_sweep_with_its_flags() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let flags = ["--runs", "1500", "--sampler", "random", "--seed", "5", "--grid", "Hiring Delay=1,2"];
    let design = scratch.path().join("design");
    ok(&[&["sample", "sweep", EXPERIMENT, "-o", path(&design)], &flags[..]].concat());
    let (by_design, by_flags) = (scratch.path().join("by-design"), scratch.path().join("by-flags"));
    ok(&["sweep", EXPERIMENT, "--design", path(&design), "-o", path(&by_design)]);
    ok(&[&["sweep", EXPERIMENT, "-o", path(&by_flags)], &flags[..]].concat());
    assert!(results(&by_design) == results(&by_flags), "the design's sweep differs from the flags' sweep");
    assert_eq!(files(&design)["experiments.csv"], files(&by_design)["experiments.csv"]);
}

#[test]
fn designs_are_refused_where_they_do_not_fit() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let dir = scratch.path();
    let design = dir.join("design");
    ok(&["sample", "sensitivity", EXPERIMENT, "--method", "sobol", "--samples", "128", "-o", path(&design)]);
    let shard = dir.join("shard");
    ok(&["sweep", EXPERIMENT, "--design", path(&design), "--shard", "1/2", "-o", path(&shard)]);
    let own = dir.join("own");
    ok(&["sweep", EXPERIMENT, "--runs", "20", "-o", path(&own)]);
    let whole = dir.join("whole");
    ok(&["sweep", EXPERIMENT, "--design", path(&design), "-o", path(&whole)]);
    let out = dir.join("out");
    let out = path(&out);

    // The runs must be a whole sweep of a design for this command.
    assert!(refused(&["sensitivity", "--from", path(&shard), "-o", out], 1).contains("shard 1 of 2"));
    assert!(refused(&["sensitivity", "--from", path(&own), "-o", out], 1).contains("own sample"));
    assert!(refused(&["leverage", "--from", path(&whole), "-o", out], 1).contains("not for `fulcrum leverage`"));
    // The design's flags come from the sweep.
    refused(&["sensitivity", "--from", path(&whole), "--method", "morris", "-o", out], 2);
    refused(&["sweep", EXPERIMENT, "--design", path(&design), "--runs", "5", "-o", out], 2);
    refused(&["sample", "compare", EXPERIMENT, "--from", path(&whole), "-o", out], 2);
    // Another experiment, or a design whose flags were edited, is not what was sampled.
    let other = refused(&["sweep", "models/workforce/experiment.toml", "--design", path(&design), "-o", out], 1);
    assert!(other.contains("not the one the design was sampled from"), "{other}");
    let json = std::fs::read_to_string(design.join("design.json")).expect("design.json");
    std::fs::write(design.join("design.json"), json.replace("\"128\"", "\"256\"")).expect("writable");
    let edited = refused(&["sweep", EXPERIMENT, "--design", path(&design), "-o", out], 1);
    assert!(edited.contains("different rows"), "{edited}");
    std::fs::write(design.join("design.json"), "{").expect("writable");
    assert!(refused(&["sweep", EXPERIMENT, "--design", path(&design), "-o", out], 1).contains("not a design.json"));
    assert!(!Path::new(out).exists(), "nothing written");
}

#[test]
fn slurm_merges_and_analyses_a_sampled_design() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let design = scratch.path().join("design");
    ok(&["sample", "leverage", EXPERIMENT, "--futures", "100", "-o", path(&design)]);
    // 1,880 runs are two blocks of 1,024: a third shard would have none.
    let output = fulcrum(&["slurm", EXPERIMENT, "--shards", "3", "--design", path(&design)]);
    assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
    assert!(stderr(&output).contains("use at most 2 shards"), "{}", stderr(&output));
    let script = ok(&["slurm", EXPERIMENT, "--shards", "2", "--design", path(&design)]);
    assert!(script.contains("--shard auto") && script.contains("--design '"), "{script}");
    assert!(script.contains(" merge '") && script.contains(" leverage '"), "{script}");
    assert!(script.contains("--from '") && script.contains("/analysis"), "{script}");
}

#[test]
fn the_smallest_designs_are_sampled_and_one_less_is_refused() {
    // The workforce fixture has eight parameters: five uncertain constants and three levers.
    let scratch = tempfile::tempdir().expect("temp dir");
    let cases: [(&str, &[&str], &str, &str); 5] = [
        ("sensitivity", &["--method", "morris", "--samples"], "2", "1"),
        ("sensitivity", &["--method", "sobol", "--samples"], "8", "7"),
        ("sensitivity", &["--method", "prcc", "--samples"], "11", "10"),
        ("sensitivity", &["--method", "src", "--samples"], "11", "10"),
        ("leverage", &["--futures"], "10", "9"),
    ];
    for (case, (command, flags, smallest, too_few)) in cases.iter().enumerate() {
        let design = scratch.path().join(case.to_string());
        let design = path(&design);
        ok(&[&["sample", command, EXPERIMENT, "-o", design], *flags, &[*smallest]].concat());
        let message = refused(&[&["sample", command, EXPERIMENT, "-o", design], *flags, &[*too_few]].concat(), 2);
        assert!(message.contains(&format!("needs at least {smallest}")), "{flags:?} {too_few}: {message}");
    }
    // The leverage cross-check's base size is the futures rounded up to a power of two, at
    // least 64: N (D + 2) runs after the lever pairs.
    for (futures, base) in [("10", 64u64), ("64", 64), ("65", 128)] {
        let design = scratch.path().join(format!("cross-check-{futures}"));
        let printed = fulcrum(&["sample", "leverage", EXPERIMENT, "--futures", futures, "-o", path(&design)]);
        assert!(printed.status.success(), "{}", stderr(&printed));
        let expected = format!("and {} for the Sobol cross-check (N = {base}, D = 8)", base * 10);
        assert!(stderr(&printed).contains(&expected), "{futures} futures: {}", stderr(&printed));
        let rows = std::fs::read_to_string(design.join("experiments.csv")).expect("rows").lines().count() as u64;
        let lever_runs = 3 * 2 * futures.parse::<u64>().expect("number");
        assert_eq!(rows, 1 + lever_runs + base * 10, "{futures} futures");
    }
}

#[test]
fn a_leverage_design_moves_each_lever_alone_by_its_delta_in_every_future() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let design = scratch.path().join("design");
    ok(&[
        "sample",
        "leverage",
        EXPERIMENT,
        "--futures",
        "12",
        "--delta",
        "0.2",
        "--no-cross-check",
        "-o",
        path(&design),
    ]);
    let text = std::fs::read_to_string(design.join("experiments.csv")).expect("rows");
    let rows: Vec<Vec<&str>> = text.lines().map(|line| line.split(',').collect()).collect();
    let header = &rows[0];
    assert_eq!(header[6..], ["Hiring Delay", "Workforce Adjustment Time", "Mentoring Load"]);
    // The model's values of the levers, their baselines.
    let baselines = [3.0, 6.0, 0.15];
    let futures: Vec<&[Vec<&str>]> = rows[1..].chunks(6).collect();
    assert_eq!(futures.len(), 12);
    for (future, runs) in futures.iter().enumerate() {
        for (lever, pair) in runs.chunks(2).enumerate() {
            for (run, factor) in pair.iter().zip([1.2, 0.8]) {
                assert_eq!(run[1..6], runs[0][1..6], "future {future}: the uncertain values are the future's");
                for (column, baseline) in baselines.iter().enumerate() {
                    let value: f64 = run[6 + column].parse().expect("number");
                    let expected = if column == lever { baseline * factor } else { *baseline };
                    assert!(
                        (value - expected).abs() <= 1e-12 * expected,
                        "future {future}, {}: {value}",
                        header[6 + column]
                    );
                }
            }
        }
    }
    // Futures differ from each other.
    assert_ne!(futures[0][0][1..6], futures[1][0][1..6]);
}
