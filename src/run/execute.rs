//! Run stage, execute: the per-file stages on `jobs` worker threads, their outcomes handed
//! to the sink in walk order by the workers themselves, one at a time.
//!
//! Workers take files from one shared counter, so files are read in walk order and an
//! outcome waits for its turn only while the few files before it are still being read.
//! (Splitting the list between threads, as a parallel iterator does, made the writer hold
//! every outcome of the second half until the first half was done: memory grew with the
//! corpus.) A worker that gets more than `WINDOW` files ahead of the written ones waits, so
//! one slow file holds back at most `WINDOW` outcomes, whatever the corpus size.
//!
//! There is no writer thread: a worker that finishes a file leaves its outcome with the
//! others waiting for their turn and, unless another worker is writing already, writes every
//! outcome whose turn has come. A writer thread of its own was a third thread on two cores,
//! woken once per file through a channel, and it preempted a worker each time.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex};
use std::time::Instant;

use super::RunError;
use super::plan::Known;
use crate::config::Limits;
use crate::ingest::process::{self, Outcome};
use crate::ingest::walk::Entry;
use crate::store::records::Status;
use crate::store::sink::Sink;

/// Files a worker may run ahead of the written outcomes: bounds the outcomes held in memory.
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
    sink: Sink,
    limits: Limits,
    progress: bool,
) -> Result<(Sink, Tally, Written), RunError> {
    let jobs = limits.thread_count().max(1);
    let bar = Progress::new(progress, todo.len() as u64);
    let turns = Turns::new(Writer { sink, known, seen: Written::default() });
    let tallies = std::thread::scope(|s| {
        let mut workers = Vec::with_capacity(jobs);
        for _ in 0..jobs {
            let (turns, bar) = (&turns, &bar);
            let spawned = std::thread::Builder::new()
                .name("jixiao-worker".into())
                .spawn_scoped(s, move || work(todo, limits, turns, bar));
            workers.push(spawned);
        }
        workers.into_iter().map(|w| w.map(|h| h.join())).collect::<Vec<_>>()
    });
    bar.finish();
    let mut tally = Tally::default();
    for t in tallies {
        let t = t.map_err(|e| RunError::Threads { jobs, message: e.to_string() })?;
        tally = tally.merge(t.map_err(|_| RunError::Threads { jobs, message: "a worker thread panicked".into() })?);
    }
    let (writer, order) = turns.into_parts();
    if let Some(e) = order.failed {
        return Err(e);
    }
    if !order.waiting.is_empty() {
        return Err(RunError::Threads { jobs, message: "outcomes were left unwritten".into() });
    }
    Ok((writer.sink, tally, writer.seen))
}

/// One worker: reads files in walk order until none are left or writing has failed.
fn work(todo: &[&Entry], limits: Limits, turns: &Turns<'_>, bar: &Progress) -> Tally {
    let mut tally = Tally::default();
    loop {
        let Some(i) = turns.take() else { return tally };
        let Some(e) = todo.get(i) else { return tally };
        let o = process::process(e, limits);
        tally = tally.merge(Tally::of(&o));
        bar.file_done(e.size);
        if o.file.status != Status::Ok {
            tracing::debug!(path = %o.file.path, status = o.file.status.as_str(), error = o.file.error.as_deref().unwrap_or(""), "file not ok");
        }
        turns.hand_in(i, o);
    }
}

/// Outcomes waiting for their turn, and how far writing has got.
#[derive(Default)]
struct Order {
    waiting: BTreeMap<usize, Outcome>,
    /// Every outcome before this one is written.
    written: usize,
    /// Writing failed: no more files are taken, and the run reports this error.
    failed: Option<RunError>,
    /// Workers waiting for the window: only then is the condvar woken (a futex call each).
    sleepers: usize,
}

/// The hand-off between workers and the sink: outcomes arrive in completion order and are
/// written in walk order, so the dataset is the same whatever the thread count.
struct Turns<'a> {
    next: AtomicUsize,
    order: Mutex<Order>,
    advanced: Condvar,
    writer: Mutex<Writer<'a>>,
}

