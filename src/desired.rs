//! What the configuration asks for, after evaluation: the plain model the
//! planner consumes. Produced by `config::load`; holds no HCL.

use crate::address::Address;
use crate::channel::Channel;
use crate::secret::Secret;
use std::fmt;
use std::path::PathBuf;

/// A place in a configuration file, 1-based, for diagnostics.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Location {
    pub(crate) file: PathBuf,
    pub(crate) line: usize,
    pub(crate) column: usize,
}

impl fmt::Display for Location {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}:{}", self.file.display(), self.line, self.column)
    }
}

/// The `provider "vonage"` block, with its defaults not yet applied
/// (environment variables are the CLI's business).
#[derive(Clone, Debug, Default)]
pub(crate) struct ProviderSettings {
    pub(crate) api_key: Option<String>,
    pub(crate) api_secret: Option<Secret>,
    /// `None`: not set in the configuration. `Some("sandbox")`: the built-in emulator.
    pub(crate) endpoint: Option<String>,
    /// Where `endpoint` is set, for messages about it.
    pub(crate) endpoint_location: Option<Location>,
    /// The External Accounts API's rate for this key; `None`: not set.
    pub(crate) requests_per_second: Option<f64>,
    /// CAs to trust instead of the system's (a re-signing proxy's).
    pub(crate) ca_file: Option<std::path::PathBuf>,
}

/// The `provider "facebook"` block, its defaults (the `FACEBOOK_*`
/// environment variables) not yet applied.
#[derive(Clone, Debug, Default)]
pub(crate) struct FacebookSettings {
    pub(crate) user_token: Option<Secret>,
    pub(crate) app_id: Option<String>,
    pub(crate) app_secret: Option<Secret>,
    /// `Some("sandbox")`: the built-in emulator.
    pub(crate) endpoint: Option<String>,
    pub(crate) endpoint_location: Option<Location>,
    pub(crate) token_warning_days: Option<u32>,
    /// CAs to trust instead of the system's (a re-signing proxy's).
    pub(crate) ca_file: Option<std::path::PathBuf>,
}

#[derive(Clone, Debug)]
pub struct DesiredPage {
    pub address: Address,
    /// The Facebook Page ID, all digits.
    pub page_id: String,
    pub name: Option<String>,
    /// `None` only when the configuration was loaded with
    /// `allow_unknown_tokens` and the token's variable is unset.
    pub access_token: Option<Secret>,
    /// No `access_token` in the block: Facebook supplies it (`/me/accounts`
    /// with the user token), and `access_token` stays `None` until then.
    pub token_from_facebook: bool,
    pub location: Location,
}

#[derive(Clone, Debug)]
pub struct DesiredLink {
    pub address: Address,
    pub channel: Channel,
    /// Messenger: the page this link belongs to, resolved from its `page`
    /// attribute. `None` on other channels, whose accounts are not declared.
    pub page_address: Option<Address>,
    /// The linked account's `external_id`: the page ID (messenger), or the
    /// `account` attribute on other channels.
    pub page_id: String,
    /// Application UUID, lower-case; or, for `application.NAME.id`, the
    /// placeholder `application::unknown_id` until the planner resolves it.
    pub application: String,
    pub location: Location,
}

/// `application "NAME" { ... }`: a Vonage application with the messages
/// capability.
#[derive(Clone, Debug)]
pub struct DesiredApplication {
    pub address: Address,
    /// What it should be; the key only as a fingerprint.
    pub settings: crate::application::Settings,
    /// The PEM public key itself, which creates and updates send; `None`:
    /// keep whatever key the application has.
    pub public_key: Option<String>,
    pub location: Location,
}

/// `import { to = ADDR  id = "ID" }`: a page (by its page ID) or an
/// application (by its UUID), as `to.kind` says.
#[derive(Clone, Debug)]
pub(crate) struct ImportDecl {
    pub(crate) to: Address,
    /// The page ID (all digits) or the application's UUID (lower case).
    pub(crate) id: String,
    pub(crate) location: Location,
}

/// `removed { from = ADDR  lifecycle { destroy = false } }`
#[derive(Clone, Debug)]
pub(crate) struct RemovedDecl {
    /// May be a keyless block address covering every instance.
    pub(crate) from: Address,
    pub(crate) destroy: bool,
    pub(crate) location: Location,
}

/// `moved { from = ADDR  to = ADDR }`: a state record renamed, no API call.
#[derive(Clone, Debug)]
pub(crate) struct MovedDecl {
    /// A keyless block address (on both sides) moves every instance,
    /// keeping keys.
    pub(crate) from: Address,
    pub(crate) to: Address,
    pub(crate) location: Location,
}

#[derive(Clone, Debug, Default)]
pub struct Desired {
    pub(crate) provider: ProviderSettings,
    /// The `provider "facebook"` block, if there is one.
    pub(crate) facebook: Option<FacebookSettings>,
    /// Something used `data.facebook_pages` while Facebook's answer was not
    /// loaded: it was left out, and the configuration must be loaded again
    /// with the answer before anything is planned from it.
    pub(crate) needs_facebook_pages: bool,
    /// The same for `data.vonage_applications`, until the account's
    /// applications are read.
    pub(crate) needs_vonage_applications: bool,
    /// The `backend "postgres"` block; `None`: the local store.
    pub(crate) backend: Option<crate::state::PostgresSettings>,
    /// Sorted by address.
    pub pages: Vec<DesiredPage>,
    /// Sorted by address.
    pub links: Vec<DesiredLink>,
    /// Sorted by address.
    pub applications: Vec<DesiredApplication>,
    pub(crate) imports: Vec<ImportDecl>,
    pub(crate) removed: Vec<RemovedDecl>,
    /// In declaration order.
    pub(crate) moved: Vec<MovedDecl>,
    /// The blocks with `lifecycle { prevent_destroy = true }`.
    pub(crate) protected: Vec<Protection>,
}

/// A block with `lifecycle { prevent_destroy = true }`. Every instance it
/// declares now, and every instance of it that state holds (a `for_each`
/// key that is gone included), must not be disconnected, unlinked or
/// replaced. A block deleted from the configuration takes its protection
/// with it, as in Terraform.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Protection {
    /// The block: `key` is `None`.
    pub(crate) block: Address,
    /// The block's label.
    pub(crate) location: Location,
}

impl Desired {
    /// The protection of the block that declares (or declared) `address`.
    pub(crate) fn protection(&self, address: &Address) -> Option<&Protection> {
        self.protected
            .iter()
            .find(|p| p.block.kind == address.kind && p.block.name == address.name)
    }
}
