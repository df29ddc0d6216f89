//! Stage 7, analytics: the stats datasets (`stats/*.parquet`) of a finished staging snapshot.

use std::fs::File;
use std::path::Path;

use polars::prelude::*;

use super::measures::{budget_by_unit, flag_counts, flag_rows, kind_share, kinds_by_category, share, unit_keys};
use super::{StatsError, has_parts, indicators, pl, projects, scan};

/// Writes `stats/*.parquet` for a finished staging snapshot.
pub fn write_all(root: &Path) -> Result<(), StatsError> {
    if !has_parts(root, "projects") {
        return Ok(());
    }
    let dir = root.join("stats");
    std::fs::create_dir_all(&dir).map_err(|source| StatsError::Io { path: dir.clone(), source })?;
    let p = projects(root)?;
    save(units(p.clone()), &dir.join("budget_by_unit.parquet"))?;
    save(duplicates(p.clone()), &dir.join("duplicate_projects.parquet"))?;
    if has_parts(root, "files") {
        save(super::review::review(p.clone(), scan(root, "files")?), &dir.join("review.parquet"))?;
    }
    if has_parts(root, "indicators") {
        let ind = indicators(root)?;
        save(quality_by_unit(ind.clone(), p.clone()), &dir.join("quality_by_unit.parquet"))?;
        save(kinds_by_category(ind.clone()), &dir.join("quality_by_category.parquet"))?;
        let by_level = |lf: LazyFrame, level: &str| {
            flag_counts(flag_rows(lf, &["year"])).with_columns([lit(level.to_string()).alias("level")]).select([
                col("year"),
                col("level"),
                col("flag"),
                col("count"),
            ])
        };
        let flags = concat([by_level(ind, "indicator"), by_level(p, "project")], UnionArgs::default())
            .map_err(pl(root))?
            .sort_by_exprs(
                [col("year"), col("level"), col("count"), col("flag")],
                SortMultipleOptions::default().with_order_descending_multi([false, false, true, false]),
            );
        save(flags, &dir.join("flags.parquet"))?;
    }
    Ok(())
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
            col("annual_budget_yuan"),
            col("midterm_budget_yuan"),
            col("share_of_region_year"),
            col("mean_project_quality"),
        ])
        .sort_by_exprs(unit_keys(), by_keys_nulls_last())
}

/// The same table published in several files (two scrapes, two formats) is counted once per
/// file in the sums; this lists such groups so an analyst can decide.
fn duplicates(p: LazyFrame) -> LazyFrame {
    let same_table = [
        col("year"),
        col("region"),
        col("budget_unit"),
        col("project_name"),
        col("annual_budget_yuan"),
        col("midterm_budget_yuan"),
    ];
    p.group_by(same_table.clone())
        .agg([
            len().cast(DataType::Int64).alias("copies"),
            col("path").sort(SortOptions::default()).alias("paths"),
            col("project_id").sort(SortOptions::default()).alias("project_ids"),
        ])
        .filter(col("copies").gt(lit(1)))
        .sort_by_exprs(same_table, by_keys_nulls_last())
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
