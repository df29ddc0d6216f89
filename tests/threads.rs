//! Integration tests: the thread count changes how fast a run is, never what it writes. The
//! sink closes its parts and the stats compute their years on several threads; every part
//! and every stats file must be the same as on one thread. The real `jixiao` binary.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use polars::prelude::*;

mod common;
use common::{current, read_parquet};

const BIN: &str = env!("CARGO_BIN_EXE_jixiao");

fn jixiao(args: &[&str]) {
    let o = Command::new(BIN).args(args).env("JIXIAO_LOG", "warn").output().expect("run jixiao");
    assert!(o.status.code().is_some_and(|c| c <= 1), "{args:?}: {}", String::from_utf8_lossy(&o.stderr));
}

/// Every Parquet file of the current snapshot (parts and stats), by path under it.
fn parquet_files(out: &Path) -> BTreeMap<PathBuf, DataFrame> {
    let root = current(out);
    walkdir::WalkDir::new(&root)
        .into_iter()
        .flatten()
        .filter(|e| e.path().extension().is_some_and(|x| x == "parquet"))
        .map(|e| (e.path().strip_prefix(&root).unwrap().to_path_buf(), read_parquet(e.path())))
        .collect()
}

/// A generated corpus over several years with some files copied, so the stats have copies
/// to collapse and the sink has parts of every dataset and year to close.
#[test]
fn one_thread_and_three_write_the_same_parts_and_stats() {
    let input = tempfile::tempdir().unwrap();
    let corpus = input.path().join("corpus");
    jixiao(&["bench-corpus", corpus.to_str().unwrap(), "--files", "80", "--seed", "7"]);
    let mirror = input.path().join("mirror");
    fs::create_dir(&mirror).unwrap();
    let mut files: Vec<PathBuf> = walkdir::WalkDir::new(&corpus)
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .map(|e| e.path().to_path_buf())
        .collect();
    files.sort();
    for (i, f) in files.iter().step_by(9).enumerate() {
        fs::copy(f, mirror.join(format!("copy-{i}-{}", f.file_name().unwrap().to_str().unwrap()))).unwrap();
    }

    let runs: Vec<BTreeMap<PathBuf, DataFrame>> = ["1", "3"]
        .iter()
        .map(|jobs| {
            let out = tempfile::tempdir().unwrap();
            jixiao(&["ingest", input.path().to_str().unwrap(), "--out", out.path().to_str().unwrap(), "--jobs", jobs]);
            parquet_files(out.path())
        })
        .collect();
    let (one, three) = (&runs[0], &runs[1]);
    assert_eq!(one.keys().collect::<Vec<_>>(), three.keys().collect::<Vec<_>>());
    assert!(one.keys().filter(|p| p.starts_with("projects")).count() > 8, "parts of several years");
    let copies = &one[Path::new("stats/duplicate_projects.parquet")];
    assert!(copies.height() > 0, "the copied files make duplicates");
    for (path, df) in one {
        assert!(df.equals_missing(&three[path]), "{}:\n{df}\n{}", path.display(), three[path]);
    }
}
