//! Stage 7, analytics: the figures of the yearly report and of `jixiao status`, read out of
//! polars into the report's `model`.

use std::collections::BTreeMap;
use std::path::Path;
use std::str::FromStr;

use polars::prelude::*;
use rust_decimal::Decimal;

use super::measures::{budget_by_unit, flag_counts, flag_rows, kinds_by_category, share, totals_by_year};
use super::model::{CategoryKinds, FlagCount, FlagExample, ProjectLine, ReportData, UnitBudget, YearLine, YearTotals};
use super::{StatsError, has_parts, indicators, pl, projects};

/// Projects drawn in the report's "largest projects" table.
const TOP_PROJECTS: u32 = 15;
/// Flags listed in the report, most frequent first.
const TOP_FLAGS: u32 = 10;
const EXAMPLES_PER_FLAG: u32 = 3;

/// The figures of the yearly report, or `None` when the dataset has no project for the year.
pub fn report_data(root: &Path, year: i32, region: Option<&str>) -> Result<Option<ReportData>, StatsError> {
    if !has_parts(root, "projects") {
        return Ok(None);
    }
    let scope = Scope { root, region, has_indicators: has_parts(root, "indicators") };
    let Some(totals) = scope.totals(year)? else {
        return Ok(None);
    };
    let previous = scope.totals(year - 1)?;
    let p = scope.projects(year)?;
    let units = unit_budgets(p.clone(), totals.annual_budget_yuan, root)?;
    let score_histogram = score_histogram(p.clone(), root)?;
    let top_projects = top_projects(p, root)?;
    let (categories, flags) = match scope.indicators(year)? {
        Some(ind) => (categories(ind.clone(), root)?, flags(ind, root)?),
        None => (Vec::new(), Vec::new()),
    };
    Ok(Some(ReportData {
        year,
        region: region.map(str::to_string),
        generated_by: format!("jixiao {}", env!("CARGO_PKG_VERSION")),
        totals,
        previous,
        units,
        score_histogram,
        categories,
        flags,
        top_projects,
    }))
}

/// Projects, units and the annual budget per year, from the snapshot's project rows.
pub fn years_overview(root: &Path) -> Result<Vec<YearLine>, StatsError> {
    if !has_parts(root, "projects") {
        return Ok(Vec::new());
    }
    let df = collect(with_text_money(totals_by_year(projects(root, None)?)), root)?;
    Ok(rows(&df)
        .iter()
        .map(|r| YearLine {
            year: r["year"].extract::<i32>().unwrap_or(0),
            projects: int(&r["projects"]),
            budget_units: int(&r["budget_units"]),
            annual_budget_yuan: dec(&r["annual_budget_yuan"]),
            mean_quality: float(&r["mean_project_quality"]),
        })
        .collect())
}

/// What one report covers: a snapshot, optionally narrowed to one region.
struct Scope<'a> {
    root: &'a Path,
    region: Option<&'a str>,
    has_indicators: bool,
}

impl Scope<'_> {
    fn projects(&self, year: i32) -> Result<LazyFrame, StatsError> {
        let lf = projects(self.root, Some(year))?.filter(col("year").eq(lit(year)));
        Ok(match self.region {
            Some(r) => lf.filter(col("region").eq(lit(r.to_string()))),
            None => lf,
        })
    }

    /// The year's indicators of the projects in scope, with their project's unit and name.
    fn indicators(&self, year: i32) -> Result<Option<LazyFrame>, StatsError> {
        if !self.has_indicators {
            return Ok(None);
        }
        let ids = self.projects(year)?.select([col("project_id"), col("budget_unit"), col("project_name")]);
        Ok(Some(indicators(self.root, Some(year))?.filter(col("year").eq(lit(year))).join(
            ids,
            [col("project_id")],
            [col("project_id")],
            JoinArgs::new(JoinType::Inner),
        )))
    }

    fn totals(&self, year: i32) -> Result<Option<YearTotals>, StatsError> {
        let df = collect(with_text_money(totals_by_year(self.projects(year)?)), self.root)?;
        let r = rows(&df);
        let Some(r) = r.first() else { return Ok(None) };
        if int(&r["projects"]) == 0 {
            return Ok(None);
        }
        let (indicators, quantified_share) = match self.indicators(year)? {
            Some(ind) => {
                let d = collect(
                    ind.select([
                        len().cast(DataType::Int64).alias("n"),
                        share(col("value_kind").eq(lit("quantitative")).sum(), len()).alias("q"),
                    ]),
                    self.root,
                )?;
                rows(&d).first().map_or((0, None), |x| (int(&x["n"]), float(&x["q"])))
            }
            None => (0, None),
        };
        Ok(Some(YearTotals {
            projects: int(&r["projects"]),
            copies_collapsed: int(&r["copies_collapsed"]),
            budget_units: int(&r["budget_units"]),
            indicators,
            annual_budget_yuan: dec(&r["annual_budget_yuan"]),
            midterm_budget_yuan: dec(&r["midterm_budget_yuan"]),
            mean_project_score: float(&r["mean_project_quality"]),
            quantified_share,
        }))
    }
}

