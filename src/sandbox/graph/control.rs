//! Test-only endpoints of the Graph side, under `/_sandbox/facebook/`: they
//! answer Vonage-style problem documents like the other control endpoints.

use super::faults::GraphFault;
use super::store::{DEFAULT_TASKS, NewPage};
use super::usage::{Usage, UsageSettings};
use crate::sandbox::problem::{Answer, Problem};
use crate::sandbox::state::Shared;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;
use serde::de::DeserializeOwned;
use serde_json::json;
use std::collections::HashSet;
use std::sync::Arc;
use std::time::Instant;

fn bad(field: &str, reason: impl Into<String>) -> Problem {
    Problem::invalid_params(vec![(field.to_owned(), reason.into())])
}

fn parse<T: DeserializeOwned>(body: &[u8]) -> Result<T, Problem> {
    serde_json::from_slice(body).map_err(|e| bad("body", e.to_string()))
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewUser {
    user_token: String,
    pages: Vec<PageIn>,
    /// A Business Manager system user (its tokens are `SYSTEM_USER`).
    #[serde(default)]
    system_user: bool,
    /// The permissions the user grants; default: all a page token needs.
    #[serde(default)]
    scopes: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct PageIn {
    id: String,
    name: String,
    #[serde(default)]
    tasks: Option<Vec<String>>,
    #[serde(default)]
    category: Option<String>,
}

/// `POST /_sandbox/facebook/users` `{"user_token", "pages": [{"id", "name",
/// "tasks"?, "category"?}], "system_user"?, "scopes"?}` → 201 `{"pages":
/// [{"id", "access_token"}]}`. `scopes` are the permissions the user's
/// tokens carry and a login grants (default: all a page token needs).
/// Posting the same user token again makes that user manage exactly the
/// pages given.
pub(crate) async fn put_user(State(shared): State<Arc<Shared>>, body: Bytes) -> Answer {
    let user: NewUser = parse(&body)?;
    if user.user_token.is_empty() {
        return Err(bad("user_token", "must not be empty"));
    }
    let mut seen = HashSet::new();
    let mut pages = Vec::with_capacity(user.pages.len());
    for page in user.pages {
        // Graph ids are numeric, and only numeric single segments are
        // routed to `/{page-id}`.
        if page.id.is_empty() || !page.id.bytes().all(|b| b.is_ascii_digit()) {
            return Err(bad(
                "pages.id",
                format!("`{}` is not a numeric id", page.id),
            ));
        }
        if !seen.insert(page.id.clone()) {
            return Err(bad("pages.id", format!("page {} is listed twice", page.id)));
        }
        pages.push(NewPage {
            id: page.id,
            name: page.name,
            tasks: page
                .tasks
                .unwrap_or_else(|| DEFAULT_TASKS.iter().map(|t| (*t).to_owned()).collect()),
            category: page.category,
        });
    }
    let options = super::store::UserOptions {
        system_user: user.system_user,
        grants: user.scopes,
    };
    let tokens = shared
        .graph()
        .put_user_with(&user.user_token, pages, options)
        .map_err(|reason| bad("user_token", reason))?;
    let pages: Vec<_> = tokens
        .into_iter()
        .map(|(id, token)| json!({ "id": id, "access_token": token }))
        .collect();
    Ok((StatusCode::CREATED, Json(json!({ "pages": pages }))).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewToken {
    page_id: String,
    #[serde(default)]
    expires_at: u64,
}

/// `POST /_sandbox/facebook/tokens` `{"page_id", "expires_at"}` → 201
/// `{"access_token"}`: another token of the page, as a hand reconnect
/// would use. What `/me/accounts` hands out does not change: there a page
/// token follows the user token it is read with.
pub(crate) async fn mint_token(State(shared): State<Arc<Shared>>, body: Bytes) -> Answer {
    let new: NewToken = parse(&body)?;
    let token = shared
        .graph()
        .mint_other_page_token(&new.page_id, new.expires_at, None)
        .ok_or_else(|| Problem::not_found(format!("No Facebook page {}", new.page_id)))?;
    Ok((StatusCode::CREATED, Json(json!({ "access_token": token }))).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct TokenChange {
    access_token: String,
    #[serde(default)]
    valid: Option<bool>,
    #[serde(default)]
    expires_at: Option<u64>,
}

/// `PUT /_sandbox/facebook/tokens` `{"access_token", "valid"?,
/// "expires_at"?}` → 204: revoke (or restore) a token, change its expiry.
pub(crate) async fn change_token(State(shared): State<Arc<Shared>>, body: Bytes) -> Answer {
    let change: TokenChange = parse(&body)?;
    if change.valid.is_none() && change.expires_at.is_none() {
        return Err(bad("body", "give `valid`, `expires_at` or both"));
    }
    if !shared
        .graph()
        .update_token(&change.access_token, change.valid, change.expires_at)
    {
        return Err(Problem::not_found("No such Facebook token"));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `PUT /_sandbox/facebook/device` `{"interval", "expires_in",
/// "slow_down"}` (each optional: Facebook's 5 s, 420 s and 0) → 204: how
/// the device logins started from now on behave. `slow_down: N` tells
/// the first N polls of each to slow down.
pub(crate) async fn set_device(State(shared): State<Arc<Shared>>, body: Bytes) -> Answer {
    let settings: super::DeviceSettings = parse(&body)?;
    if settings.interval == 0 || settings.expires_in == 0 {
        return Err(bad("body", "interval and expires_in must be at least 1"));
    }
    shared.graph().logins.device_settings = settings;
    Ok(StatusCode::NO_CONTENT.into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewFault {
    kind: GraphFault,
    #[serde(default = "once")]
    times: u64,
}

fn once() -> u64 {
    1
}

/// `POST /_sandbox/facebook/faults` `{"kind": "html" | "server_error" |
/// "throttle" | "malformed_json", "times": N}` → 204: the next N Graph
/// requests (after any already queued) meet that fault.
pub(crate) async fn add_fault(State(shared): State<Arc<Shared>>, body: Bytes) -> Answer {
    let fault: NewFault = parse(&body)?;
    if fault.times == 0 {
        return Err(bad("times", "must be at least 1"));
    }
    shared.queue_graph_fault(fault.kind, fault.times);
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `DELETE /_sandbox/facebook/faults` → 204: no more queued faults.
pub(crate) async fn clear_faults(State(shared): State<Arc<Shared>>) -> Answer {
    shared.clear_graph_faults();
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `PUT /_sandbox/facebook/usage` `{"app": {"call_count", "total_time",
/// "total_cputime"}, "pages": {"<page-id>": {…}}, "per_call",
/// "recovery_per_second"}` (every field optional) → 204: the usage starts
/// over from these percentages, with no refusals counted.
pub(crate) async fn set_usage(State(shared): State<Arc<Shared>>, body: Bytes) -> Answer {
    let settings: UsageSettings = parse(&body)?;
    settings
        .check()
        .map_err(|(field, reason)| bad(field, reason))?;
    shared.graph().usage = Usage::new(settings, Instant::now());
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /_sandbox/facebook/usage` → 200 `{"app", "pages", "per_call",
/// "recovery_per_second", "calls", "refused": {"app", "page"}}`: the
/// percentages now, the calls charged and the calls refused since the
/// usage was last set.
pub(crate) async fn get_usage(State(shared): State<Arc<Shared>>) -> Answer {
    let report = shared.graph().usage.report(Instant::now());
    Ok((StatusCode::OK, Json(report)).into_response())
}
