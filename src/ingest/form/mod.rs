//! Stage 4, form: recognises performance-target forms in a grid and maps cells to records by label meaning.
//!
//! Two forms are known: the 批复表 (`approval`: a mid-term side and an annual side of
//! indicators) and the 项目支出绩效目标表 / 绩效目标申报表 (`target`: one annual side, with
//! 主管部门, 实施单位 and a 项目资金 block). Both are read by one row walker driven by labels:
//! a row is classified by the labels in it, never by its position in the file, and indicator
//! rows are mapped through the columns of their header row when the row lines up with it, or
//! by the kind of each cell (一级/二级 label, name, value) when a PDF extractor shifted cells.
//! No layout knowledge here: the grid may come from tab text, HTML, CSV, Markdown or PDF text
//! runs, which the layout stage regrids with the words this stage supplies ([`FormLabels`]).

mod amount;
mod centred;
mod labels;
mod problem;
mod walker;
mod words;

use std::borrow::Cow;

use rust_decimal::Decimal;

use crate::ingest::layout::{Grid, Inference, Row};

/// What one reading the layout inferred takes off a table's confidence.
const INFERENCE_COST: f64 = 0.05;
use crate::ingest::text::clean;

pub use amount::parse_amount;
pub use labels::{FormLabels, level1_code, level2_code};
use walker::Walker;
use words::{CellFacts, Key, Keys};

/// One performance-target table read from a grid.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    pub form: &'static str,
    pub title: Option<String>,
    pub region: Option<String>,
    pub year: Option<i32>,
    pub budget_unit: Option<String>,
    pub department: Option<String>,
    pub implementing_unit: Option<String>,
    pub project_name: Option<String>,
    pub midterm_budget_yuan: Option<Decimal>,
    pub annual_budget_yuan: Option<Decimal>,
    pub midterm_start_year: Option<i32>,
    pub midterm_end_year: Option<i32>,
    pub midterm_goal: Option<String>,
    pub annual_goal: Option<String>,
    pub approval_opinion: Option<String>,
    pub indicators: Vec<Indicator>,
    /// 0..1: how sure the reader is that every field went to the right column.
    pub parse_confidence: f64,
    /// Why the confidence is below 1: labels missing, cells realigned, units assumed.
    pub parse_notes: Vec<String>,
    /// Set when the table is incomplete (the file is then `partial`).
    pub problem: Option<String>,
    /// Amount cells that were not stored (not a number, too large, negative), each naming
    /// its label and cell; the amount is then null and the file `partial`.
    pub amount_problems: Vec<String>,
    /// The grid rows read into this table, so what the layout inferred about a row reaches
    /// the table holding it.
    pub grid_rows: std::ops::Range<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Indicator {
    pub horizon: &'static str,
    /// The labels and the value are short (产出指标, ≥90%) and kept inline, without an
    /// allocation each: a table of 200,000 rows held 800,000 small strings.
    pub level1: compact_str::CompactString,
    pub level2: compact_str::CompactString,
    pub level3: String,
    pub value: compact_str::CompactString,
    pub level1_code: &'static str,
    pub level2_code: &'static str,
    /// The 度量单位 column where the form has one (the value then already includes it).
    pub unit_column: Option<String>,
    /// Row of the grid the indicator was read from (0-based).
    pub row_index: u32,
}

/// Everything the form stage found in one document.
#[derive(Debug, Default)]
pub struct Reading {
    pub tables: Vec<Table>,
}

/// Reads the tables of a grid as the layout stage laid it out (with [`FormLabels`] for a
/// text-run stream).
pub fn read(grid: &Grid) -> Reading {
    read_rows(grid.rows.iter())
}

/// [`read`] taking the grid: each row is freed once walked, so a long table's grid and the
/// indicators read from it are never both whole in memory.
pub fn read_owned(grid: Grid) -> Reading {
    read_rows(grid.rows.into_iter())
}

/// A row's cells as the walker reads them, on the stack: a row has a few cells, and needs no
/// list allocated for it.
type Cells<'a> = smallvec::SmallVec<[Cow<'a, str>; 16]>;

fn read_rows<R: std::borrow::Borrow<Row>>(rows: impl Iterator<Item = R>) -> Reading {
    let mut walker = Walker::default();
    // The facts of the row's cells, emptied and reused from row to row.
    let mut facts: Vec<CellFacts> = Vec::new();
    for (r, row) in rows.enumerate() {
        if crate::ingest::deadline::tick() {
            break;
        }
        let row = row.borrow();
        // Borrowed from the grid unless cleaning changed the text: most cells need none.
        let mut cells = Cells::new();
        facts.clear();
        for c in row {
            if c.merged {
                cells.push(Cow::Borrowed(""));
                facts.push(CellFacts::default());
            } else {
                push_value_and_label(&mut cells, &mut facts, &c.text);
            }
        }
        if cells.iter().all(|c| c.is_empty()) {
            continue;
        }
        // Each cell's key found once for every question the walker asks of the row, and only
        // for the cells it asks about.
        walker.row(r as u32, &cells, &Keys::new(&cells, &facts));
    }
    walker.finish()
}

/// What the layout inferred lowers the confidence of the table holding the row it concerns,
/// and its notes say why.
pub fn note_inferences(reading: &mut Reading, inferences: &[Inference]) {
    for inf in inferences {
        let row = u32::try_from(inf.row).unwrap_or(u32::MAX);
        if let Some(t) = reading.tables.iter_mut().find(|t| t.grid_rows.contains(&row)) {
            t.parse_confidence = (t.parse_confidence - INFERENCE_COST).max(0.0);
            t.parse_notes.push(inf.note.clone());
        }
    }
}

/// An amount and the next cell's label that an extractor left in one cell, one space apart
/// (`4,100,000.00 年度资金申请总额`): two cells, so the label finds its own amount.
/// Pushes the cell's cleaned text and its facts onto the row (no list per cell: a row has
/// many).
fn push_value_and_label<'a>(cells: &mut Cells<'a>, facts: &mut Vec<CellFacts>, raw: &'a str) {
    // Nearly every cell: nothing to clean, so no space to split at either.
    let raw_facts = CellFacts::of(raw);
    if !raw_facts.needs_cleaning {
        cells.push(Cow::Borrowed(raw));
        facts.push(raw_facts);
        return;
    }
    // Split before cleaning: cleaning reads a space between a digit and CJK as a PDF wrap.
    if let Some((value, label)) = raw.trim().split_once(char::is_whitespace)
        && parse_amount(value).is_some()
        && labels::is_head_label(&Key::of(label))
    {
        for part in [clean(value), clean(label)] {
            facts.push(CellFacts::of(&part));
            cells.push(part);
        }
        return;
    }
    let cleaned = clean(raw);
    facts.push(CellFacts::of(&cleaned));
    cells.push(cleaned);
}

#[cfg(test)]
mod tests;
