//! Stage 6, sink: writes record batches as partitioned Parquet parts into a staging snapshot.
//!
//! Parts are keyed by dataset, year and a bucket of the input path (`part-03.parquet`), so an
//! incremental run rewrites only the buckets its changed inputs fall in; every other part of
//! the previous snapshot is hard-linked, not copied.
//!
//! While files are read, a part's rows are only staged, as Arrow record batches of
//! `BATCH_ROWS` rows; [`Sink::finish`] encodes each part's Parquet once, on `--jobs` threads,
//! in row groups of up to `ROW_GROUP_ROWS` rows. The open parts share one budget for the
//! batches they hold (`BUFFER_BYTES`); past it, the part holding most appends its batches to
//! a spill file of its own (Arrow IPC, in `.spill/` of the staging directory), read back when
//! it is encoded. A small corpus is never spilled; a large one mostly is.
//!
//! Encoding while reading, each of the ~100 open parts (dataset × year × bucket) buffered a row
//! group, and the shared budget cut the parts into row groups of ~1,700 rows (5,000 files; ~35
//! row groups a part at 50,000): a zstd context, a dictionary and a page per column per row
//! group, written and later read back. Memory stays flat however large the corpus and however
//! many years it spans: the parts hold `BUFFER_BYTES` and `BATCH_ROWS` rows each at most, and
//! an encoding thread one row group of at most `ROW_GROUP_BYTES`.

use std::collections::{BTreeMap, BTreeSet, HashSet};
use std::fs::{self, File};
use std::io::BufWriter;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow::array::{Array, BooleanArray, RecordBatch, StringArray};
use arrow::compute::filter_record_batch;
use arrow::datatypes::SchemaRef;
use arrow::ipc::reader::StreamReader;
use arrow::ipc::writer::StreamWriter;
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::parquet::{Codec, part_properties};

use crate::store::records::{
    FILES, FileRow, FilesBuilder, INDICATORS, IndicatorsBuilder, PROJECTS, ProjectRow, ProjectsBuilder, Rows,
};

