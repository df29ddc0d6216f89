//! Integration tests: a table published in several files is counted once, and the report's
//! workbook keeps disclosure text as text. The real `jixiao` binary on temp directories.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::str::FromStr;

use polars::prelude::*;
use rust_decimal::Decimal;

mod common;
use common::strings;

const BIN: &str = env!("CARGO_BIN_EXE_jixiao");
const SEED: &str = "sample_data/dongguan_2020_seed.txt";

fn jixiao(args: &[&str]) -> Output {
    Command::new(BIN).args(args).env("JIXIAO_LOG", "warn").output().expect("run jixiao")
}

fn seed_text() -> String {
    fs::read_to_string(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(SEED)).unwrap()
}

fn ingest(input: &Path, out: &Path) {
    let o = jixiao(&["ingest", input.to_str().unwrap(), "--out", out.to_str().unwrap(), "--jobs", "2"]);
    assert!(o.status.code().is_some_and(|c| c <= 1), "{}", String::from_utf8_lossy(&o.stderr));
}

fn report(out: &Path) -> PathBuf {
    report_printing(out).0
}

/// Writes the 2020 report; also returns what the command printed.
fn report_printing(out: &Path) -> (PathBuf, String) {
    let rep = out.join("report");
    let o = jixiao(&["report", "--data", out.to_str().unwrap(), "--year", "2020", "--out", rep.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", String::from_utf8_lossy(&o.stderr));
    (rep, String::from_utf8_lossy(&o.stdout).into_owned())
}

fn stats(out: &Path, name: &str) -> DataFrame {
    let root = jixiao::store::snapshot::current_of(out).unwrap();
    let path = root.join("stats").join(format!("{name}.parquet"));
    LazyFrame::scan_parquet(PlRefPath::new(path.to_str().unwrap()), ScanArgsParquet::default())
        .unwrap()
        .collect()
        .unwrap()
}

fn ints(df: &DataFrame, col: &str) -> i64 {
    df.column(col).unwrap().i64().unwrap().sum().unwrap()
}

fn utf16le_with_bom(text: &str) -> Vec<u8> {
    let mut b = vec![0xFF, 0xFE];
    b.extend(text.encode_utf16().flat_map(u16::to_le_bytes));
    b
}

/// The 8 seed tables in three files: the GBK-free original, a byte copy in a subdirectory and
/// a UTF-16 copy. The unit's 2020 budget is 1,727,800.00 yuan however many copies there are.
#[test]
fn copies_of_a_disclosure_count_once_in_stats_and_report() {
    let input = tempfile::tempdir().unwrap();
    fs::create_dir(input.path().join("a_mirror")).unwrap();
    fs::write(input.path().join("a_mirror/seed.txt"), seed_text()).unwrap();
    fs::write(input.path().join("seed.txt"), seed_text()).unwrap();
    fs::write(input.path().join("seed_utf16.txt"), utf16le_with_bom(&seed_text())).unwrap();
    let out = tempfile::tempdir().unwrap();
    ingest(input.path(), out.path());

    let units = stats(out.path(), "budget_by_unit");
    assert_eq!(units.height(), 1);
    assert_eq!(strings(&units, "annual_budget_yuan")[0].as_deref(), Some("1727800.00"));
    assert_eq!(ints(&units, "projects"), 8);
    assert_eq!(ints(&units, "copies_collapsed"), 16);

    let copies = stats(out.path(), "table_copies");
    assert_eq!(copies.height(), 24, "every row stays, with its copy relation");
    let (path, copy_of) = (strings(&copies, "path"), strings(&copies, "copy_of"));
    for k in 0..copies.height() {
        // The canonical row is the first by (path, table_index): a_mirror/ sorts first.
        let canonical = path[k].as_deref() == Some("a_mirror/seed.txt");
        assert_eq!(copy_of[k].is_none(), canonical, "{:?}", path[k]);
    }
    let dups = stats(out.path(), "duplicate_projects");
    assert_eq!(dups.height(), 8);
    assert!(dups.column("copies").unwrap().i64().unwrap().into_no_null_iter().all(|c| c == 3));

    let (rep, printed) = report_printing(out.path());
    // The terminal shows the unit's budget once and says how many copies it left out.
    assert!(
        printed.contains("1,727,800.00  中共东莞市直属机关工作委员会 (8 projects, 16 copies collapsed)"),
        "{printed}"
    );
    assert!(printed.contains("(16 copies of the same tables not counted again)"), "{printed}");
    let md = fs::read_to_string(rep.join("report.md")).unwrap();
    let html = fs::read_to_string(rep.join("report.html")).unwrap();
    assert!(html.contains("1,727,800.00"), "the budget once");
    assert!(md.contains("| 年度预算（元） Annual budget (yuan) | 1,727,800.00 |"), "{md}");
    assert!(md.contains("| 合并的重复副本 Copies collapsed | 16 |"), "{md}");

    // Incremental: the canonical file goes, the next copy by path becomes the counted one.
    fs::remove_file(input.path().join("a_mirror/seed.txt")).unwrap();
    ingest(input.path(), out.path());
    let units = stats(out.path(), "budget_by_unit");
    assert_eq!(strings(&units, "annual_budget_yuan")[0].as_deref(), Some("1727800.00"));
    assert_eq!(ints(&units, "copies_collapsed"), 8);
    let copies = stats(out.path(), "table_copies");
    let (path, copy_of) = (strings(&copies, "path"), strings(&copies, "copy_of"));
    assert_eq!(copies.height(), 16);
    for k in 0..copies.height() {
        assert_eq!(copy_of[k].is_none(), path[k].as_deref() == Some("seed.txt"), "{:?}", path[k]);
    }
}

/// The stats join the indicators' flags to the distinct tables apart from their other columns
/// (a list column is not gathered by the join): three copies of the seed raise each indicator
/// flag as often as the seed alone.
#[test]
fn indicator_flags_of_copied_tables_count_once() {
    let (one, three) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    fs::write(one.path().join("seed.txt"), seed_text()).unwrap();
    fs::write(three.path().join("seed.txt"), seed_text()).unwrap();
    fs::write(three.path().join("seed_copy.txt"), seed_text()).unwrap();
    fs::write(three.path().join("seed_utf16.txt"), utf16le_with_bom(&seed_text())).unwrap();
    let (out_one, out_three) = (tempfile::tempdir().unwrap(), tempfile::tempdir().unwrap());
    ingest(one.path(), out_one.path());
    ingest(three.path(), out_three.path());

    let (flags_one, flags_three) = (stats(out_one.path(), "flags"), stats(out_three.path(), "flags"));
    let indicator_level = flags_one.column("level").unwrap().str().unwrap().equal("indicator").sum().unwrap_or(0);
    assert!(indicator_level > 0, "the seed raises no indicator flag: {flags_one}");
    assert!(flags_three.equals_missing(&flags_one), "{flags_three}\n{flags_one}");
}

fn zip_entry(xlsx: &Path, name: &str) -> String {
    let mut z = ::zip::ZipArchive::new(fs::File::open(xlsx).unwrap()).unwrap();
    let mut s = String::new();
    z.by_name(name).unwrap().read_to_string(&mut s).unwrap();
    s
}

/// Finance staff open the workbook in Excel: a project named like a formula must stay text,
/// and money must be numbers equal to the report's exact sums.
#[test]
fn the_workbook_keeps_formula_like_text_as_text() {
    let input = tempfile::tempdir().unwrap();
    let text = seed_text().replace("党内统计工作经费", "=1+2").replace("东莞市机关党务管理系统维护项目", "@SUM(A1:A9)");
    fs::write(input.path().join("seed.txt"), text).unwrap();
    let out = tempfile::tempdir().unwrap();
    ingest(input.path(), out.path());
    let xlsx = report(out.path()).join("report.xlsx");
    assert!(xlsx.is_file());
    let shared = zip_entry(&xlsx, "xl/sharedStrings.xml");
    assert!(shared.contains(">=1+2</t>"), "{shared}");
    assert!(shared.contains(">@SUM(A1:A9)</t>"), "{shared}");
    for sheet in 1..=5 {
        let xml = zip_entry(&xlsx, &format!("xl/worksheets/sheet{sheet}.xml"));
        assert!(!xml.contains("<f>") && !xml.contains("<f "), "sheet {sheet} holds a formula");
    }
    let top = zip_entry(&xlsx, "xl/worksheets/sheet5.xml");
    let styles = zip_entry(&xlsx, "xl/styles.xml");
    assert!(styles.contains("quotePrefix=\"1\""), "formula-like text is quote-prefixed: {styles}");
    assert!(top.contains("t=\"s\""), "{top}");
    // Totals: the annual budget is a number cell of the exact sum.
    let totals = zip_entry(&xlsx, "xl/worksheets/sheet1.xml");
    let annual = Decimal::from_str("1727800").unwrap();
    assert!(totals.contains(&format!("<v>{annual}</v>")), "{totals}");
}
