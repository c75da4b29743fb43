//! The plan: what will change, why, and the exact API calls that will make it so.

use crate::address::{Address, ResourceKind};
use crate::channel::Channel;
use crate::state::StateOp;
use serde::{Deserialize, Deserializer, Serialize};
use std::fmt;

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    // Pages.
    Connect,
    Update,
    Reconnect,
    Disconnect,
    Replace,
    Import,
    Forget,
    /// A state record renamed by a `moved` block (pages and links).
    Move,
    // Links.
    Link,
    Unlink,
    Relink,
    // Applications (`Update` is theirs too: a PUT of the whole document).
    Create,
    Delete,
}

impl Action {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Action::Connect => "connect",
            Action::Update => "update",
            Action::Reconnect => "reconnect",
            Action::Disconnect => "disconnect",
            Action::Replace => "replace",
            Action::Import => "import",
            Action::Forget => "forget",
            Action::Move => "move",
            Action::Link => "link",
            Action::Unlink => "unlink",
            Action::Relink => "relink",
            Action::Create => "create",
            Action::Delete => "delete",
        }
    }

    /// The phrase after "ADDR will be …" in the human plan.
    pub(crate) fn future_phrase(self) -> &'static str {
        match self {
            Action::Connect => "connected",
            Action::Update => "updated in place",
            // One PATCH: the page stays connected, its token is replaced.
            Action::Reconnect => "updated in place with a new access token",
            Action::Disconnect => "disconnected",
            Action::Replace => "replaced (page_id changed)",
            Action::Import => "imported (already connected)",
            Action::Forget => "removed from state, leaving it connected",
            Action::Move => "moved in state, with no API call",
            Action::Link => "linked",
            Action::Unlink => "unlinked",
            Action::Relink => "relinked to another application",
            Action::Create => "created",
            Action::Delete => "deleted",
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// One attribute's before and after, for display. Sensitive values are never
/// carried here: `sensitive` attributes have `(sensitive value)` text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AttrDiff {
    pub(crate) name: &'static str,
    pub(crate) before: Option<String>,
    pub(crate) after: Option<String>,
    pub(crate) sensitive: bool,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Change {
    pub(crate) address: Address,
    pub(crate) action: Action,
    pub(crate) reason: String,
    pub(crate) attributes: Vec<AttrDiff>,
    /// Where a moved record was (`Action::Move` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub(crate) previous_address: Option<Address>,
}

/// Attribute names are a closed set; reading one back from a saved plan
/// maps it onto the same static name.
impl<'de> Deserialize<'de> for AttrDiff {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        #[derive(Deserialize)]
        struct Wire {
            name: String,
            before: Option<String>,
            after: Option<String>,
            sensitive: bool,
        }
        const NAMES: [&str; 15] = [
            "page_id",
            "name",
            "access_token",
            "page",
            "application",
            "channel",
            "account",
            "id",
            "messages",
            "messages.inbound_url",
            "messages.status_url",
            "messages.http_method",
            "messages.version",
            "messages.authenticate_inbound_media",
            "public_key",
        ];
        let wire = Wire::deserialize(deserializer)?;
        let name = NAMES
            .iter()
            .find(|n| **n == wire.name)
            .copied()
            .ok_or_else(|| {
                serde::de::Error::custom(format!("unknown attribute {:?}", wire.name))
            })?;
        Ok(AttrDiff {
            name,
            before: wire.before,
            after: wire.after,
            sensitive: wire.sensitive,
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DriftKind {
    Deleted,
    Changed,
    /// The token Vonage holds is invalid, expired or another page's.
    TokenInvalid,
    /// The token Vonage holds expires within `token_warning_days`.
    TokenExpiring,
    /// The Facebook user token (`provider.facebook`) expires within
    /// `token_warning_days`.
    UserTokenExpiring,
    /// The Facebook user token is invalid, expired or not a user's.
    UserTokenInvalid,
    /// The Facebook user token lacks a permission a page token needs.
    PermissionMissing,
}

impl DriftKind {
    /// The name machines read (JSON, annotations, reports).
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            DriftKind::Deleted => "deleted",
            DriftKind::Changed => "changed",
            DriftKind::TokenInvalid => "token_invalid",
            DriftKind::TokenExpiring => "token_expiring",
            DriftKind::UserTokenExpiring => "user_token_expiring",
            DriftKind::UserTokenInvalid => "user_token_invalid",
            DriftKind::PermissionMissing => "permission_missing",
        }
    }

    /// A change someone made at Vonage (by hand, by another tool), as
    /// opposed to what Facebook says of a token no one changed: the two are
    /// reported under their own headings.
    pub(crate) fn made_outside(self) -> bool {
        match self {
            DriftKind::Deleted | DriftKind::Changed => true,
            DriftKind::TokenInvalid
            | DriftKind::TokenExpiring
            | DriftKind::UserTokenExpiring
            | DriftKind::UserTokenInvalid
            | DriftKind::PermissionMissing => false,
        }
    }
}

/// A difference between state and the remote side, made outside socialform.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Drift {
    pub(crate) address: Address,
    pub(crate) kind: DriftKind,
    pub(crate) attribute: String,
    pub(crate) expected: String,
    pub(crate) actual: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Method {
    #[serde(rename = "POST")]
    Post,
    #[serde(rename = "PATCH")]
    Patch,
    #[serde(rename = "PUT")]
    Put,
    #[serde(rename = "DELETE")]
    Delete,
}

impl Method {
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Method::Post => "POST",
            Method::Patch => "PATCH",
            Method::Put => "PUT",
            Method::Delete => "DELETE",
        }
    }
}

