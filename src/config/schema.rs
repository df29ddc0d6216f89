//! Pipeline files, schema: every key with its type, default and meaning, in one table.
//!
//! [`KEYS`] is the only place a key of a pipeline file is declared. The checker takes the
//! known keys of each table, their types and ranges and its "did you mean" candidates from it;
//! [`apply_defaults`] fills in the defaults before the strict serde structs see the file; the
//! `DEFAULT_*` constants are read out of it at compile time; and the key reference in
//! `docs/pipelines.md` is [`markdown_table`], checked verbatim by a unit test.

use toml::{Table, Value};

/// One key a pipeline file may contain.
#[derive(Debug, Clone, Copy)]
pub struct Key {
    /// Dotted path as the docs and problems spell it: `name`, `input[].root`, `limits.threads`.
    pub path: &'static str,
    pub kind: Kind,
    pub default: DefaultValue,
    /// One line for the docs; no `|`, it would break the table.
    pub doc: &'static str,
}

/// What a key's value must be. The checker reports a value of the wrong type or out of range.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    /// A string in `[a-z0-9_-]+`, safe in log fields and file names.
    Name,
    /// A non-empty string.
    Text,
    /// A non-empty string naming a file or directory.
    Path,
    /// One of these strings.
    Choice(&'static [&'static str]),
    /// An integer in `min..=max`; `hint` follows the range in problems.
    Integer {
        min: i64,
        max: i64,
        hint: &'static str,
    },
    Boolean,
    /// An array of globs relative to an input's root.
    Globs,
    /// An array of tables (`[[input]]`); its keys are the rows `<path>[].<key>`.
    Tables,
    /// A shard `"i/N"` with `0 <= i < N`.
    Shard,
}

/// A key's default. Only the first four are values [`apply_defaults`] writes into a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DefaultValue {
    Integer(i64),
    Boolean(bool),
    Text(&'static str),
    Globs(&'static [&'static str]),
    /// No default: the key must be present.
    Required,
    /// Worked out later (from another key, or from the data); the text says how.
    Derived(&'static str),
}

