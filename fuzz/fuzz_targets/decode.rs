//! Fuzz target (decode): any bytes decode to text or a typed rejection, never a panic.
#![no_main]

libfuzzer_sys::fuzz_target!(|bytes: &[u8]| {
    let _ = jixiao::ingest::decode::decode(bytes);
});