/// Every unit of the scope, largest annual budget first, with its share of `total`.
fn unit_budgets(p: LazyFrame, total: Decimal, root: &Path) -> Result<Vec<UnitBudget>, StatsError> {
    let df = collect(
        with_text_money(budget_by_unit(p)).sort_by_exprs([col("budget_unit")], SortMultipleOptions::default()),
        root,
    )?;
    let mut units: Vec<UnitBudget> = rows(&df)
        .iter()
        .map(|r| {
            let annual = dec(&r["annual_budget_yuan"]);
            UnitBudget {
                region: text(&r["region"]),
                budget_unit: text(&r["budget_unit"]).unwrap_or_else(|| "(未注明单位)".into()),
                projects: int(&r["projects"]),
                copies_collapsed: int(&r["copies_collapsed"]),
                annual_budget_yuan: annual,
                share: ratio(annual, total),
                mean_quality: float(&r["mean_project_quality"]),
            }
        })
        .collect();
    units.sort_by(|a, b| b.annual_budget_yuan.cmp(&a.annual_budget_yuan).then(a.budget_unit.cmp(&b.budget_unit)));
    Ok(units)
}

/// Projects per ten-point score bucket, "0–9" up to "90–100".
fn score_histogram(p: LazyFrame, root: &Path) -> Result<Vec<(String, u64)>, StatsError> {
    let df = collect(p.select([col("quality_score")]), root)?;
    let mut hist = vec![0u64; 10];
    for r in rows(&df) {
        if let Some(s) = float(&r["quality_score"]) {
            hist[((s as usize) / 10).min(9)] += 1;
        }
    }
    Ok(hist
        .into_iter()
        .enumerate()
        .map(|(i, n)| (if i == 9 { "90–100".to_string() } else { format!("{}–{}", i * 10, i * 10 + 9) }, n))
        .collect())
}

fn top_projects(p: LazyFrame, root: &Path) -> Result<Vec<ProjectLine>, StatsError> {
    let df = collect(
        p.select([
            col("budget_unit"),
            col("project_name"),
            col("annual_budget_yuan").cast(DataType::String).alias("annual"),
            col("annual_budget_yuan").alias("sort_key"),
            col("quality_score").cast(DataType::Float64).alias("score"),
            col("quality_flags"),
        ])
        .sort_by_exprs(
            [col("sort_key"), col("project_name"), col("budget_unit")],
            SortMultipleOptions::default().with_order_descending_multi([true, false, false]).with_nulls_last(true),
        )
        .limit(TOP_PROJECTS),
        root,
    )?;
    Ok(rows(&df)
        .iter()
        .map(|r| ProjectLine {
            budget_unit: text(&r["budget_unit"]).unwrap_or_default(),
            project_name: text(&r["project_name"]).unwrap_or_default(),
            annual_budget_yuan: dec(&r["annual"]),
            quality_score: float(&r["score"]),
            flags: list_strings(&r["quality_flags"]),
        })
        .collect())
}

fn categories(ind: LazyFrame, root: &Path) -> Result<Vec<CategoryKinds>, StatsError> {
    let df = collect(kinds_by_category(ind), root)?;
    Ok(rows(&df)
        .iter()
        .map(|r| CategoryKinds {
            level1_code: text(&r["level1_code"]).unwrap_or_default(),
            level2_code: text(&r["level2_code"]).unwrap_or_default(),
            indicators: int(&r["indicators"]),
            quantitative: float(&r["share_quantitative"]).unwrap_or(0.0),
            qualitative: float(&r["share_qualitative"]).unwrap_or(0.0),
            placeholder: float(&r["share_placeholder"]).unwrap_or(0.0),
            empty: float(&r["share_empty"]).unwrap_or(0.0),
            mean_score: float(&r["mean_score"]),
        })
        .collect())
}

