//! Stage 6, sink (Delta Lake), manifests: what one shard staged for a run, written once.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// A shard's record of its attempt: the data files it uploaded and the input paths whose old
/// rows the commit must remove. Its put-if-absent write is the moment the shard is done.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct Manifest {
    pub run_id: String,
    /// `i/N`.
    pub shard: String,
    /// Who staged it: `pid 42 on host, 2026-…`; named when a second process is refused.
    pub holder: String,
    /// The version of each table the shard's state was read from (`None`: no table yet).
    pub read_versions: BTreeMap<String, Option<u64>>,
    /// Inputs changed or deleted since that state: their rows leave every table.
    pub drop_paths: Vec<String>,
    pub files: Vec<StagedFile>,
    /// The shard's run summary, as `jixiao ingest` prints it.
    pub summary: serde_json::Value,
}

/// One uploaded data file, not yet part of its table.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq)]
pub struct StagedFile {
    /// `files`, `projects` or `indicators`.
    pub table: String,
    /// Relative to the table's root: `year=2020/<run>-s0003-part-03-<uuid>.parquet`.
    pub path: String,
    pub year: Option<i32>,
    pub size: i64,
    pub rows: i64,
    /// Smallest and largest input path in the file (Delta statistics: lets the commit skip
    /// files that cannot hold a changed input, and readers skip files on `path` filters).
    pub min_path: Option<String>,
    pub max_path: Option<String>,
}

/// Where shard `index` of `count` of a run puts its manifest, relative to the Delta root.
pub fn manifest_path(run_id: &str, index: u32, count: u32) -> String {
    format!("{}/shard-{index:04}-of-{count:04}.json", run_dir(run_id))
}

pub fn run_dir(run_id: &str) -> String {
    format!("_jixiao/runs/{run_id}")
}

impl StagedFile {
    /// The Delta `stats` of the file: row count and the range of `path`.
    pub fn stats_json(&self) -> String {
        let mut stats = serde_json::json!({ "numRecords": self.rows });
        if let (Some(lo), Some(hi)) = (&self.min_path, &self.max_path) {
            stats["minValues"] = serde_json::json!({ "path": lo });
            stats["maxValues"] = serde_json::json!({ "path": hi });
            stats["nullCount"] = serde_json::json!({ "path": 0 });
        }
        stats.to_string()
    }
}
