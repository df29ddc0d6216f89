//! Stages 2–5 for one file: decode → layout → form → records, with every failure turned into
//! the file's status and reason instead of an error that stops the run.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::Arc;

use crate::config::Limits;
use crate::ingest::deadline;
use crate::ingest::decode::{self, DecodeError};
use crate::ingest::form::{self, Table};
use crate::ingest::layout;
use crate::ingest::score::{self, IndicatorInput, ProjectIndicator, ProjectInput, Scored};
use crate::ingest::value::{Core, ValueReading};
use crate::ingest::walk::Entry;
use crate::store::records::{FileRow, IndicatorRow, IndicatorsBuilder, ProjectRow, Rows, Status};

/// Everything one input file contributes to the dataset.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub file: FileRow,
    pub projects: Vec<ProjectRow>,
    /// The indicator rows, columnar: one batch per budget year in the file. A table can have
    /// hundreds of thousands of indicators, and a struct of strings per row took ~1 KB each
    /// (40 times the file's size); Arrow columns take about the bytes of the text.
    pub indicators: Vec<IndicatorBatch>,
    pub bytes_read: u64,
}

/// Indicator rows of one budget year (the partition they are written to).
#[derive(Debug, Clone)]
pub struct IndicatorBatch {
    pub year: i32,
    pub rows: arrow::array::RecordBatch,
}

impl Outcome {
    /// Indicator rows of the file.
    pub fn indicator_count(&self) -> usize {
        self.indicators.iter().map(|b| b.rows.num_rows()).sum()
    }
}

/// Builders of a file's indicator rows, one per budget year, and the batches they already
/// closed.
///
/// A builder is closed every [`BATCH_ROWS`] rows and its batch shrunk to what it holds: one
/// builder for a table of 200,000 rows grew each column by doubling, up to twice its size,
/// and the buffers it left behind at every doubling stayed in the process's heap.
struct IndicatorBuilders {
    /// Rows a year's builder is made for: the file's, up to a batch. The builder's buffers
    /// are then about the batch's size, and cutting them to it moves little: a builder of
    /// arrow's default 1,024 rows for a file's 60 was copied into smaller buffers, column by
    /// column.
    rows: usize,
    open: Vec<(i32, IndicatorsBuilder)>,
    done: Vec<IndicatorBatch>,
}

/// Rows per closed batch: small enough that a builder's spare capacity is a few hundred KB,
/// large enough that the writer sees few batches.
const BATCH_ROWS: usize = 8192;

impl IndicatorBuilders {
    /// Builders for a file of `rows` indicator rows.
    fn for_rows(rows: usize) -> Self {
        IndicatorBuilders { rows: rows.min(BATCH_ROWS), open: Vec::new(), done: Vec::new() }
    }

    fn push(&mut self, row: &IndicatorRow) {
        let at = match self.open.iter().position(|(y, _)| *y == row.year) {
            Some(at) => at,
            None => {
                self.open.push((row.year, IndicatorsBuilder::for_rows(self.rows)));
                self.open.len() - 1
            }
        };
        let (year, b) = &mut self.open[at];
        b.push(row);
        if b.len() >= BATCH_ROWS {
            self.done.push(IndicatorBatch { year: *year, rows: shrunk(b.finish()) });
        }
    }

    fn finish(mut self) -> Vec<IndicatorBatch> {
        for (year, mut b) in self.open.into_iter().filter(|(_, b)| !b.is_empty()) {
            self.done.push(IndicatorBatch { year, rows: shrunk(b.finish()) });
        }
        self.done
    }
}

/// The batch with each column's buffers cut to their length.
fn shrunk(batch: arrow::array::RecordBatch) -> arrow::array::RecordBatch {
    let (schema, mut columns, _) = batch.into_parts();
    for c in &mut columns {
        // A builder's fresh columns are held by nothing else.
        if let Some(a) = std::sync::Arc::get_mut(c) {
            a.shrink_to_fit();
        }
    }
    // The same columns and schema it was built from: only their capacity changed.
    arrow::array::RecordBatch::try_new(schema, columns).expect("a batch keeps its schema when shrunk")
}

pub fn content_hash(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex()[..32].to_string()
}

/// A byte or error count as the Int64 the datasets store; no file comes near 2^63 bytes.
fn count(n: u64) -> i64 {
    i64::try_from(n).unwrap_or(i64::MAX)
}

