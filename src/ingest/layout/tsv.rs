//! Stage 3, layout: tab-separated text (spreadsheet exports and PDF-to-text output as in the seed).

use super::{Cell, Grid};

/// One row per line, one cell per tab-separated field. Lines without a tab are one-cell rows;
/// blank lines are dropped. Stray empty cells are kept: column positions carry meaning that
/// the form reader weighs against labels.
pub fn read(text: &str) -> Grid {
    let mut grid = Grid::default();
    for line in text.split(['\n', '\x0c']) {
        if crate::ingest::deadline::tick() {
            break;
        }
        let line = line.strip_suffix('\r').unwrap_or(line);
        if line.trim().is_empty() {
            continue;
        }
        if line.contains('\t') {
            // Sized to the line: collecting from `split` doubles up to 8 cells for a row of 5,
            // which for a table of 200,000 rows was more than the cells' text.
            let mut row = Vec::with_capacity(line.bytes().filter(|&b| b == b'\t').count() + 1);
            row.extend(line.split('\t').map(|c| Cell::new(c.trim())));
            grid.rows.push(row);
        } else {
            grid.push_line(line.trim());
        }
    }
    grid
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
