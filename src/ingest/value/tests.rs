use std::str::FromStr;

use super::*;
use ValueKind::{Empty, Placeholder, Qualitative, Quantitative};

fn d(s: &str) -> Decimal {
    Decimal::from_str(s).unwrap()
}

/// value, level3, level2, unit column -> op, number, unit, kind
type ReadCase = (
    &'static str,
    &'static str,
    &'static str,
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
    Option<&'static str>,
    ValueKind,
);

#[rustfmt::skip]
const READ_CASES: &[ReadCase] = &[
    ("≥90%", "服务对象满意度", "满意度指标", None, Some(">="), Some("90"), Some("%"), Quantitative),
    ("237个直管党组织", "数量", "数量指标（或建筑规模指标）", None, None, Some("237"), Some("个"), Quantitative),
    ("不少于3个", "培训场次", "数量指标", None, Some(">="), Some("3"), Some("个"), Quantitative),
    ("=100.00(%)", "违法建筑销项正确率", "质量指标", None, Some("="), Some("100.00"), Some("%"), Quantitative),
    ("≤181万元", "成本控制", "成本指标", None, Some("<="), Some("181"), Some("万元"), Quantitative),
    ("±3%以内", "补助款结算误差率", "质量指标", None, Some("±"), Some("3"), Some("%"), Quantitative),
    ("6月底前完成", "完成时间", "时效指标", None, None, Some("6"), Some("月"), Quantitative),
    ("控制在123万元以内", "项目总成本", "成本指标", None, Some("<="), Some("123"), Some("万元"), Quantitative),
    ("满意度不低于85%", "满意度", "满意度指标", None, Some(">="), Some("85"), Some("%"), Quantitative),
    ("合格率>=80%", "达标率", "质量指标", None, Some(">="), Some("80"), Some("%"), Quantitative),
    ("不超过5天", "办结时限", "时效指标", None, Some("<="), Some("5"), Some("天"), Quantitative),
    ("低于2%", "事故发生率", "质量指标", None, Some("<"), Some("2"), Some("%"), Quantitative),
    ("＞９５％", "合格率", "质量指标", None, Some(">"), Some("95"), Some("%"), Quantitative),
    ("１，２３４．５元", "补贴", "成本指标", None, None, Some("1234.5"), Some("元"), Quantitative),
    ("1,234.5万元", "补贴", "成本指标", None, None, Some("1234.5"), Some("万元"), Quantitative),
    ("10个工作日", "办结时限", "时效指标", None, None, Some("10"), Some("个工作日"), Quantitative),
    ("90%以上", "知晓率", "社会效益指标", None, Some(">="), Some("90"), Some("%"), Quantitative),
    ("三个", "培训班", "数量指标", None, None, Some("3"), Some("个"), Quantitative),
    ("二十五人次", "培训人次", "数量指标", None, None, Some("25"), Some("人次"), Quantitative),
    ("百分之九十", "满意度", "满意度指标", None, None, Some("90"), Some("%"), Quantitative),
    ("3", "镇街补助款完成结算项目数", "数量指标", None, None, Some("3"), None, Quantitative),
    ("3", "完成项目数", "数量指标", Some("个"), None, Some("3"), Some("个"), Quantitative),
    ("95", "合格率", "质量指标", Some("％"), None, Some("95"), Some("%"), Quantitative),
    ("减少17起", "长效机制", "可持续影响指标", None, None, Some("17"), Some("起"), Quantitative),
    ("2021年底前完成", "完成时间", "时效指标", None, None, Some("2021"), Some("年"), Quantitative),
    ("10余个", "项目数", "数量指标", None, None, Some("10"), Some("个"), Quantitative),
    ("50万人次", "服务人次", "数量指标", None, None, Some("50"), Some("万人次"), Quantitative),
    ("985米", "道路建设长度", "数量指标", None, None, Some("985"), Some("米"), Quantitative),
    ("20km", "道路长度", "数量指标", None, None, Some("20"), Some("km"), Quantitative),
    ("20-30人", "参训人数", "数量指标", None, None, Some("20"), Some("人"), Quantitative),
    ("2020--2022年", "项目周期", "时效指标", None, None, Some("2020"), Some("年"), Quantitative),
    // Full-width punctuation is CJK text but never a one-char unit.
    ("约5，视情况增加", "培训场次", "数量指标", None, None, Some("5"), None, Quantitative),
    ("0%", "补助款结算争议率", "效益指标", None, None, Some("0"), Some("%"), Quantitative),
    ("全年", "时效", "时效指标", None, None, None, None, Qualitative),
    ("良好", "效益", "社会、经济、生态效益指标", None, None, None, None, Qualitative),
    ("满意", "满意度", "满意度指标", None, None, None, None, Qualitative),
    ("可持续", "可持续性", "可持续影响指标", None, None, None, None, Qualitative),
    ("一站式服务", "服务方式", "质量指标", None, None, None, None, Qualitative),
    ("十分满意", "满意度", "满意度指标", None, None, None, None, Qualitative),
    ("2022年至2024年持续推进档案数字化加工，做好相关工作，确保规范管理。", "合格率", "质量指标", None, None, None, None, Qualitative),
    ("1、建立完善的日常维护体系，促进系统稳定运行。2、延长系统使用周期。", "质量", "质量指标", None, None, None, None, Qualitative),
    ("依据财预〔2015〕88号文件执行", "质量", "质量指标", None, None, None, None, Qualitative),
    ("数量", "数量", "数量指标（或建筑规模指标）", None, None, None, None, Placeholder),
    ("预算执行率", "预算执行率", "预算（或投资规模）控制指标", None, None, None, None, Placeholder),
    ("时效", "完成时间", "时效指标（工期指标）", None, None, None, None, Placeholder),
    ("满意度", "群众满意度", "服务对象满意度指标", None, None, None, None, Placeholder),
    ("", "满意度", "满意度指标", None, None, None, None, Empty),
    ("无", "数量", "数量指标", None, None, None, None, Empty),
    ("／", "数量", "数量指标", None, None, None, None, Empty),
    ("—", "数量", "数量指标", None, None, None, None, Empty),
    (" - ", "数量", "数量指标", None, None, None, None, Empty),
];

