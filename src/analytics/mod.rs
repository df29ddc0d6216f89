//! Stage 7, stats: aggregates computed with polars over the written dataset (`stats/`), and the
//! figures of the yearly report.
//!
//! Money stays decimal(18,2) from the Parquet files through polars' decimal sums to the stats
//! files and the report, so a sum in a report equals the sum of the rows to the fen.

use std::collections::BTreeMap;
use std::fs::File;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use polars::prelude::*;
use rust_decimal::Decimal;

use crate::report::{CategoryRow, FlagExample, FlagRow, ProjectRow, ReportData, Totals, UnitRow};

#[derive(Debug, thiserror::Error)]
pub enum StatsError {
    #[error("polars over {path}: {source}")]
    Polars { path: PathBuf, source: PolarsError },
    #[error(transparent)]
    Convert(#[from] crate::store::parquet::ConvertError),
    #[error("{path}: {source}")]
    Io { path: PathBuf, source: std::io::Error },
}

fn pl(path: &Path) -> impl FnOnce(PolarsError) -> StatsError + '_ {
    move |source| StatsError::Polars { path: path.to_path_buf(), source }
}

fn has_parts(root: &Path, dataset: &str) -> bool {
    walkdir::WalkDir::new(root.join(dataset))
        .into_iter()
        .flatten()
        .any(|e| e.file_type().is_file() && e.path().extension().is_some_and(|x| x == "parquet"))
}

/// Scans a dataset of a snapshot; `year` comes from the Hive partition path.
pub fn scan(root: &Path, dataset: &str) -> Result<LazyFrame, StatsError> {
    let glob = format!("{}/{dataset}/**/*.parquet", root.display());
    let args = ScanArgsParquet {
        hive_options: polars::io::HiveOptions { enabled: Some(true), ..Default::default() },
        ..Default::default()
    };
    LazyFrame::scan_parquet(PlRefPath::new(glob.as_str()), args).map_err(pl(root))
}

/// Projects with their partition year, as an analyst sees them.
fn projects(root: &Path) -> Result<LazyFrame, StatsError> {
    Ok(scan(root, "projects")?.with_columns([col("year").cast(DataType::Int32)]))
}

fn indicators(root: &Path) -> Result<LazyFrame, StatsError> {
    Ok(scan(root, "indicators")?.with_columns([col("year").cast(DataType::Int32)]))
}

fn share(part: Expr, whole: Expr) -> Expr {
    part.cast(DataType::Float64) / whole.cast(DataType::Float64)
}

fn kind_share(kind: &str) -> Expr {
    share(col("value_kind").eq(lit(kind)).sum(), len()).alias(format!("share_{kind}"))
}

