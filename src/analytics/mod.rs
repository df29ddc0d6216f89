//! Stage 7, analytics: the figures the stats datasets (`stats/`) and the yearly report need,
//! computed once with polars over a written snapshot.
//!
//! Money stays decimal(18,2) from the Parquet files through polars' decimal sums to the stats
//! files and the report, so a sum in a report equals the sum of the rows to the fen.
//!
//! A table published in several files (the same PDF saved from two URLs, a GBK and a UTF-16
//! copy) is counted once: `projects` keeps every row with its `table_fingerprint`, and the
//! copy relation is decided here, over the whole snapshot, every time the stats are written.
//! It cannot live in the rows themselves: an incremental run carries unchanged files' rows
//! from the previous snapshot, and a changed or deleted file can change which copy comes first.
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

/// A dataset's rows with their partition year as Int32, of one year only when `year` is set:
/// every figure is per year, and a copy never crosses years (the fingerprint holds the year),
/// so figures computed one year at a time hold one year's rows in memory, not the corpus'.
fn scan_year(root: &Path, dataset: &str, year: Option<i32>) -> Result<LazyFrame, StatsError> {
    let partition = year.map(|y| format!("{dataset}/year={y}"));
    match (year, &partition) {
        // Only that partition's files are listed and opened.
        (Some(y), Some(dir)) if has_parts(root, dir) => {
            let glob = format!("{}/{dir}/*.parquet", root.display());
            let lf =
                LazyFrame::scan_parquet(PlRefPath::new(glob.as_str()), ScanArgsParquet::default()).map_err(pl(root))?;
            Ok(lf.with_columns([lit(y).cast(DataType::Int32).alias("year")]))
        }
        _ => {
            let lf = scan(root, dataset)?.with_columns([col("year").cast(DataType::Int32)]);
            Ok(match year {
                Some(y) => lf.filter(col("year").eq(lit(y))),
                None => lf,
            })
        }
    }
}

/// A dataset's rows of `year`, `columns` only (with `year` as Int32 after them), one frame
/// per part file, read when the iterator gets to it: for figures that add up, summed a part at
/// a time, only one part's rows are in memory. A part is decoded on the calling thread, not
/// planned as a query over polars' pools: the stats read small files one after another, and
/// a query per part cost more in planning and in memory than the decoding. Where the year
/// has no partition directory, the one frame is `scan_year`'s.
fn year_parts<'a>(
    root: &'a Path,
    dataset: &str,
    year: i32,
    columns: &'a [&str],
) -> Result<Box<dyn Iterator<Item = Result<DataFrame, StatsError>> + 'a>, StatsError> {
    let dir = root.join(dataset).join(format!("year={year}"));
    let mut parts: Vec<PathBuf> = std::fs::read_dir(&dir)
        .into_iter()
        .flatten()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "parquet"))
        .collect();
    if parts.is_empty() {
        let whole = scan_year(root, dataset, Some(year))?
            .select(columns.iter().chain(&["year"]).map(|c| col(*c)).collect::<Vec<_>>());
        return Ok(Box::new(std::iter::once(whole.collect().map_err(pl(root)))));
    }
    parts.sort();
    Ok(Box::new(parts.into_iter().map(move |p| read_part(&p, columns, year))))
}

/// One part file's `columns`, with its partition `year` as an Int32 column after them.
fn read_part(path: &Path, columns: &[&str], year: i32) -> Result<DataFrame, StatsError> {
    let mut df = read_columns(path, columns)?;
    let height = df.height();
    df.with_column(Column::new_scalar("year".into(), Scalar::from(year), height)).map_err(pl(path))?;
    Ok(df)
}

/// One part file's `columns`, decoded on the calling thread.
fn read_columns(path: &Path, columns: &[&str]) -> Result<DataFrame, StatsError> {
    let file = std::fs::File::open(path).map_err(|source| StatsError::Io { path: path.to_path_buf(), source })?;
    ParquetReader::new(file)
        .with_columns(Some(columns.iter().map(|c| c.to_string()).collect()))
        .read_parallel(ParallelStrategy::None)
        .finish()
        .map_err(pl(path))
}

/// Frames of one shape stacked in order into one frame of one chunk.
fn vstack_all(
    frames: impl IntoIterator<Item = Result<DataFrame, StatsError>>,
    root: &Path,
) -> Result<DataFrame, StatsError> {
    let mut all: Option<DataFrame> = None;
    for part in frames {
        let part = part?;
        match &mut all {
            Some(df) => {
                df.vstack_mut_owned(part).map_err(pl(root))?;
            }
            None => all = Some(part),
        }
    }
    let mut df = all.unwrap_or_default();
    df.rechunk_mut();
    Ok(df)
}

