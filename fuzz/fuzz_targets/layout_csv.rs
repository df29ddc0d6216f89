//! Fuzz target (layout): the csv reader on any text.
#![no_main]

libfuzzer_sys::fuzz_target!(|text: &str| {
    let _ = jixiao::ingest::layout::csv::read(text);
});
