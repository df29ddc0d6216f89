//! Stage 6, sink (output directory): snapshots, the `current` link, the run lock and retention.
//!
//! ```text
//! OUT/
//!   current -> snapshots/<run_id>     the published snapshot (a symlink swapped by rename)
//!   files, projects, indicators, stats -> current/<name>   fixed links through `current`
//!   snapshots/<run_id>/{files,projects,indicators,stats}/…  +  manifest.json
//!   runs/<run_id>.json                one summary per run
//!   .staging/<run_id>/                the snapshot being written; never read by analysts
//!   .lock                             held (flock) by the running process; names its holder
//! ```
//! A run writes its snapshot under `.staging`, renames it into `snapshots/` and then renames a
//! fresh symlink over `current`: each step is one atomic rename, so a reader, or a run killed
//! at any point, sees the old snapshot or the new one, never a mix. Before the first rename
//! every file and directory of the snapshot is fsynced, and each rename is followed by an
//! fsync of the directory it changed, so a power cut cannot leave `current` naming a snapshot
//! whose bytes never reached the disk.

use std::fs::{self, File, OpenOptions};
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};

#[derive(Debug, thiserror::Error)]
pub enum SnapshotError {
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
    #[error("{out} is being written by another run ({holder}); try again when it has finished")]
    Locked { out: PathBuf, holder: String },
}

fn io(path: &Path) -> impl FnOnce(std::io::Error) -> SnapshotError + '_ {
    move |source| SnapshotError::Io { path: path.to_path_buf(), source }
}

/// This process as a lock or a manifest names it: `pid 4242 on host, started …`.
pub fn holder() -> String {
    format!("pid {} on {}, started {}", std::process::id(), hostname(), chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ"))
}

/// An output directory, held exclusively for the life of this value.
pub struct Output {
    pub root: PathBuf,
    lock: File,
    /// The holder recorded by a run that died without releasing the lock, if any.
    pub took_over_from: Option<String>,
}

impl Output {
    /// Takes the run lock. The kernel releases an flock when its process dies, so a lock left
    /// by a killed run is free again; its recorded holder is reported as taken over.
    pub fn open(root: &Path) -> Result<Output, SnapshotError> {
        fs::create_dir_all(root).map_err(io(root))?;
        let path = root.join(".lock");
        let mut lock =
            OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path).map_err(io(&path))?;
        let mut previous = String::new();
        let _ = lock.read_to_string(&mut previous);
        match lock.try_lock() {
            Ok(()) => {}
            Err(fs::TryLockError::WouldBlock) => {
                let holder =
                    if previous.trim().is_empty() { "unknown holder".to_string() } else { previous.trim().to_string() };
                return Err(SnapshotError::Locked { out: root.to_path_buf(), holder });
            }
            Err(fs::TryLockError::Error(e)) => return Err(SnapshotError::Io { path, source: e }),
        }
        let me = holder();
        lock.set_len(0).map_err(io(&path))?;
        lock.rewind().map_err(io(&path))?;
        lock.write_all(me.as_bytes()).map_err(io(&path))?;
        lock.flush().map_err(io(&path))?;
        let took_over_from = (!previous.trim().is_empty()).then(|| previous.trim().to_string());
        let out = Output { root: root.to_path_buf(), lock, took_over_from };
        out.clean_staging()?;
        Ok(out)
    }

    pub fn staging_dir(&self, run_id: &str) -> PathBuf {
        self.root.join(".staging").join(run_id)
    }

    /// What a dead run left: half-written snapshots are removed before anything else.
    fn clean_staging(&self) -> Result<(), SnapshotError> {
        let staging = self.root.join(".staging");
        if staging.exists() {
            fs::remove_dir_all(&staging).map_err(io(&staging))?;
        }
        // A run killed between the two renames of `publish` leaves a stray temp link.
        if let Ok(rd) = fs::read_dir(&self.root) {
            for e in rd.flatten() {
                if e.file_name().to_string_lossy().starts_with(".current.") {
                    let _ = fs::remove_file(e.path());
                }
            }
        }
        Ok(())
    }

    /// The published snapshot directory, if any.
    pub fn current(&self) -> Option<PathBuf> {
        current_of(&self.root)
    }

    /// Moves a finished staging snapshot into place and points `current` at it.
    pub fn publish(&self, run_id: &str, fault: &dyn Fn(&str)) -> Result<PathBuf, SnapshotError> {
        let snapshots = self.root.join("snapshots");
        fs::create_dir_all(&snapshots).map_err(io(&snapshots))?;
        let from = self.staging_dir(run_id);
        let to = snapshots.join(run_id);
        sync_tree(&from)?;
        fs::rename(&from, &to).map_err(io(&to))?;
        sync_dir(&snapshots)?;
        sync_dir(&self.root.join(".staging"))?;
        // A first run just created `snapshots/` itself: its name in OUT must be durable
        // before `current` points through it.
        sync_dir(&self.root)?;
        fault("before_switch");
        let tmp = self.root.join(format!(".current.{}", std::process::id()));
        let _ = fs::remove_file(&tmp);
        symlink(&Path::new("snapshots").join(run_id), &tmp).map_err(io(&tmp))?;
        let current = self.root.join("current");
        fs::rename(&tmp, &current).map_err(io(&current))?;
        sync_dir(&self.root)?;
        fault("after_switch");
        // `OUT/projects` etc. resolve through `current`, so the paths of the dataset contract
        // (`OUT/projects/year=2020/…`) always name the published snapshot.
        for name in ["files", "projects", "indicators", "stats"] {
            let link = self.root.join(name);
            if fs::symlink_metadata(&link).is_err() {
                symlink(&Path::new("current").join(name), &link).map_err(io(&link))?;
            }
        }
        sync_dir(&self.root)?;
        Ok(to)
    }

    /// Keeps the newest `keep` snapshots (the current one always) and removes the rest.
    pub fn retain(&self, keep: usize) -> Result<Vec<String>, SnapshotError> {
        let current = self.current().and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()));
        let mut ids = list_snapshots(&self.root);
        ids.sort();
        let mut removed = Vec::new();
        let excess = ids.len().saturating_sub(keep.max(1));
        for id in ids.into_iter().take(excess) {
            if Some(&id) == current.as_ref() {
                continue;
            }
            let dir = self.root.join("snapshots").join(&id);
            fs::remove_dir_all(&dir).map_err(io(&dir))?;
            removed.push(id);
        }
        Ok(removed)
    }
}

