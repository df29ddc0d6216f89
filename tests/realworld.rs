//! Integration tests on the real disclosures of `sample_data/realworld`: each file alone through
//! the real CLI, its tables' exact amounts (元) and indicator counts as a careful reader finds them.

use std::path::{Path, PathBuf};
use std::process::Command;

use polars::prelude::*;

mod common;
use common::strings;

const BIN: &str = env!("CARGO_BIN_EXE_jixiao");

/// (project name, mid-term amount, annual amount, indicators) as a person reads the table.
type Want = (&'static str, &'static str, &'static str, usize);

const CHAIWEI: &[Want] = &[("拆违经费", "10308000.00", "3498000.00", 8)];

/// The five 2023 万里街道 填报表, whatever extractor wrote the text.
const WANLI_2023: &[Want] = &[
    ("新建万里街道社区公共服务中心", "4100000.00", "4100000.00", 5),
    ("就业援助基地补贴", "6351000.00", "6351000.00", 4),
    ("社区环境整治和建设经费", "4563800.00", "4563800.00", 4),
    ("各类工作经费", "7595500.00", "7595500.00", 43),
    ("公共服务设施运行经费", "10903043.00", "10903043.00", 9),
];

/// Ingests one file of `sample_data/realworld` alone; returns its status and its tables as
/// (project, mid-term, annual, indicators) in table order.
fn read_alone(name: &str) -> (String, Vec<(String, String, String, usize)>) {
    let src: PathBuf = [env!("CARGO_MANIFEST_DIR"), "sample_data", "realworld", name].iter().collect();
    let dir = tempfile::tempdir().unwrap();
    let input = dir.path().join("in");
    std::fs::create_dir_all(&input).unwrap();
    std::fs::copy(&src, input.join(name)).unwrap();
    let out = dir.path().join("out");
    let o = Command::new(BIN)
        .args(["ingest", input.to_str().unwrap(), "--out", out.to_str().unwrap()])
        .env("JIXIAO_LOG", "warn")
        .output()
        .unwrap();
    assert!(o.status.code().is_some_and(|c| c <= 1), "{name}: {}", String::from_utf8_lossy(&o.stderr));
    let root = jixiao::store::snapshot::current_of(&out).expect("a published snapshot");
    let files = scan(&root.join("files/*.parquet"));
    let status = strings(&files, "status")[0].clone().unwrap();
    let p = jixiao::analytics::scan(&root, "projects").unwrap().collect().unwrap();
    let cols = ["table_index", "project_name", "midterm_budget_yuan", "annual_budget_yuan", "indicators"];
    let c: Vec<Vec<Option<String>>> = cols.iter().map(|k| strings(&p, k)).collect();
    let mut tables: Vec<(usize, (String, String, String, usize))> = (0..p.height())
        .map(|k| {
            let s = |i: usize| c[i][k].clone().unwrap_or_default();
            (s(0).parse().unwrap(), (s(1), s(2), s(3), s(4).parse().unwrap()))
        })
        .collect();
    tables.sort_by_key(|t| t.0);
    (status, tables.into_iter().map(|t| t.1).collect())
}

fn scan(glob: &Path) -> DataFrame {
    LazyFrame::scan_parquet(PlRefPath::new(glob.to_str().unwrap()), ScanArgsParquet::default())
        .unwrap()
        .collect()
        .unwrap()
}

fn assert_reads(name: &str, want_status: &str, want: &[Want]) {
    let (status, got) = read_alone(name);
    let want: Vec<(String, String, String, usize)> =
        want.iter().map(|w| (w.0.to_string(), w.1.to_string(), w.2.to_string(), w.3)).collect();
    assert_eq!(got, want, "{name}");
    assert_eq!(status, want_status, "{name}");
}

#[test]
fn chaiwei_one_run_per_line() {
    assert_reads("putuo_2026_chaiwei_cells.txt", "ok", CHAIWEI);
}

#[test]
fn chaiwei_in_every_encoding() {
    for enc in ["gbk_crlf", "gb18030", "utf16le_bom", "utf16be_nobom"] {
        assert_reads(&format!("putuo_2026_chaiwei_cells.{enc}.txt"), "ok", CHAIWEI);
    }
}

#[test]
fn chaiwei_space_joined_layout() {
    assert_reads("putuo_2026_chaiwei_layout.txt", "ok", CHAIWEI);
}

#[test]
fn lanxilu_wrapped_labels() {
    assert_reads(
        "putuo_2026_lanxilu_cells.txt",
        "ok",
        &[("兰溪路-真南路下立交工程", "771325800.00", "226145100.00", 9)],
    );
}

#[test]
fn dongguan_pipes_cut_off_after_the_sustainability_row() {
    // The copy ends inside the 可持续影响指标 row: the file is partial.
    assert_reads(
        "dongguan_2019_jiaotongju_pipes.txt",
        "partial",
        &[("镇际联网路升级改造工程一期", "2845000000.00", "9190000.00", 10)],
    );
}

/// Tables, names and amounts (元, from 项目资金总额 / 年度资金申请总额 with the （元） printed
/// below them) are right already where the indicator counts are not.
#[test]
fn wanli_2023_amounts_from_pdftotext_and_pymupdf() {
    for name in ["putuo_2023_wanli_fulldoc_pdftotext_layout.txt", "putuo_2023_wanli_perfpages_pymupdf_cells.txt"] {
        let (_, got) = read_alone(name);
        let got: Vec<(&str, &str, &str)> = got.iter().map(|t| (t.0.as_str(), t.1.as_str(), t.2.as_str())).collect();
        let want: Vec<(&str, &str, &str)> = WANLI_2023.iter().map(|w| (w.0, w.1, w.2)).collect();
        assert_eq!(got, want, "{name}");
    }
}

/// The pdftotext file's centred labels are inferred: its tables say so and are listed for review.
#[test]
fn inferred_readings_lower_confidence_and_are_listed_for_review() {
    let src: PathBuf = [env!("CARGO_MANIFEST_DIR"), "sample_data", "realworld"].iter().collect();
    let dir = tempfile::tempdir().unwrap();
    let o = Command::new(BIN)
        .args(["ingest", src.to_str().unwrap(), "--out", dir.path().to_str().unwrap()])
        .env("JIXIAO_LOG", "warn")
        .output()
        .unwrap();
    assert!(o.status.code().is_some_and(|c| c <= 1));
    let root = jixiao::store::snapshot::current_of(dir.path()).unwrap();
    let review = scan(&root.join("stats/review.parquet"));
    let (paths, conf) = (strings(&review, "path"), strings(&review, "parse_confidence"));
    assert!(review.height() > 0);
    let conf: Vec<f64> = conf.iter().map(|c| c.as_deref().unwrap().parse().unwrap()).collect();
    let k = paths.iter().position(|p| p.as_deref() == Some("putuo_2023_wanli_fulldoc_pdftotext_layout.txt")).unwrap();
    assert!(conf[k] < 0.95, "{}", conf[k]);
    let status = strings(&review, "file_status");
    // Tables of files that are not ok come first.
    let first_ok = status.iter().position(|s| s.as_deref() == Some("ok")).unwrap_or(status.len());
    assert!(status[first_ok..].iter().all(|s| s.as_deref() == Some("ok")), "{status:?}");
}

#[test]
fn wanli_2023_pdftotext_layout() {
    assert_reads("putuo_2023_wanli_fulldoc_pdftotext_layout.txt", "ok", WANLI_2023);
}

#[test]
fn wanli_2023_pymupdf_runs() {
    assert_reads("putuo_2023_wanli_perfpages_pymupdf_cells.txt", "ok", WANLI_2023);
}

/// Regression: a name wrapped around its value's line (名称上半 / 值 / 名称下半) made an extra
/// indicator and shifted every row after it; labels alone on their line joined the row below.
#[test]
fn wanli_2023_pdfplumber_layout() {
    assert_reads("putuo_2023_wanli_perfpages_pdfplumber_layout.txt", "ok", WANLI_2023);
}

#[test]
fn wanli_2023_pdfplumber_layout_in_gbk_with_crlf() {
    assert_reads("putuo_2023_wanli_perfpages_pdfplumber_layout.gbk_crlf.txt", "ok", WANLI_2023);
}

#[test]
fn wanli_2023_pymupdf_runs_in_utf16le() {
    assert_reads("putuo_2023_wanli_perfpages_pymupdf_cells.utf16le_bom.txt", "ok", WANLI_2023);
}

/// Regression: pdfplumber glued the two goal columns where the left line ran up to the border
/// (no space between them), and a paragraph end inside the left column sent its next line to
/// the right one; both goals of every table read whole.
#[test]
fn wanli_2023_pdfplumber_goals_side_by_side() {
    let dir = tempfile::tempdir().unwrap();
    let name = "putuo_2023_wanli_perfpages_pdfplumber_layout.txt";
    let src: PathBuf = [env!("CARGO_MANIFEST_DIR"), "sample_data", "realworld", name].iter().collect();
    std::fs::copy(&src, dir.path().join(name)).unwrap();
    let out = dir.path().join("out");
    let o = Command::new(BIN)
        .args(["ingest", dir.path().to_str().unwrap(), "--out", out.to_str().unwrap()])
        .env("JIXIAO_LOG", "warn")
        .output()
        .unwrap();
    assert!(o.status.code().is_some_and(|c| c <= 1));
    let root = jixiao::store::snapshot::current_of(&out).unwrap();
    let p = jixiao::analytics::scan(&root, "projects").unwrap().collect().unwrap();
    let (names, mid, annual) = (strings(&p, "project_name"), strings(&p, "midterm_goal"), strings(&p, "annual_goal"));
    let goal = |project: &str| {
        let k = names.iter().position(|n| n.as_deref() == Some(project)).unwrap();
        (mid[k].clone().unwrap_or_default(), annual[k].clone().unwrap_or_default())
    };
    // Splitting glued lines by width is a guess: that table is read with less confidence.
    let conf = strings(&p, "parse_confidence");
    let k = names.iter().position(|n| n.as_deref() == Some("社区环境整治和建设经费")).unwrap();
    let k_plain = names.iter().position(|n| n.as_deref() == Some("就业援助基地补贴")).unwrap();
    let c = |k: usize| conf[k].as_deref().unwrap().parse::<f64>().unwrap();
    assert!(c(k) < c(k_plain), "{} vs {}", c(k), c(k_plain));
    let (m, a) = goal("社区环境整治和建设经费");
    let want = "整治辖区内乱设摊，整治夏秋季马路夜排档，整治交通路夜间违规活禽交易，开展防汛防台工作，\
                进行垃圾分类指导检查。为提高万里地区总体环境，开展爱国卫生运动、除四害活动，\
                对局部环境脏乱地点进行建设，整体提升万里地区市容市貌。";
    assert_eq!((m.as_str(), a.as_str()), (want, want));
    let (m, a) = goal("各类工作经费");
    assert_eq!(m, a);
    assert!(m.starts_with("提升辖区居民群众的防毒意识和能力，坚持做到严防发生吸毒人员因吸毒引发"), "{m}");
    assert!(m.ends_with("牢固树立全心全意为民服务意识。开展招聘、录用等干部人事工作，开展日常工作。"), "{m}");
}
