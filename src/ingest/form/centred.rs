//! Stage 4, form: 一级/二级 labels printed once at the vertical middle of their block.
//!
//! A PDF table draws a merged label cell once, and text extractors print its text at the
//! cell's vertical middle, so the rows above the label belong to it as much as the rows below.
//! Read top-down, those rows get no label or the previous block's. When the first indicator
//! row of a table has no label of a level but a later row has one, the labels of that level
//! are taken as centred: each label's block runs from where the previous one ended to as far
//! below the label as it reaches above it, and rows left between two blocks go to the later
//! label (a label is printed at or below its block's middle row when rows differ in height).

use super::Indicator;
use super::labels::{level1_code, level2_code};
use crate::ingest::text::label_key;

/// A row of the indicator block that held only labels: (grid row, 一级, 二级).
pub(super) type LabelRow = (u32, Option<String>, Option<String>);

/// One row of the indicator block as the walker read it.
struct Row {
    /// Indicators of this row (two for a two-sided form).
    members: Vec<usize>,
    l1: Option<String>,
    l2: Option<String>,
}

/// Reassigns 一级 and 二级 labels of `inds` when they were printed centred; `printed` tells,
/// per indicator, whether its row printed its own 一级 and 二级 label. Returns how many rows
/// changed label, for the table's notes.
pub(super) fn relabel(inds: &mut [Indicator], printed: &[(bool, bool)], label_rows: &[LabelRow]) -> usize {
    if printed.len() != inds.len() || inds.is_empty() || !l1_centred(inds, printed, label_rows) {
        return 0;
    }
    let rows = gather(inds, printed, label_rows);
    let l1_printed: Vec<Option<String>> = rows.iter().map(|r| r.l1.clone()).collect();
    let pos = positions(&rows);
    let l1_blocks = blocks(&l1_printed, &pos);
    let mut changed = 0;
    for (start, end, l1) in l1_blocks {
        let l2_printed: Vec<Option<String>> = rows[start..=end].iter().map(|r| r.l2.clone()).collect();
        let l2_blocks = if is_centred(&l2_printed) {
            blocks(&l2_printed, &rebased(&pos[start..=end]))
        } else {
            carried(&l2_printed)
        };
        for (s2, e2, l2) in l2_blocks {
            for row in &rows[start + s2..=start + e2] {
                for &m in &row.members {
                    let ind = &mut inds[m];
                    if ind.level1 != l1 || ind.level2 != l2 {
                        changed += 1;
                    }
                    ind.level1_code = level1_code(&label_key(&l1));
                    ind.level2_code = level2_code(&label_key(&l2));
                    ind.level1 = l1.as_str().into();
                    ind.level2 = l2.as_str().into();
                }
            }
        }
    }
    changed
}

/// Whether the 一级 labels of the rows [`gather`] makes are centred ([`is_centred`]), told
/// without gathering them: nearly every table prints its first 一级 label on its first row,
/// and gathering its rows (a list and two label copies each) only to find that was most of
/// the work of finishing a table.
fn l1_centred(inds: &[Indicator], printed: &[(bool, bool)], label_rows: &[LabelRow]) -> bool {
    // A row's label is the one of the indicator that starts it; the first row is the highest
    // up, an indicator row before a label row on the same line (as the stable sort of
    // `gather` keeps them).
    let starts_row = |i: usize| i == 0 || inds[i - 1].row_index != inds[i].row_index;
    let first_ind = (0..inds.len()).min_by_key(|&i| inds[i].row_index);
    let first_label = label_rows.iter().min_by_key(|l| l.0);
    let first_printed = match (first_ind, first_label) {
        (Some(i), Some(l)) if l.0 < inds[i].row_index => l.1.is_some(),
        (Some(i), _) => printed[i].0,
        (None, Some(l)) => l.1.is_some(),
        (None, None) => return false,
    };
    !first_printed
        && ((0..inds.len()).any(|i| printed[i].0 && starts_row(i)) || label_rows.iter().any(|l| l.1.is_some()))
}

/// The rows of the indicator block, top-down: the indicators of each grid row together, and
/// the rows that held only labels.
fn gather(inds: &[Indicator], printed: &[(bool, bool)], label_rows: &[LabelRow]) -> Vec<Row> {
    let mut rows: Vec<(u32, Row)> = Vec::new();
    for (i, ind) in inds.iter().enumerate() {
        let (p1, p2) = printed[i];
        match rows.last_mut() {
            Some((r, row)) if *r == ind.row_index => row.members.push(i),
            _ => rows.push((
                ind.row_index,
                Row {
                    members: vec![i],
                    l1: p1.then(|| ind.level1.to_string()),
                    l2: p2.then(|| ind.level2.to_string()),
                },
            )),
        }
    }
    // Rows holding only a label (its block's middle line) mark where the label sits.
    for (r, l1, l2) in label_rows {
        rows.push((*r, Row { members: Vec::new(), l1: l1.clone(), l2: l2.clone() }));
    }
    rows.sort_by_key(|(r, _)| *r);
    rows.into_iter().map(|(_, row)| row).collect()
}

