//! Stage 3, layout: the text-run reader, which rebuilds rows from a PDF extraction that wrote one run per line.
//!
//! Such a stream has no rows left to split: where a row began can only be told from the
//! form's labels. This reader has the mechanism (which runs start, continue or end a row)
//! and asks a [`Vocabulary`] for the words, so the layout stage knows no form labels itself.

mod goals;
mod joined;

use std::collections::VecDeque;

use compact_str::CompactString;

use super::{Cell, Grid, Inference, tsv};
use goals::push_goal_texts;
#[cfg(test)]
use goals::{by_alternation, by_columns, by_line_width};
use joined::{is_space_joined, is_space_joined_lines, space_runs};
#[cfg(test)]
use joined::{names_around_values, wrapped_around};

/// What a run of text is to the form it belongs to, as told by a [`Vocabulary`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunKind {
    /// A form title or a budget-year line: a row of its own.
    Title,
    /// A head-block label (项目名称, 年度资金总额 …): starts a row; the runs after it are its value.
    Head,
    /// A goal label: the goal texts follow all goal labels of the row.
    Goal,
    /// A column label of the indicator header (一级指标, 指标值 …): starts the indicator block.
    Header,
    /// A 一级 label in the indicator block.
    L1,
    /// A 二级 label in the indicator block.
    L2,
    /// A row-block label (绩效指标) that holds no cell of its own: dropped.
    Block,
    /// The approval-opinion label: ends the indicator block.
    Opinion,
    /// Not a label: a value, narrative, or a fragment of a wrapped label.
    Other,
}

/// What a [`Vocabulary`] tells of one run, read once: the text-run reader keeps it beside the
/// run in its window, so a run looked ahead to is not read again when it comes up.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    /// What the run is as a whole.
    pub kind: RunKind,
    /// A complete label, not a fragment that happens to look like one (a run ending in 指标).
    pub whole_label: bool,
    /// A 一级 label, which may sit between the two lines of a wrapped 二级 label.
    pub level1: bool,
    /// A line naming the budget year (`（2022年度）`).
    pub year_line: bool,
}

/// The words of a form, supplied by the form stage. Every method gets a run as extracted
/// (wrap spaces, brackets and all).
///
/// A run the readers hold is asked once, for its [`Facts`]; text asked about as a label once (a
/// join of two runs, a prefix or suffix of one) is asked for its [`Vocabulary::label_facts`],
/// once, whatever of them the reader needs.
pub trait Vocabulary {
    /// What [`Facts`] holds about `run` as a label, from one reading of it, with `year_line`
    /// left `false`: a year line is a question of its own, asked only of runs that become rows.
    fn label_facts(&self, run: &str) -> Facts;
    /// A line naming the budget year (`（2022年度）`).
    fn is_year_line(&self, run: &str) -> bool;
    /// An amount, which an extractor may put on one line with the label after it.
    fn is_amount(&self, run: &str) -> bool;
    /// Everything [`Facts`] holds about `run`.
    fn facts(&self, run: &str) -> Facts {
        Facts { year_line: self.is_year_line(run), ..self.label_facts(run) }
    }
    /// What the run is as a whole.
    fn kind(&self, run: &str) -> RunKind {
        self.label_facts(run).kind
    }
    /// A complete label, not a fragment that happens to look like one (a run ending in 指标).
    fn is_whole_label(&self, run: &str) -> bool {
        self.label_facts(run).whole_label
    }
    /// A 一级 label, which may sit between the two lines of a wrapped 二级 label.
    fn is_level1(&self, run: &str) -> bool {
        self.label_facts(run).level1
    }
    /// The label of the goal rows (项目绩效目标, 年度目标 …), which an extractor may print a
    /// word per line between the goal texts.
    fn is_goal_row_label(&self, run: &str) -> bool {
        matches!(self.kind(run), RunKind::Goal | RunKind::Block)
    }
    /// The most characters a run (as extracted: wrap spaces, brackets and all) has and is
    /// still a label. Only prefixes and suffixes of a run this short are asked about as labels
    /// it may begin or end with: each question reads the text asked about, so asking about
    /// every one of them made a long run quadratic.
    fn label_max_chars(&self) -> usize {
        usize::MAX
    }
    /// Where a 一级 label ends that begins a longer run, if any: the longest prefix of two
    /// characters and more, short of the whole run, that [`Vocabulary::is_level1`] and whose
    /// kind is [`RunKind::L1`] (see [`level1_prefix`]).
    fn leading_level1(&self, run: &str) -> Option<usize> {
        level1_prefix(run, self, |_| true)
    }
    /// Where the last character of `run` starts that every head label's text holds one of:
    /// a suffix that starts after it is no head label, and is not asked about as one. `None`
    /// when `run` holds none, so no suffix of it is a head label. By default any suffix may be
    /// one.
    fn last_head_mark(&self, run: &str) -> Option<usize> {
        run.char_indices().next_back().map(|(i, _)| i)
    }
}

