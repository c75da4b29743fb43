//! The plan in Terraform's `resource_changes` layout, for the tools and
//! policies written against Terraform's plan JSON (conftest, OPA, Atlantis).
//!
//! One entry per resource the plan covers: every resource that changes, and
//! every declared resource in scope that does not (`["no-op"]`), as
//! Terraform lists them. `before` and `after` are whole objects, never
//! holding a token: `access_token` is only marked in `before_sensitive` /
//! `after_sensitive`, and in `after_unknown` while Facebook has not yet
//! supplied it.
//!
//! Built on demand (`--json`, `--policy`, `plan --out`), not by every plan:
//! a human plan of 10,000 unchanged pages has no use for 10,000 objects.

use super::model::{Action, Plan};
use super::{Mode, PlanOptions};
use crate::address::{Address, ResourceKind};
use crate::channel::Channel;
use crate::desired::{Desired, DesiredLink, DesiredPage};
use crate::state::{LinkRecord, PageRecord, Recorded};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Terraform's change actions.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub(crate) enum TfAction {
    Create,
    Update,
    Delete,
    NoOp,
    /// Terraform 1.7's action for `removed { lifecycle { destroy = false } }`.
    Forget,
}

/// One resource's change, in Terraform's terms, with socialform's own
/// actions beside it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub(crate) struct ResourceChange {
    pub(crate) address: Address,
    /// `[delete, create]` for a replacement, one action otherwise.
    pub(crate) actions: Vec<TfAction>,
    pub(crate) socialform_actions: Vec<Action>,
    pub(crate) before: Option<Object>,
    pub(crate) after: Option<Object>,
    /// A token is held (before) or will be (after): marked, never shown.
    pub(crate) token_before: bool,
    pub(crate) token_after: bool,
    /// The token comes from Facebook and is not known yet.
    pub(crate) token_after_unknown: bool,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) previous_address: Option<Address>,
    /// The page ID an `import` block adopts.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) importing: Option<String>,
}

/// A resource as it is (before) or will be (after), without its token.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub(crate) enum Object {
    Page {
        page_id: String,
        name: Option<String>,
    },
    /// `account` is the page ID on Messenger.
    Link {
        account: String,
        application: String,
        channel: Channel,
    },
    /// `id` is `None` until the application is created.
    Application {
        id: Option<String>,
        settings: crate::application::Settings,
    },
}

impl Object {
    /// What an import names it by: a page's page ID, an application's id.
    fn import_id(&self) -> Option<&str> {
        match self {
            Object::Page { page_id, .. } => Some(page_id),
            Object::Application { id, .. } => id.as_deref(),
            Object::Link { .. } => None,
        }
    }
}

/// Every resource `plan` covers, sorted by address.
pub(crate) fn build(
    plan: &Plan,
    desired: &Desired,
    recorded: &Recorded,
    options: &PlanOptions,
) -> Vec<ResourceChange> {
    let mut by_address: BTreeMap<&Address, Vec<&super::Change>> = BTreeMap::new();
    for change in &plan.changes {
        by_address.entry(&change.address).or_default().push(change);
    }
    let desired_pages: BTreeMap<&Address, &DesiredPage> =
        desired.pages.iter().map(|p| (&p.address, p)).collect();
    let desired_links: BTreeMap<&Address, &DesiredLink> =
        desired.links.iter().map(|l| (&l.address, l)).collect();
    let desired_applications: BTreeMap<&Address, &crate::desired::DesiredApplication> = desired
        .applications
        .iter()
        .map(|a| (&a.address, a))
        .collect();
    // The ids of applications that exist, by the address they have once
    // moved blocks are applied: a link's `application.NAME.id` shows the
    // id, not a placeholder, unless the application is created now.
    let mut application_ids: BTreeMap<Address, String> = recorded
        .applications
        .iter()
        .map(|(a, r)| (a.clone(), r.id.clone()))
        .collect();
    for change in &plan.changes {
        if let (Action::Move, Some(from)) = (change.action, &change.previous_address)
            && let Some(record) = recorded.applications.get(from)
        {
            application_ids.remove(from);
            application_ids.insert(change.address.clone(), record.id.clone());
        }
    }
    for change in &plan.changes {
        if change.address.kind == ResourceKind::Application
            && matches!(change.action, Action::Create | Action::Delete)
        {
            application_ids.remove(&change.address);
        }
        // An import block's application exists, under the id imported.
        if change.address.kind == ResourceKind::Application
            && change.action == Action::Import
            && let Some(import) = desired.imports.iter().find(|i| i.to == change.address)
        {
            application_ids.insert(change.address.clone(), import.id.clone());
        }
    }
    let link_application = |application: &str| -> String {
        crate::application::unknown_id_of(application)
            .and_then(|address| application_ids.get(&address).cloned())
            .unwrap_or_else(|| application.to_string())
    };
    // Unchanged resources: only when planning toward the configuration, and
    // only those the plan's -target / -exclude let in.
    let unchanged: Vec<&Address> = if options.mode == Mode::Normal {
        let covered = |a: &Address| {
            (options.targets.is_empty() || options.targets.iter().any(|t| t.contains(a)))
                && !options.excludes.iter().any(|e| e.contains(a))
        };
        (desired_pages.keys().chain(desired_links.keys()))
            .chain(desired_applications.keys())
            .filter(|a| !by_address.contains_key(**a) && covered(a))
            .copied()
            .collect()
    } else {
        Vec::new()
    };
    for address in unchanged {
        by_address.entry(address).or_default();
    }

    by_address
        .into_iter()
        .map(|(address, changes)| {
            let socialform_actions: Vec<Action> = changes.iter().map(|c| c.action).collect();
            let previous_address = changes.iter().find_map(|c| c.previous_address.clone());
            let actions = terraform_actions(&socialform_actions);
            let ends = matches!(actions.as_slice(), [TfAction::Delete] | [TfAction::Forget]);
            let recorded_at = previous_address.as_ref().unwrap_or(address);
            let (before, token_before) = match address.kind {
                ResourceKind::Page => recorded.pages.get(recorded_at).map(page_record_object),
                ResourceKind::Link => recorded.links.get(recorded_at).map(link_record_object),
                ResourceKind::Application => recorded.applications.get(recorded_at).map(|a| {
                    let object = Object::Application {
                        id: Some(a.id.clone()),
                        settings: a.settings.clone(),
                    };
                    (object, false)
                }),
            }
            .map_or((None, false), |(object, token)| (Some(object), token));
            let (after, token_after, token_after_unknown) = if ends {
                (None, false, false)
            } else {
                match address.kind {
                    ResourceKind::Page => desired_pages.get(address).map(|p| {
                        let known = p.access_token.is_some();
                        (Some(page_object(p)), known || p.token_from_facebook, !known)
                    }),
                    ResourceKind::Link => desired_links.get(address).map(|l| {
                        (
                            Some(link_object(
                                l.channel,
                                &l.page_id,
                                &link_application(&l.application),
                            )),
                            false,
                            false,
                        )
                    }),
                    ResourceKind::Application => desired_applications.get(address).map(|a| {
                        let id = application_ids.get(address).cloned();
                        let mut settings = a.settings.clone();
                        // No key in the configuration keeps the one there is.
                        if settings.public_key_fingerprint.is_none() {
                            settings.public_key_fingerprint = recorded
                                .applications
                                .get(recorded_at)
                                .and_then(|r| r.settings.public_key_fingerprint.clone());
                        }
                        (Some(Object::Application { id, settings }), false, false)
                    }),
                }
                .unwrap_or((before.clone(), token_before, false))
            };
            let importing = socialform_actions
                .contains(&Action::Import)
                .then(|| after.as_ref().and_then(Object::import_id).map(String::from))
                .flatten();
            // An import adopts what is there: before is the same object.
            let (before, token_before) = if importing.is_some() && before.is_none() {
                (after.clone(), token_after && !token_after_unknown)
            } else {
                (before, token_before)
            };
            ResourceChange {
                address: address.clone(),
                actions,
                socialform_actions,
                before,
                after,
                token_before,
                token_after,
                token_after_unknown,
                previous_address,
                importing,
            }
        })
        .collect()
}

