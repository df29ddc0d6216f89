//! Stage 5, records (value): character and cell helpers shared by the value reader and the scorer.

use crate::ingest::text::{char_len, fold_width};

/// The char at byte `i`, folded; `None` at the end.
pub(crate) fn char_at(s: &str, i: usize) -> Option<char> {
    s.get(i..).and_then(|t| t.chars().next()).map(fold_width)
}

/// The char before byte `i`, folded.
pub(crate) fn char_before(s: &str, i: usize) -> Option<char> {
    s.get(..i).and_then(|t| t.chars().next_back()).map(fold_width)
}

/// Byte index after the char at `i` (one past `i` when `i` is not at a char).
pub(crate) fn after(s: &str, i: usize) -> usize {
    // A byte inside a char (10xxxxxx) counts 1, as the lead bytes' lengths start at C0.
    i + s.as_bytes().get(i).map_or(1, |&b| char_len(b))
}

/// Quotes, whitespace and stray punctuation that wrap a cell without meaning anything.
pub(crate) fn trim_cell(s: &str) -> &str {
    // Most names and values begin and end with a Han char (lead byte E4..E9), a digit or a
    // letter, none of which is trimmed: told from the bytes at both ends, without setting up
    // `trim_matches`' searchers (a fifth of scoring's instructions).
    if plain_start(s) && plain_end(s) {
        return s;
    }
    s.trim_matches(|c: char| {
        c.is_whitespace() || matches!(c, '"' | '\'' | '“' | '”' | '‘' | '’' | '「' | '」' | '『' | '』' | '\u{FEFF}')
    })
}

/// Whether `s` starts with a Han char (lead byte E4..E9, U+4000..U+9FFF) or an ASCII letter or
/// digit: none is whitespace, a quote or punctuation, so no trim of those changes the start.
fn plain_start(s: &str) -> bool {
    s.as_bytes().first().is_some_and(|&b| b.is_ascii_alphanumeric() || (0xE4..=0xE9).contains(&b))
}

/// Whether `s` ends with a Han char or an ASCII letter or digit, as [`plain_start`].
fn plain_end(s: &str) -> bool {
    let b = s.as_bytes();
    let n = b.len();
    n > 0 && (b[n - 1].is_ascii_alphanumeric() || n >= 3 && (0xE4..=0xE9).contains(&b[n - 3]))
}

/// A name reduced to its core for comparison: no bracketed note (`数量指标（或建筑规模指标）`),
/// no leading `N、`/`1.` numbering, no trailing `指标` or punctuation.
///
/// [`Core::of`] takes it with whether it folds.
#[cfg(test)]
pub(crate) fn core_label(s: &str) -> &str {
    core_label_marked(s).0
}

/// [`core_label`], and whether a byte of the text it was cut from (before any note) is one
/// [`may_fold`] asks about: when none is, the core cannot fold, and is not read again. A name
/// that starts with a bracket is not cut, and is always asked.
fn core_label_marked(s: &str) -> (&str, bool) {
    let mut s = trim_cell(s);
    // A name that *starts* with a bracket keeps its text; only trailing notes go.
    let (bracket, mut marked) = bracket_pos_marked(s);
    match bracket {
        Some(0) => marked = true,
        Some(i) => s = &s[..i],
        None => {}
    }
    // Numbering such as `1、数量` or `2.质量`.
    if s.as_bytes().first().is_some_and(u8::is_ascii_digit) {
        let t = s.trim_start_matches(|c: char| c.is_ascii_digit() || matches!(c, '、' | '.' | '．'));
        if !t.is_empty() {
            s = t;
        }
    }
    // Most names end in a Han char and start with one: told from the end bytes, they are not
    // trimmed char by char (a fifth of taking a core).
    if !plain_end(s) {
        s = s.trim_end_matches(|c: char| c.is_whitespace() || is_punct(c));
    }
    for suf in ["指标值", "指标"] {
        if let Some(t) = s.strip_suffix(suf)
            && !t.is_empty()
        {
            s = t;
            break;
        }
    }
    (if plain_start(s) && plain_end(s) { s } else { s.trim() }, marked)
}