/// No words at all: every run is `Other`. Readers given it rebuild nothing from labels.
#[cfg(test)]
pub(crate) struct NoWords;

#[cfg(test)]
impl Vocabulary for NoWords {
    fn label_facts(&self, _: &str) -> Facts {
        Facts { kind: RunKind::Other, whole_label: false, level1: false, year_line: false }
    }
    fn is_year_line(&self, _: &str) -> bool {
        false
    }
    fn is_amount(&self, _: &str) -> bool {
        false
    }
}

/// The grid the form reads: `grid` itself, or its rows rebuilt by `words` when it is a
/// one-run-per-line stream.
pub fn regrid(grid: Grid, words: &dyn Vocabulary) -> Grid {
    regrid_noting(grid, words).0
}

/// [`regrid`], with the readings it guessed (goal columns split by width, names rejoined
/// around their value), at the rows they concern.
pub fn regrid_noting(grid: Grid, words: &dyn Vocabulary) -> (Grid, Vec<Inference>) {
    if !is_stream(&grid) {
        (grid, Vec::new())
    } else if is_space_joined(&grid, words) {
        let (lines, by_row, rejoined) = space_runs(&grid, words);
        // The words are all the grid held: it is not kept while the rows are rebuilt.
        drop(grid);
        let n = lines.rows.len();
        stream_rows(cells_of(lines), n, words, (true, by_row), &rejoined)
    } else {
        let n = grid.rows.len();
        stream_rows(cells_of(grid), n, words, (false, false), &[])
    }
}

/// The text-run reader straight from tab text or lines (see [`tsv::lines`]), without the grid
/// of a row per line that the tab reader would build first: the runs are read from the text
/// as the rows are rebuilt, so a million one-line runs are never a million rows twice over.
/// `None` when the text is no plain one-run-per-line stream (the tab reader's grid is then
/// read, and regridded if it is a space-joined one).
pub fn read_lines(text: &str, words: &dyn Vocabulary) -> Option<(Grid, Vec<Inference>)> {
    // Lines are counted first, and then cells only until they rule a stream out: a table does
    // within its first rows, where reading every line's cells was a second full pass over
    // each tab-text file before the tab reader's own.
    let n = tsv::lines(text).count();
    let most = n / 20;
    let multi = match memchr::memchr(b'\t', text.as_bytes()) {
        None => 0,
        Some(_) => tsv::lines(text)
            .filter(|line| tsv::cells(line).filter(|c| !c.is_empty()).nth(1).is_some())
            .take(most + 1)
            .count(),
    };
    if !is_stream_of(n, multi) || is_space_joined_lines(tsv::lines(text).map(|l| l.split_whitespace()), words) {
        return None;
    }
    // The cells untrimmed: `runs` trims each, and trimming them here too read every run twice.
    Some(stream_rows(tsv::lines(text).map(|line| line.split('\t')), n, words, (false, false), &[]))
}

/// A PDF extractor that writes one text run per line leaves no rows at all: the form must be
/// recovered from its labels.
fn is_stream(grid: &Grid) -> bool {
    let rows = grid.rows.len();
    // Every grid is asked: counting stops one row past the most a stream may have (a table's
    // grid is told after a few rows), and a row's cells at its second non-blank one.
    let most = rows / 20;
    let multi = grid.rows.iter().filter(|r| r.iter().filter(|c| !c.is_blank()).nth(1).is_some()).take(most + 1).count();
    is_stream_of(rows, multi)
}

