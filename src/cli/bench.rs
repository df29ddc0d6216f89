//! Command line, bench tooling: `jixiao bench-corpus`, `bench-floor`, `bench-stats` and `bench-write`,
//! hidden commands `scripts/bench.sh` drives.

use std::path::Path;

use anyhow::{Context, Result};

use super::ExitStatus;

/// Writes files `0..files` of the generated corpus of `seed` under `dir`.
pub fn corpus(dir: &Path, files: u64, seed: u64) -> Result<ExitStatus> {
    let bytes = jixiao::bench::generate::write_corpus(dir, seed, files)
        .with_context(|| format!("writing the corpus under {}", dir.display()))?;
    outln!("{files} files, {bytes} bytes under {}", dir.display());
    Ok(ExitStatus::Success)
}

/// Prints the read and read+decode floors of the files under `dir` as JSON.
pub fn floor(dir: &Path, jobs: usize) -> Result<ExitStatus> {
    let f = jixiao::bench::floor(dir, jobs).context("starting the worker threads")?;
    outln!("{}", serde_json::to_string(&f)?);
    Ok(ExitStatus::Success)
}

/// Recomputes the stats of the snapshot at `dir` in place, timed: the stats stage alone, to
/// profile it without a whole run.
pub fn stats(dir: &Path, jobs: usize) -> Result<ExitStatus> {
    let t = std::time::Instant::now();
    jixiao::analytics::write_all(dir, jobs, jixiao::store::parquet::Codec::default())
        .with_context(|| format!("the stats of {}", dir.display()))?;
    let seconds = t.elapsed().as_secs_f64();
    let peak = jixiao::run::memory::peak_rss_bytes();
    outln!("{}", serde_json::json!({ "stats_seconds": seconds, "peak_rss_bytes": peak }));
    Ok(ExitStatus::Success)
}

/// Prints the write floor of the snapshot at `dir` as JSON: its parts encoded again in memory.
pub fn write(dir: &Path, jobs: usize, codec: jixiao::store::parquet::Codec) -> Result<ExitStatus> {
    let f = jixiao::bench::write::write_floor(dir, jobs, codec)
        .with_context(|| format!("encoding the parts of {}", dir.display()))?;
    outln!("{}", serde_json::to_string(&f)?);
    Ok(ExitStatus::Success)
}
