//! Stage 5, records (score): how measurable one indicator's target is.

use std::cell::RefCell;
use std::sync::LazyLock;

use foldhash::{HashMap, HashMapExt};
use rust_decimal::Decimal;

use super::rules::*;
use super::{IndicatorInput, Scored};
use crate::ingest::text::fold_width;
use crate::ingest::value::{
    ListHits, ValueKind, ValueReading, ValueWords, is_generic_label, is_punct, lexicon, trim_cell,
};

/// Rate-like indicators, where a target needs a direction.
const RATE_MARKERS: &[&str] = &["率", "满意度", "覆盖", "知晓", "占比", "比例", "比重"];

/// What makes a rate or count "good" (more is better). Matched against the level-3 name.
#[rustfmt::skip]
const GOOD_MARKERS: &[&str] = &[
    "合格", "覆盖", "满意", "知晓", "执行", "完成", "达标", "及时", "准确", "正确", "到位", "参与",
    "使用率", "利用", "入学", "就业", "通过", "普及", "受益", "治愈", "回收", "处理", "处置",
    "上线", "出勤", "完好", "优良", "合规", "办结", "结案", "响应", "接通", "兑现", "发放", "支付",
    "验收", "销项", "达成", "按时", "准时", "成功", "存活", "成活", "运行", "在线", "可用", "竣工",
    "修复", "整改", "录入", "归档", "查处", "解决", "认可", "好评", "参保", "完整", "规范",
];

/// What makes a rate or count "bad" (less is better).
#[rustfmt::skip]
const BAD_MARKERS: &[&str] = &[
    "不合格", "不达标", "不满意", "误差", "偏差", "差错", "错误", "失误", "事故", "投诉", "返工",
    "流失", "空置", "超标", "逾期", "延误", "死亡", "发病", "犯罪", "损失", "故障", "漏报", "漏检",
    "争议", "辍学", "退回", "拖欠", "闲置", "超支", "误报", "隐患", "发生数", "发生率", "发生次数",
    "发案", "能耗", "排放量", "上访", "违规率", "差评", "重复率", "缺陷",
];

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Polarity {
    Good,
    Bad,
}

/// The polarity of the name: whichever marker ends last is the thing measured
/// (`事故处理及时率` is a good rate, `补助款结算误差率` a bad one); on a tie the longer
/// marker wins (`不合格率` over `合格`).
fn polarity(name: &ListHits) -> Option<Polarity> {
    match (name.last_end(GOOD), name.last_end(BAD)) {
        (Some(g), Some(b)) => Some(if b >= g { Polarity::Bad } else { Polarity::Good }),
        (Some(_), None) => Some(Polarity::Good),
        (None, Some(_)) => Some(Polarity::Bad),
        (None, None) => None,
    }
}

/// Words that state a change with its direction (`提高5%`, `降低`).
const UP_WORDS: &[&str] = &["提高", "提升", "增加", "增长", "上升", "扩大", "增强"];
const DOWN_WORDS: &[&str] = &["降低", "减少", "下降", "压缩", "缩短", "减低"];

/// Words that carry no measurable content on their own. A value made only of these (plus
/// the filler below and at most two other chars) is vague.
#[rustfmt::skip]
const VAGUE_WORDS: &[&str] = &[
    "稳步推进", "发挥作用", "达到预期", "进一步", "良好", "有效", "显著", "提高", "提升", "较好",
    "明显", "改善", "改进", "加强", "增强", "促进", "推进", "持续", "长期", "可持续", "逐步",
    "不断", "大幅", "有所", "降低", "减少", "下降", "增加", "优化", "合理", "可控", "较高", "较大",
    "一定", "积极", "显现", "很好", "更好", "好", "高", "强", "大", "得到", "有", "的", "地",
];

lexicon!(VAGUE_LEX, VAGUE_WORDS);

fn is_vague(v: &str) -> bool {
    let mut rest_chars = 0usize;
    let mut i = 0;
    let mut matched_any = false;
    while i < v.len() {
        let tail = &v[i..];
        if let Some(w) = VAGUE_LEX.at(v, i) {
            i += w.len();
            matched_any = true;
            continue;
        }
        let Some(c) = tail.chars().next() else { break };
        if !c.is_whitespace() && !is_punct(c) {
            rest_chars += 1;
        }
        i += c.len_utf8();
    }
    // `质量良好`, `效果显著`: the other two chars only name the category again.
    matched_any && rest_chars <= 2
}

