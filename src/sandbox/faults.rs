//! Fault injection: the partial update accepted by `PUT /_sandbox/faults`,
//! the seeded dice for error and ambiguous answers, and the rate limiter.

use super::{Faults, RetryAfter};
use rand::rngs::StdRng;
use rand::{RngExt, SeedableRng};
use serde::Deserialize;
use std::collections::VecDeque;
use std::time::{Duration, Instant};

/// `PUT /_sandbox/faults`: a field left out keeps its current value.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct FaultsPatch {
    pub(crate) latency_ms: Option<u64>,
    pub(crate) error_rate: Option<f64>,
    pub(crate) ambiguous_rate: Option<f64>,
    pub(crate) rate_limit: Option<u32>,
    /// Present (a number, `null` or `"window"`) or left out: `null` must
    /// not read as "left out", hence `present`.
    #[serde(default, deserialize_with = "present")]
    pub(crate) retry_after: Option<RetryAfter>,
    /// Restarts the dice from this seed.
    pub(crate) seed: Option<u64>,
}

impl FaultsPatch {
    pub(crate) fn apply_to(&self, faults: &Faults) -> Result<Faults, String> {
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
        if let Some(v) = self.retry_after {
            next.retry_after = v;
        }
        if let Some(v) = self.seed {
            next.seed = Some(v);
        }
        validate(&next)?;
        Ok(next)
    }
}

fn present<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<RetryAfter>, D::Error> {
    RetryAfter::deserialize(d).map(Some)
}

pub(crate) fn validate(faults: &Faults) -> Result<(), String> {
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

/// The dice behind `error_rate` and `ambiguous_rate`: a PRNG seeded from
/// `Faults::seed`, so the faults are a function of the seed and of the order
/// in which mutating requests reach the dice. Replaying a seed replays the
/// fault sequence by arrival order; concurrent callers may arrive in another
/// order, so which call meets which fault can still differ.
pub(crate) struct Dice {
    seed: u64,
    rng: StdRng,
}

/// What the dice decided for one mutating request.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(crate) struct Fate {
    /// Answer 503 without doing anything.
    pub(crate) refuse: bool,
    /// Do the work, then answer 500.
    pub(crate) ambiguous: bool,
}

impl Dice {
    /// `None` draws a seed from the system's entropy (and reports it through
    /// `seed`, so that run can be replayed too).
    pub(crate) fn new(seed: Option<u64>) -> Dice {
        let seed = seed.unwrap_or_else(rand::random);
        Dice {
            seed,
            rng: StdRng::seed_from_u64(seed),
        }
    }

    pub(crate) fn seed(&self) -> u64 {
        self.seed
    }

    /// Both decisions for one request at once, so that each request takes
    /// its draws together even when requests arrive concurrently. A rate of
    /// 0 or 1 draws nothing.
    pub(crate) fn fate(&mut self, faults: &Faults) -> Fate {
        let refuse = self.roll(faults.error_rate);
        let ambiguous = !refuse && self.roll(faults.ambiguous_rate);
        Fate { refuse, ambiguous }
    }

    /// True with probability `rate` (0 never, 1 always).
    fn roll(&mut self, rate: f64) -> bool {
        rate > 0.0 && (rate >= 1.0 || self.rng.random::<f64>() < rate)
    }
}

/// Sliding one-second window: at most `limit` requests are admitted in any
/// second. Refused requests do not count.
#[derive(Default)]
pub(crate) struct RateLimiter {
    admitted: VecDeque<Instant>,
}

const WINDOW: Duration = Duration::from_secs(1);

