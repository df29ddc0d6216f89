//! Stage 8, report: numbers, yuan, percentages, escaping for HTML and Markdown, truncation.

use rust_decimal::{Decimal, RoundingStrategy};

use super::DASH;

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

/// Escapes text for HTML element content and attribute values (both quote kinds).
pub(super) fn esc_html(s: &str) -> String {
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
pub(super) fn esc_md(s: &str) -> String {
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
pub(super) fn truncate_chars(s: &str, max: usize) -> String {
    if s.chars().count() <= max {
        return s.to_string();
    }
    let mut out: String = s.chars().take(max.saturating_sub(1)).collect();
    out.push('…');
    out
}

pub(super) fn group_digits(digits: &str) -> String {
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

pub(super) fn fmt_count(n: u64) -> String {
    group_digits(&n.to_string())
}

/// Prefixes "+" to a formatted number that is above zero, so changes read as
/// changes. Zero ("0", "0.00", "0.0%") and "—" are left alone.
pub(super) fn with_sign(s: String) -> String {
    let nonzero = s.chars().any(|c| c.is_ascii_digit() && c != '0');
    if nonzero && !s.starts_with('-') { format!("+{s}") } else { s }
}

pub(super) fn fmt_signed_count(delta: i128) -> String {
    let s = group_digits(&delta.unsigned_abs().to_string());
    if delta < 0 { format!("-{s}") } else { with_sign(s) }
}

pub(super) fn fmt_signed_yuan(delta: Decimal) -> String {
    with_sign(format_yuan(delta))
}

/// Upstream means over empty groups can arrive as NaN; treat them as missing.
pub(super) fn finite(x: Option<f64>) -> Option<f64> {
    x.filter(|v| v.is_finite())
}

/// Fixed decimals without the "-0.0" that a tiny negative would print.
pub(super) fn fmt_fixed(v: f64, dp: usize) -> String {
    let s = format!("{v:.dp$}");
    match s.strip_prefix('-') {
        Some(rest) if !rest.chars().any(|c| c.is_ascii_digit() && c != '0') => rest.to_string(),
        _ => s,
    }
}

/// A 0..1 share as a percentage with one decimal.
pub(super) fn fmt_pct(share: f64) -> String {
    if share.is_finite() { format!("{}%", fmt_fixed(share * 100.0, 1)) } else { DASH.to_string() }
}

pub(super) fn fmt_score(x: Option<f64>) -> String {
    finite(x).map_or_else(|| DASH.to_string(), |v| fmt_fixed(v, 1))
}

/// Relative change in percent; "—" when there is no usable base.
pub(super) fn pct_change_f64(cur: f64, prev: f64) -> String {
    if !cur.is_finite() || !prev.is_finite() || prev == 0.0 {
        return DASH.to_string();
    }
    with_sign(format!("{}%", fmt_fixed((cur - prev) / prev.abs() * 100.0, 1)))
}

/// Relative change of two amounts, in Decimal so that it agrees with the
/// printed amounts to the last digit.
pub(super) fn pct_change_dec(cur: Decimal, prev: Decimal) -> String {
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
