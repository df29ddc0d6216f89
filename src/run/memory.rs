//! Run stage, resource accounting: the process's peak resident set, from Linux's
//! `/proc/self/status` (`VmHWM`), so every run summary says how much memory it took, and the
//! CPU time its threads have used, from `/proc/self/stat`, so it says how busy each stage kept
//! the cores.
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

/// CPU seconds (user + system) used so far by every thread of this process, ended ones
/// included. procfs counts them in USER_HZ ticks, which Linux fixes at 100 per second on every
/// architecture, whatever the kernel's own tick rate.
pub fn cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) is in parentheses and may hold spaces; fields count on
    // after its closing one: state is field 3, utime 14 and stime 15.
    let mut rest = stat.get(stat.rfind(')')? + 1..)?.split_ascii_whitespace();
    let utime: u64 = rest.nth(11)?.parse().ok()?;
    let stime: u64 = rest.next()?.parse().ok()?;
    Some((utime + stime) as f64 / 100.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cpu_time_grows_with_work_done() {
        let Some(before) = cpu_seconds() else { return };
        // Busy until the counter moves (ticks are 0.01 s); on a shared machine that takes
        // longer in wall time, so only a generous cap on the wait.
        let t = std::time::Instant::now();
        let mut now = before;
        let mut x = 0u64;
        while now - before < 0.05 && t.elapsed().as_secs() < 60 {
            for _ in 0..100_000 {
                x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(1));
            }
            now = cpu_seconds().expect("procfs was readable a moment ago");
        }
        assert!(now - before >= 0.05, "{before} -> {now}");
    }

    #[test]
    fn peak_follows_a_large_allocation() {
        let Some(before) = peak_rss_bytes() else { return };
        let big = std::hint::black_box(vec![1u8; 64 << 20]);
        let after = peak_rss_bytes().unwrap_or(0);
        assert!(after >= before && after >= 64 << 20, "{after}");
        drop(big);
    }
}
