//! Stage 6, sink (Delta Lake), mirror: the committed data files of the tables laid out on local
//! disk as a Parquet snapshot is (`projects/year=2020/…`), so the analytics stage computes the
//! stats and the report of a Delta root with the very code it uses for local snapshots.
//!
//! Data files are copied byte for byte (a Delta data file is a Parquet file whose partition
//! column lives only in the path, as in a snapshot): nothing is decoded or rewritten here.

use std::collections::BTreeMap;
use std::path::Path;

use super::{DeltaError, Lake, get_bytes, partitioned};
use crate::store::sink::Dataset;

/// The table versions a mirror holds (`None`: the table was never committed).
pub type Versions = BTreeMap<String, Option<u64>>;

impl Lake {
    /// Copies the current version of every table into `dir`. With `years`, the partitioned
    /// tables keep only those years (a report needs its year and the one before, not the
    /// whole history); `files` is always copied whole.
    pub fn mirror(&self, dir: &Path, years: Option<&[i32]>) -> Result<Versions, DeltaError> {
        self.rt.block_on(async {
            let mut versions = Versions::new();
            for d in Dataset::ALL {
                let Some(table) = self.table(d.name()).await? else {
                    versions.insert(d.name().to_string(), None);
                    continue;
                };
                let snapshot = table.snapshot().map_err(self.table_err(d.name()))?;
                let store = table.object_store();
                for (i, view) in snapshot.log_data().iter().enumerate() {
                    let year: Option<i32> =
                        view.partition_values_map().get("year").cloned().flatten().and_then(|y| y.parse().ok());
                    let wanted = match (partitioned(d), years, year) {
                        (true, Some(ys), Some(y)) => ys.contains(&y),
                        (true, Some(_), None) => false,
                        _ => true,
                    };
                    if !wanted {
                        continue;
                    }
                    let folder = match year {
                        Some(y) if partitioned(d) => dir.join(d.name()).join(format!("year={y}")),
                        _ => dir.join(d.name()),
                    };
                    let path = view.object_store_path();
                    let bytes = get_bytes(&store, &path).await.map_err(self.store_err(path.as_ref()))?;
                    let local = folder.join(format!("part-{i:05}.parquet"));
                    let io = |source| DeltaError::Io { path: local.display().to_string(), source };
                    std::fs::create_dir_all(&folder).map_err(io)?;
                    std::fs::write(&local, &bytes).map_err(io)?;
                }
                versions.insert(d.name().to_string(), table.version());
            }
            Ok(versions)
        })
    }
}
