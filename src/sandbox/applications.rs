//! Application API v2 handlers (`/v2/applications`): the part socialform
//! needs (list, read, create, replace, delete).

use super::problem::{Answer, Problem};
use super::request::{bounded_number, json_object, optional_string, query_pairs};
use super::state::Shared;
use super::store::StoredApplication;
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::{Value, json};
use std::sync::Arc;

const BASE: &str = "/v2/applications";
const DEFAULT_PAGE_SIZE: u32 = 10;
const MAX_PAGE_SIZE: u32 = 100;
/// The public half of the key pair the sandbox makes up for an application
/// created without `keys.public_key` (the real API generates a pair and
/// returns its private half once). Never a usable key.
const MADE_UP_PUBLIC_KEY: &str =
    "-----BEGIN PUBLIC KEY-----\nsandbox-generated\n-----END PUBLIC KEY-----\n";
const MADE_UP_PRIVATE_KEY: &str =
    "-----BEGIN PRIVATE KEY-----\nsandbox-generated-secret\n-----END PRIVATE KEY-----\n";

fn render(app: &StoredApplication) -> Value {
    let keys = match &app.public_key {
        Some(key) => json!({ "public_key": key }),
        None => json!({}),
    };
    json!({
        "id": app.id,
        "name": app.name,
        "capabilities": app.capabilities,
        "keys": keys,
        "_links": { "self": { "href": format!("{BASE}/{}", app.id) } },
    })
}

fn not_found(id: &str) -> Problem {
    Problem::not_found(format!(
        "ID '{id}' does not exist, or you do not have access"
    ))
}

