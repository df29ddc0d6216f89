//! Stage 3, layout: a table block of fixed-width text rebuilt from positions, as camelot's
//! stream mode and pdfplumber do, for blocks whose header line the form's words name.
//!
//! pdftotext draws no rules, and a PDF prints a merged cell once, at its vertical middle. Line
//! rules alone then read a 一级/二级 label as belonging to the row it happens to share a line
//! with, and two texts side by side as one. Under a header line the columns are known, so:
//!
//! - **Indicator blocks** (a header of three or more column labels): every text goes to the
//!   header column nearest its centre (a text joined to its neighbour by one space is split
//!   where the columns meet). A line with text in the last column anchors a row; lines with
//!   text only in the row's other columns are its wrapped cells, joining the neighbouring
//!   row that lacks that cell, else the row above. Columns left of the row's own columns
//!   that hold text on few lines are label columns: when their first row has no label, or a
//!   label sits on a line of its own, each label was printed at the middle of its block, and
//!   the rows are split into consecutive blocks so that every label sits as near its block's
//!   middle as possible (coarser columns split only where finer ones do). Labels become cells
//!   spanning their block's rows.
//! - **Goal blocks** (goal labels side by side): one row. The texts are left-aligned in their
//!   columns, so where a column starts is where most lines have a word starting; each line is
//!   cut at the word starting there. Short words left of the texts (the row label 项目 / 绩效 /
//!   目标 printed a line apart) are dropped.
//!
//! A block ends at a page break, a run of blank lines, a title, an approval-opinion label or
//! (for indicators) a text too wide for one column. Blocks where nothing needs positions
//! (labels on every row) are left to the line rules.

use super::append;
use super::segment::{Seg, is_wide};
use crate::ingest::layout::Cell;
use crate::ingest::layout::stream::{Facts, RunKind, Vocabulary};
use compact_str::CompactString;

/// Blank lines that end an indicator block (rows in it are a blank line apart at most).
const INDICATOR_BLANKS: usize = 3;
/// Blank lines that end a goal block (goal texts may stand well above the next header).
const GOAL_BLANKS: usize = 6;
/// Columns a goal line's cut may sit away from where its column starts: pdftotext maps
/// glyphs to character columns with a drift of a column or two.
const DRIFT: usize = 2;

/// A block read from positions: its rows, what was inferred (by row offset), and the index of
/// the first line after it.
pub(super) struct Block {
    pub(super) rows: Vec<Vec<Cell>>,
    pub(super) notes: Vec<(usize, String)>,
    pub(super) end: usize,
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Indicators,
    Goals,
}

/// A run of text between blanks, with the columns it covers.
#[derive(Clone, Debug)]
struct Word<'a> {
    start: usize,
    end: usize,
    /// Borrowed from its segment: a block's words are read, never kept.
    text: &'a str,
}

impl Word<'_> {
    /// Twice the centre, so centres stay integers.
    fn mid2(&self) -> usize {
        self.start + self.end
    }
}

fn words_of<'a>(seg: &'a Seg, wide: bool) -> Vec<Word<'a>> {
    let mut out = Vec::new();
    push_words(seg, wide, &mut out);
    out
}

/// The words of `seg` pushed onto `out`: a line's words go into one list, not one per segment.
fn push_words<'a>(seg: &'a Seg<'_>, wide: bool, out: &mut Vec<Word<'a>>) {
    let mut col = seg.start;
    // The word being read: its start and end column and its first byte. Its text is borrowed
    // once it ends, not pushed a character at a time.
    let mut cur: Option<(usize, usize, usize)> = None;
    for (i, c) in seg.text.char_indices() {
        let w = if wide && is_wide(c) { 2 } else { 1 };
        if c == ' ' || c == '\u{3000}' {
            if let Some((start, end, from)) = cur.take() {
                out.push(Word { start, end, text: &seg.text[from..i] });
            }
        } else {
            cur.get_or_insert((col, col, i)).1 = col + w;
        }
        col += w;
    }
    if let Some((start, end, from)) = cur {
        out.push(Word { start, end, text: &seg.text[from..] });
    }
}

/// The block starting at line `at`, when that line is a header the form's words name and
/// its body needs positions to read.
pub(super) fn read(lines: &[Option<Vec<Seg>>], at: usize, wide: bool, words: &dyn Vocabulary) -> Option<Block> {
    let segs = lines.get(at)?.as_ref()?;
    let (kind, header) = header(segs, wide, words)?;
    let (end, body) = body_of(lines, at, kind, &header, wide, words);
    let (rows, notes) = match kind {
        Kind::Indicators => indicators(&header, &body, words)?,
        Kind::Goals => goals(&header, &body)?,
    };
    Some(Block { rows, notes, end })
}

