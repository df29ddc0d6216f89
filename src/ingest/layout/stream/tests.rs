//! Tests of the text-run reader.

use super::*;

/// A toy vocabulary: the mechanism must work with whatever words it is given.
struct Toy;

impl Vocabulary for Toy {
    fn label_facts(&self, run: &str) -> Facts {
        Facts {
            kind: self.kind(run),
            whole_label: self.is_whole_label(run),
            level1: self.is_level1(run),
            year_line: false,
        }
    }
    fn kind(&self, run: &str) -> RunKind {
        match run {
            "名称" | "金额" => RunKind::Head,
            "目标" => RunKind::Goal,
            "项目绩效目标" => RunKind::Block,
            "一级" | "二级" | "三级" | "值" => RunKind::Header,
            "产出" => RunKind::L1,
            "数量" | "质量" => RunKind::L2,
            "意见" => RunKind::Opinion,
            _ => RunKind::Other,
        }
    }
    fn is_whole_label(&self, run: &str) -> bool {
        self.kind(run) != RunKind::Other
    }
    fn is_year_line(&self, run: &str) -> bool {
        run == "（2024年度）"
    }
    fn is_level1(&self, run: &str) -> bool {
        run == "产出"
    }
    fn is_amount(&self, run: &str) -> bool {
        run.parse::<f64>().is_ok()
    }
}

fn lines(runs: &[&str]) -> Grid {
    let mut g = Grid::default();
    for r in runs {
        g.push_line(*r);
    }
    g
}

/// Wrapped values rejoin, an amount is split from the label on its line, a wrapped 二级
/// label (数 / 量) joins, and each indicator row ends after its value.
#[test]
fn a_stream_is_regridded_by_the_words_it_is_given() {
    let runs = [
        "（2024年度）",
        "名称",
        "修路",
        "工程",
        "金额",
        "12.5 目标",
        "完成修路。",
        "一级",
        "二级",
        "三级",
        "值",
        "产出",
        "数",
        "量",
        "道路长度",
        "985米",
        "质量",
        "验收",
        "合格",
        "意见",
        "同意",
    ];
    let got = regrid(lines(&runs), &Toy).texts();
    let want: Vec<Vec<&str>> = vec![
        vec!["（2024年度）"],
        vec!["名称", "修路工程"],
        vec!["金额", "12.5"],
        vec!["目标"],
        vec!["完成修路。"],
        vec!["一级", "二级", "三级", "值"],
        vec!["产出", "数量", "道路长度", "985米"],
        vec!["质量", "验收", "合格"],
        vec!["意见", "同意"],
    ];
    assert_eq!(got, want);
}

/// 主管部门 / 实施单位 on a line of their own, their values' first lines above, the rest below.
#[test]
fn values_wrapped_around_their_labels_line_rejoin() {
    let lines = vec![vec!["修路", "大桥"], vec!["名称", "金额"], vec!["工程", "工程"]];
    let want: Vec<String> = ["名称", "修路工程", "金额", "大桥工程"].iter().map(|s| s.to_string()).collect();
    assert_eq!(wrapped_around(&lines, 0, &Toy), Some(want));
    // One label, or a value line that is a label itself: no such wrap.
    assert_eq!(wrapped_around(&[vec!["修路"], vec!["名称"], vec!["工程"]], 0, &Toy), None);
    assert_eq!(wrapped_around(&[vec!["修路", "目标"], vec!["名称", "金额"], vec!["工程", "工程"]], 0, &Toy), None);
}

fn owned(runs: &[&str]) -> Vec<String> {
    runs.iter().map(|s| s.to_string()).collect()
}

/// pdfplumber: the two goal columns' lines interleaved (right first, its lines shorter),
/// the row label 项目 / 绩效 / 目标 a word among them; once one text ends, the other goes on alone.
#[test]
fn interleaved_goal_lines_alternate_until_a_column_ends() {
    let runs = owned(&[
        "项目",
        "丙丁戊己",
        "绩效",
        "甲乙丙丁戊己庚辛",
        "目标",
        "庚辛壬癸",
        "壬癸子丑寅卯辰巳",
        "午未",
        "子丑",
    ]);
    assert_eq!(by_alternation(&runs, 2, &Toy), ["丙丁戊己庚辛壬癸午未", "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳子丑"]);
    // A line wider than its column: not two interleaved columns.
    let wide = owned(&["甲乙丙丁", "甲乙丙丁戊己庚辛", "甲乙丙丁戊己庚辛壬癸子丑寅卯", "甲乙", "甲"]);
    assert!(by_alternation(&wide, 2, &Toy).is_empty());
}

