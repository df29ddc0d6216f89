//! Stage 8, report: the report's tables as an `.xlsx` workbook for finance staff who work in Excel.
//!
//! Two rules keep a spreadsheet from lying or attacking its reader:
//!
//! - Text from disclosures is always a string cell (`write_string`), never a formula, however
//!   it starts: a project named `=HYPERLINK(…)` or `+1` or `@SUM` stays that text. Such a cell
//!   also gets Excel's quote prefix, so editing it and pressing Enter does not turn it into a
//!   formula either.
//! - Money comes from the exact `Decimal`s. Excel numbers are doubles, which hold any amount of
//!   up to 15 significant digits exactly to the fen once rounded to 2 decimals (the number
//!   format shows 2); an amount of 16 or more significant digits (over 9,999,999,999,999.99
//!   yuan) is written as its exact decimal text instead, never as a rounded number.

use std::path::Path;

use rust_decimal::Decimal;
use rust_xlsxwriter::{DocProperties, ExcelDateTime, Format, Workbook, Worksheet, XlsxError};

use crate::analytics::model::ReportData;

/// Excel's limit on the characters (UTF-16 code units) of one cell.
const MAX_CELL_UTF16: usize = 32_767;
/// Amounts whose cents fit in this many digits are exact as doubles.
const EXACT_DIGITS: u32 = 15;

#[derive(Debug, thiserror::Error)]
#[error("writing the workbook {path}: {source}")]
pub struct XlsxWriteError {
    path: std::path::PathBuf,
    source: XlsxError,
}

/// Writes the report's tables to `path` as a workbook: totals, units, indicator categories,
/// flags and the largest projects, one sheet each.
pub fn write_xlsx(d: &ReportData, path: &Path) -> Result<(), XlsxWriteError> {
    let err = |source| XlsxWriteError { path: path.to_path_buf(), source };
    let mut wb = workbook(d).map_err(err)?;
    wb.save(path).map_err(err)
}

/// The workbook in memory, for tests and callers that write elsewhere.
pub fn xlsx_bytes(d: &ReportData) -> Result<Vec<u8>, XlsxError> {
    workbook(d)?.save_to_buffer()
}

struct Formats {
    head: Format,
    money: Format,
    share: Format,
    score: Format,
}

fn workbook(d: &ReportData) -> Result<Workbook, XlsxError> {
    let mut wb = Workbook::new();
    // A fixed creation time keeps two runs' workbooks byte-comparable, like the HTML.
    wb.set_properties(&DocProperties::new().set_creation_datetime(&ExcelDateTime::from_ymd(2000, 1, 1)?));
    let f = Formats {
        head: Format::new().set_bold(),
        money: Format::new().set_num_format("#,##0.00"),
        share: Format::new().set_num_format("0.0%"),
        score: Format::new().set_num_format("0.0"),
    };
    totals_sheet(wb.add_worksheet(), d, &f)?;
    units_sheet(wb.add_worksheet(), d, &f)?;
    categories_sheet(wb.add_worksheet(), d, &f)?;
    flags_sheet(wb.add_worksheet(), d, &f)?;
    projects_sheet(wb.add_worksheet(), d, &f)?;
    Ok(wb)
}

fn header(ws: &mut Worksheet, name: &str, cols: &[&str], f: &Formats) -> Result<(), XlsxError> {
    ws.set_name(name)?;
    for (c, h) in cols.iter().enumerate() {
        ws.write_string_with_format(0, c as u16, *h, &f.head)?;
        ws.set_column_width(c as u16, if c == 0 { 28 } else { 16 })?;
    }
    ws.set_freeze_panes(1, 0)?;
    Ok(())
}

/// Text from a disclosure: always a string cell, cut to what a cell holds.
fn text(ws: &mut Worksheet, row: u32, col: u16, s: &str) -> Result<(), XlsxError> {
    // The characters that start a formula (or a DDE payload) when a cell is typed in.
    const FORMULA_START: [char; 6] = ['=', '+', '-', '@', '\t', '\r'];
    let mut units = 0;
    let end = s
        .char_indices()
        .find(|(_, c)| {
            units += c.len_utf16();
            units > MAX_CELL_UTF16
        })
        .map_or(s.len(), |(i, _)| i);
    if s.starts_with(FORMULA_START) {
        ws.write_string_with_format(row, col, &s[..end], &Format::new().set_quote_prefix())?;
    } else {
        ws.write_string(row, col, &s[..end])?;
    }
    Ok(())
}

