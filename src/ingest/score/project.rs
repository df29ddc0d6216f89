//! Stage 5, records (score): how complete and consistent one project's set of indicators is.

use std::collections::{HashMap, VecDeque};

use super::rules::*;
use super::{ProjectIndicator, ProjectInput, Scored};
use crate::ingest::deadline;
use crate::ingest::value::{ValueKind, loose_eq, trim_cell};

fn filled(p: &ProjectIndicator) -> bool {
    matches!(p.reading.kind, ValueKind::Quantitative | ValueKind::Qualitative)
}

/// Scores one project table: the mean of its indicator scores minus the [`PROJECT_RULES`]
/// it breaks.
///
/// Coverage checks look at annual indicators (every form has them; a midterm-only table
/// falls back to all its indicators) and count only filled-in ones: a template row left
/// blank or repeating its name does not cover its category.
pub fn score_project(p: &ProjectInput) -> Scored {
    let inds = p.indicators;
    let mut flags = Raised::new(PROJECT_RULES);
    let base: u32 = if inds.is_empty() {
        0
    } else {
        let sum: u32 = inds.iter().map(|i| u32::from(i.score.min(100))).sum();
        // Rounded mean.
        (sum + inds.len() as u32 / 2) / inds.len() as u32
    };

    let has_annual = inds.iter().any(|i| i.horizon == "annual");
    let side = |i: &&ProjectIndicator| !has_annual || i.horizon == "annual";
    let covers = |pred: &dyn Fn(&ProjectIndicator) -> bool| inds.iter().filter(side).any(|i| filled(i) && pred(i));

    if !covers(&|i| i.level2_code == "quantity") {
        flags.raise(MISSING_QUANTITY);
    }
    if !covers(&|i| i.level2_code == "quality") {
        flags.raise(MISSING_QUALITY);
    }
    if !covers(&|i| i.level2_code == "timeliness") {
        flags.raise(MISSING_TIMELINESS);
    }
    if !covers(&|i| i.level1_code == "outcome") {
        flags.raise(MISSING_OUTCOME);
    }
    if !covers(&|i| i.level1_code == "satisfaction" || i.level2_code == "satisfaction") {
        flags.raise(MISSING_SATISFACTION);
    }
    if p.year >= 2021 && !covers(&|i| i.level1_code == "cost" || i.level2_code == "cost") {
        flags.raise(MISSING_COST);
    }
    if inds.iter().filter(side).filter(|i| filled(i)).count() < 3 {
        flags.raise(TOO_FEW_INDICATORS);
    }

    let (same, exceeds) = compare_horizons(inds);
    if p.form == "approval" && same {
        flags.raise(ANNUAL_SAME_AS_MIDTERM);
    }
    if exceeds {
        flags.raise(ANNUAL_EXCEEDS_MIDTERM);
    }

    flags.score(base)
}

fn pair_key<'a>(i: &ProjectIndicator<'a>) -> (&'a str, &'a str) {
    (i.level2_code, i.level3_core)
}

