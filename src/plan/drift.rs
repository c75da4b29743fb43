//! Drift: what changed remotely, outside socialform, since state was written.

use super::model::{Drift, DriftKind};
use crate::actual::Actual;
use crate::address::Address;
use crate::facebook::{TokenHealth, UserTokenHealth};
use crate::state::Recorded;

const SENSITIVE: &str = "(sensitive value)";

/// Compares every recorded resource `in_scope` with the refreshed remote side.
pub(crate) fn detect(
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
        if let Some(entry) = token_drift(&page.address, &page.page_id, actual) {
            drift.push(entry);
        }
    }
    if let Some(apps) = &actual.applications {
        for app in recorded
            .applications
            .values()
            .filter(|a| in_scope(&a.address))
        {
            let Some(remote) = apps.get(&app.id.to_lowercase()) else {
                drift.push(Drift {
                    address: app.address.clone(),
                    kind: DriftKind::Deleted,
                    attribute: "id".into(),
                    expected: app.id.clone(),
                    actual: String::new(),
                });
                continue;
            };
            // The key counts when either side has one: one removed by hand
            // is drift as much as one replaced.
            let mut now = remote.settings.clone();
            if now.public_key_fingerprint.is_none() && app.settings.public_key_fingerprint.is_some()
            {
                now.public_key_fingerprint = Some(String::new());
            }
            for (attribute, expected, found) in crate::application::differences(&app.settings, &now)
            {
                drift.push(Drift {
                    address: app.address.clone(),
                    kind: DriftKind::Changed,
                    attribute: attribute.into(),
                    expected: expected.unwrap_or_default(),
                    actual: found.unwrap_or_default(),
                });
            }
        }
    }
    for link in recorded.links.values().filter(|l| in_scope(&l.address)) {
        let remote_apps = actual.applications_of(link.channel, &link.page_id);
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

/// What Facebook said of the token Vonage holds for `page_id`, as drift:
/// invalid, or expiring within the warning window.
fn token_drift(address: &Address, page_id: &str, actual: &Actual) -> Option<Drift> {
    let report = actual.tokens.as_ref()?;
    match report.held.get(page_id)? {
        TokenHealth::Invalid { reason } => Some(Drift {
            address: address.clone(),
            kind: DriftKind::TokenInvalid,
            attribute: "access_token".into(),
            expected: format!("a valid token of page {page_id}"),
            actual: reason.clone(),
        }),
        health @ TokenHealth::Valid {
            expires_at: Some(at),
        } if health.expires_before(report.expiring_before) => Some(Drift {
            address: address.clone(),
            kind: DriftKind::TokenExpiring,
            attribute: "access_token".into(),
            expected: format!(
                "a token valid past {}",
                crate::facebook::describe_expiry(report.expiring_before)
            ),
            actual: format!("expires {}", crate::facebook::describe_expiry(*at)),
        }),
        TokenHealth::Valid { .. } => None,
    }
}

/// An account that neither state nor configuration knows: a connected page,
/// or an account of another channel linked to an application.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub(crate) struct Unmanaged {
    pub(crate) provider: String,
    pub(crate) external_id: String,
    pub(crate) name: Option<String>,
    pub(crate) applications: Vec<String>,
}

/// Drift of a provider's own credentials (`provider.facebook`: the user
/// token), which no resource address names. Serialized as a `Drift` is.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub(crate) struct ProviderDrift {
    pub(crate) address: &'static str,
    pub(crate) kind: DriftKind,
    pub(crate) attribute: String,
    pub(crate) expected: String,
    pub(crate) actual: String,
}

