//! Stage 4, form: recognises performance-target forms in a grid and maps cells to records by label meaning.
//!
//! Two forms are known: the 批复表 (`approval`: a mid-term side and an annual side of
//! indicators) and the 项目支出绩效目标表 / 绩效目标申报表 (`target`: one annual side, with
//! 主管部门, 实施单位 and a 项目资金 block). Both are read by one row walker driven by labels:
//! a row is classified by the labels in it, never by its position in the file, and indicator
//! rows are mapped through the columns of their header row when the row lines up with it, or
//! by the kind of each cell (一级/二级 label, name, value) when a PDF extractor shifted cells.
//! No layout knowledge here: the grid may come from tab text, HTML, CSV or Markdown.

use rust_decimal::Decimal;

use crate::ingest::layout::Grid;
use crate::ingest::text::{bracketed, clean, label_key, years};

/// One performance-target table read from a grid.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Table {
    pub form: &'static str,
    pub title: Option<String>,
    pub region: Option<String>,
    pub year: Option<i32>,
    pub budget_unit: Option<String>,
    pub department: Option<String>,
    pub implementing_unit: Option<String>,
    pub project_name: Option<String>,
    pub midterm_budget_yuan: Option<Decimal>,
    pub annual_budget_yuan: Option<Decimal>,
    pub midterm_start_year: Option<i32>,
    pub midterm_end_year: Option<i32>,
    pub midterm_goal: Option<String>,
    pub annual_goal: Option<String>,
    pub approval_opinion: Option<String>,
    pub indicators: Vec<Indicator>,
    /// 0..1: how sure the reader is that every field went to the right column.
    pub parse_confidence: f64,
    /// Why the confidence is below 1: labels missing, cells realigned, units assumed.
    pub parse_notes: Vec<String>,
    /// Set when the table is incomplete (the file is then `partial`).
    pub problem: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Indicator {
    pub horizon: &'static str,
    pub level1: String,
    pub level2: String,
    pub level3: String,
    pub value: String,
    pub level1_code: &'static str,
    pub level2_code: &'static str,
    /// The 度量单位 column where the form has one (the value then already includes it).
    pub unit_column: Option<String>,
    /// Row of the grid the indicator was read from (0-based).
    pub row_index: u32,
}

/// Everything the form stage found in one document.
#[derive(Debug, Default)]
pub struct Reading {
    pub tables: Vec<Table>,
}

