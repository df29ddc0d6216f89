//! Stages 2–5 for one file: decode → layout → form → records, with every failure turned into
//! the file's status and reason instead of an error that stops the run.

use std::panic::{AssertUnwindSafe, catch_unwind};

use crate::config::Limits;
use crate::ingest::decode::{self, DecodeError};
use crate::ingest::form::{self, Table};
use crate::ingest::layout;
use crate::ingest::score::{self, IndicatorInput, ProjectIndicator, ProjectInput};
use crate::ingest::value::read_value;
use crate::ingest::walk::Entry;
use crate::store::records::{FileRow, IndicatorRow, ProjectRow, Status};

/// Everything one input file contributes to the dataset.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub file: FileRow,
    pub projects: Vec<ProjectRow>,
    pub indicators: Vec<IndicatorRow>,
    pub bytes_read: u64,
}

pub fn content_hash(bytes: &[u8]) -> String {
    blake3::hash(bytes).to_hex()[..32].to_string()
}

/// Reads and processes one file. Never panics: a panic inside a stage becomes the file's
/// rejection with the panic message, and the run goes on.
pub fn process(entry: &Entry, limits: Limits) -> Outcome {
    let mut file = FileRow {
        path: entry.rel.clone(),
        size_bytes: entry.size,
        mtime_ns: entry.mtime_ns,
        content_hash: None,
        encoding: None,
        had_bom: None,
        decode_errors: 0,
        layout: None,
        tables: 0,
        status: Status::Rejected,
        error: entry.error.clone(),
    };
    if entry.error.is_some() {
        return Outcome { file, projects: vec![], indicators: vec![], bytes_read: 0 };
    }
    if entry.size > limits.max_file_bytes {
        file.error = Some(format!("too_large: {} bytes, over the {} byte limit", entry.size, limits.max_file_bytes));
        return Outcome { file, projects: vec![], indicators: vec![], bytes_read: 0 };
    }
    let bytes = match std::fs::read(&entry.abs) {
        Ok(b) => b,
        Err(e) => {
            file.error = Some(format!("unreadable: {e}"));
            return Outcome { file, projects: vec![], indicators: vec![], bytes_read: 0 };
        }
    };
    file.size_bytes = bytes.len() as u64;
    let bytes_read = bytes.len() as u64;
    let started = std::time::Instant::now();
    match catch_unwind(AssertUnwindSafe(|| process_bytes(file.clone(), &bytes))) {
        Ok(_) if started.elapsed() > limits.max_file_time => {
            file.content_hash = Some(content_hash(&bytes));
            file.error = Some(format!(
                "too_slow: parsing took {:.1} s, over the {} s limit",
                started.elapsed().as_secs_f64(),
                limits.max_file_time.as_secs_f64()
            ));
            tracing::warn!(path = %entry.rel, "{}", file.error.as_deref().unwrap_or_default());
            Outcome { file, projects: vec![], indicators: vec![], bytes_read }
        }
        Ok(mut out) => {
            out.bytes_read = bytes_read;
            out
        }
        Err(panic) => {
            let msg = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic".into());
            file.content_hash = Some(content_hash(&bytes));
            file.status = Status::Rejected;
            file.error = Some(format!("internal: the parser failed on this file ({msg}); please report it"));
            Outcome { file, projects: vec![], indicators: vec![], bytes_read }
        }
    }
}

/// The pure part of [`process`]: bytes in, rows out.
pub fn process_bytes(mut file: FileRow, bytes: &[u8]) -> Outcome {
    // Test hook: `JIXIAO_FAULT=panic` makes files whose name contains "panic" fail inside the
    // parser, so the tests can prove a panic stays within its file.
    if file.path.contains("panic") && std::env::var("JIXIAO_FAULT").is_ok_and(|f| f == "panic") {
        panic!("fault injected for {}", file.path);
    }
    // Test hook: `JIXIAO_FAULT=slow` makes files whose name contains "slow" take over a
    // second, the smallest `max_file_seconds`, so the tests can prove the time limit holds.
    if file.path.contains("slow") && std::env::var("JIXIAO_FAULT").is_ok_and(|f| f == "slow") {
        std::thread::sleep(std::time::Duration::from_millis(1500));
    }
    let hash = content_hash(bytes);
    file.content_hash = Some(hash.clone());
    let empty = |file| Outcome { file, projects: vec![], indicators: vec![], bytes_read: 0 };
    let decoded = match decode::decode(bytes) {
        Ok(d) => d,
        Err(e) => {
            file.status = Status::Rejected;
            file.error = Some(e.to_string());
            if matches!(e, DecodeError::Binary(_)) {
                file.encoding = None;
            }
            return empty(file);
        }
    };
    file.encoding = Some(decoded.encoding.clone());
    file.had_bom = Some(decoded.had_bom);
    file.decode_errors = decoded.decode_errors;
    if decoded.text.trim().is_empty() {
        file.error = Some("empty: the file holds only whitespace".into());
        return empty(file);
    }
    let laid = layout::read(layout::sniff::sniff(&decoded.text), &decoded.text, &form::FormLabels);
    let reading = form::read(&laid.grid);
    file.layout = Some(laid.name.to_string());

    let mut problems: Vec<String> = Vec::new();
    let mut projects = Vec::new();
    let mut indicators = Vec::new();
    for (i, table) in reading.tables.iter().enumerate() {
        if let Some(p) = &table.problem {
            let name = table.project_name.as_deref().unwrap_or("?");
            problems.push(format!("{p} (table {}, 项目名称 {name})", i + 1));
        }
        let Some(year) = table.year else { continue };
        rows_of(&file.path, &hash, i, year, table, &mut projects, &mut indicators);
    }
    file.tables = projects.len() as i32;
    if projects.is_empty() {
        file.status = Status::Rejected;
        file.error = Some(match problems.first() {
            Some(p) => format!("incomplete: {p}"),
            None => format!(
                "no_table: no performance-target table found ({} layout, {} lines)",
                laid.kind.name(),
                decoded.text.lines().count()
            ),
        });
    } else if !problems.is_empty() {
        file.status = Status::Partial;
        let code = if problems.iter().any(|p| p.contains("cut off")) { "truncated" } else { "incomplete" };
        file.error = Some(format!("{code}: {}", problems.join("; ")));
    } else if decoded.decode_errors > 0 {
        file.status = Status::Partial;
        file.error = Some(format!(
            "decode: {} malformed byte sequences in {} replaced by U+FFFD",
            decoded.decode_errors, decoded.encoding
        ));
    } else {
        file.status = Status::Ok;
    }
    Outcome { file, projects, indicators, bytes_read: 0 }
}

