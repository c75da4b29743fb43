//! Test-only endpoints under `/_sandbox/` (no authentication, not logged).

use super::faults::FaultsPatch;
use super::problem::{Answer, Problem};
use super::request::json_object;
use super::state::Shared;
use super::store::StoredAccount;
use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde::Deserialize;
use serde_json::json;
use std::sync::Arc;

/// `GET /_sandbox/requests`
pub(crate) async fn requests(State(shared): State<Arc<Shared>>) -> Answer {
    Ok(Json(shared.requests()).into_response())
}

/// `DELETE /_sandbox/requests`
pub(crate) async fn clear_requests(State(shared): State<Arc<Shared>>) -> Answer {
    shared.clear_requests();
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /_sandbox/faults`
pub(crate) async fn faults(State(shared): State<Arc<Shared>>) -> Answer {
    Ok(Json(shared.faults()).into_response())
}

fn bad_control_body(detail: String) -> Problem {
    Problem::invalid_params(vec![("body".into(), detail)])
}

/// `PUT /_sandbox/faults`: any subset of the fields; a `seed` restarts the
/// dice, and the answer is the faults now in force, with the seed in use.
pub(crate) async fn set_faults(State(shared): State<Arc<Shared>>, body: Bytes) -> Answer {
    let patch: FaultsPatch =
        serde_json::from_slice(&body).map_err(|e| bad_control_body(e.to_string()))?;
    let mut next = patch.apply_to(&shared.faults()).map_err(bad_control_body)?;
    // Only an explicit seed restarts the sequence.
    if patch.seed.is_none() {
        next.seed = None;
    }
    shared.set_faults(next);
    Ok(Json(shared.faults()).into_response())
}

/// `POST /_sandbox/reset`
pub(crate) async fn reset(State(shared): State<Arc<Shared>>) -> Answer {
    shared.reset();
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// A raw account of any provider, as the dashboard could create it.
#[derive(Deserialize)]
struct RawAccount {
    external_id: String,
    provider: String,
    #[serde(default)]
    api_key: Option<String>,
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    applications: Vec<String>,
    #[serde(default)]
    access_token: Option<String>,
}

/// `POST /_sandbox/accounts`: creates or replaces an account of any provider
/// (WhatsApp, Viber and RCS accounts cannot be created through the public
/// API), without the API's rules on applications, to seed accounts or
/// simulate changes made outside socialform. The account must still be one
/// the spec's schemas allow.
pub(crate) async fn put_account(State(shared): State<Arc<Shared>>, body: Bytes) -> Answer {
    // Validate the JSON shape first so the error names the problem.
    json_object(&body, Problem::invalid_params)?;
    let raw: RawAccount =
        serde_json::from_slice(&body).map_err(|e| bad_control_body(e.to_string()))?;
    if raw.external_id.is_empty() {
        return Err(bad_control_body("external_id must not be empty".into()));
    }
    // What the public API then serves must match the spec's schemas: a
    // provider of its enum, a token on every messenger account (its
    // schema requires one) and on no other, at most one application.
    let Some(channel) = crate::channel::Channel::from_provider(&raw.provider) else {
        return Err(bad_control_body(format!(
            "provider must be one of {}",
            crate::channel::Channel::ALL
                .map(crate::channel::Channel::as_str)
                .join(", ")
        )));
    };
    match (channel.is_messenger(), raw.access_token.as_deref()) {
        (true, None | Some("")) => {
            return Err(bad_control_body(
                "a messenger account needs an access_token".into(),
            ));
        }
        (false, Some(_)) => {
            return Err(bad_control_body(format!(
                "only messenger accounts have an access_token, not {}",
                raw.provider
            )));
        }
        _ => {}
    }
    if raw.applications.len() > 1 {
        return Err(bad_control_body(
            "an account is linked to at most one application".into(),
        ));
    }
    let account = StoredAccount {
        external_id: raw.external_id,
        provider: raw.provider,
        api_key: raw.api_key.unwrap_or_else(|| shared.api_key.clone()),
        name: raw.name,
        applications: raw.applications,
        access_token: raw.access_token,
    };
    shared.store().put_account(account.clone());
    Ok((StatusCode::CREATED, Json(account)).into_response())
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Limits {
    max_page_size: Option<u32>,
}

/// `PUT /_sandbox/limits`: `{"max_page_size": N}` makes the account list
/// refuse pages larger than N, like a server with a smaller limit.
pub(crate) async fn set_limits(State(shared): State<Arc<Shared>>, body: Bytes) -> Answer {
    let limits: Limits =
        serde_json::from_slice(&body).map_err(|e| bad_control_body(e.to_string()))?;
    if let Some(size) = limits.max_page_size {
        shared.set_max_page_size(size);
    }
    Ok(Json(json!({ "max_page_size": shared.max_page_size() })).into_response())
}
