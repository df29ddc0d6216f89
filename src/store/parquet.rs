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
use parquet::schema::types::ColumnPath;
use polars::prelude::{CompatLevel, DataFrame, IpcWriter, SerWriter};

/// Row groups of up to 128 Ki rows: large enough for good compression and pruning (readers
/// prefer 10^5 to 10^6 rows), small enough that a part's row group, encoded by one of the
/// sink's threads at a time, stays a few tens of MB.
const ROW_GROUP_ROWS: usize = 128 * 1024;
/// Rows of a polars frame converted to Arrow at once by [`FrameWriter::write_frame`]: a
/// multiple of arrow-rs' write batch size (1024 rows), so the pages are cut where they were.
const CONVERT_ROWS: usize = 16 * 1024;

pub use crate::config::Codec;

/// The Parquet compression of a [`Codec`].
fn compression(codec: Codec) -> Compression {
    match codec {
        Codec::Snappy => Compression::SNAPPY,
        Codec::Zstd => Compression::ZSTD(ZstdLevel::try_new(3).unwrap_or_default()),
    }
}

/// How the stats files are written (see [`properties`]).
pub fn writer_properties(codec: Codec) -> WriterProperties {
    properties(codec, &[], &[])
}

/// How a dataset's parts are written: `unique` names its text columns that hold a different
/// value on (nearly) every row, written without a dictionary; `free_text` its long texts as
/// published, written without statistics (see [`properties`]).
pub fn part_properties(codec: Codec, unique: &[&str], free_text: &[&str]) -> WriterProperties {
    properties(codec, unique, free_text)
}

/// The one place that decides how Parquet is written.
///
/// A dictionary pays where values repeat (codes, units, a table's path on each of its
/// indicator rows): each value is hashed once and written as a small index. On a column whose
/// values are all different it only adds the hashing and a dictionary page as long as the
/// values themselves, so those columns are written plain (5,000 files: `files` 2.6 % and
/// `projects` 1.6 % smaller). The compression is the run's [`Codec`].
///
/// Statistics (min and max per page and per column chunk, and the page index) let a reader
/// skip pages and row groups by a filter on the column: they pay on ids, paths, codes,
/// numbers and amounts. A long text as published (a goal, an opinion, an indicator's value)
/// is searched for words, never by range, so its min and max prune nothing, cost a compare
/// of two texts per value when written, and up to 64 bytes of each per page in the file.
fn properties(codec: Codec, unique: &[&str], free_text: &[&str]) -> WriterProperties {
    let mut b = WriterProperties::builder()
        .set_compression(compression(codec))
        .set_dictionary_enabled(true)
        // Page-level statistics also write the column and offset indexes (the page index).
        .set_statistics_enabled(EnabledStatistics::Page)
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
        .set_created_by(format!("jixiao {}", env!("CARGO_PKG_VERSION")));
    for c in unique {
        b = b.set_column_dictionary_enabled(ColumnPath::from(*c), false);
    }
    for c in free_text {
        b = b.set_column_statistics_enabled(ColumnPath::from(*c), EnabledStatistics::None);
    }
    b.build()
}

/// The cheapest settings the writer has: no dictionary, no statistics, no compression. Never
/// used for a dataset; `jixiao bench-write` encodes a snapshot's parts with them to show what
/// writing Parquet costs by itself, below which no tuning of [`properties`] can go.
pub fn lean_properties() -> WriterProperties {
    WriterProperties::builder()
        .set_compression(Compression::UNCOMPRESSED)
        .set_dictionary_enabled(false)
        .set_statistics_enabled(EnabledStatistics::None)
        .set_max_row_group_row_count(Some(ROW_GROUP_ROWS))
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
    codec: Codec,
    schema: SchemaRef,
    batches: &[RecordBatch],
) -> Result<(), ConvertError> {
    let mut w = FrameWriter::new(out, path, codec);
    w.write_batches(schema, batches)?;
    w.close()
}

