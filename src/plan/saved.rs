//! Saved plans (`plan --out FILE`, `apply FILE`, `show FILE`).
//!
//! A saved plan holds no token and no credential: calls name the page whose
//! configured token they will send, and state writes carry only keyed
//! fingerprints. At apply time the plan is checked against the state it was
//! made from (lineage and serial), the configuration (a digest of the
//! evaluated configuration, tokens included as fingerprints) and the remote
//! side (planning again must give the same calls); any difference makes it
//! stale and nothing is called.

use super::model::Plan;
use super::{Mode, PlanOptions};
use crate::address::Address;
use crate::desired::Desired;
use crate::secret::Secret;
use crate::state::Recorded;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

pub(crate) const PLAN_FORMAT: &str = "socialform-plan/1";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub(crate) enum SavedMode {
    Normal,
    Destroy,
    RefreshOnly,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct SavedPlan {
    pub(crate) format: String,
    pub(crate) created_at: String,
    pub(crate) mode: SavedMode,
    pub(crate) targets: Vec<Address>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) excludes: Vec<Address>,
    pub(crate) reconnect: Vec<Address>,
    /// Whether the plan was made from a refresh (`--refresh=false` otherwise).
    pub(crate) refreshed: bool,
    pub(crate) lineage: String,
    pub(crate) serial: u64,
    pub(crate) configuration_digest: String,
    /// Short digests of each part of the configuration and each record in
    /// state, by name, so that a stale plan can say which address changed
    /// on which side. Absent from plans saved before they existed.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) configuration_parts: BTreeMap<String, String>,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub(crate) state_parts: BTreeMap<String, String>,
    pub(crate) plan: Plan,
    /// The plan in Terraform's layout, for `show --json`. Never compared:
    /// freshness is decided by `plan` alone.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub(crate) resource_changes: Vec<super::resource_changes::ResourceChange>,
}

impl SavedPlan {
    pub(crate) fn options(&self) -> PlanOptions {
        PlanOptions {
            mode: match self.mode {
                SavedMode::Normal => Mode::Normal,
                SavedMode::Destroy => Mode::Destroy,
                SavedMode::RefreshOnly => Mode::RefreshOnly,
            },
            targets: self.targets.clone(),
            excludes: self.excludes.clone(),
            reconnect: self.reconnect.clone(),
        }
    }

    pub(crate) fn mode_of(options: &PlanOptions) -> SavedMode {
        match options.mode {
            Mode::Normal => SavedMode::Normal,
            Mode::Destroy => SavedMode::Destroy,
            Mode::RefreshOnly => SavedMode::RefreshOnly,
        }
    }

    pub(crate) fn write(&self, path: &Path) -> anyhow::Result<()> {
        let text = serde_json::to_string_pretty(self)?;
        std::fs::write(path, text + "\n")
            .map_err(|e| anyhow::anyhow!("could not write the plan to {}: {e}", path.display()))
    }

    /// Refuses this plan when what it was made from has moved: the state
    /// (lineage, serial), the configuration (its digest) or the remote side
    /// (`now.plan`, the plan made now from the plan's own options, differs),
    /// naming what changed where the saved plan lets it.
    pub(crate) fn check_fresh(&self, now: &Now<'_>) -> Result<(), Stale> {
        let reason = if now.lineage != self.lineage {
            "it was made for another state (lineage differs)".to_string()
        } else if now.serial != self.serial {
            let what = if self.state_parts.is_empty() && self.serial > 0 {
                Vec::new()
            } else {
                differences(&self.state_parts, &now.state_parts)
            };
            format!(
                "the state changed since it was made (serial {} is now {}{})",
                self.serial,
                now.serial,
                naming(&what)
            )
        } else if now.configuration_digest != self.configuration_digest {
            let what = if self.configuration_parts.is_empty() {
                Vec::new()
            } else {
                differences(&self.configuration_parts, &now.configuration_parts)
            };
            format!(
                "the configuration (or a variable or token it uses) changed since it was made{}",
                naming(&what)
            )
        } else if now.plan != &self.plan {
            format!(
                "the remote side changed since it was made{}",
                naming(
                    &replanned_differences(&self.plan, now.plan)
                        .into_iter()
                        .map(|address| format!("{address} is planned differently now"))
                        .collect::<Vec<_>>()
                )
            )
        } else {
            return Ok(());
        };
        Err(Stale { reason })
    }

