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
use smallvec::SmallVec;

use crate::ingest::text::{char_len, counted_label_key};

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
pub(super) struct Key<'t> {
    text: KeyText<'t>,
    chars: usize,
    words: OnceCell<u64>,
}

/// A key's text: most cells' keys are their whole text (nothing in them is dropped or folded),
/// and are borrowed from it rather than copied.
#[derive(Debug, Clone)]
enum KeyText<'t> {
    Same(&'t str),
    Made(CompactString),
}

impl Default for KeyText<'_> {
    fn default() -> Self {
        KeyText::Same("")
    }
}

impl<'t> Key<'t> {
    /// The key of a cell's text ([`crate::ingest::text::label_key`]).
    pub fn of(raw: &str) -> Self {
        Self::within(raw, usize::MAX).unwrap_or_default()
    }

    /// The key of a text whose key has at most `max_chars` characters, else `None`.
    pub fn within(raw: &str, max_chars: usize) -> Option<Self> {
        let (text, chars) = counted_label_key(raw, max_chars)?;
        Some(Self::counted(KeyText::Made(text), chars))
    }

    /// A key from text that already is one.
    pub fn new(key: &'t str) -> Self {
        Self::counted(KeyText::Same(key), key.chars().count())
    }

    fn counted(text: KeyText<'t>, chars: usize) -> Self {
        Key { text, chars, words: OnceCell::new() }
    }

    fn words(&self) -> u64 {
        *self.words.get_or_init(|| words_in(self.text()))
    }

    pub fn text(&self) -> &str {
        match &self.text {
            KeyText::Same(text) => text,
            KeyText::Made(text) => text,
        }
    }

    /// Whether the key contains the word (or any of the words) of `bits`, from [`word!`].
    pub fn has(&self, bits: u64) -> bool {
        self.words() & bits != 0
    }

    /// Whether the key may contain a word that holds `byte`: a byte search stands in for the
    /// word lookup while the words are not known yet, and is skipped once they are.
    pub fn may_hold(&self, byte: u8) -> bool {
        self.words.get().is_some() || self.text().as_bytes().contains(&byte)
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

    const fn bit(self) -> u8 {
        1 << self as u8
    }
}

/// What one pass over a cell's text tells every question the walker asks of the cell: whether
/// cleaning can change it, which [`Mark`]s its key may hold, and whether its key is the text
/// itself. Three passes found these before (a cleaning scan, a mark scan, and the key's own
/// character walk and copy for every cell keyed), and most keys are their cell's text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub(super) struct CellFacts {
    /// [`crate::ingest::text::needs_cleaning`] of the text.
    pub needs_cleaning: bool,
    /// The marks the key may hold, as bits of [`Mark::bit`]: but for the ASCII that full-width
    /// forms fold to, a key holds only characters of its text, and those an entity (`&`)
    /// spells, which may be any.
    marks: u8,
    /// The text's length in characters when it is its own key: it holds nothing the key drops
    /// or folds (whitespace, markup, brackets, `#:*"`, full-width forms).
    same_key_chars: Option<usize>,
    /// Whether it holds a colon (`:` or `：`), as every `label：value` field does.
    colon: bool,
}

/// What a character's first byte tells [`CellFacts::of`], and so how far the next one is.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Lead {
    /// ASCII a key keeps.
    Ascii,
    /// The lead of U+4000..U+5FFF or U+8000..U+9FFF: Han, kept as is.
    Han,
    /// The lead of U+6000..U+6FFF or U+7000..U+7FFF: Han, and the lead of the mark.
    Marked(Mark),
    /// ASCII a key drops: `#:*"` and brackets.
    Dropped,
    /// ASCII cleaning acts on: tags, entities and whitespace.
    Cleaned,
    /// Any other lead: the text is keyed character by character (a wide space, a full-width
    /// form, 【】“”, but also 、。≥ that a key keeps: rare enough in labels to be keyed slowly).
    Other,
}

