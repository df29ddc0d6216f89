//! Pipeline files: the TOML that describes a run (inputs, output, limits, retention, report).
//!
//! A pipeline file is checked in two passes. The first walks the raw
//! [`toml::Table`] against the known schema and collects *every* problem
//! (unknown keys with a "did you mean", wrong types, missing required keys,
//! out-of-range values, invalid globs), because serde's `deny_unknown_fields`
//! stops at the first error and a nightly job that fails five times in a row
//! for five typos is worse than one that lists all five. Only when that pass
//! finds nothing is the table deserialized into the strict serde structs,
//! which then cannot fail except through a bug (reported as a problem, never a
//! panic).
//!
//! Relative paths (`input[].root`, `output.dir`, `report.dir`) are kept as
//! written and resolved against the current working directory at run time,
//! not against the pipeline file's location: one rule, the same as every other
//! command-line tool, and `make run` runs from the repository root.
//!
//! The user-facing reference is `docs/pipelines.md`; its key table is checked
//! against [`defaults_table`] by a unit test so the two cannot drift.

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};
use std::time::Duration;

use globset::{Glob, GlobBuilder, GlobSet, GlobSetBuilder};
use serde::Deserialize;
use toml::{Table, Value};

/// Default `input[].include`: every file under the root.
pub const DEFAULT_INCLUDE: &str = "**/*";
/// Default `output.keep_snapshots`.
pub const DEFAULT_KEEP_SNAPSHOTS: u32 = 5;
/// Default `limits.threads`; 0 means one worker per available core.
pub const DEFAULT_THREADS: usize = 0;
/// Upper bound for `limits.threads`: anything above is a typo, not a machine.
pub const MAX_THREADS: usize = 1024;
/// Default `limits.max_file_bytes` (64 MiB).
pub const DEFAULT_MAX_FILE_BYTES: u64 = 64 * 1024 * 1024;
/// Default `limits.max_file_seconds`.
pub const DEFAULT_MAX_FILE_SECONDS: u64 = 30;
/// Accepted `report.year` range (inclusive): the disclosures start in the
/// 2010s, so anything outside this is a typo such as `202` or `20200`.
pub const REPORT_YEAR_MIN: u16 = 1990;
/// See [`REPORT_YEAR_MIN`].
pub const REPORT_YEAR_MAX: u16 = 2100;

/// Every key a pipeline file may contain: `(key, default, meaning)`.
///
/// This is the single source for the key table in `docs/pipelines.md` (a test
/// checks each row appears there verbatim) and for the defaults applied by
/// [`load`] (a test checks they agree).
pub fn defaults_table() -> &'static [(&'static str, &'static str, &'static str)] {
    DEFAULTS
}

const DEFAULTS: &[(&str, &str, &str)] = &[
    ("name", "(required)", "Pipeline name, `[a-z0-9_-]+`; identifies the run in logs."),
    ("input", "(required)", "One `[[input]]` table per directory tree to scan; at least one."),
    ("input[].root", "(required)", "Directory to scan recursively."),
    (
        "input[].include",
        "[\"**/*\"]",
        "Globs, relative to `root`, of files to read; a file is read if it matches any of them.",
    ),
    ("input[].exclude", "[]", "Globs, relative to `root`, of files to skip even when included."),
    ("output.dir", "(required)", "Directory that receives the dataset snapshots."),
    (
        "output.keep_snapshots",
        "5",
        "How many snapshots to keep; older ones are deleted after a successful run. At least 1.",
    ),
    ("limits.threads", "0", "Worker threads; 0 means one per available core. At most 1024."),
    (
        "limits.max_file_bytes",
        "67108864",
        "Files larger than this (64 MiB by default) are rejected with a reason instead of parsed. At least 1.",
    ),
    (
        "limits.max_file_seconds",
        "30",
        "Parse time budget per file, in seconds; a file whose parse took longer is rejected with a reason (the parse is not interrupted, its rows are dropped). At least 1.",
    ),
    ("report.enabled", "false", "Write the yearly report after the run."),
    ("report.year", "(latest year in the dataset)", "Budget year to report on, 1990 to 2100."),
    ("report.region", "(all regions)", "Restrict the report to one region, e.g. `东莞市`."),
    ("report.dir", "<output.dir>/report", "Directory the report is written to."),
    ("log.format", "\"human\"", "`\"human\"` for readable lines, `\"json\"` for one JSON object per line."),
];

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
}

