//! Stage 6, sink: writes record batches as partitioned Parquet parts into a staging snapshot.
//!
//! Parts are keyed by dataset, year and a bucket of the input path (`part-03.parquet`), so an
//! incremental run rewrites only the buckets its changed inputs fall in; every other part of
//! the previous snapshot is hard-linked, not copied. Rows are handed to a part's Parquet
//! writer every `BATCH_ROWS` rows, and the open parts share one budget for the row groups
//! they buffer (`BUFFER_BYTES`), so memory stays flat however large the corpus and however
//! many years it spans.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fs::{self, File};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{Array, BooleanArray, RecordBatch, StringArray};
use arrow::compute::filter_record_batch;
use arrow::datatypes::SchemaRef;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::parquet::part_properties;

use crate::store::records::{
    FILES, FileRow, FilesBuilder, INDICATORS, IndicatorsBuilder, PROJECTS, ProjectRow, ProjectsBuilder, Rows,
};

/// Input paths are spread over this many parts per dataset and year.
pub const BUCKETS: u32 = 8;
/// Rows buffered per part before they are handed to the Parquet writer.
const BATCH_ROWS: usize = 1024;
/// What all open parts' writers may buffer together (encoded row groups, before zstd); each
/// part gets an equal share, at most `MAX_ROW_GROUP_BYTES` and at least `MIN_ROW_GROUP_BYTES`.
/// A fixed size per part made memory grow with the number of years in the corpus.
const BUFFER_BYTES: usize = 64 << 20;
const MAX_ROW_GROUP_BYTES: usize = 8 << 20;
const MIN_ROW_GROUP_BYTES: usize = 512 << 10;

#[derive(Debug, thiserror::Error)]
pub enum SinkError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{path}: {source}")]
    Parquet { path: PathBuf, source: parquet::errors::ParquetError },
    #[error("{path}: {source}")]
    Arrow { path: PathBuf, source: arrow::error::ArrowError },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SinkError + '_ {
    move |source| SinkError::Io { path: path.to_path_buf(), source }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Dataset {
    Files,
    Projects,
    Indicators,
}

