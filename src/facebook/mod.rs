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

pub(crate) use client::{GraphClient, GraphConfig, GraphError, ManagedPage};
pub(crate) use health::{
    TokenCheck, TokenHealth, UserToken, UserTokenHealth, check_tokens, describe_expiry,
};
pub(crate) use login::{DevicePoll, NewToken, dialog_base, dialog_url};

/// The Graph API version every request names (and the login dialog's).
/// Pinned, so a new Graph version changes nothing until this line does.
/// Facebook keeps a version about two years after its successor ships:
/// when moving it, set `GRAPH_VERSION_END_OF_LIFE` once Facebook's
/// changelog gives the date.
pub(crate) const GRAPH_VERSION: &str = "v25.0";
/// The day the pinned version stops answering (`YYYY-MM-DD`), once
/// Facebook has named it; v25.0 (February 2026) has no successor in
/// Facebook's changelog as this was written, so no date yet.
pub(crate) const GRAPH_VERSION_END_OF_LIFE: Option<&str> = None;
/// How early the end of life is warned of.
const END_OF_LIFE_WARNING_DAYS: i64 = 180;

/// A warning when `version`'s end of life (`YYYY-MM-DD`) is within
/// `END_OF_LIFE_WARNING_DAYS` of `now` (Unix seconds), or past.
pub(crate) fn version_warning(
    version: &str,
    end_of_life: Option<&str>,
    now: i64,
) -> Option<String> {
    let day = end_of_life?;
    let at = humantime::parse_rfc3339(&format!("{day}T00:00:00Z")).ok()?;
    let at = at.duration_since(std::time::UNIX_EPOCH).ok()?.as_secs() as i64;
    let days = (at - now).div_euclid(86_400);
    if days > END_OF_LIFE_WARNING_DAYS {
        return None;
    }
    Some(if days < 0 {
        format!(
            "this socialform speaks Graph API {version}, which Facebook retired on {day}: \
             upgrade socialform"
        )
    } else {
        format!(
            "this socialform speaks Graph API {version}, which Facebook retires on {day} (in \
             {days} day(s)): upgrade socialform before then"
        )
    })
}

/// The warning for the pinned version, now.
pub(crate) fn graph_version_warning() -> Option<String> {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or(0);
    version_warning(GRAPH_VERSION, GRAPH_VERSION_END_OF_LIFE, now)
}

/// Where Graph lives unless configured otherwise.
pub(crate) const DEFAULT_GRAPH_ENDPOINT: &str = "https://graph.facebook.com";
/// Graph refuses batches of more than 50 requests.
pub(crate) const BATCH_LIMIT: usize = 50;
/// Default of `token_warning_days`.
pub(crate) const DEFAULT_WARNING_DAYS: u32 = 14;
/// The permissions a page token needs for Vonage to message through the page.
pub(crate) const NEEDED_PERMISSIONS: &str =
    "pages_show_list, pages_messaging and pages_manage_metadata";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_end_of_life_is_warned_of_when_near_or_past() {
        // 2027-10-01T00:00:00Z
        let eol = 1_822_348_800;
        let day = Some("2027-10-01");
        assert_eq!(version_warning("v23.0", None, eol), None);
        assert_eq!(version_warning("v23.0", day, eol - 200 * 86_400), None);
        let near = version_warning("v23.0", day, eol - 30 * 86_400).unwrap();
        assert!(
            near.contains("Graph API v23.0, which Facebook retires on 2027-10-01 (in 30 day(s))"),
            "{near}"
        );
        let past = version_warning("v23.0", day, eol + 86_400).unwrap();
        assert!(past.contains("retired on 2027-10-01"), "{past}");
        assert_eq!(
            graph_version_warning(),
            None,
            "the pinned version is not near its end"
        );
    }
}
