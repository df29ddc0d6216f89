//! Stage store: Arrow schemas of the datasets, the Parquet sink, snapshots published atomically,
//! and the Delta Lake tables of sharded runs.

#[cfg(feature = "delta")]
pub mod delta;
#[cfg(feature = "polars")]
pub mod parquet;
pub mod records;
#[cfg(feature = "polars")]
pub mod sink;
pub mod snapshot;