/// Words of a qualitative quality target that name a standard an evaluator can check.
#[rustfmt::skip]
const STANDARD_WORDS: &[&str] = &[
    "合格", "达标", "符合", "标准", "规范", "验收", "优良", "优秀", "等级", "要求", "规定", "通过",
    "无差错", "零差错", "准确", "无误", "达到", "国家", "行业", "合规", "一级", "二级", "甲级",
];

const MONEY_UNITS: &[&str] = &["元", "万元", "亿元", "千元", "百元", "万"];
#[rustfmt::skip]
const TIME_UNITS: &[&str] = &[
    "天", "日", "周", "月", "年", "个月", "小时", "分钟", "工作日", "个工作日", "季度", "学时",
    "课时",
];
/// Words that make a timeliness value a period even without a number (`年内完成`).
#[rustfmt::skip]
const PERIOD_WORDS: &[&str] = &[
    "底前", "年内", "月内", "季度内", "日内", "天内", "年底", "月底", "年末", "上半年", "下半年",
    "前完成", "内完成", "当年", "当月", "即时", "实时",
];

/// What the reading's unit is, told once per indicator: the checks ask it up to a dozen times,
/// several of them a search of a unit list.
#[derive(Debug, Clone, Copy, Default)]
struct UnitIs {
    none: bool,
    pct: bool,
    money: bool,
    time: bool,
    /// `分` or `‰`: a score or a share, like a percentage.
    score: bool,
    /// `分`, `级`, `星` or `‰`: a score or a grade.
    grade: bool,
    /// `月`, `年` or `日`: a point in time when the value is a deadline.
    date: bool,
    month: bool,
    year: bool,
}

impl UnitIs {
    fn of(reading: &ValueReading) -> Self {
        let Some(u) = reading.unit.as_deref() else { return UnitIs { none: true, ..UnitIs::default() } };
        UnitIs {
            none: false,
            pct: u == "%",
            money: MONEY_UNITS.contains(&u),
            time: TIME_UNITS.contains(&u),
            score: matches!(u, "分" | "‰"),
            grade: matches!(u, "分" | "级" | "星" | "‰"),
            date: matches!(u, "月" | "年" | "日"),
            month: u == "月",
            year: u == "年",
        }
    }
}

/// Words of a date that make it a deadline (`6月底前`, `12月份`).
const DEADLINE_WORDS: &[&str] = &["底", "前", "末", "上旬", "中旬", "下旬", "份"];
/// Words of a name that measures growth, which may exceed 100%.
const GROWTH_WORDS: &[&str] = &["增长", "增幅", "增加", "提高", "带动", "同比", "倍", "增速"];
/// Words of a 数量 name that make a percentage a fair count (a rate or a share of a plan).
const SHARE_WORDS: &[&str] = &["率", "比例", "占比", "计划", "完成", "覆盖"];
/// 二级 labels of costs that 101号 allows to be stated in words.
const NON_MONEY_COST_WORDS: &[&str] = &["社会成本", "生态", "环境成本"];

// The lists asked of every value and name, by their index in the scan: the reader's lists of
// comparison words come first, then [`SCORE_LISTS`].
const RATE: usize = ValueWords::MORE;
const GOOD: usize = ValueWords::MORE + 1;
const BAD: usize = ValueWords::MORE + 2;
const UP: usize = ValueWords::MORE + 3;
const DOWN: usize = ValueWords::MORE + 4;
const GROWTH: usize = ValueWords::MORE + 5;
const SHARE: usize = ValueWords::MORE + 6;
const STANDARD: usize = ValueWords::MORE + 7;
const PERIOD: usize = ValueWords::MORE + 8;
const DEADLINE: usize = ValueWords::MORE + 9;
/// `率` anywhere in a value: a quality value naming a rate.
const RATE_CHAR: usize = ValueWords::MORE + 10;
const SCORE_LISTS: [&[&str]; 11] = [
    RATE_MARKERS,
    GOOD_MARKERS,
    BAD_MARKERS,
    UP_WORDS,
    DOWN_WORDS,
    GROWTH_WORDS,
    SHARE_WORDS,
    STANDARD_WORDS,
    PERIOD_WORDS,
    DEADLINE_WORDS,
    &["率"],
];