impl Dataset {
    pub const ALL: [Dataset; 3] = [Dataset::Files, Dataset::Projects, Dataset::Indicators];
    pub fn name(self) -> &'static str {
        match self {
            Dataset::Files => "files",
            Dataset::Projects => "projects",
            Dataset::Indicators => "indicators",
        }
    }
    /// Text columns with a different value on (nearly) every row: written without a
    /// dictionary (see `parquet::properties`). A table's `path` and `project_id` repeat on its
    /// indicator rows, so there they keep theirs.
    pub fn unique_columns(self) -> &'static [&'static str] {
        match self {
            Dataset::Files => &["path", "content_hash"],
            Dataset::Projects => &["project_id", "table_fingerprint", "project_name"],
            Dataset::Indicators => &[],
        }
    }
    pub fn schema(self) -> &'static SchemaRef {
        match self {
            Dataset::Files => &FILES,
            Dataset::Projects => &PROJECTS,
            Dataset::Indicators => &INDICATORS,
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PartKey {
    pub dataset: Dataset,
    pub year: Option<i32>,
    pub bucket: u32,
}

impl PartKey {
    pub fn rel_path(&self) -> PathBuf {
        let mut p = PathBuf::from(self.dataset.name());
        if let Some(y) = self.year {
            p.push(format!("year={y}"));
        }
        p.push(format!("part-{:02}.parquet", self.bucket));
        p
    }

    /// Parses `projects/year=2020/part-03.parquet` back into a key.
    pub fn from_rel_path(rel: &Path) -> Option<PartKey> {
        let parts: Vec<&str> = rel.iter().filter_map(|s| s.to_str()).collect();
        let first = *parts.first()?;
        let dataset = Dataset::ALL.into_iter().find(|d| d.name() == first)?;
        let file = parts.last()?;
        let bucket = file.strip_prefix("part-")?.strip_suffix(".parquet")?.parse().ok()?;
        let year = match parts.len() {
            2 => None,
            3 => Some(parts[1].strip_prefix("year=")?.parse().ok()?),
            _ => return None,
        };
        Some(PartKey { dataset, year, bucket })
    }
}

/// Which bucket an input path's rows live in: stable across runs and machines.
pub fn bucket_of(path: &str) -> u32 {
    let h = blake3::hash(path.as_bytes());
    u32::from_le_bytes([h.as_bytes()[0], h.as_bytes()[1], h.as_bytes()[2], h.as_bytes()[3]]) % BUCKETS
}

/// Rows of the previous snapshot that an incremental run keeps.
pub struct Carry {
    pub old_root: PathBuf,
    /// Parts of the previous snapshot.
    pub old_parts: BTreeSet<PartKey>,
    /// Buckets that hold a new, changed or deleted input: rewritten; all others are linked.
    pub dirty_buckets: BTreeSet<u32>,
    /// Paths whose old rows are dropped from rewritten parts (changed and deleted inputs).
    pub drop_paths: HashSet<String>,
}

struct Part<B: Rows> {
    builder: B,
    /// Rows that came columnar (indicators), waiting to be written as one batch.
    batches: Vec<RecordBatch>,
    batches_rows: usize,
    writer: ArrowWriter<File>,
    path: PathBuf,
    rows: u64,
    /// Rows kept from the previous snapshot's part.
    carried: u64,
}

/// Writes one snapshot's parts under `root`.
pub struct Sink {
    root: PathBuf,
    carry: Option<Carry>,
    files: BTreeMap<PartKey, Part<FilesBuilder>>,
    projects: BTreeMap<PartKey, Part<ProjectsBuilder>>,
    indicators: BTreeMap<PartKey, Part<IndicatorsBuilder>>,
    pub rows_written: u64,
}

impl Sink {
    pub fn new(root: PathBuf, carry: Option<Carry>) -> Result<Sink, SinkError> {
        fs::create_dir_all(&root).map_err(io(&root))?;
        Ok(Sink {
            root,
            carry,
            files: BTreeMap::new(),
            projects: BTreeMap::new(),
            indicators: BTreeMap::new(),
            rows_written: 0,
        })
    }

    /// The staging directory the parts are written into.
    pub fn root(&self) -> &std::path::Path {
        &self.root
    }

    pub fn push_file(&mut self, row: &FileRow) -> Result<(), SinkError> {
        let key = PartKey { dataset: Dataset::Files, year: None, bucket: bucket_of(&row.path) };
        let limit = self.row_group_bytes();
        push(&self.root, self.carry.as_ref(), &mut self.files, key, row, limit)?;
        self.rows_written += 1;
        Ok(())
    }

    pub fn push_project(&mut self, row: &ProjectRow) -> Result<(), SinkError> {
        let key = PartKey { dataset: Dataset::Projects, year: Some(row.year), bucket: bucket_of(&row.path) };
        let limit = self.row_group_bytes();
        push(&self.root, self.carry.as_ref(), &mut self.projects, key, row, limit)?;
        self.rows_written += 1;
        Ok(())
    }

    /// A file's indicator rows of one year, already columnar (built by the worker that read it).
    pub fn push_indicators(&mut self, path: &str, year: i32, rows: &RecordBatch) -> Result<(), SinkError> {
        let key = PartKey { dataset: Dataset::Indicators, year: Some(year), bucket: bucket_of(path) };
        let limit = self.row_group_bytes();
        let part = open_or_get::<IndicatorsBuilder>(&self.root, self.carry.as_ref(), &mut self.indicators, key)?;
        part.rows += rows.num_rows() as u64;
        part.batches_rows += rows.num_rows();
        part.batches.push(rows.clone());
        if part.batches_rows >= BATCH_ROWS {
            write_batches(part, limit)?;
        }
        self.rows_written += rows.num_rows() as u64;
        Ok(())
    }

    /// The row group size each open part may buffer: its share of `BUFFER_BYTES`.
    fn row_group_bytes(&self) -> usize {
        let open = self.files.len() + self.projects.len() + self.indicators.len();
        (BUFFER_BYTES / open.max(1)).clamp(MIN_ROW_GROUP_BYTES, MAX_ROW_GROUP_BYTES)
    }

    /// Closes every part, rewrites dirty old parts that got no new rows, links clean ones,
    /// on `threads` threads.
    ///
    /// Closing a part encodes and compresses the row group it still buffers, most of the
    /// sink's work at the end of a run; the parts are separate files, so they are closed side
    /// by side, the largest first so that no thread is left with a big one at the end. (On
    /// one thread this was the run's second-longest serial stretch after the stats.)
    pub fn finish(mut self, threads: usize) -> Result<Written, SinkError> {
        let mut w = Written { rows_new: self.rows_written, ..Written::default() };
        let mut jobs: Vec<(u64, Job)> = Vec::new();
        let carry = self.carry.take().map(Arc::new);
        if let Some(carry) = &carry {
            for key in &carry.old_parts {
                let open = match key.dataset {
                    Dataset::Files => self.files.contains_key(key),
                    Dataset::Projects => self.projects.contains_key(key),
                    Dataset::Indicators => self.indicators.contains_key(key),
                };
                if open {
                    continue;
                }
                if carry.dirty_buckets.contains(&key.bucket) {
                    let (root, carry, key) = (self.root.clone(), Arc::clone(carry), *key);
                    // Its size is not known before it is read: rewritten parts go first.
                    jobs.push((u64::MAX, Box::new(move || copy_kept(&root, &carry, key))));
                } else {
                    let from = carry.old_root.join(key.rel_path());
                    let to = self.root.join(key.rel_path());
                    link_or_copy(&from, &to)?;
                    w.parts_linked += 1;
                }
            }
        }
        jobs.extend(close_jobs(std::mem::take(&mut self.files)));
        jobs.extend(close_jobs(std::mem::take(&mut self.projects)));
        jobs.extend(close_jobs(std::mem::take(&mut self.indicators)));
        jobs.sort_by_key(|(rows, _)| std::cmp::Reverse(*rows));
        for done in run_jobs(jobs, threads) {
            let done = done?;
            w.parts_written += done.parts;
            w.rows_carried += done.carried;
        }
        Ok(w)
    }
}

/// What closing or rewriting one part did.
struct Closed {
    /// 1 when the part was kept, 0 when it had no rows and was removed.
    parts: usize,
    carried: u64,
}

type Job = Box<dyn FnOnce() -> Result<Closed, SinkError> + Send>;

/// Runs `jobs` on up to `threads` threads, each taking the next job in order; the results
/// come back in the jobs' order.
fn run_jobs(jobs: Vec<(u64, Job)>, threads: usize) -> Vec<Result<Closed, SinkError>> {
    let n = jobs.len();
    let queue = std::sync::Mutex::new(jobs.into_iter().enumerate().map(|(i, (_, job))| (i, job)));
    let results = std::sync::Mutex::new((0..n).map(|_| None).collect::<Vec<_>>());
    let work = || {
        loop {
            let next = queue.lock().unwrap_or_else(|e| e.into_inner()).next();
            let Some((i, job)) = next else { return };
            let done = job();
            results.lock().unwrap_or_else(|e| e.into_inner())[i] = Some(done);
        }
    };
    std::thread::scope(|s| {
        for _ in 1..threads.clamp(1, n.max(1)) {
            s.spawn(work);
        }
        work();
    });
    results.into_inner().unwrap_or_else(|e| e.into_inner()).into_iter().flatten().collect()
}

/// What [`Sink::finish`] did.
#[derive(Debug, Default, Clone, Copy)]
pub struct Written {
    /// Rows of the files read in this run.
    pub rows_new: u64,
    /// Rows kept from the previous snapshot in rewritten parts.
    pub rows_carried: u64,
    pub parts_written: usize,
    /// Unchanged parts shared with the previous snapshot by hard link.
    pub parts_linked: usize,
}

fn push<B: Rows + Default>(
    root: &Path,
    carry: Option<&Carry>,
    parts: &mut BTreeMap<PartKey, Part<B>>,
    key: PartKey,
    row: &B::Row,
    row_group_bytes: usize,
) -> Result<(), SinkError> {
    let part = open_or_get(root, carry, parts, key)?;
    part.builder.push(row);
    part.rows += 1;
    if part.builder.len() >= BATCH_ROWS {
        let batch = part.builder.finish();
        let pq = |source| SinkError::Parquet { path: part.path.clone(), source };
        part.writer.write(&batch).map_err(pq)?;
        // The writer holds its row group in memory until it is flushed; flushing by size keeps
        // memory per open part bounded however many rows the corpus has.
        if part.writer.memory_size() > row_group_bytes {
            part.writer.flush().map_err(|source| SinkError::Parquet { path: part.path.clone(), source })?;
        }
    }
    Ok(())
}

fn open_or_get<'p, B: Rows + Default>(
    root: &Path,
    carry: Option<&Carry>,
    parts: &'p mut BTreeMap<PartKey, Part<B>>,
    key: PartKey,
) -> Result<&'p mut Part<B>, SinkError> {
    Ok(match parts.entry(key) {
        std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
        std::collections::btree_map::Entry::Vacant(e) => e.insert(open_part::<B>(root, carry, key)?),
    })
}

