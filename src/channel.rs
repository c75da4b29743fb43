//! Channels: the providers of the External Accounts API a link can be made
//! on. Messenger pages are connected by socialform itself; WhatsApp numbers,
//! Viber service accounts and RCS agents are onboarded outside the API, so
//! socialform only manages their links.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Path prefix of the External Accounts API: a channel's accounts are at
/// `{ACCOUNTS_BASE}/{channel}`. The planner names the calls it plans with
/// it, and the client makes them.
pub const ACCOUNTS_BASE: &str = "/beta/chatapp-accounts";

#[derive(
    Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// A Facebook Page (`page` blocks); the default of a `link` block.
    #[default]
    Messenger,
    Whatsapp,
    ViberServiceMsg,
    /// Since spec revision 0.1.6; its accounts have no `GET /rcs/{id}`.
    Rcs,
}

impl Channel {
    pub(crate) const ALL: [Channel; 4] = [
        Channel::Messenger,
        Channel::Whatsapp,
        Channel::ViberServiceMsg,
        Channel::Rcs,
    ];

    /// The API's `provider` value, also the configuration's spelling.
    pub(crate) fn as_str(self) -> &'static str {
        match self {
            Channel::Messenger => "messenger",
            Channel::Whatsapp => "whatsapp",
            Channel::ViberServiceMsg => "viber_service_msg",
            Channel::Rcs => "rcs",
        }
    }

    pub(crate) fn from_provider(provider: &str) -> Option<Channel> {
        Channel::ALL.into_iter().find(|c| c.as_str() == provider)
    }

    pub(crate) fn is_messenger(&self) -> bool {
        *self == Channel::Messenger
    }

    /// What one account of this channel is called in messages.
    pub(crate) fn account_noun(self) -> &'static str {
        match self {
            Channel::Messenger => "page",
            Channel::Whatsapp => "WhatsApp number",
            Channel::ViberServiceMsg => "Viber service account",
            Channel::Rcs => "RCS agent",
        }
    }

    /// Whether the API reads one account of this channel
    /// (`GET /{provider}/{id}`); RCS accounts are only listed.
    pub(crate) fn has_read_path(self) -> bool {
        self != Channel::Rcs
    }
}

impl fmt::Display for Channel {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provider_names_round_trip_through_serde_and_text() {
        for channel in Channel::ALL {
            let json = serde_json::to_string(&channel).unwrap();
            assert_eq!(json, format!("\"{}\"", channel.as_str()));
            assert_eq!(Channel::from_provider(channel.as_str()), Some(channel));
        }
        assert_eq!(Channel::from_provider("viber"), None);
        assert_eq!(Channel::default(), Channel::Messenger);
    }
}
