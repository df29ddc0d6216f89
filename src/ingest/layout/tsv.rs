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
    text.split(['\n', '\x0c']).map(|l| l.strip_suffix('\r').unwrap_or(l)).filter(|l| !l.trim().is_empty())
}

/// The cells of a line, trimmed.
pub(super) fn cells(line: &str) -> impl Iterator<Item = &str> {
    line.split('\t').map(str::trim)
}

#[cfg(test)]
mod tests {
    #[test]
    fn tabs_split_cells_and_crlf_is_stripped() {
        let g = super::read("# 标题\r\n\r\n项目名称\t经费\t\r\n");
        assert_eq!(g.rows.len(), 2);
        assert_eq!(g.rows[0][0].text, "# 标题");
        assert_eq!(g.rows[1].len(), 3);
        assert_eq!(g.rows[1][1].text, "经费");
    }
}