fn money(ws: &mut Worksheet, row: u32, col: u16, v: Decimal, f: &Formats) -> Result<(), XlsxError> {
    let mut fen = v;
    fen.rescale(2);
    if fen.mantissa().unsigned_abs() < 10u128.pow(EXACT_DIGITS) {
        // Parsing the decimal text gives the nearest double, which prints back as the same
        // 15 significant digits, so Excel shows and sums the exact fen.
        let x: f64 = fen.to_string().parse().unwrap_or(0.0);
        ws.write_number_with_format(row, col, x, &f.money)?;
    } else {
        ws.write_string(row, col, fen.to_string())?;
    }
    Ok(())
}

fn count(ws: &mut Worksheet, row: u32, col: u16, n: u64) -> Result<(), XlsxError> {
    ws.write_number(row, col, n as f64)?;
    Ok(())
}

/// A float figure (share, score); missing and non-finite values leave the cell empty.
fn figure(ws: &mut Worksheet, row: u32, col: u16, v: Option<f64>, fmt: &Format) -> Result<(), XlsxError> {
    if let Some(x) = v.filter(|x| x.is_finite()) {
        ws.write_number_with_format(row, col, x, fmt)?;
    }
    Ok(())
}

fn totals_sheet(ws: &mut Worksheet, d: &ReportData, f: &Formats) -> Result<(), XlsxError> {
    let year = d.year.to_string();
    let prev = (d.year - 1).to_string();
    header(ws, "总体情况 Totals", &["指标 Metric", &year, &prev], f)?;
    let t = &d.totals;
    let p = d.previous.as_ref();
    let counts: [(&str, u64, Option<u64>); 4] = [
        ("项目数 Projects", t.projects, p.map(|p| p.projects)),
        ("合并的重复副本 Copies collapsed", t.copies_collapsed, p.map(|p| p.copies_collapsed)),
        ("预算单位数 Budget units", t.budget_units, p.map(|p| p.budget_units)),
        ("绩效指标数 Indicators", t.indicators, p.map(|p| p.indicators)),
    ];
    let mut row = 1;
    for (label, cur, before) in counts {
        ws.write_string(row, 0, label)?;
        count(ws, row, 1, cur)?;
        if let Some(b) = before {
            count(ws, row, 2, b)?;
        }
        row += 1;
    }
    let sums: [(&str, Decimal, Option<Decimal>); 2] = [
        ("年度预算（元） Annual budget (yuan)", t.annual_budget_yuan, p.map(|p| p.annual_budget_yuan)),
        ("中期预算（元） Mid-term budget (yuan)", t.midterm_budget_yuan, p.map(|p| p.midterm_budget_yuan)),
    ];
    for (label, cur, before) in sums {
        ws.write_string(row, 0, label)?;
        money(ws, row, 1, cur, f)?;
        if let Some(b) = before {
            money(ws, row, 2, b, f)?;
        }
        row += 1;
    }
    ws.write_string(row, 0, "项目平均质量评分 Mean project score (0–100)")?;
    figure(ws, row, 1, t.mean_project_score, &f.score)?;
    figure(ws, row, 2, p.and_then(|p| p.mean_project_score), &f.score)?;
    row += 1;
    ws.write_string(row, 0, "量化指标占比 Quantified targets")?;
    figure(ws, row, 1, t.quantified_share, &f.share)?;
    figure(ws, row, 2, p.and_then(|p| p.quantified_share), &f.share)?;
    Ok(())
}

fn units_sheet(ws: &mut Worksheet, d: &ReportData, f: &Formats) -> Result<(), XlsxError> {
    let cols = [
        "单位 Budget unit",
        "地区 Region",
        "项目数 Projects",
        "合并的重复副本 Copies collapsed",
        "年度预算（元） Annual budget (yuan)",
        "占比 Share",
        "平均质量评分 Mean score",
    ];
    header(ws, "各单位 Units", &cols, f)?;
    for (i, u) in d.units.iter().enumerate() {
        let r = i as u32 + 1;
        text(ws, r, 0, &u.budget_unit)?;
        text(ws, r, 1, u.region.as_deref().unwrap_or_default())?;
        count(ws, r, 2, u.projects)?;
        count(ws, r, 3, u.copies_collapsed)?;
        money(ws, r, 4, u.annual_budget_yuan, f)?;
        figure(ws, r, 5, Some(u.share), &f.share)?;
        figure(ws, r, 6, u.mean_quality, &f.score)?;
    }
    Ok(())
}

