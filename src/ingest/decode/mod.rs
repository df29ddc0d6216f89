//! Stage 2, decode: bytes → UTF-8 text, recording what was detected and how many bytes were malformed.
//!
//! Order of evidence, strongest first (as ripgrep's searcher does): a BOM; binary magic and
//! control-character density (rejected, never decoded into garbage); valid UTF-8 (fast path);
//! UTF-16 without BOM from the NUL-byte pattern; a `<meta charset>` that the bytes agree with;
//! text that is plainly GB-encoded Chinese; chardetng for the rest, on a bounded prefix. GBK and
//! GB2312 labels are decoded with the GB18030 decoder, a superset. Each file is decoded once
//! into its final `String` unless a trial fails.

mod charset;
mod gb;
mod utf16;

pub use charset::declared_charset;

use encoding_rs::{Encoding, GB18030, UTF_8, UTF_16BE, UTF_16LE};

use crate::ingest::text::is_cjk;

/// What the decoder found out about a file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decoded {
    pub text: String,
    /// Lowercase WHATWG name: `utf-8`, `gb18030`, `gbk`, `utf-16le`, `utf-16be`, `big5`, ...
    pub encoding: String,
    pub had_bom: bool,
    /// Malformed byte sequences replaced by U+FFFD.
    pub decode_errors: u64,
}

/// Why a file was not decoded at all.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    #[error("empty: the file has no bytes")]
    Empty,
    #[error("binary: {0}")]
    Binary(&'static str),
}

/// Magic numbers of files scrapers save with a text extension by mistake.
const MAGIC: &[(&[u8], &str)] = &[
    (b"\x89PNG\r\n\x1a\n", "PNG image"),
    (b"%PDF-", "PDF document (run it through pdftotext first)"),
    (b"PK\x03\x04", "ZIP archive or Office document (docx/xlsx)"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "legacy Office document (doc/xls)"),
    (b"\xff\xd8\xff", "JPEG image"),
    (b"GIF87a", "GIF image"),
    (b"GIF89a", "GIF image"),
    (b"\x1f\x8b", "gzip archive"),
    (b"Rar!\x1a\x07", "RAR archive"),
    (b"7z\xbc\xaf\x27\x1c", "7z archive"),
    (b"II*\x00", "TIFF image"),
    (b"MM\x00*", "TIFF image"),
    (b"BM", "BMP image"),
];

pub fn decode(bytes: &[u8]) -> Result<Decoded, DecodeError> {
    decode_owned(bytes.to_vec())
}

/// [`decode`] taking the bytes: valid UTF-8 (most files) becomes the text in place, so a
/// file's bytes and its text are never in memory twice, and its bytes are validated once.
pub fn decode_owned(bytes: Vec<u8>) -> Result<Decoded, DecodeError> {
    if let Some(d) = screen(&bytes)? {
        return Ok(d);
    }
    match String::from_utf8(bytes) {
        Ok(text) => Ok(decoded(UTF_8, text, false, 0)),
        Err(e) => Ok(not_utf8(e.as_bytes())),
    }
}

/// The evidence weighed before the bytes are tried as UTF-8: a BOM, binary magic, BOM-less
/// UTF-16, binary content. The decoded text or a rejection, or `None` to try UTF-8.
fn screen(bytes: &[u8]) -> Result<Option<Decoded>, DecodeError> {
    if bytes.is_empty() {
        return Err(DecodeError::Empty);
    }
    if let Some((enc, bom_len)) = Encoding::for_bom(bytes) {
        if enc == UTF_8 {
            return Ok(Some(run(enc, &bytes[bom_len..], true)));
        }
        let d = utf16::decode_utf16(&bytes[bom_len..], enc == UTF_16BE, 0);
        return Ok(Some(decoded(enc, d.text, true, d.errors)));
    }
    for (magic, what) in MAGIC {
        // "BM" is too short to trust alone: require the BMP header's size field to be plausible.
        if bytes.starts_with(magic) && (*magic != b"BM" || looks_like_bmp(bytes)) {
            return Err(DecodeError::Binary(what));
        }
    }
    if let Some(d) = utf16_without_bom(bytes) {
        return Ok(Some(d));
    }
    if let Some(why) = binary_reason(bytes) {
        return Err(DecodeError::Binary(why));
    }
    Ok(None)
}

