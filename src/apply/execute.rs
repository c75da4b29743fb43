//! One call of the plan against the API, made safe to repeat.
//!
//! A failed or unclear answer is not the end of the story: the call's own
//! earlier attempt (or a teammate) may already have put the page in the
//! shape the call was meant to produce. So an answer that says "already so"
//! (404 on a disconnect, 409 on a link whose application is already the one
//! we want) counts as success, and an answer that leaves the outcome
//! unknown (5xx, no answer) is settled by re-reading the page before the
//! call is tried again. A page is never connected twice.

use crate::address::Address;
use crate::plan::{Call, CallOp};
use crate::remote::{Account, ApiError, Client, ConnectRequest, UpdateRequest};
use crate::secret::Secret;
use std::collections::HashMap;
use std::time::Duration;

const PROVIDER: &str = "messenger";
/// Attempts of one call whose earlier attempts ended without a clear answer.
const ATTEMPTS: u32 = 4;

pub async fn execute(
    client: &Client,
    call: &Call,
    tokens: &HashMap<Address, Secret>,
) -> Result<(), String> {
    let token = |address: &Address| {
        tokens
            .get(address)
            .cloned()
            .ok_or_else(|| format!("{address}: no access_token in the configuration"))
    };
    let mut last_error = None;
    for attempt in 0..ATTEMPTS {
        if attempt > 0 {
            tokio::time::sleep(Duration::from_millis(200 * 2u64.pow(attempt - 1))).await;
        }
        let result = match &call.op {
            CallOp::Connect {
                page_id,
                name,
                token_from,
                application,
            } => client
                .connect_messenger(&ConnectRequest {
                    external_id: page_id.clone(),
                    access_token: token(token_from)?,
                    name: name.clone(),
                    applications: application.iter().cloned().collect(),
                })
                .await
                .map(drop),
            CallOp::Update {
                page_id,
                name,
                token_from,
            } => {
                let access_token = match token_from {
                    Some(address) => Some(token(address)?),
                    None => None,
                };
                client
                    .update_messenger(
                        page_id,
                        &UpdateRequest {
                            access_token,
                            name: name.clone(),
                            applications: None,
                        },
                    )
                    .await
                    .map(drop)
            }
            CallOp::Disconnect { page_id } => client.disconnect_messenger(page_id).await,
            CallOp::Link {
                page_id,
                application,
            } => client
                .link_application(PROVIDER, page_id, application)
                .await
                .map(drop),
            CallOp::Unlink {
                page_id,
                application,
            } => {
                client
                    .unlink_application(PROVIDER, page_id, application)
                    .await
            }
        };
        let error = match result {
            Ok(()) => return Ok(()),
            Err(error) => error,
        };
        // "Already so" answers, and unclear ones, are settled by looking.
        let worth_a_look = error.outcome_unknown()
            || matches!(error, ApiError::NotFound { .. } | ApiError::Conflict { .. });
        if worth_a_look && already_done(client, &call.op, tokens).await {
            return Ok(());
        }
        if !error.outcome_unknown() {
            return Err(describe(call, &error));
        }
        last_error = Some(error);
    }
    Err(last_error
        .map(|e| describe(call, &e))
        .unwrap_or_else(|| "failed".into()))
}

fn describe(call: &Call, error: &ApiError) -> String {
    format!("{} {}: {error}", call.method.as_str(), call.path)
}

/// Whether the page is already in the shape `op` was meant to produce.
async fn already_done(client: &Client, op: &CallOp, tokens: &HashMap<Address, Secret>) -> bool {
    let page: Option<Account> = match client.get_account(PROVIDER, op.page_id()).await {
        Ok(account) => Some(account),
        Err(ApiError::NotFound { .. }) => None,
        // Cannot tell: let the caller decide.
        Err(_) => return false,
    };
    match (op, page) {
        (CallOp::Disconnect { .. }, page) => page.is_none(),
        (_, None) => false,
        (
            CallOp::Connect {
                name,
                token_from,
                application,
                ..
            },
            Some(page),
        ) => {
            same_token(&page, tokens.get(token_from))
                && (name.is_none() || page.name == *name)
                && application.iter().all(|a| page.applications.contains(a))
        }
        (
            CallOp::Update {
                name, token_from, ..
            },
            Some(page),
        ) => {
            (name.is_none() || page.name == *name)
                && token_from
                    .as_ref()
                    .is_none_or(|address| same_token(&page, tokens.get(address)))
        }
        (CallOp::Link { application, .. }, Some(page)) => {
            page.applications == [application.clone()]
        }
        (CallOp::Unlink { application, .. }, Some(page)) => {
            !page.applications.contains(application)
        }
    }
}

fn same_token(page: &Account, wanted: Option<&Secret>) -> bool {
    match (page.access_token.as_ref(), wanted) {
        (Some(actual), Some(wanted)) => {
            constant_time_eq(actual.expose().as_bytes(), wanted.expose().as_bytes())
        }
        // The API did not say: the page exists, which is what matters most.
        (None, Some(_)) => true,
        _ => false,
    }
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
