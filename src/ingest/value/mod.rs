//! Stage 5, records (value): reading an indicator value into operator, number, unit and kind.
//!
//! [`read_value`] splits an indicator value (指标值) such as `≥90%`, `控制在123万元以内` or
//! `6月底前完成` into a comparison operator, a number, a unit and a kind
//! (quantitative / qualitative / placeholder / empty); [`crate::ingest::score`] then judges it.
//!
//! This runs once per indicator on millions of rows, so everything here is plain string
//! scanning over `&str`: no regex, word lists compiled once into automata, and no allocation
//! (the `unit` of a reading is a few chars, held inline). `docs/quality.md` explains the reading with
//! worked examples.

mod chars;
mod lexicon;
mod numbers;
mod ops;
mod units;

use std::sync::LazyLock;

use compact_str::CompactString;
use rust_decimal::Decimal;
use serde::Serialize;

use numbers::{NumTok, range_end, scan_numbers};
use ops::{OP_LISTS, read_op};
use units::{normalize_unit_column, unit_after};

use crate::ingest::text::fold_width;

pub use chars::Core;
#[cfg(test)]
pub(crate) use chars::{core_label, may_fold};
pub(crate) use chars::{is_punct, loose_eq, trim_cell};
pub use lexicon::ListHits;
pub(crate) use lexicon::{Lexicon, WordLists, lexicon};

/// What kind of target a value states.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ValueKind {
    /// A number that can be checked afterwards (`≥90%`, `237个`, `6月底前完成`).
    Quantitative,
    /// Words only (`验收合格`, `良好`, `按时完成`).
    Qualitative,
    /// The cell repeats the indicator's own name (`数量`, `预算执行率`): a template left unfilled.
    Placeholder,
    /// Nothing there (``, `无`, `/`, `—`).
    Empty,
}

impl ValueKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ValueKind::Quantitative => "quantitative",
            ValueKind::Qualitative => "qualitative",
            ValueKind::Placeholder => "placeholder",
            ValueKind::Empty => "empty",
        }
    }
}

/// An indicator value read into its parts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueReading {
    /// One of `>=`, `<=`, `=`, `>`, `<`, `±`.
    pub op: Option<&'static str>,
    /// The first number that measures something (see [`read_value`] for what is skipped).
    pub number: Option<Decimal>,
    /// `%` for any percent spelling, else the unit word after the number, else the unit column.
    pub unit: Option<CompactString>,
    pub kind: ValueKind,
}

/// A narrative sentence rather than a target: clause punctuation or long.
fn is_narrative(v: &str) -> bool {
    v.contains(['，', '。', '；', ';']) || v.chars().nth(30).is_some()
}

/// Values that mean "nothing here".
#[rustfmt::skip]
const EMPTY_WORDS: &[&str] = &[
    "无", "暂无", "空", "没有", "无此项", "不涉及", "不适用", "n/a", "N/A", "NA", "null", "NULL",
    "None", "none", "nan", "NaN",
];

/// Category labels that say nothing about what is measured. A value equal to one is a
/// placeholder, a level-3 name equal to one is generic.
#[rustfmt::skip]
const GENERIC_LABELS: &[&str] = &[
    "数量", "质量", "时效", "时效性", "成本", "效益", "效果", "成效", "满意度", "可持续性",
    "可持续影响", "社会效益", "经济效益", "生态效益", "社会、经济、生态效益", "产出", "预期产出",
    "预算", "目标", "目的", "作用", "其他",
];

/// Whether a core label is one of [`GENERIC_LABELS`] (which are plain text, so a plain label
/// needs only byte comparisons).
pub(crate) fn is_generic_label(c: Core) -> bool {
    if c.folds() {
        // The longest label has 10 chars: a sentence is never one, whatever it folds to.
        c.text.chars().filter(|c| !c.is_whitespace()).nth(12).is_none()
            && GENERIC_LABELS.iter().any(|g| chars::folded_eq(c.text, g))
    } else {
        GENERIC_LABELS.contains(&c.text)
    }
}

fn is_empty_value(v: &str) -> bool {
    if v.is_empty() || EMPTY_WORDS.contains(&v) {
        return true;
    }
    // Only dashes, slashes, dots and the like: `—`, `--`, `／`, `…`.
    v.chars().all(|c| {
        c.is_whitespace()
            || matches!(
                fold_width(c),
                '-' | '—' | '–' | '－' | '─' | '/' | '\\' | '、' | '.' | '。' | '…' | '_' | '*' | '~' | 'x' | 'X'
            )
    })
}

/// Whether the value repeats a name, given the cores of the names.
fn is_placeholder(v: &str, level3_core: Core, level2_core: Core) -> bool {
    // Names are short, even with a bracketed note; a sentence is not compared at all.
    if v.len() > 150 {
        return false;
    }
    let cv = Core::of(v);
    if cv.is_empty() {
        return false;
    }
    let same = |core: Core| !core.is_empty() && cv.loose_eq(core);
    same(level3_core) || same(level2_core) || is_generic_label(cv)
}