/// Whether `rows` rows of which `multi` hold more than one cell are a stream (see [`is_stream`]).
fn is_stream_of(rows: usize, multi: usize) -> bool {
    rows >= 10 && multi * 20 <= rows
}

/// The cell texts of a grid's rows, each row freed once read.
fn cells_of(grid: Grid) -> impl Iterator<Item = impl Iterator<Item = CompactString>> {
    grid.rows.into_iter().map(|row| row.into_iter().map(|c| c.text))
}

/// Rebuilds rows from a one-run-per-line stream by its labels: a head label and the runs up
/// to the next label form a row (wrapped values rejoin); label fragments that a narrow cell
/// wrapped (满意度指 / 标) are joined first; in the indicator block, [一级] [二级] 三级 值 form a row.
/// `lines` (the cells of each of `n_lines` lines) are read as the rows are rebuilt.
/// `interleaved`: lines of side-by-side cells came interleaved (a space-joined layout).
/// `by_row`: the grid's lines each hold a whole row, so a label alone on its line is told.
/// `rejoined`: lines holding a name rejoined around its value, noted at the row they make.
fn stream_rows<C: AsRef<str>>(
    lines: impl Iterator<Item = impl Iterator<Item = C>>,
    n_lines: usize,
    words: &dyn Vocabulary,
    (interleaved, by_row): (bool, bool),
    rejoined: &[usize],
) -> (Grid, Vec<Inference>) {
    // The runs are read from the lines as they are asked for: a line is freed once read, and
    // a million one-line runs are never all in memory (a list of them took 41 MB).
    let runs = runs(lines, words);
    let mut rows = Rows { interleaved, ..Rows::default() };
    if !by_row {
        // Nothing looks ahead at the tokens: each goes into its row as it is read, and the
        // tokens of a long stream are never all held (a million took 48 MB).
        tokens(runs, words, &mut |t| rows.take(t, false, rejoined, words));
        return rows.finish(words);
    }
    let mut toks = Vec::new();
    tokens(runs, words, &mut |t| toks.push(t));
    // Lines that hold labels only: a label alone on its line sits between two rows.
    let mut label_only = vec![true; n_lines];
    for t in toks.iter().filter(|t| !matches!(t.kind, RunKind::L1 | RunKind::L2 | RunKind::Block)) {
        label_only[t.lines.0..=t.lines.1].fill(false);
    }
    for t in toks {
        if crate::ingest::deadline::tick() {
            break;
        }
        let alone = label_only[t.lines.0..=t.lines.1].iter().all(|&b| b);
        rows.take(t, alone, rejoined, words);
    }
    rows.finish(words)
}

/// The lines (first and last grid row) a run or token was read from.
type Lines = (usize, usize);

/// A classified run and the lines it came from.
struct Token {
    text: String,
    kind: RunKind,
    lines: Lines,
}

/// A run of the stream: its text, what the vocabulary told of it, and the lines it came from.
type Run = (String, Facts, Lines);

/// The non-blank runs of the lines' cells in reading order, each with its facts and line,
/// read from the lines as they are asked for.
fn runs<'a, C: AsRef<str>>(
    lines: impl Iterator<Item = impl Iterator<Item = C>> + 'a,
    words: &'a dyn Vocabulary,
) -> impl Iterator<Item = Run> + 'a {
    let mut lines = lines.enumerate();
    // The runs of the line being read: at most two a cell.
    let mut line_runs: VecDeque<Run> = VecDeque::new();
    std::iter::from_fn(move || {
        loop {
            if let Some(run) = line_runs.pop_front() {
                return Some(run);
            }
            let (r, cells) = lines.next()?;
            for c in cells {
                let text = c.as_ref().trim();
                if text.is_empty() {
                    continue;
                }
                // "10,308,000.00 年度资金申请总额": an amount and the next label on one line.
                let mut parts = text.split_whitespace();
                let two = match (parts.next(), parts.next(), parts.next()) {
                    (Some(a), Some(b), None) if words.is_amount(a) => Some((a, b, words.facts(b))),
                    _ => None,
                };
                let ((value, value_facts), label) = match two.filter(|(_, _, f)| f.kind != RunKind::Other) {
                    Some((amount, label, facts)) => ((amount, words.facts(amount)), Some((label, facts))),
                    None => {
                        let whole = words.facts(text);
                        match split_trailing_label(text, whole, words) {
                            Some((value, label, facts)) => ((value, words.facts(value)), Some((label, facts))),
                            None => ((text, whole), None),
                        }
                    }
                };
                line_runs.push_back((value.to_string(), value_facts, (r, r)));
                line_runs.extend(label.map(|(l, f)| (l.to_string(), f, (r, r))));
            }
        }
    })
}

