//! Which slice of a sweep's runs this process runs: `--shard K/N`, or `--shard auto` from the
//! variables a cluster's launcher sets (Slurm job arrays, Kubernetes indexed jobs, MPI).

use std::ops::Range;

use fulcrum_explore::sweep::BLOCK_RUNS;

/// Shard `index` (0-based) of `count`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ShardChoice {
    /// 0 to `count - 1`.
    pub index: u64,
    /// How many shards.
    pub count: u64,
}

/// `--shard`: `K/N` (K from 1 to N) or `auto`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ShardFlag {
    /// This shard.
    Given(ShardChoice),
    /// Read from the environment.
    Auto,
}

/// Parses `--shard`.
pub fn parse_shard(text: &str) -> Result<ShardFlag, String> {
    if text.trim().eq_ignore_ascii_case("auto") {
        return Ok(ShardFlag::Auto);
    }
    let usage = || format!("`{text}`: expected K/N with 1 ≤ K ≤ N (e.g. 2/8), or `auto`");
    let (k, n) = text.split_once('/').ok_or_else(usage)?;
    let (k, n): (u64, u64) = (k.trim().parse().map_err(|_| usage())?, n.trim().parse().map_err(|_| usage())?);
    if k == 0 || k > n {
        return Err(usage());
    }
    Ok(ShardFlag::Given(ShardChoice { index: k - 1, count: n }))
}

impl ShardFlag {
    /// The shard, reading the environment through `var` for `auto`; `shards` is `--shards`.
    pub fn resolve(&self, shards: Option<u64>, var: impl Fn(&str) -> Option<String>) -> Result<ShardChoice, String> {
        match self {
            ShardFlag::Given(choice) => Ok(*choice),
            ShardFlag::Auto => from_environment(shards, var),
        }
    }
}

/// The runs of shard `index` of `count` over `runs` runs: whole blocks of
/// [`BLOCK_RUNS`], as even a share as blocks allow, so that shards merge into the bytes of one
/// sweep. Shards past the number of blocks are empty.
pub fn shard_runs(choice: ShardChoice, runs: u64) -> Range<u64> {
    let blocks = runs.div_ceil(BLOCK_RUNS);
    let bound =
        |k: u64| ((u128::from(blocks) * u128::from(k) / u128::from(choice.count)) as u64 * BLOCK_RUNS).min(runs);
    bound(choice.index)..bound(choice.index + 1)
}

fn number(var: &impl Fn(&str) -> Option<String>, name: &str) -> Result<Option<u64>, String> {
    match var(name) {
        None => Ok(None),
        Some(text) => text.trim().parse().map(Some).map_err(|_| format!("{name}={text:?} is not a whole number")),
    }
}

fn checked(index: u64, count: u64, source: &str) -> Result<ShardChoice, String> {
    if count == 0 || index >= count {
        return Err(format!("{source} gives shard {index} of {count}, which does not exist"));
    }
    Ok(ShardChoice { index, count })
}

