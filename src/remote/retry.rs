//! When to try a request again, how long to wait first, and the shared pacer
//! that slows every request of a client down once the API starts throttling.

use super::client::RetryPolicy;
use super::error::ApiError;
use std::sync::Mutex;
use std::time::Duration;
// Tokio's clock, so that tests can pause it.
use tokio::time::Instant;

/// Whether `err` is worth another attempt. A 429 means the request was not
/// carried out, so any call may repeat it; a 5xx or a lost connection may
/// hide a write that took effect, so only idempotent calls repeat those (the
/// apply engine re-reads the page before it repeats a write).
pub(crate) fn is_retryable(err: &ApiError, idempotent: bool) -> bool {
    match err {
        ApiError::Throttled { .. } => true,
        ApiError::Server { .. } | ApiError::Transport(_) => idempotent,
        // A 2xx whose body was cut short: a read can simply be made again.
        ApiError::Decode { status, .. } => idempotent && (200..300).contains(status),
        _ => false,
    }
}

/// The wait before attempt `attempt + 1` (attempt counts from 1): the server's
/// `Retry-After` when given (capped by the policy's longest backoff, so a
/// hostile value cannot park the run), else exponential backoff with jitter
/// so that many callers throttled together do not come back in lockstep.
pub fn delay(policy: &RetryPolicy, err: &ApiError, attempt: u32) -> Duration {
    if let ApiError::Throttled {
        retry_after: Some(wait),
    } = err
    {
        return (*wait).min(policy.max_backoff.max(Duration::from_secs(1)));
    }
    backoff(policy, attempt)
}

/// Exponential backoff with "equal jitter": half fixed, half random.
pub fn backoff(policy: &RetryPolicy, attempt: u32) -> Duration {
    let exp = attempt.saturating_sub(1).min(30);
    let base = policy
        .initial_backoff
        .saturating_mul(1u32 << exp)
        .min(policy.max_backoff);
    let half = base / 2;
    half + half.mul_f64(rand::random::<f64>())
}

/// Pacing shared by every request of one client (and so by all the calls an
/// apply runs in parallel): no limit until the API answers 429, then a
/// minimum interval between request starts that doubles on every 429 and
/// shrinks a little on every success (additive increase of the rate,
/// multiplicative decrease), plus a pause for everyone until the
/// `Retry-After` a 429 asked for. A large apply thus slows down to what the
/// API accepts instead of burning its retries.
#[derive(Debug, Default)]
pub(crate) struct Pacer {
    state: Mutex<PacerState>,
}

#[derive(Debug, Default)]
struct PacerState {
    /// Minimum time between two request starts; `None` while unthrottled.
    interval: Option<Duration>,
    /// When the next request may start.
    next_start: Option<Instant>,
    /// Bumped on every cut of the pace. A 429 to a request whose turn was
    /// given before the last cut was sent at the old pace and does not cut
    /// again: one burst of parallel requests refused together is one
    /// signal, not ten.
    generation: u64,
}

/// The interval a first 429 sets: 20 requests a second, under the
/// documented 30/s default of the External Accounts API.
const FIRST_INTERVAL: Duration = Duration::from_millis(50);
/// The slowest pace: one request every two seconds.
const LONGEST_INTERVAL: Duration = Duration::from_secs(2);
/// Below this the pacer switches itself off again.
const SHORTEST_INTERVAL: Duration = Duration::from_millis(2);

impl Pacer {
    /// Waits for this request's turn; returns the pace generation it was
    /// given under, for `throttled`. A turn given before a cut is given
    /// again, so requests already waiting also honour the new pause.
    pub(crate) async fn turn(&self) -> u64 {
        loop {
            let (start, generation) = {
                let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
                let now = Instant::now();
                let start = state.next_start.map_or(now, |t| t.max(now));
                if let Some(interval) = state.interval {
                    state.next_start = Some(start + interval);
                }
                (start, state.generation)
            };
            // Only an actual wait goes through the timer: tokio rounds a
            // deadline up to its next millisecond tick, so even a deadline of
            // `now` parked every request for up to a millisecond.
            if start > Instant::now() {
                tokio::time::sleep_until(start).await;
            }
            let current = self
                .state
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .generation;
            if current == generation {
                return generation;
            }
        }
    }

