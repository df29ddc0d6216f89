//! Stage 3, layout: HTML tables (rowspan/colspan on a true grid) and the text around them.
//!
//! Broken markup is repaired the way a browser repairs it: the page is parsed with `scraper`
//! (html5ever) and the tree walked once, in document order, without recursion (scraped pages
//! can nest deeply). Well-formed pages, nearly all of them, skip the tree: `html/fast.rs`
//! tokenizes them and drives the same walk with the events the tree would give, and hands
//! anything it cannot reproduce exactly to html5ever. Either way the walk makes:
//!
//! * text outside tables becomes one-cell rows, one per block element (`h1`–`h6`, `p`, `div`,
//!   `li`, …) or `<br>` line, whitespace collapsed as a browser would, `&nbsp;` a plain space
//!   (a blank line in the source also breaks, for markdown or text wrapped around a table);
//! * `<script>`, `<style>`, `<head>` (the `<title>` duplicates the heading and would read as a
//!   second form title), `<noscript>`, `<template>`, `<select>` and `<svg>` are skipped;
//! * each table becomes a grid: a cell is placed at the first free column of its row in an
//!   occupancy matrix, stored once with its spans, and every other position it covers is a
//!   `Cell::covered()`. `<th>`, `<thead>`, `<tbody>`, `<tfoot>` are plain rows and cells;
//!   a `<caption>` is a line before the rows. Inside a cell, `<br>` and block elements
//!   (`<p>`, `<div>`, …) become `\n` between parts;
//! * a table nested in a cell does **not** join the cell text: its rows are emitted as rows of
//!   their own, after the outer row that holds it, at the first row boundary no outer
//!   rowspan crosses. Joining would flatten a whole form into one cell when the outer table
//!   is page layout (the usual reason for nesting), and emitting the inner rows in the
//!   middle of a rowspan would shift the covered positions of the outer rows. The outer cell
//!   keeps its own text, so the outer row stays aligned. A single-column table holding a
//!   nested table is page layout outright and is unwrapped: its content reads in order.

use compact_str::CompactString;
use html5ever::tendril::{StrTendril, TendrilSink};
use scraper::{Html, HtmlTreeSink, Node};

use crate::ingest::deadline;

use super::{Cell, Grid, Row};

mod fast;
mod name;

use name::Name;

/// Widest span honoured; wider ones are clamped (HTML allows 1000; no form has 100 columns).
const MAX_COLSPAN: usize = 100;
/// Positions a single table may cover through spans before further spans are ignored, so a
/// hostile `rowspan`/`colspan` mix cannot blow up memory.
const MAX_SPAN_POSITIONS: usize = 2_000_000;

/// A page nested deeper than `limits.max_html_depth`: rejected, never read to the end.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("too_deep: HTML elements nested over {0} deep (limits.max_html_depth)")]
pub struct TooDeep(pub usize);

/// [`Html::parse_document`] fed in pieces: html5ever's tree builder scans the open elements
/// for many start tags, quadratic in nesting depth (100,000 nested `<div>` take minutes), so
/// between pieces the per-file deadline is checked, and the depth of the newest element:
/// past `max_depth` the parse stops, after at most a piece more of quadratic work.
fn parse(text: &str, max_depth: usize) -> Result<Html, TooDeep> {
    const PIECE: usize = 16 * 1024;
    let mut parser = html5ever::parse_document(HtmlTreeSink::new(Html::new_document()), Default::default());
    let mut rest = text;
    while !rest.is_empty() && !deadline::passed() {
        let mut cut = rest.len().min(PIECE);
        while !rest.is_char_boundary(cut) {
            cut += 1;
        }
        parser.process(StrTendril::from_slice(&rest[..cut]));
        rest = &rest[cut..];
        // The newest node is where the parser is; its ancestors are the open elements (a
        // node not yet attached counts 0 and the next piece looks again).
        let depth = parser.tokenizer.sink.sink.0.borrow().tree.nodes().next_back().map_or(0, |n| n.ancestors().count());
        if depth > max_depth {
            return Err(TooDeep(max_depth));
        }
    }
    Ok(parser.finish())
}

