//! Stage 5, records (score): the penalty tables; every flag a score can carry is one row here.

use serde::Serialize;

use super::Scored;

/// One penalty: a stable code (stored in the dataset), its weight and a one-line meaning.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Rule {
    pub code: &'static str,
    pub weight: u8,
    pub description: &'static str,
}

// The weights are argued in docs/quality.md; the short reason is beside each.

pub const EMPTY: &str = "EMPTY";
pub const PLACEHOLDER: &str = "PLACEHOLDER";
pub const NOT_QUANTIFIED: &str = "NOT_QUANTIFIED";
pub const NO_UNIT: &str = "NO_UNIT";
pub const NO_DIRECTION: &str = "NO_DIRECTION";
pub const WRONG_DIRECTION: &str = "WRONG_DIRECTION";
pub const CATEGORY_MISMATCH: &str = "CATEGORY_MISMATCH";
pub const VAGUE: &str = "VAGUE";
pub const COPIES_GOAL: &str = "COPIES_GOAL";
pub const IMPLAUSIBLE: &str = "IMPLAUSIBLE";
pub const GENERIC_NAME: &str = "GENERIC_NAME";

/// Penalties of one indicator. Score = 100 − Σ weight of the flags raised, floored at 0.
pub const INDICATOR_RULES: &[Rule] = &[
    // No target at all: nothing can be checked afterwards, so nothing is left of the score.
    Rule { code: EMPTY, weight: 100, description: "value is missing (blank, 无, /, —)" },
    // A template cell never filled in states as little as a blank one.
    Rule {
        code: PLACEHOLDER,
        weight: 100,
        description: "value only repeats the indicator's name (数量, 预算执行率, 满意度)",
    },
    // 88号 asks to quantify wherever possible; words are allowed only when numbers cannot be
    // had, so this is the largest penalty a filled-in value can get.
    Rule { code: NOT_QUANTIFIED, weight: 35, description: "value has no number (验收合格, 按时完成)" },
    // A number without a unit can still be checked if the name says what is counted, so the
    // loss is small.
    Rule { code: NO_UNIT, weight: 10, description: "number without a unit (3)" },
    // `90%` for a rate leaves open whether 90 is a floor or a ceiling; the intent is usually
    // guessable, so small.
    Rule { code: NO_DIRECTION, weight: 10, description: "rate target without ≥/≤/= (90% for a 合格率)" },
    // A ceiling on a good rate (合格率≤90%) or a floor on a bad one rewards failure: the
    // target is wrong, not just loose.
    Rule {
        code: WRONG_DIRECTION,
        weight: 20,
        description: "direction contradicts the indicator (合格率≤90%, 误差率≥3%)",
    },
    // The value measures something else than its category asks (时效 with 全年, 成本 with
    // words, 满意度 with 满意): the category is not actually covered.
    Rule {
        code: CATEGORY_MISMATCH,
        weight: 15,
        description: "value does not fit the level-2 category (时效: 及时/全年; 成本: no money)",
    },
    // On top of NOT_QUANTIFIED: an adjective alone (良好, 显著, 稳步推进) is not even a
    // graded level that an evaluator could tick off.
    Rule {
        code: VAGUE, weight: 25, description: "value is only a vague word (良好, 有效, 显著, 提高, 稳步推进)"
    },
    // A goal sentence pasted as a value restates the aim instead of measuring it.
    Rule { code: COPIES_GOAL, weight: 25, description: "value is (part of) the project's goal text" },
    // A rate over 100% or a negative count cannot be reached or makes no sense.
    Rule {
        code: IMPLAUSIBLE,
        weight: 20,
        description: "number impossible for the indicator (rate >100%, negative count, month >12)",
    },
    // 指向明确: the name should say what is measured; the value can still be good, so small.
    Rule {
        code: GENERIC_NAME,
        weight: 10,
        description: "level-3 name only repeats a category label (数量, 质量, 时效, 满意度)",
    },
];

pub const MISSING_QUANTITY: &str = "MISSING_QUANTITY";
pub const MISSING_QUALITY: &str = "MISSING_QUALITY";
pub const MISSING_TIMELINESS: &str = "MISSING_TIMELINESS";
pub const MISSING_OUTCOME: &str = "MISSING_OUTCOME";
pub const MISSING_SATISFACTION: &str = "MISSING_SATISFACTION";
pub const MISSING_COST: &str = "MISSING_COST";
pub const TOO_FEW_INDICATORS: &str = "TOO_FEW_INDICATORS";
pub const ANNUAL_SAME_AS_MIDTERM: &str = "ANNUAL_SAME_AS_MIDTERM";
pub const ANNUAL_EXCEEDS_MIDTERM: &str = "ANNUAL_EXCEEDS_MIDTERM";

