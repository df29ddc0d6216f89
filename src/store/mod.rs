//! Stage store: Arrow schemas of the datasets, the Parquet sink, and snapshots published atomically.

pub mod parquet;
pub mod records;
pub mod sink;
pub mod snapshot;
