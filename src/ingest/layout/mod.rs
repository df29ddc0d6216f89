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

use compact_str::CompactString;
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
    /// Why the text was not read at all (a shape past a `[limits]` cap); the grid is then empty.
    pub refused: Option<String>,
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
    read_capped(kind, text, words, crate::config::DEFAULT_MAX_HTML_DEPTH)
}

/// [`read`] with the run's `limits.max_html_depth`.
pub fn read_capped(kind: LayoutKind, text: &str, words: &dyn Vocabulary, max_html_depth: usize) -> Layout {
    let mut inferences = Vec::new();
    let mut refused = None;
    if matches!(kind, LayoutKind::Tsv | LayoutKind::Lines)
        && let Some((grid, guessed)) = stream::read_lines(text, words)
    {
        return Layout { kind, name: name_of(kind, text), grid, inferences: guessed, refused };
    }
    let grid = match kind {
        LayoutKind::Html => html::read_capped(text, max_html_depth).unwrap_or_else(|e| {
            refused = Some(e.to_string());
            Grid::default()
        }),
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
    Layout { kind, name: name_of(kind, text), grid, inferences, refused }
}

fn name_of(kind: LayoutKind, text: &str) -> &'static str {
    if kind == LayoutKind::Tsv && wrapped_cells(text, 400, 3) == 3 {
        return "tsv_pdf";
    }
    kind.name()
}

/// How many of the first `cells` tab-separated cells of `text` hold a space between two CJK
/// characters (a PDF's wrap space), counted up to `enough`. One `memchr2` search over the text
/// finds the tabs and spaces: splitting the text into cells and searching each for spaces took
/// a search set up per cell, and a file of few tabs was read to its end. A tab is no CJK
/// character, so a space's neighbours are read across the text as they would be in its cell.
fn wrapped_cells(text: &str, cells: usize, enough: usize) -> usize {
    let b = text.as_bytes();
    let (mut cell, mut wrapped, mut last_wrapped) = (0, 0, None);
    for at in memchr::memchr2_iter(b'\t', b' ', b) {
        if b[at] == b'\t' {
            cell += 1;
            if cell == cells {
                break;
            }
        } else if last_wrapped != Some(cell) && is_wrap_space(text, at) {
            (wrapped, last_wrapped) = (wrapped + 1, Some(cell));
            if wrapped == enough {
                break;
            }
        }
    }
    wrapped
}

/// Whether the space at byte `at` of `text` sits between two CJK characters. A space is ASCII:
/// `at` and `at + 1` are character boundaries.
fn is_wrap_space(text: &str, at: usize) -> bool {
    text[..at].chars().next_back().is_some_and(is_cjk) && text[at + 1..].chars().next().is_some_and(is_cjk)
}

/// One cell of a grid. A cell spanning several rows or columns is stored once, at its
/// top-left position, with its spans; every position it covers holds an empty cell with
/// `merged = true`, so rows keep their column positions.
///
/// Kept small because a hostile file can be a million cells: 32 bytes, with text up to 24
/// bytes stored inline (a `String` and `usize` spans took 48 bytes plus an allocation per
/// cell, about 40 times a grid of one-character cells; 40 bytes with a `u32` column span).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Cell {
    /// Text as the layout gave it: tags and PDF wrap spaces may still be inside; the form
    /// reader cleans them.
    pub text: CompactString,
    pub row_span: u32,
    /// At most `u16::MAX`: HTML caps a colspan far below it, and the other readers span rows only.
    pub col_span: u16,
    /// True for a position covered by a spanning cell above or to the left.
    pub merged: bool,
}

impl Cell {
    pub fn new(text: impl Into<CompactString>) -> Self {
        Cell { text: text.into(), row_span: 1, col_span: 1, merged: false }
    }
    pub fn covered() -> Self {
        Cell { text: CompactString::const_new(""), row_span: 1, col_span: 1, merged: true }
    }
    pub fn is_blank(&self) -> bool {
        self.text.trim().is_empty()
    }
}

/// A row span as a cell stores it; no grid comes near 2^32 rows.
pub(crate) fn span(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A column span as a cell stores it (see [`Cell::col_span`]).
pub(crate) fn col_span(n: usize) -> u16 {
    u16::try_from(n).unwrap_or(u16::MAX)
}

/// The cells of one row. Most rows of a text-run stream or narrative are one cell: held inline
/// (48 bytes a row), where a `Vec` took 24 bytes and an allocation of 48 for it, and a million
/// one-line rows were 72 MB. Longer rows are allocated as a `Vec` would be.
pub type Row = smallvec::SmallVec<[Cell; 1]>;

/// A row of cells a reader collected in a `Vec`: one cell moves inline, more keep the buffer.
pub(crate) fn row_of(cells: Vec<Cell>) -> Row {
    if cells.len() == 1 { cells.into_iter().collect() } else { Row::from_vec(cells) }
}

/// A document read into rows of cells.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Grid {
    pub rows: Vec<Row>,
}

impl Grid {
    pub fn push_line(&mut self, text: impl Into<CompactString>) {
        self.rows.push(smallvec::smallvec![Cell::new(text)]);
    }

