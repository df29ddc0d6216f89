//! Bench tooling (not a stage): the write floor, what encoding a snapshot's parts as Parquet
//! costs by itself, with the run's settings and with the writer's cheapest.
//!
//! The read and read+decode floors say how fast the input can be had; this says how fast the
//! output can be made. Both are costs no design of the stages in between removes, so together
//! they bound what a run can reach on this machine.

use std::fs::File;
use std::path::Path;
use std::time::Instant;

use arrow::array::{RecordBatch, RecordBatchReader};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;
use parquet::file::properties::WriterProperties;
use rayon::prelude::*;

use crate::store::parquet::{Codec, lean_properties, part_properties};
use crate::store::sink::{PartKey, SinkError, list_parts};

/// A part that could not be read or encoded (the sink's errors: the same files), or no threads.
#[derive(Debug, thiserror::Error)]
pub enum WriteFloorError {
    #[error(transparent)]
    Part(#[from] SinkError),
    #[error("starting the worker threads: {0}")]
    Threads(#[from] rayon::ThreadPoolBuildError),
}

/// Thread-seconds spent encoding every part of a snapshot in memory (each part timed on the
/// thread that encodes it, its reading not counted), and the bytes written, with the run's
/// settings and with [`lean_properties`].
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct WriteFloor {
    pub parts: u64,
    pub rows: u64,
    pub run_cpu_seconds: f64,
    pub run_bytes: u64,
    pub lean_cpu_seconds: f64,
    pub lean_bytes: u64,
}

/// Encodes the parts of the snapshot at `snapshot` twice on `jobs` threads, once with the
/// settings a run writes them with (`codec`) and once with the cheapest. Each part is read when
/// its turn comes and dropped once encoded, so memory holds `jobs` parts at most.
pub fn write_floor(snapshot: &Path, jobs: usize, codec: Codec) -> Result<WriteFloor, WriteFloorError> {
    let parts: Vec<PartKey> = list_parts(snapshot).into_iter().collect();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(jobs.max(1)).build()?;
    let run = |k: PartKey| part_properties(codec, k.dataset.unique_columns(), k.dataset.free_text_columns());
    let pass = |props: &(dyn Fn(PartKey) -> WriterProperties + Sync)| {
        pool.install(|| {
            parts
                .par_iter()
                .map(|&k| encode_part(snapshot, k, props(k)))
                .try_reduce(Encoded::default, |a, b| Ok(a.add(b)))
        })
    };
    let with_run = pass(&run)?;
    let lean = pass(&|_| lean_properties())?;
    Ok(WriteFloor {
        parts: parts.len() as u64,
        rows: with_run.rows,
        run_cpu_seconds: with_run.seconds,
        run_bytes: with_run.bytes,
        lean_cpu_seconds: lean.seconds,
        lean_bytes: lean.bytes,
    })
}

#[derive(Debug, Default, Clone, Copy)]
struct Encoded {
    rows: u64,
    bytes: u64,
    seconds: f64,
}

impl Encoded {
    fn add(self, o: Encoded) -> Encoded {
        Encoded { rows: self.rows + o.rows, bytes: self.bytes + o.bytes, seconds: self.seconds + o.seconds }
    }
}

/// Reads one part, then times its encoding into memory as one file.
fn encode_part(snapshot: &Path, key: PartKey, props: WriterProperties) -> Result<Encoded, WriteFloorError> {
    let path = snapshot.join(key.rel_path());
    let file = File::open(&path).map_err(|source| SinkError::Io { path: path.clone(), source })?;
    let pq = |source| SinkError::Parquet { path: path.clone(), source };
    let reader = ParquetRecordBatchReaderBuilder::try_new(file).map_err(pq)?.build().map_err(pq)?;
    let schema = reader.schema();
    let batches = reader
        .collect::<Result<Vec<RecordBatch>, _>>()
        .map_err(|source| SinkError::Arrow { path: path.clone(), source })?;
    let t = Instant::now();
    let mut writer = ArrowWriter::try_new(Vec::new(), schema, Some(props)).map_err(pq)?;
    for b in &batches {
        writer.write(b).map_err(pq)?;
    }
    let bytes = writer.into_inner().map_err(pq)?.len() as u64;
    let seconds = t.elapsed().as_secs_f64();
    Ok(Encoded { rows: batches.iter().map(|b| b.num_rows() as u64).sum(), bytes, seconds })
}
