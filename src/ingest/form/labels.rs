//! Stage 4, form: the form's vocabulary: label predicates, level1/level2 codes, `label：value` fields.

use super::amount::parse_amount;
use crate::ingest::layout::stream::{RunKind, Vocabulary};
use crate::ingest::text::{clean, label_key, label_key_within, years};

pub(super) enum TextField {
    ProjectName,
    Department,
    Implementing,
    BudgetUnit,
}

pub(super) enum Amount {
    Midterm,
    Annual,
}

pub(super) fn is_title(key: &str) -> bool {
    key.contains("绩效目标")
        && (key.ends_with('表') || key.contains("批复表") || key.contains("申报表"))
        && key.chars().count() <= 40
}

/// `（ 2020 年度）`, `(2022年度)`, `2019年度`: a short line naming the budget year.
pub(super) fn year_line(cell: &str) -> Option<i32> {
    let compact: String = cell.chars().map(crate::ingest::text::fold_width).filter(|c| !c.is_whitespace()).collect();
    let inner = compact.trim_start_matches('(').trim_end_matches(')');
    if inner.chars().count() > 12 || !inner.contains("年度") || inner.contains("目标") {
        return None;
    }
    years(inner).first().copied()
}

pub(super) fn region_of(title: &str) -> Option<String> {
    let key = label_key(title);
    let cut = ["财政", "项目支出", "绩效"].iter().filter_map(|m| key.find(m)).min()?;
    let prefix = &key[..cut];
    let ends = ['市', '省', '区', '县', '州', '盟', '旗'];
    (!prefix.is_empty() && prefix.ends_with(ends)).then(|| prefix.to_string())
}

/// Labels of `label：value` lines above a form (and the ones that end a value on such a line).
pub(super) const COLON_LABELS: &[&str] = &[
    "预算单位",
    "单位名称",
    "填报单位",
    "部门名称",
    "申报单位",
    "编制单位",
    "项目单位",
    "主管部门",
    "金额单位",
    "计量单位",
    "单位",
    "填报日期",
    "日期",
    "填报人",
    "联系人",
    "联系电话",
    "电话",
    "审核人",
    "负责人",
    "编号",
];