/// Every part file's `columns` of a dataset, read one after another on the calling thread and
/// stacked in path order. A lazy scan of the same files started polars' query engine (an async
/// runtime and its threads) for a few small files: `bench-stats` peaked 10-13 MB higher (5,000
/// files 104 -> 91 MB; 46 files 74 -> 65 MB), in the same time.
fn read_all_parts(root: &Path, dataset: &str, columns: &[&str]) -> Result<DataFrame, StatsError> {
    let mut parts: Vec<PathBuf> = walkdir::WalkDir::new(root.join(dataset))
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "parquet"))
        .map(|e| e.into_path())
        .collect();
    parts.sort();
    vstack_all(parts.iter().map(|p| read_columns(p, columns)), root)
}

/// A dataset's rows of `year`, `columns` only (and `year`), read a part at a time.
fn read_year(root: &Path, dataset: &str, year: i32, columns: &[&str]) -> Result<DataFrame, StatsError> {
    vstack_all(year_parts(root, dataset, year, columns)?, root)
}

/// Every project row with its partition year, copies included, as an analyst sees them.
fn all_projects(root: &Path, year: Option<i32>) -> Result<LazyFrame, StatsError> {
    scan_year(root, "projects", year)
}

/// Each project row with its copy relation: `copies`, the rows sharing its
/// `table_fingerprint` (itself included), and `copy_of`, the `project_id` of the canonical
/// row, the first by (`path`, `table_index`), null on the canonical row itself.
///
/// The rows are put in (`path`, `table_index`) order once, and each group's first row is
/// its canonical one (a group's rows keep their order): sorting within every group, most of
/// them of one row, cost a tenth of the stats (5,000 files).
fn with_copies(p: LazyFrame) -> LazyFrame {
    let canonical = p
        .clone()
        .sort_by_exprs([col("path"), col("table_index")], SortMultipleOptions::default())
        .group_by([col("table_fingerprint")])
        .agg([col("project_id").first().alias("canonical_id"), len().cast(DataType::Int64).alias("copies")]);
    p.join(canonical, [col("table_fingerprint")], [col("table_fingerprint")], JoinArgs::new(JoinType::Left))
        .with_columns([when(col("project_id").eq(col("canonical_id")))
            .then(lit(NULL).cast(DataType::String))
            .otherwise(col("canonical_id"))
            .alias("copy_of")])
}

/// The distinct tables: one row per `table_fingerprint` (the canonical one), with `copies`.
/// Every stat and report figure counts these.
fn projects(root: &Path, year: Option<i32>) -> Result<LazyFrame, StatsError> {
    Ok(with_copies(all_projects(root, year)?).filter(col("copy_of").is_null()))
}

/// Indicators of the distinct tables only, so a table's indicators are counted once too.
fn indicators(root: &Path, year: Option<i32>) -> Result<LazyFrame, StatsError> {
    let distinct = projects(root, year)?.select([col("project_id")]);
    Ok(scan_year(root, "indicators", year)?.join(
        distinct,
        [col("project_id")],
        [col("project_id")],
        JoinArgs::new(JoinType::Inner),
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The canonical row was chosen by sorting each fingerprint's rows; it is now the first
    /// row of its group after one sort of all rows. Rows arrive in any order (an incremental
    /// run carries old parts beside new ones), so the rows here are given out of order.
    #[test]
    fn the_canonical_copy_is_the_first_by_path_and_table_index_in_any_row_order() {
        let rows = df![
            "project_id" => ["c1", "b2", "b1", "a3", "x1", "a1"],
            "path" => ["c.txt", "b.txt", "b.txt", "a.txt", "x.txt", "a.txt"],
            "table_index" => [0i64, 2, 1, 3, 0, 1],
            "table_fingerprint" => ["f", "f", "g", "g", "h", "f"],
        ]
        .unwrap();
        let out = with_copies(rows.lazy()).collect().unwrap();
        let id = out.column("project_id").unwrap().str().unwrap().clone();
        let copy_of = out.column("copy_of").unwrap().str().unwrap().clone();
        let copies = out.column("copies").unwrap().i64().unwrap().clone();
        let got: Vec<(String, Option<String>, i64)> = (0..out.height())
            .map(|i| (id.get(i).unwrap().to_string(), copy_of.get(i).map(str::to_string), copies.get(i).unwrap()))
            .collect();
        let want = |id: &str, of: Option<&str>, n: i64| (id.to_string(), of.map(str::to_string), n);
        // The rows keep their order; f's first is a1 (a.txt), g's is a3 (a.txt before b.txt).
        assert_eq!(
            got,
            vec![
                want("c1", Some("a1"), 3),
                want("b2", Some("a1"), 3),
                want("b1", Some("a3"), 2),
                want("a3", None, 2),
                want("x1", None, 1),
                want("a1", None, 3),
            ]
        );
    }
}
