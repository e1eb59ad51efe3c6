//! Sharded and resumed sweeps: any split into shards merges into the bytes of one sweep, and a
//! killed sweep resumes to them; merge refuses shards that are missing, repeated, changed or from
//! another sweep; `--shard auto` reads the launchers' variables; `fulcrum slurm` writes a job
//! script.

use std::path::Path;
use std::process::{Command, Output};

use crate::{files, fulcrum, root, stderr, stdout};

const EXPERIMENT: &str = "tests/fixtures/workforce.toml";

fn path(path: &Path) -> &str {
    path.to_str().expect("utf-8")
}

/// Runs `fulcrum sweep EXPERIMENT FLAGS -o OUT` and checks it succeeds.
fn sweep(out: &Path, flags: &[&str]) {
    let output = fulcrum(&[&["sweep", EXPERIMENT, "-o", path(out)], flags].concat());
    assert!(output.status.success(), "{flags:?}: {}", stderr(&output));
}

/// Sweeps each shard of `count` into DIR/K and merges them (in reverse order) into DIR/merged.
fn shard_and_merge(dir: &Path, count: u64, flags: &[&str]) -> Output {
    let mut shards = Vec::new();
    for k in (1..=count).rev() {
        let shard = dir.join(k.to_string());
        sweep(&shard, &[flags, &["--shard", &format!("{k}/{count}")]].concat());
        shards.push(shard);
    }
    let mut args = vec!["merge".to_owned()];
    args.extend(shards.iter().map(|shard| path(shard).to_owned()));
    args.extend(["-o".to_owned(), path(&dir.join("merged")).to_owned()]);
    fulcrum(&args.iter().map(String::as_str).collect::<Vec<&str>>())
}

#[test]
fn any_split_into_shards_merges_into_the_bytes_of_one_sweep() {
    let scratch = tempfile::tempdir().expect("temp dir");
    // Exact quantiles with trajectories kept, and sketched ones, over 1 to 5 shards (five
    // blocks of runs, so that no shard is empty; the last block is partly full).
    for (case, flags) in [
        ("exact", &["--runs", "4100", "--save-runs", "Workforce"][..]),
        ("sketch", &["--runs", "4500", "--quantiles", "sketch"][..]),
        // Bands per grid point: the second grid point starts part-way through a block.
        ("grid", &["--runs", "1400", "--grid", "Hiring Delay=3,6,9", "--save-runs", "Workforce"][..]),
        ("grid-sketch", &["--runs", "1500", "--grid", "Hiring Delay=3,6,9", "--quantiles", "sketch"][..]),
    ] {
        let single = scratch.path().join(case).join("single");
        sweep(&single, flags);
        let expected = files(&single);
        for count in 1..=5 {
            let dir = scratch.path().join(case).join(count.to_string());
            let merged = shard_and_merge(&dir, count, flags);
            assert!(merged.status.success(), "{case}, {count} shards: {}", stderr(&merged));
            assert!(files(&dir.join("merged")) == expected, "{case}, {count} shards: merged files differ");
        }
        // And the merged bands are right, not only the same: with exact quantiles they are the
        // statistics of the merged trajectories (per grid point), computed here.
        if case == "exact" || case == "grid" {
            crate::sweep::bands_match_saved_runs(&scratch.path().join(case).join("5/merged"), "Workforce");
        }
    }
}