    /// A 429 arrived for a request sent under `generation`: halve the rate
    /// (once per generation), and hold everyone back for `pause`.
    pub(crate) fn throttled(&self, generation: u64, pause: Duration) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let now = Instant::now();
        if generation == state.generation || state.interval.is_none() {
            state.generation += 1;
            state.interval = Some(
                state
                    .interval
                    .map_or(FIRST_INTERVAL, |i| (i * 2).min(LONGEST_INTERVAL)),
            );
        }
        let interval = state.interval.unwrap_or(FIRST_INTERVAL);
        let resume = now + pause;
        state.next_start = Some(state.next_start.map_or(resume, |t| t.max(resume)));
        tracing::debug!(
            interval_ms = interval.as_millis() as u64,
            pause_ms = pause.as_millis() as u64,
            "throttled: slowing down"
        );
    }

    /// A request got through: speed up by one request a second.
    pub(crate) fn succeeded(&self) {
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(interval) = state.interval {
            let rate = 1.0 / interval.as_secs_f64() + 1.0;
            let next = Duration::from_secs_f64(1.0 / rate);
            state.interval = (next >= SHORTEST_INTERVAL).then_some(next);
        }
    }

    #[cfg(test)]
    fn interval(&self) -> Option<Duration> {
        self.state.lock().unwrap().interval
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn policy() -> RetryPolicy {
        RetryPolicy {
            max_attempts: 5,
            initial_backoff: Duration::from_millis(100),
            max_backoff: Duration::from_millis(300),
            max_elapsed: Duration::from_secs(5),
        }
    }

    #[test]
    fn writes_repeat_only_throttled_requests() {
        let server = ApiError::Server {
            status: 503,
            detail: String::new(),
        };
        let throttled = ApiError::Throttled { retry_after: None };
        let cut = ApiError::Decode {
            status: 200,
            detail: String::new(),
        };
        assert!(is_retryable(&server, true));
        assert!(!is_retryable(&server, false));
        assert!(is_retryable(&throttled, false));
        assert!(is_retryable(&cut, true));
        assert!(!is_retryable(&cut, false));
        assert!(!is_retryable(
            &ApiError::NotFound {
                detail: String::new()
            },
            true
        ));
    }

    #[test]
    fn backoff_grows_and_is_capped() {
        let err = ApiError::Transport(String::new());
        let first = delay(&policy(), &err, 1);
        assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
        let late = delay(&policy(), &err, 10);
        assert!(late >= Duration::from_millis(150) && late <= Duration::from_millis(300));
        let told = ApiError::Throttled {
            retry_after: Some(Duration::from_secs(1)),
        };
        assert_eq!(delay(&policy(), &told, 1), Duration::from_secs(1));
        // A server asking for an hour gets the policy's cap (at least 1 s).
        let greedy = ApiError::Throttled {
            retry_after: Some(Duration::from_secs(3600)),
        };
        assert_eq!(delay(&policy(), &greedy, 1), Duration::from_secs(1));
    }

    #[test]
    fn pacer_slows_down_on_429_and_recovers_on_success() {
        let pacer = Pacer::default();
        assert_eq!(pacer.interval(), None);
        pacer.throttled(0, Duration::ZERO);
        assert_eq!(pacer.interval(), Some(FIRST_INTERVAL));
        // Another answer to a request sent under the old pace: same burst.
        pacer.throttled(0, Duration::ZERO);
        assert_eq!(pacer.interval(), Some(FIRST_INTERVAL));
        pacer.throttled(1, Duration::ZERO);
        assert_eq!(pacer.interval(), Some(FIRST_INTERVAL * 2));
        for generation in 2..30 {
            pacer.throttled(generation, Duration::ZERO);
        }
        assert_eq!(pacer.interval(), Some(LONGEST_INTERVAL));
        pacer.succeeded();
        let after_one = pacer.interval().unwrap();
        assert!(after_one < LONGEST_INTERVAL, "{after_one:?}");
        // Enough successes switch it off entirely.
        for _ in 0..1000 {
            pacer.succeeded();
        }
        assert_eq!(pacer.interval(), None);
    }

    // Lower bounds only: a sleep never ends early, so these cannot flake.
    #[tokio::test]
    async fn paced_requests_wait_for_the_pause_and_then_an_interval() {
        let pacer = Pacer::default();
        let t0 = Instant::now();
        pacer.throttled(0, Duration::from_millis(100));
        let generation = pacer.turn().await;
        assert_eq!(generation, 1);
        assert!(t0.elapsed() >= Duration::from_millis(100));
        pacer.turn().await;
        assert!(t0.elapsed() >= Duration::from_millis(100) + FIRST_INTERVAL);
    }
}
