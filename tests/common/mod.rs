//! Helpers the integration test crates share: reading a run's dataset back as an analyst does.
// Each test crate uses a different subset of these helpers.
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};

use polars::prelude::*;

pub fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The snapshot `out/current` points at.
pub fn current(out: &Path) -> PathBuf {
    jixiao::store::snapshot::current_of(out).expect("a published snapshot")
}

pub fn read_parquet(glob: &Path) -> DataFrame {
    LazyFrame::scan_parquet(PlRefPath::new(glob.to_str().unwrap()), ScanArgsParquet::default())
        .unwrap()
        .collect()
        .unwrap()
}

/// A dataset of the current snapshot as an analyst reads it (Hive `year` included).
pub fn frame(out: &Path, dataset: &str) -> DataFrame {
    let root = current(out);
    if dataset == "files" {
        read_parquet(&root.join("files/*.parquet"))
    } else {
        jixiao::analytics::scan(&root, dataset).unwrap().collect().unwrap()
    }
}

/// A column as optional strings, whatever its type.
pub fn strings(df: &DataFrame, col: &str) -> Vec<Option<String>> {
    let s = df.column(col).unwrap().cast(&DataType::String).unwrap();
    let ca = s.str().unwrap();
    (0..ca.len()).map(|i| ca.get(i).map(str::to_string)).collect()
}

/// Copies a directory tree (a fixture set into a temp dir the test may edit).
pub fn copy_tree(from: &Path, to: &Path) {
    for e in walkdir::WalkDir::new(from).into_iter().flatten() {
        let rel = e.path().strip_prefix(from).unwrap();
        if e.file_type().is_dir() {
            fs::create_dir_all(to.join(rel)).unwrap();
        } else {
            fs::copy(e.path(), to.join(rel)).unwrap();
        }
    }
}
