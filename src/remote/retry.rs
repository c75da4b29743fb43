//! When to try a request again, and how long to wait first.

use super::client::RetryPolicy;
use super::error::ApiError;
use std::time::Duration;

/// Whether `err` is worth another attempt. A 429 means the request was not
/// carried out, so any call may repeat it; a 5xx or a lost connection may
/// hide a write that took effect, so only idempotent calls repeat those (the
/// caller re-reads before retrying a write).
pub(crate) fn is_retryable(err: &ApiError, idempotent: bool) -> bool {
    match err {
        ApiError::Throttled { .. } => true,
        ApiError::Server { .. } | ApiError::Transport(_) => idempotent,
        _ => false,
    }
}

/// The wait before attempt `attempt + 1` (attempt counts from 1): the server's
/// `Retry-After` when given, else exponential backoff with jitter so that many
/// clients throttled together do not come back in lockstep.
pub(crate) fn delay(policy: &RetryPolicy, err: &ApiError, attempt: u32) -> Duration {
    if let ApiError::Throttled {
        retry_after: Some(wait),
    } = err
    {
        return *wait;
    }
    let exp = attempt.saturating_sub(1).min(30);
    let base = policy
        .initial_backoff
        .saturating_mul(1u32 << exp)
        .min(policy.max_backoff);
    // "Equal jitter": half fixed, half random.
    let half = base / 2;
    half + half.mul_f64(rand::random::<f64>())
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
        assert!(is_retryable(&server, true));
        assert!(!is_retryable(&server, false));
        assert!(is_retryable(&throttled, false));
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
            retry_after: Some(Duration::from_secs(2)),
        };
        assert_eq!(delay(&policy(), &told, 1), Duration::from_secs(2));
    }
}
