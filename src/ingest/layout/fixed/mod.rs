//! Stage 3, layout: fixed-width text as `pdftotext -layout` writes a PDF table.
//!
//! pdftotext places every word at the character column its x position maps to, so cells of
//! one table column start at (about) the same *character index* on every line, CJK or not.
//! Text padded for a terminal or editor instead (other extractors, hand-made or re-typed
//! tables) lines up in *display columns*, a CJK or full-width character taking two. Neither
//! measure is right for both, so the document is measured both ways and the one under which
//! more segments start at a column some other line also starts at wins; a tie (text with no
//! wide characters, or no evidence) keeps characters, what pdftotext writes. Tabs advance to
//! the next multiple of 8 in the chosen measure.
//!
//! Each line is cut into segments at runs of two or more spaces (a single space stays inside
//! the text), each segment remembering its start and end column. Form feeds break pages and
//! page footers (`- 3 -`, `第 3 页`, `共 5 页`, `第3页/共5页`, `Page 3 of 5`) are dropped.
//!
//! **Rows and continuations.** The *margin* is the start column of the last row with two or
//! more cells that began at the left. A line starting at the margin (or left of it) starts a
//! row. A line starting right of the margin (first column empty) is a candidate
//! continuation, settled when the next row starts or a blank line comes:
//!
//! 1. *Up*: it continues the row above when every segment lines up with a different cell of
//!    that row (they overlap, or start within 2 columns), and for each pair the cell's last
//!    line is at least as long as the segment in characters, give or take one (wrapped lines
//!    never grow: a cell that did not fill its column did not wrap) and neither side looks
//!    like a number or date (amounts do not wrap, so `0.00` under `10,308,000.00` is a new
//!    row). A line of two or more segments is a new row whose first columns a rowspan
//!    covers, not a continuation, when its segments fill every column but one of the row,
//!    or every column from one of the row's cells through its last
//!    (`可持续影响指标  服务机制长效运行  长期` under `效益指标 | 社会效益指标 | … | ≥3万人次`):
//!    several neighbouring cells wrapping together right up to the row's end is far rarer
//!    in these tables than a level-1 label spanning rows.
//! 2. *Down*: pdftotext writes a vertically centred label on the middle line of its row, so
//!    the first line of a wrapped value can sit *above* the row it belongs to. A candidate
//!    that cannot go up is prefixed to the next row's cells under the mirrored rules (the
//!    segment is at least as long as the cell's first line); a single-segment candidate does
//!    so only inside a table (right under a row, no blank line between), so a centred title
//!    is not glued to the first row.
//! 3. Otherwise it is a row of its own, and the columns a rowspan covers become leading
//!    empty cells so the row keeps its columns (`["", "其中：财政拨款", "35.60"]`). Their
//!    number is the column index of the cell its first segment starts under (within 2
//!    columns) in the nearest earlier table row that has one, padded rows included: the
//!    header or the row above tell where each column starts, while the count of cells of
//!    one row says nothing when rows differ in how many columns are covered. With no such
//!    cell it is the number of cells of the margin row lying wholly left of it. A single
//!    segment is padded only right under a table row and when it starts in a column;
//!    otherwise it is a plain one-cell row.
//!
//! Continuation text joins with no space when both sides are CJK, else with one space.
//! Blank lines end continuation upwards. These line rules recover no spans: pdftotext does
//! not show them. Under a header line the form's words name (an indicator header, goal
//! labels side by side) the block is instead rebuilt from positions ([`block`]), spans and
//! all, and what that inferred is returned with the grid.

mod block;
mod segment;

use super::sniff::lines;
use super::stream::Vocabulary;
use super::{Cell, Grid, Inference};
use crate::ingest::text::is_cjk;
use compact_str::CompactString;
use segment::{Seg, Span, aligned_starts, is_page_footer};
use std::ops::Range;

/// Columns two starts may differ by and still line up.
const TOL: usize = 2;

/// Rows searched back for the column a new row starts in: a table's header and body are
/// well within it, and the bound keeps reading linear however long the document.
const LOOKBACK: usize = 64;

/// Reads pdftotext `-layout` text into rows of cells. Blocks under a header line of the form's
/// `words` (an indicator header, goal labels side by side) are rebuilt from positions
/// ([`block`]); what that inferred comes back with the grid row it concerns.
pub fn read(text: &str, words: &dyn Vocabulary) -> (Grid, Vec<Inference>) {
    let (mut lines, wide) = segment_lines(text);
    let mut st = State::default();
    let mut i = 0;
    while i < lines.len() {
        if crate::ingest::deadline::tick() {
            break;
        }
        if let Some(b) = block::read(&lines, i, wide, words) {
            st.block(b);
            i = st.resume.max(i + 1);
            continue;
        }
        // The blocks looked at from here on start after this line: its segments move out.
        match lines[i].take() {
            Some(segs) if !segs.is_empty() => st.line(segs),
            _ => st.blank(),
        }
        i += 1;
    }
    st.finish()
}