/// Reads an HTML page into rows: table rows as cells, other text as one-cell rows. A page
/// nested deeper than the default `limits.max_html_depth` reads as no rows.
pub fn read(text: &str) -> Grid {
    read_capped(text, crate::config::DEFAULT_MAX_HTML_DEPTH).unwrap_or_default()
}

/// [`read`], with the page rejected when nested deeper than `max_depth`: well-formed markup
/// through the fast path ([`fast_path`]), anything else through html5ever ([`tree_path`]).
pub fn read_capped(text: &str, max_depth: usize) -> Result<Grid, TooDeep> {
    match fast_path(text, max_depth) {
        Some(grid) => Ok(grid),
        None => tree_path(text, max_depth),
    }
}

/// Nesting the fast path follows at most, whatever the cap: deeper pages are hostile or
/// broken, and html5ever's handling of them (the `too_deep` refusal, the deadline on its
/// quadratic work) stays the one that decides.
const FAST_PATH_MAX_DEPTH: usize = crate::config::DEFAULT_MAX_HTML_DEPTH;

/// The page read without html5ever when its markup is well-formed enough to reproduce the
/// tree exactly (see `html/fast.rs`); `None` when html5ever is needed. Public for the
/// differential tests: whenever this is `Some`, it equals [`tree_path`].
pub fn fast_path(text: &str, max_depth: usize) -> Option<Grid> {
    fast::read(text, max_depth.min(FAST_PATH_MAX_DEPTH))
}

/// The page parsed by html5ever and its tree walked: any markup, repaired as a browser would.
pub fn tree_path(text: &str, max_depth: usize) -> Result<Grid, TooDeep> {
    let html = parse(text, max_depth)?;
    let mut w = Walker::default();
    let root = html.tree.root();
    let mut node = root;
    // Depth-first without recursion: open a node and descend; when a subtree is done, close
    // its root and move to the next sibling, climbing (and closing) as needed. Nodes `open`
    // declines to enter (text, skipped elements) are not closed.
    'walk: loop {
        if deadline::tick() {
            break;
        }
        let descend = w.open(node.value());
        if descend && let Some(child) = node.first_child() {
            node = child;
            continue;
        }
        if descend {
            w.close(node.value());
        }
        loop {
            if node == root {
                break 'walk;
            }
            if let Some(next) = node.next_sibling() {
                node = next;
                continue 'walk;
            }
            match node.parent() {
                Some(parent) => {
                    node = parent;
                    w.close(node.value());
                }
                None => break 'walk,
            }
        }
    }
    Ok(w.finish())
}

/// The walk's categories of elements.
impl Name {
    /// Elements whose content is not page text.
    const fn is_skipped(self) -> bool {
        matches!(
            self,
            Self::Head
                | Self::Script
                | Self::Style
                | Self::Noscript
                | Self::Template
                | Self::Select
                | Self::Svg
                | Self::Math
                | Self::Iframe
                | Self::Object
        )
    }

    /// Elements that start and end a line of text (everything else is inline).
    const fn is_block(self) -> bool {
        matches!(
            self,
            Self::Address
                | Self::Article
                | Self::Aside
                | Self::Blockquote
                | Self::Body
                | Self::Caption
                | Self::Center
                | Self::Dd
                | Self::Details
                | Self::Dialog
                | Self::Dir
                | Self::Div
                | Self::Dl
                | Self::Dt
                | Self::Fieldset
                | Self::Figcaption
                | Self::Figure
                | Self::Footer
                | Self::Form
                | Self::H1
                | Self::H2
                | Self::H3
                | Self::H4
                | Self::H5
                | Self::H6
                | Self::Header
                | Self::Hgroup
                | Self::Hr
                | Self::Html
                | Self::Legend
                | Self::Li
                | Self::Main
                | Self::Menu
                | Self::Nav
                | Self::Ol
                | Self::P
                | Self::Pre
                | Self::Section
                | Self::Summary
                | Self::Table
                | Self::Tbody
                | Self::Td
                | Self::Tfoot
                | Self::Th
                | Self::Thead
                | Self::Tr
                | Self::Ul
        )
    }
}

/// The ASCII whitespace HTML collapses.
fn is_ws_byte(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r' | b'\x0c')
}

/// Whether a byte may start a character [`TextBuf::push_text`] has a rule for: ASCII
/// whitespace (or another control character) or the lead byte of U+00A0.
fn may_have_rule(c: u8) -> bool {
    c <= b' ' || c == 0xC2
}

