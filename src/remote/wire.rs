//! The JSON shapes the two APIs answer with, decoded leniently (unknown
//! fields ignored, optional fields defaulted) and converted to the public
//! types. Only the fields socialform needs are read.

use super::types::{Account, AccountsPage, Application};
use crate::secret::Secret;
use serde::Deserialize;

#[derive(Deserialize)]
pub(crate) struct WireAccount {
    external_id: String,
    provider: String,
    #[serde(default)]
    api_key: Option<String>,
    #[serde(default)]
    name: Option<String>,
    // `null` and a missing field both mean "no application".
    #[serde(default)]
    applications: Option<Vec<String>>,
    #[serde(default)]
    access_token: Option<String>,
}

impl From<WireAccount> for Account {
    fn from(w: WireAccount) -> Self {
        Account {
            external_id: w.external_id,
            provider: w.provider,
            api_key: w.api_key.unwrap_or_default(),
            name: w.name,
            applications: w.applications.unwrap_or_default(),
            access_token: w.access_token.map(Secret::new),
        }
    }
}

#[derive(Deserialize, Default)]
struct Href {
    #[serde(default)]
    href: Option<String>,
}

#[derive(Deserialize, Default)]
struct PageLinks {
    #[serde(default)]
    last: Option<Href>,
    #[serde(default)]
    next: Option<Href>,
}

#[derive(Deserialize)]
pub(crate) struct WireAccountsPage {
    #[serde(default, rename = "_embedded")]
    embedded: Option<Vec<WireAccount>>,
    #[serde(default, rename = "_links")]
    links: Option<PageLinks>,
    #[serde(default)]
    page_number: Option<u32>,
    #[serde(default)]
    page_size: Option<u32>,
}

impl WireAccountsPage {
    /// `requested` fills in what the server left out of the body.
    pub(crate) fn into_page(self, requested_number: u32, requested_size: u32) -> AccountsPage {
        let links = self.links.unwrap_or_default();
        let last_page = links
            .last
            .and_then(|l| l.href)
            .and_then(|href| query_number(&href, "page_number"));
        let has_next = links.next.and_then(|l| l.href).is_some();
        AccountsPage {
            accounts: self
                .embedded
                .unwrap_or_default()
                .into_iter()
                .map(Account::from)
                .collect(),
            page_number: self.page_number.unwrap_or(requested_number),
            page_size: self.page_size.unwrap_or(requested_size),
            last_page,
            has_next,
        }
    }
}

/// The value of a numeric query parameter in an href (absolute or relative).
pub(crate) fn query_number(href: &str, key: &str) -> Option<u32> {
    let query = href.split_once('?')?.1;
    let query = query.split('#').next().unwrap_or(query);
    query.split('&').find_map(|pair| {
        let (k, v) = pair.split_once('=')?;
        if k == key { v.parse().ok() } else { None }
    })
}

#[derive(Deserialize)]
pub(crate) struct WireApplication {
    id: String,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    capabilities: Option<serde_json::Value>,
    #[serde(default)]
    keys: Option<WireKeys>,
}

/// Only the public key is read: serde skips `private_key` (which a create
/// without a public key would answer) without keeping it anywhere.
#[derive(Deserialize)]
struct WireKeys {
    #[serde(default)]
    public_key: Option<String>,
}

/// The messages capability's webhooks and settings; `None` when a webhook
/// address is missing (socialform cannot compare or keep such an app's
/// capability, and says it differs).
fn wire_messages(messages: &serde_json::Value) -> Option<crate::application::Messages> {
    let hook = |name: &str| {
        let hook = messages.get("webhooks")?.get(name)?;
        let address = hook.get("address")?.as_str()?.to_string();
        let method = hook
            .get("http_method")
            .and_then(|m| m.as_str())
            .unwrap_or("POST")
            .to_string();
        Some((address, method))
    };
    let (inbound_url, inbound_method) = hook("inbound_url")?;
    let (status_url, status_method) = hook("status_url")?;
    Some(crate::application::Messages {
        inbound_url,
        inbound_method,
        status_url,
        status_method,
        version: messages
            .get("version")
            .and_then(|v| v.as_str())
            .unwrap_or("v1")
            .to_string(),
        authenticate_inbound_media: messages
            .get("authenticate_inbound_media")
            .and_then(|v| v.as_bool())
            .unwrap_or(false),
    })
}

impl From<WireApplication> for Application {
    fn from(w: WireApplication) -> Self {
        let messages = w
            .capabilities
            .as_ref()
            .and_then(|c| c.get("messages"))
            .filter(|m| !m.is_null());
        let mut other_capabilities: Vec<String> = w
            .capabilities
            .as_ref()
            .and_then(|c| c.as_object())
            .into_iter()
            .flatten()
            .filter(|(name, value)| *name != "messages" && !value.is_null())
            .map(|(name, _)| name.clone())
            .collect();
        other_capabilities.sort();
        Application {
            id: w.id,
            name: w.name.unwrap_or_default(),
            has_messages: messages.is_some(),
            messages: messages.and_then(wire_messages),
            other_capabilities,
            public_key_fingerprint: w
                .keys
                .and_then(|k| k.public_key)
                .map(|pem| crate::application::key_fingerprint(&pem)),
        }
    }
}

#[derive(Deserialize, Default)]
struct EmbeddedApplications {
    #[serde(default)]
    applications: Vec<WireApplication>,
}

#[derive(Deserialize)]
pub(crate) struct WireApplicationsPage {
    #[serde(default)]
    pub(crate) total_pages: Option<u32>,
    #[serde(default, rename = "_embedded")]
    embedded: Option<EmbeddedApplications>,
}

impl WireApplicationsPage {
    pub(crate) fn take_applications(&mut self) -> Vec<Application> {
        self.embedded
            .take()
            .unwrap_or_default()
            .applications
            .into_iter()
            .map(Application::from)
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn query_number_reads_absolute_and_relative_hrefs() {
        let href = "https://api.nexmo.com/beta/chatapp-accounts?page_number=4&page_size=10";
        assert_eq!(query_number(href, "page_number"), Some(4));
        assert_eq!(query_number(href, "page_size"), Some(10));
        assert_eq!(query_number("/x?page=7#frag", "page"), Some(7));
        assert_eq!(query_number("/x", "page"), None);
        assert_eq!(query_number("/x?page=abc", "page"), None);
    }

    #[test]
    fn capabilities_without_messages_are_not_a_messages_app() {
        let app: WireApplication = serde_json::from_str(
            r#"{"id":"a","name":"n","capabilities":{"voice":{},"messages":null}}"#,
        )
        .unwrap();
        assert!(!Application::from(app).has_messages);
    }
}