/// Every list a score asks about, in one automaton with the reader's: the name and the value
/// are each read once for all of them, the value in the pass that reads its comparison
/// ([`super::read_value_for_score`]), instead of once per list asked (up to ten passes per
/// indicator).
pub(super) static SCORE_WORDS: LazyLock<ValueWords> = LazyLock::new(|| ValueWords::new(&SCORE_LISTS));

thread_local! {
    /// The words of level-3 names already scanned on this thread. A form's names (`预算执行率`,
    /// `群众满意度`) come back in project after project, and a lookup costs a fraction of a scan.
    static NAME_WORDS: RefCell<HashMap<Box<str>, ListHits>> = RefCell::new(HashMap::new());
}

/// The longest name (in bytes) whose words are remembered; a longer one is scanned each time.
const REMEMBERED_MAX_BYTES: usize = 96;

/// How many names a thread remembers; past this the memory starts over, so a corpus of
/// ever-new names costs a bounded table.
const REMEMBERED_MAX_NAMES: usize = 1 << 12;

/// [`SCORE_WORDS`] of a level-3 name, remembered per name for short names.
fn name_words(name: &str) -> ListHits {
    if name.len() > REMEMBERED_MAX_BYTES {
        return SCORE_WORDS.scan(name);
    }
    NAME_WORDS.with_borrow_mut(|seen| {
        if let Some(hits) = seen.get(name) {
            return *hits;
        }
        if seen.len() >= REMEMBERED_MAX_NAMES {
            seen.clear();
        }
        let hits = SCORE_WORDS.scan(name);
        seen.insert(name.into(), hits);
        hits
    })
}

// Asked of the 二级 label of cost indicators only.
lexicon!(NON_MONEY_COST_LEX, NON_MONEY_COST_WORDS);

/// `6月底前`, `2021年12月前`, a bare year: a point in time.
fn is_deadline(v: &ListHits, r: &ValueReading, unit: UnitIs) -> bool {
    r.kind == ValueKind::Quantitative && unit.date && (v.contains(DEADLINE) || unit.year)
}

/// Scores one indicator: 100 minus the weights of the [`INDICATOR_RULES`] it breaks.
pub fn score_indicator(ind: &IndicatorInput) -> Scored {
    let mut flags = Raised::new(INDICATOR_RULES);
    let r = ind.reading;
    let v = trim_cell(ind.value);

    let c3 = ind.level3_core;
    // Only bare category words: `服务对象满意度` repeats its level-2 label too, but it says
    // whose satisfaction is measured, which is what 指向明确 asks.
    if c3.is_empty() || is_generic_label(c3) {
        flags.raise(GENERIC_NAME);
    }

    match r.kind {
        ValueKind::Empty => flags.raise(EMPTY),
        ValueKind::Placeholder => flags.raise(PLACEHOLDER),
        ValueKind::Quantitative | ValueKind::Qualitative => value_flags(ind, v, &mut flags),
    }

    // Listed in table order, so equal inputs give equal flag lists whatever the check order.
    flags.score(100)
}

