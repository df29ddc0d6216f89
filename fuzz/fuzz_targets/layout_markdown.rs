//! Fuzz target (layout): the markdown reader on any text.
#![no_main]

libfuzzer_sys::fuzz_target!(|text: &str| {
    let _ = jixiao::ingest::layout::markdown::read(text);
});
