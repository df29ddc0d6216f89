//! Fuzz target (form): the form walker on the grid the sniffed layout reader makes of any text.
#![no_main]

use jixiao::ingest::{form, layout};

libfuzzer_sys::fuzz_target!(|text: &str| {
    let laid = layout::read(layout::sniff::sniff(text), text, &form::FormLabels);
    let _ = form::read(&laid.grid);
});