/// The flags of a filled-in value; `v` is trimmed.
fn value_flags(ind: &IndicatorInput, v: &str, flags: &mut Raised) {
    let r = ind.reading;
    let quant = r.kind == ValueKind::Quantitative;
    let unit = UnitIs::of(r);
    let is_pct = unit.pct;
    // The name untrimmed: trimming drops quotes and whitespace, which no word holds, from its
    // ends, so it finds the same words, all shifted alike.
    let (vw, nw) = (ind.value_words, &name_words(ind.level3));
    let is_rate = nw.contains(RATE) || vw.contains(RATE);
    // The name carries the polarity; a value with its own label (`合格率≤90%` under `作用`)
    // does when the name says nothing.
    let says_up = vw.contains(UP);
    let up = r.op.is_some_and(|o| o == ">=" || o == ">") || says_up;
    let down = r.op.is_some_and(|o| o == "<=" || o == "<") || vw.contains(DOWN);
    // Only a stated direction can be wrong.
    let pol = if up || down { polarity(nw).or_else(|| polarity(vw)) } else { None };
    let l2 = ind.level2_code;
    let is_money = unit.money;

    if !quant {
        flags.raise(NOT_QUANTIFIED);
        if is_vague(v) {
            flags.raise(VAGUE);
        }
    } else if unit.none {
        flags.raise(NO_UNIT);
    }

    // What the number measures decides which direction rule applies: a share or a score
    // takes the polarity of the rate it names, money under cost wants a ceiling, a count of
    // outputs wants a floor. A value in another unit (`减少7起` under `服务覆盖率`) measures
    // something else than its name; that is not a direction question.
    let score_like = unit.score;
    let rate_value = !quant || is_pct || score_like || unit.none;
    let count_value = quant && !rate_value && !is_money && !unit.time;

    // Direction: a rate target needs one. 100% and 0% need none (there is nothing above or
    // below them), nor does a stated change (`提高5%`).
    if quant && is_rate && (is_pct || score_like || unit.none) && r.op.is_none() && !up && !down {
        let extreme = r.number.is_some_and(|n| n == Decimal::ONE_HUNDRED || n.is_zero());
        if !extreme {
            flags.raise(NO_DIRECTION);
        }
    }

    let wrong = if l2 == "cost" && is_money {
        up && !down
    } else if rate_value && (is_rate || pol.is_some()) {
        against_polarity(pol, up, down)
    } else if count_value && l2 == "quantity" {
        // A floor on outputs, unless the thing counted is bad (`事故发生数≤3起`).
        match pol {
            Some(Polarity::Bad) => up && !down,
            _ => down && !up,
        }
    } else {
        false
    };
    if wrong {
        flags.raise(WRONG_DIRECTION);
    }

    if category_mismatch(ind, unit, vw, nw) {
        flags.raise(CATEGORY_MISMATCH);
    }

    if copies_goal(v, ind.goal_texts) {
        flags.raise(COPIES_GOAL);
    }

    if quant && implausible(ind, unit, vw, nw, says_up) {
        flags.raise(IMPLAUSIBLE);
    }
}

/// A direction that rewards failure: a ceiling on a good rate or a floor on a bad one.
fn against_polarity(pol: Option<Polarity>, up: bool, down: bool) -> bool {
    match pol {
        Some(Polarity::Good) => down && !up,
        Some(Polarity::Bad) => up && !down,
        None => false,
    }
}

/// A number the indicator cannot reach or that makes no sense: a rate over 100% (unless it
/// measures growth), a negative count, a month past 12.
fn implausible(ind: &IndicatorInput, unit: UnitIs, v: &ListHits, level3: &ListHits, says_up: bool) -> bool {
    let r = ind.reading;
    let Some(n) = r.number else { return false };
    let is_pct = unit.pct;
    let growth = says_up || level3.contains(GROWTH);
    let over_100 = is_pct && n > Decimal::ONE_HUNDRED && !growth;
    let negative_count = n.is_sign_negative() && !is_pct && !growth && ind.level2_code == "quantity";
    let bad_month = is_deadline(v, r, unit) && unit.month && n > Decimal::from(12);
    over_100 || negative_count || bad_month
}

/// Whether the value measures what its level-2 category asks for.
fn category_mismatch(ind: &IndicatorInput, unit: UnitIs, v: &ListHits, level3: &ListHits) -> bool {
    let r = ind.reading;
    let quant = r.kind == ValueKind::Quantitative;
    let (is_pct, time, money, score_like) = (unit.pct, unit.time, unit.money, unit.grade);
    match ind.level2_code {
        // A count: a share is fine only when the name is a rate or a share of a plan.
        "quantity" => quant && ((is_pct && !level3.contains(SHARE)) || is_deadline(v, r, unit)),
        // A rate, a score or a named standard; not a head count or a date.
        "quality" => {
            if quant {
                !(is_pct || score_like || unit.none || v.contains(RATE_CHAR) || v.contains(STANDARD))
            } else {
                !v.contains(STANDARD)
            }
        }
        // A date, a period or an on-time rate; `及时`, `全年` alone are none of these.
        "timeliness" => {
            if quant {
                !(time || is_pct || is_deadline(v, r, unit))
            } else {
                !v.contains(PERIOD)
            }
        }
        // Money or a share of the budget. Social and ecological costs (101号) may be words.
        "cost" => {
            if NON_MONEY_COST_LEX.contains(ind.level2) {
                false
            } else if quant {
                !(money || is_pct)
            } else {
                true
            }
        }
        // A surveyed share: ≥N% (or a score).
        "satisfaction" => !(quant && (is_pct || score_like)),
        _ => false,
    }
}