/// PyMuPDF: column after column, the left one with a paragraph ending inside it.
#[test]
fn a_paragraph_end_inside_a_column_does_not_end_it() {
    let runs = owned(&[
        "甲乙丙丁戊己庚辛壬",
        "甲乙丙。",
        "甲乙丙丁戊己庚辛壬",
        "甲乙",
        "子丑寅卯辰巳午",
        "子丑寅卯辰巳午",
        "子",
    ]);
    assert_eq!(
        by_line_width(&runs, 2),
        ["甲乙丙丁戊己庚辛壬甲乙丙。甲乙丙丁戊己庚辛壬甲乙", "子丑寅卯辰巳午子丑寅卯辰巳午子"]
    );
}

/// PyMuPDF: a 三级 name wrapped over two runs, its value after both.
#[test]
fn a_name_wrapped_over_two_runs_keeps_its_value() {
    let runs =
        ["一级", "二级", "三级", "值", "产出", "数量", "全部道路路面完成", "翻新改造", "完成", "质量", "验收", "合格"];
    let got = regrid(lines(&[&["（2024年度）", "名称", "修路"][..], &runs[..]].concat()), &Toy).texts();
    assert_eq!(got[3], ["产出", "数量", "全部道路路面完成翻新改造", "完成"]);
    assert_eq!(got[4], ["质量", "验收", "合格"]);
}

/// A 三级 name followed by its target is no wrapped label's head, though a later fragment
/// would complete one with it (居民满意度 90% … 意度指标).
#[test]
fn a_name_before_its_target_is_no_label_head() {
    let runs =
        ["（2024年度）", "名称", "修路", "一级", "二级", "三级", "值", "产出", "质量", "数", "5个", "道路", "量"];
    let got = regrid(lines(&runs), &Toy).texts();
    assert_eq!(got[3], ["产出", "质量", "数", "5个"]);
    assert_eq!(got[4], ["道路", "量"]);
}

#[test]
fn a_grid_with_rows_is_left_as_it_is() {
    let mut g = lines(&["名称"; 12]);
    g.rows[0].push(Cell::new("修路"));
    assert_eq!(regrid(g.clone(), &Toy), g);
}

#[test]
fn side_by_side_texts_split_where_the_line_width_changes() {
    let runs: Vec<String> =
        ["甲乙丙丁戊己庚辛壬癸", "甲乙丙丁戊己庚辛壬癸", "子丑", "寅卯辰巳午", "寅卯辰巳午", "未申"]
            .iter()
            .map(|s| s.to_string())
            .collect();
    assert_eq!(by_line_width(&runs, 2), ["甲乙丙丁戊己庚辛壬癸甲乙丙丁戊己庚辛壬癸子丑", "寅卯辰巳午寅卯辰巳午未申"]);
    // One label, or widths that do not tell: nothing (sentences decide).
    assert!(by_line_width(&runs, 1).is_empty());
    let even: Vec<String> = ["甲乙丙丁", "甲乙丙丁", "甲乙丙丁"].iter().map(|s| s.to_string()).collect();
    assert!(by_line_width(&even, 2).is_empty());
}

fn grid_of(lines: &[&[&str]]) -> Grid {
    Grid { rows: lines.iter().map(|l| l.iter().map(|w| Cell::new(*w)).collect()).collect() }
}

/// Regression (pdfplumber): a label printed alone on its line, between two rows at the middle
/// of its block, joined the row below and so seemed to begin its block there.
#[test]
fn a_label_alone_on_its_line_between_rows_is_a_row_of_its_own() {
    let lines: &[&[&str]] = &[
        &["（2024年度）"],
        &["名称", "修路"],
        &["一级", "二级", "三级", "值"],
        &["道路", "5个"],
        &["数量"],
        &["桥梁", "2座"],
        &["产出", "质量", "验收", "合格"],
    ];
    let got = stream_rows(cells_of(grid_of(lines)), lines.len(), &Toy, (true, true), &[]).0.texts();
    assert_eq!(
        &got[3..],
        [vec!["道路", "5个"], vec!["数量"], vec!["桥梁", "2座"], vec!["产出", "质量", "验收", "合格"]]
    );
    // A text that writes a run per line tells nothing by lines: the label starts the row.
    let got = stream_rows(cells_of(grid_of(lines)), lines.len(), &Toy, (true, false), &[]).0.texts();
    assert_eq!(got[4], ["数量", "桥梁", "2座"]);
}

