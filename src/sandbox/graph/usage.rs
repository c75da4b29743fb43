//! Graph's rate-limit usage, emulated: the app's budget (`X-App-Usage`) and
//! each page's (`X-Business-Use-Case-Usage`), as percentages that every
//! Graph call adds to and that recover linearly with time. At 100% or more
//! a call is refused with Graph's throttling error: code 4 for the app,
//! code 32 for a page.
//!
//! Unconfigured, calls cost nothing: every answer reports 0% and nothing is
//! ever refused, so the sandbox behaves as it did before usage existed.

use super::error::GraphError;
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value, json};
use std::collections::BTreeMap;
use std::time::Instant;

/// Graph's window is an hour: 100 points recover in 3,600 s.
pub(crate) const DEFAULT_RECOVERY_PER_SECOND: f64 = 100.0 / 3600.0;

/// One budget's three percentages. Graph throttles when any reaches 100.
#[derive(Clone, Copy, Debug, Default, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub(crate) struct Meter {
    pub(crate) call_count: f64,
    pub(crate) total_time: f64,
    pub(crate) total_cputime: f64,
}

impl Meter {
    fn peak(&self) -> f64 {
        self.call_count.max(self.total_time).max(self.total_cputime)
    }

    fn exhausted(&self) -> bool {
        self.peak() >= 100.0
    }

    fn recover(&mut self, points: f64) {
        for value in [
            &mut self.call_count,
            &mut self.total_time,
            &mut self.total_cputime,
        ] {
            *value = (*value - points).max(0.0);
        }
    }

    /// Graph reports whole percentages. Rounded down, so a reading of 100
    /// always means refused.
    fn reported(&self) -> Value {
        json!({
            "call_count": self.call_count.floor() as u64,
            "total_time": self.total_time.floor() as u64,
            "total_cputime": self.total_cputime.floor() as u64,
        })
    }
}

/// What `PUT /_sandbox/facebook/usage` sets; every field optional.
#[derive(Clone, Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct UsageSettings {
    #[serde(default)]
    pub(crate) app: Meter,
    /// Page ID → that page's meter.
    #[serde(default)]
    pub(crate) pages: BTreeMap<String, Meter>,
    /// Points one call adds to `call_count` of the app, and of the page
    /// it is scoped to. A batch item is a call of its own, as on Graph.
    #[serde(default)]
    pub(crate) per_call: f64,
    /// Points every percentage falls by each second; 0 never recovers.
    #[serde(default = "default_recovery")]
    pub(crate) recovery_per_second: f64,
}

fn default_recovery() -> f64 {
    DEFAULT_RECOVERY_PER_SECOND
}

impl Default for UsageSettings {
    fn default() -> Self {
        UsageSettings {
            app: Meter::default(),
            pages: BTreeMap::new(),
            per_call: 0.0,
            recovery_per_second: DEFAULT_RECOVERY_PER_SECOND,
        }
    }
}

impl UsageSettings {
    pub(crate) fn check(&self) -> Result<(), (&'static str, String)> {
        let finite = |v: f64| v.is_finite() && v >= 0.0;
        let meters =
            std::iter::once(("app", &self.app)).chain(self.pages.values().map(|m| ("pages", m)));
        for (field, meter) in meters {
            if ![meter.call_count, meter.total_time, meter.total_cputime]
                .into_iter()
                .all(finite)
            {
                return Err((field, "percentages must be finite and >= 0".into()));
            }
        }
        if !finite(self.per_call) {
            return Err(("per_call", "must be finite and >= 0".into()));
        }
        if !finite(self.recovery_per_second) {
            return Err(("recovery_per_second", "must be finite and >= 0".into()));
        }
        if let Some(id) = self
            .pages
            .keys()
            .find(|id| id.is_empty() || !id.bytes().all(|b| b.is_ascii_digit()))
        {
            return Err(("pages", format!("`{id}` is not a numeric page id")));
        }
        Ok(())
    }
}