/// What makes two tables the same disclosure, whatever file, encoding or layout carried it:
/// year, unit, project, both amounts and every indicator (horizon, category codes, name,
/// value), each with full-width forms folded and whitespace dropped, so a GBK text copy, a
/// UTF-16 copy and an HTML copy of one table share it. Title, region and goals are left out:
/// layouts differ in whether they carry them, and they never tell two budgets apart.
///
/// The fields are hashed as they are read, a buffer at a time: no copy of the table's text.
pub fn table_fingerprint(year: i32, t: &Table) -> String {
    let money = |d: Option<rust_decimal::Decimal>| d.map(|d| d.normalize().to_string()).unwrap_or_default();
    let mut key = Fingerprint::default();
    fingerprint_field(&mut key, &year.to_string());
    fingerprint_field(&mut key, t.budget_unit.as_deref().unwrap_or_default());
    fingerprint_field(&mut key, t.project_name.as_deref().unwrap_or_default());
    fingerprint_field(&mut key, &money(t.midterm_budget_yuan));
    fingerprint_field(&mut key, &money(t.annual_budget_yuan));
    for ind in &t.indicators {
        key.put("\u{1e}".as_bytes());
        // The codes are ASCII words from the form's lists (`annual`, `output`, `quantity`):
        // nothing in them is folded or dropped, so they are written as they are.
        for code in [ind.horizon, ind.level1_code, ind.level2_code] {
            key.put(code.as_bytes());
            key.put("\u{1f}".as_bytes());
        }
        for field in [ind.level3.as_str(), &ind.value] {
            fingerprint_field(&mut key, field);
        }
    }
    key.finish()
}

/// Where [`fingerprint_field`] writes: the hash as it streams, or a byte list in tests.
trait FieldSink {
    fn put(&mut self, bytes: &[u8]);
}

impl FieldSink for Vec<u8> {
    fn put(&mut self, bytes: &[u8]) {
        self.extend_from_slice(bytes);
    }
}

/// The fingerprint's hash, fed a buffer at a time: a field is a few bytes, and one hasher
/// update per field cost more than copying them.
struct Fingerprint {
    hasher: blake3::Hasher,
    buf: [u8; 1024],
    len: usize,
}

impl Default for Fingerprint {
    fn default() -> Self {
        Fingerprint { hasher: blake3::Hasher::new(), buf: [0; 1024], len: 0 }
    }
}

impl FieldSink for Fingerprint {
    fn put(&mut self, bytes: &[u8]) {
        if self.len + bytes.len() > self.buf.len() {
            self.hasher.update(&self.buf[..self.len]);
            self.len = 0;
            if bytes.len() > self.buf.len() {
                self.hasher.update(bytes);
                return;
            }
        }
        self.buf[self.len..self.len + bytes.len()].copy_from_slice(bytes);
        self.len += bytes.len();
    }
}

impl Fingerprint {
    fn finish(mut self) -> String {
        self.hasher.update(&self.buf[..self.len]);
        self.hasher.finalize().to_hex()[..32].to_string()
    }
}

/// What a byte of a field asks of [`fingerprint_field`]: 0 nothing (kept as it is), 1 markup
/// to undo first (`<`, `&`), 2 dropped (ASCII whitespace and controls), 3 the lead byte of a
/// char that may be dropped or folded (C2: U+0080..U+00BF; E1: U+1680; E2: U+2000..U+205F;
/// E3: U+3000; EF: U+FF01..U+FF5E), told by the bytes after it.
static FINGERPRINT_BYTE: [u8; 256] = {
    let mut t = [0u8; 256];
    let mut b = 0;
    while b <= 0x20 {
        t[b] = 2;
        b += 1;
    }
    t[0x7f] = 2;
    t[b'<' as usize] = 1;
    t[b'&' as usize] = 1;
    t[0xc2] = 3;
    t[0xe1] = 3;
    t[0xe2] = 3;
    t[0xe3] = 3;
    t[0xef] = 3;
    t
};

/// Writes a field of [`table_fingerprint`]: full-width forms folded, whitespace and control
/// characters dropped, then the unit separator.
fn fingerprint_field(out: &mut impl FieldSink, s: &str) {
    fingerprint_text(out, s, true);
    // Control characters were dropped, so the unit and record separators keep fields apart.
    out.put("\u{1f}".as_bytes());
}