/// The document's lines cut into segments (`None` for a page break), and whether columns are
/// counted in display width.
fn segment_lines(text: &str) -> (Vec<Option<Vec<Seg<'_>>>>, bool) {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // Each line is cut once, with its columns in both measures, into one list of spans for the
    // document; a line keeps its text and the range of its spans. `None` is a page break: a
    // line break that also ends continuations.
    let mut spans: Vec<Span> = Vec::new();
    let mut cut: Vec<Option<(&str, Range<usize>)>> = Vec::new();
    let mut any_wide = false;
    for line in lines(text) {
        if crate::ingest::deadline::tick() {
            break;
        }
        for (i, piece) in line.split('\x0c').enumerate() {
            if i > 0 {
                cut.push(None);
            }
            if !is_page_footer(piece) {
                let from = spans.len();
                any_wide |= segment::spans(piece, &mut spans);
                cut.push(Some((piece, from..spans.len())));
            }
        }
    }
    // The measure the text was laid out in is chosen from the starts, and only its segments
    // are made.
    let starts = |wide: bool| -> Vec<usize> { spans.iter().map(|s| s.start(wide)).collect() };
    let wide = any_wide && aligned_starts(starts(true)) > aligned_starts(starts(false));
    let lines =
        cut.into_iter().map(|c| c.map(|(piece, at)| spans[at].iter().map(|s| s.seg(piece, wide)).collect())).collect();
    (lines, wide)
}

/// Amounts, percentages, dates: text that never wraps inside a cell.
fn is_numeric(text: &str) -> bool {
    // The marks first: most text fails at its first character, a digit search reads it all.
    text.chars().all(|c| {
        c.is_ascii_digit()
            || c.is_ascii_punctuation()
            || matches!(c, ' ' | '≥' | '≤' | '％' | '．' | '，' | '－' | '（' | '）')
    }) && text.chars().any(|c| c.is_ascii_digit())
}

/// Appends wrapped text: no space between two CJK characters, one space otherwise.
pub(super) fn append(a: &mut CompactString, b: &str) {
    let cjk_seam = a.chars().next_back().is_some_and(is_cjk) && b.chars().next().is_some_and(is_cjk);
    if !cjk_seam && !a.is_empty() && !b.is_empty() {
        a.push(' ');
    }
    a.push_str(b);
}

/// Length and number-likeness of one physical line of a cell: what the wrap rules compare.
#[derive(Debug, Clone, Copy)]
struct Shape {
    len: usize,
    numeric: bool,
}

impl Shape {
    /// Length in characters whatever the column measure, so the wrap rules compare the same
    /// way (and with the same one-character slack) on both kinds of text.
    fn of(s: &Seg) -> Self {
        Shape { len: s.text.chars().count(), numeric: is_numeric(&s.text) }
    }
}

/// A cell being built. Its text is a `CompactString`, the cell's own type: a short cell (most
/// are) is then never put on the heap, and a long one moves into its cell as it is.
#[derive(Debug, Clone)]
struct CellB {
    start: usize,
    end: usize,
    text: CompactString,
    first: Shape,
    last: Shape,
}

impl CellB {
    fn from_seg(s: Seg) -> Self {
        let shape = Shape::of(&s);
        CellB { start: s.start, end: s.end, text: CompactString::from(s.text), first: shape, last: shape }
    }

    fn widen(&mut self, s: &Seg) {
        self.start = self.start.min(s.start);
        self.end = self.end.max(s.end);
    }
}

#[derive(Debug, Clone)]
struct RowB {
    /// Empty cells before the first cell (columns covered from above).
    pads: usize,
    cells: Vec<CellB>,
    /// A row a block rebuilt from positions, spans and all.
    built: Option<Vec<Cell>>,
}

impl RowB {
    fn width(&self) -> usize {
        self.pads + self.cells.len()
    }
}

#[derive(Clone, Copy, PartialEq)]
enum Dir {
    Up,
    Down,
}

fn overlap(s: &Seg, c: &CellB) -> isize {
    s.end.min(c.end) as isize - s.start.max(c.start) as isize
}