/// Calls refused since the usage was last set.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub(crate) struct Refused {
    pub(crate) app: u64,
    pub(crate) page: u64,
}

/// The usage model. Invariant: every meter has been recovered up to
/// `updated`; `settle` brings them to the present before any read or charge.
#[derive(Debug)]
pub(crate) struct Usage {
    settings: UsageSettings,
    app: Meter,
    pages: BTreeMap<String, Meter>,
    updated: Instant,
    refused: Refused,
    calls: u64,
}

impl Default for Usage {
    fn default() -> Self {
        Usage::new(UsageSettings::default(), Instant::now())
    }
}

impl Usage {
    pub(crate) fn new(settings: UsageSettings, now: Instant) -> Self {
        Usage {
            app: settings.app,
            pages: settings.pages.clone(),
            settings,
            updated: now,
            refused: Refused::default(),
            calls: 0,
        }
    }

    fn settle(&mut self, now: Instant) {
        let elapsed = now.saturating_duration_since(self.updated);
        let points = elapsed.as_secs_f64() * self.settings.recovery_per_second;
        self.app.recover(points);
        for meter in self.pages.values_mut() {
            meter.recover(points);
        }
        self.updated = self.updated.max(now);
    }

    /// A request arriving: refused (code 4) when the app's budget is spent,
    /// before it is read any further. Costs nothing; its calls are charged
    /// with `charge`.
    pub(crate) fn admit(&mut self, now: Instant) -> Result<(), GraphError> {
        self.settle(now);
        if self.app.exhausted() {
            self.refused.app += 1;
            return Err(GraphError::throttled());
        }
        Ok(())
    }

    /// One call (a request, or one item of a batch), scoped to `page` when
    /// it is made with a page token or about a page. Refused when the app's
    /// or the page's budget is spent; a refused call costs nothing.
    pub(crate) fn charge(&mut self, page: Option<&str>, now: Instant) -> Result<(), GraphError> {
        self.settle(now);
        if self.app.exhausted() {
            self.refused.app += 1;
            return Err(GraphError::throttled());
        }
        let cost = self.settings.per_call;
        if let Some(page) = page {
            let meter = self.pages.entry(page.to_owned()).or_default();
            if meter.exhausted() {
                self.refused.page += 1;
                return Err(GraphError::page_throttled());
            }
            meter.call_count += cost;
        }
        self.app.call_count += cost;
        self.calls += 1;
        Ok(())
    }

    /// `X-App-Usage`, and `X-Business-Use-Case-Usage` for `pages` (none
    /// when empty), as they stand at `now`.
    pub(crate) fn headers(&mut self, pages: &[String], now: Instant) -> (String, Option<String>) {
        self.settle(now);
        let app = self.app.reported().to_string();
        if pages.is_empty() {
            return (app, None);
        }
        let mut buc = Map::new();
        for page in pages {
            let meter = self.pages.get(page).copied().unwrap_or_default();
            let mut entry = meter.reported();
            entry["type"] = json!("pages");
            entry["estimated_time_to_regain_access"] = json!(self.minutes_to_regain(&meter));
            buc.insert(page.clone(), json!([entry]));
        }
        (app, Some(Value::Object(buc).to_string()))
    }

    /// Whole minutes until `meter` is under 100% again; 0 when it is.
    /// At exactly 100 the wait is an instant, still a refusal: 1 minute.
    /// A budget that never recovers says a day, Graph's longest ban.
    fn minutes_to_regain(&self, meter: &Meter) -> u64 {
        if !meter.exhausted() {
            return 0;
        }
        let rate = self.settings.recovery_per_second;
        if rate == 0.0 {
            return 1440;
        }
        let seconds = (meter.peak() - 100.0) / rate;
        (seconds / 60.0).ceil().clamp(1.0, 1440.0) as u64
    }

