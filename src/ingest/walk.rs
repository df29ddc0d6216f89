//! Stage 1, walk: lists every regular file under the input roots in a deterministic order.
//!
//! Symlinks are never followed (nor listed), so a link can't pull files from outside a root,
//! or loop, into the dataset. Entries that can't be listed (permission denied) and entries
//! that are not regular files (FIFOs, sockets, devices) are kept with their error and never
//! opened: every input ends up in the `files` dataset, once.
//!
//! A path is text in the dataset. Names that are not valid UTF-8 (old GBK archives unpacked
//! as bytes) are escaped so that no two files share a path and every path maps back to its
//! bytes: an invalid byte is written `\xNN` and a backslash `\\` ([`path_bytes`] undoes it).

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

/// Every file under `roots`, sorted by relative path, each stat'ed once; the stats on up to
/// `threads` threads.
pub fn list(roots: &[Root<'_>], threads: usize) -> Vec<Entry> {
    // Directories are read in order on this thread; what costs per file, its stat (a path
    // lookup in the kernel) and its relative path, is split over `threads` threads in slices
    // of the walk order.
    let mut found: Vec<Found<'_, '_>> = Vec::new();
    for root in roots {
        // In the directories' own order: the list is sorted by relative path below, which is
        // the order that counts. walkdir's sort by file name parsed both paths back to their
        // names for every comparison, a third of an unchanged re-run's instructions.
        let walker = walkdir::WalkDir::new(&root.dir).follow_links(false);
        for item in walker {
            match item {
                Ok(e) if e.file_type().is_dir() || e.file_type().is_symlink() => {}
                Ok(e) => found.push(Found::File(root, e)),
                Err(err) => {
                    if let Some(p) = err.path() {
                        found.push(Found::Failed(Entry {
                            abs: p.to_path_buf(),
                            rel: rel_path(root, p),
                            size: 0,
                            mtime_ns: 0,
                            error: Some(format!("unreadable: {err}")),
                        }));
                    }
                }
            }
        }
    }
    let threads = threads.min(found.len() / MIN_FILES_PER_THREAD).max(1);
    let mut out = Vec::with_capacity(found.len());
    if threads == 1 {
        out.extend(found.into_iter().filter_map(Found::entry));
    } else {
        let mut slices = Vec::with_capacity(threads);
        let per = found.len().div_ceil(threads);
        while !found.is_empty() {
            let rest = found.split_off(per.min(found.len()));
            slices.push(std::mem::replace(&mut found, rest));
        }
        std::thread::scope(|s| {
            let done: Vec<_> = slices
                .into_iter()
                .map(|slice| s.spawn(move || slice.into_iter().filter_map(Found::entry).collect::<Vec<_>>()))
                .collect();
            for d in done {
                match d.join() {
                    Ok(entries) => out.extend(entries),
                    Err(panic) => std::panic::resume_unwind(panic),
                }
            }
        });
    }
    out.sort_by(|a, b| a.rel.cmp(&b.rel));
    out.dedup_by(|a, b| a.rel == b.rel);
    out
}

/// Files a walk gives each thread at least: a small tree is not worth a thread.
const MIN_FILES_PER_THREAD: usize = 2048;

/// What the directory reading found, in walk order: a file to stat, or an entry that failed.
enum Found<'r, 'f> {
    File(&'r Root<'f>, walkdir::DirEntry),
    Failed(Entry),
}

impl Found<'_, '_> {
    /// The entry of a found file: `None` when its root's filter leaves it out.
    fn entry(self) -> Option<Entry> {
        let (root, e) = match self {
            Found::File(root, e) => (root, e),
            Found::Failed(entry) => return Some(entry),
        };
        let rel = rel_path(root, e.path());
        if root.filter.is_some_and(|f| !f(&rel)) {
            return None;
        }
        let (size, mtime_ns, mut error) = match e.metadata() {
            Ok(m) => (m.len(), mtime_ns(&m), None),
            Err(err) => (0, 0, Some(format!("unreadable: {err}"))),
        };
        if !e.file_type().is_file() {
            error = Some(format!("not_regular: {}, not a regular file; never opened", kind(&e.file_type())));
        }
        Some(Entry { abs: e.into_path(), rel, size, mtime_ns, error })
    }
}

fn rel_path(root: &Root<'_>, p: &Path) -> String {
    let mut s = match plain_rel(&root.dir, p) {
        Some(rel) => rel.to_string(),
        None => {
            let rel = p.strip_prefix(&root.dir).unwrap_or(p);
            rel.iter().map(escape_name).collect::<Vec<_>>().join("/")
        }
    };
    if let Some(prefix) = &root.prefix {
        s = format!("{prefix}/{s}");
    }
    s
}

/// The text of `p` after `dir` when that is already the relative path: UTF-8 names without a
/// backslash, each after one `/`, as walkdir joins them. Reading the path component by
/// component and escaping each name took ~5,000 instructions a file, most of a walk of
/// unchanged files; `None` sends the path there.
#[cfg(unix)]
fn plain_rel<'p>(dir: &Path, p: &'p Path) -> Option<&'p str> {
    use std::os::unix::ffi::OsStrExt;
    let dir = dir.as_os_str().as_bytes();
    let rest = p.as_os_str().as_bytes().strip_prefix(dir)?;
    let rest = if dir.ends_with(b"/") { rest } else { rest.strip_prefix(b"/")? };
    let rel = std::str::from_utf8(rest).ok()?;
    let plain = !rel.contains('\\') && rel.split('/').all(|name| !matches!(name, "" | "." | ".."));
    plain.then_some(rel)
}