/// The header's columns: every segment a label of the form (a segment of several labels one
/// space apart gives each its column).
fn header<'a>(segs: &'a [Seg], wide: bool, words: &dyn Vocabulary) -> Option<(Kind, Vec<Word<'a>>)> {
    // A header has two columns at least: a line of one word is none, unread.
    if let [only] = segs
        && !only.text.contains([' ', '\u{3000}'])
    {
        return None;
    }
    // Read from the last segment back: a line that is no header mostly ends in a value, and
    // is then told by one reading; the columns are put back in order at the end.
    let mut cols: Vec<(Word, RunKind)> = Vec::new();
    for s in segs.iter().rev() {
        let k = words.kind(&s.text);
        if k != RunKind::Other {
            cols.push((Word { start: s.start, end: s.end, text: &s.text }, k));
            continue;
        }
        // A segment of one word is that word, and it was just read as no label.
        if !s.text.contains([' ', '\u{3000}']) {
            return None;
        }
        for w in words_of(s, wide).into_iter().rev() {
            let k = words.kind(w.text);
            if k == RunKind::Other {
                return None;
            }
            cols.push((w, k));
        }
    }
    cols.reverse();
    let count = |k: RunKind| cols.iter().filter(|(_, c)| *c == k).count();
    let kind = if count(RunKind::Header) >= 3 && count(RunKind::Header) + count(RunKind::Block) == cols.len() {
        Kind::Indicators
    } else if cols.len() >= 2 && count(RunKind::Goal) == cols.len() {
        Kind::Goals
    } else {
        return None;
    };
    Some((kind, cols.into_iter().map(|(w, _)| w).collect()))
}

/// The block's body: its lines (by index) with their words, up to the line that ends the block,
/// whose index comes first. A line's words are cut once, for the end test and for the body.
fn body_of<'a>(
    lines: &'a [Option<Vec<Seg>>],
    at: usize,
    kind: Kind,
    header: &[Word],
    wide: bool,
    words: &dyn Vocabulary,
) -> (usize, Vec<(usize, Vec<Word<'a>>)>) {
    let max_blanks = if kind == Kind::Indicators { INDICATOR_BLANKS } else { GOAL_BLANKS };
    let mut blanks = 0;
    let mut body: Vec<(usize, Vec<Word<'a>>)> = Vec::new();
    for (j, line) in lines.iter().enumerate().skip(at + 1) {
        let Some(segs) = line else { return (j, body) };
        if segs.is_empty() {
            blanks += 1;
            if blanks >= max_blanks {
                return (j, body);
            }
            continue;
        }
        blanks = 0;
        let label_ends = segs.iter().any(|s| {
            let facts = words.facts(&s.text);
            let label_end = match kind {
                Kind::Indicators => matches!(facts.kind, RunKind::Title | RunKind::Opinion | RunKind::Header),
                Kind::Goals => !matches!(facts.kind, RunKind::Other | RunKind::L1 | RunKind::L2 | RunKind::Block),
            };
            label_end || facts.year_line
        });
        if label_ends {
            return (j, body);
        }
        let mut line_words = Vec::with_capacity(segs.len());
        for s in segs {
            push_words(s, wide, &mut line_words);
        }
        if kind == Kind::Indicators && spans_columns(&line_words, header) {
            return (j, body);
        }
        body.push((j, line_words));
    }
    (lines.len(), body)
}

/// A text covering the centres of two header columns is no cell of this table (a note, a
/// footer, the next page's prose).
fn spans_columns(line: &[Word], header: &[Word]) -> bool {
    line.iter().any(|w| header.iter().filter(|h| w.start * 2 <= h.mid2() && h.mid2() <= w.end * 2).count() >= 2)
}

/// The columns of an indicator block: a leading column for labels left of the header (绩效指标
/// spanning the whole block), then one per header label.
struct Columns<'a> {
    header: &'a [Word<'a>],
}

impl Columns<'_> {
    fn count(&self) -> usize {
        self.header.len() + 1
    }

    fn of(&self, start: usize, end: usize) -> usize {
        if end <= self.header[0].start {
            return 0;
        }
        let mid2 = start + end;
        let nearest = (0..self.header.len()).min_by_key(|&j| self.header[j].mid2().abs_diff(mid2)).unwrap_or(0);
        nearest + 1
    }

    /// Where column `c` (1-based over the header) ends and the next begins, twice over.
    fn boundary2(&self, c: usize) -> Option<usize> {
        let (a, b) = (self.header.get(c - 1)?, self.header.get(c)?);
        Some((a.mid2() + b.mid2()) / 2)
    }

    /// The texts of one line by column. A segment goes whole to the column of its centre,
    /// unless its words fall into different columns each wholly inside its own.
    fn place(&self, words: &[Word]) -> Vec<CompactString> {
        let mut cells = vec![CompactString::default(); self.count()];
        // Each word to its column: what a segment split by column comes to. Words one space
        // apart came from one segment, so whether the line needed splitting is told on the
        // way: it holds words in more than one column and one of them sticks out of its own.
        let (mut clean, mut columns) = (true, 0);
        let mut last = None;
        for w in words {
            let c = self.of(w.start, w.end);
            clean &= self.inside(c, w);
            if last != Some(c) {
                columns += 1;
                last = Some(c);
            }
            join_word(&mut cells[c], w.text);
        }
        if clean || columns == 1 {
            return cells;
        }
        // Not separable: the whole line's words go by the centre of the words around them.
        cells.iter_mut().for_each(CompactString::clear);
        for group in contiguous(words) {
            let (s, e) = (group[0].start, group[group.len() - 1].end);
            let c = self.of(s, e);
            for w in group {
                join_word(&mut cells[c], w.text);
            }
        }
        cells
    }

    /// Whether word `w` lies wholly inside column `c` (give or take a column at each side).
    fn inside(&self, c: usize, w: &Word) -> bool {
        let left_ok = c <= 1 || self.boundary2(c - 1).is_none_or(|b| w.start * 2 + 2 >= b);
        let right_ok = c == 0 || self.boundary2(c).is_none_or(|b| w.end * 2 <= b + 2);
        left_ok && right_ok
    }
}

