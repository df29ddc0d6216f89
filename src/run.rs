//! The run: walk → decode → layout → form → records → sink, then stats, over an output
//! directory that keeps its state between runs.
//!
//! Incremental by default: a file whose size and mtime match the current snapshot costs a
//! `stat`; only new and changed files are read. Rows of changed and deleted files are dropped
//! from the parts they lived in, so the dataset mirrors the inputs and never holds duplicates.
//! `--full` is the same path with an empty state.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fs::File;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::Instant;

use arrow::array::{Array, Int64Array, StringArray, UInt64Array};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use rayon::prelude::*;
use serde::{Deserialize, Serialize};

use crate::process::{self, Limits, Outcome};
use crate::records::Status;
use crate::sink::{self, Carry, Dataset, Sink};
use crate::snapshot::{self, Output};
use crate::walk::{self, Entry};

#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error(transparent)]
    Snapshot(#[from] snapshot::SnapshotError),
    #[error(transparent)]
    Sink(#[from] sink::SinkError),
    #[error(transparent)]
    Stats(#[from] crate::stats::StatsError),
    #[error("input directory {0} does not exist or is not a directory")]
    NoInput(PathBuf),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("could not start {jobs} worker threads: {message}")]
    Threads { jobs: usize, message: String },
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
    /// 0 = all cores.
    pub jobs: usize,
    pub full: bool,
    pub limits: Limits,
    pub keep_snapshots: usize,
    pub progress: bool,
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
    pub snapshot: String,
    pub exit_status: i32,
    /// Files that are partial or rejected, with their reasons (the first 50).
    pub problems: Vec<String>,
}

/// Run totals folded over the parallel file loop.
#[derive(Debug, Default, Clone, Copy)]
struct Totals {
    ok: u64,
    partial: u64,
    rejected: u64,
    tables: u64,
    bytes: u64,
}

impl Totals {
    fn of(o: &Outcome) -> Totals {
        let mut t = Totals { bytes: o.bytes_read, tables: o.projects.len() as u64, ..Totals::default() };
        match o.file.status {
            Status::Ok => t.ok = 1,
            Status::Partial => t.partial = 1,
            Status::Rejected => t.rejected = 1,
        }
        t
    }
    fn merge(self, o: Totals) -> Totals {
        Totals {
            ok: self.ok + o.ok,
            partial: self.partial + o.partial,
            rejected: self.rejected + o.rejected,
            tables: self.tables + o.tables,
            bytes: self.bytes + o.bytes,
        }
    }
}

/// State of one input file as the current snapshot recorded it.
#[derive(Debug, Clone)]
struct Known {
    size: u64,
    mtime_ns: i64,
    hash: Option<String>,
    status: String,
    tables: i64,
    error: Option<String>,
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
    for i in &opts.inputs {
        if !i.root.is_dir() {
            return Err(RunError::NoInput(i.root.clone()));
        }
    }
    let out = Output::open(&opts.out)?;
    if let Some(prev) = &out.took_over_from {
        tracing::warn!("the previous run ({prev}) did not finish; its leftovers were removed");
    }
    let run_id = snapshot::new_run_id();
    let mut stages = BTreeMap::new();
    let old_root = if opts.full { None } else { out.current() };
    let known = match &old_root {
        Some(root) => load_state(root)?,
        None => HashMap::new(),
    };

    // walk
    let t = Instant::now();
    let names: Vec<Option<String>> = if opts.inputs.len() > 1 {
        opts.inputs.iter().map(|i| i.root.file_name().map(|n| n.to_string_lossy().into_owned())).collect()
    } else {
        vec![None]
    };
    let roots: Vec<walk::Root<'_>> = opts
        .inputs
        .iter()
        .zip(names)
        .map(|(i, prefix)| walk::Root { dir: i.root.clone(), prefix, filter: i.filter.as_deref() })
        .collect();
    let entries = walk::list(&roots);
    stages.insert("walk".to_string(), t.elapsed().as_secs_f64());
    fault("after_walk");

    let seen: HashSet<&str> = entries.iter().map(|e| e.rel.as_str()).collect();
    let deleted: Vec<String> = known.keys().filter(|p| !seen.contains(p.as_str())).cloned().collect();
    let (todo, same): (Vec<&Entry>, Vec<&Entry>) = entries.iter().partition(|e| {
        e.error.is_some() || known.get(&e.rel).is_none_or(|k| k.size != e.size || k.mtime_ns != e.mtime_ns)
    });

    let staging = out.staging_dir(&run_id);
    let carry = old_root.as_ref().map(|root| Carry {
        old_root: root.clone(),
        old_parts: sink::list_parts(root),
        dirty_buckets: todo
            .iter()
            .map(|e| e.rel.as_str())
            .chain(deleted.iter().map(String::as_str))
            .map(sink::bucket_of)
            .collect(),
        drop_paths: todo.iter().map(|e| e.rel.clone()).chain(deleted.iter().cloned()).collect(),
    });
    let nothing_changed = todo.is_empty() && deleted.is_empty() && old_root.is_some();
    let mut sink = Sink::new(staging.clone(), carry)?;

    // decode → layout → form → records, in parallel; the sink gets outcomes in walk order.
    let t = Instant::now();
    let parse_started = t;
    tracing::info!(
        files = entries.len(),
        to_read = todo.len(),
        unchanged = same.len(),
        deleted = deleted.len(),
        "walked inputs"
    );
    let bar = progress_bar(opts.progress, todo.len() as u64);
    let bytes_done = std::sync::atomic::AtomicU64::new(0);
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(opts.jobs)
        .build()
        .map_err(|e| RunError::Threads { jobs: opts.jobs, message: e.to_string() })?;
    let (tx, rx) = mpsc::sync_channel::<(usize, Outcome)>(256);
    let limits = opts.limits;
    let mut changed = 0u64;
    let mut unchanged_content = 0u64;
    let mut problems = Vec::new();
    let (totals, sink_result) = std::thread::scope(|s| {
        let writer = s.spawn(|| -> Result<(Sink, u64, u64, Vec<String>), RunError> {
            let mut pending: BTreeMap<usize, Outcome> = BTreeMap::new();
            let mut next = 0usize;
            let (mut changed, mut same_hash) = (0u64, 0u64);
            let mut problems = Vec::new();
            for (i, o) in rx {
                pending.insert(i, o);
                while let Some(o) = pending.remove(&next) {
                    next += 1;
                    if let Some(k) = known.get(&o.file.path) {
                        if k.hash.is_some() && k.hash == o.file.content_hash {
                            same_hash += 1;
                        } else {
                            changed += 1;
                        }
                    }
                    if o.file.status != Status::Ok && problems.len() < 50 {
                        problems.push(format!(
                            "{}: {} {}",
                            o.file.path,
                            o.file.status.as_str(),
                            o.file.error.as_deref().unwrap_or("")
                        ));
                    }
                    sink.push_file(&o.file)?;
                    for p in &o.projects {
                        sink.push_project(p)?;
                    }
                    for i in &o.indicators {
                        sink.push_indicator(i)?;
                    }
                }
            }
            Ok((sink, changed, same_hash, problems))
        });
        let totals = pool.install(|| {
            todo.par_iter()
                .enumerate()
                .map_with(tx, |tx, (i, e)| {
                    let o = process::process(e, limits);
                    let t = Totals::of(&o);
                    if let Some(b) = &bar {
                        let done = bytes_done.fetch_add(e.size, std::sync::atomic::Ordering::Relaxed) + e.size;
                        let secs = parse_started.elapsed().as_secs_f64().max(1e-3);
                        b.set_message(format!("{:.1} MB/s", done as f64 / 1e6 / secs));
                        b.inc(1);
                    }
                    if o.file.status != Status::Ok {
                        tracing::debug!(path = %o.file.path, status = o.file.status.as_str(), error = o.file.error.as_deref().unwrap_or(""), "file not ok");
                    }
                    // The writer only stops receiving after an error it reports itself.
                    let _ = tx.send((i, o));
                    t
                })
                .reduce(Totals::default, Totals::merge)
        });
        (totals, writer.join())
    });
    if let Some(b) = bar {
        b.finish_and_clear();
    }
    let (sink, c, u, p) = match sink_result {
        Ok(r) => r?,
        Err(_) => {
            return Err(RunError::Io { path: staging, source: std::io::Error::other("the writer thread panicked") });
        }
    };
    changed += c;
    unchanged_content += u;
    problems.extend(p);
    stages.insert("parse".to_string(), t.elapsed().as_secs_f64());
    fault("mid_write");

    let t = Instant::now();
    let written = sink.finish()?;
    stages.insert("write".to_string(), t.elapsed().as_secs_f64());

    let t = Instant::now();
    match (&old_root, nothing_changed) {
        (Some(old), true) if old.join("stats").is_dir() => link_tree(&old.join("stats"), &staging.join("stats"))?,
        _ => crate::stats::write_all(&staging)?,
    }
    stages.insert("stats".to_string(), t.elapsed().as_secs_f64());

    // Unchanged files keep their status from the snapshot they came from.
    let mut all = totals;
    for e in &same {
        if let Some(k) = known.get(&e.rel) {
            match k.status.as_str() {
                "ok" => all.ok += 1,
                "partial" => all.partial += 1,
                _ => all.rejected += 1,
            }
            all.tables += k.tables.max(0) as u64;
            if k.status != "ok" && problems.len() < 50 {
                problems.push(format!("{}: {} {}", e.rel, k.status, k.error.as_deref().unwrap_or("")));
            }
        }
    }
    problems.sort();
    let new = todo.iter().filter(|e| !known.contains_key(&e.rel)).count() as u64;
    let elapsed = t0.elapsed().as_secs_f64();
    let mut summary = Summary {
        run_id: run_id.clone(),
        started: started.to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
        finished: String::new(),
        full: opts.full,
        files: entries.len() as u64,
        new,
        changed,
        unchanged: same.len() as u64 + unchanged_content,
        deleted: deleted.len() as u64,
        ok: all.ok,
        partial: all.partial,
        rejected: all.rejected,
        tables: all.tables,
        // Every indicator row of the snapshot, kept and new, from the Parquet footers.
        indicators: count_rows(&staging, Dataset::Indicators),
        rows_written: written.rows_new,
        rows_carried: written.rows_carried,
        parts_written: written.parts_written as u64,
        parts_linked: written.parts_linked as u64,
        bytes_read: totals.bytes,
        elapsed_seconds: 0.0,
        throughput_mb_s: 0.0,
        stage_seconds: stages,
        snapshot: format!("snapshots/{run_id}"),
        exit_status: if all.partial + all.rejected > 0 { 1 } else { 0 },
        problems,
    };
    write_json(&staging.join("manifest.json"), &summary)?;
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
    summary.elapsed_seconds = elapsed.max(t0.elapsed().as_secs_f64());
    summary.throughput_mb_s =
        if summary.elapsed_seconds > 0.0 { totals.bytes as f64 / 1e6 / summary.elapsed_seconds } else { 0.0 };
    summary.finished = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    let runs = opts.out.join("runs");
    std::fs::create_dir_all(&runs).map_err(|source| RunError::Io { path: runs.clone(), source })?;
    write_json(&runs.join(format!("{run_id}.json")), &summary)?;
    Ok(summary)
}

fn write_json(path: &Path, summary: &Summary) -> Result<(), RunError> {
    let text = serde_json::to_string_pretty(summary).unwrap_or_default();
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

/// Reads the per-file state (size, mtime, hash) from the snapshot's `files` dataset.
fn load_state(root: &Path) -> Result<HashMap<String, Known>, RunError> {
    let mut out = HashMap::new();
    for key in sink::list_parts(root).into_iter().filter(|k| k.dataset == Dataset::Files) {
        let path = root.join(key.rel_path());
        let file = File::open(&path).map_err(|source| RunError::Io { path: path.clone(), source })?;
        let reader = ParquetRecordBatchReaderBuilder::try_new(file)
            .and_then(|b| b.build())
            .map_err(|e| RunError::Io { path: path.clone(), source: std::io::Error::other(e) })?;
        for batch in reader {
            let batch = batch.map_err(|e| RunError::Io { path: path.clone(), source: std::io::Error::other(e) })?;
            let col = |n: &str| batch.column_by_name(n).cloned();
            let (Some(p), Some(s), Some(m), Some(h), Some(st), Some(tb), Some(er)) = (
                col("path"),
                col("size_bytes"),
                col("mtime_ns"),
                col("content_hash"),
                col("status"),
                col("tables"),
                col("error"),
            ) else {
                continue;
            };
            let p = p.as_any().downcast_ref::<StringArray>();
            let s = s.as_any().downcast_ref::<UInt64Array>();
            let m = m.as_any().downcast_ref::<Int64Array>();
            let h = h.as_any().downcast_ref::<StringArray>();
            let st = st.as_any().downcast_ref::<StringArray>();
            let tb = tb.as_any().downcast_ref::<arrow::array::Int32Array>();
            let er = er.as_any().downcast_ref::<StringArray>();
            let (Some(p), Some(s), Some(m), Some(h), Some(st), Some(tb), Some(er)) = (p, s, m, h, st, tb, er) else {
                continue;
            };
            for i in 0..batch.num_rows() {
                out.insert(
                    p.value(i).to_string(),
                    Known {
                        size: s.value(i),
                        mtime_ns: m.value(i),
                        hash: (!h.is_null(i)).then(|| h.value(i).to_string()),
                        status: st.value(i).to_string(),
                        tables: i64::from(tb.value(i)),
                        error: (!er.is_null(i)).then(|| er.value(i).to_string()),
                    },
                );
            }
        }
    }
    Ok(out)
}

/// Files done / total, MB/s and ETA on a terminal; nothing when stderr is not a terminal.
/// Per-file messages go to `debug` while it is drawn, so log lines don't tear through it.
fn progress_bar(enabled: bool, files: u64) -> Option<indicatif::ProgressBar> {
    use std::io::IsTerminal;
    if !enabled || !std::io::stderr().is_terminal() || files == 0 {
        return None;
    }
    let bar = indicatif::ProgressBar::new(files);
    let style = indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} files  {msg}  ETA {eta}")
        .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
    bar.set_style(style);
    Some(bar)
}