/// Which cell of `row` each segment of `line` continues, or `None` if the line is not a
/// continuation. Both are ordered by column, so one sweep serves.
fn match_cells(row: &RowB, line: &[Seg], dir: Dir) -> Option<Vec<usize>> {
    if line.len() >= 2 && line.len() + 1 >= row.width() {
        return None;
    }
    let mut picked: Vec<usize> = Vec::with_capacity(line.len());
    let mut from = 0;
    for s in line {
        // Cells ending well before the segment cannot match; skip them by bisection (ends
        // ascend along a row) so a very wide row costs no more than a narrow one.
        from = from.max(row.cells.partition_point(|c| c.end + TOL <= s.start));
        let mut best: Option<(isize, usize)> = None;
        for (i, c) in row.cells.iter().enumerate().skip(from) {
            if c.start >= s.end + TOL {
                break;
            }
            let o = overlap(s, c);
            if (o > 0 || s.start.abs_diff(c.start) <= TOL) && best.is_none_or(|(bo, _)| o > bo) {
                best = Some((o, i));
            }
        }
        let (_, i) = best?;
        let c = &row.cells[i];
        let seg = Shape::of(s);
        let fits = !seg.numeric
            && match dir {
                Dir::Up => !c.last.numeric && c.last.len + 1 >= seg.len,
                Dir::Down => !c.first.numeric && seg.len + 1 >= c.first.len,
            };
        if !fits {
            return None;
        }
        picked.push(i);
        from = i + 1;
    }
    // Segments under every cell from some cell through the last: a row whose first columns
    // a rowspan covers. A lone segment is exempt: a long last cell (a value, a unit name)
    // wraps on its own all the time.
    let to_end = picked.last().is_some_and(|&l| l + 1 == row.cells.len());
    if picked.len() >= 2 && to_end && picked.windows(2).all(|w| w[0] + 1 == w[1]) {
        return None;
    }
    Some(picked)
}

/// How many lines at the end of `pending` can be prefixed to `next`, tried from the last
/// line up (the line right above the row goes first), with the cells each line continues.
/// A suffix that fits stays fitting when shortened, so one pass settles every start.
fn down_suffix(next: &RowB, pending: &[Vec<Seg>]) -> (usize, Vec<Vec<usize>>) {
    let mut sim = next.clone();
    let mut picks = Vec::new();
    let mut from = pending.len();
    for (i, line) in pending.iter().enumerate().rev() {
        let Some(p) = match_cells(&sim, line, Dir::Down) else {
            break;
        };
        for (s, &ci) in line.iter().zip(&p) {
            if let Some(c) = sim.cells.get_mut(ci) {
                c.widen(s);
                c.first = Shape::of(s);
            }
        }
        picks.push(p);
        from = i;
    }
    picks.reverse();
    (from, picks)
}

/// Prefixes `plan` (lines in document order, each with its target cells) to `row`. Each
/// cell's text is rebuilt once, so long chains stay linear.
fn prepend(row: &mut RowB, plan: Vec<(Vec<Seg>, Vec<usize>)>) {
    let mut prefixes: Vec<CompactString> = vec![CompactString::default(); row.cells.len()];
    let mut first: Vec<Option<Shape>> = vec![None; row.cells.len()];
    for (line, picked) in plan {
        for (s, ci) in line.into_iter().zip(picked) {
            let (Some(c), Some(prefix), Some(f)) = (row.cells.get_mut(ci), prefixes.get_mut(ci), first.get_mut(ci))
            else {
                continue;
            };
            c.widen(&s);
            f.get_or_insert(Shape::of(&s));
            append(prefix, &s.text);
        }
    }
    for ((c, prefix), f) in row.cells.iter_mut().zip(prefixes).zip(first) {
        if let Some(f) = f {
            let mut text = prefix;
            append(&mut text, &c.text);
            c.text = text;
            c.first = f;
        }
    }
}

#[derive(Default)]
struct State<'a> {
    rows: Vec<RowB>,
    /// The row a continuation below may join; `None` after a blank line.
    prev: Option<usize>,
    /// The last row of two or more cells that started at the left: sets the margin and the
    /// columns that leading empty cells stand for.
    reference: Option<usize>,
    /// Indented lines waiting for the next row or blank line to settle where they belong.
    pending: Vec<Vec<Seg<'a>>>,
    /// What the rebuilt blocks inferred, by grid row.
    inferences: Vec<Inference>,
    /// The line after the last rebuilt block.
    resume: usize,
}

impl<'a> State<'a> {
    fn margin(&self) -> Option<usize> {
        let r = self.rows.get(self.reference?)?;
        r.cells.first().map(|c| c.start)
    }

    fn blank(&mut self) {
        self.settle(None);
        self.prev = None;
    }

    fn line(&mut self, segs: Vec<Seg<'a>>) {
        let Some(first) = segs.first() else { return };
        if self.margin().is_some_and(|m| first.start > m + TOL) {
            self.pending.push(segs);
            return;
        }
        let mut row = RowB { pads: 0, cells: segs.into_iter().map(CellB::from_seg).collect(), built: None };
        let plan = self.settle(Some(&row));
        prepend(&mut row, plan);
        let multi = row.cells.len() >= 2;
        self.rows.push(row);
        let at = self.rows.len() - 1;
        self.prev = Some(at);
        if multi {
            self.reference = Some(at);
        }
    }