/// Writes `stats/*.parquet` for a finished staging snapshot.
pub fn write_all(root: &Path) -> Result<(), StatsError> {
    if !has_parts(root, "projects") {
        return Ok(());
    }
    let dir = root.join("stats");
    std::fs::create_dir_all(&dir).map_err(|source| StatsError::Io { path: dir.clone(), source })?;
    let p = projects(root)?;
    let keys = [col("year"), col("region"), col("budget_unit")];

    let by_unit = p
        .clone()
        .group_by(keys.clone())
        .agg([
            len().cast(DataType::Int64).alias("projects"),
            col("annual_budget_yuan").sum().alias("annual_budget_yuan"),
            col("midterm_budget_yuan").sum().alias("midterm_budget_yuan"),
            col("quality_score").cast(DataType::Float64).mean().alias("mean_project_quality"),
        ])
        .join(
            p.clone()
                .group_by([col("year"), col("region")])
                .agg([col("annual_budget_yuan").sum().alias("region_total")]),
            [col("year"), col("region")],
            [col("year"), col("region")],
            {
                let mut a = JoinArgs::new(JoinType::Left);
                a.nulls_equal = true;
                a
            },
        )
        .with_columns([share(col("annual_budget_yuan"), col("region_total")).alias("share_of_region_year")])
        .select([
            col("year"),
            col("region"),
            col("budget_unit"),
            col("projects"),
            col("annual_budget_yuan"),
            col("midterm_budget_yuan"),
            col("share_of_region_year"),
            col("mean_project_quality"),
        ])
        .sort_by_exprs(keys.clone(), SortMultipleOptions::default().with_nulls_last(true));
    save(by_unit, &dir.join("budget_by_unit.parquet"))?;

    // The same table published in several files (two scrapes, two formats) is counted once per
    // file in the sums above; this lists such groups so an analyst can decide.
    let same_table = [
        col("year"),
        col("region"),
        col("budget_unit"),
        col("project_name"),
        col("annual_budget_yuan"),
        col("midterm_budget_yuan"),
    ];
    let duplicates = p
        .clone()
        .group_by(same_table.clone())
        .agg([
            len().cast(DataType::Int64).alias("copies"),
            col("path").sort(SortOptions::default()).alias("paths"),
            col("project_id").sort(SortOptions::default()).alias("project_ids"),
        ])
        .filter(col("copies").gt(lit(1)))
        .sort_by_exprs(same_table, SortMultipleOptions::default().with_nulls_last(true));
    save(duplicates, &dir.join("duplicate_projects.parquet"))?;

    if has_parts(root, "indicators") {
        let ind = indicators(root)?;
        let with_unit = ind.clone().join(
            p.clone().select([col("project_id"), col("region"), col("budget_unit")]),
            [col("project_id")],
            [col("project_id")],
            JoinArgs::new(JoinType::Left),
        );
        let q_unit = with_unit
            .group_by(keys.clone())
            .agg([
                len().cast(DataType::Int64).alias("indicators"),
                kind_share("quantitative"),
                kind_share("qualitative"),
                kind_share("placeholder"),
                kind_share("empty"),
                col("quality_score").cast(DataType::Float64).mean().alias("mean_indicator_score"),
            ])
            .sort_by_exprs(keys.clone(), SortMultipleOptions::default().with_nulls_last(true));
        save(q_unit, &dir.join("quality_by_unit.parquet"))?;

        let cat_keys = [col("year"), col("level1_code"), col("level2_code")];
        let mut aggs = vec![len().cast(DataType::Int64).alias("indicators")];
        for k in ["quantitative", "qualitative", "placeholder", "empty"] {
            aggs.push(col("value_kind").eq(lit(k)).sum().cast(DataType::Int64).alias(k));
            aggs.push(kind_share(k));
        }
        aggs.push(col("quality_score").cast(DataType::Float64).mean().alias("mean_score"));
        let q_cat =
            ind.clone().group_by(cat_keys.clone()).agg(aggs).sort_by_exprs(cat_keys, SortMultipleOptions::default());
        save(q_cat, &dir.join("quality_by_category.parquet"))?;

        let flag_rows = |lf: LazyFrame, level: &str| {
            lf.select([col("year"), col("quality_flags").alias("flag")])
                .explode(by_name(["flag"], true, false), ExplodeOptions { empty_as_null: false, keep_nulls: false })
                .filter(col("flag").is_not_null())
                .group_by([col("year"), col("flag")])
                .agg([len().cast(DataType::Int64).alias("count")])
                .with_columns([lit(level.to_string()).alias("level")])
                .select([col("year"), col("level"), col("flag"), col("count")])
        };
        let flags = concat([flag_rows(ind, "indicator"), flag_rows(p, "project")], UnionArgs::default())
            .map_err(pl(root))?
            .sort_by_exprs(
                [col("year"), col("level"), col("count"), col("flag")],
                SortMultipleOptions::default().with_order_descending_multi([false, false, true, false]),
            );
        save(flags, &dir.join("flags.parquet"))?;
    }
    Ok(())
}

fn save(lf: LazyFrame, path: &Path) -> Result<(), StatsError> {
    let mut df = lf.collect().map_err(pl(path))?;
    let (schema, batches) = crate::store::parquet::to_record_batches(&mut df)?;
    let file = File::create(path).map_err(|source| StatsError::Io { path: path.to_path_buf(), source })?;
    crate::store::parquet::write_parquet(file, path, schema, &batches)?;
    Ok(())
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

fn collect(lf: LazyFrame, root: &Path) -> Result<DataFrame, StatsError> {
    lf.collect().map_err(pl(root))
}

/// Rows of a frame as (column → value) maps: report tables are small.
fn rows(df: &DataFrame) -> Vec<BTreeMap<String, AnyValue<'_>>> {
    (0..df.height())
        .map(|i| df.columns().iter().map(|c| (c.name().to_string(), c.get(i).unwrap_or(AnyValue::Null))).collect())
        .collect()
}

