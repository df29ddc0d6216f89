//! Stage 7, analytics: the stats datasets (`stats/*.parquet`) of a finished staging snapshot.

use std::fs::File;
use std::path::Path;

use polars::prelude::*;

use crate::store::parquet::{Codec, FrameWriter};

use super::measures::{
    add_kind_sums, budget_by_unit, category_keys, category_kinds, flag_counts, flag_rows, kind_shares, kind_sums,
    share, unit_keys,
};
use super::{StatsError, has_parts, pl, read_all_parts, read_year, review, with_copies, year_parts};

/// The columns of `projects` the stats read; the goals and opinions (most of its bytes) are
/// never decoded.
const PROJECT_COLUMNS: [&str; 13] = [
    "project_id",
    "path",
    "table_index",
    "table_fingerprint",
    "region",
    "budget_unit",
    "project_name",
    "midterm_budget_yuan",
    "annual_budget_yuan",
    "parse_confidence",
    "parse_notes",
    "quality_score",
    "quality_flags",
];

/// The columns of the distinct project rows that `budget_by_unit`, `flags` and the indicator
/// stats read.
const DISTINCT_COLUMNS: [&str; 9] = [
    "year",
    "project_id",
    "region",
    "budget_unit",
    "copies",
    "annual_budget_yuan",
    "midterm_budget_yuan",
    "quality_score",
    "quality_flags",
];

/// The columns of `indicators` the stats read.
const INDICATOR_COLUMNS: [&str; 6] =
    ["project_id", "level1_code", "level2_code", "value_kind", "quality_score", "quality_flags"];

/// `INDICATOR_COLUMNS` but the flags (a list), with the partition year: what `kind_sums` reads.
const SCALAR_INDICATOR_COLUMNS: [&str; 6] =
    ["project_id", "level1_code", "level2_code", "value_kind", "quality_score", "year"];

/// Writes `stats/*.parquet` for a finished staging snapshot, compressed with `codec`; with
/// `threads` > 1, two years are computed at a time (a single year's indicator stats beside its
/// project stats).
///
/// Every stat is keyed by year first (`review` is filtered by year, then ordered), and a copy
/// never crosses years, so each is computed one year at a time and each year's rows are
/// written before the next year's are computed: the same files as over the whole snapshot,
/// with one year's rows in memory instead of all of them. A year's project rows are read and
/// given their copy relation once, and every stat of the year is computed from them; each
/// indicator part file is read once for the three stats that count indicators.
///
/// On two threads, two years are computed side by side and written in year order. Splitting a
/// year instead (its indicator stats beside its project stats) left one thread mostly idle, the
/// indicator side being most of the work: `bench-stats` of the 5,000-file snapshot, quiet
/// machine, 0.26-0.27 -> 0.19-0.20 s; 50,000 files 1.48 -> 1.27-1.38 s, for two years' rows in
/// memory (peak of the stats alone 162-167 -> 195-201 MB; it was 254 -> 326 MB before parts
/// were read one at a time).
pub fn write_all(root: &Path, threads: usize, codec: Codec) -> Result<(), StatsError> {
    if !has_parts(root, "projects") {
        return Ok(());
    }
    let years = partition_years(root);
    if years.is_empty() {
        return Ok(());
    }
    let dir = root.join("stats");
    std::fs::create_dir_all(&dir).map_err(|source| StatsError::Io { path: dir.clone(), source })?;
    // One row per input file, three columns: small next to a year's project rows.
    let files = match has_parts(root, "files") {
        true => Some(read_all_parts(root, "files", &["path", "status", "error"])?),
        false => None,
    };
    let with_indicators = has_parts(root, "indicators");
    let mut out = Outputs::create(&dir, with_indicators, years.len(), codec)?;
    let compute = |y: i32, beside: bool| Year::compute(root, y, files.as_ref(), with_indicators, beside);
    if threads > 1 && years.len() > 1 {
        // Two years at a time, each on a thread of its own, written in year order.
        for pair in years.chunks(2) {
            let (first, second) = std::thread::scope(|s| {
                let second = pair.get(1).map(|&y| s.spawn(move || compute(y, false)));
                let first = compute(pair[0], false);
                (first, second.map(|h| h.join().unwrap_or_else(|p| std::panic::resume_unwind(p))))
            });
            out.append(first?)?;
            if let Some(second) = second {
                out.append(second?)?;
            }
        }
    } else {
        for &y in &years {
            out.append(compute(y, threads > 1)?)?;
        }
    }
    out.close(files.is_some(), root)
}

/// A year's rows of every stats file, computed and not yet written.
struct Year {
    budget: DataFrame,
    copies: DataFrame,
    duplicated: DataFrame,
    candidates: Option<DataFrame>,
    indicators: Option<IndicatorYear>,
}

