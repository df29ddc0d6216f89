//! Stage 3, layout: cutting a fixed-width line into positioned segments, and the page furniture
//! (footers) that is no part of any table.

use std::borrow::Cow;

/// How many of `starts` (segment starts, line by line) are at a column that another segment
/// also starts at, with columns counted in display width or in characters. Under the measure
/// the text was laid out in, cells of one column share a start; under the other, each start
/// drifts by the number of wide characters left of it, which differs from line to line.
pub(super) fn aligned_starts(mut starts: Vec<usize>) -> usize {
    // Sorted, the segments sharing a start are neighbours (no hashing of every start).
    starts.sort_unstable();
    starts.chunk_by(|a, b| a == b).filter(|same| same.len() >= 2).map(<[usize]>::len).sum()
}

/// East Asian Wide and Fullwidth characters: two display columns in a terminal or editor.
pub(super) fn is_wide(c: char) -> bool {
    let c = c as u32;
    // The CJK Unified Ideographs, nearly every wide character of these forms, are one range
    // check; the compiler tests the other ranges one after another.
    (0x4E00..=0x9FFF).contains(&c)
        || matches!(c,
            0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF | 0xA000..=0xA4CF
                | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE10..=0xFE19 | 0xFE30..=0xFE6F
                | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD)
}

/// A segment of a line in the chosen measure. Its text is borrowed from the line (copied only
/// when a blank in it is rewritten): most segments are read by the rules and the blocks and
/// then copied once into the cell they become, so owning them cost a copy per segment.
#[derive(Debug, Clone)]
pub(super) struct Seg<'a> {
    pub(super) start: usize,
    pub(super) end: usize,
    pub(super) text: Cow<'a, str>,
}

/// Where a segment lies in its line: its bytes, and its columns counted in characters and in
/// display width. Both measures cut a line at the same places (blanks are counted in
/// characters either way), so a line is cut once and the measure is chosen afterwards.
#[derive(Debug, Clone)]
pub(super) struct Span {
    bytes: std::ops::Range<usize>,
    chars: (usize, usize),
    display: (usize, usize),
    /// A no-break space or CR is the blank inside it, which its text spells as a space.
    respelt: bool,
}

impl Span {
    /// Start column in display width (`wide`) or in characters.
    pub(super) fn start(&self, wide: bool) -> usize {
        if wide { self.display.0 } else { self.chars.0 }
    }

    /// The segment in the chosen measure. One blank inside it is a word break, kept as a space
    /// (an ideographic space stays one).
    pub(super) fn seg<'a>(&self, line: &'a str, wide: bool) -> Seg<'a> {
        let (start, end) = if wide { self.display } else { self.chars };
        let text = &line[self.bytes.clone()];
        Seg {
            start,
            end,
            text: if self.respelt { Cow::Owned(text.replace(['\u{a0}', '\r'], " ")) } else { Cow::Borrowed(text) },
        }
    }
}

/// Splits a line at runs of two or more blanks (space, no-break space, ideographic space) or
/// any tab, pushing each piece's column range in both measures onto `out` (one list for the
/// whole document, not one per line); tells whether the line holds a wide character (without
/// one, the measures agree). Blanks are counted in characters either way: one ideographic
/// space is a word break inside a cell, not a gap between cells.
pub(super) fn spans(line: &str, out: &mut Vec<Span>) -> bool {
    // Columns in characters and in display width.
    let (mut col, mut dcol) = (0usize, 0usize);
    // Blanks since the last word, and whether the last is one the segment's text respells
    // (no-break space, CR).
    let (mut gap, mut respell) = (0usize, false);
    let mut any_wide = false;
    let mut open: Option<Span> = None;
    let bytes = line.as_bytes();
    let mut next = 0;
    while next < bytes.len() {
        let run = leading_spaces(&bytes[next..]);
        if run > 0 {
            col += run;
            dcol += run;
            gap += run;
            respell = false;
            next += run;
            continue;
        }
        let rest = &line[next..];
        let Some(c) = rest.chars().next() else { break };
        match c {
            '\t' => {
                col = (col / 8 + 1) * 8;
                dcol = (dcol / 8 + 1) * 8;
                gap = 2;
                next += 1;
            }
            ' ' | '\u{a0}' | '\u{3000}' | '\r' => {
                let wide = is_wide(c);
                any_wide |= wide;
                col += 1;
                dcol += if wide { 2 } else { 1 };
                gap += 1;
                respell = c == '\u{a0}' || c == '\r';
                next += c.len_utf8();
            }
            _ => {
                // A word: its characters up to the next blank, counted in one sweep. No
                // ASCII character is wide.
                let (mut chars, mut width, mut len) = (0, 0, 0);
                for c in rest.chars().take_while(|&c| !is_blank(c)) {
                    let wide = !c.is_ascii() && is_wide(c);
                    any_wide |= wide;
                    chars += 1;
                    width += if wide { 2 } else { 1 };
                    len += c.len_utf8();
                }
                let word = next..next + len;
                match open.as_mut() {
                    // One blank between words keeps them in one segment.
                    Some(span) if gap < 2 => {
                        span.bytes.end = word.end;
                        span.chars.1 = col + chars;
                        span.display.1 = dcol + width;
                        span.respelt |= gap == 1 && respell;
                    }
                    _ => {
                        out.extend(open.take());
                        open = Some(Span {
                            bytes: word.clone(),
                            chars: (col, col + chars),
                            display: (dcol, dcol + width),
                            respelt: false,
                        });
                    }
                }
                gap = 0;
                col += chars;
                dcol += width;
                next = word.end;
            }
        }
    }
    out.extend(open);
    any_wide
}

/// How many ASCII spaces `bytes` starts with. Padding is most of a layout line (87 of its 109
/// characters on average in the bench corpus), so it is compared eight bytes at a time.
fn leading_spaces(bytes: &[u8]) -> usize {
    let whole = bytes.chunks_exact(8).take_while(|&c| c == b"        ").count() * 8;
    whole + bytes[whole..].iter().take_while(|&&b| b == b' ').count()
}

/// The characters that part words: one inside a segment, two or a tab between segments.
fn is_blank(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\u{a0}' | '\u{3000}' | '\r')
}

/// The segments of a line in one measure: display columns when `wide`, else characters.
#[cfg(test)]
pub(super) fn segments(line: &str, wide: bool) -> Vec<Seg<'_>> {
    let mut out = Vec::new();
    spans(line, &mut out);
    out.iter().map(|s| s.seg(line, wide)).collect()
}

/// Page numbers pdftotext leaves at the foot of each page.
pub(super) fn is_page_footer(line: &str) -> bool {
    // Every footer is digits and a few marks and words: a line with any other character (nearly
    // every line) is rejected at it, before a copy of the line is made.
    let footer_char = |c: char| {
        c.is_whitespace()
            || c.is_ascii_digit()
            || matches!(c, '-' | '—' | '–' | '－' | '─' | '第' | '页' | '共' | '/' | ',' | '，' | '、' | '|')
            || matches!(c.to_ascii_lowercase(), 'p' | 'a' | 'g' | 'e' | 'o' | 'f')
    };
    let padding = leading_spaces(line.as_bytes());
    if !line[padding..].chars().all(footer_char) {
        return false;
    }
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
