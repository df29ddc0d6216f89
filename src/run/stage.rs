//! Run stage, staging into a Delta root: one shard's slice of the inputs is read like any run,
//! its rows are uploaded as data files of the Delta tables, and its manifest announces them to
//! `jixiao commit`. Nothing here commits: readers see the run once the commit step has run.
//! After the commit, the stats of the root are computed and committed here too.

use std::collections::{BTreeMap, HashMap};
use std::path::PathBuf;
use std::time::Instant;

use super::execute;
use super::plan::{Plan, read_known};
use super::publish::Stages;
use super::{Options, RunError, Summary, fault, summarize};
use crate::ingest::walk::Entry;
use crate::store::delta::{self, Committed, DeltaError, Lake, Manifest, Outcome, StagedFile};
use crate::store::sink::{self, Dataset, Sink};

/// What staging a shard did.
#[derive(Debug)]
pub enum Staged {
    /// The shard's rows are uploaded and its manifest written.
    Done { summary: Box<Summary>, files: Vec<StagedFile> },
    /// A manifest for this shard of the run was already there (a restarted or repeated shard):
    /// nothing was read or written.
    Already { holder: String },
}

/// Stages shard `opts.shard` of run `run_id` into `lake`; `opts.out` is only local scratch space
/// and the place of the shard's run summary.
pub fn stage(opts: &Options, lake: &Lake, run_id: &str) -> Result<Staged, RunError> {
    let t0 = Instant::now();
    let started = chrono::Utc::now();
    delta::check_run_id(run_id)?;
    let shard = opts.shard;
    if let Some(m) = lake.manifest(run_id, shard.index, shard.count)? {
        return Ok(Staged::Already { holder: m.holder });
    }
    if let Some(i) = opts.inputs.iter().find(|i| !i.root.is_dir()) {
        return Err(RunError::NoInput(i.root.clone()));
    }
    let mut stages = Stages::default();
    let mut read_versions = BTreeMap::new();
    for d in Dataset::ALL {
        read_versions.insert(d.name().to_string(), lake.version(d)?);
    }
    let (files_version, known) = stages.time("state", || -> Result<_, DeltaError> {
        let (version, batches) = lake.read(Dataset::Files)?;
        let mut known = HashMap::new();
        for b in &batches {
            read_known(b, &mut known);
        }
        Ok((version, known))
    })?;
    // The state the drop list is computed against is the one just read.
    read_versions.insert(Dataset::Files.name().to_string(), files_version);
    // `--full` reads the whole slice again, so every row the slice had must go.
    let full_drop: Vec<String> =
        if opts.full { known.keys().filter(|p| shard.contains(p)).cloned().collect() } else { Vec::new() };
    let known = if opts.full { HashMap::new() } else { known };
    let plan = stages.time("walk", || Plan::with_known(&opts.inputs, known, shard, opts.limits.thread_count()));
    fault("after_walk");

    let scratch = scratch_dir(opts, run_id);
    let _ = std::fs::remove_dir_all(&scratch);
    let sink = Sink::new(scratch.clone(), None, opts.compression)?;
    let todo: Vec<&Entry> = plan.todo().collect();
    let (sink, tally, seen) =
        stages.time("parse", || execute::execute(&todo, &plan.known, sink, opts.limits, opts.progress))?;
    let written = stages.time("write", || sink.finish(opts.limits.thread_count()))?;
    fault("mid_write");
    let files = stages.time("upload", || upload(lake, &scratch, run_id, opts))?;
    fault("before_manifest");
    pause_before_manifest();

    let mut summary = summarize(opts, &plan, tally, seen, &written, &scratch);
    summary.run_id = run_id.to_string();
    summary.started = started.to_rfc3339_opts(chrono::SecondsFormat::Millis, true);
    summary.snapshot = delta::manifest_path(run_id, shard.index, shard.count);
    stages.record(&mut summary);
    summary.elapsed_seconds = t0.elapsed().as_secs_f64();
    summary.throughput_mb_s =
        if summary.elapsed_seconds > 0.0 { tally.bytes as f64 / 1e6 / summary.elapsed_seconds } else { 0.0 };
    summary.finished = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, true);

    let drop_paths: Vec<String> = plan
        .todo()
        .filter(|e| plan.known.contains_key(&e.rel))
        .map(|e| e.rel.clone())
        .chain(plan.deleted.iter().cloned())
        .chain(full_drop)
        .collect();
    let manifest = Manifest {
        run_id: run_id.to_string(),
        shard: shard.to_string(),
        holder: crate::store::snapshot::holder(),
        read_versions,
        drop_paths,
        files: files.clone(),
        summary: serde_json::to_value(&summary).unwrap_or_default(),
    };
    put_manifest(lake, &manifest, shard)?;
    let _ = std::fs::remove_dir_all(&scratch);
    let runs = opts.out.join("runs");
    std::fs::create_dir_all(&runs).map_err(|source| RunError::Io { path: runs.clone(), source })?;
    let name = format!("{run_id}-shard-{:04}-of-{:04}.json", shard.index, shard.count);
    super::publish::write_json(&runs.join(name), &summary)?;
    Ok(Staged::Done { summary: Box::new(summary), files })
}

