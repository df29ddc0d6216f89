//! Stage 6, sink (Delta Lake), commit: one transaction per table and run, once every shard
//! has staged.
//!
//! Removing a changed or deleted input's rows means rewriting the data files that hold them
//! (delta-rs deletes need datafusion, which this build leaves out): each such file is removed
//! and its other rows written to a new file in the same transaction as the run's new files.
//! Only this step removes, and one process runs it, so a remove never races with an append.

use std::collections::HashSet;
use std::fmt;

use arrow::array::{Array, BooleanArray, RecordBatch, StringArray};
use arrow::compute::filter_record_batch;
use deltalake::DeltaTable;
use deltalake::kernel::transaction::{CommitBuilder, CommitProperties, TableReference};
use deltalake::kernel::{Action, Add, StructType, Transaction};
use deltalake::operations::create::CreateBuilder;
use deltalake::protocol::{DeltaOperation, SaveMode};
use object_store::ObjectStoreExt as _;
use object_store::path::Path as StorePath;

use super::{
    DeltaError, Lake, Manifest, StagedFile, app_id, check_run_id, delta_schema, get_bytes, partition_values,
    partitioned, path_range, read_parquet, write_parquet,
};
use crate::store::sink::Dataset;

/// What `jixiao commit` did to one table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Committed {
    pub table: String,
    pub outcome: Outcome,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Outcome {
    /// A new version with the run's files added and the rewritten files swapped.
    Committed { version: u64, added: usize, removed: usize },
    /// The table already holds the run's txn: nothing was committed twice.
    AlreadyCommitted { version: u64 },
    /// The run changed nothing in this table.
    NothingToCommit,
    /// Stats already computed from this version of `files`.
    Current { files_version: u64 },
}

impl fmt::Display for Committed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.outcome {
            Outcome::Committed { version, added, removed } => {
                write!(f, "{}: committed version {version} (+{added} files, -{removed} files)", self.table)
            }
            Outcome::AlreadyCommitted { version } => {
                write!(f, "{}: run already committed (table at version {version}); nothing done", self.table)
            }
            Outcome::NothingToCommit => write!(f, "{}: nothing to commit", self.table),
            Outcome::Current { files_version } => {
                write!(f, "{}: already computed from files version {files_version}; nothing done", self.table)
            }
        }
    }
}

/// Commits run `run_id` of `count` shards: every shard's manifest must be there.
pub fn commit_run(lake: &Lake, run_id: &str, count: u32) -> Result<Vec<Committed>, DeltaError> {
    check_run_id(run_id)?;
    let mut manifests = Vec::new();
    let mut missing = Vec::new();
    for i in 0..count {
        match lake.manifest(run_id, i, count)? {
            Some(m) => manifests.push(m),
            None => missing.push(i.to_string()),
        }
    }
    if !missing.is_empty() {
        return Err(DeltaError::MissingShards { run_id: run_id.to_string(), missing: missing.join(", "), count });
    }
    let drop: HashSet<&str> = manifests.iter().flat_map(|m| m.drop_paths.iter().map(String::as_str)).collect();
    // `files` last: it is the state the next run's shards read, so it never runs ahead of the
    // rows; a commit interrupted in between is completed by running it again.
    let mut out = Vec::new();
    for d in [Dataset::Projects, Dataset::Indicators, Dataset::Files] {
        let outcome = lake.rt.block_on(commit_table(lake, d, run_id, &manifests, &drop))?;
        tracing::debug!(table = d.name(), run_id, "{outcome:?}");
        out.push(Committed { table: d.name().to_string(), outcome });
    }
    Ok(out)
}

