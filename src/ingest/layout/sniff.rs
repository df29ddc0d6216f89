//! Stage 3, layout: decides from the decoded text alone which reader lays it out.
//!
//! The file name is never consulted: scraped files carry whatever extension the crawler gave
//! them (`.txt` holding TSV, `.MD`, `.CSV`), so only the content can be trusted.
//!
//! The checks run in a fixed order, each kind ruling out the ones after it:
//!
//! 1. **HTML** first, because markup contains everything the later tests look for (pipes,
//!    commas, tabs, aligned spaces) while none of them contains `<table` next to `<tr`/`<td`.
//! 2. **Markdown** before the delimited kinds: pipe rows carry commas and the odd tab inside
//!    their cells (the 东莞 web-page text was normalised to ASCII commas), but CSV and TSV
//!    exports practically never hold a line with two pipes.
//! 3. **TSV** before CSV: TSV cells contain ASCII commas (thousands separators, normalised
//!    punctuation), whereas a tab inside a CSV file is rare.
//! 4. **CSV** only if enough lines split into three or more fields on commas outside quotes
//!    and the field counts agree, so ASCII-punctuated prose does not pass for a table.
//! 5. **Fixed width** (pdftotext `-layout`): aligned text is the weakest signal, since every
//!    kind above may also contain double spaces.
//! 6. **Lines** otherwise: one physical line per row.

/// How a decoded text is laid out, as decided by [`sniff`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum LayoutKind {
    Html,
    Markdown,
    Csv,
    Tsv,
    FixedWidth,
    Lines,
}

impl LayoutKind {
    /// Stable lowercase name, as written to the dataset.
    pub fn name(&self) -> &'static str {
        match self {
            LayoutKind::Html => "html",
            LayoutKind::Markdown => "markdown",
            LayoutKind::Csv => "csv",
            LayoutKind::Tsv => "tsv",
            LayoutKind::FixedWidth => "fixed_width",
            LayoutKind::Lines => "lines",
        }
    }
}

/// Lines that must show a signal before a kind is chosen: one or two stray lines prove nothing.
const MIN_LINES: usize = 3;

/// Decides the layout of `text` by its content only. Linear in the length of the text.
pub fn sniff(text: &str) -> LayoutKind {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if looks_like_html(text) {
        return LayoutKind::Html;
    }
    let mut pipe_lines = 0;
    let mut tab_lines = 0;
    let mut spaced_lines = 0;
    // Field count -> number of lines with that many comma fields (3 or more).
    let mut comma_counts: Vec<usize> = Vec::new();
    let (mut csv_lines, mut csv_agree) = (0, 0);
    for line in lines(text) {
        if crate::ingest::deadline::tick() {
            break;
        }
        // Each signal is read only while it can still change the answer: the kinds rule each
        // other out in a fixed order, so once one has enough lines only the kinds before it
        // are looked for (a TSV file is searched for pipes only after its third tab line).
        // Each reading starts with a search for the byte it needs, which most lines lack.
        // When a kind reaches its lines, the rest of the text is searched once for the bytes
        // the kinds before it need: without them the answer is known, and the scan stops.
        let b = line.as_bytes();
        // `line` is a piece of `text`: where it ends in `text` is a character boundary.
        let rest = || &text[line.as_ptr() as usize - text.as_ptr() as usize + line.len()..];
        if b.contains(&b'|') && unescaped_pipes(line) >= 2 {
            pipe_lines += 1;
            if pipe_lines >= MIN_LINES {
                return LayoutKind::Markdown;
            }
        }
        if tab_lines >= MIN_LINES {
            continue;
        }
        if b.contains(&b'\t') {
            tab_lines += 1;
            if tab_lines >= MIN_LINES {
                if memchr::memchr(b'|', rest().as_bytes()).is_none() {
                    return LayoutKind::Tsv;
                }
                continue;
            }
        }
        let csv = csv_lines >= MIN_LINES && csv_agree >= MIN_LINES;
        if csv {
            continue;
        }
        if b.contains(&b',') {
            let fields = comma_fields(line);
            if fields >= 3 {
                let i = fields.min(256);
                if comma_counts.len() <= i {
                    comma_counts.resize(i + 1, 0);
                }
                comma_counts[i] += 1;
                csv_lines += 1;
                csv_agree = csv_agree.max(comma_counts[i]);
                if csv_lines >= MIN_LINES && csv_agree >= MIN_LINES {
                    if memchr::memchr2(b'|', b'\t', rest().as_bytes()).is_none() {
                        return LayoutKind::Csv;
                    }
                    continue;
                }
            }
        }
        if spaced_lines < MIN_LINES && has_aligned_gap(line) {
            spaced_lines += 1;
            if spaced_lines >= MIN_LINES && memchr::memchr3(b'|', b'\t', b',', rest().as_bytes()).is_none() {
                return LayoutKind::FixedWidth;
            }
        }
    }
    if pipe_lines >= MIN_LINES {
        LayoutKind::Markdown
    } else if tab_lines >= MIN_LINES {
        LayoutKind::Tsv
    } else if csv_lines >= MIN_LINES && csv_agree >= MIN_LINES {
        LayoutKind::Csv
    } else if spaced_lines >= MIN_LINES {
        LayoutKind::FixedWidth
    } else {
        LayoutKind::Lines
    }
}

