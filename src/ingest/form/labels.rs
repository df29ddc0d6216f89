//! Stage 4, form: the form's vocabulary: label predicates, level1/level2 codes, `label：value` fields.

use std::cell::RefCell;

use foldhash::{HashMap, HashMapExt};

use super::amount::parse_amount;
use super::words::{Key, word};
use crate::ingest::layout::stream::{Facts, RunKind, Vocabulary, level1_prefix};
use crate::ingest::text::{clean, folded, has_char, is_han, label_key_within, years};

pub(super) enum TextField {
    ProjectName,
    Department,
    Implementing,
    BudgetUnit,
}

pub(super) enum Amount {
    Midterm,
    Annual,
}

/// The longest key [`is_title`] accepts, in characters.
pub(super) const TITLE_MAX_CHARS: usize = 40;

pub(super) fn is_title(key: &Key) -> bool {
    // Asked of every line that stands alone in its row: one without 绩 is told apart by a byte
    // search before the key's words are looked up.
    key.chars() <= TITLE_MAX_CHARS
        && has_char(key, '绩')
        && key.has(word!("绩效目标"))
        && (key.ends_with('表') || key.has(word!("批复表", "申报表")))
}

/// The longest year line, in characters, without its whitespace and enclosing brackets.
pub(super) const YEAR_LINE_MAX_CHARS: usize = 12;

/// `（ 2020 年度）`, `(2022年度)`, `2019年度`: a short line naming the budget year.
pub(super) fn year_line(cell: &str) -> Option<i32> {
    // 年度 must be in it: most cells are rejected here, before a folded copy is made (a date
    // holds 年 but not 度).
    if !has_char(cell, '年') || !has_char(cell, '度') {
        return None;
    }
    // A narrative line holds both too: it is given up once more than a year line's characters
    // are folded, not copied whole. Only brackets are trimmed off the copy, so every other
    // character counts towards the year line's length.
    let mut compact = String::with_capacity(cell.len().min(4 * YEAR_LINE_MAX_CHARS));
    let mut kept = 0;
    for c in cell.chars().map(crate::ingest::text::fold_width).filter(|c| !c.is_whitespace()) {
        kept += usize::from(!matches!(c, '(' | ')'));
        if kept > YEAR_LINE_MAX_CHARS {
            return None;
        }
        compact.push(c);
    }
    let inner = compact.trim_start_matches('(').trim_end_matches(')');
    if inner.chars().count() > YEAR_LINE_MAX_CHARS || !inner.contains("年度") || inner.contains("目标") {
        return None;
    }
    years(inner).first().copied()
}

/// The region a title names (东莞市 in 东莞市财政项目支出绩效目标批复表), from the title's key: the
/// key of the title cell, which trimming the `#`, `*` and spaces a title is stored without
/// would not change, as the key drops them.
pub(super) fn region_of(key: &Key) -> Option<String> {
    // The first place any of the words starts, in one walk over the title's characters.
    let cut = key.char_indices().map(|(at, _)| at).find(|&at| {
        let rest = &key[at..];
        ["财政", "项目支出", "绩效"].iter().any(|m| rest.starts_with(m))
    })?;
    let prefix = &key[..cut];
    let ends = ['市', '省', '区', '县', '州', '盟', '旗'];
    (!prefix.is_empty() && prefix.ends_with(ends)).then(|| prefix.to_string())
}

/// Labels of `label：value` lines above a form (and the ones that end a value on such a line).
pub(super) const COLON_LABELS: &[&str] = &[
    "预算单位",
    "单位名称",
    "填报单位",
    "部门名称",
    "申报单位",
    "编制单位",
    "项目单位",
    "主管部门",
    "金额单位",
    "计量单位",
    "单位",
    "填报日期",
    "日期",
    "填报人",
    "联系人",
    "联系电话",
    "电话",
    "审核人",
    "负责人",
    "编号",
];

