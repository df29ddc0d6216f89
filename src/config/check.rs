//! Pipeline files, checker: walks the raw TOML against [`schema::KEYS`] and collects every problem.
//!
//! Every problem at once, because serde's `deny_unknown_fields` stops at the first error and a
//! nightly job that fails five times in a row for five typos is worse than one that lists all
//! five. Problems come in schema order, each table's unknown keys after its known ones.

use std::path::PathBuf;

use toml::{Table, Value};

use super::schema::{self, DefaultValue, Key, Kind};
use super::{Problem, build_glob};

/// Every problem in a parsed pipeline file; empty means the serde structs will accept it.
pub(super) fn check_table(root: &Table) -> Vec<Problem> {
    let mut c = Checker::default();
    for section in schema::sections() {
        if section.is_empty() {
            for key in schema::rows_of("").filter(|k| k.kind != Kind::Tables) {
                c.value(root, "", key);
            }
        } else if is_table_array(section) {
            c.tables(root, section);
        } else {
            c.section(root, section);
        }
    }
    c.unknown_keys(root, "", "");
    c.problems
}

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

fn is_valid_name(name: &str) -> bool {
    !name.is_empty() && name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
}

/// `"a"`, `"a" or "b"`, `"a", "b" or "c"`.
fn one_of(choices: &[&str]) -> String {
    let quoted: Vec<String> = choices.iter().map(|c| format!("{c:?}")).collect();
    match quoted.split_last() {
        Some((last, rest)) if !rest.is_empty() => format!("{} or {last}", rest.join(", ")),
        _ => quoted.concat(),
    }
}

impl Checker {
    fn push(&mut self, key: impl Into<String>, message: impl Into<String>) {
        self.problems.push(Problem::new(key, message));
    }

    /// One `[section]` table: required when any of its keys is, else optional.
    fn section(&mut self, root: &Table, name: &str) {
        match root.get(name) {
            None => {
                if let Some(first) = schema::rows_of(name).find(|k| k.required()) {
                    let key = first.name();
                    self.push(name, format!("required table missing: add [{name}] with {key} = \"...\""));
                }
            }
            Some(Value::Table(t)) => {
                for key in schema::rows_of(name) {
                    self.value(t, name, key);
                }
                self.unknown_keys(t, name, name);
            }
            Some(other) => self.push(name, format!("expected a table ([{name}]), found {}", describe(other))),
        }
    }

    /// An array of tables such as `[[input]]`.
    fn tables(&mut self, root: &Table, name: &str) {
        let items = match root.get(name) {
            None => {
                let with = schema::rows_of(name).find(|k| k.required()).map(Key::name).unwrap_or("its keys");
                return self
                    .push(name, format!("required key missing: add at least one [[{name}]] table with a {with}"));
            }
            Some(Value::Array(items)) => items,
            Some(Value::Table(_)) => {
                return self.push(
                    name,
                    format!("expected an array of tables: write [[{name}]] with double brackets, not [{name}]"),
                );
            }
            Some(other) => {
                return self.push(name, format!("expected an array of [[{name}]] tables, found {}", describe(other)));
            }
        };
        if items.is_empty() {
            self.push(name, format!("must list at least one [[{name}]] table"));
        }
        let mut roots: Vec<(usize, PathBuf)> = Vec::new();
        for (i, item) in items.iter().enumerate() {
            let prefix = format!("{name}[{i}]");
            let Value::Table(t) = item else {
                self.push(prefix, format!("expected a table, found {}", describe(item)));
                continue;
            };
            for key in schema::rows_of(name) {
                let root_dir = self.value(t, &prefix, key);
                if key.name() == "root"
                    && let Some(root_dir) = root_dir
                {
                    self.distinct_root(&mut roots, i, &prefix, root_dir);
                }
            }
            self.unknown_keys(t, &prefix, name);
        }
    }

    fn distinct_root(&mut self, roots: &mut Vec<(usize, PathBuf)>, i: usize, prefix: &str, root_dir: &str) {
        let root_dir = PathBuf::from(root_dir);
        if let Some((first, _)) = roots.iter().find(|(_, r)| *r == root_dir) {
            self.push(
                join(prefix, "root"),
                format!("same root as input[{first}]; merge the two [[input]] tables so no file is read twice"),
            );
        } else {
            roots.push((i, root_dir));
        }
    }

