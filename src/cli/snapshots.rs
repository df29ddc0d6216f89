//! Command line, `jixiao snapshots`: the snapshots kept in an output directory.

use std::path::Path;

use anyhow::Result;

use super::ExitStatus;
use jixiao::run::Summary;

pub(super) fn snapshots(out: &Path) -> Result<ExitStatus> {
    let current =
        jixiao::store::snapshot::current_of(out).and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()));
    let ids = jixiao::store::snapshot::list_snapshots(out);
    if ids.is_empty() {
        outln!("no snapshots in {}", out.display());
        return Ok(ExitStatus::Failure);
    }
    for id in ids {
        let manifest = out.join("snapshots").join(&id).join("manifest.json");
        let s: Option<Summary> = std::fs::read_to_string(&manifest).ok().and_then(|t| serde_json::from_str(&t).ok());
        let mark = if Some(&id) == current.as_ref() { "*" } else { " " };
        match s {
            Some(s) => outln!(
                "{mark} {id}  files {}  ok {}  partial {}  rejected {}  tables {}  indicators {}  new {} changed {} deleted {}",
                s.files,
                s.ok,
                s.partial,
                s.rejected,
                s.tables,
                s.indicators,
                s.new,
                s.changed,
                s.deleted
            ),
            None => outln!("{mark} {id}  (no manifest)"),
        }
    }
    outln!("read an older snapshot with read_parquet('{}/snapshots/<id>/projects/**/*.parquet')", out.display());
    Ok(ExitStatus::Success)
}
