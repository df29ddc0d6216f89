//! Stage 5, records (value): word lists matched in one pass over a text.

use aho_corasick::automaton::Automaton;
use aho_corasick::dfa::DFA;
use aho_corasick::{Anchored, MatchKind, StartKind};

/// A word list compiled once into Aho-Corasick automata, so a text is scanned once per list
/// instead of once per word: `str::find` per word over a hundred-word list cost
/// microseconds per value. Leftmost-longest: at a position the longest word wins, so
/// `不低于` is found rather than `低于`. Values and names are short, and a search through
/// `AhoCorasick` cost more to set up (~320 instructions) than stepping a DFA through their
/// bytes, so the DFAs are stepped here.
pub(crate) struct Lexicon {
    words: Vec<&'static str>,
    /// Standard semantics: at each byte, every word ending there. For "is any word in the
    /// text" and "which word ends last".
    any: DFA,
    /// For "which word starts here", stepped the same way: the scorer asks it at every char
    /// of a name.
    anchored: DFA,
    /// Bit `c % 256` set for every first char `c` of a word: most positions of a text are
    /// rejected here without starting a search, which costs more than this check. (The low
    /// byte of the code point, not the UTF-8 lead byte: nearly all Han share a few leads.)
    first_chars: [u64; 4],
}

impl Lexicon {
    pub(crate) fn new(words: &[&'static str]) -> Self {
        // An empty word would match everywhere.
        let words: Vec<&'static str> = words.iter().copied().filter(|w| !w.is_empty()).collect();
        let any = DFA::builder()
            .match_kind(MatchKind::Standard)
            .prefilter(false)
            .build(&words)
            .expect("a few hundred short words stay far below the automaton's size limits");
        let anchored = DFA::builder()
            .match_kind(MatchKind::LeftmostLongest)
            .start_kind(StartKind::Anchored)
            .prefilter(false)
            .build(&words)
            .expect("a few hundred short words stay far below the automaton's size limits");
        let mut first_chars = [0u64; 4];
        for c in words.iter().filter_map(|w| w.chars().next()) {
            let b = c as usize & 255;
            first_chars[b / 64] |= 1 << (b % 64);
        }
        Lexicon { words, any, anchored, first_chars }
    }

    /// Longest word starting at byte `i` of `s`.
    pub(crate) fn at(&self, s: &str, i: usize) -> Option<&'static str> {
        let b = s.get(i..)?.chars().next()? as usize & 255;
        if self.first_chars[b / 64] & (1 << (b % 64)) == 0 {
            return None;
        }
        let dfa = &self.anchored;
        let mut state = dfa.start_state(Anchored::Yes).expect("the DFA is built for anchored searches");
        // Leftmost-longest: the last match state before the automaton dies is the longest word.
        let mut found = None;
        for &b in &s.as_bytes()[i..] {
            state = dfa.next_state(Anchored::Yes, state, b);
            if dfa.is_special(state) {
                if dfa.is_dead(state) {
                    break;
                }
                if dfa.is_match(state) {
                    found = Some(dfa.match_pattern(state, 0));
                }
            }
        }
        found.map(|p| self.words[p.as_usize()])
    }

    /// Longest word at the start of `s`.
    pub(crate) fn prefix(&self, s: &str) -> Option<&'static str> {
        self.at(s, 0)
    }

    /// First match in `s`: its byte position and the longest word there. The reader's
    /// comparison words are found by [`WordLists::scan`], which is tested against this.
    #[cfg(test)]
    pub(crate) fn first(&self, s: &str) -> Option<(usize, &'static str)> {
        s.char_indices().find_map(|(i, _)| self.at(s, i).map(|w| (i, w)))
    }

    pub(crate) fn contains(&self, s: &str) -> bool {
        let mut state = self.any.start_state(Anchored::No).expect("the DFA is built for unanchored searches");
        // With standard semantics a state is a match state once any word ends at it.
        s.bytes().any(|b| {
            state = self.any.next_state(Anchored::No, state, b);
            self.any.is_special(state) && self.any.is_match(state)
        })
    }

    /// The match that ends last, longest on a tie, as (end byte, length): one pass, as a
    /// match state of the standard automaton holds every word ending at its byte. The
    /// scorer's [`WordLists::scan`] answers this for all its lists at once and is tested
    /// against it.
    #[cfg(test)]
    pub(crate) fn last_end(&self, s: &str) -> Option<(usize, usize)> {
        let dfa = &self.any;
        let mut state = dfa.start_state(Anchored::No).expect("the DFA is built for unanchored searches");
        let mut last = None;
        for (i, &b) in s.as_bytes().iter().enumerate() {
            state = dfa.next_state(Anchored::No, state, b);
            if dfa.is_special(state) && dfa.is_match(state) {
                let longest =
                    (0..dfa.match_len(state)).map(|k| self.words[dfa.match_pattern(state, k).as_usize()].len()).max();
                last = longest.map(|len| (i + 1, len)).or(last);
            }
        }
        last
    }
}

