//! Graph's usage headers, and the pace they set for the next request.
//!
//! Every Graph answer may say how much of a budget is spent, as
//! percentages: `X-App-Usage` `{"call_count", "total_time",
//! "total_cputime"}` for the app, and `X-Business-Use-Case-Usage`
//! `{"<page-id>": [{"type", "call_count", "total_time", "total_cputime",
//! "estimated_time_to_regain_access"}]}` for each page the request touched.
//! At 100% Graph refuses (codes 4, 17, 32, 613); the client slows down
//! before that, so the retry of a refusal stays the last resort:
//!
//! - under `PACE_FROM`: requests go as fast as the caller sends them;
//! - from `PACE_FROM` to `HOLD_FROM`: request starts are spaced by
//!   `SPACING_UNIT × (u − 80) / (100 − u)`, nothing at 80%, 250 ms at
//!   90%, 750 ms just under 95%: the closer the budget is to spent, the
//!   longer each call leaves it to recover;
//! - from `HOLD_FROM`: one request at a time, each after a hold that
//!   starts at `HOLD_FIRST` and doubles (up to `HOLD_MAX`, the cap on one
//!   wait) for as long as fresh answers do not show the usage falling.
//!   A page's `estimated_time_to_regain_access` stretches the hold to it,
//!   within the same cap.
//!
//! Only the parsing and the decision live here, free of I/O and clocks
//! (the caller passes `now`); `client.rs` waits and sends.

use serde_json::Value;
use std::collections::HashMap;
use std::time::{Duration, Instant};

/// From this usage on, request starts are spaced out.
pub(crate) const PACE_FROM: f64 = 80.0;
/// From this usage on, requests go one at a time after a hold.
pub(crate) const HOLD_FROM: f64 = 95.0;
/// The spacing at 90%, the midpoint of the spacing band.
const SPACING_UNIT: Duration = Duration::from_millis(250);
/// The first hold at `HOLD_FROM` or more: long enough that a budget which
/// recovers a point in a few hundred milliseconds visibly falls.
pub(crate) const HOLD_FIRST: Duration = Duration::from_secs(1);
/// The longest one hold lasts, whatever the answers say; a budget that is
/// still spent after it is left to the retry of Graph's refusal.
pub(crate) const HOLD_MAX: Duration = Duration::from_secs(8);
/// A reading older than this no longer slows anything: Graph's budgets
/// recover with time, and a page that is not asked about again is not
/// reported again.
const READING_TTL: Duration = Duration::from_secs(60);

/// What one answer's headers reported.
#[derive(Clone, Debug, Default, PartialEq)]
pub(crate) struct Report {
    /// The highest of the app's percentages.
    pub(crate) app: Option<f64>,
    /// Per page: the highest percentage, and the wait Graph estimates
    /// before the page may call again.
    pub(crate) pages: Vec<(String, f64, Duration)>,
}

impl Report {
    pub(crate) fn is_empty(&self) -> bool {
        self.app.is_none() && self.pages.is_empty()
    }
}

/// The three percentages of a usage object, the highest one. `None` when
/// none is a number: a malformed header is ignored, never an error.
fn peak(object: &Value) -> Option<f64> {
    ["call_count", "total_time", "total_cputime"]
        .iter()
        .filter_map(|k| object.get(k).and_then(number))
        .fold(None, |best: Option<f64>, v| {
            Some(best.map_or(v, |b| b.max(v)))
        })
}

/// Graph sends integers; strings of digits are accepted too. Negative and
/// non-finite values are nonsense and ignored.
fn number(v: &Value) -> Option<f64> {
    let n = match v {
        Value::Number(n) => n.as_f64()?,
        Value::String(s) => s.trim().parse().ok()?,
        _ => return None,
    };
    (n.is_finite() && n >= 0.0).then_some(n)
}

/// `X-App-Usage`: the app's highest percentage.
pub(crate) fn parse_app_usage(header: &str) -> Option<f64> {
    peak(&serde_json::from_str::<Value>(header).ok()?)
}

/// `X-Business-Use-Case-Usage`: per page, the highest percentage over its
/// entries and the longest `estimated_time_to_regain_access` (minutes).
pub(crate) fn parse_buc_usage(header: &str) -> Vec<(String, f64, Duration)> {
    let Ok(Value::Object(pages)) = serde_json::from_str::<Value>(header) else {
        return Vec::new();
    };
    pages
        .into_iter()
        .filter_map(|(id, entries)| {
            let entries = entries.as_array()?;
            let percent = entries
                .iter()
                .filter_map(peak)
                .fold(None, |best: Option<f64>, v| {
                    Some(best.map_or(v, |b| b.max(v)))
                })?;
            let minutes = entries
                .iter()
                .filter_map(|e| e.get("estimated_time_to_regain_access").and_then(number))
                .fold(0.0, f64::max);
            // Minutes as Graph counts them; a day is more than any hold.
            let regain = Duration::from_secs_f64(minutes.min(1440.0) * 60.0);
            Some((id, percent, regain))
        })
        .collect()
}