/// Byte position of the first `(`, `[`, `（` or `【`; a byte scan, a char at a time, as this
/// runs on every name.
///
/// [`core_label`] finds it with what [`may_fold`] looks for.
#[cfg(test)]
pub(crate) fn bracket_pos(s: &str) -> Option<usize> {
    bracket_pos_marked(s).0
}

/// [`bracket_pos`], and whether a byte before it is one [`may_fold`] looks for (ASCII
/// whitespace or a lead byte C2, E2, E3 or EF): the name is read once for both.
fn bracket_pos_marked(s: &str) -> (Option<usize>, bool) {
    let b = s.as_bytes();
    let mut marked = false;
    let mut i = 0;
    while i < b.len() {
        let found = match b[i] {
            b'(' | b'[' => true,
            // `（` is EF BC 88, `【` is E3 80 90.
            0xEF => b[i + 1..i + 3] == [0xBC, 0x88],
            0xE3 => b[i + 1..i + 3] == [0x80, 0x90],
            _ => false,
        };
        if found {
            return (Some(i), marked);
        }
        marked |= may_fold_lead(b[i]);
        i += char_len(b[i]);
    }
    (None, marked)
}

/// ASCII whitespace or the lead byte C2 (U+00A0), E2 (U+2000..), E3 (U+3000) or EF (U+FF01..):
/// only such a byte can start a char that whitespace removal or [`fold_width`] changes.
fn may_fold_lead(b: u8) -> bool {
    b.is_ascii_whitespace() || matches!(b, 0xC2 | 0xE2 | 0xE3 | 0xEF)
}

#[rustfmt::skip]
pub(crate) fn is_punct(c: char) -> bool {
    // A match rather than a search of a string of them: names and values are trimmed of
    // these char by char, on every indicator.
    matches!(
        fold_width(c),
        '!' | '"' | '#' | '\'' | '*' | ',' | '.' | ':' | ';' | '?' | '@' | '\\' | '^' | '_' | '`' | '|' | '~'
            | '、' | '。' | '，' | '；' | '：' | '？' | '！' | '…' | '·' | '“' | '”' | '‘' | '’'
    )
}

/// A name's [`core_label`] and whether it [`may_fold`]. A name's core is compared with the
/// value's core and with the generic labels of every indicator under it; taken with the core,
/// whether it can fold is asked once, not again in each comparison (asked again, it was 25 M
/// of the reader's 84 M instructions on 500 files).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Core<'a> {
    pub text: &'a str,
    folds: bool,
}

impl<'a> Core<'a> {
    pub fn of(name: &'a str) -> Self {
        let (text, marked) = core_label_marked(name);
        Core { text, folds: marked && may_fold(text) }
    }

    pub fn is_empty(self) -> bool {
        self.text.is_empty()
    }

    /// Whether [`fold_width`] and whitespace removal can change it.
    pub(crate) fn folds(self) -> bool {
        self.folds
    }

    /// [`loose_eq`] of two cores.
    pub(crate) fn loose_eq(self, other: Core) -> bool {
        self.text == other.text || (self.folds || other.folds) && folded_eq(self.text, other.text)
    }
}

/// Equal after dropping whitespace and folding full-width forms, without allocating.
pub(crate) fn loose_eq(a: &str, b: &str) -> bool {
    // Most names are plain: compare bytes and only walk chars when something may fold.
    a == b || (may_fold(a) || may_fold(b)) && folded_eq(a, b)
}

/// [`loose_eq`] walking the chars of both, whatever they hold.
pub(crate) fn folded_eq(a: &str, b: &str) -> bool {
    let mut x = a.chars().filter(|c| !c.is_whitespace()).map(fold_width);
    let mut y = b.chars().filter(|c| !c.is_whitespace()).map(fold_width);
    loop {
        match (x.next(), y.next()) {
            (None, None) => return true,
            (Some(p), Some(q)) if p == q => {}
            _ => return false,
        }
    }
}