impl Year {
    /// The year's stats; the indicator stats on a thread of their own when `beside`.
    fn compute(
        root: &Path,
        y: i32,
        files: Option<&DataFrame>,
        with_indicators: bool,
        beside: bool,
    ) -> Result<Year, StatsError> {
        let rows = read_year(root, "projects", y, &PROJECT_COLUMNS)?;
        let every = with_copies(rows.lazy()).collect().map_err(pl(root))?;
        // Only the columns the distinct rows' stats read: the filter copies every column it keeps.
        let distinct = every
            .clone()
            .lazy()
            .filter(col("copy_of").is_null())
            .select(DISTINCT_COLUMNS.map(col))
            .collect()
            .map_err(pl(root))?;
        let indicators = || IndicatorYear::compute(root, y, distinct.clone());
        let run = |lf: LazyFrame| lf.collect().map_err(pl(root));
        let projects = || -> Result<_, StatsError> {
            Ok((
                run(units(distinct.clone().lazy()))?,
                run(table_copies(every.clone().lazy()))?,
                run(duplicates(every.clone().lazy()))?,
                match files {
                    Some(files) => Some(run(review::candidates(every.clone().lazy(), files.clone().lazy()))?),
                    None => None,
                },
            ))
        };
        let (projects, indicators) = match (with_indicators, beside) {
            (true, true) => std::thread::scope(|s| {
                let indicators = s.spawn(indicators);
                let projects = projects();
                (projects, indicators.join().unwrap_or_else(|p| std::panic::resume_unwind(p)).map(Some))
            }),
            (true, false) => (projects(), indicators().map(Some)),
            (false, _) => (projects(), Ok(None)),
        };
        let (budget, copies, duplicated, candidates) = projects?;
        Ok(Year { budget, copies, duplicated, candidates, indicators: indicators? })
    }
}

/// The stats files, appended a year at a time in year order.
struct Outputs {
    budget: StatFile,
    copies: StatFile,
    duplicated: StatFile,
    indicators: Option<IndicatorFiles>,
    /// `review` orders the candidates of every year together, so they are written last.
    candidates: Vec<DataFrame>,
    codec: Codec,
}

impl Outputs {
    fn create(dir: &Path, with_indicators: bool, years: usize, codec: Codec) -> Result<Outputs, StatsError> {
        Ok(Outputs {
            budget: StatFile::create(dir, "budget_by_unit.parquet", codec)?,
            copies: StatFile::create(dir, "table_copies.parquet", codec)?,
            duplicated: StatFile::create(dir, "duplicate_projects.parquet", codec)?,
            indicators: match with_indicators {
                true => Some(IndicatorFiles::create(dir, codec)?),
                false => None,
            },
            candidates: Vec::with_capacity(years),
            codec,
        })
    }

    fn append(&mut self, year: Year) -> Result<(), StatsError> {
        self.budget.append(year.budget)?;
        self.copies.append(year.copies)?;
        self.duplicated.append(year.duplicated)?;
        self.candidates.extend(year.candidates);
        if let (Some(out), Some(rows)) = (&mut self.indicators, year.indicators) {
            out.append(rows)?;
        }
        Ok(())
    }

    fn close(self, with_review: bool, root: &Path) -> Result<(), StatsError> {
        self.budget.close()?;
        self.copies.close()?;
        self.duplicated.close()?;
        if let Some(out) = self.indicators {
            out.close()?;
        }
        if with_review {
            let mut out = StatFile::create(&root.join("stats"), "review.parquet", self.codec)?;
            out.append(review::worst_first(stack(self.candidates, root)?).collect().map_err(pl(root))?)?;
            out.close()?;
        }
        Ok(())
    }
}

/// `quality_by_unit`, `quality_by_category` and `flags`, written a year at a time.
struct IndicatorFiles {
    by_unit: StatFile,
    by_category: StatFile,
    flags: StatFile,
}

/// A year's rows of `quality_by_unit`, `quality_by_category` and `flags`.
struct IndicatorYear {
    by_unit: DataFrame,
    by_category: DataFrame,
    flags: DataFrame,
}

