//! Stage 5, records (value): the comparison a value states (`≥`, `不低于`, `以内`).

use super::lexicon::ListHits;
use crate::ingest::text::fold_width;

/// The comparisons a value can state in words, each with its words in [`OP_LISTS`].
pub(super) const OPS: [&str; 5] = [">=", "<=", ">", "<", "="];
#[rustfmt::skip]
pub(super) const OP_LISTS: [&[&str]; 5] = [
    &["不少于", "不低于", "不小于", "至少", "达到", "以上"],
    &["不超过", "不高于", "不大于", "不多于", "以内", "之内", "以下", "最多"],
    &["大于", "高于", "超过", "多于"],
    &["不足", "小于", "低于", "少于"],
    &["等于"],
];

/// The comparison a value states. Symbols win over words; among words the earliest wins, the
/// longest at a position, so `不低于` is not read as `低于`. `words` are the value's hits of a
/// scan whose lists 0 to 4 are [`OP_LISTS`].
pub(super) fn read_op(v: &str, words: &ListHits) -> Option<&'static str> {
    // Every symbol is `<`, `=`, `>` or a char led by C2 (`±`), E2 (`≥ ≧ ⩾ ≤ ≦ ⩽`) or EF (their
    // full-width forms): a value without such a byte, most of them, is not decoded for one.
    if v.bytes().any(|b| matches!(b, b'<' | b'=' | b'>' | 0xC2 | 0xE2 | 0xEF))
        && let Some(op) = read_symbol(v)
    {
        return Some(op);
    }
    let mut earliest: Option<(usize, usize, &str)> = None;
    for (k, op) in OPS.iter().enumerate() {
        if let Some((start, len)) = words.first(k)
            && earliest.is_none_or(|(s, l, _)| start < s || start == s && len > l)
        {
            earliest = Some((start, len, op));
        }
    }
    earliest.map(|(_, _, op)| op)
}

/// The comparison a value states in symbols (`≥`, `>=`, `＞`, `±`).
fn read_symbol(v: &str) -> Option<&'static str> {
    let mut prev: Option<char> = None;
    let mut sym: Option<&'static str> = None;
    for c in v.chars().map(fold_width) {
        let op = match (prev, c) {
            (_, '±') => Some("±"),
            (_, '≥' | '≧' | '⩾') => Some(">="),
            (_, '≤' | '≦' | '⩽') => Some("<="),
            (Some('>'), '=') | (Some('='), '>') => Some(">="),
            (Some('<'), '=') | (Some('='), '<') => Some("<="),
            _ => None,
        };
        if let Some(op) = op {
            // `>` then `=` upgrades the `>` already seen; `±` always wins (`±3%以内`).
            if sym.is_none() || matches!(sym, Some(">" | "<" | "=")) || op == "±" {
                sym = Some(op);
            }
            if op == "±" {
                return sym;
            }
        } else if sym.is_none() {
            sym = match c {
                '>' => Some(">"),
                '<' => Some("<"),
                '=' => Some("="),
                _ => None,
            };
        }
        prev = Some(c);
    }
    sym
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::value::{Lexicon, WordLists};

    /// The comparison read from a scan's first matches is the one the earliest, longest word
    /// states, as a search word by word found it: on every name and value of the samples,
    /// every word, and random texts of the words' chars.
    #[test]
    fn op_words_from_the_scan_read_as_the_earliest_longest_word() {
        let words: Vec<(&str, &str)> =
            OP_LISTS.iter().zip(OPS).flat_map(|(l, op)| l.iter().map(move |w| (*w, op))).collect();
        let lex = Lexicon::new(&words.iter().map(|(w, _)| *w).collect::<Vec<_>>());
        let by_word = |v: &str| {
            let (_, w) = lex.first(v)?;
            words.iter().find(|(word, _)| *word == w).map(|(_, op)| *op)
        };
        let scan = WordLists::new(&OP_LISTS);
        let mut texts = crate::ingest::samples::indicator_texts();
        texts.extend(words.iter().map(|(w, _)| w.to_string()));
        let mut alphabet: Vec<char> = words.iter().flat_map(|(w, _)| w.chars()).chain(['x', '1', '%']).collect();
        alphabet.sort_unstable();
        alphabet.dedup();
        let mut rng = fastrand::Rng::with_seed(0x2545_F491_4F6C_DD1D);
        for _ in 0..50_000 {
            let n = rng.usize(..12);
            texts.push((0..n).map(|_| alphabet[rng.usize(..alphabet.len())]).collect());
        }
        for v in &texts {
            let hits = scan.scan(v);
            let want =
                read_symbol(v).filter(|_| v.bytes().any(|b| matches!(b, b'<' | b'=' | b'>' | 0xC2 | 0xE2 | 0xEF)));
            assert_eq!(read_op(v, &hits), want.or_else(|| by_word(v)), "{v:?}");
        }
    }

    /// Every char that folds to a symbol's char has a lead byte the filter of [`read_op`] lets through.
    #[test]
    fn every_symbol_char_passes_the_byte_filter() {
        for c in (0..=char::MAX as u32).filter_map(char::from_u32) {
            let s = c.to_string();
            if read_symbol(&s).is_some() || matches!(fold_width(c), '<' | '=' | '>') {
                let lead = s.as_bytes()[0];
                assert!(matches!(lead, b'<' | b'=' | b'>' | 0xC2 | 0xE2 | 0xEF), "{c:?}");
            }
        }
    }
}
