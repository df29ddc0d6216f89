//! Pipeline files: the TOML that describes a run (inputs, output, limits, retention, report).
//!
//! A pipeline file is checked in two passes. The first ([`check`]) walks the raw
//! [`toml::Table`] against [`schema::KEYS`] and collects *every* problem (unknown keys with
//! a "did you mean", wrong types, missing required keys, out-of-range values, invalid
//! globs). Only when that pass finds nothing are the schema's defaults written into the table
//! and the table deserialized into the strict serde structs, which then cannot fail except
//! through a bug (reported as a problem, never a panic).
//!
//! Relative paths (`input[].root`, `output.dir`, `report.dir`) are kept as written and
//! resolved against the current working directory at run time, not against the pipeline
//! file's location: one rule, the same as every other command-line tool, and `make run` runs
//! from the repository root.
//!
//! The user-facing reference is `docs/pipelines.md`; its key table is
//! [`schema::markdown_table`], checked by a unit test so the two cannot drift.

mod check;
pub mod schema;
pub mod shard;

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};
use serde::Deserialize;
use toml::{Table, Value};

pub use schema::{
    DEFAULT_COMPRESSION, DEFAULT_KEEP_SNAPSHOTS, DEFAULT_MAX_FILE_BYTES, DEFAULT_MAX_FILE_SECONDS,
    DEFAULT_MAX_HTML_DEPTH, DEFAULT_THREADS,
};
pub use shard::Shard;

// ---------------------------------------------------------------------------
// Typed configuration
// ---------------------------------------------------------------------------

/// A checked pipeline file with every default applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pipeline {
    /// `name`, required: `[a-z0-9_-]+`.
    pub name: String,
    /// `[[input]]`, required: at least one.
    pub inputs: Vec<Input>,
    /// `[output]`, required.
    pub output: Output,
    /// `[limits]`, optional: every field has a default.
    pub limits: Limits,
    /// `[report]`, optional: disabled by default.
    pub report: Report,
    /// `[log]`, optional.
    pub log: Log,
    /// `shard`, optional: this process reads only its slice of the inputs.
    pub shard: Option<Shard>,
}

/// One `[[input]]` table: a directory tree and which files in it to read.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// `root`, required. Relative paths resolve against the working directory.
    pub root: PathBuf,
    /// `include`, default `["**/*"]`: globs relative to `root`; a file is a
    /// candidate if it matches any of them.
    pub include: Vec<String>,
    /// `exclude`, default `[]`: globs relative to `root`; a match here wins
    /// over `include`.
    pub exclude: Vec<String>,
}

/// `[output]`: where snapshots go and how many are kept.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Output {
    /// `dir`, required. Relative paths resolve against the working directory.
    pub dir: PathBuf,
    /// `keep_snapshots`, default 5, at least 1.
    pub keep_snapshots: u32,
    /// `delta`, optional: a Delta Lake root (`file://…`, `s3://…`) the run stages into.
    pub delta: Option<String>,
    /// `compression`, default snappy: how every Parquet file of the run is compressed.
    pub compression: Codec,
}

/// Resource bounds for one run: `[limits]` of a pipeline file, or `jixiao ingest`'s flags.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(from = "RawLimits")]
pub struct Limits {
    /// `threads`, default 0: one worker per available core (see [`Limits::thread_count`]).
    pub threads: usize,
    /// `max_file_bytes`, default 64 MiB: a larger file is rejected (`too_large`) unread.
    pub max_file_bytes: u64,
    /// `max_file_seconds`, default 30 s: a file whose parse took longer is rejected
    /// (`too_slow`) instead of holding rows nobody can trust to be complete. The parse is not
    /// interrupted.
    pub max_file_time: Duration,
    /// `max_html_depth`, default 512: an HTML page nested deeper is rejected (`too_deep`).
    pub max_html_depth: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            threads: DEFAULT_THREADS,
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            max_file_time: Duration::from_secs(DEFAULT_MAX_FILE_SECONDS),
            max_html_depth: DEFAULT_MAX_HTML_DEPTH,
        }
    }
}

impl Limits {
    /// The number of worker threads to start: `threads`, or the number of
    /// available cores when it is 0 (1 if that cannot be determined).
    pub fn thread_count(&self) -> usize {
        if self.threads > 0 {
            return self.threads;
        }
        std::thread::available_parallelism().map(|n| n.get()).unwrap_or(1)
    }
}

// `[limits]` as written: whole seconds, the unit the docs and the checker use.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawLimits {
    threads: usize,
    max_file_bytes: u64,
    max_file_seconds: u64,
    max_html_depth: usize,
}

impl From<RawLimits> for Limits {
    fn from(raw: RawLimits) -> Self {
        Limits {
            threads: raw.threads,
            max_file_bytes: raw.max_file_bytes,
            max_file_time: Duration::from_secs(raw.max_file_seconds),
            max_html_depth: raw.max_html_depth,
        }
    }
}

