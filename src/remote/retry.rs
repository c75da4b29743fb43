//! How a request is tried again: the retry policy, which failures are worth
//! another attempt, the backoff between attempts (backon's exponential
//! backoff with jitter), and the shared pacer that slows every request of a
//! client down once the API starts throttling.
//!
//! This module knows nothing of HTTP: `send` retries any attempt that
//! answers with an `ApiError`.

use super::error::ApiError;
use backon::{BackoffBuilder, ExponentialBuilder, Retryable};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
// Tokio's clock, so that tests can pause it.
use tokio::time::Instant;

/// How reads (and throttled writes) are retried.
#[derive(Clone, Debug)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub initial_backoff: Duration,
    pub max_backoff: Duration,
    /// No retry starts after this much time has passed since the first attempt.
    pub max_elapsed: Duration,
}

impl RetryPolicy {
    /// The default policy with `retries` retries after the first attempt.
    pub(crate) fn with_max_retries(retries: u32) -> Self {
        RetryPolicy {
            max_attempts: retries.saturating_add(1),
            ..RetryPolicy::default()
        }
    }

    /// Exponential backoff with "equal jitter": the n-th wait lies in
    /// `[b / 2, b)` for `b = initial_backoff * 2^(n-1)` capped at
    /// `max_backoff`, half fixed and half random, so that callers failing
    /// together do not come back in lockstep. (backon's jitter adds a random
    /// fraction of its delay, so its delays are half the policy's.) No limit
    /// on the number of waits; callers set one.
    fn exponential(&self) -> ExponentialBuilder {
        let half_max = self.max_backoff / 2;
        ExponentialBuilder::new()
            .with_factor(2.0)
            .with_min_delay((self.initial_backoff / 2).min(half_max))
            .with_max_delay(half_max)
            .with_jitter()
            .without_max_times()
    }

    /// The longest pause a server's `Retry-After` is granted, so that a
    /// hostile value cannot park the run: the longest backoff, and at least
    /// a second.
    fn longest_pause(&self) -> Duration {
        self.max_backoff.max(Duration::from_secs(1))
    }
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 6,
            initial_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(10),
            max_elapsed: Duration::from_secs(60),
        }
    }
}

/// 429 retries allowed per attempt the policy allows (see `send`).
const THROTTLE_BUDGET: u32 = 4;

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

/// The wait before the `attempt + 1`th attempt (`attempt` counts from 1) of
/// a caller that runs its own retry loop: the policy's exponential backoff
/// with jitter, so that many callers failing together do not come back in
/// lockstep.
pub fn backoff(policy: &RetryPolicy, attempt: u32) -> Duration {
    let index = attempt.saturating_sub(1).min(30) as usize;
    policy
        .exponential()
        .build()
        .nth(index)
        .unwrap_or(policy.max_backoff)
}

/// The pause a 429 asks for: the server's `Retry-After` when given (capped
/// by `RetryPolicy::longest_pause`), else `backoff`.
fn throttle_pause(policy: &RetryPolicy, err: &ApiError, backoff: Duration) -> Duration {
    match err {
        ApiError::Throttled {
            retry_after: Some(wait),
        } => (*wait).min(policy.longest_pause()),
        _ => backoff,
    }
}

