//! External Accounts API handlers (`/beta/chatapp-accounts`).

use super::problem::{Answer, Problem};
use super::request::{
    bounded_number, json_object, optional_string, optional_strings, origin, query_pairs,
    query_value,
};
use super::state::Shared;
use super::store::{Store, StoredAccount};
use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::IntoResponse;
use serde_json::{Value, json};
use std::sync::Arc;

const BASE: &str = "/beta/chatapp-accounts";
const DEFAULT_PAGE_SIZE: u32 = 20;
const MESSENGER: &str = "messenger";

/// The spec allows zero or one application per account.
const MAX_APPLICATIONS: usize = 1;

fn not_found(provider: &str, external_id: &str) -> Problem {
    Problem::not_found(format!(
        "No {provider} account with external_id '{external_id}' was found"
    ))
}

/// 403 unless every id names an application with the Messages capability.
fn check_applications(store: &Store, ids: &[String]) -> Result<(), Problem> {
    for id in ids {
        match store.applications.get(id) {
            Some(app) if app.has_messages() => {}
            Some(_) => {
                return Err(Problem::forbidden(format!(
                    "Cannot link application: '{id}' does not have the Messages capability"
                )));
            }
            None => {
                return Err(Problem::forbidden(format!(
                    "Cannot link application: '{id}' does not exist"
                )));
            }
        }
    }
    Ok(())
}

/// The optional `name` and `applications` of a connect or update body;
/// whatever is wrong with them goes to `invalid`.
fn name_and_applications(
    map: &serde_json::Map<String, Value>,
    invalid: &mut Vec<(String, String)>,
) -> (Option<String>, Option<Vec<String>>) {
    let name = optional_string(map, "name")
        .map_err(|e| invalid.push(e))
        .ok()
        .flatten();
    let applications = optional_strings(map, "applications")
        .map_err(|e| invalid.push(e))
        .ok()
        .flatten();
    invalid.extend(too_many_applications(&applications));
    (name, applications)
}

fn too_many_applications(apps: &Option<Vec<String>>) -> Option<(String, String)> {
    apps.as_ref()
        .filter(|a| a.len() > MAX_APPLICATIONS)
        .map(|_| {
            (
                "applications".to_owned(),
                "Only one application can be linked to an account".to_owned(),
            )
        })
}

/// `GET /beta/chatapp-accounts[/]`
pub async fn list(
    State(shared): State<Arc<Shared>>,
    headers: HeaderMap,
    RawQuery(raw): RawQuery,
) -> Answer {
    let pairs = query_pairs(raw.as_deref())?;
    let max = shared.max_page_size();
    let mut invalid = Vec::new();
    let page_size = bounded_number(&pairs, "page_size", DEFAULT_PAGE_SIZE.min(max), max)
        .map_err(|e| invalid.push(e))
        .unwrap_or(1);
    let page_number = bounded_number(&pairs, "page_number", 1, u32::MAX)
        .map_err(|e| invalid.push(e))
        .unwrap_or(1);
    if !invalid.is_empty() {
        return Err(Problem::invalid_params(invalid));
    }
    let provider = query_value(&pairs, "provider").filter(|p| !p.is_empty());

    let (total, items) = {
        let store = shared.store();
        let skip = (page_number as usize - 1).saturating_mul(page_size as usize);
        let items: Vec<StoredAccount> = store
            .accounts(provider)
            .skip(skip)
            .take(page_size as usize)
            .cloned()
            .collect();
        (store.count_accounts(provider), items)
    };

    let last = total.div_ceil(page_size as usize).max(1) as u32;
    let origin = origin(&headers);
    let href = |n: u32| {
        let filter = provider
            .map(|p| format!("provider={}&", form_encode(p)))
            .unwrap_or_default();
        json!({ "href": format!("{origin}{BASE}?{filter}page_number={n}&page_size={page_size}") })
    };
    let mut links = json!({ "self": href(page_number), "first": href(1), "last": href(last) });
    if page_number < last {
        links["next"] = href(page_number + 1);
    }
    if page_number > 1 {
        links["prev"] = href((page_number - 1).min(last));
    }
    // Serialized straight from the records: going through a `Value` first
    // cost a fifth of a 100-account page's time.
    Ok(Json(AccountsPage {
        embedded: &items,
        links,
        page_number,
        page_size,
    })
    .into_response())
}

#[derive(serde::Serialize)]
struct AccountsPage<'a> {
    #[serde(rename = "_embedded")]
    embedded: &'a [StoredAccount],
    #[serde(rename = "_links")]
    links: serde_json::Value,
    page_number: u32,
    page_size: u32,
}

fn form_encode(value: &str) -> String {
    serde_urlencoded::to_string([("", value)])
        .map(|s| s.trim_start_matches('=').to_owned())
        .unwrap_or_default()
}

