//! Stage 8, report: rendering tests over hand-made figures.

use std::str::FromStr;

use rust_decimal::Decimal;

use super::format::*;
use super::markdown::{text_bar, text_stack};
use super::svg::{bar_len, char_em, fit_text, nice_axis, text_width};
use super::views::*;
use super::*;
use crate::analytics::model::{CategoryKinds, FlagCount, FlagExample, ProjectLine, UnitBudget, YearTotals};

fn dec(s: &str) -> Decimal {
    Decimal::from_str(s).expect("test decimal")
}

fn unit(name: &str, budget: &str) -> UnitBudget {
    UnitBudget {
        region: Some("北京市".into()),
        budget_unit: name.into(),
        projects: 3,
        copies_collapsed: 0,
        annual_budget_yuan: dec(budget),
        share: 0.0,
        mean_quality: Some(70.0),
    }
}

/// Fills in shares from the Decimal budgets, as upstream would.
fn with_shares(mut units: Vec<UnitBudget>) -> (Vec<UnitBudget>, Decimal) {
    let total = sum_decimal(units.iter().map(|u| u.annual_budget_yuan));
    for u in &mut units {
        u.share = dec_ratio(u.annual_budget_yuan, total);
    }
    units.sort_by_key(|u| std::cmp::Reverse(u.annual_budget_yuan));
    (units, total)
}

const UNITS: [(&str, &str); 8] = [
    ("北京市教育委员会", "38456210.50"),
    ("北京市卫生健康委员会", "27913400.00"),
    ("北京市交通委员会", "21067835.20"),
    ("北京市生态环境局", "12504000.00"),
    ("北京市民政局", "9870560.75"),
    ("北京市文化和旅游局", "6235100.00"),
    ("北京市农业农村局", "4118900.30"),
    ("北京市体育局", "1727800.00"),
];

const PROJECTS: [(&str, &str, &str, f64); 20] = [
    ("北京市教育委员会", "中小学校舍安全改造工程", "12860000.00", 82.5),
    ("北京市卫生健康委员会", "基层医疗卫生机构能力提升", "9450000.00", 76.0),
    ("北京市交通委员会", "公交线网优化及运营补贴", "8736520.00", 64.5),
    ("北京市教育委员会", "高校“双一流”建设专项", "7900000.00", 58.0),
    ("北京市卫生健康委员会", "公共卫生应急物资储备", "6128300.00", 71.0),
    ("北京市生态环境局", "大气污染防治专项资金", "5600000.00", 88.0),
    ("北京市交通委员会", "城市慢行系统品质提升", "4980215.20", 45.5),
    ("北京市教育委员会", "学前教育普惠性资源扩充", "4512000.50", 69.0),
    ("北京市民政局", "困难群众基本生活救助", "4300000.00", 73.5),
    ("北京市生态环境局", "水环境治理与监测能力建设", "3904000.00", 80.0),
    ("北京市民政局", "老年人居家养老服务补贴", "3270560.75", 52.0),
    ("北京市卫生健康委员会", "全民健康信息平台运维", "2880000.00", 38.5),
    ("北京市文化和旅游局", "公共文化服务体系示范区建设", "2645100.00", 61.0),
    ("北京市教育委员会", "职业教育实训基地建设", "2415000.00", 77.5),
    ("北京市农业农村局", "高标准农田建设补助", "2118900.30", 84.0),
    ("北京市文化和旅游局", "非物质文化遗产保护传承", "1890000.00", 49.0),
    ("北京市体育局", "全民健身设施补短板工程", "1727800.00", 66.5),
    ("北京市交通委员会", "道路交通安全设施完善", "1650100.00", 72.0),
    ("北京市农业农村局", "村庄人居环境整治", "1200000.00", 57.5),
    ("北京市民政局", "残疾人康复服务补贴", "1080000.00", 90.5),
];

