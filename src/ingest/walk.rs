//! Stage 1, walk: lists every regular file under the input roots in a deterministic order.
//!
//! Symlinks are never followed, so a link can't pull files from outside a root into the
//! dataset. Entries that can't be listed (permission denied) are kept with their error: every
//! input ends up in the `files` dataset.

use std::path::{Path, PathBuf};

/// One input root with an optional filter on paths relative to it.
pub struct Root<'a> {
    pub dir: PathBuf,
    /// Name prefixed to relative paths when a pipeline has several roots.
    pub prefix: Option<String>,
    pub filter: Option<&'a (dyn Fn(&str) -> bool + Sync)>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub abs: PathBuf,
    /// Relative to its root, `/`-separated: the file's identity in the dataset.
    pub rel: String,
    pub size: u64,
    pub mtime_ns: i64,
    /// Set when the entry could not be stat'ed or listed.
    pub error: Option<String>,
}

pub fn list(roots: &[Root<'_>]) -> Vec<Entry> {
    let mut out = Vec::new();
    for root in roots {
        let walker = walkdir::WalkDir::new(&root.dir).follow_links(false).sort_by_file_name();
        for item in walker {
            match item {
                Ok(e) if e.file_type().is_file() => {
                    let rel = rel_path(root, e.path());
                    if root.filter.is_some_and(|f| !f(&rel)) {
                        continue;
                    }
                    let (size, mtime_ns, error) = match e.metadata() {
                        Ok(m) => (m.len(), mtime_ns(&m), None),
                        Err(err) => (0, 0, Some(format!("unreadable: {err}"))),
                    };
                    out.push(Entry { abs: e.path().to_path_buf(), rel, size, mtime_ns, error });
                }
                Ok(_) => {}
                Err(err) => {
                    // A directory or file we may not read: report it under its path.
                    if let Some(p) = err.path() {
                        let rel = rel_path(root, p);
                        out.push(Entry {
                            abs: p.to_path_buf(),
                            rel,
                            size: 0,
                            mtime_ns: 0,
                            error: Some(format!("unreadable: {err}")),
                        });
                    }
                }
            }
        }
    }
    out.sort_by(|a, b| a.rel.cmp(&b.rel));
    out.dedup_by(|a, b| a.rel == b.rel);
    out
}

fn rel_path(root: &Root<'_>, p: &Path) -> String {
    let rel = p.strip_prefix(&root.dir).unwrap_or(p);
    let mut s: String = rel.iter().map(|c| c.to_string_lossy()).collect::<Vec<_>>().join("/");
    if let Some(prefix) = &root.prefix {
        s = format!("{prefix}/{s}");
    }
    s
}

pub fn mtime_ns(m: &std::fs::Metadata) -> i64 {
    m.modified()
        .ok()
        .and_then(|t| t.duration_since(std::time::UNIX_EPOCH).ok())
        .map_or(0, |d| d.as_nanos().min(i64::MAX as u128) as i64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_is_deterministic_and_paths_are_relative() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("b/c")).unwrap();
        std::fs::write(dir.path().join("b/c/x.TXT"), "1").unwrap();
        std::fs::write(dir.path().join("a"), "2").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink("/etc/hostname", dir.path().join("link")).unwrap();
        let got = list(&[Root { dir: dir.path().to_path_buf(), prefix: None, filter: None }]);
        let rels: Vec<_> = got.iter().map(|e| e.rel.as_str()).collect();
        assert_eq!(rels, ["a", "b/c/x.TXT"]);
    }
}