/// Regression (pdfplumber): a 三级 name wrapped over two lines with its value alone on the line
/// between them read as two rows, shifting every row after it.
#[test]
fn a_name_wrapped_around_its_value_line_is_one_row() {
    let own = |lines: &[&[&str]]| -> Vec<Vec<String>> {
        lines.iter().map(|l| l.iter().map(|w| w.to_string()).collect()).collect()
    };
    let lines = own(&[
        &["一级", "二级", "三级", "值"],
        &["产出", "数量", "全部道路路面"],
        &["完成"],
        &["翻新改造"],
        &["\"甲乙", "丙丁"],
        &["提升"],
        &["戊己", "庚辛\""],
        &["质量", "验收", "合格"],
    ]);
    let want = own(&[
        &["一级", "二级", "三级", "值"],
        &["产出", "数量", "全部道路路面翻新改造", "完成"],
        &["\"甲乙丙丁戊己庚辛\"", "提升"],
        &["质量", "验收", "合格"],
    ]);
    assert_eq!(names_around_values(lines, &Toy), (want, vec![1, 2]));
    // Outside the indicator block, and where the lines below hold a row of their own, nothing joins.
    let text = own(&[&["甲乙丙丁"], &["完成"], &["戊己庚辛"]]);
    assert_eq!(names_around_values(text.clone(), &Toy).0, text);
    let rows = own(&[&["一级", "值"], &["道路"], &["完成"], &["桥梁", "2座"]]);
    assert_eq!(names_around_values(rows.clone(), &Toy).0, rows);
    // A name between two lines of its wrapped target is no target between two name lines.
    let value_around = own(&[&["一级", "值"], &["根据安排完成训练"], &["民兵训练工作"], &["任务"]]);
    assert_eq!(names_around_values(value_around.clone(), &Toy).0, value_around);
}

/// Regression (pdfplumber): goal columns sharing lines, a paragraph end inside the left one;
/// its next line went to the right column, and the right column's last lines stand alone.
#[test]
fn goal_columns_sharing_lines_split_by_line() {
    let runs = owned(&[
        "甲乙丙丁戊己庚辛",
        "子丑寅卯辰巳",
        "项目",
        "甲乙。",
        "子丑寅卯辰巳",
        "绩效",
        "甲乙丙丁戊。",
        "子丑寅卯辰巳",
        "目标",
        "午未",
    ]);
    let lines = [0, 0, 1, 1, 1, 2, 2, 2, 3, 4];
    assert_eq!(
        by_columns(&runs, &lines, 2, &Toy).0,
        ["甲乙丙丁戊己庚辛甲乙。甲乙丙丁戊。", "子丑寅卯辰巳子丑寅卯辰巳子丑寅卯辰巳午未"]
    );
    // Lines of one text each, alternating: not side by side on shared lines.
    assert!(by_columns(&owned(&["甲乙丙丁", "子丑"]), &[0, 1], 2, &Toy).0.is_empty());
}

/// Regression (pdfplumber): where the left column's line runs up to the border the two lines
/// are glued with no space; they split at the known column's width, never before a comma.
#[test]
fn glued_goal_lines_split_at_the_column_width() {
    let runs = owned(&[
        "甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳",
        "甲乙丙丁戊己庚辛壬癸，寅卯辰巳",
        "甲乙。",
        "子丑寅卯辰巳",
        "子丑",
    ]);
    let lines = [0, 1, 2, 2, 3];
    assert_eq!(
        by_columns(&runs, &lines, 2, &Toy),
        (
            vec![
                "甲乙丙丁戊己庚辛壬癸甲乙丙丁戊己庚辛壬甲乙。".to_string(),
                "子丑寅卯辰巳癸，寅卯辰巳子丑寅卯辰巳子丑".to_string()
            ],
            2
        )
    );
}

/// Where the line holding both texts shows neither column's width (both lines short), the
/// lines of one column after it show it: glued lines before split at that width.
#[test]
fn a_column_width_is_read_from_its_lines_alone_too() {
    let runs = owned(&["甲乙丙丁戊己庚辛壬癸子丑寅卯辰巳", "甲。", "子丑。", "子丑寅卯辰巳", "午"]);
    assert_eq!(
        by_columns(&runs, &[0, 1, 1, 2, 3], 2, &Toy).0,
        ["甲乙丙丁戊己庚辛壬癸甲。", "子丑寅卯辰巳子丑。子丑寅卯辰巳午"]
    );
}

