//! Stage 3, layout: goal texts side by side, split into one text per goal label.

use super::Vocabulary;
use crate::ingest::layout::{Cell, Grid};

/// Splits the runs after the goal labels into one text per label: by quotes when the texts
/// are quoted, else at sentence ends. Returns a note when the split is a guess.
pub(super) fn push_goal_texts(
    out: &mut Grid,
    runs: &mut Vec<String>,
    lines: &[usize],
    (labels, interleaved): (usize, bool),
    words: &dyn Vocabulary,
) -> Option<String> {
    let all = runs.concat();
    let (mut texts, glued) = if interleaved { by_columns(runs, lines, labels, words) } else { (Vec::new(), 0) };
    let mut note = (glued > 0).then(|| format!("goal texts glued on {glued} lines were split at the column's width"));
    if interleaved && texts.is_empty() {
        texts = by_alternation(runs, labels, words);
        if texts.len() == 2 && texts[0] != texts[1] {
            note = Some("goal texts came interleaved line by line: which is the mid-term goal is a guess".into());
        }
    }
    if texts.is_empty() {
        texts = by_line_width(runs, labels);
    }
    runs.clear();
    if texts.is_empty() && all.starts_with('"') {
        texts = all.split('"').map(str::trim).filter(|s| !s.is_empty()).map(str::to_string).collect();
    }
    if texts.len() != labels {
        texts.clear();
        let mut cur = String::new();
        for run in sentences(&all) {
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
    note
}

/// Goal texts side by side on shared lines, as a layout-keeping extractor writes them when
/// the two cells' lines sit at the same height: a line holds the left text's line and the
/// right one's, space-separated, or glued where the left line runs up to the border (its
/// last character and the next cell's first are closer than a space). Once a column's text
/// ends (its line falls short of the column's width), the lines left hold the other column.
/// Returns nothing unless some line holds two texts (then the lines alternate, or widths or
/// sentences decide); with the texts, how many glued lines were split.
pub(super) fn by_columns(
    runs: &[String],
    lines: &[usize],
    labels: usize,
    words: &dyn Vocabulary,
) -> (Vec<String>, usize) {
    if labels != 2 || runs.len() != lines.len() || runs.iter().any(|r| r.contains('"')) {
        return (Vec::new(), 0);
    }
    let rows = text_lines(runs, lines, words);
    let Some(first_pair) = rows.iter().position(|r| r.len() == 2) else { return (Vec::new(), 0) };
    if rows.iter().any(|r| r.len() > 2) {
        return (Vec::new(), 0);
    }
    let pairs: Vec<&Vec<&str>> = rows.iter().filter(|r| r.len() == 2).collect();
    let punct = punctuation_width(&[pairs.iter().map(|r| r[0]).collect(), pairs.iter().map(|r| r[1]).collect()]);
    let line_width = |text: &str| weighed(text, punct);
    let mut width = [0.0f32; 2];
    for r in &pairs {
        for (w, text) in width.iter_mut().zip(r.iter()) {
            *w = w.max(line_width(text));
        }
    }
    // From the first line holding both on, each line's texts go to their columns; a line of
    // one text alone goes to the column still open, and shows that column's width too.
    let mut texts = [String::new(), String::new()];
    let mut known: [Vec<&str>; 2] = [Vec::new(), Vec::new()];
    let mut open = [true, true];
    for row in &rows[first_pair..] {
        let full = |text: &str, col: usize| line_width(text) + 1.5 >= width[col];
        match row.as_slice() {
            [a, b] => {
                texts[0].push_str(a);
                texts[1].push_str(b);
                open = [full(a, 0), full(b, 1)];
                known[0].push(a);
                known[1].push(b);
            }
            [one] => {
                // The column still open takes it, the right one first, unless the line is
                // wider than that column's lines. A line of one text means the other text
                // has ended (lines at one height share a line): the rest go to the same column.
                let fits = |c: usize| line_width(one) <= width[c] + 1.5;
                let col = if open[1] && fits(1) || !(open[0] && fits(0)) && (fits(1) || !fits(0)) { 1 } else { 0 };
                texts[col].push_str(one);
                open = [col == 0, col == 1];
                width[col] = width[col].max(line_width(one));
                known[col].push(one);
            }
            _ => {}
        }
    }
    // Before it, both columns ran: a line of one text holds both, glued.
    let mut glued = [String::new(), String::new()];
    for row in &rows[..first_pair] {
        let Some((a, b)) = row.first().and_then(|one| split_glued(one, &known)) else { return (Vec::new(), 0) };
        glued[0].push_str(a);
        glued[1].push_str(b);
    }
    for (g, t) in glued.iter_mut().zip(&texts) {
        g.push_str(t);
    }
    (glued.into_iter().collect(), first_pair)
}

/// The goal runs as lines (a line per grid row), without the row label's words (项目 / 绩效
/// / 目标) at line starts: short words that spell the goal rows' label (else they are text).
fn text_lines<'a>(runs: &'a [String], lines: &[usize], words: &dyn Vocabulary) -> Vec<Vec<&'a str>> {
    let starts_line = |i: usize| i == 0 || lines[i] != lines[i - 1];
    let dropped = row_label_words(runs, (0..runs.len()).filter(|&i| starts_line(i)), words);
    let mut rows: Vec<Vec<&str>> = Vec::new();
    for (i, run) in runs.iter().enumerate() {
        if starts_line(i) {
            rows.push(Vec::new());
        }
        if let Some(row) = rows.last_mut().filter(|_| !dropped[i]) {
            row.push(run);
        }
    }
    rows.retain(|r| !r.is_empty());
    rows
}

