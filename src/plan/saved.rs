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
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
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
    /// (`lineage`, `serial`), the configuration (`digest` of the current one)
    /// or the remote side (`replanned`, the plan made now from the plan's
    /// own options, differs).
    pub(crate) fn check_fresh(
        &self,
        lineage: &str,
        serial: u64,
        digest: &str,
        replanned: &Plan,
    ) -> Result<(), Stale> {
        let reason = if lineage != self.lineage {
            "it was made for another state (lineage differs)".to_string()
        } else if serial != self.serial {
            format!(
                "the state changed since it was made (serial {} is now {serial})",
                self.serial
            )
        } else if digest != self.configuration_digest {
            "the configuration (or a variable or token it uses) changed since it was made"
                .to_string()
        } else if replanned != &self.plan {
            "the remote side changed since it was made".to_string()
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

/// A digest of everything the evaluated configuration says, tokens
/// included only through their keyed fingerprints.
pub(crate) fn configuration_digest(
    desired: &Desired,
    fingerprint: &dyn Fn(&Secret) -> String,
) -> String {
    let pages: Vec<_> = desired
        .pages
        .iter()
        .map(|p| {
            serde_json::json!([
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
            ])
        })
        .collect();
    let links: Vec<_> = desired
        .links
        .iter()
        .map(|l| {
            // Messenger links hash as they did before other channels.
            let mut entry = if l.channel.is_messenger() {
                serde_json::json!([l.address, l.page_id, l.application])
            } else {
                serde_json::json!([l.address, l.page_id, l.application, l.channel])
            };
            // Only when set, so digests of plans saved before links could
            // be protected stay the same.
            if let (Some(entry), Some(_)) = (entry.as_array_mut(), desired.protection(&l.address)) {
                entry.push(serde_json::json!("prevent_destroy"));
            }
            entry
        })
        .collect();
    let imports: Vec<_> = desired
        .imports
        .iter()
        .map(|i| serde_json::json!([i.to, i.page_id]))
        .collect();
    let removed: Vec<_> = desired
        .removed
        .iter()
        .map(|r| serde_json::json!([r.from, r.destroy]))
        .collect();
    let mut canonical = serde_json::json!({
        "pages": pages, "links": links, "imports": imports, "removed": removed,
        "endpoint": desired.provider.endpoint,
    });
    // Only when there are any, so digests of plans saved before moved
    // blocks existed stay the same.
    if !desired.moved.is_empty() {
        let moved: Vec<_> = desired
            .moved
            .iter()
            .map(|m| serde_json::json!([m.from, m.to]))
            .collect();
        canonical["moved"] = serde_json::json!(moved);
    }
    let digest = Sha256::digest(canonical.to_string().as_bytes());
    digest.iter().map(|b| format!("{b:02x}")).collect()
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
        let base = configuration_digest(&desired("tok-1", "A"), &fp);
        assert_eq!(base, configuration_digest(&desired("tok-1", "A"), &fp));
        assert_ne!(base, configuration_digest(&desired("tok-2", "A"), &fp));
        assert_ne!(base, configuration_digest(&desired("tok-1", "B"), &fp));
        assert!(!base.contains("tok-1"));
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