/// Words one space apart (one segment) as groups.
fn contiguous<'w, 'a>(words: &'w [Word<'a>]) -> Vec<&'w [Word<'a>]> {
    let mut out = Vec::new();
    let mut from = 0;
    for i in 1..=words.len() {
        if i == words.len() || words[i].start > words[i - 1].end + 1 {
            out.push(&words[from..i]);
            from = i;
        }
    }
    out
}

fn join_word(cell: &mut CompactString, word: &str) {
    if !cell.is_empty() {
        cell.push(' ');
    }
    cell.push_str(word);
}

/// One row of an indicator block: its lines' texts by column and the lines it covers.
struct Row {
    cells: Vec<CompactString>,
    first: usize,
    last: usize,
    /// Lines of wrapped cells joined to it.
    joined: usize,
}

type Rows = (Vec<Vec<Cell>>, Vec<(usize, String)>);

fn indicators(header: &[Word], body: &[(usize, Vec<Word>)], words: &dyn Vocabulary) -> Option<Rows> {
    let cols = Columns { header };
    let placed: Vec<(usize, Vec<CompactString>)> = body.iter().map(|(no, ws)| (*no, cols.place(ws))).collect();
    if labels_on_value_lines(&placed, cols.count() - 2, cols.count() - 1) {
        return None;
    }
    from_placed(header, &placed, words)
}

/// The indicator block from its lines' texts by column (see [`Columns::place`]).
fn from_placed(header: &[Word], placed: &[(usize, Vec<CompactString>)], words: &dyn Vocabulary) -> Option<Rows> {
    let n = header.len() + 1;
    let value = n - 1;
    let fill = |c: usize| placed.iter().filter(|(_, cells)| !cells[c].is_empty()).count();
    // Label columns: left of the row's name and value, holding labels of the form (the
    // leading column, left of the header, is one whatever it holds).
    // Each column's labels are joined once: the columns kept are placed from the same labels.
    let mut labels_by_col: Vec<Vec<Label>> = (0..n - 2).map(|c| labels_of(placed, c, words)).collect();
    let label_cols: Vec<usize> = (0..labels_by_col.len())
        .filter(|&c| {
            let labels = &mut labels_by_col[c];
            let known = labels.iter_mut().map(|l| l.facts(words)).filter(|f| f.kind != RunKind::Other).count();
            c == 0 || known * 2 >= labels.len()
        })
        .collect();
    if fill(value) == 0 || label_cols.iter().all(|&c| fill(c) == 0) {
        return None;
    }
    let rows = rows_of(placed, &label_cols, value);
    if rows.is_empty() {
        return None;
    }
    let extents: Vec<(usize, usize)> = rows.iter().map(|r| (r.first, r.last)).collect();
    let mut spans: Vec<Option<Vec<(usize, CompactString)>>> = vec![None; n];
    let mut centred_rows = 0;
    let mut finer: Option<Vec<usize>> = None;
    for &c in label_cols.iter().rev() {
        let labels = std::mem::take(&mut labels_by_col[c]);
        if labels.is_empty() {
            continue;
        }
        let centred = is_centred(&labels, &extents);
        let starts = if centred {
            let allowed = finer.as_deref();
            centred_starts(&extents, &labels, allowed).or_else(|| centred_starts(&extents, &labels, None))?
        } else {
            top_starts(&extents, &labels)?
        };
        if centred {
            centred_rows += extents.len();
        }
        finer = Some(starts.clone());
        spans[c] = Some(starts.into_iter().zip(labels.into_iter().map(|l| l.text)).collect());
    }
    if centred_rows == 0 {
        // Every label on its block's first row: the line rules read that as well.
        return None;
    }
    let keep_pre = spans[0].is_some() || fill(0) > 0;
    let mut out: Vec<Vec<Cell>> = Vec::with_capacity(rows.len() + 1);
    let mut head: Vec<Cell> = vec![Cell::new("")];
    head.extend(header.iter().map(|h| Cell::new(h.text)));
    out.push(head);
    for (i, r) in rows.iter().enumerate() {
        let cells = spans.iter().enumerate().map(|(c, span)| match span {
            Some(groups) => span_cell(groups, i, rows.len()),
            None if label_cols.contains(&c) => Cell::new(""),
            None => Cell::new(r.cells[c].clone()),
        });
        out.push(cells.collect());
    }
    if !keep_pre {
        for row in &mut out {
            row.remove(0);
        }
    }
    let joined: usize = rows.iter().map(|r| r.joined).sum();
    let mut notes = vec![(
        0,
        format!(
            "indicator block rebuilt from positions: {} rows took labels printed once at the middle of their block (row spans inferred)",
            rows.len()
        ),
    )];
    if joined > 0 {
        notes.push((0, format!("{joined} wrapped lines joined to the row beside them by position")));
    }
    Some((out, notes))
}

