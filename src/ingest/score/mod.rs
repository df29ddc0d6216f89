//! Stage 5, records: reading indicator values and scoring how measurable they are.
//!
//! Two jobs, both pure functions over one row's text:
//!
//! * [`read_value`] splits an indicator value (指标值) such as `≥90%`, `控制在123万元以内` or
//!   `6月底前完成` into a comparison operator, a number, a unit and a kind
//!   (quantitative / qualitative / placeholder / empty).
//! * [`score_indicator`] and [`score_project`] score how well a value and a project's set of
//!   indicators meet the Ministry of Finance's requirements (财预〔2015〕88号: 指向明确、细化量化、
//!   合理可行; 财预〔2021〕101号 indicator guide). Every penalty lives in one table,
//!   [`INDICATOR_RULES`] or [`PROJECT_RULES`], so a reader of the data can see what a score means.
//!
//! These run once per indicator on millions of rows, so everything here is plain string
//! scanning over `&str`: no regex, word lists indexed once (`LazyLock`), and the only
//! allocations are the `unit` string of a reading and the `flags` vector of a score (plus a
//! whitespace-free copy when a long value with spaces is compared with the goals).
//! `docs/quality.md` explains the rules with worked examples.

use rust_decimal::Decimal;
use serde::Serialize;
use std::str::FromStr;
use std::sync::LazyLock;

// ---------------------------------------------------------------------------------------------
// Public types
// ---------------------------------------------------------------------------------------------

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
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ValueReading {
    /// One of `>=`, `<=`, `=`, `>`, `<`, `±`.
    pub op: Option<&'static str>,
    /// The first number that measures something (see [`read_value`] for what is skipped).
    pub number: Option<Decimal>,
    /// `%` for any percent spelling, else the unit word after the number, else the unit column.
    pub unit: Option<String>,
    pub kind: ValueKind,
}

/// One penalty: a stable code (stored in the dataset), its weight and a one-line meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rule {
    pub code: &'static str,
    pub weight: u8,
    pub description: &'static str,
}

/// A score from 0 to 100 and the codes of the rules that took points off it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Scored {
    pub score: u8,
    pub flags: Vec<&'static str>,
}

/// Everything [`score_indicator`] looks at for one indicator row.
#[derive(Debug, Clone, Copy)]
pub struct IndicatorInput<'a> {
    /// `output` | `outcome` | `satisfaction` | `cost`.
    pub level1_code: &'a str,
    /// `quantity` | `quality` | `timeliness` | `cost` | `social_benefit` | ... | `other`.
    pub level2_code: &'a str,
    /// The level-2 label as printed (二级指标), to tell social and ecological cost (which may
    /// be stated in words) from economic cost.
    pub level2: &'a str,
    /// The level-3 name as printed (三级指标).
    pub level3: &'a str,
    /// The value as printed (指标值).
    pub value: &'a str,
    pub reading: &'a ValueReading,
    /// The project's goal texts (总体目标, 中期 and 年度), to catch values copied from them.
    pub goal_texts: &'a [&'a str],
}

/// One indicator of a project as [`score_project`] sees it.
#[derive(Debug, Clone, Copy)]
pub struct ProjectIndicator<'a> {
    /// `midterm` | `annual`.
    pub horizon: &'a str,
    pub level1_code: &'a str,
    pub level2_code: &'a str,
    /// Needed to pair an annual indicator with its midterm counterpart.
    pub level3: &'a str,
    pub value: &'a str,
    pub reading: &'a ValueReading,
    /// The indicator's own [`score_indicator`] score.
    pub score: u8,
}

/// One project table.
#[derive(Debug, Clone, Copy)]
pub struct ProjectInput<'a> {
    pub year: i32,
    /// `approval` (批复表, midterm + annual) | `target` (申报表/目标表, annual only).
    pub form: &'a str,
    pub indicators: &'a [ProjectIndicator<'a>],
}

// ---------------------------------------------------------------------------------------------
// Rule tables. The weights are argued in docs/quality.md; the short reason is beside each.
// ---------------------------------------------------------------------------------------------

pub const EMPTY: &str = "EMPTY";
pub const PLACEHOLDER: &str = "PLACEHOLDER";
pub const NOT_QUANTIFIED: &str = "NOT_QUANTIFIED";
pub const NO_UNIT: &str = "NO_UNIT";
pub const NO_DIRECTION: &str = "NO_DIRECTION";
pub const WRONG_DIRECTION: &str = "WRONG_DIRECTION";
pub const CATEGORY_MISMATCH: &str = "CATEGORY_MISMATCH";
pub const VAGUE: &str = "VAGUE";
pub const COPIES_GOAL: &str = "COPIES_GOAL";
pub const IMPLAUSIBLE: &str = "IMPLAUSIBLE";
pub const GENERIC_NAME: &str = "GENERIC_NAME";

/// Penalties of one indicator. Score = 100 − Σ weight of the flags raised, floored at 0.
pub const INDICATOR_RULES: &[Rule] = &[
    // No target at all: nothing can be checked afterwards, so nothing is left of the score.
    Rule { code: EMPTY, weight: 100, description: "value is missing (blank, 无, /, —)" },
    // A template cell never filled in states as little as a blank one.
    Rule {
        code: PLACEHOLDER,
        weight: 100,
        description: "value only repeats the indicator's name (数量, 预算执行率, 满意度)",
    },
    // 88号 asks to quantify wherever possible; words are allowed only when numbers cannot be
    // had, so this is the largest penalty a filled-in value can get.
    Rule { code: NOT_QUANTIFIED, weight: 35, description: "value has no number (验收合格, 按时完成)" },
    // A number without a unit can still be checked if the name says what is counted, so the
    // loss is small.
    Rule { code: NO_UNIT, weight: 10, description: "number without a unit (3)" },
    // `90%` for a rate leaves open whether 90 is a floor or a ceiling; the intent is usually
    // guessable, so small.
    Rule { code: NO_DIRECTION, weight: 10, description: "rate target without ≥/≤/= (90% for a 合格率)" },
    // A ceiling on a good rate (合格率≤90%) or a floor on a bad one rewards failure: the
    // target is wrong, not just loose.
    Rule {
        code: WRONG_DIRECTION,
        weight: 20,
        description: "direction contradicts the indicator (合格率≤90%, 误差率≥3%)",
    },
    // The value measures something else than its category asks (时效 with 全年, 成本 with
    // words, 满意度 with 满意): the category is not actually covered.
    Rule {
        code: CATEGORY_MISMATCH,
        weight: 15,
        description: "value does not fit the level-2 category (时效: 及时/全年; 成本: no money)",
    },
    // On top of NOT_QUANTIFIED: an adjective alone (良好, 显著, 稳步推进) is not even a
    // graded level that an evaluator could tick off.
    Rule {
        code: VAGUE, weight: 25, description: "value is only a vague word (良好, 有效, 显著, 提高, 稳步推进)"
    },
    // A goal sentence pasted as a value restates the aim instead of measuring it.
    Rule { code: COPIES_GOAL, weight: 25, description: "value is (part of) the project's goal text" },
    // A rate over 100% or a negative count cannot be reached or makes no sense.
    Rule {
        code: IMPLAUSIBLE,
        weight: 20,
        description: "number impossible for the indicator (rate >100%, negative count, month >12)",
    },
    // 指向明确: the name should say what is measured; the value can still be good, so small.
    Rule {
        code: GENERIC_NAME,
        weight: 10,
        description: "level-3 name only repeats a category label (数量, 质量, 时效, 满意度)",
    },
];

pub const MISSING_QUANTITY: &str = "MISSING_QUANTITY";
pub const MISSING_QUALITY: &str = "MISSING_QUALITY";
pub const MISSING_TIMELINESS: &str = "MISSING_TIMELINESS";
pub const MISSING_OUTCOME: &str = "MISSING_OUTCOME";
pub const MISSING_SATISFACTION: &str = "MISSING_SATISFACTION";
pub const MISSING_COST: &str = "MISSING_COST";
pub const TOO_FEW_INDICATORS: &str = "TOO_FEW_INDICATORS";
pub const ANNUAL_SAME_AS_MIDTERM: &str = "ANNUAL_SAME_AS_MIDTERM";
pub const ANNUAL_EXCEEDS_MIDTERM: &str = "ANNUAL_EXCEEDS_MIDTERM";

/// Penalties of a project, taken off the mean of its indicator scores, floored at 0.
pub const PROJECT_RULES: &[Rule] = &[
    // Quantity and outcome are the two the 101号 guide calls mandatory for every project.
    Rule { code: MISSING_QUANTITY, weight: 15, description: "no filled-in 数量 indicator in the annual targets" },
    Rule { code: MISSING_QUALITY, weight: 10, description: "no filled-in 质量 indicator in the annual targets" },
    Rule { code: MISSING_TIMELINESS, weight: 10, description: "no filled-in 时效 indicator in the annual targets" },
    Rule {
        code: MISSING_OUTCOME,
        weight: 15,
        description: "no filled-in 效益 (outcome) indicator in the annual targets",
    },
    // 101号 asks for satisfaction "原则上" (as a rule) for services to the public.
    Rule {
        code: MISSING_SATISFACTION, weight: 10, description: "no filled-in 满意度 indicator in the annual targets"
    },
    // Cost became a level-1 indicator with 101号 (2021); earlier forms are not held to it.
    Rule {
        code: MISSING_COST,
        weight: 10,
        description: "no filled-in 成本 indicator in the annual targets (year ≥ 2021)",
    },
    Rule { code: TOO_FEW_INDICATORS, weight: 15, description: "fewer than 3 filled-in annual indicators" },
    // A 3-year target copied into the annual column was not broken down per year.
    Rule {
        code: ANNUAL_SAME_AS_MIDTERM,
        weight: 10,
        description: "approval form: every annual value equals its midterm counterpart",
    },
    Rule {
        code: ANNUAL_EXCEEDS_MIDTERM,
        weight: 10,
        description: "an annual quantity is larger than the midterm one (same name and unit)",
    },
];

