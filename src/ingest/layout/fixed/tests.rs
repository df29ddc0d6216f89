//! Tests of the fixed-width reader.

use super::segment::segments;
use super::*;
use crate::ingest::layout::stream::NoWords;

/// The line rules alone: without the form's words no block is rebuilt from positions.
fn read(text: &str) -> Grid {
    super::read(text, &NoWords).0
}

/// A 申报表 page as `pdftotext -layout` writes it (after the 上海市普陀区 2026 拆违经费 form):
/// columns aligned by character index, so it looks ragged in a terminal, as real output does.
const PAGE: &str = "                        财政项目支出绩效目标申报表
                            （2026年度）

  项目名称          拆违经费
  项目性质          阶段性项目           项目类别          特定目标类
                普陀区城市管理行政                     上海市普陀区城市管
  主管部门          执法局执法大队         实施单位          理行政执法局执法
                                              大队
  计划开始日期        2024-01-01      计划完成日期        2026-12-31
                年度资金总额          3,498,000.00
  项目资金          其中：财政资金         10,308,000.00
                上年结转资金          0.00
  年度总体目标        1.完成市、区相关部门下达的年度拆违任务。2.新增违建
                “零增长”，坚决做到“无增减存”。
  一级指标        二级指标      三级指标          指标值
  产出指标        数量指标      完成年度拆违计       =100.00(%)
                        划
              质量指标      违法建筑销项正       =100.00(%)
                        确率
  效益指标        生态效益指标    提升城市环境美       提高
                        化指数
              可持续影响指    新增违建发生数       降低
              标
  满意度指标       服务对象满意    群众满意度         ≥90.00(%)
              度指标

                                  - 3 -
\x0c                        财政项目支出绩效目标申报表（续）
  备注            无
                                第 4 页  共 5 页
";

#[test]
fn pdftotext_page() {
    let g = read(PAGE);
    let t = g.texts();
    let rows: Vec<String> = t.iter().map(|r| r.join(" | ")).collect();
    let expect = [
        "财政项目支出绩效目标申报表",
        "（2026年度）",
        "项目名称 | 拆违经费",
        "项目性质 | 阶段性项目 | 项目类别 | 特定目标类",
        // The centred label sat on the middle line; the first line of each value above it.
        "主管部门 | 普陀区城市管理行政执法局执法大队 | 实施单位 | 上海市普陀区城市管理行政执法局执法大队",
        "计划开始日期 | 2024-01-01 | 计划完成日期 | 2026-12-31",
        // Amounts never wrap: the rows around the centred 项目资金 stay rows, padded.
        " | 年度资金总额 | 3,498,000.00",
        "项目资金 | 其中：财政资金 | 10,308,000.00",
        " | 上年结转资金 | 0.00",
        "年度总体目标 | 1.完成市、区相关部门下达的年度拆违任务。2.新增违建“零增长”，坚决做到“无增减存”。",
        "一级指标 | 二级指标 | 三级指标 | 指标值",
        "产出指标 | 数量指标 | 完成年度拆违计划 | =100.00(%)",
        " | 质量指标 | 违法建筑销项正确率 | =100.00(%)",
        "效益指标 | 生态效益指标 | 提升城市环境美化指数 | 提高",
        " | 可持续影响指标 | 新增违建发生数 | 降低",
        "满意度指标 | 服务对象满意度指标 | 群众满意度 | ≥90.00(%)",
        "财政项目支出绩效目标申报表（续）",
        "备注 | 无",
    ];
    assert_eq!(rows, expect);
    assert!(g.rows.iter().flatten().all(|c| !c.merged));
}

#[test]
fn page_footers() {
    for f in ["- 3 -", "— 12 —", "第 3 页", "共 5 页", "第3页/共5页", "第 3 页，共 5 页", "Page 3 of 5"]
    {
        assert!(is_page_footer(f), "{f}");
    }
    for f in ["3", "项目名称", "12页码说明", "-", "2024-01-01", "≥90%"] {
        assert!(!is_page_footer(f), "{f}");
    }
}