/// Whether the block is one [`indicators`] leaves to the line rules whatever its labels turn
/// out to be, told before any label is joined or asked about (most indicator blocks are such):
/// every text of the columns that may hold labels (`0..label_cols`) sits on a line with a
/// value, and each such column has one on the first. A line with a value anchors a row, so
/// every label, however its pieces join, starts and ends on a row, and the first row holds
/// one: no label column is centred, whichever columns the words make label columns.
fn labels_on_value_lines(placed: &[(usize, Vec<CompactString>)], label_cols: usize, value: usize) -> bool {
    let Some((_, first)) = placed.iter().find(|(_, cells)| !cells[value].is_empty()) else {
        // No row at all: nothing is rebuilt either.
        return true;
    };
    (0..label_cols).all(|c| {
        let mut texts = placed.iter().filter(|(_, cells)| !cells[c].is_empty());
        let on_value_lines = texts.all(|(_, cells)| !cells[value].is_empty());
        on_value_lines && (!first[c].is_empty() || placed.iter().all(|(_, cells)| cells[c].is_empty()))
    })
}

/// The cell of row `i` in a label column grouped as `groups` (start row, label).
fn span_cell(groups: &[(usize, CompactString)], i: usize, rows: usize) -> Cell {
    let g = groups.partition_point(|(s, _)| *s <= i).saturating_sub(1);
    let (start, text) = &groups[g];
    if *start != i {
        return Cell::covered();
    }
    let end = groups.get(g + 1).map_or(rows, |(s, _)| *s);
    Cell { text: text.clone(), row_span: super::super::span(end - start), col_span: 1, merged: false }
}

/// Groups the placed lines into rows: a line with a value anchors a row, lines with only the
/// row's other cells join a neighbouring row.
fn rows_of(placed: &[(usize, Vec<CompactString>)], label_cols: &[usize], value: usize) -> Vec<Row> {
    let own = |cells: &[CompactString], c: usize| !label_cols.contains(&c) && c != value && !cells[c].is_empty();
    let has_name = |cells: &[CompactString]| (0..cells.len()).any(|c| own(cells, c));
    let mut rows: Vec<Row> = Vec::new();
    // Wrapped lines waiting for the next anchor: (line, cells).
    let mut waiting: Vec<(usize, &Vec<CompactString>)> = Vec::new();
    for (no, cells) in placed {
        if !cells[value].is_empty() {
            let mut row = Row { cells: blank_cells(cells.len(), label_cols, cells), first: *no, last: *no, joined: 0 };
            let named = has_name(cells);
            let (up, down) = split_waiting(&waiting, rows.last(), named, *no);
            if let Some(prev) = rows.last_mut() {
                for (l, c) in &waiting[..up] {
                    join_cells(prev, *l, c, label_cols);
                }
            }
            for (l, c) in &waiting[up..up + down] {
                join_cells(&mut row, *l, c, label_cols);
            }
            waiting.clear();
            // A value alone right under a row, with nothing wrapped around it, continues
            // that row's value.
            if !named
                && row.joined == 0
                && let Some(prev) = rows.last_mut()
                && prev.last + 1 == *no
            {
                join_cells(prev, *no, cells, label_cols);
                continue;
            }
            rows.push(row);
        } else if has_name(cells) {
            waiting.push((*no, cells));
        }
    }
    if let Some(prev) = rows.last_mut() {
        for (l, c) in &waiting {
            join_cells(prev, *l, c, label_cols);
        }
    }
    rows
}

/// A row's own cells from an anchor line (label columns are read separately).
fn blank_cells(n: usize, label_cols: &[usize], cells: &[CompactString]) -> Vec<CompactString> {
    (0..n).map(|c| if label_cols.contains(&c) { CompactString::default() } else { cells[c].clone() }).collect()
}