/// Regression: glued lines were split with CJK punctuation counted half a character, as one
/// font sets it; where the columns' full lines show it counted whole, a line with more commas
/// than the others was cut a character off.
#[test]
fn glued_lines_are_split_with_punctuation_as_wide_as_the_columns_show() {
    let runs = owned(&[
        "甲，乙，丙丁戊己子丑寅卯辰巳",
        "甲乙丙丁戊己庚辛",
        "子丑寅卯辰巳",
        "甲乙丙丁戊己庚辛",
        "子丑寅卯辰巳",
        "甲乙。",
        "子丑寅卯辰巳",
    ]);
    let (texts, glued) = by_columns(&runs, &[0, 1, 1, 2, 2, 3, 3], 2, &Toy);
    assert_eq!(glued, 1);
    assert_eq!(
        texts,
        ["甲，乙，丙丁戊己甲乙丙丁戊己庚辛甲乙丙丁戊己庚辛甲乙。", "子丑寅卯辰巳子丑寅卯辰巳子丑寅卯辰巳子丑寅卯辰巳"]
    );
}

/// Regression: the right text ending on a full line left it "open", so the left text's lines
/// after it that fit the right column's width went there; a line of one text means the other
/// has ended, and a line wider than a column is not that column's.
#[test]
fn lines_after_one_text_ended_stay_with_the_other() {
    let runs =
        owned(&["甲乙丙丁戊己庚辛", "子丑寅卯辰巳", "甲乙丙丁戊己庚辛", "子丑寅卯辰巳", "甲乙丙丁戊己庚辛", "甲乙丙"]);
    assert_eq!(
        by_columns(&runs, &[0, 0, 1, 1, 2, 3], 2, &Toy).0,
        ["甲乙丙丁戊己庚辛甲乙丙丁戊己庚辛甲乙丙丁戊己庚辛甲乙丙", "子丑寅卯辰巳子丑寅卯辰巳"]
    );
}

/// Head labels of four characters and more, to split runs by: whatever starts with 项目, and
/// amounts of digits and points; `most` is the longest label (in characters) it admits.
struct Heads {
    most: usize,
    asked: std::cell::RefCell<Vec<String>>,
}

impl Vocabulary for Heads {
    fn label_facts(&self, run: &str) -> Facts {
        self.asked.borrow_mut().push(run.to_string());
        let head = run.starts_with("项目") && run.chars().count() <= self.most;
        let kind = if head { RunKind::Head } else { RunKind::Other };
        Facts { kind, whole_label: head && !run.ends_with('资'), level1: false, year_line: false }
    }
    fn is_year_line(&self, run: &str) -> bool {
        run.ends_with('年')
    }
    fn is_level1(&self, run: &str) -> bool {
        self.asked.borrow_mut().push(run.to_string());
        false
    }
    fn is_amount(&self, run: &str) -> bool {
        !run.is_empty() && run.chars().all(|c| c.is_ascii_digit() || c == '.')
    }
    fn label_max_chars(&self) -> usize {
        self.most
    }
}

/// `split_trailing_label` as it read every suffix, before it left out those under four
/// characters up front and tested the word start before trimming.
fn split_trailing_label_reading_every_suffix<'a>(
    run: &'a str,
    facts: Facts,
    words: &dyn Vocabulary,
) -> Option<(&'a str, &'a str, Facts)> {
    let labelled = facts.kind != RunKind::Other;
    let first = run.chars().count().saturating_sub(words.label_max_chars()).max(2);
    run.char_indices().skip(first).find_map(|(i, _)| {
        let (value, label) = (run[..i].trim_end(), &run[i..]);
        let starts_word = label.chars().next().is_some_and(|c| !c.is_ascii_digit() && !c.is_ascii_punctuation());
        if !starts_word || value.is_empty() || label.chars().nth(3).is_none() {
            return None;
        }
        let fits = if !labelled && value.chars().nth(16).is_none() { true } else { words.is_amount(value) };
        if !fits {
            return None;
        }
        let facts = words.label_facts(label);
        (facts.kind == RunKind::Head && facts.whole_label)
            .then(|| (value, label, Facts { year_line: words.is_year_line(label), ..facts }))
    })
}