/// The rule of `code` in [`INDICATOR_RULES`] or [`PROJECT_RULES`].
pub fn rule(code: &str) -> Option<&'static Rule> {
    INDICATOR_RULES.iter().chain(PROJECT_RULES.iter()).find(|r| r.code == code)
}

/// The one-line meaning of a flag code, for reports; empty for an unknown code.
pub fn describe(code: &str) -> &'static str {
    rule(code).map_or("", |r| r.description)
}

fn penalty(table: &[Rule], flags: &[&'static str]) -> u32 {
    flags.iter().map(|f| table.iter().find(|r| r.code == *f).map_or(0, |r| u32::from(r.weight))).sum()
}

// ---------------------------------------------------------------------------------------------
// Character helpers
// ---------------------------------------------------------------------------------------------

/// Full-width ASCII (`０-９`, `％`, `．`, `＞` ...) to its half-width form; the rest unchanged.
fn fold(c: char) -> char {
    match c {
        '\u{FF01}'..='\u{FF5E}' => char::from_u32(c as u32 - 0xFEE0).unwrap_or(c),
        '\u{3000}' => ' ',
        _ => c,
    }
}

fn is_cjk(c: char) -> bool {
    matches!(c, '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}')
}

/// The char at byte `i`, folded; `None` at the end.
fn char_at(s: &str, i: usize) -> Option<char> {
    s.get(i..).and_then(|t| t.chars().next()).map(fold)
}

/// The char before byte `i`, folded.
fn char_before(s: &str, i: usize) -> Option<char> {
    s.get(..i).and_then(|t| t.chars().next_back()).map(fold)
}

/// Byte index after the char at `i`.
fn after(s: &str, i: usize) -> usize {
    i + s.get(i..).and_then(|t| t.chars().next()).map_or(1, char::len_utf8)
}

/// Quotes, whitespace and stray punctuation that wrap a cell without meaning anything.
fn trim_cell(s: &str) -> &str {
    s.trim_matches(|c: char| {
        c.is_whitespace() || matches!(c, '"' | '\'' | '“' | '”' | '‘' | '’' | '「' | '」' | '『' | '』' | '\u{FEFF}')
    })
}

/// A name reduced to its core for comparison: no bracketed note (`数量指标（或建筑规模指标）`),
/// no leading `N、`/`1.` numbering, no trailing `指标` or punctuation.
fn core_label(s: &str) -> &str {
    let mut s = trim_cell(s);
    // A name that *starts* with a bracket keeps its text; only trailing notes go.
    if let Some(i) = bracket_pos(s)
        && i > 0
    {
        s = &s[..i];
    }
    // Numbering such as `1、数量` or `2.质量`.
    if s.as_bytes().first().is_some_and(u8::is_ascii_digit) {
        let t = s.trim_start_matches(|c: char| c.is_ascii_digit() || matches!(c, '、' | '.' | '．'));
        if !t.is_empty() {
            s = t;
        }
    }
    let mut s = s.trim_end_matches(|c: char| c.is_whitespace() || is_punct(c));
    for suf in ["指标值", "指标"] {
        if let Some(t) = s.strip_suffix(suf)
            && !t.is_empty()
        {
            s = t;
            break;
        }
    }
    s.trim()
}

/// Byte position of the first `(`, `[`, `（` or `【`; a byte scan, as this runs on every name.
fn bracket_pos(s: &str) -> Option<usize> {
    let b = s.as_bytes();
    (0..b.len()).find(|&i| match b[i] {
        b'(' | b'[' => true,
        // `（` is EF BC 88, `【` is E3 80 90.
        0xEF => b.get(i + 1..i + 3) == Some(&[0xBC, 0x88]),
        0xE3 => b.get(i + 1..i + 3) == Some(&[0x80, 0x90]),
        _ => false,
    })
}

fn is_punct(c: char) -> bool {
    "!\"#'*,.:;?@\\^_`|~、。，；：？！…·“”‘’".contains(fold(c))
}

/// Equal after dropping whitespace and folding full-width forms, without allocating.
fn loose_eq(a: &str, b: &str) -> bool {
    // Most names are plain: compare bytes and only walk chars when something may fold.
    if a == b {
        return true;
    }
    if !may_fold(a) && !may_fold(b) {
        return false;
    }
    let mut x = a.chars().filter(|c| !c.is_whitespace()).map(fold);
    let mut y = b.chars().filter(|c| !c.is_whitespace()).map(fold);
    loop {
        match (x.next(), y.next()) {
            (None, None) => return true,
            (Some(p), Some(q)) if p == q => {}
            _ => return false,
        }
    }
}

/// Whether `s` holds whitespace or full-width forms, i.e. whether [`fold`] and whitespace
/// removal can change it. A byte scan first: only ASCII whitespace and the lead bytes C2
/// (U+00A0), E2 (U+2000..), E3 (U+3000) and EF (U+FF01..) can start such a char.
fn may_fold(s: &str) -> bool {
    s.bytes().any(|b| b.is_ascii_whitespace() || matches!(b, 0xC2 | 0xE2 | 0xE3 | 0xEF))
        && s.chars().any(|c| c.is_whitespace() || ('\u{FF01}'..='\u{FF5E}').contains(&c))
}

/// For the short inline word lists; the long ones go through a [`Lexicon`].
fn contains_any(s: &str, words: &[&str]) -> bool {
    words.iter().any(|w| s.contains(w))
}

/// A word list indexed by first char, so a text is scanned once per list instead of once per
/// word: `str::find` per word over a hundred-word list cost microseconds per value.
struct Lexicon {
    /// Sorted by first char; each group longest word first.
    index: Vec<(char, Vec<&'static str>)>,
    /// Bit `c % 256` set for every first char `c`: most chars of a text are rejected here
    /// without a search.
    mask: [u64; 4],
}

impl Lexicon {
    fn new(words: &[&'static str]) -> Self {
        let mut index: Vec<(char, Vec<&'static str>)> = Vec::new();
        for w in words {
            let Some(c) = w.chars().next() else { continue };
            match index.binary_search_by_key(&c, |e| e.0) {
                Ok(k) => index[k].1.push(w),
                Err(k) => index.insert(k, (c, vec![w])),
            }
        }
        let mut mask = [0u64; 4];
        for (c, group) in &mut index {
            group.sort_by_key(|w| std::cmp::Reverse(w.len()));
            group.dedup();
            let b = *c as usize & 255;
            mask[b / 64] |= 1 << (b % 64);
        }
        Lexicon { index, mask }
    }

    /// The words starting at byte `i` of `s`, longest first.
    fn at<'s>(&'s self, s: &'s str, i: usize) -> impl Iterator<Item = &'static str> + 's {
        let rest = s.get(i..).unwrap_or("");
        let group = rest
            .chars()
            .next()
            .filter(|&c| {
                let b = c as usize & 255;
                self.mask[b / 64] & (1 << (b % 64)) != 0
            })
            .and_then(|c| self.index.binary_search_by_key(&c, |e| e.0).ok())
            .map_or(&[][..], |k| self.index[k].1.as_slice());
        group.iter().copied().filter(move |w| rest.starts_with(w))
    }

    /// Longest word at the start of `s`.
    fn prefix(&self, s: &str) -> Option<&'static str> {
        self.at(s, 0).next()
    }

    /// First match in `s`: its byte position and the longest word there.
    fn first(&self, s: &str) -> Option<(usize, &'static str)> {
        s.char_indices().find_map(|(i, _)| self.at(s, i).next().map(|w| (i, w)))
    }

    fn contains(&self, s: &str) -> bool {
        self.first(s).is_some()
    }

    /// The match that ends last, longest on a tie, as (end byte, length).
    fn last_end(&self, s: &str) -> Option<(usize, usize)> {
        s.char_indices().flat_map(|(i, _)| self.at(s, i).map(move |w| (i + w.len(), w.len()))).max()
    }
}

macro_rules! lexicon {
    ($name:ident, $words:expr) => {
        static $name: LazyLock<Lexicon> = LazyLock::new(|| Lexicon::new($words));
    };
}

/// A narrative sentence rather than a target: clause punctuation or long.
fn is_narrative(v: &str) -> bool {
    v.contains(['，', '。', '；', ';']) || v.chars().count() > 30
}

// ---------------------------------------------------------------------------------------------
// Value reading
// ---------------------------------------------------------------------------------------------

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
fn is_generic_label(c: &str) -> bool {
    if may_fold(c) {
        // The longest label has 10 chars: a sentence is never one, whatever it folds to.
        c.chars().filter(|c| !c.is_whitespace()).nth(12).is_none() && GENERIC_LABELS.iter().any(|g| loose_eq(c, g))
    } else {
        GENERIC_LABELS.contains(&c)
    }
}

/// Units after a number, matched longest first. Classifiers (量词) are one char; every
/// common longer unit is listed so the one-char fallback below stays a fallback.
#[rustfmt::skip]
const UNITS: &[&str] = &[
    "个工作日", "平方公里", "平方千米", "个百分点", "千瓦时", "平方米", "立方米", "工作日",
    "百分点", "个月", "人次", "户次", "车次", "台次", "架次", "场次", "件次", "批次", "班次",
    "课时", "学时", "小时", "分钟", "季度", "公里", "千米", "千克", "公斤", "公顷", "平米", "千瓦",
    "兆瓦", "厘米", "毫米", "台套", "个", "人", "次", "场", "批", "户", "所", "项", "台", "份",
    "件", "家", "天", "日", "周", "月", "年", "期", "套", "本", "册", "条", "处", "座", "辆", "篇",
    "部", "张", "棵", "株", "间", "宗", "起", "单", "门", "节", "类", "组", "支", "队", "级", "分",
    "块", "根", "盏", "艘", "头", "只", "箱", "袋", "包", "瓶", "栋", "幢", "层", "亩", "吨", "米",
    "元", "倍", "名", "位", "例", "对", "片", "村", "站", "轮", "遍", "星", "页", "卷", "盒", "床",
    "度", "点",
];

/// Magnitudes that may sit between the number and the unit (`10万元`, `3亿元`, `5千人`).
const MAGNITUDES: &[char] = &['万', '亿', '千', '百'];

/// Chars that end the one-char fallback unit: they start a following word, not a unit.
#[rustfmt::skip]
const UNIT_STOP: &[char] = &[
    '以', '前', '内', '后', '的', '及', '和', '或', '至', '到', '达', '完', '左', '约', '每', '共',
    '等', '为', '是', '在', '不', '之', '底', '末', '中', '上', '下', '余', '多',
];

lexicon!(UNIT_LEX, UNITS);

/// Longest unit in [`UNITS`] at the start of `s`.
fn known_unit(s: &str) -> Option<&'static str> {
    UNIT_LEX.prefix(s)
}

/// The unit right after a number ending at byte `end`.
fn unit_after(s: &str, end: usize) -> Option<String> {
    let mut i = end;
    while char_at(s, i).is_some_and(|c| c == ' ') {
        i = after(s, i);
    }
    let rest = s.get(i..)?;
    // Every percent spelling: `%`, `％`, `(%)`, `（%）`, `(％)`.
    for p in ["%", "％", "(%)", "（%）", "(％)", "（％）", "（%)", "(%）"] {
        if rest.starts_with(p) {
            return Some("%".to_string());
        }
    }
    if rest.starts_with('‰') {
        return Some("‰".to_string());
    }
    // `10余个`, `100多人`: approximate markers before the unit.
    let mut j = i;
    if let Some(c @ ('余' | '多')) = char_at(s, j) {
        let k = j + c.len_utf8();
        if s.get(k..).is_some_and(|t| known_unit(t).is_some()) {
            j = k;
        }
    }
    let rest = s.get(j..)?;
    if let Some(u) = known_unit(rest) {
        return Some(u.to_string());
    }
    // Magnitude + unit, or a bare magnitude (`5万`).
    let first = rest.chars().next()?;
    if MAGNITUDES.contains(&first) {
        let k = j + first.len_utf8();
        if let Some(u) = s.get(k..).and_then(known_unit) {
            let mut out = String::with_capacity(first.len_utf8() + u.len());
            out.push(first);
            out.push_str(u);
            return Some(out);
        }
        if first != '百' {
            return Some(first.to_string());
        }
    }
    // Symbols with a unit meaning.
    let sym = match first {
        '㎡' => Some("平方米"),
        '㎞' => Some("公里"),
        '㎏' => Some("千克"),
        '℃' => Some("℃"),
        _ => None,
    };
    if let Some(u) = sym {
        return Some(u.to_string());
    }
    // ASCII units: `km`, `m2`, `t`, `MW`, `GB`.
    if first.is_ascii_alphabetic() {
        let len: usize = rest
            .char_indices()
            .take_while(|(n, c)| c.is_ascii_alphabetic() || (*n > 0 && matches!(c, '²' | '³' | '2' | '3' | '/')))
            .map(|(_, c)| c.len_utf8())
            .sum();
        if len <= 6 {
            return Some(rest[..len].to_string());
        }
        return None;
    }
    // Fallback: one CJK char that is not the start of an obvious following word. Classifiers
    // are one char; taking more would swallow the noun after them (`237个直管党组织`).
    if is_cjk(first) && !UNIT_STOP.contains(&first) && !is_chinese_digit(first) {
        return Some(first.to_string());
    }
    None
}

/// One number found in a value.
#[derive(Debug, Clone, Copy)]
struct NumTok {
    end: usize,
    value: Decimal,
    /// A calendar year (`2020年`, `2020-2022`): a date, not an amount.
    is_year: bool,
    /// `百分之90`: the unit is % whatever follows.
    percent_prefix: bool,
}

fn is_chinese_digit(c: char) -> bool {
    matches!(c, '零' | '〇' | '一' | '二' | '两' | '三' | '四' | '五' | '六' | '七' | '八' | '九')
}

fn is_chinese_num_char(c: char) -> bool {
    is_chinese_digit(c) || matches!(c, '十' | '百' | '千')
}

/// `三`, `十二`, `二十`, `一百零五`, `两千`: small Chinese numbers. Two digits in a row
/// (`二〇二〇`, `一二`) are not read: they are codes or years, not counts.
fn parse_chinese(run: &str) -> Option<u32> {
    let mut total: u32 = 0;
    let mut current: Option<u32> = None;
    let mut any = false;
    for c in run.chars() {
        let d = match c {
            '零' | '〇' => {
                current = None;
                continue;
            }
            '一' => 1,
            '二' | '两' => 2,
            '三' => 3,
            '四' => 4,
            '五' => 5,
            '六' => 6,
            '七' => 7,
            '八' => 8,
            '九' => 9,
            '十' | '百' | '千' => {
                let mult = match c {
                    '十' => 10,
                    '百' => 100,
                    _ => 1000,
                };
                // `十二` has no digit before 十; `百`/`千` alone are not numbers.
                let base = match current {
                    Some(d) => d,
                    None if c == '十' => 1,
                    None => return None,
                };
                total = total.checked_add(base.checked_mul(mult)?)?;
                current = None;
                any = true;
                continue;
            }
            _ => return None,
        };
        if current.is_some() {
            return None;
        }
        current = Some(d);
        any = true;
    }
    if !any {
        return None;
    }
    total.checked_add(current.unwrap_or(0))
}

/// Chars that make a preceding Chinese numeral part of a word (`统一`, `第一`, `唯一`).
const CN_NUM_BLOCKERS: &[char] = &['第', '统', '唯', '进', '同', '之', '万', '周', '星', '初'];

/// Scans `v` for numbers in order and hands each measuring one to `f` until it returns false.
///
/// Skipped, because they are labels and not amounts: list numbering (`1、`, `（2）`, `3.`
/// before text), document and building numbers (`88号`, `〔2015〕`), and numbers glued to
/// ASCII letters (`G107`, `5G`).
fn scan_numbers(v: &str, mut f: impl FnMut(NumTok) -> bool) {
    let short = !is_narrative(v);
    let mut i = 0;
    while i < v.len() {
        let Some(c) = char_at(v, i) else { break };
        let mut percent_prefix = false;
        let mut start = i;
        if v[i..].starts_with("百分之") {
            percent_prefix = true;
            start = i + "百分之".len();
        }
        let sc = if percent_prefix { char_at(v, start) } else { Some(c) };
        match sc {
            Some(d) if d.is_ascii_digit() => {
                let (tok, end) = read_arabic(v, start, percent_prefix);
                if let Some(tok) = tok
                    && !f(tok)
                {
                    return;
                }
                i = end.max(after(v, i));
            }
            Some(d) if is_chinese_num_char(d) && (short || percent_prefix) => {
                let mut end = start;
                while char_at(v, end).is_some_and(is_chinese_num_char) {
                    end = after(v, end);
                }
                let run = &v[start..end];
                let blocked = !percent_prefix && char_before(v, start).is_some_and(|p| CN_NUM_BLOCKERS.contains(&p));
                // Only a count: a numeral followed by a unit (`三个`, `十次`), never a word
                // that happens to contain one (`一般`, `十分`, `一次性`).
                let unit_ok = percent_prefix
                    || v.get(end..).and_then(known_unit).is_some_and(|u| {
                        u != "分"
                            && u != "点"
                            && !v
                                .get(end + u.len()..)
                                .is_some_and(|t| t.starts_with(['性', '式', '体', '致', '般', '道', '起', '带']))
                    });
                if !blocked
                    && unit_ok
                    && let Some(n) = parse_chinese(run)
                {
                    let tok = NumTok { end, value: Decimal::from(n), is_year: false, percent_prefix };
                    if !f(tok) {
                        return;
                    }
                }
                i = end.max(after(v, i));
            }
            _ => i = after(v, i),
        }
    }
}

/// Reads an Arabic number starting at byte `i`; returns the token (None when it is a label)
/// and where scanning continues.
fn read_arabic(v: &str, i: usize, percent_prefix: bool) -> (Option<NumTok>, usize) {
    // Digits into a stack buffer: no allocation, and Decimal parses it.
    let mut buf = [0u8; 40];
    let mut n = 0usize;
    let mut j = i;
    let mut int_digits = 0usize;
    let mut seen_dot = false;
    let mut overflow = false;
    let mut push = |b: u8, n: &mut usize| {
        if *n < buf.len() {
            buf[*n] = b;
            *n += 1;
        } else {
            overflow = true;
        }
    };
    // A minus sign counts only at the start of the value or right after an operator,
    // elsewhere `-` is a range (`3-5`) or a dash.
    let raw_prev = v.get(..i).and_then(|t| t.chars().next_back());
    if let Some(p @ ('-' | '−' | '－')) = raw_prev {
        let before_minus = char_before(v, i - p.len_utf8());
        if before_minus.is_none_or(|b| matches!(b, '=' | '>' | '<' | '≥' | '≤' | ' ')) {
            push(b'-', &mut n);
        }
    }
    let mut digits_since_sep = 0usize;
    while let Some(c) = char_at(v, j) {
        if c.is_ascii_digit() {
            push(c as u8, &mut n);
            if !seen_dot {
                int_digits += 1;
            }
            digits_since_sep += 1;
            j = after(v, j);
        } else if (c == '.') && !seen_dot && char_at(v, after(v, j)).is_some_and(|d| d.is_ascii_digit()) {
            seen_dot = true;
            push(b'.', &mut n);
            j = after(v, j);
        } else if c == ',' && !seen_dot && digits_since_sep <= 3 && thousands_group(v, after(v, j)) {
            // `1,234` / `1，234`: exactly three digits follow and then no digit.
            digits_since_sep = 0;
            j = after(v, j);
        } else {
            break;
        }
    }
    let end = j;
    let next = char_at(v, end);
    let prev = char_before(v, i);
    let label = next == Some('、')
        || next == Some('号')
        || next.is_some_and(|c| c.is_ascii_alphabetic() && !starts_ascii_unit(v, end))
        || prev.is_some_and(|c| c.is_ascii_alphabetic())
        || matches!(prev, Some('〔' | '【' | '[' | '#' | '№'))
        // `（1）`, `(2)` wrapped whole, or `1.` / `1)` opening a list item.
        || (matches!(prev, Some('(' | '（')) && matches!(next, Some(')' | '）')))
        || (!seen_dot
            && matches!(next, Some('.' | ')' | '）'))
            && prev.is_none_or(|c| c.is_whitespace() || is_punct(c) || c == '>')
            && char_at(v, after(v, end)).is_none_or(|c| !c.is_ascii_digit() && c != '%'));
    if label || overflow || int_digits > 20 {
        return (None, end);
    }
    let Ok(text) = std::str::from_utf8(&buf[..n]) else {
        return (None, end);
    };
    let Ok(value) = Decimal::from_str(text) else {
        return (None, end);
    };
    let is_year = !seen_dot
        && int_digits == 4
        && (1900..=2100).contains(&value.trunc().mantissa())
        && match next {
            Some('年') => true,
            Some('-' | '/' | '.' | '~' | '至' | '—' | '－') => true,
            None => prev.is_some_and(|c| matches!(c, '-' | '—' | '~' | '至')),
            _ => false,
        };
    (Some(NumTok { end, value, is_year, percent_prefix }), end)
}

fn thousands_group(v: &str, i: usize) -> bool {
    let mut j = i;
    for _ in 0..3 {
        if !char_at(v, j).is_some_and(|c| c.is_ascii_digit()) {
            return false;
        }
        j = after(v, j);
    }
    !char_at(v, j).is_some_and(|c| c.is_ascii_digit())
}

/// Letters right after a number are a unit (`10km`, `5G`) when there are few of them; a
/// long run is a word or a code.
fn starts_ascii_unit(v: &str, i: usize) -> bool {
    v.get(i..).is_some_and(|t| t.chars().take_while(char::is_ascii_alphabetic).count() <= 6)
}

const OP_WORDS: &[(&str, &str)] = &[
    ("不少于", ">="),
    ("不低于", ">="),
    ("不小于", ">="),
    ("不超过", "<="),
    ("不高于", "<="),
    ("不大于", "<="),
    ("不多于", "<="),
    ("不足", "<"),
    ("至少", ">="),
    ("达到", ">="),
    ("以上", ">="),
    ("以内", "<="),
    ("之内", "<="),
    ("以下", "<="),
    ("最多", "<="),
    ("大于", ">"),
    ("高于", ">"),
    ("超过", ">"),
    ("多于", ">"),
    ("小于", "<"),
    ("低于", "<"),
    ("少于", "<"),
    ("等于", "="),
];

static OP_LEX: LazyLock<Lexicon> = LazyLock::new(|| {
    let words: Vec<&'static str> = OP_WORDS.iter().map(|(w, _)| *w).collect();
    Lexicon::new(&words)
});

/// The comparison a value states. Symbols win over words; among words the negated forms are
/// tried first so `不低于` is not read as `低于`.
fn read_op(v: &str) -> Option<&'static str> {
    let mut prev: Option<char> = None;
    let mut sym: Option<&'static str> = None;
    for c in v.chars().map(fold) {
        let op = match (prev, c) {
            (_, '±') => Some("±"),
            (_, '≥' | '≧' | '⩾') => Some(">="),
            (_, '≤' | '≦' | '⩽') => Some("<="),
            (Some('>'), '=') | (Some('='), '>') => Some(">="),
            (Some('<'), '=') | (Some('='), '<') => Some("<="),
            _ => None,
        };
        if let Some(op) = op {
            // `>` then `=` upgrades the `>` already seen; `±` always wins (`±3%以内`).
            if sym.is_none() || matches!(sym, Some(">" | "<" | "=")) || op == "±" {
                sym = Some(op);
            }
            if op == "±" {
                return sym;
            }
        } else if sym.is_none() {
            sym = match c {
                '>' => Some(">"),
                '<' => Some("<"),
                '=' => Some("="),
                _ => None,
            };
        }
        prev = Some(c);
    }
    if sym.is_some() {
        return sym;
    }
    // The earliest word wins, the longest at a position: `不超过` is matched, not `超过`.
    let (_, w) = OP_LEX.first(v)?;
    OP_WORDS.iter().find(|(word, _)| *word == w).map(|(_, op)| *op)
}

