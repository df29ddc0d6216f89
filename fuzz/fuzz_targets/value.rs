//! Fuzz target (value): the value reader on any value, level-3 name, level-2 label and unit cell.
#![no_main]

libfuzzer_sys::fuzz_target!(|text: &str| {
    // Fields separated by tabs, as a row of the tab-text layout would give them.
    let mut f = text.splitn(4, '\t');
    let (value, level3, level2) = (f.next().unwrap_or(""), f.next().unwrap_or(""), f.next().unwrap_or(""));
    let _ = jixiao::ingest::value::read_value(value, level3, level2, f.next());
});
