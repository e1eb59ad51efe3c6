//! `fulcrum slurm`: a job script that runs a sweep on a Slurm cluster, as an array job of
//! shards (`fulcrum sweep --shard auto`) and a job that merges them once all have succeeded
//! (and, for an analysis's design from `fulcrum sample`, analyses the merged runs).

use std::path::{Path, PathBuf};

use crate::CliError;
use crate::args::SlurmArgs;
use crate::commands::design::{Sampled, read_design};
use crate::commands::print_stdout;

pub fn slurm(args: &SlurmArgs) -> Result<(), CliError> {
    let absolute = |path: &Path, what: &str| -> Result<PathBuf, CliError> {
        std::path::absolute(path).map_err(|error| CliError::Usage(format!("{what} {}: {error}", path.display())))
    };
    if !args.experiment.is_file() {
        return Err(CliError::Input(format!("{}: no such experiment file", args.experiment.display())));
    }
    let experiment = absolute(&args.experiment, "the experiment")?;
    let output = absolute(&args.output, "--output")?;
    let fulcrum = match &args.fulcrum {
        Some(path) => absolute(path, "--fulcrum")?,
        None => std::env::current_exe()
            .map_err(|error| CliError::Io(anyhow::anyhow!("cannot tell where this fulcrum binary is: {error}")))?,
    };
    for flag in &args.sweep_flags {
        if ["-o", "--output", "--shard", "--shards", "--threads", "--design"].contains(&flag.as_str()) {
            return Err(CliError::Usage(format!("{flag}: the job script sets it for every shard")));
        }
    }
    // The design is planned and checked now, so that a job is never queued for one that
    // cannot run.
    let design = match &args.design {
        Some(dir) => {
            let Sampled { design, .. } = read_design(dir, &args.experiment)?;
            // Every shard must have runs: shards take whole blocks.
            let block = fulcrum_explore::sweep::BLOCK_RUNS;
            let blocks = design.runs.div_ceil(block);
            if args.shards > blocks {
                return Err(CliError::Usage(format!(
                    "--shards {}: the design's {} runs make {blocks} block(s) of {block} runs, and each shard \
                     takes whole blocks; use at most {blocks} shards",
                    args.shards, design.runs
                )));
            }
            Some((absolute(dir, "--design")?, design.command))
        }
        None => None,
    };
    let script = job_script(args, &fulcrum, &experiment, &output, design.as_ref());
    match &args.script {
        None => print_stdout(&script),
        Some(path) => {
            fulcrum_report::write_atomically(path, |out| out.write_all(script.as_bytes()))
                .map_err(|error| CliError::Io(error.into()))?;
            eprintln!(
                "job script for {} shards → {} (submit it with: bash {})",
                args.shards,
                path.display(),
                path.display()
            );
            Ok(())
        }
    }
}

/// A bash script that submits the array job and the merge job, and prints their ids.
fn job_script(
    args: &SlurmArgs,
    fulcrum: &Path,
    experiment: &Path,
    output: &Path,
    design: Option<&(PathBuf, String)>,
) -> String {
    let fulcrum = quote(&fulcrum.to_string_lossy());
    let experiment_text = quote(&experiment.to_string_lossy());
    let out = quote(&output.to_string_lossy());
    let mut common = String::new();
    for (flag, value) in [("--partition", &args.partition), ("--time", &args.time), ("--account", &args.account)] {
        if let Some(value) = value {
            common.push_str(&format!(" {flag}={}", quote(value)));
        }
    }
    let mut shard_options = format!("{common} --cpus-per-task={}", args.cpus_per_task);
    if let Some(mem) = &args.mem {
        shard_options.push_str(&format!(" --mem={}", quote(mem)));
    }
    let mut flags: String = args.sweep_flags.iter().map(|flag| format!(" {}", quote(flag))).collect();
    // After the merge, an analysis's design is analysed.
    let (mut analyse, mut results) = (String::new(), "merged");
    if let Some((dir, command)) = design {
        flags = format!(" --design {}{flags}", quote(&dir.to_string_lossy()));
        if command != "sweep" {
            analyse = format!("\n{fulcrum} {command} {experiment_text} --from {out}/merged -o {out}/analysis");
            results = "analysis";
        }
    }
    let merge_command = if analyse.is_empty() { "exec " } else { "" };
    let shards = args.shards;
    format!(
        r#"#!/usr/bin/env bash
# Runs the sweep of {experiment} on Slurm: a job array of {shards} shards, then a job that merges
# them into {output}/merged (the same files, byte for byte, as one `fulcrum sweep`){then}.
# Written by `fulcrum slurm`. Submit with: bash THIS_FILE
set -euo pipefail
out={out}
mkdir -p "$out/shards" "$out/logs"
shards=$(sbatch --parsable --job-name=fulcrum-shards --array=1-{shards}{shard_options} --output="$out/logs/shard-%a.log" <<'JOB'
#!/usr/bin/env bash
set -euo pipefail
exec {fulcrum} sweep {experiment_text} --shard auto --threads "${{SLURM_CPUS_PER_TASK:-1}}" -o {out}/shards/"$SLURM_ARRAY_TASK_ID"{flags}
JOB
)
shards=${{shards%%;*}}
merge=$(sbatch --parsable --job-name=fulcrum-merge --dependency=afterok:"$shards"{common} --output="$out/logs/merge.log" <<'JOB'
#!/usr/bin/env bash
set -euo pipefail
{merge_command}{fulcrum} merge {out}/shards/* -o {out}/merged{analyse}
JOB
)
merge=${{merge%%;*}}
echo "shards: job $shards (array of {shards}); merge: job $merge; results: $out/{results}"
"#,
        experiment = experiment.display(),
        output = output.display(),
        then = if analyse.is_empty() {
            String::new()
        } else {
            format!(" and analyses them into {}/analysis", output.display())
        },
    )
}

/// A single-quoted shell word.
fn quote(text: &str) -> String {
    format!("'{}'", text.replace('\'', r"'\''"))
}

#[cfg(test)]
mod tests {
    use super::quote;

    #[test]
    fn words_are_quoted_for_the_shell() {
        assert_eq!(quote("plain"), "'plain'");
        assert_eq!(quote("it's $HOME"), r"'it'\''s $HOME'");
    }
}