    pub(crate) fn read(path: &Path) -> anyhow::Result<SavedPlan> {
        let text = std::fs::read(path)
            .map_err(|e| anyhow::anyhow!("could not read the plan file {}: {e}", path.display()))?;
        let not_a_plan = |why: String| {
            anyhow::anyhow!(
                "{} is not a socialform plan file ({why}); make one with `socialform plan --out FILE`",
                path.display()
            )
        };
        let saved: SavedPlan =
            serde_json::from_slice(&text).map_err(|e| not_a_plan(e.to_string()))?;
        if saved.format != PLAN_FORMAT {
            return Err(not_a_plan(format!(
                "format {:?}, this socialform reads {PLAN_FORMAT:?}",
                saved.format
            )));
        }
        Ok(saved)
    }
}

/// What a saved plan is checked against before it is applied.
pub(crate) struct Now<'a> {
    pub(crate) lineage: &'a str,
    pub(crate) serial: u64,
    pub(crate) configuration_digest: String,
    pub(crate) configuration_parts: BTreeMap<String, String>,
    pub(crate) state_parts: BTreeMap<String, String>,
    /// The plan made now, from the saved plan's own options.
    pub(crate) plan: &'a Plan,
}

/// Why a saved plan can no longer be applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Stale {
    pub(crate) reason: String,
}

impl std::fmt::Display for Stale {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "the saved plan is stale: {}; make a new one with `socialform plan --out FILE`",
            self.reason
        )
    }
}

impl std::error::Error for Stale {}

/// One entry of the configuration as the digest sees it, under the name a
/// stale plan reports it by.
struct Part {
    /// `page.fb["es"]`, `import → page.x`, `provider.vonage`...
    name: String,
    /// Which list of the digest's document it belongs to.
    list: &'static str,
    value: serde_json::Value,
}

/// The evaluated configuration cut into parts, tokens only as their keyed
/// fingerprints, in the digest's order.
fn configuration_parts(desired: &Desired, fingerprint: &dyn Fn(&Secret) -> String) -> Vec<Part> {
    let mut parts = Vec::new();
    for p in &desired.pages {
        parts.push(Part {
            name: p.address.to_string(),
            list: "pages",
            value: serde_json::json!([
                p.address,
                p.page_id,
                p.name,
                // A token Facebook supplies is read again at apply and may
                // be another string for the same page: its source counts.
                if p.token_from_facebook {
                    Some("(from Facebook)".to_string())
                } else {
                    p.access_token.as_ref().map(fingerprint)
                },
                desired.protection(&p.address).is_some()
            ]),
        });
    }
    for l in &desired.links {
        // Messenger links hash as they did before other channels.
        let mut entry = if l.channel.is_messenger() {
            serde_json::json!([l.address, l.page_id, l.application])
        } else {
            serde_json::json!([l.address, l.page_id, l.application, l.channel])
        };
        // Only when set, so digests of plans saved before links could be
        // protected stay the same.
        if let (Some(entry), Some(_)) = (entry.as_array_mut(), desired.protection(&l.address)) {
            entry.push(serde_json::json!("prevent_destroy"));
        }
        parts.push(Part {
            name: l.address.to_string(),
            list: "links",
            value: entry,
        });
    }
    for i in &desired.imports {
        parts.push(Part {
            name: format!("import into {}", i.to),
            list: "imports",
            value: serde_json::json!([i.to, i.id]),
        });
    }
    for r in &desired.removed {
        parts.push(Part {
            name: format!("removed {}", r.from),
            list: "removed",
            value: serde_json::json!([r.from, r.destroy]),
        });
    }
    for m in &desired.moved {
        parts.push(Part {
            name: format!("moved {} to {}", m.from, m.to),
            list: "moved",
            value: serde_json::json!([m.from, m.to]),
        });
    }
    for a in &desired.applications {
        parts.push(Part {
            name: a.address.to_string(),
            list: "applications",
            value: serde_json::json!([
                a.address,
                a.settings,
                desired.protection(&a.address).is_some()
            ]),
        });
    }
    parts
}

/// The evaluated configuration as a saved plan keeps it, tokens included
/// only through their keyed fingerprints.
pub(crate) struct ConfigurationDigest {
    /// Of everything: what decides whether the configuration changed.
    pub(crate) whole: String,
    /// A short digest of each part, by name: what lets a stale plan say
    /// which address changed.
    pub(crate) parts: BTreeMap<String, String>,
}

