//! Facebook's side: page tokens read from the Graph API instead of copied
//! by hand, and the health of every token Vonage holds or is about to get.
//!
//! The client (`client.rs`) speaks the Graph subset the contract names:
//! `/me/accounts` (paginated), and batch requests of `debug_token` or
//! `me?fields=id`. `health.rs` turns Graph's answers into `TokenHealth`;
//! `usage.rs` reads Graph's usage headers into the pace of the next request.
//! Tokens travel only in headers and request bodies, never in a URL, so no
//! log line or error that names a URL can carry one.

mod client;
mod health;
mod login;
mod usage;

pub(crate) use client::{GraphClient, GraphConfig, ManagedPage};
pub(crate) use health::{
    TokenCheck, TokenHealth, UserToken, UserTokenHealth, check_tokens, describe_expiry,
};
pub(crate) use login::{DevicePoll, NewToken, dialog_base, dialog_url};

/// The Graph API version every request names. Pinned, so a new Graph
/// version changes nothing until this line does.
pub(crate) const GRAPH_VERSION: &str = "v25.0";
/// Where Graph lives unless configured otherwise.
pub(crate) const DEFAULT_GRAPH_ENDPOINT: &str = "https://graph.facebook.com";
/// Graph refuses batches of more than 50 requests.
pub(crate) const BATCH_LIMIT: usize = 50;
/// Default of `token_warning_days`.
pub(crate) const DEFAULT_WARNING_DAYS: u32 = 14;
/// The permissions a page token needs for Vonage to message through the page.
pub(crate) const NEEDED_PERMISSIONS: &str =
    "pages_show_list, pages_messaging and pages_manage_metadata";
