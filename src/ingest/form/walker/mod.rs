//! Stage 4, form: the row walker, which classifies each row by its labels and fills tables.

use super::amount::{
    AmountError, MoneyUnit, cell_money_unit, looks_numeric, money_unit_of, money_unit_word, parse_amount, to_yuan,
};
use super::labels::{
    Amount, GOAL_LABEL_MAX_CHARS, OPINION_MAX_CHARS, ROW_LABEL_MAX_CHARS, TITLE_MAX_CHARS, TextField, amount_field,
    colon_fields, date_label, goal_label, is_amount_label, is_block_label, is_head_label, is_l1_label, is_l2_label,
    is_opinion_label, is_pure_l1, is_short_l2, is_title, is_value_label, level1_code, level2_code, looks_like_value,
    region_of, text_field, year_line,
};
use super::problem::set_problem;
use super::words::{Key, Keys, Mark};
use super::{Indicator, Reading, Table, centred};
use crate::ingest::text::{label_key, years};
use rust_decimal::Decimal;
use smallvec::SmallVec;
use std::borrow::Cow;

mod indicators;

const NO_UNIT_NOTE: &str = ": no unit given, read as 万元";

/// The labels of an indicator header row.
const LEVEL_LABELS: [&str; 3] = ["一级指标", "二级指标", "三级指标"];

/// The length of each of [`LEVEL_LABELS`], in characters.
const LEVEL_LABEL_CHARS: usize = 4;

/// Which of [`LEVEL_LABELS`] the row holds, as bits. Asked of every row: a cell is keyed for it
/// only when it may hold their [`Mark::Level`], and most cells of an indicator row are values
/// that no other question keys.
fn header_levels(keys: &Keys<'_>) -> u8 {
    let mut levels = 0;
    for i in 0..keys.len() {
        if keys.may_hold(i, Mark::Level)
            && let Some(key) = keys.short(i, LEVEL_LABEL_CHARS)
        {
            levels |= LEVEL_LABELS.iter().position(|l| key.text() == *l).map_or(0, |n| 1 << n);
        }
    }
    levels
}

/// [`is_opinion_label`] of cell `i`, asked of every cell of every row: a cell without the
/// [`Mark::Opinion`] every opinion label holds is told apart without its key, and only a short
/// key can be one, so a long cell's key is given up past that length rather than made whole.
fn is_opinion_at(keys: &Keys<'_>, i: usize) -> bool {
    keys.may_hold(i, Mark::Opinion) && keys.short(i, OPINION_MAX_CHARS).is_some_and(is_opinion_label)
}

/// The key of cell `c` for the indicator block's label questions (一级, 二级, block label), or
/// `None` when it is longer than any of them or past the row's end: an indicator's name and
/// a narrative line are told apart from the labels without being keyed whole.
fn row_label<'k>(keys: &'k Keys<'_>, c: usize) -> Option<&'k Key<'k>> {
    (c < keys.len()).then(|| keys.short(c, ROW_LABEL_MAX_CHARS)).flatten()
}

/// [`is_title`] of cell `i`, asked of every row of one cell: a longer cell's key is given up
/// past a title's length.
fn title_at<'k>(keys: &'k Keys<'_>, i: usize) -> Option<&'k Key<'k>> {
    keys.short(i, TITLE_MAX_CHARS).filter(|k| is_title(k))
}

/// The key of cell `i` for the head block's label questions ([`is_head_label`], the amount,
/// goal, date and unit labels), or `None` when it can be none of their labels: past the
/// longest label matched whole ([`GOAL_LABEL_MAX_CHARS`]) only an amount or 项目资金 label is
/// read, and each holds 预, 资 or 金. Goal texts, names and units, most of a head block's long
/// cells, are not keyed whole for questions they cannot answer yes to.
fn head_key<'k>(keys: &'k Keys<'_>, i: usize) -> Option<&'k Key<'k>> {
    match keys.short(i, GOAL_LABEL_MAX_CHARS) {
        Some(key) => Some(key),
        None => keys.may_hold_money(i).then(|| &keys[i]),
    }
}

