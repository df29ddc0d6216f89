//! The run: walk → decode → layout → form → records → sink, then stats, over an output
//! directory that keeps its state between runs.
//!
//! Incremental by default: a file whose size and mtime match the current snapshot costs a
//! `stat`; only new and changed files are read. Rows of changed and deleted files are dropped
//! from the parts they lived in, so the dataset mirrors the inputs and never holds duplicates.
//! `--full` is the same path with an empty state.

mod execute;
pub mod memory;
mod plan;
mod publish;
#[cfg(feature = "delta")]
mod stage;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::{Deserialize, Serialize};

use crate::config::{Limits, Shard};
use crate::ingest::walk::Entry;
use crate::store::parquet::Codec;
use crate::store::sink::{self, Dataset, Sink};
use crate::store::snapshot::{self, Output};
use plan::Plan;
use publish::Stages;

pub use publish::count_rows;
#[cfg(feature = "delta")]
pub use stage::{Staged, commit_stats, mirror_for_report, stage};

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Snapshot(#[from] snapshot::SnapshotError),
    #[error(transparent)]
    Sink(#[from] sink::SinkError),
    #[error(transparent)]
    Stats(#[from] crate::analytics::StatsError),
    /// Boxed: delta-rs' errors are large, and every run result would carry their size.
    #[cfg(feature = "delta")]
    #[error(transparent)]
    Delta(Box<crate::store::delta::DeltaError>),
    #[error("input directory {0} does not exist or is not a directory")]
    NoInput(PathBuf),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("could not start {jobs} worker threads: {message}")]
    Threads { jobs: usize, message: String },
}

#[cfg(feature = "delta")]
impl From<crate::store::delta::DeltaError> for RunError {
    fn from(e: crate::store::delta::DeltaError) -> RunError {
        RunError::Delta(Box::new(e))
    }
}

/// Decides from a path relative to its root whether a file is an input (pipeline globs).
pub type PathFilter = Box<dyn Fn(&str) -> bool + Sync>;

pub struct InputSpec {
    pub root: PathBuf,
    pub filter: Option<PathFilter>,
}

pub struct Options {
    pub inputs: Vec<InputSpec>,
    pub out: PathBuf,
    pub full: bool,
    /// Worker threads and per-file bounds.
    pub limits: Limits,
    pub keep_snapshots: usize,
    pub progress: bool,
    /// The slice of the inputs this process reads ([`Shard::ALL`] unsharded).
    pub shard: Shard,
    /// How the run's Parquet files are compressed.
    pub compression: Codec,
}

/// What a run did, written to `OUT/runs/<run_id>.json` and into the snapshot's manifest.
#[derive(Debug, Clone, Default, Serialize, Deserialize, PartialEq)]
pub struct Summary {
    pub run_id: String,
    pub started: String,
    pub finished: String,
    pub full: bool,
    pub files: u64,
    pub new: u64,
    pub changed: u64,
    pub unchanged: u64,
    pub deleted: u64,
    pub ok: u64,
    pub partial: u64,
    pub rejected: u64,
    pub tables: u64,
    pub indicators: u64,
    /// Rows of the files read in this run.
    pub rows_written: u64,
    /// Rows kept from the previous snapshot in the parts this run rewrote.
    pub rows_carried: u64,
    pub parts_written: u64,
    /// Parts shared unchanged with the previous snapshot (hard links).
    pub parts_linked: u64,
    pub bytes_read: u64,
    pub elapsed_seconds: f64,
    pub throughput_mb_s: f64,
    pub stage_seconds: BTreeMap<String, f64>,
    /// CPU seconds (user + system, every thread) each stage used (Linux): over its
    /// `stage_seconds`, how many cores the stage kept busy.
    #[serde(default)]
    pub stage_cpu_seconds: BTreeMap<String, f64>,
    /// The process's peak resident set during the run, in bytes (Linux; 0 where unknown).
    #[serde(default)]
    pub peak_rss_bytes: u64,
    /// The process's peak resident set at the end of each stage, in bytes (Linux): the
    /// stage whose figure jumps took the memory.
    #[serde(default)]
    pub stage_peak_rss_bytes: BTreeMap<String, u64>,
    pub snapshot: String,
    pub exit_status: i32,
    /// Files that are partial or rejected, with their reasons (the first 50).
    pub problems: Vec<String>,
}

/// Fault points for the crash tests: `JIXIAO_FAULT=<point>` aborts the process there, like a
/// `kill -9` would.
fn fault(point: &str) {
    if std::env::var("JIXIAO_FAULT").is_ok_and(|f| f == point) {
        eprintln!("jixiao: fault point {point} reached, aborting");
        std::process::abort();
    }
}

pub fn run(opts: Options) -> Result<Summary, RunError> {
    let t0 = Instant::now();
    let started = chrono::Utc::now();
    if let Some(i) = opts.inputs.iter().find(|i| !i.root.is_dir()) {
        return Err(RunError::NoInput(i.root.clone()));
    }
    let out = Output::open(&opts.out)?;
    if let Some(prev) = &out.took_over_from {
        tracing::warn!("the previous run ({prev}) did not finish; its leftovers were removed");
    }
    let run_id = snapshot::new_run_id();
    let mut stages = Stages::default();
    let old_root = if opts.full { None } else { out.current() };
    let plan = stages
        .time("walk", || Plan::make(&opts.inputs, old_root.as_deref(), opts.shard, opts.limits.thread_count()))?;
    fault("after_walk");
    tracing::info!(
        files = plan.entries.len(),
        to_read = plan.todo.len(),
        unchanged = plan.same.len(),
        deleted = plan.deleted.len(),
        "walked inputs"
    );

    let staging = out.staging_dir(&run_id);
    let sink = Sink::new(staging.clone(), old_root.as_deref().map(|r| plan.carry(r)), opts.compression)?;
    let todo: Vec<&Entry> = plan.todo().collect();
    let (sink, tally, seen) =
        stages.time("parse", || execute::execute(&todo, &plan.known, sink, opts.limits, opts.progress))?;
    fault("mid_write");
    let written = stages.time("write", || sink.finish(opts.limits.thread_count()))?;
    let nothing_changed = plan.nothing_changed() && old_root.is_some();
    stages.time("stats", || publish::stats(&staging, old_root.as_deref(), nothing_changed, &opts))?;

    let mut summary = summarize(&opts, &plan, tally, seen, &written, &staging);
    summary.run_id = run_id.clone();
    summary.started = started.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    summary.snapshot = format!("snapshots/{run_id}");
    stages.record(&mut summary);
    summary.elapsed_seconds = t0.elapsed().as_secs_f64();
    publish::write_json(&staging.join("manifest.json"), &summary)?;
    out.publish(&run_id, &fault)?;
    tracing::info!(
        run_id = %run_id,
        rows_new = written.rows_new,
        rows_carried = written.rows_carried,
        parts_written = written.parts_written,
        parts_linked = written.parts_linked,
        "published snapshot"
    );
    let removed = out.retain(opts.keep_snapshots)?;
    if !removed.is_empty() {
        tracing::info!("removed old snapshots: {}", removed.join(", "));
    }
    summary.elapsed_seconds = summary.elapsed_seconds.max(t0.elapsed().as_secs_f64());
    summary.throughput_mb_s =
        if summary.elapsed_seconds > 0.0 { tally.bytes as f64 / 1e6 / summary.elapsed_seconds } else { 0.0 };
    summary.finished = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let runs = opts.out.join("runs");
    std::fs::create_dir_all(&runs).map_err(|source| RunError::Io { path: runs.clone(), source })?;
    publish::write_json(&runs.join(format!("{run_id}.json")), &summary)?;
    Ok(summary)
}

/// The run's figures: files read in this run from their outcomes, unchanged files from the
/// status the snapshot they came from recorded.
fn summarize(
    opts: &Options,
    plan: &Plan,
    tally: execute::Tally,
    seen: execute::Written,
    written: &sink::Written,
    staging: &Path,
) -> Summary {
    let mut all = tally;
    let mut problems = seen.problems;
    for e in plan.same() {
        if let Some(k) = plan.known.get(&e.rel) {
            all.count(&k.status);
            all.tables += k.tables.max(0) as u64;
            if k.status != "ok" && problems.len() < execute::MAX_PROBLEMS {
                problems.push(execute::problem_line(&e.rel, &k.status, k.error.as_deref()));
            }
        }
    }
    problems.sort();
    Summary {
        full: opts.full,
        files: plan.entries.len() as u64,
        new: plan.new_files(),
        changed: seen.changed,
        unchanged: plan.same.len() as u64 + seen.same_content,
        deleted: plan.deleted.len() as u64,
        ok: all.ok,
        partial: all.partial,
        rejected: all.rejected,
        tables: all.tables,
        // Every indicator row of the snapshot, kept and new, from the Parquet footers.
        indicators: publish::count_rows(staging, Dataset::Indicators),
        rows_written: written.rows_new,
        rows_carried: written.rows_carried,
        parts_written: written.parts_written as u64,
        parts_linked: written.parts_linked as u64,
        bytes_read: tally.bytes,
        exit_status: if all.partial + all.rejected > 0 { 1 } else { 0 },
        problems,
        ..Summary::default()
    }
}
