//! Run stage, memory accounting: the process's peak resident set per stage, from Linux's
//! `/proc/self/status` (`VmHWM`), so every run summary says how much memory it took.
//!
//! The peak is reset before each stage (`/proc/self/clear_refs` with `5`), which makes each
//! stage's figure its own. Elsewhere (no procfs) the figures are absent, never guessed.

/// The resident-set high-water mark since the last reset, in bytes.
pub fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kb: u64 = line.trim_start_matches("VmHWM:").trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kb * 1024)
}

/// Starts a new high-water mark at the current resident set.
pub fn reset_peak() {
    // Unsupported kernels refuse the write; the peak then spans the run so far, still a bound.
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn peak_follows_a_large_allocation() {
        let Some(before) = peak_rss_bytes() else { return };
        let big = vec![1u8; 64 << 20];
        let after = peak_rss_bytes().unwrap_or(0);
        assert!(after >= before && after >= 64 << 20, "{after}");
        drop(big);
    }
}