/// How many of the wrapped lines waiting before an anchor go up to the row above and how
/// many down to the anchor's row: to the one that lacks a name, else up unless the lines
/// sit right above the anchor and a blank line apart from the row above.
fn split_waiting(
    waiting: &[(usize, &Vec<CompactString>)],
    prev: Option<&Row>,
    named: bool,
    anchor: usize,
) -> (usize, usize) {
    let n = waiting.len();
    let Some(prev) = prev else { return (0, n) };
    let prev_named = prev_has_name(prev);
    match (prev_named, named) {
        (true, false) => (0, n),
        (false, true) => (n, 0),
        (false, false) => (n.div_ceil(2), n / 2),
        (true, true) => {
            let touches_anchor = waiting.last().is_some_and(|(l, _)| l + 1 == anchor);
            let apart_from_prev = waiting.first().is_some_and(|(l, _)| *l > prev.last + 1);
            if touches_anchor && apart_from_prev { (0, n) } else { (n, 0) }
        }
    }
}

fn prev_has_name(row: &Row) -> bool {
    let value = row.cells.len() - 1;
    row.cells[..value].iter().any(|c| !c.is_empty())
}

fn join_cells(row: &mut Row, line: usize, cells: &[CompactString], label_cols: &[usize]) {
    for (c, text) in cells.iter().enumerate() {
        if label_cols.contains(&c) || text.is_empty() {
            continue;
        }
        if line < row.first {
            let mut t = text.clone();
            append(&mut t, &row.cells[c]);
            row.cells[c] = t;
        } else {
            append(&mut row.cells[c], text);
        }
    }
    if line < row.first || line > row.last {
        row.joined += 1;
    }
    row.first = row.first.min(line);
    row.last = row.last.max(line);
}

/// A label of a label column and the lines it was printed on.
struct Label {
    text: CompactString,
    first: usize,
    last: usize,
    /// What the words tell of `text`, once asked: whether a piece may still join it is asked
    /// first, what it is afterwards, of the same text.
    facts: Option<Facts>,
}

impl Label {
    fn facts(&mut self, words: &dyn Vocabulary) -> Facts {
        *self.facts.get_or_insert_with(|| words.label_facts(&self.text))
    }
}

/// The labels of column `c`: pieces a line or two apart join while what they make is no
/// complete label yet (服务对象满意 / 度指标).
fn labels_of(placed: &[(usize, Vec<CompactString>)], c: usize, words: &dyn Vocabulary) -> Vec<Label> {
    let mut out: Vec<Label> = Vec::new();
    for (no, cells) in placed {
        let text = &cells[c];
        if text.is_empty() {
            continue;
        }
        if let Some(l) = out.last_mut()
            && *no <= l.last + 2
            && !l.facts(words).whole_label
        {
            append(&mut l.text, text);
            l.last = *no;
            l.facts = None;
        } else {
            out.push(Label { text: text.clone(), first: *no, last: *no, facts: None });
        }
    }
    out
}

/// Labels printed at the middle of their blocks: the first row has none, or one stands on
/// a line of no row.
fn is_centred(labels: &[Label], rows: &[(usize, usize)]) -> bool {
    let on_row = |line: usize| rows.iter().any(|&(a, b)| a <= line && line <= b);
    let first_row_labelled = rows.first().is_some_and(|&(a, b)| labels.iter().any(|l| l.first <= b && l.last >= a));
    !first_row_labelled || labels.iter().any(|l| !on_row(l.first) && !on_row(l.last))
}

/// Labels printed on their block's first row: each block runs to the next label's row.
fn top_starts(rows: &[(usize, usize)], labels: &[Label]) -> Option<Vec<usize>> {
    let mut starts = Vec::with_capacity(labels.len());
    for l in labels {
        let i = rows.iter().position(|&(_, b)| b >= l.first)?;
        if starts.last().is_some_and(|&s| s >= i) {
            return None;
        }
        starts.push(i);
    }
    if starts.first() != Some(&0) {
        starts[0] = 0;
    }
    Some(starts)
}

/// Where rows and labels sit down the page. A row of several lines (wrapped cells) is taller
/// than a one-line row but not by whole lines (cell padding does not repeat), so it counts
/// one plus half a unit per extra line; a label on a line of no row sits on the border of the
/// rows around it.
struct Heights {
    top: Vec<f64>,
    height: Vec<f64>,
}

impl Heights {
    fn of(rows: &[(usize, usize)]) -> Self {
        let mut top = Vec::with_capacity(rows.len());
        let mut height = Vec::with_capacity(rows.len());
        let mut y = 0.0;
        for &(a, b) in rows {
            let h = 1.0 + 0.5 * (b - a) as f64;
            top.push(y);
            height.push(h);
            y += h;
        }
        Heights { top, height }
    }

    fn line_y(&self, rows: &[(usize, usize)], line: usize) -> f64 {
        match rows.iter().position(|&(_, b)| b >= line) {
            Some(i) if rows[i].0 <= line => {
                let (a, b) = rows[i];
                self.top[i] + self.height[i] * ((line - a) as f64 + 0.5) / ((b - a + 1) as f64)
            }
            Some(i) => self.top[i],
            None => self.top.last().zip(self.height.last()).map_or(0.0, |(t, h)| t + h),
        }
    }
}

