//! Stage 3, layout: space-joined text (pdfplumber), its lines split into words before the text-run reader regroups them.

use super::{RunKind, Vocabulary};
use crate::ingest::layout::{Cell, Grid};

/// A layout-keeping extractor (pdfplumber's text) writes a row's cells on one line joined by
/// single spaces, and the rows of neighbouring columns interleaved line by line. Such a line
/// has a whole label after its first word (`项目名称 拆违经费 项目性质 …`); when many lines do,
/// every space is read as a cell boundary and the words as runs, which the labels then regroup.
pub(super) fn is_space_joined(grid: &Grid, words: &dyn Vocabulary) -> bool {
    is_space_joined_lines(grid.rows.iter().map(|r| r.iter().flat_map(|c| c.text.split_whitespace())), words)
}

/// [`is_space_joined`] over the words of each line.
pub(super) fn is_space_joined_lines<'a>(
    lines: impl Iterator<Item = impl Iterator<Item = &'a str>>,
    words: &dyn Vocabulary,
) -> bool {
    // A line's words are read up to the first whole label after its first word, and the
    // lines only until eight such are found; each word is read as a label once.
    let is_label = |w: &str| {
        let f = words.label_facts(w);
        f.whole_label && f.kind != RunKind::Other
    };
    let joined = lines.map(|mut line| line.next().is_some() && line.any(is_label)).filter(|&j| j).take(8).count();
    joined >= 8
}

/// The grid with a row per line and a cell per space-separated word, values wrapped around
/// their labels' line rejoined first (see [`wrapped_around`]) and names wrapped around their
/// value's line too (see [`names_around_values`]). The reader keeps each word's line: a label
/// alone on its line and goal texts side by side are told by it. Also returns whether the
/// text writes an indicator row on one line (see [`rows_on_lines`]) and the lines where a
/// name was rejoined around its value.
pub(super) fn space_runs(grid: &Grid, words: &dyn Vocabulary) -> (Grid, bool, Vec<usize>) {
    let lines: Vec<Vec<&str>> =
        grid.rows.iter().map(|r| r.iter().flat_map(|c| c.text.split_whitespace()).collect()).collect();
    let mut out: Vec<Vec<String>> = Vec::with_capacity(lines.len());
    let mut i = 0;
    while i < lines.len() {
        if let Some(runs) = wrapped_around(&lines, i, words) {
            out.push(runs);
            i += 3;
            continue;
        }
        if !lines[i].is_empty() {
            out.push(lines[i].iter().map(|w| w.to_string()).collect());
        }
        i += 1;
    }
    let by_row = rows_on_lines(&out, words);
    let mut rejoined = Vec::new();
    if by_row {
        (out, rejoined) = names_around_values(out, words);
    }
    let rows = out.into_iter().map(|l| l.into_iter().map(Cell::new).collect());
    (Grid { rows: rows.collect() }, by_row, rejoined)
}

/// Whether the text writes an indicator row's cells on one line (pdfplumber), as most lines of
/// its indicator blocks show, rather than a cell per line with a few runs merged (PyMuPDF):
/// only then does a line tell which cells sit side by side.
fn rows_on_lines(lines: &[Vec<String>], words: &dyn Vocabulary) -> bool {
    let (mut in_indicators, mut all, mut rows) = (false, 0, 0);
    for line in lines {
        let kinds: Vec<RunKind> = line.iter().map(|w| words.kind(w)).collect();
        if kinds.contains(&RunKind::Header) {
            in_indicators = true;
        } else if kinds.iter().any(|k| matches!(k, RunKind::Title | RunKind::Head | RunKind::Opinion)) {
            in_indicators = false;
        } else if in_indicators {
            all += 1;
            rows += usize::from(line.len() >= 2);
        }
    }
    all > 0 && rows * 2 >= all
}