#[test]
fn segments_keep_single_spaces_and_columns() {
    let s = segments("  项目 名称    拆违经费\t10", false);
    let got: Vec<(usize, usize, &str)> = s.iter().map(|s| (s.start, s.end, &*s.text)).collect();
    assert_eq!(got, [(2, 7, "项目 名称"), (11, 15, "拆违经费"), (16, 18, "10")]);
}

#[test]
fn joins_cjk_without_space_and_latin_with_one() {
    let join = |a: &str, b: &str| {
        let mut s = CompactString::from(a);
        append(&mut s, b);
        s
    };
    assert_eq!(join("做好应急物资储备相", "关工作"), "做好应急物资储备相关工作");
    assert_eq!(join("Annual target", "reached"), "Annual target reached");
    assert_eq!(join("预算执行率", "100%"), "预算执行率 100%");
    assert_eq!(join("新增违建", "“零增长”"), "新增违建“零增长”");
}

#[test]
fn centred_label_with_value_wrapped_above_and_below() {
    let text = "  项目名称    应急物资储备
              做好应急物资储备相关工作，确保按时
  年度目标    保质完成，保障各项工作顺利开展。提
              高资金使用效益。
  满意度      ≥90%
";
    let t = read(text).texts();
    assert_eq!(t[0], ["项目名称", "应急物资储备"]);
    assert_eq!(
        t[1],
        ["年度目标", "做好应急物资储备相关工作，确保按时保质完成，保障各项工作顺利开展。提高资金使用效益。"]
    );
    assert_eq!(t[2], ["满意度", "≥90%"]);
    assert_eq!(t.len(), 3);
}

fn joined(t: &[Vec<String>]) -> Vec<String> {
    t.iter().map(|r| r.join(" | ")).collect()
}

/// The 佛山 2022 target form padded for display (a CJK character two columns wide), not
/// by character index as pdftotext pads: 效益指标 and 绩效指标 span rows.
#[test]
fn display_aligned_form_with_rowspans() {
    let text = include_str!("../../../../sample_data/layouts/foshan_2022_fixed_width.txt");
    let expect = [
        "2022年度项目支出绩效目标表",
        "单位名称：佛山市民政局",
        "项目名称 | 社区养老服务补贴",
        "主管部门 | 佛山市民政局 | 实施单位 | 佛山市民政局",
        "项目资金（万元） | 年度资金总额 | 126.50",
        " | 其中：财政拨款 | 126.50",
        " | 其他资金 | 0.00",
        "年度总体目标 | 为全市社区养老服务站点提供运营补贴，提升居家养老服务覆盖面和服务质量。",
        "绩效指标 | 一级指标 | 二级指标 | 三级指标 | 指标值",
        " | 产出指标 | 数量指标 | 补贴站点数量 | ≥120个",
        " |  | 质量指标 | 服务合格率 | ≥95%",
        " |  | 时效指标 | 补贴发放及时率 | 100%",
        " |  | 成本指标 | 站点平均补贴标准 | ≤1.05万元/个",
        " | 效益指标 | 社会效益指标 | 服务老年人人次 | ≥3万人次",
        // Segments under L2, L3 and value: a new row under 效益指标, not a wrap.
        " |  | 可持续影响指标 | 服务机制长效运行 | 长期",
        // A lone shorter segment under L2 is a wrap.
        " | 满意度指标 | 服务对象满意度指标 | 老年人满意度 | ≥90%",
    ];
    assert_eq!(joined(&read(text).texts()), expect);
}