/// Characters that never begin a line (a line-breaking rule every CJK typesetter follows).
const NO_LINE_START: &str = "，。、；：？！）》」』】”’%";

/// How wide the font sets CJK punctuation, in characters (1 or ½): the width under which
/// the columns' full lines agree best; whole where they do not tell.
fn punctuation_width(known: &[Vec<&str>; 2]) -> f32 {
    let spread = |punct: f32| -> f32 { known.iter().filter_map(|k| column_width(k, punct)).map(|w| w.1).sum() };
    if spread(0.5) < spread(1.0) { 0.5 } else { 1.0 }
}

/// A line's width with CJK punctuation counted `punct` of a character (full or half width,
/// as the font sets it).
fn weighed(text: &str, punct: f32) -> f32 {
    let width = |c: char| {
        if c.is_ascii() {
            0.5
        } else if "，。、；：？！（）“”‘’《》".contains(c) {
            punct
        } else {
            1.0
        }
    };
    text.chars().map(width).sum()
}

/// A column's width as its full lines show it (those within a character and a half of the
/// widest), their median and spread; None with fewer than two such lines.
fn column_width(lines: &[&str], punct: f32) -> Option<(f32, f32)> {
    let mut w: Vec<f32> = lines.iter().map(|l| weighed(l, punct)).collect();
    let widest = w.iter().copied().fold(0.0f32, f32::max);
    w.retain(|&x| x + 1.5 >= widest);
    w.sort_by(f32::total_cmp);
    (w.len() >= 2).then(|| (w[w.len() / 2], widest - w[0]))
}

/// Splits a line holding two columns' lines glued into the left and right lines, by the
/// widths the columns' `known` lines show: under the punctuation width that makes each
/// column's full lines agree best, the cut nearest both widths, never before a character that
/// cannot begin a line. Where no column shows two full lines, the widest known line of either
/// column sets its width. None when the line is no wider than a column.
fn split_glued<'a>(line: &'a str, known: &[Vec<&str>; 2]) -> Option<(&'a str, &'a str)> {
    let punct = punctuation_width(known);
    let mut width = [column_width(&known[0], punct), column_width(&known[1], punct)].map(|w| w.map(|w| w.0));
    if width.iter().all(Option::is_none) {
        let widest = |c: usize| known[c].iter().map(|l| weighed(l, punct)).fold(0.0f32, f32::max);
        let c = usize::from(widest(1) >= widest(0));
        width[c] = Some(widest(c));
    }
    let most = width.iter().flatten().copied().fold(0.0f32, f32::max);
    if weighed(line, punct) <= most + 2.0 {
        return None;
    }
    // A column's lines reach its width at most: a cut past it is the worse of two.
    let off = |text: &str, w: Option<f32>| {
        w.map_or(0.0, |w| {
            let d = weighed(text, punct) - w;
            if d > 0.0 { d + 0.25 } else { -d }
        })
    };
    line.char_indices()
        .map(|(i, _)| i)
        .skip(1)
        .filter(|&i| !line[i..].starts_with(|c| NO_LINE_START.contains(c)))
        .min_by(|&i, &j| {
            let cost = |k: usize| off(&line[..k], width[0]) + off(&line[k..], width[1]);
            cost(i).total_cmp(&cost(j))
        })
        .map(|i| line.split_at(i))
}