#[cfg(not(unix))]
fn plain_rel<'p>(_: &Path, _: &'p Path) -> Option<&'p str> {
    None
}

/// A name as dataset text: UTF-8 names unchanged unless they hold a backslash; invalid bytes
/// as `\xNN`.
fn escape_name(name: &std::ffi::OsStr) -> String {
    #[cfg(unix)]
    let bytes = std::os::unix::ffi::OsStrExt::as_bytes(name);
    #[cfg(not(unix))]
    let lossy = name.to_string_lossy();
    #[cfg(not(unix))]
    let bytes = lossy.as_bytes();
    let mut out = String::with_capacity(bytes.len());
    for chunk in bytes.utf8_chunks() {
        out.push_str(&chunk.valid().replace('\\', "\\\\"));
        for b in chunk.invalid() {
            out.push_str(&format!("\\x{b:02x}"));
        }
    }
    out
}

/// The bytes of a path the walk wrote (relative, `/`-separated): the inverse of the escaping,
/// for finding a file whose name is not UTF-8 from its `files.path`.
pub fn path_bytes(path: &str) -> Vec<u8> {
    let b = path.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'\\' && b.get(i + 1) == Some(&b'\\') {
            out.push(b'\\');
            i += 2;
        } else if b[i] == b'\\'
            && b.get(i + 1) == Some(&b'x')
            && let Some(v) = b.get(i + 2..i + 4).and_then(|h| std::str::from_utf8(h).ok())
            && let Ok(v) = u8::from_str_radix(v, 16)
        {
            out.push(v);
            i += 4;
        } else {
            out.push(b[i]);
            i += 1;
        }
    }
    out
}

