use rust_decimal::Decimal;

use super::amount::{AmountError, MoneyUnit, looks_numeric, to_yuan};
use super::labels::{goal_label, year_line};
use super::*;
use crate::ingest::layout::{self, sniff::LayoutKind, tsv};

const APPROVAL: &str = "# 东莞市财政项目支出绩效目标批复表\n\n（ 2020 年度）\n\n预算单位：中共东莞市直属机关工作委员会\n\n\
项目名称\t党内统计工作经费\t中期市财政预算（万元）\t12.00\t本年度申请市财政预算资金（万元）\t4.00\t\t\n\
总体目标\t中期滚动目标（2020年--2022年）\t\t\t年度目标\t\t\t\n\
\t中期目标文本，很长的一段。\t\t\t年度目标文本，很长的一段。\t\t\t\n\
绩效指标\t一级指标\t二级指标\t三级指标\t指标值（或计划水平）\t二级指标\t三级指标\t计划指标值（或计划水平）\n\
\t预期产出指标\t数量指标（或建筑规模指标）\t数量\t237个直管党组织\t数量指标（或建筑规模指标）\t数量\t79个党组织\n\
\t\t质量指标\t质量\t统计数据逐级上报\t质量指标\t质量\t统计数据逐级上报\n\
满意度指标\t服务对象满意度指标\t满意度\t满意\t服务对象满意度指标\t满意度\t满意\t\n\
市财 政局 批复 意见\t根据预算管理的有关规定。\t\t\t\t\t\t\n";

#[test]
fn approval_form_is_read_by_label() {
    let r = read(&tsv::read(APPROVAL));
    assert_eq!(r.tables.len(), 1);
    let t = &r.tables[0];
    assert_eq!(t.form, "approval");
    assert_eq!(t.region.as_deref(), Some("东莞市"));
    assert_eq!(t.year, Some(2020));
    assert_eq!(t.budget_unit.as_deref(), Some("中共东莞市直属机关工作委员会"));
    assert_eq!(t.midterm_budget_yuan, Some(Decimal::new(12000000, 2)));
    assert_eq!(t.annual_budget_yuan, Some(Decimal::new(4000000, 2)));
    assert_eq!((t.midterm_start_year, t.midterm_end_year), (Some(2020), Some(2022)));
    assert_eq!(t.annual_goal.as_deref(), Some("年度目标文本，很长的一段。"));
    assert_eq!(t.approval_opinion.as_deref(), Some("根据预算管理的有关规定。"));
    assert_eq!(t.indicators.len(), 6);
    let sat: Vec<_> = t.indicators.iter().filter(|i| i.level1_code == "satisfaction").collect();
    assert_eq!(sat.len(), 2, "the 满意度 row with its merged leading cell missing is read");
    assert_eq!(sat[1].horizon, "annual");
    assert_eq!(t.indicators[1].value, "79个党组织");
    assert!(t.problem.is_none());
}

#[test]
fn shifted_target_rows_are_realigned() {
    let text = "# 项目支出绩效目标表\n(2022年度)\n单位名称：汕头市人力资源和社会保障局\n\
项目名称\t应急物资储备工作 经费\n\
主管部门\t汕头市人力资 源和社会保障局\t实施单位\t汕头市 人力资源和 社会保障局\n\
项目资金（万元）\t年度资金总额\t\t724 1. 16\t\n\
\t其中：财政拨款\t7241.16\t\n\
年度总体目标\t做好应急物资储备相关 工作，确保服务群 众。\n\
绩效指标\t一级指标\t二级指标\t三级指标\t指标值\n\
\t预期产出指 标\t数量指标\t培训人次\t50平方米系 统\n\
\t\t\t\t生态 效益指 标\t绿化覆盖率\t稳步推进\n\
\t满意度指标\t\t服务对象 满意 度指标\t满意度\t≥90%\n";
    let t = &read(&tsv::read(text)).tables[0];
    assert_eq!(t.form, "target");
    assert_eq!(t.project_name.as_deref(), Some("应急物资储备工作经费"));
    assert_eq!(t.annual_budget_yuan, Some(Decimal::new(72411600, 0)));
    assert_eq!(t.department.as_deref(), Some("汕头市人力资源和社会保障局"));
    let eco = &t.indicators[1];
    assert_eq!(
        (eco.level2.as_str(), eco.level3.as_str(), eco.value.as_str()),
        ("生态效益指标", "绿化覆盖率", "稳步推进")
    );
    assert_eq!(eco.level2_code, "ecological_benefit");
    let sat = &t.indicators[2];
    assert_eq!(
        (sat.level1_code, sat.level2.as_str(), sat.value.as_str()),
        ("satisfaction", "服务对象满意度指标", "≥90%")
    );
}

