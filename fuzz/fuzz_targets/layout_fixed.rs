//! Fuzz target (layout): the fixed reader on any text.
#![no_main]

libfuzzer_sys::fuzz_target!(|text: &str| {
    let _ = jixiao::ingest::layout::fixed::read(text, &jixiao::ingest::form::FormLabels);
});