/// [`fingerprint_field`] of a text: runs of kept chars are written as they are, and only a
/// char a lead byte marks is decoded. Read `raw`, the text is cleaned from its first tag or
/// entity on: cleaning leaves the text before it as it is but for whitespace, which is
/// dropped anyway, so the field is read once, not searched for markup first.
fn fingerprint_text(out: &mut impl FieldSink, text: &str, raw: bool) {
    use crate::ingest::text::fold_width;
    let dropped = |c: char| c.is_whitespace() || c.is_control();
    let bytes = text.as_bytes();
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        let len = match FINGERPRINT_BYTE[usize::from(bytes[i])] {
            0 => {
                // A kept char is stepped over whole: a Han char is one step, not three.
                i += crate::ingest::text::char_len(bytes[i]);
                continue;
            }
            1 if raw => {
                out.put(&bytes[start..i]);
                fingerprint_text(out, &crate::ingest::text::clean(&text[i..]), false);
                return;
            }
            1 => {
                i += 1;
                continue;
            }
            2 => 1,
            _ => match text[i..].chars().next() {
                Some(c) => {
                    let f = fold_width(c);
                    if f == c && !dropped(c) {
                        i += c.len_utf8();
                        continue;
                    }
                    out.put(&bytes[start..i]);
                    if !dropped(f) {
                        out.put(f.encode_utf8(&mut [0; 4]).as_bytes());
                    }
                    start = i + c.len_utf8();
                    i = start;
                    continue;
                }
                None => break,
            },
        };
        out.put(&bytes[start..i]);
        i += len;
        start = i;
    }
    out.put(&bytes[start..]);
}

/// A reading's number as the Float64 the dataset stores: the double nearest to it, which is
/// what parsing its decimal text gives. A mantissa up to 2^53 (every number of 15 digits or
/// fewer) and a power of ten up to 10^22 are exact doubles, so one division rounds once, as
/// parsing does; any other number is formatted and parsed.
fn float_of(d: rust_decimal::Decimal) -> Option<f64> {
    #[rustfmt::skip]
    const POW10: [f64; 23] = [
        1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15, 1e16,
        1e17, 1e18, 1e19, 1e20, 1e21, 1e22,
    ];
    let m = d.mantissa().unsigned_abs();
    match POW10.get(d.scale() as usize) {
        Some(&p) if m <= 1 << 53 => {
            let f = m as f64 / p;
            Some(if d.is_sign_negative() { -f } else { f })
        }
        _ => d.to_string().parse().ok(),
    }
}

/// Budget years a disclosure can state: performance budgeting began in the 2000s.
const PLAUSIBLE_YEARS: std::ops::RangeInclusive<i32> = 1990..=2099;

/// A file's row before anything was read from it: rejected until a stage says otherwise.
pub fn unread(path: String, size: u64, mtime_ns: i64) -> FileRow {
    FileRow {
        path,
        size_bytes: count(size),
        mtime_ns,
        content_hash: None,
        encoding: None,
        had_bom: None,
        decode_errors: 0,
        layout: None,
        tables: 0,
        status: Status::Rejected,
        error: None,
    }
}

/// Reads and processes one file. Never panics: a panic inside a stage becomes the file's
/// rejection with the panic message, and the run goes on.
pub fn process(entry: &Entry, limits: Limits) -> Outcome {
    let mut file = unread(entry.rel.clone(), entry.size, entry.mtime_ns);
    file.error = entry.error.clone();
    if entry.error.is_some() {
        return Outcome { file, projects: vec![], indicators: vec![], bytes_read: 0 };
    }
    if entry.size > limits.max_file_bytes {
        file.error = Some(format!("too_large: {} bytes, over the {} byte limit", entry.size, limits.max_file_bytes));
        return Outcome { file, projects: vec![], indicators: vec![], bytes_read: 0 };
    }
    let bytes = match read_stable(entry, limits.max_file_bytes) {
        Ok(b) => b,
        Err(why) => {
            file.error = Some(why);
            return Outcome { file, projects: vec![], indicators: vec![], bytes_read: 0 };
        }
    };
    file.size_bytes = count(bytes.len() as u64);
    let bytes_read = bytes.len() as u64;
    let hash = content_hash(&bytes);
    let started = std::time::Instant::now();
    // The stages check this deadline in their loops and return early once it has passed; what
    // they return then is incomplete, so the file is rejected whatever it holds.
    let guard = deadline::arm(limits.max_file_time);
    // The bytes move in: the decoder turns them into the text and they are gone (see
    // `process_hashed`).
    let result =
        catch_unwind(AssertUnwindSafe(|| process_hashed(file.clone(), bytes, hash.clone(), limits.max_html_depth)));
    let too_slow = deadline::passed() || started.elapsed() > limits.max_file_time;
    drop(guard);
    match result {
        Ok(_) if too_slow => {
            file.content_hash = Some(hash);
            file.error = Some(format!(
                "too_slow: parsing took {:.1} s, over the {} s limit",
                started.elapsed().as_secs_f64(),
                limits.max_file_time.as_secs_f64()
            ));
            tracing::warn!(path = %entry.rel, "{}", file.error.as_deref().unwrap_or_default());
            Outcome { file, projects: vec![], indicators: vec![], bytes_read }
        }
        Ok(mut out) => {
            out.bytes_read = bytes_read;
            cap_reason(&mut out.file.error);
            out
        }
        Err(panic) => {
            let msg = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            file.content_hash = Some(hash);
            file.status = Status::Rejected;
            file.error = Some(format!("internal: the parser failed on this file ({msg}); please report it"));
            Outcome { file, projects: vec![], indicators: vec![], bytes_read }
        }
    }
}