fn flags_sample() -> Vec<FlagCount> {
    let ex = |u: &str, p: &str, l3: &str, v: &str| FlagExample {
        budget_unit: u.into(),
        project_name: p.into(),
        level3: l3.into(),
        value: v.into(),
    };
    vec![
        FlagCount {
            flag: "placeholder_value".into(),
            description: "指标值为“完成”“达标”等没有实际目标的套话".into(),
            count: 412,
            examples: vec![
                ex("北京市交通委员会", "城市慢行系统品质提升", "工程完成情况", "按计划完成"),
                ex("北京市民政局", "老年人居家养老服务补贴", "服务质量", "达标"),
                ex("北京市卫生健康委员会", "全民健康信息平台运维", "系统运行情况", "良好"),
                ex("北京市体育局", "全民健身设施补短板工程", "第四条示例", "不应显示"),
            ],
        },
        FlagCount {
            flag: "missing_unit".into(),
            description: "数值型指标缺少计量单位".into(),
            count: 287,
            examples: vec![
                ex("北京市教育委员会", "中小学校舍安全改造工程", "校舍改造面积", "12000"),
                ex("北京市农业农村局", "高标准农田建设补助", "新建高标准农田", "3.5"),
            ],
        },
        FlagCount {
            flag: "empty_value".into(),
            description: "指标值未填写".into(),
            count: 131,
            examples: vec![ex("北京市文化和旅游局", "非物质文化遗产保护传承", "社会公众满意度", "")],
        },
        FlagCount {
            flag: "percent_over_100".into(),
            description: "百分比指标值超过 100%".into(),
            count: 17,
            examples: vec![ex("北京市生态环境局", "大气污染防治专项资金", "PM2.5 浓度下降比例", "≥120%")],
        },
        FlagCount {
            flag: "duplicate_indicator".into(),
            description: "同一项目内三级指标重复".into(),
            count: 9,
            examples: vec![],
        },
    ]
}

fn categories_sample() -> Vec<CategoryKinds> {
    let c = |l1: &str, l2: &str, n: u64, s: [f64; 4], m: f64| CategoryKinds {
        level1_code: l1.into(),
        level2_code: l2.into(),
        indicators: n,
        quantitative: s[0],
        qualitative: s[1],
        placeholder: s[2],
        empty: s[3],
        mean_score: Some(m),
    };
    vec![
        c("output", "quantity", 1840, [0.86, 0.06, 0.05, 0.03], 78.2),
        c("output", "quality", 1312, [0.52, 0.24, 0.19, 0.05], 63.4),
        c("output", "timeliness", 905, [0.44, 0.21, 0.31, 0.04], 57.9),
        c("output", "cost", 402, [0.91, 0.02, 0.03, 0.04], 82.0),
        c("effect", "social_benefit", 1120, [0.21, 0.55, 0.20, 0.04], 48.6),
        c("effect", "economic_benefit", 236, [0.38, 0.37, 0.16, 0.09], 52.3),
        c("effect", "ecological_benefit", 188, [0.33, 0.41, 0.18, 0.08], 51.0),
        c("effect", "combined_benefit", 40, [0.10, 0.60, 0.25, 0.05], 41.2),
        c("effect", "sustainability", 610, [0.08, 0.61, 0.27, 0.04], 39.7),
        c("satisfaction", "satisfaction", 980, [0.94, 0.02, 0.01, 0.03], 85.1),
    ]
}

fn histogram_sample() -> Vec<(String, u64)> {
    let counts = [3, 7, 18, 41, 96, 173, 248, 301, 187, 64];
    counts
        .iter()
        .enumerate()
        .map(|(i, n)| {
            let label = if i == 9 { "90–100".to_string() } else { format!("{}–{}", i * 10, i * 10 + 9) };
            (label, *n)
        })
        .collect()
}