pub fn read(grid: &Grid) -> Reading {
    let grid = rows_for_reading(grid);
    let mut walker = Walker::default();
    for (r, row) in grid.rows.iter().enumerate() {
        let cells: Vec<String> = row.iter().map(|c| if c.merged { String::new() } else { clean(&c.text) }).collect();
        if cells.iter().all(|c| c.is_empty()) {
            continue;
        }
        let keys: Vec<String> = cells.iter().map(|c| label_key(c)).collect();
        walker.row(r as u32, &cells, &keys);
    }
    walker.finish()
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
enum Section {
    #[default]
    Head,
    Goals,
    Indicators,
    Done,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum MoneyUnit {
    Wan,
    Yuan,
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
    carry_l2: String,
}

#[derive(Debug, Default)]
struct Walker {
    done: Vec<Table>,
    cur: Option<Table>,
    section: Section,
    money_unit: Option<MoneyUnit>,
    goal_cols: Vec<(usize, bool)>, // (column, is_midterm) awaiting text on the next row
    l1_col: Option<usize>,
    /// Columns up to the last labelled one of the indicator header row.
    header_width: usize,
    sides: Vec<Side>,
    carry_l1: String,
    realigned_rows: usize,
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
        self.cur.as_ref().is_some_and(|t| t.project_name.is_some() || !t.indicators.is_empty())
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
        self.l1_col = None;
        self.carry_l1.clear();
        self.realigned_rows = 0;
    }

    fn meta_target(&mut self) -> &mut Table {
        if self.has_body() { self.pending.get_or_insert_with(Table::default) } else { self.table() }
    }

    fn row(&mut self, r: u32, cells: &[String], keys: &[String]) {
        let nonblank: Vec<usize> = (0..cells.len()).filter(|&i| !cells[i].is_empty()).collect();
        let first = nonblank[0];

        // Title, year and unit lines stand alone in their row.
        if nonblank.len() == 1 && self.section != Section::Indicators || nonblank.len() == 1 && is_title(&keys[first]) {
            let key = &keys[first];
            if is_title(key) {
                if self.has_body() || self.cur.as_ref().is_some_and(|t| t.title.is_some()) {
                    self.start_new(false);
                }
                let title = cells[first].trim_matches(['#', '*', ' ']).to_string();
                let t = self.table();
                t.region = region_of(&title);
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
            if self.colon_row(cells) {
                return;
            }
        }

        if self.section == Section::Goals
            && !self.goal_cols.is_empty()
            && !nonblank.iter().any(|&i| is_head_label(&keys[i]))
        {
            self.goal_texts(cells, &nonblank);
            return;
        }

        if nonblank.iter().any(|&i| is_opinion_label(&keys[i])) {
            self.opinion(cells, keys, &nonblank);
            return;
        }

        let l_count = ["一级指标", "二级指标", "三级指标"].iter().filter(|l| keys.iter().any(|k| k == *l)).count();
        if l_count >= 2 {
            self.indicator_header(keys);
            return;
        }

        if self.section == Section::Indicators {
            // Text outside the table (a 注： line, a footer) comes as a one-cell row: the
            // indicator block has ended. A name-only indicator row still has its other cells.
            if cells.len() == 1 && !is_l1_label(&keys[0]) && !is_l2_label(&keys[0]) {
                self.section = Section::Done;
                return;
            }
            self.indicator_row(r, cells, keys);
            return;
        }

        self.head_row(cells, keys, &nonblank);
    }

    /// Applies `label：value` cells (预算单位, 金额单位 …); true when the row held nothing else.
    fn colon_row(&mut self, cells: &[String]) -> bool {
        let mut all = true;
        for cell in cells.iter().filter(|c| !c.is_empty()) {
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
                            self.money_unit = Some(u);
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

    fn head_row(&mut self, cells: &[String], keys: &[String], nonblank: &[usize]) {
        if cells.iter().any(|c| c.contains(':') || c.contains('：')) && self.colon_row(cells) {
            return;
        }
        // A 项目名称 row after a finished body starts the next table of the file.
        if nonblank.iter().any(|&i| keys[i] == "项目名称") && self.has_body() {
            self.start_new(true);
        }
        let mut goal_labels = Vec::new();
        let mut i = 0;
        while i < nonblank.len() {
            let col = nonblank[i];
            let key = &keys[col];
            let value_after = nonblank.get(i + 1).map(|&j| (j, &cells[j], &keys[j]));
            // A section label like 项目资金（元） sets the unit of the amounts that follow it.
            if let Some(unit) = money_unit_of(&cells[col])
                && (key.starts_with("项目资金") || key.ends_with("资金") && !is_amount_label(key))
            {
                self.money_unit = Some(unit);
            }
            let mut consumed = false;
            if let Some(field) = text_field(key) {
                if let Some((_, v, _)) = value_after.filter(|(_, _, vk)| !is_head_label(vk)) {
                    let t = self.table();
                    let slot = match field {
                        TextField::ProjectName => &mut t.project_name,
                        TextField::Department => &mut t.department,
                        TextField::Implementing => &mut t.implementing_unit,
                        TextField::BudgetUnit => &mut t.budget_unit,
                    };
                    if slot.is_none() {
                        *slot = Some(v.clone());
                    }
                    consumed = true;
                }
            } else if let Some(which) = amount_field(key) {
                let label_unit = money_unit_of(&cells[col]);
                // The amount is the first number after the label; PDF text may leave a stray
                // empty or label cell in between.
                let mut k = i + 1;
                while k < nonblank.len() && k <= i + 2 {
                    if let Some(v) = parse_amount(&cells[nonblank[k]]) {
                        let unit = cell_money_unit(&cells[nonblank[k]]).or(label_unit).or(self.money_unit);
                        if unit.is_none() {
                            self.table().parse_notes.push(format!("{key}: no unit given, read as 万元"));
                        }
                        let yuan = to_yuan(v, unit.unwrap_or(MoneyUnit::Wan));
                        let t = self.table();
                        match which {
                            Amount::Midterm => t.midterm_budget_yuan = t.midterm_budget_yuan.or(Some(yuan)),
                            Amount::Annual => t.annual_budget_yuan = t.annual_budget_yuan.or(Some(yuan)),
                        }
                        i = k;
                        break;
                    }
                    k += 1;
                }
            } else if let Some(is_mid) = goal_label(key) {
                if is_mid {
                    let ys = years(&cells[col]);
                    let t = self.table();
                    if ys.len() >= 2 {
                        t.midterm_start_year = t.midterm_start_year.or(Some(ys[0]));
                        t.midterm_end_year = t.midterm_end_year.or(Some(ys[1]));
                    }
                }
                match value_after
                    .filter(|(_, v, vk)| !is_head_label(vk) && goal_label(vk).is_none() && v.chars().count() > 6)
                {
                    Some((_, v, _)) => {
                        self.set_goal(is_mid, v.clone());
                        consumed = true;
                    }
                    None => goal_labels.push((col, is_mid)),
                }
            } else if let Some(is_start) = date_label(key)
                && let Some((_, v, _)) = value_after
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

    fn set_goal(&mut self, is_mid: bool, text: String) {
        let t = self.table();
        let slot = if is_mid { &mut t.midterm_goal } else { &mut t.annual_goal };
        if slot.is_none() {
            *slot = Some(text);
        }
    }

    fn goal_texts(&mut self, cells: &[String], nonblank: &[usize]) {
        let cols = std::mem::take(&mut self.goal_cols);
        // A leading row label (总体目标) whose rowspan a layout did not expand.
        let texts: Vec<usize> = nonblank.iter().copied().filter(|&i| label_key(&cells[i]) != "总体目标").collect();
        if texts.len() == cols.len() {
            for (&(_, is_mid), &i) in cols.iter().zip(&texts) {
                self.set_goal(is_mid, cells[i].clone());
            }
        } else {
            // Shifted cells: give each goal the nearest text at or right of its column.
            for (n, &(col, is_mid)) in cols.iter().enumerate() {
                let limit = cols.get(n + 1).map_or(usize::MAX, |c| c.0);
                if let Some(&i) = texts.iter().find(|&&i| i >= col && i < limit).or_else(|| texts.get(n)) {
                    self.set_goal(is_mid, cells[i].clone());
                }
            }
            self.table().parse_notes.push("goal texts placed by position".into());
        }
        self.section = Section::Head;
    }

    fn opinion(&mut self, cells: &[String], keys: &[String], nonblank: &[usize]) {
        let at = nonblank.iter().position(|&i| is_opinion_label(&keys[i])).unwrap_or(0);
        let text: Vec<&str> = nonblank[at + 1..].iter().map(|&i| cells[i].as_str()).collect();
        if !text.is_empty() {
            self.table().approval_opinion = Some(text.join(""));
        }
        self.section = Section::Done;
    }

    fn indicator_header(&mut self, keys: &[String]) {
        self.header_width = keys.iter().rposition(|k| !k.is_empty()).map_or(0, |i| i + 1);
        self.sides.clear();
        self.l1_col = None;
        self.carry_l1.clear();
        for (c, key) in keys.iter().enumerate() {
            match key.as_str() {
                "一级指标" => self.l1_col = Some(c),
                "二级指标" => self.sides.push(Side { l2: Some(c), ..Side::default() }),
                "三级指标" => {
                    if self.sides.last().is_none_or(|s| s.l3.is_some()) {
                        self.sides.push(Side::default());
                    }
                    if let Some(s) = self.sides.last_mut() {
                        s.l3 = Some(c);
                    }
                }
                k if is_value_label(k) => {
                    if let Some(s) = self.sides.last_mut()
                        && s.value.is_none()
                    {
                        s.value = Some(c);
                        s.horizon = if k.contains("中期") {
                            "midterm"
                        } else if k.contains("年度") {
                            "annual"
                        } else {
                            ""
                        };
                    }
                }
                k if k.contains("指标性质") || k == "性质" => {
                    if let Some(s) = self.sides.last_mut() {
                        s.nature = Some(c);
                    }
                }
                k if k.contains("度量单位") || k.contains("计量单位") || k == "单位" => {
                    if let Some(s) = self.sides.last_mut() {
                        s.unit = Some(c);
                    }
                }
                // Known so that a filled 备注 cell doesn't make a row look shifted; not a value.
                "备注" | "说明" | "分值" | "权重" | "指标权重" | "分值权重" | "评分标准" => {
                    if let Some(s) = self.sides.last_mut() {
                        s.remark = Some(c);
                    }
                }
                _ => {}
            }
        }
        let n = self.sides.len();
        for (i, s) in self.sides.iter_mut().enumerate() {
            if s.horizon.is_empty() {
                s.horizon = if n >= 2 && i == 0 { "midterm" } else { "annual" };
            }
        }
        if n >= 2 {
            self.table().form = "approval";
        } else if self.cur.as_ref().is_some_and(|t| t.form.is_empty()) {
            self.table().form = "target";
        }
        self.section = Section::Indicators;
    }

    fn indicator_row(&mut self, r: u32, cells: &[String], keys: &[String]) {
        if self.sides.is_empty() {
            return;
        }
        let parsed = self.positional(cells, keys).or_else(|| {
            self.realigned_rows += 1;
            Some(self.semantic(cells, keys))
        });
        let Some((l1, per_side)) = parsed else { return };
        if let Some(l1) = l1
            && l1 != self.carry_l1
        {
            self.carry_l1 = l1;
            for s in &mut self.sides {
                s.carry_l2.clear();
            }
        }
        let level1 = self.carry_l1.clone();
        let mut out = Vec::new();
        for (side, parsed) in self.sides.iter_mut().zip(per_side) {
            let Some(p) = parsed else { continue };
            if let Some(l2) = p.l2 {
                side.carry_l2 = l2;
            }
            if p.l3.is_empty() && p.value.is_empty() {
                continue;
            }
            out.push(Indicator {
                horizon: side.horizon,
                level1_code: level1_code(&label_key(&level1)),
                level2_code: level2_code(&label_key(&side.carry_l2)),
                level1: level1.clone(),
                level2: side.carry_l2.clone(),
                level3: p.l3,
                value: p.value,
                unit_column: p.unit,
                row_index: r,
            });
        }
        self.table().indicators.extend(out);
    }

    /// Maps a row through the header's columns, if the row lines up with them.
    fn positional(&self, cells: &[String], keys: &[String]) -> Option<(Option<String>, Vec<Option<SideCells>>)> {
        let mut known: Vec<usize> = self.l1_col.into_iter().collect();
        for s in &self.sides {
            known.extend([s.l2, s.l3, s.value, s.nature, s.unit, s.remark].into_iter().flatten());
        }
        for (c, cell) in cells.iter().enumerate() {
            if cell.is_empty() || known.contains(&c) {
                continue;
            }
            if Some(c) < self.l1_col.or(Some(1)) && is_block_label(&keys[c]) {
                continue;
            }
            return None;
        }
        let get = |c: Option<usize>| c.and_then(|c| cells.get(c)).filter(|s| !s.is_empty());
        let l1 = get(self.l1_col);
        if l1.is_some() && self.l1_col.is_some_and(|c| !is_l1_label(&keys[c])) {
            return None;
        }
        let mut per_side = Vec::new();
        for s in &self.sides {
            let l2 = get(s.l2);
            // Rows are often shorter than their header: only a cell that exists has a key.
            let key = |c: usize| keys.get(c).map_or("", String::as_str);
            let short_l2 = s.l2.is_some_and(|c| !is_l2_label(key(c)) && is_short_l2(key(c)));
            if l2.is_some() && s.l2.is_some_and(|c| !is_l2_label(key(c))) && !short_l2 {
                return None;
            }
            // A short 二级 word (数量, 服务对象满意度) is also a 三级 name: trust it in the 二级
            // column only when the name and value columns are both filled.
            if short_l2 && (get(s.l3).is_none() || get(s.value).is_none()) {
                return None;
            }
            let l3 = get(s.l3);
            if let Some(c) = s.l3
                && l3.is_some()
                && (is_l2_label(&keys[c]) || is_l1_label(&keys[c]))
            {
                return None;
            }
            let mut value = String::new();
            for part in [get(s.nature), get(s.value), get(s.unit)].into_iter().flatten() {
                value.push_str(part);
            }
            if l3.is_none() && !value.is_empty() && get(s.value).is_none() {
                return None;
            }
            per_side.push(Some(SideCells {
                l2: l2.cloned(),
                l3: l3.cloned().unwrap_or_default(),
                value,
                unit: get(s.unit).cloned(),
            }));
        }
        // Every name cell empty while values are present: a shifted row (PDF text adds cells),
        // unless the row is no wider than its header (a value published without a 三级 name).
        let width = cells.iter().rposition(|c| !c.is_empty()).map_or(0, |i| i + 1);
        if per_side.iter().flatten().all(|p| p.l3.is_empty() && p.l2.is_none())
            && (width > self.header_width || !per_side.iter().flatten().all(|p| looks_like_value(&p.value)))
        {
            return None;
        }
        Some((l1.cloned(), per_side))
    }

    /// Reads a shifted row by what each cell is: 一级 label, 二级 label, then name and value.
    fn semantic(&self, cells: &[String], keys: &[String]) -> (Option<String>, Vec<Option<SideCells>>) {
        let toks: Vec<usize> =
            (0..cells.len()).filter(|&i| !cells[i].is_empty() && !is_block_label(&keys[i])).collect();
        let mut k = 0;
        let mut l1 = None;
        if let Some(&t) = toks.first() {
            let next_is_l2 = toks.get(1).is_some_and(|&n| is_l2_label(&keys[n]));
            if is_pure_l1(&keys[t]) || is_l1_label(&keys[t]) && next_is_l2 {
                l1 = Some(cells[t].clone());
                k = 1;
            }
        }
        let n_sides = self.sides.len();
        let mut per_side = Vec::new();
        for side_i in 0..n_sides {
            if k >= toks.len() {
                per_side.push(None);
                continue;
            }
            let mut l2 = None;
            if is_l2_label(&keys[toks[k]]) {
                l2 = Some(cells[toks[k]].clone());
                k += 1;
            }
            let more_sides = side_i + 1 < n_sides;
            let take = |k: &mut usize| -> String {
                match toks.get(*k) {
                    Some(&t) if !(more_sides && is_l2_label(&keys[t])) => {
                        *k += 1;
                        cells[t].clone()
                    }
                    _ => String::new(),
                }
            };
            let l3 = take(&mut k);
            let value = if more_sides {
                take(&mut k)
            } else {
                // The last side may have its value split over 指标性质/指标值/度量单位 cells.
                let rest: Vec<&str> = toks[k.min(toks.len())..].iter().map(|&t| cells[t].as_str()).collect();
                k = toks.len();
                rest.concat()
            };
            per_side.push(Some(SideCells { l2, l3, value, unit: None }));
        }
        (l1, per_side)
    }

    fn finish_table(&mut self, mut t: Table) {
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

        let complete = t.approval_opinion.is_some() || t.indicators.iter().any(|i| i.level1_code == "satisfaction");
        if t.indicators.is_empty() {
            t.problem = Some(format!(
                "table {}: no indicator rows found",
                t.project_name.as_deref().unwrap_or("without 项目名称")
            ));
        } else if !complete {
            let label = |i: &Indicator| if i.level2.is_empty() { i.level3.clone() } else { i.level2.clone() };
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
        self.done.push(t);
    }

    fn finish(mut self) -> Reading {
        if let Some(t) = self.cur.take() {
            self.finish_table(t);
        }
        Reading { tables: self.done }
    }
}

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

#[derive(Debug)]
struct SideCells {
    l2: Option<String>,
    l3: String,
    value: String,
    unit: Option<String>,
}

enum TextField {
    ProjectName,
    Department,
    Implementing,
    BudgetUnit,
}

enum Amount {
    Midterm,
    Annual,
}

fn is_title(key: &str) -> bool {
    key.contains("绩效目标")
        && (key.ends_with('表') || key.contains("批复表") || key.contains("申报表"))
        && key.chars().count() <= 40
}

/// `（ 2020 年度）`, `(2022年度)`, `2019年度`: a short line naming the budget year.
fn year_line(cell: &str) -> Option<i32> {
    let compact: String = cell.chars().map(crate::ingest::text::fold_width).filter(|c| !c.is_whitespace()).collect();
    let inner = compact.trim_start_matches('(').trim_end_matches(')');
    if inner.chars().count() > 12 || !inner.contains("年度") || inner.contains("目标") {
        return None;
    }
    years(inner).first().copied()
}

fn region_of(title: &str) -> Option<String> {
    let key = label_key(title);
    let cut = ["财政", "项目支出", "绩效"].iter().filter_map(|m| key.find(m)).min()?;
    let prefix = &key[..cut];
    let ends = ['市', '省', '区', '县', '州', '盟', '旗'];
    (!prefix.is_empty() && prefix.ends_with(ends)).then(|| prefix.to_string())
}

/// Labels of `label：value` lines above a form (and the ones that end a value on such a line).
const COLON_LABELS: &[&str] = &[
    "预算单位",
    "单位名称",
    "填报单位",
    "部门名称",
    "申报单位",
    "编制单位",
    "项目单位",
    "主管部门",
    "金额单位",
    "计量单位",
    "单位",
    "填报日期",
    "日期",
    "填报人",
    "联系人",
    "联系电话",
    "电话",
    "审核人",
    "负责人",
    "编号",
];

/// Splits `单位名称：中山市市场监督管理局填报日期：2023年10月12日金额单位：万元` into
/// (label, value) pairs. PDF and web extractions run such fields together on one line, so a
/// value ends where the next known label begins.
fn colon_fields(cell: &str) -> Vec<(&'static str, String)> {
    let text: String = cell.chars().map(crate::ingest::text::fold_width).collect();
    let mut found: Vec<(&'static str, usize, usize)> = Vec::new(); // (label, label start, value start)
    for (p, _) in text.match_indices(':') {
        let mut pre = text[..p].trim_end();
        // 预算单位（盖章）： the bracketed remark belongs to the label.
        if pre.ends_with(')')
            && let Some(open) = pre.rfind('(')
        {
            pre = pre[..open].trim_end();
        }
        let label = COLON_LABELS.iter().filter(|l| pre.ends_with(*l)).max_by_key(|l| l.len());
        if let Some(l) = label {
            found.push((l, pre.len() - l.len(), p + 1));
        }
    }
    let mut out = Vec::new();
    for (i, &(label, _, start)) in found.iter().enumerate() {
        let end = found.get(i + 1).map_or(text.len(), |n| n.1);
        if end > start {
            out.push((label, clean(&text[start..end])));
        }
    }
    out
}

fn text_field(key: &str) -> Option<TextField> {
    Some(match key {
        "项目名称" => TextField::ProjectName,
        "主管部门" | "主管单位" | "主管部门及代码" => TextField::Department,
        "实施单位" | "项目实施单位" => TextField::Implementing,
        "预算单位" | "单位名称" | "申报单位" => TextField::BudgetUnit,
        _ => return None,
    })
}

fn amount_field(key: &str) -> Option<Amount> {
    if key.starts_with("其中") || key.contains("其他资金") || key.contains("结转") || key.contains("拨款") {
        return None;
    }
    if !(key.contains("预算") || key.contains("资金") || key.contains("金额")) || key.contains("目标") {
        return None;
    }
    if key.contains("本年") || key.contains("年度") || key.contains("当年") {
        Some(Amount::Annual)
    } else if key.contains("中期") || key.contains("项目资金总额") || key.contains("总预算") || key == "资金总额"
    {
        Some(Amount::Midterm)
    } else {
        None
    }
}

fn is_amount_label(key: &str) -> bool {
    amount_field(key).is_some()
}

/// `Some(true)` for a mid-term (multi-year) goal label, `Some(false)` for an annual one.
fn goal_label(key: &str) -> Option<bool> {
    // Labels are short and end in 目标; a goal text that mentions 年度目标 is not a label.
    if !key.ends_with("目标") || key.contains("指标") || key.chars().count() > 10 {
        return None;
    }
    if key.starts_with("中期") || key.starts_with("项目总") || key.starts_with("长期") || key.contains("滚动")
    {
        Some(true)
    } else if key.starts_with("年度") || key.starts_with("本年") || key.starts_with("当年") {
        Some(false)
    } else {
        None
    }
}

fn date_label(key: &str) -> Option<bool> {
    match key {
        "计划开始日期" | "开始日期" | "项目开始日期" | "计划开始时间" => Some(true),
        "计划完成日期" | "完成日期" | "项目完成日期" | "计划完成时间" | "计划结束日期" => {
            Some(false)
        }
        _ => None,
    }
}

/// Labels of the head block: a cell like this is never a value.
fn is_head_label(key: &str) -> bool {
    text_field(key).is_some()
        || is_amount_label(key)
        || goal_label(key).is_some()
        || date_label(key).is_some()
        || matches!(key, "总体目标" | "绩效指标" | "项目性质" | "项目类别" | "项目资金")
        || key.starts_with("项目资金")
}

fn is_opinion_label(key: &str) -> bool {
    key.chars().count() <= 16 && (key.contains("批复意见") || key.contains("审核意见") || key.contains("审批意见"))
}

/// The row-block label in the first column (绩效指标, 项目绩效目标).
fn is_block_label(key: &str) -> bool {
    matches!(key, "绩效指标" | "绩效目标" | "项目绩效目标" | "项目绩效指标" | "年度绩效指标")
}

fn is_value_label(key: &str) -> bool {
    key.contains("指标值")
        || key.ends_with("目标值")
        || key.ends_with("计划值")
        || key.ends_with("预期值")
        || key == "计划水平"
        || key == "标准值"
}

/// 一级 labels that are never 二级 labels.
fn is_pure_l1(key: &str) -> bool {
    matches!(
        key,
        "产出指标" | "预期产出指标" | "效益指标" | "效果指标" | "预期效果指标" | "预期效益指标" | "满意度指标"
    )
}

fn is_l1_label(key: &str) -> bool {
    is_pure_l1(key) || matches!(key, "成本指标" | "产出" | "效益" | "效果" | "满意度" | "成本")
}

/// A lone cell that reads as a target (digits, ≥, %) rather than a 三级 name.
fn looks_like_value(text: &str) -> bool {
    text.is_empty()
        || text.chars().any(|c| c.is_ascii_digit() || matches!(c, '≥' | '≤' | '%' | '％' | '>' | '<' | '=' | '±'))
        || ["无", "—", "/", "-"].contains(&text)
}

/// 二级 labels some forms print without 指标 (数量, 社会效益, 服务对象满意度). Only trusted in the
/// 二级 column of a row that lines up with its header: as free text they are also 三级 names.
fn is_short_l2(key: &str) -> bool {
    matches!(
        key,
        "数量"
            | "质量"
            | "时效"
            | "成本"
            | "效益"
            | "社会效益"
            | "经济效益"
            | "生态效益"
            | "可持续影响"
            | "满意度"
            | "服务对象满意度"
            | "经济成本"
            | "社会成本"
            | "生态环境成本"
            | "社会经济生态效益"
    )
}

fn is_l2_label(key: &str) -> bool {
    let n = key.chars().count();
    key.ends_with("指标") && (3..=16).contains(&n) && !is_pure_l1(key) || key == "成本指标"
}

pub fn level1_code(key: &str) -> &'static str {
    if key.contains("产出") {
        "output"
    } else if key.contains("满意") {
        "satisfaction"
    } else if key.contains("效益") || key.contains("效果") {
        "outcome"
    } else if key.contains("成本") {
        "cost"
    } else {
        "other"
    }
}

pub fn level2_code(key: &str) -> &'static str {
    let benefits = ["社会", "经济", "生态"].iter().filter(|w| key.contains(*w)).count();
    if key.contains("数量") || key.contains("建筑规模") {
        "quantity"
    } else if key.contains("质量") {
        "quality"
    } else if key.contains("时效") || key.contains("工期") || key.contains("进度") {
        "timeliness"
    } else if key.contains("成本") || key.contains("预算") || key.contains("投资") {
        "cost"
    } else if benefits >= 2 {
        "combined_benefit"
    } else if key.contains("社会") {
        "social_benefit"
    } else if key.contains("经济") {
        "economic_benefit"
    } else if key.contains("生态") || key.contains("环境") {
        "ecological_benefit"
    } else if key.contains("可持续") {
        "sustainability"
    } else if key.contains("满意") {
        "satisfaction"
    } else {
        "other"
    }
}

/// 元 / 万元 written as a unit (金额单位：元).
fn money_unit_word(v: &str) -> Option<MoneyUnit> {
    match label_key(v).as_str() {
        "万元" => Some(MoneyUnit::Wan),
        "元" | "人民币元" => Some(MoneyUnit::Yuan),
        _ => None,
    }
}

/// A unit written in the amount cell itself (`12.5万元`, `125000.00元`) overrides the label's.
fn cell_money_unit(raw: &str) -> Option<MoneyUnit> {
    let t: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    if t.ends_with("万元") || t.ends_with('万') {
        Some(MoneyUnit::Wan)
    } else if t.ends_with('元') {
        Some(MoneyUnit::Yuan)
    } else {
        None
    }
}

fn money_unit_of(raw: &str) -> Option<MoneyUnit> {
    let b = bracketed(raw)?;
    if b.contains("万元") {
        Some(MoneyUnit::Wan)
    } else if b.contains('元') {
        Some(MoneyUnit::Yuan)
    } else {
        None
    }
}

/// Parses a published amount: PDF wrap spaces, full-width digits and thousands separators
/// allowed; a trailing 万元/元 is ignored here (the label carries the unit).
pub fn parse_amount(raw: &str) -> Option<Decimal> {
    let mut s = String::with_capacity(raw.len());
    for c in raw.chars().map(crate::ingest::text::fold_width) {
        match c {
            '0'..='9' | '.' | '-' => s.push(c),
            ',' | '，' | ' ' | '\u{a0}' => {}
            '万' | '元' | '¥' | '￥' => {}
            _ => return None,
        }
    }
    if s.is_empty() || !s.bytes().any(|b| b.is_ascii_digit()) {
        return None;
    }
    s.parse::<Decimal>().ok()
}

fn to_yuan(v: Decimal, unit: MoneyUnit) -> Decimal {
    let mut y = match unit {
        MoneyUnit::Wan => v * Decimal::from(10_000),
        MoneyUnit::Yuan => v,
    }
    .round_dp(2);
    y.rescale(2);
    y
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::layout::tsv;

    const APPROVAL: &str = "# 东莞市财政项目支出绩效目标批复表\n\n（ 2020 年度）\n\n预算单位：中共东莞市直属机关工作委员会\n\n\
项目名称\t党内统计工作经费\t中期市财政预算（万元）\t12.00\t本年度申请市财政预算资金（万元）\t4.00\t\t\n\
总体目标\t中期滚动目标（2020年--2022年）\t\t\t年度目标\t\t\t\n\
\t中期目标文本，很长的一段。\t\t\t年度目标文本，很长的一段。\t\t\t\n\
绩效指标\t一级指标\t二级指标\t三级指标\t指标值（或计划水平）\t二级指标\t三级指标\t计划指标值（或计划水平）\n\
\t预期产出指标\t数量指标（或建筑规模指标）\t数量\t237个直管党组织\t数量指标（或建筑规模指标）\t数量\t79个党组织\n\
\t\t质量指标\t质量\t统计数据逐级上报\t质量指标\t质量\t统计数据逐级上报\n\
满意度指标\t服务对象满意度指标\t满意度\t满意\t服务对象满意度指标\t满意度\t满意\t\n\
市财 政局 批复 意见\t根据预算管理的有关规定。\t\t\t\t\t\t\n";

    #[test]
    fn approval_form_is_read_by_label() {
        let r = read(&tsv::read(APPROVAL));
        assert_eq!(r.tables.len(), 1);
        let t = &r.tables[0];
        assert_eq!(t.form, "approval");
        assert_eq!(t.region.as_deref(), Some("东莞市"));
        assert_eq!(t.year, Some(2020));
        assert_eq!(t.budget_unit.as_deref(), Some("中共东莞市直属机关工作委员会"));
        assert_eq!(t.midterm_budget_yuan, Some(Decimal::new(12000000, 2)));
        assert_eq!(t.annual_budget_yuan, Some(Decimal::new(4000000, 2)));
        assert_eq!((t.midterm_start_year, t.midterm_end_year), (Some(2020), Some(2022)));
        assert_eq!(t.annual_goal.as_deref(), Some("年度目标文本，很长的一段。"));
        assert_eq!(t.approval_opinion.as_deref(), Some("根据预算管理的有关规定。"));
        assert_eq!(t.indicators.len(), 6);
        let sat: Vec<_> = t.indicators.iter().filter(|i| i.level1_code == "satisfaction").collect();
        assert_eq!(sat.len(), 2, "the 满意度 row with its merged leading cell missing is read");
        assert_eq!(sat[1].horizon, "annual");
        assert_eq!(t.indicators[1].value, "79个党组织");
        assert!(t.problem.is_none());
    }

    #[test]
    fn shifted_target_rows_are_realigned() {
        let text = "# 项目支出绩效目标表\n(2022年度)\n单位名称：汕头市人力资源和社会保障局\n\
项目名称\t应急物资储备工作 经费\n\
主管部门\t汕头市人力资 源和社会保障局\t实施单位\t汕头市 人力资源和 社会保障局\n\
项目资金（万元）\t年度资金总额\t\t724 1. 16\t\n\
\t其中：财政拨款\t7241.16\t\n\
年度总体目标\t做好应急物资储备相关 工作，确保服务群 众。\n\
绩效指标\t一级指标\t二级指标\t三级指标\t指标值\n\
\t预期产出指 标\t数量指标\t培训人次\t50平方米系 统\n\
\t\t\t\t生态 效益指 标\t绿化覆盖率\t稳步推进\n\
\t满意度指标\t\t服务对象 满意 度指标\t满意度\t≥90%\n";
        let t = &read(&tsv::read(text)).tables[0];
        assert_eq!(t.form, "target");
        assert_eq!(t.project_name.as_deref(), Some("应急物资储备工作经费"));
        assert_eq!(t.annual_budget_yuan, Some(Decimal::new(72411600, 0)));
        assert_eq!(t.department.as_deref(), Some("汕头市人力资源和社会保障局"));
        let eco = &t.indicators[1];
        assert_eq!(
            (eco.level2.as_str(), eco.level3.as_str(), eco.value.as_str()),
            ("生态效益指标", "绿化覆盖率", "稳步推进")
        );
        assert_eq!(eco.level2_code, "ecological_benefit");
        let sat = &t.indicators[2];
        assert_eq!(
            (sat.level1_code, sat.level2.as_str(), sat.value.as_str()),
            ("satisfaction", "服务对象满意度指标", "≥90%")
        );
    }

    #[test]
    fn cut_off_table_is_reported() {
        let cut = APPROVAL.split("满意度指标\t").next().unwrap();
        let t = &read(&tsv::read(cut)).tables[0];
        assert_eq!(t.problem.as_deref(), Some("table cut off after the 质量指标 row"));
    }

    #[test]
    fn amounts_parse_exactly() {
        assert_eq!(parse_amount("１２．５０"), Some(Decimal::new(1250, 2)));
        assert_eq!(parse_amount("10,308,000.00"), Some(Decimal::new(1030800000, 2)));
        assert_eq!(parse_amount("724 1. 16"), Some(Decimal::new(724116, 2)));
        assert_eq!(parse_amount("良好"), None);
        assert_eq!(to_yuan(Decimal::new(1234567, 6), MoneyUnit::Wan), Decimal::new(1234567, 2));
    }

    #[test]
    fn year_line_in_full_width_brackets_is_read() {
        assert_eq!(year_line("（ 2023 年度）"), Some(2023));
        assert_eq!(year_line("(2022年度)"), Some(2022));
        assert_eq!(year_line("完成2022年度目标"), None);
    }

    #[test]
    fn goal_text_mentioning_a_goal_label_is_not_a_label() {
        assert_eq!(goal_label("年度目标"), Some(false));
        assert_eq!(goal_label("中期滚动目标"), Some(true));
        assert_eq!(goal_label("项目总目标"), Some(true));
        assert_eq!(goal_label(&label_key("年度目标文本，完成年度目标。")), None);
    }

    #[test]
    fn label_fragments_rejoin_but_values_do_not() {
        // 可持续影 / 响指标 and 满意度指 / 标 are one label each; 健全 is the value before them.
        let lines = "财政项目支出绩效目标申报表\n（2026年度）\n项目名称\n测试项目\n项目资金\n（元）\n年度资金申请总额\n1,000.00\n\
一级指标\n二级指标\n三级指标\n年度(/项目)指标值\n产出指标\n数量指标\n道路长度\n985米\n效益指标\n可持续影\n响指标\n\
制度健全性\n健全\n满意度指\n标\n服务对象\n满意度指\n标\n居民满意度\n≥90%\n";
        let t = &read(&tsv::read(lines)).tables[0];
        let got: Vec<(&str, &str, &str)> =
            t.indicators.iter().map(|i| (i.level2.as_str(), i.level3.as_str(), i.value.as_str())).collect();
        assert_eq!(
            got,
            [
                ("数量指标", "道路长度", "985米"),
                ("可持续影响指标", "制度健全性", "健全"),
                ("服务对象满意度指标", "居民满意度", "≥90%")
            ]
        );
        assert_eq!(t.annual_budget_yuan, Some(Decimal::new(100000, 2)));
    }

    #[test]
    fn a_row_cut_in_half_is_not_kept_as_empty_targets() {
        let cut = APPROVAL.split("满意度指标\t").next().unwrap().to_string() + "\t\t可持续影响指标\t长效机制\n";
        let t = &read(&tsv::read(&cut)).tables[0];
        assert_eq!(t.problem.as_deref(), Some("table cut off in the 可持续影响指标 row (its values are missing)"));
        assert!(t.indicators.iter().all(|i| i.level3 != "长效机制"));
        assert_eq!(t.indicators.len(), 4);
    }

    #[test]
    fn random_grids_of_form_words_never_panic() {
        // Rows of random length built from the form's own words: shapes no sample has.
        let words = [
            "",
            "项目名称",
            "测试",
            "绩效指标",
            "一级指标",
            "二级指标",
            "三级指标",
            "指标值",
            "指标性质",
            "度量单位",
            "备注",
            "产出指标",
            "数量指标",
            "数量",
            "服务对象满意度",
            "满意度指标",
            "≥90%",
            "12.00",
            "中期市财政预算（万元）",
            "本年度申请市财政预算资金（万元）",
            "年度目标",
            "中期滚动目标（2020年--2022年）",
            "（2021年度）",
            "单位名称：某局 金额单位：元",
            "批复意见",
            "# 项目支出绩效目标表",
            "成本指标",
            "生态环境",
            "指标",
            "（元）",
        ];
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = |n: usize| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed % n as u64) as usize
        };
        for _ in 0..3000 {
            let mut g = Grid::default();
            for _ in 0..next(30) {
                let len = next(10);
                g.rows.push((0..len).map(|_| crate::ingest::layout::Cell::new(words[next(words.len())])).collect());
            }
            let _ = read(&g);
        }
    }
}
