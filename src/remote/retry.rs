//! How a request is tried again: the retry policy, which failures are worth
//! another attempt, and the backoff between attempts (backon's exponential
//! backoff with jitter). Every attempt first takes its turn from the API's
//! rate limiter (`limiter.rs`), which a 429 slows down.
//!
//! This module knows nothing of HTTP: `send` retries any attempt that
//! answers with an `ApiError`.

use super::error::ApiError;
use super::limiter::RateLimiter;
use backon::{BackoffBuilder, ExponentialBuilder, Retryable};
use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

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
/// its last answer. Every attempt first waits for its turn from `limiter`.
///
/// Two budgets, both counted over the whole call, and `max_elapsed` over
/// both (no retry starts whose wait would end past it):
/// - 429s: the request was not carried out and the limiter already slows
///   everything down, so they are retried up to `THROTTLE_BUDGET` times
///   `max_attempts` times, each after the server's `Retry-After` (or the
///   backoff). Only this request waits: the others go on at the rate the
///   429 cut.
/// - other failures `is_retryable` accepts for an `idempotent` (or not)
///   call: up to `max_attempts` attempts in all, with backoff between them.
///
/// `method` and `path` only label the debug events.
pub(crate) async fn send<T, F, Fut>(
    policy: &RetryPolicy,
    limiter: &RateLimiter,
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

    let paced = || async {
        let started = limiter.turn().await;
        let answer = attempt().await;
        if answer.is_ok() {
            limiter.succeeded(started);
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
                limiter.throttled();
                tracing::debug!(
                    method,
                    path,
                    throttles = throttles.fetch_add(1, Ordering::Relaxed) + 1,
                    pause_ms = pause.as_millis() as u64,
                    error = %err,
                    "retrying after the pause"
                );
            })
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
        let limiter = RateLimiter::new("test", 1000.0);
        let made = std::sync::atomic::AtomicUsize::new(0);
        let outcome = send(
            policy,
            &limiter,
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
}
