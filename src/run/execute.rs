//! Run stage, execute: the per-file stages on `jobs` worker threads, their outcomes handed
//! to the sink in walk order by one writer thread.
//!
//! Workers take files from one shared counter, so files are read in walk order and an
//! outcome waits for the writer only while the few files before it are still being read.
//! (Splitting the list between threads, as a parallel iterator does, made the writer hold
//! every outcome of the second half until the first half was done: memory grew with the
//! corpus.) A worker that gets more than `WINDOW` files ahead of the writer waits, so one
//! slow file holds back at most `WINDOW` outcomes, whatever the corpus size.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, mpsc};
use std::time::Instant;

use super::RunError;
use super::plan::Known;
use crate::config::Limits;
use crate::ingest::process::{self, Outcome};
use crate::ingest::walk::Entry;
use crate::store::records::Status;
use crate::store::sink::Sink;

/// Files a worker may run ahead of the writer: bounds the outcomes held in memory.
const WINDOW: usize = 512;

/// Run totals folded over the parallel file loop.
#[derive(Debug, Default, Clone, Copy)]
pub(super) struct Tally {
    pub ok: u64,
    pub partial: u64,
    pub rejected: u64,
    pub tables: u64,
    pub bytes: u64,
}

impl Tally {
    fn of(o: &Outcome) -> Tally {
        let mut t = Tally { bytes: o.bytes_read, tables: o.projects.len() as u64, ..Tally::default() };
        t.count(o.file.status.as_str());
        t
    }

    /// Counts one file by its status name, as the snapshot records it.
    pub fn count(&mut self, status: &str) {
        match status {
            "ok" => self.ok += 1,
            "partial" => self.partial += 1,
            _ => self.rejected += 1,
        }
    }

    fn merge(self, o: Tally) -> Tally {
        Tally {
            ok: self.ok + o.ok,
            partial: self.partial + o.partial,
            rejected: self.rejected + o.rejected,
            tables: self.tables + o.tables,
            bytes: self.bytes + o.bytes,
        }
    }
}

/// What the writer saw while it wrote: files whose content did or did not change, and problems.
#[derive(Debug, Default)]
pub(super) struct Written {
    pub changed: u64,
    pub same_content: u64,
    pub problems: Vec<String>,
}

/// Problems listed in a summary; the `files` dataset holds all of them.
pub(super) const MAX_PROBLEMS: usize = 50;

pub(super) fn problem_line(path: &str, status: &str, error: Option<&str>) -> String {
    format!("{path}: {status} {}", error.unwrap_or(""))
}

/// Reads `todo` on `limits.thread_count()` threads and writes every outcome into `sink`, in walk order.
pub(super) fn execute(
    todo: &[&Entry],
    known: &HashMap<String, Known>,
    mut sink: Sink,
    limits: Limits,
    progress: bool,
) -> Result<(Sink, Tally, Written), RunError> {
    let jobs = limits.thread_count().max(1);
    let bar = Progress::new(progress, todo.len() as u64);
    let queue = Queue::default();
    let (tx, rx) = mpsc::sync_channel::<(usize, Outcome)>(WINDOW);
    let (tallies, written) = std::thread::scope(|s| {
        let writer = s.spawn(|| write_in_order(rx, known, &mut sink, &queue));
        let mut workers = Vec::with_capacity(jobs);
        for _ in 0..jobs {
            let (tx, queue, bar) = (tx.clone(), &queue, &bar);
            let spawned = std::thread::Builder::new()
                .name("jixiao-worker".into())
                .spawn_scoped(s, move || work(todo, limits, &tx, queue, bar));
            workers.push(spawned);
        }
        drop(tx);
        let tallies: Vec<_> = workers.into_iter().map(|w| w.map(|h| h.join())).collect();
        (tallies, writer.join())
    });
    bar.finish();
    let mut tally = Tally::default();
    for t in tallies {
        let t = t.map_err(|e| RunError::Threads { jobs, message: e.to_string() })?;
        tally = tally.merge(t.map_err(|_| RunError::Threads { jobs, message: "a worker thread panicked".into() })?);
    }
    let written = written.map_err(|_| RunError::Io {
        path: sink.root().to_path_buf(),
        source: std::io::Error::other("the writer thread panicked"),
    })??;
    Ok((sink, tally, written))
}

/// The next file to read, and how far the writer has got.
#[derive(Default)]
struct Queue {
    next: AtomicUsize,
    written: Mutex<usize>,
    advanced: Condvar,
}

