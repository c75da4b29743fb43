//! The client-side rate limit: every request of a client to one API (all
//! the calls an apply runs in parallel, refresh reads, retries) takes its
//! turn from one limiter, a GCRA (governor's) at the rate the API allows.
//!
//! The rate adapts when the API disagrees:
//! - a 429 cuts it (multiplicative decrease), at most once a second (the
//!   API counts requests over a second, so the 429s that follow a cut within
//!   one are the same excess draining, not a new signal): the new rate
//!   is what the API just accepted (requests that succeeded in the last
//!   second), a little under, and never less than half nor more than 90%
//!   of the rate that was refused. A limit lower than configured (a key
//!   shared with another tool) is so found within a second or two.
//! - every second without a 429, it climbs back by a twentieth of the
//!   configured rate (additive increase), never past the configured rate.
//!
//! A `Retry-After` is the refused request's own business (`retry::send`
//! retries it no earlier): the others go on at the cut rate, so one 429 does
//! not stop a whole apply for a second.
//!
//! A rate of 0 (or none configured against the embedded sandbox) means no
//! limit until the first 429; from then on the limiter runs as above, with
//! no ceiling to climb back to but the point where it switches itself off.
//!
//! Invariant: while a rate is in force, request starts are at least
//! `1 / rate` apart (see `gcra`).

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultDirectRateLimiter, Quota};
use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// The documented default throughput of the External Accounts API per key.
pub const ACCOUNTS_REQUESTS_PER_SECOND: f64 = 30.0;
/// The documented throughput of the Application API.
pub const APPLICATIONS_REQUESTS_PER_SECOND: f64 = 170.0;

/// Requests start at this share of the rate in force. Started exactly at
/// the API's limit, arrivals that the network bunches by a millisecond put
/// one request too many into a second now and then, and each such 429
/// costs a cut; 1% slower leaves each second 10 ms of room.
const HEADROOM: f64 = 0.99;
/// The slowest a 429 can make the client: one request every two seconds.
const SLOWEST: f64 = 0.5;
/// How far under what the API accepted a cut goes, so that the next second
/// is not refused again at the margin.
const UNDER_ACCEPTED: f64 = 0.95;
/// How often the rate climbs back, and by what share of the configured rate.
const CLIMB_EVERY: Duration = Duration::from_secs(1);
const CLIMB_SHARE: f64 = 0.05;
/// The window over which what the API accepted is counted.
const WINDOW: Duration = Duration::from_secs(1);
/// How long before its instant the first waiter wakes, to poll the rest.
const EARLY_WAKE: Duration = Duration::from_millis(2);
/// Without a configured rate, a limit that climbs past this switches off.
const UNLIMITED_ABOVE: f64 = 5000.0;

pub(crate) struct RateLimiter {
    /// Which API, for the log.
    name: &'static str,
    /// Requests waiting for their turn, in order (see `turn`).
    queue: tokio::sync::Mutex<()>,
    /// `None`: no limit until the API answers 429.
    configured: Option<f64>,
    state: Mutex<State>,
}

struct State {
    /// `None` while unlimited.
    rate: Option<f64>,
    gcra: Option<Arc<DefaultDirectRateLimiter>>,
    /// The last cut, if any.
    cut: Option<Instant>,
    /// Starts of the requests that succeeded in the last `WINDOW`.
    accepted: VecDeque<Instant>,
    /// When the rate last changed (a cut or a climb).
    changed: Instant,
}

/// A GCRA that starts requests `1 / (rate × HEADROOM)` apart, with a burst
/// of one.
///
/// A burst of two at `rate - 1` (which would catch up a late wake-up and
/// still fit `rate` into a second) drew far more 429s from the sandbox's
/// window in `cargo bench --bench e2e -- --at-limit` (2.4% of the requests
/// against 0.05 to 0.2%: arrivals bunch on the way) and a slower apply in
/// the end; the figures are in benches/RESULTS.md.
fn gcra(rate: f64) -> Arc<DefaultDirectRateLimiter> {
    let period = Duration::from_secs_f64(1.0 / (rate.max(SLOWEST) * HEADROOM));
    let quota = Quota::with_period(period).unwrap_or_else(|| Quota::per_second(nonzero(1)));
    Arc::new(DefaultDirectRateLimiter::direct(quota))
}