/// What to do before the next request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Pace {
    /// Send now.
    Free,
    /// Start no sooner than this after the previous request started.
    Space(Duration),
    /// Wait this long, then send alone: no other request starts before
    /// this one's answer is read.
    Hold(Duration),
}

#[derive(Clone, Copy, Debug)]
struct Reading {
    percent: f64,
    regain: Duration,
    at: Instant,
}

/// The readings so far, and the hold in force. Invariant: `hold` is
/// `HOLD_FIRST` unless successive answers at or above `HOLD_FROM` showed
/// no fall, each of which doubled it, up to `HOLD_MAX`.
#[derive(Debug)]
pub(crate) struct Usage {
    app: Option<Reading>,
    pages: HashMap<String, Reading>,
    hold: Duration,
}

impl Default for Usage {
    fn default() -> Self {
        Usage {
            app: None,
            pages: HashMap::new(),
            hold: HOLD_FIRST,
        }
    }
}

impl Usage {
    /// The highest live reading, and the longest regain estimate among them.
    fn highest(&self, now: Instant) -> Option<(f64, Duration)> {
        self.app
            .iter()
            .chain(self.pages.values())
            .filter(|r| now.saturating_duration_since(r.at) < READING_TTL)
            .fold(None, |best, r| match best {
                None => Some((r.percent, r.regain)),
                Some((p, g)) => Some((p.max(r.percent), g.max(r.regain))),
            })
    }

    /// Takes in one answer's report. The app's reading is replaced by each
    /// answer that has one, a page's by each answer that names it.
    pub(crate) fn record(&mut self, report: &Report, now: Instant) {
        if report.is_empty() {
            return;
        }
        let before = self.highest(now).map(|(p, _)| p);
        if let Some(percent) = report.app {
            self.app = Some(Reading {
                percent,
                regain: Duration::ZERO,
                at: now,
            });
        }
        for (id, percent, regain) in &report.pages {
            self.pages.insert(
                id.clone(),
                Reading {
                    percent: *percent,
                    regain: *regain,
                    at: now,
                },
            );
        }
        self.pages
            .retain(|_, r| now.saturating_duration_since(r.at) < READING_TTL);
        let after = self.highest(now).map_or(0.0, |(p, _)| p);
        let fell = before.is_some_and(|b| after < b);
        let held = before.is_some_and(|b| b >= HOLD_FROM);
        self.hold = if after < HOLD_FROM || fell {
            HOLD_FIRST
        } else if held {
            (self.hold * 2).min(HOLD_MAX)
        } else {
            self.hold
        };
    }

    /// The pace for the next request, from the highest live reading.
    pub(crate) fn pace(&self, now: Instant) -> Pace {
        let Some((percent, regain)) = self.highest(now) else {
            return Pace::Free;
        };
        if percent >= HOLD_FROM {
            return Pace::Hold(self.hold.max(regain).min(HOLD_MAX));
        }
        if percent >= PACE_FROM {
            let factor = (percent - PACE_FROM) / (100.0 - percent);
            return Pace::Space(SPACING_UNIT.mul_f64(factor));
        }
        Pace::Free
    }

