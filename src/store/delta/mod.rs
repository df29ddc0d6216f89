//! Stage 6, sink (Delta Lake): the datasets as Delta tables under one root, for runs sharded
//! over many processes (Kubernetes Indexed Jobs, Slurm arrays) and read by Spark, Trino,
//! duckdb and polars.
//!
//! ```text
//! ROOT/files/        Delta table, unpartitioned: one row per input file, the runs' state
//! ROOT/projects/     Delta table partitioned by year
//! ROOT/indicators/   Delta table partitioned by year
//! ROOT/stats/<name>/ Delta tables, unpartitioned: the stats datasets, replaced whole per commit
//! ROOT/_jixiao/runs/<run_id>/shard-0003-of-0008.json   what shard 3 staged (written once)
//! ```
//! Shards never commit. Each uploads its data files (invisible to readers until a commit
//! names them) and then writes its manifest with put-if-absent: that write is the shard's one
//! point of commitment, so of two processes on one shard only one can finish. `jixiao commit`
//! (one process, after every shard) commits each table once per run with a `txn` that it checks
//! first: a repeated commit adds nothing, and removes never race with appends because only the
//! commit step removes. The schemas are those of [`crate::store::records`], plus the `year`
//! partition column.

mod commit;
mod manifest;
mod mirror;
mod stats;

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{Array, ArrayRef, Int32Array, RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use bytes::Bytes;
use deltalake::kernel::StructType;
use deltalake::kernel::engine::arrow_conversion::TryIntoKernel as _;
use deltalake::{DeltaTable, DeltaTableBuilder, DeltaTableError};
use object_store::path::Path as StorePath;
use object_store::{ObjectStore, ObjectStoreExt as _, PutMode, PutOptions};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use url::Url;

pub use commit::{Committed, Outcome, commit_run};
pub use manifest::{Manifest, StagedFile, manifest_path, run_dir};
pub use mirror::Versions;
pub use stats::{commit_stats, stats_table};

use crate::store::parquet::Codec;
use crate::store::sink::Dataset;

/// The Delta `txn` application id of a run: a table holding it has the run's rows.
pub fn app_id(run_id: &str) -> String {
    format!("jixiao-run-{run_id}")
}

#[derive(Debug, thiserror::Error)]
pub enum DeltaError {
    #[error("{uri}: {source}")]
    Table { uri: String, source: DeltaTableError },
    #[error("{uri}: {source}")]
    Store { uri: String, source: object_store::Error },
    #[error("{path}: {source}")]
    Parquet { path: String, source: parquet::errors::ParquetError },
    #[error("{path}: {source}")]
    Arrow { path: String, source: arrow::error::ArrowError },
    #[error("{path}: {source}")]
    Io { path: String, source: std::io::Error },
    #[error("{uri} is not a usable Delta root: {why}")]
    BadUri { uri: String, why: String },
    #[error("run id {0:?}: use only letters, digits, '.', '_' and '-' (it names files and the Delta txn)")]
    BadRunId(String),
    #[error(
        "shard {shard} of run {run_id} was already staged by another process ({holder}); this attempt's files are left for `jixiao vacuum`"
    )]
    ShardTaken { run_id: String, shard: String, holder: String },
    #[error(
        "run {run_id}: no manifest from shard(s) {missing} of {count}; `jixiao commit` runs once every shard has finished"
    )]
    MissingShards { run_id: String, missing: String, count: u32 },
    #[error(
        "{table}: the shards of run {run_id} read version {read}, the table is now at version {now}: another run committed in between; stage the shards again under a new run id"
    )]
    Moved { table: String, run_id: String, read: String, now: u64 },
    #[error(
        "{table}: its schema differs from the stats this version of jixiao computes; remove the table (it is derived) and commit again"
    )]
    SchemaChanged { table: String },
    #[error("{path}: not a jixiao manifest: {source}")]
    Manifest { path: String, source: serde_json::Error },
}

/// A Delta root: the three tables, the run manifests, and a runtime for delta-rs' async API.
pub struct Lake {
    uri: String,
    root: Url,
    /// Object store rooted at `root` (relative paths `projects/…`, `_jixiao/…`).
    store: Arc<dyn ObjectStore>,
    rt: tokio::runtime::Runtime,
    /// How the files the commit writes itself (stats, rewritten parts) are compressed.
    codec: Codec,
}

impl Lake {
    /// Opens a root given as `s3://bucket/prefix`, `file:///dir` or a plain directory.
    /// Credentials, region and endpoint come from the standard `AWS_*` environment variables.
    pub fn open(uri: &str) -> Result<Lake, DeltaError> {
        deltalake::aws::register_handlers(None);
        let root = root_url(uri)?;
        let rt = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .map_err(|source| DeltaError::Io { path: uri.to_string(), source })?;
        let table = DeltaTableBuilder::from_url(root.clone())
            .and_then(|b| b.build())
            .map_err(|source| DeltaError::Table { uri: uri.to_string(), source })?;
        Ok(Lake { uri: uri.to_string(), store: table.object_store(), root, rt, codec: Codec::default() })
    }

