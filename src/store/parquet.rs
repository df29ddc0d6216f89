//! Store stage, Parquet: the one place that decides how Parquet is written, and the one bridge
//! between polars' Arrow implementation and arrow-rs (an in-memory IPC stream).
//!
//! polars (polars-arrow) and arrow-rs are separate Arrow implementations; IPC is the format
//! both speak exactly, so nothing is re-typed by hand and money keeps its decimal type.

use std::io::Cursor;
use std::path::{Path, PathBuf};

use arrow::array::RecordBatch;
use arrow::datatypes::SchemaRef;
use parquet::arrow::ArrowWriter;
use parquet::basic::{Compression, ZstdLevel};
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use polars::prelude::{CompatLevel, DataFrame, IpcWriter, SerWriter};

/// Row groups of up to 128 Ki rows: large enough for good compression and pruning, small
/// enough that the writer's buffered row group per open part stays a few MB.
const ROW_GROUP_ROWS: usize = 128 * 1024;

/// The one place that decides how Parquet is written.
pub fn writer_properties() -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::ZSTD(ZstdLevel::try_new(3).unwrap_or_default()))
        .set_dictionary_enabled(true)
        // Page-level statistics also write the column and offset indexes (the page index).
        .set_statistics_enabled(EnabledStatistics::Page)
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_created_by(format!("jixiao {}", env!("CARGO_PKG_VERSION")))
        .build()
}

#[derive(Debug, thiserror::Error)]
pub enum ConvertError {
    #[error("polars could not export a frame as Arrow IPC: {0}")]
    Export(polars::prelude::PolarsError),
    #[error("arrow-rs could not read polars' Arrow IPC: {0}")]
    Import(arrow::error::ArrowError),
    #[error("{path}: {source}")]
    Write { path: PathBuf, source: parquet::errors::ParquetError },
}

/// polars frame → arrow-rs schema and record batches (the schema even when there are no rows).
pub fn to_record_batches(df: &mut DataFrame) -> Result<(SchemaRef, Vec<RecordBatch>), ConvertError> {
    let mut buf = Vec::new();
    // The oldest compat level writes plain Utf8/LargeUtf8 strings, which every reader knows.
    IpcWriter::new(&mut buf).with_compat_level(CompatLevel::oldest()).finish(df).map_err(ConvertError::Export)?;
    let reader = arrow::ipc::reader::FileReader::try_new(Cursor::new(buf), None).map_err(ConvertError::Import)?;
    let schema = reader.schema();
    let batches = reader.collect::<Result<Vec<_>, _>>().map_err(ConvertError::Import)?;
    Ok((schema, batches))
}

/// Writes batches with the dataset's writer properties (see [`writer_properties`]). An empty
/// result is still a file with its columns, so analysts' queries don't break on a quiet year.
pub fn write_parquet<W: std::io::Write + Send>(
    out: W,
    path: &Path,
    schema: SchemaRef,
    batches: &[RecordBatch],
) -> Result<(), ConvertError> {
    let err = |source| ConvertError::Write { path: path.to_path_buf(), source };
    let mut w = ArrowWriter::try_new(out, schema, Some(writer_properties())).map_err(err)?;
    for b in batches {
        w.write(b).map_err(err)?;
    }
    w.close().map_err(err)?;
    Ok(())
}
