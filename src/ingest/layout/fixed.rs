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
//! Blank lines end continuation upwards. Spans are not recovered: pdftotext does not show
//! them, so no cell is marked merged.

use std::collections::HashMap;

use super::sniff::lines;
use super::{Cell, Grid};
use crate::ingest::text::is_cjk;

/// Columns two starts may differ by and still line up.
const TOL: usize = 2;

/// Rows searched back for the column a new row starts in: a table's header and body are
/// well within it, and the bound keeps reading linear however long the document.
const LOOKBACK: usize = 64;

/// Reads pdftotext `-layout` text into rows of cells.
pub fn read(text: &str) -> Grid {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    // `None` is a page break: a line break that also ends continuations.
    let mut pieces: Vec<Option<&str>> = Vec::new();
    for line in lines(text) {
        if crate::ingest::deadline::tick() {
            break;
        }
        for (i, piece) in line.split('\x0c').enumerate() {
            if i > 0 {
                pieces.push(None);
            }
            if !is_page_footer(piece) {
                pieces.push(Some(piece));
            }
        }
    }
    let wide = text.chars().any(is_wide) && aligned_starts(&pieces, true) > aligned_starts(&pieces, false);
    let mut st = State::default();
    for piece in pieces {
        let segs = piece.map_or_else(Vec::new, |p| segments(p, wide));
        if segs.is_empty() {
            st.blank();
        } else {
            st.line(segs);
        }
    }
    st.finish()
}

/// How many segments start at a column that a segment of another line also starts at, with
/// columns counted in display width (`wide`) or in characters. Under the measure the text
/// was laid out in, cells of one column share a start; under the other, each start drifts
/// by the number of wide characters left of it, which differs from line to line.
fn aligned_starts(pieces: &[Option<&str>], wide: bool) -> usize {
    let starts: Vec<Vec<usize>> =
        pieces.iter().flatten().map(|p| segments(p, wide).iter().map(|s| s.start).collect()).collect();
    let mut lines_at: HashMap<usize, usize> = HashMap::new();
    for &start in starts.iter().flatten() {
        *lines_at.entry(start).or_default() += 1;
    }
    starts.iter().flatten().filter(|s| lines_at.get(s).is_some_and(|&n| n > 1)).count()
}

/// East Asian Wide and Fullwidth characters: two display columns in a terminal or editor.
fn is_wide(c: char) -> bool {
    matches!(c as u32,
        0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF
            | 0xA000..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE10..=0xFE19 | 0xFE30..=0xFE6F
            | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD)
}

#[derive(Debug, Clone)]
struct Seg {
    start: usize,
    end: usize,
    text: String,
}

/// Splits a line at runs of two or more blanks (space, no-break space, ideographic space) or
/// any tab, keeping each piece's column range, in display columns when `wide`, else in
/// characters. Blanks are counted in characters either way: one ideographic space is a word
/// break inside a cell, not a gap between cells.
fn segments(line: &str, wide: bool) -> Vec<Seg> {
    let mut segs: Vec<Seg> = Vec::new();
    let mut col = 0usize;
    let mut gap = 0usize;
    let mut gap_char = ' ';
    for c in line.chars() {
        let w = if wide && is_wide(c) { 2 } else { 1 };
        match c {
            '\t' => {
                col = (col / 8 + 1) * 8;
                gap = 2;
            }
            ' ' | '\u{a0}' | '\u{3000}' | '\r' => {
                col += w;
                gap += 1;
                gap_char = if c == '\u{3000}' { c } else { ' ' };
            }
            _ => {
                match segs.last_mut() {
                    Some(s) if gap < 2 => {
                        if gap == 1 {
                            s.text.push(gap_char);
                        }
                        s.text.push(c);
                        s.end = col + w;
                    }
                    _ => segs.push(Seg { start: col, end: col + w, text: c.to_string() }),
                }
                gap = 0;
                col += w;
            }
        }
    }
    segs
}