/// Every key a pipeline file may contain, in the order the checker reports problems.
pub const KEYS: &[Key] = &[
    Key {
        path: "name",
        kind: Kind::Name,
        default: DefaultValue::Required,
        doc: "Pipeline name, `[a-z0-9_-]+`; identifies the run in logs.",
    },
    Key {
        path: "input",
        kind: Kind::Tables,
        default: DefaultValue::Required,
        doc: "One `[[input]]` table per directory tree to scan; at least one.",
    },
    Key {
        path: "input[].root",
        kind: Kind::Path,
        default: DefaultValue::Required,
        doc: "Directory to scan recursively.",
    },
    Key {
        path: "input[].include",
        kind: Kind::Globs,
        default: DefaultValue::Globs(&["**/*"]),
        doc: "Globs, relative to `root`, of files to read; a file is read if it matches any of them.",
    },
    Key {
        path: "input[].exclude",
        kind: Kind::Globs,
        default: DefaultValue::Globs(&[]),
        doc: "Globs, relative to `root`, of files to skip even when included.",
    },
    Key {
        path: "shard",
        kind: Kind::Shard,
        default: DefaultValue::Derived("(unsharded)"),
        doc: "`\"i/N\"`: read only the files whose path hashes to shard i of N (`jixiao run --shard` overrides it); see docs/scale-out.md.",
    },
    Key {
        path: "output.dir",
        kind: Kind::Path,
        default: DefaultValue::Required,
        doc: "Directory that receives the dataset snapshots.",
    },
    Key {
        path: "output.keep_snapshots",
        kind: Kind::Integer { min: 1, max: u32::MAX as i64, hint: "" },
        default: DefaultValue::Integer(5),
        doc: "How many snapshots to keep; older ones are deleted after a successful run. At least 1.",
    },
    Key {
        path: "output.delta",
        kind: Kind::Text,
        default: DefaultValue::Derived("(none: Parquet snapshots under `output.dir`)"),
        doc: "Delta Lake root (`file:///…` or `s3://bucket/prefix`): the run stages its rows there for `jixiao commit`; `output.dir` keeps the run summaries.",
    },
    Key {
        path: "output.compression",
        kind: Kind::Choice(&super::Codec::NAMES),
        default: DefaultValue::Text("snappy"),
        doc: "Parquet compression of every file written: `\"snappy\"` (Spark's, DuckDB's and pyarrow's default; fastest to write and read) or `\"zstd\"` (level 3; about 30 % smaller, about 7 % more CPU per run).",
    },
    Key {
        path: "limits.threads",
        // Anything above 1024 is a typo, not a machine.
        kind: Kind::Integer { min: 0, max: 1024, hint: " (0 means all cores)" },
        default: DefaultValue::Integer(0),
        doc: "Worker threads; 0 means one per available core. At most 1024.",
    },
    Key {
        path: "limits.max_file_bytes",
        kind: Kind::Integer { min: 1, max: i64::MAX, hint: "" },
        default: DefaultValue::Integer(64 * 1024 * 1024),
        doc: "Files larger than this (64 MiB by default) are rejected with a reason instead of parsed. At least 1.",
    },
    Key {
        path: "limits.max_file_seconds",
        kind: Kind::Integer { min: 1, max: i64::MAX, hint: "" },
        default: DefaultValue::Integer(30),
        doc: "Parse time budget per file, in seconds; a file whose parse took longer is rejected with a reason (the parse is not interrupted, its rows are dropped). At least 1.",
    },
    Key {
        path: "limits.max_html_depth",
        kind: Kind::Integer { min: 1, max: i64::MAX, hint: "" },
        default: DefaultValue::Integer(512),
        doc: "Deepest nesting of HTML elements read; a page nested deeper is rejected (`too_deep`) as soon as the parser gets there. The HTML parser's work per tag grows with the depth, so 100,000 nested elements take minutes; forms nest a few dozen deep, and Chromium's parser stops nesting at 512 too. At least 1.",
    },
    Key {
        path: "report.enabled",
        kind: Kind::Boolean,
        default: DefaultValue::Boolean(false),
        doc: "Write the yearly report after the run.",
    },
    Key {
        path: "report.year",
        // The disclosures start in the 2010s: anything outside is a typo such as `202` or `20200`.
        kind: Kind::Integer { min: 1990, max: 2100, hint: "" },
        default: DefaultValue::Derived("(latest year in the dataset)"),
        doc: "Budget year to report on, 1990 to 2100.",
    },
    Key {
        path: "report.region",
        kind: Kind::Text,
        default: DefaultValue::Derived("(all regions)"),
        doc: "Restrict the report to one region, e.g. `东莞市`.",
    },
    Key {
        path: "report.dir",
        kind: Kind::Path,
        default: DefaultValue::Derived("<output.dir>/report"),
        doc: "Directory the report is written to.",
    },
    Key {
        path: "log.format",
        kind: Kind::Choice(&["human", "json"]),
        default: DefaultValue::Text("human"),
        doc: "`\"human\"` for readable lines, `\"json\"` for one JSON object per line.",
    },
];

impl Key {
    /// The table the key lives in: `""` for the top level, `"input"` for every `[[input]]`.
    pub fn section(&self) -> &'static str {
        match self.path.split_once('.') {
            Some((section, _)) => section.strip_suffix("[]").unwrap_or(section),
            None => "",
        }
    }

    /// The key as written inside its table.
    pub fn name(&self) -> &'static str {
        self.path.rsplit('.').next().unwrap_or(self.path)
    }

    pub fn required(&self) -> bool {
        self.default == DefaultValue::Required
    }
}

impl Kind {
    /// The type column of the docs.
    pub fn type_name(self) -> &'static str {
        match self {
            Kind::Name | Kind::Text | Kind::Choice(_) | Kind::Shard => "string",
            Kind::Path => "path",
            Kind::Integer { .. } => "integer",
            Kind::Boolean => "boolean",
            Kind::Globs => "array of globs",
            Kind::Tables => "array of tables",
        }
    }
}

impl DefaultValue {
    /// The default column of the docs.
    pub fn shown(self) -> String {
        match self {
            DefaultValue::Integer(n) => n.to_string(),
            DefaultValue::Boolean(b) => b.to_string(),
            DefaultValue::Text(s) => format!("{s:?}"),
            DefaultValue::Globs(globs) => format!("{globs:?}"),
            DefaultValue::Required => "(required)".to_string(),
            DefaultValue::Derived(how) => how.to_string(),
        }
    }

    /// The TOML value a missing key takes; `None` when there is none to write.
    fn toml(self) -> Option<Value> {
        match self {
            DefaultValue::Integer(n) => Some(Value::Integer(n)),
            DefaultValue::Boolean(b) => Some(Value::Boolean(b)),
            DefaultValue::Text(s) => Some(Value::String(s.to_string())),
            DefaultValue::Globs(globs) => Some(Value::Array(globs.iter().map(|g| Value::from(*g)).collect())),
            DefaultValue::Required | DefaultValue::Derived(_) => None,
        }
    }
}