/// Writes the manifest unless another process on the same shard wrote one first.
fn put_manifest(lake: &Lake, manifest: &Manifest, shard: crate::config::Shard) -> Result<(), RunError> {
    let text = serde_json::to_vec_pretty(manifest).unwrap_or_default();
    let rel = delta::manifest_path(&manifest.run_id, shard.index, shard.count);
    if lake.put_new(&rel, text.into())? {
        return Ok(());
    }
    let holder = lake.manifest(&manifest.run_id, shard.index, shard.count)?.map(|m| m.holder).unwrap_or_default();
    Err(DeltaError::ShardTaken { run_id: manifest.run_id.clone(), shard: shard.to_string(), holder }.into())
}

/// Local parts of this attempt; the pid keeps two processes on one shard apart.
fn scratch_dir(opts: &Options, run_id: &str) -> PathBuf {
    let s = opts.shard;
    opts.out.join(".delta-staging").join(format!("{run_id}-{}-of-{}-{}", s.index, s.count, std::process::id()))
}

/// Uploads every part the sink wrote, under names no other attempt can take.
fn upload(lake: &Lake, scratch: &std::path::Path, run_id: &str, opts: &Options) -> Result<Vec<StagedFile>, RunError> {
    let s = opts.shard;
    let mut files = Vec::new();
    for key in sink::list_parts(scratch) {
        let name =
            format!("{run_id}-s{:04}of{:04}-part-{:02}-{}.parquet", s.index, s.count, key.bucket, uuid::Uuid::new_v4());
        files.push(lake.upload(key.dataset, key.year, &scratch.join(key.rel_path()), &name)?);
    }
    Ok(files)
}

/// Test hook: `JIXIAO_PAUSE_BEFORE_MANIFEST_MS` holds the shard after its upload, so a test can
/// make two processes on one shard race on the manifest itself.
fn pause_before_manifest() {
    if let Some(ms) = std::env::var("JIXIAO_PAUSE_BEFORE_MANIFEST_MS").ok().and_then(|v| v.parse().ok()) {
        std::thread::sleep(std::time::Duration::from_millis(ms));
    }
}

/// The stats of a Delta root once a run is committed: the committed tables are mirrored to
/// local scratch space, the analytics stage computes the stats there as for any snapshot, and
/// they are committed as the `stats/*` tables. Nothing is computed when the stats already come
/// from the current version of `files` (an unchanged night, a repeated commit).
pub fn commit_stats(lake: &Lake, run_id: &str) -> Result<Vec<Committed>, RunError> {
    let Some(files_version) = lake.version(Dataset::Files)? else { return Ok(Vec::new()) };
    if lake.stats_current(files_version)? {
        return Ok(vec![Committed { table: "stats".to_string(), outcome: Outcome::Current { files_version } }]);
    }
    let scratch = scratch_space("jixiao-stats-")?;
    let versions = lake.mirror(scratch.path(), None)?;
    let files_version = versions.get(Dataset::Files.name()).copied().flatten().unwrap_or(files_version);
    crate::analytics::write_all(scratch.path(), crate::config::Limits::default().thread_count(), lake.codec())?;
    let stats = scratch.path().join("stats");
    if !stats.is_dir() {
        return Ok(Vec::new());
    }
    Ok(delta::commit_stats(lake, run_id, &stats, files_version)?)
}

/// A Delta root's tables for a report of `year`: that year and the one before (every year
/// without `year`), mirrored to a local directory the report reads as a snapshot (removed when
/// the value is dropped).
pub fn mirror_for_report(lake: &Lake, year: Option<i32>) -> Result<tempfile::TempDir, RunError> {
    let scratch = scratch_space("jixiao-report-")?;
    let years = year.map(|y| [y - 1, y]);
    lake.mirror(scratch.path(), years.as_ref().map(|y| &y[..]))?;
    Ok(scratch)
}

fn scratch_space(prefix: &str) -> Result<tempfile::TempDir, RunError> {
    let tmp = std::env::temp_dir();
    tempfile::Builder::new().prefix(prefix).tempdir_in(&tmp).map_err(|source| RunError::Io { path: tmp, source })
}
