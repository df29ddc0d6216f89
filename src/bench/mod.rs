//! Bench tooling (not a stage): the corpus generator, and the read, read+decode and write
//! floors that `make bench` compares a run against.

pub mod generate;
#[cfg(feature = "polars")]
pub mod write;

use std::time::Instant;

use rayon::prelude::*;

use crate::ingest::walk::{self, Root};

/// Seconds to read every file under `dir`, then to read and decode every file, on `jobs`
/// threads: the floor no run of the stages can go below.
#[derive(Debug, Clone, Copy, Default, serde::Serialize)]
pub struct Floor {
    pub files: u64,
    pub bytes: u64,
    pub read_seconds: f64,
    pub read_decode_seconds: f64,
}

pub fn floor(dir: &std::path::Path, jobs: usize) -> Result<Floor, rayon::ThreadPoolBuildError> {
    let entries = walk::list(&[Root { dir: dir.to_path_buf(), prefix: None, filter: None }], jobs);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(jobs).build()?;
    let timed = |decode: bool| {
        let t = Instant::now();
        let bytes: u64 = pool.install(|| {
            entries
                .par_iter()
                .map(|e| {
                    let bytes = std::fs::read(&e.abs).unwrap_or_default();
                    if decode {
                        // The text is dropped at once, as the stages drop it after the layout.
                        let _ = crate::ingest::decode::decode(&bytes);
                    }
                    bytes.len() as u64
                })
                .sum()
        });
        (bytes, t.elapsed().as_secs_f64())
    };
    let (bytes, read_seconds) = timed(false);
    let (_, read_decode_seconds) = timed(true);
    Ok(Floor { files: entries.len() as u64, bytes, read_seconds, read_decode_seconds })
}

#[cfg(test)]
mod tests;