async fn commit_table(
    lake: &Lake,
    d: Dataset,
    run_id: &str,
    manifests: &[Manifest],
    drop: &HashSet<&str>,
) -> Result<Outcome, DeltaError> {
    let err = lake.table_err(d.name());
    let table = match lake.table(d.name()).await? {
        Some(t) => t,
        None => create(lake, d).await?,
    };
    let snapshot = table.snapshot().map_err(&err)?;
    let log_store = table.log_store();
    let app = app_id(run_id);
    let version = table.version().unwrap_or(0);
    if snapshot.transaction_version(log_store.as_ref(), &app).await.map_err(&err)?.is_some() {
        return Ok(Outcome::AlreadyCommitted { version });
    }
    check_read_versions(d, run_id, manifests, version)?;
    let mut actions = rewrite(&table, d, run_id, drop, lake.codec()).await?;
    let removed = actions.iter().filter(|a| matches!(a, Action::Remove(_))).count();
    let rewritten = actions.len() - removed;
    for f in manifests.iter().flat_map(|m| &m.files).filter(|f| f.table == d.name()) {
        actions.push(Action::Add(add_of(d, f)));
    }
    if actions.is_empty() {
        return Ok(Outcome::NothingToCommit);
    }
    let added = actions.len() - removed - rewritten;
    let props = CommitProperties::default().with_application_transaction(Transaction::new(&app, 1)).with_metadata([
        ("jixiaoRunId".to_string(), serde_json::json!(run_id)),
        ("jixiaoShards".to_string(), serde_json::json!(manifests.len())),
    ]);
    let op = DeltaOperation::Write {
        mode: if removed > 0 { SaveMode::Overwrite } else { SaveMode::Append },
        partition_by: partitioned(d).then(|| vec!["year".to_string()]),
        predicate: None,
    };
    // A second `jixiao commit` of the same run racing this one conflicts on the txn's app id
    // (delta-rs' conflict checker), so it fails instead of adding the rows again.
    let done = CommitBuilder::from(props)
        .with_actions(actions)
        .build(Some(snapshot as &dyn TableReference), log_store.clone(), op)
        .await
        .map_err(&err)?;
    Ok(Outcome::Committed { version: done.version(), added: added + rewritten, removed })
}

/// The table must be at the version the shards read: their drop lists were computed against it.
/// Version 0 is the empty table this commit may just have created.
fn check_read_versions(d: Dataset, run_id: &str, manifests: &[Manifest], now: u64) -> Result<(), DeltaError> {
    for m in manifests {
        let read = m.read_versions.get(d.name()).copied().flatten();
        let ok = match read {
            Some(v) => v == now,
            None => now == 0,
        };
        if !ok {
            return Err(DeltaError::Moved {
                table: d.name().to_string(),
                run_id: run_id.to_string(),
                read: read.map_or("none (no table)".to_string(), |v| v.to_string()),
                now,
            });
        }
    }
    Ok(())
}

async fn create(lake: &Lake, d: Dataset) -> Result<DeltaTable, DeltaError> {
    create_table(lake, d.name(), &delta_schema(d)?, partitioned(d)).await
}

/// Creates the table `name` under the root (a table another process created first is kept).
pub(super) async fn create_table(
    lake: &Lake,
    name: &str,
    schema: &StructType,
    by_year: bool,
) -> Result<DeltaTable, DeltaError> {
    let url = lake.table_url(name)?;
    let mut b = CreateBuilder::new()
        .with_location(url.as_str())
        .with_table_name(name.rsplit('/').next().unwrap_or(name))
        .with_columns(schema.fields().cloned())
        .with_save_mode(SaveMode::Ignore);
    if by_year {
        b = b.with_partition_columns(["year"]);
    }
    b.await.map_err(lake.table_err(name))
}

fn add_of(d: Dataset, f: &StagedFile) -> Add {
    Add {
        path: f.path.clone(),
        partition_values: partition_values(d, f.year),
        size: f.size,
        modification_time: chrono::Utc::now().timestamp_millis(),
        data_change: true,
        stats: Some(f.stats_json()),
        ..Add::default()
    }
}