/// The value (trimmed) restates a goal: it is long enough to be a sentence and a goal contains it.
fn copies_goal(v: &str, goals: &[&str]) -> bool {
    const MIN_CHARS: usize = 12;
    let core = v.trim_end_matches(is_punct);
    if goals.is_empty() || core.chars().nth(MIN_CHARS - 1).is_none() {
        return false;
    }
    if goals.iter().any(|g| g.contains(core)) {
        return true;
    }
    // PDF text wraps cells with spaces and line breaks that the goal cell may not have, or
    // the other way round: compare without whitespace. Allocates, but only for such text.
    if !core.contains(char::is_whitespace) && !goals.iter().any(|g| g.contains(char::is_whitespace)) {
        return false;
    }
    let nv = squash(core);
    nv.chars().nth(MIN_CHARS - 1).is_some() && goals.iter().any(|g| squash(g).contains(nv.as_str()))
}

/// Text without whitespace or quotes, full-width forms folded.
fn squash(s: &str) -> String {
    s.chars().map(fold_width).filter(|c| !c.is_whitespace() && !matches!(c, '"' | '“' | '”')).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::value::Lexicon;

    /// A remembered name's words are its scan's, for names seen again, long names, and past
    /// the point where the memory starts over.
    #[test]
    fn a_remembered_name_has_the_words_of_its_scan() {
        let mut names: Vec<String> = Vec::new();
        for t in crate::ingest::samples::tables() {
            names.extend(t.indicators.into_iter().map(|i| i.level3));
        }
        names.push("合格率".repeat(REMEMBERED_MAX_BYTES));
        names.extend((0..REMEMBERED_MAX_NAMES + 10).map(|i| format!("{i}不合格率")));
        for name in names.iter().chain(&names) {
            assert_eq!(name_words(name), SCORE_WORDS.scan(name), "{name:?}");
        }
    }

    /// The one-pass scan of every list answers as each list's own automaton did, on every
    /// name and value of the samples, every list word, and random texts of the lists' chars
    /// (overlaps, words shared by lists, near misses); a name untrimmed as trimmed.
    #[test]
    fn one_scan_answers_as_each_list_alone() {
        let lists: Vec<Lexicon> = SCORE_LISTS.iter().map(|l| Lexicon::new(l)).collect();
        let mut texts = crate::ingest::samples::indicator_texts();
        assert!(texts.len() > 1000, "{} sample texts", texts.len());
        texts.extend(SCORE_LISTS.iter().flat_map(|l| l.iter().map(|w| w.to_string())));
        let mut alphabet: Vec<char> =
            SCORE_LISTS.iter().flat_map(|l| l.iter().flat_map(|w| w.chars())).chain(['x', '%', '，']).collect();
        alphabet.sort_unstable();
        alphabet.dedup();
        let mut rng = fastrand::Rng::with_seed(0x9E37_79B9_7F4A_7C15);
        for _ in 0..20_000 {
            let n = rng.usize(..10);
            texts.push((0..n).map(|_| alphabet[rng.usize(..alphabet.len())]).collect());
        }
        for s in &texts {
            let hits = SCORE_WORDS.scan(s);
            for (k, lex) in lists.iter().enumerate() {
                let list = ValueWords::MORE + k;
                assert_eq!(hits.contains(list), lex.contains(s), "list {k} in {s:?}");
                assert_eq!(hits.last_end(list), lex.last_end(s), "last end of list {k} in {s:?}");
                assert_eq!(hits.first(list), lex.first(s).map(|(i, w)| (i, w.len())), "first of list {k} in {s:?}");
            }
            // Wrapped in what trim_cell drops, a name finds the same words, shifted alike.
            let wrapped = format!(" “{s}”\u{3000}");
            let trimmed = trim_cell(&wrapped);
            let shift = trimmed.as_ptr() as usize - wrapped.as_ptr() as usize;
            let (w, t) = (SCORE_WORDS.scan(&wrapped), SCORE_WORDS.scan(trimmed));
            for list in 0..ValueWords::MORE + SCORE_LISTS.len() {
                assert_eq!(w.contains(list), t.contains(list), "list {list} in {wrapped:?}");
                assert_eq!(w.last_end(list).map(|(e, n)| (e - shift, n)), t.last_end(list), "{list} in {wrapped:?}");
                assert_eq!(w.first(list).map(|(i, n)| (i - shift, n)), t.first(list), "{list} in {wrapped:?}");
            }
        }
    }
}