/// The same indicator block as pdftotext writes it (columns by character index): the
/// rowspan rules do not depend on the column measure.
#[test]
fn character_aligned_form_with_rowspans() {
    let text = "  绩效指标        一级指标      二级指标        三级指标          指标值
              产出指标      数量指标        补贴站点数量        ≥120个
                        质量指标        服务合格率         ≥95%
              效益指标      社会效益指标      服务老年人人次       ≥3万人次
                        可持续影响指标     服务机制长效运行      长期
              满意度指标     服务对象满意度     老年人满意度        ≥90%
                        指标
";
    let expect = [
        "绩效指标 | 一级指标 | 二级指标 | 三级指标 | 指标值",
        " | 产出指标 | 数量指标 | 补贴站点数量 | ≥120个",
        " |  | 质量指标 | 服务合格率 | ≥95%",
        " | 效益指标 | 社会效益指标 | 服务老年人人次 | ≥3万人次",
        " |  | 可持续影响指标 | 服务机制长效运行 | 长期",
        " | 满意度指标 | 服务对象满意度指标 | 老年人满意度 | ≥90%",
    ];
    assert_eq!(joined(&read(text).texts()), expect);
}

/// Leading empty cells come from the columns of the rows above (the indented header,
/// the row before), not from how many cells of the last row at the margin lie left:
/// 年度总体目标's long text covers the L2 column.
#[test]
fn covered_columns_follow_the_nearest_row_with_that_column() {
    let text = "  年度总体目标        为全市社区养老服务站点提供运营补贴。
                一级指标      二级指标      三级指标      指标值
                产出指标      数量指标      补贴站点      ≥120个
                          质量指标      合格率       ≥95%
";
    let expect = [
        "年度总体目标 | 为全市社区养老服务站点提供运营补贴。",
        " | 一级指标 | 二级指标 | 三级指标 | 指标值",
        " | 产出指标 | 数量指标 | 补贴站点 | ≥120个",
        " |  | 质量指标 | 合格率 | ≥95%",
    ];
    assert_eq!(joined(&read(text).texts()), expect);
}

#[test]
fn column_measure_follows_the_text() {
    let s = segments("  项目名称    拆违经费", true);
    let got: Vec<(usize, usize)> = s.iter().map(|s| (s.start, s.end)).collect();
    assert_eq!(got, [(2, 10), (14, 22)]);
    // pdftotext: the value column starts at one character index (16) after labels of
    // different lengths, so at different display columns; padded for display, the other
    // way round (display column 20).
    let pdftotext =
        [Some("  项目名称          拆违经费"), Some("  计划开始日期        2024-01-01"), Some("  备注            无")];
    let cut = |lines: &[Option<&str>], wide: bool| -> Vec<usize> {
        lines.iter().flatten().flat_map(|l| segments(l, wide)).map(|s| s.start).collect()
    };
    assert!(aligned_starts(cut(&pdftotext, false)) > aligned_starts(cut(&pdftotext, true)));
    let padded =
        [Some("  项目名称          拆违经费"), Some("  计划开始日期      2024-01-01"), Some("  备注              无")];
    assert!(aligned_starts(cut(&padded, true)) > aligned_starts(cut(&padded, false)));
}

#[test]
fn prose_and_single_lines() {
    let t = read("一、部门职责\n    本年度拆违经费预算金额为349.80万元。\n\n附件").texts();
    assert_eq!(t, [vec!["一、部门职责"], vec!["本年度拆违经费预算金额为349.80万元。"], vec!["附件"]]);
}

/// The indicator block of the 2023 万里街道 公共服务设施运行经费 form through `pdftotext -layout`:
/// 一级/二级 labels printed once at the middle of their block, some on lines of no row,
/// wrapped over two lines (社会效益指 / 标).
const CENTRED: &str =
    "         一级指标   二级指标                     三级指标                           年度(/项目)指标值
                                        开展活动300场                           =300.00(场)
                数量指标
                                      环境卫生及保安服务                       卫生整洁、内部安全有序

         产出指标                            居民参与率                        居民参与率不低于 100%

                质量指标                   维修处理及时率                           维修响应速度快