/// Several word lists compiled into one automaton, so a text is read once for all of them:
/// the scorer asked up to ten lists about each value and name, one pass each. A word in
/// several lists (`提高` states a rise, and names growth) is one pattern with a bit per list.
pub(crate) struct WordLists {
    /// Per pattern, the lists that hold it (bit `k` for list `k`).
    lists_of: Vec<u32>,
    lens: Vec<u32>,
    /// Standard semantics, as [`Lexicon::contains`]: a match state holds every word ending at
    /// its byte.
    any: DFA,
}

/// What one pass of [`WordLists::scan`] found: per list, whether a word of it occurs, the
/// match that ends last (longest on a tie) and the match that starts first (longest there),
/// as [`Lexicon::contains`], [`Lexicon::last_end`] and [`Lexicon::first`] answer for that list
/// alone.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ListHits {
    found: u32,
    /// (end byte, length) per list; meaningful only where `found` has the list's bit.
    last: [(u32, u32); WordLists::MAX],
    /// (start byte, length) per list; meaningful only where `found` has the list's bit.
    first: [(u32, u32); WordLists::MAX],
}

impl ListHits {
    pub(crate) fn contains(&self, list: usize) -> bool {
        self.found & (1 << list) != 0
    }

    pub(crate) fn last_end(&self, list: usize) -> Option<(usize, usize)> {
        self.contains(list).then(|| (self.last[list].0 as usize, self.last[list].1 as usize))
    }

    /// The first match of the list: its start byte and length.
    pub(crate) fn first(&self, list: usize) -> Option<(usize, usize)> {
        self.contains(list).then(|| (self.first[list].0 as usize, self.first[list].1 as usize))
    }
}

impl WordLists {
    pub(crate) const MAX: usize = 16;