/// Splits `单位名称：中山市市场监督管理局填报日期：2023年10月12日金额单位：万元` into
/// (label, value) pairs. PDF and web extractions run such fields together on one line, so a
/// value ends where the next known label begins.
pub(super) fn colon_fields(cell: &str) -> Vec<(&'static str, String)> {
    // Nearly every cell has no colon: no folded copy of it is made.
    if !cell.contains(':') && !has_char(cell, '：') {
        return Vec::new();
    }
    let text = folded(cell);
    let mut found: Vec<(&'static str, usize, usize)> = Vec::new(); // (label, label start, value start)
    for (p, _) in text.match_indices(':') {
        let mut pre = text[..p].trim_end();
        // 预算单位（盖章）： the bracketed remark belongs to the label.
        if pre.ends_with(')')
            && let Some(open) = pre.rfind('(')
        {
            pre = pre[..open].trim_end();
        }
        let label = COLON_LABELS.iter().filter(|l| pre.ends_with(*l)).max_by_key(|l| l.len());
        if let Some(l) = label {
            found.push((l, pre.len() - l.len(), p + 1));
        }
    }
    let mut out = Vec::new();
    for (i, &(label, _, start)) in found.iter().enumerate() {
        let end = found.get(i + 1).map_or(text.len(), |n| n.1);
        if end > start {
            out.push((label, clean(&text[start..end]).into_owned()));
        }
    }
    out
}

pub(super) fn text_field(key: &str) -> Option<TextField> {
    Some(match key {
        "项目名称" => TextField::ProjectName,
        "主管部门" | "主管单位" | "主管部门及代码" => TextField::Department,
        "实施单位" | "项目实施单位" => TextField::Implementing,
        "预算单位" | "单位名称" | "申报单位" => TextField::BudgetUnit,
        _ => return None,
    })
}

pub(super) fn amount_field(key: &Key) -> Option<Amount> {
    // Every amount label holds 预算, 资金 or 金额, and 预, 资 and 金 end in the byte 84 or 91 (E9 A2
    // 84, E8 B5 84, E9 87 91): most head cells hold neither, and are told apart before their
    // words are looked up.
    if !key.may_hold(0x84) && !key.may_hold(0x91) {
        return None;
    }
    if key.starts_with("其中") || key.has(word!("其他资金", "结转", "拨款")) {
        return None;
    }
    if !key.has(word!("预算", "资金", "金额")) || key.has(word!("目标")) {
        return None;
    }
    if key.has(word!("本年", "年度", "当年")) {
        Some(Amount::Annual)
    } else if key.has(word!("中期", "项目资金总额", "总预算")) || key.text() == "资金总额" {
        Some(Amount::Midterm)
    } else {
        None
    }
}

pub(super) fn is_amount_label(key: &Key) -> bool {
    amount_field(key).is_some()
}

/// The longest key [`goal_label`] accepts, in characters: also the longest of the head labels
/// matched whole ([`text_field`], [`date_label`] and the block labels of [`is_head_label`] are
/// shorter), past which only an amount or 项目资金 label is a head label.
pub(super) const GOAL_LABEL_MAX_CHARS: usize = 10;

/// `Some(true)` for a mid-term (multi-year) goal label, `Some(false)` for an annual one.
pub(super) fn goal_label(key: &Key) -> Option<bool> {
    // Labels are short and end in 目标; a goal text that mentions 年度目标 is not a label.
    if !key.ends_with("目标") || key.has(word!("指标")) || key.chars() > GOAL_LABEL_MAX_CHARS {
        return None;
    }
    if key.starts_with("中期") || key.starts_with("项目总") || key.starts_with("长期") || key.has(word!("滚动"))
    {
        Some(true)
    } else if key.starts_with("年度") || key.starts_with("本年") || key.starts_with("当年") {
        Some(false)
    } else {
        None
    }
}

pub(super) fn date_label(key: &str) -> Option<bool> {
    match key {
        "计划开始日期" | "开始日期" | "项目开始日期" | "计划开始时间" => Some(true),
        "计划完成日期" | "完成日期" | "项目完成日期" | "计划完成时间" | "计划结束日期" => {
            Some(false)
        }
        _ => None,
    }
}

/// Labels of the head block: a cell like this is never a value.
pub(super) fn is_head_label(key: &Key) -> bool {
    text_field(key).is_some()
        || amount_field(key).is_some()
        || goal_label(key).is_some()
        || date_label(key).is_some()
        || matches!(key.text(), "总体目标" | "绩效指标" | "项目性质" | "项目类别" | "项目资金")
        || key.starts_with("项目资金")
}

/// The longest key [`is_opinion_label`] accepts, in characters.
pub(super) const OPINION_MAX_CHARS: usize = 16;

pub(super) fn is_opinion_label(key: &Key) -> bool {
    // Asked of nearly every short run the layout reads. All three labels hold 意 (E6 84 8F): the
    // length and a byte search for its last byte reject nearly every run before its words are
    // looked up.
    key.chars() <= OPINION_MAX_CHARS && key.may_hold(0x8f) && key.has(word!("批复意见", "审核意见", "审批意见"))
}

/// The row-block label in the first column (绩效指标, 项目绩效目标).
pub(super) fn is_block_label(key: &str) -> bool {
    matches!(key, "绩效指标" | "绩效目标" | "项目绩效目标" | "项目绩效指标" | "年度绩效指标")
}

pub(super) fn is_value_label(key: &Key) -> bool {
    key.has(word!("指标值"))
        || key.ends_with("目标值")
        || key.ends_with("计划值")
        || key.ends_with("预期值")
        || key.text() == "计划水平"
        || key.text() == "标准值"
}

/// 一级 labels that are never 二级 labels.
const PURE_L1: [&str; 7] =
    ["产出指标", "预期产出指标", "效益指标", "效果指标", "预期效果指标", "预期效益指标", "满意度指标"];

/// 一级 labels that some forms also print as 二级 labels.
const SHARED_L1: [&str; 6] = ["成本指标", "产出", "效益", "效果", "满意度", "成本"];

/// The longest 一级 label (in characters): a text whose key is longer is not read whole.
const L1_MAX_CHARS: usize = {
    let (pure, shared) = (max_chars(&PURE_L1), max_chars(&SHARED_L1));
    if pure > shared { pure } else { shared }
};

const fn max_chars(words: &[&str]) -> usize {
    let mut max = 0;
    let mut w = 0;
    while w < words.len() {
        let b = words[w].as_bytes();
        let (mut i, mut n) = (0, 0);
        while i < b.len() {
            // Every char has one byte that is not a continuation byte.
            if b[i] & 0xC0 != 0x80 {
                n += 1;
            }
            i += 1;
        }
        if n > max {
            max = n;
        }
        w += 1;
    }
    max
}

pub(super) fn is_pure_l1(key: &str) -> bool {
    PURE_L1.contains(&key)
}

pub(super) fn is_l1_label(key: &str) -> bool {
    is_pure_l1(key) || SHARED_L1.contains(&key)
}

/// A lone cell that reads as a target (digits, ≥, %) rather than a 三级 name.
pub(super) fn looks_like_value(text: &str) -> bool {
    text.is_empty()
        || text.chars().any(|c| c.is_ascii_digit() || matches!(c, '≥' | '≤' | '%' | '％' | '>' | '<' | '=' | '±'))
        || ["无", "—", "/", "-"].contains(&text)
}

/// 二级 labels some forms print without 指标 (数量, 社会效益, 服务对象满意度). Only trusted in the
/// 二级 column of a row that lines up with its header: as free text they are also 三级 names.
pub(super) fn is_short_l2(key: &str) -> bool {
    matches!(
        key,
        "数量"
            | "质量"
            | "时效"
            | "成本"
            | "效益"
            | "社会效益"
            | "经济效益"
            | "生态效益"
            | "可持续影响"
            | "满意度"
            | "服务对象满意度"
            | "经济成本"
            | "社会成本"
            | "生态环境成本"
            | "社会经济生态效益"
    )
}

/// The longest key any label of an indicator row has ([`is_l1_label`], [`is_l2_label`],
/// [`is_short_l2`], [`is_block_label`]), in characters: a longer cell (an indicator's name, a
/// narrative line) is none of them, told without its whole key.
pub(super) const ROW_LABEL_MAX_CHARS: usize = 16;

pub(super) fn is_l2_label(key: &Key) -> bool {
    key.ends_with("指标") && (3..=ROW_LABEL_MAX_CHARS).contains(&key.chars()) && !is_pure_l1(key)
        || key.text() == "成本指标"
}

pub fn level1_code(key: &str) -> &'static str {
    let key = Key::new(key);
    if key.has(word!("产出")) {
        "output"
    } else if key.has(word!("满意")) {
        "satisfaction"
    } else if key.has(word!("效益", "效果")) {
        "outcome"
    } else if key.has(word!("成本")) {
        "cost"
    } else {
        "other"
    }
}