#[test]
fn cut_off_table_is_reported() {
    let cut = APPROVAL.split("满意度指标\t").next().unwrap();
    let t = &read(&tsv::read(cut)).tables[0];
    assert_eq!(t.problem.as_deref(), Some("table cut off after the 质量指标 row"));
}

#[test]
fn amounts_parse_exactly() {
    assert_eq!(parse_amount("１２．５０"), Some(Decimal::new(1250, 2)));
    assert_eq!(parse_amount("10,308,000.00"), Some(Decimal::new(1030800000, 2)));
    assert_eq!(parse_amount("724 1. 16"), Some(Decimal::new(724116, 2)));
    assert_eq!(parse_amount("良好"), None);
    assert_eq!(to_yuan(Decimal::new(1234567, 6), MoneyUnit::Wan, "123.4567"), Ok(Decimal::new(1234567, 2)));
}

#[test]
fn amounts_that_are_not_money_are_errors_not_wraps_or_panics() {
    let nines = parse_amount("９９９９９９９９９９９９９９９９").unwrap();
    assert_eq!(to_yuan(nines, MoneyUnit::Wan, "n"), Err(AmountError::TooLarge("n".into())));
    let big = parse_amount("12345678901234567890123456").unwrap();
    assert_eq!(to_yuan(big, MoneyUnit::Wan, "b"), Err(AmountError::TooLarge("b".into())));
    assert_eq!(to_yuan(Decimal::new(-500, 2), MoneyUnit::Wan, "-5"), Err(AmountError::Negative("-5".into())));
    // The largest decimal(18,2) value fits; one fen more does not.
    let max = Decimal::new(999_999_999_999_999_999, 2);
    assert_eq!(to_yuan(max, MoneyUnit::Yuan, "m"), Ok(max));
    assert!(to_yuan(max + Decimal::new(1, 2), MoneyUnit::Yuan, "m").is_err());
    for raw in ["1e308", "NaN", "inf", "-Infinity", "1.2.3", "１ｅ３"] {
        assert!(parse_amount(raw).is_none() && looks_numeric(raw), "{raw}");
    }
    for raw in ["无", "良好", "100万元（含结转）", "其中：财政拨款"] {
        assert!(!looks_numeric(raw), "{raw}");
    }
}

#[test]
fn year_line_in_full_width_brackets_is_read() {
    assert_eq!(year_line("（ 2023 年度）"), Some(2023));
    assert_eq!(year_line("(2022年度)"), Some(2022));
    assert_eq!(year_line("完成2022年度目标"), None);
}

#[test]
fn goal_text_mentioning_a_goal_label_is_not_a_label() {
    assert_eq!(goal_label(&Key::new("年度目标")), Some(false));
    assert_eq!(goal_label(&Key::new("中期滚动目标")), Some(true));
    assert_eq!(goal_label(&Key::new("项目总目标")), Some(true));
    assert_eq!(goal_label(&Key::of("年度目标文本，完成年度目标。")), None);
}

