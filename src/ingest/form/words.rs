//! Stage 4, form: the vocabulary words inside a label key, found in one pass.
//!
//! The label predicates ask whether a key contains 预算, 资金, 目标, 指标 … Asked as a chain of
//! `str::contains`, each word was a fresh substring search over the key, and the layout stage
//! asks about every text run several times: a third of the label work was those searches.
//! Now one Aho-Corasick pass over the key finds every vocabulary word in it, and a predicate
//! tests bits. `starts_with`, `ends_with` and equality stay string operations: they are cheap.

use std::borrow::Cow;
use std::cell::OnceCell;
use std::sync::LazyLock;

use aho_corasick::automaton::Automaton;
use aho_corasick::dfa::DFA;
use aho_corasick::{Anchored, MatchKind};
use compact_str::CompactString;

use crate::ingest::text::counted_label_key;

/// Every word a label predicate looks for inside a key (not the whole-key matches). At most
/// 64: a key's words are one `u64`.
const VOCABULARY: &[&str] = &[
    "绩效目标",
    "批复表",
    "申报表",
    "其他资金",
    "结转",
    "拨款",
    "预算",
    "资金",
    "金额",
    "目标",
    "本年",
    "年度",
    "当年",
    "中期",
    "项目资金总额",
    "总预算",
    "指标",
    "滚动",
    "批复意见",
    "审核意见",
    "审批意见",
    "指标值",
    "产出",
    "满意",
    "效益",
    "效果",
    "成本",
    "社会",
    "经济",
    "生态",
    "数量",
    "建筑规模",
    "质量",
    "时效",
    "工期",
    "进度",
    "投资",
    "环境",
    "可持续",
];

/// One automaton for the whole vocabulary. A key is short and every word in it is wanted, so
/// the key's bytes are stepped through the DFA directly (no prefilter, no match iterator); with
/// standard semantics a state holds every word ending there, so 指标值 and 指标 are both found.
static AUTOMATON: LazyLock<DFA> = LazyLock::new(|| {
    DFA::builder()
        .match_kind(MatchKind::Standard)
        .prefilter(false)
        .build(VOCABULARY)
        .expect("forty short words stay far below the automaton's size limits")
});

/// The bit of a vocabulary word; evaluated at compile time through [`word!`], so a word missing
/// from [`VOCABULARY`] fails the build instead of never matching.
pub(super) const fn bit(word: &str) -> u64 {
    let mut i = 0;
    while i < VOCABULARY.len() {
        if crate::config::schema::same_str(VOCABULARY[i], word) {
            return 1 << i;
        }
        i += 1;
    }
    panic!("not in the label vocabulary");
}

/// The bit of one vocabulary word, or the union of several: `word!("预算", "资金")`.
macro_rules! word {
    ($($w:literal),+) => {
        const { $($crate::ingest::form::words::bit($w))|+ }
    };
}
pub(super) use word;

/// A label key, its length in characters and the vocabulary words it contains: made once per
/// cell or run, then asked by every label predicate without another pass over the key. The
/// words are looked up when first asked for: most cells of an indicator row are only
/// compared with whole labels.
#[derive(Debug, Clone, Default)]
pub(super) struct Key {
    text: CompactString,
    chars: usize,
    words: OnceCell<u64>,
}

impl Key {
    /// The key of a cell's text ([`crate::ingest::text::label_key`]).
    pub fn of(raw: &str) -> Self {
        Self::within(raw, usize::MAX).unwrap_or_default()
    }

    /// The key of a text whose key has at most `max_chars` characters, else `None`.
    pub fn within(raw: &str, max_chars: usize) -> Option<Self> {
        let (text, chars) = counted_label_key(raw, max_chars)?;
        Some(Self::counted(text, chars))
    }

    /// A key from text that already is one.
    pub fn new(key: &str) -> Self {
        Self::counted(key.into(), key.chars().count())
    }

    fn counted(text: CompactString, chars: usize) -> Self {
        Key { text, chars, words: OnceCell::new() }
    }

    fn words(&self) -> u64 {
        *self.words.get_or_init(|| words_in(&self.text))
    }

    pub fn text(&self) -> &str {
        &self.text
    }

    /// Whether the key contains the word (or any of the words) of `bits`, from [`word!`].
    pub fn has(&self, bits: u64) -> bool {
        self.words() & bits != 0
    }

    /// Whether the key may contain a word that holds `byte`: a byte search stands in for the
    /// word lookup while the words are not known yet, and is skipped once they are.
    pub fn may_hold(&self, byte: u8) -> bool {
        self.words.get().is_some() || self.text.as_bytes().contains(&byte)
    }

    /// How many of the words of `bits` the key contains.
    pub fn count(&self, bits: u64) -> u32 {
        (self.words() & bits).count_ones()
    }

    pub fn chars(&self) -> usize {
        self.chars
    }
}

/// A character a label question needs in a key before it asks anything else of it: every
/// opinion label (批复意见, 审核意见, 审批意见) holds 意, every indicator header label (一级指标 …)
/// holds 级. Which of them a cell may hold is found in one pass over the cell for all of them,
/// and a cell without the one asked for is told apart without its key: keying every cell of
/// every row for these two questions was a sixth of the form's work.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Mark {
    Opinion,
    Level,
}

impl Mark {
    pub const ALL: [Mark; 2] = [Mark::Opinion, Mark::Level];

    pub const fn text(self) -> &'static str {
        match self {
            Mark::Opinion => "意",
            Mark::Level => "级",
        }
    }

    const fn last_byte(self) -> u8 {
        let b = self.text().as_bytes();
        b[b.len() - 1]
    }

    const fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// The marks a key of `text` may hold, as bits of [`Mark::bit`]: but for the ASCII that