/// In the indicator block, a 三级 name wrapped over two lines whose row's value is printed
/// alone on the line between them (a cell's text is centred on its row): the lines above and
/// below are fragments of one name (one text each, or a quoted name opened above and closed
/// below), so the value anchors the row and both fragments join its name.
/// (全面提升…牢固树 / 有效 / 立全心全意为民服务意识 → one row: name, 有效.) Returns the lines
/// and which of them were so rejoined.
pub(super) fn names_around_values(lines: Vec<Vec<String>>, words: &dyn Vocabulary) -> (Vec<Vec<String>>, Vec<usize>) {
    let mut out: Vec<Vec<String>> = Vec::with_capacity(lines.len());
    let mut rejoined = Vec::new();
    let mut in_indicators = false;
    let mut i = 0;
    while i < lines.len() {
        let line = &lines[i];
        let kinds: Vec<RunKind> = line.iter().map(|w| words.kind(w)).collect();
        if kinds.contains(&RunKind::Header) {
            in_indicators = true;
        } else if kinds.iter().any(|k| matches!(k, RunKind::Title | RunKind::Head | RunKind::Opinion)) {
            in_indicators = false;
        }
        let joined = (in_indicators && i + 1 < lines.len())
            .then(|| out.last().and_then(|up| around(up, line, &lines[i + 1], words)))
            .flatten();
        if let Some(row) = joined {
            if let Some(last) = out.last_mut() {
                *last = row;
            }
            rejoined.push(out.len() - 1);
            i += 2;
            continue;
        }
        out.push(line.clone());
        i += 1;
    }
    (out, rejoined)
}

/// The row of `up` / `mid` / `down` when `mid` is a lone value between two fragments of one
/// name (see [`names_around_values`]): `up`'s labels, the joined name, the value.
fn around(up: &[String], mid: &[String], down: &[String], words: &dyn Vocabulary) -> Option<Vec<String>> {
    let is_label = |w: &String| words.kind(w) != RunKind::Other;
    let [value] = mid else { return None };
    // The lone run must read as a target (a figure, or a word like 有效 / 提升): a short name
    // between two lines of a wrapped value (根据…完成民兵训练 / 民兵训练及备勤工作 / 任务) is the
    // same shape the other way round.
    let target = value.chars().any(|c| c.is_ascii_digit() || "%％≥≤<>=＞＜".contains(c)) || value.chars().count() <= 4;
    if is_label(value) || !target || down.is_empty() || down.iter().any(is_label) {
        return None;
    }
    let labels = up.iter().take_while(|w| is_label(w)).count();
    let name_up = &up[labels..];
    if name_up.is_empty() || name_up.iter().any(is_label) {
        return None;
    }
    let (above, below) = (name_up.concat(), down.concat());
    let quotes = |s: &str| s.matches('"').count();
    let fragments = name_up.len() == 1 && down.len() == 1 && quotes(&above) == 0 && quotes(&below) == 0;
    let quoted = quotes(&above) == 1 && above.starts_with('"') && quotes(&below) == 1 && below.ends_with('"');
    // Label fragments (绩效 / 指标 …) are no name: what they join to is a label.
    let label_pieces = words.kind(&format!("{above}{value}")) != RunKind::Other
        || words.kind(&format!("{value}{below}")) != RunKind::Other;
    if !(fragments || quoted) || label_pieces {
        return None;
    }
    let mut row: Vec<String> = up[..labels].to_vec();
    row.push(format!("{above}{below}"));
    row.push(value.clone());
    Some(row)
}

/// Two or more head labels on a line of their own whose values wrapped around it: a layout
/// extractor writes the values' first lines above the labels and the rest below, the cells
/// of each line space-joined (普陀区城市管理行政执 上海市…执法局执 / 主管部门 实施单位 /
/// 法局执法大队 法大队). Returns label, value, label, value … for lines `i..i + 3`.
pub(super) fn wrapped_around(lines: &[Vec<&str>], i: usize, words: &dyn Vocabulary) -> Option<Vec<String>> {
    let (up, mid, down) = (lines.get(i)?, lines.get(i + 1)?, lines.get(i + 2)?);
    let k = mid.len();
    let label = |w: &&str| words.kind(w) == RunKind::Head && words.is_whole_label(w);
    let value = |w: &&str| words.kind(w) == RunKind::Other && !words.is_amount(w);
    let fits = k >= 2 && mid.iter().all(label) && up.len() == k && down.len() == k;
    if !fits || !up.iter().chain(down.iter()).all(value) {
        return None;
    }
    Some((0..k).flat_map(|j| [mid[j].to_string(), format!("{}{}", up[j], down[j])]).collect())
}