#[test]
fn reads_values() {
    for (value, l3, l2, uc, op, num, unit, kind) in READ_CASES {
        let r = read_value(value, l3, l2, *uc);
        assert_eq!(r.kind, *kind, "kind of {value:?}");
        assert_eq!(r.op, *op, "op of {value:?}");
        assert_eq!(r.number, num.map(d), "number of {value:?}");
        assert_eq!(r.unit.as_deref(), *unit, "unit of {value:?}");
    }
    assert_eq!(Quantitative.as_str(), "quantitative");
    assert_eq!(Placeholder.as_str(), "placeholder");
}

#[test]
fn punctuation_is_the_same_set_as_the_string_it_was_searched_in() {
    const PUNCT: &str = "!\"#'*,.:;?@\\^_`|~、。，；：？！…·“”‘’";
    for c in (0..0x1_0000u32).filter_map(char::from_u32) {
        assert_eq!(super::is_punct(c), PUNCT.contains(crate::ingest::text::fold_width(c)), "{c:?}");
    }
}

/// The placeholder test as it read before it was given the names' cores: each name's core
/// taken for every value, after a substring search that skips it when nothing can fold.
fn placeholder_of_names(v: &str, level3: &str, level2: &str) -> bool {
    if v.len() > 150 {
        return false;
    }
    let cv = core_label(v);
    if cv.is_empty() {
        return false;
    }
    let cv_plain = !may_fold(cv);
    let same = |name: &str| {
        if cv_plain && !name.contains(cv) && !may_fold(name) {
            return false;
        }
        let c = core_label(name);
        !c.is_empty() && loose_eq(cv, c)
    };
    same(level3) || same(level2) || is_generic_label(Core::of(v))
}

#[test]
fn a_placeholder_is_told_from_the_names_cores_as_from_the_names() {
    let pieces = [
        "数量",
        "质量",
        "指标",
        "指标值",
        "（",
        "(",
        "）",
        "1、",
        "2.",
        "．",
        " ",
        "\u{3000}",
        "Ａ",
        "A",
        "“",
        "”",
        "率",
        "满意度",
        "：",
        "，",
        "≥",
        "90%",
        "服务对象",
        "",
        "\t",
    ];
    let mut rng = fastrand::Rng::with_seed(11);
    let text = |rng: &mut fastrand::Rng| -> String {
        let n = rng.usize(0..5);
        (0..n).map(|_| pieces[rng.usize(..pieces.len())]).collect()
    };
    let mut placeholders = 0;
    for _ in 0..100_000 {
        let (v, l3, l2) = (text(&mut rng), text(&mut rng), text(&mut rng));
        let v = trim_cell(&v);
        let want = placeholder_of_names(v, &l3, &l2);
        assert_eq!(is_placeholder(v, Core::of(&l3), Core::of(&l2)), want, "{v:?} {l3:?} {l2:?}");
        placeholders += usize::from(want);
    }
    assert!(placeholders > 1_000, "{placeholders}");
}