/// Splits `单位名称：中山市市场监督管理局填报日期：2023年10月12日金额单位：万元` into
/// (label, value) pairs. PDF and web extractions run such fields together on one line, so a
/// value ends where the next known label begins.
pub(super) fn colon_fields(cell: &str) -> Vec<(&'static str, String)> {
    let text: String = cell.chars().map(crate::ingest::text::fold_width).collect();
    let mut found: Vec<(&'static str, usize, usize)> = Vec::new(); // (label, label start, value start)
    for (p, _) in text.match_indices(':') {
        let mut pre = text[..p].trim_end();
        // 预算单位（盖章）： the bracketed remark belongs to the label.
        if pre.ends_with(')')
            && let Some(open) = pre.rfind('(')
        {
            pre = pre[..open].trim_end();
        }
        let label = COLON_LABELS.iter().filter(|l| pre.ends_with(*l)).max_by_key(|l| l.len());
        if let Some(l) = label {
            found.push((l, pre.len() - l.len(), p + 1));
        }
    }
    let mut out = Vec::new();
    for (i, &(label, _, start)) in found.iter().enumerate() {
        let end = found.get(i + 1).map_or(text.len(), |n| n.1);
        if end > start {
            out.push((label, clean(&text[start..end])));
        }
    }
    out
}

pub(super) fn text_field(key: &str) -> Option<TextField> {
    Some(match key {
        "项目名称" => TextField::ProjectName,
        "主管部门" | "主管单位" | "主管部门及代码" => TextField::Department,
        "实施单位" | "项目实施单位" => TextField::Implementing,
        "预算单位" | "单位名称" | "申报单位" => TextField::BudgetUnit,
        _ => return None,
    })
}

pub(super) fn amount_field(key: &str) -> Option<Amount> {
    if key.starts_with("其中") || key.contains("其他资金") || key.contains("结转") || key.contains("拨款") {
        return None;
    }
    if !(key.contains("预算") || key.contains("资金") || key.contains("金额")) || key.contains("目标") {
        return None;
    }
    if key.contains("本年") || key.contains("年度") || key.contains("当年") {
        Some(Amount::Annual)
    } else if key.contains("中期") || key.contains("项目资金总额") || key.contains("总预算") || key == "资金总额"
    {
        Some(Amount::Midterm)
    } else {
        None
    }
}

pub(super) fn is_amount_label(key: &str) -> bool {
    amount_field(key).is_some()
}

/// `Some(true)` for a mid-term (multi-year) goal label, `Some(false)` for an annual one.
pub(super) fn goal_label(key: &str) -> Option<bool> {
    // Labels are short and end in 目标; a goal text that mentions 年度目标 is not a label.
    if !key.ends_with("目标") || key.contains("指标") || key.chars().count() > 10 {
        return None;
    }
    if key.starts_with("中期") || key.starts_with("项目总") || key.starts_with("长期") || key.contains("滚动")
    {
        Some(true)
    } else if key.starts_with("年度") || key.starts_with("本年") || key.starts_with("当年") {
        Some(false)
    } else {
        None
    }
}

pub(super) fn date_label(key: &str) -> Option<bool> {
    match key {
        "计划开始日期" | "开始日期" | "项目开始日期" | "计划开始时间" => Some(true),
        "计划完成日期" | "完成日期" | "项目完成日期" | "计划完成时间" | "计划结束日期" => {
            Some(false)
        }
        _ => None,
    }
}

/// Labels of the head block: a cell like this is never a value.
pub(super) fn is_head_label(key: &str) -> bool {
    text_field(key).is_some()
        || is_amount_label(key)
        || goal_label(key).is_some()
        || date_label(key).is_some()
        || matches!(key, "总体目标" | "绩效指标" | "项目性质" | "项目类别" | "项目资金")
        || key.starts_with("项目资金")
}

pub(super) fn is_opinion_label(key: &str) -> bool {
    key.chars().count() <= 16 && (key.contains("批复意见") || key.contains("审核意见") || key.contains("审批意见"))
}

/// The row-block label in the first column (绩效指标, 项目绩效目标).
pub(super) fn is_block_label(key: &str) -> bool {
    matches!(key, "绩效指标" | "绩效目标" | "项目绩效目标" | "项目绩效指标" | "年度绩效指标")
}

pub(super) fn is_value_label(key: &str) -> bool {
    key.contains("指标值")
        || key.ends_with("目标值")
        || key.ends_with("计划值")
        || key.ends_with("预期值")
        || key == "计划水平"
        || key == "标准值"
}

/// 一级 labels that are never 二级 labels.
pub(super) fn is_pure_l1(key: &str) -> bool {
    matches!(
        key,
        "产出指标" | "预期产出指标" | "效益指标" | "效果指标" | "预期效果指标" | "预期效益指标" | "满意度指标"
    )
}

pub(super) fn is_l1_label(key: &str) -> bool {
    is_pure_l1(key) || matches!(key, "成本指标" | "产出" | "效益" | "效果" | "满意度" | "成本")
}

/// A lone cell that reads as a target (digits, ≥, %) rather than a 三级 name.
pub(super) fn looks_like_value(text: &str) -> bool {
    text.is_empty()
        || text.chars().any(|c| c.is_ascii_digit() || matches!(c, '≥' | '≤' | '%' | '％' | '>' | '<' | '=' | '±'))
        || ["无", "—", "/", "-"].contains(&text)
}

/// 二级 labels some forms print without 指标 (数量, 社会效益, 服务对象满意度). Only trusted in the
/// 二级 column of a row that lines up with its header: as free text they are also 三级 names.
pub(super) fn is_short_l2(key: &str) -> bool {
    matches!(
        key,
        "数量"
            | "质量"
            | "时效"
            | "成本"
            | "效益"
            | "社会效益"
            | "经济效益"
            | "生态效益"
            | "可持续影响"
            | "满意度"
            | "服务对象满意度"
            | "经济成本"
            | "社会成本"
            | "生态环境成本"
            | "社会经济生态效益"
    )
}

pub(super) fn is_l2_label(key: &str) -> bool {
    let n = key.chars().count();
    key.ends_with("指标") && (3..=16).contains(&n) && !is_pure_l1(key) || key == "成本指标"
}

pub fn level1_code(key: &str) -> &'static str {
    if key.contains("产出") {
        "output"
    } else if key.contains("满意") {
        "satisfaction"
    } else if key.contains("效益") || key.contains("效果") {
        "outcome"
    } else if key.contains("成本") {
        "cost"
    } else {
        "other"
    }
}