/// One `[[input]]` table: a directory tree and which files in it to read.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Input {
    /// `root`, required. Relative paths resolve against the working directory.
    pub root: PathBuf,
    /// `include`, default `["**/*"]`: globs relative to `root`; a file is a
    /// candidate if it matches any of them.
    #[serde(default = "default_include")]
    pub include: Vec<String>,
    /// `exclude`, default `[]`: globs relative to `root`; a match here wins
    /// over `include`.
    #[serde(default)]
    pub exclude: Vec<String>,
}

/// `[output]`: where snapshots go and how many are kept.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Output {
    /// `dir`, required. Relative paths resolve against the working directory.
    pub dir: PathBuf,
    /// `keep_snapshots`, default 5, at least 1.
    #[serde(default = "default_keep_snapshots")]
    pub keep_snapshots: u32,
}

/// `[limits]`: resource bounds for one run.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Limits {
    /// `threads`, default 0 (= all cores), at most 1024.
    pub threads: usize,
    /// `max_file_bytes`, default 67108864 (64 MiB), at least 1.
    pub max_file_bytes: u64,
    /// `max_file_seconds`, default 30, at least 1.
    pub max_file_seconds: u64,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            threads: DEFAULT_THREADS,
            max_file_bytes: DEFAULT_MAX_FILE_BYTES,
            max_file_seconds: DEFAULT_MAX_FILE_SECONDS,
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

    /// `max_file_seconds` as a [`Duration`].
    pub fn max_file_time(&self) -> Duration {
        Duration::from_secs(self.max_file_seconds)
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
#[serde(default, deny_unknown_fields)]
pub struct Log {
    /// `format`, default `"human"`.
    pub format: LogFormat,
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

fn default_include() -> Vec<String> {
    vec![DEFAULT_INCLUDE.to_string()]
}

fn default_keep_snapshots() -> u32 {
    DEFAULT_KEEP_SNAPSHOTS
}

// The file's shape where it differs from the typed result: `report.dir` has a
// default that depends on `output.dir`, so it is optional here and filled in
// by `into_pipeline`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawPipeline {
    name: String,
    #[serde(rename = "input")]
    inputs: Vec<Input>,
    output: Output,
    #[serde(default)]
    limits: Limits,
    #[serde(default)]
    report: RawReport,
    #[serde(default)]
    log: Log,
}

#[derive(Debug, Default, Deserialize)]
#[serde(default, deny_unknown_fields)]
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
    let table: Table = toml::from_str(text).map_err(|e| Failure::Syntax(syntax_message(text, &e)))?;
    let problems = check_table(&table);
    if !problems.is_empty() {
        return Err(Failure::Problems(problems));
    }
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

// ---------------------------------------------------------------------------
// Schema walk
// ---------------------------------------------------------------------------

const TOP_KEYS: &[&str] = &["name", "input", "output", "limits", "report", "log"];
const INPUT_KEYS: &[&str] = &["root", "include", "exclude"];
const OUTPUT_KEYS: &[&str] = &["dir", "keep_snapshots"];
const LIMITS_KEYS: &[&str] = &["threads", "max_file_bytes", "max_file_seconds"];
const REPORT_KEYS: &[&str] = &["enabled", "year", "region", "dir"];
const LOG_KEYS: &[&str] = &["format"];

// Where each key is allowed, to tell someone who wrote `threads` under
// `[output]` (or `name` after the first header) where it belongs.
const SECTIONS: &[(&str, &[&str])] = &[
    ("", TOP_KEYS),
    ("input", INPUT_KEYS),
    ("output", OUTPUT_KEYS),
    ("limits", LIMITS_KEYS),
    ("report", REPORT_KEYS),
    ("log", LOG_KEYS),
];

#[derive(Default)]
struct Checker {
    problems: Vec<Problem>,
}

fn join(prefix: &str, key: &str) -> String {
    if prefix.is_empty() { key.to_string() } else { format!("{prefix}.{key}") }
}

fn describe(value: &Value) -> String {
    match value {
        Value::String(s) => format!("string {s:?}"),
        Value::Integer(i) => format!("integer {i}"),
        Value::Float(x) => format!("float {x}"),
        Value::Boolean(b) => format!("boolean {b}"),
        other => other.type_str().to_string(),
    }
}

fn check_table(root: &Table) -> Vec<Problem> {
    let mut c = Checker::default();

    if let Some(name) = c.string(root, "", "name", true)
        && !is_valid_name(name)
    {
        c.push(
            "name",
            format!(
                "{name:?} is not a valid name: use only lowercase letters, digits, '_' and '-' \
                 so it is safe in log fields and file names"
            ),
        );
    }

    check_inputs(&mut c, root);
    check_output(&mut c, root);

    if let Some(t) = c.section(root, "limits") {
        c.int_in(t, "limits", "threads", 0, MAX_THREADS as i64, " (0 means all cores)");
        c.int_in(t, "limits", "max_file_bytes", 1, i64::MAX, "");
        c.int_in(t, "limits", "max_file_seconds", 1, i64::MAX, "");
        c.unknown_keys(t, "limits", "limits", LIMITS_KEYS);
    }

    if let Some(t) = c.section(root, "report") {
        c.boolean(t, "report", "enabled");
        c.int_in(t, "report", "year", i64::from(REPORT_YEAR_MIN), i64::from(REPORT_YEAR_MAX), "");
        c.string(t, "report", "region", false);
        c.string(t, "report", "dir", false);
        c.unknown_keys(t, "report", "report", REPORT_KEYS);
    }

    if let Some(t) = c.section(root, "log") {
        if let Some(format) = c.string(t, "log", "format", false)
            && !matches!(format, "human" | "json")
        {
            c.push("log.format", format!("must be \"human\" or \"json\", found {format:?}"));
        }
        c.unknown_keys(t, "log", "log", LOG_KEYS);
    }

    c.unknown_keys(root, "", "", TOP_KEYS);
    c.problems
}

fn is_valid_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

fn check_inputs(c: &mut Checker, root: &Table) {
    match root.get("input") {
        None => c.push("input", "required key missing: add at least one [[input]] table with a root"),
        Some(Value::Array(items)) => {
            if items.is_empty() {
                c.push("input", "must list at least one [[input]] table");
            }
            let mut roots: Vec<(usize, PathBuf)> = Vec::new();
            for (i, item) in items.iter().enumerate() {
                let key = format!("input[{i}]");
                let Value::Table(t) = item else {
                    c.push(key, format!("expected a table, found {}", describe(item)));
                    continue;
                };
                if let Some(root_dir) = c.string(t, &key, "root", true) {
                    let root_dir = PathBuf::from(root_dir);
                    if let Some((first, _)) = roots.iter().find(|(_, r)| *r == root_dir) {
                        c.push(
                            join(&key, "root"),
                            format!(
                                "same root as input[{first}]; merge the two [[input]] tables \
                                 so no file is read twice"
                            ),
                        );
                    } else {
                        roots.push((i, root_dir));
                    }
                }
                c.globs(t, &key, "include", true);
                c.globs(t, &key, "exclude", false);
                c.unknown_keys(t, &key, "input", INPUT_KEYS);
            }
        }
        Some(Value::Table(_)) => {
            c.push("input", "expected an array of tables: write [[input]] with double brackets, not [input]")
        }
        Some(other) => c.push("input", format!("expected an array of [[input]] tables, found {}", describe(other))),
    }
}

fn check_output(c: &mut Checker, root: &Table) {
    match root.get("output") {
        None => c.push("output", "required table missing: add [output] with dir = \"...\""),
        Some(Value::Table(t)) => {
            c.string(t, "output", "dir", true);
            c.int_in(t, "output", "keep_snapshots", 1, i64::from(u32::MAX), "");
            c.unknown_keys(t, "output", "output", OUTPUT_KEYS);
        }
        Some(other) => c.push("output", format!("expected a table ([output]), found {}", describe(other))),
    }
}

impl Checker {
    fn push(&mut self, key: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem::new(key, message));
    }

    /// An optional `[name]` table at the top level.
    fn section<'a>(&mut self, root: &'a Table, name: &str) -> Option<&'a Table> {
        match root.get(name)? {
            Value::Table(t) => Some(t),
            other => {
                self.push(name, format!("expected a table ([{name}]), found {}", describe(other)));
                None
            }
        }
    }

    /// A non-empty string; `None` when absent or wrong (the problem is recorded).
    fn string<'a>(&mut self, t: &'a Table, prefix: &str, key: &str, required: bool) -> Option<&'a str> {
        let full = join(prefix, key);
        match t.get(key) {
            None => {
                if required {
                    self.push(full, "required key missing");
                }
                None
            }
            Some(Value::String(s)) if s.trim().is_empty() => {
                self.push(full, "must not be empty");
                None
            }
            Some(Value::String(s)) => Some(s),
            Some(other) => {
                self.push(full, format!("expected a string, found {}", describe(other)));
                None
            }
        }
    }

    fn boolean(&mut self, t: &Table, prefix: &str, key: &str) {
        match t.get(key) {
            None | Some(Value::Boolean(_)) => {}
            Some(other) => self.push(join(prefix, key), format!("expected true or false, found {}", describe(other))),
        }
    }

    /// An optional integer in `min..=max`; `hint` is appended to range errors.
    fn int_in(&mut self, t: &Table, prefix: &str, key: &str, min: i64, max: i64, hint: &str) {
        let full = join(prefix, key);
        match t.get(key) {
            None => {}
            Some(Value::Integer(v)) => {
                let v = *v;
                if v < min {
                    self.push(full, format!("must be at least {min}{hint}, found {v}"));
                } else if v > max {
                    self.push(full, format!("must be at most {max}{hint}, found {v}"));
                }
            }
            Some(other) => self.push(full, format!("expected an integer, found {}", describe(other))),
        }
    }

    /// An optional list of globs. An explicit empty `include` matches nothing,
    /// which is never what was meant, so it is a problem; an empty `exclude`
    /// is the default.
    fn globs(&mut self, t: &Table, prefix: &str, key: &str, non_empty: bool) {
        let full = join(prefix, key);
        let items = match t.get(key) {
            None => return,
            Some(Value::Array(items)) => items,
            Some(other) => {
                self.push(full, format!("expected an array of glob strings, found {}", describe(other)));
                return;
            }
        };
        if non_empty && items.is_empty() {
            self.push(
                full.clone(),
                format!("must list at least one glob; omit it for the default [{DEFAULT_INCLUDE:?}]"),
            );
        }
        for (i, item) in items.iter().enumerate() {
            let item_key = format!("{full}[{i}]");
            let Value::String(pattern) = item else {
                self.push(item_key, format!("expected a glob string, found {}", describe(item)));
                continue;
            };
            if pattern.is_empty() {
                self.push(item_key, "empty glob matches nothing");
            } else if let Some(lead) = ["/", "./"].iter().find(|l| pattern.starts_with(**l)) {
                // Globs are matched against paths relative to the root, which
                // never start with these.
                self.push(
                    item_key,
                    format!(
                        "glob {pattern:?} can never match: globs are relative to root, \
                         drop the leading {lead:?}"
                    ),
                );
            } else if let Err(message) = build_glob(pattern) {
                self.push(item_key, message);
            }
        }
    }

    /// Reports keys of `t` that are not in `allowed`. `section` names the
    /// schema section (`""` for the top level, `"input"` for any `[[input]]`).
    fn unknown_keys(&mut self, t: &Table, prefix: &str, section: &str, allowed: &[&str]) {
        for key in t.keys() {
            if !allowed.contains(&key.as_str()) {
                let message = unknown_key_message(key, section, allowed);
                self.push(join(prefix, key), message);
            }
        }
    }
}