/// A realistic year: 8 units, 20 projects with Chinese names.
fn sample() -> ReportData {
    let (units, total) = with_shares(
        UNITS
            .iter()
            .zip([78.4, 69.1, 61.7, 83.9, 66.0, 55.2, 74.8, 66.5])
            .enumerate()
            .map(|(i, ((name, budget), q))| UnitBudget {
                region: Some("北京市".into()),
                budget_unit: (*name).into(),
                projects: [46, 38, 29, 17, 22, 15, 12, 6][i],
                copies_collapsed: 0,
                annual_budget_yuan: dec(budget),
                share: 0.0,
                mean_quality: Some(q),
            })
            .collect(),
    );
    let top_projects = PROJECTS
        .iter()
        .enumerate()
        .map(|(i, (u, p, b, s))| ProjectLine {
            budget_unit: (*u).into(),
            project_name: (*p).into(),
            annual_budget_yuan: dec(b),
            quality_score: Some(*s),
            flags: match i % 4 {
                0 => vec![],
                1 => vec!["placeholder_value".into()],
                2 => vec!["missing_unit".into(), "placeholder_value".into()],
                _ => vec!["empty_value".into()],
            },
        })
        .collect();
    ReportData {
        year: 2024,
        region: Some("北京市".into()),
        generated_by: "jixiao 0.1.0".into(),
        totals: YearTotals {
            projects: 185,
            copies_collapsed: 0,
            budget_units: 8,
            indicators: 7633,
            annual_budget_yuan: total,
            midterm_budget_yuan: dec("301554210.85"),
            mean_project_score: Some(68.37),
            quantified_share: Some(0.5712),
        },
        previous: Some(YearTotals {
            projects: 171,
            copies_collapsed: 0,
            budget_units: 8,
            indicators: 7020,
            annual_budget_yuan: dec("115230480.00"),
            midterm_budget_yuan: dec("289000000.00"),
            mean_project_score: Some(64.9),
            quantified_share: Some(0.5388),
        }),
        units,
        score_histogram: histogram_sample(),
        categories: categories_sample(),
        flags: flags_sample(),
        top_projects,
    }
}

/// 14 units (so the "其他" bar appears) including hostile names.
fn sample_many_units() -> ReportData {
    let mut d = sample();
    let mut units = d.units.clone();
    // A long name inside the top ten, to see the label truncation.
    units[7].budget_unit = "北京市园林绿化局（首都绿化委员会办公室）下属事业单位管理中心".into();
    for (name, budget) in [
        ("<script>alert(1)</script>", "1500000.00"),
        ("a|b 工作室", "980000.10"),
        ("北京市知识产权局", "870000.00"),
        ("北京市园林绿化局种苗站", "650000.33"),
        ("北京市档案馆", "420000.00"),
        ("北京市地方志编纂委员会办公室", "210000.01"),
    ] {
        units.push(unit(name, budget));
    }
    let (units, total) = with_shares(units);
    d.units = units;
    d.totals.annual_budget_yuan = total;
    d.totals.budget_units = 14;
    d.region = None;
    d.top_projects[0].project_name = "a|b <b>粗体</b> & \"引号\" 'x'\n第二行".into();
    d
}

fn empty_report() -> ReportData {
    ReportData { year: 2024, generated_by: "jixiao 0.1.0".into(), ..ReportData::default() }
}

fn assert_no_float_junk(s: &str) {
    for junk in ["NaN", "inf", "-0.0%", "-0.00"] {
        assert!(!s.contains(junk), "output contains {junk:?}");
    }
}

/// Every Markdown table row has as many unescaped pipes as its header row,
/// i.e. no data string broke out of its cell or its row.
fn assert_md_tables_intact(md: &str) {
    fn cells(line: &str) -> usize {
        let mut n = 0;
        let mut escaped = false;
        for c in line.chars() {
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '|' {
                n += 1;
            }
        }
        n
    }
    let mut header: Option<usize> = None;
    for line in md.lines() {
        if line.starts_with('|') {
            let n = cells(line);
            match header {
                None => header = Some(n),
                Some(h) => assert_eq!(h, n, "broken table row: {line}"),
            }
        } else {
            header = None;
        }
    }
}

#[test]
fn format_yuan_groups_and_rounds() {
    assert_eq!(format_yuan(dec("1727800")), "1,727,800.00");
    assert_eq!(format_yuan(dec("1727800.00")), "1,727,800.00");
    assert_eq!(format_yuan(dec("0")), "0.00");
    assert_eq!(format_yuan(dec("12.5")), "12.50");
    assert_eq!(format_yuan(dec("999")), "999.00");
    assert_eq!(format_yuan(dec("1000")), "1,000.00");
    assert_eq!(format_yuan(dec("-1234.5")), "-1,234.50");
    assert_eq!(format_yuan(dec("999.995")), "1,000.00");
    assert_eq!(format_yuan(dec("1234567.891")), "1,234,567.89");
    assert_eq!(format_yuan(dec("0.005")), "0.01");
    assert_eq!(format_yuan(dec("-0.004")), "0.00");
    assert_eq!(format_yuan(Decimal::MAX), "79,228,162,514,264,337,593,543,950,335.00");
    assert_eq!(format_yuan(Decimal::MIN), "-79,228,162,514,264,337,593,543,950,335.00");
}

