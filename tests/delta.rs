//! Integration tests of the scale-out path: several `jixiao` processes staging shards into one
//! local Delta root, `jixiao commit`, and the tables read back row for row.

use std::fs;
use std::path::Path;
use std::process::{Child, Command, Output, Stdio};

use arrow::array::{Array, Decimal128Array, RecordBatch};
use arrow::util::display::{ArrayFormatter, FormatOptions};
use parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder;

use jixiao::store::delta::Lake;
use jixiao::store::sink::Dataset;

mod common;
use common::{copy_tree, current, repo};

const BIN: &str = env!("CARGO_BIN_EXE_jixiao");

fn cmd(args: &[&str], env: &[(&str, &str)]) -> Command {
    let mut c = Command::new(BIN);
    c.args(args).env("JIXIAO_LOG", "warn");
    for (k, v) in env {
        c.env(k, v);
    }
    c
}

fn jixiao(args: &[&str]) -> Output {
    cmd(args, &[]).output().expect("run jixiao")
}

fn text(o: &Output) -> String {
    format!("{}{}", String::from_utf8_lossy(&o.stdout), String::from_utf8_lossy(&o.stderr))
}

fn ok(o: &Output) -> bool {
    o.status.code().is_some_and(|c| c <= 1)
}

fn corpus() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    copy_tree(&repo().join("sample_data/corpus"), dir.path());
    fs::copy(repo().join("sample_data/dongguan_2020_seed.txt"), dir.path().join("seed.txt")).unwrap();
    dir
}

fn shard_args<'a>(input: &'a str, root: &'a str, work: &'a str, shard: &'a str, run: &'a str) -> Vec<&'a str> {
    vec!["ingest", input, "--delta", root, "--out", work, "--jobs", "1", "--shard", shard, "--run-id", run]
}

/// Starts all `n` shards of a run at once, as an Indexed Job does, and waits for them.
fn run_shards(input: &Path, root: &str, work: &Path, n: u32, run: &str) {
    let children: Vec<(String, Child)> = (0..n)
        .map(|i| {
            let shard = format!("{i}/{n}");
            let args = shard_args(input.to_str().unwrap(), root, work.to_str().unwrap(), &shard, run);
            let child = cmd(&args, &[]).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
            (shard, child)
        })
        .collect();
    for (shard, child) in children {
        let o = child.wait_with_output().unwrap();
        assert!(ok(&o), "shard {shard}: {}", text(&o));
    }
}

fn commit(root: &str, run: &str, n: u32) -> Output {
    jixiao(&["commit", "--delta", root, "--run-id", run, "--shards", &n.to_string()])
}

