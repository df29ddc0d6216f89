//! Stage ingest (text helpers): cleaning cell text, normalising labels, and the one `is_cjk` and width fold.
//!
//! Scraped cells carry HTML tags and entities, PDF line-wrap spaces inside words, and
//! full-width variants of brackets and digits. Values keep what was published; labels are
//! reduced to a key for matching by meaning.

use std::borrow::Cow;

use compact_str::CompactString;

/// CJK ideographs, CJK punctuation and full-width forms, plus the general punctuation Chinese
/// text uses (“”‘’—…·): the characters between which a PDF extractor's wrap spaces are never
/// real spaces. The union of the ranges the form helpers and the fixed-width reader used.
pub fn is_cjk(c: char) -> bool {
    matches!(c as u32,
        0xB7 | 0x2010..=0x2027 | 0x2E80..=0x9FFF | 0xF900..=0xFAFF | 0xFE30..=0xFE4F
            | 0xFF00..=0xFFEF | 0x20000..=0x2FA1F)
}

/// The unified Han ideographs (basic block and extension A): the part of [`is_cjk`] that is
/// a word character, not punctuation or a full-width form. A one-char unit (`个`, `项`) is one.
pub fn is_han(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4dbf | 0x4e00..=0x9fff)
}

/// Cleans a cell for output: tags stripped, entities decoded, PDF wrap spaces between CJK
/// characters removed, other whitespace runs collapsed to one space, trimmed.
///
/// Borrowed when there is nothing to clean (no tag, entity or whitespace), as in most cells:
/// the form reads every cell of every row and the records fingerprint every field, and a
/// copy of each was a fifth of the allocations of a run.
pub fn clean(raw: &str) -> Cow<'_, str> {
    if !needs_cleaning(raw) {
        return Cow::Borrowed(raw);
    }
    let detagged = strip_tags(raw);
    let decoded = decode_entities(&detagged);
    Cow::Owned(collapse_spaces(&decoded))
}

/// Whether `s` holds `c`: a byte search for the last byte of the char, checking the bytes
/// before each one found. `str::contains` searches for a char outside ASCII as a string, with
/// a substring searcher set up for each call (~250 instructions on a short cell), and
/// `str::find` through std's char searcher still cost ~100.
pub fn has_char(s: &str, c: char) -> bool {
    let mut buf = [0; 4];
    let c = c.encode_utf8(&mut buf).as_bytes();
    let b = s.as_bytes();
    memchr::memchr_iter(c[c.len() - 1], b).any(|at| b[..=at].ends_with(c))
}

/// Whether [`clean`] can change the text: it holds a tag or entity start or whitespace. A byte
/// scan, as every cell is asked: a table marks the ASCII bytes that need cleaning and the lead
/// bytes C2 (U+0085, U+00A0), E1 (U+1680), E2 (U+2000..U+205F) and E3 (U+3000) that can start
/// whitespace; only after one of those leads are the next bytes compared (Han characters
/// start with E4..E9, and 、。 with E3 80 but are no whitespace).
pub fn needs_cleaning(s: &str) -> bool {
    let b = s.as_bytes();
    (0..b.len()).any(|i| match CLEAN_BYTE[usize::from(b[i])] {
        0 => false,
        1 => true,
        _ => wide_space_at(&b[i..]),
    })
}

/// 1 for an ASCII byte [`clean`] acts on, 2 for a lead byte that may start a wide whitespace.
static CLEAN_BYTE: [u8; 256] = {
    let mut t = [0u8; 256];
    let ascii = *b"<&\t\n\x0B\x0C\r ";
    let mut i = 0;
    while i < ascii.len() {
        t[ascii[i] as usize] = 1;
        i += 1;
    }
    t[0xC2] = 2;
    t[0xE1] = 2;
    t[0xE2] = 2;
    t[0xE3] = 2;
    t
};