/// Text with HTML whitespace rules applied as it arrives: runs of ASCII whitespace collapse
/// to one space, `\n` marks a hard break (`<br>`, block boundary), `&nbsp;` is a plain space.
#[derive(Default)]
struct TextBuf {
    /// Inline up to 24 bytes, as a cell's text is kept: most cells' text never allocates,
    /// and a one-line cell's is moved into its cell as it is.
    s: CompactString,
    /// Whether `s` holds a `\n`: kept as breaks are written, so a one-line text is known
    /// as such without scanning it again.
    multiline: bool,
}

impl TextBuf {
    fn push_text(&mut self, text: &str, pre: bool) {
        // Read by bytes: every character with a rule is ASCII or U+00A0 (C2 A0, whose lead
        // byte starts no other character here and is never a continuation byte), so the
        // runs between them, nearly all of a cell's text, are copied whole without decoding.
        let b = text.as_bytes();
        // Most cells' text has nothing with a rule at all. Looked for without stopping
        // early, which the compiler turns into comparing many bytes at once.
        if !b.iter().fold(false, |any, &c| any | may_have_rule(c)) {
            self.s.push_str(text);
            return;
        }
        // Newlines in the current whitespace run: a blank line in the source is taken as a
        // paragraph break, which browsers ignore but markdown or plain text wrapped around
        // an HTML table relies on (`# 标题`, blank line, `（2020年度）`, blank line, <table>).
        let mut newlines = 0;
        let mut run = 0;
        let mut i = 0;
        while let Some(k) = b[i..].iter().position(|&c| may_have_rule(c)) {
            i += k;
            let width = match b[i] {
                c if is_ws_byte(c) => 1,
                0xC2 if b.get(i + 1) == Some(&0xA0) => 2,
                _ => {
                    // Another control character, or another character led by C2 (U+0080
                    // to U+00BF): plain text.
                    i += 1;
                    continue;
                }
            };
            if run < i {
                newlines = 0;
                self.s.push_str(&text[run..i]);
            }
            match b[i] {
                b'\n' if pre => self.push_newline(),
                c @ (b' ' | b'\t' | b'\n' | b'\r' | b'\x0c') => {
                    if c == b'\n' {
                        newlines += 1;
                        if newlines == 2 {
                            self.push_break();
                        }
                    }
                    if !self.s.is_empty() && !self.s.ends_with([' ', '\n']) {
                        self.s.push(' ');
                    }
                }
                _ => {
                    newlines = 0;
                    self.s.push(' ');
                }
            }
            i += width;
            run = i;
        }
        self.s.push_str(&text[run..]);
    }

    fn push_break(&mut self) {
        if !self.s.is_empty() && !self.s.ends_with('\n') {
            self.push_newline();
        }
    }

    fn push_newline(&mut self) {
        self.s.push('\n');
        self.multiline = true;
    }

    fn clear(&mut self) {
        self.s.clear();
        self.multiline = false;
    }

    /// The text as lines: each trimmed, empty ones dropped.
    fn lines(&self) -> impl Iterator<Item = &str> {
        self.s.split('\n').map(str::trim).filter(|l| !l.is_empty())
    }

    /// Appends the lines to `out`, one `\n` between any two.
    fn write_lines(&self, out: &mut CompactString) {
        for line in self.lines() {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(line);
        }
    }
}

/// What a cell holds, in order: its own text, and tables nested in it (already laid out).
enum Part {
    Text(TextBuf),
    Nested(Vec<Row>),
}

struct CellBuild {
    /// Finished parts: text before each nested table, then the table.
    parts: Vec<Part>,
    /// Text since the last nested table.
    current: TextBuf,
    row_span: usize,
    col_span: usize,
}

impl CellBuild {
    fn push_nested(&mut self, rows: Vec<Row>) {
        self.parts.push(Part::Text(std::mem::take(&mut self.current)));
        self.parts.push(Part::Nested(rows));
    }

    fn has_nested(&self) -> bool {
        self.parts.iter().any(|p| matches!(p, Part::Nested(_)))
    }

