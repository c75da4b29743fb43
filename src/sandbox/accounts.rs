//! External Accounts API handlers (`/beta/chatapp-accounts`).

use super::problem::{Answer, Problem};
use super::request::{
    bounded_number, json_object, optional_strings, origin, present_string, query_pairs, query_value,
};
use super::state::Shared;
use super::store::{Store, StoredAccount};
use crate::channel::Channel;
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

/// The spec's `provider` enum (revision 0.1.6), for the list filter and the
/// link and unlink paths; anything else is a 400.
fn provider_param(provider: &str) -> Result<Channel, Problem> {
    Channel::from_provider(provider).ok_or_else(|| {
        let listed = Channel::ALL.map(Channel::as_str).join(", ");
        Problem::invalid_params(vec![(
            "provider".into(),
            format!("Must be one of {listed}"),
        )])
    })
}

/// The methods `/{provider}/{external_id}` has: messenger accounts are read,
/// updated and deleted; WhatsApp and Viber accounts only read; there is no
/// such path for RCS or an unknown provider (404).
fn account_path(provider: &str) -> Result<&'static str, Problem> {
    match Channel::from_provider(provider) {
        Some(Channel::Messenger) => Ok("GET,PATCH,DELETE"),
        Some(Channel::Whatsapp | Channel::ViberServiceMsg) => Ok("GET"),
        _ => Err(Problem::not_found("No such resource")),
    }
}

/// 405 unless `method` is one the account path of `provider` has.
fn account_method(provider: &str, method: &str) -> Result<(), Problem> {
    let allow = account_path(provider)?;
    if allow.split(',').any(|m| m == method) {
        Ok(())
    } else {
        Err(Problem::method_not_allowed_allowing(allow))
    }
}

fn not_found(provider: &str, external_id: &str) -> Problem {
    Problem::not_found(format!(
        "No {provider} account with external_id '{external_id}' was found"
    ))
}

/// 403 unless every id names an application with the Messages capability.
/// A sandbox started without `--seed-demo` that holds no application at
/// all says how to get the demo ones.
fn check_applications(shared: &Shared, store: &Store, ids: &[String]) -> Result<(), Problem> {
    let hint = if !shared.seed_demo && store.applications.is_empty() {
        " (this sandbox holds no applications: start it with \
         `socialform sandbox serve --seed-demo` for the demo ones)"
    } else {
        ""
    };
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
                    "Cannot link application: '{id}' does not exist{hint}"
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
    let name = present_string(map, "name")
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
pub(crate) async fn list(
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
    let provider = query_value(&pairs, "provider");
    if let Some(p) = provider {
        provider_param(p)?;
    }

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
pub(crate) async fn connect(State(shared): State<Arc<Shared>>, body: Bytes) -> Answer {
    let map = json_object(&body, Problem::invalid_params)?;
    let mut invalid = Vec::new();
    let mut required = |key: &str| match present_string(&map, key) {
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
    check_applications(&shared, &store, &applications)?;
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

/// Every method on `/beta/chatapp-accounts/{provider}/{id}`: which ones
/// exist depends on the provider (see `account_path`).
pub(crate) async fn account(
    state: State<Arc<Shared>>,
    method: axum::http::Method,
    path: Path<(String, String)>,
    body: Bytes,
) -> Answer {
    account_method(&path.0.0, method.as_str())?;
    match method.as_str() {
        "GET" => get(state, path).await,
        "PATCH" => update(state, path, body).await,
        _ => disconnect(state, path).await,
    }
}

/// `GET /beta/chatapp-accounts/{provider}/{id}` (messenger, whatsapp and
/// viber_service_msg; the spec has no `GET /rcs/{id}`)
async fn get(
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
async fn update(
    State(shared): State<Arc<Shared>>,
    Path((provider, external_id)): Path<(String, String)>,
    body: Bytes,
) -> Answer {
    let map = json_object(&body, Problem::invalid_params)?;
    let mut invalid = Vec::new();
    if map.contains_key("external_id") {
        invalid.push((
            "external_id".to_owned(),
            "'external_id' parameter cannot be changed".to_owned(),
        ));
    }
    let access_token = match present_string(&map, "access_token") {
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
        check_applications(&shared, &store, apps)?;
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
async fn disconnect(
    State(shared): State<Arc<Shared>>,
    Path((provider, external_id)): Path<(String, String)>,
) -> Answer {
    shared
        .store()
        .remove_account(&provider, &external_id)
        .ok_or_else(|| not_found(&provider, &external_id))?;
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `POST /beta/chatapp-accounts/{provider}/{id}/applications`
pub(crate) async fn link(
    State(shared): State<Arc<Shared>>,
    Path((provider, external_id)): Path<(String, String)>,
    body: Bytes,
) -> Answer {
    provider_param(&provider)?;
    let map = json_object(&body, Problem::invalid_params)?;
    let application = match present_string(&map, "application") {
        Ok(Some(id)) if !id.is_empty() => id,
        Ok(_) => {
            return Err(Problem::invalid_params(vec![(
                "application".into(),
                "Missing `application` field".into(),
            )]));
        }
        Err(wrong_type) => return Err(Problem::invalid_params(vec![wrong_type])),
    };
    let mut store = shared.store();
    let mut account = store
        .account(&provider, &external_id)
        .cloned()
        .ok_or_else(|| not_found(&provider, &external_id))?;
    check_applications(&shared, &store, std::slice::from_ref(&application))?;
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
pub(crate) async fn unlink(
    State(shared): State<Arc<Shared>>,
    Path((provider, external_id, application)): Path<(String, String, String)>,
) -> Answer {
    provider_param(&provider)?;
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
