//! The hostile suite: a tree of files a crawler, a careless colleague or an attacker could
//! leave in the input, run through the real `jixiao` binary. Every file must get its status
//! and reason, the good files' budgets must be exact next to them, and nothing may be written
//! outside `--out`.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::str::FromStr;
use std::time::{Duration, Instant};

use rust_decimal::Decimal;

mod common;
use common::{frame, strings};

const BIN: &str = env!("CARGO_BIN_EXE_jixiao");

/// One approval table as the seed prints it; `{unit}`, `{project}`, `{year}` and `{annual}`
/// are filled per case, `{rows}` takes extra indicator rows.
const FORM: &str = "# 东莞市财政项目支出绩效目标批复表\n\n（ {year} 年度）\n\n预算单位：{unit}\n\n\
项目名称\t{project}\t中期市财政预算（万元）\t12.00\t本年度申请市财政预算资金（万元）\t{annual}\t\t\n\
总体目标\t中期滚动目标（2020年--2022年）\t\t\t年度目标\t\t\t\n\
\t按照党内统计工作要求，每半年开展党内统计，数据逐级汇总上报。\t\t\t按照党内统计工作要求，每半年开展党内统计，数据逐级汇总上报。\t\t\t\n\
绩效指标\t一级指标\t二级指标\t三级指标\t指标值（或计划水平）\t二级指标\t三级指标\t计划指标值（或计划水平）\n\
\t预期产出指标\t数量指标（或建筑规模指标）\t数量\t237个直管党组织\t数量指标（或建筑规模指标）\t数量\t79个党组织\n\
{rows}\
\t\t质量指标\t质量\t统计数据逐级上报\t质量指标\t质量\t统计数据逐级上报\n\
\t\t时效指标（工期指标）\t时效\t全年\t时效指标（工期指标）\t时效\t全年\n\
\t效果指标\t社会、经济、生态效益指标\t效益\t良好\t社会、经济、生态效益指标\t效益\t良好\n\
\t满意度指标\t服务对象满意度指标\t满意度\t满意\t服务对象满意度指标\t满意度\t满意\n\
市财政局批复意见\t请你单位将本项目的绩效目标与部门预算按有关规定一并公开，确保绩效目标的实现\n";

fn form(unit: &str, project: &str, year: &str, annual: &str) -> String {
    form_with_rows(unit, project, year, annual, "")
}

fn form_with_rows(unit: &str, project: &str, year: &str, annual: &str, rows: &str) -> String {
    FORM.replace("{unit}", unit)
        .replace("{project}", project)
        .replace("{year}", year)
        .replace("{annual}", annual)
        .replace("{rows}", rows)
}

fn good(project: &str, annual: &str) -> String {
    form("中共东莞市直属机关工作委员会", project, "2020", annual)
}

fn run(input: &Path, out: &Path) -> (Output, Duration) {
    run_with(input, out, &[])
}

fn run_with(input: &Path, out: &Path, extra: &[&str]) -> (Output, Duration) {
    let started = Instant::now();
    let o = Command::new(BIN)
        .args(["ingest", input.to_str().unwrap(), "--out", out.to_str().unwrap(), "--jobs", "2"])
        .args(extra)
        .env("JIXIAO_LOG", "error")
        .output()
        .expect("run jixiao");
    (o, started.elapsed())
}

/// One `files` row: status, error, encoding, decode_errors, tables.
#[derive(Debug, Clone, PartialEq)]
struct FileOutcome {
    status: String,
    error: String,
    encoding: Option<String>,
    decode_errors: u64,
    tables: i64,
}

