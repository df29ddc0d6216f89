//! Integration tests: the real `jixiao` binary on temp directories, the dataset read back with polars.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::str::FromStr;

use polars::prelude::*;
use rust_decimal::Decimal;

mod common;
use common::{copy_tree, current, frame, read_parquet, repo, strings};

const BIN: &str = env!("CARGO_BIN_EXE_jixiao");

fn jixiao(args: &[&str]) -> Output {
    Command::new(BIN).args(args).env("JIXIAO_LOG", "warn").output().expect("run jixiao")
}

fn ingest(input: &Path, out: &Path, extra: &[&str]) -> Output {
    let mut args = vec!["ingest", input.to_str().unwrap(), "--out", out.to_str().unwrap(), "--jobs", "2"];
    args.extend_from_slice(extra);
    jixiao(&args)
}

fn stats(out: &Path, name: &str) -> DataFrame {
    read_parquet(&current(out).join("stats").join(format!("{name}.parquet")))
}

fn money_sum(df: &DataFrame, col: &str) -> Decimal {
    strings(df, col).into_iter().flatten().map(|s| Decimal::from_str(&s).unwrap()).sum()
}

/// Every row of a dataset as sorted strings: for comparing two runs' rows exactly.
fn all_rows(out: &Path, dataset: &str) -> Vec<String> {
    let df = frame(out, dataset);
    let names: Vec<String> = df.get_column_names().iter().map(|s| s.to_string()).filter(|n| n != "mtime_ns").collect();
    let cols: Vec<Vec<Option<String>>> = names
        .iter()
        .map(|n| {
            let c = df.column(n).unwrap();
            match c.dtype() {
                DataType::List(_) => (0..df.height()).map(|i| Some(format!("{:?}", c.get(i).unwrap()))).collect(),
                _ => strings(&df, n),
            }
        })
        .collect();
    let mut rows: Vec<String> =
        (0..df.height()).map(|i| format!("{:?}", cols.iter().map(|c| &c[i]).collect::<Vec<_>>())).collect();
    rows.sort();
    rows
}

fn seed_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    fs::copy(repo().join("sample_data/dongguan_2020_seed.txt"), dir.path().join("seed.txt")).unwrap();
    dir
}