static LEADS: [Lead; 256] = {
    let mut t = [Lead::Other; 256];
    let mut b = 0;
    while b < 0x80 {
        t[b] = match b as u8 {
            b'<' | b'&' | b'\t' | b'\n' | 0x0B | 0x0C | b'\r' | b' ' => Lead::Cleaned,
            b'#' | b':' | b'*' | b'"' | b'(' | b')' | b'[' | b']' => Lead::Dropped,
            _ => Lead::Ascii,
        };
        b += 1;
    }
    let mut lead = 0xE4;
    while lead <= 0xE9 {
        t[lead] = Lead::Han;
        lead += 1;
    }
    let mut m = 0;
    while m < Mark::ALL.len() {
        let mark = Mark::ALL[m];
        let lead = mark.text().as_bytes()[0] as usize;
        assert!(matches!(t[lead], Lead::Han), "each mark is Han with a lead of its own");
        t[lead] = Lead::Marked(mark);
        m += 1;
    }
    t
};

impl CellFacts {
    /// The facts of `text`, read a character at a time (a Han character's three bytes at once).
    pub fn of(text: &str) -> Self {
        let b = text.as_bytes();
        let (mut at, mut chars, mut same_key, mut needs_cleaning, mut marks) = (0, 0, true, false, 0);
        let mut colon = false;
        while at < b.len() {
            at += match LEADS[usize::from(b[at])] {
                Lead::Ascii => 1,
                Lead::Han => 3,
                Lead::Marked(m) => {
                    if b.get(at..at + 3) == Some(m.text().as_bytes()) {
                        marks |= m.bit();
                    }
                    3
                }
                Lead::Dropped => {
                    same_key = false;
                    colon |= b[at] == b':';
                    1
                }
                Lead::Cleaned => {
                    same_key = false;
                    needs_cleaning = true;
                    if b[at] == b'&' {
                        marks = u8::MAX;
                    }
                    1
                }
                Lead::Other => {
                    same_key = false;
                    let c = text[at..].chars().next().unwrap_or_default();
                    needs_cleaning |= c.is_whitespace();
                    colon |= c == '：';
                    char_len(b[at])
                }
            };
            chars += 1;
        }
        CellFacts { needs_cleaning, marks, same_key_chars: same_key.then_some(chars), colon }
    }
}

/// The characters one of which every amount and 项目资金 label holds ([`Keys::may_hold_money`]).
const MONEY: [&str; 3] = ["预", "资", "金"];

/// The last bytes of [`MONEY`]'s characters (预 E9 A2 84, 资 E8 B5 84, 金 E9 87 91).
const MONEY_LAST_BYTES: [u8; 2] = [0x84, 0x91];

/// A row's label keys, each made when first asked for: most cells of a table are values,
/// which the walker only asks whether they are a few whole labels, and a key built for every
/// cell was a third of the form's work. A key that is its cell's text borrows it. On the
/// stack, as a row has a few cells; the cells' facts are borrowed, not copied beside the keys
/// (the list of keys is moved whole once made, its room and all: the smaller, the less to move).
pub(super) struct Keys<'r> {
    cells: &'r [Cow<'r, str>],
    facts: &'r [CellFacts],
    keys: SmallVec<[OnceCell<Key<'r>>; 16]>,
}

