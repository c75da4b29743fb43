//! The Application API's calls of a plan: create, update (a PUT of the
//! whole document) and delete.
//!
//! - A create sends the configured public key, so Vonage never generates a
//!   key pair (whose private half it would hand out once); the answer is
//!   read without its keys beyond the public one. Its id is what later
//!   calls put in place of the plan's placeholder.
//! - An update reads the application first and sends back what socialform
//!   does not manage (other capabilities, privacy, the key when the
//!   configuration sets none): the PUT replaces the whole document.
//! - A delete whose answer is 404 found the application already gone.
//!
//! A create whose answer is unclear (5xx, a dropped connection) is never
//! repeated blind: the applications are listed, and one with the same name
//! and inbound webhook is taken as this create's.

use crate::address::Address;
use crate::application::{Settings, key_fingerprint};
use crate::plan::CallOp;
use crate::remote::{ApiError, Client};
use serde_json::{Value, json};
use std::collections::HashMap;

/// What a successful application call tells later calls: the id a create
/// answered.
pub(super) type Created = Option<String>;

pub(super) async fn execute(
    client: &Client,
    op: &CallOp,
    public_keys: &HashMap<Address, String>,
) -> Result<Created, String> {
    match op {
        CallOp::CreateApplication { address, settings } => {
            let key = public_key(address, settings, public_keys)?;
            let document = document(settings, Map::new(), key.as_deref());
            match client.create_application_document(document).await {
                Ok(app) => Ok(Some(app.id)),
                Err(error) if error.outcome_unknown() => match find_created(client, settings).await
                {
                    Some(id) => Ok(Some(id)),
                    None => Err(format!(
                        "POST /v2/applications: {error} (it may or may not have taken effect: run \
                         `socialform plan`, and delete a duplicate application if there is one)"
                    )),
                },
                Err(error) => Err(format!("POST /v2/applications: {error}")),
            }
        }
        CallOp::UpdateApplication {
            id,
            address,
            settings,
        } => {
            let key = public_key(address, settings, public_keys)?;
            let path = format!("/v2/applications/{id}");
            let current = client
                .get_application_document(id)
                .await
                .map_err(|e| format!("GET {path} (read before the PUT): {e}"))?;
            let kept = current.as_object().cloned().unwrap_or_default();
            let document = document(settings, kept, key.as_deref());
            client
                .put_application(id, document)
                .await
                .map(|_| None)
                .map_err(|e| format!("PUT {path}: {e}"))
        }
        CallOp::DeleteApplication { id } => match client.delete_application(id).await {
            Ok(()) | Err(ApiError::NotFound { .. }) => Ok(None),
            Err(error) => Err(format!("DELETE /v2/applications/{id}: {error}")),
        },
        _ => Err("internal error: not an application call".into()),
    }
}

type Map = serde_json::Map<String, Value>;

/// The configured key of `address`, checked against the fingerprint the
/// plan was made with; `None` when the configuration sets none.
fn public_key(
    address: &Address,
    settings: &Settings,
    public_keys: &HashMap<Address, String>,
) -> Result<Option<String>, String> {
    let Some(planned) = &settings.public_key_fingerprint else {
        return Ok(None);
    };
    match public_keys.get(address) {
        Some(pem) if &key_fingerprint(pem) == planned => Ok(Some(pem.clone())),
        Some(_) => Err(format!(
            "{address}: its public_key changed since this plan was made; run `socialform plan` again"
        )),
        None => Err(format!(
            "{address}: the configuration has no public_key for it; run `socialform plan` again"
        )),
    }
}

/// The whole document to send: `current` (the application as read, for
/// an update; empty for a create) with socialform's part replaced. Only
/// what the API takes back is kept: `capabilities` besides messages,
/// `privacy`, and the public key when the configuration sets none.
fn document(settings: &Settings, current: Map, key: Option<&str>) -> Value {
    let mut capabilities = current
        .get("capabilities")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default();
    match &settings.messages {
        Some(m) => {
            capabilities.insert(
                "messages".into(),
                json!({
                    "webhooks": {
                        "inbound_url": {"address": m.inbound_url, "http_method": m.inbound_method},
                        "status_url": {"address": m.status_url, "http_method": m.status_method},
                    },
                    "version": m.version,
                    "authenticate_inbound_media": m.authenticate_inbound_media,
                }),
            );
        }
        None => {
            capabilities.remove("messages");
        }
    }
    let mut document = json!({ "name": settings.name, "capabilities": capabilities });
    let kept_key = current
        .get("keys")
        .and_then(|k| k.get("public_key"))
        .and_then(Value::as_str);
    if let Some(key) = key.or(kept_key) {
        document["keys"] = json!({ "public_key": key });
    }
    if let Some(privacy) = current.get("privacy") {
        document["privacy"] = privacy.clone();
    }
    document
}

/// After an unclear create: the application it made, if it made one (the
/// same name and inbound webhook). Reading fails quietly: then nobody knows.
async fn find_created(client: &Client, settings: &Settings) -> Option<String> {
    let apps = client.list_applications().await.ok()?;
    apps.into_iter()
        .find(|a| a.settings().name == settings.name && a.messages == settings.messages)
        .map(|a| a.id)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::application::Messages;

    fn settings(key: Option<&str>) -> Settings {
        Settings {
            name: "Bot".into(),
            messages: Some(Messages {
                inbound_url: "https://example.com/in".into(),
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
    fn an_update_keeps_what_socialform_does_not_manage() {
        let current = json!({
            "id": "x",
            "name": "Old",
            "capabilities": {"voice": {"webhooks": {}}, "messages": {"webhooks": {}}},
            "keys": {"public_key": "OLD KEY"},
            "privacy": {"improve_ai": false},
            "_links": {}
        });
        let doc = document(&settings(None), current.as_object().cloned().unwrap(), None);
        assert_eq!(doc["name"], "Bot");
        assert!(doc["capabilities"]["voice"].is_object());
        assert_eq!(
            doc["capabilities"]["messages"]["webhooks"]["inbound_url"]["address"],
            "https://example.com/in"
        );
        assert_eq!(doc["keys"]["public_key"], "OLD KEY");
        assert_eq!(doc["privacy"]["improve_ai"], false);
        assert!(doc.get("id").is_none() && doc.get("_links").is_none());
        let rekeyed = document(
            &settings(Some("NEW")),
            current.as_object().cloned().unwrap(),
            Some("NEW"),
        );
        assert_eq!(rekeyed["keys"]["public_key"], "NEW");
    }

    #[test]
    fn a_key_changed_since_the_plan_is_refused() {
        let address = Address::application("bot");
        let keys = HashMap::from([(address.clone(), "OTHER".to_string())]);
        assert!(public_key(&address, &settings(Some("PLANNED")), &keys).is_err());
        let keys = HashMap::from([(address.clone(), "PLANNED".to_string())]);
        assert_eq!(
            public_key(&address, &settings(Some("PLANNED")), &keys),
            Ok(Some("PLANNED".into()))
        );
        assert_eq!(public_key(&address, &settings(None), &keys), Ok(None));
    }
}