#[test]
fn merge_names_what_is_missing_repeated_changed_or_foreign() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let dir = scratch.path();
    for k in 1..=3 {
        sweep(&dir.join(k.to_string()), &["--runs", "3000", "--shard", &format!("{k}/3")]);
    }
    sweep(&dir.join("other"), &["--runs", "3000", "--seed", "9", "--shard", "2/3"]);
    sweep(&dir.join("whole"), &["--runs", "3000"]);
    let merge = |shards: &[&str]| {
        let mut args = vec!["merge"];
        let shards: Vec<String> = shards.iter().map(|name| path(&dir.join(name)).to_owned()).collect();
        args.extend(shards.iter().map(String::as_str));
        let out = dir.join("merged");
        args.extend(["-o", path(&out)]);
        let output = fulcrum(&args);
        assert_eq!(output.status.code(), Some(1), "{shards:?} must be refused: {}", stderr(&output));
        assert!(!out.join("manifest.json").exists(), "nothing merged");
        stderr(&output)
    };
    assert!(merge(&["1", "3"]).contains("runs 1024 to 2047 are missing"));
    assert!(merge(&["1", "2", "2", "3"]).contains("runs 1024 to 2047 are in more than one shard"));
    assert!(merge(&["1", "other", "3"]).contains("differ in `seed`"));
    assert!(merge(&["1", "2", "3", "whole"]).contains("a whole sweep, not a shard"));
    assert!(merge(&["1", "2", "nowhere"]).contains("not a finished shard"));
    std::fs::write(dir.join("2").join("outcomes.csv"), "run\n").expect("writable");
    assert!(merge(&["1", "2", "3"]).contains("outcomes.csv: its bytes differ"));
    // Band parts of another shape than the manifest gives (band variables × grid points).
    sweep(&dir.join("grid"), &["--runs", "100", "--grid", "Hiring Delay=3,6", "--shard", "1/1"]);
    let manifest = dir.join("grid").join("manifest.json");
    let text = std::fs::read_to_string(&manifest).expect("manifest");
    assert!(text.contains("\"grid_points\": 2"), "{text}");
    std::fs::write(&manifest, text.replace("\"grid_points\": 2", "\"grid_points\": 3")).expect("writable");
    let refused = merge(&["grid"]);
    assert!(refused.contains("bands.parts: the band parts hold 6 band series"), "{refused}");
    assert!(refused.contains("3 band variables and 3 grid points"), "{refused}");
}

#[test]
fn a_shard_with_no_runs_is_refused_before_anything_runs() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let out = scratch.path().join("2");
    // 1,000 runs are one block of 1,024: only one of three shards can have runs (the last).
    for shard in ["1/3", "2/3"] {
        let output = fulcrum(&["sweep", EXPERIMENT, "--runs", "1000", "--shard", shard, "-o", path(&out)]);
        assert_eq!(output.status.code(), Some(2), "{}", stderr(&output));
        let message = stderr(&output);
        assert!(message.contains("no runs") && message.contains("blocks of 1024 runs"), "{message}");
        assert!(message.contains("use at most 1 shard"), "{message}");
        assert!(!out.exists(), "nothing is written");
    }
    sweep(&scratch.path().join("3"), &["--runs", "1000", "--shard", "3/3"]);
}

#[test]
fn shard_auto_reads_the_launchers_variables() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let auto = |env: &[(&str, &str)], extra: &[&str]| {
        let out = scratch.path().join(env.iter().map(|(k, v)| format!("{k}{v}")).collect::<String>());
        let mut command = Command::new(env!("CARGO_BIN_EXE_fulcrum"));
        command.args([&["sweep", EXPERIMENT, "--runs", "3000", "--shard", "auto", "-o", path(&out)], extra].concat());
        for var in ["SLURM_ARRAY_TASK_ID", "SLURM_ARRAY_TASK_MIN", "SLURM_ARRAY_TASK_COUNT", "JOB_COMPLETION_INDEX"] {
            command.env_remove(var);
        }
        for var in ["OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "PMI_RANK", "PMI_SIZE"] {
            command.env_remove(var);
        }
        let output = command.envs(env.iter().copied()).current_dir(root()).output().expect("runs");
        (output, out)
    };
    let manifest_runs = |out: &Path| {
        let manifest: serde_json::Value =
            serde_json::from_slice(&std::fs::read(out.join("manifest.json")).expect("manifest")).expect("JSON");
        (manifest["runs"].clone(), manifest["shard"].clone())
    };
    let (output, out) =
        auto(&[("SLURM_ARRAY_TASK_ID", "3"), ("SLURM_ARRAY_TASK_MIN", "1"), ("SLURM_ARRAY_TASK_COUNT", "3")], &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(manifest_runs(&out), (serde_json::json!([2048, 3000]), serde_json::json!({"index": 3, "count": 3})));
    let (output, out) = auto(&[("JOB_COMPLETION_INDEX", "0")], &["--shards", "2"]);
    assert!(output.status.success(), "{}", stderr(&output));
    assert_eq!(manifest_runs(&out).0, serde_json::json!([0, 1024]));
    let (output, _) = auto(&[("PMI_RANK", "1"), ("PMI_SIZE", "3")], &[]);
    assert!(output.status.success(), "{}", stderr(&output));
    let (output, _) = auto(&[], &[]);
    assert_eq!(output.status.code(), Some(2));
    assert!(stderr(&output).contains("no launcher variables found"), "{}", stderr(&output));
}