#[test]
fn suffixes_and_prefixes_are_asked_about_as_when_every_one_was_read() {
    let alphabet = ["项目", "项", "名称", "资", "年", "1", ".", " ", "a"];
    let mut rng = fastrand::Rng::with_seed(23);
    let (mut split, mut level1_asked) = (0, 0);
    for round in 0..5000 {
        let run: String = (0..rng.usize(0..16)).map(|_| alphabet[rng.usize(..alphabet.len())]).collect();
        let most = [0, 1, 2, 3, 4, 6, 9, 80, usize::MAX][rng.usize(..9)];
        let words = Heads { most, asked: Default::default() };
        let kind = if rng.bool() { RunKind::Head } else { RunKind::Other };
        let facts = Facts { kind, whole_label: false, level1: false, year_line: false };
        let ours = split_trailing_label(&run, facts, &words);
        assert_eq!(ours, split_trailing_label_reading_every_suffix(&run, facts, &words), "round {round}: {run:?}");
        split += usize::from(ours.is_some());
        // The prefixes `leading_level1` asks about by default, longest first: every one of two characters
        // up to `most`, short of the whole run.
        words.asked.borrow_mut().clear();
        assert_eq!(words.leading_level1(&run), None);
        let expected: Vec<String> = {
            let cuts: Vec<usize> = run.char_indices().map(|(i, _)| i).skip(2).take(most.saturating_sub(1)).collect();
            cuts.into_iter().rev().map(|c| run[..c].to_string()).collect()
        };
        assert_eq!(*words.asked.borrow(), expected, "round {round}: {run:?}, most {most}");
        level1_asked += usize::from(!expected.is_empty());
    }
    assert!(split > 200 && level1_asked > 1000, "{split} split, {level1_asked} asked");
}

/// Runs to ask the form's vocabulary about: every line (and every cell of it) of the samples,
/// and random runs of label words, values, brackets, markup and entities.
fn form_runs() -> Vec<String> {
    let mut runs: Vec<String> = crate::ingest::samples::texts()
        .iter()
        .flat_map(|(_, text)| text.lines().flat_map(|l| std::iter::once(l).chain(l.split('\t'))).map(str::to_string))
        .collect();
    let alphabet = [
        "项目",
        "名称",
        "资金",
        "年度",
        "总额",
        "预算",
        "单位",
        "主管",
        "部门",
        "其中",
        "日期",
        "开始",
        "时间",
        "金额",
        "目标",
        "指标",
        "产出",
        "成本",
        "满意度",
        "经常性",
        "类别",
        "性质",
        "实施",
        "申报",
        "（万元）",
        "(",
        ")",
        "【",
        "1,000.00",
        "95%",
        " ",
        "：",
        "#",
        "&amp;",
        "&#x9879;",
        "&#39044;",
        "<b>",
        "</b>",
        "a",
        "产出指标",
        "效益指标",
        "满意度指标",
        "效果",
        "预期",
        "服务对象",
        "数量指标",
        "［",
        "〔",
        "】",
    ];
    let mut rng = fastrand::Rng::with_seed(29);
    runs.extend((0..20_000).map(|_| (0..rng.usize(0..12)).map(|_| alphabet[rng.usize(..alphabet.len())]).collect()));
    runs
}

/// The form's vocabulary leaves out the suffixes that hold none of its head labels' characters:
/// the runs it splits are the ones it split when every suffix was read.
#[test]
fn head_label_suffixes_are_found_as_when_every_suffix_was_read() {
    let words = crate::ingest::form::FormLabels;
    let mut split = 0;
    for run in form_runs() {
        let run = run.trim();
        for facts in [words.facts(run), Facts { kind: RunKind::Other, ..words.facts(run) }] {
            let ours = split_trailing_label(run, facts, &words);
            assert_eq!(ours, split_trailing_label_reading_every_suffix(run, facts, &words), "{run:?}");
            split += usize::from(ours.is_some());
        }
    }
    assert!(split > 1000, "{split} split");
}

/// No suffix that starts past the form vocabulary's last head mark is a head label, and a
/// run without one holds none.
#[test]
fn no_head_label_starts_past_the_last_head_mark() {
    let words = crate::ingest::form::FormLabels;
    let mut heads = 0;
    for run in form_runs() {
        let mark = words.last_head_mark(&run);
        for (i, _) in run.char_indices() {
            if words.label_facts(&run[i..]).kind == RunKind::Head {
                assert!(mark.is_some_and(|m| i <= m), "{:?} in {run:?}, last mark {mark:?}", &run[i..]);
                heads += 1;
            }
        }
    }
    assert!(heads > 1000, "{heads} head labels");
}

/// The form's vocabulary leaves out the prefixes that end in a Han character no 一级 label ends
/// in: the 一级 label it finds at the start of a run is the one found asking about every prefix.
#[test]
fn leading_level1_labels_are_found_as_when_every_prefix_was_asked() {
    let words = crate::ingest::form::FormLabels;
    let mut found = 0;
    for run in form_runs() {
        let ours = words.leading_level1(&run);
        assert_eq!(ours, level1_prefix(&run, &words, |_| true), "{run:?}");
        found += usize::from(ours.is_some());
    }
    assert!(found > 1000, "{found} found");
}