impl ProviderDrift {
    /// What is wrong, and what to do, for people.
    pub(crate) fn message(&self) -> String {
        let address = self.address;
        match self.kind {
            DriftKind::UserTokenInvalid => format!(
                "{address}: the Facebook user token is invalid: {}; expected {}",
                self.actual, self.expected
            ),
            DriftKind::UserTokenExpiring => format!(
                "{address}: the Facebook user token {}; expected {}",
                self.actual, self.expected
            ),
            DriftKind::PermissionMissing => format!(
                "{address}: the Facebook user token has {}; expected {}",
                self.actual, self.expected
            ),
            other => format!("{address}: {} {}", other.as_str(), self.actual),
        }
    }
}

/// The address of the Facebook provider's drift.
pub(crate) const FACEBOOK_PROVIDER: &str = "provider.facebook";

/// What Facebook said of the user token, as drift: invalid, expiring
/// within the warning window, or missing a permission a page token needs
/// (one entry each). Each says what to do.
pub(crate) fn user_token_drift(actual: &Actual) -> Vec<ProviderDrift> {
    let Some(report) = actual.tokens.as_ref() else {
        return Vec::new();
    };
    let Some(user) = &report.user else {
        return Vec::new();
    };
    let remedy = user.origin.remedy();
    let entry = |kind, expected: String, actual: String| ProviderDrift {
        address: FACEBOOK_PROVIDER,
        kind,
        attribute: "user_token".into(),
        expected,
        actual,
    };
    match &user.health {
        UserTokenHealth::Invalid { reason } => vec![entry(
            DriftKind::UserTokenInvalid,
            format!("a valid user or system-user token ({remedy})"),
            reason.clone(),
        )],
        UserTokenHealth::Valid(info) => {
            let mut out = Vec::new();
            if let Some(at) = info.expires_at
                && at < report.expiring_before
            {
                out.push(entry(
                    DriftKind::UserTokenExpiring,
                    format!(
                        "a token valid past {} ({remedy})",
                        crate::facebook::describe_expiry(report.expiring_before)
                    ),
                    format!("expires {}", crate::facebook::describe_expiry(at)),
                ));
            }
            for (name, blocks) in info.missing() {
                out.push(entry(
                    DriftKind::PermissionMissing,
                    format!("{name} granted ({remedy}, and grant it)"),
                    format!("{name} not granted, which blocks {blocks}"),
                ));
            }
            out
        }
    }
}

/// What `socialform drift` reports.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct DriftReport {
    pub(crate) drifted: Vec<Drift>,
    /// The providers' own drift (the Facebook user token).
    pub(crate) provider: Vec<ProviderDrift>,
    pub(crate) unmanaged: Vec<Unmanaged>,
    /// Resources compared (pages and links).
    pub(crate) managed: usize,
    /// Pages whose token was not compared: no state, and the token's
    /// variable is unset (CI without page tokens).
    pub(crate) tokens_not_compared: Vec<Address>,
    /// Pages are managed but Facebook was not asked about their tokens (no
    /// Facebook credentials): drift says so in one note.
    pub(crate) tokens_unchecked: bool,
}

impl DriftReport {
    /// Entries drifted, resources' and providers'.
    pub(crate) fn drift_count(&self) -> usize {
        self.drifted.len() + self.provider.len()
    }

    /// Nothing drifted and nothing unmanaged: exit 0.
    pub(crate) fn is_clean(&self) -> bool {
        self.drift_count() == 0 && self.unmanaged.is_empty()
    }
}