/// One Parquet file written from several polars frames in turn (a stat computed a year at a
/// time): each frame is converted and written before the next is computed, so the file's
/// rows are never all in memory, once as polars columns and again as Arrow batches.
pub struct FrameWriter<W: std::io::Write + Send> {
    out: Option<W>,
    writer: Option<ArrowWriter<W>>,
    path: PathBuf,
    codec: Codec,
}

impl<W: std::io::Write + Send> FrameWriter<W> {
    pub fn new(out: W, path: &Path, codec: Codec) -> FrameWriter<W> {
        FrameWriter { out: Some(out), writer: None, path: path.to_path_buf(), codec }
    }

    /// Appends a frame's rows; the first frame's schema is the file's. The frame is converted
    /// a slice of rows at a time (polars' slices share its buffers): a whole frame's rows
    /// converted at once were held three times over (IPC buffer, Arrow batches, the frame).
    pub fn write_frame(&mut self, df: &mut DataFrame) -> Result<(), ConvertError> {
        let mut offset = 0;
        loop {
            let mut slice = df.slice(offset as i64, CONVERT_ROWS);
            let (schema, batches) = to_record_batches(&mut slice)?;
            self.write_batches(schema, &batches)?;
            offset += CONVERT_ROWS;
            if offset >= df.height() {
                return Ok(());
            }
        }
    }

    fn write_batches(&mut self, schema: SchemaRef, batches: &[RecordBatch]) -> Result<(), ConvertError> {
        let err = |source| ConvertError::Write { path: self.path.clone(), source };
        if self.writer.is_none()
            && let Some(out) = self.out.take()
        {
            self.writer = Some(ArrowWriter::try_new(out, schema, Some(writer_properties(self.codec))).map_err(err)?);
        }
        if let Some(w) = self.writer.as_mut() {
            for b in batches {
                w.write(b).map_err(err)?;
            }
        }
        Ok(())
    }

    /// Finishes the file; a writer that got no frame writes nothing.
    pub fn close(self) -> Result<(), ConvertError> {
        match self.writer {
            Some(w) => w.close().map(|_| ()).map_err(|source| ConvertError::Write { path: self.path, source }),
            None => Ok(()),
        }
    }
}

#[cfg(test)]
mod tests {
    use polars::prelude::{ParquetReader, SerReader};

    use super::*;

    #[test]
    fn a_frame_longer_than_one_conversion_slice_is_written_whole_and_in_order() {
        let n = 2 * CONVERT_ROWS + 5;
        let ids: Vec<i64> = (0..n as i64).collect();
        let names: Vec<String> = (0..n).map(|i| format!("第{i}行 of the frame, past the inline length")).collect();
        let mut df = polars::df!("id" => ids, "name" => names).unwrap();
        let mut buf = Vec::new();
        let mut w = FrameWriter::new(&mut buf, Path::new("t.parquet"), Codec::default());
        w.write_frame(&mut df).unwrap();
        // A year without rows appends nothing.
        w.write_frame(&mut df.slice(0, 0)).unwrap();
        w.close().unwrap();
        let back = ParquetReader::new(Cursor::new(buf)).finish().unwrap();
        assert!(back.equals(&df), "{back}\n{df}");
    }

    #[test]
    fn an_empty_frame_still_writes_a_file_with_its_columns() {
        let mut df = polars::df!("id" => Vec::<i64>::new(), "name" => Vec::<String>::new()).unwrap();
        let mut buf = Vec::new();
        let mut w = FrameWriter::new(&mut buf, Path::new("t.parquet"), Codec::default());
        w.write_frame(&mut df).unwrap();
        w.close().unwrap();
        let back = ParquetReader::new(Cursor::new(buf)).finish().unwrap();
        assert_eq!(back.height(), 0);
        assert_eq!(back.get_column_names().iter().map(|c| c.as_str()).collect::<Vec<_>>(), ["id", "name"]);
    }
}