    /// The same root, writing its stats and rewritten parts with `codec`.
    pub fn with_codec(self, codec: Codec) -> Lake {
        Lake { codec, ..self }
    }

    pub fn codec(&self) -> Codec {
        self.codec
    }

    pub fn uri(&self) -> &str {
        &self.uri
    }

    fn table_url(&self, name: &str) -> Result<Url, DeltaError> {
        self.root
            .join(&format!("{name}/"))
            .map_err(|e| DeltaError::BadUri { uri: self.uri.clone(), why: e.to_string() })
    }

    fn table_err(&self, name: &str) -> impl Fn(DeltaTableError) -> DeltaError + '_ {
        let uri = format!("{}/{name}", self.uri.trim_end_matches('/'));
        move |source| DeltaError::Table { uri: uri.clone(), source }
    }

    fn store_err(&self, rel: &str) -> impl Fn(object_store::Error) -> DeltaError + '_ {
        let uri = format!("{}/{rel}", self.uri.trim_end_matches('/'));
        move |source| DeltaError::Store { uri: uri.clone(), source }
    }

    /// The table as last committed; `None` when nothing was ever committed to it.
    async fn table(&self, name: &str) -> Result<Option<DeltaTable>, DeltaError> {
        let url = self.table_url(name)?;
        // delta-rs reports a missing local directory as an invalid location, not as "no table".
        if let Ok(dir) = url.to_file_path() {
            std::fs::create_dir_all(&dir)
                .map_err(|source| DeltaError::Io { path: dir.display().to_string(), source })?;
        }
        let mut table = DeltaTableBuilder::from_url(url).and_then(|b| b.build()).map_err(self.table_err(name))?;
        match table.load().await {
            Ok(()) => Ok(Some(table)),
            Err(DeltaTableError::NotATable(_)) => Ok(None),
            Err(e) => Err(self.table_err(name)(e)),
        }
    }

    /// The committed version of a table, `None` before its first commit.
    pub fn version(&self, d: Dataset) -> Result<Option<u64>, DeltaError> {
        self.rt.block_on(async { Ok(self.table(d.name()).await?.and_then(|t| t.version())) })
    }

    /// Every row of a table at its current version, with `year` from the partition values
    /// for the partitioned ones (as readers see it).
    pub fn read(&self, d: Dataset) -> Result<(Option<u64>, Vec<RecordBatch>), DeltaError> {
        self.read_table(d.name(), Some(d))
    }

    /// Every row of a stats table (`budget_by_unit`: the table `stats/budget_by_unit`).
    pub fn read_stats(&self, stem: &str) -> Result<(Option<u64>, Vec<RecordBatch>), DeltaError> {
        self.read_table(&stats_table(stem), None)
    }

    fn read_table(&self, name: &str, d: Option<Dataset>) -> Result<(Option<u64>, Vec<RecordBatch>), DeltaError> {
        let mut out = Vec::new();
        let version = self.each_file(
            name,
            |_| true,
            |year, bytes, path| {
                for batch in read_parquet(bytes, path)? {
                    out.push(match d {
                        Some(d) => with_year(batch, d, year, path)?,
                        None => batch,
                    });
                }
                Ok(())
            },
        )?;
        Ok((version, out))
    }

    /// Fetches every data file of a table's current version whose partition year `wanted`
    /// accepts, and hands it to `visit` with that year and its path; returns the version read
    /// (`None`: never committed, nothing visited).
    fn each_file(
        &self,
        name: &str,
        wanted: impl Fn(Option<&str>) -> bool,
        mut visit: impl FnMut(Option<&str>, Bytes, &str) -> Result<(), DeltaError>,
    ) -> Result<Option<u64>, DeltaError> {
        self.rt.block_on(async {
            let Some(table) = self.table(name).await? else { return Ok(None) };
            let snapshot = table.snapshot().map_err(self.table_err(name))?;
            let store = table.object_store();
            for view in snapshot.log_data().iter() {
                let year = view.partition_values_map().get("year").cloned().flatten();
                if !wanted(year.as_deref()) {
                    continue;
                }
                let path = view.object_store_path();
                let bytes = get_bytes(&store, &path).await.map_err(self.store_err(path.as_ref()))?;
                visit(year.as_deref(), bytes, path.as_ref())?;
            }
            Ok(table.version())
        })
    }

    /// Writes an object under the root (a data file or a manifest), replacing any.
    pub fn put(&self, rel: &str, bytes: Bytes) -> Result<(), DeltaError> {
        self.rt.block_on(self.store.put(&StorePath::from(rel), bytes.into())).map_err(self.store_err(rel))?;
        Ok(())
    }

    /// Writes an object only if none exists (S3 `If-None-Match`, a no-replace link on local
    /// disks); `false` when one was already there.
    pub fn put_new(&self, rel: &str, bytes: Bytes) -> Result<bool, DeltaError> {
        let opts = PutOptions { mode: PutMode::Create, ..PutOptions::default() };
        match self.rt.block_on(self.store.put_opts(&StorePath::from(rel), bytes.into(), opts)) {
            Ok(_) => Ok(true),
            Err(object_store::Error::AlreadyExists { .. }) => Ok(false),
            Err(e) => Err(self.store_err(rel)(e)),
        }
    }

    /// Uploads a local Parquet part as a data file of its table, not yet committed: no reader
    /// sees it until `jixiao commit` names it in the table's log.
    pub fn upload(
        &self,
        d: Dataset,
        year: Option<i32>,
        local: &std::path::Path,
        name: &str,
    ) -> Result<StagedFile, DeltaError> {
        let shown = local.display().to_string();
        let data = std::fs::read(local).map_err(|source| DeltaError::Io { path: shown.clone(), source })?;
        let bytes = Bytes::from(data);
        let batches = read_parquet(bytes.clone(), &shown)?;
        let (min_path, max_path) = path_range(&batches);
        let rows = batches.iter().map(|b| b.num_rows() as i64).sum();
        let rel = match year {
            Some(y) if partitioned(d) => format!("year={y}/{name}"),
            _ => name.to_string(),
        };
        let size = bytes.len() as i64;
        self.put(&format!("{}/{rel}", d.name()), bytes)?;
        Ok(StagedFile { table: d.name().to_string(), path: rel, year, size, rows, min_path, max_path })
    }

    /// An object under the root, `None` when absent.
    pub fn get(&self, rel: &str) -> Result<Option<Bytes>, DeltaError> {
        match self.rt.block_on(get_bytes(&self.store, &StorePath::from(rel))) {
            Ok(b) => Ok(Some(b)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(self.store_err(rel)(e)),
        }
    }

    /// A shard's manifest of a run, if the shard has finished staging.
    pub fn manifest(&self, run_id: &str, index: u32, count: u32) -> Result<Option<Manifest>, DeltaError> {
        let rel = manifest_path(run_id, index, count);
        let Some(bytes) = self.get(&rel)? else { return Ok(None) };
        serde_json::from_slice(&bytes).map(Some).map_err(|source| DeltaError::Manifest { path: rel, source })
    }

    /// The stats tables under `stats/`.
    async fn stats_tables(&self) -> Result<Vec<String>, DeltaError> {
        let listed = self.store.list_with_delimiter(Some(&StorePath::from("stats"))).await;
        let listed = match listed {
            Ok(l) => l,
            Err(object_store::Error::NotFound { .. }) => return Ok(Vec::new()),
            Err(e) => return Err(self.store_err("stats")(e)),
        };
        let mut names: Vec<String> = listed.common_prefixes.iter().map(|p| p.as_ref().to_string()).collect();
        names.sort();
        Ok(names)
    }

    /// delta-rs vacuum in full mode on each table (the stats tables too): files no committed version references
    /// (tombstones, and the uploads of failed or refused attempts) older than `retention`.
    pub fn vacuum(&self, retention: chrono::Duration, dry_run: bool) -> Result<Vec<String>, DeltaError> {
        self.rt.block_on(async {
            let mut deleted = Vec::new();
            let mut names: Vec<String> = Dataset::ALL.iter().map(|d| d.name().to_string()).collect();
            names.extend(self.stats_tables().await?);
            for name in &names {
                let Some(table) = self.table(name).await? else { continue };
                let (_, metrics) = table
                    .vacuum()
                    .with_mode(deltalake::operations::vacuum::VacuumMode::Full)
                    .with_retention_period(retention)
                    // The retention is the operator's choice: shards of a run not yet
                    // committed must be older than it (docs/scale-out.md).
                    .with_enforce_retention_duration(false)
                    .with_dry_run(dry_run)
                    .await
                    .map_err(self.table_err(name))?;
                deleted.extend(metrics.files_deleted.into_iter().map(|f| format!("{name}/{f}")));
            }
            Ok(deleted)
        })
    }
}