/// Splits the rows into one consecutive block per label, each label as near its block's
/// middle as it can be (the sum of distances is least), blocks starting only where
/// `allowed` says (the starts of a finer label column). Returns each block's first row.
fn centred_starts(rows: &[(usize, usize)], labels: &[Label], allowed: Option<&[usize]>) -> Option<Vec<usize>> {
    let (n, k) = (rows.len(), labels.len());
    if k == 0 || k > n {
        return None;
    }
    let hs = Heights::of(rows);
    let label_y: Vec<f64> = labels.iter().map(|l| (hs.line_y(rows, l.first) + hs.line_y(rows, l.last)) / 2.0).collect();
    let may_start = |i: usize| i == 0 || allowed.is_none_or(|a| a.contains(&i));
    let cost = |l: usize, s: usize, e: usize| ((hs.top[s] + hs.top[e] + hs.height[e]) / 2.0 - label_y[l]).abs();
    // best[l][e]: least cost of labels 0..=l covering rows 0..=e; from[l][e]: where l's block starts.
    let mut best = vec![vec![f64::INFINITY; n]; k];
    let mut from = vec![vec![0usize; n]; k];
    for (e, b) in best[0].iter_mut().enumerate() {
        *b = cost(0, 0, e);
    }
    for l in 1..k {
        for e in l..n {
            for s in l..=e {
                if !may_start(s) || !best[l - 1][s - 1].is_finite() {
                    continue;
                }
                let c = best[l - 1][s - 1] + cost(l, s, e);
                if c < best[l][e] - 1e-9 {
                    best[l][e] = c;
                    from[l][e] = s;
                }
            }
        }
    }
    if !best[k - 1][n - 1].is_finite() {
        return None;
    }
    let mut starts = vec![0; k];
    let mut e = n - 1;
    for l in (1..k).rev() {
        starts[l] = from[l][e];
        e = starts[l] - 1;
    }
    Some(starts)
}

/// A goal block: one row of texts side by side.
fn goals(header: &[Word], body: &[(usize, Vec<Word>)]) -> Option<Rows> {
    // The texts start at the leftmost long word; shorter words left of it are a row label.
    let text_start =
        body.iter().flat_map(|(_, ws)| ws.iter()).filter(|w| w.text.chars().count() >= 5).map(|w| w.start).min()?;
    let lines: Vec<Vec<&Word>> =
        body.iter().map(|(_, ws)| ws.iter().filter(|w| w.end >= text_start).collect()).collect();
    let mut cuts = Vec::with_capacity(header.len());
    for k in 1..header.len() {
        cuts.push(column_start(&lines, header[k - 1].mid2() / 2, header[k].mid2() / 2)?);
    }
    let mut texts = vec![CompactString::default(); header.len()];
    for line in &lines {
        let mut col = 0;
        for (i, w) in line.iter().enumerate() {
            while col < cuts.len() && starts_column(line, i, cuts[col]) {
                col += 1;
            }
            append(&mut texts[col], w.text);
        }
    }
    let mut head: Vec<Cell> = vec![Cell::new("")];
    head.extend(header.iter().map(|h| Cell::new(h.text)));
    let mut row: Vec<Cell> = vec![Cell::new("")];
    row.extend(texts.into_iter().map(Cell::new));
    let note =
        (0, "goal texts side by side split where their columns start (columns rebuilt from positions)".to_string());
    Some((vec![head, row], vec![note]))
}

/// Where a left-aligned text column starts between two header centres: the column most lines
/// have a word starting at (give or take one).
fn column_start(lines: &[Vec<&Word>], from: usize, to: usize) -> Option<usize> {
    let near = |x: usize| lines.iter().filter(|ws| ws.iter().any(|w| w.start + 1 >= x && w.start <= x + 1)).count();
    // One line of text shows its column start once; more lines must agree on it.
    let needed = lines.iter().filter(|ws| !ws.is_empty()).count().min(2);
    (from + 1..to)
        .map(|x| (near(x), x))
        .filter(|&(c, _)| c >= needed.max(1))
        .max_by_key(|&(c, x)| (c, std::cmp::Reverse(x)))
        .map(|(_, x)| x)
}