impl Queue {
    /// Takes the next file index, first waiting while it is `WINDOW` or more ahead of the writer.
    fn take(&self) -> usize {
        let i = self.next.fetch_add(1, Ordering::Relaxed);
        let mut written = self.written.lock().unwrap_or_else(|e| e.into_inner());
        while i >= *written + WINDOW {
            written = self.advanced.wait(written).unwrap_or_else(|e| e.into_inner());
        }
        i
    }

    /// The writer has written every outcome before `n`; also called with `usize::MAX` when it
    /// stops, so no worker waits for a writer that is gone.
    fn written_up_to(&self, n: usize) {
        *self.written.lock().unwrap_or_else(|e| e.into_inner()) = n;
        self.advanced.notify_all();
    }
}

/// One worker: reads files in walk order until none are left or the writer has stopped.
fn work(
    todo: &[&Entry],
    limits: Limits,
    tx: &mpsc::SyncSender<(usize, Outcome)>,
    queue: &Queue,
    bar: &Progress,
) -> Tally {
    let mut tally = Tally::default();
    loop {
        let i = queue.take();
        let Some(e) = todo.get(i) else { return tally };
        let o = process::process(e, limits);
        tally = tally.merge(Tally::of(&o));
        bar.file_done(e.size);
        if o.file.status != Status::Ok {
            tracing::debug!(path = %o.file.path, status = o.file.status.as_str(), error = o.file.error.as_deref().unwrap_or(""), "file not ok");
        }
        if tx.send((i, o)).is_err() {
            // The writer stopped on an error it reports itself.
            return tally;
        }
    }
}

/// The writer thread: outcomes arrive in completion order and leave in walk order, so the
/// dataset is the same whatever the thread count.
fn write_in_order(
    rx: mpsc::Receiver<(usize, Outcome)>,
    known: &HashMap<String, Known>,
    sink: &mut Sink,
    queue: &Queue,
) -> Result<Written, RunError> {
    let written = write_outcomes(rx, known, sink, queue);
    queue.written_up_to(usize::MAX);
    written
}

fn write_outcomes(
    rx: mpsc::Receiver<(usize, Outcome)>,
    known: &HashMap<String, Known>,
    sink: &mut Sink,
    queue: &Queue,
) -> Result<Written, RunError> {
    let mut pending: BTreeMap<usize, Outcome> = BTreeMap::new();
    let mut next = 0usize;
    let mut w = Written::default();
    for (i, o) in rx {
        pending.insert(i, o);
        while let Some(o) = pending.remove(&next) {
            next += 1;
            if let Some(k) = known.get(&o.file.path) {
                if k.hash.is_some() && k.hash == o.file.content_hash {
                    w.same_content += 1;
                } else {
                    w.changed += 1;
                }
            }
            if o.file.status != Status::Ok && w.problems.len() < MAX_PROBLEMS {
                w.problems.push(problem_line(&o.file.path, o.file.status.as_str(), o.file.error.as_deref()));
            }
            sink.push_file(&o.file)?;
            for p in &o.projects {
                sink.push_project(p)?;
            }
            for b in &o.indicators {
                sink.push_indicators(&o.file.path, b.year, &b.rows)?;
            }
        }
        queue.written_up_to(next);
    }
    Ok(w)
}

/// Files done / total, MB/s and ETA on a terminal; nothing when stderr is not a terminal.
/// Per-file messages go to `debug` while it is drawn, so log lines don't tear through it.
struct Progress {
    bar: Option<indicatif::ProgressBar>,
    started: Instant,
    bytes: AtomicU64,
}

impl Progress {
    fn new(enabled: bool, files: u64) -> Progress {
        use std::io::IsTerminal;
        let bar = (enabled && std::io::stderr().is_terminal() && files > 0).then(|| {
            let bar = indicatif::ProgressBar::new(files);
            let style = indicatif::ProgressStyle::with_template("{bar:40} {pos}/{len} files  {msg}  ETA {eta}")
                .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar());
            bar.set_style(style);
            bar
        });
        Progress { bar, started: Instant::now(), bytes: AtomicU64::new(0) }
    }

    fn file_done(&self, size: u64) {
        if let Some(b) = &self.bar {
            let done = self.bytes.fetch_add(size, Ordering::Relaxed) + size;
            let secs = self.started.elapsed().as_secs_f64().max(1e-3);
            b.set_message(format!("{:.1} MB/s", done as f64 / 1e6 / secs));
            b.inc(1);
        }
    }

    fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}