/// Table names in schema order: `""` (the top level) first, then each section once.
pub fn sections() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for key in KEYS {
        if !out.contains(&key.section()) {
            out.push(key.section());
        }
    }
    out
}

/// The keys allowed directly in `section`, in schema order. At the top level these are the
/// top-level rows and then the names of the other sections (`output`, `limits`, ...).
pub fn keys_of(section: &str) -> Vec<&'static str> {
    let mut out: Vec<&'static str> = KEYS.iter().filter(|k| k.section() == section).map(Key::name).collect();
    if section.is_empty() {
        for s in sections() {
            if !s.is_empty() && !out.contains(&s) {
                out.push(s);
            }
        }
    }
    out
}

/// The rows of `section`, in schema order.
pub fn rows_of(section: &str) -> impl Iterator<Item = &'static Key> + '_ {
    KEYS.iter().filter(move |k| k.section() == section)
}

/// Writes the default of every absent key that has one into a checked file, creating optional
/// tables as needed, so the serde structs need no defaults of their own.
pub fn apply_defaults(root: &mut Table) {
    for key in KEYS {
        let Some(value) = key.default.toml() else { continue };
        match key.section() {
            "" => {
                root.entry(key.name()).or_insert(value);
            }
            section if key.path.starts_with(&format!("{section}[]")) => {
                if let Some(Value::Array(items)) = root.get_mut(section) {
                    for item in items.iter_mut().filter_map(Value::as_table_mut) {
                        item.entry(key.name()).or_insert_with(|| value.clone());
                    }
                }
            }
            section => {
                let table = root.entry(section).or_insert_with(|| Value::Table(Table::new()));
                if let Some(table) = table.as_table_mut() {
                    table.entry(key.name()).or_insert(value);
                }
            }
        }
    }
}

/// The key reference of `docs/pipelines.md`, one row per key.
pub fn markdown_table() -> String {
    let mut out = String::from("| key | type | default | meaning |\n| --- | --- | --- | --- |\n");
    for key in KEYS {
        out.push_str(&format!(
            "| `{}` | {} | `{}` | {} |\n",
            key.path,
            key.kind.type_name(),
            key.default.shown(),
            key.doc
        ));
    }
    out
}

/// The default of `path`, at compile time: a typo in a `DEFAULT_*` constant below fails the
/// build instead of a run.
const fn default_of(path: &str) -> DefaultValue {
    let mut i = 0;
    while i < KEYS.len() {
        if same_str(KEYS[i].path, path) {
            return KEYS[i].default;
        }
        i += 1;
    }
    panic!("no such key in the schema")
}

/// The integer default of `path` (see [`default_of`]).
const fn integer_default(path: &str) -> i64 {
    match default_of(path) {
        DefaultValue::Integer(n) => n,
        _ => panic!("the key's default is not an integer"),
    }
}

/// The text default of `path` (see [`default_of`]).
const fn text_default(path: &str) -> &'static str {
    match default_of(path) {
        DefaultValue::Text(t) => t,
        _ => panic!("the key's default is not a text"),
    }
}

/// String equality usable in `const` items (`==` on `str` is not `const`): the schema's
/// defaults and the form's vocabulary bits are looked up by name at compile time.
pub const fn same_str(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    if a.len() != b.len() {
        return false;
    }
    let mut i = 0;
    while i < a.len() {
        if a[i] != b[i] {
            return false;
        }
        i += 1;
    }
    true
}

/// Default `output.keep_snapshots`.
pub const DEFAULT_KEEP_SNAPSHOTS: u32 = integer_default("output.keep_snapshots") as u32;
/// Default `output.compression`.
pub const DEFAULT_COMPRESSION: &str = text_default("output.compression");
/// Default `limits.threads`; 0 means one worker per available core.
pub const DEFAULT_THREADS: usize = integer_default("limits.threads") as usize;
/// Default `limits.max_file_bytes` (64 MiB).
pub const DEFAULT_MAX_FILE_BYTES: u64 = integer_default("limits.max_file_bytes") as u64;
/// Default `limits.max_file_seconds`.
pub const DEFAULT_MAX_FILE_SECONDS: u64 = integer_default("limits.max_file_seconds") as u64;
/// Default `limits.max_html_depth`.
pub const DEFAULT_MAX_HTML_DEPTH: usize = integer_default("limits.max_html_depth") as usize;