/// `[report]`: the optional yearly report written after the run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Report {
    /// `enabled`, default false.
    pub enabled: bool,
    /// `year`, default `None` = the latest year in the dataset; 1990..=2100.
    pub year: Option<u16>,
    /// `region`, default `None` = all regions.
    pub region: Option<String>,
    /// `dir`, default `<output.dir>/report` (already filled in here).
    pub dir: PathBuf,
}

/// `[log]`: how the run logs.
#[derive(Debug, Clone, Default, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Log {
    /// `format`, default `"human"`.
    pub format: LogFormat,
}

/// `output.compression`: how every Parquet file of a run is compressed (`--compression` of
/// `jixiao ingest` and `jixiao commit`); `store::parquet` maps it to the writer's setting.
///
/// Snappy is the default, as it is Spark's, DuckDB's and pyarrow's: a 500-file run took 7 %
/// fewer instructions than with zstd (Parquet encoding 30 % fewer: 408 -> 288 M), and the
/// 5,000-file dataset is 42 % larger (5.3 -> 7.5 MB). zstd (level 3) is there for outputs kept
/// long or shipped far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Codec {
    #[default]
    Snappy,
    Zstd,
}

impl Codec {
    /// The names a pipeline file and the command line accept.
    pub const NAMES: [&'static str; 2] = ["snappy", "zstd"];

    pub fn from_name(name: &str) -> Option<Codec> {
        match name {
            "snappy" => Some(Codec::Snappy),
            "zstd" => Some(Codec::Zstd),
            _ => None,
        }
    }
}

/// `log.format`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Readable lines for a terminal.
    #[default]
    Human,
    /// One JSON object per line, for the scheduler's log collector.
    Json,
}

impl LogFormat {
    /// The spelling used in pipeline files.
    pub fn as_str(self) -> &'static str {
        match self {
            LogFormat::Human => "human",
            LogFormat::Json => "json",
        }
    }
}

// The file's shape where it differs from the typed result: `report.dir` has a
// default that depends on `output.dir`, so it is optional here and filled in
// by `into_pipeline`. Every other default was written into the table by
// `schema::apply_defaults`, so nothing here has a serde default.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPipeline {
    name: String,
    #[serde(rename = "input")]
    inputs: Vec<Input>,
    output: Output,
    limits: Limits,
    report: RawReport,
    log: Log,
    shard: Option<Shard>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawReport {
    enabled: bool,
    year: Option<u16>,
    region: Option<String>,
    dir: Option<PathBuf>,
}

impl RawPipeline {
    fn into_pipeline(self) -> Pipeline {
        let report_dir = self.report.dir.unwrap_or_else(|| self.output.dir.join("report"));
        Pipeline {
            name: self.name,
            inputs: self.inputs,
            output: self.output,
            limits: self.limits,
            report: Report {
                enabled: self.report.enabled,
                year: self.report.year,
                region: self.report.region,
                dir: report_dir,
            },
            log: self.log,
            shard: self.shard,
        }
    }
}

// ---------------------------------------------------------------------------
// Input matching
// ---------------------------------------------------------------------------

/// Decides which files under an input root are read.
#[derive(Debug, Clone)]
pub struct InputMatcher {
    include: GlobSet,
    exclude: GlobSet,
}

impl InputMatcher {
    /// True if `rel_path` (relative to the root, `/`-separated) matches any
    /// include glob and no exclude glob.
    pub fn is_match(&self, rel_path: &str) -> bool {
        self.include.is_match(rel_path) && !self.exclude.is_match(rel_path)
    }
}

impl Input {
    /// Compiles `include` and `exclude`. Cannot fail for an `Input` that came
    /// from [`load`]; a hand-built one with bad globs gets
    /// [`ConfigError::Invalid`] naming the root and every bad glob.
    pub fn matcher(&self) -> Result<InputMatcher, ConfigError> {
        let mut problems = Vec::new();
        let include = build_set("include", &self.include, &mut problems);
        let exclude = build_set("exclude", &self.exclude, &mut problems);
        match (include, exclude) {
            (Some(include), Some(exclude)) if problems.is_empty() => Ok(InputMatcher { include, exclude }),
            _ => Err(ConfigError::Invalid { path: self.root.clone(), problems }),
        }
    }
}

fn build_set(key: &str, patterns: &[String], problems: &mut Vec<Problem>) -> Option<GlobSet> {
    let mut builder = GlobSetBuilder::new();
    for (i, pattern) in patterns.iter().enumerate() {
        match build_glob(pattern) {
            Ok(glob) => {
                builder.add(glob);
            }
            Err(message) => problems.push(Problem::new(format!("{key}[{i}]"), message)),
        }
    }
    match builder.build() {
        Ok(set) => Some(set),
        Err(e) => {
            problems.push(Problem::new(key, format!("cannot compile globs: {e}")));
            None
        }
    }
}