    /// What `GET /_sandbox/facebook/usage` reports.
    pub(crate) fn report(&mut self, now: Instant) -> Value {
        self.settle(now);
        let pages: Map<String, Value> = self
            .pages
            .iter()
            .map(|(id, m)| (id.clone(), json!(m)))
            .collect();
        json!({
            "app": self.app,
            "pages": pages,
            "per_call": self.settings.per_call,
            "recovery_per_second": self.settings.recovery_per_second,
            "calls": self.calls,
            "refused": self.refused,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn settings(app: f64, per_call: f64, recovery_per_second: f64) -> UsageSettings {
        UsageSettings {
            app: Meter {
                call_count: app,
                ..Meter::default()
            },
            per_call,
            recovery_per_second,
            ..UsageSettings::default()
        }
    }

    #[test]
    fn unconfigured_usage_costs_nothing_and_refuses_nothing() {
        let t = Instant::now();
        let mut usage = Usage::new(UsageSettings::default(), t);
        for _ in 0..10_000 {
            usage.charge(Some("5"), t).unwrap();
        }
        let (app, buc) = usage.headers(&["5".into()], t);
        assert_eq!(app, r#"{"call_count":0,"total_cputime":0,"total_time":0}"#);
        assert!(
            buc.unwrap()
                .contains(r#""estimated_time_to_regain_access":0"#)
        );
        assert_eq!(usage.refused, Refused::default());
    }

    #[test]
    fn calls_add_up_to_a_refusal_and_waiting_recovers_the_budget() {
        let t = Instant::now();
        let mut usage = Usage::new(settings(98.0, 1.0, 10.0), t);
        usage.charge(None, t).unwrap();
        usage.charge(None, t).unwrap();
        assert_eq!(usage.charge(None, t).unwrap_err().code(), 4);
        assert_eq!(usage.admit(t).unwrap_err().code(), 4);
        assert_eq!(usage.refused, Refused { app: 2, page: 0 });
        // 10 points a second: half a second later the app is at 95.
        let later = t + Duration::from_millis(500);
        usage.admit(later).unwrap();
        let (app, _) = usage.headers(&[], later);
        assert!(app.contains(r#""call_count":95"#), "{app}");
        assert_eq!(usage.calls, 2);
    }

    #[test]
    fn a_spent_page_refuses_its_calls_with_code_32_and_says_when_it_recovers() {
        let t = Instant::now();
        let mut s = settings(0.0, 1.0, 1.0 / 60.0);
        s.pages.insert(
            "7".into(),
            Meter {
                call_count: 101.5,
                ..Meter::default()
            },
        );
        let mut usage = Usage::new(s, t);
        assert_eq!(usage.charge(Some("7"), t).unwrap_err().code(), 32);
        usage.charge(Some("8"), t).unwrap();
        let (_, buc) = usage.headers(&["7".into(), "8".into()], t);
        let buc: Value = serde_json::from_str(&buc.unwrap()).unwrap();
        // 1.5 points at a minute each: two whole minutes.
        assert_eq!(buc["7"][0]["estimated_time_to_regain_access"], 2);
        assert_eq!(buc["7"][0]["call_count"], 101);
        assert_eq!(buc["8"][0]["call_count"], 1);
        assert_eq!(buc["8"][0]["estimated_time_to_regain_access"], 0);
        assert_eq!(usage.refused, Refused { app: 0, page: 1 });
    }

    #[test]
    fn settings_are_checked() {
        assert!(settings(95.0, 1.0, 10.0).check().is_ok());
        assert!(settings(95.0, 1.0, 0.0).check().is_ok());
        assert!(settings(-1.0, 1.0, 10.0).check().is_err());
        assert!(settings(95.0, f64::NAN, 10.0).check().is_err());
        assert!(settings(95.0, 1.0, -1.0).check().is_err());
        assert!(settings(95.0, 1.0, f64::INFINITY).check().is_err());
        let mut s = settings(0.0, 0.0, 1.0);
        s.pages.insert("abc".into(), Meter::default());
        assert!(s.check().is_err());
    }
}