/// Remove actions for the committed files holding rows of `drop`, and Add actions for their
/// other rows, written to new files.
async fn rewrite(
    table: &DeltaTable,
    d: Dataset,
    run_id: &str,
    drop: &HashSet<&str>,
    codec: crate::store::parquet::Codec,
) -> Result<Vec<Action>, DeltaError> {
    let mut actions = Vec::new();
    if drop.is_empty() {
        return Ok(actions);
    }
    let store = table.object_store();
    let err = |p: &str| {
        let p = format!("{}/{p}", d.name());
        move |source| DeltaError::Store { uri: p.clone(), source }
    };
    let snapshot = table.snapshot().map_err(|source| DeltaError::Table { uri: d.name().to_string(), source })?;
    for view in snapshot.log_data().iter() {
        if !may_hold(view.stats().as_deref(), drop) {
            continue;
        }
        let path = view.object_store_path();
        let bytes = get_bytes(&store, &path).await.map_err(err(path.as_ref()))?;
        let batches = read_parquet(bytes, path.as_ref())?;
        let (kept, removed) = without(&batches, drop, path.as_ref())?;
        if removed == 0 {
            continue;
        }
        actions.push(Action::Remove(view.remove_action(true)));
        let rows: usize = kept.iter().map(RecordBatch::num_rows).sum();
        if rows == 0 {
            continue;
        }
        let year = view.partition_values_map().get("year").cloned().flatten().and_then(|y| y.parse().ok());
        let name = format!("{run_id}-rewrite-{}.parquet", uuid::Uuid::new_v4());
        let rel = match year {
            Some(y) => format!("year={y}/{name}"),
            None => name,
        };
        let data = write_parquet(&kept, d, &rel, codec)?;
        let (min_path, max_path) = path_range(&kept);
        let f = StagedFile {
            table: d.name().to_string(),
            path: rel.clone(),
            year,
            size: data.len() as i64,
            rows: rows as i64,
            min_path,
            max_path,
        };
        store.put(&StorePath::from(rel.as_str()), data.into()).await.map_err(err(&rel))?;
        actions.push(Action::Add(add_of(d, &f)));
    }
    Ok(actions)
}

/// Whether a file's `path` statistics leave room for one of `drop` (no statistics: it may).
fn may_hold(stats: Option<&str>, drop: &HashSet<&str>) -> bool {
    let Some(v) = stats.and_then(|s| serde_json::from_str::<serde_json::Value>(s).ok()) else { return true };
    let (Some(lo), Some(hi)) = (v["minValues"]["path"].as_str(), v["maxValues"]["path"].as_str()) else {
        return true;
    };
    drop.iter().any(|p| lo <= *p && *p <= hi)
}

/// The batches without the rows of `drop`, and how many rows left.
fn without(batches: &[RecordBatch], drop: &HashSet<&str>, path: &str) -> Result<(Vec<RecordBatch>, usize), DeltaError> {
    let mut kept = Vec::new();
    let mut removed = 0;
    for b in batches {
        let Some(p) = b.column_by_name("path").and_then(|c| c.as_any().downcast_ref::<StringArray>()) else {
            kept.push(b.clone());
            continue;
        };
        let mask: BooleanArray = (0..p.len()).map(|i| Some(p.is_null(i) || !drop.contains(p.value(i)))).collect();
        let f = filter_record_batch(b, &mask).map_err(|source| DeltaError::Arrow { path: path.to_string(), source })?;
        removed += b.num_rows() - f.num_rows();
        if f.num_rows() > 0 {
            kept.push(f);
        }
    }
    Ok((kept, removed))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn files_whose_path_range_misses_every_dropped_input_are_not_read() {
        let drop: HashSet<&str> = ["b/2.txt"].into_iter().collect();
        let stats = |lo: &str, hi: &str| {
            format!(r#"{{"numRecords":3,"minValues":{{"path":"{lo}"}},"maxValues":{{"path":"{hi}"}}}}"#)
        };
        assert!(may_hold(Some(&stats("a/1.txt", "c/9.txt")), &drop));
        assert!(!may_hold(Some(&stats("c/1.txt", "d/9.txt")), &drop));
        assert!(may_hold(Some(r#"{"numRecords":3}"#), &drop));
        assert!(may_hold(None, &drop));
    }
}