// One definition of glob syntax for both checking and matching, so a glob that
// passes `validate` behaves the same at run time. `*` stays within one path
// segment (use `**` to cross directories): `README.md` then means the file at
// the root only, which is what people expect from a path relative to a root.
fn build_glob(pattern: &str) -> Result<Glob, String> {
    GlobBuilder::new(pattern)
        .literal_separator(true)
        .build()
        .map_err(|e| format!("invalid glob {pattern:?}: {}", e.kind()))
}

// ---------------------------------------------------------------------------
// Problems and errors
// ---------------------------------------------------------------------------

/// One thing wrong with a pipeline file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Problem {
    /// Dotted path to the offending key, e.g. `input[1].include[0]`; empty for
    /// problems with the file as a whole (unreadable, not TOML).
    pub key: String,
    /// What is wrong and, where it helps, how to fix it.
    pub message: String,
}

impl Problem {
    fn new(key: impl Into<String>, message: impl Into<String>) -> Self {
        Problem { key: key.into(), message: message.into() }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.key.is_empty() { f.write_str(&self.message) } else { write!(f, "{}: {}", self.key, self.message) }
    }
}

/// Why a pipeline file could not be loaded.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read (missing, permissions, not UTF-8).
    #[error("cannot read pipeline file {}: {source}", path.display())]
    Read { path: PathBuf, source: io::Error },
    /// The file is not valid TOML; `message` carries line and column.
    #[error("{}: invalid TOML: {message}", path.display())]
    Parse { path: PathBuf, message: String },
    /// The file is TOML but does not describe a valid pipeline; `problems`
    /// lists all of them, not just the first.
    #[error("{}", invalid_message(path, problems))]
    Invalid { path: PathBuf, problems: Vec<Problem> },
}

fn invalid_message(path: &Path, problems: &[Problem]) -> String {
    let noun = if problems.len() == 1 { "problem" } else { "problems" };
    let mut out = format!("{}: {} {noun}", path.display(), problems.len());
    for problem in problems {
        out.push_str("\n  ");
        out.push_str(&problem.to_string());
    }
    out
}

// ---------------------------------------------------------------------------
// Entry points
// ---------------------------------------------------------------------------

/// Reads and checks a pipeline file. On any problem returns
/// [`ConfigError::Invalid`] with all of them.
pub fn load(path: &Path) -> Result<Pipeline, ConfigError> {
    let text =
        std::fs::read_to_string(path).map_err(|source| ConfigError::Read { path: path.to_path_buf(), source })?;
    parse(&text, path)
}

/// Checks pipeline text that did not come from a file read by [`load`];
/// `path` is used only in error messages.
pub fn parse(text: &str, path: &Path) -> Result<Pipeline, ConfigError> {
    match check_text(text) {
        Ok(pipeline) => Ok(pipeline),
        Err(Failure::Syntax(message)) => Err(ConfigError::Parse { path: path.to_path_buf(), message }),
        Err(Failure::Problems(problems)) => Err(ConfigError::Invalid { path: path.to_path_buf(), problems }),
    }
}

/// Every problem with a pipeline file at once; empty means valid. An
/// unreadable file or a TOML syntax error is one problem with an empty key.
pub fn validate(path: &Path) -> Vec<Problem> {
    match load(path) {
        Ok(_) => Vec::new(),
        Err(ConfigError::Invalid { problems, .. }) => problems,
        Err(e @ (ConfigError::Read { .. } | ConfigError::Parse { .. })) => {
            vec![Problem::new("", e.to_string())]
        }
    }
}

enum Failure {
    Syntax(String),
    Problems(Vec<Problem>),
}

fn check_text(text: &str) -> Result<Pipeline, Failure> {
    // Editors on Windows may save a byte-order mark; it is not part of the TOML.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut table: Table = toml::from_str(text).map_err(|e| Failure::Syntax(syntax_message(text, &e)))?;
    let problems = check::check_table(&table);
    if !problems.is_empty() {
        return Err(Failure::Problems(problems));
    }
    schema::apply_defaults(&mut table);
    // The walk above accepts exactly what these structs accept; if they ever
    // disagree, say so as a problem rather than panic in a nightly job.
    Value::Table(table).try_into::<RawPipeline>().map(RawPipeline::into_pipeline).map_err(|e| {
        Failure::Problems(vec![Problem::new(
            "",
            format!("internal: schema check passed but decoding failed: {}", e.message()),
        )])
    })
}

// A single line ("line 3, column 9: ...") so it fits the one-problem-per-line
// output of `jixiao validate` and a JSON log field.
fn syntax_message(text: &str, e: &toml::de::Error) -> String {
    let message = e.message().trim().replace('\n', "; ");
    match e.span() {
        Some(span) => {
            let start = span.start.min(text.len());
            let before = text.get(..start).unwrap_or(text);
            let line = before.matches('\n').count() + 1;
            let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
            format!("line {line}, column {column}: {message}")
        }
        None => message,
    }
}

#[cfg(test)]
mod tests;
