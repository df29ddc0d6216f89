//! Stage 2, decode (UTF-16): bytes of UTF-16 text → one `String`, counting malformed units.
//!
//! encoding_rs decodes UTF-16 to UTF-8 through an intermediate UTF-16 buffer, and sniffing a
//! file without a BOM decoded it three times (error count, CJK share, final text); this decodes
//! once, unit by unit, and reports the figures of the sniffed prefix.

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
/// sequence by U+FFFD as encoding_rs does: an unpaired surrogate is one error, an odd last
/// byte another (unless it follows a high surrogate: one error for both).
pub(super) fn decode_utf16(bytes: &[u8], big_endian: bool, prefix_bytes: usize) -> Utf16Text {
    let unit = |pair: &[u8]| {
        let b = [pair[0], pair[1]];
        if big_endian { u16::from_be_bytes(b) } else { u16::from_le_bytes(b) }
    };
    let pairs = bytes.chunks_exact(2);
    let odd = !pairs.remainder().is_empty();
    let prefix_units = prefix_bytes / 2;
    // Mostly CJK: three UTF-8 bytes per two-byte unit.
    let mut text = String::with_capacity(bytes.len() / 2 * 3 + 3);
    let (mut errors, mut consumed) = (0u64, 0usize);
    let mut prefix = None;
    let mut units = pairs.map(unit).peekable();
    while let Some(u) = units.next() {
        if prefix.is_none() && consumed >= prefix_units {
            prefix = Some((errors, text.len()));
        }
        // Decoded here rather than by `char::decode_utf16`: a unit outside the surrogates (all
        // of CJK and ASCII) is its own character without the iterator's buffering, and the
        // decoder was a third of the decode stage. An unpaired surrogate is one error; the unit
        // after a lone high surrogate is read on its own, as std and encoding_rs do.
        let c = match u {
            0xD800..=0xDBFF => match units.peek() {
                Some(&low @ 0xDC00..=0xDFFF) => {
                    units.next();
                    char::from_u32(0x10000 + ((u32::from(u) - 0xD800) << 10) + (u32::from(low) - 0xDC00))
                }
                _ => None,
            },
            _ => char::from_u32(u32::from(u)),
        };
        match c {
            Some(c) => {
                text.push(c);
                consumed += c.len_utf16();
            }
            None => {
                text.push('\u{FFFD}');
                errors += 1;
                consumed += 1;
            }
        }
    }
    // encoding_rs reads a high surrogate cut off by the end of the file together with an odd
    // last byte as one malformed sequence.
    let cut_surrogate = bytes.len() >= 3 && (0xD800..0xDC00).contains(&unit(&bytes[bytes.len() - 3..]));
    if odd && !cut_surrogate {
        text.push('\u{FFFD}');
        errors += 1;
    }
    let (prefix_errors, prefix_text_len) = prefix.unwrap_or((errors, text.len()));
    Utf16Text { text, errors, prefix_errors, prefix_text_len }
}

#[cfg(test)]
mod tests {
    use super::*;
    use encoding_rs::{UTF_16BE, UTF_16LE};

    /// What encoding_rs makes of the same bytes: the decoder this one replaced.
    fn reference(bytes: &[u8], big_endian: bool) -> (String, u64) {
        super::super::decode_counting(if big_endian { UTF_16BE } else { UTF_16LE }, bytes)
    }

    #[test]
    fn utf16_decoding_matches_encoding_rs_on_random_units_with_stray_surrogates() {
        let mut rng = fastrand::Rng::with_seed(11);
        for round in 0..2000 {
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
            for big_endian in [false, true] {
                let ours = decode_utf16(&bytes, big_endian, bytes.len());
                assert_eq!((ours.text, ours.errors), reference(&bytes, big_endian), "round {round}: {bytes:?}");
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
}
