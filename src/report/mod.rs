//! Stage 8, report: renders the yearly summary as self-contained HTML and Markdown.
//!
//! The numbers are computed upstream (polars); this module only lays them out.
//! A few rules shape everything below:
//!
//! - The HTML is a single file that must read the same offline and on paper: no
//!   script, no network, no web font. Charts are inline SVG built as strings and
//!   all styling sits in one `<style>` block with a system CJK font stack.
//! - Money stays `Decimal` in everything that is printed. `f64` is only used for
//!   bar geometry, where a rounding error is a sub-pixel error, never a wrong number.
//! - Every string that comes from scraped data is hostile until escaped, and it is
//!   escaped where it is written (`esc_html`, `esc_md`), not earlier, so that
//!   truncation can never cut an entity or an escape in half.
//! - The output is deterministic (no timestamp) so two runs can be diffed.
//! - Nothing here panics: empty inputs render "无数据 / No data", zero bases render
//!   "—", and non-finite floats from upstream means are treated as missing.

use std::fmt::{self, Write as _};

use rust_decimal::prelude::ToPrimitive;
use rust_decimal::{Decimal, RoundingStrategy};

use crate::analytics::model::{CategoryKinds, ReportData, UnitBudget, YearTotals};

/// Units drawn individually; the rest are summed into one "其他" bar so the
/// chart stays readable when a region has hundreds of units.
const TOP_UNITS: usize = 10;
const MAX_EXAMPLES: usize = 3;
/// Indicator values can be whole paragraphs; examples only need the gist.
const EXAMPLE_VALUE_CHARS: usize = 80;
/// Width of every chart in SVG user units; the CSS scales it down on narrow pages.
const CHART_W: f64 = 880.0;
/// Width in characters of the text bars in the Markdown version.
const TEXT_BAR_W: usize = 20;
const DASH: &str = "—";

const C_BAR: &str = "#2b5c8a";
const C_REST: &str = "#9aa5b1";
/// Quantitative, qualitative, placeholder, empty. Placeholder is amber because it
/// is the one kind an analyst has to look at; empty is neutral grey.
const C_KINDS: [&str; 4] = ["#2b5c8a", "#9ebfdc", "#e0a93b", "#d5d9de"];
/// Whether the segment label on top of each colour must be white to stay legible.
const KIND_TEXT_INVERTED: [bool; 4] = [true, false, false, false];
const KIND_LABELS: [(&str, &str); 4] =
    [("定量", "quantitative"), ("定性", "qualitative"), ("占位", "placeholder"), ("空白", "empty")];
const KIND_GLYPHS: [char; 4] = ['█', '▓', '▒', '░'];

const SECTIONS: [(&str, &str); 7] = [
    ("总体情况", "Totals"),
    ("各单位年度预算", "Annual budget by unit"),
    ("项目质量评分分布", "Distribution of project quality scores"),
    ("各类指标的量化程度", "Quantified targets by indicator category"),
    ("最常见的问题标记", "Most frequent flags"),
    ("预算最大的项目", "Largest projects by annual budget"),
    ("阅读说明", "How to read this report"),
];

/// (Chinese, English) pairs; constant text, shared by both formats.
const HOW_TO_READ: [(&str, &str); 5] = [
    (
        "质量评分：每个项目 0–100 分，按 docs/quality.md 中的规则计算；分数越高，绩效目标越具体、越可衡量。",
        "Quality score: 0–100 per project, computed with the rules in docs/quality.md; higher means more specific, measurable targets.",
    ),
    (
        "指标值类型：定量 = 可核验的数值目标；定性 = 文字描述；占位 = 没有给出实际目标的套话；空白 = 未填写。判定规则见 docs/quality.md。",
        "Value kinds: quantitative = a checkable numeric target; qualitative = a verbal description; placeholder = boilerplate that sets no real target; empty = not filled in. Rules in docs/quality.md.",
    ),
    (
        "金额单位为元，以十进制精确计算到分，不经浮点运算；“其他 (N units)”为前 10 名以外所有单位的合计。",
        "Amounts are in yuan, computed exactly to the fen with decimal arithmetic; \"其他 (N units)\" sums every unit outside the top 10.",
    ),
    (
        "同比：与上一年度比较；“—”表示没有上年数据或上年数值为零；pp 为百分点。",
        "Year over year: compared with the year before; \"—\" means no previous year or a zero base; pp = percentage points.",
    ),
    (
        "问题标记：一条指标可能同时触发多个标记；示例只是抽样，每个标记最多 3 条。",
        "Flags: one indicator can raise several flags; examples are a sample of at most 3 per flag.",
    ),
];

// ---------------------------------------------------------------------------
// Public entry points
// ---------------------------------------------------------------------------

/// Renders the report as one self-contained HTML document.
pub fn render_html(d: &ReportData) -> String {
    let mut out = String::with_capacity(64 * 1024);
    // Writing into a String cannot fail; the fmt::Result only exists because of
    // the Write trait, so ignoring it loses nothing.
    let _ = write_html(&mut out, d);
    out
}

/// Renders the report as GitHub-flavoured Markdown (tables and text bars
/// instead of SVG charts).
pub fn render_markdown(d: &ReportData) -> String {
    let mut out = String::with_capacity(32 * 1024);
    // See render_html: writing into a String cannot fail.
    let _ = write_markdown(&mut out, d);
    out
}

/// Yuan with thousands separators and exactly two decimals: "1,727,800.00".
/// Rounds half away from zero (the usual rule for money), and never prints "-0.00".
pub fn format_yuan(v: Decimal) -> String {
    let r = v.round_dp_with_strategy(2, RoundingStrategy::MidpointAwayFromZero);
    let negative = r.is_sign_negative() && !r.is_zero();
    let digits = format!("{:.2}", r.abs());
    let (int, frac) = digits.split_once('.').unwrap_or((digits.as_str(), "00"));
    let mut out = String::with_capacity(digits.len() + digits.len() / 3 + 1);
    if negative {
        out.push('-');
    }
    out.push_str(&group_digits(int));
    out.push('.');
    out.push_str(frac);
    out
}

// ---------------------------------------------------------------------------
// Escaping
// ---------------------------------------------------------------------------