/// Penalties of a project, taken off the mean of its indicator scores, floored at 0.
pub const PROJECT_RULES: &[Rule] = &[
    // Quantity and outcome are the two the 101号 guide calls mandatory for every project.
    Rule { code: MISSING_QUANTITY, weight: 15, description: "no filled-in 数量 indicator in the annual targets" },
    Rule { code: MISSING_QUALITY, weight: 10, description: "no filled-in 质量 indicator in the annual targets" },
    Rule { code: MISSING_TIMELINESS, weight: 10, description: "no filled-in 时效 indicator in the annual targets" },
    Rule {
        code: MISSING_OUTCOME,
        weight: 15,
        description: "no filled-in 效益 (outcome) indicator in the annual targets",
    },
    // 101号 asks for satisfaction "原则上" (as a rule) for services to the public.
    Rule {
        code: MISSING_SATISFACTION, weight: 10, description: "no filled-in 满意度 indicator in the annual targets"
    },
    // Cost became a level-1 indicator with 101号 (2021); earlier forms are not held to it.
    Rule {
        code: MISSING_COST,
        weight: 10,
        description: "no filled-in 成本 indicator in the annual targets (year ≥ 2021)",
    },
    Rule { code: TOO_FEW_INDICATORS, weight: 15, description: "fewer than 3 filled-in annual indicators" },
    // A 3-year target copied into the annual column was not broken down per year.
    Rule {
        code: ANNUAL_SAME_AS_MIDTERM,
        weight: 10,
        description: "approval form: every annual value equals its midterm counterpart",
    },
    Rule {
        code: ANNUAL_EXCEEDS_MIDTERM,
        weight: 10,
        description: "an annual quantity is larger than the midterm one (same name and unit)",
    },
];

/// The rule of `code` in [`INDICATOR_RULES`] or [`PROJECT_RULES`].
pub fn rule(code: &str) -> Option<&'static Rule> {
    INDICATOR_RULES.iter().chain(PROJECT_RULES.iter()).find(|r| r.code == code)
}

/// The one-line meaning of a flag code, for reports; empty for an unknown code.
pub fn describe(code: &str) -> &'static str {
    rule(code).map_or("", |r| r.description)
}

/// The rules of one table a score breaks, a bit per row: raised in whatever order the checks
/// run, then listed and weighed in the table's order. Pushed to a list, the flags were sorted
/// into table order and each looked up again for its weight, on every indicator.
pub(super) struct Raised {
    table: &'static [Rule],
    bits: u32,
}

impl Raised {
    pub(super) fn new(table: &'static [Rule]) -> Self {
        assert!(table.len() <= 32, "a rule is one bit of a u32");
        Raised { table, bits: 0 }
    }

    /// Raises the rule of `code`, a row of the table.
    pub(super) fn raise(&mut self, code: &str) {
        let row = self.table.iter().position(|r| r.code == code).expect("a flag is a row of its rule table");
        self.bits |= 1 << row;
    }

    /// `base` minus the weights raised, floored at 0 and capped at 100, with the codes raised.
    pub(super) fn score(self, base: u32) -> Scored {
        // Most indicators break no rule: no list is allocated for them.
        let mut flags = Vec::with_capacity(self.bits.count_ones() as usize);
        let mut penalty = 0u32;
        let mut bits = self.bits;
        while bits != 0 {
            let rule = &self.table[bits.trailing_zeros() as usize];
            bits &= bits - 1;
            flags.push(rule.code);
            penalty += u32::from(rule.weight);
        }
        Scored { score: base.saturating_sub(penalty).min(100) as u8, flags }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Rules raised in any order are listed in table order and their weights summed, as the
    /// sorted list of flags and its penalty were.
    #[test]
    fn raised_rules_come_out_in_table_order_with_their_weights() {
        for table in [INDICATOR_RULES, PROJECT_RULES] {
            for mask in 0u32..1 << table.len() {
                let picked: Vec<&'static str> =
                    table.iter().enumerate().filter(|(i, _)| mask & (1 << i) != 0).map(|(_, r)| r.code).collect();
                let mut raised = Raised::new(table);
                for code in picked.iter().rev().chain(&picked) {
                    raised.raise(code);
                }
                let penalty: u32 = picked.iter().map(|c| u32::from(rule(c).expect("a rule").weight)).sum();
                let s = raised.score(100);
                assert_eq!(s.flags, picked);
                assert_eq!(u32::from(s.score), 100u32.saturating_sub(penalty));
            }
        }
    }
}