/// Input paths are spread over this many parts per dataset and year.
pub const BUCKETS: u32 = 8;
/// Rows buffered per part before they are staged as one record batch.
const BATCH_ROWS: usize = 1024;
/// What the open parts' staged batches may hold in memory together before the largest is
/// spilled. Staged batches are resident to the byte, where the writers' estimate of their 64 MB
/// counted capacity: at 64 MB here the parse peak on 5,000 files was 148 MB (111 MB at 32 MB;
/// 103 MB before); a small corpus is still never spilled.
const BUFFER_BYTES: usize = 32 << 20;
/// What an encoding part's writer may buffer (its row group, encoded, before zstd) before the
/// row group is written out short of `ROW_GROUP_ROWS` rows: long project rows (goals,
/// opinions) would otherwise hold hundreds of MB per thread at `ROW_GROUP_ROWS`.
const ROW_GROUP_BYTES: usize = 64 << 20;
/// Where the parts' rows are staged while files are read; removed by [`Sink::finish`].
const SPILL_DIR: &str = ".spill";

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
    /// Long texts as published, searched for words and never filtered by range: written
    /// without statistics (see `parquet::properties`). Labels, codes, ids, paths, numbers and
    /// amounts keep theirs.
    pub fn free_text_columns(self) -> &'static [&'static str] {
        match self {
            Dataset::Files => &["error"],
            Dataset::Projects => &["title", "project_name", "midterm_goal", "annual_goal", "approval_opinion"],
            Dataset::Indicators => &["level3", "value"],
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
    /// Rows that came columnar (indicators), waiting to be staged as one batch.
    batches: Vec<RecordBatch>,
    batches_rows: usize,
    staged: Staged,
    /// This run's rows.
    rows: u64,
}

/// A part's staged batches, in order: those in its spill file, then those held in memory.
struct Staged {
    key: PartKey,
    spill: Option<StreamWriter<BufWriter<File>>>,
    held: Vec<RecordBatch>,
    held_bytes: usize,
}

impl Staged {
    fn spill_path(&self, root: &Path) -> PathBuf {
        root.join(SPILL_DIR).join(self.key.rel_path().with_extension("arrow"))
    }

    /// Keeps a batch in memory; returns the bytes it holds.
    fn hold(&mut self, batch: RecordBatch) -> usize {
        let bytes = batch.get_array_memory_size();
        self.held.push(batch);
        self.held_bytes += bytes;
        bytes
    }

    /// Appends the held batches to the spill file (created on first use); returns the bytes freed.
    fn spill(&mut self, root: &Path) -> Result<usize, SinkError> {
        let path = self.spill_path(root);
        let arrow = |source| SinkError::Arrow { path: path.clone(), source };
        let spill = match &mut self.spill {
            Some(s) => s,
            None => {
                if let Some(dir) = path.parent() {
                    fs::create_dir_all(dir).map_err(io(dir))?;
                }
                let file = File::create(&path).map_err(io(&path))?;
                // Uncompressed: LZ4 made a spill 3.4x smaller (50,000 files: 752 -> 220 MB)
                // for ~6 instructions a byte each way (5,000 files: +545 M, 2.4 % of the run).
                self.spill.insert(StreamWriter::try_new_buffered(file, self.key.dataset.schema()).map_err(arrow)?)
            }
        };
        for b in self.held.drain(..) {
            spill.write(&b).map_err(arrow)?;
        }
        Ok(std::mem::take(&mut self.held_bytes))
    }
}

/// Writes one snapshot's parts under `root`.
pub struct Sink {
    root: PathBuf,
    carry: Option<Carry>,
    files: BTreeMap<PartKey, Part<FilesBuilder>>,
    projects: BTreeMap<PartKey, Part<ProjectsBuilder>>,
    indicators: BTreeMap<PartKey, Part<IndicatorsBuilder>>,
    /// Bytes of the batches the parts hold in memory, and how many they may hold.
    held: usize,
    budget: usize,
    /// How the parts are compressed.
    codec: Codec,
    pub rows_written: u64,
}

impl Sink {
    pub fn new(root: PathBuf, carry: Option<Carry>, codec: Codec) -> Result<Sink, SinkError> {
        Sink::with_budget(root, carry, codec, BUFFER_BYTES)
    }

    /// A sink whose parts hold `budget` bytes of batches before they spill.
    fn with_budget(root: PathBuf, carry: Option<Carry>, codec: Codec, budget: usize) -> Result<Sink, SinkError> {
        fs::create_dir_all(&root).map_err(io(&root))?;
        Ok(Sink {
            root,
            carry,
            files: BTreeMap::new(),
            projects: BTreeMap::new(),
            indicators: BTreeMap::new(),
            held: 0,
            budget,
            codec,
            rows_written: 0,
        })
    }

    /// The staging directory the parts are written into.
    pub fn root(&self) -> &std::path::Path {
        &self.root
    }

    pub fn push_file(&mut self, row: &FileRow) -> Result<(), SinkError> {
        let key = PartKey { dataset: Dataset::Files, year: None, bucket: bucket_of(&row.path) };
        self.held += push(&mut self.files, key, row);
        self.rows_written += 1;
        self.spill_over_budget()
    }

    pub fn push_project(&mut self, row: &ProjectRow) -> Result<(), SinkError> {
        let key = PartKey { dataset: Dataset::Projects, year: Some(row.year), bucket: bucket_of(&row.path) };
        self.held += push(&mut self.projects, key, row);
        self.rows_written += 1;
        self.spill_over_budget()
    }

    /// A file's indicator rows of one year, already columnar (built by the worker that read it).
    pub fn push_indicators(&mut self, path: &str, year: i32, rows: &RecordBatch) -> Result<(), SinkError> {
        let key = PartKey { dataset: Dataset::Indicators, year: Some(year), bucket: bucket_of(path) };
        let part = open_or_get::<IndicatorsBuilder>(&mut self.indicators, key);
        part.rows += rows.num_rows() as u64;
        part.batches_rows += rows.num_rows();
        part.batches.push(rows.clone());
        if part.batches_rows >= BATCH_ROWS {
            let path = part.staged.spill_path(&self.root);
            let batch = arrow::compute::concat_batches(&part.batches[0].schema(), &part.batches)
                .map_err(|source| SinkError::Arrow { path, source })?;
            part.batches.clear();
            part.batches_rows = 0;
            self.held += part.staged.hold(batch);
        }
        self.rows_written += rows.num_rows() as u64;
        self.spill_over_budget()
    }

    /// Spills the parts holding most until the held batches are within the budget.
    fn spill_over_budget(&mut self) -> Result<(), SinkError> {
        while self.held > self.budget {
            let largest = (self.files.values_mut().map(|p| &mut p.staged))
                .chain(self.projects.values_mut().map(|p| &mut p.staged))
                .chain(self.indicators.values_mut().map(|p| &mut p.staged))
                .max_by_key(|s| s.held_bytes);
            match largest {
                Some(s) if s.held_bytes > 0 => self.held -= s.spill(&self.root)?,
                _ => return Ok(()),
            }
        }
        Ok(())
    }

    /// Encodes every part, rewrites dirty old parts that got no new rows, links clean ones,
    /// on `threads` threads.
    ///
    /// Encoding a part (its kept old rows, then its staged rows, into Parquet) is all of the
    /// sink's Parquet work; the parts are separate files, so they are encoded side by side,
    /// the largest first so that no thread is left with a big one at the end.
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
                    let (root, carry, key, codec) = (self.root.clone(), Arc::clone(carry), *key, self.codec);
                    // Its size is not known before it is read: rewritten parts go first.
                    jobs.push((u64::MAX, Box::new(move || copy_kept(&root, &carry, key, codec))));
                } else {
                    let from = carry.old_root.join(key.rel_path());
                    let to = self.root.join(key.rel_path());
                    link_or_copy(&from, &to)?;
                    w.parts_linked += 1;
                }
            }
        }
        jobs.extend(encode_jobs(&self.root, carry.as_ref(), self.codec, std::mem::take(&mut self.files)));
        jobs.extend(encode_jobs(&self.root, carry.as_ref(), self.codec, std::mem::take(&mut self.projects)));
        jobs.extend(encode_jobs(&self.root, carry.as_ref(), self.codec, std::mem::take(&mut self.indicators)));
        jobs.sort_by_key(|(rows, _)| std::cmp::Reverse(*rows));
        for done in run_jobs(jobs, threads) {
            let done = done?;
            w.parts_written += done.parts;
            w.rows_carried += done.carried;
        }
        let spill = self.root.join(SPILL_DIR);
        if spill.exists() {
            fs::remove_dir_all(&spill).map_err(io(&spill))?;
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

/// Adds a row to its part; returns the bytes of a batch the part now holds, if it made one.
fn push<B: Rows + Default>(parts: &mut BTreeMap<PartKey, Part<B>>, key: PartKey, row: &B::Row) -> usize {
    let part = open_or_get(parts, key);
    part.builder.push(row);
    part.rows += 1;
    if part.builder.len() >= BATCH_ROWS {
        let batch = part.builder.finish();
        return part.staged.hold(batch);
    }
    0
}

fn open_or_get<B: Rows + Default>(parts: &mut BTreeMap<PartKey, Part<B>>, key: PartKey) -> &mut Part<B> {
    parts.entry(key).or_insert_with(|| Part {
        builder: B::default(),
        batches: Vec::new(),
        batches_rows: 0,
        staged: Staged { key, spill: None, held: Vec::new(), held_bytes: 0 },
        rows: 0,
    })
}

fn create_writer(root: &Path, key: PartKey, codec: Codec) -> Result<(ArrowWriter<File>, PathBuf), SinkError> {
    let path = root.join(key.rel_path());
    if let Some(dir) = path.parent() {
        fs::create_dir_all(dir).map_err(io(dir))?;
    }
    let file = File::create(&path).map_err(io(&path))?;
    let writer = ArrowWriter::try_new(
        file,
        Arc::clone(key.dataset.schema()),
        Some(part_properties(codec, key.dataset.unique_columns(), key.dataset.free_text_columns())),
    )
    .map_err(|source| SinkError::Parquet { path: path.clone(), source })?;
    Ok((writer, path))
}

/// Rewrites a dirty old part that got no new rows with its kept rows; removed when none are.
fn copy_kept(root: &Path, carry: &Carry, key: PartKey, codec: Codec) -> Result<Closed, SinkError> {
    let (mut writer, path) = create_writer(root, key, codec)?;
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
            write_capped(writer, &batch, out)?;
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

/// Writes a batch into the part's row group, which is written out when it holds
/// `ROW_GROUP_BYTES` (the writer itself cuts it at `ROW_GROUP_ROWS` rows).
fn write_capped(writer: &mut ArrowWriter<File>, batch: &RecordBatch, out: &Path) -> Result<(), SinkError> {
    let pq = |source| SinkError::Parquet { path: out.to_path_buf(), source };
    writer.write(batch).map_err(pq)?;
    if writer.memory_size() > ROW_GROUP_BYTES {
        writer.flush().map_err(pq)?;
    }
    Ok(())
}

/// One job per part that encodes it, with the part's rows as its size.
fn encode_jobs<B: Rows + Send + 'static>(
    root: &Path,
    carry: Option<&Arc<Carry>>,
    codec: Codec,
    parts: BTreeMap<PartKey, Part<B>>,
) -> Vec<(u64, Job)> {
    parts
        .into_values()
        .map(|part| {
            let (root, carry) = (root.to_path_buf(), carry.map(Arc::clone));
            (part.rows, Box::new(move || encode(part, &root, carry.as_deref(), codec)) as Job)
        })
        .collect()
}

/// Writes a part's Parquet: the old part's kept rows (in an incremental run), then this run's
/// rows: spilled, held, and not yet staged. A part left without rows is not kept.
fn encode<B: Rows>(mut part: Part<B>, root: &Path, carry: Option<&Carry>, codec: Codec) -> Result<Closed, SinkError> {
    let key = part.staged.key;
    let (mut writer, path) = create_writer(root, key, codec)?;
    let mut carried = 0;
    if let Some(c) = carry
        && c.old_parts.contains(&key)
    {
        carried = stream_kept(c, key, &mut writer, &path)?;
    }
    if let Some(spill) = part.staged.spill.take() {
        let spill_path = part.staged.spill_path(root);
        let spilled = |source| SinkError::Arrow { path: spill_path.clone(), source };
        // Finished and flushed: the stream's end marker is written and the file closed.
        spill.into_inner().map_err(spilled)?.into_inner().map_err(|e| io(&spill_path)(e.into_error()))?;
        let file = File::open(&spill_path).map_err(io(&spill_path))?;
        for batch in StreamReader::try_new_buffered(file, None).map_err(spilled)? {
            write_capped(&mut writer, &batch.map_err(spilled)?, &path)?;
        }
        fs::remove_file(&spill_path).map_err(io(&spill_path))?;
    }
    for batch in std::mem::take(&mut part.staged.held) {
        write_capped(&mut writer, &batch, &path)?;
    }
    // The last few files' batches as one: the writer's cost per batch is per column.
    if let Some(first) = part.batches.first() {
        let batch = arrow::compute::concat_batches(&first.schema(), &part.batches)
            .map_err(|source| SinkError::Arrow { path: path.clone(), source })?;
        write_capped(&mut writer, &batch, &path)?;
    }
    if !part.builder.is_empty() {
        write_capped(&mut writer, &part.builder.finish(), &path)?;
    }
    writer.close().map_err(|source| SinkError::Parquet { path: path.clone(), source })?;
    if part.rows + carried == 0 {
        fs::remove_file(&path).map_err(io(&path))?;
        return Ok(Closed { parts: 0, carried });
    }
    Ok(Closed { parts: 1, carried })
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

    fn file_row(i: usize) -> FileRow {
        FileRow {
            path: format!("地区{}/表{i:05}.html", i % 7),
            size_bytes: i as i64,
            mtime_ns: 0,
            content_hash: Some(format!("{i:064x}")),
            encoding: Some("utf-8".into()),
            had_bom: Some(false),
            decode_errors: 0,
            layout: Some("html".into()),
            tables: 1,
            status: crate::store::records::Status::Ok,
            error: None,
        }
    }

    /// Every part's rows, in file order, and its row groups.
    fn read_parts(root: &Path) -> BTreeMap<PartKey, (Vec<String>, usize)> {
        let mut out = BTreeMap::new();
        for key in list_parts(root) {
            let file = File::open(root.join(key.rel_path())).unwrap();
            let builder = ParquetRecordBatchReaderBuilder::try_new(file).unwrap();
            let groups = builder.metadata().num_row_groups();
            let mut paths = Vec::new();
            for b in builder.build().unwrap() {
                let b = b.unwrap();
                let col = b.column_by_name("path").unwrap().as_any().downcast_ref::<StringArray>().unwrap();
                paths.extend(col.iter().map(|p| p.unwrap().to_string()));
            }
            out.insert(key, (paths, groups));
        }
        out
    }

    #[test]
    fn parts_past_the_memory_budget_are_spilled_and_still_written_in_one_row_group_in_order() {
        // Regression: the open parts' Parquet writers shared one memory budget, so on 5,000
        // files each part was cut into row groups of ~1,700 rows (~35 per part at 50,000).
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("snap");
        let mut sink = Sink::with_budget(root.clone(), None, Codec::default(), 64 << 10).unwrap();
        let n = 20 * BATCH_ROWS + 17;
        for i in 0..n {
            sink.push_file(&file_row(i)).unwrap();
            assert!(sink.held <= sink.budget, "{} bytes held", sink.held);
        }
        assert!(root.join(SPILL_DIR).is_dir(), "nothing was spilled");
        let w = sink.finish(2).unwrap();
        assert_eq!((w.rows_new, w.parts_written), (n as u64, BUCKETS as usize));
        assert!(!root.join(SPILL_DIR).exists(), "the spill files were left in the snapshot");
        let parts = read_parts(&root);
        let mut all = 0;
        for (key, (paths, groups)) in &parts {
            let expected: Vec<String> =
                (0..n).map(|i| file_row(i).path).filter(|p| bucket_of(p) == key.bucket).collect();
            assert_eq!(paths, &expected, "{key:?}");
            assert_eq!(*groups, 1, "{key:?}");
            all += paths.len();
        }
        assert_eq!(all, n);
    }

    #[test]
    fn parts_within_the_memory_budget_are_never_spilled() {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("snap");
        let mut sink = Sink::new(root.clone(), None, Codec::default()).unwrap();
        for i in 0..4 * BATCH_ROWS {
            sink.push_file(&file_row(i)).unwrap();
        }
        assert!(!root.join(SPILL_DIR).exists());
        sink.finish(1).unwrap();
        assert_eq!(read_parts(&root).values().map(|(p, _)| p.len()).sum::<usize>(), 4 * BATCH_ROWS);
    }

    #[test]
    fn columns_written_without_a_dictionary_or_statistics_are_columns_of_their_dataset() {
        for d in Dataset::ALL {
            for c in d.unique_columns().iter().chain(d.free_text_columns()) {
                assert!(d.schema().field_with_name(c).is_ok(), "{} has no column {c}", d.name());
            }
        }
    }
}
