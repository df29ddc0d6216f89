//! Stage 8, report: the inline SVG charts of the HTML version.

use std::fmt::{self, Write as _};

use rust_decimal::Decimal;
use unicode_width::UnicodeWidthChar;

use super::format::*;
use super::views::*;
use super::{C_BAR, C_KINDS, C_REST, CHART_W, KIND_LABELS, KIND_TEXT_INVERTED};
use crate::analytics::model::CategoryKinds;

/// Rough advance width of a character in em, from its East Asian width in a CJK context, where
/// ambiguous characters such as “ · … – are drawn full width: two columns are a square glyph,
/// one column a Latin one (a little narrower than half a square in proportional fonts), and
/// combining marks take no room. Overestimating a little only leaves some extra room.
pub(super) fn char_em(c: char) -> f64 {
    match c.width_cjk() {
        Some(0) => 0.0,
        Some(2) => 1.0,
        _ => 0.6,
    }
}

pub(super) fn text_width(s: &str, font_px: f64) -> f64 {
    s.chars().map(char_em).sum::<f64>() * font_px
}

/// Shortens a label to fit `max_px`, on one line. Returns the text to draw and
/// whether it was cut (then the caller adds the full text as a tooltip).
pub(super) fn fit_text(s: &str, max_px: f64, font_px: f64) -> (String, bool) {
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

pub(super) fn svg_open(o: &mut String, w: f64, h: f64, label: &str) -> fmt::Result {
    writeln!(
        o,
        r#"<svg class="chart" viewBox="0 0 {w:.0} {h:.0}" width="{w:.0}" height="{h:.0}" role="img" aria-label="{}">"#,
        esc_html(label)
    )
}

pub(super) fn svg_unit_bars(o: &mut String, bars: &[UnitBar<'_>]) -> fmt::Result {
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

pub(super) fn svg_histogram(o: &mut String, buckets: &[(String, u64)]) -> fmt::Result {
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

// Geometry of the category chart, shared by its parts.
const CAT_LABEL_W: f64 = 150.0;
const CAT_RIGHT_W: f64 = 170.0;
const CAT_ROW: f64 = 34.0;
const CAT_BAR: f64 = 20.0;
const CAT_HEADER: f64 = 24.0;
const CAT_LEGEND: f64 = 30.0;

pub(super) fn svg_categories(o: &mut String, cats: &[CategoryKinds]) -> fmt::Result {
    // One header per run of equal level-1 codes, as drawn in the loop below.
    let groups = cats
        .iter()
        .fold((0usize, None::<&str>), |(n, prev), c| {
            let code = c.level1_code.as_str();
            (if prev == Some(code) { n } else { n + 1 }, Some(code))
        })
        .0;
    let height = CAT_LEGEND + CAT_HEADER * groups as f64 + CAT_ROW * cats.len() as f64 + 4.0;
    svg_open(o, CHART_W, height, "各类指标的量化程度 Quantified targets by indicator category")?;
    for (i, ((zh, en), color)) in KIND_LABELS.iter().zip(C_KINDS).enumerate() {
        let x = CAT_LABEL_W + 160.0 * i as f64;
        writeln!(
            o,
            r#"<rect x="{x:.1}" y="6" width="12" height="12" fill="{color}"/><text x="{:.1}" y="16">{zh} <tspan class="muted small">{en}</tspan></text>"#,
            x + 17.0
        )?;
    }
    let mut y = CAT_LEGEND;
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
                y + CAT_HEADER - 2.0,
                y + CAT_HEADER - 2.0,
            )?;
            y += CAT_HEADER;
            previous_level1 = Some(c.level1_code.as_str());
        }
        svg_category_row(o, c, y)?;
        y += CAT_ROW;
    }
    writeln!(o, "</svg>")
}

/// One level-2 category at `y`: its labels, the stacked value-kind bar, count and mean score.
fn svg_category_row(o: &mut String, c: &CategoryKinds, y: f64) -> fmt::Result {
    let bar_full = CHART_W - CAT_LABEL_W - CAT_RIGHT_W;
    let (zh, en) = match level2_label(&c.level2_code) {
        Some(zh) => (zh.to_string(), c.level2_code.clone()),
        None => (c.level2_code.clone(), String::new()),
    };
    let (zh, _) = fit_text(&zh, CAT_LABEL_W - 16.0, 12.0);
    let (en, _) = fit_text(&en, CAT_LABEL_W - 16.0, 10.0);
    writeln!(
        o,
        r#"<text x="{x:.1}" y="{:.1}" text-anchor="end">{}</text><text class="muted small" x="{x:.1}" y="{:.1}" text-anchor="end">{}</text>"#,
        y + 15.0,
        esc_html(&zh),
        y + 28.0,
        esc_html(&en),
        x = CAT_LABEL_W - 10.0,
    )?;
    let bar_y = y + (CAT_ROW - CAT_BAR) / 2.0;
    let originals = [c.quantitative, c.qualitative, c.placeholder, c.empty];
    let mut x = CAT_LABEL_W;
    for (k, share) in stack_shares(c).iter().enumerate() {
        let w = share * bar_full;
        if w <= 0.0 {
            continue;
        }
        let pct = fmt_pct(originals[k]);
        write!(
            o,
            r#"<rect x="{x:.1}" y="{bar_y:.1}" width="{w:.1}" height="{CAT_BAR:.1}" fill="{}"><title>{} {}: {pct}</title></rect>"#,
            C_KINDS[k], KIND_LABELS[k].0, KIND_LABELS[k].1
        )?;
        // Labels only where they fit; the table below has every number.
        if w >= text_width(&pct, 11.0) + 6.0 {
            writeln!(
                o,
                r#"<text class="small{}" x="{:.1}" y="{:.1}" text-anchor="middle">{pct}</text>"#,
                if KIND_TEXT_INVERTED[k] { " inv" } else { "" },
                x + w / 2.0,
                bar_y + CAT_BAR / 2.0 + 3.5,
            )?;
        }
        x += w;
    }
    writeln!(
        o,
        r##"<rect x="{CAT_LABEL_W:.1}" y="{bar_y:.1}" width="{bar_full:.1}" height="{CAT_BAR:.1}" fill="none" stroke="#aab2bb" stroke-width="0.8"/><text class="muted" x="{:.1}" y="{:.1}">{} 项 · 均分 {}</text>"##,
        CAT_LABEL_W + bar_full + 10.0,
        bar_y + CAT_BAR / 2.0 + 4.0,
        fmt_count(c.indicators),
        fmt_score(c.mean_score),
    )
}

/// Length in pixels of a bar for `v` when `max` fills `full`.
pub(super) fn bar_len(v: Decimal, max: Decimal, full: f64) -> f64 {
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
pub(super) fn nice_axis(max: u64) -> (u64, u64) {
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