/// Hands a part's pending batches to its writer as one, flushing the row group when the
/// part has used its share of the buffer budget.
fn write_batches<B: Rows>(part: &mut Part<B>, row_group_bytes: usize) -> Result<(), SinkError> {
    if part.batches.is_empty() {
        return Ok(());
    }
    let pq = |source| SinkError::Parquet { path: part.path.clone(), source };
    let batch = arrow::compute::concat_batches(&part.batches[0].schema(), &part.batches)
        .map_err(|source| SinkError::Arrow { path: part.path.clone(), source })?;
    part.batches.clear();
    part.batches_rows = 0;
    part.writer.write(&batch).map_err(pq)?;
    if part.writer.memory_size() > row_group_bytes {
        part.writer.flush().map_err(pq)?;
    }
    Ok(())
}

fn create_writer(root: &Path, key: PartKey) -> Result<(ArrowWriter<File>, PathBuf), SinkError> {
    let path = root.join(key.rel_path());
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(io(dir))?;
    }
    let file = File::create(&path).map_err(io(&path))?;
    let writer = ArrowWriter::try_new(
        file,
        Arc::clone(key.dataset.schema()),
        Some(part_properties(key.dataset.unique_columns())),
    )
    .map_err(|source| SinkError::Parquet { path: path.clone(), source })?;
    Ok((writer, path))
}

