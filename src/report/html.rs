//! Stage 8, report: the self-contained HTML version.

use std::fmt::{self, Write as _};

use super::format::*;
use super::svg::*;
use super::views::*;
use super::{DASH, HOW_TO_READ, MAX_EXAMPLES, SECTIONS};
use crate::analytics::model::ReportData;

const CSS: &str = r#"
:root{--fg:#1f2328;--muted:#5b6470;--line:#d4d9de;--head:#f3f5f7;--accent:#2b5c8a}
*{box-sizing:border-box}
body{margin:0 auto;max-width:960px;padding:28px 24px 48px;background:#fff;color:var(--fg);
 font-family:"PingFang SC","Hiragino Sans GB","Noto Sans CJK SC","Source Han Sans SC","Microsoft YaHei","WenQuanYi Micro Hei",system-ui,sans-serif;
 font-size:14px;line-height:1.55}
h1{font-size:24px;font-weight:600;margin:0 0 4px}
h2{font-size:18px;font-weight:600;margin:32px 0 12px;padding-bottom:4px;border-bottom:1px solid var(--line)}
.en{color:var(--muted);font-weight:400;font-size:.72em;margin-left:.35em}
th .en{display:block;margin-left:0;font-size:11px}
.meta{color:var(--muted);margin:0}
table{width:100%;border-collapse:collapse;font-size:13px;margin:8px 0}
th,td{padding:5px 8px;border-bottom:1px solid var(--line);text-align:left;vertical-align:top;overflow-wrap:anywhere}
thead th{background:var(--head);border-bottom:1px solid #b9c0c7;font-weight:600;vertical-align:bottom}
.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tr.sum td{font-weight:600;border-top:1px solid #b9c0c7}
tr.rest td{color:var(--muted)}
figure{margin:8px 0 4px}
figcaption{color:var(--muted);font-size:12px;margin-top:4px}
svg.chart{display:block;width:100%;max-width:880px;height:auto}
svg text{font-size:12px;fill:var(--fg)}
svg .muted{fill:var(--muted)}
svg .small{font-size:10px}
svg .bold{font-weight:600}
svg .inv{fill:#fff}
svg .grid{stroke:#e3e7eb;stroke-width:1}
svg .axis{stroke:#9aa3ad;stroke-width:1}
code{font-family:ui-monospace,Menlo,Consolas,"Liberation Mono",monospace;font-size:12px;background:var(--head);padding:0 3px;border-radius:3px}
.desc{color:var(--muted);font-size:12px}
ul.ex{margin:0;padding-left:16px}
ul.ex li{margin:0 0 3px}
.ctx{color:var(--muted);font-size:12px}
.meter{display:inline-block;width:56px;height:7px;background:#e6e9ec;margin-right:6px;vertical-align:middle}
.meter>span{display:block;height:100%;background:var(--accent)}
.flag{display:inline-block;font-size:11px;line-height:1.5;border:1px solid var(--line);border-radius:3px;padding:0 4px;margin:0 3px 2px 0;background:#fafbfc}
.warn{color:#7a4300;background:#fff6e5;border-left:3px solid #e0a93b;padding:6px 10px}
.empty{color:var(--muted);font-style:italic}
.note li{margin-bottom:6px}
.note .en{display:block;margin-left:0;font-size:12px}
footer{margin-top:36px;padding-top:8px;border-top:1px solid var(--line);color:var(--muted);font-size:12px}
table,figure,.warn{break-inside:avoid;page-break-inside:avoid}
tr{break-inside:avoid;page-break-inside:avoid}
thead{display:table-header-group}
h2{break-after:avoid;page-break-after:avoid}
@media print{
 @page{size:A4;margin:14mm}
 body{max-width:none;padding:0;font-size:10pt}
 h2{margin-top:20px}
 *{-webkit-print-color-adjust:exact;print-color-adjust:exact}
}
"#;

pub(super) fn h2(o: &mut String, index: usize) -> fmt::Result {
    let (zh, en) = SECTIONS.get(index).copied().unwrap_or(("", ""));
    writeln!(o, r#"<h2>{} {zh}<span class="en">{en}</span></h2>"#, index + 1)
}

pub(super) fn th(zh: &str, en: &str, num: bool) -> String {
    let class = if num { r#" class="num""# } else { "" };
    if en.is_empty() {
        format!("<th{class}>{zh}</th>")
    } else {
        format!(r#"<th{class}>{zh}<span class="en">{en}</span></th>"#)
    }
}

pub(super) fn html_no_data(o: &mut String) -> fmt::Result {
    writeln!(o, r#"<p class="empty">无数据 <span class="en">No data</span></p>"#)
}

pub(super) fn write_html(o: &mut String, d: &ReportData) -> fmt::Result {
    let title = match d.region.as_deref() {
        Some(r) => format!("{} — {r}", title_text(d)),
        None => title_text(d),
    };
    writeln!(o, "<!DOCTYPE html>")?;
    writeln!(o, r#"<html lang="zh-CN">"#)?;
    writeln!(o, "<head>")?;
    writeln!(o, r#"<meta charset="utf-8">"#)?;
    writeln!(o, r#"<meta name="viewport" content="width=device-width, initial-scale=1">"#)?;
    writeln!(o, r#"<meta name="generator" content="{}">"#, esc_html(&d.generated_by))?;
    writeln!(o, "<title>{}</title>", esc_html(&title))?;
    writeln!(o, "<style>{CSS}</style>")?;
    writeln!(o, "</head>")?;
    writeln!(o, "<body>")?;
    writeln!(o, "<header>")?;
    writeln!(
        o,
        r#"<h1>{} 年度项目支出绩效目标汇总<span class="en">Yearly summary of performance targets</span></h1>"#,
        d.year
    )?;
    let region =
        d.region.as_deref().map_or_else(|| r#"全部地区 <span class="en">all regions</span>"#.to_string(), esc_html);
    let compared = if d.previous.is_some() {
        d.year.saturating_sub(1).to_string()
    } else {
        format!(r#"{DASH} <span class="en">no previous year</span>"#)
    };
    writeln!(
        o,
        r#"<p class="meta">地区 <span class="en">Region</span>：{region} · 对比年度 <span class="en">compared with</span>：{compared} · {}</p>"#,
        esc_html(&d.generated_by)
    )?;
    writeln!(o, "</header>")?;
    writeln!(o, "<main>")?;
    html_totals(o, d)?;
    html_units(o, d)?;
    html_histogram(o, d)?;
    html_categories(o, d)?;
    html_flags(o, d)?;
    html_projects(o, d)?;
    html_how_to_read(o)?;
    writeln!(o, "</main>")?;
    writeln!(
        o,
        r#"<footer>由 {g} 生成 <span class="en">Generated by {g}</span></footer>"#,
        g = esc_html(&d.generated_by)
    )?;
    writeln!(o, "</body>")?;
    writeln!(o, "</html>")
}

pub(super) fn html_totals(o: &mut String, d: &ReportData) -> fmt::Result {
    writeln!(o, r#"<section id="totals">"#)?;
    h2(o, 0)?;
    let year = d.year.to_string();
    let prev_year = d.year.saturating_sub(1).to_string();
    writeln!(
        o,
        "<table><thead><tr>{}{}{}{}{}</tr></thead><tbody>",
        th("指标", "Metric", false),
        th(&year, "", true),
        th(&prev_year, "", true),
        th("变化", "Change", true),
        th("变化率", "Change %", true),
    )?;
    for r in totals_rows(&d.totals, d.previous.as_ref()) {
        writeln!(
            o,
            r#"<tr><td>{}<span class="en">{}</span></td><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td></tr>"#,
            r.zh, r.en, r.cur, r.prev, r.delta, r.pct
        )?;
    }
    writeln!(o, "</tbody></table>")?;
    writeln!(o, "</section>")
}

pub(super) fn html_units(o: &mut String, d: &ReportData) -> fmt::Result {
    writeln!(o, r#"<section id="units">"#)?;
    h2(o, 1)?;
    let bars = unit_bars(&d.units);
    let sum = bars_total(&bars);
    if let Some((zh, en)) = unit_mismatch(d, sum) {
        writeln!(o, r#"<p class="warn">{zh}<span class="en">{en}</span></p>"#)?;
    }
    if bars.is_empty() {
        html_no_data(o)?;
        return writeln!(o, "</section>");
    }
    writeln!(o, "<figure>")?;
    svg_unit_bars(o, &bars)?;
    writeln!(
        o,
        r#"<figcaption>年度预算（元）及占全年比例；合计 {} 元，共 {} 个单位。<span class="en">Annual budget (yuan) and share of the year's total.</span></figcaption>"#,
        format_yuan(sum),
        fmt_count(d.units.len() as u64)
    )?;
    writeln!(o, "</figure>")?;
    let show_region = bars.iter().any(|b| b.region.is_some());
    write!(o, "<table><thead><tr>{}{}", th("#", "", true), th("单位", "Budget unit", false))?;
    if show_region {
        write!(o, "{}", th("地区", "Region", false))?;
    }
    writeln!(
        o,
        "{}{}{}{}</tr></thead><tbody>",
        th("项目数", "Projects", true),
        th("年度预算（元）", "Annual budget (yuan)", true),
        th("占比", "Share", true),
        th("平均质量", "Mean quality", true),
    )?;
    for (i, b) in bars.iter().enumerate() {
        let (class, rank) =
            if b.rest_units > 0 { (r#" class="rest""#, String::new()) } else { ("", (i + 1).to_string()) };
        write!(o, r#"<tr{class}><td class="num">{rank}</td><td>{}</td>"#, esc_html(&b.label))?;
        if show_region {
            write!(o, "<td>{}</td>", esc_html(b.region.unwrap_or(DASH)))?;
        }
        writeln!(
            o,
            r#"<td class="num">{}</td><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td></tr>"#,
            fmt_count(b.projects),
            format_yuan(b.budget),
            fmt_pct(b.share),
            fmt_score(b.mean_quality)
        )?;
    }
    let projects = bars.iter().fold(0u64, |acc, b| acc.saturating_add(b.projects));
    let share: f64 = bars.iter().map(|b| b.share).filter(|s| s.is_finite()).sum();
    writeln!(
        o,
        r#"<tr class="sum"><td></td><td>合计 <span class="en">Total</span></td>{}<td class="num">{}</td><td class="num">{}</td><td class="num">{}</td><td class="num">{}</td></tr>"#,
        if show_region { "<td></td>" } else { "" },
        fmt_count(projects),
        format_yuan(sum),
        fmt_pct(share),
        fmt_score(d.totals.mean_project_score)
    )?;
    writeln!(o, "</tbody></table>")?;
    writeln!(o, "</section>")
}

pub(super) fn html_histogram(o: &mut String, d: &ReportData) -> fmt::Result {
    writeln!(o, r#"<section id="scores">"#)?;
    h2(o, 2)?;
    let h = &d.score_histogram;
    if h.is_empty() {
        html_no_data(o)?;
        return writeln!(o, "</section>");
    }
    writeln!(o, "<figure>")?;
    svg_histogram(o, h)?;
    writeln!(
        o,
        r#"<figcaption>按项目质量评分分组的项目数，共 {} 个项目；平均 {} 分。<span class="en">Projects per score bucket.</span></figcaption>"#,
        fmt_count(histogram_total(h)),
        fmt_score(d.totals.mean_project_score)
    )?;
    writeln!(o, "</figure>")?;
    writeln!(o, "</section>")
}

pub(super) fn html_categories(o: &mut String, d: &ReportData) -> fmt::Result {
    writeln!(o, r#"<section id="categories">"#)?;
    h2(o, 3)?;
    let cats = &d.categories;
    if cats.is_empty() {
        html_no_data(o)?;
        return writeln!(o, "</section>");
    }
    writeln!(o, "<figure>")?;
    svg_categories(o, cats)?;
    writeln!(
        o,
        r#"<figcaption>各二级指标中不同指标值类型的占比；右侧为指标数和平均评分。<span class="en">Share of value kinds per level-2 category; indicator count and mean score on the right.</span></figcaption>"#
    )?;
    writeln!(o, "</figure>")?;
    writeln!(
        o,
        "<table><thead><tr>{}{}{}{}{}{}{}{}</tr></thead><tbody>",
        th("一级指标", "Level 1", false),
        th("二级指标", "Level 2", false),
        th("指标数", "Indicators", true),
        th("定量", "Quantitative", true),
        th("定性", "Qualitative", true),
        th("占位", "Placeholder", true),
        th("空白", "Empty", true),
        th("平均评分", "Mean score", true),
    )?;
    for c in cats {
        let figures: String = category_figures(c).iter().map(|f| format!(r#"<td class="num">{f}</td>"#)).collect();
        writeln!(
            o,
            "<tr><td>{}</td><td>{}</td>{figures}</tr>",
            html_code_label(&c.level1_code, level1_label(&c.level1_code)),
            html_code_label(&c.level2_code, level2_label(&c.level2_code)),
        )?;
    }
    writeln!(o, "</tbody></table>")?;
    writeln!(o, "</section>")
}

pub(super) fn html_code_label(code: &str, zh: Option<&str>) -> String {
    match zh {
        Some(zh) => format!(r#"{zh}<span class="en">{}</span>"#, esc_html(code)),
        None => esc_html(code),
    }
}

pub(super) fn html_flags(o: &mut String, d: &ReportData) -> fmt::Result {
    writeln!(o, r#"<section id="flags">"#)?;
    h2(o, 4)?;
    if d.flags.is_empty() {
        html_no_data(o)?;
        return writeln!(o, "</section>");
    }
    writeln!(
        o,
        "<table><thead><tr>{}{}{}{}{}</tr></thead><tbody>",
        th("#", "", true),
        th("标记", "Flag", false),
        th("次数", "Count", true),
        th("占指标", "Of indicators", true),
        th("示例", "Examples", false),
    )?;
    for (i, f) in d.flags.iter().enumerate() {
        write!(
            o,
            r#"<tr><td class="num">{}</td><td><code>{}</code><div class="desc">{}</div></td><td class="num">{}</td><td class="num">{}</td><td>"#,
            i + 1,
            esc_html(&f.flag),
            esc_html(&f.description),
            fmt_count(f.count),
            fmt_pct(ratio(f.count, d.totals.indicators)),
        )?;
        if f.examples.is_empty() {
            write!(o, "{DASH}")?;
        } else {
            write!(o, r#"<ul class="ex">"#)?;
            for e in f.examples.iter().take(MAX_EXAMPLES) {
                write!(
                    o,
                    r#"<li><span class="ctx">{} · {}</span><br>{}：{}</li>"#,
                    esc_html(&e.budget_unit),
                    esc_html(&e.project_name),
                    esc_html(&e.level3),
                    example_value(&e.value, esc_html),
                )?;
            }
            write!(o, "</ul>")?;
        }
        writeln!(o, "</td></tr>")?;
    }
    writeln!(o, "</tbody></table>")?;
    writeln!(o, "</section>")
}

pub(super) fn html_projects(o: &mut String, d: &ReportData) -> fmt::Result {
    writeln!(o, r#"<section id="projects">"#)?;
    h2(o, 5)?;
    if d.top_projects.is_empty() {
        html_no_data(o)?;
        return writeln!(o, "</section>");
    }
    writeln!(
        o,
        "<table><thead><tr>{}{}{}{}{}{}</tr></thead><tbody>",
        th("#", "", true),
        th("单位", "Budget unit", false),
        th("项目", "Project", false),
        th("年度预算（元）", "Annual budget (yuan)", true),
        th("质量评分", "Score", true),
        th("标记", "Flags", false),
    )?;
    for (i, p) in d.top_projects.iter().enumerate() {
        let score = finite(p.quality_score);
        let meter = score.map_or_else(String::new, |s| {
            format!(r#"<span class="meter"><span style="width:{:.1}%"></span></span>"#, s.clamp(0.0, 100.0))
        });
        let flags = if p.flags.is_empty() {
            DASH.to_string()
        } else {
            p.flags.iter().map(|f| format!(r#"<span class="flag">{}</span>"#, esc_html(f))).collect()
        };
        writeln!(
            o,
            r#"<tr><td class="num">{}</td><td>{}</td><td>{}</td><td class="num">{}</td><td class="num">{meter}{}</td><td>{flags}</td></tr>"#,
            i + 1,
            esc_html(&p.budget_unit),
            esc_html(&p.project_name),
            format_yuan(p.annual_budget_yuan),
            fmt_score(score),
        )?;
    }
    writeln!(o, "</tbody></table>")?;
    writeln!(o, "</section>")
}

pub(super) fn html_how_to_read(o: &mut String) -> fmt::Result {
    writeln!(o, r#"<section id="how-to-read">"#)?;
    h2(o, 6)?;
    writeln!(o, r#"<ul class="note">"#)?;
    for (zh, en) in HOW_TO_READ {
        writeln!(o, r#"<li>{}<span class="en">{}</span></li>"#, esc_html(zh), esc_html(en))?;
    }
    writeln!(o, "</ul>")?;
    writeln!(o, "</section>")
}