fn totals(p: LazyFrame, ind: Option<LazyFrame>, root: &Path) -> Result<Option<Totals>, StatsError> {
    let df = collect(
        p.select([
            len().cast(DataType::Int64).alias("projects"),
            col("budget_unit").n_unique().cast(DataType::Int64).alias("units"),
            col("annual_budget_yuan").sum().cast(DataType::String).alias("annual"),
            col("midterm_budget_yuan").sum().cast(DataType::String).alias("midterm"),
            col("quality_score").cast(DataType::Float64).mean().alias("score"),
        ]),
        root,
    )?;
    let r = rows(&df);
    let Some(r) = r.first() else { return Ok(None) };
    if int(&r["projects"]) == 0 {
        return Ok(None);
    }
    let (indicators, quantified_share) = match ind {
        Some(ind) => {
            let d = collect(
                ind.select([
                    len().cast(DataType::Int64).alias("n"),
                    share(col("value_kind").eq(lit("quantitative")).sum(), len()).alias("q"),
                ]),
                root,
            )?;
            let rr = rows(&d);
            rr.first().map_or((0, None), |x| (int(&x["n"]), float(&x["q"])))
        }
        None => (0, None),
    };
    Ok(Some(Totals {
        projects: int(&r["projects"]),
        budget_units: int(&r["units"]),
        indicators,
        annual_budget_yuan: dec(&r["annual"]),
        midterm_budget_yuan: dec(&r["midterm"]),
        mean_project_score: float(&r["score"]),
        quantified_share,
    }))
}