/// A run an extractor merged across two cells, a value and the head label of the next cell
/// (`经常性项目项目类别`, `4,563,800.00年度资金申请总额`): split where the longest trailing head
/// label begins, returned with the label's facts. A run that is a label as a whole (its
/// `facts`) is never split (项目资金总额 ends in 资金总额).
fn split_trailing_label<'a>(run: &'a str, facts: Facts, words: &dyn Vocabulary) -> Option<(&'a str, &'a str, Facts)> {
    // A run read as a label as a whole may still be an amount glued to one
    // (`4,563,800.00年度资金申请总额` mentions 资金 and 年度).
    let labelled = facts.kind != RunKind::Other;
    // Only a suffix short enough to be a label is asked about (see `label_max_chars`), and one
    // of four characters at least.
    let chars = run.chars().count();
    let first = chars.saturating_sub(words.label_max_chars()).max(2);
    // Most suffixes hold none of the characters every head label holds one of, and are not
    // read: the run is searched for the last of them once, when a suffix is first looked at.
    let mut last_mark = None;
    run.char_indices().take(chars.saturating_sub(3)).skip(first).find_map(|(i, c)| {
        // A label starts with a word, not inside the number before it.
        if c.is_ascii_digit() || c.is_ascii_punctuation() {
            return None;
        }
        if i > (*last_mark.get_or_insert_with(|| words.last_head_mark(run)))? {
            return None;
        }
        let (value, label) = (run[..i].trim_end(), &run[i..]);
        if value.is_empty() {
            return None;
        }
        // Values merged this way are short cells; a narrative line that happens to end in
        // 资金 is not a value and a label. The value is looked at before the label is read:
        // reading each suffix of a run as a label was most of this reader's work, and the
        // suffixes of a narrative line leave values far too long.
        let fits = if !labelled && value.chars().nth(16).is_none() { true } else { words.is_amount(value) };
        if !fits {
            return None;
        }
        // One reading of the suffix tells both: a head label, and a whole one.
        let facts = words.label_facts(label);
        (facts.kind == RunKind::Head && facts.whole_label)
            .then(|| (value, label, Facts { year_line: words.is_year_line(label), ..facts }))
    })
}

/// Classifies the runs, joining the fragments of labels a narrow cell wrapped; each token is
/// handed to `emit` in reading order.
///
/// The runs are read through a window of [`AHEAD`] runs, the furthest any join looks ahead
/// (a wrapped label's tail at most five runs on), so a long stream's runs are never all held.
fn tokens(runs: impl Iterator<Item = Run>, words: &dyn Vocabulary, emit: &mut dyn FnMut(Token)) {
    let mut runs = join_quoted(runs, words);
    // The window, as three lists side by side: the helpers read the texts as one slice.
    let mut raw: Vec<String> = Vec::with_capacity(AHEAD);
    let mut facts: Vec<Facts> = Vec::with_capacity(AHEAD);
    let mut lines: Vec<Lines> = Vec::with_capacity(AHEAD);
    // Mirrors the row builder: inside the indicator block, the run after a 三级 name is its
    // value and never joins a label fragment that follows it.
    let (mut in_ind, mut fill) = (false, 0usize);
    loop {
        while raw.len() < AHEAD
            && let Some((run, f, at)) = runs.next()
        {
            raw.push(run);
            facts.push(f);
            lines.push(at);
        }
        if raw.is_empty() || crate::ingest::deadline::tick() {
            break;
        }
        // The runs read: the window moves on by them (at most `AHEAD` runs move down).
        let read = token(
            Window { raw: &mut raw, facts: &mut facts, lines: &mut lines },
            (&mut in_ind, &mut fill),
            words,
            emit,
        );
        raw.drain(..read);
        facts.drain(..read);
        lines.drain(..read);
    }
}

