//! Stage 3, layout: the HTML fast path, reading well-formed markup without building a tree.
//!
//! Why: html5ever (behind `scraper`) tokenizes char by char over tendrils and builds a DOM
//! that the walker then visits once; on the generated corpus that was three quarters of the
//! HTML reader's instructions. Almost every disclosure page is well-formed, and for those
//! the tree html5ever builds is the markup itself plus a few implied elements (`<html>`,
//! `<head>`, `<body>`, the `<tbody>` around rows, closes of `<p>`, `<li>`, cells and rows).
//! This reader tokenizes the `&str` directly and keeps only the stack of open elements,
//! feeding the walker the same open / text / close sequence that walking html5ever's tree
//! would, so its grid is the same.
//!
//! The contract is exact: whenever this path returns a grid, it equals the html5ever
//! path's. It follows the HTML standard's tree construction (as html5ever 0.35 implements it)
//! for the modes a page passes through, and gives up — the caller then parses with
//! html5ever — whenever the input needs anything it does not reproduce:
//!
//! * a token the tree builder would ignore (a stray end tag, a second `<body>`, a doctype
//!   after the start), since ignoring one can merge the text around it;
//! * anything that would be foster-parented out of a table (text other than whitespace,
//!   or an element, directly inside `<table>`/`<tbody>`/`<tr>`);
//! * `<table>` while a `<p>` is open (whether it closes the `<p>` depends on quirks mode);
//! * a formatting element (`<b>`, `<font>`, `<a>`, …) closed by anything but its own end
//!   tag while current, which html5ever would reconstruct or re-parent (adoption agency);
//! * elements whose parsing has modes of their own: `<select>`, `<svg>`/`<math>`,
//!   `<textarea>`, `<pre>` (its leading newline), `<template>`, `<frameset>`, `<iframe>`, …;
//! * `<script>` text holding `<!--` (its escape states), a tag, comment or raw text cut off by
//!   the end of the input, bogus comments, `<![CDATA[`, NUL, a byte-order mark, a carriage
//!   return next to a character reference, `rowspan`/`colspan` values with references;
//! * nesting deeper than the depth cap (html5ever then decides `too_deep`), or the per-file
//!   deadline passing.
//!
//! Character references are decoded with html5ever's own tables, by its algorithm.

use std::borrow::Cow;
use std::ops::Range;

use html5ever::data::{C1_REPLACEMENTS, NAMED_ENTITIES};
use memchr::{memchr, memchr2, memmem};

use crate::ingest::deadline;

use super::{Grid, Name, Walker};

/// Why the fast path stopped: the input needs html5ever.
struct GiveUp;

type Step = Result<(), GiveUp>;

/// Reads `text` when it is markup this path reproduces exactly, with no element nested
/// deeper than `max_depth`; `None` otherwise.
pub(super) fn read(text: &str, max_depth: usize) -> Option<Grid> {
    let bytes = text.as_bytes();
    if memchr(0, bytes).is_some() || memmem::find(bytes, "\u{feff}".as_bytes()).is_some() {
        return None;
    }
    let mut r = Reader {
        src: text,
        pos: 0,
        walker: Walker::default(),
        stack: Vec::new(),
        phase: Phase::Initial,
        hidden_from: None,
        pending: None,
        owned: String::new(),
        form_open: false,
        after_body: false,
        max_depth,
    };
    r.run().ok()?;
    Some(r.walker.finish())
}

/// Where the tree builder is before `<body>`; from there on the mode follows from the open
/// elements (see [`Mode`]).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Phase {
    Initial,
    BeforeHtml,
    BeforeHead,
    InHead,
    AfterHead,
    Body,
}

/// The insertion mode inside an open element, from `<body>` on: a table's parts set their
/// own, every other element keeps its parent's.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Mode {
    Body,
    Table,
    TableBody,
    Row,
    Cell,
    Caption,
    ColumnGroup,
}

/// The standard's categories of elements, as the tree rules ask them. Kept as separate lists
/// even where they overlap: each is one sentence of the standard (or of html5ever's code),
/// checked against it by name.
impl Name {
    pub(super) const fn is_formatting(self) -> bool {
        matches!(
            self,
            Self::A
                | Self::B
                | Self::Big
                | Self::Code
                | Self::Em
                | Self::Font
                | Self::I
                | Self::Nobr
                | Self::S
                | Self::Small
                | Self::Strike
                | Self::Strong
                | Self::Tt
                | Self::U
        )
    }

    pub(super) const fn is_heading(self) -> bool {
        matches!(self, Self::H1 | Self::H2 | Self::H3 | Self::H4 | Self::H5 | Self::H6)
    }

    /// Elements popped by "generate implied end tags".
    pub(super) const fn is_implied_end(self) -> bool {
        matches!(
            self,
            Self::Dd
                | Self::Dt
                | Self::Li
                | Self::Option
                | Self::Optgroup
                | Self::P
                | Self::Rb
                | Self::Rp
                | Self::Rt
                | Self::Rtc
        )
    }

    /// The boundaries of "has an element in scope" (no MathML or SVG is ever open here).
    pub(super) const fn is_scope_boundary(self) -> bool {
        matches!(
            self,
            Self::Applet
                | Self::Caption
                | Self::Html
                | Self::Table
                | Self::Td
                | Self::Th
                | Self::Marquee
                | Self::Object
                | Self::Template
        )
    }

    /// The boundaries of "has an element in table scope".
    pub(super) const fn is_table_scope_boundary(self) -> bool {
        matches!(self, Self::Html | Self::Table | Self::Template)
    }

