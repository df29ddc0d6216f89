//! Stage 8, report: renders the yearly summary as self-contained HTML and Markdown, and its
//! tables as an `.xlsx` workbook (`xlsx`).
//!
//! The numbers are computed upstream, once, by `analytics` into its `model`; this module only
//! lays them out: `views` (what both formats draw), `format` (numbers, escaping), `svg` (charts),
//! `html`, `markdown`.
//! A few rules shape everything below:
//!
//! - The HTML is a single file that must read the same offline and on paper: no
//!   script, no network, no web font. Charts are inline SVG built as strings and
//!   all styling sits in one `<style>` block with a system CJK font stack.
//! - Money stays `Decimal` in everything that is printed. `f64` is only used for
//!   bar geometry, where a rounding error is a sub-pixel error, never a wrong number.
//! - Every string that comes from scraped data is hostile until escaped, and it is
//!   escaped where it is written (`esc_html`, `esc_md`), not earlier, so that
//!   truncation can never cut an entity or an escape in half.
//! - The output is deterministic (no timestamp) so two runs can be diffed.
//! - Nothing here panics: empty inputs render "无数据 / No data", zero bases render
//!   "—", and non-finite floats from upstream means are treated as missing.

mod format;
mod html;
mod markdown;
mod svg;
#[cfg(test)]
mod tests;
mod views;
mod xlsx;

use crate::analytics::model::ReportData;

pub use format::format_yuan;
pub use xlsx::{XlsxWriteError, write_xlsx, xlsx_bytes};

/// Units drawn individually; the rest are summed into one "其他" bar so the
/// chart stays readable when a region has hundreds of units.
const TOP_UNITS: usize = 10;
const MAX_EXAMPLES: usize = 3;
/// Indicator values can be whole paragraphs; examples only need the gist.
const EXAMPLE_VALUE_CHARS: usize = 80;
/// Width of every chart in SVG user units; the CSS scales it down on narrow pages.
const CHART_W: f64 = 880.0;
/// Width in characters of the text bars in the Markdown version.
const TEXT_BAR_W: usize = 20;
const DASH: &str = "—";

const C_BAR: &str = "#2b5c8a";
const C_REST: &str = "#9aa5b1";
/// Quantitative, qualitative, placeholder, empty. Placeholder is amber because it
/// is the one kind an analyst has to look at; empty is neutral grey.
const C_KINDS: [&str; 4] = ["#2b5c8a", "#9ebfdc", "#e0a93b", "#d5d9de"];
/// Whether the segment label on top of each colour must be white to stay legible.
const KIND_TEXT_INVERTED: [bool; 4] = [true, false, false, false];
const KIND_LABELS: [(&str, &str); 4] =
    [("定量", "quantitative"), ("定性", "qualitative"), ("占位", "placeholder"), ("空白", "empty")];
const KIND_GLYPHS: [char; 4] = ['█', '▓', '▒', '░'];

const SECTIONS: [(&str, &str); 7] = [
    ("总体情况", "Totals"),
    ("各单位年度预算", "Annual budget by unit"),
    ("项目质量评分分布", "Distribution of project quality scores"),
    ("各类指标的量化程度", "Quantified targets by indicator category"),
    ("最常见的问题标记", "Most frequent flags"),
    ("预算最大的项目", "Largest projects by annual budget"),
    ("阅读说明", "How to read this report"),
];

/// (Chinese, English) pairs; constant text, shared by both formats.
const HOW_TO_READ: [(&str, &str); 6] = [
    (
        "质量评分：每个项目 0–100 分，按 docs/quality.md 中的规则计算；分数越高，绩效目标越具体、越可衡量。",
        "Quality score: 0–100 per project, computed with the rules in docs/quality.md; higher means more specific, measurable targets.",
    ),
    (
        "指标值类型：定量 = 可核验的数值目标；定性 = 文字描述；占位 = 没有给出实际目标的套话；空白 = 未填写。判定规则见 docs/quality.md。",
        "Value kinds: quantitative = a checkable numeric target; qualitative = a verbal description; placeholder = boilerplate that sets no real target; empty = not filled in. Rules in docs/quality.md.",
    ),
    (
        "金额单位为元，以十进制精确计算到分，不经浮点运算；“其他 (N units)”为前 10 名以外所有单位的合计。",
        "Amounts are in yuan, computed exactly to the fen with decimal arithmetic; \"其他 (N units)\" sums every unit outside the top 10.",
    ),
    (
        "同比：与上一年度比较；“—”表示没有上年数据或上年数值为零；pp 为百分点。",
        "Year over year: compared with the year before; \"—\" means no previous year or a zero base; pp = percentage points.",
    ),
    (
        "重复副本：同一张表以多个文件发布（不同网址、编码或格式）时只计一次；“合并的重复副本”为未计入的副本数，明细见 stats/duplicate_projects。",
        "Copies: a table published in several files (other URLs, encodings or formats) counts once; \"Copies collapsed\" is the number of copies left out, listed in stats/duplicate_projects.",
    ),
    (
        "问题标记：一条指标可能同时触发多个标记；示例只是抽样，每个标记最多 3 条。",
        "Flags: one indicator can raise several flags; examples are a sample of at most 3 per flag.",
    ),
];

/// Renders the report as one self-contained HTML document.
pub fn render_html(d: &ReportData) -> String {
    let mut out = String::with_capacity(64 * 1024);
    // Writing into a String cannot fail; the fmt::Result only exists because of
    // the Write trait, so ignoring it loses nothing.
    let _ = html::write_html(&mut out, d);
    out
}

/// Renders the report as GitHub-flavoured Markdown (tables and text bars
/// instead of SVG charts).
pub fn render_markdown(d: &ReportData) -> String {
    let mut out = String::with_capacity(32 * 1024);
    // See render_html: writing into a String cannot fail.
    let _ = markdown::write_markdown(&mut out, d);
    out
}
