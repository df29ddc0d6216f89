//! Test support, ingest: the project's own files decoded, laid out and read as the pipeline
//! does, for the tests that compare a rewritten function with the code it replaced on real
//! input.

use std::path::{Path, PathBuf};

use crate::ingest::form::{self, Table};
use crate::ingest::{decode, layout};

/// Every file under `dir` (relative to the crate root) that decodes, with its decoded text.
pub(crate) fn texts_under(dir: &str) -> Vec<(PathBuf, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join(dir);
    let mut texts = Vec::new();
    for entry in walkdir::WalkDir::new(root).sort_by_file_name().into_iter().flatten() {
        if !entry.file_type().is_file() {
            continue;
        }
        let Ok(bytes) = std::fs::read(entry.path()) else { continue };
        let Ok(decoded) = decode::decode(&bytes) else { continue };
        texts.push((entry.into_path(), decoded.text));
    }
    texts
}

/// Every text of `sample_data/`.
pub(crate) fn texts() -> Vec<(PathBuf, String)> {
    texts_under("sample_data")
}

/// The grid each text of `sample_data/` is laid out as.
pub(crate) fn grids() -> Vec<(PathBuf, layout::Grid)> {
    texts()
        .into_iter()
        .map(|(path, text)| {
            let grid = layout::read(layout::sniff::sniff(&text), &text, &form::FormLabels).grid;
            (path, grid)
        })
        .collect()
}

/// Every table the form reads from `sample_data/`.
pub(crate) fn tables() -> Vec<Table> {
    grids().into_iter().flat_map(|(_, grid)| form::read(&grid).tables).collect()
}

/// The name and the value of every indicator the form reads from `sample_data/`.
pub(crate) fn indicator_texts() -> Vec<String> {
    tables().into_iter().flat_map(|t| t.indicators).flat_map(|ind| [ind.level3, ind.value.into()]).collect()
}