pub fn level2_code(key: &str) -> &'static str {
    level2_key(&Key::new(key))
}

fn level2_key(key: &Key) -> &'static str {
    if key.has(word!("数量", "建筑规模")) {
        "quantity"
    } else if key.has(word!("质量")) {
        "quality"
    } else if key.has(word!("时效", "工期", "进度")) {
        "timeliness"
    } else if key.has(word!("成本", "预算", "投资")) {
        "cost"
    } else if key.count(word!("社会", "经济", "生态")) >= 2 {
        "combined_benefit"
    } else if key.has(word!("社会")) {
        "social_benefit"
    } else if key.has(word!("经济")) {
        "economic_benefit"
    } else if key.has(word!("生态", "环境")) {
        "ecological_benefit"
    } else if key.has(word!("可持续")) {
        "sustainability"
    } else if key.has(word!("满意")) {
        "satisfaction"
    } else {
        "other"
    }
}

/// The form's words for the layout stage's text-run reader, which rebuilds rows from them.
///
/// The reader asks what a run is once ([`Facts`]: its kind, whether it is a whole label or a
/// 一级 label, all found in one reading of the run by [`RunFacts`]) and keeps the answer
/// beside the run while it looks ahead.
#[derive(Debug, Clone, Copy, Default)]
pub struct FormLabels;