/// Both digests of the configuration, from one pass over its parts.
pub(crate) fn configuration_digest(
    desired: &Desired,
    fingerprint: &dyn Fn(&Secret) -> String,
) -> ConfigurationDigest {
    let mut canonical = serde_json::json!({
        "pages": [], "links": [], "imports": [], "removed": [],
        "endpoint": desired.provider.endpoint,
    });
    let mut parts = BTreeMap::new();
    parts.insert(
        "provider.vonage".to_string(),
        short_digest(&serde_json::json!(desired.provider.endpoint)),
    );
    for part in configuration_parts(desired, fingerprint) {
        parts.insert(part.name, short_digest(&part.value));
        // Lists added after the first saved plans ("moved",
        // "applications") appear only when they have entries, so older
        // digests stay the same.
        let list = canonical
            .as_object_mut()
            .expect("an object")
            .entry(part.list)
            .or_insert_with(|| serde_json::json!([]));
        list.as_array_mut().expect("a list").push(part.value);
    }
    ConfigurationDigest {
        whole: hex_sha256(canonical.to_string().as_bytes()),
        parts,
    }
}

/// A short digest of each record in state, by address.
pub(crate) fn state_digests(recorded: &Recorded) -> BTreeMap<String, String> {
    let pages = recorded
        .pages
        .iter()
        .map(|(a, r)| (a.to_string(), short_digest(r)));
    let links = recorded
        .links
        .iter()
        .map(|(a, r)| (a.to_string(), short_digest(r)));
    let applications = recorded
        .applications
        .iter()
        .map(|(a, r)| (a.to_string(), short_digest(r)));
    pages.chain(links).chain(applications).collect()
}

