//! Stage 7, analytics: `stats/review.parquet`, the tables an analyst should look at first.

use polars::prelude::*;

/// The columns of `review.parquet`, in order.
const COLUMNS: [&str; 9] = [
    "path",
    "table_index",
    "project_id",
    "year",
    "project_name",
    "parse_confidence",
    "parse_notes",
    "file_status",
    "file_error",
];

/// The rows of `review` among the project rows `p`, unordered (`worst_first` orders them):
/// tables of partial or rejected files and tables read with less than full confidence. A
/// file's status says a table is incomplete, a low confidence that its reading was inferred
/// (cells realigned, labels taken from a block's middle, units or goals guessed);
/// `parse_notes` says which. The stats filter a year's rows at a time and order the
/// candidates of every year together, so the join never holds the snapshot's rows.
pub(super) fn candidates(p: LazyFrame, files: LazyFrame) -> LazyFrame {
    let status = files.select([col("path"), col("status").alias("file_status"), col("error").alias("file_error")]);
    p.join(status, [col("path")], [col("path")], JoinArgs::new(JoinType::Left))
        .filter(col("parse_confidence").lt(lit(1.0)).or(col("file_status").neq(lit("ok"))))
        .with_columns([col("file_status").eq(lit("ok")).alias("file_ok")])
        .select(COLUMNS.map(col).into_iter().chain([col("file_ok")]).collect::<Vec<_>>())
}

/// `candidates` worst first (partial or rejected files, then the lowest confidence), in
/// `review.parquet`'s columns.
pub(super) fn worst_first(candidates: LazyFrame) -> LazyFrame {
    candidates
        .sort_by_exprs(
            [col("file_ok"), col("parse_confidence"), col("path"), col("table_index")],
            SortMultipleOptions::default().with_nulls_last(true),
        )
        .select(COLUMNS.map(col))
}