    /// The standard's "special" elements (html5ever's list).
    pub(super) const fn is_special(self) -> bool {
        matches!(
            self,
            Self::Address
                | Self::Applet
                | Self::Area
                | Self::Article
                | Self::Aside
                | Self::Base
                | Self::Basefont
                | Self::Bgsound
                | Self::Blockquote
                | Self::Body
                | Self::Br
                | Self::Button
                | Self::Caption
                | Self::Center
                | Self::Col
                | Self::Colgroup
                | Self::Dd
                | Self::Details
                | Self::Dir
                | Self::Div
                | Self::Dl
                | Self::Dt
                | Self::Embed
                | Self::Fieldset
                | Self::Figcaption
                | Self::Figure
                | Self::Footer
                | Self::Form
                | Self::Frame
                | Self::Frameset
                | Self::H1
                | Self::H2
                | Self::H3
                | Self::H4
                | Self::H5
                | Self::H6
                | Self::Head
                | Self::Header
                | Self::Hgroup
                | Self::Hr
                | Self::Html
                | Self::Iframe
                | Self::Img
                | Self::Input
                | Self::Isindex
                | Self::Li
                | Self::Link
                | Self::Listing
                | Self::Main
                | Self::Marquee
                | Self::Menu
                | Self::Meta
                | Self::Nav
                | Self::Noembed
                | Self::Noframes
                | Self::Noscript
                | Self::Object
                | Self::Ol
                | Self::P
                | Self::Param
                | Self::Plaintext
                | Self::Pre
                | Self::Script
                | Self::Section
                | Self::Select
                | Self::Source
                | Self::Style
                | Self::Summary
                | Self::Table
                | Self::Tbody
                | Self::Td
                | Self::Template
                | Self::Textarea
                | Self::Tfoot
                | Self::Th
                | Self::Thead
                | Self::Title
                | Self::Tr
                | Self::Track
                | Self::Ul
                | Self::Wbr
                | Self::Xmp
        )
    }

    /// Start tags that close an open `<p>` and insert a plain element.
    pub(super) const fn closes_p(self) -> bool {
        matches!(
            self,
            Self::Address
                | Self::Article
                | Self::Aside
                | Self::Blockquote
                | Self::Center
                | Self::Details
                | Self::Dialog
                | Self::Dir
                | Self::Div
                | Self::Dl
                | Self::Fieldset
                | Self::Figcaption
                | Self::Figure
                | Self::Footer
                | Self::Header
                | Self::Hgroup
                | Self::Main
                | Self::Menu
                | Self::Nav
                | Self::Ol
                | Self::P
                | Self::Search
                | Self::Section
                | Self::Summary
                | Self::Ul
        )
    }

    /// End tags that close their element through implied end tags when it is in scope.
    pub(super) const fn is_block_end(self) -> bool {
        matches!(
            self,
            Self::Address
                | Self::Article
                | Self::Aside
                | Self::Blockquote
                | Self::Button
                | Self::Center
                | Self::Details
                | Self::Dialog
                | Self::Dir
                | Self::Div
                | Self::Dl
                | Self::Fieldset
                | Self::Figcaption
                | Self::Figure
                | Self::Footer
                | Self::Header
                | Self::Hgroup
                | Self::Listing
                | Self::Main
                | Self::Menu
                | Self::Nav
                | Self::Ol
                | Self::Pre
                | Self::Search
                | Self::Section
                | Self::Summary
                | Self::Ul
        )
    }

    /// Void elements: inserted and popped at once.
    pub(super) const fn is_void_in_body(self) -> bool {
        matches!(
            self,
            Self::Area
                | Self::Br
                | Self::Embed
                | Self::Img
                | Self::Keygen
                | Self::Wbr
                | Self::Input
                | Self::Param
                | Self::Source
                | Self::Track
        )
    }

    /// Start tags this path does not follow, wherever they appear in the body.
    pub(super) const fn gives_up_in_body(self) -> bool {
        matches!(
            self,
            Self::Html
                | Self::Body
                | Self::Head
                | Self::Frameset
                | Self::Frame
                | Self::Template
                | Self::Title
                | Self::Noframes
                | Self::Plaintext
                | Self::Button
                | Self::Pre
                | Self::Listing
                | Self::Textarea
                | Self::Xmp
                | Self::Iframe
                | Self::Noembed
                | Self::Select
                | Self::Optgroup
                | Self::Option
                | Self::Rb
                | Self::Rtc
                | Self::Rp
                | Self::Rt
                | Self::Math
                | Self::Svg
                | Self::Image
                | Self::Applet
                | Self::Marquee
                | Self::Object
                | Self::Dd
                | Self::Dt
                | Self::Isindex
                | Self::Caption
                | Self::Col
                | Self::Colgroup
                | Self::Tbody
                | Self::Td
                | Self::Tfoot
                | Self::Th
                | Self::Thead
                | Self::Tr
        )
    }

    /// The table parts a start tag in a cell or caption closes it for.
    pub(super) const fn is_table_part(self) -> bool {
        matches!(
            self,
            Self::Caption
                | Self::Col
                | Self::Colgroup
                | Self::Tbody
                | Self::Td
                | Self::Tfoot
                | Self::Th
                | Self::Thead
                | Self::Tr
        )
    }

    /// A table section: `<tbody>`, `<thead>`, `<tfoot>`.
    pub(super) const fn is_table_section(self) -> bool {
        matches!(self, Self::Tbody | Self::Thead | Self::Tfoot)
    }