/// Bytes that are not valid UTF-8: UTF-8 with a few broken sequences, or a legacy encoding.
fn not_utf8(bytes: &[u8]) -> Decoded {
    if mostly_utf8(bytes) { run(UTF_8, bytes, false) } else { legacy(bytes) }
}

fn decoded(enc: &'static Encoding, text: String, had_bom: bool, errors: u64) -> Decoded {
    Decoded { text, encoding: enc.name().to_ascii_lowercase(), had_bom, decode_errors: errors }
}

fn run(enc: &'static Encoding, bytes: &[u8], had_bom: bool) -> Decoded {
    // GBK-labelled bytes go through the GB18030 decoder: it is a strict superset, so nothing
    // valid in GBK becomes malformed.
    let decoder_enc = if enc == encoding_rs::GBK { GB18030 } else { enc };
    let (text, errors) = decode_counting(decoder_enc, bytes);
    decoded(enc, text, had_bom, errors)
}

/// Decodes without BOM sniffing and counts malformed sequences; encoding_rs only says "some".
fn decode_counting(enc: &'static Encoding, bytes: &[u8]) -> (String, u64) {
    let mut out = String::new();
    let errors = decode_into(enc, bytes, &mut out);
    (out, errors)
}

/// [`decode_counting`] onto the end of `out`: reserves what the decoder may write, and returns
/// the malformed sequences it replaced by U+FFFD.
fn decode_into(enc: &'static Encoding, bytes: &[u8], out: &mut String) -> u64 {
    let mut decoder = enc.new_decoder_without_bom_handling();
    out.reserve(decoder.max_utf8_buffer_length(bytes.len()).unwrap_or(bytes.len() * 3));
    let mut errors = 0u64;
    let mut input = bytes;
    loop {
        if crate::ingest::deadline::tick() {
            break;
        }
        let (result, read) = decoder.decode_to_string_without_replacement(input, out, true);
        input = &input[read..];
        match result {
            encoding_rs::DecoderResult::InputEmpty => break,
            encoding_rs::DecoderResult::Malformed(_, _) => {
                errors += 1;
                out.push('\u{FFFD}');
            }
            encoding_rs::DecoderResult::OutputFull => {
                out.reserve(input.len() * 3 + 16);
            }
        }
    }
    errors
}

/// UTF-8 with a few malformed sequences (a download cut inside its last character, a stray
/// byte): many well-formed multi-byte characters per error. Legacy GB bytes read as UTF-8
/// give an error at nearly every character, so they never pass.
fn mostly_utf8(bytes: &[u8]) -> bool {
    let (mut multibyte, mut errors) = (0usize, 0usize);
    let mut left = bytes.len();
    for chunk in bytes.utf8_chunks() {
        // A character of two or more bytes has one lead byte (0xC2 and up).
        multibyte += chunk.valid().bytes().filter(|&b| b >= 0xC0).count();
        errors += !chunk.invalid().is_empty() as usize;
        left -= chunk.valid().len() + chunk.invalid().len();
        // Errors only grow and the bytes left hold at most one character per two: once even
        // they could not make up 20 characters an error, the answer is no (GB bytes read as
        // UTF-8 are an error a character, and stop within their first few hundred bytes).
        if multibyte + left / 2 < 20 * errors {
            return false;
        }
    }
    errors > 0 && multibyte >= 4 && multibyte >= 20 * errors
}

fn looks_like_bmp(bytes: &[u8]) -> bool {
    bytes.len() >= 14 && {
        let size = u32::from_le_bytes([bytes[2], bytes[3], bytes[4], bytes[5]]) as usize;
        size == bytes.len() && bytes[6..10] == [0, 0, 0, 0]
    }
}