fn nonzero(n: u32) -> std::num::NonZeroU32 {
    std::num::NonZeroU32::new(n.max(1)).unwrap_or(std::num::NonZeroU32::MIN)
}

impl RateLimiter {
    /// A limiter at `requests_per_second` (at least one request every two
    /// seconds); 0 (or a value that is not a number) for none.
    pub(crate) fn new(name: &'static str, requests_per_second: f64) -> RateLimiter {
        let configured = (requests_per_second.is_finite() && requests_per_second > 0.0)
            .then(|| requests_per_second.max(SLOWEST));
        RateLimiter {
            name,
            queue: tokio::sync::Mutex::new(()),
            configured,
            state: Mutex::new(State {
                rate: configured,
                gcra: configured.map(gcra),
                cut: None,
                accepted: VecDeque::new(),
                changed: Instant::now(),
            }),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The rate in force now; `None` while unlimited.
    pub(crate) fn rate(&self) -> Option<f64> {
        self.lock().rate
    }

    /// Waits for this request's turn; returns when it started (for
    /// `succeeded`).
    ///
    /// Waiters queue (`queue`, FIFO) and only the first waits on the GCRA.
    /// It sleeps to just before its instant, then yields until the instant
    /// comes: tokio's timer wakes a sleep up to a millisecond late, and a
    /// GCRA with a burst of one loses every lateness (sleeping the whole
    /// wait, 61 turns at 30/s took 2.07 s instead of 2.00 s). One task
    /// polls, for at most `EARLY_WAKE` per request.
    pub(crate) async fn turn(&self) -> Instant {
        if self.lock().gcra.is_none() {
            return Instant::now();
        }
        let _first = self.queue.lock().await;
        loop {
            let gcra = self.lock().gcra.clone();
            let Some(gcra) = gcra else {
                return Instant::now();
            };
            match gcra.check() {
                Ok(()) => return Instant::now(),
                Err(not_until) => {
                    let wait = not_until.wait_time_from(DefaultClock::default().now());
                    if wait > EARLY_WAKE {
                        tokio::time::sleep(wait - EARLY_WAKE).await;
                    } else {
                        tokio::task::yield_now().await;
                    }
                }
            }
        }
    }

    /// A request that started at `started` succeeded.
    pub(crate) fn succeeded(&self, started: Instant) {
        let mut state = self.lock();
        let now = Instant::now();
        state.accepted.push_back(started);
        while state
            .accepted
            .front()
            .is_some_and(|t| now.duration_since(*t) > WINDOW)
        {
            state.accepted.pop_front();
        }
        let Some(rate) = state.rate else {
            return;
        };
        if now.duration_since(state.changed) < CLIMB_EVERY {
            return;
        }
        match self.configured {
            Some(ceiling) if rate < ceiling => {
                let rate = (rate + ceiling * CLIMB_SHARE).min(ceiling);
                self.set_rate(&mut state, Some(rate), now, "no 429 for a second");
            }
            Some(_) => {}
            None => {
                let climbed = rate * (1.0 + CLIMB_SHARE);
                let next = (climbed <= UNLIMITED_ABOVE).then_some(climbed);
                self.set_rate(&mut state, next, now, "no 429 for a second");
            }
        }
    }

    /// A 429 came back.
    pub(crate) fn throttled(&self) {
        let mut state = self.lock();
        let now = Instant::now();
        if state.cut.is_some_and(|at| now.duration_since(at) < WINDOW) {
            return;
        }
        state.cut = Some(now);
        let accepted = state
            .accepted
            .iter()
            .filter(|t| now.duration_since(**t) <= WINDOW)
            .count() as f64;
        let rate = match state.rate {
            Some(refused) => (accepted * UNDER_ACCEPTED).clamp(refused * 0.5, refused * 0.9),
            // Unlimited until now: what the API accepted is all there is to go by.
            None => accepted * UNDER_ACCEPTED,
        };
        self.set_rate(&mut state, Some(rate), now, "the API answered 429");
    }

    fn set_rate(&self, state: &mut State, rate: Option<f64>, now: Instant, why: &str) {
        let rate = rate.map(|r| r.max(SLOWEST));
        let shown = |r: Option<f64>| r.map_or("unlimited".to_string(), |r| format!("{r:.1}/s"));
        tracing::debug!(
            api = self.name,
            from = shown(state.rate),
            to = shown(rate),
            configured = shown(self.configured),
            "rate limit: {why}"
        );
        state.rate = rate;
        state.gcra = rate.map(gcra);
        state.changed = now;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_429_cuts_to_what_was_accepted_and_successes_climb_back() {
        let limiter = RateLimiter::new("test", 30.0);
        assert_eq!(limiter.rate(), Some(30.0));
        // 20 accepted in the last second, then a 429: 95% of 20.
        let now = Instant::now();
        for _ in 0..20 {
            limiter.lock().accepted.push_back(now);
        }
        limiter.throttled();
        assert!(
            (limiter.rate().unwrap() - 19.0).abs() < 1e-9,
            "{:?}",
            limiter.rate()
        );
        // The 429s of the same second do not cut again.
        limiter.throttled();
        assert!((limiter.rate().unwrap() - 19.0).abs() < 1e-9);
        // A second later, with nothing accepted: half of the refused rate.
        limiter.lock().accepted.clear();
        limiter.lock().cut = Some(Instant::now() - WINDOW);
        limiter.throttled();
        assert!(
            (limiter.rate().unwrap() - 9.5).abs() < 1e-9,
            "{:?}",
            limiter.rate()
        );
        // A second later, a success climbs by 5% of 30.
        limiter.lock().changed = Instant::now() - CLIMB_EVERY;
        limiter.succeeded(Instant::now());
        assert!(
            (limiter.rate().unwrap() - 11.0).abs() < 1e-9,
            "{:?}",
            limiter.rate()
        );
        // Never past the configured rate.
        for _ in 0..100 {
            limiter.lock().changed = Instant::now() - CLIMB_EVERY;
            limiter.succeeded(Instant::now());
        }
        assert_eq!(limiter.rate(), Some(30.0));
    }

    #[test]
    fn without_a_rate_the_first_429_sets_one_and_climbing_switches_it_off() {
        let limiter = RateLimiter::new("test", 0.0);
        assert_eq!(limiter.rate(), None);
        let now = Instant::now();
        for _ in 0..40 {
            limiter.lock().accepted.push_back(now);
        }
        limiter.throttled();
        assert!(
            (limiter.rate().unwrap() - 38.0).abs() < 1e-9,
            "{:?}",
            limiter.rate()
        );
        for _ in 0..1000 {
            limiter.lock().changed = Instant::now() - CLIMB_EVERY;
            limiter.succeeded(Instant::now());
        }
        assert_eq!(limiter.rate(), None);
    }

    #[test]
    fn a_cut_never_keeps_more_than_ninety_percent() {
        let limiter = RateLimiter::new("test", 10.0);
        let now = Instant::now();
        for _ in 0..50 {
            limiter.lock().accepted.push_back(now);
        }
        limiter.throttled();
        assert!(
            (limiter.rate().unwrap() - 9.0).abs() < 1e-9,
            "{:?}",
            limiter.rate()
        );
        for _ in 1..100 {
            limiter.lock().accepted.clear();
            limiter.lock().cut = Some(Instant::now() - WINDOW);
            limiter.throttled();
        }
        assert_eq!(limiter.rate(), Some(SLOWEST));
    }

    // Lower bounds only: a sleep never ends early, so these cannot flake.
    #[tokio::test]
    async fn turns_are_spaced_by_the_rate() {
        let limiter = RateLimiter::new("test", 20.0);
        let mut starts = Vec::new();
        for _ in 0..11 {
            starts.push(limiter.turn().await);
        }
        // One every 1/20 s: the 11th at least 10 intervals after the first.
        let spread = starts[10].duration_since(starts[0]);
        assert!(spread >= Duration::from_millis(495), "{spread:?}");
    }
}
