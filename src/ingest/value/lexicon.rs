//! Stage 5, records (value): word lists matched in one pass over a text.

/// A word list indexed by first char, so a text is scanned once per list instead of once per
/// word: `str::find` per word over a hundred-word list cost microseconds per value.
pub(crate) struct Lexicon {
    /// Sorted by first char; each group longest word first.
    index: Vec<(char, Vec<&'static str>)>,
    /// Bit `c % 256` set for every first char `c`: most chars of a text are rejected here
    /// without a search.
    mask: [u64; 4],
}

impl Lexicon {
    pub(crate) fn new(words: &[&'static str]) -> Self {
        let mut index: Vec<(char, Vec<&'static str>)> = Vec::new();
        for w in words {
            let Some(c) = w.chars().next() else { continue };
            match index.binary_search_by_key(&c, |e| e.0) {
                Ok(k) => index[k].1.push(w),
                Err(k) => index.insert(k, (c, vec![w])),
            }
        }
        let mut mask = [0u64; 4];
        for (c, group) in &mut index {
            group.sort_by_key(|w| std::cmp::Reverse(w.len()));
            group.dedup();
            let b = *c as usize & 255;
            mask[b / 64] |= 1 << (b % 64);
        }
        Lexicon { index, mask }
    }

    /// The words starting at byte `i` of `s`, longest first.
    pub(crate) fn at<'s>(&'s self, s: &'s str, i: usize) -> impl Iterator<Item = &'static str> + 's {
        let rest = s.get(i..).unwrap_or("");
        let group = rest
            .chars()
            .next()
            .filter(|&c| {
                let b = c as usize & 255;
                self.mask[b / 64] & (1 << (b % 64)) != 0
            })
            .and_then(|c| self.index.binary_search_by_key(&c, |e| e.0).ok())
            .map_or(&[][..], |k| self.index[k].1.as_slice());
        group.iter().copied().filter(move |w| rest.starts_with(w))
    }

    /// Longest word at the start of `s`.
    pub(crate) fn prefix(&self, s: &str) -> Option<&'static str> {
        self.at(s, 0).next()
    }

    /// First match in `s`: its byte position and the longest word there.
    pub(crate) fn first(&self, s: &str) -> Option<(usize, &'static str)> {
        s.char_indices().find_map(|(i, _)| self.at(s, i).next().map(|w| (i, w)))
    }

    pub(crate) fn contains(&self, s: &str) -> bool {
        self.first(s).is_some()
    }

    /// The match that ends last, longest on a tie, as (end byte, length).
    pub(crate) fn last_end(&self, s: &str) -> Option<(usize, usize)> {
        s.char_indices().flat_map(|(i, _)| self.at(s, i).map(move |w| (i + w.len(), w.len()))).max()
    }
}

macro_rules! lexicon {
    ($name:ident, $words:expr) => {
        static $name: std::sync::LazyLock<$crate::ingest::value::Lexicon> =
            std::sync::LazyLock::new(|| $crate::ingest::value::Lexicon::new($words));
    };
}

pub(crate) use lexicon;