/// First bytes the BOM-less UTF-16 test looks at.
const UTF16_SAMPLE: usize = 64 * 1024;

/// UTF-16 text of CJK and ASCII has NUL bytes at one parity only (ASCII) and never has
/// NUL pairs; binaries have NULs everywhere.
fn utf16_without_bom(bytes: &[u8]) -> Option<Decoded> {
    let n = bytes.len().min(UTF16_SAMPLE) & !1;
    if n < 4 {
        return None;
    }
    let sample = &bytes[..n];
    // Without a NUL byte neither half counts any (see below): most files are told at SIMD speed.
    memchr::memchr(0, sample)?;
    let (mut even_nul, mut odd_nul) = (0usize, 0usize);
    for pair in sample.chunks_exact(2) {
        if pair[0] == 0 && pair[1] == 0 {
            return None;
        }
        even_nul += (pair[0] == 0) as usize;
        odd_nul += (pair[1] == 0) as usize;
    }
    let units = n / 2;
    // Without any NUL byte the text has no ASCII at all (not even a newline): that is
    // legacy multi-byte text, whose byte pairs would also decode as "CJK" in UTF-16.
    // ASCII puts its NUL in one half of each unit; CJK code points like U+4E00 put an
    // occasional NUL in the other half, so compare the halves instead of requiring zero.
    let enc = if even_nul > units / 16 && even_nul > 4 * odd_nul {
        UTF_16BE
    } else if odd_nul > units / 16 && odd_nul > 4 * even_nul {
        UTF_16LE
    } else {
        return None;
    };
    // Decoded whole at once: the sample's figures come out of the same pass.
    let d = utf16::decode_utf16(bytes, enc == UTF_16BE, n);
    // One broken sequence (a lone surrogate, a cut) is allowed even in a short file.
    let plausible = d.prefix_errors <= (units as u64 / 100).max(1) && cjk_share(&d.text[..d.prefix_text_len]) > 0.6;
    plausible.then(|| decoded(enc, d.text, false, d.errors))
}

fn cjk_share(text: &str) -> f64 {
    let mut total = 0usize;
    let mut cjk = 0usize;
    for c in text.chars() {
        if c.is_whitespace() {
            continue;
        }
        total += 1;
        cjk += (c.is_ascii_graphic() || is_cjk(c)) as usize;
    }
    if total == 0 { 0.0 } else { cjk as f64 / total as f64 }
}

/// NUL bytes or many C0 controls mean the file is not text in any single-byte-compatible
/// encoding (UTF-16 was ruled out before).
fn binary_reason(bytes: &[u8]) -> Option<&'static str> {
    let sample = &bytes[..bytes.len().min(64 * 1024)];
    if memchr::memchr(0, sample).is_some() {
        return Some("NUL bytes in a file that is not UTF-16");
    }
    let control = |b: u8| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c | 0x1b);
    // Counted in byte-wide lanes, 255 bytes at a time so a lane cannot overflow: the compiler
    // then counts 32 bytes a step (1.8 instructions a byte on the sample files, where a
    // filter over each byte took about 5).
    let controls: usize =
        sample.chunks(255).map(|c| usize::from(c.iter().fold(0u8, |n, &b| n + u8::from(control(b))))).sum();
    if controls * 100 > sample.len() {
        return Some("control characters throughout (not text)");
    }
    None
}

/// Non-ASCII bytes chardetng gets to see: a few thousand characters tell the GB family from
/// Big5, Shift_JIS or EUC-KR as surely as a whole file does, and feeding it whole files was
/// a sixth of a run's time.
const DETECT_NON_ASCII: usize = 8 * 1024;

