//! Stage 3, layout: turns decoded text into a grid of cells with spans. No form knowledge here:
//! the text-run reader gets the form's words as a parameter.
//!
//! Every reader returns the whole document in reading order: table rows as rows of cells,
//! and text outside tables (titles, headings, paragraphs, narrative) as one-cell rows, so a
//! form reader sees the title lines and the table of one disclosure in sequence.

pub mod csv;
pub mod fixed;
pub mod html;
pub mod markdown;
pub mod sniff;
pub mod stream;
pub mod tsv;

use sniff::LayoutKind;
use stream::Vocabulary;

use crate::ingest::text::is_cjk;

/// What the layout stage read from one text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Layout {
    pub kind: LayoutKind,
    /// The name written to the dataset: the kind's, or `tsv_pdf` for tab text a PDF
    /// extractor wrote (wrap spaces inside words tell analysts where to look).
    pub name: &'static str,
    /// The grid the form stage reads.
    pub grid: Grid,
    /// Readings the layout inferred where the text did not say (a row span guessed from where
    /// a label sits, columns rebuilt from positions): the tables holding those rows are read
    /// with less confidence, and their notes say why.
    pub inferences: Vec<Inference>,
}

/// One reading the layout stage inferred, at the grid row it concerns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Inference {
    pub row: usize,
    pub note: String,
}

/// Reads text with the reader of its layout; a one-run-per-line stream is then regridded by
/// the form's `words` (see [`stream`]), and fixed-width blocks under a header are rebuilt by them.
pub fn read(kind: LayoutKind, text: &str, words: &dyn Vocabulary) -> Layout {
    let mut inferences = Vec::new();
    let grid = match kind {
        LayoutKind::Html => html::read(text),
        LayoutKind::Markdown => markdown::read(text),
        LayoutKind::Csv => csv::read(text),
        LayoutKind::FixedWidth => {
            let (grid, inferred) = fixed::read(text, words);
            inferences = inferred;
            grid
        }
        // Lines without tabs become one-cell rows: the one-run-per-line reader is the tab reader.
        LayoutKind::Tsv | LayoutKind::Lines => tsv::read(text),
    };
    let (grid, guessed) = stream::regrid_noting(grid, words);
    inferences.extend(guessed);
    Layout { kind, name: name_of(kind, text), grid, inferences }
}

fn name_of(kind: LayoutKind, text: &str) -> &'static str {
    if kind == LayoutKind::Tsv {
        let wrapped = text.split('\t').take(400).filter(|c| has_wrap_space(c)).count();
        if wrapped >= 3 {
            return "tsv_pdf";
        }
    }
    kind.name()
}

fn has_wrap_space(cell: &str) -> bool {
    let chars: Vec<char> = cell.chars().collect();
    chars.windows(3).any(|w| is_cjk(w[0]) && w[1] == ' ' && is_cjk(w[2]))
}

/// One cell of a grid. A cell spanning several rows or columns is stored once, at its
/// top-left position, with its spans; every position it covers holds an empty cell with
/// `merged = true`, so rows keep their column positions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cell {
    /// Text as the layout gave it: tags and PDF wrap spaces may still be inside; the form
    /// reader cleans them.
    pub text: String,
    pub row_span: usize,
    pub col_span: usize,
    /// True for a position covered by a spanning cell above or to the left.
    pub merged: bool,
}

impl Cell {
    pub fn new(text: impl Into<String>) -> Self {
        Cell { text: text.into(), row_span: 1, col_span: 1, merged: false }
    }
    pub fn covered() -> Self {
        Cell { text: String::new(), row_span: 1, col_span: 1, merged: true }
    }
    pub fn is_blank(&self) -> bool {
        self.text.trim().is_empty()
    }
}

pub type Row = Vec<Cell>;

/// A document read into rows of cells.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grid {
    pub rows: Vec<Row>,
}

impl Grid {
    pub fn push_line(&mut self, text: impl Into<String>) {
        self.rows.push(vec![Cell::new(text)]);
    }

    /// The cell texts row by row: what the readers' tests compare.
    #[cfg(test)]
    pub(crate) fn texts(&self) -> Vec<Vec<String>> {
        self.rows.iter().map(|r| r.iter().map(|c| c.text.clone()).collect()).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::stream::NoWords;
    use super::*;

    #[test]
    fn tab_text_with_wrap_spaces_is_named_tsv_pdf() {
        let pdf = "项目名称\t应急物资储备工作 经费\n主管部门\t汕头市人力资 源和社会保障局\t实施单位\t汕头市 人力资源\n其他\t值\n";
        let laid = read(LayoutKind::Tsv, pdf, &NoWords);
        assert_eq!((laid.kind, laid.name), (LayoutKind::Tsv, "tsv_pdf"));
        assert_eq!(laid.grid, tsv::read(pdf));
        let plain = "项目名称\t应急物资储备工作经费\n主管部门\t汕头市人力资源和社会保障局\n其他\t值\n";
        assert_eq!(read(LayoutKind::Tsv, plain, &NoWords).name, "tsv");
        assert_eq!(read(LayoutKind::Lines, "a 甲 乙 丙\n", &NoWords).name, "lines");
    }
}