/// `POST /beta/chatapp-accounts/messenger`
pub async fn connect(State(shared): State<Arc<Shared>>, body: Bytes) -> Answer {
    let map = json_object(&body, Problem::invalid_params)?;
    let mut invalid = Vec::new();
    let mut required = |key: &str| match optional_string(&map, key) {
        Ok(Some(v)) if !v.is_empty() => Some(v),
        Ok(_) => {
            invalid.push((key.to_owned(), format!("Missing `{key}` field")));
            None
        }
        Err(e) => {
            invalid.push(e);
            None
        }
    };
    let external_id = required("external_id");
    let access_token = required("access_token");
    let (name, applications) = name_and_applications(&map, &mut invalid);
    let (Some(external_id), Some(access_token), true) =
        (external_id, access_token, invalid.is_empty())
    else {
        return Err(Problem::invalid_params(invalid));
    };

    let mut store = shared.store();
    let applications = applications.unwrap_or_default();
    check_applications(&store, &applications)?;
    if store.account(MESSENGER, &external_id).is_some() {
        return Err(Problem::conflict(format!(
            "The page '{external_id}' is already connected"
        )));
    }
    let account = StoredAccount {
        external_id,
        provider: MESSENGER.to_owned(),
        api_key: shared.api_key.clone(),
        name,
        applications,
        access_token: Some(access_token),
    };
    store.put_account(account.clone());
    Ok((StatusCode::CREATED, Json(account)).into_response())
}

/// `GET /beta/chatapp-accounts/{provider}/{id}`
pub async fn get(
    State(shared): State<Arc<Shared>>,
    Path((provider, external_id)): Path<(String, String)>,
) -> Answer {
    let store = shared.store();
    let account = store
        .account(&provider, &external_id)
        .ok_or_else(|| not_found(&provider, &external_id))?;
    Ok(Json(account).into_response())
}

/// `PATCH /beta/chatapp-accounts/messenger/{id}`
pub async fn update(
    State(shared): State<Arc<Shared>>,
    Path((provider, external_id)): Path<(String, String)>,
    body: Bytes,
) -> Answer {
    if provider != MESSENGER {
        return Err(Problem::method_not_allowed());
    }
    let map = json_object(&body, Problem::invalid_params)?;
    let mut invalid = Vec::new();
    if map.contains_key("external_id") {
        invalid.push((
            "external_id".to_owned(),
            "'external_id' parameter cannot be changed".to_owned(),
        ));
    }
    let access_token = match optional_string(&map, "access_token") {
        Ok(Some(t)) if t.is_empty() => {
            invalid.push((
                "access_token".into(),
                "`access_token` must not be empty".into(),
            ));
            None
        }
        Ok(t) => t,
        Err(e) => {
            invalid.push(e);
            None
        }
    };
    let (name, applications) = name_and_applications(&map, &mut invalid);
    if !invalid.is_empty() {
        return Err(Problem::invalid_params(invalid));
    }

    let mut store = shared.store();
    let mut account = store
        .account(&provider, &external_id)
        .cloned()
        .ok_or_else(|| not_found(&provider, &external_id))?;
    if let Some(apps) = &applications {
        check_applications(&store, apps)?;
    }
    if let Some(token) = access_token {
        account.access_token = Some(token);
    }
    if let Some(name) = name {
        account.name = Some(name);
    }
    if let Some(apps) = applications {
        account.applications = apps;
    }
    store.put_account(account.clone());
    Ok(Json(account).into_response())
}

/// `DELETE /beta/chatapp-accounts/messenger/{id}`
pub async fn disconnect(
    State(shared): State<Arc<Shared>>,
    Path((provider, external_id)): Path<(String, String)>,
) -> Answer {
    if provider != MESSENGER {
        return Err(Problem::method_not_allowed());
    }
    shared
        .store()
        .remove_account(&provider, &external_id)
        .ok_or_else(|| not_found(&provider, &external_id))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /beta/chatapp-accounts/{provider}/{id}/applications`
pub async fn link(
    State(shared): State<Arc<Shared>>,
    Path((provider, external_id)): Path<(String, String)>,
    body: Bytes,
) -> Answer {
    let map = json_object(&body, Problem::invalid_params)?;
    let application = match map.get("application") {
        Some(Value::String(id)) if !id.is_empty() => id.clone(),
        _ => {
            return Err(Problem::invalid_params(vec![(
                "application".into(),
                "Missing `application` field".into(),
            )]));
        }
    };
    let mut store = shared.store();
    let mut account = store
        .account(&provider, &external_id)
        .cloned()
        .ok_or_else(|| not_found(&provider, &external_id))?;
    check_applications(&store, std::slice::from_ref(&application))?;
    if !account.applications.is_empty() {
        return Err(Problem::conflict(
            "Unable to link application: only one application can be linked to an account",
        ));
    }
    account.applications.push(application);
    store.put_account(account.clone());
    Ok(Json(account).into_response())
}

/// `DELETE /beta/chatapp-accounts/{provider}/{id}/applications/{app}`
pub async fn unlink(
    State(shared): State<Arc<Shared>>,
    Path((provider, external_id, application)): Path<(String, String, String)>,
) -> Answer {
    let mut store = shared.store();
    let mut account = store
        .account(&provider, &external_id)
        .cloned()
        .ok_or_else(|| not_found(&provider, &external_id))?;
    let before = account.applications.len();
    account.applications.retain(|a| a != &application);
    if account.applications.len() == before {
        return Err(Problem::conflict(format!(
            "Unable to unlink application: '{application}' is not linked to this account"
        )));
    }
    store.put_account(account);
    Ok(StatusCode::NO_CONTENT.into_response())
}
