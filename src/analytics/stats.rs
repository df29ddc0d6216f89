//! Stage 7, analytics: the stats datasets (`stats/*.parquet`) of a finished staging snapshot.

use std::fs::File;
use std::path::Path;

use polars::prelude::*;

use super::measures::{budget_by_unit, flag_counts, flag_rows, kind_share, kinds_by_category, share, unit_keys};
use super::{StatsError, all_projects, has_parts, indicators, pl, projects, scan, with_copies};

/// Writes `stats/*.parquet` for a finished staging snapshot.
///
/// Every stat but `review` is keyed by year first, so each is computed one year at a time and
/// the years concatenated in order: the same rows as over the whole snapshot, with one year's
/// indicators in memory instead of all of them (1.2 GB on a 50,000-file corpus otherwise).
pub fn write_all(root: &Path) -> Result<(), StatsError> {
    if !has_parts(root, "projects") {
        return Ok(());
    }
    let dir = root.join("stats");
    std::fs::create_dir_all(&dir).map_err(|source| StatsError::Io { path: dir.clone(), source })?;
    let years = partition_years(root);
    let each_year = |path: &str, make: &dyn Fn(Option<i32>) -> Result<LazyFrame, StatsError>| {
        let frames = years.iter().map(|&y| make(Some(y))).collect::<Result<Vec<_>, _>>()?;
        let one_by_one = UnionArgs { parallel: false, ..UnionArgs::default() };
        save(concat(frames, one_by_one).map_err(pl(root))?, &dir.join(path))
    };
    each_year("budget_by_unit.parquet", &|y| Ok(units(projects(root, y)?)))?;
    each_year("table_copies.parquet", &|y| Ok(table_copies(with_copies(all_projects(root, y)?))))?;
    each_year("duplicate_projects.parquet", &|y| Ok(duplicates(with_copies(all_projects(root, y)?))))?;
    if has_parts(root, "files") {
        save(super::review::review(all_projects(root, None)?, scan(root, "files")?), &dir.join("review.parquet"))?;
    }
    if has_parts(root, "indicators") {
        each_year("quality_by_unit.parquet", &|y| Ok(quality_by_unit(indicators(root, y)?, projects(root, y)?)))?;
        each_year("quality_by_category.parquet", &|y| Ok(kinds_by_category(indicators(root, y)?)))?;
        each_year("flags.parquet", &|y| flags(root, y))?;
    }
    Ok(())
}

/// The years a snapshot's `projects` are partitioned by, ascending.
fn partition_years(root: &Path) -> Vec<i32> {
    let mut years: Vec<i32> = std::fs::read_dir(root.join("projects"))
        .into_iter()
        .flatten()
        .flatten()
        .filter_map(|e| e.file_name().to_str()?.strip_prefix("year=")?.parse().ok())
        .collect();
    years.sort_unstable();
    years
}

/// How often each flag was raised, per year, level (indicator or project) and flag.
fn flags(root: &Path, year: Option<i32>) -> Result<LazyFrame, StatsError> {
    let by_level = |lf: LazyFrame, level: &str| {
        flag_counts(flag_rows(lf, &["year"])).with_columns([lit(level.to_string()).alias("level")]).select([
            col("year"),
            col("level"),
            col("flag"),
            col("count"),
        ])
    };
    let levels = [by_level(indicators(root, year)?, "indicator"), by_level(projects(root, year)?, "project")];
    Ok(concat(levels, UnionArgs::default()).map_err(pl(root))?.sort_by_exprs(
        [col("year"), col("level"), col("count"), col("flag")],
        SortMultipleOptions::default().with_order_descending_multi([false, false, true, false]),
    ))
}

fn by_keys_nulls_last() -> SortMultipleOptions {
    SortMultipleOptions::default().with_nulls_last(true)
}

