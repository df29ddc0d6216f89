//! Run stage, memory accounting: the process's peak resident set, from Linux's
//! `/proc/self/status` (`VmHWM`), so every run summary says how much memory it took.
//!
//! Read after each stage, it is the peak so far: stages run one after another, so the stage
//! whose figure jumps is the one that took the memory. It is never reset, so what the kernel
//! reports to a parent (`time`, schedulers) stays the whole run's peak. Elsewhere (no procfs)
//! the figures are absent, never guessed.

/// The resident-set high-water mark of this process, in bytes.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.trim_start_matches("VmHWM:").trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kb * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peak_follows_a_large_allocation() {
        let Some(before) = peak_rss_bytes() else { return };
        let big = std::hint::black_box(vec![1u8; 64 << 20]);
        let after = peak_rss_bytes().unwrap_or(0);
        assert!(after >= before && after >= 64 << 20, "{after}");
        drop(big);
    }
}