/// The most frequent indicator flags, each with a few examples.
fn flags(ind: LazyFrame, root: &Path) -> Result<Vec<FlagCount>, StatsError> {
    let raised = flag_rows(ind, &["year", "budget_unit", "project_name", "level3", "value"]);
    let counts = collect(
        flag_counts(raised.clone())
            .sort_by_exprs(
                [col("count"), col("flag")],
                SortMultipleOptions::default().with_order_descending_multi([true, false]),
            )
            .limit(TOP_FLAGS),
        root,
    )?;
    rows(&counts)
        .iter()
        .map(|r| {
            let flag = text(&r["flag"]).unwrap_or_default();
            Ok(FlagCount {
                description: crate::ingest::score::describe(&flag).to_string(),
                examples: flag_examples(raised.clone(), &flag, root)?,
                count: int(&r["count"]),
                flag,
            })
        })
        .collect()
}

/// Examples from different projects say more than three rows of one table. They are taken in
/// the order of the data, not of the files holding it, so a report is the same from any copy
/// of the same rows (a snapshot, a Delta table, another bucketing).
fn flag_examples(raised: LazyFrame, flag: &str, root: &Path) -> Result<Vec<FlagExample>, StatsError> {
    let df = collect(
        raised
            .filter(col("flag").eq(lit(flag.to_string())))
            .sort_by_exprs(
                [col("budget_unit"), col("project_name"), col("level3"), col("value")],
                SortMultipleOptions::default().with_nulls_last(true).with_maintain_order(true),
            )
            .unique_stable(Some(by_name(["budget_unit", "project_name"], true, false)), UniqueKeepStrategy::First)
            .limit(EXAMPLES_PER_FLAG),
        root,
    )?;
    Ok(rows(&df)
        .iter()
        .map(|e| FlagExample {
            budget_unit: text(&e["budget_unit"]).unwrap_or_default(),
            project_name: text(&e["project_name"]).unwrap_or_default(),
            level3: text(&e["level3"]).unwrap_or_default(),
            value: text(&e["value"]).unwrap_or_default(),
        })
        .collect())
}

/// Money sums as text, read back into `Decimal` exactly by `dec`.
fn with_text_money(lf: LazyFrame) -> LazyFrame {
    lf.with_columns([
        col("annual_budget_yuan").cast(DataType::String),
        col("midterm_budget_yuan").cast(DataType::String),
    ])
}

fn collect(lf: LazyFrame, root: &Path) -> Result<DataFrame, StatsError> {
    lf.collect().map_err(pl(root))
}

/// Rows of a frame as (column → value) maps: report tables are small.
fn rows(df: &DataFrame) -> Vec<BTreeMap<String, AnyValue<'_>>> {
    (0..df.height())
        .map(|i| df.columns().iter().map(|c| (c.name().to_string(), c.get(i).unwrap_or(AnyValue::Null))).collect())
        .collect()
}

fn dec(v: &AnyValue<'_>) -> Decimal {
    match v {
        AnyValue::Null => Decimal::ZERO,
        other => Decimal::from_str(&other.to_string().replace('"', "")).unwrap_or(Decimal::ZERO),
    }
}

fn text(v: &AnyValue<'_>) -> Option<String> {
    match v {
        AnyValue::Null => None,
        AnyValue::String(s) => Some(s.to_string()),
        AnyValue::StringOwned(s) => Some(s.to_string()),
        other => Some(other.to_string()),
    }
}

fn float(v: &AnyValue<'_>) -> Option<f64> {
    v.extract::<f64>()
}

fn int(v: &AnyValue<'_>) -> u64 {
    v.extract::<u64>().unwrap_or(0)
}

fn list_strings(v: &AnyValue<'_>) -> Vec<String> {
    match v {
        AnyValue::List(s) => s.iter().filter_map(|x| text(&x)).collect(),
        _ => Vec::new(),
    }
}

fn ratio(part: Decimal, whole: Decimal) -> f64 {
    if whole.is_zero() {
        return 0.0;
    }
    (part / whole).to_string().parse().unwrap_or(0.0)
}