/// Physical lines of `text`: splits on LF, CRLF, the CR CR LF some Windows exports write (one
/// break, not two, so a blank line does not appear between every row) and lone CR.
pub(crate) fn lines(text: &str) -> impl Iterator<Item = &str> {
    // Both breaks are found by one search (memchr2): splitting on LF, then trimming and
    // splitting each line on CR, searched every line three times.
    let b = text.as_bytes();
    let mut breaks = memchr::memchr2_iter(b'\n', b'\r', b);
    let mut start = Some(0);
    // CRs before this position are known to be breaks of their own (see below).
    let mut lone_crs_end = 0;
    std::iter::from_fn(move || {
        let from = start?;
        let Some(at) = breaks.next() else {
            start = None;
            return Some(&text[from..]);
        };
        start = Some(at + 1);
        if b[at] == b'\r' && at >= lone_crs_end {
            // A run of CRs up to an LF is one break with it, and up to the end of the text none;
            // otherwise each CR of the run is a break, and the run is not read again.
            let run_end = at + b[at..].iter().take_while(|&&c| c == b'\r').count();
            match b.get(run_end) {
                None => start = None,
                Some(b'\n') => {
                    breaks.nth(run_end - at - 1);
                    start = Some(run_end + 1);
                }
                Some(_) => lone_crs_end = run_end,
            }
        }
        // Both breaks are ASCII, so `at` is a character boundary.
        Some(&text[from..at])
    })
}

/// Number of `|` not escaped as `\|`. Only a backslash right before a pipe escapes it, the
/// same rule the markdown reader splits cells by.
pub(crate) fn unescaped_pipes(line: &str) -> usize {
    let b = line.as_bytes();
    memchr::memchr_iter(b'|', b).filter(|&i| i == 0 || b[i - 1] != b'\\').count()
}

/// HTML if its first 4 KiB hold `<!doctype html` or `<html` (after a `saved from url`
/// comment or an XML declaration, say), or if it holds a table with rows or cells anywhere.
/// A bare `<table` in prose is not enough.
fn looks_like_html(text: &str) -> bool {
    // The first 4 KiB, cut back to a character boundary: a needle is ASCII, so no match is lost.
    let mut head_len = text.len().min(4096);
    while !text.is_char_boundary(head_len) {
        head_len -= 1;
    }
    let head = &text[..head_len];
    if find_ci(head, "<!doctype html").is_some() || find_ci(head, "<html").is_some() {
        return true;
    }
    let Some(at) = find_ci(text, "<table") else {
        return false;
    };
    let rest = &text[at..];
    find_ci(rest, "<tr").is_some() || find_ci(rest, "<td").is_some()
}

