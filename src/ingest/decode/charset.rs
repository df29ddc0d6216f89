//! Stage 2, decode (charset sniffing): the label a page declares in `<meta charset>` or `<?xml encoding>`.

/// Finds the charset a page declares in its first 4 KiB: `<meta charset=…>`,
/// `<meta http-equiv="Content-Type" content="…; charset=…">`, or an XML declaration's
/// `encoding="…"`. Returns the label in lowercase. NUL bytes are skipped first, so a page
/// saved as UTF-16 without a BOM still shows its declaration.
pub fn declared_charset(bytes: &[u8]) -> Option<String> {
    let window = &bytes[..bytes.len().min(8 * 1024)];
    // Most legacy files are plain text: without a tag there is no declaration to read.
    memchr::memchr(b'<', window)?;
    // Without a NUL byte (any page but UTF-16) the head is the window's first 4 KiB, lowercased
    // in one go rather than filtered a byte at a time.
    let head = match memchr::memchr(0, window) {
        None => window[..window.len().min(4 * 1024)].to_ascii_lowercase(),
        Some(_) => window.iter().filter(|&&b| b != 0).take(4 * 1024).map(u8::to_ascii_lowercase).collect(),
    };
    let mut from = 0;
    while let Some(at) = find(&head[from..], b"<meta").map(|i| from + i) {
        let end = memchr::memchr(b'>', &head[at..]).map_or(head.len(), |i| at + i);
        if let Some(label) = value_after(&head[at..end], b"charset") {
            return Some(label);
        }
        from = at + 5;
    }
    if head.starts_with(b"<?xml")
        && let Some(end) = find(&head, b"?>")
    {
        return value_after(&head[..end], b"encoding");
    }
    None
}

fn find(hay: &[u8], needle: &[u8]) -> Option<usize> {
    memchr::memmem::find(hay, needle)
}

/// The value of `key = "value"` (quotes optional) inside a tag's bytes.
fn value_after(tag: &[u8], key: &[u8]) -> Option<String> {
    let mut from = 0;
    while let Some(at) = find(&tag[from..], key).map(|i| from + i) {
        let mut i = at + key.len();
        from = i;
        while tag.get(i).is_some_and(u8::is_ascii_whitespace) {
            i += 1;
        }
        if tag.get(i) != Some(&b'=') {
            continue;
        }
        i += 1;
        while tag.get(i).is_some_and(|b| b.is_ascii_whitespace() || *b == b'"' || *b == b'\'') {
            i += 1;
        }
        let start = i;
        while tag.get(i).is_some_and(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b':' | b'.')) {
            i += 1;
        }
        if i > start {
            return Some(String::from_utf8_lossy(&tag[start..i]).into_owned());
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn declared_charsets() {
        assert_eq!(
            declared_charset(b"<html><head><meta http-equiv=\"Content-Type\" content=\"text/html; charset=GB2312\">")
                .as_deref(),
            Some("gb2312")
        );
        assert_eq!(declared_charset(b"<META CHARSET='UTF-8'>").as_deref(), Some("utf-8"));
        assert_eq!(declared_charset(b"<meta name=\"x\"><p>charset=gbk</p>"), None);
        assert_eq!(declared_charset(b"<?xml version=\"1.0\" encoding=\"GBK\"?><html>").as_deref(), Some("gbk"));
        let utf16: Vec<u8> = "<meta charset=\"gbk\">".bytes().flat_map(|b| [b, 0]).collect();
        assert_eq!(declared_charset(&utf16).as_deref(), Some("gbk"));
        assert_eq!(declared_charset(b""), None);
    }
}
