use super::generate::{self, CHARSETS, LAYOUTS};
use crate::ingest::{decode, process};

#[test]
fn generated_files_are_deterministic_and_prefix_stable() {
    for i in 0..20 {
        let (a, b) = (generate::file(7, i), generate::file(7, i));
        assert_eq!(a.rel, b.rel);
        assert_eq!(a.bytes, b.bytes);
    }
    assert_ne!(generate::file(7, 0).bytes, generate::file(8, 0).bytes);
}

#[test]
fn generated_corpus_covers_every_layout_and_charset_and_decodes() {
    let files: Vec<_> = (0..300).map(|i| generate::file(1, i)).collect();
    for l in LAYOUTS {
        assert!(files.iter().any(|f| f.layout == l), "{l:?} never generated");
    }
    for c in CHARSETS {
        assert!(files.iter().any(|f| f.charset == c), "{c:?} never generated");
    }
    assert!(files.iter().all(|f| (1..=8).contains(&f.tables)));
    for f in &files {
        let d = decode::decode(&f.bytes).expect("generated files are text");
        assert_eq!(d.decode_errors, 0, "{}", f.rel);
        assert!(d.text.contains("绩效"), "{} decoded as {}", f.rel, d.encoding);
        // Taking the bytes (UTF-8 in place) decodes every charset as reading them does.
        assert_eq!(decode::decode_owned(f.bytes.clone()).unwrap(), d, "{}", f.rel);
    }
}

#[test]
fn generated_tables_are_read_back() {
    // Every file holds as many tables as were written, and the readers find them all.
    for i in 0..120 {
        let f = generate::file(3, i);
        let row = process::unread(f.rel.clone(), f.bytes.len() as u64, 0);
        let o = process::process_bytes(row, f.bytes.clone());
        assert_eq!(o.projects.len(), f.tables, "{} ({:?}, {:?}): {:?}", f.rel, f.layout, f.charset, o.file.error);
    }
}
