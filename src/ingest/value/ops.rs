//! Stage 5, records (value): the comparison a value states (`≥`, `不低于`, `以内`).

use std::sync::LazyLock;

use super::lexicon::Lexicon;
use crate::ingest::text::fold_width;

const OP_WORDS: &[(&str, &str)] = &[
    ("不少于", ">="),
    ("不低于", ">="),
    ("不小于", ">="),
    ("不超过", "<="),
    ("不高于", "<="),
    ("不大于", "<="),
    ("不多于", "<="),
    ("不足", "<"),
    ("至少", ">="),
    ("达到", ">="),
    ("以上", ">="),
    ("以内", "<="),
    ("之内", "<="),
    ("以下", "<="),
    ("最多", "<="),
    ("大于", ">"),
    ("高于", ">"),
    ("超过", ">"),
    ("多于", ">"),
    ("小于", "<"),
    ("低于", "<"),
    ("少于", "<"),
    ("等于", "="),
];

static OP_LEX: LazyLock<Lexicon> = LazyLock::new(|| {
    let words: Vec<&'static str> = OP_WORDS.iter().map(|(w, _)| *w).collect();
    Lexicon::new(&words)
});

/// The comparison a value states. Symbols win over words; among words the negated forms are
/// tried first so `不低于` is not read as `低于`.
pub(super) fn read_op(v: &str) -> Option<&'static str> {
    // Every symbol is `<`, `=`, `>` or a char led by C2 (`±`), E2 (`≥ ≧ ⩾ ≤ ≦ ⩽`) or EF (their
    // full-width forms): a value without such a byte, most of them, is not decoded for one.
    if v.bytes().any(|b| matches!(b, b'<' | b'=' | b'>' | 0xC2 | 0xE2 | 0xEF))
        && let Some(op) = read_symbol(v)
    {
        return Some(op);
    }
    // The earliest word wins, the longest at a position: `不超过` is matched, not `超过`.
    let (_, w) = OP_LEX.first(v)?;
    OP_WORDS.iter().find(|(word, _)| *word == w).map(|(_, op)| *op)
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
