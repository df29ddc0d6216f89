//! Run stage, plan: what the previous snapshot knew, what the walk found, and what must be read.

use std::collections::{HashMap, HashSet};
use std::fs::File;
use std::path::{Path, PathBuf};

use arrow::array::{Array, Int32Array, Int64Array, StringArray};
use parquet::arrow::ProjectionMask;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use super::{InputSpec, RunError};
use crate::config::Shard;
use crate::ingest::walk::{self, Entry};
use crate::store::sink::{self, Carry, Dataset};

/// State of one input file as the current snapshot recorded it.
#[derive(Debug, Clone)]
pub(super) struct Known {
    pub size: u64,
    pub mtime_ns: i64,
    pub hash: Option<String>,
    pub status: String,
    pub tables: i64,
    pub error: Option<String>,
}

/// The walk compared with the previous snapshot.
pub(super) struct Plan {
    pub known: HashMap<String, Known>,
    pub entries: Vec<Entry>,
    /// Indexes into `entries` of the files to read (new, changed, or unreadable).
    pub todo: Vec<usize>,
    /// Indexes into `entries` whose size and mtime match the snapshot: not read again.
    pub same: Vec<usize>,
    pub deleted: Vec<String>,
}

impl Plan {
    pub fn make(inputs: &[InputSpec], old_root: Option<&Path>, shard: Shard, threads: usize) -> Result<Plan, RunError> {
        let known = match old_root {
            Some(root) => load_state(root)?,
            None => HashMap::new(),
        };
        Ok(Plan::with_known(inputs, known, shard, threads))
    }

    /// The walk of this shard's slice compared with `known`. Files of other shards are neither
    /// read nor counted as deleted: a shard's state is its own slice of `files`.
    pub fn with_known(inputs: &[InputSpec], mut known: HashMap<String, Known>, shard: Shard, threads: usize) -> Plan {
        known.retain(|rel, _| shard.contains(rel));
        let prefixes = root_prefixes(inputs);
        let roots: Vec<walk::Root<'_>> = inputs
            .iter()
            .zip(prefixes)
            .map(|(i, prefix)| walk::Root { dir: i.root.clone(), prefix, filter: i.filter.as_deref() })
            .collect();
        let mut entries = walk::list(&roots, threads);
        entries.retain(|e| shard.contains(&e.rel));
        let seen: HashSet<&str> = entries.iter().map(|e| e.rel.as_str()).collect();
        let mut deleted: Vec<String> = known.keys().filter(|p| !seen.contains(p.as_str())).cloned().collect();
        deleted.sort();
        let (todo, same): (Vec<usize>, Vec<usize>) = (0..entries.len()).partition(|&i| {
            let e = &entries[i];
            e.error.is_some() || known.get(&e.rel).is_none_or(|k| k.size != e.size || k.mtime_ns != e.mtime_ns)
        });
        Plan { known, entries, todo, same, deleted }
    }

    pub fn todo(&self) -> impl Iterator<Item = &Entry> {
        self.todo.iter().map(|&i| &self.entries[i])
    }

    pub fn same(&self) -> impl Iterator<Item = &Entry> {
        self.same.iter().map(|&i| &self.entries[i])
    }

    pub fn nothing_changed(&self) -> bool {
        self.todo.is_empty() && self.deleted.is_empty()
    }

    pub fn new_files(&self) -> u64 {
        self.todo().filter(|e| !self.known.contains_key(&e.rel)).count() as u64
    }

    /// What the sink keeps from the previous snapshot: every part whose bucket saw no change.
    pub fn carry(&self, old_root: &Path) -> Carry {
        let dirty = || self.todo().map(|e| e.rel.as_str()).chain(self.deleted.iter().map(String::as_str));
        Carry {
            old_root: old_root.to_path_buf(),
            old_parts: sink::list_parts(old_root),
            dirty_buckets: dirty().map(sink::bucket_of).collect(),
            drop_paths: dirty().map(str::to_string).collect(),
        }
    }
}

/// Names put in front of relative paths when a run has several roots, so the roots' files
/// never share a path. Each root gets the shortest tail of its own path that no other root
/// shares (`a/data` and `b/data` become `a/data` and `b/data`, not `data` twice); roots
/// that are the same directory get their position appended.
pub(super) fn root_prefixes(inputs: &[InputSpec]) -> Vec<Option<String>> {
    if inputs.len() < 2 {
        return vec![None; inputs.len()];
    }
    let parts: Vec<Vec<String>> = inputs.iter().map(|i| path_parts(&i.root)).collect();
    let longest = parts.iter().map(Vec::len).max().unwrap_or(0).max(1);
    let tail = |p: &[String], k: usize| p[p.len().saturating_sub(k)..].join("/");
    let k = (1..=longest)
        .find(|&k| {
            let tails: HashSet<String> = parts.iter().map(|p| tail(p, k)).collect();
            tails.len() == parts.len()
        })
        .unwrap_or(longest);
    let mut taken = HashSet::new();
    parts
        .iter()
        .enumerate()
        .map(|(n, p)| {
            let mut name = tail(p, k);
            if name.is_empty() {
                name = "root".to_string();
            }
            if !taken.insert(name.clone()) {
                name = format!("{name}~{}", n + 1);
                taken.insert(name.clone());
            }
            Some(name)
        })
        .collect()
}

