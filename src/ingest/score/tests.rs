use super::*;
use crate::ingest::value::{Core, ValueKind, ValueReading, core_label, read_value, trim_cell};

fn score(l1: &str, l2c: &str, l2: &str, l3: &str, value: &str, goals: &[&str]) -> Scored {
    let (reading, value_words) = read_value_for_score(value, Core::of(l3), Core::of(l2), None);
    score_indicator(&IndicatorInput {
        level1_code: l1,
        level2_code: l2c,
        level2: l2,
        level3: l3,
        level3_core: Core::of(l3),
        value,
        reading: &reading,
        value_words: &value_words,
        goal_texts: goals,
    })
}

const GOAL: &str = "按照中国共产党党内统计工作要求，每半年全国各级党组织都要进行开展党内统计，数据逐级汇总上报。";

/// level1 code, level2 code, level2 label, level3, value -> score, flags
type ScoreCase = (&'static str, &'static str, &'static str, &'static str, &'static str, u8, &'static [&'static str]);

#[rustfmt::skip]
const SCORE_CASES: &[ScoreCase] = &[
    ("satisfaction", "satisfaction", "服务对象满意度指标", "群众满意度", "≥90.00(%)", 100, &[]),
    ("output", "quantity", "数量指标", "道路建设长度", "985米", 100, &[]),
    ("output", "quantity", "数量指标", "数量", "237个直管党组织", 90, &[GENERIC_NAME]),
    ("output", "quantity", "数量指标", "完成项目数", "", 0, &[EMPTY]),
    ("output", "quantity", "数量指标", "完成项目数", "完成项目数", 0, &[PLACEHOLDER]),
    ("output", "quality", "质量指标", "验收合格率", "验收合格", 65, &[NOT_QUANTIFIED]),
    ("output", "quantity", "数量指标", "镇街补助款完成结算项目数", "3", 90, &[NO_UNIT]),
    ("output", "quality", "质量指标", "合格率", "90%", 90, &[NO_DIRECTION]),
    ("output", "quality", "质量指标", "合格率", "100%", 100, &[]),
    ("output", "quality", "质量指标", "合格率", "合格率≤90%", 80, &[WRONG_DIRECTION]),
    ("output", "quality", "质量指标", "补助款结算误差率", "±3%以内", 100, &[]),
    ("output", "quality", "质量指标", "补助款结算误差率", "≥3%", 80, &[WRONG_DIRECTION]),
    ("output", "quantity", "数量指标", "检查次数", "≤500场", 80, &[WRONG_DIRECTION]),
    ("output", "quantity", "数量指标", "安全事故发生数", "≤3起", 100, &[]),
    ("outcome", "sustainability", "可持续影响指标", "新增违建发生数", "降低", 40, &[NOT_QUANTIFIED, VAGUE]),
    ("output", "timeliness", "时效指标", "完成时间", "全年", 50, &[NOT_QUANTIFIED, CATEGORY_MISMATCH]),
    ("output", "timeliness", "时效指标", "完成时间", "年内完成", 65, &[NOT_QUANTIFIED]),
    ("output", "timeliness", "时效指标", "完成时间", "6月底前完成", 100, &[]),
    ("output", "timeliness", "时效指标", "完成时间", "13月底前完成", 80, &[IMPLAUSIBLE]),
    ("output", "timeliness", "时效指标", "完成时间", "10个培训班", 85, &[CATEGORY_MISMATCH]),
    ("output", "quality", "质量指标", "培训质量", "30人", 85, &[CATEGORY_MISMATCH]),
    ("output", "cost", "成本指标", "项目总成本", "≤181万元", 100, &[]),
    ("output", "cost", "预算（或投资规模）控制指标", "预算执行率", "≤211万元", 100, &[]),
    ("output", "cost", "成本指标", "项目总成本", "严格控制成本", 50, &[NOT_QUANTIFIED, CATEGORY_MISMATCH]),
    ("cost", "cost", "生态环境成本指标", "文明施工情况", "可控", 40, &[NOT_QUANTIFIED, VAGUE]),
    ("satisfaction", "satisfaction", "满意度指标", "服务对象满意度", "满意", 50, &[NOT_QUANTIFIED, CATEGORY_MISMATCH]),
    ("satisfaction", "satisfaction", "满意度指标", "服务对象满意度", "较满意", 50, &[NOT_QUANTIFIED, CATEGORY_MISMATCH]),
    ("outcome", "combined_benefit", "社会、经济、生态效益指标", "效益", "良好", 30, &[NOT_QUANTIFIED, VAGUE, GENERIC_NAME]),
    ("outcome", "social_benefit", "社会效益指标", "群众获得感", "改善群众生活环境", 65, &[NOT_QUANTIFIED]),
    ("satisfaction", "satisfaction", "满意度指标", "群众满意度", "≥120%", 80, &[IMPLAUSIBLE]),
    ("outcome", "economic_benefit", "经济效益指标", "带动投资增长", "≥150%", 100, &[]),
    ("output", "quality", "质量指标", "质量", GOAL, 30, &[NOT_QUANTIFIED, COPIES_GOAL, GENERIC_NAME]),
];

#[test]
fn scores_indicators() {
    for (l1, l2c, l2, l3, value, want_score, want_flags) in SCORE_CASES {
        let s = score(l1, l2c, l2, l3, value, &[GOAL]);
        assert_eq!(s.flags, *want_flags, "flags of {l3} = {value:?}");
        assert_eq!(s.score, *want_score, "score of {l3} = {value:?}");
    }
}

#[test]
fn every_flag_has_a_rule() {
    let indicator = [
        EMPTY,
        PLACEHOLDER,
        NOT_QUANTIFIED,
        NO_UNIT,
        NO_DIRECTION,
        WRONG_DIRECTION,
        CATEGORY_MISMATCH,
        VAGUE,
        COPIES_GOAL,
        IMPLAUSIBLE,
        GENERIC_NAME,
    ];
    let project = [
        MISSING_QUANTITY,
        MISSING_QUALITY,
        MISSING_TIMELINESS,
        MISSING_OUTCOME,
        MISSING_SATISFACTION,
        MISSING_COST,
        TOO_FEW_INDICATORS,
        ANNUAL_SAME_AS_MIDTERM,
        ANNUAL_EXCEEDS_MIDTERM,
    ];
    assert_eq!(INDICATOR_RULES.len(), indicator.len());
    assert_eq!(PROJECT_RULES.len(), project.len());
    for code in indicator {
        assert!(INDICATOR_RULES.iter().any(|r| r.code == code), "{code}");
    }
    for code in project {
        assert!(PROJECT_RULES.iter().any(|r| r.code == code), "{code}");
    }
    assert_eq!(rule(NO_UNIT).map(|r| r.weight), Some(10));
    assert_eq!(describe(MISSING_COST), "no filled-in 成本 indicator in the annual targets (year ≥ 2021)");
    assert_eq!(describe("NOPE"), "");
}

/// horizon, level1 code, level2 code, level3, value, indicator score
type Row = (&'static str, &'static str, &'static str, &'static str, &'static str, u8);

/// The first table of the 2020 东莞 seed (党内统计工作经费), scores as computed above.
#[rustfmt::skip]
const SEED_TABLE: &[Row] = &[
    ("midterm", "output", "quantity", "数量", "237个直管党组织", 90),
    ("annual", "output", "quantity", "数量", "79个党组织", 90),
    ("midterm", "output", "quality", "质量", "统计数据逐级上报", 40),
    ("annual", "output", "quality", "质量", "统计数据逐级上报", 40),
    ("midterm", "output", "timeliness", "时效", "全年", 40),
    ("annual", "output", "timeliness", "时效", "全年", 40),
    ("midterm", "outcome", "combined_benefit", "效益", "良好", 30),
    ("annual", "outcome", "combined_benefit", "效益", "良好", 30),
    ("midterm", "satisfaction", "satisfaction", "满意度", "满意", 40),
    ("annual", "satisfaction", "satisfaction", "满意度", "满意", 40),
];

fn project<'a>(rows: &'a [Row], readings: &'a [ValueReading]) -> Vec<ProjectIndicator<'a>> {
    rows.iter()
        .zip(readings)
        .map(|(r, reading)| ProjectIndicator {
            horizon: r.0,
            level1_code: r.1,
            level2_code: r.2,
            level3: r.3,
            level3_core: core_label(r.3),
            value: r.4,
            reading,
            score: r.5,
        })
        .collect()
}

#[test]
fn scores_projects() {
    let readings: Vec<ValueReading> = SEED_TABLE.iter().map(|r| read_value(r.4, r.3, "", None)).collect();
    let inds = project(SEED_TABLE, &readings);
    let s = score_project(&ProjectInput { year: 2020, form: "approval", indicators: &inds });
    // Mean 48; cost is not required in 2020; the annual 79 differs from the midterm 237.
    assert_eq!(s.flags, Vec::<&str>::new());
    assert_eq!(s.score, 48);

    let s = score_project(&ProjectInput { year: 2021, form: "approval", indicators: &inds });
    assert_eq!(s.flags, vec![MISSING_COST]);
    assert_eq!(s.score, 38);

    // Annual equal to midterm everywhere.
    let mut same = inds.clone();
    same[1].value = "237个直管党组织";
    same[1].reading = &readings[0];
    let s = score_project(&ProjectInput { year: 2020, form: "approval", indicators: &same });
    assert_eq!(s.flags, vec![ANNUAL_SAME_AS_MIDTERM]);
    // A target form has one horizon by design: not flagged.
    let s = score_project(&ProjectInput { year: 2020, form: "target", indicators: &same });
    assert!(s.flags.is_empty());

    // An annual count above the midterm one, same unit.
    let big = read_value("300个党组织", "数量", "", None);
    let mut over = inds.clone();
    over[1].reading = &big;
    over[1].value = "300个党组织";
    let s = score_project(&ProjectInput { year: 2020, form: "approval", indicators: &over });
    assert_eq!(s.flags, vec![ANNUAL_EXCEEDS_MIDTERM]);

    // Only blanks: every coverage rule fires and the score is floored at 0.
    let empty = [read_value("无", "数量", "", None)];
    let blank = project(&[("annual", "output", "quantity", "数量", "无", 0)], &empty);
    let s = score_project(&ProjectInput { year: 2022, form: "target", indicators: &blank });
    assert_eq!(s.score, 0);
    assert_eq!(
        s.flags,
        vec![
            MISSING_QUANTITY,
            MISSING_QUALITY,
            MISSING_TIMELINESS,
            MISSING_OUTCOME,
            MISSING_SATISFACTION,
            MISSING_COST,
            TOO_FEW_INDICATORS
        ]
    );
    let s = score_project(&ProjectInput { year: 2022, form: "target", indicators: &[] });
    assert_eq!(s.score, 0);
}

/// No input may panic: random strings built from the characters the scanner treats
/// specially, mixed with arbitrary code points.
#[test]
fn never_panics_on_random_text() {
    #[rustfmt::skip]
    const ALPHABET: &[char] = &[
        '0', '1', '9', '０', '９', '.', '．', ',', '，', '%', '％', '(', ')', '（', '）', '≥', '≤',
        '>', '<', '=', '＝', '±', '-', '−', '—', '/', '、', '号', '年', '月', '底', '前', '个', '万',
        '元', '百', '分', '之', '一', '十', '两', '零', '〇', '余', '多', '以', '内', '上', 'k', 'm',
        '²', '率', '满', '意', '度', ' ', '\u{3000}', '\u{FEFF}', '〔', '】', '第', '㎡', '‰', '性',
    ];
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut next = || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let goals = ["做好相关工作，确保按时保质完成，提升服务水平。"];
    for _ in 0..20_000 {
        let len = (next() % 24) as usize;
        let mut s = String::new();
        for _ in 0..len {
            let r = next();
            if r % 7 == 0 {
                s.push(char::from_u32((r >> 8) as u32 % 0x11_0000).unwrap_or('?'));
            } else {
                s.push(ALPHABET[(r >> 8) as usize % ALPHABET.len()]);
            }
        }
        let (r, words) = read_value_for_score(&s, Core::of(&s), Core::of("质量指标"), Some(&s));
        for l2 in ["quantity", "quality", "timeliness", "cost", "satisfaction", "other"] {
            let sc = score_indicator(&IndicatorInput {
                level1_code: "output",
                level2_code: l2,
                level2: &s,
                level3: &s,
                level3_core: Core::of(&s),
                value: &s,
                reading: &r,
                value_words: &words,
                goal_texts: &goals,
            });
            assert!(sc.score <= 100);
        }
    }
    for s in ["9".repeat(200), "1.".repeat(50), "，000".repeat(30), "-".repeat(10) + "5"] {
        let _ = read_value(&s, "", "", None);
    }
}

/// Read for the score, a value gives the reading [`read_value`] gives, and the words of a
/// filled-in value are those a scan of the trimmed value on its own finds (what the scorer
/// scanned before the reader's pass found them): on every indicator of the samples and on
/// random texts.
#[test]
fn a_value_read_for_the_score_reads_as_alone_and_finds_the_words_of_its_own_scan() {
    let mut rows: Vec<(String, String, String, Option<String>)> = Vec::new();
    for t in crate::ingest::samples::tables() {
        for ind in t.indicators {
            rows.push((ind.value.into(), ind.level3, ind.level2.into(), ind.unit_column));
        }
    }
    assert!(rows.len() > 1000, "{} sample indicators", rows.len());
    let alphabet: Vec<char> =
        "不低于超过以内达到提高降低合格率满意及时年底前月个万元%≥≤＞=1203. “”数量质量".chars().collect();
    let mut rng = fastrand::Rng::with_seed(0x9E37_79B9_7F4A_7C15);
    for _ in 0..20_000 {
        let mut text =
            |n: usize| (0..rng.usize(..n)).map(|_| alphabet[rng.usize(..alphabet.len())]).collect::<String>();
        rows.push((text(14), text(6), text(4), None));
    }
    for (value, l3, l2, unit) in &rows {
        let (reading, words) = read_value_for_score(value, Core::of(l3), Core::of(l2), unit.as_deref());
        assert_eq!(reading, read_value(value, l3, l2, unit.as_deref()), "{value:?} under {l3:?}");
        let filled = matches!(reading.kind, ValueKind::Quantitative | ValueKind::Qualitative);
        let alone = super::indicator::SCORE_WORDS.scan(trim_cell(value));
        assert_eq!(words, if filled { alone } else { Default::default() }, "{value:?} under {l3:?}");
    }
}
