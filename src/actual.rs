//! What the remote side looks like, as refresh read it: the planner's third
//! input. Tokens are already reduced to keyed fingerprints here, so nothing
//! past refresh holds a token it read from the API.

use crate::address::Address;
use crate::channel::Channel;
use crate::facebook::{TokenHealth, UserTokenHealth};
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

/// An account of another channel (WhatsApp, Viber, RCS): onboarded outside
/// the API, so only its links are managed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteAccount {
    pub(crate) channel: Channel,
    pub(crate) external_id: String,
    pub(crate) name: Option<String>,
    pub(crate) applications: Vec<String>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RemoteApplication {
    pub id: String,
    pub name: String,
    pub has_messages: bool,
    /// What socialform compares: name, messages, the key's fingerprint.
    pub settings: crate::application::Settings,
    /// Its capabilities besides messages (`voice`, `rtc`, …).
    pub other_capabilities: Vec<String>,
}

/// What Facebook said of the tokens, when it was asked (Facebook
/// credentials were present).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct TokenReport {
    /// Unix seconds: a valid token that expires before this is expiring
    /// (now plus `token_warning_days`).
    pub(crate) expiring_before: i64,
    /// The token Vonage holds, by page ID.
    pub(crate) held: BTreeMap<String, TokenHealth>,
    /// The token the configuration or Facebook would send, by page address;
    /// only those that differ from the token Vonage holds, or whose page is
    /// not connected.
    pub(crate) replacements: BTreeMap<Address, TokenHealth>,
    /// Whether expiries are known: only `debug_token` (app credentials)
    /// tells them; `me?fields=id` says valid or not.
    pub(crate) expiry_known: bool,
    /// The user (or system-user) token the run lists pages with, checked
    /// in the same batches; `None` when there is none.
    pub(crate) user: Option<UserTokenReport>,
}

/// What Facebook said of the user token, and where the run took it from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UserTokenReport {
    pub(crate) health: UserTokenHealth,
    pub(crate) origin: UserTokenOrigin,
}

/// Where the `facebook` provider's user token came from: what to change
/// to give it a fresh one.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UserTokenOrigin {
    /// `user_token` in the provider block.
    Block,
    /// `FACEBOOK_USER_TOKEN`.
    Env,
    /// `socialform login facebook`.
    Login,
    /// The built-in sandbox's demo user.
    SandboxDemo,
}

impl UserTokenOrigin {
    /// Where it came from, for people and machines.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            UserTokenOrigin::Block => "provider block",
            UserTokenOrigin::Env => "FACEBOOK_USER_TOKEN",
            UserTokenOrigin::Login => "socialform login facebook",
            UserTokenOrigin::SandboxDemo => "the sandbox's demo user",
        }
    }

    /// How to replace the token, for people.
    pub(crate) fn remedy(self) -> &'static str {
        match self {
            UserTokenOrigin::Block => {
                "run socialform login facebook and remove user_token from the provider \
                 \"facebook\" block, or give that variable a fresh token"
            }
            UserTokenOrigin::Env => {
                "run socialform login facebook and unset FACEBOOK_USER_TOKEN, or set it to a \
                 fresh token"
            }
            UserTokenOrigin::Login | UserTokenOrigin::SandboxDemo => {
                "run socialform login facebook"
            }
        }
    }
}

#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Actual {
    /// Connected messenger pages by page ID.
    pub pages: BTreeMap<String, RemotePage>,
    /// Accounts of every other channel, by (channel, external_id).
    pub accounts: BTreeMap<(Channel, String), RemoteAccount>,
    /// Applications by id; `None` when not read (`--refresh=false`), in which
    /// case links cannot be checked before apply.
    pub applications: Option<BTreeMap<String, RemoteApplication>>,
    /// False when this view was derived from state instead of read remotely.
    pub refreshed: bool,
    /// Token health; `None` when no token was checked.
    pub tokens: Option<TokenReport>,
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
        let mut accounts: BTreeMap<(Channel, String), RemoteAccount> = BTreeMap::new();
        for link in recorded.links.values() {
            if link.channel.is_messenger() {
                if let Some(page) = pages.get_mut(&link.page_id) {
                    page.applications.push(link.application.clone());
                }
                continue;
            }
            accounts
                .entry((link.channel, link.page_id.clone()))
                .or_insert_with(|| RemoteAccount {
                    channel: link.channel,
                    external_id: link.page_id.clone(),
                    name: None,
                    applications: Vec::new(),
                })
                .applications
                .push(link.application.clone());
        }
        Actual {
            pages,
            accounts,
            applications: None,
            refreshed: false,
            tokens: None,
        }
    }

    /// The applications linked to an account of any channel; `None` when
    /// the account is not there (or, unrefreshed, not known).
    pub(crate) fn applications_of(&self, channel: Channel, external_id: &str) -> Option<&[String]> {
        if channel.is_messenger() {
            self.pages
                .get(external_id)
                .map(|p| p.applications.as_slice())
        } else {
            self.accounts
                .get(&(channel, external_id.to_string()))
                .map(|a| a.applications.as_slice())
        }
    }
}