/// What a call does, with everything needed to make it except the token,
/// which apply takes from the configuration of `token_from`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "snake_case")]
pub enum CallOp {
    Connect {
        page_id: String,
        name: Option<String>,
        token_from: Address,
        application: Option<String>,
    },
    Update {
        page_id: String,
        name: Option<String>,
        token_from: Option<Address>,
    },
    Disconnect {
        page_id: String,
    },
    /// `page_id` is the account's `external_id` on every channel.
    Link {
        page_id: String,
        application: String,
        /// Left out for messenger, its default, so saved plans of messenger
        /// links read the same whether or not they name the channel.
        #[serde(default, skip_serializing_if = "Channel::is_messenger")]
        channel: Channel,
    },
    Unlink {
        page_id: String,
        application: String,
        #[serde(default, skip_serializing_if = "Channel::is_messenger")]
        channel: Channel,
    },
    /// `POST /v2/applications`; the public key is taken from the
    /// configuration of `address` at apply time (plans keep only its
    /// fingerprint, in `settings`), and the id Vonage answers replaces the
    /// placeholder `application::unknown_id(address)` in later calls.
    CreateApplication {
        address: Address,
        settings: crate::application::Settings,
    },
    /// `PUT /v2/applications/{id}`: the whole document, the capabilities
    /// other than messages (and the key, when the configuration sets none)
    /// as a read just before finds them.
    UpdateApplication {
        id: String,
        address: Address,
        settings: crate::application::Settings,
    },
    DeleteApplication {
        id: String,
    },
}

impl CallOp {
    /// The channel of the account the call changes.
    pub(crate) fn channel(&self) -> Channel {
        match self {
            CallOp::Link { channel, .. } | CallOp::Unlink { channel, .. } => *channel,
            _ => Channel::Messenger,
        }
    }

    /// The `external_id` of the account the call changes; an
    /// application's id (or, before it exists, its address) for the
    /// Application API's calls.
    pub(crate) fn page_id(&self) -> &str {
        match self {
            CallOp::Connect { page_id, .. }
            | CallOp::Update { page_id, .. }
            | CallOp::Disconnect { page_id }
            | CallOp::Link { page_id, .. }
            | CallOp::Unlink { page_id, .. } => page_id,
            CallOp::UpdateApplication { id, .. } | CallOp::DeleteApplication { id } => id,
            CallOp::CreateApplication { settings, .. } => &settings.name,
        }
    }

    /// Whether the call is one of the Application API's.
    pub(crate) fn is_application(&self) -> bool {
        matches!(
            self,
            CallOp::CreateApplication { .. }
                | CallOp::UpdateApplication { .. }
                | CallOp::DeleteApplication { .. }
        )
    }

