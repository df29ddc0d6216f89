//! Stage 6, sink (Delta Lake), mirror: the committed data files of the tables laid out on local
//! disk as a Parquet snapshot is (`projects/year=2020/…`), so the analytics stage computes the
//! stats and the report of a Delta root with the very code it uses for local snapshots.
//!
//! Data files are copied byte for byte (a Delta data file is a Parquet file whose partition
//! column lives only in the path, as in a snapshot): nothing is decoded or rewritten here.

use std::collections::BTreeMap;
use std::path::Path;

use super::{DeltaError, Lake, partitioned};
use crate::store::sink::Dataset;

/// The table versions a mirror holds (`None`: the table was never committed).
pub type Versions = BTreeMap<String, Option<u64>>;

impl Lake {
    /// Copies the current version of every table into `dir`. With `years`, the partitioned
    /// tables keep only those years (a report needs its year and the one before, not the
    /// whole history); `files` is always copied whole.
    pub fn mirror(&self, dir: &Path, years: Option<&[i32]>) -> Result<Versions, DeltaError> {
        let mut versions = Versions::new();
        for d in Dataset::ALL {
            let year_of = |y: Option<&str>| y.and_then(|y| y.parse::<i32>().ok());
            let wanted = |y: Option<&str>| match (partitioned(d), years) {
                (true, Some(ys)) => year_of(y).is_some_and(|y| ys.contains(&y)),
                _ => true,
            };
            let mut part = 0;
            let version = self.each_file(d.name(), wanted, |y, bytes, _| {
                let folder = match year_of(y) {
                    Some(y) if partitioned(d) => dir.join(d.name()).join(format!("year={y}")),
                    _ => dir.join(d.name()),
                };
                let local = folder.join(format!("part-{part:05}.parquet"));
                part += 1;
                let io = |source| DeltaError::Io { path: local.display().to_string(), source };
                std::fs::create_dir_all(&folder).map_err(io)?;
                std::fs::write(&local, &bytes).map_err(io)
            })?;
            versions.insert(d.name().to_string(), version);
        }
        Ok(versions)
    }
}
