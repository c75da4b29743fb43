//! Application API v2 handlers (`/v2/applications`): the part socialform
//! needs (list, read, create, delete).

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
/// The real API returns the application's public key; the sandbox has none.
const PLACEHOLDER_PUBLIC_KEY: &str =
    "-----BEGIN PUBLIC KEY-----\nsandbox-placeholder\n-----END PUBLIC KEY-----\n";

fn render(app: &StoredApplication) -> Value {
    json!({
        "id": app.id,
        "name": app.name,
        "capabilities": app.capabilities,
        "keys": { "public_key": PLACEHOLDER_PUBLIC_KEY },
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

/// `POST /v2/applications`
pub(crate) async fn create(State(shared): State<Arc<Shared>>, body: Bytes) -> Answer {
    let map = json_object(&body, Problem::invalid_parameters)?;
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
    let Some(name) = name.filter(|_| invalid.is_empty()) else {
        return Err(Problem::invalid_parameters(invalid));
    };
    let app = StoredApplication {
        id: uuid::Uuid::new_v4().to_string(),
        name,
        capabilities,
    };
    let rendered = render(&app);
    shared.store().put_application(app);
    Ok((StatusCode::CREATED, Json(rendered)).into_response())
}

/// `DELETE /v2/applications/{id}`
pub(crate) async fn delete(State(shared): State<Arc<Shared>>, Path(id): Path<String>) -> Answer {
    shared
        .store()
        .remove_application(&id)
        .ok_or_else(|| not_found(&id))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}