#[test]
fn unit_bars_top_plus_rest_equal_totals_exactly() {
    // Amounts chosen so that a float sum would not be exact.
    let raw: Vec<UnitBudget> = (0..15)
        .map(|i| unit(&format!("单位{i}"), &format!("{}.{:02}", 100_000 + i * 7_919, (i * 37) % 100)))
        .chain([unit("零头", "0.01"), unit("大额", "987654321987.99")])
        .collect();
    let (units, total) = with_shares(raw);
    let bars = unit_bars(&units);
    assert_eq!(bars.len(), TOP_UNITS + 1);
    let rest = bars.last().expect("rest bar");
    assert_eq!(rest.rest_units, 7);
    assert_eq!(rest.label, "其他 (7 units)");
    let top = sum_decimal(bars[..TOP_UNITS].iter().map(|b| b.budget));
    assert_eq!(top + rest.budget, total);
    assert_eq!(bars_total(&bars), total);
    // The expected total written out, independent of sum_decimal.
    let mut expected = Decimal::ZERO;
    for u in &units {
        expected += u.annual_budget_yuan;
    }
    assert_eq!(bars_total(&bars), expected);
    assert_eq!(rest.projects, units[TOP_UNITS..].iter().map(|u| u.projects).sum::<u64>());

    // And what the report prints is that exact sum, with no warning.
    let rest_budget = format_yuan(rest.budget);
    let d = ReportData {
        units,
        totals: YearTotals { annual_budget_yuan: total, ..YearTotals::default() },
        ..empty_report()
    };
    let html = render_html(&d);
    let md = render_markdown(&d);
    assert!(html.contains(&format_yuan(total)));
    assert!(md.contains(&format!("**{}**", format_yuan(total))));
    assert!(html.contains(&rest_budget));
    assert!(!html.contains("class=\"warn\""));
    assert!(!md.contains("注意"));
}

#[test]
fn unit_bars_edge_counts() {
    assert!(unit_bars(&[]).is_empty());
    let ten: Vec<UnitBudget> = (0..10).map(|i| unit(&i.to_string(), "1.10")).collect();
    let bars = unit_bars(&ten);
    assert_eq!(bars.len(), 10);
    assert!(bars.iter().all(|b| b.rest_units == 0));
    assert_eq!(bars_total(&bars), dec("11.00"));
    let eleven: Vec<UnitBudget> = (0..11).map(|i| unit(&i.to_string(), "1.10")).collect();
    let bars = unit_bars(&eleven);
    assert_eq!(bars.len(), 11);
    assert_eq!(bars[10].label, "其他 (1 unit)");
    assert_eq!(bars_total(&bars), dec("12.10"));
}

#[test]
fn unit_bars_sort_defensively() {
    let units = vec![unit("小", "1.00"), unit("大", "3.00"), unit("中", "2.00")];
    let labels: Vec<String> = unit_bars(&units).into_iter().map(|b| b.label).collect();
    assert_eq!(labels, ["大", "中", "小"]);
}

#[test]
fn mismatch_between_units_and_total_is_reported() {
    let mut d = sample();
    d.totals.annual_budget_yuan += dec("0.01");
    let html = render_html(&d);
    assert!(html.contains("class=\"warn\""));
    assert!(html.contains("差额 -0.01 元"));
    assert!(render_markdown(&d).contains("> **注意"));
}