/// Page numbers pdftotext leaves at the foot of each page.
fn is_page_footer(line: &str) -> bool {
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

/// Amounts, percentages, dates: text that never wraps inside a cell.
fn is_numeric(text: &str) -> bool {
    text.chars().any(|c| c.is_ascii_digit())
        && text
            .chars()
            .all(|c| c.is_ascii_digit() || c.is_ascii_punctuation() || c == ' ' || "≥≤％．，－（）".contains(c))
}

/// Appends wrapped text: no space between two CJK characters, one space otherwise.
fn append(a: &mut String, b: &str) {
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

#[derive(Debug, Clone)]
struct CellB {
    start: usize,
    end: usize,
    text: String,
    first: Shape,
    last: Shape,
}

impl CellB {
    fn from_seg(s: Seg) -> Self {
        let shape = Shape::of(&s);
        CellB { start: s.start, end: s.end, text: s.text, first: shape, last: shape }
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
    let mut prefixes: Vec<String> = vec![String::new(); row.cells.len()];
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
struct State {
    rows: Vec<RowB>,
    /// The row a continuation below may join; `None` after a blank line.
    prev: Option<usize>,
    /// The last row of two or more cells that started at the left: sets the margin and the
    /// columns that leading empty cells stand for.
    reference: Option<usize>,
    /// Indented lines waiting for the next row or blank line to settle where they belong.
    pending: Vec<Vec<Seg>>,
}

impl State {
    fn margin(&self) -> Option<usize> {
        let r = self.rows.get(self.reference?)?;
        r.cells.first().map(|c| c.start)
    }

    fn blank(&mut self) {
        self.settle(None);
        self.prev = None;
    }

    fn line(&mut self, segs: Vec<Seg>) {
        let Some(first) = segs.first() else { return };
        if self.margin().is_some_and(|m| first.start > m + TOL) {
            self.pending.push(segs);
            return;
        }
        let mut row = RowB { pads: 0, cells: segs.into_iter().map(CellB::from_seg).collect() };
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
    fn settle(&mut self, next: Option<&RowB>) -> Vec<(Vec<Seg>, Vec<usize>)> {
        let pending = std::mem::take(&mut self.pending);
        let (down_from, mut down_picks) = match next {
            Some(n) => down_suffix(n, &pending),
            None => (pending.len(), Vec::new()),
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

    fn own_row(&self, line: Vec<Seg>) -> RowB {
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
        RowB { pads, cells: line.into_iter().map(CellB::from_seg).collect() }
    }

    fn finish(mut self) -> Grid {
        self.settle(None);
        let mut grid = Grid::default();
        for r in self.rows {
            let mut cells = r.cells.into_iter().map(|c| c.text);
            if r.pads == 0 && cells.len() == 1 {
                grid.push_line(cells.next().unwrap_or_default());
                continue;
            }
            let mut row = vec![Cell::new(""); r.pads];
            row.extend(cells.map(Cell::new));
            grid.rows.push(row);
        }
        grid
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A 申报表 page as `pdftotext -layout` writes it (after the 上海市普陀区 2026 拆违经费 form):
    /// columns aligned by character index, so it looks ragged in a terminal, as real output does.
    const PAGE: &str = "                        财政项目支出绩效目标申报表
                            （2026年度）

  项目名称          拆违经费
  项目性质          阶段性项目           项目类别          特定目标类
                普陀区城市管理行政                     上海市普陀区城市管
  主管部门          执法局执法大队         实施单位          理行政执法局执法
                                              大队
  计划开始日期        2024-01-01      计划完成日期        2026-12-31
                年度资金总额          3,498,000.00
  项目资金          其中：财政资金         10,308,000.00
                上年结转资金          0.00
  年度总体目标        1.完成市、区相关部门下达的年度拆违任务。2.新增违建
                “零增长”，坚决做到“无增减存”。
  一级指标        二级指标      三级指标          指标值
  产出指标        数量指标      完成年度拆违计       =100.00(%)
                        划
              质量指标      违法建筑销项正       =100.00(%)
                        确率
  效益指标        生态效益指标    提升城市环境美       提高
                        化指数
              可持续影响指    新增违建发生数       降低
              标
  满意度指标       服务对象满意    群众满意度         ≥90.00(%)
              度指标

                                  - 3 -
\x0c                        财政项目支出绩效目标申报表（续）
  备注            无
                                第 4 页  共 5 页
";

    #[test]
    fn pdftotext_page() {
        let g = read(PAGE);
        let t = g.texts();
        let rows: Vec<String> = t.iter().map(|r| r.join(" | ")).collect();
        let expect = [
            "财政项目支出绩效目标申报表",
            "（2026年度）",
            "项目名称 | 拆违经费",
            "项目性质 | 阶段性项目 | 项目类别 | 特定目标类",
            // The centred label sat on the middle line; the first line of each value above it.
            "主管部门 | 普陀区城市管理行政执法局执法大队 | 实施单位 | 上海市普陀区城市管理行政执法局执法大队",
            "计划开始日期 | 2024-01-01 | 计划完成日期 | 2026-12-31",
            // Amounts never wrap: the rows around the centred 项目资金 stay rows, padded.
            " | 年度资金总额 | 3,498,000.00",
            "项目资金 | 其中：财政资金 | 10,308,000.00",
            " | 上年结转资金 | 0.00",
            "年度总体目标 | 1.完成市、区相关部门下达的年度拆违任务。2.新增违建“零增长”，坚决做到“无增减存”。",
            "一级指标 | 二级指标 | 三级指标 | 指标值",
            "产出指标 | 数量指标 | 完成年度拆违计划 | =100.00(%)",
            " | 质量指标 | 违法建筑销项正确率 | =100.00(%)",
            "效益指标 | 生态效益指标 | 提升城市环境美化指数 | 提高",
            " | 可持续影响指标 | 新增违建发生数 | 降低",
            "满意度指标 | 服务对象满意度指标 | 群众满意度 | ≥90.00(%)",
            "财政项目支出绩效目标申报表（续）",
            "备注 | 无",
        ];
        assert_eq!(rows, expect);
        assert!(g.rows.iter().flatten().all(|c| !c.merged));
    }

    #[test]
    fn page_footers() {
        for f in ["- 3 -", "— 12 —", "第 3 页", "共 5 页", "第3页/共5页", "第 3 页，共 5 页", "Page 3 of 5"]
        {
            assert!(is_page_footer(f), "{f}");
        }
        for f in ["3", "项目名称", "12页码说明", "-", "2024-01-01", "≥90%"] {
            assert!(!is_page_footer(f), "{f}");
        }
    }

    #[test]
    fn segments_keep_single_spaces_and_columns() {
        let s = segments("  项目 名称    拆违经费\t10", false);
        let got: Vec<(usize, usize, &str)> = s.iter().map(|s| (s.start, s.end, s.text.as_str())).collect();
        assert_eq!(got, [(2, 7, "项目 名称"), (11, 15, "拆违经费"), (16, 18, "10")]);
    }

    #[test]
    fn joins_cjk_without_space_and_latin_with_one() {
        let join = |a: &str, b: &str| {
            let mut s = a.to_string();
            append(&mut s, b);
            s
        };
        assert_eq!(join("做好应急物资储备相", "关工作"), "做好应急物资储备相关工作");
        assert_eq!(join("Annual target", "reached"), "Annual target reached");
        assert_eq!(join("预算执行率", "100%"), "预算执行率 100%");
        assert_eq!(join("新增违建", "“零增长”"), "新增违建“零增长”");
    }

    #[test]
    fn centred_label_with_value_wrapped_above_and_below() {
        let text = "  项目名称    应急物资储备
              做好应急物资储备相关工作，确保按时
  年度目标    保质完成，保障各项工作顺利开展。提
              高资金使用效益。
  满意度      ≥90%
";
        let t = read(text).texts();
        assert_eq!(t[0], ["项目名称", "应急物资储备"]);
        assert_eq!(
            t[1],
            ["年度目标", "做好应急物资储备相关工作，确保按时保质完成，保障各项工作顺利开展。提高资金使用效益。"]
        );
        assert_eq!(t[2], ["满意度", "≥90%"]);
        assert_eq!(t.len(), 3);
    }

    fn joined(t: &[Vec<String>]) -> Vec<String> {
        t.iter().map(|r| r.join(" | ")).collect()
    }

    /// The 佛山 2022 target form padded for display (a CJK character two columns wide), not
    /// by character index as pdftotext pads: 效益指标 and 绩效指标 span rows.
    #[test]
    fn display_aligned_form_with_rowspans() {
        let text = include_str!("../../../sample_data/layouts/foshan_2022_fixed_width.txt");
        let expect = [
            "2022年度项目支出绩效目标表",
            "单位名称：佛山市民政局",
            "项目名称 | 社区养老服务补贴",
            "主管部门 | 佛山市民政局 | 实施单位 | 佛山市民政局",
            "项目资金（万元） | 年度资金总额 | 126.50",
            " | 其中：财政拨款 | 126.50",
            " | 其他资金 | 0.00",
            "年度总体目标 | 为全市社区养老服务站点提供运营补贴，提升居家养老服务覆盖面和服务质量。",
            "绩效指标 | 一级指标 | 二级指标 | 三级指标 | 指标值",
            " | 产出指标 | 数量指标 | 补贴站点数量 | ≥120个",
            " |  | 质量指标 | 服务合格率 | ≥95%",
            " |  | 时效指标 | 补贴发放及时率 | 100%",
            " |  | 成本指标 | 站点平均补贴标准 | ≤1.05万元/个",
            " | 效益指标 | 社会效益指标 | 服务老年人人次 | ≥3万人次",
            // Segments under L2, L3 and value: a new row under 效益指标, not a wrap.
            " |  | 可持续影响指标 | 服务机制长效运行 | 长期",
            // A lone shorter segment under L2 is a wrap.
            " | 满意度指标 | 服务对象满意度指标 | 老年人满意度 | ≥90%",
        ];
        assert_eq!(joined(&read(text).texts()), expect);
    }

    /// The same indicator block as pdftotext writes it (columns by character index): the
    /// rowspan rules do not depend on the column measure.
    #[test]
    fn character_aligned_form_with_rowspans() {
        let text = "  绩效指标        一级指标      二级指标        三级指标          指标值
              产出指标      数量指标        补贴站点数量        ≥120个
                        质量指标        服务合格率         ≥95%
              效益指标      社会效益指标      服务老年人人次       ≥3万人次
                        可持续影响指标     服务机制长效运行      长期
              满意度指标     服务对象满意度     老年人满意度        ≥90%
                        指标
";
        let expect = [
            "绩效指标 | 一级指标 | 二级指标 | 三级指标 | 指标值",
            " | 产出指标 | 数量指标 | 补贴站点数量 | ≥120个",
            " |  | 质量指标 | 服务合格率 | ≥95%",
            " | 效益指标 | 社会效益指标 | 服务老年人人次 | ≥3万人次",
            " |  | 可持续影响指标 | 服务机制长效运行 | 长期",
            " | 满意度指标 | 服务对象满意度指标 | 老年人满意度 | ≥90%",
        ];
        assert_eq!(joined(&read(text).texts()), expect);
    }

    /// Leading empty cells come from the columns of the rows above (the indented header,
    /// the row before), not from how many cells of the last row at the margin lie left:
    /// 年度总体目标's long text covers the L2 column.
    #[test]
    fn covered_columns_follow_the_nearest_row_with_that_column() {
        let text = "  年度总体目标        为全市社区养老服务站点提供运营补贴。
                一级指标      二级指标      三级指标      指标值
                产出指标      数量指标      补贴站点      ≥120个
                          质量指标      合格率       ≥95%
";
        let expect = [
            "年度总体目标 | 为全市社区养老服务站点提供运营补贴。",
            " | 一级指标 | 二级指标 | 三级指标 | 指标值",
            " | 产出指标 | 数量指标 | 补贴站点 | ≥120个",
            " |  | 质量指标 | 合格率 | ≥95%",
        ];
        assert_eq!(joined(&read(text).texts()), expect);
    }

    #[test]
    fn column_measure_follows_the_text() {
        let s = segments("  项目名称    拆违经费", true);
        let got: Vec<(usize, usize)> = s.iter().map(|s| (s.start, s.end)).collect();
        assert_eq!(got, [(2, 10), (14, 22)]);
        // pdftotext: the value column starts at one character index (16) after labels of
        // different lengths, so at different display columns; padded for display, the other
        // way round (display column 20).
        let pdftotext = [
            Some("  项目名称          拆违经费"),
            Some("  计划开始日期        2024-01-01"),
            Some("  备注            无"),
        ];
        assert!(aligned_starts(&pdftotext, false) > aligned_starts(&pdftotext, true));
        let padded = [
            Some("  项目名称          拆违经费"),
            Some("  计划开始日期      2024-01-01"),
            Some("  备注              无"),
        ];
        assert!(aligned_starts(&padded, true) > aligned_starts(&padded, false));
    }

    #[test]
    fn prose_and_single_lines() {
        let t = read("一、部门职责\n    本年度拆违经费预算金额为349.80万元。\n\n附件").texts();
        assert_eq!(t, [vec!["一、部门职责"], vec!["本年度拆违经费预算金额为349.80万元。"], vec!["附件"]]);
    }
}
