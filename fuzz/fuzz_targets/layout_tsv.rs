//! Fuzz target (layout): the tsv reader on any text.
#![no_main]

libfuzzer_sys::fuzz_target!(|text: &str| {
    let _ = jixiao::ingest::layout::tsv::read(text);
});