fn categories_sheet(ws: &mut Worksheet, d: &ReportData, f: &Formats) -> Result<(), XlsxError> {
    let cols = [
        "一级 Level 1",
        "二级 Level 2",
        "指标数 Indicators",
        "定量 Quantitative",
        "定性 Qualitative",
        "占位 Placeholder",
        "空白 Empty",
        "平均评分 Mean score",
    ];
    header(ws, "指标类别 Categories", &cols, f)?;
    for (i, c) in d.categories.iter().enumerate() {
        let r = i as u32 + 1;
        ws.write_string(r, 0, &c.level1_code)?;
        ws.write_string(r, 1, &c.level2_code)?;
        count(ws, r, 2, c.indicators)?;
        for (k, share) in [c.quantitative, c.qualitative, c.placeholder, c.empty].into_iter().enumerate() {
            figure(ws, r, 3 + k as u16, Some(share), &f.share)?;
        }
        figure(ws, r, 7, c.mean_score, &f.score)?;
    }
    Ok(())
}

fn flags_sheet(ws: &mut Worksheet, d: &ReportData, f: &Formats) -> Result<(), XlsxError> {
    let cols = ["标记 Flag", "说明 Description", "次数 Count", "示例单位 Example unit", "示例项目 Example project"];
    header(ws, "问题标记 Flags", &cols, f)?;
    for (i, fl) in d.flags.iter().enumerate() {
        let r = i as u32 + 1;
        ws.write_string(r, 0, &fl.flag)?;
        text(ws, r, 1, &fl.description)?;
        count(ws, r, 2, fl.count)?;
        if let Some(e) = fl.examples.first() {
            text(ws, r, 3, &e.budget_unit)?;
            text(ws, r, 4, &e.project_name)?;
        }
    }
    Ok(())
}

fn projects_sheet(ws: &mut Worksheet, d: &ReportData, f: &Formats) -> Result<(), XlsxError> {
    let cols =
        ["项目 Project", "单位 Budget unit", "年度预算（元） Annual budget (yuan)", "质量评分 Score", "标记 Flags"];
    header(ws, "最大项目 Largest projects", &cols, f)?;
    for (i, p) in d.top_projects.iter().enumerate() {
        let r = i as u32 + 1;
        text(ws, r, 0, &p.project_name)?;
        text(ws, r, 1, &p.budget_unit)?;
        money(ws, r, 2, p.annual_budget_yuan, f)?;
        figure(ws, r, 3, p.quality_score, &f.score)?;
        text(ws, r, 4, &p.flags.join(", "))?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use std::io::Read;
    use std::str::FromStr;

    use super::*;
    use crate::analytics::model::{ProjectLine, YearTotals};

    fn entry(bytes: &[u8], name: &str) -> String {
        let mut z = ::zip::ZipArchive::new(std::io::Cursor::new(bytes)).unwrap();
        let mut s = String::new();
        z.by_name(name).unwrap().read_to_string(&mut s).unwrap();
        s
    }

    fn sheet(bytes: &[u8], n: usize) -> String {
        entry(bytes, &format!("xl/worksheets/sheet{n}.xml"))
    }

    #[test]
    fn money_is_a_number_up_to_15_digits_and_exact_text_beyond() {
        let line = |name: &str, v: &str| ProjectLine {
            project_name: name.into(),
            annual_budget_yuan: Decimal::from_str(v).unwrap(),
            ..ProjectLine::default()
        };
        let d = ReportData {
            totals: YearTotals {
                annual_budget_yuan: Decimal::from_str("9999999999999.99").unwrap(),
                ..Default::default()
            },
            top_projects: vec![line("a", "1234567890123456.78"), line("b", "0.10"), line("-1", "12.345")],
            ..ReportData::default()
        };
        let bytes = xlsx_bytes(&d).unwrap();
        assert!(sheet(&bytes, 1).contains("<v>9999999999999.99</v>"), "15 digits: a number");
        let top = sheet(&bytes, 5);
        assert!(!top.contains("<v>1234567890123456"), "18 digits are not rounded into a double: {top}");
        assert!(top.contains("<v>0.1</v>"));
        assert!(top.contains("<v>12.35</v>") || top.contains("<v>12.34</v>"), "rounded to the fen: {top}");
        assert!(!top.contains("<f>"));
        let strings = entry(&bytes, "xl/sharedStrings.xml");
        assert!(strings.contains(">1234567890123456.78</t>"), "the exact amount as text: {strings}");
        assert!(strings.contains(">-1</t>"), "a name that looks like a number stays text");
    }
}
