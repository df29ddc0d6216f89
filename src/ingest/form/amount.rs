//! Stage 4, form: amounts and their money units (元, 万元) as forms print them.

use rust_decimal::Decimal;

use crate::ingest::text::{bracketed, label_key};

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

pub(super) fn to_yuan(v: Decimal, unit: MoneyUnit) -> Decimal {
    let mut y = match unit {
        MoneyUnit::Wan => v * Decimal::from(10_000),
        MoneyUnit::Yuan => v,
    }
    .round_dp(2);
    y.rescale(2);
    y
}