/// Drift for CI: every resource state records is compared as recorded; a
/// resource the configuration declares but state does not know (no state at
/// all, in a CI job that only has the repository) is compared as declared.
/// Pages are keyed by page ID, so configuration against remote is enough.
pub(crate) fn report(
    desired: &crate::desired::Desired,
    recorded: &Recorded,
    actual: &Actual,
    fingerprint: &dyn Fn(&crate::secret::Secret) -> String,
) -> DriftReport {
    use crate::state::{LinkRecord, PageRecord};
    let mut expected = recorded.clone();
    let mut tokens_not_compared = Vec::new();
    let recorded_ids: std::collections::HashSet<&str> = recorded
        .pages
        .values()
        .map(|p| p.page_id.as_str())
        .collect();
    for page in &desired.pages {
        if expected.pages.contains_key(&page.address)
            || recorded_ids.contains(page.page_id.as_str())
        {
            continue;
        }
        let remote = actual.pages.get(&page.page_id);
        if page.access_token.is_none() && !page.token_from_facebook {
            tokens_not_compared.push(page.address.clone());
        }
        expected.pages.insert(
            page.address.clone(),
            PageRecord {
                address: page.address.clone(),
                page_id: page.page_id.clone(),
                // An unset name is not managed: whatever the remote says is right.
                name: page
                    .name
                    .clone()
                    .or_else(|| remote.and_then(|r| r.name.clone())),
                // Facebook may hand out another string for the same
                // healthy token: only its health counts (see token_drift).
                token_fingerprint: if page.token_from_facebook {
                    None
                } else {
                    page.access_token.as_ref().map(fingerprint)
                },
            },
        );
    }
    for link in &desired.links {
        // `application.NAME.id`: the recorded application's id; one not
        // created yet has no link to compare.
        let application = match crate::application::unknown_id_of(&link.application) {
            None => link.application.clone(),
            Some(app) => match recorded.applications.get(&app) {
                Some(record) => record.id.clone(),
                None => continue,
            },
        };
        let known = expected.links.contains_key(&link.address)
            || recorded
                .links
                .values()
                .any(|l| l.page_id == link.page_id && l.channel == link.channel);
        if !known {
            expected.links.insert(
                link.address.clone(),
                LinkRecord {
                    address: link.address.clone(),
                    page_id: link.page_id.clone(),
                    application,
                    channel: link.channel,
                },
            );
        }
    }
    let known_ids: std::collections::HashSet<&str> = expected
        .pages
        .values()
        .map(|p| p.page_id.as_str())
        .collect();
    let mut unmanaged: Vec<Unmanaged> = actual
        .pages
        .values()
        .filter(|p| !known_ids.contains(p.page_id.as_str()))
        .map(|p| Unmanaged {
            provider: "messenger".into(),
            external_id: p.page_id.clone(),
            name: p.name.clone(),
            applications: p.applications.clone(),
        })
        .collect();
    // Accounts of other channels exist whether or not anyone links them:
    // only one that routes messages to an application is something a
    // configuration should declare (and what `import --all-unmanaged`
    // adopts).
    let linked_accounts: std::collections::HashSet<(crate::channel::Channel, &str)> = expected
        .links
        .values()
        .map(|l| (l.channel, l.page_id.as_str()))
        .collect();
    unmanaged.extend(
        actual
            .accounts
            .values()
            .filter(|a| !a.applications.is_empty())
            .filter(|a| !linked_accounts.contains(&(a.channel, a.external_id.as_str())))
            .map(|a| Unmanaged {
                provider: a.channel.as_str().into(),
                external_id: a.external_id.clone(),
                name: a.name.clone(),
                applications: a.applications.clone(),
            }),
    );
    unmanaged.extend(unmanaged_applications(desired, &expected, actual));
    DriftReport {
        drifted: detect(&expected, actual, &|_| true),
        provider: user_token_drift(actual),
        unmanaged,
        managed: expected.pages.len() + expected.links.len() + expected.applications.len(),
        tokens_not_compared,
        tokens_unchecked: actual.tokens.is_none() && !expected.pages.is_empty(),
    }
}