/// The runs [`tokens`] looks at: texts, their facts and their lines, index for index.
struct Window<'w> {
    raw: &'w mut [String],
    facts: &'w mut [Facts],
    lines: &'w mut [Lines],
}

/// How many runs the text-run reader holds at once: the window [`tokens`] reads through.
const AHEAD: usize = 8;

/// Reads the token (or two) at the start of the window, and returns how many runs it took.
fn token(
    w: Window,
    (in_ind, fill): (&mut bool, &mut usize),
    words: &dyn Vocabulary,
    emit: &mut dyn FnMut(Token),
) -> usize {
    let Window { raw, facts, lines } = w;
    let tok = |text: String, kind: RunKind, lines: Lines| Token { text, kind, lines };
    let mut taken = 1;
    let mut kind = facts[0].kind;
    if facts[0].year_line {
        kind = RunKind::Title;
    }
    let expecting_value = *in_ind && *fill == 1;
    // Checked at any place in a row: a wrapped name before it may have shifted the count.
    if kind == RunKind::Other
        && *in_ind
        && let Some(cut) = words.leading_level1(&raw[0])
        && completes_level2(&raw[0][cut..], &raw[1..], words)
    {
        // 满意度指标服务对象满意: a 一级 label merged with the head of the 二级 label after it.
        // The label is this step's token and the rest takes the run's place, read next: an
        // insert into `raw` would move every run after it (quadratic over a whole stream).
        let rest = raw[0].split_off(cut);
        let label = std::mem::replace(&mut raw[0], rest);
        facts[0] = words.facts(&raw[0]);
        *fill = 0;
        emit(tok(label, RunKind::L1, lines[0]));
        return 0;
    }
    if kind == RunKind::Other && !expecting_value {
        // A 二级 label wrapped around the middle of its block: its head above the row and
        // its tail below it (服务对象满意度 / 满意度指标 居民满意度 满意度 / 指标). Tried before
        // the head joins the 一级 label after it: 服务对象满意度满意度指标 reads as a label too.
        if *in_ind
            && *fill == 0
            && let Some(tail) = wrapped_tail(raw, facts, 0, words)
        {
            *fill = 0;
            return join_wrapped_tail(Window { raw, facts, lines }, (0, tail), emit);
        }
        // A two-line 二级 cell centred on its 一级 cell's line: 生态环境 / 成本指标 / 文明施工情况.
        if *in_ind
            && *fill == 0
            && let Some(next) = raw.get(1)
            && facts[1].level1
            && let label = [raw[0].as_str(), next].concat()
            && words.is_whole_label(&label)
        {
            emit(tok(next.clone(), RunKind::L1, lines[1]));
            emit(tok(label, RunKind::L2, (lines[0].0, lines[1].1)));
            return 2;
        }
        if let Some((k, n)) = joined_label(raw, facts, words) {
            (kind, taken) = (k, n);
        }
    }
    match kind {
        RunKind::Header => (*in_ind, *fill) = (true, 0),
        RunKind::L1 | RunKind::L2 => *fill = 0,
        RunKind::Other if *in_ind => *fill = if *fill == 1 { 0 } else { *fill + 1 },
        RunKind::Opinion | RunKind::Title => *in_ind = false,
        _ => {}
    }
    // A run that is a token by itself moves into it: only the runs after it are looked at
    // from here on, and a copy of every run took as much again on a stream of short lines.
    let text = if taken == 1 { std::mem::take(&mut raw[0]) } else { raw[..taken].concat() };
    emit(tok(text, kind, (lines[0].0, lines[taken - 1].1)));
    taken
}

/// Emits the 二级 label whose head is `raw[i]` and whose tail is `raw[tail]`, after the 一级
/// label that follows the head if there is one; returns the index of the next run to read.
///
/// The tail is taken out by moving it in front of the head and stepping over both: the runs
/// between them keep their order, and nothing past the tail moves (a `remove` moved every run
/// after it, quadratic over a whole stream).
fn join_wrapped_tail(w: Window, (i, tail): (usize, usize), emit: &mut dyn FnMut(Token)) -> usize {
    let Window { raw, facts, lines } = w;
    let label = [raw[i].as_str(), &raw[tail]].concat();
    let span = (lines[i].0, lines[tail].1);
    raw[i..=tail].rotate_right(1);
    facts[i..=tail].rotate_right(1);
    lines[i..=tail].rotate_right(1);
    let next = i + 2;
    let l1_next = facts.get(next).is_some_and(|f| f.level1);
    if l1_next {
        emit(Token { text: raw[next].clone(), kind: RunKind::L1, lines: lines[next] });
    }
    emit(Token { text: label, kind: RunKind::L2, lines: span });
    next + usize::from(l1_next)
}