#[test]
fn label_fragments_rejoin_but_values_do_not() {
    // 可持续影 / 响指标 and 满意度指 / 标 are one label each; 健全 is the value before them.
    let lines = "财政项目支出绩效目标申报表\n（2026年度）\n项目名称\n测试项目\n项目资金\n（元）\n年度资金申请总额\n1,000.00\n\
一级指标\n二级指标\n三级指标\n年度(/项目)指标值\n产出指标\n数量指标\n道路长度\n985米\n效益指标\n可持续影\n响指标\n\
制度健全性\n健全\n满意度指\n标\n服务对象\n满意度指\n标\n居民满意度\n≥90%\n";
    let t = &read(&layout::read(LayoutKind::Lines, lines, &FormLabels).grid).tables[0];
    let got: Vec<(&str, &str, &str)> =
        t.indicators.iter().map(|i| (i.level2.as_str(), i.level3.as_str(), i.value.as_str())).collect();
    assert_eq!(
        got,
        [
            ("数量指标", "道路长度", "985米"),
            ("可持续影响指标", "制度健全性", "健全"),
            ("服务对象满意度指标", "居民满意度", "≥90%")
        ]
    );
    assert_eq!(t.annual_budget_yuan, Some(Decimal::new(100000, 2)));
}

#[test]
fn a_row_cut_in_half_is_not_kept_as_empty_targets() {
    let cut = APPROVAL.split("满意度指标\t").next().unwrap().to_string() + "\t\t可持续影响指标\t长效机制\n";
    let t = &read(&tsv::read(&cut)).tables[0];
    assert_eq!(t.problem.as_deref(), Some("table cut off in the 可持续影响指标 row (its values are missing)"));
    assert!(t.indicators.iter().all(|i| i.level3 != "长效机制"));
    assert_eq!(t.indicators.len(), 4);
}

#[test]
fn random_grids_of_form_words_never_panic() {
    // Rows of random length built from the form's own words: shapes no sample has.
    let words = [
        "",
        "项目名称",
        "测试",
        "绩效指标",
        "一级指标",
        "二级指标",
        "三级指标",
        "指标值",
        "指标性质",
        "度量单位",
        "备注",
        "产出指标",
        "数量指标",
        "数量",
        "服务对象满意度",
        "满意度指标",
        "≥90%",
        "12.00",
        "中期市财政预算（万元）",
        "本年度申请市财政预算资金（万元）",
        "年度目标",
        "中期滚动目标（2020年--2022年）",
        "（2021年度）",
        "单位名称：某局 金额单位：元",
        "批复意见",
        "# 项目支出绩效目标表",
        "成本指标",
        "生态环境",
        "指标",
        "（元）",
    ];
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = |n: usize| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        (seed % n as u64) as usize
    };
    for _ in 0..3000 {
        let mut g = Grid::default();
        for _ in 0..next(30) {
            let len = next(10);
            g.rows.push((0..len).map(|_| crate::ingest::layout::Cell::new(words[next(words.len())])).collect());
        }
        // Through the text-run reader too: many of these grids are one-cell streams.
        let _ = read(&layout::stream::regrid(g, &FormLabels));
    }
}

#[test]
fn form_labels_remembered_answers_belong_to_the_run_asked_about() {
    use crate::ingest::layout::stream::{RunKind, Vocabulary};
    let words = FormLabels;
    // More runs than the memory holds, asked in turns, so slots are overwritten and reused
    // with runs of other lengths: each answer must still be the run's own.
    let runs = [
        "产出指标",
        "数量指标",
        "年度目标",
        "项目名称",
        "居民满意度达到90%以上",
        "社会效益指标",
        "一级指标",
        "三级指标",
        "满意度指标",
        "文明施工",
    ];
    let fresh: Vec<(RunKind, bool, bool)> =
        runs.iter().map(|r| (words.kind(r), words.is_whole_label(r), words.is_level1(r))).collect();
    assert_eq!(fresh[0], (RunKind::L1, true, true));
    assert_eq!(fresh[1], (RunKind::L2, true, false));
    assert_eq!(fresh[4], (RunKind::Other, false, false));
    for round in 0..3 {
        for (i, r) in runs.iter().enumerate().rev().skip(round) {
            assert_eq!((words.kind(r), words.is_whole_label(r), words.is_level1(r)), fresh[i], "{r}");
        }
    }
}