    /// Places the pending lines in order: up into the row above, else (with all lines after
    /// it) down onto `next` — returned as a plan for the caller — else as a row of its own.
    fn settle(&mut self, next: Option<&RowB>) -> Vec<(Vec<Seg<'a>>, Vec<usize>)> {
        let pending = std::mem::take(&mut self.pending);
        let (down_from, mut down_picks) = match next {
            // Nothing pending (most rows): no trial copy of the row.
            Some(n) if !pending.is_empty() => down_suffix(n, &pending),
            _ => (pending.len(), Vec::new()),
        };
        let mut plan = Vec::new();
        for (i, line) in pending.into_iter().enumerate() {
            if !plan.is_empty() {
                plan.push((line, Vec::new()));
                continue;
            }
            if let Some(p) = self.prev
                && let Some(row) = self.rows.get_mut(p)
                && let Some(picked) = match_cells(row, &line, Dir::Up)
            {
                for (s, &ci) in line.iter().zip(&picked) {
                    if let Some(c) = row.cells.get_mut(ci) {
                        c.widen(s);
                        c.last = Shape::of(s);
                        append(&mut c.text, &s.text);
                    }
                }
                continue;
            }
            let inside_table = self.prev.is_some() || line.len() >= 2;
            if i >= down_from && inside_table {
                down_picks.drain(..i - down_from);
                plan.push((line, Vec::new()));
                continue;
            }
            let row = self.own_row(line);
            self.rows.push(row);
            self.prev = Some(self.rows.len() - 1);
        }
        for ((_, picked), p) in plan.iter_mut().zip(down_picks) {
            *picked = p;
        }
        plan
    }

    /// The column index of the cell starting at `start` (within `TOL`) in the nearest table
    /// row that has one. Rows count their leading empty cells, so a row under a rowspan
    /// passes its columns on to the rows below it.
    fn column_at(&self, start: usize) -> Option<usize> {
        self.rows.iter().rev().take(LOOKBACK).filter(|r| r.pads > 0 || r.cells.len() >= 2).find_map(|r| {
            let i = r.cells.partition_point(|c| c.start + TOL < start);
            let c = r.cells.get(i)?;
            (c.start.abs_diff(start) <= TOL).then_some(r.pads + i)
        })
    }

    fn own_row(&self, line: Vec<Seg<'a>>) -> RowB {
        let first = line.first().map_or(0, |s| s.start);
        let ref_cells: &[CellB] = self.reference.and_then(|r| self.rows.get(r)).map_or(&[], |r| &r.cells);
        let left = ref_cells.partition_point(|c| c.end <= first);
        let near = &ref_cells[left.saturating_sub(1)..(left + 1).min(ref_cells.len())];
        let in_ref = near.iter().any(|c| first.abs_diff(c.start) <= TOL || (c.start <= first && first < c.end));
        let column = self.column_at(first);
        // A lone segment counts as a table row only right under one (a centred title after
        // a page break may happen to start at a column).
        let in_table = self.prev.is_some() && (in_ref || column.is_some());
        let pads = if line.len() == 1 && !in_table { 0 } else { column.unwrap_or(left) };
        RowB { pads, cells: line.into_iter().map(CellB::from_seg).collect(), built: None }
    }

    /// Takes the rows of a rebuilt block as they are; lines still pending settle first.
    fn block(&mut self, b: block::Block) {
        self.settle(None);
        let first = self.rows.len();
        self.inferences.extend(b.notes.into_iter().map(|(k, note)| Inference { row: first + k, note }));
        self.rows.extend(b.rows.into_iter().map(|cells| RowB { pads: 0, cells: Vec::new(), built: Some(cells) }));
        self.prev = None;
        self.reference = None;
        self.resume = b.end;
    }

    fn finish(mut self) -> (Grid, Vec<Inference>) {
        self.settle(None);
        let mut grid = Grid::default();
        for r in self.rows {
            if let Some(built) = r.built {
                grid.rows.push(super::row_of(built));
                continue;
            }
            let mut cells = r.cells.into_iter().map(|c| c.text);
            if r.pads == 0 && cells.len() == 1 {
                grid.push_line(cells.next().unwrap_or_default());
                continue;
            }
            let mut row = vec![Cell::new(""); r.pads];
            row.extend(cells.map(Cell::new));
            grid.rows.push(super::row_of(row));
        }
        (grid, self.inferences)
    }
}

#[cfg(test)]
mod tests;