    /// `lists[k]` is list `k`; at most [`Self::MAX`] lists.
    pub(crate) fn new(lists: &[&[&'static str]]) -> Self {
        assert!(lists.len() <= Self::MAX, "a list is one bit of a u32 and one slot of ListHits");
        let mut words: Vec<&'static str> = Vec::new();
        let mut lists_of: Vec<u32> = Vec::new();
        for (k, list) in lists.iter().enumerate() {
            // An empty word would match everywhere.
            for &w in list.iter().filter(|w| !w.is_empty()) {
                match words.iter().position(|&x| x == w) {
                    Some(p) => lists_of[p] |= 1 << k,
                    None => {
                        words.push(w);
                        lists_of.push(1 << k);
                    }
                }
            }
        }
        let any = DFA::builder()
            .match_kind(MatchKind::Standard)
            .prefilter(false)
            .build(&words)
            .expect("a few hundred short words stay far below the automaton's size limits");
        let lens = words.iter().map(|w| w.len() as u32).collect();
        WordLists { lists_of, lens, any }
    }

    /// Every list's answers for `s`, from one pass over its bytes.
    #[inline]
    pub(crate) fn scan(&self, s: &str) -> ListHits {
        let dfa = &self.any;
        let mut state = dfa.start_state(Anchored::No).expect("the DFA is built for unanchored searches");
        let mut hits = ListHits::default();
        for (i, &b) in s.as_bytes().iter().enumerate() {
            state = dfa.next_state(Anchored::No, state, b);
            if dfa.is_special(state) && dfa.is_match(state) {
                let end = i as u32 + 1;
                for k in 0..dfa.match_len(state) {
                    let p = dfa.match_pattern(state, k).as_usize();
                    let len = self.lens[p];
                    let mut lists = self.lists_of[p];
                    let new = lists & !hits.found;
                    hits.found |= lists;
                    while lists != 0 {
                        let l = lists.trailing_zeros() as usize;
                        lists &= lists - 1;
                        // Ends only grow: a later end replaces, an equal one keeps the longer word.
                        let last = &mut hits.last[l];
                        if last.0 < end || last.1 < len {
                            *last = (end, len);
                        }
                        // Matches come by their ends, and a longer word ending later can start
                        // earlier: the earliest start is kept, and the longest word there.
                        let first = &mut hits.first[l];
                        let start = end - len;
                        if new & (1 << l) != 0 || start < first.0 || start == first.0 && len > first.1 {
                            *first = (start, len);
                        }
                    }
                }
            }
        }
        hits
    }
}

macro_rules! lexicon {
    ($name:ident, $words:expr) => {
        static $name: std::sync::LazyLock<$crate::ingest::value::Lexicon> =
            std::sync::LazyLock::new(|| $crate::ingest::value::Lexicon::new($words));
    };
}

pub(crate) use lexicon;

#[cfg(test)]
mod tests {
    use super::*;

    /// The word-by-word matcher this replaced: every word tried at every char position.
    fn naive_at(words: &[&'static str], s: &str, i: usize) -> Option<&'static str> {
        let rest = s.get(i..)?;
        words.iter().copied().filter(|w| !w.is_empty() && rest.starts_with(w)).max_by_key(|w| w.len())
    }

    fn naive_first(words: &[&'static str], s: &str) -> Option<(usize, &'static str)> {
        s.char_indices().find_map(|(i, _)| naive_at(words, s, i).map(|w| (i, w)))
    }

    fn naive_last_end(words: &[&'static str], s: &str) -> Option<(usize, usize)> {
        s.char_indices()
            .flat_map(|(i, _)| {
                let rest = &s[i..];
                words.iter().filter(move |w| !w.is_empty() && rest.starts_with(*w)).map(move |w| (i + w.len(), w.len()))
            })
            .max()
    }

    /// Every text of up to four chars drawn from the words' own chars (so matches, overlaps
    /// and near misses all occur) gives the same answers as the word-by-word matcher.
    #[test]
    fn same_answers_as_matching_word_by_word() {
        #[rustfmt::skip]
        const WORDS: &[&str] = &[
            "合格", "不合格", "合格率", "格率", "率", "处理", "理", "不低于", "低于", "以上", "上", "个", "个月",
            "个工作日", "工作日", "", "a", "ab", "b",
        ];
        let lex = Lexicon::new(WORDS);
        let mut alphabet: Vec<char> = WORDS.iter().flat_map(|w| w.chars()).chain(['x', '，']).collect();
        alphabet.sort_unstable();
        alphabet.dedup();
        let mut texts = vec![String::new()];
        let mut last = texts.clone();
        for _ in 0..4 {
            last = last.iter().flat_map(|t| alphabet.iter().map(move |c| format!("{t}{c}"))).collect();
            texts.extend(last.iter().cloned());
        }
        for s in &texts {
            assert_eq!(lex.first(s), naive_first(WORDS, s), "first in {s:?}");
            assert_eq!(lex.contains(s), naive_first(WORDS, s).is_some(), "contains in {s:?}");
            assert_eq!(lex.last_end(s), naive_last_end(WORDS, s), "last_end in {s:?}");
            assert_eq!(lex.prefix(s), naive_at(WORDS, s, 0), "prefix of {s:?}");
            for (i, _) in s.char_indices() {
                assert_eq!(lex.at(s, i), naive_at(WORDS, s, i), "at {i} of {s:?}");
            }
        }
        assert_eq!(lex.at("合格", 7), None);
        assert_eq!(Lexicon::new(&[]).first("合格"), None);
    }
}