/// Whether word `i` of a line begins the column starting at `cut`: the line's first word
/// when it starts there or beyond, else the last word starting within the drift that leaves
/// a text of its own (more than a stray mark) or stands apart.
fn starts_column(line: &[&Word], i: usize, cut: usize) -> bool {
    let Some(w) = line.get(i) else { return false };
    if i == 0 {
        return w.start + DRIFT >= cut;
    }
    let in_window = |w: &Word| w.start + DRIFT >= cut && w.start <= cut + 1;
    if !in_window(w) {
        return false;
    }
    if line[i + 1..].iter().any(|x| in_window(x)) {
        return false;
    }
    let rest: usize = line[i..].iter().map(|x| x.text.chars().count()).sum();
    let apart = w.start >= line[i - 1].end + 2;
    rest >= 4 || apart
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::form::FormLabels;

    /// The two passes [`body_of`] replaced: the block's end found first (each segment's words
    /// cut to see whether it spans two header columns), then the body's lines cut again.
    fn end_then_body<'a>(
        lines: &'a [Option<Vec<Seg>>],
        at: usize,
        kind: Kind,
        header: &[Word],
        wide: bool,
        words: &dyn Vocabulary,
    ) -> (usize, Vec<(usize, Vec<Word<'a>>)>) {
        let max_blanks = if kind == Kind::Indicators { INDICATOR_BLANKS } else { GOAL_BLANKS };
        let mut blanks = 0;
        let mut end = lines.len();
        for (j, line) in lines.iter().enumerate().skip(at + 1) {
            let Some(segs) = line else {
                end = j;
                break;
            };
            if segs.is_empty() {
                blanks += 1;
                if blanks >= max_blanks {
                    end = j;
                    break;
                }
                continue;
            }
            blanks = 0;
            let ends = segs.iter().any(|s| {
                let facts = words.facts(&s.text);
                let label_end = match kind {
                    Kind::Indicators => matches!(facts.kind, RunKind::Title | RunKind::Opinion | RunKind::Header),
                    Kind::Goals => !matches!(facts.kind, RunKind::Other | RunKind::L1 | RunKind::L2 | RunKind::Block),
                };
                label_end || facts.year_line || kind == Kind::Indicators && spans_columns(&words_of(s, wide), header)
            });
            if ends {
                end = j;
                break;
            }
        }
        let mut body = Vec::new();
        for (no, line) in lines.iter().enumerate().take(end).skip(at + 1) {
            if let Some(segs) = line
                && !segs.is_empty()
            {
                let mut ws = Vec::new();
                for s in segs {
                    push_words(s, wide, &mut ws);
                }
                body.push((no, ws));
            }
        }
        (end, body)
    }

    /// What [`Columns::place`] replaced: the line's words grouped into runs by column in a list
    /// of their own, the runs then checked and placed.
    fn place_before(cols: &Columns, words: &[Word]) -> Vec<CompactString> {
        let mut cells = vec![CompactString::default(); cols.count()];
        let mut runs: Vec<(usize, std::ops::Range<usize>)> = Vec::new();
        for (i, w) in words.iter().enumerate() {
            let c = cols.of(w.start, w.end);
            match runs.last_mut() {
                Some((rc, ws)) if *rc == c => ws.end = i + 1,
                _ => runs.push((c, i..i + 1)),
            }
        }
        let inside = |c: usize, w: &Word| {
            let left_ok = c <= 1 || cols.boundary2(c - 1).is_none_or(|b| w.start * 2 + 2 >= b);
            let right_ok = c == 0 || cols.boundary2(c).is_none_or(|b| w.end * 2 <= b + 2);
            left_ok && right_ok
        };
        let clean = runs.iter().all(|(c, ws)| words[ws.clone()].iter().all(|w| inside(*c, w)));
        if clean || runs.len() == 1 {
            for (c, ws) in runs {
                for w in &words[ws] {
                    join_word(&mut cells[c], w.text);
                }
            }
        } else {
            for group in contiguous(words) {
                let (s, e) = (group[0].start, group[group.len() - 1].end);
                let c = cols.of(s, e);
                for w in group {
                    join_word(&mut cells[c], w.text);
                }
            }
        }
        cells
    }

    /// Every indicator block of the samples: where its header is, its header words, its body lines.
    fn each_sample_indicator_block(mut f: impl FnMut(&str, &[Word<'_>], &[(usize, Vec<Word<'_>>)])) {
        for (path, text) in crate::ingest::samples::texts() {
            let (lines, wide) = super::super::segment_lines(&text);
            for at in 0..lines.len() {
                let Some(Some(segs)) = lines.get(at) else { continue };
                let Some((Kind::Indicators, header)) = header(segs, wide, &FormLabels) else { continue };
                let (_, body) = body_of(&lines, at, Kind::Indicators, &header, wide, &FormLabels);
                f(&format!("{} line {at}", path.display()), &header, &body);
            }
        }
    }

    #[test]
    fn words_placed_in_one_sweep_as_by_runs_on_every_sample_and_random_lines() {
        let mut placed = 0;
        each_sample_indicator_block(|at, header, body| {
            let cols = Columns { header };
            for (no, ws) in body {
                assert_eq!(cols.place(ws), place_before(&cols, ws), "{at}, body line {no}");
                placed += 1;
            }
        });
        assert!(placed > 50, "only {placed} lines placed in the samples");
        // Random headers and lines of words, one or two columns apart, straddling columns.
        let mut rng = fastrand::Rng::with_seed(0xB10C);
        for _ in 0..20_000 {
            let mut header = Vec::new();
            let mut x = rng.usize(0..6);
            for _ in 0..rng.usize(1..6) {
                let len = rng.usize(1..8);
                header.push(Word { start: x, end: x + len, text: "h" });
                x += len + rng.usize(2..10);
            }
            let mut words = Vec::new();
            let mut x = rng.usize(0..8);
            for _ in 0..rng.usize(0..8) {
                let len = rng.usize(1..10);
                words.push(Word { start: x, end: x + len, text: ["a", "b", "项目"][rng.usize(..3)] });
                x += len + rng.usize(1..4);
            }
            let cols = Columns { header: &header };
            assert_eq!(cols.place(&words), place_before(&cols, &words), "{header:?} {words:?}");
        }
    }

    /// A block [`labels_on_value_lines`] leaves to the line rules must be one the whole reading
    /// leaves to them.
    fn assert_left_as_read_whole(header: &[Word], placed: &[(usize, Vec<CompactString>)], at: &str) -> bool {
        let n = header.len() + 1;
        let left = labels_on_value_lines(placed, n - 2, n - 1);
        assert!(!left || from_placed(header, placed, &FormLabels).is_none(), "{at}: {placed:?}");
        left
    }

    #[test]
    fn blocks_left_before_their_labels_are_read_are_left_by_the_whole_reading_on_every_sample_and_random_block() {
        let (mut left, mut read) = (0, 0);
        each_sample_indicator_block(|at, header, body| {
            let cols = Columns { header };
            let placed: Vec<_> = body.iter().map(|(no, ws)| (*no, cols.place(ws))).collect();
            let whole = from_placed(header, &placed, &FormLabels).is_some();
            if assert_left_as_read_whole(header, &placed, at) {
                left += 1;
            } else if whole {
                read += 1;
            }
        });
        assert!(left > 10 && read > 10, "{left} blocks left early, {read} rebuilt in the samples");
        // Random blocks: label pieces, names and values on lines a blank or two apart, labels
        // on value lines or between them, wrapped and whole.
        let header: Vec<Word> = ["一级指标", "二级指标", "三级指标", "指标值"]
            .iter()
            .enumerate()
            .map(|(i, t)| Word { start: 10 + 16 * i, end: 18 + 16 * i, text: t })
            .collect();
        let labels =
            ["", "", "", "产出指标", "效益指标", "数量指标", "质量指标", "满意度指", "标", "社会效益指标", "绩效指标"];
        let names = ["", "", "培训人数", "完成率", "服务对象满意度"];
        let values = ["", "", "≥95%", "100人", "2022年底前"];
        let mut rng = fastrand::Rng::with_seed(0x1AB5);
        let (mut left, mut kept) = (0, 0);
        for round in 0..20_000 {
            let mut no = 0;
            let placed: Vec<(usize, Vec<CompactString>)> = (0..rng.usize(1..12))
                .map(|_| {
                    no += rng.usize(1..4);
                    let mut cells = vec![CompactString::default(); header.len() + 1];
                    for (c, cell) in cells.iter_mut().enumerate() {
                        let pick: &[&str] = match c {
                            0 if rng.u8(..4) > 0 => &[""],
                            0..=2 => &labels,
                            3 => &names,
                            _ => &values,
                        };
                        *cell = pick[rng.usize(..pick.len())].into();
                    }
                    (no, cells)
                })
                .collect();
            if assert_left_as_read_whole(&header, &placed, &format!("round {round}")) {
                left += 1;
            } else if from_placed(&header, &placed, &FormLabels).is_some() {
                kept += 1;
            }
        }
        assert!(left > 500 && kept > 500, "{left} random blocks left early, {kept} rebuilt");
    }

    type Plain<'a> = Vec<(usize, Vec<(usize, usize, &'a str)>)>;

    fn plain<'a>(body: &[(usize, Vec<Word<'a>>)]) -> Plain<'a> {
        body.iter().map(|(no, ws)| (*no, ws.iter().map(|w| (w.start, w.end, w.text)).collect())).collect()
    }

    #[test]
    fn block_body_read_in_one_pass_is_the_end_then_body_of_every_sample() {
        let mut blocks = 0;
        for (path, text) in crate::ingest::samples::texts() {
            let (lines, wide) = super::super::segment_lines(&text);
            for at in 0..lines.len() {
                let Some(Some(segs)) = lines.get(at) else { continue };
                let Some((kind, header)) = header(segs, wide, &FormLabels) else { continue };
                let (end, body) = body_of(&lines, at, kind, &header, wide, &FormLabels);
                let (old_end, old_body) = end_then_body(&lines, at, kind, &header, wide, &FormLabels);
                assert_eq!(end, old_end, "{} line {at}", path.display());
                assert_eq!(plain(&body), plain(&old_body), "{} line {at}", path.display());
                blocks += 1;
            }
        }
        assert!(blocks > 10, "only {blocks} block headers in the samples");
    }
}