/// Opens a part; in an incremental run it starts with the kept rows of the old part.
fn open_part<B: Rows + Default>(root: &Path, carry: Option<&Carry>, key: PartKey) -> Result<Part<B>, SinkError> {
    let (mut writer, path) = create_writer(root, key)?;
    let mut rows = 0;
    if let Some(c) = carry
        && c.old_parts.contains(&key)
    {
        rows = stream_kept(c, key, &mut writer, &path)?;
    }
    Ok(Part { builder: B::default(), batches: Vec::new(), batches_rows: 0, writer, path, rows, carried: rows })
}

/// Rewrites a dirty old part that got no new rows with its kept rows; removed when none are.
fn copy_kept(root: &Path, carry: &Carry, key: PartKey) -> Result<Closed, SinkError> {
    let (mut writer, path) = create_writer(root, key)?;
    let rows = stream_kept(carry, key, &mut writer, &path)?;
    writer.close().map_err(|source| SinkError::Parquet { path: path.clone(), source })?;
    if rows == 0 {
        fs::remove_file(&path).map_err(io(&path))?;
    }
    Ok(Closed { parts: usize::from(rows > 0), carried: rows })
}

/// Streams the old part's rows whose path is not replaced into `writer`.
fn stream_kept(carry: &Carry, key: PartKey, writer: &mut ArrowWriter<File>, out: &Path) -> Result<u64, SinkError> {
    let old = carry.old_root.join(key.rel_path());
    let file = File::open(&old).map_err(io(&old))?;
    let pq = |source| SinkError::Parquet { path: old.clone(), source };
    let reader =
        ParquetRecordBatchReaderBuilder::try_new(file).map_err(pq)?.with_batch_size(BATCH_ROWS).build().map_err(pq)?;
    let mut rows = 0u64;
    for batch in reader {
        let batch = batch.map_err(|source| SinkError::Arrow { path: old.clone(), source })?;
        let kept = keep_mask(&batch, &carry.drop_paths);
        let batch =
            filter_record_batch(&batch, &kept).map_err(|source| SinkError::Arrow { path: old.clone(), source })?;
        if batch.num_rows() > 0 {
            rows += batch.num_rows() as u64;
            writer.write(&batch).map_err(|source| SinkError::Parquet { path: out.to_path_buf(), source })?;
        }
    }
    Ok(rows)
}

