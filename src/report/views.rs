//! Stage 8, report: views derived from the figures that both formats draw (metric rows, unit
//! bars with their "其他" rest, category labels, shares).

use rust_decimal::Decimal;
use rust_decimal::prelude::ToPrimitive;

use super::format::*;
use super::{DASH, EXAMPLE_VALUE_CHARS, TOP_UNITS};
use crate::analytics::model::{CategoryKinds, ReportData, UnitBudget, YearTotals};

pub(super) struct MetricRow {
    pub(super) zh: &'static str,
    pub(super) en: &'static str,
    pub(super) cur: String,
    pub(super) prev: String,
    pub(super) delta: String,
    pub(super) pct: String,
}

pub(super) fn count_row(zh: &'static str, en: &'static str, cur: u64, prev: Option<u64>) -> MetricRow {
    MetricRow {
        zh,
        en,
        cur: fmt_count(cur),
        prev: prev.map_or_else(|| DASH.to_string(), fmt_count),
        delta: prev.map_or_else(|| DASH.to_string(), |p| fmt_signed_count(i128::from(cur) - i128::from(p))),
        // Counts far beyond 2^53 do not exist here; f64 is fine for a percentage.
        pct: prev.map_or_else(|| DASH.to_string(), |p| pct_change_f64(cur as f64, p as f64)),
    }
}

pub(super) fn yuan_row(zh: &'static str, en: &'static str, cur: Decimal, prev: Option<Decimal>) -> MetricRow {
    MetricRow {
        zh,
        en,
        cur: format_yuan(cur),
        prev: prev.map_or_else(|| DASH.to_string(), format_yuan),
        delta: prev.map_or_else(|| DASH.to_string(), |p| fmt_signed_yuan(cur.saturating_sub(p))),
        pct: prev.map_or_else(|| DASH.to_string(), |p| pct_change_dec(cur, p)),
    }
}

pub(super) fn totals_rows(t: &YearTotals, p: Option<&YearTotals>) -> Vec<MetricRow> {
    let score = finite(t.mean_project_score);
    let prev_score = p.and_then(|p| finite(p.mean_project_score));
    let share = finite(t.quantified_share);
    let prev_share = p.and_then(|p| finite(p.quantified_share));
    let both = |a: Option<f64>, b: Option<f64>| a.zip(b);
    vec![
        count_row("项目数", "Projects", t.projects, p.map(|p| p.projects)),
        count_row("预算单位数", "Budget units", t.budget_units, p.map(|p| p.budget_units)),
        count_row("绩效指标数", "Indicators", t.indicators, p.map(|p| p.indicators)),
        yuan_row("年度预算（元）", "Annual budget (yuan)", t.annual_budget_yuan, p.map(|p| p.annual_budget_yuan)),
        yuan_row("中期预算（元）", "Mid-term budget (yuan)", t.midterm_budget_yuan, p.map(|p| p.midterm_budget_yuan)),
        MetricRow {
            zh: "项目平均质量评分",
            en: "Mean project score (0–100)",
            cur: fmt_score(score),
            prev: fmt_score(prev_score),
            delta: both(score, prev_score).map_or_else(|| DASH.to_string(), |(c, p)| with_sign(fmt_fixed(c - p, 1))),
            pct: both(score, prev_score).map_or_else(|| DASH.to_string(), |(c, p)| pct_change_f64(c, p)),
        },
        MetricRow {
            zh: "量化指标占比",
            en: "Quantified targets",
            cur: share.map_or_else(|| DASH.to_string(), fmt_pct),
            prev: prev_share.map_or_else(|| DASH.to_string(), fmt_pct),
            delta: both(share, prev_share)
                .map_or_else(|| DASH.to_string(), |(c, p)| format!("{} pp", with_sign(fmt_fixed((c - p) * 100.0, 1)))),
            pct: both(share, prev_share).map_or_else(|| DASH.to_string(), |(c, p)| pct_change_f64(c, p)),
        },
    ]
}

/// One bar of the per-unit chart: a single unit, or the sum of all units
/// outside the top ten.
pub(super) struct UnitBar<'a> {
    /// Raw (unescaped) label.
    pub(super) label: String,
    pub(super) region: Option<&'a str>,
    pub(super) projects: u64,
    pub(super) budget: Decimal,
    pub(super) share: f64,
    pub(super) mean_quality: Option<f64>,
    /// 0 for a single unit, N for the "其他 (N units)" bar.
    pub(super) rest_units: usize,
}

pub(super) fn rest_label(n: usize) -> String {
    format!("其他 ({n} {})", if n == 1 { "unit" } else { "units" })
}