/// Goal texts side by side as a layout-keeping extractor writes them: the lines of the two
/// columns interleaved, each at its own column's width, the row label (项目 / 绩效 / 目标) a
/// word among them. Lines alternate between the columns until one column's text ends (a line
/// shorter than its column), after which the other column's lines follow alone. Returns
/// nothing when the widths do not bear that out (then the other readings decide).
pub(super) fn by_alternation(runs: &[String], labels: usize, words: &dyn Vocabulary) -> Vec<String> {
    let dropped = row_label_words(runs, 0..runs.len(), words);
    let lines: Vec<&String> = runs.iter().zip(&dropped).filter(|(_, d)| !**d).map(|(r, _)| r).collect();
    if labels != 2 || lines.len() < 4 {
        return Vec::new();
    }
    let len = |s: &String| s.chars().count();
    let width = [0, 1].map(|p| lines.iter().skip(p).step_by(2).take(2).map(|s| len(s)).max().unwrap_or(0));
    let mut texts = [String::new(), String::new()];
    let mut ended = [false, false];
    let mut next = 0;
    for line in lines {
        let col = if ended[next] { 1 - next } else { next };
        let n = len(line);
        if ended[col] || n > width[col] + 2 {
            return Vec::new();
        }
        texts[col].push_str(line);
        ended[col] = n + 2 < width[col];
        next = 1 - col;
    }
    texts.into_iter().collect()
}

/// The runs, among `candidates`, that spell the goal rows' label printed a word at a time
/// (项目 / 绩效 / 目标): the first short words up to the one that completes it; none when
/// they never do (then they are text).
fn row_label_words(runs: &[String], candidates: impl Iterator<Item = usize>, words: &dyn Vocabulary) -> Vec<bool> {
    let mut label = String::new();
    let mut dropped = vec![false; runs.len()];
    for i in candidates.filter(|&i| is_label_piece(&runs[i])) {
        label.push_str(&runs[i]);
        dropped[i] = true;
        if words.is_goal_row_label(&label) {
            return dropped;
        }
    }
    vec![false; runs.len()]
}

/// A word of a row label printed a word per line between wrapped texts (项目 / 绩效 / 目标).
fn is_label_piece(run: &str) -> bool {
    let n = run.chars().count();
    (1..=2).contains(&n) && run.chars().all(|c| c.is_alphabetic())
}

/// Goal texts side by side come out column after column, each wrapped at its own cell's
/// width: a column's lines are about equally long and its last line is no longer than they
/// are. Splits the runs into `labels` such columns, or returns nothing when the widths do not
/// tell (then sentences do).
pub(super) fn by_line_width(runs: &[String], labels: usize) -> Vec<String> {
    let len = |i: usize| runs[i].chars().count();
    if labels != 2 || runs.len() < 2 {
        return Vec::new();
    }
    if runs.len() == 2 {
        return runs.to_vec();
    }
    // Widths of a column differ by a character or two where digits or Latin letters sit.
    let near = |a: usize, b: usize| a.abs_diff(b) <= 2;
    // A shorter line that ends a sentence is a paragraph's end inside the column.
    let paragraph_end = |i: usize| len(i) < len(0) && runs[i].ends_with(['。', '！', '；']);
    let column_ok =
        |from: usize, to: usize| (from..to.saturating_sub(1)).all(|i| near(len(i), len(from)) || paragraph_end(i));
    for k in 1..runs.len() {
        let ends_short = len(k - 1) + 2 < len(0);
        let new_width = !near(len(k), len(0));
        if (ends_short || new_width) && column_ok(0, k) && column_ok(k, runs.len()) {
            return vec![runs[..k].concat(), runs[k..].concat()];
        }
    }
    Vec::new()
}

fn sentences(all: &str) -> Vec<String> {
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