    fn into_parts(self) -> impl Iterator<Item = Part> {
        self.parts.into_iter().chain(std::iter::once(Part::Text(self.current)))
    }
}

#[derive(Default)]
struct TableBuild {
    rows: Vec<Vec<CellBuild>>,
    row_open: bool,
    cell: Option<CellBuild>,
    caption: Option<TextBuf>,
    /// Lines written before the rows (captions).
    lines: Vec<String>,
}

impl TableBuild {
    fn open_row(&mut self) {
        self.close_cell();
        // Rows of a form are mostly as wide as the one before: sized once, not grown cell by cell.
        let width = self.rows.last().map_or(0, Vec::len);
        self.rows.push(Vec::with_capacity(width));
        self.row_open = true;
    }

    fn open_cell(&mut self, row_span: usize, col_span: usize) {
        self.close_cell();
        if !self.row_open {
            self.open_row();
        }
        self.cell = Some(CellBuild { parts: Vec::new(), current: TextBuf::default(), row_span, col_span });
    }

    fn close_cell(&mut self) {
        if let Some(cell) = self.cell.take() {
            match self.rows.last_mut() {
                Some(row) => row.push(cell),
                None => self.rows.push(vec![cell]),
            }
        }
    }
}

#[derive(Default)]
struct Walker {
    grid: Grid,
    /// Text outside any table, waiting for the end of its block.
    line: TextBuf,
    tables: Vec<TableBuild>,
    pre_depth: usize,
}

impl Walker {
    /// Handles an opening node of html5ever's tree; returns whether to walk into its children.
    fn open(&mut self, node: &Node) -> bool {
        match node {
            Node::Text(t) => {
                self.text(t);
                false
            }
            Node::Element(e) => self.open_element(Name::of(e.name()), || (e.attr("rowspan"), e.attr("colspan"))),
            Node::Document | Node::Fragment => true,
            _ => false,
        }
    }

    fn close(&mut self, node: &Node) {
        if let Node::Element(e) = node {
            self.close_element(Name::of(e.name()));
        }
    }

    /// A text node.
    fn text(&mut self, text: &str) {
        let pre = self.pre_depth > 0;
        self.text_sink().push_text(text, pre);
    }

    /// An element opens; returns whether to walk into its children (false for skipped ones,
    /// which are then never closed). `spans` gives its `rowspan` and `colspan` attributes.
    fn open_element<'s>(&mut self, name: Name, spans: impl FnOnce() -> (Option<&'s str>, Option<&'s str>)) -> bool {
        if name.is_skipped() {
            return false;
        }
        match name {
            Name::Table => {
                self.flush_line();
                self.tables.push(TableBuild::default());
            }
            Name::Tr => {
                if let Some(t) = self.tables.last_mut() {
                    t.open_row();
                }
            }
            Name::Td | Name::Th => {
                if let Some(t) = self.tables.last_mut() {
                    let (rowspan, colspan) = spans();
                    let row_span = span(rowspan, 1);
                    let col_span = span(colspan, 1).clamp(1, MAX_COLSPAN);
                    t.open_cell(row_span, col_span);
                }
            }
            Name::Caption => {
                if let Some(t) = self.tables.last_mut() {
                    t.caption = Some(TextBuf::default());
                }
            }
            Name::Br => self.text_sink().push_break(),
            Name::Pre => {
                self.pre_depth += 1;
                self.block_boundary();
            }
            _ if name.is_block() => self.block_boundary(),
            _ => {}
        }
        true
    }

    /// An element the walk went into closes.
    fn close_element(&mut self, name: Name) {
        match name {
            Name::Table => {
                let Some(mut table) = self.tables.pop() else {
                    return;
                };
                table.close_cell();
                let rows = lay_out(table);
                match self.tables.last_mut().and_then(|t| t.cell.as_mut()) {
                    Some(cell) => cell.push_nested(rows),
                    None => self.grid.rows.extend(rows),
                }
            }
            Name::Tr => {
                if let Some(t) = self.tables.last_mut() {
                    t.close_cell();
                    t.row_open = false;
                }
            }
            Name::Td | Name::Th => {
                if let Some(t) = self.tables.last_mut() {
                    t.close_cell();
                }
            }
            Name::Caption => {
                if let Some(t) = self.tables.last_mut()
                    && let Some(c) = t.caption.take()
                {
                    t.lines.extend(c.lines().map(str::to_string));
                }
            }
            Name::Pre => {
                self.pre_depth = self.pre_depth.saturating_sub(1);
                self.block_boundary();
            }
            _ if name.is_block() => self.block_boundary(),
            _ => {}
        }
    }

    /// Where text goes: the open cell or caption of the innermost table, else the running
    /// line outside tables. Inside a table but outside its cells only whitespace arrives (the
    /// parser moves stray text in front of the table); it lands in the running line, which
    /// is cleared unread when the table started.
    fn text_sink(&mut self) -> &mut TextBuf {
        if let Some(t) = self.tables.last_mut() {
            if let Some(cell) = t.cell.as_mut() {
                return &mut cell.current;
            }
            if let Some(c) = t.caption.as_mut() {
                return c;
            }
        }
        &mut self.line
    }

    fn block_boundary(&mut self) {
        if self.tables.is_empty() {
            self.flush_line();
        } else {
            self.text_sink().push_break();
        }
    }

    /// Emits the running text outside tables as one-cell rows, one per line.
    fn flush_line(&mut self) {
        if self.tables.is_empty() {
            for l in self.line.lines() {
                self.grid.push_line(l);
            }
        }
        self.line.clear();
    }

    fn finish(mut self) -> Grid {
        // Tables left open by a truncated page still hold rows worth keeping.
        while let Some(mut table) = self.tables.pop() {
            table.close_cell();
            let rows = lay_out(table);
            match self.tables.last_mut().and_then(|t| t.cell.as_mut()) {
                Some(cell) => cell.push_nested(rows),
                None => self.grid.rows.extend(rows),
            }
        }
        self.flush_line();
        self.grid
    }
}