pub fn level2_code(key: &str) -> &'static str {
    let benefits = ["社会", "经济", "生态"].iter().filter(|w| key.contains(*w)).count();
    if key.contains("数量") || key.contains("建筑规模") {
        "quantity"
    } else if key.contains("质量") {
        "quality"
    } else if key.contains("时效") || key.contains("工期") || key.contains("进度") {
        "timeliness"
    } else if key.contains("成本") || key.contains("预算") || key.contains("投资") {
        "cost"
    } else if benefits >= 2 {
        "combined_benefit"
    } else if key.contains("社会") {
        "social_benefit"
    } else if key.contains("经济") {
        "economic_benefit"
    } else if key.contains("生态") || key.contains("环境") {
        "ecological_benefit"
    } else if key.contains("可持续") {
        "sustainability"
    } else if key.contains("满意") {
        "satisfaction"
    } else {
        "other"
    }
}

/// The form's words for the layout stage's text-run reader, which rebuilds rows from them.
#[derive(Debug, Clone, Copy, Default)]
pub struct FormLabels;

impl Vocabulary for FormLabels {
    fn kind(&self, run: &str) -> RunKind {
        label_key_within(run, LABEL_MAX_CHARS).map_or(RunKind::Other, |key| run_kind(&key))
    }
    fn is_whole_label(&self, run: &str) -> bool {
        label_key_within(run, LABEL_MAX_CHARS).is_some_and(|key| known_label(&key))
    }
    fn is_year_line(&self, run: &str) -> bool {
        year_line(run).is_some()
    }
    fn is_level1(&self, run: &str) -> bool {
        label_key_within(run, LABEL_MAX_CHARS).is_some_and(|key| is_l1_label(&key))
    }
    fn is_amount(&self, run: &str) -> bool {
        parse_amount(run).is_some()
    }
}

/// A complete label of the form's vocabulary, not a fragment that happens to end in 指标.
fn known_label(key: &str) -> bool {
    match run_kind(key) {
        RunKind::Other => false,
        RunKind::L2 => level2_code(key) != "other",
        _ => true,
    }
}

/// The longest key a label of the form's vocabulary has (in characters).
const LABEL_MAX_CHARS: usize = 20;

fn run_kind(key: &str) -> RunKind {
    if key.chars().count() > LABEL_MAX_CHARS {
        // Labels are short; a long run is narrative or a value that mentions a label.
        return RunKind::Other;
    }
    if is_title(key) {
        RunKind::Title
    } else if matches!(key, "一级指标" | "二级指标" | "三级指标") || is_value_label(key) {
        RunKind::Header
    } else if is_block_label(key) {
        RunKind::Block
    } else if goal_label(key).is_some() {
        RunKind::Goal
    } else if is_opinion_label(key) {
        RunKind::Opinion
    } else if is_head_label(key)
        || matches!(key, "项目性质" | "项目类别" | "项目资金")
        || key.starts_with("其中")
        || key.ends_with("资金") && key.chars().count() <= 8
    {
        RunKind::Head
    } else if is_pure_l1(key) {
        RunKind::L1
    } else if is_l2_label(key) {
        RunKind::L2
    } else {
        RunKind::Other
    }
}