fn keep_mask(batch: &RecordBatch, drop: &HashSet<String>) -> BooleanArray {
    let paths = batch.column_by_name("path").and_then(|c| c.as_any().downcast_ref::<StringArray>());
    match paths {
        Some(p) => (0..p.len()).map(|i| Some(!drop.contains(p.value(i)))).collect(),
        None => (0..batch.num_rows()).map(|_| Some(true)).collect(),
    }
}

/// One job per part that closes it, with the part's rows as its size.
fn close_jobs<B: Rows + Send + 'static>(parts: BTreeMap<PartKey, Part<B>>) -> Vec<(u64, Job)> {
    parts.into_values().map(|part| (part.rows, Box::new(move || close(part)) as Job)).collect()
}

/// Writes a part's pending rows and closes it; a part left without rows is removed.
fn close<B: Rows>(mut part: Part<B>) -> Result<Closed, SinkError> {
    write_batches(&mut part, usize::MAX)?;
    if !part.builder.is_empty() {
        let batch = part.builder.finish();
        part.writer.write(&batch).map_err(|source| SinkError::Parquet { path: part.path.clone(), source })?;
    }
    part.writer.close().map_err(|source| SinkError::Parquet { path: part.path.clone(), source })?;
    if part.rows == 0 {
        fs::remove_file(&part.path).map_err(io(&part.path))?;
        return Ok(Closed { parts: 0, carried: part.carried });
    }
    Ok(Closed { parts: 1, carried: part.carried })
}

/// Hard links share unchanged parts between snapshots; a copy is the fallback where the
/// filesystem has no links.
pub fn link_or_copy(from: &Path, to: &Path) -> Result<(), SinkError> {
    if let Some(dir) = to.parent() {
        fs::create_dir_all(dir).map_err(io(dir))?;
    }
    if fs::hard_link(from, to).is_err() {
        fs::copy(from, to).map_err(io(from))?;
    }
    Ok(())
}

/// Every Parquet part under a snapshot directory.
pub fn list_parts(root: &Path) -> BTreeSet<PartKey> {
    let mut out = BTreeSet::new();
    for d in Dataset::ALL {
        for entry in walkdir::WalkDir::new(root.join(d.name())).into_iter().flatten() {
            if entry.file_type().is_file()
                && let Ok(rel) = entry.path().strip_prefix(root)
                && let Some(key) = PartKey::from_rel_path(rel)
            {
                out.insert(key);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn part_paths_round_trip() {
        let k = PartKey { dataset: Dataset::Projects, year: Some(2020), bucket: 3 };
        assert_eq!(k.rel_path(), PathBuf::from("projects/year=2020/part-03.parquet"));
        assert_eq!(PartKey::from_rel_path(&k.rel_path()), Some(k));
        let f = PartKey { dataset: Dataset::Files, year: None, bucket: 7 };
        assert_eq!(PartKey::from_rel_path(&f.rel_path()), Some(f));
        assert!(bucket_of("a/b.txt") < BUCKETS);
    }

    #[test]
    fn columns_written_without_a_dictionary_are_columns_of_their_dataset() {
        for d in Dataset::ALL {
            for c in d.unique_columns() {
                assert!(d.schema().field_with_name(c).is_ok(), "{} has no column {c}", d.name());
            }
        }
    }
}