/// `budget_by_unit` with each unit's share of its region's annual budget that year.
fn units(p: LazyFrame) -> LazyFrame {
    let region_year = [col("year"), col("region")];
    let mut join = JoinArgs::new(JoinType::Left);
    // Projects without a region still add up to a region total of their own.
    join.nulls_equal = true;
    budget_by_unit(p.clone())
        .join(
            p.group_by(region_year.clone()).agg([col("annual_budget_yuan").sum().alias("region_total")]),
            region_year.clone(),
            region_year,
            join,
        )
        .with_columns([share(col("annual_budget_yuan"), col("region_total")).alias("share_of_region_year")])
        .select([
            col("year"),
            col("region"),
            col("budget_unit"),
            col("projects"),
            col("copies_collapsed"),
            col("annual_budget_yuan"),
            col("midterm_budget_yuan"),
            col("share_of_region_year"),
            col("mean_project_quality"),
        ])
        .sort_by_exprs(unit_keys(), by_keys_nulls_last())
}

/// The copy relation of every project row, for joining to `projects`: `copy_of` is null on
/// the row that is counted; `copies` is the size of its fingerprint group.
fn table_copies(every_row: LazyFrame) -> LazyFrame {
    let keys = [col("year"), col("path"), col("table_index")];
    every_row
        .select([
            col("year"),
            col("project_id"),
            col("path"),
            col("table_index"),
            col("table_fingerprint"),
            col("copies"),
            col("copy_of"),
        ])
        .sort_by_exprs(keys, SortMultipleOptions::default())
}

/// Tables published in several files (two scrapes, two formats, mirrors): one row per
/// fingerprint with more than one row, naming the counted row and every copy.
fn duplicates(every_row: LazyFrame) -> LazyFrame {
    let by_path = || [col("path"), col("table_index")];
    every_row
        .group_by([col("year"), col("table_fingerprint")])
        .agg([
            col("region").sort_by(by_path(), SortMultipleOptions::default()).first(),
            col("budget_unit").sort_by(by_path(), SortMultipleOptions::default()).first(),
            col("project_name").sort_by(by_path(), SortMultipleOptions::default()).first(),
            col("annual_budget_yuan").sort_by(by_path(), SortMultipleOptions::default()).first(),
            col("midterm_budget_yuan").sort_by(by_path(), SortMultipleOptions::default()).first(),
            len().cast(DataType::Int64).alias("copies"),
            col("project_id").sort_by(by_path(), SortMultipleOptions::default()).first().alias("counted_project_id"),
            col("path").sort(SortOptions::default()).alias("paths"),
            col("project_id").sort_by(by_path(), SortMultipleOptions::default()).alias("project_ids"),
        ])
        .filter(col("copies").gt(lit(1)))
        .sort_by_exprs(
            [col("year"), col("budget_unit"), col("project_name"), col("table_fingerprint")],
            by_keys_nulls_last(),
        )
}

/// Value-kind shares and mean indicator score per budget unit.
fn quality_by_unit(ind: LazyFrame, p: LazyFrame) -> LazyFrame {
    ind.join(
        p.select([col("project_id"), col("region"), col("budget_unit")]),
        [col("project_id")],
        [col("project_id")],
        JoinArgs::new(JoinType::Left),
    )
    .group_by(unit_keys())
    .agg([
        len().cast(DataType::Int64).alias("indicators"),
        kind_share("quantitative"),
        kind_share("qualitative"),
        kind_share("placeholder"),
        kind_share("empty"),
        col("quality_score").cast(DataType::Float64).mean().alias("mean_indicator_score"),
    ])
    .sort_by_exprs(unit_keys(), by_keys_nulls_last())
}

fn save(lf: LazyFrame, path: &Path) -> Result<(), StatsError> {
    let mut df = lf.collect().map_err(pl(path))?;
    let (schema, batches) = crate::store::parquet::to_record_batches(&mut df)?;
    let file = File::create(path).map_err(|source| StatsError::Io { path: path.to_path_buf(), source })?;
    crate::store::parquet::write_parquet(file, path, schema, &batches)?;
    Ok(())
}