    /// The insertion mode an element of this name sets inside it, `None` for one that keeps
    /// its parent's.
    const fn mode(self) -> Option<Mode> {
        match self {
            Self::Html | Self::Body => Some(Mode::Body),
            Self::Table => Some(Mode::Table),
            Self::Tbody | Self::Thead | Self::Tfoot => Some(Mode::TableBody),
            Self::Tr => Some(Mode::Row),
            Self::Td | Self::Th => Some(Mode::Cell),
            Self::Caption => Some(Mode::Caption),
            Self::Colgroup => Some(Mode::ColumnGroup),
            _ => None,
        }
    }
}

/// An open element: its name, and the mode inside it.
struct Open<'a> {
    name: Name,
    /// The name as read: an end tag of a [`Name::Other`] closes only an element of its text.
    text: Cow<'a, str>,
    mode: Mode,
}

/// A tag as the tokenizer read it: only the attributes the walker reads are kept.
struct Tag<'a> {
    name: Name,
    /// The name lowercased, as [`Open::text`].
    text: Cow<'a, str>,
    rowspan: Option<&'a str>,
    colspan: Option<&'a str>,
}

impl Tag<'_> {
    /// An element the tree builder inserts without a tag in the input.
    fn implied(name: Name) -> Self {
        Tag { name, text: Cow::Borrowed(name.text()), rowspan: None, colspan: None }
    }
}

struct Reader<'a> {
    src: &'a str,
    pos: usize,
    walker: Walker,
    stack: Vec<Open<'a>>,
    phase: Phase,
    /// Index in `stack` of the element the walker declined to enter (`<head>`, `<script>`,
    /// …): nothing inside it reaches the walker, and it is never closed.
    hidden_from: Option<usize>,
    /// Text of the current node not yet handed over: consecutive character tokens are one
    /// text node in the tree (the walker reads a node's whitespace as a whole), so text
    /// waits for the next tag or comment. A single run of the input is kept as its range.
    pending: Option<Range<usize>>,
    /// Pending text once it is more than one run of the input (references decoded).
    owned: String,
    form_open: bool,
    /// `</body>` or `</html>` seen: a comment after them goes outside `<body>`.
    after_body: bool,
    max_depth: usize,
}

fn is_ws(b: u8) -> bool {
    matches!(b, b'\t' | b'\n' | b'\x0c' | b'\r' | b' ')
}

fn all_ws(s: &str) -> bool {
    s.bytes().all(is_ws)
}

/// The lowercased tag name at the start of `s` (which starts with an ASCII letter), and its
/// length in bytes.
fn tag_name(s: &str) -> (Cow<'_, str>, usize) {
    let len = s.bytes().position(|b| is_ws(b) || b == b'/' || b == b'>').unwrap_or(s.len());
    let name = &s[..len];
    let name = if name.bytes().any(|b| b.is_ascii_uppercase()) {
        Cow::Owned(name.to_ascii_lowercase())
    } else {
        Cow::Borrowed(name)
    };
    (name, len)
}

/// A numeric character reference's character, as html5ever maps it.
fn numeric_char(n: u32, too_big: bool) -> char {
    match n {
        _ if too_big || n > 0x10FFFF => '\u{fffd}',
        0 | 0xD800..=0xDFFF => '\u{fffd}',
        0x80..=0x9F => C1_REPLACEMENTS[(n - 0x80) as usize].unwrap_or_else(|| char::from_u32(n).unwrap_or('\u{fffd}')),
        _ => char::from_u32(n).unwrap_or('\u{fffd}'),
    }
}

/// Decodes the character reference at `s` (which starts with `&`) as html5ever does in
/// text: the characters it stands for and the bytes it takes, or `None` for a literal `&`.
fn char_ref(s: &str) -> Result<Option<(String, usize)>, GiveUp> {
    let b = s.as_bytes();
    match b.get(1) {
        Some(b'#') => {
            let (base, mut i) = match b.get(2) {
                Some(b'x' | b'X') => (16, 3),
                _ => (10, 2),
            };
            let start = i;
            let (mut n, mut too_big) = (0u32, false);
            while let Some(d) = b.get(i).and_then(|&c| (c as char).to_digit(base)) {
                n = n.wrapping_mul(base);
                too_big |= n > 0x10FFFF;
                n = n.wrapping_add(d);
                i += 1;
            }
            if i == start {
                return Ok(None);
            }
            match b.get(i) {
                Some(b';') => i += 1,
                Some(b'\r') => return Err(GiveUp),
                _ => {}
            }
            Ok(Some((numeric_char(n, too_big).to_string(), i)))
        }
        Some(c) if c.is_ascii_alphanumeric() => {
            // The longest name matched while the characters read are a prefix of some name.
            let mut found = None;
            let mut j = 1;
            while let Some(&c) = b.get(j) {
                if c == b'\r' {
                    return Err(GiveUp);
                }
                if !c.is_ascii() {
                    break;
                }
                match NAMED_ENTITIES.get(&s[1..=j]) {
                    Some(&(c1, c2)) => {
                        if c1 != 0 {
                            found = Some((j + 1, c1, c2));
                        }
                        j += 1;
                    }
                    None => break,
                }
            }
            Ok(found.map(|(end, c1, c2)| {
                let chars = [c1, c2].into_iter().filter(|&c| c != 0).filter_map(char::from_u32).collect();
                (chars, end)
            }))
        }
        Some(b'\r') => Err(GiveUp),
        _ => Ok(None),
    }
}

impl<'a> Reader<'a> {
    fn run(&mut self) -> Step {
        let src = self.src;
        let bytes = src.as_bytes();
        while self.pos < bytes.len() {
            if deadline::tick() {
                return Err(GiveUp);
            }
            let lt = memchr(b'<', &bytes[self.pos..]).map_or(bytes.len(), |k| self.pos + k);
            if lt > self.pos {
                self.chars(self.pos..lt)?;
            }
            self.pos = lt;
            if lt < bytes.len() {
                self.markup()?;
            }
        }
        self.eof()
    }