/// The figures of the yearly report, or `None` when the dataset has no project for the year.
pub fn report_data(root: &Path, year: i32, region: Option<&str>) -> Result<Option<ReportData>, StatsError> {
    if !has_parts(root, "projects") {
        return Ok(None);
    }
    let filter = |lf: LazyFrame, y: i32| {
        let lf = lf.filter(col("year").eq(lit(y)));
        match region {
            Some(r) => lf.filter(col("region").eq(lit(r.to_string()))),
            None => lf,
        }
    };
    let has_ind = has_parts(root, "indicators");
    let region_of_project = |y: i32| -> Result<Option<LazyFrame>, StatsError> {
        if !has_ind {
            return Ok(None);
        }
        let ids = filter(projects(root)?, y).select([col("project_id"), col("budget_unit"), col("project_name")]);
        Ok(Some(indicators(root)?.filter(col("year").eq(lit(y))).join(
            ids,
            [col("project_id")],
            [col("project_id")],
            JoinArgs::new(JoinType::Inner),
        )))
    };
    let Some(t) = totals(filter(projects(root)?, year), region_of_project(year)?, root)? else {
        return Ok(None);
    };
    let previous = totals(filter(projects(root)?, year - 1), region_of_project(year - 1)?, root)?;
    let p = filter(projects(root)?, year);

    let units_df = collect(
        p.clone()
            .group_by([col("region"), col("budget_unit")])
            .agg([
                len().cast(DataType::Int64).alias("projects"),
                col("annual_budget_yuan").sum().cast(DataType::String).alias("annual"),
                col("quality_score").cast(DataType::Float64).mean().alias("score"),
            ])
            .sort_by_exprs([col("budget_unit")], SortMultipleOptions::default()),
        root,
    )?;
    let mut units: Vec<UnitRow> = rows(&units_df)
        .iter()
        .map(|r| {
            let annual = dec(&r["annual"]);
            UnitRow {
                region: text(&r["region"]),
                budget_unit: text(&r["budget_unit"]).unwrap_or_else(|| "(未注明单位)".into()),
                projects: int(&r["projects"]),
                annual_budget_yuan: annual,
                share: ratio(annual, t.annual_budget_yuan),
                mean_quality: float(&r["score"]),
            }
        })
        .collect();
    units.sort_by(|a, b| b.annual_budget_yuan.cmp(&a.annual_budget_yuan).then(a.budget_unit.cmp(&b.budget_unit)));

    let scores_df = collect(p.clone().select([col("quality_score")]), root)?;
    let mut hist = vec![0u64; 10];
    for r in rows(&scores_df) {
        if let Some(s) = float(&r["quality_score"]) {
            hist[((s as usize) / 10).min(9)] += 1;
        }
    }
    let score_histogram = hist
        .into_iter()
        .enumerate()
        .map(|(i, n)| (if i == 9 { "90–100".to_string() } else { format!("{}–{}", i * 10, i * 10 + 9) }, n))
        .collect();

    let top_df = collect(
        p.clone()
            .select([
                col("budget_unit"),
                col("project_name"),
                col("annual_budget_yuan").cast(DataType::String).alias("annual"),
                col("annual_budget_yuan").alias("sort_key"),
                col("quality_score").cast(DataType::Float64).alias("score"),
                col("quality_flags"),
            ])
            .sort_by_exprs(
                [col("sort_key"), col("project_name")],
                SortMultipleOptions::default().with_order_descending_multi([true, false]).with_nulls_last(true),
            )
            .limit(15),
        root,
    )?;
    let top_projects = rows(&top_df)
        .iter()
        .map(|r| ProjectRow {
            budget_unit: text(&r["budget_unit"]).unwrap_or_default(),
            project_name: text(&r["project_name"]).unwrap_or_default(),
            annual_budget_yuan: dec(&r["annual"]),
            quality_score: float(&r["score"]),
            flags: list_strings(&r["quality_flags"]),
        })
        .collect();

    let mut categories = Vec::new();
    let mut flags = Vec::new();
    if let Some(ind) = region_of_project(year)? {
        let cat = collect(
            ind.clone()
                .group_by([col("level1_code"), col("level2_code")])
                .agg([
                    len().cast(DataType::Int64).alias("n"),
                    kind_share("quantitative"),
                    kind_share("qualitative"),
                    kind_share("placeholder"),
                    kind_share("empty"),
                    col("quality_score").cast(DataType::Float64).mean().alias("score"),
                ])
                .sort_by_exprs([col("level1_code"), col("level2_code")], SortMultipleOptions::default()),
            root,
        )?;
        categories = rows(&cat)
            .iter()
            .map(|r| CategoryRow {
                level1_code: text(&r["level1_code"]).unwrap_or_default(),
                level2_code: text(&r["level2_code"]).unwrap_or_default(),
                indicators: int(&r["n"]),
                quantitative: float(&r["share_quantitative"]).unwrap_or(0.0),
                qualitative: float(&r["share_qualitative"]).unwrap_or(0.0),
                placeholder: float(&r["share_placeholder"]).unwrap_or(0.0),
                empty: float(&r["share_empty"]).unwrap_or(0.0),
                mean_score: float(&r["score"]),
            })
            .collect();
        let exploded = ind
            .select([
                col("budget_unit"),
                col("project_name"),
                col("level3"),
                col("value"),
                col("quality_flags").alias("flag"),
            ])
            .explode(by_name(["flag"], true, false), ExplodeOptions { empty_as_null: false, keep_nulls: false })
            .filter(col("flag").is_not_null());
        let counts = collect(
            exploded
                .clone()
                .group_by([col("flag")])
                .agg([len().cast(DataType::Int64).alias("n")])
                .sort_by_exprs(
                    [col("n"), col("flag")],
                    SortMultipleOptions::default().with_order_descending_multi([true, false]),
                )
                .limit(10),
            root,
        )?;
        for r in rows(&counts) {
            let flag = text(&r["flag"]).unwrap_or_default();
            // Examples from different projects say more than three rows of one table.
            let ex = collect(
                exploded
                    .clone()
                    .filter(col("flag").eq(lit(flag.clone())))
                    .unique_stable(
                        Some(by_name(["budget_unit", "project_name"], true, false)),
                        UniqueKeepStrategy::First,
                    )
                    .limit(3),
                root,
            )?;
            let examples = rows(&ex)
                .iter()
                .map(|e| FlagExample {
                    budget_unit: text(&e["budget_unit"]).unwrap_or_default(),
                    project_name: text(&e["project_name"]).unwrap_or_default(),
                    level3: text(&e["level3"]).unwrap_or_default(),
                    value: text(&e["value"]).unwrap_or_default(),
                })
                .collect();
            flags.push(FlagRow {
                description: crate::ingest::score::describe(&flag).to_string(),
                flag,
                count: int(&r["n"]),
                examples,
            });
        }
    }

    Ok(Some(ReportData {
        year,
        region: region.map(str::to_string),
        generated_by: format!("jixiao {}", env!("CARGO_PKG_VERSION")),
        totals: t,
        previous,
        units,
        score_histogram,
        categories,
        flags,
        top_projects,
    }))
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

/// One line per budget year of a snapshot, for `jixiao status`.
#[derive(Debug, Clone, PartialEq)]
pub struct YearLine {
    pub year: i32,
    pub projects: u64,
    pub budget_units: u64,
    pub annual_budget_yuan: Decimal,
    pub mean_quality: Option<f64>,
}

/// Projects, units and the annual budget per year, from the snapshot's project rows.
pub fn years_overview(root: &Path) -> Result<Vec<YearLine>, StatsError> {
    if !has_parts(root, "projects") {
        return Ok(Vec::new());
    }
    let df = collect(
        projects(root)?
            .group_by([col("year")])
            .agg([
                len().cast(DataType::Int64).alias("projects"),
                col("budget_unit").n_unique().cast(DataType::Int64).alias("units"),
                col("annual_budget_yuan").sum().cast(DataType::String).alias("annual"),
                col("quality_score").cast(DataType::Float64).mean().alias("score"),
            ])
            .sort_by_exprs([col("year")], SortMultipleOptions::default()),
        root,
    )?;
    Ok(rows(&df)
        .iter()
        .map(|r| YearLine {
            year: r["year"].extract::<i32>().unwrap_or(0),
            projects: int(&r["projects"]),
            budget_units: int(&r["units"]),
            annual_budget_yuan: dec(&r["annual"]),
            mean_quality: float(&r["score"]),
        })
        .collect())
}