/// The file up to its `DETECT_NON_ASCII`th non-ASCII byte (all of it when it has fewer).
fn detection_prefix(bytes: &[u8]) -> &[u8] {
    let mut seen = 0;
    for (i, &b) in bytes.iter().enumerate() {
        seen += usize::from(!b.is_ascii());
        if seen == DETECT_NON_ASCII {
            return &bytes[..=i];
        }
    }
    bytes
}

/// Text in a legacy encoding: a declared charset the bytes agree with, plain GB Chinese,
/// else chardetng's guess.
fn legacy(bytes: &[u8]) -> Decoded {
    if let Some(enc) = declared_charset(bytes).and_then(|label| Encoding::for_label(label.as_bytes()))
        && enc != UTF_8
        && enc != UTF_16LE
        && enc != UTF_16BE
    {
        // A declared charset counts only when the bytes decode cleanly with it: scraped
        // pages often declare one encoding and are saved in another.
        let check = if enc == encoding_rs::GBK { GB18030 } else { enc };
        let head = &bytes[..bytes.len().min(64 * 1024)];
        let (text, errors) = decode_counting(check, head);
        if errors == 0 {
            // The check decoded a small file whole already.
            return if head.len() == bytes.len() { decoded(enc, text, false, 0) } else { run(enc, bytes, false) };
        }
    }
    if let Some(text) = gb::plain_gb(bytes) {
        // chardetng's name for the GB family, so the label is what it would have said.
        return decoded(encoding_rs::GBK, text, false, 0);
    }
    let evidence = detection_prefix(bytes);
    let mut det = chardetng::EncodingDetector::new();
    det.feed(evidence, evidence.len() == bytes.len());
    let enc = det.guess(Some(b"cn"), true);
    // chardetng answers GBK for the whole GB family; decoding uses GB18030 either way, and
    // the label stays what was detected.
    if enc == UTF_8 {
        // Invalid UTF-8 that chardetng still calls UTF-8: almost always GB bytes here.
        return run(GB18030, bytes, false);
    }
    run(enc, bytes, false)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn utf8_with_and_without_bom() {
        let d = decode("项目名称\t测试".as_bytes()).unwrap();
        assert_eq!((d.encoding.as_str(), d.had_bom), ("utf-8", false));
        let mut b = vec![0xef, 0xbb, 0xbf];
        b.extend_from_slice("项目".as_bytes());
        let d = decode(&b).unwrap();
        assert_eq!((d.encoding.as_str(), d.had_bom, d.text.as_str()), ("utf-8", true, "项目"));
    }

    #[test]
    fn utf16_both_orders_without_bom() {
        let s = "东莞市财政项目支出绩效目标批复表\n项目名称\t党内统计工作经费 12.00\n";
        let le: Vec<u8> = s.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        let be: Vec<u8> = s.encode_utf16().flat_map(|u| u.to_be_bytes()).collect();
        assert_eq!(decode(&le).unwrap().encoding, "utf-16le");
        let d = decode(&be).unwrap();
        assert_eq!((d.encoding.as_str(), d.text.as_str()), ("utf-16be", s));
    }

    #[test]
    fn gbk_text_is_detected_and_decoded() {
        let s =
            "东莞市财政项目支出绩效目标批复表\n预算单位：中共东莞市直属机关工作委员会\n项目名称\t党内统计工作经费\n";
        let (bytes, _, _) = GB18030.encode(s);
        let d = decode(&bytes).unwrap();
        assert!(matches!(d.encoding.as_str(), "gbk" | "gb18030"), "{}", d.encoding);
        assert_eq!(d.text, s);
        assert_eq!(d.decode_errors, 0);
    }

    #[test]
    fn malformed_bytes_are_counted() {
        let (bytes, _, _) = GB18030.encode("项目名称是党内统计工作经费，预算单位是中共东莞市直属机关工作委员会");
        let mut bytes = bytes.into_owned();
        bytes.extend_from_slice(&[0x81, 0x20, 0xff]);
        let d = decode(&bytes).unwrap();
        assert!(d.decode_errors >= 1, "{d:?}");
    }

    #[test]
    fn utf8_cut_inside_its_last_character_stays_utf8() {
        let s = "东莞市财政项目支出绩效目标批复表\n项目名称\t党内统计工作经费\n预算单位\t中共东莞市直属机关工作委员会";
        let mut b = s.as_bytes().to_vec();
        b.truncate(b.len() - 1);
        let d = decode(&b).unwrap();
        assert_eq!((d.encoding.as_str(), d.decode_errors), ("utf-8", 1));
        assert!(d.text.ends_with("委员\u{FFFD}"), "{:?}", d.text);
    }

    #[test]
    fn gb18030_with_a_broken_sequence_is_still_gb() {
        let s =
            "东莞市财政项目支出绩效目标批复表\n预算单位：中共东莞市直属机关工作委员会\n项目名称\t党内统计工作经费\n";
        let (bytes, _, _) = GB18030.encode(s);
        let mut b = bytes.into_owned();
        b.insert(20, 0x81);
        b.push(0xfe);
        let d = decode(&b).unwrap();
        assert!(matches!(d.encoding.as_str(), "gbk" | "gb18030"), "{}", d.encoding);
        assert!(d.decode_errors >= 1, "{d:?}");
        assert!(d.text.contains("项目名称"));
    }

    #[test]
    fn utf16_with_a_lone_surrogate_and_odd_length_counts_errors() {
        let s = "东莞市财政项目支出绩效目标批复表\n项目名称\t党内统计工作经费 12.00\n";
        let mut le: Vec<u8> = s.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        le.extend_from_slice(&[0x00, 0xd8, 0x41]);
        let d = decode(&le).unwrap();
        assert_eq!(d.encoding, "utf-16le");
        assert!(d.decode_errors >= 1, "{d:?}");
        assert!(d.text.starts_with(s));
    }

    #[test]
    fn binaries_are_rejected_with_reason() {
        assert_eq!(decode(b"\x89PNG\r\n\x1a\n\0\0"), Err(DecodeError::Binary("PNG image")));
        assert!(matches!(decode(b"%PDF-1.7 ..."), Err(DecodeError::Binary(_))));
        assert_eq!(decode(b""), Err(DecodeError::Empty));
        let noise: Vec<u8> = (0..4096u32).map(|i| (i.wrapping_mul(2654435761) >> 13) as u8).collect();
        assert!(matches!(decode(&noise), Err(DecodeError::Binary(_))));
    }

    #[test]
    fn utf16le_without_bom_holding_u4e00_is_not_binary() {
        // 一 (U+4E00) is 00 4E in UTF-16LE: a NUL in the "wrong" half of a unit.
        let s = "绩效指标\t一级指标\t二级指标\t三级指标\t指标值（或计划水平）\n\t预期产出指标\t数量指标\t数量\t237个直管党组织\n\t\t质量指标\t质量\t统一上报\n";
        let le: Vec<u8> = s.encode_utf16().flat_map(|u| u.to_le_bytes()).collect();
        assert_eq!(decode(&le).unwrap().encoding, "utf-16le");
    }

    #[test]
    fn control_characters_counted_in_lanes_give_the_byte_counts_answer() {
        fn by_byte(bytes: &[u8]) -> bool {
            let sample = &bytes[..bytes.len().min(64 * 1024)];
            let controls =
                sample.iter().filter(|&&b| b < 0x20 && !matches!(b, b'\t' | b'\n' | b'\r' | 0x0c | 0x1b)).count();
            controls * 100 > sample.len()
        }
        let mut rng = fastrand::Rng::with_seed(3);
        let (mut binary, mut text) = (0, 0);
        for round in 0..2000 {
            // Text with a sprinkling of controls near the 1 % line, in lengths around the lanes'
            // 255-byte blocks and the 64 KiB sample.
            let len = [rng.usize(1..600), rng.usize(64 * 1024 - 300..64 * 1024 + 300)][rng.usize(..2)];
            let share = rng.u32(0..25);
            let bytes: Vec<u8> =
                (0..len).map(|_| if rng.u32(..1000) < share { rng.u8(1..0x20) } else { rng.u8(0x20..0x7f) }).collect();
            let expected = by_byte(&bytes);
            assert_eq!(binary_reason(&bytes).is_some(), expected, "round {round}");
            if expected { binary += 1 } else { text += 1 }
        }
        assert!(binary > 100 && text > 100, "{binary} binary, {text} text");
    }

    #[test]
    fn gbk_html_without_nul_bytes_is_not_utf16() {
        let page =
            "<!DOCTYPE html><html><head><meta charset=gbk></head><body><table><tr><td>项目名称</td></tr></table>";
        let (bytes, _, _) = GB18030.encode(page);
        let d = decode(&bytes).unwrap();
        assert_eq!(d.encoding, "gbk");
        assert!(d.text.contains("项目名称"));
    }

    #[test]
    fn big5_text_still_gets_chardetngs_answer() {
        // With the `cn` hint chardetng calls this short Big5 text GBK; whatever it says, the
        // GB shortcut must not be what answers.
        let s =
            "東莞市財政項目支出績效目標批覆表\n預算單位：中共東莞市直屬機關工作委員會\n項目名稱\t黨內統計工作經費\n";
        let (bytes, _, _) = encoding_rs::BIG5.encode(s);
        assert_eq!(gb::plain_gb(&bytes), None);
        let mut det = chardetng::EncodingDetector::new();
        det.feed(&bytes, true);
        let d = decode(&bytes).unwrap();
        assert_eq!(d.encoding, det.guess(Some(b"cn"), true).name().to_ascii_lowercase());
    }

    #[test]
    fn plain_gb_is_labelled_as_chardetng_labels_it() {
        let s =
            "东莞市财政项目支出绩效目标批复表\n预算单位：中共东莞市直属机关工作委员会\n项目名称\t党内统计工作经费\n";
        let (bytes, _, _) = GB18030.encode(s);
        let mut det = chardetng::EncodingDetector::new();
        det.feed(&bytes, true);
        let d = decode(&bytes).unwrap();
        assert_eq!(d.encoding, det.guess(Some(b"cn"), true).name().to_ascii_lowercase());
    }

    /// The whole-file count `mostly_utf8` stops early from: every character and error counted.
    fn mostly_utf8_counted_whole(bytes: &[u8]) -> bool {
        let (mut multibyte, mut errors) = (0usize, 0usize);
        for chunk in bytes.utf8_chunks() {
            multibyte += chunk.valid().chars().filter(|c| !c.is_ascii()).count();
            errors += !chunk.invalid().is_empty() as usize;
        }
        errors > 0 && multibyte >= 4 && multibyte >= 20 * errors
    }

    #[test]
    fn mostly_utf8_stopping_early_answers_as_the_whole_count_does() {
        let mut rng = fastrand::Rng::with_seed(5);
        let pieces: [&[u8]; 6] =
            ["项".as_bytes(), "目".as_bytes(), b"a1\t", "\u{1F600}".as_bytes(), &[0xff], &[0xb6, 0xab]];
        let (mut yes, mut no) = (0, 0);
        for round in 0..4000 {
            let mut bytes = Vec::new();
            // Mostly good UTF-8 with a few bad bytes, or GB-like junk throughout.
            let bad_share = [2u8, 5, 50][rng.usize(..3)];
            for _ in 0..rng.usize(0..300) {
                let piece = if rng.u8(..100) < bad_share { pieces[4 + rng.usize(..2)] } else { pieces[rng.usize(..4)] };
                bytes.extend_from_slice(piece);
            }
            let expected = mostly_utf8_counted_whole(&bytes);
            assert_eq!(mostly_utf8(&bytes), expected, "round {round}: {bytes:?}");
            if expected { yes += 1 } else { no += 1 }
        }
        assert!(yes > 100 && no > 100, "{yes} yes, {no} no");
    }
}
