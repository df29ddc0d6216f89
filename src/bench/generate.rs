//! Bench tooling, corpus generator: deterministic disclosure files in every layout and
//! encoding the samples show, for the bench, fuzz seeds and tests.
//!
//! File `i` of seed `s` depends on nothing else, so a 5,000-file corpus is the prefix of the
//! 50,000-file one and any single file can be regenerated alone.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use encoding_rs::{GB18030, GBK};
use unicode_width::UnicodeWidthStr;

/// How the text of a file is laid out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Layout {
    Tab,
    Csv,
    Markdown,
    Html,
    FixedWidth,
    /// One PDF text run per line, as PyMuPDF extracts a form.
    TextRuns,
}

/// How the text is turned into bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Charset {
    Utf8,
    Gbk,
    Gb18030,
    Utf16LeBom,
    Utf16BeBom,
    Utf16LeNoBom,
}

pub const LAYOUTS: [Layout; 6] =
    [Layout::Tab, Layout::Csv, Layout::Markdown, Layout::Html, Layout::FixedWidth, Layout::TextRuns];
pub const CHARSETS: [Charset; 6] =
    [Charset::Utf8, Charset::Gbk, Charset::Gb18030, Charset::Utf16LeBom, Charset::Utf16BeBom, Charset::Utf16LeNoBom];

/// One generated input file.
#[derive(Debug, Clone)]
pub struct GenFile {
    /// Relative path: `region/year/unit/disclosure_000042.ext`.
    pub rel: String,
    pub layout: Layout,
    pub charset: Charset,
    pub tables: usize,
    pub bytes: Vec<u8>,
}

const REGIONS: [&str; 10] =
    ["东莞市", "中山市", "佛山市", "广州市", "惠州市", "汕头市", "江门市", "珠海市", "肇庆市", "省直"];
const AGENCIES: [&str; 12] = [
    "交通运输局",
    "民政局",
    "教育局",
    "农业农村局",
    "市场监督管理局",
    "人力资源和社会保障局",
    "文化广电旅游体育局",
    "统计局",
    "水务局",
    "应急管理局",
    "科学技术局",
    "城市管理和综合执法局",
];
const TOPICS: [&str; 12] = [
    "居家养老服务补贴",
    "不动产登记数据整合",
    "党内统计工作",
    "校园安全管理",
    "社区养老服务运营",
    "农村道路养护",
    "食品安全抽检",
    "就业创业培训",
    "公共文化服务",
    "统计调查",
    "防汛应急保障",
    "科技创新券",
];
const KINDS: [&str; 4] = ["经费", "专项资金", "项目", "补助资金"];
const GOALS: [&str; 3] = [
    "做好{t}相关工作，确保按时保质完成，保障各项工作顺利开展。",
    "按照有关要求推进{t}，提高资金使用效益，服务群众。",
    "完成{t}年度任务，建立长效机制，促进工作稳定、安全、高效运行。",
];
/// (一级, 二级, 三级 names, value patterns; `{n}` is a number).
const INDICATORS: [(&str, &str, &[&str], &[&str]); 7] = [
    (
        "产出指标",
        "数量指标",
        &["培训人次", "检查次数", "补贴站点数量", "采购数量"],
        &["≥{n}个", "{n}人次", "{n}次", "不少于{n}家"],
    ),
    ("产出指标", "质量指标", &["验收合格率", "服务合格率", "数据准确率"], &["≥{p}%", "100%", "统计数据逐级上报"]),
    ("产出指标", "时效指标", &["完成及时率", "补贴发放及时率"], &["{m}个月内", "100%", "全年"]),
    ("产出指标", "成本指标", &["预算执行率", "平均补贴标准"], &["100%", "≤{n}万元", "控制在预算范围内"]),
    ("效益指标", "社会效益指标", &["服务人次", "社会影响"], &["≥{n}万人次", "明显提升", "长期"]),
    ("效益指标", "可持续影响指标", &["长效机制", "可持续性"], &["长期", "可持续", "显著"]),
    ("满意度指标", "服务对象满意度指标", &["服务对象满意度", "群众满意度"], &["≥{p}%", "满意"]),
];

