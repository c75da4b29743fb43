//! Fault injection: the partial update accepted by `PUT /_sandbox/faults`,
//! the dice for error and ambiguous answers, and the rate limiter.

use super::Faults;
use serde::Deserialize;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// `PUT /_sandbox/faults`: a field left out keeps its current value.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FaultsPatch {
    pub latency_ms: Option<u64>,
    pub error_rate: Option<f64>,
    pub ambiguous_rate: Option<f64>,
    pub rate_limit: Option<u32>,
}

impl FaultsPatch {
    pub fn apply_to(&self, faults: &Faults) -> Result<Faults, String> {
        let mut next = faults.clone();
        if let Some(v) = self.latency_ms {
            next.latency_ms = v;
        }
        if let Some(v) = self.error_rate {
            next.error_rate = v;
        }
        if let Some(v) = self.ambiguous_rate {
            next.ambiguous_rate = v;
        }
        if let Some(v) = self.rate_limit {
            next.rate_limit = v;
        }
        validate(&next)?;
        Ok(next)
    }
}

pub fn validate(faults: &Faults) -> Result<(), String> {
    for (name, rate) in [
        ("error_rate", faults.error_rate),
        ("ambiguous_rate", faults.ambiguous_rate),
    ] {
        if !(0.0..=1.0).contains(&rate) {
            return Err(format!("{name} must be between 0 and 1, got {rate}"));
        }
    }
    Ok(())
}

/// True with probability `rate` (0 never, 1 always).
pub fn roll(rate: f64) -> bool {
    rate > 0.0 && (rate >= 1.0 || rand::random::<f64>() < rate)
}

/// Sliding one-second window: at most `limit` requests are admitted in any
/// second. Refused requests do not count.
#[derive(Default)]
pub struct RateLimiter {
    admitted: VecDeque<Instant>,
}

const WINDOW: Duration = Duration::from_secs(1);

impl RateLimiter {
    /// `Ok(())` to admit, `Err(seconds)` to refuse with that `Retry-After`.
    pub fn check(&mut self, limit: u32, now: Instant) -> Result<(), u64> {
        if limit == 0 {
            self.admitted.clear();
            return Ok(());
        }
        while self
            .admitted
            .front()
            .is_some_and(|t| now.duration_since(*t) >= WINDOW)
        {
            self.admitted.pop_front();
        }
        if self.admitted.len() < limit as usize {
            self.admitted.push_back(now);
            return Ok(());
        }
        // Retry-After is whole seconds; the window frees a slot within one.
        let frees_in = self
            .admitted
            .front()
            .map(|t| WINDOW.saturating_sub(now.duration_since(*t)))
            .unwrap_or(WINDOW);
        Err(frees_in.as_secs_f64().ceil().max(1.0) as u64)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_admits_limit_then_refuses_then_recovers() {
        let mut limiter = RateLimiter::default();
        let t0 = Instant::now();
        assert!(limiter.check(2, t0).is_ok());
        assert!(limiter.check(2, t0).is_ok());
        assert_eq!(limiter.check(2, t0), Err(1));
        assert!(limiter.check(2, t0 + Duration::from_millis(1001)).is_ok());
        assert!(limiter.check(0, t0).is_ok());
    }

    #[test]
    fn patch_keeps_omitted_fields_and_rejects_bad_rates() {
        let current = Faults {
            latency_ms: 5,
            error_rate: 0.5,
            ambiguous_rate: 0.0,
            rate_limit: 10,
        };
        let patch: FaultsPatch = serde_json::from_str(r#"{"rate_limit":0}"#).unwrap();
        let next = patch.apply_to(&current).unwrap();
        assert_eq!(next.latency_ms, 5);
        assert_eq!(next.error_rate, 0.5);
        assert_eq!(next.rate_limit, 0);
        let bad: FaultsPatch = serde_json::from_str(r#"{"error_rate":1.5}"#).unwrap();
        assert!(bad.apply_to(&current).is_err());
        assert!(!roll(0.0));
        assert!(roll(1.0));
    }
}