/// Reads a file the walk listed, making sure it is still that file: a regular file (never a
/// FIFO swapped in, which would block the run), and with the size and mtime the walk saw
/// both before and after the read. Otherwise the reason names what happened; the next run
/// sees the new size or mtime and reads it again.
fn read_stable(entry: &Entry, max_bytes: u64) -> Result<Vec<u8>, String> {
    use std::io::Read;
    let vanished = |e: std::io::Error| match e.kind() {
        std::io::ErrorKind::NotFound => "vanished: the file was removed after the walk listed it".to_string(),
        _ => format!("unreadable: {e}"),
    };
    let before = std::fs::symlink_metadata(&entry.abs).map_err(vanished)?;
    if !before.is_file() {
        return Err("changed: no longer a regular file when it was read; never opened".into());
    }
    let stamp = |m: &std::fs::Metadata| (m.len(), crate::ingest::walk::mtime_ns(m));
    let walked = (entry.size, entry.mtime_ns);
    let changed = |now: (u64, i64)| {
        format!(
            "changed: the file changed while it was read ({} bytes, mtime {} when listed; {} bytes, mtime {} when read)",
            walked.0, walked.1, now.0, now.1
        )
    };
    if stamp(&before) != walked {
        return Err(changed(stamp(&before)));
    }
    let mut f = std::fs::File::open(&entry.abs).map_err(vanished)?;
    let mut bytes = Vec::with_capacity(entry.size as usize);
    // One byte past the limit is enough to tell a file that grew over it.
    (&mut f).take(max_bytes.saturating_add(1)).read_to_end(&mut bytes).map_err(|e| format!("unreadable: {e}"))?;
    let after = f.metadata().map_err(|e| format!("unreadable: {e}"))?;
    if stamp(&after) != walked || bytes.len() as u64 != entry.size {
        return Err(changed((bytes.len() as u64, stamp(&after).1)));
    }
    Ok(bytes)
}

/// Longest reason kept, in chars: a reason quotes cells, and a hostile file's one 50 MB line is
/// one cell; the `files` row must not carry it.
const MAX_REASON_CHARS: usize = 2000;

fn cap_reason(reason: &mut Option<String>) {
    if let Some(r) = reason
        && let Some((at, _)) = r.char_indices().nth(MAX_REASON_CHARS)
    {
        r.truncate(at);
        r.push('…');
    }
}

/// The pure part of [`process`]: bytes in, rows out.
pub fn process_bytes(file: FileRow, bytes: Vec<u8>) -> Outcome {
    let hash = content_hash(&bytes);
    process_hashed(file, bytes, hash, crate::config::DEFAULT_MAX_HTML_DEPTH)
}