/// The Delta schema of a dataset: its Arrow schema from `records`, plus `year` for the
/// partitioned ones (in the Parquet files it lives only in the path, as in the snapshots).
fn delta_schema(d: Dataset) -> Result<StructType, DeltaError> {
    let arrow = arrow_schema(d);
    arrow.as_ref().try_into_kernel().map_err(|source| DeltaError::Arrow { path: d.name().to_string(), source })
}

fn arrow_schema(d: Dataset) -> Arc<Schema> {
    let mut fields: Vec<Field> = d.schema().fields().iter().map(|f| f.as_ref().clone()).collect();
    if partitioned(d) {
        fields.push(Field::new("year", DataType::Int32, false));
    }
    Arc::new(Schema::new(fields))
}

fn partitioned(d: Dataset) -> bool {
    d != Dataset::Files
}

fn root_url(uri: &str) -> Result<Url, DeltaError> {
    let bad = |why: String| DeltaError::BadUri { uri: uri.to_string(), why };
    let mut url = if uri.starts_with("s3://") || uri.starts_with("s3a://") {
        Url::parse(uri).map_err(|e| bad(e.to_string()))?
    } else {
        let path = match Url::parse(uri) {
            Ok(u) if u.scheme() == "file" => u.to_file_path().map_err(|_| bad("not a local path".into()))?,
            Ok(u) if u.scheme().len() > 1 => return Err(bad(format!("scheme {}: use s3:// or file://", u.scheme()))),
            _ => std::path::PathBuf::from(uri),
        };
        std::fs::create_dir_all(&path).map_err(|e| bad(e.to_string()))?;
        let path = std::fs::canonicalize(&path).map_err(|e| bad(e.to_string()))?;
        Url::from_directory_path(&path).map_err(|_| bad("not an absolute path".into()))?
    };
    if !url.path().ends_with('/') {
        url.set_path(&format!("{}/", url.path()));
    }
    Ok(url)
}

