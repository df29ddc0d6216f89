//! Stage 7, analytics: the one model of the report's figures, filled by `figures` and read by
//! `report`, which only lays it out.
//!
//! Names say what a row is a figure of, so they do not read like `store::records::ProjectRow`
//! (a dataset row) or the run summary's totals.

use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

/// Headline numbers of one year.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct YearTotals {
    /// Distinct tables: a table published in several files counts once.
    pub projects: u64,
    /// Project rows left out because they copy a counted table (same `table_fingerprint`).
    #[serde(default)]
    pub copies_collapsed: u64,
    pub budget_units: u64,
    pub indicators: u64,
    pub annual_budget_yuan: Decimal,
    pub midterm_budget_yuan: Decimal,
    pub mean_project_score: Option<f64>,
    pub quantified_share: Option<f64>,
}

/// One budget unit (预算单位) of the year.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct UnitBudget {
    pub region: Option<String>,
    pub budget_unit: String,
    pub projects: u64,
    #[serde(default)]
    pub copies_collapsed: u64,
    pub annual_budget_yuan: Decimal,
    /// Share of the year's total annual budget, 0..1.
    pub share: f64,
    pub mean_quality: Option<f64>,
}

/// Indicator counts and value-kind shares for one level-2 indicator category.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CategoryKinds {
    pub level1_code: String,
    pub level2_code: String,
    pub indicators: u64,
    /// Shares 0..1 of the category's indicators.
    pub quantitative: f64,
    pub qualitative: f64,
    pub placeholder: f64,
    pub empty: f64,
    pub mean_score: Option<f64>,
}

/// One indicator that raised a flag, shown as an example.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FlagExample {
    pub budget_unit: String,
    pub project_name: String,
    pub level3: String,
    pub value: String,
}

/// A quality flag and how often it was raised.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct FlagCount {
    pub flag: String,
    pub description: String,
    pub count: u64,
    pub examples: Vec<FlagExample>,
}

/// One of the projects with the largest annual budgets.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ProjectLine {
    pub budget_unit: String,
    pub project_name: String,
    pub annual_budget_yuan: Decimal,
    pub quality_score: Option<f64>,
    pub flags: Vec<String>,
}

/// Everything the yearly report shows, already aggregated.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct ReportData {
    pub year: i32,
    pub region: Option<String>,
    /// e.g. "jixiao 0.1.0"
    pub generated_by: String,
    pub totals: YearTotals,
    /// The year before, for year-over-year changes.
    pub previous: Option<YearTotals>,
    /// All units, sorted by annual budget, largest first.
    pub units: Vec<UnitBudget>,
    /// Bucket label ("0–9" .. "90–100") and project count.
    pub score_histogram: Vec<(String, u64)>,
    pub categories: Vec<CategoryKinds>,
    /// Most frequent first.
    pub flags: Vec<FlagCount>,
    /// Largest annual budgets first.
    pub top_projects: Vec<ProjectLine>,
}

/// One line per budget year of a snapshot, for `jixiao status`.
#[derive(Debug, Clone, PartialEq)]
pub struct YearLine {
    pub year: i32,
    pub projects: u64,
    pub budget_units: u64,
    pub annual_budget_yuan: Decimal,
    pub mean_quality: Option<f64>,
}