/// Top units plus one bar for the rest. Sorts defensively (stable, so ties keep
/// the upstream order) because "top 10" must not depend on the caller's order.
pub(super) fn unit_bars(units: &[UnitBudget]) -> Vec<UnitBar<'_>> {
    let mut sorted: Vec<&UnitBudget> = units.iter().collect();
    sorted.sort_by_key(|u| std::cmp::Reverse(u.annual_budget_yuan));
    let (top, rest) = sorted.split_at(sorted.len().min(TOP_UNITS));
    let mut bars: Vec<UnitBar<'_>> = top
        .iter()
        .map(|u| UnitBar {
            label: u.budget_unit.clone(),
            region: u.region.as_deref(),
            projects: u.projects,
            budget: u.annual_budget_yuan,
            share: u.share,
            mean_quality: finite(u.mean_quality),
            rest_units: 0,
        })
        .collect();
    if !rest.is_empty() {
        let budget = sum_decimal(rest.iter().map(|u| u.annual_budget_yuan));
        let projects = rest.iter().fold(0u64, |acc, u| acc.saturating_add(u.projects));
        let share = rest.iter().map(|u| u.share).filter(|s| s.is_finite()).sum();
        // Project-weighted, so a one-project unit does not count as much as a big one.
        let (weighted, weight) = rest
            .iter()
            .filter_map(|u| finite(u.mean_quality).map(|q| (q * u.projects as f64, u.projects)))
            .fold((0.0, 0u64), |(s, n), (q, p)| (s + q, n.saturating_add(p)));
        bars.push(UnitBar {
            label: rest_label(rest.len()),
            region: None,
            projects,
            budget,
            share,
            mean_quality: (weight > 0).then(|| weighted / weight as f64),
            rest_units: rest.len(),
        });
    }
    bars
}

/// Saturating so an absurd input cannot panic; realistic budgets are many
/// orders of magnitude below Decimal's ~7.9e28 limit, where the sum is exact.
pub(super) fn sum_decimal(values: impl Iterator<Item = Decimal>) -> Decimal {
    values.fold(Decimal::ZERO, |acc, v| acc.saturating_add(v))
}

pub(super) fn bars_total(bars: &[UnitBar<'_>]) -> Decimal {
    sum_decimal(bars.iter().map(|b| b.budget))
}

/// Warning text when the unit rows do not add up to the year's total. The
/// report shows the discrepancy rather than forcing the "其他" bar to match,
/// because a mismatch means an upstream bug the analyst has to know about.
pub(super) fn unit_mismatch(d: &ReportData, sum: Decimal) -> Option<(String, String)> {
    let total = d.totals.annual_budget_yuan;
    if sum == total {
        return None;
    }
    Some((
        format!(
            "注意：各单位预算合计 {} 元，与年度预算总额 {} 元不一致（差额 {} 元）。",
            format_yuan(sum),
            format_yuan(total),
            fmt_signed_yuan(sum.saturating_sub(total)),
        ),
        "Note: the unit rows do not add up to the year's total annual budget.".to_string(),
    ))
}

pub(super) fn level1_label(code: &str) -> Option<&'static str> {
    Some(match code {
        "output" => "产出指标",
        "effect" | "benefit" | "outcome" => "效益指标",
        "satisfaction" => "满意度指标",
        "cost" => "成本指标",
        _ => return None,
    })
}

pub(super) fn level2_label(code: &str) -> Option<&'static str> {
    Some(match code {
        "quantity" => "数量",
        "quality" => "质量",
        "timeliness" => "时效",
        "cost" => "成本",
        "social_benefit" => "社会效益",
        "economic_benefit" => "经济效益",
        "ecological_benefit" => "生态效益",
        "combined_benefit" => "社会经济生态效益",
        "sustainability" => "可持续影响",
        "satisfaction" => "满意度",
        "other" => "其他",
        _ => return None,
    })
}

/// Segment widths for the stacked bar: finite, clamped to 0..1 and scaled down
/// if upstream rounding makes them sum above 1, so a bar never overflows.
/// A category row's figures as both formats print them: indicators, the four kinds' shares,
/// the mean score.
pub(super) fn category_figures(c: &CategoryKinds) -> [String; 6] {
    [
        fmt_count(c.indicators),
        fmt_pct(c.quantitative),
        fmt_pct(c.qualitative),
        fmt_pct(c.placeholder),
        fmt_pct(c.empty),
        fmt_score(c.mean_score),
    ]
}

pub(super) fn stack_shares(c: &CategoryKinds) -> [f64; 4] {
    let mut s = [c.quantitative, c.qualitative, c.placeholder, c.empty]
        .map(|v| if v.is_finite() { v.clamp(0.0, 1.0) } else { 0.0 });
    let sum: f64 = s.iter().sum();
    if sum > 1.0 {
        for v in &mut s {
            *v /= sum;
        }
    }
    s
}

/// `v / max` clamped to 0..1, for bar geometry only (f64 is fine there); 0 when
/// either is not positive, so zero totals never divide.
pub(super) fn dec_ratio(v: Decimal, max: Decimal) -> f64 {
    if max <= Decimal::ZERO || v <= Decimal::ZERO {
        return 0.0;
    }
    let ratio = v.to_f64().unwrap_or(0.0) / max.to_f64().unwrap_or(f64::INFINITY);
    if ratio.is_finite() { ratio.clamp(0.0, 1.0) } else { 0.0 }
}

/// An example's value in quotes, shortened; a blank value says so instead of
/// showing empty quotes that read like a rendering bug.
pub(super) fn example_value(value: &str, escape: fn(&str) -> String) -> String {
    if value.trim().is_empty() {
        "（空 empty）".to_string()
    } else {
        format!("“{}”", escape(&truncate_chars(value, EXAMPLE_VALUE_CHARS)))
    }
}

pub(super) fn title_text(d: &ReportData) -> String {
    format!("{} 年度项目支出绩效目标汇总 · Yearly summary of performance targets", d.year)
}

pub(super) fn histogram_total(h: &[(String, u64)]) -> u64 {
    h.iter().fold(0u64, |acc, (_, n)| acc.saturating_add(*n))
}

pub(super) fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        f64::NAN // rendered as "—" by fmt_pct
    } else {
        part as f64 / whole as f64
    }
}