/// Labels of one level are centred when the first row has none and a later row has one.
fn is_centred(printed: &[Option<String>]) -> bool {
    printed.first().is_some_and(Option::is_none) && printed.iter().any(Option::is_some)
}

/// The 一级 codes a 二级 code belongs under, where the 二级 label tells.
fn family(l2_code: &str) -> &'static [&'static str] {
    match l2_code {
        "quantity" | "quality" | "timeliness" => &["output"],
        "cost" => &["output", "cost"],
        "social_benefit" | "economic_benefit" | "ecological_benefit" | "sustainability" | "combined_benefit" => {
            &["outcome"]
        }
        "satisfaction" => &["satisfaction"],
        _ => &[],
    }
}

/// An indicator whose 一级 label came from another row (none printed on its own) while its
/// 二级 label belongs under another 一级 takes the nearest printed 一级 label of that family: a
/// label printed at the middle of its block, read top-down, leaves the rows above it with
/// the previous block's label (成本指标 carried onto 数量指标 above a centred 产出指标).
/// Returns how many indicators changed, for the table's notes.
pub(super) fn by_family(inds: &mut [Indicator], printed: &[(bool, bool)]) -> usize {
    if printed.len() != inds.len() {
        return 0;
    }
    // The printed labels, gathered for the first indicator that needs them: in most tables
    // none does. Only indicators that printed none change, so they stay as printed.
    let mut labels: Option<Vec<(usize, String, &'static str)>> = None;
    let mut changed = 0;
    for i in 0..inds.len() {
        let fam = family(inds[i].level2_code);
        if printed[i].0 || fam.is_empty() || fam.contains(&inds[i].level1_code) {
            continue;
        }
        let labels = labels.get_or_insert_with(|| {
            (0..inds.len())
                .filter(|&j| printed[j].0)
                .map(|j| (j, inds[j].level1.to_string(), inds[j].level1_code))
                .collect()
        });
        let nearest = labels.iter().filter(|(_, _, c)| fam.contains(c)).min_by_key(|(j, _, _)| j.abs_diff(i));
        if let Some((_, l1, code)) = nearest {
            inds[i].level1 = l1.as_str().into();
            inds[i].level1_code = code;
            changed += 1;
        }
    }
    changed
}

/// Where each row sits, in indicator rows: a row of indicators at the next whole number, a
/// row holding only labels half a row before the next row of indicators (between two rows).
fn positions(rows: &[Row]) -> Vec<f32> {
    let mut seen = 0.0f32;
    rows.iter()
        .map(|r| {
            if r.members.is_empty() {
                seen - 0.5
            } else {
                seen += 1.0;
                seen - 1.0
            }
        })
        .collect()
}

/// Positions of a block's rows counted from its first row of indicators.
fn rebased(pos: &[f32]) -> Vec<f32> {
    let base = pos.first().map_or(0.0, |p| p.ceil());
    pos.iter().map(|p| p - base).collect()
}

/// The blocks of centred labels as (first row, last row, label), covering every row: the
/// split of the indicator rows into consecutive blocks, one per label, that puts each label
/// nearest its block's middle, all labels weighed together (a label reads from both ends,
/// so a block of tall rows misleads no more than its own boundary). A label above its
/// block's middle costs more than one below (where labels sit when rows differ in height).
/// `pos` is each row's position (see [`positions`]).
fn blocks(printed: &[Option<String>], pos: &[f32]) -> Vec<(usize, usize, String)> {
    let at: Vec<usize> = (0..printed.len()).filter(|&i| printed[i].is_some()).collect();
    let Some(ends) = best_split(&at.iter().map(|&i| pos[i]).collect::<Vec<_>>(), pos) else {
        return greedy_blocks(printed);
    };
    let mut out = Vec::new();
    let mut start = 0;
    for (k, &p) in at.iter().enumerate() {
        // A block's rows: those up to half a row past its last indicator row, and always its
        // own label's row.
        let upper = ends[k] as f32 + 0.5;
        let end = if k + 1 == at.len() {
            printed.len() - 1
        } else {
            (start..printed.len()).take_while(|&i| pos[i] < upper || i <= p).last().unwrap_or(p).min(at[k + 1] - 1)
        };
        out.push((start, end, printed[p].clone().unwrap_or_default()));
        start = end + 1;
    }
    out
}

/// The last indicator row of each label's block (see [`blocks`]), by dynamic programming over
/// the block ends; None when no split keeps every label inside its own block.
fn best_split(labels: &[f32], pos: &[f32]) -> Option<Vec<usize>> {
    let rows = pos.iter().fold(0.0f32, |m, &p| m.max(p + 1.0)) as usize;
    let n = labels.len();
    // The search costs labels × rows²: a table of thousands of rows splits top-down instead.
    if n == 0 || rows == 0 || n.saturating_mul(rows).saturating_mul(rows) > 20_000_000 {
        return None;
    }
    let cost = |k: usize, s: usize, e: usize| -> Option<f32> {
        let p = labels[k];
        if p < s as f32 - 0.5 || p > e as f32 + 0.5 {
            return None;
        }
        let d = 2.0 * p - (s + e) as f32;
        Some(if d < 0.0 { -2.0 * d } else { d })
    };
    // best[k][e]: the least cost of blocks 0..=k with block k ending at row e, and the end
    // of block k - 1 it came from.
    let mut best: Vec<Vec<Option<(f32, usize)>>> = vec![vec![None; rows]; n];
    for (e, cell) in best[0].iter_mut().enumerate() {
        *cell = cost(0, 0, e).map(|c| (c, 0));
    }
    for k in 1..n {
        for e in k..rows {
            best[k][e] = (k - 1..e)
                .filter_map(|prev| {
                    let (before, _) = best[k - 1][prev]?;
                    Some((before + cost(k, prev + 1, e)?, prev))
                })
                .min_by(|a, b| a.0.total_cmp(&b.0));
        }
    }
    let mut ends = vec![rows - 1; n];
    for k in (1..n).rev() {
        ends[k - 1] = best[k][ends[k]]?.1;
    }
    best[0][ends[0]]?;
    Some(ends)
}

/// The blocks of centred labels read top-down, each reaching as far below its label as above
/// it: what [`blocks`] falls back to when no split keeps every label inside its block.
fn greedy_blocks(printed: &[Option<String>]) -> Vec<(usize, usize, String)> {
    let at: Vec<usize> = (0..printed.len()).filter(|&i| printed[i].is_some()).collect();
    let mut out = Vec::new();
    let mut start = 0;
    for (j, &p) in at.iter().enumerate() {
        let last = printed.len() - 1;
        let end = match at.get(j + 1) {
            Some(&next) => (2 * p).saturating_sub(start).clamp(p, next - 1),
            None => last,
        };
        out.push((start, end, printed[p].clone().unwrap_or_default()));
        start = end + 1;
    }
    out
}

/// Labels printed on the first row of their block: each holds until the next one.
fn carried(printed: &[Option<String>]) -> Vec<(usize, usize, String)> {
    let mut out: Vec<(usize, usize, String)> = Vec::new();
    for (i, l) in printed.iter().enumerate() {
        match (l, out.last_mut()) {
            (Some(l), _) => out.push((i, i, l.clone())),
            (None, Some(b)) => b.1 = i,
            (None, None) => out.push((i, i, String::new())),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ind(row: u32, l1: &str, l2: &str) -> Indicator {
        Indicator {
            horizon: "annual",
            level1: l1.into(),
            level2: l2.into(),
            level3: format!("n{row}"),
            value: "v".into(),
            level1_code: "other",
            level2_code: "other",
            unit_column: None,
            row_index: row,
        }
    }

    #[test]
    fn labels_printed_at_the_middle_of_their_block_cover_the_rows_above() {
        // 产出指标 centred on rows 0-2 (printed on row 1), 数量指标 on rows 0-1 printed on row 0
        // would be top-aligned; here 数量指标 sits on row 0 alone, 质量指标 on row 2; 效益指标 on
        // rows 3-4 printed on row 4 (lower middle of two rows).
        let mut inds = vec![
            ind(0, "", "数量指标"),
            ind(1, "产出指标", "数量指标"),
            ind(2, "产出指标", "质量指标"),
            ind(3, "产出指标", "质量指标"),
            ind(4, "效益指标", "社会效益指标"),
        ];
        let printed = [(false, true), (true, false), (false, true), (false, false), (true, true)];
        let n = relabel(&mut inds, &printed, &[]);
        let got: Vec<(&str, &str)> = inds.iter().map(|i| (i.level1.as_str(), i.level2.as_str())).collect();
        assert_eq!(
            got,
            [
                ("产出指标", "数量指标"),
                ("产出指标", "数量指标"),
                ("产出指标", "质量指标"),
                ("效益指标", "社会效益指标"),
                ("效益指标", "社会效益指标")
            ]
        );
        assert_eq!(n, 2);
        assert_eq!(inds[0].level1_code, "output");
    }

    #[test]
    fn a_label_alone_on_its_middle_line_labels_the_rows_around_it() {
        let mut inds = vec![ind(0, "", "数量指标"), ind(2, "产出指标", "质量指标"), ind(3, "效益指标", "社会效益指标")];
        let printed = [(false, true), (false, true), (true, true)];
        relabel(&mut inds, &printed, &[(1, Some("产出指标".into()), None)]);
        let l1: Vec<&str> = inds.iter().map(|i| i.level1.as_str()).collect();
        assert_eq!(l1, ["产出指标", "产出指标", "效益指标"]);
    }

    /// 拆违经费 (pdfplumber): 成本指标 printed on the first row, 产出指标 at the middle of the
    /// three output rows below it, 效益指标 at the middle of the three outcome rows.
    #[test]
    fn a_carried_label_its_level2_contradicts_gives_way_to_the_nearest_of_its_family() {
        let mut inds = vec![
            ind(0, "成本指标", "经济成本指标"),
            ind(1, "成本指标", "数量指标"),
            ind(2, "产出指标", "质量指标"),
            ind(3, "产出指标", "社会效益指标"),
            ind(4, "效益指标", "生态效益指标"),
        ];
        for i in &mut inds {
            i.level1_code = level1_code(&i.level1);
            i.level2_code = level2_code(&i.level2);
        }
        let printed = [(true, true), (false, true), (true, true), (false, true), (true, true)];
        assert_eq!(by_family(&mut inds, &printed), 2);
        let l1: Vec<&str> = inds.iter().map(|i| i.level1.as_str()).collect();
        assert_eq!(l1, ["成本指标", "产出指标", "产出指标", "效益指标", "效益指标"]);
    }

    /// Regression (pdfplumber 各类工作经费): read top-down, a block of tall rows (its label above
    /// its middle row) reached into the next block, whose label sits exactly at its middle;
    /// label rows between two rows count half a row.
    #[test]
    fn a_block_of_tall_rows_does_not_take_rows_of_the_next() {
        // 产出指标 on row 1 of rows 0-2; 效益指标 alone between rows 6 and 7 of rows 3-8 (four
        // short rows above its line, two tall ones below); 满意度指标 alone between rows 11 and
        // 12, the middle of rows 9-14.
        let mut inds: Vec<Indicator> = (0..15).map(|r| ind(r * 10, "", "")).collect();
        inds[1] = ind(10, "产出指标", "数量指标");
        let printed: Vec<(bool, bool)> = (0..15).map(|r| (r == 1, r == 1)).collect();
        let labels = [(65, Some("效益指标".to_string()), None), (115, Some("满意度指标".to_string()), None)];
        relabel(&mut inds, &printed, &labels);
        let l1: Vec<&str> = inds.iter().map(|i| i.level1.as_str()).collect();
        let want: Vec<&str> =
            (0..15).map(|r| ["产出指标", "效益指标", "满意度指标"][usize::from(r > 2) + usize::from(r > 8)]).collect();
        assert_eq!(l1, want);
    }

    /// Random blocks: rows of one or two indicators in any order, label rows on their own
    /// lines or on an indicator row's, labels printed or not.
    #[test]
    fn centred_labels_told_before_gathering_the_rows_are_the_ones_gathered() {
        let mut rng = fastrand::Rng::with_seed(20);
        let mut centred = 0;
        for _ in 0..20_000 {
            let mut inds = Vec::new();
            let mut printed = Vec::new();
            for _ in 0..rng.usize(0..6) {
                let (r, p1) = (rng.u32(0..8), rng.bool());
                for _ in 0..rng.usize(1..3) {
                    inds.push(ind(r, if p1 { "产出指标" } else { "" }, ""));
                    // Each indicator its own, as a caller may pass them.
                    printed.push((if rng.u8(0..8) == 0 { !p1 } else { p1 }, rng.bool()));
                }
            }
            let label_rows: Vec<LabelRow> = (0..rng.usize(0..3))
                .map(|_| (rng.u32(0..8), rng.bool().then(|| "效益指标".to_string()), None))
                .collect();
            let l1: Vec<Option<String>> = gather(&inds, &printed, &label_rows).into_iter().map(|r| r.l1).collect();
            assert_eq!(
                l1_centred(&inds, &printed, &label_rows),
                is_centred(&l1),
                "{inds:?} {printed:?} {label_rows:?}"
            );
            centred += usize::from(is_centred(&l1));
        }
        assert!(centred > 1_000, "{centred} centred");
    }

    #[test]
    fn labels_on_the_first_row_of_their_block_are_left_alone() {
        let mut inds =
            vec![ind(0, "产出指标", "数量指标"), ind(1, "产出指标", "数量指标"), ind(2, "效益指标", "社会效益指标")];
        let before = inds.clone();
        assert_eq!(relabel(&mut inds, &[(true, true), (false, false), (true, true)], &[]), 0);
        assert_eq!(inds, before);
    }
}
