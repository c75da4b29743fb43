//! Drift: what changed remotely, outside socialform, since state was written.

use super::model::{Drift, DriftKind};
use crate::actual::Actual;
use crate::address::Address;
use crate::state::Recorded;

const SENSITIVE: &str = "(sensitive value)";

/// Compares every recorded resource `in_scope` with the refreshed remote side.
pub fn detect(
    recorded: &Recorded,
    actual: &Actual,
    in_scope: &dyn Fn(&Address) -> bool,
) -> Vec<Drift> {
    if !actual.refreshed {
        return Vec::new();
    }
    let mut drift = Vec::new();
    for page in recorded.pages.values().filter(|p| in_scope(&p.address)) {
        let Some(remote) = actual.pages.get(&page.page_id) else {
            drift.push(Drift {
                address: page.address.clone(),
                kind: DriftKind::Deleted,
                attribute: "page_id".into(),
                expected: page.page_id.clone(),
                actual: String::new(),
            });
            continue;
        };
        if page.name != remote.name {
            drift.push(Drift {
                address: page.address.clone(),
                kind: DriftKind::Changed,
                attribute: "name".into(),
                expected: page.name.clone().unwrap_or_default(),
                actual: remote.name.clone().unwrap_or_default(),
            });
        }
        if let (Some(recorded_fp), Some(remote_fp)) =
            (&page.token_fingerprint, &remote.token_fingerprint)
            && recorded_fp != remote_fp
        {
            drift.push(Drift {
                address: page.address.clone(),
                kind: DriftKind::Changed,
                attribute: "access_token".into(),
                expected: SENSITIVE.into(),
                actual: SENSITIVE.into(),
            });
        }
    }
    for link in recorded.links.values().filter(|l| in_scope(&l.address)) {
        let remote_apps = actual.pages.get(&link.page_id).map(|p| &p.applications);
        match remote_apps {
            Some(apps) if apps.contains(&link.application) => {}
            Some(apps) if !apps.is_empty() => drift.push(Drift {
                address: link.address.clone(),
                kind: DriftKind::Changed,
                attribute: "application".into(),
                expected: link.application.clone(),
                actual: apps.join(","),
            }),
            _ => drift.push(Drift {
                address: link.address.clone(),
                kind: DriftKind::Deleted,
                attribute: "application".into(),
                expected: link.application.clone(),
                actual: String::new(),
            }),
        }
    }
    drift
}
