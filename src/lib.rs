//! jixiao: scraped Chinese budget performance-target disclosures (绩效目标表) → Parquet.
//!
//! Data flows one way, and the folders are its stages:
//!
//! - [`ingest`]: one file at a time — [`ingest::walk`] → [`ingest::decode`] → [`ingest::layout`]
//!   (text → grid of cells) → [`ingest::form`] (grid → tables) → [`ingest::value`] /
//!   [`ingest::score`] (how measurable each target is) → rows of [`store::records`].
//! - [`store`]: Arrow schemas, the Parquet sink, snapshots and their atomic publish.
//! - [`run`]: drives a run: plan (state, diff), execute (workers writing outcomes in walk order, in turn), publish.
//! - [`analytics`]: the figures the stats datasets and the report need, computed once.
//! - [`report`]: renders those figures as HTML and Markdown; no computing.
//! - [`config`]: the pipeline file schema: keys, types, defaults and docs in one table.

#[cfg(feature = "polars")]
pub mod analytics;
#[doc(hidden)]
pub mod bench;
pub mod config;
pub mod ingest;
#[cfg(feature = "polars")]
pub mod report;
#[cfg(feature = "polars")]
pub mod run;
pub mod store;