/// One table's content.
struct Table {
    approval: bool,
    region: &'static str,
    year: i32,
    unit: String,
    project: String,
    goal: String,
    /// Amounts in 万元, two decimals.
    midterm: u64,
    annual: u64,
    /// (一级, 二级, 三级, value annual, value mid-term).
    rows: Vec<(&'static str, &'static str, &'static str, String, String)>,
}

fn pick<T: Copy>(rng: &mut fastrand::Rng, xs: &[T]) -> T {
    xs[rng.usize(..xs.len())]
}

fn value(rng: &mut fastrand::Rng, pats: &[&str]) -> String {
    pick(rng, pats)
        .replace("{n}", &rng.u32(1..500).to_string())
        .replace("{p}", &rng.u32(80..100).to_string())
        .replace("{m}", &rng.u32(1..12).to_string())
}

fn wan(cents: u64) -> String {
    format!("{}.{:02}", cents / 100, cents % 100)
}

fn table(rng: &mut fastrand::Rng, region: &'static str, year: i32, unit: &str, approval: bool) -> Table {
    let topic = pick(rng, &TOPICS);
    let project = format!("{year}年{topic}{}{}", pick(rng, &KINDS), rng.u32(1..100));
    let annual = rng.u64(100..1_000_000);
    let mut rows = Vec::new();
    for (l1, l2, names, pats) in INDICATORS {
        // Mostly one indicator per category, sometimes two, as the samples have.
        for _ in 0..1 + usize::from(rng.u8(..3) == 0) {
            rows.push((l1, l2, pick(rng, names), value(rng, pats), value(rng, pats)));
        }
    }
    Table {
        approval,
        region,
        year,
        unit: unit.to_string(),
        project,
        goal: pick(rng, &GOALS).replace("{t}", topic),
        midterm: annual * 3,
        annual,
        rows,
    }
}

impl Table {
    /// Title lines above the grid.
    fn heading(&self) -> [String; 3] {
        if self.approval {
            [
                format!("{}财政项目支出绩效目标批复表", self.region.trim_end_matches("省直")),
                format!("（ {} 年度）", self.year),
                format!("预算单位：{}", self.unit),
            ]
        } else {
            [
                "财政项目支出绩效目标申报表".into(),
                format!("（ {} 年度）", self.year),
                format!("单位名称：{}", self.unit),
            ]
        }
    }