/// A name or text in quotes that an extractor wrapped over several runs
/// (`"提升居民、驻区单位质量 … 提升驻区企` / `业，依法统计意识 优化营商环境"`) is one run.
///
/// Joined as the runs are read, through a window of the four runs a quoted text may span: a
/// second list of a million runs next to the first was most of the reader's memory on a
/// stream of short lines.
fn join_quoted<'a>(
    mut runs: impl Iterator<Item = Run> + 'a,
    words: &'a dyn Vocabulary,
) -> impl Iterator<Item = Run> + 'a {
    let mut ahead: VecDeque<Run> = VecDeque::with_capacity(4);
    std::iter::from_fn(move || {
        while ahead.len() < 4
            && let Some(run) = runs.next()
        {
            ahead.push_back(run);
        }
        let (run, _, _) = ahead.front()?;
        let open = run.starts_with('"') && run.matches('"').count() == 1;
        let close = open
            .then(|| {
                (1..ahead.len())
                    .take_while(|&j| ahead[j].1.kind == RunKind::Other)
                    .find(|&j| ahead[j].0.matches('"').count() == 1 && ahead[j].0.ends_with('"'))
            })
            .flatten();
        match close {
            Some(end) => {
                let at = (ahead[0].2.0, ahead[end].2.1);
                let text: String = ahead.drain(..=end).map(|(t, _, _)| t).collect();
                let facts = words.facts(&text);
                Some((text, facts, at))
            }
            _ => ahead.pop_front(),
        }
    })
}

/// Where a 一级 label ends that begins a longer run (see [`Vocabulary::leading_level1`]), asking
/// only about the prefixes `run[..cut]` for which `may_end(cut)` holds: a vocabulary that can
/// tell from where a prefix ends that it is no 一级 label leaves it out.
///
/// Only a prefix short enough to be a label is asked about (see `label_max_chars`): at most
/// that many characters of a long run are read, however long it is.
pub fn level1_prefix<W: Vocabulary + ?Sized>(run: &str, words: &W, may_end: impl Fn(usize) -> bool) -> Option<usize> {
    // Prefixes of two characters up to the longest label's, tried longest first.
    let most = words.label_max_chars();
    let mut ends = run.char_indices().map(|(i, _)| i);
    let shortest = ends.nth(2).filter(|_| most >= 2)?;
    let longest = ends.nth(most.saturating_sub(2)).unwrap_or(run.len());
    let mut cuts = run[..longest].char_indices().map(|(i, _)| i).rev().take_while(|&i| i >= shortest);
    // `is_level1` first: it is the cheaper question, and rules out nearly every prefix.
    cuts.find(|&c| may_end(c) && words.is_level1(&run[..c]) && words.kind(&run[..c]) == RunKind::L1)
}

/// Where the tail of a 二级 label begins whose head is `raw[i]`: a short fragment within the
/// next few runs that completes it (the row's 一级, name and value may sit in between).
fn wrapped_tail(raw: &[String], facts: &[Facts], i: usize, words: &dyn Vocabulary) -> Option<usize> {
    let head = &raw[i];
    if facts[i].whole_label || head.chars().count() > 10 {
        return None;
    }
    // A 三级 name followed by its target (居民满意度 90%) is no label's head, whatever
    // fragment comes later.
    let numeric = |r: &str| r.chars().any(|c| c.is_ascii_digit() || matches!(c, '%' | '％' | '≥' | '≤'));
    if raw.get(i + 1).is_some_and(|n| numeric(n)) {
        return None;
    }
    (i + 1..raw.len().min(i + 6)).find(|&j| {
        let tail = &raw[j];
        tail.chars().count() <= 4 && !facts[j].whole_label && is_level2(&[head.as_str(), tail].concat(), words)
    })
}