    /// The markup at `self.pos` (a `<`): a tag, comment or doctype, or a literal `<`.
    fn markup(&mut self) -> Step {
        let src = self.src;
        let rest = &src[self.pos..];
        let b = rest.as_bytes();
        match b.get(1) {
            Some(c) if c.is_ascii_alphabetic() => {
                let tag = self.read_tag(true)?;
                self.start_tag(tag)
            }
            Some(b'/') => match b.get(2) {
                Some(c) if c.is_ascii_alphabetic() => {
                    let tag = self.read_tag(false)?;
                    if tag.name == Name::Br {
                        return Err(GiveUp);
                    }
                    self.end_tag(&tag)
                }
                _ => Err(GiveUp),
            },
            Some(b'!') => {
                if let Some(body) = rest.strip_prefix("<!--") {
                    let len = if body.starts_with('>') {
                        1
                    } else if body.starts_with("->") {
                        2
                    } else {
                        let dash = memmem::find(body.as_bytes(), b"-->").map(|k| k + 3);
                        let bang = memmem::find(body.as_bytes(), b"--!>").map(|k| k + 4);
                        match (dash, bang) {
                            (Some(d), Some(b)) => d.min(b),
                            (Some(d), None) => d,
                            (None, Some(b)) => b,
                            (None, None) => return Err(GiveUp),
                        }
                    };
                    self.pos += 4 + len;
                    self.comment()
                } else if b.len() >= 9 && b[2..9].eq_ignore_ascii_case(b"DOCTYPE") {
                    let end = memchr(b'>', b).ok_or(GiveUp)?;
                    self.pos += end + 1;
                    self.flush();
                    if self.phase != Phase::Initial {
                        return Err(GiveUp);
                    }
                    // The doctype node is not walked.
                    self.phase = Phase::BeforeHtml;
                    Ok(())
                } else {
                    Err(GiveUp)
                }
            }
            Some(b'?') => Err(GiveUp),
            // A `<` that starts no tag is text.
            _ => {
                self.chars(self.pos..self.pos + 1)?;
                self.pos += 1;
                Ok(())
            }
        }
    }