/// `GET /v2/applications?page_size=&page=`
pub(crate) async fn list(State(shared): State<Arc<Shared>>, RawQuery(raw): RawQuery) -> Answer {
    let pairs = query_pairs(raw.as_deref())?;
    let mut invalid = Vec::new();
    let page_size = bounded_number(&pairs, "page_size", DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        .map_err(|e| invalid.push(e))
        .unwrap_or(1);
    let page = bounded_number(&pairs, "page", 1, u32::MAX)
        .map_err(|e| invalid.push(e))
        .unwrap_or(1);
    if !invalid.is_empty() {
        return Err(Problem::invalid_parameters(invalid));
    }
    let (total, items) = {
        let store = shared.store();
        let skip = (page as usize - 1).saturating_mul(page_size as usize);
        let items: Vec<Value> = store
            .applications
            .values()
            .skip(skip)
            .take(page_size as usize)
            .map(render)
            .collect();
        (store.applications.len(), items)
    };
    let total_pages = total.div_ceil(page_size as usize).max(1) as u32;
    let href = |n: u32| json!({ "href": format!("{BASE}?page_size={page_size}&page={n}") });
    let mut links = json!({ "self": href(page), "first": href(1), "last": href(total_pages) });
    if page < total_pages {
        links["next"] = href(page + 1);
    }
    if page > 1 {
        links["prev"] = href((page - 1).min(total_pages));
    }
    Ok(Json(json!({
        "page_size": page_size,
        "page": page,
        "total_items": total,
        "total_pages": total_pages,
        "_embedded": { "applications": items },
        "_links": links,
    }))
    .into_response())
}

/// `GET /v2/applications/{id}`
pub(crate) async fn get(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Answer {
    let store = shared.store();
    let app = store.applications.get(&id).ok_or_else(|| not_found(&id))?;
    Ok(Json(render(app)).into_response())
}

/// What a POST or PUT body says, validated as the real API does: `name`
/// required, `capabilities` an object whose `messages` (when present) has
/// webhooks with an `address` (an http or https URL) and an `http_method`
/// (GET or POST), `version` `v0.1` or `v1`, `authenticate_inbound_media` a
/// boolean; `keys.public_key` a PEM public key when given.
struct Document {
    name: String,
    capabilities: Value,
    public_key: Option<String>,
}

fn document(body: &[u8]) -> Result<Document, Problem> {
    let map = json_object(body, Problem::invalid_parameters)?;
    let mut invalid = Vec::new();
    let name = match optional_string(&map, "name") {
        Ok(Some(n)) if !n.trim().is_empty() => Some(n),
        Ok(_) => {
            invalid.push(("name".to_owned(), "Is required.".to_owned()));
            None
        }
        Err(e) => {
            invalid.push(e);
            None
        }
    };
    let capabilities = match map.get("capabilities") {
        None | Some(Value::Null) => json!({}),
        Some(c @ Value::Object(_)) => c.clone(),
        Some(_) => {
            invalid.push(("capabilities".into(), "Must be an object.".into()));
            Value::Null
        }
    };
    if let Some(messages) = capabilities.get("messages") {
        check_messages(messages, &mut invalid);
    }
    let public_key = match map.get("keys") {
        None | Some(Value::Null) => None,
        Some(Value::Object(keys)) => match keys.get("public_key") {
            None | Some(Value::Null) => None,
            Some(Value::String(pem))
                if pem.trim_start().starts_with("-----BEGIN PUBLIC KEY-----") =>
            {
                Some(pem.clone())
            }
            Some(_) => {
                invalid.push((
                    "keys.public_key".into(),
                    "Must be a PEM encoded public key.".into(),
                ));
                None
            }
        },
        Some(_) => {
            invalid.push(("keys".into(), "Must be an object.".into()));
            None
        }
    };
    match name {
        Some(name) if invalid.is_empty() => Ok(Document {
            name,
            capabilities,
            public_key,
        }),
        _ => Err(Problem::invalid_parameters(invalid)),
    }
}

fn check_messages(messages: &Value, invalid: &mut Vec<(String, String)>) {
    let Some(messages) = messages.as_object() else {
        invalid.push(("capabilities.messages".into(), "Must be an object.".into()));
        return;
    };
    let webhooks = messages.get("webhooks").and_then(Value::as_object);
    for hook in ["inbound_url", "status_url"] {
        let field = format!("capabilities.messages.webhooks.{hook}");
        let Some(hook) = webhooks.and_then(|w| w.get(hook)) else {
            continue;
        };
        let address = hook.get("address").and_then(Value::as_str);
        let valid_address = address.is_some_and(|a| {
            reqwest::Url::parse(a).is_ok_and(|u| matches!(u.scheme(), "http" | "https"))
        });
        if !valid_address {
            invalid.push((
                format!("{field}.address"),
                "Must be a valid http or https URL.".into(),
            ));
        }
        match hook.get("http_method").and_then(Value::as_str) {
            Some("GET" | "POST") => {}
            _ => invalid.push((
                format!("{field}.http_method"),
                "Must be one of: GET, POST.".into(),
            )),
        }
    }
    match messages.get("version") {
        None | Some(Value::Null) => {}
        Some(Value::String(v)) if v == "v0.1" || v == "v1" => {}
        Some(_) => invalid.push((
            "capabilities.messages.version".into(),
            "Must be one of: v0.1, v1.".into(),
        )),
    }
    match messages.get("authenticate_inbound_media") {
        None | Some(Value::Null) | Some(Value::Bool(_)) => {}
        Some(_) => invalid.push((
            "capabilities.messages.authenticate_inbound_media".into(),
            "Must be a boolean.".into(),
        )),
    }
}

/// `POST /v2/applications`. Without `keys.public_key` the real API makes a
/// key pair and answers its private half, once; the sandbox does the same
/// (with a made-up key), so that a client that would handle it is noticed.
pub(crate) async fn create(State(shared): State<Arc<Shared>>, body: Bytes) -> Answer {
    let doc = document(&body)?;
    let generated = doc.public_key.is_none();
    let app = StoredApplication {
        id: uuid::Uuid::new_v4().to_string(),
        name: doc.name,
        capabilities: doc.capabilities,
        public_key: Some(
            doc.public_key
                .unwrap_or_else(|| MADE_UP_PUBLIC_KEY.to_owned()),
        ),
    };
    let mut rendered = render(&app);
    if generated {
        rendered["keys"]["private_key"] = json!(MADE_UP_PRIVATE_KEY);
    }
    shared.store().put_application(app);
    Ok((StatusCode::CREATED, Json(rendered)).into_response())
}

/// `PUT /v2/applications/{id}`: replaces the whole application. What the
/// body leaves out (a capability, the public key) is gone afterwards.
pub(crate) async fn replace(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    body: Bytes,
) -> Answer {
    let doc = document(&body)?;
    let mut store = shared.store();
    if !store.applications.contains_key(&id) {
        return Err(not_found(&id));
    }
    let app = StoredApplication {
        id,
        name: doc.name,
        capabilities: doc.capabilities,
        public_key: doc.public_key,
    };
    let rendered = render(&app);
    store.put_application(app);
    Ok(Json(rendered).into_response())
}

/// `DELETE /v2/applications/{id}`
pub(crate) async fn delete(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Answer {
    shared
        .store()
        .remove_application(&id)
        .ok_or_else(|| not_found(&id))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
