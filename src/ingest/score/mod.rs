//! Stage 5, records (score): how measurable an indicator's target and a project's set of targets are.
//!
//! [`score_indicator`] and [`score_project`] score how well a value (as read by
//! [`crate::ingest::value::read_value`]) and a project's set of indicators meet the Ministry of
//! Finance's requirements (财预〔2015〕88号: 指向明确、细化量化、合理可行; 财预〔2021〕101号 indicator
//! guide). Every penalty lives in one table, [`INDICATOR_RULES`] or [`PROJECT_RULES`], so a
//! reader of the data can see what a score means.
//!
//! Pure functions over one row's text, run on millions of rows: plain string scanning, word
//! lists indexed once, and the only allocations are the `flags` vector of a score (plus a
//! whitespace-free copy when a long value with spaces is compared with the goals).
//! `docs/quality.md` explains the rules with worked examples.

mod indicator;
mod project;
mod rules;

use serde::Serialize;

use crate::ingest::value::{Core, ListHits, ValueReading, read_value_words};

pub use indicator::score_indicator;
pub use project::score_project;
pub use rules::*;

/// A score from 0 to 100 and the codes of the rules that took points off it.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize)]
pub struct Scored {
    pub score: u8,
    pub flags: Vec<&'static str>,
}

/// Everything [`score_indicator`] looks at for one indicator row.
#[derive(Debug, Clone, Copy)]
pub struct IndicatorInput<'a> {
    /// `output` | `outcome` | `satisfaction` | `cost`.
    pub level1_code: &'a str,
    /// `quantity` | `quality` | `timeliness` | `cost` | `social_benefit` | ... | `other`.
    pub level2_code: &'a str,
    /// The level-2 label as printed (二级指标), to tell social and ecological cost (which may
    /// be stated in words) from economic cost.
    pub level2: &'a str,
    /// The level-3 name as printed (三级指标).
    pub level3: &'a str,
    /// `Core::of(level3)`, taken once per indicator for the reading and both scores.
    pub level3_core: Core<'a>,
    /// The value as printed (指标值).
    pub value: &'a str,
    pub reading: &'a ValueReading,
    /// The words of the value, as [`read_value_for_score`] found them with its reading.
    pub value_words: &'a ListHits,
    /// The project's goal texts (总体目标, 中期 and 年度), to catch values copied from them.
    pub goal_texts: &'a [&'a str],
}

/// Reads a value for [`score_indicator`]: its reading and its words, in one pass over it that
/// finds the words of the reader's comparisons and of every list the score asks of a value.
pub fn read_value_for_score(
    value: &str,
    level3_core: Core,
    level2_core: Core,
    unit_column: Option<&str>,
) -> (ValueReading, ListHits) {
    read_value_words(value, level3_core, level2_core, unit_column, &indicator::SCORE_WORDS)
}

/// One indicator of a project as [`score_project`] sees it.
#[derive(Debug, Clone, Copy)]
pub struct ProjectIndicator<'a> {
    /// `midterm` | `annual`.
    pub horizon: &'a str,
    pub level1_code: &'a str,
    pub level2_code: &'a str,
    pub level3: &'a str,
    /// `core_label(level3)`: pairs an annual indicator with its midterm counterpart.
    pub level3_core: &'a str,
    pub value: &'a str,
    pub reading: &'a ValueReading,
    /// The indicator's own [`score_indicator`] score.
    pub score: u8,
}

/// One project table.
#[derive(Debug, Clone, Copy)]
pub struct ProjectInput<'a> {
    pub year: i32,
    /// `approval` (批复表, midterm + annual) | `target` (申报表/目标表, annual only).
    pub form: &'a str,
    pub indicators: &'a [ProjectIndicator<'a>],
}

#[cfg(test)]
mod tests;
