//! Command line, `jixiao inspect`: how one file is read, stage by stage.

use std::path::Path;

use anyhow::{Context, Result};

use super::ExitStatus;

pub(super) fn inspect(file: &Path, show_grid: bool) -> Result<ExitStatus> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let decoded = match jixiao::ingest::decode::decode(&bytes) {
        Ok(d) => d,
        Err(e) => {
            outln!("{}: {e}", file.display());
            return Ok(ExitStatus::Failure);
        }
    };
    let kind = jixiao::ingest::layout::sniff::sniff(&decoded.text);
    outln!(
        "encoding {} (bom {}, decode errors {}), layout {}",
        decoded.encoding,
        decoded.had_bom,
        decoded.decode_errors,
        kind.name()
    );
    // The grid the form stage reads: a text-run stream comes back regridded by the form's words.
    let grid = jixiao::ingest::layout::read(kind, &decoded.text, &jixiao::ingest::form::FormLabels).grid;
    if show_grid {
        for (i, row) in grid.rows.iter().enumerate() {
            let cells: Vec<String> =
                row.iter().map(|c| if c.merged { "⟂".to_string() } else { c.text.replace('\n', "⏎") }).collect();
            outln!("{i:>4} | {}", cells.join(" | "));
        }
    }
    let reading = jixiao::ingest::form::read(&grid);
    for (i, t) in reading.tables.iter().enumerate() {
        outln!(
            "table {i}: {} {:?} year {:?} unit {:?} dept {:?} project {:?} midterm {:?} annual {:?} period {:?}-{:?} confidence {:.2} {:?} problem {:?}",
            t.form,
            t.title,
            t.year,
            t.budget_unit,
            t.department,
            t.project_name,
            t.midterm_budget_yuan,
            t.annual_budget_yuan,
            t.midterm_start_year,
            t.midterm_end_year,
            t.parse_confidence,
            t.parse_notes,
            t.problem
        );
        outln!(
            "  midterm goal: {:?}\n  annual goal: {:?}\n  opinion: {:?}",
            t.midterm_goal,
            t.annual_goal,
            t.approval_opinion
        );
        for ind in &t.indicators {
            outln!(
                "  [{}] {} {} | {} | {} | {} = {:?}",
                ind.row_index,
                ind.horizon,
                ind.level1_code,
                ind.level1,
                ind.level2,
                ind.level3,
                ind.value
            );
        }
    }
    Ok(if reading.tables.is_empty() { ExitStatus::Failure } else { ExitStatus::Success })
}
