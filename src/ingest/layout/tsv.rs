//! Stage 3, layout: tab-separated text (spreadsheet exports and PDF-to-text output as in the seed).

use super::{Cell, Grid};

/// One row per line, one cell per tab-separated field. Lines without a tab are one-cell rows;
/// blank lines are dropped. Stray empty cells are kept: column positions carry meaning that
/// the form reader weighs against labels.
pub fn read(text: &str) -> Grid {
    let mut grid = Grid::default();
    for line in lines(text) {
        if crate::ingest::deadline::tick() {
            break;
        }
        if line.contains('\t') {
            // Sized to the line: collecting from `split` doubles up to 8 cells for a row of 5,
            // which for a table of 200,000 rows was more than the cells' text.
            let mut row = super::Row::with_capacity(line.bytes().filter(|&b| b == b'\t').count() + 1);
            row.extend(cells(line).map(Cell::new));
            grid.rows.push(row);
        } else {
            grid.push_line(line.trim());
        }
    }
    grid
}

/// The lines that are rows, without their line ends: blank lines are none.
pub(super) fn lines(text: &str) -> impl Iterator<Item = &str> {
    // Blank when no character is other than whitespace: the test stops at a line's first
    // character, where trimming both ends read it from each end.
    physical_lines(text).map(|l| l.strip_suffix('\r').unwrap_or(l)).filter(|l| l.chars().any(|c| !c.is_whitespace()))
}

/// `text.split(['\n', '\x0c'])`, found with `memchr2`: a split on a set of characters tests
/// every character in turn, and this split runs over every tab-text file two or three times.
fn physical_lines(text: &str) -> impl Iterator<Item = &str> {
    let mut start = 0;
    let mut breaks = memchr::memchr2_iter(b'\n', b'\x0c', text.as_bytes());
    std::iter::from_fn(move || {
        let from = start;
        match breaks.next() {
            Some(at) => {
                start = at + 1;
                // Both breaks are ASCII, so `at` and `at + 1` are character boundaries.
                Some(&text[from..at])
            }
            None if from <= text.len() => {
                start = text.len() + 1;
                Some(&text[from..])
            }
            None => None,
        }
    })
}

/// The cells of a line, trimmed.
pub(super) fn cells(line: &str) -> impl Iterator<Item = &str> {
    line.split('\t').map(str::trim)
}

#[cfg(test)]
mod tests {
    #[test]
    fn physical_lines_split_as_the_character_set_split_did() {
        let mut rng = fastrand::Rng::with_seed(7);
        let alphabet = ['\n', '\x0c', '\r', '\t', ' ', 'a', '项', '目'];
        for _ in 0..3000 {
            let text: String = (0..rng.usize(0..24)).map(|_| alphabet[rng.usize(..alphabet.len())]).collect();
            let ours: Vec<&str> = super::physical_lines(&text).collect();
            let split: Vec<&str> = text.split(['\n', '\x0c']).collect();
            assert_eq!(ours, split, "{text:?}");
        }
    }

    #[test]
    fn tabs_split_cells_and_crlf_is_stripped() {
        let g = super::read("# 标题\r\n\r\n项目名称\t经费\t\r\n");
        assert_eq!(g.rows.len(), 2);
        assert_eq!(g.rows[0][0].text, "# 标题");
        assert_eq!(g.rows[1].len(), 3);
        assert_eq!(g.rows[1][1].text, "经费");
    }
}
