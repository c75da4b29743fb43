//! Wire types of the two APIs, in the shapes the client hands to the rest of
//! the program. Tokens read back from the API are held as `Secret` and are
//! never serialized again.

use crate::secret::Secret;

pub use crate::channel::ACCOUNTS_BASE;
/// Path prefix of the Application API v2.
pub const APPLICATIONS_BASE: &str = "/v2/applications";

/// One external account (for socialform: a connected Facebook Page).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Account {
    /// The Facebook Page ID for `messenger`.
    pub external_id: String,
    /// `messenger`, `viber_service_msg`, `whatsapp`, `rcs`, …
    pub provider: String,
    pub api_key: String,
    pub name: Option<String>,
    /// Zero or one application ids.
    pub applications: Vec<String>,
    /// Reads return the stored page token in clear; kept only in memory.
    pub access_token: Option<Secret>,
}

/// One page of `GET /beta/chatapp-accounts`.
#[derive(Clone, Debug)]
pub struct AccountsPage {
    pub accounts: Vec<Account>,
    pub page_number: u32,
    pub page_size: u32,
    /// From `_links.last` when present: how many pages there are.
    pub last_page: Option<u32>,
    /// Whether `_links.next` is present.
    pub has_next: bool,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Application {
    pub id: String,
    pub name: String,
    /// Whether `capabilities.messages` is present.
    pub has_messages: bool,
    /// The messages capability as socialform manages it; `None` without it
    /// (or when it lacks a webhook socialform needs).
    pub messages: Option<crate::application::Messages>,
    /// Its other capabilities' names, sorted.
    pub other_capabilities: Vec<String>,
    /// `application::key_fingerprint` of `keys.public_key`; the key itself
    /// is not kept, and a `keys.private_key` in an answer is never read.
    pub public_key_fingerprint: Option<String>,
}

impl Application {
    pub(crate) fn settings(&self) -> crate::application::Settings {
        crate::application::Settings {
            name: self.name.clone(),
            messages: self.messages.clone(),
            public_key_fingerprint: self.public_key_fingerprint.clone(),
        }
    }
}

/// Body of `POST /beta/chatapp-accounts/messenger`.
#[derive(Clone, Debug)]
pub struct ConnectRequest {
    pub external_id: String,
    pub access_token: Secret,
    pub name: Option<String>,
    /// At most one.
    pub applications: Vec<String>,
}

/// Body of `PATCH /beta/chatapp-accounts/messenger/{id}`; `None` fields are
/// left out of the body.
#[derive(Clone, Debug, Default)]
pub struct UpdateRequest {
    pub access_token: Option<Secret>,
    pub name: Option<String>,
    pub applications: Option<Vec<String>>,
}

/// Body of `POST /v2/applications`.
#[derive(Clone, Debug)]
pub struct NewApplication {
    pub name: String,
    /// With `Some(url)`, the application gets the Messages capability with this
    /// inbound (and status) webhook address.
    pub messages_inbound_url: Option<String>,
}