impl<'r> Keys<'r> {
    /// `facts` are the cells' [`CellFacts`], one per cell.
    pub fn new(cells: &'r [Cow<'r, str>], facts: &'r [CellFacts]) -> Self {
        debug_assert_eq!(cells.len(), facts.len());
        // A cell that is its own key has it at once, borrowed: asking for it is then a lookup,
        // and only the other cells' keys are made when asked for.
        let keys = cells
            .iter()
            .zip(facts)
            .map(|(cell, facts)| match facts.same_key_chars {
                Some(chars) => OnceCell::from(Key::counted(KeyText::Same(cell), chars)),
                None => OnceCell::new(),
            })
            .collect();
        Keys { cells, facts, keys }
    }

    pub fn len(&self) -> usize {
        self.cells.len()
    }

    pub fn get(&self, i: usize) -> Option<&Key<'r>> {
        let slot = self.keys.get(i)?;
        Some(slot.get_or_init(|| self.key_of(i, usize::MAX).unwrap_or_default()))
    }

    pub fn iter(&self) -> impl DoubleEndedIterator<Item = &Key<'r>> + ExactSizeIterator {
        (0..self.len()).map(|i| &self[i])
    }

    /// The key of cell `i` when it has at most `max_chars` characters: a longer cell's key is
    /// given up past them, never made whole for a question only short labels answer.
    /// Inlined where asked: most cells are their own key, set from the start, and the question
    /// is then a length test.
    #[inline]
    pub fn short(&self, i: usize, max_chars: usize) -> Option<&Key<'r>> {
        match self.keys[i].get() {
            Some(key) => (key.chars() <= max_chars).then_some(key),
            None => self.make_short(i, max_chars),
        }
    }

    /// [`Keys::short`] of a cell whose key is not known yet.
    fn make_short(&self, i: usize, max_chars: usize) -> Option<&Key<'r>> {
        let key = self.key_of(i, max_chars)?;
        Some(self.keys[i].get_or_init(|| key))
    }

    /// Whether the key of cell `i` may hold `mark`, told from the cell without making the key.
    pub fn may_hold(&self, i: usize, mark: Mark) -> bool {
        self.facts[i].marks & mark.bit() != 0
    }

    /// Whether the key of cell `i` may hold one of [`MONEY`], as every amount label (预算, 资金,
    /// 金额) and every 项目资金 label does: told from the cell, as a key holds only its cell's
    /// characters and those an entity (`&`) spells. One byte search finds them all: each ends
    /// in one of [`MONEY_LAST_BYTES`].
    pub fn may_hold_money(&self, i: usize) -> bool {
        let b = self.cells[i].as_bytes();
        let [x, y] = MONEY_LAST_BYTES;
        memchr::memchr3_iter(b'&', x, y, b)
            .any(|at| b[at] == b'&' || MONEY.iter().any(|c| b[..=at].ends_with(c.as_bytes())))
    }

    /// Whether cell `i` holds a colon (`:` or `：`).
    pub fn has_colon(&self, i: usize) -> bool {
        self.facts[i].colon
    }

    /// Whether cell `i` is its own key: it holds no bracket, whitespace, markup or full-width form.
    pub fn is_own_key(&self, i: usize) -> bool {
        self.facts[i].same_key_chars.is_some()
    }

    /// The key of cell `i` if it has at most `max_chars` characters, made: a cell that is its
    /// own key has it from [`Keys::new`].
    fn key_of(&self, i: usize, max_chars: usize) -> Option<Key<'r>> {
        Key::within(&self.cells[i], max_chars)
    }
}

impl<'r> std::ops::Index<usize> for Keys<'r> {
    type Output = Key<'r>;

    fn index(&self, i: usize) -> &Key<'r> {
        self.get(i).expect("a cell of the row")
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

impl std::ops::Deref for Key<'_> {
    type Target = str;

    fn deref(&self) -> &str {
        self.text()
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
        assert!(MONEY.iter().all(|c| MONEY_LAST_BYTES.contains(&c.as_bytes()[c.len() - 1])));
    }

    /// Each fact of the one pass is what the pass it replaced found, for every character in
    /// the places the scan treats differently (first, among Han, doubled before a mark).
    #[test]
    fn a_cells_facts_are_its_cleaning_need_marks_and_key_for_every_char() {
        let mut same_keys = 0;
        for c in (0..=char::MAX as u32).filter_map(char::from_u32) {
            for text in [format!("{c}"), format!("项{c}目意见"), format!("{c}{c}级")] {
                let facts = CellFacts::of(&text);
                let key = Key::of(&text);
                assert_eq!(facts.needs_cleaning, crate::ingest::text::needs_cleaning(&text), "{text:?}");
                for m in Mark::ALL {
                    let marked = facts.marks & m.bit() != 0;
                    assert_eq!(marked, text.contains(m.text()) || text.contains('&'), "{text:?}");
                    assert!(marked || !key.contains(m.text()), "{text:?}");
                }
                assert_eq!(facts.colon, text.contains([':', '：']), "{text:?}");
                if let Some(chars) = facts.same_key_chars {
                    assert_eq!((key.text(), key.chars()), (text.as_str(), chars), "{text:?}");
                    same_keys += 1;
                }
            }
        }
        // Every Han character of U+4000..U+9FFF, with ASCII letters and digits, is its own key.
        assert!(same_keys > 3 * 0x6000, "{same_keys}");
        assert_eq!(CellFacts::of("审批&#x610F;见").marks, u8::MAX);
        assert!(Key::of("审批&#x610F;见").contains(Mark::Opinion.text()));
        assert_eq!(
            CellFacts::of(""),
            CellFacts { needs_cleaning: false, marks: 0, same_key_chars: Some(0), colon: false }
        );
    }
}
