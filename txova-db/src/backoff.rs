//! Capped exponential backoff with jitter: the one schedule behind every retry of the crate
//! (transactions after a serialization failure, connection attempts during an outage).

use std::time::Duration;

/// Waits that double from `base` up to `cap`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct Backoff {
    base: Duration,
    cap: Duration,
}

impl Backoff {
    pub(crate) const fn new(base: Duration, cap: Duration) -> Self {
        Backoff { base, cap }
    }

    /// The wait after `failures` failures in a row (1 for the first): `base` doubled for each
    /// failure after the first, at most `cap`, then a random point in its upper half ("equal
    /// jitter"), so callers that failed together do not come back together.
    pub(crate) fn delay(&self, failures: u32) -> Duration {
        let doubling = failures.saturating_sub(1).min(20);
        let full = self.base.saturating_mul(1 << doubling).min(self.cap);
        let half = full / 2;
        half + half.mul_f64(random_fraction())
    }
}

/// A number in `[0, 1]`; 1 when the OS generator fails, so a wait is never shortened by it.
fn random_fraction() -> f64 {
    let mut bytes = [0u8; 2];
    if getrandom::fill(&mut bytes).is_err() {
        return 1.0;
    }
    f64::from(u16::from_le_bytes(bytes)) / f64::from(u16::MAX)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn delays_double_up_to_the_cap_with_jitter_in_the_upper_half() {
        let b = Backoff::new(Duration::from_millis(10), Duration::from_millis(500));
        for failures in 1..40 {
            let full = (Duration::from_millis(10) * 2u32.pow((failures - 1).min(20)))
                .min(Duration::from_millis(500));
            for _ in 0..20 {
                let d = b.delay(failures);
                assert!(d >= full / 2 && d <= full, "{failures}: {d:?} for {full:?}");
            }
        }
        assert!(b.delay(0) <= Duration::from_millis(10));
        let spread: std::collections::HashSet<_> = (0..50).map(|_| b.delay(8)).collect();
        assert!(spread.len() > 5, "jitter spreads the waits: {spread:?}");
    }
}