/// A `rowspan`/`colspan` value: leading digits (browsers read `2px` as 2); absent or
/// unparsable gives `default`. `rowspan="0"` (to the end of the table) is kept as 0.
fn span(attr: Option<&str>, default: usize) -> usize {
    let Some(v) = attr else { return default };
    let digits = v.trim().bytes().take_while(u8::is_ascii_digit).take(6);
    digits.fold(None, |n: Option<usize>, d| Some(n.unwrap_or(0) * 10 + usize::from(d - b'0'))).unwrap_or(default)
}

/// Places a finished table's cells on a grid and returns its rows, nested tables' rows
/// inserted after the outer rows that hold them.
fn lay_out(table: TableBuild) -> Vec<Row> {
    let TableBuild { rows, lines, .. } = table;
    let mut out: Vec<Row> = lines.into_iter().map(|l| smallvec::smallvec![Cell::new(l)]).collect();
    let single_column = rows.iter().all(|r| r.len() <= 1);
    if single_column && rows.iter().flatten().any(CellBuild::has_nested) {
        page_layout(rows, &mut out);
        return out;
    }
    let placed = place(rows);
    emit(placed, &mut out);
    out
}

/// A one-column table holding nested tables is page layout: its content is read in order,
/// as if the table were not there.
fn page_layout(rows: Vec<Vec<CellBuild>>, out: &mut Vec<Row>) {
    for cell in rows.into_iter().flatten() {
        for part in cell.into_parts() {
            match part {
                Part::Text(t) => out.extend(t.lines().map(|l| smallvec::smallvec![Cell::new(l)])),
                Part::Nested(nested) => out.extend(nested),
            }
        }
    }
}

/// A table's cells on the grid of positions their spans cover.
struct Placed {
    /// grid[r][c]: a placed cell (origin or covered), or [`FREE`]. Rows are the `Vec`s the
    /// grid's rows are then made of, so a row is not copied again.
    grid: Vec<Vec<Cell>>,
    /// Nested tables' rows, emitted after the outer row that holds them.
    nested_after: Vec<Vec<Row>>,
    /// Difference array: +1 at a rowspan's first row, -1 at its last; the running sum after
    /// row r counts the rowspans that cross from row r into row r + 1.
    crossing: Vec<i64>,
}

