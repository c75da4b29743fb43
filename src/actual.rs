//! What the remote side looks like, as refresh read it: the planner's third
//! input. Tokens are already reduced to keyed fingerprints here, so nothing
//! past refresh holds a token it read from the API.

use crate::state::Recorded;
use std::collections::BTreeMap;

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemotePage {
    pub page_id: String,
    pub name: Option<String>,
    pub applications: Vec<String>,
    /// Fingerprint of the token the API returned, under the state's key.
    /// `None` when the API did not return one.
    pub token_fingerprint: Option<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteApplication {
    pub id: String,
    pub name: String,
    pub has_messages: bool,
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Actual {
    /// Connected messenger pages by page ID.
    pub pages: BTreeMap<String, RemotePage>,
    /// Applications by id; `None` when not read (`--refresh=false`), in which
    /// case links cannot be checked before apply.
    pub applications: Option<BTreeMap<String, RemoteApplication>>,
    /// False when this view was derived from state instead of read remotely.
    pub refreshed: bool,
}

impl Actual {
    /// `--refresh=false`: take state's word for what the remote side holds.
    pub fn from_recorded(recorded: &Recorded) -> Actual {
        let mut pages: BTreeMap<String, RemotePage> = BTreeMap::new();
        for page in recorded.pages.values() {
            pages.insert(
                page.page_id.clone(),
                RemotePage {
                    page_id: page.page_id.clone(),
                    name: page.name.clone(),
                    applications: Vec::new(),
                    token_fingerprint: page.token_fingerprint.clone(),
                },
            );
        }
        for link in recorded.links.values() {
            if let Some(page) = pages.get_mut(&link.page_id) {
                page.applications.push(link.application.clone());
            }
        }
        Actual {
            pages,
            applications: None,
            refreshed: false,
        }
    }
}