impl Vocabulary for FormLabels {
    fn label_facts(&self, run: &str) -> Facts {
        let f = RunFacts::remembered(run);
        Facts { kind: f.kind, whole_label: f.whole_label, level1: f.level1, year_line: false }
    }
    fn is_year_line(&self, run: &str) -> bool {
        year_line(run).is_some()
    }
    fn is_level1(&self, run: &str) -> bool {
        // Only the key, and only as far as a 一级 label reaches: the stream reader asks this of
        // every prefix of a run that may begin with one, before asking what the prefix is.
        label_key_within(run, L1_MAX_CHARS).is_some_and(|k| is_l1_label(&k))
    }
    fn is_amount(&self, run: &str) -> bool {
        parse_amount(run).is_some()
    }
    fn label_max_chars(&self) -> usize {
        LABEL_MAX_RUN_CHARS
    }
    fn last_head_mark(&self, run: &str) -> Option<usize> {
        // An entity may spell any character: a run with one is not told by the ones it shows.
        if run.contains('&') {
            return run.char_indices().next_back().map(|(i, _)| i);
        }
        run.rfind(HEAD_MARKS)
    }
    fn leading_level1(&self, run: &str) -> Option<usize> {
        // A 一级 label's key ends in one of `L1_ENDS`, and a prefix that ends in any other Han
        // character ends its key with it (a key keeps every one outside brackets): it is not
        // asked about, unless a bracket opened before its end (what a bracket holds is left
        // out of the key) or markup may take the character out.
        let unsure = run.find(['(', '[', '【', '〔', '（', '［', '<', '&']).unwrap_or(run.len());
        level1_prefix(run, self, |cut| {
            cut > unsure || run[..cut].chars().next_back().is_none_or(|c| !is_han(c) || L1_ENDS.contains(&c))
        })
    }
}

/// The characters the 一级 labels ([`PURE_L1`], [`SHARED_L1`]) end in.
const L1_ENDS: [char; 6] = ['标', '出', '益', '果', '度', '本'];

/// Characters every text that [`run_kind`] reads as a head label holds one of, as its key's
/// characters are the text's own (for a text without entities): 部门 and 单位 of the text fields,
/// 预算, 资金 and 金额 of the amounts, 日期 and 时间 of the dates, 项目 and 总体目标 (目), and 其中.
/// The stream reader asks only suffixes that hold one whether they are head labels.
const HEAD_MARKS: [char; 9] = ['部', '单', '预', '资', '金', '日', '时', '目', '其'];

/// Everything the layout stage may ask of one run, from one label key and one word search.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct RunFacts {
    kind: RunKind,
    /// A complete label of the form's vocabulary, not a fragment that happens to end in 指标.
    whole_label: bool,
    level1: bool,
}

thread_local! {
    /// The facts of short runs already read on this thread. The form's labels, and many of
    /// its values (`≥95%`, `100%`, `数量指标`), come back in every document, and reading a run
    /// (a label key, its vocabulary words, a dozen predicates) cost several times a lookup.
    static READ: RefCell<HashMap<Box<str>, RunFacts>> = RefCell::new(HashMap::new());
}

/// The longest run (in bytes) whose facts are remembered: a label's run and a short value's.
/// A longer one is read again, which gives up after [`LABEL_MAX_CHARS`] key chars.
const REMEMBERED_MAX_BYTES: usize = 96;

/// How many runs a thread remembers; past this the memory starts over, so a corpus of
/// ever-new runs costs a bounded table.
const REMEMBERED_MAX_RUNS: usize = 1 << 14;