fn formatted(batches: &[RecordBatch], skip: &[&str]) -> Vec<String> {
    let opts = FormatOptions::default().with_null("∅");
    let mut rows = Vec::new();
    for b in batches {
        let schema = b.schema();
        let cols: Vec<(String, ArrayFormatter<'_>)> = schema
            .fields()
            .iter()
            .zip(b.columns())
            .filter(|(f, _)| !skip.contains(&f.name().as_str()))
            .map(|(f, c)| (f.name().clone(), ArrayFormatter::try_new(c.as_ref(), &opts).unwrap()))
            .collect();
        for i in 0..b.num_rows() {
            rows.push(cols.iter().map(|(n, f)| format!("{n}={}", f.value(i))).collect::<Vec<_>>().join(" | "));
        }
    }
    rows.sort();
    rows
}

/// A Delta table's rows as sorted strings (with `year`).
fn delta_rows(root: &str, d: Dataset) -> Vec<String> {
    let (_, batches) = Lake::open(root).unwrap().read(d).unwrap();
    formatted(&batches, &[])
}

fn versions(root: &str) -> Vec<Option<u64>> {
    let lake = Lake::open(root).unwrap();
    Dataset::ALL.iter().map(|&d| lake.version(d).unwrap()).collect()
}

/// A Parquet snapshot's dataset read the same way, `year` taken from the Hive path.
fn snapshot_rows(out: &Path, d: Dataset) -> Vec<String> {
    let root = current(out);
    let mut batches = Vec::new();
    for e in walkdir::WalkDir::new(root.join(d.name())).into_iter().flatten().filter(|e| e.file_type().is_file()) {
        let year: Option<i32> = e
            .path()
            .parent()
            .and_then(|p| p.file_name())
            .and_then(|n| n.to_str())
            .and_then(|n| n.strip_prefix("year="))
            .and_then(|y| y.parse().ok());
        let reader =
            ParquetRecordBatchReaderBuilder::try_new(fs::File::open(e.path()).unwrap()).unwrap().build().unwrap();
        for b in reader {
            let b = b.unwrap();
            batches.push(match year {
                Some(y) => {
                    let mut fields: Vec<_> = b.schema().fields().iter().map(|f| f.as_ref().clone()).collect();
                    fields.push(arrow::datatypes::Field::new("year", arrow::datatypes::DataType::Int32, false));
                    let mut cols = b.columns().to_vec();
                    cols.push(std::sync::Arc::new(arrow::array::Int32Array::from(vec![y; b.num_rows()])));
                    RecordBatch::try_new(std::sync::Arc::new(arrow::datatypes::Schema::new(fields)), cols).unwrap()
                }
                None => b,
            });
        }
    }
    formatted(&batches, &[])
}

/// The sum of `annual_budget_yuan` in fen.
fn budget_fen(root: &str) -> i128 {
    let (_, batches) = Lake::open(root).unwrap().read(Dataset::Projects).unwrap();
    batches
        .iter()
        .map(|b| {
            let a = b.column_by_name("annual_budget_yuan").unwrap().as_any().downcast_ref::<Decimal128Array>().unwrap();
            (0..a.len()).filter(|&i| a.is_valid(i)).map(|i| a.value(i)).sum::<i128>()
        })
        .sum()
}

/// The Delta tables equal a fresh unsharded Parquet run over the same input, row for row.
fn assert_equals_unsharded(root: &str, input: &Path, step: &str) {
    let full = tempfile::tempdir().unwrap();
    let o = jixiao(&["ingest", input.to_str().unwrap(), "--out", full.path().to_str().unwrap(), "--full"]);
    assert!(ok(&o), "{}", text(&o));
    for d in Dataset::ALL {
        let (a, b) = (delta_rows(root, d), snapshot_rows(full.path(), d));
        assert!(!b.is_empty(), "{step}: {} is empty", d.name());
        assert_eq!(a.len(), b.len(), "{step}: {} row count", d.name());
        assert_eq!(a, b, "{step}: {} rows differ", d.name());
    }
}

fn file_url(p: &Path) -> String {
    format!("file://{}", p.display())
}

fn edit_corpus(input: &Path) {
    let csv = input.join("惠州市/2020/惠州市农业农村局/disclosure_00005.csv");
    let t = fs::read_to_string(&csv).unwrap();
    fs::write(&csv, t.replacen('\n', "\n\n", 1)).unwrap();
    fs::remove_file(input.join("东莞市/2020/中共东莞市直属机关工作委员会/disclosure_00002.txt")).unwrap();
    fs::copy(repo().join("sample_data/dongguan_2020_seed.txt"), input.join("another_seed.txt")).unwrap();
}

#[test]
fn four_shards_committed_once_equal_one_unsharded_run_and_follow_edits() {
    let input = corpus();
    let (lake_dir, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let root = file_url(lake_dir.path());

    run_shards(input.path(), &root, work.path(), 4, "r1");
    // Staged, not committed: readers see no table yet.
    assert_eq!(versions(&root), vec![None, None, None]);
    let o = commit(&root, "r1", 4);
    assert!(o.status.success(), "{}", text(&o));
    assert_equals_unsharded(&root, input.path(), "first run");
    let unsharded = tempfile::tempdir().unwrap();
    let o = jixiao(&["ingest", input.path().to_str().unwrap(), "--delta", unsharded.path().to_str().unwrap()]);
    assert!(ok(&o), "{}", text(&o));
    assert_eq!(budget_fen(&root), budget_fen(unsharded.path().to_str().unwrap()), "budgets to the fen");
    assert!(budget_fen(&root) > 0);

    // A repeated commit, and a restarted shard of the committed run, add no version.
    let before = versions(&root);
    let o = commit(&root, "r1", 4);
    assert!(o.status.success() && text(&o).contains("already committed"), "{}", text(&o));
    let again = shard_args(input.path().to_str().unwrap(), &root, work.path().to_str().unwrap(), "2/4", "r1");
    let o = jixiao(&again);
    assert!(o.status.success() && text(&o).contains("already staged"), "{}", text(&o));
    commit(&root, "r1", 4);
    assert_eq!(versions(&root), before, "nothing committed twice");

    // An incremental sharded run: the edited and deleted inputs' rows leave the tables.
    edit_corpus(input.path());
    run_shards(input.path(), &root, work.path(), 4, "r2");
    let o = commit(&root, "r2", 4);
    assert!(o.status.success(), "{}", text(&o));
    assert_equals_unsharded(&root, input.path(), "after edits");
    // Nothing changed: the shards stage no files and the commit adds no version.
    let before = versions(&root);
    run_shards(input.path(), &root, work.path(), 4, "r3");
    let o = commit(&root, "r3", 4);
    assert!(o.status.success() && text(&o).contains("nothing to commit"), "{}", text(&o));
    assert_eq!(versions(&root), before);
}

#[test]
fn two_processes_on_one_shard_one_stages_the_other_fails_clearly() {
    let input = corpus();
    let (lake_dir, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let root = file_url(lake_dir.path());
    let args = shard_args(input.path().to_str().unwrap(), &root, work.path().to_str().unwrap(), "0/2", "r1");
    // Both pass the start check before either has written its manifest: the pause holds each
    // process after its upload, so they race on the manifest itself.
    let spawn = || {
        cmd(&args, &[("JIXIAO_PAUSE_BEFORE_MANIFEST_MS", "1500")])
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    };
    let (a, b) = (spawn(), spawn());
    let outs = [a.wait_with_output().unwrap(), b.wait_with_output().unwrap()];
    let winners = outs.iter().filter(|o| ok(o)).count();
    assert_eq!(winners, 1, "{}\n---\n{}", text(&outs[0]), text(&outs[1]));
    let loser = outs.iter().find(|o| !ok(o)).unwrap();
    assert_eq!(loser.status.code(), Some(2));
    assert!(text(loser).contains("already staged by another process"), "{}", text(loser));

    let o = commit(&root, "r1", 2);
    assert!(!o.status.success() && text(&o).contains("no manifest from shard(s) 1 of 2"), "{}", text(&o));
    run_shards_one(input.path(), &root, work.path(), "1/2", "r1");
    let o = commit(&root, "r1", 2);
    assert!(o.status.success(), "{}", text(&o));
    assert_equals_unsharded(&root, input.path(), "one of two");

    // The loser's uploads are in no version: vacuum deletes them and the rows stay.
    let o = jixiao(&["vacuum", "--delta", &root, "--retention-hours", "0"]);
    assert!(o.status.success(), "{}", text(&o));
    assert!(!text(&o).contains("deleted 0 files"), "{}", text(&o));
    assert_equals_unsharded(&root, input.path(), "after vacuum");
}

fn run_shards_one(input: &Path, root: &str, work: &Path, shard: &str, run: &str) {
    let o = jixiao(&shard_args(input.to_str().unwrap(), root, work.to_str().unwrap(), shard, run));
    assert!(ok(&o), "{}", text(&o));
}

#[test]
fn a_killed_shard_leaves_the_table_readable_and_its_retry_completes() {
    let input = corpus();
    let (lake_dir, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let root = file_url(lake_dir.path());
    run_shards(input.path(), &root, work.path(), 2, "r1");
    assert!(commit(&root, "r1", 2).status.success());
    let committed: Vec<Vec<String>> = Dataset::ALL.iter().map(|&d| delta_rows(&root, d)).collect();

    edit_corpus(input.path());
    for point in ["mid_write", "before_manifest"] {
        let args = shard_args(input.path().to_str().unwrap(), &root, work.path().to_str().unwrap(), "0/2", "r2");
        let o = cmd(&args, &[("JIXIAO_FAULT", point)]).output().unwrap();
        assert!(o.status.code().is_none(), "{point}: the shard should have died: {}", text(&o));
        let now: Vec<Vec<String>> = Dataset::ALL.iter().map(|&d| delta_rows(&root, d)).collect();
        assert_eq!(now, committed, "{point}: a killed shard changed what readers see");
    }
    run_shards(input.path(), &root, work.path(), 2, "r2");
    assert!(commit(&root, "r2", 2).status.success());
    assert_equals_unsharded(&root, input.path(), "after the retry");
}

#[test]
fn sharded_pipeline_runs_need_a_run_id_and_reject_bad_shards() {
    let input = corpus();
    let lake_dir = tempfile::tempdir().unwrap();
    let root = lake_dir.path().to_str().unwrap();
    let o = jixiao(&["ingest", input.path().to_str().unwrap(), "--delta", root, "--shard", "0/2"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("--run-id is required"), "{}", text(&o));
    let o = jixiao(&["ingest", input.path().to_str().unwrap(), "--delta", root, "--shard", "2/2", "--run-id", "x"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("is not a shard"), "{}", text(&o));
}

#[test]
fn a_pipeline_file_names_the_delta_root_and_its_shard() {
    let input = corpus();
    let (lake_dir, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let root = file_url(lake_dir.path());
    let pipeline = work.path().join("p.toml");
    let write = |shard: &str| {
        let text = format!(
            "name = \"scale\"\nshard = \"{shard}\"\n[[input]]\nroot = {:?}\n[output]\ndir = {:?}\ndelta = {root:?}\n",
            input.path().display().to_string(),
            work.path().join("out").display().to_string()
        );
        fs::write(&pipeline, text).unwrap();
    };
    write("5/2");
    let o = jixiao(&["validate", pipeline.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("shard: \"5/2\" is not a shard"), "{}", text(&o));
    write("1/2");
    let p = pipeline.to_str().unwrap();
    // The file's shard, then the other one from the command line.
    for extra in [&[][..], &["--shard", "0/2"][..]] {
        let mut args = vec!["run", p, "--run-id", "p1"];
        args.extend_from_slice(extra);
        let o = jixiao(&args);
        assert!(ok(&o), "{}", text(&o));
    }
    assert!(commit(&root, "p1", 2).status.success());
    assert_equals_unsharded(&root, input.path(), "pipeline shards");
}

fn parquet_rows(path: &Path) -> Vec<String> {
    let reader = ParquetRecordBatchReaderBuilder::try_new(fs::File::open(path).unwrap()).unwrap().build().unwrap();
    let batches: Vec<RecordBatch> = reader.map(|b| b.unwrap()).collect();
    formatted(&batches, &[])
}

#[test]
fn stats_and_report_of_a_delta_root_equal_those_of_a_parquet_run() {
    let input = corpus();
    let (lake_dir, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let root = file_url(lake_dir.path());
    run_shards(input.path(), &root, work.path(), 2, "s1");
    let o = commit(&root, "s1", 2);
    assert!(o.status.success() && text(&o).contains("stats/budget_by_unit: committed"), "{}", text(&o));

    // The stats tables hold what a Parquet run over the same input writes under stats/.
    let full = tempfile::tempdir().unwrap();
    let o = jixiao(&["ingest", input.path().to_str().unwrap(), "--out", full.path().to_str().unwrap()]);
    assert!(ok(&o), "{}", text(&o));
    let lake = Lake::open(&root).unwrap();
    let mut compared = Vec::new();
    for e in fs::read_dir(current(full.path()).join("stats")).unwrap().flatten() {
        let stem = e.path().file_stem().unwrap().to_str().unwrap().to_string();
        let (version, batches) = lake.read_stats(&stem).unwrap();
        assert!(version.is_some(), "stats/{stem} is not a Delta table");
        assert_eq!(formatted(&batches, &[]), parquet_rows(&e.path()), "stats/{stem}");
        compared.push(stem);
    }
    assert!(compared.iter().any(|s| s == "budget_by_unit") && compared.len() >= 5, "{compared:?}");

    // Computed once per version of the data: a repeated commit and an unchanged run add nothing.
    let o = commit(&root, "s1", 2);
    assert!(text(&o).contains("stats: already computed from files version"), "{}", text(&o));
    run_shards(input.path(), &root, work.path(), 2, "s2");
    let o = commit(&root, "s2", 2);
    assert!(o.status.success() && text(&o).contains("stats: already computed"), "{}", text(&o));
    assert_eq!(lake.read_stats("budget_by_unit").unwrap().0, Some(1), "one stats version for one data version");

    // After edits the stats follow the data.
    edit_corpus(input.path());
    run_shards(input.path(), &root, work.path(), 2, "s3");
    let o = commit(&root, "s3", 2);
    assert!(text(&o).contains("stats/budget_by_unit: committed version 2"), "{}", text(&o));
    let again = tempfile::tempdir().unwrap();
    jixiao(&["ingest", input.path().to_str().unwrap(), "--out", again.path().to_str().unwrap()]);
    let expected = parquet_rows(&current(again.path()).join("stats/budget_by_unit.parquet"));
    assert_eq!(formatted(&lake.read_stats("budget_by_unit").unwrap().1, &[]), expected, "after edits");
    // The replaced stats files are vacuumed like the tables' own.
    let parquet_files = |dir: &Path| {
        fs::read_dir(dir).unwrap().flatten().filter(|e| e.path().extension().is_some_and(|x| x == "parquet")).count()
    };
    let stats_dir = lake_dir.path().join("stats/budget_by_unit");
    assert_eq!(parquet_files(&stats_dir), 2);
    let o = jixiao(&["vacuum", "--delta", &root, "--retention-hours", "0"]);
    assert!(o.status.success(), "{}", text(&o));
    assert_eq!(parquet_files(&stats_dir), 1, "{}", text(&o));
    assert_eq!(formatted(&lake.read_stats("budget_by_unit").unwrap().1, &[]), expected, "after vacuum");

    // The report of the Delta root is the report of the same data as a Parquet snapshot.
    let (from_delta, from_parquet) = (work.path().join("r-delta"), work.path().join("r-parquet"));
    let o = jixiao(&["report", "--delta", &root, "--year", "2020", "--out", from_delta.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let data = again.path().to_str().unwrap();
    let o = jixiao(&["report", "--data", data, "--year", "2020", "--out", from_parquet.to_str().unwrap()]);
    assert!(o.status.success(), "{}", text(&o));
    let md = |d: &Path| fs::read_to_string(d.join("report.md")).unwrap();
    assert_eq!(md(&from_delta), md(&from_parquet));
    assert!(md(&from_delta).contains("1,727,800.00"), "{}", md(&from_delta));
}

#[test]
fn an_unsharded_delta_pipeline_writes_its_report_from_the_tables() {
    let input = corpus();
    let (lake_dir, work) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    let report = work.path().join("report");
    let text_of = format!(
        "name = \"one\"\n[[input]]\nroot = {:?}\n[output]\ndir = {:?}\ndelta = {:?}\n[report]\nenabled = true\nyear = 2020\ndir = {:?}\n",
        input.path().display().to_string(),
        work.path().join("out").display().to_string(),
        file_url(lake_dir.path()),
        report.display().to_string(),
    );
    let pipeline = work.path().join("p.toml");
    fs::write(&pipeline, text_of).unwrap();
    let o = jixiao(&["run", pipeline.to_str().unwrap()]);
    assert!(ok(&o), "{}", text(&o));
    let md = fs::read_to_string(report.join("report.md")).unwrap();
    assert!(md.contains("# 2020 年度") && md.contains("1,727,800.00"), "{md}");
}
