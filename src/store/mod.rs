//! Stage store: Arrow schemas of the datasets, the Parquet sink, and snapshots published atomically.

#[cfg(feature = "polars")]
pub mod parquet;
pub mod records;
#[cfg(feature = "polars")]
pub mod sink;
pub mod snapshot;