/// [`process_bytes`] with the content hash already taken.
///
/// A file's memory stays a small multiple of its size because each stage's input is freed
/// once the next stage has what it needs: the bytes become the text (in place for UTF-8),
/// the text is dropped once laid out, and the grid once the form reader has its tables.
fn process_hashed(mut file: FileRow, bytes: Vec<u8>, hash: String, max_html_depth: usize) -> Outcome {
    inject_faults(&file.path);
    file.content_hash = Some(hash.clone());
    let empty = |file| Outcome { file, projects: vec![], indicators: vec![], bytes_read: 0 };
    let mut decoded = match decode::decode_owned(bytes) {
        Ok(d) => d,
        Err(e) => {
            file.status = Status::Rejected;
            file.error = Some(e.to_string());
            if matches!(e, DecodeError::Binary(_)) {
                file.encoding = None;
            }
            return empty(file);
        }
    };
    if deadline::passed() {
        return empty(file);
    }
    file.encoding = Some(decoded.encoding.clone());
    file.had_bom = Some(decoded.had_bom);
    file.decode_errors = count(decoded.decode_errors);
    if decoded.text.trim().is_empty() {
        file.error = Some("empty: the file holds only whitespace".into());
        return empty(file);
    }
    let kind = layout::sniff::sniff(&decoded.text);
    let laid = layout::read_capped(kind, &decoded.text, &form::FormLabels, max_html_depth);
    let lines = line_count(&decoded.text);
    drop(std::mem::take(&mut decoded.text));
    if deadline::passed() {
        return empty(file);
    }
    let layout::Layout { kind, name: layout_name, grid, inferences, refused } = laid;
    if let Some(why) = refused {
        file.layout = Some(layout_name.to_string());
        file.error = Some(why);
        return empty(file);
    }
    // Taken, not borrowed: each row is freed once walked, so a long table's grid and the
    // indicators read from it are never both whole in memory.
    let mut reading = form::read_owned(grid);
    form::note_inferences(&mut reading, &inferences);
    file.layout = Some(layout_name.to_string());

    let mut problems: Vec<String> = Vec::new();
    let mut amount_problems: Vec<String> = Vec::new();
    let mut projects = Vec::new();
    let mut indicators = IndicatorBuilders::for_rows(reading.tables.iter().map(|t| t.indicators.len()).sum());
    for (i, table) in reading.tables.into_iter().enumerate() {
        if deadline::tick() {
            break;
        }
        let name = crate::ingest::text::quote(table.project_name.as_deref().unwrap_or("?"));
        if let Some(p) = &table.problem {
            problems.push(format!("{p} (table {}, 项目名称 {name})", i + 1));
        }
        for p in &table.amount_problems {
            amount_problems.push(format!("{p} (table {}, 项目名称 {name})", i + 1));
        }
        let Some(year) = table.year else { continue };
        // A year outside what a disclosure can hold (a typo, 99999) would make its own
        // partition and skew every per-year figure: the table is not kept.
        if !PLAUSIBLE_YEARS.contains(&year) {
            problems.push(format!("year {year} is not a plausible budget year (table {}, 项目名称 {name})", i + 1));
            continue;
        }
        rows_of(&file.path, &hash, i, year, table, &mut projects, &mut indicators);
    }
    file.tables = projects.len() as i32;
    let no_table = || format!("no_table: no performance-target table found ({} layout, {lines} lines)", kind.name());
    settle(&mut file, projects.is_empty(), &problems, &amount_problems, &decoded, no_table);
    Outcome { file, projects, indicators: indicators.finish(), bytes_read: 0 }
}

/// Test hooks: `JIXIAO_FAULT=panic` makes files whose name contains "panic" fail inside the
/// parser, so the tests can prove a panic stays within its file; `JIXIAO_FAULT=slow` makes
/// files whose name contains "slow" take over a second, the smallest `max_file_seconds`, so
/// the tests can prove the time limit holds.
fn inject_faults(path: &str) {
    if path.contains("panic") && std::env::var("JIXIAO_FAULT").is_ok_and(|f| f == "panic") {
        panic!("fault injected for {path}");
    }
    if path.contains("slow") && std::env::var("JIXIAO_FAULT").is_ok_and(|f| f == "slow") {
        std::thread::sleep(std::time::Duration::from_millis(1500));
    }
}

/// What `str::lines().count()` says, without splitting: the reason of a file without a
/// table gives it after the text is gone.
fn line_count(text: &str) -> usize {
    let breaks = memchr::memchr_iter(b'\n', text.as_bytes()).count();
    breaks + usize::from(!text.is_empty() && !text.ends_with('\n'))
}

/// A read file's status and reason: rejected when no table was kept, partial when a table
/// or an amount had a problem or bytes were malformed, ok otherwise.
fn settle(
    file: &mut FileRow,
    nothing_kept: bool,
    problems: &[String],
    amount_problems: &[String],
    decoded: &decode::Decoded,
    no_table: impl FnOnce() -> String,
) {
    let (status, error) = if nothing_kept {
        (Status::Rejected, Some(problems.first().map_or_else(no_table, |p| format!("incomplete: {p}"))))
    } else if !problems.is_empty() || !amount_problems.is_empty() {
        (Status::Partial, Some(partial_reason(problems, amount_problems)))
    } else if decoded.decode_errors > 0 {
        let reason = format!(
            "decode: {} malformed byte sequences in {} replaced by U+FFFD",
            decoded.decode_errors, decoded.encoding
        );
        (Status::Partial, Some(reason))
    } else {
        (Status::Ok, None)
    };
    file.status = status;
    if error.is_some() {
        file.error = error;
    }
}

