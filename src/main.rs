//! The `jixiao` command: parses arguments and hands over to the library (see `cli/`).

mod cli;

// Allocation-heavy parsing (a cell, a key, a row at a time) on several threads: jemalloc keeps
// per-thread caches and returns freed pages, where glibc's arenas grew and slowed (docs/benchmarks.md).
#[cfg(all(feature = "jemalloc", not(windows)))]
#[global_allocator]
static ALLOC: tikv_jemallocator::Jemalloc = tikv_jemallocator::Jemalloc;

fn main() -> std::process::ExitCode {
    cli::main()
}
