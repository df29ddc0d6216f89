//! Stage 5, records (value): finding the numbers of a value, Arabic and Chinese, and skipping labels.

use std::str::FromStr;

use rust_decimal::Decimal;

use super::chars::{after, char_at, char_before, is_punct};
use super::units::known_unit;

/// One number found in a value.
#[derive(Debug, Clone, Copy)]
pub(super) struct NumTok {
    pub(super) end: usize,
    pub(super) value: Decimal,
    /// A calendar year (`2020年`, `2020-2022`): a date, not an amount.
    pub(super) is_year: bool,
    /// `百分之90`: the unit is % whatever follows.
    pub(super) percent_prefix: bool,
}

pub(super) fn is_chinese_digit(c: char) -> bool {
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
/// ASCII letters (`G107`, `5G`). In a `narrative` value ([`super::is_narrative`], which the reader
/// has already asked) a Chinese numeral is a word, not a count.
pub(super) fn scan_numbers(v: &str, narrative: bool, mut f: impl FnMut(NumTok) -> bool) {
    let short = !narrative;
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

/// Where the second number of a range starting at `end` (`-30`, `至2022`) ends.
pub(super) fn range_end(v: &str, end: usize) -> Option<usize> {
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
