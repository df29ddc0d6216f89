//! Stage ingest (all of it): the per-file time limit, checked inside the stages' loops.
//!
//! [`process`](crate::ingest::process::process) arms a deadline for the file its worker
//! thread is on; decode, the layout readers, the form walker and the scorer call [`tick`] in
//! their loops and stop early once it returns true, so a hostile file costs at most about
//! `max_file_seconds` instead of stalling the run. The file is then rejected `too_slow`.
//!
//! Thread-local on purpose: each rayon worker processes one file at a time, and the stages
//! need no extra parameter threaded through code that other work changes.

use std::cell::Cell;
use std::time::{Duration, Instant};

/// Clock reads are cheap but not free: [`tick`] looks at the clock once per this many calls.
const TICKS_PER_CHECK: u32 = 256;

#[derive(Clone, Copy)]
struct State {
    at: Option<Instant>,
    expired: bool,
    ticks: u32,
}

thread_local! {
    static STATE: Cell<State> = const { Cell::new(State { at: None, expired: false, ticks: 0 }) };
}

/// The deadline of the current thread's file; cleared when dropped, so a panic or an early
/// return cannot leave it armed for the next file.
#[must_use = "the deadline is cleared when the guard is dropped"]
pub struct Guard(());

/// Arms a deadline `limit` from now for work on this thread.
pub fn arm(limit: Duration) -> Guard {
    let at = Instant::now().checked_add(limit);
    STATE.with(|s| s.set(State { at, expired: false, ticks: 0 }));
    Guard(())
}

impl Drop for Guard {
    fn drop(&mut self) {
        STATE.with(|s| s.set(State { at: None, expired: false, ticks: 0 }));
    }
}

/// Counts one loop iteration; true once the deadline has passed (and from then on, so every
/// stage after the one that noticed returns early too). Without an armed deadline (tests,
/// tools calling a reader directly) always false.
#[inline]
pub fn tick() -> bool {
    STATE.with(|s| {
        let mut st = s.get();
        if st.expired {
            return true;
        }
        st.ticks += 1;
        if st.ticks >= TICKS_PER_CHECK {
            st.ticks = 0;
            st.expired = st.at.is_some_and(|at| Instant::now() >= at);
        }
        s.set(st);
        st.expired
    })
}

/// Checks the clock now (for loops whose iterations are each expensive, and between stages).
pub fn passed() -> bool {
    STATE.with(|s| {
        let mut st = s.get();
        if !st.expired {
            st.expired = st.at.is_some_and(|at| Instant::now() >= at);
            s.set(st);
        }
        st.expired
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unarmed_never_passes() {
        assert!((0..10_000).all(|_| !tick()));
        assert!(!passed());
    }

    #[test]
    fn armed_passes_after_the_limit_and_stays_passed_until_dropped() {
        let guard = arm(Duration::from_millis(20));
        assert!(!passed());
        std::thread::sleep(Duration::from_millis(30));
        assert!((0..TICKS_PER_CHECK).any(|_| tick()));
        assert!(tick());
        assert!(passed());
        drop(guard);
        assert!(!passed());
        assert!(!tick());
    }
}
