//! Fuzz target (layout): the text-run reader, regridding what the tab-text reader makes of any text,
//! and reading the same text as lines straight away, which must rebuild the same rows.
#![no_main]

use jixiao::ingest::{form::FormLabels, layout};

libfuzzer_sys::fuzz_target!(|text: &str| {
    let from_grid = layout::stream::regrid_noting(layout::tsv::read(text), &FormLabels);
    if let Some(from_lines) = layout::stream::read_lines(text, &FormLabels) {
        assert_eq!(from_lines, from_grid);
    }
});
