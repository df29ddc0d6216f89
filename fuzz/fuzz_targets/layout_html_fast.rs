//! Fuzz target (layout): the HTML fast path against html5ever. Whenever the fast path reads a
//! text, its grid must be the one html5ever's tree gives (the cap as small as 40 levels some of
//! the time, so that the depth refusal is compared too).
#![no_main]

use jixiao::ingest::layout::html;

libfuzzer_sys::fuzz_target!(|text: &str| {
    let max = if text.len() % 3 == 0 { 40 } else { 512 };
    if let Some(fast) = html::fast_path(text, max) {
        assert_eq!(Some(fast), html::tree_path(text, max).ok(), "{text:?}");
    }
});