#[test]
fn hostile_strings_are_escaped_in_html() {
    let mut d = sample_many_units();
    d.region = Some("\"><script>alert('r')</script>".into());
    d.generated_by = "jixiao <0.1.0>".into();
    d.flags[0].flag = "<img src=x onerror=alert(1)>".into();
    d.flags[0].examples[0].value = "</td></tr><script>alert(2)</script>".into();
    d.flags[0].examples[0].level3 = "a|b".into();
    d.categories[0].level2_code = "<svg onload=alert(3)>".into();
    d.score_histogram[0].0 = "<b>0</b>".into();
    d.top_projects[1].flags = vec!["<i>x</i>".into()];
    let html = render_html(&d);
    assert!(!html.contains("<script"), "raw script tag in HTML");
    assert!(!html.contains("<img"));
    assert!(!html.contains("<svg onload"));
    assert!(!html.contains("<b>"));
    assert!(!html.contains("<i>"));
    assert!(html.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(html.contains("&quot;&gt;&lt;script&gt;alert(&#39;r&#39;)&lt;/script&gt;"));
    assert!(html.contains("a|b 工作室"));
    assert!(html.contains("a|b &lt;b&gt;粗体&lt;/b&gt; &amp; &quot;引号&quot; &#39;x&#39;"));
    assert_no_float_junk(&html);
}

#[test]
fn hostile_strings_are_escaped_in_markdown() {
    let mut d = sample_many_units();
    d.region = Some("东城|西城\n第二行".into());
    d.flags[0].examples[0].value = "x|y\r\nz `code` *em* [l](javascript:alert(1)) a\\|b".into();
    d.categories[0].level2_code = "bad|code".into();
    d.score_histogram[0].0 = "0|9".into();
    let md = render_markdown(&d);
    assert!(!md.contains("<script"));
    assert!(md.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(md.contains(r"a\|b 工作室"));
    assert!(md.contains(r"a\|b &lt;b&gt;粗体&lt;/b&gt; &amp; "));
    assert!(md.contains(r"东城\|西城 第二行"));
    assert!(md.contains(r"x\|y z \`code\` \*em\* \[l\](javascript:alert(1)) a\\\|b"));
    assert!(!md.contains("第二行\n"), "newline from data leaked into Markdown");
    assert_md_tables_intact(&md);
    assert_no_float_junk(&md);
}

#[test]
fn esc_md_and_esc_html_basics() {
    assert_eq!(esc_html(r#"<a href="x">'&'</a>"#), "&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;");
    assert_eq!(esc_md("a|b"), r"a\|b");
    assert_eq!(esc_md("line1\nline2\r\n\tline3"), "line1 line2 line3");
    assert_eq!(esc_md("  padded\n"), "padded");
    assert_eq!(esc_md("1~3天"), r"1\~3天");
}

#[test]
fn html_is_self_contained() {
    let html = render_html(&sample_many_units());
    for forbidden in ["<script", "<link", "@import", "url(", "http://", "https://", "<img", "@font-face"] {
        assert!(!html.contains(forbidden), "HTML contains {forbidden:?}");
    }
    assert!(html.starts_with("<!DOCTYPE html>"));
    assert!(html.contains("<style>"));
    assert!(html.contains("@media print"));
    assert!(html.contains("Noto Sans CJK SC"));
    assert_eq!(html.matches("<svg").count(), html.matches("</svg>").count());
    assert_eq!(html.matches("<svg").count(), 3);
}

#[test]
fn sections_present_in_both_formats() {
    let d = sample();
    let html = render_html(&d);
    let md = render_markdown(&d);
    assert!(html.contains("2024 年度项目支出绩效目标"));
    assert!(md.starts_with("# 2024 年度项目支出绩效目标汇总 · Yearly summary of performance targets\n"));
    for (zh, en) in SECTIONS {
        assert!(html.contains(zh) && html.contains(en), "HTML misses {zh}");
        assert!(md.contains(zh) && md.contains(en), "Markdown misses {zh}");
    }
    for s in [&html, &md] {
        assert!(s.contains("docs/quality.md"));
        assert!(s.contains("1,727,800.00"));
        assert!(s.contains("全民健身设施补短板工程"));
    }
    assert_md_tables_intact(&md);
}

#[test]
fn year_over_year_changes() {
    let d = ReportData {
        totals: YearTotals {
            projects: 110,
            copies_collapsed: 0,
            budget_units: 5,
            indicators: 90,
            annual_budget_yuan: dec("1100.00"),
            midterm_budget_yuan: dec("500"),
            mean_project_score: Some(72.5),
            quantified_share: Some(0.6),
        },
        previous: Some(YearTotals {
            projects: 100,
            copies_collapsed: 0,
            budget_units: 5,
            indicators: 100,
            annual_budget_yuan: dec("1000.00"),
            midterm_budget_yuan: Decimal::ZERO,
            mean_project_score: Some(70.0),
            quantified_share: Some(0.5),
        }),
        ..empty_report()
    };
    let rows = totals_rows(&d.totals, d.previous.as_ref());
    let cells = |r: &MetricRow| (r.delta.clone(), r.pct.clone());
    assert_eq!(cells(&rows[0]), ("+10".into(), "+10.0%".into()));
    assert_eq!(cells(&rows[1]), ("0".into(), "0.0%".into()));
    assert_eq!(cells(&rows[2]), ("-10".into(), "-10.0%".into()));
    assert_eq!(cells(&rows[3]), ("+100.00".into(), "+10.0%".into()));
    // Zero base: the absolute change is known, the relative one is not.
    assert_eq!(cells(&rows[4]), ("+500.00".into(), "—".into()));
    assert_eq!(cells(&rows[5]), ("+2.5".into(), "+3.6%".into()));
    assert_eq!(cells(&rows[6]), ("+10.0 pp".into(), "+20.0%".into()));
    assert_eq!(rows[6].cur, "60.0%");
    let html = render_html(&d);
    assert!(html.contains("+100.00") && html.contains("+10.0%"));
}

#[test]
fn no_previous_year_shows_dashes() {
    let d = ReportData { previous: None, ..sample() };
    for r in totals_rows(&d.totals, None) {
        assert_eq!((r.prev.as_str(), r.delta.as_str(), r.pct.as_str()), ("—", "—", "—"));
    }
    assert!(render_markdown(&d).contains("| 项目数 Projects | 185 | — | — | — |"));
}

#[test]
fn empty_and_zero_report_renders_without_panicking() {
    let d = empty_report();
    let html = render_html(&d);
    let md = render_markdown(&d);
    assert_eq!(html.matches("无数据").count(), 5);
    assert_eq!(md.matches("无数据").count(), 5);
    assert!(html.contains("全部地区"));
    assert_no_float_junk(&html);
    assert_no_float_junk(&md);
    assert_md_tables_intact(&md);

    // Zero everywhere, plus NaN and out-of-range values from upstream.
    let d = ReportData {
        previous: Some(YearTotals::default()),
        units: vec![unit("零", "0"), unit("负", "-5.00")],
        score_histogram: vec![("0–9".into(), 0), ("10–19".into(), 0)],
        categories: vec![CategoryKinds {
            level1_code: "output".into(),
            level2_code: "quantity".into(),
            quantitative: f64::NAN,
            qualitative: 2.0,
            placeholder: -1.0,
            empty: f64::INFINITY,
            mean_score: Some(f64::NAN),
            ..CategoryKinds::default()
        }],
        flags: vec![FlagCount { flag: "x".into(), count: 3, ..FlagCount::default() }],
        top_projects: vec![ProjectLine { quality_score: Some(f64::NAN), ..ProjectLine::default() }],
        totals: YearTotals {
            annual_budget_yuan: dec("-5.00"),
            mean_project_score: Some(f64::NAN),
            ..YearTotals::default()
        },
        ..empty_report()
    };
    let html = render_html(&d);
    let md = render_markdown(&d);
    assert_no_float_junk(&html.replace("-5.00", ""));
    assert_no_float_junk(&md.replace("-5.00", ""));
    assert_md_tables_intact(&md);
}

#[test]
fn category_labels() {
    assert_eq!(level2_label("quantity"), Some("数量"));
    assert_eq!(level2_label("combined_benefit"), Some("社会经济生态效益"));
    assert_eq!(level2_label("satisfaction"), Some("满意度"));
    assert_eq!(level2_label("nope"), None);
    let html = render_html(&sample());
    for zh in ["数量", "质量", "时效", "成本", "社会效益", "经济效益", "生态效益", "可持续影响", "满意度"]
    {
        assert!(html.contains(zh), "missing {zh}");
    }
}

#[test]
fn flags_show_at_most_three_examples() {
    let d = sample();
    assert_eq!(d.flags[0].examples.len(), 4);
    let html = render_html(&d);
    let md = render_markdown(&d);
    assert!(!html.contains("不应显示"));
    assert!(!md.contains("不应显示"));
    assert!(html.contains("按计划完成"));
    assert!(html.contains("社会公众满意度：（空 empty）"));
    assert!(md.contains("社会公众满意度：（空 empty）"));
}

#[test]
fn helpers() {
    assert_eq!(nice_axis(0), (1, 1));
    assert_eq!(nice_axis(301), (400, 100));
    assert_eq!(nice_axis(7), (8, 2));
    assert_eq!(nice_axis(1), (1, 1));
    let (top, step) = nice_axis(u64::MAX);
    assert!(top >= step && step > 0);
    assert_eq!(text_bar(1.0, 4), "████");
    assert_eq!(text_bar(0.5, 4), "██");
    assert_eq!(text_bar(0.0, 4), "");
    assert_eq!(text_bar(f64::NAN, 4), "");
    assert_eq!(text_bar(0.0625, 4), "▎");
    assert_eq!(text_stack([0.5, 0.25, 0.15, 0.1], 20), "██████████▓▓▓▓▓▒▒▒░░");
    assert!(text_stack([0.34, 0.33, 0.33, 0.33], 20).chars().count() <= 20);
    assert_eq!(truncate_chars("项目名称很长", 4), "项目名…");
    assert_eq!(truncate_chars("短", 4), "短");
    let (cut, was_cut) = fit_text("北京市园林绿化局下属事业单位管理中心", 100.0, 12.0);
    assert!(was_cut && cut.ends_with('…') && text_width(&cut, 12.0) <= 100.0);
    assert_eq!(pct_change_dec(dec("1"), Decimal::ZERO), "—");
    assert_eq!(pct_change_dec(dec("-5"), dec("-10")), "+50.0%");
    assert_eq!(fmt_fixed(-0.0001, 1), "0.0");
    assert_eq!(fmt_pct(f64::NAN), "—");
    assert_eq!(bar_len(dec("5"), Decimal::ZERO, 100.0), 0.0);
    assert_eq!(bar_len(dec("5"), dec("10"), 100.0), 50.0);
    assert_eq!(bar_len(dec("-5"), dec("10"), 100.0), 0.0);
    assert_eq!(bar_len(dec("0.0001"), dec("10"), 100.0), 1.0);
    assert_eq!(dec_ratio(dec("1"), dec("4")), 0.25);
    assert_eq!(dec_ratio(dec("1"), Decimal::ZERO), 0.0);
}

#[test]
fn label_widths_follow_east_asian_width() {
    // The estimate the hand-written rule gave (ASCII 0.6 em, everything else 1 em) holds for
    // what labels contain: Latin, CJK, full-width and CJK-ambiguous punctuation.
    for (c, em) in [('a', 0.6), ('(', 0.6), ('中', 1.0), ('（', 1.0), ('·', 1.0), ('–', 1.0), ('“', 1.0)] {
        assert_eq!(char_em(c), em, "{c:?}");
    }
    // Combining marks and zero-width spaces no longer count as a full square.
    assert_eq!(char_em('\u{301}'), 0.0);
    assert_eq!(char_em('\u{200B}'), 0.0);
    assert_eq!(text_width("单位 A", 10.0), 10.0 * (1.0 + 1.0 + 0.6 + 0.6));
}

/// Every variant renders to a complete, deterministic document: seven sections, closed tags,
/// intact tables, the same bytes twice. With `JIXIAO_REPORT_SAMPLE_DIR=/some/dir` the documents
/// are also written there for a visual check; a normal test run leaves no files behind.
#[test]
fn sample_reports_are_complete_documents() {
    let variants = [("out", sample()), ("out-many", sample_many_units()), ("out-empty", empty_report())];
    let dir = std::env::var_os("JIXIAO_REPORT_SAMPLE_DIR").map(std::path::PathBuf::from);
    for (name, d) in variants {
        let html = render_html(&d);
        let md = render_markdown(&d);
        assert_eq!(html, render_html(&d), "{name}: HTML not deterministic");
        assert_eq!(md, render_markdown(&d), "{name}: Markdown not deterministic");
        assert!(html.starts_with("<!DOCTYPE html>") && html.ends_with("</html>\n"), "{name}");
        assert_eq!(html.matches("<section").count(), SECTIONS.len(), "{name}");
        assert_eq!(html.matches("<section").count(), html.matches("</section>").count(), "{name}");
        assert_eq!(html.matches("<table").count(), html.matches("</table>").count(), "{name}");
        for i in 1..=SECTIONS.len() {
            assert!(md.contains(&format!("\n## {i}. ")), "{name}: Markdown misses section {i}");
        }
        assert!(md.ends_with(&format!("Generated by {}\n", d.generated_by)), "{name}");
        assert_md_tables_intact(&md);
        if let Some(dir) = &dir {
            std::fs::write(dir.join(format!("{name}.html")), &html).expect("write sample");
            std::fs::write(dir.join(format!("{name}.md")), &md).expect("write sample");
        }
    }
}