impl Drop for Output {
    fn drop(&mut self) {
        let _ = self.lock.set_len(0);
        let _ = self.lock.unlock();
    }
}

/// Flushes every regular file under `dir`, then each directory after its entries, so the
/// directory entries naming the files are durable too. Symlinks are not followed.
fn sync_tree(dir: &Path) -> Result<(), SnapshotError> {
    for e in fs::read_dir(dir).map_err(io(dir))? {
        let e = e.map_err(io(dir))?;
        let path = e.path();
        let ft = e.file_type().map_err(io(&path))?;
        if ft.is_dir() {
            sync_tree(&path)?;
        } else if ft.is_file() {
            File::open(&path).and_then(|f| f.sync_all()).map_err(io(&path))?;
        }
    }
    sync_dir(dir)
}

/// fsync on a directory makes its entries (renames, new names) durable. Windows cannot open
/// a directory as a file; there NTFS journals the metadata and this is a no-op.
fn sync_dir(dir: &Path) -> Result<(), SnapshotError> {
    #[cfg(unix)]
    File::open(dir).and_then(|f| f.sync_all()).map_err(io(dir))?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

pub fn current_of(root: &Path) -> Option<PathBuf> {
    let link = root.join("current");
    let target = fs::read_link(&link).ok()?;
    let dir = if target.is_absolute() { target } else { root.join(target) };
    dir.is_dir().then_some(dir)
}

pub fn list_snapshots(root: &Path) -> Vec<String> {
    let mut ids: Vec<String> = fs::read_dir(root.join("snapshots"))
        .into_iter()
        .flatten()
        .flatten()
        .filter(|e| e.path().is_dir())
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    ids.sort();
    ids
}

/// Run ids sort by time: `20261123T231200.123Z`.
pub fn new_run_id() -> String {
    chrono::Utc::now().format("%Y%m%dT%H%M%S%.3fZ").to_string()
}

#[cfg(unix)]
fn symlink(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::unix::fs::symlink(target, link)
}

#[cfg(not(unix))]
fn symlink(target: &Path, link: &Path) -> std::io::Result<()> {
    std::os::windows::fs::symlink_dir(target, link)
}

fn hostname() -> String {
    fs::read_to_string("/etc/hostname").map(|s| s.trim().to_string()).unwrap_or_else(|_| "localhost".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn second_open_is_refused_and_names_the_holder() {
        let dir = tempfile::tempdir().unwrap();
        let first = Output::open(dir.path()).unwrap();
        match Output::open(dir.path()) {
            Err(SnapshotError::Locked { holder, .. }) => {
                assert!(holder.contains(&format!("pid {}", std::process::id())))
            }
            other => panic!("expected Locked, got {:?}", other.err()),
        }
        drop(first);
        assert!(Output::open(dir.path()).is_ok());
    }

    #[test]
    fn publish_switches_current_and_retention_keeps_newest() {
        let dir = tempfile::tempdir().unwrap();
        let out = Output::open(dir.path()).unwrap();
        for id in ["r1", "r2", "r3"] {
            fs::create_dir_all(out.staging_dir(id)).unwrap();
            out.publish(id, &|_| {}).unwrap();
        }
        assert!(out.current().unwrap().ends_with("snapshots/r3"));
        assert_eq!(out.retain(2).unwrap(), vec!["r1".to_string()]);
        assert_eq!(list_snapshots(dir.path()), vec!["r2", "r3"]);
    }
}