impl RunFacts {
    /// [`RunFacts::read`], remembered per run text for short runs.
    fn remembered(run: &str) -> RunFacts {
        if run.len() > REMEMBERED_MAX_BYTES {
            return RunFacts::read(run);
        }
        READ.with_borrow_mut(|seen| {
            if let Some(f) = seen.get(run) {
                return *f;
            }
            if seen.len() >= REMEMBERED_MAX_RUNS {
                seen.clear();
            }
            let f = RunFacts::read(run);
            seen.insert(run.into(), f);
            f
        })
    }

    fn read(run: &str) -> RunFacts {
        let Some(key) = Key::within(run, LABEL_MAX_CHARS) else {
            return RunFacts { kind: RunKind::Other, whole_label: false, level1: false };
        };
        let kind = run_kind(&key);
        let whole_label = match kind {
            RunKind::Other => false,
            RunKind::L2 => level2_key(&key) != "other",
            _ => true,
        };
        RunFacts { kind, whole_label, level1: is_l1_label(&key) }
    }
}

/// The longest key a label of the form's vocabulary has (in characters).
const LABEL_MAX_CHARS: usize = 20;

/// The longest run that is taken for a label as the text-run reader cuts runs: four times the
/// longest key, for the wrap spaces, a bracketed unit or remark (（万元）), markup and
/// punctuation the key leaves out around its characters.
const LABEL_MAX_RUN_CHARS: usize = 4 * LABEL_MAX_CHARS;

fn run_kind(key: &Key) -> RunKind {
    if key.chars() > LABEL_MAX_CHARS {
        // Labels are short; a long run is narrative or a value that mentions a label.
        return RunKind::Other;
    }
    let text = key.text();
    if is_title(key) {
        RunKind::Title
    } else if matches!(text, "一级指标" | "二级指标" | "三级指标") || is_value_label(key) {
        RunKind::Header
    } else if is_block_label(text) {
        RunKind::Block
    } else if goal_label(key).is_some() {
        RunKind::Goal
    } else if is_opinion_label(key) {
        RunKind::Opinion
    } else if is_head_label(key)
        || matches!(text, "项目性质" | "项目类别" | "项目资金")
        || text.starts_with("其中")
        || text.ends_with("资金") && key.chars() <= 8
    {
        RunKind::Head
    } else if is_pure_l1(text) {
        RunKind::L1
    } else if is_l2_label(key) {
        RunKind::L2
    } else {
        RunKind::Other
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn level1_question_alone_agrees_with_the_run_facts() {
        assert_eq!(L1_MAX_CHARS, 6);
        let runs = [
            "产出指标",
            "预期 产出 指标",
            "预期产出指标（万元）",
            "满意度指标服务对象满意度",
            "成本",
            "＃成本指标：",
            "<b>效益</b>指标",
            "效益指标值",
            "一级指标",
            "1、产出指标",
            "预期产出指标预期产出指标",
            "",
        ];
        for run in runs.into_iter().chain(PURE_L1).chain(SHARED_L1) {
            assert_eq!(FormLabels.is_level1(run), RunFacts::read(run).level1, "{run:?}");
        }
    }

    /// The stream reader asks only prefixes that end in one of `L1_ENDS` (or in no Han
    /// character) whether they are 一级 labels.
    #[test]
    fn every_level1_label_ends_in_a_level1_end() {
        for label in PURE_L1.iter().chain(&SHARED_L1) {
            assert!(label.chars().last().is_some_and(|c| L1_ENDS.contains(&c)), "{label}");
        }
    }

    /// A remembered run's facts are the ones read afresh, the first time and every time after,
    /// for short runs, long runs and after the memory starts over.
    #[test]
    fn remembered_facts_are_the_facts_read() {
        let long = "产出指标".repeat(10);
        let mut runs: Vec<String> =
            ["产出指标", "数量指标", "≥95%", "二级指标", "项目资金（万元）", "", long.as_str(), "年度目标"]
                .iter()
                .map(|r| r.to_string())
                .collect();
        runs.extend((0..REMEMBERED_MAX_RUNS + 10).map(|n| format!("指标{n}")));
        for _ in 0..2 {
            for run in &runs {
                assert_eq!(RunFacts::remembered(run), RunFacts::read(run), "{run:?}");
            }
        }
        assert!(READ.with_borrow(|seen| seen.len()) <= REMEMBERED_MAX_RUNS);
    }
}