/// Whether `s` holds whitespace or full-width forms, i.e. whether [`fold_width`] and whitespace
/// removal can change it. The lead bytes first, a char at a time: only ASCII whitespace and
/// the lead bytes C2 (U+00A0), E2 (U+2000..), E3 (U+3000) and EF (U+FF01..) can start such a
/// char.
pub(crate) fn may_fold(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if may_fold_lead(b[i]) {
            return s.chars().any(|c| c.is_whitespace() || fold_width(c) != c);
        }
        i += char_len(b[i]);
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn trim_cell_ends_told_by_bytes_trim_as_trim_matches() {
        let wraps = |c: char| {
            c.is_whitespace()
                || matches!(c, '"' | '\'' | '“' | '”' | '‘' | '’' | '「' | '」' | '『' | '』' | '\u{FEFF}')
        };
        for c in (0..=char::MAX as u32).filter_map(char::from_u32) {
            for text in [format!("{c}数量"), format!("数量{c}"), format!("{c}"), format!("a{c}1"), format!("90{c}")]
            {
                assert_eq!(trim_cell(&text), text.trim_matches(wraps), "{text:?}");
            }
        }
        assert_eq!(trim_cell("“数量”"), "数量");
        assert_eq!(trim_cell(""), "");
    }

    /// `core_label` as it was before its ends were told by their bytes.
    fn core_label_trimmed_by_chars(s: &str) -> &str {
        let mut s = s.trim_matches(|c: char| {
            c.is_whitespace()
                || matches!(c, '"' | '\'' | '“' | '”' | '‘' | '’' | '「' | '」' | '『' | '』' | '\u{FEFF}')
        });
        if let Some(i) = bracket_pos(s)
            && i > 0
        {
            s = &s[..i];
        }
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

    /// Every char at either end of a name, and next to its suffix, numbering or note, and
    /// every name and value of the samples, give the core trimmed char by char, and whether
    /// it folds as asked of the core alone.
    #[test]
    fn core_label_ends_told_by_bytes_trim_as_by_chars() {
        let mut texts: Vec<String> = Vec::new();
        for t in crate::ingest::samples::tables() {
            for ind in t.indicators {
                texts.extend([ind.level3, ind.value.into(), ind.level2.into()]);
            }
        }
        for c in (0..=char::MAX as u32).filter_map(char::from_u32) {
            texts.extend([
                format!("{c}数量"),
                format!("数量{c}"),
                format!("{c}"),
                format!("1、{c}指标"),
                format!("a{c}指标{c}"),
                format!("数{c}量"),
                format!("数量{c}（a b）"),
                format!("（{c}）数量"),
                format!("{c}质量（{c}）"),
                format!("指标{c}"),
            ]);
        }
        for text in &texts {
            assert_eq!(core_label(text), core_label_trimmed_by_chars(text), "{text:?}");
            assert_eq!(Core::of(text).folds(), may_fold(core_label(text)), "{text:?}");
        }
    }

    #[test]
    fn after_a_char_is_told_by_its_lead_byte_as_by_decoding_it() {
        let decoded = |s: &str, i: usize| i + s.get(i..).and_then(|t| t.chars().next()).map_or(1, char::len_utf8);
        for s in ["", "a", "数量90%", "Ａ1１≥", "\u{1f600}x"] {
            for i in 0..=s.len() + 1 {
                assert_eq!(after(s, i), decoded(s, i), "{s:?} {i}");
            }
        }
    }

    #[test]
    fn scans_stepping_a_char_at_a_time_find_what_a_byte_at_a_time_found() {
        let may_fold_by_byte = |s: &str| {
            s.bytes().any(|b| b.is_ascii_whitespace() || matches!(b, 0xC2 | 0xE2 | 0xE3 | 0xEF))
                && s.chars().any(|c| c.is_whitespace() || fold_width(c) != c)
        };
        let bracket_by_byte = |s: &str| {
            let b = s.as_bytes();
            (0..b.len()).find(|&i| match b[i] {
                b'(' | b'[' => true,
                0xEF => b.get(i + 1..i + 3) == Some(&[0xBC, 0x88]),
                0xE3 => b.get(i + 1..i + 3) == Some(&[0x80, 0x90]),
                _ => false,
            })
        };
        let chars = (0..0x3100u32).chain(0xfe00..0xff70).chain(0x1_f600..0x1_f700).filter_map(char::from_u32);
        for c in chars {
            for text in
                [format!("{c}数量"), format!("数量{c}"), format!("{c}"), format!("\u{b}{c}（a"), format!("a{c}【1")]
            {
                assert_eq!(may_fold(&text), may_fold_by_byte(&text), "{text:?}");
                assert_eq!(bracket_pos(&text), bracket_by_byte(&text), "{text:?}");
            }
        }
    }
}