/// Pairs each annual indicator with the midterm one of the same level-2 code and level-3
/// name (the k-th annual with the k-th midterm when a name repeats). Returns whether every
/// annual value equals its counterpart (with at least one pair, and every annual paired) and
/// whether some annual quantity exceeds its midterm one in the same unit.
fn compare_horizons(inds: &[ProjectIndicator]) -> (bool, bool) {
    let midterms: Vec<&ProjectIndicator> = inds.iter().filter(|i| i.horizon == "midterm").collect();
    // A form with one horizon (every 申报表) has nothing to pair: its names are not keyed.
    if midterms.is_empty() {
        return (false, false);
    }
    let annuals: Vec<&ProjectIndicator> = inds.iter().filter(|i| i.horizon == "annual").collect();
    // When both horizons list the same keys in the same order (a 批复表's two columns), the
    // k-th annual of a key is at the place of the k-th midterm of that key: the rows pair in
    // place. Otherwise the midterm rows are queued per key once, then taken in order, so a
    // table of 200,000 rows is not scored in quadratic time.
    let in_place =
        midterms.len() == annuals.len() && midterms.iter().zip(&annuals).all(|(m, a)| pair_key(m) == pair_key(a));
    let mut queued: HashMap<(&str, &str), VecDeque<&ProjectIndicator>> = HashMap::new();
    if !in_place {
        for &m in &midterms {
            queued.entry(pair_key(m)).or_default().push_back(m);
        }
    }
    let mut pairs = 0usize;
    let mut all_same = true;
    let mut exceeds = false;
    let mut annual_seen = 0usize;
    for (at, a) in annuals.iter().enumerate() {
        if deadline::tick() {
            break;
        }
        annual_seen += 1;
        let counterpart =
            if in_place { Some(midterms[at]) } else { queued.get_mut(&pair_key(a)).and_then(VecDeque::pop_front) };
        let Some(m) = counterpart else {
            all_same = false;
            continue;
        };
        pairs += 1;
        if !loose_eq(trim_cell(a.value), trim_cell(m.value)) {
            all_same = false;
        }
        if a.level2_code == "quantity"
            && let (Some(an), Some(mn)) = (a.reading.number, m.reading.number)
            && a.reading.unit == m.reading.unit
            && a.reading.kind == ValueKind::Quantitative
            && m.reading.kind == ValueKind::Quantitative
            && an > mn
        {
            exceeds = true;
        }
    }
    (pairs > 0 && pairs == annual_seen && all_same, exceeds)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::value::{ValueReading, read_value};

    /// The pairing as it was before rows listed in the same order were paired in place: the
    /// midterm rows always queued per key.
    fn compare_by_key(inds: &[ProjectIndicator]) -> (bool, bool) {
        let mut pairs = 0usize;
        let mut all_same = true;
        let mut exceeds = false;
        let mut annual_seen = 0usize;
        let mut midterms: HashMap<(&str, &str), VecDeque<&ProjectIndicator>> = HashMap::new();
        for m in inds.iter().filter(|i| i.horizon == "midterm") {
            midterms.entry(pair_key(m)).or_default().push_back(m);
        }
        if midterms.is_empty() {
            return (false, false);
        }
        for a in inds.iter().filter(|i| i.horizon == "annual") {
            annual_seen += 1;
            let Some(m) = midterms.get_mut(&pair_key(a)).and_then(VecDeque::pop_front) else {
                all_same = false;
                continue;
            };
            pairs += 1;
            if !loose_eq(trim_cell(a.value), trim_cell(m.value)) {
                all_same = false;
            }
            if a.level2_code == "quantity"
                && let (Some(an), Some(mn)) = (a.reading.number, m.reading.number)
                && a.reading.unit == m.reading.unit
                && a.reading.kind == ValueKind::Quantitative
                && m.reading.kind == ValueKind::Quantitative
                && an > mn
            {
                exceeds = true;
            }
        }
        (pairs > 0 && pairs == annual_seen && all_same, exceeds)
    }

    #[test]
    fn rows_paired_in_place_pair_as_by_key() {
        const NAMES: [&str; 3] = ["道路长度", "培训人次", "满意度"];
        const CODES: [&str; 2] = ["quantity", "quality"];
        const VALUES: [&str; 4] = ["10公里", "20公里", "≥90%", "良好"];
        let mut rng = fastrand::Rng::with_seed(5);
        let mut in_place = 0;
        for _ in 0..20_000 {
            // Half the tables list the annual rows as copies of the midterm rows, in order.
            let n = rng.usize(0..6);
            let mut rows: Vec<(&str, &str, &str, &str)> = (0..n)
                .map(|_| ("midterm", CODES[rng.usize(..2)], NAMES[rng.usize(..3)], VALUES[rng.usize(..4)]))
                .collect();
            if rng.bool() {
                let copies: Vec<_> =
                    rows.iter().map(|&(_, c, l3, _)| ("annual", c, l3, VALUES[rng.usize(..4)])).collect();
                rows.extend(copies);
                in_place += usize::from(n > 0);
            } else {
                rows.extend(
                    (0..rng.usize(0..6))
                        .map(|_| ("annual", CODES[rng.usize(..2)], NAMES[rng.usize(..3)], VALUES[rng.usize(..4)])),
                );
            }
            let readings: Vec<ValueReading> = rows.iter().map(|r| read_value(r.3, r.2, "", None)).collect();
            let inds: Vec<ProjectIndicator> = rows
                .iter()
                .zip(&readings)
                .map(|(r, reading)| ProjectIndicator {
                    horizon: r.0,
                    level1_code: "output",
                    level2_code: r.1,
                    level3: r.2,
                    level3_core: r.2,
                    value: r.3,
                    reading,
                    score: 100,
                })
                .collect();
            assert_eq!(compare_horizons(&inds), compare_by_key(&inds), "{rows:?}");
        }
        assert!(in_place > 5_000, "{in_place}");
    }
}
