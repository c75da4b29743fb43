//! What socialform manages of a Vonage application (Application API v2):
//! its name, its messages capability and the fingerprint of its public key.
//! One shape for the configuration, state, refresh and the plan, so that
//! comparing them is comparing values.
//!
//! Also the placeholder a link carries for the id of an application that
//! does not exist yet: Vonage chooses ids, so a link to an application
//! created in the same run learns its id only once the create has answered.

use crate::address::Address;
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

/// The messages capability: two webhooks, the API version of the payloads
/// and whether inbound media needs authentication.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Messages {
    pub inbound_url: String,
    pub inbound_method: String,
    pub status_url: String,
    pub status_method: String,
    /// `v0.1` or `v1`.
    pub version: String,
    pub authenticate_inbound_media: bool,
}

/// An application as socialform compares it. Never holds key material
/// beyond a fingerprint of the public key.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settings {
    pub name: String,
    /// `None`: the application has no messages capability.
    pub messages: Option<Messages>,
    /// `sha256:HEX` of the PEM (trimmed); `None` when there is none (or,
    /// in the configuration, when `public_key` is not set: then whatever
    /// key the application has is kept).
    pub public_key_fingerprint: Option<String>,
}

/// The versions of the messages payloads Vonage offers.
pub const VERSIONS: [&str; 2] = ["v0.1", "v1"];
/// The webhook methods Vonage accepts.
pub const HTTP_METHODS: [&str; 2] = ["POST", "GET"];

const UNKNOWN_PREFIX: &str = "(known after apply: ";

/// The id of `address` until it is created, as links carry it.
pub fn unknown_id(address: &Address) -> String {
    format!("{UNKNOWN_PREFIX}{address})")
}

/// The application whose create a placeholder id waits for.
pub fn unknown_id_of(id: &str) -> Option<Address> {
    id.strip_prefix(UNKNOWN_PREFIX)?
        .strip_suffix(')')?
        .parse()
        .ok()
        .filter(|a: &Address| a.kind == crate::address::ResourceKind::Application)
}

/// The fingerprint kept of a public key: public keys are not secret, but
/// state, plans and output keep only this, so that nothing downstream has
/// to tell a public key from a private one.
pub fn key_fingerprint(pem: &str) -> String {
    let digest = Sha256::digest(pem.trim().as_bytes());
    let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{}", &hex[..32])
}

/// The attribute differences between two settings, by the names drift and
/// plans use (`name`, `messages.inbound_url`, …), as (attribute, before,
/// after). A `public_key_fingerprint` of `None` on the `after` side means
/// "keep whatever key there is" and is no difference.
pub(crate) fn differences(
    before: &Settings,
    after: &Settings,
) -> Vec<(&'static str, Option<String>, Option<String>)> {
    let mut out = Vec::new();
    if before.name != after.name {
        out.push(("name", Some(before.name.clone()), Some(after.name.clone())));
    }
    match (&before.messages, &after.messages) {
        (Some(b), Some(a)) => {
            let pairs: [(&'static str, String, String); 5] = [
                (
                    "messages.inbound_url",
                    b.inbound_url.clone(),
                    a.inbound_url.clone(),
                ),
                (
                    "messages.status_url",
                    b.status_url.clone(),
                    a.status_url.clone(),
                ),
                ("messages.http_method", methods(b), methods(a)),
                ("messages.version", b.version.clone(), a.version.clone()),
                (
                    "messages.authenticate_inbound_media",
                    b.authenticate_inbound_media.to_string(),
                    a.authenticate_inbound_media.to_string(),
                ),
            ];
            for (name, b, a) in pairs {
                if b != a {
                    out.push((name, Some(b), Some(a)));
                }
            }
        }
        (None, Some(a)) => out.push(("messages", None, Some(a.inbound_url.clone()))),
        (Some(b), None) => out.push(("messages", Some(b.inbound_url.clone()), None)),
        (None, None) => {}
    }
    if after.public_key_fingerprint.is_some()
        && before.public_key_fingerprint != after.public_key_fingerprint
    {
        out.push((
            "public_key",
            before.public_key_fingerprint.clone(),
            after.public_key_fingerprint.clone(),
        ));
    }
    out
}

/// Both webhooks' method, as one value when they agree.
fn methods(m: &Messages) -> String {
    if m.inbound_method == m.status_method {
        m.inbound_method.clone()
    } else {
        format!("inbound {}, status {}", m.inbound_method, m.status_method)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn settings(inbound: &str, key: Option<&str>) -> Settings {
        Settings {
            name: "Bot".into(),
            messages: Some(Messages {
                inbound_url: inbound.into(),
                inbound_method: "POST".into(),
                status_url: "https://example.com/status".into(),
                status_method: "POST".into(),
                version: "v1".into(),
                authenticate_inbound_media: false,
            }),
            public_key_fingerprint: key.map(key_fingerprint),
        }
    }

    #[test]
    fn placeholders_name_their_application() {
        let address = Address::application("support");
        let id = unknown_id(&address);
        assert_eq!(id, "(known after apply: application.support)");
        assert_eq!(unknown_id_of(&id), Some(address));
        assert_eq!(unknown_id_of("c0ffee00-0000-4000-8000-000000000001"), None);
        assert_eq!(unknown_id_of("(known after apply: page.x)"), None);
    }

    #[test]
    fn fingerprints_ignore_surrounding_whitespace() {
        assert_eq!(key_fingerprint("PEM\n"), key_fingerprint("  PEM"));
        assert_ne!(key_fingerprint("PEM"), key_fingerprint("OTHER"));
        assert!(key_fingerprint("PEM").starts_with("sha256:"));
    }

    #[test]
    fn differences_are_named_by_attribute() {
        let before = settings("https://a", Some("K1"));
        assert!(differences(&before, &before).is_empty());
        let after = settings("https://b", None);
        assert_eq!(
            differences(&before, &after),
            [(
                "messages.inbound_url",
                Some("https://a".to_string()),
                Some("https://b".to_string())
            )],
            "no key in the configuration keeps the key"
        );
        let rekeyed = settings("https://a", Some("K2"));
        assert_eq!(differences(&before, &rekeyed)[0].0, "public_key");
    }
}