绩效指标                                     房屋质量                               房屋完好

                                      加强工作人员队伍建设                               是
                社会效益指
         效益指标
                  标
                                        安全责任事故                             安全无事故

                                         居民满意度                                 90%
                服务对象满
        满意度指标
                 意度指标
                                       工作人员满意度                             ≥95.00(%)
";

/// A label printed at the middle of its block spans the block, not the row it shares a line with.
#[test]
fn labels_printed_at_the_middle_of_their_block_span_it() {
    let (g, inferred) = super::read(CENTRED, &crate::ingest::form::FormLabels);
    let spans: Vec<Vec<(String, usize)>> = g
        .rows
        .iter()
        .map(|r| r.iter().filter(|c| !c.merged).map(|c| (c.text.to_string(), c.row_span as usize)).collect())
        .collect();
    let row = |cells: &[(&str, usize)]| cells.iter().map(|(t, n)| (t.to_string(), *n)).collect::<Vec<_>>();
    assert_eq!(
        spans[1],
        row(&[("绩效指标", 9), ("产出指标", 5), ("数量指标", 2), ("开展活动300场", 1), ("=300.00(场)", 1)])
    );
    assert_eq!(spans[3], row(&[("质量指标", 3), ("居民参与率", 1), ("居民参与率不低于 100%", 1)]));
    assert_eq!(spans[6], row(&[("效益指标", 2), ("社会效益指标", 2), ("加强工作人员队伍建设", 1), ("是", 1)]));
    assert_eq!(spans[8], row(&[("满意度指标", 2), ("服务对象满意度指标", 2), ("居民满意度", 1), ("90%", 1)]));
    assert_eq!(g.rows.len(), 10);
    assert!(inferred.iter().any(|i| i.row == 0 && i.note.contains("middle of their block")), "{inferred:?}");
}

/// Two goal texts side by side (the 2023 社区环境整治和建设经费 form through `pdftotext -layout`):
/// on the first lines the right text follows the left one after a single space, and the
/// row label 项目 / 绩效 / 目标 sits left of both.
#[test]
fn goal_texts_side_by_side_split_where_their_column_starts() {
    let text = "                          项目总目标                                         年度总体目标

       整治辖区内乱设摊，整治夏秋季马路夜排档，整治交通路夜间违规活禽交易， 整治辖区内乱设摊，整治夏秋季马路夜排
项目     开展防汛防台工作，进行垃圾分类指导检查。为提高万里地区总体环境，开展 档，整治交通路夜间违规活禽交易，开展防
绩效     爱国卫生运动、除四害活动，对局部环境脏乱地点进行建设，整体提升万里地 汛防台工作，进行垃圾分类指导检查。为提
目标     区市容市貌。                             高万里地区总体环境，开展爱国卫生运动、
                                          除四害活动，对局部环境脏乱地点进行建
                                          设，整体提升万里地区市容市貌。

";
    let (g, inferred) = super::read(text, &crate::ingest::form::FormLabels);
    let t = g.texts();
    assert_eq!(t[0], ["", "项目总目标", "年度总体目标"]);
    let goal = "整治辖区内乱设摊，整治夏秋季马路夜排档，整治交通路夜间违规活禽交易，开展防汛防台工作，\
                进行垃圾分类指导检查。为提高万里地区总体环境，开展爱国卫生运动、除四害活动，\
                对局部环境脏乱地点进行建设，整体提升万里地区市容市貌。";
    assert_eq!(t[1], ["", goal, goal]);
    assert_eq!(inferred.len(), 1);
}

#[test]
fn aligned_starts_count_every_segment_sharing_its_start() {
    assert_eq!(aligned_starts(vec![2, 5, 2, 9, 5, 5]), 5);
    assert_eq!(aligned_starts(vec![1, 2, 3]), 0);
    assert_eq!(aligned_starts(vec![]), 0);
}

