//! Stage 3, layout: cutting a fixed-width line into positioned segments, and the page furniture
//! (footers) that is no part of any table.

use std::collections::HashMap;

/// How many segments start at a column that a segment of another line also starts at, with
/// columns counted in display width (`wide`) or in characters. Under the measure the text
/// was laid out in, cells of one column share a start; under the other, each start drifts
/// by the number of wide characters left of it, which differs from line to line.
pub(super) fn aligned_starts(lines: &[Option<Vec<Seg>>]) -> usize {
    let starts = || lines.iter().flatten().flatten().map(|s| s.start);
    let mut lines_at: HashMap<usize, usize> = HashMap::new();
    for start in starts() {
        *lines_at.entry(start).or_default() += 1;
    }
    starts().filter(|s| lines_at.get(s).is_some_and(|&n| n > 1)).count()
}

/// East Asian Wide and Fullwidth characters: two display columns in a terminal or editor.
pub(super) fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF
            | 0xA000..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE10..=0xFE19 | 0xFE30..=0xFE6F
            | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD)
}

#[derive(Debug, Clone)]
pub(super) struct Seg {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) text: String,
}

/// Splits a line at runs of two or more blanks (space, no-break space, ideographic space) or
/// any tab, keeping each piece's column range, in display columns when `wide`, else in
/// characters. Blanks are counted in characters either way: one ideographic space is a word
/// break inside a cell, not a gap between cells.
pub(super) fn segments(line: &str, wide: bool) -> Vec<Seg> {
    let mut segs: Vec<Seg> = Vec::new();
    let mut col = 0usize;
    let mut gap = 0usize;
    // The segment being read: its start and end column and its byte range in the line. Its
    // text is copied once it ends, not pushed a character at a time.
    let mut open: Option<(usize, usize, std::ops::Range<usize>)> = None;
    for (i, c) in line.char_indices() {
        let w = if wide && is_wide(c) { 2 } else { 1 };
        match c {
            '\t' => {
                col = (col / 8 + 1) * 8;
                gap = 2;
            }
            ' ' | '\u{a0}' | '\u{3000}' | '\r' => {
                col += w;
                gap += 1;
            }
            _ => {
                let bytes = i..i + c.len_utf8();
                match open.as_mut() {
                    Some((_, end, range)) if gap < 2 => {
                        *end = col + w;
                        range.end = bytes.end;
                    }
                    _ => {
                        segs.extend(open.take().map(|o| seg(line, o)));
                        open = Some((col, col + w, bytes));
                    }
                }
                gap = 0;
                col += w;
            }
        }
    }
    segs.extend(open.map(|o| seg(line, o)));
    segs
}

/// A segment's text: one blank inside it is a word break, kept as a space (an ideographic
/// space stays one).
fn seg(line: &str, (start, end, bytes): (usize, usize, std::ops::Range<usize>)) -> Seg {
    Seg { start, end, text: line[bytes].replace(['\u{a0}', '\r'], " ") }
}

/// Page numbers pdftotext leaves at the foot of each page.
pub(super) fn is_page_footer(line: &str) -> bool {
    let s: String = line.chars().filter(|c| !c.is_whitespace()).collect();
    if s.is_empty() || !s.chars().any(|c| c.is_ascii_digit()) {
        return false;
    }
    let dashes = ['-', '—', '–', '－', '─'];
    let inner = s.trim_matches(&dashes[..]);
    if inner.len() < s.len()
        && s.starts_with(&dashes[..])
        && s.ends_with(&dashes[..])
        && inner.chars().all(|c| c.is_ascii_digit())
    {
        return true;
    }
    let only = |extra: &[char]| s.chars().all(|c| c.is_ascii_digit() || extra.contains(&c));
    if s.contains('页') && only(&['第', '页', '共', '/', ',', '，', '、', '|']) {
        return true;
    }
    let lower = s.to_ascii_lowercase();
    lower.starts_with("page") && {
        let rest = lower.trim_start_matches("page").replace("of", "/");
        rest.chars().all(|c| c.is_ascii_digit() || c == '/')
    }
}