/// First position of an ASCII needle starting with `<`, ignoring ASCII case. `<` never occurs
/// inside a UTF-8 multibyte sequence, so the scan stays linear in practice, and the `<`s are
/// found by one `memchr` iterator rather than a search set up again after each.
fn find_ci(hay: &str, needle: &str) -> Option<usize> {
    let (hay, needle) = (hay.as_bytes(), needle.as_bytes());
    memchr::memchr_iter(b'<', hay)
        .find(|&i| hay[i..].get(..needle.len()).is_some_and(|h| h.eq_ignore_ascii_case(needle)))
}

/// Comma-separated fields in one line, counting commas outside `"…"` quoted fields only.
/// A thousands separator (`10,308,000.00` in PDF text) is not a field break, so it does not
/// count; full-width `，` never counts.
fn comma_fields(line: &str) -> usize {
    let b = line.as_bytes();
    let mut fields = 1;
    let mut in_quotes = false;
    let mut at_field_start = true;
    let mut i = 0;
    while i < b.len() {
        let c = b[i];
        i += 1;
        if in_quotes {
            if c == b'"' {
                // `""` inside quotes is an escaped quote: step over both.
                if b.get(i) == Some(&b'"') {
                    i += 1;
                } else {
                    in_quotes = false;
                }
            }
            continue;
        }
        match c {
            b'"' if at_field_start => in_quotes = true,
            b',' if !thousands_separator(b, i - 1) => {
                fields += 1;
                at_field_start = true;
                continue;
            }
            b' ' if at_field_start => continue,
            _ => {}
        }
        at_field_start = false;
    }
    fields
}

/// A comma at `at` with a digit before it and exactly three digits after it, as in
/// `10,308,000.00`.
fn thousands_separator(b: &[u8], at: usize) -> bool {
    let digit = |i: usize| b.get(i).is_some_and(u8::is_ascii_digit);
    at > 0 && digit(at - 1) && digit(at + 1) && digit(at + 2) && digit(at + 3) && !digit(at + 4)
}

