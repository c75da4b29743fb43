//! The records kept in state.

use crate::address::Address;
use crate::channel::Channel;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A page socialform manages, as of its last successful call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct PageRecord {
    pub address: Address,
    pub page_id: String,
    pub name: Option<String>,
    /// HMAC-SHA256 of the access token under the store's key, hex. `None`
    /// when the token was never known (an import whose token was not given).
    pub token_fingerprint: Option<String>,
}

/// A link socialform manages.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LinkRecord {
    pub address: Address,
    /// The linked account's `external_id`: for messenger the page ID, for
    /// other channels the WhatsApp number, Viber service ID or RCS agent ID.
    pub page_id: String,
    pub application: String,
    /// Left out for messenger, so records written before other channels
    /// existed read back unchanged (and messenger records are unchanged).
    #[serde(default, skip_serializing_if = "Channel::is_messenger")]
    pub channel: Channel,
}

/// An application socialform manages: its id and what it was set to (or
/// read as) at the last successful call or refresh. No key material: the
/// public key only as a fingerprint.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApplicationRecord {
    pub address: Address,
    pub id: String,
    #[serde(flatten)]
    pub settings: crate::application::Settings,
    /// The capabilities besides messages it has (voice, rtc, …): kept
    /// untouched by updates, listed so plans can say so.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub other_capabilities: Vec<String>,
}

/// The whole state as loaded.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Recorded {
    /// Random id given when the state was created; never changes.
    pub lineage: String,
    /// Bumped on every write.
    pub serial: u64,
    pub pages: BTreeMap<Address, PageRecord>,
    pub links: BTreeMap<Address, LinkRecord>,
    #[serde(default)]
    pub applications: BTreeMap<Address, ApplicationRecord>,
}

impl Recorded {
    /// `ops` applied in order, as a backend's `record` applies them.
    pub(crate) fn apply(&mut self, ops: &[StateOp]) {
        for op in ops {
            match op {
                StateOp::PutPage(page) => {
                    self.pages.insert(page.address.clone(), page.clone());
                }
                StateOp::RemovePage(address) => {
                    self.pages.remove(address);
                }
                StateOp::PutLink(link) => {
                    self.links.insert(link.address.clone(), link.clone());
                }
                StateOp::RemoveLink(address) => {
                    self.links.remove(address);
                }
                StateOp::PutApplication(app) => {
                    self.applications.insert(app.address.clone(), app.clone());
                }
                StateOp::RemoveApplication(address) => {
                    self.applications.remove(address);
                }
            }
        }
    }
}

/// One change to state, written together with the others of the same call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", content = "record", rename_all = "snake_case")]
pub enum StateOp {
    PutPage(PageRecord),
    RemovePage(Address),
    PutLink(LinkRecord),
    RemoveLink(Address),
    PutApplication(ApplicationRecord),
    RemoveApplication(Address),
}

impl StateOp {
    /// The address the op writes or removes.
    pub(crate) fn address(&self) -> &Address {
        match self {
            StateOp::PutPage(p) => &p.address,
            StateOp::PutLink(l) => &l.address,
            StateOp::PutApplication(a) => &a.address,
            StateOp::RemovePage(a) | StateOp::RemoveLink(a) | StateOp::RemoveApplication(a) => a,
        }
    }
}

/// One entry of the apply history.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct HistoryEntry {
    /// RFC 3339, UTC.
    pub(crate) started_at: String,
    pub(crate) finished_at: String,
    /// `$USER@hostname` or whatever identifies the operator.
    pub(crate) who: String,
    /// e.g. `apply`, `destroy`, `import`, `state rm`.
    pub(crate) command: String,
    /// One line per change, e.g. `page.support: connect`.
    pub(crate) changes: Vec<String>,
    /// `complete`, `failed`, `interrupted`.
    pub(crate) outcome: String,
}

impl HistoryEntry {
    /// An entry for a command that started at `started_at` and ends now,
    /// run by the current operator (`$USER@host`).
    pub(crate) fn ending_now(
        command: &str,
        started_at: String,
        changes: Vec<String>,
        outcome: &str,
    ) -> HistoryEntry {
        HistoryEntry {
            started_at,
            finished_at: super::now_rfc3339(),
            who: super::operator(),
            command: command.to_string(),
            changes,
            outcome: outcome.to_string(),
        }
    }
}