    /// The application id a connect or link sends.
    pub(crate) fn linked_application(&self) -> Option<&str> {
        match self {
            CallOp::Connect { application, .. } => application.as_deref(),
            CallOp::Link { application, .. } => Some(application),
            _ => None,
        }
    }
}

/// One mutating API request of the plan.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Call {
    pub method: Method,
    pub path: String,
    pub op: CallOp,
    /// The resources this call changes.
    pub addresses: Vec<Address>,
    /// Indexes (into `Plan::calls`) of calls that must succeed first.
    pub depends_on: Vec<usize>,
    /// What to write to state once the call succeeded.
    pub state_ops: Vec<StateOp>,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Summary {
    pub(crate) connect: usize,
    pub(crate) update: usize,
    pub(crate) reconnect: usize,
    pub(crate) disconnect: usize,
    pub(crate) replace: usize,
    pub(crate) link: usize,
    pub(crate) unlink: usize,
    pub(crate) relink: usize,
    /// Applications: created, updated in place (a PUT), deleted. Present
    /// (all three) only in a plan that changes an application, so the
    /// summary of a plan of pages and links reads as it always has.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) create: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) update_application: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) delete: Option<usize>,
    pub(crate) calls: usize,
}

#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Plan {
    pub changes: Vec<Change>,
    pub drift: Vec<Drift>,
    /// In an order that respects `depends_on`.
    pub calls: Vec<Call>,
    /// State corrections that need no API call (adoptions, forgets, what
    /// refresh found gone); written when the plan is applied.
    pub state_only: Vec<StateOp>,
    /// Worth saying, blocking nothing: a page token that is invalid or
    /// expiring with no replacement at hand.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub warnings: Vec<String>,
    /// `-target` or `-exclude` limited the plan to part of the configuration.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub limited_by: Option<Limit>,
}

/// What limited a plan to part of the configuration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Limit {
    Target,
    Exclude,
}

impl Limit {
    /// Terraform's warning, in socialform's words.
    pub(crate) fn warning(self) -> &'static str {
        match self {
            Limit::Target => {
                "resource targeting is in effect (-target): this plan may not hold every \
                 change the configuration asks for"
            }
            Limit::Exclude => {
                "resources are excluded (-exclude): this plan may not hold every change the \
                 configuration asks for"
            }
        }
    }
}

impl Plan {
    /// Every warning to show with the plan: the limit first, then the
    /// planner's own.
    pub(crate) fn all_warnings(&self) -> Vec<&str> {
        (self.limited_by.map(Limit::warning).into_iter())
            .chain(self.warnings.iter().map(String::as_str))
            .collect()
    }

    pub(crate) fn summary(&self) -> Summary {
        let mut summary = Summary {
            calls: self.calls.len(),
            ..Summary::default()
        };
        if (self.changes.iter()).any(|c| c.address.kind == ResourceKind::Application) {
            summary.create = Some(0);
            summary.update_application = Some(0);
            summary.delete = Some(0);
        }
        let bump = |n: &mut Option<usize>| *n = Some(n.unwrap_or(0) + 1);
        for change in &self.changes {
            match change.action {
                Action::Connect => summary.connect += 1,
                Action::Update if change.address.kind == ResourceKind::Application => {
                    bump(&mut summary.update_application)
                }
                Action::Update => summary.update += 1,
                Action::Reconnect => summary.reconnect += 1,
                Action::Disconnect => summary.disconnect += 1,
                Action::Replace => summary.replace += 1,
                Action::Link => summary.link += 1,
                Action::Unlink => summary.unlink += 1,
                Action::Relink => summary.relink += 1,
                Action::Create => bump(&mut summary.create),
                Action::Delete => bump(&mut summary.delete),
                Action::Import | Action::Forget | Action::Move => {}
            }
        }
        summary
    }

    /// Nothing to call and nothing to record (what the planner's tests
    /// expect of an in-sync world).
    #[cfg(test)]
    pub(crate) fn is_empty(&self) -> bool {
        self.changes.is_empty() && self.calls.is_empty() && self.state_only.is_empty()
    }
}