fn is_level2(run: &str, words: &dyn Vocabulary) -> bool {
    let facts = words.label_facts(run);
    facts.kind == RunKind::L2 && facts.whole_label
}

/// Whether `rest` (what follows a 一级 label in a merged run) is a 二级 label or the head of
/// one whose tail is among the next runs: a 三级 name that begins with 效益指标 is not split.
fn completes_level2(rest: &str, next: &[String], words: &dyn Vocabulary) -> bool {
    is_level2(rest, words)
        || rest.chars().count() <= 10
            && next.iter().take(5).any(|t| t.chars().count() <= 4 && is_level2(&[rest, t].concat(), words))
}

/// A label wrapped over the first two or three of `runs`: its kind and how many runs it takes.
fn joined_label(runs: &[String], facts: &[Facts], words: &dyn Vocabulary) -> Option<(RunKind, usize)> {
    for k in 2..=3 {
        if k > runs.len() {
            break;
        }
        // Only fragments join: a run that is a label by itself starts its own token.
        if facts[k - 1].whole_label {
            break;
        }
        // Fragments are short: the join is read only when every one is.
        if runs[..k].iter().any(|t| t.chars().nth(8).is_some()) {
            continue;
        }
        let jk = words.kind(&runs[..k].concat());
        if jk != RunKind::Other {
            return Some((jk, k));
        }
    }
    None
}

/// The row builder: takes classified runs in order and closes a row where the labels say one ends.
#[derive(Default)]
struct Rows {
    /// Lines of side-by-side cells came interleaved (a space-joined layout extractor).
    interleaved: bool,
    out: Grid,
    row: Vec<String>,
    in_indicators: bool,
    goal_labels: usize,
    goal_text: Vec<String>,
    /// The line of each goal text run: goal texts side by side share lines.
    goal_lines: Vec<usize>,
    /// Cells of the current indicator row after its labels.
    ind_fill: usize,
    /// The line of the run being pushed.
    line: usize,
    /// The current row holds only labels, each alone on its line (with no name or value).
    labels_alone: bool,
    /// Readings guessed, at the output rows they concern.
    notes: Vec<Inference>,
}

impl Rows {
    /// Takes the next token: `alone` when it is a label alone on its line (see `stream_rows`).
    fn take(&mut self, t: Token, alone: bool, rejoined: &[usize], words: &dyn Vocabulary) {
        if rejoined.contains(&t.lines.0) && self.line != t.lines.0 {
            let note = "a 三级 name wrapped around its value's line was rejoined".to_string();
            self.notes.push(Inference { row: self.out.rows.len() + usize::from(!self.row.is_empty()), note });
        }
        self.line = t.lines.0;
        self.push(t.text, t.kind, alone, words);
    }

    fn flush(&mut self) {
        if !self.row.is_empty() {
            self.out.rows.push(self.row.drain(..).map(Cell::new).collect());
        }
    }

    /// Writes the goal texts collected after the goal labels, if any.
    fn end_goals(&mut self, words: &dyn Vocabulary) {
        if self.goal_labels > 0 {
            let lines = std::mem::take(&mut self.goal_lines);
            let note = push_goal_texts(
                &mut self.out,
                &mut self.goal_text,
                &lines,
                (self.goal_labels, self.interleaved),
                words,
            );
            if let Some(note) = note {
                self.notes.push(Inference { row: self.out.rows.len().saturating_sub(1), note });
            }
            self.goal_labels = 0;
        }
    }