/// Messages applications that neither a configuration's application block
/// (through state) nor a link names. Only where applications are managed
/// (a block declares one, or state records one): a configuration that only
/// links pages to applications made elsewhere has no claim on the others.
fn unmanaged_applications(
    desired: &crate::desired::Desired,
    expected: &Recorded,
    actual: &Actual,
) -> Vec<Unmanaged> {
    let Some(apps) = &actual.applications else {
        return Vec::new();
    };
    if desired.applications.is_empty() && expected.applications.is_empty() {
        return Vec::new();
    }
    let known: std::collections::HashSet<String> = (expected.applications.values())
        .map(|a| a.id.to_lowercase())
        .chain(
            expected
                .links
                .values()
                .map(|l| l.application.to_lowercase()),
        )
        .chain(desired.links.iter().map(|l| l.application.to_lowercase()))
        .collect();
    apps.values()
        .filter(|a| a.has_messages && !known.contains(&a.id.to_lowercase()))
        .map(|a| Unmanaged {
            provider: "application".into(),
            external_id: a.id.clone(),
            name: Some(a.name.clone()),
            applications: Vec::new(),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::actual::RemotePage;
    use crate::desired::{Desired, DesiredLink, DesiredPage, Location};
    use crate::secret::Secret;

    const APP: &str = "c0ffee00-0000-4000-8000-000000000001";

    fn fp(token: &Secret) -> String {
        format!("fp-{}", token.expose().len())
    }

    fn desired(token: Option<&str>) -> Desired {
        Desired {
            pages: vec![DesiredPage {
                address: Address::page("support"),
                page_id: "1".into(),
                name: Some("Support".into()),
                access_token: token.map(Secret::new),
                token_from_facebook: false,
                location: Location::default(),
            }],
            links: vec![DesiredLink {
                address: Address::link("bot"),
                channel: Default::default(),
                page_address: Some(Address::page("support")),
                page_id: "1".into(),
                application: APP.into(),
                location: Location::default(),
            }],
            ..Desired::default()
        }
    }

    fn actual(pages: Vec<RemotePage>) -> Actual {
        Actual {
            pages: pages.into_iter().map(|p| (p.page_id.clone(), p)).collect(),
            accounts: Default::default(),
            applications: None,
            refreshed: true,
            tokens: None,
        }
    }

    fn remote(id: &str, name: &str, apps: &[&str], token_fp: &str) -> RemotePage {
        RemotePage {
            page_id: id.into(),
            name: Some(name.into()),
            applications: apps.iter().map(|a| a.to_string()).collect(),
            token_fingerprint: Some(token_fp.into()),
        }
    }

    #[test]
    fn without_state_configuration_is_compared_with_the_remote_side() {
        let report = report(
            &desired(Some("tok")),
            &Recorded::default(),
            &actual(vec![
                remote("1", "Renamed", &[], "fp-99"),
                remote("9", "Stray", &[APP], "x"),
            ]),
            &fp,
        );
        let found: Vec<(String, &str)> = report
            .drifted
            .iter()
            .map(|d| (d.address.to_string(), d.attribute.as_str()))
            .collect();
        assert_eq!(
            found,
            vec![
                ("page.support".into(), "name"),
                ("page.support".into(), "access_token"),
                ("link.bot".into(), "application"),
            ]
        );
        assert_eq!(report.managed, 2);
        assert_eq!(report.unmanaged.len(), 1);
        assert_eq!(report.unmanaged[0].external_id, "9");
        assert!(report.tokens_not_compared.is_empty());
    }

    #[test]
    fn an_unknown_token_skips_only_the_token_comparison() {
        let report = report(
            &desired(None),
            &Recorded::default(),
            &actual(vec![remote("1", "Support", &[APP], "fp-99")]),
            &fp,
        );
        assert!(report.drifted.is_empty(), "{:?}", report.drifted);
        assert_eq!(report.tokens_not_compared, vec![Address::page("support")]);
    }

    #[test]
    fn in_sync_means_no_drift() {
        let report = report(
            &desired(Some("tok")),
            &Recorded::default(),
            &actual(vec![remote("1", "Support", &[APP], "fp-3")]),
            &fp,
        );
        assert_eq!(
            report,
            DriftReport {
                managed: 2,
                // No Facebook credentials in this world: said in a note.
                tokens_unchecked: true,
                ..DriftReport::default()
            }
        );
    }
}
