//! Paces connection attempts during an outage.
//!
//! After a failed connect, the pool waits a capped exponential backoff with jitter before the
//! next attempt; meanwhile every acquire that would have to connect fails at once with the
//! last connect error, instead of trying (and failing) on its own. When the wait is over one
//! acquire, the probe, tries; its success reopens the gate for everyone. The background
//! refill goes through the same gate, so a pool makes one attempt per backoff step however
//! many callers it has.

use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tokio::time::Instant;

use crate::backoff::Backoff;
use crate::error::{Error, Result};

/// From 25 ms, doubling, at most 500 ms between attempts: an outage costs a server a few
/// attempts a second per pool, and a server that returns is found within half a second.
pub(crate) const CONNECT_BACKOFF: Backoff =
    Backoff::new(Duration::from_millis(25), Duration::from_millis(500));

pub(crate) struct Gate {
    // Read on every acquire; the mutex is taken only while connects fail.
    failing: AtomicBool,
    state: Mutex<State>,
    backoff: Backoff,
}

struct State {
    failures: u32,
    retry_at: Instant,
    probing: bool,
    last: Option<Error>,
}

impl Gate {
    pub(crate) fn new(backoff: Backoff) -> Self {
        Gate {
            failing: AtomicBool::new(false),
            state: Mutex::new(State {
                failures: 0,
                retry_at: Instant::now(),
                probing: false,
                last: None,
            }),
            backoff,
        }
    }

    fn state(&self) -> std::sync::MutexGuard<'_, State> {
        // The state stays consistent whatever panicked while holding it.
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Lets an acquire through, or fails it fast with the last connect error while the
    /// backoff runs. `idle` says whether the pool has an idle connection to hand out, which
    /// needs no connect.
    pub(crate) fn enter(&self, idle: impl FnOnce() -> bool) -> Result<Pass<'_>> {
        if !self.failing.load(Ordering::Acquire) {
            return Ok(Pass {
                gate: self,
                probe: false,
            });
        }
        let mut s = self.state();
        if s.failures == 0 {
            return Ok(Pass {
                gate: self,
                probe: false,
            });
        }
        if !s.probing && Instant::now() >= s.retry_at {
            s.probing = true;
            return Ok(Pass {
                gate: self,
                probe: true,
            });
        }
        drop(s);
        if idle() {
            return Ok(Pass {
                gate: self,
                probe: false,
            });
        }
        let s = self.state();
        Err(match &s.last {
            Some(last) => last.echo(),
            None => Error::new(crate::ErrorKind::Connection, "could not connect"),
        })
    }
}

/// One acquire let through the gate; it reports how its connect went.
pub(crate) struct Pass<'a> {
    gate: &'a Gate,
    probe: bool,
}

impl Pass<'_> {
    /// The acquire got a connection: if it was the probe, the outage is over.
    pub(crate) fn succeeded(mut self) {
        if self.probe {
            self.probe = false;
            let mut s = self.gate.state();
            s.failures = 0;
            s.probing = false;
            s.last = None;
            self.gate.failing.store(false, Ordering::Release);
        }
    }

    /// The acquire failed to connect with `err`: wait longer before the next attempt.
    pub(crate) fn failed(mut self, err: &Error) {
        let mut s = self.gate.state();
        // Attempts that were already under way when the first failed are one step, not many.
        if self.probe || s.failures == 0 {
            s.failures = s.failures.saturating_add(1);
            s.retry_at = Instant::now() + self.gate.backoff.delay(s.failures);
        }
        s.last = Some(err.echo());
        if self.probe {
            s.probing = false;
            self.probe = false;
        }
        self.gate.failing.store(true, Ordering::Release);
    }
}

impl Drop for Pass<'_> {
    fn drop(&mut self) {
        // A probe abandoned by its caller leaves the next one to try.
        if self.probe {
            self.gate.state().probing = false;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorKind;

    fn refused() -> Error {
        Error::new(
            ErrorKind::Connection,
            "could not connect: connection refused",
        )
    }

    #[test]
    fn after_a_failure_callers_fail_fast_with_it_unless_an_idle_connection_waits() {
        let gate = Gate::new(Backoff::new(
            Duration::from_secs(3600),
            Duration::from_secs(3600),
        ));
        gate.enter(|| false).unwrap().failed(&refused());
        let err = gate.enter(|| false).err().unwrap();
        assert_eq!(err.kind(), ErrorKind::Connection);
        assert_eq!(err.to_string(), "could not connect: connection refused");
        assert!(
            gate.enter(|| true).is_ok(),
            "an idle connection needs no connect"
        );
    }

    #[test]
    fn one_probe_at_a_time_and_its_success_reopens_the_gate() {
        let gate = Gate::new(Backoff::new(Duration::ZERO, Duration::ZERO));
        gate.enter(|| false).unwrap().failed(&refused());
        let probe = gate.enter(|| false).unwrap();
        assert!(probe.probe);
        assert!(gate.enter(|| false).is_err(), "a second probe waits");
        drop(probe);
        let probe = gate.enter(|| false).unwrap();
        assert!(probe.probe, "an abandoned probe leaves the next one to try");
        probe.succeeded();
        let pass = gate.enter(|| false).unwrap();
        assert!(!pass.probe);
        assert!(!gate.failing.load(Ordering::Acquire));
    }
}