fn files(out: &Path) -> (BTreeMap<String, FileOutcome>, usize) {
    let f = frame(out, "files");
    let (path, status, error, enc) =
        (strings(&f, "path"), strings(&f, "status"), strings(&f, "error"), strings(&f, "encoding"));
    let errs = strings(&f, "decode_errors");
    let tables = strings(&f, "tables");
    let map: BTreeMap<_, _> = (0..f.height())
        .map(|k| {
            (
                path[k].clone().unwrap(),
                FileOutcome {
                    status: status[k].clone().unwrap(),
                    error: error[k].clone().unwrap_or_default(),
                    encoding: enc[k].clone(),
                    decode_errors: errs[k].as_deref().unwrap().parse().unwrap(),
                    tables: tables[k].as_deref().unwrap().parse().unwrap(),
                },
            )
        })
        .collect();
    (map, f.height())
}

/// Per path: (project_name, annual_budget_yuan as text) of each table.
type Budgets = BTreeMap<String, Vec<(Option<String>, Option<String>)>>;

/// project_name → annual_budget_yuan as text (None when null), for one file.
fn budgets(out: &Path) -> Budgets {
    let p = frame(out, "projects");
    let (path, name, annual) = (strings(&p, "path"), strings(&p, "project_name"), strings(&p, "annual_budget_yuan"));
    let mut m: BTreeMap<String, Vec<_>> = BTreeMap::new();
    for k in 0..p.height() {
        m.entry(path[k].clone().unwrap()).or_default().push((name[k].clone(), annual[k].clone()));
    }
    m
}

/// Every path under `dir` (not following links) with its size: to prove a run wrote nothing
/// outside `--out` and changed nothing in the input.
fn tree(dir: &Path, skip: &Path) -> Vec<(PathBuf, u64)> {
    let mut v: Vec<_> = walkdir::WalkDir::new(dir)
        .follow_links(false)
        .into_iter()
        .filter_entry(|e| e.path() != skip)
        .flatten()
        .map(|e| (e.path().to_path_buf(), e.path().symlink_metadata().map(|m| m.len()).unwrap_or(0)))
        .collect();
    v.sort();
    v
}

fn write(dir: &Path, rel: &str, bytes: impl AsRef<[u8]>) {
    let p = dir.join(rel);
    fs::create_dir_all(p.parent().unwrap()).unwrap();
    fs::write(p, bytes).unwrap();
}

/// The good files: their budgets (万元 in the cell) must come out exact.
fn good_files(input: &Path) -> Vec<(&'static str, &'static str)> {
    write(input, "good.txt", good("党内统计工作经费", "4.00"));
    write(input, "year=2020/region=东莞/good.txt", good("网站维护项目", "3.50"));
    let html = good("<script>alert('x')</script>=HYPERLINK(\"http://evil\")", "1.25")
        .replace("中共东莞市直属机关工作委员会", "=cmd|' /C calc'!A0<b>单位</b>")
        .replace("237个直管党组织", "@SUM(1+1)")
        .replace("按照党内统计工作要求", "+1+1<img src=x onerror=alert(1)>");
    write(input, "formula_html.txt", html);
    vec![("good.txt", "40000.00"), ("year=2020/region=东莞/good.txt", "35000.00"), ("formula_html.txt", "12500.00")]
}

/// Files whose amounts are not money: each is `partial` with the amount null.
fn amount_files(input: &Path) -> Vec<(&'static str, String)> {
    let key = "本年度申请市财政预算资金";
    let cases: Vec<(&str, &str, String)> = vec![
        ("amount_1e308.txt", "1e308", format!("{key} '1e308' is not a decimal amount")),
        ("amount_nan.txt", "NaN", format!("{key} 'NaN' is not a decimal amount")),
        ("amount_inf.txt", "-inf", format!("{key} '-inf' is not a decimal amount")),
        (
            "amount_wrap.txt",
            "９９９９９９９９９９９９９９９９",
            format!("{key} '９９９９９９９９９９９９９９９９' does not fit decimal(18,2) in yuan"),
        ),
        (
            "amount_26_digits.txt",
            "12345678901234567890123456",
            format!("{key} '12345678901234567890123456' does not fit decimal(18,2) in yuan"),
        ),
        ("amount_negative.txt", "-5.00", format!("{key} '-5.00' is negative")),
    ];
    cases
        .into_iter()
        .map(|(name, cell, reason)| {
            write(input, name, good("党内统计工作经费", cell));
            (name, format!("amount: {reason} (table 1, 项目名称 党内统计工作经费)"))
        })
        .collect()
}