fn unknown_key_message(key: &str, section: &str, allowed: &[&str]) -> String {
    if let Some(best) = closest(key, allowed) {
        return format!("unknown key; did you mean {best:?}?");
    }
    // Right key, wrong table: the classic TOML trap of a top-level key written
    // after a [section] header, or a limit put under [output].
    let homes: Vec<String> = SECTIONS
        .iter()
        .filter(|(name, keys)| *name != section && keys.contains(&key))
        .map(|(name, _)| match *name {
            "" => "at the top of the file, before the first [section] header".to_string(),
            "input" => "in an [[input]] table".to_string(),
            name => format!("in the [{name}] table"),
        })
        .collect();
    if !homes.is_empty() {
        return format!("unknown key here; {key:?} belongs {}", homes.join(" or "));
    }
    let expected: Vec<String> = allowed.iter().map(|k| format!("{k:?}")).collect();
    format!("unknown key; expected one of {}", expected.join(", "))
}

// The nearest allowed key by edit distance, if it is close enough to be a
// typo: at most a third of the longer word, and at least one edit.
fn closest<'a>(key: &str, allowed: &[&'a str]) -> Option<&'a str> {
    allowed
        .iter()
        .map(|cand| (edit_distance(key, cand), *cand))
        .filter(|(d, cand)| {
            let longest = key.chars().count().max(cand.chars().count());
            *d <= (longest / 3).max(1)
        })
        .min_by_key(|(d, _)| *d)
        .map(|(_, cand)| cand)
}

fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for (i, ca) in a.iter().enumerate() {
        cur[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let substitute = prev[j] + usize::from(ca != cb);
            cur[j + 1] = substitute.min(prev[j + 1] + 1).min(cur[j] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = include_str!("../../pipelines/sample.toml");
    const NIGHTLY: &str = include_str!("../../pipelines/nightly.toml");
    const DOCS: &str = include_str!("../../docs/pipelines.md");

    fn ok(text: &str) -> Pipeline {
        match parse(text, Path::new("test.toml")) {
            Ok(p) => p,
            Err(e) => panic!("expected a valid pipeline, got: {e}"),
        }
    }

    fn problems(text: &str) -> Vec<Problem> {
        match parse(text, Path::new("test.toml")) {
            Err(ConfigError::Invalid { problems, .. }) => problems,
            other => panic!("expected ConfigError::Invalid, got {other:?}"),
        }
    }

    fn keys(problems: &[Problem]) -> Vec<&str> {
        problems.iter().map(|p| p.key.as_str()).collect()
    }

    fn default_of(key: &str) -> &'static str {
        defaults_table()
            .iter()
            .find(|(k, _, _)| *k == key)
            .map(|(_, d, _)| *d)
            .unwrap_or_else(|| panic!("{key} missing from defaults_table"))
    }

    const MINIMAL: &str = r#"
name = "minimal"
[[input]]
root = "data"
[output]
dir = "out"
"#;

    #[test]
    fn minimal_file_gets_defaults() {
        let p = ok(MINIMAL);
        assert_eq!(p.name, "minimal");
        assert_eq!(
            p.inputs,
            vec![Input { root: PathBuf::from("data"), include: vec!["**/*".to_string()], exclude: vec![] }]
        );
        assert_eq!(p.output.dir, PathBuf::from("out"));
        assert_eq!(p.output.keep_snapshots, 5);
        assert_eq!(p.limits, Limits::default());
        assert_eq!(p.limits.max_file_time(), Duration::from_secs(30));
        assert!(p.limits.thread_count() >= 1);
        assert_eq!(p.report, Report { enabled: false, year: None, region: None, dir: PathBuf::from("out/report") });
        assert_eq!(p.log.format, LogFormat::Human);
    }

    #[test]
    fn defaults_table_matches_applied_defaults() {
        let p = ok(MINIMAL);
        let input = &p.inputs[0];
        assert_eq!(default_of("input[].include"), format!("{:?}", input.include));
        assert_eq!(default_of("input[].exclude"), format!("{:?}", input.exclude));
        assert_eq!(default_of("output.keep_snapshots"), p.output.keep_snapshots.to_string());
        assert_eq!(default_of("limits.threads"), p.limits.threads.to_string());
        assert_eq!(default_of("limits.max_file_bytes"), p.limits.max_file_bytes.to_string());
        assert_eq!(default_of("limits.max_file_seconds"), p.limits.max_file_seconds.to_string());
        assert_eq!(default_of("report.enabled"), p.report.enabled.to_string());
        assert_eq!(default_of("report.dir"), "<output.dir>/report");
        assert_eq!(p.report.dir, p.output.dir.join("report"));
        assert_eq!(default_of("log.format"), format!("{:?}", p.log.format.as_str()));
        // Every key the schema walk accepts is documented, and vice versa.
        let mut schema: Vec<String> = Vec::new();
        for (section, section_keys) in SECTIONS {
            for key in *section_keys {
                let full = match *section {
                    "" => key.to_string(),
                    "input" => format!("input[].{key}"),
                    s => format!("{s}.{key}"),
                };
                schema.push(full);
            }
        }
        // Sections themselves are not rows, except `input` (it is required).
        schema.retain(|k| !matches!(k.as_str(), "output" | "limits" | "report" | "log"));
        let mut table: Vec<String> = defaults_table().iter().map(|(k, _, _)| k.to_string()).collect();
        schema.sort();
        table.sort();
        assert_eq!(schema, table);
    }

    #[test]
    fn full_file_round_trips() {
        let p = ok(r#"
name = "full_1-x"
[[input]]
root = "a"
include = ["**/*.html", "**/*.xlsx"]
exclude = ["**/README.md"]
[[input]]
root = "/abs/b"
[output]
dir = "o"
keep_snapshots = 1
[limits]
threads = 1024
max_file_bytes = 1
max_file_seconds = 1
[report]
enabled = true
year = 2100
region = "东莞市"
dir = "r"
[log]
format = "json"
"#);
        assert_eq!(p.inputs.len(), 2);
        assert_eq!(p.inputs[0].include, vec!["**/*.html", "**/*.xlsx"]);
        assert_eq!(p.inputs[0].exclude, vec!["**/README.md"]);
        assert_eq!(p.inputs[1].root, PathBuf::from("/abs/b"));
        assert_eq!(p.output.keep_snapshots, 1);
        assert_eq!(p.limits, Limits { threads: 1024, max_file_bytes: 1, max_file_seconds: 1 });
        assert_eq!(p.limits.thread_count(), 1024);
        assert_eq!(p.report.year, Some(2100));
        assert_eq!(p.report.region.as_deref(), Some("东莞市"));
        assert_eq!(p.report.dir, PathBuf::from("r"));
        assert_eq!(p.log.format, LogFormat::Json);
    }

    #[test]
    fn five_problems_are_all_reported() {
        let found = problems(
            r#"
name = "Bad Name"
[[input]]
root = "data"
[[input]]
root = "more"
include = ["**/*.html", "["]
[output]
dir = "out"
keep_snapshots = 0
[limits]
threads = 2000
[log]
format = "xml"
"#,
        );
        assert_eq!(
            keys(&found),
            vec!["name", "input[1].include[1]", "output.keep_snapshots", "limits.threads", "log.format"],
            "{found:#?}"
        );
        assert_eq!(
            found[1].to_string(),
            "input[1].include[1]: invalid glob \"[\": unclosed character class; missing ']'"
        );
        assert_eq!(found[2].to_string(), "output.keep_snapshots: must be at least 1, found 0");
        assert_eq!(found[3].to_string(), "limits.threads: must be at most 1024 (0 means all cores), found 2000");
        assert_eq!(found[4].to_string(), "log.format: must be \"human\" or \"json\", found \"xml\"");
    }

    #[test]
    fn unknown_keys_suggest_the_nearest() {
        let found = problems(
            r#"
name = "x"
[[inputs]]
root = "data"
[output]
dir = "out"
keep_snapshot = 3
[limits]
thread = 2
"#,
        );
        let shown: Vec<String> = found.iter().map(ToString::to_string).collect();
        assert!(
            shown.contains(&"output.keep_snapshot: unknown key; did you mean \"keep_snapshots\"?".to_string()),
            "{shown:#?}"
        );
        assert!(shown.contains(&"limits.thread: unknown key; did you mean \"threads\"?".to_string()), "{shown:#?}");
        assert!(shown.contains(&"inputs: unknown key; did you mean \"input\"?".to_string()), "{shown:#?}");
        // The misspelt [[inputs]] also leaves the required input missing.
        assert!(keys(&found).contains(&"input"), "{shown:#?}");
    }

    #[test]
    fn key_in_the_wrong_table_says_where_it_belongs() {
        let found = problems(
            r#"
[[input]]
root = "data"
[output]
dir = "out"
name = "late"
threads = 4
"#,
        );
        let shown: Vec<String> = found.iter().map(ToString::to_string).collect();
        assert!(shown.contains(&"name: required key missing".to_string()), "{shown:#?}");
        assert!(
            shown
                .iter()
                .any(|s| s.starts_with("output.name: unknown key here; \"name\" belongs at the top of the file")),
            "{shown:#?}"
        );
        assert!(
            shown.contains(&"output.threads: unknown key here; \"threads\" belongs in the [limits] table".to_string()),
            "{shown:#?}"
        );
    }

    #[test]
    fn key_with_two_homes_names_both() {
        let found = problems(&format!("{MINIMAL}\n[limits]\ndir = \"x\"\n"));
        assert_eq!(
            found[0].to_string(),
            "limits.dir: unknown key here; \"dir\" belongs in the [output] table or in the [report] table"
        );
    }

    #[test]
    fn far_unknown_key_lists_the_expected_ones() {
        let found = problems(&format!("{MINIMAL}\n[log]\ncolour = true\n"));
        assert_eq!(found[0].to_string(), "log.colour: unknown key; expected one of \"format\"");
    }

    #[test]
    fn empty_file_reports_required_keys() {
        assert_eq!(keys(&problems("")), vec!["name", "input", "output"]);
    }

    #[test]
    fn wrong_types_are_reported_with_what_was_found() {
        let found = problems(
            r#"
name = 7
input = "data"
output = "out"
limits = 1
report = []
log = false
"#,
        );
        assert_eq!(keys(&found), vec!["name", "input", "output", "limits", "report", "log"]);
        assert_eq!(found[0].message, "expected a string, found integer 7");

        let found = problems(
            r#"
name = "t"
[input]
root = "data"
[output]
dir = "out"
keep_snapshots = "3"
[limits]
max_file_seconds = 1.5
[report]
enabled = "yes"
year = 1989
"#,
        );
        let shown: Vec<String> = found.iter().map(ToString::to_string).collect();
        assert_eq!(
            shown,
            vec![
                "input: expected an array of tables: write [[input]] with double brackets, not [input]",
                "output.keep_snapshots: expected an integer, found string \"3\"",
                "limits.max_file_seconds: expected an integer, found float 1.5",
                "report.enabled: expected true or false, found string \"yes\"",
                "report.year: must be at least 1990, found 1989",
            ]
        );
    }

    #[test]
    fn bad_inputs_and_globs() {
        let found = problems(
            r#"
name = "t"
input = []
[output]
dir = ""
"#,
        );
        assert_eq!(keys(&found), vec!["input", "output.dir"]);

        let found = problems(
            r#"
name = "t"
[[input]]
root = "a"
include = []
exclude = ["/abs/*.tmp", "./x", "", 3, "**/ok"]
[[input]]
root = "a"
[output]
dir = "out"
[report]
year = 2101
region = " "
"#,
        );
        assert_eq!(
            keys(&found),
            vec![
                "input[0].include",
                "input[0].exclude[0]",
                "input[0].exclude[1]",
                "input[0].exclude[2]",
                "input[0].exclude[3]",
                "input[1].root",
                "report.year",
                "report.region",
            ],
            "{found:#?}"
        );
    }

    #[test]
    fn syntax_error_is_parse_with_position() {
        match parse("name = \"x\"\n[output\n", Path::new("p/x.toml")) {
            Err(e @ ConfigError::Parse { .. }) => {
                let shown = e.to_string();
                assert!(shown.starts_with("p/x.toml: invalid TOML: line 2, column"), "{shown}");
                assert!(!shown.contains('\n'), "{shown}");
            }
            other => panic!("expected Parse, got {other:?}"),
        }
    }

    #[test]
    fn invalid_error_lists_every_problem() {
        let e = parse("", Path::new("p/x.toml")).err();
        let shown = e.map(|e| e.to_string()).unwrap_or_default();
        assert_eq!(
            shown,
            "p/x.toml: 3 problems\n  name: required key missing\n  \
             input: required key missing: add at least one [[input]] table with a root\n  \
             output: required table missing: add [output] with dir = \"...\""
        );
    }

    #[test]
    fn load_and_validate_read_files() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("pipelines");
        assert!(validate(&dir.join("sample.toml")).is_empty());
        assert!(load(&dir.join("nightly.toml")).is_ok());

        let missing = dir.join("does-not-exist.toml");
        assert!(matches!(load(&missing), Err(ConfigError::Read { .. })));
        let found = validate(&missing);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].key, "");
        assert!(found[0].to_string().starts_with("cannot read pipeline file "));
    }

    #[test]
    fn shipped_sample_pipeline() {
        let p = ok(SAMPLE);
        assert_eq!(p.name, "sample");
        assert_eq!(p.inputs.len(), 1);
        assert_eq!(p.inputs[0].root, PathBuf::from("sample_data"));
        assert_eq!(p.output.dir, PathBuf::from("out"));
        assert_eq!(p.output.keep_snapshots, 3);
        assert!(p.report.enabled);
        assert_eq!(p.report.year, Some(2020));
        assert_eq!(p.report.dir, PathBuf::from("out/report"));
        let m = match p.inputs[0].matcher() {
            Ok(m) => m,
            Err(e) => panic!("{e}"),
        };
        // The samples' README documents them; it is not a disclosure.
        assert!(!m.is_match("README.md"));
        assert!(m.is_match("guangdong/dongguan/2020/部门整体支出绩效目标表.html"));
        assert!(m.is_match("a.xlsx"));
    }

    #[test]
    fn shipped_nightly_pipeline() {
        let p = ok(NIGHTLY);
        assert_eq!(p.inputs.len(), 2);
        assert_eq!(p.output.dir, PathBuf::from("/srv/jixiao/dataset"));
        assert_eq!(p.output.keep_snapshots, 14);
        assert_eq!(p.limits.threads, 0);
        assert_eq!(p.log.format, LogFormat::Json);
        assert!(p.report.enabled);
        assert_eq!(p.report.year, None);
        for input in &p.inputs {
            let m = match input.matcher() {
                Ok(m) => m,
                Err(e) => panic!("{e}"),
            };
            assert!(m.is_match("dongguan/2021/0001.html"));
            assert!(!m.is_match("dongguan/2021/0001.html.tmp"));
            assert!(!m.is_match(".partial/0002.html"));
            assert!(!m.is_match("dongguan/.partial/0002.html"));
        }
    }

    #[test]
    fn matcher_semantics() {
        let input = Input {
            root: PathBuf::from("r"),
            include: vec!["**/*.html".into(), "*.csv".into()],
            exclude: vec!["tmp/**".into()],
        };
        let m = match input.matcher() {
            Ok(m) => m,
            Err(e) => panic!("{e}"),
        };
        assert!(m.is_match("a.html"));
        assert!(m.is_match("x/y/a.html"));
        assert!(m.is_match("a.csv"));
        // `*` does not cross directories.
        assert!(!m.is_match("x/a.csv"));
        assert!(!m.is_match("tmp/a.html"));
        assert!(!m.is_match("a.xlsx"));

        let bad =
            Input { root: PathBuf::from("r"), include: vec!["[".into(), "ok".into()], exclude: vec!["{a".into()] };
        match bad.matcher() {
            Err(ConfigError::Invalid { path, problems }) => {
                assert_eq!(path, PathBuf::from("r"));
                assert_eq!(keys(&problems), vec!["include[0]", "exclude[0]"]);
            }
            other => panic!("expected Invalid, got {other:?}"),
        }
    }

    #[test]
    fn byte_order_mark_is_ignored() {
        ok(&format!("\u{feff}{MINIMAL}"));
    }

    #[test]
    fn edit_distance_and_suggestions() {
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(closest("formt", LOG_KEYS), Some("format"));
        assert_eq!(closest("dri", OUTPUT_KEYS), None);
        assert_eq!(closest("max_file_byte", LIMITS_KEYS), Some("max_file_bytes"));
    }

    #[test]
    fn docs_document_every_key() {
        for (key, default, meaning) in defaults_table() {
            assert!(!meaning.contains('|'), "{key}: '|' would break the docs table");
            let row = DOCS
                .lines()
                .find(|l| l.starts_with(&format!("| `{key}` |")))
                .unwrap_or_else(|| panic!("docs/pipelines.md has no table row for `{key}`"));
            assert!(row.contains(default), "docs row for `{key}` lacks default {default:?}: {row}");
            assert!(row.contains(meaning), "docs row for `{key}` lacks meaning {meaning:?}: {row}");
        }
    }

    #[test]
    fn docs_example_output_is_real() {
        let found = problems(
            r#"
name = "Sample"
[[input]]
root = "sample_data"
include = ["["]
[output]
dir = "out"
keep_snapshots = 0
[limits]
thread = 4
[log]
format = "xml"
"#,
        );
        assert_eq!(found.len(), 5);
        for problem in &found {
            let line = problem.to_string();
            assert!(DOCS.lines().any(|l| l == line), "docs/pipelines.md example lacks the line: {line}");
        }
    }

    #[test]
    fn docs_show_the_shipped_files_verbatim() {
        assert!(DOCS.contains(SAMPLE.trim_end()), "docs/pipelines.md must quote pipelines/sample.toml verbatim");
        assert!(DOCS.contains(NIGHTLY.trim_end()), "docs/pipelines.md must quote pipelines/nightly.toml verbatim");
    }
}