fn hex_sha256(bytes: &[u8]) -> String {
    Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// 64 bits of SHA-256: enough to tell an entry changed, and too little to
/// say anything about a fingerprint inside it.
fn short_digest(value: &impl Serialize) -> String {
    let text = serde_json::to_string(value).unwrap_or_default();
    hex_sha256(text.as_bytes())[..16].to_string()
}

/// What differs between two sets of digests by name, as a stale plan says
/// it: `page.fb["es"] changed, link.x added`. Empty when they agree.
fn differences(then: &BTreeMap<String, String>, now: &BTreeMap<String, String>) -> Vec<String> {
    let mut said = Vec::new();
    for (name, digest) in then {
        match now.get(name) {
            None => said.push(format!("{name} removed")),
            Some(other) if other != digest => said.push(format!("{name} changed")),
            Some(_) => {}
        }
    }
    for name in now.keys().filter(|name| !then.contains_key(*name)) {
        said.push(format!("{name} added"));
    }
    said
}

/// The addresses whose planned change or calls differ between the saved
/// plan and the plan made now.
fn replanned_differences(saved: &Plan, now: &Plan) -> Vec<String> {
    let mut addresses: BTreeSet<String> = BTreeSet::new();
    let changes = |plan: &Plan| -> BTreeMap<String, serde_json::Value> {
        plan.changes
            .iter()
            .map(|c| (c.address.to_string(), serde_json::json!(c)))
            .collect()
    };
    let (before, after) = (changes(saved), changes(now));
    for address in before.keys().chain(after.keys()) {
        if before.get(address) != after.get(address) {
            addresses.insert(address.clone());
        }
    }
    let calls = |plan: &Plan| -> BTreeMap<String, Vec<serde_json::Value>> {
        let mut by_address: BTreeMap<String, Vec<serde_json::Value>> = BTreeMap::new();
        for call in &plan.calls {
            for address in &call.addresses {
                by_address
                    .entry(address.to_string())
                    .or_default()
                    .push(serde_json::json!([call.method, call.path, call.op]));
            }
        }
        by_address
    };
    let (before, after) = (calls(saved), calls(now));
    for address in before.keys().chain(after.keys()) {
        if before.get(address) != after.get(address) {
            addresses.insert(address.clone());
        }
    }
    addresses.into_iter().collect()
}

/// `: page.x changed, link.y added`, or nothing when no name is known.
fn naming(what: &[String]) -> String {
    if what.is_empty() {
        String::new()
    } else {
        format!(": {}", what.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::desired::{DesiredPage, Location};

    fn desired(token: &str, name: &str) -> Desired {
        Desired {
            pages: vec![DesiredPage {
                address: Address::page("support"),
                page_id: "1".into(),
                name: Some(name.into()),
                access_token: Some(Secret::new(token)),
                token_from_facebook: false,
                location: Location::default(),
            }],
            ..Desired::default()
        }
    }

    fn fp(token: &Secret) -> String {
        Sha256::digest(token.expose().as_bytes())
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    #[test]
    fn the_digest_follows_tokens_and_attributes_but_never_holds_a_token() {
        let digest = |token, name| configuration_digest(&desired(token, name), &fp).whole;
        let base = digest("tok-1", "A");
        assert_eq!(base, digest("tok-1", "A"));
        assert_ne!(base, digest("tok-2", "A"));
        assert_ne!(base, digest("tok-1", "B"));
        assert!(!base.contains("tok-1"));
    }

    /// Plans saved before the digest was built from parts must stay fresh:
    /// the document it hashes is the one it always hashed.
    #[test]
    fn the_digest_hashes_the_document_it_always_hashed() {
        let desired = desired("tok-1", "A");
        let document = serde_json::json!({
            "pages": [[Address::page("support"), "1", "A", fp(&Secret::new("tok-1")), false]],
            "links": [], "imports": [], "removed": [],
            "endpoint": desired.provider.endpoint,
        });
        assert_eq!(
            configuration_digest(&desired, &fp).whole,
            hex_sha256(document.to_string().as_bytes())
        );
    }

    #[test]
    fn a_stale_plan_names_what_changed_on_each_side() {
        let then = desired("tok-1", "A");
        let saved = SavedPlan {
            format: PLAN_FORMAT.into(),
            created_at: String::new(),
            mode: SavedMode::Normal,
            targets: vec![],
            excludes: vec![],
            reconnect: vec![],
            refreshed: true,
            lineage: "l".into(),
            serial: 3,
            configuration_digest: configuration_digest(&then, &fp).whole,
            configuration_parts: configuration_digest(&then, &fp).parts,
            state_parts: BTreeMap::from([("page.support".into(), "aa".into())]),
            plan: Plan::default(),
            resource_changes: vec![],
        };
        let mut later = desired("tok-2", "A");
        later.pages[0].address = Address::page("other");
        let plan = Plan::default();
        let now = |desired: &Desired, serial, state: &[(&str, &str)]| Now {
            lineage: "l",
            serial,
            configuration_digest: configuration_digest(desired, &fp).whole,
            configuration_parts: configuration_digest(desired, &fp).parts,
            state_parts: state
                .iter()
                .map(|(a, d)| (a.to_string(), d.to_string()))
                .collect(),
            plan: &plan,
        };
        let stale = |now: Now<'_>| saved.check_fresh(&now).unwrap_err().reason;
        assert_eq!(
            stale(now(&then, 4, &[("page.support", "bb"), ("link.x", "cc")])),
            "the state changed since it was made (serial 3 is now 4: page.support changed, link.x added)"
        );
        assert_eq!(
            stale(now(&later, 3, &[("page.support", "aa")])),
            "the configuration (or a variable or token it uses) changed since it was made: \
             page.support removed, page.other added"
        );
        // Only the token differs: named, never shown.
        let token_only = desired("tok-2", "A");
        assert_eq!(
            stale(now(&token_only, 3, &[("page.support", "aa")])),
            "the configuration (or a variable or token it uses) changed since it was made: \
             page.support changed"
        );
        assert!(
            saved
                .check_fresh(&now(&then, 3, &[("page.support", "aa")]))
                .is_ok()
        );
    }

    #[test]
    fn a_saved_plan_round_trips_and_other_files_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("plan.json");
        let saved = SavedPlan {
            format: PLAN_FORMAT.into(),
            created_at: "2026-11-24T00:00:00Z".into(),
            mode: SavedMode::Normal,
            targets: vec![Address::page("x")],
            excludes: vec![Address::link("y")],
            reconnect: vec![],
            refreshed: true,
            lineage: "l".into(),
            serial: 3,
            configuration_digest: "d".into(),
            configuration_parts: BTreeMap::from([("page.x".into(), "0123".into())]),
            state_parts: BTreeMap::new(),
            plan: Plan::default(),
            resource_changes: vec![],
        };
        saved.write(&path).unwrap();
        assert_eq!(SavedPlan::read(&path).unwrap(), saved);
        std::fs::write(&path, "page \"x\" {}").unwrap();
        let error = SavedPlan::read(&path).unwrap_err().to_string();
        assert!(error.contains("is not a socialform plan file"), "{error}");
    }
}