fn encoding_files(input: &Path) {
    // A download cut inside its last character.
    let mut cut = good("党内统计工作经费", "4.00").into_bytes();
    cut.extend_from_slice("完".as_bytes());
    cut.truncate(cut.len() - 1);
    write(input, "truncated_utf8.txt", cut);
    // GB18030 with a broken two-byte sequence in a goal text and a lone lead byte at the end.
    let text = good("党内统计工作经费", "4.00");
    let mut gb = encoding_rs::GB18030.encode(&text).0.into_owned();
    let at = gb.windows(4).position(|w| w == b"\xb0\xb4\xd5\xd5").unwrap(); // 按照
    gb.insert(at, 0x81);
    gb.push(0x81);
    write(input, "broken_gb18030.txt", gb);
    // UTF-16LE with a BOM, a lone surrogate and an odd last byte.
    let mut le = vec![0xff, 0xfe];
    le.extend(good("党内统计工作经费", "4.00").encode_utf16().flat_map(|u| u.to_le_bytes()));
    le.extend_from_slice(&[0x00, 0xd8, 0x41]);
    write(input, "broken_utf16.txt", le);
}

fn binary_and_huge_files(input: &Path) {
    write(input, "empty.txt", b"");
    write(input, "one_byte.txt", b"x");
    write(input, "image.txt", b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR");
    write(input, "scan.txt", b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj");
    write(input, "sheet.csv", b"PK\x03\x04\x14\0\x06\0");
    write(input, "long_line.txt", "项目名称".repeat(50 * 1024 * 1024 / 12));
    let row = "1,".repeat(999) + "1\n";
    write(input, "million_cells.csv", row.repeat(1000));
}

#[cfg(unix)]
fn unix_files(input: &Path, outside: &Path) -> bool {
    use std::os::unix::ffi::OsStrExt;
    use std::os::unix::fs::{PermissionsExt, symlink};
    // Two names that decode to the same text lossily (GBK bytes of 东 / 冬 cut in half).
    for (name, annual) in [(&b"\xb6\xab.txt"[..], "1.00"), (&b"\xb6\xac.txt"[..], "2.00")] {
        fs::write(input.join(std::ffi::OsStr::from_bytes(name)), good("党内统计工作经费", annual)).unwrap();
    }
    fs::write(outside.join("secret.txt"), good("外部文件", "9.00")).unwrap();
    symlink(outside.join("secret.txt"), input.join("link_out.txt")).unwrap();
    symlink(outside, input.join("dir_out")).unwrap();
    symlink(input, input.join("loop")).unwrap();
    symlink("self_loop.txt", input.join("self_loop.txt")).unwrap();
    assert!(Command::new("mkfifo").arg(input.join("pipe.txt")).status().unwrap().success());
    let locked = input.join("locked.txt");
    fs::write(&locked, good("党内统计工作经费", "4.00")).unwrap();
    fs::set_permissions(&locked, fs::Permissions::from_mode(0o000)).unwrap();
    // As root, mode 000 is still readable: the file is then an ordinary good file.
    fs::File::open(&locked).is_err()
}

#[test]
fn a_hostile_tree_gives_every_file_its_reason_and_the_good_files_exact_sums() {
    let tmp = tempfile::tempdir().unwrap();
    let (input, out, outside) = (tmp.path().join("in"), tmp.path().join("out"), tmp.path().join("outside"));
    fs::create_dir_all(&input).unwrap();
    fs::create_dir_all(&outside).unwrap();
    let goods = good_files(&input);
    let amounts = amount_files(&input);
    encoding_files(&input);
    binary_and_huge_files(&input);
    write(&input, "year_99999.txt", form("中共东莞市直属机关工作委员会", "党内统计工作经费", "99999", "4.00"));
    #[cfg(unix)]
    let unreadable = unix_files(&input, &outside);
    let before = tree(tmp.path(), &out);

    let (o, took) = run(&input, &out);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "rejected files make exit status 1: {stderr}");
    assert!(took < Duration::from_secs(20), "the hostile tree took {took:?}");
    assert_eq!(tree(tmp.path(), &out), before, "nothing written or changed outside --out");

    let (f, rows) = files(&out);
    assert_eq!(rows, f.len(), "one files row per path");
    let b = budgets(&out);
    for (path, yuan) in &goods {
        assert_eq!(f[*path].status, "ok", "{path}: {:?}", f[*path]);
        assert_eq!(b[*path].iter().map(|r| r.1.as_deref()).collect::<Vec<_>>(), [Some(*yuan)], "{path}");
    }
    // Text from disclosures is kept as text, however it looks.
    let names: Vec<_> = b["formula_html.txt"].iter().map(|r| r.0.clone().unwrap()).collect();
    assert_eq!(names, ["alert('x')=HYPERLINK(\"http://evil\")"]);
    for (path, reason) in &amounts {
        assert_eq!((f[*path].status.as_str(), f[*path].error.as_str()), ("partial", reason.as_str()), "{path}");
        assert_eq!(b[*path], [(Some("党内统计工作经费".to_string()), None)], "{path}: amount stored as null");
    }
    assert_encodings(&f, &b);
    assert_rejections(&f);
    #[cfg(unix)]
    assert_unix(&f, &b, unreadable);
    // （99999 年度） is no year: the table's year comes from its mid-term period (with a
    // parse note), never a `year=99999` partition.
    assert_eq!(f["year_99999.txt"].status, "ok");
    let p = frame(&out, "projects");
    let years: Vec<_> = strings(&p, "year").into_iter().flatten().collect();
    assert!(years.iter().all(|y| y == "2020"), "{years:?}");
}

fn assert_encodings(f: &BTreeMap<String, FileOutcome>, b: &Budgets) {
    let four = [(Some("党内统计工作经费".to_string()), Some("40000.00".to_string()))];
    for (path, enc) in
        [("truncated_utf8.txt", "utf-8"), ("broken_gb18030.txt", "gbk"), ("broken_utf16.txt", "utf-16le")]
    {
        let o = &f[path];
        assert_eq!((o.status.as_str(), o.encoding.as_deref(), o.tables), ("partial", Some(enc), 1), "{path}: {o:?}");
        assert!(o.decode_errors >= 1 && o.decode_errors <= 2, "{path}: {o:?}");
        assert!(o.error.starts_with(&format!("decode: {} malformed", o.decode_errors)), "{path}: {o:?}");
        assert_eq!(b[path], four, "{path}");
    }
    assert_eq!(f["truncated_utf8.txt"].decode_errors, 1);
}

fn assert_rejections(f: &BTreeMap<String, FileOutcome>) {
    let rejected = |path: &str, prefix: &str| {
        let o = &f[path];
        assert_eq!(o.status, "rejected", "{path}: {o:?}");
        assert!(o.error.starts_with(prefix), "{path}: {:?} should start with {prefix:?}", o.error);
    };
    rejected("empty.txt", "empty: the file has no bytes");
    rejected("one_byte.txt", "no_table: ");
    rejected("image.txt", "binary: PNG image");
    rejected("scan.txt", "binary: PDF document");
    rejected("sheet.csv", "binary: ZIP archive");
    rejected("long_line.txt", "no_table: ");
    rejected("million_cells.csv", "no_table: ");
}

#[cfg(unix)]
fn assert_unix(f: &BTreeMap<String, FileOutcome>, b: &Budgets, unreadable: bool) {
    // Both non-UTF-8 names are there, escaped, each with its own budget.
    assert_eq!(f["\\xb6\\xab.txt"].status, "ok");
    assert_eq!(f["\\xb6\\xac.txt"].status, "ok");
    assert_eq!(b["\\xb6\\xab.txt"][0].1.as_deref(), Some("10000.00"));
    assert_eq!(b["\\xb6\\xac.txt"][0].1.as_deref(), Some("20000.00"));
    assert_eq!(jixiao::ingest::walk::path_bytes("\\xb6\\xab.txt"), b"\xb6\xab.txt");
    // Links are never followed: nothing from outside the root, no loop.
    for p in f.keys() {
        assert!(!p.starts_with("link_out") && !p.starts_with("dir_out") && !p.starts_with("loop"), "{p}");
        assert!(!p.starts_with("self_loop"), "{p}");
    }
    assert!(b.values().flatten().all(|r| r.0.as_deref() != Some("外部文件")));
    let pipe = &f["pipe.txt"];
    assert_eq!(
        (pipe.status.as_str(), pipe.error.as_str()),
        ("rejected", "not_regular: a FIFO, not a regular file; never opened")
    );
    let locked = &f["locked.txt"];
    if unreadable {
        assert_eq!(locked.status, "rejected", "{locked:?}");
        assert!(locked.error.starts_with("unreadable: "), "{locked:?}");
    } else {
        assert_eq!(locked.status, "ok", "running as root: mode 000 is readable");
    }
}

/// 100,000 nested elements: the HTML parser is quadratic in depth (tens of seconds); the
/// depth checked between the parser's input chunks stops it past `limits.max_html_depth`.
#[test]
fn a_page_of_100000_nested_elements_is_rejected_in_seconds() {
    let tmp = tempfile::tempdir().unwrap();
    let (input, out) = (tmp.path().join("in"), tmp.path().join("out"));
    write(
        &input,
        "nested.html",
        format!("<html><body>{}项目名称{}", "<div>".repeat(100_000), "</div>".repeat(100_000)),
    );
    write(&input, "good.txt", good("党内统计工作经费", "4.00"));
    let (o, took) = run_with(&input, &out, &["--max-file-seconds", "2"]);
    assert!(took < Duration::from_secs(10), "took {took:?}");
    assert_eq!(o.status.code(), Some(1), "{}", String::from_utf8_lossy(&o.stderr));
    let (f, _) = files(&out);
    assert_eq!(f["good.txt"].status, "ok");
    assert_eq!(f["nested.html"].status, "rejected");
    let reason = &f["nested.html"].error;
    assert!(reason.starts_with("too_deep: "), "{:?}", f["nested.html"]);
}

/// 200,000 indicator rows in one table: the run must finish in seconds, the table read.
#[test]
fn a_table_with_200000_rows_finishes_in_seconds() {
    let tmp = tempfile::tempdir().unwrap();
    let (input, out) = (tmp.path().join("in"), tmp.path().join("out"));
    fs::create_dir_all(&input).unwrap();
    let rows = "\t\t质量指标\t质量\t统计数据逐级上报\t质量指标\t质量\t统计数据逐级上报\n".repeat(200_000);
    write(&input, "big_table.txt", form_with_rows("单位", "大表", "2020", "4.00", &rows));
    write(&input, "good.txt", good("党内统计工作经费", "4.00"));
    let (o, took) = run(&input, &out);
    assert!(took < Duration::from_secs(30), "took {took:?}");
    assert!(o.status.code().is_some_and(|c| c <= 1), "{}", String::from_utf8_lossy(&o.stderr));
    let (f, _) = files(&out);
    assert_eq!(f["good.txt"].status, "ok");
    assert_ne!(f["big_table.txt"].status, "", "{:?}", f["big_table.txt"]);
    let p = frame(&out, "projects");
    let total: Decimal =
        strings(&p, "annual_budget_yuan").into_iter().flatten().map(|s| Decimal::from_str(&s).unwrap()).sum();
    assert_eq!(total, Decimal::from_str("80000.00").unwrap(), "both tables' budgets, exact");
}