/// Whether the key of cell `i` is `label`: a longer key is given up past its length.
fn key_is(keys: &Keys<'_>, i: usize, label: &str) -> bool {
    keys.short(i, label.chars().count()).is_some_and(|k| k.text() == label)
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Section {
    #[default]
    Head,
    Goals,
    Indicators,
    Done,
}

#[derive(Debug, Clone, Default)]
struct Side {
    horizon: &'static str,
    l2: Option<usize>,
    l3: Option<usize>,
    value: Option<usize>,
    nature: Option<usize>,
    unit: Option<usize>,
    remark: Option<usize>,
    carry_l2: Carried,
}

/// A label carried down to the indicator rows under it, and its code: found once for the
/// label, not again for each of its indicators.
#[derive(Debug, Clone, Default)]
struct Carried {
    text: String,
    code: Option<&'static str>,
}

impl Carried {
    /// A label printed again (on each row of its block, as many layouts repeat it) keeps the
    /// code already found for it.
    fn set(&mut self, text: &str) {
        if text != self.text {
            self.text.clear();
            self.text.push_str(text);
            self.code = None;
        }
    }

    fn clear(&mut self) {
        self.set("");
    }

    /// `code_of` ([`level1_code`] or [`level2_code`]) of the label's key, found in `known`
    /// when the file printed the label before.
    fn code(&mut self, known: &mut Codes, code_of: fn(&str) -> &'static str) -> &'static str {
        let text = &self.text;
        self.code.get_or_insert_with(|| known.code(text, code_of))
    }
}

/// The codes of the labels a file printed so far: a file of many tables prints the same few
/// 一级 and 二级 labels in each, and a label's key and words were found again for every block.
#[derive(Debug, Default)]
struct Codes(Vec<(String, &'static str)>);

impl Codes {
    /// Past this many labels a file's labels are not remembered: looking through them would
    /// cost more than reading a label.
    const MAX: usize = 32;

    fn code(&mut self, label: &str, code_of: fn(&str) -> &'static str) -> &'static str {
        if let Some(&(_, code)) = self.0.iter().find(|(l, _)| l == label) {
            return code;
        }
        let code = code_of(&label_key(label));
        if self.0.len() < Self::MAX {
            self.0.push((label.to_string(), code));
        }
        code
    }
}

#[derive(Debug, Default)]
pub(super) struct Walker {
    done: Vec<Table>,
    cur: Option<Table>,
    section: Section,
    money_unit: Option<MoneyUnit>,
    goal_cols: Vec<(usize, bool)>, // (column, is_midterm) awaiting text on the next row
    l1_col: Option<usize>,
    /// Columns up to the last labelled one of the indicator header row.
    header_width: usize,
    sides: Vec<Side>,
    /// The codes of the 一级 and of the 二级 labels read so far.
    level1_codes: Codes,
    level2_codes: Codes,
    /// The columns the indicator header names (一级 and each side's), for the rows below it.
    known_cols: Vec<usize>,
    carry_l1: Carried,
    realigned_rows: usize,
    /// Amounts of the current table read before any unit was printed, as (is mid-term,
    /// number): a unit label centred below them (项目资金 / （元）) still applies.
    unitless: Vec<(bool, Decimal)>,
    /// Whether the current table printed a money unit of its own yet.
    unit_in_table: bool,
    /// The current table's indicators, in a list reused from table to table: the table takes
    /// them in a list of their own length when it is finished, not in one grown by doubling
    /// (up to half of it spare room, given back by another copy).
    indicators: Vec<Indicator>,
    /// Per indicator of the current table: whether its row printed its own 一级 and 二级 label.
    printed: Vec<(bool, bool)>,
    /// Rows of the current table's indicator block that held only labels.
    label_rows: Vec<centred::LabelRow>,
    /// Metadata seen after a complete table: title/year/unit of the next one.
    pending: Option<Table>,
}

impl Walker {
    fn table(&mut self) -> &mut Table {
        self.cur.get_or_insert_with(Table::default)
    }

    /// A table has a body once it has a project name or indicators; title lines after that
    /// belong to the next table.
    fn has_body(&self) -> bool {
        self.cur.as_ref().is_some_and(|t| t.project_name.is_some() || !self.indicators.is_empty())
    }

    fn start_new(&mut self, inherit: bool) {
        let prev = self.cur.take();
        let mut next = self.pending.take().unwrap_or_default();
        if let Some(prev) = prev {
            if inherit {
                // Files with several tables under one title repeat only the body.
                next.title = next.title.or_else(|| prev.title.clone());
                next.region = next.region.or_else(|| prev.region.clone());
                next.year = next.year.or(prev.year);
                next.budget_unit = next.budget_unit.or_else(|| prev.budget_unit.clone());
                next.form = prev.form;
            }
            self.finish_table(prev);
        }
        self.cur = Some(next);
        self.section = Section::Head;
        self.goal_cols.clear();
        self.sides.clear();
        self.known_cols.clear();
        self.l1_col = None;
        self.carry_l1.clear();
        self.realigned_rows = 0;
        self.unitless.clear();
        self.unit_in_table = false;
        self.printed.clear();
        self.label_rows.clear();
    }

    /// A money unit printed in the head block; amounts read before it without one take it.
    fn set_unit(&mut self, unit: MoneyUnit) {
        self.money_unit = Some(unit);
        self.unit_in_table = true;
        let unitless = std::mem::take(&mut self.unitless);
        if unitless.is_empty() {
            return;
        }
        let t = self.table();
        for (is_mid, v) in unitless {
            let slot = if is_mid { &mut t.midterm_budget_yuan } else { &mut t.annual_budget_yuan };
            match to_yuan(v, unit, &v.to_string()) {
                Ok(y) => *slot = Some(y),
                Err(e) => {
                    *slot = None;
                    t.amount_problems.push(format!("{} {e}", if is_mid { "midterm" } else { "annual" }));
                }
            }
        }
        let had_none = t.parse_notes.iter().any(|n| n.ends_with(NO_UNIT_NOTE));
        t.parse_notes.retain(|n| !n.ends_with(NO_UNIT_NOTE));
        let why = if had_none { "no unit before them" } else { "the unit before them came from outside the table" };
        t.parse_notes.push(format!("amounts read with the unit printed after them ({why})"));
    }

    fn meta_target(&mut self) -> &mut Table {
        if self.has_body() { self.pending.get_or_insert_with(Table::default) } else { self.table() }
    }

    pub(super) fn row(&mut self, r: u32, cells: &[Cow<'_, str>], keys: &Keys<'_>) {
        if let Some(t) = self.cur.as_mut() {
            t.grid_rows = if t.grid_rows.is_empty() { r..r + 1 } else { t.grid_rows.start..r + 1 };
        }
        // On the stack: a row has a few cells, and a list of them allocated per row cost more
        // than reading an indicator row's values.
        let nonblank: SmallVec<[usize; 16]> = (0..cells.len()).filter(|&i| !cells[i].is_empty()).collect();
        let first = nonblank[0];

        // Title, year and unit lines stand alone in their row.
        let title = if nonblank.len() == 1 { title_at(keys, first) } else { None };
        if nonblank.len() == 1 && (self.section != Section::Indicators || title.is_some()) {
            if let Some(key) = title {
                if self.has_body() || self.cur.as_ref().is_some_and(|t| t.title.is_some()) {
                    self.start_new(false);
                }
                let title = cells[first].trim_matches(['#', '*', ' ']).to_string();
                self.unit_in_table = false;
                self.unitless.clear();
                let region = region_of(key);
                let t = self.table();
                t.region = region;
                t.form = if title.contains("批复") { "approval" } else { "target" };
                if let Some(y) = years(&title).first() {
                    t.year = Some(*y);
                }
                t.title = Some(title);
                return;
            }
            if let Some(y) = year_line(&cells[first]) {
                self.meta_target().year = Some(y);
                return;
            }
            if self.colon_row(cells, keys) {
                return;
            }
        }

        if self.section == Section::Goals
            && !self.goal_cols.is_empty()
            && !nonblank.iter().any(|&i| head_key(keys, i).is_some_and(is_head_label))
        {
            self.goal_texts(cells, keys, &nonblank);
            return;
        }

        if nonblank.iter().any(|&i| is_opinion_at(keys, i)) {
            self.opinion(cells, keys, &nonblank);
            return;
        }

        if header_levels(keys).count_ones() >= 2 {
            self.indicator_header(keys);
            return;
        }

        if self.section == Section::Indicators {
            // Text outside the table (a 注： line, a footer) comes as a one-cell row: the
            // indicator block has ended. A name-only indicator row still has its other cells.
            if cells.len() == 1 && !row_label(keys, 0).is_some_and(|k| is_l1_label(k) || is_l2_label(k)) {
                self.section = Section::Done;
                return;
            }
            self.indicator_row(r, cells, keys);
            return;
        }

        self.head_row(cells, keys, &nonblank);
    }

    /// Applies `label：value` cells (预算单位, 金额单位 …); true when the row held nothing else.
    /// A cell without a colon, as its facts tell, holds no field and is not read again.
    fn colon_row(&mut self, cells: &[Cow<'_, str>], keys: &Keys<'_>) -> bool {
        let mut all = true;
        for (i, cell) in cells.iter().enumerate().filter(|(_, c)| !c.is_empty()) {
            if !keys.has_colon(i) {
                all = false;
                continue;
            }
            let fields = colon_fields(cell);
            if fields.is_empty() {
                all = false;
                continue;
            }
            for (label, value) in fields {
                match label {
                    "预算单位" | "单位名称" | "填报单位" | "部门名称" | "申报单位" | "编制单位" | "项目单位"
                        if !value.is_empty() && value.chars().count() <= 40 =>
                    {
                        self.meta_target().budget_unit = Some(value);
                    }
                    "金额单位" | "计量单位" | "单位" => {
                        if let Some(u) = money_unit_word(&value) {
                            self.set_unit(u);
                        } else if label == "单位" && !value.is_empty() && value.chars().count() <= 40 {
                            self.meta_target().budget_unit = Some(value);
                        }
                    }
                    _ => {}
                }
            }
        }
        all
    }

    fn head_row(&mut self, cells: &[Cow<'_, str>], keys: &Keys<'_>, nonblank: &[usize]) {
        if (0..cells.len()).any(|i| keys.has_colon(i)) && self.colon_row(cells, keys) {
            return;
        }
        // Each cell's head key found once: the cell after a label is asked as its value, then
        // as a label itself.
        let heads: SmallVec<[Option<&Key<'_>>; 16]> = nonblank.iter().map(|&i| head_key(keys, i)).collect();
        // A 项目名称 row after a finished body starts the next table of the file.
        if heads.iter().any(|k| k.is_some_and(|k| k.text() == "项目名称")) && self.has_body() {
            self.start_new(true);
        }
        let mut goal_labels = Vec::new();
        let mut i = 0;
        while i < nonblank.len() {
            let col = nonblank[i];
            // A cell no head label can be is none of the labels below: nothing to read after it.
            let Some(key) = heads[i] else {
                i += 1;
                continue;
            };
            let value_after = nonblank.get(i + 1).map(|&j| (&*cells[j], heads[i + 1]));
            // A section label like 项目资金（元） sets the unit of the amounts that follow it;
            // so does the bracketed unit alone, where an extractor split it from its label. A
            // cell that is its own key holds no bracket, so no unit.
            if !keys.is_own_key(col)
                && (key.starts_with("项目资金") || key.ends_with("资金") && !is_amount_label(key) || key.is_empty())
                && let Some(unit) = money_unit_of(&cells[col])
            {
                self.set_unit(unit);
            }
            let mut consumed = false;
            if let Some(field) = text_field(key) {
                consumed = self.head_text(field, value_after);
            } else if let Some(which) = amount_field(key) {
                i = self.head_amount(which, key, i, cells, nonblank);
            } else if let Some(is_mid) = goal_label(key) {
                consumed = self.head_goal(is_mid, &cells[col], value_after);
                if !consumed {
                    goal_labels.push((col, is_mid));
                }
            } else if let Some(is_start) = date_label(key)
                && let Some((v, _)) = value_after
                && let Some(&y) = years(v).first()
            {
                let t = self.table();
                if is_start {
                    t.midterm_start_year = t.midterm_start_year.or(Some(y));
                } else {
                    t.midterm_end_year = t.midterm_end_year.or(Some(y));
                }
                consumed = true;
            }
            i += if consumed { 2 } else { 1 };
        }
        if !goal_labels.is_empty() {
            self.goal_cols = goal_labels;
            self.section = Section::Goals;
        }
    }

    /// A text field's value in the cell after its label; true when that cell was taken.
    fn head_text(&mut self, field: TextField, value_after: Option<(&str, Option<&Key>)>) -> bool {
        let Some((v, _)) = value_after.filter(|(_, vk)| !vk.is_some_and(is_head_label)) else { return false };
        let t = self.table();
        let slot = match field {
            TextField::ProjectName => &mut t.project_name,
            TextField::Department => &mut t.department,
            TextField::Implementing => &mut t.implementing_unit,
            TextField::BudgetUnit => &mut t.budget_unit,
        };
        if slot.is_none() {
            *slot = Some(v.to_string());
        }
        true
    }

    /// Reads the amount after the label at `nonblank[i]`; returns the position of the amount
    /// cell, or `i` when there is none.
    fn head_amount(&mut self, which: Amount, key: &str, i: usize, cells: &[Cow<'_, str>], nonblank: &[usize]) -> usize {
        let label_unit = money_unit_of(&cells[nonblank[i]]);
        // The amount is the first number after the label; PDF text may leave a stray
        // empty or label cell in between.
        let mut k = i + 1;
        while k < nonblank.len() && k <= i + 2 {
            if let Some(v) = parse_amount(&cells[nonblank[k]]) {
                let own = cell_money_unit(&cells[nonblank[k]]).or(label_unit);
                let unit = own.or(self.money_unit);
                if unit.is_none() {
                    self.table().parse_notes.push(format!("{key}{NO_UNIT_NOTE}"));
                }
                // A unit from before this table (a budget table's 单位：万元 earlier in the
                // document) is a guess: a unit printed in this table's head replaces it.
                if own.is_none() && !self.unit_in_table {
                    self.unitless.push((matches!(which, Amount::Midterm), v));
                }
                let raw = &cells[nonblank[k]];
                let t = self.table();
                match to_yuan(v, unit.unwrap_or(MoneyUnit::Wan), raw) {
                    Ok(yuan) => match which {
                        Amount::Midterm => t.midterm_budget_yuan = t.midterm_budget_yuan.or(Some(yuan)),
                        Amount::Annual => t.annual_budget_yuan = t.annual_budget_yuan.or(Some(yuan)),
                    },
                    Err(e) => t.amount_problems.push(format!("{key} {e}")),
                }
                return k;
            }
            k += 1;
        }
        // The cell right after the label was meant as the amount but is no decimal: say so
        // rather than store nothing silently.
        if let Some(&j) = nonblank.get(i + 1)
            && looks_numeric(&cells[j])
            && !is_head_label(&Key::of(&cells[j]))
        {
            let e = AmountError::NotDecimal(crate::ingest::text::quote(&cells[j]).into_owned());
            self.table().amount_problems.push(format!("{key} {e}"));
            return i + 1;
        }
        i
    }

    /// A goal label (`label` is its cell): its period, and its text when the next cell holds
    /// it; false when the text is to come on the next row.
    fn head_goal(&mut self, is_mid: bool, label: &str, value_after: Option<(&str, Option<&Key>)>) -> bool {
        if is_mid {
            let ys = years(label);
            let t = self.table();
            if ys.len() >= 2 {
                t.midterm_start_year = t.midterm_start_year.or(Some(ys[0]));
                t.midterm_end_year = t.midterm_end_year.or(Some(ys[1]));
            }
        }
        match value_after
            .filter(|(v, vk)| !vk.is_some_and(|k| is_head_label(k) || goal_label(k).is_some()) && v.chars().count() > 6)
        {
            Some((v, _)) => {
                self.set_goal(is_mid, v.to_string());
                true
            }
            None => false,
        }
    }

    fn set_goal(&mut self, is_mid: bool, text: String) {
        let t = self.table();
        let slot = if is_mid { &mut t.midterm_goal } else { &mut t.annual_goal };
        if slot.is_none() {
            *slot = Some(text);
        }
    }

    fn goal_texts(&mut self, cells: &[Cow<'_, str>], keys: &Keys<'_>, nonblank: &[usize]) {
        let cols = std::mem::take(&mut self.goal_cols);
        // A leading row label (总体目标) whose rowspan a layout did not expand.
        let texts: Vec<usize> = nonblank.iter().copied().filter(|&i| !key_is(keys, i, "总体目标")).collect();
        if texts.len() == cols.len() {
            for (&(_, is_mid), &i) in cols.iter().zip(&texts) {
                self.set_goal(is_mid, cells[i].to_string());
            }
        } else {
            // Shifted cells: give each goal the nearest text at or right of its column.
            for (n, &(col, is_mid)) in cols.iter().enumerate() {
                let limit = cols.get(n + 1).map_or(usize::MAX, |c| c.0);
                if let Some(&i) = texts.iter().find(|&&i| i >= col && i < limit).or_else(|| texts.get(n)) {
                    self.set_goal(is_mid, cells[i].to_string());
                }
            }
            self.table().parse_notes.push("goal texts placed by position".into());
        }
        self.section = Section::Head;
    }

    fn opinion(&mut self, cells: &[Cow<'_, str>], keys: &Keys<'_>, nonblank: &[usize]) {
        let at = nonblank.iter().position(|&i| is_opinion_at(keys, i)).unwrap_or(0);
        let text: Vec<&str> = nonblank[at + 1..].iter().map(|&i| &*cells[i]).collect();
        if !text.is_empty() {
            self.table().approval_opinion = Some(text.join(""));
        }
        self.section = Section::Done;
    }

    fn finish_table(&mut self, mut t: Table) {
        t.indicators = self.indicators.drain(..).collect();
        if t.project_name.is_none() && t.indicators.is_empty() {
            return;
        }
        if t.form.is_empty() {
            t.form = "target";
        }
        if t.budget_unit.is_none() {
            t.budget_unit = t.implementing_unit.clone();
        }
        if t.year.is_none() {
            t.year = t.midterm_start_year;
            if t.year.is_some() {
                t.parse_notes.push("budget year taken from the mid-term period".into());
            }
        }
        let mut confidence: f64 = 1.0;
        let moved = centred::relabel(&mut t.indicators, &self.printed, &self.label_rows);
        let regrouped = centred::by_family(&mut t.indicators, &self.printed);
        // Emptied, not dropped: the next table fills them again, without growing them anew.
        self.printed.clear();
        self.label_rows.clear();
        if regrouped > 0 {
            confidence -= 0.05;
            t.parse_notes.push(format!(
                "{regrouped} indicators took the 一级 label their 二级 label belongs under (printed on another row)"
            ));
        }
        if moved > 0 {
            confidence -= 0.05 + (0.01 * moved as f64).min(0.1);
            t.parse_notes.push(format!(
                "{moved} indicators took their 一级/二级 label from one printed at the middle of its block"
            ));
        }
        let mut missing = Vec::new();
        if t.project_name.is_none() {
            missing.push("项目名称");
        }
        if t.annual_budget_yuan.is_none() {
            missing.push("年度预算");
        }
        if t.annual_goal.is_none() && t.midterm_goal.is_none() {
            missing.push("目标");
        }
        if t.budget_unit.is_none() {
            missing.push("预算单位");
        }
        if t.indicators.is_empty() {
            missing.push("绩效指标");
        }
        if !missing.is_empty() {
            confidence -= 0.15 * missing.len() as f64;
            t.parse_notes.push(format!("labels missing: {}", missing.join(", ")));
        }
        if self.realigned_rows > 0 {
            confidence -= (0.02 * self.realigned_rows as f64).min(0.2);
            t.parse_notes.push(format!("{} indicator rows realigned by label (cells shifted)", self.realigned_rows));
        }
        confidence -= 0.05
            * t.parse_notes.iter().filter(|n| n.contains("read as 万元") || n.contains("by position")).count() as f64;
        t.parse_confidence = confidence.clamp(0.0, 1.0);

        set_problem(&mut t);
        self.done.push(t);
    }

    pub(super) fn finish(mut self) -> Reading {
        if let Some(t) = self.cur.take() {
            self.finish_table(t);
        }
        Reading { tables: self.done }
    }
}

#[cfg(test)]
mod tests {
    use super::super::words::CellFacts;
    use super::*;
    use crate::ingest::text::has_char;

    /// Every cell of every sample file as the form reads it, and random texts of label pieces,
    /// markup, brackets and full-width forms.
    fn cells() -> Vec<String> {
        let mut out = Vec::new();
        for (_, grid) in crate::ingest::samples::grids() {
            for row in &grid.rows {
                let (mut cells, mut facts) = (super::super::Cells::new(), Vec::new());
                for c in row {
                    super::super::push_value_and_label(&mut cells, &mut facts, &c.text);
                }
                out.extend(cells.into_iter().map(|c| c.into_owned()));
            }
        }
        assert!(out.len() > 5_000, "{} sample cells", out.len());
        #[rustfmt::skip]
        let pieces = [
            "一", "二", "三", "级", "指标", "一级指标", "批复", "审核", "意见", "审批意见", "批复意见", "值", "≥",
            "9", "%", " ", "\u{3000}", "#", "＃", "：", ":", "*", "\"", "“", "”", "（", "(", ")", "）", "【", "】",
            "〔", "[", "]", "&#x4e00;", "&#20108;", "&#x610F;", "见", "&amp;", "&nbsp;", "&", "<b>", "</p>", "<",
            "ａ", "Ｂ", "x", "市财 政局", "、", "。", "≥", "\u{a0}", "\u{2003}", "䷀", "㐀", "\t", "意", "级", "元", "万元",
        ];
        let mut rng = fastrand::Rng::with_seed(19);
        for _ in 0..20_000 {
            let n = rng.usize(0..8);
            out.push((0..n).map(|_| pieces[rng.usize(..pieces.len())]).collect());
        }
        out
    }

    /// The row's keys, made from each cell's one-pass facts, are the keys [`Key::of`] and
    /// [`Key::within`] make of the cell, whole or cut at any length, and the facts' cleaning
    /// need is [`crate::ingest::text::needs_cleaning`].
    #[test]
    fn keys_from_cell_facts_are_the_keys_made_from_the_cell() {
        let cells: Vec<Cow<'_, str>> = cells().into_iter().map(Cow::Owned).collect();
        let mut borrowed = 0;
        for cell in &cells {
            let facts = [CellFacts::of(cell)];
            assert_eq!(facts[0].needs_cleaning, crate::ingest::text::needs_cleaning(cell), "{cell:?}");
            for max in 0..12 {
                let one = Keys::new(std::slice::from_ref(cell), &facts);
                let want = Key::within(cell, max).map(|k| (k.text().to_string(), k.chars()));
                assert_eq!(one.short(0, max).map(|k| (k.text().to_string(), k.chars())), want, "{cell:?} {max}");
            }
            let one = Keys::new(std::slice::from_ref(cell), &facts);
            let key = Key::of(cell);
            assert_eq!((one[0].text(), one[0].chars()), (key.text(), key.chars()), "{cell:?}");
            assert_eq!(one.has_colon(0), cell.contains(':') || has_char(cell, '：'), "{cell:?}");
            assert!(!one.is_own_key(0) || money_unit_of(cell).is_none(), "{cell:?}");
            borrowed += usize::from(std::ptr::eq(one[0].text().as_ptr(), cell.as_ptr()) && !cell.is_empty());
        }
        // Most sample cells are their own key, borrowed rather than copied.
        assert!(borrowed > cells.len() / 4, "{borrowed} of {}", cells.len());
    }

    /// The label questions asked of a cell's key cut at the longest label they accept answer as
    /// the whole key does, and so do the gates in front of the title, amount and colon
    /// questions.
    #[test]
    fn label_questions_given_up_early_answer_as_the_whole_key_would() {
        use super::super::labels::YEAR_LINE_MAX_CHARS;
        use super::super::words::word;
        let mut cells = cells();
        // Year lines and what is nearly one (brackets, spaces and full-width digits around 年度),
        // and the longest labels of each question, alone and run together.
        #[rustfmt::skip]
        let pieces = [
            "(", "（", ")", "）", " ", "\u{3000}", "2023", "２０２１", "年", "度", "年度", "目标", "x",
            "社会经济生态效益", "服务对象满意度", "服务对象满意度指标", "预期产出数量与质量综合指标", "项目绩效指标",
            "年度绩效指标", "预期效益指标", "满意度指标", "成本指标", "金额", "年度金额", "中期金额（万元）", "本年",
            "东莞市", "财政", "项目支出", "绩效", "绩效目标", "批复表", "申报表", "表", "省",
        ];
        let mut rng = fastrand::Rng::with_seed(21);
        cells.extend(pieces.iter().map(|p| p.to_string()));
        for _ in 0..40_000 {
            let n = rng.usize(0..YEAR_LINE_MAX_CHARS + 4);
            cells.push((0..n).map(|_| pieces[rng.usize(..pieces.len())]).collect());
        }
        let cells: Vec<Cow<'_, str>> = cells.into_iter().map(Cow::Owned).collect();
        let (mut row_labels, mut titles, mut regions, mut amounts, mut year_lines) = (0, 0, 0, 0, 0);
        for cell in &cells {
            let key = Key::of(cell);
            let facts = [CellFacts::of(cell)];
            let keys = Keys::new(std::slice::from_ref(cell), &facts);
            let label = row_label(&keys, 0);
            let questions: [fn(&Key) -> bool; 5] =
                [|k| is_l1_label(k), |k| is_pure_l1(k), |k| is_l2_label(k), |k| is_short_l2(k), |k| is_block_label(k)];
            for ask in questions {
                assert_eq!(label.is_some_and(ask), ask(&key), "{cell:?}");
                row_labels += usize::from(ask(&key));
            }
            assert!(row_label(&keys, 1).is_none());
            let title = key.has(word!("绩效目标"))
                && (key.ends_with('表') || key.has(word!("批复表", "申报表")))
                && key.chars() <= TITLE_MAX_CHARS;
            assert_eq!(is_title(&Key::of(cell)), title, "{cell:?}");
            assert_eq!(title_at(&keys, 0).is_some(), title, "{cell:?}");
            titles += usize::from(title);
            // The region cut where the first of its words starts, as the least of their finds.
            let region = ["财政", "项目支出", "绩效"].iter().filter_map(|m| key.find(m)).min().and_then(|cut| {
                let prefix = &key[..cut];
                (!prefix.is_empty() && prefix.ends_with(['市', '省', '区', '县', '州', '盟', '旗']))
                    .then(|| prefix.to_string())
            });
            assert_eq!(region_of(&key), region, "{cell:?}");
            regions += usize::from(region.is_some());
            // A key whose words are known is asked without the byte gate, a fresh one with it.
            let worded = Key::of(cell);
            worded.has(0);
            let want = amount_field(&worded).map(|a| matches!(a, Amount::Midterm));
            assert_eq!(amount_field(&Key::of(cell)).map(|a| matches!(a, Amount::Midterm)), want, "{cell:?}");
            assert!(!key.has(word!("预算", "资金", "金额")) || key.contains(['预', '资', '金']), "{cell:?}");
            amounts += usize::from(want.is_some());
            assert_eq!(year_line(cell), year_line_folded_whole(cell), "{cell:?}");
            year_lines += usize::from(year_line(cell).is_some());
            // A cell without a colon by its facts holds no `label：value` field.
            assert!(keys.has_colon(0) || colon_fields(cell).is_empty(), "{cell:?}");
        }
        let found = [row_labels, titles, regions, amounts, year_lines];
        assert!(found.iter().all(|&n| n > 100), "{found:?}");
    }

    /// A head cell's key is given up only where no head question (label, amount, goal, date,
    /// unit label, 项目名称, 总体目标) can answer yes: the questions asked of [`head_key`] and
    /// [`key_is`] answer as the cell's whole key does.
    #[test]
    fn head_questions_given_up_early_answer_as_the_whole_key_would() {
        let mut cells = cells();
        // Head labels, the longest of each question, near misses and what spells 预资金 without
        // holding it (entities, brackets), alone and run together.
        #[rustfmt::skip]
        let pieces = [
            "项目名称", "主管部门及代码", "项目实施单位", "计划开始日期", "计划结束日期", "项目完成日期", "中期目标",
            "年度目标", "项目总目标（2021-2023年）", "滚动", "总体目标", "绩效指标", "项目资金", "资金", "预算", "金额",
            "年度", "本年", "中期", "其中", "结转", "拨款", "其他资金", "资金总额", "项目资金总额", "总预算", "目标",
            "指标", "（万元）", "(元)", "&#x9884;", "&#36164;", "&amp;", "金", "预", "资", " ", "\u{3000}", "：",
            "提高使用效益", "服务群众", "，", "。", "2023", "x", "【", "】",
        ];
        let mut rng = fastrand::Rng::with_seed(23);
        cells.extend(pieces.iter().map(|p| p.to_string()));
        for _ in 0..40_000 {
            let n = rng.usize(0..10);
            cells.push((0..n).map(|_| pieces[rng.usize(..pieces.len())]).collect());
        }
        let cells: Vec<Cow<'_, str>> = cells.into_iter().map(Cow::Owned).collect();
        let (mut heads, mut given_up, mut named) = (0, 0, 0);
        for cell in &cells {
            let key = Key::of(cell);
            let facts = [CellFacts::of(cell)];
            let keys = Keys::new(std::slice::from_ref(cell), &facts);
            match head_key(&keys, 0) {
                Some(k) => assert_eq!((k.text(), k.chars()), (key.text(), key.chars()), "{cell:?}"),
                None => {
                    let unit_label = key.starts_with("项目资金") || key.ends_with("资金") || key.is_empty();
                    assert!(!is_head_label(&key) && !unit_label, "{cell:?}");
                    assert!(text_field(&key).is_none() && amount_field(&key).is_none(), "{cell:?}");
                    assert!(goal_label(&key).is_none() && date_label(&key).is_none(), "{cell:?}");
                    given_up += 1;
                }
            }
            let fresh = Keys::new(std::slice::from_ref(cell), &facts);
            assert_eq!(head_key(&fresh, 0).is_some_and(is_head_label), is_head_label(&key), "{cell:?}");
            heads += usize::from(is_head_label(&key));
            for label in ["项目名称", "总体目标"] {
                let fresh = Keys::new(std::slice::from_ref(cell), &facts);
                assert_eq!(key_is(&fresh, 0, label), key.text() == label, "{cell:?}");
                named += usize::from(key.text() == label);
            }
        }
        assert!(heads > 1_000 && given_up > 1_000 && named > 100, "{heads} head labels, {given_up} given up, {named}");
    }

    /// [`year_line`] as it read before it gave up long cells: the whole cell folded first.
    fn year_line_folded_whole(cell: &str) -> Option<i32> {
        if !has_char(cell, '年') || !has_char(cell, '度') {
            return None;
        }
        let compact: String =
            cell.chars().map(crate::ingest::text::fold_width).filter(|c| !c.is_whitespace()).collect();
        let inner = compact.trim_start_matches('(').trim_end_matches(')');
        if inner.chars().count() > 12 || !inner.contains("年度") || inner.contains("目标") {
            return None;
        }
        years(inner).first().copied()
    }

    #[test]
    fn remembered_label_codes_are_the_codes_of_the_labels() {
        let mut labels: Vec<String> = cells().into_iter().filter(|c| c.chars().count() <= 12).collect();
        // More labels than are remembered, each printed again after the others.
        labels.extend(labels.clone());
        let (mut l1, mut l2) = (Codes::default(), Codes::default());
        for label in &labels {
            assert_eq!(l1.code(label, level1_code), level1_code(&label_key(label)), "{label:?}");
            assert_eq!(l2.code(label, level2_code), level2_code(&label_key(label)), "{label:?}");
        }
        assert_eq!(l2.0.len(), Codes::MAX);
        assert!(labels.iter().filter(|l| level2_code(&label_key(l)) != "other").count() > 1_000);
    }

    /// The region is read from the title cell's key, the title stored trimmed.
    #[test]
    fn a_title_trimmed_as_it_is_stored_has_the_key_of_its_cell() {
        for cell in cells() {
            assert_eq!(label_key(cell.trim_matches(['#', '*', ' '])), label_key(&cell), "{cell:?}");
        }
    }

    #[test]
    fn gated_label_questions_answer_as_every_cell_keyed_would() {
        let cells: Vec<Cow<'_, str>> = cells().into_iter().map(Cow::Owned).collect();
        let keyed: Vec<Key> = cells.iter().map(|c| Key::of(c)).collect();
        let (mut headers, mut opinions) = (0, 0);
        let mut unmarked = [0; 2];
        assert!(LEVEL_LABELS.iter().all(|l| l.contains(Mark::Level.text()) && l.chars().count() == LEVEL_LABEL_CHARS));
        for (cell, key) in cells.iter().zip(&keyed) {
            // Asked cell by cell, each question on a fresh slot, so no key made by another
            // question helps.
            let facts = [CellFacts::of(cell)];
            let one = Keys::new(std::slice::from_ref(cell), &facts);
            for (n, m) in Mark::ALL.into_iter().enumerate() {
                assert!(one.may_hold(0, m) || !key.contains(m.text()), "{cell:?}");
                unmarked[n] += usize::from(!one.may_hold(0, m));
            }
            let one = Keys::new(std::slice::from_ref(cell), &facts);
            let want = LEVEL_LABELS.iter().position(|l| key.text() == *l).map_or(0, |n| 1 << n);
            assert_eq!(header_levels(&one), want, "{cell:?}");
            headers += usize::from(want != 0);
            let one = Keys::new(std::slice::from_ref(cell), &facts);
            assert_eq!(is_opinion_at(&one, 0), is_opinion_label(key), "{cell:?}");
            opinions += usize::from(is_opinion_label(key));
            // A key made for a short question is the cell's whole key.
            if let Some(k) = one.short(0, OPINION_MAX_CHARS) {
                assert_eq!((k.text(), k.chars()), (key.text(), key.chars()), "{cell:?}");
            }
            assert_eq!(one[0].text(), key.text(), "{cell:?}");
        }
        // Most cells are told apart by their marks alone (a third of the random texts hold `&`).
        assert!(unmarked.iter().all(|&n| n > cells.len() / 2), "{unmarked:?} of {}", cells.len());
        assert!(headers > 50 && opinions > 20, "{headers} header labels, {opinions} opinion labels");
    }
}