    /// The highest live percentage, for log lines.
    pub(crate) fn percent(&self, now: Instant) -> Option<f64> {
        self.highest(now).map(|(p, _)| p)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn app(percent: f64) -> Report {
        Report {
            app: Some(percent),
            pages: Vec::new(),
        }
    }

    #[test]
    fn app_usage_is_its_highest_percentage() {
        assert_eq!(
            parse_app_usage(r#"{"call_count":28,"total_time":25,"total_cputime":30}"#),
            Some(30.0)
        );
        assert_eq!(parse_app_usage(r#"{"call_count":"96"}"#), Some(96.0));
        assert_eq!(parse_app_usage(r#"{"call_count":99.5}"#), Some(99.5));
    }

    #[test]
    fn malformed_usage_headers_are_ignored() {
        for bad in [
            "",
            "not json",
            "[]",
            "{}",
            r#"{"call_count":null}"#,
            r#"{"call_count":-5}"#,
            r#"{"call_count":"lots"}"#,
            r#"{"other":7}"#,
        ] {
            assert_eq!(parse_app_usage(bad), None, "{bad:?}");
            assert!(parse_buc_usage(bad).is_empty(), "{bad:?}");
        }
        // One readable page among broken ones.
        let pages =
            parse_buc_usage(r#"{"1":"x","2":[],"3":[{"type":"pages"}],"4":[{"call_count":12}]}"#);
        assert_eq!(pages, vec![("4".to_string(), 12.0, Duration::ZERO)]);
    }

    #[test]
    fn business_use_case_usage_is_per_page_with_the_regain_estimate() {
        let mut pages = parse_buc_usage(
            r#"{"111":[{"type":"pages","call_count":40,"total_time":2,"total_cputime":1,
                        "estimated_time_to_regain_access":0},
                       {"type":"messenger","call_count":100,"total_time":5,"total_cputime":5,
                        "estimated_time_to_regain_access":3}],
                "222":[{"type":"pages","call_count":7,"total_time":9,"total_cputime":8}]}"#,
        );
        pages.sort_by(|a, b| a.0.cmp(&b.0));
        assert_eq!(
            pages,
            vec![
                ("111".to_string(), 100.0, Duration::from_secs(180)),
                ("222".to_string(), 9.0, Duration::ZERO),
            ]
        );
    }

    #[test]
    fn the_pace_follows_the_highest_reading() {
        let t = Instant::now();
        let mut usage = Usage::default();
        assert_eq!(usage.pace(t), Pace::Free);
        usage.record(&app(79.0), t);
        assert_eq!(usage.pace(t), Pace::Free);
        usage.record(&app(80.0), t);
        assert_eq!(usage.pace(t), Pace::Space(Duration::ZERO));
        usage.record(&app(90.0), t);
        assert_eq!(usage.pace(t), Pace::Space(Duration::from_millis(250)));
        // A page near its limit governs, though the app is fine.
        usage.record(
            &Report {
                app: Some(10.0),
                pages: vec![("5".into(), 94.0, Duration::ZERO)],
            },
            t,
        );
        let Pace::Space(spacing) = usage.pace(t) else {
            panic!("{:?}", usage.pace(t));
        };
        assert!(spacing > Duration::from_millis(500), "{spacing:?}");
        usage.record(&app(96.0), t);
        assert_eq!(usage.pace(t), Pace::Hold(HOLD_FIRST));
    }

    #[test]
    fn the_spacing_grows_as_usage_nears_the_hold() {
        let t = Instant::now();
        let mut last = Duration::ZERO;
        for percent in [80.0, 84.0, 88.0, 91.0, 93.0, 94.9] {
            let mut usage = Usage::default();
            usage.record(&app(percent), t);
            let Pace::Space(spacing) = usage.pace(t) else {
                panic!("{percent}");
            };
            assert!(spacing >= last, "{percent}: {spacing:?} < {last:?}");
            assert!(spacing < Duration::from_secs(1), "{percent}: {spacing:?}");
            last = spacing;
        }
    }

    #[test]
    fn a_hold_doubles_until_usage_falls_and_never_passes_its_cap() {
        let t = Instant::now();
        let mut usage = Usage::default();
        usage.record(&app(96.0), t);
        assert_eq!(usage.pace(t), Pace::Hold(Duration::from_secs(1)));
        usage.record(&app(97.0), t);
        assert_eq!(usage.pace(t), Pace::Hold(Duration::from_secs(2)));
        usage.record(&app(97.0), t);
        assert_eq!(usage.pace(t), Pace::Hold(Duration::from_secs(4)));
        for _ in 0..5 {
            usage.record(&app(100.0), t);
        }
        assert_eq!(usage.pace(t), Pace::Hold(HOLD_MAX));
        // Falling, though still in the hold band: back to the first hold.
        usage.record(&app(98.0), t);
        assert_eq!(usage.pace(t), Pace::Hold(HOLD_FIRST));
        usage.record(&app(70.0), t);
        assert_eq!(usage.pace(t), Pace::Free);
    }

    #[test]
    fn a_regain_estimate_stretches_the_hold_within_the_cap() {
        let t = Instant::now();
        let mut usage = Usage::default();
        usage.record(
            &Report {
                app: None,
                pages: vec![("5".into(), 100.0, Duration::from_secs(300))],
            },
            t,
        );
        assert_eq!(usage.pace(t), Pace::Hold(HOLD_MAX));
    }

    #[test]
    fn old_readings_stop_slowing_requests() {
        let t = Instant::now();
        let mut usage = Usage::default();
        usage.record(
            &Report {
                app: Some(10.0),
                pages: vec![("5".into(), 99.0, Duration::ZERO)],
            },
            t,
        );
        assert!(matches!(usage.pace(t), Pace::Hold(_)));
        assert_eq!(usage.pace(t + READING_TTL), Pace::Free);
        // An answer without usage headers changes nothing.
        usage.record(&Report::default(), t);
        assert!(matches!(usage.pace(t), Pace::Hold(_)));
    }
}