impl RateLimiter {
    /// `Ok(())` to admit, `Err(seconds)` to refuse with that `Retry-After`
    /// (`None`: send none).
    pub(crate) fn check(
        &mut self,
        limit: u32,
        retry_after: RetryAfter,
        now: Instant,
    ) -> Result<(), Option<u64>> {
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
        match retry_after {
            // Whole seconds; the window frees a slot within one.
            RetryAfter::Window => {
                let frees_in = self
                    .admitted
                    .front()
                    .map(|t| WINDOW.saturating_sub(now.duration_since(*t)))
                    .unwrap_or(WINDOW);
                Err(Some(frees_in.as_secs_f64().ceil().max(1.0) as u64))
            }
            RetryAfter::Seconds(n) => Err(Some(n)),
            RetryAfter::Omitted => Err(None),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn window_admits_limit_then_refuses_then_recovers() {
        let mut limiter = RateLimiter::default();
        let t0 = Instant::now();
        let window = RetryAfter::Window;
        assert!(limiter.check(2, window, t0).is_ok());
        assert!(limiter.check(2, window, t0).is_ok());
        assert_eq!(limiter.check(2, window, t0), Err(Some(1)));
        assert_eq!(limiter.check(2, RetryAfter::Seconds(5), t0), Err(Some(5)));
        assert_eq!(limiter.check(2, RetryAfter::Omitted, t0), Err(None));
        assert!(
            limiter
                .check(2, window, t0 + Duration::from_millis(1001))
                .is_ok()
        );
        assert!(limiter.check(0, window, t0).is_ok());
    }

    #[test]
    fn patch_keeps_omitted_fields_and_rejects_bad_rates() {
        let current = Faults {
            latency_ms: 5,
            error_rate: 0.5,
            ambiguous_rate: 0.0,
            rate_limit: 10,
            retry_after: RetryAfter::Seconds(3),
            seed: Some(7),
        };
        let patch: FaultsPatch = serde_json::from_str(r#"{"rate_limit":0}"#).unwrap();
        assert_eq!(
            patch.apply_to(&current).unwrap().retry_after,
            RetryAfter::Seconds(3)
        );
        let null: FaultsPatch = serde_json::from_str(r#"{"retry_after":null}"#).unwrap();
        assert_eq!(
            null.apply_to(&current).unwrap().retry_after,
            RetryAfter::Omitted
        );
        let bad = serde_json::from_str::<FaultsPatch>(r#"{"retry_after":"soon"}"#);
        assert!(bad.is_err());
        let next = patch.apply_to(&current).unwrap();
        assert_eq!(next.latency_ms, 5);
        assert_eq!(next.error_rate, 0.5);
        assert_eq!(next.rate_limit, 0);
        assert_eq!(next.seed, Some(7));
        let reseed: FaultsPatch = serde_json::from_str(r#"{"seed":9}"#).unwrap();
        assert_eq!(reseed.apply_to(&current).unwrap().seed, Some(9));
        let bad: FaultsPatch = serde_json::from_str(r#"{"error_rate":1.5}"#).unwrap();
        assert!(bad.apply_to(&current).is_err());
    }

    fn fates(dice: &mut Dice, faults: &Faults, n: usize) -> Vec<Fate> {
        (0..n).map(|_| dice.fate(faults)).collect()
    }

    #[test]
    fn one_seed_gives_one_sequence_of_fates() {
        let faults = Faults {
            error_rate: 0.3,
            ambiguous_rate: 0.3,
            ..Faults::default()
        };
        let first = fates(&mut Dice::new(Some(42)), &faults, 200);
        assert_eq!(first, fates(&mut Dice::new(Some(42)), &faults, 200));
        assert_ne!(first, fates(&mut Dice::new(Some(43)), &faults, 200));
        assert!(first.iter().any(|f| f.refuse) && first.iter().any(|f| f.ambiguous));
        assert!(!first.iter().any(|f| f.refuse && f.ambiguous));
        assert_eq!(Dice::new(Some(42)).seed(), 42);
    }

    #[test]
    fn rates_of_zero_and_one_are_certain() {
        let mut dice = Dice::new(None);
        let never = Faults::default();
        let always = Faults {
            error_rate: 1.0,
            ..Faults::default()
        };
        let ambiguous = Faults {
            ambiguous_rate: 1.0,
            ..Faults::default()
        };
        for _ in 0..100 {
            assert_eq!(
                dice.fate(&never),
                Fate {
                    refuse: false,
                    ambiguous: false
                }
            );
            assert!(dice.fate(&always).refuse);
            assert!(dice.fate(&ambiguous).ambiguous);
        }
    }
}
