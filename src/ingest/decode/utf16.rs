//! Stage 2, decode (UTF-16): bytes of UTF-16 text → one `String`, with the figures of its first bytes.
//!
//! Sniffing a file without a BOM once decoded it three times (error count, CJK share, final
//! text); it is decoded once, by encoding_rs, in two pieces cut at the sniffed prefix's end, so
//! the prefix's figures come out of the same pass. encoding_rs writes UTF-8 straight from the
//! units: 22 instructions a unit on the 500-file sample, where a loop pushing each character
//! onto a `String` took 56.

use encoding_rs::{UTF_16BE, UTF_16LE};

use super::decode_into;

/// A decoded UTF-16 file, with the evidence the BOM-less sniffing needs about its first bytes.
pub(super) struct Utf16Text {
    pub text: String,
    /// Malformed sequences in the whole file (unpaired surrogates, an odd last byte).
    pub errors: u64,
    /// Malformed sequences within the first `prefix_bytes` given to [`decode_utf16`].
    pub prefix_errors: u64,
    /// Length of `text` decoded from those first bytes.
    pub prefix_text_len: usize,
}

/// Decodes `bytes` as UTF-16 (big-endian when `big_endian`), replacing each malformed
/// sequence by U+FFFD: an unpaired surrogate is one error, an odd last byte another (unless it
/// follows a high surrogate: one error for both).
///
/// The prefix figures cover the characters that start within the first `prefix_bytes` (a
/// surrogate pair begun there is in it whole); when nothing follows them, they are the whole
/// file's, its odd last byte included.
pub(super) fn decode_utf16(bytes: &[u8], big_endian: bool, prefix_bytes: usize) -> Utf16Text {
    let enc = if big_endian { UTF_16BE } else { UTF_16LE };
    let cut = prefix_end(bytes, big_endian, prefix_bytes);
    // Room for what `decode_into` reserves for both pieces (three bytes a unit, and a unit
    // more for each piece's last byte), so the second piece never moves the text.
    let mut text = String::with_capacity(bytes.len() / 2 * 3 + 5);
    if cut >= bytes.len() & !1 {
        let errors = decode_into(enc, bytes, &mut text);
        return Utf16Text { prefix_errors: errors, prefix_text_len: text.len(), text, errors };
    }
    // Cut at a character boundary, the two pieces decode as the whole does.
    let prefix_errors = decode_into(enc, &bytes[..cut], &mut text);
    let prefix_text_len = text.len();
    let errors = prefix_errors + decode_into(enc, &bytes[cut..], &mut text);
    Utf16Text { text, errors, prefix_errors, prefix_text_len }
}

/// Where the characters starting in the first `prefix_bytes` end, in bytes: past a low
/// surrogate that completes a pair begun at the last unit.
fn prefix_end(bytes: &[u8], big_endian: bool, prefix_bytes: usize) -> usize {
    let unit = |at: usize| {
        let b = [bytes[at], bytes[at + 1]];
        if big_endian { u16::from_be_bytes(b) } else { u16::from_le_bytes(b) }
    };
    let cut = prefix_bytes & !1;
    let straddles = cut >= 2
        && cut + 2 <= bytes.len()
        && (0xD800..0xDC00).contains(&unit(cut - 2))
        && (0xDC00..0xE000).contains(&unit(cut));
    if straddles { cut + 2 } else { cut }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The figures the sniffing asked of its sample when it decoded by hand: the text and errors
    /// at the first character boundary at or past `prefix_bytes`, if any unit follows it, else
    /// the whole file's.
    fn prefix_by_characters(bytes: &[u8], big_endian: bool, prefix_bytes: usize) -> (u64, usize) {
        let units = bytes
            .chunks_exact(2)
            .map(|p| if big_endian { u16::from_be_bytes([p[0], p[1]]) } else { u16::from_le_bytes([p[0], p[1]]) });
        let (mut errors, mut len, mut consumed) = (0u64, 0usize, 0usize);
        for c in char::decode_utf16(units) {
            if consumed >= prefix_bytes / 2 {
                return (errors, len);
            }
            let (c, read, error) = match c {
                Ok(c) => (c, c.len_utf16(), 0),
                Err(_) => ('\u{FFFD}', 1, 1),
            };
            errors += error;
            len += c.len_utf8();
            consumed += read;
        }
        let (text, errors) = whole(bytes, big_endian);
        (errors, text.len())
    }

    fn whole(bytes: &[u8], big_endian: bool) -> (String, u64) {
        super::super::decode_counting(if big_endian { UTF_16BE } else { UTF_16LE }, bytes)
    }

    #[test]
    fn the_prefix_ends_at_the_first_character_boundary_past_the_sample() {
        let mut rng = fastrand::Rng::with_seed(11);
        for round in 0..4000 {
            let len = rng.usize(0..40);
            let mut bytes = Vec::with_capacity(len * 2 + 1);
            for _ in 0..len {
                let u: u16 = match rng.u8(0..6) {
                    0 => rng.u16(0xD800..=0xDBFF),
                    1 => rng.u16(0xDC00..=0xDFFF),
                    2 => rng.u16(0x20..0x7F),
                    _ => rng.u16(0x4E00..=0x9FFF),
                };
                bytes.extend_from_slice(&u.to_le_bytes());
            }
            if rng.bool() {
                bytes.push(rng.u8(..));
            }
            let prefix = rng.usize(0..=bytes.len() + 2);
            for big_endian in [false, true] {
                let ours = decode_utf16(&bytes, big_endian, prefix);
                assert!(ours.text.capacity() <= bytes.len() / 2 * 3 + 5, "round {round}: the text moved");
                assert_eq!((ours.text, ours.errors), whole(&bytes, big_endian), "round {round}: {bytes:?}");
                assert_eq!(
                    (ours.prefix_errors, ours.prefix_text_len),
                    prefix_by_characters(&bytes, big_endian, prefix),
                    "round {round}, prefix {prefix}: {bytes:?}"
                );
            }
        }
    }

    #[test]
    fn the_prefix_figures_cover_only_the_prefix() {
        let mut bytes: Vec<u8> = "项目名称".encode_utf16().flat_map(u16::to_le_bytes).collect();
        bytes.extend_from_slice(&0xDC00u16.to_le_bytes());
        let d = decode_utf16(&bytes, false, 8);
        assert_eq!((d.errors, d.prefix_errors, &d.text[..d.prefix_text_len]), (1, 0, "项目名称"));
    }

    #[test]
    fn a_pair_straddling_the_prefix_end_is_in_the_prefix() {
        let mut bytes: Vec<u8> = "项目".encode_utf16().flat_map(u16::to_le_bytes).collect();
        bytes.extend("\u{1F600}名称".encode_utf16().flat_map(u16::to_le_bytes));
        let d = decode_utf16(&bytes, false, 6);
        assert_eq!((d.errors, d.prefix_errors, &d.text[..d.prefix_text_len]), (0, 0, "项目\u{1F600}"));
    }
}