/// A cell's own text (its lines joined by newlines); nested tables go to `nested`. Written
/// straight into the cell's string: most cell texts are stored inline, with no allocation.
fn cell_text(cell: CellBuild, nested: &mut Vec<Row>) -> CompactString {
    // Most cells: one line of text with nothing to trim, no nested table.
    if cell.parts.is_empty() {
        let s = &cell.current.s;
        let plain = !cell.current.multiline && !s.starts_with(char::is_whitespace) && !s.ends_with(char::is_whitespace);
        if plain {
            return cell.current.s;
        }
    }
    let mut text = CompactString::default();
    for part in cell.into_parts() {
        match part {
            Part::Text(t) => t.write_lines(&mut text),
            Part::Nested(rows) => nested.extend(rows),
        }
    }
    text
}

/// A position no cell has claimed yet (no placed cell spans 0 rows).
const FREE: Cell = Cell { text: CompactString::const_new(""), row_span: 0, col_span: 0, merged: false };

fn is_free(c: &Cell) -> bool {
    c.row_span == 0
}

fn place(rows: Vec<Vec<CellBuild>>) -> Placed {
    let n = rows.len();
    // A row holds at least its own cells; spans reaching in from above grow it.
    let grid = rows.iter().map(|row| Vec::with_capacity(row.len())).collect();
    let mut p = Placed { grid, nested_after: vec![Vec::new(); n], crossing: vec![0; n + 1] };
    let mut positions = 0usize;
    for (r, row) in rows.into_iter().enumerate() {
        let mut col = 0;
        for cell in row {
            while p.grid[r].get(col).is_some_and(|c| !is_free(c)) {
                col += 1;
            }
            let (row_span, col_span) = (cell.row_span, cell.col_span);
            let text = cell_text(cell, &mut p.nested_after[r]);
            let left = n - r;
            let mut rs = if row_span == 0 { left } else { row_span.min(left) };
            let mut cs = col_span;
            // Charge every slot the placement may allocate, gaps included, so that spans in
            // a hostile table stop counting once the budget is spent.
            let cost = |rs: usize, cs: usize| rs.saturating_mul(col.saturating_add(cs));
            if positions.saturating_add(cost(rs, cs)) > MAX_SPAN_POSITIONS {
                rs = 1;
                cs = 1;
            }
            positions = positions.saturating_add(cost(rs, cs));
            if rs > 1 {
                p.crossing[r] += 1;
                p.crossing[r + rs - 1] -= 1;
            }
            let end = col + cs;
            let origin = Cell { text, row_span: super::span(rs), col_span: super::col_span(cs), merged: false };
            claim(&mut p.grid[r], col, end, origin);
            for grid_row in &mut p.grid[r + 1..r + rs] {
                claim(grid_row, col, end, Cell::covered());
            }
            col += cs;
        }
    }
    p
}

/// Places `first` at `row[col]` and covered cells over the rest of `col..end`. Overlapping
/// spans (a table-model error) keep the first claimant of a position. Cells placed left to
/// right with no span reaching in are appended: the row grows one cell at a time.
fn claim(row: &mut Vec<Cell>, col: usize, end: usize, first: Cell) {
    if row.len() < col {
        row.resize(col, FREE);
    }
    let mut cell = first;
    for j in col..end {
        match row.get_mut(j) {
            Some(slot) if is_free(slot) => *slot = cell,
            Some(_) => {}
            None => row.push(cell),
        }
        cell = Cell::covered();
    }
}

/// Rows in order; a nested table's rows wait until no rowspan crosses into the next row,
/// so they never split a block of merged cells.
fn emit(placed: Placed, out: &mut Vec<Row>) {
    let Placed { grid, nested_after, crossing } = placed;
    let mut pending: Vec<Row> = Vec::new();
    let mut open_spans = 0i64;
    for (r, (grid_row, nested)) in grid.into_iter().zip(nested_after).enumerate() {
        // A `<tr></tr>` with nothing spanning into it has no position at all: no row.
        if !grid_row.is_empty() {
            let mut grid_row = grid_row;
            for c in grid_row.iter_mut().filter(|c| is_free(c)) {
                *c = Cell::new("");
            }
            out.push(super::row_of(grid_row));
        }
        pending.extend(nested);
        open_spans += crossing[r];
        if open_spans <= 0 && !pending.is_empty() {
            out.append(&mut pending);
        }
    }
    out.append(&mut pending);
}

#[cfg(test)]
mod tests;
