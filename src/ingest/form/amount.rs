//! Stage 4, form: amounts and their money units (元, 万元) as forms print them.

use compact_str::CompactString;
use rust_decimal::Decimal;

use crate::ingest::text::{bracketed, has_char, label_key};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum MoneyUnit {
    Wan,
    Yuan,
}

/// 元 / 万元 written as a unit (金额单位：元).
pub(super) fn money_unit_word(v: &str) -> Option<MoneyUnit> {
    match label_key(v).as_str() {
        "万元" => Some(MoneyUnit::Wan),
        "元" | "人民币元" => Some(MoneyUnit::Yuan),
        _ => None,
    }
}

/// A unit written in the amount cell itself (`12.5万元`, `125000.00元`) overrides the label's.
pub(super) fn cell_money_unit(raw: &str) -> Option<MoneyUnit> {
    let t: String = raw.chars().filter(|c| !c.is_whitespace()).collect();
    if t.ends_with("万元") || t.ends_with('万') {
        Some(MoneyUnit::Wan)
    } else if t.ends_with('元') {
        Some(MoneyUnit::Yuan)
    } else {
        None
    }
}

pub(super) fn money_unit_of(raw: &str) -> Option<MoneyUnit> {
    // Both units end in 元 and are bracketed: a cell without both (nearly every cell the walker
    // asks about) has no unit, and no bracketed copy is made of it.
    if !has_char(raw, '元') || !raw.contains(['(', '（']) {
        return None;
    }
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
    // Inline: the walker and the layout ask this of cells that are mostly no amount, and an
    // amount's digits fit in 24 bytes.
    let mut s = CompactString::default();
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

/// Why an amount cell was not stored: the money columns hold exact values or nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AmountError {
    #[error("'{0}' is not a decimal amount")]
    NotDecimal(String),
    #[error("'{0}' does not fit decimal(18,2) in yuan")]
    TooLarge(String),
    #[error("'{0}' is negative")]
    Negative(String),
}

/// A cell after an amount label that failed [`parse_amount`] but was meant as a number:
/// digits with stray letters (`1e308`, `12.5.3`), or the float words NaN/inf that
/// spreadsheet exports write. Text (a label, 无, `100万元（含结转）`) is not an amount and
/// stays silent.
pub(super) fn looks_numeric(raw: &str) -> bool {
    if raw.chars().any(|c| crate::ingest::text::is_han(c) && !matches!(c, '万' | '元')) {
        return false;
    }
    let folded: String = raw.chars().map(crate::ingest::text::fold_width).collect();
    let word = folded.trim().trim_start_matches(['+', '-']).to_ascii_lowercase();
    folded.bytes().any(|b| b.is_ascii_digit()) || matches!(word.as_str(), "nan" | "inf" | "infinity")
}

/// 万元 → 元, rounded to the fen. Errors instead of wrapping or panicking: a value past
/// decimal(18,2) (or past `Decimal` itself in the multiply) is too large, a negative one is
/// not a budget.
pub(super) fn to_yuan(v: Decimal, unit: MoneyUnit, raw: &str) -> Result<Decimal, AmountError> {
    let y = match unit {
        MoneyUnit::Wan => v.checked_mul(Decimal::from(10_000)),
        MoneyUnit::Yuan => Some(v),
    }
    .map(|y| y.round_dp(2))
    .filter(|y| y.abs() <= max_yuan())
    .ok_or_else(|| AmountError::TooLarge(crate::ingest::text::quote(raw).into_owned()))?;
    if y.is_sign_negative() && !y.is_zero() {
        return Err(AmountError::Negative(crate::ingest::text::quote(raw).into_owned()));
    }
    let mut y = y;
    y.rescale(2);
    Ok(y)
}

/// 10^16 − 0.01: the largest value of decimal(18,2).
pub fn max_yuan() -> Decimal {
    Decimal::new(999_999_999_999_999_999, 2)
}
