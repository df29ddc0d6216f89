//! Fuzz target (layout): the html reader on any text.
#![no_main]

libfuzzer_sys::fuzz_target!(|text: &str| {
    let _ = jixiao::ingest::layout::html::read(text);
});