impl IndicatorYear {
    /// The year's rows of the three files, from its `distinct` project rows.
    ///
    /// The indicators are most of what the stats read (about ten rows per table), so a
    /// year's are read one part file at a time: a part's rows of distinct tables are reduced to
    /// counts and sums per key (`kind_sums`, `flag_counts`), and the year's figures come from
    /// the parts' sums added up. Only the distinct tables of the year and one part's rows are
    /// in memory at once. The sums' key strings still point into their part's columns, so they
    /// are finished once per year, not kept.
    ///
    /// A part's rows are summed per table (`project_id`, one key) and only the tables' sums
    /// meet their units: grouping every indicator row by (year, region, unit) after a join
    /// that copied the two texts onto each row cost most of the stats (5,000 files: the
    /// multi-key row encoding and hashing of 225,000 rows, twice, per part).
    fn compute(root: &Path, year: i32, distinct: DataFrame) -> Result<IndicatorYear, StatsError> {
        let units_of = distinct.select(["project_id", "year", "region", "budget_unit"]).map_err(pl(root))?;
        let (mut by_table, mut categories, mut flagged) = (Vec::new(), Vec::new(), Vec::new());
        let run = |lf: LazyFrame| lf.collect().map_err(pl(root));
        let ids = units_of.select(["project_id"]).map_err(pl(root))?;
        let on = || [col("project_id")];
        // An inner join with the distinct ids (each once) keeps the rows of distinct tables.
        let of_distinct = |lf: LazyFrame| lf.join(ids.clone().lazy(), on(), on(), JoinArgs::new(JoinType::Inner));
        for part in year_parts(root, "indicators", year, &INDICATOR_COLUMNS)? {
            let part = part?;
            // The flags are exploded before they meet the distinct tables: a join gathers
            // every column of its rows, and polars gathers a list column element by element
            // (5,000 files: 236 M instructions of the stats' 1,688 M gathered `quality_flags`).
            let scalars = part.clone().lazy().select(SCALAR_INDICATOR_COLUMNS.map(col));
            let rows = run(of_distinct(scalars))?;
            by_table.push(run(kind_sums(rows.clone().lazy(), &[col("project_id")]))?);
            categories.push(run(kind_sums(rows.lazy(), &category_keys()))?);
            flagged.push(run(flag_counts(of_distinct(flag_rows(part.lazy(), &["project_id", "year"]))))?);
        }
        let indicator_flags = stack(flagged, root)?.group_by([col("year"), col("flag")]).agg([col("count").sum()]);
        let by_unit = stack(by_table, root)?.join(units_of.lazy(), on(), on(), JoinArgs::new(JoinType::Inner));
        Ok(IndicatorYear {
            by_unit: run(quality_by_unit(by_unit))?,
            by_category: run(category_kinds(add_kind_sums(stack(categories, root)?, &category_keys())))?,
            flags: run(flags(indicator_flags, distinct.lazy(), root)?)?,
        })
    }
}

impl IndicatorFiles {
    fn create(dir: &Path, codec: Codec) -> Result<IndicatorFiles, StatsError> {
        Ok(IndicatorFiles {
            by_unit: StatFile::create(dir, "quality_by_unit.parquet", codec)?,
            by_category: StatFile::create(dir, "quality_by_category.parquet", codec)?,
            flags: StatFile::create(dir, "flags.parquet", codec)?,
        })
    }

    fn append(&mut self, year: IndicatorYear) -> Result<(), StatsError> {
        self.by_unit.append(year.by_unit)?;
        self.by_category.append(year.by_category)?;
        self.flags.append(year.flags)
    }

    fn close(self) -> Result<(), StatsError> {
        self.by_unit.close()?;
        self.by_category.close()?;
        self.flags.close()
    }
}

/// Frames of one shape as one lazy frame, in order.
fn stack(frames: Vec<DataFrame>, root: &Path) -> Result<LazyFrame, StatsError> {
    let one_by_one = UnionArgs { parallel: false, ..UnionArgs::default() };
    concat(frames.into_iter().map(DataFrame::lazy).collect::<Vec<_>>(), one_by_one).map_err(pl(root))
}

/// A stats file written a frame at a time (see [`FrameWriter`]).
struct StatFile {
    out: FrameWriter<File>,
}

impl StatFile {
    fn create(dir: &Path, name: &str, codec: Codec) -> Result<StatFile, StatsError> {
        let path = dir.join(name);
        let file = File::create(&path).map_err(|source| StatsError::Io { path: path.clone(), source })?;
        Ok(StatFile { out: FrameWriter::new(file, &path, codec) })
    }

    fn append(&mut self, mut df: DataFrame) -> Result<(), StatsError> {
        Ok(self.out.write_frame(&mut df)?)
    }

    fn close(self) -> Result<(), StatsError> {
        Ok(self.out.close()?)
    }
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

/// How often each flag was raised, per year, level (indicator or project) and flag, from
/// the indicators' counts (added up over the parts) and the distinct projects.
fn flags(indicator_counts: LazyFrame, projects: LazyFrame, root: &Path) -> Result<LazyFrame, StatsError> {
    let level = |counts: LazyFrame, level: &str| {
        counts.with_columns([lit(level.to_string()).alias("level")]).select([
            col("year"),
            col("level"),
            col("flag"),
            col("count"),
        ])
    };
    let project_counts = flag_counts(flag_rows(projects, &["year"]));
    let levels = [level(indicator_counts, "indicator"), level(project_counts, "project")];
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
/// fingerprint with more than one row, naming the counted row and every copy. `every_row`
/// has its copy relation (`with_copies`), so only the rows of copied tables are grouped.
fn duplicates(every_row: LazyFrame) -> LazyFrame {
    let by_path = || [col("path"), col("table_index")];
    every_row
        .filter(col("copies").gt(lit(1i64)))
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

/// Value-kind shares and mean indicator score per budget unit, from the parts' `kind_sums`.
fn quality_by_unit(sums: LazyFrame) -> LazyFrame {
    let keys = unit_keys();
    kind_shares(add_kind_sums(sums, &keys), &keys, false, "mean_indicator_score")
        .sort_by_exprs(keys, by_keys_nulls_last())
}