    /// The cell texts row by row: what the readers' tests compare.
    #[cfg(test)]
    pub(crate) fn texts(&self) -> Vec<Vec<String>> {
        self.rows.iter().map(|r| r.iter().map(|c| c.text.to_string()).collect()).collect()
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

    /// What [`wrapped_cells`] and [`name_of`] replaced: each cell read a character at a time,
    /// three at a time, and every one of the first 400 cells counted.
    fn has_wrap_space_by_chars(cell: &str) -> bool {
        let mut chars = cell.chars();
        let (Some(mut a), Some(mut b)) = (chars.next(), chars.next()) else { return false };
        for c in chars {
            if b == ' ' && is_cjk(a) && is_cjk(c) {
                return true;
            }
            (a, b) = (b, c);
        }
        false
    }

    fn name_by_counting_every_cell(kind: LayoutKind, text: &str) -> &'static str {
        if kind == LayoutKind::Tsv && text.split('\t').take(400).filter(|c| has_wrap_space_by_chars(c)).count() >= 3 {
            return "tsv_pdf";
        }
        kind.name()
    }

    #[test]
    fn wrap_spaces_found_by_one_search_count_as_read_by_chars_on_every_sample_and_random_text() {
        let mut pdf = 0;
        for (path, text) in crate::ingest::samples::texts() {
            let name = name_of(LayoutKind::Tsv, &text);
            assert_eq!(name, name_by_counting_every_cell(LayoutKind::Tsv, &text), "{}", path.display());
            pdf += usize::from(name == "tsv_pdf");
            let cells: Vec<&str> = text.split('\t').take(400).collect();
            let by_chars = cells.iter().filter(|c| has_wrap_space_by_chars(c)).count();
            assert_eq!(wrapped_cells(&text, 400, usize::MAX), by_chars, "{}", path.display());
        }
        assert!(pdf >= 3, "only {pdf} samples named tsv_pdf");
        // Random text of spaces, tabs and CJK, ASCII and other wide characters, next to each other.
        let alphabet =
            [" ", " ", "  ", "\t", "\n", "项", "目", "项", "目", "a", "1", "，", "Ａ", "é", "😀", "\u{3000}"];
        let mut rng = fastrand::Rng::with_seed(0x7AB5);
        let (mut named, mut plain) = (0, 0);
        for _ in 0..20_000 {
            let text: String = (0..rng.usize(0..80)).map(|_| alphabet[rng.usize(..alphabet.len())]).collect();
            let (cells, enough) = (rng.usize(1..12), rng.usize(1..5));
            let by_chars = text.split('\t').take(cells).filter(|c| has_wrap_space_by_chars(c)).count().min(enough);
            assert_eq!(wrapped_cells(&text, cells, enough), by_chars, "{text:?} {cells} {enough}");
            let name = name_of(LayoutKind::Tsv, &text);
            assert_eq!(name, name_by_counting_every_cell(LayoutKind::Tsv, &text), "{text:?}");
            if name == "tsv_pdf" { named += 1 } else { plain += 1 }
        }
        assert!(named > 100 && plain > 100, "{named} tsv_pdf, {plain} tsv");
    }

    /// The text-run reader reading lines straight from the text (no tab grid first) must rebuild
    /// the rows the tab reader's grid gives, on every UTF-8 text of the samples.
    #[test]
    fn lines_read_from_the_text_rebuild_the_rows_the_tab_grid_gives() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("sample_data");
        let words = crate::ingest::form::FormLabels;
        let mut streams = 0;
        for entry in walkdir::WalkDir::new(root).into_iter().flatten().filter(|e| e.file_type().is_file()) {
            let Ok(text) = std::fs::read_to_string(entry.path()) else { continue };
            if let Some(read) = stream::read_lines(&text, &words) {
                streams += 1;
                assert_eq!(read, stream::regrid_noting(tsv::read(&text), &words), "{}", entry.path().display());
            }
        }
        assert!(streams >= 5, "{streams} streams among the samples");
    }

    #[test]
    fn wrap_spaces_sit_between_two_cjk_characters() {
        let has_wrap_space = |cell: &str| wrapped_cells(cell, 1, 1) == 1;
        assert!(has_wrap_space("资 源"));
        assert!(has_wrap_space("汕头市人力资 源和社会保障局"));
        assert!(!has_wrap_space("资  源"));
        assert!(!has_wrap_space("a 源"));
        assert!(!has_wrap_space("资 "));
        assert!(!has_wrap_space(" "));
        assert!(!has_wrap_space(""));
    }

    #[test]
    fn a_one_cell_row_is_held_inline_in_48_bytes() {
        assert!(std::mem::size_of::<Row>() <= 48, "{}", std::mem::size_of::<Row>());
        assert!(!row_of(vec![Cell::new("甲")]).spilled());
    }

    #[test]
    fn a_cell_takes_32_bytes_so_a_million_cells_fit_in_a_small_multiple_of_their_text() {
        assert!(std::mem::size_of::<Cell>() <= 32, "{}", std::mem::size_of::<Cell>());
    }
}
