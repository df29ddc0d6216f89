//! Fuzz target (layout): the text-run reader, regridding what the tab-text reader makes of any text.
#![no_main]

use jixiao::ingest::{form::FormLabels, layout};

libfuzzer_sys::fuzz_target!(|text: &str| {
    let _ = layout::stream::regrid(layout::tsv::read(text), &FormLabels);
});