fn path_parts(p: &Path) -> Vec<String> {
    let abs: PathBuf = std::path::absolute(p).unwrap_or_else(|_| p.to_path_buf());
    abs.components()
        .filter_map(|c| match c {
            std::path::Component::Normal(s) => Some(s.to_string_lossy().into_owned()),
            _ => None,
        })
        .collect()
}

fn io_err(path: &Path) -> impl Fn(std::io::Error) -> RunError + '_ {
    move |source| RunError::Io { path: path.to_path_buf(), source }
}

fn other(path: &Path) -> impl Fn(parquet::errors::ParquetError) -> RunError + '_ {
    move |e| RunError::Io { path: path.to_path_buf(), source: std::io::Error::other(e) }
}

/// Reads the per-file state (size, mtime, hash) from the snapshot's `files` dataset.
/// The columns of `files` that [`read_known`] reads.
const STATE_COLUMNS: [&str; 7] = ["path", "size_bytes", "mtime_ns", "content_hash", "status", "tables", "error"];

fn load_state(root: &Path) -> Result<HashMap<String, Known>, RunError> {
    let mut out = HashMap::new();
    for key in sink::list_parts(root).into_iter().filter(|k| k.dataset == Dataset::Files) {
        let path = root.join(key.rel_path());
        let file = File::open(&path).map_err(io_err(&path))?;
        // Only the columns the state is made of: the rest of `files` is never decoded.
        let reader = ParquetRecordBatchReaderBuilder::try_new(file)
            .and_then(|b| {
                let mask = ProjectionMask::columns(b.parquet_schema(), STATE_COLUMNS);
                b.with_projection(mask).build()
            })
            .map_err(other(&path))?;
        for batch in reader {
            let batch = batch.map_err(|e| RunError::Io { path: path.clone(), source: std::io::Error::other(e) })?;
            read_known(&batch, &mut out);
        }
    }
    Ok(out)
}

pub(super) fn read_known(batch: &arrow::array::RecordBatch, out: &mut HashMap<String, Known>) {
    fn col<'a, T: 'static>(b: &'a arrow::array::RecordBatch, name: &str) -> Option<&'a T> {
        b.column_by_name(name)?.as_any().downcast_ref::<T>()
    }
    let (Some(p), Some(s), Some(m), Some(h), Some(st), Some(tb), Some(er)) = (
        col::<StringArray>(batch, "path"),
        col::<Int64Array>(batch, "size_bytes"),
        col::<Int64Array>(batch, "mtime_ns"),
        col::<StringArray>(batch, "content_hash"),
        col::<StringArray>(batch, "status"),
        col::<Int32Array>(batch, "tables"),
        col::<StringArray>(batch, "error"),
    ) else {
        // A snapshot of another schema: nothing is known, every file is read again.
        return;
    };
    for i in 0..batch.num_rows() {
        out.insert(
            p.value(i).to_string(),
            Known {
                // Sizes are stored as Int64 (see store::records); the walk reports u64.
                size: u64::try_from(s.value(i)).unwrap_or(0),
                mtime_ns: m.value(i),
                hash: (!h.is_null(i)).then(|| h.value(i).to_string()),
                status: st.value(i).to_string(),
                tables: i64::from(tb.value(i)),
                error: (!er.is_null(i)).then(|| er.value(i).to_string()),
            },
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn spec(p: &str) -> InputSpec {
        InputSpec { root: PathBuf::from(p), filter: None }
    }

    #[test]
    fn roots_with_the_same_last_name_get_distinct_prefixes() {
        let got = root_prefixes(&[spec("/x/a/data"), spec("/x/b/data")]);
        assert_eq!(got, vec![Some("a/data".to_string()), Some("b/data".to_string())]);
        let got = root_prefixes(&[spec("/x/a"), spec("/x/b")]);
        assert_eq!(got, vec![Some("a".to_string()), Some("b".to_string())]);
        let got = root_prefixes(&[spec("/x/a"), spec("/x/a")]);
        assert_eq!(got, vec![Some("x/a".to_string()), Some("x/a~2".to_string())]);
        assert_eq!(root_prefixes(&[spec("/x/a")]), vec![None]);
    }
}