fn kind(ft: &std::fs::FileType) -> &'static str {
    #[cfg(unix)]
    {
        use std::os::unix::fs::FileTypeExt;
        if ft.is_fifo() {
            return "a FIFO";
        } else if ft.is_socket() {
            return "a socket";
        } else if ft.is_block_device() || ft.is_char_device() {
            return "a device";
        }
    }
    let _ = ft;
    "a special file"
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

    #[cfg(unix)]
    #[test]
    fn a_plain_relative_path_is_the_one_read_name_by_name() {
        use std::os::unix::ffi::OsStrExt;
        let slow = |dir: &Path, p: &Path| -> String {
            p.strip_prefix(dir).unwrap_or(p).iter().map(escape_name).collect::<Vec<_>>().join("/")
        };
        let mut rng = fastrand::Rng::with_seed(5);
        let pieces: [&[u8]; 10] = [b"a", b"\xe9\xa1\xb9", b"/", b".", b"..", b"\\", b"\xff", b" ", b"x.txt", b"//"];
        let mut plain = 0;
        for _ in 0..20_000 {
            let mut bytes =
                |n: usize| -> Vec<u8> { (0..n).flat_map(|_| pieces[rng.usize(..pieces.len())].to_vec()).collect() };
            let dir = std::path::PathBuf::from(std::ffi::OsStr::from_bytes(&bytes(3)));
            let tail = bytes(4);
            let mut path = dir.as_os_str().as_bytes().to_vec();
            path.push(b'/');
            path.extend_from_slice(&tail);
            let path = std::path::PathBuf::from(std::ffi::OsStr::from_bytes(&path));
            if let Some(rel) = plain_rel(&dir, &path) {
                plain += 1;
                assert_eq!(rel, slow(&dir, &path), "{dir:?} {path:?}");
            }
        }
        assert!(plain > 1000, "only {plain} plain paths: the test no longer reaches the fast reading");
    }

    #[test]
    fn a_walk_split_over_threads_lists_what_one_thread_lists() {
        let dir = tempfile::tempdir().unwrap();
        for i in 0..5000 {
            let sub = dir.path().join(format!("d{}/e{}", i % 7, i % 3));
            std::fs::create_dir_all(&sub).unwrap();
            std::fs::write(sub.join(format!("f{i}.txt")), "x".repeat(i % 50)).unwrap();
        }
        std::fs::write(dir.path().join("skip.me"), "").unwrap();
        let keep = |rel: &str| !rel.ends_with(".me");
        let root = || Root { dir: dir.path().to_path_buf(), prefix: Some("p".into()), filter: Some(&keep) };
        let one = list(&[root()], 1);
        assert_eq!(one.len(), 5000);
        for threads in [2, 3, 8] {
            assert_eq!(list(&[root()], threads), one, "{threads} threads");
        }
    }

    #[test]
    fn order_is_deterministic_and_paths_are_relative() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::create_dir_all(dir.path().join("b/c")).unwrap();
        std::fs::write(dir.path().join("b/c/x.TXT"), "1").unwrap();
        std::fs::write(dir.path().join("a"), "2").unwrap();
        #[cfg(unix)]
        std::os::unix::fs::symlink("/etc/hostname", dir.path().join("link")).unwrap();
        let got = list(&[Root { dir: dir.path().to_path_buf(), prefix: None, filter: None }], 1);
        let rels: Vec<_> = got.iter().map(|e| e.rel.as_str()).collect();
        assert_eq!(rels, ["a", "b/c/x.TXT"]);
    }

    #[cfg(unix)]
    #[test]
    fn names_that_are_not_utf8_stay_distinct_and_round_trip() {
        use std::os::unix::ffi::OsStrExt;
        let dir = tempfile::tempdir().unwrap();
        let names: [&[u8]; 4] = [b"\xb6\xab.txt", b"\xb6\xac.txt", b"back\\x41slash", "项目.txt".as_bytes()];
        for n in names {
            std::fs::write(dir.path().join(std::ffi::OsStr::from_bytes(n)), "1").unwrap();
        }
        let got = list(&[Root { dir: dir.path().to_path_buf(), prefix: None, filter: None }], 1);
        assert_eq!(got.len(), 4);
        let mut back: Vec<Vec<u8>> = got.iter().map(|e| path_bytes(&e.rel)).collect();
        back.sort();
        let mut want: Vec<Vec<u8>> = names.iter().map(|n| n.to_vec()).collect();
        want.sort();
        assert_eq!(back, want);
        assert!(got.iter().any(|e| e.rel == "\\xb6\\xab.txt"));
        assert!(got.iter().any(|e| e.rel == "项目.txt"));
    }

    #[cfg(unix)]
    #[test]
    fn fifos_are_listed_as_not_regular() {
        let dir = tempfile::tempdir().unwrap();
        let fifo = dir.path().join("pipe.txt");
        assert!(std::process::Command::new("mkfifo").arg(&fifo).status().unwrap().success());
        let got = list(&[Root { dir: dir.path().to_path_buf(), prefix: None, filter: None }], 1);
        assert_eq!(got.len(), 1);
        assert!(got[0].error.as_deref().unwrap().starts_with("not_regular: a FIFO"), "{:?}", got[0]);
    }
}