    /// The tag at `self.pos`, read through its `>`.
    fn read_tag(&mut self, start: bool) -> Result<Tag<'a>, GiveUp> {
        let src = self.src;
        let b = src.as_bytes();
        let mut i = self.pos + if start { 1 } else { 2 };
        let (text, len) = tag_name(&src[i..]);
        i += len;
        let mut tag = Tag { name: Name::of(&text), text, rowspan: None, colspan: None };
        let (mut seen_rowspan, mut seen_colspan) = (false, false);
        loop {
            while b.get(i).is_some_and(|&c| is_ws(c)) {
                i += 1;
            }
            match b.get(i) {
                None => return Err(GiveUp),
                Some(b'>') => {
                    self.pos = i + 1;
                    return Ok(tag);
                }
                Some(b'/') => {
                    i += 1;
                    continue;
                }
                Some(_) => {}
            }
            // An attribute name: a leading `=` is part of it.
            let name_start = i;
            i += 1;
            while b.get(i).is_some_and(|&c| !is_ws(c) && !matches!(c, b'/' | b'>' | b'=')) {
                i += 1;
            }
            let name = &b[name_start..i];
            while b.get(i).is_some_and(|&c| is_ws(c)) {
                i += 1;
            }
            let mut value = None;
            if b.get(i) == Some(&b'=') {
                i += 1;
                while b.get(i).is_some_and(|&c| is_ws(c)) {
                    i += 1;
                }
                match b.get(i) {
                    None => return Err(GiveUp),
                    Some(&q @ (b'"' | b'\'')) => {
                        let end = memchr(q, &b[i + 1..]).ok_or(GiveUp)? + i + 1;
                        value = Some(i + 1..end);
                        i = end + 1;
                    }
                    // A missing value: the tag ends here, as the loop reads next.
                    Some(b'>') => value = Some(i..i),
                    Some(_) => {
                        let start = i;
                        while b.get(i).is_some_and(|&c| !is_ws(c) && c != b'>') {
                            i += 1;
                        }
                        value = Some(start..i);
                    }
                }
            }
            if !start {
                continue;
            }
            // The first of duplicate attributes wins.
            let slot = if name.eq_ignore_ascii_case(b"rowspan") && !seen_rowspan {
                seen_rowspan = true;
                &mut tag.rowspan
            } else if name.eq_ignore_ascii_case(b"colspan") && !seen_colspan {
                seen_colspan = true;
                &mut tag.colspan
            } else {
                continue;
            };
            let v = value.map_or("", |r| &src[r]);
            if v.bytes().any(|c| c == b'&' || c == b'\r') {
                return Err(GiveUp);
            }
            *slot = Some(v);
        }
    }

    /// Text at `range` of the input (up to the next `<`), references decoded, CR LF and CR
    /// read as LF.
    fn chars(&mut self, range: Range<usize>) -> Step {
        let src = self.src;
        let s = &src[range.clone()];
        if memchr2(b'&', b'\r', s.as_bytes()).is_none() {
            return self.insert_text(Cow::Borrowed(s), range.start);
        }
        let b = s.as_bytes();
        let mut out = String::with_capacity(s.len());
        let mut i = 0;
        while let Some(k) = memchr2(b'&', b'\r', &b[i..]) {
            out.push_str(&s[i..i + k]);
            i += k;
            if b[i] == b'\r' {
                out.push('\n');
                i += 1;
                if b.get(i) == Some(&b'\n') {
                    i += 1;
                }
                continue;
            }
            // A reference may run to the end of the input, past this run (`&amp` then `<`
            // cannot: `<` ends every name), so it is read from the whole input.
            match char_ref(&src[range.start + i..])? {
                Some((chars, len)) => {
                    out.push_str(&chars);
                    i += len;
                }
                None => {
                    out.push('&');
                    i += 1;
                }
            }
        }
        out.push_str(&s[i..]);
        self.insert_text(Cow::Owned(out), range.start)
    }

    /// Character tokens, by insertion mode. `at` is where borrowed text sits in the input.
    fn insert_text(&mut self, text: Cow<'_, str>, at: usize) -> Step {
        let borrowed = matches!(text, Cow::Borrowed(_));
        let mut s: &str = &text;
        loop {
            match self.phase {
                Phase::Initial | Phase::BeforeHtml | Phase::BeforeHead => {
                    s = s.trim_start_matches(|c: char| c.is_ascii() && is_ws(c as u8));
                    if s.is_empty() {
                        return Ok(());
                    }
                    self.implied(self.phase)?;
                }
                Phase::InHead => {
                    // Whitespace goes into `<head>`, which the walker skips.
                    let rest = s.trim_start_matches(|c: char| c.is_ascii() && is_ws(c as u8));
                    if rest.is_empty() {
                        return Ok(());
                    }
                    s = rest;
                    self.implied(Phase::InHead)?;
                }
                Phase::AfterHead => {
                    let rest = s.trim_start_matches(|c: char| c.is_ascii() && is_ws(c as u8));
                    let ws = &s[..s.len() - rest.len()];
                    if !ws.is_empty() {
                        self.append(ws, &text, borrowed, at);
                    }
                    if rest.is_empty() {
                        return Ok(());
                    }
                    s = rest;
                    self.implied(Phase::AfterHead)?;
                }
                Phase::Body => {
                    match self.mode() {
                        Mode::Body | Mode::Cell | Mode::Caption => {}
                        // Only whitespace stays in a table; other text would be moved in front
                        // of it, and leading whitespace in a column group pops it.
                        Mode::Table | Mode::TableBody | Mode::Row | Mode::ColumnGroup => {
                            if !all_ws(s) {
                                return Err(GiveUp);
                            }
                        }
                    }
                    self.append(s, &text, borrowed, at);
                    return Ok(());
                }
            }
        }
    }

    /// Adds `s` (a part of `whole`, which sits in the input at `at` when `borrowed`) to the
    /// current node's pending text.
    fn append(&mut self, s: &str, whole: &str, borrowed: bool, at: usize) {
        if borrowed {
            let start = at + (s.as_ptr() as usize - whole.as_ptr() as usize);
            let range = start..start + s.len();
            match &mut self.pending {
                None if self.owned.is_empty() => {
                    self.pending = Some(range);
                    return;
                }
                Some(p) if p.end == range.start => {
                    p.end = range.end;
                    return;
                }
                _ => {}
            }
        }
        if let Some(p) = self.pending.take() {
            self.owned.push_str(&self.src[p]);
        }
        self.owned.push_str(s);
    }

    /// Hands the pending text to the walker (a node of its own ends here).
    fn flush(&mut self) {
        let src = self.src;
        let text = match self.pending.take() {
            Some(p) => &src[p],
            None if self.owned.is_empty() => return,
            None => self.owned.as_str(),
        };
        if self.hidden_from.is_none() {
            self.walker.text(text);
        }
        self.owned.clear();
    }

    fn comment(&mut self) -> Step {
        if self.after_body {
            return Err(GiveUp);
        }
        self.flush();
        Ok(())
    }

    fn mode(&self) -> Mode {
        self.stack.last().map_or(Mode::Body, |o| o.mode)
    }

    /// The current node's name; `None` with no element open.
    fn current(&self) -> Option<Name> {
        self.stack.last().map(|o| o.name)
    }

    /// Inserts an element and makes it the current node.
    fn push(&mut self, tag: Tag<'a>) -> Step {
        self.flush();
        // html5ever refuses a page once a node has more than `max_depth` ancestors, the
        // document counted: a child of this element would have the open elements and it.
        if self.stack.len() + 2 > self.max_depth {
            return Err(GiveUp);
        }
        let mode = tag.name.mode().unwrap_or_else(|| self.mode());
        let (rowspan, colspan) = (tag.rowspan, tag.colspan);
        if self.hidden_from.is_none() && !self.walker.open_element(tag.name, || (rowspan, colspan)) {
            self.hidden_from = Some(self.stack.len());
        }
        self.stack.push(Open { name: tag.name, text: tag.text, mode });
        Ok(())
    }

    /// Inserts an element with no content (a void element, `<col>`, one in the head).
    fn push_and_pop(&mut self, tag: Tag<'a>) -> Step {
        self.push(tag)?;
        self.pop();
        Ok(())
    }

    /// Pops the current node.
    fn pop(&mut self) {
        self.flush();
        let Some(open) = self.stack.pop() else { return };
        match self.hidden_from {
            Some(i) if i == self.stack.len() => self.hidden_from = None,
            Some(_) => {}
            None => self.walker.close_element(open.name),
        }
    }

    /// Pops elements until one that `is_target` is popped. A formatting element popped on
    /// the way would be reconstructed later by html5ever: give up.
    fn pop_until(&mut self, is_target: impl Fn(Name) -> bool) -> Step {
        loop {
            let name = self.current().ok_or(GiveUp)?;
            let hit = is_target(name);
            if !hit && name.is_formatting() {
                return Err(GiveUp);
            }
            self.pop();
            if hit {
                return Ok(());
            }
        }
    }

    /// Pops elements until the current node `is_context` ("clear the stack back to a table
    /// context" and the like).
    fn pop_to(&mut self, is_context: impl Fn(Name) -> bool) -> Step {
        loop {
            match self.current() {
                Some(name) if is_context(name) => return Ok(()),
                Some(name) if !name.is_formatting() => self.pop(),
                _ => return Err(GiveUp),
            }
        }
    }

    /// "Generate implied end tags", except for elements named `except`.
    fn implied_end_tags(&mut self, except: Option<Name>) {
        while let Some(name) = self.current()
            && name.is_implied_end()
            && Some(name) != except
        {
            self.pop();
        }
    }

    /// Whether an element `is_target` is open above the first element `is_boundary`.
    fn in_scope(&self, is_target: impl Fn(Name) -> bool, is_boundary: impl Fn(Name) -> bool) -> bool {
        for open in self.stack.iter().rev() {
            if is_target(open.name) {
                return true;
            }
            if is_boundary(open.name) {
                return false;
            }
        }
        false
    }

    fn p_in_button_scope(&self) -> bool {
        self.in_scope(|n| n == Name::P, |n| n.is_scope_boundary() || n == Name::Button)
    }

    /// "Close a p element" when one is in button scope.
    fn close_p(&mut self) -> Step {
        if self.p_in_button_scope() {
            self.implied_end_tags(Some(Name::P));
            self.pop_until(|n| n == Name::P)?;
        }
        Ok(())
    }

    /// The element the tree builder inserts when `phase` meets a token it does not expect
    /// there (`<html>`, `<head>`, `<body>`), or `</head>` implied; moves to the next phase.
    fn implied(&mut self, phase: Phase) -> Step {
        match phase {
            Phase::Initial | Phase::BeforeHtml => {
                self.push(Tag::implied(Name::Html))?;
                self.phase = Phase::BeforeHead;
            }
            Phase::BeforeHead => {
                self.push(Tag::implied(Name::Head))?;
                self.phase = Phase::InHead;
            }
            Phase::InHead => {
                self.pop();
                self.phase = Phase::AfterHead;
            }
            Phase::AfterHead => {
                self.push(Tag::implied(Name::Body))?;
                self.phase = Phase::Body;
            }
            Phase::Body => {}
        }
        Ok(())
    }

    /// An element whose content is raw text up to its end tag (`<script>`, `<style>`, a
    /// `<title>` in the head, `<noscript>` with scripting on): the walker skips all of them,
    /// so the content is only stepped over.
    fn raw_text(&mut self, tag: Tag<'a>) -> Step {
        let src = self.src;
        let b = src.as_bytes();
        let (name, text) = (tag.name, tag.name.text());
        self.push(tag)?;
        if self.hidden_from.is_none() {
            return Err(GiveUp);
        }
        let mut from = self.pos;
        let end = loop {
            let k = memmem::find(&b[from..], b"</").ok_or(GiveUp)? + from;
            let after = k + 2 + text.len();
            if b.len() > after
                && b[k + 2..after].eq_ignore_ascii_case(text.as_bytes())
                && (is_ws(b[after]) || matches!(b[after], b'/' | b'>'))
            {
                break k;
            }
            from = k + 2;
        };
        if name == Name::Script && memmem::find(&b[self.pos..end], b"<!--").is_some() {
            return Err(GiveUp);
        }
        self.pos = end;
        self.read_tag(false)?;
        self.pop();
        Ok(())
    }

    fn start_tag(&mut self, tag: Tag<'a>) -> Step {
        loop {
            match self.phase {
                Phase::Initial | Phase::BeforeHtml => {
                    if tag.name == Name::Html {
                        self.push(tag)?;
                        self.phase = Phase::BeforeHead;
                        return Ok(());
                    }
                    self.implied(self.phase)?;
                }
                Phase::BeforeHead => match tag.name {
                    Name::Head => {
                        self.push(tag)?;
                        self.phase = Phase::InHead;
                        return Ok(());
                    }
                    Name::Html => return Err(GiveUp),
                    _ => self.implied(Phase::BeforeHead)?,
                },
                Phase::InHead => match tag.name {
                    Name::Base | Name::Basefont | Name::Bgsound | Name::Link | Name::Meta => {
                        return self.push_and_pop(tag);
                    }
                    Name::Title | Name::Style | Name::Noscript | Name::Script => return self.raw_text(tag),
                    Name::Html | Name::Head | Name::Template | Name::Noframes => return Err(GiveUp),
                    _ => self.implied(Phase::InHead)?,
                },
                Phase::AfterHead => match tag.name {
                    Name::Body => {
                        self.push(tag)?;
                        self.phase = Phase::Body;
                        return Ok(());
                    }
                    Name::Html
                    | Name::Head
                    | Name::Frameset
                    | Name::Base
                    | Name::Basefont
                    | Name::Bgsound
                    | Name::Link
                    | Name::Meta
                    | Name::Noframes
                    | Name::Script
                    | Name::Style
                    | Name::Template
                    | Name::Title => return Err(GiveUp),
                    _ => self.implied(Phase::AfterHead)?,
                },
                Phase::Body => return self.start_tag_in_body(tag),
            }
        }
    }

    fn start_tag_in_body(&mut self, tag: Tag<'a>) -> Step {
        let name = tag.name;
        let is_table = |n| matches!(n, Name::Table | Name::Html);
        let is_table_body = |n: Name| n.is_table_section() || n == Name::Html;
        let is_row = |n| matches!(n, Name::Tr | Name::Html);
        match self.mode() {
            Mode::Body => {}
            Mode::Cell | Mode::Caption => {
                if name.is_table_part() {
                    if self.mode() == Mode::Cell {
                        self.implied_end_tags(None);
                        self.pop_until(|n| matches!(n, Name::Td | Name::Th))?;
                    } else {
                        self.implied_end_tags(None);
                        self.pop_until(|n| n == Name::Caption)?;
                    }
                    return self.start_tag_in_body(tag);
                }
            }
            Mode::Table => {
                return match name {
                    Name::Caption | Name::Colgroup | Name::Tbody | Name::Tfoot | Name::Thead => {
                        self.pop_to(is_table)?;
                        self.push(tag)
                    }
                    Name::Col => {
                        self.pop_to(is_table)?;
                        self.push(Tag::implied(Name::Colgroup))?;
                        self.start_tag_in_body(tag)
                    }
                    Name::Td | Name::Th | Name::Tr => {
                        self.pop_to(is_table)?;
                        self.push(Tag::implied(Name::Tbody))?;
                        self.start_tag_in_body(tag)
                    }
                    Name::Style | Name::Script => self.raw_text(tag),
                    _ => Err(GiveUp),
                };
            }
            Mode::TableBody => {
                return match name {
                    Name::Tr => {
                        self.pop_to(is_table_body)?;
                        self.push(tag)
                    }
                    Name::Td | Name::Th => {
                        self.pop_to(is_table_body)?;
                        self.push(Tag::implied(Name::Tr))?;
                        self.start_tag_in_body(tag)
                    }
                    Name::Caption | Name::Col | Name::Colgroup | Name::Tbody | Name::Tfoot | Name::Thead => {
                        self.pop_to(is_table_body)?;
                        self.pop();
                        self.start_tag_in_body(tag)
                    }
                    Name::Style | Name::Script => self.raw_text(tag),
                    _ => Err(GiveUp),
                };
            }
            Mode::Row => {
                return match name {
                    Name::Td | Name::Th => {
                        self.pop_to(is_row)?;
                        self.push(tag)
                    }
                    Name::Caption | Name::Col | Name::Colgroup | Name::Tbody | Name::Tfoot | Name::Thead | Name::Tr => {
                        self.pop_to(is_row)?;
                        self.pop();
                        self.start_tag_in_body(tag)
                    }
                    Name::Style | Name::Script => self.raw_text(tag),
                    _ => Err(GiveUp),
                };
            }
            Mode::ColumnGroup => {
                return match name {
                    Name::Col => self.push_and_pop(tag),
                    Name::Html | Name::Template => Err(GiveUp),
                    _ if self.current() == Some(Name::Colgroup) => {
                        self.pop();
                        self.start_tag_in_body(tag)
                    }
                    _ => Err(GiveUp),
                };
            }
        }
        // The rules of the body (also inside cells and captions).
        match name {
            _ if name.gives_up_in_body() => Err(GiveUp),
            Name::Base | Name::Basefont | Name::Bgsound | Name::Link | Name::Meta => self.push_and_pop(tag),
            Name::Script | Name::Style | Name::Noscript => self.raw_text(tag),
            _ if name.closes_p() => {
                self.close_p()?;
                self.push(tag)
            }
            _ if name.is_heading() => {
                self.close_p()?;
                if self.current().is_some_and(Name::is_heading) {
                    return Err(GiveUp);
                }
                self.push(tag)
            }
            Name::Form => {
                if self.form_open {
                    return Err(GiveUp);
                }
                self.close_p()?;
                self.form_open = true;
                self.push(tag)
            }
            Name::Li => {
                // An open `<li>` is closed first, unless a special element other than
                // `<address>`, `<div>` or `<p>` stands between.
                let mut to_close = false;
                for open in self.stack.iter().rev() {
                    if open.name == Name::Li {
                        to_close = true;
                        break;
                    }
                    if open.name.is_special() && !matches!(open.name, Name::Address | Name::Div | Name::P) {
                        break;
                    }
                }
                if to_close {
                    self.implied_end_tags(Some(Name::Li));
                    self.pop_until(|n| n == Name::Li)?;
                }
                self.close_p()?;
                self.push(tag)
            }
            // A second `<a>` or `<nobr>` runs the adoption agency.
            Name::A | Name::Nobr => {
                if self.stack.iter().any(|o| o.name == name) {
                    return Err(GiveUp);
                }
                self.push(tag)
            }
            Name::Table => {
                if self.p_in_button_scope() {
                    return Err(GiveUp);
                }
                self.push(tag)
            }
            Name::Hr => {
                self.close_p()?;
                self.push_and_pop(tag)
            }
            _ if name.is_void_in_body() => self.push_and_pop(tag),
            _ => self.push(tag),
        }
    }

    fn end_tag(&mut self, tag: &Tag<'_>) -> Step {
        loop {
            match self.phase {
                Phase::Initial | Phase::BeforeHtml | Phase::BeforeHead => {
                    if !matches!(tag.name, Name::Head | Name::Body | Name::Html) {
                        return Err(GiveUp);
                    }
                    self.implied(self.phase)?;
                }
                Phase::InHead => match tag.name {
                    Name::Head => {
                        self.pop();
                        self.phase = Phase::AfterHead;
                        return Ok(());
                    }
                    Name::Body | Name::Html => self.implied(Phase::InHead)?,
                    _ => return Err(GiveUp),
                },
                Phase::AfterHead => match tag.name {
                    Name::Body | Name::Html => self.implied(Phase::AfterHead)?,
                    _ => return Err(GiveUp),
                },
                Phase::Body => return self.end_tag_in_body(tag),
            }
        }
    }

    fn end_tag_in_body(&mut self, tag: &Tag<'_>) -> Step {
        let name = tag.name;
        let table_scope = Name::is_table_scope_boundary;
        let is_table_body = |n: Name| n.is_table_section() || n == Name::Html;
        let is_row = |n| matches!(n, Name::Tr | Name::Html);
        match self.mode() {
            Mode::Body => {}
            Mode::Cell => match name {
                Name::Td | Name::Th => {
                    if !self.in_scope(|n| n == name, table_scope) {
                        return Err(GiveUp);
                    }
                    self.implied_end_tags(None);
                    return self.pop_until(|n| n == name);
                }
                Name::Table | Name::Tbody | Name::Tfoot | Name::Thead | Name::Tr => {
                    if !self.in_scope(|n| n == name, table_scope) {
                        return Err(GiveUp);
                    }
                    self.implied_end_tags(None);
                    self.pop_until(|n| matches!(n, Name::Td | Name::Th))?;
                    return self.end_tag_in_body(tag);
                }
                Name::Body | Name::Caption | Name::Col | Name::Colgroup | Name::Html => return Err(GiveUp),
                _ => {}
            },
            Mode::Caption => match name {
                Name::Caption | Name::Table => {
                    self.implied_end_tags(None);
                    self.pop_until(|n| n == Name::Caption)?;
                    return if name == Name::Table { self.end_tag_in_body(tag) } else { Ok(()) };
                }
                Name::Body
                | Name::Col
                | Name::Colgroup
                | Name::Html
                | Name::Tbody
                | Name::Td
                | Name::Tfoot
                | Name::Th
                | Name::Thead
                | Name::Tr => {
                    return Err(GiveUp);
                }
                _ => {}
            },
            Mode::Row => {
                return match name {
                    Name::Tr => {
                        self.pop_to(is_row)?;
                        self.pop();
                        Ok(())
                    }
                    Name::Table | Name::Tbody | Name::Tfoot | Name::Thead => {
                        if !self.in_scope(|n| n == name, table_scope) {
                            return Err(GiveUp);
                        }
                        self.pop_to(is_row)?;
                        self.pop();
                        self.end_tag_in_body(tag)
                    }
                    _ => Err(GiveUp),
                };
            }
            Mode::TableBody => {
                return match name {
                    Name::Tbody | Name::Tfoot | Name::Thead => {
                        if !self.in_scope(|n| n == name, table_scope) {
                            return Err(GiveUp);
                        }
                        self.pop_to(is_table_body)?;
                        self.pop();
                        Ok(())
                    }
                    Name::Table => {
                        self.pop_to(is_table_body)?;
                        self.pop();
                        self.end_tag_in_body(tag)
                    }
                    _ => Err(GiveUp),
                };
            }
            Mode::Table => {
                return match name {
                    Name::Table => self.pop_until(|n| n == Name::Table),
                    _ => Err(GiveUp),
                };
            }
            Mode::ColumnGroup => {
                return match name {
                    Name::Colgroup => {
                        self.pop();
                        Ok(())
                    }
                    Name::Col | Name::Template => Err(GiveUp),
                    _ => {
                        self.pop();
                        self.end_tag_in_body(tag)
                    }
                };
            }
        }
        let default_scope = Name::is_scope_boundary;
        match name {
            Name::Body | Name::Html => {
                if !self.in_scope(|n| n == Name::Body, default_scope) {
                    return Err(GiveUp);
                }
                // `<body>` stays open: what follows still goes into it.
                self.after_body = true;
                Ok(())
            }
            Name::P => {
                if !self.p_in_button_scope() {
                    return Err(GiveUp);
                }
                self.close_p()
            }
            Name::Li => {
                if !self.in_scope(|n| n == Name::Li, |n| default_scope(n) || matches!(n, Name::Ol | Name::Ul)) {
                    return Err(GiveUp);
                }
                self.implied_end_tags(Some(Name::Li));
                self.pop_until(|n| n == Name::Li)
            }
            _ if name.is_heading() => {
                if !self.in_scope(Name::is_heading, default_scope) {
                    return Err(GiveUp);
                }
                self.implied_end_tags(None);
                self.pop_until(Name::is_heading)
            }
            Name::Form => {
                if !self.form_open || !self.in_scope(|n| n == Name::Form, default_scope) {
                    return Err(GiveUp);
                }
                self.implied_end_tags(None);
                if self.current() != Some(Name::Form) {
                    return Err(GiveUp);
                }
                self.form_open = false;
                self.pop();
                Ok(())
            }
            _ if name.is_block_end() => {
                if !self.in_scope(|n| n == name, default_scope) {
                    return Err(GiveUp);
                }
                self.implied_end_tags(None);
                self.pop_until(|n| n == name)
            }
            Name::Dd | Name::Dt | Name::Applet | Name::Marquee | Name::Object | Name::Template | Name::Br => {
                Err(GiveUp)
            }
            // Any other end tag, formatting ones included, closes the current node only; an
            // unknown name only an element of the same text.
            _ if self.stack.last().is_some_and(|o| o.name == name && (name != Name::Other || o.text == tag.text)) => {
                self.pop();
                Ok(())
            }
            _ => Err(GiveUp),
        }
    }

    /// The end of the input: implied elements up to `<body>`, then every open element closes.
    fn eof(&mut self) -> Step {
        while self.phase != Phase::Body {
            self.implied(self.phase)?;
        }
        self.flush();
        while !self.stack.is_empty() {
            self.pop();
        }
        Ok(())
    }
}