#[test]
fn seed_gives_eight_projects_with_exact_budgets() {
    let input = seed_dir();
    let out = tempfile::tempdir().unwrap();
    let o = ingest(input.path(), out.path(), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let stdout = String::from_utf8_lossy(&o.stdout);
    assert!(stdout.contains("tables") && stdout.contains("ok 1"), "{stdout}");

    let p = frame(out.path(), "projects");
    assert_eq!(p.height(), 8);
    assert_eq!(money_sum(&p, "annual_budget_yuan"), Decimal::from_str("1727800.00").unwrap());
    assert_eq!(money_sum(&p, "midterm_budget_yuan"), Decimal::from_str("5183400.00").unwrap());
    assert!(matches!(p.column("annual_budget_yuan").unwrap().dtype(), DataType::Decimal(18, 2)));
    assert!(strings(&p, "year").iter().all(|y| y.as_deref() == Some("2020")));
    assert!(strings(&p, "region").iter().all(|r| r.as_deref() == Some("东莞市")));
    assert!(strings(&p, "form").iter().all(|f| f.as_deref() == Some("approval")));
    let names = strings(&p, "project_name");
    assert!(names.contains(&Some("机关党建主题服务活动经费".into())), "PDF table 4 read: {names:?}");

    // The third table's annual side repeats its indicator names: kept as published.
    let i = frame(out.path(), "indicators");
    let third = strings(&p, "project_id")
        [names.iter().position(|n| n.as_deref() == Some("东莞市直工委网站2020年维护项目")).unwrap()]
    .clone();
    let ids = strings(&i, "project_id");
    let horizon = strings(&i, "horizon");
    let values = strings(&i, "value");
    let kinds = strings(&i, "value_kind");
    let annual: Vec<(String, String)> = (0..i.height())
        .filter(|&k| ids[k] == third && horizon[k].as_deref() == Some("annual"))
        .map(|k| (values[k].clone().unwrap(), kinds[k].clone().unwrap()))
        .collect();
    let got: Vec<&str> = annual.iter().map(|(v, _)| v.as_str()).collect();
    for want in ["数量", "时效", "预算执行率", "效益", "可持续性", "满意度"] {
        assert!(got.contains(&want), "annual values of table 3: {got:?}");
    }
    for (v, k) in &annual {
        if ["数量", "时效", "预算执行率", "效益", "可持续性", "满意度"].contains(&v.as_str()) {
            assert_eq!(k, "placeholder", "{v}");
        }
    }
    // No PDF wrap space survives between CJK characters.
    for col in ["level1", "level2", "level3", "value"] {
        for v in strings(&i, col).into_iter().flatten() {
            let c: Vec<char> = v.chars().collect();
            assert!(
                !c.windows(3).any(|w| jixiao::ingest::text::is_cjk(w[0])
                    && w[1].is_whitespace()
                    && jixiao::ingest::text::is_cjk(w[2])),
                "{col}: {v}"
            );
        }
    }
    // 14 indicators per table (7 rows × 2 sides), satisfaction rows with a missing leading cell included.
    assert_eq!(i.height(), 8 * 14);
}

#[test]
fn every_sample_file_is_accounted_for_with_a_reason() {
    let out = tempfile::tempdir().unwrap();
    let o = ingest(&repo().join("sample_data"), out.path(), &[]);
    assert_eq!(
        o.status.code(),
        Some(1),
        "partial and rejected samples make exit 1: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let f = frame(out.path(), "files");
    let n_inputs = walkdir::WalkDir::new(repo().join("sample_data"))
        .into_iter()
        .flatten()
        .filter(|e| e.file_type().is_file())
        .count();
    assert_eq!(f.height(), n_inputs);
    let paths = strings(&f, "path");
    let status = strings(&f, "status");
    let error = strings(&f, "error");
    let encoding = strings(&f, "encoding");
    let by: BTreeMap<String, (String, Option<String>, Option<String>)> = (0..f.height())
        .map(|k| (paths[k].clone().unwrap(), (status[k].clone().unwrap(), error[k].clone(), encoding[k].clone())))
        .collect();
    let st = |p: &str| by.get(p).unwrap_or_else(|| panic!("{p} missing"));
    assert_eq!(st("corpus/misc/empty.txt").0, "rejected");
    assert!(st("corpus/misc/image_as_text.txt").1.as_deref().unwrap().starts_with("binary: PNG"));
    assert!(st("corpus/misc/scan_page_001.txt").1.as_deref().unwrap().starts_with("binary"));
    assert!(st("corpus/misc/notice.txt").1.as_deref().unwrap().starts_with("no_table"));
    let trunc = st("corpus/misc/truncated.txt");
    assert!(trunc.0 != "ok" && trunc.1.as_deref().unwrap().contains("cut off"), "{trunc:?}");
    assert_ne!(st("corpus/misc/bad_bytes_gbk.txt").0, "ok");
    for (path, (s, e, enc)) in &by {
        if path.starts_with("corpus/") && !path.starts_with("corpus/misc/") {
            assert_eq!(s, "ok", "{path}: {e:?}");
            assert!(enc.is_some());
        }
        if s != "ok" {
            assert!(e.as_deref().is_some_and(|e| e.contains(": ")), "{path} has a coded reason: {e:?}");
        }
    }
    assert_eq!(
        st("corpus/东莞市/2020/中共东莞市直属机关工作委员会/disclosure_00000.MD").2.as_deref(),
        Some("utf-16le")
    );
    assert_eq!(st("corpus/汕头市/2020/汕头市水务局/disclosure_00019.csv").2.as_deref(), Some("utf-16be"));
    assert!(matches!(st("corpus/中山市/2020/中山市民政局/disclosure_00024.txt").2.as_deref(), Some("gbk" | "gb18030")));
    // Real files: the Putuo 拆违经费 table in every encoding, exact amounts, 8 indicators.
    let p = frame(out.path(), "projects");
    let ppaths = strings(&p, "path");
    let annual = strings(&p, "annual_budget_yuan");
    let mid = strings(&p, "midterm_budget_yuan");
    let counts = strings(&p, "indicators");
    for path in by.keys().filter(|p| p.starts_with("realworld/putuo_2026_chaiwei_cells")) {
        let k = ppaths
            .iter()
            .position(|x| x.as_deref() == Some(path.as_str()))
            .unwrap_or_else(|| panic!("{path}: no table"));
        assert_eq!(annual[k].as_deref(), Some("3498000.00"), "{path}");
        assert_eq!(mid[k].as_deref(), Some("10308000.00"), "{path}");
        assert_eq!(counts[k].as_deref(), Some("8"), "{path}");
    }
}

#[test]
fn stats_sums_equal_the_distinct_project_rows() {
    let out = tempfile::tempdir().unwrap();
    ingest(&repo().join("sample_data"), out.path(), &[]);
    let p = frame(out.path(), "projects");
    let root = current(out.path());
    // sample_data holds several copies of the seed tables; the stats count each table once.
    let copies = stats(out.path(), "table_copies");
    assert_eq!(copies.height(), p.height(), "one copy relation per project row");
    let counted: std::collections::HashSet<String> = strings(&copies, "project_id")
        .into_iter()
        .zip(strings(&copies, "copy_of"))
        .filter(|(_, c)| c.is_none())
        .map(|(id, _)| id.unwrap())
        .collect();
    assert!(counted.len() < p.height(), "sample_data has copies");
    let ids = strings(&p, "project_id");
    let keep: Vec<bool> = ids.iter().map(|id| counted.contains(id.as_deref().unwrap())).collect();
    let distinct = p.filter(&BooleanChunked::from_slice("keep".into(), &keep)).unwrap();
    let s = stats(out.path(), "budget_by_unit");
    assert_eq!(money_sum(&s, "annual_budget_yuan"), money_sum(&distinct, "annual_budget_yuan"));
    assert_eq!(money_sum(&s, "midterm_budget_yuan"), money_sum(&distinct, "midterm_budget_yuan"));
    let n: i64 = s.column("projects").unwrap().i64().unwrap().sum().unwrap();
    assert_eq!(n as usize, distinct.height());
    let c: i64 = s.column("copies_collapsed").unwrap().i64().unwrap().sum().unwrap();
    assert_eq!(n + c, p.height() as i64, "every row is counted or collapsed");
    for f in ["quality_by_unit", "quality_by_category", "flags", "duplicate_projects", "table_copies"] {
        assert!(root.join("stats").join(format!("{f}.parquet")).is_file(), "{f}");
    }
    // Byte counts are Int64: Spark reads UInt64 as decimal(20,0).
    let f = frame(out.path(), "files");
    for col in ["size_bytes", "decode_errors"] {
        assert_eq!(f.column(col).unwrap().dtype(), &DataType::Int64, "{col}");
    }
}

#[test]
fn report_numbers_match_the_dataset() {
    let input = seed_dir();
    let out = tempfile::tempdir().unwrap();
    ingest(input.path(), out.path(), &[]);
    let rep = out.path().join("report");
    let o =
        jixiao(&["report", "--data", out.path().to_str().unwrap(), "--year", "2020", "--out", rep.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let html = fs::read_to_string(rep.join("report.html")).unwrap();
    let md = fs::read_to_string(rep.join("report.md")).unwrap();
    for doc in [&html, &md] {
        assert!(doc.contains("1,727,800.00"), "annual total in the report");
        assert!(doc.contains("中共东莞市直属机关工作委员会"));
    }
    assert!(html.contains("<svg"));
    let none =
        jixiao(&["report", "--data", out.path().to_str().unwrap(), "--year", "1999", "--out", rep.to_str().unwrap()]);
    assert_eq!(none.status.code(), Some(1), "a year without data exits 1");
}

#[test]
fn incremental_runs_equal_a_full_rebuild_on_a_changing_corpus() {
    let input = tempfile::tempdir().unwrap();
    copy_tree(&repo().join("sample_data/corpus"), input.path());
    let inc = tempfile::tempdir().unwrap();
    let check = |step: &str| {
        let full = tempfile::tempdir().unwrap();
        ingest(input.path(), full.path(), &["--full"]);
        for d in ["files", "projects", "indicators"] {
            let (a, b) = (all_rows(inc.path(), d), all_rows(full.path(), d));
            assert_eq!(a.len(), b.len(), "{step}: {d} row count");
            assert_eq!(a, b, "{step}: {d} rows differ");
            let mut dedup = a.clone();
            dedup.dedup();
            assert_eq!(dedup.len(), a.len(), "{step}: duplicates in {d}");
        }
    };
    ingest(input.path(), inc.path(), &[]);
    check("first run");
    let before = fs::read_to_string(current(inc.path()).join("manifest.json")).unwrap();
    let o = ingest(input.path(), inc.path(), &[]);
    let s = String::from_utf8_lossy(&o.stdout);
    assert!(s.contains("new 0  changed 0"), "{s}\n{before}");
    check("unchanged rerun");

    // Edit one file, re-encode another, delete a third, add a fourth.
    let csv = input.path().join("惠州市/2020/惠州市农业农村局/disclosure_00005.csv");
    let text = fs::read_to_string(&csv).unwrap();
    fs::write(&csv, text.replacen('\n', "\n\n", 1)).unwrap();
    let tsv = input.path().join("省直/2022/肇庆市交通运输局/disclosure_00047.txt");
    let t = fs::read_to_string(&tsv).unwrap();
    let (gbk, _, _) = encoding_rs::GB18030.encode(&t);
    fs::write(&tsv, gbk).unwrap();
    fs::remove_file(input.path().join("东莞市/2020/中共东莞市直属机关工作委员会/disclosure_00002.txt")).unwrap();
    fs::copy(repo().join("sample_data/dongguan_2020_seed.txt"), input.path().join("new_seed.txt")).unwrap();
    let o = ingest(input.path(), inc.path(), &[]);
    let s = String::from_utf8_lossy(&o.stdout);
    assert!(s.contains("new 1") && s.contains("deleted 1"), "{s}");
    check("after edits");

    // Touch without change: a new mtime with the same content is not a change.
    let f = input.path().join("new_seed.txt");
    let bytes = fs::read(&f).unwrap();
    std::thread::sleep(std::time::Duration::from_millis(20));
    fs::write(&f, bytes).unwrap();
    let o = ingest(input.path(), inc.path(), &[]);
    let s = String::from_utf8_lossy(&o.stdout);
    assert!(s.contains("changed 0"), "{s}");
    check("after touch");
}

#[test]
fn a_second_run_on_a_locked_output_exits_2_naming_the_holder() {
    let input = seed_dir();
    let out = tempfile::tempdir().unwrap();
    let held = jixiao::store::snapshot::Output::open(out.path()).unwrap();
    let o = ingest(input.path(), out.path(), &[]);
    assert_eq!(o.status.code(), Some(2));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains(&format!("pid {}", std::process::id())), "{err}");
    drop(held);
    assert_eq!(ingest(input.path(), out.path(), &[]).status.code(), Some(0));
}

#[test]
fn killed_runs_leave_the_last_snapshot_intact() {
    let input = tempfile::tempdir().unwrap();
    copy_tree(&repo().join("sample_data/corpus"), input.path());
    let out = tempfile::tempdir().unwrap();
    ingest(input.path(), out.path(), &[]);
    let good = all_rows(out.path(), "projects");
    fs::copy(repo().join("sample_data/dongguan_2020_seed.txt"), input.path().join("added.txt")).unwrap();
    for point in ["after_walk", "mid_write", "before_switch", "after_switch"] {
        let o = Command::new(BIN)
            .args(["ingest", input.path().to_str().unwrap(), "--out", out.path().to_str().unwrap()])
            .env("JIXIAO_FAULT", point)
            .output()
            .unwrap();
        assert!(!o.status.success(), "{point}: the run was killed");
        let rows = all_rows(out.path(), "projects");
        if point == "after_switch" {
            assert_eq!(rows.len(), good.len() + 8, "{point}: the new snapshot was complete when switched");
        } else {
            assert_eq!(rows, good, "{point}: the last published snapshot is intact");
        }
    }
    // The next run takes over the dead run's lock, cleans up and completes.
    let o = Command::new(BIN)
        .args(["ingest", input.path().to_str().unwrap(), "--out", out.path().to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("did not finish"), "the takeover is reported: {err}");
    assert!(
        !out.path().join(".staging").exists() || fs::read_dir(out.path().join(".staging")).unwrap().next().is_none()
    );
    assert_eq!(all_rows(out.path(), "projects").len(), good.len() + 8);

    // A real SIGKILL at a random moment of a run, several times.
    for delay_ms in [5u64, 30, 80] {
        fs::write(
            input.path().join(format!("extra_{delay_ms}.txt")),
            fs::read(repo().join("sample_data/dongguan_2020_seed.txt")).unwrap(),
        )
        .unwrap();
        let mut child = Command::new(BIN)
            .args(["ingest", input.path().to_str().unwrap(), "--out", out.path().to_str().unwrap(), "--full"])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(std::time::Duration::from_millis(delay_ms));
        let _ = child.kill();
        let _ = child.wait();
        let rows = all_rows(out.path(), "projects");
        let mut dedup = rows.clone();
        dedup.dedup();
        assert_eq!(dedup.len(), rows.len(), "no duplicates after a kill at {delay_ms} ms");
    }
}

#[test]
fn validate_reports_every_problem_of_a_bad_pipeline() {
    let dir = tempfile::tempdir().unwrap();
    let bad = dir.path().join("bad.toml");
    fs::write(
        &bad,
        "name = \"Bad Name\"\nthreds = 2\n[[input]]\nroot = \"x\"\ninclude = [\"[\"]\n[output]\ndir = \"o\"\nkeep_snapshots = 0\n[log]\nformat = \"xml\"\n",
    )
    .unwrap();
    let o = jixiao(&["validate", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let s = String::from_utf8_lossy(&o.stdout);
    for key in ["name", "threds", "input[0].include[0]", "output.keep_snapshots", "log.format"] {
        assert!(s.lines().any(|l| l.starts_with(key)), "{key} in:\n{s}");
    }
    for shipped in ["pipelines/sample.toml", "pipelines/nightly.toml"] {
        let o = jixiao(&["validate", repo().join(shipped).to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0), "{shipped}: {}", String::from_utf8_lossy(&o.stdout));
    }
}

#[test]
fn status_and_snapshots_show_the_runs() {
    let input = seed_dir();
    let out = tempfile::tempdir().unwrap();
    ingest(input.path(), out.path(), &[]);
    ingest(input.path(), out.path(), &[]);
    let s = jixiao(&["status", out.path().to_str().unwrap()]);
    assert_eq!(s.status.code(), Some(0));
    let text = String::from_utf8_lossy(&s.stdout);
    assert!(text.contains("current snapshot"), "{text}");
    assert!(text.lines().any(|l| l.contains("2020") && l.contains("1,727,800.00")), "per-year overview: {text}");
    let snaps = jixiao(&["snapshots", out.path().to_str().unwrap()]);
    let text = String::from_utf8_lossy(&snaps.stdout);
    assert_eq!(text.lines().filter(|l| l.contains("files ")).count(), 2, "{text}");
    let runs = fs::read_dir(out.path().join("runs")).unwrap().count();
    assert_eq!(runs, 2);
}
/// Every distinct (三级指标, value) of the seed, with the reading and flags it must get.
/// Long values are matched by their first 12 characters.
/// (三级指标, value or its first 12 characters, value_kind, value_number, value_unit, quality_flags)
type Reading = (&'static str, &'static str, &'static str, Option<f64>, Option<&'static str>, &'static [&'static str]);

const SEED_READINGS: &[Reading] = &[
    (
        "作用",
        "以党建带群团建设，有效发",
        "qualitative",
        None,
        None,
        &["NOT_QUANTIFIED", "CATEGORY_MISMATCH", "GENERIC_NAME"],
    ),
    ("可持续性", "可持续", "qualitative", None, None, &["NOT_QUANTIFIED", "VAGUE", "GENERIC_NAME"]),
    ("可持续性", "可持续性", "placeholder", None, None, &["PLACEHOLDER", "GENERIC_NAME"]),
    ("效果", "良好", "qualitative", None, None, &["NOT_QUANTIFIED", "VAGUE", "GENERIC_NAME"]),
    ("效益", "效益", "placeholder", None, None, &["PLACEHOLDER", "GENERIC_NAME"]),
    ("效益", "良好", "qualitative", None, None, &["NOT_QUANTIFIED", "VAGUE", "GENERIC_NAME"]),
    ("数量", "1个系统", "quantitative", Some(1.0), Some("个"), &["GENERIC_NAME"]),
    ("数量", "1个网站", "quantitative", Some(1.0), Some("个"), &["GENERIC_NAME"]),
    ("数量", "237个直管党组织", "quantitative", Some(237.0), Some("个"), &["GENERIC_NAME"]),
    ("数量", "3人", "quantitative", Some(3.0), Some("人"), &["GENERIC_NAME"]),
    ("数量", "50期上线节目，1次户外", "quantitative", Some(50.0), Some("期"), &["GENERIC_NAME"]),
    ("数量", "50期电台节目，1场户外", "quantitative", Some(50.0), Some("期"), &["GENERIC_NAME"]),
    ("数量", "79个党组织", "quantitative", Some(79.0), Some("个"), &["GENERIC_NAME"]),
    ("数量", "80人", "quantitative", Some(80.0), Some("人"), &["GENERIC_NAME"]),
    ("数量", "召开交流会，开展主题服务", "qualitative", None, None, &["NOT_QUANTIFIED", "GENERIC_NAME"]),
    ("数量", "数量", "placeholder", None, None, &["PLACEHOLDER", "GENERIC_NAME"]),
    ("数量", "无", "empty", None, None, &["EMPTY", "GENERIC_NAME"]),
    ("时效", "2天", "quantitative", Some(2.0), Some("天"), &["GENERIC_NAME"]),
    ("时效", "全年", "qualitative", None, None, &["NOT_QUANTIFIED", "CATEGORY_MISMATCH", "GENERIC_NAME"]),
    ("时效", "时效", "placeholder", None, None, &["PLACEHOLDER", "GENERIC_NAME"]),
    ("满意度", "满意", "qualitative", None, None, &["NOT_QUANTIFIED", "CATEGORY_MISMATCH", "GENERIC_NAME"]),
    ("满意度", "满意度", "placeholder", None, None, &["PLACEHOLDER", "GENERIC_NAME"]),
    (
        "目的",
        "开展阳光热线单位直播节目",
        "qualitative",
        None,
        None,
        &["NOT_QUANTIFIED", "CATEGORY_MISMATCH", "GENERIC_NAME"],
    ),
    (
        "质量",
        "1、建立完善的日常维护体",
        "qualitative",
        None,
        None,
        &["NOT_QUANTIFIED", "CATEGORY_MISMATCH", "COPIES_GOAL", "GENERIC_NAME"],
    ),
    (
        "质量",
        "“1、建立完善的日常维护",
        "qualitative",
        None,
        None,
        &["NOT_QUANTIFIED", "CATEGORY_MISMATCH", "COPIES_GOAL", "GENERIC_NAME"],
    ),
    (
        "质量",
        "保证东莞市直工委网站正常",
        "qualitative",
        None,
        None,
        &["NOT_QUANTIFIED", "CATEGORY_MISMATCH", "COPIES_GOAL", "GENERIC_NAME"],
    ),
    ("质量", "军事技能训练", "qualitative", None, None, &["NOT_QUANTIFIED", "CATEGORY_MISMATCH", "GENERIC_NAME"]),
    (
        "质量",
        "大学本科、硕士研究生",
        "qualitative",
        None,
        None,
        &["NOT_QUANTIFIED", "CATEGORY_MISMATCH", "GENERIC_NAME"],
    ),
    (
        "质量",
        "开展阳光热线单位直播节目",
        "qualitative",
        None,
        None,
        &["NOT_QUANTIFIED", "CATEGORY_MISMATCH", "GENERIC_NAME"],
    ),
    (
        "质量",
        "推广机关干部下基层、结对",
        "qualitative",
        None,
        None,
        &["NOT_QUANTIFIED", "CATEGORY_MISMATCH", "GENERIC_NAME"],
    ),
    (
        "质量",
        "有效发挥共产党员在志愿服",
        "qualitative",
        None,
        None,
        &["NOT_QUANTIFIED", "CATEGORY_MISMATCH", "GENERIC_NAME"],
    ),
    ("质量", "统计数据逐级上报", "qualitative", None, None, &["NOT_QUANTIFIED", "CATEGORY_MISMATCH", "GENERIC_NAME"]),
    ("预算执行率", "100%", "quantitative", Some(100.0), Some("%"), &[]),
    ("预算执行率", "预算执行率", "placeholder", None, None, &["PLACEHOLDER"]),
];

#[test]
fn every_seed_indicator_gets_its_kind_number_unit_and_flags() {
    let input = seed_dir();
    let out = tempfile::tempdir().unwrap();
    ingest(input.path(), out.path(), &[]);
    let i = frame(out.path(), "indicators");
    assert_eq!(i.height(), 112);
    let (l3, value, kind, unit) =
        (strings(&i, "level3"), strings(&i, "value"), strings(&i, "value_kind"), strings(&i, "value_unit"));
    let number = i.column("value_number").unwrap().f64().unwrap().clone();
    let flags = i.column("quality_flags").unwrap().clone();
    let mut used = std::collections::HashSet::new();
    for k in 0..i.height() {
        let (name, v) = (l3[k].as_deref().unwrap(), value[k].as_deref().unwrap());
        let prefix: String = v.chars().take(12).collect();
        let Some(want) = SEED_READINGS.iter().find(|w| w.0 == name && w.1 == prefix) else {
            panic!("no expectation for ({name}, {v})");
        };
        used.insert((want.0, want.1));
        assert_eq!(kind[k].as_deref(), Some(want.2), "kind of ({name}, {v})");
        assert_eq!(number.get(k), want.3, "number of ({name}, {v})");
        assert_eq!(unit[k].as_deref(), want.4, "unit of ({name}, {v})");
        let got: Vec<String> = match flags.get(k).unwrap() {
            AnyValue::List(s) => {
                let ca = s.str().unwrap().clone();
                (0..ca.len()).filter_map(|i| ca.get(i).map(str::to_string)).collect()
            }
            other => panic!("flags: {other:?}"),
        };
        assert_eq!(got, want.5, "flags of ({name}, {v})");
    }
    assert_eq!(used.len(), SEED_READINGS.len(), "every expectation matched a row");
}

/// One row per sample: the layout it must be read as, the tables it must give, a field to check.
const LAYOUT_SAMPLES: &[(&str, &str, usize, &str)] = &[
    ("corpus/中山市/2022/中山市教育局/disclosure_00006.html", "html", 3, "approval"),
    ("corpus/东莞市/2020/中共东莞市直属机关工作委员会/disclosure_00001.csv", "csv", 1, "approval"),
    ("corpus/省直/2022/珠海市城市管理和综合执法局/disclosure_00007.csv", "csv", 1, "target"),
    ("corpus/东莞市/2020/中共东莞市直属机关工作委员会/disclosure_00000.MD", "markdown", 8, "approval"),
    ("corpus/省直/2019/肇庆市统计局/disclosure_00029.MD", "markdown", 1, "target"),
    ("corpus/东莞市/2020/中共东莞市直属机关工作委员会/disclosure_00002.txt", "tsv", 1, "approval"),
    ("corpus/省直/2022/汕头市人力资源和社会保障局/disclosure_00003.txt", "tsv_pdf", 1, "target"),
    ("realworld/putuo_2026_chaiwei_cells.txt", "lines", 1, "target"),
    ("realworld/putuo_2026_lanxilu_cells.txt", "lines", 1, "target"),
    ("realworld/dongguan_2019_jiaotongju_pipes.txt", "markdown", 1, "approval"),
    ("layouts/foshan_2022_fixed_width.txt", "fixed_width", 1, "target"),
    ("layouts/jiangmen_2021_split_value.txt", "tsv", 1, "target"),
    ("layouts/foshan_2022_meta_charset_lies.html", "html", 1, "approval"),
];

#[test]
fn every_layout_and_form_in_sample_data_is_read() {
    let out = tempfile::tempdir().unwrap();
    ingest(&repo().join("sample_data"), out.path(), &[]);
    let f = frame(out.path(), "files");
    let p = frame(out.path(), "projects");
    let (fpath, layout, tables, enc) =
        (strings(&f, "path"), strings(&f, "layout"), strings(&f, "tables"), strings(&f, "encoding"));
    let (ppath, form) = (strings(&p, "path"), strings(&p, "form"));
    for (path, want_layout, want_tables, want_form) in LAYOUT_SAMPLES {
        let k = fpath.iter().position(|x| x.as_deref() == Some(*path)).unwrap_or_else(|| panic!("{path} missing"));
        assert_eq!(layout[k].as_deref(), Some(*want_layout), "{path}");
        assert_eq!(tables[k].as_deref(), Some(want_tables.to_string().as_str()), "{path}");
        let forms: Vec<_> =
            (0..p.height()).filter(|&j| ppath[j].as_deref() == Some(*path)).map(|j| form[j].clone().unwrap()).collect();
        assert!(forms.iter().all(|f| f == want_form), "{path}: {forms:?}");
    }
    // A page that declares UTF-8 but is GBK is decoded by its bytes.
    let k = fpath.iter().position(|x| x.as_deref() == Some("layouts/foshan_2022_meta_charset_lies.html")).unwrap();
    assert_eq!(enc[k].as_deref(), Some("gbk"));

    // Values split over 指标性质 / 指标值 / 度量单位 are joined as a reader says them.
    let i = frame(out.path(), "indicators");
    let (ipath, l3, value, l1c) =
        (strings(&i, "path"), strings(&i, "level3"), strings(&i, "value"), strings(&i, "level1_code"));
    let split: BTreeMap<String, (String, String)> = (0..i.height())
        .filter(|&k| ipath[k].as_deref() == Some("layouts/jiangmen_2021_split_value.txt"))
        .map(|k| (l3[k].clone().unwrap(), (value[k].clone().unwrap(), l1c[k].clone().unwrap())))
        .collect();
    assert_eq!(split["储备物资品种"].0, "≥30类");
    assert_eq!(split["物资验收合格率"].0, "≥98%");
    assert_eq!(split["单位储备成本"], ("≤125万元".to_string(), "cost".to_string()), "成本指标 as a first level (2021)");
    // Amounts in 元 with thousands separators are converted exactly.
    let annual = strings(&p, "annual_budget_yuan");
    let k = ppath.iter().position(|x| x.as_deref() == Some("layouts/jiangmen_2021_split_value.txt")).unwrap();
    assert_eq!(annual[k].as_deref(), Some("1250000.00"));
    // Fixed-width text: every indicator row, the wrapped 二级 label rejoined.
    let fixed: Vec<(String, String)> = (0..i.height())
        .filter(|&k| ipath[k].as_deref() == Some("layouts/foshan_2022_fixed_width.txt"))
        .map(|k| (l3[k].clone().unwrap(), value[k].clone().unwrap()))
        .collect();
    assert_eq!(fixed.len(), 7, "{fixed:?}");
    assert!(fixed.contains(&("服务机制长效运行".to_string(), "长期".to_string())), "{fixed:?}");
}

#[test]
fn a_panic_in_one_file_rejects_that_file_and_the_run_goes_on() {
    let input = seed_dir();
    fs::write(input.path().join("will_panic.txt"), "项目名称\t测试\n").unwrap();
    let out = tempfile::tempdir().unwrap();
    let o = Command::new(BIN)
        .args(["ingest", input.path().to_str().unwrap(), "--out", out.path().to_str().unwrap()])
        .env("JIXIAO_FAULT", "panic")
        .env("RUST_BACKTRACE", "0")
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    let f = frame(out.path(), "files");
    let (path, status, error) = (strings(&f, "path"), strings(&f, "status"), strings(&f, "error"));
    let k = path.iter().position(|p| p.as_deref() == Some("will_panic.txt")).unwrap();
    assert_eq!(status[k].as_deref(), Some("rejected"));
    assert!(error[k].as_deref().unwrap().starts_with("internal: "), "{:?}", error[k]);
    assert_eq!(frame(out.path(), "projects").height(), 8, "the other file's tables are all there");
}

#[test]
fn the_same_disclosure_at_two_paths_does_not_multiply_joined_rows() {
    // Regression: project_id came from the content hash alone, so two copies of one file
    // shared ids and every join on project_id (stats, report) squared their rows.
    let input = seed_dir();
    fs::copy(input.path().join("seed.txt"), input.path().join("seed_again.txt")).unwrap();
    let out = tempfile::tempdir().unwrap();
    ingest(input.path(), out.path(), &[]);
    let p = frame(out.path(), "projects");
    let mut ids = strings(&p, "project_id");
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 16, "one id per table per file");
    let q = stats(out.path(), "quality_by_unit");
    let n: i64 = q.column("indicators").unwrap().i64().unwrap().sum().unwrap();
    assert_eq!(2 * n as usize, frame(out.path(), "indicators").height(), "each table's indicators counted once");
    // Both copies stay in the dataset; stats/duplicate_projects names each table published twice.
    let d = stats(out.path(), "duplicate_projects");
    assert_eq!(d.height(), 8);
    assert!(d.column("copies").unwrap().i64().unwrap().into_no_null_iter().all(|c| c == 2));
}

/// `sample_data/variants/X.expect.txt` states what a careful reader gets from `X`: `key: value`
/// lines (form, title, year, budget_unit, department, project_name, midterm_yuan, annual_yuan,
/// period, indicators; `key~:` = contains), `ind: horizon level1_code | 一级 | 二级 | 三级 = "value"`
/// lines, `flags: 三级 = CODE,…` lines (the indicator's quality flags, exactly), and `== table N`
/// before each table of a multi-table file.
#[test]
fn form_variants_read_as_a_person_reads_them() {
    let dir = repo().join("sample_data/variants");
    let out = tempfile::tempdir().unwrap();
    ingest(&dir, out.path(), &[]);
    let p = frame(out.path(), "projects");
    let i = frame(out.path(), "indicators");
    let pcol = |c: &str| strings(&p, c);
    let (ppath, pid, tidx) = (pcol("path"), pcol("project_id"), pcol("table_index"));
    let icols: Vec<Vec<Option<String>>> =
        ["project_id", "horizon", "level1_code", "level1", "level2", "level3", "value"]
            .iter()
            .map(|c| strings(&i, c))
            .collect();
    let mut failures = Vec::new();
    let mut expects: Vec<_> = fs::read_dir(&dir)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".expect.txt"))
        .collect();
    expects.sort();
    assert!(expects.len() >= 16);
    for exp in expects {
        let name = exp.file_name().unwrap().to_string_lossy().replace(".expect.txt", "");
        let input = fs::read_dir(&dir)
            .unwrap()
            .flatten()
            .map(|e| e.file_name().to_string_lossy().into_owned())
            .find(|f| f.starts_with(&format!("{name}.")) && !f.ends_with(".expect.txt"))
            .unwrap();
        let mut rows: Vec<usize> = (0..p.height()).filter(|&k| ppath[k].as_deref() == Some(input.as_str())).collect();
        rows.sort_by_key(|&k| tidx[k].as_deref().unwrap().parse::<i32>().unwrap());
        let text = fs::read_to_string(&exp).unwrap();
        if text.lines().any(|l| l == "year: None") {
            // No budget year: nothing can be partitioned; the file must say why.
            let f = frame(out.path(), "files");
            let k = strings(&f, "path").iter().position(|x| x.as_deref() == Some(input.as_str())).unwrap();
            let err = strings(&f, "error")[k].clone().unwrap_or_default();
            if !err.contains("no budget year") {
                failures.push(format!("{input}: want a 'no budget year' reason, got {err:?}"));
            }
            continue;
        }
        let mut section = 0usize;
        let mut seen_section_content = false;
        for line in text.lines().filter(|l| !l.is_empty() && !l.starts_with('#')) {
            if line.starts_with("== table") {
                if seen_section_content {
                    section += 1;
                }
                continue;
            }
            if let Some(n) = line.strip_prefix("tables:") {
                if rows.len() != n.trim().parse::<usize>().unwrap() {
                    failures.push(format!("{input}: {} tables, want {}", rows.len(), n.trim()));
                }
                continue;
            }
            seen_section_content = true;
            let Some(&k) = rows.get(section) else {
                failures.push(format!("{input}: no table {section}"));
                break;
            };
            if let Some(spec) = line.strip_prefix("flags: ") {
                // `flags: 三级 = CODE,CODE`: the quality flags that indicator must carry, exactly.
                let (l3, codes) = spec.split_once(" =").unwrap();
                let want: Vec<&str> = codes.split(',').map(str::trim).filter(|c| !c.is_empty()).collect();
                let flags = i.column("quality_flags").unwrap();
                let row = (0..i.height()).find(|&r| icols[0][r] == pid[k] && icols[5][r].as_deref() == Some(l3.trim()));
                let got: Vec<String> = match row.map(|r| flags.get(r).unwrap()) {
                    Some(AnyValue::List(s)) => {
                        let ca = s.str().unwrap().clone();
                        (0..ca.len()).filter_map(|j| ca.get(j).map(str::to_string)).collect()
                    }
                    _ => vec!["<no such indicator>".into()],
                };
                if got != want {
                    failures.push(format!("{input}: flags of {l3}: {got:?}, want {want:?}"));
                }
                continue;
            }
            if let Some(ind) = line.strip_prefix("ind: ") {
                let (head, value) = ind.split_once(" = ").unwrap();
                let value = value.trim_matches('"');
                let (hz_code, rest) = head.split_once(" | ").unwrap();
                let (horizon, code) = hz_code.split_once(' ').unwrap();
                let levels: Vec<&str> = rest.split(" | ").map(str::trim).collect();
                let want = [pid[k].as_deref().unwrap(), horizon, code, levels[0], levels[1], levels[2], value];
                let found = (0..i.height()).any(|r| (0..7).all(|c| icols[c][r].as_deref().unwrap_or("") == want[c]));
                if !found {
                    failures.push(format!("{input}: missing indicator {ind}"));
                }
                continue;
            }
            let (key, want) = line.split_once(':').unwrap();
            let want = want.trim();
            let got = match key.trim_end_matches('~') {
                "midterm_yuan" => pcol("midterm_budget_yuan")[k].clone(),
                "annual_yuan" => pcol("annual_budget_yuan")[k].clone(),
                "period" => match (pcol("midterm_start_year")[k].clone(), pcol("midterm_end_year")[k].clone()) {
                    (Some(a), Some(b)) => Some(format!("{a}-{b}")),
                    _ => None,
                },
                "opinion" => pcol("approval_opinion")[k].clone(),
                other => pcol(other)[k].clone(),
            };
            let ok = if key.ends_with('~') {
                got.as_deref().is_some_and(|g| g.contains(want))
            } else {
                got.as_deref().unwrap_or("None") == want
            };
            if !ok {
                failures.push(format!("{input}: {key} = {got:?}, want {want:?}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn run_with_two_roots_of_the_same_folder_name_keeps_both_roots_files() {
    let tmp = tempfile::tempdir().unwrap();
    let seed = repo().join("sample_data/dongguan_2020_seed.txt");
    for side in ["a", "b"] {
        let dir = tmp.path().join(side).join("data");
        fs::create_dir_all(&dir).unwrap();
        fs::copy(&seed, dir.join("seed.txt")).unwrap();
    }
    let out = tmp.path().join("out");
    let pipeline = tmp.path().join("two.toml");
    fs::write(
        &pipeline,
        format!(
            "name = \"two\"\n[[input]]\nroot = {:?}\n[[input]]\nroot = {:?}\n[output]\ndir = {:?}\n",
            tmp.path().join("a/data"),
            tmp.path().join("b/data"),
            out
        ),
    )
    .unwrap();
    let o = jixiao(&["run", pipeline.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let mut paths: Vec<String> = strings(&frame(&out, "files"), "path").into_iter().flatten().collect();
    paths.sort();
    assert_eq!(paths, vec!["a/data/seed.txt".to_string(), "b/data/seed.txt".to_string()]);
    assert_eq!(frame(&out, "projects").height(), 16, "both roots' eight tables");
}

#[test]
fn inspect_shows_encoding_layout_tables_and_amounts() {
    let file = repo().join("sample_data/layouts/foshan_2022_fixed_width.txt");
    let o = jixiao(&["inspect", file.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    let text = String::from_utf8_lossy(&o.stdout);
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines[0], "encoding utf-8 (bom false, decode errors 0), layout fixed_width", "{text}");
    let tables: Vec<&&str> = lines.iter().filter(|l| l.starts_with("table ")).collect();
    assert_eq!(tables.len(), 1, "{text}");
    for part in [
        "table 0: target",
        "year Some(2022)",
        "unit Some(\"佛山市民政局\")",
        "project Some(\"社区养老服务补贴\")",
        "midterm None",
        // 126.50 万元 in the file, in yuan here.
        "annual Some(1265000.00)",
        "confidence 1.00",
        "problem None",
    ] {
        assert!(tables[0].contains(part), "{part:?} in {}", tables[0]);
    }
    let indicators: Vec<&&str> = lines.iter().filter(|l| l.starts_with("  [")).collect();
    assert_eq!(indicators.len(), 7, "{text}");
    assert_eq!(*indicators[0], "  [9] annual output | 产出指标 | 数量指标 | 补贴站点数量 = \"≥120个\"");
    assert!(text.contains("  annual goal: Some(\"为全市社区养老服务站点提供运营补贴"), "{text}");
    assert!(!text.contains(" | 126.50"), "the grid only with --grid: {text}");

    // --grid adds the rows the form reader saw, amounts as written.
    let o = jixiao(&["inspect", "--grid", file.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.lines().any(|l| l == "   4 | 项目资金（万元） | 年度资金总额 | 126.50"), "{text}");
    assert!(text.lines().any(|l| l == "   9 |  | 产出指标 | 数量指标 | 补贴站点数量 | ≥120个"), "{text}");

    // The declared charset lies; the bytes are GBK.
    let html = repo().join("sample_data/layouts/foshan_2022_meta_charset_lies.html");
    let o = jixiao(&["inspect", html.to_str().unwrap()]);
    let text = String::from_utf8_lossy(&o.stdout);
    assert!(text.starts_with("encoding gbk (bom false, decode errors 0), layout html\n"), "{text}");
    assert!(text.contains("midterm Some(10095900.00) annual Some(3365300.00) period Some(2022)-Some(2024)"), "{text}");

    // A file with no table exits 1.
    let o = jixiao(&["inspect", repo().join("sample_data/README.md").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(!String::from_utf8_lossy(&o.stdout).contains("table 0"));
}

/// `status` and `error` of each file of the current snapshot, by path.
fn file_outcomes(out: &Path) -> BTreeMap<String, (String, String)> {
    let f = frame(out, "files");
    let (path, status, error) = (strings(&f, "path"), strings(&f, "status"), strings(&f, "error"));
    (0..f.height())
        .map(|k| (path[k].clone().unwrap(), (status[k].clone().unwrap(), error[k].clone().unwrap_or_default())))
        .collect()
}

/// A pipeline file reading `input` into `out` with these `[limits]` lines.
fn limits_pipeline(dir: &Path, input: &Path, out: &Path, limits: &str) -> PathBuf {
    let pipeline = dir.join("limits.toml");
    fs::write(
        &pipeline,
        format!("name = \"limits\"\n[[input]]\nroot = {input:?}\n[output]\ndir = {out:?}\n[limits]\n{limits}\n"),
    )
    .unwrap();
    pipeline
}

#[test]
fn files_over_max_file_bytes_are_rejected_too_large_and_the_others_read() {
    let input = seed_dir();
    let small = repo().join("sample_data/layouts/foshan_2022_fixed_width.txt");
    fs::copy(&small, input.path().join("small.txt")).unwrap();
    let limit = fs::metadata(&small).unwrap().len();
    let seed = fs::metadata(input.path().join("seed.txt")).unwrap().len();
    let tmp = tempfile::tempdir().unwrap();
    let by_flag = tmp.path().join("by_flag");
    let by_file = tmp.path().join("by_file");
    // The same limit from the command line and from a pipeline file.
    let o = ingest(input.path(), &by_flag, &["--max-file-bytes", &limit.to_string()]);
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    let pipeline = limits_pipeline(tmp.path(), input.path(), &by_file, &format!("max_file_bytes = {limit}"));
    let o = jixiao(&["run", pipeline.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    for out in [&by_flag, &by_file] {
        let files = file_outcomes(out);
        // A file exactly at the limit is not over it.
        assert_eq!(files["small.txt"], ("ok".to_string(), String::new()));
        assert_eq!(
            files["seed.txt"],
            ("rejected".to_string(), format!("too_large: {seed} bytes, over the {limit} byte limit"))
        );
        let p = frame(out, "projects");
        assert_eq!(strings(&p, "project_name"), vec![Some("社区养老服务补贴".to_string())]);
    }
}

#[test]
fn a_file_over_max_file_seconds_is_rejected_too_slow_and_the_run_goes_on() {
    let input = seed_dir();
    fs::copy(repo().join("sample_data/layouts/foshan_2022_fixed_width.txt"), input.path().join("slow.txt")).unwrap();
    let tmp = tempfile::tempdir().unwrap();
    let run = |args: &[&str]| {
        Command::new(BIN).args(args).env("JIXIAO_LOG", "error").env("JIXIAO_FAULT", "slow").output().unwrap()
    };
    // `JIXIAO_FAULT=slow` makes slow.txt take 1.5 s: within the default 30 s budget ...
    let relaxed = tmp.path().join("relaxed");
    let o = run(&["ingest", input.path().to_str().unwrap(), "--out", relaxed.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    assert_eq!(file_outcomes(&relaxed)["slow.txt"].0, "ok");

    // ... over a 1 s one, from the command line or from a pipeline file.
    let by_flag = tmp.path().join("by_flag");
    let by_file = tmp.path().join("by_file");
    let args =
        ["ingest", input.path().to_str().unwrap(), "--out", by_flag.to_str().unwrap(), "--max-file-seconds", "1"];
    let o = run(&args);
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    let pipeline = limits_pipeline(tmp.path(), input.path(), &by_file, "max_file_seconds = 1");
    let o = run(&["run", pipeline.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    for out in [&by_flag, &by_file] {
        let files = file_outcomes(out);
        let (status, error) = &files["slow.txt"];
        assert_eq!(status, "rejected");
        assert!(error.starts_with("too_slow: parsing took 1.") && error.ends_with(" s, over the 1 s limit"), "{error}");
        assert_eq!(files["seed.txt"], ("ok".to_string(), String::new()), "the run went on");
        assert_eq!(frame(out, "projects").height(), 8, "only the seed's tables");
    }
}

/// The codec of every column chunk of every Parquet file under `dir`.
fn codecs_under(dir: &Path) -> std::collections::BTreeSet<String> {
    use parquet::file::reader::{FileReader, SerializedFileReader};
    let mut out = std::collections::BTreeSet::new();
    for e in walkdir::WalkDir::new(dir).into_iter().flatten() {
        if e.path().extension().is_some_and(|x| x == "parquet") {
            let r = SerializedFileReader::new(fs::File::open(e.path()).unwrap()).unwrap();
            for g in r.metadata().row_groups() {
                out.extend(g.columns().iter().map(|c| format!("{:?}", c.compression())));
            }
        }
    }
    out
}

#[test]
fn compression_zstd_writes_every_file_in_zstd_with_the_same_rows() {
    let input = tempfile::tempdir().unwrap();
    copy_tree(&repo().join("sample_data/corpus"), input.path());
    let (snappy, zstd) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    assert!(ingest(input.path(), snappy.path(), &[]).status.code().unwrap() <= 1);
    assert!(ingest(input.path(), zstd.path(), &["--compression", "zstd"]).status.code().unwrap() <= 1);
    assert_eq!(codecs_under(&current(snappy.path())), ["SNAPPY".to_string()].into());
    assert!(
        codecs_under(&current(zstd.path())).iter().all(|c| c.starts_with("ZSTD")),
        "{:?}",
        codecs_under(zstd.path())
    );
    for d in ["files", "projects", "indicators"] {
        assert_eq!(all_rows(snappy.path(), d), all_rows(zstd.path(), d), "{d}");
    }
    let o = jixiao(&[
        "ingest",
        input.path().to_str().unwrap(),
        "--out",
        zstd.path().to_str().unwrap(),
        "--compression",
        "lz5",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", String::from_utf8_lossy(&o.stderr));
    assert!(String::from_utf8_lossy(&o.stderr).contains("snappy"), "{}", String::from_utf8_lossy(&o.stderr));
}

#[test]
fn bench_write_encodes_every_row_of_every_part_both_ways() {
    let input = tempfile::tempdir().unwrap();
    copy_tree(&repo().join("sample_data/corpus"), input.path());
    let out = tempfile::tempdir().unwrap();
    assert!(ingest(input.path(), out.path(), &[]).status.code().unwrap() <= 1);
    let snapshot = current(out.path());
    let o = jixiao(&["bench-write", snapshot.to_str().unwrap(), "--jobs", "2"]);
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let f: serde_json::Value = serde_json::from_slice(&o.stdout).expect("one JSON line");
    let rows: usize = ["files", "projects", "indicators"].iter().map(|d| frame(out.path(), d).height()).sum();
    let parts = ["files", "projects", "indicators"]
        .iter()
        .flat_map(|d| walkdir::WalkDir::new(snapshot.join(d)))
        .filter(|e| e.as_ref().is_ok_and(|e| e.path().extension().is_some_and(|x| x == "parquet")))
        .count();
    assert_eq!(f["rows"].as_u64(), Some(rows as u64), "{f}");
    assert_eq!(f["parts"].as_u64(), Some(parts as u64), "{f}");
    for k in ["run_bytes", "lean_bytes"] {
        assert!(f[k].as_u64().is_some_and(|b| b > 0), "{k}: {f}");
    }
    for k in ["run_cpu_seconds", "lean_cpu_seconds"] {
        assert!(f[k].as_f64().is_some_and(|s| s > 0.0), "{k}: {f}");
    }
}
