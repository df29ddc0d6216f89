//! Run stage, publish: the stats of the staged snapshot, the run's summary, the snapshot
//! switch and retention.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::Path;

use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::RunError;
use crate::store::sink::{self, Dataset};

/// Writes the stats of the staged snapshot, or links the previous ones when no input changed.
///
/// The stats are computed on a thread of their own. glibc gives a new thread the malloc arena
/// of a thread that has ended, here a parse worker's, whose freed memory the stats then reuse;
/// on the main thread they grew the main arena instead, next to the workers' freed arenas
/// (50,000 files, the same stats code, 3 runs each: stats-stage peak RSS 363–405 → 328–352 MB).
pub(super) fn stats(
    staging: &Path,
    old_root: Option<&Path>,
    nothing_changed: bool,
    opts: &super::Options,
) -> Result<(), RunError> {
    let (threads, codec) = (opts.limits.thread_count(), opts.compression);
    match old_root {
        Some(old) if nothing_changed && old.join("stats").is_dir() => {
            link_tree(&old.join("stats"), &staging.join("stats"))
        }
        _ => std::thread::scope(|s| s.spawn(|| crate::analytics::write_all(staging, threads, codec)).join())
            .unwrap_or_else(|p| std::panic::resume_unwind(p))
            .map_err(RunError::from),
    }
}

pub(super) fn write_json<T: serde::Serialize>(path: &Path, value: &T) -> Result<(), RunError> {
    let text = serde_json::to_string_pretty(value).unwrap_or_default();
    std::fs::write(path, text).map_err(|source| RunError::Io { path: path.to_path_buf(), source })
}

fn link_tree(from: &Path, to: &Path) -> Result<(), RunError> {
    for e in walkdir::WalkDir::new(from).into_iter().flatten() {
        if e.file_type().is_file()
            && let Ok(rel) = e.path().strip_prefix(from)
        {
            sink::link_or_copy(e.path(), &to.join(rel))?;
        }
    }
    Ok(())
}

/// Rows in a dataset of a snapshot, from Parquet footers only.
pub fn count_rows(root: &Path, d: Dataset) -> u64 {
    sink::list_parts(root)
        .into_iter()
        .filter(|k| k.dataset == d)
        .filter_map(|k| File::open(root.join(k.rel_path())).ok())
        .filter_map(|f| ParquetRecordBatchReaderBuilder::try_new(f).ok())
        .map(|b| b.metadata().file_metadata().num_rows() as u64)
        .sum()
}

/// Seconds per stage, the CPU seconds of each, and the process's peak resident set at the
/// end of each.
#[derive(Debug, Default)]
pub(super) struct Stages {
    pub seconds: BTreeMap<String, f64>,
    pub cpu_seconds: BTreeMap<String, f64>,
    pub peak_rss: BTreeMap<String, u64>,
}

impl Stages {
    pub fn time<T>(&mut self, name: &str, f: impl FnOnce() -> T) -> T {
        let t = std::time::Instant::now();
        let cpu = super::memory::cpu_seconds();
        let out = f();
        self.seconds.insert(name.to_string(), t.elapsed().as_secs_f64());
        if let (Some(before), Some(after)) = (cpu, super::memory::cpu_seconds()) {
            self.cpu_seconds.insert(name.to_string(), after - before);
        }
        if let Some(peak) = super::memory::peak_rss_bytes() {
            self.peak_rss.insert(name.to_string(), peak);
        }
        out
    }

    /// Moves the per-stage times and peaks into the run's summary, with the run's peak.
    pub fn record(self, summary: &mut super::Summary) {
        summary.peak_rss_bytes = self.peak_rss.values().copied().max().unwrap_or(0);
        summary.stage_peak_rss_bytes = self.peak_rss;
        summary.stage_seconds = self.seconds;
        summary.stage_cpu_seconds = self.cpu_seconds;
    }
}