/// Reads an indicator value.
///
/// * `op`: from symbols (`≥ ≤ ＞ ＜ >= <= = ＝ ±`) or words (不少于/不低于/达到/以上 → `>=`,
///   不超过/不高于/以内/以下 → `<=`, 大于/高于/超过 → `>`, 小于/低于 → `<`); `±` beats `以内`.
/// * `number`: the first number that measures something, Arabic (full-width, `1,234.5`) or a
///   short Chinese count followed by a unit (`三个`). Labels are skipped (`1、`, `88号`).
///   A calendar year (`2020年`) is taken only when no other number follows.
/// * `unit`: `%` for `%`/`％`/`(%)`/`百分之`; else the longest known unit right after the
///   number (`个`, `人次`, `万元`, `个工作日`...), else one CJK char that does not start an
///   obvious following word; else `unit_column`.
/// * `kind`: Empty, then Placeholder (the value is the level-3 or level-2 name or a bare
///   category label), then Quantitative when a measuring number was found — a date or
///   deadline (`6月底前完成`, `2021年底前`) counts as one, since it can be checked —
///   then Qualitative. A year inside a narrative sentence (`2022年至2024年持续推进…`) is a
///   period being talked about, not a target: such a value stays Qualitative.
pub fn read_value(value: &str, level3: &str, level2: &str, unit_column: Option<&str>) -> ValueReading {
    read_value_of_cores(value, Core::of(level3), Core::of(level2), unit_column)
}

/// [`read_value`] given the cores of the level-3 and level-2 names: the records take a name's
/// core once for the reading and both scores, and a level-2 label's once for the indicators
/// under it.
pub fn read_value_of_cores(
    value: &str,
    level3_core: Core,
    level2_core: Core,
    unit_column: Option<&str>,
) -> ValueReading {
    static OP_WORDS: LazyLock<ValueWords> = LazyLock::new(|| ValueWords::new(&[]));
    read_value_words(value, level3_core, level2_core, unit_column, &OP_WORDS).0
}

/// The word lists a value is read for in one pass: the words of comparisons first, as lists 0
/// to [`ValueWords::MORE`] − 1, then the lists a caller asks about too (the scorer's), from
/// list [`ValueWords::MORE`] on. The scorer asked its lists of a value in a second pass over it.
pub struct ValueWords(WordLists);

impl ValueWords {
    /// The index of the first list a caller added.
    pub const MORE: usize = OP_LISTS.len();

    pub(crate) fn new(more: &[&'static [&'static str]]) -> Self {
        let lists: Vec<&[&str]> = OP_LISTS.iter().chain(more).copied().collect();
        ValueWords(WordLists::new(&lists))
    }

    /// Every list's answers for `s` (a name, say), from one pass over its bytes.
    pub(crate) fn scan(&self, s: &str) -> ListHits {
        self.0.scan(s)
    }
}

/// [`read_value_of_cores`] and the value's hits of `words` (trimmed by [`trim_cell`]); the hits are
/// empty for an empty or placeholder value, which is not read for words.
pub fn read_value_words(
    value: &str,
    level3_core: Core,
    level2_core: Core,
    unit_column: Option<&str>,
    words: &ValueWords,
) -> (ValueReading, ListHits) {
    let v = trim_cell(value);
    if is_empty_value(v) {
        return (ValueReading { op: None, number: None, unit: None, kind: ValueKind::Empty }, ListHits::default());
    }
    if is_placeholder(v, level3_core, level2_core) {
        let reading = ValueReading { op: None, number: None, unit: None, kind: ValueKind::Placeholder };
        return (reading, ListHits::default());
    }
    let hits = words.scan(v);
    let mut first_year: Option<NumTok> = None;
    let mut measure: Option<NumTok> = None;
    let narrative = is_narrative(v);
    scan_numbers(v, narrative, |t| {
        if t.is_year {
            if first_year.is_none() {
                first_year = Some(t);
            }
            true
        } else {
            measure = Some(t);
            false
        }
    });
    let chosen = match (measure, first_year) {
        (Some(m), _) => Some(m),
        // Only years: a short date (`2021年`, `2021年底前完成`) is a target, a sentence is not.
        (None, Some(y)) if !narrative => Some(y),
        _ => None,
    };
    let op = read_op(v, &hits);
    let Some(tok) = chosen else {
        return (ValueReading { op, number: None, unit: None, kind: ValueKind::Qualitative }, hits);
    };
    let unit = if tok.percent_prefix {
        Some(CompactString::const_new("%"))
    } else {
        // A range (`20-30人`, `2020-2022年`) carries its unit after the second number.
        unit_after(v, tok.end).or_else(|| range_end(v, tok.end).and_then(|e| unit_after(v, e)))
    };
    let unit = unit.or_else(|| unit_column.and_then(normalize_unit_column));
    (ValueReading { op, number: Some(tok.value), unit, kind: ValueKind::Quantitative }, hits)
}

#[cfg(test)]
mod tests;