/// socialform's actions on one address, as Terraform would name them.
fn terraform_actions(actions: &[Action]) -> Vec<TfAction> {
    let mut strongest: Option<Vec<TfAction>> = None;
    for action in actions {
        let mapped = match action {
            Action::Replace => vec![TfAction::Delete, TfAction::Create],
            Action::Connect | Action::Link | Action::Create => vec![TfAction::Create],
            Action::Disconnect | Action::Unlink | Action::Delete => vec![TfAction::Delete],
            Action::Update | Action::Reconnect | Action::Relink => vec![TfAction::Update],
            Action::Forget => vec![TfAction::Forget],
            // A move or an import alone changes nothing remotely.
            Action::Move | Action::Import => continue,
        };
        // A replacement outranks the rest; otherwise the first one stands.
        if strongest.is_none() || mapped.len() == 2 {
            strongest = Some(mapped);
        }
    }
    strongest.unwrap_or_else(|| vec![TfAction::NoOp])
}

fn page_object(page: &DesiredPage) -> Object {
    Object::Page {
        page_id: page.page_id.clone(),
        name: page.name.clone(),
    }
}

fn page_record_object(record: &PageRecord) -> (Object, bool) {
    let object = Object::Page {
        page_id: record.page_id.clone(),
        name: record.name.clone(),
    };
    (object, record.token_fingerprint.is_some())
}

fn link_object(channel: Channel, account: &str, application: &str) -> Object {
    Object::Link {
        account: account.to_string(),
        application: application.to_string(),
        channel,
    }
}

fn link_record_object(record: &LinkRecord) -> (Object, bool) {
    (
        link_object(record.channel, &record.page_id, &record.application),
        false,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_map_onto_terraforms() {
        use TfAction::*;
        assert_eq!(terraform_actions(&[Action::Connect]), vec![Create]);
        assert_eq!(terraform_actions(&[Action::Reconnect]), vec![Update]);
        assert_eq!(terraform_actions(&[Action::Relink]), vec![Update]);
        assert_eq!(terraform_actions(&[Action::Unlink]), vec![Delete]);
        assert_eq!(terraform_actions(&[Action::Replace]), vec![Delete, Create]);
        assert_eq!(terraform_actions(&[Action::Forget]), vec![Forget]);
        assert_eq!(terraform_actions(&[Action::Move]), vec![NoOp]);
        assert_eq!(terraform_actions(&[Action::Import]), vec![NoOp]);
        assert_eq!(terraform_actions(&[]), vec![NoOp]);
        assert_eq!(
            terraform_actions(&[Action::Move, Action::Update]),
            vec![Update]
        );
        assert_eq!(
            terraform_actions(&[Action::Unlink, Action::Replace]),
            vec![Delete, Create]
        );
    }
}