/// `truncated: …` / `incomplete: …` for tables, then `amount: …` for amounts stored as null,
/// joined with `; ` when a file has both.
fn partial_reason(problems: &[String], amount_problems: &[String]) -> String {
    let mut parts = Vec::new();
    if !problems.is_empty() {
        let code = if problems.iter().any(|p| p.contains("cut off")) { "truncated" } else { "incomplete" };
        parts.push(format!("{code}: {}", problems.join("; ")));
    }
    if !amount_problems.is_empty() {
        parts.push(format!("amount: {}", amount_problems.join("; ")));
    }
    parts.join("; ")
}

/// Every indicator's value reading and score; `None` once the file's deadline has passed.
fn score_indicators(t: &Table, cores: &[Core], goals: &[&str]) -> Option<Vec<(ValueReading, Scored)>> {
    let mut scored = Vec::with_capacity(t.indicators.len());
    // A level-2 label is carried down its block: its core is taken again only when it changes.
    let mut level2: (&str, Core) = ("", Core::of(""));
    for (ind, &level3_core) in t.indicators.iter().zip(cores) {
        if deadline::tick() {
            return None;
        }
        if ind.level2 != level2.0 {
            level2 = (&ind.level2, Core::of(&ind.level2));
        }
        let (reading, value_words) =
            score::read_value_for_score(&ind.value, level3_core, level2.1, ind.unit_column.as_deref());
        let s = score::score_indicator(&IndicatorInput {
            level1_code: ind.level1_code,
            level2_code: ind.level2_code,
            level2: &ind.level2,
            level3: &ind.level3,
            level3_core,
            value: &ind.value,
            reading: &reading,
            value_words: &value_words,
            goal_texts: goals,
        });
        scored.push((reading, s));
    }
    Some(scored)
}

/// The project's score from its indicators' readings and scores. Its list of them is freed
/// before the rows are built: for a table of 200,000 indicators it is 19 MB that would
/// otherwise sit next to the Arrow columns.
fn score_project(year: i32, t: &Table, cores: &[Core], scored: &[(ValueReading, Scored)]) -> Scored {
    let project_inds: Vec<ProjectIndicator> = t
        .indicators
        .iter()
        .zip(cores)
        .zip(scored)
        .map(|((ind, &level3_core), (reading, s))| ProjectIndicator {
            horizon: ind.horizon,
            level1_code: ind.level1_code,
            level2_code: ind.level2_code,
            level3: &ind.level3,
            level3_core: level3_core.text,
            value: &ind.value,
            reading,
            score: s.score,
        })
        .collect();
    score::score_project(&ProjectInput { year, form: t.form, indicators: &project_inds })
}

/// The id of a table: the hash of its file's path and content hash and its index in the file,
/// one per line, hashed as the parts stream in rather than joined into a text first.
fn project_id(path: &str, hash: &str, table_index: usize) -> String {
    let mut h = blake3::Hasher::new();
    for part in [path, "\n", hash, "\n", &table_index.to_string()] {
        h.update(part.as_bytes());
    }
    h.finalize().to_hex()[..16].to_string()
}