/// `--shard auto`: Slurm job arrays, Kubernetes indexed jobs (with `--shards N`), MPI launchers.
fn from_environment(shards: Option<u64>, var: impl Fn(&str) -> Option<String>) -> Result<ShardChoice, String> {
    if let Some(task) = number(&var, "SLURM_ARRAY_TASK_ID")? {
        let min = number(&var, "SLURM_ARRAY_TASK_MIN")?.unwrap_or(0);
        let step = number(&var, "SLURM_ARRAY_TASK_STEP")?.unwrap_or(1).max(1);
        let count = match (number(&var, "SLURM_ARRAY_TASK_COUNT")?, number(&var, "SLURM_ARRAY_TASK_MAX")?) {
            (Some(count), _) => count,
            (None, Some(max)) => max.saturating_sub(min) / step + 1,
            (None, None) => shards.ok_or(
                "SLURM_ARRAY_TASK_ID is set but neither SLURM_ARRAY_TASK_COUNT nor SLURM_ARRAY_TASK_MAX: give --shards N",
            )?,
        };
        let index = task.checked_sub(min).ok_or("SLURM_ARRAY_TASK_ID is below SLURM_ARRAY_TASK_MIN")? / step;
        return checked(index, shards.unwrap_or(count), "the Slurm job array");
    }
    if let Some(index) = number(&var, "JOB_COMPLETION_INDEX")? {
        let count =
            shards.ok_or("a Kubernetes indexed job (JOB_COMPLETION_INDEX) needs --shards N, its completions")?;
        return checked(index, count, "the Kubernetes indexed job");
    }
    for (rank, size, launcher) in [
        ("OMPI_COMM_WORLD_RANK", "OMPI_COMM_WORLD_SIZE", "Open MPI"),
        ("PMI_RANK", "PMI_SIZE", "the MPI launcher (PMI)"),
    ] {
        if let (Some(index), Some(count)) = (number(&var, rank)?, number(&var, size)?) {
            return checked(index, shards.unwrap_or(count), launcher);
        }
    }
    Err("--shard auto: no launcher variables found (SLURM_ARRAY_TASK_ID, JOB_COMPLETION_INDEX, \
         OMPI_COMM_WORLD_RANK/SIZE or PMI_RANK/SIZE); give --shard K/N"
        .to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
        let pairs: Vec<(String, String)> = pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
        move |name| pairs.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone())
    }

    fn auto(pairs: &[(&str, &str)], shards: Option<u64>) -> Result<ShardChoice, String> {
        ShardFlag::Auto.resolve(shards, env(pairs))
    }

    #[test]
    fn flags_are_one_based_fractions_or_auto() {
        assert_eq!(parse_shard("2/8"), Ok(ShardFlag::Given(ShardChoice { index: 1, count: 8 })));
        assert_eq!(parse_shard(" AUTO "), Ok(ShardFlag::Auto));
        for bad in ["0/4", "5/4", "1/0", "x/4", "3", "", "-1/4"] {
            assert!(parse_shard(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn launchers_are_read_from_their_variables() {
        let slurm = [("SLURM_ARRAY_TASK_ID", "7"), ("SLURM_ARRAY_TASK_MIN", "5"), ("SLURM_ARRAY_TASK_COUNT", "4")];
        assert_eq!(auto(&slurm, None), Ok(ShardChoice { index: 2, count: 4 }));
        let stepped = [
            ("SLURM_ARRAY_TASK_ID", "4"),
            ("SLURM_ARRAY_TASK_MIN", "0"),
            ("SLURM_ARRAY_TASK_MAX", "6"),
            ("SLURM_ARRAY_TASK_STEP", "2"),
        ];
        assert_eq!(auto(&stepped, None), Ok(ShardChoice { index: 2, count: 4 }));
        assert_eq!(auto(&[("JOB_COMPLETION_INDEX", "3")], Some(10)), Ok(ShardChoice { index: 3, count: 10 }));
        assert!(auto(&[("JOB_COMPLETION_INDEX", "3")], None).unwrap_err().contains("--shards"));
        let mpi = [("OMPI_COMM_WORLD_RANK", "0"), ("OMPI_COMM_WORLD_SIZE", "2")];
        assert_eq!(auto(&mpi, None), Ok(ShardChoice { index: 0, count: 2 }));
        assert_eq!(auto(&[("PMI_RANK", "1"), ("PMI_SIZE", "3")], None), Ok(ShardChoice { index: 1, count: 3 }));
        assert!(auto(&[], None).unwrap_err().contains("no launcher variables"));
        assert!(auto(&[("SLURM_ARRAY_TASK_ID", "x")], None).unwrap_err().contains("not a whole number"));
        assert!(auto(&[("PMI_RANK", "3"), ("PMI_SIZE", "3")], None).unwrap_err().contains("does not exist"));
    }

    #[test]
    fn shards_cover_every_run_once_in_whole_blocks() {
        for runs in [0, 1, 1000, 1024, 1025, 10_000, 100_000] {
            for count in [1, 2, 3, 7, 40] {
                let ranges: Vec<Range<u64>> =
                    (0..count).map(|index| shard_runs(ShardChoice { index, count }, runs)).collect();
                assert_eq!(ranges[0].start, 0);
                assert_eq!(ranges[count as usize - 1].end, runs);
                for pair in ranges.windows(2) {
                    assert_eq!(pair[0].end, pair[1].start);
                }
                assert!(ranges.iter().all(|r| r.start % BLOCK_RUNS == 0 || r.start == runs));
            }
        }
    }
}
