//! Stage 4, form: the indicator block of the row walker: its header row maps columns, and
//! each row is read through them (by position when it lines up, by its labels otherwise).

use super::*;
use compact_str::CompactString;

/// A row's cells for each side of the header (one or two): kept on the stack.
type PerSide<'c> = SmallVec<[Option<SideCells<'c>>; 2]>;

impl Walker {
    pub(super) fn indicator_header(&mut self, keys: &Keys<'_>) {
        self.header_width = keys.iter().rposition(|k| !k.is_empty()).map_or(0, |i| i + 1);
        self.sides.clear();
        self.l1_col = None;
        self.carry_l1.clear();
        for (c, key) in keys.iter().enumerate() {
            match key.text() {
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
                k if is_value_label(key) => {
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
        // The columns the header names, asked of every row below it.
        self.known_cols.clear();
        self.known_cols.extend(self.l1_col);
        for s in &self.sides {
            self.known_cols.extend([s.l2, s.l3, s.value, s.nature, s.unit, s.remark].into_iter().flatten());
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

    pub(super) fn indicator_row(&mut self, r: u32, cells: &[Cow<'_, str>], keys: &Keys<'_>) {
        if self.sides.is_empty() {
            return;
        }
        let parsed = self.positional(cells, keys).or_else(|| {
            self.realigned_rows += 1;
            Some(self.semantic(cells, keys))
        });
        let Some((l1, per_side)) = parsed else { return };
        let l1_printed = l1.is_some();
        if let Some(l1) = l1
            && l1 != self.carry_l1.text
        {
            self.carry_l1.set(l1);
            for s in &mut self.sides {
                s.carry_l2.clear();
            }
        }
        let level1_code = self.carry_l1.code(&mut self.level1_codes, level1_code);
        // The row's indicators go straight into the current table's list (the table started
        // here if there is none yet), each with the carried labels borrowed for its inline
        // copies: no list per row, no copy of the 一级 label.
        let level1 = self.carry_l1.text.as_str();
        self.cur.get_or_insert_with(Table::default);
        let read_before = self.indicators.len();
        let mut printed_l2: Option<&str> = None;
        for (side, parsed) in self.sides.iter_mut().zip(per_side) {
            let Some(p) = parsed else { continue };
            let l2_printed = p.l2.is_some();
            if printed_l2.is_none() {
                printed_l2 = p.l2;
            }
            if let Some(l2) = p.l2 {
                side.carry_l2.set(l2);
            }
            if p.l3.is_empty() && p.value.is_empty() {
                continue;
            }
            self.printed.push((l1_printed, l2_printed));
            self.indicators.push(Indicator {
                horizon: side.horizon,
                level1_code,
                level2_code: side.carry_l2.code(&mut self.level2_codes, level2_code),
                level1: level1.into(),
                level2: side.carry_l2.text.as_str().into(),
                level3: p.l3.to_string(),
                value: p.value,
                unit_column: p.unit.map(str::to_string),
                row_index: r,
            });
        }
        if self.indicators.len() == read_before && (l1_printed || printed_l2.is_some()) {
            self.label_rows.push((r, l1_printed.then(|| level1.to_string()), printed_l2.map(str::to_string)));
        }
    }

    /// Maps a row through the header's columns, if the row lines up with them.
    fn positional<'c>(&self, cells: &'c [Cow<'_, str>], keys: &Keys<'_>) -> Option<(Option<&'c str>, PerSide<'c>)> {
        for (c, cell) in cells.iter().enumerate() {
            if cell.is_empty() || self.known_cols.contains(&c) {
                continue;
            }
            if Some(c) < self.l1_col.or(Some(1)) && row_label(keys, c).is_some_and(|k| is_block_label(k)) {
                continue;
            }
            return None;
        }
        let get = |c: Option<usize>| c.and_then(|c| cells.get(c)).map(|s| &**s).filter(|s| !s.is_empty());
        let l1 = get(self.l1_col);
        if l1.is_some() && self.l1_col.is_some_and(|c| !row_label(keys, c).is_some_and(|k| is_l1_label(k))) {
            return None;
        }
        let mut per_side = PerSide::new();
        for s in &self.sides {
            let l2 = get(s.l2);
            // Rows are often shorter than their header: only a cell that exists has a key.
            let key = |c: usize| row_label(keys, c);
            let short_l2 = s.l2.is_some_and(|c| key(c).is_some_and(|k| !is_l2_label(k) && is_short_l2(k)));
            if l2.is_some() && s.l2.is_some_and(|c| key(c).is_none_or(|k| !is_l2_label(k))) && !short_l2 {
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
                && row_label(keys, c).is_some_and(|k| is_l2_label(k) || is_l1_label(k))
            {
                return None;
            }
            // Kept inline when short, as the indicator keeps it: no allocation per value.
            let mut value = CompactString::default();
            for part in [get(s.nature), get(s.value), get(s.unit)].into_iter().flatten() {
                value.push_str(part);
            }
            if l3.is_none() && !value.is_empty() && get(s.value).is_none() {
                return None;
            }
            per_side.push(Some(SideCells { l2, l3: l3.unwrap_or_default(), value, unit: get(s.unit) }));
        }
        // Every name cell empty while values are present: a shifted row (PDF text adds cells),
        // unless the row is no wider than its header (a value published without a 三级 name).
        let width = cells.iter().rposition(|c| !c.is_empty()).map_or(0, |i| i + 1);
        if per_side.iter().flatten().all(|p| p.l3.is_empty() && p.l2.is_none())
            && (width > self.header_width || !per_side.iter().flatten().all(|p| looks_like_value(&p.value)))
        {
            return None;
        }
        Some((l1, per_side))
    }

    /// Reads a shifted row by what each cell is: 一级 label, 二级 label, then name and value.
    fn semantic<'c>(&self, cells: &'c [Cow<'_, str>], keys: &Keys<'_>) -> (Option<&'c str>, PerSide<'c>) {
        let label = |i: usize| row_label(keys, i);
        let toks: Vec<usize> = (0..cells.len())
            .filter(|&i| !cells[i].is_empty() && !label(i).is_some_and(|k| is_block_label(k)))
            .collect();
        let mut k = 0;
        let mut l1 = None;
        if let Some(&t) = toks.first() {
            let next_is_l2 = toks.get(1).is_some_and(|&n| label(n).is_some_and(is_l2_label));
            if label(t).is_some_and(|k| is_pure_l1(k) || is_l1_label(k) && next_is_l2) {
                l1 = Some(&*cells[t]);
                k = 1;
            }
        }
        let n_sides = self.sides.len();
        let mut per_side = PerSide::new();
        for side_i in 0..n_sides {
            if k >= toks.len() {
                per_side.push(None);
                continue;
            }
            let mut l2 = None;
            if label(toks[k]).is_some_and(is_l2_label) {
                l2 = Some(&*cells[toks[k]]);
                k += 1;
            }
            let more_sides = side_i + 1 < n_sides;
            let take = |k: &mut usize| -> &'c str {
                match toks.get(*k) {
                    Some(&t) if !(more_sides && label(t).is_some_and(is_l2_label)) => {
                        *k += 1;
                        &cells[t]
                    }
                    _ => "",
                }
            };
            let l3 = take(&mut k);
            let value = if more_sides {
                take(&mut k).into()
            } else {
                // The last side may have its value split over 指标性质/指标值/度量单位 cells.
                let mut rest = CompactString::default();
                for &t in &toks[k.min(toks.len())..] {
                    rest.push_str(&cells[t]);
                }
                k = toks.len();
                rest
            };
            per_side.push(Some(SideCells { l2, l3, value, unit: None }));
        }
        (l1, per_side)
    }
}

/// One side of a row, borrowed from its cells: only what becomes an indicator is copied.
#[derive(Debug)]
pub(super) struct SideCells<'c> {
    l2: Option<&'c str>,
    l3: &'c str,
    value: CompactString,
    unit: Option<&'c str>,
}