#[test]
fn no_break_spaces_and_carriage_returns_in_a_segment_read_as_spaces() {
    let s = segments("项目\u{a0}名称    a\rb", false);
    let got: Vec<&str> = s.iter().map(|s| &*s.text).collect();
    assert_eq!(got, ["项目 名称", "a b"]);
}

/// The cutting [`segment::spans`] replaced: a list of spans per line, each segment's bytes
/// scanned again for a no-break space or CR, the page footer test asking a string of marks.
mod cut_before {
    use super::segment::is_wide;

    pub(super) fn is_page_footer(line: &str) -> bool {
        let footer_char =
            |c: char| c.is_whitespace() || c.is_ascii_digit() || "-—–－─第页共/,，、|pageofPAGEOF".contains(c);
        if !line.chars().all(footer_char) {
            return false;
        }
        let s: String = line.chars().filter(|c| !c.is_whitespace()).collect();
        if s.is_empty() || !s.chars().any(|c| c.is_ascii_digit()) {
            return false;
        }
        let dashes = ['-', '—', '–', '－', '─'];
        let inner = s.trim_matches(&dashes[..]);
        if inner.len() < s.len()
            && s.starts_with(&dashes[..])
            && s.ends_with(&dashes[..])
            && inner.chars().all(|c| c.is_ascii_digit())
        {
            return true;
        }
        let only = |extra: &[char]| s.chars().all(|c| c.is_ascii_digit() || extra.contains(&c));
        if s.contains('页') && only(&['第', '页', '共', '/', ',', '，', '、', '|']) {
            return true;
        }
        let lower = s.to_ascii_lowercase();
        lower.starts_with("page") && {
            let rest = lower.trim_start_matches("page").replace("of", "/");
            rest.chars().all(|c| c.is_ascii_digit() || c == '/')
        }
    }

    /// `(start, end, text)` of each segment in both measures, and whether the line holds a
    /// wide character.
    pub(super) type Cut = (Vec<(usize, usize, String)>, Vec<(usize, usize, String)>, bool);

    pub(super) fn segments(line: &str) -> Cut {
        struct Span {
            bytes: std::ops::Range<usize>,
            chars: (usize, usize),
            display: (usize, usize),
        }
        let mut out: Vec<Span> = Vec::new();
        let (mut col, mut dcol) = (0usize, 0usize);
        let mut gap = 0usize;
        let mut any_wide = false;
        let mut open: Option<Span> = None;
        let bytes = line.as_bytes();
        let mut next = 0;
        while next < bytes.len() {
            let run = bytes[next..].iter().take_while(|&&b| b == b' ').count();
            if run > 0 {
                col += run;
                dcol += run;
                gap += run;
                next += run;
                continue;
            }
            let i = next;
            let (c, w) = if bytes[i] < 0x80 {
                (char::from(bytes[i]), 1)
            } else {
                let Some(c) = line[i..].chars().next() else { break };
                let wide = is_wide(c);
                any_wide |= wide;
                (c, if wide { 2 } else { 1 })
            };
            next = i + c.len_utf8();
            match c {
                '\t' => {
                    col = (col / 8 + 1) * 8;
                    dcol = (dcol / 8 + 1) * 8;
                    gap = 2;
                }
                ' ' | '\u{a0}' | '\u{3000}' | '\r' => {
                    col += 1;
                    dcol += w;
                    gap += 1;
                }
                _ => {
                    let end = next;
                    match open.as_mut() {
                        Some(span) if gap < 2 => {
                            span.bytes.end = end;
                            span.chars.1 = col + 1;
                            span.display.1 = dcol + w;
                        }
                        _ => {
                            out.extend(open.take());
                            open = Some(Span { bytes: i..end, chars: (col, col + 1), display: (dcol, dcol + w) });
                        }
                    }
                    gap = 0;
                    col += 1;
                    dcol += w;
                }
            }
        }
        out.extend(open);
        let text = |s: &Span| {
            let text = &line[s.bytes.clone()];
            let plain = !text.bytes().any(|b| b == 0xc2 || b == b'\r');
            if plain { text.to_string() } else { text.replace(['\u{a0}', '\r'], " ") }
        };
        let chars = out.iter().map(|s| (s.chars.0, s.chars.1, text(s))).collect();
        let display = out.iter().map(|s| (s.display.0, s.display.1, text(s))).collect();
        (chars, display, any_wide)
    }