fn is_empty_value(v: &str) -> bool {
    if v.is_empty() || EMPTY_WORDS.contains(&v) {
        return true;
    }
    // Only dashes, slashes, dots and the like: `—`, `--`, `／`, `…`.
    v.chars().all(|c| {
        c.is_whitespace()
            || matches!(
                fold(c),
                '-' | '—' | '–' | '－' | '─' | '/' | '\\' | '、' | '.' | '。' | '…' | '_' | '*' | '~' | 'x' | 'X'
            )
    })
}

fn is_placeholder(v: &str, level3: &str, level2: &str) -> bool {
    // Names are short, even with a bracketed note; a sentence is not compared at all.
    if v.len() > 150 {
        return false;
    }
    let cv = core_label(v);
    if cv.is_empty() {
        return false;
    }
    let cv_plain = !may_fold(cv);
    let same = |name: &str| {
        // The core of `name` is a slice of it: when nothing folds, `name` must contain the
        // value, and a substring search is much cheaper than taking the core.
        if cv_plain && !name.contains(cv) && !may_fold(name) {
            return false;
        }
        let c = core_label(name);
        !c.is_empty() && loose_eq(cv, c)
    };
    same(level3) || same(level2) || is_generic_label(cv)
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
    let v = trim_cell(value);
    if is_empty_value(v) {
        return ValueReading { op: None, number: None, unit: None, kind: ValueKind::Empty };
    }
    if is_placeholder(v, level3, level2) {
        return ValueReading { op: None, number: None, unit: None, kind: ValueKind::Placeholder };
    }
    let mut first_year: Option<NumTok> = None;
    let mut measure: Option<NumTok> = None;
    scan_numbers(v, |t| {
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
        (None, Some(y)) if !is_narrative(v) => Some(y),
        _ => None,
    };
    let Some(tok) = chosen else {
        return ValueReading { op: read_op(v), number: None, unit: None, kind: ValueKind::Qualitative };
    };
    let unit = if tok.percent_prefix {
        Some("%".to_string())
    } else {
        // A range (`20-30人`, `2020-2022年`) carries its unit after the second number.
        unit_after(v, tok.end).or_else(|| range_end(v, tok.end).and_then(|e| unit_after(v, e)))
    };
    let unit = unit.or_else(|| unit_column.and_then(normalize_unit_column));
    ValueReading { op: read_op(v), number: Some(tok.value), unit, kind: ValueKind::Quantitative }
}

/// Where the second number of a range starting at `end` (`-30`, `至2022`) ends.
fn range_end(v: &str, end: usize) -> Option<usize> {
    let sep = char_at(v, end)?;
    if !matches!(sep, '-' | '~' | '—' | '至' | '到' | '－' | '～') {
        return None;
    }
    let mut j = after(v, end);
    // `——` and `--` are one separator.
    while char_at(v, j).is_some_and(|c| c == sep) {
        j = after(v, j);
    }
    let start = j;
    while char_at(v, j).is_some_and(|c| c.is_ascii_digit() || c == '.') {
        j = after(v, j);
    }
    (j > start).then_some(j)
}

fn normalize_unit_column(u: &str) -> Option<String> {
    let u = trim_cell(u);
    let u = u.trim_matches(|c| matches!(c, '(' | ')' | '（' | '）'));
    if is_empty_value(u) {
        return None;
    }
    if matches!(u, "%" | "％" | "百分比" | "百分率" | "比率") {
        return Some("%".to_string());
    }
    Some(u.to_string())
}

// ---------------------------------------------------------------------------------------------
// Indicator score
// ---------------------------------------------------------------------------------------------

/// Rate-like indicators, where a target needs a direction.
const RATE_MARKERS: &[&str] = &["率", "满意度", "覆盖", "知晓", "占比", "比例", "比重"];

/// What makes a rate or count "good" (more is better). Matched against the level-3 name.
#[rustfmt::skip]
const GOOD_MARKERS: &[&str] = &[
    "合格", "覆盖", "满意", "知晓", "执行", "完成", "达标", "及时", "准确", "正确", "到位", "参与",
    "使用率", "利用", "入学", "就业", "通过", "普及", "受益", "治愈", "回收", "处理", "处置",
    "上线", "出勤", "完好", "优良", "合规", "办结", "结案", "响应", "接通", "兑现", "发放", "支付",
    "验收", "销项", "达成", "按时", "准时", "成功", "存活", "成活", "运行", "在线", "可用", "竣工",
    "修复", "整改", "录入", "归档", "查处", "解决", "认可", "好评", "参保", "完整", "规范",
];

/// What makes a rate or count "bad" (less is better).
#[rustfmt::skip]
const BAD_MARKERS: &[&str] = &[
    "不合格", "不达标", "不满意", "误差", "偏差", "差错", "错误", "失误", "事故", "投诉", "返工",
    "流失", "空置", "超标", "逾期", "延误", "死亡", "发病", "犯罪", "损失", "故障", "漏报", "漏检",
    "争议", "辍学", "退回", "拖欠", "闲置", "超支", "误报", "隐患", "发生数", "发生率", "发生次数",
    "发案", "能耗", "排放量", "上访", "违规率", "差评", "重复率", "缺陷",
];

lexicon!(GOOD_LEX, GOOD_MARKERS);
lexicon!(BAD_LEX, BAD_MARKERS);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Polarity {
    Good,
    Bad,
}

/// The polarity of the name: whichever marker ends last is the thing measured
/// (`事故处理及时率` is a good rate, `补助款结算误差率` a bad one); on a tie the longer
/// marker wins (`不合格率` over `合格`).
fn polarity(name: &str) -> Option<Polarity> {
    match (GOOD_LEX.last_end(name), BAD_LEX.last_end(name)) {
        (Some(g), Some(b)) => Some(if b >= g { Polarity::Bad } else { Polarity::Good }),
        (Some(_), None) => Some(Polarity::Good),
        (None, Some(_)) => Some(Polarity::Bad),
        (None, None) => None,
    }
}

lexicon!(RATE_LEX, RATE_MARKERS);
lexicon!(UP_LEX, UP_WORDS);
lexicon!(DOWN_LEX, DOWN_WORDS);

/// Words that state a change with its direction (`提高5%`, `降低`).
const UP_WORDS: &[&str] = &["提高", "提升", "增加", "增长", "上升", "扩大", "增强"];
const DOWN_WORDS: &[&str] = &["降低", "减少", "下降", "压缩", "缩短", "减低"];

/// Words that carry no measurable content on their own. A value made only of these (plus
/// the filler below and at most two other chars) is vague.
#[rustfmt::skip]
const VAGUE_WORDS: &[&str] = &[
    "稳步推进", "发挥作用", "达到预期", "进一步", "良好", "有效", "显著", "提高", "提升", "较好",
    "明显", "改善", "改进", "加强", "增强", "促进", "推进", "持续", "长期", "可持续", "逐步",
    "不断", "大幅", "有所", "降低", "减少", "下降", "增加", "优化", "合理", "可控", "较高", "较大",
    "一定", "积极", "显现", "很好", "更好", "好", "高", "强", "大", "得到", "有", "的", "地",
];

lexicon!(VAGUE_LEX, VAGUE_WORDS);

fn is_vague(v: &str) -> bool {
    let mut rest_chars = 0usize;
    let mut i = 0;
    let mut matched_any = false;
    while i < v.len() {
        let tail = &v[i..];
        if let Some(w) = VAGUE_LEX.at(v, i).next() {
            i += w.len();
            matched_any = true;
            continue;
        }
        let Some(c) = tail.chars().next() else { break };
        if !c.is_whitespace() && !is_punct(c) {
            rest_chars += 1;
        }
        i += c.len_utf8();
    }
    // `质量良好`, `效果显著`: the other two chars only name the category again.
    matched_any && rest_chars <= 2
}

/// Words of a qualitative quality target that name a standard an evaluator can check.
#[rustfmt::skip]
const STANDARD_WORDS: &[&str] = &[
    "合格", "达标", "符合", "标准", "规范", "验收", "优良", "优秀", "等级", "要求", "规定", "通过",
    "无差错", "零差错", "准确", "无误", "达到", "国家", "行业", "合规", "一级", "二级", "甲级",
];

lexicon!(STANDARD_LEX, STANDARD_WORDS);
lexicon!(PERIOD_LEX, PERIOD_WORDS);

const MONEY_UNITS: &[&str] = &["元", "万元", "亿元", "千元", "百元", "万"];
#[rustfmt::skip]
const TIME_UNITS: &[&str] = &[
    "天", "日", "周", "月", "年", "个月", "小时", "分钟", "工作日", "个工作日", "季度", "学时",
    "课时",
];
/// Words that make a timeliness value a period even without a number (`年内完成`).
#[rustfmt::skip]
const PERIOD_WORDS: &[&str] = &[
    "底前", "年内", "月内", "季度内", "日内", "天内", "年底", "月底", "年末", "上半年", "下半年",
    "前完成", "内完成", "当年", "当月", "即时", "实时",
];

fn unit_is(reading: &ValueReading, set: &[&str]) -> bool {
    reading.unit.as_deref().is_some_and(|u| set.contains(&u))
}

/// `6月底前`, `2021年12月前`, a bare year: a point in time.
fn is_deadline(v: &str, r: &ValueReading) -> bool {
    r.kind == ValueKind::Quantitative
        && unit_is(r, &["月", "年", "日"])
        && (contains_any(v, &["底", "前", "末", "上旬", "中旬", "下旬", "份"]) || r.unit.as_deref() == Some("年"))
}

/// Scores one indicator: 100 minus the weights of the [`INDICATOR_RULES`] it breaks.
pub fn score_indicator(ind: &IndicatorInput) -> Scored {
    let mut flags: Vec<&'static str> = Vec::new();
    let r = ind.reading;
    let v = trim_cell(ind.value);
    let level3 = trim_cell(ind.level3);

    let c3 = core_label(level3);
    // Only bare category words: `服务对象满意度` repeats its level-2 label too, but it says
    // whose satisfaction is measured, which is what 指向明确 asks.
    if c3.is_empty() || is_generic_label(c3) {
        flags.push(GENERIC_NAME);
    }

    match r.kind {
        ValueKind::Empty => flags.push(EMPTY),
        ValueKind::Placeholder => flags.push(PLACEHOLDER),
        ValueKind::Quantitative | ValueKind::Qualitative => value_flags(ind, v, level3, &mut flags),
    }

    // Keep table order, so equal inputs give equal flag lists whatever the check order.
    flags.sort_by_key(|f| INDICATOR_RULES.iter().position(|r| r.code == *f));
    let score = 100u32.saturating_sub(penalty(INDICATOR_RULES, &flags));
    Scored { score: score.min(100) as u8, flags }
}

fn value_flags(ind: &IndicatorInput, v: &str, level3: &str, flags: &mut Vec<&'static str>) {
    let r = ind.reading;
    let quant = r.kind == ValueKind::Quantitative;
    let is_pct = r.unit.as_deref() == Some("%");
    let is_rate = RATE_LEX.contains(level3) || RATE_LEX.contains(v);
    // The name carries the polarity; a value with its own label (`合格率≤90%` under `作用`)
    // does when the name says nothing.
    let says_up = UP_LEX.contains(v);
    let up = r.op.is_some_and(|o| o == ">=" || o == ">") || says_up;
    let down = r.op.is_some_and(|o| o == "<=" || o == "<") || DOWN_LEX.contains(v);
    // Only a stated direction can be wrong, so the name is not scanned otherwise.
    let pol = if up || down { polarity(level3).or_else(|| polarity(v)) } else { None };
    let l2 = ind.level2_code;
    let is_money = unit_is(r, MONEY_UNITS);

    if !quant {
        flags.push(NOT_QUANTIFIED);
        if is_vague(v) {
            flags.push(VAGUE);
        }
    } else if r.unit.is_none() {
        flags.push(NO_UNIT);
    }

    // What the number measures decides which direction rule applies: a share or a score
    // takes the polarity of the rate it names, money under cost wants a ceiling, a count of
    // outputs wants a floor. A value in another unit (`减少7起` under `服务覆盖率`) measures
    // something else than its name; that is not a direction question.
    let score_like = unit_is(r, &["分", "‰"]);
    let rate_value = !quant || is_pct || score_like || r.unit.is_none();
    let count_value = quant && !rate_value && !is_money && !unit_is(r, TIME_UNITS);

    // Direction: a rate target needs one. 100% and 0% need none (there is nothing above or
    // below them), nor does a stated change (`提高5%`).
    if quant && is_rate && (is_pct || score_like || r.unit.is_none()) && r.op.is_none() && !up && !down {
        let extreme = r.number.is_some_and(|n| n == Decimal::ONE_HUNDRED || n.is_zero());
        if !extreme {
            flags.push(NO_DIRECTION);
        }
    }

    let wrong = if l2 == "cost" && is_money {
        up && !down
    } else if rate_value && (is_rate || pol.is_some()) {
        match pol {
            Some(Polarity::Good) => down && !up,
            Some(Polarity::Bad) => up && !down,
            None => false,
        }
    } else if count_value && l2 == "quantity" {
        // A floor on outputs, unless the thing counted is bad (`事故发生数≤3起`).
        match pol {
            Some(Polarity::Bad) => up && !down,
            _ => down && !up,
        }
    } else {
        false
    };
    if wrong {
        flags.push(WRONG_DIRECTION);
    }

    if category_mismatch(ind, v, level3) {
        flags.push(CATEGORY_MISMATCH);
    }

    if copies_goal(v, ind.goal_texts) {
        flags.push(COPIES_GOAL);
    }

    if let Some(n) = r.number
        && quant
    {
        let growth = says_up || contains_any(level3, &["增长", "增幅", "增加", "提高", "带动", "同比", "倍", "增速"]);
        let over_100 = is_pct && n > Decimal::ONE_HUNDRED && !growth;
        let negative_count = n.is_sign_negative() && !is_pct && !growth && l2 == "quantity";
        let bad_month = is_deadline(v, r) && r.unit.as_deref() == Some("月") && n > Decimal::from(12);
        if over_100 || negative_count || bad_month {
            flags.push(IMPLAUSIBLE);
        }
    }
}

/// Whether the value measures what its level-2 category asks for.
fn category_mismatch(ind: &IndicatorInput, v: &str, level3: &str) -> bool {
    let r = ind.reading;
    let quant = r.kind == ValueKind::Quantitative;
    let is_pct = r.unit.as_deref() == Some("%");
    let time = unit_is(r, TIME_UNITS);
    let money = unit_is(r, MONEY_UNITS);
    let score_like = unit_is(r, &["分", "级", "星", "‰"]);
    match ind.level2_code {
        // A count: a share is fine only when the name is a rate or a share of a plan.
        "quantity" => {
            quant
                && ((is_pct && !contains_any(level3, &["率", "比例", "占比", "计划", "完成", "覆盖"]))
                    || is_deadline(v, r))
        }
        // A rate, a score or a named standard; not a head count or a date.
        "quality" => {
            if quant {
                !(is_pct || score_like || r.unit.is_none() || v.contains('率') || STANDARD_LEX.contains(v))
            } else {
                !STANDARD_LEX.contains(v)
            }
        }
        // A date, a period or an on-time rate; `及时`, `全年` alone are none of these.
        "timeliness" => {
            if quant {
                !(time || is_pct || is_deadline(v, r))
            } else {
                !PERIOD_LEX.contains(v)
            }
        }
        // Money or a share of the budget. Social and ecological costs (101号) may be words.
        "cost" => {
            if contains_any(ind.level2, &["社会成本", "生态", "环境成本"]) {
                false
            } else if quant {
                !(money || is_pct)
            } else {
                true
            }
        }
        // A surveyed share: ≥N% (or a score).
        "satisfaction" => !(quant && (is_pct || score_like)),
        _ => false,
    }
}

/// The value restates a goal: it is long enough to be a sentence and a goal contains it.
fn copies_goal(v: &str, goals: &[&str]) -> bool {
    const MIN_CHARS: usize = 12;
    let core = trim_cell(v).trim_end_matches(is_punct);
    if goals.is_empty() || core.chars().nth(MIN_CHARS - 1).is_none() {
        return false;
    }
    if goals.iter().any(|g| g.contains(core)) {
        return true;
    }
    // PDF text wraps cells with spaces and line breaks that the goal cell may not have, or
    // the other way round: compare without whitespace. Allocates, but only for such text.
    if !core.contains(char::is_whitespace) && !goals.iter().any(|g| g.contains(char::is_whitespace)) {
        return false;
    }
    let nv = squash(core);
    nv.chars().nth(MIN_CHARS - 1).is_some() && goals.iter().any(|g| squash(g).contains(nv.as_str()))
}

/// Text without whitespace or quotes, full-width forms folded.
fn squash(s: &str) -> String {
    s.chars().map(fold).filter(|c| !c.is_whitespace() && !matches!(c, '"' | '“' | '”')).collect()
}

// ---------------------------------------------------------------------------------------------
// Project score
// ---------------------------------------------------------------------------------------------

fn filled(p: &ProjectIndicator) -> bool {
    matches!(p.reading.kind, ValueKind::Quantitative | ValueKind::Qualitative)
}

/// Scores one project table: the mean of its indicator scores minus the [`PROJECT_RULES`]
/// it breaks.
///
/// Coverage checks look at annual indicators (every form has them; a midterm-only table
/// falls back to all its indicators) and count only filled-in ones: a template row left
/// blank or repeating its name does not cover its category.
pub fn score_project(p: &ProjectInput) -> Scored {
    let inds = p.indicators;
    let mut flags: Vec<&'static str> = Vec::new();
    let base: u32 = if inds.is_empty() {
        0
    } else {
        let sum: u32 = inds.iter().map(|i| u32::from(i.score.min(100))).sum();
        // Rounded mean.
        (sum + inds.len() as u32 / 2) / inds.len() as u32
    };

    let has_annual = inds.iter().any(|i| i.horizon == "annual");
    let side = |i: &&ProjectIndicator| !has_annual || i.horizon == "annual";
    let covers = |pred: &dyn Fn(&ProjectIndicator) -> bool| inds.iter().filter(side).any(|i| filled(i) && pred(i));

    if !covers(&|i| i.level2_code == "quantity") {
        flags.push(MISSING_QUANTITY);
    }
    if !covers(&|i| i.level2_code == "quality") {
        flags.push(MISSING_QUALITY);
    }
    if !covers(&|i| i.level2_code == "timeliness") {
        flags.push(MISSING_TIMELINESS);
    }
    if !covers(&|i| i.level1_code == "outcome") {
        flags.push(MISSING_OUTCOME);
    }
    if !covers(&|i| i.level1_code == "satisfaction" || i.level2_code == "satisfaction") {
        flags.push(MISSING_SATISFACTION);
    }
    if p.year >= 2021 && !covers(&|i| i.level1_code == "cost" || i.level2_code == "cost") {
        flags.push(MISSING_COST);
    }
    if inds.iter().filter(side).filter(|i| filled(i)).count() < 3 {
        flags.push(TOO_FEW_INDICATORS);
    }

    let (same, exceeds) = compare_horizons(inds);
    if p.form == "approval" && same {
        flags.push(ANNUAL_SAME_AS_MIDTERM);
    }
    if exceeds {
        flags.push(ANNUAL_EXCEEDS_MIDTERM);
    }

    let score = base.saturating_sub(penalty(PROJECT_RULES, &flags));
    Scored { score: score.min(100) as u8, flags }
}

fn pair_key<'a>(i: &ProjectIndicator<'a>) -> (&'a str, &'a str) {
    (i.level2_code, core_label(i.level3))
}