/// Makes `attempt` until it succeeds or the policy gives up, and returns
/// its last answer. Every attempt first waits for its turn from `pacer`.
///
/// Two budgets, both counted over the whole call, and `max_elapsed` over
/// both (no retry starts whose wait would end past it):
/// - 429s: the request was not carried out and the pacer already slows
///   everything down, so they are retried up to `THROTTLE_BUDGET` times
///   `max_attempts` times. The pause (the server's `Retry-After`, or the
///   backoff) is handed to the pacer, which holds back this request and
///   every other one; nothing sleeps here.
/// - other failures `is_retryable` accepts for an `idempotent` (or not)
///   call: up to `max_attempts` attempts in all, with backoff between them.
///
/// `method` and `path` only label the debug events.
pub(crate) async fn send<T, F, Fut>(
    policy: &RetryPolicy,
    pacer: &Pacer,
    idempotent: bool,
    (method, path): (&str, &str),
    attempt: F,
    retrying: &(dyn Fn(&ApiError) + Sync),
) -> Result<T, ApiError>
where
    F: Fn() -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    let started = Instant::now();
    let in_time = |wait: &Duration| started.elapsed() + *wait <= policy.max_elapsed;

    // The pace generation the latest attempt was sent under, for the pacer.
    let generation = AtomicU64::new(0);
    let paced = || async {
        generation.store(pacer.turn().await, Ordering::Relaxed);
        let answer = attempt().await;
        if answer.is_ok() {
            pacer.succeeded();
        }
        answer
    };

    // One backoff for the 429s of the whole call, shared by the inner loops.
    let throttle_backoff = Mutex::new(
        policy
            .exponential()
            .with_max_times(policy.max_attempts.saturating_mul(THROTTLE_BUDGET) as usize)
            .build(),
    );
    let throttles = AtomicU64::new(0);
    let until_not_throttled = || {
        let waits = std::iter::from_fn(|| {
            throttle_backoff
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .next()
        });
        (&paced)
            .retry(waits)
            .when(|err| matches!(err, ApiError::Throttled { .. }))
            .adjust(|err, backoff| Some(throttle_pause(policy, err, backoff?)).filter(in_time))
            .notify(|err, pause| {
                pacer.throttled(generation.load(Ordering::Relaxed), pause);
                tracing::debug!(
                    method,
                    path,
                    throttles = throttles.fetch_add(1, Ordering::Relaxed) + 1,
                    pause_ms = pause.as_millis() as u64,
                    error = %err,
                    "retrying when the pacer allows"
                );
            })
            // The pacer makes the next attempt wait its turn.
            .sleep(|_| std::future::ready(()))
    };

    let mut failures = 0u32;
    until_not_throttled
        .retry(
            policy
                .exponential()
                .with_max_times(policy.max_attempts.max(1) as usize - 1),
        )
        .when(|err| !matches!(err, ApiError::Throttled { .. }) && is_retryable(err, idempotent))
        .adjust(|_, backoff| backoff.filter(in_time))
        .notify(|err, wait| {
            retrying(err);
            failures += 1;
            tracing::debug!(
                method,
                path,
                failures,
                wait_ms = wait.as_millis() as u64,
                error = %err,
                "retrying"
            );
        })
        .await
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
            // `now` would park a request for up to a millisecond.
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
        for _ in 0..100 {
            let first = backoff(&policy(), 1);
            assert!(first >= Duration::from_millis(50) && first <= Duration::from_millis(100));
            // backon doubles in f32 seconds: allow for its rounding.
            let second = backoff(&policy(), 2);
            assert!(second >= Duration::from_millis(99) && second <= Duration::from_millis(201));
            let late = backoff(&policy(), 10);
            assert!(late >= Duration::from_millis(150) && late <= Duration::from_millis(300));
        }
    }

    #[test]
    fn retry_after_is_honoured_up_to_a_cap() {
        let backoff = Duration::from_millis(70);
        let told = ApiError::Throttled {
            retry_after: Some(Duration::from_secs(1)),
        };
        assert_eq!(
            throttle_pause(&policy(), &told, backoff),
            Duration::from_secs(1)
        );
        // A server asking for an hour gets the policy's cap (at least 1 s).
        let greedy = ApiError::Throttled {
            retry_after: Some(Duration::from_secs(3600)),
        };
        assert_eq!(
            throttle_pause(&policy(), &greedy, backoff),
            Duration::from_secs(1)
        );
        let silent = ApiError::Throttled { retry_after: None };
        assert_eq!(throttle_pause(&policy(), &silent, backoff), backoff);
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

    fn quick(max_attempts: u32) -> RetryPolicy {
        RetryPolicy {
            max_attempts,
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(2),
            max_elapsed: Duration::from_secs(30),
        }
    }

    /// Runs `send` over answers taken in order (the last one repeats);
    /// returns the outcome and how many attempts were made.
    async fn run(
        policy: &RetryPolicy,
        idempotent: bool,
        answers: Vec<Result<(), ApiError>>,
    ) -> (Result<(), ApiError>, usize) {
        let pacer = Pacer::default();
        let made = std::sync::atomic::AtomicUsize::new(0);
        let outcome = send(
            policy,
            &pacer,
            idempotent,
            ("GET", "/x"),
            || {
                let n = made.fetch_add(1, Ordering::SeqCst);
                let answer = answers[n.min(answers.len() - 1)].clone();
                async move { answer }
            },
            &|_| {},
        )
        .await;
        (outcome, made.into_inner())
    }

    fn server_error() -> Result<(), ApiError> {
        Err(ApiError::Server {
            status: 503,
            detail: String::new(),
        })
    }

    fn throttled() -> Result<(), ApiError> {
        Err(ApiError::Throttled { retry_after: None })
    }

    #[tokio::test]
    async fn failures_are_retried_up_to_max_attempts_when_idempotent() {
        let (outcome, made) = run(&quick(3), true, vec![server_error()]).await;
        assert!(matches!(outcome, Err(ApiError::Server { .. })));
        assert_eq!(made, 3);
        let (outcome, made) = run(&quick(3), true, vec![server_error(), Ok(())]).await;
        assert!(outcome.is_ok());
        assert_eq!(made, 2);
        let (outcome, made) = run(&quick(3), false, vec![server_error()]).await;
        assert!(matches!(outcome, Err(ApiError::Server { .. })));
        assert_eq!(made, 1);
        let (_, made) = run(&quick(0), true, vec![server_error()]).await;
        assert_eq!(made, 1);
    }

    #[tokio::test]
    async fn throttles_have_their_own_budget_and_apply_to_writes() {
        // One attempt allowed: still THROTTLE_BUDGET retries of a 429.
        let (outcome, made) = run(&quick(1), false, vec![throttled()]).await;
        assert!(matches!(outcome, Err(ApiError::Throttled { .. })));
        assert_eq!(made, 1 + THROTTLE_BUDGET as usize);
        // 429s do not use up the budget of other failures, nor the reverse.
        let answers = vec![throttled(), server_error(), throttled(), server_error()];
        let (outcome, made) = run(&quick(2), true, answers).await;
        assert!(matches!(outcome, Err(ApiError::Server { .. })));
        assert_eq!(made, 4);
    }

    #[tokio::test]
    async fn no_retry_starts_past_max_elapsed() {
        let policy = RetryPolicy {
            max_elapsed: Duration::from_millis(0),
            ..quick(5)
        };
        let (_, made) = run(&policy, true, vec![server_error()]).await;
        assert_eq!(made, 1);
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