fn rows_of(
    path: &str,
    hash: &str,
    table_index: usize,
    year: i32,
    t: &Table,
    projects: &mut Vec<ProjectRow>,
    indicators: &mut Vec<IndicatorRow>,
) {
    // The path is part of the id: the same disclosure saved twice (two scrapes, two formats)
    // is two files in the dataset, and joins on project_id must not multiply their rows.
    let project_id = blake3::hash(format!("{path}\n{hash}\n{table_index}").as_bytes()).to_hex()[..16].to_string();
    let goals: Vec<&str> = [t.midterm_goal.as_deref(), t.annual_goal.as_deref()].into_iter().flatten().collect();
    let mut scored = Vec::with_capacity(t.indicators.len());
    for ind in &t.indicators {
        let reading = read_value(&ind.value, &ind.level3, &ind.level2, ind.unit_column.as_deref());
        let s = score::score_indicator(&IndicatorInput {
            level1_code: ind.level1_code,
            level2_code: ind.level2_code,
            level2: &ind.level2,
            level3: &ind.level3,
            value: &ind.value,
            reading: &reading,
            goal_texts: &goals,
        });
        scored.push((reading, s));
    }
    let project_inds: Vec<ProjectIndicator> = t
        .indicators
        .iter()
        .zip(&scored)
        .map(|(ind, (reading, s))| ProjectIndicator {
            horizon: ind.horizon,
            level1_code: ind.level1_code,
            level2_code: ind.level2_code,
            level3: &ind.level3,
            value: &ind.value,
            reading,
            score: s.score,
        })
        .collect();
    let project_score = score::score_project(&ProjectInput { year, form: t.form, indicators: &project_inds });
    for (ind, (reading, s)) in t.indicators.iter().zip(scored) {
        indicators.push(IndicatorRow {
            year,
            project_id: project_id.clone(),
            path: path.to_string(),
            horizon: ind.horizon.to_string(),
            level1: ind.level1.clone(),
            level2: ind.level2.clone(),
            level3: ind.level3.clone(),
            value: ind.value.clone(),
            row_index: ind.row_index as i32,
            level1_code: ind.level1_code.to_string(),
            level2_code: ind.level2_code.to_string(),
            value_op: reading.op.map(str::to_string),
            value_number: reading.number.and_then(|d| d.to_string().parse().ok()),
            value_unit: reading.unit.clone(),
            value_kind: reading.kind.as_str().to_string(),
            quality_score: i32::from(s.score),
            quality_flags: s.flags.iter().map(|f| f.to_string()).collect(),
        });
    }
    projects.push(ProjectRow {
        year,
        project_id,
        path: path.to_string(),
        table_index: table_index as i32,
        form: t.form.to_string(),
        title: t.title.clone(),
        region: t.region.clone(),
        budget_unit: t.budget_unit.clone(),
        department: t.department.clone(),
        project_name: t.project_name.clone(),
        midterm_budget_yuan: t.midterm_budget_yuan,
        annual_budget_yuan: t.annual_budget_yuan,
        midterm_start_year: t.midterm_start_year,
        midterm_end_year: t.midterm_end_year,
        midterm_goal: t.midterm_goal.clone(),
        annual_goal: t.annual_goal.clone(),
        approval_opinion: t.approval_opinion.clone(),
        indicators: t.indicators.len() as i32,
        parse_confidence: t.parse_confidence,
        parse_notes: t.parse_notes.clone(),
        quality_score: Some(i32::from(project_score.score)),
        quality_flags: project_score.flags.iter().map(|f| f.to_string()).collect(),
    });
}
