//! Stage 7, analytics: the figures the stats datasets (`stats/`) and the yearly report need,
//! computed once with polars over a written snapshot.
//!
//! Money stays decimal(18,2) from the Parquet files through polars' decimal sums to the stats
//! files and the report, so a sum in a report equals the sum of the rows to the fen.
//!
//! - `measures`: the quantities both consumers share (budget by unit, totals by year, value
//!   kinds by category, flag counts), one function each.
//! - `stats`: writes `stats/*.parquet` from them.
//! - `figures`: fills the report's `model` from them; `report` only renders that model.

mod figures;
mod measures;
pub mod model;
mod review;
mod stats;

use std::path::{Path, PathBuf};

use polars::prelude::*;

pub use figures::{report_data, years_overview};
pub use model::{CategoryKinds, FlagCount, FlagExample, ProjectLine, ReportData, UnitBudget, YearLine, YearTotals};
pub use stats::write_all;

#[derive(Debug, thiserror::Error)]
pub enum StatsError {
    #[error("polars over {path}: {source}")]
    Polars { path: PathBuf, source: PolarsError },
    #[error(transparent)]
    Convert(#[from] crate::store::parquet::ConvertError),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

fn pl(path: &Path) -> impl FnOnce(PolarsError) -> StatsError + '_ {
    move |source| StatsError::Polars { path: path.to_path_buf(), source }
}

/// Whether a snapshot has any part file of `dataset`: scanning a glob with no match is an error.
fn has_parts(root: &Path, dataset: &str) -> bool {
    walkdir::WalkDir::new(root.join(dataset))
        .into_iter()
        .flatten()
        .any(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "parquet"))
}

/// Scans a dataset of a snapshot; `year` comes from the Hive partition path.
pub fn scan(root: &Path, dataset: &str) -> Result<LazyFrame, StatsError> {
    let glob = format!("{}/{dataset}/**/*.parquet", root.display());
    let args = ScanArgsParquet {
        hive_options: polars::io::HiveOptions { enabled: Some(true), ..Default::default() },
        ..Default::default()
    };
    LazyFrame::scan_parquet(PlRefPath::new(glob.as_str()), args).map_err(pl(root))
}

/// Projects with their partition year, as an analyst sees them.
fn projects(root: &Path) -> Result<LazyFrame, StatsError> {
    Ok(scan(root, "projects")?.with_columns([col("year").cast(DataType::Int32)]))
}

fn indicators(root: &Path) -> Result<LazyFrame, StatsError> {
    Ok(scan(root, "indicators")?.with_columns([col("year").cast(DataType::Int32)]))
}