/// Whether `b` starts with the UTF-8 of a whitespace char outside ASCII (those
/// `char::is_whitespace` accepts: U+0085, U+00A0, U+1680, U+2000..U+200A, U+2028, U+2029,
/// U+202F, U+205F, U+3000).
fn wide_space_at(b: &[u8]) -> bool {
    matches!(
        b,
        [0xC2, 0x85 | 0xA0, ..]
            | [0xE1, 0x9A, 0x80, ..]
            | [0xE2, 0x80, 0x80..=0x8A | 0xA8 | 0xA9 | 0xAF, ..]
            | [0xE2, 0x81, 0x9F, ..]
            | [0xE3, 0x80, 0x80, ..]
    )
}

fn strip_tags(s: &str) -> Cow<'_, str> {
    if !s.contains('<') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('<') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let tag_like = after.starts_with(|c: char| c.is_ascii_alphabetic() || c == '/' || c == '!');
        match (tag_like, after.find('>')) {
            (true, Some(j)) => {
                let name = after[..j].trim_start_matches('/').to_ascii_lowercase();
                // Block boundaries become a space so words of two paragraphs don't fuse;
                // collapse_spaces drops it again between CJK characters.
                if name.starts_with("br") || name.starts_with('p') || name.starts_with("div") || name.starts_with("li")
                {
                    out.push(' ');
                }
                rest = &after[j + 1..];
            }
            _ => {
                out.push('<');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

fn decode_entities(s: &str) -> Cow<'_, str> {
    if !s.contains('&') {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len());
    let mut rest = s;
    while let Some(i) = rest.find('&') {
        out.push_str(&rest[..i]);
        let after = &rest[i + 1..];
        let end = after.find(';').filter(|&j| j <= 10);
        let decoded = end.and_then(|j| entity(&after[..j]).map(|c| (c, j)));
        match decoded {
            Some((c, j)) => {
                out.push(c);
                rest = &after[j + 1..];
            }
            None => {
                out.push('&');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    Cow::Owned(out)
}

fn entity(name: &str) -> Option<char> {
    if let Some(num) = name.strip_prefix('#') {
        let code = match num.strip_prefix(['x', 'X']) {
            Some(hex) => u32::from_str_radix(hex, 16).ok()?,
            None => num.parse().ok()?,
        };
        return char::from_u32(code);
    }
    Some(match name {
        "nbsp" | "ensp" | "emsp" | "thinsp" => ' ',
        "amp" => '&',
        "lt" => '<',
        "gt" => '>',
        "quot" => '"',
        "apos" => '\'',
        "ldquo" => '“',
        "rdquo" => '”',
        "lsquo" => '‘',
        "rsquo" => '’',
        "mdash" => '—',
        "ndash" => '–',
        "hellip" => '…',
        "middot" => '·',
        "times" => '×',
        "divide" => '÷',
        "plusmn" => '±',
        "le" => '≤',
        "ge" => '≥',
        "permil" => '‰',
        "yen" => '¥',
        _ => return None,
    })
}

fn collapse_spaces(s: &str) -> String {
    // Most cells have no blank at all: one scan and a copy instead of a push per character.
    if !s.contains(char::is_whitespace) {
        return s.to_string();
    }
    let mut out = String::with_capacity(s.len());
    let mut pending_space = false;
    let mut pending_break = false;
    let mut prev: Option<char> = None;
    for c in s.chars() {
        if c.is_whitespace() || c == '\u{3000}' {
            pending_space = prev.is_some();
            pending_break |= c == '\n';
            continue;
        }
        // A line break (<br>, a wrapped cell) next to CJK text is layout, not a word gap.
        if pending_space && pending_break && (is_cjk(c) || prev.is_some_and(is_cjk)) {
            pending_space = false;
        }
        pending_break = false;
        if pending_space {
            // PDF extractors break lines inside words and numbers: a space between two CJK
            // characters, between CJK and a digit, or inside a number (`16 7. 74`, `1 00%`)
            // is a wrap, not a word boundary.
            let keep = !matches!(prev, Some(p) if joins(p, c));
            if keep {
                out.push(' ');
            }
            pending_space = false;
        }
        out.push(c);
        prev = Some(c);
    }
    out
}

fn joins(prev: char, next: char) -> bool {
    let digit = |c: char| c.is_ascii_digit();
    (is_cjk(prev) && is_cjk(next))
        || (is_cjk(prev) && digit(next))
        || (digit(prev) && is_cjk(next))
        || (digit(prev) && (digit(next) || next == '.' || next == '%'))
        || (prev == '.' && digit(next))
}

/// Reduces a label to a key for matching by meaning: full-width forms folded, whitespace,
/// tags and bracketed alternatives (（或建筑规模指标）, (万元)) removed, `#` and colons dropped.
pub fn label_key(raw: &str) -> CompactString {
    label_key_within(raw, usize::MAX).unwrap_or_default()
}

/// [`label_key`] when the key has at most `max_chars` characters, else `None` as soon as it
/// grows past them: a label vocabulary of short keys has no use for a narrative cell's key,
/// and the readers ask about every cell several times. Keys of up to 24 bytes (8 Han) are
/// held inline: most labels are, and the layout stage asks about every text run.
pub fn label_key_within(raw: &str, max_chars: usize) -> Option<CompactString> {
    counted_label_key(raw, max_chars).map(|(key, _)| key)
}

/// [`label_key_within`] and the key's length in characters, which the label predicates ask
/// of nearly every key: counted while the key is made rather than again by each of them.
pub fn counted_label_key(raw: &str, max_chars: usize) -> Option<(CompactString, usize)> {
    // The raw text is read directly until a tag or an entity shows up: nearly no cell has
    // one, and a long run is given up after `max_chars` characters instead of being
    // searched whole for markup first. The key made before the first `<` or `&` is the
    // same either way, as undoing markup leaves the text before it as it is.
    match key_of(raw, max_chars, true) {
        Scan::Key(key, chars) => Some((key, chars)),
        Scan::TooLong => None,
        Scan::Markup => {
            let detagged = strip_tags(raw);
            let cleaned = decode_entities(&detagged);
            match key_of(&cleaned, max_chars, false) {
                Scan::Key(key, chars) => Some((key, chars)),
                Scan::TooLong | Scan::Markup => None,
            }
        }
    }
}

enum Scan {
    Key(CompactString, usize),
    TooLong,
    /// A `<` or `&` was met while reading raw text: tags and entities are undone first.
    Markup,
}

fn key_of(text: &str, max_chars: usize, raw: bool) -> Scan {
    let bytes = text.as_bytes();
    let mut out = CompactString::default();
    // Characters kept as they are are copied a run at a time (`same`, a byte range of
    // `text`): a CompactString push per character cost more than the rest of the key.
    let mut same = 0..0;
    let (mut depth, mut chars) = (0usize, 0usize);
    let mut i = 0;
    while i < bytes.len() {
        // Han characters, nearly all of a key, are kept as they are outside brackets, and are
        // told by their first two bytes without decoding them ([`is_han`]): U+5000..U+9FFF lead
        // with E5..E9, U+4000..U+4FFF with E4 (but for the hexagrams U+4DC0..U+4DFF, E4 B7),
        // U+3400..U+3FFF with E3 and a second byte from 90.
        let han = match bytes[i] {
            0xE5..=0xE9 => true,
            0xE4 => bytes.get(i + 1) != Some(&0xB7),
            0xE3 => bytes.get(i + 1).is_some_and(|&b| b >= 0x90),
            _ => false,
        };
        let (len, folded) = if han {
            if depth > 0 {
                i += 3;
                continue;
            }
            (3, None)
        } else {
            let Some(raw_c) = text[i..].chars().next() else { break };
            let len = raw_c.len_utf8();
            if raw && matches!(raw_c, '<' | '&') {
                return Scan::Markup;
            }
            let c = fold_width(raw_c);
            let keep = match c {
                '(' | '[' | '【' | '〔' => {
                    depth += 1;
                    false
                }
                ')' | ']' | '】' | '〕' => {
                    depth = depth.saturating_sub(1);
                    false
                }
                _ if depth > 0 => false,
                c => !(c.is_whitespace() || matches!(c, '#' | ':' | '*' | '"' | '“' | '”')),
            };
            if !keep {
                i += len;
                continue;
            }
            (len, (c != raw_c).then_some(c))
        };
        chars += 1;
        if chars > max_chars {
            return Scan::TooLong;
        }
        match folded {
            None if same.end == i => same.end = i + len,
            None => {
                out.push_str(&text[same]);
                same = i..i + len;
            }
            Some(c) => {
                out.push_str(&text[same]);
                same = 0..0;
                out.push(c);
            }
        }
        i += len;
    }
    out.push_str(&text[same]);
    Scan::Key(out, chars)
}

/// Longest cell text a reason quotes, in chars: no real label or name comes near it, and a
/// hostile file's one 50 MB line is one cell, which must not be copied into every reason
/// (and its table's, and its file's) before the file's reason is cut.
pub const MAX_QUOTE_CHARS: usize = 500;

/// A cell's text as a reason quotes it: cut at [`MAX_QUOTE_CHARS`] with `…`.
pub fn quote(text: &str) -> std::borrow::Cow<'_, str> {
    match text.char_indices().nth(MAX_QUOTE_CHARS) {
        Some((at, _)) => format!("{}…", &text[..at]).into(),
        None => text.into(),
    }
}

/// The length in bytes of the UTF-8 char that starts with `lead`: byte scans step over a Han
/// char (three bytes) at once.
pub fn char_len(lead: u8) -> usize {
    match lead {
        0xF0.. => 4,
        0xE0.. => 3,
        0xC0.. => 2,
        _ => 1,
    }
}

/// Full-width ASCII variants (Ｕ+FF01..FF5E) and the ideographic space to their ASCII forms.
pub fn fold_width(c: char) -> char {
    match c as u32 {
        0xff01..=0xff5e => char::from_u32(c as u32 - 0xfee0).unwrap_or(c),
        0x3000 => ' ',
        _ => c,
    }
}

/// [`fold_width`] of every character of `text`, borrowed when none folds. The characters that
/// fold lead with EF (U+FF01..U+FF5E) or E3 (U+3000), found by a byte search; the text between
/// them is copied a run at a time, not a character at a time.
pub fn folded(text: &str) -> Cow<'_, str> {
    let mut out = String::new();
    let mut copied = 0;
    // EF and E3 only ever lead a character, so each hit starts one.
    for at in memchr::memchr2_iter(0xEF, 0xE3, text.as_bytes()) {
        let c = text[at..].chars().next().unwrap_or_default();
        let f = fold_width(c);
        if f != c {
            if out.is_empty() {
                out.reserve(text.len());
            }
            out.push_str(&text[copied..at]);
            out.push(f);
            copied = at + c.len_utf8();
        }
    }
    if copied == 0 {
        return Cow::Borrowed(text);
    }
    out.push_str(&text[copied..]);
    Cow::Owned(out)
}

/// Text inside the first bracket pair, e.g. the unit in 中期市财政预算（万元）.
/// Folded, without whitespace: only the bracket's text is copied, not the whole cell (a
/// cell that mentions 万元 can be a long goal).
pub fn bracketed(raw: &str) -> Option<String> {
    let mut folded = raw.chars().map(fold_width).filter(|c| !c.is_whitespace());
    folded.by_ref().find(|&c| c == '(')?;
    let mut inside = String::new();
    for c in folded {
        if c == ')' {
            return Some(inside);
        }
        inside.push(c);
    }
    None
}

/// Every four-digit year 1990..=2099 in the text, in order: runs of exactly four digits
/// (full-width ones folded), read as the text is walked, without a folded copy of it.
pub fn years(text: &str) -> Vec<i32> {
    let mut out = Vec::new();
    let (mut run, mut value) = (0usize, 0i32);
    // A char that is no digit after the text ends the last run.
    for c in text.chars().map(fold_width).chain([' ']) {
        match c.to_digit(10) {
            Some(d) => {
                if run < 4 {
                    value = value * 10 + d as i32;
                }
                run += 1;
            }
            None => {
                if run == 4 && (1990..=2099).contains(&value) {
                    out.push(value);
                }
                (run, value) = (0, 0);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn clean_borrows_a_cell_with_nothing_to_clean_and_copies_one_with_something() {
        assert!(matches!(clean("产出指标"), Cow::Borrowed("产出指标")));
        assert!(matches!(clean("≥95%（抽检）"), Cow::Borrowed(_)));
        // Whitespace, a tag or an entity anywhere is cleaned, even when nothing changes.
        for (raw, want) in [(" 数量 ", "数量"), ("a<br>b", "a b"), ("x&amp;y", "x&y"), ("a b", "a b")] {
            assert!(matches!(clean(raw), Cow::Owned(_)), "{raw}");
            assert_eq!(clean(raw), want);
        }
    }

    #[test]
    fn a_key_keeps_han_characters_and_drops_bracketed_ones() {
        // Han characters take a shorter path through the key; brackets still hide them.
        assert_eq!(label_key("数量指标（或建筑规模指标）"), "数量指标");
        assert_eq!(label_key("【注】项目 名称"), "项目名称");
        assert_eq!(label_key_within("一二三四五", 4), None);
        assert_eq!(label_key_within("一二三四(五六)", 4).as_deref(), Some("一二三四"));
    }

    #[test]
    fn a_quote_of_a_huge_cell_is_cut_and_a_short_one_kept() {
        assert_eq!(quote("项目名称"), "项目名称");
        let huge = "甲".repeat(MAX_QUOTE_CHARS + 1);
        let q = quote(&huge);
        assert_eq!(q.chars().count(), MAX_QUOTE_CHARS + 1);
        assert!(q.ends_with("甲…"));
        assert_eq!(quote(&huge[..huge.len() - 3]), huge[..huge.len() - 3]);
    }

    #[test]
    fn pdf_wrap_spaces_between_cjk_are_removed() {
        assert_eq!(clean("推广机关干部下基 层、结对帮扶"), "推广机关干部下基层、结对帮扶");
        assert_eq!(clean("本年度 申请市 财政预 算资金 (万 元)"), "本年度申请市财政预算资金 (万元)");
        assert_eq!(clean("≥ 90%  以上"), "≥ 90% 以上");
        assert_eq!(clean("16 7. 74"), "167.74");
        assert_eq!(clean("2019年至 2021年"), "2019年至2021年");
        assert_eq!(clean("Wi-Fi 覆盖"), "Wi-Fi 覆盖");
        assert_eq!(clean("≥95%\n（抽检）"), "≥95%（抽检）");
    }

    #[test]
    fn cjk_covers_punctuation_and_full_width_han_only_ideographs() {
        for c in ['项', '㐀', '，', '、', '（', '０', '\u{3000}', '\u{F900}'] {
            assert!(is_cjk(c), "{c:?}");
        }
        assert!(is_han('项') && is_han('㐀'));
        assert!(!is_han('，') && !is_han('（') && !is_han('０'));
        assert!(!is_cjk('a') && !is_han('a') && !is_han('—'));
        // General punctuation Chinese text uses counts: a wrap space next to it is not a real space.
        assert!(is_cjk('—') && is_cjk('“'));
        assert_eq!(fold_width('９'), '9');
        assert_eq!(fold_width('\u{3000}'), ' ');
        assert_eq!(fold_width('项'), '项');
    }

    /// The key as its definition reads, a char at a time: what the byte-level reading must give.
    fn key_by_char(raw: &str) -> (String, usize) {
        let cleaned = decode_entities(&strip_tags(raw)).into_owned();
        let (mut out, mut depth) = (String::new(), 0usize);
        for c in cleaned.chars().map(fold_width) {
            match c {
                '(' | '[' | '【' | '〔' => depth += 1,
                ')' | ']' | '】' | '〕' => depth = depth.saturating_sub(1),
                _ if depth > 0 => {}
                c if c.is_whitespace() || matches!(c, '#' | ':' | '*' | '"' | '“' | '”') => {}
                c => out.push(c),
            }
        }
        let n = out.chars().count();
        (out, n)
    }

    #[test]
    fn a_key_read_by_bytes_is_the_key_read_by_chars() {
        let texts = (0..0x3_0000u32)
            .filter_map(char::from_u32)
            .flat_map(|c| [format!("{c}"), format!("项{c}目"), format!("（{c}）名{c}"), format!("a{c}&amp;{c}<b>x")]);
        for t in texts {
            let (key, chars) = counted_label_key(&t, usize::MAX).expect("no limit");
            assert_eq!((key.as_str(), chars), (key_by_char(&t).0.as_str(), key_by_char(&t).1), "{t:?}");
            let n = key_by_char(&t).1;
            assert_eq!(counted_label_key(&t, n.saturating_sub(1)).is_none(), n > 0, "{t:?}");
        }
    }

    #[test]
    fn has_char_finds_a_char_wherever_it_is_and_no_char_sharing_only_its_last_byte() {
        assert!(has_char("2020年度", '年') && has_char("年", '年') && has_char("a：b", '：'));
        // 年 is E5 B9 B4; 紴 (E7 B4 B4) and 崴 (E5 B4 B4) end in the same byte.
        assert!(!has_char("紴崴", '年') && !has_char("", '年'));
        assert!(has_char("a:b", ':') && !has_char("ab", ':'));
    }

    #[test]
    fn needs_cleaning_finds_every_whitespace_char_tag_and_entity() {
        for c in (0..=char::MAX as u32).filter_map(char::from_u32) {
            let text = format!("项目{c}名称");
            let want = c.is_whitespace() || c == '<' || c == '&';
            assert_eq!(needs_cleaning(&text), want, "{c:?}");
        }
        assert!(!needs_cleaning("≥95%（抽检）、。"));
    }

    /// [`folded`] copies runs and looks only at the characters leading with EF or E3: it must
    /// fold as a character-by-character fold does, and borrow exactly when nothing folds.
    #[test]
    fn a_text_folded_by_runs_is_the_text_folded_by_chars_for_every_char() {
        for c in (0..=char::MAX as u32).filter_map(char::from_u32) {
            for text in [format!("{c}"), format!("项{c}目：{c}"), format!("{c}{c}ab")] {
                let want: String = text.chars().map(fold_width).collect();
                let got = folded(&text);
                assert_eq!(got, want, "{text:?}");
                assert_eq!(matches!(got, Cow::Borrowed(_)), want == text, "{text:?}");
            }
        }
        assert_eq!(folded("单位名称：中山市（盖章）\u{3000}ＡＢ"), "单位名称:中山市(盖章) AB");
    }

    #[test]
    fn tags_and_entities_are_removed() {
        assert_eq!(clean("<p>1、建立</p><p>2、使</p>"), "1、建立2、使");
        assert_eq!(clean("a&nbsp;&amp;&lt;b&#x4e00;"), "a &<b一");
        assert_eq!(clean("x < 5 & y"), "x < 5 & y");
    }

    #[test]
    fn label_keys_ignore_brackets_width_and_spaces() {
        assert_eq!(label_key("数量指标 (或建筑规 模指标)"), "数量指标");
        assert_eq!(label_key("中期市财政预算（万元）"), "中期市财政预算");
        assert_eq!(label_key("# 东莞市财政项目支出绩效目标批复表"), "东莞市财政项目支出绩效目标批复表");
        // Folded characters between runs copied as they are, and a key cut past its limit.
        assert_eq!(label_key("ＡＢ项目 名称：Ｃ１(注)尾"), "AB项目名称C1尾");
        assert_eq!(label_key_within("项目名称", 4).as_deref(), Some("项目名称"));
        assert_eq!(label_key_within("项目 名称（万元）x", 4), None);
        assert_eq!(bracketed("本年度 申请市 财政预 算资金 (万 元)").as_deref(), Some("万元"));
        assert_eq!(bracketed("预算（万元）（注）").as_deref(), Some("万元"));
        assert_eq!(bracketed("预算（）").as_deref(), Some(""));
        assert_eq!(bracketed("预算（万元"), None);
        assert_eq!(bracketed("预算)万元("), None);
        assert_eq!(years("中期滚动目标（２０２０年--2022年）"), vec![2020, 2022]);
        assert_eq!(years("1989 1990 2099 2100 20190 ２０２1年 0202０"), vec![1990, 2099, 2021]);
        assert_eq!((years("2023"), years("")), (vec![2023], vec![]));
    }
}