/// Pairs each annual indicator with the midterm one of the same level-2 code and level-3
/// name (the k-th annual with the k-th midterm when a name repeats). Returns whether every
/// annual value equals its counterpart (with at least one pair, and every annual paired) and
/// whether some annual quantity exceeds its midterm one in the same unit.
fn compare_horizons(inds: &[ProjectIndicator]) -> (bool, bool) {
    let mut pairs = 0usize;
    let mut all_same = true;
    let mut exceeds = false;
    let mut annual_seen = 0usize;
    // Keys once per project: the pairing below is quadratic in the (small) row count.
    let keys: Vec<(&str, &str)> = inds.iter().map(pair_key).collect();
    for (ai, a) in inds.iter().enumerate().filter(|(_, i)| i.horizon == "annual") {
        annual_seen += 1;
        let key = keys[ai];
        let k = (0..ai).filter(|&j| inds[j].horizon == "annual" && keys[j] == key).count();
        let m = (0..inds.len()).filter(|&j| inds[j].horizon == "midterm" && keys[j] == key).nth(k).map(|j| &inds[j]);
        let Some(m) = m else {
            all_same = false;
            continue;
        };
        pairs += 1;
        if !loose_eq(trim_cell(a.value), trim_cell(m.value)) {
            all_same = false;
        }
        if a.level2_code == "quantity"
            && let (Some(an), Some(mn)) = (a.reading.number, m.reading.number)
            && a.reading.unit == m.reading.unit
            && a.reading.kind == ValueKind::Quantitative
            && m.reading.kind == ValueKind::Quantitative
            && an > mn
        {
            exceeds = true;
        }
    }
    (pairs > 0 && pairs == annual_seen && all_same, exceeds)
}