    fn push(&mut self, text: String, kind: RunKind, alone: bool, words: &dyn Vocabulary) {
        let unit_only = text.starts_with(['（', '(']) && !self.row.is_empty() && text.chars().count() <= 16;
        match kind {
            // A bracketed remark completes a label standing alone (项目资金 / （元）); after a
            // label and its value it belongs to neither and stands on its own.
            _ if unit_only && !self.in_indicators && self.row.len() >= 2 => {
                self.flush();
                self.out.push_line(text);
            }
            _ if unit_only && !self.in_indicators => {
                if let Some(last) = self.row.last_mut() {
                    last.push_str(&text);
                }
            }
            RunKind::Header => {
                self.end_goals(words);
                if !self.in_indicators {
                    self.flush();
                    self.in_indicators = true;
                }
                self.row.push(text);
                self.ind_fill = 0;
            }
            RunKind::Block => {}
            RunKind::Title => {
                // A title starts the next form: its head block is no indicator row.
                self.end_goals(words);
                self.flush();
                self.in_indicators = false;
                self.ind_fill = 0;
                self.out.push_line(text);
            }
            RunKind::Opinion => {
                self.flush();
                self.in_indicators = false;
                self.row.push(text);
            }
            _ if self.in_indicators => self.indicator_run(text, kind, alone, words),
            RunKind::Goal => {
                if self.goal_labels == 0 {
                    self.flush();
                }
                self.row.push(text);
                self.goal_labels += 1;
            }
            RunKind::Head | RunKind::L1 | RunKind::L2 => {
                self.end_goals(words);
                self.flush();
                self.row.push(text);
            }
            RunKind::Other => self.other_run(text),
        }
    }

    /// In the indicator block, [一级] [二级] 三级 值 form a row.
    fn indicator_run(&mut self, text: String, kind: RunKind, alone: bool, words: &dyn Vocabulary) {
        let is_header = |c: &String| words.kind(c) == RunKind::Header;
        if matches!(kind, RunKind::L1 | RunKind::L2) {
            if self.ind_fill > 0 || self.row.iter().any(is_header) {
                if self.ind_fill == 1 && self.rejoin_wrapped_name() {
                    self.row.clear();
                } else if self.ind_fill == 1 {
                    // A name without a value: keep the value cell so the row stays a row.
                    self.row.push(String::new());
                }
                self.flush();
                self.ind_fill = 0;
            }
            if self.labels_alone && !alone && self.ind_fill == 0 {
                // A row's own label after labels alone on the line above: those stand apart.
                self.flush();
            }
            self.labels_alone = alone && (self.row.is_empty() || self.labels_alone);
            self.row.push(text);
            return;
        }
        // Labels alone on their line were printed between two rows, at the middle of their
        // block: a row of their own, so the block is known to reach the rows on both sides.
        if self.row.first().is_some_and(is_header) || self.labels_alone && self.ind_fill == 0 {
            self.flush();
        }
        self.labels_alone = false;
        self.row.push(text);
        self.ind_fill += 1;
        if self.ind_fill == 2 {
            self.flush();
            self.ind_fill = 0;
        }
    }

    /// A 三级 name wrapped over two runs reads as name and value, and its real value then stands
    /// alone before the next label (全面提升…牢固树 / 立全心全意为民服务意识 / 有效). When the lone
    /// run is short and the row before took a longer, non-numeric text as its value, that text
    /// ends the name and the lone run is the value. True when the row before was mended.
    fn rejoin_wrapped_name(&mut self) -> bool {
        let [lone] = self.row.as_slice() else { return false };
        let Some(prev) = self.out.rows.last_mut() else { return false };
        let n = prev.len();
        if n < 2 {
            return false;
        }
        let value = &prev[n - 1].text;
        let numeric =
            |t: &str| t.chars().any(|c| c.is_ascii_digit() || matches!(c, '≥' | '≤' | '%' | '％' | '<' | '>' | '='));
        let len = |t: &str| t.chars().count();
        if len(lone) > 6 || len(value) <= len(lone) || numeric(value) || prev[n - 2].text.is_empty() {
            return false;
        }
        let tail = std::mem::replace(&mut prev[n - 1].text, lone.into());
        prev[n - 2].text.push_str(&tail);
        true
    }

    /// A run that is no label: a goal text, the value of the row's label, or a line of its own.
    fn other_run(&mut self, text: String) {
        if self.goal_labels > 0 {
            if self.goal_text.is_empty() {
                self.flush();
            }
            self.goal_text.push(text);
            self.goal_lines.push(self.line);
        } else if self.row.is_empty() {
            // Narrative, titles and year lines stay one-cell rows.
            self.out.push_line(text);
        } else if self.row.len() == 1 {
            self.row.push(text);
        } else if let Some(last) = self.row.last_mut() {
            last.push_str(&text);
        }
    }

    fn finish(mut self, words: &dyn Vocabulary) -> (Grid, Vec<Inference>) {
        self.end_goals(words);
        self.flush();
        (self.out, self.notes)
    }
}

#[cfg(test)]
mod tests;
