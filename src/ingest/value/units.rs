//! Stage 5, records (value): the unit after a number (`个`, `万元`, `%`, `km`).

use compact_str::CompactString;

use super::chars::{after, char_at, trim_cell};
use super::is_empty_value;
use super::lexicon;
use super::numbers::is_chinese_digit;
use crate::ingest::text::is_han;

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
pub(super) fn known_unit(s: &str) -> Option<&'static str> {
    UNIT_LEX.prefix(s)
}

/// The unit right after a number ending at byte `end`. A unit is a few chars, held inline
/// rather than in an allocation of its own.
pub(super) fn unit_after(s: &str, end: usize) -> Option<CompactString> {
    let mut i = end;
    while char_at(s, i).is_some_and(|c| c == ' ') {
        i = after(s, i);
    }
    let rest = s.get(i..)?;
    // Every percent spelling: `%`, `％`, `(%)`, `（%）`, `(％)`.
    for p in ["%", "％", "(%)", "（%）", "(％)", "（％）", "（%)", "(%）"] {
        if rest.starts_with(p) {
            return Some(CompactString::const_new("%"));
        }
    }
    if rest.starts_with('‰') {
        return Some(CompactString::const_new("‰"));
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
        return Some(CompactString::const_new(u));
    }
    // Magnitude + unit, or a bare magnitude (`5万`).
    let first = rest.chars().next()?;
    if MAGNITUDES.contains(&first) {
        let k = j + first.len_utf8();
        if let Some(u) = s.get(k..).and_then(known_unit) {
            let mut out = CompactString::default();
            out.push(first);
            out.push_str(u);
            return Some(out);
        }
        if first != '百' {
            return Some(char_unit(first));
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
        return Some(CompactString::const_new(u));
    }
    // ASCII units: `km`, `m2`, `t`, `MW`, `GB`.
    if first.is_ascii_alphabetic() {
        let len: usize = rest
            .char_indices()
            .take_while(|(n, c)| c.is_ascii_alphabetic() || (*n > 0 && matches!(c, '²' | '³' | '2' | '3' | '/')))
            .map(|(_, c)| c.len_utf8())
            .sum();
        if len <= 6 {
            return Some(CompactString::from(&rest[..len]));
        }
        return None;
    }
    // Fallback: one CJK char that is not the start of an obvious following word. Classifiers
    // are one char; taking more would swallow the noun after them (`237个直管党组织`).
    if is_han(first) && !UNIT_STOP.contains(&first) && !is_chinese_digit(first) {
        return Some(char_unit(first));
    }
    None
}

fn char_unit(c: char) -> CompactString {
    CompactString::from(&*c.encode_utf8(&mut [0; 4]))
}

pub(super) fn normalize_unit_column(u: &str) -> Option<CompactString> {
    let u = trim_cell(u);
    let u = u.trim_matches(|c| matches!(c, '(' | ')' | '（' | '）'));
    if is_empty_value(u) {
        return None;
    }
    if matches!(u, "%" | "％" | "百分比" | "百分率" | "比率") {
        return Some(CompactString::const_new("%"));
    }
    Some(CompactString::from(u))
}