async fn get_bytes(store: &Arc<dyn ObjectStore>, path: &StorePath) -> Result<Bytes, object_store::Error> {
    store.get(path).await?.bytes().await
}

fn read_parquet(bytes: Bytes, path: &str) -> Result<Vec<RecordBatch>, DeltaError> {
    let pq = |source| DeltaError::Parquet { path: path.to_string(), source };
    let reader = ParquetRecordBatchReaderBuilder::try_new(bytes).map_err(pq)?.build().map_err(pq)?;
    reader.collect::<Result<Vec<_>, _>>().map_err(|source| DeltaError::Arrow { path: path.to_string(), source })
}

/// Parquet bytes of `batches`, written as every other part of the dataset is.
fn write_parquet(batches: &[RecordBatch], d: Dataset, path: &str, codec: Codec) -> Result<Bytes, DeltaError> {
    let pq = |source| DeltaError::Parquet { path: path.to_string(), source };
    let mut buf = Vec::new();
    let mut w =
        ArrowWriter::try_new(&mut buf, Arc::clone(d.schema()), Some(crate::store::parquet::writer_properties(codec)))
            .map_err(pq)?;
    for b in batches {
        w.write(b).map_err(pq)?;
    }
    w.close().map_err(pq)?;
    Ok(Bytes::from(buf))
}

fn with_year(batch: RecordBatch, d: Dataset, year: Option<&str>, path: &str) -> Result<RecordBatch, DeltaError> {
    if !partitioned(d) {
        return Ok(batch);
    }
    let y: Option<i32> = year.and_then(|y| y.parse().ok());
    let col: ArrayRef = Arc::new(Int32Array::from(vec![y; batch.num_rows()]));
    let mut cols = batch.columns().to_vec();
    cols.push(col);
    RecordBatch::try_new(arrow_schema(d), cols).map_err(|source| DeltaError::Arrow { path: path.to_string(), source })
}

/// The smallest and largest `path` of some batches.
pub fn path_range(batches: &[RecordBatch]) -> (Option<String>, Option<String>) {
    let mut lo: Option<&str> = None;
    let mut hi: Option<&str> = None;
    for b in batches {
        let Some(p) = b.column_by_name("path").and_then(|c| c.as_any().downcast_ref::<StringArray>()) else {
            continue;
        };
        for i in (0..p.len()).filter(|&i| p.is_valid(i)) {
            let v = p.value(i);
            lo = Some(lo.map_or(v, |l| l.min(v)));
            hi = Some(hi.map_or(v, |h| h.max(v)));
        }
    }
    (lo.map(str::to_string), hi.map(str::to_string))
}

/// Partition values of a file of `d` in `year`.
fn partition_values(d: Dataset, year: Option<i32>) -> HashMap<String, Option<String>> {
    if partitioned(d) { HashMap::from([("year".to_string(), year.map(|y| y.to_string()))]) } else { HashMap::new() }
}

/// Checks a run id before it names files and a txn.
pub fn check_run_id(run_id: &str) -> Result<(), DeltaError> {
    let ok = !run_id.is_empty()
        && run_id.len() <= 128
        && run_id.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'));
    if ok { Ok(()) } else { Err(DeltaError::BadRunId(run_id.to_string())) }
}