    pub(super) fn aligned_starts(starts: &[usize]) -> usize {
        let mut sorted = starts.to_vec();
        sorted.sort_unstable();
        (0..sorted.len())
            .filter(|&i| (i > 0 && sorted[i - 1] == sorted[i]) || sorted.get(i + 1) == Some(&sorted[i]))
            .count()
    }
}

/// The segments of `line` as the one-list cutting makes them, in the shape of [`cut_before`].
fn cut_now(line: &str) -> cut_before::Cut {
    let mut spans = Vec::new();
    let wide = segment::spans(line, &mut spans);
    let measure =
        |wide: bool| spans.iter().map(|s| s.seg(line, wide)).map(|s| (s.start, s.end, s.text.into_owned())).collect();
    (measure(false), measure(true), wide)
}

#[test]
fn lines_cut_into_one_span_list_as_into_a_list_each_on_every_sample_and_random_text() {
    let mut lines_seen = 0;
    for (path, text) in crate::ingest::samples::texts() {
        for line in crate::ingest::layout::sniff::lines(&text) {
            for piece in line.split('\x0c') {
                assert_eq!(cut_now(piece), cut_before::segments(piece), "{}: {piece:?}", path.display());
                assert_eq!(is_page_footer(piece), cut_before::is_page_footer(piece), "{}: {piece:?}", path.display());
                lines_seen += 1;
            }
        }
    }
    assert!(lines_seen > 1000, "only {lines_seen} lines in the samples");
    // Random lines of the characters the cutting tells apart, footers' marks among them.
    let alphabet = [
        " ",
        " ",
        " ",
        "  ",
        "        ",
        "           ",
        "\t",
        "\u{a0}",
        "\u{3000}",
        "\r",
        "a",
        "P",
        "0",
        "9",
        "-",
        "—",
        "第",
        "页",
        "共",
        "/",
        "项",
        "目",
        "Ａ",
        "±",
        "·",
        "é",
        "😀",
        "of",
        "page",
    ];
    let mut rng = fastrand::Rng::with_seed(0x5EED_F1ED);
    for _ in 0..20_000 {
        let line: String = (0..rng.usize(0..24)).map(|_| alphabet[rng.usize(..alphabet.len())]).collect();
        assert_eq!(cut_now(&line), cut_before::segments(&line), "{line:?}");
        assert_eq!(is_page_footer(&line), cut_before::is_page_footer(&line), "{line:?}");
    }
    for _ in 0..2_000 {
        let starts: Vec<usize> = (0..rng.usize(0..40)).map(|_| rng.usize(0..12)).collect();
        assert_eq!(aligned_starts(starts.clone()), cut_before::aligned_starts(&starts), "{starts:?}");
    }
}

#[test]
fn wide_characters_with_the_ideographs_tested_first_are_the_table_on_every_char() {
    let table = |c: char| {
        matches!(c as u32,
            0x1100..=0x115F | 0x2E80..=0x303E | 0x3041..=0x33FF | 0x3400..=0x4DBF | 0x4E00..=0x9FFF
                | 0xA000..=0xA4CF | 0xAC00..=0xD7A3 | 0xF900..=0xFAFF | 0xFE10..=0xFE19 | 0xFE30..=0xFE6F
                | 0xFF00..=0xFF60 | 0xFFE0..=0xFFE6 | 0x20000..=0x3FFFD)
    };
    for c in (0..=u32::from(char::MAX)).filter_map(char::from_u32) {
        assert_eq!(segment::is_wide(c), table(c), "U+{:04X}", c as u32);
    }
}
