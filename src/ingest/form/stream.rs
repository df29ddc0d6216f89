//! Stage 4, form: TEMP

use super::amount::parse_amount;
use super::labels::{
    goal_label, is_block_label, is_head_label, is_l1_label, is_l2_label, is_opinion_label, is_pure_l1, is_title,
    is_value_label, level2_code, year_line,
};
use crate::ingest::layout::Grid;
use crate::ingest::text::label_key;

/// The grid the walker reads: the layout's grid, or rows rebuilt from a one-run-per-line stream.
pub fn rows_for_reading(grid: &Grid) -> std::borrow::Cow<'_, Grid> {
    if is_stream(grid) { std::borrow::Cow::Owned(stream_rows(grid)) } else { std::borrow::Cow::Borrowed(grid) }
}

/// A PDF extractor that writes one text run per line leaves no rows at all: the form must be
/// recovered from its labels.
fn is_stream(grid: &Grid) -> bool {
    let multi = grid.rows.iter().filter(|r| r.iter().filter(|c| !c.is_blank()).count() > 1).count();
    grid.rows.len() >= 10 && multi * 20 <= grid.rows.len()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Tok {
    Title,
    Head,
    Goal,
    Header,
    L1,
    L2,
    Block,
    Opinion,
    Other,
}

/// A complete label of the form's vocabulary, not a fragment that happens to end in 指标.
fn known_label(key: &str) -> bool {
    match tok_kind(key) {
        Tok::Other => false,
        Tok::L2 => level2_code(key) != "other",
        _ => true,
    }
}

fn tok_kind(key: &str) -> Tok {
    if key.chars().count() > 20 {
        // Labels are short; a long run is narrative or a value that mentions a label.
        return Tok::Other;
    }
    if is_title(key) {
        Tok::Title
    } else if matches!(key, "一级指标" | "二级指标" | "三级指标") || is_value_label(key) {
        Tok::Header
    } else if is_block_label(key) {
        Tok::Block
    } else if goal_label(key).is_some() {
        Tok::Goal
    } else if is_opinion_label(key) {
        Tok::Opinion
    } else if is_head_label(key)
        || matches!(key, "项目性质" | "项目类别" | "项目资金")
        || key.starts_with("其中")
        || key.ends_with("资金") && key.chars().count() <= 8
    {
        Tok::Head
    } else if is_pure_l1(key) {
        Tok::L1
    } else if is_l2_label(key) {
        Tok::L2
    } else {
        Tok::Other
    }
}

/// Rebuilds rows from a one-run-per-line stream by its labels: a head label and the runs up
/// to the next label form a row (wrapped values rejoin); label fragments that a narrow cell
/// wrapped (满意度指 / 标) are joined first; in the indicator block, [一级] [二级] 三级 值 form a row.
fn stream_rows(grid: &Grid) -> Grid {
    use crate::ingest::layout::Cell;
    let mut raw: Vec<String> = Vec::new();
    for row in &grid.rows {
        for c in row.iter().filter(|c| !c.is_blank()) {
            // "10,308,000.00 年度资金申请总额": an amount and the next label on one line.
            let parts: Vec<&str> = c.text.split_whitespace().collect();
            if parts.len() == 2 && parse_amount(parts[0]).is_some() && tok_kind(&label_key(parts[1])) != Tok::Other {
                raw.push(parts[0].to_string());
                raw.push(parts[1].to_string());
            } else {
                raw.push(c.text.trim().to_string());
            }
        }
    }
    let mut toks: Vec<(String, Tok)> = Vec::new();
    // Mirrors the row builder below: inside the indicator block, the run after a 三级 name is
    // its value and never joins a label fragment that follows it.
    let (mut in_ind, mut fill) = (false, 0usize);
    let mut i = 0;
    while i < raw.len() {
        let mut taken = 1;
        let mut kind = tok_kind(&label_key(&raw[i]));
        if year_line(&raw[i]).is_some() {
            kind = Tok::Title;
        }
        let expecting_value = in_ind && fill == 1;
        if kind == Tok::Other && !expecting_value {
            // A two-line 二级 cell centred on its 一级 cell's line: 生态环境 / 成本指标 / 文明施工情况.
            if in_ind
                && fill == 0
                && let Some(next) = raw.get(i + 1)
                && is_l1_label(&label_key(next))
                && known_label(&label_key(&format!("{}{next}", raw[i])))
            {
                toks.push((next.clone(), Tok::L1));
                toks.push((format!("{}{next}", raw[i]), Tok::L2));
                i += 2;
                continue;
            }
            for k in 2..=3 {
                if i + k > raw.len() {
                    break;
                }
                // Only fragments join: a run that is a label by itself starts its own token.
                if known_label(&label_key(&raw[i + k - 1])) {
                    break;
                }
                let joined: String = raw[i..i + k].concat();
                let jk = tok_kind(&label_key(&joined));
                if jk != Tok::Other && raw[i..i + k].iter().all(|t| t.chars().count() <= 8) {
                    kind = jk;
                    taken = k;
                    break;
                }
            }
        }
        match kind {
            Tok::Header => (in_ind, fill) = (true, 0),
            Tok::L1 | Tok::L2 => fill = 0,
            Tok::Other if in_ind => fill = if fill == 1 { 0 } else { fill + 1 },
            Tok::Opinion | Tok::Title => in_ind = false,
            _ => {}
        }
        toks.push((raw[i..i + taken].concat(), kind));
        i += taken;
    }

    let mut out = Grid::default();
    let mut row: Vec<String> = Vec::new();
    let flush = |row: &mut Vec<String>, out: &mut Grid| {
        if !row.is_empty() {
            out.rows.push(row.drain(..).map(Cell::new).collect());
        }
    };
    let mut in_indicators = false;
    let mut goal_labels = 0usize;
    let mut goal_text: Vec<String> = Vec::new();
    let mut ind_fill = 0usize; // cells of the current indicator row after its labels
    let mut t = 0;
    while t < toks.len() {
        let (text, kind) = (&toks[t].0, toks[t].1);
        let unit_only = text.starts_with(['（', '(']) && !row.is_empty() && text.chars().count() <= 16;
        match kind {
            _ if unit_only && !in_indicators => {
                if let Some(last) = row.last_mut() {
                    last.push_str(text);
                }
            }
            Tok::Header => {
                if goal_labels > 0 {
                    push_goal_texts(&mut out, &mut goal_text, goal_labels);
                    goal_labels = 0;
                }
                if !in_indicators {
                    flush(&mut row, &mut out);
                    in_indicators = true;
                }
                row.push(text.clone());
                ind_fill = 0;
            }
            Tok::Block => {}
            Tok::Title => {
                flush(&mut row, &mut out);
                out.rows.push(vec![Cell::new(text.clone())]);
            }
            Tok::Opinion => {
                flush(&mut row, &mut out);
                in_indicators = false;
                row.push(text.clone());
            }
            _ if in_indicators => match kind {
                Tok::L1 | Tok::L2 => {
                    if ind_fill > 0 || row.iter().any(|c| matches!(tok_kind(&label_key(c)), Tok::Header)) {
                        if ind_fill == 1 {
                            // A name without a value: keep the value cell so the row stays a row.
                            row.push(String::new());
                        }
                        flush(&mut row, &mut out);
                        ind_fill = 0;
                    }
                    row.push(text.clone());
                }
                _ => {
                    if row.first().is_some_and(|c| tok_kind(&label_key(c)) == Tok::Header) {
                        flush(&mut row, &mut out);
                    }
                    row.push(text.clone());
                    ind_fill += 1;
                    if ind_fill == 2 {
                        flush(&mut row, &mut out);
                        ind_fill = 0;
                    }
                }
            },
            Tok::Goal => {
                if goal_labels == 0 {
                    flush(&mut row, &mut out);
                }
                row.push(text.clone());
                goal_labels += 1;
            }
            Tok::Head | Tok::L1 | Tok::L2 => {
                if goal_labels > 0 {
                    push_goal_texts(&mut out, &mut goal_text, goal_labels);
                    goal_labels = 0;
                }
                flush(&mut row, &mut out);
                row.push(text.clone());
            }
            Tok::Other => {
                if goal_labels > 0 {
                    if goal_text.is_empty() {
                        flush(&mut row, &mut out);
                    }
                    goal_text.push(text.clone());
                } else if row.is_empty() {
                    // Narrative, titles and year lines stay one-cell rows.
                    out.rows.push(vec![Cell::new(text.clone())]);
                } else if row.len() == 1 {
                    row.push(text.clone());
                } else if let Some(last) = row.last_mut() {
                    last.push_str(text);
                }
            }
        }
        t += 1;
    }
    if goal_labels > 0 {
        push_goal_texts(&mut out, &mut goal_text, goal_labels);
    }
    flush(&mut row, &mut out);
    out
}

/// Splits the runs after the goal labels into one text per label: by quotes when the texts
/// are quoted, else at sentence ends.
fn push_goal_texts(out: &mut Grid, runs: &mut Vec<String>, labels: usize) {
    use crate::ingest::layout::Cell;
    let all = runs.concat();
    runs.clear();
    let mut texts: Vec<String> = Vec::new();
    if all.starts_with('"') {
        texts = all.split('"').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect();
    }
    if texts.len() != labels {
        texts.clear();
        let mut cur = String::new();
        for run in runs_or(&all) {
            cur.push_str(&run);
            if cur.ends_with('。') || cur.ends_with('"') {
                texts.push(std::mem::take(&mut cur));
            }
        }
        if !cur.is_empty() {
            texts.push(cur);
        }
        // More sentences than labels: the later ones continue the last text.
        while texts.len() > labels.max(1) {
            let last = texts.pop().unwrap_or_default();
            if let Some(prev) = texts.last_mut() {
                prev.push_str(&last);
            }
        }
    }
    if !texts.is_empty() {
        out.rows.push(texts.into_iter().map(Cell::new).collect());
    }
}

fn runs_or(all: &str) -> Vec<String> {
    // Sentences end at 。 ; keep the mark with its sentence.
    let mut v = Vec::new();
    let mut cur = String::new();
    for c in all.chars() {
        cur.push(c);
        if c == '。' {
            v.push(std::mem::take(&mut cur));
        }
    }
    if !cur.is_empty() {
        v.push(cur);
    }
    v
}