    /// The form as a grid of cells, as the tab-text samples lay it out.
    fn grid(&self) -> Vec<Vec<String>> {
        let s = |x: &str| x.to_string();
        let e = String::new;
        let mut g = Vec::new();
        if self.approval {
            g.push(vec![
                s("项目名称"),
                self.project.clone(),
                s("中期市财政预算（万元）"),
                wan(self.midterm),
                s("本年度申请市财政预算资金（万元）"),
                wan(self.annual),
                e(),
                e(),
            ]);
            let span = format!("中期滚动目标（{}年--{}年）", self.year, self.year + 2);
            g.push(vec![s("总体目标"), span, e(), e(), s("年度目标"), e(), e(), e()]);
            g.push(vec![e(), self.goal.clone(), e(), e(), self.goal.clone(), e(), e(), e()]);
            g.push(
                [
                    "绩效指标",
                    "一级指标",
                    "二级指标",
                    "三级指标",
                    "指标值（或计划水平）",
                    "二级指标",
                    "三级指标",
                    "计划指标值（或计划水平）",
                ]
                .map(s)
                .to_vec(),
            );
            let mut last = "";
            for (l1, l2, l3, va, vm) in &self.rows {
                let first = if *l1 == last { e() } else { s(l1) };
                last = l1;
                g.push(vec![e(), first, s(l2), s(l3), vm.clone(), s(l2), s(l3), va.clone()]);
            }
        } else {
            g.push(vec![s("项目名称"), self.project.clone(), e(), e(), e()]);
            g.push(vec![s("主管部门"), self.unit.clone(), s("实施单位"), self.unit.clone(), e()]);
            g.push(vec![s("项目资金（万元）"), s("年度资金总额"), wan(self.annual), e(), e()]);
            g.push(vec![e(), s("其中：财政拨款"), wan(self.annual), e(), e()]);
            g.push(vec![e(), s("其他资金"), s("0.00"), e(), e()]);
            g.push(vec![s("年度总体目标"), self.goal.clone(), e(), e(), e()]);
            g.push(["绩效指标", "一级指标", "二级指标", "三级指标", "指标值"].map(s).to_vec());
            let (mut last1, mut last2) = ("", "");
            for (l1, l2, l3, va, _) in &self.rows {
                let c1 = if *l1 == last1 { e() } else { s(l1) };
                let c2 = if *l2 == last2 { e() } else { s(l2) };
                (last1, last2) = (l1, l2);
                g.push(vec![e(), c1, c2, s(l3), va.clone()]);
            }
        }
        g
    }
}

fn render(layout: Layout, charset: Charset, tables: &[Table]) -> String {
    let mut o = String::new();
    if layout == Layout::Html {
        let label = match charset {
            Charset::Gbk => "gbk",
            Charset::Gb18030 => "gb18030",
            _ => "utf-8",
        };
        let _ = write!(
            o,
            "<!DOCTYPE html>\n<html><head><meta charset=\"{label}\"><title>绩效目标公开</title></head>\n<body>\n"
        );
    }
    for t in tables {
        let [title, year, unit] = t.heading();
        let grid = t.grid();
        match layout {
            Layout::Tab => {
                let _ = write!(o, "# {title}\n\n{year}\n\n{unit}\n\n");
                for row in &grid {
                    o.push_str(&row.join("\t"));
                    o.push('\n');
                }
                o.push('\n');
            }
            Layout::Csv => {
                let _ = writeln!(o, "{title}\n{year}\n{unit}");
                for row in &grid {
                    let cells: Vec<String> = row.iter().map(|c| csv_cell(c)).collect();
                    o.push_str(&cells.join(","));
                    o.push_str("\r\n");
                }
            }
            Layout::Markdown => {
                let _ = write!(o, "# {title}\n\n{year}\n\n{unit}\n\n");
                for (i, row) in grid.iter().enumerate() {
                    let _ = writeln!(o, "| {} |", row.join(" | "));
                    if i == 0 {
                        let _ = writeln!(o, "|{}", "---|".repeat(row.len()));
                    }
                }
                o.push('\n');
            }
            Layout::Html => {
                let _ = write!(
                    o,
                    "<h2 style=\"text-align:center\">{title}</h2>\n<p align=\"center\">{year}</p><p>{unit}</p>\n<table border=\"1\">\n"
                );
                for row in &grid {
                    o.push_str("<tr>");
                    for c in row {
                        let _ = write!(o, "<td>{c}</td>");
                    }
                    o.push_str("</tr>\n");
                }
                o.push_str("</table>\n");
            }
            Layout::FixedWidth => fixed_width(&mut o, &format!("{}年度{title}", t.year), &unit, &grid),
            Layout::TextRuns => {
                let _ = writeln!(o, "{title}\n{}\n{unit}", year.replace(' ', ""));
                for c in grid.iter().flatten().filter(|c| !c.is_empty()) {
                    let _ = writeln!(o, "{c}");
                }
            }
        }
    }
    if layout == Layout::Html {
        o.push_str("</body></html>\n");
    }
    o
}

fn csv_cell(c: &str) -> String {
    if c.contains([',', '"', '\n']) { format!("\"{}\"", c.replace('"', "\"\"")) } else { c.to_string() }
}

/// pdftotext `-layout` style: columns padded with spaces to their widest cell.
fn fixed_width(o: &mut String, title: &str, unit: &str, grid: &[Vec<String>]) {
    let cols = grid.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> =
        (0..cols).map(|i| grid.iter().filter_map(|r| r.get(i)).map(|c| c.width()).max().unwrap_or(0)).collect();
    let _ = write!(o, "\n{:26}{title}\n\n{unit}\n\n", "");
    for row in grid {
        let mut line = String::from("  ");
        for (c, w) in row.iter().zip(&widths) {
            line.push_str(c);
            line.extend(std::iter::repeat_n(' ', w - c.width() + 2));
        }
        o.push_str(line.trim_end());
        o.push('\n');
    }
    o.push('\n');
}

fn encode(text: &str, charset: Charset) -> Vec<u8> {
    match charset {
        Charset::Utf8 => text.as_bytes().to_vec(),
        Charset::Gbk => GBK.encode(text).0.into_owned(),
        Charset::Gb18030 => GB18030.encode(text).0.into_owned(),
        Charset::Utf16LeBom | Charset::Utf16LeNoBom => {
            let bom: &[u8] = if charset == Charset::Utf16LeBom { &[0xFF, 0xFE] } else { &[] };
            bom.iter().copied().chain(text.encode_utf16().flat_map(u16::to_le_bytes)).collect()
        }
        Charset::Utf16BeBom => [0xFE, 0xFF].into_iter().chain(text.encode_utf16().flat_map(u16::to_be_bytes)).collect(),
    }
}

/// File `index` of the corpus of `seed`.
pub fn file(seed: u64, index: u64) -> GenFile {
    let mut rng = fastrand::Rng::with_seed(seed ^ index.wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let layout = pick(&mut rng, &LAYOUTS);
    // HTML declares its charset and is never UTF-16 in the wild; the others take any.
    let charset = if layout == Layout::Html { pick(&mut rng, &CHARSETS[..3]) } else { pick(&mut rng, &CHARSETS) };
    let region = pick(&mut rng, &REGIONS);
    let year = rng.i32(2019..=2024);
    let unit = format!("{}{}", region.trim_end_matches("省直"), pick(&mut rng, &AGENCIES));
    // The 申报表 is what PDF text runs carry in the samples; the 批复表 never comes that way.
    let approval = layout != Layout::TextRuns && rng.bool();
    let n = rng.usize(1..=8);
    let tables: Vec<Table> = (0..n).map(|_| table(&mut rng, region, year, &unit, approval)).collect();
    let ext = match layout {
        Layout::Csv => "csv",
        Layout::Markdown => "md",
        Layout::Html => "html",
        _ => "txt",
    };
    GenFile {
        rel: format!("{region}/{year}/{unit}/disclosure_{index:06}.{ext}"),
        layout,
        charset,
        tables: n,
        bytes: encode(&render(layout, charset, &tables), charset),
    }
}

/// Writes files `0..count` of `seed` under `dir`; returns their total size in bytes.
pub fn write_corpus(dir: &Path, seed: u64, count: u64) -> std::io::Result<u64> {
    let mut total = 0;
    for i in 0..count {
        let f = file(seed, i);
        let path: PathBuf = dir.join(&f.rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        std::fs::write(&path, &f.bytes)?;
        total += f.bytes.len() as u64;
    }
    Ok(total)
}