/// Escapes text for HTML element content and attribute values (both quote kinds).
fn esc_html(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// Escapes text for one Markdown table cell (or any inline position).
///
/// Line breaks would end the table row, so every control or line-separator
/// character becomes a single space. `|` would open a new cell. `< > &` are
/// entity-escaped because Markdown passes raw HTML through to the renderer.
/// The inline-syntax characters are backslash-escaped so a project name cannot
/// turn into emphasis, code, a strike-through or a link; the backslash itself
/// is escaped first so "a\|b" in the data cannot un-escape our pipe.
fn esc_md(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    let mut last_space = false;
    for c in s.chars() {
        if c.is_control() || c == '\u{2028}' || c == '\u{2029}' {
            if !last_space {
                out.push(' ');
            }
            last_space = true;
            continue;
        }
        last_space = c == ' ';
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\\' | '|' | '`' | '*' | '_' | '[' | ']' | '~' => {
                out.push('\\');
                out.push(c);
            }
            c => out.push(c),
        }
    }
    out.trim().to_string()
}

/// Shortens to at most `max` characters (not bytes, so CJK text cannot be cut
/// inside a code point), marking the cut with an ellipsis.
fn truncate_chars(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

// ---------------------------------------------------------------------------
// Number formatting
// ---------------------------------------------------------------------------

fn group_digits(digits: &str) -> String {
    // Only ever called with ASCII digits, so byte length == char count.
    let n = digits.len();
    let mut out = String::with_capacity(n + n / 3);
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (n - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn fmt_count(n: u64) -> String {
    group_digits(&n.to_string())
}

/// Prefixes "+" to a formatted number that is above zero, so changes read as
/// changes. Zero ("0", "0.00", "0.0%") and "—" are left alone.
fn with_sign(s: String) -> String {
    let nonzero = s.chars().any(|c| c.is_ascii_digit() && c != '0');
    if nonzero && !s.starts_with('-') { format!("+{s}") } else { s }
}

fn fmt_signed_count(delta: i128) -> String {
    let s = group_digits(&delta.unsigned_abs().to_string());
    if delta < 0 { format!("-{s}") } else { with_sign(s) }
}

fn fmt_signed_yuan(delta: Decimal) -> String {
    with_sign(format_yuan(delta))
}

/// Upstream means over empty groups can arrive as NaN; treat them as missing.
fn finite(x: Option<f64>) -> Option<f64> {
    x.filter(|v| v.is_finite())
}

/// Fixed decimals without the "-0.0" that a tiny negative would print.
fn fmt_fixed(v: f64, dp: usize) -> String {
    let s = format!("{v:.dp$}");
    match s.strip_prefix('-') {
        Some(rest) if !rest.chars().any(|c| c.is_ascii_digit() && c != '0') => rest.to_string(),
        _ => s,
    }
}

/// A 0..1 share as a percentage with one decimal.
fn fmt_pct(share: f64) -> String {
    if share.is_finite() { format!("{}%", fmt_fixed(share * 100.0, 1)) } else { DASH.to_string() }
}

fn fmt_score(x: Option<f64>) -> String {
    finite(x).map_or_else(|| DASH.to_string(), |v| fmt_fixed(v, 1))
}

/// Relative change in percent; "—" when there is no usable base.
fn pct_change_f64(cur: f64, prev: f64) -> String {
    if !cur.is_finite() || !prev.is_finite() || prev == 0.0 {
        return DASH.to_string();
    }
    with_sign(format!("{}%", fmt_fixed((cur - prev) / prev.abs() * 100.0, 1)))
}

/// Relative change of two amounts, in Decimal so that it agrees with the
/// printed amounts to the last digit.
fn pct_change_dec(cur: Decimal, prev: Decimal) -> String {
    if prev.is_zero() {
        return DASH.to_string();
    }
    let pct = cur
        .checked_sub(prev)
        .and_then(|delta| delta.checked_div(prev.abs()))
        .and_then(|ratio| ratio.checked_mul(Decimal::ONE_HUNDRED));
    match pct {
        Some(p) => {
            let r = p.round_dp_with_strategy(1, RoundingStrategy::MidpointAwayFromZero);
            let r = if r.is_zero() { Decimal::ZERO } else { r };
            with_sign(format!("{r:.1}%"))
        }
        None => DASH.to_string(),
    }
}

// ---------------------------------------------------------------------------
// Derived views shared by both formats
// ---------------------------------------------------------------------------

struct MetricRow {
    zh: &'static str,
    en: &'static str,
    cur: String,
    prev: String,
    delta: String,
    pct: String,
}

fn count_row(zh: &'static str, en: &'static str, cur: u64, prev: Option<u64>) -> MetricRow {
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

fn yuan_row(zh: &'static str, en: &'static str, cur: Decimal, prev: Option<Decimal>) -> MetricRow {
    MetricRow {
        zh,
        en,
        cur: format_yuan(cur),
        prev: prev.map_or_else(|| DASH.to_string(), format_yuan),
        delta: prev.map_or_else(|| DASH.to_string(), |p| fmt_signed_yuan(cur.saturating_sub(p))),
        pct: prev.map_or_else(|| DASH.to_string(), |p| pct_change_dec(cur, p)),
    }
}

fn totals_rows(t: &YearTotals, p: Option<&YearTotals>) -> Vec<MetricRow> {
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
struct UnitBar<'a> {
    /// Raw (unescaped) label.
    label: String,
    region: Option<&'a str>,
    projects: u64,
    budget: Decimal,
    share: f64,
    mean_quality: Option<f64>,
    /// 0 for a single unit, N for the "其他 (N units)" bar.
    rest_units: usize,
}

fn rest_label(n: usize) -> String {
    format!("其他 ({n} {})", if n == 1 { "unit" } else { "units" })
}

/// Top units plus one bar for the rest. Sorts defensively (stable, so ties keep
/// the upstream order) because "top 10" must not depend on the caller's order.
fn unit_bars(units: &[UnitBudget]) -> Vec<UnitBar<'_>> {
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
fn sum_decimal(values: impl Iterator<Item = Decimal>) -> Decimal {
    values.fold(Decimal::ZERO, |acc, v| acc.saturating_add(v))
}

fn bars_total(bars: &[UnitBar<'_>]) -> Decimal {
    sum_decimal(bars.iter().map(|b| b.budget))
}

/// Warning text when the unit rows do not add up to the year's total. The
/// report shows the discrepancy rather than forcing the "其他" bar to match,
/// because a mismatch means an upstream bug the analyst has to know about.
fn unit_mismatch(d: &ReportData, sum: Decimal) -> Option<(String, String)> {
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

fn level1_label(code: &str) -> Option<&'static str> {
    Some(match code {
        "output" => "产出指标",
        "effect" | "benefit" | "outcome" => "效益指标",
        "satisfaction" => "满意度指标",
        "cost" => "成本指标",
        _ => return None,
    })
}

fn level2_label(code: &str) -> Option<&'static str> {
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
fn stack_shares(c: &CategoryKinds) -> [f64; 4] {
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
fn dec_ratio(v: Decimal, max: Decimal) -> f64 {
    if max <= Decimal::ZERO || v <= Decimal::ZERO {
        return 0.0;
    }
    let ratio = v.to_f64().unwrap_or(0.0) / max.to_f64().unwrap_or(f64::INFINITY);
    if ratio.is_finite() { ratio.clamp(0.0, 1.0) } else { 0.0 }
}

/// Length in pixels of a bar for `v` when `max` fills `full`.
fn bar_len(v: Decimal, max: Decimal, full: f64) -> f64 {
    let r = dec_ratio(v, max);
    if r > 0.0 {
        // A hairline keeps a tiny but non-zero unit visible.
        (r * full).max(1.0)
    } else {
        0.0
    }
}

/// Count axis with a "nice" top (1, 2 or 5 times a power of ten per step) and
/// about four steps. Returns (top, step); never zero.
fn nice_axis(max: u64) -> (u64, u64) {
    if max == 0 {
        return (1, 1);
    }
    let raw = max.div_ceil(4);
    let mut magnitude: u64 = 1;
    while let Some(next) = magnitude.checked_mul(10) {
        if next > raw {
            break;
        }
        magnitude = next;
    }
    let step = [1u64, 2, 5, 10].iter().map(|m| m.saturating_mul(magnitude)).find(|s| *s >= raw).unwrap_or(raw).max(1);
    (max.div_ceil(step).saturating_mul(step), step)
}

/// Unicode block bar for Markdown, in eighths of a character.
fn text_bar(fraction: f64, width: usize) -> String {
    const PARTIAL: [char; 7] = ['▏', '▎', '▍', '▌', '▋', '▊', '▉'];
    let f = if fraction.is_finite() { fraction.clamp(0.0, 1.0) } else { 0.0 };
    let eighths = (f * (width * 8) as f64).round() as usize;
    let mut out = "█".repeat(eighths / 8);
    if let Some(c) = (eighths % 8).checked_sub(1).and_then(|i| PARTIAL.get(i)) {
        out.push(*c);
    }
    out
}

/// Stacked text bar: segment boundaries are rounded cumulatively, so the
/// segments never add up to more than `width` characters.
fn text_stack(shares: [f64; 4], width: usize) -> String {
    let mut out = String::new();
    let mut cum = 0.0;
    let mut drawn = 0usize;
    for (share, glyph) in shares.iter().zip(KIND_GLYPHS) {
        cum += share;
        let boundary = ((cum * width as f64).round() as usize).min(width);
        for _ in drawn..boundary {
            out.push(glyph);
        }
        drawn = drawn.max(boundary);
    }
    out
}

/// An example's value in quotes, shortened; a blank value says so instead of
/// showing empty quotes that read like a rendering bug.
fn example_value(value: &str, escape: fn(&str) -> String) -> String {
    if value.trim().is_empty() {
        "（空 empty）".to_string()
    } else {
        format!("“{}”", escape(&truncate_chars(value, EXAMPLE_VALUE_CHARS)))
    }
}

fn title_text(d: &ReportData) -> String {
    format!("{} 年度项目支出绩效目标汇总 · Yearly summary of performance targets", d.year)
}

fn histogram_total(h: &[(String, u64)]) -> u64 {
    h.iter().fold(0u64, |acc, (_, n)| acc.saturating_add(*n))
}

fn ratio(part: u64, whole: u64) -> f64 {
    if whole == 0 {
        f64::NAN // rendered as "—" by fmt_pct
    } else {
        part as f64 / whole as f64
    }
}

// ---------------------------------------------------------------------------
// SVG helpers
// ---------------------------------------------------------------------------

/// Rough advance width of a character in em: CJK glyphs are square, Latin is
/// narrower. Overestimating a little only leaves some extra room.
fn char_em(c: char) -> f64 {
    if c.is_ascii() { 0.6 } else { 1.0 }
}

fn text_width(s: &str, font_px: f64) -> f64 {
    s.chars().map(char_em).sum::<f64>() * font_px
}

/// Shortens a label to fit `max_px`, on one line. Returns the text to draw and
/// whether it was cut (then the caller adds the full text as a tooltip).
fn fit_text(s: &str, max_px: f64, font_px: f64) -> (String, bool) {
    let one_line = s.split_whitespace().collect::<Vec<_>>().join(" ");
    if text_width(&one_line, font_px) <= max_px {
        return (one_line, false);
    }
    let budget = max_px - font_px; // room for the ellipsis
    let mut used = 0.0;
    let mut out = String::new();
    for c in one_line.chars() {
        let w = char_em(c) * font_px;
        if used + w > budget {
            break;
        }
        used += w;
        out.push(c);
    }
    out.push('…');
    (out, true)
}

fn svg_open(o: &mut String, w: f64, h: f64, label: &str) -> fmt::Result {
    writeln!(
        o,
        r#"<svg class="chart" viewBox="0 0 {w:.0} {h:.0}" width="{w:.0}" height="{h:.0}" role="img" aria-label="{}">"#,
        esc_html(label)
    )
}

fn svg_unit_bars(o: &mut String, bars: &[UnitBar<'_>]) -> fmt::Result {
    const FONT: f64 = 12.0;
    const ROW: f64 = 26.0;
    const BAR: f64 = 16.0;
    const PAD: f64 = 6.0;
    const GAP: f64 = 10.0;
    let values: Vec<String> =
        bars.iter().map(|b| format!("{} · {}", format_yuan(b.budget), fmt_pct(b.share))).collect();
    let label_w = bars.iter().map(|b| text_width(&b.label, FONT)).fold(0.0, f64::max).clamp(80.0, 240.0) + GAP;
    let value_w = values.iter().map(|v| text_width(v, FONT)).fold(0.0, f64::max) + GAP;
    let bar_full = (CHART_W - label_w - value_w).max(120.0);
    let width = label_w + bar_full + value_w;
    let height = PAD * 2.0 + ROW * bars.len() as f64;
    let max = bars.iter().map(|b| b.budget).max().unwrap_or(Decimal::ZERO);
    svg_open(o, width, height, "各单位年度预算 Annual budget by unit")?;
    writeln!(
        o,
        r#"<line class="axis" x1="{label_w:.1}" y1="{:.1}" x2="{label_w:.1}" y2="{:.1}"/>"#,
        PAD - 2.0,
        height - PAD + 2.0
    )?;
    for (i, (b, value)) in bars.iter().zip(&values).enumerate() {
        let y = PAD + ROW * i as f64;
        let bar_y = y + (ROW - BAR) / 2.0;
        let text_y = y + ROW / 2.0 + FONT * 0.36;
        let len = bar_len(b.budget, max, bar_full);
        let (label, _) = fit_text(&b.label, label_w - GAP, FONT);
        let fill = if b.rest_units > 0 { C_REST } else { C_BAR };
        writeln!(
            o,
            concat!(
                r#"<g><title>{full}: {value} 元</title>"#,
                r#"<text x="{lx:.1}" y="{ty:.1}" text-anchor="end">{label}</text>"#,
                r#"<rect x="{bx:.1}" y="{by:.1}" width="{len:.1}" height="{bh:.1}" fill="{fill}"/>"#,
                r#"<text class="muted" x="{vx:.1}" y="{ty:.1}">{value}</text></g>"#
            ),
            full = esc_html(&b.label),
            value = esc_html(value),
            lx = label_w - GAP,
            ty = text_y,
            label = esc_html(&label),
            bx = label_w,
            by = bar_y,
            len = len,
            bh = BAR,
            fill = fill,
            vx = label_w + len + 6.0,
        )?;
    }
    writeln!(o, "</svg>")
}

fn svg_histogram(o: &mut String, buckets: &[(String, u64)]) -> fmt::Result {
    const LEFT: f64 = 52.0;
    const RIGHT: f64 = 8.0;
    const TOP: f64 = 26.0;
    const BOTTOM: f64 = 46.0;
    const HEIGHT: f64 = 250.0;
    let plot_w = CHART_W - LEFT - RIGHT;
    let plot_h = HEIGHT - TOP - BOTTOM;
    let base_y = TOP + plot_h;
    let max = buckets.iter().map(|(_, n)| *n).max().unwrap_or(0);
    let (axis_top, step) = nice_axis(max);
    let y_of = |v: u64| base_y - (v as f64 / axis_top as f64) * plot_h;
    svg_open(o, CHART_W, HEIGHT, "项目质量评分分布 Distribution of project quality scores")?;
    writeln!(o, r#"<text class="muted small" x="0" y="12">项目数 projects</text>"#)?;
    let mut tick = 0u64;
    while tick <= axis_top {
        let y = y_of(tick);
        writeln!(
            o,
            r#"<line class="grid" x1="{LEFT:.1}" y1="{y:.1}" x2="{:.1}" y2="{y:.1}"/><text class="muted small" x="{:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            CHART_W - RIGHT,
            LEFT - 6.0,
            y + 3.5,
            fmt_count(tick)
        )?;
        match tick.checked_add(step) {
            Some(next) => tick = next,
            None => break,
        }
    }
    let slot = plot_w / buckets.len().max(1) as f64;
    let bar_w = slot * 0.72;
    for (i, (label, count)) in buckets.iter().enumerate() {
        let x = LEFT + slot * i as f64 + (slot - bar_w) / 2.0;
        let y = y_of(*count);
        let cx = LEFT + slot * (i as f64 + 0.5);
        let (short, _) = fit_text(label, slot - 4.0, 12.0);
        writeln!(
            o,
            concat!(
                r#"<g><title>{full}: {count}</title>"#,
                r#"<rect x="{x:.1}" y="{y:.1}" width="{w:.1}" height="{h:.1}" fill="{fill}"/>"#,
                r#"<text x="{cx:.1}" y="{cy:.1}" text-anchor="middle">{count}</text>"#,
                r#"<text x="{cx:.1}" y="{ly:.1}" text-anchor="middle">{label}</text></g>"#
            ),
            full = esc_html(label),
            count = fmt_count(*count),
            x = x,
            y = y,
            w = bar_w,
            h = (base_y - y).max(0.0),
            fill = C_BAR,
            cx = cx,
            cy = y - 5.0,
            ly = base_y + 17.0,
            label = esc_html(&short),
        )?;
    }
    writeln!(
        o,
        r#"<line class="axis" x1="{LEFT:.1}" y1="{base_y:.1}" x2="{:.1}" y2="{base_y:.1}"/>"#,
        CHART_W - RIGHT
    )?;
    writeln!(
        o,
        r#"<text class="muted small" x="{:.1}" y="{:.1}" text-anchor="middle">质量评分 quality score (0–100)</text>"#,
        LEFT + plot_w / 2.0,
        HEIGHT - 6.0
    )?;
    writeln!(o, "</svg>")
}

fn svg_categories(o: &mut String, cats: &[CategoryKinds]) -> fmt::Result {
    const LABEL_W: f64 = 150.0;
    const RIGHT_W: f64 = 170.0;
    const ROW: f64 = 34.0;
    const BAR: f64 = 20.0;
    const HEADER: f64 = 24.0;
    const LEGEND: f64 = 30.0;
    let bar_full = CHART_W - LABEL_W - RIGHT_W;
    // One header per run of equal level-1 codes, as drawn in the loop below.
    let groups = cats
        .iter()
        .fold((0usize, None::<&str>), |(n, prev), c| {
            let code = c.level1_code.as_str();
            (if prev == Some(code) { n } else { n + 1 }, Some(code))
        })
        .0;
    let height = LEGEND + HEADER * groups as f64 + ROW * cats.len() as f64 + 4.0;
    svg_open(o, CHART_W, height, "各类指标的量化程度 Quantified targets by indicator category")?;
    for (i, ((zh, en), color)) in KIND_LABELS.iter().zip(C_KINDS).enumerate() {
        let x = LABEL_W + 160.0 * i as f64;
        writeln!(
            o,
            r#"<rect x="{x:.1}" y="6" width="12" height="12" fill="{color}"/><text x="{:.1}" y="16">{zh} <tspan class="muted small">{en}</tspan></text>"#,
            x + 17.0
        )?;
    }
    let mut y = LEGEND;
    let mut previous_level1: Option<&str> = None;
    for c in cats {
        if previous_level1 != Some(c.level1_code.as_str()) {
            let zh = level1_label(&c.level1_code).unwrap_or("");
            writeln!(
                o,
                r#"<text class="bold" x="0" y="{:.1}">{} <tspan class="muted small">{}</tspan></text><line class="grid" x1="0" y1="{:.1}" x2="{CHART_W:.1}" y2="{:.1}"/>"#,
                y + 16.0,
                esc_html(zh),
                esc_html(&c.level1_code),
                y + HEADER - 2.0,
                y + HEADER - 2.0,
            )?;
            y += HEADER;
            previous_level1 = Some(c.level1_code.as_str());
        }
        let (zh, en) = match level2_label(&c.level2_code) {
            Some(zh) => (zh.to_string(), c.level2_code.clone()),
            None => (c.level2_code.clone(), String::new()),
        };
        let (zh, _) = fit_text(&zh, LABEL_W - 16.0, 12.0);
        let (en, _) = fit_text(&en, LABEL_W - 16.0, 10.0);
        writeln!(
            o,
            r#"<text x="{x:.1}" y="{:.1}" text-anchor="end">{}</text><text class="muted small" x="{x:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
            y + 15.0,
            esc_html(&zh),
            y + 28.0,
            esc_html(&en),
            x = LABEL_W - 10.0,
        )?;
        let bar_y = y + (ROW - BAR) / 2.0;
        let originals = [c.quantitative, c.qualitative, c.placeholder, c.empty];
        let mut x = LABEL_W;
        for (k, share) in stack_shares(c).iter().enumerate() {
            let w = share * bar_full;
            if w <= 0.0 {
                continue;
            }
            let pct = fmt_pct(originals[k]);
            write!(
                o,
                r#"<rect x="{x:.1}" y="{bar_y:.1}" width="{w:.1}" height="{BAR:.1}" fill="{}"><title>{} {}: {pct}</title></rect>"#,
                C_KINDS[k], KIND_LABELS[k].0, KIND_LABELS[k].1
            )?;
            // Labels only where they fit; the table below has every number.
            if w >= text_width(&pct, 11.0) + 6.0 {
                writeln!(
                    o,
                    r#"<text class="small{}" x="{:.1}" y="{:.1}" text-anchor="middle">{pct}</text>"#,
                    if KIND_TEXT_INVERTED[k] { " inv" } else { "" },
                    x + w / 2.0,
                    bar_y + BAR / 2.0 + 3.5,
                )?;
            }
            x += w;
        }
        writeln!(
            o,
            r##"<rect x="{LABEL_W:.1}" y="{bar_y:.1}" width="{bar_full:.1}" height="{BAR:.1}" fill="none" stroke="#aab2bb" stroke-width="0.8"/><text class="muted" x="{:.1}" y="{:.1}">{} 项 · 均分 {}</text>"##,
            LABEL_W + bar_full + 10.0,
            bar_y + BAR / 2.0 + 4.0,
            fmt_count(c.indicators),
            fmt_score(c.mean_score),
        )?;
        y += ROW;
    }
    writeln!(o, "</svg>")
}

// ---------------------------------------------------------------------------
// HTML
// ---------------------------------------------------------------------------

const CSS: &str = r#"
:root{--fg:#1f2328;--muted:#5b6470;--line:#d4d9de;--head:#f3f5f7;--accent:#2b5c8a}
*{box-sizing:border-box}
body{margin:0 auto;max-width:960px;padding:28px 24px 48px;background:#fff;color:var(--fg);
 font-family:"PingFang SC","Hiragino Sans GB","Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei","WenQuanYi Micro Hei",system-ui,sans-serif;
 font-size:14px;line-height:1.55}
h1{font-size:24px;font-weight:600;margin:0 0 4px}
h2{font-size:18px;font-weight:600;margin:32px 0 12px;padding-bottom:4px;border-bottom:1px solid var(--line)}
.en{color:var(--muted);font-weight:400;font-size:.72em;margin-left:.35em}
th .en{display:block;margin-left:0;font-size:11px}
.meta{color:var(--muted);margin:0}
table{width:100%;border-collapse:collapse;font-size:13px;margin:8px 0}
th,td{padding:5px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top;overflow-wrap:anywhere}
thead th{background:var(--head);border-bottom:1px solid #b9c0c7;font-weight:600;vertical-align:bottom}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.sum td{font-weight:600;border-top:1px solid #b9c0c7}
tr.rest td{color:var(--muted)}
figure{margin:8px 0 4px}
figcaption{color:var(--muted);font-size:12px;margin-top:4px}
svg.chart{display:block;width:100%;max-width:880px;height:auto}
svg text{font-size:12px;fill:var(--fg)}
svg .muted{fill:var(--muted)}
svg .small{font-size:10px}
svg .bold{font-weight:600}
svg .inv{fill:#fff}
svg .grid{stroke:#e3e7eb;stroke-width:1}
svg .axis{stroke:#9aa3ad;stroke-width:1}
code{font-family:ui-monospace,Menlo,Consolas,"Liberation Mono",monospace;font-size:12px;background:var(--head);padding:0 3px;border-radius:3px}
.desc{color:var(--muted);font-size:12px}
ul.ex{margin:0;padding-left:16px}
ul.ex li{margin:0 0 3px}
.ctx{color:var(--muted);font-size:12px}
.meter{display:inline-block;width:56px;height:7px;background:#e6e9ec;margin-right:6px;vertical-align:middle}
.meter>span{display:block;height:100%;background:var(--accent)}
.flag{display:inline-block;font-size:11px;line-height:1.5;border:1px solid var(--line);border-radius:3px;padding:0 4px;margin:0 3px 2px 0;background:#fafbfc}
.warn{color:#7a4300;background:#fff6e5;border-left:3px solid #e0a93b;padding:6px 10px}
.empty{color:var(--muted);font-style:italic}
.note li{margin-bottom:6px}
.note .en{display:block;margin-left:0;font-size:12px}
footer{margin-top:36px;padding-top:8px;border-top:1px solid var(--line);color:var(--muted);font-size:12px}
table,figure,.warn{break-inside:avoid;page-break-inside:avoid}
tr{break-inside:avoid;page-break-inside:avoid}
thead{display:table-header-group}
h2{break-after:avoid;page-break-after:avoid}
@media print{
 @page{size:A4;margin:14mm}
 body{max-width:none;padding:0;font-size:10pt}
 h2{margin-top:20px}
 *{-webkit-print-color-adjust:exact;print-color-adjust:exact}
}
"#;

fn h2(o: &mut String, index: usize) -> fmt::Result {
    let (zh, en) = SECTIONS.get(index).copied().unwrap_or(("", ""));
    writeln!(o, r#"<h2>{} {zh}<span class="en">{en}</span></h2>"#, index + 1)
}

fn th(zh: &str, en: &str, num: bool) -> String {
    let class = if num { r#" class="num""# } else { "" };
    if en.is_empty() {
        format!("<th{class}>{zh}</th>")
    } else {
        format!(r#"<th{class}>{zh}<span class="en">{en}</span></th>"#)
    }
}

fn html_no_data(o: &mut String) -> fmt::Result {
    writeln!(o, r#"<p class="empty">无数据 <span class="en">No data</span></p>"#)
}

fn write_html(o: &mut String, d: &ReportData) -> fmt::Result {
    let title = match d.region.as_deref() {
        Some(r) => format!("{} — {r}", title_text(d)),
        None => title_text(d),
    };
    writeln!(o, "<!DOCTYPE html>")?;
    writeln!(o, r#"<html lang="zh-CN">"#)?;
    writeln!(o, "<head>")?;
    writeln!(o, r#"<meta charset="utf-8">"#)?;
    writeln!(o, r#"<meta name="viewport" content="width=device-width, initial-scale=1">"#)?;
    writeln!(o, r#"<meta name="generator" content="{}">"#, esc_html(&d.generated_by))?;
    writeln!(o, "<title>{}</title>", esc_html(&title))?;
    writeln!(o, "<style>{CSS}</style>")?;
    writeln!(o, "</head>")?;
    writeln!(o, "<body>")?;
    writeln!(o, "<header>")?;
    writeln!(
        o,
        r#"<h1>{} 年度项目支出绩效目标汇总<span class="en">Yearly summary of performance targets</span></h1>"#,
        d.year
    )?;
    let region =
        d.region.as_deref().map_or_else(|| r#"全部地区 <span class="en">all regions</span>"#.to_string(), esc_html);
    let compared = if d.previous.is_some() {
        d.year.saturating_sub(1).to_string()
    } else {
        format!(r#"{DASH} <span class="en">no previous year</span>"#)
    };
    writeln!(
        o,
        r#"<p class="meta">地区 <span class="en">Region</span>：{region} · 对比年度 <span class="en">compared with</span>：{compared} · {}</p>"#,
        esc_html(&d.generated_by)
    )?;
    writeln!(o, "</header>")?;
    writeln!(o, "<main>")?;
    html_totals(o, d)?;
    html_units(o, d)?;
    html_histogram(o, d)?;
    html_categories(o, d)?;
    html_flags(o, d)?;
    html_projects(o, d)?;
    html_how_to_read(o)?;
    writeln!(o, "</main>")?;
    writeln!(
        o,
        r#"<footer>由 {g} 生成 <span class="en">Generated by {g}</span></footer>"#,
        g = esc_html(&d.generated_by)
    )?;
    writeln!(o, "</body>")?;
    writeln!(o, "</html>")
}

fn html_totals(o: &mut String, d: &ReportData) -> fmt::Result {
    writeln!(o, r#"<section id="totals">"#)?;
    h2(o, 0)?;
    let year = d.year.to_string();
    let prev_year = d.year.saturating_sub(1).to_string();
    writeln!(
        o,
        "<table><thead><tr>{}{}{}{}{}</tr></thead><tbody>",
        th("指标", "Metric", false),
        th(&year, "", true),
        th(&prev_year, "", true),
        th("变化", "Change", true),
        th("变化率", "Change %", true),
    )?;
    for r in totals_rows(&d.totals, d.previous.as_ref()) {
        writeln!(
            o,
            r#"<tr><td>{}<span class="en">{}</span></td><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td></tr>"#,
            r.zh, r.en, r.cur, r.prev, r.delta, r.pct
        )?;
    }
    writeln!(o, "</tbody></table>")?;
    writeln!(o, "</section>")
}

fn html_units(o: &mut String, d: &ReportData) -> fmt::Result {
    writeln!(o, r#"<section id="units">"#)?;
    h2(o, 1)?;
    let bars = unit_bars(&d.units);
    let sum = bars_total(&bars);
    if let Some((zh, en)) = unit_mismatch(d, sum) {
        writeln!(o, r#"<p class="warn">{zh}<span class="en">{en}</span></p>"#)?;
    }
    if bars.is_empty() {
        html_no_data(o)?;
        return writeln!(o, "</section>");
    }
    writeln!(o, "<figure>")?;
    svg_unit_bars(o, &bars)?;
    writeln!(
        o,
        r#"<figcaption>年度预算（元）及占全年比例；合计 {} 元，共 {} 个单位。<span class="en">Annual budget (yuan) and share of the year's total.</span></figcaption>"#,
        format_yuan(sum),
        fmt_count(d.units.len() as u64)
    )?;
    writeln!(o, "</figure>")?;
    let show_region = bars.iter().any(|b| b.region.is_some());
    write!(o, "<table><thead><tr>{}{}", th("#", "", true), th("单位", "Budget unit", false))?;
    if show_region {
        write!(o, "{}", th("地区", "Region", false))?;
    }
    writeln!(
        o,
        "{}{}{}{}</tr></thead><tbody>",
        th("项目数", "Projects", true),
        th("年度预算（元）", "Annual budget (yuan)", true),
        th("占比", "Share", true),
        th("平均质量", "Mean quality", true),
    )?;
    for (i, b) in bars.iter().enumerate() {
        let (class, rank) =
            if b.rest_units > 0 { (r#" class="rest""#, String::new()) } else { ("", (i + 1).to_string()) };
        write!(o, r#"<tr{class}><td class="num">{rank}</td><td>{}</td>"#, esc_html(&b.label))?;
        if show_region {
            write!(o, "<td>{}</td>", esc_html(b.region.unwrap_or(DASH)))?;
        }
        writeln!(
            o,
            r#"<td class="num">{}</td><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td></tr>"#,
            fmt_count(b.projects),
            format_yuan(b.budget),
            fmt_pct(b.share),
            fmt_score(b.mean_quality)
        )?;
    }
    let projects = bars.iter().fold(0u64, |acc, b| acc.saturating_add(b.projects));
    let share: f64 = bars.iter().map(|b| b.share).filter(|s| s.is_finite()).sum();
    writeln!(
        o,
        r#"<tr class="sum"><td></td><td>合计 <span class="en">Total</span></td>{}<td class="num">{}</td><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td></tr>"#,
        if show_region { "<td></td>" } else { "" },
        fmt_count(projects),
        format_yuan(sum),
        fmt_pct(share),
        fmt_score(d.totals.mean_project_score)
    )?;
    writeln!(o, "</tbody></table>")?;
    writeln!(o, "</section>")
}

fn html_histogram(o: &mut String, d: &ReportData) -> fmt::Result {
    writeln!(o, r#"<section id="scores">"#)?;
    h2(o, 2)?;
    let h = &d.score_histogram;
    if h.is_empty() {
        html_no_data(o)?;
        return writeln!(o, "</section>");
    }
    writeln!(o, "<figure>")?;
    svg_histogram(o, h)?;
    writeln!(
        o,
        r#"<figcaption>按项目质量评分分组的项目数，共 {} 个项目；平均 {} 分。<span class="en">Projects per score bucket.</span></figcaption>"#,
        fmt_count(histogram_total(h)),
        fmt_score(d.totals.mean_project_score)
    )?;
    writeln!(o, "</figure>")?;
    writeln!(o, "</section>")
}

fn html_categories(o: &mut String, d: &ReportData) -> fmt::Result {
    writeln!(o, r#"<section id="categories">"#)?;
    h2(o, 3)?;
    let cats = &d.categories;
    if cats.is_empty() {
        html_no_data(o)?;
        return writeln!(o, "</section>");
    }
    writeln!(o, "<figure>")?;
    svg_categories(o, cats)?;
    writeln!(
        o,
        r#"<figcaption>各二级指标中不同指标值类型的占比；右侧为指标数和平均评分。<span class="en">Share of value kinds per level-2 category; indicator count and mean score on the right.</span></figcaption>"#
    )?;
    writeln!(o, "</figure>")?;
    writeln!(
        o,
        "<table><thead><tr>{}{}{}{}{}{}{}{}</tr></thead><tbody>",
        th("一级指标", "Level 1", false),
        th("二级指标", "Level 2", false),
        th("指标数", "Indicators", true),
        th("定量", "Quantitative", true),
        th("定性", "Qualitative", true),
        th("占位", "Placeholder", true),
        th("空白", "Empty", true),
        th("平均评分", "Mean score", true),
    )?;
    for c in cats {
        writeln!(
            o,
            r#"<tr><td>{}</td><td>{}</td><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td></tr>"#,
            html_code_label(&c.level1_code, level1_label(&c.level1_code)),
            html_code_label(&c.level2_code, level2_label(&c.level2_code)),
            fmt_count(c.indicators),
            fmt_pct(c.quantitative),
            fmt_pct(c.qualitative),
            fmt_pct(c.placeholder),
            fmt_pct(c.empty),
            fmt_score(c.mean_score),
        )?;
    }
    writeln!(o, "</tbody></table>")?;
    writeln!(o, "</section>")
}

fn html_code_label(code: &str, zh: Option<&str>) -> String {
    match zh {
        Some(zh) => format!(r#"{zh}<span class="en">{}</span>"#, esc_html(code)),
        None => esc_html(code),
    }
}

fn html_flags(o: &mut String, d: &ReportData) -> fmt::Result {
    writeln!(o, r#"<section id="flags">"#)?;
    h2(o, 4)?;
    if d.flags.is_empty() {
        html_no_data(o)?;
        return writeln!(o, "</section>");
    }
    writeln!(
        o,
        "<table><thead><tr>{}{}{}{}{}</tr></thead><tbody>",
        th("#", "", true),
        th("标记", "Flag", false),
        th("次数", "Count", true),
        th("占指标", "Of indicators", true),
        th("示例", "Examples", false),
    )?;
    for (i, f) in d.flags.iter().enumerate() {
        write!(
            o,
            r#"<tr><td class="num">{}</td><td><code>{}</code><div class="desc">{}</div></td><td class="num">{}</td><td class="num">{}</td><td>"#,
            i + 1,
            esc_html(&f.flag),
            esc_html(&f.description),
            fmt_count(f.count),
            fmt_pct(ratio(f.count, d.totals.indicators)),
        )?;
        if f.examples.is_empty() {
            write!(o, "{DASH}")?;
        } else {
            write!(o, r#"<ul class="ex">"#)?;
            for e in f.examples.iter().take(MAX_EXAMPLES) {
                write!(
                    o,
                    r#"<li><span class="ctx">{} · {}</span><br>{}：{}</li>"#,
                    esc_html(&e.budget_unit),
                    esc_html(&e.project_name),
                    esc_html(&e.level3),
                    example_value(&e.value, esc_html),
                )?;
            }
            write!(o, "</ul>")?;
        }
        writeln!(o, "</td></tr>")?;
    }
    writeln!(o, "</tbody></table>")?;
    writeln!(o, "</section>")
}

fn html_projects(o: &mut String, d: &ReportData) -> fmt::Result {
    writeln!(o, r#"<section id="projects">"#)?;
    h2(o, 5)?;
    if d.top_projects.is_empty() {
        html_no_data(o)?;
        return writeln!(o, "</section>");
    }
    writeln!(
        o,
        "<table><thead><tr>{}{}{}{}{}{}</tr></thead><tbody>",
        th("#", "", true),
        th("单位", "Budget unit", false),
        th("项目", "Project", false),
        th("年度预算（元）", "Annual budget (yuan)", true),
        th("质量评分", "Score", true),
        th("标记", "Flags", false),
    )?;
    for (i, p) in d.top_projects.iter().enumerate() {
        let score = finite(p.quality_score);
        let meter = score.map_or_else(String::new, |s| {
            format!(r#"<span class="meter"><span style="width:{:.1}%"></span></span>"#, s.clamp(0.0, 100.0))
        });
        let flags = if p.flags.is_empty() {
            DASH.to_string()
        } else {
            p.flags.iter().map(|f| format!(r#"<span class="flag">{}</span>"#, esc_html(f))).collect()
        };
        writeln!(
            o,
            r#"<tr><td class="num">{}</td><td>{}</td><td>{}</td><td class="num">{}</td><td class="num">{meter}{}</td><td>{flags}</td></tr>"#,
            i + 1,
            esc_html(&p.budget_unit),
            esc_html(&p.project_name),
            format_yuan(p.annual_budget_yuan),
            fmt_score(score),
        )?;
    }
    writeln!(o, "</tbody></table>")?;
    writeln!(o, "</section>")
}

fn html_how_to_read(o: &mut String) -> fmt::Result {
    writeln!(o, r#"<section id="how-to-read">"#)?;
    h2(o, 6)?;
    writeln!(o, r#"<ul class="note">"#)?;
    for (zh, en) in HOW_TO_READ {
        writeln!(o, r#"<li>{}<span class="en">{}</span></li>"#, esc_html(zh), esc_html(en))?;
    }
    writeln!(o, "</ul>")?;
    writeln!(o, "</section>")
}

// ---------------------------------------------------------------------------
// Markdown
// ---------------------------------------------------------------------------

fn md_h2(o: &mut String, index: usize) -> fmt::Result {
    let (zh, en) = SECTIONS.get(index).copied().unwrap_or(("", ""));
    writeln!(o, "\n## {}. {zh} · {en}\n", index + 1)
}

fn md_no_data(o: &mut String) -> fmt::Result {
    writeln!(o, "*无数据 · No data*")
}

/// Header row plus alignment row; `true` marks a right-aligned (numeric) column.
fn md_table_head(o: &mut String, cols: &[(&str, bool)]) -> fmt::Result {
    let names: Vec<&str> = cols.iter().map(|(n, _)| *n).collect();
    let aligns: Vec<&str> = cols.iter().map(|(_, num)| if *num { "---:" } else { "---" }).collect();
    writeln!(o, "| {} |", names.join(" | "))?;
    writeln!(o, "| {} |", aligns.join(" | "))
}

fn md_row(o: &mut String, cells: &[String]) -> fmt::Result {
    writeln!(o, "| {} |", cells.join(" | "))
}

/// A Markdown code span with a text bar; empty when there is nothing to draw
/// (an empty code span is not valid Markdown).
fn md_bar(bar: String) -> String {
    if bar.is_empty() { String::new() } else { format!("`{bar}`") }
}

fn write_markdown(o: &mut String, d: &ReportData) -> fmt::Result {
    writeln!(o, "# {}\n", title_text(d))?;
    let region = d.region.as_deref().map_or_else(|| "全部地区 all regions".to_string(), esc_md);
    let compared =
        if d.previous.is_some() { d.year.saturating_sub(1).to_string() } else { format!("{DASH} (no previous year)") };
    writeln!(
        o,
        "地区 Region: {region} · 对比年度 Compared with: {compared} · 生成 Generated by: {}",
        esc_md(&d.generated_by)
    )?;

    md_h2(o, 0)?;
    let year = d.year.to_string();
    let prev_year = d.year.saturating_sub(1).to_string();
    md_table_head(
        o,
        &[("指标 Metric", false), (&year, true), (&prev_year, true), ("变化 Change", true), ("变化率 Change %", true)],
    )?;
    for r in totals_rows(&d.totals, d.previous.as_ref()) {
        md_row(o, &[format!("{} {}", r.zh, r.en), r.cur, r.prev, r.delta, r.pct])?;
    }

    md_units(o, d)?;
    md_histogram(o, d)?;
    md_categories(o, d)?;
    md_flags(o, d)?;
    md_projects(o, d)?;

    md_h2(o, 6)?;
    for (zh, en) in HOW_TO_READ {
        writeln!(o, "- {zh}  \n  {en}")?;
    }
    writeln!(o, "\n---\n\n由 {g} 生成 · Generated by {g}", g = esc_md(&d.generated_by))
}

fn md_units(o: &mut String, d: &ReportData) -> fmt::Result {
    md_h2(o, 1)?;
    let bars = unit_bars(&d.units);
    let sum = bars_total(&bars);
    if let Some((zh, en)) = unit_mismatch(d, sum) {
        writeln!(o, "> **{zh}** {en}\n")?;
    }
    if bars.is_empty() {
        return md_no_data(o);
    }
    let show_region = bars.iter().any(|b| b.region.is_some());
    let mut cols = vec![("#", true), ("单位 Budget unit", false)];
    if show_region {
        cols.push(("地区 Region", false));
    }
    cols.extend([
        ("项目数 Projects", true),
        ("年度预算（元） Annual budget (yuan)", true),
        ("占比 Share", true),
        ("平均质量 Mean quality", true),
        ("", false),
    ]);
    md_table_head(o, &cols)?;
    let max = bars.iter().map(|b| b.budget).max().unwrap_or(Decimal::ZERO);
    for (i, b) in bars.iter().enumerate() {
        let rank = if b.rest_units > 0 { String::new() } else { (i + 1).to_string() };
        let mut cells = vec![rank, esc_md(&b.label)];
        if show_region {
            cells.push(esc_md(b.region.unwrap_or(DASH)));
        }
        cells.extend([
            fmt_count(b.projects),
            format_yuan(b.budget),
            fmt_pct(b.share),
            fmt_score(b.mean_quality),
            md_bar(text_bar(dec_ratio(b.budget, max), TEXT_BAR_W)),
        ]);
        md_row(o, &cells)?;
    }
    let projects = bars.iter().fold(0u64, |acc, b| acc.saturating_add(b.projects));
    let share: f64 = bars.iter().map(|b| b.share).filter(|s| s.is_finite()).sum();
    let mut cells = vec![String::new(), "**合计 Total**".to_string()];
    if show_region {
        cells.push(String::new());
    }
    cells.extend([
        format!("**{}**", fmt_count(projects)),
        format!("**{}**", format_yuan(sum)),
        format!("**{}**", fmt_pct(share)),
        fmt_score(d.totals.mean_project_score),
        String::new(),
    ]);
    md_row(o, &cells)
}

fn md_histogram(o: &mut String, d: &ReportData) -> fmt::Result {
    md_h2(o, 2)?;
    let h = &d.score_histogram;
    if h.is_empty() {
        return md_no_data(o);
    }
    let total = histogram_total(h);
    let max = h.iter().map(|(_, n)| *n).max().unwrap_or(0);
    md_table_head(o, &[("评分 Score", false), ("项目数 Projects", true), ("占比 Share", true), ("", false)])?;
    for (label, n) in h {
        md_row(
            o,
            &[
                esc_md(label),
                fmt_count(*n),
                fmt_pct(ratio(*n, total)),
                md_bar(text_bar(if max == 0 { 0.0 } else { *n as f64 / max as f64 }, TEXT_BAR_W)),
            ],
        )?;
    }
    writeln!(
        o,
        "\n共 {} 个项目，平均 {} 分。 Total {} projects, mean score {}.",
        fmt_count(total),
        fmt_score(d.totals.mean_project_score),
        fmt_count(total),
        fmt_score(d.totals.mean_project_score)
    )
}

fn md_code_label(code: &str, zh: Option<&str>) -> String {
    match zh {
        Some(zh) => format!("{zh} {}", esc_md(code)),
        None => esc_md(code),
    }
}

fn md_categories(o: &mut String, d: &ReportData) -> fmt::Result {
    md_h2(o, 3)?;
    if d.categories.is_empty() {
        return md_no_data(o);
    }
    let legend: Vec<String> =
        KIND_LABELS.iter().zip(KIND_GLYPHS).map(|((zh, en), g)| format!("`{g}` {zh} {en}")).collect();
    writeln!(o, "{}\n", legend.join(" · "))?;
    md_table_head(
        o,
        &[
            ("一级 Level 1", false),
            ("二级 Level 2", false),
            ("指标数 Indicators", true),
            ("定量 Quant.", true),
            ("定性 Qual.", true),
            ("占位 Placeholder", true),
            ("空白 Empty", true),
            ("平均评分 Mean score", true),
            ("", false),
        ],
    )?;
    for c in &d.categories {
        md_row(
            o,
            &[
                md_code_label(&c.level1_code, level1_label(&c.level1_code)),
                md_code_label(&c.level2_code, level2_label(&c.level2_code)),
                fmt_count(c.indicators),
                fmt_pct(c.quantitative),
                fmt_pct(c.qualitative),
                fmt_pct(c.placeholder),
                fmt_pct(c.empty),
                fmt_score(c.mean_score),
                md_bar(text_stack(stack_shares(c), TEXT_BAR_W)),
            ],
        )?;
    }
    Ok(())
}

fn md_flags(o: &mut String, d: &ReportData) -> fmt::Result {
    md_h2(o, 4)?;
    if d.flags.is_empty() {
        return md_no_data(o);
    }
    md_table_head(
        o,
        &[
            ("#", true),
            ("标记 Flag", false),
            ("说明 Description", false),
            ("次数 Count", true),
            ("占指标 Of indicators", true),
            ("示例 Examples", false),
        ],
    )?;
    for (i, f) in d.flags.iter().enumerate() {
        let examples: Vec<String> = f
            .examples
            .iter()
            .take(MAX_EXAMPLES)
            .enumerate()
            .map(|(k, e)| {
                format!(
                    "({}) {} · {} — {}：{}",
                    k + 1,
                    esc_md(&e.budget_unit),
                    esc_md(&e.project_name),
                    esc_md(&e.level3),
                    example_value(&e.value, esc_md),
                )
            })
            .collect();
        md_row(
            o,
            &[
                (i + 1).to_string(),
                esc_md(&f.flag),
                esc_md(&f.description),
                fmt_count(f.count),
                fmt_pct(ratio(f.count, d.totals.indicators)),
                if examples.is_empty() { DASH.to_string() } else { examples.join("；") },
            ],
        )?;
    }
    Ok(())
}

fn md_projects(o: &mut String, d: &ReportData) -> fmt::Result {
    md_h2(o, 5)?;
    if d.top_projects.is_empty() {
        return md_no_data(o);
    }
    md_table_head(
        o,
        &[
            ("#", true),
            ("单位 Budget unit", false),
            ("项目 Project", false),
            ("年度预算（元） Annual budget (yuan)", true),
            ("质量评分 Score", true),
            ("标记 Flags", false),
        ],
    )?;
    for (i, p) in d.top_projects.iter().enumerate() {
        let flags = if p.flags.is_empty() {
            DASH.to_string()
        } else {
            p.flags.iter().map(|f| esc_md(f)).collect::<Vec<_>>().join(", ")
        };
        md_row(
            o,
            &[
                (i + 1).to_string(),
                esc_md(&p.budget_unit),
                esc_md(&p.project_name),
                format_yuan(p.annual_budget_yuan),
                fmt_score(p.quality_score),
                flags,
            ],
        )?;
    }
    Ok(())
}

// ---------------------------------------------------------------------------
// Tests
// ---------------------------------------------------------------------------

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analytics::model::{FlagCount, FlagExample, ProjectLine};
    use std::str::FromStr;

    fn dec(s: &str) -> Decimal {
        Decimal::from_str(s).expect("test decimal")
    }

    fn unit(name: &str, budget: &str) -> UnitBudget {
        UnitBudget {
            region: Some("北京市".into()),
            budget_unit: name.into(),
            projects: 3,
            annual_budget_yuan: dec(budget),
            share: 0.0,
            mean_quality: Some(70.0),
        }
    }

    /// Fills in shares from the Decimal budgets, as upstream would.
    fn with_shares(mut units: Vec<UnitBudget>) -> (Vec<UnitBudget>, Decimal) {
        let total = sum_decimal(units.iter().map(|u| u.annual_budget_yuan));
        for u in &mut units {
            u.share = dec_ratio(u.annual_budget_yuan, total);
        }
        units.sort_by_key(|u| std::cmp::Reverse(u.annual_budget_yuan));
        (units, total)
    }

    const UNITS: [(&str, &str); 8] = [
        ("北京市教育委员会", "38456210.50"),
        ("北京市卫生健康委员会", "27913400.00"),
        ("北京市交通委员会", "21067835.20"),
        ("北京市生态环境局", "12504000.00"),
        ("北京市民政局", "9870560.75"),
        ("北京市文化和旅游局", "6235100.00"),
        ("北京市农业农村局", "4118900.30"),
        ("北京市体育局", "1727800.00"),
    ];

    const PROJECTS: [(&str, &str, &str, f64); 20] = [
        ("北京市教育委员会", "中小学校舍安全改造工程", "12860000.00", 82.5),
        ("北京市卫生健康委员会", "基层医疗卫生机构能力提升", "9450000.00", 76.0),
        ("北京市交通委员会", "公交线网优化及运营补贴", "8736520.00", 64.5),
        ("北京市教育委员会", "高校“双一流”建设专项", "7900000.00", 58.0),
        ("北京市卫生健康委员会", "公共卫生应急物资储备", "6128300.00", 71.0),
        ("北京市生态环境局", "大气污染防治专项资金", "5600000.00", 88.0),
        ("北京市交通委员会", "城市慢行系统品质提升", "4980215.20", 45.5),
        ("北京市教育委员会", "学前教育普惠性资源扩充", "4512000.50", 69.0),
        ("北京市民政局", "困难群众基本生活救助", "4300000.00", 73.5),
        ("北京市生态环境局", "水环境治理与监测能力建设", "3904000.00", 80.0),
        ("北京市民政局", "老年人居家养老服务补贴", "3270560.75", 52.0),
        ("北京市卫生健康委员会", "全民健康信息平台运维", "2880000.00", 38.5),
        ("北京市文化和旅游局", "公共文化服务体系示范区建设", "2645100.00", 61.0),
        ("北京市教育委员会", "职业教育实训基地建设", "2415000.00", 77.5),
        ("北京市农业农村局", "高标准农田建设补助", "2118900.30", 84.0),
        ("北京市文化和旅游局", "非物质文化遗产保护传承", "1890000.00", 49.0),
        ("北京市体育局", "全民健身设施补短板工程", "1727800.00", 66.5),
        ("北京市交通委员会", "道路交通安全设施完善", "1650100.00", 72.0),
        ("北京市农业农村局", "村庄人居环境整治", "1200000.00", 57.5),
        ("北京市民政局", "残疾人康复服务补贴", "1080000.00", 90.5),
    ];

    fn flags_sample() -> Vec<FlagCount> {
        let ex = |u: &str, p: &str, l3: &str, v: &str| FlagExample {
            budget_unit: u.into(),
            project_name: p.into(),
            level3: l3.into(),
            value: v.into(),
        };
        vec![
            FlagCount {
                flag: "placeholder_value".into(),
                description: "指标值为“完成”“达标”等没有实际目标的套话".into(),
                count: 412,
                examples: vec![
                    ex("北京市交通委员会", "城市慢行系统品质提升", "工程完成情况", "按计划完成"),
                    ex("北京市民政局", "老年人居家养老服务补贴", "服务质量", "达标"),
                    ex("北京市卫生健康委员会", "全民健康信息平台运维", "系统运行情况", "良好"),
                    ex("北京市体育局", "全民健身设施补短板工程", "第四条示例", "不应显示"),
                ],
            },
            FlagCount {
                flag: "missing_unit".into(),
                description: "数值型指标缺少计量单位".into(),
                count: 287,
                examples: vec![
                    ex("北京市教育委员会", "中小学校舍安全改造工程", "校舍改造面积", "12000"),
                    ex("北京市农业农村局", "高标准农田建设补助", "新建高标准农田", "3.5"),
                ],
            },
            FlagCount {
                flag: "empty_value".into(),
                description: "指标值未填写".into(),
                count: 131,
                examples: vec![ex("北京市文化和旅游局", "非物质文化遗产保护传承", "社会公众满意度", "")],
            },
            FlagCount {
                flag: "percent_over_100".into(),
                description: "百分比指标值超过 100%".into(),
                count: 17,
                examples: vec![ex("北京市生态环境局", "大气污染防治专项资金", "PM2.5 浓度下降比例", "≥120%")],
            },
            FlagCount {
                flag: "duplicate_indicator".into(),
                description: "同一项目内三级指标重复".into(),
                count: 9,
                examples: vec![],
            },
        ]
    }

    fn categories_sample() -> Vec<CategoryKinds> {
        let c = |l1: &str, l2: &str, n: u64, s: [f64; 4], m: f64| CategoryKinds {
            level1_code: l1.into(),
            level2_code: l2.into(),
            indicators: n,
            quantitative: s[0],
            qualitative: s[1],
            placeholder: s[2],
            empty: s[3],
            mean_score: Some(m),
        };
        vec![
            c("output", "quantity", 1840, [0.86, 0.06, 0.05, 0.03], 78.2),
            c("output", "quality", 1312, [0.52, 0.24, 0.19, 0.05], 63.4),
            c("output", "timeliness", 905, [0.44, 0.21, 0.31, 0.04], 57.9),
            c("output", "cost", 402, [0.91, 0.02, 0.03, 0.04], 82.0),
            c("effect", "social_benefit", 1120, [0.21, 0.55, 0.20, 0.04], 48.6),
            c("effect", "economic_benefit", 236, [0.38, 0.37, 0.16, 0.09], 52.3),
            c("effect", "ecological_benefit", 188, [0.33, 0.41, 0.18, 0.08], 51.0),
            c("effect", "combined_benefit", 40, [0.10, 0.60, 0.25, 0.05], 41.2),
            c("effect", "sustainability", 610, [0.08, 0.61, 0.27, 0.04], 39.7),
            c("satisfaction", "satisfaction", 980, [0.94, 0.02, 0.01, 0.03], 85.1),
        ]
    }

    fn histogram_sample() -> Vec<(String, u64)> {
        let counts = [3, 7, 18, 41, 96, 173, 248, 301, 187, 64];
        counts
            .iter()
            .enumerate()
            .map(|(i, n)| {
                let label = if i == 9 { "90–100".to_string() } else { format!("{}–{}", i * 10, i * 10 + 9) };
                (label, *n)
            })
            .collect()
    }

    /// A realistic year: 8 units, 20 projects with Chinese names.
    fn sample() -> ReportData {
        let (units, total) = with_shares(
            UNITS
                .iter()
                .zip([78.4, 69.1, 61.7, 83.9, 66.0, 55.2, 74.8, 66.5])
                .enumerate()
                .map(|(i, ((name, budget), q))| UnitBudget {
                    region: Some("北京市".into()),
                    budget_unit: (*name).into(),
                    projects: [46, 38, 29, 17, 22, 15, 12, 6][i],
                    annual_budget_yuan: dec(budget),
                    share: 0.0,
                    mean_quality: Some(q),
                })
                .collect(),
        );
        let top_projects = PROJECTS
            .iter()
            .enumerate()
            .map(|(i, (u, p, b, s))| ProjectLine {
                budget_unit: (*u).into(),
                project_name: (*p).into(),
                annual_budget_yuan: dec(b),
                quality_score: Some(*s),
                flags: match i % 4 {
                    0 => vec![],
                    1 => vec!["placeholder_value".into()],
                    2 => vec!["missing_unit".into(), "placeholder_value".into()],
                    _ => vec!["empty_value".into()],
                },
            })
            .collect();
        ReportData {
            year: 2024,
            region: Some("北京市".into()),
            generated_by: "jixiao 0.1.0".into(),
            totals: YearTotals {
                projects: 185,
                budget_units: 8,
                indicators: 7633,
                annual_budget_yuan: total,
                midterm_budget_yuan: dec("301554210.85"),
                mean_project_score: Some(68.37),
                quantified_share: Some(0.5712),
            },
            previous: Some(YearTotals {
                projects: 171,
                budget_units: 8,
                indicators: 7020,
                annual_budget_yuan: dec("115230480.00"),
                midterm_budget_yuan: dec("289000000.00"),
                mean_project_score: Some(64.9),
                quantified_share: Some(0.5388),
            }),
            units,
            score_histogram: histogram_sample(),
            categories: categories_sample(),
            flags: flags_sample(),
            top_projects,
        }
    }

    /// 14 units (so the "其他" bar appears) including hostile names.
    fn sample_many_units() -> ReportData {
        let mut d = sample();
        let mut units = d.units.clone();
        // A long name inside the top ten, to see the label truncation.
        units[7].budget_unit = "北京市园林绿化局（首都绿化委员会办公室）下属事业单位管理中心".into();
        for (name, budget) in [
            ("<script>alert(1)</script>", "1500000.00"),
            ("a|b 工作室", "980000.10"),
            ("北京市知识产权局", "870000.00"),
            ("北京市园林绿化局种苗站", "650000.33"),
            ("北京市档案馆", "420000.00"),
            ("北京市地方志编纂委员会办公室", "210000.01"),
        ] {
            units.push(unit(name, budget));
        }
        let (units, total) = with_shares(units);
        d.units = units;
        d.totals.annual_budget_yuan = total;
        d.totals.budget_units = 14;
        d.region = None;
        d.top_projects[0].project_name = "a|b <b>粗体</b> & \"引号\" 'x'\n第二行".into();
        d
    }

    fn empty_report() -> ReportData {
        ReportData { year: 2024, generated_by: "jixiao 0.1.0".into(), ..ReportData::default() }
    }

    fn assert_no_float_junk(s: &str) {
        for junk in ["NaN", "inf", "-0.0%", "-0.00"] {
            assert!(!s.contains(junk), "output contains {junk:?}");
        }
    }

    /// Every Markdown table row has as many unescaped pipes as its header row,
    /// i.e. no data string broke out of its cell or its row.
    fn assert_md_tables_intact(md: &str) {
        fn cells(line: &str) -> usize {
            let mut n = 0;
            let mut escaped = false;
            for c in line.chars() {
                if escaped {
                    escaped = false;
                } else if c == '\\' {
                    escaped = true;
                } else if c == '|' {
                    n += 1;
                }
            }
            n
        }
        let mut header: Option<usize> = None;
        for line in md.lines() {
            if line.starts_with('|') {
                let n = cells(line);
                match header {
                    None => header = Some(n),
                    Some(h) => assert_eq!(h, n, "broken table row: {line}"),
                }
            } else {
                header = None;
            }
        }
    }

    #[test]
    fn format_yuan_groups_and_rounds() {
        assert_eq!(format_yuan(dec("1727800")), "1,727,800.00");
        assert_eq!(format_yuan(dec("1727800.00")), "1,727,800.00");
        assert_eq!(format_yuan(dec("0")), "0.00");
        assert_eq!(format_yuan(dec("12.5")), "12.50");
        assert_eq!(format_yuan(dec("999")), "999.00");
        assert_eq!(format_yuan(dec("1000")), "1,000.00");
        assert_eq!(format_yuan(dec("-1234.5")), "-1,234.50");
        assert_eq!(format_yuan(dec("999.995")), "1,000.00");
        assert_eq!(format_yuan(dec("1234567.891")), "1,234,567.89");
        assert_eq!(format_yuan(dec("0.005")), "0.01");
        assert_eq!(format_yuan(dec("-0.004")), "0.00");
        assert_eq!(format_yuan(Decimal::MAX), "79,228,162,514,264,337,593,543,950,335.00");
        assert_eq!(format_yuan(Decimal::MIN), "-79,228,162,514,264,337,593,543,950,335.00");
    }

    #[test]
    fn unit_bars_top_plus_rest_equal_totals_exactly() {
        // Amounts chosen so that a float sum would not be exact.
        let raw: Vec<UnitBudget> = (0..15)
            .map(|i| unit(&format!("单位{i}"), &format!("{}.{:02}", 100_000 + i * 7_919, (i * 37) % 100)))
            .chain([unit("零头", "0.01"), unit("大额", "987654321987.99")])
            .collect();
        let (units, total) = with_shares(raw);
        let bars = unit_bars(&units);
        assert_eq!(bars.len(), TOP_UNITS + 1);
        let rest = bars.last().expect("rest bar");
        assert_eq!(rest.rest_units, 7);
        assert_eq!(rest.label, "其他 (7 units)");
        let top = sum_decimal(bars[..TOP_UNITS].iter().map(|b| b.budget));
        assert_eq!(top + rest.budget, total);
        assert_eq!(bars_total(&bars), total);
        // The expected total written out, independent of sum_decimal.
        let mut expected = Decimal::ZERO;
        for u in &units {
            expected += u.annual_budget_yuan;
        }
        assert_eq!(bars_total(&bars), expected);
        assert_eq!(rest.projects, units[TOP_UNITS..].iter().map(|u| u.projects).sum::<u64>());

        // And what the report prints is that exact sum, with no warning.
        let rest_budget = format_yuan(rest.budget);
        let d = ReportData {
            units,
            totals: YearTotals { annual_budget_yuan: total, ..YearTotals::default() },
            ..empty_report()
        };
        let html = render_html(&d);
        let md = render_markdown(&d);
        assert!(html.contains(&format_yuan(total)));
        assert!(md.contains(&format!("**{}**", format_yuan(total))));
        assert!(html.contains(&rest_budget));
        assert!(!html.contains("class=\"warn\""));
        assert!(!md.contains("注意"));
    }

    #[test]
    fn unit_bars_edge_counts() {
        assert!(unit_bars(&[]).is_empty());
        let ten: Vec<UnitBudget> = (0..10).map(|i| unit(&i.to_string(), "1.10")).collect();
        let bars = unit_bars(&ten);
        assert_eq!(bars.len(), 10);
        assert!(bars.iter().all(|b| b.rest_units == 0));
        assert_eq!(bars_total(&bars), dec("11.00"));
        let eleven: Vec<UnitBudget> = (0..11).map(|i| unit(&i.to_string(), "1.10")).collect();
        let bars = unit_bars(&eleven);
        assert_eq!(bars.len(), 11);
        assert_eq!(bars[10].label, "其他 (1 unit)");
        assert_eq!(bars_total(&bars), dec("12.10"));
    }

    #[test]
    fn unit_bars_sort_defensively() {
        let units = vec![unit("小", "1.00"), unit("大", "3.00"), unit("中", "2.00")];
        let labels: Vec<String> = unit_bars(&units).into_iter().map(|b| b.label).collect();
        assert_eq!(labels, ["大", "中", "小"]);
    }

    #[test]
    fn mismatch_between_units_and_total_is_reported() {
        let mut d = sample();
        d.totals.annual_budget_yuan += dec("0.01");
        let html = render_html(&d);
        assert!(html.contains("class=\"warn\""));
        assert!(html.contains("差额 -0.01 元"));
        assert!(render_markdown(&d).contains("> **注意"));
    }

    #[test]
    fn hostile_strings_are_escaped_in_html() {
        let mut d = sample_many_units();
        d.region = Some("\"><script>alert('r')</script>".into());
        d.generated_by = "jixiao <0.1.0>".into();
        d.flags[0].flag = "<img src=x onerror=alert(1)>".into();
        d.flags[0].examples[0].value = "</td></tr><script>alert(2)</script>".into();
        d.flags[0].examples[0].level3 = "a|b".into();
        d.categories[0].level2_code = "<svg onload=alert(3)>".into();
        d.score_histogram[0].0 = "<b>0</b>".into();
        d.top_projects[1].flags = vec!["<i>x</i>".into()];
        let html = render_html(&d);
        assert!(!html.contains("<script"), "raw script tag in HTML");
        assert!(!html.contains("<img"));
        assert!(!html.contains("<svg onload"));
        assert!(!html.contains("<b>"));
        assert!(!html.contains("<i>"));
        assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(html.contains("&quot;&gt;&lt;script&gt;alert(&#39;r&#39;)&lt;/script&gt;"));
        assert!(html.contains("a|b 工作室"));
        assert!(html.contains("a|b &lt;b&gt;粗体&lt;/b&gt; &amp; &quot;引号&quot; &#39;x&#39;"));
        assert_no_float_junk(&html);
    }

    #[test]
    fn hostile_strings_are_escaped_in_markdown() {
        let mut d = sample_many_units();
        d.region = Some("东城|西城\n第二行".into());
        d.flags[0].examples[0].value = "x|y\r\nz `code` *em* [l](javascript:alert(1)) a\\|b".into();
        d.categories[0].level2_code = "bad|code".into();
        d.score_histogram[0].0 = "0|9".into();
        let md = render_markdown(&d);
        assert!(!md.contains("<script"));
        assert!(md.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
        assert!(md.contains(r"a\|b 工作室"));
        assert!(md.contains(r"a\|b &lt;b&gt;粗体&lt;/b&gt; &amp; "));
        assert!(md.contains(r"东城\|西城 第二行"));
        assert!(md.contains(r"x\|y z \`code\` \*em\* \[l\](javascript:alert(1)) a\\\|b"));
        assert!(!md.contains("第二行\n"), "newline from data leaked into Markdown");
        assert_md_tables_intact(&md);
        assert_no_float_junk(&md);
    }

    #[test]
    fn esc_md_and_esc_html_basics() {
        assert_eq!(esc_html(r#"<a href="x">'&'</a>"#), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
        assert_eq!(esc_md("a|b"), r"a\|b");
        assert_eq!(esc_md("line1\nline2\r\n\tline3"), "line1 line2 line3");
        assert_eq!(esc_md("  padded\n"), "padded");
        assert_eq!(esc_md("1~3天"), r"1\~3天");
    }

    #[test]
    fn html_is_self_contained() {
        let html = render_html(&sample_many_units());
        for forbidden in ["<script", "<link", "@import", "url(", "http://", "https://", "<img", "@font-face"] {
            assert!(!html.contains(forbidden), "HTML contains {forbidden:?}");
        }
        assert!(html.starts_with("<!DOCTYPE html>"));
        assert!(html.contains("<style>"));
        assert!(html.contains("@media print"));
        assert!(html.contains("Noto Sans CJK SC"));
        assert_eq!(html.matches("<svg").count(), html.matches("</svg>").count());
        assert_eq!(html.matches("<svg").count(), 3);
    }

    #[test]
    fn sections_present_in_both_formats() {
        let d = sample();
        let html = render_html(&d);
        let md = render_markdown(&d);
        assert!(html.contains("2024 年度项目支出绩效目标"));
        assert!(md.starts_with("# 2024 年度项目支出绩效目标汇总 · Yearly summary of performance targets\n"));
        for (zh, en) in SECTIONS {
            assert!(html.contains(zh) && html.contains(en), "HTML misses {zh}");
            assert!(md.contains(zh) && md.contains(en), "Markdown misses {zh}");
        }
        for s in [&html, &md] {
            assert!(s.contains("docs/quality.md"));
            assert!(s.contains("1,727,800.00"));
            assert!(s.contains("全民健身设施补短板工程"));
        }
        assert_md_tables_intact(&md);
    }

    #[test]
    fn year_over_year_changes() {
        let d = ReportData {
            totals: YearTotals {
                projects: 110,
                budget_units: 5,
                indicators: 90,
                annual_budget_yuan: dec("1100.00"),
                midterm_budget_yuan: dec("500"),
                mean_project_score: Some(72.5),
                quantified_share: Some(0.6),
            },
            previous: Some(YearTotals {
                projects: 100,
                budget_units: 5,
                indicators: 100,
                annual_budget_yuan: dec("1000.00"),
                midterm_budget_yuan: Decimal::ZERO,
                mean_project_score: Some(70.0),
                quantified_share: Some(0.5),
            }),
            ..empty_report()
        };
        let rows = totals_rows(&d.totals, d.previous.as_ref());
        let cells = |r: &MetricRow| (r.delta.clone(), r.pct.clone());
        assert_eq!(cells(&rows[0]), ("+10".into(), "+10.0%".into()));
        assert_eq!(cells(&rows[1]), ("0".into(), "0.0%".into()));
        assert_eq!(cells(&rows[2]), ("-10".into(), "-10.0%".into()));
        assert_eq!(cells(&rows[3]), ("+100.00".into(), "+10.0%".into()));
        // Zero base: the absolute change is known, the relative one is not.
        assert_eq!(cells(&rows[4]), ("+500.00".into(), "—".into()));
        assert_eq!(cells(&rows[5]), ("+2.5".into(), "+3.6%".into()));
        assert_eq!(cells(&rows[6]), ("+10.0 pp".into(), "+20.0%".into()));
        assert_eq!(rows[6].cur, "60.0%");
        let html = render_html(&d);
        assert!(html.contains("+100.00") && html.contains("+10.0%"));
    }

    #[test]
    fn no_previous_year_shows_dashes() {
        let d = ReportData { previous: None, ..sample() };
        for r in totals_rows(&d.totals, None) {
            assert_eq!((r.prev.as_str(), r.delta.as_str(), r.pct.as_str()), ("—", "—", "—"));
        }
        assert!(render_markdown(&d).contains("| 项目数 Projects | 185 | — | — | — |"));
    }

    #[test]
    fn empty_and_zero_report_renders_without_panicking() {
        let d = empty_report();
        let html = render_html(&d);
        let md = render_markdown(&d);
        assert_eq!(html.matches("无数据").count(), 5);
        assert_eq!(md.matches("无数据").count(), 5);
        assert!(html.contains("全部地区"));
        assert_no_float_junk(&html);
        assert_no_float_junk(&md);
        assert_md_tables_intact(&md);

        // Zero everywhere, plus NaN and out-of-range values from upstream.
        let d = ReportData {
            previous: Some(YearTotals::default()),
            units: vec![unit("零", "0"), unit("负", "-5.00")],
            score_histogram: vec![("0–9".into(), 0), ("10–19".into(), 0)],
            categories: vec![CategoryKinds {
                level1_code: "output".into(),
                level2_code: "quantity".into(),
                quantitative: f64::NAN,
                qualitative: 2.0,
                placeholder: -1.0,
                empty: f64::INFINITY,
                mean_score: Some(f64::NAN),
                ..CategoryKinds::default()
            }],
            flags: vec![FlagCount { flag: "x".into(), count: 3, ..FlagCount::default() }],
            top_projects: vec![ProjectLine { quality_score: Some(f64::NAN), ..ProjectLine::default() }],
            totals: YearTotals {
                annual_budget_yuan: dec("-5.00"),
                mean_project_score: Some(f64::NAN),
                ..YearTotals::default()
            },
            ..empty_report()
        };
        let html = render_html(&d);
        let md = render_markdown(&d);
        assert_no_float_junk(&html.replace("-5.00", ""));
        assert_no_float_junk(&md.replace("-5.00", ""));
        assert_md_tables_intact(&md);
    }

    #[test]
    fn category_labels() {
        assert_eq!(level2_label("quantity"), Some("数量"));
        assert_eq!(level2_label("combined_benefit"), Some("社会经济生态效益"));
        assert_eq!(level2_label("satisfaction"), Some("满意度"));
        assert_eq!(level2_label("nope"), None);
        let html = render_html(&sample());
        for zh in ["数量", "质量", "时效", "成本", "社会效益", "经济效益", "生态效益", "可持续影响", "满意度"]
        {
            assert!(html.contains(zh), "missing {zh}");
        }
    }

    #[test]
    fn flags_show_at_most_three_examples() {
        let d = sample();
        assert_eq!(d.flags[0].examples.len(), 4);
        let html = render_html(&d);
        let md = render_markdown(&d);
        assert!(!html.contains("不应显示"));
        assert!(!md.contains("不应显示"));
        assert!(html.contains("按计划完成"));
        assert!(html.contains("社会公众满意度：（空 empty）"));
        assert!(md.contains("社会公众满意度：（空 empty）"));
    }

    #[test]
    fn helpers() {
        assert_eq!(nice_axis(0), (1, 1));
        assert_eq!(nice_axis(301), (400, 100));
        assert_eq!(nice_axis(7), (8, 2));
        assert_eq!(nice_axis(1), (1, 1));
        let (top, step) = nice_axis(u64::MAX);
        assert!(top >= step && step > 0);
        assert_eq!(text_bar(1.0, 4), "████");
        assert_eq!(text_bar(0.5, 4), "██");
        assert_eq!(text_bar(0.0, 4), "");
        assert_eq!(text_bar(f64::NAN, 4), "");
        assert_eq!(text_bar(0.0625, 4), "▎");
        assert_eq!(text_stack([0.5, 0.25, 0.15, 0.1], 20), "██████████▓▓▓▓▓▒▒▒░░");
        assert!(text_stack([0.34, 0.33, 0.33, 0.33], 20).chars().count() <= 20);
        assert_eq!(truncate_chars("项目名称很长", 4), "项目名…");
        assert_eq!(truncate_chars("短", 4), "短");
        let (cut, was_cut) = fit_text("北京市园林绿化局下属事业单位管理中心", 100.0, 12.0);
        assert!(was_cut && cut.ends_with('…') && text_width(&cut, 12.0) <= 100.0);
        assert_eq!(pct_change_dec(dec("1"), Decimal::ZERO), "—");
        assert_eq!(pct_change_dec(dec("-5"), dec("-10")), "+50.0%");
        assert_eq!(fmt_fixed(-0.0001, 1), "0.0");
        assert_eq!(fmt_pct(f64::NAN), "—");
        assert_eq!(bar_len(dec("5"), Decimal::ZERO, 100.0), 0.0);
        assert_eq!(bar_len(dec("5"), dec("10"), 100.0), 50.0);
        assert_eq!(bar_len(dec("-5"), dec("10"), 100.0), 0.0);
        assert_eq!(bar_len(dec("0.0001"), dec("10"), 100.0), 1.0);
        assert_eq!(dec_ratio(dec("1"), dec("4")), 0.25);
        assert_eq!(dec_ratio(dec("1"), Decimal::ZERO), 0.0);
    }

    /// Writes the sample reports for a visual check:
    /// `JIXIAO_REPORT_SAMPLE_DIR=/some/dir cargo test write_sample_files`.
    /// A no-op otherwise, so the normal test run leaves no files behind.
    #[test]
    fn write_sample_files() {
        let Some(dir) = std::env::var_os("JIXIAO_REPORT_SAMPLE_DIR") else {
            return;
        };
        let dir = std::path::PathBuf::from(dir);
        let write = |name: &str, text: String| {
            std::fs::write(dir.join(name), text).expect("write sample");
        };
        write("out.html", render_html(&sample()));
        write("out.md", render_markdown(&sample()));
        write("out-many.html", render_html(&sample_many_units()));
        write("out-many.md", render_markdown(&sample_many_units()));
        write("out-empty.html", render_html(&empty_report()));
    }
}