// ---------------------------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use ValueKind::{Empty, Placeholder, Qualitative, Quantitative};

    fn d(s: &str) -> Decimal {
        Decimal::from_str(s).unwrap()
    }

    /// value, level3, level2, unit column -> op, number, unit, kind
    type ReadCase = (
        &'static str,
        &'static str,
        &'static str,
        Option<&'static str>,
        Option<&'static str>,
        Option<&'static str>,
        Option<&'static str>,
        ValueKind,
    );

    #[rustfmt::skip]
    const READ_CASES: &[ReadCase] = &[
        ("≥90%", "服务对象满意度", "满意度指标", None, Some(">="), Some("90"), Some("%"), Quantitative),
        ("237个直管党组织", "数量", "数量指标（或建筑规模指标）", None, None, Some("237"), Some("个"), Quantitative),
        ("不少于3个", "培训场次", "数量指标", None, Some(">="), Some("3"), Some("个"), Quantitative),
        ("=100.00(%)", "违法建筑销项正确率", "质量指标", None, Some("="), Some("100.00"), Some("%"), Quantitative),
        ("≤181万元", "成本控制", "成本指标", None, Some("<="), Some("181"), Some("万元"), Quantitative),
        ("±3%以内", "补助款结算误差率", "质量指标", None, Some("±"), Some("3"), Some("%"), Quantitative),
        ("6月底前完成", "完成时间", "时效指标", None, None, Some("6"), Some("月"), Quantitative),
        ("控制在123万元以内", "项目总成本", "成本指标", None, Some("<="), Some("123"), Some("万元"), Quantitative),
        ("满意度不低于85%", "满意度", "满意度指标", None, Some(">="), Some("85"), Some("%"), Quantitative),
        ("合格率>=80%", "达标率", "质量指标", None, Some(">="), Some("80"), Some("%"), Quantitative),
        ("不超过5天", "办结时限", "时效指标", None, Some("<="), Some("5"), Some("天"), Quantitative),
        ("低于2%", "事故发生率", "质量指标", None, Some("<"), Some("2"), Some("%"), Quantitative),
        ("＞９５％", "合格率", "质量指标", None, Some(">"), Some("95"), Some("%"), Quantitative),
        ("１，２３４．５元", "补贴", "成本指标", None, None, Some("1234.5"), Some("元"), Quantitative),
        ("1,234.5万元", "补贴", "成本指标", None, None, Some("1234.5"), Some("万元"), Quantitative),
        ("10个工作日", "办结时限", "时效指标", None, None, Some("10"), Some("个工作日"), Quantitative),
        ("90%以上", "知晓率", "社会效益指标", None, Some(">="), Some("90"), Some("%"), Quantitative),
        ("三个", "培训班", "数量指标", None, None, Some("3"), Some("个"), Quantitative),
        ("二十五人次", "培训人次", "数量指标", None, None, Some("25"), Some("人次"), Quantitative),
        ("百分之九十", "满意度", "满意度指标", None, None, Some("90"), Some("%"), Quantitative),
        ("3", "镇街补助款完成结算项目数", "数量指标", None, None, Some("3"), None, Quantitative),
        ("3", "完成项目数", "数量指标", Some("个"), None, Some("3"), Some("个"), Quantitative),
        ("95", "合格率", "质量指标", Some("％"), None, Some("95"), Some("%"), Quantitative),
        ("减少17起", "长效机制", "可持续影响指标", None, None, Some("17"), Some("起"), Quantitative),
        ("2021年底前完成", "完成时间", "时效指标", None, None, Some("2021"), Some("年"), Quantitative),
        ("10余个", "项目数", "数量指标", None, None, Some("10"), Some("个"), Quantitative),
        ("50万人次", "服务人次", "数量指标", None, None, Some("50"), Some("万人次"), Quantitative),
        ("985米", "道路建设长度", "数量指标", None, None, Some("985"), Some("米"), Quantitative),
        ("20km", "道路长度", "数量指标", None, None, Some("20"), Some("km"), Quantitative),
        ("20-30人", "参训人数", "数量指标", None, None, Some("20"), Some("人"), Quantitative),
        ("2020--2022年", "项目周期", "时效指标", None, None, Some("2020"), Some("年"), Quantitative),
        ("0%", "补助款结算争议率", "效益指标", None, None, Some("0"), Some("%"), Quantitative),
        ("全年", "时效", "时效指标", None, None, None, None, Qualitative),
        ("良好", "效益", "社会、经济、生态效益指标", None, None, None, None, Qualitative),
        ("满意", "满意度", "满意度指标", None, None, None, None, Qualitative),
        ("可持续", "可持续性", "可持续影响指标", None, None, None, None, Qualitative),
        ("一站式服务", "服务方式", "质量指标", None, None, None, None, Qualitative),
        ("十分满意", "满意度", "满意度指标", None, None, None, None, Qualitative),
        ("2022年至2024年持续推进档案数字化加工，做好相关工作，确保规范管理。", "合格率", "质量指标", None, None, None, None, Qualitative),
        ("1、建立完善的日常维护体系，促进系统稳定运行。2、延长系统使用周期。", "质量", "质量指标", None, None, None, None, Qualitative),
        ("依据财预〔2015〕88号文件执行", "质量", "质量指标", None, None, None, None, Qualitative),
        ("数量", "数量", "数量指标（或建筑规模指标）", None, None, None, None, Placeholder),
        ("预算执行率", "预算执行率", "预算（或投资规模）控制指标", None, None, None, None, Placeholder),
        ("时效", "完成时间", "时效指标（工期指标）", None, None, None, None, Placeholder),
        ("满意度", "群众满意度", "服务对象满意度指标", None, None, None, None, Placeholder),
        ("", "满意度", "满意度指标", None, None, None, None, Empty),
        ("无", "数量", "数量指标", None, None, None, None, Empty),
        ("／", "数量", "数量指标", None, None, None, None, Empty),
        ("—", "数量", "数量指标", None, None, None, None, Empty),
        (" - ", "数量", "数量指标", None, None, None, None, Empty),
    ];

    #[test]
    fn reads_values() {
        for (value, l3, l2, uc, op, num, unit, kind) in READ_CASES {
            let r = read_value(value, l3, l2, *uc);
            assert_eq!(r.kind, *kind, "kind of {value:?}");
            assert_eq!(r.op, *op, "op of {value:?}");
            assert_eq!(r.number, num.map(d), "number of {value:?}");
            assert_eq!(r.unit.as_deref(), *unit, "unit of {value:?}");
        }
        assert_eq!(Quantitative.as_str(), "quantitative");
        assert_eq!(Placeholder.as_str(), "placeholder");
    }

    fn score(l1: &str, l2c: &str, l2: &str, l3: &str, value: &str, goals: &[&str]) -> Scored {
        let reading = read_value(value, l3, l2, None);
        score_indicator(&IndicatorInput {
            level1_code: l1,
            level2_code: l2c,
            level2: l2,
            level3: l3,
            value,
            reading: &reading,
            goal_texts: goals,
        })
    }

    const GOAL: &str = "按照中国共产党党内统计工作要求，每半年全国各级党组织都要进行开展党内统计，数据逐级汇总上报。";

    /// level1 code, level2 code, level2 label, level3, value -> score, flags
    type ScoreCase =
        (&'static str, &'static str, &'static str, &'static str, &'static str, u8, &'static [&'static str]);

    #[rustfmt::skip]
    const SCORE_CASES: &[ScoreCase] = &[
        ("satisfaction", "satisfaction", "服务对象满意度指标", "群众满意度", "≥90.00(%)", 100, &[]),
        ("output", "quantity", "数量指标", "道路建设长度", "985米", 100, &[]),
        ("output", "quantity", "数量指标", "数量", "237个直管党组织", 90, &[GENERIC_NAME]),
        ("output", "quantity", "数量指标", "完成项目数", "", 0, &[EMPTY]),
        ("output", "quantity", "数量指标", "完成项目数", "完成项目数", 0, &[PLACEHOLDER]),
        ("output", "quality", "质量指标", "验收合格率", "验收合格", 65, &[NOT_QUANTIFIED]),
        ("output", "quantity", "数量指标", "镇街补助款完成结算项目数", "3", 90, &[NO_UNIT]),
        ("output", "quality", "质量指标", "合格率", "90%", 90, &[NO_DIRECTION]),
        ("output", "quality", "质量指标", "合格率", "100%", 100, &[]),
        ("output", "quality", "质量指标", "合格率", "合格率≤90%", 80, &[WRONG_DIRECTION]),
        ("output", "quality", "质量指标", "补助款结算误差率", "±3%以内", 100, &[]),
        ("output", "quality", "质量指标", "补助款结算误差率", "≥3%", 80, &[WRONG_DIRECTION]),
        ("output", "quantity", "数量指标", "检查次数", "≤500场", 80, &[WRONG_DIRECTION]),
        ("output", "quantity", "数量指标", "安全事故发生数", "≤3起", 100, &[]),
        ("outcome", "sustainability", "可持续影响指标", "新增违建发生数", "降低", 40, &[NOT_QUANTIFIED, VAGUE]),
        ("output", "timeliness", "时效指标", "完成时间", "全年", 50, &[NOT_QUANTIFIED, CATEGORY_MISMATCH]),
        ("output", "timeliness", "时效指标", "完成时间", "年内完成", 65, &[NOT_QUANTIFIED]),
        ("output", "timeliness", "时效指标", "完成时间", "6月底前完成", 100, &[]),
        ("output", "timeliness", "时效指标", "完成时间", "13月底前完成", 80, &[IMPLAUSIBLE]),
        ("output", "timeliness", "时效指标", "完成时间", "10个培训班", 85, &[CATEGORY_MISMATCH]),
        ("output", "quality", "质量指标", "培训质量", "30人", 85, &[CATEGORY_MISMATCH]),
        ("output", "cost", "成本指标", "项目总成本", "≤181万元", 100, &[]),
        ("output", "cost", "预算（或投资规模）控制指标", "预算执行率", "≤211万元", 100, &[]),
        ("output", "cost", "成本指标", "项目总成本", "严格控制成本", 50, &[NOT_QUANTIFIED, CATEGORY_MISMATCH]),
        ("cost", "cost", "生态环境成本指标", "文明施工情况", "可控", 40, &[NOT_QUANTIFIED, VAGUE]),
        ("satisfaction", "satisfaction", "满意度指标", "服务对象满意度", "满意", 50, &[NOT_QUANTIFIED, CATEGORY_MISMATCH]),
        ("satisfaction", "satisfaction", "满意度指标", "服务对象满意度", "较满意", 50, &[NOT_QUANTIFIED, CATEGORY_MISMATCH]),
        ("outcome", "combined_benefit", "社会、经济、生态效益指标", "效益", "良好", 30, &[NOT_QUANTIFIED, VAGUE, GENERIC_NAME]),
        ("outcome", "social_benefit", "社会效益指标", "群众获得感", "改善群众生活环境", 65, &[NOT_QUANTIFIED]),
        ("satisfaction", "satisfaction", "满意度指标", "群众满意度", "≥120%", 80, &[IMPLAUSIBLE]),
        ("outcome", "economic_benefit", "经济效益指标", "带动投资增长", "≥150%", 100, &[]),
        ("output", "quality", "质量指标", "质量", GOAL, 30, &[NOT_QUANTIFIED, COPIES_GOAL, GENERIC_NAME]),
    ];

    #[test]
    fn scores_indicators() {
        for (l1, l2c, l2, l3, value, want_score, want_flags) in SCORE_CASES {
            let s = score(l1, l2c, l2, l3, value, &[GOAL]);
            assert_eq!(s.flags, *want_flags, "flags of {l3} = {value:?}");
            assert_eq!(s.score, *want_score, "score of {l3} = {value:?}");
        }
    }

    #[test]
    fn every_flag_has_a_rule() {
        let indicator = [
            EMPTY,
            PLACEHOLDER,
            NOT_QUANTIFIED,
            NO_UNIT,
            NO_DIRECTION,
            WRONG_DIRECTION,
            CATEGORY_MISMATCH,
            VAGUE,
            COPIES_GOAL,
            IMPLAUSIBLE,
            GENERIC_NAME,
        ];
        let project = [
            MISSING_QUANTITY,
            MISSING_QUALITY,
            MISSING_TIMELINESS,
            MISSING_OUTCOME,
            MISSING_SATISFACTION,
            MISSING_COST,
            TOO_FEW_INDICATORS,
            ANNUAL_SAME_AS_MIDTERM,
            ANNUAL_EXCEEDS_MIDTERM,
        ];
        assert_eq!(INDICATOR_RULES.len(), indicator.len());
        assert_eq!(PROJECT_RULES.len(), project.len());
        for code in indicator {
            assert!(INDICATOR_RULES.iter().any(|r| r.code == code), "{code}");
        }
        for code in project {
            assert!(PROJECT_RULES.iter().any(|r| r.code == code), "{code}");
        }
        assert_eq!(rule(NO_UNIT).map(|r| r.weight), Some(10));
        assert_eq!(describe(MISSING_COST), "no filled-in 成本 indicator in the annual targets (year ≥ 2021)");
        assert_eq!(describe("NOPE"), "");
    }

    /// horizon, level1 code, level2 code, level3, value, indicator score
    type Row = (&'static str, &'static str, &'static str, &'static str, &'static str, u8);

    /// The first table of the 2020 东莞 seed (党内统计工作经费), scores as computed above.
    #[rustfmt::skip]
    const SEED_TABLE: &[Row] = &[
        ("midterm", "output", "quantity", "数量", "237个直管党组织", 90),
        ("annual", "output", "quantity", "数量", "79个党组织", 90),
        ("midterm", "output", "quality", "质量", "统计数据逐级上报", 40),
        ("annual", "output", "quality", "质量", "统计数据逐级上报", 40),
        ("midterm", "output", "timeliness", "时效", "全年", 40),
        ("annual", "output", "timeliness", "时效", "全年", 40),
        ("midterm", "outcome", "combined_benefit", "效益", "良好", 30),
        ("annual", "outcome", "combined_benefit", "效益", "良好", 30),
        ("midterm", "satisfaction", "satisfaction", "满意度", "满意", 40),
        ("annual", "satisfaction", "satisfaction", "满意度", "满意", 40),
    ];

    fn project<'a>(rows: &'a [Row], readings: &'a [ValueReading]) -> Vec<ProjectIndicator<'a>> {
        rows.iter()
            .zip(readings)
            .map(|(r, reading)| ProjectIndicator {
                horizon: r.0,
                level1_code: r.1,
                level2_code: r.2,
                level3: r.3,
                value: r.4,
                reading,
                score: r.5,
            })
            .collect()
    }

    #[test]
    fn scores_projects() {
        let readings: Vec<ValueReading> = SEED_TABLE.iter().map(|r| read_value(r.4, r.3, "", None)).collect();
        let inds = project(SEED_TABLE, &readings);
        let s = score_project(&ProjectInput { year: 2020, form: "approval", indicators: &inds });
        // Mean 48; cost is not required in 2020; the annual 79 differs from the midterm 237.
        assert_eq!(s.flags, Vec::<&str>::new());
        assert_eq!(s.score, 48);

        let s = score_project(&ProjectInput { year: 2021, form: "approval", indicators: &inds });
        assert_eq!(s.flags, vec![MISSING_COST]);
        assert_eq!(s.score, 38);

        // Annual equal to midterm everywhere.
        let mut same = inds.clone();
        same[1].value = "237个直管党组织";
        same[1].reading = &readings[0];
        let s = score_project(&ProjectInput { year: 2020, form: "approval", indicators: &same });
        assert_eq!(s.flags, vec![ANNUAL_SAME_AS_MIDTERM]);
        // A target form has one horizon by design: not flagged.
        let s = score_project(&ProjectInput { year: 2020, form: "target", indicators: &same });
        assert!(s.flags.is_empty());

        // An annual count above the midterm one, same unit.
        let big = read_value("300个党组织", "数量", "", None);
        let mut over = inds.clone();
        over[1].reading = &big;
        over[1].value = "300个党组织";
        let s = score_project(&ProjectInput { year: 2020, form: "approval", indicators: &over });
        assert_eq!(s.flags, vec![ANNUAL_EXCEEDS_MIDTERM]);

        // Only blanks: every coverage rule fires and the score is floored at 0.
        let empty = [read_value("无", "数量", "", None)];
        let blank = project(&[("annual", "output", "quantity", "数量", "无", 0)], &empty);
        let s = score_project(&ProjectInput { year: 2022, form: "target", indicators: &blank });
        assert_eq!(s.score, 0);
        assert_eq!(
            s.flags,
            vec![
                MISSING_QUANTITY,
                MISSING_QUALITY,
                MISSING_TIMELINESS,
                MISSING_OUTCOME,
                MISSING_SATISFACTION,
                MISSING_COST,
                TOO_FEW_INDICATORS
            ]
        );
        let s = score_project(&ProjectInput { year: 2022, form: "target", indicators: &[] });
        assert_eq!(s.score, 0);
    }

    /// No input may panic: random strings built from the characters the scanner treats
    /// specially, mixed with arbitrary code points.
    #[test]
    fn never_panics_on_random_text() {
        #[rustfmt::skip]
        const ALPHABET: &[char] = &[
            '0', '1', '9', '０', '９', '.', '．', ',', '，', '%', '％', '(', ')', '（', '）', '≥', '≤',
            '>', '<', '=', '＝', '±', '-', '−', '—', '/', '、', '号', '年', '月', '底', '前', '个', '万',
            '元', '百', '分', '之', '一', '十', '两', '零', '〇', '余', '多', '以', '内', '上', 'k', 'm',
            '²', '率', '满', '意', '度', ' ', '\u{3000}', '\u{FEFF}', '〔', '】', '第', '㎡', '‰', '性',
        ];
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let goals = ["做好相关工作，确保按时保质完成，提升服务水平。"];
        for _ in 0..20_000 {
            let len = (next() % 24) as usize;
            let mut s = String::new();
            for _ in 0..len {
                let r = next();
                if r % 7 == 0 {
                    s.push(char::from_u32((r >> 8) as u32 % 0x11_0000).unwrap_or('?'));
                } else {
                    s.push(ALPHABET[(r >> 8) as usize % ALPHABET.len()]);
                }
            }
            let r = read_value(&s, &s, "质量指标", Some(&s));
            for l2 in ["quantity", "quality", "timeliness", "cost", "satisfaction", "other"] {
                let sc = score_indicator(&IndicatorInput {
                    level1_code: "output",
                    level2_code: l2,
                    level2: &s,
                    level3: &s,
                    value: &s,
                    reading: &r,
                    goal_texts: &goals,
                });
                assert!(sc.score <= 100);
            }
        }
        for s in ["9".repeat(200), "1.".repeat(50), "，000".repeat(30), "-".repeat(10) + "5"] {
            let _ = read_value(&s, "", "", None);
        }
    }
}
