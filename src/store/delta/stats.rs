//! Stage 6, sink (Delta Lake), stats tables: the stats datasets of a Delta root, as Delta tables
//! `ROOT/stats/<name>/`, each replaced whole in one transaction when the data changed.
//!
//! A stat is a function of the committed data, so its transaction carries the `files` version
//! it was computed from (txn app id `jixiao-stats`): stats already computed from that version
//! are not committed again, and a commit interrupted between two stats tables is completed by
//! running it again. `budget_by_unit` goes last, so when it is current, every stat is.

use std::path::{Path, PathBuf};

use bytes::Bytes;
use deltalake::kernel::engine::arrow_conversion::TryIntoKernel as _;
use deltalake::kernel::transaction::{CommitBuilder, CommitProperties, TableReference};
use deltalake::kernel::{Action, Add, StructType, Transaction};
use deltalake::protocol::{DeltaOperation, SaveMode};
use object_store::ObjectStoreExt as _;
use object_store::path::Path as StorePath;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::commit::create_table;
use super::{Committed, DeltaError, Lake, Outcome};

/// The txn application id of the stats tables; its version is the `files` version read.
const STATS_APP: &str = "jixiao-stats";
/// Committed last: current means every stat is current.
const LAST: &str = "budget_by_unit";

/// The Delta table of a stats file: `stats/budget_by_unit` for `budget_by_unit.parquet`.
pub fn stats_table(stem: &str) -> String {
    format!("stats/{stem}")
}

impl Lake {
    /// Whether the stats tables were computed from version `files_version` of `files`.
    pub fn stats_current(&self, files_version: u64) -> Result<bool, DeltaError> {
        let name = stats_table(LAST);
        self.rt.block_on(async {
            let Some(table) = self.table(&name).await? else { return Ok(false) };
            let snapshot = table.snapshot().map_err(self.table_err(&name))?;
            let done = snapshot.transaction_version(table.log_store().as_ref(), STATS_APP).await;
            Ok(done.map_err(self.table_err(&name))? == Some(files_version as i64))
        })
    }
}

/// Commits every `*.parquet` of `dir` (the stats the analytics stage wrote over a mirror of
/// version `files_version`) as its stats table, replacing what it held.
pub fn commit_stats(lake: &Lake, run_id: &str, dir: &Path, files_version: u64) -> Result<Vec<Committed>, DeltaError> {
    let mut stems: Vec<(String, PathBuf)> = std::fs::read_dir(dir)
        .map_err(|source| DeltaError::Io { path: dir.display().to_string(), source })?
        .flatten()
        .filter_map(|e| {
            let p = e.path();
            let stem = p.file_name()?.to_str()?.strip_suffix(".parquet")?.to_string();
            Some((stem, p))
        })
        .collect();
    stems.sort_by_key(|(stem, _)| (stem == LAST, stem.clone()));
    let mut out = Vec::new();
    for (stem, local) in stems {
        let name = stats_table(&stem);
        let outcome = lake.rt.block_on(replace(lake, &name, run_id, &local, files_version))?;
        out.push(Committed { table: name, outcome });
    }
    Ok(out)
}

/// One transaction: remove every file of the table, add the new one.
async fn replace(
    lake: &Lake,
    name: &str,
    run_id: &str,
    local: &Path,
    files_version: u64,
) -> Result<Outcome, DeltaError> {
    let err = lake.table_err(name);
    let shown = local.display().to_string();
    let bytes = Bytes::from(std::fs::read(local).map_err(|source| DeltaError::Io { path: shown.clone(), source })?);
    let pq = |source| DeltaError::Parquet { path: shown.clone(), source };
    let reader = ParquetRecordBatchReaderBuilder::try_new(bytes.clone()).map_err(pq)?;
    let rows = reader.metadata().file_metadata().num_rows();
    let schema: StructType = reader
        .schema()
        .as_ref()
        .try_into_kernel()
        .map_err(|source| DeltaError::Arrow { path: shown.clone(), source })?;
    let table = match lake.table(name).await? {
        Some(t) => t,
        None => create_table(lake, name, &schema, false).await?,
    };
    let snapshot = table.snapshot().map_err(&err)?;
    let log_store = table.log_store();
    let done = snapshot.transaction_version(log_store.as_ref(), STATS_APP).await.map_err(&err)?;
    if done == Some(files_version as i64) {
        return Ok(Outcome::Current { files_version });
    }
    if snapshot.schema().as_ref() != &schema {
        return Err(DeltaError::SchemaChanged { table: name.to_string() });
    }
    let file = format!("{run_id}-{}.parquet", uuid::Uuid::new_v4());
    let size = bytes.len() as i64;
    let rel = format!("{name}/{file}");
    lake.store.put(&StorePath::from(rel.as_str()), bytes.into()).await.map_err(lake.store_err(&rel))?;
    let mut actions: Vec<Action> =
        snapshot.log_data().iter().map(|view| Action::Remove(view.remove_action(true))).collect();
    let removed = actions.len();
    actions.push(Action::Add(Add {
        path: file,
        size,
        modification_time: chrono::Utc::now().timestamp_millis(),
        data_change: true,
        stats: Some(serde_json::json!({ "numRecords": rows }).to_string()),
        ..Add::default()
    }));
    let props = CommitProperties::default()
        .with_application_transaction(Transaction::new(STATS_APP, files_version as i64))
        .with_metadata([
            ("jixiaoRunId".to_string(), serde_json::json!(run_id)),
            ("jixiaoFilesVersion".to_string(), serde_json::json!(files_version)),
        ]);
    let op = DeltaOperation::Write { mode: SaveMode::Overwrite, partition_by: None, predicate: None };
    let done = CommitBuilder::from(props)
        .with_actions(actions)
        .build(Some(snapshot as &dyn TableReference), log_store.clone(), op)
        .await
        .map_err(&err)?;
    Ok(Outcome::Committed { version: done.version(), added: 1, removed })
}