#[test]
fn slurm_writes_an_array_job_and_a_dependent_merge() {
    let output = fulcrum(&["slurm", EXPERIMENT, "--shards", "4", "--partition", "short", "--", "--runs", "5000"]);
    assert!(output.status.success(), "{}", stderr(&output));
    let script = stdout(&output);
    assert!(script.starts_with("#!/usr/bin/env bash"));
    assert!(script.contains("--array=1-4 --partition='short'"), "{script}");
    assert!(script.contains("sweep '") && script.contains("--shard auto"), "{script}");
    assert!(script.contains("'--runs' '5000'"), "{script}");
    assert!(script.contains("--dependency=afterok:\"$shards\""), "{script}");
    assert!(script.contains(" merge '"), "{script}");
    let refused = fulcrum(&["slurm", EXPERIMENT, "--shards", "4", "--", "--shard", "1/2"]);
    assert_eq!(refused.status.code(), Some(2), "{}", stderr(&refused));
}

#[test]
fn a_killed_sweep_resumes_to_the_bytes_of_an_uninterrupted_one() {
    let scratch = tempfile::tempdir().expect("temp dir");
    let experiment = "benches/experiments/teacup.toml";
    // A checkpoint after every wave of four blocks on one thread: five segments.
    let flags = ["--runs", "20000", "--threads", "1", "--checkpoint-every", "0"];
    let whole = scratch.path().join("whole");
    let output = fulcrum(&["sweep", experiment, "-o", path(&whole), "--runs", "20000"]);
    assert!(output.status.success(), "{}", stderr(&output));

    // Kill the sweep once its first segment is written: the second is then under way.
    let out = scratch.path().join("killed");
    let mut child = Command::new(env!("CARGO_BIN_EXE_fulcrum"))
        .args([&["sweep", experiment, "-o", path(&out)], &flags[..]].concat())
        .current_dir(root())
        .stderr(std::process::Stdio::null())
        .spawn()
        .expect("starts");
    let partial = out.join(".fulcrum-partial");
    let first_segment_done = || {
        std::fs::read_dir(&partial)
            .map(|entries| entries.flatten().any(|entry| entry.path().join("manifest.json").exists()))
            .unwrap_or(false)
    };
    let started = std::time::Instant::now();
    while !first_segment_done() {
        assert!(child.try_wait().expect("waits").is_none(), "the sweep ended before it could be interrupted");
        assert!(started.elapsed().as_secs() < 300, "no segment was written");
        std::thread::sleep(std::time::Duration::from_millis(5));
    }
    child.kill().expect("killed");
    child.wait().expect("waited");
    assert!(!out.join("manifest.json").exists(), "an interrupted sweep has no manifest");

    // Without --resume the directory is refused; with it the sweep finishes.
    let again = fulcrum(&[&["sweep", experiment, "-o", path(&out)], &flags[..]].concat());
    assert_eq!(again.status.code(), Some(2));
    assert!(stderr(&again).contains("--resume"), "{}", stderr(&again));
    let resumed = fulcrum(&[&["sweep", experiment, "-o", path(&out), "--resume"], &flags[..]].concat());
    assert!(resumed.status.success(), "{}", stderr(&resumed));
    assert!(stderr(&resumed).contains("finished before and kept"), "{}", stderr(&resumed));
    assert!(files(&out) == files(&whole), "the resumed sweep's files differ from the uninterrupted one's");
    assert!(!partial.exists());

    // A different sweep cannot resume it, and there is nothing left to resume.
    let nothing = fulcrum(&[&["sweep", experiment, "-o", path(&out), "--resume"], &flags[..]].concat());
    assert_eq!(nothing.status.code(), Some(2), "{}", stderr(&nothing));
}