/// True when the line has two pieces of text separated by two or more spaces, not counting
/// leading indentation: the shape of a pdftotext `-layout` row.
fn has_aligned_gap(line: &str) -> bool {
    // The trimmed line ends in text, so any two blanks in a row are followed by text. Only the
    // bytes a blank starts with are looked at, found by `memchr3`: the three blanks are ` `,
    // `C2 A0` and `E3 80 80`, and no byte of another character is one of those first bytes (a
    // byte-by-byte read was a sixth of the sniffing).
    let b = line.trim().as_bytes();
    let blank_at = |i: usize| match b.get(i) {
        Some(b' ') => 1,
        Some(0xc2) if b.get(i + 1) == Some(&0xa0) => 2,
        Some(0xe3) if b.get(i + 1..i + 3) == Some(&[0x80, 0x80]) => 3,
        _ => 0,
    };
    memchr::memchr3_iter(b' ', 0xc2, 0xe3, b).any(|i| {
        let first = blank_at(i);
        first > 0 && blank_at(i + first) > 0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// What [`has_aligned_gap`] replaced: every byte of the trimmed line read, counting the
    /// blanks of each run.
    fn has_aligned_gap_by_bytes(line: &str) -> bool {
        let b = line.trim().as_bytes();
        let mut run = 0;
        let mut i = 0;
        while i < b.len() {
            let blank = match b[i] {
                b' ' => 1,
                0xc2 if b.get(i + 1) == Some(&0xa0) => 2,
                0xe3 if b.get(i + 1..i + 3) == Some(&[0x80, 0x80]) => 3,
                _ => 0,
            };
            if blank > 0 {
                run += 1;
                i += blank;
            } else {
                if run >= 2 {
                    return true;
                }
                run = 0;
                i += 1;
            }
        }
        false
    }

    #[test]
    fn aligned_gaps_found_from_blank_bytes_as_by_reading_every_byte_on_every_sample_and_random_line() {
        let mut gaps = 0;
        for (path, text) in crate::ingest::samples::texts() {
            for line in lines(&text) {
                let found = has_aligned_gap(line);
                assert_eq!(found, has_aligned_gap_by_bytes(line), "{}: {line:?}", path.display());
                gaps += usize::from(found);
            }
        }
        assert!(gaps > 100, "only {gaps} lines with an aligned gap in the samples");
        // Random lines of the blanks, other whitespace, and characters sharing their bytes
        // (、 is E3 80 81, Â is C3 82, ¡ is C2 A1).
        let alphabet = [" ", " ", "\u{a0}", "\u{3000}", "\t", "\u{2003}", "、", "Â", "¡", "a", "项", "\r"];
        let mut rng = fastrand::Rng::with_seed(0x6A95);
        let (mut yes, mut no) = (0, 0);
        for _ in 0..20_000 {
            let line: String = (0..rng.usize(0..16)).map(|_| alphabet[rng.usize(..alphabet.len())]).collect();
            let found = has_aligned_gap(&line);
            assert_eq!(found, has_aligned_gap_by_bytes(&line), "{line:?}");
            if found { yes += 1 } else { no += 1 }
        }
        assert!(yes > 1000 && no > 1000, "{yes} with a gap, {no} without");
    }

    #[test]
    fn html_by_doctype_and_by_table_markup() {
        let doc = "<!DOCTYPE html>\n<html><body><p>预算单位：中山市教育局</p></body></html>";
        assert_eq!(sniff(doc), LayoutKind::Html);
        let frag =
            "\u{feff}<h2>东莞市财政项目支出绩效目标批复表</h2>\n<TABLE border=1><TR><TD>项目名称</TD></TR></TABLE>";
        assert_eq!(sniff(frag), LayoutKind::Html);
        let saved = "<!-- saved from url=(0045)http://czj.dg.gov.cn/ -->\n<HTML><BODY><P>预算单位</P></BODY></HTML>";
        assert_eq!(sniff(saved), LayoutKind::Html);
        // A table tag mentioned in prose, with no rows or cells, is not markup.
        assert_eq!(sniff("说明：本页原为 <table 格式。\n第二行\n第三行"), LayoutKind::Lines);
    }

    #[test]
    fn markdown_wins_over_commas_in_pipe_rows() {
        let md = "# 中山市财政项目支出绩效目标批复表\n\n| 项目名称 | 就业创业补贴经费 |\n|---|---|\n| 总体目标 | 做好就业,创业,补贴 |\n";
        assert_eq!(sniff(md), LayoutKind::Markdown);
        let pipes = "东莞市财政项目支出绩效目标批复表 | |||||||||\n( 2019 年度) | |||||||||\n新建或改造道路,共29个项目,规划里程169公里。 | 督促勘察 | ||||||||\n";
        assert_eq!(sniff(pipes), LayoutKind::Markdown);
    }

    #[test]
    fn tsv_wins_over_commas_inside_cells() {
        let tsv = "# 项目支出绩效目标表\n\n项目名称\t社区矫正经费\n项目资金（万元）\t年度资金总额\t1,198.59\n\t其中：财政拨款\t1,198.59\n\t其他资金\t0.00\n";
        assert_eq!(sniff(tsv), LayoutKind::Tsv);
    }

    #[test]
    fn csv_needs_agreeing_field_counts() {
        let csv = "项目支出绩效目标表\r\n(2022年度)\r\n项目名称,居家养老服务补贴服务采购,,\r\n主管部门,珠海市城市管理和综合执法局,实施单位,珠海市城市管理和综合执法局\r\n项目资金（万元）,年度资金总额,35.60,\r\n";
        assert_eq!(sniff(csv), LayoutKind::Csv);
        // Prose normalised to ASCII punctuation: fields vary from line to line.
        let prose = "一、主要职能,负责全市交通,运输管理。\n二、机构设置,内设科室,下属单位,直属机构,共五个。\n三、预算安排,本年度,合计,为,100万元,其中,基本支出。\n";
        assert_eq!(sniff(prose), LayoutKind::Lines);
        // Thousands separators are not field breaks.
        let amounts = "项目资金总额 10,308,000.00\n年度资金申请总额 3,498,000.00\n其中：财政资金 10,308,000.00\n";
        assert_eq!(sniff(amounts), LayoutKind::Lines);
    }

    #[test]
    fn quoted_commas_do_not_count() {
        assert_eq!(comma_fields("\"a,b,c\",d"), 2);
        assert_eq!(comma_fields("\"he said \"\"x,y\"\"\",d,e"), 3);
        assert_eq!(comma_fields("项目名称,拆违经费,,"), 4);
        assert_eq!(comma_fields("总额,10,308,000.00,3,49"), 4);
        assert_eq!(comma_fields(",,培训人次,100,80"), 5);
    }

    #[test]
    fn fixed_width_and_lines() {
        let fixed = "            财政项目支出绩效目标申报表\n  项目名称      拆违经费\n  主管部门      普陀区城市管理局      实施单位    执法大队\n  计划开始日期  2024-01-01            计划完成日期  2026-12-31\n";
        assert_eq!(sniff(fixed), LayoutKind::FixedWidth);
        let lines_text = "财政项目支出绩效目标申报表\n（2026年度）\n项目名称\n拆违经费\n";
        assert_eq!(sniff(lines_text), LayoutKind::Lines);
        assert_eq!(sniff(""), LayoutKind::Lines);
    }

    #[test]
    fn aligned_gaps_of_every_blank_and_none_at_the_ends() {
        assert!(has_aligned_gap("项目名称  拆违经费"));
        assert!(has_aligned_gap("项目名称\u{3000}\u{3000}拆违经费"));
        assert!(has_aligned_gap("a\u{a0} b"));
        assert!(has_aligned_gap("a  \tb"));
        assert!(!has_aligned_gap("   项目名称 拆违经费   "));
        assert!(!has_aligned_gap("a \u{2003} b"));
        assert!(!has_aligned_gap("a  \t"));
        assert!(!has_aligned_gap("\u{3000}\u{3000}a"));
    }

    /// Stopping each signal once it cannot change the answer must give the answer reading
    /// every signal of every line gives.
    #[test]
    fn sniff_stopping_early_agrees_with_reading_every_line() {
        fn every_line(text: &str) -> LayoutKind {
            let text = text.strip_prefix('\u{feff}').unwrap_or(text);
            if looks_like_html(text) {
                return LayoutKind::Html;
            }
            let (mut pipes, mut tabs, mut spaced) = (0, 0, 0);
            let mut counts = std::collections::HashMap::new();
            for line in lines(text) {
                pipes += usize::from(unescaped_pipes(line) >= 2);
                tabs += usize::from(line.contains('\t'));
                spaced += usize::from(has_aligned_gap(line));
                let f = comma_fields(line);
                if f >= 3 {
                    *counts.entry(f.min(256)).or_insert(0) += 1;
                }
            }
            let (csv, agree) = (counts.values().sum::<usize>(), counts.values().copied().max().unwrap_or(0));
            match () {
                _ if pipes >= MIN_LINES => LayoutKind::Markdown,
                _ if tabs >= MIN_LINES => LayoutKind::Tsv,
                _ if csv >= MIN_LINES && agree >= MIN_LINES => LayoutKind::Csv,
                _ if spaced >= MIN_LINES => LayoutKind::FixedWidth,
                _ => LayoutKind::Lines,
            }
        }
        let mut rng = fastrand::Rng::with_seed(0x2545_F491_4F6C_DD1D);
        for _ in 0..3000 {
            let len = rng.usize(..60);
            let doc: String = (0..len).map(|_| PIECES[rng.usize(..PIECES.len())]).collect();
            assert_eq!(sniff(&doc), every_line(&doc), "{doc:?}");
        }
    }

    #[test]
    fn a_kind_settled_early_still_yields_to_the_kinds_before_it_later_in_the_text() {
        let tsv = "a\tb\nc\td\ne\tf\n";
        assert_eq!(sniff(tsv), LayoutKind::Tsv);
        assert_eq!(sniff(&format!("{tsv}|x|y|\n|x|y|\n|x|y|\n")), LayoutKind::Markdown);
        let csv = "a,b,c\nd,e,f\ng,h,i\n";
        assert_eq!(sniff(csv), LayoutKind::Csv);
        assert_eq!(sniff(&format!("{csv}1\t2\n3\t4\n5\t6\n")), LayoutKind::Tsv);
        let fixed = "名称  值\n单位  局\n年度  2024\n";
        assert_eq!(sniff(fixed), LayoutKind::FixedWidth);
        assert_eq!(sniff(&format!("{fixed}a,b,c\nd,e,f\ng,h,i\n")), LayoutKind::Csv);
    }

    #[test]
    fn names_are_stable() {
        let all = [
            (LayoutKind::Html, "html"),
            (LayoutKind::Markdown, "markdown"),
            (LayoutKind::Csv, "csv"),
            (LayoutKind::Tsv, "tsv"),
            (LayoutKind::FixedWidth, "fixed_width"),
            (LayoutKind::Lines, "lines"),
        ];
        for (k, n) in all {
            assert_eq!(k.name(), n);
        }
    }

    #[test]
    fn line_breaks_of_all_kinds() {
        let got: Vec<&str> = lines("a\r\r\nb\r\nc\rd\n").collect();
        assert_eq!(got, ["a", "b", "c", "d", ""]);
    }

    #[test]
    fn lines_split_as_splitting_on_lf_then_on_cr_did() {
        let mut rng = fastrand::Rng::with_seed(17);
        let alphabet = ['\n', '\r', '\r', 'a', '项', ' '];
        for _ in 0..5000 {
            let text: String = (0..rng.usize(0..24)).map(|_| alphabet[rng.usize(..alphabet.len())]).collect();
            let split: Vec<&str> =
                text.split('\n').map(|l| l.trim_end_matches('\r')).flat_map(|l| l.split('\r')).collect();
            assert_eq!(lines(&text).collect::<Vec<_>>(), split, "{text:?}");
        }
    }

    /// Random soups of the characters and fragments the readers react to: no reader may
    /// panic, and every kind must come back from `sniff` (so the soups reach every reader's
    /// decision).
    /// Fragments of every layout the readers know, glued at random into soups.
    const PIECES: &[&str] = &[
        "<table>",
        "</table>",
        "<tr>",
        "</tr>",
        "<td rowspan=",
        "<td colspan=0>",
        "<th>",
        "</td>",
        "<p>",
        "<br>",
        "<script>",
        "</div>",
        "&nbsp;",
        "&amp;",
        "<!--",
        "-->",
        "<caption>",
        "|",
        "|---|",
        "\\|",
        "||||",
        "\"",
        ",",
        ",,",
        "\t",
        "\n",
        "\r\n",
        "\r",
        "\x0c",
        "  ",
        " ",
        "   ",
        "\u{3000}",
        "\u{a0}",
        "\u{feff}",
        "# ",
        "- 3 -",
        "第 3 页",
        "项目名称",
        "拆违经费",
        "（万元）",
        "10,308,000.00",
        "0.00",
        "≥90%",
        "“",
        "指标",
        "9",
        "65534",
        "x",
        "é",
    ];

    #[test]
    fn fuzz_all_readers() {
        use super::super::{csv, fixed, html, markdown};
        let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut seen = std::collections::HashSet::new();
        for _ in 0..1500 {
            let len = (next() % 120) as usize;
            let mut doc = String::new();
            for _ in 0..len {
                doc.push_str(PIECES[(next() % PIECES.len() as u64) as usize]);
            }
            seen.insert(sniff(&doc));
            for g in [
                html::read(&doc),
                csv::read(&doc),
                markdown::read(&doc),
                fixed::read(&doc, &crate::ingest::form::FormLabels).0,
            ] {
                for row in &g.rows {
                    for c in row {
                        assert!(c.row_span >= 1 && c.col_span >= 1);
                    }
                }
            }
        }
        let all = [
            LayoutKind::Html,
            LayoutKind::Markdown,
            LayoutKind::Csv,
            LayoutKind::Tsv,
            LayoutKind::FixedWidth,
            LayoutKind::Lines,
        ];
        let missing: Vec<&str> = all.iter().filter(|k| !seen.contains(k)).map(|k| k.name()).collect();
        assert!(missing.is_empty(), "no soup was sniffed as {missing:?}");
    }
}