    /// Checks `key` in table `t` against its kind; returns the string when it is a valid one.
    fn value<'a>(&mut self, t: &'a Table, prefix: &str, key: &Key) -> Option<&'a str> {
        let full = join(prefix, key.name());
        match key.kind {
            Kind::Name => {
                let name = self.string(t, &full, key)?;
                if !is_valid_name(name) {
                    self.push(
                        full,
                        format!(
                            "{name:?} is not a valid name: use only lowercase letters, digits, '_' and '-' \
                             so it is safe in log fields and file names"
                        ),
                    );
                    return None;
                }
                Some(name)
            }
            Kind::Text | Kind::Path => self.string(t, &full, key),
            Kind::Shard => {
                let found = self.string(t, &full, key)?;
                if let Err(e) = found.parse::<super::Shard>() {
                    self.push(full, e.to_string());
                    return None;
                }
                Some(found)
            }
            Kind::Choice(choices) => {
                let found = self.string(t, &full, key)?;
                if !choices.contains(&found) {
                    self.push(full, format!("must be {}, found {found:?}", one_of(choices)));
                    return None;
                }
                Some(found)
            }
            Kind::Integer { min, max, hint } => {
                self.integer(t.get(key.name()), full, min, max, hint);
                None
            }
            Kind::Boolean => {
                if let Some(other) = t.get(key.name()).filter(|v| !v.is_bool()) {
                    self.push(full, format!("expected true or false, found {}", describe(other)));
                }
                None
            }
            Kind::Globs => {
                let non_empty = matches!(key.default, DefaultValue::Globs(d) if !d.is_empty());
                self.globs(t.get(key.name()), full, key.default, non_empty);
                None
            }
            // Nested arrays of tables are not part of the format.
            Kind::Tables => None,
        }
    }

    /// A non-empty string; `None` when absent or wrong (the problem is recorded).
    fn string<'a>(&mut self, t: &'a Table, full: &str, key: &Key) -> Option<&'a str> {
        match t.get(key.name()) {
            None => {
                if key.required() {
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

    /// An optional integer in `min..=max`; `hint` is appended to range errors.
    fn integer(&mut self, value: Option<&Value>, full: String, min: i64, max: i64, hint: &str) {
        match value {
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

    /// An optional list of globs. An explicit empty list where the default is not empty
    /// (`include = []`) matches nothing, which is never what was meant.
    fn globs(&mut self, value: Option<&Value>, full: String, default: DefaultValue, non_empty: bool) {
        let items = match value {
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
                format!("must list at least one glob; omit it for the default {}", default.shown()),
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
                // Globs are matched against paths relative to the root, which never start
                // with these.
                self.push(
                    item_key,
                    format!("glob {pattern:?} can never match: globs are relative to root, drop the leading {lead:?}"),
                );
            } else if let Err(message) = build_glob(pattern) {
                self.push(item_key, message);
            }
        }
    }

    /// Reports keys of `t` that `section` does not have (`""` is the top level, `"input"` any
    /// `[[input]]`).
    fn unknown_keys(&mut self, t: &Table, prefix: &str, section: &str) {
        let allowed = schema::keys_of(section);
        for key in t.keys() {
            if !allowed.contains(&key.as_str()) {
                let message = unknown_key_message(key, section, &allowed);
                self.push(join(prefix, key), message);
            }
        }
    }
}

fn unknown_key_message(key: &str, section: &str, allowed: &[&str]) -> String {
    if let Some(best) = closest(key, allowed) {
        return format!("unknown key; did you mean {best:?}?");
    }
    // Right key, wrong table: the classic TOML trap of a top-level key written after a
    // [section] header, or a limit put under [output].
    let homes: Vec<String> = schema::sections()
        .into_iter()
        .filter(|name| *name != section && schema::keys_of(name).contains(&key))
        .map(|name| match name {
            "" => "at the top of the file, before the first [section] header".to_string(),
            name if is_table_array(name) => format!("in an [[{name}]] table"),
            name => format!("in the [{name}] table"),
        })
        .collect();
    if !homes.is_empty() {
        return format!("unknown key here; {key:?} belongs {}", homes.join(" or "));
    }
    let expected: Vec<String> = allowed.iter().map(|k| format!("{k:?}")).collect();
    format!("unknown key; expected one of {}", expected.join(", "))
}

fn is_table_array(section: &str) -> bool {
    schema::rows_of("").any(|k| k.name() == section && k.kind == Kind::Tables)
}

/// The nearest allowed key by edit distance, if it is close enough to be a typo: at most a
/// third of the longer word, and at least one edit.
pub(super) fn closest<'a>(key: &str, allowed: &[&'a str]) -> Option<&'a str> {
    allowed
        .iter()
        .map(|cand| (strsim::levenshtein(key, cand), *cand))
        .filter(|(d, cand)| {
            let longest = key.chars().count().max(cand.chars().count());
            *d <= (longest / 3).max(1)
        })
        .min_by_key(|(d, _)| *d)
        .map(|(_, cand)| cand)
}