impl<'a> Turns<'a> {
    fn new(writer: Writer<'a>) -> Turns<'a> {
        Turns {
            next: AtomicUsize::new(0),
            order: Mutex::new(Order::default()),
            advanced: Condvar::new(),
            writer: Mutex::new(writer),
        }
    }

    fn order(&self) -> std::sync::MutexGuard<'_, Order> {
        self.order.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Takes the next file index, first waiting while it is `WINDOW` or more ahead of the
    /// written outcomes; `None` once writing has failed.
    fn take(&self) -> Option<usize> {
        let i = self.next.fetch_add(1, Ordering::Relaxed);
        let mut order = self.order();
        while order.failed.is_none() && i >= order.written + WINDOW {
            order.sleepers += 1;
            order = self.advanced.wait(order).unwrap_or_else(|e| e.into_inner());
            order.sleepers -= 1;
        }
        order.failed.is_none().then_some(i)
    }

    /// Leaves outcome `i` for writing, and writes every outcome whose turn has come unless
    /// another worker is writing: that one writes this outcome too when its turn comes.
    fn hand_in(&self, i: usize, o: Outcome) {
        self.order().waiting.insert(i, o);
        // The writing worker may have looked for this outcome just before it arrived and
        // then let go of the writer: whoever gets the writer looks again after letting go.
        while let Ok(mut writer) = self.writer.try_lock() {
            self.write_ready(&mut writer);
            drop(writer);
            let order = self.order();
            if order.failed.is_some() || !order.waiting.contains_key(&order.written) {
                return;
            }
        }
    }

    /// Writes the outcomes whose turn has come, taking them out a run at a time so the order
    /// lock is taken twice per run, not per outcome.
    fn write_ready(&self, writer: &mut Writer<'_>) {
        loop {
            let ready: Vec<Outcome> = {
                let mut guard = self.order();
                let order = &mut *guard;
                let mut ready = Vec::new();
                while order.failed.is_none()
                    && let Some(o) = order.waiting.remove(&(order.written + ready.len()))
                {
                    ready.push(o);
                }
                ready
            };
            if ready.is_empty() {
                return;
            }
            let mut written = 0;
            let mut result = Ok(());
            for o in &ready {
                result = writer.write(o);
                written += 1;
                if result.is_err() {
                    break;
                }
            }
            drop(ready);
            let mut order = self.order();
            order.written += written;
            if let Err(e) = result {
                order.failed = Some(e);
            }
            if order.sleepers > 0 {
                self.advanced.notify_all();
            }
        }
    }

    fn into_parts(self) -> (Writer<'a>, Order) {
        let writer = self.writer.into_inner().unwrap_or_else(|e| e.into_inner());
        let order = self.order.into_inner().unwrap_or_else(|e| e.into_inner());
        (writer, order)
    }
}

/// The sink and what was seen while writing into it.
struct Writer<'a> {
    sink: Sink,
    known: &'a HashMap<String, Known>,
    seen: Written,
}

impl Writer<'_> {
    fn write(&mut self, o: &Outcome) -> Result<(), RunError> {
        let w = &mut self.seen;
        if let Some(k) = self.known.get(&o.file.path) {
            if k.hash.is_some() && k.hash == o.file.content_hash {
                w.same_content += 1;
            } else {
                w.changed += 1;
            }
        }
        if o.file.status != Status::Ok && w.problems.len() < MAX_PROBLEMS {
            w.problems.push(problem_line(&o.file.path, o.file.status.as_str(), o.file.error.as_deref()));
        }
        self.sink.push_file(&o.file)?;
        for p in &o.projects {
            self.sink.push_project(p)?;
        }
        for b in &o.indicators {
            self.sink.push_indicators(&o.file.path, b.year, &b.rows)?;
        }
        Ok(())
    }
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