/// full-width forms fold to, a key holds only characters of its text, and those an entity
/// (`&`) spells, which may be any. One byte search for the marks' last bytes and `&`, checking
/// the bytes before each mark's.
fn marks_in(text: &str) -> u8 {
    let b = text.as_bytes();
    let [opinion, level] = Mark::ALL.map(Mark::last_byte);
    let mut marks = 0;
    for at in memchr::arch::all::memchr::Three::new(b'&', opinion, level).iter(b) {
        if b[at] == b'&' {
            return u8::MAX;
        }
        for m in Mark::ALL {
            if b[..=at].ends_with(m.text().as_bytes()) {
                marks |= m.bit();
            }
        }
    }
    marks
}

/// What is known of one cell of a row: its key and its marks, each found when first asked for.
#[derive(Debug, Default)]
pub(super) struct Slot {
    key: OnceCell<Key>,
    marks: OnceCell<u8>,
}

/// A row's label keys, each made when first asked for: most cells of a table are values,
/// which the walker only asks whether they are a few whole labels, and a key built for every
/// cell was a third of the form's work. The slots outlive the row (they are reused for the
/// next one), the cells are the row's.
pub(super) struct Keys<'r> {
    cells: &'r [Cow<'r, str>],
    slots: &'r [Slot],
}

impl<'r> Keys<'r> {
    /// `slots` holds one empty slot per cell.
    pub fn new(cells: &'r [Cow<'r, str>], slots: &'r [Slot]) -> Self {
        debug_assert_eq!(cells.len(), slots.len());
        Keys { cells, slots }
    }

    pub fn len(&self) -> usize {
        self.cells.len()
    }

    pub fn get(&self, i: usize) -> Option<&Key> {
        let slot = self.slots.get(i)?;
        Some(slot.key.get_or_init(|| Key::of(&self.cells[i])))
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Key> + ExactSizeIterator {
        (0..self.len()).map(|i| &self[i])
    }
    /// The key of cell `i` when it has at most `max_chars` characters: a longer cell's key is
    /// given up past them, never made whole for a question only short labels answer.
    pub fn short(&self, i: usize, max_chars: usize) -> Option<&Key> {
        let slot = &self.slots[i].key;
        if let Some(key) = slot.get() {
            return (key.chars() <= max_chars).then_some(key);
        }
        let key = Key::within(&self.cells[i], max_chars)?;
        Some(slot.get_or_init(|| key))
    }

    /// Whether the key of cell `i` may hold `mark`, told from the cell without making the key.
    pub fn may_hold(&self, i: usize, mark: Mark) -> bool {
        // Empty cells, many in a row of merged cells, are not searched.
        if self.cells[i].is_empty() {
            return false;
        }
        let marks = *self.slots[i].marks.get_or_init(|| marks_in(&self.cells[i]));
        marks & mark.bit() != 0
    }
}

impl std::ops::Index<usize> for Keys<'_> {
    type Output = Key;

    fn index(&self, i: usize) -> &Key {
        self.slots[i].key.get_or_init(|| Key::of(&self.cells[i]))
    }
}

/// The vocabulary words in a key, as bits of [`VOCABULARY`].
fn words_in(text: &str) -> u64 {
    let dfa = &*AUTOMATON;
    let mut state = dfa.start_state(Anchored::No).expect("the DFA is built for unanchored searches");
    let mut words = 0;
    for &b in text.as_bytes() {
        state = dfa.next_state(Anchored::No, state, b);
        if dfa.is_special(state) && dfa.is_match(state) {
            for i in 0..dfa.match_len(state) {
                words |= 1 << dfa.match_pattern(state, i).as_usize();
            }
        }
    }
    words
}

impl std::ops::Deref for Key {
    type Target = str;

    fn deref(&self) -> &str {
        &self.text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_key_finds_every_vocabulary_word_including_overlapping_ones() {
        let k = Key::new("年度指标值");
        assert!(k.has(word!("年度")) && k.has(word!("指标")) && k.has(word!("指标值")));
        assert!(!k.has(word!("目标", "预算")));
        assert_eq!(k.count(word!("社会", "经济", "生态")), 0);
        assert_eq!(Key::new("社会经济效益").count(word!("社会", "经济", "生态")), 2);
        assert!(VOCABULARY.len() <= 64);
        // Every word is found as itself: none is shadowed by another.
        for (i, w) in VOCABULARY.iter().enumerate() {
            assert!(Key::new(w).has(1 << i), "{w}");
        }
        // Made from a cell, the key is the cell's label key, counted.
        let k = Key::of("年度 指标值（万元）");
        assert_eq!((k.text(), k.chars()), ("年度指标值", 5));
        assert!(k.has(word!("指标值")) && !k.has(word!("预算")));
        assert!(Key::within("年度指标值", 4).is_none());
    }

    #[test]
    fn a_cell_is_marked_with_each_mark_it_holds_and_an_entity_with_all() {
        for c in (0..0x3_0000u32).filter_map(char::from_u32) {
            for text in [format!("{c}"), format!("项{c}目意见"), format!("{c}{c}级")] {
                let key = Key::of(&text);
                for m in Mark::ALL {
                    let marked = marks_in(&text) & m.bit() != 0;
                    assert_eq!(marked, text.contains(m.text()) || text.contains('&'), "{text:?}");
                    assert!(marked || !key.contains(m.text()), "{text:?}");
                }
            }
        }
        assert_eq!(marks_in("审批&#x610F;见"), u8::MAX);
        assert!(Key::of("审批&#x610F;见").contains(Mark::Opinion.text()));
    }
}
