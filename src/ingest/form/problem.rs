//! Stage 4, form: why a finished table is incomplete (the file is then `partial`).

use super::{Indicator, Table};
use crate::ingest::text::quote;

/// Says why a finished table is incomplete, if it is: no indicators, cut off before its
/// satisfaction rows or opinion, or no budget year.
pub(super) fn set_problem(t: &mut Table) {
    let complete = t.approval_opinion.is_some() || t.indicators.iter().any(|i| i.level1_code == "satisfaction");
    if t.indicators.is_empty() {
        t.problem = Some(format!(
            "table {}: no indicator rows found",
            quote(t.project_name.as_deref().unwrap_or("without 项目名称"))
        ));
    } else if !complete {
        let label = |i: &Indicator| quote(if i.level2.is_empty() { &i.level3 } else { &i.level2 }).into_owned();
        // A row the cut went through has its name but lost its values: they are unknown, not
        // empty targets, so the row is not kept as indicators.
        let last_row = t.indicators.last().map(|i| i.row_index);
        let cut_row: Vec<&Indicator> = t.indicators.iter().filter(|i| Some(i.row_index) == last_row).collect();
        if !cut_row.is_empty() && cut_row.iter().all(|i| i.value.is_empty()) {
            let name = label(cut_row[0]);
            t.indicators.retain(|i| Some(i.row_index) != last_row);
            t.problem = Some(format!("table cut off in the {name} row (its values are missing)"));
        } else {
            let last = t.indicators.last().map(label);
            t.problem = Some(format!("table cut off after the {} row", last.unwrap_or_default()));
        }
    } else if t.year.is_none() {
        t.problem = Some("no budget year (年度) found".into());
    }
}
