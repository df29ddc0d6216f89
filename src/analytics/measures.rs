//! Stage 7, analytics: the quantities the stats datasets and the report figures share, each
//! built by one function, so `stats/budget_by_unit.parquet` and the report's unit table cannot
//! disagree about what a unit's budget is.

use polars::prelude::*;

/// Value kinds in the order every table and chart lists them.
pub(super) const KINDS: [&str; 4] = ["quantitative", "qualitative", "placeholder", "empty"];

pub(super) fn share(part: Expr, whole: Expr) -> Expr {
    part.cast(DataType::Float64) / whole.cast(DataType::Float64)
}

/// Rows of the group that were copies of a counted table, left out of every sum. `copies`
/// comes with the distinct project rows (analytics::projects) and counts the table itself.
fn copies_collapsed() -> Expr {
    (col("copies") - lit(1i64)).sum().cast(DataType::Int64).alias("copies_collapsed")
}

fn mean_score(alias: &str) -> Expr {
    col("quality_score").cast(DataType::Float64).mean().alias(alias)
}

pub(super) fn unit_keys() -> [Expr; 3] {
    [col("year"), col("region"), col("budget_unit")]
}

/// Distinct projects, copies collapsed, annual and mid-term budget and mean project quality
/// per (year, region, budget unit); unsorted, callers order it for their readers.
pub(super) fn budget_by_unit(projects: LazyFrame) -> LazyFrame {
    projects.group_by(unit_keys()).agg([
        len().cast(DataType::Int64).alias("projects"),
        copies_collapsed(),
        col("annual_budget_yuan").sum().alias("annual_budget_yuan"),
        col("midterm_budget_yuan").sum().alias("midterm_budget_yuan"),
        mean_score("mean_project_quality"),
    ])
}

/// Projects, distinct budget units, budgets and mean project quality per year, by year: the
/// report's headline and `jixiao status`.
pub(super) fn totals_by_year(projects: LazyFrame) -> LazyFrame {
    projects
        .group_by([col("year")])
        .agg([
            len().cast(DataType::Int64).alias("projects"),
            copies_collapsed(),
            col("budget_unit").n_unique().cast(DataType::Int64).alias("budget_units"),
            col("annual_budget_yuan").sum().alias("annual_budget_yuan"),
            col("midterm_budget_yuan").sum().alias("midterm_budget_yuan"),
            mean_score("mean_project_quality"),
        ])
        .sort_by_exprs([col("year")], SortMultipleOptions::default())
}

/// The keys of `quality_by_category` and the report's category table.
pub(super) fn category_keys() -> [Expr; 3] {
    [col("year"), col("level1_code"), col("level2_code")]
}

/// Counts and sums per `keys` that the kind shares and the mean score are computed from
/// (`kind_shares`). The sums of several frames' sums (`add_kind_sums`) are the sums of their
/// union, so the stats can read the indicators one part file at a time.
pub(super) fn kind_sums(indicators: LazyFrame, keys: &[Expr]) -> LazyFrame {
    let mut aggs = vec![len().cast(DataType::Int64).alias("indicators")];
    for k in KINDS {
        aggs.push(col("value_kind").eq(lit(k)).sum().cast(DataType::Int64).alias(k));
    }
    aggs.push(col("quality_score").cast(DataType::Int64).sum().alias("score_sum"));
    aggs.push(col("quality_score").count().cast(DataType::Int64).alias("scored"));
    indicators.group_by(keys).agg(aggs)
}

/// `kind_sums` of several parts, added up per `keys`.
pub(super) fn add_kind_sums(sums: LazyFrame, keys: &[Expr]) -> LazyFrame {
    let counts = ["indicators", KINDS[0], KINDS[1], KINDS[2], KINDS[3], "score_sum", "scored"];
    sums.group_by(keys).agg(counts.map(|c| col(c).sum()))
}

/// The count and share of each value kind and the mean indicator score (`mean_alias`) from
/// `kind_sums`, after `keys`: the mean is the sum over the count, as polars' mean computes it
/// (the scores are integers, so their f64 sum is exact in any order).
pub(super) fn kind_shares(sums: LazyFrame, keys: &[Expr], with_counts: bool, mean_alias: &str) -> LazyFrame {
    let mut cols: Vec<Expr> = keys.to_vec();
    cols.push(col("indicators"));
    for k in KINDS {
        if with_counts {
            cols.push(col(k));
        }
        cols.push(share(col(k), col("indicators")).alias(format!("share_{k}")));
    }
    let mean = share(col("score_sum"), col("scored"));
    cols.push(
        when(col("scored").gt(lit(0i64))).then(mean).otherwise(lit(NULL).cast(DataType::Float64)).alias(mean_alias),
    );
    sums.select(cols)
}

/// Indicators per (year, level-1, level-2 category): count, count and share of each value
/// kind, mean indicator score; sorted by those keys.
pub(super) fn kinds_by_category(indicators: LazyFrame) -> LazyFrame {
    category_kinds(kind_sums(indicators, &category_keys()))
}

/// `kinds_by_category` from `kind_sums` per category key (of one frame, or added up).
pub(super) fn category_kinds(sums: LazyFrame) -> LazyFrame {
    let keys = category_keys();
    kind_shares(sums, &keys, true, "mean_score").sort_by_exprs(keys, SortMultipleOptions::default())
}

/// One row per raised flag (`flag`), keeping `keep` of the flagged row; rows without flags go.
pub(super) fn flag_rows(lf: LazyFrame, keep: &[&str]) -> LazyFrame {
    let mut cols: Vec<Expr> = keep.iter().map(|c| col(*c)).collect();
    cols.push(col("quality_flags").alias("flag"));
    lf.select(cols)
        .explode(by_name(["flag"], true, false), ExplodeOptions { empty_as_null: false, keep_nulls: false })
        .filter(col("flag").is_not_null())
}

/// How often each flag was raised per year, from `flag_rows` that kept `year`; unsorted.
pub(super) fn flag_counts(flag_rows: LazyFrame) -> LazyFrame {
    flag_rows.group_by([col("year"), col("flag")]).agg([len().cast(DataType::Int64).alias("count")])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kind_sums_of_parts_added_up_equal_the_figures_over_all_rows() {
        let all = df!(
            "year" => [2020i32; 6],
            "level1_code" => ["a", "a", "b", "a", "b", "c"],
            "level2_code" => ["x", "x", "y", "x", "y", "z"],
            "value_kind" => ["quantitative", "empty", "qualitative", "quantitative", "placeholder", "empty"],
            "quality_score" => [Some(3i32), None, Some(1), Some(4), Some(2), None],
        )
        .unwrap();
        let expected = kinds_by_category(all.clone().lazy()).collect().unwrap();
        let parts =
            [all.slice(0, 2), all.slice(2, 4)].map(|p| kind_sums(p.lazy(), &category_keys()).collect().unwrap().lazy());
        let added = add_kind_sums(concat(parts, UnionArgs::default()).unwrap(), &category_keys());
        let got = category_kinds(added).collect().unwrap();
        assert!(got.equals_missing(&expected), "{got}\n{expected}");
        // A category with no score has no mean (not NaN), as polars' mean over nulls.
        let means = got.column("mean_score").unwrap().f64().unwrap().clone();
        assert_eq!(means.get(2), None);
        assert_eq!(means.get(0), Some(3.5));
    }
}