/// A table's project row and indicator rows. The table is taken: each indicator's text moves
/// into its row and is freed once appended, so a long table's indicators and their Arrow
/// columns are never both whole in memory.
fn rows_of(
    path: &str,
    hash: &str,
    table_index: usize,
    year: i32,
    mut t: Table,
    projects: &mut Vec<ProjectRow>,
    indicators: &mut IndicatorBuilders,
) {
    // The path is part of the id: the same disclosure saved twice (two scrapes, two formats)
    // is two files in the dataset, and joins on project_id must not multiply their rows.
    let project_id = project_id(path, hash, table_index);
    // Shared by every indicator row of the table rather than copied into each.
    let (row_project_id, row_path): (Arc<str>, Arc<str>) = (project_id.as_str().into(), path.into());
    let goals: Vec<&str> = [t.midterm_goal.as_deref(), t.annual_goal.as_deref()].into_iter().flatten().collect();
    // Each name's core is taken once for both scores (it was a tenth of scoring's work).
    let cores: Vec<Core> = t.indicators.iter().map(|i| Core::of(&i.level3)).collect();
    let Some(scored) = score_indicators(&t, &cores, &goals) else { return };
    let project_score = score_project(year, &t, &cores, &scored);
    drop(cores);
    let table_fingerprint = table_fingerprint(year, &t);
    let count = t.indicators.len() as i32;
    for (ind, (reading, s)) in std::mem::take(&mut t.indicators).into_iter().zip(scored) {
        indicators.push(&IndicatorRow {
            year,
            project_id: row_project_id.clone(),
            path: row_path.clone(),
            horizon: ind.horizon,
            level1: ind.level1,
            level2: ind.level2,
            level3: ind.level3,
            value: ind.value,
            row_index: ind.row_index as i32,
            level1_code: ind.level1_code,
            level2_code: ind.level2_code,
            value_op: reading.op,
            value_number: reading.number.and_then(float_of),
            value_unit: reading.unit,
            value_kind: reading.kind.as_str(),
            quality_score: i32::from(s.score),
            quality_flags: s.flags,
        });
    }
    projects.push(ProjectRow {
        year,
        project_id,
        path: path.to_string(),
        table_index: table_index as i32,
        table_fingerprint,
        form: t.form,
        title: t.title,
        region: t.region,
        budget_unit: t.budget_unit,
        department: t.department,
        project_name: t.project_name,
        midterm_budget_yuan: t.midterm_budget_yuan,
        annual_budget_yuan: t.annual_budget_yuan,
        midterm_start_year: t.midterm_start_year,
        midterm_end_year: t.midterm_end_year,
        midterm_goal: t.midterm_goal,
        annual_goal: t.annual_goal,
        approval_opinion: t.approval_opinion,
        indicators: count,
        parse_confidence: t.parse_confidence,
        parse_notes: t.parse_notes,
        quality_score: Some(i32::from(project_score.score)),
        quality_flags: project_score.flags,
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A fingerprint field as it was made before it was read a run at a time.
    fn by_char(s: &str) -> String {
        let mut out: String = crate::ingest::text::clean(s)
            .chars()
            .map(crate::ingest::text::fold_width)
            .filter(|c| !c.is_whitespace() && !c.is_control())
            .collect();
        out.push('\u{1f}');
        out
    }

    #[test]
    fn a_fingerprint_field_is_the_cleaned_text_folded_without_whitespace_or_controls() {
        // Chars of one to four bytes, which the field is stepped over a char at a time.
        let chars = (0..0x3100u32).chain(0xfeff..0xff70).chain(0x2_0000..0x2_0100).filter_map(char::from_u32);
        let mut texts: Vec<String> = chars.map(|c| format!("{c}项目{c}a{c}{c}")).collect();
        texts.extend(
            ["", " ", "≥ 95 %", "ＡＢ　c", "a<br>b&nbsp;c&#1;d", "x < 5 & y", "项目\n名称\t", "&lt;b&gt;"]
                .map(String::from),
        );
        for t in &texts {
            let mut out = Vec::new();
            fingerprint_field(&mut out, t);
            assert_eq!(String::from_utf8(out).unwrap(), by_char(t), "{t:?}");
        }
    }

    /// The fingerprint as it was made before the fields were hashed as they stream: one
    /// string of every cleaned, folded field, hashed whole.
    fn fingerprint_of_one_string(year: i32, t: &Table) -> String {
        let money = |d: Option<rust_decimal::Decimal>| d.map(|d| d.normalize().to_string()).unwrap_or_default();
        let mut key = String::new();
        for f in [
            &year.to_string(),
            t.budget_unit.as_deref().unwrap_or_default(),
            t.project_name.as_deref().unwrap_or_default(),
        ] {
            key.push_str(&by_char(f));
        }
        key.push_str(&by_char(&money(t.midterm_budget_yuan)));
        key.push_str(&by_char(&money(t.annual_budget_yuan)));
        for ind in &t.indicators {
            key.push('\u{1e}');
            for f in [ind.horizon, ind.level1_code, ind.level2_code, &ind.level3, &ind.value] {
                key.push_str(&by_char(f));
            }
        }
        blake3::hash(key.as_bytes()).to_hex()[..32].to_string()
    }

    #[test]
    fn a_streamed_fingerprint_is_the_hash_of_the_whole_key_string() {
        let mut tables = crate::ingest::samples::tables();
        // Tables longer than the hash's buffer, and fields of markup, whitespace and
        // full-width forms.
        let mut long = tables.iter().max_by_key(|t| t.indicators.len()).cloned().expect("the samples have tables");
        for (n, ind) in long.indicators.iter_mut().enumerate() {
            ind.level3 = format!("{}　Ａ&amp;<b>{n}</b>\t", ind.level3);
        }
        long.indicators.extend(long.indicators.clone());
        long.project_name = Some("项目".repeat(600));
        tables.push(long);
        assert!(tables.len() > 50, "{} tables", tables.len());
        for t in &tables {
            let year = t.year.unwrap_or(2020);
            assert_eq!(table_fingerprint(year, t), fingerprint_of_one_string(year, t), "{:?}", t.title);
        }
    }

    fn entry_of(path: &std::path::Path) -> Entry {
        let m = std::fs::metadata(path).unwrap();
        Entry {
            abs: path.to_path_buf(),
            rel: "x.txt".into(),
            size: m.len(),
            mtime_ns: crate::ingest::walk::mtime_ns(&m),
            error: None,
        }
    }

    #[test]
    fn a_number_is_stored_as_the_double_its_text_parses_to() {
        use rust_decimal::Decimal;
        let parsed = |d: Decimal| d.to_string().parse::<f64>().ok();
        let mut numbers: Vec<Decimal> = Vec::new();
        for t in crate::ingest::samples::tables() {
            for ind in &t.indicators {
                numbers.extend(crate::ingest::value::read_value(&ind.value, &ind.level3, &ind.level2, None).number);
            }
        }
        assert!(numbers.len() > 500, "{} sample numbers", numbers.len());
        let mut rng = fastrand::Rng::with_seed(7);
        for _ in 0..200_000 {
            // Mantissas of every size, around 2^53 where the division stops being exact.
            let m: i128 = match rng.u8(0..4) {
                0 => rng.i128(-1000..1000),
                1 => rng.i128(-(1 << 54)..(1 << 54)),
                2 => (1 << 53) + rng.i128(-3..3),
                _ => rng.i128(-(1 << 95)..(1 << 95)),
            };
            numbers.push(Decimal::from_i128_with_scale(m, rng.u32(0..=28)));
        }
        numbers
            .extend(["0", "-0", "-0.00", "0.1", "0.3", "2.675", "90.00", "-5"].map(|s| s.parse::<Decimal>().unwrap()));
        for d in numbers {
            let (got, want) = (float_of(d), parsed(d));
            assert_eq!(got.map(f64::to_bits), want.map(f64::to_bits), "{d}");
        }
    }

    #[test]
    fn a_streamed_project_id_is_the_hash_of_its_joined_parts() {
        for (path, hash, index) in [("", "", 0), ("a/b.txt", "0123abcd", 7), ("年度/项目\n.html", "ff", 123_456)] {
            let joined = blake3::hash(format!("{path}\n{hash}\n{index}").as_bytes()).to_hex()[..16].to_string();
            assert_eq!(project_id(path, hash, index), joined);
        }
    }

    #[test]
    fn line_count_counts_as_lines_does() {
        for text in ["", "a", "a\n", "a\nb", "a\r\nb\r\n", "\n\n", "a\n\nb\n"] {
            assert_eq!(line_count(text), text.lines().count(), "{text:?}");
        }
    }

    #[test]
    fn a_file_that_changes_or_vanishes_after_the_walk_is_reported() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.txt");
        std::fs::write(&path, "项目名称").unwrap();
        let entry = entry_of(&path);
        assert_eq!(read_stable(&entry, 1 << 20).unwrap(), "项目名称".as_bytes());

        std::fs::write(&path, "项目名称 and more").unwrap();
        let out = process(&entry, Limits::default());
        assert_eq!(out.file.status, Status::Rejected);
        assert!(out.file.error.as_deref().unwrap().starts_with("changed: the file changed while it was read"));

        std::fs::remove_file(&path).unwrap();
        let out = process(&entry, Limits::default());
        assert_eq!(out.file.error.as_deref(), Some("vanished: the file was removed after the walk listed it"));
    }

    #[cfg(unix)]
    #[test]
    fn a_file_replaced_by_a_fifo_is_never_opened() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.txt");
        std::fs::write(&path, "项目名称").unwrap();
        let entry = entry_of(&path);
        std::fs::remove_file(&path).unwrap();
        assert!(std::process::Command::new("mkfifo").arg(&path).status().unwrap().success());
        assert_eq!(
            read_stable(&entry, 1 << 20).unwrap_err(),
            "changed: no longer a regular file when it was read; never opened"
        );
    }
}
